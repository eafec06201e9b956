"""Two ``runoff data update`` processes at once take turns on the cache (a real lock).

Two real processes update the same series from a real HTTP server on 127.0.0.1 whose
answer takes a few seconds. The server counts requests in flight: with the lock the
second process waits (and says so on stderr) until the first has written its file, so
at most one request is ever in flight and the cache ends with one whole file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from data.paths import folder_lock
from tests.local_http import local_server, send

ROOT = Path(__file__).resolve().parents[2]
WALCL = (Path(__file__).parent / "fixtures" / "fredgraph_WALCL.csv").read_text()
RUNOFF = "import sys; from engine.cli import main; sys.exit(main())"


class Gauge:
    """Counts requests in flight and the most seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def wrap(self, behave):  # type: ignore[no-untyped-def]
        def counted(h):  # type: ignore[no-untyped-def]
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                behave(h)
            finally:
                with self.lock:
                    self.now -= 1

        return counted


def _spawn(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUNOFF,
            "data",
            "update",
            "WALCL",
            "--source",
            "fred-csv",
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_update_processes_take_turns(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    # An older cached copy (one week less): the download is compared with it, not with the
    # longer bundled file, and replaces it.
    older = "".join(ln + "\n" for ln in WALCL.splitlines()[:-1])
    (cache / "WALCL.csv").write_text(older)
    gauge = Gauge()
    with local_server() as server:
        server.routes["/fredgraph.csv"] = gauge.wrap(send(200, WALCL, delay=4.0))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RUNOFF_CACHE_DIR": str(cache),
            "RUNOFF_FRED_CSV_URL": server.url + "/fredgraph.csv",
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
        }
        env.pop("RUNOFF_DATA_DIR", None)
        env.pop("FRED_API_KEY", None)
        procs = [_spawn(env), _spawn(env)]
        outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], outs
    assert gauge.most == 1, "two downloads of the same series ran at once"
    assert len(server.hits) == 2
    waited = [err for _, err in outs if "waiting for another 'runoff data update'" in err]
    assert len(waited) == 1, outs  # the second one really met the lock
    assert (cache / "WALCL.csv").read_text() == WALCL
    assert sorted(p.name for p in cache.iterdir()) == ["WALCL.csv"]  # no temp or lock file
    # The first replaced the older copy; the second, after the wait, found it current.
    assert sorted(out.splitlines()[0].split()[1] for out, _ in outs) == ["unchanged", "updated"]


def test_lock_is_exclusive_and_times_out(tmp_path: Path) -> None:
    """In-process: a second holder waits, calls on_wait once, and gives up after the timeout."""
    from data.errors import FetchError

    waits: list[int] = []
    with folder_lock(tmp_path):
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from data.paths import folder_lock\n"
                "try:\n"
                f"    with folder_lock(Path({str(tmp_path)!r}), timeout=0.3): pass\n"
                "except Exception as e: print(type(e).__name__, e); sys.exit(3)",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 3 and "FetchError" in child.stdout
    assert "another 'runoff data update' has held the cache for 0.3 s" in child.stdout
    t0 = time.monotonic()
    with folder_lock(tmp_path, on_wait=lambda: waits.append(1)):
        pass
    assert time.monotonic() - t0 < 5 and waits == []
    with pytest.raises(FetchError, match="cannot use the folder"):
        (tmp_path / "file").write_text("x")
        with folder_lock(tmp_path / "file"):
            pass
