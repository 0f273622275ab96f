"""Config globs: gitignore-like meaning, and matching that stays linear whatever the
pattern (issue 10: a 12-wildcard `exclude` used to take minutes per path)."""

from __future__ import annotations

import pytest

from analyzers.paths import is_example_path, is_test_path, matches

CASES = [
    ("*.py", "app/deep/mod.py", True),
    ("*.py", "app/mod.pyc", False),
    ("migrations/**", "migrations/0001.py", True),
    ("migrations/**", "app/migrations/0001.py", False),
    ("**/migrations/*", "app/migrations/0001.py", True),
    ("**/migrations/*", "app/migrations/x/0001.py", False),
    ("a/**/b.py", "a/b.py", True),
    ("a/**/b.py", "a/x/y/b.py", True),
    ("a/*/b.py", "a/x/y/b.py", False),
    ("*_pb2.py", "proto/user_pb2.py", True),
    ("tests/", "tests/unit/test_a.py", True),
    ("/src/*.py", "src/a.py", True),
    ("/src/*.py", "lib/src/a.py", False),
    ("a?c.py", "abc.py", True),
    ("a?c.py", "a/c.py", False),
    ("x/**/y/**/z.py", "x/q/y/r/s/z.py", True),
    ("x/**/y/**/z.py", "x/q/z.py", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_globs_mean_what_gitignore_users_expect(pattern: str, path: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected


def test_many_wildcards_against_a_long_path_do_not_backtrack() -> None:
    pattern = "*a" * 12 + "*b"
    path = "a" * 60 + "/" + "a" * 60
    # With a backtracking regular expression this takes minutes; simulated as a set of
    # positions it is pattern length x path length steps.
    assert matches(path, [pattern, "**/" + pattern + "/**"]) is False
    assert matches(path + "b", [pattern]) is True


def test_test_and_example_paths() -> None:
    assert is_test_path("pkg/tests/helpers.py")
    assert is_test_path("test_app.py")
    assert not is_test_path("app/testing_utils.py")
    assert is_example_path("docs/tutorial/app.py")
    assert is_example_path("examples/client.py")
    assert not is_example_path("app/examples.py")
