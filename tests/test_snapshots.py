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
}


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
