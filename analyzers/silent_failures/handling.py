"""How loudly an exception handler deals with what it caught.

Handling counts as loud when the handler re-raises, raises another exception, exits,
logs at warning level or above, reports to Sentry, warns, prints to stderr, calls a
configured loud function, or hands the exception object on as a value (stores it,
returns it, passes it to a callback): then the error is carried, not swallowed.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

from analyzers.source import ParsedFile

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception",
                              "builtins.BaseException"})

_LOUD_LEVELS = frozenset({"warning", "warn", "error", "exception", "critical", "fatal"})
_QUIET_LEVELS = frozenset({"debug", "info", "trace", "msg"})
_TRACEBACK_LEVELS = frozenset({"exception"})
_EXIT_CALLS = frozenset({"sys.exit", "os._exit", "os.abort", "exit", "quit"})
_REPORT_CALLS = frozenset({
    "sentry_sdk.capture_exception",
    "sentry_sdk.capture_message",
    "sentry_sdk.api.capture_exception",
    "warnings.warn",
    "warnings.warn_explicit",
    "traceback.print_exc",
    "traceback.print_exception",
    "traceback.print_stack",
    "sys.excepthook",
    "pytest.fail",
    "pytest.exit",
    "unittest.TestCase.fail",
})
_NUMERIC_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40,
                   "CRITICAL": 50, "FATAL": 50}


_LOGGER_NAME = re.compile(r"(?:^|_)(?:log|logs|logger|logging|_?log)(?:$|_)|logger", re.IGNORECASE)


class Handling(enum.Enum):
    LOUD = "loud"
    LOGS_ERROR_WITHOUT_TRACEBACK = "logs-error-without-traceback"
    LOGS_BELOW_WARNING = "logs-below-warning"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class Assessment:
    handling: Handling
    raises: bool


def is_broad(handler: ast.ExceptHandler, file: ParsedFile) -> bool:
    caught = handler.type
    if caught is None:
        return False
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(file.qualified_name(name) in BROAD_EXCEPTIONS for name in names)


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes of a block, not descending into nested functions, classes or lambdas,
    whose code does not run as part of the block."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def assess(handler: ast.ExceptHandler, file: ParsedFile, loud_functions: tuple[str, ...]
           ) -> Assessment:
    raises = False
    loud = False
    logs_error_plain = False
    logs_quiet = False
    exception_name = handler.name
    uses_in_logging: set[int] = set()
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Raise):
            raises = True
        elif isinstance(node, ast.Call):
            kind = _call_kind(node, file, loud_functions)
            if kind is _CallKind.LOUD or kind is _CallKind.LOG_WITH_TRACEBACK:
                loud = True
            elif kind is _CallKind.LOG_ERROR:
                logs_error_plain = True
            elif kind is _CallKind.LOG_WARNING:
                loud = True
            elif kind is _CallKind.LOG_QUIET:
                logs_quiet = True
            if kind is not None and kind is not _CallKind.LOUD:
                uses_in_logging.update(id(n) for n in ast.walk(node))
    if exception_name and not (raises or loud):
        for node in own_nodes(handler.body):
            if (
                isinstance(node, ast.Name)
                and node.id == exception_name
                and isinstance(node.ctx, ast.Load)
                and id(node) not in uses_in_logging
            ):
                loud = True
                break
    if raises or loud:
        return Assessment(Handling.LOUD, raises)
    if logs_error_plain:
        return Assessment(Handling.LOGS_ERROR_WITHOUT_TRACEBACK, raises)
    if logs_quiet:
        return Assessment(Handling.LOGS_BELOW_WARNING, raises)
    return Assessment(Handling.SILENT, raises)


class _CallKind(enum.Enum):
    LOUD = enum.auto()
    LOG_WITH_TRACEBACK = enum.auto()
    LOG_ERROR = enum.auto()
    LOG_WARNING = enum.auto()
    LOG_QUIET = enum.auto()


def _call_kind(call: ast.Call, file: ParsedFile, loud_functions: tuple[str, ...]
               ) -> _CallKind | None:
    name = file.qualified_name(call.func)
    if name is not None:
        if name in _EXIT_CALLS or name in _REPORT_CALLS or name.startswith("sentry_sdk.capture"):
            return _CallKind.LOUD
        bare = name.rsplit(".", 1)[-1]
        if name in loud_functions or bare in loud_functions:
            return _CallKind.LOUD
        if name == "print" and _to_stderr(call, file):
            return _CallKind.LOUD
        if name in ("sys.stderr.write", "sys.__stderr__.write"):
            return _CallKind.LOUD
    if isinstance(call.func, ast.Attribute) and _is_logger(call.func.value, file):
        return _log_kind(call, call.func.attr)
    return None


def _log_kind(call: ast.Call, method: str) -> _CallKind | None:
    method = method.lower()
    if method == "log":
        level = _numeric_level(call.args[0]) if call.args else None
        if level is None:
            return _CallKind.LOG_WARNING  # unknown level: give the benefit of the doubt
        method = "error" if level >= 40 else "warning" if level >= 30 else "info"
    if method in _TRACEBACK_LEVELS or _has_traceback(call):
        return _CallKind.LOG_WITH_TRACEBACK if method not in _QUIET_LEVELS else _CallKind.LOG_QUIET
    if method in ("error", "critical", "fatal"):
        return _CallKind.LOG_ERROR
    if method in _LOUD_LEVELS:
        return _CallKind.LOG_WARNING
    if method in _QUIET_LEVELS:
        return _CallKind.LOG_QUIET
    return None


def _numeric_level(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return _NUMERIC_LEVELS.get(name) if isinstance(name, str) else None


def _has_traceback(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg in ("exc_info", "stack_info") and not (
            isinstance(keyword.value, ast.Constant) and not keyword.value.value
        ):
            return True
    return False


def _is_logger(receiver: ast.expr, file: ParsedFile) -> bool:
    """`logging`, `logger`, `self.log`, `log`, `structlog.get_logger()`, `LOG`,
    `app.logger`, `logging.getLogger(__name__)`: anything whose name says log."""
    if isinstance(receiver, ast.Call):
        callee = file.qualified_name(receiver.func) or ""
        return callee.rsplit(".", 1)[-1].lower() in ("getlogger", "get_logger")
    if isinstance(receiver, ast.Attribute):
        return bool(_LOGGER_NAME.search(receiver.attr))
    if isinstance(receiver, ast.Name):
        return bool(_LOGGER_NAME.search(receiver.id)) or file.imports.get(receiver.id) in (
            "logging", "structlog", "loguru.logger")
    return False


def _to_stderr(call: ast.Call, file: ParsedFile) -> bool:
    return any(
        keyword.arg == "file"
        and file.qualified_name(keyword.value) in ("sys.stderr", "sys.__stderr__")
        for keyword in call.keywords
    )


def body_is_only_pass(body: list[ast.stmt]) -> bool:
    """`pass`, `...`, `continue` or a docstring-like string, and nothing else."""
    return all(
        isinstance(stmt, ast.Pass | ast.Continue)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)))
        for stmt in body
    )

