"""Key terms and key points of reference answers, and tolerant matching.

Why: embeddings tell *how close* an answer is to the reference, but not
*which* ideas it contains. The scorer also needs a keyword view, both as a
signal (weighted coverage of the reference's key terms) and for feedback
("you covered 稀疏解, you missed 拉普拉斯先验").

* :class:`TermModel` learns document frequencies over the whole collection
  (one document per question: title plus own text), so a reference's key
  terms are weighted by tf-idf: generic words such as 模型 / 数据 weigh little,
  and terms that only restate the question title weigh less still (restating
  the question is not knowledge).
* Key terms come from the project :class:`~index.tokenize.Tokenizer` (jieba,
  stop words removed), plus English words and formula-ish tokens (``L1``,
  ``F1``, ``1x1``, ``λ``).
* Key points group the terms by the sentence of the reference they come
  from, so feedback can name whole ideas that were covered or missed.
* :func:`match_terms` accepts exact mentions, the other language through the
  glossary (``dropout`` ↔ ``随机失活``), English typos (``dropuot``) and
  Chinese input-method typos (``正则话``) — the latter only when the typed
  word is not itself a real word, so ``欠拟合`` never matches ``过拟合``.

Everything here is read-only after construction and safe to share between
threads.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable, Sequence

import snowballstemmer
from rapidfuzz.distance import OSA

from corpus.model import Collection, Question
from corpus.text import to_plain
from index.chunking import pack
from index.glossary import Concept, Glossary
from index.tokenize import DOMAIN_TERMS, STOPWORDS, Tokenizer, normalise

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9+#]*(?:[-'][a-z0-9]+)*")
_GREEK = re.compile(r"[α-ωΑ-Ω∑∏∂∇]")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
# Words that are frequent in answers but never knowledge on their own.
_GENERIC = frozenset(
    """
    公式 如下 图中 下图 上图 如图 所示 表示 例如 举例 假设 一般来说 总结 总的来说 所谓 称为 叫做 也叫 也就是 就是
    得到 计算 方法 问题 情况 效果 结果 东西 部分 方式 时候 可以 能够 一样 其实 注意 当然 这种 那种 这么 那么 来说
    first second third example note figure following follows above below shown based given get got
    """.split()
)
_ENGLISH_COMMON = frozenset(
    """
    all any each every some many much few other another such same own only just also even still yet already
    one two three four five six seven eight nine ten first last next new old good bad best better high low large
    small big long short great little more less most least over under up down out off into onto upon across
    through during before after above below again further once here there where when while because since until
    unless though although whether either neither both each per via etc ie eg like unlike make makes made get
    gets getting take takes taken give gives given go goes going come comes see seen look show shows shown find
    found need needs needed want wants try tries let lets put puts set sets keep keeps way ways thing things part
    parts case cases time times number numbers value values kind kinds type types point points example examples
    result results method methods problem problems question answer able available necessary possible different
    similar important simple usually often always never sometimes well however therefore thus hence then now
    users user note see following follows true false yes need passes pass inserts insert
    """.split()
)
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+")
_DOMAIN = frozenset(normalise(t) for t in DOMAIN_TERMS)
# Function words by jieba's dictionary tags. Closed classes (pronouns, conjunctions,
# prepositions, particles, modal and interjection words) never name an idea; adverbs and
# time words do only when rare (everyday 不断 / 一直 / 往往 are frequent, while the
# mis-tagged terms 异常 / 更新 / 最优 / 无偏 are not). Numerals / measure words are kept:
# the dictionary tags 层次 / 众数 / 二维 that way.
# (i: idioms, z: status words — 顾名思义 aside, jieba tags 就是指, 大放异彩, 弯弯的 so: prose, never a term)
_CLOSED_POS = frozenset("r c p u y e o i z".split())
# Discourse words the dictionary files under a content tag (顾名思义 as a name, 想象 and 括号 as nouns): never
# shown as a term (display only; the score still weighs them like any other word)
_DISCOURSE_WORDS = frozenset(
    "顾名思义 简言之 也就是说 事实上 一般而言 接下来 以下几点 想象 含义 括号 所述 多点 一堆 两者 二者 目的 这方面"
    # everyday verbs of explanation (看成, 直到, 相当于, 使得) the dictionary tags like any verb: rarer than the
    # everyday threshold, but they carry no idea of their own (technical verbs such as 拟合 or 遗忘 stay)
    " 正如 看成 当成 当做 看做 直到 直至 相当于 使得 可知 没法 拿出 挑选 想要 值得 试图 变得 才能 起到 具备 有着 带有"
    " 含有 涉及 满足 符合 允许 给出 做出 找出 取出 抽出 寻找 查看 观看 阅读 登陆 上当 回头 踏入 到达 接触 思考 讲解"
    " 演示 得名 得以 借鉴 依靠 抓住 积累 注重 不足以 取决于 有利于 不用 不够 适于 可行 更具 不失 无意 来讲 这点"
    " 为准 好坏 强迫 原有 放进去 或许 看出 假定 剩下 改用 改为 分成".split())
# LaTeX command and operator names a formula leaves among the key terms ($\\arg\\min$ → arg, min): never shown
_LATEX_WORDS = frozenset(
    "arg argmin argmax min max frac mathrm mathbf mathcal operatorname cdot cdots ldots left right begin end text"
    " hat bar tilde partial sqrt quad limits displaystyle boldsymbol".split())
_OPEN_POS = frozenset("d ad t".split())
_OPEN_POS_MIN_FREQ = 4000
# tagged as a pronoun (几何 "how much"), an idiom (无穷大) or a status word (正比): maths words here
_CONTENT_DESPITE_TAG = frozenset({"几何", "无穷大", "正比"})
# Everyday words, hidden from feedback and hints (not from scoring): "missed: 知道, 两个,
# 获得" teaches nothing. Very frequent words of any class (产生, 目标, 结构), verbs /
# adjectives / idioms with 3,000+ uses (考虑, 解决, 简单, 等于, 避免; 输出 at 2,335 stays) and
# frequent numeral phrases (两种, 一次; 层次 at 1,728 stays). Glossary terms are always shown, so 特征 / 监督 / 预测 stay.
_EVERYDAY_MIN_FREQ = 10000
_EVERYDAY_OPEN_TAGS = ("v", "a", "b", "l", "i", "z", "f", "s")  # tag prefixes
_EVERYDAY_OPEN_MIN_FREQ = 3000
_EVERYDAY_NUMERAL_MIN_FREQ = 2000
# Terms that can stand alone as a hint or follow-up: dictionary nouns / noun-like verbs
# seen often enough not to be segmenter fragments (see TermModel.is_topic_term)
_TOPIC_TAGS = frozenset("n nz nt vn ng an".split())
_TOPIC_MIN_FREQ = 20
_TOPIC_MAX_FREQ = 3000  # commoner nouns the glossary does not know are everyday (两者, 用户, 角度)


def _is_everyday(tag: str, freq: int) -> bool:
    """Whether a dictionary word is too common to name an idea, e.g. ``_is_everyday("v", 42780)`` (知道)."""
    if freq >= _EVERYDAY_MIN_FREQ:
        return True
    if tag == "m":
        return freq >= _EVERYDAY_NUMERAL_MIN_FREQ
    return tag.startswith(_EVERYDAY_OPEN_TAGS) and freq >= _EVERYDAY_OPEN_MIN_FREQ


@dataclass(frozen=True)
class KeyTerm:
    """One weighted term of a reference answer and its other-language names."""

    text: str
    weight: float
    variants: tuple[str, ...] = ()
    in_title: bool = False


@dataclass(frozen=True)
class KeyPoint:
    """A sentence or phrase of the reference and the key terms it carries.

    ``text`` is the reference's plain text (what is matched and scored); ``markdown``, when set, is how the
    point is shown instead: a line of a ``$$ … $$`` formula, whose delimiters the plain text drops, as ``$…$``.
    """

    text: str
    terms: tuple[str, ...]
    weight: float
    question_id: str
    line: int = 0
    markdown: str = ""

    @property
    def shown(self) -> str:
        """The point as feedback shows it (Markdown; a formula between dollars, so it is typeset)."""
        return self.markdown or self.text


@dataclass
class TermMatch:
    """Result of :func:`match_terms`: covered and missed terms, weighted coverage."""

    covered: list[KeyTerm]
    missed: list[KeyTerm]
    how: dict[str, str] = field(default_factory=dict)  # term -> "exact" | "translation" | "fuzzy"

    @property
    def coverage(self) -> float:
        total = sum(t.weight for t in self.covered) + sum(t.weight for t in self.missed)
        return sum(t.weight for t in self.covered) / total if total > 0 else 0.0

    @property
    def covered_texts(self) -> set[str]:
        return {t.text for t in self.covered}


# Characters whose swap turns a term into its opposite: never taken for a typo of each other
_OPPOSITE_CHARACTERS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair) for pair in (
        "入出", "上下", "大小", "高低", "前后", "正负", "左右", "增减", "加减", "多少", "长短", "内外", "开关",
        "升降", "有无", "真假", "强弱", "快慢", "深浅", "宽窄", "粗细", "远近", "新旧", "主次",
        "显隐", "稀稠", "凸凹", "串并", "单双", "正反", "首尾", "始终",
    )
)


# Particles, conjunctions, pronouns and copulas: a sentence's glue, never a mistyped character of a term
_FUNCTION_CHARACTERS = frozenset("的地得了着过是和与及或并而且则即又也都就才还再只在于从向对把被让给为以由用个这那其之此些么吗呢吧啊很更最太不没")


_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer keeps its work in the instance: one word at a time


@lru_cache(maxsize=1 << 16)  # a pure function of the word: key terms are stemmed for every answer
def stem(word: str) -> str:
    """The English (Porter2 / Snowball) stem of a word, for variant matching.

    >>> [stem(w) for w in ("gradients", "summed", "copied", "updated", "vanishing")]
    ['gradient', 'sum', 'copi', 'updat', 'vanish']
    """
    if not word.isalpha():
        return word
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _useful(token: str) -> bool:
    """Drop tokens that cannot be knowledge: pure numbers, lone letters or characters."""
    if token in STOPWORDS or token in _GENERIC:
        return False
    if is_cjk(token):
        return len(token) >= 2 or token in _DOMAIN
    if token.replace(".", "").isdigit() or token in _ENGLISH_COMMON:
        return False
    return len(token) >= 2


class PreparedAnswer:
    """An answer normalised once for many term lookups."""

    def __init__(self, answer: str, tokenizer: Tokenizer | None = None) -> None:
        self.text = normalise(answer or "")
        self.latin = set(_LATIN_WORD.findall(self.text))
        # "ResNet-152" names ResNet and ResNet152 too, as the tokenizer cuts it (k-means → kmeans, k, means)
        for word in [w for w in self.latin if "-" in w]:
            self.latin.add(word.replace("-", ""))
            self.latin.update(part for part in word.split("-") if part)
        self.stems = {stem(w) for w in self.latin}
        # runs of Chinese text, kept apart: a typo lies inside one run, never across "，" or a Latin word
        self.cjk_runs: list[str] = _CJK_RUN.findall(self.text)
        self.tokens: list[str] = tokenizer.tokens(answer) if tokenizer is not None else []

    def has_exact(self, term: str) -> bool:
        if not term:
            return False
        if is_cjk(term):
            return term in self.text
        if " " in term or "-" in term or not term.isalnum():
            pattern = r"(?<![a-z0-9])" + re.escape(term) + r"(?:e?s)?(?![a-z0-9])"
            return re.search(pattern, self.text) is not None
        if term in self.latin or (len(term) >= 3 and stem(term) in self.stems):
            return True
        # an acronym's plural: the stemmer leaves "rnns" whole (no vowel), but RNN and RNNs are one term
        return len(term) >= 3 and ((term.endswith("s") and term[:-1] in self.latin) or f"{term}s" in self.latin)

    @staticmethod
    def _typo_in_run(run: str, term: str, vocabulary: frozenset[str] | set[str] | None) -> bool:
        """Whether ``run`` holds ``term`` with one character mistyped (an input-method slip).

        Not a typo: a different first character (过拟合 vs 欠拟合 are opposites), one
        opposite for another (输入层 vs 输出层), a window that is itself a real word
        (标准差 vs 标准化), or a function character in the term's place — "卷积的参数"
        and "卷积和池化" name 卷积, not 卷积核.
        """
        n = len(term)
        start = run.find(term[0])
        while 0 <= start <= len(run) - n:
            window = run[start : start + n]
            pairs = [(a, b) for a, b in zip(window, term) if a != b]
            if not pairs:
                return True
            if (len(pairs) == 1 and frozenset(pairs[0]) not in _OPPOSITE_CHARACTERS
                    and pairs[0][0] not in _FUNCTION_CHARACTERS
                    and (vocabulary is None or window not in vocabulary)):
                return True
            start = run.find(term[0], start + 1)
        return False

    def has_fuzzy(self, term: str, vocabulary: frozenset[str] | set[str] | None = None) -> bool:
        """Typo-tolerant lookup: one edit for short words, two for long ones."""
        if is_cjk(term):
            return any(self._typo_in_run(run, term, vocabulary) for run in self.cjk_runs if len(run) >= len(term) >= 3)
        if len(term) < 5 or not term.isalpha():
            return False
        limit = 1 if len(term) < 9 else 2
        return any(
            abs(len(w) - len(term)) <= limit and w[0] == term[0] and OSA.distance(w, term, score_cutoff=limit) <= limit
            for w in self.latin
        )


def match_terms(
    terms: Sequence[KeyTerm],
    answer: str | PreparedAnswer,
    glossary: Glossary | None = None,
    vocabulary: frozenset[str] | set[str] | None = None,
) -> TermMatch:
    """Which of ``terms`` the answer mentions: exactly, in the other language, or with a typo.

    ``vocabulary`` is a set of real words; a Chinese window that is a real word is
    never taken for a typo of another word.
    """
    prepared = answer if isinstance(answer, PreparedAnswer) else PreparedAnswer(answer)
    glossary = glossary if glossary is not None else Glossary.default()
    covered: list[KeyTerm] = []
    missed: list[KeyTerm] = []
    how: dict[str, str] = {}
    for term in terms:
        variants = term.variants or tuple(_glossary_variants(term.text, glossary))
        if prepared.has_exact(term.text):
            how[term.text] = "exact"
        elif any(prepared.has_exact(v) for v in variants):
            how[term.text] = "translation"
        elif prepared.has_fuzzy(term.text, vocabulary) or any(
            prepared.has_fuzzy(v, vocabulary) for v in variants if not is_cjk(v)
        ):
            how[term.text] = "fuzzy"
        else:
            missed.append(term)
            continue
        covered.append(term)
    return TermMatch(covered, missed, how)


def _glossary_variants(term: str, glossary: Glossary) -> list[str]:
    """Every other name of the concepts ``term`` names (both languages)."""
    out: list[str] = []
    for concept in _concepts_named(term, glossary):
        out.extend(v for v in concept.variants if v != term and len(v) > 1)
    return list(dict.fromkeys(out))


def _concepts_named(term: str, glossary: Glossary) -> list[Concept]:
    return [c for c in glossary.concepts if term in c.variants]


def _split_top_level_commas(text: str) -> list[str]:
    """``text`` cut after each comma outside brackets, so no piece starts inside a parenthesis.

    >>> _split_top_level_commas("条件数（小的好，大的差），所以要正则，对吧")
    ['条件数（小的好，大的差），', '所以要正则，', '对吧']
    >>> _split_top_level_commas("没有闭合（一，二，三")
    ['没有闭合（一，', '二，', '三']
    """
    pieces, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "（(【[":
            depth += 1
        elif ch in "）)】]":
            depth = max(0, depth - 1)
        elif ch in "，," and depth == 0:
            pieces.append(text[start:i + 1])
            start = i + 1
    if start < len(text):  # after a bracket that never closes, every comma cuts again
        tail = text[start:]
        pieces.extend(re.split(r"(?<=[，,])", tail) if depth else [tail])
    return [p for p in pieces if p]


def split_points(text: str, min_chars: int = 6, max_chars: int = 120) -> list[str]:
    """Sentences / clauses of a reference, long ones cut at commas."""
    out: list[str] = []
    for raw in _SENTENCE.findall(text):
        s = raw.strip(" \t，,、:：")
        if len(s) < min_chars:
            continue
        if len(s) > max_chars:
            pieces = pack(_split_top_level_commas(s), max_chars)
            out.extend(p.strip(" ，,") for p in pieces if len(p.strip()) >= min_chars)
        else:
            out.append(s)
    return out


class TermModel:
    """Document frequencies of the collection; key terms and key points of any question."""

    def __init__(
        self,
        collection: Collection,
        tokenizer: Tokenizer | None = None,
        glossary: Glossary | None = None,
        title_factor: float = 0.3,
        max_terms: int = 40,
        idf_power: float = 1.5,
    ) -> None:
        self.collection = collection
        self.tokenizer = tokenizer or Tokenizer()
        self.glossary = glossary if glossary is not None else Glossary.default()
        self.title_factor = title_factor
        self.max_terms = max_terms
        self.idf_power = idf_power
        df: Counter[str] = Counter()
        vocabulary: set[str] = set()
        for q in collection:
            tokens = set(self.tokenizer.tokens(f"{q.title}\n{q.plain}"))
            df.update(tokens)
            vocabulary.update(tokens)
        for concept in self.glossary.concepts:
            vocabulary.update(concept.variants)
        vocabulary.update(_DOMAIN)
        self.known_terms = frozenset(
            normalise(v) for c in self.glossary.concepts for v in c.variants
        ) | _DOMAIN
        self.word_freq: dict[str, int] = self.tokenizer._jieba.FREQ  # read-only after load
        vocabulary.update(w for w, f in self.word_freq.items() if f > 0 and is_cjk(w) and len(w) <= 4)
        self.n_docs = max(1, len(collection))
        self.df = dict(df)
        self.vocabulary = frozenset(vocabulary)

    @cached_property
    def _dictionary_classes(self) -> tuple[frozenset[str], frozenset[str]]:
        """(function and everyday words, topic nouns) of jieba's dictionary, read in one pass.

        Function and everyday words: see ``_CLOSED_POS``, ``_OPEN_POS``, ``_EVERYDAY_*``.
        Topic nouns: nouns (and noun-like verbs: 采样, 优化) seen at least
        ``_TOPIC_MIN_FREQ`` times (rarer entries are mostly segmenter fragments: 维空间,
        同点) and less than ``_TOPIC_MAX_FREQ`` (commoner ones are everyday words: 两者).
        """
        import jieba

        function_words: set[str] = set()
        nouns: set[str] = set()
        with jieba.get_dict_file() as handle:
            for raw in handle:
                parts = raw.decode("utf-8", "replace").split()
                if len(parts) < 3 or not parts[1].isdigit():
                    continue
                word, freq, tag = parts[0], int(parts[1]), parts[2]
                if tag in _TOPIC_TAGS and _TOPIC_MIN_FREQ <= freq < _TOPIC_MAX_FREQ:
                    nouns.add(word)
                if word in _CONTENT_DESPITE_TAG:
                    continue
                if (tag in _CLOSED_POS or (tag in _OPEN_POS and freq >= _OPEN_POS_MIN_FREQ) or _is_everyday(tag, freq)
                        or tag == "mq"):
                    function_words.add(word)
        return frozenset(function_words), frozenset(nouns)

    @property
    def _function_words(self) -> frozenset[str]:
        return self._dictionary_classes[0]

    @property
    def _dictionary_nouns(self) -> frozenset[str]:
        return self._dictionary_classes[1]

    def warm(self) -> None:
        """Load the dictionary word lists now (a fraction of a second) rather than on the first answer."""
        _ = self._dictionary_classes

    def is_display_term(self, token: str) -> bool:
        """Whether a key term is worth showing a user as covered / missed / a hint.

        Scoring weighs every term by tf-idf, where a stray 要么 or 它们 weighs
        little; feedback that lists it as a "missed point" reads as nonsense,
        so function words and everyday words (知道, 两个, 获得) are never shown
        (unless the glossary knows them as terms). Non-Chinese terms are always shown.
        """
        if token in self.known_terms:
            return True
        if not is_cjk(token):
            return token not in _LATEX_WORDS
        return token not in self._function_words and token not in _DISCOURSE_WORDS

    def is_topic_term(self, token: str) -> bool:
        """Whether a key term can stand alone as a hint or a follow-up ("can you expand on X?").

        Stricter than :meth:`is_display_term`: a glossary term (稀疏, dropout, IoU), a
        dictionary noun that is not an everyday word, or a three-plus-character word
        the dictionary lacks (特征图). Not verbs (等于, 指定), segmenter fragments (维空间)
        or code tokens (k+1, double).
        """
        if token in self.known_terms:
            return True
        if not is_cjk(token) or not self.is_display_term(token):
            return False
        if token in self._dictionary_nouns:
            return True
        return len(token) >= 3 and token not in self.word_freq

    def is_followup_term(self, token: str) -> bool:
        """Whether a missed key term can carry a follow-up question ("can you expand on X?").

        Stricter than :meth:`is_topic_term`: a concept the glossary or the domain list
        knows (稀疏, 感受野, dropout). A rare noun that a reference uses once as an
        illustration (国际象棋, 棋盘, 美称) weighs a lot by tf-idf but is no concept to ask about.
        """
        return token in self.known_terms

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency (≥ 1 for every token)."""
        return math.log((self.n_docs + 1) / (self.df.get(token, 0) + 1)) + 1.0

    def generality_factor(self, token: str) -> float:
        """Down-weight everyday Chinese words (产生, 条件) and unknown segmenter fragments."""
        if not is_cjk(token) or token in self.known_terms:
            return 1.0
        freq = self.word_freq.get(token, 0)
        if freq >= 5000:
            return 0.5
        if freq == 0:
            return 0.6
        return 1.0

    def title_tokens(self, question_id: str) -> set[str]:
        """Tokens of the question's path (its title and its parents'), both languages."""
        q = self.collection.questions[question_id]
        text = " ".join(q.path)
        tokens = set(self.tokenizer.tokens(text))
        tokens.update(self.tokenizer.tokens(" ".join(self.glossary.translations(text))))
        return tokens

    def asked_tokens(self, question_id: str) -> set[str]:
        """Tokens of everything the question shows when asked: its path and the sub-questions it is
        asked through (:meth:`Collection.asked_parts`). Saying only these back is a restatement."""
        tokens = self.title_tokens(question_id)
        text = " ".join(p.title for p in self.collection.asked_parts(question_id))
        if text:
            tokens.update(self.tokenizer.tokens(text))
            tokens.update(self.tokenizer.tokens(" ".join(self.glossary.translations(text))))
        return tokens

    def terms_for(self, question_id: str, text: str | None = None) -> list[KeyTerm]:
        """Top key terms of a question's reference answer, heaviest first."""
        reference = self.collection.answer_plain(question_id) if text is None else text
        counts = Counter(t for t in self.tokenizer.tokens(_LATEX_COMMAND.sub(" ", reference)) if _useful(t))
        # jieba's search mode also yields the pieces of a word (置信度 → 置信, 信度):
        # a piece that never occurs on its own is not a term of its own
        for token in list(counts):
            if any(token != longer and token in longer and counts[longer] >= counts[token] for longer in counts):
                del counts[token]
        # a word the segmenter invented (unknown to its dictionary) that occurs once is
        # usually a fragment across a word boundary (从原 / 性变), not a term
        for token in list(counts):
            if counts[token] == 1 and self.word_freq.get(token, 0) == 0 and is_cjk(token) \
                    and token not in self.known_terms:
                del counts[token]
        if not counts:
            return []
        title = self.title_tokens(question_id)
        scored = []
        for token, tf in counts.items():
            weight = (1.0 + math.log(tf)) * self.idf(token) ** self.idf_power * self.generality_factor(token)
            in_title = token in title
            if in_title:
                weight *= self.title_factor
            scored.append((weight, token, in_title))
        scored.sort(key=lambda x: (-x[0], x[1]))
        top = scored[: self.max_terms]
        norm = top[0][0]
        return [
            KeyTerm(token, round(w / norm, 4), tuple(_glossary_variants(token, self.glossary)), in_title)
            for w, token, in_title in top
        ]

    def points_for(self, question_id: str, terms: Sequence[KeyTerm] | None = None,
                   max_points: int = 60) -> list[KeyPoint]:
        """Sentences of the reference (question and sub-questions) that carry key terms."""
        terms = self.terms_for(question_id) if terms is None else terms
        weight_of = {t.text: t.weight for t in terms}
        points: list[KeyPoint] = []
        seen: set[str] = set()
        for q in [self.collection.questions[question_id], *self.collection.descendants(question_id)]:
            formulas = formula_lines(q)
            for sentence in split_points(q.plain):
                if sentence in seen or not _is_prose(sentence):
                    continue
                seen.add(sentence)
                found = tuple(dict.fromkeys(t for t in self.tokenizer.tokens(sentence) if t in weight_of))
                if not found:
                    continue
                weight = sum(weight_of[t] for t in found)
                points.append(KeyPoint(sentence, found, round(weight, 4), q.id, _line_of(q, sentence),
                                       formulas.get(sentence, "")))
        if len(points) > max_points:
            keep = set(sorted(range(len(points)), key=lambda i: -points[i].weight)[:max_points])
            points = [p for i, p in enumerate(points) if i in keep]
        return points

    def answer_tokens(self, answer: str | PreparedAnswer) -> list[str]:
        """Useful keyword tokens of an answer (for on-topic precision)."""
        tokens = answer.tokens if isinstance(answer, PreparedAnswer) else self.tokenizer.tokens(answer)
        return [t for t in tokens if _useful(t)]


