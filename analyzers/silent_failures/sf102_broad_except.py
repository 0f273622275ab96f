from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.silent_failures.broad_handler import BroadHandlerRule
from analyzers.silent_failures.handling import Handling


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

    Known limits:
        Not flagged, because the author's intent is plain: a comment in or right above
        the handler saying why (pragmas and TODOs do not count); clean-up (`__del__`,
        `__exit__`, `close`/`teardown`-style functions, `atexit` functions, a `try` that
        only closes or flushes); demo code under `if __name__ == "__main__":  # pragma:
        no cover`; in tests, a handler that asserts, captures the exception, or records
        it for a later assertion. A probe is not flagged either: the handler only
        answers with a fallback (a constant, a name, a marker string) and the function
        is small and named as a question or a safe helper (`is_`, `has_`, `can_`,
        `safe_`, `try_`, `supports_`, `readable`, `__str__`), or its docstring says
        failures are answered ("Check whether ...", "or None if it could not be
        determined"); the caller chose (`raising=False`, `default=`); only a cache or a
        `del` is at stake; a retry loop's `else:` raises the last failure; or the `try`
        only asks a value a question (`not result`, `bool(x)`, `len(x) > 0`), which any
        object may answer by raising. Calling a function of the same file that never
        returns (ends in `raise`, or `-> NoReturn`) counts as raising; other helpers are
        judged by name only (add them to `loud-functions`). A nested retry is reported
        once, at the inner handler. Silent failures in tests and examples are notices
        at most. A `# noqa: BLE001` or `# pylint: disable=broad-exception-caught` on the
        `except` line suppresses it, with its reason. Also not flagged: a broad handler after one
        that re-raises `KeyboardInterrupt`/`SystemExit` (the author fenced off what must
        escape). Measured on seven mature projects, 1 in 7 of what is left is worth raising
        (1 in 50 on an earlier sample), well below the 80% a warning needs: mature code's
        broad handlers are mostly deliberate. So it ships as a notice, shown to the
        reviewer without asking anything; set it to "warning" or "error" in `severity`
        where every broad handler should be explained.

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
    severity = Severity.NOTICE
    flagged = Handling.SILENT
    message = "broad exception handler swallows every error without a trace"
    suggestion = (
        "catch the specific exceptions you expect, or log with "
        "`logger.exception(...)` / re-raise so the failure is visible"
    )
