"""Strategy spec: built-ins, allocation-table semantics, replace(), TOML round trips."""

from __future__ import annotations

import itertools
import pickle
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import (
    Costs,
    Overlay,
    Rebalance,
    Rule,
    Strategy,
    builtin_names,
    expand_grid,
    load_strategy,
    parse_strategy,
)
from strategies.errors import StrategyError
from strategies.families import RegimeParams, family
from strategies.regimes import BalanceSheet, NetLiquidity, Phase

BUILTINS = (
    "buy_and_hold",
    "net_liquidity_trend",
    "note_thesis",
    "qt_aware",
    "treasury_rotation",
    "yield_phase",
)


@pytest.fixture(scope="module")
def builtins() -> dict[str, Strategy]:
    return {name: load_strategy(name) for name in builtin_names()}


# -- built-ins --------------------------------------------------------------------------------


def test_builtin_names_are_the_five_of_the_issue_and_the_bond_leg() -> None:
    """The five built-ins of the first issue, and treasury_rotation (issue 10)."""
    assert builtin_names() == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_documents_itself_and_its_sweep_is_valid(
    builtins: dict[str, Strategy], name: str
) -> None:
    s = builtins[name]
    assert s.name == name and s.source == f"builtin:{name}"
    for part in ("Requires:", "Produces:", "Lag:"):
        assert part in s.description
    assert s.execution_lag == 1
    assert s.cash_rate == ("DTB3+DGS3MO" if name == "treasury_rotation" else "DTB3")
    assert s.sweep and set(s.sweep) <= set(s.sweep_keys())
    table = s.table()
    assert table.shape == s.table_shape() and table.dtype == np.float64
    assert s.table_shape() == tuple(len(family(f).enum) for f in s.families())
    assert ((table >= s.min_weight) & (table <= s.max_weight)).all()
    # Every combination of the [sweep] table is a valid strategy whose table the grid predicts.
    grid = expand_grid(s)
    assert grid.size == np.prod([len(v) for v in s.sweep.values()])
    tables = grid.tables()
    for i in range(grid.size):
        np.testing.assert_array_equal(grid.strategy_at(i).table(), tables[i])


def test_buy_and_hold_is_fully_invested_with_no_band(builtins: dict[str, Strategy]) -> None:
    s = builtins["buy_and_hold"]
    assert s.rules == () and s.overlays == () and s.uses() == frozenset()
    assert s.rebalance == Rebalance("D", 0.0) and s.costs == Costs(0.0005, 0.0)
    assert (s.table() == 1.0).all()


@pytest.mark.parametrize("name", ["qt_aware", "net_liquidity_trend", "yield_phase", "note_thesis"])
def test_active_builtins_default_costs(builtins: dict[str, Strategy], name: str) -> None:
    assert builtins[name].costs == Costs(fees=0.0005, slippage=0.0002)
    assert builtins[name].rebalance.band == 0.05


def test_qt_aware_halves_equity_in_contraction_only(builtins: dict[str, Strategy]) -> None:
    s = builtins["qt_aware"]
    t = s.table()
    assert s.uses() == {"balance_sheet"}
    assert (t[BalanceSheet.CONTRACTION.code] == 0.5).all()
    others = [b.code for b in BalanceSheet if b is not BalanceSheet.CONTRACTION]
    assert (t[others] == 1.0).all()


def test_net_liquidity_trend_by_trend(builtins: dict[str, Strategy]) -> None:
    t = builtins["net_liquidity_trend"].table()
    expected = {
        NetLiquidity.UNKNOWN: 1.0,
        NetLiquidity.UP: 1.0,
        NetLiquidity.FLAT: 0.8,
        NetLiquidity.DOWN: 0.4,
    }
    for nl, w in expected.items():
        assert t[nl.code] == w


