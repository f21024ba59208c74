"""The command line's messages: help texts, folder vs file, counts in good English, collection warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _folder_with_odd_files(tmp_path: Path) -> Path:
    """A collection folder with a GB18030 file (read, with a warning) and an empty one (skipped, with one)."""
    folder = tmp_path / "col"
    folder.mkdir()
    (folder / "a.md").write_text("## 基础\n\n### 什么是过拟合\n\n训练集好、测试集差。\n", encoding="utf-8")
    (folder / "b.md").write_bytes("## 其他\n\n### 什么是梯度\n\n导数的方向。\n".encode("gb18030"))
    (folder / "c.md").write_text("", encoding="utf-8")
    return folder


def test_practice_help_explains_mode_and_seed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["practice", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    mode = out.split("--mode")[-1].split("--count")[0]
    assert "weakest" in mode and "due" in mode and "default" in mode and "order" in mode, mode
    seed = out.split("--seed SEED")[-1]
    assert "random" in seed and "same" in seed, seed


def test_eval_of_a_folder_says_it_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "retrieval", str(tmp_path), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not a file" in err and "not found" not in err, err


def test_collection_warnings_are_printed_once_by_every_command_that_loads_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder_with_odd_files(tmp_path)
    data = tmp_path / "d"
    for argv in (["stats"], ["progress"]):
        assert main([*argv, "--corpus", str(folder), "--data-dir", str(data)]) == 0
        err = capsys.readouterr().err
        assert err.count("b.md is not UTF-8") == 1 and err.count("c.md is empty") == 1, (argv, err)


def test_search_on_a_folder_with_odd_files_prints_its_warnings(tmp_path: Path) -> None:
    folder = _folder_with_odd_files(tmp_path)
    out = subprocess.run([sys.executable, "-m", "interviewer", "search", "过拟合", "--corpus", str(folder),
                          "--data-dir", str(tmp_path / "d")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "过拟合" in out.stdout
    assert out.stderr.count("b.md is not UTF-8") == 1 and out.stderr.count("c.md is empty") == 1, out.stderr


def test_a_collection_of_details_blocks_loads_and_odd_ones_fail_kindly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's file of topic <details> blocks is read as questions; a broken one is a message, not a traceback."""
    topics = tmp_path / "topics.md"
    topics.write_text("<details><summary>Batch Normalization</summary>按 batch 归一化。</details>\n"
                      "<details><summary><b>Dropout</b></summary>随机失活。</details>\n"
                      "<details><summary>维数灾难</summary>\n高维稀疏。\n</detail>\n", encoding="utf-8")
    assert main(["stats", "--json", "--corpus", str(topics), "--data-dir", str(tmp_path / "d")]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["questions"], out["answered"]) == (2, 2)
    assert out["warnings"] == [f"topics.md:3: <details> block is never closed (no </details>), so its question is "
                               f"read as text. Close it with </details>. / <details> 没有闭合，未作为题目。"]
    broken = tmp_path / "broken.md"
    broken.write_text("<details><summary>Batch Normalization</summary>\n按 batch 归一化。\n", encoding="utf-8")
    assert main(["stats", "--json", "--corpus", str(broken), "--data-dir", str(tmp_path / "d")]) == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out.strip().splitlines()[-1])["error"]
    assert "never closed" in error and "</details>" in error and "Traceback" not in captured.err
