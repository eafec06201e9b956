"""The bad-input corpus (issue 12): nothing bad gets in silently, no input gives a traceback.

Every case is a row of :data:`CORPUS`: a class (data file, data dir, cache, strategy,
grid, argument, download), the set-up that plants the bad input, the real CLI's
arguments (``engine.cli.main`` in-process) and what must come out. Each run asserts:

- the exit code;
- exactly one error line (``runoff: error: ...`` on stderr, or the one ``error`` finding
  of ``data verify``, or the one ``failed`` line of ``data update``; a warning case: the
  one ``unknown-file`` warning) naming the file / key / row (``needles``);
- no traceback (an exception escaping ``main`` fails the case; so does "Traceback" in
  any output);
- unchanged files: the sha256 of every file in the data dir, the cache, the snapshot
  (a private copy) and the scratch folder is the same before and after, and no file
  appeared or vanished. Named pipes are never opened, here or by Runoff (a watchdog
  alarm turns a blocked read into a failure instead of a hang).

Downloads come from a real HTTP server on 127.0.0.1 (:mod:`tests.local_http`) that
misbehaves per case; the sources are pointed at it with ``RUNOFF_<SOURCE>_URL``.

The two cases another change fixes (an empty strategy file runs as buy-and-hold; a
huge ``execution.lag`` is reported without the file and key) are not in this table.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from data import paths
from engine.cli import main
from tests.data.conftest import loopback_only
from tests.local_http import (
    Behaviour,
    LocalServer,
    gzipped,
    hang_up,
    local_server,
    redirect_loop,
    send,
    truncated,
)
from tests.strategies.test_errors import CASES as STRATEGY_CASES

FIXTURES = Path(__file__).parent / "data" / "fixtures"
WALCL_FIXTURE = (FIXTURES / "fredgraph_WALCL.csv").read_text()
WALCL_ROWS = WALCL_FIXTURE.splitlines()[1:]
YAHOO_FIXTURE = (FIXTURES / "yahoo_chart_GSPC.json").read_text()
TOMORROW = str((pd.Timestamp.now(tz="America/New_York").normalize() + pd.Timedelta(days=1)).date())

# ---------------------------------------------------------------- the case table


@dataclass
class Ctx:
    """Where a case plants its input: folders, the HTTP server, env and attributes."""

    data: Path
    cache: Path
    snap: Path
    tmp: Path
    server: LocalServer
    case: str
    monkeypatch: pytest.MonkeyPatch

    def sub(self, text: str) -> str:
        for key in ("data", "cache", "snap", "tmp"):
            text = text.replace("{" + key + "}", str(getattr(self, key)))
        return text.replace("{url}", self.server.url)

    def folder(self, where: str) -> Path:
        return getattr(self, where)


Step = Callable[[Ctx], None]


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : short name.
    klass : data-file, data-dir, cache, strategy, grid, argument or download.
    argv : the CLI's arguments; ``{data}``, ``{cache}``, ``{snap}``, ``{tmp}`` are the
        case's folders.
    setup : steps that plant the input.
    code : the expected exit code.
    needles : fragments the one error line must contain (same placeholders).
    where : ``stderr`` (one ``runoff: error:`` line, nothing on stdout), ``verify``
        (one ``error`` finding line), ``update`` (one ``failed`` line), ``warning`` (one
        ``unknown-file`` warning, exit 0), ``json-warning`` (one ``unknown_files`` entry
        in verify's JSON, or one ``runoff: warning:`` line beside status's JSON) or ``usage`` (argparse: one ``error:`` line under the usage).
    """

    id: str
    klass: str
    argv: tuple[str, ...]
    needles: tuple[str, ...]
    setup: tuple[Step, ...] = ()
    code: int = 2
    where: str = "stderr"


def put(where: str, name: str, content: str | bytes) -> Step:
    def step(c: Ctx) -> None:
        p = c.folder(where) / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            with p.open("w", encoding="utf-8", newline="") as fh:
                fh.write(content)

    return step


def fifo(where: str, name: str) -> Step:
    return lambda c: os.mkfifo(c.folder(where) / name)


def mkdir(where: str, name: str) -> Step:
    return lambda c: (c.folder(where) / name).mkdir(parents=True)


def link(where: str, name: str, target: str) -> Step:
    return lambda c: (c.folder(where) / name).symlink_to(c.sub(target))


def unix_socket(where: str, name: str) -> Step:
    def step(c: Ctx) -> None:
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(c.folder(where) / name))
        s.close()

    return step


def remove(where: str, name: str) -> Step:
    return lambda c: (c.folder(where) / name).unlink()


def setenv(name: str, value: str) -> Step:
    return lambda c: c.monkeypatch.setenv(name, c.sub(value))


def serve(source: str, behaviour: Behaviour) -> Step:
    """Route ``/<case>`` to ``behaviour`` and point ``source``'s endpoint at it."""

    def step(c: Ctx) -> None:
        path = f"/{c.case}/{source.lower()}"
        c.server.routes[path] = behaviour
        c.monkeypatch.setenv(f"RUNOFF_{source}_URL", c.server.url + path)

    return step


def fred(rows: list[str] | str, header: str = "observation_date,WALCL") -> str:
    body = rows if isinstance(rows, str) else "".join(r + "\n" for r in rows)
    return f"{header}\n{body}"


# Commands that read WALCL from the data dir.
SHOW = ("--data-dir", "{data}", "data", "show", "WALCL", "--as-of", "2024-01-10")
STATUS = ("--data-dir", "{data}", "data", "status")
VERIFY = ("--data-dir", "{data}", "data", "verify")
WALCL = "{data}/WALCL.csv"
OK2 = ["2024-01-03,7681024"]  # a good first row: the bad one is on line 3

