"""Wall-time helpers shared by the benchmarks (plain Python: no Django, no NetBox)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ('interleaved_medians', 'median_time', 'timed')


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


def interleaved_medians(calls: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """The median wall time in seconds of each of `calls`, measured in `rounds` rounds that each call every one once,
    in turn: a slower or faster spell of the shared cores (another process, a Kea lease file cleanup) then falls on
    every figure alike instead of on whichever was measured during it, and the ratios between them stay fair."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}
