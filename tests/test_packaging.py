"""What a user installs: the sdist and wheel build and install into a clean venv whose
CLI runs without the App's libraries; the pre-commit hook as pre-commit runs it; the
README names a release that exists; and no test is ever skipped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import yaml

from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SWALLOWS = "def load(path):\n    try:\n        return open(path).read()\n    except:\n" \
           "        return None\n"


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=timeout)


def test_sdist_and_wheel_install_into_a_clean_venv_and_the_cli_needs_no_app_library(
        tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT)
    assert built.returncode == 0, built.stderr[-2000:]
    version = PYPROJECT["project"]["version"]
    assert (dist / f"ssot_bot-{version}.tar.gz").exists()
    [wheel] = dist.glob(f"ssot_bot-{version}-*.whl")
    clean = tmp_path / "venv"
    venv.create(clean, with_pip=True)
    python = clean / "bin" / "python"
    installed = run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    assert installed.returncode == 0, installed.stderr[-2000:]
    absent = run(python, "-c", "import importlib.util as u; print([m for m in ('aiohttp', "
                 "'gidgethub', 'redis', 'sentry_sdk', 'jwt', 'cachetools') if u.find_spec(m)])")
    assert absent.stdout.strip() == "[]"
    repo = GitRepo(tmp_path / "repo")
    repo.commit("code", {"app/__init__.py": "", "app/loader.py": SWALLOWS})
    audited = run(clean / "bin" / "ssot-bot", "audit", "--all", "--repo", repo.root)
    assert audited.returncode == 1, audited.stderr
    assert "SF101 bare-except-swallowed [error]" in audited.stdout
    for command in ("serve", "setup"):
        refused = run(clean / "bin" / "ssot-bot", command)
        assert refused.returncode == 2, command
        assert "pip install 'ssot-bot[app]'" in refused.stderr
    # `ssot-bot setup` of an installed wheel posts the top-level app.yaml it ships: the
    # wheel's own modules (first on the path) find it, with the App's libraries of ours.
    [site] = clean.glob("lib/python*/site-packages")
    found = run(sys.executable, "-c", "from bot.github.manifest import manifest_file, "
                "read_manifest; print(manifest_file()); print(read_manifest()['name'])",
                cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)})
    assert found.returncode == 0, found.stderr[-2000:]
    shipped = clean / "share" / "ssot-bot" / "app.yaml"
    assert found.stdout.splitlines() == [str(shipped.resolve()), "SSOT audit"]
    assert shipped.read_bytes() == (ROOT / "app.yaml").read_bytes()


def test_the_pre_commit_hook_blocks_on_errors_with_the_findings_shown(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "user-repo")
    repo.commit("legacy", {"app/__init__.py": "", "app/loader.py": SWALLOWS,
                           "app/clean.py": "def total(items):\n    return sum(items)\n"})
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = Path(sys.executable).parent / "pre-commit"
    # pre-commit.ci and `pre-commit run --all-files`: nothing staged, every file passed.
    done = run(pre_commit, "try-repo", ROOT, "ssot-audit", "--all-files", cwd=repo.root,
               env=env)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "app/loader.py:4:5: SF101 bare-except-swallowed [error]" in done.stdout
    # A commit's run: only the staged change counts, so the legacy handler is not blamed.
    repo.write("app/clean.py", "def total(items):\n    return sum(items or ())\n")
    repo.git("add", "app/clean.py")
    staged = run(pre_commit, "try-repo", ROOT, "ssot-audit", cwd=repo.root, env=env)
    assert staged.returncode == 0, staged.stdout[-3000:]
    repo.write("app/new.py", SWALLOWS.replace("load", "fetch"))
    repo.git("add", "app/new.py")
    blocked = run(pre_commit, "try-repo", ROOT, "ssot-audit", cwd=repo.root, env=env)
    assert blocked.returncode == 1
    assert "app/new.py:4:5: SF101" in blocked.stdout
    assert "app/loader.py:4:5" not in blocked.stdout  # the legacy handler: not blamed


def test_the_hook_file_is_the_one_the_readme_names() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert f"hooks: [{{id: {hook['id']}}}]" in README
    assert hook["entry"] == "ssot-bot audit --staged"


def test_readme_snippets_name_the_release_the_package_and_changelog_have() -> None:
    version = PYPROJECT["project"]["version"]
    tags = set(re.findall(r"(?:rev: |@)(v\d+\.\d+\.\d+)", README))
    assert tags == {f"v{version}"}
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog,
                     re.M)
    # The tag itself is made at release (`git tag -a v…`); a clone that has it must have
    # it on this version.
    tagged = run("git", "show", f"v{version}:pyproject.toml", cwd=ROOT)
    if tagged.returncode == 0:
        assert f'version = "{version}"' in tagged.stdout


def test_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text(
        "import pytest\n\n\ndef test_runs():\n    pass\n\n\n"
        "@pytest.mark.skip(reason='not here')\ndef test_skipped():\n    pass\n")
    done = run(sys.executable, "-m", "pytest", "-q", "-p", "tests.no_skips", "-p",
               "no:cacheprovider", tmp_path, cwd=ROOT,
               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stdout
    assert "1 test(s) skipped; the suite must run whole" in done.stdout
