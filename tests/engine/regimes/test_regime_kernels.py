"""Regime kernels: numba == plain-Python reference == independent oracles, rule by rule.

Random inputs come from ``numpy.random.default_rng(seed)`` with the seed, sizes and
parameters drawn by hypothesis; adversarial inputs (empty, one row, all NaN, constant,
NaN gaps) are named scenarios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.parity import PARITY
from engine.regimes import nb, reference
from engine.regimes.api import balance_sheet_codes, net_liquidity_codes, phase_codes, phase_trace
from strategies.regimes import BalanceSheet, BalanceSheetParams, NetLiquidity, Phase, PolicyParams

BS = {m.name: m.code for m in BalanceSheet}
NL = {m.name: m.code for m in NetLiquidity}
PH = {m.name: m.code for m in Phase}

SETTINGS = settings(max_examples=60, deadline=None)


# ------------------------------------------------------------------ input generators


def _with_gaps(rng: np.random.Generator, x: np.ndarray, p_nan: float) -> np.ndarray:
    x = x.copy()
    x[rng.random(len(x)) < p_nan] = np.nan
    if len(x) > 4 and rng.random() < 0.5:  # one longer gap
        a = int(rng.integers(0, len(x) - 2))
        x[a : a + int(rng.integers(1, 4))] = np.nan
    return x


def growth_series(seed: int, n: int, p_nan: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = seed % 3
    if kind == 0:
        g = rng.normal(0.0, 0.08, n)
    elif kind == 1:  # a smooth cycle crossing every threshold
        g = 0.12 * np.sin(np.arange(n) / rng.uniform(2.0, 12.0)) + rng.normal(0, 0.01, n)
    else:  # values exactly on the usual thresholds
        g = rng.choice([0.05, 0.02, -0.04, -0.01, 0.0, 0.3, -0.13], n)
    return _with_gaps(rng, g, p_nan)


def phase_inputs(seed: int, n: int, p_nan: float) -> tuple[np.ndarray, ...]:
    """A random policy path (hikes, holds, cuts of 25-100bp), 10y, Sahm and calendar days."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.0] * 12 + [0.25, 0.25, 0.5, -0.25, -0.25, -0.5, -1.0], n)
    upper = np.round(3.0 + np.cumsum(steps), 2)
    width = rng.choice([0.0, 0.25])
    lower = upper - width
    y10 = 3.0 + np.cumsum(rng.normal(0, 0.15, n))
    sahm = np.clip(np.cumsum(rng.normal(0, 0.1, n)), -0.5, 3.0)
    day = np.cumsum(rng.integers(1, 5, n)).astype(np.int64) + 10_000
    upper = _with_gaps(rng, upper, p_nan)
    lower = np.where(np.isnan(upper), np.nan, lower)
    return upper, lower, _with_gaps(rng, y10, p_nan), _with_gaps(rng, sahm, p_nan), day


bs_params = st.builds(
    lambda xs, dwell: BalanceSheetParams(
        expand_enter=xs[3],
        expand_exit=xs[2],
        contract_exit=xs[1],
        contract_enter=xs[0],
        min_dwell_days=dwell,
    ),
    st.lists(
        st.sampled_from([-0.2, -0.1, -0.05, -0.04, -0.02, -0.01, 0.0, 0.01, 0.02, 0.05, 0.1, 0.2]),
        min_size=4,
        max_size=4,
        unique=True,
    ).map(sorted),
    st.integers(0, 12),
)

policy_params = st.builds(
    PolicyParams,
    hike_memory_days=st.integers(1, 40),
    cut_memory_days=st.integers(1, 80),
    y10_drop=st.sampled_from([0.1, 0.25, 0.5, 1.0]),
    below_range=st.booleans(),
    sahm_threshold=st.sampled_from([0.3, 0.5, 0.6, 1.0]),
    intermeeting_days=st.integers(0, 30),
    fast_cut_bp=st.sampled_from([25.0, 50.0, 100.0, 150.0]),
    fast_cut_days=st.integers(1, 60),
)


def _bs_args(p: BalanceSheetParams) -> tuple:
    return p.expand_enter, p.expand_exit, p.contract_enter, p.contract_exit, p.min_dwell_days


