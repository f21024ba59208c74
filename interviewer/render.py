"""Markdown rendering of interview feedback, summaries, search results, the question tree and progress.

Shared by the web app and the terminal UI, so nothing here imports a UI toolkit:
every function takes plain records (questions, score results, search hits,
progress rows) and returns Markdown text (or plain rows for a chart).

Two kinds of text meet here and are treated differently:

* **Collection text** (question titles, reference answers, passages) is the
  author's Markdown: code, tables and LaTeX (``$…$`` / ``$$…$$``) are kept so
  the UI can render them (the web UI still sanitises HTML).
* **User text** (answers, search queries, profile names, anything echoed back)
  is untrusted: :func:`escape_text` turns it into Markdown that displays
  exactly the characters typed — ``<script>`` shows as text, ``**x**`` does
  not turn bold, a link is not a link.

Every function takes ``lang`` (``"zh"`` default, or ``"en"``) for its labels.
The scorer and the session write Chinese band names and bilingual messages
(``"中文 / English"``); they are put in the UI's language here, at render time
(:func:`band_label`, :func:`scorer_message`, :func:`localize`), and left
bilingual wherever the format cannot be split safely.
Score results are read defensively (``getattr`` with defaults), so any object
with some of the fields of the scorer's ``ScoreResult`` renders.
"""

from __future__ import annotations

import html
import math
import re
import time
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Iterable, Sequence

from . import nonanswer
from .excerpt import clip, is_one_formula
from .progress import plural

LANGS = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "score": ("得分", "Score"),
    "band": ("等级", "Band"),
    "components": ("得分构成", "Score parts"),
    "covered": ("答到的要点", "Covered"),
    "missed": ("遗漏的要点", "Missed"),
    "nothing_covered": ("（没有命中参考答案的要点）", "(none of the reference's key points)"),
    "nothing_missed": ("（没有遗漏的要点）", "(nothing important missed)"),
    "no_score_yet": ("提交回答后这里显示得分。", "Your score appears here after you submit an answer."),
    "sources": ("检索到的原文段落", "Retrieved source passages"),
    "no_sources": ("（还没有相关段落）", "(no passages yet)"),
    "reference": ("参考答案", "Reference answer"),
    "no_reference": ("这道题还没有参考答案。", "This question has no reference answer yet."),
    "noted": ("这道题没有参考答案，你的回答已保存为笔记（不打分）。",
              "This question has no reference answer: your answer is saved as a note (not scored)."),
    "noted_code_only": ("这道题的参考答案只有代码或数据表格，没有可以比对的文字，所以不打分：你的回答已保存为笔记，"
                        "可以点“参考答案”对照检查。",
                        "This question's reference answer is code only (or a table of figures), with no text to "
                        "compare with, so it is not scored: your answer is saved as a note. Use “Reference” to "
                        "check it yourself."),
    "related": ("相关段落", "Related passages"),
    "question": ("题目", "Question"),
    "followup": ("追问", "Follow-up"),
    "code_only_question": ("（这道题的参考答案只有代码或数据表格：你的回答会保存为笔记，不打分。）",
                           "(This question's reference is code or a table of figures only: your answer will be "
                           "kept as a note, not scored.)"),
    "no_ref_question": ("（这道题没有参考答案：你的回答会保存为笔记，不打分。）",
                        "(No reference answer: your answer is kept as a note, not scored.)"),
    "asked_parts": ("本题包括：", "This question covers: "),
    "your_answer": ("你的回答", "Your answer"),
    "empty_answer": ("（空）", "(empty)"),
    "better_match": ("你的回答更像是在回答另一道题：", "Your answer looks like an answer to another question: "),
    "next_hint": ("点击“下一题”继续，或“参考答案”查看完整答案。",
                  "Click “Next” to continue, or “Reference” to see the full answer."),
    "followup_next": ("点击“下一题”进入追问。", "Click “Next” for a follow-up question."),
    "hint": ("提示", "Hint"),
    "hint_terms": ("可以从这些关键词入手：", "Think about these key terms: "),
    "no_hint": ("这道题没有可用的提示。", "No hint available for this question."),
    "skipped": ("已跳过，这道题会很快再出现。", "Skipped — this question will come back soon."),
    "seen_not_counted": ("其中 {n} 次是看过参考答案后作答的：保留分数，但不计入平均分和掌握度。",
                         "{n} of the scored attempts came after seeing the reference: their scores are kept but "
                         "count toward neither the mean score nor mastery."),
    "skipped_followup": ("已跳过这个追问。", "Skipped this follow-up."),
    "no_followup": ("不追问了，直接进入下一题。", "No follow-up: on to the next question."),
    "next_hint_note": ("点击“下一题”继续。", "Click “Next” to continue."),
    "summary": ("面试总结", "Interview summary"),
    "asked": ("已处理题数", "Questions handled"),
    "answered": ("得分题数", "Scored answers"),
    "skipped_n": ("跳过", "Skipped"),
    "notes": ("笔记", "Notes"),
    "followups_n": ("追问", "Follow-ups"),
    "mean": ("平均分", "Mean score"),
    "mean_leaves_out": ("平均分只算 {n} 个回答：看过参考答案后的作答和针对单个要点的追问不计入（见下方标记）。",
                        "The mean is over {answers}: answers given after seeing the reference and follow-ups on "
                        "one point are not counted (marked below)."),
    "not_counted": ("不计入平均分", "not in the mean"),
    "weakest_in_session": ("本次最薄弱", "Weakest this session"),
    "turns": ("逐题回顾", "Question by question"),
    "status_answered": ("已作答", "answered"),
    "status_skipped": ("已跳过", "skipped"),
    "status_noted": ("笔记", "note"),
    "status_pending": ("未作答", "not answered"),
    "search_results": ("搜索结果", "Search results"),
    "respelled": ("题库里没有你写的词，已按最接近的拼写搜索", "None of your words is in the collection; searched for the closest spelling"),
    "no_results": ("没有找到匹配的题目，换个说法试试（中文、英文都可以）。",
                   "No matching questions — try other words (Chinese or English)."),
    "match_in": ("匹配到", "best match"),
    "answered_mark": ("有参考答案", "has a reference answer"),
    "unanswered_mark": ("无参考答案", "no reference answer"),
    "tree_empty": ("没有符合筛选条件的题目。", "No question matches the filter."),
    "tree_any_word": ("没有同时包含所有关键词的题目，下面是包含其中任一关键词的题目。",
                      "No question matches all the words; these match any of them."),
    "tree_legend": ("✅ 有参考答案　⬜ 无参考答案", "✅ has a reference answer　⬜ no reference answer"),
    "questions_n": ("题", "questions"),
    "overview": ("概览", "Overview"),
    "unpractised": ("还没练习过的章节", "Sections not practised yet"),
    "answered_uncounted": ("答过、但还没有回答计入掌握度的章节", "Sections answered, no answer counted toward mastery yet"),
    "uncounted_why": ("看过参考答案后的回答、笔记和只问一个要点的追问不计入",
                      "answers given after seeing the reference, notes and follow-ups on one point are not counted"),
    "gap_count": ("{n} 题", "{n} question"),
    "gap_count_scorable": ("{n} 题，其中 {k} 题可打分", "{n} questions, {k} can be scored"),
    "gap_count_note": ("题数与“浏览题库”相同；“可打分”的是有文字参考答案的题，面试默认只问这些。",
                       "Counts as in Browse; “can be scored”: questions with a reference answer in words, "
                       "the ones an interview asks by default."),
    "attempts": ("作答次数", "Attempts"),
    "scored": ("得分", "scored"),
    "practised": ("练过的题", "Questions practised"),
    "due_now": ("待复习", "Due now"),
    "mean_mastery": ("平均掌握度", "Mean mastery"),
    "sessions": ("面试次数", "Sessions"),
    "no_progress": ("还没有作答记录——去“模拟面试”答几道题吧。",
                    "No answers yet — answer a few questions in the Interview tab."),
    "weakest": ("最薄弱的题目", "Weakest questions"),
    "no_weakest": ("还没有得分记录。", "No scored answers yet."),
    "nothing_needs_work": ("没有需要加强的题目：练过的题目掌握度都在“良好”及以上。",
                           "Nothing needs work: every practised question is at “Good” or better."),
    "due": ("待复习的题目", "Due for review"),
    "no_due": ("现在没有需要复习的题目。", "Nothing is due for review."),
    "next_due": ("下一道要复习的是「{title}」，{when}后到期。", "Next up: “{title}”, due in {when}."),
    "minutes": ("{n} 分钟", "{n} min"),
    "hours": ("{n} 小时", "{n} h"),
    "days": ("{n} 天", "{n} days"),
    "history": ("最近记录", "Recent history"),
    "no_history": ("还没有记录。", "No history yet."),
    "mastery": ("掌握度", "Mastery"),
    "section": ("章节", "Section"),
    "time": ("时间", "Time"),
    "kind": ("类型", "Kind"),
    "value": ("数值", "Value"),
    "weak_match": ("没有题目的标题和你的查询词对得上，下面是正文里提到其中一些词、语义上最接近的题目，可能不太相关。",
                   "No question's heading matches your words: below are the closest questions whose text mentions "
                   "some of them — they may not be what you are looking for."),
    "by_kind": ("你的查询只有提问词，下面是问这一类问题的题目；加上主题词（如“BN 和 LN 的区别”）能找得更准。",
                "Your query has only question words: below are questions of that kind. Add a topic "
                "(“BN vs LN difference”) to narrow it down."),
    "last_score": ("上次得分", "Last score"),
    "kind_answer": ("作答", "Answer"),
    "kind_followup": ("追问", "Follow-up"),
    "not_counted_focus": ("追问「{term}」，不计入掌握度", "on “{term}”, not counted"),
    "not_counted_seen": ("看过参考答案，不计入掌握度", "after the reference, not counted"),
    "kind_skip": ("跳过", "Skip"),
    "kind_note": ("笔记", "Note"),
    "non_answer": ("这看起来不是一个回答。", "That does not look like an answer."),
    "off_topic": ("这个回答似乎跑题了。", "This answer seems to be off topic."),
    "profile": ("你的练习编号", "Your practice id"),
}

