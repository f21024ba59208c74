"""Parse Markdown Q&A collections (one file or a folder) into a :class:`Collection`.

The shape of a collection is inferred from its headings, so that other
collections work without configuration:

* a single ``#`` heading that comes first (``# AI 问题合集``) is the document
  title, not a section;
* the shallowest remaining level is a question level, not a section level,
  when most of its headings have answer text of their own and some have no
  sub-headings at all (a file of questions without section headings);
* otherwise the **section level** is the deepest of the remaining levels above which every
  heading is a pure container (no answer text of its own), e.g. ``##`` in the
  bundled collection, or ``##`` in "``#`` chapter / ``##`` 3.1 section /
  ``###`` 3.1.1 question" books (the chapter becomes part of the section name);
* every deeper heading is a question; a question's sub-headings are its
  sub-questions / answer parts;
* a ``<details><summary>问题</summary>答案</details>`` block (outside code)
  whose summary asks something ("什么是过拟合？") or names a topic to explain
  ("Batch Normalization", as a topic heading "### 10. 维数灾难" does) is a
  question too, with the rest of the block as its answer: a question of the
  section it sits in, or a sub-question of the question in whose answer it
  sits; several in a row are several questions. A summary that only labels
  the answer ("点击查看答案", "答案", "Click to expand", "代码", empty) or
  restates the heading above ("维数灾难" under "10. 维数灾难") leaves the block
  in the answer of that heading.

In a folder of files, each file's own title (``# 第三章 …``) is a chapter:
it prefixes the names of that file's sections, and the collection is named
after the folder. Headings inside fenced code or in YAML / TOML front matter
(``---`` … ``---`` at the top of a file) are not headings; a fence that
is never closed runs to the end of its file (as Markdown renderers show it)
and is reported in ``Collection.warnings``. Unusable input raises
:class:`CorpusError` with a message that names the file and says what to do;
in a folder, a file that is empty, has no headings (or only answer labels such
as ``### 答案``) or cannot be read (binary, an unknown encoding) is skipped
with a warning. A Chinese GBK / GB18030 file is read as such, with a warning.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from .blocks import split_blocks
from .model import Collection, Question, Section
from .text import (
    clean_title,
    closes_fence,
    is_reference_label,
    reading_list,
    sanitize_display,
    split_code,
    split_references,
    strip_numbering,
    to_plain,
)

PARSER_VERSION = 7  # 3: front matter is not headings; 4: "**bold **" shows as bold, radicals as characters;
# 5: answer-part headings (#### 答案) and reading lists (#### 推荐阅读) belong to their question, "##1." is a heading;
# 6: an answer-part heading with no question before it is never a question; <details> questions;
# 7: a <details> summary naming a topic ("Batch Normalization") is a question, not the answer of the heading above
BUNDLED_COLLECTION = Path(__file__).parent / "data" / "ai_questions.md"

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
# "##标题" (no space after the hashes); a line with more "#" in it is a hashtag line ("#面试 #机器学习", "#话题#")
_ATX_CJK = re.compile(r"^ {0,3}(#{1,6})([\u3000-\u9fff\uff00-\uffef][^#]*?)[ \t]*$")
# "##1. 问题", "##Q1. What…" (no space after the hashes, common in notes): a heading for two or more hashes
# when a separator follows the number ("##100%" is not); a single "#1" is more likely a hashtag or an issue number
_ATX_NUMBERED = re.compile(r"^ {0,3}(#{2,6})((?:[Qq]\d+|\d+(?:\.\d+)*)(?:[.、)）:：]|\s)\s*[^#\s][^#]*?)[ \t]*$")
# a heading that labels a part of the answer above it, not a question of its own; text after a colon is answer
# text written in the heading ("#### 答案：过拟合就是泛化差")
_ANSWER_PART = re.compile(
    r"^(?:参考答案|标准答案|答案与解析|答案及解析|答案解析|答案要点|答案|参考解答|解析|解答|参考回答|回答|答|详解|题解"
    r"|解题思路|参考思路|思路|分析|(?:my |sample |reference |model )?answers?|solutions?|explanation|ans)"
    r"(?:\s*\d+)?\s*(?::\s*(.*))?$",
    re.IGNORECASE,
)
# an answer that only says it is missing ("（待补充）", "TODO") is no answer
_PLACEHOLDER = re.compile(
    r"^[\s(（\[【]*(?:待补充|待完善|待更新|待续|未完待续|暂无答案|暂无|略|todo|tbd|to do|coming soon|wip)[\s)）\]】.。!！…]*$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MAX_FILE_BYTES = 200 * 1024 * 1024


class CorpusError(Exception):
    """A collection cannot be used; the message says which file and what to do."""


@dataclass
class _Heading:
    level: int
    text: str
    line: int  # 1-based
    body: list[str] = field(default_factory=list)
    body_start: int = 0
    details: bool = False  # a question written as <details><summary>问题</summary>答案</details>
    end_line: int = 0  # its last line (the </details> line) when known; else it runs to the next heading

    @property
    def has_text(self) -> bool:
        """Answer text of its own; the links under a "参考" / "推荐阅读" heading are not."""
        if _is_reading_list(self):
            return False
        kept, _ = split_references(self.body)
        prose, code = split_code(kept)
        return bool(to_plain(prose)) or bool(code)


@dataclass
class _SourceFile:
    rel: str
    path: Path
    text: str
    warning: str = ""  # how it was read (legacy encoding), or why a folder's file was skipped
    skipped: bool = False


def load_collection(path: str | os.PathLike[str] | None = None, section_level: int | None = None) -> Collection:
    """Load one Markdown file or every ``.md`` file under a folder.

    ``path`` defaults to the bundled "AI 问题合集". ``section_level`` (1–6)
    overrides the inferred section heading level.
    """
    root = Path(path) if path is not None else BUNDLED_COLLECTION
    files = _read_sources(root)
    return parse_sources(files, section_level=section_level, title_hint=root.stem)


def parse_markdown(text: str, source: str = "collection.md", section_level: int | None = None) -> Collection:
    """Parse Markdown text (one file's content) into a collection."""
    return parse_sources([_SourceFile(source, Path(source), _normalize(text))], section_level=section_level)


def parse_sources(
    files: list[_SourceFile], section_level: int | None = None, title_hint: str = ""
) -> Collection:
    if section_level is not None and (
        isinstance(section_level, bool) or not isinstance(section_level, int) or not 1 <= section_level <= 6
    ):
        raise CorpusError(
            f"section level must be a whole number from 1 to 6 (got {section_level!r}): the number of '#' "
            f"of your section headings, e.g. 2 for '## Section'."
        )
    sections: list[Section] = []
    questions: dict[str, Question] = {}
    warnings: list[str] = []
    auto_levels: list[int] = []  # the section level each file's headings suggest
    title = ""
    used_ids: set[str] = set()
    for f in files:
        if f.warning:
            warnings.append(f.warning)
        if f.skipped:
            continue
        headings, unclosed, unclosed_details = _scan(f.text)
        if unclosed_details:  # one warning per file: a misspelt closing tag can leave hundreds open
            more = len(unclosed_details) - 1
            warnings.append(
                f"{f.rel}:{unclosed_details[0]}: <details> block is never closed (no </details>), so its question "
                f"is read as text" + (f"; so are {more} more after it (lines "
                                      f"{', '.join(map(str, unclosed_details[1:6]))}{' …' if more > 5 else ''})"
                                      if more else "")
                + ". Close it with </details>. / <details> 没有闭合，未作为题目。"
            )
        # answer-part headings (#### 答案) belong to a question: they say nothing about the levels
        structural = _without_answer_parts(headings)
        if not structural:  # no headings, or only answer labels ("### 答案") with no question above them
            msg = _unusable_message(f, headings, unclosed, unclosed_details)
            if len(files) == 1:
                raise CorpusError(msg)
            warnings.append(msg + " (skipped)")
            continue
        if unclosed:
            warnings.append(
                f"{f.rel}:{unclosed}: code fence is never closed, so the rest of the file is code "
                f"(headings after it are not questions). Close it with a matching ``` or ~~~ line."
            )
        file_title, sec_level, chapter_levels = _infer_levels(structural, section_level)
        inferred = sec_level if section_level is None else _infer_levels(structural, None)[1]
        auto_levels.append(inferred)
        unused = _unused_text(structural, sec_level, inferred, file_title) if section_level is not None else []
        if unused:  # the user chose the level: say what it leaves out
            first = unused[0]
            warnings.append(
                f"{f.rel}:{first.line}: the text under '{clean_title(first.text)}'"
                + (f" and {len(unused) - 1} other heading(s)" if len(unused) > 1 else "")
                + f" is not asked: with --section-level {sec_level}, headings of {sec_level} or fewer '#' are "
                f"sections or chapters, not questions. To ask it, leave out --section-level (the headings suggest "
                f"{max(1, inferred)}). / 这些标题下的文字不会作为题目。"
            )
        title = title or file_title
        chapter = [file_title] if file_title and len(files) > 1 else []
        title_line = structural[0].line if file_title else 0
        _build_tree(f, headings, sec_level, chapter_levels, file_title, title_line, chapter, sections, questions,
                    used_ids, warnings)
    if not questions:
        used = [f.rel for f in files if not f.skipped] or [f.rel for f in files]
        names = ", ".join(used[:5]) + (" …" if len(used) > 5 else "")
        skipped = [f.warning for f in files if f.skipped]
        advice = "Check the heading levels or pass --section-level."
        if section_level is not None and auto_levels:
            advice = (f"--section-level {section_level} leaves no heading below it; without it the headings "
                      f"suggest {max(1, auto_levels[0])}.")
        raise CorpusError(
            f"No questions found in {names}: headings below the section level are questions "
            f"(e.g. '## Section' then '### Question'). {advice}"
            + (f" Also: {skipped[0]}" if skipped else "")
        )
    digest = hashlib.sha256(f"parser-v{PARSER_VERSION}".encode())
    if section_level is not None:  # another level gives other sections and question ids: another collection
        digest.update(f"section-level-{section_level}\0".encode())
    for f in files:
        digest.update(f.rel.encode() + b"\0" + f.text.encode("utf-8") + b"\0")
    if len(files) > 1:  # a folder: its files' titles are chapters
        title = title_hint or title
    return Collection(
        title=title or title_hint or "Questions",
        sections=sections,
        questions=questions,
        sources=[f.rel for f in files],
        content_hash=digest.hexdigest(),
        warnings=warnings,
    )


def _unusable_message(f: _SourceFile, headings: list[_Heading], unclosed: int, unclosed_details: list[int]) -> str:
    """Why a file gives no questions when it has no headings that shape a collection (none at all, or only
    answer labels such as ``### 答案`` with no question above them), and what to do; with a hint when an
    underlined heading, an unclosed <details> block or an unclosed code fence may hide the questions."""
    if not f.text.strip():
        return f"{f.rel} is empty. Add questions as Markdown headings ('## Section', '### Question')."
    if headings:  # every one labels an answer ("答案", "Answer", …): _without_answer_parts left none
        labels = [clean_title(h.text) for h in headings[:3]]
        labels = [t if len(t) <= 30 else t[:29] + "…" for t in labels]  # "答案：<a whole answer>" is cut short
        named = ", ".join(f"'{t}' at line {h.line}" for t, h in zip(labels, headings))
        one = len(headings) == 1
        msg = (
            f"{f.rel}: no question headings found: its only heading{'' if one else 's'} "
            f"label{'s an answer' if one else ' answers'} ({named}{'' if len(headings) <= 3 else ' …'}), and no "
            f"question comes before {'it' if one else 'them'}. Put each question in a heading above its answer "
            f"('### Question', then '#### 答案'), or choose another file. / "
            f"只有「{labels[0]}」这样的答案标题，没有题目标题：请在答案上方加上题目标题。"
        )
    else:
        msg = (
            f"{f.rel}: no Markdown headings found. Questions must be headings "
            f"('## Section', '### Question'); add headings or choose another file."
        )
    lines = f.text.split("\n")
    # "标题\n===": a heading CommonMark knows, this parser does not ("title: x\n---" closing front matter is not)
    if _SETEXT.search("\n".join(lines[_front_matter_end(lines):])):
        msg += (" Underlined (Setext) headings, a line followed by === or ---, are not read: "
                "write them as '## Title' / '### Question'. / 不支持下划线式标题，请改用 ## / ###。")
    if unclosed_details:  # the file's questions are <details> blocks, but one swallows the rest
        msg += (f" The <details> block at line {unclosed_details[0]} is never closed, so it is not read as "
                f"a question: close it with </details>. / <details> 没有闭合。")
    if unclosed:  # the questions may be inside the code that runs to the end of the file
        msg += (f" The code fence at line {unclosed} is never closed, so the rest of the file is code: close it "
                f"with a matching ``` or ~~~ line. / 代码块没有闭合。")
    return msg


# --------------------------------------------------------------------- reading


_SETEXT = re.compile(r"^[^\s#>`|*-][^\n]*\n(?:=+|-+)[ \t]*$", re.MULTILINE)  # text, then a line of === or ---


def _read_sources(root: Path) -> list[_SourceFile]:
    if not root.exists():
        raise CorpusError(
            f"Collection not found: {root}. Check the path, or leave out --corpus to use the bundled "
            f"AI 问题合集. / 找不到题库：{root}"
        )
    if root.is_dir():
        paths = sorted(
            (
                p for p in root.rglob("*")
                if p.suffix.lower() in (".md", ".markdown") and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
            ),
            key=lambda p: _natural_key(p.relative_to(root).as_posix()),
        )
        if not paths:
            raise CorpusError(
                f"The folder {root} holds no Markdown files (*.md). Put your questions in .md files "
                f"there, or point --corpus at a single file. / 文件夹中没有 .md 文件。"
            )
        housekeeping = [p for p in paths if _is_housekeeping(p, root)]
        if len(housekeeping) == len(paths):  # nothing else: use them (a repository of one README)
            housekeeping = []
        return [_SourceFile(p.relative_to(root).as_posix(), p, "", skipped=True,
                            warning=f"{p.relative_to(root).as_posix()}: a repository's {_kind_of_file(p)}, not "
                                    f"questions (skipped; point --corpus at it to use it) / 跳过了仓库说明文件")
                if p in housekeeping else _read_folder_file(p, p.relative_to(root).as_posix()) for p in paths]
    return [_read_file(root, root.name)]


# A repository's own documents, not questions: its README (usually a table of contents), change log, GitBook
# SUMMARY, licence and contribution guides, and any package's files under node_modules.
_HOUSEKEEPING_NAMES = frozenset({"readme", "changelog", "changes", "history", "summary", "license", "licence",
                                 "contributing", "code_of_conduct", "security", "authors"})


def _is_housekeeping(path: Path, root: Path) -> bool:
    """True for a file of a folder collection that documents the repository rather than asking questions."""
    return path.stem.lower() in _HOUSEKEEPING_NAMES or "node_modules" in path.relative_to(root).parts


def _kind_of_file(path: Path) -> str:
    """What a skipped file is, for its warning: "README", "table of contents (SUMMARY)", "CHANGELOG" …"""
    stem = path.stem.lower()
    if stem not in _HOUSEKEEPING_NAMES:
        return "package file"  # under node_modules
    return {"summary": "table of contents (SUMMARY)"}.get(stem, path.stem)


def _read_folder_file(path: Path, rel: str) -> _SourceFile:
    """One file of a folder collection: a file that cannot be used is skipped with a warning, so one
    stray file (binary, unreadable, another encoding) does not stop the rest of the folder."""
    try:
        return _read_file(path, rel, allow_empty=True)
    except CorpusError as exc:
        return _SourceFile(rel, path, "", warning=f"{exc} (skipped)", skipped=True)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a Markdown file's bytes: UTF-8, else GB18030 when that reads as Chinese.

    Chinese collections saved on Windows are often GBK / GB18030. Such bytes are
    taken as GB18030 only when most non-ASCII characters they decode to are CJK,
    so a Latin-1 or random binary file is not turned into nonsense.
    Raises UnicodeDecodeError (the UTF-8 one) when neither fits.

    >>> decode_text("卷积 conv".encode("gbk"))
    ('卷积 conv', 'gb18030')
    >>> decode_text("卷积".encode())
    ('卷积', 'utf-8')
    """
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise utf8_error from None
        wide = [c for c in text if ord(c) > 127]
        cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
        if wide and cjk >= 0.9 * len(wide):
            return text, "gb18030"
        raise utf8_error from None


def _natural_key(rel: str) -> list[object]:
    """``2.md`` before ``10.md``: chapter files are rarely zero-padded."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", rel)]


