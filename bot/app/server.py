"""The webhook server: verify, deduplicate, acknowledge, then work in the background.

`create_app(settings)` is the aiohttp app factory; one `ClientSession`, process pool and
queue per process live in `cleanup_ctx`. `serve` is what `ssot-bot serve` runs.

Invariant: `POST /webhook` answers without waiting for GitHub or the audit: after the
signature check it only parses, checks the payload's shape (400 if a handler could not
read it), deduplicates and spawns a supervised task (202). Before the signature check
it holds at most `max_concurrent_uploads` bodies of at most 25 MB, each for at most
`upload_timeout` seconds. With
`SSOT_REDIS_URL` (`_redis_intake`) there is no GitHub client, pool or queue here: the
delivery is stored in Redis for `ssot-bot worker`s (202), or refused with 503.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, sansio
from gidgethub.routing import Router

from bot import PRODUCT, metrics, package_version
from bot.app import logs, sentry
from bot.app.jobs import (
    AuditPool,
    DeliveryLog,
    InProcessQueue,
    MemoryDeliveryLog,
    Supervisor,
)
from bot.app.pipeline import Pipeline
from bot.app.webhooks import router as webhook_router
from bot.github.payloads import (
    HANDLED_EVENTS,
    MalformedPayloadError,
    check_payload,
    installation_id,
    repository_name,
)
from bot.github.rest import GitHubApp
from bot.github.transport import USER_AGENT
from bot.redis.queue import (
    DeliveryInbox,
    RedisUnavailableError,
    measure_queues,
    warn_without_persistence,
)
from bot.redis.queue import connect as redis_connect
from bot.redis.queue import unreachable as redis_unreachable
from bot.settings import EXIT_BAD_SETTINGS, Settings, SettingsError, from_environment

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MB."""


@dataclass(frozen=True, slots=True)
class Bot:
    """Everything a delivery needs, one per process."""

    settings: Settings
    github: GitHubApp
    pool: AuditPool
    queue: InProcessQueue
    deliveries: DeliveryLog
    supervisor: Supervisor
    router: Router

    @property
    def not_ready(self) -> str | None:
        """Why this process cannot take audits now, or None."""
        if self.pool.closed:
            return "the audit pool is closed"
        return self.queue.not_ready

    async def drain(self) -> None:
        """Wait until every handler and every audit it queued has finished."""
        while True:
            await self.supervisor.join()
            await self.queue.join()
            if self.supervisor.idle:
                return


