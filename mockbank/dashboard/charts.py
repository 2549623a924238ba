"""The balance chart of the Accounts page: an inline SVG drawn on the server (no script, no library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT = 720, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 10, 12, 28


@dataclass(frozen=True)
class Chart:
    """What the template draws: the polyline, the axis labels and one dot per day with its title."""

    width: int
    height: int
    line: str
    dots: list[tuple[float, float, str]]
    y_labels: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    zero: float | None


def balance_chart(points: list[tuple[date, Decimal]]) -> Chart | None:
    """A line of (day, balance) points, oldest first; None without points."""
    if not points:
        return None
    low = min(amount for _, amount in points)
    high = max(amount for _, amount in points)
    if low == high:
        low, high = low - 1, high + 1
    first, last = points[0][0], points[-1][0]
    days = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(_LEFT + (WIDTH - _LEFT - _RIGHT) * (day - first).days / days, 1)

    def y(amount: Decimal) -> float:
        return round(_TOP + (HEIGHT - _TOP - _BOTTOM) * float((high - amount) / (high - low)), 1)

    dots = [(x(day), y(amount), f"{day.isoformat()}: {amount:,.2f}") for day, amount in points]
    line = " ".join(f"{px},{py}" for px, py, _ in dots)
    y_labels = [(y(value), f"{value:,.2f}") for value in (high, (high + low) / 2, low)]
    x_labels = [(x(day), day.isoformat()) for day in (first, points[len(points) // 2][0], last)]
    zero = y(Decimal(0)) if low < 0 < high else None
    return Chart(WIDTH, HEIGHT, line, dots, y_labels, x_labels, zero)
