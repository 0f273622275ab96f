"""The GitHub Action end to end: `action.yml`'s entry point (`ssot-bot action`) run as a
workflow runs it, with a real event payload file (`GITHUB_EVENT_PATH`), a real checkout
and the fake GitHub over real HTTP; it publishes what the App publishes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot import report
from tests.conftest import APP_ID
from tests.fake_github import REPO, FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_TOKEN = "ghs_workflow_run_token"


def checkout(github: FakeGitHub, target: Path) -> Path:
    """What actions/checkout with `fetch-depth: 0` leaves: every branch, the PR's head."""
    subprocess.run(["git", "clone", "-q", "--no-single-branch", str(github.repo.root),
                    str(target)], check=True)
    subprocess.run(["git", "checkout", "-q", github.sha("feature")], cwd=target, check=True)
    return target


async def run_action(github: FakeGitHub, tmp_path: Path, event: dict[str, object],
                     **extra: str) -> tuple[int, str, str]:
    github.tokens[WORKFLOW_TOKEN] = time.time() + 3600
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    workspace = tmp_path / "workspace"
    if not workspace.exists():
        checkout(github, workspace)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_EVENT_PATH":
           str(event_path), "GITHUB_WORKSPACE": str(workspace), "GITHUB_API_URL": github.url,
           "GITHUB_TOKEN": WORKFLOW_TOKEN, "SSOT_ACTION_APP_ID": APP_ID,
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), **extra}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "action", env=env, cwd=str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.asyncio
async def test_the_action_publishes_the_apps_check_run_and_one_sticky_comment(
        github: FakeGitHub, tmp_path: Path) -> None:
    event = github.pull_request_payload(1, "opened")
    code, out, err = await run_action(github, tmp_path, event)
    assert code == 1, err  # the feature branch swallows an exception: NO-GO
    head = github.sha("feature")
    [run] = github.runs_for(head)
    assert (run.name, run.status, run.conclusion) == (report.CHECK_NAME, "completed", "failure")
    assert run.output["title"].startswith("❌ NO-GO: 1 error")
    assert any(a["title"].startswith("SF101") for a in run.annotations)
    [comment] = github.comments_on(1)
    assert comment.body.startswith(report.MARKER)
    merge_base = github.repo.git("merge-base", "main", "feature")
    assert f"· base `{merge_base[:12]}` · head `{head[:12]}`" in comment.body
    assert "app/util.py" in out and "SF101" in out
    assert (tmp_path / "summary.md").read_text().startswith(report.MARKER)
    # Run again (a re-run of the workflow): the same comment is edited, not a second one.
    code, _, err = await run_action(github, tmp_path, event)
    assert code == 1, err
    assert [c.id for c in github.comments_on(1)] == [comment.id]


@pytest.mark.asyncio
async def test_on_a_forks_read_only_token_it_says_what_it_could_not_publish(
        github: FakeGitHub, tmp_path: Path) -> None:
    github.fail("POST", rf"^/repos/{REPO}/check-runs$", 403,
                message="Resource not accessible by integration")
    github.fail("GET", rf"^/repos/{REPO}/issues/1/comments$", 403,
                message="Resource not accessible by integration")
    code, out, err = await run_action(github, tmp_path, github.pull_request_payload(1, "opened"))
    assert code == 1
    assert "could not publish the check run and the comment" in err
    assert "fork" in err
    assert "SF101" in out  # the report is still in the log
    assert github.runs_for(github.sha("feature")) == []
    assert WORKFLOW_TOKEN not in out + err


@pytest.mark.asyncio
async def test_sarif_instead_of_a_check_run(github: FakeGitHub, tmp_path: Path) -> None:
    code, _, err = await run_action(github, tmp_path, github.pull_request_payload(1, "opened"),
                                    SSOT_PUBLISH="sarif", SSOT_SARIF_FILE="out.sarif")
    assert code == 1, err
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"SF101"}
    assert github.writes() == []


@pytest.mark.asyncio
async def test_a_checkout_without_the_prs_history_says_fetch_depth(
        github: FakeGitHub, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "main",
                    github.repo.root.as_uri(), str(workspace)], check=True)
    code, _, err = await run_action(github, tmp_path, github.pull_request_payload(1, "opened"))
    assert code == 2
    assert "fetch-depth: 0" in err


def test_action_yml_installs_in_its_own_venv_and_runs_the_entry_point() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert '-m venv "$RUNNER_TEMP/ssot-bot-venv"' in steps[0]["run"]
    assert '"$GITHUB_ACTION_PATH[app]"' in steps[0]["run"]
    assert steps[1]["run"] == '"$RUNNER_TEMP/ssot-bot-venv/bin/ssot-bot" action'
    assert set(steps[1]["env"]) == {"GITHUB_TOKEN", "SSOT_PUBLISH", "SSOT_SARIF_FILE",
                                    "SSOT_ARGS"}
    assert steps[2]["uses"].startswith("github/codeql-action/upload-sarif@")
    assert set(action["inputs"]) == {"token", "publish", "sarif-file", "args", "python"}
