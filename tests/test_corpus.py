"""Tests for the Markdown collection parser (corpus.parser / corpus.text).

Numbers about the bundled "AI 问题合集" (corpus/data/ai_questions.md) were
counted by hand, independently of the parser:

* ``grep -c '^## '``  → 14 sections;
* ``grep -c '^### '`` → 86 top-level questions (none of them inside a fence);
* 233 lines start with ``#``; 16 of them sit inside the 10 ```` ``` ```` fences
  (lines 1010-1011, 1145-1151, 1488-1489, 1492, 1588-1589, 1592, 2430), 1 is the
  ``# AI 问题合集`` title and 14 are ``##`` sections, leaving
  86 ``###`` + 79 ``####`` + 25 ``#####`` + 12 ``######`` = 202 questions;
* unanswered top-level questions: reading each ``###`` block (with its
  sub-headings) and ignoring ``参考：`` link lists gives 32.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.parser import BUNDLED_COLLECTION, CorpusError, load_collection, parse_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "collections"
BUNDLED_TEXT = BUNDLED_COLLECTION.read_text(encoding="utf-8")

# (first, last) line of every fenced code block in the bundled file (grep -n '^```')
BUNDLED_FENCES = [
    (983, 989), (1004, 1014), (1018, 1020), (1104, 1110), (1117, 1128),
    (1144, 1197), (1487, 1581), (1587, 1673), (1825, 1856), (2429, 2478),
]


@pytest.fixture(scope="module")
def bundled():
    return load_collection()


def q_by_path(collection, display_path):
    matches = [q for q in collection if q.display_path == display_path]
    assert len(matches) == 1, f"{display_path!r}: {len(matches)} matches"
    return matches[0]


def ids_by_path(collection):
    return {q.display_path: q.id for q in collection}


# ------------------------------------------------------------------ bundled collection


def test_bundled_counts(bundled):
    assert bundled.title == "AI 问题合集"
    assert bundled.sources == ["ai_questions.md"]
    assert bundled.warnings == []
    assert len(bundled.sections) == 14
    assert len(bundled.top_level()) == 86
    assert len(bundled) == 202
    levels = [q.level for q in bundled]
    assert [levels.count(lv) for lv in (3, 4, 5, 6)] == [86, 79, 25, 12]
    assert [s.title for s in bundled.sections] == [
        "机器学习基础", "传统的机器学习算法", "深度学习基础", "经典网络", "卷积神经网络（CNN）",
        "RNN&LSTM", "生成对抗网络（GAN）", "计算机视觉", "图像处理基础", "深度学习框架",
        "优化算法", "超参数调整", "模型压缩、加速", "参考",
    ]
    # ### headings per section, counted in the file
    assert [len(s.question_ids) for s in bundled.sections] == [14, 10, 15, 7, 18, 8, 1, 4, 6, 2, 0, 0, 1, 0]
    assert len({q.id for q in bundled}) == 202
    assert len({s.id for s in bundled.sections}) == 14


def test_bundled_known_questions_and_paths(bundled):
    l012 = bundled.find_by_heading("2. L0、L1、L2")
    assert l012.display_path == "机器学习基础 › 2. L0、L1、L2"
    assert (l012.level, l012.line_start, l012.parent_id) == (3, 15, None)
    assert l012.location == "ai_questions.md:15"
    child_titles = [bundled.questions[c].title for c in l012.children]
    assert child_titles == [
        "原理和公式", "作用", "各自的问题", "区别", "应用场景", "L1 为什么不用于 CNN",
        "为什么不用 L0", "实现参数的稀疏有什么好处吗？", "参数值越小代表模型越简单吗？",
    ]

    diff = q_by_path(bundled, "机器学习基础 › 2. L0、L1、L2 › 区别")
    assert (diff.level, diff.line_start, diff.line_end) == (4, 87, 127)
    assert diff.parent_id == l012.id and diff.section == "机器学习基础"
    assert diff.plain.startswith("L1会产生稀疏的特征")

    l0 = q_by_path(bundled, "机器学习基础 › 2. L0、L1、L2 › 原理和公式 › L0范数")
    assert l0.level == 5
    assert [a.title for a in bundled.ancestors(l0.id)] == ["原理和公式", "2. L0、L1、L2"]

    deepest = q_by_path(bundled, "传统的机器学习算法 › 2. SVM › SVM和LR有哪些区别 › 不同点 › 1.损失函数不同")
    assert deepest.level == 6 and deepest.line_start == 425

    # numbered sub-headings and emphasis in headings
    assert q_by_path(bundled, "机器学习基础 › 6. 关于归一化 › 6.3 标准化和归一化的区别").line_start == 240
    xgb = bundled.find_by_heading("9.1 **为什么XGBoost要用泰勒展开")
    assert xgb.title == "9.1 为什么XGBoost要用泰勒展开，优势在哪里？"
    assert xgb.display_path.startswith("传统的机器学习算法 › 9. Xgboost 相关 › ")

    # ### headings that are sub-groups (no numbering) inside a section
    nms = bundled.find_by_heading("2. NMS 原理及代码实现")
    assert nms.display_path == "计算机视觉 › 目标检测 › 2. NMS 原理及代码实现"


def test_bundled_unanswered_detection(bundled):
    loss = bundled.find_by_heading("1. 常用的损失函数，原理以及特点")
    assert loss.body == "" and loss.plain == "" and loss.code == []
    assert not loss.has_own_text
    assert not bundled.is_answered(loss.id)

    # containers: no text of their own, answered through their sub-questions
    for heading in ("6. 关于归一化", "14. 统计概率学相关问题", "2. L0、L1、L2"):
        q = bundled.find_by_heading(heading)
        assert not q.has_own_text, heading
        assert bundled.is_answered(q.id), heading
    # ... but a container whose sub-questions are all empty is unanswered
    for heading in ("6. 决策树的原理", "1. ResNet", "图像分类", "Tensorflow"):
        q = bundled.find_by_heading(heading)
        assert q.children, heading
        assert not bundled.is_answered(q.id), heading

    norm = bundled.find_by_heading("6. 关于归一化")
    answer = bundled.answer_markdown(norm.id)
    assert "#### 6.1 为什么机器学习中要进行特征归一化？为什么要对输入图像做归一化呢？" in answer
    assert "消除特征之间量纲的影响" in bundled.answer_plain(norm.id)

    unanswered = [q for q in bundled.top_level() if not bundled.is_answered(q.id)]
    assert len(unanswered) == 32


def test_bundled_hash_lines_in_code_are_not_headings(bundled):
    for q in bundled:
        for first, last in BUNDLED_FENCES:
            assert not first <= q.line_start <= last, q.display_path
        assert "tensor t3" not in q.title and "bboxees" not in q.title
    assert bundled.find_by_heading("tensor t3") is None
    assert bundled.find_by_heading("bboxees维度为") is None

    concat = q_by_path(bundled, "深度学习基础 › 11. 特征融合 concat 和 add 的区别 › concat")
    assert concat.line_start <= 1010 <= concat.line_end
    assert "# tensor t3 with shape [2, 3]\n# tensor t4 with shape [2, 3]" in concat.body
    assert any("# tensor t3 with shape [2, 3]" in block for block in concat.code)
    assert "tensor t3" not in concat.plain  # code is not prose

    nms_code = q_by_path(bundled, "计算机视觉 › 目标检测 › 2. NMS 原理及代码实现 › 代码实现")
    assert nms_code.line_start == 2427 and nms_code.line_end >= 2478
    assert "# bboxees维度为 [N, 4]，scores维度为 [N, 1]，均为np.array()" in nms_code.code[0]

    lr = bundled.find_by_heading("13. 学习率设置的 trick")
    assert "# total_decay_step = 15000" in lr.body
    assert lr.line_end >= 1197


def test_bundled_code_fences_stay_intact(bundled):
    lines = BUNDLED_TEXT.split("\n")
    concat = q_by_path(bundled, "深度学习基础 › 11. 特征融合 concat 和 add 的区别 › concat")
    fenced = "\n".join(lines[1004 - 1:1014])  # lines 1004-1014, fences included
    assert fenced.startswith("```python") and fenced.endswith("```")
    assert fenced in concat.body
    for q in bundled:
        for block in q.code:
            assert block in q.body, q.display_path
        assert q.body.count("```") % 2 == 0, q.display_path


def test_bundled_references_are_kept_apart(bundled):
    l012 = bundled.find_by_heading("2. L0、L1、L2")
    assert l012.references == [
        "l1正则与l2正则的特点是什么，各有什么优势？ - Andy Yang的回答 - 知乎 "
        "https://www.zhihu.com/question/26485586/answer/616029832",
        "[机器学习中的范数规则化之（一）L0、L1与L2范数](https://blog.csdn.net/zouxy09/article/details/24971995)",
        "[L1,L2,L0区别，为什么可以防止过拟合](https://www.jianshu.com/p/475d2c3197d2)",
    ]
    assert l012.body == "" and l012.plain == ""

    # "参考：URL" on the label line
    euclid = bundled.find_by_heading("9. 欧式距离和余弦相似度的区别是什么？")
    assert euclid.references == ["https://www.zhihu.com/question/19640394"]
    assert euclid.plain.startswith("欧式距离：")

    # "参考文章：" label followed by a bare URL line (was left in body and plain)
    sq = bundled.find_by_heading("8.为什么机器学习中解决回归问题")
    assert len(sq.references) == 1 and sq.references[0].startswith("https://github.com/GYee/")
    assert sq.body.startswith("损失函数是是模型预测值") and sq.plain.startswith("损失函数是是模型预测值")

    # "参考文章：" + list, "参考资料：" + list, "参考：" + a link line without list marker
    assert len(bundled.find_by_heading("10.激活函数的一些问题").references) == 4
    assert len(bundled.find_by_heading("2. NMS 原理及代码实现").references) == 2
    f1 = bundled.find_by_heading("13. 为什么使用F1 score而不是算术平均？")
    assert f1.references[0].startswith("[为什么要用f1-score而不是平均值](https://www.cnblogs.com/")
    assert f1.plain.startswith("F1 score是分类问题中常用的评价指标")

    label = re.compile(r"^\s*参考(资料|文章)?\s*[:：]", re.MULTILINE)
    for q in bundled:
        assert not label.search(q.plain), q.display_path
        prose_body = re.sub(r"```.*?```", "", q.body, flags=re.DOTALL)
        assert not label.search(prose_body), q.display_path
        assert "http" not in q.plain, q.display_path
    act = bundled.find_by_heading("10.激活函数的一些问题")
    assert act.references[0].startswith("[最全最详细的常见激活函数总结")
    assert "blog.csdn.net" not in act.body and "最全最详细" not in act.plain


def test_bundled_latex_and_tables_intact(bundled):
    l0 = q_by_path(bundled, "机器学习基础 › 2. L0、L1、L2 › 原理和公式 › L0范数")
    assert "$$\n||x||_0=\\#(i)with\\ x_i \\neq 0\n$$" in l0.body
    sq = bundled.find_by_heading("8.为什么机器学习中解决回归问题")
    assert "$$\n(\\omega^*, b) = arg min_{(\\omega, b)}\\sum_{i=1}^{m}({f(x_i)}-y_i)^2\n$$" in sq.body
    for q in bundled:
        prose = re.sub(r"```.*?```", "", q.body, flags=re.DOTALL)
        assert prose.count("$$") % 2 == 0, q.display_path

    lines = BUNDLED_TEXT.split("\n")
    table = bundled.find_by_heading("7. 不同网络模型的模型大小、推测速度")
    assert lines[1343 - 1] in table.body and lines[1344 - 1] in table.body
    assert lines[1343 - 1].startswith("| Network")
    # <br /> inside a table cell stays for display; plain has neither tags nor pipes
    cnn_rnn = bundled.find_by_heading("1. **CNN**和**RNN**的区别")
    assert "传统神经网络的扩展。<br />2、前向计算产生结果" in cnn_rnn.body
    assert "<br" not in cnn_rnn.plain and "|" not in cnn_rnn.plain
    assert "相同点 1、传统神经网络的扩展。 2、前向计算产生结果" in cnn_rnn.plain


def test_bundled_images(tmp_path):
    # copy the file so that no images/ folder next to it can exist
    copy = tmp_path / "ai_questions.md"
    shutil.copy(BUNDLED_COLLECTION, copy)
    c = load_collection(copy)
    for q in c:
        assert "![" not in q.plain and "<img" not in q.plain, q.display_path
        assert "gitee.com" not in q.plain, q.display_path
        assert "](images/" not in q.body and 'src="images/' not in q.body, q.display_path
    mobilenet = c.find_by_heading("1. 为什么 MobileNet 会这么快？")
    assert '<img src="https://gitee.com/lcai013/image_cdn/raw/master/notes_images/im2col.jpeg"' in mobilenet.body
    assert "![](https://gitee.com/lcai013/image_cdn/raw/master/notes_images/im2col_3.jpeg)" in mobilenet.body
    shown = c.find_by_heading("梯度消失和梯度爆炸的表现")
    assert "（图片缺失：这里写图片描述）" in shown.body
    pool = c.find_by_heading("14.3 池化操作")
    assert pool.body.endswith("（图片缺失：池化操作.png）")
    empty_alt = c.find_by_heading("梯度消失分析")  # ![](images/..._fig2.png)
    assert "图片缺失" not in empty_alt.body.split("$$")[0]


def test_bundled_parse_markdown_matches_load_collection(bundled):
    again = parse_markdown(BUNDLED_TEXT, source="ai_questions.md")
    assert ids_by_path(again) == ids_by_path(bundled)
    assert again.content_hash == bundled.content_hash
    changed = parse_markdown(BUNDLED_TEXT + "\n补充一句。\n", source="ai_questions.md")
    assert changed.content_hash != bundled.content_hash


# ------------------------------------------------------------------ stable ids


def test_id_stable_when_question_inserted_before(bundled):
    text = BUNDLED_TEXT.replace("### 2. L0、L1、L2\n", "### 1.5 新插入的问题\n\n新的答案。\n\n### 2. L0、L1、L2\n", 1)
    assert text != BUNDLED_TEXT
    c = parse_markdown(text, source="ai_questions.md")
    assert len(c) == len(bundled) + 1
    old = ids_by_path(bundled)
    new = ids_by_path(c)
    assert all(new[path] == qid for path, qid in old.items())
    assert c.find_by_heading("1.5 新插入的问题").id not in old.values()


def test_id_stable_when_other_answer_edited(bundled):
    text = BUNDLED_TEXT.replace("它会受到不同单位刻度的影响", "它会受到不同单位刻度（量纲）的影响", 1)
    assert text != BUNDLED_TEXT
    c = parse_markdown(text, source="ai_questions.md")
    assert ids_by_path(c) == ids_by_path(bundled)
    assert "量纲" in c.find_by_heading("9. 欧式距离").plain


def test_id_stable_when_renumbered(bundled):
    text = BUNDLED_TEXT.replace("### 3. 手推交叉熵公式", "### 4. 手推交叉熵公式", 1)
    text = text.replace("#### 6.1 为什么机器学习中要进行特征归一化", "#### 7.2 为什么机器学习中要进行特征归一化", 1)
    text = text.replace("### 6. 关于归一化", "### 9. 关于归一化", 1)
    c = parse_markdown(text, source="ai_questions.md")
    for old_heading, new_heading in [
        ("3. 手推交叉熵公式", "4. 手推交叉熵公式"),
        ("6. 关于归一化", "9. 关于归一化"),
        ("6.1 为什么机器学习中要进行特征归一化", "7.2 为什么机器学习中要进行特征归一化"),
        ("6.2 哪些机器学习算法不需要归一化处理", "6.2 哪些机器学习算法不需要归一化处理"),
    ]:
        assert c.find_by_heading(new_heading).id == bundled.find_by_heading(old_heading).id, old_heading
    assert c.find_by_heading("4. 手推交叉熵公式").title == "4. 手推交叉熵公式"


def test_id_stable_when_chapter_and_section_renumbered():
    text = (FIXTURES / "chapter_book.md").read_text(encoding="utf-8")
    before = parse_markdown(text)
    renumbered = text.replace("## 3.1 基本概念", "## 5.1 基本概念").replace("# 第三章 深度学习基础", "# 第五章 深度学习基础")
    after = parse_markdown(renumbered)
    assert after.sections[0].title == "第五章 深度学习基础 › 5.1 基本概念"
    assert [s.id for s in after.sections] == [s.id for s in before.sections]
    assert [q.id for q in after] == [q.id for q in before]


def test_duplicate_sibling_headings_get_distinct_ids(bundled):
    md = "## 网络\n\n### 1. ResNet\n\n#### 作用\n\n缓解退化。\n\n#### 作用\n\n加速收敛。\n\n### 2. ResNet\n\n重复的题目。\n"
    c = parse_markdown(md)
    resnet = c.find_by_heading("1. ResNet")
    a, b = (c.questions[i] for i in resnet.children)
    assert a.title == b.title == "作用"
    assert a.id != b.id
    assert (a.plain, b.plain) == ("缓解退化。", "加速收敛。")
    tops = c.top_level()
    assert len(tops) == 2 and tops[0].id != tops[1].id
    assert parse_markdown(md).questions.keys() == c.questions.keys()  # deterministic
    # same title under different parents in the bundled file
    same = [q for q in bundled if q.title == "采用 concat 还是逐像素相加"]
    assert len(same) == 2 and same[0].id != same[1].id


# ------------------------------------------------------------------ other shapes


def test_chapter_section_numbered_questions():
    c = load_collection(FIXTURES / "chapter_book.md")
    assert [s.title for s in c.sections] == [
        "第三章 深度学习基础 › 3.1 基本概念",
        "第三章 深度学习基础 › 3.2 网络操作与计算",
        "第四章 经典网络 › 4.1 LeNet-5",
    ]
    assert len(c) == 4
    q = c.find_by_heading("3.1.1 神经网络组成？")
    assert q.level == 3 and q.parent_id is None
    assert q.display_path == "第三章 深度学习基础 › 3.1 基本概念 › 3.1.1 神经网络组成？"
    assert q.plain == "为了描述神经网络，我们先从最简单的神经网络说起。"
    assert c.title == "chapter_book"  # two chapters: no single document title


def test_folder_one_chapter_per_file():
    c = load_collection(FIXTURES / "chapter_folder")
    assert c.title == "chapter_folder"
    # natural order (2 before 10), nested folders, hidden files/folders and .txt ignored
    assert c.sources == ["01_基础.md", "2_概率.md", "02_进阶/03_优化.md", "10_附录.md"]
    assert [s.title for s in c.sections] == [
        "第一章 数学基础 › 1.1 线性代数",
        "第二章 概率 › 2.1 分布",
        "第三章 优化 › 3.1 基本概念",
        "第十章 附录 › 10.1 基本概念",
    ]
    assert len(c) == 5
    titles = " ".join(q.display_path for q in c)
    assert "隐藏" not in titles and "草稿" not in titles and "不是问题" not in titles
    nested = c.find_by_heading("3.1.1 什么是学习率？")
    assert nested.source == "02_进阶/03_优化.md" and nested.location == "02_进阶/03_优化.md:5"
    appendix = c.find_by_heading("10.1.1 什么是学习率？")
    assert appendix.id != nested.id and appendix.section_id != nested.section_id
    assert c.warnings == []


def test_toc_markers_are_dropped():
    c = load_collection(FIXTURES / "html_toc.md")
    assert c.title == "前端与杂项"
    assert [s.title for s in c.sections] == ["HTML 题"]
    assert c.sections[0].intro == ""
    for q in c:
        assert "TOC" not in q.title and "[TOC]" not in q.body and "TOC" not in q.plain


def test_html_tags_removed_from_display_and_plain():
    c = load_collection(FIXTURES / "html_toc.md")
    q = c.find_by_heading("1. 换行与颜色")
    for text in (q.body, q.plain):
        assert "<font" not in text and "</font>" not in text
        assert "<center" not in text and "</center>" not in text
        assert "<script" not in text and "alert(1)" not in text
        assert "onerror" not in text and "alert(2)" not in text
    assert "第一行\n第二行\n第三行" in q.body and "第一行\n第二行\n第三行" in q.plain
    assert "红色重点" in q.body and "居中文字" in q.body
    assert "红色重点" in q.plain and "居中文字" in q.plain
    assert "<" not in q.plain and ">" not in q.plain
    # <br> is kept only where it is needed: inline code and table cells
    assert "行内代码 `<br>` 不应被改动。" in q.body
    assert "| 优点 | 快<br />省内存 |" in q.body
    assert q.body.count("<br") == 2
    # an image that loads keeps its tag but loses its handler
    assert '<img src="https://example.com/ok.png" alt="远程">' in q.body
    assert "alert(3)" not in q.body
    assert "（图片缺失：坏图）" in q.body


def test_html_in_code_blocks_is_left_alone():
    c = load_collection(FIXTURES / "html_toc.md")
    xss = c.find_by_heading("2. 什么是 XSS？")
    block = '<script>alert(1)</script>\n<img src="x" onerror="steal()">'
    assert xss.code == [block]
    assert f"```html\n{block}\n```" in xss.body
    assert xss.plain == "XSS 是跨站脚本攻击。示例："


def test_tab_indented_paragraphs_are_prose():
    c = load_collection(FIXTURES / "tab_indented.md")
    tab = c.find_by_heading("1. 用制表符缩进的段落")
    assert tab.code == []
    assert tab.plain == "这是一段用制表符缩进的说明文字，不是代码。\n\n第二段同样缩进。"
    assert tab.has_own_text and c.is_answered(tab.id)
    spaces = c.find_by_heading("2. 四个空格缩进")
    assert spaces.code == [] and spaces.plain == "四个空格缩进的一段话。"


def test_tabs_after_a_quote_marker_are_prose_and_other_indentation_is_kept():
    """"> \t\tHinge Loss：$…$" in the bundled collection showed as a code block with raw LaTeX."""
    c = load_collection()
    svm = c.find_by_heading("1.损失函数不同")
    assert "> Hinge Loss：" in svm.body and "> Exponential Loss：" in svm.body
    assert not any(line.startswith(("> \t", ">\t")) for line in svm.body.split("\n"))
    from corpus.text import sanitize_display
    nested = "- 一级\n    - 二级\n\n        续行"
    assert sanitize_display(nested, None) == nested  # list nesting is indentation: kept
    code = "    # 初始化\n    x = 1\n    if x:\n        y = 2"
    assert sanitize_display(code, None) == code  # an indented code block of a user's collection: kept


def test_bold_with_a_space_before_its_closing_stars_shows_as_bold():
    """"**生成式对抗网络 GAN **" in the bundled collection showed its asterisks: Markdown does not close
    bold after a space."""
    from markdown_it import MarkdownIt

    from corpus.text import sanitize_display

    c = load_collection()
    q = next(q for q in c if "生成式对抗网络 GAN" in q.body)
    html = MarkdownIt().render(q.body)
    assert "<strong>生成式对抗网络 GAN</strong>" in html and "GAN **" not in html
    assert sanitize_display("**A** and **B **.", None) == "**A** and **B**."
    # not bold in the first place, or code: left as written
    for text in ("2 ** 3 ** 2", "`x **y **`", "** 不是 **", "```\n**a **\n```"):
        assert sanitize_display(text, None) == text


def test_questions_without_section_headings():
    c = load_collection(FIXTURES / "no_sections.md")
    assert [s.title for s in c.sections] == ["no_sections"]
    assert [q.title for q in c.top_level()] == ["1. 什么是梯度下降？", "2. 什么是动量？"]
    assert c.top_level()[0].plain == "沿负梯度方向更新参数。"
    sub = c.find_by_heading("2.1 Nesterov 动量")
    assert sub.display_path == "no_sections › 2. 什么是动量？ › 2.1 Nesterov 动量"
    # a document title over questions: the title names the only section
    c2 = parse_markdown("# 面试题\n\n## 什么是偏差？\n\n偏差。\n\n## 什么是方差？\n\n方差。\n")
    assert c2.title == "面试题"
    assert [q.display_path for q in c2] == ["面试题 › 什么是偏差？", "面试题 › 什么是方差？"]


def test_front_matter_is_not_a_question():
    """A "# comment" in YAML front matter is not a heading: the file keeps its title and sections."""
    md = "---\n# yaml comment\ntitle: x\n---\n# 真正的标题\n\n## 节\n\n### 问题一？\n\n答案一。\n"
    c = parse_markdown(md)
    assert c.title == "真正的标题" and [s.title for s in c.sections] == ["节"]
    assert [q.display_path for q in c] == ["节 › 问题一？"]
    assert c.find_by_heading("问题一？").line_start == 9  # line numbers still count the front matter
    # a "---" rule later in a file is not front matter
    later = parse_markdown("---\n\n## 节\n\n### 问题？\n\n答。\n\n---\n\n### 第二题\n\n答。\n")
    assert [q.title for q in later] == ["问题？", "第二题"]


def test_single_section_file_is_not_mistaken_for_a_title():
    c = parse_markdown("## 机器学习\n\n### 什么是过拟合？\n\n训练好、测试差。\n")
    assert [s.title for s in c.sections] == ["机器学习"]
    assert c.find_by_heading("什么是过拟合？").display_path == "机器学习 › 什么是过拟合？"


def test_crlf_and_bom(tmp_path):
    md = "# 标题\n\n## 章节\n\n### 问题一\n\n第一行\n第二行\n\n```python\n# 注释\nx = 1\n```\n\n### 问题二\n\n答案。\n"
    path = tmp_path / "crlf.md"
    path.write_bytes(b"\xef\xbb\xbf" + md.replace("\n", "\r\n").encode("utf-8"))
    expected = parse_markdown(md, source="crlf.md")
    for c in (
        load_collection(path),
        parse_markdown("\ufeff" + md.replace("\n", "\r\n"), source="crlf.md"),
        parse_markdown(md.replace("\n", "\r"), source="crlf.md"),  # old Mac line ends
    ):
        assert c.title == "标题"
        assert [q.display_path for q in c] == ["章节 › 问题一", "章节 › 问题二"]
        assert ids_by_path(c) == ids_by_path(expected)
        q = c.find_by_heading("问题一")
        assert q.line_start == 5
        assert q.code == ["# 注释\nx = 1"]
        assert q.plain == "第一行\n第二行"
        for other in c:
            assert "\r" not in other.body and "\ufeff" not in other.title


def test_heading_without_space_before_cjk():
    c = load_collection(FIXTURES / "nospace_cjk.md")
    assert c.title == "无空格标题"
    assert [q.display_path for q in c] == ["机器学习 › 什么是偏差？", "机器学习 › 什么是方差？"]
    assert "#hashtag 不是标题" in c.find_by_heading("什么是方差？").body


def test_tilde_fences_and_nested_fences():
    c = load_collection(FIXTURES / "fences.md")
    assert [q.title for q in c] == ["1. 波浪线代码块", "2. 嵌套的信息串", "3. 未闭合的代码块"]
    tilde = c.find_by_heading("1. 波浪线代码块")
    assert tilde.code == ["# 这是注释，不是标题\n## 也不是标题\n```\n# 反引号在波浪线块里只是文本"]
    assert tilde.plain == "波浪线代码块之后的正文。"
    nested = c.find_by_heading("2. 嵌套的信息串")
    assert nested.code == ["```python\n# 内层注释\n```"]


def test_unclosed_fence_runs_to_end_with_warning():
    c = load_collection(FIXTURES / "fences.md")
    assert c.find_by_heading("4. 被吞掉的问题") is None
    last = c.find_by_heading("3. 未闭合的代码块")
    assert "### 4. 被吞掉的问题" in last.code[0]
    assert len(c.warnings) == 1
    assert c.warnings[0].startswith("fences.md:26: code fence is never closed")
    assert "Close it" in c.warnings[0]


def test_fence_with_info_string_does_not_close_a_fence():
    md = "## 代码\n\n### 问题一\n\n```\n```python\n# 注释\n```\n\n### 问题二\n\n答案。\n"
    c = parse_markdown(md)
    assert [q.title for q in c] == ["问题一", "问题二"]
    assert c.find_by_heading("问题一").code == ["```python\n# 注释"]
    assert c.warnings == []


def test_images_remote_local_and_missing():
    c = load_collection(FIXTURES / "images" / "images_demo.md")
    q = c.find_by_heading("1. 本地图片")
    # an existing file written percent-encoded (images/池化.png) is kept
    assert "![池化](images/%E6%B1%A0%E5%8C%96.png)" in q.body
    assert "![远程图](https://example.com/remote.png)" in q.body
    assert '<img src="https://example.com/remote2.png"' in q.body
    # missing relative images are dropped from display (a note keeps the alt text)
    assert "missing" not in q.body
    assert "（图片缺失：缺失的图）" in q.body and "（图片缺失：缺失的HTML图）" in q.body
    assert q.plain == "存在的图片：\n\n缺失的图片：\n\n远程图片：\n\n结尾文字。"
    # parse_markdown has no folder to look in: every relative image is missing
    text = (FIXTURES / "images" / "images_demo.md").read_text(encoding="utf-8")
    q2 = parse_markdown(text, source="nowhere/images_demo.md").find_by_heading("1. 本地图片")
    assert "images/%E6%B1%A0" not in q2.body and "（图片缺失：池化）" in q2.body


# ------------------------------------------------------------------ bad input


def _error(path, **kw) -> str:
    with pytest.raises(CorpusError) as info:
        load_collection(path, **kw)
    return str(info.value)


def test_missing_path(tmp_path):
    msg = _error(tmp_path / "nope.md")
    assert "nope.md" in msg and "not found" in msg and "Check the path" in msg


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    msg = _error(tmp_path / "empty")
    assert str(tmp_path / "empty") in msg and "no Markdown files" in msg and ".md files" in msg


def test_folder_without_markdown_files():
    msg = _error(FIXTURES / "only_text_folder")
    assert "only_text_folder" in msg and "no Markdown files" in msg and "Put your questions" in msg


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.md", b"", ["is empty", "Add questions as Markdown headings"]),
        ("blank.md", b"  \n\n\t\n", ["is empty", "Add questions as Markdown headings"]),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", ["binary file", "Point --corpus at a .md file"]),
        ("latin1.md", "## Café\n\n### Résumé\n\nRéponse.\n".encode("latin-1"), ["not UTF-8", "Save it as UTF-8", "iconv -f GBK"]),
        ("prose.md", "只是一些文字，没有标题。\n\n- 列表\n".encode(), ["no Markdown headings found", "add headings"]),
        ("only_code.md", b"```\n# not a heading\n```\n", ["no Markdown headings found", "add headings"]),
    ],
)
def test_bad_files(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    msg = _error(path)
    assert name in msg
    for part in expected:
        assert part in msg


def test_parse_markdown_bad_text():
    with pytest.raises(CorpusError, match=r"^notes\.md is empty"):
        parse_markdown("", source="notes.md")
    with pytest.raises(CorpusError, match=r"^notes\.md: no Markdown headings found"):
        parse_markdown("只有文字。", source="notes.md")


def test_folder_with_one_file_without_headings_warns():
    c = load_collection(FIXTURES / "mixed_folder")
    assert [q.display_path for q in c] == ["机器学习 › 什么是过拟合？"]
    assert c.sources == ["good.md", "notes.md"]
    assert len(c.warnings) == 1
    assert c.warnings[0].startswith("notes.md: no Markdown headings found") and "(skipped)" in c.warnings[0]


def test_folder_with_an_empty_file_warns(tmp_path):
    shutil.copy(FIXTURES / "mixed_folder" / "good.md", tmp_path / "good.md")
    (tmp_path / "todo.md").write_bytes(b"")
    c = load_collection(tmp_path)
    assert len(c) == 1
    assert c.warnings == [
        "todo.md is empty. Add questions as Markdown headings ('## Section', '### Question'). (skipped)"
    ]


def test_folder_where_no_file_has_questions(tmp_path):
    (tmp_path / "a.md").write_text("文字。\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("更多文字。\n", encoding="utf-8")
    msg = _error(tmp_path)
    assert "No questions found in a.md, b.md" in msg and "--section-level" in msg


def test_a_gbk_file_is_read_as_chinese_with_a_warning(tmp_path):
    path = tmp_path / "legacy.md"
    path.write_bytes("## 机器学习\n\n### 什么是过拟合？\n\n模型在训练集上好、测试集上差。\n".encode("gbk"))
    c = load_collection(path)
    q = c.find_by_heading("什么是过拟合？")
    assert q.section == "机器学习" and q.plain == "模型在训练集上好、测试集上差。"
    assert len(c.warnings) == 1 and "legacy.md is not UTF-8" in c.warnings[0] and "GB18030" in c.warnings[0]
    # the same text saved as UTF-8 is another file's bytes but the same questions
    utf8 = tmp_path / "utf8.md"
    utf8.write_text(path.read_bytes().decode("gbk"), encoding="utf-8")
    assert [x.display_path for x in load_collection(utf8)] == [x.display_path for x in c]
    assert load_collection(utf8).warnings == []


def test_folder_skips_a_file_it_cannot_read_and_keeps_the_rest(tmp_path):
    shutil.copy(FIXTURES / "mixed_folder" / "good.md", tmp_path / "good.md")
    (tmp_path / "legacy.md").write_bytes("## 旧题\n\n### 问题\n\n答案。\n".encode("gbk"))
    (tmp_path / "latin1.md").write_bytes("## Café\n\n### Résumé\n".encode("latin-1"))
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    c = load_collection(tmp_path)
    assert sorted(q.title for q in c if q.parent_id is None) == ["什么是过拟合？", "问题"]
    skipped = [w for w in c.warnings if "(skipped)" in w]
    assert len(skipped) == 2
    assert any("latin1.md is not UTF-8" in w and "Save it as UTF-8" in w for w in skipped)
    assert any("image.md looks like a binary file" in w for w in skipped)
    assert any("legacy.md is not UTF-8; it was read as GB18030" in w for w in c.warnings)


def test_folder_where_every_file_is_unreadable_says_why(tmp_path):
    (tmp_path / "latin1.md").write_bytes("## Café\n\n### Résumé\n".encode("latin-1"))
    msg = _error(tmp_path)
    assert "No questions found in latin1.md" in msg and "is not UTF-8" in msg


# ------------------------------------------------------------------ section level override


def test_section_level_override(bundled):
    deeper = load_collection(section_level=3)
    assert len(deeper.sections) == 86
    assert len(deeper) == 79 + 25 + 12
    assert deeper.sections[1].title == "机器学习基础 › 2. L0、L1、L2"
    diff = q_by_path(deeper, "机器学习基础 › 2. L0、L1、L2 › 区别")
    assert diff.parent_id is None and diff.level == 4

    flat = load_collection(section_level=1)
    assert [s.title for s in flat.sections] == ["AI 问题合集"]
    assert len(flat) == 14 + 202 - 1  # "## 参考", a reading list beside the questions, is not one
    assert flat.find_by_heading("机器学习基础").display_path == "AI 问题合集 › 机器学习基础"

    same = load_collection(section_level=2)
    assert ids_by_path(same) == ids_by_path(bundled)


@pytest.mark.parametrize("level", [0, 7, -1, "2", 2.5, True])
def test_invalid_section_level(level):
    with pytest.raises(CorpusError, match="section level must be a whole number from 1 to 6"):
        load_collection(section_level=level)
    with pytest.raises(CorpusError, match="section level"):
        parse_markdown("## S\n\n### Q\n\nA.\n", section_level=level)


def test_section_level_deeper_than_any_heading():
    with pytest.raises(CorpusError, match=r"No questions found in collection\.md.*--section-level"):
        parse_markdown("## S\n\n### Q\n\nA.\n", section_level=6)


def test_kangxi_radicals_become_the_characters_they_look_like():
    """The RNN section holds PDF-copied radicals ("⽹" U+2F79); many fonts show them as empty boxes."""
    import re

    raw = (Path(__file__).parent.parent / "corpus" / "data" / "ai_questions.md").read_text(encoding="utf-8")
    assert len(re.findall("[\u2e80-\u2fdf]", raw)) > 10  # else this test proves nothing
    c = load_collection()
    assert not [q.title for q in c if re.search("[\u2e80-\u2fdf]", q.title + q.body + q.plain)]
    assert c.find_by_heading("4. 为什么 RNN 训练的时候 Loss 波动很大") is not None


def test_folder_skips_a_repositorys_own_documents(tmp_path):
    """A cloned interview-notes repository: its README (table of contents), change log, GitBook SUMMARY and
    node_modules used to become interview questions ("Q: 目录", "pkg › Install: npm i pkg"). They are skipped with
    a warning; a folder holding nothing but a README still uses it."""
    (tmp_path / "README.md").write_text("# 面试题库\n\n## 目录\n\n- [深度学习](dl.md)\n", encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_text("# 更新日志\n\n## 2024-01-01\n\n新增 10 题\n", encoding="utf-8")
    (tmp_path / "SUMMARY.md").write_text("# Summary\n\n* [深度学习](dl.md)\n", encoding="utf-8")
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "README.md").write_text("# pkg\n\n## Install\n\nnpm i pkg\n", encoding="utf-8")
    (tmp_path / "dl.md").write_text("# 深度学习\n\n## 什么是过拟合？\n\n训练好测试差。\n", encoding="utf-8")
    c = load_collection(tmp_path)
    assert [q.title for q in c.questions.values()] == ["什么是过拟合？"]
    assert sum("skipped" in w for w in c.warnings) == 4 and any("README.md" in w for w in c.warnings)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "README.md").write_text("# 题库\n\n## 什么是 IoU？\n\n交并比。\n", encoding="utf-8")
    assert [q.title for q in load_collection(alone).questions.values()] == ["什么是 IoU？"]


def test_a_file_of_underlined_headings_is_told_to_use_hashes():
    """Setext headings ("标题" over "===") are CommonMark, but not read here: the error said only "no Markdown
    headings found", which the user, looking at headings, could not act on."""
    with pytest.raises(CorpusError, match=r"Setext.*'## Title'"):
        parse_markdown("目标检测面试题\n=======\n\n什么是 IoU？\n------\n\n交并比。\n", "setext.md")
    with pytest.raises(CorpusError) as plain:
        parse_markdown("只是一段文字，没有标题。\n", "plain.md")
    assert "Setext" not in str(plain.value)


