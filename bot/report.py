"""Render an `AuditResult`: the sticky PR comment, the check-run output, and the CLI's
text, JSON and SARIF. Pure functions: result in, text or dicts out.

Invariant: nothing rendered here exceeds GitHub's limits (65,536 characters for a
comment, 65,535 for a check run's summary and text, 255 for an annotation title); when a
report is cut, it says how many findings were left out.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from analyzers import ALL_RULES, AuditResult, Finding, Mode, Verdict, baseline
from analyzers.config import CommentMode
from analyzers.model import (
    Applicability,
    ChecklistRow,
    EvidenceKind,
    Fix,
    HeadSource,
    PositiveEvidence,
    Revisions,
    Severity,
    Status,
    SuppressionKind,
)
from bot import PRODUCT, PROJECT_HOME, rule_docs_url

MARKER = "<!-- ssot-bot:report -->"
COMMENT_LIMIT = 65_000
"""GitHub rejects comments over 65,536 characters; we keep a margin."""
CHECK_TEXT_LIMIT = 65_535
ANNOTATION_TITLE_LIMIT = 255
ANNOTATION_MESSAGE_LIMIT = 60_000
"""GitHub allows 64 KB for an annotation message; characters can take several bytes."""
CHECK_NAME = "SSOT audit"

QUOTE_LIMIT = 200
"""Characters of one untrusted value (a path, a reason, a name from the code) shown."""
PROSE_LIMIT = 2000
EVIDENCE_PLACES = 3
"""How many places a checklist row names before it says "and N more"."""
"""Characters of an analyzer's sentence (which quotes such values) shown."""
WORD_JOINER = "\u2060"
"""Put after `@` and `#`: GitHub then sees no mention or issue reference, and the
reader still sees the same characters."""
_MARKUP = frozenset("\\`*_{}[]()#+!|~<>&\"'$^=")
"""ASCII characters with a meaning in GitHub markdown or HTML; written as numeric
character references, which mean the same character in markdown text and in HTML."""

_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9]):/|\bwww\.")
"""Where GitHub would start a bare link (`https://…`, `www.…`); a word joiner before
the last character stops it."""

BlobUrl = Callable[[str, int], str]
"""(path, line) -> URL of that line at the audited commit."""

