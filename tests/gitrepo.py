"""Real temporary git repositories for tests, and `ssot-bot audit` run on them as a user
runs it (a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", *args],
        capture_output=True, text=True, check=False, timeout=120,
    )


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def write(self, path: str, content: str | bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    def commit(self, message: str, files: dict[str, str | bytes] | None = None) -> str:
        for path, content in (files or {}).items():
            self.write(path, content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


def audit_json(repo: GitRepo, *args: str) -> dict[str, object]:
    """`ssot-bot audit --format json` on `repo`: its parsed report (exit 0 or 1 only)."""
    done = run_audit("--repo", str(repo.root), "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed
