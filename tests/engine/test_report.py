"""The HTML report: self-contained, complete, and rendered by a real headless browser."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from data.errors import RunoffError
from engine.backtest import run_backtest
from engine.report import regime_spans, report_html, write_png, write_report
from tests.browser import chromium as _chromium
from tests.browser import run_chromium as _run_chromium
from tests.browser import svg_texts as _svg_texts

FIGURE_TITLES: tuple[str, ...] = (
    "qt_aware vs buy & hold S&P 500 total return: growth, drawdowns, weights",
    "Monthly returns (%, colours capped at ±10%)",
    "Yearly returns (%; 2003 from 03-24",
    "Distribution of monthly returns (1% bins)",
    "Rolling 12 months (252 trading days): Sharpe ratio",
    "Mean excess return by regime (% per year, 90% stationary-bootstrap interval)",
    "Balance sheet and net liquidity ($bn; shading: balance_sheet regime)",
    "Yields vs the policy range (%; shading: phase)",
)
"""The title of every figure of the qt_aware report (plotly draws it as svg text)."""

PANEL_TITLES: tuple[str, ...] = (
    "Growth of $1 (log scale)",
    "Underwater: drawdown from the running peak (%)",
    "Weights per leg (% of the portfolio, end of day)",
    "qt_aware (% per month)",
    "buy & hold S&P 500 total return (% per month)",
    "balance_sheet",
    "net_liquidity",
    "phase",
)
"""Panel titles inside the figures (subplot titles and axis titles)."""


@pytest.fixture(scope="module")
def result():
    return run_backtest("qt_aware")


@pytest.fixture(scope="module")
def report_file(result, tmp_path_factory):
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


def test_report_is_self_contained_and_complete(report_file, result) -> None:
    text = report_file.read_text(encoding="utf-8")
    # plotly.js is inline: no script is loaded from anywhere.
    assert not re.search(r"<script[^>]+src=", text)
    assert "plotly.js v" in text or "Plotly" in text
    assert text.count('class="plotly-graph-div"') == len(FIGURE_TITLES) == 8
    for needle in (
        "Strategy vs benchmark",
        "Five worst drawdowns: qt_aware",
        "Five worst drawdowns: buy &amp; hold S&amp;P 500 total return",
        "Information ratio",
        "Tracking error",
        "Regime statistics",
        "excess/yr [90% CI]",
        "Returns by regime",
        "recession-driven",
        "Events",
        "Orders (last",
        "dividends reinvested",
        result.start_note,
        "SP500TR",
        "balance_sheet: CONTRACTION",
        "First cut of a cycle, to 4.75-5.00%",
        "QT2 runoff starts",
    ):
        assert needle in text, needle
    assert report_file.stat().st_mode & 0o044  # readable by others, like any shared report


def test_regime_spans() -> None:
    days = pd.bdate_range("2024-01-01", periods=6)
    labels = pd.Series(["A", "A", "B", "B", "B", "A"], index=days)
    assert regime_spans(labels) == [
        (days[0], days[2], "A"),
        (days[2], days[5], "B"),
        (days[5], days[5], "A"),
    ]
    assert regime_spans(labels.iloc[:0]) == []


def test_report_html_is_deterministic(result) -> None:
    a = re.sub(r'id="[0-9a-f-]{36}"|"[0-9a-f-]{36}"', "", report_html(result))
    b = re.sub(r'id="[0-9a-f-]{36}"|"[0-9a-f-]{36}"', "", report_html(result))
    assert a == b


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report_file, result, tmp_path) -> None:
    """Chromium runs plotly.js from the file (offline) and draws every figure, found by title,
    with a legend entry for every shaded regime value."""
    dom = _run_chromium(report_file, tmp_path, "--window-size=1440,900", "--dump-dom").stdout
    # These elements exist only after plotly.js ran: the source file has none of them.
    source = report_file.read_text(encoding="utf-8")
    assert 'class="main-svg"' not in source and 'class="js-line"' not in source
    assert dom.count('class="main-svg"') >= 2 * len(FIGURE_TITLES)
    texts = _svg_texts(dom)
    for title in FIGURE_TITLES + PANEL_TITLES:
        assert any(title in t for t in texts), title
    # Every shaded regime value has a legend entry (main chart, balance sheet, yields).
    for regime in ("balance_sheet", "phase"):
        for value in set(result.regimes[regime]) - {"UNKNOWN"}:
            assert f"{regime}: {value}" in texts, (regime, value)
    # The log axis is labelled in dollars of an initial $1.
    assert {"$1", "$2", "$5"} <= set(texts)
    drawn = [d for d in re.findall(r'class="js-line"[^>]*\sd="([^"]*)"', dom) if len(d) > 1000]
    # Long polylines: growth, drawdowns, rolling Sharpe / volatility, the macro panels.
    assert len(drawn) >= 14, len(drawn)
    assert dom.count('class="hm"') == 2  # both monthly heatmaps were drawn
    assert dom.count("<table") >= 7


@pytest.mark.browser
def test_report_screenshots_are_not_blank(report_file, tmp_path) -> None:
    """A laptop-sized first screen and the whole page, rendered by chromium: each 900-pixel band
    of the page holds drawn content (many colours, a fair share of non-background pixels)."""
    from PIL import Image

    shot = tmp_path / "page.png"
    _run_chromium(report_file, tmp_path, "--window-size=1440,6400", f"--screenshot={shot}")
    img = Image.open(shot).convert("RGB")
    assert img.size == (1440, 6400)
    px = np.asarray(img, dtype=np.int16)
    background = np.array([0xF5, 0xF7, 0xF9])
    for top in range(0, 5400, 900):
        band = px[top : top + 900]
        ink = np.any(np.abs(band - background) > 12, axis=2) & np.any(band < 235, axis=2)
        colours = len(np.unique(band.reshape(-1, 3)[::7], axis=0))
        assert ink.mean() > 0.02 and colours > 150, (top, ink.mean(), colours)


@pytest.mark.browser
def test_png_of_the_main_chart(result, tmp_path) -> None:
    _chromium()
    out = write_png(result, tmp_path / "main.png", width=800, height=500)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_png_failure_is_one_clear_line(result, tmp_path, monkeypatch) -> None:
    import plotly.graph_objects as go

    def boom(self, *a, **k):
        raise RuntimeError("Kaleido could not find a Chrome executable\nlong traceback text")

    monkeypatch.setattr(go.Figure, "to_image", boom)
    with pytest.raises(RunoffError) as err:
        write_png(result, tmp_path / "x.png")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("--png: kaleido could not render")
    assert "Chrome executable" in msg


# ---------------------------------------------------------------- atomic replacement


def _boom_replace(src, dst):
    raise OSError(28, "No space left on device")


def test_report_over_an_existing_one_is_replaced_whole(result, tmp_path, monkeypatch) -> None:
    """A report written over an old one replaces it in one rename; a failed write keeps it."""
    import os

    target = tmp_path / "report.html"
    target.write_text("old report\n")
    write_report(result, target)
    new = target.read_bytes()
    assert new != b"old report\n" and new.count(b'class="plotly-graph-div"') == len(FIGURE_TITLES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    target.write_text("old report\n")
    monkeypatch.setattr(os, "replace", _boom_replace)
    with pytest.raises(OSError):
        write_report(result, target)
    assert target.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp file


def test_png_over_an_existing_one_is_replaced_whole(result, tmp_path, monkeypatch) -> None:
    """The PNG is rendered in memory, then renamed over the old file; any failure keeps it."""
    import os

    import plotly.graph_objects as go

    fake = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **k: fake)
    target = tmp_path / "main.png"
    target.write_bytes(b"old png")
    assert write_png(result, target) == target
    assert target.read_bytes() == fake

    def half_rendered(self, **k):
        raise RuntimeError("kaleido died mid-render")

    target.write_bytes(b"old png")
    monkeypatch.setattr(go.Figure, "to_image", half_rendered)
    with pytest.raises(RunoffError, match="kaleido could not render"):
        write_png(result, target)
    assert target.read_bytes() == b"old png"
    monkeypatch.setattr(go.Figure, "to_image", lambda self, **k: fake)
    monkeypatch.setattr(os, "replace", _boom_replace)
    with pytest.raises(OSError):
        write_png(result, target)
    assert target.read_bytes() == b"old png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.png"]
