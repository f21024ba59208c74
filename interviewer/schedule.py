"""Spaced-repetition schedule for interview questions (an SM-2 variant).

Each question a user has practised carries a small :class:`ReviewState`
(repetitions, interval, ease, due time, last score). After every scored answer
:func:`review` computes the next state, so the app can ask "what is due now?"
and bring weak questions back sooner than strong ones. The functions here are
pure (no I/O, no clock: callers pass ``now`` as epoch seconds), which keeps the
schedule easy to test and lets the progress store rebuild any state by
replaying a question's history.

Score → SM-2 quality (answers are scored 0–100 by the app)::

    score  >= 90  → 5   perfect
    75 .. < 90    → 4   good
    60 .. < 75    → 3   passing (the lowest "remembered" grade)
    40 .. < 60    → 2   failed, but partly right
    20 .. < 40    → 1   failed, little recalled
     0 .. < 20    → 0   blank / wrong

Updates follow classic SM-2:

* ease ← ease + (0.1 − (5 − q)·(0.08 + (5 − q)·0.02)), never below 1.3
  (applied on every graded review, pass or fail);
* quality < 3 → repetitions reset to 0 and the question is due again in
  10 minutes (:data:`RELEARN_SECONDS`);
* quality ≥ 3 → the 1st success schedules 1 day, the 2nd 6 days, later ones
  the previous interval × ease.

One deliberate deviation: a *passing* answer given before the question is due
(the user re-drills an item they have already learned, e.g. "try again"
right after feedback) does not advance the ladder, change the ease or move the
due date; it only records the score. Without this, answering the same question
three times in a row would push it 15 days away. A *failing* early answer still
resets the item: failing is information whenever it happens.

A skip is not an answer: it only brings the question back in 10 minutes
(:func:`skip`). The state remembers when the interval the last graded review
set actually ends (:attr:`ReviewState.planned_due_at`), and "before the
question is due" above means before *that* time, not before the skip's
come-back time. So skipping a learned item and then answering it well when it
comes back is still an early re-drill (the plan is kept and restored), not an
on-time review that multiplies the interval by the ease as if the whole
interval had passed.

An answer given after the user looked at the reference answer
(:func:`review_seen`) is not a recall at all, whatever it scored: it is graded
as a failed recall (quality at most 2), so the question comes back in 10
minutes instead of being pushed out as learned.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

DAY_SECONDS = 86_400.0
RELEARN_SECONDS = 600.0
"""How soon a failed (or skipped) question comes back: 10 minutes."""
INITIAL_EASE = 2.5
MIN_EASE = 1.3
FIRST_INTERVAL_DAYS = 1.0
SECOND_INTERVAL_DAYS = 6.0
PASSING_QUALITY = 3

# (lowest score, quality) from the top down; see the module docstring.
_QUALITY_THRESHOLDS: tuple[tuple[float, int], ...] = (
    (90.0, 5),
    (75.0, 4),
    (60.0, 3),
    (40.0, 2),
    (20.0, 1),
)


@dataclass(frozen=True)
class ReviewState:
    """Where one question stands in the schedule.

    ``interval_days`` is the gap the last graded review set (0 for a question
    never reviewed); ``due_at`` (epoch seconds) is when the question should be
    asked again; ``last_score`` is the most recent 0–100 score, or None before
    the first graded answer. ``planned_due_at`` is set only by a skip, which
    moves ``due_at`` to a come-back time: it keeps when the current interval
    really ends, so the next answer is judged early or on time against the
    plan. None means ``due_at`` is the plan (the progress store keeps it in
    ``review_states.planned_due_at``, schema v6).
    """

    repetitions: int
    interval_days: float
    ease: float
    due_at: float
    last_score: float | None
    planned_due_at: float | None = None

    def is_due(self, now: float) -> bool:
        """True when the question should be asked again at ``now``."""
        return self.due_at <= now

    @property
    def interval_ends_at(self) -> float:
        """When the current interval ends: the due time the last graded review set."""
        return self.due_at if self.planned_due_at is None else self.planned_due_at


def initial_state(now: float) -> ReviewState:
    """The state of a question never reviewed: due immediately, default ease."""
    return ReviewState(
        repetitions=0,
        interval_days=0.0,
        ease=INITIAL_EASE,
        due_at=float(now),
        last_score=None,
    )


def score_to_quality(score: float) -> int:
    """Map a 0–100 score to SM-2 quality 0–5 (table in the module docstring)."""
    score = _check_score(score)
    for threshold, quality in _QUALITY_THRESHOLDS:
        if score >= threshold:
            return quality
    return 0


def next_ease(ease: float, quality: int) -> float:
    """SM-2 ease update for one graded review, floored at :data:`MIN_EASE`."""
    miss = 5 - quality
    return max(MIN_EASE, ease + (0.1 - miss * (0.08 + miss * 0.02)))


def review(state: ReviewState, score: float, now: float) -> ReviewState:
    """The state after answering with ``score`` (0–100) at ``now`` (epoch s)."""
    quality = score_to_quality(score)
    score = float(score)
    if quality < PASSING_QUALITY:
        return _relearn(state, quality, score, now)
    if state.repetitions > 0 and now < state.interval_ends_at:
        # Early re-drill of a learned item (skipped or not): record the score,
        # keep the plan and drop a skip's come-back time (it has come back).
        return replace(state, last_score=score, due_at=state.interval_ends_at,
                       planned_due_at=None)
    if state.repetitions == 0:
        interval = FIRST_INTERVAL_DAYS
    elif state.repetitions == 1:
        interval = SECOND_INTERVAL_DAYS
    else:
        interval = state.interval_days * state.ease
    return ReviewState(
        repetitions=state.repetitions + 1,
        interval_days=interval,
        ease=next_ease(state.ease, quality),
        due_at=now + interval * DAY_SECONDS,
        last_score=score,
    )


def review_seen(state: ReviewState, score: float, now: float) -> ReviewState:
    """The state after an answer given with the reference in view, at ``now``.

    Copying the reference is not recalling it: the answer is graded as a
    failed recall, quality ``min(score quality, PASSING_QUALITY - 1)``, so the
    ladder resets and the question is due again in :data:`RELEARN_SECONDS`.
    ``last_score`` still records the score the answer got.
    """
    quality = min(score_to_quality(score), PASSING_QUALITY - 1)
    return _relearn(state, quality, float(score), now)


def _relearn(state: ReviewState, quality: int, score: float, now: float) -> ReviewState:
    """A failed review: back to the start of the ladder, due in 10 minutes."""
    return ReviewState(
        repetitions=0,
        interval_days=RELEARN_SECONDS / DAY_SECONDS,
        ease=next_ease(state.ease, quality),
        due_at=now + RELEARN_SECONDS,
        last_score=score,
    )


def skip(state: ReviewState, now: float) -> ReviewState:
    """The state after the user skips the question at ``now``.

    A skip is not a graded answer: repetitions, interval, ease and last score
    are kept, and the question simply becomes due again in
    :data:`RELEARN_SECONDS` so it comes back later in the practice session.
    When the current interval ends is kept in ``planned_due_at``, so an answer
    given when the question comes back is not mistaken for an on-time review.
    """
    return replace(state, due_at=now + RELEARN_SECONDS,
                   planned_due_at=state.interval_ends_at)


def _check_score(score: float) -> float:
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise TypeError(f"score must be a number, got {type(score).__name__}")
    if not math.isfinite(score) or not 0.0 <= score <= 100.0:
        raise ValueError(f"score must be between 0 and 100, got {score!r}")
    return float(score)