# The components a candidate can act on, in this order; the scorer's other signals (precision, share in Chinese,
# …) are kept with each attempt for analysis but not shown: alone they read as contradictions ("precision 50 %"
# beside a score of 2). A scorer that gives none of these has all its components shown.
# "key-term coverage" is the literal share the covered / missed lists beside it describe; the scorer's
# combined coverage (square-rooted, and semantic for the English part of an answer) read as a contradiction
# of those lists ("89 %" beside 10 of 22 terms), so it is stored but not shown
# "examples" is the grade of the nearest hand-graded example answers (interviewer.exemplars), when there are any
SHOWN_COMPONENTS: tuple[str, ...] = ("semantic", "keyword_coverage", "on_topic", "explained", "examples")

_COMPONENT_NAMES: dict[str, tuple[str, str]] = {
    "semantic": ("语义相似度", "semantic similarity"),
    "similarity": ("语义相似度", "semantic similarity"),
    "dense": ("语义相似度", "semantic similarity"),
    "coverage": ("综合覆盖", "combined coverage"),
    "keywords": ("关键词覆盖", "key-term coverage"),
    "terms": ("关键词覆盖", "key-term coverage"),
    "points": ("要点覆盖", "key-point coverage"),
    "length": ("长度", "length"),
    "penalty": ("扣分", "penalty"),
    "keyword_coverage": ("关键词覆盖", "key-term coverage"),
    "specificity": ("专注度", "specificity"),
    "beyond_chance": ("针对性（非泛泛而谈）", "beyond generic terms"),
    "explained": ("解释充分度", "explanation"),
    "on_topic": ("切题程度", "on-topic"),
    "precision": ("精确度", "precision"),
    "language_share": ("中文占比", "share in Chinese"),
    "examples": ("相近示例的评分", "graded examples like it"),
}

# The scorer's bands (interviewer.scoring.BANDS, NON_ANSWER_BAND) are Chinese names; shown in the UI's language.
_BANDS: dict[str, tuple[str, str]] = {
    "优秀": ("优秀", "Excellent"),
    "良好": ("良好", "Good"),
    "及格": ("及格", "Pass"),
    "需加强": ("需加强", "Needs work"),
    "无效回答": ("无效回答", "Not an answer"),
}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
# Where the parts of the scorer's message (interviewer.scoring.Scorer._message) begin.
_MESSAGE_PARTS = re.compile(
    r"(?:^|(?<= ))(?=这个回答更像是在回答另一道题「|得分 \d+（|回答只列出了术语|答到的要点 \(covered\): "
    r"|遗漏的要点 \(missed\): |语义相似度 \(semantic similarity\) |与本题 \d+ 个已评分的示例回答相比|回答主要是英文|回答中英文较多"
    r"|可以补充 \(add\): )")
_OFF_TOPIC = re.compile(r"这个回答更像是在回答另一道题「(?P<other>.*)」，而不是「(?P<this>.*)」 / This answer fits "
                        r"another question better \(off-topic\)\.")
_SCORE_PART = re.compile(r"得分 (?P<score>\d+)（(?P<band>[^（）]*)）。")
_LIST_PARTS = {"covered": (re.compile(r"答到的要点 \(covered\): (?P<items>.*)。"), "答到的要点", "Covered"),
               "missed": (re.compile(r"遗漏的要点 \(missed\): (?P<items>.*)。"), "遗漏的要点", "Missed"),
               "add": (re.compile(r"可以补充 \(add\): (?P<items>.*)。"), "可以补充", "You could add")}
# A list cut short by the scorer says how many there are in all (interviewer.scoring.Scorer._listed).
_LIST_TOTAL = re.compile(r"(?P<items>.*) 等 (?P<n>\d+) 项 \((?P=n) in all\)")
_WHY_PART = re.compile(r"语义相似度 \(semantic similarity\) (?P<s>\d+%)，关键词覆盖 \(key-term coverage\) "
                       r"(?P<c>\d+%)，切题程度 \(on-topic\) (?P<o>\d+%)。")
# Follow-up prompts of interviewer.session (InterviewSession.followup_candidate).
_FOLLOWUP_EXPAND = re.compile(r"追问 / Follow-up：你能具体讲讲「(?P<p>.*)」吗？/ Can you expand on “(?P=p)”\?")
_FOLLOWUP_TITLE = re.compile(r"追问 / Follow-up：(?P<title>.*)")