def test_answer_part_headings_belong_to_their_question():
    md = ("## 节\n\n### 1. 什么是过拟合？\n\n#### 答案：\n\n训练集上好，测试集上差。\n\n#### **解析**\n\n"
          "模型记住了噪声。\n\n#### 怎么解决\n\n正则化。\n\n### 2. 什么是欠拟合？\n\n### Answer\n\nThe model is too simple.\n")
    c = parse_markdown(md)
    assert [q.title for q in c.questions.values()] == ["1. 什么是过拟合？", "怎么解决", "2. 什么是欠拟合？"]
    first, sub, second = c.questions.values()
    assert "训练集上好，测试集上差。" in first.plain and "模型记住了噪声。" in first.plain
    assert "答案" not in first.plain and "解析" not in first.plain  # labels are not answer text
    assert sub.parent_id == first.id and sub.plain == "正则化。"
    assert second.plain == "The model is too simple."  # a same-level "### Answer" answers the question above
    # source lines stay right: the answer's block points at its own line
    assert [b.line_start for b in first.blocks] == [7, 11]


def test_an_answer_part_after_sub_questions_or_mislevelled_joins_its_question():
    md = ("## 模型\n\n### 什么是 LN？\n\n#### 1. 计算方式\n\n对单个样本的所有特征做标准化。\n\n#### 答案\n\n"
          "LN 不依赖 batch 大小。\n\n#### 推荐阅读\n\n- [LN 论文](https://arxiv.org/abs/1607.06450)\n\n"
          "### 什么是 dropout？\n\n## 答案\n\ndropout 训练时随机丢弃神经元。\n\n### 什么是 BN？\n\n"
          "#### 答案：按 batch 归一化\n\n### 什么是 GN？\n\n#### Answer 1\n\n#### 解析\n\n")
    c = parse_markdown(md)
    assert [s.title for s in c.sections] == ["模型"]  # "## 答案" is no section
    by_title = {q.title: q for q in c.questions.values()}
    assert list(by_title) == ["什么是 LN？", "1. 计算方式", "什么是 dropout？", "什么是 BN？", "什么是 GN？"]
    ln, how = by_title["什么是 LN？"], by_title["1. 计算方式"]
    assert ln.plain == "LN 不依赖 batch 大小。" and how.plain == "对单个样本的所有特征做标准化。"
    assert ln.references == ["[LN 论文](https://arxiv.org/abs/1607.06450)"]
    assert [b.line_start for b in ln.blocks] == [11]  # the answer's own line, after the sub-question
    assert by_title["什么是 dropout？"].plain == "dropout 训练时随机丢弃神经元。"
    assert by_title["什么是 BN？"].plain == "按 batch 归一化"  # the answer written in the heading
    assert by_title["什么是 BN？"].section == "模型"
    assert not c.is_answered(by_title["什么是 GN？"].id)  # empty answer parts are no answer
    # an answer part right under a section heading does not join the last question of the section before
    c = parse_markdown(md + "## 评估\n\n#### 答案\n\n没有题目的一段。\n\n### 什么是 AUC？\n\nROC 曲线下的面积。\n")
    assert [q.title for q in c.questions.values()][-1] == "什么是 AUC？"
    assert not any("没有题目" in q.plain for q in c.questions.values())
    assert c.sections[-1].intro == "没有题目的一段。"


