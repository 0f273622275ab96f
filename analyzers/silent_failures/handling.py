"""How loudly an exception handler deals with what it caught.

Handling counts as loud when, on every path through the handler, it re-raises, raises
another exception, exits, logs at warning level or above, reports to Sentry, warns,
prints to stderr, calls a configured loud function or a function of the same file that
never returns, or hands the exception object on where someone sees it (returns it,
raises from it, passes it to a call, stores it on an object, binds it to a name that is
read later): then the error is carried, not swallowed. A `raise` under `if DEBUG:`, one
that a nested `try` swallows, an `isinstance(exc, ...)` test or a dead local is not.

Names are resolved through the file's imports (`ParsedFile.qualified_name`), so
`from sentry_sdk import capture_exception` counts and a local `capture_exception` does
not. Loggers are recognised by shape, since their type is unknowable without running
the code: a receiver whose name says log (`logger`, `self.log`, `LOG`), the `logging`
module, or a `getLogger(...)` / `get_logger(...)` call.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from analyzers.silent_failures.context import context_of
from analyzers.source import STATEMENT_BODY_FIELDS, ParsedFile

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception",
                              "builtins.BaseException"})


class Handling(enum.Enum):
    """What a broad handler does with the error, from loudest to quietest."""

    LOUD = "loud"
    LOGS_ERROR_WITHOUT_TRACEBACK = "logs-error-without-traceback"
    LOGS_BELOW_WARNING = "logs-below-warning"
    SILENT = "silent"


class Act(enum.Enum):
    """One thing a handler does with the error; the value says it in words (the
    benchmark groups handlers by it). Declared loudest first: the first act found in
    this order decides the assessment."""

    RAISES = "re-raises or raises another exception"
    EXITS = "exits the process or fails the test"
    REPORTS = "reports it (Sentry, warnings, traceback, stderr)"
    CALLS_LOUD_FUNCTION = "calls a configured loud function"
    LOGS_TRACEBACK = "logs it with the traceback"
    LOGS_WARNING = "logs at warning level or above (loud by our definition)"
    CARRIES_EXCEPTION = "hands the exception on as a value"
    LOGS_ERROR = "logs at error level without the traceback"
    LOGS_QUIETLY = "logs below warning level"
    NOTHING = "swallows it"


_LOUD_ACTS = (Act.RAISES, Act.EXITS, Act.REPORTS, Act.CALLS_LOUD_FUNCTION,
              Act.LOGS_TRACEBACK, Act.LOGS_WARNING, Act.CARRIES_EXCEPTION)
_QUIET_ACTS = {
    Act.LOGS_ERROR: Handling.LOGS_ERROR_WITHOUT_TRACEBACK,
    Act.LOGS_QUIETLY: Handling.LOGS_BELOW_WARNING,
}


@dataclass(frozen=True, slots=True)
class Assessment:
    handling: Handling
    act: Act
    """The loudest thing the handler does; what decided `handling`."""


_EXIT_CALLS = frozenset({
    "sys.exit", "os._exit", "os.abort", "exit", "quit",
    "pytest.fail", "pytest.exit", "pytest.skip", "pytest.xfail",
    "_pytest.outcomes.fail", "_pytest.outcomes.exit", "_pytest.outcomes.skip",
    "_pytest.outcomes.xfail",
    "flask.abort", "werkzeug.exceptions.abort",
})
_SELF_EXIT_METHODS = frozenset({"fail", "skipTest"})
"""`self.fail(...)` in a `unittest.TestCase` raises."""
_PARSER_EXIT_METHODS = frozenset({"error", "exit"})
"""`parser.error(...)` of argparse prints the message and exits."""
_REPORT_CALLS = frozenset({
    "warnings.warn",
    "warnings.warn_explicit",
    "traceback.print_exc",
    "traceback.print_exception",
    "traceback.print_last",
    "traceback.print_stack",
    "sys.excepthook",
})
_REPORT_METHODS = frozenset({
    "handleError", "handle_error", "print_exception",
    "capture_exception", "captureException", "report_exc_info", "notice_error",
})
"""Methods that report the current exception whatever their receiver: a logging
handler's `handleError(record)` and a server's `handle_error(...)` print the traceback,
rich's `console.print_exception()` too; Sentry hubs and scopes, raven clients, Rollbar
and New Relic agents send it."""
_STDERR_WRITES = frozenset({"write", "writelines"})
_ECHO_CALLS = frozenset({"click.echo", "click.secho", "typer.echo", "typer.secho"})
_CARRIER_CALLS = frozenset({
    "sys.exc_info", "sys.exception", "traceback.format_exc", "traceback.format_exception",
    "traceback.format_exception_only", "traceback.TracebackException.from_exception",
    "inspect.trace",
})
"""Calls that return the caught exception or its traceback: using their result is
using the exception."""

_LOUD_LEVELS = frozenset({"warning", "warn", "error", "critical", "fatal"})
_TRACEBACK_METHODS = frozenset({"exception", "err", "failure"})
"""`logger.exception`; Twisted's `log.err(...)` and `log.failure(...)` log the current
failure with its traceback."""
_ERROR_LEVELS = frozenset({"error", "critical", "fatal"})
_QUIET_LEVELS = frozenset({"debug", "info", "trace", "msg", "success"})
_NUMERIC_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40,
                   "CRITICAL": 50, "FATAL": 50}
_LOGGER_NAME = re.compile(r"(?:^|_)(?:log|logs)(?:$|_)|logger|logging", re.IGNORECASE)
_LOGGER_FACTORIES = frozenset({"getlogger", "get_logger", "getchild", "bind", "opt", "new"})
"""`getLogger(...)` makes a logger; the others (stdlib, structlog, loguru) derive one
from the logger they are called on."""
_LOGGER_MODULES = frozenset({"logging", "structlog"})


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


_LOG_ACTS = frozenset({Act.LOGS_TRACEBACK, Act.LOGS_WARNING, Act.LOGS_ERROR, Act.LOGS_QUIETLY})
_DERIVING_BUILTINS = frozenset({
    "isinstance", "issubclass", "hasattr", "getattr", "type", "id", "len", "bool",
    "callable", "str", "repr", "format", "vars", "dir",
})
"""Builtins that only inspect or describe a value: the exception goes where their result
goes (`isinstance(exc, X)` in an `if` goes nowhere; `return str(exc)` is returned)."""
_CAPTURING_METHODS = frozenset({"from_current", "from_exc_info"})
"""Constructors whose name says they capture the exception being handled (pytest's
`ExceptionInfo.from_current()`)."""
_CAPTURING_CALLS = _CARRIER_CALLS | {"rich.traceback.Traceback"}


def assess(handler: ast.ExceptHandler, file: ParsedFile, loud_functions: tuple[str, ...]
           ) -> Assessment:
    """Loud only when every path through the handler's own code (nested functions do
    not run) does something loud before it leaves: a `raise` under an `if` without an
    `else`, or inside a nested `try` whose handler swallows it, leaves a quiet path.
    Quiet handlers are classified by the loudest log call anywhere in them."""
    judge = _PathJudge(handler, file, loud_functions)
    leaves_quietly, ends_quietly = judge.flow(handler.body, in_loop=False)
    if not leaves_quietly and not ends_quietly:
        for act in _LOUD_ACTS:
            if act in judge.acts:
                return Assessment(Handling.LOUD, act)
    for act, handling in _QUIET_ACTS.items():
        if act in judge.acts:
            return Assessment(handling, act)
    return Assessment(Handling.SILENT, Act.NOTHING)


def captures_exception(handler: ast.ExceptHandler, file: ParsedFile) -> bool:
    """The handler reads the exception it caught, or captures it or its traceback
    (`sys.exc_info()`, `traceback.format_exc()`, `ExceptionInfo.from_current()`),
    whatever it then does with it."""
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Name) and node.id == handler.name and isinstance(
            node.ctx, ast.Load
        ):
            return True
        if isinstance(node, ast.Call) and _is_capturing_call(node, file):
            return True
    return False


def _is_capturing_call(call: ast.Call, file: ParsedFile) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _CAPTURING_METHODS:
        return True
    return file.qualified_name(func) in _CAPTURING_CALLS


class _PathJudge:
    """Walks a handler's statements once, telling for each block whether some path
    leaves it quietly (`return`, `break`, `continue` before any loud act) and whether
    some path reaches its end quietly. Every act met on the way is kept in `acts`."""

    def __init__(self, handler: ast.ExceptHandler, file: ParsedFile,
                 loud_functions: tuple[str, ...]) -> None:
        self.handler = handler
        self.file = file
        self.loud_functions = loud_functions
        self.acts: set[Act] = set()
        self._read_names: frozenset[str] | None = None

    def flow(self, body: list[ast.stmt], *, in_loop: bool) -> tuple[bool, bool]:
        """(some path leaves the block quietly, some path reaches its end quietly)."""
        leaves = False
        for stmt in body:
            stmt_leaves, stmt_ends = self._statement(stmt, in_loop)
            leaves = leaves or stmt_leaves
            if not stmt_ends:
                return leaves, False
        return leaves, True

    def _statement(self, stmt: ast.stmt, in_loop: bool) -> tuple[bool, bool]:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return False, True  # defined, not run
        if isinstance(stmt, ast.If | ast.While):
            if self._loud(stmt.test):
                return False, False
            if self._reraises_all_but_some_types(stmt):
                self.acts.add(Act.RAISES)
                return False, False
            body = self.flow(stmt.body, in_loop=in_loop or isinstance(stmt, ast.While))
            orelse = self.flow(stmt.orelse, in_loop=in_loop)
            if isinstance(stmt, ast.While):  # a loop's body is taken to run
                return body[0] or orelse[0], body[1]
            return body[0] or orelse[0], body[1] or orelse[1]
        if isinstance(stmt, ast.For | ast.AsyncFor):
            if self._loud(stmt.iter):
                return False, False
            body = self.flow(stmt.body, in_loop=True)
            orelse = self.flow(stmt.orelse, in_loop=in_loop)
            return body[0] or orelse[0], body[1]
        if isinstance(stmt, ast.With | ast.AsyncWith):
            if any(self._loud(item.context_expr) for item in stmt.items):
                return False, False
            return self.flow(stmt.body, in_loop=in_loop)
        if isinstance(stmt, ast.Try | ast.TryStar):
            return self._try(stmt, in_loop)
        if isinstance(stmt, ast.Match):
            if self._loud(stmt.subject):
                return False, False
            cases = [self.flow(case.body, in_loop=in_loop) for case in stmt.cases]
            return any(c[0] for c in cases), True
        if self._loud(stmt):
            return False, False
        if isinstance(stmt, ast.Return) or (
            isinstance(stmt, ast.Break | ast.Continue) and not in_loop
        ):
            return True, False
        return False, not isinstance(stmt, ast.Break | ast.Continue)

    def _reraises_all_but_some_types(self, stmt: ast.If | ast.While) -> bool:
        """`if not isinstance(exc, (KeyboardInterrupt, SystemExit)): raise` lets every
        other error out: a narrow handler written as a broad one, loud for the rest."""
        test = stmt.test
        return (
            isinstance(stmt, ast.If)
            and isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
            and isinstance(test.operand, ast.Call)
            and self.file.qualified_name(test.operand.func) == "isinstance"
            and bool(test.operand.args)
            and isinstance(test.operand.args[0], ast.Name)
            and test.operand.args[0].id == self.handler.name
            and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Raise)
            and stmt.body[0].exc is None
        )

    def _try(self, stmt: ast.Try | ast.TryStar, in_loop: bool) -> tuple[bool, bool]:
        """A handler of the nested `try` is another path: a `raise` in its body that
        a nested handler swallows leaves quietly through that handler."""
        body = self.flow(stmt.body + stmt.orelse, in_loop=in_loop)
        handlers = [self.flow(h.body, in_loop=in_loop) for h in stmt.handlers]
        leaves = body[0] or any(h[0] for h in handlers)
        ends = body[1] or any(h[1] for h in handlers)
        final_leaves, final_ends = self.flow(stmt.finalbody, in_loop=in_loop)
        if not final_leaves and not final_ends:
            return False, False
        return leaves or final_leaves, ends and final_ends

    def _loud(self, node: ast.AST) -> bool:
        """Whether this statement or expression (not its nested blocks, which
        `_statement` walks) does something loud; every act found is recorded."""
        loud = False
        in_log_calls: set[int] = set()
        carriers: list[ast.AST] = []
        parents: dict[int, ast.AST] = {}
        for inner in _own_expression_nodes(node, parents):
            if isinstance(inner, ast.Raise):
                self.acts.add(Act.RAISES)
                loud = True
            elif isinstance(inner, ast.Call):
                act = (Act.RAISES if self._calls_raising_function(inner)
                       else _call_act(inner, self.file, self.loud_functions))
                if act is not None:
                    self.acts.add(act)
                    loud = loud or act in _LOUD_ACTS
                    if act in _LOG_ACTS:
                        in_log_calls.update(id(n) for n in ast.walk(inner))
                elif _is_capturing_call(inner, self.file):
                    carriers.append(inner)
            elif isinstance(inner, ast.Name) and inner.id == self.handler.name and (
                isinstance(inner.ctx, ast.Load)
            ):
                carriers.append(inner)
        if any(id(c) not in in_log_calls and self._flows_out(c, parents) for c in carriers):
            self.acts.add(Act.CARRIES_EXCEPTION)
            loud = True
        return loud

    def _calls_raising_function(self, call: ast.Call) -> bool:
        """`fail(...)` or `self._abort(...)` where the file defines it to always raise."""
        func = call.func
        if isinstance(func, ast.Attribute):
            if not (isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")):
                return False
            called = func.attr
        elif isinstance(func, ast.Name):
            called = func.id
        else:
            return False
        return called in context_of(self.file).raising_functions

    def _flows_out(self, node: ast.AST, parents: dict[int, ast.AST]) -> bool:
        """The exception (or its traceback) reaches someone: returned, yielded, raised
        from, passed to a call, stored on an object or in a container, or bound to a
        name that is read somewhere in the scope. An `isinstance` test or a local that
        nobody reads goes nowhere."""
        child = node
        while (parent := parents.get(id(child))) is not None:
            if isinstance(parent, ast.Return | ast.Yield | ast.YieldFrom | ast.Raise):
                return True
            if isinstance(parent, ast.Call) and child is not parent.func:
                name = self.file.qualified_name(parent.func)
                if name not in _DERIVING_BUILTINS:
                    return True
            if isinstance(parent, ast.keyword):
                call = parents.get(id(parent))
                if isinstance(call, ast.Call) and (
                    self.file.qualified_name(call.func) not in _DERIVING_BUILTINS
                ):
                    return True
            if isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                if child is not parent.value:
                    return False
                targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                return any(self._target_is_read(t) for t in targets)
            if isinstance(parent, ast.stmt):
                return False
            child = parent
        return False

    def _target_is_read(self, target: ast.expr) -> bool:
        if isinstance(target, ast.Tuple | ast.List):
            return any(self._target_is_read(t) for t in target.elts)
        if isinstance(target, ast.Starred):
            return self._target_is_read(target.value)
        if not isinstance(target, ast.Name):
            return True  # an attribute or an item: stored where others look
        return target.id in self._names_read()

    def _names_read(self) -> frozenset[str]:
        if self._read_names is None:
            function = context_of(self.file).place(self.handler).function
            scope: list[ast.stmt] = function.body if function else self.file.tree.body
            names: set[str] = set()
            for node in own_nodes(scope):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    names.add(node.id)
                elif isinstance(node, ast.Global | ast.Nonlocal):
                    names.update(node.names)
            self._read_names = frozenset(names)
        return self._read_names


def _own_expression_nodes(node: ast.AST, parents: dict[int, ast.AST]) -> Iterator[ast.AST]:
    """The node and what is under it, without nested blocks (walked as statements) and
    without nested functions and lambdas (which do not run here); fills `parents`."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.Lambda):
            continue
        for field_name, value in ast.iter_fields(current):
            if isinstance(current, ast.stmt) and field_name in STATEMENT_BODY_FIELDS:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and not isinstance(child, ast.expr_context):
                    parents[id(child)] = current
                    stack.append(child)


