"""A change counts where it changed the code's syntax, not where it only changed layout
(issue 9, class 10): formatter runs, comments added to old code, moved statements."""

from __future__ import annotations

from pathlib import Path

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from tests.fixture_repos import changed_lines
from tests.gitrepo import GitRepo, run_audit

OLD = (
    "import os\n"
    "\n"
    "\n"
    "def size(path):\n"
    "    try:\n"
    "        return os.stat(path).st_size\n"
    "    except:\n"
    "        return 0\n"
    "\n"
    "\n"
    "LABEL = 'size'\n"
)


def audit_modified(base: str, head: str) -> AuditResult:
    change = FileChange("app/mod.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    return audit(AuditRequest(changes=(change,)))


def rules(result: AuditResult) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in result.findings]


def test_a_formatter_run_over_old_code_is_not_new_code() -> None:
    head = OLD.replace("'size'", '"size"').replace(
        "        return os.stat(path).st_size\n",
        "        return os.stat(\n            path\n        ).st_size\n",
    )
    assert changed_lines(OLD, head)  # git sees changed lines ...
    result = audit_modified(OLD, head)
    assert rules(result) == []  # ... but no statement changed its syntax
    assert result.verdict.value == "GO"


def test_a_comment_added_inside_an_old_handler_does_not_blame_it() -> None:
    head = OLD.replace("    except:\n", "    except:  # pragma: no cover\n")
    head = head.replace("        return 0\n", "        # the size of what is not there\n"
                                             "        return 0\n")
    assert rules(audit_modified(OLD, head)) == []


def test_altering_an_old_handler_blames_it() -> None:
    head = OLD.replace("        return 0\n", "        return -1\n")
    assert rules(audit_modified(OLD, head)) == [("SF101", 7)]


def test_a_new_copy_of_an_old_statement_is_new_code() -> None:
    copy = OLD.split("\n\n\n")[1]
    head = OLD + "\n\n" + copy.replace("def size", "def size_of")
    assert ("SF101", 7) not in rules(audit_modified(OLD, head))
    assert ("SF101", 17) in rules(audit_modified(OLD, head))


def test_a_base_that_does_not_parse_counts_every_changed_line() -> None:
    head = OLD.replace("    except:\n", "    except:  # pragma: no cover\n")
    result = audit_modified(OLD + "def (:\n", head)
    assert rules(result) == [("SF101", 7)]


def test_cli_reformat_commit_is_go_and_real_change_is_no_go(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"app/__init__.py": "", "app/mod.py": OLD})
    repo.commit("black", {"app/mod.py": OLD.replace("'size'", '"size"').replace(
        "    except:\n", "    except:  # pragma: no cover\n")})
    formatted = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--head", "HEAD")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    repo.commit("edit", {"app/mod.py": OLD.replace("return 0", "return None")})
    edited = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--head", "HEAD")
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert "SF101" in edited.stdout


def test_a_verbatim_paste_next_to_its_original_is_new_code() -> None:
    """The alignment may take the paste for the original and the original for the new
    copy; git's changed lines are the paste, and they must still count."""
    function = OLD.split("\n\n\n")[1] + "\n\n"
    tail = "LABEL = 'size'\nUNIT = 'bytes'\nLIMIT = 10\n"
    base = function + tail  # the paste plus the tail is the longest match
    head = function + function + tail
    pasted = frozenset(range(function.count("\n") + 1, 2 * function.count("\n") + 1))
    change = FileChange("app/mod.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        pasted)
    result = audit(AuditRequest(changes=(change,)))
    assert "SF101" in {f.rule for f in result.findings}
