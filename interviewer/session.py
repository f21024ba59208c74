"""One mock interview: pick questions, take answers, give feedback, follow up, summarise.

An :class:`InterviewSession` belongs to one user (profile) and lives in that
user's browser session or terminal — never in module state. The flow is::

    ask → submit(answer) → feedback → [follow-up → submit → feedback] → next → … → end → summary

with ``skip``, ``hint`` and ``reference`` available at any question. Every
submitted answer is written to the progress store *before* feedback is
returned, so nothing a user typed is lost if the process dies afterwards.

Question selection (:func:`select_questions`) draws interview questions
(:meth:`Collection.units`) from the chosen sections in one of four modes:
``random``, ``order`` (document order), ``weakest`` (lowest mastery first, then
unseen) and ``due`` (spaced-repetition schedule first, then unseen). In
``due`` mode a sub-question met as a follow-up (and failed or skipped) is due
like any question, so it is asked again on its own, under its full path.

Answers given after the show-reference action (:meth:`InterviewSession.reference`)
are saved with their score but flagged ``reference_shown``: they do not count
toward mastery and the schedule treats them as a failed recall (see
:mod:`interviewer.progress`); the feedback says so (:data:`REFERENCE_SEEN_NOTICE`).
"""

from __future__ import annotations

import dataclasses
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from corpus.model import PATH_SEPARATOR, Collection, Question, fold_text

from .progress import (
    NEEDS_WORK_BELOW,
    Attempt,
    AttemptJournaled,
    ProgressStore,
    ProgressStoreError,
    normalize_profile,
    plural,
)

MODES = ("random", "order", "weakest", "due")
MAX_QUESTIONS = 50
MAX_HINT_TERMS = 8
REFERENCE_SEEN_NOTICE = ("你在作答前看过参考答案，本次不计入掌握度，这道题会很快再出现 / you saw the reference "
                         "before answering; this attempt does not count toward mastery and the question "
                         "will come back soon.")


class SessionError(Exception):
    """A session cannot start or continue as asked; the message says why."""


class NoQuestionsError(SessionError):
    """The chosen sections have nothing to ask.

    The message is worded for the web app (it names its checkbox); front ends
    with other controls word their own from the attributes: ``sections`` (the
    section titles chosen, empty = all) and ``unanswered`` (how many questions
    without a reference answer they hold, which ``include_unanswered`` would add).
    """

    def __init__(self, message: str, sections: tuple[str, ...], unanswered: int) -> None:
        super().__init__(message)
        self.sections = sections
        self.unanswered = unanswered


class ScorerLike(Protocol):
    def score(self, question_id: str, answer: str, focus: str | None = None) -> Any: ...


@dataclass(frozen=True)
class SessionOptions:
    """What the user chose when starting an interview."""

    sections: tuple[str, ...] = ()  # section ids or titles; empty = all
    mode: str = "random"
    count: int = 5
    include_unanswered: bool = False
    followups: bool = True
    seed: int | None = None
    question_ids: tuple[str, ...] = ()  # ask exactly these (e.g. "practise this" from search); overrides sections


@dataclass
class Turn:
    """One question put to the user (a main question or a follow-up) and what happened."""

    question_id: str
    kind: str  # "main" | "followup"
    prompt: str
    answer: str | None = None
    result: Any = None  # ScoreResult from the scorer
    status: str = "pending"  # pending | answered | skipped | noted
    hints: list[str] = field(default_factory=list)
    reference_shown: bool = False  # the reference (this question's, or one containing it) was shown
    after_reference: bool = False  # answered after the reference was shown: saved, not counted
    saved_notice: str = ""
    unsaved: str = ""  # why the answer could not be saved (the database failed); it is still shown and scored
    focus: str | None = None  # a follow-up on one key term is scored on the reference's points about it


class FollowUp(NamedTuple):
    """A follow-up question: the question it asks, its prompt, and the key term it is about (if any)."""

    question_id: str
    prompt: str
    focus: str | None = None


