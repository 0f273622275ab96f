from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers import paths
from analyzers.model import Principle, Severity
from analyzers.rule import FileRule, Hit
from analyzers.source import ParsedFile

MOCK_MODULES = frozenset({"mock", "unittest.mock", "pytest_mock"})
MOCK_FIXTURES = frozenset({"mocker", "class_mocker", "module_mocker", "session_mocker"})
"""pytest-mock's fixtures."""


class MockInRealTests(FileRule):
    """
    What it does:
        Flags `unittest.mock`, `mock` or pytest-mock (`mocker`) used in tests under
        `real-test-paths` (default `tests/integration/**` and `tests/e2e/**`).

    Why is this bad?
        Those tests exist to exercise the real services. A mock there tests the mock:
        the suite stays green while the real integration breaks.

    Example:
        # tests/integration/test_billing.py
        from unittest import mock

        def test_charge():
            with mock.patch("app.billing.stripe"):
                ...

    Use instead:
        # tests/integration/test_billing.py: talk to the real (test-mode) service
        def test_charge(stripe_test_client):
            ...
        # and keep mocked variants under tests/unit/
    """

    id = "SS207"
    name = "mock-in-real-tests"
    principle = Principle.REAL_TESTING
    severity = Severity.WARNING
    node_types = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        if not paths.matches(file.path, self.config.real_test_paths):
            return
        used = _mock_use(node)
        if used is None:
            return
        assert isinstance(node, ast.stmt)
        yield Hit(
            node,
            f"{used} in a real-service test (`real-test-paths`)",
            "exercise the real dependency here, or move the mocked test out of the "
            "real-test paths (e.g. to tests/unit/)",
        )


def _mock_use(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in MOCK_MODULES:
                return f"`import {alias.name}`"
    elif isinstance(node, ast.ImportFrom) and not node.level:
        module = node.module or ""
        if module in MOCK_MODULES:
            return f"`from {module} import ...`"
        if module == "unittest" and any(a.name == "mock" for a in node.names):
            return "`from unittest import mock`"
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        arguments = node.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if argument.arg in MOCK_FIXTURES:
                return f"the pytest-mock fixture `{argument.arg}`"
    return None
