"""Positive evidence: what a change did right, from the facts the rules already use.

A reviewer's audit says what a change reuses ("reuses `get_env` from `app/config.py`"),
how it reads its settings, which existing modules it extends and which tests import
it. `collect_uses` runs on the parse the rules use and records the names the counted
lines read; `positive_evidence` resolves them against the SSOT index's facts. A name is
credited only when it resolves to a top-level definition, constant or variable of a
project file, and that definition existed before the change (a context file, or lines
of a changed file the change did not touch): nothing is credited from spelling alone.

Known limits: a name a package re-exports (`from app import get_env`, defined in
`app/config.py` and imported into `app/__init__.py`) resolves to no definition and is
not credited; attributes of instances (`self.manager.cleanup()`) are not followed;
uses in tests are no credit (a test calling the code under test searched for nothing);
an `--all` audit has no change to credit, so it has no positive evidence.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzers.config import AuditConfig
from analyzers.model import (
    ChangeStatus,
    EvidenceKind,
    FileChange,
    PositiveEvidence,
    Principle,
)
from analyzers.paths import is_test_path
from analyzers.source import ParsedFile
from analyzers.ssot.index import FAMILY, ModuleFacts
from analyzers.ssot.neighbours import ModuleMap
from analyzers.ssot.repo import is_config_module, is_peripheral

PRINCIPLE_OF = {
    EvidenceKind.REUSES: Principle.SEARCH_FIRST,
    EvidenceKind.READS_CONFIG: Principle.CONFIGURATION_SSOT,
    EvidenceKind.EXTENDS: Principle.SINGLE_SOURCE_OF_TRUTH,
    EvidenceKind.TESTED_BY: Principle.TESTED,
}
"""The checklist row each kind of evidence speaks for."""


@dataclass(frozen=True, slots=True)
class Use:
    """A name the counted lines of a changed file read."""

    dotted: str
    """As imported: `app.config.get_env` (`import app.config` or `from app.config import
    get_env`), `config.get_env` with `level` 1 (`from .config import get_env`), or a
    top-level name of the file itself (`own`)."""
    level: int
    line: int
    own: bool = False


def collect_uses(parsed: ParsedFile, counted: frozenset[int] | None) -> tuple[Use, ...]:
    """The imported names (and the file's own top-level names) read on `counted` lines
    (every line when None), each dotted chain once per line, in source order."""
    bindings: dict[str, tuple[str, int]] = {}
    for node in parsed.nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bindings[alias.asname] = (alias.name, 0)
                else:
                    top = alias.name.partition(".")[0]
                    bindings[top] = (top, 0)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    target = f"{node.module}.{alias.name}" if node.module else alias.name
                    bindings[alias.asname or alias.name] = (target, node.level)
    own = _top_level_names(parsed.tree)
    uses: list[Use] = []
    seen: set[tuple[str, int, int]] = set()
    inner: set[int] = set()

    def add(use: Use) -> None:
        key = (use.dotted, use.level, use.line)
        if key not in seen:
            seen.add(key)
            uses.append(use)

    for node in parsed.nodes:
        line = getattr(node, "lineno", None)
        if line is None or (counted is not None and line not in counted):
            continue
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    add(Use(f"{node.module}.{alias.name}" if node.module else alias.name,
                            node.level, line))
        elif isinstance(node, ast.Attribute | ast.Name) and id(node) not in inner \
                and isinstance(node.ctx, ast.Load):
            chain: list[str] = []
            current: ast.expr = node
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
                inner.add(id(current))  # pre-order: the outer chain is seen first
            if not isinstance(current, ast.Name):
                continue
            root = current.id
            chain.reverse()
            if root in bindings:
                target, level = bindings[root]
                add(Use(".".join([target, *chain]), level, line))
            elif root in own:
                add(Use(root, 0, line, own=True))
    return tuple(u for u in uses if u.dotted)


def _top_level_names(tree: ast.Module) -> frozenset[str]:
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class _Place:
    line: int
    end_line: int


def _top_level(facts: ModuleFacts, name: str) -> _Place | None:
    for definition in facts.definitions:
        if definition.name == name:
            return _Place(definition.line, definition.end_line)
    for constant in facts.constants:
        if constant.name == name:
            return _Place(constant.line, constant.end_line)
    for variable, line in facts.variables:
        if variable == name:
            return _Place(line, line)
    return None


def positive_evidence(
    changes: Sequence[FileChange],
    uses: Mapping[str, Sequence[Use]],
    facts: Mapping[str, Mapping[str, object]],
    config: AuditConfig,
    principles: frozenset[Principle],
) -> dict[Principle, list[PositiveEvidence]]:
    """Each principle's evidence, in the order of the change (file, then line), each
    (kind, module, name) once. `changes` carry their counted lines; `uses` are
    `collect_uses` per changed file; `facts` every file's facts by family; only the
    `principles` the checklist shows are computed."""
    modules: dict[str, ModuleFacts] = {}
    for path, families in facts.items():
        module = families.get(FAMILY)
        if isinstance(module, ModuleFacts):
            modules[path] = module
    module_map = ModuleMap(modules)
    by_path = {c.path: c for c in changes}
    found: dict[Principle, list[PositiveEvidence]] = {p: [] for p in principles}
    seen: set[tuple[EvidenceKind, str, str | None, str]] = set()

    def credit(evidence: PositiveEvidence) -> None:
        principle = PRINCIPLE_OF[evidence.kind]
        key = (evidence.kind, evidence.path, evidence.name,
               evidence.used_in if evidence.kind is EvidenceKind.TESTED_BY else "")
        if principle in found and key not in seen:
            seen.add(key)
            found[principle].append(evidence)

    def existing(path: str, place: _Place) -> bool:
        change = by_path.get(path)
        if change is None:
            return True
        if change.status is ChangeStatus.ADDED or change.changed_lines is None:
            return False
        return not any(n in change.changed_lines for n in range(place.line, place.end_line + 1))

    for change in changes:
        if change.path not in modules or is_test_path(change.path):
            continue
        for use in uses.get(change.path, ()):
            resolved = _resolve(use, change.path, module_map, modules)
            if resolved is None:
                continue
            path, name, place = resolved
            if is_peripheral(path) or not existing(path, place):
                continue
            kind = (EvidenceKind.READS_CONFIG if is_config_module(path, config.config_modules)
                    else EvidenceKind.REUSES)
            credit(PositiveEvidence(kind, path, place.line, name, change.path))
        if change.status in (ChangeStatus.MODIFIED, ChangeStatus.RENAMED) \
                and change.changed_lines is not None:
            for definition in modules[change.path].definitions:
                if definition.line in change.changed_lines:
                    credit(PositiveEvidence(EvidenceKind.EXTENDS, change.path,
                                            definition.line, definition.name, change.path))
    if Principle.TESTED in found:
        for evidence in _tests_importing(changes, modules, module_map):
            credit(evidence)
    # Public names first: what a reviewer cites; the order of the change otherwise.
    return {principle: sorted(items, key=lambda e: (e.name or "").startswith("_"))
            for principle, items in found.items()}


def _resolve(use: Use, importer: str, module_map: ModuleMap,
             modules: Mapping[str, ModuleFacts]) -> tuple[str, str, _Place] | None:
    """(file, name, its place) of the project definition `use` reads, or None."""
    if use.own:
        place = _top_level(modules[importer], use.dotted)
        return (importer, use.dotted, place) if place is not None else None
    parts = use.dotted.split(".")
    lowest = 0 if use.level else 1
    for split in range(len(parts) - 1, lowest - 1, -1):
        path = module_map.module_file(importer, ".".join(parts[:split]), use.level)
        if path is None or path == importer or path not in modules:
            continue
        place = _top_level(modules[path], parts[split])
        if place is not None:
            return path, parts[split], place
    return None


def _tests_importing(changes: Sequence[FileChange], modules: Mapping[str, ModuleFacts],
                     module_map: ModuleMap) -> list[PositiveEvidence]:
    """Test modules whose imports resolve to a changed (non-test) module."""
    targets = {c.path for c in changes if c.path in modules and not is_test_path(c.path)
               and c.status is not ChangeStatus.DELETED}
    found: list[PositiveEvidence] = []
    for path in sorted(modules):
        if not is_test_path(path) or path in targets:
            continue
        hit: set[str] = set()
        for ref in modules[path].imports:
            hit |= module_map.resolve(path, ref) & targets
        found.extend(PositiveEvidence(EvidenceKind.TESTED_BY, path, 1, None, target)
                     for target in sorted(hit))
    order = {c.path: n for n, c in enumerate(changes)}
    return sorted(found, key=lambda e: (order[e.used_in], e.path))
