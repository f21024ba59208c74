"""Generate ``eval/lookups.tsv``: one-term look-ups of words that only one question's answer names.

Neither hand-written retrieval set has many queries like "IoU" or "遗忘门": a user looking up a term the
collection mentions only inside an answer (no heading names it). Here the label is mechanical, not a
judgement: the word occurs in the answer text (body passages) of exactly one interview question and in no
heading of the collection, so that question is the right first hit.

Words: Latin words of 3+ characters that are not English stop words, and Chinese words of 3+ characters
that are glossary terms or dictionary nouns other than everyday words (:meth:`TermModel.is_topic_term`,
without its unknown words, which are often segmenter fragments such as 值太大). At most
:data:`PER_KIND` of each, sampled with a fixed seed, so the file only changes when the collection or the
tokenizer does. Run from the repository root::

    python eval/make_lookups.py            # writes eval/lookups.tsv
    python -m interviewer eval retrieval eval/lookups.tsv
"""

from __future__ import annotations

import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from corpus.parser import load_collection  # noqa: E402
from index.chunking import ChunkSettings, chunk_collection  # noqa: E402
from index.tokenize import ENGLISH_STOPWORDS  # noqa: E402
from interviewer.keyterms import TermModel  # noqa: E402

OUT = ROOT / "eval" / "lookups.tsv"
PER_KIND = 150
SEED = 20261127
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-]{2,}")
_CHINESE = re.compile(r"[\u4e00-\u9fff]{3,}")


def lookups() -> list[tuple[str, str]]:
    """(word, heading of the one question whose answer names it), Latin words first."""
    collection = load_collection()
    terms = TermModel(collection)
    tokenizer = terms.tokenizer
    units: dict[str, set[str]] = defaultdict(set)
    for passage in chunk_collection(collection, ChunkSettings()):
        if passage.kind != "body":
            continue
        unit = collection.unit_of(passage.question_id)
        words = {w.lower() for w in _LATIN.findall(passage.text)} - ENGLISH_STOPWORDS
        words |= {w for w in tokenizer.tokens(passage.text) if _CHINESE.fullmatch(w) and terms.is_topic_term(w)
                  and (w in terms.known_terms or w in terms.word_freq)}
        for word in words:
            units[word].add(unit)
    headings = "\n".join(q.heading for q in collection.questions.values()).lower()
    rng = random.Random(SEED)
    out: list[tuple[str, str]] = []
    for latin in (True, False):
        words = sorted(w for w, us in units.items() if len(us) == 1 and w not in headings
                       and bool(_LATIN.fullmatch(w)) == latin)
        rng.shuffle(words)
        kept = 0
        for word in words:
            unit = collection.questions[next(iter(units[word]))]
            if collection.find_by_heading(unit.heading) is not unit:  # the file must resolve to this question
                continue
            out.append((word, unit.heading))
            kept += 1
            if kept == PER_KIND:
                break
    return out


def main() -> None:
    rows = lookups()
    OUT.write_text("".join(f"{w}\t{h}\n" for w, h in rows), encoding="utf-8")
    print(f"wrote {len(rows)} look-ups to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
