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
    """Write the report into the PR's sticky comment as `mode` says (the repository's
    `comment` setting); the comment's id, or None when there is none. The full report
    creates or edits the comment; a clean pull request (`report.is_clean`) only edits
    an existing one, to one "all clear" line, so no comment goes stale and none is added
    to say nothing. `one_click` findings have a suggestion in the App's review."""
    clean = report.is_clean(result, unaudited)
    if mode is CommentMode.ALWAYS or (mode is CommentMode.ON_FINDINGS and not clean):
        comment = report.render_comment(result, head_sha=head_sha,
                                        blob_url=gh.blob_url(repo, head_sha),
                                        unaudited=unaudited, one_click=one_click)
        return await gh.upsert_comment(repo, number, comment, report.MARKER)
    line = (report.all_clear_comment(head_sha) if clean
            else report.comments_off_comment(result, head_sha, unaudited))
    return await gh.edit_comment(repo, number, line, report.MARKER)


async def publish_check_run(gh: Installation, repo: str, check_run: int, head_sha: str,
                            result: AuditResult, unaudited: Sequence[str] = ()) -> None:
    """Complete the check run with the verdict, the table and every annotation."""
    await gh.complete_check_run(
        repo, check_run, report.verdict_conclusion(result, unaudited),
        report.check_run_output(result, blob_url=gh.blob_url(repo, head_sha),
                                unaudited=unaudited),
    )