def test_yield_phase_by_phase(builtins: dict[str, Strategy]) -> None:
    """Issue 10: where the 10y falls (FIRST_HALF, CUTTING, CUTTING_RECESSION) part of the
    portfolio moves into 10-year Treasuries (equity 1.0 / 1.0 / 0.2 before)."""
    s = builtins["yield_phase"]
    assert s.asset_ids() == ("SP500TR", "UST10Y")
    t = s.leg_table()
    expected = {
        Phase.UNKNOWN: (1.0, 0.0),
        Phase.NEUTRAL: (1.0, 0.0),
        Phase.HIKING: (0.6, 0.0),
        Phase.HOLD: (0.8, 0.0),
        Phase.FIRST_HALF: (0.7, 0.3),
        Phase.CUTTING: (0.7, 0.3),
        Phase.CUTTING_RECESSION: (0.2, 0.6),
    }
    for ph, w in expected.items():
        assert tuple(t[ph.code]) == w, ph


def test_treasury_rotation_by_phase(builtins: dict[str, Strategy]) -> None:
    s = builtins["treasury_rotation"]
    t = s.leg_table()
    assert tuple(t[Phase.FIRST_HALF.code]) == (0.4, 0.6)
    assert tuple(t[Phase.CUTTING_RECESSION.code]) == (0.0, 1.0)
    assert tuple(t[Phase.HOLD.code]) == (1.0, 0.0)
    assert s.benchmark_legs().tolist() == [0.6, 0.4]
    assert s.leg_fees().tolist() == [0.0005, 0.0002]


def test_note_thesis_cuts_hard_in_recession_cuts_and_trims_in_qt(
    builtins: dict[str, Strategy],
) -> None:
    s = builtins["note_thesis"]
    t = s.table()
    C, FH, CR = BalanceSheet.CONTRACTION.code, Phase.FIRST_HALF.code, Phase.CUTTING_RECESSION.code
    assert s.uses() == {"balance_sheet", "net_liquidity", "phase"}
    assert (t[:, :, CR] == 0.1).all()
    assert (t[C, :, FH] == 0.7).all()
    assert t[C, NetLiquidity.DOWN.code, Phase.HIKING.code] == 0.5
    assert t[BalanceSheet.PLATEAU.code, NetLiquidity.DOWN.code, Phase.CUTTING.code] == 0.8
    assert t[BalanceSheet.EXPANSION.code, NetLiquidity.UP.code, Phase.NEUTRAL.code] == 1.0
    # January 2024 as DESIGN.md reads it: balance sheet CONTRACTION, policy FIRST_HALF.
    assert t[C, NetLiquidity.UP.code, FH] == 0.7
    # Issue 10: Treasuries where the 10y falls.
    legs = s.leg_table()
    assert tuple(legs[C, NetLiquidity.UP.code, FH]) == (0.7, 0.3)
    assert (legs[:, :, CR, 1] == 0.6).all()
    assert tuple(legs[BalanceSheet.PLATEAU.code, NetLiquidity.UP.code, Phase.CUTTING.code]) == (
        0.8,
        0.2,
    )


# -- allocation table -----------------------------------------------------------------------


def test_table_first_match_wildcards_and_default() -> None:
    s = Strategy(
        name="t",
        rules=(
            Rule(0.0, balance_sheet="CONTRACTION", phase="CUTTING_RECESSION"),
            Rule(0.2, phase="CUTTING_RECESSION"),
            Rule(0.5, balance_sheet="CONTRACTION", net_liquidity="*"),
            Rule(0.7, net_liquidity="DOWN", phase="*"),
        ),
        default_weight=0.9,
    )
    assert s.rules[2].net_liquidity is None  # "*" is stored as None (any)
    assert s.uses() == {"balance_sheet", "net_liquidity", "phase"}
    t = s.table()
    # Hand-written, with the codes of strategies.regimes: (bs, nl, phase).
    assert t[3, 0, 6] == 0.0  # CONTRACTION + CUTTING_RECESSION: rule 0 before rule 1
    assert t[1, 3, 6] == 0.2  # EXPANSION + DOWN + CUTTING_RECESSION: rule 1 before rule 3
    assert t[3, 3, 1] == 0.5  # CONTRACTION + DOWN: rule 2 before rule 3
    assert t[2, 3, 4] == 0.7  # PLATEAU + DOWN + FIRST_HALF
    assert t[0, 0, 0] == 0.9  # all UNKNOWN: the default
    assert t[2, 1, 2] == 0.9
    for bs, nl, ph in itertools.product(BalanceSheet, NetLiquidity, Phase):
        if bs is BalanceSheet.CONTRACTION and ph is Phase.CUTTING_RECESSION:
            w = 0.0
        elif ph is Phase.CUTTING_RECESSION:
            w = 0.2
        elif bs is BalanceSheet.CONTRACTION:
            w = 0.5
        elif nl is NetLiquidity.DOWN:
            w = 0.7
        else:
            w = 0.9
        assert t[bs.code, nl.code, ph.code] == w, (bs, nl, ph)
    idx = s.rule_index()
    assert idx[3, 0, 6] == 0 and idx[0, 0, 0] == -1


