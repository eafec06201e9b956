"""Performance metrics with one set of definitions (the sweep kernel is tested against these).

Window: from the close of the first execution day (``V_0``) to the last day (``V_end``);
``n`` = number of daily returns ``r_t = V_t / V_{t-1} - 1``; ``rc_t`` = the cash asset's return.

* total_return = V_end / V_0 - 1
* years = calendar days between the first and last window date / 365.25
* CAGR = (V_end / V_0) ** (1 / years) - 1
* volatility = std(r, ddof=1) * sqrt(252)
* excess e_t = r_t - rc_t; Sharpe = mean(e) / std(e, ddof=1) * sqrt(252);
  Sortino = mean(e) / sqrt(mean(min(e, 0) ** 2)) * sqrt(252)
* max_drawdown = min_t(V_t / max_{s<=t} V_s - 1) (<= 0); Calmar = CAGR / |max_drawdown|
* turnover = sum over executed trades of |value traded in the risky legs| / V before the
  trade, / years
* exposure = mean end-of-day total risky weight (the sum of the legs; the index weight with
  one leg) over the n + 1 window dates; time_invested = share of those dates with a risky
  position; leg_exposure = the mean end-of-day weight of each leg; n_rebalances = executed
  orders.

Degenerate conventions: every float metric is NaN when n < 2; a ratio whose deviation is 0 is
+/-inf (the sign of its numerator), NaN when the numerator is 0 too.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from strategies.families import NAMES, REGIME_ENUMS

TRADING_DAYS = 252
"""Annualisation factor of daily returns."""
DAYS_PER_YEAR = 365.25
"""Calendar days per year for CAGR."""


def ratio(numerator: float, deviation: float) -> float:
    """``numerator / deviation`` with the degenerate convention: +/-inf at zero deviation, NaN at 0/0."""
    if math.isnan(numerator) or math.isnan(deviation):
        return math.nan
    if deviation == 0.0:
        if numerator == 0.0:
            return math.nan
        return math.copysign(math.inf, numerator)
    return numerator / deviation


def sharpe_ratio(excess: np.ndarray) -> float:
    """Annualised Sharpe ratio of daily excess returns (NaN if fewer than 2)."""
    e = np.asarray(excess, dtype=np.float64)
    if len(e) < 2:
        return math.nan
    return ratio(float(np.mean(e)), float(np.std(e, ddof=1))) * math.sqrt(TRADING_DAYS)


def sortino_ratio(excess: np.ndarray) -> float:
    """Annualised Sortino ratio: mean over the root mean square of the negative excess returns."""
    e = np.asarray(excess, dtype=np.float64)
    if len(e) < 2:
        return math.nan
    downside = math.sqrt(float(np.mean(np.minimum(e, 0.0) ** 2)))
    return ratio(float(np.mean(e)), downside) * math.sqrt(TRADING_DAYS)


def annual_volatility(returns: np.ndarray) -> float:
    """std(r, ddof=1) * sqrt(252) (NaN if fewer than 2 returns)."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 2:
        return math.nan
    return float(np.std(r, ddof=1)) * math.sqrt(TRADING_DAYS)


def drawdown(value: np.ndarray) -> np.ndarray:
    """``V_t / max_{s<=t} V_s - 1`` per day (float64 array of the same length, <= 0)."""
    v = np.asarray(value, dtype=np.float64)
    return v / np.maximum.accumulate(v) - 1.0


def max_drawdown_span(
    value: pd.Series,
) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None, pd.Timestamp | None]:
    """The deepest drawdown: (depth <= 0, peak date, trough date, recovery date or None)."""
    if len(value) == 0:
        return math.nan, None, None, None
    v = value.to_numpy(dtype=np.float64)
    dd = drawdown(v)
    trough = int(np.argmin(dd))
    depth = float(dd[trough])
    if depth == 0.0:
        return 0.0, None, None, None
    peak = int(np.argmax(v[: trough + 1]))
    after = np.flatnonzero(v[trough:] >= v[peak])
    recovery = value.index[trough + int(after[0])] if len(after) else None
    return depth, value.index[peak], value.index[trough], recovery


