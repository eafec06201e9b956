"""The README tells the truth: every ``runoff`` line of its code blocks runs, and its strategy
TOML example loads.

The commands are read from the README when the tests are collected, so a line added later is
run too. Each runs in-process through :func:`engine.cli.main`, in a temporary folder (files it
writes land there) with an empty download cache (the shared fixture). What differs from typing
it in a shell, and why:

- ``backtest`` and ``sweep`` lines without ``--start`` run on 2023-2024
  (:data:`SHORT_WINDOW`): the whole history would make the test suite minutes longer;
- ``data update`` talks to a local HTTP server that serves the bundled files
  (``RUNOFF_FRED_CSV_URL``; Yahoo and Stooq point at it too and answer 404): tests never reach
  the network;
- a line with ``--fail-on-stale`` must exit 3 (the bundled data has a stale DTB3), every other
  line 0.

Lines left out: those of :data:`LEFT_OUT` (none today); ``make`` lines and the Python block are
not ``runoff`` commands.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import tomllib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from data.paths import SNAPSHOT_DIR
from engine.cli import main
from strategies import parse_strategy
from tests.local_http import local_server

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

SHORT_WINDOW = ("--start", "2023-01-01", "--end", "2024-12-31")
"""Appended to the slow commands below when the line gives no ``--start``."""
SHORTENED = ("backtest", "sweep")
LEFT_OUT: dict[str, str] = {}
"""Line prefix -> why the line is not run."""
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    return re.findall(r"^```([^\n]*)\n(.*?)^```", text, flags=re.S | re.M)


def runoff_lines(text: str) -> list[str]:
    """Every ``runoff`` command line of the code blocks (``$ `` prompts removed, backslash
    continuations joined, ``VAR=value`` prefixes kept)."""
    out = []
    for _, body in code_blocks(text):
        for line in body.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            words = shlex.split(line, comments=True) if line else []
            while words and _ENV.match(words[0]):
                words = words[1:]
            if words and words[0] == "runoff":
                out.append(line)
    return out


LINES = runoff_lines(README.read_text(encoding="utf-8"))


def test_the_readme_has_commands_to_run() -> None:
    assert len(LINES) >= 10
    assert any("--sample" in ln for ln in LINES) and any("--grid-only" in ln for ln in LINES)
    assert any(ln.startswith("runoff data update") and "--json" in ln for ln in LINES)


def test_the_line_reader() -> None:
    text = (
        "```bash\nmake run   # not runoff\nrunoff a b  # note\nX=1 runoff c \\\n  d\n```\n"
        "```console\n$ runoff e\nrunoff: error: output, not a command\n```\n"
    )
    assert runoff_lines(text) == ["runoff a b  # note", "X=1 runoff c    d", "runoff e"]


def _serve_snapshot(h: BaseHTTPRequestHandler) -> None:
    """fredgraph.csv?id=SERIES: the bundled file of SERIES."""
    sid = parse_qs(urlsplit(h.path).query).get("id", [""])[0]
    path = SNAPSHOT_DIR / f"{sid}.csv"
    body = path.read_bytes() if sid.isalnum() and path.is_file() else b"no such series"
    h.send_response(200 if path.is_file() else 404)
    h.send_header("Content-Type", "text/csv")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


@pytest.mark.parametrize("line", LINES)
def test_readme_command_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix, why in LEFT_OUT.items():
        if line.startswith(prefix):
            pytest.fail(f"listed as left out ({why}) but still collected")  # pragma: no cover
    words = shlex.split(line, comments=True)
    while _ENV.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    argv = words[1:]
    command = next(w for w in argv if not w.startswith("-"))
    if command in SHORTENED and "--start" not in argv:
        argv += SHORT_WINDOW
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with local_server() as server, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        server.routes["/fredgraph.csv"] = _serve_snapshot
        monkeypatch.setenv("RUNOFF_FRED_CSV_URL", f"{server.url}/fredgraph.csv")
        monkeypatch.setenv("RUNOFF_YAHOO_URL", f"{server.url}/yahoo")
        monkeypatch.setenv("RUNOFF_STOOQ_URL", f"{server.url}/stooq")
        code = main(argv)
    expected = 3 if "--fail-on-stale" in argv else 0
    assert code == expected, f"{line}: exit {code}\n{err.getvalue()[-2000:]}"
    assert out.getvalue().strip(), f"{line}: printed nothing"
    assert "runoff: error" not in err.getvalue()


def test_lines_left_out_are_still_in_the_readme() -> None:
    for prefix in LEFT_OUT:
        assert any(ln.startswith(prefix) for ln in LINES), prefix  # pragma: no cover


def test_the_strategy_example_loads() -> None:
    """The README's TOML block (overlay keys included) is a valid strategy."""
    (toml,) = [body for lang, body in code_blocks(README.read_text()) if lang.strip() == "toml"]
    s = parse_strategy(tomllib.loads(toml), "README.md")
    assert s.name == "my_rule"
    (o,) = s.overlays
    assert (o.feature, o.slope, o.center) == ("y10_minus_y2", 0.1, 0.5)
    assert s.cash_rate == "DTB3" and s.sweep
