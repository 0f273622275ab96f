from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class NoFix(RuleMeta):
    """
    What it does:
        Notes that a finding of a rule that has fixes got none, and why: the existing
        module cannot be imported by a module path, the import would create an import
        cycle, the codemod could not apply, or the fixer crashed or timed out on the file.

    Why is this bad?
        It is not: the finding stands as it is and only the automatic fix is missing.
        The note says why, so `--fix` leaving a finding behind is never a mystery.

    Example:
        SX010: no fix for SS201 `parse_rate`: app/rates.py imports app/billing.py
        (directly or not), so importing from it here would create an import cycle

    Use instead:
        Apply the finding's suggestion by hand.
    """

    id = "SX010"
    name = "no-fix"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
