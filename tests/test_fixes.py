"""Fixes: each codemod on before/after fixtures, the cases that get no fix and say why,
the fixer's child process surviving libcst's crash, and `ssot-bot audit --diff/--fix`
on real git repositories."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jsonschema
import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from analyzers.engine import FactsCache
from analyzers.fixes.edits import apply_edits
from analyzers.fixes.locate import Locator
from analyzers.fixes.outline import outline, restored
from analyzers.fixes.run import fix_files
from analyzers.model import Applicability, Edit
from bot.local import fixes as local_fixes
from bot.local.fixer import ChildFixer
from tests.gitrepo import GitRepo, run_audit

FIXTURES = Path(__file__).parent / "fixtures" / "fixes"
SCHEMAS = Path(__file__).parent / "schemas"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
EXPECTED = {
    "du303_renamed_copy": ("DU303", Applicability.UNSAFE),
    "sf101_existing_logger": ("SF101", Applicability.UNSAFE),
    "sf102_new_logger": ("SF102", Applicability.UNSAFE),
    "sf102_outlined_module": ("SF102", Applicability.UNSAFE),
    "sf105_quiet_log": ("SF105", Applicability.UNSAFE),
    "sf107_task_kept": ("SF107", Applicability.UNSAFE),
    "ss201_verbatim_copy": ("SS201", Applicability.SAFE),
    "ss202_constant_rebound": ("SS202", Applicability.SAFE),
    "ss203_conflicting_value": ("SS203", Applicability.UNSAFE),
    "ss204_env_read": ("SS204", Applicability.UNSAFE),
    "ss205_literal_named": ("SS205", Applicability.SAFE),
}


def case_request(case: Path) -> AuditRequest:
    """The `after/` files are the change (new files); the rest of `before/` is context."""
    before = {p.relative_to(case / "before").as_posix(): p.read_bytes()
              for p in sorted((case / "before").rglob("*")) if p.is_file()}
    config = before.pop("pyproject.toml", None)
    changed = sorted(p.relative_to(case / "after").as_posix()
                     for p in (case / "after").rglob("*.py"))
    return AuditRequest(
        changes=tuple(FileChange(path, ChangeStatus.ADDED, before[path]) for path in changed),
        context={p: data for p, data in before.items() if p not in changed},
        config_text=config.decode() if config else None,
    )


def fixed_request(request: AuditRequest, result: AuditResult) -> tuple[AuditRequest,
                                                                       dict[str, bytes]]:
    plan = local_fixes.choose(result.findings, unsafe=True)
    fixed = local_fixes.fixed_contents(request, plan)
    return local_fixes.after_fixes(request, fixed), fixed


def test_every_case_is_expected() -> None:
    assert sorted(EXPECTED) == CASES


@pytest.mark.parametrize("name", CASES)
def test_codemod_turns_before_into_after_and_the_finding_goes(name: str) -> None:
    case = FIXTURES / name
    request = case_request(case)
    rule, applicability = EXPECTED[name]
    result = audit(request, fixer=fix_files)
    flagged = [f for f in result.findings if f.rule == rule]
    assert flagged, [f.rule for f in result.findings]
    assert all(f.fix is not None and f.fix.applicability is applicability for f in flagged)
    assert not [f for f in result.findings if f.rule == "SX010"]
    after, fixed = fixed_request(request, result)
    for path, data in fixed.items():
        assert data.decode() == (case / "after" / path).read_text(), path
        ast.parse(data)
    again = audit(after)
    assert rule not in {f.rule for f in again.findings}, again.findings


def test_the_outline_keeps_every_line_ending_and_indent_and_gives_the_file_back() -> None:
    """libcst parses the outline: the definitions no task edits become stubs of as many
    lines, with the file's line endings, the body's indentation and the name, so what a
    codemod sees around its statement and writes is as in the file; the fixed outline
    gets the original code back."""
    text = ("import os\r\n\r\n@decorate(\r\n    1)\r\nclass Kept:\r\n  x = 1\r\n"
            "  def m(self):  # comment\r\n    return \"\"\"\r\n#\"\"\"\r\n\r\n"
            "def one(): return 1\r\n\r\ndef target():\r\n  try:\r\n    pass\r\n"
            "  except: pass\r\n\r\nasync def tail(\r\n  a):\r\n  await a")
    sketch = outline(text, ast.parse(text), {16})
    assert [original.splitlines()[-1] for _, original in sketch.stubs] == ['#"""', "  await a"]
    markers = [stub.splitlines()[0].partition("  # ")[2] for stub, _ in sketch.stubs]
    assert sketch.text.splitlines(keepends=True) == [
        "import os\r\n", "\r\n", f"class Kept:  # {markers[0]}\r\n", '  """\r\n',
        *["\r\n"] * 4, '  """\r\n', "\r\n", "def one(): return 1\r\n", "\r\n",
        "def target():\r\n", "  try:\r\n", "    pass\r\n", "  except: pass\r\n", "\r\n",
        f"def tail():  # {markers[1]}\r\n", '  """\r\n', '  """']
    assert all(marker.startswith("ssot-stub ") for marker in markers)
    assert restored(sketch.text, sketch.stubs) == text
    assert restored(sketch.text.replace('  """\r\n', "", 1), sketch.stubs) is None


