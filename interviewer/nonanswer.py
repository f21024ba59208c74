"""Recognise answers that are not answers, and clean raw input before scoring.

Why: a semantic model always returns *some* similarity, so "不知道", "asdfgh"
or a copy of the question title would get a made-up score. These cases are
caught first, by cheap rules, and reported with a friendly bilingual message
instead of a score. Kinds:

``empty``        nothing but whitespace
``symbols_only`` only emoji / punctuation / symbols
``dont_know``    不知道 / 不会 / 没学过 / I don't know / no idea ...
``skip``         pass / skip / 跳过 / 下一题 ...
``gibberish``    keyboard mashing (asdfgh, sdfsdfsdf), 啊啊啊, random Latin letters
``filler``       only filler and vague talk (嗯这个问题很好，具体情况具体分析)
``restatement``  only the words of the question itself, nothing new

:func:`clean_answer` removes control characters and binary junk and cuts very
long input (with a notice), so that later stages see bounded, printable text.
Everything here is a pure function; the module holds no mutable state.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from index.tokenize import STOPWORDS, Tokenizer, normalise

MAX_ANSWER_CHARS = 4000

# What a non-answer is told, by kind: (中文, English), each a whole message in one language. The one source of
# these texts: the web app shows the UI's language (interviewer.render.result_message), the terminal both.
TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("没有收到回答。试着用自己的话写下你知道的要点。",
              "No answer was given. Write down what you know in your own words."),
    "symbols_only": ("回答里只有表情或标点符号，没有可以评分的内容。",
                     "The answer contains only emoji or punctuation — nothing to score."),
    "dont_know": ("看起来你还不会这道题：先看看参考答案，稍后再练。",
                  "Looks like you don't know this one yet: review the reference and try again later."),
    "skip": ("你回答了“跳过”：记为 0 分，这道题之后会再出现（不留分数地跳过请用“跳过”按钮或 :skip）。",
             "You answered “pass”: it counts as 0 and the question will come back later (to skip without a score, "
             "use the Skip button or :skip)."),
    "gibberish": ("这看起来像是随手敲的字符，请输入真正的回答。",
                  "This looks like random typing — please type a real answer."),
    "filler": ("回答里只有客套话或空泛的说法，没有具体的知识点（例如定义、原因、公式）。",
               "Only filler or vague talk, no concrete point (e.g. a definition, a reason, a formula)."),
    "restatement": ("你只是复述了题目，没有给出新的内容：说说原因、定义或区别。",
                    "You restated the question without answering it — explain the why, the what or the difference."),
}
# The same, to a follow-up on one key term (``{focus}``), where they differ: the answer is about that point.
FOCUS_TEXTS: dict[str, tuple[str, str]] = {
    "dont_know": ("看起来你还不清楚「{focus}」这一点：先看看参考答案里讲它的部分。",
                  "Looks like you don't know “{focus}” yet: read what the reference says about it."),
    "skip": ("你跳过了这个追问。", "You skipped this follow-up."),
}


def texts(kind: str, focus: str | None = None) -> tuple[str, str]:
    """(中文, English) of the message for a non-answer of ``kind`` (to a follow-up on ``focus``, if any).

    >>> texts("skip", focus="稀疏")
    ('你跳过了这个追问。', 'You skipped this follow-up.')
    """
    if focus and kind in FOCUS_TEXTS:
        zh, en = FOCUS_TEXTS[kind]
        return zh.format(focus=focus), en.format(focus=focus)
    return TEXTS[kind]


def bilingual(kind: str, focus: str | None = None) -> str:
    """The message as ``"中文 / English"``: the scorer's message, which :func:`interviewer.render.localize` splits.

    >>> bilingual("empty")
    '没有收到回答。试着用自己的话写下你知道的要点。 / No answer was given. Write down what you know in your own words.'
    """
    zh, en = texts(kind, focus)
    return f"{zh} / {en}"


# the bilingual message of each kind (derived from TEXTS, never edited on its own)
MESSAGES: dict[str, str] = {kind: bilingual(kind) for kind in TEXTS}

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_KEEP_CONTROL = {"\n", "\t"}
# zero-width joiner / variation selectors are part of emoji sequences: harmless, but keep the text tidy
_KEEP_FORMAT = {"\u200d"}
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[。！？!?；;.\n]")

_DONT_KNOW = [
    "不知道", "不晓得", "不会", "不清楚", "不太清楚", "不了解", "不太了解", "不懂", "没学过", "没学", "没听过", "没听说过",
    "没接触过", "没接触", "没看过", "没复习", "忘了", "忘记了", "想不起来", "记不清", "记不得", "答不上来", "答不出来",
    "说不上来", "不确定", "没思路", "没有思路", "不明白", "不理解", "完全不会", "一点都不会", "一无所知", "不记得",
    "i don't know", "i dont know", "i do not know", "don't know", "dont know", "do not know", "idk", "no idea",
    "not sure", "no clue", "have no clue", "dunno", "i forgot", "forgot", "i have no idea", "i'm not sure",
    "im not sure", "not familiar", "never learned", "never heard", "can't remember", "cannot remember",
    "don't remember", "no clue at all", "i give up", "give up", "放弃",
    "不太确定", "没把握", "答不了", "不会答", "回答不了",
    "can't answer", "cannot answer", "can not answer", "unable to answer",
]
# the same said with an adverb, in the shapes people type: 不太懂, 不怎么熟, 没怎么看过, 没太了解过, 没有学过 …
_DONT_KNOW += sorted({
    f"{neg}{adverb}{verb}{done}"
    for neg, verbs, dones in (("不", ("清楚", "了解", "懂", "会", "熟", "熟悉", "记得", "确定", "理解", "明白"), ("",)),
                              ("没", ("看", "学", "了解", "接触", "研究", "复习", "听说", "用", "见", "做", "遇到"),
                               ("过", "")))
    for adverb in ("", "太", "怎么", "是很", "大", "有", "有怎么")
    for verb in verbs
    for done in dones
    if len(f"{neg}{adverb}{verb}{done}") >= 3  # 没学 / 不会 alone are listed above; 没用 and 没做 are claims
} - set(_DONT_KNOW)) + ["没印象", "没什么印象", "忘光了", "忘得差不多了", "搞不清楚", "搞不懂", "想不起来了", "说不好",
                         "脑子一片空白", "脑子空白", "脑子突然空白", "写不出来", "没学到", "没复习到", "放一放",
                         "don't remember", "do not remember", "haven't come across", "never came across",
                         "pass on this", "move on", "haven't learned", "not learned"]
# "too hard" is a non-answer only when it is all there is: "GAN 挺难训练" is an answer
_TOO_HARD = {"太难了", "太难", "好难", "挺难", "很难", "好难啊", "很难答", "难", "toohard", "sohard", "hard"}
# words about the interview itself, not knowledge ("面试官能换一题吗")
_META = frozenset("面试 面试官 换 能换 换个 换一个 一题 题 下 再 一下 可以 能 吗 interviewer another next one please "
                  "跳过 先 下一题 换题 skip pass move on 这块 这部分 块 部分 东西 这个词 词 诶 哈哈 抱歉".split())
_SKIP = {
    "pass", "skip", "next", "跳过", "跳", "过", "下一题", "下一个", "换一题", "换一个", "略", "无", "没有", "n/a", "na",
    "none", "nothing", "null", "nil", "skip this", "pass this", "next question", "跳过这题", "跳过此题", "算了",
    "不答", "不想答", "不回答", "暂时跳过", "先跳过", "-", "--", "/", "todo", "tbd", "?",
    "同上", "见上", "如上", "next please", "next question please", "next one", "move on", "no comment",
}
# Polite noise, hedges and vague talk that carry no knowledge.
_FILLER_PHRASES = sorted(
    [
        "这个问题很好", "这是个好问题", "这是一个好问题", "好问题", "这个问题", "这道题", "这题", "问得好",
        "具体情况具体分析", "具体问题具体分析", "具体情况", "具体分析", "视情况而定", "看情况", "因情况而异", "因人而异",
        "要看具体", "看具体", "具体还是要看", "要看", "取决于", "各有优缺点", "各有千秋", "各有利弊", "都有道理", "都可以",
        "我觉得", "我认为", "我感觉", "我想", "我猜", "应该是", "可能是", "大概是", "差不多", "怎么说呢", "一言难尽",
        "很复杂", "很重要", "非常重要", "比较重要", "有很多", "很多种", "有好处", "有坏处", "有优点", "有缺点",
        "总之", "总的来说", "综上", "等等", "之类的", "什么的", "反正", "其实", "嗯", "呃", "额", "哦", "噢", "唔",
        "那个", "就是", "然后", "这样", "那样", "吧", "啊", "呀", "吗", "嘛", "哈", "呢", "了", "的", "是", "有",
        "让我想想", "我想想", "想一想", "想一下", "容我想想", "我想一下", "谢谢面试官", "谢谢", "感谢",
        "这道题问的是", "题目问的是", "问题是", "问的是", "题目是", "题目",
        "let me think about it", "thank you", "thanks", "please", "the question is", "the question asks",
        "this question asks", "the question",
        "it depends", "depends", "good question", "great question", "nice question", "well", "um", "uh", "hmm",
        "let me think", "it's complicated", "its complicated", "complicated", "case by case", "in general",
        "generally", "basically", "something like that", "kind of", "sort of", "i think", "i guess", "maybe",
        "probably", "it is important", "important", "a lot", "many things", "many factors", "pros and cons",
    ],
    key=len,
    reverse=True,
)
# Words that name nothing specific: an answer made only of these says nothing.
_VAGUE = frozenset(
    """
    效果 性能 结构 设计 任务 模型 数据 情况 场景 印象 东西 方面 因素 影响 好处 优点 缺点 方法 算法 训练 结果 看看 知道 画出来
    具体 分析 问题 好 不好 比较 看 设计得 有关 关系 有关系 用途 功能 原因 本质 核心 关键 重要 复杂 简单 常见 经验
    实际 实践 理论 角度 层面 思路 过程 步骤 技术 技巧 方式 特点 概念 定义 内容 印象 了解 学习 掌握 好的 不错
    depends thing things stuff performance results data model task situation case factor factors aspect
    principle principles difference differences reason reasons cause causes advantage advantages disadvantage
    disadvantages method methods concept concepts definition idea ideas about ask asks asked question questions
    """.split()
)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_VOWELS = set("aeiouy")


@dataclass(frozen=True)
class CleanedAnswer:
    """Answer text safe to score, and what was done to it."""

    text: str
    notices: tuple[str, ...] = ()
    truncated: bool = False
    removed_chars: int = 0
    original_chars: int = 0


@dataclass(frozen=True)
class NonAnswer:
    """Why an answer is not an answer, with a message for the user."""

    kind: str
    message: str
    details: dict[str, str] = field(default_factory=dict)


def clean_answer(text: object, max_chars: int = MAX_ANSWER_CHARS) -> CleanedAnswer:
    """Strip control characters and binary junk, normalise spaces, cut at ``max_chars``.

    Bytes are decoded as UTF-8 (invalid sequences dropped). HTML is kept as plain
    text: it is never rendered or interpreted here.
    """
    if text is None:
        raw = ""
    elif isinstance(text, (bytes, bytearray)):
        raw = bytes(text).decode("utf-8", errors="ignore")
    else:
        raw = str(text)
    original = len(raw)
    notices: list[str] = []
    # bound the work first: never scan more than a few times the limit
    hard_cap = max_chars * 4
    over_cap = len(raw) > hard_cap
    if over_cap:
        raw = raw[:hard_cap]
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    kept: list[str] = []
    removed = 0
    for ch in raw:
        if ch in _KEEP_CONTROL or ch in _KEEP_FORMAT:
            kept.append(ch)
        elif ch == "\ufffd" or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            removed += 1
        else:
            kept.append(ch)
    cleaned = "".join(kept)
    cleaned = "\n".join(_SPACES.sub(" ", line).strip() for line in cleaned.split("\n"))
    cleaned = _BLANK_LINES.sub("\n\n", cleaned).strip()
    if removed:
        notices.append(f"已移除 {removed} 个控制字符或乱码 / Removed {removed} control or binary characters.")
    truncated = over_cap or len(cleaned) > max_chars
    if len(cleaned) > max_chars:
        cut = cleaned[:max_chars]
        # prefer to stop at a sentence end in the last tenth
        ends = [m.end() for m in _SENTENCE_END.finditer(cut, int(max_chars * 0.9))]
        cleaned = cut[: ends[-1]] if ends else cut
        cleaned = cleaned.rstrip()
    if truncated:
        notices.append(
            f"回答过长（{original} 个字符），只评分了前 {len(cleaned)} 个字符 / "
            f"Answer too long ({original} characters): only the first {len(cleaned)} were scored."
        )
    return CleanedAnswer(cleaned, tuple(notices), truncated, removed, original)


def _compact(text: str) -> str:
    """Lower-case letters, digits and CJK only (drops spaces, punctuation, emoji)."""
    return "".join(ch for ch in normalise(text) if ch.isalnum())


def _has_content_chars(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _strip_phrases(text: str, phrases: Iterable[str]) -> str:
    out = text
    for p in phrases:
        if p in out:
            out = out.replace(p, " ")
    return out


def _is_repetitive(compact: str) -> bool:
    """啊啊啊, 1111, sdfsdfsdf, hahaha: one short unit repeated, or one character dominating."""
    n = len(compact)
    if n < 3:
        return False
    if len(set(compact)) <= 2 and n >= 4:  # "cnn", "all" are words; "aaa" is caught below
        return True
    for unit in range(1, min(4, n // 2) + 1):
        if n >= 2 * unit and all(compact[i] == compact[i % unit] for i in range(n)):
            return True
    top = max(compact.count(c) for c in set(compact))
    return n >= 6 and top / n > 0.6


def _keyboard_score(word: str) -> float:
    """Share of adjacent letter pairs that are neighbours on a keyboard row."""
    if len(word) < 4:
        return 0.0
    hits = 0
    for a, b in zip(word, word[1:]):
        if any(a in row and b in row and abs(row.index(a) - row.index(b)) == 1 for row in _KEYBOARD_ROWS):
            hits += 1
    return hits / (len(word) - 1)


def _keyboard_run(word: str) -> bool:
    """Three neighbouring keys in a row ("qwe", "zxc", "sdf"): too short for :func:`_keyboard_score`."""
    return len(word) == 3 and all(
        any(a in row and b in row and abs(row.index(a) - row.index(b)) == 1 for row in _KEYBOARD_ROWS)
        for a, b in zip(word, word[1:]))


def _unpronounceable(word: str) -> bool:
    if len(word) < 4:
        return False
    vowels = sum(1 for ch in word if ch in _VOWELS)
    if vowels == 0 or vowels / len(word) < 0.2:
        return True
    return re.search(r"[^aeiouy]{5,}", word) is not None


def is_gibberish(text: str, known_words: frozenset[str] | set[str] = frozenset()) -> bool:
    """Keyboard mashing, repeated characters or random Latin letters (no CJK words)."""
    compact = _compact(text)
    if not compact:
        return False
    if _is_repetitive(compact):
        return True
    low = normalise(text)
    if _CJK.search(low):
        # Chinese with no repetition is not judged here (restatement / filler rules apply); a repeated run
        # (哈哈哈, 啊啊啊) is noise, so the Latin letters beside it are judged as if alone
        runs = _CJK_RUN.findall(low)
        if not all(_is_repetitive(run) for run in runs):
            return False
        low = _CJK_RUN.sub(" ", low)
    words = _LATIN_WORD.findall(low)
    if not words:
        return False
    unknown = [w for w in words if w not in known_words]
    if not unknown or len(unknown) < 0.6 * len(words):
        return False
    bad = sum(
        1 for w in unknown
        if _keyboard_score(w) >= 0.5 or _keyboard_run(w) or _unpronounceable(w) or _is_repetitive(w)
    )
    return bad >= max(1, 0.6 * len(unknown))


_PERSONAL = ("我", "你", "真的", "真", "完全", "实在", "抱歉", "对不起", "不好意思", "sorry", "really",
             "this", "one", "question", "这个", "这道题", "这题", "题", "太", "也", "还", "都",
             "the", "answer", "to", "it", "about", "that", "i", "am", "i'm", "at", "all", "yet",
             "own", "了", "啦", "哈", "呢", "啊", "唉", "哎")


def _dont_know(low: str, tokenizer: Tokenizer, title: str = "", title_words: frozenset[str] = frozenset(),
               residue_limit: int = 30) -> bool:
    """"I don't know" (and hedges) with nothing else: no real word left but the question's own.

    "我不太确定，但是降低方差" is an answer (方差 is knowledge); "这个我真的不知道，面试官能换一题吗"
    is not (only words about the interview are left), nor is "伪标签？没听过这个词" (only the question's words).
    """
    if _compact(_strip_phrases(_strip_phrases(low, _FILLER_PHRASES), _PERSONAL)) in _TOO_HARD:
        return True
    if not any(p in low for p in _DONT_KNOW):
        return False
    rest = _strip_phrases(low, sorted(_DONT_KNOW, key=len, reverse=True))
    rest = _strip_phrases(_strip_phrases(rest, _FILLER_PHRASES), _PERSONAL)
    if len(_compact(rest)) > residue_limit:
        return False
    content = [t for t in tokenizer.tokens(rest) if t not in STOPWORDS and t not in _VAGUE and t not in _META
               and t not in _TOO_HARD and t not in title_words and t not in title
               and (len(t) >= 2 if _CJK.search(t) else len(t) >= 3)]
    return not content


def detect_non_answer(
    answer: str,
    title: str = "",
    tokenizer: Tokenizer | None = None,
    known_words: frozenset[str] | set[str] = frozenset(),
    title_tokens: Iterable[str] = (),
) -> NonAnswer | None:
    """Classify ``answer`` (already cleaned) as a non-answer, or return None.

    ``title`` / ``title_tokens`` describe the question (for restatements);
    ``known_words`` are real words (collection vocabulary), never gibberish.
    """
    text = (answer or "").strip()
    if not text:
        return _make("empty")
    if not _has_content_chars(text):
        return _make("symbols_only")
    low = normalise(text)
    compact = _compact(text)
    if compact in _SKIP or low.strip(" .。!！?？~～") in _SKIP:
        return _make("skip")
    tokenizer = tokenizer or Tokenizer()
    # the question's words: tokens given (sub-questions shown with it), its title's tokens and the title as written
    title_set = frozenset(title_tokens) | (frozenset(tokenizer.tokens(title)) if title else frozenset())
    title_text = normalise(title) if title else ""
    if _dont_know(low, tokenizer, title_text, title_set):
        return _make("dont_know")
    stripped = _strip_phrases(low, _FILLER_PHRASES)
    if not _has_content_chars(stripped) and not _is_repetitive(compact):
        return _make("filler")  # "thanks", "hmm": filler words, not random typing
    if is_gibberish(text, known_words):
        return _make("gibberish")
    tokens = [t for t in tokenizer.tokens(stripped) if t not in STOPWORDS and not t.isdigit()]
    if not tokens:
        return _make("filler")
    new = [t for t in tokens if t not in title_set and not any(t in s or s in t for s in title_set if len(s) > 1)
           and t not in title_text]  # 用 of 使用: the title's words as written, stop words included
    # a question that itself negates ("为什么用 F1 而不是算术平均") is said back with any negation ("而不用")
    title_negates = bool(_NEGATION.search(title_text))
    if title_negates:
        new = [t for t in new if not _NEGATION.fullmatch(t)]
    specific = [t for t in new if t not in _VAGUE]
    # "残差就是 F(x)=H(x)-x" says something new, and so does a contrast: "RNN 有循环，FNN 没有" uses only words
    # the title's glossary names (RNN → 循环神经网络) but claims what one has and the other lacks
    contrast = not title_negates and _NEGATION.search(low) and len(set(tokens)) >= 2
    if not specific and not _FORMULA.search(text) and not contrast:
        on_title = len(tokens) - len(new)
        if on_title > 0 and on_title >= len(new):
            return _make("restatement")
        return _make("filler")
    return None


# an equation or inequality between terms (F(x)=H(x)-x, p ≥ 0.5): content, however few words surround it
_FORMULA = re.compile(r"[A-Za-z0-9)\]}|]\s*(?:=|≈|≠|<=|>=|≤|≥|<|>)\s*[A-Za-z0-9(\[{|\\+-]")


# a negation: with two or more named things, a claim about them ("FNN 没有循环"), not the question said again
_NEGATION = re.compile(r"没有|不是|不会|不能|不用|不需要|无法|\bnot\b|\bno\b|n't\b|\bwithout\b")


def _make(kind: str) -> NonAnswer:
    return NonAnswer(kind, bilingual(kind))
