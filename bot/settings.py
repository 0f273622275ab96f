"""The GitHub App's settings: the only module that reads `os.environ`.

Invariant: a `Settings` never reaches a log line or an exception message in full; its
`repr` hides the private key and the webhook secret.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.github.links import ACTIONS_APP_ID, PUBLIC_API_URL, PUBLIC_WEB_URL, api_url_of, web_url

DEFAULT_PORT = 8080
P = ParamSpec("P")
T = TypeVar("T")


EXIT_BAD_SETTINGS = 2
"""Exit status of `serve` and `worker` when a setting is missing or malformed."""

class SettingsError(Exception):
    """Settings are missing or malformed; the message names each (never its value)."""


class Problems:
    """The problems found so far, so that one error lists them all."""

    def __init__(self) -> None:
        self._found: list[str] = []

    def add(self, problem: str) -> None:
        self._found.append(problem)

    def check(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`read(...)`, or None with its problem noted."""
        try:
            return read(*args, **kwargs)
        except SettingsError as exc:
            self._found.append(str(exc))
            return None

    def raise_any(self) -> None:
        if len(self._found) == 1:
            raise SettingsError(self._found[0])
        if self._found:
            raise SettingsError(f"{len(self._found)} settings are missing or malformed: "
                                + "; ".join(self._found))


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
    metrics_port: int | None = None
    """`SSOT_METRICS_PORT`: where `ssot-bot worker` serves `/metrics` and `/readyz`
    (workers have no other HTTP port); None: not served."""
    facts_dir: Path | None = None
    """`SSOT_FACTS_DIR` (default: `ssot-bot-facts` in the temporary directory): one facts
    store per repository, shared by every audit process (and worker) that sees this
    directory, so only the first audit of a repository indexes it. None: each audit
    process keeps its own in memory."""


def from_environment(environ: Mapping[str, str] | None = None, *,
                     need_redis: bool = False) -> Settings:
    """Read the settings; raise `SettingsError` listing every missing or bad one.
    `need_redis` (the worker): no `SSOT_REDIS_URL` is the first problem named."""
    env = os.environ if environ is None else environ
    problems = Problems()
    if need_redis and not env.get("SSOT_REDIS_URL", "").strip():
        problems.add("SSOT_REDIS_URL is not set (workers need Redis)")
    app_id = problems.check(_app_id, env)
    private_key = problems.check(_private_key, env)
    webhook_secret = problems.check(_required, env, "GITHUB_WEBHOOK_SECRET")
    api_url = problems.check(_api_url, env.get("GITHUB_API_URL") or PUBLIC_API_URL)
    port = problems.check(_port, env.get("PORT"))
    redis_url = problems.check(_redis_url, env.get("SSOT_REDIS_URL"))
    redis_lease = problems.check(_seconds, env, "SSOT_REDIS_LEASE", 30.0)
    metrics_port = problems.check(_optional_port, env, "SSOT_METRICS_PORT")
    sentry_dsn = env.get("SENTRY_DSN") or None
    problems.raise_any()
    assert (app_id and private_key and webhook_secret and api_url and port
            and redis_lease), "each is read when no problem was found"
    return Settings(
        app_id=app_id,
        private_key=private_key,
        webhook_secret=webhook_secret,
        api_url=api_url,
        sentry_dsn=sentry_dsn,
        port=port,
        redis_url=redis_url,
        redis_lease=redis_lease,
        metrics_port=metrics_port,
        facts_dir=Path(env.get("SSOT_FACTS_DIR") or Path(tempfile.gettempdir())
                       / "ssot-bot-facts"),
    )


def environment_for(*, app_id: int, private_key: str, webhook_secret: str, api_url: str
                    ) -> dict[str, str]:
    """The variables `from_environment` reads for these values: what `ssot-bot setup`
    writes to its env file. The PEM's newlines are written `\\n`, which every env-file
    reader (docker, compose, systemd) keeps on one line and `_private_key` turns back."""
    return {
        "GITHUB_APP_ID": str(app_id),
        "GITHUB_PRIVATE_KEY": private_key.strip().replace("\n", "\\n"),
        "GITHUB_WEBHOOK_SECRET": webhook_secret,
        "GITHUB_API_URL": api_url,
    }


@dataclass(frozen=True, slots=True)
class SetupSettings:
    """`ssot-bot setup`'s: which GitHub to register the App on."""

    web_url: str
    """`GITHUB_URL`: GitHub's public site, or a GitHub Enterprise Server's address."""
    api_url: str
    """`GITHUB_API_URL`: by default the API of `GITHUB_URL` (`/api/v3` on a server)."""


def setup_from_environment(environ: Mapping[str, str] | None = None) -> SetupSettings:
    """`setup`'s settings; `SettingsError` listing every malformed one."""
    env = os.environ if environ is None else environ
    problems = Problems()
    configured_web = env.get("GITHUB_URL", "").strip()
    web = problems.check(_web_url, configured_web) if configured_web else None
    configured_api = env.get("GITHUB_API_URL", "").strip()
    api = problems.check(_api_url, configured_api or api_url_of(web or PUBLIC_WEB_URL))
    problems.raise_any()
    assert api, "set when no problem was found"
    return SetupSettings(web_url=web or web_url(api), api_url=api)


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


def _app_id(env: Mapping[str, str]) -> str:
    app_id = _required(env, "GITHUB_APP_ID")
    if not app_id.isdigit():
        raise SettingsError("GITHUB_APP_ID must be the App's numeric id")
    return app_id


def _web_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise SettingsError("GITHUB_URL must start with https:// (or http://)")
    return value.rstrip("/")


def _optional_port(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"{name} must be a number from 1 to 65535")
    return int(value)


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
