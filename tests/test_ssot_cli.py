"""SS2xx through `ssot-bot audit` on real temporary git repositories: the whole head tree
is the index, and only the change is judged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.gitrepo import GitRepo, run_audit

CONFIG = '''import os


def get_env(name: str) -> str:
    return os.environ[name]


SESSION_COOKIE_NAME = "sessionid"
'''
CONSUMER = "from app.config import get_env\n\nHOME = get_env('HOME')\n"


def audit_json(repo: GitRepo, base: str) -> dict[str, Any]:
    done = run_audit("--repo", str(repo.root), "--base", base, "--head", "HEAD",
                     "--format", "json", "--no-cache")
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {
        "app/__init__.py": "",
        "app/config.py": CONFIG,
        "app/home.py": CONSUMER,
        "app/deep/__init__.py": "",
        "app/deep/other.py": "VALUE = 1\n",
    })
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_a_second_definition_in_a_new_module_is_a_no_go(repo: GitRepo) -> None:
    repo.commit("billing", {"app/billing.py": (
        "import os\n\n\ndef get_env(name: str) -> str:\n    return os.environ.get(name, '')\n"
        "\n\nAUTH_COOKIE = 'sessionid'\n"
    )})
    report = audit_json(repo, "main")
    assert report["verdict"] == "NO-GO"
    found = {(f["rule"], f["line"]) for f in report["findings"]}
    assert {("SS201", 4), ("SS202", 8)} <= found
    assert ("SS204", 5) not in found  # a computed variable name, with no config modules
    [duplicate] = [f for f in report["findings"] if f["rule"] == "SS201"]
    assert duplicate["related"][0] == {
        "path": "app/config.py", "line": 4, "message": "existing function `get_env`"
    }
    assert report["stats"]["neighbours"][:1] == ["app/__init__.py"]


def test_editing_an_old_duplicate_elsewhere_in_the_file_is_go(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    repo.commit("old debt", {"app/legacy.py": "def get_env(name):\n    return ''\n"})
    repo.git("checkout", "-q", "-b", "touch-legacy")
    repo.commit("edit", {"app/legacy.py": "def get_env(name):\n    return ''\n\n\nX = 2\n"})
    report = audit_json(repo, "main")
    assert report["verdict"] == "GO"
    assert [f for f in report["findings"] if f["rule"].startswith("SS")] == []


def test_neighbours_of_the_change_are_in_the_stats(repo: GitRepo) -> None:
    repo.commit("touch config", {"app/config.py": CONFIG + "\nTIMEOUT = 30\n"})
    report = audit_json(repo, "main")
    assert report["stats"]["neighbours"] == ["app/home.py", "app/__init__.py"]
