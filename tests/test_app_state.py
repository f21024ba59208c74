"""Per-user serialisation of the web app's actions (``app.guarded(..., serial=True)`` and ``ActionLock``).

The HTTP behaviour (submit and skip clicked at once) is tested in ``test_app_http.py``; these tests pin the
lock itself: one user's actions never overlap, different users' do, and a stuck action gives a warning.
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402


def _fallback(calls: list[str]) -> Any:
    def fb(state: Any, message: str) -> tuple:
        calls.append(message)
        return ("fallback",)
    return fb


def _overlaps(users: list[app.UserState]) -> int:
    """Run a slow action for each user in its own thread; how many ran while another was running."""
    running = 0
    overlaps = 0
    guard = threading.Lock()

    def action(state: app.UserState) -> tuple:
        nonlocal running, overlaps
        with guard:
            running += 1
            overlaps += running > 1
        time.sleep(0.2)
        with guard:
            running -= 1
        return ("done",)

    run = app.guarded(_fallback([]), serial=True)(action)
    threads = [threading.Thread(target=run, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return overlaps


def test_one_users_actions_run_one_at_a_time() -> None:
    user = app.UserState()
    assert _overlaps([user, user, user]) == 0


def test_different_users_are_not_serialised() -> None:
    assert _overlaps([app.UserState(), app.UserState()]) == 1


def test_stuck_action_gives_a_warning_instead_of_waiting_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "ACTION_WAIT_S", 0.05)
    user = app.UserState()
    calls: list[str] = []
    ran: list[bool] = []
    run = app.guarded(_fallback(calls), serial=True)(lambda state: ran.append(True) or ("done",))
    with user.lock.held("zh"):  # another action of this user is still running
        assert run(user) == ("fallback",)
    assert not ran and calls == [app.ui("busy", "zh")]
    assert run(user) == ("done",) and ran == [True]  # the lock was released


def test_first_action_without_state_uses_one_state_for_lock_and_handler() -> None:
    seen: list[Any] = []
    run = app.guarded(_fallback([]), serial=True)(lambda state: seen.append(state) or (state,))
    (state,) = run(None)
    assert isinstance(state, app.UserState) and seen == [state]


def test_copied_state_gets_its_own_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "ACTION_WAIT_S", 0.05)
    user = app.UserState()
    with user.lock.held("zh"):
        clone = copy.deepcopy(user)
        assert clone.lock is not user.lock
        with clone.lock.held("zh"):  # would time out if the copy shared the held lock
            pass


# ------------------------------------------------------------------ keeping running interviews for a reload


class _Session:
    """Just enough of an InterviewSession for the keeper and the view token."""

    def __init__(self, turns: int = 1, ended: bool = False) -> None:
        self.id = "0123456789abcdef"
        self.turns = [object()] * turns
        self.ended = ended


def _browser_user(profile: str, session: Any = None) -> app.UserState:
    user = app.UserState(profile=profile, session=session)
    user.restorable = True
    return user


def test_keeper_keeps_running_interviews_of_browser_pages_only() -> None:
    keeper = app.InterviewKeeper()
    page = _browser_user("web-" + "a" * 32, _Session())
    keeper.keep(page)
    assert keeper.find(page.profile) is page
    assert keeper.find("web-" + "b" * 32) is None  # another browser's id finds nothing
    api = app.UserState(session=_Session())  # an API client (no browser page): nothing kept
    keeper.keep(api)
    assert keeper.find(api.profile) is None and len(keeper) == 1
    page.session = _Session(ended=True)  # a finished interview is forgotten
    keeper.keep(page)
    assert keeper.find(page.profile) is None and len(keeper) == 0


def test_keeper_is_bounded_and_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    keeper = app.InterviewKeeper(max_entries=3, ttl_s=60)
    users = [_browser_user(f"web-{i:032x}", _Session()) for i in range(5)]
    for user in users:
        keeper.keep(user)
    assert len(keeper) == 3 and keeper.find(users[0].profile) is None  # least recently used dropped first
    assert keeper.find(users[4].profile) is users[4]
    now = time.monotonic()
    monkeypatch.setattr(app.time, "monotonic", lambda: now + 61)
    assert keeper.find(users[4].profile) is None and len(keeper) == 0  # expired after its last action


def test_view_token_names_the_question_shown() -> None:
    assert app.view_token(None) == ""
    one, two = app.view_token(_Session(1)), app.view_token(_Session(2))
    assert one and one != two and app.view_token(_Session(2, ended=True)) not in (one, two)


def test_stale_click_is_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    interview = app.InterviewApp.__new__(app.InterviewApp)  # _stale_click needs no engine
    user = app.UserState(session=_Session(2))
    current = app.view_token(user.session)
    assert not interview._stale_click(user, "") and not interview._stale_click(user, None)  # API: never stale
    assert interview._stale_click(user, app.view_token(_Session(1)))  # the page showed an earlier question
    assert not interview._stale_click(user, current)
    user.advanced_at = time.monotonic()  # skip / next just moved on: the second click of a double click
    assert interview._stale_click(user, current)
    monkeypatch.setattr(app, "DOUBLE_CLICK_S", 0.0)
    assert not interview._stale_click(user, current)


def test_a_page_click_is_timed_when_it_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's action runs after a step of its own (``page_state``), which times the click: the double-click
    window counts from the click, not from when the action got to run."""
    interview = app.InterviewApp.__new__(app.InterviewApp)  # page_state on a live state needs no engine
    user = app.UserState(session=_Session(2))
    current = app.view_token(user.session)
    now = time.monotonic()
    user.advanced_at = now - 0.3  # the first click of a double click moved on 0.3 s ago...
    assert interview.page_state(None, "en", current, user) is user and user.lang == "zh"  # (a live state as is)
    monkeypatch.setattr(app.time, "monotonic", lambda: now + 0.5)  # ...and the second click's action runs later
    assert interview._stale_click(user, current)
    api = app.UserState(session=user.session, advanced_at=now - 0.3)  # an API call: timed when it arrives
    assert not interview._stale_click(api, current)


def test_count_field_shows_the_cap_the_interview_ran_with() -> None:
    assert app.shown_count(1000) == app.MAX_QUESTIONS == 50
    assert app.shown_count("1e9") == 50
    # counts within the cap, and bad counts (which already got their message), are left as typed
    for typed in (3, 50, 0, -2, None, "x", float("nan")):
        assert app.shown_count(typed) == app.gr.skip()


def test_a_read_only_handler_before_the_page_load_never_replaces_the_state() -> None:
    """Search or Progress clicked before the page load finished got no state and made a fresh one (a new random
    profile); returned last, it replaced the load's, and answers went to a profile the browser does not keep.
    A handler that is not serial hands a fresh state back as "no change"; given a state, it returns it."""
    run = app.guarded(_fallback([]))(lambda query, state: ("results", app._user(state)))
    out = run("dropout", None)
    assert out[0] == "results" and not isinstance(out[-1], app.UserState)
    user = app.UserState()
    assert run("dropout", user) == ("results", user)
    serial = app.guarded(_fallback([]), serial=True)(lambda state: ("started", state))
    assert isinstance(serial(None)[-1], app.UserState)  # an action that starts something keeps its new state
