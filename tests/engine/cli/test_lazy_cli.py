"""The CLI registers its commands lazily: ``--help`` and the light commands import only what
they use, and every help text is the one the eagerly built parser gives."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import COMMANDS, build_parser, registered_helps

REPO = Path(__file__).resolve().parents[3]

HEAVY = ("vectorbt", "plotly")
"""Never imported by the commands below."""

PROBE = """
import contextlib, io, json, sys
from engine.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main({argv!r})
    except SystemExit as exc:
        code = exc.code
tops = sorted({{m.split(".")[0] for m in sys.modules}})
cmds = sorted(m for m in sys.modules if m.startswith("engine.cli.") and m.endswith("_cmd"))
print(json.dumps({{"code": code, "tops": tops, "cmds": cmds, "out": out.getvalue()}}))
"""


def _probe(argv: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_help_imports_no_command_module_nor_pandas() -> None:
    res = _probe(["--help"])
    assert res["code"] == 0
    assert res["cmds"] == []
    assert not {"pandas", "numpy", "numba", *HEAVY} & set(res["tops"])
    for c in COMMANDS:
        assert c.name in res["out"] and c.help in res["out"]


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "status"],
        ["data", "show", "WALCL", "--as-of", "2024-01-05"],
        ["explain", "2024-01-19"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_light_commands_never_import_vectorbt_or_plotly(argv: list[str]) -> None:
    res = _probe(argv)
    assert res["code"] == 0 and res["out"]
    assert not set(HEAVY) & set(res["tops"]), res["tops"]
    module = next(c.module for c in COMMANDS if c.name == argv[0])
    assert res["cmds"] == [module]  # only the module of the command that runs


def _paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    """Every command path of an eagerly built parser: (), ("data",), ("data", "status"), ..."""
    out = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _paths(sub, (*prefix, name))
    return out


def _help(argv: list[str], eager: bool) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        build_parser(eager=eager).parse_args([*argv, "--help"])
    assert exc.value.code == 0
    return buf.getvalue()


def test_every_help_text_is_the_eager_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    paths = _paths(build_parser(eager=True))
    assert ("data", "status") in paths and ("sweep",) in paths and len(paths) >= 11
    for path in paths:
        lazy, eager = _help(list(path), False), _help(list(path), True)
        assert lazy == eager, path
        assert lazy.startswith("usage: runoff"), path


def test_the_registry_gives_each_command_the_help_its_module_declares() -> None:
    assert registered_helps() == {c.name: c.help for c in COMMANDS}


def test_an_unknown_command_is_an_argparse_error() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["backtset"])
    assert exc.value.code == 2
    assert "invalid choice: 'backtset'" in err.getvalue()
