"""Durable file-system steps shared by the index store and the progress journal.

Why: a rename or a newly created file is only safe from a power cut once its
folder is synced too; both stores need that one step, so it lives here, free
of heavy imports (the progress-only commands never load faiss or numpy).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable.

    Best effort: some systems cannot open or sync a folder, and then there is
    nothing more to do.
    """
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
