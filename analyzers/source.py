"""Turn a file's bytes into a parsed module, or into the reason it cannot be parsed.

Invariant: nothing here executes or imports the code it reads, and no input makes it
raise. Hostile input (bad encodings, deep nesting, huge expressions, syntax errors)
comes back as a `ParseFailure` that the engine turns into an SX note.

We parse with the stdlib `ast` module, not libcst: measured on Django 5.2 (400 files),
`ast.parse` takes 0.7 ms a file where libcst's `parse_module` takes 11 ms and a bare
libcst visit another 12 ms (ARCHITECTURE.md has the figures). `ast` also reports deep
nesting as an exception, where libcst 1.9's native parser segfaults.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from analyzers.model import Related

MAX_DEPTH = 10_000
"""A backstop, not the limit users meet: CPython's parser gives up long before (at 200
nested brackets, and a few thousand levels of operators or attributes), and every walk
here is iterative, so what `ast` accepts is audited. Measured on 3.11: `0 + 0 + ...` with
2,000 terms parses and audits; with 5,000, `ast` raises RecursionError (SX004)."""
STATEMENT_BODY_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
"""The fields of a compound statement that hold statements (or handlers, or cases) of
their own."""
PYTHON = f"Python {sys.version_info.major}.{sys.version_info.minor}"
"""The parser the audit runs on, named when a file does not parse: newer syntax is a
reason to audit on a newer Python, not a reason to pass the file."""

_SUPPRESSION = re.compile(r"#\s*ssot:\s*ignore\[(?P<ids>[A-Za-z0-9_,\s-]*)\](?P<reason>[^#]*)")
_NOQA = re.compile(
    r"#\s*(?P<directive>noqa(?::\s*(?P<codes>[A-Z]+-?[0-9]+(?:[\s,]+[A-Z]+-?[0-9]+)*))?)"
    r"(?P<reason>.*)",
    re.IGNORECASE,
)
_PYLINT = re.compile(
    r"#\s*(?P<directive>pylint:\s*disable\s*=\s*(?P<codes>[\w-]+(?:\s*,\s*[\w-]+)*))"
    r"(?P<reason>.*)"
)
_PEER_TOOLS = ((_NOQA, "ruff"), (_PYLINT, "pylint"))
"""Other linters' suppression comments: the project's recorded decisions, which the
engine maps onto our rules (`analyzers.silent_failures.peers`)."""


@dataclass(frozen=True, slots=True)
class ParseFailure:
    rule: str
    """The SX rule id that describes the failure."""
    message: str
    line: int = 1


@dataclass(frozen=True, slots=True)
class SuppressionComment:
    line: int
    rule_ids: tuple[str, ...]
    reason: str
    column: int
    tool: str | None = None
    """None for `# ssot: ignore[...]`; the peer tool ("ruff", "pylint") whose comment
    this is, when `rule_ids` are that tool's codes."""


@dataclass(slots=True)
class ParsedFile:
    path: str
    text: str
    tree: ast.Module
    lines: list[str]
    imports: dict[str, str]
    """Local name -> qualified name, from every import in the file."""
    statements: list[ast.AST] = field(default_factory=list)
    """The module, then every statement, handler and match case in pre-order (source
    order): what the file rules look at."""
    suppressions: dict[int, SuppressionComment] = field(default_factory=dict)
    derived: dict[str, object] = field(default_factory=dict)
    """What rules compute once per file and share (by a key of their family's), so a
    per-file result lives and dies with the file instead of in a module-level cache."""

    _nodes: list[ast.AST] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def nodes(self) -> list[ast.AST]:
        """Every node in pre-order (source order), expression contexts left out; walked
        when first asked for (most files' rules need the statements only)."""
        if self._nodes is None:
            self._nodes = _preorder(self.tree)
        return self._nodes

    def qualified_name(self, node: ast.expr) -> str | None:
        """`os.getenv`, `from os import getenv` and `import os as o; o.getenv` all give
        "os.getenv". Names that were not imported keep their own spelling (builtins)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.imports.get(node.id, node.id))
        return ".".join(reversed(parts))

    def column(self, node: ast.expr | ast.stmt | ast.excepthandler) -> int:
        """1-based character column (ast counts UTF-8 bytes)."""
        line = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        return len(line.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")) + 1

    def related(self, node: ast.stmt | ast.expr, message: str) -> Related:
        return Related(self.path, node.lineno, message)


def last_name(node: ast.expr) -> str | None:
    """The last name of a dotted reference: `Decimal` of `decimal.Decimal`, `x` of `x`."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def decode(data: bytes) -> str | ParseFailure:
    """Decode as Python does: a BOM or a PEP 263 coding cookie, else UTF-8."""
    if b"\x00" in data:
        return ParseFailure("SX002", "binary file (contains NUL bytes); not audited")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        codecs.lookup(encoding)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        return ParseFailure("SX002", f"cannot decode the file: {exc}; not audited")


