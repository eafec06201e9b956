"""``runoff data verify``: check every available series of the store.

Checks, per series (name: what fails it, severity):

- ``file``: the file is missing (bundled series), is not a regular file (a directory, a
  named pipe, a dangling symlink...) or cannot be read — bad header, a malformed row, a
  non-numeric or non-finite value, duplicated or unsorted dates, a non-positive index
  close or fund price, a line over the reader's limit (the message names the file and
  line). error.
- ``dates``: a date before 1800 or more than a week after today. error.
- ``units``: units or the scale to $bn not declared, or inconsistent ($ millions must
  have ``to_bn`` = 0.001, $ billions 1). error.
- ``values``, ``bounds``, ``positive``, ``release``: the value checks of
  :mod:`data.checks` (the same code that every command runs when it loads a file). error.
- ``gaps``: a step between observations longer than ``max_gap_days``; a warning when the
  manifest documents it (``known_gaps``), an error otherwise.
- ``availability``: a series not bundled and not downloaded (info) or an ex-post series
  that is never available to signals (info).

Store-wide: ``unknown-file``: an entry of the data dir that is no manifest series' file
(never read as a series; a price file ``<ID>.csv`` may serve as a user asset): a
warning, so that a misnamed file does not go unnoticed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

from data.assets import USER_ID
from data.checks import period_end
from data.errors import DataError, MissingDataError
from data.manifest import MANIFEST, Release, SeriesSpec, spec
from data.store import SeriesData, Store, series_problems

__all__ = [
    "Finding",
    "SeriesReport",
    "Severity",
    "VerifyReport",
    "check_data",
    "check_units",
    "period_end",
    "unknown_file_findings",
    "verify_store",
]


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
    """Every series' report and the store-wide findings (``unknown-file`` warnings);
    :attr:`ok` is False when any error was found."""

    series: tuple[SeriesReport, ...]
    store_findings: tuple[Finding, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.series for f in r.findings] + list(self.store_findings)

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
    """Value, bounds, release-time (:mod:`data.checks`) and gap checks of one read series."""
    s = data.spec
    problems = series_problems(data)
    out = [Finding(s.id, Severity.ERROR, p.check, p.message) for p in problems]
    if any(p.check == "values" for p in problems):
        return out
    has = data.rows["value"].notna().to_numpy()
    out += _gap_findings(data, np.unique(data.rows["obs_date"].to_numpy()[has]))
    if s.release is Release.EX_POST:
        out.append(
            Finding(
                s.id,
                Severity.INFO,
                "availability",
                f"{s.id} is ex post ({s.title}): never available to signals, evaluation only",
            )
        )
    return out


def unknown_file_findings(store: Store) -> list[Finding]:
    """One ``unknown-file`` warning per data-dir entry that is no manifest series' file."""
    known = {s.filename.lower(): s.filename for s in MANIFEST.values()}
    out = []
    for path in store.unknown_files():
        near = known.get(path.name.lower())
        if near:
            hint = f"ignored; did you mean {near}? (file names are case-sensitive)"
        elif path.suffix == ".csv" and USER_ID.match(path.stem):
            hint = f"used only as the user asset {path.stem} when a strategy's [assets] names it"
        else:
            hint = (
                "ignored; name a file <SERIES>.csv after a manifest series (runoff data status "
                "lists them)"
            )
        out.append(
            Finding(
                "-",
                Severity.WARNING,
                "unknown-file",
                f"{path}: not a series of the manifest; {hint}",
            )
        )
    return out


def verify_store(store: Store | None = None, series: list[str] | None = None) -> VerifyReport:
    """Run every check on every manifest series (or ``series``); never raises on bad data.

    Returns
    -------
    VerifyReport: one :class:`SeriesReport` per series, in manifest order (origin
    ``unreadable`` when the entry found is not a regular file), and an ``unknown-file``
    warning per data-dir entry that no series reads.
    """
    store = store or Store()
    reports = []
    for sid in series if series is not None else list(MANIFEST):
        s = spec(sid)
        findings = check_units(s)
        try:
            found = store.locate(sid)
        except DataError as exc:
            findings.append(Finding(sid, Severity.ERROR, exc.check, str(exc)))
            reports.append(SeriesReport(sid, "unreadable", None, 0, None, None, tuple(findings)))
            continue
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
            data = store.read(sid)
        except DataError as exc:
            findings.append(Finding(sid, Severity.ERROR, exc.check, str(exc)))
            reports.append(SeriesReport(sid, origin, str(path), 0, None, None, tuple(findings)))
            continue
        except MissingDataError as exc:
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
    return VerifyReport(tuple(reports), tuple(unknown_file_findings(store)))
