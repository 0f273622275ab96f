"""ssot-bot side by side with the tools a user would run instead, on one corpus.

    .venv/bin/python benchmarks/compare.py CORPUS [--peers-dir DIR] [--skip TOOL ...]
                                          [--json FILE]

CORPUS is a git checkout (read-only: everything runs in a temporary `git clone --shared`
of its HEAD). Every tool sees the same files: the `.py` files git tracks at HEAD, passed
by name. Each run is one child process measured with `os.wait4`: wall seconds, CPU
seconds (user + system, the child and every process it waited for) and peak RSS (of the
largest single process: a pool's workers are not summed).

ssot-bot runs: `--all` with silent failures only (`select = ["SF"]`), duplicates only
(`select = ["DU"]`), every family; and a 20-file pull request, cold (no facts cache) and
warm (the same audit again, the cache filled by the cold one). The pull request is
synthetic and reproducible: the 20 files at evenly spaced positions of the sorted list
each get a function appended with a quiet `except Exception: pass`, committed on top of
HEAD. The floor is a one-process loop that reads and `ast.parse`s every file.

Peers, installed on first use into `--peers-dir` (default ~/.cache/ssot-bot-benchmarks,
never the repository): ruff (the silent-failure rules BLE001, E722, S110, S112, SIM105),
pylint (broad-exception-caught and bare-except; duplicate-code), arid (duplicate code,
from PyPI) and jscpd (duplicate code, from npm). A tool that cannot be installed is
reported as missing, not silently left out.

Findings must not change with a speed change: `--record-findings DIR CORPUS...` writes,
per corpus, the JSON report of `--all` (every family, no cache) and of the synthetic pull
request audited cold and then warm (which must agree; a differing warm report is written
beside it). `--compare-findings BEFORE AFTER` diffs two such directories. Timing
(`stats.seconds`) is left out; nothing else is.

    .venv/bin/python benchmarks/compare.py --record-findings /tmp/before /work/corpus/click
    .venv/bin/python benchmarks/compare.py --compare-findings /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SSOT_BOT = Path(sys.executable).parent / "ssot-bot"
PR_FILES = 20
RUFF_SILENT_FAILURE_RULES = "BLE001,E722,S110,S112,SIM105"
PYLINT_SILENT_FAILURE_CHECKS = "broad-exception-caught,bare-except"
PEER_VERSIONS = {"ruff": "ruff==0.17.*", "pylint": "pylint==4.*", "arid": "arid==2.*",
                 "jscpd": "jscpd@5.3.3"}
"""jscpd 5.4 has no Linux binary on npm yet; 5.3.3 is the newest that runs."""
APPENDED = '''

def _ssot_benchmark_probe_{n}(value):
    try:
        return int(value)
    except Exception:
        pass
'''
"""What the synthetic pull request appends to each of its files: one silent failure."""
FIXED_DATE = "2026-01-01T00:00:00Z"
"""The synthetic commit's dates, so its sha (named in every report) is the same each run."""
FLOOR = """
import ast, sys, warnings
warnings.simplefilter("ignore")
for name in open(sys.argv[1]).read().split("\\0"):
    if name:
        try:
            ast.parse(open(name, "rb").read(), name)
        except (SyntaxError, ValueError):
            pass
"""


@dataclass(frozen=True, slots=True)
class Run:
    tool: str
    wall: float
    cpu: float
    rss_mb: float
    findings: int | None
    """None when the tool failed or is missing (`note` says why)."""
    note: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="+",
                        help="one corpus; with --record-findings, any number")
    parser.add_argument("--peers-dir", type=Path,
                        default=Path.home() / ".cache" / "ssot-bot-benchmarks")
    parser.add_argument("--skip", nargs="*", default=[],
                        help="run names to leave out (e.g. pylint-duplicates, all)")
    parser.add_argument("--json", type=Path, help="also write the runs here")
    parser.add_argument("--record-findings", type=Path, metavar="DIR",
                        help="instead of timing, write each corpus's reports to DIR")
    parser.add_argument("--compare-findings", action="store_true",
                        help="instead of timing, compare the reports of two "
                        "--record-findings directories (given as the two corpus arguments)")
    args = parser.parse_args(argv)
    if args.compare_findings:
        before, after = args.corpus
        return compare_findings(before, after)
    if args.record_findings is not None:
        args.record_findings.mkdir(parents=True, exist_ok=True)
        for corpus in args.corpus:
            record_findings(corpus, args.record_findings)
        return 0
    (corpus,) = args.corpus
    with tempfile.TemporaryDirectory(prefix="ssot-compare-") as scratch:
        clone = _clone(corpus, Path(scratch))
        files = python_files(clone)
        lines = sum(len((clone / f).read_bytes().splitlines()) for f in files)
        print(f"{corpus.name}: {len(files):,} Python files, {lines:,} lines, "
              f"{os.cpu_count()} cores", flush=True)
        runs = _run_all(clone, files, Path(scratch), args.peers_dir, set(args.skip))
    _print(runs)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2) + "\n")
    return 0


