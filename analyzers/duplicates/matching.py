"""From shared fingerprints to maximal clone regions.

For one audited file: every k-gram that touches a changed token is looked up among the
fingerprints of every other file (and of the file itself); the hits are chained into
candidate regions (a chain tolerates gaps and shifts, which is what a near-miss clone
looks like), and each candidate is aligned token by token (`difflib`'s longest-matching-
blocks alignment on token kinds, computed by `analyzers.alignment`) to find where
the copy really starts and ends, whether names were renamed consistently, and how similar
the two regions are.

Cost: one set look-up per fingerprint of the repository, then work proportional to the
hits of the changed tokens; never a pairwise comparison of files.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from analyzers.alignment import Alphabet, matching_blocks, spelled
from analyzers.duplicates.tokens import (
    CLASS_KIND,
    END_KIND,
    K_GRAM,
    NAME_REACH,
    WINDOW,
    CloneFacts,
    CloneKeys,
    FunctionSpan,
    encode,
    kgram_hashes,
    region_lines,
    region_size,
    same_imports,
)
from analyzers.model import ParallelMap

GAP = 40
"""Tokens a near-miss clone may skip in one place (about three statements)."""
MARGIN = K_GRAM + WINDOW + NAME_REACH
"""Tokens around a chain of hits that alignment also looks at: a copy's first and last
tokens may not be covered by a shared fingerprint."""
MIN_COVERED = K_GRAM + WINDOW
"""Tokens the hits of a chain must cover before it is aligned: more than one k-gram."""
MAX_CHAIN = 2000
"""Bounds the alignment work per candidate (alignment is quadratic on repetitive input)."""
MIN_EDGE_BLOCK = 6
"""Tokens an aligned stretch at either end of a clone needs to count (a short statement
such as `total += price * rate` is seven)."""
MAX_PLACES_PER_KGRAM = 16
"""A k-gram of the change that occurs more often than this in the change is boilerplate
of the file itself; only its first occurrences seed matches."""
MAX_PLACES_PER_FINGERPRINT = 64
"""Likewise for a fingerprint of a file the change is compared with: past this many
places in that file it is boilerplate there (a file of hundreds of copies of one
function made matching quadratic in the copies), and its first places list enough."""


MIN_DEFINITION_TOKENS = 15
"""Lexical tokens of code (signature and docstring not counted, the end of each line
counted) a whole function needs for a copy of it to be reported below the block
thresholds: one real statement (`return text.strip().lower().replace(" ", "-")` is 18),
not a one-line delegation (`return self._load(stream.read())` is 12) or accessor
(`return self._name` is 5), which sibling or unrelated classes write alike by design."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_tokens: int
    min_lines: int
    min_similarity: float
    min_definition_tokens: int = MIN_DEFINITION_TOKENS


ALIGNMENT_BUDGET = 1_000_000_000
ALIGNMENT_PER_CHANGED_TOKEN = 10_000
"""Work one audit's duplicate matching may do, in token pairs (alignment costs the
product of both windows' lengths; a chaining step counts as CHAIN_STEP_COST pairs): a
base plus an allowance per changed token. Matching is the step whose cost grows with how
alike the change is to the rest; past the budget it stops and the audit says so (SX012)
instead of running into the App's time limit and losing every finding. Measured here:
forty similar 6 KB modules took 114 s with no budget and 25 s with it; whole-tree audits
use 6% (click) to 37% (pytest) of theirs."""


@dataclass
class Budget:
    """What is left of the matching budget (alignment and chaining); `exhausted` once
    some work was skipped."""

    total: int
    left: int
    exhausted: bool = False

    @classmethod
    def for_queries(cls, queries: Sequence[Query]) -> Budget:
        changed = sum(sum(q.changed) for q in queries)
        total = ALIGNMENT_BUDGET + ALIGNMENT_PER_CHANGED_TOKEN * changed
        return cls(total, total)

    def spend(self, tokens: int) -> bool:
        if tokens > self.left:
            self.exhausted = True
            return False
        self.left -= tokens
        return True


@dataclass(frozen=True, slots=True)
class Clone:
    """A region of the audited file (tokens `first..last`) and its copy in `other_path`."""

    first: int
    last: int
    other_path: str
    other_first: int
    other_last: int
    clone_type: int
    """1: identical; 2: identical up to a consistent renaming of names and literals;
    3: near-miss (statements added, removed or changed)."""
    similarity: float
    definition: bool = False
    """Both sides are one whole function, identical up to renaming."""


def changed_tokens(facts: CloneFacts, changed_lines: frozenset[int] | None) -> list[bool]:
    if changed_lines is None:
        return [True] * len(facts.lines)
    return [line in changed_lines for line in facts.lines]


@dataclass(frozen=True, slots=True)
class Query:
    """A changed file: its facts and which of its tokens are on changed lines."""

    path: str
    facts: CloneFacts
    changed: Sequence[bool]


