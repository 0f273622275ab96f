"""Path globs as users write them in `[tool.ssot]`: `**` spans folders, `*` stays inside one,
and a pattern with no slash matches a file name at any depth (as in .gitignore)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_LITERAL, _STAR, _ANY_DEPTH, _FOLDERS, _ONE = range(5)
"""Glob tokens: a character; `*` (any run inside one folder name); `**` (any run, slashes
too); `**/` (nothing, or any run ending in a slash: zero or more folders); `?`."""


@dataclass(frozen=True, slots=True)
class _Glob:
    """A compiled glob, matched by simulating all its positions at once (a Thompson
    NFA), so matching costs pattern length x path length whatever the wildcards.
    A regular expression would backtrack: a 12-wildcard pattern took minutes per path.
    Hand-written on purpose, not `pathspec`: its patterns are Python regular expressions
    too (measured with pathspec 1.1.1, `*a` x 12 + `*b` against `a` x 30 takes 2.7 s,
    nine times more per five characters; the test's 121-character path would take
    hours), and its linear backends need a native library (google-re2 or hyperscan)
    that the CLI would then have to install everywhere."""

    kinds: tuple[int, ...]
    chars: tuple[str, ...]

    def _closure(self, states: set[int]) -> set[int]:
        """Add what is reachable without reading a character: past a `*`, `**` or `**/`
        (all may match nothing), and into a `**/`'s folder loop (state `-1 - i`)."""
        todo = [s for s in states if s >= 0]
        while todo:
            state = todo.pop()
            if state < len(self.kinds) and self.kinds[state] != _LITERAL \
                    and self.kinds[state] != _ONE:
                if self.kinds[state] == _FOLDERS:
                    states.add(-1 - state)
                if state + 1 not in states:
                    states.add(state + 1)
                    todo.append(state + 1)
        return states

    def match(self, path: str) -> bool:
        states = self._closure({0})
        for char in path:
            following: set[int] = set()
            for state in states:
                if state < 0:  # inside a `**/`: any character; a slash may also end it
                    following.add(state)
                    if char == "/":
                        following.add(-state)  # -1 - i  ->  i + 1
                    continue
                if state == len(self.kinds):
                    continue
                kind = self.kinds[state]
                if kind == _LITERAL:
                    if self.chars[state] == char:
                        following.add(state + 1)
                elif kind == _ONE:
                    if char != "/":
                        following.add(state + 1)
                elif kind == _STAR:
                    if char != "/":
                        following.add(state)
                elif kind == _ANY_DEPTH:
                    following.add(state)
            if not following:
                return False
            states = self._closure(following)
        return len(self.kinds) in states


@lru_cache(maxsize=512)
def _compile(pattern: str) -> _Glob:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    if pattern.endswith("/"):
        pattern += "**"
    kinds: list[int] = []
    chars: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            kind, i = _FOLDERS, i + 3
        elif pattern.startswith("**", i):
            kind, i = _ANY_DEPTH, i + 2
        elif pattern[i] == "*":
            kind, i = _STAR, i + 1
        elif pattern[i] == "?":
            kind, i = _ONE, i + 1
        else:
            kind, i = _LITERAL, i + 1
        if kind == _ANY_DEPTH and kinds and kinds[-1] == _ANY_DEPTH:
            continue  # `****` is `**`: the same paths, fewer states
        kinds.append(kind)
        chars.append(pattern[i - 1] if kind == _LITERAL else "")
    return _Glob(tuple(kinds), tuple(chars))


def matches(path: str, patterns: Iterable[str]) -> bool:
    return any(_compile(p.lstrip("/")).match(path) for p in patterns)


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    parts = path.split("/")[:-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing") for p in parts)
    )


EXAMPLE_FOLDERS = frozenset({"examples", "example", "docs", "doc", "demo", "demos"})
"""Folders whose code is written to be read on its own (tutorials, documentation
snippets): each file is meant to stand alone, so reuse advice does not apply there."""


def is_example_path(path: str) -> bool:
    return any(part in EXAMPLE_FOLDERS for part in path.split("/")[:-1])
