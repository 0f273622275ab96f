"""Per-file facts for clone detection: a normalised token stream and its fingerprints.

A token is one syntax-tree node in source order (pre-order, decorators before bodies),
so comments, blank lines, layout and docstrings are gone by construction. Names and
literals are *parameters*: their token kind is only "a name" / "a string" / "a number",
and their value is kept aside, so the matcher can tell a consistent renaming (the same
old name always becomes the same new name) from code that merely has the same shape.
Attribute names (`.save`), keyword-argument names and operators stay concrete: they
name the API a block uses, and a renamed copy keeps them.

Trivial code is left out of the stream, because repeating it is not duplicated logic:
imports, `__all__`, docstrings, `pass`, plain attribute assignments (`self.x = x`),
definitions without logic (a body of only `...`, `pass` or a docstring: overloads,
protocol and abstract stubs), demo code under `if __name__ == "__main__":` marked
`# pragma: no cover` (it is meant to stand alone), and data tables (a literal-only
list/tuple/set/dict becomes one `table` token whose value is its contents, so two
different tables are not "identical").

A name that its function does not bind (a module function or constant, a builtin, an
import), and a called name at module level, stays concrete like an attribute name: it
names the API or data the code uses, and a copy that calls another function or reads
another constant does something else. Only what a function binds itself (parameters,
locals) is renamable. Sizes are
counted in lexical tokens and lines of code, as users count them for `min-tokens` and
`min-lines`; trivial code and function signatures (as pylint's ignore-signatures) count
zero, so a region that is mostly boilerplate stays under the thresholds.

Fingerprints are winnowed k-gram hashes (Schleimer et al., "Winnowing", 2003) over the
tokens encoded as Baker's parameterised strings: a parameter is encoded as the distance
back to the previous use of the same value (0 for a first use), so consistently renamed
code gives the same fingerprints and inconsistently renamed code does not.

Invariant: the facts depend on the file's text only (never its path), and hold plain
arrays and tuples, so they pickle small and can be cached by content hash.
"""

from __future__ import annotations

import ast
import hashlib
import re
from array import array
from collections.abc import Sequence, Set
from dataclasses import dataclass

from analyzers.model import PicklesAsArguments
from analyzers.source import NODE_FIELDS, ParsedFile, children

FAMILY = "duplicates"
"""The fact family name these facts are registered under."""
KEYS_FAMILY = "duplicate-keys"
"""The family of each file's `CloneKeys`."""
K_GRAM = 12
"""Tokens per fingerprinted k-gram (a line of code is about eight tokens)."""
WINDOW = 6
"""Winnowing window: any shared run of K_GRAM + WINDOW - 1 encoded tokens shares a
fingerprint."""
NAME_REACH = 8
"""A parameter is encoded by the distance back to the previous use of its value when that
is closer than this; farther uses count as first uses, so a k-gram's encoding depends
only on a short stretch before it (a clone's fingerprints match from NAME_REACH tokens
after its start)."""

_TABLE_MIN_ITEMS = 3
"""A literal-only container with at least this many items is a data table."""
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
_FIELD_ORDER: dict[type[ast.AST], tuple[str, ...]] = {
    ast.FunctionDef: ("decorator_list", "args", "returns", "body"),
    ast.AsyncFunctionDef: ("decorator_list", "args", "returns", "body"),
    ast.ClassDef: ("decorator_list", "bases", "keywords", "body"),
    # The most common nodes, without the fields that never hold a node (names, values,
    # contexts): the same children, fewer looks.
    ast.Name: (),
    ast.Constant: (),
    ast.Attribute: ("value",),
    ast.keyword: ("value",),
    ast.arg: ("annotation",),
}
_FIELDS = {**NODE_FIELDS, **_FIELD_ORDER}
"""The fields `_children` looks at, by node type."""
_LEFT_OUT = frozenset({ast.Load, ast.Store, ast.Del, ast.alias})
_ASSIGNMENTS = frozenset({ast.Expr, ast.Assign, ast.AnnAssign})
_ALWAYS_TRIVIAL = frozenset({ast.Import, ast.ImportFrom, ast.Pass})
_MAYBE_TRIVIAL = _ALWAYS_TRIVIAL | _ASSIGNMENTS | {ast.FunctionDef, ast.AsyncFunctionDef, ast.If}
"""The node types `_is_trivial_statement` can accept (a cheap look first: the stream
asks for every node)."""
_MAYBE_DECLARATIVE = frozenset({ast.Expr, ast.Assign, ast.Call})
"""The node types `_is_declarative_call` can accept."""
_CONTAINERS = frozenset({ast.List, ast.Tuple, ast.Set, ast.Dict})
_DESCRIBED = frozenset({ast.Name, ast.Attribute, ast.Constant, ast.arg, ast.FunctionDef,
                        ast.AsyncFunctionDef, ast.ClassDef, ast.keyword, ast.ExceptHandler,
                        ast.comprehension, ast.Global, ast.Nonlocal})
