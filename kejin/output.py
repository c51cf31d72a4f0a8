"""Writing result files all-or-nothing: a result appears under its name only when complete.

A large result is written block by block, and kejin does not read it back: after each block the
writer may ``drop_behind`` what it has written, so that the file does not fill the page cache.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


_READ_BACK: weakref.WeakSet[IO[bytes]] = weakref.WeakSet()  # files to be copied to stdout at the end


@contextmanager
def publish(output: Path | None) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``output`` (or is copied to stdout) only if the block succeeds."""
    directory = Path(output).resolve().parent if output else None
    if directory is not None and not directory.is_dir():  # named as the target, not as the temporary file
        raise FileNotFoundError(errno.ENOENT, "the output folder does not exist", str(output))
    fd, tmp = tempfile.mkstemp(prefix=".kejin-", suffix=".part", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # the mode a plainly created file would get, not mkstemp's 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            if not output:
                _READ_BACK.add(handle)  # read back for stdout: ``drop_behind`` leaves its pages
            yield handle
        if output:
            os.replace(tmp, output)
        else:
            with open(tmp, "rb") as src:
                shutil.copyfileobj(src, sys.stdout.buffer)
            sys.stdout.flush()
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def drop_behind(handle: IO[bytes]) -> None:
    """Tell the kernel that the bytes written to ``handle`` so far will not be read again: it
    starts writing them out and drops from the page cache the pages already on disk
    (``POSIX_FADV_DONTNEED``, which never waits for the disk; pages still being written stay and
    go at a later call). A result of hundreds of MB then neither pushes the user's other files out
    of the cache nor needs as much fresh memory: the pages let go are reused for the next blocks,
    and on a virtual machine a fresh page costs the kernel several times a reused one. Nothing
    happens where the system has no ``posix_fadvise``, nor to a ``publish`` file that is copied
    to stdout at the end (it is read back); the bytes of the file are the same."""
    if not hasattr(os, "posix_fadvise") or handle in _READ_BACK:
        return
    handle.flush()
    try:
        os.posix_fadvise(handle.fileno(), 0, handle.tell(), os.POSIX_FADV_DONTNEED)
    except OSError:  # advice only: a file system may not take it
        pass
