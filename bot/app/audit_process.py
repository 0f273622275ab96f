"""What runs inside the audit process pool: unpack the base tarball, overlay the pull
request's files, and audit. Everything crossing the process boundary is plain bytes.

Invariant: this module imports only `analyzers`, the stdlib, cachetools, the fixer, the
facts store and the pool's map (`bot.local.fixer`, `bot.local.facts_store`,
`bot.local.pool`: stdlib only), so a pool worker starts fast and holds no sockets, tokens
or event loops. An audit process shares its per-file work with helper processes of its
own (one per core, kept between audits). The fixer runs libcst
in a child of the audit process, as for the CLI: a crash in libcst's native parser
costs that file's fixes, not the audit.
"""

from __future__ import annotations

import collections
import difflib
import functools
import gzip
import io
import multiprocessing
import os
import select
import tarfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import cachetools

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from analyzers.config import InlineComments, load_config
from analyzers.diff import added_lines
from analyzers.engine import FactsCache, is_python
from analyzers.model import ParallelMap
from bot.local.facts_store import FactsStore
from bot.local.fixer import ChildFixer
from bot.local.pool import pooled_map

HELPERS_FROM_ITEMS = 12
"""Files (or other items) in one call of the audit's map from which they are shared with
the audit process's helpers: a pull request of a dozen big files gains a second, a few
small ones would only pay the pickling (and the first time, the helpers' start-up)."""
AUDIT_NICENESS = 10
"""How much lower than the server's the audit processes' CPU priority is."""
EXIT_OWNER_GONE = 70
"""Exit status of an audit process whose server or worker died (EX_SOFTWARE)."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ChangedFile:
    path: str
    status: ChangeStatus
    head: bytes | None
    patch: str | None
    """GitHub's hunks for this file; None when GitHub left them out (large diffs)."""
    old_path: str | None = None
    base: bytes | None = None
    """Contents at base when known without the tarball."""
    head_size: int | None = None
    """Size at head of a file not downloaded (over `max-file-bytes`)."""


@dataclass(frozen=True, slots=True)
class AuditWork:
    files: tuple[ChangedFile, ...]
    archive: bytes | None
    """The gzipped tarball of the base commit (GitHub's `tarball` endpoint), if fetched."""
    config_text: str | None
    config_path: str
    notes: tuple[str, ...] = ()
    unaudited: tuple[str, ...] = ()
    """Why some changed files were never read (not listed, not fetchable); any reason
    here keeps the check from passing."""
    max_inflated_bytes: int = 1024 * 1024 * 1024
    """The base archive is read until it has inflated to this many bytes."""
    facts_dir: str | None = None
    """The repository's facts store directory (`Settings.facts_dir`), shared by every
    audit process; None: this process's memory only."""
    fixes: bool = True
    """Whether the findings get their fixes (libcst, in children of the audit process)
    when the config's inline comments can show them."""


def run_audit(work: AuditWork) -> AuditResult:
    """Top-level so the pool can pickle it. Fixes are computed only for the review's
    inline comments: with `inline-comments = "off"` nothing shows them, and the fixer's
    child process would cost its start-up for nothing."""
    request = build_request(work)
    config, _problems = load_config(work.config_text, work.config_path)
    fixes = work.fixes and config.inline_comments is not InlineComments.OFF
    # The fixer's children use every core: the audit waits for them, and a busy
    # server's other audits share the cores as they would anyway.
    cores = os.cpu_count() or 1
    map_files: ParallelMap = map if cores == 1 else functools.partial(_helped_map, cores)
    if work.facts_dir is None:
        cache = _facts_cache()
        return audit(request, map_files=map_files, processes=cores, facts_cache=cache,
                     fixer=ChildFixer(cache=cache, processes=cores) if fixes else None)
    store = _shared_store(work.facts_dir)
    try:
        return audit(request, map_files=map_files, processes=cores, facts_cache=store,
                     fixer=ChildFixer(cache=store, processes=cores) if fixes else None)
    finally:
        store.save()  # also ends its snapshot, which the next audit must not read from


def build_request(work: AuditWork) -> AuditRequest:
    config, _problems = load_config(work.config_text, work.config_path)
    base_files: dict[str, bytes] = {}
    archive_notes: list[str] = []
    if work.archive:
        base_files, archive_notes = python_files(
            work.archive, config.index_max_files, max_file_bytes=config.max_file_bytes,
            max_inflated_bytes=work.max_inflated_bytes)
    changes = []
    touched: set[str] = set()
    for changed in work.files:
        touched.update(p for p in (changed.path, changed.old_path) if p)
        base = changed.base
        if base is None and changed.status is not ChangeStatus.ADDED:
            base = base_files.get(changed.old_path or changed.path)
        changes.append(FileChange(
            path=changed.path,
            status=changed.status,
            head=changed.head,
            base=base,
            changed_lines=_changed_lines(changed, base),
            old_path=changed.old_path,
            head_size=changed.head_size,
        ))
    context = {path: data for path, data in base_files.items() if path not in touched}
    return AuditRequest(
        changes=tuple(changes),
        context=context,
        config_text=work.config_text,
        config_path=work.config_path,
        notes=(*work.notes, *archive_notes),
    )


class _InflationBudgetError(Exception):
    """The archive inflated past its budget."""


class _BudgetedReader(io.RawIOBase):
    """Reads a gzip stream and fails once more than `budget` bytes came out of it."""

    def __init__(self, archive: bytes, budget: int) -> None:
        self._inflated = gzip.GzipFile(fileobj=io.BytesIO(archive))
        self._left = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        count = self._inflated.readinto(view[: max(0, min(len(view), self._left + 1))])
        self._left -= count
        if self._left < 0:
            raise _InflationBudgetError
        return count


