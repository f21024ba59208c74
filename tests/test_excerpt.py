"""Cutting reference text short: never inside a formula, not after an open bracket."""

from __future__ import annotations

import re

from corpus.model import Collection
from interviewer import render
from interviewer.excerpt import balanced_prefix, clip
from interviewer.keyterms import split_points
from interviewer.scoring import _excerpt

_DOLLAR = re.compile(r"(?<!\\)\$\$?")


def _closed_formulas(text: str) -> bool:
    return len(_DOLLAR.findall(text)) % 2 == 0


def test_a_cut_inside_a_formula_moves_before_it() -> None:
    assert balanced_prefix(r"学习率衰减 $\alpha=\frac{1}{1+") == "学习率衰减"
    assert balanced_prefix(r"损失 $$L = L_0 + \lambda") == "损失"
    assert balanced_prefix(r"L1 产生稀疏解 $w_i=0$") == r"L1 产生稀疏解 $w_i=0$"
    assert balanced_prefix(r"价格 \$5 很便宜") == r"价格 \$5 很便宜"  # an escaped dollar is no formula


def test_brackets_are_closed_or_cut_only_when_asked() -> None:
    assert balanced_prefix("常见方法（举例：指数衰减") == "常见方法"
    assert balanced_prefix("常见方法（举例）和其他") == "常见方法（举例）和其他"
    assert balanced_prefix("常见方法（举例：指数衰减", brackets=False) == "常见方法（举例：指数衰减"


def test_clip() -> None:
    assert clip("短句", 10) == "短句"
    assert clip(r"学习率 $\alpha=0.1$ 逐步衰减到很小", 12) == "学习率…"
    assert clip("一二三四五六七八九十", 5) == "一二三四五…"


def test_feedback_text_never_shows_half_a_formula() -> None:
    long = "学习率按 epoch 衰减：" + r"$\alpha=\frac{1}{(1+decayRate*epoch)} lr_0$" + "，" + "其余说明" * 40
    shown = render.escape_inline(long, 40)
    assert "decayRate" not in shown and shown.endswith("…") and _closed_formulas(shown)


def test_hint_excerpts_of_the_real_collection_keep_formulas_whole(bundled_collection: Collection) -> None:
    """Every "可以补充" excerpt the scorer can make from the bundled references."""
    checked = cut_formulas = 0
    for q in bundled_collection:
        for sentence in split_points(q.plain):
            if not _closed_formulas(sentence):
                continue  # a lone dollar sign (工资（$）) is not a formula
            excerpt = _excerpt(sentence)
            checked += 1
            assert _closed_formulas(excerpt), (sentence, excerpt)
            if excerpt.endswith("…") and not _closed_formulas(sentence[:60]):
                cut_formulas += 1
    assert checked > 500
    assert cut_formulas > 0, "the collection no longer has long formulas: the check above proves nothing"
