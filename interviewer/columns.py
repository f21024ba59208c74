"""Text laid out in terminal columns, where a Chinese character takes two.

``len()`` counts characters, so ``f"{name:<20}"`` and ``textwrap.fill`` misalign
and overflow Chinese text: 卷积神经网络 is 6 characters but 12 columns. These
helpers count columns instead (``unicodedata.east_asian_width``).
"""

from __future__ import annotations

import re
import unicodedata

# wrap units: a run of Latin letters / digits / ASCII punctuation is one word; a wide character stands alone
_TOKENS = re.compile(r"\s+|[!-~]+|.", re.S)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take two.

    >>> display_width("CNN"), display_width("卷积（CNN）")
    (3, 11)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (see :func:`display_width`)."""
    return text + " " * max(0, width - display_width(text))


def wrap(text: str, width: int = 100, indent: str = "") -> list[str]:
    """``text`` cut into lines of at most ``width`` columns, each starting with ``indent``.

    Lines break between words and between Chinese characters, never inside an
    English word (a word longer than a line gets a line of its own).

    >>> wrap("卷积层局部连接、权值共享 so it has far fewer parameters", 20, "  ")
    ['  卷积层局部连接、权', '  值共享 so it has', '  far fewer', '  parameters']
    """
    lines: list[str] = []
    start = display_width(indent)
    line, used = indent, start
    for token in _TOKENS.findall(text):
        if token.isspace():
            if used > start and used + 1 <= width:
                line, used = line + " ", used + 1
            continue
        w = display_width(token)
        if used + w > width and used > start:
            lines.append(line.rstrip())
            line, used = indent, start
        line, used = line + token, used + w
    if used > start or not lines:
        lines.append(line.rstrip())
    return lines
