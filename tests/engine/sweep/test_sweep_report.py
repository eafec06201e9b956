"""The sweep report (issue 11 part 3): the guards in the HTML are the terminal's numbers, the
report renders in headless chromium, and its stitched out-of-sample curve and excess deflated
Sharpe ratio are checked against independent computations.

Window: from 2015-01-01 (qt_aware's 270 combinations, about 2,900 days) to keep the tests fast.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.backtest import run_backtest
from engine.cli import main
from engine.metric_registry import ALL_SPECS, GUARD_SPECS, SPECS
from engine.sweep.benchmark import (
    best_benchmark,
    best_returns,
    excess_deflated_sharpe,
    first_execution,
    oos_benchmark,
)
from engine.sweep.guards import moments, walk_forward
from engine.sweep.run import plan_sweep
from engine.sweep.stream import stream_plan
from engine.tables import fmt, fmt_metric
from tests.browser import ink_bands, run_chromium, svg_texts

START = "2015-01-01"
ARGV = ["sweep", "qt_aware", "--walk-forward", "4", "--pbo", "--start", START]


def _run(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict]:
    """``runoff sweep qt_aware --walk-forward 4 --pbo --report s.html`` (and the same with
    ``--json``): the terminal text, the report, the JSON document."""
    report = tmp_path_factory.mktemp("sweep_report") / "s.html"
    text = _run([*ARGV, "--report", str(report)])
    doc = json.loads(_run([*ARGV, "--json"]))
    return text, report, doc


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts, with the <h2> before it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.guards: list[str] = []
        self.kpis: dict[str, str] = {}
        self._h2: list[str] | None = None
        self._heading = ""
        self._cell: list[str] | None = None
        self._guard: list[str] | None = None
        self._kpi: str | None = None
        self._kpi_v: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h2":
            self._h2 = []
        elif tag == "table":
            self.tables.append((self._heading, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p" and a.get("class") == "guard":
            self._guard = []
        elif tag == "div" and a.get("class") == "kpi":
            self._kpi = a.get("data-key")
        elif tag == "div" and a.get("class") == "v" and self._kpi:
            self._kpi_v = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._h2 is not None:
            self._heading = "".join(self._h2).strip()
            self._h2 = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "p" and self._guard is not None:
            self.guards.append("".join(self._guard).strip())
            self._guard = None
        elif tag == "div" and self._kpi_v is not None:
            assert self._kpi is not None
            self.kpis[self._kpi] = "".join(self._kpi_v).strip()
            self._kpi_v = self._kpi = None

    def handle_data(self, data: str) -> None:
        for buf in (self._h2, self._cell, self._guard, self._kpi_v):
            if buf is not None:
                buf.append(data)


def _page(report: Path) -> _Tables:
    p = _Tables()
    p.feed(report.read_text(encoding="utf-8"))
    return p


def _terminal_value(text: str, pattern: str) -> str:
    """The number a terminal line holds: ``pattern`` with one group, matched from a line's
    start."""
    m = re.search("^" + pattern, text, flags=re.M)
    assert m, pattern
    return m.group(1)


DSR_LINE = r"Deflated Sharpe ratio of the best: (\S+) \(Sharpe "
EXCESS_LINE = r"Deflated Sharpe ratio of the best in excess of the benchmark: (\S+) \(information "
PBO_LINE = r"Probability of backtest overfitting \(CSCV, 16 blocks, 256 combinations\): (\S+)$"


def _terminal_bench(text: str) -> str:
    m = re.search(
        r"^Benchmark buy & hold S&P 500 total return over the best's days "
        r"\(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\): sharpe (\S+)$",
        text,
        flags=re.M,
    )
    assert m
    return m.group(1)


def _terminal_wf(text: str) -> list[list[str]]:
    lines = text.splitlines()
    i = next(j for j, line in enumerate(lines) if line.startswith("Walk-forward ("))
    return [line.split() for line in lines[i + 1 : i + 6]]


def test_report_holds_the_terminal_numbers(run) -> None:
    """DSR (raw and excess), PBO, the benchmark's value and the walk-forward table: the same
    formatted strings in the terminal, the HTML, and (as numbers) the JSON."""
    text, report, doc = run
    page = _page(report)
    dsr = _terminal_value(text, DSR_LINE)
    excess = _terminal_value(text, EXCESS_LINE)
    pbo = _terminal_value(text, PBO_LINE)
    bench = _terminal_bench(text)
    assert re.fullmatch(r"\d\.\d{3}", dsr) and re.fullmatch(r"\d\.\d{3}", excess)
    assert re.fullmatch(r"\d\.\d{2}", pbo)
    # The HTML's key numbers and its guard lines are the terminal's strings.
    assert page.kpis["deflated_sharpe"] == dsr
    assert page.kpis["deflated_sharpe_excess"] == excess
    assert page.kpis["pbo"] == pbo
    assert page.kpis["benchmark_sharpe"] == bench
    terminal_lines = set(text.splitlines())
    assert len(page.guards) == 6  # benchmark, DSR, excess DSR, PBO, two out-of-sample lines
    for line in page.guards:
        assert line in terminal_lines, line
    # The walk-forward table: same header and cells, row by row.
    heading = "Walk-forward (expanding, embargo 5 days):"
    (rows,) = [t for h, t in page.tables if h == heading]
    wf = _terminal_wf(text)
    assert len(wf) == len(rows) == 5  # the header and 4 folds
    assert rows[0] == ["", *wf[0][1:]]  # the HTML's row labels are the folds
    for t_row, h_row in zip(wf[1:], rows[1:], strict=True):
        assert t_row == h_row
    # JSON: the same numbers, formatted by the same helper.
    assert fmt_metric("deflated_sharpe", doc["deflated_sharpe"]["dsr"]) == dsr
    assert fmt_metric("deflated_sharpe_excess", doc["deflated_sharpe_excess"]["dsr"]) == excess
    assert fmt_metric("pbo", doc["pbo"]["pbo"]) == pbo
    assert fmt_metric("sharpe", doc["benchmark"]["value"]) == bench
    logits = np.array(doc["pbo"]["logits"])
    assert len(logits) == 12870 and np.mean(logits <= 0) == doc["pbo"]["pbo"]
    folds = doc["walk_forward"]["folds"]
    for f, t_row in zip(folds, wf[1:], strict=True):
        assert t_row[5] == str(f["combo"])
        assert t_row[6] == fmt_metric("sharpe", f["is_sharpe"])
        assert t_row[7] == fmt_metric("sharpe", f["oos_sharpe"])
        assert t_row[10] == fmt_metric("oos_rank", f["oos_rank"])
    assert doc["walk_forward"]["benchmark"]["label"] == "buy & hold S&P 500 total return"


def test_guard_specs_are_registered() -> None:
    """The guards' names, formats and directions come from the metric registry."""
    assert [m.name for m in GUARD_SPECS] == [
        "deflated_sharpe",
        "deflated_sharpe_excess",
        "pbo",
        "oos_rank",
    ]
    assert not set(ALL_SPECS) - set(SPECS) - {m.name for m in GUARD_SPECS}
    assert fmt(0.93192, "prob") == "0.932" and fmt_metric("pbo", 0.5678) == "0.57"
    assert fmt_metric("oos_rank", 0.226) == "22.6%"


