"""The asset registry: the legs a strategy can hold, each a daily close-to-close price series.

Every asset has an id, a rule that builds its price from the store, units, a first and a last
date (from the data the store reads), a tradable stand-in ticker and a title.

Built-in assets (:data:`BUILTIN_ASSETS`):

========  ======  =====================================================  ========
id        kind    price                                                  tradable
========  ======  =====================================================  ========
SP500TR   index   S&P 500 total return index close (default equity)     SPY
GSPC      index   S&P 500 price index close (no dividends)              SPY
SPY       fund    SPDR S&P 500 ETF, dividend-adjusted close             SPY
UST5Y     cmt     5-year constant-maturity Treasury, repriced (DGS5)    SHY
UST10Y    cmt     10-year constant-maturity Treasury, repriced (DGS10)  IEF
UST30Y    cmt     30-year constant-maturity Treasury, repriced (DGS30)  TLT
IEF       fund    iShares 7-10y Treasury ETF, adjusted close            IEF
TLT       fund    iShares 20+y Treasury ETF, adjusted close             TLT
SHY       fund    iShares 1-3y Treasury ETF, adjusted close             SHY
VUSTX     fund    Vanguard Long-Term Treasury fund, adjusted NAV        VUSTX
BIL       fund    SPDR 1-3 month T-bill ETF, adjusted close             BIL
========  ======  =====================================================  ========

The cash leg is not an asset here (it is the remainder and accrues a bill rate, see
``engine/cash.py``); its tradable stand-in is :data:`CASH_TRADABLE` (BIL).

**User assets.** A daily price file of the user's own is an asset when all of these hold
(:func:`user_asset_spec` checks them and says which one fails):

1. the id is not a built-in asset and not a series of the manifest (a data-dir file named
   after a manifest series replaces that series instead, e.g. ``IEF.csv`` replaces the
   bundled IEF and the built-in asset IEF then reads it);
2. the id is 1-32 characters of ``A-Z 0-9 . _ -``, starting with a letter or digit
   (upper case, so that the file name means the same on case-insensitive file systems);
3. the file ``<ID>.csv`` (exactly that name) is a regular file in the user's data dir
   (``--data-dir`` / ``RUNOFF_DATA_DIR``); the cache and the snapshot are not searched;
4. it has an index or ETF/fund layout (``date,open,high,low,close,volume``,
   ``date,open,high,low,close,adj_close,volume``, Yahoo's or Stooq's download); the price is
   ``adj_close`` where the header has one (a total return for an ETF or fund), else
   ``close``; every price is positive, dates are unique and ascending (the loader's rules);
5. it holds at least two prices and no step between two prices longer than
   :data:`USER_MAX_GAP_DAYS` calendar days (daily closes).

Timing. An asset's price on day ``t`` is a market price known at the close of ``t``:
index and fund closes are read by observation date, and the constant-maturity Treasury
assets are repriced from the CMT yield **of day t** (:mod:`data.cmt`). The H.15 publication
lag (a yield of ``t`` is public on ``t+1``) applies to the yields as *signal inputs*
(``Store.asof``), not to asset prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from data import reader
from data.cmt import cmt_total_return_index
from data.errors import DataError, MissingDataError, UnknownAssetError
from data.loaders import read_index_csv
from data.manifest import FUND_UNITS, MANIFEST
from data.store import Store


class AssetKind(StrEnum):
    """How an asset's daily price is built."""

    INDEX = "index"
    """The close of an index file (``close`` column): GSPC, SP500TR."""
    FUND = "fund"
    """The dividend-adjusted close of an ETF or fund file (``adj_close``): a total return."""
    CMT = "cmt"
    """A constant-maturity Treasury total return repriced from a CMT yield (Swinkels 2019)."""
    USER = "user"
    """The user's own price file in the data dir (``adj_close`` if present, else ``close``)."""


