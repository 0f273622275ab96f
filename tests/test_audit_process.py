"""The audit process's side of the base tarball: read as a stream, within its budgets."""

from __future__ import annotations

import io
import tarfile

from bot.audit_process import python_files

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
