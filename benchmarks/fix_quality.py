"""Quality of the fixes (issue 12): SSOT breaches injected into real projects, fixed,
and checked.

For each project (git checkouts under `--corpus`, never copied into this repository), one
synthetic change per breach, into a module B of the project's package, copying from
another module A:
  constant  a module-level `NAME = <literal>` of A, restated at the end of B (SS202);
  function  a top-level function of A (at least three lines), verbatim at the end of B
            (SS201);
  config    an environment read of A (`os.environ.get("X")`, `os.getenv("X")`), bound at
            the top level of B (SS204); `config-modules` names A when A binds that read
            to a module-level name (the fix needs a name to import), and is left unset
            otherwise, so the finding is the "second truth" warning, which has no fix.
The rest of the package is the context. Every finding on the injected lines counts. For
each one with a fix, that fix alone is applied (unsafe ones included) and the result must
parse (`ast`) and re-audit with no finding on the file's changed lines at all.

Test suites (`--test-projects`, default marshmallow and click: their tests need only
pytest and simplejson, installable offline from the local index): the project is cloned
into /tmp and installed editable in a throwaway venv there; its suite runs once as it is,
then once with the fixed modules of up to `--suite-fixes` fixes written in (distinct
modules, so fixes do not meet). Green means no test that passed before fails after.

libcst's cost: the fixer runs in-process here, timed per call and divided by the files in
it (the App and the CLI run the same `fix_files` in a child process, which adds a spawn).

    .venv/bin/python benchmarks/fix_quality.py [--corpus DIR] [--projects a,b]
        [--samples N] [--test-projects a,b] [--suite-fixes N] [--seed N]
"""

from __future__ import annotations

import argparse
import ast
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analyzers import AuditRequest, ChangeStatus, FileChange, Finding, audit
from analyzers.fixes import FixJob, FixOutcome
from analyzers.fixes.edits import apply_to_bytes
from analyzers.fixes.run import fix_files
from analyzers.paths import is_example_path, is_test_path
from bot.local import fixes as local_fixes

PACKAGES = {"falcon": "falcon", "click": "src/click", "httpx": "httpx",
            "marshmallow": "src/marshmallow", "pytest": "src/_pytest", "httpie": "httpie",
            "starlette": "starlette"}
"""Each project's importable package, relative to its checkout."""
SOURCE_ROOT = {"click": "src", "marshmallow": "src"}
"""What goes on PYTHONPATH for the test suite (the checkout itself otherwise)."""
TEST_DEPENDENCIES = {"marshmallow": ["pytest", "simplejson"], "click": ["pytest"]}
KINDS = ("constant", "function", "config")
ENV_READERS = frozenset({"getenv", "get"})


@dataclass(frozen=True, slots=True)
class Breach:
    kind: str
    source: str
    """Module A, copied from."""
    target: str
    """Module B, copied into."""
    snippet: str
    config_module: bool = False
    """A binds the read to a module-level name (SS204's fix needs one)."""


@dataclass(slots=True)
class Tally:
    injected: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    with_fix: Counter[str] = field(default_factory=Counter)
    parses: Counter[str] = field(default_factory=Counter)
    clean: Counter[str] = field(default_factory=Counter)
    no_fix_reasons: Counter[str] = field(default_factory=Counter)
    not_clean: list[str] = field(default_factory=list)
    fixed: list[tuple[str, bytes]] = field(default_factory=list)
    """(path, fixed contents) of every fix that parsed and re-audited clean."""


class TimedFixer:
    """`fix_files` in this process, timed per call."""

    def __init__(self) -> None:
        self.seconds_per_file: list[float] = []

    def __call__(self, jobs: Sequence[FixJob]) -> list[FixOutcome]:
        started = time.perf_counter()
        outcomes = fix_files(jobs)
        self.seconds_per_file.append((time.perf_counter() - started) / len(jobs))
        return outcomes


