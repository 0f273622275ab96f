"""Quality of the duplicate-code rules (DU301-DU303): recall on injected clones, precision
on real commits, and a check against pylint's duplicate-code checker.

Recall: real functions of a code base nobody here wrote (falcon by default) are
copied, in one synthetic change per clone type and position, as
  type 1  the function's source, verbatim;
  type 2  every parameter and local name renamed, every string and integer literal
          changed (consistently: the same old value always gets the same new one);
  type 3  the verbatim source with one to three statements added, removed or changed
          (never the one statement that binds a name the rest reads: that copy would
          fail with a NameError, code nobody writes);
and each copy is placed
  adjacent      right after the original definition in its own file, at its indentation,
                before the next definition (a renamed copy's alignment must stop at the
                next definition's header);
  end-of-file   at the end of the original's file, at the top level;
  other-module  in a new module of its own in the original's folder (where a real copy
                lands: a test copied into another test module, a helper into a sibling
                module), after an unrelated function.
The whole code base is the context (an edited file is the change, not context). A clone
counts as found when a DU finding in its file overlaps its lines or names them as the
copy (git may report an identical original next to its paste as the added lines, and the
finding stands there), or an SS201 finding does (a verbatim copy of a top-level function
under its own name is SS201's, and DU303 leaves it to SS201). Functions of at least 10
code lines outside example folders are sampled; recall is given over all of them and over
those still at least min-lines and min-tokens in size once normalised as DU reads code
(docstrings, data tables, declarative calls, imports and `self.x = x` lines do not count:
a function that is mostly a data table is not duplicated logic). The targets apply to the
second figure.

Short functions are sampled apart and counted apart: whole functions below min-lines or
min-tokens but with at least MIN_DEFINITION_TOKENS of code that does more than delegate
(one real statement), which DU303 and SS201 judge as definitions. They are copied as
type 1 and type 2 only, and their type 2 renames names but keeps the literals: a near
miss of a one-statement function, or one that reads another key (`env["HTTP_HOST"]`,
`env["HTTP_USER_AGENT"]`), is another function, and DU303 reports near misses as
blocks, which these are too small to be.

pylint: for each (original file, clone file) pair of the other-module position, pylint's
Symilar (min-similarity-lines 6, comments, docstrings and imports ignored) runs
in-process; every similarity it reports in a clone file must overlap a DU finding, unless
it is under min-tokens (pylint counts lines only, so it also reports six short lines of
30 tokens).

Precision: the last commits of a real repository (httpx by default; `--commits 0` skips
this part) are audited as they are, with the whole tree at each commit as context. Each
finding is checked independently of the analyzer: the flagged lines and each listed copy
are tokenized with `tokenize`, names and literals are replaced by the index of their
first occurrence (a consistent renaming maps to the same sequence; for DU302 near-misses,
by their token type, as added statements shift those indexes), and the two sequences
must be at least 70% alike (difflib ratio). Every finding is printed so a reviewer can judge it too.

    .venv/bin/python benchmarks/duplicates_quality.py [--corpus DIR] [--history GIT_DIR]
        [--samples N] [--short-samples N] [--commits N] [--seed N]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import keyword
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from pylint.checkers.symilar import Symilar

from analyzers import AuditRequest, ChangeStatus, FileChange, Finding, audit
from analyzers.config import AuditConfig
from analyzers.diff import added_lines
from analyzers.duplicates.matching import MIN_DEFINITION_TOKENS
from analyzers.duplicates.tokens import (
    CloneFacts,
    extract_clone_facts,
    region_lines,
    region_size,
)
from analyzers.engine import FactsCache
from analyzers.paths import is_example_path
from analyzers.source import ParsedFile, parse
from bot.local.audit import diff_request
from bot.local.git import GitError, Repo

CORPUS = Path("/work/corpus/falcon")
SAME_NAME_VERBATIM = "SS201"
"""A verbatim copy of a top-level function under its own name is SS201's finding, and DU303
leaves it to SS201 (one construct, one finding): such a clone counts as found by either."""
HISTORY = Path("/work/corpus/httpx")
CHANGE_WIDE_FAILURES = ("SX008", "SX012")
MIN_CODE_LINES = 10
MIN_TEXT_SIMILARITY = 0.7
TARGETS = {1: 1.0, 2: 1.0, 3: 0.9}
"""Per clone type, in every position (and for short functions, of types 1 and 2)."""
POSITIONS = ("adjacent", "end-of-file", "other-module")
SHORT_TYPES = (1, 2)
MIN_TOKENS = AuditConfig().min_tokens
MIN_LINES = AuditConfig().min_lines


@dataclass(frozen=True, slots=True)
class Original:
    path: str
    name: str
    source: str
    """The function's text, dedented to the top level."""
    line: int
    """Its first line (the first decorator's) in its file."""
    end_line: int
    indent: str
    """What `source` was dedented by."""


