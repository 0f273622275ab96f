"""SF107: a task created and thrown away is handed to `add_background_task`, which keeps
a strong reference to it until it is done and logs its exception through the module's
logger. The helper is written once per module, after the imports (and the logger); a
public `add_*` name, because keeping tasks in a module-level set is a registry by design
(SS206 says the same)."""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange

from analyzers.fixes import BACKGROUND_TASK_HELPER, KeepTask
from analyzers.fixes.imports import NoFix
from analyzers.fixes.locate import TopStatement, replace_statement
from analyzers.fixes.log_exception import add_logger, existing_logger, logger_of

HELPER = BACKGROUND_TASK_HELPER
TASKS = "_background_tasks"
_HELPER_SOURCE = '''{tasks} = set()


def {helper}(task):
    """Keep a reference to `task` until it is done (the event loop keeps only a weak
    one), and log its exception if it fails."""
    {tasks}.add(task)

    def forget(done):
        {tasks}.discard(done)
        if not done.cancelled() and done.exception() is not None:
            {logger}.error("background task failed", exc_info=done.exception())

    task.add_done_callback(forget)
'''


class _Wrap(cst.CSTTransformer):
    """`asyncio.create_task(...)` (or `_ = ...`) at the plan's line becomes
    `add_background_task(asyncio.create_task(...))`."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], plan: KeepTask) -> None:
        super().__init__()
        self.positions = positions
        self.plan = plan
        self.found = False
        self.depth = 0
        self.in_function = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef,
                          updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        return updated_node

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine
                                  ) -> cst.SimpleStatementLine:
        if self.found or self.positions[original_node].start.line != self.plan.line:
            return updated_node
        if len(updated_node.body) != 1:
            return updated_node
        statement = updated_node.body[0]
        discarded = isinstance(statement, cst.Expr) or m.matches(
            statement, m.Assign(targets=[m.AssignTarget(target=m.Name("_"))]))
        call = statement.value if isinstance(statement, cst.Expr | cst.Assign) else None
        if not discarded or not isinstance(call, cst.Call):
            return updated_node
        self.found, self.in_function = True, self.depth > 0
        wrapped = cst.Expr(cst.Call(cst.Name(HELPER), [cst.Arg(call)]))
        return updated_node.with_changes(body=[wrapped])


def keep_task(module: cst.Module, text: str, target: TopStatement, plan: KeepTask
              ) -> cst.Module:
    has_helper = any(m.matches(s, m.FunctionDef(name=m.Name(HELPER))) for s in module.body)
    if not has_helper and (_names(module, HELPER) or _names(module, TASKS)):
        raise NoFix(f"`{HELPER}` or `{TASKS}` already names something else here")
    logger, _defined_at = logger_of(module, text)
    wrapping = _Wrap(target.positions, plan)
    fixed = replace_statement(module, target.index, wrapping)
    if not wrapping.found:
        raise NoFix(f"no discarded task statement at line {plan.line}")
    if not wrapping.in_function and not has_helper:
        raise NoFix(f"`{HELPER}` would be defined after this module-level statement runs")
    if has_helper:
        return fixed
    if existing_logger(fixed)[0] is None:
        fixed = add_logger(fixed)
    _, logger_at = existing_logger(fixed)
    body = list(fixed.body)
    helper = cst.parse_module(
        _HELPER_SOURCE.format(tasks=TASKS, helper=HELPER, logger=logger)).body
    first = helper[0].with_changes(leading_lines=[cst.EmptyLine()])
    body[logger_at + 1:logger_at + 1] = [first, *helper[1:]]
    after = logger_at + 1 + len(helper)
    if after < len(body):
        body[after] = _two_blank_lines_before(body[after])
    return fixed.with_changes(body=body)


def _two_blank_lines_before(statement: cst.SimpleStatementLine | cst.BaseCompoundStatement
                            ) -> cst.SimpleStatementLine | cst.BaseCompoundStatement:
    """The statement after the helper, with two blank lines above it (and its own
    comments kept)."""
    lines = list(statement.leading_lines)
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    missing = max(0, 2 - blank)
    return statement.with_changes(leading_lines=[cst.EmptyLine()] * missing + lines)


def _names(module: cst.Module, name: str) -> bool:
    return bool(m.findall(module, m.Name(name)))
