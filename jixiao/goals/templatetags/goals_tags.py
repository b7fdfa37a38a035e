"""Small template helpers of the goal pages: percentages and progress colours."""

from __future__ import annotations

from django import template

from jixiao.goals.overview import AT_RISK_MARGIN, ON_TRACK_MARGIN

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.734 → "73%"; None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.0f}%"


@register.filter
def bar_width(value: float | None) -> str:
    """The width of a progress bar whose full length is 120%."""
    if value is None:
        return "0"
    return f"{max(0.0, min(value, 1.2)) / 1.2 * 100:.1f}"


@register.simple_tag
def bar_colour(progress: float | None, expected: float) -> str:
    """Tabler colour of a progress bar: on track, at risk or behind the elapsed period."""
    if progress is None:
        return "bg-secondary"
    if progress >= expected - ON_TRACK_MARGIN:
        return "bg-green"
    if progress >= expected - AT_RISK_MARGIN:
        return "bg-yellow"
    return "bg-red"
