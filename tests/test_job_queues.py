"""The `JobQueue` contract, run against both queues: the in-process one (`bot.app.jobs`)
and the Redis one (`bot.redis.queue`, on the suite's real redis-server). Per pull request
one audit runs at a time, only the newest head waits, and a head is audited once unless
forced; what differs between the two (processes, leases, restarts) is tested in
tests/test_redis_queue.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from bot.app.jobs import InProcessQueue, JobQueue
from bot.redis.queue import RedisJobQueue, connect
from tests.test_redis_queue import LEASE, OverlapTracker, Recorder, job

pytestmark = pytest.mark.asyncio
pytest_plugins = ["tests.redis_server"]  # the real redis-server fixtures

MakeQueue = Callable[..., Awaitable[JobQueue]]


@pytest_asyncio.fixture(params=["in-process", "redis"])
async def queue(request: pytest.FixtureRequest) -> AsyncIterator[MakeQueue]:
    """`await queue()`: where intake submits; `await queue(runner)`: the same, started
    with `runner`. In-process both are one queue; with Redis each is a client of its own,
    as separate intake and worker processes are."""
    closing: list[Callable[[], Awaitable[None]]] = []
    if request.param == "in-process":
        shared = InProcessQueue(workers=2)

        async def make(runner: Recorder | None = None) -> JobQueue:
            if runner is not None:
                await shared.start(runner)
                closing.append(lambda: shared.close(grace=0))
            return shared
    else:
        redis_url = request.getfixturevalue("redis_url")

        async def make(runner: Recorder | None = None) -> JobQueue:
            client = connect(redis_url)
            made = RedisJobQueue(client, concurrency=2, lease=LEASE, max_attempts=3)
            if runner is not None:
                await made.start(runner)
                closing.append(lambda: made.close(grace=0))
            closing.append(client.aclose)
            return made

    yield make
    for close in closing:
        await close()


async def test_the_same_head_is_queued_once_per_pull_request(queue: MakeQueue) -> None:
    intake = await queue()
    assert await intake.submit(job("a1")) is True
    assert await intake.submit(job("a1")) is False
    assert await intake.submit(job("a1", number=2)) is True


async def test_a_newer_head_replaces_the_queued_one_and_only_it_runs(queue: MakeQueue) -> None:
    intake = await queue()
    await intake.submit(job("a1"))
    await intake.submit(job("b2"))
    runner = Recorder()
    worker = await queue(runner)
    await worker.join()
    assert [j.head_sha for j in runner.ran] == ["b2"]


async def test_a_newer_head_waits_for_the_running_audit_of_its_pull_request(
        queue: MakeQueue) -> None:
    intake, runner = await queue(), Recorder()
    runner.gate.clear()
    worker = await queue(runner)
    await intake.submit(job("a1"))
    await runner.started.wait()
    assert await intake.submit(job("b2")) is True
    await asyncio.sleep(0.2)  # time enough for a second run to start, were it allowed
    assert [j.head_sha for j in runner.ran] == ["a1"], "b2 waits for a1: one run per PR"
    runner.gate.set()
    await worker.join()
    assert [j.head_sha for j in runner.ran] == ["a1", "b2"]


async def test_a_pull_request_never_runs_twice_at_once(queue: MakeQueue) -> None:
    running: dict[int, int] = {}
    overlaps: list[int] = []

    tracker = OverlapTracker(running, overlaps)
    worker = await queue(tracker)
    for n in range(12):
        await worker.submit(job(f"{n:02x}", number=n % 3, force=True))
    await worker.join()
    assert overlaps == []
    assert {j.number for j in tracker.ran} == {0, 1, 2}, "every PR's newest head ran"


async def test_a_finished_head_is_audited_again_only_when_forced(queue: MakeQueue) -> None:
    runner = Recorder()
    worker = await queue(runner)
    await worker.submit(job("a1"))
    await worker.join()
    assert await worker.submit(job("a1")) is False
    assert await worker.submit(job("a1", force=True)) is True
    await worker.join()
    assert [(j.head_sha, j.force) for j in runner.ran] == [("a1", False), ("a1", True)]
