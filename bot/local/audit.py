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
import time
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from analyzers import (
    AuditRequest,
    AuditResult,
    ChangeStatus,
    FileChange,
    Mode,
    Verdict,
    audit,
    baseline,
)
from analyzers.config import CONFIG_FILES, load_config
from analyzers.engine import is_python
from analyzers.model import Blob, HeadSource, Revisions
from bot import PRODUCT, package_version, report
from bot.local import fixes as local_fixes
from bot.local.facts_store import FactsStore
from bot.local.fixer import ChildFixer
from bot.local.git import PSEUDO_REFS, STAGED, WORKTREE, GitError, LazyContents, Repo
from bot.local.pool import pooled_map

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_ERROR = 2
MAX_FIX_ROUNDS = 5
"""`--fix` audits again after writing and writes the fixes that overlapped, this often."""
PARALLEL_FROM_FILES = 24
"""Below this many files a process pool costs more to start than it saves."""

FORMATS = ("text", "markdown", "json", "sarif")


class UsageError(Exception):
    """Bad arguments or config; the message says what to do."""


def add_arguments(audit_cmd: argparse.ArgumentParser) -> None:
    """The options of `ssot-bot audit`."""
    audit_cmd.add_argument(
        "paths", nargs="*", type=Path,
        help="audit only these files (pre-commit passes them); default: the whole change",
    )
    audit_cmd.add_argument("--repo", type=Path, default=Path(), help="repository (default .)")
    audit_cmd.add_argument(
        "--base", help="compare with the merge-base of this ref and head, as a pull request "
        "does (default: the default branch)",
    )
    audit_cmd.add_argument(
        "--base-exact", action="store_true",
        help="compare with --base itself (a two-dot diff), not its merge-base with head",
    )
    audit_cmd.add_argument(
        "--head", help="audit this commit (default: the working tree, uncommitted edits "
        "of tracked files included)",
    )
    audit_cmd.add_argument(
        "--staged", action="store_true",
        help="audit the staged change against HEAD (for pre-commit hooks)",
    )
    audit_cmd.add_argument(
        "--all", action="store_true", help="audit every Python file at head, as if all new"
    )
    audit_cmd.add_argument("--config", type=Path,
                           help="read [tool.ssot] from this file instead of the head's "
                           "pyproject.toml/.ssot.toml")
    audit_cmd.add_argument("--write-baseline", type=Path, metavar="FILE",
                           help="record every finding of this audit in FILE, to adopt the "
                           "audit on a legacy repository")
    audit_cmd.add_argument("--baseline", type=Path, metavar="FILE",
                           help="leave out the findings FILE records (default: [tool.ssot] "
                           "baseline, if set)")
    audit_cmd.add_argument("--format", choices=FORMATS, default="text")
    audit_cmd.add_argument("--output", type=Path, help="write the report here instead of stdout")
    audit_cmd.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                           help="colour the text report (auto: on a terminal, unless NO_COLOR)")
    audit_cmd.add_argument("--table", action="store_true",
                           help="show the checklist table even when every principle passes")
    audit_cmd.add_argument("--quiet", action="store_true",
                           help="print the findings and nothing else")
    audit_cmd.add_argument("--statistics", action="store_true",
                           help="print how many findings each rule has instead of each one")
    audit_cmd.add_argument("--exit-zero", action="store_true",
                           help="exit 0 on NO-GO too (errors in use or git still exit 2)")
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
        help="processes for parsing, fixes and whole-tree matching (default: all cores)",
    )


def audit_command(args: argparse.Namespace) -> int:
    """`ssot-bot audit` with parsed `args`: the exit code."""
    started = time.perf_counter()
    try:
        return _audit(args, started)
    except (GitError, UsageError) as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


@dataclass(frozen=True, slots=True)
class Audited:
    """One audit as the CLI ran it: what it asked and what came back."""

    request: AuditRequest
    result: AuditResult
    fingerprints: tuple[str, ...]
    """One per finding of `result` (`analyzers.baseline`)."""


