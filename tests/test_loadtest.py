"""A small load test through the real server: 5 users × 3 answers, nothing lost, nobody sees another's session."""

from __future__ import annotations

from pathlib import Path

from interviewer.appserver import free_port, start_app, stop_app
from interviewer.loadtest import run_load


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
    assert result["lost"] == 0 and result["misfiled"] == 0
    assert result["foreign_sightings"] == 0
    assert result["distinct_profiles"] == 5
    assert result["answer_p50_ms"] is not None and result["answer_p95_ms"] >= result["answer_p50_ms"]