PARALLEL_FROM_TOKENS = 200_000
"""Changed tokens (a whole tree's audit, not a pull request's) from which the matching is
split over the audit's processes: below it, shipping every file's facts to them costs
more than the matching."""
SHARES_PER_PROCESS = 4
"""The queries are dealt out (`_dealt`) in this many shares per process: the estimate of
each query's work is close, not exact, and the last shares even out what it missed.
Each share ships every file's facts to its process once (on sqlalchemy 48 MB, pickled
in 0.2 s); two shares per process were no cheaper in all and finished less evenly."""


@dataclass(frozen=True, slots=True)
class Share:
    """One process's part of the matching: some of the queries against all the other
    files (each with its place in the whole list), with a budget of `budget` token
    pairs. A share's memory is what its own queries ask (their changed k-grams, a
    whole file's each in a whole tree's audit), not what all of them ask."""

    queries: Sequence[Query]
    others: Sequence[tuple[int, str, CloneFacts]]
    thresholds: Thresholds
    budget: int


@dataclass(frozen=True, slots=True)
class Matched:
    """A share's clones, as (place of the other file, query number in the share, clones),
    and the budget it spent."""

    clones: list[tuple[int, int, list[Clone]]]
    spent: int
    exhausted: bool


def find_clones(
    queries: Sequence[Query],
    others: Sequence[tuple[str, CloneKeys]],
    facts_of: Mapping[str, CloneFacts],
    thresholds: Thresholds,
    budget: Budget,
    map_shares: ParallelMap = map,
    processes: int = 1,
    parallel_from_tokens: int = PARALLEL_FROM_TOKENS,
) -> list[list[Clone]]:
    """Every maximal clone between the changed tokens of each query and the files of
    `others` (which may include the query's own file: then a region is never matched
    with itself), one list per query. A file's facts are taken from `facts_of` only when
    its keys share a fingerprint or a function shape with the changed code (no other
    file can hold a copy); each is scanned once for all queries. Alignments past
    `budget` are skipped (and the budget says so).

    With `map_shares` (a process pool's `map`) over `processes` and at least
    `parallel_from_tokens` changed tokens, the files are matched in shares across the
    processes. Each share's matches are what the one-process loop finds for those files
    as long as no share ran out of budget and all spent together fit in it; otherwise
    the matching runs again in this process, so what the budget skips never depends on
    the pool."""
    changed = sum(sum(q.changed) for q in queries)
    if processes > 1 and changed >= parallel_from_tokens:
        # Every file goes: the shares work out what is asked (a whole tree's changed
        # k-grams) in parallel, and in such an audit nearly every file is a query anyway.
        listed = [(place, path, facts_of[path]) for place, (path, _keys) in enumerate(others)]
        dealt = _dealt(queries, others, min(processes * SHARES_PER_PROCESS, len(queries)))
        shares = [Share([queries[number] for number in numbers], listed, thresholds,
                        budget.left) for numbers in dealt]
        matched = list(map_shares(match_share, shares))
        spent = sum(m.spent for m in matched)
        if not any(m.exhausted for m in matched) and spent <= budget.left:
            budget.left -= spent
            return _gathered(len(queries), [
                (place, numbers[number], clones)
                for numbers, share in zip(dealt, matched, strict=True)
                for place, number, clones in share.clones])
    asked = _asked(queries, thresholds)
    listed = [(place, path, facts_of[path]) for place, (path, keys) in enumerate(others)
              if keys.shares(asked.by_fingerprint.keys(), asked.by_shape.keys())]
    return _gathered(len(queries), _match(queries, asked, listed, thresholds, budget))


def _dealt(queries: Sequence[Query], others: Sequence[tuple[str, CloneKeys]],
           count: int) -> list[list[int]]:
    """The query numbers in `count` shares of about equal work, the largest share first:
    each query, the one with the most work first, goes to the share with the least work
    so far. A query's work is about the hits of its changed fingerprints: for each, the
    files that hold it (on sqlalchemy this follows the matching time per file closely,
    much more closely than its size does). The pool hands the next share to whichever
    process is free, so the small shares at the end fill the gaps. (A query finds the
    same clones whichever share it is in: a share only gathers what its queries ask.)"""
    holders: Counter[int] = Counter()
    for _path, keys in others:
        holders.update(set(keys.fingerprints))
    work = [1 + sum(holders[fingerprint] for fingerprint, at in zip(
        query.facts.fingerprints, query.facts.positions, strict=True) if query.changed[at])
        for query in queries]
    loads = [(0, share) for share in range(count)]
    dealt: list[list[int]] = [[] for _ in range(count)]
    for number in sorted(range(len(queries)), key=lambda n: -work[n]):
        load, share = heapq.heappop(loads)
        dealt[share].append(number)
        heapq.heappush(loads, (load + work[number], share))
    return [dealt[share] for _load, share in sorted(loads, key=lambda item: -item[0])]


def match_share(share: Share) -> Matched:
    """Top-level, for a process pool: one share's matching."""
    budget = Budget(share.budget, share.budget)
    asked = _asked(share.queries, share.thresholds)
    clones = _match(share.queries, asked, share.others, share.thresholds, budget)
    return Matched(clones, share.budget - budget.left, budget.exhausted)