DATA_FILES = [
    Case(
        "200 KB field",
        "data-file",
        STATUS,
        (WALCL, "line 3: 200,011 characters, more than the 4,096"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10," + "9" * 200_000])),),
    ),
    Case(
        "50 MB without a line break",
        "data-file",
        VERIFY,
        (WALCL, "line 1: 50,000,022 characters"),
        (put("data", "WALCL.csv", b"observation_date,WALCL" + b"9" * 50_000_000),),
        code=1,
        where="verify",
    ),
    Case(
        "200 KB field in show",
        "data-file",
        SHOW,
        (WALCL, "line 2: 200,011 characters"),
        (put("data", "WALCL.csv", fred(["2024-01-03," + "7" * 200_000])),),
    ),
    Case(
        "value 1e300",
        "data-file",
        ("--data-dir", "{data}", "explain", "2024-01-19"),
        (WALCL, "line 3, 2024-01-10: value 1e+300 outside the sanity bounds"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,1e300"])),),
    ),
    Case(
        "negative WALCL",
        "data-file",
        SHOW,
        (WALCL, "line 3, 2024-01-10: value -7.68671e+06 outside the sanity bounds"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,-7686710"])),),
    ),
    Case(
        "WALCL in billions",
        "data-file",
        ("--data-dir", "{data}", "regimes"),
        (WALCL, "line 3, 2024-01-10: value 7686.71 outside the sanity bounds"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,7686.71"])),),
    ),
    Case(
        "every value missing",
        "data-file",
        SHOW,
        (WALCL, "no values (every row is missing"),
        (put("data", "WALCL.csv", fred(["2024-01-03,.", "2024-01-10,"])),),
    ),
    Case(
        "date 2300-01-05 (would wrap to 1715)",
        "data-file",
        SHOW,
        (WALCL, "line 3: date 2300-01-05 is after"),
        (put("data", "WALCL.csv", fred([*OK2, "2300-01-05,7681024"])),),
    ),
    Case(
        "date 2300 in verify",
        "data-file",
        VERIFY,
        (WALCL, "line 3: date 2300-01-05 is after"),
        (put("data", "WALCL.csv", fred([*OK2, "2300-01-05,7681024"])),),
        code=1,
        where="verify",
    ),
    Case(
        "date 2099",
        "data-file",
        SHOW,
        (WALCL, "line 3: date 2099-06-03 is after", "a date in the future"),
        (put("data", "WALCL.csv", fred([*OK2, "2099-06-03,7681024"])),),
    ),
    Case(
        "date 1715",
        "data-file",
        SHOW,
        (WALCL, "line 2: date 1715-06-17 is before 1800-01-01"),
        (put("data", "WALCL.csv", fred(["1715-06-17,7681024", "2024-01-03,7681024"])),),
    ),
    Case(
        "inf",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-finite value 'inf'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,inf"])),),
    ),
    Case(
        "nan",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-finite value 'NaN'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,NaN"])),),
    ),
    Case(
        "1e400 overflows",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-finite value '1e400'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,1e400"])),),
    ),
    Case(
        "NUL byte",
        "data-file",
        SHOW,
        (WALCL, "line 3: NUL character"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,768\x006710"])),),
    ),
    Case(
        "not UTF-8",
        "data-file",
        SHOW,
        (WALCL, "line 3: not a UTF-8 text file"),
        (put("data", "WALCL.csv", fred([*OK2]).encode() + b"2024-01-10,\xff\xfe\n"),),
    ),
    Case(
        "malformed row",
        "data-file",
        SHOW,
        (WALCL, "line 3: malformed row '2024-01-10,7686710,1'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,7686710,1"])),),
    ),
    Case(
        "duplicated date",
        "data-file",
        SHOW,
        (WALCL, "line 3: duplicated date 2024-01-03"),
        (put("data", "WALCL.csv", fred([*OK2, *OK2])),),
    ),
    Case(
        "unsorted dates",
        "data-file",
        SHOW,
        (WALCL, "line 3: date out of order 2024-01-03 after 2024-01-10"),
        (put("data", "WALCL.csv", fred(["2024-01-10,7686710", *OK2])),),
    ),
    Case(
        "non-numeric value",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-numeric value 'n/a'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-01-10,n/a"])),),
    ),
    Case(
        "empty file",
        "data-file",
        SHOW,
        (WALCL, "file is empty"),
        (put("data", "WALCL.csv", ""),),
    ),
    Case(
        "header only",
        "data-file",
        SHOW,
        (WALCL, "no data rows"),
        (put("data", "WALCL.csv", "observation_date,WALCL\n"),),
    ),
    Case(
        "wrong series",
        "data-file",
        SHOW,
        (WALCL, "line 1: the file holds 'TREAST'"),
        (put("data", "WALCL.csv", fred(OK2, "observation_date,TREAST")),),
    ),
    Case(
        "slashed date",
        "data-file",
        SHOW,
        (WALCL, "line 3: bad date '2024/01/10'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024/01/10,7686710"])),),
    ),
    Case(
        "impossible date",
        "data-file",
        SHOW,
        (WALCL, "line 3: bad date '2024-02-30'"),
        (put("data", "WALCL.csv", fred([*OK2, "2024-02-30,7686710"])),),
    ),
    Case(
        "unclosed quote",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-numeric value"),
        (put("data", "WALCL.csv", fred([*OK2, '2024-01-10,"7686710', "2024-01-17,1"])),),
    ),
    Case(
        "quoted field over the line limit",
        "data-file",
        SHOW,
        (WALCL, "line 3: a quoted field of more than 4,096 characters"),
        (put("data", "WALCL.csv", fred([*OK2, '2024-01-10,"' + ("9" * 99 + "\n") * 100])),),
    ),
    Case(
        "vintage before its month ended",
        "data-file",
        ("--data-dir", "{data}", "data", "show", "SAHMREALTIME", "--as-of", "2024-08-01"),
        (
            "{data}/SAHMREALTIME.csv",
            "line 3, 2024-07-01: available_at 2024-07-20 09:00:00 is before the end",
        ),
        (
            put(
                "data",
                "SAHMREALTIME.csv",
                "observation_date,SAHMREALTIME,realtime_start\n"
                "2024-06-01,0.43,2024-07-05\n2024-07-01,0.53,2024-07-20\n",
            ),
        ),
    ),
    Case(
        "vintage dated 2300",
        "data-file",
        SHOW,
        (WALCL, "line 2: realtime_start 2300-01-04 is after"),
        (
            put(
                "data",
                "WALCL.csv",
                "observation_date,WALCL,realtime_start\n2024-01-03,7681024,2300-01-04\n",
            ),
        ),
    ),
    Case(
        "HTML error page",
        "data-file",
        SHOW,
        (WALCL, "line 1: bad header"),
        (put("data", "WALCL.csv", "<html><body>502 Bad Gateway</body></html>\n"),),
    ),
    Case(
        "extra column",
        "data-file",
        SHOW,
        (WALCL, "line 1: unexpected columns"),
        (put("data", "WALCL.csv", fred(OK2, "observation_date,WALCL,units")),),
    ),
    Case(
        "CRLF and a bad row",
        "data-file",
        SHOW,
        (WALCL, "line 3: non-numeric value 'x'"),
        (
            put(
                "data",
                "WALCL.csv",
                "observation_date,WALCL\r\n2024-01-03,7681024\r\n2024-01-10,x\r\n",
            ),
        ),
    ),
    Case(
        "5,000-character header",
        "data-file",
        SHOW,
        (WALCL, "line 1: 5,023 characters"),
        (put("data", "WALCL.csv", fred(OK2, "observation_date,WALCL" + "," * 5_001)),),
    ),
    Case(
        "index close 0",
        "data-file",
        ("--data-dir", "{data}", "explain", "2024-01-19"),
        ("{data}/GSPC.csv", "line 3: non-positive close '0'"),
        (
            put(
                "data",
                "GSPC.csv",
                "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n2024-01-22,,,,0,\n",
            ),
        ),
    ),
    Case(
        "index close 1e300",
        "data-file",
        ("--data-dir", "{data}", "data", "show", "GSPC", "--as-of", "2024-01-25"),
        ("{data}/GSPC.csv", "line 3, 2024-01-22: value 1e+300 outside the sanity bounds"),
        (
            put(
                "data",
                "GSPC.csv",
                "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n2024-01-22,,,,1e300,\n",
            ),
        ),
    ),
    Case(
        "index without close column",
        "data-file",
        ("--data-dir", "{data}", "backtest", "qt_aware"),
        ("{data}/GSPC.csv", "line 1: bad header 'date,price'"),
        (put("data", "GSPC.csv", "date,price\n2024-01-19,4839.81\n"),),
    ),
    Case(
        "index all null",
        "data-file",
        ("--data-dir", "{data}", "data", "show", "GSPC", "--as-of", "2024-01-25"),
        ("{data}/GSPC.csv", "no rows with a price in column 'close'"),
        (
            put(
                "data",
                "GSPC.csv",
                "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-19,null,null,null,null,null,null\n",
            ),
        ),
    ),
    Case(
        "target range 26%",
        "data-file",
        ("--data-dir", "{data}", "data", "show", "DFEDTARU", "--as-of", "2024-09-20"),
        ("{data}/DFEDTARU.csv", "line 3, 2024-09-19: value 26 outside the sanity bounds"),
        (
            put(
                "data", "DFEDTARU.csv", "observation_date,DFEDTARU\n2024-09-18,5.5\n2024-09-19,26\n"
            ),
        ),
    ),
    Case(
        "bad file in signals",
        "data-file",
        ("--data-dir", "{data}", "signals", "qt_aware", "--latest"),
        ("{data}/DGS10.csv", "line 3: date 2300-01-05 is after"),
        (put("data", "DGS10.csv", "observation_date,DGS10\n2024-01-03,3.91\n2300-01-05,3.9\n"),),
    ),
    Case(
        "bad file in a sweep",
        "data-file",
        (
            "--data-dir",
            "{data}",
            "sweep",
            "qt_aware",
            "--grid",
            "rebalance.band=0.05",
            "--grid-only",
        ),
        ("{data}/TREAST.csv", "line 3, 2024-01-10: value 1e+300 outside"),
        (
            put(
                "data",
                "TREAST.csv",
                "observation_date,TREAST\n2024-01-03,4800000\n2024-01-10,1e300\n",
            ),
        ),
    ),
    Case(
        "corrupted bundled file",
        "data-file",
        ("data", "show", "WALCL", "--as-of", "2024-01-10"),
        ("{snap}/WALCL.csv", "line 2: not a UTF-8 text file", "restore the bundled snapshot"),
        (put("snap", "WALCL.csv", b"observation_date,WALCL\n\x89PNG\r\n"),),
    ),
    Case(
        "bundled file missing",
        "data-file",
        ("data", "show", "WALCL", "--as-of", "2024-01-10"),
        ("{snap}/WALCL.csv", "series WALCL: no file found"),
        (remove("snap", "WALCL.csv"),),
    ),
]

