"""The terminal front end: ``run_practice`` driven by a scripted prompt, and ``show_progress``.

The engine is assembled from the session fixtures (bundled collection, index,
embedding cache and the prepared scorer), with its own data folder per test,
so attempts land in a real SQLite file that the tests read back.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

from corpus.model import Collection
from index.build import BuildReport
from interviewer.config import AppConfig
from interviewer.engine import Engine
from interviewer.progress import NOTHING_NEEDS_WORK, Attempt, ProgressStore
from interviewer.terminal import format_feedback, run_practice, show_progress

PROFILE = "alice"
PARTIAL_L012 = "L1 正则会让很多权重变成 0，L2 正则让权重变小。"


@pytest.fixture(scope="session")
def scorer(bundled_scorer):  # type: ignore[no-untyped-def]
    """One prepared scorer for the whole test session (reference embeddings cached)."""
    return bundled_scorer


@pytest.fixture
def engine(tmp_path: Path, bundled_collection: Collection, e5_embedder, bundled_index, shared_cache,  # type: ignore[no-untyped-def]
           scorer) -> Engine:
    report = BuildReport("loaded", "test", len(bundled_index.passages), 0, len(bundled_index.passages), 0.0, tmp_path)
    return Engine(config=AppConfig(data_dir=tmp_path / "data"), collection=bundled_collection, embedder=e5_embedder,
                  index=bundled_index, build_report=report, cache=shared_cache, _scorer=scorer)


class Script:
    """A prompt function that types the given lines, then Ctrl-D (EOFError) or another exception."""

    def __init__(self, lines: Iterable[str], end: type[BaseException] = EOFError) -> None:
        self.lines = list(lines)
        self.end = end
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise self.end()
        return self.lines.pop(0)


def practice_args(**changes: object) -> argparse.Namespace:
    args = dict(profile=PROFILE, section=None, mode="order", count=2, include_unanswered=False, seed=None)
    args.update(changes)
    return argparse.Namespace(**args)


def run(engine: Engine, script: Callable[[str], str], **changes: object) -> tuple[int, str]:
    out = io.StringIO()
    code = run_practice(engine, practice_args(**changes), prompt=script, out=out)
    return code, out.getvalue()


def flat(text: str) -> str:
    """``text`` without its whitespace (line breaks of wrapping included)."""
    return re.sub(r"\s+", "", text)


def saved(engine: Engine, profile: str = PROFILE) -> list[Attempt]:
    return list(reversed(ProgressStore(engine.config.progress_db).attempts(profile)))


def test_a_full_interview_at_the_prompt(engine: Engine) -> None:
    c = engine.collection
    l012 = c.find_by_heading("L0、L1、L2")
    assert l012 is not None
    script = Script([
        ":hint",
        ":ref",
        PARTIAL_L012.split("，")[0] + "，",  # a two-line answer, finished by an empty line
        PARTIAL_L012.split("，")[1],
        "",
        ":skip",  # no follow-up: on to the next question (nothing is marked skipped)
        ":end",
    ])
    code, text = run(engine, script, section=["机器学习基础"])
    assert code == 0
    assert f"Q: {l012.title}" in text
    parts = [p.title for p in c.asked_parts(l012.id)]  # asked through its parts: 原理和公式, 作用, 各自的问题
    assert "作用" in parts and flat("本题包括：" + "；".join(parts)) in flat(text)
    hint_line = next(line for line in text.splitlines() if line.startswith("提示 / hint: "))
    assert len(hint_line.split(": ", 1)[1].split("、")) == 3
    assert "L1范数" in text and "L2范数" in text  # the reference answer was printed
    assert "得分 / score:" in text and "遗漏的要点 (missed):" in text
    assert "注意 / notice: 你在作答前看过参考答案，本次不计入掌握度" in text  # :ref came before the answer
    # long lines are wrapped to the terminal: compare without the line breaks and spaces
    assert flat("answered after seeing the reference, not counted: " + l012.display_path) in flat(text)
    assert "原文 / source:" in text and "ai_questions.md:" in text  # where the missed points are
    assert "Q: 追问 / Follow-up：" in text
    assert "== 本次面试小结 / session summary ==" in text
    assert "answered 1, skipped 0, notes 0" in text
    assert "不追问了，直接进入下一题 / No follow-up: on to the next question." in text
    attempts = saved(engine)
    assert [(a.kind, a.question_id) for a in attempts][0] == ("answer", l012.id)
    assert attempts[0].answer == "L1 正则会让很多权重变成 0，\nL2 正则让权重变小。"
    assert attempts[0].score is not None and f"score: {attempts[0].score:.0f}/100" in text
    assert attempts[0].reference_shown
    assert len(attempts) == 1
    assert script.prompts.count("  ") == 2  # continuation prompts: second line and the empty line


def test_summary_to_review_lists_only_answers_that_need_work(engine: Engine) -> None:
    c = engine.collection
    l012 = c.find_by_heading("L0、L1、L2")
    assert l012 is not None
    strong = " ".join(c.answer_plain(l012.id)[:600].split())  # one line, typed without :ref
    code, text = run(engine, Script([strong, "", ":end"]), section=["机器学习基础"], count=1)
    assert code == 0
    [attempt] = saved(engine)
    assert attempt.score is not None and attempt.score >= 85, "precondition: a strong answer"
    assert f"to review: {l012.display_path}" not in text
    assert "值得复习 / to review: 无，每个回答都不低于 65 分 / none — every answer scored 65 or more" in text
    code, text = run(engine, Script([PARTIAL_L012, "", ":end"]), section=["机器学习基础"], count=1, profile="bob")
    [attempt] = saved(engine, "bob")
    assert attempt.score is not None and attempt.score < 65, "precondition: a weak answer"
    assert f"值得复习 / to review: {l012.display_path} ({attempt.score:.0f})" in text
    assert "none — every answer" not in text
    # an answer given after the reference is not counted, so "none to review" speaks of the counted answers only
    code, text = run(engine, Script([strong, "", ":ref", "不知道", "", ":end"]), section=["机器学习基础"], count=2,
                     profile="carol")
    assert code == 0 and [a.reference_shown for a in saved(engine, "carol")] == [False, True]
    assert flat("值得复习 / to review: 无，每个计入的回答都不低于 65 分 / none — every counted answer scored 65 or more"
                ) in flat(text)  # (wrapped to the terminal)


def test_eof_at_the_first_prompt_ends_cleanly(engine: Engine) -> None:
    code, text = run(engine, Script([]))
    assert code == 0
    assert "answered 0, skipped 0, notes 0, mean —" in text
    assert saved(engine) == []


def test_eof_in_the_middle_of_an_answer_submits_what_was_typed(engine: Engine) -> None:
    code, text = run(engine, Script(["L1 正则产生稀疏解"]), count=1)
    assert code == 0
    assert "得分 / score:" in text
    assert [a.answer for a in saved(engine)] == ["L1 正则产生稀疏解"]


def test_ctrl_c_ends_the_interview_with_a_summary(engine: Engine) -> None:
    code, text = run(engine, Script([":skip", PARTIAL_L012, ""], end=KeyboardInterrupt), count=3)
    assert code == 0
    assert "answered 1, skipped 1" in text  # a skip of a question (not of a follow-up) is recorded
    assert [a.kind for a in saved(engine)] == ["skip", "answer"]


def test_a_command_in_the_middle_of_an_answer_is_run_not_typed_into_it(engine: Engine) -> None:
    """:hint after the first line shows the hint and the answer goes on; :skip / :end there say how to send
    first instead of dropping or sending the answer by surprise."""
    code, text = run(engine, Script(["L1 正则产生稀疏解", ":hint", "：end", "L2 让权重变小", "", ":end"]))
    assert code == 0
    assert "提示 / hint: " in text and ":end works on an empty prompt" in text
    assert [a.answer for a in saved(engine)] == ["L1 正则产生稀疏解\nL2 让权重变小"]


def test_ctrl_c_while_typing_keeps_the_lines_typed_as_a_note(tmp_path: Path, bundled_collection: Collection) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    code, text = run(engine, Script(["第一行", "第二行"], end=KeyboardInterrupt), count=2)
    assert code == 0
    assert "the answer you were typing was saved as a note" in text and "notes 1" in text
    assert [(a.kind, a.answer, a.score) for a in saved(engine)] == [("note", "第一行\n第二行", None)]


def test_a_mistyped_command_is_not_submitted(engine: Engine) -> None:
    code, text = run(engine, Script([":hnit", ":END"]))
    assert code == 0
    assert "unknown command ':hnit'" in text
    assert saved(engine) == []


def test_an_answer_starting_with_a_colon_is_an_answer_and_full_width_commands_work(engine: Engine) -> None:
    code, text = run(engine, Script(["：ＨＩＮＴ", ":) 训练集上好、测试集上差就是过拟合", "", ":end"]))
    assert code == 0 and "unknown command" not in text and "提示 / hint:" in text
    assert [a.answer for a in saved(engine)] == [":) 训练集上好、测试集上差就是过拟合"]


def test_unanswered_question_answer_becomes_a_note(engine: Engine) -> None:
    note = "交叉熵损失、均方误差、hinge loss"
    code, text = run(engine, Script([note, "", ":end"]), section=["机器学习基础"], include_unanswered=True)
    assert code == 0
    assert "no reference answer: your answer becomes a note" in text
    assert "saved as a note" in text
    assert "相关段落 / related:" in text  # related passages from the index
    attempts = saved(engine)
    assert [(a.kind, a.score, a.answer) for a in attempts] == [("note", None, note)]
    assert "notes 1" in text


def test_a_bad_section_is_a_friendly_error(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(engine, Script([]), section=["没有这个"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "没有这个" in err and "机器学习基础" in err
    assert "Traceback" not in err
    assert text == ""


def test_feedback_of_an_answer_names_covered_and_missed_points(engine: Engine) -> None:
    from interviewer.session import InterviewSession, SessionOptions

    c = engine.collection
    l012 = c.find_by_heading("L0、L1、L2")
    assert l012 is not None
    session = InterviewSession(c, engine.scorer, None, PROFILE, SessionOptions(question_ids=(l012.id,)))
    turn = session.submit("L1 范数是绝对值之和，会产生稀疏解；L2 范数是平方和开根号，即权重衰减。")
    text = format_feedback(session, turn)
    assert f"得分 / score: {turn.result.score:.0f}/100" in text
    assert "答到的要点 (covered): " in text and "稀疏" in text.split("答到的要点 (covered): ")[1].split("。")[0]
    assert text.count("答到的要点") == 1 and "✓ 答到" not in text  # named once, in the explanation
    # the components a candidate can act on; internal signals (precision, language share …) stay stored only
    assert "组成 / components: 语义相似度 / semantic similarity" in text
    assert "precision" not in text and "language_share" not in text
    # wrapped to at most 100 terminal columns, a Chinese character counting two
    from interviewer.columns import display_width
    assert max(display_width(line) for line in text.splitlines()) <= 100, text
    # "I don't know" has no explanation listing the terms: they are listed on their own line
    session = InterviewSession(c, engine.scorer, None, PROFILE, SessionOptions(question_ids=(l012.id,)))
    dont_know = format_feedback(session, session.submit("不知道"))
    assert "✗ 遗漏 / missed: " in dont_know and "稀疏" in dont_know, dont_know
    first_source = next(p for p in turn.result.missed_passages)
    assert first_source.location in text


# ------------------------------------------------------------------ progress report


def _practise(engine: Engine) -> list[Attempt]:
    run(engine, Script([PARTIAL_L012, "", ":skip", "维度越高样本越稀疏", "", ":end"]), section=["机器学习基础"])
    return saved(engine)


def test_show_progress_prints_the_gap_report_and_exports(engine: Engine, tmp_path: Path) -> None:
    attempts = _practise(engine)
    scored = [a for a in attempts if a.score is not None]
    assert len(scored) == 2
    out = io.StringIO()
    md = tmp_path / "report.md"
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=md), out=out) == 0
    text = out.getvalue()
    assert f"Profile '{PROFILE}': {len(attempts)} attempts" in text
    assert "章节掌握度 / mastery by section:" in text and "机器学习基础" in text
    assert "最薄弱 / weakest:" in text
    weakest = min(scored, key=lambda a: a.score)  # type: ignore[arg-type,return-value]
    assert engine.collection.questions[weakest.question_id].display_path in text
    assert f"Exported to {md}" in text
    report = md.read_text(encoding="utf-8")
    assert report.startswith("# ") and "Section mastery" in report and "机器学习基础" in report
    assert "Weakest questions" in report
    csv_path = tmp_path / "report.csv"
    out = io.StringIO()
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=str(csv_path)), out=out) == 0
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(attempts)
    assert [r["kind"] for r in rows] == [a.kind for a in attempts]
    assert [r["question_id"] for r in rows] == [a.question_id for a in attempts]
    assert rows[0]["answer"] == PARTIAL_L012


def test_show_progress_weakest_lists_only_questions_that_need_work(engine: Engine) -> None:
    c = engine.collection
    strong, weak = c.find_by_heading("L0、L1、L2"), c.find_by_heading("维数灾难")
    assert strong is not None and weak is not None
    for profile, q, score in [(PROFILE, strong, 100.0), (PROFILE, weak, 30.0), ("bob", strong, 100.0)]:
        engine.store.record(Attempt(id=None, profile=profile, question_id=q.id, section=q.section,
                                    question_title=q.title, answer="x", score=score))

    def weakest_block(profile: str) -> str:
        out = io.StringIO()
        show_progress(engine, argparse.Namespace(profile=profile, export=None), out=out)
        return out.getvalue().split("最薄弱 / weakest:")[1].split("待复习")[0]

    block = weakest_block(PROFILE)
    assert weak.display_path in block and strong.display_path not in block
    block = weakest_block("bob")  # only strong answers: say so instead of listing them
    assert strong.display_path not in block and NOTHING_NEEDS_WORK in block


def test_show_progress_without_answers(engine: Engine) -> None:
    out = io.StringIO()
    assert show_progress(engine, argparse.Namespace(profile="nobody", export=None), out=out) == 0
    text = out.getvalue()
    assert "Profile 'nobody': 0 attempts" in text
    assert "no answers yet" in text
    assert "mastery by section" not in text
    assert "case-sensitive" not in text
    run(engine, Script(["不知道", "", ":end"]), profile="Nobody")  # answers kept under another spelling
    out = io.StringIO()
    show_progress(engine, argparse.Namespace(profile="nobody", export=None), out=out)
    assert "no answers yet" in out.getvalue() and "'Nobody'" in out.getvalue() and "case-sensitive" in out.getvalue()


def test_show_progress_lists_due_questions(engine: Engine) -> None:
    c = engine.collection
    q = c.find_by_heading("维数灾难")
    assert q is not None
    engine.store.record(Attempt(id=None, profile=PROFILE, question_id=q.id, section=q.section,
                                question_title=q.title, answer="x", score=10.0, created_at=time.time() - 3600))
    out = io.StringIO()
    show_progress(engine, argparse.Namespace(profile=PROFILE, export=None), out=out)
    text = out.getvalue()
    due = text.split("待复习 / due for review:")[1]
    assert q.display_path in due
    assert "1 due now" in text


MY_COLLECTION = "# 我的题库\n\n## 自定义章节\n\n### 什么是过拟合\n\n训练集好、测试集差。\n\n### 什么是梯度消失\n\n梯度越乘越小。\n"


def test_progress_of_two_collections_in_one_data_folder_is_kept_apart(tmp_path: Path,
                                                                      bundled_collection: Collection) -> None:
    """Practise the bundled collection, then one's own (same profile, same data folder): each report is its own."""
    from corpus.parser import load_collection

    path = tmp_path / "my.md"
    path.write_text(MY_COLLECTION, encoding="utf-8")
    mine = load_collection(path)
    engine = Engine(config=AppConfig(data_dir=tmp_path / "data"), collection=bundled_collection,
                    embedder=None, index=None, build_report=None, cache=None)  # type: ignore[arg-type]
    own = Engine(config=AppConfig(corpus=path, data_dir=tmp_path / "data"), collection=mine,
                 embedder=None, index=None, build_report=None, cache=None)  # type: ignore[arg-type]
    c = engine.collection
    weak = c.find_by_heading("维数灾难")
    assert weak is not None
    yesterday = time.time() - 86400
    engine.store.record(Attempt(id=None, profile=PROFILE, question_id=weak.id, section=weak.section,
                                question_title=weak.title, answer="x", score=20.0, created_at=yesterday))
    for q, score in zip(mine.units(), (10.0, 30.0)):
        own.store.record(Attempt(id=None, profile=PROFILE, question_id=q.id, section=q.section,
                                 question_title=q.title, answer="y", score=score, created_at=yesterday))

    def report(e: Engine) -> str:
        out = io.StringIO()
        assert show_progress(e, argparse.Namespace(profile=PROFILE, export=None), out=out) == 0
        return out.getvalue()

    bundled_text, own_text = report(engine), report(own)
    assert f"Profile '{PROFILE}': 1 attempt, 1 question, 1 due now" in bundled_text
    assert weak.display_path in bundled_text and "自定义章节" not in bundled_text
    assert "q-" not in bundled_text  # no bare ids of questions this collection does not have
    assert f"Profile '{PROFILE}': 2 attempts, 2 questions, 2 due now" in own_text
    assert "自定义章节 › 什么是过拟合" in own_text and "机器学习基础" not in own_text and "q-" not in own_text
    # nothing is lost: the database holds all three answers
    assert len(saved(engine)) == 3