def _ph_args(p: PolicyParams) -> tuple:
    return (
        p.hike_memory_days,
        p.cut_memory_days,
        p.y10_drop,
        p.below_range,
        p.sahm_threshold,
        p.intermeeting_days,
        p.fast_cut_bp,
        p.fast_cut_days,
    )


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ kernel == reference


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 120),
    p_nan=st.sampled_from([0, 0.1, 0.5]),
    p=bs_params,
)
def test_balance_sheet_kernel_equals_reference(seed: int, n: int, p_nan: float, p) -> None:
    g = growth_series(seed, n, p_nan)
    out = nb.balance_sheet_nb(g, *_bs_args(p))
    assert out.dtype == np.int8 and out.shape == (n,)
    _same(out, reference.balance_sheet_ref(g, *_bs_args(p)))


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 120),
    p_nan=st.sampled_from([0, 0.1, 0.5]),
    band=st.sampled_from([0.0, 50.0, 150.0]),
)
def test_net_liquidity_kernel_equals_reference(
    seed: int, n: int, p_nan: float, band: float
) -> None:
    rng = np.random.default_rng(seed)
    c = _with_gaps(rng, rng.normal(0, 200, n).round(-1), p_nan)
    _same(nb.net_liquidity_nb(c, band), reference.net_liquidity_ref(c, band))


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 150),
    p_nan=st.sampled_from([0, 0.05, 0.3]),
    p=policy_params,
)
def test_phase_kernel_equals_reference(seed: int, n: int, p_nan: float, p: PolicyParams) -> None:
    args = phase_inputs(seed, n, p_nan)
    fast = nb.phase_trace_nb(*args, *_ph_args(p))
    slow = reference.phase_trace_ref(*args, *_ph_args(p))
    for a, b in zip(fast, slow, strict=True):
        _same(a, b)
    _same(nb.phase_nb(*args, *_ph_args(p)), fast[0])
    _same(reference.phase_ref(*args, *_ph_args(p)), fast[0])
    # the cycle high of the phase trace is the standalone cycle-high kernel
    _same(fast[4], nb.cycle_high_nb(args[0], args[1], args[2]))
    _same(
        nb.cycle_high_nb(args[0], args[1], args[2]),
        reference.cycle_high_ref(args[0], args[1], args[2]),
    )


def test_parity_table_lists_every_kernel() -> None:
    """Every public ``*_nb`` kernel has its reference in the parity table."""
    kernels = {name[:-3] for name in dir(nb) if name.endswith("_nb") and not name.startswith("_")}
    table = {p.name: p for p in PARITY}
    assert kernels <= set(table)
    for name in kernels:
        assert table[name].kernel.__name__ == f"{name}_nb"
        assert table[name].reference.__name__ == f"{name}_ref"


ADVERSARIAL = {
    "empty": np.array([], dtype=np.float64),
    "one_row": np.array([0.1]),
    "one_nan": np.array([np.nan]),
    "all_nan": np.full(30, np.nan),
    "constant": np.full(30, -0.04),
    "nan_then_values": np.r_[
        np.full(5, np.nan), np.full(5, 0.06), np.full(5, np.nan), np.full(5, -0.2)
    ],
    "alternating": np.tile([0.3, -0.3], 20),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("dwell", [0, 3])
def test_kernels_on_adversarial_inputs(name: str, dwell: int) -> None:
    x = ADVERSARIAL[name]
    p = BalanceSheetParams(min_dwell_days=dwell)
    _same(nb.balance_sheet_nb(x, *_bs_args(p)), reference.balance_sheet_ref(x, *_bs_args(p)))
    _same(nb.net_liquidity_nb(x * 1000, 150.0), reference.net_liquidity_ref(x * 1000, 150.0))
    n = len(x)
    upper = 2.0 + np.round(x, 1)  # NaN rows stay NaN
    day = np.arange(n, dtype=np.int64) * 2
    args = (upper, upper - 0.25, 2.0 + np.nan_to_num(x), x, day)
    q = PolicyParams()
    for a, b in zip(
        nb.phase_trace_nb(*args, *_ph_args(q)),
        reference.phase_trace_ref(*args, *_ph_args(q)),
        strict=True,
    ):
        _same(a, b)
    if np.isnan(x).all():  # no valid value at all: UNKNOWN everywhere
        assert (nb.balance_sheet_nb(x, *_bs_args(p)) == BS["UNKNOWN"]).all()
        assert (nb.phase_nb(*args, *_ph_args(q)) == PH["UNKNOWN"]).all()


# ------------------------------------------------------------------ independent oracles


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 120),
    p_nan=st.sampled_from([0, 0.2]),
    enter=st.sampled_from([0.0, 0.02, 0.05]),
    gap=st.sampled_from([0.01, 0.05]),
)
def test_balance_sheet_without_hysteresis_is_a_classification(seed, n, p_nan, enter, gap) -> None:
    """Exit == enter and no dwell: the regime is the growth's band, NaN rows carried forward."""
    g = growth_series(seed, n, p_nan)
    hi, lo = enter, enter - gap
    out = nb.balance_sheet_nb(g, hi, hi, lo, lo, 0)
    s = pd.Series(g)
    band = pd.Series(
        np.select([s >= hi, s <= lo], [BS["EXPANSION"], BS["CONTRACTION"]], BS["PLATEAU"]).astype(
            float
        )
    )
    oracle = band.where(s.notna()).ffill().fillna(BS["UNKNOWN"]).to_numpy(dtype=np.int8)
    _same(out, oracle)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 120), band=st.sampled_from([0.0, 100.0]))