_AXES = (("balance_sheet", BalanceSheet), ("net_liquidity", NetLiquidity), ("phase", Phase))


def _oracle(rules: list[Rule], default: float) -> np.ndarray:
    out = np.empty((4, 4, 7))
    for bs, nl, ph in itertools.product(BalanceSheet, NetLiquidity, Phase):
        day = {"balance_sheet": bs.value, "net_liquidity": nl.value, "phase": ph.value}
        out[bs.code, nl.code, ph.code] = next(
            (r.weight for r in rules if all(v == day[k] for k, v in r.conditions().items())),
            default,
        )
    return out


def _shadowed(rule: Rule, earlier: list[Rule]) -> bool:
    regimes = ("balance_sheet", "net_liquidity", "phase")
    return any(all(getattr(e, r) in (None, getattr(rule, r)) for r in regimes) for e in earlier)


@st.composite
def _strategies(draw: st.DrawFn) -> Strategy:
    lo, hi = sorted(draw(st.tuples(st.floats(0, 1), st.floats(0, 1))))
    weight = st.floats(lo, hi)
    rules: list[Rule] = []
    for _ in range(draw(st.integers(0, 8))):
        rule = Rule(
            draw(weight),
            balance_sheet=draw(st.sampled_from([None, "*", *BalanceSheet.__members__])),
            net_liquidity=draw(st.sampled_from([None, "*", *NetLiquidity.__members__])),
            phase=draw(st.sampled_from([None, "*", *Phase.__members__])),
        )
        if not _shadowed(rule, rules):
            rules.append(rule)
    return Strategy(
        name="h", rules=tuple(rules), default_weight=draw(weight), min_weight=lo, max_weight=hi
    )


@settings(max_examples=150, deadline=None)
@given(_strategies())
def test_table_matches_first_match_oracle_and_stays_in_bounds(s: Strategy) -> None:
    t = s.table()
    assert t.shape == s.table_shape() and t.dtype == np.float64
    assert ((t >= s.min_weight) & (t <= s.max_weight)).all()
    # The compact table, broadcast over the families the rules do not use, is the oracle's.
    used = s.families()
    full = t.reshape([len(e) if n in used else 1 for n, e in _AXES])
    np.testing.assert_array_equal(
        np.broadcast_to(full, (4, 4, 7)), _oracle(list(s.rules), s.default_weight)
    )


# -- replace ----------------------------------------------------------------------------------


def test_replace_changes_each_kind_of_key(builtins: dict[str, Strategy]) -> None:
    s = builtins["qt_aware"]
    r = s.replace(
        **{
            "balance_sheet.window_weeks": 26,
            "weights.contraction": 0.3,
            "rebalance.band": 0.1,
            "costs.fees": 0.001,
            "default_weight": 0.9,
            "execution_lag": 2,
            "policy.below_range": False,
            "net_liquidity.band_bn": 100,
            "rebalance.frequency": "M",
            "cash_rate": "none",
            "balance_sheet.measure": "walcl",
        }
    )
    assert r.regimes.balance_sheet.window_weeks == 26
    assert r.regimes.balance_sheet.measure == "walcl"
    assert r.regimes.net_liquidity.band_bn == 100.0
    assert r.regimes.policy.below_range is False
    assert r.rules[0].weight == 0.3 and r.rules[1] == s.rules[1]
    assert r.rebalance == Rebalance("M", 0.1) and r.costs == Costs(0.001, 0.0002)
    assert r.default_weight == 0.9 and r.execution_lag == 2 and r.cash_rate == "none"
    assert r.table()[BalanceSheet.CONTRACTION.code] == 0.3
    assert s.regimes.balance_sheet.window_weeks == 13  # the original is unchanged
    assert s.replace() == s
    assert r.sweep == s.sweep and r.source == s.source


