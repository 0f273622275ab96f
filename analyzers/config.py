"""The audited repository's `[tool.ssot]` table (or a top-level `.ssot.toml`).

Invariant: a bad config never stops an audit. Each unknown key or bad value becomes an
SX007 finding naming the key and its line, and the default applies to that key only.
"""

from __future__ import annotations

import difflib
import enum
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from analyzers.model import Severity
from analyzers.paths import matches

CONFIG_FILES = (".ssot.toml", "pyproject.toml")
"""Where the config is looked for, first found wins."""


class InlineComments(enum.StrEnum):
    """Which findings the App comments on inline, in its pull-request review."""

    FIXABLE = "fixable"
    """Findings with a fix (a suggestion, or a diff to apply)."""
    ERRORS = "errors"
    """Error-level findings."""
    ALL = "all"
    """Every unsuppressed finding that counts (errors, warnings and notices)."""
    OFF = "off"
    """No review: the sticky comment and the check run only."""


class CommentMode(enum.StrEnum):
    """When the App and the Action write the sticky pull-request comment. The check run
    is published whatever this says."""

    ON_FINDINGS = "on-findings"
    """A comment only when the pull request is not clean (`bot.report.is_clean`); a
    comment written earlier is edited to one "all clear" line once it is."""
    ALWAYS = "always"
    """The full report on every pull request, clean or not."""
    NEVER = "never"
    """No comment is created; one written before the setting changed is kept true in
    one line (all clear, or the headline and a pointer to the check run)."""


@dataclass(frozen=True, slots=True)
class AcceptableDuplicate:
    reason: str
    names: tuple[str, ...] = ()
    """Definition or constant names this entry accepts."""
    paths: tuple[str, ...] = ()
    """Globs; a finding is accepted when its path and one related path each match one."""
    rules: tuple[str, ...] = ()
    """Rule ids it applies to; empty means every SS2xx and DU3xx rule."""


@dataclass(frozen=True, slots=True)
class AuditConfig:
    select: tuple[str, ...] = ()
    """Rule ids or id prefixes to run; empty means all."""
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    """Per-rule override; None turns the rule off."""
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 1024 * 1024
    loud_functions: tuple[str, ...] = ()
    """Extra functions whose call makes an exception handler loud (qualified or bare)."""
    config_modules: tuple[str, ...] = ()
    max_neighbours: int = 200
    index_max_files: int = 20_000
    real_test_paths: tuple[str, ...] = ("tests/integration/**", "tests/e2e/**")
    critical_values: Mapping[str, str] = field(default_factory=dict)
    """Constant name -> the one module (path glob) allowed to define it."""
    acceptable_duplicates: tuple[AcceptableDuplicate, ...] = ()
    min_lines: int = 6
    min_tokens: int = 50
    min_similarity: float = 0.8
    rule_of_two: bool = True
    test_duplicates_severity: Severity | None = Severity.WARNING
    audit_drafts: bool = False
    inline_comments: InlineComments = InlineComments.FIXABLE
    comment: CommentMode = CommentMode.ON_FINDINGS
    suppressible: tuple[str, ...] | None = None
    """Rule ids or prefixes that code comments may suppress; None means every rule."""
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(path glob, rule ids or prefixes) pairs: those rules are not run on those paths."""
    baseline: str | None = None
    """A baseline file (`ssot-bot audit --write-baseline`) whose findings are not reported."""

    def enabled(self, rule_id: str, *, opt_in: bool = False) -> bool:
        """Whether `rule_id` runs. An `opt_in` rule runs only when the config names it:
        by its full id in `select`, or with a level in `severity`."""
        if opt_in and rule_id not in self.select and self.severity.get(rule_id) is None:
            return False
        if self.select and not any(rule_id.startswith(s) for s in self.select):
            return False
        if any(rule_id.startswith(i) for i in self.ignore):
            return False
        return not (rule_id in self.severity and self.severity[rule_id] is None)

    def ignored_at(self, rule_id: str, path: str) -> bool:
        """Whether `per-file-ignores` leaves `rule_id` out on `path`."""
        return any(rule_id.startswith(prefix) for pattern, prefixes in self.per_file_ignores
                   if matches(path, [pattern]) for prefix in prefixes)

    def may_suppress(self, rule_id: str) -> bool:
        return self.suppressible is None or any(rule_id.startswith(s)
                                                for s in self.suppressible)



@dataclass(frozen=True, slots=True)
class ConfigProblem:
    message: str
    line: int
    fatal: bool = False
    """True when the file could not be read at all (TOML syntax error)."""
    suggestion: str = ""
    """What to write instead, for this problem's key."""


