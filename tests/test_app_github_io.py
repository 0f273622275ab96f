"""How the bot treats GitHub: retries, rate limits, credentials, caches; and how it
treats its own failures: a dead audit process, bad settings, secrets in reports."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from logging import Formatter
from pathlib import Path

import jwt
import pytest
import sentry_sdk

from bot.app import sentry
from bot.app.jobs import AuditCrashedError, AuditPool
from bot.app.sentry import FILTERED, scrub
from bot.app.server import serve
from bot.github.retry import Failure, RetryPolicy
from bot.settings import SettingsError, from_environment
from tests.conftest import APP_ID, WEBHOOK_SECRET, BotClient, MakeBot
from tests.fake_github import FakeGitHub


async def audit_pull_1(bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()


@pytest.mark.asyncio
async def test_bad_gateway_is_retried(bot: BotClient, github: FakeGitHub) -> None:
    github.fail("GET", r"/pulls/1/files$", 502, times=2)
    await audit_pull_1(bot, github)
    files = [r.status for r in github.requests if r.path.endswith("/pulls/1/files")]
    assert files == [502, 502, 200]
    assert github.runs_for(github.sha("feature"))[0].conclusion == "failure"
    assert github.runs_for(github.sha("feature"))[0].output["title"].startswith("❌ NO-GO")


@pytest.mark.asyncio
@pytest.mark.parametrize("lost", [502, None], ids=["bad-gateway", "dropped-connection"])
@pytest.mark.parametrize("created", [r"/check-runs$", r"/issues/1/comments$"],
                         ids=["check-run", "sticky-comment"])
async def test_a_create_whose_answer_was_lost_is_found_not_repeated(
        bot: BotClient, github: FakeGitHub, created: str, lost: int | None) -> None:
    github.lose_answer("POST", created, status=lost)
    await audit_pull_1(bot, github)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert len(github.comments_on(1)) == 1
    assert [r.status for r in github.requests
            if r.method == "POST" and re.search(created, r.path)] == [lost or 0]


@pytest.mark.asyncio
@pytest.mark.parametrize("created", [r"/check-runs$", r"/issues/1/comments$"],
                         ids=["check-run", "sticky-comment"])
async def test_a_create_that_failed_is_posted_again_once_not_found(
        bot: BotClient, github: FakeGitHub, created: str) -> None:
    github.fail("POST", created, 502)
    await audit_pull_1(bot, github)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert len(github.comments_on(1)) == 1
    assert [r.status for r in github.requests
            if r.method == "POST" and re.search(created, r.path)] == [502, 201]


@pytest.mark.asyncio
@pytest.mark.parametrize("lost", [502, None], ids=["bad-gateway", "dropped-connection"])
async def test_annotations_whose_answer_was_lost_are_not_appended_twice(
        bot: BotClient, github: FakeGitHub, lost: int | None) -> None:
    # GitHub appends the annotations of every update, so a blind resend doubles them.
    github.lose_answer("PATCH", r"/check-runs/\d+$", status=lost)
    await audit_pull_1(bot, github)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert [(a["path"], a["start_line"]) for a in run.annotations] == [("app/util.py", 9)]


@pytest.mark.asyncio
async def test_a_check_run_created_by_the_last_attempt_is_found_and_concluded(
        bot: BotClient, github: FakeGitHub) -> None:
    github.fail("POST", r"/check-runs$", 502, times=3)
    github.lose_answer("POST", r"/check-runs$")  # the 4th and last attempt
    await audit_pull_1(bot, github)
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")


@pytest.mark.asyncio
async def test_secondary_rate_limit_is_waited_out_with_retry_after(
        bot: BotClient, github: FakeGitHub) -> None:
    github.fail("POST", r"/check-runs$", 403, headers={"Retry-After": "3"},
                message="You have exceeded a secondary rate limit. Please wait a few minutes.")
    await audit_pull_1(bot, github)
    posts = [r.status for r in github.requests if r.path.endswith("/check-runs")]
    assert posts == [403, 201]
    assert len(github.runs_for(github.sha("feature"))) == 1


@pytest.mark.asyncio
async def test_forbidden_without_rate_limit_is_not_retried(
        bot: BotClient, github: FakeGitHub) -> None:
    github.fail("POST", r"/check-runs$", 403, message="Resource not accessible by integration")
    await audit_pull_1(bot, github)
    posts = [r.status for r in github.requests if r.path.endswith("/check-runs")]
    assert posts == [403]


@pytest.mark.asyncio
async def test_credentials_never_reach_the_logs(
        bot: BotClient, github: FakeGitHub, app_key: tuple[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    github.fail("GET", r"/pulls/1/files$", 502, times=10)
    github.fail("POST", r"/check-runs$", 401, message="Bad credentials")
    await audit_pull_1(bot, github)
    # Unscrubbed: the records as the bot made them, tracebacks included.
    logged = "\n".join(
        repr(vars(record)) + (Formatter().formatException(record.exc_info)
                              if record.exc_info else "")
        for record in caplog.records)
    assert "github request retried" in logged and "audit could not complete" in logged
    secrets = [*github.tokens, WEBHOOK_SECRET, app_key[0].splitlines()[1]]
    assert [secret for secret in secrets if secret in logged] == []
    assert "authorization" not in logged.lower()


def test_retry_waits_follow_githubs_headers() -> None:
    policy = RetryPolicy(max_attempts=5, deadline=600, backoff_base=0.5, max_wait=120)
    now = 1_000_000.0

    def wait(status: int, headers: dict[str, str], message: str = "",
             attempt: int = 1) -> float | None:
        failure = Failure.UNANSWERED if status >= 500 else Failure.REFUSED
        return policy.wait_for(failure, status, headers, message, attempt, now)

    assert wait(403, {"retry-after": "30"}) == 30
    assert wait(429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 9)}) == 10
    assert wait(403, {}, "secondary rate limit") == 60
    assert wait(403, {"retry-after": "600"}) is None
    assert wait(403, {}, "Resource not accessible") is None
    assert wait(404, {}) is None
    backoff = wait(502, {}, attempt=2)
    assert backoff is not None and 0.5 <= backoff <= 1.0
    assert wait(502, {}, attempt=policy.max_attempts) is None


@pytest.mark.asyncio
async def test_one_request_is_tried_at_most_max_attempts_times_whatever_fails(
        bot: BotClient, github: FakeGitHub) -> None:
    # Before one retry policy, dropped connections were retried inside each retry of a
    # 502, so this mix cost 3 + 4 tries of one GET.
    github.fail("GET", r"/pulls/1/files$", 502, times=3)
    github.lose_answer("GET", r"/pulls/1/files$", status=None, times=10)
    await audit_pull_1(bot, github)
    files = [r.status for r in github.requests if r.path.endswith("/pulls/1/files")]
    # settings_for: max_attempts=4. aiohttp itself sends an idempotent request once more
    # when the kept-alive connection it reused turns out closed (RFC 9112, 9.3.1).
    assert files[:3] == [502, 502, 502] and len(files) in (4, 5)
    assert github.runs_for(github.sha("feature"))[0].conclusion == "failure"


@pytest.mark.asyncio
async def test_a_request_ends_by_its_deadline_however_long_github_asks_to_wait(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(time_scale=1.0, request_deadline=2.0, max_attempts=10)
    github.fail("GET", r"/pulls/1/files$", 403, times=10, headers={"Retry-After": "1"},
                message="You have exceeded a secondary rate limit.")
    started = time.monotonic()
    await audit_pull_1(bot, github)
    assert time.monotonic() - started < 10
    files = [r.status for r in github.requests if r.path.endswith("/pulls/1/files")]
    assert files == [403, 403], "a third try would start past the 2 s deadline"


async def ask_permission_twice(bot: BotClient, github: FakeGitHub) -> None:
    """Two GitHub requests, in two deliveries: a stranger's `/ssot recheck`, twice."""
    for _ in range(2):
        await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "someone"))
        await bot.settle()


