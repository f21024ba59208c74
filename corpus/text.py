"""Turn a question's Markdown into display text and clean text.

Two views of the same answer are needed:

* **display** Markdown: what the user reads. Code, LaTeX and tables stay intact;
  reference-link blocks (``参考：`` + a list of links) move out to a list of
  their own; images whose file does not exist are replaced by a short note;
  active HTML (``<script>``, ``<iframe>``, ``on*=`` handlers) is removed.
* **plain** text: what is embedded and scored. No images, no HTML, no link
  URLs, no Markdown markup, no code (code is returned separately).

>>> split_references(["参考：", "", "- [a](http://x)", "正文"])
(['正文'], ['[a](http://x)'])
"""

from __future__ import annotations

import html
import re
from pathlib import Path

_REF_HEAD = re.compile(
    r"^\s*(?:[>*_\s]*)(参考资料|参考文献|参考链接|参考|相关链接|references?|reference links?)\s*[:：]?\s*(.*)$",
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
_EVENT_ATTR = re.compile(r"""\s on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE | re.VERBOSE)
_JS_URL = re.compile(r"javascript:", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*\b[^<>]*>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_BARE_URL = re.compile(r"https?://[^\s)\]>，。]+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
_TOC = re.compile(r"^\s*\[(toc|TOC)\]\s*$")
_EMPHASIS = re.compile(r"(\*\*|__|~~|\*|`)")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def is_remote(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//", "data:"))


def split_references(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove ``参考：`` blocks (a label line and the link list after it).

    Returns the remaining lines and the reference items (list markers removed).
    A label line with a link on it (``参考：[title](url)``) is itself a reference.
    Only lists whose items hold links are taken; other text stays answer text.
    Lines inside fenced code are never touched.
    """
    kept: list[str] = []
    refs: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        f = _FENCE.match(lines[i])
        if fence is not None or f:
            if fence is None:
                fence = f.group(1)
            elif f and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence):
                fence = None
            kept.append(lines[i])
            i += 1
            continue
        m = _REF_HEAD.match(lines[i])
        if not m:
            kept.append(lines[i])
            i += 1
            continue
        rest = m.group(2).strip()
        label_only = rest == ""
        has_link = bool(_MD_LINK.search(rest) or _BARE_URL.search(rest))
        if not label_only and not has_link:
            kept.append(lines[i])  # "参考下面的公式..." is prose, not a reference label
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
            break
        if label_only and not taken_any:
            # A bare "参考：" followed by prose: keep everything as text.
            kept.append(lines[i])
            i += 1
            continue
        # keep a blank line where the block was, so paragraphs stay apart
        kept.append("")
        i = j
    return kept, refs


def _image_exists(url: str, base_dir: Path | None) -> bool:
    if is_remote(url):
        return True
    if base_dir is None or not url:
        return False
    target = url.split("#", 1)[0].split("?", 1)[0]
    try:
        return (base_dir / target).is_file()
    except (OSError, ValueError):
        return False


def sanitize_display(markdown: str, base_dir: Path | None) -> str:
    """Display Markdown: drop active HTML and images that cannot be shown."""
    text = _DANGEROUS_BLOCK.sub("", markdown)
    text = _DANGEROUS_TAG.sub("", text)
    text = _EVENT_ATTR.sub("", text)
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
    return text


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
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
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
    text = _DANGEROUS_BLOCK.sub(" ", text)
    text = _MD_IMAGE.sub(" ", text)
    text = _HTML_IMG.sub(" ", text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
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
        if line.startswith("|") or line.count("|") >= 2:
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
