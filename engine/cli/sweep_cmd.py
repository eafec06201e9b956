"""``runoff sweep``: run a strategy over a parameter grid with the fused kernel.

Example::

    runoff sweep qt_aware                                   # the strategy's [sweep] table
    runoff sweep qt_aware --grid balance_sheet.window_weeks=8,13,26 --grid rebalance.band=0:0.1:0.02
    runoff sweep note_thesis --grid weights.qt=0:1:0.05 --grid weights.drain=0:1:0.1 \
        --sample 1000 --seed 1 --metric calmar --top 10 --out res.parquet
    runoff sweep note_thesis --grid weights.qt=0:1:0.05 --grid weights.drain=0:1:0.1 \
        --grid net_liquidity.band_bn=50:300:25 --sample 100000 --out rows/   # a dataset
    runoff sweep qt_aware --walk-forward 4 --pbo --report sweep.html --json
    runoff sweep qt_aware --dask local:2
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.cli.common import add_window_options
from strategies.errors import GridError


def register(subparsers: Any) -> None:
    from engine.metric_registry import SORTABLE

    p = subparsers.add_parser(
        "sweep",
        help="sweep a strategy's parameters with the fused kernel (one row per combination)",
        description=(
            "Run STRATEGY over every combination of its [sweep] table and --grid options "
            "(or a random --sample of them) with the fused numba kernel, which reproduces the "
            "vectorbt backtest of each combination (its risky legs and cash, as the backtest). "
            "Every combination uses the same window: from the first day every input of every "
            "combination is known to the last day every leg has a price and every input was "
            "fresh (an --end past it runs with a warning). Rows stream to "
            "--out chunk by chunk while the best rows, the marginals (per key and value: "
            "count, median, min, max of --metric) and the heatmap cells are kept as running "
            "reductions. Prints the best rows by --metric, the marginals, the benchmark's "
            "value of --metric over the best row's days and the deflated Sharpe ratio of the "
            "best on raw returns and in excess of the benchmark. Bad grids are rejected before "
            "any work starts. "
            "Example: runoff sweep qt_aware --grid balance_sheet.window_weeks=8,13,26 --top 10"
        ),
    )
    p.add_argument(
        "strategy",
        metavar="STRATEGY",
        help="built-in name (qt_aware, note_thesis, ...) or path to a TOML file",
    )
    p.add_argument(
        "--grid",
        metavar="KEY=V1,V2,...",
        action="append",
        default=[],
        help="values of a dotted key (repeatable), or KEY=START:STOP:STEP (stop "
        "inclusive); replaces that key's values in the strategy's [sweep] table, whose "
        "other keys stay in the grid (see --grid-only)",
    )
    p.add_argument(
        "--grid-only",
        action="store_true",
        help="ignore the strategy's [sweep] table; sweep only the --grid keys",
    )
    p.add_argument(
        "--sample",
        metavar="N",
        type=int,
        help="run N distinct combinations drawn at random from the grid (N at most its "
        "size; needed above 10,000,000 combinations)",
    )
    p.add_argument("--seed", metavar="S", type=int, default=0, help="seed of --sample (default 0)")
    p.add_argument(
        "--metric",
        default="sharpe",
        choices=list(SORTABLE),
        help="sort key, best first (default sharpe)",
    )
    p.add_argument(
        "--top",
        metavar="N",
        type=int,
        help="best rows to print (default 20); --out always gets every row",
    )
    p.add_argument(
        "--out",
        metavar="PATH",
        help="write every row, in grid order: DIR/ (or a path without a suffix) for a "
        "partitioned parquet dataset (any size; readable by pandas, pyarrow and Dask as one "
        "table), or one .parquet or .csv file",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the chunks on Dask: local:N (N local worker processes) or a "
        "scheduler address (tcp://host:8786)",
    )
    add_window_options(p, "first day (moved later until every input is known)")
    p.add_argument(
        "--walk-forward",
        metavar="FOLDS",
        type=int,
        help="walk-forward: pick the best combination on each training window and "
        "report it on the next test window (FOLDS test windows)",
    )
    p.add_argument(
        "--wf-mode",
        choices=("expanding", "rolling"),
        default="expanding",
        help="training windows grow from the start or roll (default expanding)",
    )
    p.add_argument(
        "--train-days",
        metavar="N",
        type=int,
        help="days of the first (expanding) or every (rolling) training window "
        "(default: window / (FOLDS + 1))",
    )
    p.add_argument(
        "--embargo",
        metavar="DAYS",
        type=int,
        default=5,
        help="trading days left out between training and test windows (default 5)",
    )
    p.add_argument(
        "--benchmark",
        action="store_true",
        help="compare the best row with the strategy's benchmark: the benchmark's --metric "
        "over the same days and the deflated Sharpe ratio in excess of it (simulated with "
        "vectorbt: a few seconds; implied by --report, --pbo and --walk-forward)",
    )
    p.add_argument(
        "--pbo",
        action="store_true",
        help="probability of backtest overfitting (CSCV, 16 blocks) on up to "
        "--pbo-max randomly drawn combinations",
    )
    p.add_argument(
        "--pbo-max",
        metavar="N",
        type=int,
        default=256,
        help="combinations in the PBO return matrix (default 256)",
    )
    p.add_argument(
        "--report",
        metavar="PATH",
        help="write an HTML report: the guards (deflated Sharpe ratio raw and in excess of "
        "the benchmark, PBO and its logits, the walk-forward table and out-of-sample curve "
        "against the benchmark), heatmaps of --metric over pairs of parameters on one colour "
        "scale, each parameter's marginal effect, the best rows",
    )
    p.add_argument(
        "--heatmap",
        metavar="KEY_X,KEY_Y",
        action="append",
        help="a pair of swept keys to draw (repeatable; default: up to 6 pairs)",
    )
    p.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    """Every option error, raised before any data is loaded."""
    from engine.sweep.output import check_out

    if args.out is not None:
        check_out(args.out)
    if args.top is not None and args.top < 1:
        raise GridError(f"--top {args.top}: expected a positive integer")
    if args.walk_forward is not None and args.walk_forward < 1:
        raise GridError(f"--walk-forward {args.walk_forward}: expected at least 1 fold")
    if args.pbo_max < 2:
        raise GridError(f"--pbo-max {args.pbo_max}: expected at least 2")
    if args.dask is not None:
        from engine.sweep.distributed import parse_address

        if parse_address(args.dask)[0] == "address" and args.out is None:
            raise GridError(
                f"--dask {args.dask}: give --out on a file system the workers share "
                "(each task writes its rows there)"
            )


def run(args: argparse.Namespace) -> int:
    """Validate the grid and options, stream the sweep and run its guards, print the results."""
    from data.store import Store
    from engine.sweep.guards import sweep_deflated_sharpe, sweep_pbo, walk_forward
    from engine.sweep.output import render, sweep_document
    from engine.sweep.run import describe, make_grid, plan_sweep
    from engine.sweep.stream import default_pairs, stream_plan
    from strategies import expand_grid, load_strategy, parse_grid_options

    _check(args)
    overrides = parse_grid_options(args.grid)
    strategy = load_strategy(args.strategy)
    grid = expand_grid(
        strategy, overrides, include_sweep=not args.grid_only, sample=args.sample, seed=args.seed
    )
    strategy, grid = make_grid(strategy, grid)
    pairs: list[tuple[str, str]] = []
    if args.heatmap:
        from engine.sweep.heatmap import check_pair

        pairs = [check_pair(h, grid.keys) for h in args.heatmap]
    elif args.report:
        pairs = default_pairs(grid)
    progress = sys.stderr.isatty() if args.progress is None else args.progress

    store = Store(data_dir=args.data_dir)
    plan = plan_sweep(strategy, grid, start=args.start, end=args.end, store=store)
    if plan.inputs.stale_warning:
        print(f"runoff: warning: {plan.inputs.stale_warning}", file=sys.stderr)
    summary = stream_plan(
        plan,
        metric=args.metric,
        top=args.top or 20,
        pairs=pairs,
        out=args.out,
        dask=args.dask,
        progress=progress,
    )
    dsr = sweep_deflated_sharpe(plan, summary.sharpe) if summary.sharpe.n_trials else None
    bench = dsr_excess = oos_bench = None
    compare = args.benchmark or args.report or args.pbo or args.walk_forward
    if dsr is not None and compare:
        from engine.sweep.benchmark import best_benchmark, excess_deflated_sharpe

        bench = best_benchmark(plan, summary.sharpe)
        dsr_excess = excess_deflated_sharpe(
            plan, summary.sharpe, bench, max_strategies=args.pbo_max, seed=args.seed
        )
    pbo = sweep_pbo(plan, max_strategies=args.pbo_max, seed=args.seed) if args.pbo else None
    wf = None
    if args.walk_forward:
        wf = walk_forward(
            strategy,
            folds=args.walk_forward,
            mode=args.wf_mode,
            train_days=args.train_days,
            embargo_days=args.embargo,
            metric=args.metric,
            plan=plan,
        )
        from engine.sweep.benchmark import oos_benchmark

        oos_bench = oos_benchmark(plan, wf.equity)
    guards: dict[str, Any] = {
        "dsr": dsr,
        "pbo": pbo,
        "walk_forward": wf,
        "dsr_excess": dsr_excess,
        "benchmark": bench,
        "oos_benchmark": oos_bench,
    }
    report = None
    if args.report:
        from engine.sweep.report import write_sweep_report

        report = str(
            write_sweep_report(
                summary,
                args.report,
                source=strategy.source,
                wf_mode=args.wf_mode,
                embargo=args.embargo,
                **guards,
            )
        )
    if args.json:
        doc = sweep_document(
            summary.attrs,
            summary.top,
            source=strategy.source,
            marginals=summary.marginals,
            heatmaps=summary.heatmaps,
            out=summary.out,
            report=report,
            **guards,
        )
        json.dump(doc, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    text = render(
        summary.attrs,
        summary.top,
        describe(summary.attrs),
        marginals=summary.marginals,
        wf_mode=args.wf_mode,
        embargo=args.embargo,
        out=summary.out,
        report=report,
        **guards,
    )
    print(text)
    return 0
