"""The repo index: what one module defines and reads, computed from its text alone.

`module_facts` is the fact extractor of the "ssot" family. Its result depends only on the
file's contents (never on its path), so the engine caches it by content hash and one
index serves every audit of the same tree.

Invariant: the extractor never walks expressions except where a cheap text test says
there is something to find (the words `environ`/`getenv` for environment reads). Statements are
few; expressions are most of a tree, and walking them all would cost as much as the parse
(benchmarks/ssot_index.py has the figures).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from analyzers.model import PicklesAsArguments
from analyzers.source import ParsedFile, last_name, walk

FAMILY = "ssot"

CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
"""Module-level names written as constants (PEP 8)."""

LOCAL_PREFIX = "@"
_BUILTIN_NAMES = frozenset(dir(builtins))

MAX_KEY_CHARS = 200
"""Longer literal values are keyed by a digest, so a big table costs a few bytes."""
SHOWN_CHARS = 60


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value, keyed so that equal values have equal keys across files."""

    key: str
    shown: str
    """How the value reads in a message (shortened)."""
    distinctive: bool
    """Specific enough that two equal copies are one fact written twice, not chance."""


@dataclass(frozen=True, slots=True)
class Definition(PicklesAsArguments):
    name: str
    kind: str
    """"function" or "class"."""
    line: int
    """The `def`/`class` keyword's line (decorators come before it)."""
    column: int
    end_line: int
    params: tuple[str, ...]
    fingerprint: str
    """Digest of the body's code with docstring, comments and indentation removed."""
    stub: bool
    """An overload, a protocol or abstract stub, or a body of only `...`/`pass`/docstring:
    an interface, not a second implementation."""
    bases: tuple[str, ...]
    """A class's base classes by import-resolved name (`django.db.models.Model`,
    `Exception`); a base named without an import is `@Name` (defined in this module, or
    imported relatively), for the check to qualify with the module's own name."""
    body_lines: int
    """Lines of code in the body (no docstring, comments or blank lines)."""
    wraps: bool
    """Extends or delegates to a same-named definition it imports (`class Form(BaseForm)`
    after `from x import Form as BaseForm`, `def dumps(...): return json.dumps(...)`)."""
    fixture: bool = False
    """A pytest fixture: redefining one by name is how pytest lets a test module
    override it, not a second truth."""
    shape: str = ""
    """Like `fingerprint`, with the function's parameters and local variables renamed
    by order of first use: equal for a copy whose locals were renamed consistently."""


@dataclass(frozen=True, slots=True)
class Constant:
    name: str
    line: int
    column: int
    end_line: int
    value: Literal


@dataclass(frozen=True, slots=True)
class EnvRead:
    line: int
    column: int
    end_line: int
    function: str
    """How it reads the environment, e.g. `os.getenv` or `os.environ[]`."""
    key: str | None
    """The variable's name when it is a literal."""
    writes: bool = False
    """The call's result is discarded (`os.environ.setdefault("X", "y")` or
    `os.environ.pop("X", None)` as a statement): it hands a value on to a library or a
    child process, or removes one, rather than reading configuration."""


@dataclass(frozen=True, slots=True)
class ImportRef(PicklesAsArguments):
    module: str
    """The module named after `import`/`from` ("" for `from . import x`)."""
    level: int
    """Leading dots of a relative import; 0 for absolute."""
    names: tuple[str, ...]
    """Names after `from ... import`; empty for `import module`."""


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    definitions: tuple[Definition, ...]
    constants: tuple[Constant, ...]
    env_reads: tuple[EnvRead, ...]
    imports: tuple[ImportRef, ...]
    variables: tuple[tuple[str, int], ...] = ()
    """Other top-level names bound by assignment (`settings = Settings()`) and their
    lines: what `from app.config import settings` can name besides definitions and
    constants."""


def extract_ssot_facts(parsed: ParsedFile) -> dict[str, object]:
    """The fact extractor of the SSOT analysis: its one family."""
    return {FAMILY: module_facts(parsed)}


def module_facts(parsed: ParsedFile) -> ModuleFacts:
    definitions: list[Definition] = []
    constants: list[Constant] = []
    variables: list[tuple[str, int]] = []
    aliases = _import_aliases(parsed.tree)
    for statement in parsed.tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            definitions.append(_definition(statement, parsed, aliases))
        else:
            found = list(_constants(statement, parsed))
            constants.extend(found)
            named = {c.name for c in found}
            variables.extend((name, statement.lineno) for name in _assigned(statement)
                             if name not in named)
    return ModuleFacts(
        definitions=tuple(definitions),
        constants=tuple(constants),
        env_reads=tuple(_env_reads(parsed)) if _may_read_env(parsed.text) else (),
        imports=tuple(_imports(parsed.tree)),
        variables=tuple(variables),
    )


