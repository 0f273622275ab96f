"""Which other tools' codes say the same thing as each silent-failure rule.

A `# noqa: BLE001` (ruff, flake8) or `# pylint: disable=broad-exception-caught` on the
flagged line is the project's own recorded decision about that handler: the engine
counts it as a suppression of the SF rules the code overlaps (listed in the report as
suppressed, never dropped), with the text after the codes as the reason. A bare
`# noqa` overlaps every rule here. Codes are compared upper-case, without hyphens
(`PIE-786` is `PIE786`).
"""

from __future__ import annotations

_BROAD = frozenset({
    "BLE001",  # ruff/flake8-blind-except: blind-except
    "PIE786",  # flake8-pie: precise exception handlers
    "W0703", "BROADEXCEPT",  # pylint < 2.16
    "W0718", "BROADEXCEPTIONCAUGHT",  # pylint
})
_PASS = frozenset({"S110", "S112"})
"""flake8-bandit / ruff: try-except-pass, try-except-continue (any caught type)."""

PEER_CODES: dict[str, frozenset[str]] = {
    "SF101": _BROAD | _PASS | {"E722", "W0702", "BAREEXCEPT"},
    "SF102": _BROAD | _PASS,
    "SF103": _PASS | {"SIM105"},
    "SF104": frozenset(),  # no peer flags `suppress(Exception)`; a bare noqa still counts
    "SF105": _BROAD,
    "SF106": frozenset({"B012", "W0150", "LOSTEXCEPTION"}),
    "SF107": frozenset({"RUF006"}),
    "SF108": _BROAD | {"TRY400"},
}


def normalise(code: str) -> str:
    return code.upper().replace("-", "").replace("_", "")


def overlaps(rule_id: str, codes: tuple[str, ...]) -> bool:
    """Whether a peer comment with these codes (none: a bare `# noqa`) covers the rule."""
    peers = PEER_CODES.get(rule_id)
    if peers is None:
        return False
    return not codes or any(normalise(code) in peers for code in codes)