def test_in_a_class_that_holds_the_fix_the_other_methods_are_stubbed() -> None:
    text = ("class Big:\n    x = 1\n\n    @property\n    def a(self):\n        return 1\n\n"
            "    def b(self):\n        try:\n            pass\n        except: pass\n"
            "\n    def c(self): return 3\n")
    sketch = outline(text, ast.parse(text), {11})
    [(stub, original)] = sketch.stubs
    assert original == "    @property\n    def a(self):\n        return 1\n"
    assert stub.startswith("    def a():  # ssot-stub ")
    assert stub.endswith('-0\n        """\n        """\n')
    assert sketch.text.replace(stub, original) == text
    assert restored(sketch.text, sketch.stubs) == text


def test_a_definition_whose_body_shares_a_line_with_its_signature_is_kept() -> None:
    """A stub's body is indented as the body's first line; a body that shares a line
    with the end of a signature (an `@overload` stub) has no such line of its own."""
    text = ("class Session:\n    @overload\n    def run(\n        self,\n    ) -> int: ...\n\n"
            "    def other(\n        self,\n    ):\n        return 2\n\n"
            "    def target(self):\n        try:\n            pass\n        except: pass\n")
    sketch = outline(text, ast.parse(text), {15})
    assert [original for _, original in sketch.stubs] == [
        "    def other(\n        self,\n    ):\n        return 2\n"]
    ast.parse(sketch.text)
    assert "    ) -> int: ...\n" in sketch.text
    assert restored(sketch.text, sketch.stubs) == text


def test_safe_fixes_leave_the_unsafe_ones_alone() -> None:
    request = case_request(FIXTURES / "sf102_new_logger")
    plan = local_fixes.choose(audit(request, fixer=fix_files).findings, unsafe=False)
    assert plan.fixed == [] and plan.edits == {}


# --- no fix, and the note says why ---------------------------------------------------

COPIED = FIXTURES / "ss201_verbatim_copy" / "before" / "app"


def ss201_request(existing_path: str, existing: str, new_module: str = "app/reports.py"
                  ) -> AuditRequest:
    new = (COPIED / "reports.py").read_bytes()
    context = {"app/__init__.py": b"", "app/storage.py": (COPIED / "storage.py").read_bytes(),
               existing_path: existing.encode()}
    if "/" in existing_path:
        context.setdefault(existing_path.rpartition("/")[0] + "/__init__.py", b"")
    return AuditRequest(changes=(FileChange(new_module, ChangeStatus.ADDED, new),),
                        context=context)


def notes_of(result: AuditResult) -> list[str]:
    return [f.message for f in result.findings if f.rule == "SX010"]


def test_no_fix_when_the_existing_module_imports_the_new_one() -> None:
    existing = "from app import reports\n\n" + (COPIED / "text.py").read_text()
    result = audit(ss201_request("app/text.py", existing), fixer=fix_files)
    [finding] = [f for f in result.findings if f.rule == "SS201"]
    assert finding.fix is None
    assert notes_of(result) == [
        "no fix for SS201 `slugify_title`: app/text.py imports app/reports.py (directly or "
        "not), so importing from it here would create an import cycle"
    ]


def test_no_fix_when_the_cycle_goes_through_another_module() -> None:
    existing = "from app import storage\n\n" + (COPIED / "text.py").read_text()
    request = ss201_request("app/text.py", existing)
    context = dict(request.context)
    context["app/storage.py"] = b"import app.reports\n\n\ndef folder():\n    return '/srv'\n"
    result = audit(AuditRequest(changes=request.changes, context=context), fixer=fix_files)
    assert [n.split(":", 1)[1].strip() for n in notes_of(result)] == [
        "app/text.py imports app/reports.py (directly or not), so importing from it here "
        "would create an import cycle"
    ]