def _call_act(call: ast.Call, file: ParsedFile, loud_functions: tuple[str, ...]) -> Act | None:
    func = call.func
    name = file.qualified_name(func)
    if name is not None:
        if name in _EXIT_CALLS:
            return Act.EXITS
        if name in _REPORT_CALLS or name.startswith("sentry_sdk.capture"):
            return Act.REPORTS
        if name in loud_functions or name.rsplit(".", 1)[-1] in loud_functions:
            return Act.CALLS_LOUD_FUNCTION
        if name == "print" and _keyword_is(call, "file", lambda v: _is_stderr(v, file)):
            return Act.REPORTS
        if name in _ECHO_CALLS and _keyword_is(call, "err", _is_true):
            return Act.REPORTS
    if not isinstance(func, ast.Attribute):
        module, _, method = (name or "").rpartition(".")
        if module in _LOGGER_MODULES:  # from logging import warning
            return _log_act(call, method, file)
        return _logging_helper_act(call, name, file)
    receiver = func.value
    if func.attr in _STDERR_WRITES and _is_stderr(receiver, file):
        return Act.REPORTS
    if func.attr in _REPORT_METHODS:
        return Act.REPORTS
    if isinstance(receiver, ast.Name):
        if receiver.id == "self" and func.attr in _SELF_EXIT_METHODS:
            return Act.EXITS
        if receiver.id.lower().endswith("parser") and func.attr in _PARSER_EXIT_METHODS:
            return Act.EXITS
    if _is_logger(receiver, file):
        return _log_act(call, func.attr, file)
    return _logging_helper_act(call, name, file)


