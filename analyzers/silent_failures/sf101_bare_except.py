from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import raises
from analyzers.source import ParsedFile


class BareExceptSwallowed(FileRule):
    """
    What it does:
        Flags a bare `except:` clause that does not re-raise.

    Why is this bad?
        A bare `except:` also catches `KeyboardInterrupt`, `SystemExit` and
        `GeneratorExit`: the program cannot be stopped, and every bug inside the `try`
        vanishes, including ones nobody anticipated.

    Example:
        try:
            sync_accounts()
        except:
            logger.warning("sync failed")

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
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.ExceptHandler)
        if node.type is None and not raises(node.body):
            yield Hit(
                node,
                "bare `except:` catches everything, KeyboardInterrupt and SystemExit "
                "included, and does not re-raise",
                "catch the exceptions you expect (`except (KeyError, ValueError):`) or "
                "re-raise after handling",
            )