def parse(path: str, data: bytes, *, for_rules: bool = True) -> ParsedFile | ParseFailure:
    """`for_rules=False` for a file only indexed for facts (a context file): no statement
    list and no suppression comments, which only the file rules and the engine's
    suppressions read."""
    text = decode(data)
    if isinstance(text, ParseFailure):
        return text
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in the audited code are its business, not ours.
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path, type_comments=False)
    except SyntaxError as exc:
        if "too many nested" in exc.msg:  # the parser's own nesting limit
            return ParseFailure("SX004", f"not audited: {exc.msg}", exc.lineno or 1)
        return ParseFailure(
            "SX001", f"does not parse with {PYTHON} ({exc.msg}); not audited", exc.lineno or 1
        )
    except (RecursionError, MemoryError):
        return ParseFailure("SX004", "too deeply nested or too large an expression to parse")
    except ValueError as exc:  # e.g. source with a NUL byte after decoding
        return ParseFailure("SX002", f"cannot parse the file: {exc}")
    indexed = _index(tree, for_rules=for_rules)
    if isinstance(indexed, int):
        return ParseFailure(
            "SX004", f"nesting deeper than {MAX_DEPTH} levels; not audited", indexed
        )
    statements, imports = indexed
    parsed = ParsedFile(path=path, text=text, tree=tree, lines=text.splitlines(),
                        imports=imports, statements=statements)
    if for_rules and _may_suppress(text):
        parsed.suppressions = _suppressions(text, statements)
    return parsed


