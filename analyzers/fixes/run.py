"""The codemods' entry point: `fix_files` turns `FixJob`s into `FixOutcome`s with libcst.

Runs libcst, whose native parser can kill the process on hostile input: call it only
where that is survivable (`bot.fixer` runs it in a child process). Pure otherwise: no
I/O, and every failure of one task is that task's outcome, never an exception.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

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
from analyzers.fixes.log_exception import log_exception
from analyzers.fixes.use_name import use_name
from analyzers.model import Fix
from analyzers.source import ParseFailure, decode

Positions = Mapping[cst.CSTNode, CodeRange]


def fix_files(jobs: Sequence[FixJob]) -> list[FixOutcome]:
    return [outcome for job in jobs for outcome in fix_file(job)]


def fix_file(job: FixJob) -> list[FixOutcome]:
    text = decode(job.source)
    if isinstance(text, ParseFailure):
        return job.failed(text.message)
    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except (cst.ParserSyntaxError, RecursionError) as exc:
        return job.failed(f"libcst cannot parse the file ({type(exc).__name__})")
    return [_fix(job.path, text, wrapper.module, positions, task) for task in job.tasks]


def _fix(path: str, text: str, module: cst.Module, positions: Positions, task: FixTask
         ) -> FixOutcome:
    try:
        fixed = _apply(module, positions, task.plan).code
    except NoFix as reason:
        return FixOutcome(task.finding, None, str(reason))
    except Exception as exc:  # noqa: BLE001 - a codemod bug costs its fix, not the audit
        return FixOutcome(task.finding, None, f"the codemod raised {type(exc).__name__}: {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the audited code's own escapes
            ast.parse(fixed)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return FixOutcome(task.finding, None, f"the fixed file would not parse ({exc})")
    edits = edits_between(path, text, fixed)
    if not edits:
        return FixOutcome(task.finding, None, "the codemod changed nothing")
    return FixOutcome(task.finding, Fix(task.message, task.applicability, edits))


def _apply(module: cst.Module, positions: Positions, plan: Plan) -> cst.Module:
    if isinstance(plan, ImportInstead):
        return import_instead(module, positions, plan)
    if isinstance(plan, UseName):
        return use_name(module, positions, plan)
    if isinstance(plan, LogException):
        return log_exception(module, positions, plan)
    return keep_task(module, positions, plan)

