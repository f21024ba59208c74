"""Terminal front end: ``practice`` (an interview at the prompt) and ``progress`` (the gap report).

Commands at the answer prompt: an empty line ends a multi-line answer;
``:hint``, ``:skip``, ``:ref`` (reference answer), ``:end``; typed in the
middle of an answer, ``:hint`` and ``:ref`` are shown and the answer goes on.
Ctrl-D ends the interview, Ctrl-C too — every submitted answer is already
saved, and one being typed or being scored is saved as a note (not scored).
At a real terminal the prompt gets line editing (readline), and an empty line
that arrives with more input already waiting (a paste) does not end the answer.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import select
import signal
import sys
import shutil
import time
from pathlib import Path
from typing import Callable, TextIO

from corpus.model import fold_text

from .columns import display_width, pad, wrap
from .engine import LazyScorer
from .progress import NEEDS_WORK_BELOW, NOTHING_NEEDS_WORK, ProgressStoreError
from .render import SHOWN_COMPONENTS, asked_parts_line, component_label
from .render import t as render_text
from .session import (
    FollowUp,
    InterviewSession,
    NoQuestionsError,
    SessionError,
    SessionOptions,
    Turn,
    plural,
    resolve_sections,
)

HELP = "（多行作答，空行提交 / finish with an empty line；:hint 提示  :skip 跳过  :ref 参考答案  :end 结束）"
COMMANDS = (":hint", ":ref", ":skip", ":end")
REFERENCE_SHOWN_CHARS = 3000  # a code-only reference printed after the note kept for it
# a line like this is a (mistyped) command; any other line starting with ":" (":) 过拟合…") is answer text
_COMMAND_LIKE = re.compile(r":[a-z]{1,12}")


def _width() -> int:
    """Columns a printed line may take: the terminal's less one (at most 100)."""
    return max(20, min(100, shutil.get_terminal_size((100, 24)).columns - 1))


def _wrap(text: str, indent: str = "  ") -> str:
    """``text`` wrapped to the terminal (at most 100 columns), counting a Chinese character as two."""
    width = _width()
    return "\n".join("\n".join(wrap(line, width, indent)) if line.strip() else "" for line in text.splitlines())


def _lines(text: str, hang: str = "  ") -> str:
    """Every line of ``text`` wrapped to the terminal: a line keeps its own leading spaces as its indent, and
    its continuation lines are indented by ``hang`` more. Lines that already fit are left as they are."""
    width = _width()
    out: list[str] = []
    for line in text.split("\n"):
        if display_width(line) <= width or not line.strip():
            out.append(line.rstrip() if not line.strip() else line)
            continue
        indent = line[:len(line) - len(line.lstrip(" "))]
        out.extend(wrap(line, width, indent, indent + hang))
    return "\n".join(out)


def _say(out: TextIO, text: str = "", hang: str = "  ") -> None:
    """Print a message of the practice session wrapped to the terminal (see :func:`_lines`)."""
    print(_lines(text, hang), file=out)


def _for_terminal(text: str) -> str:
    """A message worded for the web app, with its button names replaced by the prompt's commands."""
    return (text.replace("点“参考答案”", "输入 :ref ").replace("“参考答案”", " :ref ")
            .replace("Use “Reference”", "Type :ref").replace("“Reference”", ":ref"))