"""Node types whose token `_describe` makes of more than their type's name (`ast.parse`
makes nodes of these exact types, never of subclasses)."""
_LITERAL_NODES = (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp,
                  ast.USub, ast.UAdd, ast.Load)
_CONCRETE_CONSTANTS = (bool, type(None), type(Ellipsis))
END = "end"
"""The kind of the token that closes a statement list (like a DEDENT)."""
_LEXICAL_TOKEN = re.compile(
    r"""\w+|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|#.*"""
    r"""|\*\*=?|//=?|>>=?|<<=?|->|\.\.\.|:=|[-+*/%&|^@<>=!]=|\S"""
)
"""About one of Python's lexical tokens: a name, number, string or operator (`+=` is
one); a comment is one match, not counted."""


@dataclass(frozen=True, slots=True)
class FunctionSpan(PicklesAsArguments):
    """A function or method: its tokens are `first..last` (inclusive), from the `def`
    token to the end of its body; its lines are the definition's own (decorators to the
    end of the body), as a reader sees it."""

    name: str
    first: int
    last: int
    line: int
    end_line: int
    owner: str | None = None
    """The class the function is a method of, when it is one."""
    owner_bases: tuple[str, ...] = ()
    """That class's bases, as written."""
    nested: bool = False
    """Defined inside another function (a closure): nothing another module can import."""
    delegates: bool = False
    """Its body is one call that hands its parameters on (`return self._load(stream)`):
    an adapter, which every implementation of an interface writes alike."""
    shape: int = 0
    """A hash of its tokens in Baker's encoding: two functions identical up to a
    consistent renaming have the same shape, whatever their size, so a copy of a function
    too small to share a fingerprint is still found (and checked token by token)."""


@dataclass(frozen=True, slots=True)
class Alternatives:
    """The two branches of one module- or class-level `if` (a version, platform or backend
    switch), by lines: `first..last` is the `if` body, `else_first..else_last` its `else`.
    Only one of them runs, so they restate one definition per case."""

    first: int
    last: int
    else_first: int
    else_last: int


@dataclass(frozen=True, slots=True)
class CloneFacts:
    kinds: array[int]
    """Per token: a stable 64-bit hash of what it is (node type, attribute name...)."""
    params: array[int]
    """Per token: a stable hash of the name or literal value; 0 for other tokens."""
    lines: array[int]
    """Per token: its 1-based line."""
    columns: array[int]
    """Per token: its 0-based column (of the nearest node that has one)."""
    line_sizes: array[int]
    """Per line (index = line - 1): how many lexical tokens of code it holds (comments,
    docstrings and left-out trivial code count 0), so region sizes compare with
    `min-tokens` and `min-lines` as users count them."""
    functions: tuple[FunctionSpan, ...]
    alternatives: tuple[Alternatives, ...]
    imports: tuple[tuple[int, int], ...]
    """(line, hash of the statement) per import, in line order: imports are not in the
    stream (repeating one is not duplicated logic), but two copies that import different
    things are not identical."""
    settings: tuple[tuple[int, int], ...]
    """(line, hash of the attribute names and the value, local names left out) per plain
    attribute assignment (`resp.text = b"data"`), in line order: left out of the stream
    as trivial, but two functions that set other attributes or values do other things."""
    is_script: bool
    """The module has an `if __name__ == "__main__":` block: a standalone script."""
    fingerprints: array[int]
    """Winnowed k-gram hashes, in token order."""
    positions: array[int]
    """Per fingerprint: the index of the k-gram's first token."""