def _gathered(count: int, found: list[tuple[int, int, list[Clone]]]) -> list[list[Clone]]:
    """Per query, its clones in the order of the files compared with."""
    clones: list[list[Clone]] = [[] for _ in range(count)]
    for _place, number, some in sorted(found, key=lambda item: item[0]):
        clones[number].extend(some)
    return clones


@dataclass(frozen=True, slots=True)
class Asked:
    """What another file must share with the queries to hold a copy of their changes."""

    kgrams: list[dict[int, list[int]]]
    """Per query, its changed k-grams (`_changed_kgrams`)."""
    by_fingerprint: dict[int, list[int]]
    """k-gram hash -> the queries that have it."""
    by_shape: dict[int, list[tuple[int, FunctionSpan]]]
    """The queries' changed whole functions by shape (`_changed_definitions`)."""
    code: list[_Code]
    """Per query, its facts with their functions indexed."""
    alphabet: Alphabet
    """Spells the kinds of the queries and of the files they are compared with."""


def _asked(queries: Sequence[Query], thresholds: Thresholds) -> Asked:
    kgrams = [_changed_kgrams(q.facts, q.changed) for q in queries]
    by_fingerprint: dict[int, list[int]] = {}
    for number, found in enumerate(kgrams):
        for value in found:
            by_fingerprint.setdefault(value, []).append(number)
    alphabet = Alphabet()
    code = [_Code(q.facts, alphabet) for q in queries]
    return Asked(kgrams, by_fingerprint, _changed_definitions(queries, code, thresholds), code,
                 alphabet)


def _match(queries: Sequence[Query], asked: Asked, others: Sequence[tuple[int, str, CloneFacts]],
           thresholds: Thresholds, budget: Budget) -> list[tuple[int, int, list[Clone]]]:
    """(place of the other file, query number, clones) of the queries against `others`."""
    wanted, shapes, by_fingerprint = asked.kgrams, asked.by_shape, asked.by_fingerprint
    clones: list[tuple[int, int, list[Clone]]] = []
    if not by_fingerprint and not shapes:
        return clones
    for place, other_path, other in others:
        definitions = _same_shapes(queries, shapes, other_path, other, budget)
        if by_fingerprint.keys().isdisjoint(other.fingerprints):
            clones.extend((place, number, largest) for number, found in definitions.items()
                          if (largest := _largest(found)))
            continue
        their_code = _Code(other, asked.alphabet)
        seeds: dict[int, list[tuple[int, int]]] = {}
        places: dict[int, int] = {}
        for fingerprint, theirs in zip(other.fingerprints, other.positions, strict=True):
            numbers = by_fingerprint.get(fingerprint, ())
            if not numbers:
                continue
            places[fingerprint] = seen = places.get(fingerprint, 0) + 1
            if seen > MAX_PLACES_PER_FINGERPRINT:
                continue  # boilerplate of that file: its first places list enough copies
            for number in numbers:
                same_file = queries[number].path == other_path
                seeds.setdefault(number, []).extend(
                    (mine, theirs) for mine in wanted[number][fingerprint]
                    if not same_file or abs(mine - theirs) >= K_GRAM
                )
        for number in seeds.keys() | definitions.keys():
            query = queries[number]
            chains = _chains(seeds.get(number, []), budget)
            found = [
                clone
                for chain in chains
                if budget.spend(_alignment_cost(chain))
                and (clone := _align(asked.code[number], their_code, other_path, chain,
                                     query.path == other_path, thresholds))
            ]
            found += definitions.get(number, [])
            if largest := _largest(found):
                clones.append((place, number, largest))
    return clones


def _changed_definitions(queries: Sequence[Query], code: Sequence[_Code],
                         thresholds: Thresholds) -> dict[int, list[tuple[int, FunctionSpan]]]:
    """Shape -> the changed whole functions of that shape (query number, function) that
    are judged as definitions."""
    shapes: dict[int, list[tuple[int, FunctionSpan]]] = {}
    for number, query in enumerate(queries):
        facts = query.facts
        for function in facts.functions:
            if query.changed[function.first] and _is_definition(
                    code[number], function.first, function.last, thresholds):
                shapes.setdefault(function.shape, []).append((number, function))
    return shapes


def _same_shapes(queries: Sequence[Query], shapes: dict[int, list[tuple[int, FunctionSpan]]],
                 other_path: str, other: CloneFacts, budget: Budget) -> dict[int, list[Clone]]:
    """Per query: its changed whole functions that are, token for token and up to a
    consistent renaming, a whole function of `other` (the first MAX_PLACES_PER_FINGERPRINT
    of each shape there). Found by shape, whatever fingerprints the two share: a function
    too small for a shared fingerprint, or a method copied exactly inside a larger
    near-miss (two sibling classes), is a copy of its own. Each comparison costs its
    tokens of the budget."""
    out: dict[int, list[Clone]] = {}
    if not shapes:
        return out
    seen: dict[int, int] = {}
    for copy in other.functions:
        wanted = shapes.get(copy.shape)
        if not wanted:
            continue
        seen[copy.shape] = places = seen.get(copy.shape, 0) + 1
        if places > MAX_PLACES_PER_FINGERPRINT:
            continue
        for number, function in wanted:
            facts = queries[number].facts
            size = function.last - function.first + 1
            if (queries[number].path == other_path and function.first == copy.first) or (
                    not budget.spend(size)) or (
                    facts.kinds[function.first:function.last + 1]
                    != other.kinds[copy.first:copy.last + 1]):
                continue
            run = [(function.first, copy.first, size)]
            matched, renamed = _consistent_pairs(facts, other, run)
            if matched == size:
                identical = not renamed and same_imports(facts, function.first, function.last,
                                                         other, copy.first, copy.last)
                out.setdefault(number, []).append(Clone(
                    function.first, function.last, other_path, copy.first, copy.last,
                    1 if identical else 2, 1.0, definition=True))
    return out


