from __future__ import annotations

from collections.abc import Iterator

from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.repo import RepoIndex, is_peripheral, same_role, specific_name


class ConflictingNamedValue(RuleMeta):
    """
    What it does:
        Flags a new module-level constant that has the name of a constant in another
        module but a different value.

    Why is this bad?
        Two truths for one name: which `MAX_UPLOAD_BYTES` applies depends on which module
        a caller happened to import.

    Known limits:
        Only public names that name one thing (compound like `MAX_UPLOAD_BYTES`, or
        eight characters and more) count; tests, examples, scripts, standalone files and
        modules of one family (one `formats.py` per locale) are left out. Of two new
        definitions in one change only the one that is not the original (a config or
        constants module, else the earlier path) is flagged.

    Example:
        # app/upload.py, new
        MAX_UPLOAD_BYTES = 5_000_000   # app/config.py says 10_000_000

    Use instead:
        from app.config import MAX_UPLOAD_BYTES
    """

    id = "SS203"
    name = "conflicting-named-value"
    principle = Principle.SINGLE_SOURCE_OF_TRUTH
    severity = Severity.WARNING
    """Demoted from error by the precision study: modules tune their own `BATCH_SIZE`
    or `PLUGIN_ID` on purpose far more often than they contradict a shared value."""


def find(repo: RepoIndex) -> Iterator[Finding]:
    for module in repo.changed:
        if is_peripheral(module.path):
            continue
        for constant in module.facts.constants:
            if not specific_name(constant.name) or not module.touches(constant.line):
                continue
            if repo.in_family(module.path, constant.name):
                continue
            existing = [
                (path, other) for path, other in repo.constants_by_name[constant.name]
                if path != module.path and other.value.key != constant.value.key
                and not is_peripheral(path) and not same_role(module.path, path)
                and not repo.in_family(path, other.name) and not repo.standalone(path)
                and repo.older_or_original(path, other, module.path)
            ]
            if not existing or module.existed_before(constant.name):
                continue
            ranked = repo.canonical_order(existing)
            path, canonical = ranked[0]
            yield repo.finding(
                ConflictingNamedValue,
                module.path,
                constant,
                f"`{constant.name}` is {constant.value.shown} here but "
                f"{canonical.value.shown} at {path}:{canonical.line}",
                f"keep one definition and {repo.reuse(path, constant.name)}, or give this "
                "one a name that says how it differs",
                [Related(p, c.line, f"`{c.name} = {c.value.shown}`", c.name) for p, c in ranked],
                constant.name,
            )