# Characters that carry Markdown meaning; a backslash before each makes it literal.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>=:])")
_WS_RUN = re.compile(r"[ \t]{2,}")
# A formula on one line: $$…$$ or $…$ with no space just inside the dollars (so "$5 and $10" is not one).
# (the third form: one word then a space before the closing dollar, "$5*5 $" in the collection, which the
# renderer still takes for a formula; "$5 and $10" stays text)
# Between dollars, "<" followed by a letter, "/", "!" or "?" reads as a tag: such a "formula" stays plain text.
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_MATH = re.compile(r"\$\$[^$\n]+?\$\$|\$(?![\s$])[^$\n]*?[^\s$\\]\$|\$[^\s$\\]\$|\$[^\s$\\][^\s$]* \$")
# Control characters other than tab and newline never display usefully.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def t(key: str, lang: str = "zh") -> str:
    """The label ``key`` in ``lang`` (Chinese when the language is unknown)."""
    zh, en = _TEXT[key]
    return en if lang == "en" else zh


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "zh"


# ------------------------------------------------------------ bilingual text


def band_label(band: object, lang: str = "zh") -> str:
    """A score band in ``lang``: the scorer names bands in Chinese (优秀 … 需加强), the English UI shows English."""
    text = "" if band is None else str(band).strip()
    parts = _split_bilingual(text)
    names = _BANDS.get(text) or (_BANDS.get(parts[0], parts) if parts else None)
    if names is None:
        return text
    return names[1] if lang == "en" else names[0]


_FOCUS_NOTICE = re.compile(r"追问只按与「(?P<term>[^」]+)」相关的要点评分 / this follow-up is scored on the points "
                           r"about “(?P=term)”\.")


def _split_bilingual(text: str) -> tuple[str, str] | None:
    """(中文, English) of ``"中文 / English"`` when the split is unambiguous (see :func:`localize`), else None."""
    if text.count(" / ") != 1:
        return None
    zh, en = (part.strip() for part in text.split(" / "))
    if not zh or not en or not _CJK.search(zh) or _CJK.search(en) or not re.match(r"[A-Za-z0-9“\"'(]", en):
        return None
    return zh, en


def localize(text: object, lang: str = "zh") -> str:
    """One language of a bilingual ``"中文 / English"`` message; other text unchanged.

    Split only where the format is unambiguous: exactly one `` / ``, Chinese
    before it and no Chinese after it (``"请先作答或跳过 / answer or skip this
    question first."``). Anything else (a title holding a slash, Chinese after
    the English) stays bilingual rather than risk showing half a sentence.
    """
    s = "" if text is None else str(text)
    focus = _FOCUS_NOTICE.fullmatch(s.strip())
    if focus:  # the scorer's follow-up notice names a (often Chinese) key term on both sides
        term = focus["term"]
        return (f"This follow-up is scored on the points about “{term}”." if lang == "en"
                else f"追问只按与「{term}」相关的要点评分。")
    parts = _split_bilingual(s)
    if parts is None:
        return s
    zh, en = parts
    if lang == "en":
        return en[0].upper() + en[1:]
    return zh if zh[-1] in "。！？.!?）)" else zh + "。"


def scorer_message(message: object, lang: str = "zh") -> str:
    """The scorer's explanation (bilingual, Chinese first) in ``lang``, part by part.

    The message is a run of known parts (score and band, covered, missed,
    the three signals, what to add, …); each known part is rewritten in one
    language, any other part goes through :func:`localize` (kept bilingual
    when it cannot be split safely). The scorer's key terms and reference
    excerpts are collection text and stay as they are.
    """
    text = "" if message is None else str(message).strip()
    if not text:
        return ""
    en = lang == "en"
    out: list[str] = []
    for part in (p.strip() for p in _MESSAGE_PARTS.split(text)):
        if not part:
            continue
        m = _OFF_TOPIC.fullmatch(part)
        if m:
            out.append(f"This answer fits another question better — “{m['other']}” rather than “{m['this']}” "
                       "(off-topic)." if en else f"这个回答更像是在回答另一道题「{m['other']}」，而不是「{m['this']}」。")
            continue
        m = _SCORE_PART.fullmatch(part)
        if m:
            band = band_label(m["band"], lang)
            out.append(f"Score {m['score']} ({band})." if en else f"得分 {m['score']}（{band}）。")
            continue
        m = _WHY_PART.fullmatch(part)
        if m:
            out.append(f"Semantic similarity {m['s']}, key-term coverage {m['c']}, on-topic {m['o']}." if en
                       else f"语义相似度 {m['s']}，关键词覆盖 {m['c']}，切题程度 {m['o']}。")
            continue
        for key, (pattern, zh_label, en_label) in _LIST_PARTS.items():
            m = pattern.fullmatch(part)
            if m:
                items, total = m["items"], ""
                cut = _LIST_TOTAL.fullmatch(items)
                if cut:
                    items, total = cut["items"], in_all(int(cut["n"]), lang)
                if en:  # English separators between the items (terms; or reference excerpts, Chinese inside)
                    items = items.replace("；", "; ") if key == "add" else items.replace("、", ", ")
                out.append(f"{en_label}: {items}{total}." if en else f"{zh_label}：{items}{total}。")
                break
        else:
            out.append(localize(part, lang))
    return " ".join(out)


def in_all(n: int, lang: str = "zh") -> str:
    """What follows a list cut short: how many items there are in all.

    >>> in_all(12, "zh"), in_all(12, "en")
    (' 等 12 项', ' … (12 in all)')
    """
    return f" … ({n} in all)" if lang == "en" else f" 等 {n} 项"


def followup_prompt(prompt: str, lang: str = "zh") -> str:
    """A follow-up prompt of the session (``"追问 / Follow-up：…"``) in ``lang``; other prompts unchanged."""
    m = _FOLLOWUP_EXPAND.fullmatch(prompt)
    if m:
        return f"Can you expand on “{m['p']}”?" if lang == "en" else f"你能具体讲讲「{m['p']}」吗？"
    m = _FOLLOWUP_TITLE.fullmatch(prompt)
    if m and " / " not in m["title"]:
        return f"Follow-up: {m['title']}" if lang == "en" else f"追问：{m['title']}"
    return prompt


def result_message(result: Any, lang: str = "zh") -> str:
    """The explanation of a score result in ``lang`` (non-answers by kind, else :func:`scorer_message`)."""
    message = _get(result, "message", "") or ""
    kind = _get(result, "non_answer")
    if _get(result, "kind") == "non_answer" and isinstance(kind, str) and kind in nonanswer.TEXTS:
        focus = _get(result, "focus")
        zh, en = nonanswer.texts(kind, focus if isinstance(focus, str) else None)
        return en if lang == "en" else zh
    return scorer_message(message, lang)


# --------------------------------------------------------------- escaping


def escape_text(text: object, max_chars: int | None = None) -> str:
    """Untrusted text as Markdown that shows exactly what was typed.

    HTML special characters become entities (so ``<script>`` is text, never a
    tag), Markdown punctuation is backslash-escaped (no emphasis, links,
    images, headings or lists), control characters are dropped, and line
    breaks are kept as hard breaks. A formula between dollars (``$p=0.5$``,
    ``$$L = L_0 + \\lambda \\|w\\|^2$$``) is passed to KaTeX as typed, HTML-escaped
    only: backslash escapes inside it would show as red KaTeX errors.

    >>> escape_text("*a* $p=0.5$")
    '\\\\*a\\\\* $p=0.5$'
    >>> escape_text("$5*5 $"), "\\\\*more" in escape_text("$5 or *more* and $10")
    ('$5*5 $', True)
    """
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("", s)
    if not s.strip():
        return ""
    s = s.strip("\n")
    if max_chars is not None and len(s) > max_chars:
        s = clip(s, max_chars, brackets=False)  # never inside a formula: it would show as raw LaTeX
    s = "".join(_escape_plain(part) if i % 2 == 0 else _escape_formula(part) for i, part in enumerate(_split_math(s)))
    s = re.sub(r"(?m)^ ", "&nbsp;", s)
    lines = s.split("\n")
    return "  \n".join(line if line.strip() else "&nbsp;" for line in lines)


