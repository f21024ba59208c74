"""The interview session flow on the bundled collection, with the real scorer and a real SQLite store.

Nothing is mocked: answers are scored by the prepared scorer (``bundled_scorer``,
built once per test session from the shared index and embedding cache) and
every attempt goes through :class:`~interviewer.progress.ProgressStore` into a
SQLite file under ``tmp_path``. "Saved before returning" is checked by opening
a second store on the same file, and finally by killing a real interview
process with SIGKILL.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from corpus.model import PATH_SEPARATOR, Collection
from index.tokenize import normalise
from interviewer.progress import (
    NEEDS_WORK_BELOW,
    Attempt,
    InvalidProfileError,
    ProgressStore,
    ProgressStoreError,
)
from interviewer.schedule import RELEARN_SECONDS
from interviewer.session import (
    MAX_QUESTIONS,
    REFERENCE_SEEN_NOTICE,
    InterviewSession,
    NoQuestionsError,
    SessionError,
    SessionOptions,
    Summary,
    select_questions,
)

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "tester"

# a partial answer (names two of many points) and a wrong one, for "2. L0、L1、L2"
PARTIAL_L012 = "L1 正则会让很多权重变成 0，L2 正则让权重变小。"
PARTIAL_DROPOUT = "训练时随机丢掉一些神经元。"
OFF_DIM = "维度越高，样本越稀疏。"


@pytest.fixture(scope="session")
def scorer(bundled_scorer):  # type: ignore[no-untyped-def]
    """One prepared scorer for the whole test session (reference embeddings cached)."""
    return bundled_scorer


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def store(db: Path) -> ProgressStore:
    return ProgressStore(db)


def qid(c: Collection, heading: str) -> str:
    q = c.find_by_heading(heading)
    assert q is not None, heading
    return q.id


def answered_units(c: Collection, section: str | None = None) -> list[str]:
    """The questions an interview draws from by default: those with a reference in words (not only code or a
    table of figures)."""
    ids = None if section is None else [s.id for s in c.sections if s.title == section]
    return [q.id for q in c.units(ids) if c.has_prose_reference(q.id)]


def record(store: ProgressStore, c: Collection, question_id: str, score: float | None, kind: str = "answer",
           when: float | None = None) -> None:
    q = c.questions[question_id]
    store.record(Attempt(id=None, profile=PROFILE, question_id=q.id, section=q.section, question_title=q.title,
                         answer="x", score=score, kind=kind, created_at=time.time() if when is None else when))


def new_session(c: Collection, scorer, store, **options) -> InterviewSession:  # type: ignore[no-untyped-def]
    return InterviewSession(c, scorer, store, PROFILE, SessionOptions(**options))


# ------------------------------------------------------------------ selection


def test_random_mode_with_a_seed_is_reproducible(bundled_collection: Collection) -> None:
    c = bundled_collection
    first, _ = select_questions(c, SessionOptions(mode="random", count=8, seed=7))
    again, _ = select_questions(c, SessionOptions(mode="random", count=8, seed=7))
    assert first == again
    assert len(first) == 8 and len(set(first)) == 8
    answered = set(answered_units(c))
    assert set(first) <= answered
    others = {tuple(select_questions(c, SessionOptions(mode="random", count=8, seed=s))[0]) for s in range(1, 6)}
    assert len(others | {tuple(first)}) > 1, "different seeds should give different draws"


def test_order_mode_is_document_order_of_interview_questions(bundled_collection: Collection) -> None:
    c = bundled_collection
    chosen, notices = select_questions(c, SessionOptions(mode="order", count=10))
    assert chosen == answered_units(c)[:10]
    assert notices == []
    section = c.sections[2].title  # 深度学习基础
    chosen, _ = select_questions(c, SessionOptions(mode="order", count=MAX_QUESTIONS, sections=(section,)))
    assert chosen == answered_units(c, section)
    lines = [c.questions[q].line_start for q in chosen]
    assert lines == sorted(lines)


def test_weakest_mode_puts_lowest_mastery_first_then_unseen(bundled_collection: Collection,
                                                            store: ProgressStore) -> None:
    c = bundled_collection
    section = "机器学习基础"
    units = answered_units(c, section)
    strong, weak, middle = units[1], units[4], units[2]
    record(store, c, strong, 90.0)
    record(store, c, weak, 15.0)
    record(store, c, middle, 55.0)
    session = new_session(c, None, store, mode="weakest", count=len(units), sections=(section,))
    # a question answered well (90, 优秀) comes after the new ones: weakest-first once asked a question scored 97
    # while others had never been practised
    assert session.queue[:2] == [weak, middle]
    assert session.queue[2:-1] == [q for q in units if q not in (weak, middle, strong)]
    assert session.queue[-1] == strong
    assert session.notices == []
    for qid in (weak, middle):
        record(store, c, qid, 95.0)
        record(store, c, qid, 95.0)
    session = new_session(c, None, store, mode="weakest", count=2, sections=(section,))
    assert strong not in session.queue and any("nothing needs work" in n for n in session.notices)


def test_weakest_mode_without_attempts_says_so(bundled_collection: Collection, store: ProgressStore) -> None:
    c = bundled_collection
    session = new_session(c, None, store, mode="weakest", count=3, sections=("机器学习基础",))
    assert session.queue == answered_units(c, "机器学习基础")[:3]
    assert any("no scored answers yet" in n for n in session.notices)


def test_due_mode_asks_due_questions_first_then_unseen(bundled_collection: Collection, store: ProgressStore) -> None:
    c = bundled_collection
    section = "机器学习基础"
    units = answered_units(c, section)
    now = time.time()
    long_overdue, overdue, learned = units[3], units[0], units[5]
    record(store, c, long_overdue, 30.0, when=now - 5 * 86400)  # failed: back after 10 minutes
    record(store, c, overdue, 25.0, when=now - 2 * 86400)
    record(store, c, learned, 95.0, when=now - 60)  # passed a minute ago: due tomorrow
    session = InterviewSession(c, None, store, PROFILE,
                               SessionOptions(mode="due", count=len(units), sections=(section,)), now=now)
    assert session.queue[:2] == [long_overdue, overdue]
    assert session.queue[2:-1] == [q for q in units if q not in (long_overdue, overdue, learned)]
    assert session.queue[-1] == learned  # seen and not due: last
    assert not any("nothing is due" in n for n in session.notices)


def test_due_mode_with_nothing_due_starts_with_new_questions(bundled_collection: Collection,
                                                             store: ProgressStore) -> None:
    c = bundled_collection
    units = answered_units(c, "机器学习基础")
    record(store, c, units[0], 95.0)  # just learned: not due
    session = new_session(c, None, store, mode="due", count=3, sections=("机器学习基础",))
    assert any("nothing is due" in n for n in session.notices)
    assert session.queue == units[1:4]


def test_sections_by_title_by_id_and_unknown(bundled_collection: Collection) -> None:
    c = bundled_collection
    sec = next(s for s in c.sections if s.title == "RNN&LSTM")
    by_title, _ = select_questions(c, SessionOptions(mode="order", count=50, sections=("rnn&lstm",)))
    by_id, _ = select_questions(c, SessionOptions(mode="order", count=50, sections=(sec.id,)))
    assert by_title == by_id == answered_units(c, "RNN&LSTM")
    assert all(c.questions[q].section_id == sec.id for q in by_id)
    two, _ = select_questions(c, SessionOptions(mode="order", count=50, sections=("RNN&LSTM", "经典网络")))
    assert set(two) == set(by_id) | set(answered_units(c, "经典网络"))
    with pytest.raises(SessionError) as err:
        select_questions(c, SessionOptions(sections=("量子计算",)))
    message = str(err.value)
    assert "量子计算" in message
    for title in ("机器学习基础", "深度学习基础", "RNN&LSTM"):
        assert title in message, "the error lists the available sections"


@pytest.mark.parametrize("count", [0, -1, -50, True])
def test_count_must_be_at_least_one(bundled_collection: Collection, count: int) -> None:
    with pytest.raises(SessionError, match="at least 1"):
        select_questions(bundled_collection, SessionOptions(count=count))


def test_count_larger_than_available_gives_all_with_a_notice(bundled_collection: Collection) -> None:
    c = bundled_collection
    available = answered_units(c, "生成对抗网络（GAN）")
    chosen, notices = select_questions(c, SessionOptions(mode="random", count=5, sections=("生成对抗网络（GAN）",)))
    assert sorted(chosen) == sorted(available) and len(chosen) < 5
    assert available and len(available) == 1, "precondition: one answered question in this section"
    assert "只有 1 道题可选 / only 1 question is available." in notices  # not "1 questions are"
    chosen, notices = select_questions(c, SessionOptions(mode="order", count=MAX_QUESTIONS + 10))
    assert len(chosen) == MAX_QUESTIONS
    assert any(f"at most {MAX_QUESTIONS}" in n for n in notices)


def test_plural_of_the_available_notice(bundled_collection: Collection) -> None:
    c = bundled_collection
    section = "RNN&LSTM"
    available = answered_units(c, section)
    assert len(available) > 1
    _, notices = select_questions(c, SessionOptions(mode="order", count=MAX_QUESTIONS, sections=(section,)))
    assert f"只有 {len(available)} 道题可选 / only {len(available)} questions are available." in notices


def test_nothing_to_ask_says_why_and_carries_what_a_front_end_needs(bundled_collection: Collection) -> None:
    c = bundled_collection
    with pytest.raises(NoQuestionsError) as err:  # every question there lacks a reference answer
        select_questions(c, SessionOptions(sections=("图像处理基础",)))
    assert err.value.sections == ("图像处理基础",) and err.value.unanswered == 6
    assert "include unanswered" in str(err.value)  # the web app's wording (its checkbox) is kept
    with pytest.raises(NoQuestionsError) as err:  # a section heading with no questions under it
        select_questions(c, SessionOptions(sections=("优化算法",), include_unanswered=True))
    assert err.value.unanswered == 0
    assert "no questions" in str(err.value) and "include unanswered" not in str(err.value)
    assert "勾选" not in str(err.value)


class _NoScorer:
    def score(self, question_id: str, answer: str, focus: str | None = None) -> object:
        raise AssertionError("not scored")


def test_an_answer_that_cannot_be_scored_is_kept_as_a_note(bundled_collection: Collection,
                                                           store: ProgressStore) -> None:
    session = new_session(bundled_collection, _NoScorer(), store, mode="order", count=2)
    turn = session.current
    assert turn is not None
    kept = session.keep_unscored("我的回答，评分时被中断")
    assert kept is turn and turn.status == "noted" and turn.result is None
    [attempt] = store.attempts(PROFILE)
    assert (attempt.kind, attempt.answer, attempt.score, attempt.question_id) == (
        "note", "我的回答，评分时被中断", None, turn.question_id)
    assert store.review_states(PROFILE) == {}  # no effect on the schedule
    assert session.keep_unscored("again") is turn and len(store.attempts(PROFILE)) == 1  # already kept
    assert session.end().notes == 1


def test_the_summary_counts_every_note_kept(bundled_collection: Collection, store: ProgressStore) -> None:
    """Text saved as a note on Skip was kept (the page said so) but the summary said "notes 0": it counted only
    turns whose answer became a note."""
    session = new_session(bundled_collection, _NoScorer(), store, mode="order", count=3)
    session.skip(note="还没写完的想法")
    session.keep_unscored("评分被中断的回答")
    summary = session.end()
    assert summary.notes == 2 and summary.skipped == 1
    assert sorted(a.kind for a in store.attempts(PROFILE)) == ["note", "note", "skip"]


def test_unknown_mode_and_profile_fail_before_any_answer(bundled_collection: Collection,
                                                        store: ProgressStore) -> None:
    with pytest.raises(SessionError, match="unknown mode"):
        select_questions(bundled_collection, SessionOptions(mode="hardest"))
    with pytest.raises(InvalidProfileError):
        InterviewSession(bundled_collection, None, store, "bad\nname", SessionOptions(mode="order"))


# ------------------------------------------------------------------ answering


def test_submit_scores_and_saves_before_returning(bundled_collection: Collection, scorer, db: Path,  # type: ignore[no-untyped-def]
                                                  store: ProgressStore) -> None:
    c = bundled_collection
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(qid(c, "L0、L1、L2"),)))
    question = session.current_question
    assert question is not None and session.has_reference
    turn = session.submit(PARTIAL_L012)
    assert turn.status == "answered" and turn.result is not None
    assert turn.result.kind == "scored"
    assert 0.0 <= turn.result.score <= 100.0
    other = ProgressStore(db)  # a second connection sees it: committed before submit returned
    saved = other.history(PROFILE, question.id)
    assert len(saved) == 1
    a = saved[0]
    assert (a.kind, a.score, a.band, a.answer, a.session_id) == (
        "answer", turn.result.score, turn.result.band, turn.answer, session.id)
    assert a.section == question.section and a.question_title == question.title
    assert a.components and all(isinstance(v, float) for v in a.components.values())
    with pytest.raises(SessionError, match="already answered"):
        session.submit("again")
    assert len(other.history(PROFILE, question.id)) == 1


def test_next_before_answering_is_refused(bundled_collection: Collection, store: ProgressStore) -> None:
    session = new_session(bundled_collection, None, store, mode="order", count=2)
    with pytest.raises(SessionError, match="answer or skip"):
        session.next()


def test_skip_is_recorded_as_skip(bundled_collection: Collection, scorer, db: Path, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    c = bundled_collection
    session = new_session(c, scorer, store, mode="order", count=2)
    first = session.queue[0]
    nxt = session.skip()
    assert nxt is not None and nxt.question_id == session.queue[1] and nxt.kind == "main"
    assert session.turns[0].status == "skipped"
    saved = ProgressStore(db).history(PROFILE, first)
    assert [(a.kind, a.score) for a in saved] == [("skip", None)]
    assert first in ProgressStore(db).review_states(PROFILE), "a skipped question is scheduled to come back"


def test_a_failed_save_says_so_and_the_interview_goes_on(bundled_collection: Collection, scorer, db: Path) -> None:  # type: ignore[no-untyped-def]
    """A database that fails mid-interview (disk full, I/O error) used to keep the question open: submit, skip and
    next then all failed, and only End worked. The answer is now scored and shown with a NOT-saved notice, a skip
    still moves on, and answers are saved again once the database works."""
    class FlakyStore(ProgressStore):
        failures = 1

        def record(self, attempt: Attempt) -> int:
            if self.failures:
                self.failures -= 1
                raise ProgressStoreError("disk full")
            return super().record(attempt)

    flaky = FlakyStore(db)
    session = new_session(bundled_collection, scorer, flaky, mode="order", count=3)
    turn = session.submit(PARTIAL_L012)
    assert turn.status == "answered" and turn.result is not None and turn.answer == PARTIAL_L012
    assert turn.unsaved == "disk full" and "NOT saved" in turn.saved_notice
    session.skip()  # on past the follow-up
    flaky.failures = 1
    assert session.current is not None and session.current.status == "pending"
    pending = session.current
    later = session.skip()  # the skip cannot be recorded: it still moves on
    assert pending.status == "skipped" and pending.unsaved == ""
    assert later is not None and later.question_id != turn.question_id
    done = session.submit(PARTIAL_L012)
    assert done.unsaved == "" and done.saved_notice == ""
    assert [a.answer for a in ProgressStore(db).history(PROFILE, done.question_id)] == [PARTIAL_L012]
    assert ProgressStore(db).history(PROFILE, turn.question_id) == []


def test_a_note_that_cannot_be_saved_raises_so_the_text_stays_where_it_was_typed(  # type: ignore[no-untyped-def]
        bundled_collection: Collection, scorer, db: Path) -> None:
    class BrokenStore(ProgressStore):
        def record(self, attempt: Attempt) -> int:
            raise ProgressStoreError("disk full")

    session = new_session(bundled_collection, scorer, BrokenStore(db), mode="order", count=2)
    with pytest.raises(ProgressStoreError):
        session.skip(note="我还没写完的回答")
    assert session.current is not None and session.current.status == "pending" and len(session.turns) == 1


def test_hint_gives_key_terms_not_the_reference(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                store: ProgressStore) -> None:
    c = bundled_collection
    for heading in ("L0、L1、L2", "Dropout 原理"):  # with and without sub-questions
        question_id = qid(c, heading)
        session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(question_id,)))
        reference = c.answer_plain(question_id)
        hints = session.hint()
        assert len(hints) == 3, hints
        assert all(h.strip() and h in normalise(reference) for h in hints), hints  # terms of the reference
        assert len("".join(hints)) < len(reference) / 4
        assert c.questions[question_id].title not in hints
        more = session.hint()
        assert len(more) == len(hints) + 1 and more[: len(hints)] == hints
        for _ in range(20):
            most = session.hint()
        assert len(most) <= 8 and len("".join(most)) < len(reference) / 2
        assert session.current is not None and session.current.status == "pending"
    assert ProgressStore(store.path).attempts(PROFILE) == [], "a hint is not an attempt"


def test_reference_returns_the_markdown_answer(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                               store: ProgressStore) -> None:
    c = bundled_collection
    question_id = qid(c, "L0、L1、L2")
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(question_id,)))
    text = session.reference()
    assert text == c.answer_markdown(question_id)
    assert "#### " in text and "L1范数" in text  # sub-question headings kept as Markdown
    assert session.current is not None and session.current.reference_shown


def test_pasting_the_shown_reference_is_kept_but_not_counted(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                             db: Path, store: ProgressStore) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    pasted = c.answer_plain(main)[:600]
    # control: the same text typed without looking counts as a strong, learned answer
    control = InterviewSession(c, scorer, store, "control", SessionOptions(question_ids=(main,)))
    unaided = control.submit(pasted)
    assert unaided.result.score >= 85 and REFERENCE_SEEN_NOTICE not in unaided.result.notices
    assert main in store.mastery("control") and store.review_states("control")[main].repetitions == 1
    control.reference()  # looking at the reference *after* answering is how one studies: still counted
    assert not unaided.after_reference
    assert control.end().mean_score == unaided.result.score and control.end().reference_seen == []
    assert not store.history("control", main)[0].reference_shown

    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main,)))
    session.reference()
    before = time.time()
    turn = session.submit(pasted)
    assert turn.result.score == unaided.result.score and turn.after_reference  # scored as usual ...
    assert turn.result.notices[0] == REFERENCE_SEEN_NOTICE  # ... and told why it does not count
    assert "你在作答前看过参考答案，本次不计入掌握度" in REFERENCE_SEEN_NOTICE
    assert "you saw the reference before answering; this attempt does not count toward mastery" in REFERENCE_SEEN_NOTICE
    [saved] = ProgressStore(db).history(PROFILE, main)  # nothing lost, clearly flagged
    assert (saved.answer, saved.score, saved.kind, saved.reference_shown) == (pasted, turn.result.score, "answer", True)
    assert main not in store.mastery(PROFILE)
    state = store.review_states(PROFILE)[main]
    assert state.repetitions == 0 and before + RELEARN_SECONDS <= state.due_at <= time.time() + RELEARN_SECONDS
    summary = session.end()
    assert (summary.answered, summary.mean_score, summary.weakest) == (1, None, [])
    assert summary.reference_seen == [c.questions[main].display_path]


def test_a_followup_inside_a_shown_reference_is_flagged_too(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                           db: Path, store: ProgressStore) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main,)))
    session.reference()  # the reference shows every sub-question's answer as well
    session.submit(PARTIAL_L012)
    follow = session.next()
    assert follow is not None and follow.kind == "followup" and follow.question_id != main
    assert follow.reference_shown
    done = session.submit(c.answer_plain(follow.question_id)[:300])
    assert REFERENCE_SEEN_NOTICE in done.result.notices
    saved = ProgressStore(db).history(PROFILE, follow.question_id)
    assert [(a.kind, a.reference_shown) for a in saved] == [("followup", True)]
    assert store.mastery(PROFILE) == {}


# ------------------------------------------------------------------ follow-ups


def test_partial_answer_leads_to_a_followup_on_a_sub_question(bundled_collection: Collection, scorer, db: Path,  # type: ignore[no-untyped-def]
                                                              store: ProgressStore) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main, qid(c, "维数灾难"))))
    turn = session.submit(PARTIAL_L012)
    assert turn.result.kind == "scored" and turn.result.score < 85
    follow = session.next()
    assert follow is not None and follow.kind == "followup"
    assert not follow.reference_shown
    subs = {d.id for d in c.descendants(main) if d.has_own_text}
    assert follow.question_id in subs
    assert c.questions[follow.question_id].title in follow.prompt
    assert c.questions[main].title in follow.prompt  # "追问：区别" alone would say nothing
    assert "追问" in session.progress_label and session.position == 0
    answer = "L1 范数是各元素绝对值之和，是 L0 的凸近似，会产生稀疏解。"
    done = session.submit(answer)
    expected = scorer.score(follow.question_id, answer)  # scored the same way as a main question
    assert done.result.score == expected.score and done.result.kind == expected.kind
    saved = ProgressStore(db).history(PROFILE, follow.question_id)
    assert [(a.kind, a.score, a.answer, a.reference_shown) for a in saved] == [
        ("followup", expected.score, answer, False)]
    assert REFERENCE_SEEN_NOTICE not in done.result.notices
    after = session.next()  # no follow-up of a follow-up
    assert after is not None and after.kind == "main" and after.question_id == qid(c, "维数灾难")


def test_a_skipped_followup_comes_back_in_due_mode(bundled_collection: Collection, scorer, db: Path,  # type: ignore[no-untyped-def]
                                                   store: ProgressStore) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main,)))
    session.submit(PARTIAL_L012)
    follow = session.next()
    assert follow is not None and follow.kind == "followup" and follow.question_id != main
    sub = c.questions[follow.question_id]
    assert session.skip() is None  # "this question will come back soon" ...
    later = time.time() + RELEARN_SECONDS + 1
    due = InterviewSession(c, scorer, store, PROFILE,
                           SessionOptions(mode="due", count=5, sections=(sub.section,)), now=later)
    assert sub.id in due.queue[:2]  # ... and due mode does bring it back
    while due.current is not None and due.current.question_id != sub.id:
        due.skip()
    turn = due.current
    assert turn is not None and turn.kind == "main"
    assert turn.prompt == PATH_SEPARATOR.join(sub.path) and c.questions[main].title in turn.prompt
    answer = c.answer_plain(sub.id)[:300]
    assert due.submit(answer).result.kind == "scored"
    assert [(a.kind, a.answer) for a in ProgressStore(db).history(PROFILE, sub.id)] == [
        ("skip", ""), ("answer", answer)]


def test_a_very_good_answer_gets_no_followup(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                            store: ProgressStore) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    second = qid(c, "维数灾难")
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main, second)))
    turn = session.submit(c.answer_plain(main)[:600])
    assert turn.result.score >= 85, "precondition: the reference's own words score very high"
    assert session.followup_candidate() is None
    nxt = session.next()
    assert nxt is not None and nxt.kind == "main" and nxt.question_id == second


def test_a_follow_up_asks_about_a_concept_not_an_illustration(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                               store: ProgressStore) -> None:
    """The k-means/kNN distance answer illustrates Manhattan distance with a chess board; an answer that
    missed it was asked "你能具体讲讲「国际象棋」吗？". A follow-up names a concept of the field."""
    c = bundled_collection
    main = qid(c, "4. 在k-means或kNN，我们是用欧氏距离")
    assert "国际象棋" in c.answer_plain(main), "precondition: the reference uses the illustration"
    assert not [d for d in c.descendants(main) if d.has_own_text], "precondition: no sub-questions"
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main,)))
    turn = session.submit("欧氏距离就是两点之间的直线距离。")
    assert turn.result.kind == "scored" and "国际象棋" in turn.result.missed, "precondition: the term was missed"
    follow = session.followup_candidate()
    assert follow is not None and follow.focus
    assert follow.focus not in ("国际象棋", "棋盘")
    assert follow.focus in scorer.terms.known_terms


def test_key_term_followup_is_scored_on_that_term(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                  db: Path, store: ProgressStore) -> None:
    """A question without sub-questions follows up on the heaviest missed key term; the answer
    to "can you expand on 「X」?" is scored on the reference's points about X, and saved."""
    c = bundled_collection
    main = qid(c, "维数灾难")
    assert not list(c.descendants(main)), "precondition: no sub-questions"
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(main,)))
    session.submit("维度越高，计算量越大。")
    follow = session.followup_candidate()
    assert follow is not None and follow.question_id == main and follow.focus
    assert scorer.terms.is_topic_term(follow.focus)  # a term that stands alone, not 等于 or 维空间
    assert f"「{follow.focus}」" in follow.prompt
    turn = session.next()
    assert turn is not None and turn.kind == "followup" and turn.focus == follow.focus
    point = next(p for p in scorer._refs[main].points if follow.focus in p.terms)
    schedule_after_answer = ProgressStore(db).review_states(PROFILE)[main]
    done = session.submit(point.text)
    assert done.result.kind == "scored" and any(follow.focus in n for n in done.result.notices)
    assert done.result.score == scorer.score(main, point.text, focus=follow.focus).score
    saved = ProgressStore(db)
    assert [(a.kind, a.focus) for a in saved.history(PROFILE, main)] == [("answer", ""), ("followup", follow.focus)]
    # one good point does not make the weak answer count as learned
    assert saved.review_states(PROFILE)[main] == schedule_after_answer
    main_score = saved.history(PROFILE, main)[0].score
    assert saved.mastery(PROFILE)[main] == main_score
    summary = session.end()  # ...nor does the session summary count it, or list the question twice
    assert (summary.answered, summary.followups, summary.scored) == (1, 1, 2) and summary.mean_score == main_score
    assert summary.mean_leaves_out
    assert summary.weakest == [(c.questions[main].display_path, main_score)]


