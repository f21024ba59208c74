"""``python -m interviewer practice`` in a real pseudo-terminal, typed into as a user types.

What only a terminal shows: arrow keys edit the line (no escape codes in the answer), a pasted answer with
blank lines between its paragraphs stays one answer, and Ctrl-C keeps the line being typed (no Enter yet).
"""

from __future__ import annotations

import os
import re
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from interviewer.config import AppConfig
from interviewer.progress import ProgressStore

pty = pytest.importorskip("pty")

COLLECTION = """# 我的题库

## 机器学习

### 1. 什么是过拟合？

模型在训练集上表现很好，在测试集上表现差。可以用正则化、dropout、数据增强和早停缓解。

### 2. 什么是梯度下降？

沿着损失函数梯度的反方向更新参数，步长由学习率决定。
"""


class Terminal:
    """A child process on a pty: write keys, read the screen text until a pattern appears."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the program
            # as a shell starts it: an ignored signal survives exec, and the test process may ignore SIGINT
            # or block it; the program must start with the defaults a shell gives it
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])  # a blocked signal survives exec too
            os.execvpe(argv[0], argv, env)
        self.screen = ""

    def expect(self, pattern: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.screen):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} on screen:\n{self.screen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536).decode("utf-8", "replace")
                except OSError:  # the child has exited
                    break
        assert re.search(pattern, self.screen), self.screen[-2000:]

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode("utf-8"))

    def wait(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if ready:  # a read with nothing to read would block past the deadline
                    self.screen += os.read(self.fd, 65536).decode("utf-8", "replace")
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        raise AssertionError(f"still running:\n{self.screen[-2000:]}")


def _practise_two_questions(tmp_path: Path) -> tuple[Terminal, Path]:
    """`practice` on COLLECTION in a pty, waiting at the first question's prompt; returns it and the data folder."""
    corpus = tmp_path / "mine.md"
    corpus.write_text(COLLECTION, encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    term = Terminal([sys.executable, "-m", "interviewer", "practice", "--corpus", str(corpus), "--data-dir",
                     str(data), "--mode", "order", "-n", "2", "--profile", "tty"], env)
    term.expect(r"什么是过拟合")
    term.expect(r"> ")
    return term, data


def test_typing_and_pasting_at_a_real_terminal(tmp_path: Path) -> None:
    term, data = _practise_two_questions(tmp_path)
    term.send("训练好测试差")
    term.send("\x1b[D\x1b[D\x1b[D")  # ← three times: the cursor moves, nothing is typed
    term.send("，但")
    time.sleep(0.3)
    term.send("\r")
    time.sleep(0.3)
    term.send("\r第二段：正则化和 dropout 可以缓解。\r")  # a paste: blank line, then more text at once
    time.sleep(1.0)
    term.send("\r")  # the user's own empty line sends the answer
    term.expect(r"什么是梯度下降")
    term.expect(r"> ")
    term.send("沿梯度反方向")  # no Enter yet
    time.sleep(0.3)
    term.send("\x03")  # Ctrl-C
    assert term.wait() == 0
    attempts = list(reversed(ProgressStore(AppConfig(data_dir=data).progress_db).attempts("tty")))
    assert [(a.kind, a.answer) for a in attempts] == [
        ("answer", "训练好，但测试差\n\n第二段：正则化和 dropout 可以缓解。"),
        ("note", "沿梯度反方向"),
    ], term.screen[-3000:]


def test_ctrl_d_in_the_middle_of_an_answer_ends_the_interview_and_keeps_it(tmp_path: Path) -> None:
    """Ctrl-D after a line of an answer ends the interview (as documented, like Ctrl-C): the answer is kept
    as a note, not scored, and the next question is not asked."""
    term, data = _practise_two_questions(tmp_path)
    term.send("训练集上好、测试集上差\r")
    time.sleep(0.5)
    term.send("\x04")  # Ctrl-D on the empty continuation line
    assert term.wait() == 0
    assert "保存为笔记" in term.screen and "session summary" in term.screen, term.screen[-2000:]
    assert "什么是梯度下降" not in term.screen  # the interview ended
    attempts = ProgressStore(AppConfig(data_dir=data).progress_db).attempts("tty")
    assert [(a.kind, a.answer) for a in attempts] == [("note", "训练集上好、测试集上差")], term.screen[-3000:]


def _practise_with_stderr_to(tmp_path: Path, stderr: Path) -> tuple[Terminal, Path]:
    """As :func:`_practise_two_questions`, with the program's stderr going to a file (read after a hangup)."""
    corpus = tmp_path / "mine.md"
    corpus.write_text(COLLECTION, encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    term = Terminal(["/bin/sh", "-c", 'exec "$0" "$@" 2>"$STDERR_FILE"', sys.executable, "-m", "interviewer",
                     "practice", "--corpus", str(corpus), "--data-dir", str(data), "--mode", "order", "-n", "2",
                     "--profile", "tty"], {**env, "STDERR_FILE": str(stderr)})
    term.expect(r"什么是过拟合")
    term.expect(r"> ")
    return term, data


def test_sigterm_while_typing_keeps_the_answer_as_a_note_and_summarises(tmp_path: Path) -> None:
    """`kill <pid>` takes the Ctrl-C path: the line being typed is kept as a note, the summary is printed."""
    import signal

    term, data = _practise_two_questions(tmp_path)
    term.send("训练集上好，测试集上差")  # no Enter yet
    time.sleep(0.5)
    os.kill(term.pid, signal.SIGTERM)
    assert term.wait() == 128 + signal.SIGTERM, term.screen[-2000:]
    assert "你正在写的回答已保存为笔记" in term.screen and "session summary" in term.screen, term.screen[-2000:]
    assert "Traceback" not in term.screen
    attempts = ProgressStore(AppConfig(data_dir=data).progress_db).attempts("tty")
    assert [(a.kind, a.answer) for a in attempts] == [("note", "训练集上好，测试集上差")], term.screen[-3000:]


def test_closing_the_terminal_while_typing_keeps_the_answer_and_exits_quietly(tmp_path: Path) -> None:
    """SIGHUP (the terminal window closed): the answer being typed is saved although the summary can no
    longer be shown (writing to the gone terminal fails), and the program exits without a traceback."""
    import signal

    err = tmp_path / "stderr.txt"
    term, data = _practise_with_stderr_to(tmp_path, err)
    term.send("第一行\r")  # a line of the answer sent; (a line still being edited is cleared by readline
    time.sleep(0.5)        # itself on a hangup, before Python sees the signal: that part cannot be kept)
    os.close(term.fd)  # the terminal goes away: the kernel hangs up the session (SIGHUP)
    deadline = time.monotonic() + 60
    while True:
        pid, status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(term.pid, 9)
            raise AssertionError("still running after the hangup")
        time.sleep(0.1)
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGHUP, err.read_text(encoding="utf-8")
    assert "Traceback" not in err.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    attempts = ProgressStore(AppConfig(data_dir=data).progress_db).attempts("tty")
    assert [(a.kind, a.answer) for a in attempts] == [("note", "第一行")]
