"""The repository as the SS2xx rules see it: every module's facts looked up by name and
by value, the changed modules with their changed lines, and helpers shared by the rules
(where a place ranks as the canonical one, how a finding is built)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from analyzers import paths
from analyzers.model import ChangeStatus, Finding, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.source import ParsedFile, parse
from analyzers.ssot.index import FAMILY, Constant, Definition, ModuleFacts, module_facts
from analyzers.ssot.neighbours import ModuleMap

if TYPE_CHECKING:
    from analyzers.registry import Project

PERIPHERAL_PARTS = frozenset({"examples", "example", "docs", "doc", "scripts", "benchmarks",
                              "bench", "migrations"})
"""Folders of code that demonstrates or drives the project rather than being it, or
(migrations) that freezes values on purpose."""
MAX_RELATED = 3
PARALLEL_SHARED_NAMES = 3
"""Modules sharing this many top-level names, mostly with different bodies, implement one
interface side by side."""
SOURCE_ROOTS = frozenset({"src", "lib"})
"""Top folders that hold the packages rather than being one (src layout)."""


def is_peripheral(path: str) -> bool:
    """Tests, examples, docs and scripts: code that restates things on purpose."""
    return paths.is_test_path(path) or any(
        part in PERIPHERAL_PARTS for part in path.split("/")[:-1]
    )


CONFIG_MODULE_NAMES = frozenset({"config.py", "_config.py", "settings.py", "conf.py"})
"""File names that say "this module is the configuration": config modules until
`config-modules` names others."""


def is_config_module(path: str, config_modules: tuple[str, ...]) -> bool:
    """The declared config modules, or until there are any, modules named as one."""
    if config_modules:
        return paths.matches(path, config_modules)
    return path.rpartition("/")[2] in CONFIG_MODULE_NAMES


MIN_SPECIFIC_NAME_CHARS = 8


def specific_name(name: str) -> bool:
    """A public constant name that names one thing: compound (`MAX_UPLOAD_BYTES`) or
    long. Short one-word names (`DEBUG`, `NAME`) and private ones (`_LIMIT`) mean
    different things in different modules."""
    return not name.startswith("_") and ("_" in name or len(name) >= MIN_SPECIFIC_NAME_CHARS)


def same_role(left: str, right: str) -> bool:
    """Two modules that play the same part in parallel places: twins in one folder
    (`client.py` / `async_client.py`), or the same file name in sibling folders of one
    parent (one `formats.py` per locale, one `base.py` per database backend). They
    define the same names by design. Namesake folders in different places
    (`shipping/utils/` and `billing/utils/`, `app/utils/` and `app/api/utils/`) are not
    siblings: a name alone is no common interface, and what they share is judged by
    content (`RepoIndex.parallel`)."""
    left_dir, _, left_name = left.rpartition("/")
    right_dir, _, right_name = right.rpartition("/")
    if left_dir == right_dir:
        return left_name != right_name and _twin_stem(left_name) == _twin_stem(right_name)
    if not left_dir or not right_dir:
        return False
    left_parent = left_dir.rpartition("/")[0]
    right_parent = right_dir.rpartition("/")[0]
    return left_name == right_name and left_name != "__init__.py" and left_parent == right_parent


_TWIN_AFFIXES = ("async_", "aio_", "sync_")
_TWIN_SUFFIXES = ("_async", "_aio", "_sync")


def _twin_stem(name: str) -> str:
    """`async_client.py`, `client_aio.py` -> `client`: the module a twin mirrors."""
    stem = name.removesuffix(".py")
    for prefix in _TWIN_AFFIXES:
        stem = stem.removeprefix(prefix)
    for suffix in _TWIN_SUFFIXES:
        stem = stem.removesuffix(suffix)
    return stem


CANONICAL_MODULE_NAMES = CONFIG_MODULE_NAMES | {
    "constants.py", "_constants.py", "consts.py", "defaults.py",
}
"""Modules that exist to be the one home of values: when two new copies appear in one
change, the one here is the original."""


def touches(changed_lines: frozenset[int] | None, line: int, end_line: int | None = None
            ) -> bool:
    """Whether lines `line..end_line` hold a changed line (None: every line changed)."""
    if changed_lines is None:
        return True
    return any(n in changed_lines for n in range(line, (end_line or line) + 1))


@dataclass(frozen=True)
class ChangedModule:
    """A module of the change. Not slotted: its base facts are computed on first use
    (`cached_property`), since most rules never need them."""

    path: str
    facts: ModuleFacts
    changed_lines: frozenset[int] | None
    head: bytes
    base: bytes | None

    def touches(self, line: int, end_line: int | None = None) -> bool:
        return touches(self.changed_lines, line, end_line)

    @cached_property
    def base_facts(self) -> ModuleFacts | None:
        return _facts_of(self.path, self.base) if self.base is not None else None

    def existed_before(self, name: str) -> bool:
        """True when the base version already defined `name` at the top level."""
        base = self.base_facts
        if base is None:
            return False
        return any(d.name == name for d in base.definitions) or any(
            c.name == name for c in base.constants
        )


Placed = TypeVar("Placed", Definition, Constant)


class RepoIndex:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.config = project.config
        rank = {path: number for number, path in enumerate(project.neighbours)}
        self._rank = rank
        self.modules: dict[str, ModuleFacts] = {}
        for path, families in project.facts.items():
            facts = families.get(FAMILY)
            if isinstance(facts, ModuleFacts):
                self.modules[path] = facts
        self._cap(project.config.index_max_files)
        self._parallel: dict[tuple[str, str], bool] = {}
        self.changed = tuple(self._changed_modules())
        self.definitions: dict[str, list[tuple[str, Definition]]] = defaultdict(list)
        self.constants_by_name: dict[str, list[tuple[str, Constant]]] = defaultdict(list)
        self.constants_by_value: dict[str, list[tuple[str, Constant]]] = defaultdict(list)
        for path, facts in self.modules.items():
            for definition in facts.definitions:
                self.definitions[definition.name].append((path, definition))
            for constant in facts.constants:
                self.constants_by_name[constant.name].append((path, constant))
                self.constants_by_value[constant.value.key].append((path, constant))

    def _cap(self, limit: int) -> None:
        """Keep the changed modules, then neighbours, then the rest by path, up to `limit`
        (index-max-files)."""
        if len(self.modules) <= limit:
            return
        changed = {c.path for c in self.project.request.changes}
        order = sorted(self.modules, key=lambda p: (p not in changed, self._rank.get(p, len(
            self._rank)), p))
        self.modules = {p: self.modules[p] for p in order[:limit]}

    def _changed_modules(self) -> Iterable[ChangedModule]:
        for change in self.project.request.changes:
            facts = self.modules.get(change.path)
            if facts is None or change.head is None or change.status is ChangeStatus.DELETED:
                continue
            yield ChangedModule(
                change.path, facts, change.changed_lines, change.head, change.base
            )

    @cached_property
    def new_in_change(self) -> dict[str, ChangedModule]:
        return {module.path: module for module in self.changed}

    def is_new(self, path: str, placed: Definition | Constant) -> bool:
        """True when `placed` (at `path`) is itself added by this change: in `--all` mode,
        everything is."""
        module = self.new_in_change.get(path)
        return (module is not None and module.touches(placed.line)
                and not module.existed_before(placed.name))

    def rank_as_original(self, path: str) -> tuple[bool, bool, str]:
        """Of two copies that are both new, the one that ranks lower is the original and
        is not told to import the other: production code first, then a config or
        constants module, then the earlier path."""
        return (is_peripheral(path), path.rpartition("/")[2] not in CANONICAL_MODULE_NAMES,
                path)

    def older_or_original(self, path: str, placed: Placed, new_path: str) -> bool:
        """Whether `path` may be named as the home of `placed` to the new copy at
        `new_path`: it existed before the change, or, both being new, it ranks as the
        original (so two new copies are never told to import each other)."""
        if not self.is_new(path, placed):
            return True
        return self.rank_as_original(path) < self.rank_as_original(new_path)

    @cached_property
    def _imports_of(self) -> dict[str, dict[str, set[str]]]:
        """Module path -> importing module -> the names it imports from it ("" for the
        module itself: `import x` or `from pkg import x`)."""
        imported: dict[str, dict[str, set[str]]] = defaultdict(dict)
        for importer, facts in self.modules.items():
            for ref in facts.imports:
                for target in self.module_map.resolve(importer, ref):
                    if target != importer:
                        imported[target].setdefault(importer, {""}).update(ref.names)
        return imported

    def near(self, path: str, other: str) -> bool:
        """Whether `other` is around `path`: a neighbour of the change, a module of the
        same folder, or one that imports or is imported by `path` (in `--all` mode,
        where everything is changed, this stands in for the neighbours)."""
        return (self.is_neighbour(other) or path.rpartition("/")[0] == other.rpartition("/")[0]
                or path in self._imports_of.get(other, {})
                or other in self._imports_of.get(path, {}))

    def imported(self, path: str, name: str | None = None) -> bool:
        """True when another module imports `path` (or, given `name`, that name from it)."""
        importers = self._imports_of.get(path, {})
        return bool(importers) if name is None else any(
            name in names for names in importers.values())

    def standalone(self, path: str) -> bool:
        """A file that nothing imports and that is not part of a regular package (a
        script, an example, a type-checker fixture): it cannot be imported from, so no
        other file is told to import from it."""
        folder = path.rpartition("/")[0]
        in_package = f"{folder}/__init__.py" in self.modules if folder else False
        return not in_package and not self.imported(path)

    def reuse(self, path: str, name: str) -> str:
        """How to reuse `name` from `path`: the import line, or, when `path` is not
        importable (a folder such as `typing-examples/` is not a Python name), that."""
        module = self.import_name(path)
        if not all(part.isidentifier() for part in module.split(".")):
            return (f"move `{name}` into an importable module and import it from there "
                    f"(`{path}` is not importable: `{module}` is not a Python module name)")
        return f"import it (`from {module} import {name}`)"

    def is_neighbour(self, path: str) -> bool:
        """True for the modules around the change (`Project.neighbours`)."""
        return path in self._rank

    def in_family(self, path: str, name: str) -> bool:
        """True when a module of the same role as `path` (see `same_role`) also defines
        `name`: the name is part of that family's interface (`DATE_FORMAT` in every
        locale's `formats.py`, `DatabaseOperations` in every backend's `operations.py`),
        so other modules' definitions are defaults or unrelated, not duplicates."""
        places = [p for p, _ in self.definitions.get(name, ())]
        places += [p for p, _ in self.constants_by_name.get(name, ())]
        return any(p != path and same_role(path, p) for p in places)

    def parallel(self, left: str, right: str) -> bool:
        """True when two modules define several of the same names with different bodies:
        alternative implementations of one interface (`trans_real.py`/`trans_null.py`,
        model fields and form fields), not copies of each other."""
        key = (left, right) if left < right else (right, left)
        known = self._parallel.get(key)
        if known is None:
            known = _parallel(self.modules.get(left), self.modules.get(right))
            self._parallel[key] = known
        return known

    @cached_property
    def module_words(self) -> frozenset[str]:
        """Every part of the repository's module names (`httpie`, `config`): a string
        spelled like one names the project or a module, whatever constant shares it."""
        return frozenset(part for path in self.modules
                         for part in self.import_name(path).split("."))

    @cached_property
    def value_callees(self) -> frozenset[str]:
        """Last names of the callables that build named values (`Decimal` for
        `VAT = Decimal("0.19")`): a cheap text test for literals worth parsing."""
        return frozenset(
            key.partition("(")[0].rpartition(".")[2] for key in self.constants_by_value
            if (key[0].isalpha() or key[0] == "_") and "(" in key
        )

    @cached_property
    def module_map(self) -> ModuleMap:
        return ModuleMap(self.modules)

    def import_name(self, path: str) -> str:
        """The dotted name to import `path` by (its shortest importable name)."""
        names = self.module_map.names(path)
        if len(names) > 1 and path.split("/")[0] in SOURCE_ROOTS:
            return names[1]
        return names[0]

    def canonical_order(self, places: Iterable[tuple[str, Placed]]) -> list[tuple[str, Placed]]:
        """Best candidates first: production code before tests and examples, neighbours
        of the change before far modules, then by path."""
        return sorted(
            places,
            key=lambda place: (
                is_peripheral(place[0]),
                self._rank.get(place[0], len(self._rank)),
                place[0],
                place[1].line,
            ),
        )

    def finding(
        self,
        rule: type[RuleMeta],
        path: str,
        placed: Definition | Constant,
        message: str,
        suggestion: str,
        related: Sequence[Related],
        subject: str,
        severity: Severity | None = None,
    ) -> Finding:
        return self.finding_at(
            rule, path, placed.line, placed.column, placed.end_line, message, suggestion,
            related, subject, severity,
        )

    def finding_at(
        self,
        rule: type[RuleMeta],
        path: str,
        line: int,
        column: int,
        end_line: int,
        message: str,
        suggestion: str,
        related: Sequence[Related],
        subject: str | None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of `rule`, at its default severity unless `severity` says otherwise."""
        return rule.finding(
            path, line, message, column=column, end_line=end_line, suggestion=suggestion,
            related=related[:MAX_RELATED], subject=subject, severity=severity,
        )


def _parallel(left: ModuleFacts | None, right: ModuleFacts | None) -> bool:
    if left is None or right is None:
        return False
    mine = {d.name: d.fingerprint for d in left.definitions}
    shared = [d for d in right.definitions if d.name in mine]
    if len(shared) < PARALLEL_SHARED_NAMES:
        return False
    copies = sum(1 for d in shared if mine[d.name] == d.fingerprint)
    return copies * 2 < len(shared)


def _facts_of(path: str, data: bytes) -> ModuleFacts | None:
    parsed = parse(path, data)
    return module_facts(parsed) if isinstance(parsed, ParsedFile) else None
