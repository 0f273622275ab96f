"""The pure analysis core of ssot-bot: bytes in, findings out. No I/O, no globals.

`audit` is the one entry point front ends call; `ALL_RULES` documents what it checks.
"""

from analyzers.engine import audit
from analyzers.model import (
    AuditRequest,
    AuditResult,
    ChangeStatus,
    FileChange,
    Finding,
    Mode,
    Verdict,
)
from analyzers.registry import ALL_RULES

__all__ = [
    "ALL_RULES",
    "AuditRequest",
    "AuditResult",
    "ChangeStatus",
    "FileChange",
    "Finding",
    "Mode",
    "Verdict",
    "audit",
]
