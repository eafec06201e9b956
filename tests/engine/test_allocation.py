"""Allocation: target weights, decision days and the order plan (kernel == reference == oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.errors import ParameterError
from engine.allocation import decision_mask, plan_orders, table_cells
from engine.allocation_nb import (
    STATUS_EXECUTED,
    STATUS_NONE,
    STATUS_PENDING,
    STATUS_REPLACED,
    cell_codes_nb,
    cell_codes_ref,
    plan_orders_nb,
    plan_orders_ref,
    target_weights_nb,
    target_weights_ref,
)
from engine.parity import plan_oracle


def _one_leg(fn):
    """The N-leg plan kernel (or reference, or oracle) on one leg: 1-D in, 1-D out."""

    def run(w, dec, re, rc, band, lag):
        ow, drift, status = fn(np.reshape(w, (-1, 1)), dec, np.reshape(re, (-1, 1)), rc, band, lag)
        return ow[:, 0], drift[:, 0], status

    return run


def _weights_one_leg(fn):
    """The N-leg target-weights kernel (or reference) on one leg: scalar bounds, 1-D out."""

    def run(table, cells, x, slopes, centers, lo, hi):
        out = fn(
            np.reshape(table, (-1, 1)),
            cells,
            x,
            slopes,
            centers,
            np.zeros(len(slopes), np.int64),
            np.array([lo]),
            np.array([hi]),
        )
        return out[:, 0]

    return run


# ---------------------------------------------------------------- target weights


def _codes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (rng.integers(0, 4, n), rng.integers(0, 4, n), rng.integers(0, 7, n))


def _cells(table: np.ndarray, *codes: np.ndarray) -> np.ndarray:
    """The kernels' table cells of per-family codes (the one cell-code function)."""
    return table_cells(np.column_stack(codes), table.shape)[:, 0]


@pytest.mark.parametrize("shape", [(4, 4, 7), (4,), (7, 5), ()])
def test_cell_codes_kernel_reference_oracle(shape: tuple[int, ...]) -> None:
    """Cells are the C-order positions of the codes (np.ravel_multi_index), int32, for every
    set of columns in one call, in Fortran order (one column per set)."""
    rng = np.random.default_rng(len(shape))
    n = 300
    codes = np.zeros((n, 2 * len(shape)), dtype=np.int8)
    for j, s in enumerate(shape):
        codes[:, 2 * j] = rng.integers(0, s, n)
        codes[:, 2 * j + 1] = rng.integers(0, s, n)
    sets = np.array([[2 * j + b for j in range(len(shape))] for b in (0, 1)], dtype=np.int64)
    sets = sets.reshape(2, len(shape))
    dims = np.array(shape, dtype=np.int64)
    got = cell_codes_nb(codes, sets, dims)
    assert got.dtype == np.int32 and got.shape == (n, 2) and got.flags.f_contiguous
    np.testing.assert_array_equal(got, cell_codes_ref(codes, sets, dims))
    for u in range(2):
        want = np.ravel_multi_index(tuple(codes[:, sets[u]].T), shape) if shape else np.zeros(n)
        np.testing.assert_array_equal(got[:, u], want)


def test_cell_codes_do_not_overflow_past_255_cells() -> None:
    shape = (4, 4, 7, 5, 3)  # 1,680 cells
    codes = np.array([[3, 3, 6, 4, 2], [0, 0, 0, 0, 1]], dtype=np.int8)
    assert table_cells(codes, shape)[:, 0].tolist() == [1679, 1]


def _weights_oracle(table, bs, nl, ph, x, slopes, centers, lo, hi):
    """NumPy fancy indexing + a matrix product: a different route to the same rule."""
    w = table[bs, nl, ph] + (x - centers) @ slopes
    return np.where(np.isnan(w), np.nan, np.clip(w, lo, hi))


@pytest.mark.parametrize("k", [0, 1, 3])
def test_target_weights_kernel_reference_oracle(k: int) -> None:
    rng = np.random.default_rng(7 + k)
    n = 500
    table = rng.uniform(0, 1, (4, 4, 7))
    bs, nl, ph = _codes(rng, n)
    x = rng.normal(0, 2, (n, k))
    x[rng.uniform(size=(n, k)) < 0.05] = np.nan
    slopes, centers = rng.normal(0, 0.3, k), rng.normal(0, 1, k)
    args = (table.ravel(), _cells(table, bs, nl, ph), x, slopes, centers, 0.1, 0.9)
    ref = _weights_one_leg(target_weights_ref)(*args)
    np.testing.assert_array_equal(_weights_one_leg(target_weights_nb)(*args), ref)
    oracle = _weights_oracle(table, bs, nl, ph, x, slopes, centers, 0.1, 0.9)
    np.testing.assert_allclose(ref, oracle, rtol=0, atol=1e-12)
    if k:
        assert np.isnan(ref).any()  # a NaN overlay feature leaves the weight undefined


