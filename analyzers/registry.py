"""Every rule the engine knows, and the cross-file checks it runs after reading files."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzers.config import AuditConfig
from analyzers.model import AuditRequest, Finding
from analyzers.notes import NOTES
from analyzers.rule import FileRule, RuleMeta
from analyzers.silent_failures import RULES as SILENT_FAILURE_RULES

if TYPE_CHECKING:
    from analyzers.engine import FileAnalysis


@dataclass(frozen=True, slots=True)
class Project:
    """What cross-file checks see: the request, the config and each audited file's facts."""

    request: AuditRequest
    config: AuditConfig
    analyses: tuple[FileAnalysis, ...]
    neighbours: tuple[str, ...] = ()


CrossFileCheck = Callable[[Project], Iterable[Finding]]

FILE_RULES: tuple[type[FileRule], ...] = SILENT_FAILURE_RULES
CROSS_FILE_RULES: tuple[type[RuleMeta], ...] = ()
CROSS_FILE_CHECKS: tuple[CrossFileCheck, ...] = ()
ALL_RULES: tuple[type[RuleMeta], ...] = (*FILE_RULES, *CROSS_FILE_RULES, *NOTES)