def children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` without the expression contexts (Load, Store, Del), which
    no rule looks at and which would be a third of all nodes."""
    out: list[ast.AST] = []
    for name in NODE_FIELDS.get(type(node), node._fields):
        value = getattr(node, name, None)
        if type(value) is list:
            out.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
            out.append(value)
    return out


def _node_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields of `kind` that can hold a node other than an expression context, in
    field order: where Python declares the fields' types (3.13 on), the fields of names,
    numbers and contexts are left out (`children` runs for every node); before, all."""
    types: dict[str, object] | None = getattr(kind, "_field_types", None)
    if types is None:
        return tuple(kind._fields)
    return tuple(name for name in kind._fields
                 if name not in types or ("ast." in (hint := repr(types[name]))
                                          and "expr_context" not in hint))


def _node_types() -> list[type[ast.AST]]:
    found: list[type[ast.AST]] = []
    pending = [ast.AST]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


NODE_FIELDS: Mapping[type[ast.AST], tuple[str, ...]] = MappingProxyType(
    {kind: _node_fields(kind) for kind in _node_types()})
"""`_node_fields` of every node type of `ast` (for a type made later, none: its `_fields`)."""


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Pre-order, in source order, without recursion (hostile input can be deep)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def _index(tree: ast.Module, *, for_rules: bool = True
           ) -> tuple[list[ast.AST], dict[str, str]] | int:
    """One pass over the statements: the import table, with the module and every
    statement (handler, match case) in pre-order when the file rules will run
    (`for_rules`), or the line where nesting passes MAX_DEPTH. Statements sit only in
    other statements' bodies (never inside an expression), so an import is found at a
    fraction of the nodes."""
    statements: list[ast.AST] = [tree] if for_rules else []
    imports: dict[str, str] = {}
    # A stack of the children still to visit at each level: its height is the depth, so
    # no node carries its own.
    pending = [iter(_statement_children(tree))]
    while pending:
        for node in pending[-1]:
            if for_rules:
                statements.append(node)
            if isinstance(node, _IMPORTS):
                _record_import(node, imports)
            below = _statement_children(node)
            if below:
                if len(pending) >= MAX_DEPTH:
                    return getattr(below[0], "lineno", 1)
                pending.append(iter(below))
                break
        else:
            pending.pop()
    return statements, imports


def _preorder(tree: ast.Module) -> list[ast.AST]:
    """Every node of `tree` in pre-order, as `walk` gives them, without a generator's
    cost per node (1.7 million nodes on a large project)."""
    nodes: list[ast.AST] = [tree]
    pending = [iter(children(tree))]
    while pending:
        for node in pending[-1]:
            nodes.append(node)
            below = children(node)
            if below:
                pending.append(iter(below))
                break
        else:
            pending.pop()
    return nodes


_IMPORTS = (ast.Import, ast.ImportFrom)


def _statement_children(node: ast.AST) -> list[ast.AST]:
    """The statements (and handlers, match cases) directly inside `node`, in field order."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None) if name in STATEMENT_BODY_FIELDS else None
        if type(value) is list:
            out.extend(value)
    return out


def _record_import(node: ast.Import | ast.ImportFrom, names: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                names[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                names[top] = top
    elif node.module and not node.level:
        for alias in node.names:
            names[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _may_suppress(text: str) -> bool:
    """A cheap look before tokenizing: most files have no suppression comment."""
    return "ssot:" in text or "noqa" in text or "NOQA" in text or "pylint:" in text


def _suppressions(text: str, statements: list[ast.AST]) -> dict[int, SuppressionComment]:
    """Read suppression comments: where the syntax tree (its `statements`) tells every
    comment from text inside a string (`_comment_starts`), from the lines that hold a
    `#`; else with the tokenizer. Our own `ssot: ignore` wins over a peer tool's comment
    on the same line."""
    starts = _comment_starts(text, statements)
    if starts is None:
        return _tokenized_suppressions(text)
    found: dict[int, SuppressionComment] = {}
    for line, (code, column) in starts.items():
        comment = _comment(code[column:], line, column + 1)
        if comment is not None:
            found[comment.line] = comment
    return found


_STRINGS = frozenset(kind for kind in (ast.Constant, ast.JoinedStr,
                                       getattr(ast, "TemplateStr", None)) if kind is not None)
"""The nodes of string literals (and of other constants, which hold no `#`)."""


def _comment_starts(text: str, statements: list[ast.AST]) -> dict[int, tuple[str, int]] | None:
    """Per line that holds a comment, in order: (the line, the comment's 0-based column);
    None when only the tokenizer can tell (a line ending other than LF, or a `#` inside a
    string that spans lines and may be several pieces with a comment between them).

    Outside string literals a `#` always starts a comment, so a line's comment starts at
    its first `#` that no string literal covers; a literal on one line never holds a
    comment (one would run to the line's end, past the literal's closing quote), and one
    triple-quoted token spanning lines holds none either. A literal lies within the lines
    of its statement, so only the expressions of the statements (`statements`: the
    module, then every statement in pre-order) whose lines hold a `#` are searched."""
    if "\r" in text:
        return None
    lines = text.split("\n")
    marked = {number for number, code in enumerate(lines, 1) if "#" in code}
    if not marked:
        return {}
    covered: dict[int, list[tuple[int, int, ast.expr | None]]] = {}
    """Per marked line: (first byte, end byte, the literal when it spans lines) of each
    literal on it."""
    for node in _literals(statements, sorted(marked)):
        if type(node) is ast.Constant and not isinstance(node.value, str | bytes):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        end = node.end_col_offset if node.end_col_offset is not None else 1 << 62
        if first == last:
            if first in marked:
                covered.setdefault(first, []).append((node.col_offset, end, None))
            continue
        for number in range(first, last + 1):
            if number in marked:
                covered.setdefault(number, []).append(
                    (node.col_offset if number == first else 0,
                     end if number == last else 1 << 62, node))
    starts: dict[int, tuple[str, int]] = {}
    for number in sorted(marked):
        code = lines[number - 1]
        spans = covered.get(number, ())
        column = code.find("#")
        while column != -1:
            at = column if code.isascii() else len(code[:column].encode("utf-8"))
            inside = [literal for start, end, literal in spans if start <= at < end]
            if not inside:
                starts[number] = (code, column)
                break
            if any(literal is not None and not _one_token(lines, literal) for literal in inside):
                return None
            column = code.find("#", column + 1)
    return starts


def _literals(statements: list[ast.AST], marked: list[int]) -> list[ast.expr]:
    """The string literals (and other constants) in the expressions of the statements
    whose lines (decorators included) hold one of the `marked` (sorted) lines; a
    statement's own expressions only, not those of the statements in its body."""
    found: list[ast.expr] = []
    for statement in statements[1:]:
        if isinstance(statement, ast.match_case):  # no lines of its own
            parts: list[ast.pattern | ast.expr] = [statement.pattern]
            if statement.guard is not None:
                parts.append(statement.guard)
            first = min(part.lineno for part in parts)
            last = max(part.end_lineno or part.lineno for part in parts)
        else:
            assert isinstance(statement, ast.stmt | ast.excepthandler)
            first, last = statement.lineno, statement.end_lineno or statement.lineno
            for decorator in getattr(statement, "decorator_list", ()):
                first = min(first, decorator.lineno)
        at = bisect.bisect_left(marked, first)
        if at == len(marked) or marked[at] > last:
            continue
        for name in statement._fields:
            if name in STATEMENT_BODY_FIELDS:
                continue
            value = getattr(statement, name, None)
            for part in value if type(value) is list else (value,):
                if isinstance(part, ast.AST):
                    found.extend(node for node in walk(part)
                                 if type(node) in _STRINGS and isinstance(node, ast.expr))
    return found


def _one_token(lines: list[str], node: ast.expr) -> bool:
    """Whether a string literal that spans lines is one triple-quoted token (a plain
    one: an f-string's fields may hold quotes of their own): its code opens with three
    quotes and first closes them, past any escaped quote, at its very end."""
    if type(node) is not ast.Constant:
        return False
    assert node.end_lineno is not None and node.end_col_offset is not None
    first = lines[node.lineno - 1].encode("utf-8")[node.col_offset:]
    middle = [line.encode("utf-8") for line in lines[node.lineno:node.end_lineno - 1]]
    last = lines[node.end_lineno - 1].encode("utf-8")[:node.end_col_offset]
    code = b"\n".join([first, *middle, last])
    body = len(code) - len(code.lstrip(b"rRbBuU")) + 3
    opening = code[body - 3:body]
    if opening not in (b'"""', b"'''"):
        return False
    closing = code.find(opening, body)
    while closing != -1:
        escapes = closing - len(code[:closing].rstrip(b"\\"))
        if escapes % 2 == 0:
            return closing + 3 == len(code)
        closing = code.find(opening, closing + 1)
    return False


def _tokenized_suppressions(text: str) -> dict[int, SuppressionComment]:
    """The suppression comments the tokenizer finds, so text inside strings is not one."""
    found: dict[int, SuppressionComment] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.COMMENT:
                continue
            comment = _comment(token.string, token.start[0], token.start[1] + 1)
            if comment is not None:
                found[comment.line] = comment
    except (tokenize.TokenError, SyntaxError):
        # ast accepted the file, so a tokenizer disagreement only loses comments.
        return found
    return found


def _comment(text: str, line: int, column: int) -> SuppressionComment | None:
    match = _SUPPRESSION.search(text)
    if match is not None:
        ids = tuple(i.strip().upper() for i in match["ids"].split(",") if i.strip())
        return SuppressionComment(line, ids, match["reason"].strip(), column)
    for pattern, tool in _PEER_TOOLS:
        match = pattern.search(text)
        if match is None:
            continue
        codes = tuple(c for c in re.split(r"[\s,]+", match["codes"] or "") if c)
        reason = match["reason"].strip().lstrip("-\u2013\u2014:;,#").strip()
        return SuppressionComment(
            line, codes, reason or f"recorded for {tool}: {match['directive']}", column, tool
        )
    return None
