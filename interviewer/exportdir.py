"""Short-lived folders for files a user downloads (progress exports).

Why: every export used to get its own ``mkdtemp`` folder that nobody removed,
so a long-running app (a Space) slowly filled ``/tmp``. Exports now go to
fresh folders under one parent, and folders older than ``ttl`` seconds are
pruned whenever a new one is made. Gradio copies a returned file into its own
cache (which it cleans itself), so an hour is ample for the download.

>>> import tempfile, pathlib
>>> parent = pathlib.Path(tempfile.mkdtemp())
>>> folder = fresh_export_folder(parent)
>>> folder.parent == parent and folder.is_dir()
True
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

EXPORT_PARENT = Path(tempfile.gettempdir()) / "ai-interview-exports"
EXPORT_TTL_S = 3600.0


def prune_export_folders(parent: Path, ttl: float = EXPORT_TTL_S, now: float | None = None) -> int:
    """Remove folders under ``parent`` last modified more than ``ttl`` seconds ago; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    try:
        children = list(parent.iterdir())
    except OSError:
        return 0
    for child in children:
        try:
            if child.is_dir() and now - child.stat().st_mtime > ttl:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        except OSError:  # removed by another thread or process meanwhile
            continue
    return removed


def fresh_export_folder(parent: Path = EXPORT_PARENT, ttl: float = EXPORT_TTL_S) -> Path:
    """A new, private folder for one export; prunes expired siblings first."""
    parent.mkdir(parents=True, exist_ok=True)
    prune_export_folders(parent, ttl)
    return Path(tempfile.mkdtemp(prefix="export-", dir=parent))
