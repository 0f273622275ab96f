"""A pytest plugin: a run with any skipped test fails. The suite runs whole on a plain
clone (GitHub's data is vendored, redis-server is installed by `scripts/test`), so a skip
means a test silently did not run, and CI must not pass on that."""

from __future__ import annotations

import pytest


class SkipCounter:
    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            self.skipped.append(report.nodeid)


_COUNTER = SkipCounter()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_COUNTER, "ssot-skip-counter")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _COUNTER.skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _COUNTER.skipped:
        terminalreporter.write_line(
            f"{len(_COUNTER.skipped)} test(s) skipped; the suite must run whole: "
            + ", ".join(_COUNTER.skipped[:10]), red=True)