@settings(max_examples=60, deadline=None)
@given(
    lo=st.floats(0, 1),
    width=st.floats(0, 1),
    x=st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=1, max_size=30),
    slope=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_target_weights_stay_within_bounds_for_extreme_inputs(lo, width, x, slope) -> None:
    hi = min(1.0, lo + width)
    n = len(x)
    table = np.linspace(-5, 5, 4 * 4 * 7).reshape(4, 4, 7)
    rng = np.random.default_rng(n)
    bs, nl, ph = _codes(rng, n)
    cells = _cells(table, bs, nl, ph)
    x_ = np.array(x).reshape(n, 1)
    w = _weights_one_leg(target_weights_nb)(
        table.ravel(), cells, x_, np.array([slope]), np.array([0.0]), lo, hi
    )
    assert np.all((w >= lo) & (w <= hi))


# ---------------------------------------------------------------- decision days


def test_decision_days_week_and_month_ends() -> None:
    days = pd.DatetimeIndex(
        [
            "2024-03-26",
            "2024-03-27",
            "2024-03-28",  # Good Friday 03-29 closed
            "2024-04-01",
            "2024-04-02",
            "2024-04-05",
            "2024-04-08",
        ]
    )
    w = decision_mask(days, "W")
    m = decision_mask(days, "M")
    # Thursday 03-28 is the last trading day of its week and of March.
    assert list(days[w]) == [pd.Timestamp("2024-03-28"), pd.Timestamp("2024-04-05")]
    assert list(days[m]) == [pd.Timestamp("2024-03-28")]
    # The last data day (Monday 04-08) is not a week or month end: the next business day is
    # Tuesday of the same week, so the data ending there does not make a decision.
    assert decision_mask(days, "D").all()


def test_decision_days_last_day_at_a_real_month_end() -> None:
    days = pd.DatetimeIndex(["2024-05-30", "2024-05-31"])
    assert decision_mask(days, "M").tolist() == [False, True]
    assert decision_mask(days, "W").tolist() == [False, True]


def test_decision_days_unknown_frequency() -> None:
    with pytest.raises(ParameterError, match="frequency 'Q'"):
        decision_mask(pd.DatetimeIndex(["2024-01-02"]), "Q")


# ---------------------------------------------------------------- order plan


