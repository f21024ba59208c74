"""Load test: simulated users answering through the real web server over loopback.

``python -m interviewer.loadtest --users 20 --answers 10`` starts ``app.py``
(or uses ``--url``), then each simulated user — its own ``gradio_client``
connection, so its own server-side session and profile — starts an interview,
submits ``--answers`` answers (moving on after each, follow-ups included) and
reads its progress. The run is bounded by ``--max-seconds`` and stops by
itself. It reports errors (should be 0), p50/p95 latency per answer, and checks:

* every answer sent is recorded in SQLite exactly once, under that user's profile: each
  answer carries its own marker, and every marker sent — including one whose request
  failed — must appear in exactly one row (``lost``: in none, ``duplicated``: in several);
* no user saw another's session: each user's chat holds only its own answers
  (every answer carries a per-user marker) and its profile is its own.

With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .appserver import start_app, stop_app

ROOT = Path(__file__).resolve().parent.parent
_PROFILE = re.compile(r"web-[0-9a-f]{32}")
_ANSWER_MARKER = re.compile(r"zq\d+x[0-9a-f]{6}n\d+")
"""One answer's marker: its user's marker (``zq<user>x<6 hex>``), ``n`` and the answer's number."""


def answer_marker(user_marker: str, i: int) -> str:
    """The marker of a user's ``i``-th answer (Markdown-inert; matched whole by :data:`_ANSWER_MARKER`)."""
    return f"{user_marker}n{i}"


@dataclass
class UserRun:
    """What one simulated user did and saw."""

    number: int
    marker: str
    profile: str | None = None
    sent_markers: list[str] = field(default_factory=list)
    """The marker of every answer sent (its request started), whether or not the response came back."""
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign_markers: set[str] = field(default_factory=set)

    @property
    def sent(self) -> int:
        return len(self.sent_markers)


def _answers() -> list[str]:
    path = ROOT / "eval" / "scoring.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [r[2] for r in rows if len(r) >= 3 and len(r[2].strip()) > 20] or ["过拟合是指模型在训练集上表现好、测试集上差。"]


