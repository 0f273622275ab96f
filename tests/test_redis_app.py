"""Redis mode end to end: intake apps that only verify and enqueue, workers (in this
process, or real `ssot-bot worker` subprocesses) that audit against the fake GitHub."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest
import pytest_asyncio

from bot.github.rest import GitHubApp
from bot.redis.cache import RedisSharedCache
from bot.redis.queue import DELIVERIES, RedisJobQueue, connect
from bot.redis.worker import work
from bot.report import MARKER
from bot.settings import Settings
from tests.conftest import APP_ID, WEBHOOK_SECRET, BotClient, MakeBot, settings_for
from tests.fake_github import INSTALLATION_ID, FakeGitHub, Hold

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.asyncio
pytest_plugins = ["tests.redis_server"]  # the real redis-server fixtures

LEASE = 1.0
"""Seconds before a dead worker's job is taken over (production: 30)."""
ROOT = Path(__file__).resolve().parents[1]
Intake = Callable[[], Awaitable[BotClient]]
StartWorker = Callable[[], None]


async def settled(redis_url: str) -> None:
    """Wait until no delivery or audit is queued or running in any process."""
    client = connect(redis_url)
    try:
        queue = RedisJobQueue(client, concurrency=1, lease=LEASE, max_attempts=3)
        await asyncio.wait_for(queue.join(), timeout=30)
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def intake(make_bot: MakeBot, redis_url: str) -> Intake:
    """`await intake()`: one more intake app (as a separate `ssot-bot serve` would be)."""
    async def make() -> BotClient:
        return await make_bot(redis_url=redis_url)
    return make


@pytest_asyncio.fixture
async def worker(github: FakeGitHub, app_key: tuple[str, str], redis_url: str
                 ) -> AsyncIterator[StartWorker]:
    """`start()`: a worker in this process (`bot.redis.worker.work`), stopped at teardown."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def start() -> None:
        settings = settings_for(github, app_key[0], redis_url=redis_url, redis_lease=LEASE)
        tasks.append(asyncio.create_task(work(settings, stop)))

    yield start
    stop.set()
    await asyncio.gather(*tasks)


def worker_process(github: FakeGitHub, private_key: str, redis_url: str
                   ) -> subprocess.Popen[bytes]:
    """`ssot-bot worker` as operators run it: settings from the environment, in a session
    of its own so that `kill_machine` also takes its audit process pool down."""
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
        "GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": private_key,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "GITHUB_API_URL": github.url,
        "SSOT_REDIS_URL": redis_url, "SSOT_REDIS_LEASE": str(LEASE),
    }
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def kill_machine(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and every process it started, as a lost machine or an
    out-of-memory kill of its container would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


async def test_a_redelivery_to_two_intake_processes_is_audited_once(
        intake: Intake, worker: StartWorker, github: FakeGitHub, redis_url: str) -> None:
    first, second = await intake(), await intake()
    payload = github.pull_request_payload(1, "opened")
    statuses = await asyncio.gather(first.deliver("pull_request", payload, delivery="d-1"),
                                    second.deliver("pull_request", payload, delivery="d-1"))
    assert list(statuses) == [202, 202]
    assert github.requests == [], "intake only verifies and enqueues"
    worker()
    await settled(redis_url)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    [comment] = github.comments_on(1)
    assert comment.body.startswith(MARKER)


async def test_pushes_to_two_intake_processes_audit_only_the_newest_head(
        intake: Intake, worker: StartWorker, github: FakeGitHub, redis_url: str) -> None:
    first, second = await intake(), await intake()
    old_head = github.sha("feature")
    await first.deliver("pull_request", github.pull_request_payload(1, "opened"))
    new_head = github.push("feature", {"app/extra.py": "X = 1\n"})
    await second.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    worker()
    await settled(redis_url)
    assert github.runs_for(old_head) == []
    [run] = github.runs_for(new_head)
    assert run.status == "completed"
    [comment] = github.comments_on(1)
    assert new_head[:12] in comment.body


async def test_intake_answers_503_while_redis_is_down_and_keeps_nothing(
        intake: Intake, github: FakeGitHub, redis_server: RedisServer, redis_url: str) -> None:
    bot = await intake()
    body = json.dumps(github.pull_request_payload(1, "opened")).encode()
    redis_server.stop()
    try:
        unsigned = await bot.client.post("/webhook", data=b"", headers={})
        refused = await bot.client.post("/webhook", data=body, headers=_signed_headers(body))
    finally:
        redis_server.start()
    assert unsigned.status == 401, "signatures are still checked first"
    assert refused.status == 503
    assert int(refused.headers["Retry-After"]) > 0
    redelivered = await bot.client.post("/webhook", data=body, headers=_signed_headers(body))
    assert redelivered.status == 202, "the refused delivery id was not remembered"
    client = connect(redis_url)
    assert await client.xlen(DELIVERIES) == 1
    await client.aclose()


async def kill_a_worker_at(hold: Hold, github: FakeGitHub, private_key: str,
                           redis_url: str) -> None:
    """Start `ssot-bot worker`, kill its machine once its audit reaches `hold`, and let
    the dead worker's held request land late, as it can on GitHub."""
    doomed = worker_process(github, private_key, redis_url)
    try:
        await asyncio.wait_for(hold.reached.wait(), timeout=60)
    finally:
        kill_machine(doomed)
    github.holds.remove(hold)
    hold.released.set()


