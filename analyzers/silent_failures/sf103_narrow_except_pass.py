from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import body_is_only_pass, is_broad
from analyzers.source import ParsedFile


class NarrowExceptPassed(FileRule):
    """
    What it does:
        Flags a handler for a specific exception whose body is only `pass`, `...` or
        `continue`.

    Why is this bad?
        Even an expected exception deserves a word on why ignoring it is right; an
        empty handler reads the same whether the author thought about it or not.

    Example:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass

    Use instead:
        with contextlib.suppress(FileNotFoundError):  # already gone is what we want
            os.remove(path)
    """

    id = "SF103"
    name = "narrow-except-passed"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.WARNING
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if node.type is None or is_broad(node, file) or not body_is_only_pass(node.body):
            return
        caught = ast.unparse(node.type)
        yield Hit(
            node,
            f"`except {caught}` does nothing with the error",
            f"use `contextlib.suppress({caught})` with a comment saying why ignoring it "
            "is right, or handle it",
        )
