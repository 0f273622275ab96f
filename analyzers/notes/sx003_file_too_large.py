from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class FileTooLarge(RuleMeta):
    """
    What it does:
        Notes a changed file larger than `max-file-bytes` (1 MiB by default), which is not audited.

    Why is this bad?
        Generated or vendored code is usually that big; if it is hand-written, nothing in it
        was checked.

    Example:
        A 3 MB generated protobuf module.

    Use instead:
        Exclude generated files with `exclude`, or raise `max-file-bytes`.
    """

    id = "SX003"
    name = "file-too-large"
    principle = Principle.AUDIT_COVERAGE
    severity = Severity.WARNING
