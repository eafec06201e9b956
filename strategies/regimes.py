"""Regime vocabulary and parameters: the spec types shared by strategies and the engine.

Each regime is a string :class:`~enum.Enum` at the API and an integer code inside the
kernels (``code`` = the member's position in its enum). Code 0 is always ``UNKNOWN``: not enough
history yet (warm-up) or no data.

Parameters are frozen dataclasses; every numeric and boolean field is sweepable. Invalid
values raise :class:`~data.errors.ParameterError` naming the field (``err.key``). The registry
that ties each enum and parameter class to its regime name, parameter group, features and
engine implementation is :mod:`strategies.families`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from strategies.keys import check_field, check_fields


class BalanceSheet(StrEnum):
    """Balance-sheet regime from the annualised growth of SOMA holdings (or total assets)."""

    UNKNOWN = "UNKNOWN"
    """Warm-up: fewer than ``window_weeks`` of history."""
    EXPANSION = "EXPANSION"
    """Growth at or above ``expand_enter`` (QE)."""
    PLATEAU = "PLATEAU"
    """Growth between the contraction and expansion bands (reinvestment only)."""
    CONTRACTION = "CONTRACTION"
    """Growth at or below ``contract_enter`` (QT runoff)."""

    @property
    def code(self) -> int:
        return list(type(self)).index(self)


class NetLiquidity(StrEnum):
    """Net-liquidity trend: change of WALCL - TGA - reverse repos over a window, with a dead band."""

    UNKNOWN = "UNKNOWN"
    """Warm-up or missing components."""
    UP = "UP"
    """Change above ``+band_bn``."""
    FLAT = "FLAT"
    """Change within the dead band."""
    DOWN = "DOWN"
    """Change below ``-band_bn``."""

    @property
    def code(self) -> int:
        return list(type(self)).index(self)


class Phase(StrEnum):
    """Policy and yield phase, from the target range, the 10y yield and the real-time Sahm rule."""

    UNKNOWN = "UNKNOWN"
    """No policy rate known yet."""
    NEUTRAL = "NEUTRAL"
    """No hike within ``hike_memory_days`` and no cut within ``cut_memory_days``."""
    HIKING = "HIKING"
    """A hike within the last ``hike_memory_days`` trading days."""
    HOLD = "HOLD"
    """Hikes are over, the rate is held at its peak, no cut yet."""
    FIRST_HALF = "FIRST_HALF"
    """Still holding, and the 10y has fallen ``y10_drop`` from its cycle high or sits below the range.

    Once entered it lasts until the next cut or hike (a rebound of the 10y does not undo it)."""
    CUTTING = "CUTTING"
    """Cuts have started ("second half"), not recession-driven so far."""
    CUTTING_RECESSION = "CUTTING_RECESSION"
    """Cutting, and recession-driven: Sahm rule fired, an inter-meeting cut, or cuts piling up fast."""

    @property
    def code(self) -> int:
        return list(type(self)).index(self)


class RRP(StrEnum):
    """ON RRP: the cash money-market funds park at the Fed's overnight reverse repo facility, the
    note's second drain on bank deposits and the buffer QT runs down before reserves."""

    UNKNOWN = "UNKNOWN"
    """Warm-up: fewer than ``smooth_days + window_days`` trading days of history."""
    BUILDING = "BUILDING"
    """The balance rose more than ``band_bn`` over ``window_days``: cash flows into the facility."""
    FLAT = "FLAT"
    """The change is within the dead band and the balance is above the floor."""
    DRAINING = "DRAINING"
    """The balance fell more than ``band_bn`` over ``window_days``: the buffer drains, QT is
    absorbed by money funds leaving the facility rather than by reserves."""
    DEPLETED = "DEPLETED"
    """The balance is below ``floor_bn`` (until it rises above ``floor_exit_bn``): the buffer
    is gone, QT drains reserves directly."""

    @property
    def code(self) -> int:
        return list(type(self)).index(self)


MEASURES = ("soma", "walcl")

FEATURE_NAMES: tuple[str, ...] = (
    "total_assets_bn",
    "soma_bn",
    "bs_growth",
    "bs_pace_bn_month",
    "net_liquidity_bn",
    "net_liquidity_change_bn",
    "bs_to_gdp",
    "reserves_bn",
    "on_rrp_bn",
    "btfp_bn",
    "y10",
    "y2",
    "policy_upper",
    "policy_lower",
    "dff",
    "y10_cycle_high",
    "y10_drawdown",
    "y10_minus_upper",
    "y10_minus_lower",
    "y10_minus_y2",
    "sahm",
    "tbill",
    "vix",
    "on_rrp_smooth_bn",
    "on_rrp_change_bn",
)
"""Daily point-in-time features the engine computes; overlays may name any of them."""