def format_feedback(session: InterviewSession, turn: Turn) -> str:
    """Plain-text feedback for one answered turn."""
    c = session.collection
    r = turn.result
    lines: list[str] = []
    if turn.status == "noted":
        if c.is_answered(turn.question_id):  # a reference that is only code: nothing to score against
            # shown here: the next question is on screen by the time this is read, so ":ref" would show its
            # reference, and mark the next answer as given after seeing it
            zh = render_text("noted_code_only", "zh").replace("可以点“参考答案”对照检查。", "参考答案如下，可以对照检查：")
            en = render_text("noted_code_only", "en").replace("Use “Reference” to check it yourself.",
                                                              "The reference follows, to check it yourself:")
            reference = c.answer_markdown(turn.question_id)
            if len(reference) > REFERENCE_SHOWN_CHARS:
                reference = reference[:REFERENCE_SHOWN_CHARS].rstrip() + "\n…"
            lines.append(f"{zh} / {en}")
            lines.append(reference)
        else:
            lines.append("这道题还没有参考答案，你的回答已保存为笔记 / no reference yet — your answer is saved as a note.")
        index = session.index
        if index is not None and (turn.answer or "").strip():
            for hit in index.best_passages(c.questions[turn.question_id].title + " " + (turn.answer or ""), k=2):
                q = c.questions[hit.passage.question_id]
                lines.append(f"  相关段落 / related: {q.display_path} ({q.source}:{hit.passage.line_start})")
                lines.append(_wrap(hit.passage.text[:300], "    "))
        return _lines("\n".join(lines))
    score = getattr(r, "score", None)
    band = getattr(r, "band", "")
    lines.append(f"得分 / score: {score:.0f}/100  {band}" if score is not None else "未评分 / not scored")
    comps = getattr(r, "components", {}) or {}
    # the components a candidate can act on, as in the web app's score panel (all are stored with the attempt)
    shown = [(k, comps[k]) for k in SHOWN_COMPONENTS if isinstance(comps.get(k), (int, float))]
    if shown:
        parts = ", ".join(f"{component_label(k, 'zh')} / {component_label(k, 'en')} {v:.0%}" for k, v in shown)
        lines.append(_wrap(f"组成 / components: {parts}"))
    message = getattr(r, "message", "")
    if message:  # the scorer's explanation names what was covered and missed (and a better-fitting question)
        lines.append(_wrap(message))
    covered = [str(getattr(x, "text", x)) for x in getattr(r, "covered", [])][:12]
    missed = [str(getattr(x, "text", x)) for x in getattr(r, "missed", [])][:12]
    # each named once: the explanation of a scored answer lists them; a non-answer's or an off-topic one's does not
    if covered and "答到的要点" not in message:
        lines.append(_wrap("✓ 答到 / covered: " + "、".join(covered)))
    if missed and "遗漏的要点" not in message:
        lines.append(_wrap("✗ 遗漏 / missed: " + "、".join(missed)))
    better = getattr(r, "better_match", None)
    if better and "另一道题" not in message:
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
    return _lines("\n".join(lines))


def as_command(line: str) -> str | None:
    """The command a line names (lower-cased, full-width letters and colon accepted), or None for text.

    >>> as_command("：ＨＩＮＴ "), as_command(":hnit"), as_command(":) 过拟合是…")
    (':hint', ':hnit', None)
    """
    command = fold_text(line).strip()
    return command if _COMMAND_LIKE.fullmatch(command) else None


