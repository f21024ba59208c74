"""Tests for the SQLite progress store (interviewer.progress).

Real SQLite files under tmp_path and real subprocesses: nothing about sqlite
is mocked, because the properties under test (durability, locking,
migration, corruption handling) only exist in the real thing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import platformdirs
import pytest

from interviewer import progress
from interviewer.progress import (
    Attempt,
    AttemptJournaled,
    CollectionScope,
    CorruptDatabaseError,
    InvalidProfileError,
    NewerSchemaError,
    ProgressStore,
    ProgressStoreError,
    SectionMastery,
    collection_key,
    default_data_dir,
    default_db_path,
)
from interviewer.schedule import DAY_SECONDS, RELEARN_SECONDS

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000.0

NASTY = (
    'He said "hi", then, left;\nnew line\r\nCRLF | pipe || <script>alert(1)</script> '
    "& &lt; ``` fence ```` \\| back\\slash *bold* _u_ [x](javascript:alert(1)) "
    "\x00nul\ttab 中文 'quote' ="
)


def att(profile: str, qid: str, score: float | None, at: float, *, kind: str = "answer",
        section: str = "机器学习基础", title: str | None = None, answer: str = "我的回答",
        session: str = "s1", **extra: object) -> Attempt:
    """A test attempt with sensible defaults."""
    return Attempt(
        id=None, profile=profile, question_id=qid, section=section,
        question_title=title if title is not None else f"Title of {qid}", answer=answer,
        score=score, band=extra.pop("band", None),  # type: ignore[arg-type]
        components=extra.pop("components", {}),  # type: ignore[arg-type]
        kind=kind, session_id=session, created_at=at, **extra,  # type: ignore[arg-type]
    )


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of this virtualenv."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, timeout=timeout, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "progress.sqlite3"


@pytest.fixture
def store(db: Path) -> ProgressStore:
    return ProgressStore(db)


# ---------------------------------------------------------------- basics


def test_open_creates_folders_and_configures_sqlite(db: Path) -> None:
    store = ProgressStore(db)
    assert db.is_file()
    assert store.schema_version() == progress.SCHEMA_VERSION == 6
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 6
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert {"attempts", "review_states", "review_states_by_due", "attempts_by_uuid"} <= tables


def test_record_round_trips_every_field(store: ProgressStore) -> None:
    a = att("alice", "q1", 72.5, T0, band="good", components={"coverage": 0.7, "语义": 81.0},
            kind="followup", answer=NASTY, title="L0、L1、L2 | 区别")
    new_id = store.record(a)
    assert isinstance(new_id, int) and a.id == new_id
    [got] = store.history("alice", "q1")
    assert got == a  # every field, including uuid, components and the nasty answer


def test_recording_the_same_uuid_twice_does_not_duplicate(store: ProgressStore) -> None:
    a = att("alice", "q1", 90, T0)
    first = store.record(a)
    again = store.record(att("alice", "q1", 90, T0, uuid=a.uuid))
    assert again == first
    assert len(store.history("alice", "q1")) == 1
    assert store.review_states("alice")["q1"].repetitions == 1


def test_invalid_attempts_are_rejected_clearly(store: ProgressStore) -> None:
    with pytest.raises(ProgressStoreError, match="kind"):
        store.record(att("alice", "q1", 50, T0, kind="guess"))
    with pytest.raises(ProgressStoreError, match="between 0 and 100"):
        store.record(att("alice", "q1", 101, T0))
    with pytest.raises(ProgressStoreError, match="finite"):
        store.record(att("alice", "q1", float("nan"), T0))
    with pytest.raises(ProgressStoreError, match="question_id"):
        store.record(att("alice", "  ", 50, T0))
    assert store.attempts("alice") == []


# ---------------------------------------------------------------- processes


def test_attempts_written_by_another_process_are_read_back(db: Path) -> None:
    run_python(
        """
        import sys
        from interviewer.progress import Attempt, ProgressStore
        store = ProgressStore(sys.argv[1])
        for i, score in enumerate([40.0, 70.0, 95.0]):
            store.record(Attempt(None, "alice", "q1", "深度学习", "BN 的作用", f"答案 {i}",
                                 score, created_at=1_700_000_000.0 + i * 86_400))
        """,
        str(db),
    )
    store = ProgressStore(db)
    history = store.history("alice", "q1")
    assert [a.answer for a in history] == ["答案 0", "答案 1", "答案 2"]
    assert [a.score for a in history] == [40.0, 70.0, 95.0]
    assert store.review_states("alice")["q1"].last_score == 95.0


def test_sigkill_right_after_record_loses_nothing(db: Path) -> None:
    ProgressStore(db)  # create first so the child starts recording immediately
    code = textwrap.dedent(
        """
        import sys, time
        from interviewer.progress import Attempt, ProgressStore
        store = ProgressStore(sys.argv[1])
        i = 0
        while True:
            i += 1
            new_id = store.record(Attempt(None, "alice", f"q{i % 7}", "ML", "t", "a" * 500,
                                          float(i % 101)))
            print(new_id, flush=True)
            if i >= 25:
                time.sleep(60)  # parked: killed below while idle after a commit
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )
    reported: list[int] = []
    try:
        assert child.stdout is not None
        while len(reported) < 25:
            line = child.stdout.readline()
            assert line, "child died before recording"
            reported.append(int(line))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    store = ProgressStore(db)
    stored_ids = {a.id for a in store.attempts("alice")}
    assert set(reported) <= stored_ids
    assert len(store.review_states("alice")) == 7
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_sigkill_during_a_burst_of_writes_keeps_every_reported_attempt(db: Path) -> None:
    ProgressStore(db)
    code = textwrap.dedent(
        """
        import sys
        from interviewer.progress import Attempt, ProgressStore
        store = ProgressStore(sys.argv[1])
        i = 0
        while True:
            i += 1
            print(store.record(Attempt(None, "bob", f"q{i % 5}", "CV", "t", "x", 55.0)),
                  flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
    )
    reported = []
    try:
        assert child.stdout is not None
        while len(reported) < 40:
            line = child.stdout.readline()
            assert line, "child died before recording"
            reported.append(int(line))
    finally:
        child.kill()  # SIGKILL while it is still writing
        child.wait(timeout=30)
    store = ProgressStore(db)
    assert set(reported) <= {a.id for a in store.attempts("bob")}


# ---------------------------------------------------------------- schema versions

# The v1 schema exactly as the first release created it. Frozen here on purpose:
# a real old file does not change when the migration code does.
V1_DDL = """
CREATE TABLE attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    profile        TEXT NOT NULL,
    question_id    TEXT NOT NULL,
    section        TEXT NOT NULL DEFAULT '',
    question_title TEXT NOT NULL DEFAULT '',
    answer         TEXT NOT NULL DEFAULT '',
    score          REAL CHECK (score IS NULL OR (score >= 0 AND score <= 100)),
    band           TEXT,
    components     TEXT NOT NULL DEFAULT '{}',
    session_id     TEXT NOT NULL DEFAULT '',
    created_at     REAL NOT NULL
);
CREATE INDEX attempts_by_question ON attempts (profile, question_id, created_at);
PRAGMA user_version = 1;
"""


def make_v1_file(path: Path) -> list[tuple]:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        ("alice", "q1", "机器学习基础", "L1 vs L2", "稀疏 vs 平滑", 95.0, "excellent",
         '{"coverage": 0.9}', "s1", T0),
        ("alice", "q1", "机器学习基础", "L1 vs L2", "second, \"better\"", 95.0, "excellent",
         "{}", "s2", T0 + DAY_SECONDS),
        ("alice", "q2", "深度学习", "BN", "no reference", None, None, "{}", "s2",
         T0 + DAY_SECONDS + 5),
        ("bob", "q1", "机器学习基础", "L1 vs L2", "不会", 10.0, "poor", "{}", "b1", T0 + 50),
    ]
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.executemany(
        "INSERT INTO attempts (profile, question_id, section, question_title, answer, score,"
        " band, components, session_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.close()
    return rows


def test_v1_file_is_migrated_in_place_without_losing_rows(db: Path) -> None:
    rows = make_v1_file(db)
    store = ProgressStore(db)
    assert store.schema_version() == 6

    alice_q1 = store.history("alice", "q1")
    assert [(a.answer, a.score, a.band, a.session_id, a.created_at) for a in alice_q1] == [
        (r[4], r[5], r[6], r[8], r[9]) for r in rows[:2]
    ]
    assert alice_q1[0].components == {"coverage": 0.9}
    everything = store.attempts("alice") + store.attempts("bob")
    assert len(everything) == len(rows)
    assert {a.kind for a in everything} == {"answer"}
    assert not any(a.reference_shown for a in everything)
    assert len({a.uuid for a in everything}) == len(rows) and all(a.uuid for a in everything)
    assert store.profiles() == ["alice", "bob"]

    # The review schedule was rebuilt from the old history.
    alice = store.review_states("alice")
    assert set(alice) == {"q1"}  # q2 was never scored
    assert alice["q1"].repetitions == 2 and alice["q1"].interval_days == 6.0
    assert store.review_states("bob")["q1"].due_at == T0 + 50 + RELEARN_SECONDS

    # New rows go in next to the old ones; reopening does not migrate again.
    store.record(att("alice", "q2", 80, T0 + 2 * DAY_SECONDS, kind="followup"))
    reopened = ProgressStore(db)
    assert len(reopened.attempts("alice")) == 4
    assert reopened.history("alice", "q2")[-1].kind == "followup"


# The v2 schema exactly as release 2 created it (v1 plus the v2 migration), frozen.
V2_DDL = V1_DDL.replace("PRAGMA user_version = 1;", "") + """
ALTER TABLE attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'answer'
    CHECK (kind IN ('answer', 'followup', 'skip', 'note'));
