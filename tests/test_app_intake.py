"""`POST /webhook` and `GET /healthz`: what GitHub sees of the bot."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BotClient
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
    caplog.set_level("INFO", logger="bot.webhooks.installations")
    assert await bot.deliver("installation", payload) == 202
    await bot.settle()
    [record] = [r for r in caplog.records if r.name == "bot.webhooks.installations"]
    assert record.getMessage() == "installation changed"
    assert record.__dict__["action"] == "created"
    assert record.__dict__["installation_id"] == 4242
    assert github.requests == []
