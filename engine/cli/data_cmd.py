"""``runoff data``: inspect, update, verify and query the point-in-time store.

Sub-commands (each prints one line ``runoff: error: ...`` and exits 2 on bad input):

- ``status [--json]``: per series: origin, file, date range, rows, last value, units,
  scale to $bn, release rule and age; data-dir files of no series are listed as warnings.
- ``update [SERIES ...] [--json]``: download from FRED / Yahoo / Stooq into the cache
  (validated, atomic, one update at a time per cache; a failed download keeps the old
  file and the others go on); a per-series summary; exit 1 if any failed.
- ``verify [--json]``: sorted, unique, units, dates, gaps, bounds, release times, and
  data-dir files of no series (warnings); exit 1 on an error-level finding.
- ``show SERIES --as-of DATE [--last N] [--json]``: what was public at that day's
  16:00 ET decision time.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

import pandas as pd

from data.known import known_at
from data.status import series_status
from data.store import Store
from data.verify import Finding, Severity, unknown_file_findings, verify_store
from engine.cli.common import add_command, json_text

_DATA_HELP = """\
Inspect, update, verify and query the point-in-time data store. Files are read per series
from your data dir (--data-dir / RUNOFF_DATA_DIR), else the download cache, else the
bundled snapshot.

examples:
  runoff data status
  runoff data show WALCL --as-of 2024-01-05
"""

_STATUS_HELP = """\
Show what the store holds for every series of the manifest: where the file comes from
(data-dir > cache > snapshot; 'missing' for series that are not bundled and were not
downloaded), first and last observation date, rows and missing rows, the last value,
units and the scale to $bn, the release rule, the age of the last observation in
days (to today, and to the last S&P 500 trading day in the store), and whether the series
is stale at that last trading day's decision: how far its newest public observation is
behind the one its release calendar expects by then, against the series' limit (weekly
H.4.1: 13 days; daily: 5 business days; monthly: 45 days; quarterly: 100 days; the target
range: its file's last row within 5 business days of the decision). Files in the data
dir that are no series' file (e.g. walcl.csv for WALCL.csv) are listed as warnings
(with --json, on stderr; 'runoff data verify --json' lists them under "unknown_files").

example:
  runoff data status
  runoff --data-dir ~/mydata data status --json | jq '.[] | select(.origin == "data-dir")'
"""

_UPDATE_HELP = """\
Download series into the cache (RUNOFF_CACHE_DIR or the user cache dir): FRED series
from the keyless CSV endpoint, or from the FRED API with ALFRED vintages when
FRED_API_KEY is set (each value's realtime_start becomes its available_at); the S&P 500
from Yahoo (or Stooq). Every download is checked with the store's loaders, against the
manifest's sanity bounds and against the data you have (no fewer dates, no earlier end)
before it replaces anything, and is written atomically. A failed series keeps its old
file; the others are still updated, and a summary lists every series. Two updates at
once take turns on the cache (a lock on the cache folder). Exit status 1 if any series
failed.

examples:
  runoff data update                      # every FRED series of the manifest + GSPC
  runoff data update WALCL WLRRAL H41RESPPALDKNWW
  FRED_API_KEY=... runoff data update WALCL --source fred-api
  runoff data update GSPC --index-source stooq
  runoff data update WALCL DGS10 --json --no-progress
"""

_VERIFY_HELP = """\
Check every available series: the file parses (sorted, unique dates, numeric values,
positive index closes), units and scale to $bn are declared, no gap longer than the
series' max_gap_days (documented gaps such as WTREGEN 2025-11-19..2026-01-07 are
warnings), values inside the manifest's sanity bounds, and no value available before
the period it refers to has ended, every date between 1800 and a week from today.
Loading a file for any other command runs the same value checks and stops at the first
failure. Files in the data dir that are no series' file are listed as warnings. Exit
status 1 when an error-level check fails.

example:
  runoff data verify
  runoff --data-dir ~/mydata data verify --json
"""

_SHOW_HELP = """\
Show what was public of SERIES at DATE's 16:00 ET decision time: the latest value, its
observation date and available_at, and the last N observations public then (with
vintages, each at its newest revision public then). Nothing published later appears.

