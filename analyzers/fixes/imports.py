"""Adding an import to a module's import block with libcst: after the last import of
the same group (`__future__`, standard library, the rest), never twice."""

from __future__ import annotations

import sys

import libcst as cst
import libcst.matchers as m

_FUTURE, _STDLIB, _OTHER = 0, 1, 2


class NoFix(Exception):  # noqa: N818 - a reason, not an error: the codemod cannot apply
    """Raised by a codemod that cannot write its fix; the message says why."""


def add_from_import(module: cst.Module, source: str, name: str, alias: str | None
                    ) -> cst.Module:
    """`from source import name [as alias]`, unless the module already has it."""
    for statement in module.body:
        for node in _imports(statement):
            if (isinstance(node, cst.ImportFrom) and not node.relative
                    and node.module is not None and _dotted(node.module) == source
                    and not isinstance(node.names, cst.ImportStar)
                    and any(_alias_is(a, name, alias) for a in node.names)):
                return module
    text = f"from {source} import {name}" + (f" as {alias}" if alias else "")
    return _insert(module, cst.parse_statement(text), source)


def add_import(module: cst.Module, name: str) -> cst.Module:
    """`import name`, unless the module already has it."""
    for statement in module.body:
        for node in _imports(statement):
            if isinstance(node, cst.Import) and any(_alias_is(a, name, None)
                                                    for a in node.names):
                return module
    return _insert(module, cst.parse_statement(f"import {name}"), name)


def last_import_index(module: cst.Module) -> int:
    """Index of the last top-level import statement, -1 when there is none."""
    found = -1
    for index, statement in enumerate(module.body):
        if _imports(statement):
            found = index
    return found


def _insert(module: cst.Module, statement: cst.SimpleStatementLine | cst.BaseCompoundStatement,
            source: str) -> cst.Module:
    body = list(module.body)
    group = _group(source)
    same = [i for i, s in enumerate(body) for n in _imports(s)[:1] if _node_group(n) == group]
    at = (same[-1] + 1) if same else last_import_index(module) + 1
    if at == 0:
        # The first import goes right after the docstring, with no blank line of its own,
        # so that several fixes' imports written at once stay one block.
        at = 1 if body and _is_docstring(body[0]) else 0
        if at < len(body) and not body[at].leading_lines:
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(at, statement)
    return module.with_changes(body=body)


def _imports(statement: cst.BaseStatement) -> list[cst.Import | cst.ImportFrom]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    nodes = [n for n in statement.body if isinstance(n, cst.Import | cst.ImportFrom)]
    return nodes if len(nodes) == len(statement.body) else []


def _alias_is(node: cst.ImportAlias, name: str, alias: str | None) -> bool:
    asname = node.asname.name.value if node.asname and isinstance(node.asname.name,
                                                                   cst.Name) else None
    return _dotted(node.name) == name and asname == alias


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _group(source: str) -> int:
    """Third-party and first-party imports are one group here: the repository's own
    packages usually come last, so "after the last of the rest" lands among them."""
    root = source.partition(".")[0]
    if root == "__future__":
        return _FUTURE
    return _STDLIB if root in sys.stdlib_module_names else _OTHER


def _node_group(node: cst.Import | cst.ImportFrom) -> int:
    if isinstance(node, cst.ImportFrom):
        if node.relative:
            return _OTHER
        return _group(_dotted(node.module) if node.module else "")
    return _group(_dotted(node.names[0].name))


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(statement, m.SimpleStatementLine(
        body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]))
