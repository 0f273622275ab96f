"""Running the App: `/metrics` and `/readyz` over HTTP after real audits through the fake
GitHub, the workers' own probe port, and the start-up line of a real `ssot-bot serve`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.redis.worker import work
from tests.conftest import APP_ID, WEBHOOK_SECRET, BotClient, MakeBot, settings_for
from tests.fake_github import FakeGitHub

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = pytest.mark.asyncio
pytest_plugins = ["tests.redis_server"]  # the real redis-server fixtures


def free_port() -> int:
    from tests.redis_server import free_port  # registered as a plugin above first

    return free_port()

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text page, by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(page: Samples, name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


def github_requests(page: Samples) -> float:
    return sum(v for (name, _), v in page.items() if name == "ssot_github_requests_total")


async def scrape(bot: BotClient) -> Samples:
    response = await bot.client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(await response.text())


async def test_metrics_count_a_real_audit_its_delivery_and_githubs_answers(
        bot: BotClient, github: FakeGitHub) -> None:
    before = await scrape(bot)
    assert await bot.deliver("pull_request", github.pull_request_payload(1, "opened")) == 202
    assert await bot.deliver("pull_request", github.pull_request_payload(1, "opened"),
                             secret="not the secret") == 401
    await bot.settle()
    after = await scrape(bot)
    [run] = github.runs_for(github.sha("feature"))
    assert run.conclusion == "failure"  # the feature branch swallows an exception: NO-GO

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("ssot_webhook_deliveries_total", event="pull_request", outcome="accepted") == 1
    assert delta("ssot_webhook_deliveries_total", event="unverified",
                 outcome="bad-signature") == 1
    assert delta("ssot_audits_concluded_total", verdict="NO-GO") == 1
    assert delta("ssot_audits_concluded_total", verdict="GO") == 0
    assert delta("ssot_audit_duration_seconds_count") == 1
    assert delta("ssot_audit_duration_seconds_sum") > 0
    # The tarball's redirect is followed within its request: one request of ours.
    sent = [r for r in github.requests if "authorization" in r.headers
            and not r.path.startswith("/_codeload/")]
    assert github_requests(after) - github_requests(before) == len(sent)
    assert value(after, "ssot_github_rate_limit_remaining") == github.rate_limit_remaining
    assert value(after, "ssot_queue_depth", queue="audits") == 0


async def test_an_audit_that_cannot_complete_is_counted_as_such(
        bot: BotClient, github: FakeGitHub) -> None:
    before = await scrape(bot)
    github.fail("GET", r"/pulls/1/files$", 404, times=10)
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    after = await scrape(bot)
    [run] = github.runs_for(github.sha("feature"))
    assert run.output["title"] == "SSOT audit could not complete"
    verdict = {"verdict": "could-not-complete"}
    assert (value(after, "ssot_audits_concluded_total", **verdict)
            - value(before, "ssot_audits_concluded_total", **verdict)) == 1
    assert (value(after, "ssot_github_requests_total", status="404")
            - value(before, "ssot_github_requests_total", status="404")) >= 1


async def test_readyz_is_200_in_process_and_503_while_redis_is_down(
        bot: BotClient, make_bot: MakeBot, redis_server: RedisServer, redis_url: str) -> None:
    ready = await bot.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"
    intake = await make_bot(redis_url=redis_url)
    assert (await intake.client.get("/readyz")).status == 200
    redis_server.stop()
    try:
        down = await intake.client.get("/readyz")
        body = await down.json()
        alive = await intake.client.get("/healthz")
    finally:
        redis_server.start()
    assert down.status == 503
    assert body["status"] == "unavailable" and body["reason"].startswith("redis unreachable")
    assert alive.status == 200, "liveness does not depend on Redis"
    assert (await intake.client.get("/readyz")).status == 200


async def test_intake_metrics_show_the_deliveries_waiting_in_redis(
        make_bot: MakeBot, github: FakeGitHub, redis_url: str) -> None:
    intake = await make_bot(redis_url=redis_url)
    before = await scrape(intake)
    assert await intake.deliver("pull_request", github.pull_request_payload(1, "opened")) == 202
    after = await scrape(intake)
    assert value(after, "ssot_queue_depth", queue="deliveries") == 1  # no worker runs
    assert (value(after, "ssot_webhook_deliveries_total", event="pull_request",
                  outcome="accepted")
            - value(before, "ssot_webhook_deliveries_total", event="pull_request",
                    outcome="accepted")) == 1


async def test_a_worker_serves_its_metrics_and_readiness_on_its_own_port(
        make_bot: MakeBot, github: FakeGitHub, app_key: tuple[str, str], redis_url: str,
        caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    settings = settings_for(github, app_key[0], redis_url=redis_url, redis_lease=1.0,
                            metrics_port=port)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    worker = asyncio.create_task(work(settings, stop))
    intake = await make_bot(redis_url=redis_url)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            for _ in range(200):
                with_retry = await _get(session, "/readyz")
                if with_retry == 200:
                    break
                await asyncio.sleep(0.05)
            assert with_retry == 200
            await intake.deliver("pull_request", github.pull_request_payload(1, "opened"))
            for _ in range(600):
                if github.runs_for(github.sha("feature")) and github.runs_for(
                        github.sha("feature"))[0].status == "completed":
                    break
                await asyncio.sleep(0.05)
            async with session.get("/metrics") as response:
                page = samples(await response.text())
    finally:
        stop.set()
        await worker
    assert value(page, "ssot_audits_concluded_total", verdict="NO-GO") >= 1
    assert ("ssot_queue_depth", frozenset({("queue", "audits")})) in page
    [started] = [r for r in caplog.records if r.getMessage() == "ssot-bot started"]
    assert (started.__dict__["mode"], started.__dict__["metrics"]) == ("redis", f"0.0.0.0:{port}")


async def _get(session: aiohttp.ClientSession, path: str) -> int:
    try:
        async with session.get(path) as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return 0


@pytest.fixture
def serve_process(github: FakeGitHub, app_key: tuple[str, str], tmp_path: Path
                  ) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SSOT_"))},
           "GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": app_key[0],
           "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "GITHUB_API_URL": github.url}
    process = subprocess.Popen(
        [Path(sys.executable).parent / "ssot-bot", "serve", "--host", "127.0.0.1", "--port",
         str(port)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        yield process, port
    finally:
        process.terminate()
        process.communicate(timeout=30)  # and closes the pipe


async def test_serve_logs_one_start_up_line_without_secrets_and_becomes_ready(
        serve_process: tuple[subprocess.Popen[str], int], github: FakeGitHub,
        app_key: tuple[str, str]) -> None:
    process, port = serve_process
    assert process.stderr is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stderr.readline), 30)
    started = json.loads(line)
    assert started["message"] == "ssot-bot started"
    assert (started["listening"], started["mode"], started["github_api"], started["app_id"]) == (
        f"127.0.0.1:{port}", "in-process", github.url, APP_ID)
    assert started["version"]
    key_lines = [k for k in app_key[0].splitlines() if "PRIVATE KEY" not in k]
    assert not [secret for secret in [WEBHOOK_SECRET, *key_lines] if secret in line]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/readyz") as ready:
            assert ready.status == 200
        async with session.get(f"http://127.0.0.1:{port}/metrics") as page:
            assert "ssot_webhook_deliveries_total" in await page.text()
