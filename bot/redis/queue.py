"""Redis mode (`SSOT_REDIS_URL`): intake processes enqueue deliveries, workers run them.

Two Redis Streams, each read by the consumer group `workers`:

- `deliveries`: every verified webhook delivery, put there by `DeliveryInbox` in the same
  atomic script that remembers its `X-GitHub-Delivery` id (`SET NX EX`), so a delivery is
  never marked seen without being queued. A worker dispatches it to the webhook handlers,
  which submit audits to `RedisJobQueue`.
- `audits`: pull request keys (`owner/name#number`) that have a queued job. The job itself
  sits in the hash `queued:<pr>` (only the newest head sha), moves to `running:<pr>`
  when a worker takes it, and is gone when the worker finishes (`XACK` + `XDEL`).

Every state change is one Lua script, so two intake processes or two workers never see
half of one. A worker renews its claim on what it runs every `lease / 3` seconds; an
entry whose worker stopped renewing (SIGKILL, a lost machine) for `lease` seconds is
taken over with `XAUTOCLAIM` and run again (`AuditJob.attempt` > 1), which is why
publishing must be idempotent (`Installation.start_check_run(resume=True)`, the sticky
comment found by its marker).

Invariant: a pull request has at most one entry in `audits` (read or unread) and at most
one job running; a job is never acknowledged before it finished or was dropped.
Invariant: keys share the hash tag `{ssot}` so every script touches one cluster slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis
from gidgethub import sansio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError, ResponseError

from bot import metrics
from bot.app import sentry
from bot.app.jobs import AuditJob, PullKey, Runner

logger = logging.getLogger(__name__)

NAMESPACE = "{ssot}"
GROUP = "workers"
DELIVERIES = f"{NAMESPACE}:deliveries"
AUDITS = f"{NAMESPACE}:audits"
RECONNECT_WAIT = (0.05, 2.0)
"""First and longest wait between attempts to reach Redis again."""
RECONNECT_BACKOFF_CAP = 6
"""Failures after which `back_off` waits its longest."""

Handler = Callable[[str, dict[bytes, bytes], int], Awaitable[bool]]
"""(entry id, entry fields, times delivered) -> whether the consumer should acknowledge
the entry now (False: the handler did, atomically with its own bookkeeping). Raising
`RedisError` leaves the entry pending, to be taken over after the lease."""


class RedisUnavailableError(Exception):
    """Redis did not answer; the message says what failed, never a URL or password."""


async def back_off(failures: int, stop: asyncio.Event | None = None) -> None:
    """Wait before reaching Redis again: doubling from `RECONNECT_WAIT[0]` up to
    `RECONNECT_WAIT[1]`, cut short when `stop` is set."""
    first, longest = RECONNECT_WAIT
    wait = min(longest, first * 2 ** failures)
    if stop is None:
        await asyncio.sleep(wait)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wait)


def connect(url: str, *, socket_timeout: float = 10.0) -> aioredis.Redis:
    """A client with bounded waits: a down Redis fails a command in about a second
    instead of redis-py's default of several retries with backoff."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=1.0,
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        health_check_interval=15,
    )


async def warn_without_persistence(client: aioredis.Redis) -> bool:
    """Log an error unless Redis keeps an append-only file: without AOF, a restart
    loses what it held, and intake's 202 ("stored") would be a promise nobody keeps.
    True when AOF is on. Managed Redis may refuse CONFIG; that is logged, not fatal."""
    try:
        config: dict[Any, Any] = await client.config_get("appendonly")
    except RedisError as exc:
        logger.warning("redis persistence unknown: CONFIG GET refused",
                       extra={"reason": type(exc).__name__})
        return False
    value = config.get("appendonly") or config.get(b"appendonly") or b""
    if _text(value) == "yes":
        return True
    logger.error("redis runs without AOF persistence: a restart loses queued deliveries "
                 "and audits that were acknowledged with 202; set appendonly yes")
    return False


async def unreachable(client: aioredis.Redis) -> str | None:
    """Why Redis cannot take work now (no answer to PING), or None."""
    try:
        await client.ping()
    except RedisError as exc:
        return f"redis unreachable ({type(exc).__name__})"
    return None