def test_net_liquidity_matches_pandas_oracle(seed: int, n: int, band: float) -> None:
    rng = np.random.default_rng(seed)
    c = _with_gaps(rng, rng.normal(0, 200, n), 0.2)
    s = pd.Series(c)
    lab = pd.Series(
        np.select([s > band, s < -band], [NL["UP"], NL["DOWN"]], NL["FLAT"]).astype(float)
    )
    oracle = lab.where(s.notna()).ffill().fillna(NL["UNKNOWN"]).to_numpy(dtype=np.int8)
    _same(nb.net_liquidity_nb(c, band), oracle)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 150))
def test_cycle_high_matches_pandas_oracle(seed: int, n: int) -> None:
    """Running max of the 10y since the first hike after a cut (or the first change seen)."""
    upper, lower, y10, _, _ = phase_inputs(seed, n, 0.1)
    mid = pd.Series((upper + lower) / 2).ffill()
    d = mid.diff()
    direction = pd.Series(np.select([d > 1e-9, d < -1e-9], [1, -1], 0))
    prev_dir = direction.replace(0, np.nan).ffill().shift(1).fillna(0)
    start = (direction == 1) & (prev_dir != 1)
    cycle = start.cumsum()
    high = pd.Series(y10).groupby(cycle).cummax().groupby(cycle).ffill()  # a NaN 10y keeps the high
    oracle = high.where(cycle > 0).to_numpy()
    np.testing.assert_array_equal(nb.cycle_high_nb(upper, lower, y10), oracle)


# ------------------------------------------------------------------ no look-ahead in the loops


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 150),
    k=st.integers(0, 150),
    bp=bs_params,
    pp=policy_params,
)
def test_kernels_are_prefix_stable(seed: int, n: int, k: int, bp, pp) -> None:
    """The output on the first k rows equals the first k outputs on all rows."""
    k = min(k, n)
    g = growth_series(seed, n, 0.1)
    _same(nb.balance_sheet_nb(g[:k], *_bs_args(bp)), nb.balance_sheet_nb(g, *_bs_args(bp))[:k])
    _same(nb.net_liquidity_nb(g[:k], 0.05), nb.net_liquidity_nb(g, 0.05)[:k])
    args = phase_inputs(seed, n, 0.05)
    full = nb.phase_nb(*args, *_ph_args(pp))
    _same(nb.phase_nb(*(a[:k] for a in args), *_ph_args(pp)), full[:k])


# ------------------------------------------------------------------ rules, one scenario each


def test_balance_sheet_hysteresis() -> None:
    """Enter at the enter thresholds, leave only past the exit thresholds."""
    g = np.array([0.06, 0.03, 0.01, -0.03, -0.05, -0.02, 0.0, 0.049, 0.05])
    out = balance_sheet_codes(g, BalanceSheetParams(min_dwell_days=0))
    assert [BalanceSheet(list(BalanceSheet)[c]).name for c in out] == [
        "EXPANSION",
        "EXPANSION",
        "PLATEAU",
        "PLATEAU",
        "CONTRACTION",
        "CONTRACTION",
        "PLATEAU",
        "PLATEAU",
        "EXPANSION",
    ]


