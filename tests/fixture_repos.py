"""Multi-module fixture repositories (tests/fixtures/ssot, tests/fixtures/duplicates) as
audit requests.

Each case folder is a repository. A file whose first line is `# changed` is new in the
change (every line counts); a file `X.py` beside an `X.py.base` was modified (its changed
lines are the difference); every other file is context. A `pyproject.toml` in the folder
is the audited repository's config.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from analyzers import AuditRequest, ChangeStatus, FileChange

NEW_MARKER = "# changed"


def changed_lines(base: str, head: str) -> frozenset[int]:
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(a=base.splitlines(), b=head.splitlines(), autojunk=False)
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            lines.update(range(start + 1, end + 1))
    return frozenset(lines)


def request_for(case: Path) -> AuditRequest:
    changes: list[FileChange] = []
    context: dict[str, bytes] = {}
    for file in sorted(case.rglob("*")):
        path = file.relative_to(case).as_posix()
        if not file.is_file() or path.endswith(".base") or path == "pyproject.toml":
            continue
        head = file.read_text(encoding="utf-8")
        base_file = file.with_name(file.name + ".base")
        if base_file.exists():
            base = base_file.read_text(encoding="utf-8")
            changes.append(FileChange(path, ChangeStatus.MODIFIED, head.encode(), base.encode(),
                                      changed_lines(base, head)))
        elif head.startswith(NEW_MARKER):
            changes.append(FileChange(path, ChangeStatus.ADDED, head.encode()))
        else:
            context[path] = head.encode()
    config = case / "pyproject.toml"
    return AuditRequest(
        changes=tuple(changes),
        context=context,
        config_text=config.read_text(encoding="utf-8") if config.exists() else None,
    )
