"""Where numba keeps the compiled kernels, so that they compile once per installation.

Every kernel is ``njit(cache=True)``. numba writes its cache next to the sources
(``__pycache__``), else under the user cache dir (``~/.cache/numba``), and raises
``RuntimeError: cannot cache function ...: no locator available`` at import when neither is
writable (a package installed read-only for a user without a writable home, e.g. in a
container): every command would fail. :func:`configure` runs once, from ``engine/__init__``,
before any kernel module is imported: when ``NUMBA_CACHE_DIR`` is not set and the package
folder is not writable, it points numba at ``<runoff cache dir>/numba`` (``RUNOFF_CACHE_DIR``
or the user cache dir), else at a folder in the system temp dir. A ``NUMBA_CACHE_DIR`` the
user set is never changed (a toolchain switch, as ``STYLE.md`` allows).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The ``engine`` package folder: numba caches next to its sources when it can."""

SUBDIR = "numba"
"""Folder of numba's cache inside Runoff's cache dir."""


def writable(folder: Path) -> bool:
    """True when files can be created in ``folder`` (created if missing), as numba checks."""
    if folder.is_dir() and os.access(folder, os.W_OK):
        return True  # the usual case, without creating a file
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def fallback_dirs() -> list[Path]:
    """Where the cache goes when the package folder is not writable, in order of preference."""
    import tempfile

    from data.paths import cache_dir

    uid = os.getuid() if hasattr(os, "getuid") else 0
    return [cache_dir() / SUBDIR, Path(tempfile.gettempdir()) / f"runoff-{uid}" / SUBDIR]


def configure() -> str | None:
    """Set ``NUMBA_CACHE_DIR`` when the package folder is not writable (see the module).

    Returns the folder set, or None when nothing was changed.
    """
    if os.environ.get("NUMBA_CACHE_DIR") or writable(PACKAGE_DIR / "__pycache__"):
        return None
    for folder in fallback_dirs():
        if writable(folder):
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            numba = sys.modules.get("numba")
            if numba is not None:  # imported before engine: its config read the old value
                numba.config.CACHE_DIR = str(folder)
            return str(folder)
    return None
