"""`ssot-bot action`: the GitHub Action's entry point. It audits the checkout as the
local CLI does (`bot.local.audit.run_local_audit`) and publishes with the App's code
(`bot.github.publish`), so a pull request reads the same whichever ran.

For a `pull_request` event the change is the pull request's: its head against the
merge-base of its base and head, as GitHub's own diff. Any other event (a push to the
default branch) audits every file, for the SARIF upload that keeps code scanning's alerts.
What the token may not do (a fork's pull request gets a read-only token) is said in the
log as a warning, and the report is still in the log and the job summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
from gidgethub import BadRequest

from analyzers import AuditResult, Verdict
from analyzers.config import CommentMode, load_config
from bot import PRODUCT, package_version, report
from bot.github.credentials import WorkflowToken
from bot.github.publish import publish_check_run, publish_comment
from bot.github.rest import GitHubApp
from bot.local import audit as local_audit
from bot.local.git import GitError, Repo
from bot.settings import ActionSettings, Settings, SettingsError, action_from_environment

EXIT_GO, EXIT_NO_GO, EXIT_ERROR = 0, 1, 2
REFUSED = frozenset({403, 404})
"""What GitHub answers a token that may not write (404 where it may not even read)."""


def action_command() -> int:
    try:
        settings = action_from_environment()
        event = _event(settings.event_path)
        return _run(settings, event)
    except (SettingsError, GitError, local_audit.UsageError) as exc:
        print(f"::error::{PRODUCT}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _event(path: Path) -> dict[str, Any]:
    try:
        event: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"GITHUB_EVENT_PATH {path} is not a readable event: {exc}"
                            ) from None
    if not isinstance(event, dict):
        raise SettingsError(f"GITHUB_EVENT_PATH {path} holds no event object")
    return event


def _run(settings: ActionSettings, event: dict[str, Any]) -> int:
    repo = Repo.open(settings.workspace)
    pull = event.get("pull_request")
    if isinstance(pull, dict):
        head_sha = str(pull["head"]["sha"])
        for sha in (head_sha, str(pull["base"]["sha"])):
            if not repo.has_commit(sha):
                raise GitError(f"commit {sha[:12]} of the pull request is not in the checkout; "
                               "check out with `fetch-depth: 0` (actions/checkout)")
        options = ["--base", str(pull["base"]["sha"]), "--head", head_sha]
    else:
        options = ["--all"]
    args = _audit_args(settings, options)
    audited = local_audit.run_local_audit(repo, args)
    result = audited.result
    sys.stdout.write(report.render_text(result))
    markdown = report.render_comment(result)
    if settings.step_summary is not None:
        with settings.step_summary.open("a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")
    if "sarif" in settings.publish:
        sarif = report.to_sarif(result, version=package_version(),
                                fingerprints=audited.fingerprints,
                                repository_uri=_repository_uri(settings, event))
        settings.sarif_file.write_text(json.dumps(sarif, indent=2) + "\n", encoding="utf-8")
        print(f"{PRODUCT}: SARIF written to {settings.sarif_file}")
    if isinstance(pull, dict) and settings.publish & {"check-run", "comment"}:
        if settings.token is None:
            print(f"::warning::{PRODUCT}: no token, so no check run or comment was published; "
                  "pass `token: ${{ github.token }}`", file=sys.stderr)
        else:
            mode = load_config(audited.request.config_text, audited.request.config_path
                               )[0].comment
            not_done = asyncio.run(_publish(settings, event, pull, result, mode))
            if not_done:
                print(f"::warning::{PRODUCT} could not publish {' and '.join(not_done)}: this "
                      "run's token may not write to the repository (a pull request from a "
                      "fork gets a read-only token, or the workflow lacks `checks: write` / "
                      "`pull-requests: write`). The report is in this log and the job "
                      "summary.", file=sys.stderr)
    exit_zero = args.exit_zero
    return EXIT_GO if result.verdict is Verdict.GO or exit_zero else EXIT_NO_GO


def _audit_args(settings: ActionSettings, options: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"{PRODUCT} action")
    local_audit.add_arguments(parser)
    try:
        return parser.parse_args(["--repo", str(settings.workspace), "--no-cache", *options,
                                  *settings.audit_args])
    except SystemExit:
        raise SettingsError("SSOT_ARGS (the `args` input) holds an option `ssot-bot audit` "
                            "does not take; see `ssot-bot audit --help`") from None


def _repository_uri(settings: ActionSettings, event: dict[str, Any]) -> str:
    repository = event.get("repository") or {}
    return str(repository.get("html_url") or settings.workspace.resolve().as_uri())


async def _publish(settings: ActionSettings, event: dict[str, Any], pull: dict[str, Any],
                   result: AuditResult, mode: CommentMode) -> list[str]:
    """Publish the check run and the comment the inputs ask for; what could not be."""
    repo = str(event["repository"]["full_name"])
    head_sha = str(pull["head"]["sha"])
    assert settings.token is not None, "only called with a token"
    not_done = []
    async with aiohttp.ClientSession() as session:
        app = GitHubApp(session, Settings(app_id=settings.app_id, private_key="",
                                          webhook_secret="", api_url=settings.api_url),
                        credentials=WorkflowToken(settings.token))
        gh = app.installation(0)  # a workflow token is its repository's; no installation
        if "check-run" in settings.publish:
            try:
                check_run = await gh.start_check_run(repo, head_sha)
                await publish_check_run(gh, repo, check_run, head_sha, result)
            except BadRequest as exc:
                if exc.status_code not in REFUSED:
                    raise
                not_done.append("the check run")
        if "comment" in settings.publish:
            try:
                await publish_comment(gh, repo, int(pull["number"]), head_sha, result,
                                      mode=mode)
            except BadRequest as exc:
                if exc.status_code not in REFUSED:
                    raise
                not_done.append("the comment")
    return not_done