# ------------------------------------------------------------------ odd inputs, with a stand-in scorer


class InterruptedScorer:
    """Scoring is interrupted by Ctrl-C (as if the user pressed it while the answer was being scored)."""

    def score(self, question_id: str, answer: str, focus: str | None = None) -> object:
        raise KeyboardInterrupt


def light_engine(tmp_path: Path, collection: Collection, scorer: object) -> Engine:
    """An engine without index or model: enough for the prompt loop with a stand-in scorer."""
    return Engine(config=AppConfig(data_dir=tmp_path / "light"), collection=collection, embedder=None,  # type: ignore[arg-type]
                  index=None, build_report=None, cache=None, _scorer=scorer)  # type: ignore[arg-type]


def test_ctrl_c_while_scoring_keeps_the_answer_as_a_note(tmp_path: Path, bundled_collection: Collection) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    code, text = run(engine, Script([PARTIAL_L012, ""]), count=2)
    assert code == 0
    assert flat("scoring was interrupted: your answer was saved as a note") in flat(text)
    assert "== 本次面试小结 / session summary ==" in text and "notes 1" in text
    assert [(a.kind, a.answer, a.score) for a in saved(engine)] == [("note", PARTIAL_L012, None)]


def test_an_answer_that_cannot_be_saved_is_shown_back_and_the_interview_goes_on(
        tmp_path: Path, bundled_collection: Collection) -> None:
    from interviewer.progress import ProgressStoreError

    class Scored:
        def score(self, question_id: str, answer: str, focus: str | None = None) -> object:
            return argparse.Namespace(score=50.0, band="及格", components={}, covered=[], missed=[], notices=[])

    class BrokenStore(ProgressStore):
        def record(self, attempt: Attempt) -> int:
            raise ProgressStoreError("disk full")

    engine = light_engine(tmp_path, bundled_collection, Scored())
    engine._store = BrokenStore(engine.config.progress_db)
    code, text = run(engine, Script(["我的回答", "", ":end"]), count=1)
    assert code == 0
    assert "this answer was NOT saved (the progress database failed):" in text and "disk full" in text
    assert "your answer:\n  我的回答" in text and "Traceback" not in text
    assert "追问 / follow-up" in text  # the interview went on