def _changed_kgrams(facts: CloneFacts, changed: Sequence[bool]) -> dict[int, list[int]]:
    """k-gram hash -> where it starts, for the k-grams that hold a changed token."""
    if not any(changed):
        return {}
    changed_before = [0, *accumulate(changed)]
    wanted: dict[int, list[int]] = {}
    for start, value in enumerate(kgram_hashes(encode(facts.kinds, facts.params))):
        if changed_before[start + K_GRAM] == changed_before[start]:
            continue
        places = wanted.setdefault(value, [])
        if len(places) < MAX_PLACES_PER_KGRAM:
            places.append(start)
    return wanted


CHAIN_STEP_COST = 6
"""One step of chaining (a hit against an open chain) costs about as much as six token
pairs of alignment, so both draw on one budget."""


def _chains(seeds: list[tuple[int, int]], budget: Budget) -> list[list[tuple[int, int]]]:
    """Group hits that could be one clone: each next hit is at most GAP tokens further on
    both sides, on a diagonal at most GAP tokens away. A chain spans at most MAX_CHAIN
    tokens; a longer clone comes out in pieces, merged again into one finding. Past the
    budget the hits not yet placed are left out.

    Hits are taken in order; each joins the open chain whose last hit is on the nearest
    diagonal (the oldest chain of those equally near), among the chains it may follow,
    or starts a chain. A chain closes at the first hit past its reach (GAP + K_GRAM tokens
    after its last hit, MAX_CHAIN after its first). Open chains are kept sorted by their
    last hit in the other file, so a hit looks only at those it may follow, and their
    deadlines in a heap, so closing costs nothing until one is due. Chains come out as
    closed (in the order they were started, for those closing at one hit), then those
    still open. Each hit costs CHAIN_STEP_COST token pairs per open chain (what looking at
    every open chain once cost), so the budget reads the same work as always."""
    if len(seeds) == 1:  # the usual case: one chain, no chaining
        return [seeds] if budget.spend(CHAIN_STEP_COST) else []
    seeds.sort()
    reach = GAP + K_GRAM
    chains: list[list[tuple[int, int]]] = []
    deadlines: list[int] = []
    due: list[tuple[int, int]] = []  # (deadline, chain), a heap; stale entries skipped
    by_last: list[tuple[int, int]] = []  # (last hit in the other file, chain), sorted
    is_open: list[bool] = []
    open_count = 0
    done: list[list[tuple[int, int]]] = []
    for mine, theirs in seeds:
        step = CHAIN_STEP_COST * (open_count + 1)  # `budget.spend`, inline: it runs per hit
        if step > budget.left:
            budget.exhausted = True
            break
        budget.left -= step
        if due and due[0][0] < mine:
            closing = []
            while due and due[0][0] < mine:
                deadline, number = heapq.heappop(due)
                if is_open[number] and deadlines[number] == deadline:
                    closing.append(number)
            for number in sorted(closing):
                is_open[number] = False
                open_count -= 1
                del by_last[bisect.bisect_left(by_last, (chains[number][-1][1], number))]
                done.append(chains[number])
        best = -1
        best_shift = GAP + 1
        diagonal = theirs - mine
        for _last, number in by_last[bisect.bisect_left(by_last, (theirs - reach, -1)):
                                     bisect.bisect_right(by_last, (theirs, len(chains)))]:
            last_mine, last_theirs = chains[number][-1]
            shift = abs(diagonal - (last_theirs - last_mine))
            if shift < best_shift or (shift == best_shift and number < best):
                best, best_shift = number, shift
        if best < 0:
            best = len(chains)
            chains.append([(mine, theirs)])
            deadlines.append(min(mine + reach, mine + MAX_CHAIN))
            is_open.append(True)
            open_count += 1
            heapq.heappush(due, (deadlines[best], best))
        else:
            chain = chains[best]
            del by_last[bisect.bisect_left(by_last, (chain[-1][1], best))]
            chain.append((mine, theirs))
            # A deadline never moves back, so one heap entry per (deadline, chain).
            deadline = min(mine + reach, chain[0][0] + MAX_CHAIN)
            if deadline != deadlines[best]:
                deadlines[best] = deadline
                heapq.heappush(due, (deadline, best))
        bisect.insort(by_last, (theirs, best))
    return done + [chain for number, chain in enumerate(chains) if is_open[number]]


