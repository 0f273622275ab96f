from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.index import EnvRead
from analyzers.ssot.repo import RepoIndex, is_config_module, is_peripheral

STANDARD_VARIABLES = frozenset({
    "PATH", "PATHEXT", "HOME", "HOMEDRIVE", "HOMEPATH", "USERPROFILE", "USER", "USERNAME",
    "LOGNAME", "SHELL", "TERM", "COLORTERM", "COLUMNS", "LINES", "LANG", "LANGUAGE",
    "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "TEMP", "TMP", "PWD", "EDITOR",
    "VISUAL", "PAGER", "SYSTEMROOT", "COMSPEC", "APPDATA", "LOCALAPPDATA", "NO_COLOR",
    "FORCE_COLOR", "CI", "SOURCE_DATE_EPOCH", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "PYTHONPATH", "PYTHONHOME",
    "VIRTUAL_ENV", "COMP_WORDS", "COMP_CWORD", "COMP_LINE", "COMP_POINT",
})
"""Variables the operating system, the shell or a cross-tool standard defines: they
describe the machine and the terminal the program runs on (or are a protocol's input, as
`COMP_WORDS` is for shell completion), so no module of the program owns them."""


class EnvReadOutsideConfig(RuleMeta):
    """
    What it does:
        Flags a read of the process environment (`os.environ[...]`, `os.environ.get`,
        `os.getenv`, `os.environ.setdefault`, `"X" in os.environ`, ...) outside the
        config modules. Once `config-modules` is declared, every read outside them is an
        error. Until then a module named `config.py`, `_config.py`, `settings.py` or
        `conf.py` is a config module, and only a second truth is flagged (a warning): a
        variable that another module of the project reads too.

    Why is this bad?
        Configuration read all over the code base has no single place that says which
        variables exist, what their defaults are, or how they are parsed; two readers of
        one variable soon disagree on the default.

    Known limits:
        Without `config-modules` a variable read in one module only is not flagged: a
        library whose environment variables are its documented interface reads each in
        the one place that implements it. Also never flagged without `config-modules`:
        reads whose variable name is computed, variables the OS, shell or a standard
        defines (`PATH`, `HOME`, `TERM`, `LANG`, `NO_COLOR`, `COMP_WORDS`), and tests,
        examples, docs and scripts (tests set and restore variables to test the
        feature). A discarded `setdefault`/`pop` result writes the environment for
        someone else and is never a read. Two reads on one line of the same
        (computed) variable are one finding.

    Example:
        # app/mailer.py (app/config.py reads SMTP_HOST too)
        SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")

    Use instead:
        from app.config import settings

        smtp_host = settings.smtp_host
    """

    id = "SS204"
    name = "env-read-outside-config"
    principle = Principle.CONFIGURATION_SSOT
    severity = Severity.ERROR


def find(repo: RepoIndex) -> Iterator[Finding]:
    config_modules = repo.config.config_modules
    declared = bool(config_modules)
    readers = {} if declared else _readers(repo)
    for module in repo.changed:
        if is_config_module(module.path, config_modules):
            continue
        if not declared and is_peripheral(module.path):
            continue
        reported: set[tuple[int, str, str | None]] = set()
        for read in module.facts.env_reads:
            once = (read.line, read.function, read.key)
            if read.writes or once in reported or not module.touches(read.line, read.end_line):
                continue
            if not declared and len(readers.get(read.key or "", ())) < 2:
                continue  # one module reads it: that module is its single source
            reported.add(once)
            what = f"`{read.function}` of `{read.key}`" if read.key else f"`{read.function}`"
            related = _canonical_reads(repo, module.path, read, config_modules, declared)
            if declared:
                message = f"{what} reads the environment outside the config modules"
                suggestion = (
                    "read it once in a config module ("
                    + ", ".join(f"`{m}`" for m in config_modules)
                    + ") and import the value from there"
                )
            else:
                message = (f"{what} reads the environment here and in "
                           f"{_plural(len(readers[read.key or '']) - 1, 'other module')}")
                suggestion = (
                    "read it once in a config module and import the value from there; list "
                    "that module in `[tool.ssot] config-modules` to make this an error"
                )
            yield repo.finding_at(
                EnvReadOutsideConfig, module.path, read.line, read.column, read.end_line,
                message, suggestion, related, read.key,
                # Without declared config modules there is no canonical place yet.
                None if declared else Severity.WARNING,
            )


def _readers(repo: RepoIndex) -> dict[str, set[str]]:
    """Variable name -> the project modules (not tests, examples or scripts) that read it;
    computed and standard variables left out."""
    readers: dict[str, set[str]] = defaultdict(set)
    for path, facts in repo.modules.items():
        if is_peripheral(path):
            continue
        for read in facts.env_reads:
            if read.key is not None and not read.writes and read.key not in STANDARD_VARIABLES:
                readers[read.key].add(path)
    return readers


def _canonical_reads(repo: RepoIndex, path: str, read: EnvRead,
                     config_modules: tuple[str, ...], declared: bool) -> list[Related]:
    """Other places that read the same variable, config modules first."""
    if read.key is None:
        return []
    places = [
        (other_path, other) for other_path, facts in repo.modules.items()
        if other_path != path and (declared or not is_peripheral(other_path))
        for other in facts.env_reads if other.key == read.key and not other.writes
    ]
    places.sort(key=lambda p: (not is_config_module(p[0], config_modules), p[0], p[1].line))
    return [Related(p, r.line, f"also reads `{read.key}`") for p, r in places]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
