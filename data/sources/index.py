"""S&P 500 daily history: Yahoo's chart API (default) or Stooq's CSV download.

Both are converted to the snapshot's index format ``date,open,high,low,close,volume``
(prices with 2 decimals, the precision S&P publishes). A bar is kept only once its
day's close is settled (16:30 ET has passed), so a download during a session never
stores an intraday price as a close.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data.errors import FetchError
from data.reader import shown
from data.sources import http
from data.sources.base import Download

YAHOO_URL = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}"
STOOQ_URL = "https://stooq.com/q/d/l/"
HISTORY_START = "1927-12-30"
"""First day of Yahoo's ^GSPC daily history; both sources are asked from here."""
SETTLED_AFTER = pd.Timedelta(hours=16, minutes=30)
"""A bar dated d is final once ``d + 16:30`` ET has passed."""
EXCHANGE_TZ = "America/New_York"

INDEX_HEADER = ["date", "open", "high", "low", "close", "volume"]


def now_et() -> pd.Timestamp:
    """The current New York wall time, naive (the store's convention)."""
    return pd.Timestamp.now(tz=EXCHANGE_TZ).tz_localize(None)


def _settled(day: str, now: pd.Timestamp) -> bool:
    return pd.Timestamp(day) + SETTLED_AFTER <= now


def _fmt_price(v: Any) -> str:
    if v is None:
        return ""
    f = float(v)
    return "" if not math.isfinite(f) else f"{f:.2f}"


def _fmt_volume(v: Any) -> str:
    if v is None:
        return ""
    f = float(v)
    return "" if not math.isfinite(f) else str(int(round(f)))


def _index_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(INDEX_HEADER)
    w.writerows(rows)
    return buf.getvalue()


def _collapse_duplicates(rows: list[list[str]], what: str) -> list[list[str]]:
    """Drop a repeated bar (same date, same close); a conflicting repeat is an error."""
    out: list[list[str]] = []
    for row in rows:
        if out and out[-1][0] == row[0]:
            if out[-1][4] != row[4]:
                raise FetchError(
                    f"{what}: two different closes for {row[0]} ({out[-1][4]} and {row[4]}); "
                    f"retry after the close"
                )
            continue
        out.append(row)
    return out


def yahoo_chart_to_csv(payload: Any, what: str, now: pd.Timestamp) -> str:
    """Convert a Yahoo ``v8/finance/chart`` JSON payload to the index CSV format.

    Bars without a close (``null``) are dropped, as are bars not yet settled at ``now``.
    Timestamps are converted to dates in the exchange's time zone (``meta.
    exchangeTimezoneName``, New York by default).
    """
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise FetchError(f"{what}: unexpected JSON (no 'chart' object)")
    if chart.get("error"):
        err = chart["error"]
        desc = err.get("description", err) if isinstance(err, dict) else err
        raise FetchError(f"{what}: Yahoo says: {desc}")
    result = chart.get("result")
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        raise FetchError(f"{what}: unexpected JSON (empty 'chart.result')")
    res = result[0]
    stamps = res.get("timestamp")
    try:
        quote = res["indicators"]["quote"][0]
    except (KeyError, IndexError, TypeError):
        raise FetchError(f"{what}: unexpected JSON (no 'indicators.quote')") from None
    if not isinstance(stamps, list) or not stamps:
        raise FetchError(f"{what}: the response has no bars (no 'timestamp' list)")
    cols = {k: quote.get(k) for k in ("open", "high", "low", "close", "volume")}
    for k, v in cols.items():
        if not isinstance(v, list) or len(v) != len(stamps):
            raise FetchError(
                f"{what}: '{k}' has {len(v) if isinstance(v, list) else 'no'} values for "
                f"{len(stamps)} timestamps; the response is truncated or malformed"
            )
    tz = (res.get("meta") or {}).get("exchangeTimezoneName") or EXCHANGE_TZ
    try:
        days = pd.to_datetime(stamps, unit="s", utc=True).tz_convert(tz).strftime("%Y-%m-%d")
    except (ValueError, TypeError, OverflowError) as exc:
        raise FetchError(f"{what}: bad timestamps ({exc})") from None
    rows: list[list[str]] = []
    for i, day in enumerate(days):
        close = _fmt_price(cols["close"][i])
        if not close or not _settled(day, now):
            continue
        rows.append(
            [
                day,
                _fmt_price(cols["open"][i]),
                _fmt_price(cols["high"][i]),
                _fmt_price(cols["low"][i]),
                close,
                _fmt_volume(cols["volume"][i]),
            ]
        )
    if not rows:
        raise FetchError(f"{what}: the response has no settled bar with a close")
    return _index_csv(_collapse_duplicates(rows, what))


