from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class BudgetExhausted(RuleMeta):
    """
    What it does:
        Notes that duplicate matching stopped at its work budget (tokens handed to the
        aligner), so copies among what was not compared may be unreported.

    Why is this bad?
        Such a change is unusually alike to much of the repository (generated code, many
        near-identical files); matching on would run into the App's time limit and lose
        every finding instead of some. The other families audited everything.

    Example:
        A pull request adding forty near-identical 10 KB modules.

    Use instead:
        Exclude generated files with `exclude`, or split the change.
    """

    id = "SX012"
    name = "budget-exhausted"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