@dataclass(frozen=True, slots=True)
class CloneKeys:
    """What decides whether a file can hold a copy of a change, kept apart from its
    `CloneFacts` so that it is cheap to read for every file of a repository: the
    fingerprints and the shapes of the functions. The matching skips a file that shares
    neither with the change, so a facts store need read the full facts only of the files
    the change resembles, not of the whole repository."""

    fingerprints: array[int]
    shapes: array[int]
    """The distinct shapes of its functions, sorted."""

    def shares(self, fingerprints: Set[int], shapes: Set[int]) -> bool:
        """Whether the file has one of these fingerprints or function shapes."""
        return not (fingerprints.isdisjoint(self.fingerprints)
                    and shapes.isdisjoint(self.shapes))


def clone_keys(facts: CloneFacts) -> CloneKeys:
    return CloneKeys(facts.fingerprints, array("q", sorted({f.shape for f in facts.functions})))


def extract_duplicate_facts(parsed: ParsedFile) -> dict[str, object]:
    """The fact extractor of the duplicates analysis: its two families."""
    facts = extract_clone_facts(parsed)
    return {FAMILY: facts, KEYS_FAMILY: clone_keys(facts)}


def extract_clone_facts(parsed: ParsedFile) -> CloneFacts:
    stream = _TokenStream(parsed.lines)
    stream.read(parsed.tree)
    encoded = encode(stream.kinds, stream.params)
    fingerprints, positions = winnow(kgram_hashes(encoded))
    return CloneFacts(
        kinds=array("q", stream.kinds),
        params=array("q", stream.params),
        lines=array("i", stream.lines),
        columns=array("i", stream.columns),
        line_sizes=_line_sizes(parsed.lines, stream.quiet_lines),
        functions=tuple(stream.functions),
        alternatives=tuple(stream.outline.alternatives),
        imports=tuple(stream.imports),
        settings=tuple(stream.settings),
        is_script=any(isinstance(s, ast.If) and _is_main_guard(s) for s in parsed.tree.body),
        fingerprints=array("q", fingerprints),
        positions=array("i", positions),
    )


def region_size(facts: CloneFacts, first: int, last: int) -> int:
    """About how many lexical tokens of code the lines of tokens `first..last` hold."""
    return sum(_region_line_sizes(facts, first, last))


def same_imports(facts: CloneFacts, first: int, last: int, other: CloneFacts,
                 other_first: int, other_last: int) -> bool:
    """Whether the lines of tokens `first..last` hold the same import statements as those
    of the other file's `other_first..other_last`."""
    return _imports_within(facts, first, last) == _imports_within(other, other_first, other_last)


def same_settings(facts: CloneFacts, first: int, last: int, other: CloneFacts,
                  other_first: int, other_last: int) -> bool:
    """Whether the lines of tokens `first..last` hold the same plain attribute
    assignments (up to the local names they read) as the other's."""
    def within(code: CloneFacts, low: int, high: int) -> list[int]:
        start, end = code.lines[low], code.lines[high]
        return [setting for line, setting in code.settings if start <= line <= end]
    return within(facts, first, last) == within(other, other_first, other_last)