ALTER TABLE attempts ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX attempts_by_uuid ON attempts (uuid);
CREATE INDEX attempts_by_time ON attempts (profile, created_at);
CREATE TABLE review_states (
    profile         TEXT NOT NULL,
    question_id     TEXT NOT NULL,
    repetitions     INTEGER NOT NULL,
    interval_days   REAL NOT NULL,
    ease            REAL NOT NULL,
    due_at          REAL NOT NULL,
    last_score      REAL,
    reviewed_at     REAL NOT NULL,
    last_attempt_id INTEGER REFERENCES attempts (id) ON DELETE SET NULL,
    PRIMARY KEY (profile, question_id)
);
CREATE INDEX review_states_by_due ON review_states (profile, due_at);
PRAGMA user_version = 2;
"""


def test_v2_file_is_migrated_to_v3_keeping_rows_and_schedule(db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        ("u1", "alice", "q1", "机器学习基础", "L1 vs L2", "稀疏 vs 平滑", 95.0, "优秀", '{"coverage": 0.9}',
         "answer", "s1", T0),
        ("u2", "alice", "q2", "深度学习", "BN", "a note", None, None, "{}", "note", "s2", T0 + 5),
        ("u3", "alice", "q1", "机器学习基础", "L1 vs L2", "", None, None, "{}", "skip", "s2",
         T0 + DAY_SECONDS),
    ]  # in time order
    state = ("alice", "q1", 1, 1.0, 2.6, T0 + DAY_SECONDS + RELEARN_SECONDS, 95.0,
             T0 + DAY_SECONDS, 2)
    conn = sqlite3.connect(db)
    conn.executescript(V2_DDL)
    conn.executemany(
        "INSERT INTO attempts (uuid, profile, question_id, section, question_title, answer, score,"
        " band, components, kind, session_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("INSERT INTO review_states VALUES (?,?,?,?,?,?,?,?,?)", state)
    conn.commit()
    conn.close()

    store = ProgressStore(db)
    assert store.schema_version() == 6
    got = list(reversed(store.attempts("alice")))
    assert [(a.uuid, a.profile, a.question_id, a.section, a.question_title, a.answer, a.score,
             a.band, a.kind, a.session_id, a.created_at) for a in got] == [
        r[:8] + r[9:] for r in rows]
    assert got[0].components == {"coverage": 0.9}
    assert not any(a.reference_shown for a in got)  # untracked before v3: counted as before
    assert store.review_states("alice")["q1"] == progress.ReviewState(1, 1.0, 2.6, state[5], 95.0)
    assert store.mastery("alice") == {"q1": 95.0}

    # The new column works next to the old rows, and reopening does not migrate again.
    store.record(att("alice", "q1", 100, T0 + 2 * DAY_SECONDS, reference_shown=True))
    reopened = ProgressStore(db)
    assert reopened.schema_version() == 6
    assert [a.reference_shown for a in reopened.history("alice", "q1")] == [False, False, True]
    assert reopened.mastery("alice") == {"q1": 95.0}


# The v3 schema exactly as release 3 created it (v2 plus the v3 migration), frozen.
V3_DDL = V2_DDL.replace("PRAGMA user_version = 2;", "") + """
ALTER TABLE attempts ADD COLUMN reference_shown INTEGER NOT NULL DEFAULT 0
    CHECK (reference_shown IN (0, 1));
PRAGMA user_version = 3;
"""
BUNDLED = CollectionScope("bundled", frozenset({"q1", "q2"}))
MINE = CollectionScope("/home/me/my-questions.md", frozenset({"m1", "m2"}))


def make_v3_file(path: Path) -> list[tuple]:
    """A v3 file where alice practised the bundled collection (q1, q2) and her own one (m1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        ("u1", "alice", "q1", "机器学习基础", "L1 vs L2", "稀疏", 40.0, "需加强", "{}", "answer", "s1", T0, 0),
        ("u2", "alice", "q2", "深度学习", "BN", "", None, None, "{}", "skip", "s1", T0 + 5, 0),
        ("u3", "alice", "m1", "我的章节", "过拟合", "记住噪声", 30.0, "需加强", "{}", "answer", "s2", T0 + 10, 0),
        ("u4", "alice", "qold", "机器学习基础", "renamed since", "旧的", 50.0, None, "{}", "answer", "s1",
         T0 + 15, 0),
    ]
    conn = sqlite3.connect(path)
    conn.executescript(V3_DDL)
    conn.executemany(
        "INSERT INTO attempts (uuid, profile, question_id, section, question_title, answer, score,"
        " band, components, kind, session_id, created_at, reference_shown)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    states = [("alice", qid, 0, 0.0, 2.5, T0 + 600 + n, score, T0 + n, n + 1)
              for n, (qid, score) in enumerate([("q1", 40.0), ("q2", None), ("m1", 30.0), ("qold", 50.0)])]
    conn.executemany("INSERT INTO review_states VALUES (?,?,?,?,?,?,?,?,?)", states)
    conn.commit()
    conn.close()
    return rows