def test_an_answer_label_with_no_question_before_it_is_never_a_question():
    """A file opening with "### 答案" made the app ask "答案": the label answers nothing, so its text is
    skipped (or kept as the open section's intro) with a warning, and the levels ignore it."""
    c = parse_markdown("### 答案\n\n开头的一段。\n\n### 什么是过拟合？\n\n泛化差。\n")
    assert [q.title for q in c.questions.values()] == ["什么是过拟合？"]
    assert not any("开头的一段" in q.plain for q in c.questions.values())
    (warning,) = c.warnings
    assert warning.startswith("collection.md:1: '答案' labels an answer, but no question comes before it")
    assert "skipped" in warning
    for md in ("# 题库\n\n#### **解析：** 开头的一段\n\n## 基础\n\n### 什么是过拟合？\n\n泛化差。\n",
               "### Answer\n\n开头的一段。\n\n# 题库\n\n## 基础\n\n### 什么是过拟合？\n\n泛化差。\n"):
        c = parse_markdown(md)
        assert c.title == "题库" and [s.title for s in c.sections] == ["基础"], md
        assert [q.title for q in c.questions.values()] == ["什么是过拟合？"], md
        assert len(c.warnings) == 1 and "no question comes before it" in c.warnings[0], md
    # in an open section the text is the section's own
    c = parse_markdown("## 基础\n\n### 答案\n\n开头的一段。\n\n### 什么是过拟合？\n\n泛化差。\n")
    assert [q.title for q in c.questions.values()] == ["什么是过拟合？"] and c.sections[0].intro == "开头的一段。"
    assert len(c.warnings) == 1 and "introduction of section '基础'" in c.warnings[0]


