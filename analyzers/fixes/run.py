"""The codemods' entry point: `fix_files` turns `FixJob`s into `FixOutcome`s with libcst.

Runs libcst, whose native parser can kill the process on hostile input: call it only
where that is survivable (`bot.fixer` runs it in a child process). Pure otherwise: no
I/O, and every failure of one task is that task's outcome, never an exception.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence

import libcst as cst

from analyzers.fixes import (
    FixJob,
    FixOutcome,
    FixTask,
    ImportInstead,
    LogException,
    Plan,
    UseName,
)
from analyzers.fixes.edits import edits_between
from analyzers.fixes.import_instead import import_instead
from analyzers.fixes.imports import NoFix
from analyzers.fixes.keep_task import keep_task
from analyzers.fixes.locate import Locator, TopStatement
from analyzers.fixes.log_exception import log_exception
from analyzers.fixes.use_name import use_name
from analyzers.model import Fix
from analyzers.source import ParseFailure, decode


def fix_files(jobs: Sequence[FixJob]) -> list[FixOutcome]:
    return [outcome for job in jobs for outcome in fix_file(job)]


def fix_file(job: FixJob) -> list[FixOutcome]:
    text = decode(job.source)
    if isinstance(text, ParseFailure):
        return job.failed(text.message)
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError) as exc:
        return job.failed(f"libcst cannot parse the file ({type(exc).__name__})")
    try:
        tree = _parse(text)
    except _UNPARSABLE as exc:
        return job.failed(f"the file does not parse ({exc})")
    locator = Locator(module, tree, text)
    return [_fix(job.path, text, module, locator, task) for task in job.tasks]


def _fix(path: str, text: str, module: cst.Module, locator: Locator, task: FixTask
         ) -> FixOutcome:
    target = locator.at(task.plan.line)
    if target is None:
        return FixOutcome(task.finding, None, f"no top-level statement holds line {task.plan.line}")
    try:
        fixed = _apply(module, text, target, task.plan).code
    except NoFix as reason:
        return FixOutcome(task.finding, None, str(reason))
    except Exception as exc:  # noqa: BLE001 - a codemod bug costs its fix, not the audit
        return FixOutcome(task.finding, None, f"the codemod raised {type(exc).__name__}: {exc}")
    try:
        _parse(fixed)
    except _UNPARSABLE as exc:
        return FixOutcome(task.finding, None, f"the fixed file would not parse ({exc})")
    edits = edits_between(path, text, fixed)
    if not edits:
        return FixOutcome(task.finding, None, "the codemod changed nothing")
    return FixOutcome(task.finding, Fix(task.message, task.applicability, edits))


_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the audited code's own escapes
        return ast.parse(text)


def _apply(module: cst.Module, text: str, target: TopStatement, plan: Plan) -> cst.Module:
    """`text` is the module's code (libcst round-trips it exactly); `target` the
    top-level statement that holds the plan's line."""
    if isinstance(plan, ImportInstead):
        return import_instead(module, target, plan)
    if isinstance(plan, UseName):
        return use_name(module, target, plan)
    if isinstance(plan, LogException):
        return log_exception(module, text, target, plan)
    return keep_task(module, text, target, plan)