def simulate_user(url: str, run: UserRun, sections: list[str], answers: Sequence[str], count: int,
                  deadline: float, markers: set[str]) -> None:
    """One user: start an interview, answer ``count`` times, read progress."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
        client.predict(sections, "random", count, False, api_name="/start_interview")
        chat: list = []
        for i in range(count):
            if time.time() > deadline:
                run.errors.append("deadline reached")
                break
            marker = answer_marker(run.marker, i)
            text = f"{answers[(run.number * 7 + i) % len(answers)]} {marker}"
            run.sent_markers.append(marker)  # sent from here on: a failed request may still have been recorded
            started = time.perf_counter()
            out = client.predict(text, api_name="/submit_answer")
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            chat = out[0] if isinstance(out, (list, tuple)) else []
            if i + 1 < count:  # count main questions were chosen, so the interview never ends early
                nxt = client.predict(api_name="/next_question")
                chat = nxt[0] if isinstance(nxt, (list, tuple)) else chat
        seen = json.dumps(chat, ensure_ascii=False)
        run.foreign_markers = {m for m in markers if m != run.marker and m in seen}
        if run.marker not in seen and run.sent:
            run.errors.append("own answers missing from own chat")
        progress = client.predict(api_name="/progress")
        found = _PROFILE.findall(json.dumps(progress, ensure_ascii=False))
        run.profile = found[0] if found else None
        if run.profile is None:
            run.errors.append("no profile in progress view")
    except Exception as exc:  # a load test reports failures instead of stopping
        run.errors.append(f"{type(exc).__name__}: {exc}")


def check_database(db: Path, runs: list[UserRun]) -> dict[str, object]:
    """Compare what each user sent with what SQLite holds: each answer by its marker, and each user's profile.

    ``recorded``: rows carrying a marker of this run; ``lost``: answers sent but in no row;
    ``duplicated``: answers in more than one row; ``misfiled``: rows of a user's profile without its marker.
    """
    if not db.is_file():
        raise RuntimeError(f"no progress database at {db}: is --data-dir the server's data folder?")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT profile, answer FROM attempts WHERE kind IN ('answer', 'followup', 'note')"
        ).fetchall()
    finally:
        conn.close()
    by_profile: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    user_markers = {run.marker for run in runs}
    recorded = 0
    for profile, answer in rows:
        by_profile.setdefault(profile, []).append(answer)
        found = _ANSWER_MARKER.findall(answer or "")
        seen.update(found)
        recorded += any(m.rsplit("n", 1)[0] in user_markers for m in found)
    sent = [m for run in runs for m in run.sent_markers]
    mixed = 0
    for run in runs:
        mixed += sum(1 for a in by_profile.get(run.profile or "", []) if run.marker not in a)
    profiles = [r.profile for r in runs if r.profile]
    return {"recorded": recorded, "lost": sum(1 for m in sent if seen[m] == 0),
            "duplicated": sum(1 for m in sent if seen[m] > 1), "misfiled": mixed,
            "distinct_profiles": len(set(profiles)), "users_with_profile": len(profiles)}


def run_load(url: str, db: Path, users: int, answers_each: int, max_seconds: float) -> dict[str, object]:
    from corpus.parser import load_collection

    sections = [s.title for s in load_collection().sections if s.question_ids]
    pool = _answers()
    runs = [UserRun(i, f"zq{i:02d}x{os.urandom(3).hex()}") for i in range(users)]  # Markdown-inert markers
    markers = {r.marker for r in runs}
    deadline = time.time() + max_seconds
    threads = [threading.Thread(target=simulate_user, args=(url, r, sections, pool, answers_each, deadline, markers),
                                daemon=True) for r in runs]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.time() + 30))
    elapsed = time.perf_counter() - started
    latencies = [x for r in runs for x in r.latencies_ms]
    errors = [f"user {r.number}: {e}" for r in runs for e in r.errors]
    unfinished = sum(1 for t in threads if t.is_alive())
    db_check = check_database(db, runs)
    return {
        "users": users, "answers_each": answers_each, "sent": sum(r.sent for r in runs),
        "errors": len(errors) + unfinished, "error_samples": errors[:5],
        "answer_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "answer_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "elapsed_s": round(elapsed, 1),
        "throughput_answers_per_s": round(len(latencies) / elapsed, 2) if elapsed else None,
        "foreign_sightings": sum(len(r.foreign_markers) for r in runs),
        **db_check,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interviewer.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--url", default=None, help="an already running app (its data dir must be --data-dir)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="data folder of the server (default: a new temporary folder)")
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.users < 1 or args.answers < 1:
        parser.error("--users and --answers must be at least 1")
    if args.url is not None and args.data_dir is None:
        parser.error("--url needs --data-dir: the running server's data folder, whose progress.sqlite3 is checked")
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="loadtest-")
        data_dir = Path(tmp.name)
    proc = None
    try:
        url = args.url
        if url is None:
            print(f"starting app.py on port {args.port} (data: {data_dir}) …", file=sys.stderr)
            proc = start_app(data_dir, args.port)
            url = f"http://127.0.0.1:{args.port}/"
        result = run_load(url, data_dir / "progress.sqlite3", args.users, args.answers, args.max_seconds)
    finally:
        if proc is not None:
            stop_app(proc, grace=15)
        if tmp is not None:
            tmp.cleanup()
    print(f"{result['users']} users × {result['answers_each']} answers: sent {result['sent']}, "
          f"recorded {result['recorded']}, lost {result['lost']}, duplicated {result['duplicated']}, "
          f"misfiled {result['misfiled']}, "
          f"errors {result['errors']}, foreign sightings {result['foreign_sightings']}\n"
          f"answer latency p50 {result['answer_p50_ms']} ms, p95 {result['answer_p95_ms']} ms; "
          f"{result['throughput_answers_per_s']} answers/s over {result['elapsed_s']} s")
    for sample in result["error_samples"]:  # type: ignore[union-attr]
        print(f"  error: {sample}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    ok = (result["errors"] == 0 and result["lost"] == 0 and result["duplicated"] == 0 and result["misfiled"] == 0
          and result["foreign_sightings"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