def test_replace_accepts_numpy_scalars_and_overlay_slopes() -> None:
    s = Strategy(
        name="o",
        overlays=(Overlay("y10_minus_y2", 0.1),),
        rules=(Rule(0.5, phase="HIKING", name="hiking"),),
    )
    r = s.replace(
        **{
            "overlays.0.slope": np.float64(-0.2),
            "balance_sheet.window_weeks": np.int64(8),
            "policy.below_range": np.bool_(False),
            "weights.hiking": np.float32(0.25),
        }
    )
    assert r.overlays[0] == Overlay("y10_minus_y2", -0.2, 0.0)
    assert type(r.regimes.balance_sheet.window_weeks) is int
    assert r.regimes.policy.below_range is False and r.rules[0].weight == 0.25
    assert hash(r) != hash(s)


@pytest.mark.parametrize(
    ("dotted", "fragments"),
    [
        (
            {"balance_sheet.window_week": 8},
            ["replace(balance_sheet.window_week=...)", "did you mean 'balance_sheet.window_weeks'"],
        ),
        ({"weights.contractoin": 0.2}, ["unknown key", "did you mean 'weights.contraction'"]),
        ({"overlays.0.slope": 0.1}, ["unknown key"]),
        (
            {"balance_sheet.window_weeks": 13.5},
            ["balance_sheet.window_weeks=13.5", "expected an integer"],
        ),
        ({"balance_sheet.window_weeks": 0}, ["regimes.balance_sheet.window_weeks = 0"]),
        ({"balance_sheet.expand_exit": 0.09}, ["regimes.balance_sheet.expand_exit"]),
        ({"weights.contraction": 1.5}, ["allocation.rules[0].weight = 1.5", "outside"]),
        ({"min_weight": 0.6}, ["allocation.rules[0].weight = 0.5", "[0.6, 1.0]"]),
        ({"rebalance.band": 1.0}, ["rebalance.band = 1.0"]),
        ({"execution_lag": 0}, ["execution.lag = 0", "look-ahead"]),
        ({"costs.slippage": -0.001}, ["costs.slippage"]),
        ({"rebalance.frequency": "Q"}, ["rebalance.frequency = 'Q'"]),
        ({"cash_rate": "DGS1MO"}, ["cash.rate = 'DGS1MO'"]),
        ({"default_weight": "high"}, ["default_weight='high'", "expected a number"]),
        ({"policy.below_range": 1}, ["expected true or false"]),
    ],
)
def test_replace_rejects_unknown_keys_and_bad_values(
    builtins: dict[str, Strategy], dotted: dict, fragments: list[str]
) -> None:
    with pytest.raises(StrategyError) as info:
        builtins["qt_aware"].replace(**dotted)
    msg = str(info.value)
    assert msg.startswith("strategies/builtin/qt_aware.toml: ") and "\n" not in msg
    for fragment in fragments:
        assert fragment in msg


def test_sweep_keys_cover_the_contract(builtins: dict[str, Strategy]) -> None:
    keys = builtins["qt_aware"].sweep_keys()
    for key in (
        "balance_sheet.window_weeks",
        "balance_sheet.min_dwell_days",
        "net_liquidity.band_bn",
        "policy.sahm_threshold",
        "policy.below_range",
        "weights.contraction",
        "weights.plateau",
        "default_weight",
        "min_weight",
        "max_weight",
        "rebalance.band",
        "costs.fees",
        "costs.slippage",
        "execution_lag",
    ):
        assert key in keys
    for key in ("balance_sheet.measure", "rebalance.frequency", "cash_rate"):
        assert key not in keys
    assert keys[0].startswith("balance_sheet.")
    s = Strategy(name="o", overlays=(Overlay("vix", -0.01, 20.0), Overlay("y10", 0.05)))
    assert ("overlays.0.slope", "overlays.1.slope") == s.sweep_keys()[-2:]


