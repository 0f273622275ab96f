"""A module with the functions and classes that no fix edits stubbed out, for libcst to
parse: its parser's time grows with the whole file, a fix's edits stay inside one
top-level statement (in practice: one function, or one method of a class) plus the
module-level imports and helpers it adds.

A stub keeps what the codemods look at outside their statement: the statement's name and
kind (`def NAME` / `class NAME`: a helper or logger already there is found by name),
its lines (so every other statement keeps its line numbers: the body is one string
literal of as many lines, a few nodes for libcst however long the statement, where one
`pass` a line made thousands of the outline's nodes), the file's line endings and
indentation (libcst writes new code with the ones it detects first), and a marker comment
unique to the file, by which `restored` puts the original lines back in the fixed code.
Imports, assignments and every other statement stay as they are.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass

from analyzers.fixes.locate import LINE

_INDENT = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Outline:
    text: str
    """The module with the stubs in place of their statements."""
    stubs: tuple[tuple[str, str], ...]
    """(stub's code, the original code it stands for), each stub's code unique in `text`."""


def outline(text: str, tree: ast.Module, kept_lines: Collection[int]) -> Outline:
    """`text` (whose syntax tree is `tree`) with each function and class that holds none
    of `kept_lines` stubbed out: at the top level, and in the classes that hold one (a
    fix inside one method of a big class parses that method)."""
    lines = LINE.findall(text)
    marker = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    stubs: list[tuple[str, str]] = []
    _stub_in(tree.body, lines, kept_lines, marker, stubs)
    return Outline("".join(lines), tuple(stubs))


def _stub_in(body: list[ast.stmt], lines: list[str], kept_lines: Collection[int], marker: str,
             stubs: list[tuple[str, str]]) -> None:
    """Stub out the definitions of `body` that hold none of `kept_lines` (in `lines`,
    each stub as many lines as its statement), and look into the classes that do."""
    for statement in body:
        if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        first = min([statement.lineno, *(d.lineno for d in statement.decorator_list)])
        last = statement.end_lineno
        if last is None or last > len(lines):
            continue
        if any(first <= line <= last for line in kept_lines):
            if isinstance(statement, ast.ClassDef):
                _stub_in(statement.body, lines, kept_lines, marker, stubs)
            continue
        code = _stub(statement, first, last, lines, f"{marker}-{len(stubs)}")
        if code is not None:
            stubs.append(("".join(code), "".join(lines[first - 1:last])))
            lines[first - 1:last] = code


def _stub(statement: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, first: int,
          last: int, lines: list[str], marker: str) -> list[str] | None:
    """The stub's lines, or None to keep the statement when its body does not start a
    line of its own (`def f(): return 1`, or an `@overload` whose `...` ends its
    signature's last line): the stub's body takes the indentation of the body's first
    line, which only such a line has. Such a definition costs little to parse."""
    body = statement.body[0]
    own = _INDENT.match(lines[first - 1])
    indent = _INDENT.match(lines[body.lineno - 1])
    prefix = own.group() if own is not None else ""
    if indent is None or len(indent.group()) != body.col_offset or (
            len(indent.group()) <= len(prefix)):
        return None
    keyword = "class" if isinstance(statement, ast.ClassDef) else "def"
    signature = "" if keyword == "class" else "()"
    code = [f"{prefix}{keyword} {statement.name}{signature}:  # ssot-stub {marker}"]
    body_lines = last - first
    if body_lines == 1:
        code.append(f"{indent.group()}pass")
    else:  # the lines inside a string need no indentation
        code += [f'{indent.group()}"""', *[""] * (body_lines - 2), f'{indent.group()}"""']
    return [text + _ending(lines[first - 1 + offset]) for offset, text in enumerate(code)]


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def restored(fixed: str, stubs: tuple[tuple[str, str], ...]) -> str | None:
    """The fixed outline with each stub's original code back; None when a stub is not in
    it exactly once (a codemod touched it: the caller fixes the whole module instead)."""
    for stub, original in stubs:
        if fixed.count(stub) != 1:
            return None
        fixed = fixed.replace(stub, original)
    return fixed
