"""AI 模拟面试 · AI Interview Coach — the Gradio web app.

``python app.py`` (or ``make run``) loads the engine once (collection, model,
index — built only when missing or stale, with progress on the console) and
serves four tabs:

* **模拟面试 / Interview** — pick sections, mode, number of questions; a chat
  (question → answer → feedback → follow-up) beside the score, covered and
  missed points, the retrieved source passages with their location and the
  reference answer; submit / hint / skip / reference / next / end → summary.
* **搜索 / Search** — Chinese or English query → questions with passages;
  practise any result directly.
* **进度 / Progress** — mastery per section (bar chart), weakest questions,
  questions due for review, recent history, CSV / Markdown export.
* **题库 / Browse** — the question tree with answered marks, a filter, and the
  reference of any chosen question.

Per-user state lives in ``gr.State`` (:class:`UserState`: profile id, current
interview, chat). The profile id is random and kept in the browser's local
storage (``gr.BrowserState``), so a returning visitor keeps their progress and
two browsers never share anything. The :class:`~interviewer.engine.Engine` is
built once per process and only read. All user text is escaped before it is
rendered (:mod:`interviewer.render`), and every handler turns errors into a
friendly warning without losing what the user typed. One user's interview
actions run one at a time (:class:`ActionLock`, kept in that user's state), so
an answer's feedback always belongs to the question it answered. A damaged
progress database is moved aside at start (the user is told where); if answers
cannot be saved at all, every feedback says so.

Submit, skip and next send along which question the page shows (a hidden
view token): a click about a question that is no longer current — the second
click of a double click — changes nothing, so one double click never skips
two questions. A browser page's running interview is also kept on the server
by its secret profile id (:class:`InterviewKeeper`: bounded, expiring), so a
reload picks it up again, with the settings it was started with shown in the
settings controls, and an answer typed but not sent yet (kept in the browser's
local storage for the question it was typed for, and forgotten once it is sent
or saved as a note); a returning visitor with saved answers is told
so and offered "due for review". After a server restart (every page's state
gone) a page's next action first takes the profile and the language the
browser keeps (:meth:`InterviewApp.page_state`), and says that the interview
the page showed is no longer on the server. The scorer's Chinese band names
and bilingual messages are shown in the UI's language (:mod:`interviewer.render`).

Named API endpoints (for ``gradio_client``; the view ``token`` of ``/submit_answer``, ``/skip`` and
``/next_question`` is optional, and without it they act as asked): ``/start_interview``,
``/submit_answer``, ``/hint``, ``/skip``, ``/show_reference``,
``/next_question``, ``/end_interview``, ``/search``, ``/practise_question``,
``/progress``, ``/export_csv``, ``/export_markdown``, ``/browse``,
``/question_reference``, ``/set_language``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import gradio as gr
import pandas as pd

from interviewer import render
from interviewer.config import AppConfig
from interviewer.engine import Engine, LazyScorer, load_engine
from index.search import MAX_QUERY_CHARS
from interviewer.exportdir import fresh_export_folder
from interviewer.nonanswer import MAX_ANSWER_CHARS
from interviewer.progress import ProgressStore, ProgressStoreError
from interviewer.session import MAX_QUESTIONS, InterviewSession, SessionError, SessionOptions, resolve_sections

log = logging.getLogger("ai_interview.app")

SEARCH_RESULTS = 8
PROFILE_PREFIX = "web-"
ACTION_WAIT_S = 120.0  # how long one user's action waits for that user's previous action to finish
# A skip / next arriving this soon after the previous one moved to a new question is the second click of a
# double click (the first finished before the second was clicked), not a decision about the new question.
DOUBLE_CLICK_S = 0.5
KEEP_MAX = 256  # running interviews kept for a page reload (least recently used dropped first)
KEEP_S = 6 * 3600.0  # … each for this long after its last action
_PROFILE_RE = re.compile(r"^web-[0-9a-f]{32}$")
# BrowserState encrypts with this key in the browser; a fixed key keeps a visitor's id across restarts.
BROWSER_SECRET = os.environ.get("AI_INTERVIEW_BROWSER_SECRET", "ai-interview-coach-profile-v1")
# An answer typed but not sent yet is kept in the browser's local storage under the view token of the question
# it was typed for, so a reload (or a closed tab reopened) puts it back while that question is still current.
# One entry per view token (the newest DRAFT_LIMIT kept), so two tabs showing different questions do not
# overwrite each other's text. Both run in the browser only: no request per keystroke.
# A page remembers under which tokens the text in its box is kept (``window.__aiInterviewDraftTokens``): when
# the box is emptied — the text was sent, or saved as a note on skip / next / start, so the server cleared it —
# every one of them is forgotten, not only the entry of the question now shown; a reload must not bring back
# text that was already saved. Text the server leaves in the box (it could not be saved) stays kept.
DRAFT_KEY = "ai-interview-coach-drafts-v2"
DRAFT_KEY_V1 = "ai-interview-coach-draft-v1"  # one {token, text} slot; still read, so no draft is lost on upgrade
DRAFT_LIMIT = 20
_READ_DRAFTS_JS = f"""const read = () => {{
    let drafts = {{}};
    try {{ const kept = JSON.parse(localStorage.getItem("{DRAFT_KEY}") || "null");
          if (kept && typeof kept === "object" && kept.drafts && typeof kept.drafts === "object") drafts = kept.drafts;
    }} catch (e) {{}}
    try {{ const old = JSON.parse(localStorage.getItem("{DRAFT_KEY_V1}") || "null");
          if (old && old.token && old.text && !(old.token in drafts)) drafts[old.token] = {{text: old.text, t: 0}};
    }} catch (e) {{}}
    return drafts;
  }};
  const mine = (window.__aiInterviewDraftTokens = window.__aiInterviewDraftTokens || []);"""
SAVE_DRAFT_JS = f"""(text, token) => {{
  {_READ_DRAFTS_JS}
  try {{
    const drafts = read();
    if (text) {{
      if (!token) return [];
      drafts[token] = {{text: text, t: Date.now()}};
      if (!mine.includes(token)) mine.push(token);
    }} else {{  // the box was emptied: its text was sent or saved (or deleted by the user) wherever it was kept
      for (const kept of [token, ...mine.splice(0)]) delete drafts[kept];
    }}
    const newest = Object.entries(drafts).sort((a, b) => (b[1].t || 0) - (a[1].t || 0)).slice(0, {DRAFT_LIMIT});
    localStorage.setItem("{DRAFT_KEY}", JSON.stringify({{version: 2, drafts: Object.fromEntries(newest)}}));
    localStorage.removeItem("{DRAFT_KEY_V1}");
  }} catch (e) {{}}
  return [];
}}"""
# On a narrow screen (a phone) the interview settings fill the first screen: after a start, scroll the question
# into view. Wide screens have the chat beside the settings and are left alone.
SHOW_CHAT_JS = """() => {
  const chat = document.querySelector("#chat");
  if (chat && window.innerWidth < 800) chat.scrollIntoView({block: "start"});
  return [];
}"""
# With no interview to restore (the server restarted, or dropped it after KEEP_S), the newest unsent text of the
# last DRAFT_MAX_AGE_DAYS comes back into the box all the same: its question is gone, the user's words are not.
DRAFT_MAX_AGE_DAYS = 30
RESTORE_DRAFT_JS = f"""(text, token) => {{
  {_READ_DRAFTS_JS}
  try {{
    const drafts = read();
    let kept = token && drafts[token] ? [token, drafts[token]] : null;
    if (!token) {{
      const recent = Object.entries(drafts).filter(([t, d]) => d && typeof d.text === "string" && d.text
                                                     && Date.now() - (d.t || 0) < {DRAFT_MAX_AGE_DAYS} * 86400000);
      kept = recent.sort((a, b) => (b[1].t || 0) - (a[1].t || 0))[0] || null;
    }}
    if (kept && typeof kept[1].text === "string" && kept[1].text && !text) {{
      if (!mine.includes(kept[0])) mine.push(kept[0]);  // sent or saved later: forgotten under its old token too
      return kept[1].text;
    }}
  }} catch (e) {{}}
  return text;
}}"""
LATEX = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]
MODE_LABELS = {
    "random": ("随机", "Random"),
    "order": ("按顺序", "In order"),
    "weakest": ("薄弱优先", "Weakest first"),
    "due": ("到期复习", "Due for review"),
}

# Every static text of the UI in both languages: key -> (中文, English).
UI: dict[str, tuple[str, str]] = {
    "title": ("# 🎓 AI 模拟面试\n机器学习 / 深度学习 / 计算机视觉面试练习 · 题库：《AI 问题合集》",
              "# 🎓 AI Interview Coach\nMock ML / DL / CV interviews on the “AI 问题合集” question collection"),
    "lang": ("语言 / Language", "Language / 语言"),
    "tab_interview": ("模拟面试", "Interview"),
    "tab_search": ("搜索", "Search"),
    "tab_progress": ("进度", "Progress"),
    "tab_browse": ("题库", "Browse"),
    "settings": ("### 面试设置", "### Interview settings"),
    "sections": ("章节（可多选）", "Sections (multi-select)"),
    "mode": ("出题方式", "Question order"),
    "count": ("题目数量", "Number of questions"),
    "include_unanswered": ("包含无参考答案的题目（回答保存为笔记）",
                           "Include questions without a reference answer (kept as notes)"),
    "start": ("开始面试", "Start interview"),
    "chat": ("面试对话", "Interview"),
    "chat_placeholder": ("选择章节和出题方式，然后点击 **开始面试**。",
                         "Choose sections and an order, then click **Start interview**."),
    "answer": ("你的回答", "Your answer"),
    "answer_placeholder": ("在这里输入你的回答（中文或英文），然后点击“提交”或按 Shift+Enter（Enter 换行）…",
                           "Type your answer here (Chinese or English), then click “Submit” or press Shift+Enter "
                           "(Enter starts a new line)…"),
    "submit": ("提交", "Submit"),
    "hint": ("提示", "Hint"),
    "skip": ("跳过", "Skip"),
    "reference": ("参考答案", "Reference"),
    "next": ("下一题", "Next"),
    "end": ("结束面试", "End interview"),
    "status_idle": ("还没有开始面试。", "No interview yet."),
    "search_query": ("搜索题库（中文、英文或混合）", "Search the collection (Chinese, English or mixed)"),
    "search_placeholder": ("例如：过拟合怎么办 / dropout 原理 / batch normalization",
                           "e.g. how to prevent overfitting / dropout 原理 / batch normalization"),
    "search_btn": ("搜索", "Search"),
    "search_empty": ("输入关键词后点击“搜索”。", "Type a query and click “Search”."),
    "practise_pick": ("练习这道题", "Practise this question"),
    "practise_btn": ("开始练习所选题目", "Practise the chosen question"),
    "refresh": ("刷新", "Refresh"),
    "plot": ("各章节掌握度（0–100）", "Mastery per section (0–100)"),
    "plot_x": ("章节", "Section"),
    "plot_y": ("掌握度", "Mastery"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_md": ("导出 Markdown 报告", "Export Markdown report"),
    "export_file": ("导出文件", "Exported file"),
    "filter": ("筛选题目", "Filter questions"),
    "filter_placeholder": ("输入关键词筛选，例如：卷积、LSTM、正则", "Type to filter, e.g. 卷积, LSTM, 正则"),
    "browse_pick": ("选择题目查看参考答案", "Choose a question to see its reference"),
    "browse_empty": ("在左侧选择一道题查看参考答案。", "Choose a question to see its reference answer."),
    "score_title": ("得分", "Score"),
    "points_title": ("要点", "Points"),
    # messages
    "no_session": ("请先点击“开始面试”。", "Start an interview first: click “Start interview”."),
    "interview_lost": ("这场面试已不在服务器上了（服务器可能重启过）。已提交的回答都已保存，输入框里的文字也还在；"
                       "点击“开始面试”开始新的面试。",
                       "This interview is no longer on the server (it may have restarted). The answers you "
                       "submitted are saved and your text is still in the box; click “Start interview” to begin a "
                       "new one."),
    "empty_answer": ("回答是空的，请先输入你的回答。", "The answer is empty — type your answer first."),
    "too_long": ("回答太长（{n} 字，最多 {max} 字），请精简后再提交；你的回答仍保留在输入框里。",
                 "The answer is too long ({n} characters, at most {max}); shorten it and submit again — "
                 "your text is still in the box."),
    "no_sections": ("请至少选择一个章节。", "Choose at least one section."),
    "bad_count": ("题目数量应为 1 到 {max} 之间的整数。", "The number of questions must be a whole number from 1 to {max}."),
    "empty_query": ("请输入要搜索的内容。", "Type something to search for."),
    "query_cut": ("搜索词太长，只用了前 {max} 个字。", "The query was long; only its first {max} characters were used."),
    "unknown_question": ("找不到这道题，请重新选择。", "That question was not found — choose again."),
    "pick_first": ("请先选择一道题。", "Choose a question first."),
    "ended": ("面试已结束。", "The interview has ended."),
    "ended_start_new": ("面试已结束，点击“开始面试”开始新的面试。",
                        "The interview has ended: click “Start interview” to begin a new one."),
    "error": ("出了点问题（{kind}），请重试。你的输入没有丢失。",
              "Something went wrong ({kind}); please try again. Nothing you typed was lost."),
    "store_error": ("进度数据库不可用：{msg}", "The progress database is unavailable: {msg}"),
    "scorer_error": ("评分器暂时不可用，你的回答还在输入框里，请稍后再提交。（{msg}）",
                     "The scorer is not available right now; your answer is still in the box — try again "
                     "shortly. ({msg})"),
    "scorer_loading": ("评分器正在准备（首次启动约需一两分钟），请稍候…",
                       "The scorer is getting ready (a minute or two after the first start); please wait…"),
    "reference_shown": ("参考答案已显示在右侧。", "The reference answer is shown on the right."),
    "no_export": ("还没有可导出的记录。", "Nothing to export yet."),
    "busy": ("上一个操作还没有完成，请稍后再试。你的输入没有丢失。",
             "Your previous action is still running; please try again in a moment. Nothing you typed was lost."),
    "store_recovered": (("⚠️ 进度数据库文件已损坏、无法读取：它已被移到 {moved}（没有删除任何内容），"
                         "并新建了一个空的进度数据库，之后的回答会保存在新数据库里。"),
                        ("⚠️ The progress database was damaged and could not be read: it was moved to {moved} "
                         "(nothing was deleted) and a new, empty progress database was started; answers from now "
                         "on are saved in the new one.")),
    "store_unusable": ("⚠️ 进度数据库不可用，你的回答不会被保存。（{msg}）",
                       "⚠️ The progress database is unavailable, so your answers will NOT be saved. ({msg})"),
    "not_saved": ("⚠️ 你的回答**没有保存**：进度数据库不可用，这次作答不会记入你的进度。（{msg}）",
                  ("⚠️ Your answer was **NOT saved**: the progress database is unavailable, so it is not in your "
                   "progress. ({msg})")),
    "not_saved_short": ("你的回答没有保存：进度数据库不可用。",
                        "Your answer was NOT saved: the progress database is unavailable."),
    "skip_not_saved": ("这次跳过没有保存：进度数据库不可用。", "The skip was NOT saved: the progress database is unavailable."),
    "question_changed": ("题目已经换了，这个回答没有提交；它还在输入框里，请看一下新题目再提交。",
                         "The question changed before your answer was sent, so it was not submitted; it is still "
                         "in the box — check the new question and submit again."),
    "reference_none_related": ("这道题还没有参考答案；右侧是题库里的相关段落。",
                               "This question has no reference answer yet; related passages of the collection are "
                               "on the right."),
    "reference_none": ("这道题还没有参考答案。", "This question has no reference answer yet."),
    "unsent_kept": ("你在上一题输入框里写的、没有提交的文字已保存为那道题的笔记（不评分），可在“进度”页的历史里找到。",
                    "What you had typed but not sent for the previous question was saved as a note of that "
                    "question (not scored); it is in the history on the Progress tab."),
    "unsent_in_box": ("输入框里的文字没有保存为回答，仍留在输入框中：要用的话先复制，或作为新题目的回答提交。",
                      "The text in the answer box was not saved as an answer and is still in the box: copy it, "
                      "or send it as the answer to the new question."),
    "practise_after_reference": ("你刚在题库里看过这道题的参考答案：这次作答会评分并保存，但不计入掌握度。",
                                 "You have just read this question's reference in Browse: your answer is scored "
                                 "and saved but does not count toward mastery."),
    "previous_ended": ("上一场面试已结束（作答 {answered} 题，都已保存，可在“进度”里查看）。",
                       "Your previous interview has ended ({answered} answered, all saved; see Progress)."),
    "whole_question": ("「{part}」没有单独的参考答案，所以练习的是整道题「{whole}」。",
                       "“{part}” has no reference answer of its own, so the whole question “{whole}” is asked "
                       "instead."),
    "restored": ("你正在进行的面试已恢复（重新加载或在本浏览器的另一个页面打开），可以接着作答。之前的回答都已保存。",
                 "Your running interview is restored (page reloaded or opened in another tab of this browser): "
                 "carry on. Your earlier answers are saved."),
    "caught_up": ("这个面试在另一个页面里已经往下进行了：这里已更新到当前题目，刚才的操作没有执行。",
                  "This interview moved on in another tab: this page now shows the current question, and what you "
                  "just clicked was not done."),
    "replaced_elsewhere": ("你在本浏览器的另一个页面开始了新的面试：这里已切换到那个面试，刚才的操作没有执行（之前的回答都已保存）。",
                           "A new interview was started in another tab of this browser: this page now shows it, "
                           "and what you just clicked was not done (your earlier answers are saved)."),
    "welcome_back": ("欢迎回来：你之前的 {n} 次作答都已保存。出题方式已选为“到期复习”，点击“开始面试”即可接着练需要复习的题目。",
                     "Welcome back: your earlier answers ({n}) are saved. The question order is set to “Due for "
                     "review” — click “Start interview” to pick up the questions that need review."),
}


def ui(key: str, lang: str = "zh", **kwargs: Any) -> str:
    """The UI text ``key`` in ``lang``, formatted with ``kwargs``."""
    zh, en = UI[key]
    text = en if lang == "en" else zh
    return text.format(**kwargs) if kwargs else text


def mode_choices(lang: str) -> list[tuple[str, str]]:
    return [(en if lang == "en" else zh, mode) for mode, (zh, en) in MODE_LABELS.items()]


def mastery_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of :func:`render.mastery_rows` as a typed frame (numeric mastery even when empty)."""
    frame = pd.DataFrame(rows, columns=["section", "mastery", "questions", "attempts"])
    return frame.astype({"section": str, "mastery": float, "questions": int, "attempts": int})


