"""Evaluation harnesses: retrieval (recall@k, MRR) and scoring (Spearman, pairwise).

File formats (fixed; other tooling relies on them):

* retrieval — ``query<TAB>expected`` per line, ``expected`` a substring of the
  expected question's heading, resolving to the first question in document
  order whose heading contains it;
* scoring — ``question<TAB>grade<TAB>answer`` per line, ``question`` resolving
  the same way, ``grade`` an integer 0–4, ``answer`` possibly empty;
* languages — ``question<TAB>grade<TAB>answer<TAB>translation`` per line: one
  answer and the same answer in another language, which a fair scorer scores
  alike (the grade is the original's, for reading the file; it is not used).

A ranked result counts as a hit when it is the expected question, one of its
ancestors that is a question (sections are not), or one of its descendants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from corpus.model import Collection


class EvalFileError(Exception):
    """An evaluation file cannot be used; the message names the line."""


@dataclass
class RetrievalCase:
    line: int
    query: str
    expected: str
    question_id: str


@dataclass
class ScoringCase:
    line: int
    question: str
    grade: int
    answer: str
    question_id: str


def _read_lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalFileError(f"{path}: file not found.") from None
    except UnicodeDecodeError:
        raise EvalFileError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    return [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _resolve(collection: Collection, path: Path, n: int, text: str) -> str:
    q = collection.find_by_heading(text)
    if q is None:
        raise EvalFileError(f"{path}:{n}: '{text}' matches no question heading in the collection.")
    return q.id


def read_retrieval_file(path: Path, collection: Collection) -> list[RetrievalCase]:
    cases: list[RetrievalCase] = []
    errors: list[str] = []
    for n, line in _read_lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            errors.append(f"{path}:{n}: expected 'query<TAB>expected', got {line[:60]!r}")
            continue
        try:
            cases.append(RetrievalCase(n, parts[0].strip(), parts[1].strip(),
                                       _resolve(collection, path, n, parts[1].strip())))
        except EvalFileError as exc:
            errors.append(str(exc))
    if errors:
        raise EvalFileError("\n".join(errors))
    if not cases:
        raise EvalFileError(f"{path}: no queries found.")
    return cases


def _graded_rows(path: Path, collection: Collection, fmt: str, fields: int,
                 required: tuple[int, ...]) -> list[tuple[int, list[str], int, str]]:
    """``(line, fields, grade, question id)`` of each row of a graded file (column 1 a question, column 2 a grade
    0–4), or one EvalFileError naming every bad line. A row one field short has an empty last field whose
    trailing tab was stripped; ``required`` fields must not be blank."""
    rows: list[tuple[int, list[str], int, str]] = []
    errors: list[str] = []
    for n, line in _read_lines(path):
        parts = line.split("\t")
        if len(parts) == fields - 1:
            parts.append("")
        if len(parts) != fields or any(not parts[k].strip() for k in required):
            errors.append(f"{path}:{n}: expected '{fmt}', got {line[:60]!r}")
            continue
        try:
            grade = int(parts[1].strip())
            if not 0 <= grade <= 4:
                raise ValueError
        except ValueError:
            errors.append(f"{path}:{n}: grade must be an integer 0-4, got {parts[1]!r}")
            continue
        try:
            rows.append((n, parts, grade, _resolve(collection, path, n, parts[0].strip())))
        except EvalFileError as exc:
            errors.append(str(exc))
    if errors:
        raise EvalFileError("\n".join(errors))
    if not rows:
        raise EvalFileError(f"{path}: no rows found.")
    return rows


def read_scoring_file(path: Path, collection: Collection) -> list[ScoringCase]:
    return [ScoringCase(n, parts[0].strip(), grade, parts[2], question_id) for n, parts, grade, question_id
            in _graded_rows(path, collection, "question<TAB>grade<TAB>answer", 3, required=(0,))]


@dataclass
class TranslationCase:
    """An answer and its translation (same content, another language) to one question."""

    line: int
    question: str
    grade: int
    answer: str
    translation: str
    question_id: str


def read_translation_file(path: Path, collection: Collection) -> list[TranslationCase]:
    return [TranslationCase(n, parts[0].strip(), grade, parts[2], parts[3], question_id)
            for n, parts, grade, question_id in _graded_rows(
                path, collection, "question<TAB>grade<TAB>answer<TAB>translation, both answers non-empty", 4,
                required=(0, 2, 3))]


@dataclass
class TranslationResult:
    """How far translations score from their originals: ``gaps`` are translation minus original."""

    n: int
    mean_gap: float
    mean_abs_gap: float
    max_abs_gap: float
    over_15: int  # pairs more than 15 points apart
    gaps: list[float]

    def as_json(self) -> dict[str, object]:
        return {"n": self.n, "mean_gap": round(self.mean_gap, 2), "mean_abs_gap": round(self.mean_abs_gap, 2),
                "max_abs_gap": round(self.max_abs_gap, 2), "over_15": self.over_15, "gaps": self.gaps}


def evaluate_translations(original: Sequence[float], translated: Sequence[float]) -> TranslationResult:
    """Score gaps between each answer and its translation (0 everywhere for a scorer blind to language).

    >>> r = evaluate_translations([80.0, 40.0], [70.0, 60.0])
    >>> r.mean_gap, r.mean_abs_gap, r.max_abs_gap, r.over_15
    (5.0, 15.0, 20.0, 1)
    """
    if len(original) != len(translated) or not original:
        raise ValueError("one translated score per original score, at least one")
    gaps = [float(t) - float(o) for o, t in zip(original, translated)]
    return TranslationResult(
        n=len(gaps), mean_gap=sum(gaps) / len(gaps), mean_abs_gap=sum(abs(g) for g in gaps) / len(gaps),
        max_abs_gap=max(abs(g) for g in gaps), over_15=sum(abs(g) > 15 for g in gaps),
        gaps=[round(g, 2) for g in gaps],
    )


# ---------------------------------------------------------------- retrieval


@dataclass
class RetrievalResult:
    recall_at_1: float
    recall_at_3: float
    mrr: float
    n: int
    misses: list[tuple[RetrievalCase, list[str]]] = field(default_factory=list)

    def as_json(self) -> dict[str, float]:
        return {"recall@1": self.recall_at_1, "recall@3": self.recall_at_3, "mrr": self.mrr, "n": self.n}


def hit_set(collection: Collection, question_id: str) -> set[str]:
    """The expected question, its question ancestors and its descendants."""
    ids = {question_id}
    ids.update(q.id for q in collection.ancestors(question_id))
    ids.update(q.id for q in collection.descendants(question_id))
    return ids


def evaluate_retrieval(
    collection: Collection, cases: Sequence[RetrievalCase], rank: Callable[[str], list[str]], top: int = 10
) -> RetrievalResult:
    """``rank(query)`` returns question ids best first; metrics over the top ``top``."""
    r1 = r3 = rr = 0.0
    misses = []
    for case in cases:
        good = hit_set(collection, case.question_id)
        ranked = rank(case.query)[:top]
        first = next((i for i, qid in enumerate(ranked, start=1) if qid in good), None)
        if first is not None:
            rr += 1.0 / first
            r1 += first == 1
            r3 += first <= 3
        if first != 1:
            misses.append((case, ranked[:3]))
    n = len(cases)
    return RetrievalResult(r1 / n, r3 / n, rr / n, n, misses)


# ---------------------------------------------------------------- scoring


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman rank correlation with average ranks for ties; None where it is undefined (fewer than two
    values, or one side constant).

    >>> round(spearman([1, 2, 3], [10, 30, 20]), 6), spearman([1, 1], [0, 4])
    (0.5, None)
    """
    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return out

    if len(x) < 2:
        return None
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else None


