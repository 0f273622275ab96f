"""The duplicates cross-file check: clones of changed code, as DU301-DU303 findings.

Each changed file's changed tokens are matched against every file with facts (the other
changed files, the file itself, the context files). Clones found from the same changed
region are merged into one finding that lists every copy.

What counts: only regions whose lines are at least half changed lines, so an edit of one
line inside an old duplicated block does not blame the pull request for the old copy.
A copy that is itself mostly changed lines is *new*; when every copy of a region is new
(copy-paste inside the pull request), the finding is reported once, on the last copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from analyzers.config import AuditConfig
from analyzers.duplicates.du301_duplicated_block import DuplicatedBlock
from analyzers.duplicates.du302_similar_block import SimilarBlock
from analyzers.duplicates.du303_duplicated_function import DuplicatedFunction
from analyzers.duplicates.matching import (
    GAP,
    MAX_PLACES_PER_FINGERPRINT,
    Clone,
    Query,
    Thresholds,
    changed_tokens,
    find_clones,
)
from analyzers.duplicates.tokens import (
    FAMILY,
    CloneFacts,
    FunctionSpan,
    region_lines,
    region_size,
)
from analyzers.model import Finding, Related, Severity
from analyzers.paths import is_test_path
from analyzers.rule import RuleMeta

if TYPE_CHECKING:
    from analyzers.registry import Project

_CLONE_KINDS = {
    1: "type-1 clone: identical",
    2: "type-2 clone: identical up to renamed names and literals",
    3: "type-3 clone: statements added, removed or changed",
}


@dataclass(frozen=True, slots=True)
class _Copy:
    path: str
    first_line: int
    last_line: int
    clone: Clone
    new: bool
    function: FunctionSpan | None = None
    """The other file's function that this copy is, when the new code is a function."""


def check_duplicates(project: Project) -> Iterator[Finding]:
    config = project.config
    thresholds = Thresholds(config.min_tokens, config.min_lines, config.min_similarity)
    everything = {path: facts for path, families in project.facts.items()
                  if isinstance(facts := families.get(FAMILY), CloneFacts)}
    changed = {c.path: c.changed_lines for c in project.request.changes}
    queries = [
        Query(a.path, facts, changed_tokens(facts, changed.get(a.path)))
        for a in project.analyses
        if (facts := everything.get(a.path)) is not None
        and not (is_test_path(a.path) and config.test_duplicates_severity is None)
    ]
    found = find_clones(queries, everything.items(), thresholds)
    for query, clones in zip(queries, found, strict=True):
        for group in _regions(clones):
            finding = _finding(query, group, everything, changed, config)
            if finding is not None:
                yield finding


def _regions(clones: list[Clone]) -> list[list[Clone]]:
    """Clones whose regions in the audited file overlap, together."""
    groups: list[list[Clone]] = []
    last = -1
    for clone in sorted(clones, key=lambda c: (c.first, c.last)):
        if groups and clone.first <= last:
            groups[-1].append(clone)
            last = max(last, clone.last)
        else:
            groups.append([clone])
            last = clone.last
    return groups


def _finding(
    query: Query,
    group: list[Clone],
    everything: Mapping[str, CloneFacts],
    changed: Mapping[str, frozenset[int] | None],
    config: AuditConfig,
) -> Finding | None:
    path, facts, mask = query.path, query.facts, query.changed
    first = min(c.first for c in group)
    last = max(c.last for c in group)
    if not _mostly_changed(facts, mask, first, last):
        return None
    copies = _copies(query, group, everything, changed)
    if not copies:
        return None
    here = (path, _first_line(facts, first, last))
    if all(c.new for c in copies) and any((c.path, c.first_line) > here for c in copies):
        return None  # copy-paste inside the change: reported once, on its last copy
    function, copies = _whole_function(facts, mask, first, last, copies, everything, config)
    if function is not None:
        first, last = function.first, function.last
    best = min(copies, key=lambda c: (c.function is None, c.clone.clone_type,
                                      -c.clone.similarity))
    rule: type[RuleMeta]
    if function is not None:
        rule = DuplicatedFunction
    elif best.clone.clone_type < 3:
        rule = DuplicatedBlock
    else:
        rule = SimilarBlock
    severity = _severity(rule, len(copies), path, config)
    size = f"{region_lines(facts, first, last)} lines, {region_size(facts, first, last)} tokens"
    where = f"{best.path}:{best.first_line}"
    more = f" and {len(copies) - 1} more" if len(copies) > 1 else ""
    kind = _CLONE_KINDS[best.clone.clone_type]
    if function is not None and best.function is not None:
        message = (f"function `{function.name}` ({size}) duplicates `{best.function.name}` "
                   f"at {where}{more} ({kind})")
        suggestion = (f"call `{best.function.name}` from {best.path} instead of defining "
                      "a copy")
    elif rule is DuplicatedBlock:
        message = f"{size} duplicated from {where}{more} ({kind})"
        suggestion = "extract the block into one function and call it from every copy"
    else:
        message = (f"{size} {best.clone.similarity:.0%} similar to {where}{more} ({kind})")
        suggestion = ("extract the shared part into one function and pass the differences "
                      "as parameters")
    if len(copies) >= 2:
        # Matching stops counting one file's copies at the cap; say so rather than undercount.
        count = (f"at least {len(copies)}" if len(copies) >= MAX_PLACES_PER_FINGERPRINT
                 else str(len(copies)))
        message += f"; {count} copies already, refactor now (rule of two)"
    return Finding(
        rule=rule.id,
        name=rule.name,
        principle=rule.principle,
        severity=severity,
        path=path,
        line=here[1],
        column=facts.columns[first] + 1,
        end_line=max(facts.lines[first:last + 1]),
        message=message,
        suggestion=suggestion,
        related=tuple(_related(c) for c in copies),
        subject=function.name if function else _enclosing_function(facts, first, last),
    )


