"""The rows of a streamed sweep on disk: a partitioned parquet dataset, written atomically.

Layout of ``--out DIR/``::

    DIR/part-000000.parquet   combinations 0 .. P-1 (P = the partition size), in grid order
    DIR/part-000001.parquet   ...
    DIR/_SUCCESS              the manifest (JSON): strategy, metric, window, keys, rows, ...

Every partition has the same schema: ``combo`` (the combination's position in the grid), one
column per swept key, then the metric columns. ``pandas.read_parquet(DIR)``,
``pyarrow.dataset.dataset(DIR)`` and ``dask.dataframe.read_parquet(DIR)`` read it as one table
in grid order (they skip names starting with ``_`` or ``.``).

Atomicity, in three layers:

* each partition is written to a hidden temporary file in the same folder and renamed to its
  name (:func:`write_partition`); the name depends only on the partition's number, so a task
  that runs twice (a retried Dask task, a worker lost after writing) replaces the file with the
  same rows: no row is ever duplicated, and a half-written file is never visible;
* partitions are written into a hidden staging folder beside the target
  (``.DIR.<random>.part``); ``_SUCCESS`` is written last, then the folder is renamed to
  ``DIR`` (:func:`commit_dataset`). An existing dataset at ``DIR`` is replaced only then, so an
  interrupted or failed sweep leaves the previous dataset (or nothing) in place, and the only
  folders named ``DIR`` hold every row and a manifest;
* an interruption removes the staging folder (:meth:`Staging.discard`); a process killed
  outright leaves only the hidden staging folder, which has no manifest.

A single file (``--out rows.parquet`` or ``rows.csv``) is assembled from the staged partitions,
one at a time, into a temporary file renamed into place (:func:`commit_file`).

Beside the rows, each partition leaves a spill in the staging folder's ``_spill/``: its value
indices (the smallest unsigned integers that hold them) and the metric column as raw NumPy
files, what the exact medians' passes re-read (:func:`read_spill`; no parquet decoding, no
sample drawn again). The spill is removed before the commit; without ``--out`` it is all that
is written, in a temporary folder removed at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from data.paths import atomic_write
from strategies.errors import GridError

SPILL = "_spill"
"""Sub-folder of the staging folder holding the spill (pyarrow and Dask skip ``_`` names)."""
MANIFEST = "_SUCCESS"
"""The manifest's name: written last, it marks a complete dataset."""
FORMAT = "runoff-sweep-dataset"
FILE_FORMATS: tuple[str, ...] = (".parquet", ".csv")
"""Single-file formats of ``--out``, by suffix."""


def out_kind(path: str | os.PathLike[str]) -> str:
    """``"dir"`` for a dataset folder (a path ending in ``/``, or without a suffix), else the
    file suffix (``.parquet`` or ``.csv``). GridError for another suffix, for a file where a
    folder is asked for, or for an existing folder that is not a sweep dataset (it would be
    replaced): checked before any work starts."""
    text = os.fspath(path)
    p = Path(text)
    if text.endswith(("/", os.sep)) or not p.suffix:
        if p.exists() and not p.is_dir():
            raise GridError(f"--out {text}: a file exists there; give a new folder for the rows")
        if p.is_dir() and any(p.iterdir()) and not is_dataset(p):
            raise GridError(
                f"--out {text}: the folder exists and is not a sweep dataset (no {MANIFEST}); "
                "give a new or empty folder"
            )
        return "dir"
    suffix = p.suffix.lower()
    if suffix not in FILE_FORMATS:
        raise GridError(
            f"--out {text}: unknown format; expected a path ending in "
            f"{' or '.join(FILE_FORMATS)}, or a folder (DIR/) for a partitioned dataset"
        )
    if p.is_dir():
        raise GridError(f"--out {text}: a folder exists there; give a file path")
    return suffix