_RADICALS = re.compile("[\u2e80-\u2fdf]")


def _normalize(text: str) -> str:
    r"""Drop a byte-order mark, turn CRLF / CR line endings into LF, and radicals into characters.

    Text copied out of PDFs often holds Kangxi radicals that look like common
    characters ("⽹" U+2F79 for "网"); many fonts show them as empty boxes, and
    a user searching or answering types the common character.

    >>> _normalize("神经⽹络\r\n")
    '神经网络\n'
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def _read_file(path: Path, rel: str, allow_empty: bool = False) -> _SourceFile:
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise CorpusError(f"{path}: {size // (1024 * 1024)} MB is too large for a question collection (limit 200 MB); split it into several files in a folder.")
        data = path.read_bytes()
    except PermissionError:
        raise CorpusError(f"{path}: permission denied; make the file readable or copy it somewhere you own.") from None
    except IsADirectoryError:
        raise CorpusError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if not data.strip() and not allow_empty:
        raise CorpusError(f"{path} is empty. Add questions as Markdown headings ('## Section', '### Question').")
    if b"\0" in data[:65536]:
        raise CorpusError(f"{path} looks like a binary file, not Markdown text. Point --corpus at a .md file.")
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}). "
            f"Save it as UTF-8, e.g. `iconv -f GBK -t UTF-8 in.md > out.md`. / 请将文件另存为 UTF-8 编码。"
        ) from None
    warning = "" if encoding == "utf-8" else (
        f"{rel} is not UTF-8; it was read as {encoding.upper()} (Chinese). Save it as UTF-8 to be sure. "
        f"/ 该文件不是 UTF-8 编码，已按 {encoding.upper()} 读取。")
    return _SourceFile(rel, path, _normalize(text), warning=warning)


# --------------------------------------------------------------------- structure


def _scan(text: str) -> tuple[list[_Heading], int, list[int]]:
    """Headings with the lines under each; ``#`` lines inside code fences are text.

    A ``<details>`` block (outside code) whose summary names a question or a topic is a question heading of its
    own, one level below the heading whose text it sits in (:func:`_details_question`); its lines are blank in
    that heading's text. Also returns the line of a code fence that is never closed (0 if none), and the lines of
    ``<details>`` blocks with a question or topic summary that are never closed (read as text).
    """
    headings: list[_Heading] = []
    owner: _Heading | None = None  # the last real heading: the text around <details> questions is its text
    preamble: list[str] = []
    fence: str | None = None
    fence_line = 0
    unclosed_details: list[int] = []
    walked: dict[tuple[int, str | None], int] = {}  # what walks to the end of the file found (_details_question)
    lines = text.split("\n")
    front = _front_matter_end(lines)
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        body = owner.body if owner is not None else preamble
        if number <= front:  # YAML / TOML front matter: "# comment" there is not a heading
            preamble.append(line)
            continue
        m_fence = _FENCE.match(line)
        if fence is not None:
            if closes_fence(fence, line):
                fence = None
        elif m_fence:
            fence, fence_line = m_fence.group(1), number
        else:
            m = _ATX.match(line) or _ATX_CJK.match(line) or _ATX_NUMBERED.match(line)
            if m and (m.group(2) or "").strip().strip("#").strip():
                owner = _Heading(len(m.group(1)), m.group(2).strip(), number, body_start=number + 1)
                headings.append(owner)
                continue
            if _DETAILS_OPEN.match(line):
                found = _details_question(lines, number - 1, clean_title(owner.text) if owner else "", walked)
                if found == "unclosed":
                    unclosed_details.append(number)
                elif found is not None:
                    question, tail = found
                    # one level below its heading; before any heading, below every level (a question of the first section)
                    headings.append(replace(question, level=owner.level + 1 if owner else 7))
                    body.extend([""] * (question.end_line - number) + [tail])  # keeps the owner's line numbers
                    index = question.end_line
                    continue
        body.append(line)
    return headings, fence_line if fence is not None else 0, unclosed_details


# "<details>", "<details open>", also as a list item ("1. <details>")
_DETAILS_OPEN = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?<details\b[^>]*>", re.IGNORECASE)
_DETAILS_TAG = re.compile(r"<(/?)details\b[^>]*>", re.IGNORECASE)
_SUMMARY = re.compile(r"^\s*<summary\b[^>]*>(.*?)</summary\s*>", re.IGNORECASE | re.DOTALL)
_SUMMARY_LINES = 5  # a summary closes within this many lines of its <details>
_NESTED_TAG = re.compile(r"<(?:details|summary)\b", re.IGNORECASE)  # no summary holds another block
# A summary that only labels a collapsed answer ("点击查看答案", "Click to expand", "代码", "【答案】 👇") names no
# question: it is made of these words alone (in any order, with numbers, punctuation and emoji between them).
# Any other summary names a question ("什么是过拟合？") or a topic to explain ("Batch Normalization"), as a
# heading does.
_LABEL_WORDS = frozenset((
    "点击 点我 点此 点这里 单击 双击 戳 这里 此处 下方 下面 如下 以下 一下 以 可 请 见 查看 展开 显示 打开 收起 折叠 隐藏 "
    "看 阅读 参考 完整 详细 全部 全文 更多 标准 个人 我的 理解 答案 解析 解答 解题 题解 详情 详解 讲解 内容 代码 源码 "
    "源代码 程序 示例 样例 例子 举例 举个例子 实现 细节 提示 备注 注释 注意 说明 解释 思路 分析 回答 答 资料 链接 出处 "
    "来源 原文 补充 拓展 扩展 笔记 总结 小结 要点 重点 结果 输出 运行 图示 图解 图片 截图 视频 证明 部分 目录 大纲 导航 "
    "中文 英文 英语 翻译 译文 版 与 和 及 以及 的 下 "
    "click tap here to the a an me my for and or of this it please let lets go check out see show view expand "
    "reveal open toggle hide collapse fold unfold read more less full complete answer answers ans solution "
    "solutions sol detail details code codes snippet snippets explanation explanations hint hints tip tips note "
    "notes example examples sample samples demo output outputs result results reference references source "
    "sources link links proof model key point points summary content contents info spoiler spoilers tl dr "
    "further reading also table toc screenshot screenshots image images figure video english chinese version "
    "translation"
).split())
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LONGEST_LABEL_WORD = max(len(w) for w in _LABEL_WORDS if _CJK.match(w))  # in Chinese characters
# a run of Chinese characters, or a word of another script
_LABEL_TOKEN = re.compile(_CJK.pattern + r"|[^\W\d_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# how a heading asks about its topic ("什么是 BN？", "What is dropout?", "BN 是什么"): a summary naming the
# topic alone restates the heading
_ASKING_PREFIX = re.compile(
    r"^(?:请)?(?:什么是|何为|何谓|简述(?:一下)?|介绍(?:一下)?|解释(?:一下)?|说说|谈谈|讲讲)\s*"
    r"|^(?:what\s+(?:is|are)|what's|explain|describe|define)\s+(?:(?:an?|the)\s+)?"
)
_ASKING_SUFFIX = re.compile(r"\s*(?:是什么(?:意思)?|是啥|指什么|是指什么)?\s*(?:吗|呢)?\s*[?？]*\s*$")


def _is_label(summary: str) -> bool:
    """Whether a ``<summary>`` only labels the answer it hides: empty, an answer-part label ("答案：见下"), or
    label words alone ("点击查看答案", "Show the solution", "代码示例", "▶ Answer").

    >>> [_is_label(t) for t in ("", "<b></b>", "答案？", "【点击展开】👇", "Click here to see the answer", "代码实现",
    ...                         "TL;DR", "Batch Normalization", "维数灾难", "注意力机制", "答案的含义", "Output layer")]
    [True, True, True, True, True, True, True, False, False, False, False, False]
    """
    label = _heading_label(summary).rstrip("?？ ")  # "答案？" is still a label
    if _answer_part(_Heading(0, label, 0)) is not None:
        return True
    return all(_label_words_only(token) for token in _LABEL_TOKEN.findall(label.casefold()))


def _label_words_only(token: str) -> bool:
    """Whether a word is a label word, or a run of Chinese characters label words one after another
    ("点击查看答案")."""
    if not _CJK.match(token):
        return token in _LABEL_WORDS
    ends = {0}  # where a split of the run into label words can end (linear: no regex backtracking)
    for i in range(len(token)):
        if i in ends:
            ends.update(i + n for n in range(1, _LONGEST_LABEL_WORD + 1) if token[i:i + n] in _LABEL_WORDS)
    return len(token) in ends


def _topic(title: str) -> str:
    """What a heading asks about, compared loosely: "10. 什么是 BN？" → "bn"."""
    text = _ASKING_SUFFIX.sub("", _ASKING_PREFIX.sub("", _norm(title), count=1), count=1)
    return text.strip() or _norm(title)


def _is_question_summary(summary: str, owner_title: str) -> bool:
    """Whether a ``<summary>`` names a question or a topic to explain (a question, like a topic heading
    "### 10. 维数灾难") rather than labels the answer under the heading above: not a label
    (:func:`_is_label`) and not the heading's own question again ("维数灾难" under "10. 维数灾难",
    "BN" under "什么是 BN？").

    >>> [_is_question_summary(t, "什么是过拟合？") for t in ("BN 的作用？", "Batch Normalization", "<b>Dropout</b>",
    ...     "点击查看答案", "答案：见下", "Click to expand", "代码实现", "过拟合", "**什么是过拟合?**", "What is overfitting?")]
    [True, True, True, False, False, False, False, False, False, True]
    """
    if _is_label(summary):
        return False
    return not (owner_title and _topic(summary) == _topic(owner_title))


def _details_question(
    lines: list[str], start: int, owner_title: str, walked: dict[tuple[int, str | None], int]
) -> tuple[_Heading, str] | str | None:
    """The question written as the ``<details>`` block opening at ``lines[start]``: a heading (level left
    to the caller) whose text is the summary and whose body is the rest of the block, and the text after
    ``</details>`` on its last line. None when the block is not a question (no summary first, a broken one, or
    one that labels the answer); "unclosed" when a question's block has no ``</details>``.

    ``walked`` is shared by the calls on one file's ``lines``: for a line and the code fence open on reaching it,
    how far the nesting depth falls from there to the end of the file (0 or less), as found by walks that reached
    the end without a ``</details>``. A walk that reaches such a line with a depth that cannot fall to 0 stops
    there, unclosed: a file of many unclosed blocks is read once, not once per block (which took quadratic time).
    """
    opening = _DETAILS_OPEN.match(lines[start])
    assert opening is not None
    text, last = lines[start][opening.end():], start
    while "</summary" not in text.lower() and last + 1 < len(lines) and last - start < _SUMMARY_LINES:
        last += 1
        text += "\n" + lines[last]
    summary = _SUMMARY.match(text)
    if summary is None or _NESTED_TAG.search(summary.group(1)):
        return None  # no summary first, or a broken one ("<summary><details><summary>…"): the block is text
    title = re.sub(r"\s+", " ", summary.group(1)).strip()
    if not _is_question_summary(title, owner_title):
        return None
    rest, row, depth, fence = text[summary.end():], last, 1, None  # rest: what follows </summary> on row
    body: list[str] = []
    body_start = row + 1 if rest.strip() else row + 2  # 1-based line of the body's first line
    trail: list[tuple[tuple[int, str | None], int, int]] = []  # lines after the summary: key, lowest and last change
    while True:
        # past the summary, where a walk goes depends only on the line, the open fence and the depth
        key, entry, low = (row, fence), depth, depth
        if row > last and key in walked and depth + walked[key] > 0:  # the rest of the file cannot close it
            return _remember_unclosed(trail, walked[key], walked)
        if fence is not None:
            if closes_fence(fence, rest):
                fence = None
        elif (m := _FENCE.match(rest)) and row > last:
            fence = m.group(1)
        else:
            for tag in _DETAILS_TAG.finditer(rest):
                depth += -1 if tag.group(1) else 1
                low = min(low, depth)
                if depth == 0:
                    if row > last or rest[:tag.start()].strip():
                        body.append(rest[:tag.start()])
                    return (_Heading(0, title, start + 1, body, body_start, details=True, end_line=row + 1),
                            rest[tag.end():])
        if row > last or rest.strip():
            body.append(rest)
        if row > last:
            trail.append((key, low - entry, depth - entry))
        row += 1
        if row >= len(lines):
            return _remember_unclosed(trail, 0, walked)
        rest = lines[row]


def _remember_unclosed(
    trail: list[tuple[tuple[int, str | None], int, int]], fall_after: int, walked: dict[tuple[int, str | None], int]
) -> str:
    """Record in ``walked``, for each line of an unclosed block's walk (its key, the lowest change of depth
    within it and its whole change), how far the depth falls from there to the end of the file, given
    ``fall_after`` for the rest of the file after the last of them; returns "unclosed".

    >>> walked = {}
    >>> _remember_unclosed([((3, None), 0, 1), ((4, None), -1, -1), ((5, None), 0, 0)], 0, walked), walked
    ('unclosed', {(5, None): 0, (4, None): -1, (3, None): 0})
    """
    for key, low, change in reversed(trail):
        fall_after = min(low, change + fall_after)
        walked[key] = fall_after
    return "unclosed"


def _heading_label(heading: str) -> str:
    """A heading read as a label: no emphasis, numbering or surrounding space; NFKC ("：" → ":").

    >>> _heading_label("**答案：**"), _heading_label("2. Further Reading")
    ('答案:', 'Further Reading')
    """
    return unicodedata.normalize("NFKC", strip_numbering(clean_title(heading))).strip()


def _answer_part(heading: _Heading) -> str | None:
    """The answer text written in an answer-part heading ("" for a bare label such as ``#### 答案``), or None
    when the heading is not one.

    >>> [_answer_part(_Heading(4, t, 1)) for t in ("答案：", "**解析**", "Answer 2", "答案：过拟合", "答案的含义")]
    ['', '', '', '过拟合', None]
    """
    m = _ANSWER_PART.match(_heading_label(heading.text))
    return None if m is None else (m.group(1) or "").strip()


def _without_answer_parts(headings: list[_Heading]) -> list[_Heading]:
    """The headings that shape the collection, for inferring its levels: an answer-part heading's text
    counts as text of the heading before it (a question whose answer sits under ``#### 答案`` is a
    question with an answer, not an empty container), and one with no heading before it is left out."""
    shaped: list[_Heading] = []
    for h in headings:
        inline = _answer_part(h)
        if inline is not None and not shaped:
            continue  # "### 答案" opening a file answers nothing: _build_tree warns about it
        if inline is not None:
            shaped[-1] = replace(shaped[-1], body=[*shaped[-1].body, inline, *h.body])
        else:
            shaped.append(h)
    return shaped


def _is_reading_list(heading: _Heading) -> bool:
    """``## 参考`` / ``#### 推荐阅读`` / ``### Further reading``: a heading over things to read."""
    return is_reference_label(_heading_label(heading.text))


def _front_matter_end(lines: list[str], max_lines: int = 200) -> int:
    """The line number closing a front-matter block at the very top of a file (0 when there is none).

    >>> _front_matter_end(["---", "# yaml comment", "title: x", "---", "# Title"])
    4
    >>> _front_matter_end(["---", "not closed", "# Title"]), _front_matter_end(["# Title", "---"])
    (0, 0)
    """
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0
    yaml = lines[0].strip() == "---"
    closers = ("---", "...") if yaml else ("+++",)
    key = re.compile(r"^[A-Za-z_][\w-]*\s*" + (":" if yaml else "="))
    for number, line in enumerate(lines[1:max_lines], start=2):
        if line.strip() in closers:
            block = lines[1:number - 1]
            # a rule at the top of a file, not metadata: it must hold "key: value" lines and no "## heading"
            if any(key.match(x) for x in block) and not any(x.startswith("##") for x in block):
                return number
            return 0
    return 0


def _infer_levels(headings: list[_Heading], forced: int | None) -> tuple[str, int, set[int]]:
    """Return (document title, section level, chapter levels above it)."""
    levels = sorted({h.level for h in headings})
    title = ""
    top = levels[0]
    top_headings = [h for h in headings if h.level == top]
    if top == 1 and len(top_headings) == 1 and headings[0].level == top and len(levels) > 1:
        title = clean_title(top_headings[0].text)
        levels = levels[1:]
    if forced is not None:
        return title, forced, {lv for lv in levels if lv < forced}
    if len(levels) == 1 or _is_question_level(headings, levels[0]):
        return title, levels[0] - 1, set()  # questions only: one section per file
    section = levels[0]
    for lv in levels[1:-1]:
        at_level = [h for h in headings if h.level == lv]
        containers = sum(1 for h in at_level if not h.has_text)
        # a level where (nearly) every heading is an empty container is still grouping
        if containers / len(at_level) >= 0.9 and all(
            not h.has_text for h in headings if h.level == section
        ):
            section = lv
        else:
            break
    return title, section, {lv for lv in levels if lv < section}


def _unused_text(headings: list[_Heading], section_level: int, inferred: int, file_title: str) -> list[_Heading]:
    """Headings whose answer text no question holds at ``section_level`` but would at the ``inferred``
    level (a section's or chapter's own intro is not a lost answer)."""
    first = 1 if file_title else 0
    return [h for h in headings[first:] if h.has_text and not h.details and inferred < h.level <= section_level]


def _is_question_level(headings: list[_Heading], level: int) -> bool:
    """Most headings of ``level`` have text, and some have text but no sub-headings."""
    at_level = [i for i, h in enumerate(headings) if h.level == level]
    with_text = [i for i in at_level if headings[i].has_text]
    leaves = [i for i in with_text if i + 1 == len(headings) or headings[i + 1].level <= level]
    return len(with_text) * 2 >= len(at_level) and bool(leaves)


def _norm(title: str) -> str:
    t = unicodedata.normalize("NFKC", strip_numbering(clean_title(title))).lower()
    return re.sub(r"\s+", " ", t).strip()


def _stable_id(prefix: str, parts: list[str], used: set[str]) -> str:
    base = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    candidate, n = f"{prefix}{base}", 2
    while candidate in used:  # duplicate headings under the same parent
        candidate = f"{prefix}{base}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def _build_tree(
    f: _SourceFile,
    headings: list[_Heading],
    section_level: int,
    chapter_levels: set[int],
    file_title: str,
    title_line: int,
    chapter: list[str],
    sections: list[Section],
    questions: dict[str, Question],
    used_ids: set[str],
    warnings: list[str],
) -> None:
    """Add the sections and questions of one file; ``title_line`` is the line of its title heading (0: none)."""
    base_dir = f.path.parent if f.path.exists() else None
    chapters: dict[int, str] = {}
    section: Section | None = None
    section_key = ""
    stack: list[Question] = []  # open questions, shallowest first
    last: Question | None = None  # the question built last
    parts_of: dict[str, list[_Part]] = {}  # question id → its answer text, in pieces (filled in at the end)
    total_lines = f.text.count("\n") + 1

    def new_section(parts: list[str], level: int, line: int) -> Section:
        nonlocal section_key
        # each part is normalised on its own, so renumbering "3.1" → "4.1" under a
        # chapter keeps the ids
        section_key = " › ".join(_norm(p) for p in parts)
        sid = _stable_id("s-", [section_key], used_ids)
        s = Section(id=sid, title=" › ".join(parts), level=level, source=f.rel, line_start=line)
        sections.append(s)
        return s

    # a heading's text runs to the next heading, past the <details> questions in it (its text goes on after them)
    next_line = [total_lines + 1] * len(headings)
    for index in range(len(headings) - 2, -1, -1):
        after = headings[index + 1]
        next_line[index] = next_line[index + 1] if after.details else after.line
    for index, h in enumerate(headings):
        end_line = h.end_line or next_line[index] - 1
        if h.line == title_line:
            continue  # the document title (or, in a folder, the chapter)
        if h.details and h.level <= section_level:
            # a <details> question in a section's (or chapter's, or title's) text: a question of that section
            h = replace(h, level=section_level + 1)
        inline = None if h.details else _answer_part(h)
        if inline is not None and last is None:
            # an answer part with no question above it (in its section, or at the top of the file) answers
            # nothing and is no question: its text is the section's, or skipped when no section is open
            label = clean_title(h.text)
            if section is not None:
                section.intro = "\n\n".join(t for t in (section.intro, _intro_of([inline, "", *h.body])) if t)
                kept = f"kept as the introduction of section '{section.title}'"
            else:
                kept = "skipped"
            warnings.append(
                f"{f.rel}:{h.line}: '{label}' labels an answer, but no question comes before it: it is not asked "
                f"(its text is {kept}). Put a question heading above it. / 「{label}」前没有题目，不作为题目。"
            )
            continue
        if inline is not None and last is not None:
            # "#### 答案" under a question (or beside it, or mis-levelled above it) is part of its answer:
            # the innermost open question above it, else the question just before it
            enclosing = [q for q in stack if q.level < h.level and h.level > section_level]
            target = enclosing[-1] if enclosing else last
            lines, start = ([inline, "", *h.body], h.line) if inline else (h.body, h.body_start)
            parts_of[target.id].append(_Part(lines, start))
            continue
        if not h.details and _is_reading_list(h) and h.level > section_level:
            # "#### 推荐阅读" under a question: its references; one beside the questions lists the
            # section's reading, which is not a question to ask
            enclosing = [q for q in stack if q.level < h.level]
            stack = enclosing
            if enclosing:
                parts_of[enclosing[-1].id].append(_Part(h.body, h.body_start, reading=True))
            continue
        if h.level < section_level:
            if h.level in chapter_levels:
                chapters = {lv: t for lv, t in chapters.items() if lv < h.level}
                chapters[h.level] = clean_title(h.text)
            section, stack, last = None, [], None
            continue
        if h.level == section_level:
            parts = [*chapter, *(chapters[lv] for lv in sorted(chapters)), clean_title(h.text)]
            section = new_section(parts, h.level, h.line)
            section.intro = _intro_of(h.body)
            stack, last = [], None
            continue
        if section is None:  # questions before any section heading
            parts = [*chapter, *(chapters[lv] for lv in sorted(chapters))] or [file_title or Path(f.rel).stem]
            section = new_section(parts, section_level, h.line)
        while stack and stack[-1].level >= h.level:
            stack.pop()
        parent = stack[-1] if stack else None
        title = clean_title(h.text)
        path = (*(parent.path if parent else ()), title)
        id_parts = [section_key, *(_norm(p) for p in path)]
        qid = _stable_id("q-", id_parts, used_ids)
        q = Question(
            id=qid,
            title=title,
            heading=h.text,
            level=h.level,
            section_id=section.id,
            section=section.title,
            path=path,
            parent_id=parent.id if parent else None,
            body="",
            plain="",
            references=[],
            source=f.rel,
            line_start=h.line,
            line_end=end_line,
        )
        parts_of[qid] = [_Part(h.body, h.body_start)]
        last = q
        questions[qid] = q
        if parent is None:
            section.question_ids.append(qid)
        else:
            parent.children.append(qid)
        stack.append(q)
    for qid, parts in parts_of.items():  # answer parts may join a question after its sub-questions
        _fill_answer(questions[qid], parts, base_dir)


