"""A SQLite cache of embeddings keyed by (model id, role, content hash).

Rebuilding an index after an edit to the collection re-embeds only passages
whose text changed: every other vector comes from here. The same cache serves
the scorer's reference-side embeddings. Rows are raw float32 bytes.

The cache is an optimisation, never a reason to fail. A file SQLite reports as
corrupt or not a database (or with an unknown schema) is moved aside and
recreated. A file that is merely busy, locked, read-only or cannot be opened
belongs to someone else for now (often a concurrent build): it is left alone,
with a logged warning, and that call embeds without the disk cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .embedders import Embedder

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # how long a call waits for another writer before going on without the disk cache

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

_DDL = (
    "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, role TEXT NOT NULL, "
    "hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, role, hash))"
)

log = logging.getLogger(__name__)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_corrupt(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or no database at all.

    OperationalError (busy, locked, read-only, cannot open) is also a DatabaseError,
    so the class alone would discard a healthy cache another process holds.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


class EmbeddingCache:
    """Vectors by content hash; thread-safe, one connection per call."""

    def __init__(self, path: Path | None, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._memory: dict[tuple[str, str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self._ready = False  # the file has been checked and holds the current schema
        if path is not None:
            self._ready = self._open_checked()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed (sqlite3's own ``with`` only commits)."""
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout)
        try:
            with conn:
                conn.execute("PRAGMA journal_mode=WAL")
                yield conn
        finally:
            conn.close()

    def _open_checked(self) -> bool:
        """Check the schema, creating it in a new file; True when the disk cache is usable now.

        A current file is only read, so another process's write lock does not get in the way.
        """
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    conn.execute(_DDL)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                if version in (0, SCHEMA_VERSION):
                    return True
        except (OSError, sqlite3.Error) as exc:
            return self._failed(exc)
        return self._move_aside(f"unknown cache schema {version}")

    def _failed(self, exc: OSError | sqlite3.Error) -> bool:
        """Handle a disk error: replace a corrupt file, leave any other alone; True if the cache is usable."""
        if isinstance(exc, sqlite3.Error) and _is_corrupt(exc):
            return self._move_aside(str(exc))
        log.warning("Embedding cache %s is not usable now (%s); embedding without it.", self.path, exc)
        return False

    def _move_aside(self, reason: str) -> bool:
        """Rename an unreadable file (and its WAL) to ``*.corrupt-<time>`` and start an empty one."""
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            self.path.rename(aside)
            wal = Path(f"{self.path}-wal")
            if wal.exists():
                wal.rename(Path(f"{aside}-wal"))
            Path(f"{self.path}-shm").unlink(missing_ok=True)
            log.warning("Embedding cache %s is unreadable (%s); moved it to %s and started a new one.",
                        self.path, reason, aside.name)
            with self._connect() as conn:
                conn.execute(_DDL)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            log.warning("Embedding cache %s is unreadable (%s) and could not be replaced (%s); "
                        "embedding without it.", self.path, reason, exc)
            return False
        return True

    def _lookup(self, model: str, role: str, hashes: list[str], dim: int) -> tuple[dict[str, np.ndarray], bool]:
        """Cached vectors of ``hashes``, and whether the disk cache answered."""
        found = {h: self._memory[(model, role, h)] for h in hashes if (model, role, h) in self._memory}
        missing = [h for h in hashes if h not in found]
        if self.path is None:
            return found, False
        if not self._ready:
            self._ready = self._open_checked()
            if not self._ready:
                return found, False
        if not missing:
            return found, True
        try:
            with self._connect() as conn:
                for start in range(0, len(missing), 500):
                    part = missing[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows = conn.execute(
                        f"SELECT hash, vector FROM embeddings WHERE model=? AND role=? AND hash IN ({marks})",
                        (model, role, *part),
                    ).fetchall()
                    for h, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        if vec.shape[0] == dim:
                            found[h] = vec
        except sqlite3.Error as exc:
            self._ready = self._failed(exc)
            return found, False
        return found, True

    def _store(self, model: str, role: str, items: dict[str, np.ndarray], disk: bool) -> bool:
        """Keep ``items`` in memory and, if ``disk``, in the file; returns whether the file took them."""
        for h, v in items.items():
            self._memory[(model, role, h)] = v
        if self.path is None or not disk or not items:
            return disk
        try:
            with self._connect() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model, role, hash, vector) VALUES (?, ?, ?, ?)",
                    [(model, role, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
                )
        except sqlite3.Error as exc:
            self._ready = self._failed(exc)
            return False
        return True

    def encode(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        role: str = "passage",
        progress: Callable[[int, int], None] | None = None,
        batch: int = 64,
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``; returns (matrix, number of texts actually embedded)."""
        hashes = [content_hash(t) for t in texts]
        with self._lock:
            found, disk = self._lookup(embedder.id, role, list(dict.fromkeys(hashes)), embedder.dim)
        todo = list(dict.fromkeys(h for h in hashes if h not in found))
        text_of = dict(zip(hashes, texts))
        encode = embedder.encode_queries if role == "query" else embedder.encode_passages
        done = 0
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vectors = encode([text_of[h] for h in part])
            new = dict(zip(part, vectors))
            with self._lock:  # after one failed write, the rest of this call stays off the disk
                disk = self._store(embedder.id, role, new, disk)
            found.update(new)
            done += len(part)
            if progress is not None:
                progress(done, len(todo))
        if not hashes:
            return np.zeros((0, embedder.dim), dtype=np.float32), 0
        return np.vstack([found[h] for h in hashes]).astype(np.float32), len(todo)