def is_dataset(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a folder with a sweep dataset's manifest."""
    m = Path(path) / MANIFEST
    try:
        return json.loads(m.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def partition_name(part: int, n_parts: int) -> str:
    """File name of partition ``part`` of ``n_parts`` (zero-padded so names sort in order)."""
    width = max(6, len(str(max(n_parts - 1, 0))))
    return f"part-{part:0{width}d}.parquet"


def partition_table(
    keys: Sequence[str],
    values: Sequence[tuple],
    start: int,
    idx: np.ndarray,
    metrics: np.ndarray,
    columns: Sequence[str],
) -> Any:
    """A pyarrow table of combinations ``start:start + len(idx)``: ``combo``, the swept keys'
    values and the metric ``columns``."""
    import pyarrow as pa

    from engine.metric_registry import INT_COLUMNS

    data: dict[str, Any] = {"combo": np.arange(start, start + len(idx), dtype=np.int64)}
    for j, (k, v) in enumerate(zip(keys, values, strict=True)):
        data[k] = np.asarray(v)[idx[:, j]]
    for j, name in enumerate(columns):
        col = metrics[:, j]
        data[name] = col.astype(np.int64) if name in INT_COLUMNS else np.ascontiguousarray(col)
    return pa.table(data)


def write_partition(
    folder: str | os.PathLike[str], name: str, table: Any, dictionary: Sequence[str] = ()
) -> Path:
    """Write one partition atomically (a hidden temporary file renamed to ``name``); writing
    the same partition again replaces it. The ``dictionary`` columns (the swept keys: few
    distinct values) are dictionary-encoded, the metric columns plain."""
    import pyarrow.parquet as pq

    path = Path(folder) / name
    atomic_write(
        path, lambda tmp: pq.write_table(table, tmp, use_dictionary=list(dictionary) or False)
    )
    return path


def _index_dtype(shape: Sequence[int]) -> type:
    top = max(shape, default=1)
    return np.uint8 if top <= 2**8 else np.uint16 if top <= 2**16 else np.int64


def write_spill(
    folder: str | os.PathLike[str],
    part: int,
    idx: np.ndarray,
    values: np.ndarray,
    shape: Sequence[int],
) -> None:
    """Write partition ``part``'s value indices and metric to the spill (atomically)."""
    spill = Path(folder) / SPILL
    spill.mkdir(exist_ok=True)
    small: np.ndarray = np.ascontiguousarray(idx, dtype=_index_dtype(shape))
    vals = np.ascontiguousarray(values, dtype=np.float64)
    atomic_write(spill / f"{part}.idx.npy", lambda tmp: _save(tmp, small))
    atomic_write(spill / f"{part}.val.npy", lambda tmp: _save(tmp, vals))


def _save(path: Path, a: np.ndarray) -> None:
    with open(path, "wb") as fh:  # np.save on a name would append ".npy"
        np.save(fh, a, allow_pickle=False)


def read_spill(folder: str | os.PathLike[str], part: int) -> tuple[np.ndarray, np.ndarray]:
    """Partition ``part``'s value indices (shape (k, n_keys), the smallest unsigned type that
    holds them) and metric (k,)."""
    spill = Path(folder) / SPILL
    idx = np.load(spill / f"{part}.idx.npy", allow_pickle=False)
    return idx, np.load(spill / f"{part}.val.npy", allow_pickle=False)


class Staging:
    """A hidden folder the partitions of one sweep are written to.

    ``Staging(out)`` creates it beside ``out`` (same file system, so the final rename is
    atomic), or in the temporary directory when ``out`` is None.
    """

    def __init__(self, out: str | os.PathLike[str] | None) -> None:
        if out is None:
            self.path = Path(tempfile.mkdtemp(prefix="runoff-sweep-", suffix=".part"))
        else:
            target = Path(os.fspath(out).rstrip("/" + os.sep) or ".")
            target.parent.mkdir(parents=True, exist_ok=True)
            name = f".{target.name}.{secrets.token_hex(4)}.part"
            self.path = target.parent / name
            self.path.mkdir()

    def partitions(self) -> list[Path]:
        """The partitions written so far, in name order."""
        return sorted(p for p in self.path.glob("part-*.parquet"))

    def discard(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def _clean(folder: Path) -> None:
    """Remove the spill and temporary files left by interrupted partition writes (a lost
    worker)."""
    shutil.rmtree(folder / SPILL, ignore_errors=True)
    for p in folder.iterdir():
        if p.name.startswith(".") and p.name.endswith(".tmp"):
            p.unlink(missing_ok=True)


def commit_dataset(staging: Staging, out: str | os.PathLike[str], manifest: dict) -> Path:
    """Write the manifest last, then move the staged folder to ``out`` (replacing a previous
    dataset there only now). Returns the dataset's path."""
    target = Path(os.fspath(out).rstrip("/" + os.sep) or ".")
    _clean(staging.path)
    atomic_write(
        staging.path / MANIFEST,
        lambda tmp: tmp.write_text(json.dumps({"format": FORMAT, **manifest}, indent=1)),
    )
    old = None
    if target.exists():
        if target.is_dir() and any(target.iterdir()) and not is_dataset(target):
            raise GridError(
                f"--out {target}: now holds something else; rows left in {staging.path}"
            )
        old = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
        os.replace(target, old)
    try:
        os.replace(staging.path, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def iter_tables(staging: Staging) -> Iterator[Any]:
    """The staged partitions as pyarrow tables, one at a time, in grid order."""
    import pyarrow.parquet as pq

    for p in staging.partitions():
        yield pq.read_table(p)


def commit_file(staging: Staging, out: str | os.PathLike[str]) -> Path:
    """Assemble the staged partitions into one ``.parquet`` (a row group per partition) or
    ``.csv`` file, written to a temporary file renamed to ``out``. Memory: one partition."""
    _clean(staging.path)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()

    def parquet(tmp: Path) -> None:
        import pyarrow.parquet as pq

        writer = None
        try:
            for table in iter_tables(staging):
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    def csv(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            for i, table in enumerate(iter_tables(staging)):
                table.to_pandas().to_csv(fh, header=i == 0, index=False)

    atomic_write(target, parquet if suffix == ".parquet" else csv)
    return target
