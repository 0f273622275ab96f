"""The Redis queue's own rules (the `JobQueue` contract both queues keep is in
tests/test_job_queues.py), against a real redis-server: intake processes and workers are
separate clients (separate connections and consumer names), as separate processes are."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from gidgethub import sansio

from bot.app.jobs import AuditJob
from bot.redis.queue import (
    AUDITS,
    DELIVERIES,
    DeliveryInbox,
    RedisJobQueue,
    connect,
    warn_without_persistence,
)

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.asyncio
pytest_plugins = ["tests.redis_server"]  # the real redis-server fixtures

LEASE = 1.0
"""Seconds: short, so a dead worker's job is taken over quickly, yet long enough that
a live worker on a loaded machine always renews its claim in time."""


def job(head_sha: str, *, number: int = 1, force: bool = False) -> AuditJob:
    return AuditJob(installation=7, repo="octo-org/octo-repo", number=number,
                    head_sha=head_sha, delivery_id=f"delivery-{head_sha}",
                    reason="pull_request.synchronize", force=force)


@pytest_asyncio.fixture
async def clients(redis_url: str) -> AsyncIterator[Callable[[], aioredis.Redis]]:
    """A new client (its own connections) per simulated process."""
    made: list[aioredis.Redis] = []

    def make() -> aioredis.Redis:
        made.append(connect(redis_url))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


class Recorder:
    """A runner that records what it ran; `gate` holds every run until set."""

    def __init__(self) -> None:
        self.ran: list[AuditJob] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, job: AuditJob) -> None:
        self.ran.append(job)
        self.started.set()
        await self.gate.wait()


class OverlapTracker(Recorder):
    """A runner that notes every pull request number it found already running; runners
    made with one `running` table share it (two workers of one queue)."""

    def __init__(self, running: dict[int, int], overlaps: list[int]) -> None:
        super().__init__()
        self.running, self.overlaps = running, overlaps

    async def __call__(self, job: AuditJob) -> None:
        self.running[job.number] = self.running.get(job.number, 0) + 1
        if self.running[job.number] > 1:
            self.overlaps.append(job.number)
        await asyncio.sleep(0.01)
        self.running[job.number] -= 1
        self.ran.append(job)


MakeQueue = Callable[..., Awaitable[RedisJobQueue]]


@pytest_asyncio.fixture
async def queue(clients: Callable[[], aioredis.Redis]) -> AsyncIterator[MakeQueue]:
    """`await queue(runner)`: a worker process's queue, started with `runner`;
    `await queue()`: an intake process's queue (submits only)."""
    started: list[RedisJobQueue] = []

    async def make(runner: Recorder | None = None, *, lease: float = LEASE) -> RedisJobQueue:
        made = RedisJobQueue(clients(), concurrency=2, lease=lease, max_attempts=3)
        if runner is not None:
            await made.start(runner)
            started.append(made)
        return made

    yield make
    for made in started:
        await made.close(grace=0)


async def test_two_intake_processes_queue_a_delivery_once(
        clients: Callable[[], aioredis.Redis]) -> None:
    event = sansio.Event({"action": "opened", "installation": {"id": 7}},
                         event="pull_request", delivery_id="72d3162e")
    first, second = DeliveryInbox(clients(), ttl=60), DeliveryInbox(clients(), ttl=60)
    accepted = await asyncio.gather(first.put(event), second.put(event), first.put(event))
    assert sorted(accepted) == [False, False, True]
    assert await clients().xlen(DELIVERIES) == 1


async def test_a_pull_request_never_runs_on_two_workers_at_once(queue: MakeQueue) -> None:
    running: dict[int, int] = {}
    overlaps: list[int] = []

    first, second = OverlapTracker(running, overlaps), OverlapTracker(running, overlaps)
    intake = await queue()
    await queue(first)
    await queue(second)
    for n in range(12):
        await intake.submit(job(f"{n:02x}", number=n % 3, force=True))
    await intake.join()
    assert overlaps == []
    assert len(first.ran) + len(second.ran) >= 3, "every PR's newest head ran"