@dataclass
class Summary:
    """End-of-session report.

    ``asked``, ``answered`` and ``skipped`` count the interview's questions as the user chose them (a
    5-question interview handles at most 5); follow-ups are counted apart in ``followups``, and a skipped
    follow-up is no skipped question. ``weakest`` lists (display path, lowest score) of at most three
    questions whose answers need work (score below :data:`~interviewer.progress.NEEDS_WORK_BELOW`), lowest
    first; it is empty when none does. Answers given after seeing the reference count in ``answered`` and are
    listed in ``reference_seen``; they and follow-ups on one key point are left out of ``mean_score`` and
    ``weakest``.
    """

    asked: int  # questions handled: answered, skipped or kept as a note (follow-ups not included)
    answered: int  # questions answered with a score (follow-ups not included)
    skipped: int  # questions skipped (follow-ups not included)
    mean_score: float | None
    turns: list[Turn]
    weakest: list[tuple[str, float]]
    notes: int
    reference_seen: list[str] = field(default_factory=list)  # display paths
    counted: int | None = None  # scored answers the mean is taken over (``scored`` less the ones left out)
    followups: int = 0  # follow-ups handled (answered, skipped or kept as a note)
    scored: int | None = None  # scored answers, follow-ups included (None: take ``answered``)

    @property
    def mean_leaves_out(self) -> bool:
        """True when some scored answers are not in the mean (after the reference, one-point follow-ups)."""
        scored = self.answered if self.scored is None else self.scored
        return self.counted is not None and self.counted < scored


def resolve_sections(collection: Collection, wanted: tuple[str, ...] | list[str]) -> list[str]:
    """Section ids for ids or titles (ignoring case and full-width forms: "卷积神经网络(CNN)" finds
    "卷积神经网络（CNN）"); unknown names raise SessionError."""
    ids: list[str] = []
    for name in wanted:
        key = fold_text(name.strip())
        match = [s for s in collection.sections if s.id == name or fold_text(s.title) == key]
        if not match:
            match = [s for s in collection.sections if key and key in fold_text(s.title)]
        if not match:
            names = "、".join(s.title for s in collection.sections if s.question_ids)
            raise SessionError(f"没有这个章节 / no section named '{name}'. 可选 / available: {names}")
        ids.extend(s.id for s in match if s.id not in ids)
    return ids


