"""Which Latin query words may be respelled, and into what.

Search respells a mistyped word ("dropuot" → "dropout") when none of the query's
keywords occurs in the collection. A correctly spelled word must never be
respelled into a different word of the collection ("Transformer" became
"transfer", "sharpen" "share"), so a word is only corrected when

* it is not a known word: not used by the collection, not a word of a glossary
  name ("transformer"), not an English stop word, and not in the English word
  list of ``pyspellchecker`` (about 160,000 words, bundled in the package, so
  no network is needed); and
* the correction is a plausible typo of it: the same first letter, at most
  :func:`max_edits` letters wrong, missing, extra or swapped (optimal string
  alignment distance; "dropuot" → "dropout" is one swap), and at least
  :data:`SPELLING_CUTOFF` similar.

>>> plausible_typo("dropuot", "dropout"), plausible_typo("transformer", "transfer")
(True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz as rf_fuzz
from rapidfuzz.distance import OSA

from .glossary import Glossary
from .tokenize import ENGLISH_STOPWORDS

_WORD = re.compile(r"[a-z]+")
SPELLING_CUTOFF = 80.0  # rapidfuzz ratio: one wrong, missing or extra letter in a 5–6-letter word still passes


def max_edits(word: str) -> int:
    """Typos a word of this length may plausibly carry: one, or two in a word of eight or more letters
    (most misspellings are a single wrong, missing, extra or swapped letter)."""
    return 2 if len(word) >= 8 else 1


def plausible_typo(word: str, candidate: str) -> bool:
    """Whether ``word`` (lower case) may be ``candidate`` mistyped: same first letter, few edits, similar."""
    if not word or not candidate or word[0] != candidate[0] or word == candidate:
        return False
    limit = max_edits(word)
    return (OSA.distance(word, candidate, score_cutoff=limit) <= limit
            and rf_fuzz.ratio(word, candidate) >= SPELLING_CUTOFF)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words of pyspellchecker's bundled list; empty when the package is missing
    (then only the collection, the glossary and the stop words say which words are real)."""
    try:
        from spellchecker import SpellChecker
    except ImportError:  # pragma: no cover - a declared dependency; search still works without it
        return frozenset()
    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


@lru_cache(maxsize=8)
def glossary_words(glossary: Glossary) -> frozenset[str]:
    """Every Latin word of every glossary name ("batch normalization" → batch, normalization)."""
    return frozenset(w for c in glossary.concepts for name in c.variants for w in _WORD.findall(name))


def is_known_word(word: str, glossary: Glossary) -> bool:
    """Whether lower-case ``word`` is a real word that must not be respelled: an English stop word, a
    word of a glossary name (or a glossary name on its own, inflected: "transformers"), or an English word."""
    return (word in ENGLISH_STOPWORDS or word in glossary_words(glossary)
            or bool(glossary.concept_ids(word)) or word in english_words())
