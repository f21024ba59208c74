"""Non-answer detection and input cleaning (pure functions, no model needed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index.tokenize import Tokenizer
from interviewer.nonanswer import MAX_ANSWER_CHARS, MESSAGES, clean_answer, detect_non_answer, is_gibberish

TOKENIZER = Tokenizer()


def kind_of(answer: str, title: str = "Dropout 原理") -> str | None:
    found = detect_non_answer(clean_answer(answer).text, title, TOKENIZER)
    return found.kind if found else None


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("🙂🙂", "symbols_only"),
        ("。。。？！", "symbols_only"),
        ("👀 ...", "symbols_only"),
        ("不知道", "dont_know"),
        ("我不会", "dont_know"),
        ("这个我真的不清楚", "dont_know"),
        ("没学过这个", "dont_know"),
        ("I don't know", "dont_know"),
        ("no idea, sorry", "dont_know"),
        ("pass", "skip"),
        ("skip", "skip"),
        ("跳过", "skip"),
        ("下一题", "skip"),
        ("asdfgh", "gibberish"),
        ("sdfsdfsdf", "gibberish"),
        ("啊啊啊啊", "gibberish"),
        ("qwerty zxcvb", "gibberish"),
        ("xkcdq wrtpl bvnmz", "gibberish"),
        ("1111111", "gibberish"),
        ("嗯这个问题很好，具体情况具体分析", "filler"),
        ("it depends, good question", "filler"),
        ("Dropout 原理就是 Dropout 的原理。", "restatement"),
        # hedges, politeness and stalling without any content
        ("我不太确定，可能是吧", "dont_know"),
        ("sorry I can't answer this", "dont_know"),
        ("我觉得这个问题挺难的", "dont_know"),
        ("No comment.", "skip"),
        ("Next question please", "skip"),
        ("同上", "skip"),
        ("让我想想", "filler"),
        ("谢谢", "filler"),
        ("thanks", "filler"),
        ("Thank you!", "filler"),
        ("这题太难了", "dont_know"),
        ("这个我真的不知道，面试官能换一题吗", "dont_know"),
        ("好难啊", "dont_know"),
        ("这道题问的是 Dropout 原理", "restatement"),
        ("The question is about the principle of dropout.", "restatement"),
    ],
)
def test_non_answer_kinds(answer: str, kind: str) -> None:
    assert kind_of(answer) == kind


def test_restatement_of_a_comparison_question() -> None:
    title = "9. 欧式距离和余弦相似度的区别是什么？"
    assert kind_of("欧式距离和余弦相似度的区别，就是一个是欧式距离，一个是余弦相似度。", title) == "restatement"
    assert kind_of("残差就是残差", "9. 残差指的是什么？") == "restatement"  # no formula: still a restatement


def test_a_contrast_in_the_titles_glossary_words_is_an_answer_not_a_restatement() -> None:
    """The scorer's title words include the glossary's names (RNNs → 循环神经网络 → 循环), so "RNN有循环，FNN没有循环"
    was called a restatement and scored 0: it is the reference's main point. A contrast with a negation is a
    claim; the question said again without one is still a restatement."""
    title = "2. RNNs和FNNs有什么区别？"
    words = {"rnns", "fnns", "循环", "循环神经网络", "神经网络", "前馈", "recurrent", "feedforward", "network"}
    for answer in ("RNN有循环，FNN没有循环", "RNN 有循环结构，FNN 没有。", "An RNN has loops, an FNN does not."):
        assert detect_non_answer(answer, title, TOKENIZER, title_tokens=words) is None, answer
    for answer in ("RNNs和FNNs的区别就是RNN和FNN的区别", "循环神经网络和前馈神经网络"):
        assert detect_non_answer(answer, title, TOKENIZER, title_tokens=words).kind == "restatement", answer


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ("相关系数是协方差的标准化版本。", "14.1 协方差和相关性有什么区别"),
        ("L1 是绝对值，L2 是平方，都是正则化，可以防止过拟合。", "2. L0、L1、L2"),
        ("训练时随机把一部分神经元置零，测试时不丢弃但要按保留概率缩放。", "Dropout 原理"),
        ("I don't know the exact formula, but dropout randomly zeroes activations during training.", "Dropout 原理"),
        ("不知道具体公式，但 dropout 训练时会随机丢弃神经元，相当于集成很多子网络。", "Dropout 原理"),
        ("高维，稀疏，过拟合", "10. 维数灾难"),
        ("FPR，TPR，AUC", "12. 绘制ROC的标准和快速方法"),
        # a formula is content, however few words surround it
        ("残差就是 F(x)=H(x)-x", "9. 残差指的是什么？"),
        ("残差是 y − x，也就是 F(x) = H(x) - x", "9. 残差指的是什么？"),
        ("<script>alert(1)</script> dropout 随机丢弃神经元", "Dropout 原理"),
        # the new hedge and politeness words, in answers that do say something
        ("我不太确定，但应该是训练时随机丢弃神经元，防止过拟合。", "Dropout 原理"),
        ("让我想想……训练时以概率 p 把神经元置零，推理时按 1-p 缩放。", "Dropout 原理"),
        ("问题是模型太深时梯度连乘会变小，所以用 ReLU 和残差连接。", "2. 梯度消失、梯度爆炸的原因以及解决方法"),
        ("Thanks. Dropout zeroes random units while training, which acts like an ensemble of subnetworks.",
         "Dropout 原理"),
        # short answers that mention difficulty or hedge, but say something
        ("GAN 挺难训练", "1. GAN 为何会训练不稳定，如何解决？"),
        ("RNN 好难并行", "RNN 的缺点"),
        ("收敛慢，调参挺难", "1. GAN 为何会训练不稳定，如何解决？"),
        ("我不太确定，但是降低方差", "Bagging 的作用"),
        ("没把握，可能是降低方差", "Bagging 的作用"),
        ("很难答，但应该是降低方差", "Bagging 的作用"),
        ("不确定，应该是 ReLU", "梯度消失怎么解决"),
    ],
)
def test_real_answers_are_not_flagged(answer: str, title: str) -> None:
    assert kind_of(answer, title) is None


def test_a_hedge_about_the_model_in_general_is_not_an_answer() -> None:
    """"我不太确定，大概是和模型有关吧" names nothing but 模型 — the Chinese twin of "model", already vague — and was
    scored, then called an answer to another question. It is a don't-know; naming a real point still is not."""
    assert kind_of("我不太确定，大概是和模型有关吧") == "dont_know"
    assert kind_of("大概是模型的问题吧") == "filler"
    assert kind_of("不清楚，可能和模型有关") == "dont_know"
    assert kind_of("我不太确定，大概和模型太复杂、参数太多有关") is None  # 复杂 is vague, 参数 is a point