async def measure_queues(client: aioredis.Redis) -> None:
    """Set `metrics.QUEUE_DEPTH` for both streams: their entries no worker has taken
    yet (in the stream, not pending in the group). Left as they were when Redis does
    not answer."""
    try:
        async with client.pipeline(transaction=False) as pipe:
            for stream in (DELIVERIES, AUDITS):
                pipe.xlen(stream)
                pipe.xpending(stream, GROUP)
            answers = await pipe.execute(raise_on_error=False)
    except RedisError:
        return
    for n, (label, _stream) in enumerate((("deliveries", DELIVERIES), ("audits", AUDITS))):
        length, pending = answers[2 * n], answers[2 * n + 1]
        if isinstance(length, Exception):
            continue
        taken = 0 if isinstance(pending, Exception) else int(pending["pending"])
        metrics.QUEUE_DEPTH.labels(queue=label).set(max(0, int(length) - taken))


def pull_key(key: PullKey) -> str:
    repo, number = key
    return f"{repo}#{number}"


def consumer_name() -> str:
    """Unique per process and start, so a restarted worker never inherits a dead one's
    claims without `XAUTOCLAIM` (which counts the attempt)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


# --- intake -------------------------------------------------------------------------

_ACCEPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[2], 'delivery', ARGV[3], 'body', ARGV[4])
  return 1
end
return 0
"""


class DeliveryInbox:
    """Intake's half: deduplicate a delivery and queue it for the workers, atomically."""

    def __init__(self, client: aioredis.Redis, *, ttl: float) -> None:
        self._client = client
        self._ttl = max(1, round(ttl))
        self._accept = client.register_script(_ACCEPT)

    async def put(self, event: sansio.Event) -> bool:
        """True when queued, False for a redelivery; `RedisUnavailableError` when Redis
        is down (nothing was stored then: the caller must not acknowledge)."""
        body = zlib.compress(json.dumps(event.data).encode(), 1)
        try:
            queued = await self._accept(
                keys=[f"{NAMESPACE}:delivery:{event.delivery_id}", DELIVERIES],
                args=[self._ttl, event.event, event.delivery_id, body],
            )
        except RedisError as exc:
            raise RedisUnavailableError(f"cannot queue the delivery: {type(exc).__name__}"
                                        ) from None
        return bool(queued)


def delivered_event(fields: dict[bytes, bytes]) -> sansio.Event:
    """The delivery `DeliveryInbox.put` queued."""
    data = json.loads(zlib.decompress(fields[b"body"]))
    return sansio.Event(data, event=fields[b"event"].decode(),
                        delivery_id=fields[b"delivery"].decode())


# --- consuming a stream -------------------------------------------------------------

_RENEW = """
local lost = {}
for i = 3, #ARGV do
  local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #owned == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  elseif #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1) == 1 then
    table.insert(lost, ARGV[i])  -- pending for another consumer (acknowledged is fine)
  end
end
return lost
"""


_RETIRE = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""


