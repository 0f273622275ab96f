from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class SimilarBlock(RuleMeta):
    """
    What it does:
        Flags a changed block that is a near-miss copy of code elsewhere (type-3 clone):
        one to a few statements added, removed or changed, at least `min-similarity`
        (default 0.8) of its tokens aligned with the copy. The similarity and every copy
        are shown. A notice, with any number of copies: on seven mature projects 18 of
        the 40 near-misses read were worth raising (45%), short of the 80% a warning
        needs; most near-misses are code written to one shape on purpose (see Known
        limits). Set it to "warning" in `severity` to have the check run ask for them.

    Why is this bad?
        A copy that was tweaked is still a copy: the shared part will drift, and the
        tweak hides which differences are intended.

    Known limits:
        Not reported: blocks in example and documentation folders; sibling
        implementations (blocks of same-named functions: overrides in sibling classes,
        one module per backend; sync/async twins that differ by `async`/`await`; the
        two branches of a module-level `if`/`else` switch); runs of small whole
        functions (a visitor's `visit_*` methods); a class copied with its methods
        changed under their own names (two implementations of one interface); a test
        that shares its setup with another but ends in checks of its own. Still
        reported, and dismissed by
        reviewers more often than not: near-miss parameter parsers and test cases
        that differ in their data, which is why this rule is a notice.

    Example:
        def active_users(users):
            result = []
            for user in users:
                if user.active and not user.banned:
                    result.append(user.email.lower())
            return result

    Use instead:
        extract the shared part into one function and pass the differences as parameters
    """

    id = "DU302"
    name = "similar-block"
    principle = Principle.NO_DUPLICATE_LOGIC
    severity = Severity.NOTICE
