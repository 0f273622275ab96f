"""Where a handler sits, for the rules that judge intent: its enclosing function, its
`try` statement, whether it is demo code, which functions run at interpreter exit, and
the comments its author wrote in or above it.

Computed once per file, in one pass over the nodes the parser already listed (pre-order,
so a stack of open statements gives each node its ancestors without a parent map).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from analyzers.source import ParsedFile

Function = ast.FunctionDef | ast.AsyncFunctionDef
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_CONTAINERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Try, ast.TryStar,
               ast.ExceptHandler, ast.If, *_LOOPS)
_PLACED = (ast.ExceptHandler, ast.With, ast.AsyncWith)

_PRAGMA = re.compile(
    r"^(?:pragma|noqa|type:|pylint|noinspection|fmt:|isort:|nosec|ssot:|mypy:|pyright:"
    r"|coverage:|lgtm)|^(?:[A-Z]{1,4}[0-9]{3,4}[\s,]*)+$",
    re.IGNORECASE,
)
"""Comments addressed to a tool, not to a reader (pragmas, bare rule codes such as
`# BLE001`): they give no reason."""
_AFTER_CODE = re.compile(r"^\s*(?:as\s+\w+\s*)?:?\s*#(?P<comment>.*)$")
"""What may follow a clause's code before its comment: `as name`, the colon."""
_UNFINISHED = re.compile(r"^(?:todo|fixme|xxx|hack)\b", re.IGNORECASE)
"""A comment that says the handler is not finished is the opposite of a reason."""


@dataclass(frozen=True, slots=True)
class Place:
    functions: tuple[Function, ...]
    """The functions the node is in, outermost first."""
    in_class_body: bool
    """Directly in a class body (no function between)."""
    try_node: ast.Try | ast.TryStar | None
    """For a handler, the `try` statement it belongs to."""
    loop: ast.For | ast.AsyncFor | ast.While | None
    """The innermost loop around the node, within its function."""
    demo: bool
    """Under `if __name__ == "__main__":  # pragma: no cover`: demo code the author
    declared outside the tested program."""


    @property
    def function(self) -> Function | None:
        """The innermost function the node is in."""
        return self.functions[-1] if self.functions else None


@dataclass(frozen=True, slots=True)
class FileContext:
    file: ParsedFile
    places: dict[int, Place]
    """id(handler or `with` node) -> where it sits."""
    exit_functions: frozenset[str]
    """Names of functions registered with `atexit` (decorator or `atexit.register(f)`)."""
    raising_functions: frozenset[str]
    """Names of the file's functions that never return normally: annotated `NoReturn`
    or `Never`, or ending in a `raise`. Calling one is raising."""

    def place(self, node: ast.AST) -> Place:
        return self.places.get(id(node), Place((), False, None, None, False))

    def loop_of(self, node: ast.AST) -> ast.For | ast.AsyncFor | ast.While | None:
        return self.place(node).loop

    def author_reason(self, node: ast.ExceptHandler | ast.With | ast.AsyncWith) -> str | None:
        """The first comment the author wrote on the comment lines right above the node,
        after its header (`except Exception:  # why`), before its first statement or
        before the fallback it answers with, after one of its own statements
        (`return None  # why`) or right after it; None when there is none (pragmas for
        tools and TODOs do not count). A comment above a working step deeper in the
        body describes that step, not the decision. Comments are found by
        position, so a quote inside one does not hide it."""
        for text in self._comments(node):
            if not _PRAGMA.match(text) and not _UNFINISHED.match(text) and any(
                c.isalpha() for c in text
            ):
                return text
        return None

    def _comments(self, node: ast.ExceptHandler | ast.With | ast.AsyncWith) -> Iterator[str]:
        lines = self.file.lines
        first = node.lineno
        if not 0 < first <= len(lines):
            return
        above = first - 1
        while above > 0 and lines[above - 1].lstrip().startswith("#"):
            yield lines[above - 1].lstrip().lstrip("#").strip()
            above -= 1
        header_end = _header_end(node)
        if header_end is not None and header_end[0] == first:
            yield from _trailing_comment(lines[first - 1], header_end[1])
        previous_end = first
        for stmt in node.body:
            if previous_end == first or is_fallback(stmt):
                for number in range(previous_end + 1, min(stmt.lineno, len(lines) + 1)):
                    if lines[number - 1].lstrip().startswith("#"):
                        yield lines[number - 1].lstrip().lstrip("#").strip()
            previous_end = stmt.end_lineno or stmt.lineno
            if stmt.end_lineno is not None and stmt.end_col_offset is not None and (
                stmt.end_lineno <= len(lines)
            ):
                yield from _trailing_comment(lines[stmt.end_lineno - 1], stmt.end_col_offset)
        last = node.end_lineno or first
        indent = _indent(lines[first - 1])
        after = last + 1
        while after <= len(lines) and lines[after - 1].lstrip().startswith("#") and (
            _indent(lines[after - 1]) > indent
        ):
            yield lines[after - 1].lstrip().lstrip("#").strip()
            after += 1


_PURE_CALLS = frozenset({"type", "id", "repr", "str", "len", "hex", "format", "object.__repr__"})
"""Calls a fallback value may make: they describe the object, they do the work no
second time."""