def test_a_section_without_answered_questions_names_the_cli_flag(tmp_path: Path, bundled_collection: Collection,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    code, text = run(engine, Script([]), section=["图像处理基础"])
    err = capsys.readouterr().err
    assert code == 2 and text == ""
    assert "--include-unanswered" in err and "勾选" not in err and "checkbox" not in err
    code, _ = run(engine, Script([]), section=["优化算法"], include_unanswered=True)  # a heading with no questions
    err = capsys.readouterr().err
    assert code == 2 and "no questions there" in err and "--include-unanswered" not in err


def test_show_progress_counts_in_good_english_and_names_questions_no_longer_in_the_collection(
        tmp_path: Path, bundled_collection: Collection) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    engine.store.record(Attempt(id=None, profile=PROFILE, question_id="q-renamed", section="机器学习基础",
                                question_title="旧的标题", answer="x", score=20.0, created_at=time.time() - 86400))
    out = io.StringIO()
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=None), out=out) == 0
    text = out.getvalue()
    assert f"Profile '{PROFILE}': 1 attempt, 1 question, 1 due now" in text
    assert "(1 question, 1 attempt)" in text
    assert "机器学习基础 › 旧的标题（已不在题库中 / no longer in the collection）" in text
    assert "q-renamed" not in text


def test_a_bad_export_name_is_refused_before_the_report(tmp_path: Path, bundled_collection: Collection) -> None:
    from interviewer.cli import UserError

    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    for bad in (tmp_path / "report.txt", tmp_path):
        out = io.StringIO()
        with pytest.raises(UserError, match="--export"):
            show_progress(engine, argparse.Namespace(profile=PROFILE, export=bad), out=out)
        assert out.getvalue() == ""