@pytest.mark.parametrize("section_level", [None, 2, 4])
@pytest.mark.parametrize(
    "md, named",
    [
        ("### 答案\n\n文字\n", "only heading labels an answer ('答案' at line 1), and no question comes before it"),
        ("# 答案\n\n文字\n", "('答案' at line 1)"),
        ("###### 参考答案\n\n文字\n", "('参考答案' at line 1)"),
        ("#### Answer\n", "('Answer' at line 1)"),
        ("### 答案\n### Answer:\n", "only headings label answers ('答案' at line 1, 'Answer:' at line 2), and no "
                                    "question comes before them"),
        ("## 答案\n\n一\n\n### 解析\n\n二\n\n#### **Solution**\n\n三\n\n## Ans 2\n",
         "('答案' at line 1, '解析' at line 5, 'Solution' at line 9 …)"),
        ("---\ntitle: x\n---\n### 答案：过拟合\n", "('答案：过拟合' at line 4)"),
    ],
)
def test_a_file_of_only_answer_labels_says_what_is_wrong(md, named, section_level):
    """A file whose only headings label answers ("### 答案") has no heading to infer levels from: it raised
    IndexError; it is refused like a file with no headings, saying what to do."""
    with pytest.raises(CorpusError) as info:
        parse_markdown(md, source="notes.md", section_level=section_level)
    msg = str(info.value)
    assert msg.startswith("notes.md: no question headings found: its only heading") and named in msg
    assert "Put each question in a heading above its answer ('### Question', then '#### 答案')" in msg
    assert "Setext" not in msg  # the "---" closing front matter is no underlined heading