@pytest.mark.asyncio
async def test_installation_token_is_reused_while_fresh(bot: BotClient, github: FakeGitHub) -> None:
    await ask_permission_twice(bot, github)
    assert github.tokens_minted == 1


@pytest.mark.asyncio
async def test_installation_token_is_renewed_five_minutes_before_expiry(
        bot: BotClient, github: FakeGitHub) -> None:
    github.token_lifetime = 5 * 60 - 1
    await ask_permission_twice(bot, github)
    assert github.tokens_minted == 2
    assert all(r.status != 401 for r in github.requests)


@pytest.mark.asyncio
async def test_refused_token_is_replaced_and_the_request_retried(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit_pull_1(bot, github)
    github.revoke_tokens()
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "octocat"))
    await bot.settle()
    assert github.tokens_minted == 2
    assert [r.status for r in github.requests].count(401) == 1
    assert len(github.runs_for(github.sha("feature"))) == 2


@pytest.mark.asyncio
async def test_app_jwt_is_rs256_backdated_and_short_lived(
        bot: BotClient, github: FakeGitHub, app_key: tuple[str, str]) -> None:
    await audit_pull_1(bot, github)
    [mint] = [r for r in github.requests if r.path.endswith("/access_tokens")]
    token = mint.headers["authorization"].split(" ", 1)[1]
    claims = jwt.decode(token, app_key[1], algorithms=["RS256"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == APP_ID
    assert claims["iat"] <= time.time() - 59
    assert claims["exp"] - time.time() <= 600


@pytest.mark.asyncio
@pytest.mark.parametrize("skew_minutes", [20, -20])
async def test_app_jwt_follows_githubs_clock_when_ours_is_off(
        bot: BotClient, github: FakeGitHub, skew_minutes: int) -> None:
    github.clock_skew = skew_minutes * 60
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "someone"))
    await bot.settle()
    mints = [r.status for r in github.requests if r.path.endswith("/access_tokens")]
    assert mints == [401, 201]
    assert any(r.path.endswith("/collaborators/someone/permission") for r in github.requests)


