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
import importlib.util
import time
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from analyzers.fixes import FixJob, FixOutcome, FixTask
from analyzers.model import Fix

if TYPE_CHECKING:
    import multiprocessing.process
    from multiprocessing.connection import Connection

SECONDS_PER_FILE = 20.0
"""Time limit per file of a batch; libcst takes well under a second on ordinary files."""


@dataclass(frozen=True, slots=True)
class ChildFixer:
    """The `Fixer` the bot passes to `audit()`: the jobs split over `processes` child
    processes that run at once (balanced by the files' sizes: libcst's time grows with
    the file); when a child dies or overruns, each of its files again in a child of its
    own, so only the file that kills the fixer loses its fixes."""

    seconds_per_file: float = SECONDS_PER_FILE
    cache: MutableMapping[bytes, Mapping[str, object]] | None = None
    """Outcomes by `_outcome_key` (the audit's facts store); None: every task runs."""
    processes: int = 1
    """How many children at most run the codemods at once (the audit's cores)."""

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
        """(what the codemods answered, in the jobs' order; what a crash or a time-out
        lost): the jobs in up to `processes` children at once; the jobs of a child that
        is lost again each in a child of its own, `processes` of them at a time."""
        at_once = max(1, self.processes)
        batches = _balanced(jobs, at_once)
        answered: list[FixOutcome] = []
        lost: list[FixOutcome] = []
        again: list[FixJob] = []
        for batch, outcomes in zip(batches, _run_batches(batches, self.seconds_per_file),
                                   strict=True):
            if not isinstance(outcomes, str):
                answered.extend(outcomes)
            elif len(batch) == 1:
                lost.extend(batch[0].failed(outcomes))
            else:
                again.extend(batch)
        for start in range(0, len(again), at_once):
            alone = again[start:start + at_once]
            for job, outcomes in zip(alone, _run_batches([[j] for j in alone],
                                                         self.seconds_per_file), strict=True):
                if isinstance(outcomes, str):
                    lost.extend(job.failed(outcomes))
                else:
                    answered.extend(outcomes)
        rank = {task.finding: number for number, job in enumerate(jobs) for task in job.tasks}
        answered.sort(key=lambda outcome: rank[outcome.finding])
        return answered, lost


def _balanced(jobs: Sequence[FixJob], processes: int) -> list[list[FixJob]]:
    """The jobs in at most `processes` batches of about equal bytes (the largest file
    first, each to the lightest batch), each batch in the jobs' order."""
    count = max(1, min(processes, len(jobs)))
    loads = [0] * count
    chosen: list[list[int]] = [[] for _ in range(count)]
    for number in sorted(range(len(jobs)), key=lambda n: -len(jobs[n].source)):
        lightest = loads.index(min(loads))
        loads[lightest] += len(jobs[number].source)
        chosen[lightest].append(number)
    return [[jobs[n] for n in sorted(numbers)] for numbers in chosen if numbers]


def _outcome_key(path: str, contents: bytes, task: FixTask) -> bytes:
    """What decides a task's outcome: the file, the plan and message (frozen dataclasses
    of plain values, so `repr` is stable), the analyzers' code (the store is per code)
    and libcst's version. Longer than a blob id (20 bytes), so never one."""
    what = repr((path, contents.hex(), task.plan, task.message, task.applicability.value,
                 _libcst_version()))
    return b"fix:" + hashlib.sha256(what.encode()).digest()


@functools.cache
def _libcst_version() -> str:
    """The installed libcst's version: from the name of its distribution's folder beside
    the package, else from `importlib.metadata`, which reads every installed
    distribution (45 ms, a tenth of a warm audit)."""
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        found = list(package.parent.glob("libcst-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("libcst-").removesuffix(".dist-info")
    from importlib import metadata  # slow to import, rarely needed

    return metadata.version("libcst")


def _run_batches(batches: Sequence[Sequence[FixJob]], seconds_per_file: float
                 ) -> list[list[FixOutcome] | str]:
    """Per batch, run at once in children of their own: its outcomes, or why there are
    none (the child crashed or timed out)."""
    import multiprocessing  # only when a child runs: a warm audit needs none

    context = multiprocessing.get_context("spawn")
    started: list[tuple[multiprocessing.process.BaseProcess, Connection, float]] = []
    try:
        for batch in batches:
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(list(batch), sender), daemon=True)
            child.start()
            sender.close()
            started.append((child, receiver, seconds_per_file * len(batch)))
        began = time.monotonic()
        return [_outcomes(child, receiver, limit, max(0.0, began + limit - time.monotonic()))
                for child, receiver, limit in started]
    finally:
        for process, pipe, _limit in started:
            if process.is_alive():
                process.kill()
            process.join()
            pipe.close()


def _outcomes(child: multiprocessing.process.BaseProcess, receiver: Connection, limit: float,
              left: float) -> list[FixOutcome] | str:
    if not receiver.poll(left):
        return f"the fixer timed out on this file (over {limit:.0f} s)"
    try:
        outcomes: list[FixOutcome] = receiver.recv()
    except EOFError:
        child.join()
        return f"the fixer crashed on this file (exit code {child.exitcode})"
    return outcomes


def _child(jobs: list[FixJob], sender: Connection) -> None:
    from analyzers.fixes.run import fix_files  # libcst only in the child

    sender.send(fix_files(jobs))
    sender.close()
