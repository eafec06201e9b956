"""Where data lives: the bundled snapshot, the user's own data dir and the download cache.

Environment variables (paths only, no other settings):

- ``RUNOFF_DATA_DIR``: a folder of the user's own files in the snapshot's formats; a file
  there replaces the bundled or cached file of the same series.
- ``RUNOFF_CACHE_DIR``: where ``runoff data update`` writes downloads (default: the user
  cache dir, e.g. ``~/.cache/runoff``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshot"


def cache_dir() -> Path:
    """The download cache folder (``RUNOFF_CACHE_DIR`` overrides the user cache dir)."""
    env = os.environ.get("RUNOFF_CACHE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("runoff"))


def user_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The user's own data folder: ``explicit`` (``--data-dir``) or ``RUNOFF_DATA_DIR``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get("RUNOFF_DATA_DIR")
    return Path(env).expanduser() if env else None


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same folder, then rename.

    A crash or an exception leaves the previous file as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
