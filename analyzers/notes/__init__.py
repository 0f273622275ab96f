"""Engine notes (SX0xx): what the audit itself could not do, or how it was configured."""

from analyzers.notes.sx001_syntax_error import SyntaxErrorInFile
from analyzers.notes.sx002_undecodable_file import UndecodableFile
from analyzers.notes.sx003_file_too_large import FileTooLarge
from analyzers.notes.sx004_too_complex_to_parse import TooComplexToParse
from analyzers.notes.sx005_suppression_without_reason import SuppressionWithoutReason
from analyzers.notes.sx006_unused_suppression import UnusedSuppression
from analyzers.notes.sx007_invalid_config import InvalidConfig
from analyzers.notes.sx008_analyzer_crashed import AnalyzerCrashed
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
)