def select_questions(
    collection: Collection,
    options: SessionOptions,
    store: ProgressStore | None = None,
    profile: str = "default",
    now: float | None = None,
) -> tuple[list[str], list[str]]:
    """Interview question ids to ask, and notices for the user (e.g. fewer than asked).

    In ``due`` mode the due list also takes answered sub-questions of the
    candidates (follow-ups that were failed or skipped), so they come back.
    """
    if options.mode not in MODES:
        raise SessionError(f"未知模式 / unknown mode '{options.mode}'; choose one of: {', '.join(MODES)}")
    if isinstance(options.count, bool) or not isinstance(options.count, int) or options.count < 1:
        raise SessionError("题目数量至少为 1 / the number of questions must be at least 1.")
    notices: list[str] = []
    count = min(options.count, MAX_QUESTIONS)
    if options.count > MAX_QUESTIONS:
        notices.append(f"一次最多 {MAX_QUESTIONS} 题 / at most {MAX_QUESTIONS} questions per session.")
    if options.question_ids:
        unknown = [q for q in options.question_ids if q not in collection.questions]
        if unknown:
            raise SessionError(f"题库中没有这道题 / unknown question id(s): {', '.join(unknown[:3])}")
        # a sub-question with a reference of its own is asked itself; one without, as its whole question
        chosen = list(dict.fromkeys(q if collection.is_answered(q) else collection.unit_of(q)
                                    for q in options.question_ids))[:count]
        return chosen, notices
    section_ids = resolve_sections(collection, options.sections) if options.sections else None
    units = collection.units(section_ids)
    # a reference that is only code or a table of figures cannot score a spoken answer: like a missing one
    candidates = [q.id for q in units if options.include_unanswered or collection.has_prose_reference(q.id)]
    if not candidates:
        titles = tuple(s.title for s in collection.sections if section_ids is not None and s.id in section_ids)
        if not units:
            raise NoQuestionsError("所选章节没有题目，请选择其他章节 / the chosen sections have no questions; "
                                   "pick other sections.", titles, 0)
        raise NoQuestionsError(
            "所选章节没有带参考答案的题目，可勾选“包含无参考答案的题目” / the chosen sections have no questions "
            "with a reference answer; include unanswered questions or pick other sections.", titles, len(units)
        )
    rng = random.Random(options.seed)
    now = time.time() if now is None else now
    if options.mode == "order":
        chosen = candidates[:count]
    elif options.mode == "random":
        chosen = rng.sample(candidates, min(count, len(candidates)))
    else:
        if store is None:
            raise SessionError("this mode needs the progress store")
        strong: list[str] = []
        if options.mode == "weakest":
            # below the 良好 band first, then new questions; one already answered well waits behind those
            ranked = store.weakest(profile, len(candidates), question_ids=candidates)
            first = [qid for qid, mastery in ranked if mastery < NEEDS_WORK_BELOW]
            strong = [qid for qid, mastery in ranked if mastery >= NEEDS_WORK_BELOW]
        else:
            parts = [d.id for q in candidates for d in collection.descendants(q) if collection.is_answered(d.id)]
            first = store.due(profile, now, question_ids=candidates + parts)
        seen = set(store.review_states(profile))
        unseen = [q for q in candidates if q not in seen and q not in first and q not in strong]
        rest = [q for q in candidates if q not in first and q not in unseen and q not in strong]
        rng.shuffle(rest)
        if not first:
            notices.append(
                "还没有需要复习的题目，先从新题开始 / nothing is due yet — starting with new questions."
                if options.mode == "due" else
                "没有需要加强的题目，先从新题开始 / nothing needs work — starting with new questions."
                if strong else
                "还没有作答记录，先从新题开始 / no scored answers yet — starting with new questions."
            )
        chosen = (first + unseen + strong + rest)[:count]
    if len(chosen) < options.count and len(chosen) == len(candidates):
        notices.append(f"只有 {len(chosen)} 道题可选 / only {plural(len(chosen), 'question')} "
                       f"{'is' if len(chosen) == 1 else 'are'} available.")
    return chosen, notices


