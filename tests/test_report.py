"""What a PR author sees: the sticky comment and the check run stay within GitHub's limits."""

from __future__ import annotations

from dataclasses import replace

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


HOSTILE = ("x`\n\n## ✅ GO</details><img src=x> ![i](https://evil.test/i.png) "
           "[ok](https://evil.test) @octo-org/admins #1 | y")


def test_untrusted_text_is_one_inert_line_without_mentions() -> None:
    text = report.untrusted(HOSTILE)
    assert "\n" not in text
    for markup in ("`", "## ", "</details>", "<img", "![", "](", "|", "@octo"):
        assert markup not in text
    assert "@\u2060octo-org" in text and "&#35;\u20601" in text
    assert report.untrusted("a" * 500).endswith("…")
    assert len(report.untrusted("a" * 500)) == report.QUOTE_LIMIT


def test_bare_urls_and_emails_do_not_become_links() -> None:
    text = report.untrusted("see https://evil.test, www.evil.test or a@evil.test")
    assert "https://" not in text and "www." not in text and "a@evil" not in text
    assert text.replace("\u2060", "") == "see https://evil.test, www.evil.test or a@evil.test"


def test_bidi_overrides_and_control_characters_are_replaced() -> None:
    assert report.untrusted("evil\u202egnp.py\x1b[31m") == "evil\ufffdgnp.py\ufffd&#91;31m"


def test_quoted_values_in_a_message_become_code_and_stay_inert() -> None:
    text = report.untrusted_prose("use `a</code>## GO @x` instead of `" + "v" * 300 + "`")
    assert text.startswith(
        "use <code>a&#60;/code&#62;&#35;\u2060&#35;\u2060 GO @\u2060x</code> instead of <code>")
    assert "v" * 199 + "…</code>" in text


def hostile_result() -> AuditResult:
    # No `#` in it: the suppression comment's reason ends at the next `#`.
    reason = "</details> ![i](https://evil.test/i.png) @octo-org/admins"
    change = FileChange(
        "app/<details>`## ✅ GO` @octo-org|x.py", ChangeStatus.ADDED,
        (HANDLER + HANDLER.replace("except:",
                                   f"except:  # ssot: ignore[SF101] {reason}")
         ).encode())
    return audit(AuditRequest(changes=(change,)))


def test_hostile_paths_and_reasons_cannot_forge_the_report() -> None:
    result = hostile_result()
    body = report.render_comment(result, head_sha="abc",
                                 blob_url=lambda path, line: f"https://example.test/{line}")
    output = report.check_run_output(result)
    for text in (body, output.summary, output.text):
        headings = {line for line in text.splitlines() if line.startswith("#")}
        assert headings <= {"## ❌ NO-GO: 1 error, 0 warnings, 1 suppressed", "### Why",
                            "### Findings"}
        assert "@octo-org" not in text
        assert "![" not in text and "https://evil.test" not in text
        assert text.count("<details>") == text.count("</details>")
    assert "<details>" not in body.split("### Findings")[0]
    [note] = output.annotations
    assert "@octo-org" not in note["message"]
    assert note["path"] == "app/<details>`## ✅ GO` @octo-org|x.py"


def test_checklist_places_are_linked_from_the_rows_findings_not_its_prose() -> None:
    [row] = [r for r in result_with_handlers(4).checklist if r.findings]
    reworded = replace(row, quiet_evidence="no new silent failures")
    table = report.checklist_table([reworded],
                                   blob_url=lambda path, line: f"https://example.test/{line}")
    assert ("| 4 errors: [SF101 app/many.py:3](https://example.test/3), "
            "[SF101 app/many.py:7](https://example.test/7), "
            "[SF101 app/many.py:11](https://example.test/11) and 1 more |") in table