def _logging_helper_act(call: ast.Call, name: str | None, file: ParsedFile) -> Act | None:
    """A call with `exc_info=` is a logging call whatever its receiver: an alias such as
    celery's `warn = logger.warning`, or a project's own logging helper."""
    if not any(keyword.arg == "exc_info" for keyword in call.keywords):
        return None
    act = _log_act(call, (name or "").rsplit(".", 1)[-1], file)
    if act is None and _has_traceback(call, file):
        return Act.LOGS_TRACEBACK
    return act


def _log_act(call: ast.Call, method: str, file: ParsedFile) -> Act | None:
    method = method.lower()
    if method == "log":
        level = _numeric_level(call.args[0]) if call.args else None
        if level is None:
            return Act.LOGS_WARNING  # a level we cannot read: give the benefit of the doubt
        method = "error" if level >= 40 else "warning" if level >= 30 else "info"
    if method in _QUIET_LEVELS:
        return Act.LOGS_QUIETLY
    if method in _TRACEBACK_METHODS or (method in _LOUD_LEVELS and _has_traceback(call, file)):
        return Act.LOGS_TRACEBACK
    if method not in _LOUD_LEVELS:
        return None
    return Act.LOGS_ERROR if method in _ERROR_LEVELS else Act.LOGS_WARNING


