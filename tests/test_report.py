"""What a PR author sees: the sticky comment and the check run stay within GitHub's limits."""

from __future__ import annotations

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from bot import report

HANDLER = "try:\n    run()\nexcept:\n    pass\n"


def result_with_handlers(count: int) -> AuditResult:
    text = "".join(HANDLER for _ in range(count))
    change = FileChange("app/many.py", ChangeStatus.ADDED, text.encode())
    return audit(AuditRequest(changes=(change,)))


def test_comment_starts_with_the_marker_and_names_the_audited_sha() -> None:
    body = report.render_comment(result_with_handlers(1), head_sha="0123456789abcdef")
    assert body.splitlines()[0] == report.MARKER
    assert body.splitlines()[1] == "## ❌ NO-GO: 1 error, 0 warnings"
    assert "audited `0123456789ab`" in body
    assert "| **No Silent Failures** | ❌ FAIL | 1 error: SF101 app/many.py:3 |" in body


def test_comment_links_places_when_given_a_blob_url() -> None:
    body = report.render_comment(
        result_with_handlers(1), head_sha="abc",
        blob_url=lambda path, line: f"https://example.test/{path}#L{line}",
    )
    assert "[SF101 app/many.py:3](https://example.test/app/many.py#L3)" in body


def test_huge_reports_are_cut_to_the_comment_limit_and_say_so() -> None:
    result = result_with_handlers(3_000)
    body = report.render_comment(result, head_sha="abc")
    assert len(body) <= report.COMMENT_LIMIT
    assert "more finding section(s) left out" in body
    output = report.check_run_output(result)
    assert len(output.text) <= report.CHECK_TEXT_LIMIT
    assert len(output.summary) <= report.CHECK_TEXT_LIMIT
    assert sum(a["title"].startswith("SF101") for a in output.annotations) == 3_000


def test_annotations_carry_level_title_and_lines() -> None:
    output = report.check_run_output(result_with_handlers(1))
    assert output.title == "❌ NO-GO: 1 error, 0 warnings"
    assert output.annotations == [{
        "path": "app/many.py",
        "start_line": 3,
        "end_line": 4,
        "annotation_level": "failure",
        "title": "SF101 bare-except-swallowed",
        "message": output.annotations[0]["message"],
    }]
    assert output.annotations[0]["message"].startswith("bare `except:` catches everything")


def test_go_report_reads_go() -> None:
    change = FileChange("ok.py", ChangeStatus.ADDED, b"x = 1\n")
    result = audit(AuditRequest(changes=(change,)))
    assert report.verdict_conclusion(result) == "success"
    assert report.render_comment(result).splitlines()[1] == "## ✅ GO: 0 errors, 0 warnings"