@dataclass(frozen=True, slots=True)
class Injected:
    original: Original
    path: str
    first_line: int
    last_line: int
    text: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--history", type=Path, default=HISTORY)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--short-samples", type=int, default=50)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for place in (args.corpus, args.history) if args.commits else (args.corpus,):
        if not place.is_dir():
            print(f"{place} not found: pass its location (see --help)", file=sys.stderr)
            return 2
    corpus = {p.relative_to(args.corpus).as_posix(): p.read_bytes()
              for p in sorted(args.corpus.rglob("*.py"))}
    long, short = _candidates(corpus)
    rng = random.Random(args.seed)
    originals = rng.sample(long, min(args.samples, len(long)))
    shorts = rng.sample(short, min(args.short_samples, len(short)))
    print(f"corpus {args.corpus}: {len(corpus)} files; {len(originals)} functions sampled "
          f"(>= {MIN_CODE_LINES} code lines), {len(shorts)} short ones (below "
          f"{MIN_LINES} lines or {MIN_TOKENS} tokens, >= {MIN_DEFINITION_TOKENS} tokens); "
          f"seed {args.seed}")
    cache: FactsCache = {}
    table: dict[tuple[str, int, str], tuple[int, int]] = {}
    pylint = [0, 0, 0]  # found, missed, missed of at least min-tokens
    for kind, sample, types in (("long", originals, (1, 2, 3)), ("short", shorts, SHORT_TYPES)):
        for clone_type in types:
            bodies = [(o, body) for o in sample
                      if (body := _clone_body(o, clone_type, rng, kind == "long"))
                      is not None]
            for position in POSITIONS:
                injected, changes = _place(bodies, clone_type, position, corpus)
                findings = _audit_injected(injected, changes, corpus, cache)
                unrefined = findings
                if position != "other-module" and not all(
                        _found(c, findings) for c in injected):
                    unrefined = _audit_injected(
                        injected, [replace(c, base=None) for c in changes], corpus, cache)
                table[kind, clone_type, position] = _report(
                    kind, clone_type, position, injected, findings, unrefined)
                if position == "other-module" and kind == "long":
                    _compare_with_pylint(injected, corpus, findings, pylint)
    print(f"pylint duplicate-code similarities on the other-module pairs: "
          f"{pylint[0] + pylint[1]}, also found by DU: {pylint[0]}, missed: {pylint[1]}, "
          f"of which at least min-tokens ({MIN_TOKENS}) in size: {pylint[2]} "
          "(target 0; pylint has no token floor)")
    _print_table(table)
    if args.commits:
        _precision(Repo.open(args.history), args.commits)
    return 0


