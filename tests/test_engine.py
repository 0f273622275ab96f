"""The engine's contract: suppressions, config, changed lines, hostile input."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, Mode, audit
from analyzers.config import AuditConfig, load_config
from analyzers.diff import added_lines
from analyzers.engine import _run_rules
from analyzers.model import Finding, Principle, Severity, SuppressionKind
from analyzers.registry import FILE_RULES
from analyzers.rule import FileRule, Hit
from analyzers.source import ParsedFile, SuppressionComment, _tokenized_suppressions, parse

SWALLOW = "try:\n    run()\nexcept:{comment}\n    pass\n"


def audit_text(text: str, *, changed: frozenset[int] | None = None,
               config: str | None = None, path: str = "app/mod.py") -> AuditResult:
    change = FileChange(path, ChangeStatus.ADDED, text.encode(), changed_lines=changed)
    return audit(AuditRequest(changes=(change,), config_text=config))


def rules(result: AuditResult) -> list[tuple[str, int, bool]]:
    return [(f.rule, f.line, f.suppressed) for f in result.findings]


def test_suppression_with_a_reason_suppresses_and_keeps_the_finding_listed() -> None:
    result = audit_text(SWALLOW.format(comment="  # ssot: ignore[SF101] worker restarts"))
    assert rules(result) == [("SF101", 3, True)]
    assert result.findings[0].suppression is not None
    assert result.findings[0].suppression.kind is SuppressionKind.COMMENT
    assert result.findings[0].suppression.reason == "worker restarts"
    assert result.verdict.value == "GO"
    assert result.stats.suppressed == 1


def test_suppression_without_a_reason_suppresses_nothing() -> None:
    result = audit_text(SWALLOW.format(comment="  # ssot: ignore[SF101]"))
    assert rules(result) == [("SF101", 3, False), ("SX005", 3, False)]
    assert "suppresses nothing" in result.findings[1].message
    assert result.verdict.value == "NO-GO"


def test_unused_and_unknown_suppressions_are_reported() -> None:
    result = audit_text("x = 1  # ssot: ignore[SF101, SF999] old\n")
    messages = [(f.rule, f.message) for f in result.findings]
    assert ("SX006", "`ssot: ignore[SF101]` suppresses nothing on this line") in messages
    assert ("SX006", "`ssot: ignore[SF999]` names no known rule") in messages


def test_suppression_comment_inside_a_string_is_not_a_suppression() -> None:
    text = 'HELP = "write # ssot: ignore[SF101] why"\n' + SWALLOW.format(comment="")
    assert rules(audit_text(text)) == [("SF101", 4, False)]


TRICKY_COMMENTS = [
    'x = "#"  # noqa: E501 the string holds a hash first\n',
    'x = "é # noqa: E1"  # noqa: E2 bytes and characters differ\n',
    'DOC = """\n# noqa: E3 inside a docstring\n"""  # noqa: E4 after it\n',
    'x = ("a"  # noqa: E5 between two pieces\n     "b")\n',
    'x = ("a # noqa: E6"\n     "b")  # noqa: E7\n',
    'x = f"""{1}\n# noqa: E8 in an f-string\n"""\n',
    '@mark("#")  # noqa: E9 on a decorator\ndef f():\n    return "\\"""#"  # noqa: E10\n',
    'match x:\n    case {"#": 1} if y == "#":  # noqa: E11 a case\n        pass\n',
    'x = r"""\\"""  # noqa: E12 a raw escape quote: one string\n"""\n',
    'x = 1\r\ny = 2  # noqa: E13 CRLF\r\n',
]


def test_suppression_comments_are_the_tokenizers_comments() -> None:
    """Suppression comments are read from the lines with a `#` and the string literals of
    the syntax tree, and must be exactly what the tokenizer calls comments: a `#` in a
    string (on one line, in a docstring, in an f-string) is text; a comment between two
    pieces of one implicitly joined string is a comment."""
    for text in TRICKY_COMMENTS:
        parsed = parse("app/mod.py", text.encode())
        assert isinstance(parsed, ParsedFile), text
        assert list(parsed.suppressions.items()) == list(
            _tokenized_suppressions(text).items()), text
    codes = {code for text in TRICKY_COMMENTS
             for comment in parse_suppressions(text) for code in comment.rule_ids}
    assert codes == {"E501", "E2", "E4", "E5", "E7", "E9", "E10", "E11", "E13"}


def parse_suppressions(text: str) -> list[SuppressionComment]:
    parsed = parse("app/mod.py", text.encode())
    assert isinstance(parsed, ParsedFile)
    return list(parsed.suppressions.values())


def test_only_findings_touching_changed_lines_count() -> None:
    text = SWALLOW.format(comment="") + "\nVALUE = 2\n"
    assert rules(audit_text(text, changed=frozenset({6}))) == []
    assert rules(audit_text(text, changed=frozenset({4}))) == [("SF101", 3, False)]


