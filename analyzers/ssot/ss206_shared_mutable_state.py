from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers import paths
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

    Known limits:
        Shared state by design is not flagged: one-time lazy initialisation behind
        `global` (`if _x is None: _x = ...`, and resetting such a value to `None`), memo
        caches and once-only guards (the function looks up the container it fills),
        registries filled through a public `register*`/`add_*` function (and the
        decorators nested in one) or by a decorator that stores the function it is given
        and returns it, keepers of live objects (a container whose own `discard` or
        `remove` is handed on as a callback, `task.add_done_callback(_tasks.discard)`:
        asyncio's documented way to keep a reference to a running task, each entry
        leaving when its work is done), and test modules, whose state lives for one test
        run and is reset by their own fixtures. A cache that grows without bound is still
        not flagged.

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
        if paths.is_test_path(file.path):
            return
        shared = _module_containers(node, file)
        if shared and (".discard" in file.text or ".remove" in file.text):
            shared -= _keepers(node)
        if not shared and "global " not in file.text:
            return  # nothing to mutate and nothing to rebind: skip the functions
        functions = list(_functions(node))
        lazy = {name for function, _ in functions for name in _lazily_initialised(function)
                } if "global " in file.text else set()
        for function, registers in functions:
            if not registers:
                yield from _mutations(function, shared, lazy)


REGISTRATION_PREFIXES = ("register", "unregister", "add_", "remove_")
"""Verbs of a public registration API: the module-level registry is its state by design."""


def _registers(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return function.name.startswith(REGISTRATION_PREFIXES)


def _lazily_initialised(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Globals this function assigns only under a test of their own value
    (`if _x is None: _x = load()`, `if not _TABLE: _TABLE = build()`): a value computed
    once on first use, not state that changes per caller."""
    declared = {name for n in _own_nodes(function) if isinstance(n, ast.Global)
                for name in n.names}
    if not declared:
        return set()
    guarded: set[str] = set()
    in_guard: set[int] = set()
    for node in _own_nodes(function):
        if isinstance(node, ast.If):
            tested = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            for statement in node.body:
                targets = _assigned_names(statement) & tested
                if targets:
                    guarded.update(targets)
                    in_guard.add(id(statement))
    unguarded = {name for node in _own_nodes(function)
                 if isinstance(node, ast.stmt) and id(node) not in in_guard
                 for name in _assigned_names(node)}
    return (guarded - unguarded) & declared


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


def _keepers(module: ast.Module) -> set[str]:
    """Module names whose `discard`/`remove` is passed to a call (a done callback): each
    entry removes itself when it finishes."""
    return {
        argument.value.id
        for node in ast.walk(module) if isinstance(node, ast.Call)
        for argument in (*node.args, *(k.value for k in node.keywords))
        if isinstance(argument, ast.Attribute) and argument.attr in ("discard", "remove")
        and isinstance(argument.value, ast.Name)
    }


def _is_mutable(value: ast.expr, file: ParsedFile) -> bool:
    if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp
                  | ast.SetComp):
        return True
    return isinstance(value, ast.Call) and file.qualified_name(value.func) in MUTABLE_FACTORIES


def _assigned_names(statement: ast.stmt) -> set[str]:
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AugAssign | ast.AnnAssign):
        targets = [statement.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _functions(module: ast.Module
               ) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function, and whether it is (or is nested in) a public registration
    function."""
    stack: list[tuple[ast.AST, bool]] = [(module, False)]
    while stack:
        node, registers = stack.pop()
        if isinstance(node, _FUNCTIONS):
            registers = registers or _registers(node)
            yield node, registers
        stack.extend(
            (child, registers) for child in ast.iter_child_nodes(node)
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


def _mutations(function: ast.FunctionDef | ast.AsyncFunctionDef, shared: set[str],
               lazy: set[str]) -> Iterator[Hit]:
    nodes = list(_own_nodes(function))
    looked_up = _looked_up(nodes)
    own_lazy = _lazily_initialised(function)
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
            names = [name for name in n.names if name in rebound
                     and name not in own_lazy
                     and not (name in lazy and _only_reset(nodes, name))]
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
        if target in looked_up and _fills(n):
            continue  # a memo or a once-only guard: it looks up what it stores
        if _records_argument(n, function):
            continue  # a decorator recording what it decorates: a registry
        yield Hit(
            n if isinstance(n, ast.stmt | ast.expr) else function,
            f"`{function.name}` mutates the module-level `{target}`, shared by every "
            "caller in the process",
            "keep the container on an instance created per user/request (a factory or "
            "class), or pass it in explicitly",
        )


def _only_reset(nodes: list[ast.AST], name: str) -> bool:
    """Every assignment to `name` here sets it to `None` (a lazily computed value is
    dropped, to be computed again on next use)."""
    assignments = [n for n in nodes if isinstance(n, ast.stmt) and name in _assigned_names(n)]
    return bool(assignments) and all(
        isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
        and n.value.value is None for n in assignments
    )


def _looked_up(nodes: list[ast.AST]) -> set[str]:
    """Containers the function reads by key: `key in C`, `C.get(key)`, `C[key]`."""
    names: set[str] = set()
    for n in nodes:
        if isinstance(n, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn)
                                              for op in n.ops):
            names.update(c.id for c in n.comparators if isinstance(c, ast.Name))
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr == "get" and isinstance(n.func.value, ast.Name)):
            names.add(n.func.value.id)
        elif (isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)
              and isinstance(n.value, ast.Name)):
            names.add(n.value.id)
    return names


def _fills(node: ast.AST) -> bool:
    """`C[key] = value`, `C.setdefault(...)`, `C.add(...)`: adds an entry (removing or
    clearing is not a memo's business)."""
    return (isinstance(node, ast.Assign)
            and all(isinstance(t, ast.Subscript) for t in node.targets)) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("setdefault", "add"))


def _records_argument(node: ast.AST, function: ast.FunctionDef | ast.AsyncFunctionDef
                      ) -> bool:
    """`REGISTRY[name] = func; return func`: the function stores its own argument and
    hands it back unchanged, the shape of a registering decorator."""
    if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
        return False
    stored = node.value.id
    arguments = function.args
    if stored not in {a.arg for a in (*arguments.posonlyargs, *arguments.args)}:
        return False
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name)
               and n.value.id == stored for n in _own_nodes(function))


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
