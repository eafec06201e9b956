"""``make test`` on a fresh machine: .ci/ensure-chromium installs chromium or says how to."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "ensure-chromium"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"


def _tool(folder: Path, name: str, body: str) -> None:
    f = folder / name
    f.write_text(f"#!{BASH}\n{body}\n")
    f.chmod(0o755)


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)], env={"PATH": str(path)}, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH with no chromium: only the tools each test adds."""
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def test_present_chromium_is_left_alone(fake_bin: Path) -> None:
    _tool(fake_bin, "chromium", "exit 0")
    _tool(fake_bin, "apt-get", "exit 99")
    res = _run(fake_bin)
    assert res.returncode == 0 and res.stderr == "" and res.stdout == ""


def test_missing_chromium_is_installed_as_root_with_apt_get(fake_bin: Path) -> None:
    log = fake_bin.parent / "apt.log"
    _tool(fake_bin, "id", "echo 0")
    _tool(
        fake_bin,
        "apt-get",
        f'echo "$DEBIAN_FRONTEND $*" >> {log}\n'
        f'if [ "$1" = install ]; then printf "#!{BASH}\\nexit 0\\n" > {fake_bin}/chromium; '
        f"{CHMOD} +x {fake_bin}/chromium; fi",
    )
    res = _run(fake_bin)
    assert res.returncode == 0, res.stderr
    assert log.read_text().splitlines() == [
        "noninteractive update -qq",
        "noninteractive install -y -qq chromium",
    ]
    assert (fake_bin / "chromium").exists()


@pytest.mark.parametrize(
    ("tools", "needle"),
    [
        ({"id": "echo 1000", "apt-get": "exit 0"}, "sudo apt-get install chromium"),
        ({"id": "echo 0"}, "sudo apt-get install chromium"),
        ({"id": "echo 0", "apt-get": "exit 100"}, "'apt-get install chromium' failed"),
    ],
    ids=["not root", "no apt-get", "apt-get fails"],
)
def test_otherwise_one_line_says_how_to_install(
    fake_bin: Path, tools: dict[str, str], needle: str
) -> None:
    for name, body in tools.items():
        _tool(fake_bin, name, body)
    res = _run(fake_bin)
    assert res.returncode == 1 and res.stdout == ""
    errors = [ln for ln in res.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1 and needle in errors[0], res.stderr
    assert errors[0].startswith("make test: error: ")


def test_make_test_and_ci_run_use_it() -> None:
    make = (ROOT / "Makefile").read_text()
    assert "test: chromium install-dev" in make and "bash .ci/ensure-chromium" in make
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci
