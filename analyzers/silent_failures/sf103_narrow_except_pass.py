from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.context import context_of
from analyzers.silent_failures.handling import body_is_only_pass, is_broad
from analyzers.silent_failures.intent import deliberate_handler
from analyzers.source import ParsedFile, last_name

EXPECTED_ABSENCES = frozenset({
    "ImportError", "ModuleNotFoundError", "StopIteration", "StopAsyncIteration",
    "GeneratorExit",
})
"""Exceptions whose `pass` is the idiom itself: an optional dependency that is not
installed, an iterator that is done."""


class NarrowExceptPassed(FileRule):
    """
    What it does:
        Opt-in (name it in `select` or `severity`): flags a handler for a specific
        exception whose body is only `pass`, `...` or `continue`.

    Why is this bad?
        Even an expected exception deserves a word on why ignoring it is right; an
        empty handler reads the same whether the author thought about it or not.

    Known limits:
        Off by default: on mature projects (click, falcon, httpie, httpx, marshmallow,
        pytest) not one of 118 such handlers was worth raising; a specific exception
        caught and passed is nearly always control flow (a cache miss, a missing key,
        an attribute that may be absent, a test expecting the exception). When on, it
        still leaves out `ImportError` (optional dependencies), `StopIteration` and
        `GeneratorExit`, handlers whose author says why in a comment, and clean-up and
        demo code. A `try` with an `else:` clause cannot become `contextlib.suppress`,
        so there the suggestion is a comment.

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
        if not self._opted_in():
            return
        if node.type is None or is_broad(node, file) or not body_is_only_pass(node.body):
            return
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        if any(last_name(c) in EXPECTED_ABSENCES for c in caught):
            return
        if deliberate_handler(node, file, probes=False) is not None:
            return
        spelled = ast.unparse(node.type)
        try_node = context_of(file).place(node).try_node
        if try_node is not None and (try_node.orelse or len(try_node.handlers) > 1):
            suggestion = "say in a comment why ignoring it is right, or handle it"
        else:
            suggestion = (f"use `contextlib.suppress({spelled})` with a comment saying why "
                          "ignoring it is right, or handle it")
        yield Hit(node, f"`except {spelled}` does nothing with the error", suggestion)

    def _opted_in(self) -> bool:
        return self.id in self.config.select or self.config.severity.get(self.id) is not None