def test_v3_file_is_migrated_to_v4_and_keeps_everything_for_the_bundled_collection(db: Path) -> None:
    rows = make_v3_file(db)
    before = sqlite3.connect(db).execute("SELECT * FROM review_states ORDER BY question_id").fetchall()
    bundled = ProgressStore(db, scope=BUNDLED)
    assert bundled.schema_version() == progress.SCHEMA_VERSION == 6
    # Nothing lost: every row and every schedule is still there, unchanged.
    everything = ProgressStore(db).attempts("alice")
    assert sorted((a.uuid, a.question_id, a.answer, a.score, a.collection) for a in everything) == sorted(
        (r[0], r[2], r[5], r[6], "") for r in rows)
    with sqlite3.connect(db) as conn:
        # v6 adds planned_due_at (NULL for a state no skip set last) and replays the state a skip set last
        # (q2) from its history; the fixture's hand-written q2 state is not the one its skip gives
        after = [r[:-1] for r in conn.execute("SELECT * FROM review_states ORDER BY question_id")]
        assert [r for r in after if r[1] != "q2"] == [r for r in before if r[1] != "q2"]
        assert [r[5] for r in after if r[1] == "q2"] == [T0 + 5 + RELEARN_SECONDS]
    # Nothing hidden for the bundled collection: rows from before v4 count as its own,
    # even at a question whose heading has changed since (qold).
    assert {a.uuid for a in bundled.attempts("alice")} == {"u1", "u2", "u3", "u4"}
    assert set(bundled.review_states("alice")) == {"q1", "q2", "m1", "qold"}
    # The user's own collection sees its own questions among the old rows.
    mine = ProgressStore(db, scope=MINE)
    assert [a.uuid for a in mine.attempts("alice")] == ["u3"]
    assert mine.mastery("alice") == {"m1": 30.0}
    assert set(mine.due("alice", T0 + DAY_SECONDS)) == {"m1"}
    # New attempts carry their collection's key and stay with it.
    mine.record(att("alice", "m2", 90, T0 + DAY_SECONDS, section="我的章节"))
    bundled.record(att("alice", "q2", 80, T0 + DAY_SECONDS + 1))
    reopened = ProgressStore(db)
    assert reopened.schema_version() == 6
    keys = {a.question_id: a.collection for a in reopened.attempts("alice") if a.created_at >= T0 + DAY_SECONDS}
    assert keys == {"m2": MINE.key, "q2": "bundled"}
    assert "m2" not in ProgressStore(db, scope=BUNDLED).mastery("alice")
    assert set(ProgressStore(db, scope=MINE).mastery("alice")) == {"m1", "m2"}


# The v4 schema exactly as release 4 created it (v3 plus the v4 migration), frozen.
V4_DDL = V3_DDL.replace("PRAGMA user_version = 3;", "") + """
ALTER TABLE attempts ADD COLUMN collection TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 4;
"""


