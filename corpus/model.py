"""Records of a parsed question collection: sections, questions, the collection.

A collection is a tree: sections (the grouping level) hold questions, questions
hold sub-questions (any deeper heading: "#### 区别", "##### L1范数", ...).
Every question knows its own Markdown text and can assemble its full answer
(own text plus its descendants'). The records are plain dataclasses so that
the index, the interviewer and the web app can share them without importing
the parser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterator

from .text import is_data_table_only

PATH_SEPARATOR = " › "
_WORDS = re.compile(r"[^\W\d_]{2,}|[\u4e00-\u9fff]")  # a word of two letters, or a Chinese character
_NUMBERED = re.compile(r"^\s*[（(]?\d+(?:\.\d+)*[)）]?[.、:：\s]")


def fold_text(text: str) -> str:
    """Text compared loosely: NFKC (full-width → half-width) and case-folded.

    >>> fold_text("卷积神经网络(CNN)") == fold_text("卷积神经网络（ｃｎｎ）")
    True
    """
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Block:
    """One paragraph, list, table, formula or code block of an answer.

    Blocks carry source line numbers so that search results can point at the
    exact passage; the index chunks answers by merging consecutive blocks.
    """

    kind: str  # "text" | "code" | "table" | "math"
    markdown: str
    plain: str
    line_start: int
    line_end: int


@dataclass
class Question:
    """One heading below the section level and the text under it.

    ``body`` is the Markdown under the heading up to the next heading, for
    display (code, LaTeX and tables intact; reference-link blocks removed).
    ``plain`` is the same text cleaned for embedding and scoring (no images,
    no HTML, no reference links). ``references`` are the links of the
    ``参考：`` blocks, kept apart because they are not answer text.
    """

    id: str
    title: str
    heading: str
    level: int
    section_id: str
    section: str
    path: tuple[str, ...]
    parent_id: str | None
    body: str
    plain: str
    references: list[str]
    source: str
    line_start: int
    line_end: int
    code: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    @property
    def display_path(self) -> str:
        """``机器学习基础 › 2. L0、L1、L2 › 区别`` (section first)."""
        return PATH_SEPARATOR.join((self.section, *self.path))

    @property
    def asked_title(self) -> str:
        """The question as it is asked and listed: parent questions' headings, then its own.

        ``8. 随机森林相关 › 8.2 为什么不容易过拟合``: a sub-question's heading alone
        often does not say what it is about. The section is left out (shown
        apart). The one label the chat, the terminal, the history and the
        exports use; a top-level question is just its title.
        """
        return PATH_SEPARATOR.join(self.path)

    @property
    def location(self) -> str:
        """``file.md:LINE`` for showing where the text came from."""
        return f"{self.source}:{self.line_start}"

    @property
    def has_own_text(self) -> bool:
        """True when the heading is followed by answer text or code of its own."""
        return bool(self.plain.strip()) or bool(self.code)


@dataclass
class Section:
    """A grouping heading (``## 机器学习基础``) and the ids of its top questions."""

    id: str
    title: str
    level: int
    source: str
    line_start: int
    question_ids: list[str] = field(default_factory=list)
    intro: str = ""


@dataclass
class Collection:
    """A parsed collection: sections in document order and all questions by id."""

    title: str
    sections: list[Section]
    questions: dict[str, Question]
    sources: list[str]
    content_hash: str
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions.values())

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)

    def asked_titles(self) -> dict[str, str]:
        """Question id → :attr:`Question.asked_title`, for naming recorded attempts as they are asked now."""
        return {qid: q.asked_title for qid, q in self.questions.items()}

    def top_level(self, section_ids: list[str] | None = None) -> list[Question]:
        """Questions directly under a section, in document order."""
        wanted = None if section_ids is None else set(section_ids)
        return [
            self.questions[qid]
            for s in self.sections
            if wanted is None or s.id in wanted or s.title in wanted
            for qid in s.question_ids
        ]

    def is_group(self, question_id: str) -> bool:
        """A heading that only groups numbered questions (``### 目标检测`` › ``#### 1. …``).

        Such a heading has no text of its own and (nearly) all of its two or
        more children are numbered; its children are the real questions.
        """
        q = self.questions[question_id]
        if q.has_own_text or len(q.children) < 2:
            return False
        numbered = sum(1 for c in q.children if _NUMBERED.match(self.questions[c].title))
        return numbered >= 0.8 * len(q.children)

    def unit_of(self, question_id: str) -> str:
        """The interview question a heading belongs to.

        Interview questions ("units") are the top-level questions, except
        grouping headings (:meth:`is_group`), whose children take their place.
        Search ranks units and the interviewer asks units; sub-headings are
        parts of a unit's answer.
        """
        chain = [question_id] + [a.id for a in self.ancestors(question_id)]
        chain.reverse()  # top-level first
        for qid in chain:
            if not self.is_group(qid):
                return qid
        return chain[-1]

    def units(self, section_ids: list[str] | None = None) -> list[Question]:
        """Interview questions in document order, optionally within some sections."""
        out: list[Question] = []
        stack = [q.id for q in reversed(self.top_level(section_ids))]
        while stack:
            qid = stack.pop()
            if self.is_group(qid):
                stack.extend(reversed(self.questions[qid].children))
            else:
                out.append(self.questions[qid])
        return out

    def descendants(self, question_id: str) -> list[Question]:
        """All sub-questions below ``question_id``, depth first, document order."""
        out: list[Question] = []
        stack = list(reversed(self.questions[question_id].children))
        while stack:
            q = self.questions[stack.pop()]
            out.append(q)
            stack.extend(reversed(q.children))
        return out

    def asked_parts(self, question_id: str) -> list[Question]:
        """The sub-questions asked with a question that has no text of its own: its direct children.

        ``7. 集成学习相关问题`` alone does not say what is asked; its part ``7.1 Boosting 和 Bagging
        的区别`` does, and ``3. 逻辑回归`` is asked through 损失函数, 为什么用 log 损失… . A question
        with text of its own is asked by its title: its sub-headings are parts of the answer
        (信息增益, 增益率 under 如何评估特征的重要性) and showing them would give the answer away.
        """
        q = self.questions[question_id]
        if q.has_own_text:
            return []
        return [self.questions[c] for c in q.children]

    def ancestors(self, question_id: str) -> list[Question]:
        """Parent questions from the nearest up to the top-level question."""
        out: list[Question] = []
        parent = self.questions[question_id].parent_id
        while parent is not None:
            q = self.questions[parent]
            out.append(q)
            parent = q.parent_id
        return out

    def answer_markdown(self, question_id: str) -> str:
        """The reference answer for display: own body plus every sub-question's."""
        q = self.questions[question_id]
        parts = [q.body.strip()] if q.body.strip() else []
        for d in self.descendants(question_id):
            hashes = "#" * min(6, d.level)
            block = f"{hashes} {d.title}"
            if d.body.strip():
                block += "\n\n" + d.body.strip()
            parts.append(block)
        return "\n\n".join(parts)

    def answer_plain(self, question_id: str) -> str:
        """The reference answer as clean text for scoring: own plus descendants'."""
        q = self.questions[question_id]
        parts = [q.plain] if q.plain.strip() else []
        for d in self.descendants(question_id):
            if d.plain.strip():
                parts.append(f"{d.title}\n{d.plain}")
        return "\n\n".join(parts)

    def is_answered(self, question_id: str) -> bool:
        """True when the question or any sub-question has answer text."""
        if self.questions[question_id].has_own_text:
            return True
        return any(d.has_own_text for d in self.descendants(question_id))

    def has_prose_reference(self, question_id: str) -> bool:
        """True when the reference answer holds text a spoken answer can be compared with: it exists, and it is
        neither only code nor only a table of figures (a benchmark of models' speeds). Interviews leave the
        others out unless unanswered questions are included; an answer to one is kept as a note."""
        if not self.is_answered(question_id):
            return False
        q = self.questions[question_id]
        if not any(_WORDS.search(p.plain) for p in (q, *self.descendants(question_id))):
            return False  # code only: the plain text leaves code out
        return not is_data_table_only(self.answer_markdown(question_id))

    def find_by_heading(self, text: str) -> Question | None:
        """First question in document order whose heading contains ``text``.

        ``text`` is matched against the heading as written in the Markdown
        (without the leading ``#``s); this is how evaluation files name
        questions. With no exact match, case and full-width forms are ignored
        ("what is gradient descent?" finds "What is gradient descent?").
        """
        needle = text.strip()
        if not needle:
            return None
        for q in self.questions.values():
            if needle in q.heading:
                return q
        folded = fold_text(needle)  # then ignoring case and full-width / half-width forms
        for q in self.questions.values():
            if folded in fold_text(q.heading):
                return q
        return None

    def section_of(self, question_id: str) -> Section:
        sid = self.questions[question_id].section_id
        return next(s for s in self.sections if s.id == sid)