def _covered(starts: Iterable[int]) -> int:
    """How many tokens the k-grams starting at `starts` (sorted) cover."""
    covered = 0
    end = -1
    for start in starts:
        covered += K_GRAM - max(0, end - start)
        end = start + K_GRAM
    return covered


def _alignment_cost(chain: list[tuple[int, int]]) -> int:
    """Token pairs of the windows `_align` compares for `chain`: the budget's measure
    of an alignment. The sequences hold few distinct node kinds, so difflib's way of
    aligning them costs the product of their lengths, not the sum; `matching_blocks`
    costs less, but the measure stays, so that what a budget skips stays the same."""
    pad = K_GRAM + 2 * GAP
    mine = chain[-1][0] - chain[0][0] + pad
    theirs = max(t for _, t in chain) - min(t for _, t in chain) + pad
    return mine * theirs


def _align(
    mine: _Code,
    theirs: _Code,
    other_path: str,
    chain: list[tuple[int, int]],
    same_file: bool,
    thresholds: Thresholds,
) -> Clone | None:
    facts, other = mine.facts, theirs.facts
    mine_from, mine_to = _window(mine, chain[0][0], chain[-1][0])
    theirs_from, theirs_to = _window(theirs, min(t for _, t in chain),
                                     max(t for _, t in chain))
    if same_file:
        (mine_from, mine_to), (theirs_from, theirs_to) = _disjoint(
            mine, chain, (mine_from, mine_to), (theirs_from, theirs_to))
    # One shared k-gram (a line or so) is a coincidence, not a clone; but it is enough to
    # compare two small whole functions, whose match must then be the whole definition.
    only_definitions = _covered(hit for hit, _ in chain) < MIN_COVERED
    if only_definitions and not (mine.is_function(mine_from, mine_to - 1)
                                 and theirs.is_function(theirs_from, theirs_to - 1)):
        return None
    if (only_definitions or not (_big_enough(mine, mine_from, mine_to - 1, thresholds)
                                 and _big_enough(theirs, theirs_from, theirs_to - 1,
                                                 thresholds))) and not (
            mine.holds_definition(mine_from, mine_to, thresholds.min_definition_tokens)
            and theirs.holds_definition(theirs_from, theirs_to,
                                        thresholds.min_definition_tokens)):
        # The clone lies inside the windows, and is no bigger: where a block cannot fit
        # in both (or one k-gram is all they share), only a whole function on both
        # sides can be the clone.
        return None
    mine_letters, their_letters = mine.letters(), theirs.letters()
    if mine_letters is None or their_letters is None:
        windows = spelled(facts.kinds[mine_from:mine_to], other.kinds[theirs_from:theirs_to])
    else:
        windows = mine_letters[mine_from:mine_to], their_letters[theirs_from:theirs_to]
    blocks = [(a + mine_from, b + theirs_from, size)
              for a, b, size in matching_blocks(*windows)]
    run = _densest_run(blocks)
    if same_file:
        run = _apart(run)
    run = _whole_lines(facts, other, _within_definitions(mine, theirs, run))
    if not run:
        return None
    first, other_first = run[0][0], run[0][1]
    last, other_last = run[-1][0] + run[-1][2] - 1, run[-1][1] + run[-1][2] - 1
    if same_file and first <= other_last and other_first <= last:
        return None
    length = last - first + 1
    if (only_definitions or not (_big_enough(mine, first, last, thresholds)
                                 and _big_enough(theirs, other_first, other_last, thresholds))
            ) and not (
            _is_definition(mine, first, last, thresholds)
            and _is_definition(theirs, other_first, other_last, thresholds)):
        return None
    matched, renamed = _consistent_pairs(facts, other, run)
    similarity = 2 * matched / (length + other_last - other_first + 1)
    if matched == length == other_last - other_first + 1:
        identical = not renamed and same_imports(facts, first, last, other, other_first,
                                                 other_last)
        clone_type = 1 if identical else 2
    elif similarity >= thresholds.min_similarity:
        clone_type = 3
    else:
        return None
    definition = clone_type < 3 and mine.is_function(first, last) and theirs.is_function(
        other_first, other_last)
    return Clone(first, last, other_path, other_first, other_last, clone_type, similarity,
                 definition)


def _window(code: _Code, first: int, last: int) -> tuple[int, int]:
    """The k-grams starting at tokens `first..last` (a chain's hits) and MARGIN tokens
    either side, but not past the innermost function where all the hits start: a copy
    pasted right after its original would otherwise align into its neighbour's header
    and overlap itself."""
    low, high = max(0, first - MARGIN), min(len(code.facts.kinds), last + K_GRAM + MARGIN)
    holder = code.innermost(first, last)
    if holder is not None:
        low, high = max(low, holder[0]), min(high, holder[1] + 1)
    return low, high


def big_enough(code: CloneFacts, first: int, last: int, thresholds: Thresholds) -> bool:
    """At least the block thresholds (`min-tokens` and `min-lines`) between the tokens."""
    return (region_size(code, first, last) >= thresholds.min_tokens
            and region_lines(code, first, last) >= thresholds.min_lines)