_RULE_ID = re.compile(r"^(SF|SS|DU|SX)[0-9]{0,3}$")

Validator = Callable[[Any], Any]


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _rule_ids(value: Any) -> tuple[str, ...]:
    ids = tuple(v.upper() for v in _string_list(value))
    bad = [i for i in ids if not _RULE_ID.match(i)]
    if bad:
        raise ValueError(f"not a rule id or prefix: {', '.join(bad)}")
    return ids


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError("expected a number greater than 0 and at most 1")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _level(value: Any) -> Severity | None:
    if value == "off":
        return None
    try:
        return Severity(value)
    except ValueError:
        raise ValueError('expected "error", "warning", "notice" or "off"') from None


def _severities(value: Any) -> dict[str, Severity | None]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { SF103 = "error" }')
    out: dict[str, Severity | None] = {}
    for rule_id, level in value.items():
        if not re.match(r"^(SF|SS|DU|SX)[0-9]{3}$", rule_id.upper()):
            raise ValueError(f"not a rule id: {rule_id}")
        out[rule_id.upper()] = _level(level)
    return out


def _inline_comments(value: Any) -> InlineComments:
    try:
        return InlineComments(value)
    except ValueError:
        raise ValueError('expected "fixable", "errors", "all" or "off"') from None


def _comment_mode(value: Any) -> CommentMode:
    try:
        return CommentMode(value)
    except ValueError:
        raise ValueError('expected "on-findings", "always" or "never"') from None


