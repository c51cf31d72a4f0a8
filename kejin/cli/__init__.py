"""The `kejin` command: a thin Typer shell over the domain packages.

Each domain has its own module here that builds a Typer sub-app; this file only mounts them.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from kejin.cli._common import run_app

app = typer.Typer(
    name="kejin",
    help="kejin 科金 — 科技金融平台 / tech-finance platform",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _group() -> None:
    """kejin 科金 — 科技金融平台 / tech-finance platform"""  # keeps `kejin CMD` a group with one command mounted


# Each CLI module and the top-level commands it adds. A command line that names one of them
# imports only that module: a bank's scorecard libraries need not load for `kejin standards
# eval`, nor the standards CLI for `kejin points score`.
DOMAINS: dict[str, tuple[str, ...]] = {
    "facts": ("validate", "template", "synth"),
    "standards": ("standards",),
    "demo": ("demo",),
    "funds": ("funds",),
    "credit": ("credit",),
    "points": ("points", "record", "recommend"),
    "serve": ("serve", "audit"),
}
_mounted: set[str] = set()


def _mount(command: str | None = None) -> None:
    """Register the CLI modules (only the one ``command`` needs, if given; all for help)."""
    wanted = [m for m, commands in DOMAINS.items() if command is None or command in commands]
    for name in wanted:
        if name in _mounted:
            continue
        try:
            module = __import__(f"kejin.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:  # a domain not installed in this build
            if exc.name != f"kejin.cli.{name}":
                raise
            continue
        module.register(app)
        _mounted.add(name)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def _glibc_mallopt() -> Callable[[int, int], int] | None:
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").mallopt  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


def _keep_freed_memory() -> None:
    """For a batch command (a process that ends when its one job is done), let glibc's malloc
    keep the memory NumPy frees for the next arrays instead of handing it back to the kernel at
    once: every page handed back costs a page fault, and clearing the page, when it is taken
    again (about 4 µs per 4 KiB page on a virtual machine; about 30,000 fewer per million rows
    scored). One arena for all threads, so a worker thread reuses what another freed. Nothing
    happens where the C library is not glibc."""
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return
    mallopt(_M_ARENA_MAX, 1)
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest dynamic threshold, fixed from the start
    mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)


def main() -> None:
    import gc
    import os
    import sys

    # NumPy's OpenBLAS starts a worker thread per core that busy-waits about 0.1 s after import
    # in case linear algebra follows; on 2 cores that takes a core from the Parquet reader. Idle
    # workers should sleep at once (set before NumPy loads; a user's own setting wins).
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    # Importing Polars, NumPy and Pydantic makes ~10^5 objects; with the default threshold (700
    # new objects) the cyclic collector runs ~150 times while they load (~35 ms), at 10,000 ~10.
    gc.set_threshold(10_000, 10, 10)

    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    command = args[0] if args else None
    if command != "serve":  # the server lives on: it should give memory back between requests
        _keep_freed_memory()
    _mount(command if any(command in c for c in DOMAINS.values()) else None)
    try:
        run_app(app)
    finally:
        # The process ends here: the interpreter's last garbage collections need not walk every
        # object Polars, NumPy and Pydantic made at import (about 50 ms on 2 cores). Reference
        # counting still closes what is closed by it; files are already written and closed.
        gc.freeze()
