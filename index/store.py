"""The on-disk index: a versioned manifest, passages and a FAISS file.

Layout under an index folder::

    CURRENT              name of the live generation (replaced atomically)
    gen-<id>/manifest.json
    gen-<id>/passages.jsonl
    gen-<id>/dense.faiss
    build.lock           held while a build runs (other builders wait)

A build writes a whole new generation folder, fsyncs it, then swaps
``CURRENT``: an interrupted build leaves the old generation live, and readers
never see a half-written one. The manifest records the format version, the
collection's content hash, the embedder id, the chunk settings and a sha256 of
every file, so a stale, truncated, corrupt or foreign index is detected before
FAISS ever reads it, and rebuilt.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from .chunking import Passage
from .durable import fsync_dir

FORMAT_NAME = "ai-interview-index"
FORMAT_VERSION = 1
_FILES = ("passages.jsonl", "dense.faiss")


@dataclass(frozen=True)
class IndexKey:
    """Everything an index depends on; any change means rebuild."""

    corpus_hash: str
    embedder_id: str
    dim: int
    chunking: dict[str, object]


@dataclass
class Manifest:
    key: IndexKey
    passage_count: int
    files: dict[str, dict[str, object]]
    created_at: float
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError("not an ai-interview index manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"index format version {data.get('format_version')} (this code reads {FORMAT_VERSION})")
        key = IndexKey(**data["key"])
        return cls(
            key=key,
            passage_count=int(data["passage_count"]),
            files=dict(data["files"]),
            created_at=float(data["created_at"]),
            extra=dict(data.get("extra", {})),
        )


@dataclass
class StoredIndex:
    manifest: Manifest
    passages: list[Passage]
    tokens: list[list[str]]
    dense: faiss.Index


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class IndexStore:
    """Reads and atomically writes index generations in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    # ------------------------------------------------------------------ reading
    def current_generation(self) -> Path | None:
        pointer = self.folder / "CURRENT"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not name.startswith("gen-") or "/" in name:
            return None
        gen = self.folder / name
        return gen if gen.is_dir() else None

    def read_manifest(self) -> tuple[Manifest | None, str]:
        """The live manifest, or None with the reason it cannot be used."""
        _, manifest, reason = self._read_live()
        return manifest, reason

    def _read_live(self) -> tuple[Path | None, Manifest | None, str]:
        """The live generation and its manifest, read from one look at ``CURRENT``.

        Reading the pointer once matters: a builder in another process may swap
        generations at any moment, and the files must come from the generation
        whose manifest was checked.
        """
        gen = self.current_generation()
        if gen is None:
            return None, None, "no index yet"
        try:
            return gen, Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8")), "ok"
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            return None, None, f"unreadable manifest ({exc})"

    def load(self, key: IndexKey) -> tuple[StoredIndex | None, str]:
        """Load the live index if it matches ``key`` and every file checks out."""
        gen, manifest, reason = self._read_live()
        if gen is None or manifest is None:
            return None, reason
        if manifest.key != key:
            changed = [
                name for name in ("corpus_hash", "embedder_id", "dim", "chunking")
                if getattr(manifest.key, name) != getattr(key, name)
            ]
            return None, "changed: " + ", ".join(changed)
        try:
            for name in _FILES:
                info = manifest.files.get(name)
                path = gen / name
                if not info or not path.is_file():
                    return None, f"missing {name}"
                if path.stat().st_size != info.get("bytes") or _sha256(path) != info.get("sha256"):
                    return None, f"{name} is truncated or corrupt"
        except OSError as exc:  # a builder removed this (old) generation while we read it
            return None, f"index changed while loading ({exc.strerror or exc})"
        try:
            passages, tokens = _read_passages(gen / "passages.jsonl")
            dense = faiss.read_index(str(gen / "dense.faiss"))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            return None, f"unreadable index ({exc})"
        if len(passages) != manifest.passage_count or dense.ntotal != len(passages) or dense.d != key.dim:
            return None, "index files disagree with the manifest"
        return StoredIndex(manifest, passages, tokens, dense), "ok"

    # ------------------------------------------------------------------ writing
    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Serialise builders across processes; readers never need it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "build.lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def save(
        self, key: IndexKey, passages: list[Passage], tokens: list[list[str]], vectors: np.ndarray,
        extra: dict[str, object] | None = None,
    ) -> Manifest:
        """Write a new generation and make it live atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-gen-", dir=self.folder))
        try:
            with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
                for p, toks in zip(passages, tokens):
                    fh.write(json.dumps({**asdict(p), "tokens": toks}, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            dense = build_dense(vectors, key.dim)
            faiss.write_index(dense, str(tmp / "dense.faiss"))
            with open(tmp / "dense.faiss", "rb+") as fh:
                os.fsync(fh.fileno())
            files = {
                name: {"bytes": (tmp / name).stat().st_size, "sha256": _sha256(tmp / name)} for name in _FILES
            }
            manifest = Manifest(key=key, passage_count=len(passages), files=files, created_at=time.time(),
                                extra=dict(extra or {}))
            with (tmp / "manifest.json").open("w", encoding="utf-8") as fh:
                fh.write(manifest.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            gen_name = f"gen-{int(time.time())}-{uuid.uuid4().hex[:8]}"
            os.rename(tmp, self.folder / gen_name)
            fsync_dir(self.folder)
            pointer_tmp = self.folder / f".CURRENT.{uuid.uuid4().hex[:8]}"
            pointer_tmp.write_text(gen_name, encoding="utf-8")
            with open(pointer_tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(pointer_tmp, self.folder / "CURRENT")
            fsync_dir(self.folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._remove_old_generations(keep=gen_name)
        return manifest

    def _remove_old_generations(self, keep: str) -> None:
        """Delete superseded generations (best effort; a reader may still hold one open)."""
        for child in self.folder.iterdir():
            if child.name == keep or not child.is_dir():
                continue
            if child.name.startswith("gen-") or (
                child.name.startswith(".tmp-gen-") and time.time() - child.stat().st_mtime > 3600
            ):
                shutil.rmtree(child, ignore_errors=True)


def build_dense(vectors: np.ndarray, dim: int) -> faiss.Index:
    """Exact inner-product index (vectors are unit length, so scores are cosines).

    Exact search stays under a few ms up to ~100k passages; see the benchmark
    for where an HNSW or IVF index would pay off.
    """
    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _read_passages(path: Path) -> tuple[list[Passage], list[list[str]]]:
    passages: list[Passage] = []
    tokens: list[list[str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            tokens.append(list(row.pop("tokens")))
            passages.append(Passage(**row))
    return passages, tokens
