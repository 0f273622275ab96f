"""The verdict cannot be dodged (issue 10, part 1): a changed file the audit could not
read blocks the merge, and a config that cannot say what it means says so."""

from __future__ import annotations

import sys
from pathlib import Path

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from analyzers.config import _EXAMPLES, KNOWN_KEYS, CommentMode, InlineComments, load_config
from analyzers.model import Severity
from tests.fixture_repos import changed_lines
from tests.gitrepo import GitRepo, run_audit

SWALLOWS = "def load():\n    try:\n        return read()\n    except:\n        pass\n"


def audit_modified(head: str, *, base: str = SWALLOWS, config: str | None = None
                   ) -> AuditResult:
    change = FileChange("app/mod.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    return audit(AuditRequest(changes=(change,), config_text=config))


def findings(result: AuditResult) -> list[tuple[str, str]]:
    return [(f.rule, f.severity.value) for f in result.findings]


def test_a_long_but_valid_expression_is_audited_not_skipped() -> None:
    head = "def load():\n    try:\n        return read()\n    except:\n        pass\n" \
           "TOTAL = " + " + ".join(["0"] * 600) + "\n"
    result = audit(AuditRequest(changes=(
        FileChange("app/mod.py", ChangeStatus.ADDED, head.encode()),)))
    assert ("SF101", "error") in findings(result)
    assert result.verdict.value == "NO-GO"


def test_an_expression_beyond_the_parsers_limit_blocks() -> None:
    head = SWALLOWS + "TOTAL = " + " + ".join(["0"] * 20_000) + "\n"
    result = audit_modified(head)
    assert findings(result) == [("SX004", "error")]
    assert result.verdict.value == "NO-GO"


def test_padding_a_file_past_max_file_bytes_blocks() -> None:
    head = SWALLOWS + "#" + "x" * (1024 * 1024) + "\n"
    result = audit_modified(head)
    assert findings(result) == [("SX003", "error")]
    assert "max-file-bytes" in result.findings[0].message
    assert result.verdict.value == "NO-GO"


def test_syntax_this_python_cannot_parse_blocks_and_names_the_python() -> None:
    newer = "type Alias = int\n" if sys.version_info < (3, 12) else "def broken(:\n"
    result = audit_modified(SWALLOWS + newer)
    assert findings(result) == [("SX001", "error")]
    version = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    assert version in result.findings[0].message
    assert result.verdict.value == "NO-GO"


def test_undecodable_and_unreadable_changed_files_block() -> None:
    binary = FileChange("app/blob.py", ChangeStatus.ADDED, b"\x00\x01")
    missing = FileChange("app/gone.py", ChangeStatus.MODIFIED, None, b"x = 1\n")
    result = audit(AuditRequest(changes=(binary, missing)))
    assert findings(result) == [("SX002", "error"), ("SX009", "error")]
    assert result.verdict.value == "NO-GO"


def test_a_repository_may_let_unaudited_files_pass_but_not_hide_them() -> None:
    padded = SWALLOWS.replace("except:\n        pass", "except:\n        raise") \
        + "#" + "x" * (1024 * 1024) + "\n"
    relaxed = audit_modified(padded, config='[tool.ssot]\nseverity = { SX003 = "warning" }\n')
    assert findings(relaxed) == [("SX003", "warning")]
    assert relaxed.verdict.value == "GO"
    hidden = audit_modified(padded, config='[tool.ssot]\nseverity = { SX003 = "off" }\n')
    assert ("SX003", "error") in findings(hidden)
    assert any(f.rule == "SX007" and "cannot be turned off" in f.message
               for f in hidden.findings)
    assert hidden.verdict.value == "NO-GO"


def test_rule_ids_that_name_no_rule_are_reported_with_their_key() -> None:
    config = "[tool.ruff.lint]\nselect = ['E']\n\n[tool.ssot]\nignore = ['SF999', 'SS']\n"
    result = audit_modified(SWALLOWS + "X = 1\n", config=config)
    notes = [f for f in result.findings if f.rule == "SX007"]
    assert [(n.line, n.message) for n in notes] == [
        (5, "`ignore` names no known rule: SF999; those entries do nothing")]


def test_config_problems_name_the_line_inside_the_ssot_table_only() -> None:
    text = "[tool.ruff.lint]\nselect = 3\n\n[tool.ssot]\nmin-lines = 'six'\nselect = 3\n"
    _, problems = load_config(text, "pyproject.toml")
    assert [(p.line, p.suggestion) for p in problems] == [
        (5, "min-lines = 6"), (6, 'select = ["SF", "SS201"]')]


def test_inline_comments_takes_one_of_its_four_values() -> None:
    config, problems = load_config('[tool.ssot]\ninline-comments = "all"\n', "pyproject.toml")
    assert (config.inline_comments, problems) == (InlineComments.ALL, [])
    config, problems = load_config('[tool.ssot]\ninline-comments = "some"\n',
                                   "pyproject.toml")
    assert config.inline_comments is InlineComments.FIXABLE
    assert [(p.line, p.suggestion) for p in problems] == [(2, 'inline-comments = "fixable"')]
    assert '"fixable", "errors", "all" or "off"' in problems[0].message


def test_comment_takes_one_of_its_three_values_and_defaults_to_on_findings() -> None:
    assert load_config(None, "pyproject.toml")[0].comment is CommentMode.ON_FINDINGS
    config, problems = load_config('[tool.ssot]\ncomment = "always"\n', "pyproject.toml")
    assert (config.comment, problems) == (CommentMode.ALWAYS, [])
    config, problems = load_config('[tool.ssot]\ncomment = "sometimes"\n', "pyproject.toml")
    assert config.comment is CommentMode.ON_FINDINGS
    assert [(p.line, p.suggestion) for p in problems] == [(2, 'comment = "on-findings"')]
    assert '"on-findings", "always" or "never"' in problems[0].message
    _, problems = load_config('[tool.ssot]\ncomments = "never"\n', "pyproject.toml")
    assert [p.suggestion for p in problems] == ['comment = "on-findings"']


def test_every_key_has_its_own_example() -> None:
    assert set(_EXAMPLES) == set(KNOWN_KEYS)


def test_deeply_nested_toml_is_a_problem_not_a_crash() -> None:
    text = "[tool.ssot]\nexclude = " + "[" * 100_000 + "]" * 100_000 + "\n"
    config, problems = load_config(text, "pyproject.toml")
    assert problems and problems[0].fatal
    assert config.max_file_bytes == 1024 * 1024


def test_severity_applies_to_engine_notes() -> None:
    text = "x = 1  # ssot: ignore[SF102] old\n"
    change = FileChange("app/mod.py", ChangeStatus.ADDED, text.encode())
    config = '[tool.ssot]\nseverity = { SX006 = "error" }\n'
    result = audit(AuditRequest(changes=(change,), config_text=config))
    assert [(f.rule, f.severity) for f in result.findings] == [("SX006", Severity.ERROR)]


def test_cli_blocks_a_push_that_pads_a_file_past_the_limit(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"app/__init__.py": "", "app/mod.py": "X = 1\n"})
    repo.commit("pad", {"app/mod.py": SWALLOWS + "#" + "x" * (1024 * 1024) + "\n"})
    done = run_audit("--repo", str(repo.root), "--base", "HEAD~1", "--head", "HEAD")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SX003" in done.stdout