DATA_DIR = [
    Case(
        "--data-dir ''",
        "data-dir",
        ("--data-dir", "", "data", "status"),
        ("--data-dir: empty folder name",),
    ),
    Case(
        "--data-dir missing",
        "data-dir",
        ("--data-dir", "{tmp}/nope", "data", "status"),
        ("data dir {tmp}/nope does not exist",),
    ),
    Case(
        "--data-dir is a file",
        "data-dir",
        ("--data-dir", "{tmp}/file.csv", "data", "show", "WALCL", "--as-of", "2024-01-10"),
        ("data dir {tmp}/file.csv does not exist or is not a folder",),
        (put("tmp", "file.csv", fred(OK2)),),
    ),
    Case(
        "--data-dir is a symlink loop",
        "data-dir",
        ("--data-dir", "{tmp}/loop", "data", "status"),
        ("data dir {tmp}/loop does not exist or is not a folder",),
        (link("tmp", "loop", "{tmp}/loop"),),
    ),
    Case(
        "entry is a directory",
        "data-dir",
        SHOW,
        (WALCL, "a directory where a data file is expected", "data-dir file"),
        (mkdir("data", "WALCL.csv"),),
    ),
    Case(
        "entry is a named pipe",
        "data-dir",
        SHOW,
        (WALCL, "a named pipe (FIFO) where a data file is expected"),
        (fifo("data", "WALCL.csv"),),
    ),
    Case(
        "named pipe in status",
        "data-dir",
        STATUS,
        (WALCL, "a named pipe (FIFO)"),
        (fifo("data", "WALCL.csv"),),
    ),
    Case(
        "named pipe in verify",
        "data-dir",
        VERIFY,
        (WALCL, "a named pipe (FIFO)"),
        (fifo("data", "WALCL.csv"),),
        code=1,
        where="verify",
    ),
    Case(
        "named pipe in backtest",
        "data-dir",
        ("--data-dir", "{data}", "backtest", "qt_aware"),
        ("{data}/GSPC.csv", "a named pipe (FIFO)"),
        (fifo("data", "GSPC.csv"),),
    ),
    Case(
        "entry is a dangling symlink",
        "data-dir",
        SHOW,
        (WALCL, "dangling symlink (points to {tmp}/gone.csv"),
        (link("data", "WALCL.csv", "{tmp}/gone.csv"),),
    ),
    Case(
        "entry is a symlink loop",
        "data-dir",
        SHOW,
        (WALCL, "symlink loop"),
        (link("data", "WALCL.csv", "{data}/WALCL.csv"),),
    ),
    Case(
        "entry is a socket",
        "data-dir",
        SHOW,
        (WALCL, "a socket where a data file is expected"),
        (unix_socket("data", "WALCL.csv"),),
    ),
    Case(
        "entry links to a directory",
        "data-dir",
        ("--data-dir", "{data}", "explain", "2024-01-19"),
        ("{data}/GSPC.csv", "a directory where a data file is expected"),
        (link("data", "GSPC.csv", "{tmp}"),),
    ),
    Case(
        "entry links to a named pipe",
        "data-dir",
        SHOW,
        (WALCL, "a named pipe (FIFO)"),
        (fifo("tmp", "pipe"), link("data", "WALCL.csv", "{tmp}/pipe")),
    ),
    Case(
        "not-bundled series as a directory",
        "data-dir",
        STATUS,
        ("{data}/WLRRAL.csv", "a directory"),
        (mkdir("data", "WLRRAL.csv"),),
    ),
    Case(
        "unknown file in status",
        "data-dir",
        STATUS,
        ("{data}/walcl.csv", "not a series of the manifest; ignored", "did you mean WALCL.csv?"),
        (put("data", "walcl.csv", fred(OK2)),),
        code=0,
        where="warning",
    ),
    Case(
        "unknown file in verify",
        "data-dir",
        VERIFY,
        (
            "{data}/MYPRICES.csv",
            "not a series of the manifest; used only as the user asset MYPRICES",
        ),
        (put("data", "MYPRICES.csv", "date,close\n2024-01-03,1\n"),),
        code=0,
        where="warning",
    ),
    Case(
        "unknown file in status --json",
        "data-dir",
        (*STATUS, "--json"),
        ("{data}/notes.txt", "not a series of the manifest"),
        (put("data", "notes.txt", "my notes\n"),),
        code=0,
        where="json-warning",
    ),
    Case(
        "unknown folder in verify --json",
        "data-dir",
        (*VERIFY, "--json"),
        ("{data}/old", "not a series of the manifest"),
        (mkdir("data", "old"),),
        code=0,
        where="json-warning",
    ),
]

