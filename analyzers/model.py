"""The data that flows through the engine: what goes in, what comes out.

Everything here is a frozen dataclass or an enum, so results can cross process
boundaries (pickle) and be compared in tests.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class ParallelMap(Protocol):
    """`map`, or a process pool's `map`: runs a top-level function over items that pickle,
    giving the results in the items' order."""

    def __call__(self, function: Callable[[_Item], _Result], items: Iterable[_Item], /
                 ) -> Iterable[_Result]: ...


class PicklesAsArguments:
    """Base of the small frozen dataclasses that the facts store holds by the ten
    thousand: each pickles as its class and its field values, so unpickling one is one
    call of its `__init__`, twice as fast as the state copy that slots dataclasses get.
    Only for dataclasses whose every field is an `__init__` argument."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        fields: tuple[str, ...] = self.__slots__  # a slots dataclass's: its fields, in order
        return type(self), tuple(getattr(self, name) for name in fields)


class Severity(enum.StrEnum):
    """What a finding earns, by its rule's measured precision on real projects: an error
    blocks the merge (at least 95% of them are worth raising), a warning asks for a look
    (at least 80%), a notice is shown for the reviewer to weigh and asks nothing."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return (Severity.NOTICE, Severity.WARNING, Severity.ERROR).index(self)


class Principle(enum.StrEnum):
    """The checklist rows of the report, in the order they are shown."""

    SINGLE_SOURCE_OF_TRUTH = "Single Source of Truth"
    SEARCH_FIRST = "Search First, Create Second"
    NO_DUPLICATE_LOGIC = "No Duplicate Logic"
    NO_SILENT_FAILURES = "No Silent Failures"
    CONFIGURATION_SSOT = "Configuration SSOT"
    ISOLATION = "Isolation (no shared mutable state)"
    REAL_TESTING = "Real Testing"
    TESTED = "Tested"
    """New public functions some test names (SS209, off until a repository turns it on)."""
    AUDIT_COVERAGE = "Audit coverage"