BARE = "def load():\n    try:\n        return read()\n    except:{comment}\n        pass\n"


def audit_new(text: str, config: str | None = None) -> AuditResult:
    change = FileChange("app/mod.py", ChangeStatus.ADDED, text.encode())
    return audit(AuditRequest(changes=(change,), config_text=config))


def test_a_team_can_forbid_suppressing_a_rule_in_code() -> None:
    config = '[tool.ssot]\nsuppressible = ["SS", "DU"]\n'
    for comment in ("  # ssot: ignore[SF101] just this once", "  # noqa: E722 - on purpose"):
        result = audit_new(BARE.format(comment=comment), config)
        assert sorted((f.rule, f.suppressed) for f in result.findings) == [
            ("SF101", False), ("SX011", False)], comment
        assert result.verdict.value == "NO-GO"
    allowed = audit_new(BARE.format(comment="  # ssot: ignore[SF101] just this once"))
    assert [(f.rule, f.suppressed) for f in allowed.findings] == [("SF101", True)]
    assert allowed.verdict.value == "GO"


def test_path_settings_that_match_no_file_are_named() -> None:
    config = ('[tool.ssot]\nexclude = ["migratons/**", "app/*_pb2.py"]\n'
              'config-modules = ["app/setings.py"]\n')
    context = {"app/settings.py": b"DEBUG = False\n", "app/user_pb2.py": b"X = 1\n"}
    change = FileChange("app/mod.py", ChangeStatus.ADDED, b"Y = 2\n")
    result = audit(AuditRequest(changes=(change,), context=context, config_text=config))
    notes = [(f.line, f.message) for f in result.findings if f.rule == "SX007"]
    assert notes == [
        (2, "`exclude` pattern 'migratons/**' matches no Python file of the repository"),
        (3, "`config-modules` pattern 'app/setings.py' matches no Python file of the "
            "repository"),
    ]

