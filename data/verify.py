"""``runoff data verify``: check every available series of the store.

Checks, per series (name: what fails it, severity):

- ``file``: the file is missing (bundled series) or cannot be read — bad header, a
  malformed row, a non-numeric value, duplicated or unsorted dates, a non-positive
  index close or fund price (the loader's message names the file and line). error.
- ``units``: units or the scale to $bn not declared, or inconsistent ($ millions must
  have ``to_bn`` = 0.001, $ billions 1). error.
- ``values``: no value at all. error.
- ``bounds``: a value outside the manifest's sanity bounds. error.
- ``positive``: an index close or fund price <= 0. error.
- ``gaps``: a step between observations longer than ``max_gap_days``; a warning when the
  manifest documents it (``known_gaps``), an error otherwise.
- ``release``: a value whose ``available_at`` is not after the end of the period it
  refers to (day, week-ending day, month or quarter); the FOMC target rule is by design
  the same day 00:00 and only has to be no earlier. error.
- ``availability``: a series not bundled and not downloaded (info) or an ex-post series
  that is never available to signals (info).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from data.errors import DataError, MissingDataError
from data.manifest import MANIFEST, Release, SeriesSpec, spec
from data.store import SeriesData, Store


class Severity(StrEnum):
    """How bad a finding is: only ``error`` makes ``runoff data verify`` exit non-zero."""

    ERROR = "error"
    """The data is wrong or unusable."""
    WARNING = "warning"
    """Known and documented (e.g. a gap no public source fills)."""
    INFO = "info"
    """Worth knowing (e.g. a series that is not bundled)."""


@dataclass(frozen=True)
class Finding:
    """One result of a check.

    Attributes
    ----------
    series : the series id.
    severity : error, warning or info.
    check : which check (see the module docstring).
    message : one line: what, where (file, line or date), how to fix.
    """

    series: str
    severity: Severity
    check: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SeriesReport:
    """The checks of one series: where its data came from and what was found."""

    series: str
    origin: str
    file: str | None
    rows: int
    first: str | None
    last: str | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        """``error``, ``warning``, ``info`` (not available) or ``ok``."""
        for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            if any(f.severity is sev for f in self.findings):
                return sev.value
        return "ok"

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "status": self.status,
            "origin": self.origin,
            "file": self.file,
            "rows": self.rows,
            "first": self.first,
            "last": self.last,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class VerifyReport:
    """Every series' report; :attr:`ok` is False when any error was found."""

    series: tuple[SeriesReport, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.series for f in r.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


_TO_BN = {"$ millions": 1e-3, "$ billions": 1.0, "$ trillions": 1e3}


def check_units(s: SeriesSpec) -> list[Finding]:
    """Units declared; money series carry the right factor to $bn, others none."""
    out = []
    if not s.units.strip():
        out.append(
            Finding(s.id, Severity.ERROR, "units", f"{s.id}: no units declared in the manifest")
        )
    elif s.units.startswith("$"):
        want = _TO_BN.get(s.units)
        if want is None or s.to_bn is None or not np.isclose(s.to_bn, want):
            out.append(
                Finding(
                    s.id,
                    Severity.ERROR,
                    "units",
                    f"{s.id}: units {s.units!r} need a scale to $bn of {want}, the "
                    f"manifest has {s.to_bn}; fix data/manifest.py",
                )
            )
    elif s.to_bn is not None:
        out.append(
            Finding(
                s.id,
                Severity.ERROR,
                "units",
                f"{s.id}: units {s.units!r} are not money but to_bn={s.to_bn}",
            )
        )
    return out


def period_end(s: SeriesSpec, obs_date: np.ndarray) -> np.ndarray:
    """Last day of the period each observation refers to (midnight, datetime64[ns]).

    Monthly and quarterly values dated at the period's first day refer to the whole
    month or quarter; every other value refers to its own date (weekly H.4.1 values are
    dated at the Wednesday that ends their week).
    """
    days = pd.DatetimeIndex(obs_date)
    if s.refers_to in ("month", "quarter"):
        freq = "M" if s.refers_to == "month" else "Q"
        return days.to_period(freq).to_timestamp(how="end").normalize().values
    return days.normalize().values


def _line(data: SeriesData, pos: int) -> str:
    # FRED files keep one frame row per data row, in file order; index and fund files drop
    # rows without a price, so they are cited by date only.
    return f"line {pos + 2}, " if data.spec.source == "fred" else ""


MAX_LISTED_GAPS = 5
"""Unknown gaps listed one by one; more are summed up in one finding."""


def _gap_findings(data: SeriesData, dates: np.ndarray) -> list[Finding]:
    """Steps longer than ``max_gap_days``: one warning per documented gap, errors otherwise."""
    s, f = data.spec, str(data.path)
    steps = np.diff(dates).astype("timedelta64[D]").astype(np.int64)
    known: dict[int, list[tuple[str, str, int]]] = {}
    unknown: list[tuple[str, str, int]] = []
    for i in np.flatnonzero(steps > s.max_gap_days):
        a, b = str(dates[i])[:10], str(dates[i + 1])[:10]
        k = next((j for j, g in enumerate(s.known_gaps) if g.covers(a, b)), None)
        if k is None:
            unknown.append((a, b, int(steps[i])))
        else:
            known.setdefault(k, []).append((a, b, int(steps[i])))
    out = []
    for k, gaps in known.items():
        g = s.known_gaps[k]
        if len(gaps) == 1:
            a, b, n = gaps[0]
            what = f"gap {a} -> {b} ({n} days > {s.max_gap_days})"
        else:
            what = (
                f"{len(gaps)} gaps > {s.max_gap_days} days between {g.start} and {g.end} "
                f"(longest {max(n for _, _, n in gaps)} days)"
            )
        out.append(Finding(s.id, Severity.WARNING, "gaps", f"{f}: {what}: known gap: {g.reason}"))
    for a, b, n in unknown[:MAX_LISTED_GAPS]:
        out.append(
            Finding(
                s.id,
                Severity.ERROR,
                "gaps",
                f"{f}: gap {a} -> {b} ({n} days > {s.max_gap_days}); missing "
                f"observations? add them, or fetch the series with "
                f"'runoff data update {s.id}'",
            )
        )
    if len(unknown) > MAX_LISTED_GAPS:
        out.append(
            Finding(
                s.id,
                Severity.ERROR,
                "gaps",
                f"{f}: {len(unknown) - MAX_LISTED_GAPS} more gaps longer than "
                f"{s.max_gap_days} days",
            )
        )
    return out


def check_data(data: SeriesData) -> list[Finding]:
    """Value, gap, bounds and release-time checks of one loaded series."""
    s, rows, f = data.spec, data.rows, str(data.path)
    out: list[Finding] = []
    has = rows["value"].notna().values
    if not has.any():
        return [Finding(s.id, Severity.ERROR, "values", f"{f}: no values (every row is missing)")]
    values = rows["value"].values
    lo, hi = s.bounds
    bad = np.flatnonzero(has & ((values < lo) | (values > hi)))
    if len(bad):
        i = int(bad[0])
        out.append(
            Finding(
                s.id,
                Severity.ERROR,
                "bounds",
                f"{f}: {_line(data, i)}{rows['obs_date'].iloc[i].date()}: value "
                f"{values[i]:g} outside the sanity bounds {s.bounds_text} ({s.units}); "
                f"{len(bad)} value(s) out of bounds — wrong units or a typo?",
            )
        )
    if s.price_column is not None:
        nonpos = np.flatnonzero(has & (values <= 0))
        if len(nonpos):
            i = int(nonpos[0])
            out.append(
                Finding(
                    s.id,
                    Severity.ERROR,
                    "positive",
                    f"{f}: {rows['obs_date'].iloc[i].date()}: non-positive close {values[i]:g}",
                )
            )
    out += _gap_findings(data, np.unique(rows["obs_date"].values[has]))
    if s.release is Release.EX_POST:
        out.append(
            Finding(
                s.id,
                Severity.INFO,
                "availability",
                f"{s.id} is ex post ({s.title}): never available to signals, evaluation only",
            )
        )
    else:
        end = period_end(s, rows["obs_date"].values)
        av = rows["available_at"].values
        early = (av < end) if s.release is Release.TARGET else (av <= end)
        early &= has
        if early.any():
            i = int(np.flatnonzero(early)[0])
            out.append(
                Finding(
                    s.id,
                    Severity.ERROR,
                    "release",
                    f"{f}: {_line(data, i)}{rows['obs_date'].iloc[i].date()}: available_at "
                    f"{pd.Timestamp(av[i])} is before the end of the period the value "
                    f"refers to ({pd.Timestamp(end[i]).date()}); "
                    f"{int(early.sum())} row(s) — fix the realtime_start dates",
                )
            )
    return out


def verify_store(store: Store | None = None, series: list[str] | None = None) -> VerifyReport:
    """Run every check on every manifest series (or ``series``); never raises on bad data.

    Returns
    -------
    VerifyReport: one :class:`SeriesReport` per series, in manifest order.
    """
    store = store or Store()
    reports = []
    for sid in series if series is not None else list(MANIFEST):
        s = spec(sid)
        findings = check_units(s)
        found = store.locate(sid)
        if found is None:
            if s.in_snapshot:
                findings.append(
                    Finding(
                        sid,
                        Severity.ERROR,
                        "file",
                        f"{store.snapshot_dir / s.filename}: bundled file missing; "
                        f"restore it (reinstall runoff or git checkout data/snapshot)",
                    )
                )
            else:
                findings.append(
                    Finding(
                        sid,
                        Severity.INFO,
                        "availability",
                        f"{sid} is not bundled; run 'runoff data update {sid}' to download it",
                    )
                )
            reports.append(SeriesReport(sid, "missing", None, 0, None, None, tuple(findings)))
            continue
        path, origin = found
        try:
            data = store.load(sid)
        except (DataError, MissingDataError) as exc:
            findings.append(Finding(sid, Severity.ERROR, "file", str(exc)))
            reports.append(SeriesReport(sid, origin, str(path), 0, None, None, tuple(findings)))
            continue
        findings += check_data(data)
        obs = data.observations
        first = str(obs["obs_date"].iloc[0].date()) if len(obs) else None
        last = str(obs["obs_date"].iloc[-1].date()) if len(obs) else None
        reports.append(
            SeriesReport(sid, origin, str(path), len(data.rows), first, last, tuple(findings))
        )
    return VerifyReport(tuple(reports))