def _big_enough(code: _Code, first: int, last: int, thresholds: Thresholds) -> bool:
    """`big_enough`, from the file's running sums."""
    size, lines = code.region(first, last)
    return size >= thresholds.min_tokens and lines >= thresholds.min_lines


def _is_definition(code: _Code, first: int, last: int, thresholds: Thresholds) -> bool:
    """Whether tokens `first..last` are one whole function with at least
    `min_definition_tokens` of code that does more than delegate: judged as a
    definition, not as a block."""
    return code.is_definition(first, last) and (
        code.region(first, last)[0] >= thresholds.min_definition_tokens)


class FunctionIndex:
    """A file's functions, indexed by span and by nesting. Functions are nested or apart
    (the token stream is a walk of the tree), so the innermost function around tokens is
    the one that starts last before them, or the nearest of its parents that reaches
    past them; and the functions that start within some tokens are neighbours by first
    token. Matching and the duplicates check ask both many times per file."""

    __slots__ = ("_firsts", "_lasts", "_numbers", "_parents", "_spans", "functions")

    def __init__(self, functions: Sequence[FunctionSpan]) -> None:
        self.functions = functions
        # The first function of each span (there is one per span: a safeguard).
        numbers = {(function.first, function.last): number
                   for number, function in reversed(list(enumerate(functions)))}
        self._spans = numbers
        """Span -> the function's place in `functions`."""
        # Outer before inner where two start at one token (they never do: a safeguard
        # that keeps `innermost` right if they did).
        ordered = sorted(numbers, key=lambda span: (span[0], -span[1]))
        self._firsts = [first for first, _ in ordered]
        self._lasts = [last for _, last in ordered]
        self._numbers = [numbers[span] for span in ordered]
        """Per function by first token, its place in `functions`."""
        self._parents: list[int] = []
        holders: list[int] = []
        for number, (first, _last) in enumerate(ordered):
            while holders and self._lasts[holders[-1]] < first:
                holders.pop()
            self._parents.append(holders[-1] if holders else -1)
            holders.append(number)

    def is_function(self, first: int, last: int) -> bool:
        return (first, last) in self._spans

    def at(self, first: int, last: int) -> FunctionSpan | None:
        """The function whose tokens are `first..last`."""
        number = self._spans.get((first, last))
        return None if number is None else self.functions[number]

    def _innermost(self, first: int, last: int) -> int:
        number = bisect.bisect_right(self._firsts, first) - 1
        while number >= 0 and self._lasts[number] < last:
            number = self._parents[number]
        return number

    def innermost(self, first: int, last: int) -> tuple[int, int] | None:
        """The span of the smallest function holding tokens `first..last`."""
        number = self._innermost(first, last)
        return None if number < 0 else (self._firsts[number], self._lasts[number])

    def innermost_function(self, first: int, last: int) -> FunctionSpan | None:
        """The smallest function holding tokens `first..last`."""
        number = self._innermost(first, last)
        return None if number < 0 else self.functions[self._numbers[number]]

    def holders(self, token: int) -> list[FunctionSpan]:
        """The functions holding the token, the innermost first (as `functions` lists
        them: a nested function ends, and is listed, before the one around it)."""
        found = []
        number = self._innermost(token, token)
        while number >= 0:
            found.append(self.functions[self._numbers[number]])
            number = self._parents[number]
        return found

    def starting_in(self, first: int, last: int) -> list[FunctionSpan]:
        """The functions whose first token is one of `first..last`, in `functions` order."""
        low = bisect.bisect_left(self._firsts, first)
        high = bisect.bisect_right(self._firsts, last)
        return [self.functions[number] for number in sorted(self._numbers[low:high])]