_LINE_BREAK = re.compile(r"(?:\\\\\s*)+$")  # "\\" ending a line of a multi-line formula
_BRACES = re.compile(r"\\[{}]|[{}]")
# what a line cannot hold alone: an alignment "&" or an environment of a formula spread over several lines
_NOT_ALONE = re.compile(r"(?<!\\)&|\\(?:begin|end)\b")


def _balanced(tex: str) -> bool:
    """True when ``tex`` typesets on its own: braces (not ``\\{`` and ``\\}``) close in order, ``\\left`` and
    ``\\right`` pair up, and it holds no alignment ``&`` or environment (a line of a longer formula)."""
    if _NOT_ALONE.search(tex) or len(re.findall(r"\\left\b", tex)) != len(re.findall(r"\\right\b", tex)):
        return False
    depth = 0
    for m in _BRACES.finditer(tex):
        if m.group(0) in ("{", "}"):
            depth += 1 if m.group(0) == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def formula_lines(question: Question) -> dict[str, str]:
    r"""The points of ``question`` that are a line of a display formula, as ``$…$`` Markdown, by their plain text.

    The plain text keeps a display formula's lines but drops their ``$$`` delimiters (``$$`` on lines of their
    own), so such a point read ``\frac{\partial J}{\omega_{11}} = x_1*…`` as raw LaTeX. A line that is one point
    is shown as the reference writes it, without a trailing line break ``\\``; a piece of a line (cut at ``;``)
    only when it typesets alone. Chinese inside a formula is set as text (``\text{…}``).

    >>> from corpus.parser import parse_markdown
    >>> body = ["# T", "## S", "### 1. 全连接层", "计算量：", "$$", r"(2\times I-1)\times O \\", r"y = x_1*梯度", "$$"]
    >>> q = parse_markdown("\n".join(body)).units()[0]
    >>> formula_lines(q) == {r"(2\times I-1)\times O \\": r"$(2\times I-1)\times O$",
    ...                      "y = x_1*梯度": r"$y = x_1*\text{梯度}$"}
    True
    """
    shown: dict[str, str] = {}
    for block in question.blocks:
        if block.kind != "math":
            continue
        for line in block.markdown.split("\n"):
            tex = line.strip()
            tex = tex[2:] if tex.startswith("$$") else tex
            tex = tex[:-2] if tex.endswith("$$") else tex
            tex = _LINE_BREAK.sub("", tex).strip()
            if not tex or "$" in tex:
                continue
            pieces = split_points(to_plain([line]))  # the line's points, as points_for cuts them
            for piece in pieces:
                formula = _LINE_BREAK.sub("", tex if len(pieces) == 1 else piece).strip()
                if not formula or "$" in formula or formula.endswith("\\") or not _balanced(formula):
                    continue
                if "\\text" not in formula:
                    formula = _CJK_RUN.sub(lambda m: "\\text{" + m.group(0) + "}", formula)
                shown.setdefault(piece, f"${formula}$")
    return shown