def test_v4_file_is_migrated_to_v5_keeping_rows_and_schedule(db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        ("u1", "alice", "q1", "机器学习基础", "L1 vs L2", "稀疏", 40.0, "需加强", "{}", "answer", "s1", T0, 0,
         "bundled"),
        ("u2", "alice", "q1", "机器学习基础", "L1 vs L2", "展开", 70.0, "良好", "{}", "followup", "s1", T0 + 5, 0,
         "bundled"),
    ]
    conn = sqlite3.connect(db)
    conn.executescript(V4_DDL)
    conn.executemany(
        "INSERT INTO attempts (uuid, profile, question_id, section, question_title, answer, score,"
        " band, components, kind, session_id, created_at, reference_shown, collection)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    state = ("alice", "q1", 1, 1.0, 2.4, T0 + 5 + DAY_SECONDS, 70.0, T0 + 5, 2)
    conn.execute("INSERT INTO review_states VALUES (?,?,?,?,?,?,?,?,?)", state)
    conn.commit()
    conn.close()

    store = ProgressStore(db)
    assert store.schema_version() == progress.SCHEMA_VERSION == 6
    got = list(reversed(store.attempts("alice")))
    assert [(a.uuid, a.kind, a.score, a.focus) for a in got] == [("u1", "answer", 40.0, ""),
                                                                ("u2", "followup", 70.0, "")]
    # old follow-ups were on whole questions: they keep counting, the schedule is untouched
    assert store.mastery("alice") == {"q1": 55.0}
    assert store.review_states("alice")["q1"] == progress.ReviewState(1, 1.0, 2.4, state[5], 70.0)


# The v5 schema exactly as release 5 created it (v4 plus the v5 migration), frozen.
V5_DDL = V4_DDL.replace("PRAGMA user_version = 4;", "") + """
ALTER TABLE attempts ADD COLUMN focus TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 5;
"""


def test_v5_file_is_migrated_to_v6_and_remembers_an_old_skip(db: Path) -> None:
    """Three good answers, then a skip stored by release 5 (which kept only the come-back time). After the
    migration a good answer when the skipped question comes back keeps the interval, as it does for a skip
    recorded now; the other question's state is left exactly as it was."""
    from interviewer import schedule

    db.parent.mkdir(parents=True, exist_ok=True)
    times = [T0, T0 + DAY_SECONDS, T0 + 7 * DAY_SECONDS]
    state = None
    for when in times:
        state = schedule.review(state or schedule.initial_state(when), 90.0, when)
    assert state is not None
    skipped_at = times[-1] + 60
    old_skip = (state.repetitions, state.interval_days, state.ease, skipped_at + RELEARN_SECONDS, 90.0)
    conn = sqlite3.connect(db)
    conn.executescript(V5_DDL)
    rows = [(f"u{i}", "alice", "q1", "S", "T", "a", 90.0, None, "{}", "answer", "s1", when, 0, "bundled", "")
            for i, when in enumerate(times)]
    rows.append(("u9", "alice", "q1", "S", "T", "", None, None, "{}", "skip", "s1", skipped_at, 0, "bundled", ""))
    rows.append(("u10", "alice", "q2", "S", "T", "a", 70.0, None, "{}", "answer", "s1", T0, 0, "bundled", ""))
    conn.executemany(
        "INSERT INTO attempts (uuid, profile, question_id, section, question_title, answer, score, band,"
        " components, kind, session_id, created_at, reference_shown, collection, focus)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("INSERT INTO review_states VALUES (?,?,?,?,?,?,?,?,?)", ("alice", "q1", *old_skip, skipped_at, 4))
    kept = ("alice", "q2", 1, 1.0, 2.5, T0 + DAY_SECONDS, 70.0, T0, 5)
    conn.execute("INSERT INTO review_states VALUES (?,?,?,?,?,?,?,?,?)", kept)
    conn.commit()
    conn.close()

    store = ProgressStore(db)
    assert store.schema_version() == progress.SCHEMA_VERSION == 6
    migrated = store.review_states("alice")
    assert migrated["q1"].due_at == skipped_at + RELEARN_SECONDS  # it still comes back soon
    assert migrated["q1"].planned_due_at == state.due_at  # … and the interval it interrupted is remembered
    assert migrated["q2"] == progress.ReviewState(1, 1.0, 2.5, T0 + DAY_SECONDS, 70.0)
    store.record(att("alice", "q1", 90.0, skipped_at + 11 * 60))
    after = store.review_states("alice")["q1"]
    assert (after.repetitions, after.interval_days, after.due_at) == (state.repetitions, state.interval_days,
                                                                     state.due_at)


def test_a_skip_then_a_good_answer_when_it_comes_back_is_not_a_promotion(db: Path) -> None:
    """The store keeps the skip's plan across its rows: before v6 it dropped it on save, so the answer counted
    as on time and multiplied the interval (16 days → 45)."""
    store = ProgressStore(db)
    for when in (T0, T0 + DAY_SECONDS, T0 + 7 * DAY_SECONDS):
        store.record(att("alice", "q1", 90.0, when))
    before = store.review_states("alice")["q1"]
    store.record(att("alice", "q1", None, T0 + 7 * DAY_SECONDS + 60, kind="skip"))
    store.record(att("alice", "q1", 90.0, T0 + 7 * DAY_SECONDS + 12 * 60))
    after = store.review_states("alice")["q1"]
    assert (after.interval_days, after.repetitions, after.due_at) == (before.interval_days, before.repetitions,
                                                                     before.due_at)


def test_a_followup_on_one_point_is_kept_but_neither_scheduled_nor_counted(db: Path) -> None:
    """A weak answer, then a good answer to "can you expand on 「稀疏」?": the question stays weak and due."""
    store = ProgressStore(db)
    store.record(att("alice", "q1", 21.6, T0))
    after_answer = store.review_states("alice")["q1"]
    store.record(att("alice", "q1", 84.1, T0 + 60, kind="followup", focus="稀疏"))
    assert store.review_states("alice")["q1"] == after_answer
    assert store.mastery("alice") == {"q1": 21.6}
    assert [qid for qid, _ in store.needs_work("alice", 5)] == ["q1"]
    by_focus = {a.focus: a.score for a in store.history("alice", "q1")}
    assert by_focus == {"": 21.6, "稀疏": 84.1}  # kept, with its score
    # ...and a weak point after a good answer does not reset the question either
    store.record(att("bob", "q1", 90.0, T0))
    good = store.review_states("bob")["q1"]
    store.record(att("bob", "q1", 5.0, T0 + 60, kind="followup", focus="稀疏"))
    assert store.review_states("bob")["q1"] == good and store.mastery("bob") == {"q1": 90.0}
    # rebuilding the schedule from history (out-of-order replay) gives the same answer
    store.record(att("alice", "q1", 30.0, T0 - 10))
    assert store.mastery("alice")["q1"] == pytest.approx(0.5 * 21.6 + 0.5 * 30.0)
    assert store.review_states("alice")["q1"].last_score == 21.6
    # the CSV export says which attempts were follow-ups on one point
    with open(store.export_csv("alice", db.parent / "alice.csv"), encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert sorted(r["focus"] for r in table) == ["", "", "稀疏"]
    # the Markdown report's weakest-questions row counts the attempts behind its mastery (2), not the follow-up
    report = store.export_markdown("alice", db.parent / "alice.md", now=T0 + 120).read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| 1 | "))
    assert row.endswith("| 2 |") and "Counted attempts" in report, row


def _two_collections(db: Path) -> tuple[ProgressStore, ProgressStore]:
    bundled, mine = ProgressStore(db, scope=BUNDLED), ProgressStore(db, scope=MINE)
    bundled.record(att("alice", "q1", 30, T0, section="机器学习基础", session="b1"))
    bundled.record(att("alice", "q2", 90, T0 + 1, section="深度学习", session="b1"))
    mine.record(att("alice", "m1", 20, T0 + 2, section="我的章节", session="m1"))
    mine.record(att("alice", "m2", None, T0 + 3, kind="skip", section="我的章节", session="m1"))
    return bundled, mine


def test_each_collection_reports_only_its_own_progress(db: Path, tmp_path: Path) -> None:
    bundled, mine = _two_collections(db)
    late = T0 + 30 * DAY_SECONDS
    for store, ids, sections in ((bundled, {"q1", "q2"}, {"机器学习基础", "深度学习"}),
                                 (mine, {"m1", "m2"}, {"我的章节"})):
        assert {a.question_id for a in store.attempts("alice")} == ids
        assert {s.section for s in store.section_mastery("alice")} == sections
        assert {q for q, _ in store.weakest("alice", 10)} <= ids
        assert {q for q, _ in store.needs_work("alice", 10)} <= ids
        assert set(store.due("alice", late)) == ids and set(store.review_states("alice")) == ids
        stats = store.stats("alice", now=late)
        assert (stats.attempts, stats.questions_scheduled, stats.due_now, stats.sessions) == (2, 2, 2, 1)
        report = store.export_markdown("alice", tmp_path / "r.md", now=late).read_text(encoding="utf-8")
        other = ({"Title of m1", "Title of m2", "我的章节"} if store is bundled
                 else {"Title of q1", "Title of q2", "机器学习基础"})
        assert not any(word in report for word in other), report
        with open(store.export_csv("alice", tmp_path / "r.csv"), encoding="utf-8-sig", newline="") as fh:
            assert {r["question_id"] for r in csv.DictReader(fh)} == ids
    assert bundled.stats("alice").mean_score == 60.0 and mine.stats("alice").mean_score == 20.0
    assert len(ProgressStore(db).attempts("alice")) == 4  # an unscoped store still sees everything


def test_a_question_shared_by_two_collections_shares_its_progress(db: Path) -> None:
    # ids derive from section + heading path: the same id is the same question (an edited copy)
    copy = CollectionScope("/home/me/copy-of-bundled.md", frozenset({"q1", "c9"}))
    bundled, _mine = _two_collections(db)
    assert ProgressStore(db, scope=copy).mastery("alice") == {"q1": 30.0}
    # a question whose heading changed keeps its history under the key it was recorded with
    renamed = CollectionScope("bundled", frozenset({"q1-new", "q2"}))
    assert set(ProgressStore(db, scope=renamed).mastery("alice")) == {"q1", "q2"}


def test_journaled_attempts_keep_their_collection(db: Path) -> None:
    store = ProgressStore(db, scope=MINE)
    attempt = att("alice", "m1", 70, T0)
    attempt.collection = MINE.key
    store._append_journal(progress._attempt_row(attempt))
    assert ProgressStore(db, scope=BUNDLED).attempts("alice") == []
    assert [a.collection for a in ProgressStore(db, scope=MINE).attempts("alice")] == [MINE.key]


def test_collection_key_names_the_bundled_collection_and_resolves_paths(tmp_path: Path) -> None:
    from corpus.parser import BUNDLED_COLLECTION

    assert collection_key(None) == "bundled"
    assert collection_key(BUNDLED_COLLECTION, BUNDLED_COLLECTION) == "bundled"
    mine = tmp_path / "my.md"
    assert collection_key(tmp_path / "sub" / ".." / "my.md", BUNDLED_COLLECTION) == str(mine.resolve())


def test_file_from_a_newer_version_is_refused_and_untouched(db: Path) -> None:
    ProgressStore(db).record(att("alice", "q1", 70, T0))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = sha256(db)
    with pytest.raises(NewerSchemaError) as info:
        ProgressStore(db)
    message = str(info.value)
    assert "newer version" in message and "99" in message and str(db) in message
    assert info.value.found == 99 and info.value.supported == progress.SCHEMA_VERSION
    assert sha256(db) == before
    # open_or_recover must not "recover" a perfectly good newer file.
    with pytest.raises(NewerSchemaError):
        ProgressStore.open_or_recover(db)
    assert sha256(db) == before


def test_someone_elses_sqlite_database_is_refused(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    before = sha256(db)
    with pytest.raises(ProgressStoreError, match="some other program"):
        ProgressStore(db)
    assert sha256(db) == before


# ---------------------------------------------------------------- corruption


def write_random_file(path: Path, size: int = 8192) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"NOT SQLITE" + os.urandom(size)
    path.write_bytes(data)
    return data


def test_random_bytes_file_gives_clear_error_and_is_untouched(db: Path) -> None:
    data = write_random_file(db)
    with pytest.raises(CorruptDatabaseError) as info:
        ProgressStore(db)
    message = str(info.value)
    assert str(db) in message
    assert "not a readable SQLite database" in message
    assert "left untouched" in message and "rename it" in message
    assert "open_or_recover" not in message and "ProgressStore" not in message  # no internal names
    assert db.read_bytes() == data
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_damaged_database_pages_are_detected(db: Path) -> None:
    store = ProgressStore(db)
    for i in range(50):
        store.record(att("alice", f"q{i}", 50, T0 + i, answer="x" * 300))
    del store
    raw = bytearray(db.read_bytes())
    assert raw.startswith(b"SQLite format 3\x00")
    raw[100:] = os.urandom(len(raw) - 100)  # keep the header, garble every page
    db.write_bytes(bytes(raw))
    with pytest.raises(CorruptDatabaseError, match=re.escape(str(db))):
        ProgressStore(db)
    assert db.read_bytes() == bytes(raw)


def test_open_or_recover_moves_corrupt_file_aside(db: Path) -> None:
    data = write_random_file(db)
    store, notice = ProgressStore.open_or_recover(db)
    moved = [p for p in db.parent.iterdir() if p.name.startswith(db.name + ".corrupt-")]
    assert len(moved) == 1
    assert moved[0].read_bytes() == data  # kept intact, just renamed
    assert notice is not None and str(moved[0]) in notice and "damaged" in notice
    assert store.schema_version() == 6 and store.profiles() == []
    store.record(att("alice", "q1", 80, T0))
    assert len(ProgressStore(db).attempts("alice")) == 1


def test_open_or_recover_leaves_a_good_file_alone(db: Path) -> None:
    ProgressStore(db).record(att("alice", "q1", 80, T0))
    store, notice = ProgressStore.open_or_recover(db)
    assert notice is None
    assert len(store.attempts("alice")) == 1
    assert not [p for p in db.parent.iterdir() if ".corrupt-" in p.name]


# ---------------------------------------------------------------- locking + journal

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
"""


def test_locked_database_journals_the_attempt_and_replays_it_once(db: Path) -> None:
    store = ProgressStore(db, busy_timeout=0.2)
    store.record(att("alice", "q0", 90, T0))
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdin is not None
        assert locker.stdout.readline().strip() == "locked"
        pending = att("alice", "q1", 35, T0 + 10, answer=NASTY)
        with pytest.raises(AttemptJournaled) as info:
            store.record(pending)
        assert info.value.attempt_uuid == pending.uuid
        assert "not lost" in str(info.value) and str(store.journal_path) in str(info.value)
        assert pending.id is None
        journal = store.journal_path
        assert journal == db.with_name(db.name + ".pending.jsonl")
        lines = journal.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["uuid"] == pending.uuid
        # Reading still works while locked (WAL), and opening does not fail or
        # consume the journal while the lock is held.
        assert [a.question_id for a in store.attempts("alice")] == ["q0"]
        ProgressStore(db, busy_timeout=0.2)
        assert journal.read_text(encoding="utf-8").splitlines() == lines
        # A second attempt while still locked queues behind the first.
        second = att("alice", "q3", 80, T0 + 11)
        with pytest.raises(AttemptJournaled):
            store.record(second)
        lines = journal.read_text(encoding="utf-8").splitlines()
        assert [json.loads(x)["uuid"] for x in lines] == [pending.uuid, second.uuid]
        locker.stdin.write("\n")
        locker.stdin.flush()
        assert locker.wait(timeout=30) == 0
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait()

    reopened = ProgressStore(db)  # replays on open
    [got] = reopened.history("alice", "q1")
    assert got.uuid == pending.uuid and got.answer == NASTY and got.score == 35
    assert [a.uuid for a in reopened.history("alice", "q3")] == [second.uuid]
    assert reopened.review_states("alice")["q1"].due_at == T0 + 10 + RELEARN_SECONDS
    assert journal.read_text(encoding="utf-8") == ""

    # A crash between the replay's commit and the journal truncation would
    # leave the line behind: replaying it again must not duplicate anything.
    journal.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert reopened.replay_journal() == 0
    journal.write_text(lines[0] + "\n", encoding="utf-8")
    reopened.record(att("alice", "q2", 60, T0 + 20))  # record also replays first
    assert journal.read_text(encoding="utf-8") == ""
    uuids = [a.uuid for a in reopened.attempts("alice")]
    assert len(uuids) == 4 and len(set(uuids)) == 4
    assert uuids.count(pending.uuid) == 1


def test_journal_is_replayed_by_the_next_record(db: Path) -> None:
    store = ProgressStore(db)
    early = att("alice", "q1", 90, T0)
    later = att("alice", "q1", 90, T0 + DAY_SECONDS)
    store.journal_path.write_text(
        json.dumps({**progress._attempt_row(early), "v": 1}) + "\n", encoding="utf-8")
    store.record(later)
    history = store.history("alice", "q1")
    assert [a.uuid for a in history] == [early.uuid, later.uuid]
    # Both counted, in time order: 1 day then 6 days.
    assert store.review_states("alice")["q1"].interval_days == 6.0


def test_a_failing_database_journals_the_attempt_and_says_why(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails for another reason than a lock (disk I/O error, read-only file) used to lose the
    attempt with a bare error; it now goes to the pending journal like a locked one, and is replayed once the
    database works again. Only when the journal cannot be written either is the attempt NOT saved."""
    store = ProgressStore(db)
    real_insert = progress._insert_attempt

    def failing_insert(conn, row):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(progress, "_insert_attempt", failing_insert)
    first = att("alice", "q1", 40, T0)
    with pytest.raises(AttemptJournaled, match="could not be written.*disk I/O error"):
        store.record(first)
    assert store.pending_attempts("alice") == 1
    with pytest.raises(AttemptJournaled):  # still failing: queued behind it, not lost
        store.record(att("alice", "q2", 70, T0 + 1))
    monkeypatch.setattr(progress, "_insert_attempt", real_insert)
    store.record(att("alice", "q3", 90, T0 + 2))
    assert sorted(a.question_id for a in store.attempts("alice")) == ["q1", "q2", "q3"]
    assert store.pending_attempts("alice") == 0

    monkeypatch.setattr(progress, "_insert_attempt", failing_insert)

    def no_journal(row):  # type: ignore[no-untyped-def]
        raise ProgressStoreError("disk full")

    monkeypatch.setattr(store, "_append_journal", no_journal)
    with pytest.raises(ProgressStoreError, match="NOT saved") as caught:
        store.record(att("alice", "q4", 10, T0 + 3))
    assert not isinstance(caught.value, AttemptJournaled)


def test_torn_journal_line_is_set_aside_not_fatal(db: Path) -> None:
    store = ProgressStore(db)
    good = att("alice", "q1", 70, T0)
    store.journal_path.write_text(
        json.dumps({**progress._attempt_row(good), "v": 1}) + "\n" + '{"uuid": "abc", "prof',
        encoding="utf-8")
    assert store.replay_journal() == 1
    assert [a.uuid for a in store.attempts("alice")] == [good.uuid]
    assert store.rejected_path.read_text(encoding="utf-8") == '{"uuid": "abc", "prof\n'
    assert store.journal_path.read_text(encoding="utf-8") == ""


def test_journal_line_of_a_newer_format_is_kept_aside_not_replayed(db: Path) -> None:
    store = ProgressStore(db)
    current = att("alice", "q1", 70, T0)
    unversioned = att("alice", "q2", 80, T0 + 1)  # no "v": read as the current format
    future = att("alice", "q3", 90, T0 + 2)  # parseable today, but its fields may mean something else
    future_line = json.dumps({**progress._attempt_row(future), "v": progress._JOURNAL_FORMAT + 1},
                             sort_keys=True)
    store.journal_path.write_text(
        json.dumps({**progress._attempt_row(current), "v": progress._JOURNAL_FORMAT}) + "\n"
        + future_line + "\n" + json.dumps(progress._attempt_row(unversioned)) + "\n",
        encoding="utf-8")
    assert store.pending_attempts("alice") == 2
    assert store.replay_journal() == 2
    assert sorted(a.uuid for a in store.attempts("alice")) == sorted([current.uuid, unversioned.uuid])
    assert store.rejected_path.read_text(encoding="utf-8") == future_line + "\n"  # kept as written
    assert store.journal_path.read_text(encoding="utf-8") == ""


def test_out_of_order_attempt_rebuilds_the_schedule(store: ProgressStore) -> None:
    store.record(att("alice", "q1", 90, T0 + DAY_SECONDS))
    store.record(att("alice", "q1", 90, T0))  # arrives late, e.g. from the journal
    state = store.review_states("alice")["q1"]
    assert state.repetitions == 2 and state.interval_days == 6.0
    assert state.due_at == T0 + DAY_SECONDS + 6 * DAY_SECONDS


# ---------------------------------------------------------------- queries


def test_profiles_are_isolated(store: ProgressStore) -> None:
    store.record(att("alice", "q1", 20, T0, answer="alice's answer"))
    store.record(att("bob", "q1", 95, T0, answer="bob's answer"))
    store.record(att("bob", "q2", 50, T0 + 1))
    assert store.profiles() == ["alice", "bob"]
    assert [a.answer for a in store.history("alice", "q1")] == ["alice's answer"]
    assert [a.profile for a in store.attempts("bob")] == ["bob", "bob"]
    assert set(store.review_states("alice")) == {"q1"}
    assert store.review_states("alice")["q1"].last_score == 20
    assert store.review_states("bob")["q1"].last_score == 95
    assert store.weakest("alice", 5) == [("q1", 20.0)]
    assert store.due("alice", T0 + 3600) == ["q1"]
    assert store.due("bob", T0 + 3600) == ["q2"]
    assert store.stats("alice", T0).attempts == 1
    assert store.section_mastery("alice")[0].attempts == 1
    assert store.history("carol", "q1") == [] and store.review_states("carol") == {}


@pytest.mark.parametrize(
    "bad", ["", "   ", "\t\n", "a" * 65, "line\nbreak", "nul\x00", "tab\tname",
            "bell\x07", "rtl\u202eevil", None, 42],
)
def test_invalid_profile_names_are_refused_kindly(store: ProgressStore, bad: object) -> None:
    with pytest.raises(InvalidProfileError) as info:
        store.record(att(bad, "q1", 50, T0))  # type: ignore[arg-type]
    assert isinstance(info.value, ProgressStoreError)
    assert re.search(r"profile name", str(info.value), re.I)
    with pytest.raises(InvalidProfileError):
        store.attempts(bad)  # type: ignore[arg-type]
    assert store.profiles() == []


def test_profile_names_are_normalised(store: ProgressStore) -> None:
    store.record(att("  张三  ", "q1", 50, T0))
    store.record(att("张三", "q2", 60, T0))
    store.record(att("e\u0301", "q1", 60, T0))  # e + combining accent == é
    store.record(att("a" * 64, "q1", 60, T0))   # exactly the limit is fine
    assert store.profiles() == sorted(["张三", "\u00e9", "a" * 64])
    assert len(store.attempts("张三")) == 2
    assert len(store.attempts("\u00e9")) == 1


def test_history_and_attempts_ordering(store: ProgressStore) -> None:
    for i, at in enumerate([T0 + 30, T0 + 10, T0 + 20]):
        store.record(att("alice", "q1", 50 + i, at))
    assert [a.created_at for a in store.history("alice", "q1")] == [T0 + 10, T0 + 20, T0 + 30]
    assert [a.created_at for a in store.attempts("alice")] == [T0 + 30, T0 + 20, T0 + 10]
    assert [a.created_at for a in store.attempts("alice", limit=2)] == [T0 + 30, T0 + 20]
    assert store.attempts("alice", limit=0) == []


def test_skip_is_due_soon_but_not_a_failure_and_notes_do_nothing(store: ProgressStore) -> None:
    store.record(att("alice", "q1", 90, T0))
    store.record(att("alice", "q1", None, T0 + 2 * DAY_SECONDS, kind="skip"))
    state = store.review_states("alice")["q1"]
    assert state.due_at == T0 + 2 * DAY_SECONDS + RELEARN_SECONDS
    assert state.repetitions == 1 and state.last_score == 90  # not reset
    assert store.mastery("alice") == {"q1": 90.0}             # skip not counted

    store.record(att("alice", "q2", None, T0, kind="skip"))   # skipping a new question
    assert store.due("alice", T0 + RELEARN_SECONDS) == ["q2"]
    assert "q2" not in store.mastery("alice")

    store.record(att("alice", "q3", None, T0, kind="note", answer="look up later"))
    store.record(att("alice", "q4", None, T0, kind="answer"))  # unscored answer
    assert set(store.review_states("alice")) == {"q1", "q2"}
    stats = store.stats("alice", now=T0 + 3 * DAY_SECONDS)
    assert (stats.attempts, stats.scored_attempts, stats.skips, stats.notes) == (5, 1, 2, 1)
    assert stats.questions_attempted == 1 and stats.questions_scheduled == 2
    assert stats.due_now == 2 and stats.mean_score == 90.0


def test_weakest_uses_recency_weighted_mastery(store: ProgressStore) -> None:
    store.record(att("alice", "improved", 20, T0))
    store.record(att("alice", "improved", 100, T0 + 1))     # 0.5*100 + 0.5*20 = 60
    store.record(att("alice", "slipping", 100, T0))
    store.record(att("alice", "slipping", 30, T0 + 1))      # 0.5*30 + 0.5*100 = 65
    store.record(att("alice", "strong", 95, T0))
    store.record(att("alice", "weak", 25, T0))
    store.record(att("alice", "weak", 35, T0 + 1, kind="followup"))  # 30
    store.record(att("alice", "skipped", None, T0, kind="skip"))
    mastery = store.mastery("alice")
    assert mastery == pytest.approx({"improved": 60.0, "slipping": 65.0, "strong": 95.0,
                                     "weak": 30.0})
    assert [q for q, _ in store.weakest("alice", 3)] == ["weak", "improved", "slipping"]
    assert store.weakest("alice", 10)[-1] == ("strong", 95.0)
    assert store.weakest("alice", 2, question_ids=["strong", "slipping", "nope"]) == [
        ("slipping", pytest.approx(65.0)), ("strong", 95.0)]
    assert store.weakest("alice", 0) == []


def test_answer_after_seeing_the_reference_is_kept_but_not_counted(store: ProgressStore,
                                                                   tmp_path: Path) -> None:
    store.record(att("alice", "q1", 40, T0, section="深度学习"))
    pasted = att("alice", "q1", 100, T0 + 60, section="深度学习", band="优秀",
                 answer="the reference, pasted", reference_shown=True)
    store.record(pasted)
    # nothing is lost: the attempt, its score and the flag are all stored
    reopened = ProgressStore(store.path)
    assert reopened.history("alice", "q1")[-1] == pasted
    # ... but it is not a success: mastery, mean score and sections ignore it
    assert reopened.mastery("alice") == {"q1": 40.0}
    assert reopened.weakest("alice", 5) == [("q1", 40.0)]
    assert reopened.section_mastery("alice") == [
        SectionMastery("深度学习", attempted_questions=1, attempts=1, mean_score=40.0, mastery=40.0)]
    stats = reopened.stats("alice", now=T0 + 60)
    assert (stats.scored_attempts, stats.reference_seen, stats.mean_score) == (2, 1, 40.0)
    # ... and the schedule treats it as a failed recall: back in 10 minutes
    state = reopened.review_states("alice")["q1"]
    assert state.repetitions == 0 and state.due_at == T0 + 60 + RELEARN_SECONDS
    assert state.last_score == 100.0
    # a question only ever answered after seeing the reference has no mastery at all
    store.record(att("alice", "q2", 100, T0, reference_shown=True))
    assert "q2" not in store.mastery("alice") and store.due("alice", T0 + RELEARN_SECONDS) == ["q2"]
    # replayed history (out of order) keeps treating it as seen
    store.record(att("alice", "q2", 100, T0 - 60))
    assert store.review_states("alice")["q2"].due_at == T0 + RELEARN_SECONDS
    # the flag survives the pending journal and shows in both exports
    journaled = att("alice", "q3", 90, T0 + 5, reference_shown=True)
    store.journal_path.write_text(
        json.dumps({**progress._attempt_row(journaled), "v": 1}) + "\n", encoding="utf-8")
    assert store.replay_journal() == 1
    [got] = store.history("alice", "q3")
    assert (got.uuid, got.score, got.reference_shown) == (journaled.uuid, 90.0, True)
    assert "q3" not in store.mastery("alice")
    with open(store.export_csv("alice", tmp_path / "a.csv"), encoding="utf-8-sig", newline="") as fh:
        flags = {(r["question_id"], r["score"]): r["reference_shown"] for r in csv.DictReader(fh)}
    assert flags[("q1", "40")] == "0" and flags[("q1", "100")] == "1"
    md = store.export_markdown("alice", tmp_path / "a.md", now=T0).read_text(encoding="utf-8")
    assert md.count("after seeing the reference, not counted") == 3
    assert "answered after seeing the reference: 3" in md
    with pytest.raises(ProgressStoreError, match="reference_shown"):
        store.record(att("alice", "q1", 50, T0, reference_shown="yes"))


def test_needs_work_lists_only_questions_below_the_bar(store: ProgressStore, tmp_path: Path) -> None:
    store.record(att("alice", "perfect", 100, T0, title="Perfect one"))
    store.record(att("alice", "good", progress.NEEDS_WORK_BELOW, T0, title="Good one"))
    store.record(att("alice", "weak", 30, T0, title="Weak one"))
    store.record(att("alice", "shaky", 64, T0, title="Shaky one"))
    assert store.needs_work("alice", 10) == [("weak", 30.0), ("shaky", 64.0)]
    assert store.needs_work("alice", 1) == [("weak", 30.0)]
    assert [q for q, _ in store.weakest("alice", 10)] == ["weak", "shaky", "good", "perfect"]  # unchanged
    md = store.export_markdown("alice", tmp_path / "a.md", now=T0).read_text(encoding="utf-8")
    weakest = md.split("Weakest questions")[1].split("##")[0]
    assert "Weak one" in weakest and "Shaky one" in weakest
    assert "Perfect one" not in weakest and "Good one" not in weakest
    # when everything practised is strong, the report says so instead of listing strong questions
    store.record(att("bob", "perfect", 100, T0, title="Perfect one"))
    md = store.export_markdown("bob", tmp_path / "b.md", now=T0).read_text(encoding="utf-8")
    weakest = md.split("Weakest questions")[1].split("##")[0]
    assert "Perfect one" not in weakest and progress.NOTHING_NEEDS_WORK in weakest
    assert "No scored answers yet" not in weakest


def test_needs_work_bar_is_where_the_scorers_good_band_starts() -> None:
    from interviewer.scoring import BANDS

    assert (progress.NEEDS_WORK_BELOW, "良好") in BANDS


def test_due_is_ordered_by_due_time_and_filterable(store: ProgressStore) -> None:
    store.record(att("alice", "passed", 80, T0))                   # due T0 + 1 day
    store.record(att("alice", "failed", 10, T0 + 100))             # due T0 + 700
    store.record(att("alice", "skipped", None, T0 + 50, kind="skip"))  # due T0 + 650
    store.record(att("alice", "noted", None, T0, kind="note"))     # never scheduled
    assert store.due("alice", T0) == []
    assert store.due("alice", T0 + 660) == ["skipped"]
    assert store.due("alice", T0 + 2 * DAY_SECONDS) == ["skipped", "failed", "passed"]
    assert store.due("alice", T0 + 2 * DAY_SECONDS, question_ids={"passed", "failed"}) == [
        "failed", "passed"]


def test_section_mastery(store: ProgressStore) -> None:
    store.record(att("alice", "a1", 40, T0, section="深度学习"))
    store.record(att("alice", "a1", 80, T0 + 1, section="深度学习"))  # mastery 60
    store.record(att("alice", "a2", 100, T0, section="深度学习"))     # mastery 100
    store.record(att("alice", "b1", 30, T0, section="机器学习基础"))
    store.record(att("alice", "c1", None, T0, section="计算机视觉", kind="note"))
    assert store.section_mastery("alice") == [
        SectionMastery("机器学习基础", attempted_questions=1, attempts=1, mean_score=30.0,
                       mastery=30.0),
        SectionMastery("深度学习", attempted_questions=2, attempts=3,
                       mean_score=pytest.approx(220 / 3), mastery=80.0),
    ]


def test_answered_sections_include_answers_that_do_not_count(tmp_path: Path) -> None:
    """A section whose only answer came after seeing the reference has no mastery, yet it was practised:
    answers, follow-ups and notes make a section answered (counted or not); skips do not; other profiles and
    collections are left out like everywhere else."""
    store = ProgressStore(tmp_path / "p.sqlite3", scope=CollectionScope("bundled"))
    store.record(att("alice", "a1", 80, T0, section="机器学习基础"))
    store.record(att("alice", "b1", 95, T0, section="深度学习基础", reference_shown=True))
    store.record(att("alice", "c1", 70, T0, section="RNN&LSTM", kind="followup", focus="门控"))
    store.record(att("alice", "d1", None, T0, section="计算机视觉", kind="note"))
    store.record(att("alice", "e1", None, T0, section="经典网络", kind="skip"))
    store.record(att("bob", "f1", 50, T0, section="GAN"))
    store.record(att("alice", "g1", 50, T0, section="别的题库", collection="/elsewhere/q.md"))
    assert [s.section for s in store.section_mastery("alice")] == ["机器学习基础"]
    assert store.answered_sections("alice") == {"机器学习基础", "深度学习基础", "RNN&LSTM", "计算机视觉"}
    assert store.answered_sections("nobody") == set()


def test_exports_name_questions_as_they_are_asked_now(store: ProgressStore, tmp_path: Path) -> None:
    """Answers saved with a sub-question's own heading ("8.2 为什么不容易过拟合") are exported with the title it is
    asked by now, parent question included (``titles``); a question no longer in the collection keeps its own."""
    asked = "8. 随机森林相关 › 8.2 为什么不容易过拟合"
    store.record(att("alice", "q-rf", 30, T0, section="传统的机器学习算法", title="8.2 为什么不容易过拟合"))
    store.record(att("alice", "q-gone", 20, T0 + 1, title="旧的题目"))
    titles = {"q-rf": asked, "q-other": "不相干"}
    with open(store.export_csv("alice", tmp_path / "a.csv", titles=titles), encoding="utf-8-sig",
              newline="") as fh:
        assert {r["question_id"]: r["question_title"] for r in csv.DictReader(fh)} == {
            "q-rf": asked, "q-gone": "旧的题目"}
    md = store.export_markdown("alice", tmp_path / "a.md", now=T0 + 2, titles=titles).read_text(encoding="utf-8")
    weakest = md.split("Weakest questions")[1].split("## ")[0]
    assert "| 1 | 旧的题目 |" in weakest and f"| 2 | {asked} |" in weakest, weakest
    recent = md.split("Recent history")[1]
    assert f"— {asked}\n" in recent and "— 旧的题目\n" in recent, recent
    # without titles the recorded ones are used, as before
    with open(store.export_csv("alice", tmp_path / "b.csv"), encoding="utf-8-sig", newline="") as fh:
        assert {r["question_title"] for r in csv.DictReader(fh)} == {"8.2 为什么不容易过拟合", "旧的题目"}


def test_one_store_shared_by_many_threads(store: ProgressStore) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                store.record(att(f"user{n}", f"q{i % 4}", float(i * 6), T0 + i))
                store.due(f"user{n}", T0 + i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.profiles() == [f"user{n}" for n in range(8)]
    assert all(len(store.attempts(f"user{n}")) == 15 for n in range(8))


# ---------------------------------------------------------------- exports


def nasty_store(store: ProgressStore) -> None:
    store.record(att("alice", "q1", 35, T0, answer=NASTY, title="Bad | title\nwith <b>html</b>",
                     section="Sec | tion", band="low|band", components={"a,b": 1.0}))
    store.record(att("alice", "q2", 90, T0 + 5, answer="=HYPERLINK(\"http://evil\")"))
    store.record(att("alice", "q3", None, T0 + 9, kind="note",
                     answer="code:\n```python\nprint('x')\n```\n| a | b |"))
    store.record(att("bob", "q1", 99, T0, answer="bob secret"))


def test_export_csv_round_trips_nasty_text(store: ProgressStore, tmp_path: Path) -> None:
    nasty_store(store)
    out = store.export_csv("alice", tmp_path / "exports" / "alice.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3  # newlines inside answers did not create rows
    assert [r["question_id"] for r in rows] == ["q1", "q2", "q3"]
    assert rows[0]["answer"] == NASTY
    assert rows[0]["question_title"] == "Bad | title\nwith <b>html</b>"
    assert json.loads(rows[0]["components"]) == {"a,b": 1.0}
    assert rows[0]["score"] == "35" and rows[2]["score"] == ""
    assert rows[1]["answer"] == "'=HYPERLINK(\"http://evil\")"  # formula neutralised
    assert "bob secret" not in out.read_text(encoding="utf-8-sig")


def split_row(line: str) -> list[str]:
    """Split a Markdown table row on pipes not escaped by an odd run of backslashes."""
    cells, current, backslashes = [], "", 0
    for ch in line:
        if ch == "|" and backslashes % 2 == 0:
            cells.append(current)
            current = ""
        else:
            current += ch
        backslashes = backslashes + 1 if ch == "\\" else 0
    cells.append(current)
    return cells[1:-1]


def test_export_markdown_is_a_safe_readable_gap_report(store: ProgressStore,
                                                       tmp_path: Path) -> None:
    nasty_store(store)
    out = store.export_markdown("alice", tmp_path / "alice.md", now=T0 + 2 * DAY_SECONDS)
    text = out.read_text(encoding="utf-8")
    for heading in ("Section mastery", "Weakest questions", "Due for review",
                    "Recent history"):
        assert re.search(rf"^## .*{heading}$", text, re.M), heading
    assert "bob secret" not in text

    # Every table row has exactly as many cells as its header.
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("| --"):
            tables += 1
            width = len(split_row(line))
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(split_row(lines[j])) == width, lines[j]
                j += 1
    assert tables == 3

    # No raw HTML escapes the report, outside or inside tables.
    outside_fences = re.sub(r"(`{3,})text\n.*?\n\1", "", text, flags=re.S)
    assert "<script>" not in outside_fences and "<b>" not in outside_fences
    assert "&lt;b&gt;html&lt;/b&gt;" in outside_fences

    # Weakest table names q1 first with its escaped title; due table lists it too.
    weakest = text.split("Weakest questions")[1].split("##")[0]
    first_row = [r for r in weakest.splitlines() if r.startswith("| 1 |")][0]
    assert r"Bad \| title with &lt;b&gt;html&lt;/b&gt;" in first_row
    assert "35.0" in first_row
    due = text.split("Due for review")[1].split("##")[0]
    assert r"Bad \| title" in due

    # Answers are shown verbatim inside fences longer than any backtick run.
    fences = re.findall(r"^(`{3,})text\n(.*?)\n\1$", text, flags=re.S | re.M)
    bodies = [body for _, body in fences]
    assert any("<script>alert(1)</script>" in b and "````" in b for b in bodies)
    assert all(len(f) > max((len(r) for r in re.findall(r"`+", b)), default=0)
               for f, b in fences)
    assert any("```python" in b for b in bodies)


def test_export_counts_read_as_english(store: ProgressStore, tmp_path: Path) -> None:
    """One note is "1 note", not "1 notes"; two are "2 notes"."""
    store.record(att("alice", "q1", 70, T0))
    store.record(att("alice", "q1", None, T0 + 1, kind="note"))
    md = store.export_markdown("alice", tmp_path / "a.md", now=T0).read_text(encoding="utf-8")
    assert "- Attempts: 2 (1 scored, 0 skipped, 1 note)" in md, md
    store.record(att("alice", "q2", None, T0 + 2, kind="note"))
    md = store.export_markdown("alice", tmp_path / "a.md", now=T0).read_text(encoding="utf-8")
    assert "- Attempts: 3 (1 scored, 0 skipped, 2 notes)" in md, md
    assert progress.plural(1, "note") == "1 note" and progress.plural(0, "note") == "0 notes"


def test_export_for_a_profile_without_attempts(store: ProgressStore, tmp_path: Path) -> None:
    md = store.export_markdown("nobody", tmp_path / "n.md").read_text(encoding="utf-8")
    assert "No attempts yet" in md and "Nothing is due" in md
    with open(store.export_csv("nobody", tmp_path / "n.csv"), encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == 1  # header only


# ---------------------------------------------------------------- paths


def test_default_data_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("AI_INTERVIEW_DATA_DIR", str(tmp_path / "custom"))
    assert default_data_dir() == tmp_path / "custom"
    assert default_db_path() == tmp_path / "custom" / "progress.sqlite3"
    monkeypatch.delenv("AI_INTERVIEW_DATA_DIR")
    assert default_data_dir() == Path(platformdirs.user_data_dir("ai-interview-coach"))
    assert default_db_path().name == "progress.sqlite3"


def test_a_folder_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProgressStoreError, match="is a folder") as err:
        ProgressStore(tmp_path)
    # says what to do with options that exist (there is no option naming the database file itself)
    assert "--data-dir" in str(err.value) and "mv " in str(err.value)
    assert str(tmp_path / "progress.sqlite3" / "progress.sqlite3") not in str(err.value)