def _setting(statement: ast.Assign | ast.AnnAssign) -> str:
    """What a plain attribute assignment sets: its attribute names and its value, a name
    it reads standing for any name (a renamed copy of `self.x = x` sets the same)."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    value = statement.value
    if isinstance(value, ast.Name):
        shown = "name"
    elif isinstance(value, ast.Attribute):
        shown = "name." + value.attr
    else:
        shown = ast.dump(value) if value is not None else ""
    return ",".join(t.attr if isinstance(t, ast.Attribute) else "" for t in targets) + "=" + shown


def _imports_within(facts: CloneFacts, first: int, last: int) -> list[int]:
    low, high = facts.lines[first], facts.lines[last]
    return [statement for line, statement in facts.imports if low <= line <= high]


def region_lines(facts: CloneFacts, first: int, last: int) -> int:
    """How many lines with code the lines of tokens `first..last` span."""
    sizes = _region_line_sizes(facts, first, last)
    return len(sizes) - sizes.count(0)


def _region_line_sizes(facts: CloneFacts, first: int, last: int) -> array[int]:
    lines = facts.lines[first:last + 1]
    return facts.line_sizes[min(lines) - 1:max(lines)] if lines else array("H")


def _line_sizes(lines: Sequence[str], quiet: Sequence[tuple[int, int]]) -> array[int]:
    known: dict[str, int] = {}
    """Sizes by the line's text: blank lines, `)`, `pass`, `else:` recur."""
    sizes = array("H", [0]) * len(lines)
    for number, text in enumerate(lines):
        size = known.get(text)
        if size is None:
            size = known[text] = min(_line_size(text), 65535)
        sizes[number] = size
    for first, last in quiet:
        for line in range(first, min(last, len(sizes)) + 1):
            sizes[line - 1] = 0
    return sizes


def _line_size(line: str) -> int:
    """Lexical tokens on the line, its end-of-line token included, comments left out."""
    found = _LEXICAL_TOKEN.findall(line)
    # A comment runs to the end of the line, so only the last token can be one.
    code = len(found) - 1 if found and found[-1][0] == "#" else len(found)
    return code + 1 if code else 0


def encode(kinds: Sequence[int], params: Sequence[int]) -> list[int]:
    """Baker's parameterised encoding: a parameter becomes its kind plus the distance back
    to the previous use of its value (within NAME_REACH), so a consistent renaming keeps
    the encoding."""
    last_use: dict[int, int] = {}
    out = list(kinds)
    for index, value in enumerate(params):
        if value:
            previous = last_use.get(value)
            distance = index - previous if previous is not None else 0
            out[index] += distance if distance < NAME_REACH else 0
            last_use[value] = index
    return out


def kgram_hashes(encoded: Sequence[int]) -> list[int]:
    """The hash of every K_GRAM-token run, by its first token's index: the hash of the
    run's tuple, the runs made by `zip`. Tuples of ints hash the same in every process
    (only str and bytes hashing is salted), so fingerprints can be cached and compared
    across processes."""
    shifted = (encoded[offset:] for offset in range(K_GRAM))
    return list(map(hash, zip(*shifted, strict=False)))  # ends with the shortest: the last run


def _window_minima(hashes: Sequence[int]) -> list[int]:
    """`min(hashes[start:start + WINDOW])` for every start (windows that run past the end
    are shorter), from the minima over windows half as long (C loops, not a slice per
    start): the minimum over `a + b` values is that of the first `a` and the last `b`."""
    minima, span = list(hashes), 1
    while span < WINDOW:
        step = min(span, WINDOW - span)
        minima = [*map(min, minima, minima[step:]), *minima[-step:]]
        span += step
    return minima


def winnow(hashes: Sequence[int]) -> tuple[list[int], list[int]]:
    """The minimum hash of each WINDOW-long window (its first position on ties), each
    chosen position once."""
    count = max(len(hashes) - WINDOW + 1, 1 if hashes else 0)
    minima = _window_minima(hashes)[:count]
    fingerprints: list[int] = []
    positions: list[int] = []
    chosen = -1
    for start, smallest in enumerate(minima):
        if chosen < start or hashes[chosen] != smallest:
            chosen = hashes.index(smallest, start, start + WINDOW)
            fingerprints.append(smallest)
            positions.append(chosen)
    return fingerprints, positions


def stable_hash(text: str) -> int:
    """A 63-bit hash that is the same in every process (str hashes are salted)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1 or 1


END_KIND = stable_hash(END)
"""The kind hash of END tokens; an END token is on the last line of the list it closes."""
CLASS_KIND = stable_hash("ClassDef")
"""The kind hash of a class definition's first token."""
ASYNC_KINDS = frozenset(stable_hash(kind) for kind in
                        ("AsyncFunctionDef", "Await", "AsyncFor", "AsyncWith",
                         "async comprehension"))
