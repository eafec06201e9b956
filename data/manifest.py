"""The series manifest: what every series is, in which units, and when it becomes public.

Each :class:`SeriesSpec` records the source, frequency, what date a value refers to,
units and the scale to $bn where the series is money, and the release rule that gives
each observation its ``available_at`` timestamp (America/New_York wall time, naive).
Release rules follow ``DESIGN.md`` ("Time and look-ahead"); where an ALFRED vintage
is known, its ``realtime_start`` date replaces the rule's date (the rule's time of day
is kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from data.errors import UnknownSeriesError


class Release(StrEnum):
    """Release rules: how ``available_at`` follows from an observation date."""

    H41_WEEKLY = "h41_weekly"
    """H.4.1: Wednesday W (level, or week ending W) -> Thursday W+1 16:30 ET, next business day if a holiday."""
    H15_DAILY = "h15_daily"
    """H.15 daily rates: day t -> next business day 16:15 ET (the H.15 daily update)."""
    FED_FUNDS = "fed_funds"
    """Effective fed funds: day t -> next business day 09:00 ET (NY Fed publication)."""
    TARGET = "target"
    """FOMC target: FRED dates a change on its effective day d -> d 00:00 (public the day before)."""
    SAME_DAY_1630 = "same_day_1630"
    """Published the same day at 16:30 ET (ON RRP operation results, as DESIGN.md fixes)."""
    MARKET_CLOSE = "market_close"
    """Market close: day t -> t 16:00 ET."""
    VIX_CLOSE = "vix_close"
    """Cboe VIX close: day t -> t 16:15 ET."""
    MONTHLY_10TH = "monthly_10th"
    """Month M -> the 10th of M+1 09:00 ET (next business day if not one): real-time Sahm rule, UNRATE."""
    QUARTERLY_LAG = "quarterly_lag"
    """Quarter Q (dated at its first day) -> the first business day two quarters later (conservative lag
    after the third estimate of GDP, and after the Z.1 release)."""
    EX_POST = "ex_post"
    """Never usable as a signal (ex-post labels such as NBER recessions): ``available_at`` is NaT."""


PRICE_COLUMN: dict[str, str] = {"index": "close", "fund": "adj_close"}
"""Price sources -> the column their CSV files are read from (``fred`` files have one value)."""


@dataclass(frozen=True)
class KnownGap:
    """A documented hole in a series: steps between ``start`` and ``end`` are expected.

    ``runoff data verify`` reports a gap that lies inside ``[start, end]`` as a warning
    (with ``reason``) instead of an error.
    """

    start: str
    end: str
    reason: str

    def covers(self, first: str, last: str) -> bool:
        """True when the step from ``first`` to ``last`` (ISO dates) lies inside this gap."""
        return self.start <= first and last <= self.end


@dataclass(frozen=True)
class SeriesSpec:
    """One series in the manifest.

    Attributes
    ----------
    id : FRED id, or the index / fund ticker (``GSPC``, ``SP500TR``, ``IEF``, ...).
    title : what the series is.
    source : ``fred`` (FRED CSV), ``index`` (an index close: ``close`` of the index CSV,
        GSPC and SP500TR) or ``fund`` (an ETF's or mutual fund's dividend-adjusted close:
        ``adj_close`` of the ETF/fund CSV layout, a total-return series).
    frequency : ``D`` calendar daily, ``B`` business daily, ``W`` weekly (Wednesdays), ``M`` monthly, ``Q`` quarterly.
    refers_to : what date a value refers to, in words.
    units : units as published.
    to_bn : multiply by this to get $bn (``None`` for non-money series).
    release : the release rule that gives ``available_at``.
    max_gap_days : largest calendar-day step between observations that is not a gap.
    bounds : sanity bounds ``(low, high)`` on the published values.
    in_snapshot : bundled under ``data/snapshot``.
    known_gaps : documented holes longer than ``max_gap_days`` (warnings, not errors).
    """

    id: str
    title: str
    source: str
    frequency: str
    refers_to: str
    units: str
    to_bn: float | None
    release: Release
    max_gap_days: int
    bounds: tuple[float, float]
    in_snapshot: bool = True
    known_gaps: tuple[KnownGap, ...] = ()

    @property
    def ex_post(self) -> bool:
        return self.release is Release.EX_POST

    @property
    def filename(self) -> str:
        return f"{self.id}.csv"

    @property
    def price_column(self) -> str | None:
        """The CSV column that holds a price series' value (``None`` for FRED series)."""
        return PRICE_COLUMN.get(self.source)

    @property
    def bounds_text(self) -> str:
        """The sanity bounds for messages, e.g. ``[500,000, 10,000,000]``."""
        return (
            "["
            + ", ".join(f"{b:,.0f}" if float(b).is_integer() else f"{b:g}" for b in self.bounds)
            + "]"
        )


