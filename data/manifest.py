"""The series manifest: what every series is, in which units, and when it becomes public.

Each :class:`SeriesSpec` records the source, frequency, what date a value refers to,
units and the scale to $bn where the series is money, and the release rule that gives
each observation its ``available_at`` timestamp (America/New_York wall time, naive).
Release rules follow ``DESIGN.md`` ("Time and look-ahead"); where an ALFRED vintage
is known, its ``realtime_start`` date replaces the rule's date (the rule's time of day
is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class Cadence(StrEnum):
    """How often a series has an observation: the dates its release rule is applied to when
    :mod:`data.staleness` works out the newest observation a decision day should see."""

    BUSINESS_DAILY = "business daily"
    """One value per Federal Reserve business day (H.15 yields, ON RRP, closes)."""
    CALENDAR_DAILY = "calendar daily"
    """One row per calendar day, weekends included (effective fed funds, the target range)."""
    WEEKLY = "weekly"
    """H.4.1 Wednesdays."""
    MONTHLY = "monthly"
    """Dated the first day of the month."""
    MONTH_END = "month-end"
    """Dated the last business day of the month."""
    QUARTERLY = "quarterly"
    """Dated the first day of the quarter."""


STALE_UNITS = ("days", "business days")
"""Units of a stale limit: calendar days, or Federal Reserve business days."""


@dataclass(frozen=True)
class StaleRule:
    """When a series is stale at a decision.

    At a decision day the release rule says which observation should be the newest public
    one (the *expected* observation: the latest date of the cadence whose ``available_at``
    is at or before the decision time). The series is stale when its newest public
    observation is more than ``limit`` ``unit`` behind that one (calendar days between the
    two dates, or business days after the newest public one up to the expected one).
    ``limit`` None: never stale (ex-post labels, which are never a signal input).
    ``ended``: the series was discontinued on that date (ISO); from then on it is no input
    and never stale. ``why`` says why the limit is what it is.
    """

    cadence: Cadence
    limit: int | None
    unit: str
    why: str
    ended: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in STALE_UNITS:
            raise ValueError(f"StaleRule.unit = {self.unit!r}: expected one of {STALE_UNITS}")

    @property
    def text(self) -> str:
        """The limit in words, e.g. ``13 days`` or ``5 business days``."""
        return "never stale" if self.limit is None else f"{self.limit} {self.unit}"


H41_STALE = StaleRule(
    Cadence.WEEKLY,
    13,
    "days",
    "H.4.1 comes out every Thursday: one missed or late release (7 days behind) is tolerated, "
    "two (14 days) are stale",
)
DAILY_STALE = StaleRule(
    Cadence.BUSINESS_DAILY,
    5,
    "business days",
    "a daily series may miss a few business days (market holidays, a late update); a week "
    "of them is stale",
)
DAILY_ROWS_STALE = StaleRule(
    Cadence.CALENDAR_DAILY,
    5,
    "business days",
    "FRED gives every calendar day a row; a week of business days without one is stale",
)
TARGET_STALE = StaleRule(
    Cadence.CALENDAR_DAILY,
    5,
    "business days",
    "a step series: the range only changes at FOMC decisions, but FRED repeats it on every "
    "calendar day, so the file's own last row says up to when the range is known; a file "
    "that ends more than a week of business days before the decision could miss a change "
    "made since (meetings are about six weeks apart)",
)
MONTHLY_STALE = StaleRule(
    Cadence.MONTHLY,
    45,
    "days",
    "one missed monthly release (28-31 days behind, e.g. no October 2025 household survey) "
    "is tolerated, two are stale",
)
MONTH_END_STALE = StaleRule(
    Cadence.MONTH_END,
    45,
    "days",
    "one missing month-end is tolerated, two are stale",
)
QUARTERLY_STALE = StaleRule(
    Cadence.QUARTERLY,
    100,
    "days",
    "one missed quarterly release (90-92 days behind) is tolerated, two are stale",
)
EX_POST_STALE = StaleRule(
    Cadence.MONTHLY,
    None,
    "days",
    "an ex-post label is never a signal input, so it is never stale",
)


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
    stale : its cadence and stale limit (:class:`StaleRule`, used by :mod:`data.staleness`);
        every series declares one.
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
    stale: StaleRule = field(kw_only=True)

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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=H41_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_ROWS_STALE,
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
        stale=StaleRule(
            Cadence.CALENDAR_DAILY,
            5,
            "business days",
            "the single target ended on 2008-12-15 (the range DFEDTARU/DFEDTARL follows); "
            "before that, as the range",
            ended="2008-12-15",
        ),
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
        stale=TARGET_STALE,
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
        stale=TARGET_STALE,
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
        stale=MONTHLY_STALE,
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
        stale=MONTHLY_STALE,
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
        stale=QUARTERLY_STALE,
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
        stale=QUARTERLY_STALE,
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
        stale=EX_POST_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=MONTH_END_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
        stale=DAILY_STALE,
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