def test_no_fix_when_the_existing_folder_is_not_a_module_name() -> None:
    result = audit(ss201_request("shared-code/text.py", (COPIED / "text.py").read_text()),
                   fixer=fix_files)
    [finding] = [f for f in result.findings if f.rule == "SS201"]
    assert finding.fix is None
    assert notes_of(result) == ["no fix for SS201 `slugify_title`: shared-code/text.py is "
                                "not importable as a module (`shared-code.text`)"]


def test_a_copy_of_a_standalone_file_is_not_told_to_import_it() -> None:
    result = audit(ss201_request("textutil.py", (COPIED / "text.py").read_text()),
                   fixer=fix_files)
    assert [f for f in result.findings if f.fix is not None] == []
    assert not [f for f in result.findings if f.rule == "SS201"]


def test_a_suppressed_finding_gets_no_fix() -> None:
    source = (FIXTURES / "sf102_new_logger" / "before" / "app" / "loader.py").read_text()
    source = source.replace("except Exception: return None",
                            "except Exception: return None  # ssot: ignore[SF102] optional")
    request = AuditRequest(changes=(FileChange("app/loader.py", ChangeStatus.ADDED,
                                               source.encode()),))
    [finding] = audit(request, fixer=fix_files).findings
    assert finding.suppressed and finding.fix is None


def test_a_codemod_that_cannot_apply_costs_a_note_not_the_finding() -> None:
    source = ("logger = 'not a logger'\n\n\ndef f():\n    try:\n        g()\n"
              "    except Exception:\n        pass\n")
    request = AuditRequest(changes=(FileChange("app/x.py", ChangeStatus.ADDED,
                                               source.encode()),))
    result = audit(request, fixer=fix_files)
    assert sorted(f.rule for f in result.findings) == ["SF102", "SX010"]
    assert notes_of(result) == ["no fix for SF102: `logger` already names something else "
                                "here"]


# --- the child process ----------------------------------------------------------------

HOSTILE_TERMS = 7_000
"""Measured with libcst 1.9 on Python 3.13 (2 busy cores): `ast` parses `y = a0 + ... +
aN` up to at least 8,000 terms (RecursionError at 10,000), so the audit reads the file;
libcst's native parser answers at 6,125 terms and not within a minute from about 6,150.
At 7,000 it segfaulted once after a few seconds and, on a busier machine, ran past 30 s:
which one the child meets depends on the load, and both must cost only this file's fixes."""


def test_a_fixer_that_crashes_costs_that_files_fixes_and_the_audit_goes_on() -> None:
    hostile = ("def f():\n    try:\n        g()\n    except:\n        pass\n\n\n"
               "y = " + " + ".join(f"a{i}" for i in range(HOSTILE_TERMS)) + "\n")
    ast.parse(hostile)
    ordinary = (FIXTURES / "sf102_new_logger" / "before" / "app" / "loader.py").read_bytes()
    request = AuditRequest(changes=(
        FileChange("app/hostile.py", ChangeStatus.ADDED, hostile.encode()),
        FileChange("app/loader.py", ChangeStatus.ADDED, ordinary),
    ))
    result = audit(request, fixer=ChildFixer(seconds_per_file=8))
    by_rule = {(f.path, f.rule): f for f in result.findings}
    assert by_rule["app/hostile.py", "SF101"].fix is None
    note = by_rule["app/hostile.py", "SX010"].message
    assert note.startswith(("no fix for SF101: the fixer crashed on this file (exit code -",
                            "no fix for SF101: the fixer timed out on this file (over 8 s)"))
    assert by_rule["app/loader.py", "SF102"].fix is not None


def test_the_fixers_answers_are_remembered_and_its_losses_are_not() -> None:
    """With a cache, a task answered before is not asked again (a fixer given no time at
    all still returns its fix), and a time-out is not remembered."""
    request = case_request(FIXTURES / "sf102_new_logger")
    cache: FactsCache = {}
    first = audit(request, fixer=ChildFixer(cache=cache))
    fixed = [f.fix for f in first.findings if f.rule == "SF102"]
    assert fixed and all(fixed)
    assert any(key.startswith(b"fix:") for key in cache)
    again = audit(request, fixer=ChildFixer(seconds_per_file=0.0, cache=cache))
    assert [f.fix for f in again.findings if f.rule == "SF102"] == fixed
    assert not [f for f in again.findings if f.rule == "SX010"]

    untimed: FactsCache = {}
    lost = audit(request, fixer=ChildFixer(seconds_per_file=0.0, cache=untimed))
    assert [f.message for f in lost.findings if f.rule == "SX010"] == [
        "no fix for SF102: the fixer timed out on this file (over 0 s)"]
    assert not any(key.startswith(b"fix:") for key in untimed)