def test_a_file_of_only_answer_labels_says_why_its_questions_are_hidden():
    def error(md: str) -> str:
        with pytest.raises(CorpusError) as info:
            parse_markdown(md)
        return str(info.value)

    assert "The code fence at line 3 is never closed" in error("### 答案\n\n```\n### 什么是过拟合？\n")
    assert "<details> block at line 3 is never closed" in error(
        "### 答案\n\n<details><summary>什么是过拟合？</summary>\n泛化差。\n")
    assert "Underlined (Setext) headings" in error("### 答案\n\n什么是过拟合？\n===\n\n泛化差。\n")
    assert "Setext" not in error("---\ntitle: x\n---\n只有文字。\n")  # front matter is no underlined heading


def test_a_folder_skips_a_file_of_only_answer_labels(tmp_path):
    shutil.copy(FIXTURES / "mixed_folder" / "good.md", tmp_path / "good.md")
    (tmp_path / "answers.md").write_text("### 答案\n\n文字\n", encoding="utf-8")
    c = load_collection(tmp_path)
    assert [q.display_path for q in c] == ["机器学习 › 什么是过拟合？"]
    (warning,) = c.warnings
    assert warning.startswith("answers.md: no question headings found") and warning.endswith("(skipped)")


def test_a_reading_list_heading_becomes_references_not_a_question():
    md = ("## 节\n\n### Dropout 原理\n\n随机丢弃神经元。\n\n#### 推荐阅读\n\n- [Dropout 论文](https://example.org/d)\n"
          "- [博客](https://example.org/b)\n\n#### 参考资料\n\n这部分参考了《统计学习方法》第一章。\n\n"
          "### 参考\n\n- [本节资料](https://example.org/s)\n\n## 参考\n\n- [合集](https://example.org/c)\n")
    c = parse_markdown(md)
    (q,) = c.questions.values()  # "### 参考" beside the questions lists the section's reading: not a question
    assert q.plain == "随机丢弃神经元。"  # a note about what to read is not answer text
    assert q.references == ["[Dropout 论文](https://example.org/d)", "[博客](https://example.org/b)",
                            "这部分参考了《统计学习方法》第一章。"]
    assert [s.title for s in c.sections] == ["节", "参考"]  # a section-level reading list stays a section


