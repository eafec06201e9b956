"""Running reductions of a streamed sweep, merged chunk by chunk (here or from Dask tasks).

A streamed sweep never holds every row: each chunk of results is folded into a
:class:`Reduction` (and written to disk by :mod:`engine.sweep.dataset`), and reductions merge
(:meth:`Reduction.merge`) in any order to the same result (the Sharpe spread's float sums up
to rounding; the sweep merges in partition order, so local and Dask runs agree bit for bit):

* the best ``top`` rows by the metric, in the order of :func:`engine.sweep.run.results_frame`
  (best first, NaN last, ties in grid order);
* per group of combinations — one group per value of each swept key (the marginals) and one
  per cell of each heatmap pair of keys — the count, the number of non-NaN metric values,
  their minimum and maximum, and a histogram of the metric's top 12 bits (sign and exponent of
  an order-preserving integer key) from which :func:`exact_medians` finds each group's median;
* the spread of the per-day Sharpe ratios (count, mean and sum of squared deviations, merged
  by Chan et al.'s formula) and the best one, for the deflated Sharpe ratio.

The medians are exact (equal to ``DataFrame.groupby(...).median()`` of the full table): a
radix selection over the metric's order keys. The streamed histogram places each group's
middle rank(s) in one 12-bit bucket; each later pass over the written rows (``scan``, one
partition at a time) either histograms the next 8 bits of the values in that bucket or, once
the bucket holds at most ``collect`` values, collects them and selects the rank; a bucket whose
smallest and largest key are equal holds one value (ties, however many, end there). Memory is
bounded by the groups and the collection budget, never by the number of rows; a sweep usually
needs two passes over its metric column.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.metric_registry import INT_COLUMNS
from engine.sweep.nb import ANNUAL, METRICS
from engine.sweep.reduce_nb import STEP, refine_nb

SIGN = np.uint64(1 << 63)
FIRST_BITS = 12
"""Bits of the order key histogrammed while streaming (sign and exponent)."""
STEP_BITS = STEP
"""Further bits histogrammed per pass over the written rows."""
COLLECT = 2**16
"""A target bucket with at most this many values is collected and selected directly."""
BUDGET = 2**21
"""Most values collected in one pass (16 MB of keys)."""
_DENSE = 2**20
"""Largest dense ``bincount`` when counting keys (else sort and run-length)."""

Scan = Callable[[Callable[[np.ndarray, np.ndarray], Any]], Iterable[Any]]
"""``scan(visit)`` calls ``visit(idx, values)`` on every written chunk (value indices of shape
(k, n_keys) and the metric, shape (k,)), possibly on several threads, and returns the
results."""


def order_keys(x: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 values ``x`` (no NaN): -inf < ... < -0.0 < 0.0
    < ... < inf."""
    u = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    return np.where(u >= SIGN, ~u, u | SIGN)


def from_order_keys(k: np.ndarray) -> np.ndarray:
    """The float64 values of order keys (inverse of :func:`order_keys`)."""
    k = np.asarray(k, dtype=np.uint64)
    return np.where(k >= SIGN, k & ~SIGN, ~k).view(np.float64)


