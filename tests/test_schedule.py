"""Tests for the SM-2 spaced-repetition schedule (interviewer.schedule)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from interviewer import schedule
from interviewer.schedule import (
    DAY_SECONDS,
    INITIAL_EASE,
    MIN_EASE,
    RELEARN_SECONDS,
    ReviewState,
    initial_state,
    review,
    score_to_quality,
)

T0 = 1_700_000_000.0


@pytest.mark.parametrize(
    ("score", "quality"),
    [(100, 5), (90, 5), (89.99, 4), (75, 4), (74.9, 3), (60, 3), (59.99, 2),
     (40, 2), (39.5, 1), (20, 1), (19.99, 0), (0, 0)],
)
def test_score_to_quality_boundaries(score: float, quality: int) -> None:
    assert score_to_quality(score) == quality


@pytest.mark.parametrize("bad", [-0.1, 100.01, math.nan, math.inf, -math.inf])
def test_out_of_range_scores_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        review(initial_state(T0), bad, T0)


@pytest.mark.parametrize("bad", ["80", None, True])
def test_non_numeric_scores_are_rejected(bad: object) -> None:
    with pytest.raises(TypeError):
        score_to_quality(bad)  # type: ignore[arg-type]


def test_initial_state_is_due_now_with_default_ease() -> None:
    state = initial_state(T0)
    assert state == ReviewState(repetitions=0, interval_days=0.0, ease=INITIAL_EASE,
                                due_at=T0, last_score=None)
    assert state.is_due(T0)
    assert not state.is_due(T0 - 1)


def test_good_answers_on_time_follow_1_6_then_interval_times_ease() -> None:
    state = initial_state(T0)
    now = T0
    intervals, eases = [], []
    for _ in range(5):
        before = state
        state = review(state, 80, now)  # quality 4: ease unchanged
        intervals.append(state.interval_days)
        eases.append(state.ease)
        assert state.due_at == pytest.approx(now + state.interval_days * DAY_SECONDS)
        assert state.repetitions == before.repetitions + 1
        assert state.last_score == 80.0
        now = state.due_at  # answer exactly when due
    assert intervals[:2] == [1.0, 6.0]
    assert intervals[2] == pytest.approx(6.0 * 2.5)
    assert intervals[3] == pytest.approx(6.0 * 2.5 * 2.5)
    assert all(b > a for a, b in zip(intervals, intervals[1:]))
    assert eases == [INITIAL_EASE] * 5


def test_ease_moves_with_quality() -> None:
    state = initial_state(T0)
    assert review(state, 95, T0).ease == pytest.approx(2.6)   # q5: +0.1
    assert review(state, 80, T0).ease == pytest.approx(2.5)   # q4: unchanged
    assert review(state, 65, T0).ease == pytest.approx(2.36)  # q3: -0.14
    assert review(state, 50, T0).ease == pytest.approx(2.18)  # q2: -0.32
    assert review(state, 0, T0).ease == pytest.approx(1.7)    # q0: -0.8


def test_bad_answer_resets_repetitions_and_is_due_in_ten_minutes() -> None:
    state = initial_state(T0)
    now = T0
    for _ in range(3):
        state = review(state, 95, now)
        now = state.due_at
    assert state.repetitions == 3 and state.interval_days > 6
    failed = review(state, 30, now)
    assert failed.repetitions == 0
    assert failed.due_at == now + RELEARN_SECONDS
    assert failed.interval_days == pytest.approx(RELEARN_SECONDS / DAY_SECONDS)
    assert failed.ease < state.ease
    assert failed.last_score == 30.0
    # After relearning, the ladder starts again at one day.
    again = review(failed, 90, failed.due_at)
    assert again.repetitions == 1 and again.interval_days == 1.0


def test_ease_never_drops_below_floor() -> None:
    state = initial_state(T0)
    now = T0
    for _ in range(20):
        state = review(state, 0, now)
        assert state.ease >= MIN_EASE
        now = state.due_at
    assert state.ease == MIN_EASE
    # A floor-ease item still grows (slowly) once it is answered well.
    s1 = review(state, 65, now)
    s2 = review(s1, 65, s1.due_at)
    s3 = review(s2, 65, s2.due_at)
    assert s3.ease == MIN_EASE
    assert s3.interval_days == pytest.approx(6.0 * MIN_EASE)


def test_early_passing_redrill_does_not_inflate_the_interval() -> None:
    first = review(initial_state(T0), 95, T0)
    redrill = review(first, 100, T0 + 60)  # "try again" a minute later
    assert redrill.repetitions == first.repetitions
    assert redrill.interval_days == first.interval_days
    assert redrill.due_at == first.due_at
    assert redrill.ease == first.ease
    assert redrill.last_score == 100.0


def test_early_failing_answer_still_resets() -> None:
    first = review(initial_state(T0), 95, T0)
    failed = review(first, 10, T0 + 60)
    assert failed.repetitions == 0
    assert failed.due_at == T0 + 60 + RELEARN_SECONDS


def test_answer_after_seeing_the_reference_is_a_failed_recall() -> None:
    """A perfect score copied from the reference resets the item instead of pushing it out."""
    learned = review(review(initial_state(T0), 95, T0), 95, T0 + DAY_SECONDS)
    now = learned.due_at
    assert review(learned, 100, now).repetitions == 3  # unaided, it would move on
    seen = schedule.review_seen(learned, 100, now)
    assert seen.repetitions == 0
    assert seen.due_at == now + RELEARN_SECONDS
    assert seen.interval_days == pytest.approx(RELEARN_SECONDS / DAY_SECONDS)
    assert seen.ease == pytest.approx(learned.ease - 0.32)  # graded quality 2, like a partly-right miss
    assert seen.last_score == 100.0  # the score itself is kept
    # a poor answer even with the reference in view is graded by its own (lower) quality
    assert schedule.review_seen(learned, 10, now).ease == pytest.approx(review(learned, 10, now).ease)
    with pytest.raises(ValueError, match="between 0 and 100"):
        schedule.review_seen(learned, 101, now)


def test_skip_only_moves_due_date() -> None:
    learned = review(initial_state(T0), 90, T0)
    skipped = schedule.skip(learned, T0 + 5 * DAY_SECONDS)
    assert skipped.due_at == T0 + 5 * DAY_SECONDS + RELEARN_SECONDS
    assert skipped.interval_ends_at == learned.due_at  # the plan is remembered
    assert dataclasses.replace(skipped, due_at=learned.due_at, planned_due_at=None) == learned


def _three_good_reviews_on_time() -> ReviewState:
    state, now = initial_state(T0), T0
    for _ in range(3):
        state = review(state, 95, now)
        now = state.due_at
    return state  # 1, 6, then 6 × 2.7 = 16.2 days


def test_answer_when_a_skipped_question_comes_back_early_keeps_the_interval() -> None:
    """Reviewer's scenario: skip, then a good answer 10 minutes later, is an early re-drill."""
    learned = _three_good_reviews_on_time()
    assert learned.interval_days == pytest.approx(16.2)
    reviewed_at = learned.due_at - learned.interval_days * DAY_SECONDS
    skip_at = reviewed_at + 60
    skipped = schedule.skip(learned, skip_at)
    assert skipped.is_due(skip_at + RELEARN_SECONDS)  # it does come back soon
    back = skip_at + RELEARN_SECONDS + 60
    redrill = review(skipped, 100, back)
    assert redrill.interval_days == learned.interval_days  # not promoted to 16.2 × 2.8
    assert redrill.repetitions == learned.repetitions
    assert redrill.ease == learned.ease
    assert redrill.last_score == 100.0
    assert redrill.due_at == learned.due_at  # the plan again, not due right away
    assert not redrill.is_due(back)
    # ... the same as answering early without the skip
    assert redrill == review(learned, 100, back)
    # A bad answer when it comes back is still a lapse.
    lapsed = review(skipped, 10, back)
    assert lapsed.repetitions == 0 and lapsed.due_at == back + RELEARN_SECONDS
    # After the real due time the skipped question is an on-time review and moves on.
    promoted = review(skipped, 100, learned.due_at)
    assert promoted.repetitions == learned.repetitions + 1
    assert promoted.interval_days == pytest.approx(16.2 * 2.8)


