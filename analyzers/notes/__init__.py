"""Engine notes (SX0xx): what the audit itself could not do, or how it was configured."""

from analyzers.notes.sx001_syntax_error import SyntaxErrorInFile
from analyzers.notes.sx002_undecodable_file import UndecodableFile
from analyzers.notes.sx003_file_too_large import FileTooLarge
from analyzers.notes.sx004_too_complex_to_parse import TooComplexToParse
from analyzers.notes.sx005_suppression_without_reason import SuppressionWithoutReason
from analyzers.notes.sx006_unused_suppression import UnusedSuppression
from analyzers.notes.sx007_invalid_config import InvalidConfig
from analyzers.notes.sx008_analyzer_crashed import AnalyzerCrashed
from analyzers.notes.sx009_unreadable_file import UnreadableFile
from analyzers.notes.sx010_no_fix import NoFix
from analyzers.notes.sx011_suppression_not_allowed import SuppressionNotAllowed
from analyzers.notes.sx012_budget_exhausted import BudgetExhausted
from analyzers.rule import RuleMeta

NOTES: tuple[type[RuleMeta], ...] = (
    SyntaxErrorInFile,
    UndecodableFile,
    FileTooLarge,
    TooComplexToParse,
    SuppressionWithoutReason,
    UnusedSuppression,
    InvalidConfig,
    AnalyzerCrashed,
    UnreadableFile,
    NoFix,
    SuppressionNotAllowed,
    BudgetExhausted,
)
UNAUDITED_NOTES = frozenset({"SX001", "SX002", "SX003", "SX004", "SX009"})
"""Notes that say a changed file (or part of its analysis) was not audited: always on,
and never "off" in the config, so a file nobody read is never silently passed."""
