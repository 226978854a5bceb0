"""Metrics of a run: Jain's fairness index, backlog growth (the stability test), summaries."""

from __future__ import annotations

from collections.abc import Sequence


def jain(xs: Sequence[float]) -> float:
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one takes all."""
    xs = [float(x) for x in xs]
    sq = sum(x * x for x in xs)
    if not xs or sq == 0:
        return 1.0
    return sum(xs) ** 2 / (len(xs) * sq)


def slope(ys: Sequence[float], dt: float) -> float:
    """Least-squares slope of ys sampled every dt."""
    n = len(ys)
    if n < 2:
        return 0.0
    mx = (n - 1) / 2.0
    my = sum(ys) / n
    num = sum((i - mx) * (y - my) for i, y in enumerate(ys))
    den = sum((i - mx) ** 2 for i in range(n))
    return num / den / dt


def growth(total_backlog: Sequence[float], dt: float, arrival_rate: float) -> float:
    """Rate stability, measured: the backlog at the end of the run (mean over its last tenth) divided by
    what arrived over the whole run, i.e. B(T) / (lambda T). A stable system's backlog stays bounded, so
    this tends to 0 as T grows (it is the stationary backlog over lambda T); an unstable one's grows
    linearly, and this tends to 1 - capacity / load. Less noisy than a slope fitted on part of the run."""
    n = len(total_backlog)
    if arrival_rate <= 0 or n == 0:
        return 0.0
    tail = total_backlog[n - max(1, n // 10):]
    return (sum(tail) / len(tail)) / (arrival_rate * n * dt)


def growth_slope(total_backlog: Sequence[float], dt: float, arrival_rate: float) -> float:
    """Least-squares slope of the backlog over the second half of the run, per unit of arrival rate."""
    half = total_backlog[len(total_backlog) // 2:]
    if arrival_rate <= 0:
        return 0.0
    return slope(half, dt) / arrival_rate


def mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0
