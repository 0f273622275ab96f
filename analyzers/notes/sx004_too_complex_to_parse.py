from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class TooComplexToParse(RuleMeta):
    """
    What it does:
        Notes a file whose nesting is too deep or whose expressions are too long to parse
        safely (for example `y = a0 + a1 + ... + a9999`).

    Why is this bad?
        Such input crashes some parsers outright (libcst issues 619 and 1000); the audit
        skips the file instead of dying.

    Example:
        Ten thousand terms added in one expression.

    Use instead:
        Build the value in a loop or from a data file.
    """

    id = "SX004"
    name = "too-complex-to-parse"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
