"""The result type that every benchmark module returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str  # what was measured
    value: float  # the measured figure, usually a ratio
    unit: str  # "x baseline", "s", …
    target: str  # the target as text, e.g. "< 1.0"
    passed: bool | None  # None: a figure without a target, such as a floor that explains another
    detail: str = ""  # the raw timings behind the figure
