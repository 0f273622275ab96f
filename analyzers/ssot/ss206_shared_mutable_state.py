from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.source import ParsedFile

MUTABLE_FACTORIES = frozenset({
    "list", "dict", "set", "bytearray", "collections.defaultdict", "collections.OrderedDict",
    "collections.Counter", "collections.deque", "weakref.WeakValueDictionary",
    "weakref.WeakKeyDictionary", "weakref.WeakSet",
})
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
    "setdefault", "add", "discard", "appendleft", "extendleft", "sort", "reverse",
    "difference_update", "intersection_update", "symmetric_difference_update",
})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class SharedMutableState(FileRule):
    """
    What it does:
        Flags a function that mutates a module-level container (`CACHE[key] = value`,
        `SEEN.add(x)`) or rebinds a module-level name through `global`.

    Why is this bad?
        Module state is shared by every request, user and test in the process: one
        caller's data leaks into another's, tests depend on their order, and threads race.

    Example:
        _sessions = {}

        def login(user):
            _sessions[user.id] = new_session(user)

    Use instead:
        class SessionStore:
            def __init__(self) -> None:
                self._sessions: dict[int, Session] = {}

            def login(self, user: User) -> None:
                self._sessions[user.id] = new_session(user)
    """

    id = "SS206"
    name = "shared-mutable-state"
    principle = Principle.ISOLATION
    severity = Severity.WARNING
    node_types = (ast.Module,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        assert isinstance(node, ast.Module)
        shared = _module_containers(node, file)
        if not shared and "global " not in file.text:
            return  # nothing to mutate and nothing to rebind: skip the functions
        for function in _functions(node):
            yield from _mutations(function, shared)


def _module_containers(module: ast.Module, file: ParsedFile) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if _is_mutable(value, file):
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_mutable(value: ast.expr, file: ParsedFile) -> bool:
    if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp
                  | ast.SetComp):
        return True
    return isinstance(value, ast.Call) and file.qualified_name(value.func) in MUTABLE_FACTORIES


def _functions(module: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    stack: list[ast.AST] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, _FUNCTIONS):
            yield node
        stack.extend(
            child for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.stmt)
        )


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The function's own code, without nested functions, lambdas and classes."""
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _mutations(function: ast.FunctionDef | ast.AsyncFunctionDef, shared: set[str]
               ) -> Iterator[Hit]:
    nodes = list(_own_nodes(function))
    declared_global = {name for n in nodes if isinstance(n, ast.Global) for name in n.names}
    arguments = function.args
    local = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                              *filter(None, (arguments.vararg, arguments.kwarg)))}
    rebound: set[str] = set()
    for n in nodes:
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
            (rebound if n.id in declared_global else local).add(n.id)
    for n in nodes:
        if isinstance(n, ast.Global):
            names = [name for name in n.names if name in rebound]
            if names:
                yield Hit(
                    n,
                    f"`global {', '.join(names)}` rebinds module state from inside "
                    f"`{function.name}`",
                    "keep the state on an instance (or pass it in and return it) so each "
                    "caller gets its own",
                )
            continue
        target = _mutated_name(n)
        if target is None or target not in shared or target in local:
            continue
        yield Hit(
            n if isinstance(n, ast.stmt | ast.expr) else function,
            f"`{function.name}` mutates the module-level `{target}`, shared by every "
            "caller in the process",
            "keep the container on an instance created per user/request (a factory or "
            "class), or pass it in explicitly",
        )


def _mutated_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and node.func.attr in MUTATING_METHODS:
            return receiver.id
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    for target in targets:
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            return target.value.id
    return None
