from __future__ import annotations

from collections.abc import Iterator

from analyzers import paths
from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.index import Constant, Definition
from analyzers.ssot.repo import RepoIndex


class CriticalValueRedefined(RuleMeta):
    """
    What it does:
        Flags a definition (module-level constant, function or class) of a name listed
        in `[tool.ssot.critical-values]` anywhere but in the one module that table names
        for it.

    Why is this bad?
        Some values must have exactly one home (prices, limits, API endpoints, feature
        flags). A second definition is a second truth waiting to disagree.

    Example:
        # pyproject.toml: [tool.ssot.critical-values] API_URL = "app/config.py"
        # app/client.py
        API_URL = "https://api.example.com/v2"

    Use instead:
        from app.config import API_URL
    """

    id = "SS208"
    name = "critical-value-redefined"
    principle = Principle.SINGLE_SOURCE_OF_TRUTH
    severity = Severity.ERROR


def find(repo: RepoIndex) -> Iterator[Finding]:
    critical = repo.config.critical_values
    if not critical:
        return
    for module in repo.changed:
        placed: list[Definition | Constant] = [*module.facts.constants,
                                               *module.facts.definitions]
        for item in placed:
            home = critical.get(item.name)
            if home is None or paths.matches(module.path, (home,)):
                continue
            if not module.touches(item.line):
                continue
            canonical = [
                Related(path, line, f"the canonical `{item.name}`")
                for path, facts in sorted(repo.modules.items())
                if paths.matches(path, (home,))
                for name, line in _names(facts.constants, facts.definitions)
                if name == item.name
            ]
            yield repo.finding(
                CriticalValueRedefined,
                module.path,
                item,
                f"`{item.name}` is a critical value whose one home is `{home}`; "
                "this defines it again",
                f"delete this definition and import `{item.name}` from `{home}`",
                canonical,
                item.name,
            )


def _names(constants: tuple[Constant, ...], definitions: tuple[Definition, ...]
           ) -> Iterator[tuple[str, int]]:
    for constant in constants:
        yield constant.name, constant.line
    for definition in definitions:
        yield definition.name, definition.line
