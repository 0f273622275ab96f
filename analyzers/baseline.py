"""A baseline: the findings a repository already has, recorded by fingerprint, so that a
legacy codebase can adopt the audit and be shown only what is new.

A fingerprint is the hash of the rule, the path and the flagged code with its layout
normalised, never a line number: code that moves within its file keeps its fingerprint,
and code that changes gets a new one. Findings with the same hash are numbered in order,
so every finding of one audit has its own fingerprint (SARIF's `partialFingerprints`
reuses them). Pure data work: text and findings in, text and findings out.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from analyzers.model import AuditRequest, AuditResult, Finding, Verdict

FORMAT_VERSION = 1


def sources_of(request: AuditRequest) -> Mapping[str, bytes]:
    """Path -> contents of every file the request holds (changed files at head first),
    looked up when asked: the request's context may be read lazily."""
    return _Sources({c.path: c.head for c in request.changes if c.head is not None},
                    request.context)


class _Sources(Mapping[str, bytes]):
    """The changed files' heads over the context, without copying the context."""

    def __init__(self, changed: dict[str, bytes], context: Mapping[str, bytes]) -> None:
        self._changed = changed
        self._context = context

    def __getitem__(self, path: str) -> bytes:
        found = self._changed.get(path)
        return self._context[path] if found is None else found

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._changed, *self._context]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def fingerprints(findings: Sequence[Finding], sources: Mapping[str, bytes]) -> tuple[str, ...]:
    """One fingerprint per finding, in order, unique within `findings`."""
    seen: Counter[str] = Counter()
    out = []
    for finding in findings:
        code = _flagged_code(sources.get(finding.path), finding.line, finding.end_line)
        material = "\0".join((finding.rule, finding.path, code or finding.message))
        digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        out.append(f"{digest}:{seen[digest]}")
        seen[digest] += 1
    return tuple(out)


def _flagged_code(data: bytes | None, line: int, end_line: int) -> str:
    """The flagged lines with their layout left out: each line stripped, runs of
    whitespace made one space (a re-indent or a reformat keeps the fingerprint)."""
    if data is None:
        return ""
    lines = data.decode("utf-8", "replace").splitlines()[max(0, line - 1):max(line, end_line)]
    return "\n".join(" ".join(text.split()) for text in lines if text.strip())


def render_baseline(findings: Sequence[Finding], prints: Sequence[str]) -> str:
    """The baseline file for these findings (the unsuppressed ones), as JSON text."""
    entries = [{"fingerprint": fingerprint, "rule": f.rule, "path": f.path, "message": f.message}
               for f, fingerprint in zip(findings, prints, strict=True) if not f.suppressed]
    return json.dumps({"version": FORMAT_VERSION, "findings": entries}, indent=2,
                      ensure_ascii=False) + "\n"


def parse_baseline(text: str) -> frozenset[str]:
    """The fingerprints a baseline file records; `ValueError` saying what is wrong."""
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a version {FORMAT_VERSION} baseline")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise ValueError("`findings` must be a list of entries with a `fingerprint`")
    return frozenset(e["fingerprint"] for e in entries)


def apply_baseline(result: AuditResult, prints: Sequence[str], baseline: frozenset[str]
                   ) -> AuditResult:
    """The result without the findings the baseline records, its verdict and checklist
    recounted, and a note saying how many were left out and how many baseline entries
    matched nothing (fixed, or changed so that they are reported again)."""
    kept = tuple(f for f, fingerprint in zip(result.findings, prints, strict=True)
                 if fingerprint not in baseline)
    known = len(result.findings) - len(kept)
    stale = len(baseline - set(prints))
    note = (f"{known} finding{'' if known == 1 else 's'} recorded in the baseline "
            f"{'is' if known == 1 else 'are'} not reported; {stale} baseline "
            f"entr{'y' if stale == 1 else 'ies'} no longer match (fixed or changed; "
            "`--write-baseline` records the findings of today)")
    kept_ids = {id(f) for f in kept}
    rows = tuple(row.recounted(tuple(f for f in row.findings if id(f) in kept_ids))
                 for row in result.checklist)
    return replace(
        result,
        verdict=Verdict.NO_GO if any(f.blocks for f in kept) else Verdict.GO,
        findings=kept,
        checklist=rows,
        stats=replace(result.stats, findings=sum(1 for f in kept if not f.suppressed),
                      suppressed=sum(1 for f in kept if f.suppressed)),
        notes=(*result.notes, note),
    )
