"""The command line, run as a user runs it: ``python -m interviewer …`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, data_dir: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interviewer", *args, "--data-dir", str(data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_stats_of_the_bundled_collection(tmp_path: Path) -> None:
    out = run("stats", "--json", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["title"] == "AI 问题合集"
    assert data["questions"] == data["answered"] + data["unanswered"]
    assert data["headings"] == 202
    assert data["unanswered"] > 0 and data["answered"] > data["unanswered"]
    human = run("stats", data_dir=tmp_path)
    assert "机器学习基础" in human.stdout and "unanswered" in human.stdout
    assert "202 question headings in all" in human.stdout
    # the per-section columns line up on screen although section names mix wide (CJK) and narrow characters
    from interviewer.columns import display_width

    rows = [line for line in human.stdout.splitlines() if line.startswith("  ") and "answered" in line]
    assert len(rows) > 5 and len({display_width(r.split(" question")[0].rstrip("s ")) for r in rows}) == 1
    one = tmp_path / "one.md"
    one.write_text("## 基础\n\n### 什么是过拟合\n\n训练集好、测试集差。\n", encoding="utf-8")
    assert "1 section with questions, 1 question (" in run("stats", "--corpus", str(one), data_dir=tmp_path).stdout


def test_search_and_eval_on_the_bundled_index(bundled_index, session_data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = run("search", "what is dropout", "--k", "3", "--json", data_dir=session_data_dir)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(data["results"]) == 3
    assert "Dropout" in data["results"][0]["question"]
    assert data["results"][0]["passages"][0]["location"].startswith("ai_questions.md:")

    # text: says when no heading matches the query words (as the web app does), and only then
    weak = run("search", "IoU", "--k", "2", data_dir=session_data_dir)
    assert weak.returncode == 0 and "No question's heading matches your words" in weak.stdout, weak.stdout
    strong = run("search", "dropout 原理", "--k", "2", data_dir=session_data_dir)
    assert "Dropout" in strong.stdout and "heading matches" not in strong.stdout

    tsv = tmp_path / "r.tsv"
    tsv.write_text("随机失活的原理\tDropout 原理\nwhat is the curse of dimensionality\t维数灾难\n", encoding="utf-8")
    ev = run("eval", "retrieval", str(tsv), "--json", data_dir=session_data_dir)
    assert ev.returncode == 0, ev.stderr
    metrics = json.loads(ev.stdout.strip().splitlines()[-1])
    assert set(metrics) == {"recall@1", "recall@3", "mrr", "n"} and metrics["n"] == 2
    assert 0.0 <= metrics["recall@1"] <= metrics["recall@3"] <= 1.0
    tsv.write_text("随机失活的原理\tDropout 原理\n", encoding="utf-8")
    one = run("eval", "retrieval", str(tsv), data_dir=session_data_dir)
    assert one.returncode == 0 and "(1 query, " in one.stdout, one.stdout + one.stderr


def test_eval_file_errors_name_the_line(bundled_index, session_data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("fine query\tDropout 原理\nno tab here\nquery\tthis heading does not exist\n", encoding="utf-8")
    ev = run("eval", "retrieval", str(tsv), "--json", data_dir=session_data_dir)
    assert ev.returncode == 2
    assert f"{tsv}:2" in ev.stderr and f"{tsv}:3" in ev.stderr
    assert "Traceback" not in ev.stderr


@pytest.mark.parametrize("args, message", [
    (["stats", "--corpus", "/no/such/place.md"], "Collection not found"),
    (["search", "  "], "Empty query"),
    (["search", "x", "--k", "0"], "--k must be at least 1"),
    (["eval", "retrieval", "/no/such.tsv"], "file not found"),
    (["stats", "--section-level", "9"], "between 1 and 6"),
    (["practice", "-n", "abc"], "must be a whole number of questions, e.g. -n 5 (got 'abc')"),
    (["practice", "-n", "0"], "must be at least 1 (got 0)"),
    (["practice", "--profile", "  "], "invalid --profile"),
    (["progress", "--profile", "a\tb"], "invalid --profile"),
    (["progress", "--export", "report.txt"], "--export must end in .md or .csv"),
])
def test_user_errors_are_friendly(args: list[str], message: str, tmp_path: Path) -> None:
    out = run(*args, data_dir=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert "ready" not in out.stderr  # refused before loading the model and index


def test_with_json_an_error_is_the_last_line_of_stdout_too(tmp_path: Path) -> None:
    out = run("search", "  ", "--json", data_dir=tmp_path)
    assert out.returncode == 2 and "Empty query" in out.stderr
    assert "Empty query" in json.loads(out.stdout.strip().splitlines()[-1])["error"]
    usage = run("search", "x", "--k", "abc", "--json", data_dir=tmp_path)  # an argparse error too
    assert usage.returncode == 2 and "--k" in json.loads(usage.stdout.strip().splitlines()[-1])["error"]


def test_a_data_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("notes", encoding="utf-8")
    out = run("search", "dropout", "--json", data_dir=not_a_folder)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "is a file, not a folder" in json.loads(out.stdout.strip().splitlines()[-1])["error"]
    assert not_a_folder.read_text(encoding="utf-8") == "notes"


def test_progress_needs_no_model_or_index(tmp_path: Path) -> None:
    """`progress` on a fresh data folder reports at once: it used to build the whole search index first."""
    out = run("progress", data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "no answers yet" in out.stdout
    assert (tmp_path / "progress.sqlite3").is_file() and not (tmp_path / "index").exists()


def test_a_damaged_progress_database_says_what_happened_where_and_what_to_do(tmp_path: Path) -> None:
    corpus = tmp_path / "c.md"
    corpus.write_text("## 基础\n\n### 什么是过拟合\n\n训练集好、测试集差。\n", encoding="utf-8")
    data = tmp_path / "my data"
    data.mkdir()
    damaged = data / "progress.sqlite3"
    damaged.write_bytes(b"this is not a database" * 300)
    out = run("progress", "--corpus", str(corpus), data_dir=data)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "damaged" in out.stderr and str(damaged) in out.stderr
    assert f"mv '{damaged}' '{damaged}.corrupt-" in out.stderr and "--data-dir" in out.stderr
    assert "open_or_recover" not in out.stderr and "ProgressStore" not in out.stderr
    assert damaged.read_bytes() == b"this is not a database" * 300  # untouched


def test_binary_corpus_is_refused_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "notes.md"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    out = run("stats", "--corpus", str(bad), data_dir=tmp_path)
    assert out.returncode == 2 and "binary" in out.stderr and str(bad) in out.stderr


def test_build_of_a_small_collection_then_reuse(tmp_path: Path) -> None:
    corpus = tmp_path / "c.md"
    corpus.write_text("## 基础\n\n### 什么是过拟合\n\n训练集好、测试集差。\n", encoding="utf-8")
    first = run("build", "--corpus", str(corpus), data_dir=tmp_path / "d")
    assert first.returncode == 0, first.stderr
    assert "Built index" in first.stdout and "embedding" in first.stderr  # progress is visible
    assert "Scorer ready" in first.stdout  # the scorer's reference vectors are made (and cached) by build too
    second = run("build", "--corpus", str(corpus), data_dir=tmp_path / "d")
    assert "Loaded up-to-date index" in second.stdout and "0 embedded" in second.stdout
