"""Path globs as users write them in `[tool.ssot]`: `**` spans folders, `*` stays inside one,
and a pattern with no slash matches a file name at any depth (as in .gitignore)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


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