"""Token kinds that only an async implementation has."""
LITERAL_KINDS = frozenset(stable_hash(kind) for kind in ("Str", "Bytes", "Num", "table"))
"""Token kinds whose value is a literal (the others with a value are names)."""


class _TokenStream:
    """Reads a syntax tree into parallel token arrays, iteratively (trees can be deep)."""

    def __init__(self, source_lines: Sequence[str]) -> None:
        self.source_lines = source_lines
        self.kinds: list[int] = []
        self.params: list[int] = []
        self.lines: list[int] = []
        self.columns: list[int] = []
        self.functions: list[FunctionSpan] = []
        self.quiet_lines: list[tuple[int, int]] = []
        """Line ranges of code left out of the stream (their size counts 0)."""
        self.imports: list[tuple[int, int]] = []
        """(line, hash of the statement) per import left out of the stream."""
        self.settings: list[tuple[int, int]] = []
        """(line, hash of what it sets) per plain attribute assignment left out."""
        self.outline = _Outline()

    def read(self, tree: ast.Module) -> None:
        kinds, params, lines, columns = self.kinds, self.params, self.lines, self.columns
        outline = self.outline
        outline.read(tree)
        hashes: dict[str | None, int] = {None: 0}
        line, column = 1, 0
        stack: list[ast.AST | tuple[str, int, int]] = list(reversed(tree.body))
        declarations = _declarations(tree.body)
        while stack:
            item = stack.pop()
            # `ast.parse` makes nodes of exact types, so `type(...) is` stands for
            # `isinstance` (the loop runs for every node: millions on a large project).
            if isinstance(item, tuple):
                marker, first, end_line = item
                if marker:
                    shape = hash(tuple(encode(kinds[first:], params[first:])))
                    self.functions.append(outline.span(marker, first, len(kinds) - 1, shape))
                    continue
                kind, param = END, None  # an empty name closes a statement list
                line = end_line
            elif (node_type := type(item)) in _MAYBE_TRIVIAL and _is_trivial_statement(
                    item, self.source_lines):
                start = getattr(item, "lineno", line)
                self.quiet_lines.append((start, getattr(item, "end_lineno", None) or start))
                if node_type is ast.Import or node_type is ast.ImportFrom:
                    self.imports.append((start, stable_hash(ast.dump(item))))
                elif node_type is ast.Assign or node_type is ast.AnnAssign:
                    assert isinstance(item, ast.Assign | ast.AnnAssign)
                    self.settings.append((start, stable_hash(_setting(item))))
                continue
            else:
                line = getattr(item, "lineno", line)
                column = getattr(item, "col_offset", column)
                if id(item) in declarations or (node_type in _MAYBE_DECLARATIVE
                                                and _is_declarative_call(item)):
                    self.quiet_lines.append((line, getattr(item, "end_lineno", None) or line))
                elif type(item) is ast.ClassDef:
                    declarations |= _declarations(item.body)
                if node_type in _CONTAINERS and _is_table(item):  # type: ignore[arg-type]
                    # One token, its first line counted; its value is its contents, so
                    # two different tables are a renaming, not identical.
                    kind, param = "table", "t:" + ast.dump(item)
                    self.quiet_lines.append((line + 1, getattr(item, "end_lineno", None) or line))
                else:
                    if type(item) is ast.Dict and not all(
                            isinstance(v, _LITERAL_NODES) for v in item.values):
                        # A record built from computed values: its field names are its
                        # shape, not values, so two dicts with other keys (a WSGI environ,
                        # an ASGI scope) are other records. A dict of literals is data.
                        outline.concrete_names.update(
                            id(k) for k in item.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str))
                    if node_type in _DESCRIBED:
                        kind, param = _describe(item, outline.concrete_names)
                    else:
                        kind, param = node_type.__name__, None
                    if node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef:
                        assert isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        stack.append((str(id(item)), len(kinds), 0))
                        self.quiet_lines.extend((d.lineno, d.end_lineno or d.lineno)
                                                for d in item.decorator_list
                                                if _is_declarative_call(d))
                        # A signature is not logic (pylint's ignore-signatures): its
                        # lines do not count towards a clone's size.
                        self.quiet_lines.append((item.lineno, item.body[0].lineno - 1))
                    stack.extend(reversed(_children(item)))
            kind_hash = hashes.get(kind)
            if kind_hash is None:
                kind_hash = hashes[kind] = stable_hash(kind)
            param_hash = hashes.get(param)
            if param_hash is None:
                assert param is not None
                param_hash = hashes[param] = stable_hash(param)
            kinds.append(kind_hash)
            params.append(param_hash)
            lines.append(line)
            columns.append(column)