def test_show_progress_after_only_a_skip_says_nothing_is_scored_yet_and_lists_it_when_due(
        tmp_path: Path, bundled_collection: Collection) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    q = bundled_collection.find_by_heading("维数灾难")
    assert q is not None
    engine.store.record(Attempt(id=None, profile=PROFILE, question_id=q.id, section=q.section, question_title=q.title,
                                answer="", score=None, kind="skip", created_at=time.time() - 86400))
    out = io.StringIO()
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=None), out=out) == 0
    text = out.getvalue()
    assert "no scored answers yet" in text and "no answers yet" not in text
    assert "待复习 / due for review:" in text and q.display_path in text.split("待复习")[1]


def test_ctrl_c_while_typing_with_a_failing_database_prints_the_lines_back(
        tmp_path: Path, bundled_collection: Collection) -> None:
    from interviewer.progress import ProgressStoreError

    class BrokenStore(ProgressStore):
        def record(self, attempt: Attempt) -> int:
            raise ProgressStoreError("disk full")

    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    engine._store = BrokenStore(engine.config.progress_db)
    code, text = run(engine, Script(["第一行", "第二行"], end=KeyboardInterrupt), count=1)
    assert code == 0 and "Traceback" not in text
    assert "the answer you were typing could NOT be saved: disk full" in text and "第一行" in text and "第二行" in text


