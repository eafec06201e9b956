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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from data.errors import FetchError, ParameterError

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshot"


def cache_dir() -> Path:
    """The download cache folder (``RUNOFF_CACHE_DIR`` overrides the user cache dir)."""
    env = os.environ.get("RUNOFF_CACHE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("runoff"))


def user_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The user's own data folder: ``explicit`` (``--data-dir``) or ``RUNOFF_DATA_DIR``.

    An empty ``explicit`` value is an error (``Path("")`` would silently be the current
    folder); an empty ``RUNOFF_DATA_DIR`` counts as unset, as usual for variables.
    """
    if explicit is not None:
        if not os.fspath(explicit).strip():
            raise ParameterError(
                "--data-dir: empty folder name; give the folder of your CSV files, or leave "
                "the option out to use the cache and the bundled snapshot"
            )
        return Path(explicit).expanduser()
    env = os.environ.get("RUNOFF_DATA_DIR")
    return Path(env).expanduser() if env else None


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path`` (``.<name>.<random>.tmp``),
    then rename it to ``path``; returns ``path``.

    On any exception or interruption (KeyboardInterrupt included) the temporary file is
    removed and ``path`` is left as it was (absent, or the previous file). The file gets the
    permissions a plain ``open()`` would give it (``mkstemp`` creates 0600).
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    tmp = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        os.close(fd)
        write(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`atomic_write`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and synced to disk (:func:`atomic_write`)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    atomic_write(path, write)


LOCK_TIMEOUT = 600.0
"""Seconds :func:`folder_lock` waits for another process before giving up."""


@contextmanager
def folder_lock(
    folder: Path, *, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if needed) while the block runs.

    The lock is ``fcntl.flock`` on the folder itself, so no lock file is left behind; it
    is released when the block ends or the process dies. ``runoff data update`` holds it
    on the cache while it compares, validates and replaces one series, so two updates at
    once take turns instead of one overwriting the other's newer file.

    Parameters
    ----------
    folder : the folder to lock.
    timeout : seconds to wait for another holder before raising :class:`FetchError`.
    on_wait : called once if the lock is busy (e.g. to print that we wait).
    """
    import fcntl  # POSIX only; imported here so that the package imports everywhere

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise FetchError(
            f"{folder}: cannot use the folder ({exc.strerror or exc}); check its permissions "
            f"or set RUNOFF_CACHE_DIR"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FetchError(
                        f"{folder}: another 'runoff data update' has held the cache for "
                        f"{timeout:g} s; retry when it has finished"
                    ) from None
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