class _Outline:
    """What the token stream needs to know about definitions before it reads them: each
    function's class and nesting, which called names are bound in their function, and the
    module- and class-level `if`/`else` switches."""

    def __init__(self) -> None:
        self.definitions: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.owners: dict[int, ast.ClassDef] = {}
        self.nested: set[int] = set()
        self.concrete_names: set[int] = set()
        """`id()` of the `Name` nodes that are not bound in their function (a module
        function, a constant, a builtin, an import), of names called at module level, and
        of the string keys of dict displays of computed values (field names): all kept as
        they are, never renamed."""
        self.alternatives: list[Alternatives] = []

    def read(self, tree: ast.Module) -> None:
        scopes: list[tuple[list[ast.stmt], ast.ClassDef | None, bool]] = [(tree.body, None, False)]
        while scopes:
            body, owner, in_function = scopes.pop()
            for statement in body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.definitions[id(statement)] = statement
                    if owner is not None:
                        self.owners[id(statement)] = owner
                    if in_function:
                        self.nested.add(id(statement))
                    scopes.append((statement.body, None, True))
                elif isinstance(statement, ast.ClassDef):
                    scopes.append((statement.body, statement, in_function))
                else:
                    if isinstance(statement, ast.If) and statement.orelse and not in_function:
                        self.alternatives.append(Alternatives(
                            statement.body[0].lineno, _end_line(statement.body[-1]),
                            statement.orelse[0].lineno, _end_line(statement.orelse[-1]),
                        ))
                    for field in _STATEMENT_LISTS:
                        value = getattr(statement, field, None)
                        if isinstance(value, list):
                            inner = [s for s in value if isinstance(s, ast.stmt)]
                            inner += [s for h in value
                                      if isinstance(h, ast.ExceptHandler | ast.match_case)
                                      for s in h.body]
                            scopes.append((inner, owner, in_function))
        self.concrete_names = _concrete_names(tree)

    def span(self, marker: str, first: int, last: int, shape: int) -> FunctionSpan:
        node = self.definitions[int(marker)]
        owner = self.owners.get(int(marker))
        decorated = [d.lineno for d in node.decorator_list]
        return FunctionSpan(
            node.name, first, last, min([node.lineno, *decorated]), _end_line(node),
            owner=owner.name if owner else None,
            # `Base[T]` is the class `Base`: the generic parameters are not its name.
            owner_bases=tuple(ast.unparse(b.value if isinstance(b, ast.Subscript) else b)
                              for b in owner.bases) if owner else (),
            nested=int(marker) in self.nested,
            delegates=_delegates(node),
            shape=shape,
        )