example:
  runoff data show WALCL --as-of 2024-01-04     # still the 2023-12-27 level
  runoff data show WALCL --as-of 2024-01-05 --last 3 --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``runoff data`` and its sub-commands."""
    parser = add_command(
        subparsers,
        "data",
        "inspect, update, verify and query the point-in-time data store",
        _DATA_HELP,
    )
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    sub.required = True

    p = add_command(
        sub,
        "status",
        "per series: origin, range, rows, last value, units, age",
        _STATUS_HELP,
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of objects (unknown data-dir files: warnings on stderr)",
    )
    p.set_defaults(func=cmd_status)

    p = add_command(
        sub,
        "update",
        "download series into the cache (FRED, Yahoo, Stooq)",
        _UPDATE_HELP,
    )
    p.add_argument(
        "series",
        nargs="*",
        metavar="SERIES",
        help="series ids (default: every FRED series of the manifest and GSPC)",
    )
    p.add_argument(
        "--source",
        choices=("auto", "fred-csv", "fred-api"),
        default="auto",
        help="FRED source (default auto: fred-api with vintages if FRED_API_KEY "
        "is set, else the keyless fred-csv)",
    )
    p.add_argument(
        "--no-vintages",
        action="store_true",
        help="with fred-api: latest values only, available_at by the release rule",
    )
    p.add_argument(
        "--index-source",
        choices=("yahoo", "stooq"),
        default="yahoo",
        help="S&P 500 source (default: yahoo)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument(
        "--json", action="store_true", help="print the per-series summary as JSON (at the end)"
    )
    p.set_defaults(func=cmd_update)

    p = add_command(
        sub,
        "verify",
        "check every series; exit 1 on an error",
        _VERIFY_HELP,
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_verify)

    p = add_command(
        sub,
        "show",
        "what was known of a series at a date's 16:00 ET",
        _SHOW_HELP,
    )
    p.add_argument("series", metavar="SERIES", help="series id, e.g. WALCL")
    p.add_argument("--as-of", required=True, metavar="DATE", help="decision day, YYYY-MM-DD")
    p.add_argument(
        "--last",
        type=int,
        default=5,
        metavar="N",
        help="list the last N observations public then (default: 5)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_show)


# ---------------------------------------------------------------- formatting helpers


def fmt_value(v: float | None) -> str:
    """A value as published, with thousands separators and no float noise."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.4f}".rstrip("0").rstrip(".")


def table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """An aligned text table; columns in ``right`` are right-aligned."""
    right = right or set()
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _store(args: argparse.Namespace) -> Store:
    return Store(data_dir=args.data_dir)


# ---------------------------------------------------------------- commands


def _print_store_findings(findings: list[Finding]) -> None:
    for f in findings:
        print(f"{f.severity.value:<7} {f.series:<16} {f.check:<12} {f.message}")


def cmd_status(args: argparse.Namespace) -> int:
    """``runoff data status``: one row per manifest series, then unknown data-dir files."""
    store = _store(args)
    rows = series_status(store)
    unknown = unknown_file_findings(store)
    if args.json:
        # The JSON stays a list of series (scripts read it so); unknown files go to stderr.
        print(json_text([r.to_dict() for r in rows]))
        for f in unknown:
            print(f"runoff: warning: {f.message}", file=sys.stderr)
        return 0
    header = [
        "series",
        "origin",
        "file",
        "first",
        "last",
        "rows",
        "missing",
        "last value",
        "units",
        "to $bn",
        "release",
        "age",
        "vs S&P",
        "stale",
    ]
    body = []
    for r in rows:
        body.append(
            [
                r.id,
                r.origin,
                r.file.rsplit("/", 1)[-1] if r.file else "-",
                r.first or "-",
                r.last or "-",
                f"{r.rows:,}",
                f"{r.missing:,}",
                fmt_value(r.last_value),
                r.units,
                "-" if r.to_bn is None else f"x{r.to_bn:g}",
                r.release + (" (vintages)" if r.vintages else ""),
                "-" if r.age_days is None else f"{r.age_days}d",
                "-" if r.age_vs_index_days is None else f"{r.age_vs_index_days}d",
                _stale_cell(r),
            ]
        )
    print(table(header, body, right={5, 6, 7, 11, 12}))
    folders = [("snapshot", store.snapshot_dir), ("cache", store.cache_dir)]
    if store.data_dir is not None:
        folders.insert(0, ("data-dir", store.data_dir))
    print()
    for name, folder in folders:
        print(f"{name:>8}: {folder}")
    print("age: days from the last observation to today / to the last S&P 500 date in the store")
    print(
        "stale: at the last S&P 500 date, how far the newest public observation is behind the "
        "one its release calendar expects / the series' limit (d: days, bd: business days)"
    )
    if unknown:
        print()
        _print_store_findings(unknown)
    return 0