def package_files(checkout: Path, package: str) -> dict[str, bytes]:
    listed = subprocess.run(["git", "-C", str(checkout), "ls-files", "-z", "--", "*.py"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    return {path: (checkout / path).read_bytes() for path in listed
            if path.endswith(".py") and (checkout / path).is_file()
            and (path.startswith(package + "/") or not (is_test_path(path)
                                                          or is_example_path(path)))
            and not path.startswith(("docs/", "examples/"))}


def candidates(files: dict[str, bytes], package: str) -> dict[str, list[Breach]]:
    """Every breach of each kind this package offers (target chosen later)."""
    found: dict[str, list[Breach]] = {kind: [] for kind in KINDS}
    for path, data in files.items():
        if not path.startswith(package + "/") or is_test_path(path):
            continue
        try:
            tree = ast.parse(data)
        except SyntaxError:
            continue
        text = data.decode("utf-8", "replace")
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id.isupper() and len(node.targets[0].id) > 3 \
                    and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str | int) \
                    and not isinstance(node.value.value, bool):
                found["constant"].append(Breach("constant", path, "",
                                                ast.get_source_segment(text, node) or ""))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and (node.end_lineno or node.lineno) - node.lineno >= 2:
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                lines = text.splitlines(keepends=True)[first - 1:node.end_lineno]
                found["function"].append(Breach("function", path, "", "".join(lines)))
        bound = {id(n.value) for n in tree.body if isinstance(n, ast.Assign)}
        for call in ast.walk(tree):
            read = _env_read(call)
            if read is not None:
                segment = ast.get_source_segment(text, call) or ""
                found["config"].append(Breach("config", path, "",
                                              f"INJECTED_{read} = {segment}\n",
                                              config_module=id(call) in bound))
    return found


def _env_read(node: ast.AST) -> str | None:
    """The variable an `os.environ.get("X")` / `os.getenv("X")` call reads."""
    if not isinstance(node, ast.Call) or not node.args \
            or not isinstance(node.args[0], ast.Constant) \
            or not isinstance(node.args[0].value, str):
        return None
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in ENV_READERS:
        return None
    receiver = ast.unparse(func.value)
    if receiver not in ("os", "os.environ") or (func.attr == "get") != (receiver == "os.environ"):
        return None
    key = node.args[0].value
    return key if key.isidentifier() else None


def inject(files: dict[str, bytes], breach: Breach) -> tuple[AuditRequest, set[int]]:
    head = files[breach.target].decode("utf-8")
    lines = head.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    prefix: list[str] = []
    if breach.kind == "config" and "import os\n" not in head:
        prefix = ["import os\n"]
    gap = ["\n", "\n"] if breach.kind == "function" else ["\n"]
    body = prefix + lines + gap
    start = len(body) + 1
    body.append(breach.snippet if breach.snippet.endswith("\n") else breach.snippet + "\n")
    injected = set(range(start, start + breach.snippet.count("\n") + 1)) | (
        {1} if prefix else set())
    config = (f'[tool.ssot]\nconfig-modules = ["{breach.source}"]\n'
              if breach.kind == "config" and breach.config_module else None)
    change = FileChange(breach.target, ChangeStatus.MODIFIED, "".join(body).encode(),
                        base=files[breach.target], changed_lines=frozenset(injected))
    context = {p: d for p, d in files.items() if p != breach.target}
    return AuditRequest(changes=(change,), context=context, config_text=config), injected


def evaluate(files: dict[str, bytes], breach: Breach, tally: Tally, fixer: TimedFixer
             ) -> None:
    request, injected = inject(files, breach)
    result = audit(request, fixer=fixer)
    tally.injected[breach.kind] += 1
    ours = [f for f in result.active if f.path == breach.target and f.rule != "SX010"
            and injected & set(range(f.line, f.end_line + 1))]
    for note in (f for f in result.findings if f.rule == "SX010"):
        tally.no_fix_reasons[_reason(note)] += 1
    if ours:
        tally.detected[breach.kind] += 1
    for finding in ours:
        tally.findings[breach.kind] += 1
        if finding.fix is None:
            continue
        tally.with_fix[breach.kind] += 1
        fixed = apply_to_bytes(request.changes[0].head or b"", finding.fix.edits)
        try:
            ast.parse(fixed)
        except SyntaxError:
            continue
        tally.parses[breach.kind] += 1
        again = audit(local_fixes.after_fixes(request, {breach.target: fixed}))
        left = [f for f in again.active if f.path == breach.target]
        if left:
            tally.not_clean.append(f"{breach.kind} {breach.source} -> {breach.target}: "
                                   + ", ".join(f"{f.rule} {f.message[:80]}" for f in left))
            continue
        tally.clean[breach.kind] += 1
        tally.fixed.append((breach.target, fixed))


def _reason(note: Finding) -> str:
    reason = note.message.split(": ", 1)[-1]
    for word in ("import cycle", "not importable", "standalone", "script, test",
                 "no import facts", "not the same code", "same module"):
        if word in reason:
            return word
    return reason[:60]


def run_suite(project: str, checkout: Path, workdir: Path,
              fixed: Sequence[tuple[str, bytes]]) -> tuple[int, int, set[str]]:
    """(passed, failed, failing test ids) of the project's suite, with `fixed` written."""
    clone = workdir / project
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", "--shared", str(checkout), str(clone)],
                       check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--", "."], check=True)
    for path, data in fixed:
        (clone / path).write_bytes(data)
    python = _venv(project, workdir, clone)
    root = clone / SOURCE_ROOT.get(project, "")
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", "tests"],
        cwd=clone, capture_output=True, text=True, env={"PYTHONPATH": str(root),
                                                         "PATH": "/usr/bin:/bin"})
    failing = {line.split()[1] for line in done.stdout.splitlines()
               if line.startswith("FAILED ")}
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    passed = _count(summary, "passed")
    return passed, _count(summary, "failed") + _count(summary, "error"), failing


