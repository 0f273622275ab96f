"""Runs the libcst codemods (`analyzers.fixes.run.fix_files`) in a child process.

Invariant: libcst never runs in the audit's or the server's process. Its native parser
kills the process it runs in on some inputs (a long chain of `+`, LibCST issues 619 and
1000), which no `except` can catch; in a child, a crash or a hang costs that batch's
fixes (an SX010 note each) and the audit goes on.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

from analyzers.fixes import FixJob, FixOutcome

SECONDS_PER_FILE = 20.0
"""Time limit per file of a batch; libcst takes well under a second on ordinary files."""


@dataclass(frozen=True, slots=True)
class ChildFixer:
    """The `Fixer` the bot passes to `audit()`: every job in one child process; when that
    child dies or overruns, each file again in a child of its own, so only the file that
    kills the fixer loses its fixes."""

    seconds_per_file: float = SECONDS_PER_FILE

    def __call__(self, jobs: Sequence[FixJob]) -> list[FixOutcome]:
        outcomes = _run_batch(jobs, self.seconds_per_file)
        if not isinstance(outcomes, str):
            return outcomes
        if len(jobs) == 1:
            return jobs[0].failed(outcomes)
        found: list[FixOutcome] = []
        for job in jobs:
            alone = _run_batch([job], self.seconds_per_file)
            found.extend(job.failed(alone) if isinstance(alone, str) else alone)
        return found


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
