"""Hybrid search: FAISS (dense) + BM25 (keywords), fused per interview question.

Every passage is scored by both retrievers. A heading is scored by a weighted
fusion of five signals — its path and alias under the dense model, its best
body passage under the dense model, its path and its best body passage under
BM25 — each normalised per query so the weights mean the same for every
query. Headings are then grouped into **interview questions** (units, see
:meth:`corpus.model.Collection.unit_of`): a unit ranks by its best heading, and
the hit names that heading as its focus. Ranking units rather than every
sub-heading keeps the list free of near-duplicates ("过拟合的原因" and
"过拟合的解决方法" are parts of one question) and is robust to a query that
matches a sibling part better than the one its author had in mind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import bm25s
import faiss
import numpy as np

from corpus.model import Collection, Question

from .chunking import Passage
from .embedders import Embedder
from .glossary import Glossary
from .store import Manifest
from .tokenize import Tokenizer


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the per-heading signals (tuned on eval/retrieval_dev.tsv)."""

    dense_title: float = 1.0
    dense_alias: float = 1.0
    dense_body: float = 0.25
    bm25_title: float = 1.0
    bm25_body: float = 0.5


@dataclass
class PassageHit:
    passage: Passage
    score: float
    dense: float
    bm25: float


@dataclass
class SearchHit:
    """One interview question in the ranking, with the passages that matched best.

    ``focus`` is the heading inside the question that matched best (the
    question itself or one of its sub-questions).
    """

    question: Question
    score: float
    rank: int
    passages: list[PassageHit]
    focus: Question
    components: dict[str, float] = field(default_factory=dict)