def test_a_placeholder_answer_is_no_answer():
    md = "## 基础\n\n### 什么是交叉验证？\n\n（待补充）\n\n### 什么是 bagging？\n\nTODO\n\n### 什么是 SVM？\n\n略。见 TODO 列表。\n"
    c = parse_markdown(md)
    cv, bagging, svm = c.questions.values()
    assert not c.is_answered(cv.id) and not c.is_answered(bagging.id)
    assert "待补充" in cv.body  # still shown as the author wrote it
    assert c.is_answered(svm.id)  # more than a placeholder


def test_numbered_heading_without_a_space_is_a_heading():
    md = ("##1. 第一节\n\n###1.1 什么是 BN？\n\n归一化。\n\n###Q2. What is LN?\n\n按层归一化。\n\n"
          "#1 不是标题\n\n##100% 也不是\n\n#面试 #机器学习 今天复盘到这里\n\n#话题#\n")
    c = parse_markdown(md)
    assert [s.title for s in c.sections] == ["1. 第一节"]
    assert [q.title for q in c.questions.values()] == ["1.1 什么是 BN？", "Q2. What is LN?"]
    body = list(c.questions.values())[-1].body
    for line in ("#1 不是标题", "##100% 也不是", "#面试 #机器学习 今天复盘到这里", "#话题#"):  # hashtags, not headings
        assert line in body


