"""Neighbouring modules of a change: what the changed modules import, what imports them,
and their package siblings. A pure function of paths and import facts; no file is read.

Module names come from paths the way the interpreter would find them: a file's dotted
name starts at the top-most directory that is not inside a regular package, so
`src/pkg/mod.py` is `pkg.mod` (src layout) and, with no `__init__.py` anywhere
(namespace packages), every suffix of the path is a candidate name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from analyzers.ssot.index import FAMILY, ImportRef, ModuleFacts

DIRECT, IMPORTER, SIBLING = 0, 1, 2
"""Ranks: what the change uses matters most, then what uses it, then what sits beside it."""


class ModuleMap:
    """Dotted module names of a set of Python files, and import resolution against them."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(p for p in paths if p.endswith(".py"))
        self._by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for path in self.paths:
            parts = _module_parts(path)
            for start in range(len(parts)):
                if start and self._is_package("/".join(parts[:start])):
                    continue  # inside a regular package: not an importable top level
                self._by_name[".".join(parts[start:])].append((start, path))

    def _is_package(self, directory: str) -> bool:
        return f"{directory}/__init__.py" in self.paths

    def _file(self, parts: Sequence[str]) -> str | None:
        if not parts:
            return None
        stem = "/".join(parts)
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if candidate in self.paths:
                return candidate
        return None

    def names(self, path: str) -> list[str]:
        """Every dotted name under which `path` can be imported."""
        parts = _module_parts(path)
        return [
            ".".join(parts[start:]) for start in range(len(parts))
            if not start or not self._is_package("/".join(parts[:start]))
        ]

    def absolute(self, name: str, importer: str) -> str | None:
        """The file an absolute module name refers to; the shortest root wins, then the
        one nearest the importer."""
        candidates = self._by_name.get(name)
        if not candidates:
            return None
        return min(candidates, key=lambda c: (c[0], -_shared_prefix(c[1], importer), c[1]))[1]

    def module_file(self, importer: str, module: str, level: int) -> str | None:
        """The repository file of `module` as `importer` names it (`level` leading dots
        for a relative name; "" with a level is the importer's package)."""
        if not level:
            return self.absolute(module, importer) if module else None
        package = importer.split("/")[:-1]
        up = level - 1
        if up > len(package):
            return None
        return self._file(package[: len(package) - up] + (module.split(".") if module else []))

    def resolve(self, importer: str, ref: ImportRef) -> set[str]:
        """The repository files an import statement of `importer` refers to."""
        found: set[str] = set()
        if ref.level:
            package = importer.split("/")[:-1]
            up = ref.level - 1
            if up > len(package):
                return found
            base = package[: len(package) - up] + (ref.module.split(".") if ref.module else [])
            target = self._file(base)
            if target is not None:
                found.add(target)
            for name in ref.names:
                submodule = self._file([*base, name])
                if submodule is not None:
                    found.add(submodule)
            return found
        module = self.absolute(ref.module, importer)
        if module is not None:
            found.add(module)
        for name in ref.names:
            submodule = self.absolute(f"{ref.module}.{name}", importer)
            if submodule is not None:
                found.add(submodule)
        return found


def neighbours(
    changed: Sequence[str],
    imports: Mapping[str, Sequence[ImportRef]],
    limit: int,
) -> tuple[str, ...]:
    """The modules around `changed`, best first, at most `limit`. `imports` holds the
    import statements of every known Python file (the changed ones included)."""
    modules = ModuleMap(imports)
    changed_set = set(changed)
    rank: dict[str, int] = {}

    def add(path: str, level: int) -> None:
        if path not in changed_set and rank.get(path, level + 1) > level:
            rank[path] = level

    for path in changed:
        for ref in imports.get(path, ()):
            for target in modules.resolve(path, ref):
                add(target, DIRECT)
    changed_names = {name for path in changed for name in modules.names(path)}
    for path, refs in imports.items():
        if path in changed_set:
            continue
        for ref in refs:
            if not ref.level and not _may_name(ref, changed_names):
                continue
            if modules.resolve(path, ref) & changed_set:
                add(path, IMPORTER)
                break
    directories = {path.rpartition("/")[0] for path in changed}
    for path in modules.paths:
        if path.rpartition("/")[0] in directories:
            add(path, SIBLING)
    ordered = sorted(rank, key=lambda p: (rank[p], p))
    return tuple(ordered[:limit])


def project_neighbours(
    changed: Sequence[str], facts: Mapping[str, Mapping[str, object]], limit: int
) -> tuple[str, ...]:
    """`neighbours` over the engine's per-file facts (files without ssot facts, such as
    unparsable ones, still count as siblings)."""
    imports: dict[str, Sequence[ImportRef]] = {}
    for path, families in facts.items():
        module = families.get(FAMILY)
        imports[path] = module.imports if isinstance(module, ModuleFacts) else ()
    return neighbours([p for p in changed if p in imports], imports, limit)


def _may_name(ref: ImportRef, names: set[str]) -> bool:
    return ref.module in names or any(f"{ref.module}.{n}" in names for n in ref.names)


def _module_parts(path: str) -> list[str]:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return parts


def _shared_prefix(left: str, right: str) -> int:
    count = 0
    for a, b in zip(left.split("/"), right.split("/"), strict=False):
        if a != b:
            break
        count += 1
    return count
