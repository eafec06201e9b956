"""``python -m benchmarks [--quick] [--write | --no-write]``: run the suite, report ratios.

Runs ``pytest benchmarks`` with pytest-benchmark, reads back each test's ``extra_info``, prints
the ratio table (and writes it into ``benchmarks/README.md``: by default in the full run, with
``--write`` in quick mode) and exits 1 when a ratio falls below its floor or a check fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest

from benchmarks.cases import CASES, LIMITS

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _rows(report: dict, quick: bool) -> list[dict]:
    spec = {c.name: (c.floor, c.target) for c in CASES}
    spec.update({k: (v.floor, v.target) for k, v in LIMITS.items()})
    names = {k: v.name for k, v in LIMITS.items()}
    rows = []

    def add(key: str, ratio: float, detail: str) -> None:
        floor, target = spec[key]
        rows.append(
            {
                "name": names.get(key, key),
                "ratio": float(ratio),
                "floor": floor[1 if quick else 0],
                "target": None if quick else target,
                "detail": detail,
            }
        )

    for b in report.get("benchmarks", []):
        info = b.get("extra_info", {})
        if "ratio" in info:
            add(info["key"], info["ratio"], info["detail"])
            if info["key"] == "memory":
                add("scaling", info["scaling"], info["scaling_detail"])
            if info["key"] == "stream":
                add("stream_10s", info["absolute_ratio"], info["absolute_detail"])
            if info["key"] == "stream_memory":
                add("stream_flat", info["flat"], info["flat_detail"])
            if info["key"] == "dask_client":
                add("dask_flat", info["flat"], info["flat_detail"])
        for sub in info.values():  # a test that measures several rows (the CLI latency)
            if isinstance(sub, dict) and "ratio" in sub:
                add(sub["key"], sub["ratio"], sub["detail"])
    return rows


def _table(rows: list[dict]) -> str:
    lines = [
        "| benchmark | ratio | floor | ok | issue target | measured |",
        "| --- | ---: | ---: | :---: | :---: | --- |",
    ]
    for r in rows:
        ok = "yes" if r["ratio"] >= r["floor"] else "**NO**"
        t = r["target"]
        goal = "-" if t is None else (f"{t:g}: met" if r["ratio"] >= t else f"{t:g}: **not met**")
        lines.append(
            f"| {r['name']} | {r['ratio']:,.2f} | {r['floor']:g} | {ok} | {goal} | {r['detail']} |"
        )
    return "\n".join(lines)


def _write(text: str, quick: bool) -> None:
    stamp = (
        f"Latest {'quick' if quick else 'full'} run: {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    block = f"{BEGIN}\n{stamp}\n\n{text}\n{END}"
    old = README.read_text() if README.exists() else ""
    if BEGIN in old and END in old:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, old, flags=re.S)
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    README.write_text(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small grid, generous floors (CI)")
    w = ap.add_mutually_exclusive_group()
    w.add_argument(
        "--write",
        dest="write",
        action="store_true",
        default=None,
        help="write the table into benchmarks/README.md (default in full runs)",
    )
    w.add_argument("--no-write", dest="write", action="store_false")
    ap.add_argument("-k", metavar="EXPR", help="only the benchmarks matching EXPR (pytest -k)")
    args = ap.parse_args(argv)
    write = (not args.quick) if args.write is None else args.write
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        opts = [
            str(HERE),
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-only",
            f"--benchmark-json={out}",
            "--benchmark-columns=min,mean,rounds",
        ]
        if args.quick:
            opts.append("--quick")
        if args.k:
            opts += ["-k", args.k]
        code = pytest.main(opts)
        report = json.loads(out.read_text()) if out.exists() else {}
    rows = _rows(report, args.quick)
    text = _table(rows)
    print("\n" + text)
    if write and rows:
        _write(text, args.quick)
        print(f"\nwritten to {README}")
    failed = [r["name"] for r in rows if not r["ratio"] >= r["floor"]]
    if failed:
        print(f"\nbelow floor: {'; '.join(failed)}", file=sys.stderr)
    if code != 0:
        print(f"\npytest exit code {int(code)}: a check failed", file=sys.stderr)
    return 1 if failed or code != 0 or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
