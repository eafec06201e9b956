"""The daily panel: every macro value as of each S&P 500 trading day's decision time."""

from __future__ import annotations

import pandas as pd

from data.dates import parse_optional_day
from data.errors import LookAheadError, MissingDataError, ParameterError
from data.manifest import INDEX_ID, MANIFEST, spec
from data.store import Store

DEFAULT_SERIES: tuple[str, ...] = tuple(
    s.id for s in MANIFEST.values() if s.in_snapshot and not s.ex_post and s.source == "fred"
)
"""Series in the default panel: every bundled signal-usable macro series (FRED series; the
index, total-return and fund prices are assets, see :mod:`data.assets`)."""


def trading_days(
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> pd.DatetimeIndex:
    """S&P 500 trading days (dates with an index close) between ``start`` and ``end`` inclusive."""
    store = store or Store()
    s, e = parse_optional_day(start, "start"), parse_optional_day(end, "end")
    if s is not None and e is not None and s > e:
        raise ParameterError(f"start {s.date()} is after end {e.date()}")
    days = pd.DatetimeIndex(store.observations(INDEX_ID)["obs_date"].values, name="date")
    if s is not None:
        days = days[days >= s]
    if e is not None:
        days = days[days <= e]
    if len(days) == 0:
        raise MissingDataError(
            f"no S&P 500 trading days between {start or 'the first'} and {end or 'the last'} date; "
            f"the index covers {store.observations(INDEX_ID)['obs_date'].iloc[0].date()} to "
            f"{store.observations(INDEX_ID)['obs_date'].iloc[-1].date()}"
        )
    return days


def load_panel(
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    series: list[str] | tuple[str, ...] | None = None,
    *,
    store: Store | None = None,
    allow_ex_post: bool = False,
) -> pd.DataFrame:
    """Daily panel on S&P 500 trading days, every value as known at 16:00 ET that day.

    Parameters
    ----------
    start, end : inclusive date range (default: the whole index history).
    series : macro series ids (default: :data:`DEFAULT_SERIES`, those the store has).
    store : the point-in-time store (default: a new :class:`Store`).
    allow_ex_post : let ex-post series (USREC) in, for evaluation only; they are never
        point-in-time and must not feed a signal.

    Returns
    -------
    DataFrame of shape (n_days, 1 + n_series): ``GSPC`` (the close) and one column per
    series, in published units, NaN where nothing was public yet.
    """
    store = store or Store()
    days = trading_days(start, end, store=store)
    if series is None:
        ids = [sid for sid in DEFAULT_SERIES if store.has(sid)]
    else:
        ids = list(series)
    cols: dict[str, object] = {
        INDEX_ID: store.asof(INDEX_ID, days)["value"].values,
    }
    for sid in ids:
        s = spec(sid)
        if s.ex_post and not allow_ex_post:
            raise LookAheadError(
                f"series {sid} is an ex-post label ({s.title}) and cannot be a signal input; "
                f"pass allow_ex_post=True only to evaluate results against it"
            )
        if s.ex_post:
            # Evaluation only: label each day with the month's ex-post value.
            obs = store.observations(sid)
            month = pd.Series(obs["value"].values, index=obs["obs_date"].dt.to_period("M"))
            cols[sid] = month.reindex(days.to_period("M")).values
        elif sid != INDEX_ID:
            cols[sid] = store.asof(sid, days)["value"].values
    return pd.DataFrame(cols, index=days)