@pytest.mark.asyncio
async def test_second_audit_of_the_same_head_costs_few_requests(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit_pull_1(bot, github)
    before = len(github.requests)
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "octocat"))
    await bot.settle()
    warm = github.requests[before:]
    assert not any("/git/blobs/" in r.path or "codeload" in r.path or "/contents/" in r.path
                   for r in warm)
    # The head is read at the start, before the check concludes and before the report
    # (after the fixes' pass): each a conditional request, free of the rate limit.
    assert [r.status for r in warm if r.path.endswith("/pulls/1")] == [304, 304, 304, 304]



@pytest.mark.asyncio
async def test_dead_audit_process_is_reported_and_the_pool_recreated() -> None:
    pool = AuditPool(1)
    try:
        with pytest.raises(AuditCrashedError):
            await pool.run(os._exit, 1)
        assert await pool.run(abs, -7) == 7
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_runaway_audit_is_stopped_and_the_pool_recreated() -> None:
    pool = AuditPool(1, timeout=0.5)
    try:
        with pytest.raises(AuditCrashedError, match=r"longer than 0\.5 s"):
            await pool.run(time.sleep, 60)
        assert await pool.run(abs, -7) == 7
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_dying_audit_does_not_fail_the_audit_waiting_behind_it() -> None:
    pool = AuditPool(1)
    try:
        dying = asyncio.create_task(pool.run(os._exit, 1))
        waiting = asyncio.create_task(pool.run(abs, -7))
        with pytest.raises(AuditCrashedError):
            await dying
        assert await waiting == 7
        dying = asyncio.create_task(pool.run(os._exit, 1))
        with pytest.raises(AuditCrashedError):  # the second crash reads as the first
            await dying
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_runaway_audit_stops_only_its_own_process() -> None:
    pool = AuditPool(2, timeout=1.5)
    try:
        # Both processes started, so that their start-up does not count below.
        await asyncio.gather(pool.run(time.sleep, 0.3), pool.run(time.sleep, 0.3))
        runaway = asyncio.create_task(pool.run(time.sleep, 60))
        await asyncio.sleep(0.5)
        neighbour = asyncio.create_task(pool.run(time.sleep, 1.4))  # ends after the stop
        with pytest.raises(AuditCrashedError, match=r"longer than 1\.5 s"):
            await runaway
        await neighbour  # raises if its process was stopped too
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_time_waiting_for_a_free_process_does_not_count_against_an_audit() -> None:
    pool = AuditPool(1, timeout=1.0)
    try:
        await pool.run(abs, -1)  # the process started, so its start-up does not count
        first = asyncio.create_task(pool.run(time.sleep, 0.7))
        second = asyncio.create_task(pool.run(time.sleep, 0.7))
        await asyncio.gather(first, second)  # raises if the second timed out waiting
    finally:
        await pool.close()


