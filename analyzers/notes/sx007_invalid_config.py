from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class InvalidConfig(RuleMeta):
    """
    What it does:
        Flags an unknown key or a bad value in the audited repository's `[tool.ssot]` config
        (or `.ssot.toml`).

    Why is this bad?
        A misspelt key silently does nothing; the audit then runs with defaults the team did
        not choose.

    Example:
        [tool.ssot] max-file-byte = 10

    Use instead:
        [tool.ssot] max-file-bytes = 10
    """

    id = "SX007"
    name = "invalid-config"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