_STATUS_ICON = {
    Status.PASS: "✅ PASS",
    Status.WARN: "⚠️ WARN",
    Status.FAIL: "❌ FAIL",
    Status.ACCEPTABLE: "☑️ ACCEPTABLE",
}
_SEVERITY_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTICE: "💬"}
# GitHub's check-run annotation levels and SARIF's result levels, by severity.
_ANNOTATION_LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning",
                     Severity.NOTICE: "notice"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def untrusted(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    """`text` from the audited repository (a file path, a suppression reason, a name or
    literal from the code, a config problem) as inert markdown: one line, at most
    `limit` characters (then `…`), every markdown/HTML character written as a character
    reference, and no @-mention, #-reference or bare link. The only way such text reaches the
    comment or the check run, so it can add no heading, link, image, HTML tag or ping.

    Character references read the same in markdown text and inside HTML (`<summary>`),
    but not in code spans: never put the result between backticks (use `<code>`)."""
    line = _AUTOLINK.sub(lambda match: match.group(0)[:-1] + WORD_JOINER + match.group(0)[-1],
                         _one_line(text, limit))
    out = []
    for char in line:
        if char in _MARKUP:
            out.append(f"&#{ord(char)};")
        else:
            out.append(char)
        if char in "@#":
            out.append(WORD_JOINER)
    return "".join(out)


def untrusted_prose(text: str, *, limit: int = PROSE_LIMIT) -> str:
    """An analyzer's sentence, which quotes untrusted values between backticks: each
    backticked part becomes `<code>` (at most `QUOTE_LIMIT` characters), the rest is
    escaped by `untrusted`. A backtick inside a quoted value only shifts what looks like
    code; every part is escaped either way."""
    parts = _one_line(text, limit).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code span for the tail
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return "".join(f"<code>{untrusted(part)}</code>" if n % 2 else untrusted(part, limit=limit)
                   for n, part in enumerate(parts))


def plain(text: str, *, limit: int = PROSE_LIMIT) -> str:
    """Untrusted text for plain-text fields (annotation messages): one line, capped, no
    mentions. GitHub shows these as text, so markdown characters stay as they are."""
    line = _one_line(text, limit)
    return line.replace("@", "@" + WORD_JOINER)



def _printable(char: str) -> str:
    """U+FFFD for a control, format, surrogate, private or unassigned character
    (bidirectional overrides, zero-width spaces, ANSI escapes), else the character."""
    return "\ufffd" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char

def _one_line(text: str, limit: int) -> str:
    """Line breaks and tabs become spaces; other control and format characters
    (bidirectional overrides, zero-width spaces, ANSI escapes) become U+FFFD, so text
    cannot end a markdown block, start a new one, or read differently than it is."""
    line = "".join(" " if char in "\r\n\t\v\f\u2028\u2029\x85" else _printable(char)
                   for char in text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def headline(result: AuditResult, unaudited: Sequence[str] = ()) -> str:
    """`✅ GO` / `❌ NO-GO` with counts, e.g. "❌ NO-GO: 2 errors, 1 warning";
    `❌ NOT FULLY AUDITED` when some changed files were never read (`unaudited` says why),
    whatever the verdict on the rest."""
    if unaudited:
        icon = "❌ NOT FULLY AUDITED"
    else:
        icon = "✅ GO" if result.verdict is Verdict.GO else "❌ NO-GO"
    errors = sum(1 for f in result.active if f.severity is Severity.ERROR)
    warnings = sum(1 for f in result.active if f.severity is Severity.WARNING)
    notices = sum(1 for f in result.active if f.severity is Severity.NOTICE)
    counts = [_plural(errors, "error"), _plural(warnings, "warning")]
    if notices:
        counts.append(_plural(notices, "notice"))
    if result.stats.suppressed:
        counts.append(f"{result.stats.suppressed} suppressed")
    return f"{icon}: {', '.join(counts)}"


def render_comment(result: AuditResult, *, head_sha: str | None = None,
                   blob_url: BlobUrl | None = None, unaudited: Sequence[str] = (),
                   one_click: int = 0) -> str:
    """The sticky PR comment (markdown), at most `COMMENT_LIMIT` characters; `one_click`
    findings have a suggestion to commit in the App's review."""
    audited = _compared_markdown(result.revisions, head_sha)
    fixes = f" · {one_click} with a one-click fix" if one_click else ""
    top = "\n".join([
        MARKER,
        f"## {headline(result, unaudited)}{fixes}",
        "",
        f"SSOT audit of {_scope(result)}{audited}.",
        "",
        *overview(result, blob_url, unaudited),
    ])
    return _with_details(top, result, blob_url, COMMENT_LIMIT)


def overview(result: AuditResult, blob_url: BlobUrl | None = None,
             unaudited: Sequence[str] = ()) -> list[str]:
    """The body of a report before its findings, as a reviewer writes it: the principles
    that did not pass (a table), one line naming those that did, what the change did
    right, and the reasoning behind the verdict."""
    lines: list[str] = []
    table = [row for row in result.checklist if row.status is not Status.PASS]
    if table:
        lines += [checklist_table(table, blob_url), ""]
    passed = [row for row in result.checklist if row.status is Status.PASS]
    if passed:
        lines += [f"✅ **Passed:** {' · '.join(_passed(row) for row in passed)}", ""]
    strengths = positive_lines(result.checklist, blob_url)
    if strengths:
        lines += ["### What the change does right", *strengths, ""]
    return [*lines, *reasoning(result, unaudited)]


def _passed(row: ChecklistRow) -> str:
    notices = f" ({_plural(len(row.notices), 'notice')})" if row.notices else ""
    return f"{row.principle}{notices}"


def positive_lines(rows: Sequence[ChecklistRow], blob_url: BlobUrl | None = None) -> list[str]:
    """One bullet per principle with positive evidence, as a reviewer says it ("reuses
    `get_env`, `load` from `app/env.py`"): the names of one module together, each name
    and module escaped and linked to its line, then how many more there were."""
    lines = []
    for row in rows:
        if not row.positive:
            continue
        groups: dict[tuple[EvidenceKind, str], list[PositiveEvidence]] = {}
        for evidence in row.positive:
            key = (evidence.kind, evidence.used_in if evidence.kind is EvidenceKind.TESTED_BY
                   else evidence.path)
            groups.setdefault(key, []).append(evidence)
        said = [_positive_sentence(group, blob_url) for group in groups.values()]
        more = row.positive_total - len(row.positive)
        tail = f"; and {more} more" if more > 0 else ""
        lines.append(f"- **{row.principle}**: {'; '.join(said)}{tail}")
    return lines


def _positive_sentence(group: Sequence[PositiveEvidence], blob_url: BlobUrl | None) -> str:
    """Evidence of one kind about one module, markdown-safe."""
    first = group[0]
    names = ", ".join(f"<code>{untrusted(e.name)}</code>" for e in group if e.name)
    if first.kind is EvidenceKind.TESTED_BY:
        module = ", ".join(_link(e.path, e.line, blob_url, show_line=False) for e in group)
    else:
        module = _link(first.path, first.line, blob_url, show_line=False)
    return _evidence_sentence(first, names, module, f"<code>{untrusted(first.used_in)}</code>")


def positive_evidence_plain(evidence: PositiveEvidence) -> str:
    """The same sentence as plain text (text and JSON reports)."""
    return _evidence_sentence(evidence, evidence.name or "", evidence.path, evidence.used_in)


def _evidence_sentence(evidence: PositiveEvidence, names: str, module: str,
                       used_in: str) -> str:
    """The one wording of each kind of evidence, from parts already formatted: `names`
    (what was used or added), `module` (where it lives: the test files, for tests) and
    `used_in` (the changed module)."""
    if evidence.kind is EvidenceKind.REUSES:
        if evidence.path == evidence.used_in:
            return f"reuses {names}, already in this module"
        return f"reuses {names} from {module}"
    if evidence.kind is EvidenceKind.READS_CONFIG:
        return f"reads {names} through {module}"
    if evidence.kind is EvidenceKind.EXTENDS:
        return f"extends existing {module} (adds {names}) instead of a new module"
    return f"{used_in} is imported by {module}"


@dataclass(frozen=True, slots=True)
class StickyComment:
    """What the sticky comment should say after an audit."""

    body: str
    create: bool
    """False: an existing comment is edited to `body`, and none is created."""


def sticky_comment(result: AuditResult, mode: CommentMode, *, head_sha: str,
                   blob_url: BlobUrl | None = None, unaudited: Sequence[str] = (),
                   one_click: int = 0) -> StickyComment:
    """The comment `mode` (the repository's `comment` setting) asks for: the full report
    (created or edited) unless the pull request is clean or comments are off; then one
    line for a comment written earlier, so none goes stale and none is added to say
    nothing."""
    clean = is_clean(result, unaudited)
    if mode is CommentMode.ALWAYS or (mode is CommentMode.ON_FINDINGS and not clean):
        return StickyComment(render_comment(result, head_sha=head_sha, blob_url=blob_url,
                                            unaudited=unaudited, one_click=one_click), True)
    if clean:
        return StickyComment(all_clear_comment(head_sha), False)
    return StickyComment(comments_off_comment(result, head_sha, unaudited), False)


def is_clean(result: AuditResult, unaudited: Sequence[str] = ()) -> bool:
    """Whether a pull request needs no comment: every changed Python file was read and no
    unsuppressed error or warning counts. Notices, suppressed findings and acceptable
    duplicates leave it clean, as a reviewer would not write to the author about what
    asks nothing of them; the check run still lists every one of them."""
    return not unaudited and not any(
        f.severity in (Severity.ERROR, Severity.WARNING) for f in result.active)


def short_sha(sha: str) -> str:
    """The seven characters GitHub shows for a commit."""
    return sha[:7]


def all_clear_comment(head_sha: str) -> str:
    """What a sticky comment becomes once its pull request is clean: one line, the marker
    kept so the next audit finds it again."""
    return f"{MARKER}\n✅ all clear at `{short_sha(head_sha)}`"


def comments_off_comment(result: AuditResult, head_sha: str,
                         unaudited: Sequence[str] = ()) -> str:
    """With `comment = "never"`, what a sticky comment written before becomes while the
    pull request is not clean: the headline, and where the report is."""
    return (f"{MARKER}\n{headline(result, unaudited)} at `{short_sha(head_sha)}` · the report "
            f"is in the {CHECK_NAME} check run (`comment = \"never\"`)")


def _compared_markdown(revisions: Revisions | None, head_sha: str | None) -> str:
    """" · base `1a2b…` · head `9f8e…`" for the comment's scope line."""
    if revisions is None:
        return f" · audited `{head_sha[:12]}`" if head_sha else ""
    head = f" · head `{revisions.head[:12]}`"
    if revisions.head_source is not HeadSource.COMMIT:
        head += f" ({revisions.head_source.value.replace('-', ' ')})"
    return (f" · base `{revisions.base[:12]}`" if revisions.base else "") + head


def severity_icon(severity: Severity) -> str:
    return _SEVERITY_ICON[severity]


def checklist_table(rows: Sequence[ChecklistRow], blob_url: BlobUrl | None = None) -> str:
    lines = ["| Principle | Status | Evidence |", "|---|---|---|"]
    for row in rows:
        lines.append(f"| **{row.principle}** | {_STATUS_ICON[row.status]} | "
                     f"{_evidence(row, blob_url)} |")
    return "\n".join(lines)


def reasoning(result: AuditResult, unaudited: Sequence[str] = ()) -> list[str]:
    """Why the verdict is what it is, in the words a reviewer would use."""
    lines = ["### Why"]
    lines.extend(f"- **NOT FULLY AUDITED**: {untrusted_prose(reason)} This check cannot "
                 "pass for files nobody read." for reason in unaudited)
    blocking = result.blocking
    if blocking:
        rules = sorted({f"`{f.rule}` {f.name}" for f in blocking})
        lines.append(f"- **NO-GO**: {_plural(len(blocking), 'error')} in new code "
                     f"({', '.join(rules)}). Errors block the merge; warnings do not.")
    else:
        lines.append("- **GO**: no error-level finding touches the changed lines.")
    if any(f.rule.startswith("DU") for f in result.active):
        lines.append("- **Rule of Two**: a block with one existing copy is a notice; a third "
                     "copy is an error — extract it then.")
    accepted = [f for f in result.findings
                if f.suppression and f.suppression.kind is SuppressionKind.ACCEPTABLE]
    for finding in accepted[:10]:
        assert finding.suppression is not None
        lines.append(f"- **Acceptable duplicate** "
                     f"<code>{untrusted(finding.subject or finding.rule)}</code> at "
                     f"<code>{untrusted(finding.path)}:{finding.line}</code>: "
                     f"{untrusted(finding.suppression.reason)}")
    critical = [f for f in result.active if f.rule == "SS208"]
    if critical:
        lines.append(f"- **Critical values**: {_plural(len(critical), 'redefinition')} of a "
                     "value that has one canonical module.")
    if result.stats.suppressed:
        lines.append(f"- {result.stats.suppressed} finding(s) suppressed with a reason "
                     "(listed below).")
    lines.extend(f"- Note: {untrusted_prose(note)}" for note in result.notes)
    return lines


def _with_details(top: str, result: AuditResult, blob_url: BlobUrl | None, limit: int) -> str:
    sections = []
    for path, findings in by_file(result.active):
        first = True
        for finding in findings:
            section = _details(finding, blob_url)
            if first:
                count = _plural(len(findings), "finding")
                section = f"\n**<code>{untrusted(path)}</code>** · {count}\n\n{section}"
                first = False
            sections.append(section)
    suppressed = [f for f in result.findings if f.suppressed]
    if suppressed:
        items = "\n".join(
            f"- `{f.rule}` {_link(f.path, f.line, blob_url)}: {untrusted(f.suppression.reason)}"
            for f in suppressed if f.suppression is not None
        )
        sections.append(f"\n<details><summary>Suppressed ({len(suppressed)})</summary>\n\n"
                        f"{items}\n\n</details>")
    footer = (f"\n\n<sub>{_plural(result.stats.files_analyzed, 'file')} audited, "
              f"{result.stats.context_files} context files, {result.stats.seconds:.2f} s · "
              "`/ssot recheck` re-runs this audit</sub>")
    body = top + ("\n\n### Findings" if sections else "")
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


def by_file(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by file: the file with the most severe finding first (then by
    path), and in each file errors, warnings, then notices, each by line."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.path, []).append(finding)
    for group in groups.values():
        group.sort(key=lambda f: (-f.severity.rank, f.line, f.column, f.rule))
    return sorted(groups.items(), key=lambda item: (-item[1][0].severity.rank, item[0]))


def _details(finding: Finding, blob_url: BlobUrl | None) -> str:
    level = _SEVERITY_ICON[finding.severity]
    lines = [
        f"<details><summary>{level} <a href=\"{rule_docs_url(finding.rule)}\">"
        f"<code>{finding.rule}</code></a> {finding.name} — "
        f"line {finding.line}</summary>",
        "",
        f"{_link(finding.path, finding.line, blob_url)}: {untrusted_prose(finding.message)}",
    ]
    if finding.code:
        lines += ["", code_block(finding.code, finding.line, finding.end_line)]
    if finding.suggestion:
        lines.append(f"\n**Use instead:** {untrusted_prose(finding.suggestion)}")
    if finding.related:
        lines.append("\n**Related:**")
        lines.extend(f"- {_link(r.path, r.line, blob_url)} {untrusted_prose(r.message)}"
                     for r in finding.related)
    lines += ["", f"[What {finding.rule} checks and why]({rule_docs_url(finding.rule)})",
              "", "</details>"]
    return "\n".join(lines)


CODE_LINES_SHOWN = 6
"""Flagged lines a finding quotes; a longer construct says how many more there are."""
CODE_LINE_LIMIT = 160
"""Characters of one quoted line of code."""


def code_block(code: Sequence[str], line: int, end_line: int) -> str:
    """The flagged lines in a fenced block that nothing in them can close (`fenced`):
    at most `CODE_LINES_SHOWN` lines of at most `CODE_LINE_LIMIT` characters, control and
    bidirectional characters replaced. Inside a fence GitHub renders no markdown, HTML,
    mention or link, so the code is shown as it is written."""
    shown = [_code_line(text) for text in code[:CODE_LINES_SHOWN]]
    block = fenced("python", "\n".join(shown))
    more = max(line, end_line) - line + 1 - len(shown)
    return block + (f"\n<sub>… and {_plural(more, 'more line')}</sub>" if more > 0 else "")


def _code_line(text: str) -> str:
    line = "".join("    " if char == "\t" else _printable(char) for char in text).rstrip()
    return line if len(line) <= CODE_LINE_LIMIT else line[: CODE_LINE_LIMIT - 1] + "…"


def fenced(info: str, content: str) -> str:
    """A fenced block longer than any run of backticks in `content`, so code from the
    audited repository cannot close it and write markdown of its own."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    if content and not content.endswith("\n"):
        content += "\n"
    return f"{fence}{info}\n{content}{fence}"


@dataclass(frozen=True, slots=True)
class CheckRunOutput:
    title: str
    summary: str
    text: str
    annotations: list[dict[str, Any]]
    """Every annotation; GitHub takes at most 50 per request, the caller batches them."""


def verdict_conclusion(result: AuditResult, unaudited: Sequence[str] = ()
                       ) -> Literal["success", "failure"]:
    """`success` only for a GO on everything the pull request changed."""
    return "success" if result.verdict is Verdict.GO and not unaudited else "failure"


def check_run_output(result: AuditResult, *, blob_url: BlobUrl | None = None,
                     unaudited: Sequence[str] = ()) -> CheckRunOutput:
    summary = "\n".join([
        f"SSOT audit of {_scope(result)}.",
        "",
        *overview(result, blob_url, unaudited),
    ])
    text = _with_details("", result, blob_url, CHECK_TEXT_LIMIT).lstrip()
    return CheckRunOutput(
        title=headline(result, unaudited)[:ANNOTATION_TITLE_LIMIT],
        summary=summary[:CHECK_TEXT_LIMIT],
        text=text,
        annotations=[annotation(f) for f in result.active],
    )


def annotation(finding: Finding) -> dict[str, Any]:
    message = plain(finding.message)
    if finding.suggestion:
        message += f"\nUse instead: {plain(finding.suggestion)}"
    payload: dict[str, Any] = {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "annotation_level": _ANNOTATION_LEVEL[finding.severity],
        "title": f"{finding.rule} {finding.name}"[:ANNOTATION_TITLE_LIMIT],
        "message": message[:ANNOTATION_MESSAGE_LIMIT],
    }
    if finding.related:
        payload["raw_details"] = "\n".join(
            f"{plain(r.path, limit=QUOTE_LIMIT)}:{r.line} {plain(r.message)}"
            for r in finding.related
        )[:ANNOTATION_MESSAGE_LIMIT]
    return payload


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How the CLI's text report is written."""

    color: bool = False
    """ANSI colours, for a terminal."""
    table: bool = False
    """The checklist even when every principle passes."""
    quiet: bool = False
    """The findings and nothing else."""
    statistics: bool = False
    """How many findings each rule has, instead of each finding."""


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}
_COLOURS = {"error": "1;31", "warning": "33", "notice": "36", "suppressed": "2",
            "path": "1", "go": "1;32", "no-go": "1;31"}
"""SGR codes: errors bold red, warnings yellow, notices cyan, suppressed dim."""


def render_text(result: AuditResult, options: TextOptions = TextOptions()) -> str:
    """The CLI's default output: what was compared, one line per finding (errors first,
    then warnings, notices and the suppressed), the checklist when something did not
    pass, notes, and a one-line summary. Everything quoted from the audited code goes
    through `terminal_safe`, so no name or string can send the terminal a control code."""

    def paint(kind: str, text: str) -> str:
        return f"\x1b[{_COLOURS[kind]}m{text}\x1b[0m" if options.color else text

    lines = []
    if result.revisions is not None and not options.quiet:
        lines.append(f"{PRODUCT} audit of {compared(result)}")
    ordered = sorted(result.findings, key=lambda f: (
        f.suppressed, _SEVERITY_ORDER[f.severity], f.path, f.line, f.column, f.rule))
    if options.statistics:
        lines.extend(_statistics(ordered, paint))
    else:
        for finding in ordered:
            lines.extend(_text_finding(finding, paint))
    if options.quiet:
        return "".join(f"{line}\n" for line in lines)
    if lines and (result.findings or options.table):
        lines.append("")
    if options.table or any(row.status is not Status.PASS for row in result.checklist):
        lines.extend(
            f"{row.principle:<38} {row.status.value:<10} "
            f"{evidence(row, place=lambda f: terminal_safe(_plain_place(f)), quote=terminal_safe)}"
            for row in result.checklist)
    lines.extend(f"note: {terminal_safe(note)}" for note in result.notes)
    safe = sum(1 for f in result.findings if _fix_of(f, Applicability.SAFE))
    unsafe = sum(1 for f in result.findings if _fix_of(f, Applicability.UNSAFE))
    if safe or unsafe:
        lines.append(f"[*] {safe} fixable with --fix"
                     + (f" ({unsafe} more with --unsafe-fixes)" if unsafe else ""))
    summary = headline(result)
    if nothing_audited(result):
        summary += "; nothing to audit"
    lines.append(paint("go" if result.verdict is Verdict.GO else "no-go", summary)
                 + f" ({_scope(result)}, {result.stats.seconds:.2f} s)")
    return "\n".join(lines) + "\n"


def _text_finding(finding: Finding, paint: Callable[[str, str], str]) -> list[str]:
    state = "suppressed" if finding.suppressed else finding.severity.value
    mark = "[*] " if _fix_of(finding, Applicability.SAFE) else ""
    lines = [f"{paint('path', terminal_safe(finding.path))}:{finding.line}:{finding.column}: "
             f"{mark}{finding.rule} {finding.name} [{paint(state, state)}] "
             f"{terminal_safe(finding.message)}"]
    if finding.fix is not None and not finding.suppressed:
        lines.append(f"    fix ({finding.fix.applicability.value}): "
                     f"{terminal_safe(finding.fix.message)}")
    if not finding.suppressed and finding.suggestion:
        lines.append(f"    use instead: {terminal_safe(finding.suggestion)}")
    lines.extend(f"    related: {terminal_safe(r.path)}:{r.line} {terminal_safe(r.message)}"
                 for r in finding.related)
    return lines


def _statistics(findings: Sequence[Finding], paint: Callable[[str, str], str]) -> list[str]:
    """One line per rule and level: how many, most first (like `ruff --statistics`)."""
    counts: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        state = "suppressed" if finding.suppressed else finding.severity.value
        key = (finding.rule, finding.name, state)
        counts[key] = counts.get(key, 0) + 1
    return [f"{count:>5}  {rule}  {name}  [{paint(state, state)}]"
            for (rule, name, state), count in sorted(counts.items(),
                                                      key=lambda item: -item[1])]


def terminal_safe(text: str) -> str:
    """Text from the audited code for a terminal: every control, format or unassigned
    character (ESC of an ANSI sequence, a carriage return, a bidirectional override)
    written as its Python escape, so it shows and cannot act."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(char.encode("unicode_escape").decode("ascii")
                       if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    return "".join(out)


def compared(result: AuditResult) -> str:
    """What the audit compared, for the first line of a report: "base 1a2b3c4d5e6f, head
    9f8e7d6c5b4a (working tree)", or "every Python file at 9f8e7d6c5b4a"."""
    revisions = result.revisions
    if revisions is None:
        return _scope(result)
    head = revisions.head[:12]
    if revisions.head_source is not HeadSource.COMMIT:
        head += f" ({revisions.head_source.value.replace('-', ' ')})"
    if revisions.base is None:
        return f"every Python file at {head}"
    return f"base {revisions.base[:12]}, head {head}"


def nothing_audited(result: AuditResult) -> bool:
    """A diff audit that read no Python file: an empty change, or none of it Python."""
    return result.mode is Mode.DIFF and result.stats.files_analyzed == 0 and not result.findings


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
             "evidence": evidence(row, place=_plain_place, quote=str),
             "counts": {"errors": len(row.errors), "warnings": len(row.warnings),
                        "notices": len(row.notices), "accepted": len(row.accepted),
                        "suppressed": row.suppressed},
             "places": [{"rule": f.rule, "path": f.path, "line": f.line} for f in row.places],
             "positive": [{"kind": e.kind.value, "path": e.path, "line": e.line,
                           "name": e.name, "used_in": e.used_in,
                           "text": positive_evidence_plain(e)} for e in row.positive],
             "positive_total": row.positive_total}
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
            "base": result.revisions.base if result.revisions else None,
            "head": result.revisions.head if result.revisions else None,
            "head_source": result.revisions.head_source.value if result.revisions else None,
        },
        "notes": list(result.notes),
    }


