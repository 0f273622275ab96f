from __future__ import annotations

import re
from collections.abc import Iterator

from analyzers import paths
from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.index import LOCAL_PREFIX, Definition
from analyzers.ssot.repo import ChangedModule, RepoIndex, is_peripheral, same_role

CONVENTIONAL_NAMES = frozenset({
    "main", "setup", "teardown", "setup_module", "teardown_module", "setup_function",
    "teardown_function", "load_tests", "run", "cli",
})
"""Entry points every script or module may define for its own runner."""
MIN_COPIED_LINES = 4
CONVENTION_DEFINITIONS = 3


class DuplicateDefinition(RuleMeta):
    """
    What it does:
        Flags a new top-level function or class whose name is already defined at the top
        level of another module.

    Why is this bad?
        Two definitions of one name are two truths: callers pick one at random, fixes
        land in one copy, and the copies drift. Search first, create second.

    Known limits:
        A verbatim copy of a whole function or class (or one identical up to consistent
        renaming of its parameters and locals) is an error even with one existing copy;
        a same-named definition with a different body is a warning. Not flagged:
        implementations of a name declared as an interface elsewhere (an empty-bodied
        hook specification or abstract stub), names three or more modules define
        differently (a plugin convention), modules of one family (the same file name in
        sibling folders of one parent, twins such as `async_client.py`; namesake folders
        elsewhere, `shipping/utils/` and `billing/utils/`, are no family), pytest fixtures,
        a copy in a module that imports the original under another name (it keeps both
        on purpose), places in standalone files (nothing imports them and they are in
        no package: scripts, examples, type-checker fixtures), and test helpers, unless
        a verbatim copy of one another module imports. Short copies of one-word names
        (`run`, `parse`) count only from four lines up. Two copies that are both new
        (in `--all` mode, every pair) are reported once, at the one that is not the
        original: production code before tests, then a config or constants module, then
        the earlier path is the original, so the later path is told to import it. When
        the original lives in a folder that is not a Python name (`typing-examples/`),
        the advice says it cannot be imported.

    Example:
        # app/billing.py, new
        def get_env(name: str) -> str:
            return os.environ[name]

    Use instead:
        from app.config import get_env
    """

    id = "SS201"
    name = "duplicate-definition"
    principle = Principle.SEARCH_FIRST
    severity = Severity.ERROR


def find(repo: RepoIndex) -> Iterator[Finding]:
    for module in repo.changed:
        for definition in module.facts.definitions:
            if not module.touches(definition.line) or not _may_clash(definition):
                continue
            if repo.in_family(module.path, definition.name):
                continue
            others = [(path, other) for path, other in repo.definitions.get(definition.name, ())
                      if path != module.path]
            existing = [(path, other) for path, other in others
                        if _copy(repo, module, definition, path, other)]
            copied = bool(existing)
            if not copied:
                if any(other.stub for _, other in others):
                    continue  # implementations of one declared interface (a hook spec)
                existing = [
                    (path, other) for path, other in others
                    if _same_concept(module.path, definition, path, other)
                    and (definition.kind != "class"
                         or _same_bases(repo, module.path, definition, path, other))
                    and not repo.parallel(module.path, path)
                    and not repo.in_family(path, definition.name)
                ]
                if _is_plugin_convention(module.path, definition, others):
                    continue
            existing = [(path, other) for path, other in existing
                        if not repo.standalone(path)
                        and not _imports_it(repo, module.path, path, definition.name)
                        and repo.older_or_original(path, other, module.path)]
            if not existing or module.existed_before(definition.name):
                continue  # last: it parses the base version
            ranked = repo.canonical_order(existing)
            path, canonical = ranked[0]
            where = f"{path}:{canonical.line}"
            same_text = canonical.fingerprint == definition.fingerprint
            finding = repo.finding(
                DuplicateDefinition,
                module.path,
                definition,
                f"`{definition.name}` already exists at {where}"
                + ("" if not copied else " with the same body" if same_text
                   else " with the same body up to renamed variables")
                + "; this is a second definition of it",
                f"{repo.reuse(path, definition.name)}, or rename this one if it means "
                "something else",
                [Related(p, d.line, f"existing {d.kind} `{d.name}`", d.name) for p, d in ranked],
                definition.name,
                # A same-named definition with a different body is a warning: in the
                # precision study every verbatim copy was a real duplicate, but same names
                # with different bodies were as often two things that share a name (hooks,
                # per-resource filters).
                severity=None if copied else Severity.WARNING,
            )
            yield finding


