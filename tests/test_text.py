"""Markdown → plain text details (corpus.text), on small inputs."""

from __future__ import annotations

from corpus.text import to_plain


def test_bars_inside_a_formula_are_kept() -> None:
    """A prose line with |D^v| / |D| in a formula was read as a table row: its bars were dropped."""
    line = "给分支结点赋予权重 $\\frac{|D^v|}{|D|}$ ，即样本数越多的分支结点的影响越大"
    assert "$\\frac{|D^v|}{|D|}$" in to_plain([line])
    assert "||w||_2" in to_plain(["L2 范数 $$||w||_2$$ 越小越好"])  # display-math marks go, the bars stay


def test_table_rows_still_lose_their_walls() -> None:
    assert to_plain(["| 模型 | 速度 |", "| --- | --- |", "| A | 14.5 |"]) == "模型 速度\n\nA 14.5"
    assert to_plain(["模型 | 速度 | 精度"]) == "模型 速度 精度"  # a row without the leading bar
