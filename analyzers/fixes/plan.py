"""Which findings can be fixed and how, decided with `ast` and the audit's facts (pure).

`attach_fixes` is the engine's one hook: it plans a `FixTask` per fixable finding, hands
the jobs to the caller's `Fixer` (libcst, in a child process), and puts each fix on its
finding. Whatever cannot be fixed costs an SX010 note that says why, never the finding.
"""

from __future__ import annotations

import ast
import codecs
import keyword
import re
import warnings
from collections import OrderedDict, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from analyzers import paths
from analyzers.baseline import sources_of
from analyzers.fixes import (
    BACKGROUND_TASK_HELPER,
    Fixer,
    FixJob,
    FixTask,
    ImportInstead,
    KeepTask,
    LogException,
    Plan,
    UseName,
)
from analyzers.model import Applicability, Finding, Related
from analyzers.notes import UNAUDITED_NOTES
from analyzers.notes.sx010_no_fix import NoFix
from analyzers.ssot.repo import RepoIndex, is_peripheral

if TYPE_CHECKING:
    from analyzers.registry import Project

FIXABLE_RULES = frozenset({"SS201", "DU303", "SS202", "SS203", "SS204", "SS205",
                           "SF101", "SF102", "SF105", "SF107"})
_VALUE_GETTERS = frozenset({"get", "getenv"})
"""`os.environ.get(...)`, `os.getenv(...)`: reads that only return the value."""


class _Skip(Exception):  # noqa: N818 - a reason to give, not an error
    """The finding gets no fix; the message says why (an SX010 note)."""


class _Quiet(Exception):  # noqa: N818 - nothing to say
    """The finding gets no fix and deserves no note (its fix would not be right)."""


def attach_fixes(findings: Sequence[Finding], project: Project, fixer: Fixer
                 ) -> list[Finding]:
    planner = _Planner(project)
    out = list(findings)
    notes: list[Finding] = []
    tasks: dict[str, list[FixTask]] = defaultdict(list)
    for index, finding in enumerate(findings):
        if finding.suppressed or finding.rule not in FIXABLE_RULES \
                or finding.path not in planner.parsed:
            continue
        try:
            plan, message, applicability = planner.plan(finding)
        except _Quiet:
            continue
        except _Skip as reason:
            notes.append(no_fix_note(finding, str(reason)))
            continue
        tasks[finding.path].append(FixTask(index, plan, message, applicability))
    jobs = [FixJob(path, planner.sources[path], tuple(found)) for path, found in tasks.items()]
    for outcome in fixer(jobs) if jobs else ():
        if outcome.fix is not None:
            out[outcome.finding] = replace(out[outcome.finding], fix=outcome.fix)
        else:
            notes.append(no_fix_note(findings[outcome.finding], outcome.reason))
    if project.config.enabled(NoFix.id):
        out.extend(notes)
    return out


def no_fix_note(finding: Finding, reason: str) -> Finding:
    subject = f" `{finding.subject}`" if finding.subject else ""
    return NoFix.finding(finding.path, finding.line,
                         f"no fix for {finding.rule}{subject}: {reason}")


@dataclass(frozen=True, slots=True)
class _Definition:
    path: str
    name: str
    definition: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True, slots=True)
class _Source:
    tree: ast.Module

    def top_level(self, name: str, line: int | None = None) -> ast.stmt | None:
        for statement in self.tree.body:
            if _binds(statement, name) and (line is None or statement.lineno == line):
                return statement
        return None


KEPT_TREES = 8
"""How many files' trees the planner keeps parsed at once."""
_DEFINITION_START = re.compile(rb"(?:\xef\xbb\xbf)?(?:def|async|class)\b")
"""A line that may start a top-level definition (a UTF-8 BOM before the first)."""
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
              codecs.BOM_UTF32_BE)


