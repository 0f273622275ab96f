from __future__ import annotations

import ast

from analyzers.model import Principle, Severity
from analyzers.silent_failures.broad_handler import HandlerRule
from analyzers.silent_failures.handling import Handling
from analyzers.source import ParsedFile


class BareExceptSwallowed(HandlerRule):
    """
    What it does:
        Flags a bare `except:` clause that is not loud (the same test as SF102: the
        failure must leave the handler on every path).

    Why is this bad?
        A bare `except:` also catches `KeyboardInterrupt`, `SystemExit` and
        `GeneratorExit`: the program cannot be stopped, and every bug inside the `try`
        vanishes, including ones nobody anticipated.

    Known limits:
        Not flagged, because the author's intent is plain: a comment in or right
        above the handler saying why (pragmas and TODOs do not count); clean-up
        (`__del__`, `__exit__`, `close`/`teardown`-style functions, `atexit`
        functions, a `try` that only closes or flushes); demo code under
        `if __name__ == "__main__":  # pragma: no cover`; in tests, a handler that
        asserts or captures the exception. Probes are
        flagged all the same: a bare `except:` in one still swallows Ctrl-C. A
        `# noqa: E722` or `# pylint: disable=bare-except` suppresses it, with its
        reason. No bare `except:` occurs in the measured projects; the severity is
        not measured.

    Example:
        try:
            sync_accounts()
        except:
            return None

    Use instead:
        try:
            sync_accounts()
        except SyncError:
            logger.warning("sync failed", exc_info=True)
    """

    id = "SF101"
    name = "bare-except-swallowed"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    probes = False
    message = ("bare `except:` catches everything, KeyboardInterrupt and SystemExit "
               "included, and is not loud")
    suggestion = ("catch the exceptions you expect (`except (KeyError, ValueError):`) or "
                  "re-raise after handling")

    def catches(self, handler: ast.ExceptHandler, file: ParsedFile) -> bool:
        return handler.type is None

    def flags(self, handling: Handling) -> bool:
        return handling is not Handling.LOUD
