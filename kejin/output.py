"""Writing result files all-or-nothing: a result appears under its name only when complete."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def publish(output: Path | None) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``output`` (or is copied to stdout) only if the block succeeds."""
    directory = Path(output).resolve().parent if output else None
    fd, tmp = tempfile.mkstemp(prefix=".kejin-", suffix=".part", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # the mode a plainly created file would get, not mkstemp's 0600
    try:
        with os.fdopen(fd, "wb") as handle:
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
