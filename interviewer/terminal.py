"""Terminal front end: ``practice`` (an interview at the prompt) and ``progress`` (the gap report).

Commands at the answer prompt: an empty line ends a multi-line answer;
``:hint``, ``:skip``, ``:ref`` (reference answer), ``:end``. Ctrl-D ends the
interview, Ctrl-C too — every submitted answer is already saved.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, TextIO

from .progress import NEEDS_WORK_BELOW, NOTHING_NEEDS_WORK
from .session import InterviewSession, SessionError, SessionOptions, Turn

HELP = "（多行作答，空行提交 / finish with an empty line；:hint 提示  :skip 跳过  :ref 参考答案  :end 结束）"


def _wrap(text: str, indent: str = "  ") -> str:
    return "\n".join(
        textwrap.fill(line, width=100, initial_indent=indent, subsequent_indent=indent) if line.strip() else ""
        for line in text.splitlines()
    )


def format_feedback(session: InterviewSession, turn: Turn) -> str:
    """Plain-text feedback for one answered turn."""
    c = session.collection
    r = turn.result
    lines: list[str] = []
    if turn.status == "noted":
        lines.append("这道题还没有参考答案，你的回答已保存为笔记 / no reference yet — your answer is saved as a note.")
        index = session.index
        if index is not None and (turn.answer or "").strip():
            for hit in index.best_passages(c.questions[turn.question_id].title + " " + (turn.answer or ""), k=2):
                q = c.questions[hit.passage.question_id]
                lines.append(f"  相关段落 / related: {q.display_path} ({q.source}:{hit.passage.line_start})")
                lines.append(_wrap(hit.passage.text[:300], "    "))
        return "\n".join(lines)
    score = getattr(r, "score", None)
    band = getattr(r, "band", "")
    lines.append(f"得分 / score: {score:.0f}/100  {band}" if score is not None else "未评分 / not scored")
    comps = getattr(r, "components", {}) or {}
    if comps:
        parts = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in comps.items()
                          if isinstance(v, (int, float)))
        lines.append(f"  组成 / components: {parts}")
    message = getattr(r, "message", "")
    if message:
        lines.append(_wrap(message))
    covered = [str(getattr(x, "text", x)) for x in getattr(r, "covered", [])][:12]
    missed = [str(getattr(x, "text", x)) for x in getattr(r, "missed", [])][:12]
    if covered:
        lines.append("  ✓ 答到 / covered: " + "、".join(covered))
    if missed:
        lines.append("  ✗ 遗漏 / missed: " + "、".join(missed))
    better = getattr(r, "better_match", None)
    if better:
        q = c.questions.get(better if isinstance(better, str) else getattr(better, "id", ""))
        if q is not None:
            lines.append(f"  这个回答更像是在回答 / this fits better: {q.display_path}")
    for hit in list(getattr(r, "missed_passages", []) or [])[:2]:
        # the scorer's MissedPassage (question_id, location, text) or an index PassageHit (.passage)
        passage = getattr(hit, "passage", None)
        qid = getattr(passage if passage is not None else hit, "question_id", "")
        q = c.questions.get(qid)
        if passage is not None:
            where = f"{q.source if q else ''}:{passage.line_start}"
            text = passage.text
        else:
            where = str(getattr(hit, "location", "") or (q.location if q else ""))
            text = str(getattr(hit, "text", ""))
        lines.append(f"  原文 / source: {q.display_path if q else qid} ({where})")
        lines.append(_wrap(text[:400], "    "))
    for notice in getattr(r, "notices", []) or []:
        lines.append(f"  注意 / notice: {notice}")
    if turn.saved_notice:
        lines.append(f"  {turn.saved_notice}")
    return "\n".join(lines)


def _read_answer(prompt: Callable[[str], str]) -> str | None:
    """Read lines until an empty line; None on EOF before anything was typed.

    A first line starting with ``:`` (or a full-width ``：``) is a command,
    returned lower-cased.
    """
    lines: list[str] = []
    while True:
        try:
            line = prompt("> " if not lines else "  ")
        except EOFError:
            return "\n".join(lines) if lines else None
        command = line.strip().replace("：", ":", 1).lower()
        if command.startswith(":") and not lines:
            return command
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue
        lines.append(line)


def run_practice(engine, args: argparse.Namespace, prompt: Callable[[str], str] = input,
                 out: TextIO = sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """The interactive interview loop."""
    from .progress import normalize_profile

    profile = normalize_profile(args.profile)
    options = SessionOptions(
        sections=tuple(args.section or ()), mode=args.mode, count=args.count,
        include_unanswered=args.include_unanswered, seed=args.seed,
    )
    try:
        session = InterviewSession(engine.collection, engine.scorer, engine.store, profile, options,
                                   index=engine.index)
    except SessionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for notice in session.notices:
        print(notice, file=out)
    print(HELP, file=out)
    while not session.ended:
        turn = session.current
        assert turn is not None
        q = session.collection.questions[turn.question_id]
        print(f"\n[{session.progress_label}] {q.section}", file=out)
        print(f"Q: {turn.prompt}", file=out)
        if not session.has_reference:
            print("（这道题还没有参考答案，回答将保存为笔记 / no reference answer: your answer becomes a note）", file=out)
        while turn.status == "pending":
            try:
                answer = _read_answer(prompt)
            except KeyboardInterrupt:  # Ctrl-C ends the interview like Ctrl-D; answers are saved
                print(file=out)
                answer = None
            if answer is None or answer == ":end":
                return _finish(session, out)
            if answer == ":hint":
                hints = session.hint()
                print("提示 / hint: " + ("、".join(hints) if hints else "（没有提示 / none）"), file=out)
                continue
            if answer == ":ref":
                print(_wrap(session.reference()), file=out)
                continue
            if answer == ":skip":
                session.skip()
                break
            if answer.startswith(":"):  # a mistyped command is not an answer
                print(f"未知命令 / unknown command {answer!r}. {HELP}", file=out)
                continue
            started = time.perf_counter()
            session.submit(answer)
            print(format_feedback(session, turn), file=out)
            print(f"  ({(time.perf_counter() - started) * 1000:.0f} ms)", file=out)
            session.next()
    return _finish(session, out)


def _finish(session: InterviewSession, out: TextIO) -> int:
    summary = session.end()
    print("\n== 本次面试小结 / session summary ==", file=out)
    mean = f"{summary.mean_score:.0f}" if summary.mean_score is not None else "—"
    print(f"作答 {summary.answered}，跳过 {summary.skipped}，笔记 {summary.notes}，平均分 {mean} / "
          f"answered {summary.answered}, skipped {summary.skipped}, notes {summary.notes}, mean {mean}", file=out)
    for path, score in summary.weakest:
        print(f"  需加强 / to review: {path} ({score:.0f})", file=out)
    if not summary.weakest and summary.mean_score is not None:
        print(f"  需加强 / to review: 无，每个回答都不低于 {NEEDS_WORK_BELOW:g} 分 / none — every answer "
              f"scored {NEEDS_WORK_BELOW:g} or more", file=out)
    for path in summary.reference_seen:
        print(f"  看过参考答案后作答，不计入掌握度 / answered after seeing the reference, not counted: {path}",
              file=out)
    return 0


def show_progress(engine, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """The gap report in the terminal, optionally exported to .md or .csv."""
    from .progress import normalize_profile

    profile = normalize_profile(args.profile)
    store = engine.store
    c = engine.collection
    stats = store.stats(profile)
    print(f"Profile '{profile}': {stats.attempts} attempts, {stats.questions_attempted} questions, "
          f"{stats.due_now} due now", file=out)
    sections = store.section_mastery(profile)
    if not sections:
        print("还没有作答记录，先运行 `python -m interviewer practice` / no answers yet — try `practice`.", file=out)
    else:
        print("\n章节掌握度 / mastery by section:", file=out)
        for s in sections:
            bar = "█" * int(round((s.mastery or 0) / 10))
            print(f"  {s.section:<20} {bar:<10} {s.mastery or 0:5.1f}  ({s.attempted_questions} questions, "
                  f"{s.attempts} attempts)", file=out)
        weakest = store.needs_work(profile, 5)
        print("\n最薄弱 / weakest:", file=out)
        for qid, mastery in weakest:
            q = c.questions.get(qid)
            print(f"  {mastery:5.1f}  {q.display_path if q else qid}", file=out)
        if not weakest:
            print(f"  {NOTHING_NEEDS_WORK}", file=out)
        due = store.due(profile, time.time())
        if due:
            print("\n待复习 / due for review:", file=out)
            for qid in due[:10]:
                q = c.questions.get(qid)
                print(f"  {q.display_path if q else qid}", file=out)
    export = None if args.export is None else Path(args.export)
    if export is not None:
        from .cli import UserError

        if export.suffix.lower() not in (".csv", ".md", ".markdown"):
            raise UserError(f"--export must end in .md or .csv (got '{export.name}').")
        try:
            if export.suffix.lower() == ".csv":
                store.export_csv(profile, export)
            else:
                store.export_markdown(profile, export)
        except OSError as exc:
            raise UserError(f"cannot write {export}: {exc.strerror or exc}") from None
        print(f"\nExported to {export}", file=out)
    return 0
