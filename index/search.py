"""Hybrid search: dense vectors + BM25 keywords, fused per heading, ranked by interview question.

Every passage is scored by both retrievers. A heading is scored by a weighted
fusion of per-heading signals — its path and alias under the dense model, its
best body passage under the dense model, its path, alias and best body
passage under BM25 — each normalised per query so the weights mean the same
for every query — plus a **question-type** signal: a query that asks *why*
(为什么 / 原因 / cause) prefers a heading about causes, *how to fix* (怎么解决
/ 对策) one about remedies, *difference* (区别 / vs) a comparison, *formula*
(公式 / 怎么算) a derivation, and so on — and the rarity-weighted share of the
query's own keywords that the heading's passages use, so that a heading whose
answer names every query word gains on one whose title shares only the most
common of them. A heading that shares no keyword
with the query at all loses a fixed 2.0 of its fused score (which reaches
about 5), so it nearly always ranks below the headings that do: the dense
model alone ranks junk for a short look-up such as "IoU".

Queries in English reach the (Chinese) collection through the glossary: BM25
also looks for the other-language names of every concept the query names
("curse of dimensionality" → 维数灾难).

Headings are then grouped into **interview questions** (units, see
:meth:`corpus.model.Collection.unit_of`): a unit ranks by its best heading (with
a little credit for a second matching heading), and the hit names that heading
as its focus. Ranking units rather than every sub-heading keeps the list free
of near-duplicates ("过拟合的原因" and "过拟合的解决方法" are parts of one
question) and is robust to a query that matches a sibling part better than the
one its author had in mind.

Per query the work is one embedding (skipped when the caller passes the
vector), one matrix-vector product, two sparse BM25 look-ups and a few numpy
reductions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import bm25s
import faiss
import numpy as np
from rapidfuzz import fuzz as rf_fuzz

from corpus.model import Collection, Question

from .chunking import Passage
from .embedders import Embedder
from .glossary import Glossary
from .spelling import is_known_word, plausible_typo
from .store import Manifest
from .tokenize import Tokenizer, canonical_sizes, normalise


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the per-heading signals (tuned on eval/retrieval_dev.tsv)."""

    dense_title: float = 1.0
    dense_alias: float = 1.0
    dense_body: float = 0.25
    bm25_title: float = 1.0
    bm25_alias: float = 0.0
    bm25_body: float = 0.5
    intent: float = 0.5  # the heading asks what the query asks (why / how to fix / difference …)
    intent_mismatch: float = 0.2  # the heading asks something else
    concept: float = 1.25  # share of the query's glossary concepts the heading's path names
    second_heading: float = 0.1  # credit for a unit's second-best heading
    # a heading that shares no keyword with the query (title, alias, body, glossary concept) is found by the
    # dense model alone, which ranks junk for short look-ups ("IoU" found PyTorch first): it loses this
    # much. Both hand-labelled sets unchanged; eval/lookups.tsv recall@1
    # 0.145 → 0.749 (1.0: 0.648; 5.0: 0.758 but dev recall@1 0.900 → 0.886).
    no_keyword: float = 2.0
    expansion: float = 1.0  # weight of glossary-expansion tokens relative to the query's own
    # rarity-weighted share of the query's own keywords that the heading's passages use: a heading
    # whose answer names every query word ("余弦退火" in 学习率 trick) gains on one whose title shares
    # only the common one (余弦相似度). Dev unchanged at 0.25–0.75 (recall@1 falls from 1.0);
    # test recall@1 0.895 → 0.911, look-ups 0.749 → 0.802 (see README, Retrieval)
    query_keywords: float = 0.5
    # also the pieces of expanded Chinese names (随机失活 → 随机): off, "dropout" found random-forest questions
    # through 随机 (dev MRR 0.923 → 0.924, recall@1 unchanged)
    expansion_pieces: bool = False
    # when no query keyword occurs in the collection, a mistyped Latin word becomes the collection's closest
    # one ("dropuot" → "dropout"); only then, as respelling every unknown word turned "sharpen" into
    # "share" and "with" into "width" (SearchIndex.respelled)
    spelling: bool = True