def run_local_audit(repo: Repo, args: argparse.Namespace) -> Audited:
    """Resolve what `args` compare, build the request, audit it and name the revisions
    in the result. Shared by `ssot-bot audit` and the GitHub Action's entry point."""
    if args.staged and (args.all or args.base or args.head):
        raise UsageError("--staged audits the index against HEAD; drop --all/--base/--head")
    if args.base_exact and (args.all or args.staged):
        raise UsageError("--base-exact sets how --base is compared; drop --all/--staged")
    if args.jobs < 1:
        raise UsageError("--jobs takes a whole number of at least 1")
    if args.staged:
        head = STAGED
    elif args.head is None:
        head = WORKTREE
    else:
        head = repo.resolve(args.head)
    if args.fix and head not in PSEUDO_REFS and head != repo.resolve("HEAD"):
        raise UsageError(f"--fix writes the working tree, which holds HEAD, not {args.head}; "
                         "check it out first, or use --diff")
    config = _config(repo, head, args.config)
    settings, problems = load_config(*config)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise UsageError(f"{fatal[0].message} (line {fatal[0].line}); fix the config")
    only = _repo_paths(repo, args.paths) if args.paths else None
    head_commit = repo.commit_of(head)
    base: str | None = None
    store = None if args.no_cache else FactsStore.for_code(repo.git_dir() / PRODUCT)
    if args.all:
        request = all_request(repo, head, config=config, only=only, cached=store)
    else:
        base = repo.head_or_empty_tree() if args.staged else _base(repo, args, head_commit)
        request = diff_request(repo, base, head, config=config, only=only, cached=store)
        if args.staged and only and not request.changes:
            # Nothing staged but files named: `pre-commit run --all-files` and
            # pre-commit.ci run the hook so, and mean those files, whole.
            base = None
            request = all_request(repo, head, config=config, only=only, cached=store)
    result = _run(request, args.jobs, store)
    if args.fix:
        result = _fix(repo, request, result, args, store)
    if store is not None:
        store.save()
        store.close()
    source = {STAGED: HeadSource.INDEX, WORKTREE: HeadSource.WORKING_TREE}.get(
        head, HeadSource.COMMIT)
    result = replace(result, revisions=Revisions(head=head_commit, base=base,
                                                 head_source=source))
    prints = baseline.fingerprints(result.findings, baseline.sources_of(request))
    if args.write_baseline is not None:
        _write_file(args.write_baseline,
                    baseline.render_baseline(result.findings, prints))
    known = _baseline(repo, head, args.baseline, settings.baseline)
    if known is not None:
        result = baseline.apply_baseline(result, prints, known)
        prints = tuple(p for p in prints if p not in known)
    return Audited(request, result, prints)


def _baseline(repo: Repo, head: str, option: Path | None, configured: str | None
              ) -> frozenset[str] | None:
    """The fingerprints of `--baseline FILE`, else of the config's `baseline` (a path in
    the repository, read at head); None when there is none."""
    if option is not None:
        try:
            text = option.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --baseline {option}: {exc.strerror}") from None
        where = str(option)
    elif configured is not None:
        found = repo.read(head, [configured])
        if configured not in found:
            raise UsageError(f"the config's baseline {configured!r} is not in the repository; "
                             "write it with --write-baseline, or remove the key")
        text, where = found[configured].decode("utf-8", "replace"), configured
    else:
        return None
    try:
        return baseline.parse_baseline(text)
    except ValueError as exc:
        raise UsageError(f"{where} is not a baseline: {exc}; write it again with "
                         "--write-baseline") from None


def _audit(args: argparse.Namespace, started: float) -> int:
    repo = Repo.open(args.repo)
    if args.fix and args.diff:
        raise UsageError("--diff shows the fixes and --fix writes them; pick one")
    audited = run_local_audit(repo, args)
    result = audited.result
    if args.diff:
        plan = local_fixes.choose(result.findings, unsafe=args.unsafe_fixes)
        sys.stdout.write(local_fixes.unified_diff(
            audited.request, local_fixes.fixed_contents(audited.request, plan)))
        return _exit_code(result, args)
    if result.mode is Mode.DIFF and result.stats.files_analyzed == 0:
        print(f"{PRODUCT}: nothing to audit: no changed Python file between "
              f"{report.compared(result)}", file=sys.stderr)
    wall = round(time.perf_counter() - started, 3)
    result = replace(result, stats=replace(result.stats, seconds=wall))
    _write(result, args, audited.fingerprints, repo)
    return _exit_code(result, args)


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


def _exit_code(result: AuditResult, args: argparse.Namespace) -> int:
    return EXIT_GO if result.verdict is Verdict.GO or args.exit_zero else EXIT_NO_GO


def _base(repo: Repo, args: argparse.Namespace, head_commit: str) -> str:
    """The base commit: the merge-base of `--base` (default: the default branch) and
    head, as a pull request compares; `--base` itself with `--base-exact`."""
    ref = args.base
    if ref is None:
        ref = repo.default_branch()
        if ref is None:
            raise UsageError("no default branch (main/master) to compare with; pass --base "
                             "REF or use --all")
    base = repo.resolve(ref)
    return base if args.base_exact else repo.merge_base(base, head_commit)


Config = tuple[str | None, str]
"""The config file's text (None when there is none) and its path."""


def _config(repo: Repo, ref: str, override: Path | None = None) -> Config:
    if override is not None:
        try:
            return override.read_text(encoding="utf-8", errors="replace"), override.as_posix()
        except OSError as exc:
            raise UsageError(f"cannot read --config {override}: {exc.strerror}") from None
    found = repo.read(ref, list(CONFIG_FILES))
    for name in CONFIG_FILES:
        if name in found:
            return found[name].decode("utf-8", "replace"), name
    return None, CONFIG_FILES[-1]


