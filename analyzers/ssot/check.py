"""The SS2xx cross-file check: one `RepoIndex` per audit, then each enabled rule's `find`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from analyzers.model import Finding
from analyzers.rule import RuleMeta
from analyzers.ssot import (
    ss201_duplicate_definition,
    ss202_duplicate_constant_value,
    ss203_conflicting_named_value,
    ss204_env_read_outside_config,
    ss205_magic_value_has_name,
    ss208_critical_value_redefined,
    ss209_untested_public_function,
)
from analyzers.ssot.repo import RepoIndex

if TYPE_CHECKING:
    from analyzers.registry import Project

Finder = Callable[[RepoIndex], Iterator[Finding]]

FINDERS: tuple[tuple[type[RuleMeta], Finder], ...] = (
    (ss201_duplicate_definition.DuplicateDefinition, ss201_duplicate_definition.find),
    (ss202_duplicate_constant_value.DuplicateConstantValue,
     ss202_duplicate_constant_value.find),
    (ss203_conflicting_named_value.ConflictingNamedValue, ss203_conflicting_named_value.find),
    (ss204_env_read_outside_config.EnvReadOutsideConfig, ss204_env_read_outside_config.find),
    (ss205_magic_value_has_name.MagicValueHasName, ss205_magic_value_has_name.find),
    (ss208_critical_value_redefined.CriticalValueRedefined,
     ss208_critical_value_redefined.find),
    (ss209_untested_public_function.UntestedPublicFunction,
     ss209_untested_public_function.find),
)
CROSS_FILE_RULES: tuple[type[RuleMeta], ...] = tuple(rule for rule, _ in FINDERS)


def check_ssot(project: Project) -> Iterator[Finding]:
    """Findings of every enabled SS2xx cross-file rule, on changed lines only."""
    finders = [find for rule, find in FINDERS
               if project.config.enabled(rule.id, opt_in=rule.opt_in)]
    if not finders:
        return
    repo = RepoIndex(project)
    for find in finders:
        yield from find(repo)