def test_balance_sheet_min_dwell_delays_changes() -> None:
    g = np.array([0.06, -0.2, -0.2, -0.2, -0.2, 0.2, 0.2, 0.2])
    out = balance_sheet_codes(g, BalanceSheetParams(min_dwell_days=3))
    e, c = BS["EXPANSION"], BS["CONTRACTION"]
    assert out.tolist() == [e, e, e, c, c, c, e, e]


def test_nan_holds_state_and_unknown_before_first_value() -> None:
    g = np.array([np.nan, np.nan, -0.1, np.nan, np.nan])
    assert balance_sheet_codes(g, BalanceSheetParams()).tolist() == [0, 0, 3, 3, 3]
    c = np.array([np.nan, 200.0, np.nan, -10.0, np.nan])
    assert net_liquidity_codes(c, _nlp(150)).tolist() == [
        0,
        NL["UP"],
        NL["UP"],
        NL["FLAT"],
        NL["FLAT"],
    ]


def _nlp(band: float):
    from strategies.regimes import NetLiquidityParams

    return NetLiquidityParams(band_bn=band)


def test_net_liquidity_dead_band_edges() -> None:
    c = np.array([150.0, 150.01, -150.0, -150.01, 0.0])
    assert net_liquidity_codes(c, _nlp(150)).tolist() == [
        NL["FLAT"],
        NL["UP"],
        NL["FLAT"],
        NL["DOWN"],
        NL["FLAT"],
    ]


def _policy_path(changes: dict[int, float], n: int, start: float = 1.0) -> np.ndarray:
    upper = np.full(n, start)
    for t, v in sorted(changes.items()):
        upper[t:] = v
    return upper


def test_phase_walks_through_the_cycle() -> None:
    """HIKING -> HOLD -> FIRST_HALF (sticky) -> CUTTING -> NEUTRAL, and a hike restarts it."""
    n = 100
    upper = _policy_path({10: 1.25, 20: 1.5, 60: 1.25, 90: 1.5}, n)
    lower = upper - 0.25
    y10 = np.full(n, 3.0)
    y10[25] = 3.4  # cycle high 3.4
    y10[45:50] = 2.8  # 0.6 below the high -> FIRST_HALF from day 45
    y10[50:] = 3.3  # rebound: FIRST_HALF stays
    y10[92] = 3.9  # new cycle from day 90: high restarts
    sahm = np.zeros(n)
    day = np.arange(n, dtype=np.int64) * 7  # weekly rows: no change is inter-meeting
    p = PolicyParams(
        hike_memory_days=15,
        cut_memory_days=20,
        y10_drop=0.5,
        intermeeting_days=3,
        fast_cut_bp=150,
        fast_cut_days=10,
    )
    tr = phase_trace(upper, lower, y10, sahm, day, p)
    names = [list(Phase)[c].name for c in tr.codes]
    assert names[:10] == ["NEUTRAL"] * 10
    assert names[10:35] == ["HIKING"] * 25  # hikes on 10 and 20, memory 15 rows
    assert names[35:45] == ["HOLD"] * 10
    assert names[45:60] == ["FIRST_HALF"] * 15  # stays after the 10y rebounds on day 50
    assert names[60:80] == ["CUTTING"] * 20
    assert names[80:90] == ["NEUTRAL"] * 10
    assert names[90:] == ["HIKING"] * 10
    assert tr.cycle_start[50] == 10 and tr.cycle_start[95] == 90
    assert tr.cycle_high[50] == 3.4 and tr.cycle_high[91] == 3.3 and tr.cycle_high[95] == 3.9
    assert tr.last_hike[59] == 20 and tr.last_cut[70] == 60


def test_phase_first_half_below_range_switch() -> None:
    n = 30
    upper = _policy_path({2: 5.5}, n, 5.25)
    lower = upper - 0.25
    y10 = np.full(n, 5.0)  # below the lower bound 5.25, never 0.5 below its high
    sahm = np.zeros(n)
    day = np.arange(n, dtype=np.int64) * 7
    on = phase_codes(
        upper, lower, y10, sahm, day, PolicyParams(hike_memory_days=5, below_range=True)
    )
    off = phase_codes(
        upper, lower, y10, sahm, day, PolicyParams(hike_memory_days=5, below_range=False)
    )
    assert on[7:].tolist() == [PH["FIRST_HALF"]] * (n - 7)
    assert off[7:].tolist() == [PH["HOLD"]] * (n - 7)


