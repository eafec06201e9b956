"""Loaders: both FRED header styles, missing markers, vintages, the three index layouts, bad rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.errors import DataError
from data.loaders import read_fred_csv, read_index_csv
from tests.data.conftest import FIXTURES


def test_fred_new_header_keeps_values_and_dates() -> None:
    df = read_fred_csv(FIXTURES / "fredgraph_WALCL.csv", "WALCL")
    assert list(df.columns) == ["obs_date", "value"]
    assert len(df) == 11
    assert df["obs_date"].iloc[0] == pd.Timestamp("2026-06-24")
    assert df["value"].iloc[-2] == 6730912.0
    assert df["obs_date"].is_monotonic_increasing


def test_fred_old_header_crlf_and_dot_missing() -> None:
    df = read_fred_csv(FIXTURES / "fredgraph_DGS10_old_header.csv", "DGS10")
    assert len(df) == 14
    hol = df[df["obs_date"] == pd.Timestamp("2026-07-03")]
    assert len(hol) == 1 and np.isnan(hol["value"].iloc[0])
    assert df["value"].notna().sum() == 13
    assert df.loc[df["obs_date"] == pd.Timestamp("2026-07-09"), "value"].item() == 4.54


@pytest.mark.parametrize("missing", ["", ".", " . "])
def test_fred_missing_markers(missing: str) -> None:
    text = f"observation_date,DGS2\n2024-01-12,4.15\n2024-01-15,{missing}\n2024-01-16,4.22\n"
    df = read_fred_csv("DGS2.csv", "DGS2", text=text)
    assert df["value"].isna().tolist() == [False, True, False]


def test_fred_vintage_file_keeps_realtime_start_rows() -> None:
    text = (
        "observation_date,WALCL,realtime_start\n"
        "2023-12-27,7712795,2023-12-28\n2023-12-27,7712781,2024-01-04\n"
        "2024-01-03,7681024,2024-01-04\n"
    )
    df = read_fred_csv("WALCL.csv", "WALCL", text=text)
    assert list(df.columns) == ["obs_date", "value", "realtime_start"]
    assert df["realtime_start"].tolist() == [
        pd.Timestamp("2023-12-28"),
        pd.Timestamp("2024-01-04"),
        pd.Timestamp("2024-01-04"),
    ]


def test_fred_vintage_rows_must_be_ordered_by_vintage() -> None:
    text = (
        "observation_date,WALCL,realtime_start\n"
        "2023-12-27,7712781,2024-01-04\n2023-12-27,7712795,2023-12-28\n"
    )
    with pytest.raises(DataError, match=r"WALCL.csv: line 3: date out of order"):
        read_fred_csv("WALCL.csv", "WALCL", text=text)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("2024-01-03,7681024\n2024-01-03,7681025\n", r"line 3: duplicated date 2024-01-03"),
        ("2024-01-10,7686710\n2024-01-03,7681024\n", r"line 3: date out of order 2024-01-03"),
        ("2024-01-03,7681024\n2024-01-10,abc\n", r"line 3: non-numeric value 'abc'"),
        ("2024-01-03,7681024\n2024-01-10,7686710,9\n", r"line 3: malformed row"),
        ("2024-01-03,7681024\n2024/01/10,7686710\n", r"line 3: bad date '2024/01/10'"),
        ("2024-01-03,inf\n", r"line 2: non-finite value 'inf'"),
    ],
)
def test_fred_bad_rows_name_the_line(body: str, pattern: str) -> None:
    with pytest.raises(DataError, match=pattern):
        read_fred_csv("x/WALCL.csv", "WALCL", text="observation_date,WALCL\n" + body)


def test_fred_wrong_series_and_empty_files() -> None:
    with pytest.raises(DataError, match=r"holds 'WALCL', expected 'TREAST'"):
        read_fred_csv("TREAST.csv", "TREAST", text="observation_date,WALCL\n2024-01-03,1\n")
    with pytest.raises(DataError, match=r"file is empty"):
        read_fred_csv("WALCL.csv", "WALCL", text="\n\n")
    with pytest.raises(DataError, match=r"no data rows"):
        read_fred_csv("WALCL.csv", "WALCL", text="observation_date,WALCL\n")
    with pytest.raises(DataError, match=r"line 1: bad header"):
        read_fred_csv("WALCL.csv", "WALCL", text="<html>error</html>\n")


def test_fred_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"WALCL.csv: file not found"):
        read_fred_csv(tmp_path / "WALCL.csv", "WALCL")


def test_index_snapshot_layout() -> None:
    from data.paths import SNAPSHOT_DIR

    df = read_index_csv(SNAPSHOT_DIR / "GSPC.csv")
    # Golden value from SOURCES.md's required checks: 4839.81 on 2024-01-19 (a record then).
    assert df.loc[df["obs_date"] == pd.Timestamp("2024-01-19"), "value"].item() == 4839.81
    assert (df["value"] > 0).all()


def test_index_yahoo_csv_layout_drops_null_rows() -> None:
    df = read_index_csv(FIXTURES / "yahoo_download_GSPC.csv")
    assert pd.Timestamp("2024-01-15") not in set(df["obs_date"])  # MLK day: null row
    assert len(df) == 5
    assert df["value"].iloc[-1] == pytest.approx(4839.810059)


def test_index_stooq_layout() -> None:
    df = read_index_csv(FIXTURES / "stooq_spx.csv")
    assert len(df) == 6
    assert df["value"].iloc[2] == 7675.7


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("2024-01-22,1,1,1,0,1", r"line 3: non-positive close '0'"),
        ("2024-01-22,1,1,1,-5,1", r"line 3: non-positive close"),
        ("2024-01-22,1,1,1,x,1", r"line 3: non-numeric close 'x'"),
        ("2024-01-22,1,1,1", r"line 3: malformed row"),
    ],
)
def test_index_bad_rows(row: str, pattern: str) -> None:
    text = "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n" + row + "\n"
    with pytest.raises(DataError, match=pattern):
        read_index_csv("GSPC.csv", text=text)


def test_index_without_close_column() -> None:
    with pytest.raises(DataError, match=r"line 1: bad header"):
        read_index_csv("GSPC.csv", text="date,price\n2024-01-19,4839.81\n")


# ---------------------------------------------------------------- ETF / fund layout

ETF_HEADER = "date,open,high,low,close,adj_close,volume\n"


def test_etf_layout_reads_the_adjusted_close() -> None:
    text = ETF_HEADER + "2024-01-18,,,,,93.1,100\n2024-01-19,,,,,92.75,200\n"
    df = read_index_csv("IEF.csv", text=text, price="adj_close")
    assert df["value"].tolist() == [93.1, 92.75]
    assert df["obs_date"].tolist() == [pd.Timestamp("2024-01-18"), pd.Timestamp("2024-01-19")]
    # auto picks the adjusted close where the header has one
    assert read_index_csv("IEF.csv", text=text, price="auto")["value"].tolist() == [93.1, 92.75]


def test_yahoo_adj_close_header_and_auto_on_an_index_file() -> None:
    df = read_index_csv(FIXTURES / "yahoo_download_GSPC.csv", price="adj_close")
    assert len(df) == 5 and df["value"].iloc[-1] == pytest.approx(4839.810059)
    # A file without an adjusted close: auto reads the close.
    text = "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n"
    assert read_index_csv("X.csv", text=text, price="auto")["value"].tolist() == [4839.81]


def test_snapshot_etf_files_read_their_adjusted_close() -> None:
    from data.paths import SNAPSHOT_DIR

    ief = read_index_csv(SNAPSHOT_DIR / "IEF.csv", price="adj_close")
    # First and last rows of data/snapshot/IEF.csv (SOURCES4.md: 5915 rows, 2002-07-30..2026-01-30).
    assert len(ief) == 5915
    assert ief["value"].iloc[0] == 41.094532 and ief["value"].iloc[-1] == 95.662926
    assert ief["obs_date"].iloc[-1] == pd.Timestamp("2026-01-30")


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("2024-01-22,,,,,0,1", r"line 3: non-positive adj_close '0'"),
        ("2024-01-22,,,,,-1.5,1", r"line 3: non-positive adj_close"),
        ("2024-01-22,,,,,abc,1", r"line 3: non-numeric adj_close 'abc'"),
        ("2024-01-22,,,,,nan,1", None),  # a missing marker: the row is dropped
        ("2024-01-22,,,,93.0,1", r"line 3: malformed row"),
        ("2024-01-18,,,,,93.0,1", r"line 3: date out of order 2024-01-18"),
        ("2024-01-19,,,,,93.0,1", r"line 3: duplicated date 2024-01-19"),
        ("2024/01/22,,,,,93.0,1", r"line 3: bad date '2024/01/22'"),
    ],
)
def test_etf_bad_rows(row: str, pattern: str | None) -> None:
    text = ETF_HEADER + "2024-01-19,,,,,92.75,200\n" + row + "\n"
    if pattern is None:
        assert len(read_index_csv("IEF.csv", text=text, price="adj_close")) == 1
        return
    with pytest.raises(DataError, match=pattern):
        read_index_csv("IEF.csv", text=text, price="adj_close")


def test_etf_file_read_as_an_index_and_index_file_read_as_an_etf() -> None:
    etf = ETF_HEADER + "2024-01-19,,,,,92.75,200\n"
    with pytest.raises(
        DataError, match=r"no rows with a price in column 'close'; the file has an 'adj_close'"
    ):
        read_index_csv("GSPC.csv", text=etf)
    index = "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n"
    with pytest.raises(DataError, match=r"line 1: bad header .* an 'adj_close' column"):
        read_index_csv("IEF.csv", text=index, price="adj_close")
    with pytest.raises(DataError, match=r"no rows with a price in column 'adj_close'$"):
        read_index_csv("IEF.csv", text=ETF_HEADER + "2024-01-19,,,,93,,\n", price="adj_close")


def test_unknown_price_column_is_a_parameter_error() -> None:
    from data.errors import ParameterError

    with pytest.raises(ParameterError, match=r"price must be one of"):
        read_index_csv("IEF.csv", text=ETF_HEADER, price="open")