class _Code(FunctionIndex):
    """A file's clone facts, with its functions indexed (`FunctionIndex`) and its kinds
    spelled (once, when first aligned): aligning asks for the innermost function around
    some tokens, and whether some tokens are one whole function, many times per file."""

    __slots__ = ("_alphabet", "_code_lines_before", "_definitions", "_descents",
                 "_letters", "_size_before", "_spelled", "facts")

    def __init__(self, facts: CloneFacts, alphabet: Alphabet) -> None:
        super().__init__(facts.functions)
        self.facts = facts
        self._alphabet = alphabet
        self._letters: str | None = None
        self._spelled = False
        self._size_before: list[int] | None = None
        """Running sums of the line sizes (from `region`'s first call), and of the lines
        with code: a region's size is a difference, not a sum per question."""
        self._code_lines_before: list[int] = []
        self._descents: list[int] = []
        """The tokens whose line is after the next token's (a decorator after its `def`,
        the end of a block): rare, so a region's first and last lines are found among
        the few between its ends."""
        self._definitions = {(f.first, f.last) for f in facts.functions if not f.delegates}

    def letters(self) -> str | None:
        """The kinds as spelled by the alphabet; None when it ran out of letters."""
        if not self._spelled:
            self._letters, self._spelled = self._alphabet.spell(self.facts.kinds), True
        return self._letters

    def region(self, first: int, last: int) -> tuple[int, int]:
        """(`region_size`, `region_lines`) of tokens `first..last`."""
        lines = self.facts.lines
        last = min(last, len(lines) - 1)
        if first > last:
            return 0, 0
        if self._size_before is None:
            self._size_before = [0, *accumulate(self.facts.line_sizes)]
            self._code_lines_before = [0, *accumulate(1 if size else 0
                                                      for size in self.facts.line_sizes)]
            self._descents = [at for at in range(len(lines) - 1) if lines[at] > lines[at + 1]]
        # The lowest line is the first token's or one right after a descent, the highest
        # the last token's or one right before a descent (the first lowest, the last
        # highest): the descents in between are all that need a look.
        descents = self._descents
        since, until = bisect.bisect_left(descents, first), bisect.bisect_left(descents, last)
        low, high = lines[first], lines[last]  # token lines are 1-based (`ast`'s)
        if since < until:
            between = descents[since:until]
            low = min(low, *(lines[at + 1] for at in between))
            high = max(high, *(lines[at] for at in between))
        count = len(self._size_before) - 1
        start, end = min(low - 1, count), min(high, count)
        if start >= end:
            return 0, 0
        return (self._size_before[end] - self._size_before[start],
                self._code_lines_before[end] - self._code_lines_before[start])

    def is_definition(self, first: int, last: int) -> bool:
        """Whether tokens `first..last` are a function that does more than delegate."""
        return (first, last) in self._definitions

    def holds_definition(self, low: int, high: int, min_tokens: int) -> bool:
        """Whether a function that does more than delegate, with at least `min_tokens`
        of code, lies within tokens `low..high - 1`."""
        number = bisect.bisect_left(self._firsts, low)
        while number < len(self._firsts) and self._firsts[number] < high:
            first, last = self._firsts[number], self._lasts[number]
            if last < high and self.is_definition(first, last) and (
                    self.region(first, last)[0] >= min_tokens):
                return True
            number += 1
        return False

    def first_function_between(self, after: int, before: int) -> int | None:
        """The first token of the first function that starts after `after` and before
        `before`."""
        number = bisect.bisect_right(self._firsts, after)
        if number < len(self._firsts) and self._firsts[number] < before:
            return self._firsts[number]
        return None


