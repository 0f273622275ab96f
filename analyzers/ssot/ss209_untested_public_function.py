from __future__ import annotations

import re
from collections.abc import Iterator

from analyzers.model import ChangeStatus, Finding, Principle, Severity
from analyzers.paths import is_test_path
from analyzers.rule import RuleMeta
from analyzers.ssot.repo import RepoIndex, is_peripheral


class UntestedPublicFunction(RuleMeta):
    """
    What it does:
        Flags a new public top-level function (its `def` line added by the change, a
        name without a leading underscore, not defined at the base) that no test file
        of the repository names, by the whole word. Off by default: it runs once a
        repository names it in `severity` (`severity = { SS209 = "warning" }`) or by
        its full id in `select`, since its precision on real projects is not yet
        measured.

    Why is this bad?
        A public function is a promise to its callers; one that no test names is kept by
        nobody, and the next change to it learns nothing from the suite.

    Known limits:
        A test that reaches the function only through another one (`client.get()`
        calling the new handler) or through a computed name is not seen, so the function
        is flagged though it is exercised; a test file that merely mentions the name (in
        a comment or a string) counts as naming it. Methods, private and dunder
        functions, stubs and overloads, pytest fixtures, and functions in tests,
        examples, docs and scripts are never flagged.

    Example:
        # app/pricing.py (no test mentions `net_price`)
        def net_price(gross, rate):
            return gross / (1 + rate)

    Use instead:
        # tests/test_pricing.py
        from app.pricing import net_price

        def test_net_price_removes_the_tax():
            assert net_price(119, 0.19) == 100
    """

    id = "SS209"
    name = "untested-public-function"
    principle = Principle.TESTED
    severity = Severity.WARNING
    opt_in = True


def find(repo: RepoIndex) -> Iterator[Finding]:
    tests = _test_texts(repo)
    for module in repo.changed:
        if is_peripheral(module.path):
            continue
        for definition in module.facts.definitions:
            if (definition.kind != "function" or definition.name.startswith("_")
                    or definition.stub or definition.fixture
                    or not module.touches(definition.line)
                    or module.existed_before(definition.name)):
                continue
            word = re.compile(rb"\b" + re.escape(definition.name.encode("utf-8")) + rb"\b")
            if any(word.search(text) for text in tests):
                continue
            yield repo.finding(
                UntestedPublicFunction, module.path, definition,
                f"`{definition.name}` is a new public function and no test file names it",
                f"add a test that calls `{definition.name}`, or make it private "
                f"(`_{definition.name}`) if only its own module uses it",
                (), definition.name,
            )


def _test_texts(repo: RepoIndex) -> list[bytes]:
    """The contents of every test file the audit holds: the changed ones at head, then
    the rest of the repository."""
    request = repo.project.request
    texts = {c.path: c.head for c in request.changes
             if c.head is not None and c.status is not ChangeStatus.DELETED
             and is_test_path(c.path)}
    for path, data in request.context.items():
        if path not in texts and is_test_path(path):
            texts[path] = data
    return list(texts.values())