def _report(kind: str, clone_type: int, position: str, injected: list[Injected],
            findings: dict[str, list[Finding]], unrefined: dict[str, list[Finding]]
            ) -> tuple[int, int]:
    """Print one cell's figures and misses; return (found, counted) for the table: over
    the clones at least min-lines/min-tokens for long functions, over all short ones.
    `unrefined` are the findings of the same change with every line git reports as added
    counting (no base to refine them against): a miss found there is lost to the
    syntax-diff refinement, not to matching."""
    found = [c for c in injected if _found(c, findings)]
    if kind == "long":
        counted = [c for c in injected if _reportable(c.text, c.first_line, c.last_line)]
    else:
        counted = injected
    found_counted = sum(1 for c in counted if _found(c, findings))
    print(f"{kind} type-{clone_type} {position}: {len(found)}/{len(injected)} found of all, "
          f"{found_counted}/{len(counted)} of those counted")
    for clone in injected:
        if not _found(clone, findings):
            lines, size = _normalised_size(clone.text, clone.first_line, clone.last_line)
            print(f"  missed: {clone.original.path}:{clone.original.line} "
                  f"{clone.original.name} pasted at {clone.path}:{clone.first_line}-"
                  f"{clone.last_line}, {lines} lines, {size} tokens"
                  f"{'' if clone in counted else ' (not counted)'}"
                  f"{'; found with git lines unrefined' if _found(clone, unrefined) else ''}"
                  f"{f'; {failed} in its file' if (failed := _failed(clone, findings)) else ''}")
    return found_counted, len(counted)


def _print_table(table: dict[tuple[str, int, str], tuple[int, int]]) -> None:
    print("\nrecall (long: clones still >= min-lines/min-tokens after normalisation; "
          "short: all)")
    print(f"{'':14}" + "".join(f"{p:>22}" for p in POSITIONS))
    for kind, clone_type in sorted({(k, t) for k, t, _ in table},
                                    key=lambda row: (row[0] != "long", row[1])):
        row = f"{kind} type-{clone_type}"
        cells = []
        for position in POSITIONS:
            found, counted = table[kind, clone_type, position]
            rate = found / counted if counted else 1.0
            mark = "" if rate >= TARGETS[clone_type] else " !"
            cells.append(f"{found}/{counted} {rate:6.1%}{mark}")
        print(f"{row:14}" + "".join(f"{c:>22}" for c in cells))
    print("targets: " + ", ".join(f"type-{t} {r:.0%}" for t, r in TARGETS.items())
          + " in every position; ! marks a cell below its target")


def _compare_with_pylint(injected: list[Injected], corpus: dict[str, bytes],
                         findings: dict[str, list[Finding]], tally: list[int]) -> None:
    for clone in injected:
        for first, last in _pylint_similarities(clone, corpus):
            if any(f.line <= last and first <= f.end_line and f.rule not in CHANGE_WIDE_FAILURES
                   for f in findings[clone.path]):
                tally[0] += 1
            else:
                tally[1] += 1
                _, size = _normalised_size(clone.text, first, last)
                tally[2] += size >= MIN_TOKENS
                print(f"  pylint-only: {clone.path}:{first}-{last}, {size} tokens "
                      f"(from {clone.original.path}::{clone.original.name})")


def _candidates(corpus: dict[str, bytes]) -> tuple[list[Original], list[Original]]:
    """Functions of at least MIN_CODE_LINES code lines, and short whole functions (below
    the block thresholds, at least MIN_DEFINITION_TOKENS of code, not a delegation)."""
    long: list[Original] = []
    short: list[Original] = []
    for path, data in corpus.items():
        if is_example_path(path):
            continue  # examples are written to stand alone: DU reports no copies of them
        try:
            text = data.decode("utf-8")
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if not text.isascii():
            continue  # ast columns are bytes; the renaming below edits by column
        parsed = parse(path, data)
        if not isinstance(parsed, ParsedFile):
            continue
        facts = extract_clone_facts(parsed)
        spans = {(f.line, f.name): f for f in facts.functions}
        lines = text.splitlines()
        for node in _functions_and_methods(tree):
            if not node.end_lineno:
                continue
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            raw = "\n".join(lines[start - 1:node.end_lineno])
            source = textwrap.dedent(raw)
            if not _reparses(source):
                continue
            indent = raw[:len(raw) - len(raw.lstrip(" "))]
            original = Original(path, node.name, source + "\n", start, node.end_lineno, indent)
            span = spans.get((start, node.name))
            if _code_lines(source) >= MIN_CODE_LINES:
                long.append(original)
            elif span is not None and not span.delegates and _is_short_definition(
                    facts, span.first, span.last):
                short.append(original)
    return long, short