def test_a_details_summary_label_is_not_answer_text():
    md = ("## 节\n\n### 什么是过拟合？\n\n<details>\n<summary>点击查看答案</summary>\n\n"
          "训练集上好，测试集上差。\n\n</details>\n")
    (q,) = parse_markdown(md).questions.values()
    assert q.plain == "训练集上好，测试集上差。"
    assert "训练集上好" in q.body


DETAILS_MD = """# 机器学习面试题

## 基础

<details>
<summary>1. 什么是过拟合？</summary>

训练集上好，测试集上差。

</details>

<details><summary><b>2. 如何防止过拟合？</b></summary>

正则化、dropout。
</details>

## 深度学习

<details><summary>BN 有什么作用？</summary>加速收敛。</details>

<details>
<summary>
  Why does dropout work?
</summary>

```python
x = "</details>"
```
It averages many thinned networks.

<details><summary>代码</summary>

```python
print(1)
```
</details>
</details>

```markdown
<details><summary>什么是欠拟合？</summary>代码里的例子，不是题目。</details>
```
"""


def test_details_blocks_whose_summary_asks_are_questions():
    """GitHub question repos write each question as <details><summary>问题</summary>答案</details>: each such
    block is a question of its section, the rest of the block its answer (the file used to give one question
    per section, its answer every block's text)."""
    c = parse_markdown(DETAILS_MD)
    assert c.title == "机器学习面试题" and [s.title for s in c.sections] == ["基础", "深度学习"]
    assert [(q.title, q.section, q.parent_id) for q in c.questions.values()] == [
        ("1. 什么是过拟合？", "基础", None), ("2. 如何防止过拟合？", "基础", None),
        ("BN 有什么作用？", "深度学习", None), ("Why does dropout work?", "深度学习", None)]
    overfit, prevent, bn, dropout = c.questions.values()
    assert overfit.plain == "训练集上好，测试集上差。" and prevent.plain == "正则化、dropout。"
    assert bn.plain == "加速收敛。"  # all on one line
    # code stays code (a "</details>" in it closes nothing); a nested <details> labelled "代码" is answer
    assert dropout.plain == "It averages many thinned networks." and dropout.code == ['x = "</details>"', "print(1)"]
    assert "代码" not in dropout.plain and "summary" not in dropout.plain
    assert (overfit.line_start, overfit.line_end, [b.line_start for b in overfit.blocks]) == (5, 10, [8])
    assert (dropout.line_start, dropout.line_end) == (21, 37)
    assert c.warnings == []  # the block inside the code fence is no question, and nothing is left unclosed


def test_a_details_block_under_a_question_heading_is_its_answer_or_a_follow_up():
    """A summary that labels the answer ("点击查看答案", "答案", the heading repeated) leaves the heading the
    question; one that asks something in a question's answer is a follow-up (a sub-question)."""
    md = ("## 节\n\n### 什么是过拟合？\n\n<details><summary>答案？</summary>训练集上好。</details>\n\n"
          "### 什么是欠拟合？\n\n<details><summary>**什么是欠拟合？**</summary>训练集上也差。</details>\n\n"
          "### 什么是 BN？\n\n按 batch 归一化。\n\n<details><summary>追问：测试时怎么用？</summary>滑动平均。</details>\n")
    c = parse_markdown(md)
    assert [(q.title, q.plain) for q in c.questions.values()] == [
        ("什么是过拟合？", "训练集上好。"), ("什么是欠拟合？", "训练集上也差。"), ("什么是 BN？", "按 batch 归一化。"),
        ("追问：测试时怎么用？", "滑动平均。")]
    bn, follow_up = list(c.questions.values())[2:]
    assert follow_up.parent_id == bn.id
    # a file of <details> questions under its title alone: one section named after it
    c = parse_markdown("# 面试题\n\n<details><summary>什么是过拟合？</summary>训练集上好。</details>\n"
                       "<details><summary>What is underfitting?</summary>Too simple.</details>\n")
    assert [s.title for s in c.sections] == ["面试题"]
    assert [(q.title, q.plain) for q in c.questions.values()] == [("什么是过拟合？", "训练集上好。"),
                                                                 ("What is underfitting?", "Too simple.")]
    # a block never closed is text, with a warning
    c = parse_markdown("## 节\n\n### 问题一\n\n答案一。\n\n<details><summary>什么是过拟合？</summary>\n\n训练集上好。\n")
    assert [q.title for q in c.questions.values()] == ["问题一"]
    assert "训练集上好。" in c.questions[next(iter(c.questions))].plain
    assert len(c.warnings) == 1 and c.warnings[0].startswith("collection.md:7: <details> block is never closed")


TOPIC_DETAILS_MD = """# 面试题

## 深度学习

<details>
<summary>Batch Normalization</summary>

按 batch 归一化，加速收敛。

</details>

<details><summary>维数灾难</summary>维度越高，样本越稀疏。</details>

<details><summary><b>Dropout</b></summary>

训练时随机失活神经元。
</details>

- <details><summary>**ReLU**</summary>max(0, x)，缓解梯度消失。</details>

<details><summary><h3>Attention <code>QKV</code></h3></summary>加权求和。</details>
"""


def test_a_details_summary_naming_a_topic_is_a_question():
    """A topic summary (<summary>Batch Normalization</summary>) is a question, as a topic heading ("### 10. 维数灾难")
    is: its answer is the block, not the heading above (the whole section used to be one question, 深度学习, with
    every block as its answer). Inline Markdown / HTML in the summary is not part of the title."""
    c = parse_markdown(TOPIC_DETAILS_MD)
    assert [s.title for s in c.sections] == ["深度学习"]
    assert [(q.title, q.plain, q.parent_id) for q in c.questions.values()] == [
        ("Batch Normalization", "按 batch 归一化，加速收敛。", None), ("维数灾难", "维度越高，样本越稀疏。", None),
        ("Dropout", "训练时随机失活神经元。", None), ("ReLU", "max(0, x)，缓解梯度消失。", None),
        ("Attention QKV", "加权求和。", None)]
    bn, curse, dropout, relu, attention = c.questions.values()
    assert bn.body == "按 batch 归一化，加速收敛。" and "summary" not in dropout.body
    assert (bn.line_start, bn.line_end, [b.line_start for b in bn.blocks]) == (5, 10, [8])
    assert (curse.line_start, curse.line_end) == (12, 12) and (dropout.line_start, dropout.line_end) == (14, 17)
    assert [u.title for u in c.units()] == [q.title for q in c.questions.values()]
    assert c.warnings == []


