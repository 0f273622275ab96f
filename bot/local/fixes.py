"""`ssot-bot audit --diff / --fix`: the findings' fixes as one unified diff, or written
to the working tree. Only files of the audited change are written, and only when the
working tree still holds what was audited, so nothing a user typed since is lost."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from analyzers import AuditRequest, AuditResult
from analyzers.fixes.edits import apply_to_bytes, carry_changed_lines, compatible
from analyzers.model import Applicability, Edit, Finding
from analyzers.source import ParseFailure, decode


@dataclass(slots=True)
class FixPlan:
    """The fixes chosen for each file, and the findings they resolve."""

    edits: dict[str, list[Edit]] = field(default_factory=dict)
    fixed: list[Finding] = field(default_factory=list)


def choose(findings: Iterable[Finding], *, unsafe: bool) -> FixPlan:
    """Safe fixes (and unsafe ones with `unsafe`), first come first served: a fix whose
    edits overlap one already chosen waits for the next run; identical edits (one import
    two fixes need) are written once."""
    plan = FixPlan()
    for finding in findings:
        fix = finding.fix
        if fix is None or finding.suppressed:
            continue
        if fix.applicability is Applicability.UNSAFE and not unsafe:
            continue
        chosen = plan.edits.setdefault(finding.path, [])
        new = [e for e in fix.edits if e not in chosen]
        if not compatible(chosen, new):
            continue
        chosen.extend(new)
        plan.fixed.append(finding)
    plan.edits = {path: edits for path, edits in plan.edits.items() if edits}
    return plan


def fixed_contents(request: AuditRequest, plan: FixPlan) -> dict[str, bytes]:
    """Each fixed file's new contents, from its audited contents."""
    audited = {c.path: c.head for c in request.changes if c.head is not None}
    return {path: apply_to_bytes(audited[path], edits)
            for path, edits in plan.edits.items() if path in audited}


def unified_diff(request: AuditRequest, fixed: Mapping[str, bytes]) -> str:
    audited = {c.path: c.head for c in request.changes if c.head is not None}
    out: list[str] = []
    for path in sorted(fixed):
        before = _text(audited[path]).splitlines(keepends=True)
        after = _text(fixed[path]).splitlines(keepends=True)
        out.extend(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def write(root: Path, request: AuditRequest, fixed: Mapping[str, bytes]) -> list[str]:
    """Write the fixed files; the paths left alone because the working tree no longer
    holds what was audited."""
    audited = {c.path: c.head for c in request.changes if c.head is not None}
    skipped: list[str] = []
    for path, data in sorted(fixed.items()):
        target = root / path
        try:
            current = target.read_bytes()
        except OSError:
            current = None
        if current != audited[path]:
            skipped.append(path)
            continue
        target.write_bytes(data)
    return skipped


def after_fixes(request: AuditRequest, written: Mapping[str, bytes]) -> AuditRequest:
    """The request as it is once the fixes are written, to audit what is left: fixed
    files with their new contents, changed lines carried over."""
    changes = []
    for change in request.changes:
        data = written.get(change.path)
        if data is None or change.head is None:
            changes.append(change)
            continue
        lines = carry_changed_lines(_text(change.head), _text(data), change.changed_lines)
        changes.append(replace(change, head=data, changed_lines=lines))
    return replace(request, changes=tuple(changes))


def fixable(result: AuditResult, *, unsafe: bool) -> int:
    return sum(1 for f in result.findings if f.fix is not None and not f.suppressed
               and (unsafe or f.fix.applicability is Applicability.SAFE))


def _text(data: bytes) -> str:
    """A fixed file's text (fixes exist only for files that decoded)."""
    text = decode(data)
    return data.decode("utf-8", "replace") if isinstance(text, ParseFailure) else text
