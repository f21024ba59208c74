"""Cut reference text short without breaking a formula or leaving a bracket open.

Feedback shows pieces of reference answers ("可以补充：…", missed points). A
plain ``text[:n] + "…"`` can stop inside ``$\\alpha=\\frac{1}{…}$``, which then
shows as raw LaTeX (KaTeX only typesets closed formulas), or after an opening
"（", which reads as broken. These helpers cut before such a piece instead.
"""

from __future__ import annotations

import re

_DOLLARS = re.compile(r"(?<!\\)\$\$?")
_PAIRS = {"（": "）", "(": ")", "[": "]", "【": "】", "「": "」", "“": "”"}
_TRAILING = " \t，,；;：:、"
_ONE_FORMULA = re.compile(r"\$[^$\n]+\$")


def balanced_prefix(text: str, brackets: bool = True) -> str:
    """``text`` up to before an unclosed formula (or, with ``brackets``, bracket) it ends inside.

    >>> balanced_prefix("学习率衰减 $\\\\alpha=\\\\frac{1}{1+")
    '学习率衰减'
    >>> balanced_prefix("常见方法（举例：指数衰减")
    '常见方法'
    >>> balanced_prefix("L1 产生稀疏解 $w_i=0$")
    'L1 产生稀疏解 $w_i=0$'
    """
    marks = list(_DOLLARS.finditer(text))
    if len(marks) % 2 == 1:  # the last formula is not closed
        text = text[:marks[-1].start()]
    if not brackets:
        return text.rstrip(_TRAILING)
    stack: list[int] = []
    closers = {close: open_ for open_, close in _PAIRS.items()}
    for i, ch in enumerate(text):
        if ch in _PAIRS:
            stack.append(i)
        elif ch in closers and stack and text[stack[-1]] == closers[ch]:
            stack.pop()
    if stack:
        text = text[:stack[0]]
    return text.rstrip(_TRAILING)


def is_one_formula(text: str) -> bool:
    """Whether ``text`` is one inline formula and nothing else: such a point is never cut (it would show raw).

    >>> is_one_formula(" $(2\\times I-1)\\times O$ "), is_one_formula("计算量 $O(n)$")
    (True, False)
    """
    return _ONE_FORMULA.fullmatch(text.strip()) is not None


def clip(text: str, limit: int, brackets: bool = True) -> str:
    """``text`` if it has at most ``limit`` characters, else a balanced prefix and "…".

    >>> clip("短句", 10)
    '短句'
    >>> clip("学习率 $\\\\alpha=0.1$ 逐步衰减到很小", 12)
    '学习率…'
    """
    if len(text) <= limit:
        return text
    head = balanced_prefix(text[:limit], brackets)
    return (head or text[:limit].split("$")[0].rstrip(_TRAILING)) + "…"


# A sentence that leans on what came before it ("那么下图…", "所以可以解释…", "这里的参数 k…") or on a
# figure the user may not see (images in the collection are often unreachable).
_LEANS_ON_CONTEXT = re.compile(
    r"^(那么|所以|因此|因而|于是|这里|这种|这样|这个|这些|这就|这也|这是|此时|其中|而且|而|但是|但|然而|同样|同理|反之|"
    r"另一|另外|此外|最后|然后|接着|即|也就是说|补充|如下|上面|下面|上式|下式|该)"
    r"|下图|上图|如图|见图|图中|图示|如下图|下表|上表"
)


def reads_alone(sentence: str) -> bool:
    """True when a reference sentence makes sense out of context, as a "point to add" must.

    >>> reads_alone("L1 正则会让许多权重变为 0，得到稀疏解。")
    True
    >>> reads_alone("那么下图是这个网络的梯度")
    False
    >>> reads_alone("它的导数如下图所示")
    False
    >>> reads_alone("为什么 L1 会产生稀疏的特征呢？")
    False
    """
    text = sentence.strip()
    return bool(text) and not _LEANS_ON_CONTEXT.search(text) and not text.rstrip("。 ").endswith(("？", "?"))
