"""Cut a collection into searchable passages.

Every question yields two title passages — its full **path** (e.g.
``机器学习基础 › L0、L1、L2 › 区别``: short headings like "区别" only make sense
with their parents), embedded as a passage, and an **alias** (the heading,
prefixed with its parent's when short), embedded like a query, because users
type paraphrases of questions — and **body passages**: consecutive blocks of its own answer
merged up to ``max_chars``. Code, tables and formulas are never cut; an
over-long paragraph is split at sentence ends. Each passage keeps its question
id and source lines, and a content hash so unchanged passages are never
embedded twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Iterable

from corpus.model import Block, Collection, Question

CHUNKER_VERSION = 2  # bump when chunking output changes, so stored indexes rebuild
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+")


@dataclass(frozen=True)
class ChunkSettings:
    """How answers are cut; part of the index manifest (changing it rebuilds)."""

    max_chars: int = 360
    min_chars: int = 40
    include_code: bool = False

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "chunker_version": CHUNKER_VERSION}


@dataclass(frozen=True)
class Passage:
    """A unit of retrieval: a title or a piece of one question's answer."""

    id: str
    question_id: str
    kind: str  # "title" | "alias" | "body"
    text: str  # clean text that is embedded and keyword-indexed
    markdown: str  # the same passage as Markdown, for display
    line_start: int
    line_end: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def title_text(q: Question) -> str:
    return " › ".join((q.section, *q.path))


def alias_text(q: Question, collection_parent_title: str | None) -> str:
    """The heading as a user would ask it; short headings borrow the parent's."""
    if collection_parent_title and len(q.title) < 8:
        return f"{collection_parent_title} {q.title}"
    return q.title


def embedding_role(p: "Passage") -> str:
    """Aliases are embedded like queries (symmetric match), the rest as passages."""
    return "query" if p.kind == "alias" else "passage"


def pack(parts: Iterable[str], max_chars: int) -> list[str]:
    """Join consecutive ``parts`` greedily into pieces of at most ``max_chars`` (a longer part stays whole).

    >>> pack(["ab。", "cd。", "ef。"], 6)
    ['ab。cd。', 'ef。']
    """
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + len(part) > max_chars:
            pieces.append(current)
            current = ""
        current += part
    if current:
        pieces.append(current)
    return pieces


def _split_long(block: Block, max_chars: int) -> list[Block]:
    if block.kind != "text" or len(block.plain) <= max_chars * 1.5:
        return [block]
    pieces = pack((s for s in _SENTENCE_END.split(block.plain) if s and s.strip()), max_chars)
    return [Block("text", p, p, block.line_start, block.line_end) for p in pieces]


def chunk_question(q: Question, settings: ChunkSettings, parent_title: str | None = None) -> list[Passage]:
    """Title and alias passages plus body passages of one question (its own text only)."""
    passages = [
        Passage(f"{q.id}:t", q.id, "title", title_text(q), q.title, q.line_start, q.line_start),
        Passage(f"{q.id}:a", q.id, "alias", alias_text(q, parent_title), q.title, q.line_start, q.line_start),
    ]
    blocks: list[Block] = []
    for b in q.blocks:
        if b.kind == "code" and not settings.include_code:
            continue
        blocks.extend(_split_long(b, settings.max_chars))
    group: list[Block] = []

    def emit() -> None:
        if not group:
            return
        text = "\n".join(b.plain for b in group)
        markdown = "\n\n".join(b.markdown for b in group)
        n = sum(1 for p in passages if p.kind == "body")
        passages.append(
            Passage(f"{q.id}:{n}", q.id, "body", text, markdown, group[0].line_start, group[-1].line_end)
        )

    size = 0
    for b in blocks:
        if group and size + len(b.plain) > settings.max_chars and size >= settings.min_chars:
            emit()
            group, size = [], 0
        group.append(b)
        size += len(b.plain)
    emit()
    return passages


def chunk_collection(collection: Collection, settings: ChunkSettings) -> list[Passage]:
    """All passages of a collection, in document order."""
    out: list[Passage] = []
    for q in collection:
        parent = collection.questions[q.parent_id].title if q.parent_id else None
        out.extend(chunk_question(q, settings, parent))
    return out


def embedding_text(p: Passage, collection: Collection) -> str:
    """What the dense model sees: the question path as context, then the passage."""
    if p.kind in ("title", "alias"):
        return p.text
    q = collection.questions[p.question_id]
    return f"{title_text(q)}\n{p.text}"
