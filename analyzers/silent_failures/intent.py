"""When a quiet handler is its author's decision rather than a silent failure.

Each principle is general (no project is named) and documented in the rules that apply
it. A quiet handler is deliberate when:

- **the author said why**: a comment on the `except` (or `with`) line, on the comment
  lines right above it, or inside the handler; pragmas for tools and TODOs do not count;
- **the failure is the answer** (a probe): the handler only answers with a fallback (a
  constant, a name, a marker string) and the function is a small predicate or
  `safe_`/`try_` helper by its name, or its docstring says failures are answered
  (`Return default on error`); at module level, a fallback for a `HAS_`/`IS_` flag;
- **the caller chose**: the function takes a parameter that picks an answer over an
  exception (`raising=`, `strict=`, `fail_silently=`, `default=`) and the handler
  answers with a fallback;
- **it is clean-up**: in `__del__`, `__exit__`/`__aexit__`, a `close`/`cleanup`/
  `teardown`/`shutdown`-style function or one registered with `atexit`, where Python
  itself only prints "Exception ignored" for what escapes; or the `try` only closes,
  flushes or releases something;
- **only speed or absence is at stake**: the `try` only reads from or stores into a
  cache (a mapping whose name says cache or memo), or only deletes (`del x[key]`);
- **it is a retry**: the handler passes or continues inside a loop whose `else:`
  raises, so the last failure is raised;
- **it is demo code**: under `if __name__ == "__main__":  # pragma: no cover`;
- **a test catches on purpose**: in a test path, the handler asserts, reads or
  captures the exception or its traceback, or records that it happened (sets an
  attribute, an item or a counter for the test's assertions);
- **the `try` only asks a value a question** (its truth, length, hash, iteration,
  equality, type), also as the test of an `if` that only answers with a fallback: any
  object may raise anything there, and the handler answers with a fallback;
- **the author fenced off what must escape**: an earlier handler of the same `try`
  re-raises `KeyboardInterrupt`, `SystemExit` or `GeneratorExit`, so the broad handler
  after it was written knowing what it catches.
"""

from __future__ import annotations

import ast
import enum
import re

from analyzers.paths import is_test_path
from analyzers.silent_failures.context import FileContext, Function, context_of, is_fallback
from analyzers.silent_failures.handling import captures_exception, own_nodes
from analyzers.source import ParsedFile, last_name

PROBE_FUNCTION_LINES = 30
"""A probe is small: longer functions do more than answer one question."""

_PREDICATE_NAME = re.compile(
    r"^_*(?:(?:is|has|can|safe|supports?|should|try|maybe|probe)_|(?:is|has)[a-z]+$"
    r"|(?!en)(?!dis)[a-z]*able$|[a-z]*atty$)|^__(?:repr|str|format)__$",
)
"""`is_tty`, `has_colors`, `safe_str`, `try_repr`, `supports_ansi`; one-word predicates in
the stdlib's style (`isatty`, `hasattr`, `readable`; not `issue_refund`, nor `enable`/
`disable`, which are verbs); and `__repr__`/`__str__`/`__format__`, which must answer
with a marker rather than fail."""
_FLAG_NAME = re.compile(r"^_*(?:IS|HAS|CAN|SUPPORTS?|HAVE)_", re.IGNORECASE)
_ANSWERS_FAILURE = re.compile(
    r"\b(?:on (?:any )?(?:error|failure|exception)s?|if (?:it|this|that|anything) fails"
    r"|could not be|never raises?|ignor\w* (?:any |all )?(?:errors?|exceptions?|failures?)"
    r"|swallow\w*|suppress\w* (?:all |any )?(?:errors?|exceptions?)|best[- ]effort"
    r"|treated as|or (?:None|False|an? empty \w+) (?:if|when|on))",
    re.IGNORECASE,
)
"""Docstring phrases that promise an answer instead of an exception."""
_CLEANUP_NAME = re.compile(
    r"^_*(?:a?close|cleanup|clean_up|teardown|tear_down|shutdown|shut_down|dispose"
    r"|release|terminate|finali[sz]e)(?:_|$)|^__(?:del|exit|aexit)__$",
    re.IGNORECASE,
)
_CLEANUP_CALLS = frozenset({
    "close", "aclose", "flush", "cleanup", "shutdown", "terminate", "kill", "release",
    "cancel", "dispose", "detach", "unlink",
})
"""Methods whose failure leaves nothing to recover: the resource is being let go."""
_CHOICE_PARAMETERS = frozenset({
    "raising", "strict", "check", "fail_silently", "silent", "quiet", "ignore_errors",
    "raise_errors", "raise_on_error", "default", "fallback",
})
"""Parameters by which a caller picks an answer (or a default) over an exception."""
_CACHE_NAME = re.compile(r"cache|memo", re.IGNORECASE)
_ANSWERS_WHETHER = re.compile(
    r"^\s*(?:checks?|tests?|tells?|determines?|returns?(?: true)?)\s+(?:if|whether)\b",
    re.IGNORECASE,
)
"""A docstring that opens "Check whether ..." describes a predicate, whatever its name."""
_QUESTIONS = frozenset({
    "bool", "len", "hash", "iter", "next", "isinstance", "issubclass", "hasattr", "callable",
})
"""Builtins that ask an object about itself: its own methods answer, and may raise."""


