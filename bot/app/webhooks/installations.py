"""Installations come and go: say so in the log, nothing else to do."""

from __future__ import annotations

import logging
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.github.payloads import InstallationChange
from bot.github.rest import Installation

logger = logging.getLogger(__name__)
router = Router()


@router.register("installation")
@router.register("installation_repositories")
async def log_installation(event: Event, gh: Installation, **_kwargs: Any) -> None:
    change = InstallationChange.from_payload(event.event, event.data)
    logger.info("installation changed", extra={
        "delivery_id": event.delivery_id,
        "event": event.event,
        "action": change.action,
        "installation_id": gh.id,
        "account": change.account,
        "repositories_added": list(change.added),
        "repositories_removed": list(change.removed),
    })