def _delegates(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body (docstring, imports and `pass` aside) is one statement that calls
    a named function or method (`name(...)`, `self._format(...)`, `module.f(...)`, not a
    chain of calls on a value) and returns, yields or awaits its result."""
    body = [s for s in function.body
            if not (_is_stub_statement(s) or isinstance(s, ast.Import | ast.ImportFrom))]
    if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
        return False
    value = body[0].value
    while isinstance(value, ast.YieldFrom | ast.Yield | ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    callee = value.func
    while isinstance(callee, ast.Attribute):
        callee = callee.value
    return isinstance(callee, ast.Name)


def _end_line(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


_NAMED_BINDINGS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                             ast.ExceptHandler, ast.MatchAs, ast.MatchStar})


def _concrete_names(tree: ast.Module) -> set[int]:
    """`id()` of the names kept concrete: called names anywhere, and every name a
    function uses, unless the function binds it (module-level code keeps its variables
    renamable). What a function binds: its parameters, assigned names, caught
    exceptions, match captures, nested definitions, and so everything a function nested
    in it binds, so a name is renamable when the outermost function around it binds it.
    Not imports: an imported module or function is an API the code uses, wherever it is
    imported. One walk over the tree: module-level code, then each outermost function."""
    concrete: set[int] = set()
    outermost: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    stack: list[ast.AST] = [tree]
    # Exact node types (`ast.parse` makes no subclasses): `type(...) is`, the cheap
    # `isinstance`, as the walk looks at every node.
    while stack:
        node = stack.pop()
        if type(node) is ast.FunctionDef or type(node) is ast.AsyncFunctionDef:
            outermost.append(node)
            continue
        if type(node) is ast.Call and type(node.func) is ast.Name:
            concrete.add(id(node.func))
        stack.extend(children(node))
    for function in outermost:
        used: list[ast.Name] = []
        bound: set[str] = set()
        stack = [function]
        while stack:
            node = stack.pop()
            node_type = type(node)
            if type(node) is ast.Name:
                used.append(node)
                if type(node.ctx) is not ast.Load:
                    bound.add(node.id)
                continue  # no node below a name
            if node_type is ast.Constant:
                continue
            if type(node) is ast.Call:
                if type(node.func) is ast.Name:
                    concrete.add(id(node.func))
            elif type(node) is ast.arg:
                bound.add(node.arg)
            elif node_type in _NAMED_BINDINGS:
                name = getattr(node, "name", None)
                if name:
                    bound.add(name)
            stack.extend(children(node))
        for name in used:
            if name.id in bound:
                concrete.discard(id(name))
            else:
                concrete.add(id(name))
    return concrete


def _describe(node: ast.AST, concrete_names: set[int]) -> tuple[str, str | None]:
    """A node's token: its kind, and the value it stands for when it is a parameter."""
    if type(node) not in _DESCRIBED:
        return type(node).__name__, None
    if isinstance(node, ast.Name):
        if id(node) in concrete_names:
            return "name:" + node.id, None
        return "Name", "n:" + node.id
    if isinstance(node, ast.Attribute):
        return "." + node.attr, None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, _CONCRETE_CONSTANTS) or id(node) in concrete_names:
            return repr(value), None
        if isinstance(value, str):
            return "Str", "s:" + value
        if isinstance(value, bytes):
            return "Bytes", "b:" + value.hex()
        return "Num", "d:" + repr(value)
    if isinstance(node, ast.arg):
        return "arg", "n:" + node.arg
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        # A definition's name lives in the enclosing scope, not among the function's
        # locals: a local `forwarded` in `def forwarded()` is another variable, and each
        # renames on its own.
        return type(node).__name__, "d:" + node.name
    if isinstance(node, ast.keyword):
        return "kw:" + (node.arg or "**"), None
    if isinstance(node, ast.ExceptHandler) and node.name:
        return "except", "n:" + node.name
    if isinstance(node, ast.comprehension) and node.is_async:
        return "async comprehension", None
    if isinstance(node, ast.Global | ast.Nonlocal):
        return type(node).__name__ + ":" + ",".join(node.names), None
    return type(node).__name__, None


def _children(node: ast.AST) -> list[ast.AST | tuple[str, int, int]]:
    """The node's children in source order, each statement list closed by an END marker."""
    out: list[ast.AST | tuple[str, int, int]] = []
    for field in _FIELDS.get(type(node), node._fields):
        value = getattr(node, field, None)
        if type(value) is list:
            if value:
                out.extend([v for v in value
                            if type(v) not in _LEFT_OUT and isinstance(v, ast.AST)])
                if field in _STATEMENT_LISTS:
                    out.append(("", 0, getattr(value[-1], "end_lineno", None) or 1))
        elif isinstance(value, ast.AST) and type(value) not in _LEFT_OUT:
            out.append(value)
    return out


