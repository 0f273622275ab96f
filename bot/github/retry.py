"""The one retry policy for GitHub requests: which failures are worth another attempt,
how long to wait before it, and when to stop.

Every request the bot makes is retried by one loop only (`GitHubClient.send`), which
asks `Attempts.wait_before_next` after each failure; nothing above it retries again. So
one request costs at most `max_attempts` tries and ends within `deadline` seconds, waits
included, whatever mix of failures GitHub answers with.
"""

from __future__ import annotations

import email.utils
import enum
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import Settings


class Failure(enum.Enum):
    UNANSWERED = "unanswered"
    """A 5xx, a dropped connection or a timeout: GitHub may or may not have done it."""
    REFUSED = "refused"
    """A 4xx: GitHub did not do it (a rate limit among them)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    deadline: float
    """Seconds from the first attempt by which the last one has ended, waits included."""
    backoff_base: float
    max_wait: float
    """The longest single wait GitHub may ask for; a longer `Retry-After` gives up."""
    time_scale: float = 1.0
    """Multiplies every wait (tests and benchmarks shrink it); the deadline is real
    seconds, since requests take real time."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.max_attempts, deadline=settings.request_deadline,
                   backoff_base=settings.backoff_base, max_wait=settings.max_wait,
                   time_scale=settings.time_scale)

    def start(self) -> Attempts:
        """The budget of one request, starting now."""
        return Attempts(self, time.monotonic())

    def backoff(self, attempt: int) -> float:
        """Jittered exponential backoff before retry number `attempt` (1-based)."""
        return float(self.backoff_base * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))

    def wait_for(self, failure: Failure, status: int, headers: Mapping[str, str],
                 message: str, attempt: int, now: float) -> float | None:
        """Seconds to wait after attempt number `attempt` failed, or None to give up,
        before the deadline is taken into account.

        Unanswered: backoff. 403/429 secondary rate limits: `Retry-After`, else the
        primary limit's `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else a
        minute as GitHub asks; any other 4xx is final. A wait over `max_wait` gives up."""
        if attempt >= self.max_attempts:
            return None
        if failure is Failure.UNANSWERED:
            return self.backoff(attempt)
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            wait = _seconds_until(retry_after, now)
        elif headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            wait = max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1
        elif status == 429 or "rate limit" in message.lower():
            wait = max(60.0, self.backoff(attempt))
        else:
            return None
        return wait if wait <= self.max_wait else None


@dataclass(slots=True)
class Attempts:
    """One request's attempts so far, against its policy's count and deadline."""

    policy: RetryPolicy
    started: float
    """`time.monotonic()` at the first attempt."""
    made: int = 0

    def begin(self) -> int:
        """Count an attempt about to be made; its number (1-based)."""
        self.made += 1
        return self.made

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self.policy.deadline - (time.monotonic() - self.started)

    def wait_before_next(self, failure: Failure, status: int = 0,
                         headers: Mapping[str, str] | None = None,
                         message: str = "") -> float | None:
        """Seconds (scaled) to sleep before the next attempt, or None when the
        policy gives up: the attempts are spent, the failure is final, or the wait would
        end past the deadline."""
        wait = self.policy.wait_for(failure, status, headers or {}, message, self.made,
                                    time.time())
        if wait is None:
            return None
        scaled = wait * self.policy.time_scale
        return scaled if scaled < self.remaining() else None


def _seconds_until(retry_after: str, now: float) -> float:
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        when = email.utils.parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return 60.0
    return max(0.0, when.timestamp() - now)
