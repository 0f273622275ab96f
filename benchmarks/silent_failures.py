"""Silent-failure rules on a large body of real Python, against ruff and pylint.

    .venv/bin/python benchmarks/silent_failures.py [CORPUS] [--workers N] [--pylint-jobs N]
        [--every-family]

Audits every `.py` file under CORPUS (default: /work/corpus/Django-5.2) in `all` mode
with `select = ["SF", "SX"]` (the rules ruff and pylint are compared with; with
`--every-family` the SSOT and duplicate families run too), then runs ruff (E722,
BLE001, S110, S112, SIM105) and pylint (bare-except, broad-exception-caught) on the
same files. Prints seconds, files, lines and finding counts per tool with the ratios,
then the agreement check: every handler that both ruff (BLE001/E722/S110) and pylint
(broad-exception-caught) flag must carry an SF finding, or the difference is listed,
grouped by why our rules call it handled.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers import AuditRequest, ChangeStatus, FileChange, Mode, audit
from analyzers.config import AuditConfig
from analyzers.silent_failures.handling import assess, is_broad
from analyzers.source import ParsedFile, parse, walk

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CORPUS = Path("/work/corpus/Django-5.2")
RUFF_RULES = "E722,BLE001,S110,S112,SIM105"
RUFF_AGREEMENT = frozenset({"BLE001", "E722", "S110"})
PYLINT_CHECKS = "bare-except,broad-exception-caught"
SILENT_FAILURES_ONLY = '[tool.ssot]\nselect = ["SF", "SX"]\n'
VENV_BIN = Path(sys.executable).parent

Place = tuple[str, int]
"""A handler's place: path relative to the corpus, line of its `except`."""


@dataclass(frozen=True, slots=True)
class ToolRun:
    seconds: float
    places: dict[str, set[Place]]
    """Rule or message id -> places it reported (normalised to the `except` line)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=2, help="processes for our audit")
    parser.add_argument("--pylint-jobs", type=int, default=1,
                        help="pylint -j (default 1: pylint's own default)")
    parser.add_argument("--every-family", action="store_true",
                        help="audit with every rule family (SSOT, duplicates), not only SF")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        parser.error(f"{corpus} is not a directory; pass the path of a Python source tree "
                     f"(the default, {DEFAULT_CORPUS}, is Django 5.2's sdist unpacked)")
    files = sorted(p for p in corpus.rglob("*.py") if p.is_file())
    if not files:
        parser.error(f"no .py files under {corpus}")
    relative = [p.relative_to(corpus).as_posix() for p in files]

    ours = run_ours(corpus, relative, args.workers,
                    None if args.every_family else SILENT_FAILURES_ONLY)
    ruff = run_ruff(corpus, relative)
    pylint = run_pylint(corpus, relative, args.pylint_jobs)

    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {corpus}  files: {len(files):,}  lines: {lines:,}\n")
    scope = "every family" if args.every_family else "select SF, SX"
    print_speed_table(ours, ruff, pylint, f"{args.workers} processes, {scope}",
                      args.pylint_jobs)
    print_agreement(corpus, ours, ruff, pylint)
    return 0


def run_ours(corpus: Path, relative: list[str], workers: int, config_text: str | None
             ) -> ToolRun:
    started = time.perf_counter()
    changes = tuple(
        FileChange(path, ChangeStatus.ADDED, (corpus / path).read_bytes(), changed_lines=None)
        for path in relative
    )
    request = AuditRequest(changes=changes, mode=Mode.ALL, config_text=config_text)
    with ProcessPoolExecutor(workers) as pool:

        def map_files(function: Callable[[T], R], items: Iterable[T]) -> Iterable[R]:
            listed = list(items)
            return pool.map(function, listed, chunksize=max(1, len(listed) // (workers * 8)))

        result = audit(request, map_files=map_files, processes=workers)
    seconds = time.perf_counter() - started
    places: dict[str, set[Place]] = defaultdict(set)
    for finding in result.findings:
        places[finding.rule].add((finding.path, finding.line))
    return ToolRun(seconds, dict(places))


def run_ruff(corpus: Path, relative: list[str]) -> ToolRun:
    command = [str(VENV_BIN / "ruff"), "check", "--select", RUFF_RULES, "--output-format",
               "json", "--no-cache", "--isolated", "--exit-zero", *relative]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=corpus, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    places: dict[str, set[Place]] = defaultdict(set)
    for item in json.loads(completed.stdout):
        path = Path(item["filename"]).resolve().relative_to(corpus.resolve()).as_posix()
        places[item["code"] or "syntax-error"].add((path, item["location"]["row"]))
    return ToolRun(seconds, dict(places))


def run_pylint(corpus: Path, relative: list[str], jobs: int) -> ToolRun:
    command = [str(VENV_BIN / "pylint"), "--disable=all", f"--enable={PYLINT_CHECKS}",
               "--output-format=json", "--exit-zero", "--persistent=n", "--rcfile=/dev/null",
               f"--jobs={jobs}", *relative]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=corpus, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    places: dict[str, set[Place]] = defaultdict(set)
    for item in json.loads(completed.stdout):
        places[item["symbol"]].add((Path(item["path"]).as_posix(), item["line"]))
    return ToolRun(seconds, dict(places))


def count(run: ToolRun) -> int:
    return sum(len(p) for p in run.places.values())


def print_speed_table(ours: ToolRun, ruff: ToolRun, pylint: ToolRun, how: str,
                      pylint_jobs: int) -> None:
    rows = [
        (f"ssot-bot audit --all ({how})", ours),
        ("ruff " + RUFF_RULES, ruff),
        (f"pylint {PYLINT_CHECKS} (-j {pylint_jobs})", pylint),
    ]
    print(f"{'tool':<58} {'seconds':>8} {'findings':>9}")
    for label, run in rows:
        print(f"{label:<58} {run.seconds:>8.2f} {count(run):>9,}")
    print()
    for label, run in rows:
        detail = ", ".join(f"{rule} {len(p)}" for rule, p in sorted(run.places.items()))
        print(f"  {label.split(' ')[0]:<9} {detail}")
    print()
    print(f"speed: pylint / ours = {pylint.seconds / ours.seconds:.1f}x   "
          f"ours / ruff = {ours.seconds / ruff.seconds:.1f}x")
    print(f"findings: ours / pylint = {count(ours) / max(1, count(pylint)):.2f}   "
          f"ours / ruff = {count(ours) / max(1, count(ruff)):.2f}\n")


class Handlers:
    """Finds the `except` clause a tool's finding points into: ruff and pylint report
    the caught type's line, we report the `except` line; they differ on multi-line
    headers."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.parsed: dict[str, tuple[ParsedFile, list[ast.ExceptHandler]] | None] = {}

    def at(self, place: Place) -> tuple[ParsedFile, ast.ExceptHandler] | None:
        path, line = place
        if path not in self.parsed:
            result = parse(path, (self.corpus / path).read_bytes())
            self.parsed[path] = (
                (result, [n for n in walk(result.tree) if isinstance(n, ast.ExceptHandler)])
                if isinstance(result, ParsedFile) else None
            )
        entry = self.parsed[path]
        if entry is None:
            return None
        file, handlers = entry
        for handler in handlers:
            header_end = handler.type.end_lineno if handler.type is not None else None
            if handler.lineno <= line <= (header_end or handler.lineno):
                return file, handler
        return None

    def normalise(self, places: Iterable[Place]) -> set[Place]:
        out = set()
        for place in places:
            found = self.at(place)
            out.add((place[0], found[1].lineno) if found else place)
        return out

    def why_not_flagged(self, place: Place) -> str:
        found = self.at(place)
        if found is None:
            return "is not an except clause we could parse"
        file, handler = found
        if handler.type is None:
            return "is a bare except that re-raises"
        if not is_broad(handler, file):
            return "catches no builtin Exception/BaseException by qualified name"
        return assess(handler, file, AuditConfig().loud_functions).act.value


