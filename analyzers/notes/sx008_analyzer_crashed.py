from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class AnalyzerCrashed(RuleMeta):
    """
    What it does:
        Notes that one rule or check raised an unexpected error on this change; the other
        rules still ran, and the error's type and message are in the finding.

    Why is this bad?
        Whatever that rule checks was not checked, so the verdict says nothing about it.
        It is a bug in ssot-bot, never in your code.

    Example:
        SX008: check_duplicates raised IndexError: list index out of range

    Use instead:
        Report it to the ssot-bot maintainers with the finding's message; `/ssot recheck`
        or a new push runs the audit again.
    """

    id = "SX008"
    name = "analyzer-crashed"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
