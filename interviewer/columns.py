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


# Chinese (full-width) closing punctuation: never the first character of a wrapped line
CLOSING_PUNCTUATION = frozenset("，。、；：？！）」』】〕〉》”’…·～%％,.;:?!)]}")


def wrap(text: str, width: int = 100, indent: str = "", subsequent_indent: str | None = None) -> list[str]:
    """``text`` cut into lines of at most ``width`` columns, each starting with ``indent``
    (the lines after the first with ``subsequent_indent``, when given).

    Lines break between words and between Chinese characters, never inside an
    English word (a word longer than a line gets a line of its own). A line
    never starts with closing punctuation (，。、；：）」…): where it would, the
    character before it moves down with it (hanging it on the line before
    would make that line wider than ``width``, and the terminal would wrap it).

    >>> wrap("卷积层局部连接、权值共享 so it has far fewer parameters", 20, "  ")
    ['  卷积层局部连接、权', '  值共享 so it has', '  far fewer', '  parameters']
    >>> wrap("一二三四，五", 9)
    ['一二三', '四，五']
    """
    rest = indent if subsequent_indent is None else subsequent_indent
    lines: list[str] = []
    tokens: list[str] = []  # the tokens of the line being filled (its indent not included)
    prefix = indent

    def used() -> int:
        return display_width(prefix) + sum(display_width(t) for t in tokens)

    for token in _TOKENS.findall(text):
        if token.isspace():
            if tokens and used() + 1 <= width:
                tokens.append(" ")
            continue
        w = display_width(token)
        if tokens and used() + w > width:
            carried: list[str] = []
            if token[0] in CLOSING_PUNCTUATION:
                # take characters down with it until the new line does not start with closing punctuation
                while len(tokens) > 1 and (not carried or carried[0][0] in CLOSING_PUNCTUATION):
                    last = tokens.pop()
                    if not last.isspace():
                        carried.insert(0, last)
            lines.append((prefix + "".join(tokens)).rstrip())
            prefix, tokens = rest, carried
        tokens.append(token)
    if tokens or not lines:
        lines.append((prefix + "".join(tokens)).rstrip())
    return lines
