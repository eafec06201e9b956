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
Files and download bodies are read through :mod:`data.reader` (size and line limits,
regular files only); dates are checked against :func:`data.checks.check_dates` as they
are parsed, before any conversion to nanoseconds (no wrap-around).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from data.checks import check_dates, latest_date
from data.errors import DataError, ParameterError
from data.reader import check_text, csv_rows, read_text, shown

_DATE_HEADERS = {"date", "observation_date"}
_MISSING = {"", "."}
_INDEX_MISSING = {"", ".", "null", "nan"}


class _BadRow(Exception):
    """What is wrong with one row; the loop adds the file and the line (built only then)."""


def _parse_date(text: str) -> np.datetime64:
    t = text.strip()
    if len(t) != 10 or t[4] != "-" or t[7] != "-":
        raise _BadRow(f"bad date {shown(text)}; expected YYYY-MM-DD")
    try:
        return np.datetime64(t, "D")
    except ValueError:
        raise _BadRow(f"bad date {shown(text)}; expected YYYY-MM-DD") from None


def _parse_float(text: str, column: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise _BadRow(
            f"non-numeric {column} {shown(text)}; expected a number, '.' or an empty field"
        ) from None
    if not math.isfinite(v):
        raise _BadRow(f"non-finite {column} {shown(text)}; expected a finite number")
    return v


def _read_rows(path: Path, text: str | None) -> tuple[list[list[str]], np.ndarray]:
    """Rows of the file (or of ``text``) through the guarded reader, and each row's line."""
    where = str(path)
    text = read_text(path) if text is None else check_text(text, where)
    rows, lines = csv_rows(text, where)
    # Tolerate trailing blank lines, nothing else.
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise DataError(f"{path}: file is empty; expected a CSV header and data rows")
    return rows, lines[: len(rows)]


def _shown_row(row: list[str]) -> str:
    return shown(",".join(row), 80)


def read_fred_csv(
    path: str | Path,
    series_id: str | None = None,
    *,
    text: str | None = None,
    with_lines: bool = False,
) -> pd.DataFrame:
    """Read one FRED CSV file.

    Parameters
    ----------
    path : the file (also used in error messages when ``text`` is given).
    series_id : the id the second header column must carry (``None``: any).
    text : the file's content, when it is already in memory (e.g. a download).
    with_lines : add a ``line`` column (the 1-based line of each row in the file).

    Returns
    -------
    DataFrame with columns ``obs_date`` (datetime64), ``value`` (float64, NaN where
    missing) and, for vintage files, ``realtime_start`` (datetime64); one row per data row.
    """
    path = Path(path)
    rows, lines = _read_rows(path, text)
    header = [h.strip() for h in rows[0]]
    if len(header) < 2 or header[0].lower() not in _DATE_HEADERS:
        raise DataError(
            f"{path}: line 1: bad header {_shown_row(header)}; "
            f"expected 'observation_date,<ID>' or 'DATE,<ID>'"
        )
    if series_id is not None and header[1] != series_id:
        raise DataError(
            f"{path}: line 1: the file holds {shown(header[1])}, expected {series_id!r}; "
            f"name the file after the series it holds"
        )
    vintage = len(header) == 3 and header[2] == "realtime_start"
    if len(header) != 2 and not vintage:
        raise DataError(
            f"{path}: line 1: unexpected columns {_shown_row(header[2:])}; "
            f"a FRED file has 2 columns (3 with 'realtime_start')"
        )
    width = len(header)
    n = len(rows) - 1
    if n == 0:
        raise DataError(f"{path}: no data rows below the header")
    lines = lines[1:]
    dates = np.empty(n, dtype="datetime64[D]")
    values = np.empty(n, dtype=np.float64)
    rts = np.empty(n, dtype="datetime64[D]") if vintage else None
    i = 0
    try:
        for i, row in enumerate(rows[1:]):
            if len(row) != width:
                raise _BadRow(f"malformed row {_shown_row(row)}; expected {width} fields")
            dates[i] = _parse_date(row[0])
            v = row[1].strip()
            values[i] = np.nan if v in _MISSING else _parse_float(v, "value")
            if rts is not None:
                rts[i] = _parse_date(row[2])
    except _BadRow as exc:
        raise DataError(f"{path}: line {lines[i]}: {exc}") from None
    latest = latest_date()
    check_dates(dates, lines, str(path), latest=latest)
    if rts is not None:
        check_dates(rts, lines, str(path), "realtime_start", latest=latest)
    _check_order(path, dates, rts, lines)
    out = pd.DataFrame({"obs_date": dates.astype("datetime64[ns]"), "value": values})
    if rts is not None:
        out["realtime_start"] = rts.astype("datetime64[ns]")
    if with_lines:
        out["line"] = lines
    return out


def _check_order(path: Path, dates: np.ndarray, rts: np.ndarray | None, lines: np.ndarray) -> None:
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
                f"{path}: line {lines[i]}: {what} {str(dates[i])} after {str(dates[i - 1])}; {fix}"
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
            f"{path}: line 1: bad header {_shown_row(raw)}; expected a 'date' column "
            f"first and {'an' if price == 'adj_close' else 'a'} {price!r} column ({layout})"
        )
    return header.index(price)


def read_index_csv(
    path: str | Path, *, text: str | None = None, price: str = "close", with_lines: bool = False
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
    with_lines : add a ``line`` column (the 1-based line of each kept row in the file).

    Returns
    -------
    DataFrame with columns ``obs_date`` and ``value`` (the price), ascending.
    """
    path = Path(path)
    rows, lines = _read_rows(path, text)
    header = [h.strip().lower() for h in rows[0]]
    header = [_HEADER_ALIASES.get(h, h) for h in header]
    ci = _price_column(path, rows[0], header, price)
    column = header[ci]
    n = len(rows) - 1
    lines = lines[1:]
    dates = np.empty(n, dtype="datetime64[D]")
    closes = np.empty(n, dtype=np.float64)
    i = 0
    try:
        for i, row in enumerate(rows[1:]):
            if len(row) != len(header):
                raise _BadRow(f"malformed row {_shown_row(row)}; expected {len(header)} fields")
            dates[i] = _parse_date(row[0])
            c = row[ci].strip()
            if c.lower() in _INDEX_MISSING:
                closes[i] = np.nan
                continue
            v = _parse_float(c, column)
            if v <= 0:
                raise _BadRow(f"non-positive {column} {shown(c)}; prices must be > 0")
            closes[i] = v
    except _BadRow as exc:
        raise DataError(f"{path}: line {lines[i]}: {exc}") from None
    check_dates(dates, lines, str(path), latest=latest_date())
    keep = ~np.isnan(closes)
    if not keep.any():
        hint = (
            "; the file has an 'adj_close' column: it is an ETF/fund file, not an index"
            if column == "close" and "adj_close" in header
            else ""
        )
        raise DataError(f"{path}: no rows with a price in column {column!r}{hint}")
    arr, kept_lines = dates[keep], lines[keep]
    _check_order(path, arr, None, kept_lines)
    out = pd.DataFrame({"obs_date": arr.astype("datetime64[ns]"), "value": closes[keep]})
    if with_lines:
        out["line"] = kept_lines
    return out