@pytest.mark.parametrize("answer", ["asdkj qwe zxc 哈哈哈", "哈哈哈 sdfgh", "qwerty 啊啊啊 zxcvb"])
def test_keyboard_mashing_with_chinese_laughter_is_gibberish(answer: str) -> None:
    """Random Latin letters beside 哈哈哈 were not judged (any Chinese character skipped the check), so the scorer
    called them a bare list of terms."""
    assert kind_of(answer) == "gibberish"


@pytest.mark.parametrize("answer", ["asdkj 随机丢弃神经元", "哈哈哈 dropout 就是随机丢弃神经元", "qwe 随机丢弃",
                                    "CNN RNN GAN", "SGD with momentum"])
def test_real_chinese_beside_noise_is_not_gibberish(answer: str) -> None:
    assert kind_of(answer) is None


def test_known_words_are_not_gibberish() -> None:
    assert is_gibberish("xgboost lstm", known_words={"xgboost", "lstm"}) is False
    assert is_gibberish("bagging boosting") is False


def test_messages_are_bilingual() -> None:
    for kind, message in MESSAGES.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), kind
        assert any(ch.isascii() and ch.isalpha() for ch in message), kind
    found = detect_non_answer("不知道", "Dropout 原理", TOKENIZER)
    assert found is not None and "Looks like you don't know" in found.message


def test_clean_removes_control_characters_and_binary_junk() -> None:
    dirty = "Dropout\x00 随机\x07失活\x1b[0m\ufffd\u200b 防止\x7f过拟合\ud800"
    cleaned = clean_answer(dirty)
    assert cleaned.text == "Dropout 随机失活[0m 防止过拟合"
    assert cleaned.removed_chars == 7
    assert cleaned.notices and "Removed 7" in cleaned.notices[0]


def test_clean_keeps_newlines_tabs_and_emoji_sequences() -> None:
    cleaned = clean_answer("第一行\n第二行\t结束 👩\u200d💻")
    assert cleaned.text == "第一行\n第二行 结束 👩\u200d💻"
    assert cleaned.removed_chars == 0 and not cleaned.notices


def test_clean_decodes_bytes_and_none() -> None:
    assert clean_answer("正则化".encode("utf-8") + b"\xff\xfe").text == "正则化"
    assert clean_answer(None).text == ""


def test_clean_keeps_html_as_plain_text() -> None:
    cleaned = clean_answer("<script>alert('x')</script><b>dropout</b>")
    assert cleaned.text == "<script>alert('x')</script><b>dropout</b>"


def test_truncates_a_one_megabyte_answer_fast_with_a_notice() -> None:
    huge = ("dropout 随机失活。" * 100_000)[:1_000_000]
    started = time.perf_counter()
    cleaned = clean_answer(huge)
    assert time.perf_counter() - started < 1.0
    assert cleaned.truncated
    assert 0.9 * MAX_ANSWER_CHARS <= len(cleaned.text) <= MAX_ANSWER_CHARS
    assert cleaned.original_chars == 1_000_000
    assert any("回答过长" in n and "Answer too long (1000000 characters)" in n for n in cleaned.notices)


