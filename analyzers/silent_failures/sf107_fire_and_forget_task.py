from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.source import ParsedFile

_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future",
                       "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"})
_SPAWNING_NAMES = frozenset({"create_task", "ensure_future"})
_LOOP_NAME = re.compile(r"(?:^|_)loop$", re.IGNORECASE)
_LOOP_GETTERS = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop",
                           "asyncio.new_event_loop"})


class FireAndForgetTask(FileRule):
    """
    What it does:
        Flags `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
        `loop.create_task(...)` whose result is thrown away.

    Why is this bad?
        Nobody awaits the task, so its exception is never retrieved: it surfaces, if at
        all, as "Task exception was never retrieved" at garbage collection. The event
        loop also keeps only a weak reference, so the task can vanish mid-flight.

    Known limits:
        Recognises loops by name (`loop`, `self._loop`, `get_running_loop()`); a task
        kept by a wrapper the rule cannot see is still reported. `# noqa: RUF006`
        suppresses it. Errors in tests and examples are warnings.

    Example:
        asyncio.create_task(notify_subscribers(event))

    Use instead:
        task = asyncio.create_task(notify_subscribers(event))
        background_tasks.add(task)
        task.add_done_callback(report_and_discard)
    """

    id = "SF107"
    name = "fire-and-forget-task"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    node_types = (ast.Expr, ast.Assign)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        if isinstance(node, ast.Assign):
            discarded = all(isinstance(t, ast.Name) and t.id == "_" for t in node.targets)
            call = node.value if discarded else None
        else:
            assert isinstance(node, ast.Expr)
            call = node.value
        if isinstance(call, ast.Await) or not isinstance(call, ast.Call):
            return
        if self._spawns_task(call, file):
            yield Hit(
                node,
                "task created and discarded: its exception will never be retrieved",
                "keep a reference and attach a done-callback that reports failures, or "
                "use an `asyncio.TaskGroup`",
            )

    @staticmethod
    def _spawns_task(call: ast.Call, file: ParsedFile) -> bool:
        func = call.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called not in _SPAWNING_NAMES and file.imports.get(called, "") not in _SPAWNERS:
            return False  # most statements are calls: decide cheaply before resolving
        if file.qualified_name(func) in _SPAWNERS:
            return True
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value
        if isinstance(receiver, ast.Call):
            return file.qualified_name(receiver.func) in _LOOP_GETTERS
        name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        return bool(_LOOP_NAME.search(name))
