from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class UnusedSuppression(RuleMeta):
    """
    What it does:
        Flags a `# ssot: ignore[ID]` comment in changed code that suppresses nothing on its
        line, or names an unknown rule.

    Why is this bad?
        Stale suppressions hide the next real problem on that line.

    Example:
        x = 1  # ssot: ignore[SF102] left over

    Use instead:
        Delete the comment.
    """

    id = "SX006"
    name = "unused-suppression"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