@dataclass(frozen=True)
class BalanceSheetParams:
    """Balance-sheet regime: EXPANSION / PLATEAU / CONTRACTION with hysteresis and dwell.

    Growth is the annualised log growth of the measure over ``window_weeks`` weekly
    observations: ``log(x_w / x_{w-window}) * 52 / window``.

    Attributes
    ----------
    measure : ``soma`` (Treasuries + MBS held outright) or ``walcl`` (total assets).
    window_weeks : growth window, in weekly observations (>= 1).
    expand_enter : growth at or above which EXPANSION starts.
    expand_exit : growth below which EXPANSION ends (<= ``expand_enter``).
    contract_enter : growth at or below which CONTRACTION starts.
    contract_exit : growth above which CONTRACTION ends (>= ``contract_enter``).
    min_dwell_days : trading days a regime must last before it can change (>= 0).

    Calibration of the defaults on the bundled data (SOMA = TREAST + WSHOMCB, 13 weeks):
    QE3 reads +30 to +40%/yr, QT2 about -13%/yr, the 2015-16 reinvestment plateau about 0;
    the regimes read EXPANSION 2012-11 to 2015-01, PLATEAU 2015-01 to 2018-04, CONTRACTION
    2018-04 to 2019-10 and 2022-09 to 2026-01 (the hysteresis keeps QT2's slower 2025
    runoff, about -4%/yr, in CONTRACTION). Operation Twist shows two short CONTRACTION
    spells (2011-11 to 2012-02, 2012-08 to 2012-10): SOMA is at face value, and Twist
    swapped short bonds for long ones bought above par.
    """

    measure: str = "soma"
    window_weeks: int = 13
    expand_enter: float = 0.05
    expand_exit: float = 0.02
    contract_enter: float = -0.04
    contract_exit: float = -0.01
    min_dwell_days: int = 20

    def __post_init__(self) -> None:
        check_fields(self)
        check_field(
            self.measure in MEASURES,
            self,
            "measure",
            f"unknown measure; expected one of {MEASURES}",
        )
        check_field(1 <= self.window_weeks <= 520, self, "window_weeks", "expected 1 to 520 weeks")
        check_field(
            self.expand_exit <= self.expand_enter,
            self,
            "expand_exit",
            f"the exit threshold must be <= expand_enter ({self.expand_enter})",
        )
        check_field(
            self.contract_exit >= self.contract_enter,
            self,
            "contract_exit",
            f"the exit threshold must be >= contract_enter ({self.contract_enter})",
        )
        check_field(
            self.contract_enter < self.expand_enter,
            self,
            "contract_enter",
            f"must be below expand_enter ({self.expand_enter})",
        )
        check_field(
            self.contract_exit <= self.expand_exit,
            self,
            "contract_exit",
            f"the contraction exit must not sit inside the expansion band (expand_exit = {self.expand_exit})",
        )
        check_field(
            0 <= self.min_dwell_days <= 2520,
            self,
            "min_dwell_days",
            "expected 0 to 2520 trading days",
        )


@dataclass(frozen=True)
class NetLiquidityParams:
    """Net-liquidity trend: UP / FLAT / DOWN on the change over ``window_weeks`` in $bn.

    Attributes
    ----------
    window_weeks : change window, in weekly (Wednesday) observations (>= 1).
    band_bn : dead band in $bn; |change| <= band is FLAT (>= 0).
    """

    window_weeks: int = 13
    band_bn: float = 150.0

    def __post_init__(self) -> None:
        check_fields(self)
        check_field(1 <= self.window_weeks <= 520, self, "window_weeks", "expected 1 to 520 weeks")
        check_field(self.band_bn >= 0, self, "band_bn", "the dead band must be >= 0")


