from __future__ import annotations

import re
from collections.abc import Iterator

from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.index import Constant
from analyzers.ssot.repo import RepoIndex, is_peripheral, same_role, specific_name

_WORD = re.compile(r"[A-Za-z][a-z0-9_]*")
"""A one-word value (`'password'`, `'Shipping'`) means different things in different
corners of a code base; it only counts against a nearby module's constant."""


class DuplicateConstantValue(RuleMeta):
    """
    What it does:
        Flags a new module-level constant whose value (a distinctive literal, not `0`,
        `True` or a short common word) equals a named constant in another module, or
        that restates another module's constant by name and value, whatever the value
        (`TOKEN_MARGIN = 5 * 60` twice). Values built from literals count as values:
        constant arithmetic (`5 * 60` is `300`) and calls on literals
        (`Decimal("0.19")`, `timedelta(seconds=30)`, `re.compile(r"...")`).

    Why is this bad?
        The value now has two homes. When one changes, the other silently keeps the old
        value, and nothing ties them together.

    Known limits:
        Not flagged: tests, examples, docs and scripts (they state expected values on
        purpose), modules of one family (one `formats.py` per locale), standalone files,
        private or short one-word names restated (`_LIMIT`, `DEBUG`), declarations named
        by their first argument (`T_CO = TypeVar("T_CO")`), sentinels made by a call
        without arguments (`MISSING = object()`), and one-word string values
        (`"password"`) matched against modules that are not around this one. Of two
        new copies in one change only the one that is not the original (a config or
        constants module, else the earlier path) is flagged.

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
            if not module.touches(constant.line) or repo.in_family(module.path, constant.name):
                continue
            same_name = [
                (path, other) for path, other in repo.constants_by_name[constant.name]
                if other.value.key == constant.value.key and path != module.path
            ] if specific_name(constant.name) else []
            word = _WORD.fullmatch(constant.value.shown.strip("'\"")) is not None
            same_value = [
                (path, other) for path, other in repo.constants_by_value[constant.value.key]
                if path != module.path and (not word or repo.near(module.path, path))
            ] if constant.value.distinctive else []
            existing = (_homes(repo, module.path, same_name)
                        or _homes(repo, module.path, same_value))
            if not existing or module.existed_before(constant.name):
                continue
            ranked = repo.canonical_order(existing)
            path, canonical = ranked[0]
            what = (f"restates `{canonical.name}` (same name, same value)"
                    if canonical.name == constant.name
                    else f"repeats the value of `{canonical.name}`")
            yield repo.finding(
                DuplicateConstantValue,
                module.path,
                constant,
                f"`{constant.name} = {constant.value.shown}` {what} at "
                f"{path}:{canonical.line}",
                f"{repo.reuse(path, canonical.name)} instead of restating the value",
                [Related(p, c.line, f"`{c.name}` has the same value", c.name) for p, c in ranked],
                constant.name,
            )


def _homes(repo: RepoIndex, new_path: str, places: list[tuple[str, Constant]]
           ) -> list[tuple[str, Constant]]:
    """The places the new constant could have been imported from."""
    return [
        (path, other) for path, other in places
        if not is_peripheral(path) and not same_role(new_path, path)
        and not repo.in_family(path, other.name) and not repo.standalone(path)
        and repo.older_or_original(path, other, new_path)
    ]