def _scenario(rng: np.random.Generator, n: int, p_decision: float = 1.0, p_nan: float = 0.0):
    w = np.round(rng.uniform(0, 1, n) * 4) / 4  # a few distinct levels, like a table
    w[rng.uniform(size=n) < p_nan] = np.nan
    dec = rng.uniform(size=n) < p_decision
    re = rng.normal(0.0003, 0.012, n)
    rc = np.abs(rng.normal(0.0001, 0.00005, n))
    re[0] = rc[0] = 0.0
    return w, dec, re, rc


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "band,lag,p_dec,p_nan",
    [
        (0.0, 1, 1.0, 0.0),
        (0.05, 1, 1.0, 0.0),
        (0.1, 2, 0.3, 0.1),
        (0.02, 3, 0.6, 0.2),
    ],
)
def test_plan_kernel_reference_oracle(seed, band, lag, p_dec, p_nan) -> None:
    rng = np.random.default_rng(seed)
    args = (*_scenario(rng, 300, p_dec, p_nan), band, lag)
    ow_r, d_r, s_r = _one_leg(plan_orders_ref)(*args)
    ow_n, d_n, s_n = _one_leg(plan_orders_nb)(*args)
    np.testing.assert_array_equal(ow_n, ow_r)
    np.testing.assert_array_equal(d_n, d_r)
    np.testing.assert_array_equal(s_n, s_r)
    ow_o, d_o, s_o = _one_leg(plan_oracle)(*args)
    np.testing.assert_array_equal(np.isnan(ow_o), np.isnan(ow_r))
    np.testing.assert_allclose(ow_r, ow_o, rtol=0, atol=0)
    np.testing.assert_allclose(d_r, d_o, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(s_r, s_o)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_plan_tiny_inputs(n: int) -> None:
    w = np.full(n, 0.5)
    ow, drift, status = _one_leg(plan_orders_nb)(
        w, np.ones(n, bool), np.zeros(n), np.zeros(n), 0.0, 1
    )
    assert len(ow) == len(drift) == len(status) == n
    if n == 1:
        assert status[0] == STATUS_PENDING and np.isnan(ow[0])
    if n == 2:
        assert ow[1] == 0.5 and status[0] == STATUS_EXECUTED and status[1] == STATUS_NONE


def test_first_decision_always_orders_and_band_is_strict() -> None:
    n = 6
    w = np.array([1.0, 1.0, 0.9, 0.85, 0.85, 0.85])
    ow, drift, status = _one_leg(plan_orders_nb)(
        w, np.ones(n, bool), np.zeros(n), np.zeros(n), 0.1, 1
    )
    # Day 0 orders (no trade yet); 0.9 is exactly the band away from 1.0: no order (strict);
    # 0.85 is beyond it: order on day 3, executed on day 4.
    assert status.tolist() == [STATUS_EXECUTED, 0, 0, STATUS_EXECUTED, 0, 0]
    assert ow[1] == 1.0 and ow[4] == 0.85 and np.isnan(ow[[0, 2, 3, 5]]).all()


def test_fully_invested_never_drifts() -> None:
    rng = np.random.default_rng(3)
    n = 200
    re = rng.normal(0, 0.02, n)
    rc = np.full(n, 0.0002)
    ow, drift, status = _one_leg(plan_orders_nb)(np.ones(n), np.ones(n, bool), re, rc, 0.0, 1)
    assert (status == STATUS_EXECUTED).sum() == 1
    assert np.all(drift[1:] == 1.0)


def test_newer_order_replaces_pending_one() -> None:
    n = 8
    w = np.array([0.2, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    dec = np.zeros(n, bool)
    dec[[0, 1, 5]] = True
    ow, _, status = _one_leg(plan_orders_nb)(w, dec, np.zeros(n), np.zeros(n), 0.0, 3)
    # Day 0 orders 0.2 for day 3; day 1 (no trade yet) orders 0.8 for day 4 and replaces it;
    # day 5 finds the weight at 0.8: no order.
    assert status.tolist() == [STATUS_REPLACED, STATUS_EXECUTED, 0, 0, 0, 0, 0, 0]
    assert ow[4] == 0.8 and np.isnan(np.delete(ow, 4)).all()


def test_lag_longer_than_decision_spacing_orders_once() -> None:
    """With daily decisions and lag 2, a steady target is compared with the pending order's
    weight: it is ordered once and executes, instead of being replaced every day."""
    n = 10
    ow, _, status = _one_leg(plan_orders_nb)(
        np.full(n, 0.6), np.ones(n, bool), np.zeros(n), np.zeros(n), 0.0, 2
    )
    assert ow[2] == 0.6 and np.isnan(np.delete(ow, 2)).all()
    assert status[0] == STATUS_EXECUTED and (status[1:] == STATUS_NONE).all()


def test_pending_order_is_replaced_only_beyond_the_band() -> None:
    n = 8
    w = np.array([0.5, 0.52, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7])
    ow, _, status = _one_leg(plan_orders_nb)(w, np.ones(n, bool), np.zeros(n), np.zeros(n), 0.05, 3)
    # Day 0 orders 0.5 for day 3; day 1's 0.52 is within the band of the pending 0.5; day 2's
    # 0.7 is beyond it and replaces the order (executes day 5).
    assert status.tolist()[:3] == [STATUS_REPLACED, STATUS_NONE, STATUS_EXECUTED]
    assert ow[5] == 0.7 and np.isnan(np.delete(ow, 5)).all()


def test_plan_is_prefix_stable() -> None:
    """No look-ahead: the plan on the first k days equals the full plan's first k days
    (except the status of orders still pending at day k)."""
    rng = np.random.default_rng(11)
    args = _scenario(rng, 400, 0.5, 0.05)
    full = _one_leg(plan_orders_nb)(*args, 0.03, 2)
    for k in (1, 17, 150, 399):
        part = _one_leg(plan_orders_nb)(*(a[:k] for a in args), 0.03, 2)
        np.testing.assert_array_equal(part[0], full[0][:k])
        np.testing.assert_array_equal(part[1], full[1][:k])
        settled = part[2] != STATUS_PENDING
        np.testing.assert_array_equal(part[2][settled], full[2][:k][settled])


def test_plan_wrapper_validates_and_labels() -> None:
    days = pd.bdate_range("2024-01-01", periods=5)
    target = pd.Series([0.5, 0.5, 0.7, 0.7, 0.7], index=days)
    z = np.zeros(5)
    plan = plan_orders(target, np.ones(5, bool), z, z, 0.1, 1)
    assert list(plan.columns) == [
        "target_weight",
        "decision",
        "order_weight",
        "drift",
        "status",
        "target_weight:weight",
        "order_weight:weight",
        "drift:weight",
    ]
    assert plan["status"].tolist() == ["executed", "none", "executed", "none", "none"]
    with pytest.raises(ParameterError, match="execution lag 0"):
        plan_orders(target, np.ones(5, bool), z, z, 0.1, 0)
    with pytest.raises(ParameterError, match="band"):
        plan_orders(target, np.ones(5, bool), z, z, 1.0, 1)


# ---------------------------------------------------------------- several legs (issue 10)


def test_band_applies_to_the_largest_drift_of_any_leg() -> None:
    """Two legs whose total stays at 0.8: leg 1 drifts away from its target while leg 0 does
    not; the band compares each leg, so the order comes when leg 1 alone moves beyond it."""
    n = 6
    w = np.tile([0.4, 0.4], (n, 1))
    re = np.zeros((n, 2))
    re[2, 1] = 0.2  # leg 1 gains 20% on day 2: its weight drifts to 0.48 / 1.08 = 0.444
    dec = np.ones(n, bool)
    ow, drift, status = plan_orders_nb(w, dec, re, np.zeros(n), 0.04, 1)
    assert drift[2, 1] == pytest.approx(0.48 / 1.08) and drift[2, 0] == pytest.approx(0.4 / 1.08)
    # day 0: first order; day 2: |0.4 - 0.4444| = 0.044 > 0.04 (leg 1), leg 0 within the band
    assert status.tolist() == [STATUS_EXECUTED, 0, STATUS_EXECUTED, 0, 0, 0]
    np.testing.assert_array_equal(ow[3], [0.4, 0.4])
    ow, _, status = plan_orders_nb(w, dec, re, np.zeros(n), 0.05, 1)  # 0.044 < 0.05
    assert status.tolist() == [STATUS_EXECUTED, 0, 0, 0, 0, 0]


def test_drift_of_three_legs_and_cash() -> None:
    """d_l' = d_l g_l / (sum_j d_j g_j + d_c g_c), d_c = 1 - sum d."""
    w = np.array([[0.5, 0.3, 0.1], [np.nan] * 3, [np.nan] * 3])
    re = np.array([[0, 0, 0], [0.0, 0.0, 0.0], [0.1, -0.05, 0.02]])
    rc = np.array([0.0, 0.0, 0.001])
    _, drift, _ = plan_orders_nb(w, np.ones(3, bool), re, rc, 0.0, 1)  # executes on day 1
    grow = np.array([0.5 * 1.1, 0.3 * 0.95, 0.1 * 1.02])
    np.testing.assert_allclose(drift[2], grow / (grow.sum() + 0.1 * 1.001), rtol=1e-15)
    assert np.isnan(drift[0]).all() and drift[1].tolist() == [0.5, 0.3, 0.1]


def test_target_weights_scale_down_when_the_legs_sum_above_1() -> None:
    """Each leg clipped to its bounds, then divided by the sum when it exceeds 1 (an overlay
    can push the sum above 1); one leg is never scaled; a NaN feature blanks the whole row."""
    table = np.array([[0.6, 0.3]])
    x = np.array([[0.0], [1.0], [np.nan]])
    out = target_weights_nb(
        table,
        np.zeros(3, np.int64),
        x,
        np.array([0.5]),
        np.array([0.0]),
        np.array([1], np.int64),  # the overlay moves leg 1
        np.array([0.0, 0.0]),
        np.array([1.0, 0.6]),
    )
    np.testing.assert_array_equal(out[0], [0.6, 0.3])
    # leg 1: 0.3 + 0.5 = 0.8, clipped to 0.6; the sum 1.2 scales both down
    np.testing.assert_allclose(out[1], [0.6 / 1.2, 0.6 / 1.2])
    assert np.isnan(out[2]).all()


def test_plan_with_legs_is_prefix_stable() -> None:
    rng = np.random.default_rng(12)
    n = 300
    w = np.round(rng.uniform(0, 1, (n, 3)) * 4) / 12
    w[rng.uniform(size=n) < 0.05] = np.nan
    dec = rng.uniform(size=n) < 0.5
    re = rng.normal(0.0003, 0.01, (n, 3))
    rc = np.full(n, 0.0001)
    full = plan_orders_nb(w, dec, re, rc, 0.03, 2)
    for k in (1, 40, 299):
        part = plan_orders_nb(w[:k], dec[:k], re[:k], rc[:k], 0.03, 2)
        np.testing.assert_array_equal(part[0], full[0][:k])
        np.testing.assert_array_equal(part[1], full[1][:k])
        settled = part[2] != STATUS_PENDING
        np.testing.assert_array_equal(part[2][settled], full[2][:k][settled])
