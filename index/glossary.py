"""A small English ↔ Chinese glossary of ML/DL/CV terms.

Used to bridge languages where embeddings alone are weak: keyword search
expands "overfitting" with "过拟合" (and the other way round), and the scorer
accepts "dropout" for "随机失活". The data lives in ``data/glossary.tsv``
(``english|synonyms<TAB>中文|同义词``), one concept per line.

>>> g = Glossary.default()
>>> "过拟合" in g.translations("how to avoid overfitting")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .tokenize import Tokenizer, canonical_sizes, normalise

GLOSSARY_FILE = Path(__file__).parent / "data" / "glossary.tsv"


@dataclass(frozen=True)
class Concept:
    english: tuple[str, ...]
    chinese: tuple[str, ...]

    @property
    def variants(self) -> tuple[str, ...]:
        return self.english + self.chinese


def _english_pattern(term: str) -> re.Pattern[str]:
    """Whole-word match that accepts simple inflections and spacing variants.

    ``sharpen`` also matches ``sharpening``; ``normalize`` matches
    ``normalization``; ``fine-tuning`` matches ``fine tuning``/``finetuning``.
    """
    words = [w for w in re.split(r"[\s\-]+", term) if w]
    last = words[-1]
    if last[-1:].isalpha() and len(last) > 3:
        if last.endswith("e"):
            last_re = re.escape(last[:-1]) + r"(?:e|es|ed|ing|ation|ations)"
        else:
            last_re = re.escape(last) + r"(?:s|es|ed|d|ing|ation|ations)?"
    else:
        last_re = re.escape(last) + (r"s?" if last[-1:].isalpha() else "")
    body = r"[\s\-]*".join([*(re.escape(w) for w in words[:-1]), last_re])
    return re.compile(r"(?<![a-z0-9])" + body + r"(?![a-z0-9])")


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE_BY_CJK = re.compile(
    r"\s+(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])|(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])\s+"
)


def _canonical(text: str) -> str:
    """What matching sees: NFKC, lower case, one spelling of sizes (1×1 → 1x1), no
    spaces next to Chinese characters ("1x1 卷积" reads as "1x1卷积")."""
    return _SPACE_BY_CJK.sub("", canonical_sizes(normalise(text)))


def _useful_name(name: str) -> bool:
    return len(name) > 1 or bool(_CJK.match(name))


class _Matcher:
    """Finds one name of a concept: Chinese names as substrings, Latin ones as whole words."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pattern = None if _CJK.search(name) else _english_pattern(name)

    def spans(self, low: str) -> list[tuple[int, int]]:
        if self.pattern is not None:
            return [m.span() for m in self.pattern.finditer(low)]
        out, start = [], low.find(self.name)
        while start >= 0:
            out.append((start, start + len(self.name)))
            start = low.find(self.name, start + 1)
        return out


class Glossary:
    """Concepts with their English and Chinese names."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = tuple(concepts)
        # one-letter Latin names would match everywhere; a one-character Chinese name
        # ("熵") is kept. Latin names on the Chinese side ("BN", "GAN") are whole
        # words too, so "organ" never names a GAN
        self._matchers = [
            [_Matcher(v) for v in dict.fromkeys(c.variants) if _useful_name(v)] for c in self.concepts
        ]

    @staticmethod
    @lru_cache(maxsize=1)
    def default() -> "Glossary":
        return Glossary.load(GLOSSARY_FILE)

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        concepts = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            en, zh = line.split("\t", 1)
            concepts.append(Concept(
                tuple(dict.fromkeys(_canonical(t.strip()) for t in en.split("|") if t.strip())),
                tuple(dict.fromkeys(_canonical(t.strip()) for t in zh.split("|") if t.strip())),
            ))
        return cls(concepts)

    def _named(self, low: str) -> list[int]:
        """Indices of the concepts named in canonical text ``low``, longest names winning.

        A concept only named inside a longer concept's name does not count:
        "batch norm" names batch normalization, not the norm of a vector;
        "梯度消失" names vanishing gradients, not just gradients.
        """
        found = []
        for i, matchers in enumerate(self._matchers):
            spans = [span for m in matchers for span in m.spans(low)]
            if spans:
                found.append((i, spans))
        covered = [span for _, spans in found for span in spans]
        named = [
            (min(spans)[0], i) for i, spans in found
            if not all(any(a <= s and e <= b and (b - a) > (e - s) for a, b in covered) for s, e in spans)
        ]
        return [i for _, i in sorted(named)]

    def concept_ids(self, text: str) -> list[int]:
        """Indices (into :attr:`concepts`) of the concepts named in ``text``, first named first."""
        return self._named(_canonical(text))

    def concepts_in(self, text: str) -> list[Concept]:
        """Concepts named in ``text`` in either language (longest names win)."""
        return [self.concepts[i] for i in self.concept_ids(text)]

    def translations(self, text: str, concept_ids: Iterable[int] | None = None) -> list[str]:
        """Other names (either language) of the concepts named in ``text``.

        ``concept_ids`` (from :meth:`concept_ids` of the same text) saves matching twice.
        """
        low = _canonical(text)
        out: list[str] = []
        for i in (self._named(low) if concept_ids is None else concept_ids):
            out.extend(v for v in self.concepts[i].variants if _useful_name(v) and v not in low)
        return list(dict.fromkeys(out))

    def expand(self, tokens: list[str], tokenizer: Tokenizer, text: str | None = None,
               concept_ids: Iterable[int] | None = None, search: bool = True) -> list[str]:
        """Extra keyword tokens: the other names of the concepts in the text.

        Pass the raw ``text`` whenever you have it: multi-word names
        ("curse of dimensionality", "fine-tuning", "样本不均衡") are matched
        on the text, and stop words or segmentation would break them apart.
        Tokens already in ``tokens`` are not repeated. ``search=False`` keeps
        Chinese names whole (随机失活, not also 随机 — which would match 随机森林).
        """
        source = text if text is not None else " ".join(tokens)
        extra = self.translations(source, concept_ids)
        if not extra:
            return []
        seen = set(tokens)
        out = []
        for token in tokenizer.tokens(" ".join(extra), search):
            if token not in seen:
                seen.add(token)
                out.append(token)
        return out