def _densest_run(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The run of matching blocks, no two more than GAP tokens apart on either side, that
    matches the most tokens, without blocks shorter than MIN_EDGE_BLOCK at its ends: those
    are coincidences next to the clone (a `return x` on both sides), not part of it."""
    runs: list[list[tuple[int, int, int]]] = []
    for block in blocks:
        if runs:
            a, b, size = runs[-1][-1]
            if block[0] - (a + size) <= GAP and block[1] - (b + size) <= GAP:
                runs[-1].append(block)
                continue
        runs.append([block])
    if not runs:
        return []
    run = max(runs, key=lambda r: sum(size for _, _, size in r))
    while run and run[0][2] < MIN_EDGE_BLOCK:
        run = run[1:]
    while run and run[-1][2] < MIN_EDGE_BLOCK:
        run = run[:-1]
    return run


def _disjoint(code: _Code, chain: list[tuple[int, int]], mine: tuple[int, int],
              theirs: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two windows of one file that do not overlap, when the chain's hits on one side all
    come before those on the other: split where they meet, at the start of a function
    there if one starts there (a copy pasted right after its original starts with its
    `def` or `class`). Overlapping windows would align the original with itself, the longest match
    there is, and the copy next to it would be lost."""
    mine_hits = [a for a, _ in chain]
    their_hits = [b for _, b in chain]
    mine_first = max(mine_hits) < min(their_hits)
    low, high = (mine, theirs) if mine_first else (theirs, mine)
    low_last, high_first = ((max(mine_hits), min(their_hits)) if mine_first
                            else (max(their_hits), min(mine_hits)))
    if low_last >= high_first or low[1] <= high[0]:
        return mine, theirs  # interleaved hits, or apart already
    kinds = code.facts.kinds
    function = code.first_function_between(low_last, high_first + K_GRAM)
    definitions = [at for at in range(low_last + 1, min(high_first + K_GRAM, len(kinds)))
                   if kinds[at] == CLASS_KIND]
    split = min([*definitions, *([] if function is None else [function])],
                default=high_first)
    low, high = (low[0], min(low[1], split)), (max(high[0], split), high[1])
    return (low, high) if mine_first else (high, low)


def _apart(run: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """A run within one file without the pairs that make its two sides overlap: the part
    of it on either side of the one split that keeps the most aligned pairs. A copy
    pasted next to its original is aligned on windows that reach into each other (the
    original's tail is the copy's neighbour), and the alignment may run on from the
    original into the copy's own first lines; what overlaps is that neighbourhood, not
    the copy, which is still a copy."""
    pairs = [(a + offset, b + offset) for a, b, size in run for offset in range(size)]
    if not pairs or (pairs[0][0] > pairs[-1][1]) or (pairs[0][1] > pairs[-1][0]):
        return run  # the two sides are apart already
    later = 0 if pairs[0][0] > pairs[0][1] else 1
    # Keep pairs whose later-side token is at or after the split and whose earlier-side
    # token is before it; both sides increase along the run, so the kept pairs for a
    # split at pair i's later token are i up to the last pair whose earlier token is
    # before it.
    best_from, best_to = 0, 0
    end = 0
    for start, pair in enumerate(pairs):
        end = max(end, start)
        while end < len(pairs) and pairs[end][1 - later] < pair[later]:
            end += 1
        if end - start > best_to - best_from:
            best_from, best_to = start, end
    kept = pairs[best_from:best_to]
    return _blocks(kept)


def _blocks(pairs: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Aligned token pairs as blocks of consecutive pairs on one diagonal."""
    blocks: list[tuple[int, int, int]] = []
    for a, b in pairs:
        if blocks:
            first_a, first_b, size = blocks[-1]
            if a == first_a + size and b == first_b + size:
                blocks[-1] = (first_a, first_b, size + 1)
                continue
        blocks.append((a, b, 1))
    return blocks


def _within_definitions(mine: _Code, theirs: _Code,
                        run: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The run without the tail of a function it starts in and the head of a function
    it ends in, on either side, when that part is the smaller one: every two neighbouring
    definitions share such an edge (`return result`, then `def ...(self`), so a copy of
    the next function would otherwise be shown from the last line of the previous one,
    and a copy would reach into the next definition's signature."""
    for code, side in ((mine, 0), (theirs, 1)):
        for at_start in (True, False):
            if not run:
                return run
            first, last = run[0][side], run[-1][side] + run[-1][2] - 1
            token = first if at_start else last
            holder = code.innermost(token, token)
            if holder is None:
                continue
            holder_first, holder_last = holder
            if at_start and holder_first < first and holder_last < last \
                    and 2 * (holder_last - first + 1) < last - first + 1:
                run = _cut(run, side, start=holder_last + 1)
            elif not at_start and first < holder_first and last < holder_last \
                    and 2 * (last - holder_first + 1) < last - first + 1:
                run = _cut(run, side, end=holder_first)
    return run


def _cut(run: list[tuple[int, int, int]], side: int, start: int = 0,
         end: int | None = None) -> list[tuple[int, int, int]]:
    """The aligned pairs of `run` whose token on `side` is in `start..end - 1`."""
    out = []
    for block in run:
        at, size = block[side], block[2]
        skip = max(0, start - at)
        keep = size - skip if end is None else min(size, end - at) - skip
        if keep > 0:
            out.append((block[0] + skip, block[1] + skip, keep))
    return out


def _whole_lines(facts: CloneFacts, other: CloneFacts,
                 run: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The run without the partial lines at its ends: a clone starts at the start of a
    line (not with the end of a block) and ends at the end of one, on both sides."""
    def starts_mid_line(code: CloneFacts, at: int) -> bool:
        return code.kinds[at] == END_KIND or (at > 0 and code.lines[at - 1] == code.lines[at])

    def ends_mid_line(code: CloneFacts, at: int) -> bool:
        return (at + 1 < len(code.kinds) and code.lines[at + 1] == code.lines[at]
                and code.kinds[at + 1] != END_KIND)

    while run and (starts_mid_line(facts, run[0][0]) or starts_mid_line(other, run[0][1])):
        a, b, size = run[0]
        run = [(a + 1, b + 1, size - 1), *run[1:]] if size > 1 else run[1:]
    while run and (ends_mid_line(facts, run[-1][0] + run[-1][2] - 1)
                   or ends_mid_line(other, run[-1][1] + run[-1][2] - 1)):
        a, b, size = run[-1]
        run = [*run[:-1], (a, b, size - 1)] if size > 1 else run[:-1]
    return run


def _consistent_pairs(facts: CloneFacts, other: CloneFacts,
                      run: list[tuple[int, int, int]]) -> tuple[int, bool]:
    """How many aligned token pairs agree, counting a name or literal pair only when it
    follows one consistent renaming (each value always maps to the same value, both
    ways); and whether any value was renamed."""
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    params, other_params = facts.params, other.params
    matched = 0
    renamed = False
    for a, b, size in run:
        for offset in range(size):
            mine, theirs = params[a + offset], other_params[b + offset]
            if not mine:
                matched += 1
            elif forward.setdefault(mine, theirs) == theirs and \
                    backward.setdefault(theirs, mine) == mine:
                matched += 1
                renamed = renamed or mine != theirs
    return matched, renamed


def _largest(clones: list[Clone]) -> list[Clone]:
    """Drop clones mostly inside a larger one on both sides (two chains found the same
    copy); clones that only overlap are kept, and are merged into one finding later. A
    whole function copied exactly is kept whatever holds it; the duplicates check
    decides whether it is a copy of its own."""
    kept: list[Clone] = []
    for clone in sorted(clones, key=lambda c: c.last - c.first, reverse=True):
        if clone.definition or not any(_mostly_inside(clone, k) for k in kept):
            kept.append(clone)
    return kept


def _mostly_inside(one: Clone, other: Clone) -> bool:
    shared = min(one.last, other.last) - max(one.first, other.first) + 1
    return (5 * shared >= 4 * (one.last - one.first + 1)
            and one.other_first <= other.other_last and other.other_first <= one.other_last)
