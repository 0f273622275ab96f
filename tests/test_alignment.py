"""`analyzers.alignment` is difflib's alignment (no junk), run faster.

Which of two equally long runs difflib takes moves a clone's edges and a fix's hunks, so
the blocks and opcodes must be difflib's exactly, ties included; random repetitive text
(few letters, as token kinds are) finds the ties.
"""

from __future__ import annotations

import difflib
import random
import sys

import pytest

from analyzers.alignment import Alphabet, matching_blocks, opcodes, spelled


def _edited(rng: random.Random, text: str, letters: str) -> str:
    """`text` with a few letters inserted, deleted or replaced: a near-miss of it."""
    out = list(text)
    for _ in range(rng.randint(0, 6)):
        at = rng.randint(0, len(out))
        edit = rng.choice(("insert", "delete", "replace"))
        if edit == "insert":
            out.insert(at, rng.choice(letters))
        elif out:
            at = min(at, len(out) - 1)
            if edit == "delete":
                del out[at]
            else:
                out[at] = rng.choice(letters)
    return "".join(out)


def _pairs(seed: int, count: int, longest: int = 40) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        letters = "abcdef"[:rng.randint(1, 6)]
        a = "".join(rng.choice(letters) for _ in range(rng.randint(0, longest)))
        b = _edited(rng, a, letters) if rng.random() < 0.6 else "".join(
            rng.choice(letters) for _ in range(rng.randint(0, longest)))
        pairs.append((a, b))
    return pairs


@pytest.mark.parametrize("seed", range(4))
def test_matching_blocks_are_difflibs(seed: int) -> None:
    for a, b in _pairs(seed, 3000):
        expected = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        assert matching_blocks(a, b) == [tuple(m) for m in expected[:-1]], (a, b)


@pytest.mark.parametrize("seed", range(2))
def test_long_runs_are_difflibs(seed: int) -> None:
    # Runs of tens of letters: starts are then passed in steps of half the best run.
    for a, b in _pairs(200 + seed, 400, longest=300):
        expected = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        assert matching_blocks(a, b) == [tuple(m) for m in expected[:-1]], (a, b)


@pytest.mark.parametrize("seed", range(2))
def test_opcodes_are_difflibs(seed: int) -> None:
    for a, b in _pairs(100 + seed, 3000):
        expected = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        assert opcodes(a, b) == expected, (a, b)


def test_two_versions_of_a_file_align_by_lines_as_difflib_aligns_them() -> None:
    """Lines, with the blank lines and closing brackets that repeat in real code."""
    rng = random.Random(7)
    lines = [rng.choice(("\n", "    )\n", "    return x\n", f"x = {n}\n")) for n in range(400)]
    edited = list(lines)
    for _ in range(12):
        edited.insert(rng.randint(0, len(edited)), rng.choice(("\n", "    pass\n")))
        del edited[rng.randint(0, len(edited) - 1)]
    expected = difflib.SequenceMatcher(None, lines, edited, autojunk=False).get_opcodes()
    assert opcodes(*spelled(lines, edited)) == expected


def test_spelled_writes_an_element_alike_in_both_strings() -> None:
    first, second = spelled([2**63 - 1, 7, 2**63 - 1], [7, -5, 2**63 - 1])
    assert first[0] == first[2] == second[2] and first[1] == second[0]
    assert len({first[0], first[1], second[1]}) == 3
    assert spelled([], []) == ("", "")


def test_the_alphabet_spells_alike_across_strings_until_its_letters_run_out() -> None:
    alphabet = Alphabet()
    first, second = alphabet.spell([5, 9, 5]), alphabet.spell([9, 4])
    assert first is not None and second is not None
    assert first[1] == second[0] and len({first[0], first[1], second[1]}) == 3
    taken = 3
    assert alphabet.spell(range(10, 10 + sys.maxunicode + 2 - taken)) is None
    assert alphabet.spell([4, 5]) == second[1] + first[0]
    assert alphabet.spell(range(10, 10 + sys.maxunicode + 1 - taken)) is not None
