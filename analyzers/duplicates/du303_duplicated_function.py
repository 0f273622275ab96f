from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class DuplicatedFunction(RuleMeta):
    """
    What it does:
        Flags a new function whose whole definition equals an existing function, exactly
        or up to a consistent renaming of its parameters, locals and own name (type-1 or
        type-2 clone). It is an error from the first copy: the Rule of Two is about
        similar blocks, which may agree by chance once, not about a second copy of a
        whole function. A definition is judged as one, below the block thresholds: it
        needs one real statement of code (15 lexical tokens, signature and docstring not
        counted), so a copied one-statement helper is reported and two one-line
        accessors or delegations that agree are not. Whole functions are compared by
        their shape (their tokens with names encoded by their previous use), so a copy
        is found however small, in another class or module or right next to its
        original; a function defined twice under one name in one module or class is
        reported too (the later one replaces the earlier: delete one). The finding anchors at the
        definition (decorators to the end of its body) and names the existing function;
        its subject is the new function's name, so an `acceptable-duplicates` entry can
        accept it by name.

    Why is this bad?
        The function already exists: a second definition is a second truth that will
        drift, and readers cannot tell which one is meant to be used.

    Known limits:
        Not reported: a copy that differs in a literal or in a name the function does
        not bind (it calls or reads something else: a different function, such as an
        accessor of another key; a long one is still a DU301 block); closures
        (nothing to import); a copy of a function in a script (a module with a
        `__main__` block) or a scripts folder (standalone files); a same-named
        top-level function of a parallel module (one per backend or locale); a verbatim
        top-level copy under the same name, which SS201 reports (one construct, one
        finding); a same-named method of a class that shares no base with the new one
        (two classes implementing one protocol). A module in a folder whose name is not
        a Python identifier cannot be imported: the suggestion says so.

    Example:
        # reports/util.py (new)
        def slugify(text):
            ...  # the same body as text/slug.py's slugify

    Use instead:
        import the existing function (`from text.slug import slugify`) and call it; for
        a method identical in sibling classes, move it to their common base class
    """

    id = "DU303"
    name = "duplicated-function"
    principle = Principle.SEARCH_FIRST
    severity = Severity.ERROR