# -- TOML round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_round_trips_through_dict_and_toml(
    builtins: dict[str, Strategy], name: str, tmp_path
) -> None:
    s = builtins[name]
    assert parse_strategy(s.to_dict(), s.source) == s
    path = tmp_path / f"{name}_copy.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    back = load_strategy(path)
    assert back == s and back.source == str(path)
    assert back.sweep == s.sweep and back.description == s.description


def test_replaced_strategy_with_overlays_round_trips(tmp_path) -> None:
    s = Strategy(
        name="custom",
        description='Multi-line\n"quoted" description.',
        regimes=RegimeParams(),
        rules=(Rule(0.4, balance_sheet="CONTRACTION", name="qt"), Rule(0.8, phase="HIKING")),
        overlays=(Overlay("y10_minus_y2", 0.1, -0.5),),
        min_weight=0.1,
        max_weight=0.9,
        default_weight=0.9,
        rebalance=Rebalance("W", 0.02),
        execution_lag=2,
        costs=Costs(0.001, 0.0003),
        cash_rate="none",
        sweep={
            "weights.qt": (0.2, 0.4),
            "overlays.0.slope": (0.0, 0.1),
            "policy.below_range": (True, False),
        },
    ).replace(**{"balance_sheet.window_weeks": 26, "policy.y10_drop": 0.75})
    text = s.to_toml()
    assert tomllib.loads(text)["sweep"]["weights.qt"] == [0.2, 0.4]
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    back = load_strategy(str(path))
    assert back == s
    assert back.regimes.balance_sheet.window_weeks == 26 and back.regimes.policy.y10_drop == 0.75


def test_sweep_ranges_expand_inclusively_and_bare_dotted_keys_work(tmp_path) -> None:
    path = tmp_path / "ranges.toml"
    path.write_text(
        'name = "ranges"\n'
        '[[allocation.rules]]\nname = "qt"\nbalance_sheet = "CONTRACTION"\nweight = 0.5\n'
        "[sweep]\n"
        '"weights.qt" = { start = 0.0, stop = 1.0, step = 0.1 }\n'
        "balance_sheet.window_weeks = { start = 4, stop = 26, step = 11 }\n"
        '"costs.fees" = { values = [0, 0.001] }\n',
        encoding="utf-8",
    )
    s = load_strategy(path)
    assert s.sweep["weights.qt"] == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    assert s.sweep["balance_sheet.window_weeks"] == (4, 15, 26)
    assert s.sweep["costs.fees"] == (0.0, 0.001) and type(s.sweep["costs.fees"][0]) is float


def test_name_defaults_to_file_stem(tmp_path) -> None:
    path = tmp_path / "my_rule.toml"
    path.write_text("[allocation]\ndefault = 0.6\n", encoding="utf-8")
    s = load_strategy(path)
    assert s.name == "my_rule" and (s.table() == 0.6).all()


def test_strategy_pickles_for_dask_workers(builtins: dict[str, Strategy]) -> None:
    s = builtins["note_thesis"].replace(**{"weights.qt": 0.25})
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.sweep == s.sweep and back.source == s.source
    assert hash(back) == hash(s)


def test_load_strategy_accepts_a_builtin_source_label() -> None:
    assert load_strategy("builtin:yield_phase") == load_strategy("yield_phase")


def test_direct_construction_is_validated_with_the_name_as_location() -> None:
    with pytest.raises(StrategyError, match=r"^strategy 'x': allocation.rules\[0\].weight = 2.0"):
        Strategy(name="x", rules=(Rule(2.0),))
    with pytest.raises(StrategyError, match=r"sweep.\"weights.qt\": empty"):
        Strategy(name="x", rules=(Rule(0.5, phase="HIKING", name="qt"),), sweep={"weights.qt": []})
