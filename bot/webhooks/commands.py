"""`/ssot recheck` in a pull request comment: audit the current head again.

Only the PR's author or someone with write, maintain or admin permission may ask (the
collaborator-permission endpoint decides, not `author_association`, which says nothing
about permissions). Others get no audit and no reply: a bot that answers every stranger
is a bot anyone can make noisy.
"""

from __future__ import annotations

import logging
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.github import WRITE_ROLES, CommentEvent, Installation
from bot.jobs import AuditJob, JobQueue

logger = logging.getLogger(__name__)
router = Router()

RECHECK = "/ssot recheck"
ACKNOWLEDGE = "eyes"


def asks_for_recheck(body: str) -> bool:
    """True when one line of the comment is exactly the command."""
    return any(line.strip() == RECHECK for line in body.splitlines())


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
        role = await gh.role(comment.repo, comment.commenter)
        if role not in WRITE_ROLES:
            logger.info("recheck refused: no write access", extra={**facts, "role": role})
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
