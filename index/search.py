"""Hybrid search: FAISS (dense) + BM25 (keywords), fused per question.

Passages are scored by both retrievers, then grouped by question: a question
is ranked by a weighted fusion of four signals — its title passage and its
best body passage, each under the dense model and under BM25 — plus a little
support from its sub-questions. Scores are normalised per query so that the
weights mean the same thing for every query. Each hit carries its best
passages (for "show me where this is in the answer").
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
    """Weights of the four per-question signals (see module docstring)."""

    dense_title: float = 1.0
    dense_body: float = 0.8
    bm25_title: float = 0.6
    bm25_body: float = 0.5
    child_support: float = 0.25


@dataclass
class PassageHit:
    passage: Passage
    score: float
    dense: float
    bm25: float


@dataclass
class SearchHit:
    """One question in the ranking, with the passages that matched best."""

    question: Question
    score: float
    rank: int
    passages: list[PassageHit]
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
        self._title_index = np.array([self._by_question[q][0] for q in self._qids])

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

    def _rank(self, dense: np.ndarray, bm25: np.ndarray, k: int, passages_per_hit: int) -> list[SearchHit]:
        w = self.weights
        # per-query normalisation: dense relative to the spread above the median,
        # BM25 relative to the best passage
        med, top = float(np.median(dense)), float(dense.max())
        dense_n = np.clip((dense - med) / max(top - med, 1e-6), 0.0, 1.0)
        bm_top = float(bm25.max())
        bm25_n = bm25 / bm_top if bm_top > 0 else np.zeros_like(bm25)
        passage_score = np.maximum(dense_n, 0) * 0.6 + bm25_n * 0.4

        own: dict[str, float] = {}
        parts: dict[str, dict[str, float]] = {}
        for qid in self._qids:
            idx = self._by_question[qid]
            title, body = idx[0], idx[1:]
            c = {
                "dense_title": float(dense_n[title]),
                "bm25_title": float(bm25_n[title]),
                "dense_body": float(dense_n[body].max()) if body else 0.0,
                "bm25_body": float(bm25_n[body].max()) if body else 0.0,
            }
            parts[qid] = c
            own[qid] = (
                w.dense_title * c["dense_title"] + w.dense_body * c["dense_body"]
                + w.bm25_title * c["bm25_title"] + w.bm25_body * c["bm25_body"]
            )
        final: dict[str, float] = {}
        for qid, s in own.items():
            children = self.collection.questions[qid].children
            support = max((own.get(c, 0.0) for c in children), default=0.0)
            final[qid] = s + w.child_support * support
            parts[qid]["child_support"] = support
        ranked = sorted(final, key=lambda q: final[q], reverse=True)[:k]
        hits: list[SearchHit] = []
        for rank, qid in enumerate(ranked, start=1):
            idx = self._by_question[qid]
            order = sorted(idx, key=lambda i: passage_score[i], reverse=True)
            body_first = [i for i in order if self.passages[i].kind == "body"] or order
            chosen = body_first[:passages_per_hit]
            hits.append(
                SearchHit(
                    question=self.collection.questions[qid],
                    score=final[qid],
                    rank=rank,
                    passages=[
                        PassageHit(self.passages[i], float(passage_score[i]), float(dense[i]), float(bm25[i]))
                        for i in chosen
                    ],
                    components=parts[qid],
                )
            )
        return hits

    def best_passages(self, text: str, question_ids: Sequence[str] | None = None, k: int = 3,
                      query_vector: np.ndarray | None = None) -> list[PassageHit]:
        """Body passages most related to ``text`` (optionally within some questions)."""
        if not text.strip() or not self.passages:
            return []
        dense, bm25 = self.passage_scores(text, query_vector)
        med, top = float(np.median(dense)), float(dense.max())
        dense_n = np.clip((dense - med) / max(top - med, 1e-6), 0.0, 1.0)
        bm_top = float(bm25.max())
        bm25_n = bm25 / bm_top if bm_top > 0 else np.zeros_like(bm25)
        score = dense_n * 0.6 + bm25_n * 0.4
        allowed = None if question_ids is None else set(question_ids)
        candidates = [
            i for i, p in enumerate(self.passages)
            if p.kind == "body" and (allowed is None or p.question_id in allowed)
        ]
        candidates.sort(key=lambda i: score[i], reverse=True)
        return [PassageHit(self.passages[i], float(score[i]), float(dense[i]), float(bm25[i])) for i in candidates[:k]]