def is_fallback(stmt: ast.stmt) -> bool:
    """`pass`, `continue`, `break`, a bare `return`, or returning or assigning a value
    that does no work of its own (a constant, a name, a marker f-string)."""
    if isinstance(stmt, ast.Pass | ast.Continue | ast.Break):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, ast.Return):
        return stmt.value is None or _is_plain(stmt.value)
    if isinstance(stmt, ast.Assign):
        return _is_plain(stmt.value) and all(
            isinstance(t, ast.Name | ast.Attribute) for t in stmt.targets
        )
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is not None and _is_plain(stmt.value)
    return False


def _is_plain(value: ast.expr) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                f"object.{func.attr}" if isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name) and func.value.id == "object" else None
            )
            if name not in _PURE_CALLS:
                return False
    return True


_DERIVED_KEY = "silent_failures.context"


def context_of(file: ParsedFile) -> FileContext:
    """The file's context, built once: every rule of one file asks in turn."""
    cached = file.derived.get(_DERIVED_KEY)
    if isinstance(cached, FileContext):
        return cached
    context = _build(file)
    file.derived[_DERIVED_KEY] = context
    return context


def _build(file: ParsedFile) -> FileContext:
    places: dict[int, Place] = {}
    exit_functions: set[str] = set()
    raising_functions: set[str] = set()
    open_nodes: list[ast.stmt | ast.excepthandler] = []
    for node in file.nodes:
        if isinstance(node, ast.Call):
            _record_exit_registration(node, file, exit_functions)
            continue
        if not isinstance(node, _CONTAINERS + _PLACED):
            continue
        start = (node.lineno, node.col_offset)
        while open_nodes and start >= _end(open_nodes[-1]):
            open_nodes.pop()
        if isinstance(node, _PLACED):
            places[id(node)] = _place(node, open_nodes, file)
        if isinstance(node, _CONTAINERS):
            if isinstance(node, Function) and any(
                file.qualified_name(d) == "atexit.register" for d in node.decorator_list
            ):
                exit_functions.add(node.name)
            if isinstance(node, Function) and _never_returns(node, file):
                raising_functions.add(node.name)
            open_nodes.append(node)
    return FileContext(file, places, frozenset(exit_functions), frozenset(raising_functions))


def _never_returns(function: Function, file: ParsedFile) -> bool:
    returns = function.returns
    if returns is not None:
        name = returns.value if isinstance(returns, ast.Constant) and isinstance(
            returns.value, str) else file.qualified_name(returns) or ""
        if name.rsplit(".", 1)[-1] in ("NoReturn", "Never"):
            return True
    return bool(function.body) and isinstance(function.body[-1], ast.Raise)


def _place(node: ast.AST, ancestors: list[ast.stmt | ast.excepthandler], file: ParsedFile
           ) -> Place:
    functions = tuple(a for a in ancestors if isinstance(a, Function))
    in_class_body = False
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, Function | ast.ClassDef):
            in_class_body = isinstance(ancestor, ast.ClassDef)
            break
    parent = ancestors[-1] if ancestors else None
    try_node = parent if isinstance(node, ast.ExceptHandler) and isinstance(
        parent, ast.Try | ast.TryStar) else None
    loop: ast.For | ast.AsyncFor | ast.While | None = None
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, _LOOPS):
            loop = ancestor
            break
        if isinstance(ancestor, Function | ast.ClassDef):
            break
    demo = any(isinstance(a, ast.If) and _is_pragma_main_guard(a, file) for a in ancestors)
    return Place(functions, in_class_body, try_node, loop, demo)


def _end(node: ast.stmt | ast.excepthandler) -> tuple[int, int]:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _is_pragma_main_guard(node: ast.If, file: ParsedFile) -> bool:
    test = node.test
    if not (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1):
        return False
    value = test.comparators[0]
    if not (isinstance(value, ast.Constant) and value.value == "__main__"):
        return False
    line = file.lines[node.lineno - 1] if 0 < node.lineno <= len(file.lines) else ""
    return "pragma: no cover" in line


def _record_exit_registration(call: ast.Call, file: ParsedFile, names: set[str]) -> None:
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called != "register" or not call.args:  # decide cheaply before resolving
        return
    if file.qualified_name(func) != "atexit.register":
        return
    target = call.args[0]
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if isinstance(name, str):
        names.add(name)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _header_end(node: ast.ExceptHandler | ast.With | ast.AsyncWith) -> tuple[int, int] | None:
    """Line and byte column where the clause's own code ends, before its colon."""
    if isinstance(node, ast.ExceptHandler):
        if node.type is None:
            return node.lineno, node.col_offset + len("except")
        end: ast.AST = node.type
    else:
        end = node.items[-1].optional_vars or node.items[-1].context_expr
    line, column = getattr(end, "end_lineno", None), getattr(end, "end_col_offset", None)
    return (line, column) if isinstance(line, int) and isinstance(column, int) else None


def _trailing_comment(line: str, code_end: int) -> Iterator[str]:
    """The comment after the code that ends at byte `code_end` of the line (past an
    `as name` and the colon of a clause header)."""
    rest = line.encode("utf-8")[code_end:].decode("utf-8", "ignore")
    match = _AFTER_CODE.match(rest)
    if match is not None:
        yield match["comment"].strip()
