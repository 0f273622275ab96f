from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class DuplicatedBlock(RuleMeta):
    """
    What it does:
        Flags a changed block of at least `min-lines` lines and `min-tokens` tokens that
        already exists elsewhere: identical (type-1 clone: the same code and the same
        imports) or identical up to a consistent renaming of locals and literals, or with
        other imports (type-2). Every other copy is listed with its lines. A class pasted
        under a new name is one finding, from its `class` line, with the advice to derive
        one class from the other, and an error from the first copy (a second definition, as
        DU303 judges a copied function) unless its literals differ (two error types with
        their own messages are two meanings); a copy pasted right next to its original is
        still a copy (it is aligned up to the definition where the two meet). Under the Rule
        of Two (`rule-of-two`, on by default) one other copy is a notice and two or more are
        an error. Measured on seven mature projects, half of the single copies were worth
        raising (3 of 6), short of the 80% a warning needs, while every block with two or
        more copies was; hence the notice.

    Why is this bad?
        Two copies of the same logic are two truths: a fix or a change of mind lands in
        one of them, and the other silently keeps the old behaviour.

    Known limits:
        What is not a copy, by principle: two dict displays of computed values with other
        string keys (a record's field names are its shape: a WSGI environ and an ASGI scope
        are different records however alike their layout; a dict of literals is data and
        its keys rename like any literal); code in example and documentation folders
        (written to stand alone) and demo code under `if __name__ == "__main__":` marked
        `# pragma: no cover`; sibling implementations (blocks of same-named functions:
        overrides in sibling classes, methods of same-named classes in two modules, the
        same function of parallel per-backend or per-locale modules; sync/async twins
        that differ by `async`/`await`; the two branches of a module- or class-level
        `if`/`else` switch); a run of small whole functions written to one shape (a
        visitor's `visit_*` methods); a closure copied into another function (nothing
        to import); two one-call wrappers (`get(url, ...)` and `delete(url, ...)` around
        one `request(...)`); blocks inside test functions (a test restates its setup to
        read on its own; a whole test copied under another name is DU303's, and one
        copied whole, from its first statement to its last check, with other values or
        a statement changed is one test written twice, a parametrize case, reported
        here or by DU302). A block that starts at a class header of a class copied
        with its methods changed is two implementations of one interface when the
        methods keep their names (a sibling), not a copy. Other blocks of test modules
        are notices at most: a test module restates its fakes, fixtures and per-case
        data so that each test reads on its own, and none of the 8 such copies read on
        real projects was worth raising (`test-duplicates-severity` sets the level of
        whole functions copied in tests, and "off" silences both). Declarative calls with literal
        arguments called on a name (`parser.add_argument("--x", default=1)`; not a
        method of a computed value, `b64encode(raw).decode("ascii")`), data tables,
        imports and
        `self.x = x` lines count zero towards the size. A name the function does not
        bind (a module function or constant, a builtin) is not renamable: a copy that
        calls or reads another one does something else. A whole function is judged as
        a definition, by DU303. A class copied whole under a new name is reported
        even when each of its methods is under the thresholds.

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