def _split_math(text: str) -> list[str]:
    """``text`` cut into alternating plain and formula parts (plain first)."""
    parts: list[str] = []
    last = 0
    for m in _MATH.finditer(text):
        if "](" in m.group(0) or _TAG_START.search(m.group(0)):
            continue  # link or tag syntax: never hand it to the renderer unescaped
        parts += [text[last:m.start()], m.group(0)]
        last = m.end()
    return parts + [text[last:]]


def _escape_formula(text: str) -> str:
    r"""A formula for KaTeX: HTML-escaped only, a "less than" written ``\lt`` (no ``<`` reaches the page).

    >>> _escape_formula("$C_2 < C_1$"), _escape_formula("$a>b$")
    ('$C_2 \\lt  C_1$', '$a&gt;b$')
    """
    return html.escape(text.replace("<", "\\lt "), quote=False)


def _escape_plain(text: str) -> str:
    """Plain (non-formula) text: HTML entities, Markdown punctuation escaped, spacing kept."""
    s = html.escape(text, quote=False)
    # After html.escape there is no raw '<' or '>', and '&' starts an entity we made.
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # A dollar outside a formula is a dollar ("$ 100 and $ 200"): the page's KaTeX pass reads the text after
    # Markdown, where a backslash or an entity no longer hides it, but never across an element boundary.
    s = s.replace("$", "<span>&#36;</span>")
    s = s.replace("\t", "    ")
    return _WS_RUN.sub(lambda m: "&nbsp;" * len(m.group(0)), s)


def escape_inline(text: object, max_chars: int | None = 200) -> str:
    """Untrusted text on one line (newlines become spaces)."""
    s = "" if text is None else str(text)
    return escape_text(" ".join(s.split()), max_chars=max_chars)


# ----------------------------------------------------------- small helpers


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _point_text(item: Any) -> str:
    """A covered / missed item: an object with ``.text`` (KeyTerm, KeyPoint) or a string."""
    if isinstance(item, str):
        return item
    for name in ("text", "term", "title"):
        value = _get(item, name)
        if isinstance(value, str) and value:
            return value
    return str(item)


def format_score(score: Any) -> str:
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        return "—"
    return f"{score:.0f}"


def _component_value(value: float) -> str:
    if 0.0 <= value <= 1.0:
        return f"{value * 100:.0f}%"
    return f"{value:.1f}"


def component_label(name: str, lang: str = "zh") -> str:
    names = _COMPONENT_NAMES.get(name.lower())
    if names is None:
        return name.replace("_", " ")
    return names[1] if lang == "en" else names[0]


def _question(collection: Any, question_id: str | None) -> Any:
    if collection is None or question_id is None:
        return None
    questions = getattr(collection, "questions", {})
    return questions.get(question_id) if isinstance(questions, dict) else None


def location(collection: Any, question_id: str, line: int | None = None) -> str:
    """``section › question › sub · file.md:LINE`` for a heading (and a line inside it)."""
    q = _question(collection, question_id)
    if q is None:
        return question_id
    line = q.line_start if line is None else line
    return f"{q.display_path} · `{q.source}:{line}`"


def _ts(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _list_item(text: object) -> str:
    r"""Collection text as a list item's start: a title "9. 残差" after "1. " would nest a list.

    >>> _list_item("9. 残差")
    '9\\. 残差'
    """
    return re.sub(r"^(\d+)\.", r"\1\\.", _md_cell(text))


def _md_cell(text: object) -> str:
    """Collection text inside a table cell: pipes and newlines would break the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


# --------------------------------------------------------------- interview


def question_markdown(collection: Any, question_id: str, prompt: str | None = None, kind: str = "main",
                      progress_label: str = "", lang: str = "zh") -> str:
    """The question as the interviewer asks it in the chat."""
    lang = _lang(lang)
    q = _question(collection, question_id)
    title = followup_prompt(prompt, lang) if prompt else (q.asked_title if q is not None else question_id)
    tag = t("followup", lang) if kind == "followup" else t("question", lang)
    head = f"**{tag}" + (f" {escape_inline(progress_label)}**" if progress_label else "**")
    lines = [head, "", f"### {title}"]
    if q is not None:
        parts = "" if prompt and _FOLLOWUP_EXPAND.fullmatch(prompt) else asked_parts_line(
            collection, question_id, lang, escape=escape_inline)
        if parts:
            lines += ["", parts]
        lines += ["", f"<sub>{escape_inline(q.section)}</sub>"]
        if hasattr(collection, "is_answered") and not collection.is_answered(question_id):
            lines += ["", f"_{t('no_ref_question', lang)}_"]
        elif hasattr(collection, "has_prose_reference") and not collection.has_prose_reference(question_id):
            lines += ["", f"_{t('code_only_question', lang)}_"]
    return "\n".join(lines)


def asked_parts_line(collection: Any, question_id: str, lang: str = "zh",
                     escape: Callable[[str], str] = lambda s: s) -> str:
    """``本题包括：损失函数；为什么用log损失…`` for a question asked through its sub-questions
    (:meth:`Collection.asked_parts`), else ``""``; ``escape`` is applied to each title (Markdown)."""
    if not hasattr(collection, "asked_parts") or question_id not in getattr(collection, "questions", {}):
        return ""
    titles = [escape(p.title) for p in collection.asked_parts(question_id)]
    return t("asked_parts", lang) + ("; " if _lang(lang) == "en" else "；").join(titles) if titles else ""


def answer_markdown(answer: str, lang: str = "zh") -> str:
    """The user's answer as shown in the chat (escaped)."""
    text = escape_text(answer)
    return text if text else f"_{t('empty_answer', lang)}_"


def feedback_markdown(result: Any, collection: Any = None, lang: str = "zh", followup_next: bool = False,
                      max_points: int = 5, reference_shown: bool = False) -> str:
    """The interviewer's reply to an answer: score and band, then the scorer's explanation.

    The scorer's ``message`` already names covered and missed points; when a
    result has no message, the covered / missed terms and a better-matching
    question are listed here instead. It ends with what to click next; the
    reference is offered only when it is not shown already (``reference_shown``).
    """
    lang = _lang(lang)
    kind = _get(result, "kind", "scored") or "scored"
    score = _get(result, "score")
    band = band_label(_get(result, "band"), lang)
    message = result_message(result, lang)
    sep = "：" if lang == "zh" else ": "
    lines: list[str] = []
    if score is not None:
        head = f"**{t('score', lang)}{sep}{format_score(score)}/100**"
        if band:
            head += f" · {escape_inline(band)}"
        lines.append(head)
    if kind in ("non_answer", "off_topic"):
        lines += ["", f"**{t(kind, lang)}**"]
    if message:
        lines += ["", escape_text(message)]
    else:
        better = _get(result, "better_match")
        if better:
            bq = _question(collection, better)
            name = bq.display_path if bq is not None else str(better)
            lines += ["", f"{t('better_match', lang)}**{escape_inline(name)}**"]
        covered = [_point_text(p) for p in (_get(result, "covered") or [])][:max_points]
        missed = [_point_text(p) for p in (_get(result, "missed") or [])][:max_points]
        if covered:
            lines += ["", f"✅ {t('covered', lang)}{sep}" + "、".join(escape_inline(c, 80) for c in covered)]
        if missed:
            lines += ["", f"❌ {t('missed', lang)}{sep}" + "、".join(escape_inline(m, 80) for m in missed)]
    for notice in _get(result, "notices") or []:
        lines += ["", f"> ℹ️ {escape_inline(localize(notice, lang), 400)}"]
    after = "followup_next" if followup_next else "next_hint_note" if reference_shown else "next_hint"
    lines += ["", f"_{t(after, lang)}_"]
    return "\n".join(lines).strip()


def score_panel_markdown(result: Any, lang: str = "zh", noted: bool | str = False) -> str:
    """The score beside the chat: big number, band and the components table.

    ``noted``: the answer went to a question without a reference and was kept as a note (no score);
    ``"code_only"`` when the reference is code or a table of figures only.
    """
    lang = _lang(lang)
    if result is None and noted:
        sep = "：" if lang == "zh" else ": "
        why = t("noted_code_only" if noted == "code_only" else "noted", lang)
        return f"### {t('score', lang)}{sep}— / 100\n\n_{why}_"
    if result is None:
        return f"### {t('score', lang)}\n\n_{t('no_score_yet', lang)}_"
    score = _get(result, "score")
    band = band_label(_get(result, "band"), lang)
    kind = _get(result, "kind", "scored") or "scored"
    lines = [f"### {t('score', lang)}：{format_score(score)} / 100" if lang == "zh"
             else f"### {t('score', lang)}: {format_score(score)} / 100"]
    if band:
        lines += ["", f"**{t('band', lang)}**: {escape_inline(band)}"]
    if score is None and kind in ("non_answer", "off_topic"):
        lines += ["", f"_{t(kind, lang)}_"]
    components = _get(result, "components") or {}
    rows = [(str(k), v) for k, v in components.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)] \
        if isinstance(components, dict) else []
    shown = [(k, v) for k, v in rows if k in SHOWN_COMPONENTS]
    rows = sorted(shown, key=lambda kv: SHOWN_COMPONENTS.index(kv[0])) or rows
    if rows:
        lines += ["", f"| {t('components', lang)} | {t('value', lang)} |", "| --- | ---: |"]
        lines += [f"| {escape_inline(component_label(k, lang))} | {_component_value(float(v))} |" for k, v in rows]
    return "\n".join(lines)


