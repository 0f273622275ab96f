"""The layering contracts of ARCHITECTURE.md, checked on the source with `ast`:
`analyzers` is pure, the CLI path loads nothing of the App, and only `bot/github` knows
GitHub's addresses.

An `ast` walk rather than import-linter: two of the three contracts are not about which
of our modules import which (the analyzers' third-party imports against the declared
dependencies; GitHub's addresses in string literals), which import-linter cannot state,
and one small checker for all three needs no new dependency. Each test also runs its
checker on a small tree with the mistake in it, so a checker that finds nothing fails.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NETWORK_AND_PROCESS = frozenset({
    "socket", "ssl", "select", "selectors", "subprocess", "multiprocessing", "concurrent",
    "asyncio", "signal", "pty", "os", "shutil", "urllib", "http", "ftplib", "smtplib",
    "imaplib", "poplib", "telnetlib", "xmlrpc", "socketserver", "webbrowser",
    "aiohttp", "requests", "httpx", "urllib3", "gidgethub", "redis", "sentry_sdk",
})
"""What `analyzers` never imports: the network, processes, the file system (`os`,
`shutil`; `os.system` among them) and the libraries that reach them."""
CLI_THIRD_PARTY = frozenset({"libcst"})
"""The only library outside the standard library that `ssot-bot audit` loads (the
fixer's child process runs libcst); the App's (aiohttp, gidgethub, redis, sentry_sdk,
jwt, cryptography, cachetools) are not needed to install and run the CLI."""
APP_AND_REDIS = ("bot.app", "bot.redis", "bot.github", "bot.settings", "bot.action",
                 "bot.metrics")
GITHUB_ADDRESS = re.compile(r"github\.com|githubusercontent\.com|^/repos/|^/app(/|$)")
PROJECT_HOME = "https://github.com/ssot-bot/ssot-bot"
"""Our own homepage (the SARIF tool's `informationUri`), not an address of GitHub's API."""


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every module of `package` under `root`."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(module: str, path: Path, *, module_level_only: bool = False
               ) -> Iterator[tuple[str, int]]:
    """(absolute module imported, line) of every import in the file; with
    `module_level_only`, not those inside a function (imported when it is called)."""
    tree = ast.parse(path.read_bytes(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes: list[ast.AST] = list(tree.body) if module_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:  # `from bot import report` imports bot.report
                yield f"{base}.{alias.name}", node.lineno


def declared_libraries(root: Path, extra: str | None = None) -> set[str]:
    """The normalised names of the distributions `[project] dependencies` declares (or
    the optional-dependencies `extra`)."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = (project.get("dependencies", []) if extra is None
             else project.get("optional-dependencies", {}).get(extra, []))
    return {_normalised(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in specs}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distributions(top: str) -> set[str]:
    return {_normalised(d) for d in importlib.metadata.packages_distributions().get(top, [])}


def analyzers_violations(root: Path) -> list[str]:
    """Imports that break `analyzers`' purity: of `bot`, of the network or processes, or
    of a library the project does not declare."""
    declared = declared_libraries(root)
    found = []
    for module, path in module_files(root, "analyzers").items():
        for target, line in imports_of(module, path):
            top = target.split(".")[0]
            where = f"{path.relative_to(root)}:{line} imports {target}"
            if top == "bot":
                found.append(f"{where}: analyzers never import the I/O shell")
            elif top in NETWORK_AND_PROCESS:
                found.append(f"{where}: analyzers do no network, process or file I/O")
            elif top in sys.stdlib_module_names or top == "analyzers":
                continue
            elif not (_distributions(top) | {_normalised(top)}) & declared:
                found.append(f"{where}: not a declared dependency")
    return sorted(set(found))


def cli_path_violations(root: Path) -> list[str]:
    """What `ssot-bot audit` would load of the App, Redis or their libraries: every
    module reachable from `bot.cli`'s module-level imports and from `bot.local`,
    following each of our modules' imports (inside functions too)."""
    ours = module_files(root, "bot") | module_files(root, "analyzers")
    todo = [(target, "bot.cli") for target, _ in
            imports_of("bot.cli", ours["bot.cli"], module_level_only=True)]
    todo += [(module, module) for module in ours if module.startswith("bot.local")]
    seen: dict[str, str] = {}
    found = []
    while todo:
        module, importer = todo.pop()
        if module in seen:
            continue
        seen[module] = importer
        top = module.split(".")[0]
        if module.startswith(APP_AND_REDIS):
            found.append(f"{importer} imports {module}")
        elif top not in ("bot", "analyzers"):
            if top not in sys.stdlib_module_names and top not in CLI_THIRD_PARTY:
                found.append(f"{importer} imports {top}")
            continue
        # A module's packages run first: `bot.local.git` runs bot/__init__.py.
        parts = module.split(".")
        todo += [(".".join(parts[:n]), importer) for n in range(1, len(parts))]
        if module in ours:
            todo += [(target, module) for target, _ in imports_of(module, ours[module])]
    return sorted(set(found))


def github_address_violations(root: Path) -> list[str]:
    """String literals outside `bot/github` that spell one of GitHub's addresses."""
    found = []
    for package in ("analyzers", "bot"):
        for path in module_files(root, package).values():
            if path.is_relative_to(root / "bot" / "github"):
                continue
            for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and node.value != PROJECT_HOME and GITHUB_ADDRESS.search(node.value)):
                    found.append(f"{path.relative_to(root)}:{node.lineno} spells "
                                 f"{node.value[:60]!r}")
    return sorted(found)


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"pyproject.toml": '[project]\nname = "t"\ndependencies = ["libcst>=1"]\n',
                       **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_analyzers_import_no_io_no_bot_and_only_declared_libraries(tmp_path: Path) -> None:
    assert analyzers_violations(ROOT) == []
    bad = tree(tmp_path, {
        "analyzers/__init__.py": "",
        "analyzers/rules.py": "import ast\nimport libcst\n\n"
                              "def fetch():\n    import urllib.request\n",
        "analyzers/more.py": "from bot import report\nimport os\nimport yaml\n"
                             "from asyncio import create_subprocess_exec\n",
    })
    assert analyzers_violations(bad) == [
        "analyzers/more.py:1 imports bot.report: analyzers never import the I/O shell",
        "analyzers/more.py:1 imports bot: analyzers never import the I/O shell",
        "analyzers/more.py:2 imports os: analyzers do no network, process or file I/O",
        "analyzers/more.py:3 imports yaml: not a declared dependency",
        "analyzers/more.py:4 imports asyncio.create_subprocess_exec: analyzers do no "
        "network, process or file I/O",
        "analyzers/more.py:4 imports asyncio: analyzers do no network, process or file I/O",
        "analyzers/rules.py:5 imports urllib.request: analyzers do no network, process or "
        "file I/O",
    ]


def test_the_cli_path_loads_nothing_of_the_app_or_redis(tmp_path: Path) -> None:
    assert cli_path_violations(ROOT) == []
    bad = tree(tmp_path, {
        "analyzers/__init__.py": "",
        "bot/__init__.py": "",
        "bot/cli.py": "from bot.local import audit\n\n"
                      "def main():\n    from bot.app.server import serve\n",
        "bot/local/__init__.py": "",
        "bot/local/audit.py": "from . import git\nimport libcst\n",
        "bot/local/git.py": "import cachetools\n\ndef post():\n"
                            "    from bot.github.rest import GitHubApp\n",
    })
    assert cli_path_violations(bad) == [
        "bot.local.git imports bot.github", "bot.local.git imports bot.github.rest",
        "bot.local.git imports bot.github.rest.GitHubApp", "bot.local.git imports cachetools",
    ]


def test_only_bot_github_spells_githubs_addresses(tmp_path: Path) -> None:
    assert github_address_violations(ROOT) == []
    bad = tree(tmp_path, {
        "analyzers/__init__.py": "",
        "bot/github/rest.py": 'URL = "https://api.github.com"\n',
        "bot/report.py": f'HOME = "{PROJECT_HOME}"\n',
        "bot/app/pipeline.py": 'def url(repo):\n    return f"/repos/{repo}/pulls"\n',
    })
    assert github_address_violations(bad) == ["bot/app/pipeline.py:2 spells '/repos/'"]


def app_extra_violations(root: Path) -> list[str]:
    """Libraries the App's front ends import that neither the core dependencies nor the
    `[app]` extra declares (an install of `ssot-bot[app]` would lack them), and CLI
    libraries left out of the core (an install of `ssot-bot` would lack them)."""
    core, app = declared_libraries(root), declared_libraries(root, "app")
    found = [f"{top}: the CLI loads it, so the core dependencies must declare it"
             for top in sorted(CLI_THIRD_PARTY) if not (_distributions(top) | {top}) & core]
    for module, path in module_files(root, "bot").items():
        if not module.startswith(APP_AND_REDIS):
            continue
        for target, line in imports_of(module, path):
            top = target.split(".")[0]
            if top in sys.stdlib_module_names or top in ("bot", "analyzers"):
                continue
            if not (_distributions(top) | {_normalised(top)}) & (core | app):
                found.append(f"{path.relative_to(root)}:{line} imports {top}: not in [app]")
    return sorted(set(found))


def test_the_apps_libraries_are_the_app_extra_and_the_clis_the_core() -> None:
    assert app_extra_violations(ROOT) == []
    assert declared_libraries(ROOT) == {"libcst"}
    assert {"aiohttp", "gidgethub", "redis", "sentry-sdk"} <= declared_libraries(ROOT, "app")


def test_the_app_extra_checker_finds_an_undeclared_library(tmp_path: Path) -> None:
    bad = tree(tmp_path, {
        "pyproject.toml": '[project]\nname = "t"\ndependencies = ["libcst>=1"]\n'
                          '[project.optional-dependencies]\napp = ["aiohttp"]\n',
        "bot/__init__.py": "",
        "bot/app/__init__.py": "",
        "bot/app/server.py": "import aiohttp\nimport yaml\n",
    })
    assert app_extra_violations(bad) == ["bot/app/server.py:2 imports yaml: not in [app]"]