def print_agreement(corpus: Path, ours: ToolRun, ruff: ToolRun, pylint: ToolRun) -> None:
    handlers = Handlers(corpus)
    ours_places = {p for rule, places in ours.places.items() if rule.startswith("SF")
                   for p in places}
    checks = (
        (RUFF_AGREEMENT, "broad-exception-caught"),
        (frozenset({"E722"}), "bare-except"),
    )
    for ruff_codes, pylint_symbol in checks:
        by_ruff = handlers.normalise(p for code in ruff_codes for p in ruff.places.get(code, ()))
        by_pylint = handlers.normalise(pylint.places.get(pylint_symbol, ()))
        agreed = by_ruff & by_pylint
        missed = sorted(agreed - ours_places)
        print(f"agreement: ruff {'/'.join(sorted(ruff_codes))} and pylint {pylint_symbol} "
              f"agree on {len(agreed):,} handlers; ours flags {len(agreed) - len(missed):,}")
        if not missed:
            continue
        reasons: dict[str, list[Place]] = defaultdict(list)
        for place in missed:
            reasons[handlers.why_not_flagged(place)].append(place)
        print(f"  {'not flagged by ours, because the handler...':<62} {'count':>5}  example")
        for reason, places in sorted(reasons.items(), key=lambda item: -len(item[1])):
            path, line = places[0]
            print(f"  {reason:<62} {len(places):>5}  {path}:{line}")
    theirs = handlers.normalise(
        p for run in (ruff, pylint) for places in run.places.values() for p in places
    )
    extra = Counter(rule for rule, places in ours.places.items() if rule.startswith("SF")
                    for p in places if p not in theirs)
    print("\nours only (no ruff or pylint finding on the line): "
          + ", ".join(f"{rule} {n}" for rule, n in sorted(extra.items())))


if __name__ == "__main__":
    raise SystemExit(main())
