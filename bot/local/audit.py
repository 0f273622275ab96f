"""`ssot-bot audit`: the local front end. Git gives the change, the audit runs here (in
a process pool for big trees), the report goes to stdout or a file.

Exit codes: 0 GO, 1 NO-GO, 2 a usage, git or config error (one line on stderr that says
what to do, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, Mode, Verdict, audit
from analyzers.config import CONFIG_FILES, load_config
from analyzers.engine import is_python
from bot import PRODUCT, package_version, report
from bot.local import fixes as local_fixes
from bot.local.facts_store import FactsStore, code_fingerprint
from bot.local.fixer import ChildFixer
from bot.local.git import STAGED, GitError, Repo

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_ERROR = 2
MAX_FIX_ROUNDS = 5
"""`--fix` audits again after writing and writes the fixes that overlapped, this often."""
PARALLEL_FROM_FILES = 24
"""Below this many files a process pool costs more to start than it saves."""

FORMATS = ("text", "markdown", "json", "sarif")

T = TypeVar("T")
R = TypeVar("R")


class UsageError(Exception):
    """Bad arguments or config; the message says what to do."""


def add_arguments(audit_cmd: argparse.ArgumentParser) -> None:
    """The options of `ssot-bot audit`."""
    audit_cmd.add_argument("--repo", type=Path, default=Path(), help="repository (default .)")
    audit_cmd.add_argument(
        "--base", help="base ref (default: merge-base of head with the default branch)"
    )
    audit_cmd.add_argument("--head", default="HEAD", help="head ref (default HEAD)")
    audit_cmd.add_argument(
        "--staged", action="store_true",
        help="audit the staged change against HEAD (for pre-commit hooks)",
    )
    audit_cmd.add_argument(
        "--all", action="store_true", help="audit every Python file at head, as if all new"
    )
    audit_cmd.add_argument("--format", choices=FORMATS, default="text")
    audit_cmd.add_argument("--output", type=Path, help="write the report here instead of stdout")
    audit_cmd.add_argument(
        "--no-cache", action="store_true",
        help="do not read or write the facts cache in the git directory",
    )
    audit_cmd.add_argument(
        "--diff", action="store_true",
        help="print the safe fixes as one unified diff and write nothing",
    )
    audit_cmd.add_argument(
        "--fix", action="store_true",
        help="apply the safe fixes to the working tree, then report what is left",
    )
    audit_cmd.add_argument(
        "--unsafe-fixes", action="store_true",
        help="with --diff or --fix, also the unsafe fixes (they change behaviour: review them)",
    )
    audit_cmd.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1,
        help="processes for parsing (default: all cores)",
    )


def audit_command(args: argparse.Namespace) -> int:
    """`ssot-bot audit` with parsed `args`: the exit code."""
    try:
        return _audit(args)
    except (GitError, UsageError) as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _audit(args: argparse.Namespace) -> int:
    repo = Repo.open(args.repo)
    if args.staged and (args.all or args.base):
        raise UsageError("--staged audits the index against HEAD; drop --all/--base")
    if args.jobs < 1:
        raise UsageError("--jobs takes a whole number of at least 1")
    head = STAGED if args.staged else repo.resolve(args.head)
    if args.fix and args.diff:
        raise UsageError("--diff shows the fixes and --fix writes them; pick one")
    if args.fix and head != STAGED and head != repo.resolve("HEAD"):
        raise UsageError(f"--fix writes the working tree, which holds HEAD, not {args.head}; "
                         "check it out first, or use --diff")
    config_text, config_path = _config(repo, head)
    _, problems = load_config(config_text, config_path)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise UsageError(f"{fatal[0].message} (line {fatal[0].line}); fix the config")
    if args.all:
        request = all_request(repo, head)
    else:
        base = repo.head_or_empty_tree() if args.staged else _base(repo, args.base, head)
        request = diff_request(repo, base, head)
    store = None if args.no_cache else FactsStore.load(
        repo.git_dir() / PRODUCT / f"facts-{code_fingerprint()}.pickle"
    )
    result = _run(request, args.jobs, store)
    if store is not None:
        store.save()
    if args.diff:
        plan = local_fixes.choose(result.findings, unsafe=args.unsafe_fixes)
        sys.stdout.write(local_fixes.unified_diff(request,
                                                  local_fixes.fixed_contents(request, plan)))
        return _exit_code(result)
    if args.fix:
        result = _fix(repo, request, result, args, store)
    _write(result, args.format, args.output)
    return _exit_code(result)


def _fix(repo: Repo, request: AuditRequest, result: AuditResult, args: argparse.Namespace,
         store: FactsStore | None) -> AuditResult:
    """Write the chosen fixes and audit again, until no fix is left to write (a fix that
    overlaps another one waits for the next round), and return what is left."""
    fixed_findings = 0
    fixed_files: set[str] = set()
    left_alone: set[str] = set()
    for _ in range(MAX_FIX_ROUNDS):
        plan = local_fixes.choose(result.findings, unsafe=args.unsafe_fixes)
        fixed = {path: data for path, data in local_fixes.fixed_contents(request, plan).items()
                 if path not in left_alone}
        skipped = local_fixes.write(repo.root, request, fixed)
        for path in skipped:
            print(f"{PRODUCT}: skipped {path}: the working tree differs from the audited "
                  "contents; not fixed", file=sys.stderr)
        left_alone.update(skipped)
        written = {p: data for p, data in fixed.items() if p not in skipped}
        if not written:
            break
        fixed_findings += sum(1 for f in plan.fixed if f.path in written)
        fixed_files.update(written)
        request = local_fixes.after_fixes(request, written)
        result = _run(request, args.jobs, store)
    print(f"{PRODUCT}: fixed {fixed_findings} finding{'' if fixed_findings == 1 else 's'} "
          f"in {len(fixed_files)} file{'' if len(fixed_files) == 1 else 's'}", file=sys.stderr)
    return result


def _exit_code(result: AuditResult) -> int:
    return EXIT_GO if result.verdict is Verdict.GO else EXIT_NO_GO


def _base(repo: Repo, base: str | None, head: str) -> str:
    if base is not None:
        return repo.resolve(base)
    branch = repo.default_branch()
    if branch is None:
        raise UsageError("no default branch (main/master) to compare with; pass --base REF "
                         "or use --all")
    return repo.merge_base(repo.resolve(branch), head)


def _config(repo: Repo, ref: str) -> tuple[str | None, str]:
    found = repo.read(ref, list(CONFIG_FILES))
    for name in CONFIG_FILES:
        if name in found:
            return found[name].decode("utf-8", "replace"), name
    return None, CONFIG_FILES[-1]


def all_request(repo: Repo, head: str) -> AuditRequest:
    """What `ssot-bot audit --all` audits: every Python file at `head`, as new."""
    config_text, config_path = _config(repo, head)
    contents = repo.read(head, sorted(repo.python_files(head)))
    changes = tuple(
        FileChange(path, ChangeStatus.ADDED, data) for path, data in sorted(contents.items())
    )
    return AuditRequest(changes=changes, mode=Mode.ALL, config_text=config_text,
                        config_path=config_path)


def diff_request(repo: Repo, base: str, head: str) -> AuditRequest:
    """What `ssot-bot audit --base BASE --head HEAD` audits: the change, with every other
    Python file at `head` as context and the config at `head`."""
    config_text, config_path = _config(repo, head)
    files = repo.python_files(head)
    diffs = repo.diff(base, head)
    changed_paths = [d.path for d in diffs if d.status is not ChangeStatus.DELETED]
    head_contents = repo.read(head, sorted(set(files) | set(changed_paths)))
    base_paths = [d.old_path or d.path for d in diffs if is_python(d.old_path or d.path)]
    base_contents = repo.read(base, base_paths)
    changes = tuple(
        FileChange(
            path=d.path,
            status=d.status,
            head=head_contents.get(d.path) if d.status is not ChangeStatus.DELETED else None,
            base=base_contents.get(d.old_path or d.path),
            # git shows no lines for a file it takes for binary: all of it is new.
            changed_lines=None if d.binary else frozenset(d.added_lines),
            old_path=d.old_path,
        )
        for d in diffs
    )
    changed = {c.path for c in changes}
    context = {p: data for p, data in head_contents.items() if p not in changed}
    return AuditRequest(changes=changes, mode=Mode.DIFF, context=context,
                        config_text=config_text, config_path=config_path)


def _run(request: AuditRequest, jobs: int, store: FactsStore | None) -> AuditResult:
    uncached = len(request.context) - (len(store) if store is not None else 0)
    work = len(request.changes) + max(0, uncached)
    if jobs == 1 or work < PARALLEL_FROM_FILES:
        return audit(request, facts_cache=store, fixer=ChildFixer())
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, work // (jobs * 8))

        def pooled_map(function: Callable[[T], R], items: Iterable[T]) -> Iterable[R]:
            return pool.map(function, items, chunksize=chunk)

        return audit(request, map_files=pooled_map, facts_cache=store, fixer=ChildFixer())


def _write(result: AuditResult, output_format: str, output: Path | None) -> None:
    if output_format == "json":
        text = report.render_json(result)
    elif output_format == "sarif":
        text = json.dumps(report.to_sarif(result, version=package_version()), indent=2) + "\n"
    elif output_format == "markdown":
        text = report.render_comment(result) + "\n"
    else:
        text = report.render_text(result)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
