"""A pull request audited end to end: the check run, the sticky comment, supersede,
drafts, forks, crashes and GitHub's size limits, all through the fake GitHub."""

from __future__ import annotations

import asyncio

import pytest

from bot.report import MARKER
from tests.conftest import APP_ID, BASE_FILES, SWALLOWING, BotClient, MakeBot
from tests.fake_github import APP_BOT_USER, FakeGitHub

pytestmark = pytest.mark.asyncio

CLEAN_CHANGE = {"app/util.py": BASE_FILES["app/util.py"] + "\n\ndef mean(items):\n"
                "    return sum(items) / len(items)\n"}


async def test_failing_pull_request_gets_a_no_go_check_with_annotations(
        bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("feature"))
    created = next(r for r in github.requests if r.operation.endswith("/check-runs"))
    assert created.body["status"] == "in_progress"
    assert run.name == "SSOT audit"
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert run.output["title"].startswith("❌ NO-GO")
    assert [(a["path"], a["start_line"]) for a in run.annotations] == [("app/util.py", 9)]
    assert [a["identifier"] for a in run.actions] == ["rerun"]


async def test_clean_pull_request_gets_a_go_check_and_no_comment(
        bot: BotClient, github: FakeGitHub) -> None:
    github.push("tidy", CLEAN_CHANGE)
    github.open_pull(2, "tidy")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("tidy"))
    assert (run.status, run.conclusion) == ("completed", "success")
    assert run.annotations == []
    assert run.output["title"] == "✅ GO: 0 errors, 0 warnings"
    assert github.comments_on(2) == []
    assert not [r for r in github.requests if "/issues/2/comments" in r.operation
                and r.method in ("POST", "PATCH")]


async def test_a_pull_request_with_notices_only_is_clean_and_gets_no_comment(
        bot: BotClient, github: FakeGitHub) -> None:
    quiet = "\n\ndef rate(fetch):\n    try:\n        return fetch()\n" \
            "    except Exception:\n        return None\n"
    head = github.push("quiet", {"app/util.py": BASE_FILES["app/util.py"] + quiet})
    github.open_pull(2, "quiet")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    assert run.conclusion == "success"
    assert [a["annotation_level"] for a in run.annotations] == ["notice"]
    assert github.comments_on(2) == []


async def test_always_writes_the_full_report_on_a_clean_pull_request(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("always comment", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'comment = "always"\n'})
    github.push("tidy", CLEAN_CHANGE)
    github.open_pull(2, "tidy")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [comment] = github.comments_on(2)
    assert comment.body.startswith(MARKER + "\n## ✅ GO: 0 errors, 0 warnings")
    assert github.runs_for(github.sha("tidy"))[0].conclusion == "success"


async def test_never_writes_no_comment_but_the_check_run(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("no comments", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'comment = "never"\n'})
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("feature"))
    assert run.conclusion == "failure"
    assert github.comments_on(1) == []


async def test_never_keeps_a_comment_written_before_true_in_one_line(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    ours = github.add_comment(1, f"{MARKER}\nan older report", user=APP_BOT_USER,
                              app_id=APP_ID)
    github.repo.commit("no comments", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'comment = "never"\n'})
    bot = await make_bot()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    head = github.sha("feature")
    assert github.comments[ours.id].body == (
        f"{MARKER}\n❌ NO-GO: 1 error, 0 warnings at `{head[:7]}` · the report is in the "
        'SSOT audit check run (`comment = "never"`)')
    new_head = github.push("feature", CLEAN_CHANGE)
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.settle()
    assert github.comments[ours.id].body == f"{MARKER}\n✅ all clear at `{new_head[:7]}`"
    assert len(github.comments_on(1)) == 1


