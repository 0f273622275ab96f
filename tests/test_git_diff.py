"""What git really prints for a change, read back into changed files and lines: names
with spaces, tabs, quotes, newlines and non-ASCII letters, renames, binary files, mode
changes and files without a trailing newline (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.local.git import Repo
from tests.gitrepo import GitRepo, run_audit

SWALLOWS = "def load():\n    try:\n        return read()\n    except:\n        pass\n"
HOSTILE_NAMES = ["app/my module.py", 'app/café "q".py', "app/tab\there.py",
                 "app/new\nline.py"]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"app/__init__.py": "", "app/old name.py": "X = 1\n",
                            "app/tool.py": "Y = 2\n", "app/blob.py": "Z = 3\n"})
    return repo


def test_every_changed_file_comes_back_with_its_name_and_lines(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD")
    files: dict[str, str | bytes] = {name: "A = 1\nB = 2" for name in HOSTILE_NAMES}
    files["app/blob.py"] = b"\x00\x01binary"
    repo.git("mv", "app/old name.py", "app/new name.py")
    repo.commit("change", files)
    (repo.root / "app/tool.py").chmod(0o755)
    repo.commit("mode")
    diffs = {d.path: d for d in Repo.open(repo.root).diff(base, "HEAD")}
    assert set(diffs) == {*HOSTILE_NAMES, "app/new name.py", "app/blob.py", "app/tool.py"}
    for name in HOSTILE_NAMES:
        assert diffs[name].status.value == "added"
        assert diffs[name].added_lines == {1, 2}  # no trailing newline still counts line 2
    assert diffs["app/new name.py"].status.value == "renamed"
    assert diffs["app/new name.py"].old_path == "app/old name.py"
    assert diffs["app/blob.py"].binary
    assert diffs["app/tool.py"].added_lines == set()  # a mode change adds no line


def test_a_swallowing_file_with_a_space_in_its_name_is_audited(repo: GitRepo) -> None:
    repo.commit("add", {"app/my module.py": SWALLOWS,
                        'app/café "q".py': SWALLOWS.replace("load", "fetch")})
    done = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--head", "HEAD",
                     "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    flagged = {(f["rule"], f["path"]) for f in report["findings"]}
    assert flagged == {("SF101", "app/my module.py"), ("SF101", 'app/café "q".py')}
    assert report["stats"]["files_analyzed"] == 2
