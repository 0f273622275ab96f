from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.silent_failures.handling import BROAD_EXCEPTIONS
from analyzers.silent_failures.intent import deliberate_block
from analyzers.source import ParsedFile


class SuppressBroadException(FileRule):
    """
    What it does:
        Flags `contextlib.suppress(Exception)` and `suppress(BaseException)`, however
        `suppress` was imported.

    Why is this bad?
        It is `except Exception: pass` in disguise: every error in the block disappears.

    Known limits:
        Not flagged in clean-up functions, in demo code under a
        `# pragma: no cover` main guard, or with a comment saying why on or above the
        `with` line. A `with` whose body cannot fail in a way that matters still
        reads as a swallow; measured on six mature projects, the one occurrence was
        deliberate, so it ships as a warning.

    Example:
        with contextlib.suppress(Exception):
            cache.invalidate(key)

    Use instead:
        with contextlib.suppress(CacheMiss):
            cache.invalidate(key)
    """

    id = "SF104"
    name = "suppress-broad-exception"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.WARNING
    node_types = (ast.With, ast.AsyncWith)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.With | ast.AsyncWith)
        for item in node.items:
            call = item.context_expr
            if not isinstance(call, ast.Call):
                continue
            callee = file.qualified_name(call.func)
            if callee != "contextlib.suppress":
                continue
            caught = [a for a in call.args for a in (a.elts if isinstance(a, ast.Tuple) else [a])]
            broad = [a for a in caught if file.qualified_name(a) in BROAD_EXCEPTIONS]
            if broad and deliberate_block(node, file) is None:
                yield Hit(
                    node,
                    f"`suppress({ast.unparse(broad[0])})` silences every error in the block",
                    "suppress only the specific exceptions you expect, or handle and log",
                )
