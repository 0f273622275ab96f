"""SS2xx rules on small multi-module repositories.

Each folder under tests/fixtures/ssot is a repository (format: tests/fixture_repos.py).
Each line of a changed file that ends with `# SSnnn` (several ids may follow) must be
flagged with exactly those SS rules, and every other line must stay clean.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from analyzers.model import Mode, Severity
from tests.fixture_repos import request_for

FIXTURES = Path(__file__).parent / "fixtures" / "ssot"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
# Every rule id on the line, whatever its family: a construct reported twice cannot pass.
EXPECTATION = re.compile(r"#\s*((?:[A-Z]{2}\d{3}\s*)+)$")


def expected(request: AuditRequest) -> set[tuple[str, int, str]]:
    marks: set[tuple[str, int, str]] = set()
    for change in request.changes:
        assert change.head is not None
        for number, line in enumerate(change.head.decode().splitlines(), 1):
            match = EXPECTATION.search(line)
            if match:
                marks.update((change.path, number, rule) for rule in match.group(1).split())
    return marks


def audit_case(name: str) -> AuditResult:
    return audit(request_for(FIXTURES / name))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_flags_exactly_the_marked_lines(case: Path) -> None:
    request = request_for(case)
    result = audit(request)
    found = {(f.path, f.line, f.rule) for f in result.findings}
    assert found == expected(request)


def test_every_ssot_rule_has_a_positive_case() -> None:
    from analyzers.registry import ALL_RULES

    marked = {rule for case in CASES for _, _, rule in expected(request_for(case))}
    assert {rule.id for rule in ALL_RULES if rule.id.startswith("SS")} <= marked


def test_duplicate_definition_names_the_existing_place_and_the_import() -> None:
    [finding] = [f for f in audit_case("ss201_function_already_exists").findings
                 if f.rule == "SS201"]
    assert finding.related[0].path == "app/config.py"
    assert finding.related[0].line == 4
    assert "app/config.py:4" in finding.message
    assert "`from app.config import get_env`" in finding.suggestion
    assert finding.subject == "get_env"


def test_src_layout_import_is_suggested_without_src() -> None:
    [finding] = [f for f in audit_case("ss201_verbatim_copy_into_tests").findings
                 if f.rule == "SS201"]
    assert "from shop.text import slugify_title" in finding.suggestion
    assert "same body" in finding.message


def test_duplicate_constant_value_points_at_the_named_constant() -> None:
    findings = [f for f in audit_case("ss202_constant_value_exists").findings
                if f.rule == "SS202" and f.subject == "AUTH_COOKIE"]
    assert [(r.path, r.line) for r in findings[0].related] == [("app/config.py", 1)]
    assert "SESSION_COOKIE_NAME" in findings[0].message


def test_env_read_is_an_error_only_once_config_modules_are_declared() -> None:
    declared = audit_case("ss204_env_read_with_config_modules")
    assert {f.severity for f in declared.findings if f.rule == "SS204"} == {Severity.ERROR}
    request = request_for(FIXTURES / "ss204_env_read_with_config_modules")
    undeclared = audit(AuditRequest(changes=request.changes, context=request.context))
    severities = {(f.path, f.line, f.severity) for f in undeclared.findings
                  if f.rule == "SS204"}
    assert severities == {("app/mailer.py", 7, Severity.WARNING)}  # config.py reads it too


def test_two_reads_of_one_computed_variable_on_one_line_are_one_finding() -> None:
    result = audit_case("ss204_env_read_with_config_modules")
    assert len([f for f in result.findings if f.rule == "SS204" and f.line == 16]) == 1


def test_env_read_points_at_the_config_module_reading_the_same_variable() -> None:
    result = audit_case("ss204_env_read_with_config_modules")
    [finding] = [f for f in result.findings if f.rule == "SS204" and f.subject == "SMTP_HOST"]
    assert [(r.path, r.line) for r in finding.related] == [("app/config.py", 4)]


def test_acceptable_duplicate_entry_turns_the_finding_acceptable() -> None:
    request = request_for(FIXTURES / "ss201_function_already_exists")
    config = (
        "[[tool.ssot.acceptable-duplicates]]\n"
        'names = ["get_env"]\n'
        'reason = "billing reads optional variables"\n'
    )
    result = audit(AuditRequest(changes=request.changes, context=request.context,
                                config_text=config))
    [finding] = [f for f in result.findings if f.rule == "SS201"]
    assert finding.suppression is not None
    assert finding.suppression.reason == "billing reads optional variables"
    assert result.verdict.value == "GO"


def test_suppression_comment_silences_a_cross_file_finding() -> None:
    request = request_for(FIXTURES / "ss201_function_already_exists")
    [billing] = request.changes
    assert billing.head is not None
    head = billing.head.replace(
        b"def get_env(name: str) -> str:  # SS201",
        b"def get_env(name: str) -> str:  # ssot: ignore[SS201] optional variables",
    )
    changes = (FileChange(billing.path, ChangeStatus.ADDED, head),)
    result = audit(AuditRequest(changes=changes, context=request.context))
    [finding] = [f for f in result.findings if f.rule == "SS201"]
    assert finding.suppressed


def test_a_changed_signature_of_an_existing_definition_is_not_a_new_one() -> None:
    request = request_for(FIXTURES / "ss201_only_new_definitions_count")
    [report] = request.changes
    assert report.changed_lines is not None and 1 in report.changed_lines
    found = {f.line for f in audit(request).findings if f.rule == "SS201"}
    assert found == {9}


def test_disabled_rule_reports_nothing() -> None:
    request = request_for(FIXTURES / "ss201_function_already_exists")
    result = audit(AuditRequest(changes=request.changes, context=request.context,
                                config_text='[tool.ssot]\nignore = ["SS2"]\n'))
    assert not [f for f in result.findings if f.rule.startswith("SS")]


def test_neighbours_are_reported_in_the_stats() -> None:
    result = audit_case("ss201_function_already_exists")
    assert result.stats.neighbours == ("app/__init__.py", "app/config.py")


def test_index_max_files_bounds_what_is_searched() -> None:
    request = request_for(FIXTURES / "ss201_function_already_exists")
    capped = audit(AuditRequest(changes=request.changes, context=request.context,
                                config_text="[tool.ssot]\nindex-max-files = 2\n"))
    assert [f for f in capped.findings if f.rule == "SS201"] == []


def test_magic_value_names_the_constant_to_use() -> None:
    [finding] = [f for f in audit_case("ss205_literal_has_a_name").findings
                 if f.rule == "SS205"]
    assert finding.message == "'sessionid' is the value of `SESSION_COOKIE_NAME` (app/config.py:1)"
    assert finding.suggestion == "use `SESSION_COOKIE_NAME` from app/config.py"
    assert finding.severity is Severity.WARNING


def test_a_verbatim_copy_is_an_error_and_a_same_name_rewrite_a_warning() -> None:
    [copied] = [f for f in audit_case("ss201_verbatim_copy_into_tests").findings
                if f.rule == "SS201"]
    [renamed] = [f for f in audit_case("ss201_function_already_exists").findings
                 if f.rule == "SS201"]
    assert (copied.severity, renamed.severity) == (Severity.ERROR, Severity.WARNING)


def test_a_copy_in_a_folder_that_is_not_a_python_name_is_not_told_to_import_it() -> None:
    [finding] = [f for f in audit_case("ss201_not_importable").findings if f.rule == "SS201"]
    assert finding.suggestion.startswith("move `describe_options` into an importable module")
    assert "`tools-x.helpers` is not a Python module name" in finding.suggestion


def all_mode(name: str) -> AuditResult:
    """The case audited with `--all`: every file of the repository is new."""
    request = request_for(FIXTURES / name)
    files = {change.path: change.head for change in request.changes if change.head}
    files.update(request.context)
    changes = tuple(FileChange(path, ChangeStatus.ADDED, head)
                    for path, head in sorted(files.items()))
    return audit(AuditRequest(changes=changes, mode=Mode.ALL,
                              config_text=request.config_text))


def test_all_mode_reports_a_pair_once_at_the_later_path() -> None:
    found = [(f.path, f.related[0].path) for f in all_mode("ss201_renamed_copy").findings
             if f.rule == "SS201"]
    assert found == [("app/pricing.py", "app/checkout.py")]


def test_all_mode_leaves_standalone_files_alone() -> None:
    assert [f for f in all_mode("ss201_standalone_files").findings
            if f.rule.startswith("SS")] == []


def test_all_mode_finds_what_a_diff_adding_the_same_lines_finds() -> None:
    in_diff = {(f.path, f.line, f.rule) for f in audit_case("ss205_values_anywhere").findings
               if f.rule == "SS205"}
    in_all = {(f.path, f.line, f.rule) for f in all_mode("ss205_values_anywhere").findings
              if f.rule == "SS205"}
    assert in_diff and in_diff <= in_all


def test_a_literal_with_an_invalid_escape_is_still_read() -> None:
    """Reading a literal must not depend on the warning filters: under `-W error` (as in
    this suite) Python turns the invalid escape's SyntaxWarning into a SyntaxError, and
    the restated value was missed."""
    head = b'def check(value):\n    return match("acme_sku_[a-z\\]]_v3", value)\n'
    context = {"app/consts.py": b'SKU_PATTERN = "acme_sku_[a-z\\]]_v3"\n',
               "app/__init__.py": b""}
    change = FileChange("app/mod.py", ChangeStatus.ADDED, head)
    result = audit(AuditRequest(changes=(change,), context=context))
    assert [f.rule for f in result.findings] == ["SS205"]


@pytest.mark.parametrize("name", ["config.py", "_config.py", "settings.py", "conf.py"])
def test_a_module_named_as_config_reads_the_environment_until_others_are_declared(
        name: str) -> None:
    read = b"import os\n\nMODE = os.environ.get('APP_MODE', 'dev')\n"
    other = {"app/other.py": b"import os\n\nMODE = os.environ.get('APP_MODE')\n"}
    change = FileChange(f"app/{name}", ChangeStatus.ADDED, read)
    undeclared = audit(AuditRequest(changes=(change,), context=other))
    assert [f for f in undeclared.findings if f.rule == "SS204"] == []
    declared = audit(AuditRequest(changes=(change,), context=other,
                                  config_text='[tool.ssot]\nconfig-modules = ["app/env.py"]\n'))
    assert [(f.path, f.line) for f in declared.findings if f.rule == "SS204"] == [
        (f"app/{name}", 3)]


def test_whole_tree_audit_finds_every_literal_a_diff_adding_it_would_find() -> None:
    """Each module names its own default and restates it: `--all` has no change to
    measure neighbours from, and must still find what a diff adding each line finds."""
    files = {"ui/__init__.py": b""}
    for number, theme in enumerate(("solarized-dark", "monokai-pro", "nord-frost")):
        files[f"ui/panel_{number}.py"] = (
            f'DEFAULT_THEME = "{theme}"\n\n\ndef pick(theme=None):\n'
            f'    return theme or "{theme}"\n').encode()
    changes = tuple(FileChange(p, ChangeStatus.ADDED, d) for p, d in files.items())
    whole = audit(AuditRequest(changes=changes, mode=Mode.ALL))
    in_all = {(f.path, f.line) for f in whole.findings if f.rule == "SS205"}
    in_diffs: set[tuple[str, int]] = set()
    for path, data in files.items():
        context = {p: d for p, d in files.items() if p != path}
        one = audit(AuditRequest(changes=(FileChange(path, ChangeStatus.ADDED, data),),
                                 context=context))
        in_diffs |= {(f.path, f.line) for f in one.findings if f.rule == "SS205"}
    assert in_diffs == {(f"ui/panel_{n}.py", 5) for n in range(3)}
    assert in_diffs <= in_all
