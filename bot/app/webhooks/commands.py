"""`/ssot recheck` in a pull request comment: audit the current head again.

Only the PR's author or someone with write access may ask: the collaborator-permission
endpoint's `permission` (admin or write; GitHub reports maintain as write and custom
roles as their base permission there) decides, not `role_name` (a custom role's own
name says nothing about its rights) nor `author_association`. Others get no audit and no
reply: a bot that answers every stranger is a bot anyone can make noisy.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.app.jobs import AuditJob, JobQueue
from bot.github.payloads import CommentEvent
from bot.github.rest import WRITE_PERMISSIONS, Installation

logger = logging.getLogger(__name__)
router = Router()

RECHECK = "/ssot recheck"
ACKNOWLEDGE = "eyes"
_FENCE = re.compile(r"(`{3,}|~{3,})")
"""A fenced code block opens with three or more backticks or tildes (CommonMark)."""


def asks_for_recheck(body: str) -> bool:
    """True when one line of the comment is exactly the command, as prose: not inside a
    fenced (``` or ~~~) or indented code block, and not in a block quote. Quoting or
    showing the command ("type `/ssot recheck`") is not asking for it."""
    fence: str | None = None
    quoted = False
    for line in body.splitlines():
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        # A block quote runs to the next blank line: a line after `> ...` without its
        # own `>` still belongs to the quote (CommonMark's lazy continuation).
        quoted = bool(text.strip()) and (quoted or (indent < 4 and text.startswith(">")))
        if quoted and fence is None:
            continue
        if fence is not None:
            if indent < 4 and text.startswith(fence) and not text.strip(fence[0]).strip():
                fence = None
            continue
        opening = _FENCE.match(text) if indent < 4 else None
        if opening is not None:
            fence = opening.group(1)
            continue
        if indent < 4 and text.rstrip() == RECHECK:
            return True
    return False


@router.register("issue_comment", action="created")
async def recheck_on_command(event: Event, gh: Installation, *, jobs: JobQueue,
                             **_kwargs: Any) -> None:
    comment = CommentEvent.from_payload(event.data)
    if not comment.on_pull_request or comment.commenter_is_bot:
        return
    if not asks_for_recheck(comment.body):
        return
    facts = {"delivery_id": event.delivery_id, "repo": comment.repo, "pr": comment.number,
             "user": comment.commenter}
    if comment.commenter != comment.author:
        permission = await gh.permission(comment.repo, comment.commenter)
        if permission not in WRITE_PERMISSIONS:
            logger.info("recheck refused: no write access",
                        extra={**facts, "permission": permission})
            return
    await gh.react(comment.repo, comment.comment_id, ACKNOWLEDGE)
    pull = await gh.pull(comment.repo, comment.number)
    await jobs.submit(AuditJob(
        installation=gh.id,
        repo=pull.repo,
        number=pull.number,
        head_sha=pull.head_sha,
        delivery_id=event.delivery_id,
        reason="recheck",
        force=True,
    ))
    logger.info("recheck queued", extra=facts)
