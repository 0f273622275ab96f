"""The CLI's on-disk cache of per-file facts, so a second audit of the same repository
does not parse its unchanged files again (the engine keys facts by content hash).

It lives in the repository's git directory, which only the repository's owner writes:
the same trust as git hooks, which is why unpickling it is acceptable.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path

logger = logging.getLogger(__name__)

Facts = Mapping[str, object]


class FactsStore(MutableMapping[bytes, Facts]):
    """A dict loaded from disk that remembers which keys this run used, so `save`
    keeps only those and the file never grows past the repository's size."""

    def __init__(self, path: Path, entries: dict[bytes, Facts]) -> None:
        self.path = path
        self._entries = entries
        self._used: set[bytes] = set()
        self._dirty = False

    @classmethod
    def load(cls, path: Path) -> FactsStore:
        try:
            with path.open("rb") as stream:
                entries = pickle.load(stream)
        except FileNotFoundError:
            entries = {}
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            # A cache from another version or a torn write: start afresh, say so.
            logger.warning("ignoring unreadable facts cache %s: %s", path, exc)
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def __getitem__(self, key: bytes) -> Facts:
        value = self._entries[key]
        self._used.add(key)
        return value

    def __setitem__(self, key: bytes, value: Facts) -> None:
        self._entries[key] = value
        self._used.add(key)
        self._dirty = True

    def __delitem__(self, key: bytes) -> None:
        del self._entries[key]
        self._dirty = True

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def save(self) -> None:
        """Write the entries this run used, atomically; a failure only costs speed."""
        if not self._dirty and self._used == set(self._entries):
            return
        kept = {key: self._entries[key] for key in self._used if key in self._entries}
        temporary: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".facts-")
            temporary = Path(name)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(kept, stream, protocol=pickle.HIGHEST_PROTOCOL)
            temporary.replace(self.path)
        except OSError as exc:
            logger.warning("could not save the facts cache %s: %s", self.path, exc)
            if temporary is not None:
                with contextlib.suppress(OSError):  # best effort: it is only a cache
                    temporary.unlink()


def code_fingerprint() -> str:
    """Changes whenever the analyzers' code does, so facts from older code are not reused."""
    import analyzers

    digest = hashlib.sha256()
    for source in sorted(Path(analyzers.__file__).parent.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
