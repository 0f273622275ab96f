from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SyntaxErrorInFile(RuleMeta):
    """
    What it does:
        Notes a changed Python file that does not parse with the Python the audit runs on
        (its version is named); nothing in that file was audited, the rest of the change was.

    Why is this bad?
        Nothing in that file was checked, so a GO verdict would say nothing about it: a
        required check that passes files it could not read can be dodged by breaking the
        parse. Syntax newer than the auditing Python (`type Alias = int` on 3.11) is the
        same case. An error by default; `severity = { SX001 = "warning" }` lets such files
        pass with the note, and it cannot be turned off.

    Known limits:
        A file that only a newer Python accepts needs the audit to run on that Python.

    Example:
        def broken(:

    Use instead:
        Fix the syntax, or run ssot-bot on a Python that knows it; the next push audits
        the file.
    """

    id = "SX001"
    name = "syntax-error"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.ERROR
