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
    for raw in hunks.splitlines():
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


def parse_git_diff(text: str) -> list[FileDiff]:
    """Parse `git diff -M --no-color --no-ext-diff -U0` output into one entry per file.

    Paths are taken from the `---`/`+++` and `rename` lines, which git quotes when they
    hold unusual characters; quoted paths are unquoted."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk_text: list[str] = []

    def finish() -> None:
        if current is not None:
            current.added_lines = added_lines("\n".join(hunk_text))
            files.append(current)

    for raw in text.splitlines():
        if raw.startswith("diff --git "):
            finish()
            current, hunk_text = FileDiff(path=_path_from_header(raw)), []
        elif current is None:
            continue
        elif raw.startswith("@@") or (hunk_text and raw[:1] in "+- \\"):
            hunk_text.append(raw)
        elif raw.startswith("new file mode"):
            current.status = ChangeStatus.ADDED
        elif raw.startswith("deleted file mode"):
            current.status = ChangeStatus.DELETED
        elif raw.startswith("rename from "):
            current.status = ChangeStatus.RENAMED
            current.old_path = unquote(raw[len("rename from ") :])
        elif raw.startswith("rename to "):
            current.path = unquote(raw[len("rename to ") :])
        elif raw.startswith("+++ ") and raw != "+++ /dev/null":
            current.path = unquote(raw[4:]).removeprefix("b/")
        elif raw.startswith("Binary files "):
            current.binary = True
    finish()
    return files


def _path_from_header(header: str) -> str:
    rest = header[len("diff --git ") :]
    if rest.startswith('"'):
        return unquote(rest.split('" ', 1)[0] + '"').removeprefix("a/")
    half = (len(rest) - 1) // 2
    return rest[half + 1 :].removeprefix("b/")


def unquote(path: str) -> str:
    """Undo git's C-style quoting of paths with special characters."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return body.encode("latin-1").decode("utf-8", "replace")