def _repo_paths(repo: Repo, paths: Iterable[Path]) -> frozenset[str]:
    """Command-line paths (relative to the current directory) as repository paths."""
    out = set()
    for path in paths:
        absolute = path.resolve()
        if not absolute.is_relative_to(repo.root.resolve()):
            raise UsageError(f"{path} is outside the repository {repo.root}")
        out.add(absolute.relative_to(repo.root.resolve()).as_posix())
    return frozenset(out)


def all_request(repo: Repo, head: str, *, config: Config | None = None,
                only: frozenset[str] | None = None,
                cached: Container[bytes] | None = None) -> AuditRequest:
    """What `ssot-bot audit --all` audits: every Python file at `head` (or those of
    `only`, with the others as context), as new. Context files whose blob ids are in
    `cached` (the facts cache) are not read."""
    config_text, config_path = config or _config(repo, head)
    names = sorted(repo.python_files(head))
    audited = [p for p in names if only is None or p in only]
    context_paths = [p for p in names if only is not None and p not in only]
    blobs = repo.python_blobs(head) if cached is not None and context_paths else {}
    contents = repo.read(head, sorted({*audited, *_uncached(context_paths, blobs, cached)}))
    changes = tuple(
        FileChange(path, ChangeStatus.ADDED, contents[path]) for path in audited
        if path in contents
    )
    return AuditRequest(changes=changes, mode=Mode.ALL,
                        context=LazyContents(repo, head, context_paths, contents),
                        context_blobs={p: blobs[p] for p in context_paths if p in blobs},
                        config_text=config_text, config_path=config_path)


def diff_request(repo: Repo, base: str, head: str, *, config: Config | None = None,
                 only: frozenset[str] | None = None,
                 cached: Container[bytes] | None = None) -> AuditRequest:
    """What `ssot-bot audit --base BASE --head HEAD` audits: the change (of the files in
    `only`, if given), with every other Python file at `head` as context and the config
    at `head`. Context files whose blob ids are in `cached` (the facts cache) are not
    read."""
    config_text, config_path = config or _config(repo, head)
    files = repo.python_files(head)
    diffs = [d for d in repo.diff(base, head) if only is None or d.path in only]
    changed_paths = [d.path for d in diffs if d.status is not ChangeStatus.DELETED]
    changed = {d.path for d in diffs}
    context_paths = [p for p in sorted(files) if p not in changed]
    blobs = repo.python_blobs(head) if cached is not None else {}
    head_contents = repo.read(head, sorted({*changed_paths,
                                            *_uncached(context_paths, blobs, cached)}))
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
    return AuditRequest(changes=changes, mode=Mode.DIFF,
                        context=LazyContents(repo, head, context_paths, head_contents),
                        context_blobs={p: blobs[p] for p in context_paths if p in blobs},
                        config_text=config_text, config_path=config_path)


def _uncached(paths: list[str], blobs: Mapping[str, Blob],
              cached: Container[bytes] | None) -> list[str]:
    """The paths whose facts the cache cannot give by blob id: these are read up front,
    in one batch."""
    if cached is None:
        return paths
    return [p for p in paths if p not in blobs or bytes.fromhex(blobs[p].id) not in cached]


def _colour(choice: str, output: Path | None) -> bool:
    """`--color`: auto colours a terminal, unless NO_COLOR (no-color.org) is set. The
    CLI's own environment, read here: `bot.settings` is the App's and the CLI loads none
    of it."""
    if choice != "auto":
        return choice == "always"
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _run(request: AuditRequest, jobs: int, store: FactsStore | None) -> AuditResult:
    """The audit, in a process pool when enough files need parsing: the changed files
    and the context files the cache lacks (read up front), not the cached ones."""
    context = request.context
    to_index = context.preloaded if isinstance(context, LazyContents) else len(context)
    work = len(request.changes) + to_index
    if jobs == 1 or work < PARALLEL_FROM_FILES:
        return audit(request, facts_cache=store, fixer=ChildFixer(cache=store, processes=jobs))
    # Imported here: a warm audit starts no pool, and the import takes 30 ms.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return audit(request, map_files=pooled_map(pool, jobs), processes=jobs,
                     facts_cache=store, fixer=ChildFixer(cache=store, processes=jobs))


def _write(result: AuditResult, args: argparse.Namespace, fingerprints: tuple[str, ...],
           repo: Repo) -> None:
    output: Path | None = args.output
    if args.format == "json":
        text = report.render_json(result)
    elif args.format == "sarif":
        sarif = report.to_sarif(result, version=package_version(), fingerprints=fingerprints,
                                repository_uri=repo.remote_url() or repo.root.as_uri())
        text = json.dumps(sarif, indent=2) + "\n"
    elif args.format == "markdown":
        text = report.render_comment(result) + "\n"
    else:
        text = report.render_text(result, report.TextOptions(
            color=_colour(args.color, output), table=args.table, quiet=args.quiet,
            statistics=args.statistics))
    if output is None:
        sys.stdout.write(text)
        return
    _write_file(output, text)


def _write_file(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
