from __future__ import annotations

from analyzers.model import Principle, Severity
from analyzers.rule import RuleMeta


class DuplicatedFunction(RuleMeta):
    """
    What it does:
        Flags a new function whose whole definition equals an existing function, exactly
        or up to a consistent renaming (type-1 or type-2 clone). The finding names the
        existing function; its subject is the new function's name, so an
        `acceptable-duplicates` entry can accept it by name.

    Why is this bad?
        The function already exists: a second definition is a second truth that will
        drift, and readers cannot tell which one is meant to be used.

    Example:
        # reports/util.py (new)
        def slugify(text):
            ...  # the same body as text/slug.py's slugify

    Use instead:
        import the existing function and call it instead of defining a copy
    """

    id = "DU303"
    name = "duplicated-function"
    principle = Principle.SEARCH_FIRST
    severity = Severity.ERROR
