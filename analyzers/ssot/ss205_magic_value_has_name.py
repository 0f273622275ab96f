from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.source import ParsedFile, last_name, parse
from analyzers.ssot.index import CONSTANT_NAME, Literal, literal
from analyzers.ssot.repo import (
    ChangedModule,
    RepoIndex,
    is_config_module,
    is_peripheral,
    touches,
)


class MagicValueHasName(RuleMeta):
    """
    What it does:
        Flags a literal in new code that equals the value of an existing named constant
        anywhere in the repository (only distinctive values: not `0`, `1`, `""`, round
        numbers or common words). A value built by a call on literals
        (`re.compile(r"^ORD-[0-9]+$")`) counts as a literal.

    Why is this bad?
        The literal is a copy of a value that already has one home and a name. When the
        constant changes, this copy does not, and readers cannot tell the two are the
        same thing.

    Known limits:
        Not flagged: a value two constants name (no single name to point at), private
        constants of other modules (`_FALLBACK_CODE` is that module's business),
        constants in tests, examples, docs, scripts and standalone files, and one-word
        strings (`"password"`, `"exclude"`) unless a config module names them: one word
        means different things in different roles. A one-word string spelled like a
        module or package of the repository (`"acme"` in the `acme` project) is the
        project's name and never counts. A call on literals is recognised by the
        callee's own name (`Decimal(...)`), not through an alias (`D = Decimal`).

    Example:
        token = request.cookies.get("sessionid")

    Use instead:
        from app.config import SESSION_COOKIE_NAME

        token = request.cookies.get(SESSION_COOKIE_NAME)
    """

    id = "SS205"
    name = "magic-value-has-name"
    principle = Principle.SEARCH_FIRST
    severity = Severity.WARNING


_WORD = re.compile(r"[A-Za-z][a-z]*")
"""A one-word string (`"password"`, `"httpie"`, `"exclude"`) names different things in
different roles, even within one module (the project's name is a folder name here and a
dict key there); it only points at a constant of a config module. Compound identifiers
(`"acme_checkout_token_v3"`) name one thing and count anywhere."""
_LITERAL_TOKEN = re.compile(
    r"""(?<![\w'"])[rRbB]{0,2}(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
    r"|(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w.])"
)
"""Plain string and number literals as they appear in a line of code: a cheap first look,
so only modules whose changed lines hold a named value are parsed again."""


@dataclass(frozen=True, slots=True)
class CodeLiteral:
    """A distinctive literal on a module's changed lines (`_code_literals`), where it is."""

    line: int
    end_line: int | None
    column: int
    value: Literal
    text: str | None
    """The string, when the literal is one."""


def code_literals(module: tuple[str, bytes, frozenset[int] | None, frozenset[str]]
                  ) -> list[CodeLiteral]:
    """Top-level, for a process pool: the distinctive literals on one module's changed
    lines (path, head, changed lines, the callees whose calls on literals are values),
    from its own parse. In a whole-tree audit every module is one, so they are parsed on
    every core; and each tree is let go with its module (kept trees were most of such an
    audit's memory)."""
    path, head, changed_lines, callees = module
    parsed = parse(path, head, for_rules=False)
    if not isinstance(parsed, ParsedFile):
        return []
    found = []
    for node in _code_literals(parsed, callees):
        if not touches(changed_lines, node.lineno, node.end_lineno):
            continue
        value = literal(node, parsed)
        if value is None or not value.distinctive:
            continue
        text = (node.value if isinstance(node, ast.Constant)
                and isinstance(node.value, str) else None)
        found.append(CodeLiteral(node.lineno, node.end_lineno, parsed.column(node), value, text))
    return found


def find(repo: RepoIndex) -> Iterator[Finding]:
    modules = [module for module in repo.changed
               if not is_peripheral(module.path) and _may_hold_named_value(module, repo)]
    found = repo.project.map_work(code_literals, [
        (module.path, module.head, module.changed_lines, repo.value_callees)
        for module in modules])
    for module, literals in zip(modules, found, strict=True):
        for code in literals:
            value, text = code.value, code.text
            one_word = text is not None and _WORD.fullmatch(text) is not None
            if one_word and text in repo.module_words:
                continue  # the project's or a module's name, not the constant's value
            named = [
                (path, constant) for path, constant in repo.constants_by_value[value.key]
                if not is_peripheral(path) and not repo.standalone(path)
                and not (path == module.path and constant.line == code.line)
                and (path == module.path or not constant.name.startswith("_"))
                and (not one_word or is_config_module(path, repo.config.config_modules))
            ]
            if len({constant.name for _, constant in named}) != 1:
                continue  # no name for it, or several names: no single one to point at
            ranked = repo.canonical_order(named)
            path, canonical = ranked[0]
            where = "this module" if path == module.path else path
            yield repo.finding_at(
                MagicValueHasName, module.path, code.line, code.column,
                code.end_line or code.line,
                f"{value.shown} is the value of `{canonical.name}` "
                f"({path}:{canonical.line})",
                f"use `{canonical.name}` from {where}",
                [Related(p, c.line, f"`{c.name}` is defined here", c.name) for p, c in ranked],
                canonical.name,
            )


def _may_hold_named_value(module: ChangedModule, repo: RepoIndex) -> bool:
    text = module.head.decode("utf-8", "replace").splitlines()
    numbers = (range(1, len(text) + 1) if module.changed_lines is None
               else sorted(n for n in module.changed_lines if 0 < n <= len(text)))
    callees = repo.value_callees
    for number in numbers:
        if callees and any(f"{callee}(" in text[number - 1] for callee in callees):
            return True
        for token in _LITERAL_TOKEN.findall(text[number - 1]):
            try:
                with warnings.catch_warnings():
                    # An invalid escape in the audited code is its business, not ours.
                    warnings.simplefilter("ignore")
                    value = ast.literal_eval(token)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue  # not a plain literal after all (e.g. part of an f-string)
            if repr(value) in repo.constants_by_value:
                return True
    return False


def _code_literals(parsed: ParsedFile, callees: frozenset[str]
                   ) -> Iterator[ast.Constant | ast.Call]:
    """String and number literals of the code, and calls on literals (`Decimal("0.19")`,
    not looked into), leaving out docstrings, f-string pieces, annotations and the
    module's own constant definitions (SS202's business)."""
    stack: list[ast.AST] = [s for s in reversed(parsed.tree.body) if not _defines_constant(s)]
    while stack:
        node = stack.pop()
        if (isinstance(node, ast.Call) and last_name(node.func) in callees
                and literal(node, parsed) is not None):
            yield node
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str | bytes | int | float) and not isinstance(
                node.value, bool
            ):
                yield node
            continue
        if isinstance(node, ast.JoinedStr):
            continue
        children: list[ast.AST] = []
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list"):
                continue
            if isinstance(value, list):
                children.extend(v for v in value if isinstance(v, ast.AST)
                                and not _is_docstring(v))
            elif isinstance(value, ast.AST):
                children.append(value)
        stack.extend(reversed(children))


def _defines_constant(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    else:
        return False
    return any(isinstance(t, ast.Name) and (CONSTANT_NAME.match(t.id) or t.id == "__all__")
               for t in targets)


def _is_docstring(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))
