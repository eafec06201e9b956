"""Legs in the spec (issue 10): [assets], weights per role, bounds, costs, overlays, benchmark,
dotted keys per role, grids with a leg axis, round trips; and the spec's own copies of the
engine's and the data package's constants."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from data.assets import BUILTIN_ASSETS, DEFAULT_EQUITY, USER_ID
from engine.cash import CASH_RATES as ENGINE_CASH_RATES
from strategies import (
    Assets,
    Costs,
    Overlay,
    Rule,
    Strategy,
    Weights,
    expand_grid,
    load_strategy,
    parse_strategy,
)
from strategies.errors import GridError, StrategyError
from strategies.legs import ASSET_ID, DEFAULT_ASSETS
from strategies.legs import DEFAULT_EQUITY as SPEC_DEFAULT_EQUITY
from strategies.regimes import Phase
from strategies.spec import CASH_RATES

THREE = """
name = "three"
[assets]
treasury = "UST10Y"
equity = "SP500TR"
[allocation]
default = { equity = 0.6, treasury = 0.3 }
min_weight = 0.1
[allocation.bounds]
treasury = [0.0, 0.6]
[[allocation.rules]]
name = "first_half"
phase = "FIRST_HALF"
weights = { equity = 0.5, treasury = 0.4 }
[[allocation.rules]]
name = "hiking"
phase = "HIKING"
weight = 0.8
[[overlays]]
feature = "y10_minus_y2"
slope = 0.05
role = "treasury"
[costs]
fees = { equity = 0.0005, treasury = 0.0001 }
slippage = 0.0002
[benchmark]
weights = { equity = 0.6, treasury = 0.4 }
"""


@pytest.fixture(scope="module")
def three() -> Strategy:
    import tomllib

    return parse_strategy(tomllib.loads(THREE), "three.toml")


def test_the_spec_keeps_its_own_copies_in_step() -> None:
    """strategies never imports engine or data.assets: its constants are held equal here."""
    assert CASH_RATES == ENGINE_CASH_RATES
    assert SPEC_DEFAULT_EQUITY == DEFAULT_EQUITY
    assert ASSET_ID.pattern == USER_ID.pattern
    assert all(ASSET_ID.match(a) for a in BUILTIN_ASSETS)


def test_existing_files_hold_the_total_return_equity() -> None:
    s = load_strategy("qt_aware")
    assert s.assets == DEFAULT_ASSETS == Assets({"equity": "SP500TR"})
    assert s.roles() == ("equity",) and s.n_legs == 1
    np.testing.assert_array_equal(s.leg_table()[..., 0], s.table())
    assert s.benchmark is None and s.benchmark_legs().tolist() == [1.0]


def test_three_legs_parse(three: Strategy) -> None:
    assert three.roles() == ("equity", "treasury")  # equity first
    assert three.asset_ids() == ("SP500TR", "UST10Y")
    assert three.default_weight == 0.6 and three.default_legs == Weights({"treasury": 0.3})
    assert three.bounds_of("treasury") == (0.0, 0.6) and three.bounds_of("equity") == (0.1, 1.0)
    first_half, hiking = three.rules
    assert first_half.weight == 0.5 and first_half.weight_of("treasury") == 0.4
    assert hiking.weight == 0.8 and hiking.weight_of("treasury") == 0.0  # omitted role: 0
    assert three.overlay_legs().tolist() == [1]
    assert three.leg_fees().tolist() == [0.0005, 0.0001]
    assert three.leg_slippage().tolist() == [0.0002, 0.0002]
    assert three.benchmark_legs().tolist() == [0.6, 0.4]
    t = three.leg_table()
    assert t.shape == (len(Phase), 2)
    assert t[Phase.FIRST_HALF.code].tolist() == [0.5, 0.4]
    assert t[Phase.HIKING.code].tolist() == [0.8, 0.0]
    assert t[Phase.CUTTING.code].tolist() == [0.6, 0.3]


def test_three_legs_round_trip(three: Strategy, tmp_path) -> None:
    assert parse_strategy(three.to_dict(), three.source) == three
    path = tmp_path / "three.toml"
    path.write_text(three.to_toml(), encoding="utf-8")
    back = load_strategy(path)
    assert back == three and back.assets.roles == three.assets.roles
    assert pickle.loads(pickle.dumps(three)) == three
    assert hash(pickle.loads(pickle.dumps(three))) == hash(three)


def test_rule_shorthand_and_table_are_the_same_rule() -> None:
    a = Rule(0.5, phase="HIKING")
    b = Rule(weights={"equity": 0.5}, phase="HIKING")
    assert a == b and hash(a) == hash(b)
    c = Rule(weights={"treasury": 0.4}, phase="HIKING")
    assert c.weight == 0.0 and c.weights == Weights({"equity": 0.0, "treasury": 0.4})
    assert "weights=" in repr(c) and repr(a).startswith("Rule(weight=0.5")
    with pytest.raises(StrategyError, match="not both"):
        Rule(0.5, weights={"treasury": 0.4})


def test_no_equity_leg() -> None:
    s = Strategy(
        name="bonds",
        assets={"treasury": "UST10Y"},
        rules=(Rule(weights={"treasury": 0.8}, phase="FIRST_HALF", name="fh"),),
    )
    assert s.default_weight == 0.0 and s.leg_table().shape == (len(Phase), 1)
    assert s.benchmark_legs().tolist() == [1.0]
    assert "weights.fh" not in s.key_types() and "weights.fh.treasury" in s.key_types()
    assert parse_strategy(s.to_dict()) == s
    assert "equity" not in s.to_toml()


def test_replace_per_role_keys(three: Strategy) -> None:
    r = three.replace(
        **{
            "weights.first_half.treasury": 0.3,
            "weights.first_half": 0.6,
            "default_weight.treasury": 0.2,
            "max_weight.treasury": 0.5,
            "costs.fees.treasury": 0.0002,
            "costs.slippage": 0.0003,
        }
    )
    assert r.rules[0].weight == 0.6 and r.rules[0].weight_of("treasury") == 0.3
    assert r.default_of("treasury") == 0.2 and r.bounds_of("treasury") == (0.0, 0.5)
    assert r.leg_fees().tolist() == [0.0005, 0.0002]
    assert r.leg_slippage().tolist() == [0.0003, 0.0003]
    # one number for every leg; a per-role key turns it into a table, costs.fees applies first
    one = three.replace(**{"costs.slippage.treasury": 0.001, "costs.slippage": 0.0004})
    assert one.costs.slippage == Weights({"equity": 0.0004, "treasury": 0.001})
    with pytest.raises(StrategyError, match=r"allocation.rules\[0\].weights = .*sum to 1.2"):
        three.replace(**{"weights.first_half.treasury": 0.6, "weights.first_half": 0.6})
    with pytest.raises(StrategyError, match="outside allocation.bounds.treasury"):
        three.replace(**{"weights.first_half.treasury": 0.6, "max_weight.treasury": 0.5})


def test_grid_leg_arrays_equal_each_strategy(three: Strategy) -> None:
    grid = expand_grid(
        three,
        {
            "weights.first_half": [0.3, 0.5],
            "weights.first_half.treasury": [0.2, 0.4],
            "default_weight.treasury": [0.1, 0.3],
            "max_weight.treasury": [0.45, 0.6],
            "min_weight": [0.0, 0.2],
            "costs.fees": [0.0, 0.001],
            "costs.fees.treasury": [0.0003],
            "costs.slippage": [0.0, 0.0001],
        },
        include_sweep=False,
    )
    tables = grid.leg_tables()
    lo, hi = grid.leg_bounds()
    fees, slip = grid.leg_costs()
    assert tables.shape == (grid.size, len(Phase), 2)
    for i in range(grid.size):
        s = grid.strategy_at(i)
        np.testing.assert_array_equal(tables[i], s.leg_table().reshape(-1, 2))
        np.testing.assert_array_equal(lo[i], s.leg_bounds()[0])
        np.testing.assert_array_equal(hi[i], s.leg_bounds()[1])
        np.testing.assert_array_equal(fees[i], s.leg_fees())
        np.testing.assert_array_equal(slip[i], s.leg_slippage())


def test_grid_rejects_role_weights_that_can_sum_above_1(three: Strategy) -> None:
    with pytest.raises(GridError, match=r"allocation.rules\[0\] sum to up to 1.2"):
        expand_grid(three, {"weights.first_half": [0.5, 0.6], "weights.first_half.treasury": [0.6]})
    with pytest.raises(GridError, match="max_weight.treasury"):
        expand_grid(three, {"weights.first_half.treasury": [0.5], "max_weight.treasury": [0.45]})


def test_overlay_role_defaults_to_equity_and_round_trips() -> None:
    s = Strategy(name="o", overlays=(Overlay("vix", -0.01, 20.0),))
    assert s.overlays[0].role == "equity" and s.overlay_legs().tolist() == [0]
    assert "role" not in s.to_dict()["overlays"][0]
    assert Costs(0.0005, 0.0) == s.costs