def _numeric_level(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return _NUMERIC_LEVELS.get(name) if isinstance(name, str) else None


def _has_traceback(call: ast.Call, file: ParsedFile) -> bool:
    """`exc_info=` / `stack_info=` not false (loguru: `logger.opt(exception=...)` on the
    way), or a formatted traceback as an argument."""
    receiver: ast.expr = call
    while isinstance(receiver, ast.Call):
        for keyword in receiver.keywords:
            if keyword.arg in ("exc_info", "stack_info", "exception") and not (
                isinstance(keyword.value, ast.Constant) and not keyword.value.value
            ):
                return True
        func = receiver.func  # logger.opt(exception=True).error(...): look at opt(...)
        receiver = func.value if isinstance(func, ast.Attribute) else func
    return any(
        isinstance(node, ast.Call) and file.qualified_name(node.func) in _CARRIER_CALLS
        for argument in call.args
        for node in ast.walk(argument)
    )


def _is_logger(receiver: ast.expr, file: ParsedFile) -> bool:
    """`logging`, `logger`, `self.log`, `LOG`, `app.logger`, `structlog.get_logger()`,
    `logging.getLogger(__name__)`, `logger.bind(...)`: anything whose name says log."""
    while isinstance(receiver, ast.Call):
        func = receiver.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not isinstance(callee, str) or callee.lower() not in _LOGGER_FACTORIES:
            return False
        if callee.lower() in ("getlogger", "get_logger"):
            return True
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value  # logger.bind(...).error: is `logger` a logger?
    if isinstance(receiver, ast.Attribute):
        return bool(_LOGGER_NAME.search(receiver.attr))
    if isinstance(receiver, ast.Name):
        return bool(_LOGGER_NAME.search(receiver.id)) or (
            file.imports.get(receiver.id) in _LOGGER_MODULES
        )
    return False


def _is_stderr(node: ast.expr, file: ParsedFile) -> bool:
    """`sys.stderr`, `sys.__stderr__`, and a command's own `self.stderr` (Django)."""
    name = file.qualified_name(node)
    return name is not None and (name in ("sys.stderr", "sys.__stderr__")
                                 or name.endswith(".stderr"))


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _keyword_is(call: ast.Call, keyword_name: str, test: Callable[[ast.expr], bool]
                ) -> bool:
    return any(k.arg == keyword_name and test(k.value) for k in call.keywords)


def body_is_only_pass(body: list[ast.stmt]) -> bool:
    """`pass`, `...`, `continue` or a bare string, and nothing else."""
    return all(
        isinstance(stmt, ast.Pass | ast.Continue)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)))
        for stmt in body
    )
