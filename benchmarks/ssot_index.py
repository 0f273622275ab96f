"""The SSOT repo index on a large real code base: cold build, warm audits, memory.

    .venv/bin/python benchmarks/ssot_index.py [CORPUS] [--libcst-sample N] [--rounds N]

CORPUS (default /work/corpus/Django-5.2) is any folder of Python files. Prints:
- cold index build: stdlib `ast.parse` of every file (the floor) against `source.parse`
  plus the "ssot" fact extractor (what a context file costs the first time), and
  libcst's `parse_module` (the peer) on a sample, extrapolated;
- the audit of a 20-file change with a warm facts cache, at the full size and at a
  quarter of the files (it should not grow with the repo);
- the memory the index holds (tracemalloc, facts of every file) and its pickled size.
"""

from __future__ import annotations

import argparse
import ast
import gc
import pickle
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.config import AuditConfig
from analyzers.engine import FileJob, index_file
from analyzers.source import ParsedFile, decode, parse
from analyzers.ssot.index import FAMILY, module_facts

DEFAULT_CORPUS = Path("/work/corpus/Django-5.2")
CHANGED_FILES = 20
ADDED = (
    "\n\ndef ssot_benchmark_helper_{n}(value):\n"
    "    if value is None:\n        return 'x-benchmark-{n}'\n    return str(value)\n"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--libcst-sample", type=int, default=200,
                        help="files parsed with libcst (it is ~15x slower than ast)")
    parser.add_argument("--rounds", type=int, default=5, help="warm audits per size")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus} is not a folder; unpack Django 5.2 there or pass a path",
              file=sys.stderr)
        return 2
    files = {
        p.relative_to(args.corpus).as_posix(): p.read_bytes()
        for p in sorted(args.corpus.rglob("*.py"))
    }
    size = sum(len(d) for d in files.values())
    print(f"{len(files)} files, {size / 1e6:.1f} MB, under {args.corpus}")
    cold(files, args.libcst_sample)
    warm(files, args.rounds)
    memory(files)
    return 0


def cold(files: Mapping[str, bytes], libcst_sample: int) -> None:
    """Every file is parsed and dropped in turn: holding thousands of trees at once makes
    the garbage collector, not the parser, dominate the figures."""
    texts = {p: t for p, d in files.items() if isinstance(t := decode(d), str)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        floor = _timed(lambda: [_ast_parse(t) is None for t in texts.values()])
    parse_seconds = extract_seconds = 0.0
    gc.collect()
    for path, data in files.items():
        started = time.perf_counter()
        parsed = parse(path, data)
        parsed_at = time.perf_counter()
        if isinstance(parsed, ParsedFile):
            module_facts(parsed)
        parse_seconds += parsed_at - started
        extract_seconds += time.perf_counter() - parsed_at
    config = AuditConfig()
    all_families = _timed(
        lambda: [index_file(FileJob(p, d, None, config)) is None for p, d in files.items()]
    )

    print("\ncold index build (one process)")
    print(f"  stdlib ast.parse, all files        {floor:7.2f} s   1.00x (floor)")
    print(f"  ssot extractor alone (parsed trees)  {extract_seconds:7.2f} s   "
          f"{extract_seconds / floor:.2f}x")
    print(f"  ast.parse + ssot extractor         {floor + extract_seconds:7.2f} s   "
          f"{(floor + extract_seconds) / floor:.2f}x   target <= 1.5x")
    print(f"  engine source.parse (depth guard, imports, suppressions) "
          f"{parse_seconds:.2f} s   {parse_seconds / floor:.2f}x")
    print(f"  engine index_file, every fact family {all_families:7.2f} s   "
          f"{all_families / floor:.2f}x")
    _libcst(texts, libcst_sample, floor)


def _ast_parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _libcst(texts: Mapping[str, str], sample: int, floor: float) -> None:
    import libcst

    chosen = list(texts.values())[:: max(1, len(texts) // max(sample, 1))][:sample]

    def parse_all() -> None:
        for text in chosen:
            try:
                libcst.parse_module(text)
            except libcst.ParserSyntaxError:
                continue

    seconds = _timed(parse_all)
    estimate = seconds / len(chosen) * len(texts)
    print(f"  libcst parse_module, {len(chosen)} files    {seconds:7.2f} s   "
          f"(all files ~{estimate:.0f} s, {estimate / floor:.1f}x)")


def warm(files: Mapping[str, bytes], rounds: int) -> None:
    print(f"\nwarm audit of a {CHANGED_FILES}-file change (facts cache filled, one process)")
    paths = sorted(files)
    for label, subset in (("all files", paths), ("a quarter", paths[: len(paths) // 4])):
        chosen = [p for p in subset if files[p].count(b"\n") > 50][:: 7][:CHANGED_FILES]
        request = _change(files, subset, chosen)
        cache: dict[bytes, Mapping[str, object]] = {}
        audit(request, facts_cache=cache)
        seconds = []
        for _ in range(rounds):
            started = time.perf_counter()
            result = audit(request, facts_cache=cache)
            seconds.append(time.perf_counter() - started)
        ss = sum(1 for f in result.findings if f.rule.startswith("SS"))
        print(f"  {label:<10} {len(subset):5d} files: median {statistics.median(seconds):.3f} s,"
              f" max {max(seconds):.3f} s over {rounds} audits   target < 1 s "
              f"({ss} SS findings, {len(result.stats.neighbours)} neighbours)")


def _change(files: Mapping[str, bytes], subset: Sequence[str], chosen: Sequence[str]
            ) -> AuditRequest:
    changes = []
    for n, path in enumerate(chosen):
        base = files[path]
        head = base + ADDED.format(n=n).encode()
        first = base.count(b"\n") + 1
        changes.append(FileChange(
            path, ChangeStatus.MODIFIED, head, base,
            frozenset(range(first, head.count(b"\n") + 2)),
        ))
    context = {p: files[p] for p in subset if p not in set(chosen)}
    return AuditRequest(changes=tuple(changes), context=context)


def memory(files: Mapping[str, bytes]) -> None:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index: dict[str, object] = {}
    for path, data in files.items():
        parsed = parse(path, data)
        if isinstance(parsed, ParsedFile):
            index[path] = {FAMILY: module_facts(parsed)}
        del parsed
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    pickled = len(pickle.dumps(index))
    print(f"\nindex memory: {held / 1e6:.1f} MB held for {len(index)} files "
          f"(target < 300 MB); pickled {pickled / 1e6:.1f} MB")


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
