"""Split a question's Markdown body into blocks that keep their source lines.

A block is a paragraph, a list, a table, a ``$$`` formula or a fenced code
block. Blank lines separate text blocks; code fences and formulas are never
split, even across blank lines. Reference-link blocks (``参考：`` lists) are
left out: they are references, not answer text.

>>> [b.kind for b in split_blocks(["段落一", "", "```", "x = 1", "", "y", "```"], 10)]
['text', 'code']
"""

from __future__ import annotations

import re

from .model import Block
from .text import reference_lines, to_plain

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


def split_blocks(lines: list[str], first_line: int) -> list[Block]:
    """Blocks of ``lines``; ``first_line`` is the source line number of ``lines[0]``."""
    removed, _ = reference_lines(lines)
    blocks: list[Block] = []
    current: list[tuple[int, str]] = []
    kind = "text"

    def flush() -> None:
        nonlocal current, kind
        if current:
            text_lines = [t for _, t in current]
            markdown = "\n".join(text_lines).strip("\n")
            if kind == "code":
                body = [t for t in text_lines if not _FENCE.match(t)]
                plain = "\n".join(body).strip()
            elif kind == "math":
                plain = markdown.replace("$$", " ").strip()
            else:
                if kind == "text" and all(_TABLE_ROW.match(t) for t in text_lines if t.strip()):
                    kind = "table"
                plain = to_plain(text_lines)
            if plain:
                blocks.append(Block(kind, markdown, plain, first_line + current[0][0], first_line + current[-1][0]))
        current, kind = [], "text"

    i = 0
    while i < len(lines):
        line = lines[i]
        if i in removed:
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            mark = fence.group(1)
            current, kind = [(i, line)], "code"
            i += 1
            while i < len(lines):
                current.append((i, lines[i]))
                closing = _FENCE.match(lines[i])
                i += 1
                if closing and closing.group(1)[0] == mark[0] and len(closing.group(1)) >= len(mark):
                    break
            flush()
            continue
        if line.strip().startswith("$$"):
            flush()
            current, kind = [(i, line)], "math"
            i += 1
            if line.strip() == "$$" or not line.strip()[2:].rstrip().endswith("$$"):
                while i < len(lines):
                    current.append((i, lines[i]))
                    i += 1
                    if lines[i - 1].strip().endswith("$$"):
                        break
            flush()
            continue
        if not line.strip():
            flush()
        else:
            current.append((i, line))
        i += 1
    flush()
    return blocks
