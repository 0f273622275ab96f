from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SuppressionWithoutReason(RuleMeta):
    """
    What it does:
        Flags a `# ssot: ignore[ID]` comment that gives no reason after the bracket. Such
        a comment suppresses nothing: the finding it names still counts (and blocks, if
        it is an error).

    Why is this bad?
        A reviewer cannot tell a considered exception from a silenced warning, and a gate
        that any author can silence with six characters is no gate.

    Example:
        except Exception:  # ssot: ignore[SF102]

    Use instead:
        except Exception:  # ssot: ignore[SF102] the worker restarts on any error; Sentry has it
    """

    id = "SX005"
    name = "suppression-without-reason"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