# ------------------------------------------------------------------ review findings (terminal)


def _at_the_l012_follow_up(engine: Engine, then: list[str]):  # type: ignore[no-untyped-def]
    """Answer L0、L1、L2 partly (a follow-up is offered), then type ``then``; returns (that question, output)."""
    l012 = engine.collection.find_by_heading("L0、L1、L2")
    assert l012 is not None
    code, text = run(engine, Script([PARTIAL_L012, "", *then]), section=["机器学习基础"])
    assert code == 0
    return l012, text


def test_skip_at_a_follow_up_declines_it_and_marks_nothing_skipped(engine: Engine) -> None:
    """As in the web app: :skip at a follow-up means "no follow-up, on to the next question"; neither the
    summary nor the database records a skip, and the sub-question is not put on the due list."""
    c = engine.collection
    l012, text = _at_the_l012_follow_up(engine, [":skip", "维度越高样本越稀疏", "", ":end"])
    assert "Q: 追问 / Follow-up：" in text, "precondition: a follow-up was asked"
    assert "No follow-up: on to the next question" in text
    assert "skipped 0" in text and "answered 2" in text, text
    attempts = saved(engine)
    assert [a.kind for a in attempts] == ["answer", "answer"]
    assert attempts[0].question_id == l012.id and attempts[1].question_id != l012.id
    due = ProgressStore(engine.config.progress_db).due(PROFILE, time.time() + 3600)
    assert not {d.id for d in c.descendants(l012.id)} & set(due)