def _venv(project: str, workdir: Path, clone: Path) -> Path:
    """A venv with the test dependencies and the clone installed editable (click's tests
    read its version from the installed metadata)."""
    venv = workdir / f"venv-{project}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        *TEST_DEPENDENCIES[project], "-e", str(clone)], check=True,
                       capture_output=True)
    return python


def _count(summary: str, word: str) -> int:
    for part in summary.replace(",", " ").split(" in ")[0].split("  "):
        bits = part.split()
        if len(bits) >= 2 and bits[1].startswith(word):
            return int(bits[0])
    numbers = [int(a) for a, b in zip(summary.split(), summary.split()[1:], strict=False)
               if b.startswith(word) and a.isdigit()]
    return numbers[0] if numbers else 0


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--projects", default="marshmallow,click,httpx,falcon,httpie")
    parser.add_argument("--samples", type=int, default=8, help="breaches per kind and project")
    parser.add_argument("--test-projects", default="marshmallow,click")
    parser.add_argument("--suite-fixes", type=int, default=6)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fixer = TimedFixer()
    total = Tally()
    per_project: dict[str, Tally] = {}
    for project in args.projects.split(","):
        checkout, package = args.corpus / project, PACKAGES[project]
        files = package_files(checkout, package)
        targets = sorted(p for p in files if p.startswith(package + "/")
                         and not p.endswith("__init__.py") and not is_test_path(p))
        tally = per_project[project] = Tally()
        for kind, found in candidates(files, package).items():
            for breach in rng.sample(found, min(args.samples, len(found))):
                target = rng.choice([t for t in targets if t != breach.source])
                breach = Breach(kind, breach.source, target, breach.snippet,
                                breach.config_module)
                evaluate(files, breach, tally, fixer)
        print(f"{project}: {sum(tally.injected.values())} breaches injected")
    for tally in per_project.values():
        for name in ("injected", "detected", "findings", "with_fix", "parses", "clean",
                     "no_fix_reasons"):
            getattr(total, name).update(getattr(tally, name))
        total.not_clean.extend(tally.not_clean)

    print("\nper kind: injected, detected, findings with a fix, fixes that parse, "
          "fixes that re-audit clean")
    for kind in KINDS:
        print(f"  {kind:9} {total.injected[kind]:3}"
              f"  detected {share(total.detected[kind], total.injected[kind])}"
              f"  with a fix {share(total.with_fix[kind], total.findings[kind])}"
              f"  parse {share(total.parses[kind], total.with_fix[kind])}"
              f"  clean {share(total.clean[kind], total.with_fix[kind])}")
    findings, with_fix = sum(total.findings.values()), sum(total.with_fix.values())
    print(f"  all       findings with a fix {share(with_fix, findings)}; fixes that parse "
          f"{share(sum(total.parses.values()), with_fix)}; re-audit clean "
          f"{share(sum(total.clean.values()), with_fix)}")
    print("no fix, why (SX010 notes):", dict(total.no_fix_reasons.most_common()))
    for line in total.not_clean[:10]:
        print("  not clean:", line)
    costs = sorted(fixer.seconds_per_file)
    if costs:
        print(f"libcst per fixed file: median {statistics.median(costs) * 1000:.0f} ms, "
              f"p90 {costs[int(len(costs) * 0.9)] * 1000:.0f} ms, "
              f"max {costs[-1] * 1000:.0f} ms over {len(costs)} files")

    with tempfile.TemporaryDirectory(prefix="fix-quality-", dir="/tmp") as scratch:
        for project in filter(None, args.test_projects.split(",")):
            if project not in per_project:
                print(f"{project}: not among --projects, suite not run")
                continue
            chosen: dict[str, bytes] = {}
            for path, data in per_project[project].fixed:
                if path not in chosen and len(chosen) < args.suite_fixes:
                    chosen[path] = data
            checkout = args.corpus / project
            before = run_suite(project, checkout, Path(scratch), [])
            after = run_suite(project, checkout, Path(scratch), list(chosen.items()))
            broken = after[2] - before[2]
            if not before[0]:
                verdict = "the suite does not run here, so nothing is measured"
            else:
                verdict = "green" if not broken and after[0] >= before[0] else "RED"
            print(f"{project} test suite: {before[0]} passed, {before[1]} failed as it is; "
                  f"{after[0]} passed, {after[1]} failed with {len(chosen)} fixed modules "
                  f"({', '.join(sorted(chosen))}): {verdict}"
                  + (f"; newly failing: {sorted(broken)[:5]}" if broken else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