async def test_a_worker_killed_mid_audit_is_taken_over_with_one_check_and_one_comment(
        intake: Intake, worker: StartWorker, github: FakeGitHub, app_key: tuple[str, str],
        redis_url: str) -> None:
    hold = github.hold("PATCH", r"/check-runs/\d+$")  # the comment is posted, the check not
    bot = await intake()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await kill_a_worker_at(hold, github, app_key[0], redis_url)
    worker()
    await settled(redis_url)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert len(github.comments_on(1)) == 1
    assert any(r.path.endswith("/check-runs") and r.method == "GET" for r in github.requests), \
        "the second attempt looked for the first attempt's check run"


async def test_a_killed_workers_check_run_on_a_superseded_head_is_concluded(
        intake: Intake, worker: StartWorker, github: FakeGitHub, app_key: tuple[str, str],
        redis_url: str) -> None:
    hold = github.hold("GET", r"/_codeload/")
    bot = await intake()
    old_head = github.sha("feature")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await kill_a_worker_at(hold, github, app_key[0], redis_url)
    new_head = github.push("feature", {"app/extra.py": "X = 1\n"})
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    worker()
    await settled(redis_url)
    [old_run] = github.runs_for(old_head)
    assert (old_run.status, old_run.conclusion) == ("completed", "neutral")
    [new_run] = github.runs_for(new_head)
    assert new_run.status == "completed"
    [comment] = github.comments_on(1)
    assert new_head[:12] in comment.body


async def test_an_audit_running_while_redis_restarts_is_published_once(
        intake: Intake, worker: StartWorker, github: FakeGitHub, redis_server: RedisServer,
        redis_url: str) -> None:
    hold = github.hold("GET", r"/_codeload/")
    bot = await intake()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    worker()
    await asyncio.wait_for(hold.reached.wait(), timeout=30)
    redis_server.restart()
    new_head = github.push("feature", {"app/extra.py": "X = 1\n"})
    assert await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize")) \
        == 202
    hold.released.set()
    await settled(redis_url)
    [run] = github.runs_for(new_head)
    assert run.status == "completed"
    assert {r.status for r in github.check_runs.values()} == {"completed"}
    [comment] = github.comments_on(1)
    assert new_head[:12] in comment.body


