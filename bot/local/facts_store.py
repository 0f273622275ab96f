"""The on-disk cache of per-file facts, so a second audit of the same repository does not
parse its unchanged files again: one SQLite file of facts keyed by git blob id (the
engine's `FactsCache`), each file's facts pickled on their own and read only when the
audit asks for that file. A warm audit reads no unchanged blob from git and hashes none
(`git ls-tree` names their ids), and loads no facts it does not use.

The CLI keeps it in the repository's git directory, which only the repository's owner
writes: the same trust as git hooks, which is why unpickling it is acceptable. The App
keeps one per repository in its own cache directory, shared by its audit processes
(SQLite's locking makes concurrent readers and writers safe).

Invariant: a failure of the store only costs speed. An unreadable or locked store is a
logged warning and the audit indexes the files itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import pickle
import sqlite3
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path

logger = logging.getLogger(__name__)

Facts = Mapping[str, object]
KEEP_RUNS = 20
"""Facts that no audit of the last this many used are deleted when a run saves, so the
store follows the repository instead of growing with every blob it ever held."""
BUSY_SECONDS = 10.0
"""How long a process waits for another one's write to the same store."""
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (blob BLOB PRIMARY KEY, facts BLOB NOT NULL, "
    "used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT)",
)


class FactsStore(MutableMapping[bytes, Facts]):
    """Facts by blob id in the SQLite file at `path`. Reads go to the file, one file's
    facts at a time; writes wait in memory until `save`, which writes them in one
    transaction, marks what this run used and drops what no recent run used."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._broken = False
        self._new: dict[bytes, Facts] = {}
        self._used: set[bytes] = set()

    @classmethod
    def for_code(cls, directory: Path) -> FactsStore:
        """The store of the analyzers' current code in `directory`; stores of older code
        there are deleted (their facts may be wrong for this code)."""
        name = f"facts-{code_fingerprint()}.sqlite"
        with contextlib.suppress(OSError):  # best effort: an old store only wastes disk
            for old in directory.glob("facts-*"):
                if old.name != name and not old.name.startswith(f"{name}-"):
                    old.unlink()
        return cls(directory / name)

    def _database(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS,
                                                   isolation_level=None)
                self._connection.execute("PRAGMA journal_mode=WAL")
                for statement in _SCHEMA:
                    self._connection.execute(statement)
            except (OSError, sqlite3.Error) as exc:
                self._failed("open", exc)
        return self._connection

    def _failed(self, action: str, exc: Exception) -> None:
        logger.warning("facts cache %s: cannot %s it (%s); indexing without it", self.path,
                       action, exc)
        self._broken = True
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __getitem__(self, key: bytes) -> Facts:
        if key in self._new:
            self._used.add(key)
            return self._new[key]
        database = self._database()
        row = None
        if database is not None:
            try:
                row = database.execute("SELECT facts FROM facts WHERE blob = ?",
                                       (key,)).fetchone()
            except sqlite3.Error as exc:
                self._failed("read", exc)
        if row is None:
            raise KeyError(key)
        try:
            facts: Facts = pickle.loads(row[0])
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                TypeError, ValueError) as exc:
            # A torn write or foreign data: index the file again, say so.
            logger.warning("facts cache %s: unreadable entry (%s)", self.path, exc)
            raise KeyError(key) from None
        self._used.add(key)
        return facts

    def __contains__(self, key: object) -> bool:
        if key in self._new:
            return True
        database = self._database()
        if database is None or not isinstance(key, bytes):
            return False
        try:
            return database.execute("SELECT 1 FROM facts WHERE blob = ?",
                                    (key,)).fetchone() is not None
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return False

    def __setitem__(self, key: bytes, value: Facts) -> None:
        self._new[key] = value
        self._used.add(key)

    def __delitem__(self, key: bytes) -> None:
        self._new.pop(key, None)
        self._used.discard(key)
        database = self._database()
        if database is not None:
            try:
                database.execute("DELETE FROM facts WHERE blob = ?", (key,))
            except sqlite3.Error as exc:
                self._failed("write", exc)

    def __iter__(self) -> Iterator[bytes]:
        database = self._database()
        stored = [] if database is None else [
            row[0] for row in database.execute("SELECT blob FROM facts")]
        return iter(dict.fromkeys([*stored, *self._new]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def save(self) -> None:
        """Write the new facts and this run's marks in one transaction; a failure only
        costs speed."""
        database = self._database()
        if database is None or not self._used:
            return
        try:
            with contextlib.closing(database.cursor()) as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                run = cursor.execute("INSERT INTO runs DEFAULT VALUES").lastrowid
                cursor.executemany(
                    "INSERT OR REPLACE INTO facts (blob, facts, used) VALUES (?, ?, ?)",
                    [(key, pickle.dumps(dict(facts), protocol=pickle.HIGHEST_PROTOCOL), run)
                     for key, facts in self._new.items()])
                cursor.executemany("UPDATE facts SET used = ? WHERE blob = ?",
                                   [(run, key) for key in self._used if key not in self._new])
                cursor.execute("DELETE FROM facts WHERE used <= ?", ((run or 0) - KEEP_RUNS,))
                cursor.execute("DELETE FROM runs WHERE id < ?", (run,))
                cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                database.execute("ROLLBACK")
            self._failed("write", exc)
            return
        self._new.clear()
        self._used.clear()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def code_fingerprint() -> str:
    """Changes whenever the analyzers' code does, so facts from older code are not reused."""
    import analyzers

    digest = hashlib.sha256()
    for source in sorted(Path(analyzers.__file__).parent.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
