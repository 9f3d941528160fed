"""Conversation-level sentiment trajectory: is the customer getting happier or angrier?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Trend = Literal["improving", "worsening", "stable", "unknown"]


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Summary of per-message sentiment scores (each in [-1, 1]) in conversation order.

    ``start``/``end`` are smoothed (exponentially weighted) levels at the first and last
    message, so one stray message does not flip the trend; ``change`` = ``end - start``;
    ``slope`` is the least-squares slope per message; ``lowest`` is the worst raw score.
    """

    trend: Trend
    start: float
    end: float
    change: float
    slope: float
    lowest: float
    n_messages: int


def _smooth(values: Sequence[float], alpha: float) -> list[float]:
    level = values[0]
    out = [level]
    for value in values[1:]:
        level = alpha * value + (1 - alpha) * level
        out.append(level)
    return out


def sentiment_trajectory(
    scores: Sequence[float], *, threshold: float = 0.2, alpha: float = 0.5
) -> Trajectory:
    """The trend of a conversation's per-message sentiment scores.

    ``improving`` / ``worsening`` when the smoothed level moved by at least ``threshold``,
    ``stable`` otherwise, ``unknown`` with fewer than two messages. ``start`` is smoothed
    backwards (from the first messages), ``end`` forwards (from the last ones).
    """
    values = [min(max(float(s), -1.0), 1.0) for s in scores if s == s]  # drops NaN
    if not values:
        return Trajectory("unknown", 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    if len(values) == 1:
        v = round(values[0], 4)
        return Trajectory("unknown", v, v, 0.0, 0.0, v, 1)
    # Short conversations smooth less, or two messages could never show a trend.
    alpha = max(alpha, 2.0 / (len(values) + 1))
    end = _smooth(values, alpha)[-1]
    start = _smooth(values[::-1], alpha)[-1]
    change = end - start
    x = np.arange(len(values), dtype=np.float64)
    slope = float(np.polyfit(x, np.asarray(values), 1)[0])
    trend: Trend
    if change >= threshold:
        trend = "improving"
    elif change <= -threshold:
        trend = "worsening"
    else:
        trend = "stable"
    return Trajectory(
        trend,
        round(start, 4),
        round(end, 4),
        round(change, 4),
        round(slope, 4),
        round(min(values), 4),
        len(values),
    )
