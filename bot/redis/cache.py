"""What workers share through Redis so that N processes cost GitHub what one would.

- Installation tokens, per installation until `TOKEN_MARGIN` before expiry: one mint per
  hour for the whole fleet instead of one per worker. Stored encrypted (AES-GCM, key
  derived from the App's private key, which every worker has and Redis never sees), so a
  Redis dump or a `MONITOR` session does not hand out repository access. Minting is
  single flight: a short lock (`SET NX PX`) makes workers that start together wait for
  the one token the first of them mints.
- Immutable objects by sha: blobs, files at a commit, and the base tarball that the repo
  index is built from (one download per base sha for the fleet). zlib-compressed unless
  already compressed, objects over `max_bytes` are not shared, every key expires after
  `OBJECT_TTL`; run Redis with `maxmemory` and `maxmemory-policy volatile-lru` so these
  (and only keys with a TTL) are evicted under pressure.

Invariant: the cache is an optimisation; Redis failing here costs GitHub calls, never an
audit: every error is logged and answered as a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import zlib
from collections.abc import AsyncIterator
from typing import cast

import redis.asyncio as aioredis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.exceptions import RedisError

from bot.github.credentials import TOKEN_MARGIN  # a shared token is dropped this long before expiry
from bot.redis.queue import NAMESPACE
from bot.settings import Settings

logger = logging.getLogger(__name__)

OBJECT_TTL = 24 * 3600
MINT_LOCK_MS = 10_000
"""How long one process may take to mint a token before the others stop waiting for it
(it died, or GitHub is slow) and mint their own."""
MINT_WAIT = 0.05
"""Seconds between looks at the mint lock while another process holds it."""
_RAW, _ZLIB = b"r", b"z"
_NONCE_BYTES = 12

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisSharedCache:
    """`github.SharedCache` over Redis."""

    def __init__(self, client: aioredis.Redis, settings: Settings, *,
                 max_bytes: int = 32 * 1024 * 1024) -> None:
        self._client = client
        self._max_bytes = max_bytes
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"ssot-bot installation tokens").derive(settings.private_key.encode())
        self._cipher = AESGCM(key)
        self._release = client.register_script(_RELEASE)

    async def token(self, installation: int) -> tuple[str, float] | None:
        """(token, expires at in epoch seconds), if another worker minted a fresh one."""
        sealed = await self._get(f"{NAMESPACE}:token:{installation}")
        if sealed is None:
            return None
        try:
            plain = self._cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:],
                                         str(installation).encode())
        except InvalidTag:
            logger.warning("shared token unreadable (another App key?); minting",
                           extra={"installation_id": installation})
            return None
        data = json.loads(plain)
        return str(data["token"]), float(data["expires_at"])

    async def keep_token(self, installation: int, token: str, expires_at: float) -> None:
        lifetime = round(expires_at - time.time() - TOKEN_MARGIN)
        if lifetime <= 0:
            return
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps({"token": token, "expires_at": expires_at}).encode()
        sealed = nonce + self._cipher.encrypt(nonce, plain, str(installation).encode())
        await self._set(f"{NAMESPACE}:token:{installation}", sealed, lifetime)

    @contextlib.asynccontextmanager
    async def minting(self, installation: int) -> AsyncIterator[None]:
        """`github.SharedCache.minting`: a lock in Redis, held at most `MINT_LOCK_MS`.
        With Redis away, nobody waits: minting twice beats not auditing."""
        key = f"{NAMESPACE}:token-minting:{installation}"
        holder = os.urandom(8).hex()
        while not await self._lock(key, holder):
            await asyncio.sleep(MINT_WAIT)
        try:
            yield
        finally:
            try:
                await self._release(keys=[key], args=[holder])
            except RedisError as exc:  # the lock expires on its own
                logger.warning("shared cache unavailable", extra={
                    "reason": type(exc).__name__})

    async def _lock(self, key: str, holder: str) -> bool:
        try:
            return bool(await self._client.set(key, holder, nx=True, px=MINT_LOCK_MS))
        except RedisError as exc:
            logger.warning("shared cache unavailable", extra={"reason": type(exc).__name__})
            return True

    async def object(self, key: tuple[str, ...]) -> bytes | None:
        stored = await self._get(_object_key(key))
        if stored is None:
            return None
        kind, data = stored[:1], stored[1:]
        return zlib.decompress(data) if kind == _ZLIB else data

    async def keep_object(self, key: tuple[str, ...], data: bytes) -> None:
        if len(data) > self._max_bytes:
            return
        packed = zlib.compress(data, 1)
        stored = _ZLIB + packed if len(packed) < len(data) else _RAW + data
        await self._set(_object_key(key), stored, OBJECT_TTL)

    async def _get(self, key: str) -> bytes | None:
        try:
            found = cast(bytes | None, await self._client.get(key))
        except RedisError as exc:
            logger.warning("shared cache unavailable", extra={"reason": type(exc).__name__})
            return None
        return found

    async def _set(self, key: str, value: bytes, seconds: int) -> None:
        try:
            await self._client.set(key, value, ex=seconds)
        except RedisError as exc:
            logger.warning("shared cache unavailable", extra={"reason": type(exc).__name__})


def _object_key(key: tuple[str, ...]) -> str:
    """Hashed: repository names and paths may hold anything, keys should not."""
    return f"{NAMESPACE}:object:{hashlib.sha256(chr(0).join(key).encode()).hexdigest()}"