async def test_a_second_worker_reuses_the_first_ones_token_blobs_and_tarball(
        intake: Intake, github: FakeGitHub, app_key: tuple[str, str], redis_url: str) -> None:
    settings = settings_for(github, app_key[0], redis_url=redis_url, redis_lease=LEASE)
    bot = await intake()
    for delivery in ("pull_request", "issue_comment"):
        payload = (github.pull_request_payload(1, "opened") if delivery == "pull_request"
                   else github.comment_payload(1, "/ssot recheck", github.pulls[1].author))
        await bot.deliver(delivery, payload)
        before = len(github.requests)
        stop = asyncio.Event()
        running = asyncio.create_task(work(settings, stop))  # a fresh process's caches
        await settled(redis_url)
        stop.set()
        await running
    second = github.requests[before:]
    assert github.tokens_minted == 1
    assert [r.path for r in second if "/git/blobs/" in r.path or "/_codeload/" in r.path] == []
    assert len(github.runs_for(github.sha("feature"))) == 2, "the recheck audited again"
    client = connect(redis_url)
    values = [await client.get(key) for key in await client.keys("*token*")]
    stored = b"".join(value for value in values if isinstance(value, bytes))
    await client.aclose()
    assert stored, "the token is shared"
    assert not any(token.encode() in stored for token in github.tokens), "but not readable"


async def test_workers_starting_together_mint_one_installation_token(
        github: FakeGitHub, app_key: tuple[str, str], redis_url: str) -> None:
    settings = settings_for(github, app_key[0], redis_url=redis_url)
    minting = github.hold("POST", r"/access_tokens$")
    clients = [connect(redis_url) for _ in range(3)]
    try:
        async with aiohttp.ClientSession() as session:
            apps = [GitHubApp(session, settings, shared=RedisSharedCache(client, settings))
                    for client in clients]  # three workers' own connections and caches
            tokens = asyncio.gather(*(app.credentials.token(INSTALLATION_ID) for app in apps))
            await asyncio.wait_for(minting.reached.wait(), timeout=10)
            await asyncio.sleep(0.2)  # time for the others to ask GitHub too, if they would
            minting.released.set()
            assert len(set(await tokens)) == 1
    finally:
        for client in clients:
            await client.aclose()
    assert github.tokens_minted == 1


async def test_a_worker_stops_an_audit_over_its_time_limit(
        intake: Intake, github: FakeGitHub, app_key: tuple[str, str], redis_url: str) -> None:
    settings = settings_for(github, app_key[0], redis_url=redis_url, redis_lease=LEASE,
                            audit_timeout=0.001)
    bot = await intake()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await work_until_settled(settings, redis_url)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.conclusion, run.output["title"]) == ("failure", "SSOT audit could not complete")
    assert "took longer than 0.001 s" in run.output["summary"]


async def work_until_settled(settings: Settings, redis_url: str) -> None:
    """A worker with `settings`, in this process, until nothing is queued or running."""
    stop = asyncio.Event()
    running = asyncio.create_task(work(settings, stop))
    await settled(redis_url)
    stop.set()
    await running


def live_processes_in_group(group: int) -> list[int]:
    """Pids of the processes of process group `group` that have not exited."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            state, _parent, process_group = stat.read_text().rpartition(")")[2].split()[:3]
            if int(process_group) == group and state != "Z":
                found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="audit processes watch with pidfds")
async def test_a_killed_workers_audit_processes_die_with_it(
        intake: Intake, github: FakeGitHub, app_key: tuple[str, str], redis_url: str) -> None:
    bot = await intake()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    doomed = worker_process(github, app_key[0], redis_url)  # its own process group
    try:
        await settled(redis_url)
        assert len(live_processes_in_group(doomed.pid)) > 1, "the audit process pool runs"
        doomed.kill()  # the worker alone, as the OOM killer would
        doomed.wait(timeout=10)
        for _ in range(200):
            if not live_processes_in_group(doomed.pid):
                break
            await asyncio.sleep(0.05)
        assert live_processes_in_group(doomed.pid) == []
    finally:
        kill_machine(doomed)


def _signed_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": f"sha256={digest}"}


async def test_an_audit_whose_workers_die_every_time_concludes_its_check_as_failed(
        intake: Intake, github: FakeGitHub, app_key: tuple[str, str], redis_url: str) -> None:
    hold = github.hold("GET", r"/_codeload/")  # the check is in progress by then
    bot = await intake()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await kill_a_worker_at(hold, github, app_key[0], redis_url)
    settings = settings_for(github, app_key[0], redis_url=redis_url, redis_lease=LEASE,
                            max_job_attempts=1)  # the dead one was the last attempt
    await work_until_settled(settings, redis_url)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert "died (1 attempt: out of memory" in run.output["summary"]
    assert github.comments_on(1) == []