@pytest.mark.parametrize(
    ("gap_days", "intermeeting_days", "expected"),
    [
        (10, 21, "CUTTING_RECESSION"),
        (10, 5, "CUTTING"),
        (21, 21, "CUTTING_RECESSION"),
        (22, 21, "CUTTING"),
    ],
)
def test_phase_intermeeting_cut_tags_recession(
    gap_days: int, intermeeting_days: int, expected: str
) -> None:
    n = 12
    upper = _policy_path({3: 2.75, 4: 2.5}, n, 3.0)
    day = np.array(
        [0, 40, 80, 120, 120 + gap_days] + [200 + i for i in range(n - 5)], dtype=np.int64
    )
    p = PolicyParams(intermeeting_days=intermeeting_days, fast_cut_bp=500)
    out = phase_codes(upper, upper - 0.25, np.full(n, 3.0), np.zeros(n), day, p)
    assert list(Phase)[out[3]].name == "CUTTING"
    assert list(Phase)[out[4]].name == expected
    assert list(Phase)[out[-1]].name == expected  # the tag lasts for the episode


def test_phase_fast_cuts_tag_recession() -> None:
    n = 40
    upper = _policy_path({5: 4.5, 15: 4.0, 25: 3.5}, n, 5.0)
    day = np.arange(n, dtype=np.int64) * 7
    pile = PolicyParams(fast_cut_bp=150, fast_cut_days=21, intermeeting_days=0)
    slow = PolicyParams(fast_cut_bp=150, fast_cut_days=20, intermeeting_days=0)
    a = phase_trace(upper, upper - 0.25, np.full(n, 3.0), np.zeros(n), day, pile)
    b = phase_codes(upper, upper - 0.25, np.full(n, 3.0), np.zeros(n), day, slow)
    assert a.codes[24] == PH["CUTTING"] and a.codes[25] == PH["CUTTING_RECESSION"]
    assert a.cut_sum_bp[25] == pytest.approx(150.0) and a.rec_why[25] == nb.REC_FAST
    assert (b[5:] == PH["CUTTING"]).all()  # day 5 is out of a 20-row window on day 25


def test_phase_sahm_tags_cutting_only() -> None:
    n = 40
    upper = _policy_path({3: 2.5, 20: 2.25}, n, 2.25)
    sahm = np.zeros(n)
    sahm[10:15] = 0.8  # during HOLD: no effect
    sahm[30:33] = 0.8  # during CUTTING: tags the rest of the episode
    day = np.arange(n, dtype=np.int64) * 7
    p = PolicyParams(
        hike_memory_days=5, cut_memory_days=100, y10_drop=5.0, below_range=False, sahm_threshold=0.6
    )
    tr = phase_trace(upper, upper - 0.25, np.full(n, 3.0), sahm, day, p)
    assert (tr.codes[8:20] == PH["HOLD"]).all()
    assert (tr.codes[20:30] == PH["CUTTING"]).all()
    assert (tr.codes[30:] == PH["CUTTING_RECESSION"]).all()
    assert tr.rec_why[35] == nb.REC_SAHM


def test_phase_nan_range_holds_and_unknown_first() -> None:
    upper = np.array([np.nan, np.nan, 1.0, np.nan, 1.25, np.nan])
    out = phase_codes(
        upper, upper, np.full(6, 2.0), np.zeros(6), np.arange(6, dtype=np.int64), PolicyParams()
    )
    assert out.tolist() == [
        PH["UNKNOWN"],
        PH["UNKNOWN"],
        PH["NEUTRAL"],
        PH["NEUTRAL"],
        PH["HIKING"],
        PH["HIKING"],
    ]


def test_wrappers_validate_shapes_and_params() -> None:
    from data.errors import ParameterError

    with pytest.raises(ParameterError, match="lower"):
        phase_codes(np.ones(3), np.ones(2), np.ones(3), np.ones(3), np.arange(3), PolicyParams())
    with pytest.raises(ParameterError, match="BalanceSheetParams"):
        balance_sheet_codes(np.ones(3), PolicyParams())  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="1-d"):
        net_liquidity_codes(np.ones((2, 2)), _nlp(1.0))