def python_files(archive: bytes, limit: int, *, max_file_bytes: int,
                 max_inflated_bytes: int) -> tuple[dict[str, bytes], list[str]]:
    """Python files of a GitHub tarball (`owner-repo-sha/...`), at most `limit` of them,
    and notes on what was left out. Read as a stream: a member over `max_file_bytes`
    (by its header's size) is skipped unread, and reading stops once the archive has
    inflated to `max_inflated_bytes`, so a small archive that inflates to gigabytes
    costs a note, not the memory."""
    files: dict[str, bytes] = {}
    notes: list[str] = []
    oversized = 0
    try:
        with tarfile.open(fileobj=_BudgetedReader(archive, max_inflated_bytes),
                          mode="r|") as tar:
            for member in tar:
                _top, _, path = member.name.partition("/")
                if not member.isfile() or not is_python(path):
                    continue
                if member.size > max_file_bytes:
                    oversized += 1
                    continue
                extracted = tar.extractfile(member)
                if extracted is not None:
                    files[path] = extracted.read()
                if len(files) >= limit:
                    break
    except (_InflationBudgetError, tarfile.TarError, OSError, EOFError) as exc:
        reason = ("inflates past " + f"{max_inflated_bytes:,} bytes"
                  if isinstance(exc, _InflationBudgetError) else "is not a valid tarball")
        notes.append(f"The base archive {reason}; the audit used the {len(files):,} "
                     "Python files read before that as context.")
    if oversized:
        notes.append(f"{oversized:,} Python file(s) at the base over `max-file-bytes` were "
                     "left out of the context unread.")
    return files, notes


ALIGN_MAX_LINES = 5_000
"""Past this many lines on either side, added lines are found by counting instead of
aligning: `difflib` is quadratic in the worst case (one file took over 120 s)."""


def _changed_lines(changed: ChangedFile, base: bytes | None) -> frozenset[int] | None:
    if changed.patch is not None:
        return frozenset(added_lines(changed.patch))
    if changed.head is None or base is None:
        return None  # a new file, or nothing to compare with: every line counts
    # GitHub omits the patch of very large diffs; compute the added lines ourselves.
    base_lines, head_lines = base.splitlines(), changed.head.splitlines()
    if max(len(base_lines), len(head_lines)) > ALIGN_MAX_LINES:
        return _lines_beyond_base(base_lines, head_lines)
    matcher = difflib.SequenceMatcher(None, base_lines, head_lines, autojunk=False)
    return frozenset(
        line + 1
        for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag in ("insert", "replace")
        for line in range(j1, j2)
    )


def _lines_beyond_base(base: list[bytes], head: list[bytes]) -> frozenset[int]:
    """Every head line whose text occurs more often in head than in base: a superset of
    the added lines (a repeated line counts at each place), found in linear time. The
    engine then keeps only the lines whose statements changed."""
    surplus = collections.Counter(head)
    surplus.subtract(collections.Counter(base))
    return frozenset(n for n, text in enumerate(head, 1) if surplus[text] > 0)


@functools.cache
def _shared_store(directory: str) -> FactsStore:
    """Per process and repository: the store on disk, its connection kept across audits."""
    return FactsStore.for_code(Path(directory))


@functools.cache
def _facts_cache() -> FactsCache:
    """Per worker process: context files' facts by blob id and the fixer's answers, kept
    across audits."""
    return cachetools.LRUCache(50_000)


def _helped_map(processes: int, function: Callable[[T], R], items: Iterable[T]
                ) -> Iterable[R]:
    """The audit's `ParallelMap`: over the helper processes from `HELPERS_FROM_ITEMS`
    items on, in this process below."""
    listed = list(items)
    if len(listed) < HELPERS_FROM_ITEMS:
        return map(function, listed)
    return pooled_map(_helpers(processes), processes)(function, listed)


@functools.cache
def _helpers(processes: int) -> ProcessPoolExecutor:
    """Per audit process: the helper processes that share its per-file work (the changed
    files' analyses, the context files the facts store lacks), started by its first
    audit and kept, so later audits pay no start-up. They die with the audit process."""
    context = multiprocessing.get_context("forkserver")  # the audit process has threads
    context.set_forkserver_preload(["bot.app.audit_process"])
    return ProcessPoolExecutor(processes, mp_context=context, initializer=exit_with,
                               initargs=(os.getpid(),))


def start_audit_process(owner: int) -> None:
    """Initializer of every audit process. Audits yield the CPU to the event loop:
    acknowledging webhooks is the job with a deadline (GitHub's 10 s), an audit only has
    to finish eventually. And an audit process dies with `owner`, the server or worker
    that started the pool (`exit_with`)."""
    os.nice(AUDIT_NICENESS)
    exit_with(owner)


def exit_with(owner: int) -> None:
    """Make this process end when process `owner` does: a SIGKILLed worker must not
    leave its audits (or an audit process its helpers) running as orphans (nothing else
    would stop them: they are a fork server's children, and it outlives its parent while
    they run)."""
    if hasattr(os, "pidfd_open"):  # Linux (the deployment target); elsewhere no watch
        threading.Thread(target=_exit_with, args=(owner,), name="exit-with-owner",
                         daemon=True).start()


def _exit_with(owner: int) -> None:
    """Block until process `owner` has exited, then end this process at once (as soon as
    the audit's thread lets go of the GIL: within milliseconds, or after one long parse)."""
    try:
        handle = os.pidfd_open(owner)  # readable once the process has exited
    except ProcessLookupError:
        os._exit(EXIT_OWNER_GONE)
    poller = select.poll()
    poller.register(handle, select.POLLIN)
    poller.poll()
    os._exit(EXIT_OWNER_GONE)