_M = 1e-3  # $ millions -> $bn
FUND_UNITS = "USD per share, dividend-adjusted"
"""Units of an ETF/fund ``adj_close``: a total-return price, rescaled at every distribution."""
_SPECS = [
    SeriesSpec(
        "WALCL",
        "Fed total assets",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (500_000, 10_000_000),
    ),
    SeriesSpec(
        "TREAST",
        "Treasury securities held outright (stands in for WSHOTSL)",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (300_000, 7_000_000),
    ),
    SeriesSpec(
        "WSHOMCB",
        "Mortgage-backed securities held outright",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 3_500_000),
    ),
    SeriesSpec(
        "WSHOSHO",
        "Securities held outright (total)",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (300_000, 10_000_000),
    ),
    SeriesSpec(
        "WDTGAL",
        "Treasury General Account",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 3_000_000),
    ),
    SeriesSpec(
        "WTREGEN",
        "Treasury General Account",
        "fred",
        "W",
        "week average ending Wednesday",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 3_000_000),
        known_gaps=(
            KnownGap(
                "2025-11-19",
                "2026-01-07",
                "no public copy of the six weeks between; WDTGAL (Wednesday level) covers them",
            ),
        ),
    ),
    SeriesSpec(
        "WRESBAL",
        "Reserve balances with Federal Reserve Banks",
        "fred",
        "W",
        "week average ending Wednesday",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 6_000_000),
    ),
    SeriesSpec(
        "WLRRAL",
        "Reverse repurchase agreements (H.4.1)",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 4_000_000),
        in_snapshot=False,
    ),
    SeriesSpec(
        "H41RESPPALDKNWW",
        "Bank Term Funding Program loans",
        "fred",
        "W",
        "Wednesday level",
        "$ millions",
        _M,
        Release.H41_WEEKLY,
        7,
        (0, 500_000),
        in_snapshot=False,
    ),
    SeriesSpec(
        "RRPONTSYD",
        "Overnight reverse repurchase agreements (ON RRP)",
        "fred",
        "B",
        "operation day",
        "$ billions",
        1.0,
        Release.SAME_DAY_1630,
        5,
        (0, 3_000),
        known_gaps=(
            KnownGap(
                "2003-02-07",
                "2013-09-23",
                "occasional operations only before the daily ON RRP facility began on 2013-09-23",
            ),
        ),
    ),
    SeriesSpec(
        "RRPONTSYAWARD",
        "ON RRP award rate",
        "fred",
        "B",
        "operation day",
        "percent",
        None,
        Release.SAME_DAY_1630,
        5,
        (-1, 20),
        known_gaps=(
            KnownGap(
                "2020-06-01",
                "2021-01-31",
                "no award rate on days without accepted ON RRP propositions ('.' in FRED)",
            ),
        ),
    ),
    SeriesSpec(
        "DGS10",
        "10-year Treasury constant maturity yield",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DGS2",
        "2-year Treasury constant maturity yield",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DGS5",
        "5-year Treasury constant maturity yield",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DGS30",
        "30-year Treasury constant maturity yield",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DGS3MO",
        "3-month Treasury constant maturity yield (bond-equivalent basis)",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DTB3",
        "3-month Treasury bill, secondary market (discount basis)",
        "fred",
        "B",
        "business day",
        "percent",
        None,
        Release.H15_DAILY,
        5,
        (-1, 20),
    ),
    SeriesSpec(
        "DFF",
        "Effective federal funds rate",
        "fred",
        "D",
        "calendar day",
        "percent",
        None,
        Release.FED_FUNDS,
        1,
        (-1, 25),
    ),
    SeriesSpec(
        "DFEDTAR",
        "Federal funds target rate (to 2008-12-15)",
        "fred",
        "D",
        "effective day",
        "percent",
        None,
        Release.TARGET,
        1,
        (0, 25),
    ),
    SeriesSpec(
        "DFEDTARU",
        "Federal funds target range, upper limit",
        "fred",
        "D",
        "effective day",
        "percent",
        None,
        Release.TARGET,
        1,
        (0, 25),
    ),
    SeriesSpec(
        "DFEDTARL",
        "Federal funds target range, lower limit",
        "fred",
        "D",
        "effective day",
        "percent",
        None,
        Release.TARGET,
        1,
        (0, 25),
    ),
    SeriesSpec(
        "SAHMREALTIME",
        "Real-time Sahm rule recession indicator",
        "fred",
        "M",
        "month",
        "percentage points",
        None,
        Release.MONTHLY_10TH,
        31,
        (-5, 15),
    ),
    SeriesSpec(
        "UNRATE",
        "Civilian unemployment rate",
        "fred",
        "M",
        "month",
        "percent",
        None,
        Release.MONTHLY_10TH,
        31,
        (0, 30),
        known_gaps=(
            KnownGap(
                "2025-09-01", "2025-11-01", "no October 2025 household survey (federal shutdown)"
            ),
        ),
    ),
    SeriesSpec(
        "GDP",
        "Nominal GDP (SAAR)",
        "fred",
        "Q",
        "quarter",
        "$ billions",
        1.0,
        Release.QUARTERLY_LAG,
        92,
        (100, 100_000),
    ),
    SeriesSpec(
        "MMMFFAQ027S",
        "Money market funds: total financial assets (Z.1)",
        "fred",
        "Q",
        "quarter",
        "$ millions",
        _M,
        Release.QUARTERLY_LAG,
        92,
        (0, 20_000_000),
        known_gaps=(KnownGap("1945-10-01", "1951-10-01", "annual (Q4) values only before 1952"),),
    ),
    SeriesSpec(
        "USREC",
        "NBER recession indicator (ex post, evaluation only)",
        "fred",
        "M",
        "month",
        "0/1",
        None,
        Release.EX_POST,
        31,
        (0, 1),
    ),
    SeriesSpec(
        "VIXCLS",
        "CBOE VIX close",
        "fred",
        "B",
        "trading day",
        "index points",
        None,
        Release.VIX_CLOSE,
        8,
        (5, 100),
    ),
    SeriesSpec(
        "GSPC",
        "S&P 500 price index close",
        "index",
        "B",
        "trading day",
        "index points",
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 100_000),
        known_gaps=(
            KnownGap(
                "1933-03-03",
                "1933-03-15",
                "exchanges closed for the 1933 bank holiday (full Yahoo/Stooq history only)",
            ),
        ),
    ),
    SeriesSpec(
        "SP500TR",
        "S&P 500 total return index close (dividends reinvested)",
        "index",
        "B",
        "trading day",
        "index points",
        None,
        Release.MARKET_CLOSE,
        8,
        (50, 100_000),
    ),
    SeriesSpec(
        "SP500TR_monthly",
        "S&P 500 total return index, month-end closes (superseded by SP500TR)",
        "index",
        "M",
        "last trading day of the month",
        "index points",
        None,
        Release.MARKET_CLOSE,
        35,
        (50, 100_000),
    ),
    SeriesSpec(
        "SPY",
        "SPDR S&P 500 ETF, dividend-adjusted close",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 10_000),
    ),
    SeriesSpec(
        "IEF",
        "iShares 7-10 Year Treasury Bond ETF, dividend-adjusted close",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 1_000),
    ),
    SeriesSpec(
        "TLT",
        "iShares 20+ Year Treasury Bond ETF, dividend-adjusted close",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 1_000),
    ),
    SeriesSpec(
        "SHY",
        "iShares 1-3 Year Treasury Bond ETF, dividend-adjusted close",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 1_000),
    ),
    SeriesSpec(
        "BIL",
        "SPDR Bloomberg 1-3 Month T-Bill ETF, dividend-adjusted close",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (1, 1_000),
    ),
    SeriesSpec(
        "VUSTX",
        "Vanguard Long-Term Treasury Fund (Investor), dividend-adjusted NAV",
        "fund",
        "B",
        "trading day",
        FUND_UNITS,
        None,
        Release.MARKET_CLOSE,
        8,
        (0.1, 1_000),
    ),
]

MANIFEST: dict[str, SeriesSpec] = {s.id: s for s in _SPECS}
INDEX_ID = "GSPC"


def spec(series_id: str) -> SeriesSpec:
    """Return the manifest entry of ``series_id`` or raise :class:`UnknownSeriesError`."""
    try:
        return MANIFEST[series_id]
    except KeyError:
        known = ", ".join(sorted(MANIFEST))
        raise UnknownSeriesError(
            f"unknown series id {series_id!r}; known series: {known}"
        ) from None