def _is_short_definition(facts: CloneFacts, first: int, last: int) -> bool:
    size = region_size(facts, first, last)
    return size >= MIN_DEFINITION_TOKENS and not (
        size >= MIN_TOKENS and region_lines(facts, first, last) >= MIN_LINES)


def _functions_and_methods(tree: ast.Module) -> list[ast.FunctionDef]:
    """Top-level functions and methods, not closures: a closure copied out of its function
    refers to that function's variables, which are free names in the copy (code nobody
    would write); a copy of the enclosing function holds its closures."""
    found: list[ast.FunctionDef] = []
    bodies: list[list[ast.stmt]] = [tree.body]
    while bodies:
        for statement in bodies.pop():
            if isinstance(statement, ast.FunctionDef):
                found.append(statement)
            elif isinstance(statement, ast.ClassDef):
                bodies.append(statement.body)
            elif isinstance(statement, ast.If | ast.Try):
                bodies.extend([statement.body, statement.orelse])
    return found


def _code_lines(source: str) -> int:
    """Lines with code: no blank, comment or docstring lines."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str) and node.end_lineno):
            docstrings.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for number, line in enumerate(source.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#")
               and number not in docstrings)


def _reparses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def _clone_body(original: Original, clone_type: int, rng: random.Random,
                literals: bool) -> str | None:
    if clone_type == 1:
        return original.source
    if clone_type == 2:
        return _renamed(original.source, literals)
    return _edited(original.source, rng)


def _place(bodies: list[tuple[Original, str]], clone_type: int, position: str,
           corpus: dict[str, bytes]) -> tuple[list[Injected], list[FileChange]]:
    """The clones placed at `position`, and the synthetic change holding them."""
    if position == "other-module":
        injected = []
        for index, (original, body) in enumerate(bodies):
            header = (f'"""Synthetic change {index}: a type-{clone_type} clone."""\n\n\n'
                      f"def unrelated_{index}(value):\n    return value\n\n\n")
            first = header.count("\n") + 1
            folder = original.path.rpartition("/")[0]
            path = f"{folder}/clone_{index}.py" if folder else f"clone_{index}.py"
            injected.append(Injected(original, path, first, first + body.count("\n") - 1,
                                     header + body))
        changes = [FileChange(c.path, ChangeStatus.ADDED, c.text.encode()) for c in injected]
        return injected, changes
    by_file: dict[str, list[tuple[Original, str]]] = {}
    for original, body in bodies:
        by_file.setdefault(original.path, []).append((original, body))
    injected = []
    changes = []
    for path, pastes in by_file.items():
        base = corpus[path].decode("utf-8")
        text, spans = _pasted(base, pastes, position == "adjacent")
        changed = _git_added_lines(corpus[path], text.encode())
        placed = [Injected(o, path, first, last, text) for (o, _), (first, last)
                  in zip(pastes, spans, strict=True)]
        injected.extend(placed)
        changes.append(FileChange(path, ChangeStatus.MODIFIED, text.encode(),
                                  base=corpus[path], changed_lines=changed))
    return injected, changes


def _pasted(base: str, pastes: list[tuple[Original, str]], adjacent: bool
            ) -> tuple[str, list[tuple[int, int]]]:
    """`base` with each body pasted right after its original (at the original's
    indentation), or appended at the end; and each paste's first and last line."""
    lines = base.splitlines()
    at = [(o.end_line if adjacent else len(lines), i) for i, (o, _) in enumerate(pastes)]
    out: list[str] = []
    spans: dict[int, tuple[int, int]] = {}
    done = 0
    for after, i in sorted(at):
        original, body = pastes[i]
        out.extend(lines[done:after])
        done = after
        indent = original.indent if adjacent else ""
        out.extend([""] * (1 if indent else 2))
        first = len(out) + 1
        out.extend(textwrap.indent(body, indent).splitlines())
        spans[i] = (first, len(out))
        if adjacent:
            out.append("")
    out.extend(lines[done:])
    return "\n".join(out) + "\n", [spans[i] for i in range(len(pastes))]