def test_hint_at_a_follow_up_is_the_follow_ups_and_its_answer_is_recorded_as_one(engine: Engine) -> None:
    _, text = _at_the_l012_follow_up(engine, [":hint", "L0 是非零元素的个数", "", ":end"])
    assert text.count("提示 / hint: ") == 1
    assert [a.kind for a in saved(engine)] == ["answer", "followup"]
    assert "[追问 / follow-up 1/2]" in text
    # one question answered, its follow-up counted apart (it is no second question)
    assert "作答 1，跳过 0，笔记 0，追问 1，" in text and "answered 1, skipped 0, notes 0, follow-ups 1," in text, text


CLOSING = "，。、；：）」！？』】"


def test_every_line_of_the_practice_session_fits_the_terminal(engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """At 60 columns no printed line is wider than the terminal (a Chinese character counts two), and no
    wrapped line starts with Chinese closing punctuation."""
    from interviewer.columns import display_width

    monkeypatch.setenv("COLUMNS", "60")
    code, text = run(engine, Script([":hint", ":ref", PARTIAL_L012, "", "不知道", "", ":skip", "维度越高样本越稀疏",
                                     "", ":end"]), section=["机器学习基础"], count=3)
    assert code == 0 and "原文 / source:" in text and "Q: 追问 / Follow-up：" in text and "session summary" in text
    # (a single word wider than the terminal, such as a URL, cannot be broken)
    too_wide = [line for line in text.splitlines() if display_width(line) > 59 and len(line.split()) > 1]
    assert not too_wide, "\n".join(too_wide)
    starts = [line for line in text.splitlines() if line.strip() and line.strip()[0] in CLOSING]
    assert not starts, "\n".join(starts)


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    from interviewer.columns import display_width, wrap

    for width in range(8, 30):
        for text in ("卷积层局部连接，权值共享。所以参数少得多：只有（一个）卷积核」，很少。",
                     "一二三四五六七八九十，一二三四五六七八九十。一二三四五六七八九十、"):
            lines = wrap(text, width, "  ")
            assert "".join(line.strip() for line in lines) == text
            assert all(line.strip()[0] not in CLOSING for line in lines), (width, lines)
            assert all(display_width(line) <= width for line in lines), (width, lines)
    assert wrap("一二三四，五", 9) == ["一二三", "四，五"]


def test_code_only_reference_feedback_shows_the_reference_itself(tmp_path: Path) -> None:
    """A reference that is only code: the note's feedback prints the reference. It used to say "type :ref", but
    the next question is on screen by then, so :ref showed the next question's reference and marked the next
    answer as given after seeing it."""
    from corpus.parser import load_collection
    from interviewer.session import InterviewSession, SessionOptions

    path = tmp_path / "code.md"
    path.write_text("## 框架\n\n### 写一个卷积层\n\n```python\nnn.Conv2d(3, 16, 3)\n```\n", encoding="utf-8")
    collection = load_collection(path)

    class NoTextReference:
        def score(self, question_id: str, answer: str, focus: str | None = None) -> object:
            raise AssertionError("not scored")

        def has_reference(self, question_id: str) -> bool:
            return False

    [q] = collection.units()
    session = InterviewSession(collection, NoTextReference(), None, PROFILE, SessionOptions(question_ids=(q.id,)))
    text = format_feedback(session, session.submit("nn.Conv2d"))
    assert "nn.Conv2d(3, 16, 3)" in text and "可以对照检查" in text
    assert ":ref" not in text and "“参考答案”" not in text and "“Reference”" not in text, text


def test_a_section_name_matching_several_sections_says_which_were_picked(
        tmp_path: Path, bundled_collection: Collection) -> None:
    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    code, text = run(engine, Script([]), section=["深度"])
    assert code == 0
    line = next(line for line in text.splitlines() if "深度" in line and "matches" in line)
    assert "深度学习基础" in line and "深度学习框架" in line
    code, text = run(engine, Script([]), section=["深度学习基础"])
    assert "matches" not in text


def test_progress_says_when_answers_wait_in_the_pending_journal(tmp_path: Path,
                                                                bundled_collection: Collection) -> None:
    """The database was locked when answers were given: they wait in the journal; the report says so
    instead of only "no answers yet"."""
    import json

    engine = light_engine(tmp_path, bundled_collection, InterruptedScorer())
    store = engine.store
    q = bundled_collection.find_by_heading("维数灾难")
    assert q is not None
    rows = [{"profile": PROFILE, "question_id": q.id, "answer": "x", "score": 40.0, "kind": "answer",
             "created_at": time.time(), "uuid": f"u{i}", "v": 1} for i in range(2)]
    rows.append({**rows[0], "profile": "someone else", "uuid": "u9"})
    store.journal_path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = io.StringIO()
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=None), out=out) == 0
    text = out.getvalue()
    assert "busy" in text and "2 answers are waiting" in text, text
    assert str(store.journal_path) in text