def stooq_csv_to_csv(raw: str, what: str, now: pd.Timestamp) -> str:
    """Convert Stooq's ``Date,Open,High,Low,Close[,Volume]`` CSV to the index CSV format.

    Values keep Stooq's text; bars not settled at ``now`` are dropped. Rows are not
    checked here: the caller validates the result with the loaders.
    """
    rows = [r for r in http.csv_records(raw, what) if any(c.strip() for c in r)]
    if not rows:
        raise FetchError(f"{what}: empty response")
    header = [h.strip().lower() for h in rows[0]]
    if not header or header[0] != "date" or "close" not in header:
        first = ",".join(rows[0])[:80]
        raise FetchError(
            f"{what}: line 1: not a Stooq CSV ({first!r}); expected 'Date,Open,High,Low,Close,"
            f"Volume' (Stooq answers 'No data' for an unknown symbol or when its limit is hit)"
        )
    # Column of each snapshot field in Stooq's layout (-1: Stooq has no such column).
    pos = [header.index(name) if name in header else -1 for name in INDEX_HEADER]
    out: list[list[str]] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise FetchError(
                f"{what}: line {line}: malformed row {shown(','.join(row), 80)}; "
                f"expected {len(header)} fields (truncated download?)"
            )
        cells = [row[j].strip() if j >= 0 else "" for j in pos]
        if cells[0] and len(cells[0]) == 10 and not _settled(cells[0], now):
            continue
        out.append(cells)
    if not out:
        raise FetchError(f"{what}: no settled bars in the response")
    return _index_csv(out)


@dataclass(frozen=True)
class Yahoo:
    """Yahoo Finance chart API, daily bars of ``symbol`` from :data:`HISTORY_START`.

    ``now`` (New York wall time) decides which bars are settled; ``None`` = the clock.
    """

    symbol: str = "^GSPC"
    start: str = HISTORY_START
    now: pd.Timestamp | None = None
    url: str = field(default_factory=lambda: http.endpoint("YAHOO", YAHOO_URL))
    name: str = "yahoo"

    def fetch(self, series_id: str) -> Download:
        what = f"Yahoo {self.symbol} ({series_id})"
        now = self.now if self.now is not None else now_et()
        period1 = int(pd.Timestamp(self.start, tz="UTC").timestamp())
        period2 = int((pd.Timestamp(now.normalize(), tz="UTC") + pd.Timedelta(days=2)).timestamp())
        params: dict[str, str | int] = {
            "period1": period1,
            "period2": period2,
            "interval": "1d",
            "includePrePost": "false",
            "events": "div,splits",
        }
        url = self.url.replace("{symbol}", self.symbol.replace("^", "%5E"))
        payload = http.get_json(url, params, what=what)
        return Download(
            series_id,
            yahoo_chart_to_csv(payload, what, now),
            self.name,
            http.display_url(url, params),
        )


@dataclass(frozen=True)
class Stooq:
    """Stooq's daily CSV download of ``symbol`` (``^spx`` = the S&P 500) from :data:`HISTORY_START`."""

    symbol: str = "^spx"
    start: str = HISTORY_START
    now: pd.Timestamp | None = None
    url: str = field(default_factory=lambda: http.endpoint("STOOQ", STOOQ_URL))
    name: str = "stooq"

    def fetch(self, series_id: str) -> Download:
        what = f"Stooq {self.symbol} ({series_id})"
        now = self.now if self.now is not None else now_et()
        params = {
            "s": self.symbol,
            "i": "d",
            "d1": self.start.replace("-", ""),
            "d2": now.strftime("%Y%m%d"),
        }
        raw = http.get_text(self.url, params, what=what)
        return Download(
            series_id,
            stooq_csv_to_csv(raw, what, now),
            self.name,
            http.display_url(self.url, params),
        )
