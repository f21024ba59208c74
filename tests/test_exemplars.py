"""Graded example answers (interviewer.exemplars) and their part in the real scorer on the bundled collection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.model import Collection
from corpus.parser import parse_markdown
from interviewer.exemplars import (EXEMPLAR_FILES, Exemplar, ExemplarBank, ExemplarEstimate, blend, read_exemplars,
                                  trusted_share)
from interviewer.scoring import Scorer, evaluate_file

ENSEMBLE = "Boosting 和 Bagging 的区别"
# a collection of the user's own (a heading the bundled one also has, but not all of its questions)
OWN = ("## 检测\n\n### 1. 什么是 NMS\n\n非极大值抑制：按分数排序，保留最高分的框，去掉与它 IoU 大于阈值的框。\n\n"
       "### 2. Boosting 和 Bagging 的区别\n\nBagging 并行训练、有放回采样；Boosting 串行训练、加大错分样本的权重。\n")
# my own rewording of a wrong answer (Bagging and Boosting swapped), not a row of any labelled file. Its nearest
# examples are a grade-4 answer and the grade-0 answer it rewords, at nearly the same cosine (0.76): embeddings
# do not see which of the two is swapped, so the examples pull it only halfway down
SWAPPED = ("Bagging 是串行训练的，每一轮都会提高上一轮分错样本的权重；Boosting 是并行的，"
           "每个基学习器在有放回采样的子集上独立训练，最后投票。")
# a closer rewording of the grade-0 example in eval/scoring_dev.tsv (punctuation and a few words changed)
NEAR_WRONG = ("Bagging 是串行的，每一轮都会加大错分样本的权重；Boosting 则是并行的，通过有放回的采样训练多个独立模型，"
              "然后投票。随机森林属于 Boosting。")


def test_the_estimate_follows_the_nearest_examples_of_the_same_question() -> None:
    bank = ExemplarBank(
        [Exemplar("q1", 4, "a", "f"), Exemplar("q1", 0, "b", "f"), Exemplar("q2", 2, "c", "f")],
        np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]),
    )
    near_good = bank.estimate("q1", np.array([0.95, 0.31]), temperature=30.0)
    near_bad = bank.estimate("q1", np.array([0.31, 0.95]), temperature=30.0)
    assert near_good is not None and near_bad is not None
    assert near_good.grade > 3.9 and near_bad.grade < 0.1
    assert (near_good.nearest_grade, near_bad.nearest_grade, near_good.count) == (4, 0, 2)
    # a flat temperature averages all of the question's examples (q2's example is not one of them)
    assert bank.estimate("q1", np.array([0.95, 0.31]), temperature=0.0).grade == pytest.approx(2.0)
    assert bank.estimate("q3", np.array([1.0, 0.0]), temperature=30.0) is None
    smaller = bank.without([("q1", " a ")])
    assert [e.answer for e in smaller.exemplars] == ["b", "c"] and len(bank) == 3


def test_an_example_in_another_language_is_not_outranked_by_its_lower_cosine() -> None:
    """The multilingual model puts a translation about 0.16 lower than the original: without the allowance an
    English answer is judged by the English examples alone."""
    bank = ExemplarBank([Exemplar("q1", 4, "L1 产生稀疏解", "f"), Exemplar("q1", 1, "L1 is a norm", "f")],
                        np.array([[1.0, 0.0], [0.0, 1.0]]), languages=[1.0, 0.0])
    english = np.array([0.77, 0.80]) / np.linalg.norm([0.77, 0.80])  # nearer the English example by 0.03
    plain = bank.estimate("q1", english, temperature=30.0, language=0.0)
    allowed = bank.estimate("q1", english, temperature=30.0, language=0.0, cross_language=0.1)
    assert plain is not None and allowed is not None
    assert plain.nearest_grade == 1 and plain.grade < 2.5
    assert allowed.nearest_grade == 4 and allowed.grade > 3.5
    assert allowed.nearest_similarity == pytest.approx(float(english[0]) + 0.1, abs=1e-5)
    # a Chinese answer gets no allowance towards the Chinese example, and the bank keeps languages when cut
    assert bank.estimate("q1", english, 30.0, language=1.0, cross_language=0.1).nearest_grade == 1
    assert bank.without([("q1", "L1 is a norm")]).languages.tolist() == [1.0]


def test_blend_keeps_the_combination_without_examples_and_pulls_towards_their_grade() -> None:
    assert blend(55.0, None, 0.5, 1.5) == 55.0
    assert blend(55.0, ExemplarEstimate(4.0, 5, 4, 0.9), 0.5, 1.5) == pytest.approx(77.5)
    assert blend(55.0, ExemplarEstimate(1.0, 5, 1, 0.9), 0.5, 1.5) == pytest.approx(27.5 + 6.25)
    assert blend(55.0, ExemplarEstimate(4.0, 5, 4, 0.9), 0.0, 1.5) == 55.0


def test_the_examples_count_more_the_closer_the_nearest_one_is() -> None:
    shares = [trusted_share(ExemplarEstimate(2.0, 9, 2, cosine), 0.8, 0.6, 10.0) for cosine in (0.3, 0.6, 0.75, 0.95)]
    assert shares == sorted(shares) and shares[0] < 0.05 and shares[1] == pytest.approx(0.4) and shares[-1] > 0.75
    assert all(share < 0.8 for share in shares)  # never more than the largest share
    assert trusted_share(ExemplarEstimate(2.0, 9, 2, 0.3), 0.8, 0.6, 0.0) == 0.8  # slope 0: a fixed share
    assert trusted_share(None, 0.8, 0.6, 10.0) == 0.0
    assert trusted_share(ExemplarEstimate(float("nan"), 0, 0, float("nan")), 0.8, 0.6, 10.0) == 0.0


# my own answer in an image no example uses (a committee, a relay team)
UNLIKE_ANY = ("Think of bagging as a committee voting independently, and boosting as a relay team where each runner "
              "fixes the last one's stumble.")


def test_an_answer_unlike_every_example_is_judged_mostly_by_the_reference(bundled_scorer: Scorer,
                                                                          bundled_collection: Collection) -> None:
    q = bundled_collection.find_by_heading(ENSEMBLE)
    assert q is not None
    near, unlike = bundled_scorer.signals(q.id, NEAR_WRONG), bundled_scorer.signals(q.id, UNLIKE_ANY)
    assert near is not None and unlike is not None and near.exemplar is not None and unlike.exemplar is not None
    assert near.exemplar.nearest_similarity > 0.9 > 0.6 > unlike.exemplar.nearest_similarity
    assert bundled_scorer.example_share(near) > 0.7 and bundled_scorer.example_share(unlike) < 0.25
    share = round(100 * bundled_scorer.example_share(near))
    assert f"占本次得分的 {share}%" in bundled_scorer.score(q.id, NEAR_WRONG).message


def test_the_shipped_labelled_files_are_the_examples_of_the_bundled_collection_only(
        bundled_collection: Collection) -> None:
    rows = sum(1 for p in EXEMPLAR_FILES for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    examples = read_exemplars(bundled_collection)
    assert len(examples) == rows and rows >= 600
    assert {e.source for e in examples} == {p.name for p in EXEMPLAR_FILES}
    assert read_exemplars(parse_markdown(OWN)) == []


def test_an_answer_like_a_wrong_graded_example_is_pulled_down(bundled_scorer: Scorer,
                                                              bundled_collection: Collection) -> None:
    q = bundled_collection.find_by_heading(ENSEMBLE)
    assert q is not None
    unit = next(a for a in bundled_collection.ancestors(q.id))
    own = [(e.question_id, e.answer) for e in read_exemplars(bundled_collection) if e.question_id in (q.id, unit.id)]
    # 7. 集成学习相关问题 is asked through its one part, 7.1: the examples written for either judge both
    assert {e for e, _ in own} == {q.id, unit.id} and len(own) >= 10
    assert bundled_scorer.score(unit.id, NEAR_WRONG).components["examples"] <= 0.25
    with_examples = bundled_scorer.score(q.id, NEAR_WRONG)
    without = bundled_scorer.without_exemplars(own).score(q.id, NEAR_WRONG)
    assert "examples" not in without.components and "示例" not in without.message
    assert with_examples.components["examples"] <= 0.25, with_examples.components
    assert with_examples.score < without.score - 10, (with_examples.score, without.score)
    assert "已评分的示例回答" in with_examples.message and "graded example answers" in with_examples.message
    # the limit, measured: a swap worded differently is as near a correct example as the wrong one
    swapped = bundled_scorer.score(q.id, SWAPPED).components["examples"]
    assert 0.25 < swapped < 0.9, swapped


def test_an_answer_to_one_part_is_not_judged_by_whole_answer_examples(bundled_scorer: Scorer,
                                                                     bundled_collection: Collection) -> None:
    """A follow-up asks a sub-question; the examples of the whole question would grade its answer as partial."""
    whole = bundled_collection.find_by_heading("L0、L1、L2")
    assert whole is not None
    assert any(e.question_id == whole.id for e in read_exemplars(bundled_collection))
    part = next(d for d in bundled_collection.descendants(whole.id) if d.title == "区别")
    answer = "L1 会产生稀疏解，适合做特征选择；L2 让权重接近 0 但不为 0。"
    assert "examples" in bundled_scorer.score(whole.id, answer).components
    assert "examples" not in bundled_scorer.score(part.id, answer).components


def test_a_one_term_followup_is_not_judged_by_whole_answer_examples(bundled_scorer: Scorer,
                                                                   bundled_collection: Collection) -> None:
    q = bundled_collection.find_by_heading(ENSEMBLE)
    assert q is not None
    assert "examples" in bundled_scorer.score(q.id, SWAPPED).components
    focused = bundled_scorer.score(q.id, SWAPPED, focus="bagging")
    assert focused.focus == "bagging" and "examples" not in focused.components


def test_evaluating_a_labelled_file_never_grades_an_answer_by_itself(bundled_scorer: Scorer,
                                                                     bundled_collection: Collection,
                                                                     tmp_path: Path) -> None:
    line = next(x for x in EXEMPLAR_FILES[0].read_text(encoding="utf-8").splitlines()
                if x.startswith(ENSEMBLE) and x.split("\t")[1] == "0")
    heading, grade, answer = line.split("\t")
    q = bundled_collection.find_by_heading(heading)
    assert q is not None
    copied = tmp_path / "copied.tsv"
    copied.write_text(line + "\n" + f"{heading}\t4\t{SWAPPED}\n", encoding="utf-8")
    # the live scorer finds the row itself among its examples: its grade is the estimate
    assert bundled_scorer.score(q.id, answer).components["examples"] == pytest.approx(0.0, abs=0.02)
    _, scores = evaluate_file(bundled_scorer, copied)
    alone = bundled_scorer.without_exemplars([(q.id, answer), (q.id, SWAPPED)])
    assert scores[0] == alone.score(q.id, answer).score
    assert alone.exemplar_count == bundled_scorer.exemplar_count - 1


def test_a_collection_of_ones_own_is_scored_without_examples(tmp_path: Path, e5_embedder, shared_cache) -> None:  # type: ignore[no-untyped-def]
    from index.build import open_index

    collection = parse_markdown(OWN)
    index, _ = open_index(collection, e5_embedder, tmp_path / "idx", cache=shared_cache)
    scorer = Scorer(index, collection, cache=shared_cache).prepare()
    assert scorer.exemplar_count == 0
    q = collection.find_by_heading("什么是 NMS")
    assert q is not None
    result = scorer.score(q.id, "NMS 先按分数排序，保留最高分的框，再去掉和它 IoU 超过阈值的框，重复直到没有框。")
    assert result.kind == "scored" and result.score is not None and "examples" not in result.components


class _CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self.encoded: list[str] = []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.encoded.extend(texts)
        return self._inner.encode_queries(texts)

    def encode_passages(self, texts):  # type: ignore[no-untyped-def]
        self.encoded.extend(texts)
        return self._inner.encode_passages(texts)


def test_the_shipped_example_vectors_cover_every_example_and_are_the_models(bundled_scorer: Scorer) -> None:
    """If this fails after a labelled file changed, rewrite the file: ``python -m interviewer.exemplars``."""
    from index.cache import content_hash
    from interviewer.exemplars import load_shipped_vectors
    from interviewer.nonanswer import clean_answer

    semantic = bundled_scorer.semantic
    shipped = load_shipped_vectors(semantic.id, semantic.dim)
    texts = [clean_answer(e.answer, bundled_scorer.max_chars).text for e in bundled_scorer._bank.exemplars]  # type: ignore[union-attr]
    assert len(texts) >= 900 and all(content_hash(t) in shipped for t in texts)
    sample = texts[::200]
    fresh = semantic.encode_queries(sample)
    for text, vector in zip(sample, fresh):
        assert np.allclose(shipped[content_hash(text)], vector, atol=1e-5)


def test_a_first_start_embeds_only_the_examples_that_were_not_shipped(bundled_index, shared_cache,  # type: ignore[no-untyped-def]
                                                                      bundled_scorer: Scorer) -> None:
    """(``bundled_scorer`` has put the reference passages in the session's cache, as a second start finds them.)"""
    from index.embedders import load_embedder

    collection = bundled_index.collection
    q = collection.find_by_heading(ENSEMBLE)
    assert q is not None
    new = Exemplar(q.id, 3, "Bagging 并行、有放回采样，降方差；Boosting 串行、重视错分样本，降偏差。（只为本测试写的）", "mine")
    counting = _CountingEmbedder(load_embedder("use"))
    scorer = Scorer(bundled_index, cache=shared_cache, semantic_embedder=counting,
                    exemplars=read_exemplars(collection) + [new]).prepare()
    assert scorer.exemplar_count >= 900
    # the reference passages come from the session's cache, the examples from the shipped file: one text is new
    assert counting.encoded == [new.answer]


def test_shipped_vectors_for_another_model_format_or_size_are_not_used(tmp_path: Path) -> None:
    from interviewer.exemplars import load_shipped_vectors, save_shipped_vectors

    path = tmp_path / "v.npz"
    assert load_shipped_vectors("m", 2, path) == {}  # missing
    save_shipped_vectors(path, "m", ["a", "b"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    loaded = load_shipped_vectors("m", 2, path)
    assert set(loaded) == {"a", "b"} and loaded["b"].tolist() == [0.0, 1.0]
    assert load_shipped_vectors("other model", 2, path) == {} and load_shipped_vectors("m", 3, path) == {}
    np.savez(path, format_version=np.int64(99), model=np.str_("m"), keys=np.asarray(["a"]),
             vectors=np.zeros((1, 2), dtype=np.float32))
    assert load_shipped_vectors("m", 2, path) == {}
    path.write_bytes(b"not a numpy file")
    assert load_shipped_vectors("m", 2, path) == {}
