"""Run the chunks of a sweep on a Dask cluster (``distributed``): same kernel, same results.

``--dask local:N`` starts a ``distributed.LocalCluster`` of N worker processes for the run;
``--dask tcp://host:8786`` (or ``host:8786``) connects to a running scheduler whose workers
have Runoff installed. The shared inputs (a few MB of day arrays and regime inputs, no store)
are scattered once. :func:`run_distributed` (the in-memory API, ``run_sweep(dask=...)``) runs
:func:`engine.sweep.chunks.run_chunk` per chunk and gathers the rows in grid order; the CLI's
streamed sweep (:mod:`engine.sweep.stream`) has each task write its own partition and return
only its reductions. Both equal the local run.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from data.errors import ParameterError
from engine.sweep.chunks import SweepPlan, run_chunk
from engine.sweep.nb import METRICS

_LOCAL = re.compile(r"local:(\d+)\Z")
_ADDRESS = re.compile(r"([a-z]+://)?[\w.\-\[\]:]+:\d+\Z")


def parse_address(spec: str) -> tuple[str, Any]:
    """``("local", n_workers)`` for ``local:N``, ``("address", spec)`` for a scheduler address.

    Raises ParameterError for anything else (checked before any work starts).
    """
    m = _LOCAL.match(spec)
    if m:
        n = int(m.group(1))
        if not 1 <= n <= 256:
            raise ParameterError(f"--dask {spec}: expected 1 to 256 local workers")
        return "local", n
    if _ADDRESS.match(spec):
        return "address", spec
    raise ParameterError(
        f"--dask {spec!r}: expected local:N (a local cluster of N worker processes) or a "
        "scheduler address such as tcp://10.0.0.5:8786"
    )


@contextmanager
def open_client(spec: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``local:N`` (a local cluster of N single-threaded worker
    processes, each with its share of the cores for numba) or a scheduler address; closed
    (and the local cluster shut down) on exit."""
    from distributed import Client, LocalCluster

    kind, value = parse_address(spec)
    cluster = None
    if kind == "local":
        cluster = LocalCluster(
            n_workers=value,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=None,
            worker_dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // value))},
        )
        client = Client(cluster)
    else:
        client = Client(value)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _task(shared: tuple, start: int, stop: int) -> tuple[int, int, np.ndarray]:
    inputs, strategy, grid = shared
    return start, stop, run_chunk(inputs, strategy, grid, start, stop)


def run_distributed(plan: SweepPlan, spec: str, progress: bool = False) -> np.ndarray:
    """Metrics of every combination of ``plan``, computed chunk by chunk on Dask workers and
    gathered here (memory O(combinations): the in-memory API; :mod:`engine.sweep.stream`
    keeps only reductions).

    Returns
    -------
    array of shape (n_combinations, len(METRICS)), in grid order.
    """
    from distributed import as_completed

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=plan.grid.size,
            unit="combo",
            unit_scale=True,
            file=sys.stderr,
            leave=False,
            desc=f"sweep on dask ({spec})",
        )
    try:
        with open_client(spec) as client:
            shared = client.scatter((plan.inputs, plan.strategy, plan.grid), broadcast=True)
            futures = [client.submit(_task, shared, a, b, pure=False) for a, b in plan.chunks]
            out = np.empty((plan.grid.size, len(METRICS)))
            for fut in as_completed(futures):
                a, b, rows = fut.result()
                out[a:b] = rows
                if bar is not None:
                    bar.update(b - a)
            return out
    finally:
        if bar is not None:
            bar.close()
