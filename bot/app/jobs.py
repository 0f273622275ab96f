"""Background work behind the webhook: supervised tasks, the audit queue, the process pool.

`JobQueue` and `DeliveryLog` are the seams for scaling out: the in-process versions here
are the embedded default. In Redis mode (`bot.redis.queue`) `RedisJobQueue` implements
`JobQueue`, and intake's dedupe and enqueue are one atomic `DeliveryInbox` script, so the
webhook handlers and the pipeline do not change.

Invariant: per pull request at most one audit runs at a time, and only the newest head
sha waits behind it; an older queued job is dropped when a newer head arrives, and a
running one does not publish once GitHub shows a newer head (the pipeline re-reads it).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import cachetools

from bot.app import sentry
from bot.app.audit_process import start_audit_process

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
PullKey = tuple[str, int]
"""(repository `owner/name`, pull request number)."""


@dataclass(frozen=True, slots=True)
class AuditJob:
    installation: int
    repo: str
    number: int
    head_sha: str
    delivery_id: str
    reason: str
    """What asked for it, e.g. `pull_request.synchronize` or `recheck`."""
    force: bool = False
    """An explicit re-run: audit even if this head was audited moments ago."""
    attempt: int = 1
    """Above 1 when a worker died running this job and another took it over (Redis
    mode): what the first attempt published must be reused, not duplicated."""

    @property
    def key(self) -> PullKey:
        return (self.repo, self.number)

    def log_context(self) -> dict[str, object]:
        return {"delivery_id": self.delivery_id, "repo": self.repo, "pr": self.number,
                "head_sha": self.head_sha, "reason": self.reason}


Runner = Callable[[AuditJob], Awaitable[None]]


class JobQueue(Protocol):
    """Where intake puts audits. Whether a running audit is still wanted is GitHub's to
    say: the pipeline re-reads the pull request's head before publishing."""

    async def submit(self, job: AuditJob) -> bool:
        """Queue `job`; False when it is a duplicate of queued or just-finished work."""

    async def start(self, run: Runner) -> None: ...

    async def join(self) -> None:
        """Wait until nothing is queued or running."""

    async def close(self, grace: float) -> None: ...


class DeliveryLog(Protocol):
    async def first_time(self, delivery_id: str) -> bool:
        """True the first time a delivery id is seen (within the TTL)."""


class MemoryDeliveryLog:
    def __init__(self, ttl: float, capacity: int = 100_000) -> None:
        self._seen: cachetools.TTLCache[str, bool] = cachetools.TTLCache(capacity, ttl)

    async def first_time(self, delivery_id: str) -> bool:
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = True
        return True