class InterviewSession:
    """State of one interview for one profile. Not shared between users."""

    def __init__(
        self,
        collection: Collection,
        scorer: ScorerLike,
        store: ProgressStore | None,
        profile: str = "default",
        options: SessionOptions = SessionOptions(),
        now: float | None = None,
        index: Any = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.collection = collection
        self.scorer = scorer
        self.store = store
        self.index = index
        # an invalid profile name fails now, not after the user has typed an answer
        self.profile = normalize_profile(profile) if store is not None else profile
        self.options = options
        self.queue, self.notices = select_questions(collection, options, store, profile, now)
        self.turns: list[Turn] = []
        self.position = 0  # index into queue of the current main question
        self.ended = False
        self._followup_pending: Turn | None = None
        self._references_seen: set[str] = set()  # question ids whose reference text was shown
        self._notes = 0  # notes kept: answers to unscorable questions, and text saved on skip / next / a new start
        self._ask(self.queue[0], "main")

    # ----------------------------------------------------------------- state
    @property
    def current(self) -> Turn | None:
        return None if self.ended or not self.turns else self.turns[-1]

    @property
    def current_question(self) -> Question | None:
        turn = self.current
        return None if turn is None else self.collection.questions[turn.question_id]

    @property
    def has_reference(self) -> bool:
        turn = self.current
        return turn is not None and self.collection.is_answered(turn.question_id)

    @property
    def progress_label(self) -> str:
        turn = self.current
        if turn is None:
            return "已结束 / finished"
        tag = "追问 / follow-up" if turn.kind == "followup" else "题目 / question"
        return f"{tag} {self.position + 1}/{len(self.queue)}"

    def _ask(self, question_id: str, kind: str, prompt: str | None = None) -> Turn:
        """Put a question to the user, named with its parent questions (:attr:`Question.asked_title`):
        "8.2 为什么不容易过拟合" alone does not say it is about random forests."""
        q = self.collection.questions[question_id]
        if prompt is None:
            prompt = q.asked_title
        turn = Turn(question_id=question_id, kind=kind, prompt=prompt,
                    reference_shown=question_id in self._references_seen)
        self.turns.append(turn)
        return turn

    # --------------------------------------------------------------- actions
    def submit(self, answer: str) -> Turn:
        """Score the answer to the current question, save it, decide on a follow-up.

        Returns the answered turn (with ``result``). On a question without a
        reference the answer is kept as the user's note and not scored. An
        answer given after the reference was shown is saved with its score,
        flagged ``reference_shown`` (not counted toward mastery, scheduled as
        a failed recall), and its result carries :data:`REFERENCE_SEEN_NOTICE`.
        """
        turn = self._require_open()
        if turn.status != "pending":
            raise SessionError("这道题已经作答，请点“下一题” / already answered — go to the next question.")
        text = answer if isinstance(answer, str) else str(answer or "")
        q = self.collection.questions[turn.question_id]
        # if the database fails (disk full, read-only, I/O error) the interview goes on: the answer is shown
        # with its feedback and ``turn.unsaved`` says it was not saved (a question kept open would leave submit,
        # skip and next all failing); the attempt first goes to the pending journal when it can
        if not self.scorable(q.id):
            turn.saved_notice = self._record(turn, kind="note", score=None, band=None, components={},
                                             answer=text, go_on=True)
            turn.answer, turn.result, turn.status = text, None, "noted"
            return turn
        result = self.scorer.score(q.id, text, focus=turn.focus)
        seen = turn.reference_shown
        turn.saved_notice = self._record(
            turn, kind="followup" if turn.kind == "followup" else "answer",
            score=getattr(result, "score", None), band=getattr(result, "band", None),
            components=_numeric(getattr(result, "components", {})), answer=text, reference_shown=seen, go_on=True,
        )
        if seen:
            result = _with_notice(result, REFERENCE_SEEN_NOTICE)
        turn.answer, turn.result, turn.status, turn.after_reference = text, result, "answered", seen
        return turn

    def scorable(self, question_id: str) -> bool:
        """True when an answer to the question can be scored: it has a reference with text (a reference
        that is only code cannot be compared with a free-text answer; the answer is kept as a note)."""
        if not self.collection.is_answered(question_id):
            return False
        has_reference = getattr(self.scorer, "has_reference", None)
        return bool(has_reference(question_id)) if callable(has_reference) else True

    def keep_unscored(self, answer: str) -> Turn:
        """Save an answer that could not be scored (e.g. scoring was interrupted) as a note.

        Nothing the user typed is lost: the text is recorded as a ``note``
        attempt (history only; no score, no effect on the schedule or mastery)
        and the turn is marked ``noted``. A turn already done is returned as is.
        """
        turn = self._require_open()
        if turn.status != "pending":
            return turn
        text = answer if isinstance(answer, str) else str(answer or "")
        turn.saved_notice = self._record(turn, kind="note", score=None, band=None, components={}, answer=text)
        turn.answer, turn.result, turn.status = text, None, "noted"
        return turn

    def keep_note(self, text: str) -> Turn:
        """Save text typed for the current question after it was answered (or skipped) as a note.

        History only: no score, no effect on mastery or the schedule; the turn keeps its status.
        For a question still waiting for its answer use :meth:`keep_unscored`.
        """
        turn = self._require_open()
        if turn.status == "pending":
            return self.keep_unscored(text)
        turn.saved_notice = self._record(turn, kind="note", score=None, band=None, components={}, answer=text)
        return turn

    def skip(self, note: str = "") -> Turn | None:
        """Skip the current question (recorded, so it comes back soon); returns the next turn.

        ``note``: text typed for the question but not sent, saved first as a note of it (not scored):
        skipping never throws away what the user wrote.
        """
        turn = self._require_open()
        notices = []
        if note.strip():
            notices.append(self._record(turn, kind="note", score=None, band=None, components={}, answer=note))
        if turn.status == "pending":
            notices.append(self._record(turn, kind="skip", score=None, band=None, components={}, go_on=True))
            turn.status = "skipped"
        if notices:
            turn.saved_notice = next((n for n in notices if n), "")
        return self.next(allow_followup=False)

    def hint(self) -> list[str]:
        """A few key terms of the reference, without the answer itself."""
        turn = self._require_open()
        # the first hint names three key terms, each further one a term more (at most eight)
        n = min(MAX_HINT_TERMS, len(turn.hints) + 1) if turn.hints else 3
        terms_of = getattr(self.scorer, "hint_terms", None)
        if callable(terms_of) and turn.focus:  # a follow-up on one term: hints about that term, not the term
            terms = [str(t) for t in terms_of(turn.question_id, n, focus=turn.focus)]
        else:
            terms = [str(t) for t in terms_of(turn.question_id, n)] if callable(terms_of) else []
        if not terms:
            terms = self._key_terms(turn.question_id, n)
        if not terms:
            sub = [d.title for d in self.collection.descendants(turn.question_id)][:3]
            terms = sub
        turn.hints = terms
        return terms

    def _key_terms(self, question_id: str, n: int) -> list[str]:
        """The heaviest key terms of the reference that are not words of the question itself."""
        model = getattr(self.scorer, "terms", None)
        terms_for = getattr(model, "terms_for", None)
        if not callable(terms_for) or not self.collection.is_answered(question_id):
            return []
        shown = getattr(model, "is_display_term", lambda _term: True)
        texts = [str(getattr(t, "text", t)) for t in terms_for(question_id) if not getattr(t, "in_title", False)]
        return [t for t in texts if shown(t)][:n]

    def reference(self) -> str:
        """The reference answer (Markdown) of the current question.

        Marks the question and its sub-questions (the text shown includes
        theirs) as seen: an answer to any of them in this session, including
        a follow-up, is then flagged as given after seeing the reference.
        """
        turn = self._require_open()
        turn.reference_shown = True
        self._references_seen.add(turn.question_id)
        self._references_seen.update(d.id for d in self.collection.descendants(turn.question_id))
        text = self.collection.answer_markdown(turn.question_id)
        return text or "（这道题还没有参考答案 / no reference answer yet）"

    def followup_candidate(self) -> FollowUp | None:
        """The follow-up for the last answered main question, if any: its best-matching
        sub-question, else the heaviest key term the answer missed (scored on that term)."""
        turn = self.current
        if (turn is None or turn.kind != "main" or turn.status != "answered" or not self.options.followups
                or turn.result is None or getattr(turn.result, "kind", "scored") != "scored"):
            return None
        score = getattr(turn.result, "score", None)
        if score is None or score >= 85:
            return None
        missed = [str(getattr(m, "text", m)) for m in getattr(turn.result, "missed", [])]
        subs = [d for d in self.collection.descendants(turn.question_id) if d.has_own_text]
        if subs:
            def overlap(d: Question) -> int:
                text = self.collection.answer_plain(d.id)
                return sum(1 for m in missed if m and m in text)
            best = max(subs, key=lambda d: (overlap(d), -d.line_start))
            # "区别" or "作用" alone says nothing: name it under the question just answered
            main = self.collection.questions[turn.question_id]
            where = PATH_SEPARATOR.join(best.path[max(0, len(main.path) - 1):])
            return FollowUp(best.id, f"追问 / Follow-up：{where}")
        # a follow-up on one term needs a term that stands alone (稀疏, not 等于 or 维空间)
        terms_of = getattr(self.scorer, "followup_terms", None)
        if callable(terms_of):
            missed = [str(t) for t in terms_of(turn.result)]
        if missed:
            point = missed[0]
            return FollowUp(turn.question_id,
                            f"追问 / Follow-up：你能具体讲讲「{point}」吗？/ Can you expand on “{point}”?", point)
        return None

    def next(self, allow_followup: bool = True) -> Turn | None:
        """Move on: to a follow-up of the answered question if there is one, else the next question."""
        turn = self._require_open()
        if turn.status == "pending":
            raise SessionError("请先作答或跳过 / answer or skip this question first.")
        if allow_followup and turn.kind == "main":
            follow = self.followup_candidate()
            if follow is not None:
                asked = self._ask(follow.question_id, "followup", follow.prompt)
                asked.focus = follow.focus
                return asked
        self.position += 1
        if self.position >= len(self.queue):
            self.ended = True
            return None
        return self._ask(self.queue[self.position], "main")

    def end(self) -> Summary:
        """Finish the interview and summarise it."""
        self.ended = True
        scored = [t for t in self.turns if t.status == "answered" and getattr(t.result, "score", None) is not None]
        # as in the progress store: answers given after seeing the reference and follow-ups on one
        # point (they answer a part of a question already counted) stay out of the mean and the list
        own = [t for t in scored if not t.after_reference and not t.focus]
        mean = sum(t.result.score for t in own) / len(own) if own else None
        lowest: dict[str, float] = {}
        for t in own:
            if t.result.score < NEEDS_WORK_BELOW:
                lowest[t.question_id] = min(float(t.result.score), lowest.get(t.question_id, 100.0))
        weakest = sorted(((self.collection.questions[qid].display_path, score) for qid, score in lowest.items()),
                         key=lambda x: x[1])[:3]
        done = [t for t in self.turns if t.status != "pending"]
        main = [t for t in done if t.kind == "main"]
        return Summary(
            asked=len(main),
            answered=len([t for t in scored if t.kind == "main"]),
            skipped=len([t for t in main if t.status == "skipped"]),
            mean_score=mean,
            turns=list(self.turns),
            weakest=weakest,
            notes=self._notes,
            reference_seen=[self.collection.questions[t.question_id].display_path for t in scored
                            if t.after_reference],
            counted=len(own),
            followups=len(done) - len(main),
            scored=len(scored),
        )

    # --------------------------------------------------------------- helpers
    def _require_open(self) -> Turn:
        if self.ended or not self.turns:
            raise SessionError("面试已结束，请开始新的面试 / this interview has ended — start a new one.")
        return self.turns[-1]

    def _record(self, turn: Turn, kind: str, score: float | None, band: str | None,
                components: dict[str, float], answer: str | None = None, reference_shown: bool = False,
                go_on: bool = False) -> str:
        """Save the attempt; returns a notice for the user ('' when saved normally).

        With ``go_on`` a database that fails does not stop the interview: the reason goes in ``turn.unsaved``
        and the notice says the attempt was NOT saved. Without it (notes of text still in the answer box) the
        error propagates, so the caller keeps the text where the user typed it.
        """
        if self.store is None:  # kept for this session only (every feedback says so)
            self._notes += kind == "note"
            return ""
        q = self.collection.questions[turn.question_id]
        attempt = Attempt(
            id=None, profile=self.profile, question_id=q.id, section=q.section,
            question_title=q.asked_title, answer=(turn.answer if answer is None else answer) or "", score=score, band=band,
            components=components, kind=kind, session_id=self.id, reference_shown=reference_shown,
            focus=turn.focus or "",
        )
        try:
            self.store.record(attempt)
        except AttemptJournaled:
            self._notes += kind == "note"
            return ("进度数据库暂时无法写入，你的回答已安全保存到待写入日志，稍后自动写入 / the progress database could not "
                    "be written just now; your answer is saved in the pending journal and will be written later.")
        except ProgressStoreError as exc:
            if not go_on:
                raise
            if kind == "skip":  # only the schedule misses it: the question comes back by its old plan
                return ""
            turn.unsaved = str(exc)
            return f"⚠️ 这次作答没有保存（进度数据库出错）/ this answer was NOT saved (the progress database failed): {exc}"
        self._notes += kind == "note"
        return ""


def _with_notice(result: Any, notice: str) -> Any:
    """``result`` with ``notice`` first among its notices (a copy when it is a dataclass)."""
    notices = [notice, *(getattr(result, "notices", None) or [])]
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.replace(result, notices=notices)  # type: ignore[type-var]
    result.notices = notices
    return result


def _numeric(components: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(components, dict):
        for k, v in components.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[str(k)] = float(v)
    return out
