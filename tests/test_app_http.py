"""The web app over HTTP: a real Gradio server driven by gradio_client.

The server runs in this process (``build_app(engine).launch``) on a free
port, over an :class:`Engine` assembled from the session fixtures, so the
bundled index is embedded once per test session. One more test starts
``python app.py`` itself as a subprocess on a tiny collection (front door:
prints the URL, listens on ``GRADIO_SERVER_PORT``, serves the API).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import json
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.utils import Status

from index.build import BuildReport
from interviewer.config import AppConfig
from interviewer.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402

GOOD_DROPOUT_ANSWER = (
    "Dropout 在训练时以一定概率随机让一部分神经元失活（输出置零），每次相当于训练一个更瘦的子网络，"
    "整体可以看成很多子网络的集成（ensemble）；它减弱了神经元之间的共适应（联合适应性），增强泛化能力，"
    "从而防止过拟合。测试时不丢弃神经元，而是按保留概率对权重进行缩放。"
)
# outputs of every interview endpoint
CHAT, ANSWER, STATUS, SCORE, POINTS, SOURCES, REFERENCE, TOKEN = range(8)
# the page load's outputs before those: profile, question order, language, sections, count, include unanswered
LOADED = 6
CHINESE_BANDS = ("优秀", "良好", "及格", "需加强", "无效回答")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def engine(bundled_collection, e5_embedder, bundled_index, shared_cache, tmp_path_factory) -> Engine:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("app-http-data")
    report = BuildReport("loaded", "test fixture", len(bundled_index.passages), 0, len(bundled_index.passages),
                         0.0, data)
    return Engine(AppConfig(data_dir=data), bundled_collection, e5_embedder, bundled_index, report, shared_cache)


@contextlib.contextmanager
def serve(engine: Engine) -> Iterator[str]:
    """A real server over ``engine`` on a free port; closed on exit."""
    demo = app.build_app(engine)
    port = free_port()
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[str]:
    _ = engine.scorer  # prepare the real scorer up front (embeds the references once, cached)
    with serve(engine) as url:
        yield url


def engine_on(engine: Engine, data: Path) -> Engine:
    """The module's engine (collection, model, index, prepared scorer) over another data folder."""
    return Engine(AppConfig(data_dir=data), engine.collection, engine.embedder, engine.index, engine.build_report,
                  engine.cache, _scorer=engine.scorer)


def client(url: str) -> Client:
    return Client(url, verbose=False)


def texts(chat: list[dict[str, Any]]) -> list[str]:
    """Message texts of a Chatbot value as gradio_client returns it."""
    out = []
    for message in chat:
        content = message["content"]
        if isinstance(content, list):
            out.append("".join(part.get("text", "") for part in content if isinstance(part, dict)))
        else:
            out.append(str(content))
    return out


def start(c: Client, sections: list[str] | None = None, mode: str = "order", count: int = 2,
          include_unanswered: bool = False) -> tuple:
    return c.predict(sections=sections if sections is not None else ["深度学习基础"], mode=mode, count=count,
                     include_unanswered=include_unanswered, api_name="/start_interview")


def practise(c: Client, query: str) -> tuple[str, tuple]:
    """Search and start a one-question interview on the top hit; returns (question id, outputs)."""
    results, pick = c.predict(query=query, api_name="/search")
    qid = pick["value"]
    out = c.predict(question_id=qid, api_name="/practise_question")
    return qid, out


def score_of(panel: str) -> float:
    m = re.search(r"(\d+(?:\.\d+)?) / 100", panel)
    assert m, f"no score in the score panel: {panel!r}"
    return float(m.group(1))


def test_api_endpoints_are_named(server: str) -> None:
    endpoints = client(server).view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/start_interview", "/submit_answer", "/hint", "/skip", "/show_reference", "/next_question",
                 "/end_interview", "/search", "/practise_question", "/progress", "/export_csv",
                 "/export_markdown", "/browse", "/question_reference", "/set_language"):
        assert name in endpoints, name
    assert [p["parameter_name"] for p in endpoints["/submit_answer"]["parameters"]] == ["answer", "token"]
    for name in ("/submit_answer", "/skip", "/next_question"):  # the view token is optional for API callers
        token = next(p for p in endpoints[name]["parameters"] if p["parameter_name"] == "token")
        assert token["parameter_has_default"] and token["parameter_default"] == "", name


def test_interview_answer_gets_score_and_source_passage(server: str, engine: Engine) -> None:
    c = client(server)
    qid, out = practise(c, "dropout 原理")
    q = engine.collection.questions[qid]
    assert "Dropout" in q.title
    assert q.title in texts(out[CHAT])[-1]
    assert "1/1" in out[STATUS]
    out = c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
    chat = texts(out[CHAT])
    assert chat[-2].startswith("Dropout 在训练时")  # the answer, in the chat
    assert "/100" in chat[-1]  # the feedback
    score = score_of(out[SCORE])
    assert 0 <= score <= 100
    assert out[ANSWER] == ""  # cleared after a successful submit
    assert "ai_questions.md:" in out[SOURCES] and q.section in out[SOURCES]
    assert out[REFERENCE].startswith("### 参考答案") and "dropout" in out[REFERENCE].lower()
    assert "参考答案" not in chat[-1], chat[-1]  # shown beside the chat: the feedback does not offer it again
    assert "✅" in out[POINTS] and "❌" in out[POINTS]
    # the attempt is in the progress store with the same score
    stored = engine.store.attempts(_profile(c), limit=5)
    assert [a.question_id for a in stored] == [qid] and stored[0].score == pytest.approx(score, abs=0.5)


def _profile(c: Client) -> str:
    stats = c.predict(api_name="/progress")[1]
    m = re.search(r"`(web-[0-9a-f]{32})`", stats)
    assert m, stats
    return m.group(1)


def test_full_interview_flow_hint_reference_skip_next_end(server: str) -> None:
    c = client(server)
    out = start(c, mode="order", count=3)
    assert "1/3" in out[STATUS] and len(out[CHAT]) == 1
    out = c.predict(api_name="/hint")
    assert "💡" in texts(out[CHAT])[-1]
    out = c.predict(api_name="/show_reference")
    assert out[REFERENCE].startswith("### 参考答案")
    out = c.predict(api_name="/skip")
    assert "2/3" in out[STATUS] and "跳过" in texts(out[CHAT])[-2]
    out = c.predict(answer="我不知道", api_name="/submit_answer")
    assert texts(out[CHAT])[-2] == "我不知道"
    out = c.predict(api_name="/next_question")
    assert re.search(r"[23]/3", out[STATUS])  # a follow-up keeps the position, else the next question
    out = c.predict(api_name="/end_interview")
    summary = texts(out[CHAT])[-1]
    assert "面试总结" in summary and "已跳过" in summary
    assert out[STATUS] == "面试已结束。"
    out = c.predict(api_name="/next_question")  # after the end: a friendly message, not an error
    assert out[STATUS].startswith("⚠️") and "结束" in out[STATUS]
    answered = c.predict(answer="还有一句", api_name="/submit_answer")  # one message, in one language
    assert "面试已结束，点击“开始面试”开始新的面试" in answered[STATUS] and "start an interview" not in answered[STATUS]


