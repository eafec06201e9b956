"""``runoff regimes`` and ``runoff explain``: the regime timeline and one day's reasoning.

- ``regimes [--start] [--end] [--freq D|W|M] [--kind K] [--param KEY=VALUE] [--json|--csv]``:
  the regime timeline as spans (kind, regime, start, end, length in trading days).
- ``explain DATE [--param KEY=VALUE] [--json]``: what the engine knew and concluded at
  DATE's 16:00 ET decision, with the rule that fired and the observation date of each input.

Both take regime parameters from ``--strategy NAME_OR_TOML`` (its ``[regimes]`` tables)
and/or ``--param group.field=value`` (e.g. ``balance_sheet.window_weeks=26``); bad values
give one line ``runoff: error: ...`` naming the field, exit 2.
"""

from __future__ import annotations

import argparse
import csv
import io

from data.store import Store
from engine.cli.common import add_command, json_text
from engine.regimes.api import regime_frame, regime_spans
from engine.regimes.explain import explain, render
from strategies.families import FAMILIES, NAMES, RegimeParams
from strategies.keys import replace_regimes, split_assignment

_KINDS = "\n".join(
    f"  {f.name:<14} {' / '.join(m.value for m in f.enum if m.value != 'UNKNOWN')}"
    for f in FAMILIES
)

_REGIMES_HELP = f"""\
Print the regime timeline as spans of consecutive trading days, one kind per regime family,
each as known at the 16:00 ET decision of every day (warm-up on all history before --start;
UNKNOWN before a regime's inputs are known):

{_KINDS}

--freq W or M first replaces each day's regime by the last one of its week or month.

examples:
  runoff regimes --start 2003-01-01
  runoff regimes --start 2022-01-01 --freq M --kind phase
  runoff regimes --param balance_sheet.window_weeks=26 --csv > spans.csv
"""

_EXPLAIN_HELP = """\
Explain one day: total assets and their running peak, change from the peak, pace per
month, balance sheet / GDP, net liquidity and its change, reserves, ON RRP, BTFP (when
downloaded), the 10y against the policy range, 10y - 2y, the real-time Sahm rule, every
regime and the rule that produced it, and the observation date of every input.
A date that is not a trading day uses the last trading day on or before it.

examples:
  runoff explain 2024-01-19
  runoff explain 2020-03-20 --json
"""


def _add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--strategy",
        metavar="NAME_OR_TOML",
        help="take the regime parameters of a built-in strategy or a TOML file",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one regime parameter, e.g. balance_sheet.window_weeks=26, "
        "policy.sahm_threshold=0.5 (repeatable)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "regimes",
        "print the regime timeline as spans",
        _REGIMES_HELP,
    )
    p.add_argument("--start", metavar="DATE", help="first day (default: the first trading day)")
    p.add_argument("--end", metavar="DATE", help="last day (default: the last trading day)")
    p.add_argument(
        "--freq",
        choices=("D", "W", "M"),
        default="D",
        type=str.upper,
        help="resample the daily regimes (last value of each week / month) first",
    )
    p.add_argument(
        "--kind",
        action="append",
        choices=NAMES,
        metavar="KIND",
        help=f"only these regimes ({', '.join(NAMES)}; repeatable)",
    )
    _add_params(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON list of spans")
    out.add_argument("--csv", action="store_true", help="print CSV: kind,regime,start,end,days")
    p.set_defaults(func=cmd_regimes)

    p = add_command(
        subparsers,
        "explain",
        "what the engine knew and concluded on one day, and why",
        _EXPLAIN_HELP,
    )
    p.add_argument("date", metavar="DATE", help="YYYY-MM-DD")
    _add_params(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_explain)


def regime_params(args: argparse.Namespace) -> RegimeParams:
    """Regime parameters from ``--strategy`` and ``--param`` options."""
    params = RegimeParams()
    if getattr(args, "strategy", None):
        from strategies import load_strategy

        params = load_strategy(args.strategy).regimes
    overrides: dict[str, object] = {}
    for item in getattr(args, "param", []) or []:
        key, value = split_assignment(item, "--param")
        overrides[key] = value
    out: RegimeParams = replace_regimes(params, overrides, label="--param ")
    return out


def cmd_regimes(args: argparse.Namespace) -> int:
    """Print the regime spans (text table, JSON list or CSV)."""
    params = regime_params(args)
    store = Store(data_dir=args.data_dir)
    frame = regime_frame(args.start, args.end, params, store=store)
    spans = regime_spans(frame, args.freq)
    if args.kind:
        spans = spans[spans["kind"].isin(args.kind)]
    rows = [
        {
            "kind": r.kind,
            "regime": r.regime,
            "start": r.start.date().isoformat(),
            "end": r.end.date().isoformat(),
            "days": int(r.days),
        }
        for r in spans.itertuples(index=False)
    ]
    if args.json:
        print(json_text(rows))
        return 0
    if args.csv:
        buf = io.StringIO()
        w = csv.DictWriter(
            buf, fieldnames=["kind", "regime", "start", "end", "days"], lineterminator="\n"
        )
        w.writeheader()
        w.writerows(rows)
        print(buf.getvalue(), end="")
        return 0
    first, last = frame.index[0].date(), frame.index[-1].date()
    print(f"Regimes {first} to {last} ({len(frame)} trading days, freq {args.freq})")
    for kind in NAMES:
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        print(f"\n{kind}")
        print(f"  {'start':<10}  {'end':<10}  {'days':>5}  regime")
        for r in sel:
            print(f"  {r['start']:<10}  {r['end']:<10}  {r['days']:>5}  {r['regime']}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Print the explanation of one day (text or JSON)."""
    params = regime_params(args)
    store = Store(data_dir=args.data_dir)
    e = explain(args.date, params, store=store)
    print(json_text(e) if args.json else render(e))
    return 0
