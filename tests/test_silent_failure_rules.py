"""Every fixture file under tests/fixtures/silent_failures is audited as a new file; each
line that ends with `# SFnnn` (several ids may follow) must be flagged with exactly those
rules, and every other line must stay clean. Look-alikes live in the same files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers import AuditRequest, ChangeStatus, FileChange, audit

FIXTURES = Path(__file__).parent / "fixtures" / "silent_failures"
EXPECTATION = re.compile(r"#\s*((?:SF\d{3}\s*)+)$")


def expected_findings(text: str) -> set[tuple[int, str]]:
    expected = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = EXPECTATION.search(line)
        if match:
            expected.update((number, rule) for rule in match.group(1).split())
    return expected


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture_flags_exactly_the_marked_lines(fixture: Path) -> None:
    data = fixture.read_bytes()
    result = audit(AuditRequest(changes=(FileChange(fixture.name, ChangeStatus.ADDED, data),)))
    found = {(f.line, f.rule) for f in result.findings if f.rule.startswith("SF")}
    assert found == expected_findings(data.decode())


def test_every_silent_failure_rule_has_a_positive_fixture() -> None:
    from analyzers.silent_failures import RULES

    marked = set()
    for fixture in FIXTURES.glob("*.py"):
        marked |= {rule for _, rule in expected_findings(fixture.read_text())}
    assert {rule.id for rule in RULES} <= marked
