"""The engine's `ParallelMap` over a process pool, for the CLI and the App's audit
processes (stdlib only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # the pool module takes 30 ms to import, and a warm CLI audit needs none
    from concurrent.futures import ProcessPoolExecutor

    from analyzers.model import ParallelMap

T = TypeVar("T")
R = TypeVar("R")

CHUNKS_PER_PROCESS = 8
"""Each call's items go in this many chunks per process: few pickling round trips, and
the processes still finish together."""


def pooled_map(pool: ProcessPoolExecutor, processes: int) -> ParallelMap:
    """`pool.map` in chunks sized per call."""

    def mapped(function: Callable[[T], R], items: Iterable[T]) -> Iterable[R]:
        listed = list(items)
        return pool.map(function, listed,
                        chunksize=max(1, len(listed) // (processes * CHUNKS_PER_PROCESS)))

    return mapped
