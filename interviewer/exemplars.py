"""Graded example answers: how answers like this one, to the same question, were graded.

Why: the scorer's other inputs compare an answer with the reference from the outside (embedding cosines, key
terms), so a vague, generic or wrong answer that uses the reference's vocabulary can look as good as a correct one,
and a correct answer in the candidate's own words can look poor. The repository holds several hundred answers
graded 0–4 by hand (``eval/scoring_*.tsv``) for the bundled collection's questions. For a new answer this module
gives the grades of the nearest of them (softmax over cosine similarity, so the nearest dominate): an *estimate*,
which the scorer blends with its own combination (:meth:`Scorer.ruled_score`). Measured with each labelled file's
own rows left out, it raised Spearman and pairwise accuracy on every labelled file (README, scoring section).

What it cannot do: embeddings do not see which of two facts is swapped, so an answer that swaps the facts of a
correct example is about as near that example as a wrong one (``tests/test_exemplars.py`` measures this); it helps
by resemblance to graded answers, not by checking facts.

Only files whose every question resolves in the collection are used, so a collection of the user's own gets no
examples (and the scorer's other inputs alone). The non-answers among them (graded 0) are kept: a non-answer the
rules miss ("RNN 这块我还没学到呢") is nearest to them, not to the short real answers. When a labelled file is evaluated, its own rows are left out of the examples
(:meth:`ExemplarBank.without`): an answer must not be graded by itself.

    >>> bank = ExemplarBank([Exemplar("q1", 4, "L1 产生稀疏解", "dev"), Exemplar("q1", 0, "L1 让权重变小", "dev")],
    ...                     np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> round(bank.estimate("q1", np.array([0.9, 0.1]), temperature=30.0).grade, 2)
    4.0
"""

from __future__ import annotations

import logging
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from corpus.model import Collection

log = logging.getLogger(__name__)

EVAL_FOLDER = Path(__file__).resolve().parent.parent / "eval"
# the hand-graded answers shipped with the app (the blind sets' protocol: eval/scoring_blind.md); a blind set
# joins them only after it has been read
EXEMPLAR_FILES = tuple(EVAL_FOLDER / name for name in
                       ("scoring_dev.tsv", "scoring.tsv", "scoring_blind.tsv", "scoring_blind2.tsv",
                        "scoring_blind3.tsv", "scoring_blind4.tsv"))


# the examples' vectors, shipped so a first start (or a Space without persistent storage) need not embed them:
# a versioned file of (content hash of the cleaned text, vector) for one model; rewrite it with
# `python -m interviewer.exemplars` after changing EXEMPLAR_FILES or the model (a stale file only costs time:
# what it lacks is embedded as before)
SHIPPED_VECTORS = Path(__file__).resolve().parent / "data" / "exemplar_vectors.npz"
VECTORS_FORMAT = 1


@dataclass(frozen=True)
class Exemplar:
    """One hand-graded answer to a question of the collection."""

    question_id: str
    grade: int  # 0-4, as in eval scoring files
    answer: str
    source: str  # the file it came from (name only)


@dataclass(frozen=True)
class ExemplarEstimate:
    """What the graded examples nearest an answer say about it."""

    grade: float  # similarity-weighted grade of the question's examples, 0-4
    count: int  # examples of this question
    nearest_grade: int
    nearest_similarity: float  # cosine with the nearest example (plus the cross-language allowance, if any)


def read_exemplars(collection: Collection, paths: Iterable[Path] = EXEMPLAR_FILES) -> list[Exemplar]:
    """The rows of every labelled file whose questions all resolve in ``collection`` (others are skipped)."""
    from .evaluation import EvalFileError, read_scoring_file

    out: list[Exemplar] = []
    for path in paths:
        if not Path(path).is_file():
            continue
        try:
            cases = read_scoring_file(Path(path), collection)
        except EvalFileError:
            log.info("graded examples in %s are for another collection; not used", path)
            continue
        out.extend(Exemplar(c.question_id, c.grade, c.answer, Path(path).name) for c in cases)
    return out


class ExemplarBank:
    """Graded examples with their answer vectors (unit length, the scorer's semantic model) and, optionally, the
    Chinese share of each answer's text (0 = all English, 1 = all Chinese); read-only."""

    def __init__(self, exemplars: Sequence[Exemplar], vectors: np.ndarray,
                 languages: Sequence[float] | None = None) -> None:
        if len(exemplars) != len(vectors) or (languages is not None and len(languages) != len(exemplars)):
            raise ValueError("one vector (and language share) per example")
        self.exemplars = list(exemplars)
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(self.exemplars), -1)
        self.languages = (np.asarray(languages, dtype=np.float32) if languages is not None
                          else np.ones(len(self.exemplars), dtype=np.float32))
        rows: dict[str, list[int]] = {}
        for i, e in enumerate(self.exemplars):
            rows.setdefault(e.question_id, []).append(i)
        self._rows = {q: np.asarray(r, dtype=np.int64) for q, r in rows.items()}
        self._grades = np.asarray([e.grade for e in self.exemplars], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.exemplars)

    def estimate(self, question_id: str, vector: np.ndarray, temperature: float, language: float = 1.0,
                 cross_language: float = 0.0) -> ExemplarEstimate | None:
        """The grade the examples of ``question_id`` nearest ``vector`` suggest (weights ``exp(temperature ·
        cosine)``, so at 30 an example 0.1 less similar counts 20 times less); None without examples.

        ``cross_language`` is added to the cosine in proportion to how far the answer's Chinese share
        (``language``) is from the example's: the multilingual model puts the same content in another language
        about 0.16 lower (measured on 40 labelled answers and their English translations), so without it an
        English answer is judged by the English examples, whatever they were graded."""
        rows = self._rows.get(question_id)
        if rows is None or not rows.size:
            return None
        sims = self.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        if cross_language:
            sims = sims + cross_language * np.abs(self.languages[rows] - language)
        weights = np.exp(temperature * (sims - sims.max()))
        nearest = int(sims.argmax())
        grade = float((weights * self._grades[rows]).sum() / weights.sum())
        return ExemplarEstimate(grade=grade, count=int(rows.size), nearest_grade=int(self._grades[rows][nearest]),
                                nearest_similarity=float(sims[nearest]))

    def without(self, answers: Iterable[tuple[str, str]]) -> "ExemplarBank":
        """The bank without the examples equal to any ``(question_id, answer)`` given (a file being evaluated)."""
        drop = {(q, a.strip()) for q, a in answers}
        keep = [i for i, e in enumerate(self.exemplars) if (e.question_id, e.answer.strip()) not in drop]
        return ExemplarBank([self.exemplars[i] for i in keep], self.vectors[keep], self.languages[keep])


