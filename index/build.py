"""Open an index for a collection: load it when up to date, rebuild it otherwise.

``open_index`` is the one entry point the CLI, the interviewer and the web app
use. It computes the :class:`~index.store.IndexKey` (collection hash,
embedder id, chunk settings), loads the stored index when the key matches and
every file verifies, and otherwise rebuilds under a cross-process lock,
embedding only passages the embedding cache has not seen, and reporting
progress through a callback.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from corpus.model import Collection

from .cache import EmbeddingCache
import numpy as np

from .chunking import ChunkSettings, chunk_collection, embedding_role, embedding_text
from .embedders import Embedder
from .search import SearchIndex
from .store import IndexKey, IndexStore
from .tokenize import Tokenizer

Progress = Callable[[str, float], None]


@dataclass
class BuildReport:
    """What ``open_index`` did: loaded or rebuilt, and how much was embedded."""

    action: str  # "loaded" | "built"
    reason: str
    passages: int
    embedded: int
    reused: int
    seconds: float
    folder: Path


def index_folder(data_dir: Path, collection: Collection, corpus_path: str | os.PathLike[str] | None) -> Path:
    """One index folder per collection location (so two collections never clash)."""
    ident = str(Path(corpus_path).resolve()) if corpus_path else "bundled"
    slug = "".join(ch if ch.isalnum() else "-" for ch in Path(ident).stem)[:32] or "collection"
    return data_dir / "index" / f"{slug}-{hashlib.sha1(ident.encode()).hexdigest()[:10]}"


def _silent(_stage: str, _fraction: float) -> None:
    return None


def open_index(
    collection: Collection,
    embedder: Embedder,
    folder: Path,
    settings: ChunkSettings = ChunkSettings(),
    progress: Progress | None = None,
    tokenizer: Tokenizer | None = None,
    cache: EmbeddingCache | None = None,
) -> tuple[SearchIndex, BuildReport]:
    """Load or (re)build the index of ``collection`` in ``folder``."""
    progress = progress or _silent
    tokenizer = tokenizer or Tokenizer()
    started = time.perf_counter()
    store = IndexStore(folder)
    key = IndexKey(collection.content_hash, embedder.id, embedder.dim, settings.as_dict())
    stored, reason = store.load(key)
    if stored is None:
        with store.build_lock():
            stored, reason_after_wait = store.load(key)  # another process may have built it meanwhile
            if stored is None:
                cache = cache if cache is not None else EmbeddingCache(folder.parent / "embeddings.sqlite3")
                return _build(collection, embedder, store, key, settings, progress, tokenizer, cache, reason, started)
            reason = reason_after_wait
    progress("loading", 0.95)
    index = SearchIndex(collection, stored.passages, stored.tokens, stored.dense, embedder, tokenizer, stored.manifest)
    progress("loaded", 1.0)
    report = BuildReport("loaded", reason, len(stored.passages), 0, len(stored.passages),
                         time.perf_counter() - started, folder)
    return index, report


def _build(
    collection: Collection, embedder: Embedder, store: IndexStore, key: IndexKey, settings: ChunkSettings,
    progress: Progress, tokenizer: Tokenizer, cache: EmbeddingCache, reason: str, started: float,
) -> tuple[SearchIndex, BuildReport]:
    progress("chunking", 0.0)
    passages = chunk_collection(collection, settings)
    tokenizer.warm()
    tokens: list[list[str]] = []
    step = max(1, len(passages) // 20)
    for i, p in enumerate(passages):
        tokens.append(tokenizer.tokens(p.text))
        if i % step == 0:
            progress("keywords", 0.05 + 0.15 * i / max(1, len(passages)))
    vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
    embedded = 0
    roles = sorted({embedding_role(p) for p in passages})
    for n, role in enumerate(roles):
        rows = [i for i, p in enumerate(passages) if embedding_role(p) == role]
        base = 0.2 + 0.75 * n / len(roles)
        part, count = cache.encode(
            embedder, [embedding_text(passages[i], collection) for i in rows], role=role,
            progress=lambda done, total, base=base: progress("embedding", base + 0.75 / len(roles) * done / max(1, total)),
        )
        vectors[rows] = part
        embedded += count
    progress("saving", 0.96)
    manifest = store.save(key, passages, tokens, vectors)
    dense = store.load(key)[0]
    if dense is None:  # pragma: no cover - we just wrote it
        raise RuntimeError(f"index written to {store.folder} could not be read back")
    progress("indexing", 0.98)
    index = SearchIndex(collection, passages, tokens, dense.dense, embedder, tokenizer, manifest)
    progress("ready", 1.0)
    report = BuildReport("built", reason, len(passages), embedded, len(passages) - embedded,
                         time.perf_counter() - started, store.folder)
    return index, report
