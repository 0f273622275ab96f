from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.silent_failures.broad_handler import BroadHandlerRule
from analyzers.silent_failures.handling import Handling


class BroadExceptLoggedWithoutTraceback(BroadHandlerRule):
    """
    What it does:
        Flags a broad handler that logs at error level without the traceback
        (`logger.error("failed: %s", exc)`) and does not re-raise.

    Why is this bad?
        The failure is visible, but where it happened is lost: a broad handler catches
        bugs too, and a bug without its traceback costs hours to find.

    Known limits:
        Not flagged, because the author's intent is plain: a comment in or right
        above the handler saying why (pragmas and TODOs do not count); clean-up
        (`__del__`, `__exit__`, `close`/`teardown`-style functions, `atexit`
        functions, a `try` that only closes or flushes); demo code under
        `if __name__ == "__main__":  # pragma: no cover`; in tests, a handler that
        asserts or captures the exception. `# noqa: TRY400`
        or `BLE001` suppresses it.

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
    flagged = Handling.LOGS_ERROR_WITHOUT_TRACEBACK
    message = "broad exception handler logs an error without the traceback"
    suggestion = "use `logger.exception(...)` or pass `exc_info=True` so the traceback is kept"
