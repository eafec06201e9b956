"""Headless chromium for the reports' browser tests (the backtest tear sheet and the sweep
report): run Debian's chromium on a file, read the DOM it built or the screenshot it took."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"


def chromium() -> str:
    """The chromium executable; fails the test (with how to install it) when missing."""
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        pytest.fail(
            "Debian's chromium is not installed: the report's browser test needs it "
            "(apt-get install -y chromium; .ci/run installs it)"
        )
    return path


def run_chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Open ``page`` in headless chromium (fresh profile, offline, 15 s of virtual time for
    plotly.js to draw) with extra ``args`` (``--dump-dom``, ``--screenshot=...``)."""
    profile = tmp_path / f"profile{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        *args,
        page.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def svg_texts(dom: str) -> list[str]:
    """The text of every svg <text> element (titles, annotations, legend entries), unescaped."""
    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", dom, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in texts]


def ink_bands(png: Path, band: int, background: tuple[int, int, int]) -> list[tuple[float, int]]:
    """Per horizontal band of ``band`` pixels of a screenshot: the share of drawn pixels (away
    from the page ``background`` and not near white) and the number of distinct colours."""
    from PIL import Image

    px = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    out = []
    for top in range(0, px.shape[0] - band + 1, band):
        b = px[top : top + band]
        ink = np.any(np.abs(b - np.array(background)) > 12, axis=2) & np.any(b < 235, axis=2)
        out.append((float(ink.mean()), len(np.unique(b.reshape(-1, 3)[::7], axis=0))))
    return out
