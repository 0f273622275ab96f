from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class UndecodableFile(RuleMeta):
    """
    What it does:
        Notes a changed file that is binary or not valid in its declared encoding (UTF-8
        unless a PEP 263 cookie says otherwise); it was not audited.

    Why is this bad?
        Python cannot read it either, and nothing in it was checked: a GO verdict would
        pass code nobody read. An error by default; `severity = { SX002 = "warning" }`
        lets such files pass with the note, and it cannot be turned off.

    Example:
        A latin-1 file without a coding cookie.

    Use instead:
        Save it as UTF-8, or declare the encoding with a coding cookie on the first line.
    """

    id = "SX002"
    name = "undecodable-file"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.ERROR
