"""Property: any byte string written as a data file either loads as a series that passes
every check, or gives one clear error line naming the file (issue 12).

Bytes come from two generators: raw binary, and CSV-like text assembled from fragments
that stress each rule (extreme years, impossible dates, inf/nan/1e300, negative values,
missing markers, quotes, CR, NUL, long fields, vintage columns). Each example goes
through the real CLI (``runoff --data-dir D data show SERIES``) and through the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.checks import EARLIEST_DATE, latest_date
from data.errors import RunoffError
from data.store import Store, series_problems
from engine.cli import main

SERIES = {"WALCL": "fred", "SAHMREALTIME": "fred", "GSPC": "index"}

_dates = st.one_of(
    st.sampled_from(
        [
            "2024-01-03",
            "2024-01-10",
            "2024-02-07",
            "2024-02-30",
            "2300-01-05",
            "2099-06-03",
            "1715-06-17",
            "1799-12-31",
            "1800-01-01",
            "0001-01-01",
            "9999-12-31",
            "2024/01/10",
            "",
            "20240110",
        ]
    ),
    st.dates().map(str),
)
_values = st.one_of(
    st.sampled_from(
        ["7681024", "4.5", "0.43", "4839.81", ".", "", "inf", "-inf", "nan", "1e300", "-7681024"]
        + ["1e400", "0", "-0", "abc", '"7681024"', '"1,2"', " 7681024 ", "768\x00", "null"]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
)
_headers = st.sampled_from(
    [
        "observation_date,{id}",
        "DATE,{id}",
        "observation_date,{id},realtime_start",
        "date,open,high,low,close,volume",
        "Date,Open,High,Low,Close,Adj Close,Volume",
        "observation_date,OTHER",
        "<html>",
        "",
    ]
)


_GOOD_HEADER = {
    "WALCL": "observation_date,WALCL",
    "SAHMREALTIME": "observation_date,SAHMREALTIME,realtime_start",
    "GSPC": "date,open,high,low,close,volume",
}
_GOOD_VALUE = {
    "WALCL": st.integers(400_000, 11_000_000).map(str),
    "SAHMREALTIME": st.floats(-6, 16).map(lambda x: f"{x:.2f}"),
    "GSPC": st.floats(0.5, 120_000).map(lambda x: f"{x:.2f}"),
}


@st.composite
def csv_like(draw: st.DrawFn, series_id: str) -> bytes:
    """Mostly a well-formed file of ``series_id`` with a few corrupted cells."""
    good = draw(st.integers(0, 3)) > 0
    header = _GOOD_HEADER[series_id] if good else draw(_headers).format(id=series_id)
    width = header.count(",") + 1
    start = np.datetime64(
        draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2026, 1, 1))), "D"
    )
    step = draw(st.sampled_from([1, 7, 31]))
    rows = []
    for i in range(draw(st.integers(0, 8))):
        day = start + np.timedelta64(i * step, "D")
        date = str(day) if draw(st.integers(0, 7)) else draw(_dates)
        value = draw(_GOOD_VALUE[series_id]) if draw(st.integers(0, 7)) else draw(_values)
        if series_id == "GSPC" and width == 6:
            cells = [date, "", "", "", value, ""]
        elif width == 3:
            vintage = day + np.timedelta64(draw(st.integers(-40, 60)), "D")
            cells = [date, value, str(vintage) if draw(st.integers(0, 7)) else draw(_dates)]
        else:
            cells = [date, value] + [draw(_values) for _ in range(width - 2)]
        if not draw(st.integers(0, 19)):
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "1"]
        rows.append(",".join(cells))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = sep.join([header, *rows]) + draw(st.sampled_from(["", sep, sep * 3]))
    data = text.encode("utf-8")
    if not draw(st.integers(0, 19)):
        data += b"," + b"9" * draw(st.sampled_from([5_000, 200_000]))
    if not draw(st.integers(0, 19)):
        data = data.replace(b"4", b"\xff", 1)
    return data


_BYTES = st.sampled_from(list(SERIES)).flatmap(
    lambda sid: st.tuples(
        st.just(sid), st.one_of(st.binary(max_size=300), csv_like(sid), csv_like(sid))
    )
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=_BYTES)
def test_any_bytes_load_clean_or_fail_with_one_line(
    case: tuple[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    series_id, data = case
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"{series_id}.csv"
        f.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        capsys.readouterr()
        code = main(["--data-dir", d, "data", "show", series_id, "--as-of", "2024-03-01"])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        try:
            loaded = Store(data_dir=d).load(series_id)
        except RunoffError as exc:
            loaded = None
            assert code == 2 and out == ""
            assert err == f"runoff: error: {exc}\n" and err.count("\n") == 1
            assert str(exc).startswith(str(f)) or str(exc).startswith(f"series {series_id}")
        if loaded is not None:
            assert code == 0 and err == "" and out.startswith(f"{series_id}: ")
            assert loaded.path == f and loaded.origin == "data-dir"
            # Every check passes on what was loaded.
            assert series_problems(loaded) == []
            rows = loaded.rows
            days = rows["obs_date"].to_numpy().astype("datetime64[D]")
            assert (days >= EARLIEST_DATE).all() and (days <= latest_date()).all()
            v = rows["value"].to_numpy()
            assert np.isfinite(v[~np.isnan(v)]).all() and (~np.isnan(v)).any()
            assert (np.diff(days.astype(np.int64)) >= 0).all()
        assert hashlib.sha256(f.read_bytes()).hexdigest() == digest
