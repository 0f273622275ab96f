"""The App's pull-request review, through the fake GitHub (which rejects a review with one
anchor outside the diff, as GitHub does): one review per audited head, suggestions that
commit to code which parses and re-audits clean, fingerprints across pushes, the cap on
new comments, the `inline-comments` setting, forks, and a review GitHub refuses."""

from __future__ import annotations

import ast
import re

import pytest

import analyzers
from analyzers import AuditRequest, ChangeStatus, FileChange
from analyzers.config import InlineComments
from analyzers.fixes.run import fix_files
from bot.app.audit_process import ChangedFile
from bot.app.review import MAX_NEW_COMMENTS, plan_review
from bot.report import MARKER
from tests.conftest import BASE_FILES, SWALLOWING, BotClient, MakeBot
from tests.fake_github import FakeGitHub, ReviewComment

SUGGESTION = re.compile(r"^(`{3,})suggestion\n(.*?)^\1$", re.MULTILINE | re.DOTALL)
LONG_MODULE = "".join(f"\n\ndef step_{n}(value):\n    return value + {n}\n" for n in range(8))


def suggestion_of(comment: ReviewComment) -> str | None:
    found = SUGGESTION.search(comment.body)
    return found[2] if found else None


def commit_suggestion(text: str, comment: ReviewComment) -> str:
    """What GitHub's "Commit suggestion" button writes: the anchored lines replaced."""
    replacement = suggestion_of(comment)
    assert replacement is not None
    lines = text.splitlines(keepends=True)
    first = (comment.start_line or comment.line) - 1
    return "".join(lines[:first]) + replacement + "".join(lines[comment.line:])


def file_at(github: FakeGitHub, ref: str, path: str) -> str:
    return github.repo.git("show", f"{ref}:{path}") + "\n"


async def audit(bot: BotClient, github: FakeGitHub, action: str = "opened",
                number: int = 1) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(number, action))
    await bot.settle()


