from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import Handling, assess, is_broad
from analyzers.source import ParsedFile


class BroadExceptLoggedWithoutTraceback(FileRule):
    """
    What it does:
        Flags a broad handler that logs at error level without the traceback
        (`logger.error("failed: %s", exc)`) and does not re-raise.

    Why is this bad?
        The failure is visible, but where it happened is lost: a broad handler catches
        bugs too, and a bug without its traceback costs hours to find.

    Example:
        try:
            charge(card)
        except Exception as exc:
            logger.error("charge failed: %s", exc)

    Use instead:
        try:
            charge(card)
        except Exception:
            logger.exception("charge failed")
    """

    id = "SF108"
    name = "error-logged-without-traceback"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.WARNING
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if not is_broad(node, file):
            return
        handling = assess(node, file, self.config.loud_functions).handling
        if handling is Handling.LOGS_ERROR_WITHOUT_TRACEBACK:
            yield Hit(
                node,
                "broad exception handler logs an error without the traceback",
                "use `logger.exception(...)` or pass `exc_info=True` so the traceback is kept",
            )