async def test_the_job_of_a_worker_that_died_is_taken_over_as_a_second_attempt(
        queue: MakeQueue) -> None:
    dying, survivor = Recorder(), Recorder()
    dying.gate.clear()
    first = await queue(dying)
    await first.submit(job("a1"))
    await dying.started.wait()
    await first.close(grace=0)  # its job is cancelled mid-run and never finished
    second = await queue(survivor)
    await asyncio.wait_for(survivor.started.wait(), timeout=30 * LEASE)
    await second.join()
    assert [(j.head_sha, j.attempt) for j in survivor.ran] == [("a1", 2)]


async def test_queued_jobs_survive_a_redis_restart_and_workers_reconnect(
        queue: MakeQueue, redis_server: RedisServer,
        clients: Callable[[], aioredis.Redis]) -> None:
    runner = Recorder()
    runner.gate.clear()
    worker = await queue(runner)
    intake = await queue()
    await intake.submit(job("a1", number=1))
    await runner.started.wait()
    await intake.submit(job("b2", number=2))
    await intake.submit(job("c3", number=1))
    redis_server.restart()
    runner.gate.set()  # a1 ends while Redis was away; the worker records it once back
    await worker.join()
    assert sorted(j.head_sha for j in runner.ran) == ["a1", "b2", "c3"]
    assert [await clients().xlen(stream) for stream in (DELIVERIES, AUDITS)] == [0, 0]


async def test_a_stopped_worker_leaves_the_consumer_group_as_it_found_it(
        queue: MakeQueue, clients: Callable[[], aioredis.Redis]) -> None:
    worker = await queue(Recorder())
    await worker.submit(job("a1"))
    await worker.join()
    await worker.close(grace=1)
    assert await clients().xinfo_consumers(AUDITS, "workers") == []


async def test_workers_recreate_their_group_when_redis_lost_its_data(
        queue: MakeQueue, clients: Callable[[], aioredis.Redis]) -> None:
    runner = Recorder()
    worker = await queue(runner)
    await worker.submit(job("a1"))
    await worker.join()
    await clients().flushall()  # Redis restarted empty: stream and group are gone
    await worker.submit(job("b2", number=2))
    await asyncio.wait_for(worker.join(), timeout=15)
    assert [j.head_sha for j in runner.ran] == ["a1", "b2"]


async def test_a_job_whose_workers_die_every_time_is_given_up_not_left_running(
        clients: Callable[[], aioredis.Redis]) -> None:
    dying, given_up = Recorder(), Recorder()
    dying.gate.clear()
    first = RedisJobQueue(clients(), concurrency=1, lease=LEASE, max_attempts=1)
    await first.start(dying)
    await first.submit(job("a1"))
    await dying.started.wait()
    await first.close(grace=0)  # the only attempt allowed dies mid-run
    second = RedisJobQueue(clients(), concurrency=1, lease=LEASE, max_attempts=1)
    never = Recorder()
    await second.start(never, gave_up=given_up)
    try:
        await asyncio.wait_for(given_up.started.wait(), timeout=30 * LEASE)
        await second.join()
    finally:
        await second.close(grace=0)
    assert [(j.head_sha, j.attempt) for j in given_up.ran] == [("a1", 2)]
    assert never.ran == []


async def test_missing_aof_persistence_is_reported_at_start_up(
        redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with_aof = connect(redis_url)
    try:
        assert await warn_without_persistence(with_aof) is True  # the suite's server
    finally:
        await with_aof.aclose()
    assert "without AOF" not in caplog.text
    # Imported here: pytest loads it as a plugin first (`pytest_plugins`).
    from tests.redis_server import RedisServer as Server
    executable = shutil.which("redis-server")
    assert executable is not None
    volatile = Server(executable, tmp_path, appendonly=False)
    volatile.start()
    client = connect(volatile.url)
    try:
        assert await warn_without_persistence(client) is False
    finally:
        await client.aclose()
        volatile.stop()
    assert "redis runs without AOF persistence" in caplog.text
