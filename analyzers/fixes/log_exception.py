"""SF101, SF102, SF105: a handler that swallows an exception logs it first, with the
traceback, through the module's logger (`logger.exception(...)`); a module without one
gets `import logging` and `logger = logging.getLogger(__name__)`. A bare `except:` also
becomes `except Exception:`, so Ctrl-C and `sys.exit` pass through again."""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange

from analyzers.fixes import LogException
from analyzers.fixes.imports import NoFix, add_import, last_import_index
from analyzers.fixes.locate import TopStatement, replace_statement

NEW_LOGGER = "logger"
_LOGGER_FACTORY = m.Call(func=m.Name("getLogger") | m.Name("get_logger")
                         | m.Attribute(attr=m.Name("getLogger") | m.Name("get_logger")))


class _AddLogging(cst.CSTTransformer):
    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], plan: LogException,
                 logger: str) -> None:
        super().__init__()
        self.positions = positions
        self.plan = plan
        self.logger = logger
        self.functions: list[str] = []
        self.found: cst.ExceptHandler | None = None
        self.in_function = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef,
                          updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.functions.pop()
        return updated_node

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler,
                            updated_node: cst.ExceptHandler) -> cst.ExceptHandler:
        if self.positions[original_node].start.line != self.plan.line or self.found:
            return updated_node
        self.found = original_node
        self.in_function = bool(self.functions)
        what = f"{self.functions[-1]} failed" if self.functions else "unexpected error"
        call = cst.parse_statement(f'{self.logger}.exception("{what}")')
        body = updated_node.body
        if isinstance(body, cst.SimpleStatementSuite):
            block = cst.IndentedBlock(
                body=[call, cst.SimpleStatementLine(body=body.body)],
                header=body.trailing_whitespace,
            )
        else:
            assert isinstance(body, cst.IndentedBlock)
            block = body.with_changes(body=[call, *body.body])
        fixed = updated_node.with_changes(body=block)
        if self.plan.widen and fixed.type is None:
            fixed = fixed.with_changes(type=cst.Name("Exception"),
                                       whitespace_after_except=cst.SimpleWhitespace(" "))
        return fixed


def log_exception(module: cst.Module, text: str, target: TopStatement, plan: LogException
                  ) -> cst.Module:
    logger, defined_at = logger_of(module, text)
    adding = _AddLogging(target.positions, plan, logger)
    fixed = replace_statement(module, target.index, adding)
    if adding.found is None:
        raise NoFix(f"no `except` clause at line {plan.line}")
    if not adding.in_function and defined_at > target.index:
        raise NoFix(f"`{logger}` would be defined after this module-level handler runs")
    return fixed if existing_logger(module)[0] is not None else add_logger(fixed)


def logger_of(module: cst.Module, text: str) -> tuple[str, int]:
    """The module's logger and the index of the statement that defines it: its own, or
    the `logger` that `add_logger` would define after the imports. `NoFix` when that
    name is taken by something else (`text` is the module's code)."""
    logger, defined_at = existing_logger(module)
    if logger is not None:
        return logger, defined_at
    if re.search(rf"\b{NEW_LOGGER}\b", text):
        raise NoFix(f"`{NEW_LOGGER}` already names something else here")
    return NEW_LOGGER, last_import_index(module) + 1


def add_logger(module: cst.Module) -> cst.Module:
    """`import logging` and `logger = logging.getLogger(__name__)` after the imports."""
    with_import = add_import(module, "logging")
    body = list(with_import.body)
    at = last_import_index(with_import) + 1
    logger_line = cst.parse_statement(f"{NEW_LOGGER} = logging.getLogger(__name__)")
    body.insert(at, logger_line.with_changes(leading_lines=[cst.EmptyLine()]))
    return with_import.with_changes(body=body)


def existing_logger(module: cst.Module) -> tuple[str | None, int]:
    """The first module-level `name = logging.getLogger(...)` (or `get_logger`), and
    the index of its statement."""
    for index, statement in enumerate(module.body):
        if m.matches(statement, m.SimpleStatementLine(body=[
                m.Assign(targets=[m.AssignTarget(target=m.Name())], value=_LOGGER_FACTORY)])):
            assert isinstance(statement, cst.SimpleStatementLine)
            assign = statement.body[0]
            assert isinstance(assign, cst.Assign)
            target = assign.targets[0].target
            assert isinstance(target, cst.Name)
            return target.value, index
    return None, -1
