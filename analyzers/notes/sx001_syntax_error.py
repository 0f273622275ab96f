from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SyntaxErrorInFile(RuleMeta):
    """
    What it does:
        Notes a changed Python file that does not parse; the rest of the change is still audited.

    Why is this bad?
        Nothing in that file was checked, so a GO verdict says nothing about it.

    Example:
        def broken(:

    Use instead:
        Fix the syntax; the next push audits the file.
    """

    id = "SX001"
    name = "syntax-error"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
