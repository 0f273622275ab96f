from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.silent_failures.handling import BroadHandlerRule, Handling


class BroadExceptSwallowed(BroadHandlerRule):
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
    flagged = Handling.SILENT
    message = "broad exception handler swallows every error without a trace"
    suggestion = (
        "catch the specific exceptions you expect, or log with "
        "`logger.exception(...)` / re-raise so the failure is visible"
    )
