"""Every fixture file under tests/fixtures/silent_failures is audited as a new file; each
line that ends with `# SFnnn` (several ids may follow) must be flagged with exactly those
rules, and every other line must stay clean. Look-alikes live in the same files. A first
line `# config: <toml>` is the `[tool.ssot]` table the fixture is audited with.
Behaviour that depends on the audited repo's config is tested here with inline sources
written the same way."""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.model import Finding, Severity
from analyzers.rule import FileRule
from analyzers.silent_failures import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "silent_failures"
# Every rule id on the line, whatever its family: a construct reported twice cannot pass.
EXPECTATION = re.compile(r"#\s*((?:[A-Z]{2}\d{3}\s*)+)$")
FIXTURE_CONFIG = re.compile(r"^# config: (?P<toml>.+)$")


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
    header = FIXTURE_CONFIG.match(data.decode().partition("\n")[0])
    config = f"[tool.ssot]\n{header['toml']}\n" if header else None
    result = audit(AuditRequest(changes=(FileChange(fixture.name, ChangeStatus.ADDED, data),),
                                config_text=config))
    assert {(f.line, f.rule) for f in result.findings} == expected_findings(data.decode())


def silent_failures(path: str, data: bytes, config_text: str | None = None
                    ) -> set[tuple[int, str]]:
    return {(f.line, f.rule) for f in sf_findings(path, data, config_text)}


def sf_findings(path: str, data: bytes, config_text: str | None = None) -> list[Finding]:
    change = FileChange(path, ChangeStatus.ADDED, data)
    result = audit(AuditRequest(changes=(change,), config_text=config_text))
    return [f for f in result.findings if f.rule.startswith(("SF", "SX"))]


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
def test_rule_docstring_has_the_five_sections(rule: type[FileRule]) -> None:
    doc = inspect.getdoc(rule) or ""
    headings = [line for line in doc.splitlines() if line and not line[0].isspace()]
    assert headings == ["What it does:", "Why is this bad?", "Known limits:", "Example:",
                        "Use instead:"]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_flags_its_example_and_not_what_it_suggests_instead(rule: type[FileRule]
                                                                 ) -> None:
    config = f'[tool.ssot]\nselect = ["{rule.id}"]\n'
    for section, expected in (("Example", {rule.id}), ("Use instead", set())):
        code = textwrap.dedent(_doc_section_code(rule, section))
        found = {r for _, r in silent_failures("app.py", code.encode(), config)}
        assert found == expected, section


def _doc_section_code(rule: type[FileRule], section: str) -> str:
    doc = inspect.getdoc(rule) or ""
    match = re.search(rf"^{re.escape(section)}:\n((?:    .*\n?|\n)+)", doc, re.MULTILINE)
    assert match is not None, section
    return match.group(1)


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
    # Only the changed file's analysis is kept: no context file was indexed.
    assert [key[:5] for key in facts_cache] == [b"file:"]
    found = {(f.line, f.rule) for f in result.findings}
    assert found == expected_findings(data.decode())


def test_narrow_except_pass_is_off_unless_the_repo_opts_in() -> None:
    data = (FIXTURES / "sf103_narrow_except_pass.py").read_bytes()
    assert {rule for _, rule in silent_failures("app.py", data)} == {"SF101", "SF102"}
    opted_in = '[tool.ssot]\nseverity = { SF103 = "warning" }\n'
    assert "SF103" in {rule for _, rule in silent_failures("app.py", data, opted_in)}


SWALLOWING_TEST = b"""\
import sys


def test_swallows():
    try:
        work()
    except Exception:
        pass


def test_captures_the_traceback():
    try:
        1 / 0
    except Exception:
        info = sys.exc_info()
    check(info)


def test_asserts_on_the_exception():
    try:
        work()
    except Exception as exc:
        assert "boom" in str(exc)
"""


def test_silent_failures_in_tests_are_notices_and_deliberate_catches_are_clean() -> None:
    found = sf_findings("tests/test_widget.py", SWALLOWING_TEST)
    assert [(f.line, f.rule, f.severity) for f in found] == [(7, "SF102", Severity.NOTICE)]


def test_an_explicit_severity_in_the_config_beats_the_test_cap() -> None:
    config = '[tool.ssot]\nseverity = { SF102 = "error" }\n'
    found = sf_findings("tests/test_widget.py", SWALLOWING_TEST, config)
    assert [(f.line, f.severity) for f in found] == [(7, Severity.ERROR)]


@pytest.mark.parametrize("path", ["docs/examples/quickstart.py", "tests/test_tasks.py"])
def test_silent_failure_errors_in_examples_and_tests_are_notices(path: str) -> None:
    source = b"import asyncio\n\n\nasync def main():\n    asyncio.create_task(work())\n"
    found = sf_findings(path, source)
    assert [(f.rule, f.severity) for f in found] == [("SF107", Severity.NOTICE)]
    assert sf_findings("app/tasks.py", source)[0].severity is Severity.ERROR


PEER_COMMENTS = b"""\
def recorded_for_ruff():
    try:
        work()
    except Exception:  # noqa: BLE001
        pass


def recorded_with_a_reason():
    try:
        work()
    except Exception:  # noqa: BLE001 - a plugin's failure must not stop the run
        pass


def recorded_for_pylint():
    try:
        work()
    except Exception:  # pylint: disable=broad-exception-caught
        pass


def bare_noqa():
    try:
        work()
    except:  # noqa
        pass


def unrelated_code_does_not_suppress():
    try:
        work()
    except Exception:  # noqa: E501
        pass


def loud_handler_with_a_noqa_is_no_unused_suppression(log):
    try:
        work()
    except Exception as exc:  # noqa: BLE001
        log.warning("work failed: %s", exc)
"""


def test_other_linters_comments_suppress_the_overlapping_rules_with_their_reason() -> None:
    found = {(f.line, f.rule): f.suppression.reason if f.suppression else None
             for f in sf_findings("app.py", PEER_COMMENTS)}
    assert found == {
        (4, "SF102"): "recorded for ruff: noqa: BLE001",
        (11, "SF102"): "a plugin's failure must not stop the run",
        (18, "SF102"): "recorded for pylint: pylint: disable=broad-exception-caught",
        (25, "SF101"): "recorded for ruff: noqa",
        (32, "SF102"): None,
    }


def test_suppressed_by_a_peer_comment_the_verdict_is_go() -> None:
    change = FileChange("app.py", ChangeStatus.ADDED, PEER_COMMENTS.replace(b"E501", b"S110"))
    assert audit(AuditRequest(changes=(change,))).verdict.value == "GO"


def test_narrow_pass_in_a_try_with_else_is_never_told_to_use_suppress() -> None:
    data = (FIXTURES / "sf103_narrow_except_pass.py").read_bytes()
    opted_in = '[tool.ssot]\nselect = ["SF103"]\n'
    suggestions = {f.line: f.suggestion for f in sf_findings("app.py", data, opted_in)}
    line = next(n for n, text in enumerate(data.decode().splitlines(), 1)
                if "def positive_try_with_else" in text) + 3
    assert "suppress" not in suggestions[line]
    assert any("contextlib.suppress" in s for s in suggestions.values())
