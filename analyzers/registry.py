"""Every rule the engine knows, and the cross-file checks it runs after reading files."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzers.config import AuditConfig
from analyzers.duplicates import RULES as DUPLICATE_RULES
from analyzers.duplicates.check import check_duplicates
from analyzers.duplicates.tokens import extract_duplicate_facts
from analyzers.model import AuditRequest, Finding, ParallelMap
from analyzers.notes import NOTES
from analyzers.rule import FileRule, RuleMeta
from analyzers.silent_failures import RULES as SILENT_FAILURE_RULES
from analyzers.source import ParsedFile
from analyzers.ssot import FILE_RULES as SSOT_FILE_RULES
from analyzers.ssot.check import CROSS_FILE_RULES as SSOT_CROSS_FILE_RULES
from analyzers.ssot.check import check_ssot
from analyzers.ssot.index import extract_ssot_facts

if TYPE_CHECKING:
    from analyzers.engine import FileAnalysis


@dataclass(frozen=True, slots=True)
class Project:
    """What cross-file checks see: the request, the config, each audited file's analysis,
    and the facts of every file read (changed and context) by family name."""

    request: AuditRequest
    config: AuditConfig
    analyses: tuple[FileAnalysis, ...]
    facts: Mapping[str, Mapping[str, object]]
    """path -> fact family name -> that family's facts for the file (changed files at
    head, then context files)."""
    neighbours: tuple[str, ...] = ()
    map_work: ParallelMap = map
    """Runs work over the `processes` of the audit (`audit`'s `map_files`)."""
    processes: int = 1


CrossFileCheck = Callable[[Project], Iterable[Finding]]
FactExtractor = Callable[[ParsedFile], Mapping[str, object]]
"""Computes one analysis's per-file facts from a parsed file, by fact family (a facts
store may read each family of a file on its own). The facts must pickle and must not
depend on the path (they are cached by content hash and shared between copies)."""

FACT_EXTRACTORS: Mapping[str, FactExtractor] = {
    "ssot": extract_ssot_facts,
    "duplicates": extract_duplicate_facts,
}
"""By analysis name (what a note says was too deep to read)."""

FILE_RULES: tuple[type[FileRule], ...] = (*SILENT_FAILURE_RULES, *SSOT_FILE_RULES)
CROSS_FILE_RULES: tuple[type[RuleMeta], ...] = (*SSOT_CROSS_FILE_RULES, *DUPLICATE_RULES)
CROSS_FILE_CHECKS: tuple[CrossFileCheck, ...] = (check_ssot, check_duplicates)
ALL_RULES: tuple[type[RuleMeta], ...] = (*FILE_RULES, *CROSS_FILE_RULES, *NOTES)
