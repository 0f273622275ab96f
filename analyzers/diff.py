"""A small parser for unified diffs (`git diff` output or a PR file's `patch`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzers.model import ChangeStatus

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


@dataclass(slots=True)
class FileDiff:
    path: str
    status: ChangeStatus = ChangeStatus.MODIFIED
    old_path: str | None = None
    added_lines: set[int] = field(default_factory=set)
    """Head-side line numbers that the diff adds (a changed line is removed and added)."""
    binary: bool = False


def added_lines(hunks: str) -> set[int]:
    """Head-side line numbers added by the hunks of one file (GitHub's `patch` field)."""
    lines: set[int] = set()
    current = 0
    for raw in hunks.split("\n"):  # not splitlines: \x0c or \u2028 in code is no line end
        header = _HUNK.match(raw)
        if header:
            current = int(header["start"])
            continue
        if not current or raw.startswith("\\"):
            continue  # before the first hunk, or "\ No newline at end of file"
        if raw.startswith("+"):
            lines.add(current)
            current += 1
        elif raw.startswith(" ") or raw == "":
            current += 1
    return lines


def hunk_ranges(hunks: str) -> list[range]:
    """The head-side lines each hunk of one file's patch spans (its added and context
    lines): where GitHub accepts a review comment on the new side of the diff."""
    ranges = []
    for raw in hunks.split("\n"):
        header = _HUNK.match(raw)
        if header:
            start = int(header["start"])
            count = 1 if header["count"] is None else int(header["count"])
            if count:
                ranges.append(range(start, start + count))
    return ranges


_STATUS = {"A": ChangeStatus.ADDED, "D": ChangeStatus.DELETED, "R": ChangeStatus.RENAMED,
           "C": ChangeStatus.ADDED}
"""`git diff --raw` status letters; M (contents), T (type) and U (unmerged) are
modifications. A copy (C) is a new file at its destination."""


def parse_git_diff(raw: bytes, patch: str) -> list[FileDiff]:
    """One entry per changed file from two views of the same diff: `git diff --raw -z`
    (paths, NUL-separated, so spaces, tabs, quotes and newlines in names survive) and
    `git diff -U0` of the same revisions (line numbers only). git writes both in the
    same order, one patch section per raw entry, so the patch's own path headers, which
    are ambiguous for names with spaces, are never read."""
    files = _raw_entries(raw)
    sections = _patch_sections(patch)
    if len(sections) != len(files):
        raise ValueError(f"git listed {len(files)} changed files but {len(sections)} patches")
    for file, section in zip(files, sections, strict=True):
        file.binary = any(line.startswith("Binary files ") for line in section)
        file.added_lines = added_lines("\n".join(
            line for line in _hunk_lines(section)))
    return files


def _raw_entries(raw: bytes) -> list[FileDiff]:
    fields = raw.split(b"\0")
    files: list[FileDiff] = []
    position = 0
    while position < len(fields) and fields[position].startswith(b":"):
        letter = fields[position].split()[-1][:1].decode()
        status = _STATUS.get(letter, ChangeStatus.MODIFIED)
        paths = [_decode(fields[position + 1])]
        position += 2
        if letter in "RC":
            paths.append(_decode(fields[position]))
            position += 1
        old_path = paths[0] if letter == "R" else None
        files.append(FileDiff(path=paths[-1], status=status, old_path=old_path))
    return files


def _decode(path: bytes) -> str:
    # A name that is not UTF-8 keeps a visible replacement character; reading it back
    # then fails and the file gets a "could not be read" note instead of vanishing.
    return path.decode("utf-8", "replace")


def _patch_sections(patch: str) -> list[list[str]]:
    sections: list[list[str]] = []
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            sections.append([])
        elif sections:
            sections[-1].append(line)
    return sections


def _hunk_lines(section: list[str]) -> list[str]:
    """The hunks of one file's patch, without the header lines before the first one
    (whose `--- a/x` / `+++ b/x` would read as removed and added lines)."""
    for index, line in enumerate(section):
        if line.startswith("@@"):
            return section[index:]
    return []
