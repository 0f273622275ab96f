from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import Handling, assess, is_broad
from analyzers.source import ParsedFile


class BroadExceptLoggedQuietly(FileRule):
    """
    What it does:
        Flags a broad handler (`except Exception`, `except BaseException`, also inside
        a tuple) that only logs at debug or info level and carries on.

    Why is this bad?
        Production runs at warning level or above: the log line is never seen, so the
        failure is as silent as `pass`, only better disguised.

    Example:
        try:
            send_receipt(order)
        except Exception:
            logger.debug("receipt failed")

    Use instead:
        try:
            send_receipt(order)
        except MailError:
            logger.warning("receipt for %s failed", order.id, exc_info=True)
    """

    id = "SF105"
    name = "broad-except-logged-quietly"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if not is_broad(node, file):
            return
        handling = assess(node, file, self.config.loud_functions).handling
        if handling is Handling.LOGS_BELOW_WARNING:
            yield Hit(
                node,
                "broad exception handler only logs below warning level and carries on",
                "log at warning or above with the traceback (`logger.warning(..., "
                "exc_info=True)` or `logger.exception(...)`), or catch a specific exception",
            )
