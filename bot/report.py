"""Render an `AuditResult`: the sticky PR comment, the check-run output, and the CLI's
text, JSON and SARIF. Pure functions: result in, text or dicts out.

Invariant: nothing rendered here exceeds GitHub's limits (65,536 characters for a
comment, 65,535 for a check run's summary and text, 255 for an annotation title); when a
report is cut, it says how many findings were left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from analyzers import ALL_RULES, AuditResult, Finding, Verdict
from analyzers.model import Applicability, ChecklistRow, Fix, Severity, Status, SuppressionKind
from bot import PRODUCT

MARKER = "<!-- ssot-bot:report -->"
COMMENT_LIMIT = 65_000
"""GitHub rejects comments over 65,536 characters; we keep a margin."""
CHECK_TEXT_LIMIT = 65_535
ANNOTATION_TITLE_LIMIT = 255
ANNOTATION_MESSAGE_LIMIT = 60_000
"""GitHub allows 64 KB for an annotation message; characters can take several bytes."""
CHECK_NAME = "SSOT audit"

BlobUrl = Callable[[str, int], str]
"""(path, line) -> URL of that line at the audited commit."""

_STATUS_ICON = {
    Status.PASS: "✅ PASS",
    Status.WARN: "⚠️ WARN",
    Status.FAIL: "❌ FAIL",
    Status.ACCEPTABLE: "☑️ ACCEPTABLE",
}


def headline(result: AuditResult) -> str:
    """`✅ GO` / `❌ NO-GO` with counts, e.g. "❌ NO-GO: 2 errors, 1 warning"."""
    icon = "✅ GO" if result.verdict is Verdict.GO else "❌ NO-GO"
    errors = sum(1 for f in result.active if f.severity is Severity.ERROR)
    warnings = sum(1 for f in result.active if f.severity is Severity.WARNING)
    counts = [_plural(errors, "error"), _plural(warnings, "warning")]
    if result.stats.suppressed:
        counts.append(f"{result.stats.suppressed} suppressed")
    return f"{icon}: {', '.join(counts)}"


def render_comment(result: AuditResult, *, head_sha: str | None = None,
                   blob_url: BlobUrl | None = None) -> str:
    """The sticky PR comment (markdown), at most `COMMENT_LIMIT` characters."""
    audited = f" · audited `{head_sha[:12]}`" if head_sha else ""
    top = "\n".join([
        MARKER,
        f"## {headline(result)}",
        "",
        f"SSOT audit of {_scope(result)}{audited}.",
        "",
        checklist_table(result.checklist, blob_url),
        "",
        *reasoning(result),
    ])
    return _with_details(top, result, blob_url, COMMENT_LIMIT)


def checklist_table(rows: Sequence[ChecklistRow], blob_url: BlobUrl | None = None) -> str:
    lines = ["| Principle | Status | Evidence |", "|---|---|---|"]
    for row in rows:
        lines.append(f"| **{row.principle}** | {_STATUS_ICON[row.status]} | "
                     f"{_cell(_evidence(row, blob_url))} |")
    return "\n".join(lines)


def reasoning(result: AuditResult) -> list[str]:
    """Why the verdict is what it is, in the words a reviewer would use."""
    lines = ["### Why"]
    blocking = result.blocking
    if blocking:
        rules = sorted({f"`{f.rule}` {f.name}" for f in blocking})
        lines.append(f"- **NO-GO**: {_plural(len(blocking), 'error')} in new code "
                     f"({', '.join(rules)}). Errors block the merge; warnings do not.")
    else:
        lines.append("- **GO**: no error-level finding touches the changed lines.")
    if any(f.rule.startswith("DU") for f in result.active):
        lines.append("- **Rule of Two**: a block with one existing copy is a warning; a third "
                     "copy is an error — extract it then.")
    accepted = [f for f in result.findings
                if f.suppression and f.suppression.kind is SuppressionKind.ACCEPTABLE]
    for finding in accepted[:10]:
        assert finding.suppression is not None
        lines.append(f"- **Acceptable duplicate** `{finding.subject or finding.rule}` at "
                     f"`{finding.path}:{finding.line}`: {finding.suppression.reason}")
    critical = [f for f in result.active if f.rule == "SS208"]
    if critical:
        lines.append(f"- **Critical values**: {_plural(len(critical), 'redefinition')} of a "
                     "value that has one canonical module.")
    if result.stats.suppressed:
        lines.append(f"- {result.stats.suppressed} finding(s) suppressed with a reason "
                     "(listed below).")
    lines.extend(f"- Note: {note}" for note in result.notes)
    return lines


def _with_details(top: str, result: AuditResult, blob_url: BlobUrl | None, limit: int) -> str:
    sections = [_details(f, blob_url) for f in result.active]
    suppressed = [f for f in result.findings if f.suppressed]
    if suppressed:
        items = "\n".join(
            f"- `{f.rule}` {_place(f, blob_url)}: {f.suppression.reason}"
            for f in suppressed if f.suppression is not None
        )
        sections.append(f"<details><summary>Suppressed ({len(suppressed)})</summary>\n\n"
                        f"{items}\n\n</details>")
    footer = (f"\n\n<sub>{result.stats.files_analyzed} files audited, "
              f"{result.stats.context_files} context files, {result.stats.seconds:.2f} s · "
              "`/ssot recheck` re-runs this audit</sub>")
    body = top + ("\n\n### Findings\n" if sections else "")
    kept = 0
    for section in sections:
        if len(body) + len(section) + len(footer) + 200 > limit:
            break
        body += "\n" + section
        kept += 1
    if kept < len(sections):
        left_out = len(sections) - kept
        body += (f"\n\n**{left_out} more finding section(s) left out** to stay within "
                 "GitHub's size limit; run `ssot-bot audit` locally for the full list.")
    return (body + footer)[:limit]


def _details(finding: Finding, blob_url: BlobUrl | None) -> str:
    level = "❌" if finding.severity is Severity.ERROR else "⚠️"
    lines = [
        f"<details><summary>{level} <code>{finding.rule}</code> {finding.name} — "
        f"{_html(finding.path)}:{finding.line}</summary>",
        "",
        f"{_place(finding, blob_url)}: {finding.message}",
    ]
    if finding.suggestion:
        lines.append(f"\n**Use instead:** {finding.suggestion}")
    if finding.related:
        lines.append("\n**Related:**")
        lines.extend(f"- [{r.path}:{r.line}]({blob_url(r.path, r.line)}) {r.message}"
                     if blob_url else f"- `{r.path}:{r.line}` {r.message}"
                     for r in finding.related)
    lines.extend(["", "</details>"])
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CheckRunOutput:
    title: str
    summary: str
    text: str
    annotations: list[dict[str, Any]]
    """Every annotation; GitHub takes at most 50 per request, the caller batches them."""


def verdict_conclusion(result: AuditResult) -> Literal["success", "failure"]:
    return "success" if result.verdict is Verdict.GO else "failure"


def check_run_output(result: AuditResult, *, blob_url: BlobUrl | None = None) -> CheckRunOutput:
    summary = "\n".join([
        f"SSOT audit of {_scope(result)}.",
        "",
        checklist_table(result.checklist, blob_url),
        "",
        *reasoning(result),
    ])
    text = _with_details("", result, blob_url, CHECK_TEXT_LIMIT).lstrip()
    return CheckRunOutput(
        title=headline(result)[:ANNOTATION_TITLE_LIMIT],
        summary=summary[:CHECK_TEXT_LIMIT],
        text=text,
        annotations=[annotation(f) for f in result.active],
    )


def annotation(finding: Finding) -> dict[str, Any]:
    message = finding.message
    if finding.suggestion:
        message += f"\nUse instead: {finding.suggestion}"
    payload: dict[str, Any] = {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "annotation_level": "failure" if finding.severity is Severity.ERROR else "warning",
        "title": f"{finding.rule} {finding.name}"[:ANNOTATION_TITLE_LIMIT],
        "message": message[:ANNOTATION_MESSAGE_LIMIT],
    }
    if finding.related:
        payload["raw_details"] = "\n".join(
            f"{r.path}:{r.line} {r.message}" for r in finding.related
        )[:ANNOTATION_MESSAGE_LIMIT]
    return payload


def render_text(result: AuditResult) -> str:
    """The CLI's default output: one line per finding, compiler style, then the verdict."""
    lines = []
    for finding in result.findings:
        state = "suppressed" if finding.suppressed else finding.severity.value
        mark = "[*] " if _fix_of(finding, Applicability.SAFE) else ""
        lines.append(f"{finding.path}:{finding.line}:{finding.column}: {mark}{finding.rule} "
                     f"{finding.name} [{state}] {finding.message}")
        if finding.fix is not None and not finding.suppressed:
            lines.append(f"    fix ({finding.fix.applicability.value}): {finding.fix.message}")
        if not finding.suppressed and finding.suggestion:
            lines.append(f"    use instead: {finding.suggestion}")
        lines.extend(f"    related: {r.path}:{r.line} {r.message}" for r in finding.related)
    if lines:
        lines.append("")
    lines.extend(f"{row.principle:<38} {row.status.value:<10} {row.evidence}"
                 for row in result.checklist)
    lines.extend(f"note: {note}" for note in result.notes)
    safe = sum(1 for f in result.findings if _fix_of(f, Applicability.SAFE))
    unsafe = sum(1 for f in result.findings if _fix_of(f, Applicability.UNSAFE))
    if safe or unsafe:
        lines.append(f"[*] {safe} fixable with --fix"
                     + (f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""))
    lines.append(f"{headline(result)} ({_scope(result)}, {result.stats.seconds:.2f} s)")
    return "\n".join(lines) + "\n"


