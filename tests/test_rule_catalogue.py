"""Every rule is documented the same way, and the README's table lists all of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers import ALL_RULES
from analyzers.rule import RuleMeta
from bot import rule_docs_url

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
    # The anchor is the rule's stable docs address (`bot.rule_docs_url`), used by SARIF's
    # helpUri and the PR comment.
    assert (f'| <a id="{rule.id.lower()}"></a>{rule.id} | `{rule.name}` | '
            f"{rule.severity.value} |") in README
    assert rule_docs_url(rule.id).endswith(f"#{rule.id.lower()}")


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_rule_documentation_has_its_sections_as_text_and_markdown(
        rule: type[RuleMeta]) -> None:
    titles = [title for title, _ in rule.sections()]
    assert titles[0] == "What it does"
    assert "Why is this bad?" in titles
    assert rule.documentation().startswith(f"{rule.id} {rule.name} ")
    markdown = rule.documentation_markdown()
    assert "**What it does**" in markdown
    if "Example" in titles:
        assert "**Example**\n\n```python\n" in markdown
