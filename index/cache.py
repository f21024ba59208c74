"""A SQLite cache of embeddings keyed by (model id, role, content hash).

Rebuilding an index after an edit to the collection re-embeds only passages
whose text changed: every other vector comes from here. The same cache serves
the scorer's reference-side embeddings. Rows are raw float32 bytes.

The cache is an optimisation: if the file is unreadable it is moved aside and
recreated, never trusted blindly and never a reason to fail.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .embedders import Embedder

SCHEMA_VERSION = 1


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by content hash; thread-safe, one connection per call."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[tuple[str, str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        if path is not None:
            self._open_checked()

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _open_checked(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError(f"unknown cache schema {version}")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, role TEXT NOT NULL, "
                    "hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, role, hash))"
                )
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            with self._connect() as conn:
                conn.execute(
                    "CREATE TABLE embeddings (model TEXT NOT NULL, role TEXT NOT NULL, "
                    "hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, role, hash))"
                )
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _lookup(self, model: str, role: str, hashes: list[str], dim: int) -> dict[str, np.ndarray]:
        found = {h: self._memory[(model, role, h)] for h in hashes if (model, role, h) in self._memory}
        missing = [h for h in hashes if h not in found]
        if self.path is None or not missing:
            return found
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
        return found

    def _store(self, model: str, role: str, items: dict[str, np.ndarray]) -> None:
        for h, v in items.items():
            self._memory[(model, role, h)] = v
        if self.path is None or not items:
            return
        with self._connect() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, role, hash, vector) VALUES (?, ?, ?, ?)",
                [(model, role, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

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
            found = self._lookup(embedder.id, role, list(dict.fromkeys(hashes)), embedder.dim)
        todo = list(dict.fromkeys(h for h in hashes if h not in found))
        text_of = dict(zip(hashes, texts))
        encode = embedder.encode_queries if role == "query" else embedder.encode_passages
        done = 0
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vectors = encode([text_of[h] for h in part])
            new = dict(zip(part, vectors))
            with self._lock:
                self._store(embedder.id, role, new)
            found.update(new)
            done += len(part)
            if progress is not None:
                progress(done, len(todo))
        if not hashes:
            return np.zeros((0, embedder.dim), dtype=np.float32), 0
        return np.vstack([found[h] for h in hashes]).astype(np.float32), len(todo)