def _stale_cell(r: Any) -> str:
    """The ``stale`` column: ``no 0/13d``, ``YES 34/5bd``, ``ended``, ``gap`` or ``-``."""
    unit = "bd" if r.stale_unit == "business days" else "d"
    if r.stale_status in ("fresh", "stale"):
        return f"{'YES' if r.stale else 'no'} {r.behind}/{r.stale_limit}{unit}"
    return {"ended": "ended", "in a documented gap": "gap"}.get(r.stale_status, "-")


def cmd_update(args: argparse.Namespace) -> int:
    """``runoff data update``: download, validate, write atomically; a per-series summary;
    exit 1 if any series failed (the others are still updated)."""
    from tqdm import tqdm

    from data.sources import Sources, resolve_ids, update

    ids = resolve_ids(args.series)
    sources = Sources.default(
        fred=args.source, index=args.index_source, vintages=not args.no_vintages
    )
    bar = tqdm(
        total=len(ids),
        file=sys.stderr,
        unit="series",
        disable=True if args.no_progress or args.json else None,
        dynamic_ncols=True,
    )

    def on_start(sid: str) -> None:
        bar.set_description(sid)

    def on_result(res: Any) -> None:
        bar.update(1)
        if not args.json:
            tqdm.write(res.line(), file=sys.stdout)

    def on_wait(folder: Any) -> None:
        tqdm.write(
            f"runoff: waiting for another 'runoff data update' to release {folder}",
            file=sys.stderr,
        )

    try:
        results = update(
            ids,
            sources=sources,
            data_dir=args.data_dir,
            on_start=on_start,
            on_result=on_result,
            on_wait=on_wait,
        )
    finally:
        bar.close()
    failed = [r.series_id for r in results if not r.ok]
    n_up = sum(r.status == "updated" for r in results)
    n_same = sum(r.status == "unchanged" for r in results)
    if args.json:
        print(
            json_text(
                {
                    "ok": not failed,
                    "updated": n_up,
                    "unchanged": n_same,
                    "failed": len(failed),
                    "series": [r.to_dict() for r in results],
                }
            )
        )
    else:
        print(
            f"{n_up} updated, {n_same} unchanged, {len(failed)} failed"
            + (f" ({', '.join(failed)}); their previous files were kept" if failed else "")
        )
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``runoff data verify``: print the report; exit 1 when an error-level check fails."""
    report = verify_store(_store(args))
    if args.json:
        print(
            json_text(
                {
                    "ok": report.ok,
                    "errors": len(report.errors),
                    "warnings": len(report.warnings),
                    "series": [r.to_dict() for r in report.series],
                    "unknown_files": [f.to_dict() for f in report.store_findings],
                }
            )
        )
        return 0 if report.ok else 1
    body = [
        [r.series, r.status, r.origin, f"{r.rows:,}", r.first or "-", r.last or "-"]
        for r in report.series
    ]
    print(table(["series", "status", "origin", "rows", "first", "last"], body, right={3}))
    findings = report.findings
    if findings:
        print()
    _print_store_findings(findings)
    n_info = sum(f.severity is Severity.INFO for f in findings)
    print(
        f"\n{len(report.series)} series checked: {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings, {n_info} notes -> " + ("OK" if report.ok else "FAILED")
    )
    return 0 if report.ok else 1


def _ts(t: pd.Timestamp | None) -> str:
    if t is None:
        return "-"
    return str(t.date()) if t == t.normalize() else t.strftime("%Y-%m-%d %H:%M")


def cmd_show(args: argparse.Namespace) -> int:
    """``runoff data show``: the value known at the decision time and the last N observations."""
    k = known_at(args.series, args.as_of, last=args.last, store=_store(args))
    if args.json:
        print(json_text(k.to_dict()))
        return 0
    s = k.spec
    scale = f", x{s.to_bn:g} to $bn" if s.to_bn is not None else ""
    print(
        f"{s.id}: {s.title} ({s.units}{scale}; release rule {s.release.value}"
        + (", ALFRED vintages" if k.vintages else "")
        + ")"
    )
    print(f"known at {k.decision.strftime('%Y-%m-%d %H:%M')} ET, from {k.path} ({k.origin})")
    if k.value is None:
        print("nothing public yet")
        return 0
    print(f"latest: {fmt_value(k.value)} for {_ts(k.obs_date)}, public since {_ts(k.available_at)}")
    print(f"last {len(k.history)} observation(s) public then:")
    body = [
        [
            str(pd.Timestamp(r.obs_date).date()),
            fmt_value(float(r.value)),
            _ts(pd.Timestamp(r.available_at)),
        ]
        for r in k.history.itertuples(index=False)
    ]
    print(table(["obs_date", "value", "available_at"], body, right={1}))
    return 0
