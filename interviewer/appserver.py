"""Start the real web app (``python app.py``) in a subprocess, for load tests and benchmarks.

One place for what both need: a free loopback port, the environment that points
the app at a data folder, the server log in a file (a full pipe would stall the
server), waiting for the first HTTP 200, and stopping it again.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(data_dir: Path, port: int, env: Mapping[str, str] | None = None,
              timeout: float = 600.0) -> subprocess.Popen[bytes]:
    """Start ``app.py`` on ``port`` with its data in ``data_dir``; return once it answers HTTP 200.

    ``env`` adds or overrides variables (``AI_INTERVIEW_MODEL``, ...). The server's
    output goes to ``data_dir/app-server.log``, quoted in the error if it exits early.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "AI_INTERVIEW_DATA_DIR": str(data_dir), "GRADIO_SERVER_PORT": str(port),
                "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    log_path = data_dir / "app-server.log"
    log_start = log_path.stat().st_size if log_path.exists() else 0  # quote this run only
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=full_env,
                                stdout=subprocess.DEVNULL, stderr=log)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                with log_path.open("rb") as fh:
                    fh.seek(log_start)
                    err = fh.read().decode("utf-8", "replace")[-2000:]
                raise RuntimeError(f"app.py exited with status {proc.returncode}: {err}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        return proc
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"app.py did not answer on port {port} within {timeout:.0f}s")
    except BaseException:  # also Ctrl-C while waiting: never leave a server behind
        if proc.poll() is None:
            stop_app(proc)
        raise


def stop_app(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Terminate the server, killing it if it does not exit within ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
