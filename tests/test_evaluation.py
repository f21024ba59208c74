"""The evaluation harness: the scoring metrics and file format that ``eval scoring`` promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.model import Collection
from interviewer.evaluation import (EvalFileError, ScoringCase, evaluate_scoring, read_scoring_file,
                                   read_translation_file)


def _case(question: str, grade: int) -> ScoringCase:
    return ScoringCase(line=0, question=question, grade=grade, answer="", question_id=question)


def test_pairwise_counts_only_pairs_of_one_question_with_different_grades_and_ties_count_half() -> None:
    cases = [_case("q1", 0), _case("q1", 2), _case("q1", 4), _case("q2", 1), _case("q2", 3), _case("q2", 3)]
    scores = [10.0, 50.0, 40.0, 30.0, 30.0, 80.0]
    result = evaluate_scoring(cases, scores)
    # q1: (0,2) right, (0,4) right, (2,4) wrong; q2: (1,3a) tie = 0.5, (1,3b) right; (3a,3b) same grade: not a pair
    assert result.pairwise == pytest.approx(3.5 / 5)
    assert result.n == 6 and result.mean_by_grade == {0: 10.0, 1: 30.0, 2: 50.0, 3: 55.0, 4: 40.0}
    assert result.spearman is not None and 0 < result.spearman < 1
    assert result.as_json()["scores"] == scores and set(result.as_json()) == {
        "spearman", "pairwise", "n", "mean_by_grade", "scores"}


def test_metrics_that_cannot_be_computed_are_none_not_zero() -> None:
    one = evaluate_scoring([_case("q1", 3)], [50.0])
    assert one.spearman is None and one.pairwise is None
    same_grade = evaluate_scoring([_case("q1", 2), _case("q1", 2)], [10.0, 90.0])
    assert same_grade.spearman is None and same_grade.pairwise is None
    two_questions = evaluate_scoring([_case("q1", 0), _case("q2", 4)], [5.0, 95.0])
    assert two_questions.spearman == pytest.approx(1.0) and two_questions.pairwise is None
    assert json.loads(json.dumps(two_questions.as_json()))["pairwise"] is None


def test_reading_a_scoring_file(tmp_path: Path, bundled_collection: Collection) -> None:
    tsv = tmp_path / "s.tsv"
    tsv.write_text("\ufeffDropout 原理\t4\t训练时随机丢弃神经元\r\n"
                   "dropout 原理\t0\t\r\n"  # case ignored when nothing matches exactly; an empty answer is allowed
                   "Dropout 原理\t0\n", encoding="utf-8")  # the trailing tab of an empty answer stripped
    cases = read_scoring_file(tsv, bundled_collection)
    assert [(c.grade, c.answer) for c in cases] == [(4, "训练时随机丢弃神经元"), (0, ""), (0, "")]
    assert len({c.question_id for c in cases}) == 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("Dropout 原理\t5\tx\nno such question at all\t1\tx\n", encoding="utf-8")
    with pytest.raises(EvalFileError) as err:
        read_scoring_file(bad, bundled_collection)
    assert f"{bad}:1" in str(err.value) and f"{bad}:2" in str(err.value)


def test_eval_scoring_json_is_the_last_line_of_stdout(bundled_index, session_data_dir: Path,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    tsv = tmp_path / "s.tsv"
    tsv.write_text("Dropout 原理\t4\tDropout 在训练时随机让一部分神经元失活，相当于训练很多更瘦的子网络再集成，"
                   "减弱神经元之间的共同适应，提高泛化能力；预测时不做 dropout。\n"
                   "Dropout 原理\t0\t不知道\n"
                   "Dropout 原理\t1\t随便说说\n"
                   "手推交叉熵公式\t2\t交叉熵是负的对数似然\n", encoding="utf-8")  # a question without a reference
    out = subprocess.run([sys.executable, "-m", "interviewer", "eval", "scoring", str(tsv), "--json",
                          "--data-dir", str(session_data_dir)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(metrics) == {"spearman", "pairwise", "n", "mean_by_grade", "scores"} and metrics["n"] == 4
    assert len(metrics["scores"]) == 4 and metrics["scores"][1] == 0  # "不知道" is a non-answer
    assert metrics["scores"][0] > 50 > metrics["scores"][2]
    assert set(metrics["mean_by_grade"]) == {"0", "1", "2", "4"}
    # a row whose question cannot be scored keeps its place as 0, and stderr says which line that is
    assert metrics["scores"][3] == 0
    assert "1 row(s) ask a question without a reference that can be scored" in out.stderr
    assert "they count as 0: line(s) 4." in out.stderr


SHIPPED_SCORING_SETS = ("scoring_dev.tsv", "scoring.tsv", "scoring_blind.tsv", "scoring_blind2.tsv",
                        "scoring_blind3.tsv", "scoring_blind4.tsv", "scoring_blind5.tsv")


@pytest.mark.parametrize("name", SHIPPED_SCORING_SETS)
def test_every_shipped_scoring_set_reads_against_the_bundled_collection(bundled_collection: Collection,
                                                                        name: str) -> None:
    """Each labelled set resolves every row to a question and holds the issue's minimum: 100 answers, 15
    questions, every grade 0–4."""
    cases = read_scoring_file(Path(__file__).parent.parent / "eval" / name, bundled_collection)
    assert len(cases) >= 100 and len({c.question_id for c in cases}) >= 15
    assert {c.grade for c in cases} == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("name", ("scoring_blind2", "scoring_blind3", "scoring_blind4", "scoring_blind5"))
def test_the_blind_sets_kinds_line_up_with_their_answers(name: str) -> None:
    """``scoring_blind2_kinds.txt`` (and blind 3's) gives the kind (1 complete … 7 non-answer) of each row, as its
    writers recorded it: one per row, seven kinds per question."""
    folder = Path(__file__).parent.parent / "eval"
    rows = (folder / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    kinds = (folder / f"{name}_kinds.txt").read_text(encoding="utf-8").split()
    assert len(kinds) == len(rows) and set(kinds) == set("1234567")
    per_question: dict[str, list[str]] = {}
    for row, kind in zip(rows, kinds):
        per_question.setdefault(row.split("\t")[0], []).append(kind)
    assert all(sorted(k) == list("1234567") for k in per_question.values())


TRANSLATIONS = Path(__file__).parent.parent / "eval" / "translations.tsv"


def test_reading_a_translation_file(tmp_path: Path, bundled_collection: Collection) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("Dropout 原理\t4\t训练时随机丢弃神经元\tRandomly drop neurons during training\n", encoding="utf-8")
    [case] = read_translation_file(tsv, bundled_collection)
    assert (case.grade, case.answer, case.translation) == (4, "训练时随机丢弃神经元", "Randomly drop neurons during training")
    bad = tmp_path / "bad.tsv"
    bad.write_text("Dropout 原理\t4\t只有一个回答\n"  # no translation
                   "Dropout 原理\t4\t回答\t\n"  # an empty translation
                   "Dropout 原理\tfour\t回答\tanswer\n"
                   "no such question at all\t1\t回答\tanswer\n", encoding="utf-8")
    with pytest.raises(EvalFileError) as err:
        read_translation_file(bad, bundled_collection)
    assert all(f"{bad}:{n}" in str(err.value) for n in (1, 2, 3, 4))


def test_the_shipped_translation_pairs_read_and_are_all_english(bundled_collection: Collection) -> None:
    """40 labelled Chinese answers (grades 3-4, one per question) and their English translations."""
    cases = read_translation_file(TRANSLATIONS, bundled_collection)
    assert len(cases) == 40 and len({c.question_id for c in cases}) == 40
    assert not any("\u4e00" <= ch <= "\u9fff" for c in cases for ch in c.translation)


def test_translated_answers_score_like_their_originals(bundled_scorer, bundled_collection: Collection) -> None:  # type: ignore[no-untyped-def]
    """The score is (nearly) blind to language: over the shipped pairs, neither language is favoured on average
    and a pair is 11 points apart on average (the graded examples' cross-language allowance was chosen on these
    pairs, so this guards against a regression; without it English was favoured by 4.3, 14.0 apart)."""
    from interviewer.evaluation import evaluate_translations

    cases = read_translation_file(TRANSLATIONS, bundled_collection)
    scorer = bundled_scorer.without_exemplars([(c.question_id, c.answer) for c in cases])
    result = evaluate_translations([scorer.score(c.question_id, c.answer).score or 0.0 for c in cases],
                                   [scorer.score(c.question_id, c.translation).score or 0.0 for c in cases])
    assert abs(result.mean_gap) <= 3.0 and result.mean_abs_gap <= 12.5, result.as_json()


def test_eval_languages_prints_json_and_explains_a_bad_file(bundled_index, session_data_dir: Path,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("".join(TRANSLATIONS.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "interviewer", "eval", "languages", str(tsv), "--json",
                          "--data-dir", str(session_data_dir)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert metrics["n"] == 2 and len(metrics["gaps"]) == 2
    assert metrics["mean_abs_gap"] == pytest.approx(sum(abs(g) for g in metrics["gaps"]) / 2, abs=0.01)
    bad = tmp_path / "bad.tsv"
    bad.write_text("Dropout 原理\t4\t只有一个回答\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "interviewer", "eval", "languages", str(bad),
                          "--data-dir", str(session_data_dir)], capture_output=True, text=True, timeout=900)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert f"{bad}:1" in out.stderr and "translation" in out.stderr
