from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import Handling, assess, is_broad
from analyzers.source import ParsedFile


class BroadExceptSwallowed(FileRule):
    """
    What it does:
        Flags `except Exception` / `except BaseException` (also inside a tuple) whose
        handler is not loud: it passes, continues, returns a default, sets a flag.

    Why is this bad?
        Every failure in the `try` block, including bugs, becomes a normal-looking
        result. Nobody is told, and the wrong value travels on. (Loud, and not
        flagged: re-raising, raising another exception, exiting, logging at warning
        level or above, reporting to Sentry, `warnings.warn`, printing to stderr,
        calling one of the config's `loud-functions`, or handing the exception on as
        a value.)

    Example:
        try:
            rate = fetch_rate(currency)
        except Exception:
            rate = None

    Use instead:
        try:
            rate = fetch_rate(currency)
        except RateUnavailable:
            logger.warning("no rate for %s", currency, exc_info=True)
            rate = None
    """

    id = "SF102"
    name = "broad-except-swallowed"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if not is_broad(node, file):
            return
        if assess(node, file, self.config.loud_functions).handling is Handling.SILENT:
            yield Hit(
                node,
                "broad exception handler swallows every error without a trace",
                "catch the specific exceptions you expect, or log with "
                "`logger.exception(...)` / re-raise so the failure is visible",
            )