def _run_all(clone: Path, files: list[str], scratch: Path, peers: Path,
             skip: set[str]) -> list[Run]:
    runs: list[Run] = []

    def record(name: str, make: Callable[[], Run]) -> None:
        if name in skip:
            return
        run = make()
        print(f"  {run.tool:<22} {run.wall:8.2f} s wall {run.cpu:8.2f} s CPU "
              f"{run.rss_mb:7.0f} MB  {_count(run)}", flush=True)
        runs.append(run)

    listing = scratch / "files.nul"
    listing.write_bytes(b"\0".join(f.encode() for f in files))
    record("floor", lambda: _measure("ast.parse loop", [sys.executable, "-c", FLOOR,
                                                         str(listing)], clone, None))
    for family, select in (("sf", '["SF"]'), ("du", '["DU"]'), ("all", None)):
        config = scratch / f"{family}.toml"
        config.write_text("[tool.ssot]\n" + (f"select = {select}\n" if select else ""))
        command = [str(SSOT_BOT), "audit", "--all", "--head", "HEAD", "--no-cache",
                   "--format", "json", "--exit-zero", "--config", str(config)]
        record(family, functools.partial(_measure, f"ssot-bot --all {family}", command, clone,
                                         _ssot_findings))
    base, head = make_pull_request(clone, files)
    pr = [str(SSOT_BOT), "audit", "--base", base, "--head", head, "--format", "json",
          "--exit-zero"]
    cache = clone / ".git" / "ssot-bot"
    record("pr-cold", lambda: _cold(cache, lambda: _measure(
        f"ssot-bot PR {PR_FILES} cold", pr, clone, _ssot_findings)))
    record("pr-warm", lambda: _measure(f"ssot-bot PR {PR_FILES} warm", pr, clone,
                                       _ssot_findings))
    record("ruff", lambda: _peer(peers, "ruff", lambda exe: _measure(
        "ruff (SF rules)", [exe, "check", "--no-cache", "--isolated", "--exit-zero",
                            "--select", RUFF_SILENT_FAILURE_RULES, "--output-format",
                            "json", *files], clone, _json_list_length)))
    record("pylint-sf", lambda: _peer(peers, "pylint", lambda exe: _measure(
        "pylint (broad-except)", [exe, "--disable=all",
                                  f"--enable={PYLINT_SILENT_FAILURE_CHECKS}",
                                  "--output-format=json", "--exit-zero", "--recursive=n",
                                  *files], clone, _json_list_length)))
    record("pylint-duplicates", lambda: _peer(peers, "pylint", lambda exe: _measure(
        "pylint (duplicate-code)", [exe, "--disable=all", "--enable=duplicate-code",
                                    "--output-format=json", "--exit-zero", *files], clone,
        _json_list_length)))
    record("arid", lambda: _peer(peers, "arid", lambda exe: _measure(
        "arid", [exe, "--no-config", "--format", "json", "--no-fail-on-findings", *files],
        clone, _arid_findings)))
    report = scratch / "jscpd"
    record("jscpd", lambda: _peer(peers, "jscpd", lambda exe: _measure(
        "jscpd", [exe, "--format", "python", "--reporters", "json", "--output", str(report),
                  "--silent", "."], clone,
        lambda _out: _jscpd_findings(report))))
    return runs


def _clone(corpus: Path, scratch: Path) -> Path:
    clone = scratch / "repo"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(corpus.resolve()), str(clone)],
                   check=True)
    return clone


def python_files(clone: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--", "*.py"], cwd=clone, check=True,
                            capture_output=True).stdout
    return sorted(name for name in listed.decode().split("\0") if name)