def test_a_list_of_topic_summaries_under_a_heading_are_each_a_question():
    """Several topic <details> under one question heading are its sub-questions, as "#### L1" headings would be; a
    label block among them stays that heading's own answer."""
    md = ("## 节\n\n### 3. 正则化方法\n\n常见的有三种。\n\n<details><summary>L1</summary>稀疏解。</details>\n"
          "<details><summary>L2</summary>权重衰减。</details>\n<details><summary>Dropout</summary>随机失活。</details>\n"
          "<details><summary>代码实现</summary>\n\n```python\nnn.Dropout(0.5)\n```\n</details>\n\n"
          "### 4. 什么是 BN？\n\n按 batch 归一化。\n")
    c = parse_markdown(md)
    reg, l1, l2, dropout, bn = c.questions.values()
    assert [(q.title, q.parent_id, q.plain) for q in (l1, l2, dropout)] == [
        ("L1", reg.id, "稀疏解。"), ("L2", reg.id, "权重衰减。"), ("Dropout", reg.id, "随机失活。")]
    assert reg.children == [l1.id, l2.id, dropout.id] and reg.plain == "常见的有三种。"
    assert reg.code == ["nn.Dropout(0.5)"]  # "代码实现" labels a part of the answer: no question of its own
    # the heading's text goes on after its sub-questions: its lines run to the next heading
    assert (reg.line_start, reg.line_end, [b.line_start for b in reg.blocks]) == (3, 16, [5, 12])
    assert [(q.line_start, q.line_end) for q in (l1, l2, dropout)] == [(7, 7), (8, 8), (9, 9)]
    assert [u.title for u in c.units()] == ["3. 正则化方法", "4. 什么是 BN？"] and bn.plain == "按 batch 归一化。"
    assert "L1\n稀疏解。" in c.answer_plain(reg.id)


@pytest.mark.parametrize("summary", [
    "点击查看答案", "答案", "Answer", "展开", "参考答案", "查看解析", "【点击展开】👇", "▶ Click here to see the solution",
    "Show answer", "答案：见下", "Solution 1", "代码", "Hint", "TL;DR", "详细解答", "<b>答案</b>",
    "维数灾难", "什么是维数灾难？", "**10. 维数灾难**",  # the heading's own question again
])
def test_a_label_summary_under_a_question_heading_leaves_the_heading_the_question(summary):
    """A summary that only labels the answer (or restates the heading) keeps the block the heading's answer."""
    md = f"## 节\n\n### 10. 维数灾难\n\n<details>\n<summary>{summary}</summary>\n\n维度越高，样本越稀疏。\n\n</details>\n"
    (q,) = parse_markdown(md).questions.values()
    assert (q.title, q.plain) == ("10. 维数灾难", "维度越高，样本越稀疏。")
    assert (q.line_start, [b.line_start for b in q.blocks]) == (3, [8])


def test_a_topic_summary_that_restates_the_question_is_its_answer():
    """"BN" under "什么是 BN？" and "Dropout" under "What is dropout?" name the heading's topic: its answer."""
    md = ("## 节\n\n### 什么是 BN？\n\n<details><summary>BN</summary>按 batch 归一化。</details>\n\n"
          "### What is dropout?\n\n<details><summary>Dropout</summary>Randomly drops units.</details>\n\n"
          "### BN 的作用\n\n<details><summary>Batch Normalization</summary>加速收敛。</details>\n")
    c = parse_markdown(md)
    assert [(q.title, q.plain) for q in c.questions.values()] == [
        ("什么是 BN？", "按 batch 归一化。"), ("What is dropout?", "Randomly drops units."),
        ("BN 的作用", ""), ("Batch Normalization", "加速收敛。")]  # another topic: a sub-question, as a heading


def test_empty_and_nested_summaries():
    """An empty summary (or one of tags alone) names nothing: the block is the heading's answer. A <details> nested
    in a topic block is part of that question's answer; a summary holding another block is broken, so text."""
    md = ("## 节\n\n### 问题\n\n答。\n\n<details><summary></summary>空的。</details>\n"
          "<details><summary>   </summary>空白。</details>\n<details><summary><b></b></summary>标签。</details>\n"
          "<details><summary><img src='x.png'></summary>图。</details>\n"
          "<details><summary>Attention</summary>\n外层。\n<details><summary>Self-attention</summary>内层。</details>\n"
          "</details>\n\n### 另一题\n\n<details><summary><details><summary>x</summary></summary>y</details>\n")
    c = parse_markdown(md)
    question, attention, other = c.questions.values()
    assert (question.title, question.plain) == ("问题", "答。\n\n空的。\n空白。\n标签。\n图。")
    assert (attention.title, attention.parent_id, attention.plain) == ("Attention", question.id, "外层。\n内层。")
    assert (other.title, other.plain, other.children) == ("另一题", "y", [])
    assert c.warnings == []


def test_an_unclosed_topic_block_is_text_with_one_warning():
    c = parse_markdown("## 节\n\n### 问题\n\n答。\n\n" + "<details><summary>BN</summary>\n归一化。\n</detail>\n" * 3)
    assert [q.title for q in c.questions.values()] == ["问题"] and "归一化。" in next(iter(c)).plain
    assert c.warnings == ["collection.md:7: <details> block is never closed (no </details>), so its question is read "
                          "as text; so are 2 more after it (lines 10, 13). Close it with </details>. / "
                          "<details> 没有闭合，未作为题目。"]
    with pytest.raises(CorpusError, match="line 1 is never closed"):  # a file of nothing else says why
        parse_markdown("<details><summary>BN</summary>\n归一化。\n")


def test_many_unclosed_blocks_are_read_in_linear_time(monkeypatch):
    """Each unclosed <details> used to be read to the end of the file, so N of them read N²/2 lines (2,000 took
    seconds). Counted, not timed: the lines searched for <details> tags grow with the file, not its square."""
    from corpus import parser

    class CountingTags:
        """``_DETAILS_TAG`` that counts the lines it is asked to search."""

        def __init__(self) -> None:
            self.calls = 0

        def finditer(self, text: str) -> Iterator[re.Match[str]]:
            self.calls += 1
            return tag.finditer(text)

    tag = parser._DETAILS_TAG
    for n in (100, 400):
        counting = CountingTags()
        monkeypatch.setattr(parser, "_DETAILS_TAG", counting)
        md = "## 节\n\n### 问题\n\n答。\n\n" + "".join(
            f"<details><summary>问题 {i}</summary>答案 {i}\n" + ("```\n<details>\n```\n" if i % 7 == 0 else "")
            for i in range(n))
        c = parse_markdown(md)
        (question,) = c.questions.values()  # every block is text of the question above
        assert question.title == "问题" and f"答案 {n - 1}" in question.plain
        assert f"so are {n - 1} more after it" in c.warnings[0]
        assert counting.calls <= 3 * md.count("\n"), (n, counting.calls)  # was about n * n / 2


def test_a_forced_section_level_says_which_text_it_leaves_out(bundled):
    md = "## 节\n\n节的介绍。\n\n### 问题一\n\n答案一。\n\n#### 子问题\n\n子答案。\n\n### 问题二\n\n答案二。\n"
    c = parse_markdown(md, section_level=3)
    assert len(c) == 1
    (warning,) = c.warnings
    assert warning.startswith("collection.md:5: the text under '问题一' and 1 other heading(s) is not asked")
    assert "leave out --section-level (the headings suggest 2)" in warning
    # the inferred level: a section's intro is not a lost answer
    assert parse_markdown(md, section_level=2).warnings == [] and parse_markdown(md).warnings == []
    assert bundled.warnings == [] and load_collection(section_level=2).warnings == []
    assert "and 35 other heading(s)" in load_collection(section_level=3).warnings[0]
    with pytest.raises(CorpusError, match=r"--section-level 4 leaves no heading below it; without it the headings "
                                          r"suggest 2"):
        parse_markdown(md, section_level=4)


def test_a_sub_question_is_named_with_its_parent_question(bundled):
    """"8.2 为什么不容易过拟合" is asked on its own (its parent only groups 8.1–8.4), and alone it does not say
    that it is about random forests: the title it is asked and listed by carries its parent's heading."""
    sub = bundled.find_by_heading("8.2 为什么不容易过拟合")
    assert bundled.unit_of(sub.id) == sub.id  # asked as an interview question of its own
    assert sub.asked_title == "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    top = bundled.find_by_heading("2. L0、L1、L2")
    assert top.asked_title == top.title  # a top-level question is just its title (the section is shown apart)
    l0 = q_by_path(bundled, "机器学习基础 › 2. L0、L1、L2 › 原理和公式 › L0范数")
    assert l0.asked_title == "2. L0、L1、L2 › 原理和公式 › L0范数"
    titles = bundled.asked_titles()
    assert len(titles) == len(bundled) and titles[sub.id] == sub.asked_title
