"""Short-lived folders for files a user downloads (progress exports).

Why: every export used to get its own ``mkdtemp`` folder that nobody removed,
so a long-running app (a Space) slowly filled ``/tmp``. Exports now go to
fresh ``export-*`` folders under one parent, and those older than ``ttl``
seconds are pruned whenever a new one is made. Gradio copies a returned file
into its own cache (which it cleans itself), so an hour is ample for the
download.

The parent lives in the shared temp folder, so it is only used when it is a
real folder (not a symlink) owned by this user and private to it; otherwise
this process falls back to a private folder of its own. Only ``export-*``
folders are ever pruned.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

EXPORT_PARENT = Path(tempfile.gettempdir()) / "ai-interview-exports"
EXPORT_TTL_S = 3600.0
_PREFIX = "export-"
_fallback_lock = threading.Lock()
_fallback: dict[str, Path] = {}  # requested parent → this process's private replacement


def _is_private_folder(path: Path) -> bool:
    """A real directory (not a symlink) owned by this user, with no access for others."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owner_ok and (info.st_mode & 0o077) == 0


def usable_parent(parent: Path = EXPORT_PARENT) -> Path:
    """``parent`` if it is (or can be made) a private folder of ours, else a private fallback."""
    try:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass
    if _is_private_folder(parent):
        return parent
    with _fallback_lock:  # someone else's folder or a symlink: never write into it or prune it
        key = str(parent)
        if key not in _fallback or not _is_private_folder(_fallback[key]):
            _fallback[key] = Path(tempfile.mkdtemp(prefix="ai-interview-exports-"))
        return _fallback[key]


def prune_export_folders(parent: Path, ttl: float = EXPORT_TTL_S, now: float | None = None) -> int:
    """Remove ``export-*`` folders under ``parent`` older than ``ttl`` seconds; returns how many went."""
    now = time.time() if now is None else now
    removed = 0
    try:
        children = list(parent.iterdir())
    except OSError:
        return 0
    for child in children:
        try:
            if not child.name.startswith(_PREFIX) or child.is_symlink() or not child.is_dir():
                continue
            if now - child.stat().st_mtime <= ttl:
                continue
        except OSError:  # removed by another thread or process meanwhile
            continue
        shutil.rmtree(child, ignore_errors=True)
        removed += 0 if child.exists() else 1
    return removed


def fresh_export_folder(parent: Path = EXPORT_PARENT, ttl: float = EXPORT_TTL_S) -> Path:
    """A new, private folder for one export; prunes expired siblings first."""
    home = usable_parent(parent)
    prune_export_folders(home, ttl)
    return Path(tempfile.mkdtemp(prefix=_PREFIX, dir=home))
