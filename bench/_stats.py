"""Timing helpers shared by the benchmark scripts: median and p95 over repeated runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    name: str
    runs: int
    median_ms: float
    p95_ms: float

    def row(self, target: str = "", baseline: Timing | None = None) -> str:
        ratio = f"{self.median_ms / baseline.median_ms:.2f}x" if baseline else ""
        base = f"{baseline.median_ms:.3f} / {baseline.p95_ms:.3f}" if baseline else ""
        return (
            f"| {self.name} | {self.runs} | {self.median_ms:.3f} | {self.p95_ms:.3f} | "
            f"{base} | {ratio} | {target} |"
        )


HEADER = (
    "| measurement | runs | median ms | p95 ms | baseline median / p95 ms | vs baseline | target |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)


def measure(name: str, fn: Callable[[], object], *, runs: int, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(name, runs, statistics.median(samples), p95)