# ------------------------------------------------------------------ per-user state


def new_profile() -> str:
    return PROFILE_PREFIX + secrets.token_hex(16)


def valid_profile(value: Any) -> bool:
    return isinstance(value, str) and bool(_PROFILE_RE.match(value))


class ActionLock:
    """Serialises the state-changing actions of one user; lives in (and dies with) that user's state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def held(self, lang: str) -> Iterator[None]:
        """Hold the lock; a :class:`UserFacingError` if the user's previous action keeps it too long."""
        if not self._lock.acquire(timeout=ACTION_WAIT_S):
            raise UserFacingError(ui("busy", lang))
        try:
            yield
        finally:
            self._lock.release()

    def __deepcopy__(self, memo: dict) -> "ActionLock":
        return ActionLock()  # a copied state is another user's state: it gets a lock of its own


@dataclass
class UserState:
    """Everything one browser (or API client) owns; lives in ``gr.State``, never in module state."""

    profile: str = field(default_factory=new_profile)
    lang: str = "zh"
    session: InterviewSession | None = None
    chat: list[dict[str, str]] = field(default_factory=list)
    status: str = ""
    result: Any = None  # score result of the last answered turn
    # the last answer was kept as a note: True (no reference) or "code_only" (the reference is code or figures)
    noted: bool | str = False
    sources: list[Any] = field(default_factory=list)  # PassageHit list shown beside the chat
    sources_title: str | None = None
    reference_qid: str | None = None
    browsed_references: set[str] = field(default_factory=set)  # question ids whose reference Browse showed
    advanced_at: float = 0.0  # time.monotonic() when skip / next last showed a new question
    clicked_at: float = 0.0  # time.monotonic() of the page's last click (page_state); 0: an API caller's state
    restorable: bool = False  # a browser page (with a stored profile): its running interview survives a reload
    left_in_box: str = ""  # text a new interview left in the answer box (written for an earlier question)
    welcomed: int = 0  # saved answers a returning visitor was welcomed back with (0: no welcome)
    lost_view: str = ""  # view token of an interview the page showed but the server no longer holds (a restart)
    lock: ActionLock = field(default_factory=ActionLock, repr=False, compare=False)