FIGURES: tuple[str, ...] = (
    "Best sharpe per pair of parameters (one colour scale; benchmark buy & hold S&P 500 "
    "total return: {bench})",
    "Marginal effect of each parameter: median sharpe and range over the others",
    "PBO: distribution of the CSCV logits (12,870 splits; PBO {pbo} = share <= 0)",
    "Walk-forward: stitched out-of-sample growth of $1 vs buy & hold S&P 500 total return "
    "(same days)",
)
"""The title of every figure of the report."""


@pytest.mark.browser
def test_sweep_report_renders_in_headless_chromium(run, tmp_path: Path) -> None:
    """Chromium draws every figure (found by title) offline, the benchmark is marked on the
    shared colour bar and in every heatmap's title, and laptop-sized screenshots are not
    blank."""
    text, report, _ = run
    bench = _terminal_bench(text)
    pbo = _terminal_value(text, PBO_LINE)
    source = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", source)  # plotly.js inline: works offline
    assert 'class="main-svg"' not in source
    dom = run_chromium(report, tmp_path, "--window-size=1366,768", "--dump-dom").stdout
    texts = svg_texts(dom)
    for title in FIGURES:
        t = title.format(bench=bench, pbo=pbo)
        assert t in texts, t
    # One shared colour bar (one colour axis) with the benchmark's value marked on it.
    assert dom.count('class="hm"') == 6 and f"◀ benchmark {bench}" in texts
    panels = [t for t in texts if " × " in t]
    assert len(panels) == 6 and all(t.endswith(f"(benchmark {bench})") for t in panels)
    for key in ("balance_sheet.window_weeks", "weights.contraction", "rebalance.band"):
        assert key in texts  # marginal panels and heatmap axes
    assert {"fold 0", "fold 3", "walk-forward, out of sample"} <= set(texts)
    assert dom.count("<table") == 4  # marginals, walk-forward, chosen parameters, best rows
    background = (0xF5, 0xF7, 0xF9)
    first = tmp_path / "first.png"
    run_chromium(report, tmp_path, "--window-size=1366,768", f"--screenshot={first}")
    ((ink, colours),) = ink_bands(first, 768, background)
    assert ink > 0.05 and colours > 150, (ink, colours)
    whole = tmp_path / "whole.png"
    run_chromium(report, tmp_path, "--window-size=1366,3600", f"--screenshot={whole}")
    for i, (ink, colours) in enumerate(ink_bands(whole, 900, background)):
        assert ink > 0.02 and colours > 100, (i, ink, colours)


