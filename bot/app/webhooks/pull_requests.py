"""Audit a pull request when its code changes or it becomes ready for review."""

from __future__ import annotations

from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.app.jobs import AuditJob, JobQueue
from bot.github.payloads import PullRequest
from bot.github.rest import Installation

router = Router()

NEW_STATE = frozenset({"reopened", "ready_for_review"})
"""Actions that keep the head but change what its audit says (a draft's `neutral`)."""


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="ready_for_review")
async def audit_pull_request(event: Event, gh: Installation, *, jobs: JobQueue,
                             **_kwargs: Any) -> None:
    pull = PullRequest.from_json(event.data["pull_request"])
    await jobs.submit(AuditJob(
        installation=gh.id,
        repo=pull.repo,
        number=pull.number,
        head_sha=pull.head_sha,
        delivery_id=event.delivery_id,
        reason=f"pull_request.{event.data['action']}",
        force=event.data["action"] in NEW_STATE,
    ))
