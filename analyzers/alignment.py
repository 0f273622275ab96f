"""Sequence alignment: `difflib`'s matching blocks and opcodes, found with `str.find`.

`matching_blocks(a, b)` returns exactly what
`difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()` returns
(without its closing `(len(a), len(b), 0)`), and `opcodes(a, b)` what its
`get_opcodes()` returns: the longest common run, then the same on either side of it,
recursively. difflib finds each longest run by walking every pair of equal elements,
which on token kinds (few distinct values) or a file's lines (blank lines, closing
brackets) is near the product of the two lengths, in Python bytecode. Here the two
sequences are strings (`spelled` writes each element as one character), and each longest
run is found by asking, for each start in `a`, whether a run longer than the best so far
occurs in `b`: one `str.find` per start, in C, and none left once the best run is most
of what remains (two versions of a file). Once the best run is long, starts are passed
half its length at a time: every run longer than it from one of those starts holds one
common piece, and where `b` lacks that piece none of them needs its own look.

Why the result is the same: difflib's longest run is the longest, then the one that starts
earliest in `a`, then earliest in `b` (its documented contract, with no junk). Scanning
starts in increasing order and keeping a run only when it is strictly longer gives the
earliest start in `a`; `find` gives the earliest place in `b`, and a longer run at the same
start can only occur at or after the earliest place of a shorter one (it holds it). The
recursion, the order it records runs in and the merging of adjacent runs are difflib's.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Sequence


def spelled(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[str, str]:
    """`a` and `b` as strings, one character per distinct element, the same character for
    the same element in both. ValueError past one character per code point (1,114,112
    distinct elements: two files of over a million distinct lines)."""
    letters: dict[Hashable, str] = {}
    for element in {*a, *b}:
        letters[element] = chr(len(letters))
    return "".join(map(letters.__getitem__, a)), "".join(map(letters.__getitem__, b))


class Alphabet:
    """Like `spelled`, for many sequences: the same letter for the same element in
    every string it spells, so a file's kinds are spelled once and its windows sliced.
    `spell` returns None once the letters run out (past 1,114,112 distinct elements);
    `spelled` still spells a pair."""

    def __init__(self) -> None:
        self._letters: dict[Hashable, str] = {}

    def spell(self, elements: Sequence[Hashable]) -> str | None:
        letters = self._letters
        new = set(elements).difference(letters)
        if len(letters) + len(new) > sys.maxunicode + 1:
            return None
        for element in new:
            letters[element] = chr(len(letters))
        return "".join(map(letters.__getitem__, elements))


def opcodes(a: str, b: str) -> list[tuple[str, int, int, int, int]]:
    """difflib's `get_opcodes()`: (tag, a_from, a_to, b_from, b_to) with tag `equal`,
    `replace`, `delete` or `insert`, covering both strings in order."""
    codes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for a_at, b_at, size in [*matching_blocks(a, b), (len(a), len(b), 0)]:
        tag = ("replace" if i < a_at and j < b_at else "delete" if i < a_at
               else "insert" if j < b_at else "")
        if tag:
            codes.append((tag, i, a_at, j, b_at))
        i, j = a_at + size, b_at + size
        if size:
            codes.append(("equal", a_at, i, b_at, j))
    return codes


def matching_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    """(i, j, n) for each run `a[i:i + n] == b[j:j + n]` of difflib's alignment, in order."""
    queue = [(0, len(a), 0, len(b))]
    found: list[tuple[int, int, int]] = []
    while queue:
        a_low, a_high, b_low, b_high = queue.pop()
        i, j, size = run = longest_match(a, b, a_low, a_high, b_low, b_high)
        if size:
            found.append(run)
            if a_low < i and b_low < j:
                queue.append((a_low, i, b_low, j))
            if i + size < a_high and j + size < b_high:
                queue.append((i + size, a_high, j + size, b_high))
    found.sort()
    return _merged(found)


def _merged(runs: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Runs that continue one another on one diagonal, as one run."""
    merged: list[tuple[int, int, int]] = []
    for i, j, size in runs:
        if merged:
            last_i, last_j, last_size = merged[-1]
            if last_i + last_size == i and last_j + last_size == j:
                merged[-1] = (last_i, last_j, last_size + size)
                continue
        merged.append((i, j, size))
    return merged


def longest_match(a: str, b: str, a_low: int, a_high: int, b_low: int, b_high: int
                  ) -> tuple[int, int, int]:
    """difflib's `find_longest_match(a_low, a_high, b_low, b_high)` without junk: the
    longest run of `a[a_low:a_high]` that occurs in `b[b_low:b_high]`, the earliest in `a`,
    then in `b`; `(a_low, b_low, 0)` if they share nothing."""
    best_i, best_j, best = a_low, b_low, 0
    find = b.find
    i = a_low
    while i + best < a_high:
        # A run longer than `best` from any start in i .. i + skip - 1 holds
        # a[i + skip - 1:i + best + 1]; where b has no such piece, none of those starts
        # can beat the best, and all of them are passed in one look.
        skip = (best + 1) // 2
        if skip > 1 and find(a[i + skip - 1:i + best + 1], b_low, b_high) < 0:
            i += skip
            continue
        j = find(a[i:i + best + 1], b_low, b_high)
        if j >= 0:
            size = _shared_prefix(a, i, b, j, best + 1, min(a_high - i, b_high - j))
            while i + size < a_high:
                later = find(a[i:i + size + 1], j + 1, b_high)
                if later < 0:
                    break
                j = later
                size = _shared_prefix(a, i, b, j, size + 1, min(a_high - i, b_high - j))
            best_i, best_j, best = i, j, size
        i += 1
    return best_i, best_j, best


def _shared_prefix(a: str, i: int, b: str, j: int, known: int, limit: int) -> int:
    """How many characters `a[i:]` and `b[j:]` have in common at their start, `known` of
    them known to be and at most `limit`: galloping, then bisecting, on slice
    comparisons."""
    low, step = known, 1
    while low < limit:
        high = min(limit, low + step)
        if a[i:i + high] != b[j:j + high]:
            break
        low, step = high, 2 * step
    else:
        return low
    while high - low > 1:
        middle = (low + high) // 2
        if a[i:i + middle] == b[j:j + middle]:
            low = middle
        else:
            high = middle
    return low
