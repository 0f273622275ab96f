"""Silent failures in tests and examples are notices at most.

A test that swallows an exception is usually probing the behaviour under test (measured:
none of the test handlers read was worth raising), and an example is written to be read,
not run in production: neither is worth a NO-GO or a warning on its own. A severity the
audited repo set explicitly (`severity = { SF102 = "error" }`) still wins: the engine
applies it instead of this cap.
"""

from __future__ import annotations

from dataclasses import replace

from analyzers.model import Finding, Severity
from analyzers.paths import is_example_path, is_test_path

FAMILY = "SF"


def capped_in_tests_and_examples(finding: Finding) -> Finding:
    if (
        not finding.rule.startswith(FAMILY)
        or finding.severity is Severity.NOTICE
        or not (is_test_path(finding.path) or is_example_path(finding.path))
    ):
        return finding
    return replace(finding, severity=Severity.NOTICE)