class Intent(enum.Enum):
    """Why a quiet handler is deliberate (the value says it in words)."""

    COMMENTED = "the author says why in a comment"
    PROBE = "the failure is the answer (a probe)"
    CALLER_CHOSE = "the caller chose an answer over an exception (a parameter)"
    CLEANUP = "best-effort clean-up, where Python ignores exceptions anyway"
    CACHE_OR_DELETE = "only a cache or a deletion is at stake"
    RETRY = "a retry: the loop raises the last failure"
    DEMO = "demo code under a `__main__` guard marked `pragma: no cover`"
    TEST_CATCHES = "a test that catches on purpose (asserts or captures the exception)"
    FENCED = "an earlier handler lets KeyboardInterrupt/SystemExit through on purpose"


def deliberate_handler(handler: ast.ExceptHandler, file: ParsedFile, *, probes: bool = True
                       ) -> Intent | None:
    """Why this quiet handler is deliberate, or None when it is a silent failure.
    `probes=False` leaves out the probe principle (a bare `except:` in a probe still
    swallows Ctrl-C)."""
    context = context_of(file)
    intent = _deliberate_place(handler, context)
    if intent is not None:
        return intent
    if context.author_reason(handler) is not None:
        return Intent.COMMENTED
    if probes and _is_probe(handler, context):
        return Intent.PROBE
    try_node = context.place(handler).try_node
    fallback = all(is_fallback(stmt) for stmt in handler.body)
    if fallback and _caller_chose(context.place(handler).function):
        return Intent.CALLER_CHOSE
    if try_node is not None and try_node.body and fallback:
        if all(_is_cleanup_call(stmt) for stmt in try_node.body):
            return Intent.CLEANUP
        if all(_is_cache_access(stmt) or isinstance(stmt, ast.Delete)
               for stmt in try_node.body):
            return Intent.CACHE_OR_DELETE
    if fallback and _retried(handler, context):
        return Intent.RETRY
    if fallback and try_node is not None and len(try_node.body) == 1 and _asks_a_question(
        try_node.body[0]
    ):
        return Intent.PROBE
    if try_node is not None and _fenced(handler, try_node):
        return Intent.FENCED
    if is_test_path(file.path) and (
        captures_exception(handler, file) or _asserts(handler) or _records(handler)
    ):
        return Intent.TEST_CATCHES
    return None


def deliberate_block(node: ast.With | ast.AsyncWith, file: ParsedFile) -> Intent | None:
    """The same, for a `with suppress(...)` block."""
    context = context_of(file)
    intent = _deliberate_place(node, context)
    if intent is None and context.author_reason(node) is not None:
        return Intent.COMMENTED
    return intent


def _deliberate_place(node: ast.AST, context: FileContext) -> Intent | None:
    place = context.place(node)
    if place.demo:
        return Intent.DEMO
    function = place.function
    if function is not None and (
        _CLEANUP_NAME.match(function.name) or function.name in context.exit_functions
    ):
        return Intent.CLEANUP
    return None


def _is_probe(handler: ast.ExceptHandler, context: FileContext) -> bool:
    if not all(is_fallback(stmt) for stmt in handler.body):
        return False
    place = context.place(handler)
    function = place.function
    if function is None:
        if place.in_class_body:
            return False
        assigned = [t for s in handler.body if isinstance(s, ast.Assign) for t in s.targets]
        return bool(assigned) and all(
            isinstance(t, ast.Name) and _FLAG_NAME.match(t.id) for t in assigned
        )
    small = (function.end_lineno or function.lineno) - function.lineno < PROBE_FUNCTION_LINES
    return small and (
        bool(_PREDICATE_NAME.match(function.name))
        or any(_docstring_answers_failure(f) for f in place.functions)
    )


