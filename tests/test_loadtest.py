"""A small load test through the real server: 5 users × 3 answers, nothing lost, nobody sees another's session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from interviewer.appserver import free_port, start_app, stop_app
from interviewer.loadtest import UserRun, answer_marker, check_database, run_load


def test_answers_are_matched_by_marker_not_by_count(tmp_path: Path) -> None:
    """A duplicated row does not hide a lost one, and an answer whose request failed still counts as sent."""
    alice = UserRun(0, "zq00xabcdef", profile="web-" + "a" * 32)
    bob = UserRun(1, "zq01x012345", profile="web-" + "b" * 32)
    # alice sent 3 answers: #0 recorded twice, #1 lost, #2 recorded. bob sent 2 (the 2nd request failed, unrecorded).
    alice.sent_markers = [answer_marker(alice.marker, i) for i in range(3)]
    bob.sent_markers = [answer_marker(bob.marker, i) for i in range(2)]
    db = tmp_path / "progress.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE attempts (profile TEXT, answer TEXT, kind TEXT)")
    conn.executemany("INSERT INTO attempts VALUES (?, ?, ?)", [
        (alice.profile, f"过拟合 {answer_marker(alice.marker, 0)}", "answer"),
        (alice.profile, f"过拟合 {answer_marker(alice.marker, 0)}", "note"),
        (alice.profile, f"正则化 {answer_marker(alice.marker, 2)}", "followup"),
        (alice.profile, "", "skip"),  # skips are not answers
        (bob.profile, f"dropout {answer_marker(bob.marker, 0)}", "answer"),
        ("someone-else", "an earlier user's answer", "answer"),  # not this run's
    ])
    conn.commit()
    conn.close()
    # the old count-based check saw alice 3 sent / 3 rows and bob 1 sent / 1 row: nothing lost
    got = check_database(db, [alice, bob])
    assert (alice.sent, bob.sent) == (3, 2)
    assert got["recorded"] == 4
    assert got["lost"] == 2  # alice #1, bob #1
    assert got["duplicated"] == 1  # alice #0
    assert got["misfiled"] == 0
    # answer #1 is not mistaken for #10 (a marker is matched whole)
    alice.sent_markers = [answer_marker(alice.marker, 1)]
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO attempts VALUES (?, ?, 'answer')", (alice.profile, answer_marker(alice.marker, 10)))
    conn.commit()
    conn.close()
    assert check_database(db, [alice])["lost"] == 1


def test_five_users_three_answers(bundled_index, session_data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start_app(session_data_dir, port)  # the session's bundled index is reused, not rebuilt
    try:
        result = run_load(f"http://127.0.0.1:{port}/", session_data_dir / "progress.sqlite3",
                          users=5, answers_each=3, max_seconds=600)
    finally:
        stop_app(proc)
    assert result["errors"] == 0, result["error_samples"]
    assert result["sent"] == 15
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["misfiled"] == 0
    assert result["recorded"] == result["sent"]  # each answer in exactly one row, and no other row of this run
    assert result["foreign_sightings"] == 0
    assert result["distinct_profiles"] == 5 and result["users_with_profile"] == 5
    assert result["answer_p50_ms"] is not None and result["answer_p50_ms"] > 0
