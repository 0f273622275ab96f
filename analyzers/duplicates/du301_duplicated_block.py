from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class DuplicatedBlock(RuleMeta):
    """
    What it does:
        Flags a changed block of at least `min-lines` lines and `min-tokens` tokens that
        already exists elsewhere: identical (type-1 clone) or identical up to a consistent
        renaming of names and literals (type-2). Every copy is listed. Under the Rule of
        Two (`rule-of-two`, on by default) one other copy is a warning and two or more
        are an error; copies in test files use `test-duplicates-severity`.

    Why is this bad?
        Two copies of the same logic are two truths: a fix or a change of mind lands in
        one of them, and the other silently keeps the old behaviour.

    Example:
        # billing/invoice.py (new)
        total = 0
        for line in order.lines:
            if line.refunded:
                continue
            total += line.price * line.quantity
        ...

    Use instead:
        extract the block into one function and call it from every copy
    """

    id = "DU301"
    name = "duplicated-block"
    principle = Principle.NO_DUPLICATE_LOGIC
    severity = Severity.ERROR
