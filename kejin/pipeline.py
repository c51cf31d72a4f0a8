"""Working one step ahead: while the caller uses one result, a worker thread makes the next.

For batch work in blocks where both sides release the GIL (Polars, NumPy, file writes): reading
and checking the next chunk of a file while the current one is evaluated, finishing the next
block of results while the current one is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def one_ahead(work: Callable[[Item], Result], items: Sequence[Item], name: str) -> Iterator[Result]:
    """``work(item)`` for each item, in order, each made in a worker thread (named ``name``)
    while the caller handles the one before. At most two results exist at a time."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as worker:
        ahead = worker.submit(work, items[0])
        for i in range(len(items)):
            result = ahead.result()
            if i + 1 < len(items):
                ahead = worker.submit(work, items[i + 1])
            yield result
