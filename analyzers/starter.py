"""`ssot-bot init`'s starter `[tool.ssot]`: what a repository's files suggest for it."""

from __future__ import annotations

import json
from collections.abc import Iterable

from analyzers.paths import is_example_path, is_test_path
from analyzers.ssot.repo import is_config_module

REAL_TEST_FOLDERS = ("integration", "e2e")


def starter_config(python_paths: Iterable[str]) -> str:
    """A starter `[tool.ssot]` for a repository with these Python files: the config
    modules and real-service test folders it has, generated code excluded, each key with
    a comment saying what it does. Every key is one `load_config` accepts."""
    paths = sorted(python_paths)
    config_modules = [p for p in paths if is_config_module(p, ())
                      and not is_test_path(p) and not is_example_path(p)]
    real_tests = sorted({f"{p[: p.index(f'/{name}/')]}/{name}/**" if f"/{name}/" in p
                         else f"{name}/**"
                         for p in paths for name in REAL_TEST_FOLDERS
                         if is_test_path(p) and (f"/{name}/" in p or p.startswith(f"{name}/"))})
    migrations = sorted({f"{p[: p.index('migrations/')]}migrations/**" for p in paths
                         if p.startswith("migrations/") or "/migrations/" in p})
    lines = ["[tool.ssot]"]
    if config_modules:
        lines += ["# The modules that may read the environment (SS204 flags reads elsewhere).",
                  f"config-modules = {_toml_list(config_modules)}"]
    if real_tests:
        lines += ["# Tests against real services: mocks there are flagged (SS207).",
                  f"real-test-paths = {_toml_list(real_tests)}"]
    if migrations:
        lines += ["# Generated code is not audited.", f"exclude = {_toml_list(migrations)}"]
    lines += ["# The sticky pull-request comment: \"on-findings\" (the default: none on a clean",
              "# pull request), \"always\" or \"never\"; the check run is always published.",
              '# comment = "always"',
              "# Rules to leave out, e.g. while a legacy package is cleaned up:",
              '# ignore = ["SF103"]',
              "# Rules to leave out per path, like ruff's:",
              "# [tool.ssot.per-file-ignores]",
              '# "scripts/**" = ["SF"]']
    return "\n".join(lines) + "\n"


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"
