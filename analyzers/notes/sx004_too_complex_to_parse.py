from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class TooComplexToParse(RuleMeta):
    """
    What it does:
        Notes a changed file that the parser, or one of the analyses, refused as nested
        too deeply or holding too long an expression; the file was not audited (or not
        by every analysis: the note names which).

    Why is this bad?
        Nothing in it (or in that analysis) was checked, and a gate that passes what it
        could not read can be dodged by one long line. The limits are the parser's own
        (CPython's `ast` gives up at a few thousand levels, and at 200 nested brackets),
        far beyond code people write. An error by default; `severity = { SX004 =
        "warning" }` lets such files pass with the note, and it cannot be turned off.

    Example:
        Ten thousand terms added in one expression (`y = a0 + a1 + ... + a9999`).

    Use instead:
        Build the value in a loop or from a data file, or split the expression.
    """

    id = "SX004"
    name = "too-complex-to-parse"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.ERROR
