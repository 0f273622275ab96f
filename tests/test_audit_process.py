"""The audit process's side of what GitHub sent: the base tarball read as a stream within
its budgets, and added lines found in linear time when GitHub omits a patch (issue 10:
memory and CPU are bounded)."""

from __future__ import annotations

import io
import tarfile

from analyzers import ChangeStatus
from bot.app.audit_process import AuditWork, ChangedFile, build_request, python_files

MIB = 1024 * 1024


def tarball(members: dict[str, bytes]) -> bytes:
    """A gzipped tarball shaped like GitHub's (`owner-repo-sha/` prefix)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in members.items():
            info = tarfile.TarInfo(f"octo-org-octo-repo-abc1234/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_member_over_max_file_bytes_is_skipped_unread() -> None:
    archive = tarball({"app/small.py": b"X = 1\n", "app/big.py": b"#" * (2 * MIB),
                       "app/after.py": b"Y = 2\n"})
    files, notes = python_files(archive, 100, max_file_bytes=MIB,
                                max_inflated_bytes=100 * MIB)
    assert set(files) == {"app/small.py", "app/after.py"}
    assert notes == ["1 Python file(s) at the base over `max-file-bytes` were left out "
                     "of the context unread."]


def test_an_archive_that_inflates_past_its_budget_costs_a_note_not_the_memory() -> None:
    archive = tarball({"app/small.py": b"X = 1\n", "app/bomb.txt": bytes(64 * MIB),
                       "app/after.py": b"Y = 2\n"})
    assert len(archive) < MIB
    files, notes = python_files(archive, 100, max_file_bytes=MIB,
                                max_inflated_bytes=8 * MIB)
    assert set(files) == {"app/small.py"}
    assert notes == ["The base archive inflates past 8,388,608 bytes; the audit used the "
                     "1 Python files read before that as context."]


def test_a_corrupt_archive_costs_a_note() -> None:
    files, notes = python_files(b"\x1f\x8b not really gzip", 100, max_file_bytes=MIB,
                                max_inflated_bytes=MIB)
    assert files == {}
    assert notes == ["The base archive is not a valid tarball; the audit used the 0 "
                     "Python files read before that as context."]


def test_a_large_file_without_githubs_patch_gets_its_added_lines_in_linear_time() -> None:
    # Past ALIGN_MAX_LINES the added lines are counted, not aligned: difflib's worst
    # case is quadratic (one repetitive file took over 120 s in the App).
    base = "".join(f"V{n} = {n}\n" for n in range(20_000)).encode()
    head_lines = [f"V{n} = {n}\n" if n < 10_000 else f"W{n} = {n}\n" for n in range(20_000)]
    head = "".join(head_lines).encode()
    changed = ChangedFile("app/big.py", ChangeStatus.MODIFIED, head, patch=None, base=base)
    request = build_request(AuditWork((changed,), None, None, "pyproject.toml"))
    assert request.changes[0].changed_lines == frozenset(range(10_001, 20_001))


def test_a_small_file_without_a_patch_is_aligned_exactly() -> None:
    base = b"a = 1\nb = 2\nc = 3\n"
    head = b"a = 1\nx = 9\nb = 2\nc = 3\n"
    changed = ChangedFile("app/small.py", ChangeStatus.MODIFIED, head, patch=None, base=base)
    request = build_request(AuditWork((changed,), None, None, "pyproject.toml"))
    assert request.changes[0].changed_lines == frozenset({2})
