"""The shape SF101, SF102, SF105 and SF108 share: a handler judged by how loudly it
handles what it caught, unless its author's intent is plain (`intent.py`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import Handling, assess, is_broad, own_nodes
from analyzers.silent_failures.intent import deliberate_handler
from analyzers.source import ParsedFile


def reported_inside(handler: ast.ExceptHandler, file: ParsedFile,
                    loud_functions: tuple[str, ...]) -> bool:
    """A quiet broad or bare handler nested in this one's body (a retry: `except
    Exception: try: again() except Exception: return False`) is the same construct;
    only the inner one is reported."""
    return any(
        isinstance(node, ast.ExceptHandler) and node is not handler
        and (node.type is None or is_broad(node, file))
        and assess(node, file, loud_functions).handling is not Handling.LOUD
        for node in own_nodes(handler.body)
    )


class BroadHandlerRule(FileRule):
    """A broad handler whose `Handling` is `flagged`; each rule says what to say."""

    node_types = (ast.ExceptHandler,)
    flagged: ClassVar[Handling]
    message: ClassVar[str]
    suggestion: ClassVar[str]

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if not is_broad(node, file):
            return
        loud_functions = self.config.loud_functions
        if assess(node, file, loud_functions).handling is not self.flagged:
            return
        if reported_inside(node, file, loud_functions) or deliberate_handler(node, file):
            return
        yield Hit(node, self.message, self.suggestion)
