"""GitHub's REST API: the only module that knows its URLs, JSON shapes and manners.

`GitHubApp` is one per process: it mints App JWTs, caches installation tokens and
immutable objects, and hands out an `Installation` per installation id. `Installation`
has one method per operation the bot performs. `GitHubClient` is gidgethub's aiohttp
client with what production needs on top: a timeout on every request, retries with
jittered exponential backoff on 5xx and network errors, waits for secondary rate limits
(`Retry-After`, `x-ratelimit-reset`), bounded concurrency and token refresh on 401.

Invariant: a token, JWT or private key never appears in a log record or an exception
message raised from here; authorization headers are added at the last moment in
`GitHubClient._request` and never copied anywhere else.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import logging
import random
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import cachetools
import jwt
from gidgethub import BadRequest, GitHubBroken, HTTPException, sansio
from gidgethub.aiohttp import GitHubAPI

from analyzers.model import ChangeStatus
from bot.report import CHECK_NAME, CheckRunOutput
from bot.settings import Settings

logger = logging.getLogger(__name__)

USER_AGENT = "ssot-bot"
ANNOTATIONS_PER_REQUEST = 50
"""GitHub's limit per create/update check-run request."""
MAX_PULL_FILES = 3000
"""GitHub lists at most this many files of a pull request."""
PER_PAGE = 100
TOKEN_MARGIN = 5 * 60
"""An installation token is renewed this many seconds before it expires."""
JWT_BACKDATE = 60
JWT_LIFETIME = 9 * 60
"""Seconds from the backdated `iat`; GitHub refuses an `exp` over 10 minutes ahead."""
RERUN_ACTION = {
    "label": "Re-run",
    "description": "Audit this commit again",
    "identifier": "rerun",
}
WRITE_ROLES = frozenset({"admin", "maintain", "write"})
Conclusion = Literal["success", "failure", "neutral"]


class GitHubUnavailable(Exception):
    """GitHub did not answer usefully after every retry (network errors or timeouts)."""


class ArchiveTooLarge(Exception):
    """A tarball is larger than `Settings.max_archive_bytes`."""


# --- JSON shapes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PullRequest:
    repo: str
    """`owner/name` of the base repository (where checks and comments go)."""
    number: int
    state: str
    draft: bool
    author: str
    head_sha: str
    base_sha: str
    head_repo: str | None
    """`owner/name` of the head repository; another one for fork PRs, None if deleted."""
    changed_files: int
    html_url: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullRequest:
        head_repo = data["head"].get("repo") or {}
        return cls(
            repo=data["base"]["repo"]["full_name"],
            number=int(data["number"]),
            state=str(data.get("state", "open")),
            draft=bool(data.get("draft", False)),
            author=str(data["user"]["login"]),
            head_sha=str(data["head"]["sha"]),
            base_sha=str(data["base"]["sha"]),
            head_repo=head_repo.get("full_name"),
            changed_files=int(data.get("changed_files") or 0),
            html_url=str(data.get("html_url", "")),
        )


_FILE_STATUS = {
    "added": ChangeStatus.ADDED,
    "copied": ChangeStatus.ADDED,
    "removed": ChangeStatus.DELETED,
    "renamed": ChangeStatus.RENAMED,
}


@dataclass(frozen=True, slots=True)
class PullFile:
    path: str
    status: ChangeStatus
    blob_sha: str | None
    """The file's blob at head; None when removed."""
    patch: str | None
    """The unified diff hunks; GitHub leaves it out for binary and very large diffs."""
    old_path: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullFile:
        status = _FILE_STATUS.get(str(data.get("status")), ChangeStatus.MODIFIED)
        return cls(
            path=str(data["filename"]),
            status=status,
            blob_sha=None if status is ChangeStatus.DELETED else data.get("sha"),
            patch=data.get("patch"),
            old_path=data.get("previous_filename"),
        )


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str


def installation_id(payload: Mapping[str, Any]) -> int | None:
    """The installation a webhook delivery belongs to, when it says."""
    installation = payload.get("installation") or {}
    value = installation.get("id")
    return int(value) if value is not None else None


def repository_name(payload: Mapping[str, Any]) -> str | None:
    repository = payload.get("repository") or {}
    name = repository.get("full_name")
    return str(name) if name else None


def blob_url(html_base: str, repo: str, sha: str) -> Callable[[str, int], str]:
    """(path, line) -> link to that line at `sha` on GitHub's web UI."""
    def url(path: str, line: int) -> str:
        return f"{html_base}/{repo}/blob/{sha}/{urllib.parse.quote(path)}#L{line}"
    return url


def web_url(api_url: str) -> str:
    """github.com for api.github.com; the same host for GitHub Enterprise Server."""
    parsed = urllib.parse.urlsplit(api_url)
    if parsed.hostname == "api.github.com":
        return "https://github.com"
    return f"{parsed.scheme}://{parsed.netloc}"


# --- retries ------------------------------------------------------------------------