def _is_prose(sentence: str) -> bool:
    """A display-worthy point: mostly words, not a bare formula or table row."""
    letters = sum(1 for ch in sentence if ch.isalpha())
    return letters >= 0.5 * len(sentence) and (is_cjk(sentence) or len(sentence.split()) >= 3)


def _line_of(question, sentence: str) -> int:  # type: ignore[no-untyped-def]
    probe = sentence[:12]
    for block in question.blocks:
        if probe and probe in block.plain:
            return block.line_start
    return question.line_start


def covered_points(points: Iterable[KeyPoint], covered_terms: set[str], threshold: float = 0.5,
                   weight_of: dict[str, float] | None = None) -> tuple[list[KeyPoint], list[KeyPoint]]:
    """Split points into covered (≥ ``threshold`` of their term weight matched) and missed.

    With ``weight_of``, only the terms it weighs count, and a point carrying none of them is in neither list:
    feedback passes the terms it shows, so a sentence whose named ideas (绝对值, 不可导, 正负号) an answer
    covered is not listed as missed for its everyday words (采取, 两者).
    """
    hit: list[KeyPoint] = []
    miss: list[KeyPoint] = []
    for p in points:
        if weight_of:
            total = sum(weight_of.get(t, 0.0) for t in p.terms)
            if total <= 0:
                continue
            got = sum(weight_of.get(t, 0.0) for t in p.terms if t in covered_terms) / total
        else:
            got = sum(1 for t in p.terms if t in covered_terms) / max(1, len(p.terms))
        (hit if got >= threshold else miss).append(p)
    return hit, miss