def test_a_chosen_sub_question_with_its_own_answer_is_asked_itself(bundled_collection: Collection) -> None:
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    answered = next(d for d in c.descendants(main) if c.is_answered(d.id))
    chosen, _ = select_questions(c, SessionOptions(question_ids=(answered.id,)))
    assert chosen == [answered.id]
    unanswered = next((q for q in c if q.parent_id and not c.is_answered(q.id) and c.unit_of(q.id) != q.id), None)
    assert unanswered is not None, "the collection has sub-questions without an answer"
    chosen, _ = select_questions(c, SessionOptions(question_ids=(unanswered.id,), include_unanswered=True))
    assert chosen == [c.unit_of(unanswered.id)]


def test_followups_can_be_turned_off(bundled_collection: Collection, scorer, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    c = bundled_collection
    main = qid(c, "L0、L1、L2")
    session = InterviewSession(c, scorer, store, PROFILE,
                               SessionOptions(question_ids=(main,), followups=False))
    session.submit(PARTIAL_L012)
    assert session.next() is None and session.ended


# ------------------------------------------------------------------ unanswered questions


def test_unanswered_questions_are_excluded_by_default(bundled_collection: Collection) -> None:
    c = bundled_collection
    chosen, _ = select_questions(c, SessionOptions(mode="order", count=MAX_QUESTIONS))
    assert all(c.is_answered(q) for q in chosen)
    everything, _ = select_questions(c, SessionOptions(mode="random", count=MAX_QUESTIONS, seed=3))
    assert all(c.is_answered(q) for q in everything)


def test_included_unanswered_question_keeps_the_answer_as_a_note(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                                 db: Path, store: ProgressStore) -> None:
    c = bundled_collection
    session = new_session(c, scorer, store, mode="order", count=2, sections=("机器学习基础",),
                          include_unanswered=True)
    first = session.queue[0]
    assert first == qid(c, "常用的损失函数") and not c.is_answered(first)
    assert not session.has_reference
    assert "no reference answer" in session.reference()
    note = "交叉熵、均方误差、hinge loss、focal loss"
    turn = session.submit(note)
    assert turn.status == "noted" and turn.result is None
    saved = ProgressStore(db).history(PROFILE, first)
    assert [(a.kind, a.score, a.answer) for a in saved] == [("note", None, note)]
    assert session.followup_candidate() is None
    nxt = session.next()
    assert nxt is not None and nxt.kind == "main"
    summary = session.end()
    assert (summary.notes, summary.answered, summary.mean_score) == (1, 0, None)


def test_an_answer_to_a_code_only_reference_is_a_note_not_a_contradiction(e5_embedder, shared_cache,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path) -> None:
    """A question whose reference is only a code block has nothing a free-text answer can be scored
    against (the index leaves code out). The answer is kept as a note; before, it was saved as an unscored
    "answer" whose feedback said there was no reference."""
    from corpus.parser import parse_markdown
    from index.build import open_index
    from interviewer.scoring import Scorer

    c = parse_markdown("## 代码\n\n### 1. 写出 NMS\n\n```python\n# keep the best box\nkeep = []\n```\n\n"
                       "### 2. 什么是 NMS\n\n非极大值抑制：按分数排序，去掉与最高分框 IoU 大于阈值的框。\n\n"
                       "### 3. 各模型的速度\n\n来自基准测试。\n\n| 模型 | 速度 (ms) | Top-1 |\n| --- | --- | --- |\n"
                       "| AlexNet | 14.56 | 42.90 |\n| VGG-16 | 128.62 | 27.00 |\n\n"
                       "### 4. CNN 和 RNN 的区别\n\n| | CNN | RNN |\n| --- | --- | --- |\n"
                       "| 结构 | 卷积层共享权值 | 循环处理序列 |\n| 擅长 | 图像的空间特征 | 文本和语音的时序特征 |\n")
    code, prose = c.find_by_heading("写出 NMS"), c.find_by_heading("什么是 NMS")
    figures, words = c.find_by_heading("各模型的速度"), c.find_by_heading("CNN 和 RNN 的区别")
    assert code is not None and prose is not None and c.is_answered(code.id)
    index, _ = open_index(c, e5_embedder, tmp_path / "idx", cache=shared_cache)
    scorer = Scorer(index, c, cache=shared_cache, use_index_model=False).prepare()
    assert not scorer.has_reference(code.id) and scorer.has_reference(prose.id)
    # a table of figures cannot be answered in words either; a table of words is prose in table form
    assert not scorer.has_reference(figures.id) and scorer.has_reference(words.id)
    store = ProgressStore(tmp_path / "p.sqlite3")
    session = new_session(c, scorer, store, question_ids=(code.id, prose.id))
    assert session.queue[0] == code.id and session.has_reference  # its reference (the code) can be shown
    turn = session.submit("先按分数排序，再去掉重叠大的框")
    assert turn.status == "noted" and turn.result is None
    assert [(a.kind, a.score) for a in store.history(PROFILE, code.id)] == [("note", None)]
    session.next()
    assert session.submit("按分数排序后抑制 IoU 大的框").status == "answered"  # the other one is scored
    # an interview leaves such questions out unless unanswered ones are included (a random one drew the
    # table of figures, and its hints were "porting、pytorch、se")
    assert [c.has_prose_reference(q.id) for q in (code, prose, figures, words)] == [False, True, False, True]
    assert new_session(c, scorer, store, mode="order", count=4).queue == [prose.id, words.id]
    assert new_session(c, scorer, store, mode="order", count=4,
                       include_unanswered=True).queue == [code.id, prose.id, figures.id, words.id]
    from interviewer import render

    assert "只有代码或数据表格" in render.question_markdown(c, figures.id)
    assert "只有代码或数据表格" not in render.question_markdown(c, words.id)
    assert "代码或数据表格" in render.score_panel_markdown(None, "zh", noted="code_only")


# ------------------------------------------------------------------ ending


def test_actions_after_end_raise(bundled_collection: Collection, scorer, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    session = new_session(bundled_collection, scorer, store, mode="order", count=2)
    session.end()
    assert session.current is None and session.ended
    for action in (lambda: session.submit("x"), session.skip, session.hint, session.reference, session.next):
        with pytest.raises(SessionError, match="ended"):
            action()
    # running out of questions ends it too
    session = new_session(bundled_collection, scorer, store, mode="order", count=1)
    assert session.skip() is None and session.ended
    with pytest.raises(SessionError):
        session.submit("x")


def test_summary_lists_only_answers_that_need_work(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                   store: ProgressStore) -> None:
    c = bundled_collection
    strong_id, weak_id = qid(c, "L0、L1、L2"), qid(c, "维数灾难")
    session = InterviewSession(c, scorer, store, PROFILE,
                               SessionOptions(question_ids=(strong_id, weak_id), followups=False))
    strong = session.submit(c.answer_plain(strong_id)[:600])
    session.next()
    weak = session.submit(OFF_DIM)
    assert strong.result.score >= NEEDS_WORK_BELOW > weak.result.score, "precondition"
    summary = session.end()
    assert summary.weakest == [(c.questions[weak_id].display_path, weak.result.score)]
    # a session of strong answers has nothing to review
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=(strong_id,), followups=False))
    session.submit(c.answer_plain(strong_id)[:600])
    summary = session.end()
    assert summary.answered == 1 and summary.weakest == []


