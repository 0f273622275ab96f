"""Fixes: edits that resolve a finding, written by libcst codemods.

Two halves, because libcst must never run in the audit's own process (its native parser
kills the process on some inputs, which nothing can catch):

- `plan` (pure, `ast` only) decides, in the audit, which findings can be fixed and how:
  one `FixTask` per finding, grouped by file into `FixJob`s, with every fact a codemod
  needs (the module to import from, the name, the place) already looked up.
- `run.fix_files` (libcst) turns jobs into `FixOutcome`s. The caller decides where it
  runs: `bot.fixer` runs it in a child process with a time limit.

The codemods, one module per family: `import_instead` (SS201, DU303, SS202, SS203),
`use_name` (SS205, SS204), `log_exception` (SF101, SF102, SF105), `keep_task` (SF107).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analyzers.model import Applicability, Fix


@dataclass(frozen=True, slots=True)
class ImportInstead:
    """Delete the top-level definition or constant `name` at `line` and bind the name by
    importing `imported` from `module` instead."""

    name: str
    line: int
    module: str
    imported: str


@dataclass(frozen=True, slots=True)
class UseName:
    """Replace the expression that starts at (`line`, `column`) with `name`, imported from
    `module` (None: the name is this module's own)."""

    line: int
    column: int
    """1-based, in characters."""
    name: str
    module: str | None
    expression: str
    """What is replaced, for the codemod to check: "literal" or "env read"."""


@dataclass(frozen=True, slots=True)
class LogException:
    """Log the caught exception with its traceback first thing in the handler at `line`;
    `widen` turns a bare `except:` into `except Exception:`."""

    line: int
    widen: bool


BACKGROUND_TASK_HELPER = "add_background_task"
"""The function SF107's fix writes into a module and hands the task to."""


@dataclass(frozen=True, slots=True)
class KeepTask:
    """Hand the task that the statement at `line` creates and throws away to
    `add_background_task` (written into the module once), which keeps it referenced and
    logs its failure."""

    line: int


Plan = ImportInstead | UseName | LogException | KeepTask


@dataclass(frozen=True, slots=True)
class FixTask:
    finding: int
    """Index of the finding in the list the planner was given."""
    plan: Plan
    message: str
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class FixJob:
    """Every task for one file, with the file's contents as audited."""

    path: str
    source: bytes
    tasks: tuple[FixTask, ...]

    def failed(self, reason: str) -> list[FixOutcome]:
        """No fix for any of the file's findings, and why."""
        return [FixOutcome(task.finding, None, reason) for task in self.tasks]


@dataclass(frozen=True, slots=True)
class FixOutcome:
    finding: int
    fix: Fix | None
    reason: str = ""
    """Why there is no fix, when there is none."""


Fixer = Callable[[Sequence[FixJob]], Sequence[FixOutcome]]
"""Runs the codemods for some jobs; an outcome for every task of every job."""