def render_json(result: AuditResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


SARIF_CATEGORY = f"{PRODUCT}/"
"""`automationDetails.id`: one category for the default branch's `--all` upload and the
pull requests' diff uploads, so GitHub compares them and a diff upload never closes the
alerts of the files it did not audit as fixed."""


def to_sarif(result: AuditResult, *, version: str, fingerprints: Sequence[str] | None = None,
             repository_uri: str | None = None) -> dict[str, Any]:
    """SARIF 2.1.0 as GitHub code scanning takes it (`github/codeql-action/upload-sarif`).
    `fingerprints` (`analyzers.baseline.fingerprints`, one per finding) become the
    results' `partialFingerprints`, so an alert survives its code moving; without them
    they are computed from rule, path and message."""
    prints = fingerprints if fingerprints is not None else baseline.fingerprints(
        result.findings, {})
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": " ".join((rule.__doc__ or rule.name).split())},
            "help": {"text": rule.documentation(), "markdown": rule.documentation_markdown()},
            "helpUri": rule_docs_url(rule.id),
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"tags": [rule.principle.value]},
        }
        for rule in ALL_RULES
    ]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    notifications = []
    for finding, fingerprint in zip(result.findings, prints, strict=True):
        location = _sarif_location(finding.path, finding.line, finding.column, finding.end_line)
        if finding.rule.startswith("SX"):
            notifications.append({
                "descriptor": {"id": finding.rule},
                "level": _SARIF_LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [location],
            })
        entry: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": f"{finding.message}. Use instead: {finding.suggestion}"
                        if finding.suggestion else finding.message},
            "locations": [location],
            "partialFingerprints": {"ssotFinding/v2": fingerprint},
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
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": PRODUCT,
            "version": version,
            "informationUri": PROJECT_HOME,
            "rules": rules,
        }},
        "automationDetails": {"id": SARIF_CATEGORY},
        "invocations": [{"executionSuccessful": True,
                         "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    revisions = result.revisions
    if revisions is not None and repository_uri is not None:
        provenance: dict[str, Any] = {"repositoryUri": repository_uri,
                                      "revisionId": revisions.head}
        if revisions.base is not None:
            provenance["properties"] = {"baseRevisionId": revisions.base}
        run["versionControlProvenance"] = [provenance]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


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


def evidence(row: ChecklistRow, *, place: Callable[[Finding], str],
             quote: Callable[[str], str]) -> str:
    """A checklist row's evidence from its counts and places: "1 error; 1 suppressed:
    SF101 app/x.py:3", each place written by `place` and the config's reason by `quote`.
    A row with nothing to count says its own words (`row.quiet_evidence`)."""
    counts = []
    if row.errors:
        counts.append(_plural(len(row.errors), "error"))
    if row.warnings:
        counts.append(_plural(len(row.warnings), "warning"))
    if row.notices:
        counts.append(_plural(len(row.notices), "notice"))
    accepted = row.accepted
    if accepted and accepted[0].suppression is not None:
        counts.append(f"{len(accepted)} acceptable ({quote(accepted[0].suppression.reason)})")
    if row.suppressed:
        counts.append(f"{row.suppressed} suppressed")
    if not counts:
        return quote(row.quiet_evidence)
    shown = row.places[:EVIDENCE_PLACES]
    places = ", ".join(place(f) for f in shown)
    if len(row.places) > len(shown):
        places += f" and {len(row.places) - len(shown)} more"
    return "; ".join(counts) + (f": {places}" if places else "")


def _evidence(row: ChecklistRow, blob_url: BlobUrl | None) -> str:
    def place(finding: Finding) -> str:
        text = untrusted(f"{finding.rule} {finding.path}:{finding.line}")
        return f"[{text}]({blob_url(finding.path, finding.line)})" if blob_url else text

    return evidence(row, place=place, quote=lambda text: untrusted(text, limit=PROSE_LIMIT))


def _plain_place(finding: Finding) -> str:
    return f"{finding.rule} {finding.path}:{finding.line}"


def _link(path: str, line: int, blob_url: BlobUrl | None, *, show_line: bool = True) -> str:
    place = f"<code>{untrusted(path)}{f':{line}' if show_line else ''}</code>"
    return f"[{place}]({blob_url(path, line)})" if blob_url else place


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