def test_skip_after_the_real_due_time_then_good_answer_is_on_time() -> None:
    learned = _three_good_reviews_on_time()
    skip_at = learned.due_at + DAY_SECONDS  # overdue: the whole interval has passed
    skipped = schedule.skip(learned, skip_at)
    for when in (skip_at + 60, skip_at + RELEARN_SECONDS):  # before or when it comes back
        promoted = review(skipped, 100, when)
        assert promoted.repetitions == learned.repetitions + 1
        assert promoted.interval_days == pytest.approx(learned.interval_days * learned.ease)
        assert promoted.planned_due_at is None


def test_review_is_pure_and_state_is_frozen() -> None:
    state = initial_state(T0)
    snapshot = dataclasses.astuple(state)
    review(state, 10, T0)
    assert dataclasses.astuple(state) == snapshot
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.ease = 9.0  # type: ignore[misc]


_SCORES = st.floats(min_value=0, max_value=100, allow_nan=False)
_WAITS = st.one_of(  # minutes (a skipped question coming back) as well as days
    st.floats(min_value=0, max_value=2 * RELEARN_SECONDS, allow_nan=False),
    st.floats(min_value=0, max_value=60 * DAY_SECONDS, allow_nan=False),
)


@given(st.lists(st.tuples(st.one_of(st.none(), _SCORES), _WAITS), min_size=1, max_size=30))
@example([(95.0, 0.0), (None, 60.0), (95.0, RELEARN_SECONDS + 60)])  # skip, back, answered well
def test_invariants_hold_for_any_sequence(steps: list[tuple[float | None, float]]) -> None:
    """Any mix of answers and skips (None): the review invariants hold, and skips
    only change when the question comes back, never the interval or the ladder."""
    state = initial_state(T0)
    unskipped = state  # the same answers at the same times, without the skips
    now = T0
    for score, wait in steps:
        now += wait
        if score is None:
            new = schedule.skip(state, now)
            assert new.due_at == now + RELEARN_SECONDS
            assert new.interval_days <= state.interval_days  # never lengthened
            assert (new.repetitions, new.interval_days, new.ease, new.last_score) == (
                state.repetitions, state.interval_days, state.ease, state.last_score)
            assert new.interval_ends_at == unskipped.due_at
            state = new
            continue
        new = review(state, score, now)
        assert new.ease >= MIN_EASE
        assert new.repetitions >= 0
        assert new.interval_days > 0
        assert new.due_at > now
        assert new.last_score == score
        if score_to_quality(score) < 3:
            assert new.repetitions == 0 and new.due_at == now + RELEARN_SECONDS
        unskipped = review(unskipped, score, now)
        assert new == unskipped  # earlier skips changed nothing an answer decides
        state = new
