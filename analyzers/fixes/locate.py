"""The top-level statement a fix edits, with libcst positions for its nodes only.

Every plan names a line, and every edit of a codemod happens inside the one top-level
statement that holds that line (plus, at module level, imports and helpers it adds).
Positions from libcst's `PositionProvider` cost a code generation of the whole module
(most of a fix's time on a big file); computing them for that one statement, shifted to
the file's lines, costs what the statement holds. Which statement holds the line comes
from `ast` (its statements' lines); the shift is checked against the file's text, and
where the check fails the positions come from the whole module as before.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

Positions = Mapping[cst.CSTNode, CodeRange]
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
"""A line as both the tokenizer and libcst count them: only CR, LF and CRLF end one."""


@dataclass(frozen=True, slots=True)
class TopStatement:
    """`module.body[index]`, and the position of each node within it in the file."""

    index: int
    positions: Positions


class Locator:
    """Finds the `TopStatement` for a line of one module (parsed by both libcst and `ast`
    from `text`)."""

    def __init__(self, module: cst.Module, tree: ast.Module, text: str) -> None:
        self.module = module
        self.lines = LINE.findall(text)
        self.spans = _statement_lines(module, tree)
        self._alone: dict[int, TopStatement | None] = {}
        """`_one`'s answers: a file's findings often share a statement."""
        self._whole: Positions | None = None

    def at(self, line: int) -> TopStatement | None:
        """The top-level statement that holds `line`; None when none does."""
        if self.spans is not None:
            for index, (first, start, last) in enumerate(self.spans):
                if first <= line <= last:
                    if index not in self._alone:
                        self._alone[index] = self._one(index, start)
                    located = self._alone[index]
                    if located is not None:
                        return located
                    break
        return self._from_whole_module(line)

    def _one(self, index: int, start: int) -> TopStatement | None:
        """Positions of the statement alone, shifted so that it starts at `start` (its
        first line as `ast` says); None unless its code is in the file exactly there."""
        statement = self.module.body[index]
        last = index == len(self.module.body) - 1
        alone = self.module.with_changes(
            header=(), body=(statement,), footer=(),
            has_trailing_newline=self.module.has_trailing_newline if last else True)
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        shift = start - positions[statement].start.line
        code = LINE.findall(alone.code)
        if shift < 0 or self.lines[shift:shift + len(code)] != code:
            return None
        return TopStatement(index, {
            node: CodeRange(CodePosition(where.start.line + shift, where.start.column),
                            CodePosition(where.end.line + shift, where.end.column))
            for node, where in positions.items() if node is not alone})

    def _from_whole_module(self, line: int) -> TopStatement | None:
        if self._whole is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._whole = wrapper.resolve(PositionProvider)
        for index, statement in enumerate(self.module.body):
            where = self._whole[statement]
            if where.start.line <= line <= where.end.line:
                return TopStatement(index, self._whole)
        return None


def _statement_lines(module: cst.Module, tree: ast.Module) -> list[tuple[int, int, int]] | None:
    """Per top-level libcst statement: its first line (decorators included), the line
    libcst's position starts on (the `def` or `class` line of a decorated definition; the
    first statement of a line of `;`-separated ones) and its last line, from `ast`. None
    when the two parsers do not pair up statement for statement."""
    spans: list[tuple[int, int, int]] = []
    taken = 0
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        group = tree.body[taken:taken + count]
        taken += count
        if len(group) != count:
            return None
        head, end = group[0], group[-1].end_lineno
        if end is None:
            return None
        decorators = getattr(head, "decorator_list", [])
        first = min([head.lineno, *(d.lineno for d in decorators)])
        spans.append((first, head.lineno, end))
    return spans if taken == len(tree.body) else None


def replace_statement(module: cst.Module, index: int, transformer: cst.CSTTransformer
                      ) -> cst.Module:
    """`module` with its top-level statement at `index` visited by `transformer`, which
    edits nothing outside it."""
    visited = module.body[index].visit(transformer)
    assert isinstance(visited, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    return module.with_changes(body=[*module.body[:index], visited, *module.body[index + 1:]])
