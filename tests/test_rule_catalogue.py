"""Every rule is documented the same way, and the README's table lists all of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers import ALL_RULES
from analyzers.rule import RuleMeta

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
FAMILY = {"SF": "1", "SS": "2", "DU": "3", "SX": "0"}


def test_rule_ids_are_unique_and_in_their_family_range() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"(SF|SS|DU|SX)\d{3}", rule_id)
        assert rule_id[2] == FAMILY[rule_id[:2]], rule_id


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_rule_has_kebab_name_and_the_four_doc_sections(rule: type[RuleMeta]) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    for section in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert rule.section(section), f"{rule.id} lacks '{section}'"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_readme_rule_table_lists_the_rule(rule: type[RuleMeta]) -> None:
    assert f"| {rule.id} | `{rule.name}` | {rule.severity.value} |" in README
