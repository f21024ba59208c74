"""Key terms of reference answers and tolerant term matching (no model needed)."""

from __future__ import annotations

import re

import pytest

from corpus.model import Collection
from index.glossary import Glossary
from index.tokenize import Tokenizer
from interviewer import render
from interviewer.keyterms import (
    KeyTerm,
    PreparedAnswer,
    TermModel,
    covered_points,
    match_terms,
    split_points,
    stem,
)


@pytest.fixture(scope="module")
def terms(bundled_collection: Collection) -> TermModel:
    return TermModel(bundled_collection)


def qid(collection: Collection, heading: str) -> str:
    q = collection.find_by_heading(heading)
    assert q is not None, heading
    return q.id


def term(text: str, weight: float = 1.0) -> KeyTerm:
    return KeyTerm(text, weight)


def covered(terms_: list[KeyTerm], answer: str, vocabulary=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return match_terms(terms_, answer, Glossary.default(), vocabulary).how


def test_specific_terms_outweigh_generic_words(terms: TermModel, bundled_collection: Collection) -> None:
    key = {t.text: t.weight for t in terms.terms_for(qid(bundled_collection, "L0、L1、L2"))}
    assert "稀疏" in key and "范数" in key
    assert key["稀疏"] > 0.5 and key["范数"] > 0.5
    for generic in ("模型", "数据", "可以", "公式"):
        assert key.get(generic, 0.0) < 0.6 * key["稀疏"], generic
    assert terms.idf("稀疏") > terms.idf("模型")


def test_latex_commands_are_not_terms(terms: TermModel, bundled_collection: Collection) -> None:
    key = {t.text for t in terms.terms_for(qid(bundled_collection, "为什么使用F1 score而不是算术平均"))}
    assert {"召回率", "精确率", "调和"} <= key
    assert not key & {"frac", "approx", "beta", "ldots"} - {"beta"}


def test_title_terms_weigh_less(terms: TermModel, bundled_collection: Collection) -> None:
    question = qid(bundled_collection, "维数灾难")
    key = terms.terms_for(question)
    reference = bundled_collection.answer_plain(question)
    titled = TermModel(bundled_collection, terms.tokenizer, title_factor=1.0).terms_for(question)
    in_title = [t for t in key if t.in_title]
    assert all(t.text in terms.title_tokens(question) for t in in_title)
    weights = {t.text: t.weight for t in titled}
    for t in in_title:
        assert t.weight < weights.get(t.text, 0.0) or t.text not in weights
    assert "高维" in reference or "维度" in reference


def test_pieces_of_a_word_are_folded_into_the_word(terms: TermModel, bundled_collection: Collection) -> None:
    key = {t.text for t in terms.terms_for(qid(bundled_collection, "NMS 原理及代码实现"))}
    assert "置信度" in key
    assert "信度" not in key


def test_english_typos_match() -> None:
    how = covered([term("dropout"), term("regularization"), term("sigmoid")], "用 dropuot 和 regularisation 还有 sigmiod")
    assert how == {"dropout": "fuzzy", "regularization": "translation", "sigmoid": "fuzzy"}


def test_english_typo_tolerance_is_bounded() -> None:
    how = covered([term("dropout"), term("bagging")], "dropped out, boosting")
    assert how == {}


def test_chinese_input_method_typos_match(terms: TermModel) -> None:
    how = covered([term("正则化"), term("归一化")], "加正则话项，再做归一话", terms.vocabulary)
    assert how["正则化"] in ("fuzzy", "translation") and how["归一化"] == "fuzzy"


def test_real_words_are_not_typos(terms: TermModel) -> None:
    how = covered([term("过拟合"), term("标准化")], "容易欠拟合，要算标准差", terms.vocabulary)
    assert how == {}


def test_an_opposite_is_never_a_typo() -> None:
    """"靠近输入层" was told it covered 输出层 (the opposite layer): one character swapped for its opposite
    is another term, whatever the vocabulary knows."""
    how = covered([term("输出层"), term("下采样"), term("输入层")], "靠近输入层的权值更新很慢，做了上采样")
    assert how == {"输入层": "exact"}
    assert covered([term("梯度消失")], "梯度消矢") == {"梯度消失": "fuzzy"}  # a plain typo still counts


def test_a_shorter_word_and_its_glue_are_not_a_typo(terms: TermModel) -> None:
    """"卷积的参数少" was told it covered 卷积核: 卷积 + 的 differs from 卷积核 by one character, but the
    answer names 卷积 and a particle. Neither do the characters around a comma make a word."""
    for answer in ("卷积的参数少", "卷积是局部连接", "卷积和池化可以提取特征", "先做卷积，核心是权值共享"):
        assert covered([term("卷积核")], answer, terms.vocabulary) == {}, answer
    assert covered([term("卷积核")], "用卷积盒提取特征", terms.vocabulary) == {"卷积核": "fuzzy"}  # a slip still counts
    assert covered([term("卷积核")], "卷积核的大小", terms.vocabulary) == {"卷积核": "exact"}


def test_a_hyphenated_name_names_its_parts() -> None:
    """"ResNet-152" in an answer was listed as missing ResNet."""
    how = covered([term("resnet"), term("resnet152"), term("alexnet")], "AlexNet 比 ResNet-152 慢很多")
    assert how == {"resnet": "exact", "resnet152": "exact", "alexnet": "exact"}


def test_cross_language_matching_via_glossary() -> None:
    key = [term("过拟合"), term("随机失活"), term("dropout"), term("overfitting"), term("梯度")]
    how = covered(key, "Dropout reduces overfitting; the gradients flow through kept units")
    assert how["过拟合"] == "translation"
    assert how["随机失活"] == "translation"
    assert how["dropout"] == "exact"
    assert how["梯度"] == "translation"  # "gradients" is the plural of a glossary name
    how = covered(key, "随机失活可以缓解过拟合")
    assert how["dropout"] == "translation" and how["overfitting"] == "translation"
    # plain gradient descent, not only its stochastic variant
    how = covered([term("梯度下降"), term("随机梯度下降")], "XGBoost is like gradient descent in function space")
    assert how.get("梯度下降") == "translation" and "随机梯度下降" not in how


def test_chinese_spelling_variants_of_a_term_match() -> None:
    """结点 and 节点 are one word in two spellings, and decision-tree texts say 属性 for 特征: an answer written in
    the other spelling was told it missed the term (a correct answer scored 31)."""
    how = covered([term("节点"), term("叶节点"), term("属性")], "每个结点按特征划分，叶子结点给出类别")
    assert set(how) == {"节点", "叶节点", "属性"}


def test_vector_is_not_cut_into_a_verb() -> None:
    """jieba's dictionary rates 向量 low, so "是指向量" became 是 / 指向 / 量 and 指向 was shown as a key term."""
    words = Tokenizer().words("范数是指向量的长度", search=False)
    assert "向量" in words and "指向" not in words


def test_coverage_is_weighted() -> None:
    result = match_terms([term("稀疏", 1.0), term("先验", 0.25)], "L1 会产生稀疏解")
    assert [t.text for t in result.covered] == ["稀疏"]
    assert [t.text for t in result.missed] == ["先验"]
    assert result.coverage == pytest.approx(0.8)


def test_prepared_answer_matches_multiword_terms_and_plurals() -> None:
    answer = PreparedAnswer("Sampling with replacement builds bootstrap samples of the weak learners.")
    assert answer.has_exact("weak learner")
    assert answer.has_exact("bootstrap")
    assert not answer.has_exact("strong learner")
    assert stem("gradients") == "gradient" and stem("sorted") == "sort"


def test_key_points_are_reference_sentences_with_terms(terms: TermModel, bundled_collection: Collection) -> None:
    question = qid(bundled_collection, "L0、L1、L2")
    key = terms.terms_for(question)
    points = terms.points_for(question, key)
    assert 5 <= len(points) <= 60
    reference = bundled_collection.answer_plain(question)
    weight_of = {t.text: t.weight for t in key}
    for p in points:
        assert p.text in reference
        assert p.terms and all(t in weight_of for t in p.terms)
        assert p.line >= 1
    hit, miss = covered_points(points, {"稀疏", "特征选择"}, weight_of=weight_of)
    assert hit and miss and len(hit) + len(miss) == len(points)
    assert all("稀疏" in p.terms or "特征选择" in p.terms for p in hit)


def test_split_points_cuts_sentences_and_long_clauses() -> None:
    text = "第一句很短。第二句说明 L1 产生稀疏解；第三句" + "很长的内容，" * 40 + "结束。"
    points = split_points(text, max_chars=60)
    assert points[0] == "第一句很短。"
    assert points[1].startswith("第二句说明")
    assert all(len(p) <= 60 for p in points)


def test_topic_terms_stand_alone_as_hints_and_follow_ups(terms: TermModel) -> None:
    """"Can you expand on 「等于」 / 「维空间」 / 「k+1」?" is no question: a follow-up or hint
    needs a glossary term or a real noun; verbs, segmenter fragments and code tokens are not."""
    for good in ("稀疏", "特征图", "dropout", "iou", "范数", "卷积核"):
        assert terms.is_topic_term(good), good
    for bad in ("等于", "维空间", "指定", "知道", "k+1", "t1", "double", "两者", "某种意义", "刚好"):
        assert not terms.is_topic_term(bad), bad


def test_everyday_verbs_are_not_shown_as_terms(terms: TermModel) -> None:
    """"遗漏：等于、方便、避免" teaches nothing: everyday verbs and adjectives (3,000+ uses in jieba's
    dictionary) are not shown as key terms; technical verbs of the field still are."""
    for everyday in ("等于", "方便", "避免", "操作", "适合", "降低"):
        assert not terms.is_display_term(everyday), everyday
    for technical in ("输入", "输出", "求解", "拟合", "变换", "平移", "提取", "更新", "异常"):
        assert terms.is_display_term(technical), technical


def test_key_points_never_start_inside_a_parenthesis(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """A long sentence is cut at commas outside brackets: "大的就是ill-conditioned的），对于…" was shown as a
    point to add, starting in the middle of a parenthesis (10 such points in the bundled collection)."""
    import re

    from interviewer.keyterms import TermModel

    model = TermModel(bundled_collection)

    def starts_inside(text: str) -> bool:
        depth = 0
        for ch in re.sub(r"^\d+[）)]", "", text):  # "1）保证…" is list numbering
            if ch in "（(":
                depth += 1
            elif ch in "）)":
                if depth == 0:
                    return True
                depth -= 1
        return False

    points = [p.text for q in bundled_collection if bundled_collection.is_answered(q.id)
              for p in model.points_for(q.id)]
    assert len(points) > 500
    assert [p for p in points if starts_inside(p)] == []


RAW_LATEX = re.compile(r"\\[A-Za-z]+|[_^]\{")  # a LaTeX command or a braced sub- / superscript


def test_no_key_point_of_the_collection_shows_raw_latex(terms: TermModel, bundled_collection: Collection) -> None:
    r"""The points panel lists key points as Markdown and typesets what lies between dollars. A line of a ``$$ … $$``
    formula lost its delimiters in the plain text the points come from, so 7 points of the bundled collection
    (14 times counting the questions that hold them) showed raw LaTeX ("\frac{\partial J}{\omega_{11}} = x_1*…",
    "(2\times I-1)\times O"), and "$\beta < 1$" was not typeset at all (a "<" kept any formula from KaTeX). Now
    only a formula the reference itself leaves open (one "$": "约扩增 $K\times K 倍") shows raw, as it does in
    the reference panel; and the panel never cuts a formula short (a 330-character one included)."""
    raw, formulas = [], set()
    for q in bundled_collection:
        if not bundled_collection.is_answered(q.id):
            continue
        for p in terms.points_for(q.id):
            outside = " ".join(render._split_math(p.shown)[0::2])  # what KaTeX is not given
            if RAW_LATEX.search(outside) and p.text.count("$") % 2 == 0:  # an even count: no formula left open
                raw.append(p.text)
            if p.shown != p.text:
                formulas.add(p.shown)
                assert p.shown in render.points_markdown({"missed_points": [p.shown]})  # whole, as typed
    assert raw == []
    assert {r"$(2\times I-1)\times O$", r"$\frac{\partial J}{\omega_{11}} = x_1*\text{后面层梯度的乘积}$",
            r"$Gain\_ratio(D,a) = \frac{Gain(D,a)}{IV(a)}$", r"$y_t = tanh(W_Oh_t)$"} <= formulas, formulas
    assert all(f.startswith("$") and f.endswith("$") and "\\\\" not in f for f in formulas)  # no line break left
    assert r"$\beta \lt  1$" in render.escape_inline(r"当 $\beta > 1$ 时召回率有更大影响， $\beta < 1$ 时精确率有更大影响")