def test_unanswered_question_is_kept_as_note(server: str, engine: Engine) -> None:
    c = client(server)
    unanswered = [q for q in engine.collection.units() if not engine.collection.is_answered(q.id)]
    assert unanswered
    out = c.predict(question_id=unanswered[0].id, api_name="/practise_question")
    assert "没有参考答案" in texts(out[CHAT])[-1]
    assert "相关段落" in out[SOURCES]
    out = c.predict(answer="我的笔记：<b>要点</b>", api_name="/submit_answer")
    assert "笔记" in texts(out[CHAT])[-1]
    assert "/ 100" in out[SCORE] and "—" in out[SCORE]  # no score
    assert "ai_questions.md:" in out[SOURCES]
    attempts = engine.store.attempts(_profile(c))
    assert [(a.kind, a.score, a.answer) for a in attempts] == [("note", None, "我的笔记：<b>要点</b>")]


def test_user_html_is_escaped_everywhere(server: str) -> None:
    c = client(server)
    start(c, count=1)
    xss = "<script>window.__pwned=1</script><b>x</b>"
    out = c.predict(answer=xss, api_name="/submit_answer")
    shown = texts(out[CHAT])[-2]
    assert "<script>" not in shown and "<b>" not in shown and "&lt;script&gt;" in shown
    history = c.predict(api_name="/progress")[4]
    assert "<script>" not in history and "&lt;script&gt;" in history
    results, _ = c.predict(query=xss, api_name="/search")
    assert "<script>" not in results


def test_friendly_errors_and_answer_kept(server: str, engine: Engine) -> None:
    c = client(server)
    out = c.predict(answer="答案", api_name="/submit_answer")  # before starting
    assert out[STATUS].startswith("⚠️") and "开始面试" in out[STATUS]
    assert out[CHAT] == []
    for bad, message in ((dict(sections=[]), "章节"), (dict(count=0), "题目数量"), (dict(count=-3), "题目数量"),
                         (dict(sections=["没有这个章节"]), "没有这个章节"),
                         (dict(mode="due"), "新题")):  # nothing due yet: a notice, and the interview starts
        args = dict(sections=["深度学习基础"], mode="order", count=1, include_unanswered=False) | bad
        out = c.predict(**args, api_name="/start_interview")
        assert message in out[STATUS], (bad, out[STATUS])
        assert out[STATUS].startswith("⚠️") == ("mode" not in bad), (bad, out[STATUS])
    with pytest.raises(Exception, match="random"):  # Gradio itself rejects a mode outside the radio's choices
        c.predict(sections=["深度学习基础"], mode="bogus", count=1, include_unanswered=False,
                  api_name="/start_interview")
    out = start(c, count=1)
    assert not out[STATUS].startswith("⚠️")
    asked = len(out[CHAT])
    out = c.predict(answer="   \n ", api_name="/submit_answer")
    assert "空" in out[STATUS] and len(out[CHAT]) == asked
    assert isinstance(out[ANSWER], dict) and "value" not in out[ANSWER]  # the textbox is left as typed
    huge = "很长的回答" * 1000
    out = c.predict(answer=huge, api_name="/submit_answer")
    assert "太长" in out[STATUS] and "value" not in out[ANSWER]
    assert engine.store.attempts(_profile(c)) == []  # nothing was recorded for the rejected answers
    out = c.predict(query="   ", api_name="/search")
    assert out[0].startswith("⚠️")


