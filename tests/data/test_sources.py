"""Live sources on recorded responses: FRED CSV, FRED API (+ALFRED vintages), Yahoo, Stooq."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import requests

from data.errors import FetchError
from data.loaders import read_fred_csv, read_index_csv
from data.sources import FredApi, FredCsv, Stooq, Yahoo
from data.sources.http import redact
from tests.data.conftest import FakeWeb, fixture_text, respond

NOW = pd.Timestamp("2026-08-31 12:00")  # New York time, during the 2026-08-31 session


def test_fred_csv_request_and_canonical_format(web: FakeWeb) -> None:
    web.add("fred-csv", "DGS10", respond(fixture_text("fredgraph_DGS10_old_header.csv")))
    d = FredCsv().fetch("DGS10")
    call = web.calls[0]
    assert call["url"] == "https://fred.stlouisfed.org/graph/fredgraph.csv"
    assert call["params"] == {"id": "DGS10"}
    assert call["timeout"] is not None
    lines = d.text.splitlines()
    assert lines[0] == "observation_date,DGS10"
    assert "2026-07-03," in lines and "\r" not in d.text  # '.' -> empty, CRLF -> LF
    assert "2026-06-30,4.44" in lines  # values keep FRED's text
    df = read_fred_csv("x", "DGS10", text=d.text)
    assert df["value"].isna().sum() == 1 and len(df) == 14
    assert d.source == "fred-csv" and d.url.endswith("fredgraph.csv?id=DGS10")


@pytest.mark.parametrize(
    ("answer", "pattern"),
    [
        (respond("<!DOCTYPE html><html><body>Error</body></html>"), r"not a FRED CSV"),
        (respond("observation_date,WALCL\n2024-01-03,1\n"), r"holds 'WALCL', not 'DGS10'"),
        (respond("Series not found", 404), r"HTTP 404 from fred.stlouisfed.org"),
        (respond("", 200), r"empty response"),
        (requests.ConnectionError("Name or service not known"), r"download from .* failed"),
        (requests.Timeout("read timed out"), r"Timeout"),
    ],
)
def test_fred_csv_failures(web: FakeWeb, answer: object, pattern: str) -> None:
    web.add("fred-csv", "DGS10", answer)
    with pytest.raises(FetchError, match=pattern):
        FredCsv().fetch("DGS10")


def test_fred_api_vintages_become_a_three_column_file(web: FakeWeb) -> None:
    web.add("fred-api", "WALCL", respond(fixture_text("fred_api_WALCL_vintages.json")))
    d = FredApi("SECRETKEY123").fetch("WALCL")
    params = web.calls[0]["params"]
    assert params["realtime_start"] == "1776-07-04" and params["realtime_end"] == "9999-12-31"
    assert params["file_type"] == "json" and params["api_key"] == "SECRETKEY123"
    assert "SECRETKEY123" not in d.url and "api_key=***" in d.url
    lines = d.text.splitlines()
    assert lines[0] == "observation_date,WALCL,realtime_start"
    assert lines[3:5] == ["2023-12-27,7712795,2023-12-28", "2023-12-27,7712781,2024-01-04"]
    df = read_fred_csv("x", "WALCL", text=d.text)
    assert len(df) == 7 and d.source == "fred-api+vintages"


def test_fred_api_without_vintages_and_dot_missing(web: FakeWeb) -> None:
    web.add("fred-api", "DGS10", respond(fixture_text("fred_api_DGS10_latest.json")))
    d = FredApi("k", vintages=False).fetch("DGS10")
    assert "realtime_start" not in web.calls[0]["params"]
    assert d.text.splitlines()[0] == "observation_date,DGS10"
    assert "2026-07-03," in d.text.splitlines()


def test_fred_api_pages_until_count(web: FakeWeb) -> None:
    payload = json.loads(fixture_text("fred_api_WALCL_vintages.json"))
    obs = payload["observations"]

    def pages(url: str, params: dict) -> object:
        off, lim = int(params["offset"]), int(params["limit"])
        return respond(
            json.dumps(
                {**payload, "offset": off, "limit": lim, "observations": obs[off : off + lim]}
            )
        )

    web.add("fred-api", "WALCL", pages)
    d = FredApi("k", page_limit=3).fetch("WALCL")
    assert [c["params"]["offset"] for c in web.calls] == [0, 3, 6]
    assert len(d.text.splitlines()) == 1 + len(obs)


def test_fred_api_short_pages_are_a_partial_download(web: FakeWeb) -> None:
    payload = json.loads(fixture_text("fred_api_WALCL_vintages.json"))

    def short(url: str, params: dict) -> object:
        off = int(params["offset"])
        return respond(
            json.dumps({**payload, "observations": payload["observations"][:4] if off == 0 else []})
        )

    web.add("fred-api", "WALCL", short)
    with pytest.raises(FetchError, match=r"partial download: 4 observations, the API announced 7"):
        FredApi("k").fetch("WALCL")


def test_fred_api_errors(web: FakeWeb) -> None:
    web.add("fred-api", "NOPE", respond(fixture_text("fred_api_error.json"), 400))
    with pytest.raises(FetchError, match=r"HTTP 400 .*series does not exist") as exc:
        FredApi("SECRETKEY123").fetch("NOPE")
    assert "SECRETKEY123" not in str(exc.value)
    web.add("fred-api", "WALCL", respond(fixture_text("fred_api_WALCL_vintages.json")[:300]))
    with pytest.raises(FetchError, match=r"not valid JSON .*cut short"):
        FredApi("k").fetch("WALCL")
    web.add("fred-api", "DGS2", respond('{"count": 1, "observations": [{"date": "2024-01-02"}]}'))
    with pytest.raises(FetchError, match=r"observation #1 is malformed"):
        FredApi("k", vintages=False).fetch("DGS2")


def test_fred_api_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    with pytest.raises(FetchError, match=r"FRED_API_KEY is not set"):
        FredApi.from_env()
    monkeypatch.setenv("FRED_API_KEY", "abc")
    assert FredApi.from_env().api_key == "abc"


def test_redact_hides_keys() -> None:
    assert (
        redact("https://x/?series_id=A&api_key=abcd1234&x=1")
        == "https://x/?series_id=A&api_key=***&x=1"
    )


def test_yahoo_chart_to_index_csv(web: FakeWeb) -> None:
    web.add("yahoo", "GSPC", respond(fixture_text("yahoo_chart_GSPC.json")))
    d = Yahoo(now=NOW).fetch("GSPC")
    call = web.calls[0]
    assert "%5EGSPC" in call["url"] and call["params"]["interval"] == "1d"
    assert call["headers"]["User-Agent"]
    lines = d.text.splitlines()
    assert lines[0] == "date,open,high,low,close,volume"
    # Exchange-local dates, float32 noise rounded to cents, the intraday 2026-08-31 bar dropped.
    assert lines[1] == "2026-08-24,7680.42,7691.26,7640.98,7652.86,4516230000"
    assert lines[-1].startswith("2026-08-28,") and lines[-1].split(",")[4] == "7711.76"
    df = read_index_csv("x", text=d.text)
    assert len(df) == 5


def test_yahoo_after_the_close_keeps_the_day(web: FakeWeb) -> None:
    web.add("yahoo", "GSPC", respond(fixture_text("yahoo_chart_GSPC.json")))
    d = Yahoo(now=pd.Timestamp("2026-08-31 17:00")).fetch("GSPC")
    assert d.text.splitlines()[-1].startswith("2026-08-31,")


def test_yahoo_null_bars_and_errors(web: FakeWeb) -> None:
    payload = json.loads(fixture_text("yahoo_chart_GSPC.json"))
    payload["chart"]["result"][0]["indicators"]["quote"][0]["close"][1] = None
    web.add("yahoo", "GSPC", respond(json.dumps(payload)))
    assert "2026-08-25" not in Yahoo(now=NOW).fetch("GSPC").text
    payload["chart"]["result"][0]["indicators"]["quote"][0]["close"].pop()
    web.add("yahoo", "GSPC", respond(json.dumps(payload)))
    with pytest.raises(FetchError, match=r"'close' has 5 values for 6 timestamps"):
        Yahoo(now=NOW).fetch("GSPC")
    err = {
        "chart": {
            "result": None,
            "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
        }
    }
    web.add("yahoo", "GSPC", respond(json.dumps(err), 200))
    with pytest.raises(FetchError, match=r"Yahoo says: No data found"):
        Yahoo(now=NOW).fetch("GSPC")
    web.add("yahoo", "GSPC", respond("Too Many Requests", 429))
    with pytest.raises(FetchError, match=r"HTTP 429"):
        Yahoo(now=NOW).fetch("GSPC")


def test_stooq_csv_to_index_csv(web: FakeWeb) -> None:
    web.add("stooq", "GSPC", respond(fixture_text("stooq_spx.csv")))
    d = Stooq(now=NOW).fetch("GSPC")
    params = web.calls[0]["params"]
    assert params["s"] == "^spx" and params["i"] == "d" and params["d2"] == "20260831"
    lines = d.text.splitlines()
    assert lines[0] == "date,open,high,low,close,volume"
    assert lines[-1] == "2026-08-28,7728.1,7741.65,7701.95,7711.76,3264010100"
    assert len(lines) == 6  # header + 5 settled bars


def test_stooq_no_data_and_truncation(web: FakeWeb) -> None:
    web.add("stooq", "GSPC", respond("No data"))
    with pytest.raises(FetchError, match=r"not a Stooq CSV"):
        Stooq(now=NOW).fetch("GSPC")
    web.add("stooq", "GSPC", respond(fixture_text("stooq_spx.csv")[:120]))
    with pytest.raises(FetchError, match=r"line 3: malformed row"):
        Stooq(now=NOW).fetch("GSPC")