def points_markdown(result: Any, lang: str = "zh", max_points: int = 12) -> str:
    """Covered and missed key terms, then the covered / missed key points (sentences) when the scorer gives them.

    A point is reference text as Markdown: its formulas between dollars are typeset (``latex_delimiters``).
    """
    lang = _lang(lang)
    if result is None:
        return ""
    out: list[str] = []
    for key, terms_field, points_field, empty in (("covered", "covered", "covered_points", "nothing_covered"),
                                                  ("missed", "missed", "missed_points", "nothing_missed")):
        mark = "✅" if key == "covered" else "❌"
        every_term = [_point_text(p) for p in (_get(result, terms_field) or [])]
        terms = every_term[:max_points]
        points = [_point_text(p) for p in (_get(result, points_field) or [])][:5]
        out += [f"**{mark} {t(key, lang)}**", ""]
        if terms:
            total = in_all(len(every_term), lang) if len(every_term) > len(terms) else ""  # cut short: says so
            out.append("、".join(f"`{_code(x)}`" for x in terms) + total)
        if points:  # a point that is one formula (a line of a display formula) is never cut: it would show raw
            out += [""] + [f"- {escape_inline(x, None if is_one_formula(x) else 160)}" for x in points]
        if not terms and not points:
            out.append(f"_{t(empty, lang)}_")
        out.append("")
    return "\n".join(out).strip()


def _code(text: str, max_chars: int = 60) -> str:
    """Text for a code span: one line, short, no backticks (a code span shows its characters literally)."""
    return " ".join(str(text).split())[:max_chars].replace("`", "'")


def _passage_parts(hit: Any) -> tuple[str, int | None, str | None, str]:
    """(question id, line, ``file:line`` if given, Markdown text) of a PassageHit, Passage or MissedPassage."""
    passage = _get(hit, "passage", None) or hit
    qid = str(_get(passage, "question_id", "") or "")
    line = _get(passage, "line_start")
    loc = _get(hit, "location")
    text = _get(passage, "markdown") or _get(passage, "text") or ""
    return qid, line if isinstance(line, int) else None, loc if isinstance(loc, str) and loc else None, str(text)


def passage_block(hit: Any, collection: Any, n: int | None = None) -> str:
    """One retrieved passage with where it comes from (section › question, file:line)."""
    qid, line, loc, text = _passage_parts(hit)
    number = f"{n}. " if n is not None else ""
    q = _question(collection, qid)
    if loc is not None and q is not None:
        where = f"{q.display_path} · `{_code(loc, 200)}`"
    else:
        where = location(collection, qid, line)
    return f"**{number}📍 {where}**\n\n{text.strip()}"


def passages_markdown(hits: Sequence[Any], collection: Any, lang: str = "zh", title: str | None = None) -> str:
    """Retrieved passages, each with its location, separated by rules."""
    lang = _lang(lang)
    heading = f"### {title or t('sources', lang)}"
    if not hits:
        return f"{heading}\n\n_{t('no_sources', lang)}_"
    blocks = [passage_block(h, collection, i) for i, h in enumerate(hits, 1)]
    return heading + "\n\n" + "\n\n---\n\n".join(blocks)


def reference_markdown(collection: Any, question_id: str, lang: str = "zh") -> str:
    """The full reference answer of a question (collection Markdown: LaTeX and code intact)."""
    lang = _lang(lang)
    q = _question(collection, question_id)
    if q is None:
        return ""
    body = collection.answer_markdown(question_id).strip() if hasattr(collection, "answer_markdown") else ""
    lines = [f"### {t('reference', lang)}：{q.title}" if lang == "zh" else f"### {t('reference', lang)}: {q.title}",
             "", f"<sub>{location(collection, question_id)}</sub>", ""]
    answered = collection.is_answered(question_id) if hasattr(collection, "is_answered") else bool(body)
    if not answered:  # sub-question headings alone are no reference answer: say so above them
        lines.append(f"_{t('no_reference', lang)}_")
        if body:
            lines += ["", body]
    else:
        lines.append(body)
    refs = getattr(q, "references", None) or []
    if refs:
        ends_with_rule = bool(re.search(r"(?:^|\n)\s*(?:-{3,}|\*{3,}|_{3,})\s*$", "\n".join(lines)))
        lines += ["", *([] if ends_with_rule else ["---", ""])] + [f"- {link_markdown(r)}" for r in refs[:10]]
    return "\n".join(lines)


_LINK = re.compile(r"\[([^\]\n]*)\]\((https?://[^\s()]+)\)|(https?://[^\s<>()\[\]]+)")