def _is_declarative_call(node: ast.AST) -> bool:
    """`parser.add_argument("--all", type=parse_bool, help=_("..."))`, or a decorator
    `@click.option("--json", type=str)`: a call (statement or decorator) whose
    positional arguments are literals (at least one), and whose keyword arguments are
    literals or references (`type=parse_bool`), is one row of a declarative table unrolled
    into statements (options, routes, registrations); a run of them is data, not logic.
    The callee is a reference too (`parser.add_argument`): a method called on a computed
    value (`f"{user}:{key}".encode("utf-8")`, `b64encode(raw).decode("ascii")`) is a step
    of a computation, not a row of a table."""
    value = node.value if isinstance(node, ast.Expr | ast.Assign) else node
    if not isinstance(value, ast.Call) or not value.args or not _is_reference(value.func):
        return False
    return all(_is_literal_argument(a) for a in value.args) and all(
        _is_literal_argument(k.value) or _is_reference(k.value) for k in value.keywords)


def _is_reference(node: ast.expr) -> bool:
    """`name` or `module.name`: a reference passed as data, not computed."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _is_literal_argument(node: ast.expr) -> bool:
    """A literal, or a literal passed through a named function (`_("text")`, gettext)."""
    node_type = type(node)  # the usual arguments first, without a walk
    if node_type is ast.Constant:
        return True
    if node_type is ast.Name or node_type is ast.Attribute:
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return all(_is_literal_argument(a) for a in node.args) and not node.keywords
    return all(isinstance(n, _LITERAL_NODES) for n in ast.walk(node))


def _declarations(body: list[ast.stmt]) -> set[int]:
    """Assignments directly in a module or class body (constants, model fields, type
    variables): declarations, not logic. They stay in the stream, so a copied class is
    still matched through its methods, but their lines count zero towards a clone's size;
    a repeated declaration is the SS2xx rules' business."""
    return {id(s) for s in body if isinstance(s, ast.Assign | ast.AnnAssign)}


def _is_trivial_statement(node: ast.AST, source_lines: Sequence[str]) -> bool:
    """Statements whose repetition is not duplicated logic."""
    if type(node) in _ALWAYS_TRIVIAL:
        return True
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return all(_is_stub_statement(s) for s in node.body)
    if isinstance(node, ast.If):
        return _is_uncovered_main_guard(node, source_lines)
    if type(node) not in _ASSIGNMENTS:
        return False
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    if isinstance(node, ast.Assign):
        targets = node.targets
        value: ast.expr | None = node.value
    elif isinstance(node, ast.AnnAssign):
        targets, value = [node.target], node.value
    else:
        return False
    if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
        return True
    return all(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
               for t in targets) and _is_plain_value(value)


def _is_stub_statement(node: ast.stmt) -> bool:
    """`...`, `pass` or a docstring: the whole body of an overload or a protocol stub."""
    return isinstance(node, ast.Pass) or (
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        and (node.value.value is Ellipsis or isinstance(node.value.value, str)))


def _is_uncovered_main_guard(node: ast.If, source_lines: Sequence[str]) -> bool:
    """`if __name__ == "__main__":  # pragma: no cover`: a script's demo entry point."""
    if not _is_main_guard(node):
        return False
    line = source_lines[node.lineno - 1] if node.lineno <= len(source_lines) else ""
    return "pragma: no cover" in line


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _is_plain_value(value: ast.expr | None) -> bool:
    """A name, a constant or `name.attr`: what `self.x = x` in `__init__` assigns."""
    return (value is None or isinstance(value, ast.Name | ast.Constant)
            or (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)))


def _is_table(node: ast.List | ast.Tuple | ast.Set | ast.Dict) -> bool:
    """A literal-only container of at least _TABLE_MIN_ITEMS items."""
    items = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
    if items < _TABLE_MIN_ITEMS:
        return False
    return all(isinstance(n, _LITERAL_NODES) for n in ast.walk(node))
