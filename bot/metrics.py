"""The App's Prometheus metrics, one set per process (prometheus-client's default
registry, which also carries the process's CPU, memory and file descriptors).

Every process that works answers `GET /metrics`: `serve` on its own port, and in Redis
mode each `ssot-bot worker` on `SSOT_METRICS_PORT` (workers run on any machine, so a
shared multiprocess directory would not see them all); Prometheus adds the `instance`
label and sums. The audit pool's processes only compute; what they do is measured in
the process that waits for them.

Invariant: labels take values from fixed sets (events the App handles, our outcomes and
verdicts, HTTP status codes), never from what a sender or a repository chose, so an
unauthenticated sender cannot grow the label space.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

DELIVERIES = Counter(
    "ssot_webhook_deliveries", "Webhook deliveries received, by event and outcome.",
    ["event", "outcome"])
"""`event`: one the App handles, `other`, or `unverified` before the signature is
checked; `outcome`: what intake did (accepted, duplicate, ignored, bad-signature, …)."""
AUDIT_SECONDS = Histogram(
    "ssot_audit_duration_seconds",
    "Seconds from an audit's check run in progress to its conclusion.",
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200))
AUDITS = Counter(
    "ssot_audits_concluded", "Audits concluded, by verdict.", ["verdict"])
"""`verdict`: GO, NO-GO, not-fully-audited, could-not-complete, draft, superseded,
cancelled."""
QUEUE_DEPTH = Gauge(
    "ssot_queue_depth", "Work waiting for a worker (read when scraped).", ["queue"])
"""`queue`: audits; in Redis mode also deliveries (intake's stream)."""
GITHUB_REQUESTS = Counter(
    "ssot_github_requests", "Requests to GitHub's API, every attempt, by status.",
    ["status"])
"""`status`: the HTTP status, or `unanswered` (network error or timeout)."""
RATE_LIMIT_REMAINING = Gauge(
    "ssot_github_rate_limit_remaining",
    "x-ratelimit-remaining of GitHub's latest answer that had it.")

VERDICT_NOT_FULLY_AUDITED = "not-fully-audited"
VERDICT_COULD_NOT_COMPLETE = "could-not-complete"
VERDICT_DRAFT = "draft"
VERDICT_SUPERSEDED = "superseded"
VERDICT_CANCELLED = "cancelled"


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def github_answered(status: int | None, remaining: str | None) -> None:
    """One attempt's answer (None: unanswered) and its rate-limit header."""
    GITHUB_REQUESTS.labels(status=str(status) if status is not None else "unanswered").inc()
    if remaining is not None and remaining.isdigit():
        RATE_LIMIT_REMAINING.set(int(remaining))