def link_markdown(text: str, max_chars: int = 300) -> str:
    r"""One reference line with its http(s) links clickable and everything else escaped.

    ``[title](url)`` stays a link (title escaped), a bare URL becomes an autolink;
    other link targets (``javascript:``, relative paths) stay text.

    >>> link_markdown("[L1 *与* L2](https://a.b/c) 见 https://x.y/z")
    '[L1 \\*与\\* L2](https://a.b/c) 见 <https://x.y/z>'
    """
    text = " ".join(str(text).replace("\ue000", "").split())[:max_chars]
    links: list[str] = []

    def stash(m: re.Match[str]) -> str:
        url = m.group(2) or m.group(3)
        links.append(f"[{escape_inline(m.group(1), None) or url}]({url})" if m.group(2) else f"<{url}>")
        return f"\ue000{len(links) - 1}\ue000"

    escaped = escape_text(_LINK.sub(stash, text))
    return re.sub(r"\ue000(\d+)\ue000", lambda m: links[int(m.group(1))], escaped)


def hint_markdown(terms: Iterable[str], lang: str = "zh") -> str:
    lang = _lang(lang)
    terms = [str(x) for x in terms if str(x).strip()]
    if not terms:
        return f"💡 {t('no_hint', lang)}"
    colon, comma = ("：", "、") if lang == "zh" else (": ", ", ")
    return f"💡 **{t('hint', lang)}**{colon}{t('hint_terms', lang)}" + comma.join(
        f"**{escape_inline(x, 60)}**" for x in terms)


def note_markdown(related: Sequence[Any], collection: Any, lang: str = "zh", code_only: bool = False) -> str:
    """Reply to an answer on a question without a reference (or with a reference that is only code):
    saved as a note, plus related passages."""
    lang = _lang(lang)
    lines = [f"📝 {t('noted_code_only' if code_only else 'noted', lang)}"]
    if related:
        lines += ["", f"**{t('related', lang)}**" + ("：" if lang == "zh" else ":")]
        seen: set[str] = set()
        for h in related:  # one line per question: two passages of one question would read as a repeat
            qid, line, _loc, _text = _passage_parts(h)
            if qid not in seen:
                seen.add(qid)
                lines.append(f"- {location(collection, qid, line)}")
    lines += ["", f"_{t('next_hint_note', lang)}_"]  # there is no reference answer to point to
    return "\n".join(lines)


def summary_markdown(summary: Any, collection: Any = None, lang: str = "zh") -> str:
    """End-of-interview report: counts (the interview's questions, follow-ups apart), mean score, weakest
    answers, every turn."""
    lang = _lang(lang)
    mean = _get(summary, "mean_score")
    lines = [f"## 🏁 {t('summary', lang)}", "",
             f"| {t('asked', lang)} | {t('answered', lang)} | {t('skipped_n', lang)} | {t('followups_n', lang)} "
             f"| {t('notes', lang)} | {t('mean', lang)} |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| {_get(summary, 'asked', 0)} | {_get(summary, 'answered', 0)} | {_get(summary, 'skipped', 0)} "
             f"| {_get(summary, 'followups', 0)} | {_get(summary, 'notes', 0)} | {format_score(mean)} |"]
    weakest = _get(summary, "weakest") or []
    if weakest:
        lines += ["", f"**{t('weakest_in_session', lang)}**", ""]
        lines += [f"- {_list_item(path)} — {format_score(score)}" for path, score in weakest]
    counted = _get(summary, "counted", None)
    if _get(summary, "mean_leaves_out", False) and isinstance(counted, int):
        lines += ["", f"_{t('mean_leaves_out', lang).format(n=counted, answers=plural(counted, 'answer'))}_"]
    turns = [x for x in (_get(summary, "turns") or []) if _get(x, "status") != "pending"]
    if turns:
        lines += ["", f"**{t('turns', lang)}**", ""]
        for turn in turns:  # a bullet list: headings carry their own numbers ("1. 1. DataParallel" read badly)
            q = _question(collection, _get(turn, "question_id"))
            title = q.asked_title if q is not None else _get(turn, "prompt", "")
            status = _get(turn, "status", "pending")
            score = _get(_get(turn, "result"), "score") if _get(turn, "result") is not None else None
            mark = format_score(score) if score is not None else t(f"status_{status}", lang) \
                if f"status_{status}" in _TEXT else status
            followup = _get(turn, "kind") == "followup"
            focus = _get(turn, "focus") if followup else None  # the key term a one-point follow-up is about
            tag = f"{t('followup', lang)}「{escape_inline(focus, 40)}」 · " if focus else \
                f"{t('followup', lang)} · " if followup else ""
            aside = ""
            if score is not None and (focus or _get(turn, "after_reference")):
                aside = f" _({t('not_counted', lang)})_"
            lines.append(f"- {tag}{_list_item(title)} — **{mark}**{aside}")
    return "\n".join(lines)


# ------------------------------------------------------------------ search


def search_results_markdown(hits: Sequence[Any], query: str, collection: Any, lang: str = "zh",
                            max_passage_chars: int = 600, searched_for: str | None = None) -> str:
    """Matching questions, each with its best passages and their locations.

    ``searched_for``: the query actually run, when the index respelled a mistyped word.
    """
    lang = _lang(lang)
    head = f"### {t('search_results', lang)}：{escape_inline(query, 120)}" if lang == "zh" else \
        f"### {t('search_results', lang)}: {escape_inline(query, 120)}"
    if not hits:
        return f"{head}\n\n_{t('no_results', lang)}_"
    out = [head]
    if searched_for and searched_for.strip() != query.strip():
        out += ["", f"ℹ️ {t('respelled', lang)}" + ("：" if lang == "zh" else ": ") + f"**{escape_inline(searched_for, 120)}**"]
    if _get(hits[0], "by_kind", False):
        out += ["", f"ℹ️ _{t('by_kind', lang)}_"]
    elif weak_match(hits[0]):
        out += ["", f"ℹ️ _{t('weak_match', lang)}_"]
    for hit in hits:
        q = _get(hit, "question")
        focus = _get(hit, "focus")
        answered = collection.is_answered(q.id) if hasattr(collection, "is_answered") else True
        mark = "✅" if answered else "⬜"
        out += ["", "---", "", f"#### {_get(hit, 'rank', '')}. {mark} {q.title}",
                f"<sub>{location(collection, q.id)}</sub>"]
        if focus is not None and focus.id != q.id:
            out.append(f"<sub>{t('match_in', lang)}: {_md_cell(focus.display_path)}</sub>")
        for p in _get(hit, "passages") or []:
            passage = _get(p, "passage", p)
            text = (_get(passage, "markdown") or _get(passage, "text") or "").strip()
            if len(text) > max_passage_chars:
                text = _get(passage, "text", text)[:max_passage_chars].rstrip() + "…"
                text = escape_text(text)
            out += ["", f"📍 `{_source_of(collection, passage)}` — {_md_cell(_path_of(collection, passage))}", "", text]
        if not answered:
            out += ["", f"_{t('no_reference', lang)}_"]
    return "\n".join(out)


def weak_match(hit: Any) -> bool:
    """True when the best hit's heading shares no word or concept with the query (only its text mentions some):
    the ranking is then mostly the embedding's guess, and the user should know."""
    parts = _get(hit, "components") or {}
    keys = ("bm25_title", "bm25_alias", "concept")
    return isinstance(parts, dict) and all(k in parts for k in keys[:2]) and all(parts.get(k, 0.0) <= 0 for k in keys)


