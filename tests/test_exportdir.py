"""Export folders are private, fresh per export, and only expired export folders are pruned."""

from __future__ import annotations

import os
import time
from pathlib import Path

from interviewer.exportdir import fresh_export_folder, prune_export_folders


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_each_export_gets_its_own_private_folder(tmp_path: Path) -> None:
    parent = tmp_path / "exports"
    a = fresh_export_folder(parent)
    b = fresh_export_folder(parent)
    assert a != b and a.parent == parent and b.parent == parent
    assert oct(a.stat().st_mode & 0o777) == "0o700"  # other local users cannot read a profile's answers
    assert oct(parent.stat().st_mode & 0o777) == "0o700"


def test_expired_export_folders_are_pruned_and_everything_else_kept(tmp_path: Path) -> None:
    parent = tmp_path / "exports"
    old = fresh_export_folder(parent, ttl=60)
    (old / "ai-interview-progress.csv").write_text("answer\n", encoding="utf-8")
    recent = fresh_export_folder(parent, ttl=60)
    unrelated = parent / "someone-elses-folder"
    unrelated.mkdir()
    _age(old, 7200)
    _age(unrelated, 7200)
    newest = fresh_export_folder(parent, ttl=60)
    assert not old.exists()
    assert recent.is_dir() and newest.is_dir() and unrelated.is_dir()


def test_a_symlinked_parent_is_neither_followed_nor_pruned(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    (victim / "export-important").mkdir(parents=True)
    _age(victim / "export-important", 7200)
    trap = tmp_path / "exports"
    trap.symlink_to(victim, target_is_directory=True)
    folder = fresh_export_folder(trap, ttl=60)
    assert (victim / "export-important").is_dir()  # nothing behind the link was touched
    assert victim not in folder.parents and trap not in folder.parents
    assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"


def test_a_parent_readable_by_others_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "exports"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    folder = fresh_export_folder(shared)
    assert shared not in folder.parents


def test_pruning_a_missing_parent_is_harmless(tmp_path: Path) -> None:
    assert prune_export_folders(tmp_path / "never-created") == 0