def make_pull_request(clone: Path, files: list[str]) -> tuple[str, str]:
    """Commit the synthetic change on top of HEAD; (base, head) shas."""
    base = _git(clone, "rev-parse", "HEAD")
    step = max(1, len(files) // PR_FILES)
    for n, name in enumerate(files[::step][:PR_FILES]):
        with (clone / name).open("a", encoding="utf-8") as handle:
            handle.write(APPENDED.format(n=n))
    _git(clone, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
         "commit", "--quiet", "--no-verify", "-am", "synthetic 20-file change",
         environment={"GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE})
    return base, _git(clone, "rev-parse", "HEAD")


def _git(clone: Path, *args: str, environment: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=clone, check=True, capture_output=True,
                          text=True, env={**os.environ, **(environment or {})}).stdout.strip()


def _cold(cache: Path, measure: Callable[[], Run]) -> Run:
    """Measure with the facts cache removed, as on a fresh clone."""
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    return measure()


def _measure(tool: str, command: list[str], cwd: Path,
             count: Callable[[bytes], int] | None) -> Run:
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    cpu = usage.ru_utime + usage.ru_stime
    rss = usage.ru_maxrss / 1024
    if process.returncode != 0:
        last = errors.decode("utf-8", "replace").strip().splitlines()[-1:]
        return Run(tool, wall, cpu, rss, None, f"exit {process.returncode}: {''.join(last)}")
    try:
        return Run(tool, wall, cpu, rss, count(output) if count else None)
    except (ValueError, KeyError, OSError) as exc:
        return Run(tool, wall, cpu, rss, None, f"unreadable output: {exc}")


def _ssot_findings(output: bytes) -> int:
    return sum(1 for f in json.loads(output)["findings"] if not f["rule"].startswith("SX"))


def _json_list_length(output: bytes) -> int:
    return len(json.loads(output or b"[]"))


def _arid_findings(output: bytes) -> int:
    document = json.loads(output)
    for key in ("duplicates", "findings", "groups", "results"):
        if isinstance(document.get(key), list):
            return len(document[key])
    raise KeyError(f"no list of findings among {sorted(document)}")


def _jscpd_findings(report: Path) -> int:
    return len(json.loads((report / "jscpd-report.json").read_text())["duplicates"])


def _peer(peers: Path, name: str, run: Callable[[str], Run]) -> Run:
    try:
        executable = _install(peers, name)
    except (OSError, subprocess.CalledProcessError) as exc:
        return Run(name, 0.0, 0.0, 0.0, None, f"missing: {exc}")
    return run(executable)


def _install(peers: Path, name: str) -> str:
    """The peer's executable, installed into `peers` the first time."""
    if name == "jscpd":
        executable = peers / "node" / "node_modules" / ".bin" / "jscpd"
        if not executable.exists():
            (peers / "node").mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--silent", "--prefix", str(peers / "node"),
                            PEER_VERSIONS[name]], check=True)
        return str(executable)
    venv = peers / "venv"
    executable = venv / "bin" / name
    if not executable.exists():
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        PEER_VERSIONS[name]], check=True)
    return str(executable)


def record_findings(corpus: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ssot-same-") as scratch:
        clone = _clone(corpus, Path(scratch))
        everything = _report(clone, ["--all", "--head", "HEAD", "--no-cache"])
        (out / f"{corpus.name}-all.json").write_text(everything)
        base, head = make_pull_request(clone, python_files(clone))
        pull = ["--base", base, "--head", head]
        cold, warm = _report(clone, pull), _report(clone, pull)
        (out / f"{corpus.name}-pr.json").write_text(cold)
        if warm != cold:
            (out / f"{corpus.name}-pr-warm.json").write_text(warm)
            print(f"{corpus.name}: the warm pull-request audit differs from the cold one",
                  file=sys.stderr)
        print(f"{corpus.name}: recorded", flush=True)


def _report(clone: Path, args: list[str]) -> str:
    done = subprocess.run([str(SSOT_BOT), "audit", *args, "--format", "json", "--exit-zero"],
                          cwd=clone, check=True, capture_output=True)
    document = json.loads(done.stdout)
    document["stats"].pop("seconds", None)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def compare_findings(before: Path, after: Path) -> int:
    differing = 0
    for old in sorted(before.glob("*.json")):
        new = after / old.name
        if not new.exists():
            print(f"{old.name}: missing after")
            differing += 1
            continue
        if old.read_bytes() != new.read_bytes():
            differing += 1
            sys.stdout.writelines(difflib.unified_diff(
                old.read_text().splitlines(keepends=True),
                new.read_text().splitlines(keepends=True), str(old), str(new), n=1))
    print(f"{differing} of {len(list(before.glob('*.json')))} reports differ")
    return 1 if differing else 0


def _count(run: Run) -> str:
    return f"{run.findings:,} findings" if run.findings is not None else run.note


_RATIOS = (
    ("ssot-bot --all sf", "ast.parse loop"),
    ("ssot-bot --all sf", "ruff (SF rules)"),
    ("ssot-bot --all sf", "pylint (broad-except)"),
    ("ssot-bot --all du", "arid"),
    ("ssot-bot --all du", "jscpd"),
    ("ssot-bot --all du", "pylint (duplicate-code)"),
    ("ssot-bot --all all", "pylint (duplicate-code)"),
    ("ssot-bot --all all", "ast.parse loop"),
    (f"ssot-bot PR {PR_FILES} cold", "ast.parse loop"),
    (f"ssot-bot PR {PR_FILES} warm", "ast.parse loop"),
)


def _print(runs: list[Run]) -> None:
    by_tool = {r.tool: r for r in runs}
    print("\n| tool | wall s | CPU s | peak RSS MB | findings |\n|---|---|---|---|---|")
    for run in runs:
        print(f"| {run.tool} | {run.wall:.2f} | {run.cpu:.2f} | {run.rss_mb:.0f} | "
              f"{_count(run)} |")
    print("\n| ours / peer | wall | CPU | RSS |\n|---|---|---|---|")
    for ours, peer in _RATIOS:
        mine, theirs = by_tool.get(ours), by_tool.get(peer)
        if mine is None or theirs is None or mine.note or theirs.note:
            continue
        print(f"| {ours} / {peer} | {_ratio(mine.wall, theirs.wall)} | "
              f"{_ratio(mine.cpu, theirs.cpu)} | {_ratio(mine.rss_mb, theirs.rss_mb)} |")


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}x" if theirs > 0 else "-"


if __name__ == "__main__":
    raise SystemExit(main())