def _copy_view(source: UserState, target: UserState) -> None:
    """What a page shows of an interview (chat, last result, passages, reference), copied to another page."""
    target.chat = list(source.chat)
    target.result, target.noted = source.result, source.noted
    target.sources, target.sources_title = list(source.sources), source.sources_title
    target.reference_qid = source.reference_qid


def view_token(session: InterviewSession | None) -> str:
    """Names the question a page shows: its interview, how many questions were asked, whether it ended.

    The page sends it back with submit / skip / next, so a click meant for a question that is no longer the
    current one is recognised (two clicks queued one behind the other, two tabs on one interview).
    """
    if session is None:
        return ""
    return f"{session.id[:12]}-{len(session.turns)}" + ("-end" if session.ended else "")


def names_interview(token: Any, session: InterviewSession | None) -> bool:
    """True when ``token`` (a :func:`view_token`) names a question of ``session``; False for "" or None."""
    return isinstance(token, str) and session is not None and token.startswith(f"{session.id[:12]}-")


class InterviewKeeper:
    """Running interviews of browser pages by profile id, so a page reload picks its interview up again.

    The profile id is the browser's own random secret (kept in its local storage), so only that browser finds
    its interview. Bounded: at most ``max_entries`` (least recently used dropped first), each dropped
    ``ttl_s`` after its last action, and dropped as soon as the interview ends.
    """

    def __init__(self, max_entries: int = KEEP_MAX, ttl_s: float = KEEP_S) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._items: OrderedDict[str, tuple[float, UserState]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def keep(self, user: UserState) -> None:
        """Remember ``user``'s running interview (forget it once ended); only for browser pages."""
        if not user.restorable:
            return
        s = user.session
        with self._lock:
            if s is None or s.ended:
                self._items.pop(user.profile, None)
                return
            self._items[user.profile] = (time.monotonic(), user)
            self._items.move_to_end(user.profile)
            self._purge()

    def find(self, profile: str) -> UserState | None:
        """The page state that last acted on ``profile``'s running interview, if it is still kept."""
        with self._lock:
            self._purge()
            item = self._items.get(profile)
        return None if item is None else item[1]

    def _purge(self) -> None:
        limit = time.monotonic() - self.ttl_s
        for key in [k for k, (at, _u) in self._items.items() if at < limit]:
            del self._items[key]
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


def shown_count(count: Any) -> Any:
    """The question count field after a start: a count above the cap shows the cap the interview ran with.

    Anything else is left as typed (a bad count already got its message).

    >>> shown_count(1000), shown_count(3) == gr.skip()
    (50, True)
    """
    try:
        if count is not None and float(count) > MAX_QUESTIONS:
            return MAX_QUESTIONS
    except (TypeError, ValueError, OverflowError):
        pass
    return gr.skip()


@dataclass(frozen=True)
class Settings:
    """The interview settings as the page's controls show them (section titles, order, count, checkbox)."""

    sections: tuple[str, ...]
    mode: str
    count: int
    include_unanswered: bool


def _user(state: Any) -> UserState:
    return state if isinstance(state, UserState) else UserState()


class UserFacingError(Exception):
    """A problem to show the user as a warning (the message is already in their language)."""


# ------------------------------------------------------------------ the app


class InterviewApp:
    """Handlers of the web UI, bound to one read-only engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.collection = engine.collection
        self.section_choices = [s.title for s in self.collection.sections if self.collection.units([s.id])]
        self._sections_by_title = {s.title: s.id for s in self.collection.sections}
        # where a damaged progress database was moved at start (set once, then only read)
        self.recovered_to = recover_progress_store(engine.config.progress_db)
        self.keeper = InterviewKeeper()  # each entry belongs to one browser (its secret profile id)

    # ---------------------------------------------------------------- helpers
    def store_or_error(self) -> tuple[ProgressStore | None, str]:
        """The progress store, or None and why it cannot be opened."""
        try:
            return self.engine.store, ""
        except (ProgressStoreError, OSError) as exc:  # logged once at start; every answer then says so
            log.debug("progress store unavailable: %s", exc)
            return None, str(exc)

    def store(self) -> ProgressStore | None:
        return self.store_or_error()[0]

    def store_notice(self, lang: str) -> str:
        """What the user must know about the progress database ('' when all is well)."""
        notes = []
        if self.recovered_to:
            notes.append(ui("store_recovered", lang, moved=_code_path(self.recovered_to)))
        store, problem = self.store_or_error()
        if store is None:
            notes.append(ui("store_unusable", lang, msg=render.escape_inline(problem, 300)))
        return "\n\n".join(notes)

    def idle_status(self, lang: str) -> str:
        """The status line before any interview (with the progress database's notice, if any)."""
        notice = self.store_notice(lang)
        return ui("status_idle", lang) + (f"\n\n{notice}" if notice else "")

    def related_passages(self, text: str, question_ids: list[str] | None = None, k: int = 3) -> list[Any]:
        index = getattr(self.engine, "index", None)
        if index is None or not text.strip():
            return []
        try:
            return list(index.best_passages(text, question_ids=question_ids, k=k))
        except Exception:  # passages are a nicety: never fail an action because of them
            log.exception("best_passages failed")
            return []

    def _question_and_parts(self, question_id: str) -> list[str]:
        return [question_id] + [d.id for d in self.collection.descendants(question_id)]

    def interview_view(self, user: UserState, answer: Any = None, remember: bool = True) -> tuple:
        """Outputs of every interview action: chat, answer box, status, four side panels, view token, state.

        Also remembers a browser page's running interview for a reload and for its other tabs
        (:class:`InterviewKeeper`) — only after an action that was carried out (``remember``): a redraw,
        a language switch or a failed action on a page left behind must not make its old chat the one
        other tabs catch up with.
        """
        if remember:
            self.keeper.keep(user)
        lang = user.lang
        score = render.score_panel_markdown(user.result, lang, noted=user.noted)
        points = render.points_markdown(user.result, lang)
        sources = render.passages_markdown(user.sources, self.collection, lang, title=user.sources_title)
        reference = (render.reference_markdown(self.collection, user.reference_qid, lang)
                     if user.reference_qid else "")
        return (list(user.chat), gr.skip() if answer is None else answer, user.status or self.idle_status(lang),
                score, points, sources, reference, view_token(user.session), user)

    def fail_view(self, user: UserState, message: str) -> tuple:
        """Warn, keep the typed answer, leave the interview as it is (a lost one's chat and panels too)."""
        gr.Warning(message)
        user.status = "⚠️ " + message
        view = self.interview_view(user, answer=None, remember=False)
        if user.session is None and user.lost_view:  # what the page shows is all that is left of it: kept
            chat, answer, status, *panels, token, state = view
            return (gr.skip(), answer, status, *(gr.skip() for _ in panels), gr.skip(), state)
        return view

    @staticmethod
    def _position(s: InterviewSession) -> str:
        return f"{min(s.position + 1, len(s.queue))}/{len(s.queue)}"

    def _status(self, user: UserState, extra: list[str] | None = None) -> str:
        s = user.session
        if s is None:
            return self.idle_status(user.lang)
        turn = s.current
        if turn is None:
            text = ui("ended", user.lang)
        else:
            tag = render.t("followup" if turn.kind == "followup" else "question", user.lang)
            q = self.collection.questions[turn.question_id]
            text = f"**{tag} {self._position(s)}** · {render.escape_inline(q.section)}"
        for notice in extra or []:
            text += f"\n\nℹ️ {render.escape_inline(render.localize(notice, user.lang), 300)}"
        return text

    def status_in_language(self, user: UserState) -> str:
        """The status line redrawn in ``user.lang`` (after a language switch); a one-off notice it carried,
        such as a warning about an earlier click, is dropped (it was also shown as a pop-up). The welcome
        of a returning visitor stays until an interview starts."""
        if user.session is None:
            if user.welcomed:
                return f"{ui('welcome_back', user.lang, n=user.welcomed)}\n\n{self.idle_status(user.lang)}"
            return self.idle_status(user.lang)
        return self._status(user)

    def _ask_current(self, user: UserState) -> None:
        """Put the session's current question in the chat and reset the side panels for it."""
        s = user.session
        assert s is not None
        turn = s.current
        if turn is None:
            return
        user.chat.append({"role": "assistant", "content": render.question_markdown(
            self.collection, turn.question_id, prompt=turn.prompt, kind=turn.kind,
            progress_label=self._position(s), lang=user.lang)})
        user.result = None
        user.noted = False
        user.reference_qid = None
        if self.collection.is_answered(turn.question_id):
            user.sources, user.sources_title = [], None
        else:  # no reference: show what the collection says nearby instead
            q = self.collection.questions[turn.question_id]
            user.sources = self.related_passages(q.title, k=3)
            user.sources_title = render.t("related", user.lang)

    def _require_session(self, user: UserState) -> InterviewSession:
        """The running interview; without one, a message saying whether the page's interview was lost."""
        if user.session is None:
            raise UserFacingError(ui("interview_lost" if user.lost_view else "no_session", user.lang))
        return user.session

    def page_state(self, stored_profile: Any, page_lang: Any, token: Any, state: Any) -> UserState:
        """The page's state, before a page action runs (a step of its own: the action's API keeps its inputs).

        A page whose state the server no longer holds (it restarted) is set up as on a page load: the profile
        and the language this browser keeps, its running interview if the server still has it. When it has
        not, the state remembers the interview the page showed (``token``), so the action can say it is lost.
        The click is timed here (``clicked_at``: see :meth:`_stale_click`).
        """
        if isinstance(state, UserState):
            state.clicked_at = time.monotonic()
            return state
        user = UserState(clicked_at=time.monotonic())
        try:
            self.on_load(stored_profile, user, page_lang)
        except Exception as exc:  # noqa: BLE001 - the action itself then says what it can
            log.warning("page state: %s", friendly_message(exc, user.lang))
        if user.session is None:
            user.lost_view = token if isinstance(token, str) else ""
        return user

    def _finish(self, user: UserState) -> None:
        s = user.session
        assert s is not None
        summary = s.end()
        user.chat.append({"role": "assistant", "content": render.summary_markdown(summary, self.collection, user.lang)})
        user.status = ui("ended", user.lang)

    def _new_session(self, user: UserState, options: SessionOptions) -> InterviewSession:
        store = self.store()
        return InterviewSession(self.collection, LazyScorer(self.engine), store, user.profile, options,
                                index=self.engine.index)

    def _stale_click(self, user: UserState, token: Any) -> bool:
        """True when a submit / skip / next click is not about the question now current.

        ``token`` is the :func:`view_token` the page showed when clicked; an API call without one is never
        stale. A click is stale when the page showed another question, or when it came less than
        :data:`DOUBLE_CLICK_S` after skip / next moved on (the second click of a double click reaching the
        server after the first finished). A page's click is timed when it was made (:meth:`page_state`), not
        when its action runs.
        """
        if not isinstance(token, str) or not token:
            return False
        if token != view_token(user.session):
            return True
        return (user.clicked_at or time.monotonic()) - user.advanced_at < DOUBLE_CLICK_S

    def _catch_up(self, user: UserState) -> bool:
        """Bring a page whose interview moved on in another tab of the same browser up to date.

        Two tabs share one interview (:meth:`_restore`) but each keeps its own chat; the tab that acted last is
        the one :class:`InterviewKeeper` holds. Copies its view into ``user``; False when there is nothing to
        catch up with (no other tab, or a different interview).
        """
        kept = self.keeper.find(user.profile)
        if kept is None or kept is user or kept.session is not user.session or user.session is None:
            return False
        _copy_view(kept, user)
        user.advanced_at = kept.advanced_at
        return True

    def _moved_on_elsewhere(self, user: UserState, token: Any) -> bool:
        """True (and the page caught up, with a notice) when ``token`` names a question another tab moved past."""
        if not isinstance(token, str) or not token or token == view_token(user.session):
            return False
        if not self._catch_up(user):
            return False
        gr.Warning(ui("caught_up", user.lang))
        user.status = f"⚠️ {ui('caught_up', user.lang)}\n\n{self._status(user)}"
        return True

    def _replaced_elsewhere(self, user: UserState) -> bool:
        """True (and the page switched to it, with a notice) when another tab of this browser started a new
        interview since this page's: acting on the old one would make it the interview a reload brings back,
        in place of the new one. The old interview's answers are saved; nothing else of it is needed.
        """
        kept = self.keeper.find(user.profile)
        if (kept is None or kept is user or kept.session is None or user.session is None
                or kept.session is user.session):
            return False
        with contextlib.nullcontext() if kept.lock is user.lock else kept.lock.held(user.lang):
            user.session = kept.session
            _copy_view(kept, user)
            user.advanced_at = kept.advanced_at
        user.lock = kept.lock  # from now on the two pages' actions run one at a time
        gr.Warning(ui("replaced_elsewhere", user.lang))
        user.status = f"⚠️ {ui('replaced_elsewhere', user.lang)}\n\n{self._status(user)}"
        return True

    def _fileable(self, user: UserState, unsent: Any, token: Any) -> tuple[str, str]:
        """Text in the answer box and what can become of it: ("", "") for an empty box; (text, "file") when it
        was typed while the page showed the running interview's current question (``token``), so it can be
        saved as a note of that question; (text, "kept") when it cannot be filed so (typed for a question no
        longer shown, text left in the box at the last start, no database, no running question): it then
        stays in the box."""
        text = unsent if isinstance(unsent, str) else ""
        if not text.strip():
            return "", ""
        s = user.session
        shown = not isinstance(token, str) or not token or token == view_token(s)  # no token: an API caller
        if (s is None or s.ended or s.current is None or s.store is None or text == user.left_in_box
                or not shown or len(text) > MAX_ANSWER_CHARS):  # (too long to save whole: it stays)
            user.left_in_box = text
            return text, "kept"
        return text, "file"

    def _keep_unsent(self, user: UserState, unsent: Any, token: Any) -> str:
        """What becomes of text in the answer box when the page moves on (new interview, next question).

        Text that can be filed (:meth:`_fileable`) is saved as a note of the question shown — before or
        after it was answered: "saved". Text that cannot stays in the box: "kept". "" when the box is empty.
        Moving on never throws away what the user wrote, and never files it under a question it was not
        written for.
        """
        text, fate = self._fileable(user, unsent, token)
        if fate != "file":
            return fate
        try:
            assert user.session is not None
            user.session.keep_note(text)
        except (ProgressStoreError, OSError) as exc:
            log.warning("unsent answer not saved: %s", exc)
            user.left_in_box = unsent if isinstance(unsent, str) else text
            return "kept"
        return "saved"

    @staticmethod
    def _unsent_notice(fate: str, lang: str) -> list[str]:
        """The notice for what became of text in the answer box (see :meth:`_keep_unsent`)."""
        key = {"saved": "unsent_kept", "kept": "unsent_in_box"}.get(fate)  # saved: under the question just left
        return [ui(key, lang)] if key else []

    def _replace_interview(self, user: UserState, session: InterviewSession, unsent: Any, token: Any,
                           notices: list[str] | None = None) -> tuple:
        """Start ``session`` in place of the running one, keeping what was typed (see :meth:`_keep_unsent`);
        the user is told when that ends an interview they had answered in."""
        kept = self._keep_unsent(user, unsent, token)
        said = self._unsent_notice(kept, user.lang)
        previous = user.session
        if previous is not None and previous is not session and not previous.ended:
            summary = previous.end()
            if summary.answered or summary.skipped or summary.notes:
                said.append(ui("previous_ended", user.lang, answered=summary.answered))
        return self._begin(user, session, said + list(notices or []), clear_answer=kept != "kept")

    def _begin(self, user: UserState, session: InterviewSession, notices: list[str] | None = None,
               clear_answer: bool = True) -> tuple:
        user.session = session
        user.chat = []
        user.advanced_at = 0.0
        user.welcomed = 0  # the welcome back has served its purpose
        user.lost_view = ""
        self._ask_current(user)
        user.status = self._status(user, list(session.notices) + list(notices or []))
        if session.store is None:  # say so before the user types an answer
            _, problem = self.store_or_error()
            notice = ui("store_unusable", user.lang, msg=render.escape_inline(problem, 300))
            user.status = f"{notice}\n\n{user.status}"
            gr.Warning(ui("store_unusable", user.lang, msg=problem))
        for notice in [*session.notices, *(notices or [])]:
            gr.Info(render.localize(notice, user.lang))
        return self.interview_view(user, answer="" if clear_answer else None)

    # ---------------------------------------------------------------- interview actions
    def start(self, sections: Any, mode: Any, count: Any, include_unanswered: Any, unsent: Any = "",
              token: Any = "", state: Any = None) -> tuple:
        """A new interview; an answer typed but not sent in the running one (``unsent``, for the question
        ``token`` names) is first saved as a note."""
        user = _user(state)
        lang = user.lang
        if isinstance(sections, str):
            sections = [sections]
        sections = [s for s in (sections or []) if isinstance(s, str) and s.strip()]
        if not sections:
            raise UserFacingError(ui("no_sections", lang))
        try:
            n = int(count) if count is not None and float(count) == int(float(count)) else None
        except (TypeError, ValueError, OverflowError):
            n = None
        if n is None or n < 1:
            raise UserFacingError(ui("bad_count", lang, max=MAX_QUESTIONS))
        ids = tuple(self._sections_by_title.get(s, s) for s in sections)
        options = SessionOptions(sections=ids, mode=str(mode or "random"), count=n,
                                 include_unanswered=bool(include_unanswered))
        return self._replace_interview(user, self._new_session(user, options), unsent, token)

    def practise(self, question_id: Any, unsent: Any = "", token: Any = "", state: Any = None) -> tuple:
        """A one-question interview on ``question_id`` (from search or browse); an answer typed but not
        sent in the running interview is first saved as a note."""
        user = _user(state)
        if not question_id:
            raise UserFacingError(ui("pick_first", user.lang))
        if question_id not in self.collection.questions:
            raise UserFacingError(ui("unknown_question", user.lang))
        qid = str(question_id)
        # the session asks a sub-question with a reference of its own itself, one without as its whole question
        session = self._new_session(user, SessionOptions(question_ids=(qid,), mode="order", count=1,
                                                         include_unanswered=True))
        notices: list[str] = []
        asked = session.queue[0]
        if asked != qid:  # tell the user the whole question is asked
            questions = self.collection.questions
            notices.append(ui("whole_question", user.lang, part=questions[qid].title, whole=questions[asked].title))
        if asked in user.browsed_references:  # read in Browse a moment ago: scored and saved, not counted
            session.reference()
            notices.append(ui("practise_after_reference", user.lang))
        return self._replace_interview(user, session, unsent, token, notices)

    def submit(self, answer: Any, token: Any, state: Any) -> tuple:
        """Score the answer to the current question (``token``: the question the page showed, '' from the API)."""
        user = _user(state)
        lang = user.lang
        s = self._require_session(user)
        if self._replaced_elsewhere(user):
            return self.interview_view(user)
        text = answer if isinstance(answer, str) else ("" if answer is None else str(answer))
        if isinstance(token, str) and token:
            if token != view_token(s):  # typed for a question that is gone: never record it under another
                if self._catch_up(user):  # another tab moved on: show the current question, keep the text
                    gr.Warning(ui("question_changed", lang))
                    user.status = f"⚠️ {ui('question_changed', lang)}\n\n{self._status(user)}"
                    return self.interview_view(user)
                raise UserFacingError(ui("question_changed", lang))
            turn = s.current
            if turn is not None and turn.status != "pending" and turn.answer == text:
                return self.interview_view(user)  # the same answer clicked twice: it is already scored
        if s.ended:
            raise SessionError(ui("ended_start_new", lang))
        if not text.strip():
            raise UserFacingError(ui("empty_answer", lang))
        if len(text) > MAX_ANSWER_CHARS:
            raise UserFacingError(ui("too_long", lang, n=len(text), max=MAX_ANSWER_CHARS))
        turn = s.current
        if turn is not None and turn.status == "pending" and self.collection.is_answered(turn.question_id):
            if not self.engine.scorer_ready:
                gr.Info(ui("scorer_loading", lang))
            try:  # load the scorer before anything is recorded, so a broken scorer loses nothing
                _ = self.engine.scorer
            except Exception as exc:
                log.exception("scorer unavailable")
                raise UserFacingError(ui("scorer_error", lang, msg=type(exc).__name__)) from exc
        problem = ""
        if s.store is None:  # no database when the interview started: try again, so the answer is saved if it can be
            s.store, problem = self.store_or_error()
        turn = s.submit(text)
        # never silent: the answer could not be written anywhere (no database, or it failed just now)
        problem = problem or turn.unsaved
        unsaved = ("\n\n" + ui("not_saved", lang, msg=render.escape_inline(problem, 300))) \
            if s.store is None or turn.unsaved else ""
        user.chat.append({"role": "user", "content": render.answer_markdown(text, lang)})
        qid = turn.question_id
        if turn.status == "noted":
            q = self.collection.questions[qid]
            code_only = self.collection.is_answered(qid)
            user.result, user.noted = None, "code_only" if code_only else True
            user.sources = self.related_passages(f"{q.title}\n{text}", k=3)
            user.sources_title = render.t("related", lang)
            user.chat.append({"role": "assistant",
                              "content": render.note_markdown(user.sources, self.collection, lang,
                                                              code_only=code_only) + unsaved})
        else:
            result = turn.result
            user.result, user.noted = result, False
            missed = list(getattr(result, "missed_passages", None) or [])
            kind = getattr(result, "kind", "scored")
            query = text if kind == "scored" else self.collection.questions[qid].title
            user.sources = missed[:3] or self.related_passages(query, self._question_and_parts(qid), k=2)
            user.sources_title = None
            user.reference_qid = qid
            follow = s.followup_candidate() is not None
            user.chat.append({"role": "assistant", "content": render.feedback_markdown(
                result, self.collection, lang, followup_next=follow, reference_shown=user.reference_qid == qid)
                + unsaved})
        extra = [turn.saved_notice] if turn.saved_notice and not turn.unsaved else []  # unsaved: said below
        if extra:
            gr.Warning(render.localize(turn.saved_notice, lang))
        user.status = self._status(user, extra)
        if unsaved:
            gr.Warning(ui("not_saved_short", lang))
            user.status = f"⚠️ {ui('not_saved_short', lang)}\n\n{user.status}"
        return self.interview_view(user, answer="")

    def hint(self, token: Any, state: Any) -> tuple:
        """Reveal a few key terms of the current question (``token``: the question the page showed, '' from the API)."""
        user = _user(state)
        s = self._require_session(user)
        if self._replaced_elsewhere(user):
            return self.interview_view(user)
        if self._moved_on_elsewhere(user, token):
            return self.interview_view(user)
        if not self.engine.scorer_ready:  # hints come from the scorer's key terms: say why the first one waits
            gr.Info(ui("scorer_loading", user.lang))
        terms = s.hint()
        user.chat.append({"role": "assistant", "content": render.hint_markdown(terms, user.lang)})
        user.status = self._status(user)  # replaces the warning of an earlier failed action
        return self.interview_view(user)

    def skip(self, token: Any = "", unsent: Any = "", state: Any = None) -> tuple:
        """Skip the current question; a stale click (see :meth:`_stale_click`) changes nothing. Text typed
        but not sent (``unsent``) is saved as a note of the skipped question, or stays in the box."""
        user = _user(state)
        s = self._require_session(user)
        if self._replaced_elsewhere(user) or self._stale_click(user, token):
            return self._not_moved(user, token, unsent)
        pending = s.current is not None and s.current.status == "pending"
        followup = s.current is not None and s.current.kind == "followup"
        offered = not pending and s.followup_candidate() is not None  # answered: skip only declines the follow-up
        text, fate = self._fileable(user, unsent, token)
        nxt = s.skip(note=text if fate == "file" else "")
        if pending or offered:  # skip after an answer without a follow-up to come is just "next": nothing to say
            key = "no_followup" if offered else "skipped_followup" if followup else "skipped"
            user.chat.append({"role": "assistant", "content": f"⏭️ {render.t(key, user.lang)}"})
        return self._moved_on(user, nxt, "saved" if fate == "file" else fate,
                              ["skip_not_saved"] if pending and s.store is None else [])

    def _not_moved(self, user: UserState, token: Any, unsent: Any) -> tuple:
        """A skip / next that was not carried out (another tab moved on or started anew, a double click): the
        page catches up, and text in the box stays there, never to be filed under the question now shown."""
        self._moved_on_elsewhere(user, token)
        if isinstance(unsent, str) and unsent.strip():
            user.left_in_box = unsent
        return self.interview_view(user)

    def _moved_on(self, user: UserState, nxt: Any, unsent: str, warnings: Sequence[str] = ()) -> tuple:
        """The view after skip / next: the next question (or the summary), what became of text in the box
        (``unsent``, see :meth:`_keep_unsent`) and any warnings (UI keys)."""
        if nxt is None:
            self._finish(user)
        else:
            self._ask_current(user)
            user.advanced_at = time.monotonic()
        notices = self._unsent_notice(unsent, user.lang)
        for notice in notices:
            gr.Info(notice)
        if nxt is not None:
            user.status = self._status(user, notices)
        elif notices:
            user.status = "\n\n".join([*notices, user.status])
        for key in warnings:
            gr.Warning(ui(key, user.lang))
            user.status = f"⚠️ {ui(key, user.lang)}\n\n{user.status}"
        return self.interview_view(user, answer=None if unsent == "kept" else "")

    def reference(self, token: Any, state: Any) -> tuple:
        """Show the reference answer of the current question (``token`` as for :meth:`hint`)."""
        user = _user(state)
        s = self._require_session(user)
        if self._replaced_elsewhere(user):
            return self.interview_view(user)
        if self._moved_on_elsewhere(user, token):
            return self.interview_view(user)
        s.reference()
        turn = s.current
        assert turn is not None
        user.reference_qid = turn.question_id
        shown = ("reference_shown" if self.collection.is_answered(turn.question_id)
                 else "reference_none_related" if user.sources else "reference_none")
        user.chat.append({"role": "assistant", "content": f"📖 {ui(shown, user.lang)}"})
        user.status = self._status(user)  # replaces the warning of an earlier failed action
        return self.interview_view(user)

    def next(self, token: Any = "", unsent: Any = "", state: Any = None) -> tuple:
        """Go to the follow-up or the next question; a stale click (see :meth:`_stale_click`) changes nothing.
        Text typed after the answer but not sent (``unsent``) is saved as a note, or stays in the box."""
        user = _user(state)
        s = self._require_session(user)
        if self._replaced_elsewhere(user) or self._stale_click(user, token):
            return self._not_moved(user, token, unsent)
        pending = s.current is not None and s.current.status == "pending"
        fate = "" if pending else self._keep_unsent(user, unsent, token)
        nxt = s.next()  # a question not yet answered is refused: answer or skip first (the text stays in the box)
        return self._moved_on(user, nxt, fate)

    def redraw(self, state: Any) -> tuple:
        """The interview as it stands (after the chat's own clear button emptied the chat on the page)."""
        return self.interview_view(_user(state), remember=False)

    def end(self, state: Any) -> tuple:
        user = _user(state)
        s = self._require_session(user)
        if self._replaced_elsewhere(user):
            return self.interview_view(user)
        if s.ended:
            raise UserFacingError(ui("ended_start_new", user.lang))
        self._finish(user)
        return self.interview_view(user)

    # ---------------------------------------------------------------- search
    def search(self, query: Any, state: Any) -> tuple:
        user = _user(state)
        lang = user.lang
        text = " ".join(str(query or "").split())
        if not text:
            raise UserFacingError(ui("empty_query", lang))
        if len(text) > MAX_QUERY_CHARS:
            gr.Info(ui("query_cut", lang, max=MAX_QUERY_CHARS))
            text = text[:MAX_QUERY_CHARS]
        hits = self.engine.index.search(text, k=SEARCH_RESULTS)
        md = render.search_results_markdown(hits, text, self.collection, lang,
                                            searched_for=hits[0].query if hits else None)
        # "#2 · 2. L0、L1、L2", not "2. 2. L0…": many headings start with their own number. The part that
        # matched is practised when it has a reference of its own ("9.2 Weight Normalization 的优点"), as in Browse
        # … but only a part whose own title shares a word with the query: "NMS 代码实现" matched the part
        # "背景" through its answer, and practising "› 背景" (background) asks nothing. A part found by the kind
        # of question ("区别" → "6.3 标准化和归一化的区别") is the part asked.
        tokenizer = self.engine.index.tokenizer
        query_words = set(tokenizer.tokens(text))
        choices = []
        for h in hits:
            focus = getattr(h, "focus", None)
            if (focus is not None and focus.id != h.question.id and self.collection.has_prose_reference(focus.id)
                    and (h.by_kind or query_words & set(tokenizer.tokens(focus.title)))):
                choices.append((f"#{h.rank} · {h.question.title} › {focus.title}", focus.id))
            else:
                choices.append((f"#{h.rank} · {h.question.title}", h.question.id))
        pick = gr.update(choices=choices, value=choices[0][1] if choices else None)
        return md, pick, user

    # ---------------------------------------------------------------- progress
    def progress(self, state: Any) -> tuple:
        user = _user(state)
        lang = user.lang
        notice = self.store_notice(lang)
        store = self.store()
        if store is None:  # nothing to show, and the user must know their answers are not kept
            return mastery_frame([]), notice, "", "", "", user
        sections = store.section_mastery(user.profile)
        rows = render.mastery_rows(sections)
        frame = mastery_frame(rows)
        numbers = store.stats(user.profile)
        stats = render.stats_markdown(numbers, lang, profile_label=user.profile)
        if notice:
            stats = f"{notice}\n\n{stats}"
        # only questions that need work (mastery below the 良好 band), not merely the lowest ones
        weakest = render.weakest_markdown(store.needs_work(user.profile, 10), self.collection, lang,
                                          practised=numbers.mean_mastery is not None,
                                          gaps=render.section_gaps(self.collection, {s.section for s in sections},
                                                                   store.answered_sections(user.profile)))
        now = time.time()
        due = render.due_markdown(store.due(user.profile, now), self.collection, store.review_states(user.profile),
                                  lang, now=now)
        history = render.history_markdown(store.attempts(user.profile, limit=20), lang, collection=self.collection)
        return frame, stats, weakest, due, history, user

    def export(self, fmt: str, state: Any) -> tuple:
        user = _user(state)
        store = self.engine.store
        if not store.attempts(user.profile, limit=1):
            raise UserFacingError(ui("no_export", user.lang))
        folder = fresh_export_folder()
        stamp = time.strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            path = store.export_csv(user.profile, folder / f"ai-interview-progress-{stamp}.csv",
                                    titles=self.collection.asked_titles())
        else:
            path = store.export_markdown(user.profile, folder / f"ai-interview-report-{stamp}.md",
                                         titles=self.collection.asked_titles())
        return gr.update(value=str(path), visible=True), user

    # ---------------------------------------------------------------- browse
    def browse(self, query: Any, state: Any) -> tuple:
        user = _user(state)
        text = str(query or "")[:MAX_QUERY_CHARS]
        tree = render.tree_markdown(self.collection, text, user.lang)
        choices = render.tree_choices(self.collection, text)
        return tree, gr.update(choices=choices, value=None), user

    def question_reference(self, question_id: Any, state: Any) -> tuple:
        user = _user(state)
        if not question_id:
            return ui("browse_empty", user.lang), user
        if question_id not in self.collection.questions:
            raise UserFacingError(ui("unknown_question", user.lang))
        qid = str(question_id)
        # the text shown includes the sub-questions' answers: practising any of them now is not a recall
        user.browsed_references.update([qid, *(d.id for d in self.collection.descendants(qid))])
        return render.reference_markdown(self.collection, qid, user.lang), user

    # ---------------------------------------------------------------- profile and language
    def settings_of(self, session: InterviewSession | None) -> Settings | None:
        """The settings a running interview was started with, as the settings controls show them.

        None when there is none to show: no running interview, or one question practised from search or
        browse (the settings were not used for it, so the controls keep what they show).
        """
        if session is None or session.ended or session.options.question_ids:
            return None
        options = session.options
        try:
            ids = set(resolve_sections(self.collection, options.sections)) if options.sections else None
        except SessionError:  # cannot happen for a running interview: it resolved them when it started
            return None
        titles = tuple(s.title for s in self.collection.sections
                       if s.title in self.section_choices and (ids is None or s.id in ids))
        return Settings(titles, options.mode, min(options.count, MAX_QUESTIONS), options.include_unanswered)

    def settings_after(self, clicked: Any, state: Any) -> tuple:
        """The settings controls after an interview action on the page whose view token was ``clicked``.

        When the action switched the page to another interview (one started in another tab, see
        :meth:`_replaced_elsewhere`), that interview's settings, as on a reload (:meth:`settings_of`), so
        "start" again asks for the same; otherwise the controls are left as the user set them.
        Returns the sections, the question order, the number of questions and "include questions without a
        reference".
        """
        user = _user(state)
        switched = isinstance(clicked, str) and bool(clicked) and user.session is not None \
            and not names_interview(clicked, user.session)
        settings = self.settings_of(user.session) if switched else None
        if settings is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return list(settings.sections), settings.mode, settings.count, settings.include_unanswered

    def on_load(self, stored_profile: Any, state: Any, stored_lang: Any = None) -> tuple:
        """Page load: reuse the profile id kept in this browser (or make one and keep it).

        A reloaded page gets its running interview back (:class:`InterviewKeeper`), and the settings controls
        show what it was started with (so "start" again asks for the same); with none to restore, a
        returning visitor is told their answers are saved and the order is set to "due for review".
        The page opens in the language this browser chose last (``stored_lang``); without one, a restored
        interview comes back in the language it was running in (the switch follows).
        Returns the profile, the question order, the language, the sections, the number of questions,
        "include questions without a reference" and the interview outputs.
        """
        user = _user(state)
        if valid_profile(stored_profile):
            user.profile = stored_profile
        user.restorable = True
        mode: Any = gr.skip()
        language: Any = gr.skip()
        before = user.lang
        if user.session is None:
            kept = self.keeper.find(user.profile)
            if kept is not None and kept is not user:
                self._restore(user, kept)
                if stored_lang in render.LANGS and stored_lang != user.lang:  # the browser's last choice
                    user.lang = stored_lang
                    user.status = f"{ui('restored', user.lang)}\n\n{self._status(user)}"
            else:
                if stored_lang in render.LANGS:
                    user.lang = stored_lang
                user.welcomed = self._saved_attempts(user.profile)
                if user.welcomed:
                    user.status = self.status_in_language(user)
                    mode = "due"
        if user.lang != before:
            language = user.lang
        settings = self.settings_of(user.session)
        if settings is None:
            return (user.profile, mode, language, gr.skip(), gr.skip(), gr.skip(), *self.interview_view(user))
        return (user.profile, settings.mode, language, list(settings.sections), settings.count,
                settings.include_unanswered, *self.interview_view(user))

    def _restore(self, user: UserState, kept: UserState) -> None:
        """Take over the running interview of an earlier page of this browser (its lock too, so the two pages'
        actions still run one at a time)."""
        with kept.lock.held(user.lang):
            if kept.session is None or kept.session.ended:
                return
            user.lock = kept.lock
            user.lang = kept.lang  # the restored chat is in that language: the switch follows
            user.session = kept.session
            _copy_view(kept, user)
            user.left_in_box = kept.left_in_box
            user.status = f"{ui('restored', user.lang)}\n\n{self._status(user)}"

    def _saved_attempts(self, profile: str) -> int:
        """How many answers (and notes) ``profile`` has saved, skips not counted (0 when the database cannot tell)."""
        store = self.store()
        if store is None:
            return 0
        try:
            stats = store.stats(profile)
            return max(0, int(getattr(stats, "attempts", 0) or 0) - int(getattr(stats, "skips", 0) or 0))
        except (ProgressStoreError, OSError, ValueError) as exc:  # a nicety: never fail the page load
            log.warning("cannot count saved answers: %s", exc)
            return 0


def _code_path(path: str) -> str:
    """A file path as inline Markdown code (shown exactly, never as Markdown)."""
    return "`" + " ".join(path.replace("`", "'").split()) + "`"


def recover_progress_store(path: Path) -> str | None:
    """Open the progress database at start; a damaged one is moved aside (nothing deleted) and a new one started.

    Returns where the damaged file was moved, or None. If the database cannot be opened at all the app still
    starts; every answer then says it was not saved.
    """
    pattern = path.name + ".corrupt-*"
    try:
        before = set(path.parent.glob(pattern))
        _store, notice = ProgressStore.open_or_recover(path)
    except (ProgressStoreError, OSError) as exc:
        log.warning("progress database unavailable, answers will NOT be saved: %s", exc)
        return None
    if notice is None:
        return None
    log.warning("%s", notice)
    moved = sorted(set(path.parent.glob(pattern)) - before, key=lambda p: len(p.name))  # the file before its -wal
    return str(moved[0]) if moved else f"{path}.corrupt-…"


def friendly_message(exc: BaseException, lang: str = "zh") -> str:
    """What to tell the user about an error (logged with its traceback when unexpected)."""
    if isinstance(exc, UserFacingError):
        return str(exc)
    if isinstance(exc, SessionError):  # the session's messages are bilingual "中文 / English"
        return render.localize(str(exc), lang)
    if isinstance(exc, ProgressStoreError):
        log.warning("progress store error: %s", exc)
        return ui("store_error", lang, msg=str(exc))
    log.error("unexpected error", exc_info=exc)
    return ui("error", lang, kind=type(exc).__name__)


def guarded(fallback: Callable[[Any, str], tuple],
            serial: bool = False) -> Callable[[Callable[..., tuple]], Callable[..., tuple]]:
    """Turn every error of a handler into a friendly warning; ``fallback(state, message)`` gives the outputs.

    With ``serial``, the handler (whose last argument is the user's state) runs under that user's
    :class:`ActionLock`, so two actions of one user never change the interview at the same time.
    A handler that is not serial (search, progress, browse) and finds no state yet (a click before the
    page load finished) does not hand back the fresh one it made: the load's state, with the profile this
    browser keeps, must not be replaced by one with a new random profile.
    """

    def wrap(fn: Callable[..., tuple]) -> Callable[..., tuple]:
        @functools.wraps(fn)
        def run(*args: Any) -> tuple:
            state = args[-1] if args else None
            if serial:  # one state object for the lock and the handler, even on the first call
                state = _user(state)
                args = (*args[:-1], state)
            lang = state.lang if isinstance(state, UserState) else "zh"
            try:
                with state.lock.held(lang) if serial else contextlib.nullcontext():
                    try:
                        out = fn(*args)
                    except Exception as exc:  # never a traceback in the UI
                        out = fallback(state, friendly_message(exc, lang))
            except UserFacingError as exc:  # the user's previous action is still running
                out = fallback(state, str(exc))
            if not serial and state is None and isinstance(out, tuple) and out and isinstance(out[-1], UserState):
                out = (*out[:-1], gr.skip())
            return out

        return run

    return wrap


# ------------------------------------------------------------------ layout

CSS = """
#score-panel h3 { font-size: 1.6em; margin-bottom: .2em; }
#sources-panel, #reference-panel, #search-results, #tree { overflow-wrap: anywhere; }
#status { min-height: 1.5em; }
#chat th, #stats th, #weakest th, #due th { word-break: keep-all; overflow-wrap: normal; }  /* never "Skip ped" */
/* a wide table in a passage or reference scrolls sideways instead of breaking "Netw / ork", "42.9 / 0" */
#sources-panel table, #reference-panel table, #search-results table { display: block; overflow-x: auto; }
#sources-panel td, #reference-panel td, #search-results td { overflow-wrap: normal; word-break: keep-all; }
/* a phone: the weakest and due lists one above the other, each table as wide as the screen */
@media (max-width: 640px) { #progress-lists { flex-direction: column; } #progress-lists > * { min-width: 100%; } }
"""


def build_app(engine: Engine) -> gr.Blocks:
    """The Gradio app over one loaded engine (shared read-only by every user)."""
    app = InterviewApp(engine)
    collection = engine.collection
    zh = "zh"

    with gr.Blocks(title="AI 模拟面试 · AI Interview Coach", delete_cache=(3600, 7200),
                   analytics_enabled=False) as demo:
        state = gr.State(None)
        stored_profile = gr.BrowserState(None, storage_key="ai-interview-coach-profile", secret=BROWSER_SECRET)
        stored_lang = gr.BrowserState(None, storage_key="ai-interview-coach-language")  # the last choice
        relabel: list[tuple[gr.components.Component | Any, str, str]] = []  # (component, property, UI key)

        with gr.Row(equal_height=True):
            title = gr.Markdown(ui("title", zh), elem_id="title")
            lang = gr.Radio([("中文", "zh"), ("English", "en")], value="zh", label=ui("lang", zh),
                            elem_id="lang", scale=0, min_width=200)
        relabel += [(title, "value", "title"), (lang, "label", "lang")]

        with gr.Tabs(elem_id="tabs") as tabs:
            # ------------------------------------------------------------ interview
            with gr.Tab(ui("tab_interview", zh), id="interview", elem_id="tab-interview") as tab_interview:
                with gr.Row():
                    with gr.Column(scale=1, min_width=240):
                        settings_title = gr.Markdown(ui("settings", zh), elem_id="settings-title")
                        sections = gr.Dropdown(app.section_choices, value=list(app.section_choices), multiselect=True,
                                               allow_custom_value=True, label=ui("sections", zh), elem_id="sections")
                        mode = gr.Radio(mode_choices(zh), value="random", label=ui("mode", zh), elem_id="mode")
                        count = gr.Number(value=5, precision=0, label=ui("count", zh), elem_id="count")
                        include_unanswered = gr.Checkbox(False, label=ui("include_unanswered", zh),
                                                         elem_id="include-unanswered")
                        start_btn = gr.Button(ui("start", zh), variant="primary", elem_id="btn-start")
                    with gr.Column(scale=3, min_width=360):
                        chat = gr.Chatbot(label=ui("chat", zh), height=520, latex_delimiters=LATEX,
                                          sanitize_html=True, placeholder=ui("chat_placeholder", zh),
                                          elem_id="chat", buttons=["copy"], feedback_options=None,
                                          show_label=False)
                        status = gr.Markdown(app.idle_status(zh), elem_id="status")
                        # which question the page shows; sent with submit / skip / next (see view_token)
                        shown = gr.Textbox("", visible=False, elem_id="view-token")
                        # the view token when the user clicked (see page_state_first): what the action is about
                        clicked = gr.Textbox("", visible=False, elem_id="clicked-token")
                        answer = gr.Textbox("", label=ui("answer", zh), placeholder=ui("answer_placeholder", zh),
                                            lines=5, max_lines=16, elem_id="answer")
                        with gr.Row():
                            submit_btn = gr.Button(ui("submit", zh), variant="primary", elem_id="btn-submit")
                            hint_btn = gr.Button(ui("hint", zh), elem_id="btn-hint")
                            skip_btn = gr.Button(ui("skip", zh), elem_id="btn-skip")
                            ref_btn = gr.Button(ui("reference", zh), elem_id="btn-reference")
                            next_btn = gr.Button(ui("next", zh), elem_id="btn-next")
                            end_btn = gr.Button(ui("end", zh), variant="stop", elem_id="btn-end")
                    with gr.Column(scale=2, min_width=300):
                        score_md = gr.Markdown(render.score_panel_markdown(None, zh), elem_id="score-panel",
                                               latex_delimiters=LATEX)
                        points_md = gr.Markdown("", elem_id="points-panel", latex_delimiters=LATEX)
                        sources_md = gr.Markdown(render.passages_markdown([], collection, zh), elem_id="sources-panel",
                                                 latex_delimiters=LATEX, max_height=600)
                        reference_md = gr.Markdown("", elem_id="reference-panel", latex_delimiters=LATEX,
                                                   max_height=600)
            relabel += [(tab_interview, "label", "tab_interview"), (settings_title, "value", "settings"),
                        (sections, "label", "sections"),
                        (mode, "label", "mode"), (count, "label", "count"),
                        (include_unanswered, "label", "include_unanswered"), (start_btn, "value", "start"),
                        (chat, "label", "chat"), (chat, "placeholder", "chat_placeholder"),
                        (answer, "label", "answer"), (answer, "placeholder", "answer_placeholder"),
                        (submit_btn, "value", "submit"), (hint_btn, "value", "hint"), (skip_btn, "value", "skip"),
                        (ref_btn, "value", "reference"), (next_btn, "value", "next"), (end_btn, "value", "end")]

            # ------------------------------------------------------------ search
            with gr.Tab(ui("tab_search", zh), id="search", elem_id="tab-search") as tab_search:
                with gr.Row():
                    query = gr.Textbox(label=ui("search_query", zh), placeholder=ui("search_placeholder", zh),
                                       scale=4, elem_id="search-query")
                    search_btn = gr.Button(ui("search_btn", zh), variant="primary", scale=1, elem_id="btn-search")
                with gr.Row():
                    search_pick = gr.Dropdown([], value=None, label=ui("practise_pick", zh), scale=4,
                                              allow_custom_value=True, elem_id="search-pick")
                    search_practise = gr.Button(ui("practise_btn", zh), scale=1, elem_id="btn-search-practise")
                results_md = gr.Markdown(ui("search_empty", zh), elem_id="search-results", latex_delimiters=LATEX)
            relabel += [(tab_search, "label", "tab_search"), (query, "label", "search_query"),
                        (query, "placeholder", "search_placeholder"), (search_btn, "value", "search_btn"),
                        (search_pick, "label", "practise_pick"), (search_practise, "value", "practise_btn")]

            # ------------------------------------------------------------ progress
            with gr.Tab(ui("tab_progress", zh), id="progress", elem_id="tab-progress") as tab_progress:
                with gr.Row():
                    refresh_btn = gr.Button(ui("refresh", zh), elem_id="btn-refresh", scale=0, min_width=120)
                    csv_btn = gr.Button(ui("export_csv", zh), elem_id="btn-export-csv", scale=0, min_width=160)
                    md_btn = gr.Button(ui("export_md", zh), elem_id="btn-export-md", scale=0, min_width=200)
                export_file = gr.File(label=ui("export_file", zh), visible=False, interactive=False,
                                      elem_id="export-file")
                stats_md = gr.Markdown("", elem_id="stats")
                plot = gr.BarPlot(mastery_frame([]), x="section", y="mastery", y_lim=[0, 100], sort="y",
                                  x_title=ui("plot_x", zh), y_title=ui("plot_y", zh), x_label_angle=-30,
                                  tooltip=["section", "mastery", "questions", "attempts"],
                                  label=ui("plot", zh), elem_id="mastery-plot", height=340)
                with gr.Row(elem_id="progress-lists"):  # stacked on a phone (see CSS)
                    weakest_md = gr.Markdown("", elem_id="weakest")
                    due_md = gr.Markdown("", elem_id="due")
                history_md = gr.Markdown("", elem_id="history")
            relabel += [(tab_progress, "label", "tab_progress"), (refresh_btn, "value", "refresh"),
                        (csv_btn, "value", "export_csv"), (md_btn, "value", "export_md"),
                        (export_file, "label", "export_file"), (plot, "label", "plot"),
                        (plot, "x_title", "plot_x"), (plot, "y_title", "plot_y")]

            # ------------------------------------------------------------ browse
            with gr.Tab(ui("tab_browse", zh), id="browse", elem_id="tab-browse") as tab_browse:
                with gr.Row():
                    with gr.Column(scale=2):
                        tree_filter = gr.Textbox(label=ui("filter", zh), placeholder=ui("filter_placeholder", zh),
                                                 elem_id="tree-filter")
                        tree_md = gr.Markdown(render.tree_markdown(collection, "", zh), elem_id="tree",
                                              max_height=640)
                    with gr.Column(scale=3):
                        browse_pick = gr.Dropdown(render.tree_choices(collection, ""), value=None,
                                                  label=ui("browse_pick", zh), allow_custom_value=True,
                                                  elem_id="browse-pick")
                        browse_practise = gr.Button(ui("practise_btn", zh), elem_id="btn-browse-practise")
                        browse_ref = gr.Markdown(ui("browse_empty", zh), elem_id="browse-reference",
                                                 latex_delimiters=LATEX, max_height=640)
            relabel += [(tab_browse, "label", "tab_browse"), (tree_filter, "label", "filter"),
                        (tree_filter, "placeholder", "filter_placeholder"), (browse_pick, "label", "browse_pick"),
                        (browse_practise, "value", "practise_btn")]

        # ---------------------------------------------------------------- events
        interview_out = [chat, answer, status, score_md, points_md, sources_md, reference_md, shown, state]

        def interview_fallback(st: Any, message: str) -> tuple:
            return app.fail_view(_user(st), message)

        def simple_fallback(n: int) -> Callable[[Any, str], tuple]:
            def fb(st: Any, message: str) -> tuple:
                gr.Warning(message)
                return tuple(gr.skip() for _ in range(n))
            return fb

        def page_state_step(stored: Any, page_lang: Any, token: Any, st: Any) -> tuple[UserState, Any]:
            return app.page_state(stored, page_lang, token, st), token

        def page_state_first(trigger: Callable[..., Any]) -> Any:
            """``trigger`` (a click, …) first makes sure of the page's state (after a server restart: the
            browser's profile and language, see :meth:`InterviewApp.page_state`); the action follows with
            ``.then``, so its API endpoint keeps its inputs. The view token the page showed at the click is
            kept in ``clicked`` for the action: by the time it runs, an earlier click may have moved the page on
            (the second click of a double click is then about a question no longer shown, and changes nothing)."""
            return trigger(page_state_step, [stored_profile, lang, shown, state], [state, clicked], api_name=False,
                           queue=False, show_progress="hidden")

        g = guarded(interview_fallback, serial=True)  # per user, one interview action at a time
        # start / practise also send what is typed but not sent, which is then kept as a note
        # text left in the box by a new interview belongs to the new view: kept across a reload (see DRAFT_KEY)
        page_state_first(start_btn.click).then(
            g(app.start), [sections, mode, count, include_unanswered, answer, clicked, state], interview_out,
            api_name="start_interview").then(
            shown_count, [count], [count], api_name=False, queue=False).then(
            None, [answer, shown], None, js=SAVE_DRAFT_JS, api_name=False).then(
            None, None, None, js=SHOW_CHAT_JS, api_name=False)
        # submit / skip / next send the question shown (``token``; optional for API callers); skip / next
        # also send the text in the box, which is saved as a note rather than wiped. Each action may switch the
        # page to an interview started in another tab: its settings are then shown (InterviewApp.settings_after)
        settings_out = [sections, mode, count, include_unanswered]
        for trigger, action, inputs, api in (
                (submit_btn.click, app.submit, [answer, clicked, state], "submit_answer"),
                (answer.submit, app.submit, [answer, clicked, state], False),  # Shift+Enter
                (hint_btn.click, app.hint, [clicked, state], "hint"),
                (skip_btn.click, app.skip, [clicked, answer, state], "skip"),
                (ref_btn.click, app.reference, [clicked, state], "show_reference"),
                (next_btn.click, app.next, [clicked, answer, state], "next_question"),
                (end_btn.click, app.end, [state], "end_interview")):
            page_state_first(trigger).then(g(action), inputs, interview_out, api_name=api).then(
                app.settings_after, [clicked, state], settings_out, api_name=False, queue=False,
                show_progress="hidden")
        # the chat's own trash button must not wipe the running interview off the page: redraw it
        chat.clear(g(app.redraw), [state], interview_out, api_name=False)

        search_out = [results_md, search_pick, state]

        def search_fallback(st: Any, message: str) -> tuple:
            """The warning replaces the results, and the pick is emptied with them: a pick left from the previous
            search would practise a question the page no longer shows."""
            gr.Warning(message)
            return "⚠️ " + message, gr.update(choices=[], value=None), gr.skip()

        search_fn = guarded(search_fallback)(app.search)
        search_btn.click(search_fn, [query, state], search_out, api_name="search")
        query.submit(search_fn, [query, state], search_out, api_name=False)

        def practise_then_show(question_id: Any, unsent: Any = "", token: Any = "", st: Any = None) -> tuple:
            """Start a one-question interview and switch to the interview tab (stay put on error)."""
            user = _user(st)
            try:
                with user.lock.held(user.lang):
                    try:
                        return (gr.Tabs(selected="interview"), *app.practise(question_id, unsent, token, user))
                    except Exception as exc:
                        return (gr.skip(), *app.fail_view(user, friendly_message(exc, user.lang)))
            except UserFacingError as exc:  # the user's previous action is still running
                return (gr.skip(), *app.fail_view(user, str(exc)))

        for practise_btn, pick, api in ((search_practise, search_pick, "practise_question"),
                                        (browse_practise, browse_pick, False)):
            page_state_first(practise_btn.click).then(
                practise_then_show, [pick, answer, clicked, state], [tabs] + interview_out, api_name=api).then(
                None, [answer, shown], None, js=SAVE_DRAFT_JS, api_name=False).then(
                None, None, None, js=SHOW_CHAT_JS, api_name=False)

        progress_out = [plot, stats_md, weakest_md, due_md, history_md, state]
        progress_fn = guarded(simple_fallback(len(progress_out)))(app.progress)
        # after a server restart, the progress of the profile this browser keeps (not of a new one)
        page_state_first(refresh_btn.click).then(progress_fn, [state], progress_out, api_name="progress")
        page_state_first(tab_progress.select).then(progress_fn, [state], progress_out, api_name=False)

        export_fn = guarded(simple_fallback(2))
        page_state_first(csv_btn.click).then(export_fn(functools.partial(app.export, "csv")), [state],
                                             [export_file, state], api_name="export_csv")
        page_state_first(md_btn.click).then(export_fn(functools.partial(app.export, "md")), [state],
                                            [export_file, state], api_name="export_markdown")

        browse_fn = guarded(simple_fallback(3))(app.browse)
        tree_filter.change(browse_fn, [tree_filter, state], [tree_md, browse_pick, state], api_name="browse",
                           show_progress="hidden", trigger_mode="always_last")
        browse_pick.change(guarded(simple_fallback(2))(app.question_reference), [browse_pick, state],
                           [browse_ref, state], api_name="question_reference", show_progress="hidden")

        # language: relabel every static text; panels follow the new language at once, the chat on the next turn
        relabelled: list[Any] = []
        for comp, _prop, _key in relabel:
            if all(comp is not seen for seen in relabelled):
                relabelled.append(comp)

        language_out = relabelled + [status, score_md, points_md, sources_md, reference_md, tree_md, browse_ref, state]

        def set_language(choice: Any, tree_query: Any, picked: Any, st: Any) -> tuple:
            """Relabel the UI in the chosen language (after the user's running action, if any)."""
            user = _user(st)
            try:
                with user.lock.held(user.lang):
                    return relabel_all(choice, tree_query, picked, user)
            except UserFacingError as exc:  # the user's previous action is still running
                gr.Warning(str(exc))
                return tuple(gr.skip() for _ in language_out)

        def relabel_all(choice: Any, tree_query: Any, picked: Any, user: UserState) -> tuple:
            before, user.lang = user.lang, "en" if choice == "en" else "zh"
            props: list[dict[str, Any]] = [{} for _ in relabelled]
            for comp, prop, key in relabel:
                i = next(i for i, c in enumerate(relabelled) if c is comp)
                props[i][prop] = ui(key, user.lang)
            props[next(i for i, c in enumerate(relabelled) if c is mode)]["choices"] = mode_choices(user.lang)
            if user.lang != before:  # a real switch; a restored page's switch following it keeps its notice
                user.status = app.status_in_language(user)
            view = app.interview_view(user, remember=False)
            return (*(gr.update(**p) for p in props), view[2], view[3], view[4], view[5], view[6],
                    render.tree_markdown(collection, str(tree_query or "")[:MAX_QUERY_CHARS], user.lang),
                    render.reference_markdown(collection, picked, user.lang) if picked in collection.questions
                    else ui("browse_empty", user.lang), user)

        # the progress tab is redrawn in the new language after the relabelling (its own step, so the
        # set_language API keeps its outputs)
        lang.change(set_language, [lang, tree_filter, browse_pick, state], language_out,
                    api_name="set_language", show_progress="hidden").then(
            progress_fn, [state], progress_out, api_name=False, show_progress="hidden")
        lang.change(None, [lang], [stored_lang], js="(choice) => choice", api_name=False)  # kept in this browser

        # a restored interview's settings are shown (see InterviewApp.on_load)
        load_out = [stored_profile, mode, lang, sections, count, include_unanswered] + interview_out

        def on_load(stored: Any, stored_language: Any, st: Any) -> tuple:
            """Page load (after the user's running action, if any); never a traceback."""
            user = _user(st)
            try:
                with user.lock.held(user.lang):
                    return app.on_load(stored, user, stored_language)
            except Exception as exc:  # noqa: BLE001 - the page must load whatever happens
                log.warning("page load: %s", friendly_message(exc, user.lang))
                return (*(gr.skip() for _ in load_out[:-1]), user)

        demo.load(on_load, [stored_profile, stored_lang, state], load_out, api_name=False).then(
            None, [answer, shown], [answer], js=RESTORE_DRAFT_JS, api_name=False)
        answer.change(None, [answer, shown], None, js=SAVE_DRAFT_JS, api_name=False)

    return demo


# ------------------------------------------------------------------ entry point


def server_address() -> tuple[str, int]:
    """GRADIO_SERVER_NAME / GRADIO_SERVER_PORT; default 127.0.0.1:7860, or 0.0.0.0 on Hugging Face Spaces."""
    default_host = "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"
    host = os.environ.get("GRADIO_SERVER_NAME", "").strip() or default_host
    port_text = os.environ.get("GRADIO_SERVER_PORT", "").strip()
    try:
        port = int(port_text) if port_text else 7860
    except ValueError:
        raise SystemExit(f"GRADIO_SERVER_PORT must be a port number, not {port_text!r}.")
    return host, port


def _warm_scorer(engine: Engine) -> None:
    """Prepare the scorer in the background so the first answer is scored without a wait."""
    started = time.perf_counter()
    try:
        _ = engine.scorer
    except Exception as exc:  # reported when someone submits; the rest of the app works
        print(f"[app] scorer not available yet: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return
    print(f"[app] scorer ready ({time.perf_counter() - started:.1f}s)", file=sys.stderr, flush=True)


def launch(demo: gr.Blocks, host: str, port: int, **kwargs: Any) -> Any:
    """Launch with the app's theme and CSS (Gradio 6 takes them in ``launch``)."""
    return demo.launch(server_name=host, server_port=port, theme=gr.themes.Soft(), css=CSS, show_error=False,
                       ssr_mode=False, **kwargs)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="[%(name)s] %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    for noisy in ("httpx", "bm25s", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from corpus.parser import CorpusError
    from index.embedders import EmbedderError
    from interviewer.cli import ProgressPrinter, print_collection_warnings

    config = AppConfig.from_env()
    print(f"AI 模拟面试 · loading the collection and the model (data folder: {config.resolved_data_dir}) …",
          flush=True)
    try:
        engine = load_engine(config, progress=ProgressPrinter())
    except (CorpusError, EmbedderError, ProgressStoreError, OSError) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    print_collection_warnings(engine.collection)  # the person who chose the collection reads this console
    report = engine.build_report
    print(f"Index {report.action} ({report.passages} passages, {report.seconds:.1f}s); "
          f"{len(engine.collection.units())} interview questions.", flush=True)
    threading.Thread(target=_warm_scorer, args=(engine,), name="warm-scorer", daemon=True).start()
    demo = build_app(engine)
    host, port = server_address()
    launch(demo, host, port, prevent_thread_lock=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"AI 模拟面试 is running: open http://{shown}:{port}/ in your browser (Ctrl-C to stop).", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