CACHE_SHOW = ("data", "show", "WALCL", "--as-of", "2024-01-10")
CACHED = "{cache}/WALCL.csv"
UPDATE_WALCL = ("data", "update", "WALCL", "--source", "fred-csv", "--no-progress")

CACHE = [
    Case(
        "cached file is a directory",
        "cache",
        CACHE_SHOW,
        (CACHED, "a directory where a data file is expected", "cache file"),
        (mkdir("cache", "WALCL.csv"),),
    ),
    Case(
        "cached file is a named pipe",
        "cache",
        CACHE_SHOW,
        (CACHED, "a named pipe (FIFO)"),
        (fifo("cache", "WALCL.csv"),),
    ),
    Case(
        "cached file is a dangling symlink",
        "cache",
        CACHE_SHOW,
        (CACHED, "dangling symlink"),
        (link("cache", "WALCL.csv", "{tmp}/gone"),),
    ),
    Case(
        "cached file is a symlink loop",
        "cache",
        ("data", "status"),
        (CACHED, "symlink loop"),
        (link("cache", "WALCL.csv", "{cache}/WALCL.csv"),),
    ),
    Case(
        "cached number cut short",
        "cache",
        CACHE_SHOW,
        (
            CACHED,
            "line 3, 2024-01-10: value 768 outside the sanity bounds",
            "delete the cached file",
        ),
        (put("cache", "WALCL.csv", fred([*OK2]) + "2024-01-10,768"),),
    ),
    Case(
        "cached date 2300",
        "cache",
        ("explain", "2024-01-19"),
        (CACHED, "line 3: date 2300-01-05 is after"),
        (put("cache", "WALCL.csv", fred([*OK2, "2300-01-05,7681024"])),),
    ),
    Case(
        "cached huge line",
        "cache",
        CACHE_SHOW,
        (CACHED, "line 2: 300,011 characters"),
        (put("cache", "WALCL.csv", fred(["2024-01-03," + "1" * 300_000])),),
    ),
    Case(
        "cached binary garbage",
        "cache",
        CACHE_SHOW,
        (CACHED, "line 2: not a UTF-8 text file"),
        (put("cache", "WALCL.csv", bytes(range(256)) * 4),),
    ),
    Case(
        "cached all missing",
        "cache",
        CACHE_SHOW,
        (CACHED, "no values (every row is missing"),
        (put("cache", "WALCL.csv", fred(["2024-01-03,", "2024-01-10,."])),),
    ),
    Case(
        "cached vintages too early",
        "cache",
        ("data", "show", "UNRATE", "--as-of", "2024-08-01"),
        (
            "{cache}/UNRATE.csv",
            "line 2, 2024-06-01: available_at 2024-06-15 09:00:00 is before the end",
        ),
        (
            put(
                "cache",
                "UNRATE.csv",
                "observation_date,UNRATE,realtime_start\n2024-06-01,4.1,2024-06-15\n",
            ),
        ),
    ),
    Case(
        "cache dir is a file",
        "cache",
        CACHE_SHOW,
        ("cache dir {tmp}/cachefile is not a folder",),
        (put("tmp", "cachefile", "x"), setenv("RUNOFF_CACHE_DIR", "{tmp}/cachefile")),
    ),
    Case(
        "cache dir is a dangling symlink",
        "cache",
        ("data", "status"),
        ("cache dir {tmp}/cachelink is not a folder",),
        (link("tmp", "cachelink", "{tmp}/nowhere"), setenv("RUNOFF_CACHE_DIR", "{tmp}/cachelink")),
    ),
    Case(
        "update into a named pipe",
        "cache",
        UPDATE_WALCL,
        ("WALCL", CACHED, "a named pipe (FIFO)"),
        (fifo("cache", "WALCL.csv"), serve("FRED_CSV", send(200, WALCL_FIXTURE))),
        code=1,
        where="update",
    ),
    Case(
        "update into a directory",
        "cache",
        UPDATE_WALCL,
        ("WALCL", CACHED, "a directory"),
        (mkdir("cache", "WALCL.csv"), serve("FRED_CSV", send(200, WALCL_FIXTURE))),
        code=1,
        where="update",
    ),
    Case(
        "update with the cache dir a file",
        "cache",
        UPDATE_WALCL,
        ("WALCL", "{tmp}/cachefile: cannot use the folder"),
        (
            put("tmp", "cachefile", "x"),
            setenv("RUNOFF_CACHE_DIR", "{tmp}/cachefile"),
            serve("FRED_CSV", send(200, WALCL_FIXTURE)),
        ),
        code=1,
        where="update",
    ),
]


