"""Turn a question's Markdown into display text and clean text.

Two views of the same answer are needed:

* **display** Markdown: what the user reads. Code, LaTeX and tables stay intact;
  reference-link blocks (``参考：`` + a list of links) move out to a list of
  their own; images whose file does not exist are replaced by a short note
  (or dropped when they have no alt text); active HTML (``<script>``,
  ``<iframe>``, ``on*=`` handlers), presentational tags (``<font>``,
  ``<center>``) and ``[TOC]`` markers are removed, and ``<br>`` becomes a line
  break (except in table rows, where it is the only way to break a cell).
  Fenced code and inline code spans are never changed.
* **plain** text: what is embedded and scored. No images, no HTML, no link
  URLs, no Markdown markup, no code (code is returned separately), and no
  ``<summary>`` label of a collapsed ``<details>`` answer.

>>> split_references(["参考：", "", "- [a](http://x)", "正文"])
(['正文'], ['[a](http://x)'])
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

_REF_HEAD = re.compile(
    r"^\s*(?:[>*_\s]*)(参考资料|参考文献|参考链接|参考文章|参考博客|参考来源|参考阅读|参考|相关链接|相关阅读|推荐阅读"
    r"|延伸阅读|扩展阅读|references?|reference links?|further reading|see also)\s*[:：]?\s*(.*)$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+(.*)$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_SRC = re.compile(r"""src\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_IMG_ALT = re.compile(r"""alt\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_DANGEROUS_BLOCK = re.compile(
    r"<(script|style|iframe|object|embed)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_DANGEROUS_TAG = re.compile(r"</?(script|style|iframe|object|embed)\b[^>]*>", re.IGNORECASE)
_PRESENTATIONAL_TAG = re.compile(r"</?(font|center)\b[^>]*>", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_INLINE_CODE = re.compile(r"(`+)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)\1(?!`)")
_EVENT_ATTR = re.compile(r"""[\s/] on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE | re.VERBOSE)
_JS_URL = re.compile(r"j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*\b[^<>]*>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# the clickable label of a <details> block ("点击查看答案") is not answer text
_HTML_SUMMARY = re.compile(r"<summary\b[^>]*>.*?</summary\s*>", re.IGNORECASE | re.DOTALL)
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_BARE_URL = re.compile(r"https?://[^\s)\]>，。]+")
# inline or display math on one line: its bars are absolute values and norms, not table cells
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
_TOC = re.compile(r"^\s*\[(toc|TOC)\]\s*$")
# "**加粗 **": a space before the closing ** stops Markdown from making it bold, so the stars would show
_LOOSE_STRONG = re.compile(r"\*\*(?=[^\s*$])([^*\n$]*?[^\s*$])[ \t]+\*\*(?!\*)")
# "> \t\tHinge Loss：$…$": tabs after a quote marker align text, they do not start a code block
_QUOTED_TAB = re.compile(r"^((?:[ ]{0,3}>[ ]?)+)\t[\t ]*")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def is_remote(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//", "data:"))


def closes_fence(fence: str, line: str) -> bool:
    """True when ``line`` closes a code fence whose opening run was ``fence``.

    As in CommonMark, the closing run uses the same character (backtick or
    tilde), is at least as long and has nothing after it, so a line such as
    "```python" inside an open backtick block is code, not a closing fence.
    """
    m = _FENCE.match(line)
    if not m or m.group(1)[0] != fence[0] or len(m.group(1)) < len(fence):
        return False
    return not line.strip()[len(m.group(1)):].strip()


def _only_links(text: str) -> bool:
    """A line that is nothing but links / URLs (a reference list without markers)."""
    if not (_MD_LINK.search(text) or _BARE_URL.search(text)):
        return False
    rest = _BARE_URL.sub("", _MD_LINK.sub("", text))
    return not re.sub(r"[\s,，、;；|]+", "", rest)


def split_references(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove ``参考：`` blocks; see :func:`reference_lines`."""
    removed, refs = reference_lines(lines)
    kept = [line for i, line in enumerate(lines) if i not in removed]
    return kept, refs


def reference_lines(lines: list[str]) -> tuple[set[int], list[str]]:
    """Remove ``参考：`` blocks (a label line and the link list after it).

    Returns the indices of the removed lines and the reference items (list
    markers removed).
    A label line with a link on it (``参考：[title](url)``) is itself a reference.
    Only list items holding links, and lines that are nothing but links, are
    taken; other text stays answer text. Lines inside fenced code are never
    touched.
    """
    kept: list[int] = []
    refs: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        f = _FENCE.match(lines[i])
        if fence is not None or f:
            if fence is None:
                fence = f.group(1)
            elif closes_fence(fence, lines[i]):
                fence = None
            kept.append(i)
            i += 1
            continue
        m = _REF_HEAD.match(lines[i])
        if not m:
            kept.append(i)
            i += 1
            continue
        rest = m.group(2).strip().strip("*_:：").strip()  # "**参考资料：**"
        label_only = rest == ""
        has_link = bool(_MD_LINK.search(rest) or _BARE_URL.search(rest))
        if not label_only and not has_link:
            kept.append(i)  # "参考下面的公式..." is prose, not a reference label
            i += 1
            continue
        if rest:
            refs.append(rest)
        j = i + 1
        taken_any = False
        while j < len(lines):
            line = lines[j]
            if not line.strip():
                j += 1
                continue
            item = _LIST_ITEM.match(line)
            if item and (_MD_LINK.search(item.group(1)) or _BARE_URL.search(item.group(1))):
                refs.append(item.group(1).strip())
                taken_any = True
                j += 1
                continue
            if not item and _only_links(line):
                refs.append(line.strip())
                taken_any = True
                j += 1
                continue
            break
        if label_only and not taken_any:
            # A bare "参考：" followed by prose: keep everything as text.
            kept.append(i)
            i += 1
            continue
        i = j
    kept_set = set(kept)
    return {k for k in range(len(lines)) if k not in kept_set}, refs


def is_reference_label(label: str) -> bool:
    """True for a label that introduces things to read (``参考：``, ``推荐阅读``, ``Further reading``).

    >>> is_reference_label("推荐阅读"), is_reference_label("References:"), is_reference_label("参考答案")
    (True, True, False)
    """
    m = _REF_HEAD.match(label)
    return m is not None and not m.group(2).strip().strip("*_:：").strip()


def reading_list(lines: list[str]) -> list[str]:
    """Every line of a reading list (the text under a ``推荐阅读`` heading) as a reference item: list
    markers removed, blank lines and fenced code left out.

    >>> reading_list(["先读第一章。", "", "- [L1 vs L2](https://x.org)", "```", "code", "```"])
    ['先读第一章。', '[L1 vs L2](https://x.org)']
    """
    prose, _ = split_code(lines)
    items = ((m.group(1) if (m := _LIST_ITEM.match(line)) else line).strip() for line in prose)
    return [item for item in items if item]


def _image_exists(url: str, base_dir: Path | None) -> bool:
    if is_remote(url):
        return True
    if base_dir is None or not url:
        return False
    target = url.split("#", 1)[0].split("?", 1)[0]
    try:
        # Typora and most editors write "images/%E6%B1%A0.png" for "images/池.png"
        return any((base_dir / t).is_file() for t in dict.fromkeys((target, unquote(target))))
    except (OSError, ValueError):
        return False


def sanitize_display(markdown: str, base_dir: Path | None) -> str:
    """Display Markdown: drop active HTML and images that cannot be shown.

    Only prose is changed; fenced code blocks and inline code spans are kept
    as written (an answer about XSS may well show ``<script>`` in code).
    """
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        if fence is None:
            f = _FENCE.match(line)
            if not f:
                prose.append(line)
                continue
            fence = f.group(1)
            if prose:
                out.append(_sanitize_prose("\n".join(prose), base_dir))
                prose = []
        elif closes_fence(fence, line):
            fence = None
        out.append(line)
    if prose:
        out.append(_sanitize_prose("\n".join(prose), base_dir))
    return "\n".join(out)


def _clean_tag(m: re.Match[str]) -> str:
    """One HTML tag without event handlers or javascript: URLs (entity-encoded ones too)."""
    tag = m.group(0)
    if "&" in tag:
        tag = html.unescape(tag)
    return _JS_URL.sub("", _EVENT_ATTR.sub("", tag))


def _sanitize_prose(text: str, base_dir: Path | None) -> str:
    spans: list[str] = []
    # Inline code is stashed behind placeholders that cannot occur in the text itself.
    token = "\ue000"
    while token in text:
        token += "\ue001"

    def stash(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"{token}{len(spans) - 1}{token}"

    text = _INLINE_CODE.sub(stash, text)
    previous = None
    while previous != text:  # repeat until stable: "<scr<script>ipt>" must not reassemble a tag
        previous = text
        text = _DANGEROUS_BLOCK.sub("", text)
        text = _DANGEROUS_TAG.sub("", text)
        text = _PRESENTATIONAL_TAG.sub("", text)
        text = _HTML_TAG.sub(_clean_tag, text)
        text = _JS_URL.sub("", text)

    def md_image(m: re.Match[str]) -> str:
        alt, url = m.group(1), m.group(2)
        if _image_exists(url, base_dir):
            return m.group(0)
        return f"（图片缺失：{alt}）" if alt.strip() else ""

    def html_image(m: re.Match[str]) -> str:
        src = _IMG_SRC.search(m.group(0))
        url = src.group(1) if src else ""
        if url and _image_exists(url, base_dir):
            return m.group(0)
        alt = _IMG_ALT.search(m.group(0))
        return f"（图片缺失：{alt.group(1)}）" if alt and alt.group(1).strip() else ""

    text = _MD_IMAGE.sub(md_image, text)
    text = _HTML_IMG.sub(html_image, text)
    lines = []
    for line in text.split("\n"):
        if _TOC.match(line):
            continue
        if not line.lstrip().startswith("|"):  # a table cell needs its <br>
            line = _BR.sub("\n", line)
        lines.append(_QUOTED_TAB.sub(r"\1", line))
    text = _LOOSE_STRONG.sub(r"**\1**", "\n".join(lines))
    return re.sub(re.escape(token) + r"(\d+)" + re.escape(token), lambda m: spans[int(m.group(1))], text)


def split_code(lines: list[str]) -> tuple[list[str], list[str]]:
    """Separate fenced code blocks from prose lines.

    Returns (prose lines, code blocks). A fence left open runs to the end, as
    Markdown renderers do.
    """
    prose: list[str] = []
    blocks: list[str] = []
    fence: str | None = None
    current: list[str] = []
    for line in lines:
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                current = []
                prose.append("")
            else:
                prose.append(line)
        elif closes_fence(fence, line):
            blocks.append("\n".join(current))
            fence = None
        else:
            current.append(line)
    if fence is not None:
        blocks.append("\n".join(current))
    return prose, [b for b in blocks if b.strip()]


def to_plain(lines: list[str]) -> str:
    """Clean prose lines (no code) into plain text for embedding and scoring."""
    text = "\n".join(lines)
    text = _HTML_COMMENT.sub(" ", text)
    text = _HTML_SUMMARY.sub(" ", text)
    text = _DANGEROUS_BLOCK.sub(" ", text)
    text = _MD_IMAGE.sub(" ", text)
    text = _HTML_IMG.sub(" ", text)
    # a <br> inside a table cell is a space; elsewhere it is a line break
    text = "\n".join(_BR.sub(" ", ln) if ln.lstrip().startswith("|") else ln for ln in text.split("\n"))
    text = _BR.sub("\n", text)
    text = _HTML_TAG.sub(" ", text)
    text = html.unescape(text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _BARE_URL.sub(" ", text)
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _TABLE_RULE.match(line) or _HR.match(line) or _TOC.match(line):
            out.append("")
            continue
        line = re.sub(r"^(>\s*)+", "", line)
        item = _LIST_ITEM.match(line)
        if item:
            line = item.group(1)
        if line.startswith("|") or _MATH.sub("", line).count("|") >= 2:  # |x| in a formula is no cell wall
            line = " ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        line = line.replace("$$", " ").strip()
        line = _EMPHASIS.sub("", line)
        line = re.sub(r"[ \t\u3000]+", " ", line).strip()
        out.append(line)
    # collapse runs of blank lines to one paragraph break
    plain = "\n".join(out)
    plain = re.sub(r"\n{3,}", "\n\n", plain)
    return plain.strip()


def clean_title(heading: str) -> str:
    """Heading text for display: no emphasis markers, no closing #s, no HTML."""
    title = re.sub(r"\s+#+\s*$", "", heading.strip())
    title = _HTML_TAG.sub("", title)
    title = _EMPHASIS.sub("", title)
    title = html.unescape(title)
    return re.sub(r"\s+", " ", title).strip()


_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[章节部分]\s*|[（(]?\d+(?:\.\d+)*[)）]?[.、:：\s]\s*|[（(]?[一二三四五六七八九十]+[)）、.]\s*)"
)


def strip_numbering(title: str) -> str:
    """``6.1 为什么…`` → ``为什么…``; used for ids so renumbering keeps them stable."""
    stripped = _NUMBERING.sub("", title, count=1).strip()
    return stripped or title.strip()


_TABLE_LINE = re.compile(r"^\s{0,3}\|")
_NUMBER_CELL = re.compile(r"^[\s\d.,:%×x*+\-–—/()~<>=msMBGKk]*$")
_WORD = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+")


def is_data_table_only(markdown: str, max_prose_words: int = 40, min_number_share: float = 0.5) -> bool:
    r"""True when an answer is a table of figures with hardly any prose (a benchmark of models' speeds).

    Such a reference cannot be answered in words: scoring a spoken answer against
    its numbers means nothing. A table of words (a "CNN vs RNN" comparison) is
    prose in table form and does not count. Code blocks and links are ignored.

    >>> is_data_table_only("来自某处\n\n| 模型 | 速度 |\n| --- | --- |\n| A | 14.5 |\n| B | 31.5 |")
    True
    >>> is_data_table_only("| | CNN | RNN |\n| --- | --- | --- |\n| 结构 | 卷积 | 循环 |")
    False
    """
    prose: list[str] = []
    cells: list[str] = []  # data cells: neither the header row nor the first column (row labels)
    in_body = False  # past a table's separator row
    for line in split_code(markdown.split("\n"))[0]:
        if _TABLE_LINE.match(line):
            row = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in row if c):
                in_body = True
            elif in_body:
                cells.extend(c for c in row[1:] if c)
        else:
            in_body = False
            prose.append(line)
    if not cells:
        return False
    words = len(_WORD.findall(re.sub(r"\]\([^)]*\)|https?://\S+", "", "\n".join(prose))))
    numbers = sum(1 for c in cells if _NUMBER_CELL.match(re.sub(r"\[.*?\]\(.*?\)", "", c)))
    return words <= max_prose_words and numbers >= min_number_share * len(cells)