def _assigned(statement: ast.stmt) -> list[str]:
    """Names a top-level assignment binds (`x = ...`, `x: T = ...`), not unpacking, and
    not type declarations (`T = TypeVar("T")`): using those credits nothing."""
    if isinstance(statement, ast.Assign):
        names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
            and statement.value is not None:
        names = [statement.target.id]
    else:
        return []
    value = statement.value
    if isinstance(value, ast.Call) and last_name(value.func) in _TYPE_DECLARATIONS:
        return []
    return names


_TYPE_DECLARATIONS = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType"})


# --- literal values ---------------------------------------------------------------------

COMMON_WORDS = frozenset({
    "ascii", "utf-8", "utf8", "latin-1", "latin1", "utf-16", "utf-32", "default", "strict",
    "ignore", "replace", "backslashreplace", "surrogateescape", "surrogatepass",
    "xmlcharrefreplace", "true", "false", "none", "null", "yes", "no", "on", "off", "enabled",
    "disabled", "enable", "disable", "auto", "error", "errors", "warning", "warnings", "info",
    "debug", "critical", "notset", "name", "names", "value", "values", "type", "types", "id",
    "key", "keys", "data", "text", "title", "label", "get", "post", "put", "patch", "delete",
    "head", "options", "trace", "connect",
})
"""Strings that many unrelated things spell the same way."""

_ROUND_NUMBERS = frozenset(
    {60, 100, 120, 128, 255, 256, 300, 360, 500, 512, 600, 1000, 1024, 2048, 3600, 4096,
     8192, 10000, 16384, 32768, 65535, 65536, 86400, 100000, 604800, 1000000}
)
"""Numbers that recur for unrelated reasons (units, sizes, powers)."""

MIN_DISTINCTIVE_STRING = 6
MIN_DISTINCTIVE_ITEMS = 3
"""A sequence of three different common values (`("GET", "HEAD", "OPTIONS")`) is already
a specific choice, though each item alone is not."""


def literal(node: ast.expr, parsed: ParsedFile | None = None) -> Literal | None:
    """The value of a literal expression (constants, containers of them and constant
    arithmetic such as `5 * 60`), or None. Given the file, also a value built by a call
    on literals (`Decimal("0.19")`, `timedelta(seconds=30)`, `re.compile(r"...")`),
    keyed by the import-resolved callee."""
    key = _key(node, parsed)
    if key is None:
        return None
    text = ast.unparse(node) if isinstance(node, ast.Call | ast.BinOp) else key
    shown = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
    if len(key) > MAX_KEY_CHARS:
        key = "#" + hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=12).hexdigest()
    return Literal(key, shown, _distinctive(node))


