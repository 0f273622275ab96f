"""What `ssot-bot audit` compares and how it says so, as a user runs it: a real process
on real git repositories (merge-base, working tree, shallow clones, config, baseline),
the text report for people, `rule`, `init` and SARIF for code scanning."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

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
SILENT_FAILURES_ONLY = '[tool.ssot]\nselect = ["SF", "SX"]\n'
"""The tests' repositories repeat one handler; the copies are not what they test."""
QUIET_ERROR = (  # SF108: a warning
    "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
    "def save(write):\n"
    "    try:\n"
    "        write()\n"
    "    except Exception as exc:\n"
    "        logger.error('save failed: %s', exc)\n"
)


def run_ssot(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, check=False, timeout=120, env=env, cwd=cwd)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"app/__init__.py": "", "app/core.py": CLEAN,
                            "app/loader.py": SWALLOWS, "pyproject.toml": SILENT_FAILURES_ONLY})
    return repo


def rules_of(report: dict[str, object]) -> list[tuple[str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["rule"], f["path"]) for f in findings]


def test_base_is_the_merge_base_so_what_main_fixed_since_is_not_blamed(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", {"app/extra.py": CLEAN.replace("total", "grand_total")})
    repo.git("checkout", "-q", "main")
    repo.commit("fix the loader on main", {"app/loader.py": CLEAN.replace("total", "load")})
    repo.git("checkout", "-q", "feature")
    three_dot = audit_json(repo, "--base", "main")
    assert three_dot["verdict"] == "GO"
    assert rules_of(three_dot) == []
    # Two dots compare with main's tip: the fix looks undone by the branch.
    two_dot = audit_json(repo, "--base", "main", "--base-exact")
    assert ("SF101", "app/loader.py") in rules_of(two_dot)


def test_every_format_names_the_compared_base_and_head(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    head = repo.commit("add", {"app/extra.py": SWALLOWS.replace("load", "fetch")})
    text = run_audit("--repo", str(repo.root), "--head", "HEAD").stdout
    assert text.splitlines()[0] == f"ssot-bot audit of base {base[:12]}, head {head[:12]}"
    stats = audit_json(repo)["stats"]
    assert isinstance(stats, dict)
    assert (stats["base"], stats["head"], stats["head_source"]) == (base, head, "working-tree")
    markdown = run_audit("--repo", str(repo.root), "--format", "markdown").stdout
    assert f"· base `{base[:12]}` · head `{head[:12]}` (working tree)" in markdown
    sarif = json.loads(run_audit("--repo", str(repo.root), "--format", "sarif").stdout)
    [provenance] = sarif["runs"][0]["versionControlProvenance"]
    assert provenance["revisionId"] == head
    assert provenance["properties"]["baseRevisionId"] == base
    assert provenance["repositoryUri"] == repo.root.as_uri()


def test_a_shallow_clone_short_of_the_merge_base_says_how_to_fetch(repo: GitRepo,
                                                                   tmp_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    for n in range(3):
        repo.commit(f"feature {n}", {f"app/f{n}.py": CLEAN.replace("total", f"t{n}")})
    repo.git("checkout", "-q", "main")
    repo.commit("main moves", {"app/m.py": CLEAN.replace("total", "m")})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature",
                    "--no-single-branch", repo.root.as_uri(), str(clone)], check=True)
    done = run_audit("--repo", str(clone), "--base", "origin/main")
    assert done.returncode == 2
    assert "fetch-depth: 0" in done.stderr
    assert "git fetch --unshallow" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_empty_change_says_nothing_to_audit(repo: GitRepo) -> None:
    done = run_audit("--repo", str(repo.root), "--base", "HEAD")
    assert done.returncode == 0
    assert "nothing to audit" in done.stderr
    assert "✅ GO: 0 errors, 0 warnings; nothing to audit" in done.stdout


def test_the_working_tree_is_audited_with_its_own_config(repo: GitRepo) -> None:
    repo.write("app/core.py", CLEAN + "\n\n" + SWALLOWS.replace("load", "read_all"))
    repo.write("app/untracked.py", SWALLOWS.replace("load", "stray"))
    found = audit_json(repo, "--base", "HEAD")
    assert rules_of(found) == [("SF101", "app/core.py")]  # untracked files are not ours
    assert audit_json(repo, "--base", "HEAD", "--head", "HEAD")["findings"] == []
    repo.write("pyproject.toml", SILENT_FAILURES_ONLY + 'ignore = ["SF101"]\n')
    repo.git("add", "pyproject.toml")
    assert audit_json(repo, "--base", "HEAD")["findings"] == []


def test_config_from_another_file(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("swallow", {"app/more.py": SWALLOWS.replace("load", "more")})
    other = tmp_path / "strict.toml"
    other.write_text(SILENT_FAILURES_ONLY + 'ignore = ["SF"]\n')
    assert audit_json(repo, "--base", "HEAD~1", "--config", str(other))["verdict"] == "GO"
    assert audit_json(repo, "--base", "HEAD~1")["verdict"] == "NO-GO"
    missing = run_audit("--repo", str(repo.root), "--config", str(tmp_path / "none.toml"))
    assert missing.returncode == 2
    assert "cannot read --config" in missing.stderr


def test_per_file_ignores_leave_rules_out_on_matching_paths(repo: GitRepo) -> None:
    config = SILENT_FAILURES_ONLY + '[tool.ssot.per-file-ignores]\n"scripts/**" = ["SF"]\n'
    repo.commit("scripts", {"pyproject.toml": config, "scripts/run.py": SWALLOWS,
                            "app/more.py": SWALLOWS.replace("load", "more")})
    assert rules_of(audit_json(repo, "--base", "HEAD~1")) == [("SF101", "app/more.py")]


def test_text_lists_errors_first_then_the_failing_checklist_and_one_summary(
        repo: GitRepo) -> None:
    repo.commit("both", {"app/a.py": QUIET_ERROR, "app/b.py": SWALLOWS.replace("load", "b")})
    out = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--color", "never").stdout
    lines = out.splitlines()
    finding_lines = [line for line in lines if line.startswith("app/")]
    assert "[error]" in finding_lines[0] and "app/b.py" in finding_lines[0]
    assert "[warning]" in finding_lines[1] and "app/a.py" in finding_lines[1]
    assert any(line.startswith("No Silent Failures") and "FAIL" in line for line in lines)
    assert lines[-1].startswith("❌ NO-GO: 1 error, 1 warning")
    assert "\x1b[" not in out


def test_a_passing_audit_shows_the_table_only_when_asked(repo: GitRepo) -> None:
    repo.commit("clean", {"app/c.py": CLEAN.replace("total", "c")})
    plain = run_audit("--repo", str(repo.root), "--base", "HEAD~1").stdout
    assert "No Silent Failures" not in plain
    table = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--table").stdout
    assert "No Silent Failures                     PASS" in table


def terminal_output(args: list[str], env: dict[str, str]) -> str:
    """What `ssot-bot` prints when its stdout is a terminal."""
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "bot.cli", *args], stdout=follower,
                          stderr=subprocess.DEVNULL, env=env) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color(repo: GitRepo) -> None:
    repo.commit("swallow", {"app/b.py": SWALLOWS.replace("load", "b")})
    args = ["audit", "--repo", str(repo.root), "--base", "HEAD~1"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[1;31merror\x1b[0m" in terminal_output(args, env)
    assert "\x1b[" not in terminal_output(args, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in run_audit(*args[1:]).stdout  # a pipe is no terminal
    assert "\x1b[1;31m" in run_audit(*args[1:], "--color", "always").stdout


def test_hostile_names_cannot_send_the_terminal_escapes(repo: GitRepo) -> None:
    hostile = "app/\x1b[2J\x1b]0;owned\x07x.py"
    repo.commit("hostile", {hostile: SWALLOWS})
    out = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--color", "never").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "app/\\x1b[2J\\x1b]0;owned\\x07x.py:4:5: SF101" in out


def test_quiet_statistics_and_exit_zero(repo: GitRepo) -> None:
    repo.commit("two", {"app/b.py": SWALLOWS.replace("load", "b") + "\n\n"
                        + SWALLOWS.replace("load", "c")})
    base = ("--repo", str(repo.root), "--base", "HEAD~1")
    quiet = run_audit(*base, "--quiet")
    assert quiet.returncode == 1
    assert [line for line in quiet.stdout.splitlines() if not line.startswith("    ")] == [
        "app/b.py:4:5: SF101 bare-except-swallowed [error] bare `except:` catches "
        "everything, KeyboardInterrupt and SystemExit included, and is not loud",
        "app/b.py:11:5: SF101 bare-except-swallowed [error] bare `except:` catches "
        "everything, KeyboardInterrupt and SystemExit included, and is not loud",
    ]
    statistics = run_audit(*base, "--statistics").stdout
    assert "    2  SF101  bare-except-swallowed  [error]" in statistics
    assert "app/b.py:4:5" not in statistics
    assert run_audit(*base, "--exit-zero").returncode == 0
    assert run_audit("--repo", str(repo.root), "--base", "nope", "--exit-zero").returncode == 2


def test_the_time_shown_is_the_whole_run(repo: GitRepo) -> None:
    started = time.perf_counter()
    report = audit_json(repo, "--all")
    elapsed = time.perf_counter() - started
    stats = report["stats"]
    assert isinstance(stats, dict)
    # The whole run includes starting git and reading the tree, which the engine's own
    # clock does not see; it is still within what the caller measured.
    assert 0 < stats["seconds"] <= elapsed


def test_rule_prints_its_documentation_and_all_lists_every_rule() -> None:
    done = run_ssot("rule", "sf101")
    assert done.returncode == 0
    assert done.stdout.startswith("SF101 bare-except-swallowed (error by default; ")
    assert "Why is this bad?" in done.stdout
    assert "Docs: https://github.com/ssot-bot/ssot-bot#sf101" in done.stdout
    listing = run_ssot("rule", "--all").stdout.splitlines()
    assert len(listing) == 32
    assert listing[0].startswith("SF101  bare-except-swallowed")
    opt_in = run_ssot("rule", "SS209")
    assert opt_in.stdout.startswith("SS209 untested-public-function (off by default, "
                                    "warning when turned on; Tested)")
    unknown = run_ssot("rule", "XX999")
    assert unknown.returncode == 2
    assert "rule --all" in unknown.stderr


def test_init_writes_a_starter_config_it_shows_and_never_twice(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "proj")
    repo.commit("code", {"pyproject.toml": '[project]\nname = "proj"\n',
                         "proj/settings.py": "DEBUG = False\n", "proj/__init__.py": "",
                         "tests/integration/test_api.py": "", "proj/migrations/0001.py": ""})
    done = run_ssot("init", "--repo", str(repo.root))
    assert done.returncode == 0, done.stderr
    written = (repo.root / "pyproject.toml").read_text()
    assert written.startswith('[project]\nname = "proj"\n\n[tool.ssot]\n')
    table = tomllib.loads(written)["tool"]["ssot"]
    assert table == {"config-modules": ["proj/settings.py"],
                     "real-test-paths": ["tests/integration/**"],
                     "exclude": ["proj/migrations/**"]}
    assert written.split("\n\n", 1)[1] in done.stdout
    again = run_ssot("init", "--repo", str(repo.root))
    assert again.returncode == 2
    assert "already has [tool.ssot]" in again.stderr
    assert (repo.root / "pyproject.toml").read_text() == written
    assert run_audit("--repo", str(repo.root), "--all").returncode == 0


def test_a_baseline_hides_todays_findings_and_survives_moved_code(repo: GitRepo,
                                                                  tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    written = run_audit("--repo", str(repo.root), "--all", "--write-baseline", str(baseline))
    assert written.returncode == 1
    recorded = json.loads(baseline.read_text())["findings"]
    assert [(e["rule"], e["path"]) for e in recorded] == [("SF101", "app/loader.py")]
    # The legacy handler moves down the file; a new one is added.
    repo.commit("move and add", {"app/loader.py": "import os\n\n\n" + SWALLOWS + "\n\n"
                                 + SWALLOWS.replace("load", "load_again")})
    report = audit_json(repo, "--all", "--baseline", str(baseline))
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["rule"], f["line"]) for f in findings] == [("SF101", 14)]
    assert "1 finding recorded in the baseline is not reported; 0 baseline entries no " \
           "longer match" in str(report["notes"])
    # Fixed: the entry no longer matches, and the config can name the baseline.
    repo.commit("fix", {"app/loader.py": CLEAN, "pyproject.toml":
                        SILENT_FAILURES_ONLY + 'baseline = ".ssot-baseline.json"\n',
                        ".ssot-baseline.json": baseline.read_text()})
    fixed = audit_json(repo, "--all")
    assert fixed["verdict"] == "GO"
    assert "1 baseline entry no longer match" in str(fixed["notes"])
    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    done = run_audit("--repo", str(repo.root), "--all", "--baseline", str(broken))
    assert done.returncode == 2
    assert "is not a baseline" in done.stderr


def test_sarif_carries_rule_help_stable_unique_fingerprints_and_notes(repo: GitRepo) -> None:
    twice = SWALLOWS + "\n\n" + SWALLOWS.replace("def load", "def load_b")
    repo.commit("two", {"app/two.py": twice, "app/bad.py": "def f(:\n"})
    schema = json.loads((SCHEMAS / "sarif-2.1.0-rtm.5.json").read_text())

    def sarif_run() -> Any:
        done = run_audit("--repo", str(repo.root), "--all", "--format", "sarif")
        document = json.loads(done.stdout)
        jsonschema.Draft4Validator(schema).validate(document)
        [run] = document["runs"]
        return run

    run = sarif_run()
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "SF101")
    assert rule["helpUri"] == "https://github.com/ssot-bot/ssot-bot#sf101"
    assert "Why is this bad?" in rule["help"]["text"]
    assert "```python" in rule["help"]["markdown"]
    assert run["automationDetails"]["id"] == "ssot-bot/"
    [invocation] = run["invocations"]
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == [
        "SX001"]

    def two_py(results: list[Any]) -> list[str]:
        return [r["partialFingerprints"]["ssotFinding/v2"] for r in results
                if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "app/two.py"]

    prints = two_py(run["results"])
    assert len(prints) == 2 and len(set(prints)) == 2
    repo.commit("lines move", {"app/two.py": "import os\n\n\n" + twice})
    assert two_py(sarif_run()["results"]) == prints