def _fix_of(finding: Finding, applicability: Applicability) -> bool:
    """Whether an unsuppressed finding has a fix of that applicability."""
    return (finding.fix is not None and not finding.suppressed
            and finding.fix.applicability is applicability)


def _fix_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "message": fix.message,
        "applicability": fix.applicability.value,
        "edits": [{"path": e.path, "line": e.line, "column": e.column,
                   "end_line": e.end_line, "end_column": e.end_column, "content": e.content}
                  for e in fix.edits],
    }


def to_json(result: AuditResult) -> dict[str, Any]:
    """The stable machine-readable form (`--format json`). Other tools read it: only add."""
    return {
        "verdict": result.verdict.value,
        "mode": result.mode.value,
        "findings": [
            {
                "rule": f.rule,
                "name": f.name,
                "principle": f.principle.value,
                "severity": f.severity.value,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "message": f.message,
                "suggestion": f.suggestion,
                "related": [{"path": r.path, "line": r.line, "message": r.message}
                            for r in f.related],
                "suppressed": f.suppressed,
                "suppression": (None if f.suppression is None else
                                {"kind": f.suppression.kind.value,
                                 "reason": f.suppression.reason}),
                "fix": _fix_json(f.fix),
            }
            for f in result.findings
        ],
        "checklist": [
            {"principle": row.principle.value, "status": row.status.value,
             "evidence": row.evidence}
            for row in result.checklist
        ],
        "stats": {
            "files_changed": result.stats.files_changed,
            "files_analyzed": result.stats.files_analyzed,
            "context_files": result.stats.context_files,
            "lines_analyzed": result.stats.lines_analyzed,
            "seconds": result.stats.seconds,
            "findings": result.stats.findings,
            "suppressed": result.stats.suppressed,
            "neighbours": list(result.stats.neighbours),
        },
        "notes": list(result.notes),
    }


