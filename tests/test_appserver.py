"""Starting the real app for load tests and benchmarks: a failed start says why, from this run's log."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.appserver import free_port, start_app


def test_failed_start_quotes_this_runs_log_only(tmp_path: Path) -> None:
    (tmp_path / "app-server.log").write_text("OUTPUT OF AN EARLIER RUN\n", encoding="utf-8")
    with pytest.raises(RuntimeError) as failure:
        start_app(tmp_path, free_port(), env={"AI_INTERVIEW_CORPUS": str(tmp_path / "missing.md")}, timeout=120)
    message = str(failure.value)
    assert "exited with status" in message and "missing.md" in message
    assert "EARLIER RUN" not in message
