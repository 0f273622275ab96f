"""The pull-request review: one review (event COMMENT) per audited head, with an inline
comment on each flagged line the config asks for. Pure: `plan_review` takes the audit,
the PR's hunks and the inline comments already there, and says what to post, edit and
delete; the pipeline does it.

Each inline comment carries a hidden fingerprint (rule, path, the flagged code with its
whitespace normalised), so the next push recognises its findings: an unchanged one is not
posted again, and the comment of one that is gone says it was resolved (or is deleted when
nobody replied to it).

Invariant: every anchor posted lies inside one hunk of the PR's diff for its file (`line`,
and `start_line` in the same hunk): GitHub rejects the whole review (422) for one bad
anchor. A finding with no such place is left to the sticky comment.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzers.config import InlineComments
from analyzers.diff import hunk_ranges
from analyzers.fixes.edits import apply_edits
from analyzers.model import Applicability, AuditResult, Finding, Fix, Severity
from analyzers.source import decode
from bot import report
from bot.app.audit_process import ChangedFile
from bot.github.payloads import NewReviewComment, ReviewComment

MAX_NEW_COMMENTS = 30
"""New inline comments per push at most (GitHub's secondary rate limits on content
creation); the rest are in the sticky comment."""
FINDING_MARKER = "<!-- ssot-bot:finding {} -->"
RESOLVED_MARKER = "<!-- ssot-bot:resolved -->"
REVIEW_MARKER = "<!-- ssot-bot:review {} -->"
_FINGERPRINT = re.compile(r"<!-- ssot-bot:finding ([0-9a-f]{16}(?:-\d+)?) -->")
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    new: tuple[NewReviewComment, ...]
    """At most `MAX_NEW_COMMENTS`, in order of severity and place."""
    resolved: tuple[tuple[int, str], ...]
    """(comment id, new body) of our comments whose finding is gone and has replies."""
    deleted: tuple[int, ...]
    """Our comments whose finding is gone and nobody replied to."""
    left_out: int
    """New inline comments not posted because of the cap."""
    one_click: int
    """Findings with a suggestion in an inline comment (posted now or before)."""
    body: str
    """The review's own text, posted only when there are new comments."""


@dataclass(frozen=True, slots=True)
class _Inline:
    fingerprint: str
    comment: NewReviewComment
    suggestion: bool


def plan_review(result: AuditResult, files: Sequence[ChangedFile], choice: InlineComments,
                existing: Sequence[ReviewComment], head_sha: str) -> ReviewPlan:
    texts: dict[str, str] = {}
    for changed in files:
        decoded = decode(changed.head) if changed.head is not None else None
        if isinstance(decoded, str):
            texts[changed.path] = decoded
    hunks = {f.path: hunk_ranges(f.patch) for f in files if f.patch is not None}
    chosen = sorted((f for f in result.active if _wanted(f, choice)),
                    key=lambda f: (_SEVERITY_ORDER[f.severity], f.path, f.line, f.rule))
    current: dict[str, _Inline | None] = {}
    for finding in chosen:
        text = texts.get(finding.path)
        if text is None:
            continue  # not a file of the diff (a config note): nowhere to anchor it
        fingerprint = _unique(fingerprint_of(finding, text), current)
        current[fingerprint] = _inline(finding, text, hunks.get(finding.path, []),
                                       fingerprint)
    replied = {c.in_reply_to for c in existing if c.in_reply_to is not None}
    posted: dict[str, ReviewComment] = {}
    for comment in existing:
        found = _FINGERPRINT.search(comment.body)
        if comment.ours and found and RESOLVED_MARKER not in comment.body:
            posted.setdefault(found[1], comment)
    fresh = [inline for fingerprint, inline in current.items()
             if inline is not None and fingerprint not in posted]
    gone = [comment for fingerprint, comment in posted.items() if fingerprint not in current]
    new = fresh[:MAX_NEW_COMMENTS]
    one_click = sum(1 for fingerprint, inline in current.items()
                    if inline is not None and inline.suggestion
                    and (fingerprint in posted or inline in new))
    return ReviewPlan(
        new=tuple(inline.comment for inline in new),
        resolved=tuple((c.id, _resolved_body(c.body, head_sha)) for c in gone
                       if c.id in replied),
        deleted=tuple(c.id for c in gone if c.id not in replied),
        left_out=len(fresh) - len(new),
        one_click=one_click,
        body=_review_body(head_sha, new, len(fresh) - len(new)),
    )


def fingerprint_of(finding: Finding, text: str) -> str:
    """Rule, path and the flagged lines with whitespace normalised, with the header of
    the `def` or `class` they sit in (handlers are alike; their functions are not): the
    same finding on the same code keeps its fingerprint when lines above it move."""
    lines = text.splitlines()
    flagged = lines[finding.line - 1:finding.end_line]
    code = "\n".join(" ".join(line.split()) for line in [*_enclosing(lines, finding.line),
                                                          *flagged])
    digest = hashlib.sha256(f"{finding.rule}\0{finding.path}\0{code}".encode())
    return digest.hexdigest()[:16]


