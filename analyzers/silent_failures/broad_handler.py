"""The shape SF101, SF102, SF105 and SF108 share: a handler judged by how loudly it
handles what it caught, unless its author's intent is plain (`intent.py`)."""

from __future__ import annotations

import ast
from abc import abstractmethod
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


class HandlerRule(FileRule):
    """A handler the rule `catches` whose handling it `flags`; each rule says what to
    say. `probes` says whether the probe principle applies."""

    node_types = (ast.ExceptHandler,)
    message: ClassVar[str]
    suggestion: ClassVar[str]
    probes: ClassVar[bool] = True

    @abstractmethod
    def catches(self, handler: ast.ExceptHandler, file: ParsedFile) -> bool:
        """Whether this rule is about this kind of handler (bare, broad)."""

    @abstractmethod
    def flags(self, handling: Handling) -> bool:
        """Whether handling this quiet is what the rule reports."""

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if not self.catches(node, file):
            return
        loud_functions = self.config.loud_functions
        if not self.flags(assess(node, file, loud_functions).handling):
            return
        if reported_inside(node, file, loud_functions) or deliberate_handler(
            node, file, probes=self.probes
        ):
            return
        yield Hit(node, self.message, self.suggestion)


class BroadHandlerRule(HandlerRule):
    """A broad handler (`except Exception`, also in a tuple) whose `Handling` is
    `flagged`."""

    flagged: ClassVar[Handling]

    def catches(self, handler: ast.ExceptHandler, file: ParsedFile) -> bool:
        return is_broad(handler, file)

    def flags(self, handling: Handling) -> bool:
        return handling is self.flagged