def _copies(query: Query, group: list[Clone], everything: Mapping[str, CloneFacts],
            changed: Mapping[str, frozenset[int] | None]) -> list[_Copy]:
    """One copy per place: the pieces of a long copy (consecutive on one diagonal) are
    merged; a place inside another copy, or inside the region itself, is not one more."""
    first = min(c.first for c in group)
    last_token = max(c.last for c in group)
    places: list[Clone] = []
    for clone in sorted(group, key=lambda c: (c.other_path, c.other_first)):
        at = next((i for i, p in enumerate(places) if _continues(p, clone)), None)
        if at is not None:
            last = places[at]
            places[at] = replace(
                last,
                first=min(last.first, clone.first),
                last=max(last.last, clone.last),
                other_last=max(last.other_last, clone.other_last),
                clone_type=max(last.clone_type, clone.clone_type),
                similarity=min(last.similarity, clone.similarity),
            )
        else:
            places.append(clone)
    places = [
        p for p in places
        if not (p.other_path == query.path and p.other_first <= last_token
                and first <= p.other_last)
        and not any(o is not p and o.other_path == p.other_path
                    and o.other_first <= p.other_first and p.other_last <= o.other_last
                    for o in places)
    ]
    copies = []
    for clone in places:
        other = everything[clone.other_path]
        new = clone.other_path in changed and _mostly_changed(
            other, changed_tokens(other, changed[clone.other_path]),
            clone.other_first, clone.other_last,
        )
        copies.append(_Copy(
            clone.other_path,
            _first_line(other, clone.other_first, clone.other_last),
            max(other.lines[clone.other_first:clone.other_last + 1]),
            clone,
            new,
        ))
    return sorted(copies, key=lambda c: (c.path, c.first_line))


def _continues(place: Clone, clone: Clone) -> bool:
    """Whether `clone` is the next piece of the same copy as `place`."""
    return (place.other_path == clone.other_path
            and clone.other_first <= place.other_last + GAP
            and clone.first <= place.last + GAP
            and abs((clone.other_first - clone.first) - (place.other_first - place.first))
            <= GAP)


def _whole_function(
    facts: CloneFacts,
    mask: Sequence[bool],
    first: int,
    last: int,
    copies: list[_Copy],
    everything: Mapping[str, CloneFacts],
    config: AuditConfig,
) -> tuple[FunctionSpan | None, list[_Copy]]:
    """The new function that the region is (give or take fewer than `min-tokens` tokens
    around it), when some copy maps it, up to a consistent renaming, onto a whole function
    of its own file; and the copies, each with the function it is when it is one."""
    functions = sorted((f for f in facts.functions
                        if first <= f.first and f.last <= last and mask[f.first]
                        and region_size(facts, first, last) - region_size(facts, f.first, f.last)
                        < config.min_tokens),
                       key=lambda f: f.first - f.last)
    if not functions:
        return None, copies
    function = functions[0]
    matched = []
    for copy in copies:
        clone = copy.clone
        offset = clone.other_first - clone.first
        other = next((g for g in everything[copy.path].functions
                      if g.first == function.first + offset
                      and g.last == function.last + offset), None)
        matched.append(replace(copy, function=other) if clone.clone_type < 3 else copy)
    if any(c.function is not None for c in matched):
        return function, matched
    return None, copies


def _severity(rule: type[RuleMeta], copies: int, path: str, config: AuditConfig) -> Severity:
    if is_test_path(path) and config.test_duplicates_severity is not None:
        return config.test_duplicates_severity
    rule_of_two = Severity.WARNING if config.rule_of_two and copies < 2 else Severity.ERROR
    return config.severity_of(rule.id, rule_of_two)


def _mostly_changed(facts: CloneFacts, mask: Sequence[bool], first: int, last: int) -> bool:
    lines = set(facts.lines[first:last + 1])
    changed = {facts.lines[i] for i in range(first, last + 1) if mask[i]}
    return 2 * len(changed) >= len(lines)


def _first_line(facts: CloneFacts, first: int, last: int) -> int:
    return min(facts.lines[first:last + 1])


def _enclosing_function(facts: CloneFacts, first: int, last: int) -> str | None:
    """The innermost function holding the whole region, for acceptable-duplicates."""
    holders = [f for f in facts.functions if f.first <= first and last <= f.last]
    return min(holders, key=lambda f: f.last - f.first).name if holders else None


def _related(copy: _Copy) -> Related:
    clone = copy.clone
    what = f"type-{clone.clone_type}"
    if clone.clone_type == 3:
        what += f", {clone.similarity:.0%} similar"
    if copy.function is not None:
        what = f"function `{copy.function.name}`, {what}"
    state = "new copy" if copy.new else "copy"
    return Related(copy.path, copy.first_line,
                   f"{state}, lines {copy.first_line}-{copy.last_line} ({what})")