class InProcessQueue:
    """Audits run by `workers` tasks in this process, newest head sha per PR only."""

    def __init__(self, *, workers: int, recent_ttl: float = 600.0) -> None:
        self._workers = workers
        self._ready: asyncio.Queue[PullKey] = asyncio.Queue()
        self._pending: OrderedDict[PullKey, AuditJob] = OrderedDict()
        self._running: dict[PullKey, AuditJob] = {}
        self._finished: cachetools.TTLCache[tuple[PullKey, str], bool] = cachetools.TTLCache(
            100_000, recent_ttl
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._dropped: Runner | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    async def submit(self, job: AuditJob) -> bool:
        key = job.key
        running = self._running.get(key)
        same_as_running = running is not None and running.head_sha == job.head_sha
        if not job.force and (same_as_running or (key, job.head_sha) in self._finished):
            logger.info("audit already done or running", extra=job.log_context())
            return False
        older = self._pending.get(key)
        if older is not None:
            if not job.force and older.head_sha == job.head_sha:
                return False
            logger.info("queued audit superseded", extra={
                **older.log_context(), "superseded_by": job.head_sha})
        self._pending[key] = job
        self._idle.clear()
        if older is None and running is None:
            self._ready.put_nowait(key)
        return True

    async def start(self, run: Runner, *, dropped: Runner | None = None) -> None:
        """Run jobs with `run`; at `close`, hand each queued job that never ran to
        `dropped` (which tells the PR it was not audited)."""
        self._dropped = dropped
        self._tasks = [asyncio.create_task(self._work(run), name=f"audit-worker-{n}")
                       for n in range(self._workers)]

    async def join(self) -> None:
        await self._idle.wait()

    @property
    def waiting(self) -> int:
        """Jobs queued and not yet running."""
        return len(self._pending)

    @property
    def not_ready(self) -> str | None:
        """Why no job would run now (no worker task left), or None."""
        if not self._tasks:
            return "the audit queue has not started"
        if all(task.done() for task in self._tasks):
            return "the audit queue's workers have stopped"
        return None

    async def close(self, grace: float) -> None:
        """Give running audits `grace` seconds, then cancel them (the runner concludes
        their checks) and conclude every queued job through `dropped`."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            logger.error("audits still running at shutdown", extra={
                "running": len(self._running), "queued": len(self._pending)})
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        dropped, self._pending = list(self._pending.values()), OrderedDict()
        for job in dropped:
            logger.warning("queued audit dropped at shutdown", extra=job.log_context())
            if self._dropped is not None:
                try:
                    await self._dropped(job)
                except Exception:
                    logger.exception("could not conclude a dropped audit",
                                     extra=job.log_context())

    async def _work(self, run: Runner) -> None:
        while True:
            key = await self._ready.get()
            job = self._pending.pop(key)
            self._running[key] = job
            try:
                with sentry.tags(**job.log_context()):
                    await run(job)
            except Exception:
                logger.exception("audit job failed", extra=job.log_context())
            finally:
                del self._running[key]
                self._finished[(key, job.head_sha)] = True
                if key in self._pending:
                    self._ready.put_nowait(key)
                elif not self._pending and not self._running:
                    self._idle.set()


class Supervisor:
    """Fire-and-forget done right: every task is kept, awaited at shutdown, and its
    failure logged (and so sent to Sentry) with the delivery's context."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], context: Mapping[str, object]) -> None:
        task = asyncio.create_task(self._guard(work, context))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, work: Coroutine[Any, Any, None],
                     context: Mapping[str, object]) -> None:
        try:
            with sentry.tags(**context):
                await work
        except Exception:
            logger.exception("webhook handler failed", extra=dict(context))

    @property
    def idle(self) -> bool:
        return not self._tasks

    async def join(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def close(self, grace: float) -> None:
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(list(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class AuditCrashedError(Exception):
    """The audit process died (out of memory, a crash in native code)."""


class AuditPool:
    """`processes` audit lanes, each a one-process pool of its own, so an audit's crash,
    timeout or cancellation only ever costs its own lane: that lane's process is stopped
    and replaced, and the audits in the other lanes (and those waiting for a lane, whose
    time limit starts when they get one) never notice. A lane keeps its process, and
    so its facts cache, from one audit to the next."""

    def __init__(self, processes: int, *, timeout: float | None = None) -> None:
        self._timeout = timeout
        self._free: asyncio.Queue[_Lane] = asyncio.Queue()
        for _ in range(processes):
            self._free.put_nowait(_Lane())
        self._lanes = processes
        self._closed = False

    async def run(self, function: Callable[[T], R], argument: T) -> R:
        lane = await self._free.get()
        try:
            return await lane.run(function, argument, self._timeout)
        finally:
            self._free.put_nowait(lane)

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        self._closed = True
        lanes = [await self._free.get() for _ in range(self._lanes)]
        await asyncio.gather(*(lane.close() for lane in lanes))


class _Lane:
    """One audit at a time in one worker process, recreated after a crash or a stop."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: forking a process that runs an event loop and threads is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["bot.app.audit_process"])
            self._pool = ProcessPoolExecutor(1, mp_context=context,
                                             initializer=start_audit_process,
                                             initargs=(os.getpid(),))
        return self._pool

    async def run(self, function: Callable[[T], R], argument: T, timeout: float | None) -> R:
        pool = self._executor()
        try:
            # Submitting may start the fork server or a worker process, which blocks for
            # up to a second; do it off the event loop so intake keeps answering.
            future = await asyncio.to_thread(pool.submit, function, argument)
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except BrokenProcessPool:
            logger.error("audit process died; its lane restarted")
            self._discard()
            raise AuditCrashedError(
                "the audit process died (out of memory or a crash while parsing)"
            ) from None
        except TimeoutError:
            logger.error("audit over its time limit; its process stopped",
                         extra={"timeout": timeout})
            self._discard()
            raise AuditCrashedError(
                f"the audit took longer than {timeout:g} s and was stopped"
            ) from None
        except asyncio.CancelledError:
            self._discard()  # nobody waits for this audit any more: free the core
            raise

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
        else:
            # Before 3.14 a busy worker can only be stopped through the pool's own list
            # of its processes (None once the pool has shut down); without this, a
            # runaway audit would hold a core forever.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
