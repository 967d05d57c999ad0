"""Periodic units (Sturm, part 6): which units of the last layer beat in time with the bars.

A tune's bar period is the median number of steps between its bar lines; a unit's power at that
period is |sum_t (h_t - mean) exp(-2 pi i t / period)|^2 / steps, its periodogram's value there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..vocab import token_category


def bar_period(tokens: Sequence[str]) -> float:
    """The median distance, in tokens, between consecutive bar-line tokens of a tune."""
    bars = [t for t, token in enumerate(tokens) if token_category(token) == "measure"]
    if len(bars) < 2:
        raise ValueError("the tune needs at least two bar lines to have a bar period")
    return float(np.median(np.diff(bars)))


def periodogram(signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in cycles per step, power (frequencies, units)) of each column of ``signal``."""
    x = np.asarray(signal, dtype=np.float64)
    x = x - x.mean(axis=0)
    return np.fft.rfftfreq(len(x)), np.abs(np.fft.rfft(x, axis=0)) ** 2 / len(x)


def power_at_period(signal: np.ndarray, period: float) -> np.ndarray:
    """Each unit's power at exactly ``period`` steps (not only at the periodogram's bins): (units,)."""
    x = np.asarray(signal, dtype=np.float64)
    x = x - x.mean(axis=0)
    phase = np.exp(-2j * np.pi * np.arange(len(x)) / period)
    return np.abs(phase @ x) ** 2 / len(x)


def periodic_units(signal: np.ndarray, period: float, k: int) -> np.ndarray:
    """The ``k`` units with the most power at ``period``, strongest first."""
    return np.argsort(-power_at_period(signal, period), kind="stable")[:k]
