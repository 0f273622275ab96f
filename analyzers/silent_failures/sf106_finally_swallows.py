from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.source import ParsedFile

_FINALLY = re.compile(r"^\s*finally\s*:")
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class FinallySwallowsException(FileRule):
    """
    What it does:
        Flags `return`, `break` or `continue` directly inside a `finally` block.

    Why is this bad?
        Leaving a `finally` block that way discards the exception in flight: the
        caller gets a normal return and never learns the `try` failed (PEP 765 makes it
        a SyntaxWarning from Python 3.14).

    Known limits:
        Any `return`, `break` or `continue` in `finally` is reported, even when the
        `try` cannot raise. Not measured: none occurs in the six measured projects.
        `# noqa: B012` or `# pylint: disable=lost-exception` suppresses it.

    Example:
        try:
            return compute()
        finally:
            return cached

    Use instead:
        try:
            return compute()
        except ComputeError:
            logger.warning("using the cached value", exc_info=True)
            return cached
    """

    id = "SF106"
    name = "finally-swallows-exception"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    node_types = (ast.Try, ast.TryStar)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.Try | ast.TryStar)
        if not node.finalbody:
            return
        for exit_node in _exits(node.finalbody):
            keyword = type(exit_node).__name__.lower()
            yield Hit(
                exit_node,
                f"`{keyword}` inside `finally` discards any exception raised in the `try`",
                f"move the `{keyword}` after the `try` statement, or handle the specific "
                "exception in an `except` clause",
                line=_finally_line(node, file),
            )


def _exits(body: list[ast.stmt]) -> Iterator[ast.Return | ast.Break | ast.Continue]:
    """Exits that leave the finally block: not those inside a nested function, nor a
    break/continue that belongs to a loop inside the block (the loop's body; its `else`
    clause belongs to the enclosing loop, or to none)."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(body)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.Return) or (
            isinstance(node, ast.Break | ast.Continue) and not in_loop
        ):
            yield node
        if isinstance(node, _LOOPS):
            stack.extend((stmt, in_loop) for stmt in reversed(node.orelse))
            stack.extend((stmt, True) for stmt in reversed(node.body))
        else:
            stack.extend((child, in_loop) for child in reversed(list(ast.iter_child_nodes(node))))


def _finally_line(node: ast.Try | ast.TryStar, file: ParsedFile) -> int:
    first = node.finalbody[0].lineno
    for number in range(first, node.lineno - 1, -1):
        if _FINALLY.match(file.lines[number - 1]):
            return number
    return first
