"""What a PR author and a CLI user see, exactly: the sticky comment, the check run and
the text report of a few audits, each compared with its file under `tests/snapshots/`.

The files are reviewed like code. After a deliberate change of the output, run
`SSOT_UPDATE_SNAPSHOTS=1 ./scripts/test tests/test_snapshots.py`: it rewrites the files
that differ and fails once, so a changed output never passes unseen; review the diff and
run again. The clock (the audit's duration) is masked.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, audit
from analyzers.config import CommentMode
from bot import report

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SSOT_UPDATE_SNAPSHOTS") == "1"
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"

UTIL = '''"""Helpers."""


def normalise_email(address):
    cleaned = address.strip().lower()
    local, _, domain = cleaned.partition("@")
    return f"{local}@{domain.rstrip('.')}"
'''
NEW_MODULE = '''"""Signup."""
import logging

logger = logging.getLogger(__name__)


def normalise_email(address):
    cleaned = address.strip().lower()
    local, _, domain = cleaned.partition("@")
    return f"{local}@{domain.rstrip('.')}"


def load(path):
    try:
        with open(path) as handle:
            return handle.read()
    except:
        return None


def parse(text):
    try:
        return int(text)
    except Exception:  # ssot: ignore[SF102] callers treat None as "not a number"
        return None
'''
SOCKETS_BASE = b'''"""Sockets."""
from app.env import get_env


def start():
    return get_env("SOCKETS")
'''
SOCKETS_HEAD = SOCKETS_BASE + b'''

def force_cleanup(user_id):
    from app.config import CLEANUP_SECONDS, settings
    if settings.debug:
        return start()
    return get_env(user_id) or CLEANUP_SECONDS
'''
CONFIG = b'''"""Settings."""
import os

CLEANUP_SECONDS = int(os.environ.get("CLEANUP_SECONDS", "30"))
settings = object()
'''
ENV = b'''def get_env(name):
    return name
'''
CLEANUP = '''"""Cleanup."""
import asyncio


def start_background_cleanup(manager):
    loop = asyncio.get_running_loop()
    task = loop.create_task(manager.cleanup())
    manager.tasks.add(task)
    task.add_done_callback(manager.tasks.discard)
    return task
'''
HOSTILE = '''"""Hostile."""


def run(job):
    try:
        job()
    except:
        note = "```` </details> <img src=x onerror=alert(1)> @octo-org/admins"
        link = "[approve](https://evil.test) #1 \u202eedoc"
        wide = "''' + "x" * 300 + '''"
        more = 1
        more = 2
        more = 3
        more = 4
        return None
'''
CASES = {
    "no-go": AuditRequest(
        changes=(FileChange("app/signup.py", ChangeStatus.ADDED, NEW_MODULE.encode()),),
        context={"app/__init__.py": b"", "app/util.py": UTIL.encode()},
    ),
    "go": AuditRequest(
        changes=(FileChange("app/total.py", ChangeStatus.ADDED,
                            b'"""Totals."""\n\n\ndef total(items):\n    return sum(items)\n'),),
    ),
    # A notice (a broad handler that swallows: SF102) is shown and asks nothing: GO.
    "go-with-notice": AuditRequest(
        changes=(FileChange("app/rates.py", ChangeStatus.ADDED,
                            b'"""Rates."""\n\n\ndef rate(fetch, currency):\n    try:\n'
                            b'        return fetch(currency)\n    except Exception:\n'
                            b'        return None\n'),),
    ),
    # Findings in three files at three levels: grouped by file, the errors' file first.
    "several-files": AuditRequest(
        changes=(
            FileChange("app/rates.py", ChangeStatus.ADDED,
                       b'"""Rates."""\n\n\ndef rate(fetch, currency):\n    try:\n'
                       b'        return fetch(currency)\n    except Exception:\n'
                       b'        return None\n'),
            FileChange("app/mailer.py", ChangeStatus.ADDED,
                       b'"""Mail."""\nimport os\n\nSMTP = os.environ.get("SMTP_HOST")\n'),
            FileChange("app/loader.py", ChangeStatus.ADDED,
                       b'"""Loading."""\n\n\ndef load(path):\n    try:\n'
                       b'        return open(path).read()\n    except:\n        return None\n'),
        ),
        context={"app/__init__.py": b"",
                 "app/relay.py": b'import os\n\nHOST = os.environ["SMTP_HOST"]\n'},
    ),
    # A clean change that reuses what exists: the positive evidence a reviewer would cite.
    "positive-evidence": AuditRequest(
        changes=(FileChange("app/sockets.py", ChangeStatus.MODIFIED, SOCKETS_HEAD,
                            SOCKETS_BASE, frozenset(range(7, 14))),),
        context={"app/__init__.py": b"", "app/config.py": CONFIG, "app/env.py": ENV,
                 "tests/test_sockets.py": b"from app import sockets\n"},
        config_text='[tool.ssot]\nconfig-modules = ["app/config.py"]\n',
    ),
    # SS209 turned on: the Tested row with the tests that import the module, and a new
    # function no test names.
    "tested": AuditRequest(
        changes=(FileChange("app/sockets.py", ChangeStatus.MODIFIED, SOCKETS_HEAD,
                            SOCKETS_BASE, frozenset(range(7, 14))),),
        context={"app/__init__.py": b"", "app/config.py": CONFIG, "app/env.py": ENV,
                 "tests/test_sockets.py": b"from app import sockets\n\n\n"
                                          b"def test_start():\n    sockets.start()\n"},
        config_text='[tool.ssot]\nconfig-modules = ["app/config.py"]\n'
                    'severity = { SS209 = "warning" }\n',
    ),
    # A copy the config accepts: an ACCEPTABLE row with its reason, as in a hand audit.
    "acceptable": AuditRequest(
        changes=(FileChange("app/db_cleanup.py", ChangeStatus.ADDED, CLEANUP.encode()),),
        context={"app/__init__.py": b"", "app/ws_cleanup.py": CLEANUP.encode()},
        config_text='[tool.ssot]\n[[tool.ssot.acceptable-duplicates]]\n'
                    'names = ["start_background_cleanup"]\n'
                    'reason = "different cleanup domains (WebSocket vs database sessions)"\n',
    ),
    # Code that tries to close the fence, open HTML, ping a team and hide text.
    "hostile-code": AuditRequest(
        changes=(FileChange("app/hostile.py", ChangeStatus.ADDED, HOSTILE.encode()),),
    ),
}

STICKY_CASES = {
    "on-findings-clean": ("go", CommentMode.ON_FINDINGS),
    "on-findings-notice": ("go-with-notice", CommentMode.ON_FINDINGS),
    "always-clean": ("go", CommentMode.ALWAYS),
    "never-no-go": ("no-go", CommentMode.NEVER),
}
"""What each `comment` mode publishes: (case, mode)."""


def audited(case: str) -> AuditResult:
    result = audit(CASES[case])
    return replace(result, stats=replace(result.stats, seconds=0.0))  # the clock, masked


def blob_url(path: str, line: int) -> str:
    return f"https://github.example/octo-org/octo-repo/blob/{HEAD_SHA}/{path}#L{line}"


def assert_snapshot(name: str, rendered: str) -> None:
    path = SNAPSHOTS / name
    recorded = path.read_text(encoding="utf-8") if path.exists() else None
    if rendered == recorded:
        return
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
        pytest.fail(f"{name} rewritten: review its diff, then run without "
                    "SSOT_UPDATE_SNAPSHOTS")
    assert recorded is not None, f"{name} is missing: run with SSOT_UPDATE_SNAPSHOTS=1"
    assert rendered == recorded, f"{name} differs (SSOT_UPDATE_SNAPSHOTS=1 rewrites it)"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pr_comment_reads_as_recorded(case: str) -> None:
    body = report.render_comment(audited(case), head_sha=HEAD_SHA, blob_url=blob_url)
    assert_snapshot(f"comment-{case}.md", body + "\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_check_run_reads_as_recorded(case: str) -> None:
    output = report.check_run_output(audited(case), blob_url=blob_url)
    rendered = "\n".join([
        f"conclusion: {report.verdict_conclusion(audited(case))}",
        f"title: {output.title}",
        "", "## summary", "", output.summary,
        "", "## text", "", output.text,
        "", "## annotations", "", json.dumps(output.annotations, indent=2, ensure_ascii=False),
    ])
    assert_snapshot(f"check-run-{case}.md", rendered + "\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_text_report_reads_as_recorded(case: str) -> None:
    assert_snapshot(f"text-{case}.txt", report.render_text(audited(case)))


@pytest.mark.parametrize("case", sorted(STICKY_CASES))
def test_each_comment_mode_publishes_as_recorded(case: str) -> None:
    result_case, mode = STICKY_CASES[case]
    planned = report.sticky_comment(audited(result_case), mode, head_sha=HEAD_SHA,
                                    blob_url=blob_url)
    action = "create or edit" if planned.create else "edit an existing comment only"
    assert_snapshot(f"sticky-{case}.md", f"<!-- {action} -->\n{planned.body}\n")


def test_the_json_checklist_carries_the_positive_evidence() -> None:
    rows = report.to_json(audited("positive-evidence"))["checklist"]
    said = {row["principle"]: [e["text"] for e in row["positive"]] for row in rows}
    assert said["Search First, Create Second"] == [
        "reuses start, already in this module", "reuses get_env from app/env.py"]
    assert said["Configuration SSOT"] == ["reads CLEANUP_SECONDS through app/config.py",
                                          "reads settings through app/config.py"]
    assert said["Single Source of Truth"] == [
        "extends existing app/sockets.py (adds force_cleanup) instead of a new module"]
