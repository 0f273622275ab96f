"""`ssot-bot audit` run as users run it: a real process on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

from tests.gitrepo import GitRepo, audit_json, run_audit

SCHEMAS = Path(__file__).parent / "schemas"

CLEAN = "def total(items):\n    return sum(items)\n"
SWALLOWS = (
    "def load(path):\n"
    "    try:\n"
    "        return open(path).read()\n"
    "    except:\n"
    "        return None\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"app/__init__.py": "", "app/core.py": CLEAN})
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def rules_of(report: dict[str, object]) -> list[tuple[str, str, int]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["rule"], f["path"], f["line"]) for f in findings]


def test_a_clean_change_exits_0_and_says_go(repo: GitRepo) -> None:
    repo.commit("add helper", {"app/extra.py": CLEAN.replace("total", "grand_total")})
    done = run_audit("--repo", str(repo.root))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✅ GO" in done.stdout


def test_a_new_silent_failure_exits_1_and_names_the_line(repo: GitRepo) -> None:
    repo.commit("add loader", {"app/loader.py": SWALLOWS})
    done = run_audit("--repo", str(repo.root))
    assert done.returncode == 1
    assert "app/loader.py:4:5: SF101 bare-except-swallowed [error]" in done.stdout
    assert "❌ NO-GO" in done.stdout


def test_a_pre_existing_problem_is_not_blamed_on_the_change(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    repo.commit("old debt", {"app/loader.py": SWALLOWS})
    repo.git("checkout", "-q", "-b", "touch-elsewhere")
    repo.commit("unrelated edit", {"app/loader.py": SWALLOWS + "\n\nVERSION = '2'\n"})
    report = audit_json(repo)
    assert report["verdict"] == "GO"
    assert rules_of(report) == []


def test_editing_inside_an_old_silent_handler_counts(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    repo.commit("old debt", {"app/loader.py": SWALLOWS})
    repo.git("checkout", "-q", "-b", "edit-handler")
    repo.commit("tweak", {"app/loader.py": SWALLOWS.replace("return None", "return ''")})
    assert rules_of(audit_json(repo)) == [("SF101", "app/loader.py", 4)]


def test_a_moved_file_is_not_audited_as_new(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    repo.commit("old debt", {"app/loader.py": SWALLOWS})
    repo.git("checkout", "-q", "-b", "move")
    repo.git("mv", "app/loader.py", "app/loading.py")
    repo.commit("move")
    assert audit_json(repo)["verdict"] == "GO"


def test_all_mode_audits_every_file_of_a_single_commit_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "single")
    repo.commit("only", {"a.py": SWALLOWS, "b/c.py": CLEAN})
    report = audit_json(repo, "--all")
    assert report["verdict"] == "NO-GO"
    assert rules_of(report) == [("SF101", "a.py", 4)]
    assert report["mode"] == "all"


def test_json_output_follows_the_published_schema(repo: GitRepo) -> None:
    repo.commit("add loader", {"app/loader.py": SWALLOWS, "app/x.py": "def f(:\n"})
    report = audit_json(repo)
    schema = json.loads((SCHEMAS / "audit-result.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert {"SF101", "SX001"} <= {rule for rule, _, _ in rules_of(report)}
    checklist = cast(list[dict[str, Any]], report["checklist"])
    [silent] = [r for r in checklist if r["principle"] == "No Silent Failures"]
    assert silent["counts"]["errors"] == 1
    assert silent["places"] == [{"rule": "SF101", "path": "app/loader.py", "line": 4}]


def test_sarif_output_is_valid_sarif_2_1_0(repo: GitRepo) -> None:
    repo.commit("add loader", {"app/loader.py": SWALLOWS})
    done = run_audit("--repo", str(repo.root), "--format", "sarif")
    assert done.returncode == 1
    sarif = json.loads(done.stdout)
    schema = json.loads((SCHEMAS / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "SF101"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app/loader.py"
    assert location["region"]["startLine"] == 4


def test_markdown_output_is_the_pr_comment(repo: GitRepo) -> None:
    repo.commit("add loader", {"app/loader.py": SWALLOWS})
    out = run_audit("--repo", str(repo.root), "--format", "markdown").stdout
    assert out.startswith("<!-- ssot-bot:report -->\n")
    assert "| Principle | Status | Evidence |" in out
    assert "| **No Silent Failures** | ❌ FAIL |" in out


def test_output_file_receives_the_report(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("add loader", {"app/loader.py": SWALLOWS})
    target = tmp_path / "report.json"
    done = run_audit("--repo", str(repo.root), "--format", "json", "--output", str(target))
    assert done.returncode == 1
    assert done.stdout == ""
    assert json.loads(target.read_text())["verdict"] == "NO-GO"


def test_staged_change_is_audited_for_pre_commit(repo: GitRepo) -> None:
    repo.write("app/loader.py", SWALLOWS)
    repo.git("add", "app/loader.py")
    done = run_audit("--repo", str(repo.root), "--staged", "--format", "json")
    assert done.returncode == 1
    assert rules_of(json.loads(done.stdout)) == [("SF101", "app/loader.py", 4)]


def test_not_a_git_repository_exits_2_with_one_line(tmp_path: Path) -> None:
    done = run_audit("--repo", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "not a git repository" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_ref_exits_2_and_says_what_to_check(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--base", "no-such-branch")
    assert done.returncode == 2
    assert "unknown ref 'no-such-branch'" in done.stderr


def test_unparseable_config_exits_2_naming_the_file(repo: GitRepo) -> None:
    repo.commit("bad config", {"pyproject.toml": "[tool.ssot\nselect = 1\n"})
    done = run_audit("--repo", str(repo.root))
    assert done.returncode == 2
    assert "pyproject.toml is not valid TOML" in done.stderr


def test_unknown_config_key_is_a_finding_and_defaults_apply(repo: GitRepo) -> None:
    config = '[tool.ssot]\nexclude = ["legacy/**"]\nmax-file-byte = 10\n'
    repo.commit("config", {"pyproject.toml": config, "legacy/old.py": SWALLOWS,
                           "app/loader.py": SWALLOWS})
    report = audit_json(repo)
    found = rules_of(report)
    assert ("SX007", "pyproject.toml", 3) in found
    assert ("SF101", "app/loader.py", 4) in found
    assert not any(path.startswith("legacy/") for _, path, _ in found)


def test_bad_input_costs_a_note_per_file_and_the_rest_is_audited(repo: GitRepo) -> None:
    hostile: dict[str, str | bytes] = {
        "app/syntax.py": "def broken(:\n    pass\n",
        "app/binary.py": b"\x00\x01\x02\xff",
        "app/latin.py": "# no cookie\nNAME = 'caf\xe9'\n".encode("latin-1"),
        "app/deep.py": "y = " + " + ".join(f"a{i}" for i in range(10_000)) + "\n",
        "app/nested.py": "x = " + "[" * 150 + "]" * 150 + "\n",
        "app/loader.py": SWALLOWS,
    }
    repo.commit("hostile", hostile)
    report = audit_json(repo)
    notes = {(rule, path) for rule, path, _ in rules_of(report)}
    assert ("SX001", "app/syntax.py") in notes
    assert ("SX002", "app/binary.py") in notes
    assert ("SX002", "app/latin.py") in notes
    assert ("SX004", "app/deep.py") in notes
    assert ("SF101", "app/loader.py") in notes
    assert report["verdict"] == "NO-GO"


def test_oversized_file_is_noted_not_audited(repo: GitRepo) -> None:
    config = "[tool.ssot]\nmax-file-bytes = 100\n"
    repo.commit("big", {"pyproject.toml": config, "app/big.py": SWALLOWS * 5})
    report = audit_json(repo)
    assert rules_of(report) == [("SX003", "app/big.py", 1)]


def test_staged_change_in_a_repository_without_commits_is_audited(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "fresh")
    repo.write("a.py", SWALLOWS)
    repo.git("add", "a.py")
    done = run_audit("--repo", str(repo.root), "--staged", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert rules_of(json.loads(done.stdout)) == [("SF101", "a.py", 4)]
