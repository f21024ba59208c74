"""Hugging Face Spaces readiness: README front matter, requirements pins, the app entry point and address."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _front_matter() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with a '---' YAML front matter block (Spaces reads it)"
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def _pins(lines: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*==\s*([A-Za-z0-9_.+\-]+)", line)
        assert m, f"not an exact pin: {line!r}"
        pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_front_matter_fields() -> None:
    fm = _front_matter()
    assert isinstance(fm.get("title"), str) and fm["title"].strip()
    assert isinstance(fm.get("emoji"), str) and fm["emoji"].strip()
    assert fm.get("sdk") == "gradio"
    assert fm.get("app_file") == "app.py" and (ROOT / "app.py").is_file()
    assert re.fullmatch(r"3\.\d+", str(fm.get("python_version"))), fm.get("python_version")
    assert fm.get("colorFrom") and fm.get("colorTo")
    assert len(str(fm.get("short_description", ""))) <= 60  # Spaces rejects longer descriptions


def test_sdk_version_matches_pins_and_installed_gradio() -> None:
    fm = _front_matter()
    requirements = _pins((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    project = _pins(_pyproject()["project"]["dependencies"])
    assert str(fm["sdk_version"]) == requirements["gradio"] == project["gradio"] == version("gradio")


def test_python_version_satisfies_requires_python() -> None:
    fm = _front_matter()
    requires = _pyproject()["project"]["requires-python"]
    m = re.fullmatch(r">=\s*3\.(\d+)", requires.strip())
    assert m, requires
    assert int(str(fm["python_version"]).split(".")[1]) >= int(m.group(1))


def test_requirements_equal_pyproject_runtime_pins() -> None:
    requirements = _pins((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    project = _pins(_pyproject()["project"]["dependencies"])
    assert requirements == project
    for name, pinned in project.items():  # and the environment the tests run in has exactly those
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_app_file_has_entry_point() -> None:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"build_app", "main"} <= functions
    guards = [node for node in tree.body if isinstance(node, ast.If)
              and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)]
    assert guards and "main()" in ast.unparse(guards[-1])


@pytest.mark.parametrize("env, expected", [
    ({}, ("127.0.0.1", 7860)),
    ({"SPACE_ID": "user/space"}, ("0.0.0.0", 7860)),
    ({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "9001"}, ("0.0.0.0", 9001)),
    ({"SPACE_ID": "user/space", "GRADIO_SERVER_NAME": "127.0.0.2"}, ("127.0.0.2", 7860)),
])
def test_server_address(env: dict[str, str], expected: tuple[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SPACE_ID", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sys.path.insert(0, str(ROOT))
    try:
        import app
    finally:
        sys.path.remove(str(ROOT))
    assert app.server_address() == expected


def test_bad_port_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    sys.path.insert(0, str(ROOT))
    try:
        import app
    finally:
        sys.path.remove(str(ROOT))
    with pytest.raises(SystemExit, match="GRADIO_SERVER_PORT"):
        app.server_address()