def render_json(result: AuditResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(result: AuditResult, *, version: str) -> dict[str, Any]:
    """SARIF 2.1.0 as GitHub code scanning takes it (`github/codeql-action/upload-sarif`)."""
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": " ".join((rule.__doc__ or rule.name).split())},
            "defaultConfiguration": {"level": rule.severity.value},
            "properties": {"tags": [rule.principle.value]},
        }
        for rule in ALL_RULES
    ]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    for finding in result.findings:
        entry: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.severity.value,
            "message": {"text": f"{finding.message}. Use instead: {finding.suggestion}"
                        if finding.suggestion else finding.message},
            "locations": [_sarif_location(finding.path, finding.line, finding.column,
                                          finding.end_line)],
            "partialFingerprints": {"ssotFinding/v1": f"{finding.rule}:{finding.path}:"
                                                      f"{finding.subject or finding.line}"},
        }
        if finding.related:
            entry["relatedLocations"] = [
                {**_sarif_location(r.path, r.line, 1, r.line), "id": number,
                 "message": {"text": r.message}}
                for number, r in enumerate(finding.related)
            ]
        if finding.fix is not None:
            entry["fixes"] = [_sarif_fix(finding.fix)]
        if finding.suppression is not None:
            entry["suppressions"] = [{
                "kind": "inSource" if finding.suppression.kind is SuppressionKind.COMMENT
                else "external",
                "justification": finding.suppression.reason,
            }]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": PRODUCT,
                "version": version,
                "informationUri": "https://github.com/ssot-bot/ssot-bot",
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _sarif_fix(fix: Fix) -> dict[str, Any]:
    """SARIF's `fix`: one artifactChange (a fix edits one file), regions 1-based and
    end-exclusive in code points, like ours."""
    return {
        "description": {"text": f"{fix.message} ({fix.applicability.value})"},
        "artifactChanges": [{
            "artifactLocation": {"uri": fix.edits[0].path, "uriBaseId": "%SRCROOT%"},
            "replacements": [
                {"deletedRegion": {"startLine": e.line, "startColumn": e.column,
                                   "endLine": e.end_line, "endColumn": e.end_column},
                 "insertedContent": {"text": e.content}}
                for e in fix.edits
            ],
        }],
    }


def _sarif_location(path: str, line: int, column: int, end_line: int) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": line, "startColumn": column, "endLine": max(line, end_line)},
    }}


def _scope(result: AuditResult) -> str:
    stats = result.stats
    if result.mode.value == "all":
        return f"all {stats.files_analyzed} Python files"
    return (f"{stats.files_analyzed} changed Python file"
            f"{'' if stats.files_analyzed == 1 else 's'} "
            f"(of {stats.files_changed} changed)")


def _evidence(row: ChecklistRow, blob_url: BlobUrl | None) -> str:
    if blob_url is None or not row.findings:
        return row.evidence
    text = row.evidence
    for finding in row.findings:
        place = f"{finding.rule} {finding.path}:{finding.line}"
        if place in text:
            link = f"[{place}]({blob_url(finding.path, finding.line)})"
            text = text.replace(place, link, 1)
    return text


def _place(finding: Finding, blob_url: BlobUrl | None) -> str:
    place = f"{finding.path}:{finding.line}"
    return f"[`{place}`]({blob_url(finding.path, finding.line)})" if blob_url else f"`{place}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