def test_missing_setting_is_named() -> None:
    with pytest.raises(SettingsError, match="GITHUB_APP_ID is not set"):
        from_environment({})


def test_malformed_private_key_is_named_without_its_value(app_key: tuple[str, str]) -> None:
    env = {"GITHUB_APP_ID": "1", "GITHUB_WEBHOOK_SECRET": "s",
           "GITHUB_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n"}
    with pytest.raises(SettingsError) as raised:
        from_environment(env)
    assert str(raised.value) == "GITHUB_PRIVATE_KEY is not a PEM private key"


def test_settings_are_read_from_the_environment(app_key: tuple[str, str], tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(app_key[0])
    settings = from_environment({
        "GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY_PATH": str(key_file),
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "PORT": "9000",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
    })
    assert (settings.port, settings.api_url) == (9000, "https://ghe.example.com/api/v3")
    assert settings.private_key.strip() == app_key[0].strip()
    assert "PRIVATE" not in repr(settings) and WEBHOOK_SECRET not in repr(settings)


def test_serve_exits_2_with_one_line_naming_every_missing_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in os.environ if n.startswith("GITHUB_")]:
        monkeypatch.delenv(name)
    assert serve("127.0.0.1", 0) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ssot-bot: error: 3 settings are missing or malformed: GITHUB_APP_ID is not set; "
        "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set; GITHUB_WEBHOOK_SECRET "
        "is not set"]


def test_missing_and_malformed_settings_are_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment({"GITHUB_APP_ID": "my-app", "GITHUB_WEBHOOK_SECRET": "s",
                          "GITHUB_PRIVATE_KEY": "not a key", "PORT": "http",
                          "GITHUB_API_URL": "api.github.example", "SSOT_REDIS_LEASE": "soon",
                          "SSOT_METRICS_PORT": "0"})
    assert str(raised.value) == (
        "6 settings are missing or malformed: GITHUB_APP_ID must be the App's numeric id; "
        "GITHUB_PRIVATE_KEY is not a PEM private key; GITHUB_API_URL must start with "
        "https:// (or http://); PORT must be a number from 1 to 65535; SSOT_REDIS_LEASE "
        "must be a number of seconds; SSOT_METRICS_PORT must be a number from 1 to 65535")
    assert "not a key" not in str(raised.value)


def test_partial_private_keys_are_scrubbed(app_key: tuple[str, str]) -> None:
    lines = app_key[0].splitlines()
    cut_short = "\n".join(lines[:4])
    lone_line = f"failed near {lines[2]} in key"
    assert scrub({"message": f"bad key {cut_short}"}) == {"message": f"bad key {FILTERED}"}
    assert scrub(lone_line) == f"failed near {FILTERED} in key"
    sha = "0123456789abcdef" * 4
    assert scrub(f"head {sha}") == f"head {sha}"


@pytest.fixture
def sentry_enabled() -> Iterator[None]:
    """Sentry on, with a DSN nothing listens at (events are dropped)."""
    assert sentry.init("http://public@127.0.0.1:9/1", release="test")
    try:
        yield
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()


@pytest.mark.asyncio
@pytest.mark.usefixtures("sentry_enabled")
async def test_requests_to_github_carry_no_tracing_headers(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit_pull_1(bot, github)
    assert github.requests
    assert [r.operation for r in github.requests
            if {"sentry-trace", "baggage"} & set(r.headers)] == []


def test_secrets_are_scrubbed_from_error_reports(app_key: tuple[str, str]) -> None:
    event = {
        "request": {"headers": [["X-Hub-Signature-256", "sha256=" + "a" * 64],
                                ["Content-Type", "application/json"]]},
        "extra": {"token": "ghs_abc123", "note": "used token ghs_16C7e42F292c6912E7710c838"},
        "exception": {"values": [{"value": f"key was {app_key[0]}"}]},
        "breadcrumbs": [{"message": "Authorization: Bearer eyJhbGci.eyJpc3Mi.c2lnbmF0dXJl"}],
    }
    cleaned = scrub(event)
    text = repr(cleaned)
    assert "ghs_" not in text and "PRIVATE KEY" not in text and "eyJ" not in text
    assert "a" * 64 not in text
    assert cleaned["request"]["headers"][0] == ["X-Hub-Signature-256", FILTERED]
    assert cleaned["request"]["headers"][1] == ["Content-Type", "application/json"]