# ---------------------------------------------------------------- against other computations


@pytest.fixture(scope="module")
def plan():
    return plan_sweep("qt_aware", start=START)


def test_stitched_oos_curve_is_the_backtests_of_the_chosen_combinations(plan) -> None:
    """The chained out-of-sample value at the end of each fold is the product of the vectorbt
    backtests of that fold's chosen combination over its test days (each starting in cash on
    the test window's first day), and the benchmark curve is the S&P 500 total return index
    over the same days."""
    wf = walk_forward(plan.strategy, plan=plan, folds=4)
    eq = wf.equity
    growth = 1.0
    for row in wf.folds.itertuples():
        s = plan.grid.strategy_at(int(row.combo))
        res = run_backtest(s, start=str(row.test_start), end=str(row.test_end))
        assert res.value.index[-1].date() == row.test_end
        growth *= float(res.value.iloc[-1] / res.value.iloc[0])
        assert eq.loc[pd.Timestamp(row.test_end)] == pytest.approx(growth, rel=1e-9)
    assert eq.iloc[-1] == pytest.approx(growth, rel=1e-9)
    bench = oos_benchmark(plan, eq)
    assert bench.value.index.equals(eq.index)
    close = pd.Series(plan.inputs.closes[:, 0], index=plan.inputs.days).loc[eq.index]
    np.testing.assert_allclose(bench.value.to_numpy(), (close / close.iloc[0]).to_numpy())


def test_excess_dsr_uses_the_benchmarks_returns_over_the_same_days(plan) -> None:
    """The excess DSR's Sharpe ratio, moments and length are those of the best combination's
    daily returns minus the S&P 500 total return's over the days after its first execution."""
    summary = stream_plan(plan)
    stats = summary.sharpe
    bench = best_benchmark(plan, stats)
    r = best_returns(plan, stats)
    first = first_execution(r)
    assert bench.first == first and bench.value.index[0] == plan.inputs.days[first]
    close = plan.inputs.closes[:, 0]
    days = slice(first + 1, None)
    x = r[days] - (close[days] / close[first:-1] - 1.0)
    assert np.isfinite(x).all()
    res = excess_deflated_sharpe(plan, stats, bench)
    d = res.result
    assert d.n_obs == len(x) and res.first_day == str(plan.inputs.days[first + 1].date())
    assert d.sharpe == pytest.approx(np.mean(x) / np.std(x, ddof=1), rel=1e-9)
    skew, kurt = moments(x)
    assert d.skew == pytest.approx(skew) and d.kurtosis == pytest.approx(kurt)
    assert d.n_trials == stats.n_trials and res.sample == 256
    # Shifting the benchmark by one day changes the excess Sharpe ratio: the days matter.
    shifted = type(bench)(
        bench.label, bench.first, bench.value, np.r_[np.nan, bench.returns[:-1]], bench.metrics
    )
    other = excess_deflated_sharpe(plan, stats, shifted).result
    assert not math.isclose(other.sharpe, d.sharpe, rel_tol=1e-6)
    assert html.escape(bench.label) == "buy &amp; hold S&amp;P 500 total return"


def test_report_over_an_existing_one_is_replaced_whole(tmp_path: Path, monkeypatch) -> None:
    """The report is written to a temporary file and renamed: a failed write keeps the old one
    and leaves no temporary file."""
    import os

    from engine.sweep.heatmap import TableSummary
    from engine.sweep.report import write_sweep_report

    top = pd.DataFrame({"combo": [3, 1], "weights.x": [0.5, 1.0], "sharpe": [0.8, 0.7]})
    attrs = {"strategy": "s", "metric": "sharpe", "keys": ["weights.x"], "combinations": 2}
    summary = TableSummary(attrs, top, top.iloc[:0], ())
    target = tmp_path / "s.html"
    target.write_text("old report\n")
    write_sweep_report(summary, target)
    assert "Best 2 of 2 by sharpe" in target.read_text() and target.stat().st_mode & 0o044

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    target.write_text("old report\n")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_sweep_report(summary, target)
    assert target.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.html"]