def _enclosing(lines: Sequence[str], line: int) -> list[str]:
    """The nearest `def`/`class` line above `line` indented less than it, if any."""
    if not 0 < line <= len(lines):
        return []
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    for above in reversed(lines[:line - 1]):
        stripped = above.lstrip()
        if stripped and len(above) - len(stripped) < indent \
                and stripped.startswith(("def ", "async def ", "class ")):
            return [above]
    return []


def _unique(fingerprint: str, taken: Mapping[str, object]) -> str:
    """Two findings of one rule on identical code in one file are told apart by order."""
    candidate, number = fingerprint, 1
    while candidate in taken:
        number += 1
        candidate = f"{fingerprint}-{number}"
    return candidate


def _wanted(finding: Finding, choice: InlineComments) -> bool:
    if choice is InlineComments.FIXABLE:
        return finding.fix is not None
    if choice is InlineComments.ERRORS:
        return finding.severity is Severity.ERROR
    return choice is InlineComments.ALL


def _inline(finding: Finding, text: str, hunks: Sequence[range], fingerprint: str
            ) -> _Inline | None:
    """The comment for a finding, anchored inside one hunk; None when no line of it is."""
    head = [FINDING_MARKER.format(fingerprint),
            f"{report.severity_icon(finding.severity)} **`{finding.rule}` {finding.name}**: "
            f"{report.untrusted_prose(finding.message)}"]
    fix = finding.fix
    if fix is not None:
        suggested = _suggestion(fix, text, hunks)
        if suggested is not None:
            start, end, replacement = suggested
            body = "\n".join([*head, "", f"**Fix** ({fix.applicability}): "
                              f"{report.untrusted_prose(fix.message)}", "",
                              report.fenced("suggestion", replacement)])
            return _Inline(fingerprint, NewReviewComment(
                finding.path, end, start if start < end else None, body), True)
    line = _anchor(finding, hunks)
    if line is None:
        return None
    lines = [*head]
    if fix is not None:
        command = "ssot-bot audit --fix" + (
            " --unsafe-fixes" if fix.applicability is Applicability.UNSAFE else "")
        lines += ["", f"**Fix** ({fix.applicability}): {report.untrusted_prose(fix.message)}"
                  " — it edits lines outside this diff, so it cannot be a suggestion; run "
                  f"`{command}` on the branch, which writes:", "",
                  report.fenced("diff", _diff(finding.path, text, fix))]
    elif finding.suggestion:
        lines += ["", f"**Use instead:** {report.untrusted_prose(finding.suggestion)}"]
    return _Inline(fingerprint, NewReviewComment(finding.path, line, None, "\n".join(lines)),
                   False)


def _anchor(finding: Finding, hunks: Sequence[range]) -> int | None:
    """The finding's first line inside a hunk, if any."""
    return next((line for line in range(finding.line, finding.end_line + 1)
                 if any(line in hunk for hunk in hunks)), None)


def _suggestion(fix: Fix, text: str, hunks: Sequence[range]
                ) -> tuple[int, int, str] | None:
    """(start line, end line, replacement) when every edit of the fix falls inside one
    hunk: the replacement is what lines start..end become, exactly."""
    old = text.splitlines(keepends=True)
    start = min(e.line for e in fix.edits)
    end = max(e.end_line - 1 if e.end_column == 1 and e.end_line > e.line else e.end_line
              for e in fix.edits)
    end = min(end, len(old))
    if start > len(old) or not any(start in hunk and end in hunk for hunk in hunks):
        return None
    new = apply_edits(text, fix.edits).splitlines(keepends=True)
    replacement = "".join(new[start - 1:len(new) - (len(old) - end)])
    return start, end, replacement


def _diff(path: str, text: str, fix: Fix) -> str:
    name = " ".join(path.split())
    lines = difflib.unified_diff(text.splitlines(keepends=True),
                                 apply_edits(text, fix.edits).splitlines(keepends=True),
                                 f"a/{name}", f"b/{name}", n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _resolved_body(body: str, head_sha: str) -> str:
    marker = _FINGERPRINT.search(body)
    assert marker is not None
    return (f"{marker[0]}{RESOLVED_MARKER}\n✅ Resolved at `{head_sha[:12]}`: this finding "
            "is gone.")


def _review_body(head_sha: str, new: Sequence[_Inline], left_out: int) -> str:
    suggestions = sum(1 for inline in new if inline.suggestion)
    lines = [REVIEW_MARKER.format(head_sha),
             f"SSOT audit of `{head_sha[:12]}`: "
             f"{len(new)} inline comment{'' if len(new) == 1 else 's'}"
             f" ({suggestions} with a suggestion to commit). The checklist and every "
             "finding are in the summary comment."]
    if left_out:
        lines.append(f"{left_out} more finding(s) are listed only in the summary comment "
                     f"(at most {MAX_NEW_COMMENTS} new inline comments per push).")
    return "\n\n".join(lines)
