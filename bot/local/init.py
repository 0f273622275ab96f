"""`ssot-bot init`: a starter `[tool.ssot]` in the repository's pyproject.toml, shown as
written. It never replaces a config that is there."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from analyzers.starter import starter_config
from bot import PRODUCT
from bot.local.git import WORKTREE, GitError, Repo

EXIT_WRITTEN = 0
EXIT_NOT_WRITTEN = 2


def add_arguments(init_cmd: argparse.ArgumentParser) -> None:
    init_cmd.add_argument("--repo", type=Path, default=Path(), help="repository (default .)")


def init_command(args: argparse.Namespace) -> int:
    try:
        repo = Repo.open(args.repo)
        written = _init(repo)
    except (GitError, InitError) as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    print(f"wrote to {repo.root / 'pyproject.toml'}:\n\n{written}", end="")
    return EXIT_WRITTEN


class InitError(Exception):
    """Why nothing was written; the message says what to do."""


def _init(repo: Repo) -> str:
    pyproject = repo.root / "pyproject.toml"
    if (repo.root / ".ssot.toml").exists():
        raise InitError(".ssot.toml already holds the config; nothing written")
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(f"pyproject.toml is not valid TOML ({exc}); fix it first") from None
    if "ssot" in document.get("tool", {}):
        raise InitError("pyproject.toml already has [tool.ssot]; nothing written")
    starter = starter_config(repo.python_files(WORKTREE))
    separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    pyproject.write_text(text + separator + starter, encoding="utf-8")
    return starter