def _strategy_cases() -> list[Case]:
    """tests/strategies/test_errors.py's table, driven through ``runoff backtest FILE``."""
    out = []
    for name, body, key, fragment in STRATEGY_CASES:
        out.append(
            Case(
                f"strategy: {name}",
                "strategy",
                ("backtest", "{tmp}/bad.toml"),
                ("{tmp}/bad.toml: " + key, fragment),
                (put("tmp", "bad.toml", 'name = "bad"\n' + body),),
            )
        )
    return out


STRATEGIES = [
    *_strategy_cases(),
    Case(
        "strategy: TOML syntax",
        "strategy",
        ("backtest", "{tmp}/bad.toml"),
        ("{tmp}/bad.toml: invalid TOML", "line 3"),
        (put("tmp", "bad.toml", 'name = "bad"\n[allocation]\ndefault 0.5\n'),),
    ),
    Case(
        "strategy: not UTF-8",
        "strategy",
        ("backtest", "{tmp}/bad.toml"),
        ("{tmp}/bad.toml: not a UTF-8 text file",),
        (put("tmp", "bad.toml", b'name = "bad"\n\xff\xfe'),),
    ),
    Case(
        "strategy: NUL",
        "strategy",
        ("sweep", "{tmp}/bad.toml"),
        ("{tmp}/bad.toml: invalid TOML",),
        (put("tmp", "bad.toml", 'name = "b\x00ad"\n'),),
    ),
    Case(
        "strategy: a directory",
        "strategy",
        ("backtest", "{tmp}/dir.toml"),
        ("{tmp}/dir.toml: a directory where a strategy file is expected",),
        (mkdir("tmp", "dir.toml"),),
    ),
    Case(
        "strategy: a named pipe (never opened: it would block)",
        "strategy",
        ("backtest", "{tmp}/pipe.toml"),
        ("{tmp}/pipe.toml: a named pipe (FIFO) where a strategy file is expected",),
        (fifo("tmp", "pipe.toml"),),
    ),
    Case(
        "strategy: TOML nested too deeply",
        "strategy",
        ("backtest", "{tmp}/deep.toml"),
        ("{tmp}/deep.toml: invalid TOML: arrays or tables nested too deeply",),
        (put("tmp", "deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),),
    ),
    Case(
        "strategy: empty file",
        "strategy",
        ("backtest", "{tmp}/empty.toml"),
        ("{tmp}/empty.toml: the strategy file is empty",),
        (put("tmp", "empty.toml", "# nothing here\n\n"),),
    ),
    Case(
        "strategy: absurd execution lag",
        "strategy",
        ("backtest", "{tmp}/lag.toml"),
        ("{tmp}/lag.toml: execution.lag",),
        (
            put(
                "tmp",
                "lag.toml",
                'name = "lag"\n[execution]\nlag = 1000000000000000000000000000000\n',
            ),
        ),
    ),
    Case(
        "strategy: missing file",
        "strategy",
        ("signals", "qt_aware_copy.toml", "--latest"),
        ("qt_aware_copy.toml: no such strategy file",),
    ),
    Case(
        "strategy: unknown built-in",
        "strategy",
        ("backtest", "qt_awre"),
        ("unknown strategy 'qt_awre'; did you mean 'qt_aware'?",),
    ),
    Case(
        "strategy: regimes --strategy",
        "strategy",
        ("regimes", "--strategy", "{tmp}/bad.toml"),
        ("{tmp}/bad.toml: rebalanse", "did you mean 'rebalance'"),
        (put("tmp", "bad.toml", 'name = "bad"\n[rebalanse]\nband = 0.05\n'),),
    ),
    *(
        # Asset ids are resolved by the engine (data.assets): the same line from every command.
        Case(
            f"strategy: unknown asset id ({command})",
            "strategy",
            (command, "{tmp}/bad.toml", *extra),
            ("{tmp}/bad.toml: assets.treasury = 'UST11Y': unknown asset", "'UST10Y'?"),
            (put("tmp", "bad.toml", 'name = "bad"\n[assets]\ntreasury = "UST11Y"\n'),),
        )
        for command, extra in (("backtest", ()), ("sweep", ()), ("signals", ("--latest",)))
    ),
    Case(
        "strategy: a user asset without its file",
        "strategy",
        ("--data-dir", "{data}", "backtest", "{tmp}/bad.toml"),
        (
            "{tmp}/bad.toml: assets.bond = 'MYBOND': unknown asset 'MYBOND'",
            "{data}/MYBOND.csv does not exist",
        ),
        (
            put(
                "tmp",
                "bad.toml",
                'name = "bad"\n[assets]\nequity = "SP500TR"\nbond = "MYBOND"\n',
            ),
        ),
    ),
    Case(
        "strategy: --end after the equity's last price",
        "strategy",
        ("backtest", "qt_aware", "--end", "2026-08-28"),
        (
            "strategies/builtin/qt_aware.toml: assets.equity = 'SP500TR': its prices end "
            "2026-08-21, before --end 2026-08-28; use --end 2026-08-21 or earlier",
        ),
    ),
    Case(
        "strategy: an asset whose data ends before the window",
        "strategy",
        ("sweep", "{tmp}/bad.toml", "--start", "2026-03-02"),
        (
            "{tmp}/bad.toml: assets.treasury = 'IEF': its prices end 2026-01-30, before the "
            "window starts 2026-03-02",
        ),
        (
            put(
                "tmp",
                "bad.toml",
                'name = "bad"\n[assets]\nequity = "SP500TR"\ntreasury = "IEF"\n',
            ),
        ),
    ),
]


def _grid(name: str, option: str, *needles: str) -> Case:
    return Case(f"grid: {name}", "grid", ("sweep", "qt_aware", "--grid", option), needles)


GRIDS = [
    _grid("no '='", "balance_sheet.window_weeks", "--grid", "expected KEY=V1,V2"),
    _grid("no key", "=8,13", "expected KEY=V1,V2"),
    _grid(
        "empty list",
        "balance_sheet.window_weeks=",
        "--grid balance_sheet.window_weeks",
        "empty list",
    ),
    _grid("empty value", "balance_sheet.window_weeks=8,,13", "empty value"),
    _grid("two-part range", "balance_sheet.window_weeks=8:26", "expected a range START:STOP:STEP"),
    _grid("step 0", "balance_sheet.window_weeks=8:26:0", "expected step > 0"),
    _grid("empty range", "balance_sheet.window_weeks=26:8:1", "the range is empty"),
    _grid("non-number start", "weights.contraction=a:1:0.1", "start = 'a': expected a number"),
    _grid(
        "misspelled key", "balance_sheet.window_week=8", "did you mean 'balance_sheet.window_weeks'"
    ),
    _grid("unknown rule weight", "weights.contractoin=0.5", "did you mean 'weights.contraction'"),
    _grid("string setting", "rebalance.frequency=D,W", "not sweepable"),
    _grid(
        "float for int",
        "balance_sheet.window_weeks=8.5,13",
        "value 8.5 (position 0): expected an integer",
    ),
    _grid(
        "inf for int",
        "balance_sheet.window_weeks=1e400",
        "value inf (position 0): expected an integer",
    ),
    _grid("nan", "rebalance.band=nan", "value nan (position 0): expected a finite number"),
    _grid("look-ahead lag", "execution_lag=0,1", "look-ahead"),
    _grid("negative fees", "costs.fees=-0.001", "[0, 1)"),
    _grid("weight above 1", "weights.contraction=0.5,1.2", "outside [0, 1]"),
    _grid(
        "invalid regime combination",
        "balance_sheet.expand_exit=0.02,0.06",
        "balance_sheet.expand_exit=0.06 is invalid",
    ),
    Case(
        "grid: role weights summing above 1",
        "grid",
        ("sweep", "yield_phase", "--grid", "weights.recession=0.2,0.5"),
        ("allocation.rules[4] sum to up to 1.1", "cash is 1 - the sum"),
    ),
    Case(
        "grid: a role's bound above 1",
        "grid",
        ("sweep", "yield_phase", "--grid", "max_weight.treasury=0.6,1.2"),
        ("--grid max_weight.treasury", "value 1.2 (position 1): outside [0, 1]"),
    ),
    Case(
        "grid: weight of a role without its asset",
        "grid",
        ("sweep", "qt_aware", "--grid", "weights.contraction.treasury=0.2"),
        ("unknown sweep key", "weights.contraction"),
    ),
    Case(
        "grid: key given twice",
        "grid",
        ("sweep", "qt_aware", "--grid", "costs.fees=0", "--grid", "costs.fees=0.001"),
        ("costs.fees", "given twice"),
    ),
    Case(
        "grid: a billion combinations",
        "grid",
        (
            "sweep",
            "qt_aware",
            "--grid-only",
            "--grid",
            "weights.contraction=0:1:0.001",
            "--grid",
            "weights.plateau=0:1:0.001",
            "--grid",
            "rebalance.band=0:0.999:0.001",
        ),
        ("1,002,001,000 combinations",),
    ),
]

ARGUMENTS = [
    Case(
        "--as-of 2099",
        "argument",
        ("data", "show", "WALCL", "--as-of", "2099-01-01"),
        ("--as-of: 2099-01-01 is in the future",),
    ),
    Case(
        "--as-of tomorrow",
        "argument",
        ("data", "show", "WALCL", "--as-of", TOMORROW),
        (f"--as-of: {TOMORROW} is in the future",),
    ),
    Case(
        "--as-of year 1",
        "argument",
        ("data", "show", "WALCL", "--as-of", "0001-01-01"),
        ("--as-of: 0001-01-01 is outside the dates Runoff accepts",),
    ),
    Case(
        "--as-of 2024-02-30",
        "argument",
        ("data", "show", "WALCL", "--as-of", "2024-02-30"),
        ("--as-of: bad date '2024-02-30'",),
    ),
    Case(
        "--as-of empty",
        "argument",
        ("data", "show", "WALCL", "--as-of", ""),
        ("--as-of: bad date ''",),
    ),
    Case(
        "--last 0",
        "argument",
        ("data", "show", "WALCL", "--as-of", "2024-01-04", "--last", "0"),
        ("--last: 0",),
    ),
    Case(
        "unknown series",
        "argument",
        ("data", "show", "NOPE", "--as-of", "2024-01-04"),
        ("unknown series id 'NOPE'",),
    ),
    Case(
        "ex-post series",
        "argument",
        ("data", "show", "USREC", "--as-of", "2024-01-04"),
        ("USREC is an ex-post label",),
    ),
    Case(
        "explain 2099",
        "argument",
        ("explain", "2099-01-01"),
        ("date 2099-01-01 is outside the data",),
    ),
    Case(
        "explain 9999",
        "argument",
        ("explain", "9999-12-31"),
        ("date: 9999-12-31 is outside the dates Runoff accepts",),
    ),
    Case("explain a word", "argument", ("explain", "yesterday"), ("date: bad date 'yesterday'",)),
    Case(
        "--start 2300",
        "argument",
        ("backtest", "qt_aware", "--start", "2300-01-01"),
        ("--start: 2300-01-01 is outside the dates Runoff accepts",),
    ),
    Case(
        "--start after --end",
        "argument",
        ("backtest", "qt_aware", "--start", "2024-01-01", "--end", "2023-01-01"),
        ("start 2024-01-01 is after end 2023-01-01",),
    ),
    Case(
        "month 13",
        "argument",
        ("regimes", "--start", "2024-13-01"),
        ("start: bad date '2024-13-01'",),
    ),
    Case(
        "--tickers unknown role",
        "argument",
        ("signals", "note_thesis", "--format", "csv", "--tickers", "bond=IEF"),
        ("--tickers bond=IEF", "unknown role 'bond'", "equity, treasury, cash"),
    ),
    Case(
        "--tickers bad ticker",
        "argument",
        ("signals", "note_thesis", "--format", "csv", "--tickers", "equity=s p y"),
        ("--tickers equity=s p y", "is not a ticker", "upper-case letters"),
    ),
    Case(
        "--tickers without =",
        "argument",
        ("signals", "qt_aware", "--format", "json", "--tickers", "SPY"),
        ("--tickers 'SPY'", "expected role=TICKER"),
    ),
    Case(
        "--start after the last fresh day",
        "argument",
        ("backtest", "qt_aware", "--start", "2026-08-03"),
        ("--start 2026-08-03 is after 2026-07-20", "last day every input was fresh", "--end"),
    ),
    Case(
        "parquet to stdout",
        "argument",
        ("signals", "qt_aware", "--format", "parquet"),
        ("--format parquet", "give --out PATH"),
    ),
    Case(
        "update unknown series",
        "argument",
        ("data", "update", "NOPE"),
        ("unknown series id 'NOPE'",),
    ),
    Case(
        "update bundled-only series",
        "argument",
        ("data", "update", "SP500TR_monthly"),
        ("SP500TR_monthly has no live source",),
    ),
    Case(
        "fred-api without a key",
        "argument",
        ("data", "update", "WALCL", "--source", "fred-api"),
        ("FRED_API_KEY is not set",),
    ),
    Case(
        "--last not a number",
        "argument",
        ("data", "show", "WALCL", "--as-of", "2024-01-04", "--last", "abc"),
        ("--last", "invalid int value: 'abc'"),
        where="usage",
    ),
    Case(
        "unknown --source",
        "argument",
        ("data", "update", "WALCL", "--source", "nope"),
        ("--source", "invalid choice: 'nope'"),
        where="usage",
    ),
    Case(
        "no command",
        "argument",
        (),
        ("the following arguments are required: COMMAND",),
        where="usage",
    ),
    Case(
        "unknown option",
        "argument",
        ("data", "status", "--jsn"),
        ("unrecognized arguments: --jsn",),
        where="usage",
    ),
]


def _download(name: str, behaviour: Behaviour, *needles: str, source: str = "FRED_CSV") -> Case:
    argv = UPDATE_WALCL if source == "FRED_CSV" else ("data", "update", "GSPC", "--no-progress")
    series = "WALCL" if source == "FRED_CSV" else "GSPC"
    return Case(
        f"download: {name}",
        "download",
        argv,
        (series, *needles),
        (put("cache", "WALCL.csv", WALCL_FIXTURE), serve(source, behaviour)),
        code=1,
        where="update",
    )


def _rows(rows: list[str]) -> str:
    return fred(rows)


_LAST = WALCL_ROWS[-1]
DOWNLOADS = [
    _download("HTTP 404", send(404, "<html>Not Found</html>"), "HTTP 404 from 127.0.0.1"),
    _download("HTTP 500", send(500, "Internal Server Error"), "HTTP 500 from 127.0.0.1"),
    _download("HTTP 503 with a page", send(503, "<html>" + "x" * 100_000 + "</html>"), "HTTP 503"),
    _download("HTTP 429", send(429, "Too Many Requests"), "HTTP 429"),
    _download(
        "HTML with 200", send(200, "<html><body>maintenance</body></html>"), "not a FRED CSV"
    ),
    _download("empty body", send(200, b""), "empty response"),
    _download("blank body", send(200, "\n \n"), "empty response"),
    _download(
        "one huge line",
        send(200, "observation_date,WALCL" + "9" * 1_000_000),
        "line 1: 1,000,022 characters",
    ),
    _download(
        "200 KB field",
        send(200, _rows([*WALCL_ROWS[:2], "2026-07-15," + "9" * 200_000])),
        "line 4: 200,011 characters",
    ),
    _download(
        "quoted field over the limit",
        send(200, _rows([*WALCL_ROWS, '2026-09-09,"' + "1\n" * 70_000 + '"'])),
        "line 13: a quoted field of more than",
    ),
    _download(
        "not UTF-8", send(200, b"observation_date,WALCL\n2026-06-24,\xff\n"), "not UTF-8 text"
    ),
    _download(
        "NUL", send(200, _rows([*WALCL_ROWS[:3], "2026-07-15,6\x00"])), "line 5: NUL character"
    ),
    _download(
        "another series",
        send(200, fred(WALCL_ROWS, "observation_date,TREAST")),
        "the response holds 'TREAST'",
    ),
    _download(
        "units changed",
        send(200, _rows([f"{r[:10]},{int(r[11:]) / 1000:.3f}" for r in WALCL_ROWS])),
        "line 2, 2026-06-24: value 6735.65 outside the sanity bounds",
    ),
    _download(
        "date 2300",
        send(200, _rows([*WALCL_ROWS, "2300-01-05,6722018"])),
        "line 13: date 2300-01-05 is after",
    ),
    _download(
        "date 2099",
        send(200, _rows([*WALCL_ROWS, "2099-01-07,6722018"])),
        "line 13: date 2099-01-07 is after",
    ),
    _download(
        "date 1715",
        send(200, _rows(["1715-06-19,6722018", *WALCL_ROWS])),
        "line 2: date 1715-06-19 is before 1800-01-01",
    ),
    _download(
        "every value missing",
        send(200, _rows([r[:10] + ",." for r in WALCL_ROWS])),
        "the download has no values",
    ),
    _download(
        "inf",
        send(200, _rows([*WALCL_ROWS[:-1], _LAST[:10] + ",inf"])),
        "line 12: non-finite value 'inf'",
    ),
    _download(
        "fewer dates", send(200, _rows(WALCL_ROWS[:5])), "partial download (5 observation dates"
    ),
    _download(
        "ends earlier",
        send(200, _rows(["2026-06-17,6741000", *WALCL_ROWS[:-1]])),
        "ends 2026-08-26, before 2026-09-02",
    ),
    _download(
        "duplicated date",
        send(200, _rows([*WALCL_ROWS, _LAST])),
        "line 13: duplicated date 2026-09-02",
    ),
    _download(
        "unsorted",
        send(200, _rows([*WALCL_ROWS[1:], WALCL_ROWS[0]])),
        "line 12: date out of order 2026-06-24",
    ),
    _download(
        "cut mid-row",
        send(200, WALCL_FIXTURE[: WALCL_FIXTURE.index("2026-08-19") + 8]),
        "line 10: malformed row '2026-08-'",
    ),
    _download(
        "body shorter than announced", truncated(WALCL_FIXTURE[:100], 5_000), "ChunkedEncodingError"
    ),
    _download("connection closed", hang_up, "ConnectionError"),
    _download("redirect loop", redirect_loop, "TooManyRedirects"),
    _download("gzip that is not", gzipped(b"not gzip at all", valid=False), "ContentDecodingError"),
    _download("gzipped garbage", gzipped(b"\x00\x01" * 1000), "line 1: NUL character"),
    _download(
        "Yahoo: not JSON",
        send(200, "<html>"),
        "Yahoo ^GSPC (GSPC): the response is not valid JSON",
        source="YAHOO",
    ),
    _download(
        "Yahoo: cut short",
        send(200, YAHOO_FIXTURE[:300]),
        "the response is not valid JSON",
        source="YAHOO",
    ),
    _download(
        "Yahoo: nested 100,000 deep",
        send(200, "[" * 100_000 + "]" * 100_000),
        "the response is not usable JSON",
        source="YAHOO",
    ),
    _download(
        "Yahoo: a 5,000-digit number",
        send(200, '{"chart": ' + "9" * 5_000 + "}"),
        "the response is not usable JSON",
        source="YAHOO",
    ),
    _download(
        "Yahoo: error object",
        send(200, '{"chart": {"error": {"description": "No data found"}}}'),
        "Yahoo says: No data found",
        source="YAHOO",
    ),
    _download(
        "Yahoo: HTTP 404",
        send(404, '{"chart": {"error": "Not Found"}}'),
        "HTTP 404",
        source="YAHOO",
    ),
    _download(
        "Yahoo: negative close",
        send(200, YAHOO_FIXTURE.replace('"close":[7652.85986328125', '"close":[-7652.85986328125')),
        "line 2: non-positive close '-7652.86'",
        source="YAHOO",
    ),
]

CORPUS: list[Case] = DATA_FILES + DATA_DIR + CACHE + STRATEGIES + GRIDS + ARGUMENTS + DOWNLOADS
KLASSES = ("data-file", "data-dir", "cache", "strategy", "grid", "argument", "download")

# ---------------------------------------------------------------- running a case


def tree_state(*roots: Path) -> dict[str, str]:
    """sha256 of every regular file under ``roots``; other entries by kind (never opened)."""
    out: dict[str, str] = {}
    for root in roots:
        if not os.path.lexists(root):
            continue
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in dirs + files:
                p = os.path.join(folder, name)
                st = os.lstat(p)
                if stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as fh:
                        out[p] = hashlib.sha256(fh.read()).hexdigest()
                elif stat.S_ISLNK(st.st_mode):
                    out[p] = "link -> " + os.readlink(p)
                else:
                    out[p] = f"mode {stat.S_IFMT(st.st_mode):o}"
    return out


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads reach the local server on 127.0.0.1 and nothing else."""
    loopback_only(monkeypatch)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with local_server() as s:
        yield s


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    extra: list[str] = field(default_factory=list)


def _alarm(signum: int, frame: object) -> None:
    raise TimeoutError("the command blocked (a named pipe opened for reading?)")


def run_case(
    case: Case,
    tmp_path: Path,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[Ctx, Outcome, dict[str, str], dict[str, str]]:
    ctx = Ctx(
        data=tmp_path / "data",
        cache=tmp_path / "cache",
        snap=tmp_path / "snapshot",
        tmp=tmp_path / "tmp",
        server=server,
        case=f"c{abs(hash(case.id))}",
        monkeypatch=monkeypatch,
    )
    for folder in (ctx.data, ctx.cache, ctx.tmp):
        folder.mkdir()
    shutil.copytree(paths.SNAPSHOT_DIR, ctx.snap)
    monkeypatch.setattr(paths, "SNAPSHOT_DIR", ctx.snap)
    monkeypatch.setenv("RUNOFF_CACHE_DIR", str(ctx.cache))
    monkeypatch.chdir(ctx.tmp)
    for step in case.setup:
        step(ctx)
    roots = (ctx.data, ctx.cache, ctx.snap, ctx.tmp)
    before = tree_state(*roots)
    argv = [ctx.sub(a) for a in case.argv]
    capsys.readouterr()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(120)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    captured = capsys.readouterr()
    return ctx, Outcome(code, captured.out, captured.err), before, tree_state(*roots)


def check_outcome(case: Case, ctx: Ctx, res: Outcome) -> None:
    needles = [ctx.sub(n) for n in case.needles]
    assert res.code == case.code, (res.code, res.out[-2000:], res.err[-2000:])
    assert "Traceback" not in res.out + res.err
    if case.where == "stderr":
        assert res.out == ""
        assert res.err.count("\n") == 1 and res.err.startswith("runoff: error: "), res.err
        line = res.err
    elif case.where == "usage":
        assert res.out == ""
        errors = [ln for ln in res.err.splitlines() if "error:" in ln]
        assert len(errors) == 1 and errors[0].startswith("runoff"), res.err
        line = errors[0]
    elif case.where == "verify":
        assert res.err == ""
        errors = [ln for ln in res.out.splitlines() if ln.startswith("error")]
        assert len(errors) == 1, res.out
        line = errors[0]
    elif case.where == "update":
        assert res.err == ""
        failed = [ln for ln in res.out.splitlines() if " failed: " in ln]
        assert len(failed) == 1, res.out
        assert res.out.splitlines()[-1].startswith("0 updated, 0 unchanged, 1 failed")
        line = failed[0]
    elif case.where == "warning":
        assert res.err == ""
        warned = [ln for ln in res.out.splitlines() if "unknown-file" in ln]
        assert len(warned) == 1 and warned[0].startswith("warning"), res.out
        assert not [ln for ln in res.out.splitlines() if ln.startswith("error")]
        line = warned[0]
    elif case.where == "json-warning":
        doc = json.loads(res.out)
        if isinstance(doc, list):  # data status --json: the list of series, warnings on stderr
            assert len(res.err.splitlines()) == 1 and res.err.startswith("runoff: warning: ")
            line = res.err
        else:  # data verify --json
            assert res.err == ""
            entries = doc["unknown_files"]
            assert len(entries) == 1 and entries[0]["severity"] == "warning"
            line = entries[0]["message"]
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(case.where)
    assert "\n" not in line.rstrip("\n")
    for n in needles:
        assert n in line, (n, line)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_bad_input(
    case: Case,
    tmp_path: Path,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx, res, before, after = run_case(case, tmp_path, server, monkeypatch, capsys)
    check_outcome(case, ctx, res)
    assert after == before, "files changed"


def test_corpus_size_by_class() -> None:
    """At least 100 cases over every class of issue 12; ids unique (the report's table)."""
    by_class = collections.Counter(c.klass for c in CORPUS)
    assert set(by_class) == set(KLASSES), by_class
    assert sum(by_class.values()) >= 100
    assert min(by_class.values()) >= 10, by_class
    assert len({c.id for c in CORPUS}) == len(CORPUS)