def _git_added_lines(base: bytes, head: bytes) -> frozenset[int]:
    """The head lines git's diff reports as added, as the bot receives them: a paste
    next to its original is an ambiguous diff, and git may report the original's lines
    as the new ones (the audit then blames those)."""
    with tempfile.TemporaryDirectory() as scratch:
        before, after = Path(scratch, "base.py"), Path(scratch, "head.py")
        before.write_bytes(base)
        after.write_bytes(head)
        patch = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "-U0",
             str(before), str(after)], capture_output=True, check=False).stdout
    return frozenset(added_lines(patch.decode("utf-8", "replace")))


def _renamed(source: str, literals: bool) -> str:
    """Rename parameters, local names and the function; with `literals`, change string
    and integer literals; each consistently. Edits by position so the layout stays as it
    was."""
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    local = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    local |= {n.id for n in ast.walk(function)
              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local.discard("self")
    local.discard("cls")
    names: dict[str, str] = {}
    values: dict[object, str] = {}
    in_fstring = {id(c) for j in ast.walk(function) if isinstance(j, ast.JoinedStr)
                  for c in ast.walk(j)}
    edits: list[tuple[int, int, int, int, str]] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id in local:
            new = names.setdefault(node.id, f"renamed_{len(names)}")
            edits.append((node.lineno, node.col_offset, node.lineno,
                          node.col_offset + len(node.id), new))
        elif isinstance(node, ast.arg) and node.arg in local:
            new = names.setdefault(node.arg, f"renamed_{len(names)}")
            edits.append((node.lineno, node.col_offset, node.lineno,
                          node.col_offset + len(node.arg), new))
        elif (literals and isinstance(node, ast.Constant) and id(node) not in in_fstring
              and node.end_lineno == node.lineno and node.end_col_offset is not None
              and type(node.value) in (str, int)):
            new = values.setdefault((type(node.value), node.value), repr(
                f"changed_{len(values)}" if isinstance(node.value, str) else 7000 + len(values)))
            edits.append((node.lineno, node.col_offset, node.end_lineno,
                          node.end_col_offset, new))
    lines = source.splitlines()
    for line, start, _, end, new in sorted(edits, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:start] + new + text[end:]
    header = lines[function.lineno - 1]
    lines[function.lineno - 1] = header.replace(f"def {function.name}(",
                                                f"def {function.name}_renamed(", 1)
    return "\n".join(lines) + "\n"


def _edited(source: str, rng: random.Random) -> str | None:
    """Add, remove or change one to three simple one-line statements of the body (drawn
    again until the result parses)."""
    for _ in range(20):
        edited = _edit_once(source, rng)
        if _reparses(edited):
            return edited
    return None  # nothing in it to edit (all compound statements): no type-3 clone of it


def _edit_once(source: str, rng: random.Random) -> str:
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    lines = source.splitlines()
    simple = [node for node in ast.walk(function)
              if isinstance(node, ast.Assign | ast.AugAssign | ast.Expr | ast.Return)
              and node.lineno == node.end_lineno and node.lineno > function.lineno
              and lines[node.lineno - 1][:node.col_offset].isspace()
              and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    if not simple:
        last = function.body[-1]
        indent = " " * last.col_offset
        lines.insert(last.end_lineno or last.lineno, f"{indent}audit_log.append('added')")
        return "\n".join(lines) + "\n"
    chosen = rng.sample(simple, min(len(simple), rng.randint(1, 3)))
    needed = _only_bindings(function)
    for node in sorted(chosen, key=lambda n: n.lineno, reverse=True):
        indent = " " * node.col_offset
        edit = rng.choice(("add", "remove", "change"))
        if id(node) in needed:
            edit = "add"  # without it, the rest reads a name nothing binds: a NameError
        if edit == "remove" and len(_siblings(function, node)) > 1:
            del lines[node.lineno - 1]
        elif edit == "change":
            lines[node.lineno - 1] = f"{indent}audit_log.append(({node.lineno}, 'changed'))"
        else:
            lines.insert(node.lineno, f"{indent}audit_log.append(({node.lineno}, 'added'))")
    return "\n".join(lines) + "\n"


def _only_bindings(function: ast.FunctionDef) -> set[int]:
    """`id()` of the statements that are the one binding of a name the function reads:
    removing or replacing one leaves code nobody would write (its name unbound)."""
    stores: dict[str, list[ast.stmt]] = {}
    for statement in ast.walk(function):
        if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [
                statement.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        stores.setdefault(name.id, []).append(statement)
    read = {n.id for n in ast.walk(function)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return {id(places[0]) for name, places in stores.items()
            if len(places) == 1 and name in read}


def _siblings(function: ast.AST, node: ast.AST) -> list[ast.stmt]:
    for parent in ast.walk(function):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and node in block:
                return block
    return []


def _audit_injected(injected: list[Injected], changes: list[FileChange],
                    corpus: dict[str, bytes], cache: FactsCache) -> dict[str, list[Finding]]:
    """DU and SS201 findings per clone file. A cross-file check that raises (SX008) or
    runs out of budget (SX012) loses every finding of the change, so such a change is
    printed and audited again file by file: only the files it happens on lose theirs."""
    findings: dict[str, list[Finding]] = {c.path: [] for c in injected}
    for finding in _audit(changes, corpus, cache):
        if finding.rule in CHANGE_WIDE_FAILURES and len(changes) > 1:
            for change in changes:
                for one in _audit([change], corpus, cache):
                    _keep(one, findings)
            return findings
        _keep(finding, findings)
    return findings


def _audit(changes: list[FileChange], corpus: dict[str, bytes], cache: FactsCache
           ) -> tuple[Finding, ...]:
    changed = {c.path for c in changes}
    context = {p: d for p, d in corpus.items() if p not in changed}
    result = audit(AuditRequest(changes=tuple(changes), context=context), facts_cache=cache)
    for finding in result.findings:
        if finding.rule in CHANGE_WIDE_FAILURES:
            print(f"  {finding.rule} {finding.path}:{finding.line}: {finding.message} "
                  f"(auditing {len(changes)} file(s))")
    return result.findings


def _keep(finding: Finding, findings: dict[str, list[Finding]]) -> None:
    if finding.path in findings and (finding.rule.startswith("DU")
                                     or finding.rule in CHANGE_WIDE_FAILURES
                                     or finding.rule == SAME_NAME_VERBATIM):
        findings[finding.path].append(finding)


def _found(clone: Injected, findings: dict[str, list[Finding]]) -> bool:
    """A finding overlaps the clone's lines, or names them as the copy: a paste right
    after its identical original is an ambiguous diff, git may report the original's
    lines as the added ones, and the finding then stands there, naming the paste."""
    return any(f.rule not in CHANGE_WIDE_FAILURES and (
        (f.line <= clone.last_line and clone.first_line <= f.end_line)
        or any((r.path, r.line) == (clone.path, clone.first_line) for r in f.related))
        for f in findings[clone.path])


def _failed(clone: Injected, findings: dict[str, list[Finding]]) -> str:
    """The SX008/SX012 notes that cost the clone's file its findings, if any."""
    return ", ".join(sorted({f.rule for f in findings[clone.path]
                             if f.rule in CHANGE_WIDE_FAILURES}))


def _normalised_size(text: str, first: int, last: int) -> tuple[int, int]:
    """Lines and tokens of code on lines first..last as DU measures them against
    min-lines and min-tokens (docstrings, data tables, imports and plain attribute
    assignments do not count)."""
    parsed = parse("clone.py", text.encode())
    assert isinstance(parsed, ParsedFile)
    facts = extract_clone_facts(parsed)
    inside = [i for i, line in enumerate(facts.lines) if first <= line <= last]
    if not inside:
        return 0, 0
    return region_lines(facts, inside[0], inside[-1]), region_size(facts, inside[0], inside[-1])


def _reportable(text: str, first: int, last: int) -> bool:
    lines, size = _normalised_size(text, first, last)
    return lines >= MIN_LINES and size >= MIN_TOKENS


def _pylint_similarities(clone: Injected, corpus: dict[str, bytes]) -> list[tuple[int, int]]:
    """Line ranges (1-based) of the clone file that pylint's checker pairs with the
    original file."""
    symilar = Symilar(min_lines=6, ignore_comments=True, ignore_docstrings=True,
                      ignore_imports=True)
    original = corpus[clone.original.path].decode("utf-8")
    symilar.append_stream(clone.original.path, io.StringIO(original))
    symilar.append_stream(clone.path, io.StringIO(clone.text))
    ranges = []
    for common in symilar._iter_sims():  # the checker's own pairing, before reporting
        for lineset, start, end in ((common.fst_lset, common.fst_file_start,
                                     common.fst_file_end),
                                    (common.snd_lset, common.snd_file_start,
                                     common.snd_file_end)):
            if lineset.name == clone.path:
                ranges.append((int(start) + 1, int(end)))
    return ranges


def _precision(repo: Repo, commits: int) -> None:
    log = repo.git("log", "--no-merges", f"-{commits}", "--format=%H", "--", "*.py")
    hashes = log.decode().split()
    cache: FactsCache = {}
    verified = total = 0
    for commit in hashes:
        try:
            parent = repo.resolve(f"{commit}^")
        except GitError:
            continue
        request = diff_request(repo, parent, commit)
        result = audit(request, facts_cache=cache)
        texts = {c.path: (c.head or b"").decode("utf-8", "replace") for c in request.changes}
        texts.update({p: d.decode("utf-8", "replace") for p, d in request.context.items()})
        for finding in result.findings:
            if not finding.rule.startswith("DU"):
                continue
            total += 1
            blind = finding.rule == "DU302"
            ratio = min(_text_similarity(texts, finding.path, finding.line, finding.end_line,
                                         r.path, r.message, blind) for r in finding.related)
            ok = ratio >= MIN_TEXT_SIMILARITY
            verified += ok
            print(f"  {commit[:10]} {finding.rule} {finding.path}:{finding.line} "
                  f"{'clone' if ok else 'NOT A CLONE'} ({ratio:.0%} alike): {finding.message}")
    precision = verified / total if total else 1.0
    print(f"real commits: {len(hashes)} of {repo.root.name}; {total} findings, {verified} "
          f"verified clones; precision {precision:.1%} (target 95%)")


def _text_similarity(texts: dict[str, str], path: str, first: int, last: int,
                     other_path: str, related_message: str, blind: bool) -> float:
    match = re.search(r"lines (\d+)-(\d+)", related_message)
    if match is None or other_path not in texts:
        return 0.0
    mine = _canonical(texts[path], first, last, blind)
    theirs = _canonical(texts[other_path], int(match[1]), int(match[2]), blind)
    return difflib.SequenceMatcher(None, mine, theirs, autojunk=False).ratio()


def _canonical(text: str, first: int, last: int, blind: bool) -> list[str]:
    """The lexical tokens of lines first..last, comments, docstrings, imports and layout
    dropped, each name or literal replaced by the index of its first occurrence (for a
    near-miss, `blind`: by its token type, as statements added or removed shift those
    indexes)."""
    # Indentation stripped: a region may start deeper than it ends, which the tokenizer
    # would refuse; layout is not compared anyway.
    region = "\n".join(line.strip() for line in text.splitlines()[first - 1:last]) + "\n"
    seen: dict[str, int] = {}
    out: list[str] = []
    statement_start = True
    skipping = False
    for token in _tokens(region):
        if token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            statement_start = True
            skipping = False
            continue
        if token.type in (tokenize.NL, tokenize.COMMENT):
            continue
        if statement_start:
            skipping = token.type == tokenize.STRING or token.string in ("import", "from")
        statement_start = False
        if skipping:
            continue
        if token.type in (tokenize.NAME, tokenize.STRING, tokenize.NUMBER) and not (
                token.type == tokenize.NAME and keyword.iskeyword(token.string)):
            out.append(tokenize.tok_name[token.type] if blind
                       else f"p{seen.setdefault(token.string, len(seen))}")
        elif token.type == tokenize.OP or token.type == tokenize.NAME:
            out.append(token.string)
    return out


def _tokens(source: str) -> Iterable[tokenize.TokenInfo]:
    try:
        yield from tokenize.generate_tokens(io.StringIO(source).readline)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return  # a region cut mid-statement; the tokens read so far are compared


if __name__ == "__main__":
    sys.exit(main())