_OPERATIONS: dict[type[ast.operator], Callable[[Any, Any], object]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FOLDED_OPERATORS = tuple(_OPERATIONS)
MAX_FOLDED_MAGNITUDE = 10**18
"""Constant arithmetic is folded only while operands stay below this (`2 ** 10_000` is
not computed)."""


def _folded(node: ast.BinOp) -> int | float | None:
    """The value of arithmetic on number literals (`5 * 60`, `2 ** 20`, `1 / 3`)."""
    values: list[int | float] = []
    for operand in (node.left, node.right):
        value: int | float | None
        if isinstance(operand, ast.BinOp):
            value = _folded(operand)
        elif (isinstance(operand, ast.Constant) and isinstance(operand.value, int | float)
              and not isinstance(operand.value, bool)):
            value = operand.value
        else:
            value = None
        if value is None or abs(value) > MAX_FOLDED_MAGNITUDE:
            return None
        values.append(value)
    left, right = values
    if not isinstance(node.op, _FOLDED_OPERATORS) or (
            isinstance(node.op, ast.Pow) and abs(right) > 64):
        return None
    try:
        result: object = _OPERATIONS[type(node.op)](left, right)
    except (ZeroDivisionError, OverflowError):
        return None
    return result if isinstance(result, int | float) else None


def _key(node: ast.expr, parsed: ParsedFile | None = None) -> str | None:
    if isinstance(node, ast.BinOp):
        folded = _folded(node)
        return None if folded is None else repr(folded)
    if isinstance(node, ast.Call) and parsed is not None:
        return _call_key(node, parsed)
    if isinstance(node, ast.Constant):
        if node.value is Ellipsis:
            return None
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _key(node.operand)
        if inner is None or not isinstance(node.operand, ast.Constant):
            return None
        return ("-" if isinstance(node.op, ast.USub) else "+") + inner
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        keys = [_key(element) for element in node.elts]
        if any(k is None for k in keys):
            return None
        parts = [k for k in keys if k is not None]
        if isinstance(node, ast.Set):
            return "{" + ", ".join(sorted(parts)) + "}"
        opening, closing = ("(", ")") if isinstance(node, ast.Tuple) else ("[", "]")
        return opening + ", ".join(parts) + closing
    if isinstance(node, ast.Dict):
        pairs = []
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            key = _key(key_node) if key_node is not None else None
            value = _key(value_node)
            if key is None or value is None:
                return None
            pairs.append(f"{key}: {value}")
        return "{" + ", ".join(sorted(pairs)) + "}"
    return None


VALUE_FACTORIES = frozenset({
    "datetime.timedelta", "datetime.date", "datetime.datetime", "datetime.time",
    "datetime.timezone", "re.compile", "frozenset", "tuple", "bytes", "int", "float",
    "complex", "range", "pathlib.Path", "pathlib.PurePosixPath", "uuid.UUID",
    "decimal.Decimal", "fractions.Fraction", "ipaddress.ip_address",
    "ipaddress.ip_network",
})
"""Callables of the standard library that turn literals into a value; besides these, a
class (a capitalised name such as `Decimal` or `Money`) called on literals builds one.
Other calls on literals (`register("x")`, `os.environ.get("X")`) do things, and two of
them are not one value."""


def _call_key(node: ast.Call, parsed: ParsedFile) -> str | None:
    """`Decimal('0.19')`-style values. A call without arguments (`object()`,
    `threading.Lock()`) makes a new object each time, a sentinel rather than a value."""
    callee = parsed.qualified_name(node.func)
    if callee is None or not (node.args or node.keywords):
        return None
    if callee not in VALUE_FACTORIES and not callee.rpartition(".")[2][:1].isupper():
        return None
    parts: list[str] = []
    for argument in node.args:
        key = None if isinstance(argument, ast.Starred) else _key(argument)
        if key is None:
            return None
        parts.append(key)
    for keyword in node.keywords:
        key = _key(keyword.value) if keyword.arg is not None else None
        if key is None:
            return None
        parts.append(f"{keyword.arg}={key}")
    return f"{callee}({', '.join(parts)})"


def _distinctive(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        return any(_distinctive(a) for a in (*node.args, *(k.value for k in node.keywords)))
    if isinstance(node, ast.BinOp):
        folded = _folded(node)
        return folded is not None and _distinctive_scalar(folded)
    if isinstance(node, ast.Constant):
        return _distinctive_scalar(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return _distinctive_scalar(node.operand.value)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        if sum(_distinctive(e) for e in node.elts) >= 2:
            return True
        keys = {_key(e) for e in node.elts}
        return len(node.elts) >= MIN_DISTINCTIVE_ITEMS and len(keys) >= MIN_DISTINCTIVE_ITEMS \
            and sum(len(k or "") for k in keys) >= MIN_DISTINCTIVE_STRING * 2
    if isinstance(node, ast.Dict):
        return len(node.keys) >= 2 and any(_distinctive(v) for v in node.values)
    return False


def _distinctive_scalar(value: object) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return abs(value) >= 1000 and abs(value) not in _ROUND_NUMBERS and value % 1000 != 0
    if isinstance(value, float):
        return len(repr(value).strip("-0.")) >= 4
    if isinstance(value, str | bytes):
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        stripped = text.strip()
        return (
            len(stripped) >= MIN_DISTINCTIVE_STRING
            and stripped.lower() not in COMMON_WORDS
            and "\n" not in stripped
            and "%" not in stripped
            and "{" not in stripped
            and not stripped.isspace()
            and not (stripped.startswith("__") and stripped.endswith("__"))  # `"__all__"`
        )
    return False


# --- definitions and constants ----------------------------------------------------------

_FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture", "fixture"})
_STUB_DECORATORS = frozenset({"overload", "abstractmethod", "abc.abstractmethod",
                              "typing.overload", "typing_extensions.overload"})
_PROTOCOLS = frozenset({"typing.Protocol", "typing_extensions.Protocol"})


def _definition(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    parsed: ParsedFile,
    aliases: dict[str, set[str]],
) -> Definition:
    same_name_imports = aliases.get(node.name, set())
    if isinstance(node, ast.ClassDef):
        kind = "class"
        fixture = False
        params: tuple[str, ...] = ()
        stub = any(parsed.qualified_name(base) in _PROTOCOLS for base in node.bases)
        markers: tuple[str, ...] = ()
        extends = any(
            (isinstance(base, ast.Name) and base.id in same_name_imports)
            or (isinstance(base, ast.Attribute) and base.attr == node.name)
            for base in node.bases
        )
    else:
        kind = "function"
        arguments = node.args
        params = tuple(
            a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        )
        decorators = {
            parsed.qualified_name(d.func if isinstance(d, ast.Call) else d)
            for d in node.decorator_list
        }
        stub = bool(decorators & _STUB_DECORATORS) or _empty_body(node.body)
        fixture = bool(decorators & _FIXTURE_DECORATORS)
        markers = (
            f".{node.name}(",
            f"import {node.name}",  # a lazy import of the same name inside the body
            *(f"{a}(" for a in same_name_imports if a != node.name),
        )
        extends = False
    fingerprint, shape, delegates, body_lines = _digest(node, parsed, markers, params)
    return Definition(
        name=node.name,
        kind=kind,
        line=node.lineno,
        column=parsed.column(node),
        end_line=node.end_lineno or node.lineno,
        params=params,
        fingerprint=fingerprint,
        stub=stub,
        bases=tuple(_base_name(b, parsed) for b in node.bases)
        if isinstance(node, ast.ClassDef) else (),
        body_lines=body_lines,
        wraps=extends or delegates,
        fixture=fixture,
        shape=shape,
    )


def _base_name(node: ast.expr, parsed: ParsedFile) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    name = parsed.qualified_name(node)
    if name is None:
        return "?"
    if "." in name or name in _BUILTIN_NAMES:
        return name
    return LOCAL_PREFIX + name


def _import_aliases(tree: ast.Module) -> dict[str, set[str]]:
    """Original imported name -> the local names it is bound to, for top-level
    `from ... import` statements (relative ones included)."""
    aliases: dict[str, set[str]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                aliases.setdefault(alias.name, set()).add(alias.asname or alias.name)
    return aliases


def _empty_body(body: list[ast.stmt]) -> bool:
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring or `...`
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


_COMMENT = re.compile(r"\s+#.*$")


_LOCAL_BINDING = re.compile(
    r"^(?:for\s+)?([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]+)?(?:=(?!=)|\s+in\b)"
    r"|\bas\s+([A-Za-z_]\w*)"
)
"""Names a line of code binds: `x = ...`, `a, b = ...`, `x: int = ...`, `for x in`,
`... as x` (a text test, not a tree walk)."""
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _shape(code: str, params: tuple[str, ...]) -> str:
    """`code` with parameters and locally bound names replaced by `_1`, `_2`, ... in
    order of first appearance; attribute names (after a dot) are left alone."""
    local = set(params)
    for line in code.splitlines():
        for match in _LOCAL_BINDING.finditer(line):
            local.update(_IDENTIFIER.findall(match.group(1) or match.group(2) or ""))
    local.discard("self")
    local.discard("cls")
    if not local:
        return code
    numbers: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word not in local or (match.start() and code[match.start() - 1] == "."):
            return word
        return numbers.setdefault(word, f"_{len(numbers) + 1}")

    return _IDENTIFIER.sub(rename, code)


def _digest(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    parsed: ParsedFile,
    delegation_markers: tuple[str, ...],
    params: tuple[str, ...],
) -> tuple[str, str, bool, int]:
    """A fingerprint of the body (its code without docstring, comments, blank lines and
    indentation: no tree walk, and equal for copies that differ only in layout), the same
    with locals renamed (`_shape`), whether the body calls a same-named function
    elsewhere (a wrapper), and its lines of code."""
    body = node.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str) and len(body) > 1):
        body = body[1:]
    first, last = body[0].lineno, node.end_lineno or body[-1].lineno
    code = [c for c in (text.strip() for text in parsed.lines[first - 1 : last])
            if c and c[0] != "#"]
    joined = "\n".join(_COMMENT.sub("", c) if "#" in c else c for c in code)
    digest = hashlib.blake2b(joined.encode("utf-8", "replace"), digest_size=8)
    signature = ", ".join(params)
    shape = hashlib.blake2b(_shape(f"({signature})\n{joined}", params).encode(
        "utf-8", "replace"), digest_size=8)
    delegates = any(marker in joined for marker in delegation_markers)
    return digest.hexdigest(), shape.hexdigest(), delegates, len(code)


def _declares(name: str, value: ast.expr) -> bool:
    """`T_CO = TypeVar("T_CO")`, `USER_ID = NewType("USER_ID", int)`: a call named by its
    own first argument declares a new thing; two of them are two things."""
    return (isinstance(value, ast.Call) and bool(value.args)
            and isinstance(value.args[0], ast.Constant) and value.args[0].value == name)


def _constants(statement: ast.stmt, parsed: ParsedFile) -> Iterator[Constant]:
    if isinstance(statement, ast.Assign):
        targets = [t for t in statement.targets if isinstance(t, ast.Name)]
        value: ast.expr | None = statement.value
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        targets = [statement.target]
        value = statement.value
    else:
        return
    if value is None:
        return
    names = [t.id for t in targets if CONSTANT_NAME.match(t.id) and not _declares(t.id, value)]
    if not names:
        return
    value_literal = literal(value, parsed)
    if value_literal is None:
        return
    for name in names:
        yield Constant(
            name=name,
            line=statement.lineno,
            column=parsed.column(statement),
            end_line=statement.end_lineno or statement.lineno,
            value=value_literal,
        )


# --- environment reads ------------------------------------------------------------------

_ENV_CALLS = {
    "os.getenv": "os.getenv",
    "os.getenvb": "os.getenvb",
    "os.environ.get": "os.environ.get",
    "os.environ.setdefault": "os.environ.setdefault",
    "os.environ.pop": "os.environ.pop",
    "os.environb.get": "os.environb.get",
    "os.environ.copy": "os.environ.copy",
}
_ENVIRON = frozenset({"os.environ", "os.environb"})


_ENV_WORDS = re.compile(r"\benvironb?\b|\bgetenvb?\b")


def _may_read_env(text: str) -> bool:
    """A text test first: `os.environ` and friends cannot be reached without one of
    these words (`environment` does not count)."""
    return _ENV_WORDS.search(text) is not None


def _env_reads(parsed: ParsedFile) -> Iterator[EnvRead]:
    discarded: set[int] = set()
    for node in walk(parsed.tree):
        if isinstance(node, ast.Expr):
            discarded.add(id(node.value))  # pre-order: seen before the call itself
        elif isinstance(node, ast.Call):
            function = _ENV_CALLS.get(parsed.qualified_name(node.func) or "")
            if function is not None:
                key = node.args[0] if node.args else None
                read = _env_read(node, function, key, parsed)
                yield replace(read, writes=True) if id(node) in discarded else read
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if parsed.qualified_name(node.value) in _ENVIRON:
                yield _env_read(node, "os.environ[]", node.slice, parsed)
        elif (isinstance(node, ast.Compare) and len(node.comparators) == 1
              and isinstance(node.ops[0], ast.In | ast.NotIn)
              and parsed.qualified_name(node.comparators[0]) in _ENVIRON):
            yield _env_read(node, "in os.environ", node.left, parsed)


def _env_read(node: ast.expr, function: str, key: ast.expr | None, parsed: ParsedFile
              ) -> EnvRead:
    name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    return EnvRead(
        line=node.lineno,
        column=parsed.column(node),
        end_line=node.end_lineno or node.lineno,
        function=function,
        key=name,
    )


# --- imports ----------------------------------------------------------------------------


def _imports(tree: ast.Module) -> Iterator[ImportRef]:
    """Every import statement, at any depth, visiting statements only (lazy imports in
    functions count: they still make the module a neighbour)."""
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        statement = stack.pop()
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                yield ImportRef(alias.name, 0, ())
        elif isinstance(statement, ast.ImportFrom):
            yield ImportRef(
                statement.module or "", statement.level, tuple(a.name for a in statement.names)
            )
        else:
            stack.extend(reversed(_child_statements(statement)))


def _child_statements(statement: ast.stmt) -> list[ast.stmt]:
    children: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list):
            children.extend(block)
    for handler in getattr(statement, "handlers", ()):
        children.extend(handler.body)
    for case in getattr(statement, "cases", ()):
        children.extend(case.body)
    return children