@dataclass(frozen=True)
class Metrics:
    """Metrics of one value series over its window (definitions in the module docstring)."""

    start: pd.Timestamp
    end: pd.Timestamp
    n_returns: int
    years: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_peak: pd.Timestamp | None
    max_drawdown_trough: pd.Timestamp | None
    max_drawdown_recovery: pd.Timestamp | None
    calmar: float
    turnover: float
    exposure: float
    time_invested: float
    n_rebalances: int
    leg_exposure: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain values (dates as ISO strings, non-finite floats kept as floats)."""
        out: dict[str, object] = {}
        for k, v in asdict(self).items():
            if isinstance(v, pd.Timestamp):
                out[k] = v.date().isoformat()
            elif isinstance(v, np.integer):
                out[k] = int(v)
            elif isinstance(v, np.floating):
                out[k] = float(v)
            else:
                out[k] = v
        return out


def compute_metrics(
    value: pd.Series,
    cash_return: pd.Series | np.ndarray,
    index_weight: pd.Series | np.ndarray | None = None,
    trade_fraction: pd.Series | np.ndarray | None = None,
    n_rebalances: int = 0,
    leg_weights: pd.DataFrame | None = None,
) -> Metrics:
    """Metrics of a portfolio over its window.

    Parameters
    ----------
    value : portfolio value at each close of the window (length n + 1, first = ``V_0``).
    cash_return : the cash asset's return of each window day (length n + 1; element 0 unused).
    index_weight : end-of-day total risky weight of each window day (length n + 1); None: not
        reported.
    trade_fraction : per window day, |value traded in the risky legs| / portfolio value before
        the trade (0 on days without a trade; length n + 1); None: turnover not reported.
    n_rebalances : number of executed orders in the window.
    leg_weights : end-of-day weight of each leg (one column per leg, n + 1 rows); None: no
        per-leg exposure.

    Returns
    -------
    :class:`Metrics`.
    """
    v = value.to_numpy(dtype=np.float64)
    idx = value.index
    legs = (
        {}
        if leg_weights is None or len(v) < 3
        else {
            str(c): float(np.mean(leg_weights[c].to_numpy(dtype=np.float64))) for c in leg_weights
        }
    )
    n = max(len(v) - 1, 0)
    start = idx[0] if len(idx) else pd.NaT
    end = idx[-1] if len(idx) else pd.NaT
    years = (end - start).days / DAYS_PER_YEAR if len(idx) else math.nan
    nan = math.nan
    if n < 2:
        return Metrics(
            start,
            end,
            n,
            years,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            None,
            None,
            None,
            nan,
            nan,
            nan,
            nan,
            int(n_rebalances),
            legs,
        )
    r = v[1:] / v[:-1] - 1.0
    rc = np.asarray(cash_return, dtype=np.float64)[1:]
    e = r - rc
    growth = v[-1] / v[0]
    total = growth - 1.0
    cagr = growth ** (1.0 / years) - 1.0
    depth, peak, trough, recovery = max_drawdown_span(value)
    calmar = ratio(cagr, abs(depth))
    if trade_fraction is not None:
        turnover = float(np.sum(np.abs(np.asarray(trade_fraction, dtype=np.float64)))) / years
    else:
        turnover = nan
    if index_weight is not None:
        wgt = np.asarray(index_weight, dtype=np.float64)
        exposure = float(np.mean(wgt))
        invested = float(np.mean(wgt > 0.0))
    else:
        exposure = invested = nan
    return Metrics(
        start=start,
        end=end,
        n_returns=n,
        years=years,
        total_return=total,
        cagr=cagr,
        volatility=annual_volatility(r),
        sharpe=sharpe_ratio(e),
        sortino=sortino_ratio(e),
        max_drawdown=depth,
        max_drawdown_peak=peak,
        max_drawdown_trough=trough,
        max_drawdown_recovery=recovery,
        calmar=calmar,
        turnover=turnover,
        exposure=exposure,
        time_invested=invested,
        n_rebalances=int(n_rebalances),
        leg_exposure=legs,
    )


def annualised_return(returns: np.ndarray) -> float:
    """Geometric annualised return of daily returns: ``prod(1 + r) ** (252 / n) - 1`` (NaN if n < 2)."""
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 2:
        return math.nan
    return float(np.exp(np.sum(np.log1p(r)) * TRADING_DAYS / len(r)) - 1.0)


def returns_by_regime(
    returns: pd.DataFrame,
    regimes: pd.DataFrame,
    columns: tuple[str, ...] = NAMES,
) -> pd.DataFrame:
    """Annualised return, volatility and share of time per regime value.

    Each daily return ``r_t`` (close t-1 to close t) is attributed to the regime known at the
    close of t-1, the state in force over that interval.

    Parameters
    ----------
    returns : daily returns, one column per portfolio (e.g. strategy, benchmark), indexed by
        the window days 1..n.
    regimes : string regime columns indexed by trading days covering ``returns``' days and the
        day before the first.
    columns : regime columns to break down.

    Returns
    -------
    DataFrame with columns ``regime``, ``value``, ``days``, ``share`` and per portfolio
    ``<name>_ann_return`` and ``<name>_volatility`` (NaN for fewer than 2 days).
    """
    prev = regimes.shift(1).reindex(returns.index)
    rows = []
    n = len(returns)
    for col in columns:
        if col not in prev:
            continue
        labels = prev[col]
        present = set(labels.dropna().astype(str))
        enum = REGIME_ENUMS.get(col)
        order = [m.value for m in enum] if enum is not None else []
        values = [v for v in order if v in present] + sorted(present - set(order))
        for value in values:
            sel = (labels == value).to_numpy()
            row: dict[str, object] = {
                "regime": col,
                "value": str(value),
                "days": int(sel.sum()),
                "share": float(sel.sum()) / n if n else math.nan,
            }
            for name in returns.columns:
                r = returns[name].to_numpy(dtype=np.float64)[sel]
                row[f"{name}_ann_return"] = annualised_return(r)
                row[f"{name}_volatility"] = annual_volatility(r)
            rows.append(row)
    return pd.DataFrame(rows)
