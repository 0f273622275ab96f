"""Re-run from the Checks UI: the check run's "Re-run" button and action, check suites.

The pull requests are found by head sha, since GitHub leaves `pull_requests` empty when
the head is in a fork.
"""

from __future__ import annotations

import logging
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.app.jobs import AuditJob, JobQueue
from bot.github.payloads import CheckEvent
from bot.github.rest import RERUN_ACTION, Installation
from bot.report import CHECK_NAME

logger = logging.getLogger(__name__)
router = Router()


@router.register("check_run", action="rerequested")
@router.register("check_run", action="requested_action")
async def rerun_check(event: Event, gh: Installation, *, jobs: JobQueue,
                      **_kwargs: Any) -> None:
    check = CheckEvent.from_payload("check_run", event.data)
    if check.check_name != CHECK_NAME:
        return
    if event.data["action"] == "requested_action" and (
        check.requested_action != RERUN_ACTION["identifier"]
    ):
        return
    await audit_head(event, gh, jobs, check, force=True)


@router.register("check_suite", action="requested")
@router.register("check_suite", action="rerequested")
async def audit_check_suite(event: Event, gh: Installation, *, jobs: JobQueue,
                            **_kwargs: Any) -> None:
    check = CheckEvent.from_payload("check_suite", event.data)
    await audit_head(event, gh, jobs, check, force=event.data["action"] == "rerequested")


async def audit_head(event: Event, gh: Installation, jobs: JobQueue, check: CheckEvent, *,
                     force: bool) -> None:
    numbers = check.pull_numbers or tuple(
        pull.number for pull in await gh.open_pulls_with_head(check.repo, check.head_sha)
    )
    if not numbers:
        logger.info("no open pull request for this head", extra={
            "delivery_id": event.delivery_id, "repo": check.repo, "head_sha": check.head_sha})
    for number in numbers:
        await jobs.submit(AuditJob(
            installation=gh.id,
            repo=check.repo,
            number=number,
            head_sha=check.head_sha,
            delivery_id=event.delivery_id,
            reason=f"{event.event}.{event.data['action']}",
            force=force,
        ))
