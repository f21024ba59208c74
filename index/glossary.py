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

from .tokenize import Tokenizer, normalise

GLOSSARY_FILE = Path(__file__).parent / "data" / "glossary.tsv"


@dataclass(frozen=True)
class Concept:
    english: tuple[str, ...]
    chinese: tuple[str, ...]

    @property
    def variants(self) -> tuple[str, ...]:
        return self.english + self.chinese


def _english_pattern(term: str) -> re.Pattern[str]:
    """Whole-word match that also accepts simple inflections (sharpen → sharpening, models)."""
    stem = re.escape(term)
    if term[-1:].isalpha() and len(term) > 3:
        stem += r"(?:s|es|ed|d|ing|ation)?"
    return re.compile(r"(?<![a-z0-9])" + stem + r"(?![a-z0-9])")


class Glossary:
    """Concepts with their English and Chinese names."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = tuple(concepts)
        self._en = [[(_english_pattern(t), t) for t in c.english] for c in self.concepts]

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
                tuple(normalise(t.strip()) for t in en.split("|") if t.strip()),
                tuple(normalise(t.strip()) for t in zh.split("|") if t.strip()),
            ))
        return cls(concepts)

    def concepts_in(self, text: str) -> list[Concept]:
        """Concepts named in ``text`` in either language."""
        low = normalise(text)
        found = []
        for concept, patterns in zip(self.concepts, self._en):
            if any(p.search(low) for p, _ in patterns) or any(z in low for z in concept.chinese if len(z) > 1):
                found.append(concept)
        return found

    def translations(self, text: str) -> list[str]:
        """Other names (either language) of the concepts named in ``text``."""
        low = normalise(text)
        out: list[str] = []
        for concept, patterns in zip(self.concepts, self._en):
            if any(p.search(low) for p, _ in patterns) or any(z in low for z in concept.chinese if len(z) > 1):
                out.extend(v for v in concept.variants if len(v) > 1 and v not in low)
        return list(dict.fromkeys(out))

    def expand(self, tokens: list[str], tokenizer: Tokenizer, text: str | None = None) -> list[str]:
        """Extra keyword tokens: the other-language names of concepts in the text."""
        source = text if text is not None else " ".join(tokens)
        extra = self.translations(source)
        return tokenizer.tokens(" ".join(extra)) if extra else []