# Question types: a pattern over the (normalised) query and over each heading.
# A heading's own title names its type ("欠拟合的原因", "如何解决", "区别", "计算公式").
# Phrases listed first are consumed, so the words inside them do not count again
# ("是什么原因" asks for a reason, not a definition; "what problem does BN solve"
# asks for its purpose, not for a remedy).
_TYPE_PHRASES: tuple[tuple[str, str], ...] = (
    ("reason", r"是什么原因|什么原因|啥原因"),
    ("difference", r"(区别|不同|差异|差别|异同)(是什么|是啥|在哪|有哪些)"),
    ("purpose", r"(作用|用途|用处|好处|优点|优势|意义|目的)(是什么|是啥|在哪|有哪些)"),
    ("purpose", r"解决(了)?(什么|哪些|啥)问题|what problems? (does|do|did|can) .{0,40}?solve|what does .{0,40}? solve"),
)
QUESTION_TYPES: dict[str, str] = {
    "reason": r"为什么|为何|原因|导致|根源|\bwhy\b|\bcause|\breasons?\b",
    "remedy": (
        r"解决|解法|怎么办|应对|对策|措施|避免|防止|缓解|克服|改进|改善|处理方法"
        r"|\bfix|\bsolv|\bsolution|deal with|\bmitigat|\bremed|\bprevent|\bavoid|\bovercome|\btackle|\bcure"
    ),
    "difference": (
        r"区别|不同|差异|差别|对比|比较|异同|相比|\bvs\b|versus|\bdiffer|\bcompar|\bcontrast"
    ),
    "formula": (
        r"公式|推导|怎么算|如何算|计算|求导|手推|表达式|多少"
        r"|formula|\bderiv|\bcalculat|\bcomput|equation|how many|how much"
    ),
    "purpose": (
        r"作用|用途|用处|好处|优点|优势|意义|目的|起什么|有什么用|为什么要用"
        r"|\brole\b|purpose|benefit|advantage|\bgood for\b|\bused for\b|\bpoint of\b"
    ),
    "definition": (
        r"什么是|是什么|定义|含义|意思|指的是|何为|概念"
        r"|\bwhat (is|are)\b|\bdefin|\bmeaning|\bmean\b"
    ),
    "mechanism": (
        r"原理|过程|流程|机制|步骤|是怎么|是如何|怎么工作|如何工作|怎么做|怎样|思想"
        r"|how (does|do|is|are)\b|\bwork|principle|mechanism|process|procedure|\bsteps?\b|explain"
    ),
    "code": r"代码|实现|编程|\bcode\b|implement|\bpython\b|\bwrite\b",
    "application": r"应用|场景|用在|哪些地方|适用|\bapplication|use case|scenario|where .* used|\bwhen to use",
    "listing": r"有哪些|哪些|哪几种|常见|常用|\bwhich\b|\btypes of\b|\bkinds of\b|\bcommon(ly)?\b",
}
_PHRASE_PATTERNS = [(name, re.compile(p)) for name, p in _TYPE_PHRASES]
_TYPE_PATTERNS = [(name, re.compile(p)) for name, p in QUESTION_TYPES.items()]
_NUMBERING = re.compile(r"^\s*[（(]?\d+(?:\.\d+)*[)）]?[.、:：\s]*")


def question_types(text: str) -> set[str]:
    """Question types (reason, remedy, difference, …) named in ``text``."""
    low = canonical_sizes(normalise(text))
    found = set()
    for name, pattern in _PHRASE_PATTERNS:
        low, n = pattern.subn(" ", low)
        if n:
            found.add(name)
    return found | {name for name, p in _TYPE_PATTERNS if p.search(low)}


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
    query: str = ""  # the query it was found with: the one typed, or its respelling (SearchIndex.respelled)
    by_kind: bool = False  # found as a question of the kind asked ("区别"), the query having no keyword


