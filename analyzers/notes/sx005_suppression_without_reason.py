from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SuppressionWithoutReason(RuleMeta):
    """
    What it does:
        Flags a `# ssot: ignore[ID]` comment that gives no reason after the bracket.

    Why is this bad?
        A reviewer cannot tell a considered exception from a silenced warning.

    Example:
        except Exception:  # ssot: ignore[SF102]

    Use instead:
        except Exception:  # ssot: ignore[SF102] the worker restarts on any error; Sentry has it
    """

    id = "SX005"
    name = "suppression-without-reason"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