class InputEnded(Exception):
    """The input ended (Ctrl-D, or the end of piped input) after part of an answer was typed: ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _read_answer(prompt: Callable[[str], str], lines: list[str] | None = None,
                 on_command: Callable[[str], None] | None = None,
                 more_pending: Callable[[], bool] = lambda: False) -> str | None:
    """Read lines until an empty line; None on EOF before anything was typed, :class:`InputEnded` after.

    A first line that is a command (:func:`as_command`) is returned as such. A
    command typed after the answer has begun is not part of the answer: it goes
    to ``on_command`` and reading goes on (a hint in the middle of an answer).
    An empty line ends the answer unless ``more_pending()`` says more input is
    already waiting: a pasted answer with blank lines between its paragraphs
    stays one answer instead of spilling into the next question. The lines are
    collected in ``lines``, so the caller still has them if Ctrl-C interrupts.
    """
    lines = [] if lines is None else lines
    while True:
        try:
            line = prompt("> " if not lines else "  ")
        except EOFError:
            if lines:  # Ctrl-D (or the end of piped input) in the middle of an answer
                raise InputEnded("\n".join(lines).strip("\n")) from None
            return None
        command = as_command(line)
        if command is not None and not lines:
            return command
        if command in COMMANDS and on_command is not None:
            on_command(command)
            continue
        if not line.strip():
            if lines and more_pending():
                lines.append("")
                continue
            if lines:
                return "\n".join(lines).strip("\n")
            continue
        lines.append(line)


def _tty_input_pending(wait_s: float = 0.05) -> bool:
    """True when more typed or pasted input is already waiting on the terminal (a paste in progress)."""
    try:
        return bool(select.select([sys.stdin], [], [], wait_s)[0])
    except (OSError, ValueError):  # not a real file (tests, closed stdin)
        return False


def _line_editing() -> object | None:
    """Turn on line editing (arrow keys, history) for ``input()`` at a terminal; the readline module, or None.

    Without it, arrow keys put escape codes into the answer, and the terminal's own line buffer cuts a
    pasted line at 4,096 bytes without a word.
    """
    try:
        import readline  # noqa: PLC0415 - optional: absent on some platforms
    except ImportError:
        return None
    return readline


def no_questions_message(exc: NoQuestionsError, include_unanswered: bool) -> str:
    """Why there is nothing to ask, naming this command's own flags (not the web app's checkbox)."""
    where = "、".join(exc.sections) if exc.sections else "题库 / the collection"
    if exc.unanswered and not include_unanswered:
        return (f"{where}：没有带参考答案的题目。加上 --include-unanswered 也练习没有参考答案的 {exc.unanswered} 道题"
                f"（回答保存为笔记），或用 --section 选择其他章节 / no question there has a reference answer: add "
                f"--include-unanswered to practise its {exc.unanswered} question(s) without one (your answers are "
                f"kept as notes), or choose other sections with --section.")
    return (f"{where}：没有题目，请用 --section 选择其他章节（`python -m interviewer stats` 列出各章节）/ there are no "
            f"questions there: choose other sections with --section (`python -m interviewer stats` lists them).")


class _EndOnSignal:
    """While active, SIGTERM (``kill``) and SIGHUP (the terminal closed) end the interview like Ctrl-C:
    the first one raises KeyboardInterrupt in the main thread, so the answer being typed is kept as a note
    and the summary is printed. Later ones (and any once ``raising`` is off, while the summary is written)
    are only noted: they do not cut the saving short. The previous handlers are restored on exit."""

    NAMES = ("SIGTERM", "SIGHUP")

    def __init__(self, unfinished_line: Callable[[], str] = lambda: "") -> None:
        self.received: int | None = None
        self.raising = True
        self.line = ""  # the line being edited when the signal came (read at once: a hangup soon clears it)
        self._unfinished_line = unfinished_line
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: object) -> None:
        first = self.received is None
        if first:
            self.received = signum
            try:
                self.line = self._unfinished_line()
            except Exception:  # noqa: BLE001 - best effort
                self.line = ""
        if first and self.raising:
            raise KeyboardInterrupt

    def __enter__(self) -> "_EndOnSignal":
        for name in self.NAMES:
            number = getattr(signal, name, None)
            if number is None:
                continue
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except (ValueError, OSError):  # not the main thread: leave the default
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)  # type: ignore[arg-type]

    @property
    def hung_up(self) -> bool:
        return self.received == getattr(signal, "SIGHUP", None)


class _TerminalOut:
    """``out`` for the interview: once the terminal is gone (a write fails with EIO after a hangup), further
    output is dropped instead of raising, so the answers are still saved and the program exits quietly; the
    file descriptor is pointed at /dev/null so that Python's own flush at exit does not complain either."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.gone = False

    def _lost(self, exc: OSError) -> bool:
        if exc.errno not in (errno.EIO, errno.ENXIO):
            return False
        self.gone = True
        _silence(self._out)
        return True

    def write(self, text: str) -> int:
        if self.gone:
            return len(text)
        try:
            return self._out.write(text)
        except OSError as exc:
            if not self._lost(exc):
                raise
            return len(text)

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self._out.flush()
        except OSError as exc:
            if not self._lost(exc):
                raise

    def __getattr__(self, name: str) -> object:
        return getattr(self._out, name)


