"""The codemods' entry point: `fix_files` turns `FixJob`s into `FixOutcome`s with libcst.

Runs libcst, whose native parser can kill the process on hostile input: call it only
where that is survivable (`bot.fixer` runs it in a child process). Pure otherwise: no
I/O, and every failure of one task is that task's outcome, never an exception.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from analyzers.fixes import (
    FixJob,
    FixOutcome,
    FixTask,
    ImportInstead,
    KeepTask,
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
from analyzers.fixes.outline import outline, restored
from analyzers.fixes.use_name import use_name
from analyzers.model import Fix
from analyzers.source import ParseFailure, decode


def fix_files(jobs: Sequence[FixJob]) -> list[FixOutcome]:
    return [outcome for job in jobs for outcome in fix_file(job)]


def fix_file(job: FixJob) -> list[FixOutcome]:
    """The file's tasks, on its outline (`outline`: the functions and classes no task
    edits stubbed out) where that gives the fix; a task whose codemod touched a stub is
    done again on the whole module, as is every task of a file with a `KeepTask` (its
    codemod looks for its names all over the module)."""
    text = decode(job.source)
    if isinstance(text, ParseFailure):
        return job.failed(text.message)
    try:
        tree = _parse(text)
    except _UNPARSABLE as exc:
        return job.failed(f"the file does not parse ({exc})")
    sketch = outline(text, tree, {task.plan.line for task in job.tasks})
    outlined: _Fixing | str | None = None
    if sketch.stubs and not any(isinstance(task.plan, KeepTask) for task in job.tasks):
        outlined = _Fixing.of(sketch.text, text)
    whole: _Fixing | str | None = None
    outcomes: list[FixOutcome] = []
    for task in job.tasks:
        fixed: str | FixOutcome | None = None
        if isinstance(outlined, _Fixing):
            fixed = outlined.fixed(task)
            if isinstance(fixed, str):
                fixed = restored(fixed, sketch.stubs)
        if fixed is None:
            if whole is None:
                whole = _Fixing.of(text, text, tree)
            fixed = whole.fixed(task) if isinstance(whole, _Fixing) else FixOutcome(
                task.finding, None, whole)
        outcomes.append(_outcome(job.path, text, task, fixed))
    return outcomes


@dataclass
class _Fixing:
    """One module's text parsed by libcst and `ast`, ready for codemods."""

    source: str
    """The file's code, whatever `module` holds: what codemods search for free names."""
    module: cst.Module
    locator: Locator

    @classmethod
    def of(cls, text: str, source: str, tree: ast.Module | None = None) -> _Fixing | str:
        """`text` (the file's `source`, or its outline) parsed; or why libcst cannot."""
        try:
            module = cst.parse_module(text)
            tree = tree or _parse(text)
        except (cst.ParserSyntaxError, *_UNPARSABLE) as exc:
            return f"libcst cannot parse the file ({type(exc).__name__})"
        return cls(source, module, Locator(module, tree, text))

    def fixed(self, task: FixTask) -> str | FixOutcome:
        """The module's code with the task's codemod applied, or the outcome that says
        why there is none."""
        target = self.locator.at(task.plan.line)
        if target is None:
            return FixOutcome(task.finding, None,
                              f"no top-level statement holds line {task.plan.line}")
        try:
            return _apply(self.module, self.source, target, task.plan).code
        except NoFix as reason:
            return FixOutcome(task.finding, None, str(reason))
        except Exception as exc:  # noqa: BLE001 - a codemod bug costs its fix, not the audit
            return FixOutcome(task.finding, None,
                              f"the codemod raised {type(exc).__name__}: {exc}")


def _outcome(path: str, text: str, task: FixTask, fixed: str | FixOutcome) -> FixOutcome:
    if isinstance(fixed, FixOutcome):
        return fixed
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
    """`text` is the file's code (the codemods look in it for names already taken);
    `target` the top-level statement that holds the plan's line."""
    if isinstance(plan, ImportInstead):
        return import_instead(module, target, plan)
    if isinstance(plan, UseName):
        return use_name(module, target, plan)
    if isinstance(plan, LogException):
        return log_exception(module, text, target, plan)
    return keep_task(module, text, target, plan)

