"""Which changed lines changed the code, not just its layout.

A line that git reports as changed counts for the audit only when the statement it
belongs to changed its syntax between base and head. Re-quoting, re-wrapping and
re-indenting by a formatter, and adding or removing comments (`# pragma: no cover`,
`# type: ignore`) inside old code, leave the syntax tree as it was: a finding there
would blame the pull request for code it did not write.

The unit of comparison is the statement: a simple statement whole, a compound one
(`def`, `class`, `if`, `try`, an `except` handler, a `case`) by its header alone, so a
change inside a function body does not make the whole function new. Both files'
statements are listed in source order by the shape of their syntax (positions,
comments and quoting left out) and aligned as sequences; a head statement that the
alignment leaves unmatched is new or altered, and its lines count; so does every
changed copy of a shape that head holds more often than base (a paste of existing code
is new, whichever copy the alignment took for the old one). Moved code whose syntax did
not change is not new.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator

from analyzers.alignment import matching_blocks, spelled
from analyzers.source import STATEMENT_BODY_FIELDS

MAX_UNITS = 50_000
"""Past this many statements in either version the alignment is skipped and every
changed line counts, which is what the audit did before this refinement."""

_Unit = tuple[int, int, int]
"""(shape hash, first line, last line of the statement's own lines)."""


def syntax_changed_lines(
    head: ast.Module, base: ast.Module, changed: frozenset[int]
) -> frozenset[int]:
    """The subset of `changed` (head line numbers) that lies on a head statement whose
    syntax is not found, in order, in `base`."""
    head_units = list(_units(head))
    base_units = list(_units(base))
    if len(head_units) > MAX_UNITS or len(base_units) > MAX_UNITS:
        return changed
    unchanged = [False] * len(head_units)
    for _, head_at, size in matching_blocks(*spelled([u[0] for u in base_units],
                                                     [u[0] for u in head_units])):
        for index in range(head_at, head_at + size):
            unchanged[index] = True
    # A shape that head holds more often than base was copied: which copy the alignment
    # calls the old one is arbitrary, so every copy on a changed line counts as new (the
    # paste git reports must not be taken for the original it matched).
    surplus = Counter(u[0] for u in head_units)
    surplus.subtract(u[0] for u in base_units)
    for index, (shape, first, last) in enumerate(head_units):
        if unchanged[index] and surplus[shape] > 0 and not changed.isdisjoint(
                range(first, last + 1)):
            unchanged[index] = False
    altered: set[int] = set()
    for (_, first, last), same in zip(head_units, unchanged, strict=True):
        if not same:
            altered.update(range(first, last + 1))
    return frozenset(changed & altered)


def _units(tree: ast.Module) -> Iterator[_Unit]:
    """Every statement, handler and match case in source order, without recursion."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        nested = _nested(node)
        first, end = _lines(node)
        first = min([first, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        last = max(first, _lines(nested[0])[0] - 1) if nested else end
        yield hash(_shape(node)), first, last
        stack.extend(reversed(nested))


def _lines(node: ast.AST) -> tuple[int, int]:
    """A unit's first and last line; a `case` has no position of its own, its pattern
    has."""
    located = node.pattern if isinstance(node, ast.match_case) else node
    first: int = getattr(located, "lineno", 1)
    return first, getattr(located, "end_lineno", None) or first


def _nested(node: ast.AST) -> list[ast.AST]:
    out: list[ast.AST] = []
    for name in node._fields:
        if name in STATEMENT_BODY_FIELDS:
            value = getattr(node, name, None)
            if isinstance(value, list):
                out.extend(item for item in value if isinstance(item, ast.AST))
    return out


def _shape(root: ast.AST) -> tuple[object, ...]:
    """The syntax of one unit as a flat tuple: node types, field values and list
    lengths in pre-order, leaving out positions and the nested statements."""
    out: list[object] = []
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.AST):
            out.append(type(item).__name__)
            for name in reversed(item._fields):
                if item is root and name in STATEMENT_BODY_FIELDS:
                    continue
                stack.append(getattr(item, name, None))
        elif isinstance(item, list):
            out.append(len(item))
            stack.extend(reversed(item))
        else:
            out.append(item)
    return tuple(out)