def count_keys(
    keys: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-negative int64 ``keys`` (sorted) and their counts (or summed int64
    ``weights``)."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(keys.max()) + 1
    if top <= _DENSE:
        c = np.bincount(keys, weights, minlength=top)
        nz = np.flatnonzero(c)
        return nz.astype(np.int64), c[nz].astype(np.int64)
    order = np.argsort(keys, kind="stable")
    s = keys[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    w = np.ones(len(s), dtype=np.int64) if weights is None else np.asarray(weights)[order]
    return s[starts], np.add.reduceat(w.astype(np.int64), starts)


@dataclass(frozen=True)
class Groups:
    """The groups the reductions keep: the values of each swept key, then the cells of each
    heatmap pair.

    Attributes
    ----------
    keys, values : the grid's swept keys and their values.
    pairs : heatmap pairs as (x, y) positions in ``keys``.
    starts : int64 array of shape (n_groupings + 1,): first group id of each grouping (one per
        key, then one per pair); a key's group is ``start + value index``, a pair's cell
        ``start + y index * len(x values) + x index``.
    """

    keys: tuple[str, ...]
    values: tuple[tuple, ...]
    pairs: tuple[tuple[int, int], ...] = ()
    starts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shape = [len(v) for v in self.values]
        sizes = shape + [shape[x] * shape[y] for x, y in self.pairs]
        starts = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        object.__setattr__(self, "starts", starts)

    @property
    def n_groups(self) -> int:
        return int(self.starts[-1])

    @property
    def n_groupings(self) -> int:
        return len(self.starts) - 1

    def layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each grouping's keys and width, as the kernels read them: int64 arrays of shape
        (n_groupings,): ``x`` (a key's position), ``y`` (the pair's second key, -1 for a
        key's values) and ``width`` (the number of values of ``x``). Group of a row:
        ``starts[j] + idx[y] * width[j] + idx[x]`` (or ``starts[j] + idx[x]``)."""
        n = len(self.keys)
        x = np.array([*range(n), *(p[0] for p in self.pairs)], dtype=np.int64)
        y = np.array([-1] * n + [p[1] for p in self.pairs], dtype=np.int64)
        width = np.array([len(self.values[i]) for i in x], dtype=np.int64)
        return x, y, width

    def ids(self, idx: np.ndarray) -> np.ndarray:
        """Group ids of value-index rows ``idx`` (k, n_keys): int64 array (k, n_groupings)."""
        k, n_keys = len(idx), len(self.keys)
        out = np.empty((k, self.n_groupings), dtype=np.int64)
        out[:, :n_keys] = idx + self.starts[:n_keys]
        for p, (x, y) in enumerate(self.pairs):
            out[:, n_keys + p] = (
                self.starts[n_keys + p] + idx[:, y] * len(self.values[x]) + idx[:, x]
            )
        return out


def sort_keys(values: np.ndarray, ascending: bool) -> np.ndarray:
    """Sort keys of a metric column, best first: NaN last (as :func:`results_frame`)."""
    key = values if ascending else -values
    return np.where(np.isnan(key), np.inf, key)


class Reduction:
    """Mergeable running reductions of a sweep (see the module docstring).

    Attributes
    ----------
    rows : combinations folded in.
    top_combo, top_idx, top_metrics : the best rows so far, best first: grid positions (t,),
        value indices (t, n_keys) and metrics (t, len(METRICS)).
    count, valid : int64 arrays of shape (n_groups,): rows, and rows with a non-NaN metric.
    lo, hi : float64 arrays of shape (n_groups,): smallest and largest non-NaN metric.
    hist_keys, hist_counts : the streamed histogram, sparse: ``group * 4096 + bucket`` (sorted)
        and counts.
    sr_n, sr_mean, sr_m2 : finite per-day Sharpe ratios: count, mean, sum of squared
        deviations; sr_best, sr_best_combo : the largest and its grid position (the first on
        ties).
    """

    def __init__(self, groups: Groups, metric: str, ascending: bool, top: int) -> None:
        self.groups = groups
        self.metric = metric
        self.col = METRICS.index(metric)
        self.ascending = ascending
        self.top = top
        self.rows = 0
        n_keys, g = len(groups.keys), groups.n_groups
        self.top_combo = np.zeros(0, dtype=np.int64)
        self.top_idx = np.zeros((0, n_keys), dtype=np.int64)
        self.top_metrics = np.zeros((0, len(METRICS)))
        self.count = np.zeros(g, dtype=np.int64)
        self.valid = np.zeros(g, dtype=np.int64)
        self.lo = np.full(g, np.nan)
        self.hi = np.full(g, np.nan)
        self.hist_keys = np.zeros(0, dtype=np.int64)
        self.hist_counts = np.zeros(0, dtype=np.int64)
        self.sr_n = 0
        self.sr_mean = 0.0
        self.sr_m2 = 0.0
        self.sr_best = math.nan
        self.sr_best_combo = -1

    def add(self, start: int, idx: np.ndarray, metrics: np.ndarray) -> None:
        """Fold in the rows of combinations ``start:start + len(idx)`` (value indices ``idx``,
        metrics of shape (k, len(METRICS)))."""
        k = len(idx)
        if k == 0:
            return
        combos = np.arange(start, start + k, dtype=np.int64)
        col = np.ascontiguousarray(metrics[:, self.col])
        self.rows += k
        # best rows: the candidates at or above the top-th key, then a full sort of those
        key = sort_keys(col, self.ascending)
        cand = np.arange(k)
        if k > self.top:
            kth = np.partition(key, self.top - 1)[self.top - 1]
            cand = np.flatnonzero(key <= kth)
        best = cand[np.lexsort((combos[cand], key[cand]))[: self.top]]
        self._merge_top(combos[best], idx[best], metrics[best])
        # groups
        gids = self.groups.ids(idx)
        j = gids.shape[1]
        flat = gids.ravel()
        vals = np.repeat(col, j)
        g = self.groups.n_groups
        self.count += np.bincount(flat, minlength=g)
        ok_rows = ~np.isnan(col)
        self.valid += np.bincount(gids[ok_rows].ravel(), minlength=g)
        np.fmin.at(self.lo, flat, vals)
        np.fmax.at(self.hi, flat, vals)
        bucket = (order_keys(col[ok_rows]) >> np.uint64(64 - FIRST_BITS)).astype(np.int64)
        hk, hc = count_keys((gids[ok_rows] * (1 << FIRST_BITS) + bucket[:, None]).ravel())
        self._merge_hist(hk, hc)
        # Sharpe ratios for the deflated Sharpe ratio
        sr = metrics[:, METRICS.index("sharpe")] / math.sqrt(ANNUAL)
        fin = np.isfinite(sr)
        if fin.any():
            s = sr[fin]
            m = float(s.mean())
            self._merge_sr(len(s), m, float(((s - m) ** 2).sum()))
            i = int(np.argmax(s))
            self._merge_best(float(s[i]), int(combos[fin][i]))

    def merge(self, other: Reduction) -> None:
        """Fold in another reduction of disjoint rows (same groups, metric and top)."""
        self.rows += other.rows
        self._merge_top(other.top_combo, other.top_idx, other.top_metrics)
        self.count += other.count
        self.valid += other.valid
        np.fmin(self.lo, other.lo, out=self.lo)
        np.fmax(self.hi, other.hi, out=self.hi)
        self._merge_hist(other.hist_keys, other.hist_counts)
        if other.sr_n:
            self._merge_sr(other.sr_n, other.sr_mean, other.sr_m2)
            self._merge_best(other.sr_best, other.sr_best_combo)

    def _merge_top(self, combo: np.ndarray, idx: np.ndarray, metrics: np.ndarray) -> None:
        c = np.concatenate([self.top_combo, combo])
        i = np.concatenate([self.top_idx, idx])
        m = np.concatenate([self.top_metrics, metrics])
        order = np.lexsort((c, sort_keys(m[:, self.col], self.ascending)))[: self.top]
        self.top_combo, self.top_idx, self.top_metrics = c[order], i[order], m[order]

    def _merge_hist(self, keys: np.ndarray, counts: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self.hist_keys, self.hist_counts = count_keys(
            np.concatenate([self.hist_keys, keys]), np.concatenate([self.hist_counts, counts])
        )

    def _merge_sr(self, n: int, mean: float, m2: float) -> None:
        total = self.sr_n + n
        delta = mean - self.sr_mean
        self.sr_m2 += m2 + delta * delta * self.sr_n * n / total
        self.sr_mean += delta * n / total
        self.sr_n = total

    def _merge_best(self, value: float, combo: int) -> None:
        if (
            self.sr_best_combo < 0
            or value > self.sr_best
            or (value == self.sr_best and combo < self.sr_best_combo)
        ):
            self.sr_best, self.sr_best_combo = value, combo

    @property
    def sr_variance(self) -> float:
        """Sample variance (ddof 1) of the finite per-day Sharpe ratios (0 for one)."""
        return self.sr_m2 / (self.sr_n - 1) if self.sr_n > 1 else 0.0


# ---------------------------------------------------------------- exact medians


@dataclass
class _Target:
    """A bucket of one group's order keys holding some of its middle ranks."""

    group: int
    prefix: int  # the top ``bits`` bits of the order key
    bits: int
    count: int  # values of the group in the bucket
    ranks: list[tuple[int, int]]  # (rank in the group, rank in the bucket), 0-based


def _middle(n: int) -> list[int]:
    return sorted({(n - 1) // 2, n // 2})


def _merge_targets(targets: list[_Target]) -> list[_Target]:
    """Targets of the same bucket as one (ranks joined)."""
    merged: dict[tuple[int, int, int], _Target] = {}
    for t in targets:
        key = (t.group, t.prefix, t.bits)
        if key in merged:
            merged[key].ranks.extend(t.ranks)
        else:
            merged[key] = _Target(t.group, t.prefix, t.bits, t.count, list(t.ranks))
    return list(merged.values())


def _descend(
    t: _Target,
    step: int,
    digits: np.ndarray,
    counts: np.ndarray,
) -> list[_Target]:
    """The narrower buckets (``step`` more bits) holding ``t``'s ranks, from the histogram of
    its bucket (``digits``, ``counts``)."""
    cum = np.cumsum(counts)
    out = []
    for r_group, r in t.ranks:
        k = int(np.searchsorted(cum, r, side="right"))
        before = int(cum[k - 1]) if k else 0
        prefix = (t.prefix << step) | int(digits[k])
        out.append(_Target(t.group, prefix, t.bits + step, int(counts[k]), [(r_group, r - before)]))
    return out


def exact_medians(
    red: Reduction, scan: Scan, *, collect: int = COLLECT, budget: int = BUDGET
) -> np.ndarray:
    """Median of the non-NaN metric values of every group (NaN for a group without any):
    float64 array of shape (n_groups,), exactly ``groupby(...).median()`` of the full table.

    ``scan`` passes over the written rows (see :data:`Scan`), once per refinement pass.
    """
    per = 1 << FIRST_BITS
    hg = red.hist_keys // per
    targets: list[_Target] = []
    found: dict[tuple[int, int], float] = {}  # (group, rank in the group) -> value
    for g in np.flatnonzero(red.valid):
        n = int(red.valid[g])
        a, b = np.searchsorted(hg, [g, g + 1])
        counts = red.hist_counts[a:b]
        if int(counts.sum()) != n:
            raise RuntimeError(f"median of group {g}: histogram holds {counts.sum()} of {n}")
        root = _Target(int(g), 0, 0, n, [(r, r) for r in _middle(n)])
        targets += _descend(root, FIRST_BITS, red.hist_keys[a:b] % per, counts)
    targets = _merge_targets(targets)
    while targets:
        for t in targets:
            if t.bits == 64:  # every value in the bucket is the same
                v = float(from_order_keys(np.array([t.prefix], dtype=np.uint64))[0])
                for r_group, _ in t.ranks:
                    found[(t.group, r_group)] = v
        targets = [t for t in targets if t.bits < 64]
        if not targets:
            break
        picked = np.zeros(len(targets), dtype=np.bool_)
        room = budget
        for i in sorted(range(len(targets)), key=lambda i: targets[i].count):
            if targets[i].count <= min(collect, room):
                picked[i] = True
                room -= targets[i].count
        targets = _refine(red.groups, targets, picked, scan, found)
    out = np.full(red.groups.n_groups, np.nan)
    for g in np.flatnonzero(red.valid):
        vals = [found[(int(g), r)] for r in _middle(int(red.valid[g]))]
        out[g] = vals[0] if len(vals) == 1 else (vals[0] + vals[1]) / 2.0
    return out


def _refine(
    groups: Groups,
    targets: list[_Target],
    collect: np.ndarray,
    scan: Scan,
    found: dict[tuple[int, int], float],
) -> list[_Target]:
    """One pass over the rows (:func:`engine.sweep.reduce_nb.refine_nb` per chunk): collect
    the values of the ``collect`` buckets and select their ranks (into ``found``); histogram
    the next bits of the others. Returns the narrower targets still to resolve."""
    n_t = len(targets)
    t_group = np.array([t.group for t in targets], dtype=np.int64)
    t_prefix = np.array([t.prefix for t in targets], dtype=np.uint64)
    t_shift = np.array([64 - t.bits for t in targets], dtype=np.uint64)
    t_step = np.array([min(STEP_BITS, 64 - t.bits) for t in targets], dtype=np.uint64)
    # A group has at most two targets: its two middle ranks may sit in two buckets.
    first = np.full(groups.n_groups, -1, dtype=np.int64)
    second = np.full(groups.n_groups, -1, dtype=np.int64)
    for ti, g in enumerate(t_group):
        if first[g] < 0:
            first[g] = ti
        else:
            second[g] = ti

    gx, gy, gwidth = groups.layout()

    def visit(idx: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
        return refine_nb(
            np.ascontiguousarray(idx),
            gx,
            gy,
            groups.starts,
            gwidth,
            order_keys(values),
            ~np.isnan(values),
            first,
            second,
            t_shift,
            t_prefix,
            t_step,
            collect,
        )

    per = 1 << STEP_BITS
    hist = np.zeros(n_t * per, dtype=np.int64)  # next bits of each histogrammed bucket
    t_min = np.full(n_t, np.iinfo(np.uint64).max, dtype=np.uint64)  # smallest and largest
    t_max = np.zeros(n_t, dtype=np.uint64)  # key in each bucket: equal when one value fills it
    pieces: list[list[np.ndarray]] = [[] for _ in range(n_t)]
    wanted = np.flatnonzero(collect)
    for h, lo, hi, offsets, values in scan(visit):
        hist += h
        np.minimum(t_min, lo, out=t_min)
        np.maximum(t_max, hi, out=t_max)
        for w in wanted:
            if offsets[w + 1] > offsets[w]:
                pieces[w].append(values[offsets[w] : offsets[w + 1]])
    out: list[_Target] = []
    for i, t in enumerate(targets):
        counts = hist[i * per : (i + 1) * per]
        held = int(sum(len(p) for p in pieces[i]) if collect[i] else counts.sum())
        if held != t.count:
            raise RuntimeError(
                f"median of group {t.group}: found {held} of {t.count} values; the written "
                "rows changed during the sweep"
            )
        if collect[i]:
            vals = np.concatenate(pieces[i])
            for r_group, r in t.ranks:
                found[(t.group, r_group)] = float(
                    from_order_keys(np.partition(vals, r)[r : r + 1])[0]
                )
        elif t_min[i] == t_max[i]:  # one value fills the bucket
            v = float(from_order_keys(t_min[i : i + 1])[0])
            for r_group, _ in t.ranks:
                found[(t.group, r_group)] = v
        else:
            digits = np.flatnonzero(counts)
            out += _descend(t, int(t_step[i]), digits, counts[digits])
    return _merge_targets(out)


# ---------------------------------------------------------------- tables


def marginals(red: Reduction, medians: np.ndarray) -> pd.DataFrame:
    """One row per swept key and value that occurs: ``key``, ``value``, ``count`` (rows),
    and the metric's ``median``, ``min`` and ``max`` over its non-NaN values (over every other
    parameter), keys in grid order and values ascending."""
    groups = red.groups
    rows = []
    for j, (key, values) in enumerate(zip(groups.keys, groups.values, strict=True)):
        s = int(groups.starts[j])
        for v in sorted(range(len(values)), key=lambda i: values[i]):
            gid = s + v
            if red.count[gid]:
                rows.append(
                    (key, values[v], int(red.count[gid]), medians[gid], red.lo[gid], red.hi[gid])
                )
    frame = pd.DataFrame(rows, columns=["key", "value", "count", "median", "min", "max"])
    frame["value"] = pd.Series([r[1] for r in rows], dtype=object)  # ints stay ints
    return frame


@dataclass(frozen=True)
class Heatmap:
    """One heatmap pair: the metric's best value and median per cell, over the other swept
    parameters (rows: values of ``y``, columns: values of ``x``, both ascending; cells with no
    combination are NaN; values that never occur are left out, as ``pivot`` leaves them)."""

    x: str
    y: str
    best: pd.DataFrame
    median: pd.DataFrame


def _cells(
    a: np.ndarray,
    count: np.ndarray,
    rows: list[int],
    cols: list[int],
    index: pd.Index,
    columns: pd.Index,
) -> pd.DataFrame:
    sub = a.reshape(count.shape)[np.ix_(rows, cols)].copy()
    sub[count[np.ix_(rows, cols)] == 0] = np.nan
    return pd.DataFrame(sub, index=index, columns=columns)


def heatmaps(red: Reduction, medians: np.ndarray) -> list[Heatmap]:
    """The heatmap cells of every pair (see :class:`Heatmap`)."""
    groups = red.groups
    n_keys = len(groups.keys)
    best_of = red.lo if red.ascending else red.hi
    out = []
    for p, (x, y) in enumerate(groups.pairs):
        vx, vy = groups.values[x], groups.values[y]
        s = int(groups.starts[n_keys + p])
        cells = slice(s, s + len(vx) * len(vy))
        count = red.count[cells].reshape(len(vy), len(vx))
        rows = [i for i in sorted(range(len(vy)), key=lambda i: vy[i]) if count[i].any()]
        cols = [i for i in sorted(range(len(vx)), key=lambda i: vx[i]) if count[:, i].any()]
        index = pd.Index([vy[i] for i in rows], name=groups.keys[y])
        columns = pd.Index([vx[i] for i in cols], name=groups.keys[x])
        best = _cells(best_of[cells], count, rows, cols, index, columns)
        median = _cells(medians[cells], count, rows, cols, index, columns)
        out.append(Heatmap(groups.keys[x], groups.keys[y], best, median))
    return out


def top_frame(red: Reduction) -> pd.DataFrame:
    """The best rows as :func:`engine.sweep.run.results_frame` labels them."""
    data: dict[str, object] = {"combo": red.top_combo.copy()}
    for j, (k, v) in enumerate(zip(red.groups.keys, red.groups.values, strict=True)):
        data[k] = np.asarray(v)[red.top_idx[:, j]]
    for j, name in enumerate(METRICS):
        vals = red.top_metrics[:, j]
        data[name] = vals.astype(np.int64) if name in INT_COLUMNS else vals
    return pd.DataFrame(data)


__all__ = [
    "Groups",
    "Heatmap",
    "Reduction",
    "count_keys",
    "exact_medians",
    "from_order_keys",
    "heatmaps",
    "marginals",
    "order_keys",
    "top_frame",
]
