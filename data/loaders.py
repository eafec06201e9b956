"""Readers for FRED CSV files and S&P 500 index CSV files, with strict validation.

FRED CSV: header ``DATE,<ID>`` or ``observation_date,<ID>``; an optional third column
``realtime_start`` marks ALFRED vintages (several rows per date allowed, one per
vintage). ``.`` or an empty field is a missing value.

Price CSV (indices, ETFs and funds): the snapshot's index layout
``date,open,high,low,close,volume``, its ETF/fund layout
``date,open,high,low,close,adj_close,volume``, Yahoo's
``Date,Open,High,Low,Close,Adj Close,Volume`` or Stooq's ``Date,Open,High,Low,Close,Volume``.
One price column is used (``close`` for an index, ``adj_close`` -- the dividend-adjusted close,
a total-return series -- for an ETF or fund) and it must be positive.

Every error names the file and the row (1-based line number, the header is line 1).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import DataError, ParameterError

_DATE_HEADERS = {"date", "observation_date"}
_MISSING = {"", "."}
_INDEX_MISSING = {"", ".", "null", "nan"}


def _parse_date(text: str, where: str) -> np.datetime64:
    t = text.strip()
    if len(t) != 10 or t[4] != "-" or t[7] != "-":
        raise DataError(f"{where}: bad date {text!r}; expected YYYY-MM-DD")
    try:
        return np.datetime64(t, "D")
    except ValueError:
        raise DataError(f"{where}: bad date {text!r}; expected YYYY-MM-DD") from None


def _parse_float(text: str, where: str, column: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise DataError(
            f"{where}: non-numeric {column} {text!r}; expected a number, '.' or an empty field"
        ) from None
    if not math.isfinite(v):
        raise DataError(f"{where}: non-finite {column} {text!r}")
    return v


def _read_rows(path: Path, text: str | None) -> list[list[str]]:
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"{path}: file not found") from None
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    rows = [r for r in csv.reader(io.StringIO(text))]
    # Tolerate trailing blank lines, nothing else.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise DataError(f"{path}: file is empty; expected a CSV header and data rows")
    return rows


def read_fred_csv(
    path: str | Path, series_id: str | None = None, *, text: str | None = None
) -> pd.DataFrame:
    """Read one FRED CSV file.

    Parameters
    ----------
    path : the file (also used in error messages when ``text`` is given).
    series_id : the id the second header column must carry (``None``: any).
    text : the file's content, when it is already in memory (e.g. a download).

    Returns
    -------
    DataFrame with columns ``obs_date`` (datetime64), ``value`` (float64, NaN where
    missing) and, for vintage files, ``realtime_start`` (datetime64); one row per data row.
    """
    path = Path(path)
    rows = _read_rows(path, text)
    header = [h.strip() for h in rows[0]]
    if len(header) < 2 or header[0].lower() not in _DATE_HEADERS:
        raise DataError(
            f"{path}: line 1: bad header {','.join(header)!r}; "
            f"expected 'observation_date,<ID>' or 'DATE,<ID>'"
        )
    if series_id is not None and header[1] != series_id:
        raise DataError(
            f"{path}: line 1: the file holds {header[1]!r}, expected {series_id!r}; "
            f"name the file after the series it holds"
        )
    vintage = len(header) == 3 and header[2] == "realtime_start"
    if len(header) != 2 and not vintage:
        raise DataError(
            f"{path}: line 1: unexpected columns {header[2:]!r}; "
            f"a FRED file has 2 columns (3 with 'realtime_start')"
        )
    width = len(header)
    n = len(rows) - 1
    if n == 0:
        raise DataError(f"{path}: no data rows below the header")
    dates = np.empty(n, dtype="datetime64[D]")
    values = np.empty(n, dtype=np.float64)
    rts = np.empty(n, dtype="datetime64[D]") if vintage else None
    for i, row in enumerate(rows[1:]):
        where = f"{path}: line {i + 2}"
        if len(row) != width:
            raise DataError(f"{where}: malformed row {','.join(row)!r}; expected {width} fields")
        dates[i] = _parse_date(row[0], where)
        v = row[1].strip()
        values[i] = np.nan if v in _MISSING else _parse_float(v, where, "value")
        if rts is not None:
            rts[i] = _parse_date(row[2], where)
    _check_order(path, dates, rts)
    out = pd.DataFrame({"obs_date": dates.astype("datetime64[ns]"), "value": values})
    if rts is not None:
        out["realtime_start"] = rts.astype("datetime64[ns]")
    return out


def _check_order(path: Path, dates: np.ndarray, rts: np.ndarray | None) -> None:
    if len(dates) < 2:
        return
    d = np.diff(dates.astype(np.int64))
    if rts is not None:
        r = np.diff(rts.astype(np.int64))
        bad_order = (d < 0) | ((d == 0) & (r < 0))
        dup = (d == 0) & (r == 0)
    else:
        bad_order = d < 0
        dup = d == 0
    for mask, what, fix in (
        (dup, "duplicated date", "keep one row per date"),
        (bad_order, "date out of order", "sort the rows by date, ascending"),
    ):
        if mask.any():
            i = int(np.argmax(mask)) + 1
            raise DataError(
                f"{path}: line {i + 2}: {what} {str(dates[i])} after {str(dates[i - 1])}; {fix}"
            )


PRICE_COLUMNS = ("close", "adj_close", "auto")
"""What :func:`read_index_csv` reads as the price: the close, the adjusted close, or the
adjusted close where the header has one (else the close)."""

_HEADER_ALIASES = {"adj close": "adj_close", "adjclose": "adj_close"}


def _price_column(path: Path, raw: list[str], header: list[str], price: str) -> int:
    """Position of the price column for ``price`` (see :data:`PRICE_COLUMNS`), or raise."""
    if price not in PRICE_COLUMNS:
        raise ParameterError(f"price must be one of {PRICE_COLUMNS}, not {price!r}")
    if price == "auto":
        price = "adj_close" if "adj_close" in header else "close"
    if not header or header[0] not in _DATE_HEADERS or price not in header:
        layout = (
            "the ETF/fund layout date,open,high,low,close,adj_close,volume or Yahoo's 'Adj Close'"
            if price == "adj_close"
            else "snapshot, Yahoo or Stooq layout"
        )
        raise DataError(
            f"{path}: line 1: bad header {','.join(raw)!r}; expected a 'date' column "
            f"first and {'an' if price == 'adj_close' else 'a'} {price!r} column ({layout})"
        )
    return header.index(price)


def read_index_csv(
    path: str | Path, *, text: str | None = None, price: str = "close"
) -> pd.DataFrame:
    """Read a daily price CSV (index, ETF or fund layout); keep one price column.

    Rows whose price is missing (``null``, ``.`` or empty, as Yahoo writes for
    non-trading days) are dropped; a non-positive or non-numeric price is an error.

    Parameters
    ----------
    path : the file (also used in error messages when ``text`` is given).
    text : the file's content, when it is already in memory (e.g. a download).
    price : ``close`` (index closes: GSPC, SP500TR), ``adj_close`` (ETF/fund layout: the
        dividend-adjusted close, a total-return series; Yahoo's ``Adj Close`` header is
        accepted) or ``auto`` (``adj_close`` where the header has one, else ``close``).

    Returns
    -------
    DataFrame with columns ``obs_date`` and ``value`` (the price), ascending.
    """
    path = Path(path)
    rows = _read_rows(path, text)
    header = [h.strip().lower() for h in rows[0]]
    header = [_HEADER_ALIASES.get(h, h) for h in header]
    ci = _price_column(path, rows[0], header, price)
    column = header[ci]
    dates: list[np.datetime64] = []
    closes: list[float] = []
    for i, row in enumerate(rows[1:]):
        where = f"{path}: line {i + 2}"
        if len(row) != len(header):
            raise DataError(
                f"{where}: malformed row {','.join(row)!r}; expected {len(header)} fields"
            )
        d = _parse_date(row[0], where)
        c = row[ci].strip()
        if c.lower() in _INDEX_MISSING:
            continue
        v = _parse_float(c, where, column)
        if v <= 0:
            raise DataError(f"{where}: non-positive {column} {c!r}; prices must be > 0")
        dates.append(d)
        closes.append(v)
    if not dates:
        hint = (
            "; the file has an 'adj_close' column: it is an ETF/fund file, not an index"
            if column == "close" and "adj_close" in header
            else ""
        )
        raise DataError(f"{path}: no rows with a price in column {column!r}{hint}")
    arr = np.array(dates, dtype="datetime64[D]")
    _check_order(path, arr, None)
    return pd.DataFrame({"obs_date": arr.astype("datetime64[ns]"), "value": np.array(closes)})
