"""GitHub's REST API: the only module that knows its URLs, JSON shapes and manners.

`GitHubApp` is one per process: it mints App JWTs, caches installation tokens and
immutable objects, and hands out an `Installation` per installation id. `Installation`
has one method per operation the bot performs. `GitHubClient` is gidgethub's aiohttp
client with what production needs on top: a timeout on every request, retries with
jittered exponential backoff on 5xx and network errors, waits for secondary rate limits
(`Retry-After`, `x-ratelimit-reset`), bounded concurrency and token refresh on 401.

Invariant: a token, JWT or private key never appears in a log record or an exception
message raised from here; authorization headers are added at the last moment in
`GitHubClient.send` and never copied anywhere else.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import email.utils
import logging
import random
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
import cachetools
import jwt
from gidgethub import BadRequest, GitHubBroken, HTTPException, sansio
from gidgethub.aiohttp import GitHubAPI

from analyzers.model import ChangeStatus
from bot import PRODUCT, package_version
from bot.report import CHECK_NAME, CheckRunOutput
from bot.settings import Settings

logger = logging.getLogger(__name__)

USER_AGENT = f"{PRODUCT}/{package_version()}"
ANNOTATIONS_PER_REQUEST = 50
"""GitHub's limit per create/update check-run request."""
MAX_PULL_FILES = 3000
"""GitHub lists at most this many files of a pull request."""
PER_PAGE = 100
TOKEN_MARGIN = 5 * 60
"""An installation token is renewed this many seconds before it expires."""
JWT_BACKDATE = 60
JWT_LIFETIME = 9 * 60
"""`exp` is this many seconds from now, 10 minutes after the backdated `iat`; GitHub
refuses an `exp` more than 10 minutes ahead."""
RERUN_ACTION = {
    "label": "Re-run",
    "description": "Audit this commit again",
    "identifier": "rerun",
}
WRITE_PERMISSIONS = frozenset({"admin", "write"})
"""Values of the collaborator-permission endpoint's `permission` that may ask for a
re-audit."""
_PRESENT, _ABSENT = b"+", b"-"
"""How the object cache tells a file at a commit (`_PRESENT` + its bytes, so an empty
file is not taken for a missing one) from no file there."""
Conclusion = Literal["success", "failure", "neutral", "cancelled"]
"""`neutral` passes a required check; `cancelled` and `failure` block the merge."""


class GitHubUnavailableError(Exception):
    """GitHub did not answer usefully after every retry (network errors or timeouts)."""


class ArchiveTooLargeError(Exception):
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


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """An `issue_comment` delivery, reduced to what a command needs."""

    repo: str
    number: int
    on_pull_request: bool
    comment_id: int
    body: str
    commenter: str
    commenter_is_bot: bool
    author: str
    """Who opened the issue or pull request."""

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CommentEvent:
        issue, comment = payload["issue"], payload["comment"]
        return cls(
            repo=str(payload["repository"]["full_name"]),
            number=int(issue["number"]),
            on_pull_request=bool(issue.get("pull_request")),
            comment_id=int(comment["id"]),
            body=str(comment.get("body") or ""),
            commenter=str(comment["user"]["login"]),
            commenter_is_bot=comment["user"].get("type") == "Bot",
            author=str(issue["user"]["login"]),
        )


@dataclass(frozen=True, slots=True)
class CheckEvent:
    """A `check_run` or `check_suite` delivery: which head, which PRs it names."""

    repo: str
    head_sha: str
    pull_numbers: tuple[int, ...]
    """Empty for fork PRs: GitHub lists only PRs whose head is in the same repository."""
    check_name: str | None
    requested_action: str | None

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> CheckEvent:
        body = payload[event]
        return cls(
            repo=str(payload["repository"]["full_name"]),
            head_sha=str(body["head_sha"]),
            pull_numbers=tuple(int(p["number"]) for p in body.get("pull_requests") or ()),
            check_name=body.get("name"),
            requested_action=(payload.get("requested_action") or {}).get("identifier"),
        )


@dataclass(frozen=True, slots=True)
class InstallationChange:
    """An `installation` or `installation_repositories` delivery."""

    action: str
    account: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> InstallationChange:
        account = (payload.get("installation") or {}).get("account") or {}
        if event == "installation":
            added = payload.get("repositories") or () if payload.get("action") == "created" else ()
            removed: Any = ()
        else:
            added = payload.get("repositories_added") or ()
            removed = payload.get("repositories_removed") or ()
        return cls(
            action=str(payload.get("action")),
            account=account.get("login"),
            added=tuple(str(r["full_name"]) for r in added),
            removed=tuple(str(r["full_name"]) for r in removed),
        )