def _docstring_answers_failure(function: Function) -> bool:
    docstring = ast.get_docstring(function, clean=False)
    return docstring is not None and bool(
        _ANSWERS_FAILURE.search(docstring) or _ANSWERS_WHETHER.match(docstring)
    )


def _caller_chose(function: Function | None) -> bool:
    if function is None:
        return False
    arguments = function.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    return any(name in _CHOICE_PARAMETERS for name in names)


def _is_cleanup_call(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr in _CLEANUP_CALLS)


def _is_cache_access(stmt: ast.stmt) -> bool:
    """`rv = cache.get(key)`, `rv = cache[key]`, `cache[key] = rv`."""
    if not isinstance(stmt, ast.Assign):
        return False
    for side in [stmt.value, *stmt.targets]:
        if isinstance(side, ast.Subscript) and _names_cache(side.value):
            return True
        if isinstance(side, ast.Call) and isinstance(side.func, ast.Attribute) and (
            side.func.attr == "get" and _names_cache(side.func.value)
        ):
            return True
    return False


def _names_cache(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return isinstance(name, str) and bool(_CACHE_NAME.search(name))


def _retried(handler: ast.ExceptHandler, context: FileContext) -> bool:
    """The innermost loop around the handler's `try` has an `else:` that raises."""
    loop = context.loop_of(handler)
    return loop is not None and any(isinstance(stmt, ast.Raise) for stmt in loop.orelse)


_ESCAPING = frozenset({"KeyboardInterrupt", "SystemExit", "GeneratorExit",
                       "builtins.KeyboardInterrupt", "builtins.SystemExit"})


def _fenced(handler: ast.ExceptHandler, try_node: ast.Try | ast.TryStar) -> bool:
    """An earlier handler of the same `try` catches what must escape and re-raises it."""
    for earlier in try_node.handlers:
        if earlier is handler:
            return False
        if earlier.type is None:
            continue
        caught = earlier.type.elts if isinstance(earlier.type, ast.Tuple) else [earlier.type]
        names = {last_name(n) for n in caught}
        if names & _ESCAPING and any(isinstance(s, ast.Raise) for s in earlier.body):
            return True
    return False


def _asks_a_question(stmt: ast.stmt) -> bool:
    """`done = not result`, `return len(value) > 0`, `bool(x)`, `if not issubclass(x, T):
    return None`: the statement's value is a question put to an object (truth,
    comparison, a builtin from `_QUESTIONS`) about values the `try` does not compute (no
    other call)."""
    if isinstance(stmt, ast.If):
        return (all(is_fallback(s) for s in [*stmt.body, *stmt.orelse])
                and _asks_a_question(ast.Expr(value=stmt.test)))
    if not isinstance(stmt, ast.Assign | ast.Return | ast.Expr) or stmt.value is None:
        return False
    return _is_question(stmt.value)


QUESTION_DEPTH = 8
"""Questions nest (`not isinstance(x, T) and len(x) > 0`), but not deeply; deeper input
is not taken for one, which also bounds the recursion on hostile code."""


def _is_question(value: ast.expr, depth: int = 0) -> bool:
    if depth > QUESTION_DEPTH:
        return False
    parts: list[ast.expr]
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not):
        parts = [value.operand]
    elif isinstance(value, ast.Compare):
        parts = [value.left, *value.comparators]
    elif isinstance(value, ast.BoolOp):
        parts = list(value.values)
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
        value.func.id in _QUESTIONS
    ):
        return all(_computes_nothing(a) for a in [*value.args, *(k.value for k in value.keywords)])
    else:
        return False
    return all(_is_question(part, depth + 1) or _computes_nothing(part) for part in parts)


def _computes_nothing(value: ast.expr) -> bool:
    return not any(isinstance(node, ast.Call | ast.Await | ast.Yield | ast.YieldFrom
                              | ast.NamedExpr) for node in ast.walk(value))


def _records(handler: ast.ExceptHandler) -> bool:
    """The handler sets an attribute, an item or a counter: a test looks at it later."""
    return any(
        isinstance(stmt, ast.AugAssign)
        or (isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Attribute | ast.Subscript) for t in stmt.targets))
        for stmt in handler.body
    )


def _asserts(handler: ast.ExceptHandler) -> bool:
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            node.func.attr.startswith("assert")
        ):
            return True
    return False