# A search box query longer than this is a paste: its beginning says what it is about,
# and embedding tens of thousands of characters would take seconds.
MAX_QUERY_CHARS = 500
_SEARCHABLE = re.compile(r"[^\W_]")  # a letter, digit or Chinese character
_SPELLABLE = re.compile(r"[a-z]{4,}")  # the collection words a mistyped query word may be corrected to
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _keyword_evidence(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Per heading: its keyword scores (title, alias, body) plus its share of the query's glossary concepts;
    0 means the heading shares nothing with the query and was ranked by the embedding alone."""
    return parts["bm25_title"] + parts["bm25_alias"] + parts["bm25_body"] + parts.get("concept", 0.0)


def _keyword(token: str) -> bool:
    """Tokens worth a keyword match: not bare numbers (list numbering, "1" in "F1 = 1")."""
    return not token.replace(".", "").isdigit()


class SearchIndex:
    """A loaded index of one collection under one embedder; read-only, thread-safe.

    ``tokens`` (the stored keyword tokens) are accepted for compatibility but
    the passages are re-tokenised with ``tokenizer``, so an index stored by an
    older tokenizer never mismatches the queries.
    """

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
        n = len(passages)
        # The stored tokens were made by whatever tokenizer built the index; keyword
        # search must see passages and queries cut the same way, so re-cut them
        # with this one (about 0.1 s for the bundled collection).
        fresh = [[t for t in tokenizer.tokens(p.text) if _keyword(t)] for p in passages] if n else []
        self._bm25 = bm25s.BM25()
        self._bm25.index([t or ["\u2400"] for t in fresh] or [["\u2400"]], show_progress=False)
        # the stored vectors as one matrix: scoring every passage is a single product
        self._vectors = (
            np.ascontiguousarray(dense.reconstruct_n(0, dense.ntotal), dtype=np.float32) if dense.ntotal
            else np.zeros((0, dense.d), dtype=np.float32)
        )
        self._by_question: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            self._by_question.setdefault(p.question_id, []).append(i)
        self._qids = [q for q in collection.questions if q in self._by_question]
        self._keyword_df, self._keyword_headings = self._keyword_table(passages, fresh)
        # Latin words of the collection, for correcting a mistyped query word ("dropuot" → "dropout")
        self._latin_words = sorted({t for toks in fresh for t in toks if _SPELLABLE.fullmatch(t)})
        self._unit = {q: collection.unit_of(q) for q in self._qids}
        self._kind_rows = {
            kind: np.array([self._row(q, kind) for q in self._qids], dtype=np.int64) for kind in ("title", "alias")
        }
        self._body_rows = [[i for i in self._by_question[q] if passages[i].kind == "body"] for q in self._qids]
        # body rows flattened with segment starts, so "best body passage per heading" is one reduceat
        self._has_body = np.array([bool(r) for r in self._body_rows], dtype=bool)
        self._body_flat = np.array([i for r in self._body_rows for i in r], dtype=np.int64)
        starts, pos = [], 0
        for r in self._body_rows:
            if r:
                starts.append(pos)
                pos += len(r)
        self._body_starts = np.array(starts, dtype=np.int64)
        # units: heading -> unit number; units in first-heading order
        self._units = list(dict.fromkeys(self._unit[q] for q in self._qids))
        unit_no = {u: j for j, u in enumerate(self._units)}
        self._heading_unit = np.array([unit_no[self._unit[q]] for q in self._qids], dtype=np.int64)
        # question types named by each heading's own title
        names = [name for name, _ in _TYPE_PATTERNS]
        self._type_names = names
        self._heading_types = np.array(
            [[name in question_types(_NUMBERING.sub("", collection.questions[q].title)) for name in names]
             for q in self._qids],
            dtype=np.float32,
        ).reshape(len(self._qids), len(names))
        # glossary concepts named by each heading's path (its title and its parents'),
        # weighted by rarity among headings, so naming "池化" counts more than "卷积"
        n_concepts = len(self.glossary.concepts)
        self._heading_concepts = np.zeros((len(self._qids), n_concepts), dtype=np.float32)
        for h, q in enumerate(self._qids):
            path = " ".join(_NUMBERING.sub("", t) for t in collection.questions[q].path)
            self._heading_concepts[h, self.glossary.concept_ids(path)] = 1.0
        df = self._heading_concepts.sum(axis=0)
        self._concept_weight = np.log1p(max(1, len(self._qids)) / (1.0 + df)).astype(np.float32)

    def _keyword_table(self, passages: list[Passage],
                       tokens: list[list[str]]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
        """Per keyword: how many passages use it, and which headings (``self._qids`` order) do."""
        order = {q: h for h, q in enumerate(self._qids)}
        df: dict[str, int] = {}
        headings: dict[str, set[int]] = {}
        for p, toks in zip(passages, tokens):
            h = order.get(p.question_id)
            if h is None:  # not a heading of this collection (cannot happen with a matching index)
                continue
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
                headings.setdefault(t, set()).add(h)
        return df, {t: np.fromiter(hs, dtype=np.int64, count=len(hs)) for t, hs in headings.items()}

    def keyword_share(self, query: str) -> np.ndarray | None:
        """Per heading: the rarity-weighted share of the query's own keywords (not their glossary
        expansions) its passages use; None when no passage uses any of them.

        Keywords no passage uses are left out: they cannot tell headings apart.
        """
        n = max(1, len(self.passages))
        share = np.zeros(len(self._qids), dtype=np.float32)
        total = 0.0
        for t in self._own_tokens(query):
            df = self._keyword_df.get(t, 0)
            if not df:
                continue
            weight = math.log1p(n / (1.0 + df))
            total += weight
            share[self._keyword_headings[t]] += weight
        return share / total if total > 0 else None

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
        return [self.passages[i] for i in ids], self._vectors[ids].copy()

    def query_tokens(self, text: str) -> list[str]:
        """Keyword tokens of a query: its own, then the glossary's other-language names."""
        own, extra = self._query_token_parts(text)
        return own + extra

    def effective_query(self, query: str) -> str:
        """The query :meth:`search` runs for ``query``: itself, or its respelling when none of its
        keywords occurs in the collection (each hit also carries it as ``SearchHit.query``)."""
        query = (query or "").strip()[:MAX_QUERY_CHARS]
        if not _SEARCHABLE.search(query) or not self.passages:
            return query
        return self._keyword_query(query)[0]

    def _keyword_query(self, query: str) -> tuple[str, list[int], np.ndarray]:
        """(query to run, its glossary concepts, BM25 score of every passage): ``query`` itself, or its
        respelling when none of its keywords occurs in the collection (perhaps one is mistyped)."""
        concept_ids = self.glossary.concept_ids(query)
        bm25 = self._bm25_scores(query, concept_ids)
        if not bm25.any() and self.weights.spelling:
            fixed = self.respelled(query)
            if fixed != query:
                concept_ids = self.glossary.concept_ids(fixed)
                return fixed, concept_ids, self._bm25_scores(fixed, concept_ids)
        return query, concept_ids, bm25

    def respelled(self, query: str) -> str:
        """``query`` with each mistyped Latin word replaced by the collection's closest word.

        Only a word of four or more letters that is not a known word (the collection's,
        the glossary's, an English stop word or dictionary word: :func:`index.spelling.is_known_word`)
        is corrected, to the most similar collection word that it is a plausible typo of
        (:func:`index.spelling.plausible_typo`): "dropuot 原理" → "dropout 原理", "resnt" →
        "resnet", while "Transformer" stays (it is not "transfer" mistyped). Chinese is left
        alone (the embedding model reads it; a wrong character rarely makes a common word).
        """
        if not self._latin_words:
            return query
        known = set(self._latin_words)

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            low = normalise(word)
            if low in known or not _SPELLABLE.fullmatch(low) or is_known_word(low, self.glossary):
                return word
            candidates = [w for w in self._latin_words if plausible_typo(low, w)]
            if not candidates:
                return word
            return max(candidates, key=lambda w: rf_fuzz.ratio(low, w))

        return _LATIN_WORD.sub(fix, query)

    def _own_tokens(self, text: str) -> list[str]:
        """The keywords written in ``text``, each once, in order."""
        return list(dict.fromkeys(t for t in self.tokenizer.tokens(text) if _keyword(t)))

    def _query_token_parts(self, text: str, concept_ids: list[int] | None = None) -> tuple[list[str], list[str]]:
        own = self._own_tokens(text)
        if concept_ids is None:
            concept_ids = self.glossary.concept_ids(text)
        extra = [t for t in self.glossary.expand(own, self.tokenizer, text=text, concept_ids=concept_ids,
                                                 search=self.weights.expansion_pieces)
                 if _keyword(t)]
        return own, extra

    def _concept_coverage(self, concept_ids: list[int]) -> np.ndarray | None:
        """Per heading: the rarity-weighted share of the query's glossary concepts its path names."""
        if not concept_ids:
            return None
        weights = self._concept_weight[concept_ids]
        return self._heading_concepts[:, concept_ids] @ weights / float(weights.sum())

    # ---------------------------------------------------------------- search
    def _dense_scores(self, query: str, query_vector: np.ndarray | None) -> np.ndarray:
        if query_vector is None:
            query_vector = self.embedder.encode_queries([query])[0]
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        return self._vectors @ q if len(self._vectors) else np.zeros(0, dtype=np.float32)

    def _bm25_scores(self, query: str, concept_ids: list[int] | None = None) -> np.ndarray:
        n = len(self.passages)
        own, extra = self._query_token_parts(query, concept_ids)
        w = self.weights.expansion
        if w == 1.0:  # one look-up (expansions never repeat the query's own tokens)
            own, extra = own + extra, []
        scores = np.zeros(n, dtype=np.float32)
        if own:
            scores += np.asarray(self._bm25.get_scores(own), dtype=np.float32)[:n]
        if extra and w > 0:
            scores += w * np.asarray(self._bm25.get_scores(extra), dtype=np.float32)[:n]
        return scores

    def passage_scores(self, query: str, query_vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(dense cosine, BM25) score of every passage for ``query``."""
        return self._dense_scores(query, query_vector), self._bm25_scores(query)

    def search(self, query: str, k: int = 10, passages_per_hit: int = 2,
               query_vector: np.ndarray | None = None) -> list[SearchHit]:
        """Top ``k`` questions for ``query`` (Chinese, English or mixed).

        A query with nothing to search for (empty, only spaces, punctuation or
        emoji) has no hits, and neither has one none of whose keywords (nor their
        glossary translations) occurs in the collection ("aaaa", "今天天气怎么样"),
        except a query made only of question words ("区别", "原理", "有哪些"): it lists
        the questions that ask that kind of question, ranked by the embedding.
        dense similarity alone always finds *something* (e5 scores junk 0.82–0.87,
        real queries 0.82–0.99), so it cannot say "nothing matches". Every labelled
        query in ``eval/`` shares a keyword with the collection. Before giving up,
        mistyped Latin words are respelled (:meth:`respelled`; the query actually
        run is :meth:`effective_query`). Only the first :data:`MAX_QUERY_CHARS`
        characters of a very long query are used.
        """
        query = (query or "").strip()[:MAX_QUERY_CHARS]
        if not _SEARCHABLE.search(query) or not self.passages or k <= 0:
            return []
        typed = query
        query, concept_ids, bm25 = self._keyword_query(query)
        if query != typed:  # respelled: the vector given was of the words as typed
            query_vector = None
        types = question_types(query)
        if not bm25.any():
            if types and not self._own_tokens(query):  # "区别", "原理", "有哪些": the kind of question alone
                return self._rank(self._dense_scores(query, query_vector), bm25, k, passages_per_hit, types,
                                  query=query, by_kind=True)
            return []
        dense = self._dense_scores(query, query_vector)
        coverage = self._concept_coverage(concept_ids) if self.weights.concept else None
        keywords = None
        if self.weights.query_keywords:
            keywords = self.keyword_share(query)
        return self._rank(dense, bm25, k, passages_per_hit, types, coverage, keywords, query)

    @staticmethod
    def _normalise(dense: np.ndarray, bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense: share of the spread above the median; BM25: share of the best passage."""
        if not len(dense):
            return dense, bm25
        med, top = float(np.median(dense)), float(dense.max())
        dense_n = np.clip((dense - med) / max(top - med, 1e-6), 0.0, 1.0)
        bm_top = float(bm25.max())
        bm25_n = bm25 / bm_top if bm_top > 0 else np.zeros_like(bm25)
        return dense_n, bm25_n

    def _best_body(self, scores: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self._qids), dtype=np.float32)
        if len(self._body_flat):
            out[self._has_body] = np.maximum.reduceat(scores[self._body_flat], self._body_starts)
        return out

    def heading_scores(self, dense: np.ndarray, bm25: np.ndarray,
                       query_types: set[str] | frozenset[str] = frozenset(),
                       coverage: np.ndarray | None = None,
                       keywords: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused score of every heading (in ``self._qids`` order) and its parts.

        ``coverage``: share of the query's glossary concepts each heading's path names;
        ``keywords``: share of the query's own keywords each heading's passages use.
        """
        w = self.weights
        dense_n, bm25_n = self._normalise(dense, bm25)
        title, alias = self._kind_rows["title"], self._kind_rows["alias"]
        parts = {
            "dense_title": dense_n[title],
            "dense_alias": dense_n[alias],
            "bm25_title": bm25_n[title],
            "bm25_alias": bm25_n[alias],
            "dense_body": self._best_body(dense_n),
            "bm25_body": self._best_body(bm25_n),
        }
        fused = (
            w.dense_title * parts["dense_title"] + w.dense_alias * parts["dense_alias"]
            + w.dense_body * parts["dense_body"] + w.bm25_title * parts["bm25_title"]
            + w.bm25_alias * parts["bm25_alias"] + w.bm25_body * parts["bm25_body"]
        )
        if query_types and (w.intent or w.intent_mismatch):
            wanted = np.array([name in query_types for name in self._type_names], dtype=np.float32)
            matched = self._heading_types @ wanted / wanted.sum()
            # a heading that asks something else ("区别" when the query asks "作用")
            other = ((self._heading_types * (1.0 - wanted)).sum(axis=1) > 0) & (matched == 0)
            parts["intent"] = matched
            fused = fused + w.intent * matched - w.intent_mismatch * other
        if coverage is not None:
            parts["concept"] = coverage
            fused = fused + w.concept * coverage
        if keywords is not None:
            parts["query_keywords"] = keywords
            fused = fused + w.query_keywords * keywords
        if w.no_keyword:
            fused = fused - w.no_keyword * (_keyword_evidence(parts) <= 0)
        return fused, parts

    def _unit_scores(self, fused: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: score (best heading + a share of the second best) and best heading index."""
        n_units = len(self._units)
        order = np.lexsort((-fused, self._heading_unit))  # by unit, best heading first
        units_sorted = self._heading_unit[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = units_sorted[1:] != units_sorted[:-1]
        best = np.zeros(n_units, dtype=np.int64)
        best[units_sorted[first]] = order[first]
        score = fused[best].astype(np.float64)
        if self.weights.second_heading:
            second = np.zeros(len(order), dtype=bool)
            second[1:] = ~first[1:]
            second[1:] &= first[:-1]  # the heading right after a unit's first
            score[units_sorted[second]] += self.weights.second_heading * fused[order[second]]
        return score, best

    def _rank(self, dense: np.ndarray, bm25: np.ndarray, k: int, passages_per_hit: int,
              query_types: set[str] | frozenset[str] = frozenset(),
              coverage: np.ndarray | None = None, keywords: np.ndarray | None = None,
              query: str = "", by_kind: bool = False) -> list[SearchHit]:
        """The top ``k`` questions by fused score, each with its best passages. With ``by_kind`` (a query
        made only of question words, such as "区别") the evidence a heading needs is asking that kind of
        question instead of sharing a keyword."""
        fused, parts = self.heading_scores(dense, bm25, query_types, coverage, keywords)
        dense_n, bm25_n = self._normalise(dense, bm25)
        passage_score = dense_n * 0.6 + bm25_n * 0.4
        unit_score, best = self._unit_scores(fused)
        # a question none of whose headings shares a keyword (or glossary concept) with the query was ranked
        # by the embedding alone: listed only as padding below real matches ("IoU" → PyTorch, score -0.65),
        # it read as a result, so it is left out (search() already returns nothing when no heading matches)
        evidence = parts.get("intent", np.zeros(len(fused))) if by_kind else _keyword_evidence(parts)
        order = [j for j in np.argsort(-unit_score, kind="stable") if evidence[int(best[j])] > 0]
        top = np.asarray(order[:k], dtype=np.int64)
        hits: list[SearchHit] = []
        # a passage is shown once, under the hit of its own question when that is listed too: a grouping
        # heading ("6. 关于归一化") would otherwise repeat its listed children's passages
        listed = {self._units[int(j)] for j in top}
        shown: set[int] = set()
        for rank, j in enumerate(top, start=1):
            unit = self._units[int(j)]
            i = int(best[j])
            focus = self._qids[i]
            rows = [r for q in (unit, *[d.id for d in self.collection.descendants(unit)])
                    for r in self._by_question.get(q, []) if self.passages[r].kind == "body"]
            rows.sort(key=lambda r: (self.passages[r].question_id == focus, passage_score[r]), reverse=True)
            rows = [r for r in rows if r not in shown
                    and (self._unit[self.passages[r].question_id] == unit or self._unit[self.passages[r].question_id] not in listed)]
            rows = rows[:passages_per_hit]
            shown.update(rows)
            hits.append(
                SearchHit(
                    question=self.collection.questions[unit],
                    score=float(unit_score[j]),
                    rank=rank,
                    passages=[
                        PassageHit(self.passages[r], float(passage_score[r]), float(dense[r]), float(bm25[r]))
                        for r in rows
                    ],
                    focus=self.collection.questions[focus],
                    components={name: float(v[i]) for name, v in parts.items()},
                    query=query,
                    by_kind=by_kind,
                )
            )
        return hits

    def best_passages(self, text: str, question_ids: Sequence[str] | None = None, k: int = 3,
                      query_vector: np.ndarray | None = None) -> list[PassageHit]:
        """Body passages most related to ``text`` (optionally within some questions).

        Over the whole collection a passage must share a keyword with ``text`` (as
        in :meth:`search`): the embedding ranks everything, so without that floor
        "今天天气怎么样" would get three "related" passages. Within given questions
        (the parts of the question being practised) every passage qualifies.
        """
        if not text.strip() or not self.passages:
            return []
        dense, bm25 = self.passage_scores(text, query_vector)
        dense_n, bm25_n = self._normalise(dense, bm25)
        score = dense_n * 0.6 + bm25_n * 0.4
        allowed = None if question_ids is None else set(question_ids)
        candidates = [
            i for i, p in enumerate(self.passages)
            if p.kind == "body" and (p.question_id in allowed if allowed is not None else bm25[i] > 0)
        ]
        candidates.sort(key=lambda i: score[i], reverse=True)
        return [PassageHit(self.passages[i], float(score[i]), float(dense[i]), float(bm25[i])) for i in candidates[:k]]
