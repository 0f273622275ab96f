from __future__ import annotations

import re
from collections.abc import Iterator

from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.repo import RepoIndex, is_peripheral, same_role

_WORD = re.compile(r"[A-Za-z][a-z0-9_]*")
"""A one-word value (`'password'`, `'Shipping'`) means different things in different
corners of a code base; it only counts against a nearby module's constant."""


class DuplicateConstantValue(RuleMeta):
    """
    What it does:
        Flags a new module-level constant whose value (a distinctive literal, not `0`,
        `True` or a short common word) equals a named constant in another module.

    Why is this bad?
        The value now has two homes. When one changes, the other silently keeps the old
        value, and nothing ties them together.

    Example:
        # app/views.py, new
        AUTH_COOKIE = "sessionid"   # app/config.py already has SESSION_COOKIE_NAME

    Use instead:
        from app.config import SESSION_COOKIE_NAME
    """

    id = "SS202"
    name = "duplicate-constant-value"
    principle = Principle.SINGLE_SOURCE_OF_TRUTH
    severity = Severity.ERROR


def find(repo: RepoIndex) -> Iterator[Finding]:
    for module in repo.changed:
        if is_peripheral(module.path):
            continue  # tests state expected values on purpose
        for constant in module.facts.constants:
            if not constant.value.distinctive or not module.touches(constant.line):
                continue
            if repo.in_family(module.path, constant.name):
                continue
            word = _WORD.fullmatch(constant.value.shown.strip("'\"")) is not None
            existing = [
                (path, other) for path, other in repo.constants_by_value[constant.value.key]
                if path != module.path and not is_peripheral(path)
                and (not word or repo.is_neighbour(path))
                and not same_role(module.path, path)
                and not repo.in_family(path, other.name)
            ]
            if not existing or module.existed_before(constant.name):
                continue
            ranked = repo.canonical_order(existing)
            path, canonical = ranked[0]
            yield repo.finding(
                DuplicateConstantValue,
                module.path,
                constant,
                f"`{constant.name} = {constant.value.shown}` repeats the value of "
                f"`{canonical.name}` at {path}:{canonical.line}",
                f"{repo.reuse(path, canonical.name)} instead of restating the value",
                [Related(p, c.line, f"`{c.name}` has the same value") for p, c in ranked],
                constant.name,
            )