def _path_of(collection: Any, passage: Any) -> str:
    q = _question(collection, _get(passage, "question_id"))
    return q.display_path if q is not None else str(_get(passage, "question_id", ""))


def _source_of(collection: Any, passage: Any) -> str:
    q = _question(collection, _get(passage, "question_id"))
    source = q.source if q is not None else "?"
    return f"{source}:{_get(passage, 'line_start', '?')}"


# -------------------------------------------------------------------- tree


def _heading_text(collection: Any, question_id: str) -> str:
    """Section, ancestors' titles and the title of a heading, lowercased: what the filter reads."""
    q = collection.questions[question_id]
    titles = [a.title for a in collection.ancestors(question_id)] + [q.title]
    return " ".join([q.section, *titles]).lower()


def filter_words(query: str) -> list[str]:
    """The filter's words: whitespace-separated, lowercased, without repeats.

    >>> filter_words("  正则   Dropout 正则 ")
    ['正则', 'dropout']
    """
    return list(dict.fromkeys((query or "").lower().split()))


def _tree_ids(collection: Any, words: Sequence[str], match_all: bool) -> list[str]:
    """Heading ids in document order whose text holds all (or any) of ``words``, with context.

    A matching heading keeps its ancestors (so the tree stays readable) and all
    its sub-questions.
    """
    test = all if match_all else any
    out: list[str] = []
    for section in collection.sections:
        for top in section.question_ids:
            ids = [top] + [d.id for d in collection.descendants(top)]
            if words:
                keep: set[str] = set()
                for qid in ids:
                    text = _heading_text(collection, qid)
                    if test(w in text for w in words):
                        keep.add(qid)
                        keep.update(a.id for a in collection.ancestors(qid))
                        keep.update(d.id for d in collection.descendants(qid))
                ids = [i for i in ids if i in keep]
            out.extend(ids)
    return out


def tree_match(collection: Any, query: str = "") -> tuple[list[str], bool]:
    """(heading ids the filter keeps, whether every word matched together).

    Every word of the query must appear in a heading's section, ancestors or
    title ("正则 dropout" keeps Dropout under 正则化). When no heading holds them
    all, headings holding any of them are kept instead, and the flag is False
    so the page can say so.
    """
    words = filter_words(query)
    ids = _tree_ids(collection, words, match_all=True)
    if ids or len(words) < 2:
        return ids, True
    return _tree_ids(collection, words, match_all=False), False


def tree_entries(collection: Any, query: str = "") -> list[tuple[str, str, int, bool]]:
    """(question id, title, depth, answered) of every heading the filter keeps, document order.

    See :func:`tree_match` for how the filter reads ``query`` (case-insensitive).
    """
    return _entries(collection, tree_match(collection, query)[0])


def _entries(collection: Any, ids: Sequence[str]) -> list[tuple[str, str, int, bool]]:
    """(question id, title, depth, answered) of ``ids``."""
    return [(qid, collection.questions[qid].title, len(collection.ancestors(qid)), collection.is_answered(qid))
            for qid in ids]


def tree_markdown(collection: Any, query: str = "", lang: str = "zh", max_items: int = 400) -> str:
    """The question tree: sections › questions › sub-questions, with answered marks."""
    lang = _lang(lang)
    ids, all_words = tree_match(collection, query)
    entries = {qid: (title, depth, ok) for qid, title, depth, ok in _entries(collection, ids)}
    if not entries:
        return f"_{t('tree_empty', lang)}_"
    lines = [f"<sub>{t('tree_legend', lang)}</sub>"]
    if not all_words:
        lines += ["", f"_{t('tree_any_word', lang)}_"]
    shown = 0
    for section in collection.sections:
        ids = [q for top in section.question_ids for q in [top] + [d.id for d in collection.descendants(top)]
               if q in entries]
        if not ids:
            continue
        units = len(collection.units([section.id])) if hasattr(collection, "units") else len(section.question_ids)
        lines += ["", f"#### {_md_cell(section.title)} <sub>({units} {t('questions_n', lang)})</sub>", ""]
        for qid in ids:
            if shown >= max_items:
                break
            title, depth, ok = entries[qid]
            lines.append(f"{'  ' * depth}- {'✅' if ok else '⬜'} {_md_cell(title)}")
            shown += 1
    if shown >= max_items and len(entries) > max_items:
        lines += ["", f"_… ({len(entries) - max_items})_"]
    return "\n".join(lines)


def tree_choices(collection: Any, query: str = "") -> list[tuple[str, str]]:
    """(label, question id) for a question picker: indented titles with marks, section first."""
    out: list[tuple[str, str]] = []
    for qid, title, depth, ok in tree_entries(collection, query):
        q = collection.questions[qid]
        label = ("　" * depth) + ("✅ " if ok else "⬜ ") + (f"{q.section} › " if depth == 0 else "") + title
        out.append((label, qid))
    return out


# ---------------------------------------------------------------- progress


