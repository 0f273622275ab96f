"""Speed and memory of an incremental audit (all rule families, duplicates included)
against growing context, compared with full-repository duplicate detectors run on the
same files on the same machine.

The change: 20 files of the code base, each with 40 of its lines marked changed. The
context: the first 100, 200 (the default neighbour budget), 1,000 and all other files.
Each scenario runs in its own process so its peak memory (ru_maxrss) is its own:
  cold  the facts cache starts empty: every context file is parsed and fingerprinted,
        on --jobs processes (default: every core), as `ssot-bot audit --jobs` does;
  warm  the cache was filled by an earlier audit (not timed): only the change is read,
        in one process.
Peers: pylint's duplicate-code checker (min-similarity-lines 6) over every file, and
jscpd 4 when `npx` can run it.

    .venv/bin/python benchmarks/duplicates_speed.py [--corpus DIR] [--jobs N] [--no-peers]

Whole-tree findings, for speed changes that must not change them: `--snapshot DIR`
runs `ssot-bot audit --all --format json --no-cache` (every family) on each repository
of `--repos` (git checkouts; default falcon, click, sqlalchemy and aiohttp under
/work/corpus) and writes DIR/<name>.json with the findings alone (the run's timings left
out), plus the wall, CPU and peak RSS of a DU-only `--all` run of each (`/usr/bin/time
-v`); `--compare DIR_A DIR_B` says whether two snapshots hold byte-identical findings
and prints both runs' figures.

    .venv/bin/python benchmarks/duplicates_speed.py --snapshot DIR [--repos A,B]
    .venv/bin/python benchmarks/duplicates_speed.py --compare DIR_A DIR_B
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.engine import FactsCache

CORPUS = Path("/work/corpus/Django-5.2")
CHANGED_FILES = 20
CHANGED_LINES = 40
CONTEXT_SIZES = (100, 200, 1000, None)
"""None: every other file of the code base."""
SEED = 7
T = TypeVar("T")
R = TypeVar("R")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-peers", action="store_true", help="skip pylint and jscpd")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes for a cold index (default: every core)")
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", type=Path, help="write whole-tree findings here")
    parser.add_argument("--repos", default=",".join(str(r) for r in SNAPSHOT_REPOS))
    parser.add_argument("--compare", nargs=2, type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.snapshot:
        return _snapshot(args.snapshot, [Path(r) for r in args.repos.split(",")])
    if args.compare:
        return _compare(*args.compare)
    if args.measure:
        print(json.dumps(_measure(args.measure)))
        return 0
    if not args.corpus.is_dir():
        print(f"{args.corpus} not found: pass --corpus DIR (a tree of .py files)",
              file=sys.stderr)
        return 2
    if args.scenario:
        print(json.dumps(_scenario(args.corpus, args.scenario, args.jobs)))
        return 0
    files = sorted(args.corpus.rglob("*.py"))
    print(f"corpus {args.corpus}: {len(files)} files; change: {CHANGED_FILES} files x "
          f"{CHANGED_LINES} changed lines; cold index on {args.jobs} processes")
    print(f"{'scenario':<28}{'seconds':>10}{'peak MiB':>10}{'worker MiB':>12}")
    fastest_warm_full = 0.0
    for size in CONTEXT_SIZES:
        for state in ("cold", "warm"):
            name = f"{state}:{size or 'all'}"
            figures = _in_subprocess(args.corpus, name, args.jobs)
            label = f"{state}, {figures['context']} context files"
            print(f"{label:<28}{figures['seconds']:>10.3f}{figures['peak_mib']:>10.0f}"
                  f"{figures['worker_mib']:>12.0f}")
            if size is None and state == "warm":
                fastest_warm_full = figures["seconds"]
    if args.no_peers:
        return 0
    peers = [_pylint(files)]
    jscpd = _jscpd(args.corpus)
    if jscpd is not None:
        peers.append(jscpd)
    for peer, seconds, peak in peers:
        print(f"{peer:<28}{seconds:>10.3f}{peak:>10.0f}")
    fastest_name, fastest, _ = min(peers, key=lambda p: p[1])
    print(f"fastest full-repository peer: {fastest_name}; ratio peer / warm incremental audit "
          f"against all files = {fastest / fastest_warm_full:.1f}x (target > 1)")
    return 0


SNAPSHOT_REPOS = tuple(Path("/work/corpus") / name
                       for name in ("falcon", "click", "sqlalchemy", "aiohttp"))
DU_ONLY = '[tool.ssot]\nselect = ["DU"]\n'
TIME_FIELDS = {"Elapsed (wall clock) time (h:mm:ss or m:ss)": "wall",
               "User time (seconds)": "user", "System time (seconds)": "system",
               "Maximum resident set size (kbytes)": "peak_kib"}


def _snapshot(out: Path, repos: list[Path]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    ssot = Path(sys.executable).with_name("ssot-bot")
    with tempfile.TemporaryDirectory() as scratch:
        du_only = Path(scratch, "du.toml")
        du_only.write_text(DU_ONLY)
        for repo in repos:
            command = [str(ssot), "audit", "--all", "--repo", str(repo), "--head", "HEAD",
                       "--format", "json", "--no-cache", "--exit-zero"]
            report = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
            figures = _time_v([*command, "--config", str(du_only)])
            Path(out, f"{repo.name}.json").write_text(
                json.dumps({"findings": report["findings"], "du_only": figures}, indent=1))
            print(f"{repo.name}: {len(report['findings'])} findings; DU-only --all "
                  f"{figures['wall']:.1f} s wall, {figures['cpu']:.1f} s CPU, "
                  f"{figures['peak_kib'] / 1024:.0f} MiB peak")
    return 0


def _time_v(command: list[str]) -> dict[str, float]:
    """Wall, CPU and peak RSS of `command` (children included), by `/usr/bin/time -v`."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          check=True)
    figures: dict[str, float] = {}
    for line in done.stderr.splitlines():
        label, _, value = line.strip().rpartition(": ")
        if label in TIME_FIELDS:
            if ":" in value:  # m:ss or h:mm:ss
                seconds = 0.0
                for part in value.split(":"):
                    seconds = seconds * 60 + float(part)
                figures[TIME_FIELDS[label]] = seconds
            else:
                figures[TIME_FIELDS[label]] = float(value)
    figures["cpu"] = figures["user"] + figures["system"]
    return figures