def test_short_answer_is_not_truncated() -> None:
    cleaned = clean_answer("a" * MAX_ANSWER_CHARS)
    assert not cleaned.truncated and len(cleaned.text) == MAX_ANSWER_CHARS


@pytest.mark.parametrize(("answer", "kind"), [("", "empty"), ("🙂🙂", "symbols_only"), ("不知道", "dont_know"),
                                              ("pass", "skip"), ("asdfgh", "gibberish"), ("让我想想", "filler"),
                                              ("Dropout 原理就是 Dropout 的原理。", "restatement")])
def test_a_non_answer_is_told_the_same_thing_everywhere(answer: str, kind: str) -> None:
    """One set of texts: the scorer's bilingual message (what the terminal prints) is the web app's two texts
    joined, so each half reads as a whole message; the two used to be worded apart ("… / Looks like you don't
    know this one yet — 先看看参考答案…" mixed the languages mid-sentence and could not be split)."""
    from interviewer import nonanswer, render

    found = detect_non_answer(clean_answer(answer).text, "Dropout 原理", TOKENIZER)
    assert found is not None and found.kind == kind
    shown = {lang: render.result_message({"kind": "non_answer", "non_answer": kind}, lang) for lang in ("zh", "en")}
    assert found.message == f"{shown['zh']} / {shown['en']}" == MESSAGES[kind]
    assert {lang: render.localize(found.message, lang) for lang in ("zh", "en")} == shown
    assert nonanswer.texts(kind) == (shown["zh"], shown["en"])
    for focus in ("稀疏", None):  # a follow-up on one key term: the web and the scorer's message agree too
        web = tuple(render.result_message({"kind": "non_answer", "non_answer": kind, "focus": focus}, lang)
                    for lang in ("zh", "en"))
        assert nonanswer.bilingual(kind, focus) == " / ".join(web)


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        # "don't know" with an adverb or a "haven't …", the shapes the third blind set's writers used
        ("不太清楚，没怎么看过", "13. 为什么使用F1 score而不是算术平均？"),
        ("这个没怎么了解过，跳过吧", "11. 特征融合 concat 和 add 的区别"),
        ("没太学过这块，不怎么熟", "16. 空洞卷积及其优点"),
        # saying the question's own words while not knowing is still not knowing
        ("空洞卷积？没听说过这个东西诶", "16. 空洞卷积及其优点"),
        ("MobileNet 为什么快……我脑子一片空白，下一题吧", "1. 为什么 MobileNet 会这么快？"),
        ("sorry, I don't remember this one, can we move on?", "9. 残差指的是什么？"),
    ],
)
def test_more_ways_of_not_knowing_are_non_answers(answer: str, title: str) -> None:
    assert kind_of(answer, title) == "dont_know"


def test_a_question_that_negates_is_restated_with_another_negation() -> None:
    """"为什么用 F1 而不用算术平均" says the question back ("而不是" → "而不用"); it used to read as a contrast."""
    title = "13. 为什么使用F1 score而不是算术平均？"
    assert kind_of("为什么用F1 score而不用算术平均呢，嗯，这个问题就是说", title) == "restatement"
    assert kind_of("因为算术平均会被大的那个值主导，F1 是调和平均", title) is None
    # and a contrast under a question without a negation stays an answer (test above)


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ("没怎么用过空洞卷积，但它在卷积核元素间插零，扩大感受野", "16. 空洞卷积及其优点"),
        ("不太清楚细节，大概是深度可分离卷积把计算量降下来了", "1. 为什么 MobileNet 会这么快？"),
        ("I don't remember exactly, but the residual is F(x) = H(x) - x", "9. 残差指的是什么？"),
    ],
)
def test_a_hedged_answer_with_content_is_still_an_answer(answer: str, title: str) -> None:
    assert kind_of(answer, title) is None


def test_no_hedged_real_answer_of_the_blind_non_answer_set_is_flagged() -> None:
    """``eval/nonanswers_blind.tsv`` was written by a helper who never saw these rules: 60 non-answers (NA) and 30
    short or hedged real attempts (REAL). A rule that flags a real attempt loses the user's answer to a non-answer
    message, the worse mistake, so none may be; how many non-answers are caught is reported in the README."""
    from corpus.parser import load_collection

    collection = load_collection()
    lines = (Path(__file__).parent.parent / "eval" / "nonanswers_blind.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip()]
    assert len(rows) == 90 and {label for _, label, _ in rows} == {"NA", "REAL"}
    real = [(heading, answer) for heading, label, answer in rows if label == "REAL"]
    titles = {heading: collection.find_by_heading(heading) for heading, _ in real}
    assert all(q is not None for q in titles.values())
    flagged = [answer for heading, answer in real if kind_of(answer, titles[heading].title) is not None]
    assert flagged == []