class MalformedPayloadError(ValueError):
    """A signed delivery whose JSON does not have the shape GitHub documents. The
    message names the part, never its content."""


def check_payload(event: str, payload: Any) -> None:
    """Raise `MalformedPayloadError` unless `payload` has the shape the handlers of
    `event` read: the envelope (`action` a string, `installation.id` an integer,
    `repository.full_name` a string) and the event's own object, parsed here the way the
    handler will parse it. So a payload a handler cannot read is refused at intake (400)
    instead of failing later in the background."""
    if not isinstance(payload, Mapping):
        raise MalformedPayloadError("the payload is not a JSON object")
    if not isinstance(payload.get("action", ""), str):
        raise MalformedPayloadError("action is not a string")
    installation = payload.get("installation")
    if installation is not None and not (
            isinstance(installation, Mapping) and _is_int(installation.get("id"))):
        raise MalformedPayloadError("installation.id is not an integer")
    repository = payload.get("repository")
    if repository is not None and not (
            isinstance(repository, Mapping) and isinstance(repository.get("full_name"), str)):
        raise MalformedPayloadError("repository.full_name is not a string")
    parse = _PAYLOAD_PARSERS.get(event)
    if parse is None:
        return
    try:
        parse(payload)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise MalformedPayloadError(f"the {event} payload lacks a field its handler "
                                    "reads, or has one of the wrong type") from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def installation_id(payload: Mapping[str, Any]) -> int | None:
    """The installation a webhook delivery belongs to, when it says (an integer, as
    `check_payload` made sure)."""
    installation = payload.get("installation")
    value = installation.get("id") if isinstance(installation, Mapping) else None
    return value if _is_int(value) else None


def repository_name(payload: Mapping[str, Any]) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, Mapping) else None
    return name if isinstance(name, str) and name else None


_PAYLOAD_PARSERS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "pull_request": lambda payload: PullRequest.from_json(payload["pull_request"]),
    "issue_comment": CommentEvent.from_payload,
    "check_run": lambda payload: CheckEvent.from_payload("check_run", payload),
    "check_suite": lambda payload: CheckEvent.from_payload("check_suite", payload),
    "installation": lambda payload: InstallationChange.from_payload("installation", payload),
    "installation_repositories": lambda payload: InstallationChange.from_payload(
        "installation_repositories", payload),
}
"""How each handled event's payload is read (the handlers use the same parsers)."""