def test_summary_counts_and_mean(bundled_collection: Collection, scorer, store: ProgressStore) -> None:  # type: ignore[no-untyped-def]
    c = bundled_collection
    ids = (qid(c, "Dropout 原理"), qid(c, "L0、L1、L2"), qid(c, "维数灾难"))
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=ids, followups=False))
    first = session.submit(PARTIAL_DROPOUT)
    session.next()
    session.skip()
    third = session.submit(OFF_DIM)
    summary = session.end()
    assert isinstance(summary, Summary)
    assert (summary.asked, summary.answered, summary.skipped, summary.notes) == (3, 2, 1, 0)
    assert summary.mean_score == pytest.approx((first.result.score + third.result.score) / 2)
    assert [s for _, s in summary.weakest] == sorted([first.result.score, third.result.score])
    assert {p for p, _ in summary.weakest} == {c.questions[ids[0]].display_path, c.questions[ids[2]].display_path}
    assert [t.status for t in summary.turns] == ["answered", "skipped", "answered"]
    kinds = sorted(a.kind for a in ProgressStore(store.path).attempts(PROFILE))
    assert kinds == ["answer", "answer", "skip"]


def test_summary_counts_the_questions_chosen_and_follow_ups_apart(bundled_collection: Collection, scorer,  # type: ignore[no-untyped-def]
                                                                  store: ProgressStore) -> None:
    """A 2-question interview with two follow-ups (one answered, one skipped) handled 2 questions, not 4, and
    skipped none: the follow-ups are counted apart."""
    c = bundled_collection
    ids = (qid(c, "L0、L1、L2"), qid(c, "维数灾难"))
    session = InterviewSession(c, scorer, store, PROFILE, SessionOptions(question_ids=ids))
    session.submit(PARTIAL_L012)
    assert session.next().kind == "followup", "precondition: a follow-up on a sub-question"
    assert session.skip().question_id == ids[1]  # the follow-up skipped: on to the second question
    session.submit("维度越高，计算量越大。")
    assert session.next().kind == "followup", "precondition: a follow-up on a key term"
    session.submit("维度越高，样本越稀疏，距离度量失效。")
    assert session.next() is None
    summary = session.end()
    assert (summary.asked, summary.answered, summary.skipped, summary.followups) == (2, 2, 0, 2)
    assert summary.scored == 3 and [t.kind for t in summary.turns].count("followup") == 2


