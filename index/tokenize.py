"""Chinese-aware keyword tokens for BM25 and key-term matching.

Chinese text is segmented with jieba (search mode, so "梯度消失" also yields
"梯度" and "消失"); Latin words, numbers and tokens like ``L1``, ``1x1`` and
``F1`` stay whole and are lower-cased. Stop words and punctuation are dropped.
A :class:`Tokenizer` owns its own jieba dictionary, so adding domain terms
never touches process-wide state.

>>> Tokenizer().tokens("Dropout 为什么能防止过拟合？")
['dropout', '防止', '拟合', '过拟合']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cached_property
from typing import Iterable

_LATIN = re.compile(r"[a-z][a-z0-9+#]*(?:\.\d+)?(?:[-'][a-z0-9]+)*|\d+(?:\.\d+)?(?:x\d+)?[a-z]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# "1×1", "1*1", "3 x 3" → "1x1", "3x3": one spelling of kernel and matrix sizes.
_SIZE = re.compile(r"(?<![a-z0-9.])(\d+)\s*[x×*✕]\s*(\d+)(?![0-9])")

# Function words and interview filler that carry no topic.
CHINESE_STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 等 也 就 都 而 及其 其 之 为 以 于 对 把 被 让 给 从 向 到 由 上 下 中 里 个 这 那
    这个 那个 这些 那些 这样 那样 一个 一种 一些 有 没有 会 能 可以 可能 要 需要 应该 如何 怎么 怎样 怎么样
    什么 为什么 为何 哪些 哪个 哪种 多少 吗 呢 吧 啊 呀 嘛 么 啥 请 请问 说 说说 讲 讲讲 谈谈 介绍 介绍一下 一下
    简述 描述 解释 理解 问题 相关 关于 方面 进行 使用 通过 时候 时 的话 如果 因为 所以 但是 但 然后 并且 而且
    还 还是 又 很 非常 比较 更 最 不 没 无 如 比如 例如 即 我们 你 我 他 它 她 他们 自己 其中 以及 之间 之后
    之前 一样 一般 通常 常用 常见 主要 具体 基本 原理 作用 以下 如下 下面 上面 这里 那里 哪里 些 点 种 区别 不同
    """.split()
)
ENGLISH_STOPWORDS = frozenset(
    """
    a an the of to in on for and or is are was were be been being it its this that these those with by as at from
    what why how when which who whom does do did can could should would will shall may might must about into than
    then there their them they we you your i me my our us he she his her not no yes so if but also very more most
    explain describe tell please between difference differences compare vs versus use used using work works
    """.split()
)
STOPWORDS = CHINESE_STOPWORDS | ENGLISH_STOPWORDS

