"""The web app in a real browser: headless Debian Chromium driven by Playwright.

Opens the page, runs an interview (start → answer → score, source passage,
reference), checks that an answer with HTML is shown as text and never runs,
searches and practises a result, opens the progress tab (the bar chart is
drawn as SVG), switches the language, and checks that the profile id kept in
browser storage survives a reload while a second browser gets its own; a
double click on Skip skips one question and a reload keeps the running interview
(its settings shown in the settings controls) and the answer typed for its
current question but not sent (and not text already saved as a note); after a
server restart the page says its interview is gone, in its own language, and
goes on under its own profile. A key point that is a line of a display formula
is typeset in the points panel.
Screenshots go to ``artifacts/`` (gitignored).

Chromium is required: the test fails (never skips) with instructions when it
is missing. ``make test`` installs it (``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
import socket
import sys
from pathlib import Path
from typing import Iterator

import pytest

from index.build import BuildReport
from interviewer.config import AppConfig
from interviewer.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"
XSS = "<script>window.__pwned=1</script><b>x</b>"
TIMEOUT = 60_000  # ms; the machine is small and shared


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        pytest.fail("The browser test needs Debian's chromium at /usr/bin/chromium, and it is missing. "
                    "Install it with `apt-get update && apt-get install -y chromium` (`make test` does this), "
                    "then run the tests again.", pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a pinned test dependency
        pytest.fail("playwright is missing: install the test extras (`pip install -e .[test]`).", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def engine(bundled_collection, e5_embedder, bundled_index, shared_cache, tmp_path_factory) -> Engine:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("browser-data")
    report = BuildReport("loaded", "test fixture", len(bundled_index.passages), 0, len(bundled_index.passages),
                         0.0, data)
    engine = Engine(AppConfig(data_dir=data), bundled_collection, e5_embedder, bundled_index, report, shared_cache)
    _ = engine.scorer  # prepare before the page is driven (reference embeddings come from the shared cache)
    return engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(engine: Engine, port: int):  # type: ignore[no-untyped-def]
    """A new app over ``engine`` on ``port`` (a restarted server knows nothing of the pages it served)."""
    demo = app.build_app(engine)
    app.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    return demo


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[str]:
    port = _free_port()
    demo = _launch(engine, port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def _open(browser, url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#btn-start")
    return context, page, errors


def _tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def _wait_text(page, selector: str, pattern: str) -> str:  # type: ignore[no-untyped-def]
    """Wait until the element's text matches ``pattern`` (a regular expression); return the text."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.wait_for_function(
            "([sel, pat]) => { const e = document.querySelector(sel); return !!e && new RegExp(pat).test(e.innerText); }",
            arg=[selector, pattern], timeout=TIMEOUT)
    except PlaywrightError:  # say what the page showed instead (a timeout is a playwright Error)
        shown = page.inner_text(selector) if page.query_selector(selector) else "(no such element)"
        raise AssertionError(f"{selector} never matched {pattern!r}; it shows {shown[:300]!r}") from None
    return page.inner_text(selector)


def _start(page, count: int = 2) -> None:  # type: ignore[no-untyped-def]
    page.locator("#mode").get_by_text("按顺序").click()
    page.fill("#count input", str(count))
    page.click("#btn-start")
    _wait_text(page, "#chat", rf"题目 1/{count}")


def _reload_restored(page, restored: str = "已恢复") -> str:  # type: ignore[no-untyped-def]
    """Reload the page and wait until its running interview is restored; returns the status text."""
    page.reload()
    page.wait_for_selector("#btn-start")
    return _wait_text(page, "#status", restored)