LOCATOR_CASES = {
    "decorators, `;` and comments": (
        "# header\n\nimport os; import sys\n\n\n@decorate(\n    1)\n@other\n"
        "def f():  # trailing\n    try:\n        g()\n    except Exception:\n        pass\n"
        "    # a footer comment of the block\n\n# between\nclass C: x = 1\n"
        "async def h():\n    await g()\n"),
    "CRLF and no newline at the end": "x = 1\r\n\r\ndef f():\r\n    return '\\r'\r\ny = 2",
    "a form feed and a continued line": "x = 1\n\x0c\ndef f(a,\n      b):\n    return a \\\n"
                                        "        + b\n",
}


@pytest.mark.parametrize("name", sorted(LOCATOR_CASES))
def test_positions_of_one_statement_are_the_whole_modules(name: str) -> None:
    text = LOCATOR_CASES[name]
    module, tree = cst.parse_module(text), ast.parse(text)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    locator = Locator(module, tree, text)
    # The lines plans name: where a node starts (a decorator's is before its statement's
    # own position, so it is found through the statement's `ast` lines).
    for line in sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.stmt | ast.expr)}):
        (index,) = [i for i, s in enumerate(module.body) if line <= whole[s].end.line][:1]
        located = locator.at(line)
        assert located is not None and located.index == index, line
        assert module.body[index] in located.positions
        assert all(whole[node] == where for node, where in located.positions.items())
        assert len(located.positions) < len(whole), "not the whole module's positions"


def test_the_ten_thousand_term_file_never_reaches_libcst() -> None:
    """`ast` gives up on `y = a0 + ... + a9999` itself (SX004), so nothing is planned for
    the fixer and its bare `except: pass` is not audited, let alone fixed."""
    source = ("try:\n    g()\nexcept:\n    pass\n\n"
              "y = " + " + ".join(f"a{i}" for i in range(10_000)) + "\n")
    request = AuditRequest(changes=(FileChange("app/huge.py", ChangeStatus.ADDED,
                                               source.encode()),))
    result = audit(request, fixer=ChildFixer(seconds_per_file=8))
    assert [f.rule for f in result.findings] == ["SX004"]


# --- edits ----------------------------------------------------------------------------


def test_edits_at_one_place_are_written_in_the_order_given() -> None:
    text = "a\nb\nc\n"
    edits = [Edit("x", 2, 1, 3, 1, "B\n"), Edit("x", 2, 1, 2, 1, "one\n"),
             Edit("x", 2, 1, 2, 1, "two\n"), Edit("x", 4, 1, 4, 1, "d\n")]
    assert apply_edits(text, edits) == "a\nB\none\ntwo\nc\nd\n"
    assert apply_edits(text, edits[1:3] + edits[:1] + edits[3:]) == "a\none\ntwo\nB\nc\nd\n"


# --- ssot-bot audit --diff / --fix on real repositories ---------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    case = FIXTURES / "ss201_verbatim_copy" / "before"
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {p: (case / p).read_text() for p in
                            ("app/__init__.py", "app/text.py", "app/storage.py")})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("reports", {"app/reports.py": (case / "app" / "reports.py").read_text(),
                            "app/loader.py": (FIXTURES / "sf102_new_logger" / "before" / "app"
                                              / "loader.py").read_text()})
    return repo