@dataclass(frozen=True)
class AssetSpec:
    """One asset of the registry.

    Attributes
    ----------
    id : the asset id (``SP500TR``, ``UST10Y``, ``IEF``, or a user file's name).
    title : what the asset is.
    kind : how its price is built (:class:`AssetKind`).
    series : the store series it is built from (``DGS10`` for UST10Y, the id itself for an
        index or fund); for a user asset, its id.
    units : units of the price.
    tradable : a tradable stand-in ticker for exports (``SPY`` for the S&P 500 indices).
    group : ``equity``, ``treasury``, ``bills`` or ``user``.
    total_return : True when distributions are reinvested (the price index GSPC is not);
        ``None`` for a user asset (the registry does not know what the file holds).
    maturity_years : the constant maturity of a CMT asset (``None`` otherwise).
    path : the file of a user asset (``None`` for built-ins).
    """

    id: str
    title: str
    kind: AssetKind
    series: str
    units: str
    tradable: str
    group: str
    total_return: bool | None
    maturity_years: float | None = None
    path: Path | None = None

    @property
    def built(self) -> str:
        """How the daily close-to-close price is built, in one line."""
        if self.kind is AssetKind.CMT:
            return (
                f"{self.maturity_years:g}-year par bond repriced daily from {self.series} "
                f"(Swinkels 2019), 1.0 on the first yield"
            )
        if self.kind is AssetKind.USER:
            return f"adj_close (else close) of {self.path}"
        col = MANIFEST[self.series].price_column
        return f"{col} of {self.series}.csv"


_CMT_UNITS = "total-return index, 1.0 on the first yield"
_INDEX_UNITS = "index points"

BUILTIN_ASSETS: dict[str, AssetSpec] = {
    a.id: a
    for a in (
        AssetSpec(
            "SP500TR",
            "S&P 500 total return index (dividends reinvested)",
            AssetKind.INDEX,
            "SP500TR",
            _INDEX_UNITS,
            "SPY",
            "equity",
            True,
        ),
        AssetSpec(
            "GSPC",
            "S&P 500 price index (no dividends)",
            AssetKind.INDEX,
            "GSPC",
            _INDEX_UNITS,
            "SPY",
            "equity",
            False,
        ),
        AssetSpec(
            "SPY",
            "SPDR S&P 500 ETF (dividend-adjusted close)",
            AssetKind.FUND,
            "SPY",
            FUND_UNITS,
            "SPY",
            "equity",
            True,
        ),
        AssetSpec(
            "UST5Y",
            "5-year constant-maturity Treasury total return (repriced from DGS5)",
            AssetKind.CMT,
            "DGS5",
            _CMT_UNITS,
            "SHY",
            "treasury",
            True,
            5.0,
        ),
        AssetSpec(
            "UST10Y",
            "10-year constant-maturity Treasury total return (repriced from DGS10)",
            AssetKind.CMT,
            "DGS10",
            _CMT_UNITS,
            "IEF",
            "treasury",
            True,
            10.0,
        ),
        AssetSpec(
            "UST30Y",
            "30-year constant-maturity Treasury total return (repriced from DGS30)",
            AssetKind.CMT,
            "DGS30",
            _CMT_UNITS,
            "TLT",
            "treasury",
            True,
            30.0,
        ),
        AssetSpec(
            "IEF",
            "iShares 7-10 Year Treasury Bond ETF (dividend-adjusted close)",
            AssetKind.FUND,
            "IEF",
            FUND_UNITS,
            "IEF",
            "treasury",
            True,
        ),
        AssetSpec(
            "TLT",
            "iShares 20+ Year Treasury Bond ETF (dividend-adjusted close)",
            AssetKind.FUND,
            "TLT",
            FUND_UNITS,
            "TLT",
            "treasury",
            True,
        ),
        AssetSpec(
            "SHY",
            "iShares 1-3 Year Treasury Bond ETF (dividend-adjusted close)",
            AssetKind.FUND,
            "SHY",
            FUND_UNITS,
            "SHY",
            "treasury",
            True,
        ),
        AssetSpec(
            "VUSTX",
            "Vanguard Long-Term Treasury Fund, Investor (dividend-adjusted NAV)",
            AssetKind.FUND,
            "VUSTX",
            FUND_UNITS,
            "VUSTX",
            "treasury",
            True,
        ),
        AssetSpec(
            "BIL",
            "SPDR Bloomberg 1-3 Month T-Bill ETF (dividend-adjusted close)",
            AssetKind.FUND,
            "BIL",
            FUND_UNITS,
            "BIL",
            "bills",
            True,
        ),
    )
}
"""Built-in assets by id, in display order."""

