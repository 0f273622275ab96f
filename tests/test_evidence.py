"""Positive evidence: what a change did right, credited only for names that resolve to
existing definitions of the project."""

from __future__ import annotations

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.model import EvidenceKind, Mode, PositiveEvidence, Principle

ENV = b"def get_env(name):\n    return name\n"
INIT_REEXPORT = b"from app.env import get_env\n"


def evidence(head: bytes, *, base: bytes | None = None, lines: frozenset[int] | None = None,
             context: dict[str, bytes] | None = None, config: str | None = None,
             path: str = "app/job.py") -> dict[Principle, tuple[PositiveEvidence, ...]]:
    status = ChangeStatus.MODIFIED if base is not None else ChangeStatus.ADDED
    result = audit(AuditRequest(
        changes=(FileChange(path, status, head, base, lines),),
        context={"app/__init__.py": b"", "app/env.py": ENV, **(context or {})},
        config_text=config))
    return {row.principle: row.positive for row in result.checklist}


def test_an_imported_project_function_that_is_called_is_credited_as_reuse() -> None:
    found = evidence(b"from app.env import get_env\n\n\ndef run():\n    return get_env('X')\n")
    assert found[Principle.SEARCH_FIRST] == (
        PositiveEvidence(EvidenceKind.REUSES, "app/env.py", 1, "get_env", "app/job.py"),)


def test_relative_and_module_imports_resolve_to_the_same_definition() -> None:
    for code in (b"from .env import get_env as read\n\nX = read('X')\n",
                 b"import app.env\n\nX = app.env.get_env('X')\n",
                 b"from app import env\n\nX = env.get_env('X')\n"):
        [credit] = evidence(code)[Principle.SEARCH_FIRST]
        assert (credit.path, credit.name) == ("app/env.py", "get_env"), code


def test_nothing_is_credited_that_does_not_resolve_to_a_project_definition() -> None:
    code = (b"import os\nfrom app import get_env\nfrom app.env import missing\n\n"
            b"X = os.path.join(get_env('X'), missing)\n")
    found = evidence(code, context={"app/__init__.py": INIT_REEXPORT})
    assert found[Principle.SEARCH_FIRST] == ()  # stdlib, a re-export, a name not defined


def test_definitions_the_change_adds_are_no_reuse() -> None:
    result = audit(AuditRequest(changes=(
        FileChange("app/job.py", ChangeStatus.ADDED,
                   b"from app.helpers import helper\n\nX = helper()\n"),
        FileChange("app/helpers.py", ChangeStatus.ADDED, b"def helper():\n    return 1\n"),
    ), context={"app/__init__.py": b""}))
    assert all(row.positive == () for row in result.checklist)


def test_lines_the_change_did_not_touch_earn_nothing() -> None:
    base = b"from app.env import get_env\n\nX = get_env('X')\n"
    head = base + b"Y = 2\n"
    found = evidence(head, base=base, lines=frozenset({4}))
    assert found[Principle.SEARCH_FIRST] == ()
    assert found[Principle.SINGLE_SOURCE_OF_TRUTH] == ()  # no new definition either


def test_a_new_definition_in_an_existing_module_extends_it() -> None:
    base = b"def start():\n    return 1\n"
    head = base + b"\n\ndef stop():\n    return start()\n"
    found = evidence(head, base=base, lines=frozenset({3, 4, 5, 6}))
    assert found[Principle.SINGLE_SOURCE_OF_TRUTH] == (
        PositiveEvidence(EvidenceKind.EXTENDS, "app/job.py", 5, "stop", "app/job.py"),)
    assert found[Principle.SEARCH_FIRST] == (
        PositiveEvidence(EvidenceKind.REUSES, "app/job.py", 1, "start", "app/job.py"),)


def test_settings_read_through_a_config_module_are_credited_to_configuration() -> None:
    config = b"import os\n\nsettings = object()\nDEBUG = os.environ.get('DEBUG')\n"
    found = evidence(b"from app.config import DEBUG, settings\n\nX = (settings, DEBUG)\n",
                     context={"app/config.py": config})
    assert [(e.kind, e.name) for e in found[Principle.CONFIGURATION_SSOT]] == [
        (EvidenceKind.READS_CONFIG, "DEBUG"), (EvidenceKind.READS_CONFIG, "settings")]


def test_tests_calling_the_code_earn_no_reuse() -> None:
    found = evidence(b"from app.env import get_env\n\n\ndef test_it():\n    get_env('X')\n",
                     path="tests/test_env.py")
    assert found[Principle.SEARCH_FIRST] == ()


def test_each_row_names_five_and_counts_the_rest() -> None:
    env = b"".join(b"def f%d():\n    return %d\n\n\n" % (n, n) for n in range(8))
    code = b"from app.env import " + b", ".join(b"f%d" % n for n in range(8)) + b"\n"
    result = audit(AuditRequest(changes=(FileChange("app/job.py", ChangeStatus.ADDED, code),),
                                context={"app/__init__.py": b"", "app/env.py": env}))
    [row] = [r for r in result.checklist if r.principle is Principle.SEARCH_FIRST]
    assert [e.name for e in row.positive] == ["f0", "f1", "f2", "f3", "f4"]
    assert row.positive_total == 8


def test_the_tested_row_lists_the_test_files_that_import_the_changed_module() -> None:
    found = evidence(b"def run():\n    return 1\n",
                     context={"tests/test_job.py": b"from app import job\n",
                              "tests/test_other.py": b"import app.env\n"},
                     config='[tool.ssot]\nseverity = { SS209 = "warning" }\n')
    assert found[Principle.TESTED] == (
        PositiveEvidence(EvidenceKind.TESTED_BY, "tests/test_job.py", 1, None, "app/job.py"),)


def test_the_tested_row_is_off_by_default_and_an_all_audit_credits_nothing() -> None:
    assert Principle.TESTED not in evidence(b"def run():\n    return 1\n")
    result = audit(AuditRequest(
        changes=(FileChange("app/job.py", ChangeStatus.ADDED,
                            b"from app.env import get_env\n\nX = get_env('X')\n"),),
        context={"app/__init__.py": b"", "app/env.py": ENV}, mode=Mode.ALL))
    assert all(row.positive == () for row in result.checklist)


def test_a_type_variable_of_the_module_is_no_reuse() -> None:
    base = b"import typing\n\nV = typing.TypeVar(\"V\")\n"
    head = base + b"\n\ndef first(items: list[V]) -> V:\n    return items[0]\n"
    found = evidence(head, base=base, lines=frozenset({4, 5, 6, 7}))
    assert found[Principle.SEARCH_FIRST] == ()