def blob_url(html_base: str, repo: str, sha: str) -> Callable[[str, int], str]:
    """(path, line) -> link to that line at `sha` on GitHub's web UI. The path is
    percent-encoded byte for byte: a name from the tarball that is not UTF-8 (held as
    surrogate escapes) links to its real bytes, and newlines, `)` or spaces cannot end
    the markdown link."""
    def url(path: str, line: int) -> str:
        quoted = urllib.parse.quote(path, errors="surrogateescape")
        return f"{html_base}/{repo}/blob/{sha}/{quoted}#L{line}"
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
    return float(settings.backoff_base * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))


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
    whether one retry is worth it. Without `retry_unanswered`, a 5xx, a network error or
    a timeout is raised at once instead of retried: GitHub may have done the work, so
    only the caller knows whether repeating it is safe (`Installation._create`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        authorization: Callable[[], Awaitable[str]],
        unauthorized: Callable[[Mapping[str, str]], bool],
        limiter: asyncio.Semaphore,
        cache: cachetools.Cache[str, Any] | None = None,
        retry_unanswered: bool = True,
    ) -> None:
        super().__init__(session, USER_AGENT, cache=cache, base_url=settings.api_url)
        self._settings = settings
        self._authorization = authorization
        self._unauthorized = unauthorized
        self._limiter = limiter
        self._retry_unanswered = retry_unanswered

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
                        raise ArchiveTooLargeError(f"{response.content_length:,} bytes")
                    data = await _read(response, max_bytes)
                    return response.status, response.headers, data
            except (aiohttp.ClientError, TimeoutError) as exc:
                path = urllib.parse.urlsplit(url).path
                if attempt == self._settings.max_attempts or not self._retry_unanswered:
                    raise GitHubUnavailableError(
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
        if status >= 500 and not self._retry_unanswered:
            return False
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
                raise GitHubUnavailableError(f"GET {url}: unexpected status {status}")


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


# --- the App and its installations ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float
    """Seconds since the epoch."""


class SharedCache(Protocol):
    """Caches several processes share (Redis mode: `bot.redis.cache`). Misses and
    failures both answer None: sharing saves GitHub calls, it is never required."""

    async def token(self, installation: int) -> tuple[str, float] | None:
        """(token, expiry in epoch seconds) another process minted."""

    async def keep_token(self, installation: int, token: str, expires_at: float) -> None: ...

    def minting(self, installation: int) -> AbstractAsyncContextManager[None]:
        """Held while this process mints a token for `installation`; entering waits
        while another process holds it (single flight: one mint for the fleet)."""

    async def object(self, key: tuple[str, ...]) -> bytes | None: ...

    async def keep_object(self, key: tuple[str, ...], data: bytes) -> None: ...


class GitHubApp:
    """One per process: credentials, caches and a client per installation."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings,
                 shared: SharedCache | None = None) -> None:
        self.settings = settings
        self._session = session
        self._shared = shared
        self._refused: dict[int, str] = {}
        """Per installation, the last token GitHub refused: not taken from `shared` again."""
        self._tokens: dict[int, _Token] = {}
        self._token_locks: cachetools.LRUCache[int, asyncio.Lock] = cachetools.LRUCache(4096)
        self._installations: cachetools.LRUCache[int, Installation] = cachetools.LRUCache(4096)
        self._clock_offset = 0.0
        self.etags: cachetools.LRUCache[str, Any] = cachetools.LRUCache(4096)
        """gidgethub's conditional-request cache: URL -> (etag, last-modified, data, next)."""
        self.objects: cachetools.LRUCache[tuple[str, ...], bytes] = cachetools.LRUCache(
            settings.cache_bytes, getsizeof=len
        )
        """Immutable bytes by (kind, repo, sha[, path]): blobs, tarballs, files at a sha."""
        self.comment_ids: cachetools.LRUCache[tuple[str, int], int] = cachetools.LRUCache(4096)
        self._bot_login: str | None = None
        self._app_client = GitHubClient(
            session, settings, authorization=self._bearer, unauthorized=self._adjust_clock,
            limiter=asyncio.Semaphore(settings.concurrency_per_installation),
        )

    def app_jwt(self) -> str:
        """An RS256 JWT for the App: `iat` backdated for clock drift, `exp` < 10 min ahead."""
        now = int(time.time() + self._clock_offset)
        claims = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME,
                  "iss": self.settings.app_id}
        return jwt.encode(claims, self.settings.private_key, algorithm="RS256")

    async def bot_login(self) -> str:
        """`<slug>[bot]`, the login of this App's bot user (read once, `GET /app`). No
        person can have it: logins cannot contain brackets."""
        if self._bot_login is None:
            data = await self._app_client.getitem("/app")
            self._bot_login = f"{data['slug']}[bot]"
        return self._bot_login

    async def _bearer(self) -> str:
        return f"Bearer {self.app_jwt()}"

    def _adjust_clock(self, headers: Mapping[str, str]) -> bool:
        """A 401 for the JWT: if our clock is off from GitHub's, correct and retry once."""
        try:
            server_time = email.utils.parsedate_to_datetime(headers.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return False
        offset = server_time - time.time()
        if abs(offset - self._clock_offset) < 30:
            return False
        logger.warning("clock skew with github corrected", extra={"skew_seconds": round(offset)})
        self._clock_offset = offset
        return True

    async def token(self, installation: int) -> str:
        """The installation's token: this process's while fresh, else one another process
        shared, else a new one. Minting is single flight per process (a lock) and, with a
        shared cache, across processes (`SharedCache.minting`)."""
        lock = self._token_locks.get(installation)
        if lock is None:
            lock = self._token_locks[installation] = asyncio.Lock()
        async with lock:
            cached = self._tokens.get(installation)
            if cached is not None and cached.expires_at - TOKEN_MARGIN > time.time():
                return cached.value
            if self._shared is None:
                return await self._mint(installation)
            shared = await self._shared_token(installation)
            if shared is not None:
                return shared
            async with self._shared.minting(installation):
                # Whoever held it before has shared the token it minted.
                return await self._shared_token(installation) or await self._mint(installation)

    async def _shared_token(self, installation: int) -> str | None:
        assert self._shared is not None, "only called with a shared cache"
        shared = await self._shared.token(installation)
        if shared is None or shared[1] - TOKEN_MARGIN <= time.time() or (
                shared[0] == self._refused.get(installation)):
            return None
        self._tokens[installation] = _Token(*shared)
        return shared[0]

    async def _mint(self, installation: int) -> str:
        data = await self._app_client.post(
            f"/app/installations/{installation}/access_tokens", data={}
        )
        token = str(data["token"])
        expires = datetime.datetime.fromisoformat(str(data["expires_at"])).timestamp()
        self._tokens[installation] = _Token(token, expires)
        if self._shared is not None:
            await self._shared.keep_token(installation, token, expires)
        logger.info("installation token minted", extra={
            "installation_id": installation, "expires_in": round(expires - time.time()),
        })
        return token

    def forget_token(self, installation: int) -> bool:
        """Drop a token GitHub refused; True if there was one (worth one retry)."""
        refused = self._tokens.pop(installation, None)
        if refused is None:
            return False
        self._refused[installation] = refused.value
        return True

    async def cached_object(self, key: tuple[str, ...]) -> bytes | None:
        """An immutable object from this process's cache, else from the shared one."""
        found = self.objects.get(key)
        if found is None and self._shared is not None:
            found = await self._shared.object(key)
            if found is not None:
                self.objects[key] = found
        return found

    async def keep_object(self, key: tuple[str, ...], data: bytes) -> None:
        self.objects[key] = data
        if self._shared is not None:
            await self._shared.keep_object(key, data)

    def installation(self, installation: int) -> Installation:
        found = self._installations.get(installation)
        if found is None:
            found = self._installations[installation] = Installation(self, installation)
        return found

    def client(self, installation: int, limiter: asyncio.Semaphore, *,
               conditional: bool, retry_unanswered: bool = True) -> GitHubClient:
        async def authorization() -> str:
            return f"token {await self.token(installation)}"

        return GitHubClient(
            self._session, self.settings, authorization=authorization,
            unauthorized=lambda _headers: self.forget_token(installation),
            limiter=limiter, cache=self.etags if conditional else None,
            retry_unanswered=retry_unanswered,
        )


class Installation:
    """The operations the bot performs with one installation's token."""

    def __init__(self, app: GitHubApp, installation: int) -> None:
        self.app = app
        self.id = installation
        limiter = asyncio.Semaphore(app.settings.concurrency_per_installation)
        self._api = app.client(installation, limiter, conditional=True)
        """For GETs of things that change (PRs, lists): ETags make repeats free."""
        self._raw = app.client(installation, limiter, conditional=False)
        """For writes and immutable objects, which the bot caches by sha itself."""
        self._creator = app.client(installation, limiter, conditional=False,
                                   retry_unanswered=False)
        """For POSTs that create something: `_create` retries them, looking first."""

    # pull requests

    async def pull(self, repo: str, number: int) -> PullRequest:
        return PullRequest.from_json(await self._api.getitem(f"/repos/{repo}/pulls/{number}"))

    async def open_pulls_with_head(self, repo: str, sha: str) -> list[PullRequest]:
        """Open PRs whose head is `sha`; works for forks, whose check events list none."""
        found = []
        async for data in self._api.getiter(f"/repos/{repo}/pulls?state=open&per_page={PER_PAGE}"):
            if data["head"]["sha"] == sha:
                found.append(PullRequest.from_json(data))
        return found

    async def pull_files(self, repo: str, number: int) -> list[PullFile]:
        files: list[PullFile] = []
        url = f"/repos/{repo}/pulls/{number}/files?per_page={PER_PAGE}"
        async for data in self._api.getiter(url):
            files.append(PullFile.from_json(data))
            if len(files) >= MAX_PULL_FILES:
                break
        return files

    # contents

    async def blob(self, repo: str, sha: str) -> bytes:
        key = ("blob", repo, sha)
        found = await self.app.cached_object(key)
        if found is None:
            data = await self._raw.getitem(f"/repos/{repo}/git/blobs/{sha}")
            found = base64.b64decode(data["content"]) if data.get("content") else b""
            await self.app.keep_object(key, found)
        return found

    async def blob_sizes(self, repo: str, sha: str) -> dict[str, int]:
        """Path -> size in bytes of every file at commit `sha`, from its recursive tree,
        so a file can be judged by its size before it is downloaded. GitHub truncates
        very large trees; the files it left out are simply not in the answer."""
        data = await self._raw.getitem(f"/repos/{repo}/git/trees/{sha}?recursive=1")
        return {str(entry["path"]): int(entry["size"]) for entry in data.get("tree") or ()
                if entry.get("type") == "blob" and _is_int(entry.get("size"))}

    async def file_at(self, repo: str, path: str, sha: str) -> bytes | None:
        """A file's bytes at a commit (b"" for an empty file), None if there is no such
        file. Absence is cached too: commits never change."""
        key = ("contents", repo, sha, path)
        found = await self.app.cached_object(key)
        if found is None:
            url = f"/repos/{repo}/contents/{urllib.parse.quote(path)}?ref={sha}"
            try:
                data = await self._raw.getitem(url)
            except BadRequest as exc:
                if exc.status_code != 404:
                    raise
                data = None
            if isinstance(data, dict) and data.get("type") == "file":
                found = _PRESENT + base64.b64decode(data.get("content") or "")
            else:
                found = _ABSENT
            await self.app.keep_object(key, found)
        return found[1:] if found[:1] == _PRESENT else None

    async def first_file_at(self, repo: str, paths: Sequence[str], sha: str
                            ) -> tuple[str, bytes] | None:
        for path in paths:
            data = await self.file_at(repo, path, sha)
            if data is not None:
                return path, data
        return None

    async def archive(self, repo: str, sha: str) -> bytes | None:
        """The gzipped tarball of the repository at `sha`; None when over the size cap."""
        key = ("tarball", repo, sha)
        found = await self.app.cached_object(key)
        if found is None:
            try:
                found = await self._raw.get_bytes(
                    f"/repos/{repo}/tarball/{sha}", accept=sansio.accept_format(),
                    max_bytes=self.app.settings.max_archive_bytes,
                )
            except ArchiveTooLargeError as exc:
                logger.warning("tarball too large", extra={"repo": repo, "reason": str(exc)})
                return None
            await self.app.keep_object(key, found)
        return found

    # permissions and reactions

    async def permission(self, repo: str, user: str) -> str | None:
        """The user's base permission on the repo (admin, write, read or none; maintain
        counts as write, triage as read, a custom role as its base), None if not a
        collaborator. `role_name` is ignored: a custom role's name grants nothing."""
        try:
            data = await self._api.getitem(
                f"/repos/{repo}/collaborators/{urllib.parse.quote(user)}/permission"
            )
        except BadRequest as exc:
            if exc.status_code == 404:
                return None
            raise
        return str(data.get("permission") or "") or None

    async def react(self, repo: str, comment_id: int, content: str) -> None:
        await self._raw.post(f"/repos/{repo}/issues/comments/{comment_id}/reactions",
                             data={"content": content})

    # check runs

    async def our_check_run(self, repo: str, head_sha: str) -> tuple[int, bool] | None:
        """(id, completed) of the newest `SSOT audit` check run this App has on `head_sha`."""
        found = await self._raw.getitem(
            f"/repos/{repo}/commits/{head_sha}/check-runs?filter=latest"
            f"&check_name={urllib.parse.quote(CHECK_NAME)}&app_id={self.app.settings.app_id}"
        )
        for run in found.get("check_runs") or ():
            if run.get("name") == CHECK_NAME and run.get("head_sha") == head_sha:
                return int(run["id"]), run.get("status") == "completed"
        return None

    async def start_check_run(self, repo: str, head_sha: str, *, resume: bool = False) -> int:
        """Our check run on `head_sha`, created `in_progress`. With `resume` (a job taken
        over from a dead worker), the newest one this App already has there is reused, so
        a retried audit still ends with one check run."""
        found = await self.our_check_run(repo, head_sha) if resume else None
        if found is not None:
            return found[0]

        async def created_meanwhile() -> int | None:
            # In progress: a completed one on this head is an earlier audit's.
            run = await self.our_check_run(repo, head_sha)
            return run[0] if run is not None and not run[1] else None

        return await self._create(f"/repos/{repo}/check-runs", {
            "name": CHECK_NAME,
            "head_sha": head_sha,
            "status": "in_progress",
            "started_at": _now_iso(),
        }, created_meanwhile)

    async def complete_check_run(self, repo: str, check_run: int, conclusion: Conclusion,
                                 output: CheckRunOutput) -> int:
        """Conclude a check run with every annotation (up to `max_annotations`), 50 per
        request; the last request completes it, so it never shows half its annotations
        as final. Returns the number of requests made."""
        annotations = output.annotations[: self.app.settings.max_annotations]
        batches = [annotations[i : i + ANNOTATIONS_PER_REQUEST]
                   for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
        url = f"/repos/{repo}/check-runs/{check_run}"
        title = output.title[:255]
        summary = _clip(output.summary)
        for batch in batches[:-1]:
            await self._raw.patch(url, data={
                "output": {"title": title, "summary": summary, "annotations": batch},
            })
        final: dict[str, Any] = {"title": title, "summary": summary}
        if output.text:
            final["text"] = _clip(output.text)
        if batches[-1]:
            final["annotations"] = batches[-1]
        await self._raw.patch(url, data={
            "status": "completed",
            "conclusion": conclusion,
            "completed_at": _now_iso(),
            "output": final,
            "actions": [RERUN_ACTION],
        })
        return len(batches)

    # the sticky comment

    async def upsert_comment(self, repo: str, number: int, body: str, marker: str) -> int:
        """Edit our comment (found by `marker`) in place, or create it once."""
        key = (repo, number)
        known = self.app.comment_ids.get(key)
        if known is not None:
            try:
                await self._raw.patch(f"/repos/{repo}/issues/comments/{known}",
                                      data={"body": body})
                return known
            except BadRequest as exc:
                if exc.status_code != 404:
                    raise
                del self.app.comment_ids[key]  # deleted by someone; look again
        existing = await self.find_comment(repo, number, marker)
        if existing is not None:
            await self._raw.patch(f"/repos/{repo}/issues/comments/{existing.id}",
                                  data={"body": body})
            comment_id = existing.id
        else:
            async def created_meanwhile() -> int | None:
                found = await self.find_comment(repo, number, marker)
                return found.id if found is not None else None

            comment_id = await self._create(f"/repos/{repo}/issues/{number}/comments",
                                            {"body": body}, created_meanwhile)
        self.app.comment_ids[key] = comment_id
        return comment_id

    async def find_comment(self, repo: str, number: int, marker: str) -> Comment | None:
        """Our sticky comment: it starts with `marker` AND this App posted it (GitHub
        names our App id in `performed_via_github_app`, or its author is our bot user).
        Anyone who can comment can copy the marker; neither of those facts can be
        forged, so a planted look-alike is never edited into a report its author can
        then rewrite."""
        url = f"/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}"
        async for data in self._api.getiter(url):
            body = str(data.get("body") or "")
            if body.startswith(marker) and await self._posted_by_us(data):
                return Comment(int(data["id"]), body)
        return None

    async def _posted_by_us(self, comment: Mapping[str, Any]) -> bool:
        app = comment.get("performed_via_github_app")
        if isinstance(app, Mapping) and str(app.get("id")) == self.app.settings.app_id:
            return True
        user = comment.get("user")
        return (isinstance(user, Mapping) and user.get("type") == "Bot"
                and user.get("login") == await self.app.bot_login())

    def blob_url(self, repo: str, sha: str) -> Callable[[str, int], str]:
        return blob_url(web_url(self.app.settings.api_url), repo, sha)

    async def _create(self, url: str, data: Mapping[str, Any],
                      created_meanwhile: Callable[[], Awaitable[int | None]]) -> int:
        """POST `data` to create something; its id. Never creates it twice: after an
        answer that leaves open whether GitHub did it (a 5xx, a dropped connection, a
        timeout), `created_meanwhile` looks for it before posting again (and after the
        last attempt, so that nothing GitHub created is left unfinished)."""
        attempt = 1
        while True:
            try:
                created = await self._creator.post(url, data=data)
                return int(created["id"])
            except (GitHubBroken, GitHubUnavailableError) as exc:
                wait = backoff(attempt, self.app.settings)
                logger.warning("github create unanswered; looking for it", extra={
                    "path": url, "attempt": attempt, "reason": type(exc).__name__,
                    "wait": round(wait, 3),
                })
                await self._creator.sleep(wait)  # time for GitHub to finish what it started
                found = await created_meanwhile()
                if found is not None:
                    logger.info("github create had succeeded; reused", extra={
                        "path": url, "id": found})
                    return found
                if attempt >= self.app.settings.max_attempts:
                    raise
            attempt += 1

def _clip(text: str, limit: int = 65_535) -> str:
    if len(text) <= limit:
        return text
    cut = "\n\n… (cut to fit GitHub's limit)"
    return text[: limit - len(cut)] + cut


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