@dataclass
class ScoringResult:
    """Metrics of ``eval scoring``; ``spearman`` / ``pairwise`` are None where undefined (a constant column,
    no pair of rows with the same question and different grades), never a misleading 0."""

    spearman: float | None
    pairwise: float | None
    n: int
    mean_by_grade: dict[int, float]
    scores: list[float]

    def as_json(self) -> dict[str, object]:
        return {
            "spearman": self.spearman, "pairwise": self.pairwise, "n": self.n,
            "mean_by_grade": {str(g): m for g, m in sorted(self.mean_by_grade.items())},
            "scores": self.scores,
        }


def evaluate_scoring(cases: Sequence[ScoringCase], scores: Sequence[float]) -> ScoringResult:
    """Spearman over all rows; pairwise accuracy over pairs with the same question and different grades
    (tied scores count half); mean score per grade."""
    grades = [c.grade for c in cases]
    correct = total = 0.0
    for i in range(len(cases)):
        for j in range(i + 1, len(cases)):
            if cases[i].question_id != cases[j].question_id or grades[i] == grades[j]:
                continue
            total += 1
            if scores[i] == scores[j]:
                correct += 0.5
            elif (scores[i] > scores[j]) == (grades[i] > grades[j]):
                correct += 1
    by_grade: dict[int, list[float]] = {}
    for g, s in zip(grades, scores):
        by_grade.setdefault(g, []).append(s)
    return ScoringResult(
        spearman=spearman(list(scores), [float(g) for g in grades]),
        pairwise=correct / total if total else None,
        n=len(cases),
        mean_by_grade={g: sum(v) / len(v) for g, v in sorted(by_grade.items())},
        scores=[round(float(s), 2) for s in scores],
    )