# ------------------------------------------------------------------ durability

_CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from interviewer.config import AppConfig
    from interviewer.engine import load_engine
    from interviewer.progress import ProgressStore
    from interviewer.session import InterviewSession, SessionOptions

    engine = load_engine(AppConfig(data_dir=Path(sys.argv[1])), with_scorer=True)
    store = ProgressStore(sys.argv[2])
    session = InterviewSession(engine.collection, engine.scorer, store, "crash",
                               SessionOptions(mode="order", count=3, followups=False))
    print("SESSION", session.id, flush=True)
    for n, answer in enumerate(sys.argv[3:5], start=1):
        turn = session.submit(answer)
        print("SUBMITTED", n, turn.question_id, turn.result.score, flush=True)
        if n < 2:
            session.next()
    time.sleep(600)  # killed here, mid-interview, before the session is ended
    """
)


def test_a_killed_interview_loses_no_submitted_answer(bundled_collection: Collection, bundled_index, scorer,  # type: ignore[no-untyped-def]
                                                      session_data_dir: Path, db: Path) -> None:
    # bundled_index and scorer make sure the subprocess finds the index and the reference
    # embeddings in session_data_dir, so it loads instead of embedding
    answers = ["L1 正则让权重稀疏，L2 正则让权重变小。", "归一化可以加快梯度下降的收敛。"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    errors = db.with_name("stderr.txt")
    with open(errors, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", _CRASH_SCRIPT, str(session_data_dir), str(db), *answers],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    out: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [out.put(line.strip()) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while not any(line.startswith("SUBMITTED 2") for line in lines):
            assert time.monotonic() < deadline, f"timed out; output so far: {lines}"
            try:
                lines.append(out.get(timeout=1.0))
            except queue.Empty:
                assert proc.poll() is None, f"interview process died: {errors.read_text()[-2000:]}"
        proc.send_signal(signal.SIGKILL)  # no cleanup, no atexit, no session end
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    session_id = next(line.split()[1] for line in lines if line.startswith("SESSION"))
    submitted = [line.split() for line in lines if line.startswith("SUBMITTED")]
    saved = list(reversed(ProgressStore(db).attempts("crash")))
    assert [a.answer for a in saved] == answers
    assert [a.question_id for a in saved] == [s[2] for s in submitted]
    assert [a.score for a in saved] == [float(s[3]) for s in submitted]
    assert all(a.kind == "answer" and a.session_id == session_id for a in saved)
    assert [a.question_id for a in saved] == answered_units(bundled_collection)[:2]


def test_section_names_match_ignoring_case_and_full_width_forms(bundled_collection: Collection) -> None:
    from interviewer.session import resolve_sections

    full = resolve_sections(bundled_collection, ["卷积神经网络（CNN）"])
    assert full and resolve_sections(bundled_collection, ["卷积神经网络(cnn)"]) == full


def test_a_sub_question_is_asked_and_saved_with_its_parent_question(bundled_collection: Collection,
                                                                     store: ProgressStore) -> None:
    """"8.2 为什么不容易过拟合" was asked (and saved) by its own heading, with no hint that it is about random
    forests; the prompt the chat and the terminal show, and the title saved with the answer, name the parent."""
    c = bundled_collection
    sub = c.find_by_heading("8.2 为什么不容易过拟合")
    assert sub is not None and c.unit_of(sub.id) == sub.id
    session = new_session(c, _NoScorer(), store, question_ids=(sub.id,))
    turn = session.current
    assert turn is not None and turn.prompt == "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    session.keep_unscored("每棵树的样本和特征都是随机选的")
    [attempt] = store.attempts(PROFILE)
    assert attempt.question_title == "8. 随机森林相关 › 8.2 为什么不容易过拟合" and attempt.question_id == sub.id
