"""`POST /webhook` and `GET /healthz`: what GitHub sees of the bot."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import BotClient, MakeBot
from tests.fake_github import FakeGitHub

pytestmark = pytest.mark.asyncio


async def test_healthz_answers_ok_with_the_version(bot: BotClient) -> None:
    response = await bot.client.get("/healthz")
    body = await response.json()
    assert response.status == 200
    assert body["status"] == "ok"
    assert body["version"]


async def test_ping_is_answered_200(bot: BotClient, github: FakeGitHub) -> None:
    payload = json.loads((github.webhook_examples / "ping" / "payload.json").read_text())
    assert await bot.deliver("ping", payload) == 200


async def test_missing_signature_is_rejected_and_nothing_happens(
        bot: BotClient, github: FakeGitHub) -> None:
    status = await bot.deliver("pull_request", github.pull_request_payload(1, "opened"),
                               signature="")
    await bot.settle()
    assert status == 401
    assert github.requests == []


async def test_wrong_signature_is_rejected_and_nothing_happens(
        bot: BotClient, github: FakeGitHub) -> None:
    status = await bot.deliver("pull_request", github.pull_request_payload(1, "opened"),
                               secret="not the secret")
    await bot.settle()
    assert status == 401
    assert github.requests == []


async def test_signature_over_a_different_body_is_rejected(
        bot: BotClient, github: FakeGitHub) -> None:
    payload = github.pull_request_payload(1, "opened")
    signed_for_other = await bot.deliver("pull_request", payload, signature="sha256=" + "0" * 64)
    assert signed_for_other == 401


async def test_malformed_json_is_a_bad_request(bot: BotClient) -> None:
    assert await bot.deliver("pull_request", None, body=b'{"action": "opened",') == 400


async def test_payload_over_25_mb_is_refused(bot: BotClient) -> None:
    body = b'{"padding": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    assert await bot.deliver("pull_request", None, body=body) == 413


async def test_unhandled_event_is_acknowledged_and_ignored(
        bot: BotClient, github: FakeGitHub) -> None:
    status = await bot.deliver("pull_request", github.pull_request_payload(1, "closed"))
    await bot.settle()
    assert status == 202
    assert github.requests == []


async def test_delivery_is_acknowledged_before_the_audit_runs(
        bot: BotClient, github: FakeGitHub) -> None:
    hold = github.hold("POST", r"/access_tokens$")
    status = await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    assert status == 202
    await hold.reached.wait()
    assert github.check_runs == {}  # the audit is still waiting on GitHub
    hold.released.set()
    await bot.settle()
    assert len(github.check_runs) == 1


async def test_redelivery_with_the_same_delivery_id_is_audited_once(
        bot: BotClient, github: FakeGitHub) -> None:
    payload = github.pull_request_payload(1, "opened")
    first = await bot.deliver("pull_request", payload, delivery="d-1")
    second = await bot.deliver("pull_request", payload, delivery="d-1")
    await bot.settle()
    assert (first, second) == (202, 202)
    assert len(github.runs_for(github.sha("feature"))) == 1


async def test_installation_events_are_logged_as_one_structured_line(
        bot: BotClient, github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    payload = github.example_payload("installation", "created.payload.json")
    caplog.set_level("INFO", logger="bot.app.webhooks.installations")
    assert await bot.deliver("installation", payload) == 202
    await bot.settle()
    [record] = [r for r in caplog.records if r.name == "bot.app.webhooks.installations"]
    assert record.getMessage() == "installation changed"
    assert record.__dict__["action"] == "created"
    assert record.__dict__["installation_id"] == 4242
    assert github.requests == []


def reshaped(github: FakeGitHub, change: str) -> dict[str, Any]:
    payload = github.pull_request_payload(1, "opened")
    if change == "installation id a string":
        payload["installation"]["id"] = "4242"
    elif change == "installation a string":
        payload["installation"] = "4242"
    elif change == "repository a string":
        payload["repository"] = "octo-org/octo-repo"
    elif change == "action a list":
        payload["action"] = ["opened"]
    elif change == "pull request head a string":
        payload["pull_request"]["head"] = "feature"
    return payload


@pytest.mark.parametrize("change", [
    "installation id a string", "installation a string", "repository a string",
    "action a list", "pull request head a string",
])
async def test_signed_payload_of_unexpected_shape_is_a_bad_request(
        bot: BotClient, github: FakeGitHub, caplog: pytest.LogCaptureFixture,
        change: str) -> None:
    assert await bot.deliver("pull_request", reshaped(github, change)) == 400
    await bot.settle()
    assert github.requests == []
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_signed_json_nested_100k_deep_is_a_bad_request(
        bot: BotClient, caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert await bot.deliver("pull_request", None, body=body) == 400
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def slow_upload(bot: BotClient) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that announces a 1 MB body and sends one byte of it."""
    server = bot.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"POST /webhook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000000\r\n\r\n{")
    await writer.drain()
    return reader, writer


async def test_slow_unauthenticated_uploads_cannot_hold_intake(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(max_concurrent_uploads=2, upload_timeout=30.0)
    slow = [await slow_upload(bot) for _ in range(2)]
    await asyncio.sleep(0.2)  # both are being read
    assert await bot.deliver("pull_request", github.pull_request_payload(1, "opened")) == 503
    for _reader, writer in slow:
        writer.close()
    await asyncio.sleep(0.2)
    assert await bot.deliver("pull_request", github.pull_request_payload(1, "opened")) == 202
    await bot.settle()


async def test_an_upload_slower_than_the_limit_is_answered_408(make_bot: MakeBot) -> None:
    bot = await make_bot(upload_timeout=0.3)
    reader, writer = await slow_upload(bot)
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status_line.split()[1] == b"408"
