"""`ssot-bot worker`: run the deliveries and audits that intake queued in Redis.

Any number of workers, on any machines, share the work: each reads the `deliveries`
stream (dispatching to the same webhook handlers as the embedded mode) and the `audits`
stream (running the same `Pipeline`). Redis going away is waited out, at startup and
while running; SIGTERM lets the jobs in hand finish within `shutdown_grace` and leaves
the rest pending for the other workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from bot import PRODUCT, package_version
from bot.app import logs, sentry
from bot.app.jobs import AuditPool
from bot.app.pipeline import Pipeline
from bot.app.server import exposition, log_started, readiness
from bot.app.webhooks import router as webhook_router
from bot.github.payloads import installation_id
from bot.github.rest import GitHubApp
from bot.github.transport import USER_AGENT
from bot.redis.cache import RedisSharedCache
from bot.redis.queue import (
    DELIVERIES,
    RedisJobQueue,
    StreamConsumer,
    back_off,
    connect,
    delivered_event,
    measure_queues,
    warn_without_persistence,
)
from bot.redis.queue import unreachable as redis_unreachable
from bot.settings import EXIT_BAD_SETTINGS, Settings, SettingsError, from_environment

logger = logging.getLogger(__name__)


def worker_command(metrics_port: int | None = None) -> int:
    """`ssot-bot worker`: settings from the environment (no Redis is the first problem
    named), then `run_worker`; `metrics_port` overrides `SSOT_METRICS_PORT`."""
    try:
        settings = from_environment(need_redis=True)
    except SettingsError as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if metrics_port is not None:
        settings = dataclasses.replace(settings, metrics_port=metrics_port)
    return run_worker(settings)


def run_worker(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; 2 when Redis mode is not configured."""
    if not settings.redis_url:
        print(f"{PRODUCT}: error: SSOT_REDIS_URL is not set (workers need Redis)",
              file=sys.stderr)
        return EXIT_BAD_SETTINGS
    logs.configure()
    sentry.init(settings.sentry_dsn, release=package_version())
    asyncio.run(work(settings))
    return 0


async def work(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """The worker's life: connect, consume both streams until `stop` (or a signal)."""
    assert settings.redis_url, "run_worker checks the setting"
    stop = stop or _stop_on_signals()
    client = connect(settings.redis_url)
    timeout = aiohttp.ClientTimeout(total=settings.request_timeout)
    try:
        async with aiohttp.ClientSession(timeout=timeout, headers={"user-agent": USER_AGENT}
                                         ) as session:
            github = GitHubApp(session, settings, shared=RedisSharedCache(client, settings))
            pool = AuditPool(settings.audit_processes, timeout=settings.audit_timeout)
            queue = RedisJobQueue(client, concurrency=settings.concurrent_audits,
                                  lease=settings.redis_lease,
                                  max_attempts=settings.max_job_attempts)
            deliveries = StreamConsumer(
                client, DELIVERIES, DeliveryDispatcher(github, queue, settings),
                consumer=queue.consumer, concurrency=settings.concurrent_audits,
                lease=settings.redis_lease)
            probes = WorkerProbes(client)
            async with serving_probes(probes, settings.metrics_port) as listening:
                if not await _started(client, queue, Pipeline(github, pool, queue),
                                      deliveries, stop):
                    return
                probes.started = True
                log_started(settings, consumer=queue.consumer, metrics=listening)
                await stop.wait()
                probes.started = False
                logger.info("worker stopping", extra={"consumer": queue.consumer})
                await asyncio.gather(deliveries.close(settings.shutdown_grace),
                                     queue.close(settings.shutdown_grace))
                await pool.close()
    finally:
        await client.aclose()


class WorkerProbes:
    """A worker's `/metrics` and `/readyz` (it has no other HTTP port): ready once both
    consumers run and while Redis answers."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self.started = False

    async def readyz(self, _request: web.Request) -> web.Response:
        if not self.started:
            return readiness("the worker has not started consuming")
        return readiness(await redis_unreachable(self._client))

    async def metrics(self, _request: web.Request) -> web.Response:
        await measure_queues(self._client)
        return exposition()


@contextlib.asynccontextmanager
async def serving_probes(probes: WorkerProbes, port: int | None) -> AsyncIterator[str | None]:
    """Serve the probes on `port` (all interfaces, as Prometheus scrapes from elsewhere)
    for the block's duration; the address, or None without a port."""
    if port is None:
        yield None
        return
    app = web.Application()
    app.router.add_get("/metrics", probes.metrics)
    app.router.add_get("/readyz", probes.readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "0.0.0.0", port).start()
        yield f"0.0.0.0:{port}"
    finally:
        await runner.cleanup()


async def _started(client: aioredis.Redis, queue: RedisJobQueue, pipeline: Pipeline,
                   deliveries: StreamConsumer, stop: asyncio.Event) -> bool:
    """Start both consumers once Redis answers; False if stopped before that."""
    failures = 0
    while not stop.is_set():
        try:
            await deliveries.start()
            await queue.start(pipeline, gave_up=pipeline.conclude_given_up)
            await warn_without_persistence(client)
            return True
        except RedisError as exc:
            if failures == 0:
                logger.warning("redis unavailable at startup; retrying",
                               extra={"reason": type(exc).__name__})
            await back_off(failures, stop)
            failures += 1
    return False


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    return stop


class DeliveryDispatcher:
    """One queued delivery -> the webhook handlers, which submit audits to the queue."""

    def __init__(self, github: GitHubApp, queue: RedisJobQueue, settings: Settings) -> None:
        self._github = github
        self._queue = queue
        self._max_attempts = settings.max_job_attempts

    async def __call__(self, entry_id: str, fields: dict[bytes, bytes], count: int) -> bool:
        event = delivered_event(fields)
        facts = {"delivery_id": event.delivery_id, "event": event.event,
                 "action": event.data.get("action"), "attempt": count}
        if count > self._max_attempts:
            logger.error("delivery dropped: its workers died every time", extra=facts)
            return True
        installation = installation_id(event.data)
        if installation is None:  # intake only queues deliveries that name one
            logger.error("queued delivery without installation dropped", extra=facts)
            return True
        gh = self._github.installation(installation)
        try:
            with sentry.tags(**facts):
                await webhook_router.dispatch(event, gh, jobs=self._queue)
        except RedisError:
            raise  # left pending: dispatched again once Redis is back
        except Exception:
            logger.exception("webhook handler failed", extra=facts)
        return True