async def test_sticky_comment_names_the_audited_head(bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [comment] = github.comments_on(1)
    assert comment.body.startswith(MARKER)
    assert github.sha("feature")[:12] in comment.body


async def test_the_comment_becomes_all_clear_when_a_push_fixes_the_findings(
        bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [comment] = github.comments_on(1)
    assert "## ❌ NO-GO" in comment.body
    new_head = github.push("feature", CLEAN_CHANGE)
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.settle()
    [edited] = github.comments_on(1)
    assert edited.id == comment.id
    assert edited.body == f"{MARKER}\n✅ all clear at `{new_head[:7]}`"
    assert github.runs_for(new_head)[0].conclusion == "success"
    created = [r for r in github.requests if r.operation.endswith("/issues/1/comments")
               and r.method == "POST"]
    assert len(created) == 1
    # Findings again: the same comment carries the full report once more.
    third = github.push("feature", {"app/util.py": BASE_FILES["app/util.py"] + SWALLOWING})
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.settle()
    [again] = github.comments_on(1)
    assert again.id == comment.id and third[:12] in again.body and "## ❌ NO-GO" in again.body


async def test_a_deleted_comment_is_not_written_again_for_a_clean_push(
        bot: BotClient, github: FakeGitHub) -> None:
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [comment] = github.comments_on(1)
    del github.comments[comment.id]
    github.push("feature", CLEAN_CHANGE)
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.settle()
    assert github.comments_on(1) == []


async def test_sticky_comment_is_found_on_a_later_page_by_its_marker(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    for number in range(130):
        github.add_comment(1, f"comment {number}")
    ours = github.add_comment(1, f"{MARKER}\nan older report", user=APP_BOT_USER,
                              app_id=APP_ID)
    github.add_comment(1, f"> {MARKER}\nsomeone quoting the report")
    bot = await make_bot()  # a fresh process knows no comment ids
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    pages = [r.query.get("page", "1") for r in github.requests
             if r.operation.endswith("/issues/1/comments") and r.method == "GET"]
    assert pages == ["1", "2"]
    assert github.comments[ours.id].body.startswith(MARKER + "\n## ❌ NO-GO")
    assert len(github.comments_on(1)) == 132


async def test_a_comment_with_the_marker_by_someone_else_is_never_edited(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    planted = github.add_comment(1, f"{MARKER}\n## ✅ GO", user="read-only-user")
    other_app = github.add_comment(1, f"{MARKER}\n## ✅ GO", user="other-app[bot]",
                                   app_id="999")
    bot = await make_bot()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    assert github.comments[planted.id].body == f"{MARKER}\n## ✅ GO"
    assert github.comments[other_app.id].body == f"{MARKER}\n## ✅ GO"
    [ours] = [c for c in github.comments_on(1) if c.app_id == APP_ID]
    assert ours.body.startswith(MARKER + "\n## ❌ NO-GO")


async def test_our_bot_users_comment_is_found_when_github_names_no_app(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    ours = github.add_comment(1, f"{MARKER}\nan older report", user=APP_BOT_USER)
    bot = await make_bot()
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    assert github.comments[ours.id].body.startswith(MARKER + "\n## ❌ NO-GO")
    assert len(github.comments_on(1)) == 1


async def test_hostile_file_names_and_reasons_cannot_forge_the_published_report(
        bot: BotClient, github: FakeGitHub) -> None:
    hostile = "app/x`</details>\n## ✅ GO ![i](i.png) @octo-org|y.py"
    # No `#` in it: the suppression comment's reason ends at the next `#`.
    reason = "</details> [approve](https://evil.test) @octo-org/admins ![i](i.png)"
    handler = "try:\n    run()\nexcept:{}\n    pass\n"
    head = github.push("hostile", {hostile: handler.format("") + handler.format(
        f"  # ssot: ignore[SF101] {reason}")})
    github.open_pull(2, "hostile")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    [comment] = github.comments_on(2)
    assert run.conclusion == "failure"
    [inline] = github.review_comments_on(2)
    for text in (comment.body, run.output["summary"], run.output["text"], inline.body):
        headings = {line for line in text.splitlines() if line.startswith("#")}
        assert headings <= {"## ❌ NO-GO: 1 error, 0 warnings, 1 suppressed · 1 with a "
                            "one-click fix", "### Why", "### Findings"}
        assert "@octo-org" not in text and "https://evil.test" not in text
        assert text.count("<details>") == text.count("</details>")
    [annotation] = run.annotations
    assert annotation["path"] == hostile
    assert "@octo-org" not in annotation["message"]


async def test_files_beyond_githubs_listing_cap_keep_a_clean_change_from_passing(
        bot: BotClient, github: FakeGitHub) -> None:
    head = github.push("tidy", CLEAN_CHANGE)
    github.open_pull(2, "tidy")
    github.pulls[2].unlisted_files = 500
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    assert run.conclusion == "failure"
    assert run.output["title"].startswith("❌ NOT FULLY AUDITED")
    [comment] = github.comments_on(2)
    assert comment.body.splitlines()[1].startswith("## ❌ NOT FULLY AUDITED")
    assert "at most 3,000 files" in comment.body
    assert "500 changed files were not audited" in comment.body


async def test_a_changed_python_file_that_cannot_be_fetched_keeps_the_check_from_passing(
        bot: BotClient, github: FakeGitHub) -> None:
    head = github.push("tidy", {**CLEAN_CHANGE, "app/hidden.py": "X = 1\n"})
    github.open_pull(2, "tidy")
    github.pulls[2].shaless = frozenset({"app/hidden.py"})
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    assert run.conclusion == "failure"
    assert run.output["title"].startswith("❌ NOT FULLY AUDITED")
    assert "could not be fetched: <code>app/hidden.py</code>" in run.output["summary"]


async def test_a_head_file_over_max_file_bytes_is_never_downloaded(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("small files only", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + "max-file-bytes = 2000\n"})
    big = "".join(f"def f{n}(path):\n    try:\n        return open(path)\n"
                  f"    except Exception:\n        return None\n\n" for n in range(60))
    head = github.push("big", {"app/big.py": big, **CLEAN_CHANGE})
    github.open_pull(2, "big")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    big_blob = github.repo.git("rev-parse", f"{head}:app/big.py")
    assert not [r for r in github.requests if r.path.endswith(f"/git/blobs/{big_blob}")]
    assert any(r.path.endswith("/git/blobs/" + github.repo.git("rev-parse", f"{head}:app/util.py"))
               for r in github.requests)
    [run] = github.runs_for(head)
    assert run.conclusion == "failure"  # a file nobody read never passes
    assert [(a["path"], a["title"]) for a in run.annotations] == [
        ("app/big.py", "SX003 file-too-large")]


async def test_draft_pull_request_gets_a_neutral_check_and_no_comment(
        bot: BotClient, github: FakeGitHub) -> None:
    github.pulls[1].draft = True
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("feature"))
    assert run.conclusion == "neutral"
    assert "ready for review" in run.output["title"]
    assert github.comments_on(1) == []


async def test_drafts_are_audited_when_the_base_config_says_so(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("audit drafts", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + "audit-drafts = true\n"})
    github.pulls[1].draft = True
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    assert github.runs_for(github.sha("feature"))[0].conclusion == "failure"


async def test_an_empty_ssot_toml_at_the_base_means_defaults_over_pyproject(
        bot: BotClient, github: FakeGitHub) -> None:
    github.repo.commit("empty .ssot.toml", {
        ".ssot.toml": "", "pyproject.toml": BASE_FILES["pyproject.toml"] + 'ignore = ["SF"]\n'})
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    assert github.runs_for(github.sha("feature"))[0].conclusion == "failure"
    config_reads = [r.path.rpartition("/")[2] for r in github.requests if "/contents/" in r.path]
    assert config_reads == [".ssot.toml"], "pyproject.toml is not read"


async def test_a_pull_request_cannot_change_its_own_gate(
        bot: BotClient, github: FakeGitHub) -> None:
    head = github.push("feature", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + "audit-drafts = true\n"
        'ignore = ["SF"]\n'})
    github.pulls[1].draft = True
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    assert github.runs_for(head)[0].conclusion == "neutral"
    config_reads = [r.query["ref"] for r in github.requests if "/contents/" in r.path]
    assert set(config_reads) == {github.sha("main")}


async def test_ready_for_review_audits_the_draft(bot: BotClient, github: FakeGitHub) -> None:
    github.pulls[1].draft = True
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    github.pulls[1].draft = False
    await bot.deliver("pull_request", github.pull_request_payload(1, "ready_for_review"))
    await bot.settle()
    runs = github.runs_for(github.sha("feature"))
    assert [run.conclusion for run in runs] == ["neutral", "failure"]


async def test_newer_head_supersedes_a_running_audit(bot: BotClient, github: FakeGitHub) -> None:
    old_head = github.sha("feature")
    hold = github.hold("GET", r"/_codeload/")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await hold.reached.wait()
    new_head = github.push("feature", CLEAN_CHANGE)
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    hold.released.set()
    await bot.settle()
    [old_run] = github.runs_for(old_head)
    [new_run] = github.runs_for(new_head)
    assert (old_run.conclusion, old_run.annotations) == ("neutral", [])
    assert old_run.output["title"].startswith("Superseded")
    assert new_run.conclusion == "success"
    # The new head is clean (no comment); the superseded head's report never reached it.
    assert github.comments_on(1) == []


async def test_queued_older_heads_are_dropped_for_the_newest(
        bot: BotClient, github: FakeGitHub) -> None:
    first = github.sha("feature")
    hold = github.hold("GET", r"/_codeload/")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await hold.reached.wait()
    second = github.push("feature", {"app/extra.py": "X = 1\n"})
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    third = github.push("feature", {"app/extra.py": "X = 2\n"})
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    hold.released.set()
    await bot.settle()
    assert len(github.runs_for(first)) == 1
    assert github.runs_for(second) == []
    assert len(github.runs_for(third)) == 1


async def test_late_delivery_of_an_older_head_does_not_hide_the_newest(
        bot: BotClient, github: FakeGitHub) -> None:
    late_payload = github.pull_request_payload(1, "synchronize")
    newest = github.push("feature", CLEAN_CHANGE)
    hold = github.hold("GET", r"/_codeload/")
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await hold.reached.wait()
    await bot.deliver("pull_request", late_payload)
    hold.released.set()
    await bot.settle()
    assert github.runs_for(newest)[-1].conclusion == "success"
    assert github.comments_on(1) == [], "the older head's NO-GO report is never published"


async def test_check_is_concluded_when_the_audit_cannot_complete_without_internal_text(
        bot: BotClient, github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    github.fail("GET", r"/pulls/1/files$", 500, times=10,
                message="database replica db-7.internal refused the query")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("feature"))
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert run.output["title"] == "SSOT audit could not complete"
    assert "db-7.internal" not in run.output["summary"]
    assert "GitHubBroken" not in run.output["summary"]
    [failure] = [r for r in caplog.records if r.getMessage() == "audit could not complete"]
    reference = failure.__dict__["reference"]
    assert f"an internal error (reference `{reference}`)" in run.output["summary"]
    assert [a["identifier"] for a in run.actions] == ["rerun"]
    assert github.comments_on(1) == []


async def test_check_is_concluded_when_the_audit_runs_over_its_time_limit(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(audit_timeout=0.001)
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("feature"))
    assert (run.conclusion, run.output["title"]) == ("failure", "SSOT audit could not complete")
    assert "took longer than 0.001 s" in run.output["summary"]


async def test_annotations_go_in_batches_of_50_and_reports_fit_githubs_limits(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(max_annotations=120)
    swallow = ("\n\ndef load_{n}(path):\n    try:\n        return int(path)\n"
               "    except:\n        return None\n")
    deep_path = "app/" + "a_rather_long_package_name/" * 8 + "many.py"
    head = github.push("many", {deep_path: "".join(swallow.format(n=n) for n in range(130))})
    github.open_pull(2, "many")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    updates = [r.body for r in github.requests if r.method == "PATCH" and "/check-runs/" in r.path]
    assert run.conclusion == "failure"
    assert [len(u["output"].get("annotations", [])) for u in updates] == [50, 50, 20]
    assert len(run.annotations) == 120
    assert [u.get("status") for u in updates] == [None, None, "completed"]
    [comment] = github.comments_on(2)
    assert 60_000 < len(comment.body) <= 65536
    assert len(run.output["text"]) <= 65535


async def test_fork_pull_request_is_found_by_head_sha_on_rerun(
        bot: BotClient, github: FakeGitHub) -> None:
    head = github.push("contributor-branch",
                       {"app/util.py": BASE_FILES["app/util.py"] + SWALLOWING})
    github.open_pull(2, "contributor-branch", fork=True)
    payload = github.check_run_payload("rerequested", head, [])  # forks: no pull_requests
    await bot.deliver("check_run", payload)
    await bot.settle()
    assert any(r.path.endswith("/pulls") for r in github.requests)
    assert github.runs_for(head)[0].conclusion == "failure"
    assert len(github.comments_on(2)) == 1


async def test_rerun_button_audits_the_head_again(bot: BotClient, github: FakeGitHub) -> None:
    head = github.sha("feature")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    await bot.deliver("check_run", github.check_run_payload("requested_action", head, [1]))
    await bot.settle()
    assert [run.conclusion for run in github.runs_for(head)] == ["failure", "failure"]
    assert len(github.comments_on(1)) == 1


async def test_other_apps_check_runs_are_not_rerun(bot: BotClient, github: FakeGitHub) -> None:
    head = github.sha("feature")
    await bot.deliver("check_run", github.check_run_payload("rerequested", head, [1],
                                                            name="lint"))
    await bot.settle()
    assert github.check_runs == {}


async def test_check_suite_and_push_of_the_same_head_audit_once(
        bot: BotClient, github: FakeGitHub) -> None:
    head = github.sha("feature")
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.deliver("check_suite", github.check_suite_payload("requested", head, [1]))
    await bot.settle()
    assert len(github.runs_for(head)) == 1


async def test_shutdown_during_an_audit_concludes_its_check_and_the_queued_ones(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(concurrent_audits=1, shutdown_grace=0.3)
    hold = github.hold("GET", r"/_codeload/")
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await hold.reached.wait()
    queued_head = github.push("tidy", CLEAN_CHANGE)
    github.open_pull(2, "tidy")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.client.close()  # what SIGTERM does: the app's cleanup runs
    hold.released.set()
    [running] = github.runs_for(github.sha("feature"))
    [queued] = github.runs_for(queued_head)
    for run in (running, queued):
        assert (run.status, run.conclusion) == ("completed", "cancelled")
        assert run.output["title"] == "SSOT audit interrupted: the server stopped"
        assert [a["identifier"] for a in run.actions] == ["rerun"]


COPIED_FUNCTION = (
    "def normalise(rows, key):\n"
    "    seen = {}\n"
    "    for row in rows:\n"
    "        name = row[key].strip().lower()\n"
    "        if name and name not in seen:\n"
    "            seen[name] = [row[key], row.get('value', 0) * 2, len(rows)]\n"
    "        elif name:\n"
    "            seen[name].append(row.get('value', 0) + len(seen))\n"
    "    return sorted(seen.items(), key=lambda item: (item[0], len(item[1])))\n"
)


async def test_file_names_that_are_not_utf8_or_hold_newlines_are_published_with_safe_links(
        bot: BotClient, github: FakeGitHub) -> None:
    not_utf8 = "app/caf\udce9.py"  # the bytes b"caf\xe9.py" on disk, as git stores them
    github.repo.commit("latin-1 name", {not_utf8: COPIED_FUNCTION})
    head = github.push("odd-names", {"app/new\nline.py": COPIED_FUNCTION})
    github.open_pull(2, "odd-names")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(head)
    assert run.output["title"].startswith("❌ NO-GO")
    [comment] = github.comments_on(2)
    assert "new%0Aline.py" in comment.body
    assert "caf%E9.py" in comment.body


async def test_an_audit_over_its_time_limit_fails_alone(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(audit_processes=1, concurrent_audits=2, audit_timeout=2.0)
    # No review, so no fixer's child process to start within the 2 s on a busy machine.
    github.repo.commit("no review", {
        "pyproject.toml": BASE_FILES["pyproject.toml"] + 'inline-comments = "off"\n'})
    slow = "".join(f"def f{n}(a, b):\n    x = a + {n}\n    if x > b:\n        return x * {n}\n"
                   f"    return b - x\n\n" for n in range(9000))  # several seconds to audit
    slow_head = github.push("slow", {"app/slow.py": slow})
    github.open_pull(2, "slow")
    hold = github.hold("GET", r"/_codeload/")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await hold.reached.wait()
    hold.released.set()
    await asyncio.sleep(0.5)  # the slow audit is in the process now
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    [slow_run] = github.runs_for(slow_head)
    assert slow_run.conclusion == "failure"
    assert "took longer than 2 s" in slow_run.output["summary"]
    [other] = github.runs_for(github.sha("feature"))
    assert (other.status, other.output["title"]) == ("completed", "❌ NO-GO: 1 error, 0 warnings")


async def test_a_repository_of_many_modules_is_indexed_across_the_audit_helpers(
        bot: BotClient, github: FakeGitHub) -> None:
    """Past a dozen files to index, an audit process shares them with its helper
    processes (one per core): the copy of one of them is still found, from the
    helpers' facts."""
    body = ("def compute_{n}(items):\n    total = 0\n    for item in items:\n"
            "        if item > {n}:\n            total += item * {n} - len(items)\n"
            "    return total\n")
    modules = {f"app/mod_{n}.py": body.format(n=n) for n in range(16)}
    github.push("many", modules)
    github.push("copy", {"app/util.py": BASE_FILES["app/util.py"] + "\n\n" + body.format(n=7)},
                start="many")
    github.open_pull(2, "copy", base_ref="many")
    await bot.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await bot.settle()
    [run] = github.runs_for(github.sha("copy"))
    assert run.conclusion == "failure"
    [copy] = [a for a in run.annotations if a["path"] == "app/util.py"]
    assert "app/mod_7.py" in copy["message"] + copy.get("raw_details", "")
