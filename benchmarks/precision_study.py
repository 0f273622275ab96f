"""Precision study: what a careful reviewer would make of our findings on real projects.

    .venv/bin/python benchmarks/precision_study.py CORPUS [--sweep N] [--label NAME]
        [--projects a,b] [--reading DIR]

CORPUS holds one git checkout per project of `PROJECTS` (a folder named after it, e.g.
`CORPUS/click`, cloned from the repository named there; their code never enters this
repository). For each project the study runs a whole-tree audit (`--all`) at the pinned
commit and audits the N first-parent commits ending there (default 60), each against
its parent as `ssot-bot audit --base C^ --head C` would. Then it

- writes every finding, with the flagged code and its neighbours, to
  `READING/<label>.jsonl` (outside the repository: it quotes third-party code), plus
  `READING/<label>-unjudged.txt` listing the error findings and the warning sample that
  nobody has judged yet, for reading;
- joins the findings with the judgments in `benchmarks/precision/*.csv` (`rule, project,
  commit, place, verdict, reason`; verdict `worth-raising` or `dismiss`; `place` is
  `path:line`) and prints, per rule and severity, how many findings there are, how many
  were read and how many of those were worth raising.

Every error-level finding is to be read; of the warnings, a fixed sample (`--warnings`,
default 50 per run, chosen by a hash of the finding's key so that it is the same sample
on every run of the same code). Re-run after every change: the judgments carry over by
key, and only new findings need reading.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzers import AuditRequest, Finding, audit
from analyzers.engine import FactsCache
from bot.local.audit import all_request, diff_request
from bot.local.git import Repo

JUDGMENTS = Path(__file__).resolve().parent / "precision"
WORTH, DISMISS = "worth-raising", "dismiss"


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    source: str
    commit: str
    kind: str


PROJECTS = (
    Project("falcon", "github:falconry/falcon",
            "ce0a35b8fd02747cc72710202886874906b0d47a", "web framework"),
    Project("click", "github:pallets/click",
            "2c8cd3ac958a7eb316d67f2d316c27086c4c0369", "CLI library"),
    Project("httpx", "github:encode/httpx",
            "ae1b9f66238f75ced3ced5e4485408435de10768", "async HTTP client"),
    Project("marshmallow", "github:marshmallow-code/marshmallow",
            "341b927f219205704728c05cd61f04d7e9727523", "data library"),
    Project("pytest", "github:pytest-dev/pytest",
            "df87db7b0462fb764ef73fa00561adf8ad047572", "test tool"),
    Project("httpie", "github:httpie/cli",
            "5b604c37c6c67e18e7c3e9aee6c88a8c22b98345", "application"),
    Project("starlette", "github:encode/starlette",
            "cb8f84f5284dc301ca7a31eb732b9e140769dd48",
            "ASGI toolkit (held out: read only after the rules were set)"),
)


@dataclass(frozen=True, slots=True)
class Seen:
    """One finding of the study, keyed as the judgments are."""

    project: str
    commit: str
    scope: str
    """"all" for the whole-tree audit, "commit" for a commit of the sweep."""
    finding: Finding

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.finding.rule, self.project, self.commit,
                f"{self.finding.path}:{self.finding.line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--sweep", type=int, default=60, help="commits per project")
    parser.add_argument("--label", default="current", help="name of this run's files")
    parser.add_argument("--projects", help="comma-separated subset of the projects")
    parser.add_argument("--warnings", type=int, default=50, help="warnings to read per run")
    parser.add_argument("--reading", type=Path, default=Path("/tmp/ssot-precision"))
    args = parser.parse_args(argv)
    chosen = [p for p in PROJECTS
              if not args.projects or p.name in args.projects.split(",")]
    missing = [p for p in chosen if not (args.corpus / p.name / ".git").exists()]
    if missing:
        for project in missing:
            print(f"{args.corpus / project.name} is missing: clone {project.source} there "
                  f"and check out {project.commit[:12]}", file=sys.stderr)
        return 2
    seen: list[Seen] = []
    reading: list[dict[str, object]] = []
    started = time.perf_counter()
    for project in chosen:
        for item, request in _audits(args.corpus / project.name, project, args.sweep):
            seen.append(item)
            reading.append(_reading_entry(item, request))
    seconds = time.perf_counter() - started
    judgments = _load_judgments()
    sample = _warning_sample(seen, args.warnings)
    args.reading.mkdir(parents=True, exist_ok=True)
    with (args.reading / f"{args.label}.jsonl").open("w", encoding="utf-8") as out:
        for entry in reading:
            out.write(json.dumps(entry) + "\n")
    unjudged = [s for s in seen if s.key not in judgments
                and (s.finding.severity.value == "error" or s.key in sample)]
    with (args.reading / f"{args.label}-unjudged.txt").open("w", encoding="utf-8") as out:
        for item in unjudged:
            out.write(",".join(item.key) + f"  [{item.finding.severity.value}]\n")
    print(f"{len(chosen)} projects, {len(seen)} findings in {seconds:.0f} s; "
          f"reading file {args.reading / (args.label + '.jsonl')}")
    _print_table(seen, judgments, sample)
    print(f"unread: {len(unjudged)} (listed in {args.reading / (args.label + '-unjudged.txt')})")
    return 0


def _audits(root: Path, project: Project, sweep: int
            ) -> Iterator[tuple[Seen, AuditRequest]]:
    repo = Repo.open(root)
    cache: FactsCache = {}
    request = all_request(repo, project.commit)
    for finding in audit(request, facts_cache=cache).findings:
        if not finding.suppressed:
            yield Seen(project.name, project.commit, "all", finding), request
    commits = repo.git("rev-list", "--first-parent", f"--max-count={sweep}",
                       project.commit).decode().split()
    for commit in commits:
        if len(repo.git("rev-list", "--parents", "-n", "1", commit).decode().split()) < 2:
            continue  # the root commit has no parent to compare with
        request = diff_request(repo, f"{commit}^", commit)
        for finding in audit(request, facts_cache=cache).findings:
            if not finding.suppressed:
                yield Seen(project.name, commit, "commit", finding), request


def _reading_entry(item: Seen, request: AuditRequest) -> dict[str, object]:
    finding = item.finding
    return {
        "key": ",".join(item.key), "scope": item.scope, "severity": finding.severity.value,
        "message": finding.message, "suggestion": finding.suggestion,
        "related": [f"{r.path}:{r.line} {r.message}" for r in finding.related],
        "code": _excerpt(request, finding.path, finding.line, finding.end_line),
    }


def _excerpt(request: AuditRequest, path: str, line: int, end_line: int) -> str:
    data = next((c.head for c in request.changes if c.path == path), None)
    if data is None:
        return ""
    lines = data.decode("utf-8", "replace").splitlines()
    first, last = max(1, line - 3), min(len(lines), max(end_line, line) + 3)
    return "\n".join(f"{n:>5} {lines[n - 1]}" for n in range(first, last + 1))


def _load_judgments() -> dict[tuple[str, str, str, str], str]:
    """Every judgment file's verdicts by key; where two readers disagree on one finding,
    it counts as `dismiss` (an error must convince every reader) and the count is said."""
    judged: dict[tuple[str, str, str, str], str] = {}
    disagreements = 0
    for path in sorted(JUDGMENTS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                verdict = row["verdict"].strip()
                if verdict not in (WORTH, DISMISS):
                    raise SystemExit(f"{path}: verdict {verdict!r} is not {WORTH}/{DISMISS}")
                key = (row["rule"].strip(), row["project"].strip(), row["commit"].strip(),
                       row["place"].strip())
                if judged.get(key, verdict) != verdict:
                    disagreements += 1
                    verdict = DISMISS
                judged[key] = verdict
    if disagreements:
        print(f"{disagreements} findings judged both ways by different readers: counted as "
              f"{DISMISS}")
    return judged


def _warning_sample(seen: Sequence[Seen], size: int) -> set[tuple[str, str, str, str]]:
    warnings = sorted((s.key for s in seen if s.finding.severity.value == "warning"),
                      key=lambda k: hashlib.sha256(",".join(k).encode()).hexdigest())
    return set(warnings[:size])


def _print_table(seen: Sequence[Seen], judged: dict[tuple[str, str, str, str], str],
                 sample: set[tuple[str, str, str, str]]) -> None:
    found: Counter[tuple[str, str]] = Counter()
    read: Counter[tuple[str, str]] = Counter()
    worth: Counter[tuple[str, str]] = Counter()
    projects: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for item in seen:
        row = (item.finding.rule, item.finding.severity.value)
        found[row] += 1
        projects[row].add(item.project)
        verdict = judged.get(item.key)
        if verdict is not None:
            read[row] += 1
            worth[row] += verdict == WORTH
    print(f"{'rule':<7}{'severity':<9}{'found':>7}{'read':>6}{'worth':>7}{'precision':>11}"
          "  projects")
    for severity in ("error", "warning", "notice"):
        rows = sorted(r for r in found if r[1] == severity)
        for row in rows:
            precision = f"{worth[row] / read[row]:.0%}" if read[row] else "-"
            print(f"{row[0]:<7}{row[1]:<9}{found[row]:>7}{read[row]:>6}{worth[row]:>7}"
                  f"{precision:>11}  {','.join(sorted(projects[row]))}")
        total_read = sum(read[r] for r in rows)
        total_worth = sum(worth[r] for r in rows)
        if total_read:
            print(f"{'all':<7}{severity:<9}{sum(found[r] for r in rows):>7}{total_read:>6}"
                  f"{total_worth:>7}{total_worth / total_read:>11.0%}")
    print(f"warning sample: {len(sample)} of "
          f"{sum(n for r, n in found.items() if r[1] == 'warning')}")


if __name__ == "__main__":
    sys.exit(main())
