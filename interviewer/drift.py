"""How far a held-out set's grade means move from the calibration targets.

The weights are fitted on the dev set and calibrated so that its grade-0 answers average at most
``target_low`` and its grade-4 answers at least ``target_high`` (:func:`interviewer.scoring.fit_weights`).
On answers the fit never saw, those means land elsewhere. This measures by how much, on dev alone:
split dev's questions into two halves many times, fit on one half, read the other half's means. Their
percentiles say how far inside the product bar (grade 0 ≤ 20, grade 4 ≥ 70) the targets must sit::

    python -m interviewer.scoring drift eval/scoring_dev.tsv --target-high 76.5
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Collection, Sequence

import numpy as np

from .scoring import Scorer, ScoringWeights, Signals, fit_weights


@dataclass(frozen=True)
class LabelledSignals:
    """One graded answer: its question, its grade and its signals (None: a non-answer, scored 0)."""

    question_id: str
    grade: int
    signals: Signals | None


@dataclass(frozen=True)
class Drift:
    """Held-out grade-0 and grade-4 means, one per split (a split without such answers is left out)."""

    grade0_means: list[float]
    grade4_means: list[float]

    def summary(self) -> dict[str, float]:
        """Mean and tail percentiles: low tail of grade 4, high tail of grade 0 (the sides the bar guards)."""
        g4, g0 = np.asarray(self.grade4_means), np.asarray(self.grade0_means)
        return {
            "grade4_mean": round(float(g4.mean()), 1), "grade4_p5": round(float(np.percentile(g4, 5)), 1),
            "grade4_p10": round(float(np.percentile(g4, 10)), 1),
            "grade0_mean": round(float(g0.mean()), 1), "grade0_p90": round(float(np.percentile(g0, 90)), 1),
            "grade0_p95": round(float(np.percentile(g0, 95)), 1),
        }


def fit_on(scorer: Scorer, rows: Sequence[LabelledSignals], target_low: float, target_high: float) -> ScoringWeights:
    """The scorer's weights refitted on ``rows`` with the given calibration targets."""
    scored = [r for r in rows if r.signals is not None]
    return fit_weights(
        np.vstack([r.signals.vector() for r in scored]),  # type: ignore[union-attr]
        [r.grade for r in scored],
        [scorer.off_topic(r.signals) is not None for r in scored],  # type: ignore[arg-type]
        [r.grade for r in rows if r.signals is None],
        scorer.weights, target_low=target_low, target_high=target_high,
    )


def require_splittable(question_ids: Collection[str]) -> None:
    """Raise ValueError unless answers to enough questions (4) are given to split them in halves."""
    if len(question_ids) < 4:
        raise ValueError(f"the drift study splits the questions in halves; it needs answers to at least 4 "
                         f"questions, got {len(question_ids)}.")


def held_out_drift(scorer: Scorer, rows: Sequence[LabelledSignals], target_low: float, target_high: float,
                   splits: int = 40, seed: int = 0) -> Drift:
    """Fit on a random half of the questions and read the other half's grade means, ``splits`` times."""
    questions = sorted({r.question_id for r in rows})
    require_splittable(questions)
    rng = random.Random(seed)
    grade0: list[float] = []
    grade4: list[float] = []
    for _ in range(splits):
        rng.shuffle(questions)
        fitted_half = set(questions[: len(questions) // 2])
        weights = fit_on(scorer, [r for r in rows if r.question_id in fitted_half], target_low, target_high)
        held = [r for r in rows if r.question_id not in fitted_half]
        refitted = scorer.with_weights(weights)
        scores = [0.0 if r.signals is None else refitted.ruled_score(r.signals)[0] for r in held]
        for grade, out in ((0, grade0), (4, grade4)):
            of_grade = [s for s, r in zip(scores, held) if r.grade == grade]
            if of_grade:
                out.append(float(np.mean(of_grade)))
    return Drift(grade0_means=grade0, grade4_means=grade4)