def _silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor (and stderr's, when it is the same terminal) at /dev/null."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    try:
        same = [fd]
        info = os.fstat(fd)
        for other in (1, 2):
            if other != fd:
                try:
                    o = os.fstat(other)
                except OSError:
                    continue
                if (o.st_dev, o.st_ino, o.st_rdev) == (info.st_dev, info.st_ino, info.st_rdev):
                    same.append(other)
        null = os.open(os.devnull, os.O_WRONLY)
        for target in same:
            os.dup2(null, target)
        os.close(null)
    except OSError:
        pass


def _section_matches(engine, names: list[str] | tuple[str, ...]) -> list[str]:  # type: ignore[no-untyped-def]
    """A line for each ``--section`` value that picked more than one section, naming them."""
    lines: list[str] = []
    c = engine.collection
    for name in names:
        try:
            ids = resolve_sections(c, [name])
        except SessionError:
            continue
        if len(ids) > 1:
            titles = "、".join(s.title for s in c.sections if s.id in ids)
            lines.append(f"「{name}」匹配到 {len(ids)} 个章节：{titles} / '{name}' matches {len(ids)} sections: "
                         f"{titles}")
    return lines


def run_practice(engine, args: argparse.Namespace, prompt: Callable[[str], str] = input,
                 out: TextIO = sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """The interactive interview loop.

    The session (sections, count, profile) is checked before the scorer is
    prepared, so a mistyped option fails at once. SIGTERM and SIGHUP end the
    interview like Ctrl-C (what is being typed is kept as a note, the summary
    printed); the exit status is then 128 + the signal number.
    """
    from .progress import normalize_profile

    profile = normalize_profile(args.profile)
    options = SessionOptions(
        sections=tuple(args.section or ()), mode=args.mode, count=args.count,
        include_unanswered=args.include_unanswered, seed=args.seed,
    )
    try:
        session = InterviewSession(engine.collection, LazyScorer(engine), engine.store, profile, options,
                                   index=engine.index)
    except NoQuestionsError as exc:
        print(f"error: {no_questions_message(exc, bool(args.include_unanswered))}", file=sys.stderr)
        return 2
    except SessionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not getattr(engine, "scorer_ready", True):
        print(_lines("准备评分（第一次会为评分嵌入所有参考段落，之后会快很多）/ preparing the scorer (the first time it "
                     "embeds every reference passage; later starts are quick)…"), file=sys.stderr, flush=True)
        from .cli import ProgressPrinter

        engine.prepare_scorer(ProgressPrinter())
    _ = engine.scorer
    out = _TerminalOut(out)  # type: ignore[assignment]
    for line in _section_matches(engine, args.section or ()):
        _say(out, line)
    for notice in session.notices:
        _say(out, notice)
    _say(out, HELP)
    at_terminal = prompt is input and sys.stdin.isatty()
    readline = _line_editing() if at_terminal else None
    line_buffer: Callable[[], str] = (lambda: readline.get_line_buffer()) if readline is not None else lambda: ""
    with _EndOnSignal(line_buffer) as ending:
        try:
            _interview(session, prompt, out, more_pending=_tty_input_pending if at_terminal else lambda: False,
                       unfinished_line=lambda: line_buffer() or ending.line, at_terminal=at_terminal)
        except KeyboardInterrupt:  # Ctrl-C (or kill / hangup) anywhere (hint, scoring, saving): summarise
            _say(out)
        ending.raising = False  # the summary is written whatever comes now
        code = _finish(session, out)
    if ending.hung_up:  # the terminal is gone: whatever is still buffered goes nowhere, quietly
        _silence(sys.stdout)
    return 128 + ending.received if ending.received is not None else code


def _interview(session: InterviewSession, prompt: Callable[[str], str], out: TextIO,
               more_pending: Callable[[], bool] = lambda: False,
               unfinished_line: Callable[[], str] = lambda: "", at_terminal: bool = False) -> None:
    """Ask questions until the queue ends, ``:end``, Ctrl-D or Ctrl-C (raised to the caller).

    Ctrl-D at a terminal in the middle of an answer ends the interview and keeps that answer as a note,
    like Ctrl-C; at the end of piped input the last answer is scored (the file simply ended there).

    A follow-up is offered as in the web app: it is asked (becomes the session's current turn) only once the
    user takes it up (types an answer, ``:hint``, ``:ref``); ``:skip`` at it declines it — no follow-up, on
    to the next question, nothing recorded as skipped.

    ``more_pending`` tells whether input is already waiting (see :func:`_read_answer`);
    ``unfinished_line`` returns the line being edited when Ctrl-C came (kept with the rest).
    """
    while not session.ended:
        turn = session.current
        assert turn is not None
        offered: FollowUp | None = None
        if turn.status != "pending":  # answered: a follow-up may be offered, else on to the next question
            offered = session.followup_candidate()
            if offered is None:
                session.next()
                continue
        qid = offered.question_id if offered is not None else turn.question_id
        q = session.collection.questions[qid]
        label = (f"追问 / follow-up {session.position + 1}/{len(session.queue)}" if offered is not None
                 else session.progress_label)
        _say(out, f"\n[{label}] {q.section}")
        _say(out, f"Q: {offered.prompt if offered is not None else turn.prompt}", "   ")
        parts = "" if offered is not None and offered.focus else asked_parts_line(session.collection, qid)
        if parts:
            _say(out, parts, "   ")
        if not session.collection.is_answered(qid):
            _say(out, "（这道题还没有参考答案，回答将保存为笔记 / no reference answer: your answer becomes a note）")

        def take_up() -> Turn:
            """The follow-up offered is asked now (the user took it up); the current turn."""
            nonlocal offered
            if offered is not None:
                session.next()
                offered = None
            current = session.current
            assert current is not None
            return current

        def mid_answer(command: str) -> None:
            if command in (":hint", ":ref"):
                take_up()
            _mid_answer(session, command, out)

        while True:
            typed: list[str] = []
            try:
                answer = _read_answer(prompt, typed, mid_answer, more_pending)
            except KeyboardInterrupt:  # Ctrl-C ends the interview like Ctrl-D; answers are saved
                partial = unfinished_line()
                if partial.strip():  # the line being typed (no Enter yet) counts too
                    typed.append(partial)
                if typed:  # what was being typed is kept too (saved first: the terminal may be gone)
                    take_up()
                    _keep_typed(session, "\n".join(typed), out, newline=True)
                else:
                    _say(out)
                return
            except InputEnded as ended:
                current = take_up()
                _say(out)
                if not at_terminal:  # piped answers: the file ended without an empty line after the last one
                    _submit(session, current, ended.text, out)
                    return
                _keep_typed(session, ended.text, out)
                return
            if answer is None or answer == ":end":
                return
            if answer in (":hint", ":ref"):
                mid_answer(answer)
                continue
            if answer == ":skip":
                if offered is not None:  # the follow-up is declined: nothing is skipped
                    session.next(allow_followup=False)
                    _say(out, f"{render_text('no_followup', 'zh').rstrip('。')} / {render_text('no_followup', 'en')}")
                else:
                    session.skip()
                break
            if as_command(answer) is not None:  # a mistyped command is not an answer
                _say(out, f"未知命令 / unknown command {answer!r}. {HELP}")
                continue
            if _submit(session, take_up(), answer, out):
                break  # on to its follow-up, or the next question


def _keep_typed(session: InterviewSession, text: str, out: TextIO, newline: bool = False) -> None:
    """Save an answer the interview ended in the middle of as a note (not scored), or print it back."""
    try:
        session.keep_unscored(text)
    except ProgressStoreError as exc:
        if newline:
            _say(out)
        _say(out, f"未能保存你正在写的回答 / the answer you were typing could NOT be saved: {exc}\n"
                  f"你的回答 / your answer:\n{_wrap(text)}")
        return
    if newline:
        _say(out)
    _say(out, "你正在写的回答已保存为笔记（未评分）/ the answer you were typing was saved as a note (not scored).")


def _mid_answer(session: InterviewSession, command: str, out: TextIO) -> None:
    """A command typed on its own line: a hint or the reference is shown; :skip and :end wait until the
    answer being typed is sent (it is never dropped or sent by surprise)."""
    if command == ":hint":
        hints = session.hint()
        _say(out, "提示 / hint: " + ("、".join(hints) if hints else "（没有提示 / none）"))
    elif command == ":ref":
        _say(out, _wrap(session.reference()))
    else:
        _say(out, f"（{command} 要在空的提示符后输入：先空一行提交你正在写的回答 / {command} works on an empty prompt: "
                  f"send the answer you are typing with an empty line first）")


def _submit(session: InterviewSession, turn: Turn, answer: str, out: TextIO) -> bool:
    """Score and save one answer and print its feedback; False if it could not be saved.

    Ctrl-C while scoring saves the answer as a note (nothing typed is lost) and
    is raised again to end the interview. If the progress database fails, the
    feedback says the answer was NOT saved and prints the answer back, and the
    interview goes on.
    """
    started = time.perf_counter()
    try:
        session.submit(answer)
    except KeyboardInterrupt:
        if turn.status == "pending":
            session.keep_unscored(answer)
            _say(out, "\n评分被中断，你的回答已保存为笔记（未评分）/ scoring was interrupted: your answer was saved "
                      "as a note (not scored).")
        raise
    except ProgressStoreError as exc:
        _say(out, f"未能保存你的回答 / your answer could NOT be saved: {exc}\n"
                  f"你的回答 / your answer:\n{_wrap(answer)}\n"
                  f"可以重新输入后再提交，或输入 :end 结束 / type it again to retry, or :end to stop.")
        return False
    _say(out, format_feedback(session, turn))
    if turn.unsaved:  # the notice is in the feedback; the text goes back on screen so it can be copied
        _say(out, f"你的回答 / your answer:\n{_wrap(answer)}")
    _say(out, f"  ({(time.perf_counter() - started) * 1000:.0f} ms)")
    return True


def _finish(session: InterviewSession, out: TextIO) -> int:
    summary = session.end()
    _say(out, "\n== 本次面试小结 / session summary ==")
    mean = f"{summary.mean_score:.0f}" if summary.mean_score is not None else "—"
    # the interview's questions as chosen; follow-ups (when there were any) counted apart
    zh_followups, en_followups = ((f"，追问 {summary.followups}", f", follow-ups {summary.followups}")
                                  if summary.followups else ("", ""))
    _say(out, f"作答 {summary.answered}，跳过 {summary.skipped}，笔记 {summary.notes}{zh_followups}，平均分 {mean} / "
              f"answered {summary.answered}, skipped {summary.skipped}, notes {summary.notes}{en_followups}, "
              f"mean {mean}")
    partly = summary.mean_leaves_out  # some answers not counted
    if partly:
        _say(out, f"  平均分只算 {summary.counted} 个回答（看过参考答案后的作答和针对单个要点的追问不计入）/ the mean is "
                  f"over {plural(summary.counted, 'answer')} (answers after the reference and one-point follow-ups "
                  f"are not counted)")
    # "to review" rather than the band name 需加强: the list takes every answer below 良好 (a 及格 52 too)
    for path, score in summary.weakest:
        _say(out, f"  值得复习 / to review: {path} ({score:.0f})")
    if not summary.weakest and summary.mean_score is not None:
        _say(out, f"  值得复习 / to review: 无，每个{'计入的' if partly else ''}回答都不低于 {NEEDS_WORK_BELOW:g} 分 / "
                  f"none — every {'counted ' if partly else ''}answer scored {NEEDS_WORK_BELOW:g} or more")
    for path in summary.reference_seen:
        _say(out, f"  看过参考答案后作答，不计入掌握度 / answered after seeing the reference, not counted: {path}")
    return 0


EXPORT_SUFFIXES = (".csv", ".md", ".markdown")


def check_export_path(export: Path | None) -> None:
    """Refuse an export name the report cannot be written as, before any work is done."""
    if export is None:
        return
    from .cli import UserError

    if export.suffix.lower() not in EXPORT_SUFFIXES:
        raise UserError(f"--export 需以 .md 或 .csv 结尾 / --export must end in .md or .csv (got '{export.name}').")
    if export.is_dir():
        raise UserError(f"--export {export} 是一个文件夹 / is a folder: give a file name such as {export / 'report.md'}.")


def show_progress(engine, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:  # type: ignore[no-untyped-def]
    """The gap report of the collection in use, optionally exported to .md or .csv.

    ``engine``: anything with ``collection`` and ``store`` (an :class:`~interviewer.engine.Engine`, or the
    lighter :class:`~interviewer.engine.ProgressOnly` the command line uses).

    A question of this collection's progress that is no longer in it (its
    heading was edited) is named by the title recorded with its answers.
    """
    from .progress import normalize_profile

    profile = normalize_profile(args.profile)
    export = None if args.export is None else Path(args.export)
    check_export_path(export)
    store = engine.store
    c = engine.collection
    stats = store.stats(profile)
    print(f"Profile '{profile}': {plural(stats.attempts, 'attempt')}, "
          f"{plural(stats.questions_attempted, 'question')}, {stats.due_now} due now", file=out)
    waiting = store.pending_attempts(profile)
    if waiting:  # the database was locked when they were given: they are not in the numbers above yet
        journal = store.journal_path
        print(f"进度数据库正被其他程序占用：还有 {waiting} 个回答在待写入日志中，数据库空闲后会自动写入 / the progress "
              f"database is busy: {plural(waiting, 'answer')} {'is' if waiting == 1 else 'are'} waiting to be "
              f"written ({journal}); they are added automatically once it is free, and counted above then.",
              file=out)
    recorded: dict[str, str] = {}
    for a in store.attempts(profile):  # newest first: the latest title recorded for each question
        recorded.setdefault(a.question_id, " › ".join(x for x in (a.section, a.question_title or a.question_id) if x))

    def label(qid: str) -> str:
        q = c.questions.get(qid)
        return q.display_path if q else f"{recorded.get(qid, qid)}（已不在题库中 / no longer in the collection）"

    sections = store.section_mastery(profile)
    if not sections and not stats.attempts and waiting:
        pass  # "no answers yet" would be wrong: they are waiting in the journal
    elif not sections and not stats.attempts:
        print("还没有作答记录，先运行 `python -m interviewer practice` / no answers yet — try `practice`.", file=out)
        similar = [p for p in store.profiles() if p != profile and p.casefold() == profile.casefold()]
        if similar:  # profile names are case-sensitive: point at the one the user probably meant
            print(f"（有记录的档案 / profiles with answers: {', '.join(repr(p) for p in similar)} — "
                  f"档案名区分大小写 / profile names are case-sensitive）", file=out)
    elif not sections:  # only skips, notes or answers given after seeing the reference
        print("还没有计入掌握度的回答（跳过、笔记和看过参考答案后的回答不计入）/ no scored answers yet — skips, notes "
              "and answers given after seeing the reference do not count toward mastery.", file=out)
    else:
        print("\n章节掌握度 / mastery by section:", file=out)
        name_width = max(display_width(s.section) for s in sections)
        for s in sections:
            bar = "█" * int(round((s.mastery or 0) / 10))
            print(f"  {pad(s.section, name_width)}  {bar:<10} {s.mastery or 0:5.1f}  ({plural(s.attempted_questions, 'question')}, "
                  f"{plural(s.attempts, 'attempt')})", file=out)
        weakest = store.needs_work(profile, 5)
        print("\n最薄弱 / weakest:", file=out)
        for qid, mastery in weakest:
            print(f"  {mastery:5.1f}  {label(qid)}", file=out)
        if not weakest:
            print(f"  {NOTHING_NEEDS_WORK}", file=out)
    due = store.due(profile, time.time())
    if due:
        print("\n待复习 / due for review:", file=out)
        for qid in due[:10]:
            print(f"  {label(qid)}", file=out)
        if len(due) > 10:
            print(f"  …… 另有 {len(due) - 10} 道 / and {len(due) - 10} more", file=out)
    if export is not None:
        from .cli import UserError

        try:
            if export.suffix.lower() == ".csv":
                store.export_csv(profile, export, titles=c.asked_titles())
            else:
                store.export_markdown(profile, export, titles=c.asked_titles())
        except OSError as exc:
            raise UserError(f"无法写入 / cannot write {export}: {exc.strerror or exc}") from None
        print(f"\nExported to {export}", file=out)
    return 0