SETTINGS = web.AppKey("settings", Settings)
BOT = web.AppKey("bot", Bot)
INBOX = web.AppKey("inbox", DeliveryInbox)
"""Redis mode only: where verified deliveries go; workers dispatch them."""
REDIS = web.AppKey("redis", aioredis.Redis)
"""Redis mode only: intake's client (the inbox's), for readiness and queue depths."""
UPLOADS = web.AppKey("uploads", asyncio.Semaphore)
"""Bounds the webhook bodies being read before their signature can be checked."""
UPLOADS_RETRY_AFTER = 5
REDIS_RETRY_AFTER = 30
"""Seconds a 503 asks the sender to wait while Redis is unreachable."""


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_PAYLOAD)
    app[SETTINGS] = settings
    app[UPLOADS] = asyncio.Semaphore(settings.max_concurrent_uploads)
    app.cleanup_ctx.append(_redis_intake if settings.redis_url else _running_bot)
    app.router.add_post("/webhook", receive_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


async def _running_bot(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    timeout = aiohttp.ClientTimeout(total=settings.request_timeout)
    async with aiohttp.ClientSession(timeout=timeout, headers={"user-agent": USER_AGENT}
                                     ) as session:
        github = GitHubApp(session, settings)
        pool = AuditPool(settings.audit_processes, timeout=settings.audit_timeout)
        queue = InProcessQueue(workers=settings.concurrent_audits)
        pipeline = Pipeline(github, pool, queue)
        await queue.start(pipeline, dropped=pipeline.conclude_dropped)
        supervisor = Supervisor()
        app[BOT] = Bot(settings, github, pool, queue,
                       MemoryDeliveryLog(settings.delivery_ttl), supervisor, webhook_router)
        yield
        await supervisor.close(settings.shutdown_grace)
        await queue.close(settings.shutdown_grace)
        await pool.close()


async def _redis_intake(app: web.Application) -> AsyncIterator[None]:
    """Redis mode: no GitHub client, no pool, no queue here; `ssot-bot worker` does that."""
    settings = app[SETTINGS]
    assert settings.redis_url, "create_app picks this context only with a Redis URL"
    client = redis_connect(settings.redis_url, socket_timeout=2.0)
    app[REDIS] = client
    app[INBOX] = DeliveryInbox(client, ttl=settings.delivery_ttl)
    await warn_without_persistence(client)
    yield
    await client.aclose()


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok", "version": package_version()})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 only when a delivery would be taken (in-process: the audit pool
    and queue are up; Redis mode: Redis answers), else 503 with the reason."""
    if REDIS in request.app:
        reason = await redis_unreachable(request.app[REDIS])
    else:
        reason = request.app[BOT].not_ready if BOT in request.app else "starting"
    return readiness(reason)


def readiness(reason: str | None) -> web.Response:
    if reason is not None:
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ready", "version": package_version()})


async def metrics_page(request: web.Request) -> web.Response:
    if REDIS in request.app:
        await measure_queues(request.app[REDIS])
    elif BOT in request.app:
        metrics.QUEUE_DEPTH.labels(queue="audits").set(request.app[BOT].queue.waiting)
    return exposition()


def exposition() -> web.Response:
    body, content_type = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def receive_webhook(request: web.Request) -> web.Response:
    event, outcome, response = await _receive(request)
    metrics.DELIVERIES.labels(event=event, outcome=outcome).inc()
    return response


Received = tuple[str, str, web.Response]
"""(event label, outcome label, answer) of one delivery, for `metrics.DELIVERIES`."""
UNVERIFIED = "unverified"
"""The event label before the signature is checked: the header may say anything."""


async def _receive(request: web.Request) -> Received:
    settings = request.app[SETTINGS]
    delivery = request.headers.get("X-GitHub-Delivery")
    if (request.content_length or 0) > MAX_PAYLOAD:
        return UNVERIFIED, "too-large", _answer(413, "payload over 25 MB")
    uploads = request.app[UPLOADS]
    if uploads.locked():
        logger.warning("webhook refused: too many uploads at once",
                       extra={"delivery_id": delivery})
        return UNVERIFIED, "busy", web.json_response(
            {"message": "busy, retry later"}, status=503,
            headers={"Retry-After": str(UPLOADS_RETRY_AFTER)})
    async with uploads:
        try:
            async with asyncio.timeout(settings.upload_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return UNVERIFIED, "too-large", _answer(413, "payload over 25 MB")
        except TimeoutError:
            return UNVERIFIED, "too-slow", _answer(408, "payload too slow")
    try:
        event = sansio.Event.from_http(request.headers, body,
                                       secret=settings.webhook_secret)
    except ValidationFailure:
        logger.warning("webhook signature rejected", extra={"delivery_id": delivery})
        return UNVERIFIED, "bad-signature", _answer(401, "bad signature")
    except (BadRequest, KeyError, ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the decoder goes.
        return UNVERIFIED, "not-a-delivery", _answer(400, "not a GitHub webhook delivery")
    label = event.event if event.event in HANDLED_EVENTS else "other"
    try:
        check_payload(event.event, event.data)
    except MalformedPayloadError as exc:
        logger.warning("webhook payload malformed", extra={
            "delivery_id": delivery, "event": event.event, "reason": str(exc)})
        return label, "malformed", _answer(400, str(exc))
    if event.event == "ping":
        return label, "pong", _answer(200, "pong")
    facts = {"delivery_id": event.delivery_id, "event": event.event,
             "action": event.data.get("action"), "repo": repository_name(event.data)}
    if not webhook_router.fetch(event):
        return label, "ignored", _answer(202, "event ignored")
    installation = installation_id(event.data)
    if installation is None:
        logger.warning("delivery without installation ignored", extra=facts)
        return label, "no-installation", _answer(202, "no installation in payload")
    if INBOX in request.app:
        outcome, response = await _enqueue(request.app[INBOX], event, facts)
        return label, outcome, response
    bot = request.app[BOT]
    if not await bot.deliveries.first_time(event.delivery_id):
        logger.info("redelivery ignored", extra=facts)
        return label, "duplicate", _answer(202, "duplicate delivery")
    gh = bot.github.installation(installation)
    bot.supervisor.spawn(bot.router.dispatch(event, gh, jobs=bot.queue), facts)
    return label, "accepted", _answer(202, "accepted")


async def _enqueue(inbox: DeliveryInbox, event: sansio.Event,
                   facts: dict[str, object]) -> tuple[str, web.Response]:
    """Redis mode: 202 only once the delivery is stored in Redis. Redis down: 503 with
    Retry-After and nothing kept in memory, so an acknowledged delivery is never lost
    with this process; GitHub lists the failed delivery for redelivery."""
    try:
        queued = await inbox.put(event)
    except RedisUnavailableError as exc:
        logger.error("delivery refused: redis unavailable", extra={**facts, "reason": str(exc)})
        return "queue-unavailable", web.json_response(
            {"message": "queue unavailable, retry later"}, status=503,
            headers={"Retry-After": str(REDIS_RETRY_AFTER)})
    if not queued:
        logger.info("redelivery ignored", extra=facts)
        return "duplicate", _answer(202, "duplicate delivery")
    return "accepted", _answer(202, "accepted")


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def serve(host: str, port: int | None) -> int:
    """`ssot-bot serve`: settings from the environment, then run until stopped."""
    try:
        settings = from_environment()
    except SettingsError as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    logs.configure()
    sentry.init(settings.sentry_dsn, release=package_version())
    listening = f"{host}:{port or settings.port}"
    # run_app calls `print` once, when its sites listen: the start-up line.
    web.run_app(create_app(settings), host=host, port=port or settings.port,
                print=lambda _banner: log_started(settings, listening=listening),
                access_log=None)
    return 0


def log_started(settings: Settings, **facts: object) -> None:
    """The one start-up line: what runs, where, against which GitHub (never a secret
    nor the Redis URL, which may hold a password)."""
    logger.info(f"{PRODUCT} started", extra={
        "version": package_version(), **facts,
        "mode": "redis" if settings.redis_url else "in-process",
        "github_api": settings.api_url, "app_id": settings.app_id})