# Domain terms jieba should keep whole (it would split 过拟合 / 感受野 otherwise).
DOMAIN_TERMS = (
    "过拟合 欠拟合 正则化 归一化 标准化 交叉熵 损失函数 激活函数 梯度消失 梯度爆炸 反向传播 前向传播 学习率 "
    "感受野 卷积核 池化 全连接 残差 批归一化 随机失活 权值共享 局部连接 空洞卷积 膨胀卷积 深度可分离卷积 转置卷积 "
    "特征图 参数量 计算量 召回率 准确率 精确率 混淆矩阵 决策树 随机森林 支持向量机 逻辑回归 线性回归 朴素贝叶斯 "
    "核函数 对偶 拉格朗日 信息增益 增益率 基尼指数 基尼系数 熵 协方差 相关系数 欧式距离 余弦相似度 维数灾难 "
    "伪标签 端到端 数据不平衡 样本不均衡 过采样 欠采样 集成学习 提升树 梯度提升 泰勒展开 生成对抗网络 判别器 "
    "生成器 模式崩溃 非极大值抑制 交并比 边缘检测 仿射变换 透视变换 双线性插值 锐化 去噪 迁移学习 目标检测 "
    "图像分割 图像分类 多卡训练 模型压缩 知识蒸馏 剪枝 量化 稀疏 稀疏性 权重衰减 动量 自适应 初始化 "
    "均方误差 平方损失 最大似然 极大似然 先验 后验 高斯混合 聚类 特征融合 特征选择 特征工程 词向量 注意力 "
    "循环神经网络 卷积神经网络 长短期记忆 门控 遗忘门 输入门 输出门 梯度裁剪 预训练 微调 数据增强 早停 "
    "卷积层 池化层 全连接层 激活层 归一化层 输出层 隐藏层 反卷积 逐点卷积 分组卷积 轻量级 轻量化 浮点运算 "
    "矩阵乘法 缺失值 特征重要性 超平面 支持向量 核技巧 残差连接 跳跃连接 残差网络 多卡 显存 批大小 "
    "不收敛 泛化能力 训练集 测试集 验证集 正则项 惩罚项 神经元 梯度下降 随机梯度下降 小批量 学习率衰减 "
    "余弦退火 分类器 超参数 特征提取 下采样 上采样 最近邻 边界框 锚框 置信度 语义分割 实例分割 "
    "最大池化 平均池化 全局池化 感知机 多层感知机 损失曲线 收敛速度 权重初始化 偏差方差 向量"
).split()


def normalise(text: str) -> str:
    """NFKC (full-width → half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def canonical_sizes(text: str) -> str:
    """One spelling of kernel and matrix sizes: ``1×1``, ``1*1``, ``3 x 3`` → ``1x1``, ``3x3``."""
    return _SIZE.sub(r"\1x\2", text)


class Tokenizer:
    """Segment mixed Chinese/English text into keyword tokens."""

    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        self._extra = tuple(extra_terms)
        self._lock = threading.Lock()

    @cached_property
    def _jieba(self):  # type: ignore[no-untyped-def]
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        for term in (*DOMAIN_TERMS, *self._extra):
            tk.add_word(term, freq=2000)
        return tk

    def _cut(self, text: str, search: bool = True) -> list[str]:
        with self._lock:  # jieba's lazy initialisation is not thread-safe
            if search:
                return list(self._jieba.cut_for_search(text, HMM=True))
            return list(self._jieba.cut(text, HMM=True))

    def words(self, text: str, search: bool = True) -> list[str]:
        """All segments (stop words included), in order: used for phrase matching.

        Chinese runs go through jieba — in search mode by default, which adds
        the known pieces of long words (梯度消失 → 梯度, 消失, 梯度消失);
        ``search=False`` keeps only the words themselves. Everything else is
        matched by a Latin pattern directly, so ``C4.5``, ``1×1``/``1*1``
        (both ``1x1``) and ``L1`` survive whole. A hyphenated word yields its
        joined form and its parts (``k-means`` → ``kmeans``, ``k``, ``means``).
        """
        text = canonical_sizes(normalise(text))
        out: list[str] = []
        pos = 0
        for run in _CJK_RUN.finditer(text):
            self._latin(text[pos:run.start()], out)
            out.extend(p for p in (w.strip() for w in self._cut(run.group(), search)) if p)
            pos = run.end()
        self._latin(text[pos:], out)
        return out

    @staticmethod
    def _latin(text: str, out: list[str]) -> None:
        for word in _LATIN.findall(text):
            if "-" in word:
                out.append(word.replace("-", ""))
                out.extend(part for part in word.split("-") if part)
            else:
                out.append(word)

    def tokens(self, text: str, search: bool = True) -> list[str]:
        """Keyword tokens: segments minus stop words and one-letter Latin noise."""
        return [
            w for w in self.words(text, search)
            if w not in STOPWORDS and not (len(w) == 1 and not _CJK.match(w) and not w.isdigit())
        ]

    def warm(self) -> None:
        """Load the dictionary now (about a second) instead of on the first query."""
        self._cut("预热")
