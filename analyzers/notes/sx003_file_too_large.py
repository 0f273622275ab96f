from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class FileTooLarge(RuleMeta):
    """
    What it does:
        Notes a changed Python file larger than `max-file-bytes` (1 MiB by default), which
        was not audited.

    Why is this bad?
        Nothing in it was checked; if a big file passed by default, padding a file (a
        1 MiB comment) would dodge the gate. Generated or vendored code is usually that
        big and belongs in `exclude`. An error by default; `severity = { SX003 =
        "warning" }` lets such files pass with the note, and it cannot be turned off.

    Example:
        A 3 MB generated protobuf module.

    Use instead:
        Exclude generated files with `exclude`, split the module, or raise
        `max-file-bytes`.
    """

    id = "SX003"
    name = "file-too-large"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.ERROR