@dataclass(frozen=True)
class PolicyParams:
    """Policy and yield phase (daily).

    Attributes
    ----------
    hike_memory_days : trading days after the last hike during which the phase stays HIKING.
    cut_memory_days : trading days after the last cut during which the phase stays CUTTING.
    y10_drop : fall of the 10y from its cycle high (percentage points) that makes FIRST_HALF.
    below_range : also call FIRST_HALF when the 10y sits below the lower end of the range.
    sahm_threshold : real-time Sahm rule level that tags cuts as recession-driven.
    intermeeting_days : a cut this many calendar days or fewer after the previous change is
        treated as inter-meeting (FOMC meetings are about six weeks apart).
    fast_cut_bp : cumulative cuts (basis points) within ``fast_cut_days`` that count as piling up.
    fast_cut_days : trading-day window for ``fast_cut_bp``.

    ``sahm_threshold`` defaults to 0.6, not the rule's textbook 0.5: the real-time Sahm rule
    read 0.53 and 0.57 for July and August 2024 (public before the 2024-09-18 cut) with no
    recession; at 0.5 the 2024 cuts would read CUTTING_RECESSION. 2001 (0.70), 2008 (0.73)
    and 2020 cross 0.6, and their cutting episodes are also tagged by inter-meeting or fast
    cuts.
    """

    hike_memory_days: int = 90
    cut_memory_days: int = 252
    y10_drop: float = 0.5
    below_range: bool = True
    sahm_threshold: float = 0.6
    intermeeting_days: int = 21
    fast_cut_bp: float = 150.0
    fast_cut_days: int = 126

    def __post_init__(self) -> None:
        check_fields(self)
        check_field(
            1 <= self.hike_memory_days <= 2520,
            self,
            "hike_memory_days",
            "expected 1 to 2520 trading days",
        )
        check_field(
            1 <= self.cut_memory_days <= 2520,
            self,
            "cut_memory_days",
            "expected 1 to 2520 trading days",
        )
        check_field(
            self.y10_drop > 0, self, "y10_drop", "expected a positive fall in percentage points"
        )
        check_field(self.sahm_threshold > 0, self, "sahm_threshold", "expected a positive level")
        check_field(
            0 <= self.intermeeting_days <= 60,
            self,
            "intermeeting_days",
            "expected 0 to 60 calendar days",
        )
        check_field(
            self.fast_cut_bp > 0, self, "fast_cut_bp", "expected a positive number of basis points"
        )
        check_field(
            1 <= self.fast_cut_days <= 2520,
            self,
            "fast_cut_days",
            "expected 1 to 2520 trading days",
        )


@dataclass(frozen=True)
class RrpParams:
    """ON RRP regime: BUILDING / FLAT / DRAINING / DEPLETED, with a floor hysteresis and a dwell.

    The balance is RRPONTSYD ($bn, published 16:30 ET the day of the operation, so used from
    the next decision), as known each day and smoothed by its median over the last
    ``smooth_days`` trading days (quarter- and month-end spikes last a day); the change is
    that level minus its value ``window_days`` trading days earlier.

    Attributes
    ----------
    window_days : change window, in trading days (1 to 2520).
    band_bn : dead band of the change in $bn: BUILDING above ``+band_bn``, DRAINING below
        ``-band_bn`` (>= 0).
    floor_bn : DEPLETED when the level falls below it ($bn, >= 0): the buffer is gone.
    floor_exit_bn : DEPLETED ends only when the level rises above it (>= ``floor_bn``), so
        a quarter-end spike (106bn on 2025-12-31 after months below 50bn) does not end it.
    smooth_days : trading days of the trailing median of the level (1 = the raw level).
    min_dwell_days : trading days a regime must last before it can change (0 to 2520).

    Calibration of the defaults on the bundled data: DRAINING from 2023-06 to 2024-05 (the
    facility fell from about $2.0T in mid-2023 to $0.5T; 625bn on 2024-01-19), DRAINING again
    from 2024-10 into early 2025, DEPLETED in February-March 2025 (the balance dipped to
    60-100bn) and from 2025-08 on (34bn on 2025-08-15, 16bn on 2026-03-31). Before the first
    RRPONTSYD observation is public (2003-02 in the bundled data) the regime reads UNKNOWN.
    After it, before the daily facility (the 2013-09-23 exercise) and on days without an
    operation within a week, the level reads 0 (:func:`engine.features.on_rrp_daily`), so
    the regime reads DEPLETED: no
    ON RRP buffer stood between QT and reserves (as during QT1 in 2018-2019, when the
    facility sat near zero).
    """

    window_days: int = 63
    band_bn: float = 100.0
    floor_bn: float = 100.0
    floor_exit_bn: float = 150.0
    smooth_days: int = 10
    min_dwell_days: int = 10

    def __post_init__(self) -> None:
        check_fields(self)
        check_field(
            1 <= self.window_days <= 2520, self, "window_days", "expected 1 to 2520 trading days"
        )
        check_field(self.band_bn >= 0, self, "band_bn", "the dead band must be >= 0")
        check_field(self.floor_bn >= 0, self, "floor_bn", "expected a floor >= 0 ($bn)")
        check_field(
            self.floor_exit_bn >= self.floor_bn,
            self,
            "floor_exit_bn",
            f"the exit level must be >= floor_bn ({self.floor_bn})",
        )
        check_field(
            1 <= self.smooth_days <= 252, self, "smooth_days", "expected 1 to 252 trading days"
        )
        check_field(
            0 <= self.min_dwell_days <= 2520,
            self,
            "min_dwell_days",
            "expected 0 to 2520 trading days",
        )
