"""Reads of the indicator library and of weight sets. Each owns its joins.

Everyone signed in reads the library (see permissions.py), so the library is not scoped by
department; anonymous callers see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from jixiao.core.errors import forbidden
from jixiao.core.models import AuditRecord
from jixiao.indicators.models import BarsLevel, Indicator, WeightSet, WeightSetItem
from jixiao.indicators.permissions import can_manage_library, can_read_library


def indicators_visible_to(user: Any, *, all_versions: bool = False) -> QuerySet[Indicator]:
    """The latest version of every indicator (all versions with `all_versions`)."""
    if not can_read_library(user):
        return Indicator.objects.none()
    qs = Indicator.objects.all()
    return qs if all_versions else qs.filter(is_latest=True)


@dataclass(frozen=True)
class IndicatorFilter:
    q: str = ""
    category: str = ""
    source_kind: str = ""
    direction: str = ""
    rule_kind: str = ""
    active: str = "1"  # "1" active only, "0" inactive only, "" all


def indicators_filtered(user: Any, f: IndicatorFilter) -> QuerySet[Indicator]:
    """Latest versions matching the filter, each with `level_count` (its BARS levels)."""
    qs = indicators_visible_to(user)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term))
    if f.category:
        qs = qs.filter(category=f.category)
    if f.source_kind:
        qs = qs.filter(source_kind=f.source_kind)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.rule_kind:
        qs = qs.filter(rule__kind=f.rule_kind)
    if f.active == "1":
        qs = qs.filter(is_active=True)
    elif f.active == "0":
        qs = qs.filter(is_active=False)
    return qs.annotate(level_count=Count("bars_levels")).order_by("category", "code")


def get_indicator_for_user(user: Any, pk: int, *, write: bool = False) -> Indicator:
    """Any version by id (404 when absent); with write, 403 unless the user maintains the
    library. Its BARS levels come prefetched."""
    indicator = (
        indicators_visible_to(user, all_versions=True)
        .select_related("created_by")
        .prefetch_related(Prefetch("bars_levels", queryset=BarsLevel.objects.order_by("-level")))
        .filter(pk=pk)
        .first()
    )
    if indicator is None:
        raise Http404
    if write and not can_manage_library(user):
        raise forbidden()
    return indicator


def indicator_versions(indicator: Indicator) -> QuerySet[Indicator]:
    """Every version of the indicator's family, newest first, with who created each."""
    return (
        Indicator.objects.filter(code=indicator.code)
        .select_related("created_by")
        .order_by("-revision")
    )


def latest_version_of(indicator: Indicator) -> Indicator:
    if indicator.is_latest:
        return indicator
    latest = Indicator.objects.filter(code=indicator.code, is_latest=True).first()
    return latest or indicator


def indicator_history(indicator: Indicator, limit: int = 100) -> QuerySet[AuditRecord]:
    """The audit records of every version of the family, newest first (two queries)."""
    ids = [
        str(pk) for pk in Indicator.objects.filter(code=indicator.code).values_list("pk", flat=True)
    ]
    return AuditRecord.objects.filter(
        object_type=Indicator._meta.label_lower, object_id__in=ids
    ).order_by("-at", "-id")[:limit]


def indicators_for_choice(user: Any) -> QuerySet[Indicator]:
    """Active latest versions, for pickers (weighting page)."""
    return indicators_visible_to(user).filter(is_active=True).order_by("category", "code")


def weight_sets_visible_to(user: Any) -> QuerySet[WeightSet]:
    if not can_read_library(user):
        return WeightSet.objects.none()
    return (
        WeightSet.objects.select_related("created_by")
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-id")
    )


def get_weight_set_for_user(user: Any, pk: int) -> WeightSet:
    """A weight set with its items (and their indicator versions) prefetched."""
    ws = (
        weight_sets_visible_to(user)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=WeightSetItem.objects.select_related("indicator").order_by("position"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if ws is None:
        raise Http404
    return ws
