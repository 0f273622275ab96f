"""The GitHub App's settings: the only module that reads `os.environ`.

Invariant: a `Settings` never reaches a log line or an exception message in full; its
`repr` hides the private key and the webhook secret.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.github.links import ACTIONS_APP_ID, PUBLIC_API_URL

DEFAULT_PORT = 8080


EXIT_BAD_SETTINGS = 2
"""Exit status of `serve` and `worker` when a setting is missing or malformed."""

class SettingsError(Exception):
    """A required setting is missing or malformed; the message names it (never its value)."""


@dataclass(frozen=True, slots=True)
class Settings:
    app_id: str
    private_key: str = field(repr=False)
    """PEM text of the App's RSA private key."""
    webhook_secret: str = field(repr=False)
    api_url: str = PUBLIC_API_URL
    sentry_dsn: str | None = field(default=None, repr=False)
    port: int = DEFAULT_PORT

    # Tunables; the defaults suit github.com, tests shrink the waits.
    request_timeout: float = 30.0
    """Seconds for one GitHub request, connect to last byte."""
    max_attempts: int = 5
    """Tries per GitHub request on 5xx, network errors and secondary rate limits."""
    request_deadline: float = 180.0
    """Seconds by which one GitHub request has ended, every attempt and wait included."""
    backoff_base: float = 0.5
    """First retry waits about this long (jittered), doubling per attempt."""
    max_wait: float = 60.0
    """The longest single wait for `Retry-After`/`x-ratelimit-reset`; longer ones fail."""
    concurrency_per_installation: int = 8
    """GitHub requests in flight per installation."""
    audit_processes: int = max(1, (os.cpu_count() or 2) - 1)
    """Processes that run the CPU-bound audit."""
    concurrent_audits: int = 4
    """Pull requests audited at once (gathering, auditing and publishing)."""
    audit_timeout: float = 600.0
    """Seconds one audit may compute before it is stopped and its check fails."""
    delivery_ttl: float = 3600.0
    """Seconds a delivery id is remembered to drop GitHub's redeliveries."""
    max_archive_bytes: int = 200 * 1024 * 1024
    """A base tarball over this size is not fetched; the audit runs without context."""
    max_inflated_archive_bytes: int = 1024 * 1024 * 1024
    """The base tarball is read until it has inflated to this many bytes (a gzip bomb
    costs a note, not the memory)."""
    cache_bytes: int = 512 * 1024 * 1024
    """Memory for immutable objects by sha (blobs, base tarballs)."""
    max_annotations: int = 1000
    """Annotations sent per check run (50 per request)."""
    time_scale: float = 1.0
    """Multiplies every retry and rate-limit wait; tests and benchmarks shrink it."""
    shutdown_grace: float = 20.0
    """Seconds running audits get to finish when the server stops."""
    redis_url: str | None = field(default=None, repr=False)
    """`SSOT_REDIS_URL`: set, `serve` only verifies and enqueues and `worker`s audit."""
    redis_lease: float = 30.0
    """`SSOT_REDIS_LEASE`: seconds before a silent worker's job is taken over."""
    max_concurrent_uploads: int = 16
    """Webhook bodies read at once before their signature is checked (each up to 25 MB);
    more are answered 503 at once, so unauthenticated senders cannot fill the memory."""
    upload_timeout: float = 10.0
    """Seconds a webhook body may take to arrive (GitHub itself gives up after 10 s)."""
    max_job_attempts: int = 3
    """Times a job is taken over from dead workers before it is dropped as poison."""
    facts_dir: Path | None = None
    """`SSOT_FACTS_DIR` (default: `ssot-bot-facts` in the temporary directory): one facts
    store per repository, shared by every audit process (and worker) that sees this
    directory, so only the first audit of a repository indexes it. None: each audit
    process keeps its own in memory."""


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings; raise `SettingsError` naming the first missing or bad one."""
    env = os.environ if environ is None else environ
    app_id = _required(env, "GITHUB_APP_ID")
    if not app_id.isdigit():
        raise SettingsError("GITHUB_APP_ID must be the App's numeric id")
    return Settings(
        app_id=app_id,
        private_key=_private_key(env),
        webhook_secret=_required(env, "GITHUB_WEBHOOK_SECRET"),
        api_url=_api_url(env.get("GITHUB_API_URL") or PUBLIC_API_URL),
        sentry_dsn=env.get("SENTRY_DSN") or None,
        port=_port(env.get("PORT")),
        redis_url=_redis_url(env.get("SSOT_REDIS_URL")),
        redis_lease=_seconds(env, "SSOT_REDIS_LEASE", 30.0),
        facts_dir=Path(env.get("SSOT_FACTS_DIR") or Path(tempfile.gettempdir())
                       / "ssot-bot-facts"),
    )


@dataclass(frozen=True, slots=True)
class ActionSettings:
    """The GitHub Action's settings: what the workflow run and the action's inputs say."""

    event_path: Path
    """`GITHUB_EVENT_PATH`: the event that started the run, as GitHub sent it."""
    workspace: Path
    """`GITHUB_WORKSPACE`: the checkout."""
    token: str | None = field(default=None, repr=False)
    """`GITHUB_TOKEN` (the action's `token` input); None: nothing is published to GitHub."""
    api_url: str = PUBLIC_API_URL
    app_id: str = ACTIONS_APP_ID
    """`SSOT_ACTION_APP_ID`: the App the token posts as (by default GitHub Actions' own)."""
    publish: frozenset[str] = frozenset({"check-run", "comment"})
    """`SSOT_PUBLISH` (the `publish` input): any of check-run, comment and sarif."""
    sarif_file: Path = Path("ssot.sarif")
    audit_args: tuple[str, ...] = ()
    """`SSOT_ARGS` (the `args` input): more `ssot-bot audit` options, e.g. a baseline."""
    step_summary: Path | None = None
    """`GITHUB_STEP_SUMMARY`: where the job's summary markdown goes."""


PUBLISH_CHOICES = frozenset({"check-run", "comment", "sarif"})


def action_from_environment(environ: Mapping[str, str] | None = None) -> ActionSettings:
    """The Action's settings; `SettingsError` naming the first missing or bad one."""
    env = os.environ if environ is None else environ
    publish = frozenset(p.strip() for p in env.get("SSOT_PUBLISH", "check-run,comment")
                        .split(",") if p.strip())
    if not publish <= PUBLISH_CHOICES:
        raise SettingsError("SSOT_PUBLISH (the `publish` input) takes check-run, comment "
                            "and sarif, separated by commas")
    try:
        audit_args = tuple(shlex.split(env.get("SSOT_ARGS", "")))
    except ValueError:
        raise SettingsError("SSOT_ARGS (the `args` input) has an unclosed quote") from None
    summary = env.get("GITHUB_STEP_SUMMARY", "").strip()
    return ActionSettings(
        event_path=Path(_required(env, "GITHUB_EVENT_PATH")),
        workspace=Path(env.get("GITHUB_WORKSPACE", "").strip() or "."),
        token=env.get("GITHUB_TOKEN", "").strip() or None,
        api_url=_api_url(env.get("GITHUB_API_URL") or PUBLIC_API_URL),
        app_id=env.get("SSOT_ACTION_APP_ID", "").strip() or ACTIONS_APP_ID,
        publish=publish,
        sarif_file=Path(env.get("SSOT_SARIF_FILE", "").strip() or "ssot.sarif"),
        audit_args=audit_args,
        step_summary=Path(summary) if summary else None,
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _private_key(env: Mapping[str, str]) -> str:
    text = env.get("GITHUB_PRIVATE_KEY", "").strip()
    name = "GITHUB_PRIVATE_KEY"
    if not text:
        location = env.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
        if not location:
            raise SettingsError("GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH is not set")
        name = "GITHUB_PRIVATE_KEY_PATH"
        try:
            text = Path(location).read_text(encoding="ascii", errors="replace").strip()
        except OSError as exc:
            raise SettingsError(f"GITHUB_PRIVATE_KEY_PATH cannot be read: {exc.strerror}"
                                ) from None
    # Platforms that cannot hold newlines in variables get "\n" escapes.
    text = text.replace("\\n", "\n") + "\n"
    try:
        key = serialization.load_pem_private_key(text.encode("ascii", "replace"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SettingsError(f"{name} is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SettingsError(f"{name} is not an RSA key (GitHub Apps sign with RS256)")
    return text


def _api_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise SettingsError("GITHUB_API_URL must start with https:// (or http://)")
    return value.rstrip("/")


def _port(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_PORT
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise SettingsError("PORT must be a number from 1 to 65535")
    return int(value)


def _redis_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not value.strip().startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("SSOT_REDIS_URL must start with redis://, rediss:// or unix://")
    return value.strip()


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if not 0 < seconds < 86400:
        raise SettingsError(f"{name} must be between 0 and 86400 seconds")
    return seconds
