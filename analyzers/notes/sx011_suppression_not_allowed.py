from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SuppressionNotAllowed(RuleMeta):
    """
    What it does:
        Flags a suppression comment (`# ssot: ignore[ID] reason`, or another linter's
        `# noqa` / `# pylint: disable`) for a rule that the repository's `suppressible`
        setting does not let authors suppress in code. The finding still counts.

    Why is this bad?
        The team decided, in the config at the base branch, that this rule's findings are
        settled by fixing the code or by a reviewed config entry, not by the pull
        request's own author.

    Example:
        except:  # ssot: ignore[SF101] just this once  (with suppressible = ["SS", "DU"])

    Use instead:
        Fix the code, or change `suppressible` in the config through its own reviewed pull
        request.
    """

    id = "SX011"
    name = "suppression-not-allowed"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