def test_a_sub_question_is_asked_and_exported_with_its_parent_question(engine: Engine, tmp_path: Path) -> None:
    """"Q: 8.2 为什么不容易过拟合" did not say it is about random forests: the terminal asks it with its parent
    question, and the exported progress names it so, also for an answer saved before with the bare heading."""
    c = engine.collection
    sub = c.find_by_heading("8.2 为什么不容易过拟合")
    assert sub is not None
    asked = "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    code, text = run(engine, Script([":skip"] * 6 + [":end"]), section=["传统的机器学习算法"], count=11)
    assert code == 0
    assert flat(f"Q: {asked}") in flat(text)
    assert flat("Q: 8. 随机森林相关 › 8.1 随机森林思想怎么添加的随机性") in flat(text)
    ProgressStore(engine.config.progress_db).record(Attempt(  # saved by an earlier version: the bare heading
        id=None, profile=PROFILE, question_id=sub.id, section=sub.section, question_title=sub.title, answer="随机"))
    export = tmp_path / "report.csv"
    assert show_progress(engine, argparse.Namespace(profile=PROFILE, export=str(export)), out=io.StringIO()) == 0
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8-sig"))))
    assert {(r["kind"], r["question_title"]) for r in rows if r["question_id"] == sub.id} == {
        ("skip", asked), ("answer", asked)}
