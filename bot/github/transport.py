"""How a request reaches GitHub: gidgethub's aiohttp client with a timeout per attempt,
fresh credentials per attempt, bounded concurrency, and the one retry loop
(`GitHubClient.send`, governed by `retry.RetryPolicy`).

Invariant: a token, JWT or private key never appears in a log record or an exception
message raised from here; authorization headers are added at the last moment in
`GitHubClient.send` and never copied anywhere else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import cachetools
from gidgethub import sansio
from gidgethub.aiohttp import GitHubAPI

from bot import PRODUCT, metrics, package_version
from bot.github.retry import Attempts, Failure, RetryPolicy
from bot.settings import Settings

logger = logging.getLogger(__name__)

USER_AGENT = f"{PRODUCT}/{package_version()}"

Response = tuple[int, Mapping[str, str], bytes]
LookBeforeResend = Callable[[], Awaitable[int | None]]
"""For a request that creates or appends something: the id of what an unanswered attempt
may have made after all, or None."""


class GitHubUnavailableError(Exception):
    """GitHub did not answer usefully after every retry (network errors or timeouts)."""


class ArchiveTooLargeError(Exception):
    """A tarball is larger than `Settings.max_archive_bytes`."""


class CreatedMeanwhileError(Exception):
    """An unanswered create had succeeded: `LookBeforeResend` found what it made."""

    def __init__(self, created_id: int) -> None:
        super().__init__(f"created as {created_id}")
        self.created_id = created_id


class GitHubClient(GitHubAPI):
    """gidgethub's client with timeouts, retries, rate-limit waits and fresh credentials.

    `authorization` returns the `Authorization` header value for each attempt;
    `unauthorized` is told about a 401 (so the caller can renew its token) and answers
    whether one retry is worth it. With `look_before_resend` (a create), an unanswered
    attempt is never repeated blindly: GitHub may have done the work, so the loop first
    looks for it, and raises `CreatedMeanwhileError` when it is there."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        authorization: Callable[[], Awaitable[str]],
        unauthorized: Callable[[Mapping[str, str]], bool],
        limiter: asyncio.Semaphore,
        cache: cachetools.Cache[str, Any] | None = None,
        look_before_resend: LookBeforeResend | None = None,
    ) -> None:
        super().__init__(session, USER_AGENT, cache=cache, base_url=settings.api_url)
        self._settings = settings
        self._policy = RetryPolicy.from_settings(settings)
        self._authorization = authorization
        self._unauthorized = unauthorized
        self._limiter = limiter
        self._look_before_resend = look_before_resend

    async def _request(self, method: str, url: str, headers: Mapping[str, str],
                       body: bytes = b"") -> Response:
        return await self.send(method, url, headers, body)

    async def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"",
                   *, max_bytes: int | None = None) -> Response:
        """One request, retried as the policy says: network errors, timeouts, 5xx and
        rate limits, one renewal of refused credentials. What is not retried (or no
        longer) is answered as GitHub answered it, and gidgethub raises it; a network
        error or timeout on the last attempt raises `GitHubUnavailableError`."""
        attempts = self._policy.start()
        path = urllib.parse.urlsplit(url).path
        while True:
            attempt = attempts.begin()
            try:
                status, response_headers, data = await self._attempt(
                    method, url, headers, body, attempts, max_bytes)
            except (aiohttp.ClientError, TimeoutError) as exc:
                metrics.github_answered(None, None)
                reason = type(exc).__name__
                wait = await self._before_resend(attempts, Failure.UNANSWERED, method, path,
                                                 reason)
                if wait is None:
                    raise GitHubUnavailableError(
                        f"{method} {path} failed {attempt} times: {reason}") from None
            else:
                if status < 400:
                    return status, response_headers, data
                if status == 401:
                    if attempt == 1 and self._unauthorized(response_headers):
                        continue  # `authorization` answers with renewed credentials
                    return status, response_headers, data
                failure = Failure.UNANSWERED if status >= 500 else Failure.REFUSED
                wait = await self._before_resend(
                    attempts, failure, method, path, str(status), status, response_headers,
                    _message(data))
                if wait is None:
                    return status, response_headers, data
            await asyncio.sleep(wait)

    async def _attempt(self, method: str, url: str, headers: Mapping[str, str], body: bytes,
                       attempts: Attempts, max_bytes: int | None) -> Response:
        request_headers = dict(headers)
        request_headers["authorization"] = await self._authorization()
        timeout = aiohttp.ClientTimeout(
            total=max(0.0, min(self._settings.request_timeout, attempts.remaining())))
        async with self._limiter, self._session.request(
            method, url, headers=request_headers, data=body, timeout=timeout
        ) as response:
            if max_bytes is not None and (response.content_length or 0) > max_bytes:
                raise ArchiveTooLargeError(f"{response.content_length:,} bytes")
            metrics.github_answered(response.status,
                                    response.headers.get("x-ratelimit-remaining"))
            data = await _read(response, max_bytes)
            return response.status, response.headers, data

    async def _before_resend(self, attempts: Attempts, failure: Failure, method: str,
                             path: str, reason: str, status: int = 0,
                             headers: Mapping[str, str] | None = None,
                             message: str = "") -> float | None:
        """The seconds to sleep before the next attempt, or None to give up. After an
        unanswered create, look for what it made first (also after the last attempt, so
        that nothing GitHub created is left unfinished)."""
        wait = attempts.wait_before_next(failure, status, headers, message)
        if failure is Failure.UNANSWERED and self._look_before_resend is not None:
            settle = wait if wait is not None else min(
                self._policy.backoff(attempts.made) * self._policy.time_scale,
                max(0.0, attempts.remaining()))
            logger.warning("github create unanswered; looking for it", extra={
                "method": method, "path": path, "attempt": attempts.made, "reason": reason,
                "wait": round(settle, 3)})
            await asyncio.sleep(settle)  # time for GitHub to finish what it started
            found = await self._look_before_resend()
            if found is not None:
                logger.info("github create had succeeded; reused", extra={
                    "path": path, "id": found})
                raise CreatedMeanwhileError(found)
            return 0.0 if wait is not None else None
        if wait is not None:
            logger.warning("github request retried", extra={
                "method": method, "path": path, "attempt": attempts.made, "reason": reason,
                "wait": round(wait, 3)})
        return wait

    async def get_bytes(self, url: str, *, accept: str, max_bytes: int) -> bytes:
        """A GET whose body is not JSON (a tarball), with the same retries."""
        full_url = sansio.format_url(url, {}, base_url=self.base_url)
        headers = sansio.create_headers(self.requester, accept=accept)
        status, response_headers, body = await self.send("GET", full_url, headers,
                                                         max_bytes=max_bytes)
        if status == 200:
            return body
        sansio.decipher_response(status, response_headers, body)  # raises for an error
        raise GitHubUnavailableError(f"GET {url}: unexpected status {status}")


def _message(body: bytes) -> str:
    """GitHub's error `message` (it tells a secondary rate limit from other 403s)."""
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    return str(decoded.get("message") or "") if isinstance(decoded, dict) else ""


async def _read(response: aiohttp.ClientResponse, max_bytes: int | None) -> bytes:
    if max_bytes is None:
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise ArchiveTooLargeError(f"over {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
