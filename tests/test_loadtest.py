"""A small load test through the real server: 5 users × 3 answers, nothing lost, nobody sees another's session."""

from __future__ import annotations

import socket
from pathlib import Path

from interviewer.loadtest import run_load, start_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_five_users_three_answers(bundled_index, session_data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    proc = start_server(session_data_dir, port)  # the session's bundled index is reused, not rebuilt
    try:
        result = run_load(f"http://127.0.0.1:{port}/", session_data_dir / "progress.sqlite3",
                          users=5, answers_each=3, max_seconds=600)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert result["errors"] == 0, result["error_samples"]
    assert result["sent"] == 15
    assert result["lost"] == 0 and result["misfiled"] == 0
    assert result["foreign_sightings"] == 0
    assert result["distinct_profiles"] == 5
    assert result["answer_p50_ms"] is not None and result["answer_p95_ms"] >= result["answer_p50_ms"]
