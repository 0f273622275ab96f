"""Error reporting to Sentry, with secrets scrubbed before anything leaves the process.

Invariant: `before_send` runs on every event; the private key (also a PEM block cut
short, or a lone run of its base64), tokens, JWTs, the webhook secret and signature
headers are replaced by `[Filtered]` wherever they appear (headers, messages,
breadcrumbs, extra data). Local variables are never sent, and no tracing header is
added to outgoing requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.aiohttp import AioHttpIntegration

FILTERED = "[Filtered]"
SECRET_KEYS = re.compile(
    r"authorization|cookie|signature|secret|token|password|private[_-]?key|jwt|dsn",
    re.IGNORECASE,
)
SECRET_TEXT = re.compile(
    # A PEM block, to its END line or, when cut short, to the end of the text.
    r"-----BEGIN[A-Z ]*-----.*?(?:-----END[A-Z ]*-----|\Z)"
    # A run of base64 as long as a PEM line (mixed case, so no hex digest or word).
    r"|(?-i:(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])[A-Za-z0-9+/]{60,}={0,2})"
    r"|\b(?:ghs|ghp|gho|ghu|ghr|github_pat)_[A-Za-z0-9_]+"
    r"|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
    r"|\b(?:token|bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|sha(?:1|256)=[0-9a-f]{40,64}",
    re.IGNORECASE | re.DOTALL,
)


def init(dsn: str | None, *, release: str) -> bool:
    """Start reporting when a DSN is configured; True if it did."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        integrations=[AioHttpIntegration()],
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
        # No `send_default_pii`: unset, the SDK sends no PII (and keeps its own event
        # scrubber); setting it at all is deprecated since sentry-sdk 2.5x.
        include_local_variables=False,
        # No `sentry-trace`/`baggage` headers on outgoing requests: they would tell
        # GitHub (or whoever a URL points to) our Sentry project and trace ids.
        trace_propagation_targets=[],
    )
    return True


def before_send(event: Any, _hint: Any) -> Any:
    return scrub(event)


def scrub(value: Any) -> Any:
    """A copy of `value` with secret-named keys and secret-looking text filtered."""
    if isinstance(value, Mapping):
        return {key: FILTERED if isinstance(key, str) and SECRET_KEYS.search(key)
                and value[key] not in (None, "") else scrub(value[key])
                for key in value}
    if isinstance(value, list | tuple):
        items = [scrub(item) for item in value]
        # Sentry sends headers as [name, value] pairs.
        if len(items) == 2 and isinstance(items[0], str) and SECRET_KEYS.search(items[0]):
            items[1] = FILTERED
        return items
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_text(text: str) -> str:
    return SECRET_TEXT.sub(FILTERED, text)


@contextmanager
def tags(**values: object) -> Iterator[None]:
    """Tag every event sent while the block runs (delivery id, repo, PR)."""
    with sentry_sdk.new_scope() as scope:
        for key, value in values.items():
            scope.set_tag(key, str(value))
        yield
