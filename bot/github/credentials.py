"""The App's credentials: its JWT (RS256, backdated, corrected for GitHub's clock) and
installation tokens, minted once per process or, with a `SharedCache`, once for the
fleet, and renewed `TOKEN_MARGIN` seconds before they expire."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
import cachetools
import jwt

from bot.github.links import ACTIONS_BOT_USER
from bot.github.transport import GitHubClient
from bot.settings import Settings

logger = logging.getLogger(__name__)

TOKEN_MARGIN = 5 * 60
"""An installation token is renewed this many seconds before it expires."""
JWT_BACKDATE = 60
JWT_LIFETIME = 9 * 60
"""`exp` is this many seconds from now, 10 minutes after the backdated `iat`; GitHub
refuses an `exp` more than 10 minutes ahead."""


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


class Credentials(Protocol):
    """What a GitHub client needs to authenticate: an App's (`AppCredentials`) or a
    workflow run's (`WorkflowToken`)."""

    async def token(self, installation: int) -> str: ...

    def forget_token(self, installation: int) -> bool: ...

    async def bot_login(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WorkflowToken:
    """The token GitHub hands a workflow run (`GITHUB_TOKEN`): one token for one
    repository, nothing to mint or renew. What it posts is by `bot_user`."""

    value: str = field(repr=False)
    bot_user: str = ACTIONS_BOT_USER

    async def token(self, installation: int) -> str:
        return self.value

    def forget_token(self, installation: int) -> bool:
        return False  # the run has no other token: a refused one is final

    async def bot_login(self) -> str:
        return self.bot_user


class AppCredentials:
    """One per process: the App's JWT and its installations' tokens."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings,
                 shared: SharedCache | None = None) -> None:
        self.settings = settings
        self._shared = shared
        self._refused: dict[int, str] = {}
        """Per installation, the last token GitHub refused: not taken from `shared` again."""
        self._tokens: dict[int, _Token] = {}
        self._token_locks: cachetools.LRUCache[int, asyncio.Lock] = cachetools.LRUCache(4096)
        self._clock_offset = 0.0
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
