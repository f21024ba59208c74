"""interviewer/render.py: user text is escaped, collection text is kept, every view formats its data."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from interviewer import render
from interviewer.progress import Attempt, ProgressStats, SectionMastery
from interviewer.session import Summary, Turn

XSS = "<script>window.__pwned=1</script><b>x</b>"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        if tag == "br":
            self.text.append("\n")

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def _rendered(markdown: str) -> tuple[set[str], str]:
    """Tags and visible text of Markdown rendered the CommonMark way (raw HTML allowed, as in the UI)."""
    parser = _Collect()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    return set(parser.tags), "".join(parser.text)


def _norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


# ------------------------------------------------------------------ escaping


def test_escape_text_shows_html_as_text() -> None:
    out = render.escape_text(XSS)
    assert "<script" not in out and "<b>" not in out
    tags, text = _rendered(out)
    assert tags <= {"p", "br"}
    assert text.strip() == XSS


@pytest.mark.parametrize("typed", [
    "**bold** _it_ `code` [link](http://example.com) ![img](http://example.com/x.png)",
    "# heading\n- item\n1. numbered\n> quote\n---\nsetext\n===",
    "    indented code\n\tafter a tab",
    "a | b | c\n--- | ---\n1 | 2",
    "&lt; &amp; &#60; \\ \\* trailing\\",
    "http://example.com and www.example.com",
])
def test_escape_text_keeps_markdown_syntax_literal(typed: str) -> None:
    tags, text = _rendered(render.escape_text(typed))
    assert tags <= {"p", "br"}, tags
    assert _norm(text) == _norm(typed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t <>&*_`#[]()!|-=\\"),
               max_size=80))
def test_escape_text_round_trips_any_text(typed: str) -> None:
    tags, text = _rendered(render.escape_text(typed))
    assert tags <= {"p", "br", "span"}, tags  # (a dollar outside a formula sits in a span of its own)
    cleaned = typed.replace("\u2028", " ").replace("\u2029", " ")
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        cleaned = cleaned.replace(ch, "")
    assert _norm(text) == _norm(cleaned)


def test_escape_text_keeps_line_breaks_and_drops_control_characters() -> None:
    out = render.escape_text("line one\r\nline two\x00\x1b[31m")
    _, text = _rendered(out)
    assert text.split("\n")[0].strip() == "line one"
    assert "line two[31m" in text and "\x00" not in out and "\x1b" not in out
    assert render.escape_text("   \n  ") == ""
    assert render.escape_text(None) == ""


def test_escape_inline_is_one_line_and_truncates() -> None:
    out = render.escape_inline("a\nb\n" + "x" * 500, max_chars=50)
    assert "\n" not in out
    assert out.endswith("…") and len(out) < 80


# ------------------------------------------------------------------ interview views


@dataclass
class FakeResult:
    score: float | None = 72.4
    band: str | None = "良好 / good"
    components: dict = field(default_factory=lambda: {"semantic": 0.81, "keyword_coverage": 0.5, "note": "text"})
    covered: list = field(default_factory=lambda: [SimpleNamespace(text="稀疏解"), "L1"])
    missed: list = field(default_factory=lambda: [SimpleNamespace(text="拉普拉斯<b>先验</b>")])
    kind: str = "scored"
    message: str = "还不错 **但是**"
    better_match: str | None = None
    missed_passages: list = field(default_factory=list)
    notices: list = field(default_factory=list)


def test_feedback_markdown_scored(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    md = render.feedback_markdown(FakeResult(), bundled_collection, "zh")
    assert md.startswith("**得分：72/100** · 良好\n")  # a bilingual band shows in the UI's language
    assert "\\*\\*但是\\*\\*" in md  # the scorer's message is shown literally
    assert "答到的要点" not in md  # the message already explains the points
    assert "下一题" in md and "“参考答案”查看完整答案" in md
    # the reference already shown beside the chat is not offered again
    shown = render.feedback_markdown(FakeResult(), bundled_collection, "zh", reference_shown=True)
    assert shown.endswith("_点击“下一题”继续。_") and "参考答案" not in shown, shown
    english = render.feedback_markdown(FakeResult(), bundled_collection, "en", reference_shown=True)
    assert english.endswith("_Click “Next” to continue._") and "Reference" not in english
    bare = render.feedback_markdown(FakeResult(message=""), bundled_collection, "zh")
    assert "稀疏解" in bare and "L1" in bare
    assert "拉普拉斯&lt;b&gt;先验&lt;/b&gt;" in bare and "<b>" not in bare


def test_feedback_markdown_better_match_non_answer_and_english(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    other = bundled_collection.units()[3]
    md = render.feedback_markdown(FakeResult(better_match=other.id, message=""), bundled_collection, "en",
                                  followup_next=True)
    assert md.startswith("**Score: 72/100**")
    assert "another question" in md and other.title.split()[-1] in md and "follow-up" in md
    blank = render.feedback_markdown(FakeResult(score=0.0, band="无效回答", kind="non_answer", covered=[], missed=[],
                                                message="这看起来像“不知道”。"), None, "zh")
    assert "不是一个回答" in blank and "0/100" in blank and "不知道" in blank
    noticed = render.feedback_markdown(FakeResult(notices=["回答过长，只评了前 4000 字"]), None, "zh")
    assert "只评了前 4000 字" in noticed


# The scorer's message as interviewer.scoring.Scorer._message writes it (bilingual, Chinese first).
SCORER_MESSAGE = (
    "得分 58（及格）。 答到的要点 (covered): 神经元 (neuron)、过拟合 (overfitting)。 遗漏的要点 (missed): 集成、缩放。 "
    "语义相似度 (semantic similarity) 81%，关键词覆盖 (key-term coverage) 50%，切题程度 (on-topic) 90%。 "
    "回答主要是英文，关键词按中英术语对照和语义匹配计算 / English answer: terms matched across languages. "
    "可以补充 (add): 测试时不丢弃神经元。"
)


@pytest.mark.parametrize("band,zh,en", [("优秀", "优秀", "Excellent"), ("良好", "良好", "Good"), ("及格", "及格", "Pass"),
                                        ("需加强", "需加强", "Needs work"), ("无效回答", "无效回答", "Not an answer")])
def test_bands_follow_the_ui_language(band: str, zh: str, en: str) -> None:
    result = FakeResult(band=band, message="")
    assert render.band_label(band, "en") == en and render.band_label(band, "zh") == zh
    assert f"· {en}" in render.feedback_markdown(result, None, "en") and band not in render.feedback_markdown(
        result, None, "en")
    assert f"**Band**: {en}" in render.score_panel_markdown(result, "en")
    assert f"**等级**: {zh}" in render.score_panel_markdown(result, "zh")


def test_scorer_message_is_shown_in_one_language() -> None:
    en = render.scorer_message(SCORER_MESSAGE, "en")
    assert en.startswith("Score 58 (Pass). Covered: 神经元 (neuron), 过拟合 (overfitting). Missed: 集成, 缩放.")
    assert "Semantic similarity 81%, key-term coverage 50%, on-topic 90%." in en
    assert "English answer: terms matched across languages." in en and "You could add: 测试时不丢弃神经元." in en
    for chinese in ("得分", "及格", "答到的要点", "遗漏", "语义相似度", "回答主要是英文", "可以补充"):
        assert chinese not in en, chinese
    # the wording since a mixed, mostly Chinese answer was also called "mainly English"
    mixed = SCORER_MESSAGE.replace("回答主要是英文，关键词按中英术语对照和语义匹配计算 / English answer: terms matched "
                                   "across languages.", "回答中英文较多，关键词也按中英术语对照和语义匹配计算 / Much of "
                                   "the answer is in English: terms are also matched across languages and by meaning.")
    assert "Much of the answer is in English" in render.scorer_message(mixed, "en")
    assert "回答中英文较多" in render.scorer_message(mixed, "zh") and "Much of" not in render.scorer_message(mixed, "zh")
    zh = render.scorer_message(SCORER_MESSAGE, "zh")
    assert zh.startswith("得分 58（及格）。 答到的要点：神经元 (neuron)、过拟合 (overfitting)。")
    assert "语义相似度 81%，关键词覆盖 50%，切题程度 90%。" in zh and "可以补充：测试时不丢弃神经元。" in zh
    for english in ("(covered)", "(missed)", "(semantic similarity)", "English answer", "(add)"):
        assert english not in zh, english
    off = ("这个回答更像是在回答另一道题「A / B」，而不是「Dropout」 / This answer fits another question better "
           "(off-topic). 得分 20（需加强）。")
    assert render.scorer_message(off, "en") == ("This answer fits another question better — “A / B” rather than "
                                                "“Dropout” (off-topic). Score 20 (Needs work).")
    md = render.feedback_markdown(FakeResult(band="及格", message=SCORER_MESSAGE), None, "en")
    assert "Score 58 \\(Pass\\)" in md and "得分" not in md


def test_a_list_of_key_terms_cut_short_says_how_many_there_are() -> None:
    """The chat named 6 missed terms and the panel beside it 12, and neither said the list went on."""
    cut = SCORER_MESSAGE.replace("遗漏的要点 (missed): 集成、缩放。", "遗漏的要点 (missed): 集成、缩放 等 12 项 (12 in all)。")
    assert "遗漏的要点：集成、缩放 等 12 项。" in render.scorer_message(cut, "zh")
    assert "Missed: 集成, 缩放 … (12 in all)." in render.scorer_message(cut, "en")
    assert "12 in all" not in render.scorer_message(cut, "zh") and "等 12 项" not in render.scorer_message(cut, "en")
    many = FakeResult(missed=[f"术语{i}" for i in range(15)])
    assert "`术语11` 等 15 项" in render.points_markdown(many, "zh") and "术语12" not in render.points_markdown(many)
    assert "`术语11` … (15 in all)" in render.points_markdown(many, "en")
    assert "in all" not in render.points_markdown(FakeResult(), "en")  # a whole list says nothing more


def test_bilingual_text_is_split_only_where_reliable() -> None:
    assert render.localize("请先作答或跳过 / answer or skip this question first.", "en") == \
        "Answer or skip this question first."
    assert render.localize("请先作答或跳过 / answer or skip this question first.", "zh") == "请先作答或跳过。"
    for unsure in ("没有这个章节 / no section named 'x'. 可选 / available: a",  # two separators
                   "「A / B」在题库里没有参考答案 / no reference.",  # a title with a slash
                   "看起来你还不会这道题 / Looks like you don't know — 先看看参考答案",  # Chinese after the English
                   "plain English / with a slash", "纯中文"):
        assert render.localize(unsure, "en") == unsure and render.localize(unsure, "zh") == unsure
    assert render.band_label("良好 / good", "en") == "Good"
    unknown = "某个新的说法 混合 text"  # a part the renderer does not know stays as the scorer wrote it
    assert render.scorer_message(unknown, "en") == unknown


def test_non_answer_message_and_notices_in_the_ui_language() -> None:
    result = FakeResult(score=0.0, band="无效回答", kind="non_answer", covered=[], missed=[],
                        message="看起来你还不会这道题 / Looks like you don't know this one yet — 先看看参考答案，稍后再练 "
                                "(review the reference and try again later).",
                        notices=["已移除 3 个控制字符或乱码 / Removed 3 control or binary characters."])
    result.non_answer = "dont_know"  # type: ignore[attr-defined]
    en = render.feedback_markdown(result, None, "en")
    assert "Not an answer" in en and "don't know this one yet" in en and "看起来" not in en
    assert "Removed 3 control or binary characters" in en and "已移除" not in en
    zh = render.feedback_markdown(result, None, "zh")
    assert "看起来你还不会这道题" in zh and "Looks like" not in zh and "Removed" not in zh


def test_hint_punctuation_follows_the_language() -> None:
    en = render.hint_markdown(["dropout", "正则化"], "en")
    assert "**Hint**: " in en and "**dropout**, **正则化**" in en and "：" not in en and "、" not in en
    zh = render.hint_markdown(["dropout", "正则化"], "zh")
    assert "**提示**：" in zh and "**dropout**、**正则化**" in zh


def test_followup_prompt_in_the_ui_language(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    q = bundled_collection.units()[0]
    expand = "追问 / Follow-up：你能具体讲讲「过拟合」吗？/ Can you expand on “过拟合”?"
    assert "### Can you expand on “过拟合”?" in render.question_markdown(bundled_collection, q.id, expand, "followup",
                                                                         lang="en")
    assert "### 你能具体讲讲「过拟合」吗？" in render.question_markdown(bundled_collection, q.id, expand, "followup")
    assert render.followup_prompt("追问 / Follow-up：L1范数", "en") == "Follow-up: L1范数"
    assert render.followup_prompt("追问 / Follow-up：L1范数", "zh") == "追问：L1范数"


def test_score_panel_components_and_placeholder() -> None:
    md = render.score_panel_markdown(FakeResult(), "zh")
    assert "72 / 100" in md
    assert "| 语义相似度 | 81% |" in md and "| 关键词覆盖 | 50% |" in md
    assert "note" not in md  # non-numeric components are left out
    # of the scorer's signals only those a candidate can act on are shown, in a fixed order
    signals = {"language_share": 1.0, "precision": 0.5, "specificity": 1.0, "explained": 1.0, "on_topic": 0.2,
               "coverage": 0.9, "semantic": 0.3, "beyond_chance": 1.0, "keyword_coverage": 0.1}
    shown = render.score_panel_markdown(FakeResult(components=signals), "zh")
    assert "中文占比" not in shown and "精确度" not in shown and "专注度" not in shown and "| 数值 |" in shown
    # key-term coverage is the literal share the covered / missed lists describe, not the combined 90 %
    assert "| 关键词覆盖 | 10% |" in shown and "90%" not in shown
    assert [line.split("|")[1].strip() for line in shown.splitlines() if line.startswith("| ") and "%" in line] == [
        "语义相似度", "关键词覆盖", "切题程度", "解释充分度"]
    en = render.score_panel_markdown(FakeResult(components={"custom_part": 12.5}), "en")
    assert "Score: 72 / 100" in en and "| custom part | 12.5 |" in en
    assert "after you submit" in render.score_panel_markdown(None, "en")
    assert "—" in render.score_panel_markdown(FakeResult(score=float("nan")), "zh")


def test_points_markdown_lists_covered_and_missed() -> None:
    result = FakeResult(missed=["拉普拉斯`先验`"])
    result.covered_points = ["L1 正则得到稀疏解"]  # type: ignore[attr-defined]
    result.missed_points = ["L1 对应<b>拉普拉斯</b>先验"]  # type: ignore[attr-defined]
    md = render.points_markdown(result, "zh")
    covered, missed = md.split("遗漏的要点")
    assert "`稀疏解`" in covered and "`L1`" in covered and "- L1 正则得到稀疏解" in covered
    assert "`拉普拉斯'先验'`" in missed  # a backtick cannot end the code span early
    assert "&lt;b&gt;拉普拉斯&lt;/b&gt;" in missed and "<b>" not in missed
    tags, text = _rendered(md)
    assert "b" not in tags and "拉普拉斯'先验'" in text
    empty = render.points_markdown(FakeResult(covered=[], missed=[]), "en")
    assert "none of the reference" in empty and "nothing important missed" in empty
    assert render.points_markdown(None) == ""


def _passage_hit(collection, question):  # type: ignore[no-untyped-def]
    block = question.blocks[0]
    passage = SimpleNamespace(question_id=question.id, line_start=block.line_start, text=block.plain,
                              markdown=block.markdown)
    return SimpleNamespace(passage=passage, score=0.9)


def _answered_leaf(collection):  # type: ignore[no-untyped-def]
    return next(q for q in collection if q.blocks and q.has_own_text)


def test_passages_markdown_names_section_question_file_and_line(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    q = _answered_leaf(bundled_collection)
    hit = _passage_hit(bundled_collection, q)
    md = render.passages_markdown([hit], bundled_collection, "zh")
    assert f"{q.source}:{q.blocks[0].line_start}" in md
    assert q.display_path in md
    assert q.blocks[0].markdown.strip()[:20] in md
    assert "还没有相关段落" in render.passages_markdown([], bundled_collection, "zh")
    # the scorer's MissedPassage: question id, "file:line" location, text
    missed = SimpleNamespace(question_id=q.id, location=f"{q.source}:{q.line_end}", text="漏掉的段落 $x^2$", score=0.5)
    md = render.passages_markdown([missed], bundled_collection, "en", title="Where the missed points are")
    assert md.startswith("### Where the missed points are")
    assert f"`{q.source}:{q.line_end}`" in md and q.display_path in md and "漏掉的段落 $x^2$" in md


def test_reference_markdown_keeps_latex_and_code(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    with_math = next(q for q in bundled_collection.units()
                     if "$" in bundled_collection.answer_markdown(q.id))
    md = render.reference_markdown(bundled_collection, with_math.id, "zh")
    assert md.startswith("### 参考答案")
    assert bundled_collection.answer_markdown(with_math.id).strip() in md
    assert f"{with_math.source}:{with_math.line_start}" in md
    unanswered = next(q for q in bundled_collection.units() if not bundled_collection.is_answered(q.id))
    assert "no reference answer yet" in render.reference_markdown(bundled_collection, unanswered.id, "en")
    # only sub-question headings, no answer text (Tensorflow): still said to have no reference
    headings_only = next(q for q in bundled_collection.units() if not bundled_collection.is_answered(q.id)
                         and bundled_collection.answer_markdown(q.id).strip())
    md = render.reference_markdown(bundled_collection, headings_only.id, "zh")
    assert "这道题还没有参考答案" in md and bundled_collection.answer_markdown(headings_only.id).strip() in md


def test_question_markdown_marks_unanswered(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    answered = next(q for q in bundled_collection.units() if bundled_collection.is_answered(q.id))
    unanswered = next(q for q in bundled_collection.units() if not bundled_collection.is_answered(q.id))
    md = render.question_markdown(bundled_collection, answered.id, progress_label="2/5", lang="zh")
    assert "**题目 2/5**" in md and answered.title in md and "笔记" not in md
    md = render.question_markdown(bundled_collection, unanswered.id, kind="followup", lang="en")
    assert "Follow-up" in md and "kept as a note" in md


def test_a_question_without_text_of_its_own_is_asked_with_its_sub_questions(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """"集成学习相关问题" alone does not say what is asked: its part "Boosting 和 Bagging 的区别" does."""
    group = bundled_collection.find_by_heading("7. 集成学习相关问题")
    part = bundled_collection.find_by_heading("7.1 Boosting 和 Bagging 的区别")
    assert [p.id for p in bundled_collection.asked_parts(group.id)] == [part.id]
    md = render.question_markdown(bundled_collection, group.id, prompt=group.asked_title, lang="zh")
    assert "本题包括：" + render.escape_inline(part.title) in md
    assert "This question covers: " in render.question_markdown(bundled_collection, group.id, lang="en")
    # a key-term follow-up asks about that term, not the parts
    expand = "追问 / Follow-up：你能具体讲讲「Boosting」吗？/ Can you expand on “Boosting”?"
    assert "本题包括" not in render.question_markdown(bundled_collection, group.id, expand, "followup")
    # a question with text of its own is asked by its title: its sub-headings are parts of the answer
    own = bundled_collection.find_by_heading("8.3 如何评估特征的重要性")
    assert own.children and bundled_collection.asked_parts(own.id) == []
    assert "本题包括" not in render.question_markdown(bundled_collection, own.id)


def test_hint_and_note(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    assert "**正则化**" in render.hint_markdown(["正则化", "<i>x</i>"]) and "<i>" not in render.hint_markdown(["<i>x</i>"])
    assert "No hint" in render.hint_markdown([], "en")
    q = _answered_leaf(bundled_collection)
    hit = _passage_hit(bundled_collection, q)
    md = render.note_markdown([hit, hit], bundled_collection, "zh")
    assert "笔记" in md and f"{q.source}:{q.blocks[0].line_start}" in md
    assert md.count(f"{q.source}:") == 1  # two passages of one question: listed once
    assert "参考答案" not in md.replace("没有参考答案", "")  # there is no reference answer to point to
    code_only = render.note_markdown([], bundled_collection, "en", code_only=True)
    assert "code only" in code_only and "no reference answer" not in code_only


def test_summary_markdown(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    units = bundled_collection.units()
    turns = [
        Turn(units[0].id, "main", units[0].title, answer="a", result=FakeResult(score=40.0), status="answered"),
        Turn(units[1].id, "main", units[1].title, status="skipped"),
        Turn(units[2].id, "followup", "追问", answer="b", status="noted"),
        Turn(units[3].id, "main", units[3].title),  # pending: not listed
    ]
    summary = Summary(asked=3, answered=1, skipped=1, mean_score=40.0, turns=turns,
                      weakest=[(units[0].display_path, 40.0)], notes=1)
    md = render.summary_markdown(summary, bundled_collection, "zh")
    assert "| 已处理题数 | 得分题数 | 跳过 | 追问 | 笔记 | 平均分 |" in md
    assert "| 3 | 1 | 1 | 0 | 1 | 40 |" in md
    assert units[0].title.startswith("1. ")  # a numbered title is listed without nesting a list
    escaped = "1\\. " + units[0].title[len("1. "):]
    assert "- " + escaped + " — **40**" in md, md  # a bullet: never "1. 1. DataParallel"
    assert "已跳过" in md and "笔记" in md
    assert units[3].title not in md
    assert "平均分只算" not in md  # every scored answer is in the mean
    assert "Interview summary" in render.summary_markdown(summary, bundled_collection, "en")

    # a follow-up on one key term and an answer after the reference: scored, listed, left out of the mean
    turns += [Turn(units[0].id, "followup", "「稀疏」?", answer="c", result=FakeResult(score=95.0),
                   status="answered", focus="稀疏"),
              Turn(units[4].id, "main", units[4].title, answer="d", result=FakeResult(score=0.0),
                   status="answered", after_reference=True)]
    summary = Summary(asked=4, answered=2, skipped=1, mean_score=40.0, turns=turns, weakest=[], notes=1, counted=1,
                      followups=2, scored=3)
    md = render.summary_markdown(summary, bundled_collection, "zh")
    assert "| 4 | 2 | 1 | 2 | 1 | 40 |" in md  # the follow-ups apart from the questions
    assert "平均分只算 1 个回答" in md
    assert "- 追问「稀疏」 · " in md and md.count("不计入平均分") == 2, md
    english = render.summary_markdown(summary, bundled_collection, "en")
    assert "| Questions handled | Scored answers | Skipped | Follow-ups | Notes | Mean score |" in english
    assert "The mean is over 1 answer:" in english  # one answer, not "1 answers"


# ------------------------------------------------------------------ search and tree


def test_search_results_markdown(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    q = _answered_leaf(bundled_collection)
    unit = bundled_collection.questions[bundled_collection.unit_of(q.id)]
    hit = SimpleNamespace(question=unit, focus=q, rank=1, score=1.0, passages=[_passage_hit(bundled_collection, q)])
    md = render.search_results_markdown([hit], "<img src=x onerror=alert(1)> 查询", bundled_collection, "zh")
    assert "<img" not in md and "&lt;img" in md
    assert f"1. ✅ {unit.title}" in md
    assert f"`{q.source}:{q.blocks[0].line_start}`" in md
    assert "没有找到" in render.search_results_markdown([], "xyz", bundled_collection, "zh")
    long_passage = SimpleNamespace(passage=SimpleNamespace(question_id=q.id, line_start=1, text="长" * 2000,
                                                           markdown="长" * 2000))
    hit.passages = [long_passage]
    assert "长" * 2000 not in render.search_results_markdown([hit], "q", bundled_collection, "zh")


def test_tree_markdown_and_filter(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    full = render.tree_markdown(bundled_collection, "", "zh")
    for section in bundled_collection.sections:
        if section.question_ids:
            assert section.title.replace("|", "\\|") in full
    assert "✅" in full and "⬜" in full
    entries = render.tree_entries(bundled_collection, "dropout")
    assert entries and all(e[0] in bundled_collection.questions for e in entries)
    assert any("dropout" in title.lower() for _, title, _, _ in entries)
    assert len(entries) < len(bundled_collection.questions) / 4
    filtered = render.tree_markdown(bundled_collection, "dropout", "en")
    assert "Dropout" in filtered and "has a reference answer" in filtered
    assert "No question matches" in render.tree_markdown(bundled_collection, "zzzz-no-such-question", "en")
    # sub-questions are nested under their question
    sub = next(q for q in bundled_collection if q.parent_id is not None)
    depth = {qid: d for qid, _, d, _ in render.tree_entries(bundled_collection, "")}
    assert depth[sub.id] == depth[sub.parent_id] + 1


def test_tree_filter_needs_every_word_and_falls_back_to_any() -> None:
    from corpus.parser import parse_markdown

    collection = parse_markdown(
        "## 正则化\n\n### Dropout 原理\n\n随机丢弃。\n\n### L1 和 L2\n\n#### L1 的稀疏性\n\n稀疏。\n\n"
        "## 卷积\n\n### 1x1 卷积的作用\n\n降维。\n\n### 空洞卷积\n\n感受野。\n"
    )
    titles = lambda query: [title for _, title, _, _ in render.tree_entries(collection, query)]  # noqa: E731
    # two words, one in the section and one in the title: the heading holds both
    assert titles("正则 dropout") == ["Dropout 原理"]
    assert render.tree_match(collection, "正则 dropout")[1] is True
    # a word in a parent's title keeps the sub-question that holds the other word
    assert titles("L2 稀疏") == ["L1 和 L2", "L1 的稀疏性"]
    # order, case and repeats do not matter
    assert titles("DROPOUT  正则 正则") == titles("正则 dropout")
    # nothing holds both: headings holding either are shown, and the page says so
    assert titles("dropout 空洞") == ["Dropout 原理", "空洞卷积"]
    assert render.tree_match(collection, "dropout 空洞")[1] is False
    page = render.tree_markdown(collection, "dropout 空洞", "zh")
    assert "任一关键词" in page and "Dropout 原理" in page and "空洞卷积" in page
    assert "任一关键词" not in render.tree_markdown(collection, "正则 dropout", "zh")
    assert "No question matches the filter" in render.tree_markdown(collection, "zzz yyy", "en")


def test_tree_choices_cover_every_heading(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    choices = render.tree_choices(bundled_collection, "")
    assert [qid for _, qid in choices] == [e[0] for e in render.tree_entries(bundled_collection, "")]
    assert len(choices) == len(bundled_collection.questions)
    first_label, first_id = choices[0]
    assert bundled_collection.questions[first_id].section in first_label


# ------------------------------------------------------------------ progress


def test_progress_views() -> None:
    rows = render.mastery_rows([SectionMastery("机器学习基础", 2, 3, 55.0, 61.27)])
    assert rows == [{"section": "机器学习基础", "mastery": 61.3, "questions": 2, "attempts": 3}]
    stats = ProgressStats(profile="web-1", attempts=3, scored_attempts=2, skips=1, notes=0, questions_attempted=2,
                          questions_scheduled=2, due_now=1, sessions=1, mean_score=55.0, mean_mastery=61.3,
                          first_at=0.0, last_at=1.0)
    md = render.stats_markdown(stats, "zh", profile_label="web-abc`x")
    assert "| 3 (2 得分) | 2 | 55 | 61 | 1 | 1 |" in md and "`web-abc'x`" in md and "看过参考答案" not in md
    # one scored attempt, given after seeing the reference: "mean —" is explained, not a contradiction
    seen = ProgressStats(profile="web-1", attempts=1, scored_attempts=1, skips=0, notes=0, questions_attempted=1,
                         questions_scheduled=1, due_now=0, sessions=1, mean_score=None, mean_mastery=None,
                         first_at=0.0, last_at=1.0, reference_seen=1)
    md = render.stats_markdown(seen, "zh")
    assert "| 1 (1 得分) | 1 | — |" in md and "其中 1 次是看过参考答案后作答的" in md
    assert "1 of the scored attempts came after seeing the reference" in render.stats_markdown(seen, "en")
    empty = ProgressStats(profile="p", attempts=0, scored_attempts=0, skips=0, notes=0, questions_attempted=0,
                          questions_scheduled=0, due_now=0, sessions=0, mean_score=None, mean_mastery=None,
                          first_at=None, last_at=None)
    assert "No answers yet" in render.stats_markdown(empty, "en")


def test_weakest_due_and_history(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    q = bundled_collection.units()[0]
    weakest = render.weakest_markdown([(q.id, 33.3)], bundled_collection, "zh")
    assert q.title.replace("|", "\\|") in weakest and "| 33 |" in weakest
    assert "No scored answers" in render.weakest_markdown([], bundled_collection, "en")
    due = render.due_markdown([q.id], bundled_collection, {q.id: SimpleNamespace(last_score=20.0)}, "zh")
    assert q.title.replace("|", "\\|") in due and "| 20 |" in due
    assert "Nothing is due" in render.due_markdown([], bundled_collection, None, "en")
    # nothing due now: the next question to come back and when (a skip brings it back in 10 minutes)
    later = render.due_markdown([], bundled_collection, {q.id: SimpleNamespace(due_at=1600.0, last_score=None)},
                                "zh", now=1000.0)
    assert "现在没有需要复习的题目" in later and f"「{render.escape_inline(q.title)}」" in later and "10 分钟后到期" in later
    assert "due in 2 h" in render.due_markdown([], bundled_collection, {q.id: SimpleNamespace(due_at=7000.0)},
                                               "en", now=0.0)
    # a sub-question (a follow-up's part) is named with its question: "RNN" alone says nothing
    sub = next(x for x in bundled_collection if x.title == "RNN" and x.parent_id is not None)
    parent = bundled_collection.questions[sub.parent_id]
    assert parent.parent_id is None  # else the path below would have more parts
    for md in (render.weakest_markdown([(sub.id, 1.0)], bundled_collection, "zh"),
               render.due_markdown([sub.id], bundled_collection, {}, "zh")):
        assert f"| {parent.title.replace('|', chr(92) + '|')} › RNN |" in md
    attempt = Attempt(id=1, profile="p", question_id=q.id, section=q.section, question_title=q.title,
                      answer=XSS + " | pipe\nnewline", score=50.0, kind="answer", created_at=0.0)
    md = render.history_markdown([attempt], "zh")
    row = md.splitlines()[-1]
    assert "<script>" not in md and "&lt;script&gt;" in row
    assert row.count(" | ") == 4  # the pipe in the answer did not add a column
    assert "作答" in row and "| 50 |" in row
    assert "No history" in render.history_markdown([], "en")
    # kept attempts that do not count toward mastery say so
    point = Attempt(id=2, profile="p", question_id=q.id, section=q.section, question_title=q.title,
                    answer="稀疏解", score=84.0, kind="followup", created_at=1.0, focus="稀疏")
    seen = Attempt(id=3, profile="p", question_id=q.id, section=q.section, question_title=q.title,
                   answer="抄的参考答案", score=99.0, kind="answer", created_at=2.0, reference_shown=True)
    zh = render.history_markdown([seen, point, attempt], "zh").splitlines()
    assert "追问「稀疏」，不计入掌握度" in zh[-2] and "看过参考答案，不计入掌握度" in zh[-3]
    assert "不计入" not in zh[-1]
    en = render.history_markdown([point], "en")
    assert "on “稀疏”, not counted" in en


def test_a_sub_question_is_shown_with_its_parent_question(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """"8.2 为什么不容易过拟合" alone does not say it is about random forests: the chat, the interview summary and
    the history name it with its parent question, also for answers saved before titles carried the parent."""
    c = bundled_collection
    sub = c.find_by_heading("8.2 为什么不容易过拟合")
    asked = "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    assert f"### {asked}\n" in render.question_markdown(c, sub.id, lang="zh")
    summary = Summary(asked=1, answered=1, skipped=0, mean_score=40.0, weakest=[], notes=0,
                      turns=[Turn(sub.id, "main", sub.title, answer="a", result=FakeResult(score=40.0),
                                  status="answered")])
    assert "- 8\\. 随机森林相关 › 8.2 为什么不容易过拟合 — **40**" in render.summary_markdown(summary, c, "zh")
    old = Attempt(id=1, profile="p", question_id=sub.id, section=sub.section, question_title=sub.title,
                  answer="随机", score=50.0, kind="answer", created_at=0.0)
    gone = Attempt(id=2, profile="p", question_id="q-gone", section="旧章节", question_title="旧的题目",
                   answer="x", score=10.0, kind="answer", created_at=0.0)
    rows = render.history_markdown([old, gone], "zh", collection=c).splitlines()
    assert f"| {render.escape_inline(asked)} |" in rows[-2]
    assert "| 旧的题目 |" in rows[-1]  # no longer in the collection: the title recorded with it


def test_labels_exist_in_both_languages() -> None:
    for key in ("score", "covered", "missed", "sources", "reference", "summary"):
        assert render.t(key, "zh") != render.t(key, "en")
    assert render.t("score", "fr") == render.t("score", "zh")
    assert html.unescape(render.escape_inline("a&b")) == "a&b"


def test_formulas_in_answers_reach_katex_unescaped_and_the_rest_stays_escaped() -> None:
    escape_text = render.escape_text
    text = "正则化：$$L = L_0 + \\lambda \\|w\\|_2^2$$，以及 $p=0.5$ 的 *dropout*，价格 $5 and $10"
    out = escape_text(text)
    assert "$$L = L_0 + \\lambda \\|w\\|_2^2$$" in out and "$p=0.5$" in out
    assert "\\*dropout\\*" in out  # Markdown outside formulas is still inert
    # dollars with spaces inside are not a formula: each is set apart, so the page's KaTeX pass never pairs them
    assert "<span>&#36;</span>5 and <span>&#36;</span>10" in out and "$5 and $10" in _rendered(out)[1]
    assert _rendered(escape_text("$ 100 and $ 200"))[1].strip() == "$ 100 and $ 200"
    # tag or link syntax between dollars is never handed over raw
    assert escape_text("$<b>x</b>$") == "<span>&#36;</span>&lt;b&gt;x&lt;/b&gt;<span>&#36;</span>"
    assert "\\[a\\]\\(javascript" in escape_text("$[a](javascript:alert(1))$")


def test_weakest_says_nothing_needs_work_once_questions_are_practised(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    zh = render.weakest_markdown([], bundled_collection, "zh", practised=True)
    en = render.weakest_markdown([], bundled_collection, "en", practised=True)
    assert "没有需要加强的题目" in zh and "Nothing needs work" in en
    assert "No scored answers" in render.weakest_markdown([], bundled_collection, "en", practised=False)


def test_reference_links_are_clickable_and_follow_one_rule(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """The links under a reference showed as raw "[title](https://…)" text, under two rules."""
    md = MarkdownIt("commonmark")
    q = bundled_collection.find_by_heading("8. 为什么 LSTM 在梯度消失上表示更好？")
    page = md.render(render.reference_markdown(bundled_collection, q.id, "zh"))
    assert '<a href="https://www.zhihu.com/question/44895610">为什么相比于RNN，LSTM在梯度消失上表现更好？</a>' in page
    assert "](https://" not in page and page.count("<hr />") == 1
    # a bare address is a link too; other targets and markup stay text
    assert '<a href="https://x.y/z">https://x.y/z</a>' in md.render(render.link_markdown("见 https://x.y/z"))
    unsafe = md.render(render.link_markdown("[点我](javascript:alert(1)) <b>粗</b>"))
    assert "<a" not in unsafe and "<b>" not in unsafe and "javascript" in unsafe


def test_the_gap_report_names_the_sections_not_practised_yet(bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """The chart shows only sections with scores, so untouched sections appeared nowhere in the Progress tab:
    a gap report (查漏补缺) must name them, with how many questions each has to practise."""
    gaps = render.section_gaps(bundled_collection, {"机器学习基础", "深度学习基础"})
    names = [g.section for g in gaps]
    assert "机器学习基础" not in names and "深度学习基础" not in names
    assert render.SectionGap("RNN&LSTM", 8, 8, False) in gaps
    assert render.SectionGap("经典网络", 7, 2, False) in gaps  # 经典网络: two of its seven can be scored
    assert "图像处理基础" not in names and "优化算法" not in names  # nothing there to practise yet
    zh = render.weakest_markdown([], bundled_collection, "zh", practised=True, gaps=gaps)
    assert "还没练习过的章节" in zh and "RNN&LSTM (8 题)" in zh
    en = render.weakest_markdown([], bundled_collection, "en", practised=True,
                                 gaps=[render.SectionGap("GAN", 1, 1, False)])
    assert "Sections not practised yet**: GAN (1 question)" in en
    # before any scored answer every section is unpractised: the list would add nothing
    assert "还没练习过" not in render.weakest_markdown([], bundled_collection, "zh", practised=False, gaps=gaps)


def test_the_gap_report_counts_questions_as_browse_does_and_says_which_can_be_scored(
        bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """Browse said "经典网络 (7 题)" and Progress "经典网络 (2 题)" without saying that it counted only the
    questions with a reference answer in words: the gap report gives Browse's number and how many of them can
    be scored, and says what that means."""
    browse = render.tree_markdown(bundled_collection, "", "zh")
    assert "#### 经典网络 <sub>(7 题)</sub>" in browse
    gaps = render.section_gaps(bundled_collection, {"机器学习基础"})
    zh = render.weakest_markdown([], bundled_collection, "zh", practised=True, gaps=gaps)
    assert "经典网络 (7 题，其中 2 题可打分)" in zh and "RNN&LSTM (8 题)" in zh
    assert "“可打分”的是有文字参考答案的题" in zh
    en = render.weakest_markdown([], bundled_collection, "en", practised=True, gaps=gaps)
    assert "经典网络 (7 questions, 2 can be scored)" in en and "questions with a reference answer in words" in en
    # when every listed count is of questions that can be scored, there is nothing to explain
    only_full = [g for g in gaps if g.section == "RNN&LSTM"]
    assert "可打分" not in render.weakest_markdown([], bundled_collection, "zh", practised=True, gaps=only_full)


def test_a_section_answered_only_after_seeing_the_reference_is_not_called_not_practised(
        bundled_collection) -> None:  # type: ignore[no-untyped-def]
    """An answer given after viewing the reference is saved but not counted toward mastery; its section was
    listed under "not practised yet". It is practised: it is listed apart, saying its answers were not counted."""
    gaps = render.section_gaps(bundled_collection, {"机器学习基础"}, answered={"机器学习基础", "深度学习基础"})
    seen = next(g for g in gaps if g.section == "深度学习基础")
    assert seen.answered
    zh = render.weakest_markdown([], bundled_collection, "zh", practised=True, gaps=gaps)
    not_practised = next(line for line in zh.splitlines() if "还没练习过的章节" in line)
    assert "深度学习基础" not in not_practised and "RNN&LSTM" in not_practised
    uncounted = next(line for line in zh.splitlines() if "深度学习基础" in line)
    assert "答过、但还没有回答计入掌握度的章节" in uncounted and "看过参考答案后的回答" in uncounted
    en = render.weakest_markdown([], bundled_collection, "en", practised=True, gaps=gaps)
    assert "Sections answered, no answer counted toward mastery yet**: 深度学习基础 (18 questions, 13 can be scored)" \
        in en
    # the only answers so far were not counted: the sections not practised yet are named all the same
    gaps = render.section_gaps(bundled_collection, set(), answered={"深度学习基础"})
    zh = render.weakest_markdown([], bundled_collection, "zh", practised=False, gaps=gaps)
    assert "还没练习过的章节" in zh and "答过、但还没有回答计入掌握度的章节**：深度学习基础" in zh


def test_a_typed_pass_is_told_it_counts_as_zero_not_skipped() -> None:
    """"pass" typed as the answer is saved as an answer scored 0; the message used to say the question was skipped."""
    result = FakeResult(score=0.0, band="无效回答", kind="non_answer", covered=[], missed=[], message="", notices=[])
    result.non_answer = "skip"  # type: ignore[attr-defined]
    zh, en = render.feedback_markdown(result, None, "zh"), render.feedback_markdown(result, None, "en")
    assert "记为 0 分" in zh and "“跳过”按钮" in zh and "你跳过了这道题" not in zh
    assert "counts as 0" in en and "Skip button" in en and "You skipped" not in en


def test_the_graded_examples_sentence_is_shown_in_one_language() -> None:
    """The scorer's sentence about graded example answers (interviewer.exemplars) follows the signals part;
    without a split before it, the English UI lost "Semantic similarity …" into one unsplittable part."""
    examples = ("与本题 9 个已评分的示例回答相比，最接近的一个得 0/4，相近示例的加权分 0.6/4，占本次得分的 62% / Compared "
                "with 9 graded example answers to this question: the nearest was graded 0/4, the near ones 0.6/4 on "
                "average; they count for 62% of this score.")
    message = SCORER_MESSAGE.replace("回答主要是英文", examples + " 回答主要是英文")
    en = render.scorer_message(message, "en")
    assert "Semantic similarity 81%, key-term coverage 50%, on-topic 90%." in en
    assert "Compared with 9 graded example answers to this question: the nearest was graded 0/4" in en
    assert "示例" not in en
    zh = render.scorer_message(message, "zh")
    assert "they count for 62% of this score." in en
    assert "与本题 9 个已评分的示例回答相比，最接近的一个得 0/4，相近示例的加权分 0.6/4，占本次得分的 62%。" in zh
    assert "Compared" not in zh
