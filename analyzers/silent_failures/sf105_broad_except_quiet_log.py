from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.silent_failures.broad_handler import BroadHandlerRule
from analyzers.silent_failures.handling import Handling


class BroadExceptLoggedQuietly(BroadHandlerRule):
    """
    What it does:
        Flags a broad handler (`except Exception`, `except BaseException`, also inside
        a tuple) that only logs at debug or info level and carries on.

    Why is this bad?
        Production runs at warning level or above: the log line is never seen, so the
        failure is as silent as `pass`, only better disguised.

    Known limits:
        Not flagged, because the author's intent is plain: a comment in or right
        above the handler saying why (pragmas and TODOs do not count); clean-up
        (`__del__`, `__exit__`, `close`/`teardown`-style functions, `atexit`
        functions, a `try` that only closes or flushes); demo code under
        `if __name__ == "__main__":  # pragma: no cover`; in tests, a handler that
        asserts or captures the exception. Severity not
        measured: no such handler occurs in the six measured projects.

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
    flagged = Handling.LOGS_BELOW_WARNING
    message = "broad exception handler only logs below warning level and carries on"
    suggestion = (
        "log at warning or above with the traceback (`logger.warning(..., "
        "exc_info=True)` or `logger.exception(...)`), or catch a specific exception"
    )
