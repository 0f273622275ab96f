from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class UnreadableFile(RuleMeta):
    """
    What it does:
        Notes a changed Python file whose contents the front end could not provide (not
        fetched from GitHub, not readable from git); it was not audited.

    Why is this bad?
        A changed file that is silently left out makes GO mean "passed, except what we did
        not read". An error by default; `severity = { SX009 = "warning" }` lets such
        files pass with the note, and it cannot be turned off.

    Example:
        A file GitHub lists in the pull request but whose blob could not be downloaded.

    Use instead:
        Re-run the audit (`/ssot recheck`); if it persists, the note says what failed.
    """

    id = "SX009"
    name = "unreadable-file"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.ERROR