def _copy(repo: RepoIndex, module: ChangedModule, new: Definition, path: str,
          other: Definition) -> bool:
    """Whether `new` is a copy of `other`: the same kind with the same body (up to
    consistently renamed locals), substantial or shared enough that the copy cannot be a
    coincidence. A test helper counts when the original is imported by another module
    (or was imported by this one before the change): then it is a shared helper, and
    the copy is a second truth, tests or not."""
    if other.stub or other.wraps or other.kind != new.kind or same_role(module.path, path):
        return False  # a family's modules mirror each other by design, even verbatim
    if other.fingerprint != new.fingerprint and (not new.shape or other.shape != new.shape):
        return False
    imported = repo.imported(path, new.name) or _imported_before(repo, module, path, new.name)
    if paths.is_test_path(path):
        return paths.is_test_path(module.path) and imported
    if is_peripheral(path) or (is_peripheral(module.path)
                               and not paths.is_test_path(module.path)):
        return False  # examples, docs and scripts restate code on purpose
    return new.body_lines >= MIN_COPIED_LINES or _compound(new.name) or imported


def _imports_it(repo: RepoIndex, new_path: str, path: str, name: str) -> bool:
    """The new module itself imports the other definition (under another name, or
    lazily): it keeps both on purpose, e.g. a test of what happens when two classes
    share a name."""
    return any(name in ref.names and path in repo.module_map.resolve(new_path, ref)
               for ref in repo.modules[new_path].imports)


def _imported_before(repo: RepoIndex, module: ChangedModule, path: str, name: str) -> bool:
    base = module.base_facts
    return base is not None and any(
        name in ref.names and path in repo.module_map.resolve(module.path, ref)
        for ref in base.imports
    )


def _may_clash(definition: Definition) -> bool:
    name = definition.name
    return not (
        definition.stub
        or definition.wraps
        or definition.fixture
        or name in CONVENTIONAL_NAMES
        or (name.startswith("__") and name.endswith("__"))
    )


def _same_concept(new_path: str, new: Definition, path: str, other: Definition) -> bool:
    """Whether `other` is a definition a reviewer would say `new` should have reused."""
    if other.stub or other.wraps or other.kind != new.kind:
        return False
    if is_peripheral(path):
        return False  # nobody is told to import from tests or examples
    if is_peripheral(new_path) and not paths.is_test_path(new_path):
        return False  # docs, examples and scripts restate code on purpose
    if not _compound(new.name):
        return False  # `Parser`, `Point`: common words recur by chance (copies aside)
    if same_role(new_path, path):
        return False  # parallel modules implement one interface by design
    if is_peripheral(new_path):
        return False  # tests and examples restate names on purpose; verbatim copies aside
    if new.name.startswith("_"):
        return False  # private helpers are local unless copied verbatim
    return _may_share_callers(new, other)


def _same_bases(repo: RepoIndex, new_path: str, new: Definition, path: str,
                other: Definition) -> bool:
    """Same-named classes on different bases are different things (the model and the
    form `FileField`); on the same bases, one concept written twice. Verbatim copies
    count whatever their bases."""
    if new.fingerprint == other.fingerprint:
        return True
    mine = _qualified_bases(repo, new_path, new)
    return bool(mine) and "?" not in mine and mine == _qualified_bases(repo, path, other)


def _qualified_bases(repo: RepoIndex, path: str, definition: Definition) -> tuple[str, ...]:
    module = repo.import_name(path)
    return tuple(
        f"{module}.{base.removeprefix(LOCAL_PREFIX)}" if base.startswith(LOCAL_PREFIX)
        else base
        for base in definition.bases
    )


def _may_share_callers(new: Definition, other: Definition) -> bool:
    """Functions that take entirely different parameters are different things that
    happen to share a name (`import_object(modname, objpath)` and
    `import_object(object_name)`, `get_script_prefix(scope)` and `get_script_prefix()`);
    a re-implementation keeps at least one parameter, or has none like the original."""
    if new.kind != "function":
        return True
    ignored = {"self", "cls", "args", "kwargs"}
    mine, theirs = set(new.params) - ignored, set(other.params) - ignored
    return bool(mine & theirs) or not (mine or theirs)


def _is_plugin_convention(new_path: str, new: Definition,
                          existing: list[tuple[str, Definition]]) -> bool:
    """The name is a convention, not one thing: two or more modules of the same folder
    define it (a command per module, a migration per module), or three or more modules
    anywhere define it differently (`get_parser` of each command-line tool)."""
    folder = new_path.rpartition("/")[0]
    if sum(1 for path, _ in existing if path.rpartition("/")[0] == folder) >= 2:
        return True
    different = {d.fingerprint for _, d in existing if d.fingerprint != new.fingerprint}
    return len(different) >= CONVENTION_DEFINITIONS


_HUMP = re.compile(r"[A-Z][a-z0-9]+")


def _compound(name: str) -> bool:
    """`get_env`, `SessionStore`: a name made of several words names one specific thing."""
    bare = name.strip("_")
    return "_" in bare or len(_HUMP.findall(bare)) >= 2
