"""The duplicates cross-file check: clones of changed code, as DU301-DU303 findings.

Each changed file's changed tokens are matched against every file with facts (the other
changed files, the file itself, the context files). Clones found from the same changed
region are merged into one finding that lists every copy.

What counts: only regions whose lines are at least half changed lines, so an edit of one
line inside an old duplicated block does not blame the pull request for the old copy.
A copy that is itself mostly changed lines is *new*; when every copy of a region is new
(copy-paste inside the pull request, or every file in `--all`), the finding is reported
once, on the last copy.

What is not a copy (the rules' docstrings say why): code in example and documentation
folders; sibling implementations (the same-named function in two classes or modules,
sync/async twins, the two branches of a module-level version switch). A whole function
that SS201 also reports is one construct: the engine keeps one finding for it. A block
that is no finding (a test restating another's setup) does not hide a whole function
copied inside it: that copy is judged as a definition, as it is with no block around it.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress
from operator import and_
from typing import TYPE_CHECKING

from analyzers.config import AuditConfig
from analyzers.duplicates.du301_duplicated_block import DuplicatedBlock
from analyzers.duplicates.du302_similar_block import SimilarBlock
from analyzers.duplicates.du303_duplicated_function import DuplicatedFunction
from analyzers.duplicates.matching import (
    GAP,
    MAX_PLACES_PER_FINGERPRINT,
    Budget,
    Clone,
    FunctionIndex,
    Query,
    Thresholds,
    big_enough,
    changed_tokens,
    find_clones,
)
from analyzers.duplicates.tokens import (
    ASYNC_KINDS,
    CLASS_KIND,
    END_KIND,
    FAMILY,
    KEYS_FAMILY,
    LITERAL_KINDS,
    CloneFacts,
    CloneKeys,
    FunctionSpan,
    region_size,
    same_imports,
    same_settings,
)
from analyzers.model import Finding, Related, Severity
from analyzers.notes.sx012_budget_exhausted import BudgetExhausted
from analyzers.paths import is_example_path, is_test_path
from analyzers.rule import RuleMeta
from analyzers.ssot.repo import SOURCE_ROOTS, RepoIndex, is_peripheral, same_role

if TYPE_CHECKING:
    from analyzers.registry import Project

_CLONE_KINDS = {
    1: "type-1 clone: identical",
    2: "type-2 clone: identical up to renamed names, literals and imports",
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


class _CloneFactsOf(Mapping[str, CloneFacts]):
    """The clone facts of `paths`, taken from `facts` when asked for: where `facts` reads
    each family from a store on demand, only the files that the matching compares with
    (see `CloneKeys`) are read whole."""

    def __init__(self, facts: Mapping[str, Mapping[str, object]], paths: set[str]) -> None:
        self._facts = facts
        self._paths = paths

    def __getitem__(self, path: str) -> CloneFacts:
        found = self._facts[path].get(FAMILY) if path in self._paths else None
        if not isinstance(found, CloneFacts):
            raise KeyError(path)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


class _Indexes:
    """Each file's `FunctionIndex`, made when the check first asks for it: the check asks,
    for every copy, which functions hold a region or start in it. Keyed by the facts
    object, which the index keeps alive, so that no other object takes its id."""

    def __init__(self) -> None:
        self._made: dict[int, tuple[CloneFacts, FunctionIndex]] = {}

    def __call__(self, facts: CloneFacts) -> FunctionIndex:
        made = self._made.get(id(facts))
        if made is None:
            made = self._made[id(facts)] = (facts, FunctionIndex(facts.functions))
        return made[1]


def check_duplicates(project: Project) -> Iterator[Finding]:
    config = project.config
    thresholds = _thresholds(config)
    # Examples are written to stand alone: neither flagged nor offered as the copy to reuse.
    keys = [(path, found) for path, families in project.facts.items()
            if isinstance(found := families.get(KEYS_FAMILY), CloneKeys)
            and not is_example_path(path)]
    everything = _CloneFactsOf(project.facts, {path for path, _ in keys})
    changed = {c.path: c.changed_lines for c in project.request.changes}
    queries = [
        Query(a.path, facts, changed_tokens(facts, changed.get(a.path)))
        for a in project.analyses
        if (facts := everything.get(a.path)) is not None
        and not (is_test_path(a.path) and config.test_duplicates_severity is None)
    ]
    index: RepoIndex | None = None

    def standalone(path: str) -> bool:
        nonlocal index  # built once, and only when a copied function asks
        if index is None:
            index = RepoIndex(project)
        return index.standalone(path)

    budget = Budget.for_queries(queries)
    found = find_clones(queries, keys, everything, thresholds, budget,
                        project.map_work, project.processes)
    if budget.exhausted and queries:
        yield BudgetExhausted.finding(
            queries[0].path, 1,
            f"duplicate matching stopped at its work budget ({budget.total:,} token "
            "pairs); copies among what was not compared may be unreported",
        )
    indexes = _Indexes()
    for query, clones in zip(queries, found, strict=True):
        # A whole function copied exactly inside a larger exact copy (a pasted class) is
        # part of that copy, reported whole.
        exact = [c for c in clones if not c.definition and c.clone_type < 3
                 and _same_literals(query.facts, everything[c.other_path], c)]
        clones = [c for c in clones if not (c.definition and any(_holds(k, c) for k in exact))]
        # A near-miss spanning two or more functions that are each copied whole is those
        # copies side by side, not one more region: each is reported as its definition.
        defined = {(c.first, c.last) for c in clones if c.definition}
        clones = [c for c in clones if c.clone_type < 3 or sum(
            1 for first, last in defined if c.first <= first and last <= c.last) < 2]
        for group in _regions(clones):
            finding = _finding(query, group, everything, changed, config, standalone,
                               indexes)
            if finding is not None:
                yield finding
            elif not all(c.definition for c in group):
                # A block that is no finding (a test restating another's setup) does not
                # hide a whole function copied inside it: that copy is judged on its own,
                # as it is when no block overlaps it.
                for definitions in _regions([c for c in group if c.definition]):
                    if (finding := _finding(query, definitions, everything, changed, config,
                                            standalone, indexes)) is not None:
                        yield finding


def _holds(outer: Clone, inner: Clone) -> bool:
    """Whether `outer` contains `inner` on both sides."""
    return (outer.other_path == inner.other_path
            and outer.first <= inner.first and inner.last <= outer.last
            and outer.other_first <= inner.other_first and inner.other_last <= outer.other_last)


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
    standalone: Callable[[str], bool],
    indexes: _Indexes,
) -> Finding | None:
    path, facts, mask = query.path, query.facts, query.changed
    first = min(c.first for c in group)
    last = max(c.last for c in group)
    if not _mostly_changed(facts, mask, first, last):
        return None
    copies = [c for c in _copies(query, group, everything, changed)
              if not _is_alternative(path, facts, first, last, c)
              and not _is_async_twin(facts, first, last, everything[c.path], c.clone)]
    function, copies = _whole_function(path, facts, mask, first, last, copies, everything,
                                       config, standalone, indexes)
    if function is not None:
        first, last = function.first, function.last
        line, end_line = function.line, function.end_line
    else:
        # A copy found only as a small whole function is not a block; nor is a sibling,
        # nor a closure copied into another function, nor two delegations.
        mine = indexes(facts)
        copies = [c for c in copies
                  if not _is_sibling(path, facts, first, last, everything, c, indexes)
                  and big_enough(facts, c.clone.first, c.clone.last, _thresholds(config))
                  and not (_in_delegation(mine, c.clone.first, c.clone.last)
                           and _in_delegation(indexes(everything[c.path]), c.clone.other_first,
                                              c.clone.other_last))
                  and not (_is_closure(facts, mine, c.clone.first, c.clone.last, config)
                           and _is_closure(everything[c.path], indexes(everything[c.path]),
                                           c.clone.other_first, c.clone.other_last, config))]
        if not copies:
            return None
        first = min(c.clone.first for c in copies)
        last = max(c.clone.last for c in copies)
        if _is_run_of_small_definitions(facts, mine, first, last, config) and not any(
                _is_class_copy(facts, everything[c.path], c.clone) for c in copies):
            return None  # handlers written to one shape; a class pasted whole is a copy
        if is_test_path(path) and _in_test_case(facts, first, last, copies, everything,
                                                indexes):
            return None
        line, end_line = _span_lines(facts, first, last)
    if not copies:
        return None
    if all(c.new for c in copies) and any((c.path, c.first_line) > (path, line)
                                          for c in copies):
        return None  # copy-paste inside the change: reported once, on its last copy
    best = min(copies, key=lambda c: (c.function is None, c.clone.clone_type,
                                      -c.clone.similarity))
    rule: type[RuleMeta]
    if function is not None:
        rule = DuplicatedFunction
    elif best.clone.clone_type < 3:
        rule = DuplicatedBlock
    else:
        rule = SimilarBlock
    # A class pasted whole under a new name is a second definition from the first copy
    # on, as a copied function is: it is judged at DU303's level, unless its literals
    # differ (two error types with their own messages are two meanings), as DU303 judges.
    class_copy = (function is None and _is_class_copy(facts, everything[best.path], best.clone)
                  and _same_literals(facts, everything[best.path], best.clone))
    severity = _severity(DuplicatedFunction if class_copy else rule, len(copies), path, config)
    size = f"{end_line - line + 1} lines, {region_size(facts, first, last)} tokens"
    where = f"{best.path}:{best.first_line}"
    more = f" and {len(copies) - 1} more" if len(copies) > 1 else ""
    kind = _CLONE_KINDS[best.clone.clone_type]
    if function is not None and best.function is not None:
        message = (f"function `{function.name}` ({size}) duplicates `{best.function.name}` "
                   f"at {where}{more} ({kind})")
        suggestion = _reuse(function, path, best)
    elif rule is DuplicatedBlock:
        message = f"{size} duplicated from {where}{more} ({kind})"
        suggestion = ("derive one class from the other, or both from one base, instead of "
                      "a copy" if _is_class_copy(facts, everything[best.path], best.clone)
                      else "extract the block into one function and call it from every copy")
    else:
        message = (f"{size} {best.clone.similarity:.0%} similar to {where}{more} ({kind})")
        suggestion = ("extract the shared part into one function and pass the differences "
                      "as parameters")
    if len(copies) >= 2:
        # Matching stops counting one file's copies at the cap; say so rather than undercount.
        count = (f"at least {len(copies)}" if len(copies) >= MAX_PLACES_PER_FINGERPRINT
                 else str(len(copies)))
        message += f"; {count} copies already, refactor now (rule of two)"
    return rule.finding(
        path, line, message,
        column=_column(facts, first, line),
        end_line=end_line,
        suggestion=suggestion,
        related=[_related(c) for c in copies],
        subject=function.name if function else _enclosing_name(indexes(facts), first, last),
        severity=severity,
    )


def _copies(query: Query, group: list[Clone], everything: Mapping[str, CloneFacts],
            changed: Mapping[str, frozenset[int] | None]) -> list[_Copy]:
    """One copy per place: the pieces of a long copy (consecutive on one diagonal) are
    merged; a place inside another copy, or inside the region itself, is not one more
    (but a whole function copied exactly is a place of its own inside a near-miss)."""
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
                definition=last.definition and clone.definition,
            )
        else:
            places.append(clone)
    places = [
        p for p in places
        if not (p.other_path == query.path and p.other_first <= last_token
                and first <= p.other_last)
        and not any(o is not p and o.other_path == p.other_path
                    and o.other_first <= p.other_first and p.other_last <= o.other_last
                    and (o.definition or not p.definition)
                    for o in places)
    ]
    copies = []
    for clone in places:
        other = everything[clone.other_path]
        new = clone.other_path in changed and _lines_mostly_changed(
            other, changed[clone.other_path], clone.other_first, clone.other_last)
        first_line, last_line = _span_lines(other, clone.other_first, clone.other_last)
        copies.append(_Copy(clone.other_path, first_line, last_line, clone, new))
    return sorted(copies, key=lambda c: (c.path, c.first_line))


def _continues(place: Clone, clone: Clone) -> bool:
    """Whether `clone` is the next piece of the same copy as `place`. A whole function's
    copy is a place of its own: merged with the block around it (a near-miss of the code
    before it, the class it is a method of) the copy would point at the wrong function
    or no longer be one."""
    if place.definition or clone.definition:
        return (place.definition and clone.definition and place.first == clone.first
                and place.other_path == clone.other_path
                and place.other_first == clone.other_first)
    return (place.other_path == clone.other_path
            and clone.other_first <= place.other_last + GAP
            and clone.first <= place.last + GAP
            and abs((clone.other_first - clone.first) - (place.other_first - place.first))
            <= GAP)


def _whole_function(
    path: str,
    facts: CloneFacts,
    mask: Sequence[bool],
    first: int,
    last: int,
    copies: list[_Copy],
    everything: Mapping[str, CloneFacts],
    config: AuditConfig,
    standalone: Callable[[str], bool],
    indexes: _Indexes,
) -> tuple[FunctionSpan | None, list[_Copy]]:
    """The new function that the region is (give or take fewer than `min-tokens` tokens
    around it), when some copy maps it, up to a consistent renaming, onto a whole function
    of its own file; and the copies, each with the function it is when it is one, and
    without the copies that are not a second truth of a function (`_reusable`).
    A closure is not judged as a function: there is nothing to import; nor is a
    delegation (one call handing the parameters on), which is how every implementation
    of an interface adapts it."""
    # A function that some clone copies exactly, else the one the region is.
    exact = {c.clone.first for c in copies if c.clone.definition}
    functions = sorted((f for f in indexes(facts).starting_in(first, last)
                        if f.last <= last and mask[f.first]
                        and not f.nested and not f.delegates
                        and (f.first in exact
                             or region_size(facts, first, last)
                             - region_size(facts, f.first, f.last) < config.min_tokens)),
                       key=lambda f: (f.first not in exact, f.first - f.last))
    if not functions:
        return None, copies
    # The function the region is, or else the first exactly copied one that some copy
    # is a function copy of: a pasted class with its own messages still holds an
    # identical method.
    for function in [functions[0], *(f for f in functions[1:] if f.first in exact)]:
        matched = []
        for copy in copies:
            clone = copy.clone
            offset = clone.other_first - clone.first
            other = indexes(everything[copy.path]).at(function.first + offset,
                                                      function.last + offset)
            clone_type = (_function_clone_type(facts, function, everything[copy.path], other)
                          if other is not None else None)
            if other is None or clone_type is None:
                matched.append(copy)
            elif _reusable(function, path, other, copy.path, everything[copy.path],
                           clone_type, standalone):
                matched.append(replace(copy, function=other, first_line=other.line,
                                       last_line=other.end_line,
                                       clone=replace(clone, clone_type=clone_type,
                                                     similarity=1.0)))
        found = {(c.path, c.function.first): c for c in matched if c.function is not None}
        if found:
            return function, list(found.values())  # one copy per function copied
    return None, copies


def _function_clone_type(facts: CloneFacts, function: FunctionSpan, other: CloneFacts,
                         copy: FunctionSpan) -> int | None:
    """1 when the two functions are identical (their imports too), 2 when they are
    identical up to a consistent renaming of names (parameters, locals, the function's
    own name) or import other things; None otherwise. Judged on the two definitions
    alone, whatever the block around them; a different literal is a different function
    (`end[1]` and `end[2]` walk opposite ways), and so is one that sets another
    attribute or value (`resp.text = b"data"` against `resp.data = b"data"`), though such
    plain assignments are left out of the token stream."""
    size = function.last - function.first + 1
    if copy.last - copy.first + 1 != size:
        return None
    mine = range(function.first, function.last + 1)
    theirs = range(copy.first, copy.last + 1)
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    renamed = False
    for a, b in zip(mine, theirs, strict=True):
        if facts.kinds[a] != other.kinds[b]:
            return None
        left, right = facts.params[a], other.params[b]
        if left == right and forward.get(left, right) == right:
            forward[left] = backward[right] = right
            continue
        if facts.kinds[a] in LITERAL_KINDS:
            return None
        if forward.setdefault(left, right) != right or backward.setdefault(right, left) != left:
            return None
        renamed = True
    if not same_settings(facts, function.first, function.last, other, copy.first, copy.last):
        return None  # it sets other attributes or values: another function
    identical = not renamed and same_imports(facts, function.first, function.last, other,
                                             copy.first, copy.last)
    return 1 if identical else 2


def _reusable(function: FunctionSpan, path: str, other: FunctionSpan, other_path: str,
              other_facts: CloneFacts, clone_type: int,
              standalone: Callable[[str], bool]) -> bool:
    """Whether `other` is a function the new one should have reused. Not when it lives in
    a script (a module with a `__main__` block, or in a scripts folder: nobody imports
    from it, it is meant to run on its own); nor between two standalone files (nothing
    imports them and they are in no package: type-checker fixtures, examples), which
    must not be told to import from each other (test modules are no such files: pytest
    imports them, and a helper copied between two belongs in a conftest); nor when both
    have the same name and are (a) top-level functions of parallel modules (one
    `formats.py` per locale or backend), which implement one interface; or (b) methods
    of two classes: overrides of one method, one per subclass, or two unrelated classes
    implementing one protocol (`__init__`, `__iter__`). Identical methods of sibling
    classes (a base in common) are one copy too many: move it to the base. Nor are two
    test methods of two test classes: each runs against its own class's setup (another
    `self.source`), the same check on two cases."""
    if other_facts.is_script or (is_peripheral(other_path) and not is_test_path(other_path)):
        return False
    if other_path != path and not is_test_path(path) and standalone(path) \
            and standalone(other_path):
        return False
    if (function.owner is not None and other.owner is not None
            and function.owner != other.owner and function.name.startswith("test")
            and other.name.startswith("test")):
        return False  # each test class's own setup is the input: one check, two cases
    if function.name != other.name or (other_path == path and function.owner == other.owner):
        return True
    if function.owner is None and other.owner is None:
        return not same_role(path, other_path)
    if function.owner is not None and other.owner is not None:
        return clone_type == 1 and bool(set(function.owner_bases) & set(other.owner_bases))
    return True


def _is_sibling(path: str, facts: CloneFacts, first: int, last: int,
                everything: Mapping[str, CloneFacts], copy: _Copy, indexes: _Indexes) -> bool:
    """Whether a block and its copy start in two functions of the same name (an override
    in a sibling class, the same function of another backend's module), in methods of
    two same-named classes of two modules (one `Form` per backend), or span functions of
    the same names (a client class and the module functions that mirror its methods):
    sibling implementations of one interface, which restate its shape by design."""
    other = everything[copy.path]
    other_first, other_last = copy.clone.other_first, copy.clone.other_last
    if _is_class_copy(facts, other, copy.clone):
        return False
    my_functions, their_functions = indexes(facts), indexes(other)
    mine = _starting_function(my_functions, first, last)
    theirs = _starting_function(their_functions, other_first, other_last)
    if mine is not None and theirs is not None and _siblings(path, mine, copy.path, theirs):
        return True
    # Closures and the methods of a class defined in a function are details of that
    # function, not part of an interface.
    my_names = {f.name for f in my_functions.starting_in(first, last) if not f.nested}
    their_names = {f.name for f in their_functions.starting_in(other_first, other_last)
                   if not f.nested}
    shared = my_names & their_names
    return len(shared) >= 2 and 2 * len(shared) >= min(len(my_names), len(their_names))


def _is_class_copy(facts: CloneFacts, other: CloneFacts, clone: Clone) -> bool:
    """Whether the block and its copy both start at a class header, name two different
    classes and are identical up to renaming: one class pasted under a new name (an
    exception class copied for a new error), not two implementations of one interface,
    whose bodies differ."""
    return (clone.clone_type < 3
            and facts.kinds[clone.first] == CLASS_KIND == other.kinds[clone.other_first]
            and facts.params[clone.first] != other.params[clone.other_first])


def _same_literals(facts: CloneFacts, other: CloneFacts, clone: Clone) -> bool:
    """Whether an identical-up-to-renaming clone renames names only, not literals (its
    tokens pair up one to one)."""
    if clone.clone_type > 2 or clone.last - clone.first != clone.other_last - clone.other_first:
        return False
    offset = clone.other_first - clone.first
    return all(facts.params[i] == other.params[i + offset]
               for i in range(clone.first, clone.last + 1) if facts.kinds[i] in LITERAL_KINDS)


def _starting_function(functions: FunctionIndex, first: int, last: int
                       ) -> FunctionSpan | None:
    """The function the region starts in, or else the first one it holds (a region that
    starts at a class header)."""
    holder = functions.innermost_function(first, first)
    if holder is not None:
        return holder
    return min(functions.starting_in(first, last), key=lambda f: f.first, default=None)


def _siblings(path: str, mine: FunctionSpan, other_path: str, theirs: FunctionSpan) -> bool:
    """Overrides of one method in two classes; methods of same-named classes in two
    modules; same-named functions of parallel modules."""
    if mine.owner is not None and theirs.owner is not None:
        if mine.owner == theirs.owner:
            return path != other_path
        return mine.name == theirs.name
    return (mine.owner is None and theirs.owner is None and mine.name == theirs.name
            and same_role(path, other_path))


def _in_delegation(functions: FunctionIndex, first: int, last: int) -> bool:
    """Whether the region lies in one function that only delegates (one call handing its
    parameters on, however many): wrappers such as `get(url, ...)` and `delete(url, ...)`
    around one `request(...)` restate their parameters by necessity."""
    holder = _starting_function(functions, first, last)
    return holder is not None and holder.delegates and last <= holder.last


def _in_test_case(facts: CloneFacts, first: int, last: int, copies: Sequence[_Copy],
                  everything: Mapping[str, CloneFacts], indexes: _Indexes) -> bool:
    """Whether the region is part of a test function (`test_*`): a test restates its
    setup and checks so that it reads on its own (parametrizing is a style choice, not a
    second truth). Helpers and fixtures in test folders are code, and copies of them count;
    so does a whole test function copied under another name (DU303), which usually means
    one of the two tests checks the wrong thing, and a copy of a whole test, from its
    first statement to its last check, with other values or a statement changed in
    between: one test written twice, a parametrize case (a notice, as every block of a
    test module is). What the copy leaves out at either end must then be the same code
    in both tests (a last `client.simulate_get()` too short to align on its own). A test
    that shares only its setup with another, and ends in checks of its own, restates
    that setup."""
    holder = next((f for f in indexes(facts).holders(first) if f.name.startswith("test")),
                  None)
    if holder is None:
        return False
    return not any(_copies_whole_body(facts, holder, everything[c.path],
                                      indexes(everything[c.path]), c.clone)
                   for c in copies)


def _copies_whole_body(facts: CloneFacts, function: FunctionSpan, other: CloneFacts,
                       other_functions: FunctionIndex, clone: Clone) -> bool:
    """Whether the clone holds `function`'s body from its first statement to its last
    (the signature, decorators and docstring aside), up to ends that are the same code
    in the function of `other` that holds the copy."""
    copy = other_functions.innermost_function(clone.other_first, clone.other_last)
    if copy is None or not function.last >= clone.last or clone.first < function.first:
        return False
    return (_same_code(facts, function.first, clone.first, other, copy.first,
                       clone.other_first)
            and _same_code(facts, clone.last + 1, function.last + 1, other,
                           clone.other_last + 1, copy.last + 1))


def _same_code(facts: CloneFacts, start: int, end: int, other: CloneFacts, other_start: int,
               other_end: int) -> bool:
    """Whether tokens `start..end - 1` and the other's `other_start..other_end - 1` are
    the same code, statement ends and signatures (lines that count zero) aside."""
    def code(at: CloneFacts, low: int, high: int) -> list[int]:
        kinds = at.kinds[low:high]
        counted = map(bool, map(at.line_sizes.__getitem__,
                                map((-1).__add__, at.lines[low:high])))
        return list(compress(kinds, map(and_, map(END_KIND.__ne__, kinds), counted)))
    return code(facts, start, end) == code(other, other_start, other_end)


def _is_closure(facts: CloneFacts, functions: FunctionIndex, first: int, last: int,
                config: AuditConfig) -> bool:
    """Whether the region is a function nested in another (give or take fewer than
    `min-tokens` tokens around it), without the function it is nested in: two tests'
    callbacks, say. Nothing can import it, and each is its enclosing function's own
    detail. A copy of the enclosing function with its closures is a copy."""
    size = region_size(facts, first, last)
    return any(f.nested and f.last <= last
               and size - region_size(facts, f.first, f.last) < config.min_tokens
               and not any(f.last <= g.last for g in functions.starting_in(first, f.first)
                           if g is not f)
               for f in functions.starting_in(first, last))


def _is_run_of_small_definitions(facts: CloneFacts, functions: FunctionIndex, first: int,
                                 last: int, config: AuditConfig) -> bool:
    """Whether the region is several whole functions, none of them a block worth
    reporting on its own: small handlers written to one shape (a visitor's `visit_*`
    methods, one per type) implement one interface per case; each function is judged
    on its own, as a definition."""
    if functions.innermost_function(first, last) is not None:
        return False
    inside = [f for f in functions.starting_in(first, last + 1)
              if f.last <= last + 1 and not f.nested]
    return len(inside) >= 2 and not any(
        big_enough(facts, f.first, f.last, _thresholds(config)) for f in inside)


def _is_alternative(path: str, facts: CloneFacts, first: int, last: int, copy: _Copy) -> bool:
    """Whether a block and its copy are the two branches of one module- or class-level
    `if`/`else` (a version or platform switch) of the block's file, `path`: only one of
    them ever runs. A copy in another file is never the other branch, wherever its
    lines fall."""
    if copy.path != path or not facts.alternatives:
        return False
    mine = _span_lines(facts, first, last)
    theirs = (copy.first_line, copy.last_line)
    for switch in facts.alternatives:
        body, orelse = (switch.first, switch.last), (switch.else_first, switch.else_last)
        if (_within(mine, body) and _within(theirs, orelse)) or (
                _within(mine, orelse) and _within(theirs, body)):
            return True
    return False


def _within(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]


def _is_async_twin(facts: CloneFacts, first: int, last: int, other: CloneFacts,
                   clone: Clone) -> bool:
    """Whether one side is async code and the other is not: the sync and async versions
    of one API (`Client.send` / `AsyncClient.send`), which Python cannot share without
    generating one from the other. (An async copy with one `await` more is a copy.)"""
    mine = not ASYNC_KINDS.isdisjoint(facts.kinds[first:last + 1])
    theirs = not ASYNC_KINDS.isdisjoint(other.kinds[clone.other_first:clone.other_last + 1])
    return mine != theirs


def _reuse(function: FunctionSpan, path: str, best: _Copy) -> str:
    """How to reuse the existing function instead of the copy: the common base class for
    sibling methods (`_reusable` made sure there is one), the import line for a module
    function."""
    other = best.function
    assert other is not None
    if best.path == path and function.owner == other.owner and function.name == other.name:
        where = "this module" if function.owner is None else f"`{function.owner}`"
        return (f"{where} defines `{function.name}` twice; the later one replaces "
                f"the earlier ({best.path}:{best.first_line}): delete one")
    shared_bases = set(function.owner_bases) & set(other.owner_bases)
    if function.owner is not None and other.owner is not None and function.name == other.name \
            and shared_bases:
        return (f"move `{function.name}` to the common base class `{min(shared_bases)}` and "
                "delete the copies in the subclasses")
    if other.owner is not None:
        return (f"reuse `{other.owner}.{other.name}` ({best.path}:{best.first_line}): "
                f"inherit from or delegate to `{other.owner}`, or move it to one function "
                "both call")
    if best.path == path:
        return f"call `{other.name}` instead of defining a copy"
    module, problem = _import_name(best.path)
    if module is None:
        return (f"`{other.name}` in {best.path} is not importable ({problem}): move it to a "
                "module both can import and call it from there")
    return f"import it (`from {module} import {other.name}`) and call it instead of a copy"


def _import_name(path: str) -> tuple[str | None, str]:
    """The dotted module name `path` is imported by, or None and why it cannot be."""
    parts = path.removesuffix(".py").split("/")
    if len(parts) > 1 and parts[0] in SOURCE_ROOTS:
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part):
            return None, f"`{part}` is not a Python identifier"
    return ".".join(parts), ""


def _thresholds(config: AuditConfig) -> Thresholds:
    return Thresholds(config.min_tokens, config.min_lines, config.min_similarity)


def _severity(rule: type[RuleMeta], copies: int, path: str, config: AuditConfig) -> Severity:
    """The Rule of Two is about similar blocks, which may be coincidence once (a notice);
    a whole function copied is a second definition from the first copy on. In test
    modules a whole function copied has `test-duplicates-severity`, and a block is a
    notice at most: test modules restate their scaffolding (fakes, fixtures, per-case
    data) so that each test reads on its own, and none of the block copies read there
    was worth raising."""
    if is_test_path(path) and config.test_duplicates_severity is not None:
        if rule is DuplicatedFunction:
            return config.test_duplicates_severity
        return min(config.test_duplicates_severity, Severity.NOTICE, key=lambda s: s.rank)
    if rule is DuplicatedFunction or rule.severity is not Severity.ERROR:
        return rule.severity
    return Severity.NOTICE if config.rule_of_two and copies < 2 else Severity.ERROR


def _mostly_changed(facts: CloneFacts, mask: Sequence[bool], first: int, last: int) -> bool:
    lines = set(facts.lines[first:last + 1])
    changed = {facts.lines[i] for i in range(first, last + 1) if mask[i]}
    return 2 * len(changed) >= len(lines)


def _lines_mostly_changed(facts: CloneFacts, changed_lines: frozenset[int] | None,
                          first: int, last: int) -> bool:
    """`_mostly_changed` with the mask given as the changed lines (None: all changed)."""
    if changed_lines is None:
        return True
    lines = set(facts.lines[first:last + 1])
    return 2 * len(lines & changed_lines) >= len(lines)


def _span_lines(facts: CloneFacts, first: int, last: int) -> tuple[int, int]:
    """The lines tokens `first..last` show: an END token stands on the last line of the
    statement list it closes (the end of the previous function), so it does not count."""
    lines = facts.lines[first:last + 1]
    shown = list(compress(lines, map(END_KIND.__ne__, facts.kinds[first:last + 1])))
    return (min(shown), max(shown)) if shown else (min(lines), max(lines))


def _column(facts: CloneFacts, first: int, line: int) -> int:
    """1-based column of the first token on `line` at or after `first`."""
    at = next((i for i in range(first, len(facts.lines)) if facts.lines[i] == line), first)
    return facts.columns[at] + 1


def _enclosing_name(functions: FunctionIndex, first: int, last: int) -> str | None:
    """The innermost function's name, for acceptable-duplicates."""
    holder = functions.innermost_function(first, last)
    return holder.name if holder else None


def _related(copy: _Copy) -> Related:
    clone = copy.clone
    what = f"type-{clone.clone_type}"
    if clone.clone_type == 3:
        what += f", {clone.similarity:.0%} similar"
    if copy.function is not None:
        what = f"function `{copy.function.name}`, {what}"
    state = "new copy" if copy.new else "copy"
    return Related(copy.path, copy.first_line,
                   f"{state}, lines {copy.first_line}-{copy.last_line} ({what})",
                   copy.function.name if copy.function is not None else None)

