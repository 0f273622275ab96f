"""What runs in the App's audit processes, given what GitHub sent (issue 10: CPU is
bounded like memory)."""

from __future__ import annotations

from analyzers import ChangeStatus
from bot.audit_process import AuditWork, ChangedFile, build_request


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
