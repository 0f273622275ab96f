"""Publishing an audit to a pull request: the sticky comment and the completed check
run. One implementation for the App (`bot.app.pipeline`) and the GitHub Action
(`bot.action`), so a PR reads the same whichever ran the audit."""

from __future__ import annotations

from collections.abc import Sequence

from analyzers import AuditResult
from analyzers.config import CommentMode
from bot import report
from bot.github.rest import Installation


async def publish_comment(gh: Installation, repo: str, number: int, head_sha: str,
                          result: AuditResult, unaudited: Sequence[str] = (), *,
                          one_click: int = 0, mode: CommentMode = CommentMode.ON_FINDINGS
                          ) -> int | None:
    """Write the report into the PR's sticky comment as `mode` (the repository's
    `comment` setting) asks (`report.sticky_comment`); the comment's id, or None when
    there is none. `one_click` findings have a suggestion in the App's review."""
    planned = report.sticky_comment(result, mode, head_sha=head_sha,
                                    blob_url=gh.blob_url(repo, head_sha),
                                    unaudited=unaudited, one_click=one_click)
    if planned.create:
        return await gh.upsert_comment(repo, number, planned.body, report.MARKER)
    return await gh.edit_comment(repo, number, planned.body, report.MARKER)


async def publish_check_run(gh: Installation, repo: str, check_run: int, head_sha: str,
                            result: AuditResult, unaudited: Sequence[str] = ()) -> None:
    """Complete the check run with the verdict, the table and every annotation."""
    await gh.complete_check_run(
        repo, check_run, report.verdict_conclusion(result, unaudited),
        report.check_run_output(result, blob_url=gh.blob_url(repo, head_sha),
                                unaudited=unaudited),
    )
