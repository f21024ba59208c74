"""Export folders are private, fresh per export, and expired ones are pruned."""

from __future__ import annotations

import os
import time
from pathlib import Path

from interviewer.exportdir import fresh_export_folder, prune_export_folders


def test_each_export_gets_its_own_folder(tmp_path: Path) -> None:
    a = fresh_export_folder(tmp_path)
    b = fresh_export_folder(tmp_path)
    assert a != b and a.parent == tmp_path and b.parent == tmp_path
    assert oct(a.stat().st_mode & 0o777) == "0o700"  # other local users cannot read a profile's answers


def test_expired_folders_are_pruned_and_recent_ones_kept(tmp_path: Path) -> None:
    old = fresh_export_folder(tmp_path, ttl=60)
    (old / "ai-interview-progress.csv").write_text("answer\n", encoding="utf-8")
    recent = fresh_export_folder(tmp_path, ttl=60)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    newest = fresh_export_folder(tmp_path, ttl=60)
    assert not old.exists()
    assert recent.is_dir() and newest.is_dir()


def test_pruning_a_missing_parent_is_harmless(tmp_path: Path) -> None:
    assert prune_export_folders(tmp_path / "never-created") == 0
