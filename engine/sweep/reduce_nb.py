"""The exact medians' pass over one chunk of written rows (numba + NumPy only).

Written once in plain typed Python (``refine_ref``, the reference) and compiled with numba
(``refine_nb``: ``cache=True``, ``nogil=True`` so chunks run on several threads); the oracle in
:mod:`engine.parity` does the same with NumPy fancy indexing. See
:func:`engine.sweep.reduce.exact_medians` for the selection it serves.
"""

from __future__ import annotations

import numpy as np
from numba import njit

STEP = 8
"""Bits of the order key histogrammed below a target bucket's prefix per pass."""


def refine_ref(
    idx: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    gstart: np.ndarray,
    gwidth: np.ndarray,
    keys: np.ndarray,
    ok: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    shift: np.ndarray,
    prefix: np.ndarray,
    step: np.ndarray,
    collect: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One chunk's part of a refinement pass.

    Requires: ``idx``, integer array of shape (k, n_keys): each row's value indices; the
    groupings (:meth:`engine.sweep.reduce.Groups.layout`): ``gx``, ``gy``, ``gwidth``, int64
    arrays of shape (n_groupings,), and ``gstart`` of shape (n_groupings + 1,): row ``i``'s
    group in grouping ``j`` is ``gstart[j] + idx[i, gy[j]] * gwidth[j] + idx[i, gx[j]]``
    (without the ``gy`` term when ``gy[j] < 0``); ``keys``, uint64 array of shape (k,): the
    metric's order keys; ``ok``, bool
    array of shape (k,): the metric is not NaN; ``first``, ``second``, int64 arrays of shape
    (n_groups,): a group's targets (-1: none); per target (arrays of shape (n_targets,)):
    ``shift`` (64 - bits of its prefix, uint64), ``prefix`` (uint64), ``step`` (bits to
    histogram next, uint64, at most :data:`STEP`) and ``collect`` (bool: gather its values).

    Sets, per target ``t``, over the rows of its group whose key starts with its prefix:

    hist : int64 array of shape (n_targets * 2**STEP,): counts of the next ``step[t]`` bits
        (targets not collected).
    lo, hi : uint64 arrays of shape (n_targets,): smallest and largest such key (not
        collected; ``lo`` = 2**64 - 1 and ``hi`` = 0 when there is none).
    offsets : int64 array of shape (n_targets + 1,); values : uint64 array: the keys of
        collected target ``t`` are ``values[offsets[t]:offsets[t + 1]]``, in row order.
    """
    n_t = len(shift)
    per = 1 << STEP
    hist = np.zeros(n_t * per, dtype=np.int64)
    lo = np.zeros(n_t, dtype=np.uint64)
    lo[:] = ~np.uint64(0)
    hi = np.zeros(n_t, dtype=np.uint64)
    offsets = np.zeros(n_t + 1, dtype=np.int64)
    k = idx.shape[0]
    n_j = len(gx)
    one = np.uint64(1)
    for i in range(k):
        if not ok[i]:
            continue
        key = keys[i]
        for j in range(n_j):
            g = gstart[j] + np.int64(idx[i, gx[j]])
            if gy[j] >= 0:
                g += np.int64(idx[i, gy[j]]) * gwidth[j]
            for s in range(2):
                t = first[g] if s == 0 else second[g]
                if t < 0 or (key >> shift[t]) != prefix[t]:
                    continue
                if collect[t]:
                    offsets[t + 1] += 1
                else:
                    d = (key >> (shift[t] - step[t])) & ((one << step[t]) - one)
                    hist[t * per + np.int64(d)] += 1
                    if key < lo[t]:
                        lo[t] = key
                    if key > hi[t]:
                        hi[t] = key
    for t in range(n_t):
        offsets[t + 1] += offsets[t]
    values = np.zeros(offsets[n_t], dtype=np.uint64)
    if offsets[n_t] == 0:
        return hist, lo, hi, offsets, values
    fill = offsets[:n_t].copy()
    for i in range(k):
        if not ok[i]:
            continue
        key = keys[i]
        for j in range(n_j):
            g = gstart[j] + np.int64(idx[i, gx[j]])
            if gy[j] >= 0:
                g += np.int64(idx[i, gy[j]]) * gwidth[j]
            for s in range(2):
                t = first[g] if s == 0 else second[g]
                if t < 0 or not collect[t] or (key >> shift[t]) != prefix[t]:
                    continue
                values[fill[t]] = key
                fill[t] += 1
    return hist, lo, hi, offsets, values


refine_nb = njit(cache=True, nogil=True)(refine_ref)
