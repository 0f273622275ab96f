"""Runs the libcst codemods (`analyzers.fixes.run.fix_files`) in a child process.

Invariant: libcst never runs in the audit's or the server's process. Its native parser
kills the process it runs in on some inputs (a long chain of `+`, LibCST issues 619 and
1000), which no `except` can catch; in a child, a crash or a hang costs that batch's
fixes (an SX010 note each) and the audit goes on.

What the codemods answer depends only on the file's path and contents, the task and the
code that runs it, so with a cache (the facts store) an audit run again asks the child
only for the tasks it has not answered before; a crash or a time-out is not remembered.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import multiprocessing
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from analyzers.fixes import FixJob, FixOutcome, FixTask
from analyzers.model import Fix

SECONDS_PER_FILE = 20.0
"""Time limit per file of a batch; libcst takes well under a second on ordinary files."""


@dataclass(frozen=True, slots=True)
class ChildFixer:
    """The `Fixer` the bot passes to `audit()`: every job in one child process; when that
    child dies or overruns, each file again in a child of its own, so only the file that
    kills the fixer loses its fixes."""

    seconds_per_file: float = SECONDS_PER_FILE
    cache: MutableMapping[bytes, Mapping[str, object]] | None = None
    """Outcomes by `_outcome_key` (the audit's facts store); None: every task runs."""

    def __call__(self, jobs: Sequence[FixJob]) -> list[FixOutcome]:
        if self.cache is None:
            return [outcome for found in self._answers(jobs) for outcome in found]
        known: list[FixOutcome] = []
        keys: dict[int, bytes] = {}
        unknown: list[FixJob] = []
        for job in jobs:
            contents = hashlib.sha256(job.source).digest()
            asked: list[FixTask] = []
            for task in job.tasks:
                key = _outcome_key(job.path, contents, task)
                answer = self.cache.get(key)
                if answer is None:
                    keys[task.finding] = key
                    asked.append(task)
                else:
                    fix = answer["fix"]
                    assert fix is None or isinstance(fix, Fix)
                    known.append(FixOutcome(task.finding, fix, str(answer["reason"])))
            if asked:
                unknown.append(replace(job, tasks=tuple(asked)))
        answered, lost = self._answers(unknown) if unknown else ([], [])
        for outcome in answered:
            self.cache[keys[outcome.finding]] = {"fix": outcome.fix, "reason": outcome.reason}
        return [*known, *answered, *lost]

    def _answers(self, jobs: Sequence[FixJob]) -> tuple[list[FixOutcome], list[FixOutcome]]:
        """(what the codemods answered, what a crash or a time-out lost): every job in one
        child; when that child is lost, each job again in a child of its own."""
        outcomes = _run_batch(jobs, self.seconds_per_file)
        if not isinstance(outcomes, str):
            return outcomes, []
        if len(jobs) == 1:
            return [], jobs[0].failed(outcomes)
        answered: list[FixOutcome] = []
        lost: list[FixOutcome] = []
        for job in jobs:
            alone = _run_batch([job], self.seconds_per_file)
            if isinstance(alone, str):
                lost.extend(job.failed(alone))
            else:
                answered.extend(alone)
        return answered, lost


def _outcome_key(path: str, contents: bytes, task: FixTask) -> bytes:
    """What decides a task's outcome: the file, the plan and message (frozen dataclasses
    of plain values, so `repr` is stable), the analyzers' code (the store is per code)
    and libcst's version. Longer than a blob id (20 bytes), so never one."""
    what = repr((path, contents.hex(), task.plan, task.message, task.applicability.value,
                 _libcst_version()))
    return b"fix:" + hashlib.sha256(what.encode()).digest()


@functools.cache
def _libcst_version() -> str:
    return importlib.metadata.version("libcst")


def _run_batch(jobs: Sequence[FixJob], seconds_per_file: float) -> list[FixOutcome] | str:
    """The batch's outcomes, or why there are none (the child crashed or timed out)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(list(jobs), sender), daemon=True)
    child.start()
    sender.close()
    limit = seconds_per_file * len(jobs)
    try:
        if not receiver.poll(limit):
            return f"the fixer timed out on this file (over {limit:.0f} s)"
        try:
            outcomes: list[FixOutcome] = receiver.recv()
        except EOFError:
            child.join()
            return f"the fixer crashed on this file (exit code {child.exitcode})"
        return outcomes
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def _child(jobs: list[FixJob], sender: Connection) -> None:
    from analyzers.fixes.run import fix_files  # libcst only in the child

    sender.send(fix_files(jobs))
    sender.close()