DEFAULT_EQUITY = "SP500TR"
"""The equity asset of a strategy that names none: the S&P 500 total return index."""

CASH_TRADABLE = "BIL"
"""Tradable stand-in of the cash leg (which accrues a bill rate, see ``engine/cash.py``)."""

USER_MAX_GAP_DAYS = 8
"""Longest calendar-day step between two prices of a user asset (the 2001-09-11 closure: 7)."""

USER_ID = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}\Z")
"""A user asset id: the stem of a price file <ID>.csv in the data dir."""


def _builtins_text() -> str:
    return ", ".join(BUILTIN_ASSETS)


def user_asset_spec(asset_id: str, data_dir: Path | None) -> AssetSpec:
    """The spec of a user asset ``asset_id`` (rules 1-3 of the module docstring).

    The file's content (rules 4-5) is checked when its prices are read
    (:func:`asset_series`). Raises :class:`UnknownAssetError` naming the id, the rule that
    fails and how to fix it.
    """
    builtins = _builtins_text()
    if asset_id in BUILTIN_ASSETS:
        raise UnknownAssetError(f"asset {asset_id!r} is built in, not a user asset")
    if asset_id in MANIFEST:
        raise UnknownAssetError(
            f"unknown asset {asset_id!r}: {asset_id} is a series of the manifest "
            f"({MANIFEST[asset_id].title}), not an asset; built-in assets: {builtins}"
        )
    if not USER_ID.match(asset_id):
        hint = (
            f" (asset ids are upper case: did you mean {asset_id.upper()!r}?)"
            if USER_ID.match(asset_id.upper())
            else ""
        )
        raise UnknownAssetError(
            f"unknown asset {asset_id!r}{hint}; use a built-in asset ({builtins}) or name a "
            f"price file <ID>.csv in the data dir, ID made of A-Z 0-9 . _ - (at most 32)"
        )
    if data_dir is None:
        raise UnknownAssetError(
            f"unknown asset {asset_id!r}: not a built-in asset ({builtins}) and no data dir "
            f"is set; put {asset_id}.csv (a daily price file) in a folder and pass it with "
            f"--data-dir or RUNOFF_DATA_DIR"
        )
    path = data_dir / f"{asset_id}.csv"
    try:
        found = reader.is_file(path)  # a FIFO, a directory or a broken link: named
    except DataError as exc:
        what = str(exc).removeprefix(f"{path}: ")
        raise UnknownAssetError(
            f"unknown asset {asset_id!r}: {path} is not a regular file ({what})"
        ) from None
    if not found:
        raise UnknownAssetError(
            f"unknown asset {asset_id!r}: not a built-in asset ({builtins}) and {path} "
            f"does not exist; add a daily price file there (index or ETF layout) or use a built-in id"
        )
    return AssetSpec(
        asset_id,
        f"user price file {path.name}",
        AssetKind.USER,
        asset_id,
        "price (adj_close if the file has one, else close)",
        asset_id,
        "user",
        None,
        path=path,
    )


def asset_spec(asset_id: str, store: Store | None = None) -> AssetSpec:
    """The spec of ``asset_id``: a built-in asset, or a user asset in ``store``'s data dir.

    Raises :class:`UnknownAssetError` (one line: the id, the built-in ids, how to fix).
    """
    if not isinstance(asset_id, str):
        raise UnknownAssetError(
            f"asset id must be a string, got {asset_id!r}; built-in assets: {_builtins_text()}"
        )
    found = BUILTIN_ASSETS.get(asset_id)
    if found is not None:
        return found
    return user_asset_spec(asset_id, store.data_dir if store is not None else None)


