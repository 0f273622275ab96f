"""Edits as text: from a codemod's before/after to `Edit`s, and applying them. Pure."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable, Sequence

from analyzers.alignment import opcodes, spelled
from analyzers.model import Edit


def edits_between(path: str, before: str, after: str) -> tuple[Edit, ...]:
    """The smallest whole-line edits that turn `before` into `after`."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    return tuple(
        Edit(path, first + 1, 1, last + 1, 1, "".join(new[start:end]))
        for tag, first, last, start, end in _line_opcodes(old, new) if tag != "equal"
    )


def _line_opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes between two lists of lines (no junk)."""
    return opcodes(*spelled(old, new))


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with non-overlapping `edits` applied, in one pass over the original text.
    Edits that start at one place are written in the order given (the fixes' order, so
    imports several fixes add at one place read in the findings' order); a line past the
    end is the end."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        if line >= len(starts):
            return len(text)
        return min(starts[line - 1] + column - 1, starts[line])

    spans = sorted(
        ((offset(e.line, e.column), offset(e.end_line, e.end_column), n, e.content)
         for n, e in enumerate(edits)),
        key=lambda span: (span[0], span[2]),
    )
    out: list[str] = []
    done = 0
    for start, end, _, content in spans:
        out.append(text[done:start] + content)
        done = max(done, end)
    out.append(text[done:])
    return "".join(out)


def overlaps(left: Edit, right: Edit) -> bool:
    """Whether two edits touch the same text (two insertions at one point do not)."""
    a = ((left.line, left.column), (left.end_line, left.end_column))
    b = ((right.line, right.column), (right.end_line, right.end_column))
    return a[0] < b[1] and b[0] < a[1]


def compatible(chosen: Sequence[Edit], edits: Sequence[Edit]) -> bool:
    return not any(overlaps(a, b) for a in chosen for b in edits)


def apply_to_bytes(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply edits to a file's bytes, keeping its encoding (PEP 263 cookie or BOM)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return apply_edits(data.decode(encoding), edits).encode(encoding)


def carry_changed_lines(before: str, after: str, changed: frozenset[int] | None
                        ) -> frozenset[int] | None:
    """The changed lines of `after`, a fixed `before`: the old changed lines where they
    moved to, plus every line the fix wrote."""
    if changed is None:
        return None
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    carried: set[int] = set()
    for tag, first, last, start, end in _line_opcodes(old, new):
        if tag == "equal":
            carried.update(start + n - first + 1 for n in range(first, last) if n + 1 in changed)
        else:
            carried.update(range(start + 1, end + 1))
    return frozenset(carried)