def _wait_answer_box(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the answer box holds exactly ``text``."""
    page.wait_for_function("(d) => document.querySelector('#answer textarea').value === d", arg=text,
                           timeout=TIMEOUT)


def _two_tabs_on_one_interview(context, server: str):  # type: ignore[no-untyped-def]
    """Tab A starts a 3-question interview; tab B, opened in the same browser, gets it restored.
    Returns both pages and the list their page errors go to."""
    a, b = context.new_page(), context.new_page()
    errors: list[str] = []
    for page in (a, b):
        page.set_default_timeout(TIMEOUT)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    a.goto(server)
    a.wait_for_selector("#btn-start")
    _start(a, count=3)
    b.goto(server)  # same browser: the running interview is restored in the second tab
    b.wait_for_selector("#btn-start")
    _wait_text(b, "#status", "已恢复")
    return a, b, errors


def _profile_id(page) -> str:  # type: ignore[no-untyped-def]
    _tab(page, "进度")
    text = _wait_text(page, "#stats", r"web-[0-9a-f]{32}")
    return re.search(r"web-[0-9a-f]{32}", text).group(0)  # type: ignore[union-attr]


def test_interview_search_progress_in_browser(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, errors = _open(browser, server)
    try:
        assert page.get_by_role("tab", name="模拟面试").is_visible()
        _start(page, count=2)
        answer = ("L1 正则化得到稀疏解，L2 正则化让权重变小、防止过拟合：$$L = L_0 + \\lambda \\|w\\|_2^2$$，$p=0.5$。"
                  + XSS + "显卡 $ 100 and $ 200。")
        page.fill("#answer textarea", answer)
        page.click("#btn-submit")
        score = _wait_text(page, "#score-panel", r"\d+ / 100")
        assert 0 <= int(re.search(r"(\d+) / 100", score).group(1)) <= 100  # type: ignore[union-attr]
        sources = _wait_text(page, "#sources-panel", r"ai_questions\.md:\d+")
        assert "📍" in sources and "›" in sources  # section › question, file:line
        assert "参考答案" in page.inner_text("#reference-panel")
        assert page.input_value("#answer textarea") == ""  # cleared after a successful submit
        # the HTML in the answer is shown as text and did not run
        bubble = page.locator("#chat").get_by_text("window.__pwned=1", exact=False).last
        assert XSS in bubble.inner_text()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#chat b", has_text=re.compile(r"^x$")).count() == 0
        assert page.evaluate("[...document.querySelectorAll('#chat script')].length") == 0
        # the formulas in the answer are typeset by KaTeX, not shown as red errors
        page.wait_for_function("document.querySelectorAll('#chat .katex').length >= 2", timeout=20_000)
        assert page.locator("#chat .katex-error").count() == 0
        # ...and dollars that are prices stay text, even beside a formula
        assert "显卡 $ 100 and $ 200" in bubble.inner_text()
        page.screenshot(path=str(ARTIFACTS / "browser-interview.png"), full_page=True)

        # an empty answer: a warning, nothing lost
        page.click("#btn-next")
        _wait_text(page, "#chat", r"(追问|题目 2/2)")
        page.fill("#answer textarea", "   ")
        page.click("#btn-submit")
        _wait_text(page, "#status", "回答是空的")

        # search and practise a result
        _tab(page, "搜索")
        page.fill("#search-query textarea, #search-query input", "dropout 原理")
        page.click("#btn-search")
        results = _wait_text(page, "#search-results", "Dropout")
        assert "ai_questions.md:" in results
        page.click("#btn-search-practise")
        _wait_text(page, "#chat", r"Dropout")
        assert page.get_by_role("tab", name="模拟面试").get_attribute("aria-selected") == "true"
        page.screenshot(path=str(ARTIFACTS / "browser-search-practise.png"), full_page=True)

        # progress: the chart is drawn (SVG bars), history lists the answer as text
        _tab(page, "进度")
        page.wait_for_selector("#mastery-plot svg .mark-rect path")
        assert page.locator("#mastery-plot svg .mark-rect path").count() >= 1
        history = _wait_text(page, "#history", "window.__pwned")
        assert XSS in history and page.evaluate("window.__pwned") is None
        assert re.search(r"web-[0-9a-f]{32}", page.inner_text("#stats"))
        page.screenshot(path=str(ARTIFACTS / "browser-progress.png"), full_page=True)

        # browse: filter the tree and read a reference
        _tab(page, "题库")
        assert "机器学习基础" in page.inner_text("#tree")
        page.fill("#tree-filter textarea, #tree-filter input", "LSTM")
        tree = _wait_text(page, "#tree", r"^(?![\s\S]*机器学习基础)[\s\S]*LSTM")  # filtered: LSTM only
        assert "RNN&LSTM" in tree

        # English
        page.locator("#lang").get_by_text("English").click()
        page.get_by_role("tab", name="Search").wait_for()
        assert page.locator("#btn-start").inner_text().strip() == "Start interview"
        assert "Interview settings" in page.inner_text("#settings-title")
        page.screenshot(path=str(ARTIFACTS / "browser-english.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_profile_kept_in_browser_storage_and_isolated(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context_a, page_a, _ = _open(browser, server)
    context_b = None
    try:
        _start(page_a, count=1)
        page_a.fill("#answer textarea", "卷积层通过局部连接和权值共享减少参数。")
        page_a.click("#btn-submit")
        _wait_text(page_a, "#score-panel", r"\d+ / 100")
        profile_a = _profile_id(page_a)
        assert "局部连接" in _wait_text(page_a, "#history", "局部连接")

        page_a.reload()  # a returning visitor keeps the same profile and its progress
        page_a.wait_for_selector("#btn-start")
        _wait_text(page_a, "#status", "已恢复|欢迎回来")  # the page has loaded its profile (a click before races it)
        assert _profile_id(page_a) == profile_a
        assert "局部连接" in _wait_text(page_a, "#history", "局部连接")
        page_a.locator("#lang").get_by_text("English").click()  # the open Progress tab follows the switch
        _wait_text(page_a, "#history", "Recent history")
        _wait_text(page_a, "#stats", "Overview")
        assert "最近记录" not in page_a.inner_text("#history")
        page_a.reload()  # the browser keeps the language it chose last
        page_a.wait_for_selector("#btn-start")
        _wait_text(page_a, "#status", "restored|Welcome back")
        _wait_text(page_a, "#btn-start", r"^\s*Start interview\s*$")  # relabelled right after the load
        page_a.locator("#lang").get_by_text("中文").click()
        _tab(page_a, "进度")
        _wait_text(page_a, "#history", "最近记录")

        context_b, page_b, _ = _open(browser, server)  # another browser: its own profile, no shared progress
        profile_b = _profile_id(page_b)
        assert profile_b != profile_a
        assert "还没有作答记录" in page_b.inner_text("#stats")
        assert "局部连接" not in page_b.inner_text("#history")
    finally:
        context_a.close()
        if context_b is not None:
            context_b.close()


def test_double_click_skips_once_and_reload_keeps_the_interview(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """Two quick clicks on Skip skip one question; a reload brings the running interview back."""
    context, page, errors = _open(browser, server)
    try:
        _start(page, count=4)
        page.click("#btn-skip")
        page.wait_for_timeout(150)  # a double click: the first skip may well be done by now
        page.click("#btn-skip")
        _wait_text(page, "#status", r"题目 2/4")
        page.wait_for_timeout(1500)  # the second click has arrived and changed nothing
        assert "题目 2/4" in page.inner_text("#status") and page.inner_text("#chat").count("已跳过") == 1

        status = _reload_restored(page)
        assert "2/4" in status and page.inner_text("#chat").count("已跳过") == 1
        draft = "L1 会产生稀疏解，还没写完"
        page.click("#answer textarea")
        page.keyboard.type(draft)  # typed as a user types (key by key), not sent: a reload must not lose it
        page.wait_for_timeout(300)
        _reload_restored(page)
        _wait_answer_box(page, draft)
        page.click("#btn-skip")  # the restored interview carries on
        _wait_text(page, "#status", r"题目 3/4")
        # a draft kept by the previous version (one {token, text} slot) is still restored for its question
        page.click("#answer textarea")
        page.keyboard.type("x")
        token = page.wait_for_function(
            """(key) => { const kept = JSON.parse(localStorage.getItem(key) || "null");
                          const hit = kept && Object.entries(kept.drafts).find(([t, d]) => d.text === "x");
                          return hit ? hit[0] : null; }""", arg=app.DRAFT_KEY, timeout=TIMEOUT).json_value()
        page.evaluate("([v1, v2, token]) => { localStorage.removeItem(v2);"
                      " localStorage.setItem(v1, JSON.stringify({token: token, text: '旧版草稿'})); }",
                      [app.DRAFT_KEY_V1, app.DRAFT_KEY, token])
        _reload_restored(page)
        _wait_answer_box(page, "旧版草稿")
        page.fill("#answer textarea", "")
        # a draft kept for another question (an old view token) is not offered for this one, in either format
        page.evaluate("([v1, v2, text]) => { localStorage.setItem(v1, JSON.stringify({token: 'old-token-0', text}));"
                      " localStorage.setItem(v2, JSON.stringify({version: 2, drafts: {'old-token-1': {text, t: 1}}})); }",
                      [app.DRAFT_KEY_V1, app.DRAFT_KEY, "typed for another question"])
        _reload_restored(page)
        page.wait_for_timeout(1000)
        assert page.input_value("#answer textarea") == ""

        page.locator("#lang").get_by_text("English").click()  # in English, then reloaded: still English
        _wait_text(page, "#btn-skip", "Skip")
        status = _reload_restored(page, "restored")
        assert "3/4" in status and "已恢复" not in status
        _wait_text(page, "#btn-skip", "Skip")  # the switch and the labels followed the restored interview
        assert page.locator("#lang input[value='en']").is_checked()
        assert not errors, errors
    finally:
        context.close()


def _settings(page) -> tuple[list[str], str, str, bool]:  # type: ignore[no-untyped-def]
    """What the interview settings show: the chosen sections, the order, the number of questions, the checkbox."""
    return (page.locator("#sections .token span").all_inner_texts(),
            page.locator("#mode input:checked").get_attribute("value") or "",
            page.input_value("#count input"), page.locator("#include-unanswered input").is_checked())


def test_a_reload_shows_the_settings_of_the_running_interview(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """After a reload the running interview came back, but the settings showed the defaults (every section,
    random order, 5 questions, no unanswered ones): "start" then began another kind of interview than the one
    on screen. They show the running interview's settings now, and a new start uses them."""
    context, page, errors = _open(browser, server)
    try:
        page.click("#sections .remove-all")  # one section only
        page.click("#sections input")
        page.locator("#sections li[role='option']", has_text="深度学习基础").click()
        page.keyboard.press("Escape")
        page.locator("#include-unanswered input").check()
        _start(page, count=3)  # in order
        chosen = (["深度学习基础"], "order", "3", True)
        assert _settings(page) == chosen

        _reload_restored(page)
        page.wait_for_function("() => document.querySelectorAll('#sections .token').length === 1", timeout=TIMEOUT)
        assert _settings(page) == chosen
        page.click("#btn-start")  # starting again asks for the same kind of interview
        page.wait_for_function("() => { const s = document.querySelector('#status').innerText;"
                               " return s.includes('题目 1/3') && !s.includes('已恢复'); }", timeout=TIMEOUT)
        assert "深度学习基础" in page.inner_text("#status")
        assert not errors, errors
    finally:
        context.close()


def test_a_key_point_that_is_a_formula_is_typeset(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    r"""The points panel listed a line of a display formula as raw LaTeX ("(2\times I-1)\times O", the FLOPs of a
    fully connected layer): its $$ lines are not in the plain text the points come from. KaTeX typesets it now."""
    context, page, errors = _open(browser, server)
    try:
        _tab(page, "题库")
        page.fill("#tree-filter textarea, #tree-filter input", "全连接层的 FLOPs")
        _wait_text(page, "#tree", "全连接层的 FLOPs")
        page.click("#browse-pick input")
        page.locator("#browse-pick li[role='option']", has_text="全连接层的 FLOPs").click()
        page.click("#btn-browse-practise")
        _wait_text(page, "#chat", "全连接层的 FLOPs")
        page.fill("#answer textarea", "不知道")
        page.click("#btn-submit")
        _wait_text(page, "#points-panel", "遗漏的要点")
        page.wait_for_function("document.querySelectorAll('#points-panel li .katex').length >= 1", timeout=20_000)
        assert page.locator("#points-panel .katex-error").count() == 0
        assert "\\times" not in page.inner_text("#points-panel")
        assert not errors, errors
    finally:
        context.close()


def test_unsent_text_comes_back_when_the_server_no_longer_has_its_interview(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """After a server restart (or once the interview expired) a reload found no interview, so the draft kept for
    its question was never shown again. With no interview to restore, the newest recent draft comes back into
    the box; a month-old one does not."""
    context, page, errors = _open(browser, server)
    try:
        page.evaluate("([v2, text]) => localStorage.setItem(v2, JSON.stringify({version: 2, drafts: {"
                      " 'gone-1': {text: 'older words', t: Date.now() - 60000},"
                      " 'gone-2': {text, t: Date.now() - 1000},"
                      " 'gone-3': {text: 'a month old', t: Date.now() - 40 * 86400000}}}))",
                      [app.DRAFT_KEY, "服务器重启前写的回答，还没提交"])
        page.reload()
        page.wait_for_selector("#btn-start")
        _wait_answer_box(page, "服务器重启前写的回答，还没提交")
        page.fill("#answer textarea", "")
        page.evaluate("([v2]) => localStorage.setItem(v2, JSON.stringify({version: 2, drafts: {"
                      " 'gone-3': {text: 'a month old', t: Date.now() - 40 * 86400000}}}))", [app.DRAFT_KEY])
        page.reload()
        page.wait_for_selector("#btn-start")
        page.wait_for_timeout(1500)
        assert page.input_value("#answer textarea") == ""
        assert not errors, errors
    finally:
        context.close()


def test_text_saved_as_a_note_does_not_come_back_after_a_reload(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """Skip with an answer typed: the text is saved as a note. Its copy in the browser's storage was kept under
    the question skipped, so once the interview was over a reload put the newest such copy back in the box.
    Text saved (or sent) is forgotten; text never sent still comes back."""
    context, page, errors = _open(browser, server)
    try:
        _start(page, count=2)
        page.click("#answer textarea")
        page.keyboard.type("跳过前写下的文字")
        page.wait_for_timeout(300)
        page.click("#btn-skip")
        _wait_text(page, "#status", r"题目 2/2")
        _wait_answer_box(page, "")
        page.click("#btn-end")
        _wait_text(page, "#status", "面试已结束")
        page.wait_for_timeout(300)
        page.reload()
        page.wait_for_selector("#btn-start")
        _wait_text(page, "#status", "欢迎回来")  # loaded (the note is a saved answer)
        page.wait_for_timeout(1500)
        assert page.input_value("#answer textarea") == ""
        assert "跳过前写下的文字" not in (page.evaluate("(key) => localStorage.getItem(key)", app.DRAFT_KEY) or "")

        _start(page, count=1)  # text typed and never sent still comes back, its interview over or not
        page.click("#answer textarea")
        page.keyboard.type("没有提交的文字")
        page.wait_for_timeout(300)
        page.click("#btn-end")
        _wait_text(page, "#status", "面试已结束")
        page.reload()
        page.wait_for_selector("#btn-start")
        _wait_answer_box(page, "没有提交的文字")
        assert not errors, errors
    finally:
        context.close()


def test_after_a_server_restart_the_page_says_its_interview_is_gone(browser, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The server restarted under an English page with an interview running: Submit said
    "请先点击“开始面试” / start an interview first.", half in Chinese and with no word of why. It says, in English,
    that the interview is no longer on the server, keeps the text in the box and the chat, and a new interview
    goes on under the profile this browser keeps (its progress is still there)."""
    port = _free_port()
    demo = _launch(engine, port)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#btn-start")
        page.locator("#lang").get_by_text("English").click()
        _wait_text(page, "#btn-skip", "Skip")
        _tab(page, "Progress")
        stats = _wait_text(page, "#stats", r"web-[0-9a-f]{32}")
        profile = re.search(r"web-[0-9a-f]{32}", stats).group(0)  # type: ignore[union-attr]
        _tab(page, "Interview")
        page.locator("#mode").get_by_text("In order").click()
        page.fill("#count input", "2")
        page.click("#btn-start")
        _wait_text(page, "#chat", r"Question 1/2")
        page.fill("#answer textarea", "卷积层通过局部连接和权值共享减少参数。")
        page.click("#btn-submit")
        _wait_text(page, "#score-panel", r"\d+ / 100")  # the last request before the restart has its answer

        demo.close()  # the server restarts: the page's state is gone
        demo = _launch(engine, port)
        text = "typed after the restart"
        page.fill("#answer textarea", text)
        page.click("#btn-submit")
        status = _wait_text(page, "#status", "no longer on the server")
        assert not re.search(r"[\u4e00-\u9fff]", status), status  # one language: the page's
        assert page.input_value("#answer textarea") == text
        assert "/100" in page.inner_text("#chat")  # what the page showed of the interview is left as it was

        page.click("#btn-start")  # a new interview: under this browser's profile, the text still in the box
        _wait_text(page, "#chat", r"Question 1/2")
        assert page.input_value("#answer textarea") == text
        _tab(page, "Progress")
        stats = _wait_text(page, "#stats", r"web-[0-9a-f]{32}")
        assert profile in stats
        assert "局部连接" in _wait_text(page, "#history", "局部连接")
        assert not errors, errors
    finally:
        context.close()
        demo.close()


def test_text_left_in_the_box_by_a_new_interview_survives_a_reload(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """Two tabs of one browser: tab B still shows question 1 after tab A skipped it. Drafts typed in A and B
    are kept apart (a reload of A gets A's back). Text typed in B and "start" cannot be filed under a question
    (B's view is stale): it stays in the box, and a reload keeps it."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        a, b, errors = _two_tabs_on_one_interview(context, server)
        a.click("#btn-skip")
        _wait_text(a, "#status", r"题目 2/3")
        a.click("#answer textarea")
        a.keyboard.type("A 页面的草稿")
        b.click("#answer textarea")
        text = "在旧页面上写的文字"
        b.keyboard.type(text)  # typed for question 1 (B's stale view): kept apart from A's draft for question 2
        b.wait_for_timeout(300)
        _reload_restored(a)
        _wait_answer_box(a, "A 页面的草稿")
        b.click("#btn-start")
        _wait_text(b, "#status", "仍留在输入框中")
        assert b.input_value("#answer textarea") == text
        b.wait_for_timeout(500)
        _reload_restored(b)
        _wait_answer_box(b, text)
        assert not errors, errors
    finally:
        context.close()


def test_a_tab_left_behind_catches_up_and_shift_enter_submits(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """Two tabs on one interview: tab A moves on; tab B (still showing question 1) asks for a hint. B must not get
    a hint for a question it does not show: it catches up (shows question 2, says why). Text B typed for a question
    A has since skipped is not submitted but kept in the box; Shift+Enter then submits it for the question shown.
    The chat's own clear button does not wipe the interview off the page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        a, b, errors = _two_tabs_on_one_interview(context, server)
        a.click("#btn-skip")
        _wait_text(a, "#status", r"题目 2/3")
        b.click("#btn-hint")
        _wait_text(b, "#status", "往下进行了")
        assert "题目 2/3" in b.inner_text("#status") and "题目 2/3" in b.inner_text("#chat")
        assert "提示" not in b.inner_text("#chat")  # no hint was given for a question B did not show

        a.click("#btn-skip")
        _wait_text(a, "#status", r"题目 3/3")
        b.click("#answer textarea")
        text = "卷积层的参数量是 K×K×C_in×C_out"
        b.keyboard.type(text)
        b.keyboard.press("Shift+Enter")  # sent for question 2, which A skipped: not submitted, kept in the box
        _wait_text(b, "#status", "题目已经换了")
        assert "题目 3/3" in b.inner_text("#status") and b.input_value("#answer textarea") == text
        b.keyboard.press("Shift+Enter")  # now sent for the question shown
        _wait_text(b, "#chat", r"/100|没有参考答案")
        assert b.input_value("#answer textarea") == ""

        b.locator("#chat").get_by_role("button", name=re.compile("clear|清", re.I)).first.click()  # its trash icon
        _wait_text(b, "#chat", r"题目 3/3")  # redrawn from the server: the interview is still on the page
        assert "/100" in b.inner_text("#chat") or "没有参考答案" in b.inner_text("#chat")
        assert not errors, errors
    finally:
        context.close()


def test_a_new_interview_started_in_another_tab_is_never_replaced_by_the_old_one(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """Tab B starts a new interview while tab A still shows the old one. A click in A must not act on the old
    interview (which would also make a reload of B bring the old one back): A switches to B's interview, says
    so, and keeps its typed text in the box; its settings controls show B's interview's settings."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        a, b, errors = _two_tabs_on_one_interview(context, server)  # a 3-question interview
        b.locator("#include-unanswered input").check()
        _start(b, count=2)  # B starts another one
        text = "训练集上好、测试集上差就是过拟合"
        a.fill("#answer textarea", text)
        a.click("#btn-submit")
        _wait_text(a, "#status", "开始了新的面试")
        assert "题目 1/2" in a.inner_text("#chat") and "/100" not in a.inner_text("#chat")
        assert a.input_value("#answer textarea") == text  # not submitted, not lost
        a.wait_for_function("() => document.querySelector('#count input').value === '2'", timeout=TIMEOUT)
        assert _settings(a) == _settings(b) and _settings(a)[2:] == ("2", True), _settings(a)
        status = _reload_restored(b)
        assert "题目 1/2" in b.inner_text("#chat") and "题目 1/3" not in b.inner_text("#chat"), status
        assert not errors, errors
    finally:
        context.close()


def test_on_a_phone_the_question_scrolls_into_view_after_start(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """At 390 px the settings fill the first screen; after "start" the question is on screen, and nothing
    scrolls sideways."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(server)
        page.wait_for_selector("#btn-start")
        chat_top = page.evaluate("document.querySelector('#chat').getBoundingClientRect().top")
        assert chat_top > 844, chat_top  # below the fold before the start (else this test proves nothing)
        _start(page, count=1)
        page.wait_for_function("() => { const r = document.querySelector('#chat').getBoundingClientRect();"
                               " return r.top >= -1 && r.top < 844 / 2; }", timeout=TIMEOUT)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # the Progress tab: the weakest and due lists stack, so their tables are not squeezed side by side
        page.fill("#answer textarea", "卷积层通过局部连接和权值共享减少参数。")
        page.click("#btn-submit")
        _wait_text(page, "#score-panel", r"\d+ / 100")
        _tab(page, "进度")
        _wait_text(page, "#weakest", r"\S")
        weakest = page.evaluate("(() => { const r = document.querySelector('#weakest').getBoundingClientRect();"
                                " return [r.left, r.bottom, r.width]; })()")
        due = page.evaluate("(() => { const r = document.querySelector('#due').getBoundingClientRect();"
                            " return [r.left, r.top, r.width]; })()")
        assert due[1] >= weakest[1] - 1 and weakest[2] > 300 and due[2] > 300, (weakest, due)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # a count above the cap runs the cap, and the field then shows the count the interview runs with
        _tab(page, "模拟面试")
        page.fill("#count input", "1000")
        page.click("#btn-start")
        _wait_text(page, "#chat", r"题目 1/50")
        page.wait_for_function("() => document.querySelector('#count input').value === '50'", timeout=TIMEOUT)
    finally:
        context.close()