def mastery_rows(section_mastery: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows for a per-section mastery chart: section, mastery (0–100), questions, attempts."""
    rows = []
    for s in section_mastery:
        rows.append({
            "section": str(_get(s, "section", "") or "—"),
            "mastery": round(float(_get(s, "mastery", 0.0) or 0.0), 1),
            "questions": int(_get(s, "attempted_questions", 0) or 0),
            "attempts": int(_get(s, "attempts", 0) or 0),
        })
    return rows


def stats_markdown(stats: Any, lang: str = "zh", profile_label: str | None = None) -> str:
    lang = _lang(lang)
    attempts = _get(stats, "attempts", 0) or 0
    lines = [f"### {t('overview', lang)}", ""]
    if profile_label:
        lines += [f"{t('profile', lang)}: `{_code(profile_label, 80)}`", ""]
    if not attempts:
        lines.append(f"_{t('no_progress', lang)}_")
        return "\n".join(lines)
    lines += [
        f"| {t('attempts', lang)} | {t('practised', lang)} | {t('mean', lang)} | {t('mean_mastery', lang)} "
        f"| {t('due_now', lang)} | {t('sessions', lang)} |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {attempts} ({_get(stats, 'scored_attempts', 0)} {t('scored', lang)}) "
        f"| {_get(stats, 'questions_attempted', 0)} | {format_score(_get(stats, 'mean_score'))} "
        f"| {format_score(_get(stats, 'mean_mastery'))} | {_get(stats, 'due_now', 0)} "
        f"| {_get(stats, 'sessions', 0)} |",
    ]
    seen = _get(stats, "reference_seen", 0) or 0
    if seen:  # else a scored attempt next to "mean —" reads as a contradiction
        lines += ["", f"_{t('seen_not_counted', lang).format(n=seen)}_"]
    return "\n".join(lines)


def listed_title(collection: Any, question_id: str) -> tuple[str, str]:
    """(title, section) of a question in a progress list; a sub-question is named with its parents
    ("14. 深度学习的模型参数量计算 › RNN", :attr:`~corpus.model.Question.asked_title`): "RNN" alone does not
    say which question it belongs to."""
    q = _question(collection, question_id)
    if q is None:
        return question_id, ""
    return q.asked_title, q.section


@dataclass(frozen=True)
class SectionGap:
    """A section with questions to practise and no counted answer (see :func:`section_gaps`)."""

    section: str
    questions: int  # its interview questions, counted as Browse counts them
    scorable: int  # of those, the ones with a reference answer in words: scored, and asked by default
    answered: bool  # answered, but no answer counted toward mastery (after the reference, notes, ...)


def section_gaps(collection: Any, counted: AbstractSet[str], answered: AbstractSet[str] = frozenset()
                 ) -> list[SectionGap]:
    """Sections with scorable questions and no counted answer, in document order: a gap report must name them,
    although they have no mastery to chart.

    ``counted``: sections with an answer counted toward mastery (the chart's); ``answered``: sections with any
    answer (:meth:`~interviewer.progress.ProgressStore.answered_sections`). A section answered only in ways
    that do not count was practised all the same: it is marked ``answered``, not listed as not practised.
    Both counts are given, so the number matches Browse's and says how many of them can be scored.
    """
    out = []
    for section in getattr(collection, "sections", []):
        if section.title in counted:
            continue
        units = collection.units([section.id])
        scorable = sum(1 for q in units if collection.has_prose_reference(q.id))
        if scorable:
            out.append(SectionGap(section.title, len(units), scorable, section.title in answered))
    return out


def _gap_names(gaps: Sequence[SectionGap], lang: str) -> str:
    """``经典网络 (7 题，其中 2 题可打分)、RNN&LSTM (8 题)``: a section and its question counts."""
    def count(g: SectionGap) -> str:
        if g.scorable != g.questions:
            return t("gap_count_scorable", lang).format(n=g.questions, k=g.scorable)
        text = t("gap_count", lang).format(n=g.questions)
        return text + ("s" if lang == "en" and g.questions != 1 else "")
    return ("、" if lang == "zh" else ", ").join(f"{_md_cell(g.section)} ({count(g)})" for g in gaps)


def weakest_markdown(weakest: Sequence[tuple[str, float]], collection: Any, lang: str = "zh",
                     practised: bool = False, gaps: Sequence[SectionGap] = ()) -> str:
    """The questions that need work; ``practised`` says whether any question has a score at all, and
    ``gaps`` (:func:`section_gaps`) lists after them the sections not practised yet and those answered
    without any answer counted."""
    lang = _lang(lang)
    lines = [f"### {t('weakest', lang)}", ""]
    colon = "：" if lang == "zh" else ": "
    not_yet = [g for g in gaps if not g.answered]
    uncounted = [g for g in gaps if g.answered]
    gap: list[str] = []
    shown: list[SectionGap] = []
    if not_yet and (practised or uncounted):  # before any answer every section is unpractised: that adds nothing
        gap += ["", f"**{t('unpractised', lang)}**{colon}{_gap_names(not_yet, lang)}"]
        shown += not_yet
    if uncounted:
        why = f"（{t('uncounted_why', lang)}）" if lang == "zh" else f" ({t('uncounted_why', lang)})"
        gap += ["", f"**{t('answered_uncounted', lang)}**{colon}{_gap_names(uncounted, lang)}{why}"]
        shown += uncounted
    if any(g.scorable != g.questions for g in shown):  # "7 题，其中 2 题可打分": say what each number counts
        gap += ["", f"<sub>{t('gap_count_note', lang)}</sub>"]
    if not weakest:
        return "\n".join(lines + [f"_{t('nothing_needs_work' if practised else 'no_weakest', lang)}_"] + gap)
    lines += [f"| # | {t('question', lang)} | {t('section', lang)} | {t('mastery', lang)} |",
              "| ---: | --- | --- | ---: |"]
    for i, (qid, mastery) in enumerate(weakest, 1):
        title, section = listed_title(collection, qid)
        lines.append(f"| {i} | {_md_cell(title)} | {_md_cell(section)} | {format_score(mastery)} |")
    return "\n".join(lines + gap)


def wait_text(seconds: float, lang: str = "zh") -> str:
    """A wait in words, rounded up: 1–59 minutes, then hours, then days.

    >>> wait_text(600, "zh"), wait_text(7200, "en"), wait_text(3 * 86400, "en")
    ('10 分钟', '2 h', '3 days')
    """
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 60:
        return t("minutes", lang).format(n=minutes)
    if minutes < 48 * 60:
        return t("hours", lang).format(n=math.ceil(minutes / 60))
    return t("days", lang).format(n=math.ceil(minutes / 1440))


def due_markdown(due: Sequence[str], collection: Any, states: dict[str, Any] | None = None,
                 lang: str = "zh", limit: int = 20, now: float | None = None) -> str:
    """Questions due for review; when none is, which one comes next and when (``states``: every scheduled
    question's review state, ``now``: epoch seconds, both needed for that line)."""
    lang = _lang(lang)
    lines = [f"### {t('due', lang)}", ""]
    states = states or {}
    if not due:
        lines.append(f"_{t('no_due', lang)}_")
        upcoming = [(s.due_at, qid) for qid, s in states.items() if getattr(s, "due_at", None) is not None]
        if upcoming and now is not None:
            at, qid = min(upcoming)
            title = escape_inline(listed_title(collection, qid)[0], 120)
            lines.append(f"\n{t('next_due', lang).format(title=title, when=wait_text(at - now, lang))}")
        return "\n".join(lines)
    lines += [f"| {t('question', lang)} | {t('section', lang)} | {t('last_score', lang)} |", "| --- | --- | ---: |"]
    for qid in due[:limit]:
        title, section = listed_title(collection, qid)
        last = _get(states.get(qid), "last_score") if qid in states else None
        lines.append(f"| {_md_cell(title)} | {_md_cell(section)} | {format_score(last)} |")
    if len(due) > limit:
        lines.append(f"\n_… +{len(due) - limit}_")
    return "\n".join(lines)


def history_markdown(attempts: Sequence[Any], lang: str = "zh", limit: int = 20, answer_chars: int = 120,
                     collection: Any = None) -> str:
    """Recent attempts, newest first; the user's answers are escaped.

    A question still in ``collection`` is named as it is asked now (with its parent questions, see
    :func:`listed_title`), also in attempts saved before titles carried them; else by its recorded title.
    """
    lang = _lang(lang)
    lines = [f"### {t('history', lang)}", ""]
    if not attempts:
        return "\n".join(lines + [f"_{t('no_history', lang)}_"])
    lines += [f"| {t('time', lang)} | {t('question', lang)} | {t('kind', lang)} | {t('score', lang)} "
              f"| {t('your_answer', lang)} |", "| --- | --- | --- | ---: | --- |"]
    for a in list(attempts)[:limit]:
        kind = _get(a, "kind", "")
        kind_label = t(f"kind_{kind}", lang) if f"kind_{kind}" in _TEXT else escape_inline(kind)
        # attempts kept but left out of mastery say so (see interviewer.progress)
        if _get(a, "focus", ""):
            kind_label += f" ({escape_inline(t('not_counted_focus', lang).format(term=_get(a, 'focus')), 60)})"
        elif _get(a, "reference_shown", False):
            kind_label += f" ({t('not_counted_seen', lang)})"
        answer = escape_inline(_get(a, "answer", ""), answer_chars)
        known = _question(collection, _get(a, "question_id"))
        title = listed_title(collection, known.id)[0] if known is not None else _get(a, "question_title", "")
        lines.append(f"| {_ts(_get(a, 'created_at'))} | {escape_inline(title, 80)} "
                     f"| {kind_label} | {format_score(_get(a, 'score'))} | {answer} |")
    return "\n".join(lines)
