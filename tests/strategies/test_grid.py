"""Sweep grids: --grid parsing, sizes, order, columns, sampling and limits."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.errors import ParameterError
from strategies import (
    Grid,
    Strategy,
    expand_grid,
    load_strategy,
    parse_grid_option,
    parse_grid_options,
)
from strategies.errors import GridError


@pytest.fixture(scope="module")
def qt() -> Strategy:
    return load_strategy("qt_aware")


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance_sheet.window_weeks=8,13,26", ("balance_sheet.window_weeks", (8, 13, 26))),
        (" weights.contraction = 0, 0.25 ,0.5", ("weights.contraction", (0, 0.25, 0.5))),
        ("costs.fees=1e-4,5e-4", ("costs.fees", (0.0001, 0.0005))),
        ("policy.below_range=true,false", ("policy.below_range", (True, False))),
        ("balance_sheet.window_weeks=8:26:6", ("balance_sheet.window_weeks", (8, 14, 20, 26))),
        ("weights.contraction=0:1:0.25", ("weights.contraction", (0.0, 0.25, 0.5, 0.75, 1.0))),
        (
            "balance_sheet.contract_enter=-0.06:-0.02:0.02",
            ("balance_sheet.contract_enter", (-0.06, -0.04, -0.02)),
        ),
        ("rebalance.band=0.05", ("rebalance.band", (0.05,))),
    ],
)
def test_parse_grid_option(text: str, expected: tuple) -> None:
    key, values = parse_grid_option(text)
    assert (key, values) == expected
    assert [type(v) for v in values] == [type(v) for v in expected[1]]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("balance_sheet.window_weeks", "expected KEY=V1,V2"),
        ("=8,13", "expected KEY=V1,V2"),
        ("balance_sheet.window_weeks=", "empty list of values"),
        ("balance_sheet.window_weeks=8,,13", "empty value"),
        ("balance_sheet.window_weeks=8:26", "expected a range START:STOP:STEP"),
        ("balance_sheet.window_weeks=8:26:0", "expected step > 0"),
        ("balance_sheet.window_weeks=26:8:1", "the range is empty"),
        ("weights.contraction=a:1:0.1", "start = 'a': expected a number"),
    ],
)
def test_parse_grid_option_errors(text: str, fragment: str) -> None:
    with pytest.raises(GridError) as info:
        parse_grid_option(text)
    assert fragment in str(info.value) and str(info.value).startswith("--grid")
    assert isinstance(info.value, ParameterError)


def test_parse_grid_options_rejects_a_key_given_twice() -> None:
    opts = parse_grid_options(["costs.fees=0,0.001", "rebalance.band=0.05"])
    assert opts == {"costs.fees": (0, 0.001), "rebalance.band": (0.05,)}
    with pytest.raises(GridError, match="given twice"):
        parse_grid_options(["costs.fees=0", "costs.fees=0.001"])


# -- expansion --------------------------------------------------------------------------------


def test_sweep_table_grid_size_order_and_columns(qt: Strategy) -> None:
    grid = expand_grid(qt)
    assert grid.keys == (
        "balance_sheet.window_weeks",
        "balance_sheet.contract_enter",
        "weights.contraction",
        "weights.plateau",
        "rebalance.band",
    )
    assert grid.shape == (3, 3, 5, 2, 3) and grid.size == len(grid) == 270
    cols = grid.columns()
    assert cols["balance_sheet.window_weeks"].dtype == np.int64
    assert cols["weights.contraction"].dtype == np.float64
    # C order: the last key varies fastest; every combination appears once.
    expected = list(itertools.product(*grid.values))
    assert [tuple(cols[k][i] for k in grid.keys) for i in range(270)] == expected
    assert grid.combination(1) == dict(zip(grid.keys, expected[1], strict=True))
    chunk = grid.columns(100, 110)
    for k in grid.keys:
        np.testing.assert_array_equal(chunk[k], cols[k][100:110])


def test_overrides_replace_and_add_keys(qt: Strategy) -> None:
    grid = expand_grid(
        qt,
        parse_grid_options(
            [
                "balance_sheet.window_weeks=4,8",
                "policy.below_range=true,false",
                "execution_lag=1:3:1",
            ]
        ),
    )
    assert grid.values[grid.keys.index("balance_sheet.window_weeks")] == (4, 8)
    assert grid.size == 2 * 3 * 5 * 2 * 3 * 2 * 3
    assert grid.columns(0, 4)["policy.below_range"].dtype == np.bool_
    only = expand_grid(qt, {"costs.fees": [0, 0.001]}, include_sweep=False)
    assert only.keys == ("costs.fees",) and only.values == ((0.0, 0.001),)
    s = only.strategy_at(1)
    assert s.costs.fees == 0.001 and s.costs.slippage == qt.costs.slippage


def test_grid_without_keys_is_the_strategy_itself(qt: Strategy) -> None:
    grid = expand_grid(qt, include_sweep=False)
    assert grid.size == 1 and grid.keys == () and grid.columns() == {}
    assert grid.strategy_at(0) == qt
    np.testing.assert_array_equal(grid.tables()[0], qt.table())
    assert grid.sample(1).size == 1


def test_tables_and_rule_weights_match_each_strategy(qt: Strategy) -> None:
    grid = expand_grid(
        qt,
        {
            "weights.contraction": [0.0, 0.5, 1.0],
            "min_weight": [0.0],
            "max_weight": [1.0],
            "default_weight": [0.8, 1.0],
        },
        include_sweep=False,
    )
    tables = grid.tables()
    weights = grid.rule_weights()
    assert tables.shape == (grid.size, 4) and weights.shape == (grid.size, 3)
    for i in range(grid.size):
        s = grid.strategy_at(i)
        np.testing.assert_array_equal(tables[i], s.table())
        np.testing.assert_array_equal(weights[i], [r.weight for r in s.rules] + [s.default_weight])


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"balance_sheet.window_week": [8]}, "did you mean 'balance_sheet.window_weeks'"),
        ({"weights.contractoin": [0.5]}, "did you mean 'weights.contraction'"),
        ({"rebalance.frequency": ["D", "W"]}, "not sweepable"),
        ({"balance_sheet.window_weeks": []}, "empty list of values"),
        ({"balance_sheet.window_weeks": [8.5, 13]}, "value 8.5 (position 0): expected an integer"),
        ({"rebalance.band": [True]}, "expected a number"),
        ({"policy.below_range": [1]}, "expected true or false"),
        ({"execution_lag": [0, 1]}, "look-ahead"),
        ({"costs.fees": [-0.001]}, "[0, 1)"),
        ({"weights.contraction": [0.5, 1.2]}, "outside [0, 1]"),
        ({"balance_sheet.expand_exit": [0.02, 0.06]}, "balance_sheet.expand_exit=0.06 is invalid"),
        ({"min_weight": [0.0, 0.6]}, "weights.contraction ranges over [0.0, 1.0]"),
        ({"min_weight": [0.5], "max_weight": [0.4]}, "min_weight = 0.5 is above max_weight = 0.4"),
    ],
)
def test_bad_grids_fail_before_any_work(qt: Strategy, overrides: dict, fragment: str) -> None:
    with pytest.raises(GridError) as info:
        expand_grid(qt, overrides)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_bad_option_text_fails_with_type_mismatch(qt: Strategy) -> None:
    with pytest.raises(GridError, match=r"--grid balance_sheet.window_weeks: value 8\.5"):
        expand_grid(qt, parse_grid_options(["balance_sheet.window_weeks=8.5,13"]))


def test_dependent_regime_parameters_valid_together(qt: Strategy) -> None:
    grid = expand_grid(
        qt,
        {"balance_sheet.expand_enter": [0.06, 0.08], "balance_sheet.expand_exit": [0.02, 0.06]},
        include_sweep=False,
    )
    assert grid.size == 4
    assert {grid.strategy_at(i).regimes.balance_sheet.expand_exit for i in range(4)} == {0.02, 0.06}


def _huge(qt: Strategy) -> dict[str, tuple]:
    """1,000 x 1,000 x 1,000 = 10^9 combinations."""
    return {
        "execution_lag": tuple(range(1, 1001)),
        "costs.fees": tuple(i / 10**5 for i in range(1000)),
        "costs.slippage": tuple(i / 10**5 for i in range(1000)),
    }


def test_grid_over_the_limit_needs_sampling(qt: Strategy) -> None:
    with pytest.raises(
        GridError,
        match=r"1,000,000,000 combinations, more than the limit of "
        r"10,000,000; sample it",
    ):
        expand_grid(qt, _huge(qt), include_sweep=False)
    with pytest.raises(GridError, match="more than the limit of 100"):
        expand_grid(qt, limit=100)
    assert expand_grid(qt, limit=270).size == 270


def _distinct_rows(grid: Grid) -> int:
    return len(np.unique(grid.indices(), axis=0))


def test_sampling_a_huge_grid_is_distinct_reproducible_and_in_the_grid(qt: Strategy) -> None:
    a = expand_grid(qt, _huge(qt), include_sweep=False, sample=2000, seed=7)
    b = expand_grid(qt, _huge(qt), include_sweep=False, sample=2000, seed=7)
    c = expand_grid(qt, _huge(qt), include_sweep=False, sample=2000, seed=8)
    assert a.size == 2000 and a.full_size == 10**9 and _distinct_rows(a) == 2000
    np.testing.assert_array_equal(a.indices(), b.indices())
    assert not np.array_equal(a.indices(), c.indices())
    cols = a.columns()
    assert set(cols["execution_lag"]) <= set(range(1, 1001))
    assert cols["execution_lag"].dtype == np.int64
    # Returned in grid order (C order over the value indices).
    idx = a.indices()
    flat = np.ravel_multi_index(tuple(idx.T), a.shape)
    assert (np.diff(flat) > 0).all()
    s = a.strategy_at(5)
    assert s.execution_lag == cols["execution_lag"][5] and s.costs.fees == cols["costs.fees"][5]


def test_sampling_a_grid_too_large_for_int64(qt: Strategy) -> None:
    values = tuple(i / 1000 for i in range(1001))
    overrides = {
        k: values
        for k in (
            "weights.contraction",
            "weights.plateau",
            "default_weight",
            "costs.fees",
            "costs.slippage",
            "rebalance.band",
        )
    }
    overrides = {
        k: v[:-1] if k.startswith(("costs", "rebalance")) else v for k, v in overrides.items()
    } | {"execution_lag": tuple(range(1, 1001))}
    grid = expand_grid(qt, overrides, include_sweep=False, sample=500, seed=1)
    assert grid.full_size > np.iinfo(np.int64).max and grid.size == 500
    assert _distinct_rows(grid) == 500
    with pytest.raises(GridError, match="sample it"):
        Grid(grid.strategy, grid.keys, grid.values).indices(0, 10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_sample_of_small_grid_is_a_subset_in_order(shape: list[int], data: st.DataObject) -> None:
    keys = ("costs.fees", "costs.slippage", "rebalance.band", "execution_lag")[: len(shape)]
    overrides = {
        k: tuple(range(1, n + 1)) if k == "execution_lag" else tuple(i / 100 for i in range(n))
        for k, n in zip(keys, shape, strict=True)
    }
    full = expand_grid(Strategy(name="s"), overrides)
    n = data.draw(st.integers(1, full.size))
    seed = data.draw(st.integers(0, 2**32))
    sample = full.sample(n, seed)
    np.testing.assert_array_equal(sample.indices(), full.sample(n, seed).indices())
    rows = {tuple(r) for r in full.indices()}
    got = [tuple(r) for r in sample.indices()]
    assert len(set(got)) == n and set(got) <= rows and got == sorted(got)
    sub = sample.sample(max(1, n // 2), seed)
    assert {tuple(r) for r in sub.indices()} <= set(got)


def test_sampled_grid_pickles_and_is_read_only(qt: Strategy) -> None:
    grid = expand_grid(qt, sample=50, seed=3)
    back = pickle.loads(pickle.dumps(grid))
    np.testing.assert_array_equal(back.indices(), grid.indices())
    assert back.strategy == qt and back.combination(7) == grid.combination(7)
    with pytest.raises(ValueError):
        grid.indices()[0, 0] = 1


def test_sample_size_errors(qt: Strategy) -> None:
    grid = expand_grid(qt)
    with pytest.raises(GridError, match="only 270 combinations"):
        grid.sample(271)
    for n in (0, -3, 2.5, True):
        with pytest.raises(GridError, match="sample size"):
            grid.sample(n)  # type: ignore[arg-type]
    with pytest.raises(GridError, match="from 1 to 10"):
        grid.sample(20, limit=10)
    with pytest.raises(GridError, match="combination 270: outside"):
        grid.combination(270)
