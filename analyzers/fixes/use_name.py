"""SS205 and SS204: a restated value (a literal, an environment read) becomes the name
that already holds it, imported when it lives in another module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange

from analyzers.fixes import UseName
from analyzers.fixes.imports import NoFix, add_from_import
from analyzers.fixes.locate import TopStatement, replace_statement

_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)
_READS = (cst.Call, cst.Subscript)


class _FindTarget(cst.CSTVisitor):
    """The expression the finding points at: the widest literal, or the narrowest call or
    subscript (`os.environ.get("X")`, not `os.environ.get("X").lower()`), that starts at
    the place; and whether it sits in a `case` pattern."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], plan: UseName) -> None:
        self.positions = positions
        self.plan = plan
        self.target: cst.BaseExpression | None = None
        self.in_pattern = False
        self._patterns = 0

    def visit_MatchValue(self, node: cst.MatchValue) -> None:
        self._patterns += 1

    def leave_MatchValue(self, original_node: cst.MatchValue) -> None:
        self._patterns -= 1

    def on_visit(self, node: cst.CSTNode) -> bool:
        super().on_visit(node)
        kinds = _LITERALS if self.plan.expression == "literal" else _READS
        if isinstance(node, kinds) and self._starts_here(node):
            assert isinstance(node, cst.BaseExpression)
            if self.target is None or self._better(node, self.target):
                self.target, self.in_pattern = node, self._patterns > 0
        return True

    def _starts_here(self, node: cst.CSTNode) -> bool:
        start = self.positions[node].start
        return (start.line, start.column + 1) == (self.plan.line, self.plan.column)

    def _better(self, node: cst.CSTNode, than: cst.CSTNode) -> bool:
        if self.plan.expression == "literal":
            return self._size(node) > self._size(than)
        return self._size(node) < self._size(than)

    def _size(self, node: cst.CSTNode) -> tuple[int, int]:
        end = self.positions[node].end
        return end.line, end.column


class _Replace(cst.CSTTransformer):
    def __init__(self, target: cst.BaseExpression, name: str) -> None:
        super().__init__()
        self.target = target
        self.name = name

    def on_leave(self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
                 ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        if original_node is self.target and isinstance(original_node, cst.BaseExpression):
            replacement = cst.Name(self.name, lpar=original_node.lpar, rpar=original_node.rpar)
            return cast(cst.CSTNodeT, replacement)  # an expression's place takes any expression
        return updated_node


def use_name(module: cst.Module, target: TopStatement, plan: UseName) -> cst.Module:
    finder = _FindTarget(target.positions, plan)
    module.body[target.index].visit(finder)
    if finder.target is None:
        raise NoFix(f"no {plan.expression} starts at line {plan.line}, column {plan.column}")
    if finder.in_pattern:
        raise NoFix("a bare name in a `case` pattern captures instead of comparing")
    fixed = replace_statement(module, target.index, _Replace(finder.target, plan.name))
    if plan.module is None:
        return fixed
    return add_from_import(fixed, plan.module, plan.name, None)
