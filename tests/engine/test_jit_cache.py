"""The kernels compile once per installation: numba's cache has a writable home even when the
package folder is read-only (:mod:`engine.jit_cache`), and the sweep kernel gets the same
argument types from every grid (one compiled specialisation, :func:`kernel_args`)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest

from engine import jit_cache
from engine.sweep.prepare import chunk_arrays, kernel_args
from engine.sweep.run import make_grid, plan_sweep
from strategies import Overlay, expand_grid, load_strategy

REPO = Path(__file__).resolve().parents[2]


def _block(folder: Path) -> Path:
    """A path under a regular file: nothing can be created there (even by root)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "file").write_text("")
    return folder / "file" / "below"


def test_a_read_only_package_caches_in_the_runoff_cache_dir(tmp_path: Path) -> None:
    """Copy of the package whose ``__pycache__`` folders cannot be created, a home without a
    writable cache: numba alone raises 'no locator available' at import; with the fallback
    the kernel compiles and its cache index lands in ``RUNOFF_CACHE_DIR/numba``."""
    pkg = tmp_path / "pkg"
    for name in ("engine", "data", "strategies"):
        shutil.copytree(
            REPO / name,
            pkg / name,
            ignore=shutil.ignore_patterns("__pycache__", "snapshot", "builtin"),
        )
    for d in [p for p in pkg.rglob("*") if p.is_dir()]:
        (d / "__pycache__").write_text("")  # a file where numba wants its folder
    cache = tmp_path / "runoff-cache"
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(
        HOME=str(_block(tmp_path / "home")), RUNOFF_CACHE_DIR=str(cache), PYTHONPATH=str(pkg)
    )
    code = (
        "import os, numpy as np\n"
        "from engine.allocation_nb import cell_codes_nb\n"
        "out = cell_codes_nb(np.ones((5, 2), np.int8, order='F'), np.array([[0, 1]]), "
        "np.array([3, 3]))\n"
        "print(os.environ['NUMBA_CACHE_DIR'], int(out[0, 0]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(cache / "numba"), "4"]
    assert list((cache / "numba").rglob("*.nbi")), "no cache index written"


def test_configure_leaves_a_user_choice_and_a_writable_package_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert jit_cache.configure() is None and os.environ["NUMBA_CACHE_DIR"] == str(tmp_path)
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(jit_cache, "PACKAGE_DIR", tmp_path / "engine")
    assert jit_cache.configure() is None and "NUMBA_CACHE_DIR" not in os.environ


def test_configure_falls_back_to_the_temp_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    monkeypatch.setattr(jit_cache, "PACKAGE_DIR", _block(tmp_path / "pkg"))
    monkeypatch.setenv("RUNOFF_CACHE_DIR", str(_block(tmp_path / "cache")))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    got = jit_cache.configure()
    assert got == str(tmp_path / "tmp" / f"runoff-{os.getuid()}" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == got == numba.config.CACHE_DIR


def _types(strategy, grid: dict) -> tuple[str, ...]:
    s, g = make_grid(strategy, expand_grid(strategy, grid, include_sweep=False))
    plan = plan_sweep(s, g, start="2015-01-01", end="2016-12-31")
    chunk = chunk_arrays(plan.inputs, plan.strategy, plan.grid, 0, plan.grid.size)
    return tuple(
        str(numba.typeof(a)) for a in kernel_args(plan.inputs, chunk, 0, plan.inputs.n_days - 1)
    )


def test_every_grid_gives_the_sweep_kernel_the_same_argument_types() -> None:
    """One regime parameter set or several, no overlay, one or two: numba would type a
    one-column array as C and a wider Fortran one as F, and the pandas views as read-only:
    each a separate compilation of the sweep kernel (about 20 s cold)."""
    q = load_strategy("qt_aware")
    one_set = _types(q, {"weights.contraction": [0.0, 0.5]})
    assert _types(q, {"balance_sheet.window_weeks": [8, 13]}) == one_set
    for overlays in [(Overlay("y10_minus_y2", 0.1),), (Overlay("y10", 0.1), Overlay("vix", -0.01))]:
        with_ov = dataclasses.replace(q, overlays=overlays)
        assert _types(with_ov, {"weights.contraction": [0.0, 0.5]}) == one_set
    assert "readonly" not in " ".join(one_set)