class _Planner:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.sources = sources_of(project.request)  # context read only where a fix looks
        unaudited = {f.path for a in project.analyses for f in a.findings
                     if f.rule in UNAUDITED_NOTES}
        self.parsed = {a.path for a in project.analyses} - unaudited
        self.repo = RepoIndex(project)
        self.modules = self.repo.modules
        self.module_map = self.repo.module_map
        self._trees: OrderedDict[str, _Source | None] = OrderedDict()

    def plan(self, finding: Finding) -> tuple[Plan, str, Applicability]:
        if finding.rule in ("SF101", "SF102", "SF105"):
            widen = finding.rule == "SF101"
            return (LogException(finding.line, widen),
                    "log the exception with its traceback (`logger.exception`)"
                    + (" and catch `Exception` instead of everything" if widen else ""),
                    Applicability.UNSAFE)
        if finding.rule == "SF107":
            return (KeepTask(finding.line),
                    f"keep a reference to the task and log its failure "
                    f"(`{BACKGROUND_TASK_HELPER}`)", Applicability.UNSAFE)
        if finding.rule in ("SS201", "DU303"):
            return self._definition(finding)
        if finding.rule in ("SS202", "SS203"):
            return self._constant(finding)
        if finding.rule == "SS205":
            return self._literal(finding)
        return self._env_read(finding)

    # --- definitions ------------------------------------------------------------------

    def _definition(self, finding: Finding) -> tuple[Plan, str, Applicability]:
        new_name = finding.subject
        named = [r for r in finding.related if r.name is not None]
        if new_name is None or not named or not self._may_define(
                finding.path, finding.line, finding.end_line):
            raise _Quiet
        mine = self._tree(finding.path)
        new = mine.top_level(new_name) if mine else None
        if not isinstance(new, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                or not finding.line <= new.lineno <= finding.end_line:
            raise _Quiet  # a method or a nested function: nothing to import it in place of
        existing = self._existing_definition(finding, new, named)
        path, old_name, old = existing.path, existing.name, existing.definition
        if _same(new, old, rename_locals=False) and new_name == old_name:
            applicability = Applicability.SAFE
        elif isinstance(new, ast.ClassDef) or not _same(new, old, rename_locals=True):
            raise _Quiet  # not the same code up to renamed locals: importing changes it
        else:
            applicability = Applicability.UNSAFE
        module = self._importable(finding.path, path)
        alias = f" as {new_name}" if new_name != old_name else ""
        return (ImportInstead(new_name, new.lineno, module, old_name),
                f"import the existing `{old_name}` (`from {module} import {old_name}{alias}`)"
                " instead of defining a copy", applicability)

    # --- constants and values ---------------------------------------------------------

    def _constant(self, finding: Finding) -> tuple[Plan, str, Applicability]:
        name = finding.subject
        if name is None or not finding.related:
            raise _Quiet
        existing = finding.related[0]
        old_name = existing.name
        if old_name is None:
            raise _Quiet
        mine = self._tree(finding.path)
        statement = mine.top_level(name, finding.line) if mine else None
        if statement is None:
            raise _Skip(f"`{name}` is not bound alone by the statement at line {finding.line}")
        module = self._importable(finding.path, existing.path)
        alias = f" as {name}" if name != old_name else ""
        if finding.rule == "SS202":
            message = f"import `{old_name}` (`from {module} import {old_name}{alias}`)"
            applicability = Applicability.SAFE
        else:
            message = (f"import `{old_name}` from {module}, whose value differs "
                       "(this module's value is dropped)")
            applicability = Applicability.UNSAFE
        return ImportInstead(name, finding.line, module, old_name), message, applicability

    def _literal(self, finding: Finding) -> tuple[Plan, str, Applicability]:
        name = finding.subject
        if name is None or not finding.related:
            raise _Quiet
        existing = finding.related[0]
        mine = self._tree(finding.path)
        if mine is None:
            raise _Quiet
        if existing.path == finding.path:
            if existing.line >= finding.line:
                raise _Skip(f"`{name}` is defined after line {finding.line}")
            return (UseName(finding.line, finding.column, name, None, "literal"),
                    f"use `{name}`", Applicability.SAFE)
        module = self._importable(finding.path, existing.path)
        if _bound_otherwise(mine.tree, name, module):
            raise _Skip(f"`{name}` already names something else in {finding.path}")
        return (UseName(finding.line, finding.column, name, module, "literal"),
                f"use `{name}` (`from {module} import {name}`)", Applicability.SAFE)

    def _env_read(self, finding: Finding) -> tuple[Plan, str, Applicability]:
        key = finding.subject
        config_modules = self.project.config.config_modules
        mine = self._tree(finding.path)
        if key is None or not config_modules or mine is None \
                or not _reads_value(mine.tree, finding.line, finding.column):
            raise _Quiet  # `in os.environ`, `setdefault`, `pop`: not a read a name can replace
        for related in finding.related:
            if not paths.matches(related.path, config_modules):
                continue
            tree = self._tree(related.path)
            name = _name_of_read(tree.tree, related.line) if tree else None
            if name is None:
                continue
            module = self._importable(finding.path, related.path)
            if _bound_otherwise(mine.tree, name, module):
                raise _Skip(f"`{name}` already names something else in {finding.path}")
            return (UseName(finding.line, finding.column, name, module, "env read"),
                    f"use `{name}` from {module} (unsafe: the variable is then read once, "
                    "when the config module is imported, not at each call)",
                    Applicability.UNSAFE)
        raise _Quiet

    # --- shared -----------------------------------------------------------------------

    def _existing_definition(self, finding: Finding, new: ast.stmt,
                             named: Sequence[Related]) -> _Definition:
        """The first place the finding names whose top-level definition is the same code
        as `new` up to renamed locals (DU303 lists its copies by place, and a region may
        start before the `def`); `_Skip` when none is."""
        reason = ""
        for related in named:
            assert related.name is not None
            if related.path == finding.path:
                reason = reason or "the existing copy is in the same module"
                continue
            theirs = self._tree(related.path)
            old = theirs.top_level(related.name) if theirs else None
            if not isinstance(old, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                    or old.lineno < related.line:
                reason = reason or (f"`{related.name}` is not a top-level definition of "
                                    f"{related.path}")
                continue
            if _same(new, old, rename_locals=True):
                return _Definition(related.path, related.name, old)
            reason = reason or f"`{related.name}` at {related.path} is not the same code"
        raise _Skip(reason)

    def _may_define(self, path: str, first: int, last: int) -> bool:
        """Whether a top-level definition may start on lines `first..last` of the file:
        one starts its line with `def`, `async` or `class` (no statement can come before
        it on its line). Most copied functions are methods, so this spares parsing their
        files (in the audit's own process, after the rest of the audit). Files in an
        encoding that is not ASCII-compatible (a UTF-16 or UTF-32 BOM) are parsed."""
        data = self.sources.get(path)
        if data is None or data.startswith(_WIDE_BOMS):
            return True
        return any(_DEFINITION_START.match(line)
                   for line in data.splitlines()[max(0, first - 1):last])

    def _tree(self, path: str) -> _Source | None:
        """The file's tree; the last KEPT_TREES stay parsed (findings come by file, and a
        whole tree's trees would hold most of the audit's memory)."""
        if path in self._trees:
            self._trees.move_to_end(path)
            return self._trees[path]
        data = self.sources.get(path)
        tree = None
        if data is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = _Source(ast.parse(data))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
        self._trees[path] = tree
        if len(self._trees) > KEPT_TREES:
            self._trees.popitem(last=False)
        return tree

    def _importable(self, importer: str, path: str) -> str:
        """The module path to import `path` by from `importer`; `_Skip` when there is
        none or the import would close a cycle."""
        name = self.repo.import_name(path)
        parts = name.split(".")
        if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
            raise _Skip(f"{path} is not importable as a module (`{name}`)")
        if is_peripheral(path):
            raise _Skip(f"{path} is a script, test or example, not an importable module")
        folder = path.rpartition("/")[0]
        inside_package = (f"{folder}/__init__.py" in self.module_map.paths) if folder else False
        if not inside_package and len(parts) == 1:
            raise _Skip(f"{path} is a standalone file, not a module of a package")
        tree = self._tree(path)
        if tree is not None and _guards_its_import(tree.tree):
            raise _Skip(f"{path} refuses to be imported in some conditions (a module-level "
                        "`assert` or `raise`, such as a platform check)")
        self._check_cycle(importer, path)
        return name

    def _check_cycle(self, importer: str, path: str) -> None:
        """`_Skip` when `path` imports `importer`, directly or not, or when that cannot
        be ruled out (a module on the way has no import facts)."""
        if importer not in self.modules or path not in self.modules:
            raise _Skip("no import facts to rule out an import cycle")
        seen = {path}
        todo = deque([path])
        while todo:
            current = todo.popleft()
            facts = self.modules.get(current)
            if facts is None:
                raise _Skip(f"cannot rule out an import cycle ({current} was not indexed)")
            for ref in facts.imports:
                for target in self.module_map.resolve(current, ref):
                    if target == importer:
                        raise _Skip(f"{path} imports {importer} (directly or not), so "
                                    "importing from it here would create an import cycle")
                    if target not in seen:
                        seen.add(target)
                        todo.append(target)


def _binds(statement: ast.stmt, name: str) -> bool:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement.name == name
    if isinstance(statement, ast.Assign):
        return len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name) \
            and statement.targets[0].id == name
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and statement.target.id == name \
            and statement.value is not None
    return False


def _same(new: ast.stmt, old: ast.stmt, *, rename_locals: bool) -> bool:
    """Whether two definitions are the same code (their own names aside), optionally
    up to a consistent renaming of parameters and local variables."""
    return _shape(new, rename_locals) == _shape(old, rename_locals)


def _shape(definition: ast.stmt, rename_locals: bool) -> str:
    copy = ast.parse(ast.unparse(definition)).body[0]
    assert isinstance(copy, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    copy.name = "_"
    body = copy.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        copy.body = body[1:] or [ast.Pass()]  # a docstring is not code
    if rename_locals and isinstance(copy, ast.FunctionDef | ast.AsyncFunctionDef):
        local: dict[str, str] = {}
        arguments = copy.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                         *(a for a in (arguments.vararg, arguments.kwarg) if a)):
            argument.arg = local.setdefault(argument.arg, f"_{len(local)}")
        for node in ast.walk(copy):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                node.id = local.setdefault(node.id, f"_{len(local)}")
        for node in ast.walk(copy):
            if isinstance(node, ast.Name) and node.id in local:
                node.id = local[node.id]
            elif isinstance(node, ast.arg) and node.arg in local:
                node.arg = local[node.arg]
    return ast.dump(copy)


def _bound_otherwise(tree: ast.Module, name: str, module: str) -> bool:
    """Whether `name` is bound in the module by anything but `from module import name`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name and not (
                        node.module == module and alias.name == name and not node.level):
                    return True
        elif isinstance(node, ast.Import):
            if any((a.asname or a.name.partition(".")[0]) == name for a in node.names):
                return True
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            if node.id == name:
                return True
        elif isinstance(node, ast.arg) and node.arg == name:
            return True
    return False


def _guards_its_import(tree: ast.Module) -> bool:
    """Whether importing the module can fail by its own choice: a module-level `assert`
    (`assert sys.platform == "win32"`) or `raise`, directly or in a top-level `if`/`try`.
    Importing a name from it would make this module fail where it did not."""
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        statement = todo.pop()
        if isinstance(statement, ast.Assert | ast.Raise):
            return True
        if isinstance(statement, ast.If) and not _is_type_checking(statement.test):
            todo.extend([*statement.body, *statement.orelse])
        elif isinstance(statement, ast.Try):
            todo.extend([*statement.body, *statement.orelse, *statement.finalbody])
            # An `except ImportError: raise ...` names a missing dependency, which this
            # module's importers need anyway; other handlers are the module's choice.
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _reads_value(tree: ast.Module, line: int, column: int) -> bool:
    """Whether an environment read that only returns the value (`os.environ[...]`,
    `os.environ.get(...)`, `os.getenv(...)`) starts at (`line`, `column`)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or (node.lineno, node.col_offset + 1) != (line, column):
            continue
        if isinstance(node, ast.Subscript):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _VALUE_GETTERS:
                return True
    return False


def _name_of_read(tree: ast.Module, line: int) -> str | None:
    """The module-level name that a config module binds to the environment read at
    `line` (`SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")`)."""
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name) \
                and statement.lineno <= line <= (statement.end_lineno or statement.lineno):
            return statement.targets[0].id
    return None