def _compare(before: Path, after: Path) -> int:
    same = True
    for old in sorted(before.glob("*.json")):
        new = after / old.name
        left, right = json.loads(old.read_text()), json.loads(new.read_text())
        identical = (json.dumps(left["findings"], sort_keys=True)
                     == json.dumps(right["findings"], sort_keys=True))
        same = same and identical
        a, b = left["du_only"], right["du_only"]
        print(f"{old.stem}: findings {'identical' if identical else 'DIFFER'} "
              f"({len(left['findings'])} / {len(right['findings'])}); DU-only --all "
              f"wall {a['wall']:.1f} -> {b['wall']:.1f} s, CPU {a['cpu']:.1f} -> "
              f"{b['cpu']:.1f} s, peak {a['peak_kib'] / 1024:.0f} -> "
              f"{b['peak_kib'] / 1024:.0f} MiB")
    return 0 if same else 1


def _change_and_context(corpus: Path, size: int | None) -> tuple[AuditRequest, int]:
    files = sorted(corpus.rglob("*.py"))
    rng = random.Random(SEED)
    sizeable = [f for f in files if f.stat().st_size > 4000]
    changed = rng.sample(sizeable, CHANGED_FILES)
    others = [f for f in files if f not in changed]
    rng.shuffle(others)
    context_files = others if size is None else others[:size]
    changes = []
    for file in changed:
        data = file.read_bytes()
        lines = data.count(b"\n")
        start = rng.randint(1, max(1, lines - CHANGED_LINES))
        changes.append(FileChange(
            file.relative_to(corpus).as_posix(), ChangeStatus.MODIFIED, data, data,
            frozenset(range(start, start + CHANGED_LINES)),
        ))
    context = {f.relative_to(corpus).as_posix(): f.read_bytes() for f in context_files}
    return AuditRequest(changes=tuple(changes), context=context), len(context)


def _scenario(corpus: Path, name: str, jobs: int) -> dict[str, float]:
    """Peak memory of this process, and of its largest worker for a cold index."""
    state, _, size_text = name.partition(":")
    size = None if size_text == "all" else int(size_text)
    request, context = _change_and_context(corpus, size)
    cache: FactsCache = {}
    if state == "warm":
        audit(request, facts_cache=cache)
        started = time.perf_counter()
        audit(request, facts_cache=cache)
        seconds = time.perf_counter() - started
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunk = max(1, len(request.context) // (jobs * 8))

            def pooled_map(function: Callable[[T], R], items: Iterable[T]) -> Iterable[R]:
                return pool.map(function, items, chunksize=chunk)

            started = time.perf_counter()
            audit(request, map_files=pooled_map, facts_cache=cache)
            seconds = time.perf_counter() - started
    return {"seconds": seconds, "context": context,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _in_subprocess(corpus: Path, name: str, jobs: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--corpus", str(corpus), "--scenario", name,
         "--jobs", str(jobs)],
        check=True, capture_output=True, text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _pylint(files: list[Path]) -> tuple[str, float, float]:
    command = [sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
               "--min-similarity-lines=6", "--jobs=1", "--score=n", *map(str, files)]
    seconds, peak = _timed(command)
    return "pylint duplicate-code", seconds, peak


def _jscpd(corpus: Path) -> tuple[str, float, float] | None:
    """jscpd 4 through npx (fetched from the npm registry on first use), if it runs."""
    npx = shutil.which("npx")
    if npx is None:
        return None
    probe = subprocess.run([npx, "--yes", "jscpd@4", "--version"], capture_output=True,
                           text=True, check=False)
    if probe.returncode != 0:
        print(f"jscpd not run: {probe.stderr.strip()[:200]}")
        return None
    with tempfile.TemporaryDirectory() as output:
        command = [npx, "--yes", "jscpd@4", "--format", "python", "--min-lines", "6",
                   "--silent", "--reporters", "json", "--output", output, str(corpus)]
        seconds, peak = _timed(command)
    return "jscpd 4 (npx)", seconds, peak


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of a command, measured from a fresh process so the
    peak is the command's own (ru_maxrss of children is the largest child ever waited)."""
    out = subprocess.run([sys.executable, __file__, "--measure", *command],
                         check=True, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return figures["seconds"], figures["peak_mib"]


def _measure(command: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds,
            "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


if __name__ == "__main__":
    sys.exit(main())