def test_diff_prints_the_safe_fixes_and_writes_nothing(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--diff")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("--- a/app/reports.py\n+++ b/app/reports.py\n")
    assert "+from app.text import slugify_title\n" in done.stdout
    assert "app/loader.py" not in done.stdout  # its fix is unsafe
    assert repo.git("status", "--porcelain") == ""


def test_fix_applies_safe_fixes_and_reports_what_is_left(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--fix")
    assert done.returncode == 0, done.stderr  # the unsafe SF102, a warning, is left
    expected = (FIXTURES / "ss201_verbatim_copy" / "after" / "app" / "reports.py").read_text()
    fixed = (repo.root / "app" / "reports.py").read_text()
    assert fixed == expected
    ast.parse(fixed)
    assert "fixed 1 finding in 1 file" in done.stderr
    assert "SS201" not in done.stdout
    assert "app/loader.py:9:5: SF102" in done.stdout
    assert "[*] 0 fixable with --fix (1 more with --unsafe-fixes)" in done.stdout
    repo.commit("fixed")
    again = run_audit("--repo", str(repo.root), "--format", "json")
    rules = {(f["rule"], f["path"]) for f in json.loads(again.stdout)["findings"]}
    assert rules == {("SF102", "app/loader.py")}


def test_unsafe_fixes_fix_everything_and_the_change_goes(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--fix", "--unsafe-fixes")
    assert done.returncode == 0, done.stdout + done.stderr
    loader = (repo.root / "app" / "loader.py").read_text()
    assert loader == (FIXTURES / "sf102_new_logger" / "after" / "app" / "loader.py").read_text()
    repo.commit("fixed")
    assert run_audit("--repo", str(repo.root)).returncode == 0


def test_fix_skips_a_file_edited_since_the_audited_commit(repo: GitRepo) -> None:
    edited = (repo.root / "app" / "reports.py").read_text() + "# typed after the commit\n"
    repo.write("app/reports.py", edited)
    done = run_audit("--repo", str(repo.root), "--head", "HEAD", "--fix", "--unsafe-fixes")
    assert (repo.root / "app" / "reports.py").read_text() == edited
    assert done.stderr.count("skipped app/reports.py: the working tree differs from the "
                             "audited contents") == 1
    assert "SS201" in done.stdout
    assert "logger.exception" in (repo.root / "app" / "loader.py").read_text()


def test_fix_on_another_head_than_the_checkout_is_a_usage_error(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--fix", "--head", "main")
    assert done.returncode == 2
    assert "--fix writes the working tree" in done.stderr


def test_fixable_findings_are_marked_and_counted(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root))
    assert "app/reports.py:7:1: [*] SS201 duplicate-definition" in done.stdout
    assert "app/loader.py:9:5: SF102 broad-except-swallowed" in done.stdout
    assert "[*] 1 fixable with --fix (1 more with --unsafe-fixes)" in done.stdout


def test_json_and_sarif_carry_the_fixes(repo: GitRepo) -> None:
    report = json.loads(run_audit("--repo", str(repo.root), "--format", "json").stdout)
    jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / "audit-result.schema.json").read_text())).validate(report)
    fixes = {f["rule"]: f["fix"] for f in report["findings"]}
    assert fixes["SS201"]["applicability"] == "safe"
    [edit] = fixes["SS201"]["edits"]  # the import in, the copy out: lines 5-11
    assert (edit["path"], edit["line"], edit["column"], edit["end_line"],
            edit["end_column"]) == ("app/reports.py", 5, 1, 12, 1)
    assert edit["content"].startswith("from app.text import slugify_title\n")
    sarif = json.loads(run_audit("--repo", str(repo.root), "--format", "sarif").stdout)
    jsonschema.Draft4Validator(
        json.loads((SCHEMAS / "sarif-2.1.0-rtm.5.json").read_text())).validate(sarif)
    [change] = next(r for r in sarif["runs"][0]["results"]
                    if r["ruleId"] == "SS201")["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/reports.py"
    [replacement] = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 5, "startColumn": 1, "endLine": 12,
                                            "endColumn": 1}
    assert replacement["insertedContent"]["text"].startswith(
        "from app.text import slugify_title\n")


def test_a_duplicated_function_whose_copied_region_starts_before_its_def_is_fixed() -> None:
    """A short helper copied along with the function: DU303 still names the existing
    function's `def` (not where the copied region starts) and the fix imports it."""
    case = case_request(FIXTURES / "du303_renamed_copy")
    helper = "\n\ndef unquote(value):\n    return value[1:-1]\n"
    context = dict(case.context)
    context["app/text.py"] = context["app/text.py"].replace(
        b"\n\ndef slugify_title", helper.encode() + b"\n\ndef slugify_title")
    [change] = case.changes
    assert change.head is not None
    head = change.head.replace(b"\n\ndef report_slug", helper.encode() + b"\n\ndef report_slug")
    request = AuditRequest(changes=(FileChange(change.path, ChangeStatus.ADDED, head),),
                           context=context)
    [finding] = [f for f in audit(request, fixer=fix_files).findings if f.rule == "DU303"]
    assert "duplicates `slugify_title` at app/text.py:9 " in finding.message
    assert finding.fix is not None


def test_no_fix_imports_from_a_module_that_refuses_some_platforms() -> None:
    """Measured on click (`benchmarks/fix_quality.py`): its `_winconsole` asserts
    `sys.platform == "win32"` at import, so importing a constant from it broke click."""
    existing = ("import sys\n\nassert sys.platform == 'win32'\n\n"
                + (COPIED / "text.py").read_text())
    result = audit(ss201_request("app/text.py", existing), fixer=fix_files)
    [finding] = [f for f in result.findings if f.rule == "SS201"]
    assert finding.fix is None
    assert notes_of(result) == [
        "no fix for SS201 `slugify_title`: app/text.py refuses to be imported in some "
        "conditions (a module-level `assert` or `raise`, such as a platform check)"]
