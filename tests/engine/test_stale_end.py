"""Where a backtest and a sweep end when an input goes stale (issue 14 part 1, backtest side).

On the bundled data the cash rate DTB3 ends 2026-07-09: it is stale (more than 5 business
days behind its release calendar) from 2026-07-21, so qt_aware and buy_and_hold end on
2026-07-20 by default, with an end note; an explicit ``--end`` past it runs with a warning on
stderr, in ``--json`` and in the report. The sweep's window ends on the same day, so a sweep
row still equals the backtest of its combination with the same default end.
"""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest

from data.errors import MissingDataError
from data.store import Store
from engine.backtest import prepare, run_backtest
from engine.cli import main
from engine.sweep import run_sweep
from engine.sweep.run import plan_sweep
from strategies import expand_grid, load_strategy

PARITY = ("total_return", "cagr", "volatility", "sharpe", "max_drawdown", "turnover", "exposure")


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_default_end_is_the_last_fresh_day(store: Store) -> None:
    inp = prepare("buy_and_hold", start="2026-01-02", store=store)
    assert inp.days[-1] == pd.Timestamp("2026-07-20")
    assert inp.end_note is not None
    assert inp.end_note.startswith("end 2026-07-20: the last day every input was fresh")
    assert "DTB3: last 2026-07-09" in inp.end_note and inp.stale_warning is None
    assert [x.series for x in inp.stale_inputs] == ["DTB3"]
    # The export is not cut: it runs to the last decision and flags stale inputs instead.
    full = prepare("buy_and_hold", start="2026-01-02", store=store, stale_end=False)
    assert full.days[-1] == pd.Timestamp("2026-08-21") and full.stale_inputs == ()


def test_a_start_after_the_last_fresh_day_says_how_to_run_anyway(store: Store) -> None:
    with pytest.raises(MissingDataError) as info:
        prepare("qt_aware", start="2026-08-03", store=store)
    msg = str(info.value)
    assert "--start 2026-08-03 is after 2026-07-20, the last day every input was fresh" in msg
    assert "DTB3" in msg and "give --end" in msg and "\n" not in msg


def test_end_past_the_last_fresh_day_warns_in_terminal_json_and_report(tmp_path) -> None:
    args = ("backtest", "buy_and_hold", "--start", "2026-01-02", "--end", "2026-08-21")
    code, out, err = _cli(*args, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["window"]["end"] == "2026-08-21" and doc["end_note"] is None
    assert doc["stale_warning"].startswith("the window runs to 2026-08-21, past 2026-07-20")
    assert [x["series"] for x in doc["stale_inputs"]] == ["DTB3"]
    assert doc["stale_inputs"][0]["stale"] and doc["stale_inputs"][0]["age_days"] == 43
    assert err.count("runoff: warning: the window runs to 2026-08-21, past 2026-07-20") == 1
    report = tmp_path / "r.html"
    code, out, err = _cli(*args, "--report", str(report))
    assert code == 0 and "runoff: warning:" in err and "past 2026-07-20" in out + err
    html = report.read_text(encoding="utf-8")
    assert "<p class='warn'>Warning: the window runs to 2026-08-21, past 2026-07-20" in html
    # Without --end: the window ends on the last fresh day, with a note and no warning.
    code, out, err = _cli("backtest", "buy_and_hold", "--start", "2026-01-02", "--json")
    doc = json.loads(out)
    assert doc["window"]["end"] == "2026-07-20" and doc["stale_warning"] is None
    assert doc["end_note"].startswith("end 2026-07-20") and "runoff: warning" not in err


def test_sweep_window_ends_there_and_rows_equal_the_default_backtest(store: Store) -> None:
    grid = {"weights.contraction": [0.2], "rebalance.band": [0.02]}
    g = expand_grid(load_strategy("qt_aware"), grid, include_sweep=False)
    df = run_sweep(g.strategy, g, start="2025-01-02", store=store)
    assert df.attrs["end"] == "2026-07-20" and df.attrs["stale_warning"] is None
    assert df.attrs["end_note"].startswith("end 2026-07-20: the last day every input")
    for i in range(g.size):
        # The same default end: no explicit end on either side.
        res = run_backtest(g.strategy_at(i), df.attrs["start"], store=store)
        assert res.value.index[-1] == pd.Timestamp("2026-07-20")
        row = df[df["combo"] == i].iloc[0]
        for k in PARITY:
            assert row[k] == pytest.approx(getattr(res.metrics, k), rel=1e-9, abs=1e-12), k
    late = plan_sweep(g.strategy, g, start="2026-01-02", end="2026-08-21", store=store)
    assert late.inputs.days[-1] == pd.Timestamp("2026-08-21") and late.inputs.end_note is None
    assert late.inputs.stale_warning is not None and "past 2026-07-20" in late.inputs.stale_warning