def _critical_values(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('expected a table such as { API_URL = "app/config.py" }')
    return dict(value)


def _per_file_ignores(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ValueError('expected a table such as { "tests/**" = ["SF"] }')
    return tuple((pattern, _rule_ids(ids)) for pattern, ids in value.items())


def _relative_path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or value.startswith("/"):
        raise ValueError("expected a path relative to the repository root")
    return value


def _acceptable(value: Any) -> tuple[AcceptableDuplicate, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("expected an array of tables ([[tool.ssot.acceptable-duplicates]])")
    entries = []
    for number, entry in enumerate(value, 1):
        unknown = set(entry) - {"reason", "names", "paths", "rules"}
        if unknown:
            raise ValueError(f"entry {number}: unknown key {sorted(unknown)[0]!r}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"entry {number}: a non-empty `reason` is required")
        names = _string_list(entry.get("names", []))
        paths = _string_list(entry.get("paths", []))
        if not names and not paths:
            raise ValueError(f"entry {number}: give `names` or `paths`")
        rules = _rule_ids(entry.get("rules", []))
        entries.append(AcceptableDuplicate(reason.strip(), names, paths, rules))
    return tuple(entries)


_KEYS: dict[str, tuple[str, Validator]] = {
    "select": ("select", _rule_ids),
    "ignore": ("ignore", _rule_ids),
    "severity": ("severity", _severities),
    "exclude": ("exclude", _string_list),
    "max-file-bytes": ("max_file_bytes", _positive_int),
    "loud-functions": ("loud_functions", _string_list),
    "config-modules": ("config_modules", _string_list),
    "max-neighbours": ("max_neighbours", _positive_int),
    "index-max-files": ("index_max_files", _positive_int),
    "real-test-paths": ("real_test_paths", _string_list),
    "critical-values": ("critical_values", _critical_values),
    "acceptable-duplicates": ("acceptable_duplicates", _acceptable),
    "min-lines": ("min_lines", _positive_int),
    "min-tokens": ("min_tokens", _positive_int),
    "min-similarity": ("min_similarity", _fraction),
    "rule-of-two": ("rule_of_two", _boolean),
    "test-duplicates-severity": ("test_duplicates_severity", _level),
    "audit-drafts": ("audit_drafts", _boolean),
    "inline-comments": ("inline_comments", _inline_comments),
    "comment": ("comment", _comment_mode),
    "suppressible": ("suppressible", _rule_ids),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "baseline": ("baseline", _relative_path),
}
KNOWN_KEYS = tuple(_KEYS)
_EXAMPLES = {
    "select": 'select = ["SF", "SS201"]',
    "ignore": 'ignore = ["SF103"]',
    "severity": 'severity = { SF108 = "error", DU302 = "off" }',
    "exclude": 'exclude = ["migrations/**", "*_pb2.py"]',
    "max-file-bytes": "max-file-bytes = 2097152",
    "loud-functions": 'loud-functions = ["app.errors.report"]',
    "config-modules": 'config-modules = ["app/settings.py"]',
    "max-neighbours": "max-neighbours = 200",
    "index-max-files": "index-max-files = 20000",
    "real-test-paths": 'real-test-paths = ["tests/integration/**"]',
    "critical-values": '[tool.ssot.critical-values]\nAPI_BASE_URL = "app/config.py"',
    "acceptable-duplicates": '[[tool.ssot.acceptable-duplicates]]\nnames = ["load"]\n'
                             'reason = "why the copy is deliberate"',
    "min-lines": "min-lines = 6",
    "min-tokens": "min-tokens = 50",
    "min-similarity": "min-similarity = 0.8",
    "rule-of-two": "rule-of-two = true",
    "test-duplicates-severity": 'test-duplicates-severity = "warning"',
    "audit-drafts": "audit-drafts = false",
    "inline-comments": 'inline-comments = "fixable"',
    "comment": 'comment = "on-findings"',
    "suppressible": 'suppressible = ["SS", "DU"]',
    "per-file-ignores": '[tool.ssot.per-file-ignores]\n"tests/**" = ["SF"]',
    "baseline": 'baseline = ".ssot-baseline.json"',
}
"""One valid setting per key, offered with each problem about that key."""


def load_config(text: str | None, path: str) -> tuple[AuditConfig, list[ConfigProblem]]:
    """Read the config from a file's text; `path` tells `.ssot.toml` (top-level keys)
    from `pyproject.toml` (the `[tool.ssot]` table)."""
    if not text:
        return AuditConfig(), []
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        return AuditConfig(), [ConfigProblem(f"{path} is not valid TOML: {exc}", line, True,
                                             "fix the TOML syntax at that line")]
    except (RecursionError, MemoryError):
        return AuditConfig(), [ConfigProblem(
            f"{path} is nested too deeply to read", 1, True,
            "flatten the nested arrays or tables")]
    if path.rsplit("/", 1)[-1] == ".ssot.toml":
        table: Any = document
    else:
        table = document.get("tool", {}).get("ssot", {})
    if not isinstance(table, dict):
        return AuditConfig(), [ConfigProblem("[tool.ssot] must be a table", 1)]
    config = AuditConfig()
    problems: list[ConfigProblem] = []
    for key, value in table.items():
        line = line_of_key(text, path, key)
        if key not in _KEYS:
            hint = _closest(key)
            problems.append(
                ConfigProblem(
                    f"unknown key `{key}` in the ssot config"
                    + (f" (did you mean `{hint}`?)" if hint else ""),
                    line,
                    suggestion=_EXAMPLES[hint] if hint else "see the README's Configuration"
                    " section for the keys",
                )
            )
            continue
        attribute, validate = _KEYS[key]
        try:
            config = replace(config, **{attribute: validate(value)})
        except ValueError as exc:
            problems.append(ConfigProblem(f"bad value for `{key}`: {exc}; default used", line,
                                          suggestion=_EXAMPLES[key]))
    return config, problems


_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")


def line_of_key(text: str, path: str, key: str) -> int:
    """The line where `key` is set in the ssot config: inside `[tool.ssot]` (and its
    sub-tables) of a pyproject.toml, never a namesake in another tool's table; 1 when it
    cannot be found."""
    own_file = path.rsplit("/", 1)[-1] == ".ssot.toml"
    assignment = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    inside = own_file
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE_HEADER.match(line)
        if header is not None:
            table = header.group(1).replace(" ", "")
            if table in (f"tool.ssot.{key}", key if own_file else f"tool.ssot.{key}"):
                return number
            inside = (table == "tool.ssot") if not own_file else False
            continue
        if inside and assignment.match(line):
            return number
    return 1


def _closest(key: str) -> str | None:
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
    return close[0] if close else None