def _user_series(a: AssetSpec) -> pd.Series:
    assert a.path is not None
    frame = read_index_csv(a.path, price="auto")
    where = f"{a.path} (user asset {a.id})"
    if len(frame) < 2:
        raise DataError(
            f"{where}: only {len(frame)} price; an asset needs daily closes over a period"
        )
    d = frame["obs_date"].to_numpy().astype("datetime64[D]")
    step = np.diff(d).astype(np.int64)
    if (step > USER_MAX_GAP_DAYS).any():
        i = int(np.argmax(step > USER_MAX_GAP_DAYS))
        raise DataError(
            f"{where}: gap {d[i]} -> {d[i + 1]} ({int(step[i])} days > {USER_MAX_GAP_DAYS}); "
            f"an asset needs daily closes: add the missing rows"
        )
    return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["obs_date"]))


def _cmt_series(store: Store, a: AssetSpec) -> pd.Series:
    assert a.maturity_years is not None
    rows = store.load(a.series).rows
    # One row per date: the latest vintage where the file has several (market yields).
    rows = rows.drop_duplicates("obs_date", keep="last")
    days = rows["obs_date"].to_numpy()
    y = rows["value"].to_numpy(dtype=np.float64)
    has = np.isfinite(y)
    if not has.any():
        raise MissingDataError(f"asset {a.id}: {a.series} has no yield at all")
    last = int(np.flatnonzero(has)[-1])
    price = cmt_total_return_index(days[: last + 1], y[: last + 1], a.maturity_years)
    ok = np.isfinite(price)
    return pd.Series(price[ok], index=pd.DatetimeIndex(days[: last + 1][ok]))


def asset_series(store: Store, asset_id: str) -> pd.Series:
    """The asset's prices on its own dates, from its first to its last price.

    Returns
    -------
    float64 Series indexed by date (ascending, unique), every value finite and > 0. For a
    CMT asset the dates are the yield file's rows (holidays included: they earn the carry).
    """
    a = asset_spec(asset_id, store)
    if a.kind is AssetKind.USER:
        return _user_series(a)
    if a.kind is AssetKind.CMT:
        return _cmt_series(store, a)
    obs = store.observations(a.series)
    if obs.empty:
        raise MissingDataError(f"asset {a.id}: {a.series} has no price at all")
    return pd.Series(
        obs["value"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(obs["obs_date"])
    )


def asset_range(store: Store, asset_id: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date with a price of ``asset_id`` in the data ``store`` reads."""
    s = asset_series(store, asset_id)
    return pd.Timestamp(s.index[0]), pd.Timestamp(s.index[-1])


def asset_prices(store: Store, asset_id: str, days: pd.DatetimeIndex) -> np.ndarray:
    """The asset's price at the close of each of ``days``.

    Parameters
    ----------
    store : the store whose files the asset is built from.
    asset_id : a built-in id or a user asset (see the module docstring).
    days : trading days, ascending (normally the S&P 500 trading days of a window).

    Returns
    -------
    float64 array of shape (n_days,): the last price dated on or before each day (a market
    price of that day's close, by observation date: no publication lag), NaN before the
    asset's first date and after its last date (:func:`asset_range`). A day inside the range
    without a row of its own keeps the previous price.
    """
    s = asset_series(store, asset_id)
    d = pd.DatetimeIndex(days).normalize().to_numpy()
    own = s.index.to_numpy()
    pos = np.searchsorted(own, d, side="right") - 1
    out = np.full(len(d), np.nan)
    inside = (pos >= 0) & (d <= own[-1])
    out[inside] = s.to_numpy()[pos[inside]]
    return out


@dataclass(frozen=True)
class AssetInfo:
    """An asset with the range the store has for it (for listings)."""

    spec: AssetSpec
    first: pd.Timestamp
    last: pd.Timestamp

    def to_dict(self) -> dict[str, object]:
        a = self.spec
        return {
            "id": a.id,
            "title": a.title,
            "kind": a.kind.value,
            "series": a.series,
            "built": a.built,
            "units": a.units,
            "tradable": a.tradable,
            "group": a.group,
            "total_return": a.total_return,
            "first": str(self.first.date()),
            "last": str(self.last.date()),
        }


def asset_info(store: Store, asset_id: str) -> AssetInfo:
    """:func:`asset_spec` with the first and last date of its price in ``store``."""
    first, last = asset_range(store, asset_id)
    return AssetInfo(asset_spec(asset_id, store), first, last)
