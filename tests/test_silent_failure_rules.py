"""Every fixture file under tests/fixtures/silent_failures is audited as a new file; each
line that ends with `# SFnnn` (several ids may follow) must be flagged with exactly those
rules, and every other line must stay clean. Look-alikes live in the same files.
Behaviour that depends on the audited repo's config is tested here with inline sources
written the same way."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.rule import FileRule
from analyzers.silent_failures import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "silent_failures"
EXPECTATION = re.compile(r"#\s*((?:SF\d{3}\s*)+)$")


def expected_findings(text: str) -> set[tuple[int, str]]:
    expected: set[tuple[int, str]] = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = EXPECTATION.search(line)
        if match:
            expected.update((number, rule) for rule in match.group(1).split())
    return expected


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture_flags_exactly_the_marked_lines(fixture: Path) -> None:
    data = fixture.read_bytes()
    assert silent_failures(fixture.name, data) == expected_findings(data.decode())


def silent_failures(path: str, data: bytes, config_text: str | None = None
                    ) -> set[tuple[int, str]]:
    change = FileChange(path, ChangeStatus.ADDED, data)
    result = audit(AuditRequest(changes=(change,), config_text=config_text))
    return {(f.line, f.rule) for f in result.findings if f.rule.startswith("SF")}


LOUD_FUNCTIONS_SOURCE = """\
from myapp.alerts import page
from otherapp import page as other_page


def bare_name_configured():
    try:
        work()
    except Exception:
        report_failure()


def method_matches_by_its_bare_name(self):
    try:
        work()
    except Exception:
        self.report_failure()


def qualified_name_configured():
    try:
        work()
    except Exception:
        page("on call")


def same_bare_name_from_another_module_is_not_configured():
    try:
        work()
    except Exception:  # SF102
        other_page("on call")
"""


def test_configured_loud_functions_make_a_handler_loud() -> None:
    config = '[tool.ssot]\nloud-functions = ["report_failure", "myapp.alerts.page"]\n'
    found = silent_failures("alerts.py", LOUD_FUNCTIONS_SOURCE.encode(), config)
    assert found == expected_findings(LOUD_FUNCTIONS_SOURCE)


def test_without_config_those_handlers_are_silent() -> None:
    found = silent_failures("alerts.py", LOUD_FUNCTIONS_SOURCE.encode())
    assert {rule for _, rule in found} == {"SF102"}
    assert len(found) == 4


def test_every_silent_failure_rule_has_a_positive_fixture() -> None:
    marked: set[str] = set()
    for fixture in FIXTURES.glob("*.py"):
        marked |= {rule for _, rule in expected_findings(fixture.read_text())}
    assert {rule.id for rule in RULES} <= marked


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_docstring_has_the_four_sections(rule: type[FileRule]) -> None:
    doc = inspect.getdoc(rule) or ""
    headings = [line for line in doc.splitlines() if line and not line[0].isspace()]
    assert headings == ["What it does:", "Why is this bad?", "Example:", "Use instead:"]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_lives_alone_in_a_file_named_after_its_id(rule: type[FileRule]) -> None:
    module = sys.modules[rule.__module__]
    assert module.__name__.rsplit(".", 1)[-1].startswith(rule.id.lower() + "_")
    classes = [c for c in vars(module).values() if inspect.isclass(c)
               and issubclass(c, FileRule) and c.__module__ == module.__name__]
    assert classes == [rule]


def test_selecting_only_silent_failures_skips_the_cross_file_work() -> None:
    """`select = ["SF"]` is what the benchmark measures: no facts are extracted for
    context files, and the silent-failure findings are the same."""
    data = (FIXTURES / "sf102_broad_except.py").read_bytes()
    request = AuditRequest(
        changes=(FileChange("app.py", ChangeStatus.ADDED, data),),
        context={"lib.py": b"def helper():\n    return 1\n"},
        config_text='[tool.ssot]\nselect = ["SF"]\n',
    )
    facts_cache: dict[bytes, Mapping[str, object]] = {}
    result = audit(request, facts_cache=facts_cache)
    assert facts_cache == {}
    found = {(f.line, f.rule) for f in result.findings}
    assert found == expected_findings(data.decode())