def backoff(attempt: int, settings: Settings) -> float:
    """Jittered exponential backoff before retry number `attempt` (1-based)."""
    return float(settings.backoff_base * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto


def retry_wait(status: int, headers: Mapping[str, str], message: str, attempt: int,
               settings: Settings, now: float) -> float | None:
    """Seconds to wait before retrying a failed request, or None to give up.

    5xx: backoff. 403/429 secondary rate limits: `Retry-After`, else the primary limit's
    `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else a minute as GitHub asks;
    a 403 that is no rate limit is final. A wait over `max_wait` gives up."""
    if attempt >= settings.max_attempts:
        return None
    if status >= 500:
        return backoff(attempt, settings)
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        wait = _seconds_until(retry_after, now)
    elif headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        wait = max(0.0, float(headers["x-ratelimit-reset"]) - now) + 1
    elif status == 429 or "rate limit" in message.lower():
        wait = max(60.0, backoff(attempt, settings))
    else:
        return None
    return wait if wait <= settings.max_wait else None


def _seconds_until(retry_after: str, now: float) -> float:
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        when = email.utils.parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return 60.0
    return max(0.0, when.timestamp() - now)


class GitHubClient(GitHubAPI):
    """gidgethub's client with timeouts, retries, rate-limit waits and fresh credentials.

    `authorization` returns the `Authorization` header value for each attempt;
    `unauthorized` is told about a 401 (so the caller can renew its token) and answers
    whether one retry is worth it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        authorization: Callable[[], Awaitable[str]],
        unauthorized: Callable[[Mapping[str, str]], bool],
        limiter: asyncio.Semaphore,
        cache: cachetools.Cache[str, Any] | None = None,
    ) -> None:
        super().__init__(session, USER_AGENT, cache=cache, base_url=settings.api_url)
        self._settings = settings
        self._authorization = authorization
        self._unauthorized = unauthorized
        self._limiter = limiter

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self._settings.time_scale)

    async def _request(self, method: str, url: str, headers: Mapping[str, str],
                       body: bytes = b"") -> tuple[int, Mapping[str, str], bytes]:
        return await self.send(method, url, headers, body)

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"",
                   *, max_bytes: int | None = None) -> tuple[int, Mapping[str, str], bytes]:
        """One request with retries on network errors and timeouts; HTTP errors are the
        caller's (gidgethub raises them and `handle_rate_limit_error` decides)."""
        timeout = aiohttp.ClientTimeout(total=self._settings.request_timeout)
        for attempt in range(1, self._settings.max_attempts + 1):
            request_headers = dict(headers)
            request_headers["authorization"] = await self._authorization()
            try:
                async with self._limiter, self._session.request(
                    method, url, headers=request_headers, data=body, timeout=timeout
                ) as response:
                    if max_bytes is not None and (response.content_length or 0) > max_bytes:
                        raise ArchiveTooLarge(f"{response.content_length:,} bytes")
                    data = await _read(response, max_bytes)
                    return response.status, response.headers, data
            except (aiohttp.ClientError, TimeoutError) as exc:
                path = urllib.parse.urlsplit(url).path
                if attempt == self._settings.max_attempts:
                    raise GitHubUnavailable(
                        f"{method} {path} failed {attempt} times: {type(exc).__name__}"
                    ) from None
                wait = backoff(attempt, self._settings)
                logger.warning("github request retried", extra={
                    "method": method, "path": path, "attempt": attempt,
                    "reason": type(exc).__name__, "wait": round(wait, 3),
                })
                await self.sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")

    async def handle_rate_limit_error(self, *, method: str, url: str,
                                      exception: HTTPException, attempt: int) -> bool:
        path = urllib.parse.urlsplit(url).path
        status = int(exception.status_code)
        if status == 401:
            return attempt == 1 and self._unauthorized(exception.headers or {})
        message = str(exception.args[1]) if len(exception.args) > 1 else ""
        wait = retry_wait(status, exception.headers or {}, message, attempt, self._settings,
                          time.time())
        if wait is None:
            return False
        logger.warning("github request retried", extra={
            "method": method, "path": path, "attempt": attempt, "status": status,
            "wait": round(wait, 3),
        })
        await self.sleep(wait)
        return True

    async def get_bytes(self, url: str, *, accept: str, max_bytes: int) -> bytes:
        """A GET whose body is not JSON (a tarball), with the same retries."""
        full_url = sansio.format_url(url, {}, base_url=self.base_url)
        headers = sansio.create_headers(self.requester, accept=accept)
        attempt = 0
        while True:
            attempt += 1
            status, response_headers, body = await self.send(
                "GET", full_url, headers, max_bytes=max_bytes
            )
            if status == 200:
                return body
            try:
                sansio.decipher_response(status, response_headers, b"")
            except HTTPException as exc:
                if not await self.handle_rate_limit_error(
                    method="GET", url=full_url, exception=exc, attempt=attempt
                ):
                    raise
            else:
                raise GitHubUnavailable(f"GET {url}: unexpected status {status}")


async def _read(response: aiohttp.ClientResponse, max_bytes: int | None) -> bytes:
    if max_bytes is None:
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise ArchiveTooLarge(f"over {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