class Status(enum.StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    ACCEPTABLE = "ACCEPTABLE"


class Verdict(enum.StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"


class Mode(enum.StrEnum):
    DIFF = "diff"
    """Only findings that touch changed lines count."""
    ALL = "all"
    """Every Python file of the head tree is audited as if it were new."""


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding refers to, such as the existing copy."""

    path: str
    line: int
    message: str
    name: str | None = None
    """The name defined at that place (the existing function or constant), for fixes
    that import it; None when the place defines nothing by name."""


class Applicability(enum.StrEnum):
    """How far a fix can be trusted, as ruff says it."""

    SAFE = "safe"
    """Behaviour-preserving: `--fix` applies it."""
    UNSAFE = "unsafe"
    """Changes behaviour or needs a reviewer's eye: only with `--unsafe-fixes`."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column) with `content`.
    Lines are 1-based, columns 1-based in characters; the end is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    """Edits that resolve a finding, all in the finding's file, never overlapping."""

    message: str
    """One line saying what the fix does."""
    applicability: Applicability
    edits: tuple[Edit, ...]


class SuppressionKind(enum.StrEnum):
    COMMENT = "comment"
    """`# ssot: ignore[ID] reason` on the flagged line."""
    ACCEPTABLE = "acceptable-duplicate"
    """An `[[tool.ssot.acceptable-duplicates]]` entry of the audited repo's config."""


@dataclass(frozen=True, slots=True)
class Suppression:
    kind: SuppressionKind
    reason: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    name: str
    principle: Principle
    severity: Severity
    path: str
    line: int
    column: int
    """1-based, in characters."""
    end_line: int
    message: str
    suggestion: str
    related: tuple[Related, ...] = ()
    suppression: Suppression | None = None
    subject: str | None = None
    """The name the finding is about (a function, a constant), for acceptable-duplicates."""
    fix: Fix | None = None
    """Edits that resolve it, when a codemod could write them (`analyzers.fixes`)."""
    code: tuple[str, ...] = ()
    """The flagged lines as written at head (the first `FLAGGED_LINES_KEPT` of them), for
    reports to quote; empty when the file's text is not at hand."""

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def blocks(self) -> bool:
        """True when this finding alone makes the verdict NO-GO."""
        return self.severity is Severity.ERROR and self.suppression is None


class ChangeStatus(enum.StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One changed file, as raw bytes: decoding is the engine's job, so bad encodings
    become findings instead of exceptions in the caller."""

    path: str
    """Posix path relative to the repository root, at head."""
    status: ChangeStatus
    head: bytes | None
    """Contents at head; None when deleted or not fetched (too large to fetch)."""
    base: bytes | None = None
    """Contents at base; None when the file is new."""
    changed_lines: frozenset[int] | None = None
    """Line numbers (1-based, in head) added or modified; None means every line."""
    old_path: str | None = None
    head_size: int | None = None
    """Size in bytes when known without the contents (a file too large to fetch)."""


@dataclass(frozen=True, slots=True)
class Blob:
    """A file known by its git blob id and size, so that its cached facts can be found
    without reading (or hashing) its contents."""

    id: str
    """The git object id (hex), as `git ls-tree` names it: `engine.blob_id` of the bytes."""
    size: int


@dataclass(frozen=True, slots=True)
class AuditRequest:
    changes: tuple[FileChange, ...]
    mode: Mode = Mode.DIFF
    context: Mapping[str, bytes] = field(default_factory=dict)
    """Files that did not change but inform the audit (neighbours, the rest of the
    repository): path -> contents at head. May be lazy (the CLI's reads a blob when it is
    asked for one): the engine asks only for the files whose facts the facts cache lacks
    and the few the fix planner opens."""
    context_blobs: Mapping[str, Blob] = field(default_factory=dict)
    """Blob ids of context files (all of them, or some): a file whose facts are cached
    under its blob id is never read. A path here and not in `context` is audited from
    the cache alone, after the files of `context`."""
    config_text: str | None = None
    """The audited repo's `pyproject.toml` or `.ssot.toml` text, if any."""
    config_path: str = "pyproject.toml"
    notes: tuple[str, ...] = ()
    """What the caller already knows it could not fetch or list (said in the report)."""


POSITIVE_KEPT = 5
"""Positive evidence a checklist row names; the rest is counted."""
FLAGGED_LINES_KEPT = 12
"""Lines of flagged code a finding carries (a whole copied function is not repeated)."""


class EvidenceKind(enum.StrEnum):
    """What a change did right, as a reviewer says it."""

    REUSES = "reuses"
    """New code imports or calls an existing definition of the project."""
    READS_CONFIG = "reads-config"
    """New code reads a setting through a config module (`config-modules`)."""
    EXTENDS = "extends"
    """A new definition is added to an existing module instead of a new one."""
    TESTED_BY = "tested-by"
    """A test module imports the changed module."""


@dataclass(frozen=True, slots=True)
class PositiveEvidence:
    """One thing a change did right, from the same index the rules use: only names and
    modules that resolve to the project's own files."""

    kind: EvidenceKind
    path: str
    """The existing module: the one defining `name`, the one extended, or the test file."""
    line: int
    """Where in `path` (the definition's line; 1 for a whole module)."""
    name: str | None
    """The definition reused or added; None for a whole module (a test file)."""
    used_in: str
    """The changed module the evidence is about."""


@dataclass(frozen=True, slots=True)
class ChecklistRow:
    """One principle's line of the checklist. Renderers build its evidence from the
    structured fields (counts and places, each place a finding they can link), never by
    reading `evidence` back."""

    principle: Principle
    status: Status
    quiet_evidence: str
    """What the row says when none of its findings counts ("no new silent failures")."""
    findings: tuple[Finding, ...] = ()
    """Every finding behind the row, suppressed and accepted ones included."""
    positive: tuple[PositiveEvidence, ...] = ()
    """What the change did right under this principle, the first `POSITIVE_KEPT`."""
    positive_total: int = 0
    """How many there were in all ("and N more")."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings
                     if not f.suppressed and f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings
                     if not f.suppressed and f.severity is Severity.WARNING)

    @property
    def notices(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings
                     if not f.suppressed and f.severity is Severity.NOTICE)

    @property
    def accepted(self) -> tuple[Finding, ...]:
        """Findings marked acceptable duplicates by the config (with its reason)."""
        return tuple(f for f in self.findings if f.suppression is not None
                     and f.suppression.kind is SuppressionKind.ACCEPTABLE)

    @property
    def suppressed(self) -> int:
        """Findings suppressed in code (acceptable duplicates are counted apart)."""
        return sum(1 for f in self.findings if f.suppressed) - len(self.accepted)

    def recounted(self, findings: tuple[Finding, ...]) -> ChecklistRow:
        """The row for `findings`, its status from them: FAIL on an error, WARN on a
        warning, ACCEPTABLE when only accepted duplicates are left, else PASS."""
        row = replace(self, findings=findings)
        if row.errors:
            status = Status.FAIL
        elif row.warnings:
            status = Status.WARN
        elif row.accepted:
            status = Status.ACCEPTABLE
        else:
            status = Status.PASS
        return replace(row, status=status)

    @property
    def places(self) -> tuple[Finding, ...]:
        """The findings the evidence names, in the order it names them: errors,
        warnings, notices, then acceptable duplicates."""
        return self.errors + self.warnings + self.notices + self.accepted


@dataclass(frozen=True, slots=True)
class Stats:
    files_changed: int
    files_analyzed: int
    context_files: int
    lines_analyzed: int
    seconds: float
    findings: int
    suppressed: int
    neighbours: tuple[str, ...] = ()


class HeadSource(enum.StrEnum):
    """Where the audited head's contents came from."""

    COMMIT = "commit"
    WORKING_TREE = "working-tree"
    """The checkout's files as they are on disk (tracked files, uncommitted edits too)."""
    INDEX = "index"
    """What `git commit` would record."""


@dataclass(frozen=True, slots=True)
class Revisions:
    """What an audit compared, as its front end resolved it, so every report can name it."""

    head: str
    """The head commit's sha; for a working tree or the index, the commit they sit on."""
    base: str | None = None
    """The base commit's sha; None when every file was audited as new (`--all`)."""
    head_source: HeadSource = HeadSource.COMMIT


@dataclass(frozen=True, slots=True)
class AuditResult:
    verdict: Verdict
    mode: Mode
    findings: tuple[Finding, ...]
    """Every finding that counts, suppressed ones included (marked), sorted by place."""
    checklist: tuple[ChecklistRow, ...]
    stats: Stats
    notes: tuple[str, ...] = ()
    revisions: Revisions | None = None
    """Set by the front end that knows them (the engine sees bytes, not commits)."""

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks)

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)
