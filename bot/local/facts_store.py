"""The on-disk cache of per-file facts, so a second audit of the same repository does not
parse its unchanged files again: one SQLite file of facts keyed by git blob id (the
engine's `FactsCache`), each family of a file's facts pickled on its own and read only
when a check asks for that family of that file. A warm audit reads no unchanged blob
from git and hashes none (`git ls-tree` names their ids), and loads no facts it does not
use: the duplicates check reads every file's small keys but the full clone facts only of
the files that resemble the change.

The CLI keeps it in the repository's git directory, which only the repository's owner
writes: the same trust as git hooks, which is why unpickling it is acceptable. The App
keeps one per repository in its own cache directory, shared by its audit processes
(SQLite's locking makes concurrent readers and writers safe).

Invariants: a failure of the store only costs speed. An unreadable or locked store is a
logged warning and the audit indexes the files itself. Reads between two saves see one
snapshot of the store (a read transaction), so an entry found at the start of an audit
is still there when a check reads its families, whatever other processes delete
meanwhile. The only loss is corruption found late: an entry whose family no longer
unpickles when a check asks for it is logged, missing from that audit's cross-file
checks, and deleted, so the next audit indexes its file again.
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
_MARKS_PER_STATEMENT = 500
"""Blob ids per `UPDATE ... IN (...)` that marks what a run used (under SQLite's limit of
host parameters per statement)."""
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blobs (blob BLOB PRIMARY KEY, used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts (blob BLOB NOT NULL, family TEXT NOT NULL, "
    "data BLOB NOT NULL, PRIMARY KEY (blob, family))",
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT)",
)
_UNPICKLING_ERRORS = (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                      TypeError, ValueError)


class FactsStore(MutableMapping[bytes, Facts]):
    """Facts by blob id in the SQLite file at `path`. A read gives the file's facts as a
    mapping that reads each family when first asked for; writes wait in memory until
    `save`, which writes them in one transaction, marks what this run used and drops
    what no recent run used."""

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
        """The connection, inside a read transaction (the snapshot reads share)."""
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
        if self._connection is not None and not self._connection.in_transaction:
            try:
                self._connection.execute("BEGIN")
            except sqlite3.Error as exc:
                self._failed("read", exc)
        return self._connection

    def _failed(self, action: str, exc: Exception) -> None:
        logger.warning("facts cache %s: cannot %s it (%s); indexing without it", self.path,
                       action, exc)
        self._broken = True
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        """The rows of a read; none when the store failed."""
        database = self._database()
        if database is None:
            return []
        try:
            rows: list[tuple[object, ...]] = database.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return []
        return rows

    def __getitem__(self, key: bytes) -> Facts:
        if key in self._new:
            self._used.add(key)
            return self._new[key]
        # One row per family, or one with no family for a blob of no facts (a file that
        # does not parse).
        rows = self._query("SELECT family FROM blobs LEFT JOIN facts USING (blob) "
                           "WHERE blob = ?", (key,))
        if not rows:
            raise KeyError(key)
        self._used.add(key)
        return StoredFacts(self, key, tuple(str(row[0]) for row in rows if row[0] is not None))

    def read_family(self, key: bytes, family: str) -> object:
        """One family of one blob's facts; KeyError (and a warning) when it cannot be
        read, and the blob is forgotten so that the next audit indexes it again."""
        rows = self._query("SELECT data FROM facts WHERE blob = ? AND family = ?",
                           (key, family))
        problem: Exception | str = "missing"
        if rows and isinstance(data := rows[0][0], bytes):
            try:
                return pickle.loads(data)
            except _UNPICKLING_ERRORS as exc:
                problem = exc
        if self._connection is not None:  # a failed store has said so already
            logger.warning("facts cache %s: unreadable %s facts of blob %s (%s); this "
                           "audit's cross-file checks miss that file", self.path, family,
                           key.hex(), problem)
            self._forget(key)
        raise KeyError(family)

    def _forget(self, key: bytes) -> None:
        self._used.discard(key)
        self._new.pop(key, None)
        database = self._database()
        if database is None:
            return
        try:
            database.execute("COMMIT")
            with contextlib.closing(database.cursor()) as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("DELETE FROM facts WHERE blob = ?", (key,))
                cursor.execute("DELETE FROM blobs WHERE blob = ?", (key,))
                cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            self._failed("write", exc)

    def __contains__(self, key: object) -> bool:
        if key in self._new:
            return True
        if not isinstance(key, bytes):
            return False
        return bool(self._query("SELECT 1 FROM blobs WHERE blob = ?", (key,)))

    def __setitem__(self, key: bytes, value: Facts) -> None:
        self._new[key] = value
        self._used.add(key)

    def __delitem__(self, key: bytes) -> None:
        self._forget(key)

    def __iter__(self) -> Iterator[bytes]:
        database = self._database()
        stored = [] if database is None else [
            row[0] for row in database.execute("SELECT blob FROM blobs")]
        return iter(dict.fromkeys([*stored, *self._new]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def save(self) -> None:
        """End the reads' snapshot (the next read sees what other processes wrote), and
        write the new facts and this run's marks in one transaction; a failure only
        costs speed."""
        database = self._database()
        if database is None:
            return
        try:
            database.execute("COMMIT")
            if not self._used:
                return
            with contextlib.closing(database.cursor()) as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                run = cursor.execute("INSERT INTO runs DEFAULT VALUES").lastrowid or 0
                self._write_new(cursor, run)
                used = [key for key in self._used if key not in self._new]
                for start in range(0, len(used), _MARKS_PER_STATEMENT):
                    chunk = used[start:start + _MARKS_PER_STATEMENT]
                    cursor.execute("UPDATE blobs SET used = ? WHERE blob IN "
                                   f"({', '.join('?' * len(chunk))})", (run, *chunk))
                cursor.execute("DELETE FROM facts WHERE blob IN "
                               "(SELECT blob FROM blobs WHERE used <= ?)", (run - KEEP_RUNS,))
                cursor.execute("DELETE FROM blobs WHERE used <= ?", (run - KEEP_RUNS,))
                cursor.execute("DELETE FROM runs WHERE id < ?", (run,))
                cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                database.execute("ROLLBACK")
            self._failed("write", exc)
            return
        self._new.clear()
        self._used.clear()

    def _write_new(self, cursor: sqlite3.Cursor, run: int) -> None:
        for key, facts in self._new.items():
            cursor.execute("DELETE FROM facts WHERE blob = ?", (key,))
            cursor.execute("INSERT OR REPLACE INTO blobs (blob, used) VALUES (?, ?)",
                           (key, run))
            cursor.executemany(
                "INSERT INTO facts (blob, family, data) VALUES (?, ?, ?)",
                [(key, family, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                 for family, value in facts.items()])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class StoredFacts(Mapping[str, object]):
    """One blob's facts in the store, each family unpickled when first asked for."""

    def __init__(self, store: FactsStore, key: bytes, families: tuple[str, ...]) -> None:
        self._store = store
        self._key = key
        self._families = families
        self._read: dict[str, object] = {}

    def __getitem__(self, family: str) -> object:
        if family not in self._read:
            if family not in self._families:
                raise KeyError(family)
            self._read[family] = self._store.read_family(self._key, family)
        return self._read[family]

    def __iter__(self) -> Iterator[str]:
        return iter(self._families)

    def __len__(self) -> int:
        return len(self._families)



def code_fingerprint() -> str:
    """Changes whenever the analyzers' code or the store's schema does, so facts from
    older code are not reused and an older store is never opened as this one."""
    import analyzers

    digest = hashlib.sha256("\n".join(_SCHEMA).encode())
    for source in sorted(Path(analyzers.__file__).parent.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
