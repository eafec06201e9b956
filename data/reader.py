"""The one guarded reader: every data file, cached file and download body goes through here.

Limits (module constants), each with a clear one-line error instead of a traceback:

- :data:`MAX_FILE_BYTES`: the largest data file or download body read (the bundled
  snapshot's largest file is ~0.2 MB; a FRED API download with every ALFRED vintage of a
  daily series stays well under the limit).
- :data:`MAX_LINE_CHARS`: the longest line. A data row is a date and a few numbers
  (under 100 characters); a longer line is not data: a 200 KB field, a 50 MB file
  without a line break, or an HTML page in one line. It also bounds every CSV field
  below the ``csv`` module's own field limit, which would otherwise raise its own error.

Entries: a path is read only when it is a regular file (a symlink to one is fine).
A directory, a named pipe (FIFO), a socket or device, a dangling symlink or a symlink
loop where a data file is expected is an error naming the path, never a silent
fallback to another file. A FIFO is never opened: the kind of an entry is decided with
``stat`` first, and files are opened ``O_NONBLOCK`` and checked again with ``fstat``, so
a FIFO swapped in between cannot block the reader.

Text: UTF-8 (a BOM is dropped), universal newlines (``\\r\\n`` and ``\\r`` end a line, as
``open()`` reads text), no NUL character.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from pathlib import Path

import numpy as np

from data.errors import DataError

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest data file or download body (256 MiB)."""

MAX_LINE_CHARS = 4096
"""Longest line of a data file or CSV download (characters)."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def shown(text: str, limit: int = 60) -> str:
    """``repr(text)`` for messages, cut to ``limit`` characters with the full length noted."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def is_file(path: str | os.PathLike[str]) -> bool:
    """True when a regular file (or a symlink to one) is at ``path``; False when nothing is.

    Raises
    ------
    DataError : something else is there (a directory, a FIFO, a socket or device, a
        dangling symlink, a symlink loop) or it cannot be inspected; the message names
        the path and what it is.
    """
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.lexists(p):
            target = os.readlink(p) if os.path.islink(p) else "?"
            raise DataError(
                f"{p}: dangling symlink (points to {target}, which does not exist); "
                f"fix or remove the link"
            ) from None
        return False
    except NotADirectoryError:
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{p}: symlink loop; fix or remove the link") from None
        raise DataError(f"{p}: cannot be inspected ({exc.strerror or exc})") from None
    if stat.S_ISREG(st.st_mode):
        return True
    raise DataError(f"{p}: {_kind(st.st_mode)} where a data file is expected; remove or replace it")


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The content of the regular file at ``path`` (at most ``limit`` bytes, else an error).

    Raises
    ------
    DataError : not a regular file (see :func:`is_file`; a missing file says "file not
        found"), unreadable, or larger than ``limit``.
    """
    p = os.fspath(path)
    if not is_file(p):
        raise DataError(f"{p}: file not found")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise DataError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):  # swapped since is_file(): never read it
            raise DataError(f"{p}: {_kind(st.st_mode)} where a data file is expected")
        if st.st_size > limit:
            raise DataError(
                f"{p}: {st.st_size:,} bytes, more than the {limit:,} a data file may have"
            )
        try:
            # Read what fstat announced (+1 to see growth), not ``limit`` bytes at once: a
            # read(n) allocates n bytes up front. A file that grew is read on, to the limit.
            parts = [fh.read(min(limit, st.st_size) + 1)]
            total = len(parts[0])
            while total <= limit:
                more = fh.read(min(1 << 20, limit + 1 - total))
                if not more:
                    break
                parts.append(more)
                total += len(more)
            data = b"".join(parts)
        except OSError as exc:
            raise DataError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise DataError(f"{p}: more than the {limit:,} bytes a data file may have")
    return data


def decode(data: bytes, where: str) -> str:
    """UTF-8 text (BOM dropped, universal newlines) checked by :func:`check_text`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{where}: line {line}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    return check_text(text, where)


def check_text(text: str, where: str) -> str:
    """``text`` with universal newlines, after the line-length and NUL checks.

    Raises
    ------
    DataError : a line longer than :data:`MAX_LINE_CHARS` or a NUL character, naming the line.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_LINE_CHARS:
        lengths = np.fromiter(map(len, text.split("\n")), dtype=np.int64)
        long_lines = np.flatnonzero(lengths > MAX_LINE_CHARS)
        if len(long_lines):
            i = int(long_lines[0])
            raise DataError(
                f"{where}: line {i + 1}: {int(lengths[i]):,} characters, more than the "
                f"{MAX_LINE_CHARS:,} a data row may have (not a CSV data file, or a missing "
                f"line break?)"
            )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(f"{where}: line {line}: NUL character (a binary or corrupted file?)")
    return text


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> str:
    """:func:`read_bytes` then :func:`decode`: the checked text of a data file."""
    return decode(read_bytes(path, limit), os.fspath(path))


def csv_rows(text: str, where: str) -> tuple[list[list[str]], np.ndarray]:
    """Parse checked ``text`` (see :func:`check_text`) as CSV.

    Returns
    -------
    rows : every record, blank lines as empty lists.
    lines : int array of the same length, the 1-based line each record starts on (a
        quoted field may span lines).

    Raises
    ------
    DataError : a CSV syntax error or a quoted field longer than :data:`MAX_LINE_CHARS`,
        naming the line.
    """
    if '"' not in text:
        # No quoting: one record per line, no field longer than its line (the fast path).
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:  # pragma: no cover - checked text has nothing csv rejects
            raise DataError(f"{where}: not valid CSV ({exc})") from None
        return rows, np.arange(1, len(rows) + 1, dtype=np.int64)
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    start = 1

    def too_long(line: int) -> DataError:
        return DataError(
            f"{where}: line {line}: a quoted field of more than {MAX_LINE_CHARS:,} characters "
            f"(an unclosed quote?)"
        )

    try:
        for row in reader:
            if any(len(c) > MAX_LINE_CHARS for c in row):
                raise too_long(start)
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own limit
            raise too_long(start) from None
        raise DataError(f"{where}: line {start}: not valid CSV ({exc})") from None
    return rows, np.asarray(lines, dtype=np.int64)


def entry_names(folder: Path) -> list[str]:
    """Names in ``folder`` (sorted; an unreadable folder is an error naming it)."""
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise DataError(f"{folder}: cannot list the folder ({exc.strerror or exc})") from None