class SearchIndex:
    """A loaded index of one collection under one embedder; read-only, thread-safe."""

    def __init__(
        self,
        collection: Collection,
        passages: list[Passage],
        tokens: list[list[str]],
        dense: faiss.Index,
        embedder: Embedder,
        tokenizer: Tokenizer,
        manifest: Manifest,
        glossary: Glossary | None = None,
        weights: FusionWeights = FusionWeights(),
    ) -> None:
        self.collection = collection
        self.passages = passages
        self.dense = dense
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.manifest = manifest
        self.glossary = glossary or Glossary.default()
        self.weights = weights
        self._bm25 = bm25s.BM25()
        self._bm25.index([t or ["\u2400"] for t in tokens], show_progress=False)
        self._by_question: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            self._by_question.setdefault(p.question_id, []).append(i)
        self._qids = [q for q in collection.questions if q in self._by_question]
        self._unit = {q: collection.unit_of(q) for q in self._qids}
        self._kind_rows = {
            kind: np.array([self._row(q, kind) for q in self._qids]) for kind in ("title", "alias")
        }
        self._body_rows = [[i for i in self._by_question[q] if passages[i].kind == "body"] for q in self._qids]

    def _row(self, question_id: str, kind: str) -> int:
        rows = [i for i in self._by_question[question_id] if self.passages[i].kind == kind]
        return rows[0] if rows else self._by_question[question_id][0]

    # ---------------------------------------------------------------- helpers
    def passages_of(self, question_id: str) -> list[Passage]:
        return [self.passages[i] for i in self._by_question.get(question_id, [])]

    def passage_vectors(self, question_id: str) -> tuple[list[Passage], np.ndarray]:
        """Stored dense vectors of a question's passages (no re-embedding)."""
        ids = self._by_question.get(question_id, [])
        if not ids:
            return [], np.zeros((0, self.dense.d), dtype=np.float32)
        return [self.passages[i] for i in ids], np.vstack([self.dense.reconstruct(int(i)) for i in ids])

    def query_tokens(self, text: str) -> list[str]:
        tokens = self.tokenizer.tokens(text)
        return tokens + self.glossary.expand(tokens, self.tokenizer)

    # ---------------------------------------------------------------- search
    def passage_scores(self, query: str, query_vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(dense cosine, BM25) score of every passage for ``query``."""
        n = len(self.passages)
        if query_vector is None:
            query_vector = self.embedder.encode_queries([query])[0]
        sims, ids = self.dense.search(np.asarray(query_vector, dtype=np.float32)[None, :], n)
        dense = np.full(n, -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        dense[ids[0][valid]] = sims[0][valid]
        tokens = self.query_tokens(query)
        bm25 = self._bm25.get_scores(tokens) if tokens else np.zeros(n, dtype=np.float32)
        return dense, np.asarray(bm25, dtype=np.float32)

    def search(self, query: str, k: int = 10, passages_per_hit: int = 2,
               query_vector: np.ndarray | None = None) -> list[SearchHit]:
        """Top ``k`` questions for ``query`` (Chinese, English or mixed)."""
        query = (query or "").strip()
        if not query or not self.passages:
            return []
        dense, bm25 = self.passage_scores(query, query_vector)
        return self._rank(dense, bm25, k, passages_per_hit)

    @staticmethod
    def _normalise(dense: np.ndarray, bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense: share of the spread above the median; BM25: share of the best passage."""
        med, top = float(np.median(dense)), float(dense.max())
        dense_n = np.clip((dense - med) / max(top - med, 1e-6), 0.0, 1.0)
        bm_top = float(bm25.max())
        bm25_n = bm25 / bm_top if bm_top > 0 else np.zeros_like(bm25)
        return dense_n, bm25_n

    def heading_scores(self, dense: np.ndarray, bm25: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused score of every heading (in ``self._qids`` order) and its parts."""
        w = self.weights
        dense_n, bm25_n = self._normalise(dense, bm25)
        parts = {
            "dense_title": dense_n[self._kind_rows["title"]],
            "dense_alias": dense_n[self._kind_rows["alias"]],
            "bm25_title": bm25_n[self._kind_rows["title"]],
            "dense_body": np.array([dense_n[r].max() if r else 0.0 for r in self._body_rows]),
            "bm25_body": np.array([bm25_n[r].max() if r else 0.0 for r in self._body_rows]),
        }
        fused = (
            w.dense_title * parts["dense_title"] + w.dense_alias * parts["dense_alias"]
            + w.dense_body * parts["dense_body"] + w.bm25_title * parts["bm25_title"]
            + w.bm25_body * parts["bm25_body"]
        )
        return fused, parts

    def _rank(self, dense: np.ndarray, bm25: np.ndarray, k: int, passages_per_hit: int) -> list[SearchHit]:
        fused, parts = self.heading_scores(dense, bm25)
        dense_n, bm25_n = self._normalise(dense, bm25)
        passage_score = dense_n * 0.6 + bm25_n * 0.4
        best: dict[str, int] = {}  # unit -> index of its best heading
        for i, qid in enumerate(self._qids):
            unit = self._unit[qid]
            if unit not in best or fused[i] > fused[best[unit]]:
                best[unit] = i
        ranked = sorted(best, key=lambda u: fused[best[u]], reverse=True)[:k]
        hits: list[SearchHit] = []
        for rank, unit in enumerate(ranked, start=1):
            i = best[unit]
            focus = self._qids[i]
            rows = [r for q in (unit, *[d.id for d in self.collection.descendants(unit)])
                    for r in self._by_question.get(q, []) if self.passages[r].kind == "body"]
            rows.sort(key=lambda r: (self.passages[r].question_id == focus, passage_score[r]), reverse=True)
            hits.append(
                SearchHit(
                    question=self.collection.questions[unit],
                    score=float(fused[i]),
                    rank=rank,
                    passages=[
                        PassageHit(self.passages[r], float(passage_score[r]), float(dense[r]), float(bm25[r]))
                        for r in rows[:passages_per_hit]
                    ],
                    focus=self.collection.questions[focus],
                    components={name: float(v[i]) for name, v in parts.items()},
                )
            )
        return hits

    def best_passages(self, text: str, question_ids: Sequence[str] | None = None, k: int = 3,
                      query_vector: np.ndarray | None = None) -> list[PassageHit]:
        """Body passages most related to ``text`` (optionally within some questions)."""
        if not text.strip() or not self.passages:
            return []
        dense, bm25 = self.passage_scores(text, query_vector)
        dense_n, bm25_n = self._normalise(dense, bm25)
        score = dense_n * 0.6 + bm25_n * 0.4
        allowed = None if question_ids is None else set(question_ids)
        candidates = [
            i for i, p in enumerate(self.passages)
            if p.kind == "body" and (allowed is None or p.question_id in allowed)
        ]
        candidates.sort(key=lambda i: score[i], reverse=True)
        return [PassageHit(self.passages[i], float(score[i]), float(dense[i]), float(bm25[i])) for i in candidates[:k]]