def test_config_severity_off_select_and_ignore() -> None:
    text = SWALLOW.format(comment="")
    off = '[tool.ssot]\nseverity = { SF101 = "off" }\n'
    assert rules(audit_text(text, config=off)) == []
    demoted = audit_text(text, config='[tool.ssot]\nseverity = { SF101 = "warning" }\n')
    assert demoted.findings[0].severity is Severity.WARNING
    assert demoted.verdict.value == "GO"
    assert rules(audit_text(text, config='[tool.ssot]\nignore = ["SF"]\n')) == []
    assert rules(audit_text(text, config='[tool.ssot]\nselect = ["SS"]\n')) == []


def test_bad_config_values_name_the_key_and_line_and_keep_defaults() -> None:
    config_text = (
        "[project]\nname = 'x'\n\n[tool.ssot]\nmax-file-bytes = -3\nselect = ['XX1']\n"
        "exclude = ['gen/**']\n"
    )
    config, problems = load_config(config_text, "pyproject.toml")
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (5, "bad value for `max-file-bytes`"),
        (6, "bad value for `select`"),
    ]
    assert config.max_file_bytes == 1024 * 1024
    assert config.exclude == ("gen/**",)


def test_acceptable_duplicates_need_a_reason() -> None:
    text = "[[tool.ssot.acceptable-duplicates]]\nnames = ['get_env']\n"
    _, problems = load_config(text, "pyproject.toml")
    assert "a non-empty `reason` is required" in problems[0].message
    assert problems[0].line == 1


def test_ssot_toml_uses_top_level_keys() -> None:
    config, problems = load_config("exclude = ['x/**']\n", ".ssot.toml")
    assert problems == []
    assert config.exclude == ("x/**",)


def test_all_mode_counts_every_line() -> None:
    change = FileChange("a.py", ChangeStatus.ADDED, SWALLOW.format(comment="").encode(),
                        changed_lines=frozenset())
    result = audit(AuditRequest(changes=(change,), mode=Mode.ALL))
    assert rules(result) == []  # the caller says which lines count: here none
    whole = FileChange("a.py", ChangeStatus.ADDED, SWALLOW.format(comment="").encode())
    assert rules(audit(AuditRequest(changes=(whole,), mode=Mode.ALL))) == [("SF101", 3, False)]


def test_hostile_input_yields_notes_and_never_raises() -> None:
    cases = {
        "deep_binop.py": ("y = " + " + ".join(f"a{i}" for i in range(10_000))).encode(),
        "deep_unary.py": ("y = " + "-" * 50_000 + "x").encode(),
        "deep_lambda.py": ("y = " + "lambda: " * 20_000 + "x").encode(),
        "deep_attr.py": ("y = x" + ".a" * 20_000).encode(),
        "brackets.py": ("x = " + "[" * 5_000 + "]" * 5_000).encode(),
        "indent.py": "".join(" " * i + "if x:\n" for i in range(150)).encode(),
        "bad_cookie.py": b"# -*- coding: klingon -*-\nx = 1\n",
        "bad_utf8.py": b"x = '\xff\xfe'\n",
        "nul.py": b"x = 1\x00\n",
        "empty.py": b"",
        "bom.py": b"\xef\xbb\xbfx = 1\n",
    }
    changes = tuple(FileChange(p, ChangeStatus.ADDED, d) for p, d in cases.items())
    result = audit(AuditRequest(changes=changes))
    noted = {f.path for f in result.findings if f.rule.startswith("SX")}
    assert noted == set(cases) - {"empty.py", "bom.py"}
    assert result.stats.files_analyzed == len(cases)


def test_unified_diff_hunks_give_head_line_numbers() -> None:
    patch = "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n@@ -10,0 +12,2 @@\n+x\n+y\n\\ No newline\n"
    assert added_lines(patch) == {2, 3, 12, 13}


class _CrashingRule(FileRule):
    """A rule with a bug: it raises on every handler it is shown."""

    id = "SF199"
    name = "crashing-rule"
    principle = Principle.NO_SILENT_FAILURES
    severity = Severity.ERROR
    node_types = (ast.ExceptHandler,)

    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        raise ValueError("a bug in one rule")


def test_a_rule_that_crashes_costs_its_own_findings_only() -> None:
    source = b"try:\n    work()\nexcept:\n    pass\n"
    parsed = parse("app/jobs.py", source)
    assert isinstance(parsed, ParsedFile)
    config = AuditConfig()
    rules = [_CrashingRule(config), *(rule(config) for rule in FILE_RULES)]
    notes: list[Finding] = []
    found = {f.rule for f in _run_rules(rules, parsed, config, notes)}
    assert "SF101" in found  # the bare except: every other rule still audited the file
    assert [(n.rule, n.line) for n in notes] == [("SX008", 3)]
    assert "SF199 raised ValueError" in notes[0].message