@dataclass
class _Part:
    """A run of source lines that belongs to one question's answer: the text under its heading, or under
    an answer-part heading (``#### 答案``) or a reading list (``#### 推荐阅读``, ``reading``) that joins it."""

    lines: list[str]
    first_line: int  # the source line of lines[0]
    reading: bool = False


def _fill_answer(q: Question, parts: list[_Part], base_dir: Path | None) -> None:
    """Set a question's answer fields (display, plain text, code, references, blocks) from its parts.

    A reading list adds each of its lines as a reference, so a note about what to read ("先读第一章")
    is not answer text. An answer that only says it is missing ("（待补充）", "TODO") counts as none.
    """
    displays, plains, code, refs, blocks = [], [], [], [], []
    for part in parts:
        if part.reading:
            refs.extend(reading_list(part.lines))
            continue
        kept, part_refs = split_references(part.lines)
        prose, part_code = split_code(kept)
        displays.append("\n".join(_drop_blank_edges(kept)))
        plains.append(to_plain(prose))
        code.extend(part_code)
        refs.extend(part_refs)
        blocks.extend(split_blocks(part.lines, part.first_line))
    plain = "\n\n".join(p for p in plains if p)
    if not code and _PLACEHOLDER.match(plain):
        plain, blocks = "", []
    q.body = sanitize_display("\n\n".join(d for d in displays if d), base_dir).strip("\n")
    q.plain, q.code, q.references, q.blocks = plain, code, refs, blocks


def _intro_of(lines: list[str]) -> str:
    """A section's own text, as plain text (no reference links, no code)."""
    kept, _ = split_references(lines)
    return to_plain(split_code(kept)[0])


def _drop_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