class StreamConsumer:
    """`concurrency` loops reading one stream as `consumer` of the group `workers`.

    Each loop first takes over an entry idle for `lease` seconds (its worker died), else
    reads a new one. Entries in hand are renewed every `lease / 3` seconds, so a live
    worker never loses them however long a job runs. Redis going away is waited out:
    the loops retry with backoff and carry on with the same entries when it is back."""

    def __init__(self, client: aioredis.Redis, stream: str, handler: Handler, *,
                 consumer: str, concurrency: int, lease: float) -> None:
        self._client = client
        self._stream = stream
        self._handler = handler
        self._consumer = consumer
        self._concurrency = concurrency
        self._lease_ms = max(1, round(lease * 1000))
        self._block_ms = max(10, min(1000, self._lease_ms // 4))
        self._renew = client.register_script(_RENEW)
        self._retire = client.register_script(_RETIRE)
        self._in_hand: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.ensure_group()
        name = self._stream.rpartition(":")[2]
        self._tasks = [asyncio.create_task(self._loop(), name=f"{name}-consumer-{n}")
                       for n in range(self._concurrency)]
        self._tasks.append(asyncio.create_task(self._keep_claims(), name=f"{name}-renew"))

    async def ensure_group(self) -> None:
        try:
            await self._client.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def close(self, grace: float) -> None:
        """Stop taking entries; give those in hand `grace` seconds, then cancel them (they
        stay pending and another worker takes them over after the lease)."""
        self._stopping.set()
        loops, renewer = self._tasks[:-1], self._tasks[-1:]
        if loops:
            _done, late = await asyncio.wait(loops, timeout=grace)
            if late:
                logger.error("jobs still running at shutdown; left for other workers",
                             extra={"stream": self._stream, "entries": len(self._in_hand)})
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in renewer:
            task.cancel()
        await asyncio.gather(*renewer, return_exceptions=True)
        try:
            # Leave the group's consumer list as found, unless this one still holds
            # entries (those wait for another worker's XAUTOCLAIM).
            await self._retire(keys=[self._stream], args=[GROUP, self._consumer])
        except RedisError:
            logger.warning("consumer not removed: redis unavailable",
                           extra={"stream": self._stream})

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                entry = await self._next()
                failures = 0
            except RedisError as exc:
                if lost_group(exc):
                    await self._recreate_group()
                    continue
                failures = await self._wait_for_redis(exc, failures)
                continue
            except Exception:
                logger.exception("stream consumer failed; retrying", extra={
                    "stream": self._stream})
                await back_off(RECONNECT_BACKOFF_CAP, self._stopping)
                continue
            if entry is not None:
                await self._handle(*entry)

    async def _next(self) -> tuple[str, dict[bytes, bytes], int] | None:
        claimed = await _command(self._client,
            "XAUTOCLAIM", self._stream, GROUP, self._consumer, self._lease_ms, "0-0",
            "COUNT", 1)
        for entry_id, fields in claimed[1]:
            if fields is not None:
                return _text(entry_id), fields, await self._deliveries(entry_id)
        read = await _command(self._client,
            "XREADGROUP", "GROUP", GROUP, self._consumer, "COUNT", 1,
            "BLOCK", self._block_ms, "STREAMS", self._stream, ">")
        for _stream, entries in _stream_entries(read):
            for entry_id, fields in entries:
                return _text(entry_id), fields, 1
        return None

    async def _deliveries(self, entry_id: bytes | str) -> int:
        pending = await cast(Awaitable[list[dict[str, Any]]], self._client.xpending_range(
            self._stream, GROUP, entry_id, entry_id, 1))
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _handle(self, entry_id: str, fields: dict[bytes, bytes], count: int) -> None:
        self._in_hand.add(entry_id)
        try:
            if await self._handler(entry_id, fields, count):
                await self.acknowledge(entry_id)
        except RedisError as exc:
            # Not acknowledged: the entry stays pending and is taken over after the lease.
            logger.warning("entry left pending: redis failed", extra={
                "stream": self._stream, "entry": entry_id}, exc_info=True)
            if lost_group(exc):
                await self._recreate_group()
        except Exception:
            # A bug, not an outage: kept pending too, so the handler's attempt limit
            # decides when to give up on it, and the loop carries on.
            logger.exception("entry handler failed; entry left pending", extra={
                "stream": self._stream, "entry": entry_id})
        finally:
            self._in_hand.discard(entry_id)

    async def acknowledge(self, entry_id: str) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, GROUP, entry_id)
            pipe.xdel(self._stream, entry_id)
            await pipe.execute()

    async def _keep_claims(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            if not self._in_hand:
                continue
            try:
                lost = await self._renew(keys=[self._stream],
                                            args=[GROUP, self._consumer, *self._in_hand])
            except RedisError:  # the consumer loops log the outage once
                continue
            if lost:
                logger.warning("claims lost: another worker took over", extra={
                    "stream": self._stream, "entries": sorted(_text(e) for e in lost)})

    async def _recreate_group(self) -> None:
        """Redis came back without its data (restarted without AOF, flushed, failed
        over to an empty replica): the group is gone, and every command on it answers
        NOGROUP, which no wait would cure. Create it again and carry on; what Redis lost
        is lost (the start-up check warns when persistence is off)."""
        logger.error("consumer group missing: redis lost its data; group recreated",
                     extra={"stream": self._stream})
        try:
            await self.ensure_group()
        except RedisError as exc:
            await self._wait_for_redis(exc, 0)

    async def _wait_for_redis(self, exc: RedisError, failures: int) -> int:
        if failures == 0:
            logger.warning("redis unavailable; retrying", extra={
                "stream": self._stream, "reason": type(exc).__name__})
        await back_off(failures, self._stopping)
        return failures + 1


async def _command(client: aioredis.Redis, *args: str | int | bytes) -> Any:
    """A raw command: redis-py types stream replies loosely, Lua and these are parsed here."""
    return await client.execute_command(*args)  # type: ignore[no-untyped-call]


def _stream_entries(read: Any) -> list[tuple[Any, list[tuple[Any, dict[bytes, bytes]]]]]:
    """XREADGROUP's answer as (stream, entries) pairs, whichever RESP version."""
    if not read:
        return []
    if isinstance(read, dict):
        return [(stream, entries[0] if entries and isinstance(entries[0], list) else entries)
                for stream, entries in read.items()]
    return cast(list[tuple[Any, list[tuple[Any, dict[bytes, bytes]]]]], read)


def lost_group(exc: RedisError) -> bool:
    """Whether Redis answered that the stream or its consumer group does not exist."""
    return isinstance(exc, ResponseError) and "NOGROUP" in str(exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# --- the audit queue ----------------------------------------------------------------

_SUBMIT = """
local running_sha = redis.call('HGET', KEYS[2], 'sha')
local queued_sha = redis.call('HGET', KEYS[1], 'sha')
if ARGV[4] ~= '1' and (running_sha == ARGV[2] or queued_sha == ARGV[2]
                       or redis.call('EXISTS', KEYS[4]) == 1) then
  return {0, ''}
end
redis.call('HSET', KEYS[1], 'sha', ARGV[2], 'job', ARGV[3])
if not queued_sha and not running_sha then
  redis.call('XADD', KEYS[3], '*', 'pr', ARGV[1])
end
return {1, queued_sha or ''}
"""

_TAKE = """
local entry = redis.call('HGET', KEYS[2], 'entry')
if entry then
  if entry ~= ARGV[2] then
    redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
    redis.call('XDEL', KEYS[3], ARGV[2])
    return {'duplicate'}
  end
  local attempt = redis.call('HINCRBY', KEYS[2], 'attempt', 1)
  return {'resumed', redis.call('HGET', KEYS[2], 'job'), attempt}
end
local job = redis.call('HGET', KEYS[1], 'job')
if not job then
  redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[3], ARGV[2])
  return {'gone'}
end
local sha = redis.call('HGET', KEYS[1], 'sha')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'sha', sha, 'job', job, 'entry', ARGV[2], 'attempt', 1)
return {'started', job, 1}
"""

_FINISH = """
if redis.call('HGET', KEYS[2], 'entry') ~= ARGV[2]
   or redis.call('HGET', KEYS[2], 'attempt') ~= ARGV[5] then
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[4], '1', 'EX', ARGV[3])
redis.call('XACK', KEYS[3], ARGV[4], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('XADD', KEYS[3], '*', 'pr', ARGV[1])
end
return 1
"""


def _keys(pr: str) -> tuple[str, str]:
    return f"{NAMESPACE}:queued:{pr}", f"{NAMESPACE}:running:{pr}"


def _done_key(pr: str, head_sha: str) -> str:
    return f"{NAMESPACE}:done:{pr}:{head_sha}"


def encode_job(job: AuditJob) -> str:
    return json.dumps(dataclasses.asdict(job), sort_keys=True)


def decode_job(text: bytes | str, attempt: int) -> AuditJob:
    return dataclasses.replace(AuditJob(**json.loads(text)), attempt=attempt)


class RedisJobQueue:
    """`JobQueue` over Redis: any number of intake and worker processes share it.

    Same rules as `InProcessQueue`: per pull request one job runs at a time and only the
    newest head sha waits behind it; a head sha queued, running or finished within
    `recent_ttl` is not queued again unless forced."""

    def __init__(self, client: aioredis.Redis, *, concurrency: int, lease: float,
                 max_attempts: int, recent_ttl: float = 600.0,
                 consumer: str | None = None) -> None:
        self._client = client
        self._concurrency = concurrency
        self._lease = lease
        self._max_attempts = max_attempts
        self._recent_ttl = max(1, round(recent_ttl))
        self.consumer = consumer or consumer_name()
        self._submit = client.register_script(_SUBMIT)
        self._take = client.register_script(_TAKE)
        self._finish = client.register_script(_FINISH)
        self._consumer: StreamConsumer | None = None
        self._run: Runner | None = None
        self._gave_up: Runner | None = None

    async def submit(self, job: AuditJob) -> bool:
        pr = pull_key(job.key)
        queued, running = _keys(pr)
        accepted, superseded = await self._submit(
            keys=[queued, running, AUDITS, _done_key(pr, job.head_sha)],
            args=[pr, job.head_sha, encode_job(job), "1" if job.force else "0"],
        )
        if not accepted:
            logger.info("audit already done, queued or running", extra=job.log_context())
            return False
        if superseded and _text(superseded) != job.head_sha:
            logger.info("queued audit superseded", extra={
                **job.log_context(), "superseded": _text(superseded)})
        return True

    async def start(self, run: Runner, *, gave_up: Runner | None = None) -> None:
        """Run jobs with `run`; a job whose workers died `max_attempts` times is handed
        to `gave_up` instead (which concludes its check), never run again."""
        self._run = run
        self._gave_up = gave_up
        self._consumer = StreamConsumer(
            self._client, AUDITS, self._run_entry, consumer=self.consumer,
            concurrency=self._concurrency, lease=self._lease)
        await self._consumer.start()

    async def join(self) -> None:
        """Wait until no delivery or audit is queued or running in any process."""
        while True:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.xlen(DELIVERIES)
                pipe.xlen(AUDITS)
                lengths = await pipe.execute()
            if not any(lengths):
                return
            await asyncio.sleep(0.05)

    async def close(self, grace: float) -> None:
        if self._consumer is not None:
            await self._consumer.close(grace)

    async def _run_entry(self, entry_id: str, fields: dict[bytes, bytes], _count: int) -> bool:
        """Take the pull request's job, run it, finish it; the finish acknowledges."""
        pr = _text(fields[b"pr"])
        queued, running = _keys(pr)
        taken = await self._take(keys=[queued, running, AUDITS], args=[pr, entry_id, GROUP])
        state = _text(taken[0])
        if state != "started" and state != "resumed":
            logger.warning("audit entry without a job dropped", extra={"pr": pr, "state": state})
            return False
        job = decode_job(taken[1], int(taken[2]))
        if job.attempt > self._max_attempts:
            logger.error("audit dropped: its workers died every time",
                         extra={**job.log_context(), "attempt": job.attempt})
            if self._gave_up is not None:
                await self._execute(self._gave_up, job)
        else:
            if job.attempt > 1:
                logger.warning("audit resumed after its worker died",
                               extra={**job.log_context(), "attempt": job.attempt})
            assert self._run is not None, "start() sets the runner before entries arrive"
            await self._execute(self._run, job)
        await self._finished(pr, entry_id, job)
        return False

    async def _execute(self, run: Runner, job: AuditJob) -> None:
        try:
            with sentry.tags(**job.log_context()):
                await run(job)
        except Exception:
            logger.exception("audit job failed", extra=job.log_context())

    async def _finished(self, pr: str, entry_id: str, job: AuditJob) -> None:
        """Record the end; with Redis away, keep trying: the audit is done and must not
        run again just because its acknowledgement was late."""
        queued, running = _keys(pr)
        failures = 0
        while True:
            try:
                finished = await self._finish(
                    keys=[queued, running, AUDITS, _done_key(pr, job.head_sha)],
                    args=[pr, entry_id, self._recent_ttl, GROUP, job.attempt])
                break
            except RedisError as exc:
                failures += 1
                if failures == 1:
                    logger.warning("redis unavailable; audit end not yet recorded", extra={
                        **job.log_context(), "reason": type(exc).__name__})
                await back_off(failures)
        if not finished:
            logger.warning("audit finished after another worker took it over",
                           extra={**job.log_context(), "attempt": job.attempt})
