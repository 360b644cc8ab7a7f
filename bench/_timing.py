"""Wall-time helpers shared by the benchmarks (plain Python: no Django, no NetBox)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ('median_time', 'timed')


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """The median wall time in seconds of `rounds` calls of `fn`, and what its last call returned."""
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def median_time(fn: Callable[[], Any], rounds: int) -> float:
    """The median wall time in seconds of `rounds` calls of `fn`."""
    return timed(fn, rounds)[0]
