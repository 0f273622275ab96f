"""SS2xx findings on real history: audit consecutive commits, each against its parent.

    .venv/bin/python benchmarks/ssot_precision.py [REPO] [--end REV] [--commits N]
        [--cli] [--dump FILE]

Walks the first-parent history of REPO (default /work/corpus/flask, a clone of
github:pallets/flask) back from END, N commits (default 200), and audits each commit
against its first parent the way `ssot-bot audit --base C^ --head C` does (every Python
file of the head tree is context). `--cli` runs the real CLI process per commit instead
of the in-process audit (slower; same findings). Prints per-rule counts next to a naive
peer (every new top-level name that exists elsewhere; every new constant whose value
exists elsewhere), and writes every SS finding (errors and warnings, with its severity,
code line and the related place) to `--dump` (JSON lines) for reading and judging.
Precision per rule, joined with the judgments in `benchmarks/precision/`, is what
`benchmarks/precision_study.py` prints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers import AuditRequest, Finding, audit
from analyzers.source import ParsedFile, parse
from analyzers.ssot.index import ModuleFacts, module_facts
from bot.local.audit import diff_request
from bot.local.git import Repo

DEFAULT_REPO = Path("/work/corpus/flask")
DEFAULT_END = "2ac89889f4cc330eabd50f295dcef02828522c69"
"""pallets/flask main on 2026-04-08: the pinned end of the reproducible window."""
VENV_BIN = Path(sys.executable).parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--end", default=DEFAULT_END, help="newest commit of the window")
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--cli", action="store_true", help="run `ssot-bot audit` per commit")
    parser.add_argument("--dump", type=Path, help="write SS findings here (JSON lines)")
    args = parser.parse_args(argv)
    if not (args.repo / ".git").exists():
        print(f"{args.repo} is not a git checkout; clone e.g. github:pallets/flask there",
              file=sys.stderr)
        return 2
    repo = Repo.open(args.repo)
    commits = repo.git("rev-list", "--first-parent", f"--max-count={args.commits}",
                       args.end).decode().split()
    cache: dict[bytes, Any] = {}
    naive_cache: dict[bytes, ModuleFacts | None] = {}
    counts: Counter[str] = Counter()
    naive: Counter[str] = Counter()
    dumped: list[dict[str, Any]] = []
    audited = 0
    started = time.perf_counter()
    for commit in commits:
        if not repo.git("rev-list", "--parents", "-n", "1", commit).decode().split()[1:]:
            continue  # the root commit has no parent to compare with
        request = diff_request(repo, f"{commit}^", commit)
        if args.cli:
            findings = _cli_findings(args.repo, commit)
        else:
            findings = [_as_dict(f) for f in audit(request, facts_cache=cache).findings]
        audited += 1
        if audited % 25 == 0:
            print(f"  {audited} commits, {sum(counts.values())} SS findings so far",
                  file=sys.stderr, flush=True)
        naive.update(_naive(request, naive_cache))
        for finding in findings:
            if not finding["rule"].startswith("SS") or finding["suppressed"]:
                continue
            counts[f"{finding['rule']} {finding['severity']}"] += 1
            dumped.append({"commit": commit, **finding,
                           "code": _line(request, finding["path"], finding["line"])})
    seconds = time.perf_counter() - started
    print(f"{audited} commits of {args.repo} ending at {args.end[:12]} "
          f"({'CLI' if args.cli else 'in-process'}), {seconds:.1f} s "
          f"({seconds / max(audited, 1):.2f} s per commit)")
    print(f"{'rule':<16}{'ssot-bot':>10}{'naive peer':>12}")
    for rule in sorted(set(counts) | {f"{r} error" for r in naive}):
        peer = naive.get(rule.split()[0], "") if rule.endswith("error") else ""
        print(f"{rule:<16}{counts.get(rule, 0):>10}{peer!s:>12}")
    total_naive = sum(naive.values())
    ours = sum(counts.get(f"{r} error", 0) for r in naive)
    if total_naive:
        print(f"SS201+SS202 errors: {ours} vs {total_naive} naive ({ours / total_naive:.0%})")
    print(f"error findings: {sum(1 for e in dumped if e['severity'] == 'error')}")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for entry in dumped:
                out.write(json.dumps(entry) + "\n")
        print(f"written to {args.dump}")
    return 0


def _cli_findings(root: Path, commit: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(VENV_BIN / "ssot-bot"), "audit", "--repo", str(root), "--base", f"{commit}^",
         "--head", commit, "--format", "json", "--jobs", "1"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"ssot-bot failed on {commit}: {done.stderr.strip()}")
    findings: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return findings


def _as_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule, "severity": finding.severity.value, "path": finding.path,
        "line": finding.line, "message": finding.message, "suggestion": finding.suggestion,
        "related": [{"path": r.path, "line": r.line} for r in finding.related],
        "suppressed": finding.suppressed,
    }


def _line(request: AuditRequest, path: str, line: int) -> str:
    for change in request.changes:
        if change.path == path and change.head is not None:
            lines = change.head.decode("utf-8", "replace").splitlines()
            return lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return ""


def _facts(path: str, data: bytes, cache: dict[bytes, ModuleFacts | None]) -> ModuleFacts | None:
    key = hashlib.sha256(data).digest()
    if key not in cache:
        parsed = parse(path, data)
        cache[key] = module_facts(parsed) if isinstance(parsed, ParsedFile) else None
    return cache[key]


def _naive(request: AuditRequest, cache: dict[bytes, ModuleFacts | None]) -> Counter[str]:
    """The peer: a name or value match anywhere else, with no look-alike handling."""
    facts = {p: _facts(p, d, cache) for p, d in request.context.items()}
    facts.update({c.path: _facts(c.path, c.head, cache) for c in request.changes
                  if c.head is not None and c.path.endswith(".py")})
    names: dict[str, set[str]] = {}
    values: dict[str, set[str]] = {}
    for path, module in facts.items():
        if module is None:
            continue
        for definition in module.definitions:
            names.setdefault(definition.name, set()).add(path)
        for constant in module.constants:
            values.setdefault(constant.value.key, set()).add(path)
    found: Counter[str] = Counter()
    for change in request.changes:
        module = facts.get(change.path)
        if module is None:
            continue
        lines = change.changed_lines
        for definition in module.definitions:
            if (lines is None or definition.line in lines) and names[definition.name] - {
                    change.path}:
                found["SS201"] += 1
        for constant in module.constants:
            if (lines is None or constant.line in lines) and values[constant.value.key] - {
                    change.path}:
                found["SS202"] += 1
    return found


if __name__ == "__main__":
    sys.exit(main())
