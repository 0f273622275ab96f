"""`/ssot recheck`: who may ask, how the bot answers."""

from __future__ import annotations

import pytest

from bot.app.webhooks.commands import asks_for_recheck
from tests.conftest import BotClient
from tests.fake_github import FakeGitHub


async def audited_once(bot: BotClient, github: FakeGitHub) -> str:
    head = github.sha("feature")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    return head


@pytest.mark.asyncio
async def test_recheck_by_the_author_audits_again_and_reacts(
        bot: BotClient, github: FakeGitHub) -> None:
    head = await audited_once(bot, github)
    payload = github.comment_payload(1, "Fixed it, please look again.\n/ssot recheck", "octocat")
    await bot.deliver("issue_comment", payload)
    await bot.settle()
    assert len(github.runs_for(head)) == 2
    assert github.reactions == [(payload["comment"]["id"], "eyes")]
    assert not any("/collaborators/" in r.path for r in github.requests)


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["write", "maintain", "admin"])
async def test_recheck_by_a_collaborator_with_write_access_audits_again(
        bot: BotClient, github: FakeGitHub, role: str) -> None:
    github.roles["reviewer"] = role
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "reviewer"))
    await bot.settle()
    assert len(github.runs_for(github.sha("feature"))) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["read", "triage", None])
async def test_recheck_ignored_when_commenter_lacks_write_access(
        bot: BotClient, github: FakeGitHub, role: str | None) -> None:
    if role is not None:
        github.roles["passer-by"] = role
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "passer-by"))
    await bot.settle()
    assert github.check_runs == {}
    assert github.reactions == []
    assert any(r.path.endswith("/collaborators/passer-by/permission") for r in github.requests)


@pytest.mark.asyncio
async def test_recheck_from_a_bot_is_ignored(bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "octocat",
                                                              user_type="Bot"))
    await bot.settle()
    assert github.requests == []


@pytest.mark.asyncio
async def test_comment_without_the_command_does_nothing(bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("issue_comment", github.comment_payload(
        1, "Could you /ssot recheck this later?", "octocat"))
    await bot.settle()
    assert github.requests == []


def test_command_must_be_a_line_of_its_own() -> None:
    assert asks_for_recheck("thanks!\n  /ssot recheck  \n")
    assert not asks_for_recheck("/ssot rechecked")
    assert not asks_for_recheck("> /ssot recheck")


@pytest.mark.parametrize("body", [
    "To audit again, comment:\n```\n/ssot recheck\n```",
    "~~~text\n/ssot recheck\n~~~",
    "````\n```\n/ssot recheck\n````",
    "> Someone wrote:\n/ssot recheck",
    "Example:\n\n    /ssot recheck",
])
def test_command_shown_in_code_or_quoted_is_not_a_request(body: str) -> None:
    assert not asks_for_recheck(body)


def test_command_after_a_closed_fence_or_quote_is_a_request() -> None:
    assert asks_for_recheck("```\ncode\n```\n/ssot recheck")
    assert asks_for_recheck("> quoted\n\n/ssot recheck")


@pytest.mark.asyncio
@pytest.mark.parametrize(("base", "audited"), [("write", True), ("read", False)])
async def test_custom_roles_count_by_their_base_permission(
        bot: BotClient, github: FakeGitHub, base: str, audited: bool) -> None:
    github.custom_roles["security-reviewer"] = base
    github.roles["reviewer"] = "security-reviewer"
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "reviewer"))
    await bot.settle()
    assert len(github.runs_for(github.sha("feature"))) == (1 if audited else 0)
