"""The ON RRP regime (family ``rrp``): its rules scenario by scenario, its episodes on the bundled
data (each test cites the RRPONTSYD values that set its expectation), and the rest of the
engine reading it through the registry (rules, sweeps, ``regimes --kind rrp``, ``explain``).

RRPONTSYD ($bn, the day's operation, public 16:30 ET so used from the next decision): 2034.3 on
2023-06-30, 1018.5 on 2023-12-29, 625.2 on 2024-01-19, 473.5 on 2024-12-31 (a year-end
spike), 214.4 on 2025-07-31, 33.8 on 2025-08-15, 106.0 on 2025-12-31 (a quarter-end spike),
15.8 on 2026-03-31; 134.3 on 2021-03-31 and 1604.9 on 2021-09-30.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.errors import ParameterError
from data.store import Store
from engine.backtest import run_backtest
from engine.cli import main
from engine.regimes import explain, regime_frame
from engine.regimes.families.rrp import rrp_codes
from engine.sweep import run_sweep
from strategies import Rule, Strategy, expand_grid
from strategies.errors import StrategyError
from strategies.families import RegimeParams
from strategies.regimes import RRP, RrpParams

CODE = {m.name: m.code for m in RRP}


def _names(codes: np.ndarray) -> list[str]:
    return [list(RRP)[c].name for c in codes]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def frame(store: Store) -> pd.DataFrame:
    return regime_frame(None, None, RegimeParams(), store=store)


def _rrp(frame: pd.DataFrame, day: str) -> str:
    return str(frame.loc[day, "rrp"])


# ------------------------------------------------------------------ rules


def test_enter_by_the_change_and_the_floor() -> None:
    p = RrpParams(band_bn=100, floor_bn=100, floor_exit_bn=150, min_dwell_days=0)
    level = np.array([900.0, 800.0, 700.0, 700.0, 90.0])
    change = np.array([150.0, -50.0, -150.0, 100.0, -10.0])
    assert _names(rrp_codes(level, change, p)) == [
        "BUILDING",  # rose more than the band
        "FLAT",
        "DRAINING",  # fell more than the band
        "FLAT",  # exactly the band: inside the dead band
        "DEPLETED",  # below the floor, whatever the change
    ]


def test_depleted_lasts_until_the_level_rises_above_the_exit_level() -> None:
    """The hysteresis: a quarter-end spike to 106bn (2025-12-31) after months below 50bn is
    above the floor (100) but not above the exit level (150): still DEPLETED."""
    p = RrpParams(floor_bn=100, floor_exit_bn=150, min_dwell_days=0)
    level = np.array([40.0, 30.0, 106.0, 20.0, 149.0, 151.0])
    change = np.array([-200.0, -10.0, 60.0, -80.0, 20.0, 50.0])
    assert _names(rrp_codes(level, change, p)) == [
        "DEPLETED",
        "DEPLETED",
        "DEPLETED",
        "DEPLETED",
        "DEPLETED",
        "FLAT",  # above 150: leaves to the change's trend (+50 within the band)
    ]


def test_min_dwell_delays_changes() -> None:
    p = RrpParams(band_bn=100, min_dwell_days=3)
    level = np.full(8, 500.0)
    change = np.array([-200.0, 200.0, 200.0, 200.0, 200.0, 0.0, 0.0, 0.0])
    d, b, f = CODE["DRAINING"], CODE["BUILDING"], CODE["FLAT"]
    assert rrp_codes(level, change, p).tolist() == [d, d, d, b, b, b, f, f]


def test_unknown_until_both_inputs_are_known_then_nan_rows_hold() -> None:
    p = RrpParams(min_dwell_days=0)
    level = np.array([np.nan, 500.0, 500.0, np.nan, 50.0])
    change = np.array([np.nan, np.nan, -300.0, -300.0, np.nan])
    u, d = CODE["UNKNOWN"], CODE["DRAINING"]
    assert rrp_codes(level, change, p).tolist() == [u, u, d, d, d]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"floor_bn": 200.0, "floor_exit_bn": 150.0}, "floor_exit_bn"),
        ({"band_bn": -1.0}, "band_bn"),
        ({"window_days": 0}, "window_days"),
        ({"smooth_days": 0}, "smooth_days"),
        ({"min_dwell_days": -1}, "min_dwell_days"),
        ({"window_days": 63.5}, "window_days"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ParameterError, match=rf"RrpParams\.{field} = ") as info:
        RrpParams(**kwargs)
    assert info.value.key == field


def test_toml_names_the_rrp_key(tmp_path) -> None:
    from strategies import load_strategy

    path = tmp_path / "r.toml"
    path.write_text('name = "r"\n[regimes.rrp]\nfloor_bn = 200.0\n', encoding="utf-8")
    with pytest.raises(StrategyError, match=r"regimes\.rrp\.floor_exit_bn = 150\.0: the exit"):
        load_strategy(path)


# ------------------------------------------------------------------ episodes on the bundled data


def test_january_2024_reads_draining(frame: pd.DataFrame) -> None:
    """ON RRP fell from 2034bn (2023-06-30) to 1018bn (2023-12-29) and 625bn (2024-01-19)."""
    assert _rrp(frame, "2024-01-19") == "DRAINING"
    run = frame.loc["2023-08-01":"2024-04-30", "rrp"]
    assert (run == "DRAINING").all()
    assert frame.loc["2024-01-19", "on_rrp_change_bn"] < -500


def test_the_2021_build_up_reads_building(frame: pd.DataFrame) -> None:
    """Money funds piled in after March 2021: 134bn on 2021-03-31, 1605bn on 2021-09-30."""
    assert (frame.loc["2021-06-01":"2021-12-15", "rrp"] == "BUILDING").all()


def test_late_2025_reads_depleted_through_the_quarter_end_spike(frame: pd.DataFrame) -> None:
    """214bn on 2025-07-31, 34bn on 2025-08-15: DEPLETED from August 2025; the 106bn of
    2025-12-31 (a quarter-end spike, below the 150bn exit level) does not end it, and 16bn
    on 2026-03-31 is still DEPLETED."""
    assert _rrp(frame, "2025-07-31") != "DEPLETED"
    first = frame.loc["2025-06-01":].query("rrp == 'DEPLETED'").index[0]
    assert pd.Timestamp("2025-08-01") <= first <= pd.Timestamp("2025-08-29")
    assert (frame.loc[first:"2026-04-30", "rrp"] == "DEPLETED").all()
    assert frame.loc["2026-01-02", "on_rrp_bn"] > 100  # the 106bn of 2025-12-31, known on 01-02


def test_year_end_2024_spike_does_not_read_building(frame: pd.DataFrame) -> None:
    """473bn on 2024-12-31 after about 150-250bn in November: a one-day spike that the
    10-day median ignores; the drain of late 2024 continues."""
    assert _rrp(frame, "2025-01-02") == "DRAINING"
    assert frame.loc["2025-01-02", "on_rrp_bn"] > 400 > frame.loc["2025-01-02", "on_rrp_smooth_bn"]


def test_qt1_and_before_the_daily_facility_read_depleted(frame: pd.DataFrame) -> None:
    """2018-2019: the facility sat near zero (QT1 drained reserves: the repo stress of
    September 2019). Before 2013 there was no daily facility: the level reads 0."""
    assert (frame.loc["2018-06-01":"2019-12-31", "rrp"] == "DEPLETED").all()
    assert frame.loc["2010-06-30", "on_rrp_bn"] == 0.0
    assert _rrp(frame, "2010-06-30") == "DEPLETED"
    assert frame["rrp"].iloc[0] == "UNKNOWN"  # the warm-up at the start of history


def test_prefix_stable_on_real_data(store: Store, frame: pd.DataFrame) -> None:
    """Data after a day never changes the regime on that day: a frame ending 2024-06-28 is
    the first rows of the full one."""
    part = regime_frame(None, "2024-06-28", RegimeParams(), store=store)
    pd.testing.assert_series_equal(part["rrp_code"], frame.loc[:"2024-06-28", "rrp_code"])


# ------------------------------------------------------------------ the engine reads it


def test_cli_regimes_kind_rrp_shows_depleted_in_late_2025(capsys) -> None:
    assert main(["regimes", "--kind", "rrp", "--start", "2025-06-01", "--json"]) == 0
    spans = json.loads(capsys.readouterr().out)
    assert {s["kind"] for s in spans} == {"rrp"}
    late = [s for s in spans if s["regime"] == "DEPLETED"]
    assert late and late[-1]["start"] < "2025-09-01" and late[-1]["end"] > "2026-03-31"
    assert main(["regimes", "--kind", "rrp", "--start", "2025-06-01"]) == 0
    assert "DEPLETED" in capsys.readouterr().out


def test_cli_explain_json_reports_draining_with_its_why_line(capsys) -> None:
    assert main(["explain", "2024-01-19", "--json"]) == 0
    e = json.loads(capsys.readouterr().out)
    assert e["rrp"]["regime"] == "DRAINING" and e["rrp"]["since"] == "2023-06-27"
    assert "fell" in e["rrp"]["why"] and "63 trading days" in e["rrp"]["why"]
    assert e["rrp"]["last_operation"] == "2024-01-18"  # 01-19's operation is public at 16:30
    assert e["params"]["rrp"]["floor_bn"] == 100.0
    assert main(["explain", "2024-01-19"]) == 0
    assert "ON RRP: DRAINING since 2023-06-27" in capsys.readouterr().out


def test_explain_param_override(store: Store) -> None:
    p = RegimeParams(rrp=RrpParams(floor_bn=700.0, floor_exit_bn=800.0))
    e = explain("2024-01-19", p, store=store)
    assert e["rrp"]["regime"] == "DEPLETED" and "floor_bn 700" in e["rrp"]["why"]


def _drain_rule() -> Strategy:
    return Strategy(
        name="rrp_drain",
        rules=(Rule(0.6, rrp="DRAINING", name="drain"), Rule(0.3, rrp="DEPLETED", name="empty")),
        default_weight=1.0,
    )


def test_a_rule_on_rrp_has_a_compact_table() -> None:
    s = _drain_rule()
    assert s.families() == ("rrp",) and s.table_shape() == (len(RRP),)
    assert s.table()[RRP.DRAINING.code] == 0.6 and s.table()[RRP.DEPLETED.code] == 0.3
    assert "rrp.window_days" in s.sweep_keys() and "rrp.floor_bn" in s.sweep_keys()


def test_sweep_over_rrp_parameters_equals_the_backtest() -> None:
    """Every combination of a grid over the ON RRP parameters (windows that change its
    inputs, thresholds that only change its codes) equals the vectorbt backtest over the same
    window."""
    s = _drain_rule()
    grid = {
        "rrp.window_days": [21, 63],
        "rrp.smooth_days": [1, 10],
        "rrp.floor_bn": [50.0, 100.0],
        "weights.drain": [0.2, 0.6],
    }
    df = run_sweep(s, grid, start="2020-01-01")
    g = expand_grid(s, grid)
    assert len(df) == g.size == 16
    for _, row in df.iterrows():
        res = run_backtest(g.strategy_at(int(row["combo"])), df.attrs["start"], df.attrs["end"])
        for k in ("total_return", "cagr", "sharpe", "max_drawdown", "turnover"):
            assert row[k] == pytest.approx(getattr(res.metrics, k), rel=1e-9, abs=1e-12), k
        assert row["n_rebalances"] == res.metrics.n_rebalances