def load_shipped_vectors(model_id: str, dim: int, path: Path = SHIPPED_VECTORS) -> dict[str, np.ndarray]:
    """Content hash → vector from the shipped file; empty when it is missing, unreadable, of another format
    version, or made with another model (then every example is embedded as usual)."""
    if not Path(path).is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            version, model = int(data["format_version"]), str(data["model"])
            keys, vectors = [str(k) for k in data["keys"]], np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("shipped example vectors in %s cannot be read (%s); embedding the examples instead", path, exc)
        return {}
    if version != VECTORS_FORMAT or model != model_id or vectors.shape != (len(keys), dim):
        log.info("shipped example vectors in %s are for %s (format %s), not %s; not used", path, model, version,
                 model_id)
        return {}
    return dict(zip(keys, vectors))


def save_shipped_vectors(path: Path, model_id: str, keys: Sequence[str], vectors: np.ndarray) -> None:
    """Write the versioned vectors file that :func:`load_shipped_vectors` reads."""
    np.savez_compressed(path, format_version=np.int64(VECTORS_FORMAT), model=np.str_(model_id),
                        keys=np.asarray(list(keys), dtype=np.str_), vectors=np.asarray(vectors, dtype=np.float32))


def trusted_share(estimate: ExemplarEstimate | None, share: float, midpoint: float, slope: float) -> float:
    """How much of the score the examples get: ``share · sigmoid(slope · (nearest cosine − midpoint))``.

    Why: an example is good evidence only when the answer resembles it. Measured over the six labelled files
    (each judged by the others' examples), the examples' grade is off by 1.27 grades on average when the nearest
    one is below cosine 0.6 and by 0.25 above 0.9, while the combination's error stays near 1 throughout. So the
    examples count most where one is close, and little for an answer unlike any of them. ``slope`` ≤ 0 gives the
    fixed ``share``.

    >>> round(trusted_share(ExemplarEstimate(4.0, 9, 4, 0.6), 0.8, 0.6, 10.0), 2)
    0.4
    >>> round(trusted_share(ExemplarEstimate(4.0, 9, 4, 0.95), 0.8, 0.6, 10.0), 2)
    0.78
    >>> trusted_share(None, 0.8, 0.6, 10.0)
    0.0
    """
    if estimate is None or share <= 0 or math.isnan(estimate.grade):
        return 0.0
    if slope <= 0:
        return share
    return share / (1.0 + math.exp(max(-50.0, min(50.0, -slope * (estimate.nearest_similarity - midpoint)))))


def blend(combined: float, estimate: ExemplarEstimate | None, share: float, power: float) -> float:
    """The score after the examples' say: ``(1 − share) · combined + share · 100 · (grade / 4) ** power``.

    ``power`` > 1 keeps an answer whose nearest examples are graded low from gaining much (grade 1 → 12.5
    at power 1.5, not 25). Without examples the combination is unchanged.

    >>> blend(60.0, None, 0.5, 1.5)
    60.0
    >>> blend(60.0, ExemplarEstimate(0.0, 7, 0, 0.9), 0.5, 1.5)
    30.0
    """
    if estimate is None or share <= 0 or math.isnan(estimate.grade):
        return combined
    return (1.0 - share) * combined + share * 100.0 * (max(0.0, min(4.0, estimate.grade)) / 4.0) ** power


def main() -> int:
    """Rewrite :data:`SHIPPED_VECTORS` from the default scorer's examples (``python -m interviewer.exemplars``)."""
    from corpus.parser import load_collection
    from index.cache import content_hash

    from .nonanswer import clean_answer
    from .scoring import _open_default

    logging.basicConfig(level=logging.INFO)
    scorer = _open_default(Path("/tmp/scoring-idx"), load_collection()).prepare()
    bank = scorer._bank
    if bank is None:
        print("no graded examples to embed")
        return 1
    keys = [content_hash(clean_answer(e.answer, scorer.max_chars).text) for e in bank.exemplars]
    unique = dict(zip(keys, bank.vectors))
    save_shipped_vectors(SHIPPED_VECTORS, scorer.semantic.id, list(unique), np.stack(list(unique.values())))
    print(f"wrote {len(unique)} vectors ({scorer.semantic.id}) to {SHIPPED_VECTORS}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