def test_unknown_error_is_friendly(server: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("index exploded")

    monkeypatch.setattr(engine.index, "search", broken)
    results, _ = client(server).predict(query="dropout", api_name="/search")
    assert results.startswith("⚠️") and "RuntimeError" in results and "index exploded" not in results


def test_search_browse_and_reference(server: str, engine: Engine) -> None:
    c = client(server)
    results, pick = c.predict(query="how to prevent overfitting", api_name="/search")
    assert results.count("####") >= 3 and "ai_questions.md:" in results
    assert pick["choices"] and pick["value"] == pick["choices"][0][1]
    assert any("过拟合" in label for label, _ in pick["choices"])
    # ranked "#1 · 2. L0…", never "1. 2. L0…" (headings carry their own numbers)
    assert [label.split(" · ")[0] for label, _ in pick["choices"]] == [f"#{i}" for i in range(1, len(pick["choices"]) + 1)]
    # the matched part is what "practise" asks when it has a reference of its own, as Browse does
    qid, out = practise(c, "Weight Normalization 相比 BN 有什么优点")
    part = engine.collection.questions[qid]
    assert part.parent_id is not None and "Weight Normalization" in part.title, part.title
    assert engine.collection.is_answered(qid) and part.title in texts(out[CHAT])[-1]
    # a part matched only through its answer, whose title shares no query word, is not asked alone
    _, pick = c.predict(query="NMS 代码实现", api_name="/search")
    nms = engine.collection.questions[pick["choices"][0][1]]
    assert nms.title.endswith("NMS 原理及代码实现") and "背景" not in pick["choices"][0][0], pick["choices"][0]
    # question words alone ("区别") list questions of that kind, and the part asking it is the one practised
    results, pick = c.predict(query="区别", api_name="/search")
    assert "只有提问词" in results and len(pick["choices"]) >= 3
    assert all("区别" in engine.collection.questions[qid].title or "不同" in engine.collection.questions[qid].title
               for _, qid in pick["choices"][:3]), pick["choices"]
    # an empty search shows a warning instead of the results, and the pick goes with them (it used to keep
    # the previous results, so "practise" started a question no longer shown)
    results, pick = c.predict(query="   ", api_name="/search")
    assert results.startswith("⚠️") and not pick.get("choices") and pick.get("value") is None, pick
    tree, browse_pick = c.predict(query="LSTM", api_name="/browse")
    assert "LSTM" in tree and all(qid in engine.collection.questions for _, qid in browse_pick["choices"])
    assert len(browse_pick["choices"]) < len(engine.collection.questions)
    qid = next(qid for label, qid in browse_pick["choices"] if "✅" in label)
    reference = c.predict(question_id=qid, api_name="/question_reference")
    assert reference.startswith("### 参考答案") and engine.collection.questions[qid].title in reference
    # practising the question whose reference Browse just showed: scored and saved, not counted toward mastery
    out = c.predict(question_id=qid, api_name="/practise_question")
    assert "刚在题库里看过这道题的参考答案" in out[STATUS]
    asked = engine.collection.questions[qid]
    answer = f"{asked.title}：我的理解是先看定义，再看原理和应用场景，最后总结优缺点。"
    out = c.predict(answer=answer, api_name="/submit_answer")
    saved = [a for a in engine.store.attempts(_profile(c)) if a.answer == answer]
    assert len(saved) == 1 and saved[0].reference_shown, saved


def test_progress_chart_and_export(server: str) -> None:
    c = client(server)
    plot, stats, weakest, due, history = c.predict(api_name="/progress")
    assert "还没有作答记录" in stats and "还没有" in history
    assert plot["data"] == []
    practise(c, "dropout 原理")
    c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
    plot, stats, weakest, due, history = c.predict(api_name="/progress")
    assert plot["columns"][:2] == ["section", "mastery"] and len(plot["data"]) == 1
    assert plot["data"][0][0] == "深度学习基础" and 0 <= plot["data"][0][1] <= 100
    assert "| 1 (1 得分) |" in stats
    # a good answer (mastery ≥ 65, the 良好 band) is not "weak": the list says nothing needs work
    assert plot["data"][0][1] >= 65 and "Dropout" not in weakest and "没有需要加强的题目" in weakest
    assert "Dropout" in history
    csv_file = c.predict(api_name="/export_csv")
    md_file = c.predict(api_name="/export_markdown")
    csv_path = csv_file["value"] if isinstance(csv_file, dict) else csv_file
    md_path = md_file["value"] if isinstance(md_file, dict) else md_file
    csv_text = Path(csv_path).read_text(encoding="utf-8-sig")
    assert csv_text.startswith("id,uuid,created_at") and "Dropout 在训练时" in csv_text
    assert "Dropout" in Path(md_path).read_text(encoding="utf-8")


def test_two_clients_are_isolated(server: str, engine: Engine) -> None:
    a, b = client(server), client(server)
    out_a = start(a, sections=["卷积神经网络（CNN）"], count=1)
    out_b = start(b, sections=["RNN&LSTM"], count=1)
    assert texts(out_a[CHAT]) != texts(out_b[CHAT])
    a.predict(answer="卷积神经网络通过局部连接和权值共享减少参数。", api_name="/submit_answer")
    # b's interview is untouched by a's answer: b can still answer its own question
    out_b = b.predict(answer="LSTM 用输入门、遗忘门和输出门控制细胞状态。", api_name="/submit_answer")
    assert "RNN" in out_b[STATUS] or "LSTM" in out_b[STATUS]
    profile_a, profile_b = _profile(a), _profile(b)
    assert profile_a != profile_b
    sections_a = {x.section for x in engine.store.attempts(profile_a)}
    sections_b = {x.section for x in engine.store.attempts(profile_b)}
    assert sections_a == {"卷积神经网络（CNN）"} and sections_b == {"RNN&LSTM"}
    history_a, history_b = a.predict(api_name="/progress")[4], b.predict(api_name="/progress")[4]
    assert "局部连接" in history_a and "局部连接" not in history_b
    assert "遗忘门" in history_b and "遗忘门" not in history_a


def test_concurrent_clients(server: str) -> None:
    """Several users at once: every one gets its own scored answer back."""
    errors: list[BaseException] = []
    scores: list[float] = []

    def user() -> None:
        try:
            c = client(server)
            practise(c, "dropout 原理")
            scores.append(score_of(c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")[SCORE]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=user) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    assert len(scores) == 3 and max(scores) - min(scores) <= 1  # same answer, same score, no cross-talk


def test_language_switch(server: str) -> None:
    c = client(server)
    outputs = c.predict(choice="en", tree_query="", picked=None, api_name="/set_language")
    flat = repr(outputs)
    assert "Start interview" in flat and "Search" in flat and "Interview settings" in flat
    assert "面试设置" not in flat  # every static text follows the switch, the settings heading included
    out = start(c, count=1)
    assert "Question 1/1" in texts(out[CHAT])[-1]
    out = c.predict(answer="", api_name="/submit_answer")
    assert "empty" in out[STATUS]


def test_language_switch_redraws_the_status_line(server: str) -> None:
    """After a switch the status line follows (the progress tab too: see the browser test)."""
    c = client(server)
    assert "题目 1/2" in start(c, mode="order", count=2)[STATUS]
    c.predict(answer="不知道", api_name="/submit_answer")
    out = c.predict(choice="en", tree_query="", picked=None, api_name="/set_language")
    assert "Question 1/2" in out[-7] and "题目" not in out[-7]
    assert "题目 1/2" in c.predict(choice="zh", tree_query="", picked=None, api_name="/set_language")[-7]


def test_skip_after_an_answer_does_not_claim_a_skip(server: str) -> None:
    """Skip after answering only moves on (the answer stands): the chat must not say "skipped, comes back soon"."""
    c = client(server)
    start(c, mode="order", count=2)  # 1: 梯度消失、梯度爆炸…; 2: Dropout 原理
    partial = "梯度消失是因为反向传播时多层导数连乘，越往前梯度越小，可以用 ReLU 缓解。"
    feedback = texts(c.predict(answer=partial, api_name="/submit_answer")[CHAT])[-1]
    assert "进入追问" in feedback, feedback  # a follow-up is on offer...
    chat = texts(c.predict(api_name="/skip")[CHAT])  # ...and skip declines it
    assert "不追问了" in chat[-2] and "题目 2/2" in chat[-1] and not any("已跳过" in m for m in chat), chat[-2:]
    c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")  # no follow-up after this one
    chat = texts(c.predict(api_name="/skip")[CHAT])
    assert not any("已跳过" in m for m in chat) and "面试总结" in chat[-1], chat[-2:]


def test_hint_and_reference_clear_an_old_warning(server: str) -> None:
    """A successful hint or reference replaces the warning of an earlier failed action."""
    c = client(server)
    start(c, mode="order", count=2)
    for action in ("/hint", "/show_reference"):
        out = c.predict(api_name="/next_question")  # not answered yet: a warning
        assert out[STATUS].startswith("⚠️") and "作答" in out[STATUS]
        out = c.predict(api_name=action)
        assert not out[STATUS].startswith("⚠️") and "1/2" in out[STATUS], (action, out[STATUS])


def test_submit_and_skip_at_once_in_one_session_stay_in_order(server: str, engine: Engine) -> None:
    """Skip clicked while the answer is being scored applies after it: feedback stays under its question."""
    c = client(server)
    first = texts(start(c, mode="order", count=3)[CHAT])
    assert len(first) == 1
    submitting = c.submit(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
    deadline = time.monotonic() + 60
    running = (Status.PROCESSING, Status.PROGRESS, Status.LOG, Status.FINISHED)
    while submitting.status().code not in running and not submitting.done() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)  # the answer is being scored (~0.3 s) when skip arrives
    skipping = c.submit(api_name="/skip")
    answered, skipped = submitting.result(timeout=180), skipping.result(timeout=180)
    chat = texts(answered[CHAT])
    assert chat[:2] == [first[0], GOOD_DROPOUT_ANSWER] and len(chat) == 3 and "/100" in chat[2], chat
    assert not answered[STATUS].startswith("⚠️")
    chat = texts(skipped[CHAT])
    # the skip came after the answer: it only moves on (no "skipped" message; the answer stands)
    assert chat[:3] == texts(answered[CHAT]) and len(chat) == 4 and "题目 2/3" in chat[3], chat
    assert not any("已跳过" in m for m in chat)
    assert "2/3" in skipped[STATUS] and not skipped[STATUS].startswith("⚠️")
    attempts = engine.store.attempts(_profile(c))
    assert [(a.kind, a.question_title in first[0]) for a in attempts] == [("answer", True)]


def test_english_ui_shows_english_band_and_feedback(server: str) -> None:
    """With the switch on English, the band and the scorer's explanation are English; Chinese stays Chinese."""
    en = client(server)
    en.predict(choice="en", tree_query="", picked=None, api_name="/set_language")
    practise(en, "dropout 原理")
    out = en.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
    feedback = texts(out[CHAT])[-1]
    assert re.search(r"Score: \d+/100\*\* · (Excellent|Good|Pass|Needs work)", feedback), feedback
    assert "Semantic similarity" in feedback and "Covered" in feedback
    for chinese in (*CHINESE_BANDS, "得分", "答到的要点", "语义相似度"):
        assert chinese not in feedback, (chinese, feedback)
    assert re.search(r"\*\*Band\*\*: (Excellent|Good|Pass|Needs work)", out[SCORE]), out[SCORE]
    out = en.predict(question_id=en.predict(query="dropout 原理", api_name="/search")[1]["value"],
                     api_name="/practise_question")
    # practising from search ends the interview in progress, and says so (it used to vanish without a word)
    status = out[STATUS].replace("\\", "")  # the status is Markdown: its parentheses come escaped
    assert "Your previous interview has ended (1 answered, all saved; see Progress)." in status, out[STATUS]
    out = en.predict(answer="我不知道", api_name="/submit_answer")  # a non-answer: its message in English too
    feedback = texts(out[CHAT])[-1]
    assert "Not an answer" in feedback and "don't know this one yet" in feedback, feedback
    assert "看起来你还不会" not in feedback and "Not an answer" in out[SCORE]

    zh = client(server)
    practise(zh, "dropout 原理")
    out = zh.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
    feedback = texts(out[CHAT])[-1]
    assert any(band in feedback for band in CHINESE_BANDS) and "语义相似度" in feedback
    assert "(semantic similarity)" not in feedback and "(covered)" not in feedback, feedback


def test_double_click_on_skip_skips_one_question(server: str, engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The second click of a double click on Skip (or Next) changes nothing; the API without a token skips."""
    monkeypatch.setattr(app, "DOUBLE_CLICK_S", 3.0, raising=False)  # generous: the machine running the test may be slow
    c = client(server)
    out = start(c, mode="order", count=4)
    first = out[TOKEN]
    assert first and "1/4" in out[STATUS]
    # both clicks sent while the page still shows question 1: the second one waits, then is stale
    jobs = [c.submit(token=first, api_name="/skip") for _ in range(2)]
    results = [job.result(timeout=120) for job in jobs]
    out = max(results, key=lambda r: len(r[CHAT]))
    assert "2/4" in out[STATUS] and sum("跳过" in m for m in texts(out[CHAT])) == 1, texts(out[CHAT])
    # the first click finished before the second was clicked: the page already shows question 2
    out = c.predict(token=out[TOKEN], api_name="/skip")
    assert "2/4" in out[STATUS] and not out[STATUS].startswith("⚠️")
    time.sleep(app.DOUBLE_CLICK_S + 0.1)  # a deliberate click later skips
    out = c.predict(token=out[TOKEN], api_name="/skip")
    assert "3/4" in out[STATUS]
    # next: a double click after an answer moves on once (the answer comes after the skip's double-click window:
    # a fast scorer used to answer within it, and the first "next" was taken for the skip's second click)
    time.sleep(app.DOUBLE_CLICK_S + 0.1)
    answered = c.predict(answer="我的回答：正则化可以防止过拟合。", token=out[TOKEN], api_name="/submit_answer")
    again = c.predict(answer="我的回答：正则化可以防止过拟合。", token=out[TOKEN], api_name="/submit_answer")
    assert texts(again[CHAT]) == texts(answered[CHAT]) and not again[STATUS].startswith("⚠️")  # no second answer
    moved = c.predict(token=answered[TOKEN], api_name="/next_question")
    stale = c.predict(token=answered[TOKEN], api_name="/next_question")
    assert stale[STATUS] == moved[STATUS] and texts(stale[CHAT]) == texts(moved[CHAT])
    # an answer typed for a question that is gone is not recorded under the new one, and is kept
    late = c.predict(answer="给上一题的回答", token=first, api_name="/submit_answer")
    assert late[STATUS].startswith("⚠️") and "题目已经换了" in late[STATUS] and "value" not in late[ANSWER]
    attempts = engine.store.attempts(_profile(c))
    assert sorted(a.kind for a in attempts) == ["answer", "skip", "skip"], [(a.kind, a.answer) for a in attempts]
    # without a token (an API caller), skip does what it always did
    before = c.predict(api_name="/skip")
    assert re.search(r"[34]/4|结束", before[STATUS]) and not before[STATUS].startswith("⚠️")


def test_practise_sub_question_with_its_own_answer(server: str, engine: Engine) -> None:
    """"Practise this question" on a sub-question asks that sub-question when it has a reference of its own."""
    col = engine.collection
    sub = next(q for q in col if q.title == "L1范数" and col.unit_of(q.id) != q.id)
    assert col.is_answered(sub.id)
    c = client(server)
    out = c.predict(question_id=sub.id, api_name="/practise_question")
    asked = texts(out[CHAT])[-1]
    assert "L1范数" in asked and "1/1" in out[STATUS] and "整道题" not in out[STATUS], asked
    out = c.predict(answer="L1 范数是向量各元素绝对值之和，用作正则项时会让很多权重变为 0，得到稀疏解，可用于特征选择。",
                    api_name="/submit_answer")
    assert "/100" in texts(out[CHAT])[-1]
    assert [a.question_id for a in engine.store.attempts(_profile(c))] == [sub.id]
    assert out[REFERENCE].startswith("### 参考答案：L1范数")  # the sub-question's own reference

    bare = next(q for q in col if col.unit_of(q.id) != q.id and not col.is_answered(q.id))
    unit = col.questions[col.unit_of(bare.id)]
    out = c.predict(question_id=bare.id, api_name="/practise_question")
    assert unit.title in texts(out[CHAT])[-1]
    status = out[STATUS].replace("\\", "")  # titles are escaped Markdown in the status line
    assert "整道题" in status and bare.title in status and unit.title in status, status


def _page(a: app.InterviewApp, stored: str | None) -> tuple[app.UserState, tuple]:
    """A browser page opening (the page-load handler, with what the browser's storage holds)."""
    user = app.UserState()
    out = a.on_load(stored, user)
    return user, out


def test_a_page_opens_in_the_language_this_browser_chose_last(engine: Engine, tmp_path: Path) -> None:
    """The language is kept in the browser: a new page takes it, the welcome back included, and a language
    switch keeps the welcome (in the new language) until an interview starts."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    first, out = _page(a, None)
    profile = out[0]
    assert out[2] == gr.skip()  # nothing stored: the page's own default
    a.start(["深度学习基础"], "order", 1, False, "", "", first)
    a.submit(GOOD_DROPOUT_ANSWER, "", first)
    a.end(first)
    user = app.UserState()
    out = a.on_load(profile, user, "en")
    assert out[2] == "en" and user.lang == "en" and "Welcome back" in out[LOADED + STATUS], out[LOADED + STATUS]
    user.lang = "zh"  # a switch back keeps the welcome, now in Chinese
    assert "欢迎回来" in a.status_in_language(user)
    a.start(["深度学习基础"], "order", 1, False, "", "", user)
    assert user.welcomed == 0 and "欢迎回来" not in a.status_in_language(user)
    _, out = _page(a, None)
    assert out[2] == gr.skip()
    assert a.on_load(None, app.UserState(), "klingon")[2] == gr.skip()  # junk in the storage is ignored


def test_a_tab_left_behind_never_acts_on_a_question_it_does_not_show(engine: Engine, tmp_path: Path) -> None:
    """Tab B still shows question 1 after tab A skipped it. Whatever B did meanwhile that changed nothing (its chat's
    clear button, a language switch, a refused action), its next hint catches it up from A: no hint for question 2
    lands under question 1, and a third tab opened then gets A's chat, not B's stale one."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    tab_a, out = _page(a, None)
    profile = out[0]
    a.start(["深度学习基础"], "order", 3, False, "", "", tab_a)
    tab_b, out = _page(a, profile)
    old_token = out[LOADED + TOKEN]
    a.skip(old_token, "", tab_a)
    assert tab_a.session.position == 1
    a.redraw(tab_b)  # B's chat trash button: a redraw only
    tab_b.lang = "en"  # and a language switch (what relabel_all does before it draws)
    tab_b.status = a.status_in_language(tab_b)
    a.interview_view(tab_b, remember=False)
    with pytest.raises(app.UserFacingError):
        a.submit("", "", tab_b)  # a refused action
    tab_c, out = _page(a, profile)  # a third tab now: restored from A, the tab that moved on
    assert texts(out[LOADED + CHAT]) == texts(tab_a.chat)
    view = a.hint(old_token, tab_b)
    chat = texts(view[CHAT])
    assert chat == texts(tab_a.chat) and not any("提示" in m or "hint" in m.lower() for m in chat), chat
    assert "another tab" in view[STATUS] and view[TOKEN] == app.view_token(tab_a.session)
    assert len(tab_a.session.current.hints) == 0  # no hint was given


def test_a_page_whose_state_the_server_lost_acts_in_its_language_and_profile(engine: Engine, tmp_path: Path) -> None:
    """A server restart loses every page's state. A page's next action is set up first with the profile and the
    language the browser keeps (``page_state``); it then says the interview it showed is no longer on the server
    (it used to say "请先点击“开始面试” / start an interview first.", half Chinese on an English page), keeping
    the text in the box and the chat. A page that never started one is told to start, in one language."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    first, out = _page(a, None)
    profile = out[0]
    token = a.start(["深度学习基础"], "order", 2, False, "", "", first)[TOKEN]
    kept = a.page_state(profile, "zh", token, None)  # state lost, server still running: the interview comes back
    assert kept.session is first.session and not kept.lost_view

    restarted = app.InterviewApp(engine_on(engine, tmp_path))  # nothing of the old server's pages is left
    submit = app.guarded(lambda st, message: restarted.fail_view(app._user(st), message), serial=True)(restarted.submit)
    user = restarted.page_state(profile, "en", token, None)
    assert (user.profile, user.lang, user.session) == (profile, "en", None)
    view = submit("typed after the restart", token, user)
    assert "no longer on the server" in view[STATUS] and not re.search(r"[\u4e00-\u9fff]", view[STATUS])
    assert view[ANSWER] == gr.skip() and view[CHAT] == gr.skip() and view[TOKEN] == gr.skip()
    view = restarted.start(["深度学习基础"], "order", 1, False, "typed after the restart", token, user)
    assert user.session.profile == profile and view[ANSWER] == gr.skip()  # the text is still in the box

    for lang, said, not_said in (("en", "Start an interview first", "开始"), ("zh", "请先点击“开始面试”。", "start")):
        view = submit("answer", "", restarted.page_state(None, lang, "", None))  # never started one
        assert said in view[STATUS] and not_said not in view[STATUS], view[STATUS]


def test_reload_restores_the_running_interview(engine: Engine, tmp_path: Path) -> None:
    """A reloaded page gets its interview back; another browser does not; a finished one is not restored."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    first, out = _page(a, None)
    profile = out[0]
    assert app.valid_profile(profile) and "欢迎回来" not in out[LOADED + STATUS]
    a.start(["深度学习基础"], "order", 3, False, "", "", first)
    a.submit(GOOD_DROPOUT_ANSWER, "", first)
    a.next("", "", first)
    shown = list(first.chat)

    reloaded, out = _page(a, profile)  # same browser, new page
    view = out[LOADED:]
    assert reloaded.session is first.session and texts(view[CHAT]) == texts(shown)
    assert "已恢复" in view[STATUS] and "/3" in view[STATUS] and view[TOKEN] == app.view_token(first.session)
    assert reloaded.lock is first.lock  # the two pages' actions still run one at a time
    a.skip(view[TOKEN], "", reloaded)  # it carries on from the restored page
    assert len(reloaded.session.turns) == len(first.session.turns)

    assert out[2] == gr.skip()  # same language: the switch is left alone

    reloaded.lang = "en"  # the user switched to English, then reloads: the restored page is English too
    english, out = _page(a, profile)
    assert english.session is first.session and english.lang == "en" and out[2] == "en"
    assert "restored" in out[LOADED + STATUS].lower() and "已恢复" not in out[LOADED + STATUS]

    stranger, out = _page(a, None)  # another browser: its own, empty page
    assert stranger.session is None and out[LOADED + CHAT] == [] and "已恢复" not in out[LOADED + STATUS]

    a.end(reloaded)  # a finished interview is not brought back; the answers are, and "due" is offered
    again, out = _page(a, profile)
    assert again.session is None and out[1] == "due" and "欢迎回来" in out[LOADED + STATUS], out
    kinds = [x.kind for x in engine_on(engine, tmp_path).store.attempts(profile)]
    assert "skip" in kinds  # ...and the count of saved answers leaves skips out
    assert f"你之前的 {kinds.count('answer') + kinds.count('followup')} 次作答" in out[LOADED + STATUS], out


def test_a_reload_shows_the_settings_the_running_interview_was_started_with(engine: Engine, tmp_path: Path) -> None:
    """The page load puts the running interview's settings in the settings controls (they showed the defaults,
    so "start" after a reload began another kind of interview): sections as the dropdown names them, even when
    asked for by a word of their title, the order, the count it runs with, the checkbox. A question practised
    from search or browse leaves the controls alone (they were not used for it); so does a page with nothing
    running, except the "due for review" offered to a returning visitor."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    first, out = _page(a, None)
    profile = out[0]
    assert out[1:LOADED] == (gr.skip(),) * (LOADED - 1)
    a.start(["深度学习基础"], "order", 3, True, "", "", first)
    _, out = _page(a, profile)  # reloaded
    assert out[1:LOADED] == ("order", gr.skip(), ["深度学习基础"], 3, True)

    a.start(["深度", "机器学习基础"], "weakest", 1000, False, "", "", first)  # a word, and above the cap
    _, out = _page(a, profile)
    titles = [s.title for s in engine.collection.sections if s.title in a.section_choices
              and (s.title == "机器学习基础" or "深度" in s.title)]
    assert out[1:LOADED] == ("weakest", gr.skip(), titles, app.MAX_QUESTIONS, False) and len(titles) >= 2

    qid = next(q.id for q in engine.collection if engine.collection.is_answered(q.id))
    a.practise(qid, "", "", first)
    restored, out = _page(a, profile)
    assert restored.session is first.session and out[1:LOADED] == (gr.skip(),) * (LOADED - 1)


def test_a_tab_switched_to_another_tabs_interview_shows_its_settings(engine: Engine, tmp_path: Path) -> None:
    """Tab B starts a new interview; tab A's next action switches A to it. A's settings controls showed A's old
    settings, so "start" there asked for another kind of interview than the one shown: they show B's now, as on
    a reload. An action that switched nothing leaves them as the user set them (never overwritten)."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    tab_a, out = _page(a, None)
    profile = out[0]
    token = a.start(["深度学习基础"], "order", 3, False, "", "", tab_a)[TOKEN]
    assert a.settings_after(token, tab_a) == (gr.skip(),) * 4  # A's own interview: left alone
    tab_b, _ = _page(a, profile)
    a.start(["机器学习基础"], "weakest", 2, True, "", "", tab_b)
    a.hint(token, tab_a)  # switched to B's interview
    assert tab_a.session is tab_b.session
    assert a.settings_after(token, tab_a) == (["机器学习基础"], "weakest", 2, True)
    again = a.hint(app.view_token(tab_a.session), tab_a)[TOKEN]  # now on the interview it shows
    assert a.settings_after(again, tab_a) == (gr.skip(),) * 4
    assert a.settings_after("", tab_a) == (gr.skip(),) * 4  # an API caller: no controls

    qid = next(q.id for q in engine.collection if engine.collection.is_answered(q.id))
    a.practise(qid, "", "", tab_b)  # one question practised in B: its settings were not used, A's stay
    a.submit("答案", again, tab_a)
    assert tab_a.session is tab_b.session and a.settings_after(again, tab_a) == (gr.skip(),) * 4


def test_corrupt_progress_database_is_moved_aside_and_answers_are_saved(engine: Engine, tmp_path: Path) -> None:
    """A damaged progress file is kept aside, a new one started, the user told, and answers saved."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "progress.sqlite3").write_text("garbage\n")
    other = engine_on(engine, data)
    with serve(other) as url:
        c = client(url)
        moved = list(data.glob("progress.sqlite3.corrupt-*"))
        assert [m.read_text() for m in moved] == ["garbage\n"]  # nothing deleted
        stats = c.predict(api_name="/progress")[1]
        assert "损坏" in stats and moved[0].name in stats
        status = c.predict(choice="en", tree_query="", picked=None, api_name="/set_language")[-7]
        assert "damaged" in status and moved[0].name in status
        c.predict(choice="zh", tree_query="", picked=None, api_name="/set_language")
        qid, _ = practise(c, "dropout 原理")
        out = c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
        assert "/100" in texts(out[CHAT])[-1] and "没有保存" not in texts(out[CHAT])[-1]
        assert not out[STATUS].startswith("⚠️")
        assert [(a.question_id, a.answer) for a in other.store.attempts(_profile(c))] == [(qid, GOOD_DROPOUT_ANSWER)]
        assert not (data / "progress.sqlite3.pending.jsonl").exists()


def test_answer_that_cannot_be_saved_says_so(engine: Engine, tmp_path: Path) -> None:
    """No usable progress database: the app works, and every feedback says the answer was NOT saved."""
    data = tmp_path / "data"
    (data / "progress.sqlite3").mkdir(parents=True)  # a folder where the database file should be
    other = engine_on(engine, data)
    with serve(other) as url:
        c = client(url)
        stats = c.predict(api_name="/progress")[1]
        assert "不会被保存" in stats
        practise(c, "dropout 原理")
        out = c.predict(answer=GOOD_DROPOUT_ANSWER, api_name="/submit_answer")
        feedback = texts(out[CHAT])[-1]
        assert "/100" in feedback and "没有保存" in feedback
        assert out[STATUS].startswith("⚠️") and "没有保存" in out[STATUS]
        c.predict(choice="en", tree_query="", picked=None, api_name="/set_language")
        unanswered = next(q for q in engine.collection.units() if not engine.collection.is_answered(q.id))
        c.predict(question_id=unanswered.id, api_name="/practise_question")
        out = c.predict(answer="my note", api_name="/submit_answer")  # a note is not saved either, and says so
        assert "NOT saved" in texts(out[CHAT])[-1] and "NOT saved" in out[STATUS]
        assert list((data / "progress.sqlite3").iterdir()) == []
        assert sorted(p.name for p in data.iterdir()) == ["progress.sqlite3"]


def test_python_app_py_starts_and_serves(tmp_path: Path) -> None:
    """The front door: `python app.py` loads, prints the URL and serves the API on GRADIO_SERVER_PORT.

    The collection is saved as GBK, so loading it has a warning, which the console shows."""
    port = free_port()
    corpus = tmp_path / "chapter_book_gbk.md"
    corpus.write_bytes((ROOT / "tests" / "fixtures" / "collections" / "chapter_book.md").read_text("utf-8").encode("gbk"))
    env = {k: v for k, v in os.environ.items() if k != "SPACE_ID"}
    env.update({
        "AI_INTERVIEW_CORPUS": str(corpus),
        "AI_INTERVIEW_DATA_DIR": str(tmp_path / "data"),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    })
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        url = None
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"open (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m.group(1)
                break
        output = "".join(lines)
        assert url == f"http://127.0.0.1:{port}/", output
        assert "loading" in output and "Index built" in output  # progress shown while loading
        assert "warning: chapter_book_gbk.md is not UTF-8; it was read as GB18030" in output
        results, pick = Client(url, verbose=False).predict(query="前向传播 反向传播", api_name="/search")
        assert "前向传播与反向传播" in results and "chapter_book_gbk.md:" in results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_panels_showing_reference_text_typeset_formulas(server: str) -> None:
    """Reference sentences carry $…$ formulas: every panel that shows them hands them to KaTeX
    (the missed-points panel once showed "$\\alpha=\\frac{1}{…}$" raw, its * turned into italics)."""
    import urllib.request

    config = json.loads(urllib.request.urlopen(server.rstrip("/") + "/config", timeout=30).read())
    panels = {c["props"].get("elem_id"): c["props"] for c in config["components"]
              if c.get("type") == "markdown" and c["props"].get("elem_id")}
    for elem_id in ("points-panel", "sources-panel", "reference-panel", "score-panel", "search-results"):
        # Gradio's default typesets only $$…$$; the collection writes inline formulas as $…$
        lefts = {d["left"] for d in panels[elem_id].get("latex_delimiters") or []}
        assert {"$", "$$"} <= lefts, (elem_id, lefts)


def test_a_key_point_that_is_a_formula_line_keeps_its_dollars(server: str, engine: Engine) -> None:
    r"""The points panel's key points come from the reference's plain text, which drops the ``$$`` lines around a
    display formula: "(2\times I-1)\times O", the FLOPs of a fully connected layer, was listed as raw LaTeX.
    It is listed between dollars now, so the panel typesets it."""
    col = engine.collection
    fc = next(q for q in col if q.title == "全连接层的 FLOPs")
    c = client(server)
    c.predict(question_id=fc.id, api_name="/practise_question")
    out = c.predict(answer="不知道", api_name="/submit_answer")  # a non-answer lists the first points as missed
    assert r"- $(2\times I-1)\times O$" in out[POINTS].splitlines(), out[POINTS]


def test_starting_over_keeps_the_unsent_answer_as_a_note(engine: Engine, tmp_path: Path) -> None:
    """Start or "practise this" while an answer is typed but not sent: the text is saved as a note of the
    question it was typed for (not scored), and the user is told where to find it."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    user, out = _page(a, None)
    view = a.start(["深度学习基础"], "order", 3, False, "", "", user)
    first = user.session.current.question_id
    draft = "我写了很长的一段回答，还没提交：dropout 训练时随机丢弃神经元"
    view = a.start(["深度学习基础"], "order", 3, False, draft, view[TOKEN], user)
    store = a.engine.store
    [note] = [t for t in store.attempts(user.profile) if t.answer == draft]
    assert (note.question_id, note.kind, note.score) == (first, "note", None)
    assert "笔记" in view[STATUS] and view[ANSWER] == ""

    # typed for a question the page no longer shows (a stale token): not saved under another question, but
    # left in the box with a word saying so; only spaces: nothing at all
    old_token = view[TOKEN]
    user.advanced_at = 0.0
    a.skip(old_token, "", user)
    view = a.start(["深度学习基础"], "order", 3, False, "typed for the skipped question", old_token, user)
    assert view[ANSWER] == gr.skip() and "仍留在输入框中" in view[STATUS] and "笔记" not in view[STATUS]
    view = a.start(["深度学习基础"], "order", 3, False, "   ", app.view_token(user.session), user)
    assert "笔记" not in view[STATUS] and "输入框" not in view[STATUS] and view[ANSWER] == ""
    assert not [t for t in store.attempts(user.profile) if t.answer in ("typed for the skipped question", "   ")]

    # text left in the box is not filed under the next question when the user starts over again
    view = a.start(["深度学习基础"], "order", 3, False, "typed for the skipped question", view[TOKEN], user)
    assert view[ANSWER] == gr.skip() and "仍留在输入框中" in view[STATUS]
    assert not [t for t in store.attempts(user.profile) if t.answer == "typed for the skipped question"]

    # typed after the answer was scored: a note of that (answered) question
    answered = user.session.current.question_id
    view = a.submit(GOOD_DROPOUT_ANSWER, view[TOKEN], user)
    view = a.start(["深度学习基础"], "order", 3, False, "补充：测试时不丢弃", view[TOKEN], user)
    [note] = [t for t in store.attempts(user.profile) if t.answer == "补充：测试时不丢弃"]
    assert (note.question_id, note.kind) == (answered, "note") and "笔记" in view[STATUS]

    # no database: nothing can be saved, so the text stays in the box
    user.session.store = None
    view = a.start(["深度学习基础"], "order", 3, False, "while the disk is full", app.view_token(user.session), user)
    assert view[ANSWER] == gr.skip() and "仍留在输入框中" in view[STATUS]

    # "practise this question" from search or browse keeps it too
    qid = user.session.current.question_id
    target = next(q.id for q in a.collection if a.collection.is_answered(q.id) and q.id != qid)
    view = a.practise(target, "practise draft", app.view_token(user.session), user)
    [note] = [t for t in store.attempts(user.profile) if t.answer == "practise draft"]
    assert note.question_id == qid and note.kind == "note" and "笔记" in view[STATUS]


def test_skip_and_next_keep_the_text_in_the_box(engine: Engine, tmp_path: Path) -> None:
    """Skip with an answer typed but not sent, or next with text typed after the answer: the text is saved as
    a note of the question it was typed for (and a skip is still a skip); text that cannot be filed so
    stays in the box. Nothing the user wrote disappears."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    user, _ = _page(a, None)
    view = a.start(["深度学习基础"], "order", 3, False, "", "", user)
    first = user.session.current.question_id
    draft = "写了一半：过拟合是训练集好测试集差"
    view = a.skip(view[TOKEN], draft, user)
    store = a.engine.store
    kinds = {(t.question_id, t.kind, t.answer) for t in store.attempts(user.profile)}
    assert (first, "note", draft) in kinds and (first, "skip", "") in {(q, k, x or "") for q, k, x in kinds}
    assert view[ANSWER] == "" and "上一题" in view[STATUS] and "2/3" in view[STATUS]  # filed under the one left

    # a click for a question no longer shown leaves the text in the box; a later skip never files it under the
    # question now shown
    user.advanced_at = 0.0
    a.skip("an-older-question-token", "typed for an older question", user)
    view = a.skip(app.view_token(user.session), "typed for an older question", user)
    assert view[ANSWER] == gr.skip() and "仍留在输入框中" in view[STATUS]
    assert not [t for t in store.attempts(user.profile) if t.answer == "typed for an older question"]

    # after the answer: text typed below it goes with "next" as a note of the answered question
    answered = user.session.current.question_id
    user.advanced_at = 0.0
    view = a.submit(GOOD_DROPOUT_ANSWER, view[TOKEN], user)
    view = a.next(view[TOKEN], "补充：测试时要按保留概率缩放", user)
    [note] = [t for t in store.attempts(user.profile) if t.answer == "补充：测试时要按保留概率缩放"]
    assert (note.question_id, note.kind, note.score) == (answered, "note", None)
    assert view[ANSWER] == "" and "笔记" in view[STATUS]

    # "next" on a question not answered yet is refused, and nothing is filed: the text stays in the box
    user.advanced_at = 0.0
    while user.session.current is not None and user.session.current.status != "pending":
        view = a.next(view[TOKEN], "", user)
    with pytest.raises(Exception):
        a.next(view[TOKEN], "not filed", user)
    assert not [t for t in store.attempts(user.profile) if t.answer == "not filed"]

    # no database: the skip cannot save the text, so it stays in the box, with a word saying so
    user.session.store = None
    user.advanced_at = 0.0
    view = a.skip(app.view_token(user.session), "while the disk is full", user)
    assert view[ANSWER] == gr.skip() and "仍留在输入框中" in view[STATUS]


def test_skipping_a_followup_and_reference_of_a_question_without_one_say_what_happened(
        engine: Engine, tmp_path: Path) -> None:
    """A skipped follow-up is not "a question that will come back"; "show the reference" on a question
    without one does not claim a reference is shown."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    user, _ = _page(a, None)
    l012 = a.collection.find_by_heading("L0、L1、L2")
    view = a.practise(l012.id, "", "", user)
    a.submit("L1 正则会让很多权重变成 0。", view[TOKEN], user)
    view = a.next(app.view_token(user.session), "", user)
    assert user.session.current is not None and user.session.current.kind == "followup", texts(view[CHAT])[-1]
    user.advanced_at = 0.0  # the user reads the follow-up first (a skip within 0.5 s is a double click)
    view = a.skip(view[TOKEN], "", user)
    assert any("已跳过这个追问" in t for t in texts(view[CHAT]))
    assert not any("这道题会很快再出现" in t for t in texts(view[CHAT]))

    bare = next(q for q in a.collection if not a.collection.is_answered(q.id) and q.parent_id is None)
    view = a.practise(bare.id, "", "", user)
    view = a.reference("", user)
    assert "这道题还没有参考答案" in texts(view[CHAT])[-1] and "参考答案已显示" not in texts(view[CHAT])[-1]


def test_hint_and_submit_say_the_scorer_is_loading_while_it_is(engine: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The first hint or answer after a start waits for the scorer: the user is told why."""
    told: list[str] = []
    monkeypatch.setattr(app.gr, "Info", lambda message, *a, **k: told.append(str(message)))
    fresh = engine_on(engine, tmp_path)
    a = app.InterviewApp(fresh)
    user, _ = _page(a, None)
    view = a.start(["深度学习基础"], "order", 2, False, "", "", user)
    prepared = fresh._scorer
    fresh._scorer = None  # as right after a start: the scorer is still being prepared
    monkeypatch.setattr(type(fresh), "scorer", property(lambda self: prepared))
    a.hint("", user)
    assert any("评分器正在准备" in m for m in told), told
    told.clear()
    a.submit(GOOD_DROPOUT_ANSWER, view[TOKEN], user)
    assert any("评分器正在准备" in m for m in told), told


def test_a_sub_question_is_asked_listed_and_exported_with_its_parent_question(engine: Engine,
                                                                              tmp_path: Path) -> None:
    """"8.2 为什么不容易过拟合" showed alone in the chat, the history and the exports, with no hint that it is about
    random forests: each names it with its parent question."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    user, _ = _page(a, None)
    sub = a.collection.find_by_heading("8.2 为什么不容易过拟合")
    asked = "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    view = a.practise(sub.id, "", "", user)
    assert f"### {asked}" in texts(view[CHAT])[-1]
    a.submit("每棵树的训练样本是随机抽的，分裂时的属性也是随机选的，所以不容易过拟合。", view[TOKEN], user)
    history = a.progress(user)[4]
    assert "| 8\\. 随机森林相关 › 8\\.2 为什么不容易过拟合 |" in history, history
    csv_path = a.export("csv", user)[0]["value"]
    assert f",{asked}," in Path(csv_path).read_text(encoding="utf-8-sig")
    md_path = a.export("md", user)[0]["value"]
    assert f"— {asked}\n" in Path(md_path).read_text(encoding="utf-8")


def test_progress_does_not_call_a_section_answered_after_the_reference_not_practised(engine: Engine,
                                                                                    tmp_path: Path) -> None:
    """A section whose only answer came after viewing the reference was listed as "not practised yet"; it is
    listed as answered with no answer counted, and every count says what it counts."""
    a = app.InterviewApp(engine_on(engine, tmp_path))
    user, _ = _page(a, None)
    view = a.practise(a.collection.find_by_heading("Dropout 原理").id, "", "", user)
    a.submit(GOOD_DROPOUT_ANSWER, view[TOKEN], user)  # counted: 深度学习基础 is practised
    view = a.practise(a.collection.find_by_heading("10. 维数灾难").id, "", app.view_token(user.session), user)
    view = a.reference(view[TOKEN], user)
    a.submit("维度越高，样本越稀疏，距离度量失去意义，需要的样本量随维度指数增长。", view[TOKEN], user)
    [seen] = [t for t in a.engine.store.attempts(user.profile) if t.section == "机器学习基础"]
    assert seen.reference_shown and seen.score is not None  # saved, scored, not counted
    weakest = a.progress(user)[2]
    not_practised = next(line for line in weakest.splitlines() if "还没练习过的章节" in line)
    assert "机器学习基础" not in not_practised and "深度学习基础" not in not_practised, weakest
    assert "经典网络 (7 题，其中 2 题可打分)" in not_practised
    assert "答过、但还没有回答计入掌握度的章节**：机器学习基础" in weakest
