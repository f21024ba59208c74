"""The loaded application: collection, embedder, index, scorer and progress store.

One :class:`Engine` is built per process from an :class:`AppConfig` and shared
by every user; it is read-only after loading (per-user state lives in
sessions and in the progress database). Loading reports progress so the CLI
and the web app can show it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from corpus.model import Collection
from corpus.parser import load_collection
from index.build import BuildReport, index_folder, open_index
from index.cache import EmbeddingCache
from index.embedders import Embedder, load_embedder
from index.search import SearchIndex

from .config import AppConfig
from .progress import CollectionScope, ProgressStore, ensure_data_dir

Progress = Callable[[str, float], None]


def _quiet(_stage: str, _fraction: float) -> None:
    return None


@dataclass
class Engine:
    """Everything loaded for one collection; shared read-only by all users of the process."""

    config: AppConfig
    collection: Collection
    embedder: Embedder
    index: SearchIndex
    build_report: BuildReport
    cache: EmbeddingCache
    _scorer: object | None = None
    _store: ProgressStore | None = None
    _scorer_lock: threading.Lock = field(default_factory=threading.Lock)
    _store_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scorer(self):  # type: ignore[no-untyped-def]
        """The answer scorer, prepared on first use (reference embeddings are cached)."""
        return self.prepare_scorer()

    def prepare_scorer(self, progress: Progress | None = None):  # type: ignore[no-untyped-def]
        """The scorer, preparing it now if needed with ``progress(stage, fraction)`` reports.

        The first time on a collection this embeds every reference passage for scoring (minutes on two
        cores for the bundled collection); the vectors are cached, so later starts take seconds.
        """
        with self._scorer_lock:  # preparing takes a while; the store must not wait for it
            if self._scorer is None:
                from .scoring import Scorer

                scorer = Scorer(self.index, cache=self.cache)
                scorer.prepare(progress)
                self._scorer = scorer
            return self._scorer

    @property
    def scorer_ready(self) -> bool:
        """True once the scorer is prepared (so asking for it returns at once)."""
        return self._scorer is not None

    @property
    def progress_scope(self) -> CollectionScope:
        """This collection's part of the progress database (its key and question ids)."""
        return collection_scope(self.config, self.collection)

    @property
    def store(self) -> ProgressStore:
        """The progress database (opened on first use), reporting this collection's progress only."""
        with self._store_lock:
            if self._store is None:
                self._store = ProgressStore(self.config.progress_db, scope=self.progress_scope)
            return self._store


def collection_scope(config: AppConfig, collection: Collection) -> CollectionScope:
    """The part of the progress database that belongs to ``collection`` (its key and question ids)."""
    return CollectionScope(config.collection_key, frozenset(collection.questions))


@dataclass
class ProgressOnly:
    """What the progress report needs — the collection and its progress — without a model or an index,
    so ``progress`` on a fresh data folder does not build the search index first."""

    collection: Collection
    store: ProgressStore


def open_progress(config: AppConfig) -> ProgressOnly:
    """Parse the collection and open its part of the progress database (nothing else is loaded)."""
    collection = load_collection(config.corpus, section_level=config.section_level)
    ensure_data_dir(config.resolved_data_dir)
    return ProgressOnly(collection, ProgressStore(config.progress_db, scope=collection_scope(config, collection)))


def load_engine(config: AppConfig, progress: Progress | None = None, with_scorer: bool = False) -> Engine:
    """Parse the collection, load the model and open (or build) the index."""
    progress = progress or _quiet
    progress("collection", 0.0)
    collection = load_collection(config.corpus, section_level=config.section_level)
    progress("model", 0.05)
    embedder = load_embedder(config.model)
    data_dir = ensure_data_dir(config.resolved_data_dir)
    folder = index_folder(data_dir, collection, config.corpus)
    cache = EmbeddingCache(data_dir / "index" / "embeddings.sqlite3")
    index, report = open_index(
        collection, embedder, folder, progress=lambda stage, f: progress(stage, 0.1 + 0.8 * f), cache=cache
    )
    engine = Engine(config, collection, embedder, index, report, cache)
    if with_scorer:
        progress("scorer", 0.9)
        _ = engine.scorer
    progress("ready", 1.0)
    return engine


class LazyScorer:
    """Stands in for ``engine.scorer`` so a session can start (and its options be checked) before
    the scorer is prepared: the scorer is fetched on first use (web app and terminal)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def score(self, question_id: str, answer: str, focus: str | None = None) -> object:
        return self._engine.scorer.score(question_id, answer, focus=focus)

    def hint_terms(self, question_id: str, n: int, focus: str | None = None) -> list[str]:
        """Key terms of the reference, heaviest first, without the question's own words or function words
        (for a follow-up on one term, ``focus``: terms about it, without it)."""
        return list(self._engine.scorer.hint_terms(question_id, n, focus=focus))

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            scorer = self._engine.scorer
        except Exception as exc:  # scorer missing or failed to load: behave as if it had no such method
            raise AttributeError(name) from exc
        return getattr(scorer, name)

    def __deepcopy__(self, memo: dict) -> "LazyScorer":
        return self  # Gradio deep-copies session state: share the one scorer