@pytest.mark.asyncio
async def test_one_review_with_a_suggestion_is_posted_for_the_audited_head(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit(bot, github)
    [review] = github.reviews_on(1)
    assert (review.event, review.commit_id) == ("COMMENT", github.sha("feature"))
    [comment] = github.review_comments_on(1)
    assert comment.path == "app/util.py"
    assert "**`SF101` bare-except-swallowed**" in comment.body
    assert "<!-- ssot-bot:finding " in comment.body
    assert suggestion_of(comment) is not None
    [sticky] = github.comments_on(1)
    assert sticky.body.startswith(MARKER + "\n## ❌ NO-GO: 1 error, 0 warnings · "
                                           "1 with a one-click fix\n")


@pytest.mark.asyncio
async def test_the_check_concludes_before_the_fixes_and_the_report_has_them(
        bot: BotClient, github: FakeGitHub) -> None:
    """The verdict does not wait for libcst: the check run is completed by the first
    pass (no fixes), before the comment and the review, which carry the fix."""
    await audit(bot, github)
    writes = [w for w in github.writes() if "/check-runs" in w.path or "/comments" in w.path
              or "/reviews" in w.path]
    completed = [n for n, w in enumerate(writes)
                 if isinstance(w.body, dict) and w.body.get("status") == "completed"]
    reports = [n for n, w in enumerate(writes) if "/check-runs" not in w.path]
    assert len(completed) == 1 and reports and completed[0] < min(reports)
    [run] = github.runs_for(github.sha("feature"))
    assert run.conclusion == "failure"
    [comment] = github.review_comments_on(1)
    assert suggestion_of(comment) is not None


@pytest.mark.asyncio
async def test_the_committed_suggestion_parses_re_audits_clean_and_resolves_the_comment(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit(bot, github)
    [comment] = github.review_comments_on(1)
    fixed = commit_suggestion(file_at(github, "feature", "app/util.py"), comment)
    ast.parse(fixed)
    head = github.push("feature", {"app/util.py": fixed})
    await audit(bot, github, "synchronize")
    [run] = github.runs_for(head)
    assert (run.conclusion, run.annotations) == ("success", [])
    assert github.review_comments_on(1) == []  # nobody replied: deleted
    assert len(github.reviews_on(1)) == 1


@pytest.mark.asyncio
async def test_a_resolved_comment_with_replies_is_edited_to_say_so(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit(bot, github)
    [comment] = github.review_comments_on(1)
    github.reply(comment.id, "Will do.")
    fixed = commit_suggestion(file_at(github, "feature", "app/util.py"), comment)
    head = github.push("feature", {"app/util.py": fixed})
    await audit(bot, github, "synchronize")
    edited = github.review_comments[comment.id]
    assert edited.body.startswith("<!-- ssot-bot:finding ")
    assert f"Resolved at `{head[:12]}`" in edited.body
    assert len(github.review_comments_on(1)) == 2  # the reply stays, nothing new posted


@pytest.mark.asyncio
async def test_a_push_that_keeps_the_finding_posts_no_second_review(
        bot: BotClient, github: FakeGitHub) -> None:
    await audit(bot, github)
    moved = "# a comment line moves the finding down\n" + file_at(github, "feature",
                                                                  "app/util.py")
    github.push("feature", {"app/util.py": moved, "app/other.py": "VALUE = 1\n"})
    await audit(bot, github, "synchronize")
    assert len(github.reviews_on(1)) == 1
    assert len(github.review_comments_on(1)) == 1
    reviews = [r for r in github.requests if r.operation.endswith("/pulls/1/reviews")
               and r.method == "POST"]
    assert len(reviews) == 1


@pytest.mark.asyncio
async def test_a_fix_reaching_outside_the_hunk_is_a_diff_anchored_on_the_finding(
        bot: BotClient, github: FakeGitHub) -> None:
    """The logger goes at the top of a long module, far from the hunk at its end: the
    comment carries a fenced diff and the command, on the flagged line, and GitHub (the
    fake, which checks every anchor against the hunks) takes the review."""
    github.repo.commit("long module", {"app/util.py": BASE_FILES["app/util.py"] + LONG_MODULE})
    github.push("long", {"app/util.py": BASE_FILES["app/util.py"] + LONG_MODULE + SWALLOWING})
    github.open_pull(2, "long")
    await audit(bot, github, number=2)
    [comment] = github.review_comments_on(2)
    assert suggestion_of(comment) is None
    assert "```diff\n--- a/app/util.py\n+++ b/app/util.py\n" in comment.body
    assert "`ssot-bot audit --fix --unsafe-fixes`" in comment.body
    handler = file_at(github, "long", "app/util.py").splitlines().index("    except:") + 1
    assert (comment.line, comment.start_line) == (handler, None)
    [sticky] = github.comments_on(2)
    assert "one-click" not in sticky.body.partition("\n\n")[0]


@pytest.mark.asyncio
async def test_a_finding_outside_the_hunks_gets_no_inline_comment(
        bot: BotClient, github: FakeGitHub) -> None:
    """GitHub leaves the patch out of a large diff: that file has no hunks to anchor on,
    so its finding stays in the sticky comment and the other file's is posted."""
    github.push("feature", {"app/big.py": "import os\n\n\ndef remove(path):\n    try:\n"
                                          "        os.remove(path)\n    except:\n"
                                          "        pass\n"})
    github.pulls[1].patchless = frozenset({"app/big.py"})
    await audit(bot, github)
    assert [c.path for c in github.review_comments_on(1)] == ["app/util.py"]
    [sticky] = github.comments_on(1)
    assert "app/big.py" in sticky.body


@pytest.mark.asyncio
async def test_at_most_thirty_new_inline_comments_per_push(
        bot: BotClient, github: FakeGitHub) -> None:
    many = "".join(f"\n\ndef load_{n}(path):\n    try:\n        return int(path)\n"
                   "    except:\n        return None\n" for n in range(MAX_NEW_COMMENTS + 5))
    github.push("feature", {"app/many.py": many})
    await audit(bot, github)
    assert len(github.review_comments_on(1)) == MAX_NEW_COMMENTS
    [review] = github.reviews_on(1)
    assert "6 more finding(s) are listed only in the summary comment" in review.body


@pytest.mark.asyncio
async def test_inline_comments_off_posts_no_review(bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("no inline comments", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'inline-comments = "off"\n'})
    github.push("feature", {"app/other.py": "VALUE = 1\n"})
    await audit(bot, github)
    assert github.reviews_on(1) == []
    assert not [r for r in github.requests if "/pulls/1/comments" in r.path
                or "/pulls/1/reviews" in r.path]


@pytest.mark.asyncio
async def test_inline_comments_errors_comments_on_errors_without_a_fix(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("errors inline", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'inline-comments = "errors"\n'})
    finally_returns = ("\n\ndef close(handle):\n    try:\n        handle.close()\n"
                       "    finally:\n        return None\n")
    github.push("feature", {"app/other.py": finally_returns.lstrip()})
    await audit(bot, github)
    bodies = {c.path: c.body for c in github.review_comments_on(1)}
    assert set(bodies) == {"app/util.py", "app/other.py"}
    assert "`SF106` finally-swallows-exception" in bodies["app/other.py"]
    assert "**Use instead:**" in bodies["app/other.py"]


@pytest.mark.asyncio
async def test_a_fork_gets_its_review_with_the_installation_token(
        bot: BotClient, github: FakeGitHub) -> None:
    github.open_pull(2, "feature", fork=True)
    await audit(bot, github, number=2)
    [review] = github.reviews_on(2)
    posted = next(r for r in github.requests if r.operation.endswith("/pulls/2/reviews")
                  and r.method == "POST")
    assert posted.headers["authorization"].startswith("token ghs_")
    assert review.event == "COMMENT"
    assert {r.method for r in github.writes()} <= {"POST", "PATCH"}  # nothing pushed


@pytest.mark.asyncio
async def test_a_review_github_refuses_costs_the_review_not_the_verdict(
        bot: BotClient, github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    github.fail("POST", r"/pulls/1/reviews$", 422, message="Unprocessable Entity")
    await audit(bot, github)
    [run] = github.runs_for(github.sha("feature"))
    assert run.conclusion == "failure" and run.output["title"].startswith("❌ NO-GO")
    assert len(github.comments_on(1)) == 1
    assert [r.getMessage() for r in caplog.records
            if r.getMessage() == "review could not be published"] == [
        "review could not be published"]


@pytest.mark.asyncio
async def test_a_fresh_process_recognises_the_comments_already_posted(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    first = await make_bot()
    await audit(first, github)
    second = await make_bot()
    await second.deliver("pull_request", github.pull_request_payload(1, "reopened"))
    await second.settle()
    assert len(github.reviews_on(1)) == 1
    assert len(github.review_comments_on(1)) == 1


def test_code_with_backtick_fences_cannot_close_the_suggestion_block() -> None:
    source = ('def load(path):\n    try:\n        return read(path, "\\n```\\n## ✅ GO")\n'
              '    except:\n        return None\n')
    lines = source.splitlines()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)
    changed = ChangedFile("app/x.py", ChangeStatus.ADDED, source.encode(), patch)
    result = analyzers.audit(AuditRequest(changes=(
        FileChange("app/x.py", ChangeStatus.ADDED, source.encode()),)), fixer=fix_files)
    plan = plan_review(result, [changed], InlineComments.FIXABLE, [], "a" * 40)
    [comment] = plan.new
    fence = SUGGESTION.search(comment.body)
    assert fence is not None and fence[1] == "````"
    assert (comment.start_line, comment.line) == (1, 4)
    assert fence[2].startswith("import logging\n")
