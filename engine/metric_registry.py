"""The metric registry: every performance metric declared once (name, label, unit, direction,
format), read by the sweep kernel's column order, the CLI tables, JSON output, the report and
the overfitting guards.

The definitions themselves are :func:`engine.metrics.compute_metrics` (backtest) and the
streaming sums of :func:`engine.sweep.nb.finalize_nb` (sweep), held equal by the tests.

The sweep kernel writes its columns at the positions ``COL_*`` below, which numba reads as
compile-time constants. numba's cache is keyed on the kernel's own file, so after changing
the order of the sweep columns here, touch ``engine/sweep/nb.py`` (or delete its
``__pycache__``) so the kernel recompiles; the kernel == reference test fails until it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from strategies.errors import GridError


@dataclass(frozen=True)
class MetricSpec:
    """One metric.

    Attributes
    ----------
    name : attribute of :class:`engine.metrics.Metrics` and column of sweep results.
    label : row label of the strategy-vs-benchmark table.
    unit : ``fraction`` (of the portfolio or per year; shown in %), ``ratio``, ``count`` or
        ``date``.
    fmt : how tables show it: ``pct``, ``num``, ``prob``, ``int`` or ``date``
        (:func:`engine.tables.fmt`).
    better : ``higher`` or ``lower`` is better (results sort best first by it), or None when
        it does not rank strategies.
    sweep : a column of the sweep kernel's output.
    table : a row of the strategy-vs-benchmark table.
    """

    name: str
    label: str
    unit: str
    fmt: str
    better: str | None
    sweep: bool = True
    table: bool = True

    @property
    def ascending(self) -> bool:
        """Sort ascending to put the best first (lower is better)."""
        return self.better == "lower"


METRIC_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("total_return", "Total return", "fraction", "pct", "higher"),
    MetricSpec("cagr", "CAGR", "fraction", "pct", "higher"),
    MetricSpec("volatility", "Volatility", "fraction", "pct", "lower"),
    MetricSpec("sharpe", "Sharpe (vs T-bill)", "ratio", "num", "higher"),
    MetricSpec("sortino", "Sortino (vs T-bill)", "ratio", "num", "higher"),
    MetricSpec("max_drawdown", "Max drawdown", "fraction", "pct", "higher"),
    MetricSpec("max_drawdown_peak", "  peak", "date", "date", None, sweep=False),
    MetricSpec("max_drawdown_trough", "  trough", "date", "date", None, sweep=False),
    MetricSpec("max_drawdown_recovery", "  recovered", "date", "date", None, sweep=False),
    MetricSpec("calmar", "Calmar", "ratio", "num", "higher"),
    MetricSpec("turnover", "Turnover (per year)", "fraction", "pct", "lower"),
    MetricSpec("exposure", "Exposure (mean weight)", "fraction", "pct", "higher"),
    MetricSpec("time_invested", "Time invested", "fraction", "pct", "higher"),
    MetricSpec("n_rebalances", "Rebalances", "count", "int", "lower"),
    MetricSpec("n_returns", "Daily returns", "count", "int", None, table=False),
)
"""Every metric, in the order of the strategy-vs-benchmark table. The max drawdown is <= 0,
so higher is milder."""

SPECS: dict[str, MetricSpec] = {m.name: m for m in METRIC_SPECS}
"""Metric name -> its spec."""

GUARD_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "deflated_sharpe",
        "Deflated Sharpe ratio (raw returns)",
        "probability",
        "prob",
        "higher",
        sweep=False,
        table=False,
    ),
    MetricSpec(
        "deflated_sharpe_excess",
        "Deflated Sharpe ratio (returns in excess of the benchmark)",
        "probability",
        "prob",
        "higher",
        sweep=False,
        table=False,
    ),
    MetricSpec(
        "pbo",
        "Probability of backtest overfitting (CSCV)",
        "probability",
        "num",
        "lower",
        sweep=False,
        table=False,
    ),
    MetricSpec(
        "oos_rank",
        "Out-of-sample rank (top %: share of combinations at least as good)",
        "fraction",
        "pct",
        "lower",
        sweep=False,
        table=False,
    ),
)
"""The sweep's overfitting guards (not columns of a sweep row, not rows of the backtest
table): the terminal, ``--json`` and the sweep report name and format them from here."""

ALL_SPECS: dict[str, MetricSpec] = {**SPECS, **{m.name: m for m in GUARD_SPECS}}
"""Metric or guard name -> its spec."""

SWEEP_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRIC_SPECS if m.sweep)
"""Columns of the sweep kernel's output, in order."""

SORTABLE: tuple[str, ...] = tuple(name for name in SWEEP_COLUMNS if SPECS[name].better)
"""Sweep metrics results can be sorted by (``--metric``), best first."""

INT_COLUMNS: tuple[str, ...] = tuple(name for name in SWEEP_COLUMNS if SPECS[name].unit == "count")
"""Sweep columns that hold counts (integers)."""

COL_TOTAL_RETURN = SWEEP_COLUMNS.index("total_return")
COL_CAGR = SWEEP_COLUMNS.index("cagr")
COL_VOLATILITY = SWEEP_COLUMNS.index("volatility")
COL_SHARPE = SWEEP_COLUMNS.index("sharpe")
COL_SORTINO = SWEEP_COLUMNS.index("sortino")
COL_MAX_DRAWDOWN = SWEEP_COLUMNS.index("max_drawdown")
COL_CALMAR = SWEEP_COLUMNS.index("calmar")
COL_TURNOVER = SWEEP_COLUMNS.index("turnover")
COL_EXPOSURE = SWEEP_COLUMNS.index("exposure")
COL_TIME_INVESTED = SWEEP_COLUMNS.index("time_invested")
COL_N_REBALANCES = SWEEP_COLUMNS.index("n_rebalances")
COL_N_RETURNS = SWEEP_COLUMNS.index("n_returns")
N_SWEEP_COLUMNS = len(SWEEP_COLUMNS)


def check_metric(metric: str) -> str:
    """``metric`` if sweep results can be sorted by it, else GridError listing the choices."""
    if metric not in SORTABLE:
        raise GridError(
            f"--metric {metric!r}: unknown metric; expected one of {', '.join(SORTABLE)}"
        )
    return metric


def describe_columns(names: tuple[str, ...] = SWEEP_COLUMNS) -> dict[str, dict[str, object]]:
    """Label, unit and direction of metrics, for JSON documents."""
    return {
        n: {"label": SPECS[n].label, "unit": SPECS[n].unit, "better": SPECS[n].better}
        for n in names
    }
