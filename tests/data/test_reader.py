"""The guarded reader: entry kinds, size and line limits, CSV line numbers, download bodies."""

from __future__ import annotations

import gzip
import os
import socket
from pathlib import Path

import pytest

from data import reader
from data.errors import DataError, FetchError
from data.sources import http
from tests.local_http import local_server, send


def test_entry_kinds(tmp_path: Path) -> None:
    f = tmp_path / "ok.csv"
    f.write_text("a\n")
    (tmp_path / "to_ok.csv").symlink_to(f)
    assert reader.is_file(f) and reader.is_file(tmp_path / "to_ok.csv")
    assert not reader.is_file(tmp_path / "none.csv")
    assert not reader.is_file(f / "under-a-file.csv")  # a file where a folder would be
    (tmp_path / "dir.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone")
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(tmp_path / "sock.csv"))
    s.close()
    for name, what in [
        ("dir.csv", "a directory where a data file is expected"),
        ("pipe.csv", "a named pipe (FIFO) where a data file is expected"),
        ("dangling.csv", f"dangling symlink (points to {tmp_path / 'gone'}"),
        ("loop.csv", "symlink loop"),
        ("sock.csv", "a socket where a data file is expected"),
    ]:
        with pytest.raises(DataError, match=r"^" + str(tmp_path / name) + ": ") as exc:
            reader.read_text(tmp_path / name)  # a FIFO is never opened: no hang
        assert what in str(exc.value)
    with pytest.raises(DataError, match="ok.csv: file not found"):
        reader.read_bytes(tmp_path / "missing" / "ok.csv")


def test_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_bytes(b"x\n" * 600)
    assert len(reader.read_bytes(f, limit=1200)) == 1200
    with pytest.raises(DataError, match=r"big.csv: 1,200 bytes, more than the 1,199"):
        reader.read_bytes(f, limit=1199)


def test_text_checks_name_the_line() -> None:
    assert reader.check_text("a\r\nb\rc\n", "f") == "a\nb\nc\n"  # universal newlines
    with pytest.raises(DataError, match=r"^f: line 3: 4,097 characters, more than the 4,096"):
        reader.check_text("a\nb\n" + "x" * 4097 + "\n", "f")
    assert reader.check_text("x" * 4096, "f") == "x" * 4096
    with pytest.raises(DataError, match=r"^f: line 2: NUL character"):
        reader.check_text("a\nb\x00\n", "f")
    with pytest.raises(DataError, match=r"^f: line 2: not a UTF-8 text file \(invalid start byte"):
        reader.decode(b"a\n\xff\n", "f")
    assert reader.decode(b"\xef\xbb\xbfa,b\n", "f") == "a,b\n"  # BOM dropped


def test_csv_rows_keep_line_numbers_across_quoted_line_breaks() -> None:
    rows, lines = reader.csv_rows('h,v\n1,"a\nb"\n2,x\n\n3,y\n', "f")
    assert rows == [["h", "v"], ["1", "a\nb"], ["2", "x"], [], ["3", "y"]]
    assert lines.tolist() == [1, 2, 4, 5, 6]
    rows, lines = reader.csv_rows("h,v\n1,a\n", "f")
    assert lines.tolist() == [1, 2]
    with pytest.raises(DataError, match=r"^f: line 2: a quoted field of more than 4,096"):
        reader.csv_rows('h,v\n1,"' + "x\n" * 3000 + '"\n', "f")


def test_shown_cuts_long_text() -> None:
    assert reader.shown("abc") == "'abc'"
    assert reader.shown("x" * 100, 10) == "'xxxxxxxxxx'... (100 characters)"


def test_download_body_limit_and_decompression_bomb(loopback: None) -> None:
    """The body is read as a stream and given up beyond the limit, decompressed or not."""
    with local_server() as server:
        server.routes["/big"] = send(200, b"9" * 5_000)
        server.routes["/bomb"] = send(
            200, gzip.compress(b"0" * 10_000_000), {"Content-Encoding": "gzip"}
        )
        server.routes["/ok"] = send(200, "observation_date,WALCL\n")
        assert http.get_text(server.url + "/ok", what="t", limit=100) == "observation_date,WALCL\n"
        with pytest.raises(FetchError, match=r"^t: the response from 127.0.0.1:\d+ is larger"):
            http.get_text(server.url + "/big", what="t", limit=4_999)
        with pytest.raises(FetchError, match=r"larger than 1,000,000 bytes"):
            http.get_text(server.url + "/bomb", what="t", limit=1_000_000)


def test_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from data.sources import FredCsv, Stooq, Yahoo

    assert FredCsv().url == "https://fred.stlouisfed.org/graph/fredgraph.csv"
    monkeypatch.setenv("RUNOFF_FRED_CSV_URL", "http://127.0.0.1:9/fred.csv")
    monkeypatch.setenv("RUNOFF_YAHOO_URL", "http://127.0.0.1:9/y/{symbol}")
    monkeypatch.setenv("RUNOFF_STOOQ_URL", " ")
    assert FredCsv().url == "http://127.0.0.1:9/fred.csv"
    assert Yahoo().url == "http://127.0.0.1:9/y/{symbol}"
    assert Stooq().url == "https://stooq.com/q/d/l/"  # blank: the default


def test_user_asset_file_goes_through_the_guarded_reader(tmp_path: Path) -> None:
    """A user price file (data/assets.py) that is a FIFO or a broken link is named, never
    opened; one dated 2300 is refused at parse time."""
    from data.assets import asset_series, asset_spec
    from data.errors import UnknownAssetError
    from data.store import Store

    store = Store(data_dir=tmp_path, cache_dir=tmp_path / "no-cache")
    os.mkfifo(tmp_path / "PIPE.csv")
    (tmp_path / "GONE.csv").symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(UnknownAssetError, match=r"PIPE.csv is not a regular file \(a named pipe"):
        asset_spec("PIPE", store)
    with pytest.raises(UnknownAssetError, match=r"GONE.csv is not a regular file \(dangling"):
        asset_spec("GONE", store)
    (tmp_path / "FUT.csv").write_text(
        "date,open,high,low,close,volume\n2024-01-02,,,,10,\n2300-01-03,,,,11,\n"
    )
    with pytest.raises(DataError, match=r"FUT.csv: line 3: date 2300-01-03 is after"):
        asset_series(store, "FUT")
