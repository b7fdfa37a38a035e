"""Reads behind the office's rater statistics (page and API): the rows the full recompute
stored in RaterStat, filtered by group and by flag, and the counts per group.

Anonymity: a row of an anonymous group (or of one-time codes) has no rater, only an alias
that nothing links to a person. Its counts of ratings and ratees are withheld too
(`counts_shown`): matched with the workload page, which counts each named rater's
submissions per group, they would tell whom an alias stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from jixiao.appraisals.models import Cycle, RaterGroup, RaterStat

FLAGS: tuple[str, ...] = ("lenient", "severe", "central", "halo", "top_heavy")


@dataclass(frozen=True)
class RaterStatFilter:
    group: str = ""
    flag: str = ""


@dataclass
class GroupSummary:
    group: str
    label: str
    raters: int = 0
    flagged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))


def _has_flag(flag: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(flags__contains=[flag])
    # SQLite: the stored list is JSON text; the quoted name matches one whole flag.
    return Q(flags__icontains=f'"{flag}"')


def _group_order(cycle: Cycle) -> Case:
    codes = list(cycle.scheme.groups.order_by("id").values_list("group", flat=True))
    return Case(
        *[When(group=code, then=Value(k)) for k, code in enumerate(codes)],
        default=Value(len(codes)),
        output_field=IntegerField(),
    )


def rater_stats_filtered(cycle: Cycle, f: RaterStatFilter) -> QuerySet[RaterStat]:
    """The cycle's rater statistics, by group (in the scheme's order) then mean descending."""
    qs = RaterStat.objects.filter(cycle=cycle).select_related("rater")
    if f.group:
        qs = qs.filter(group=f.group)
    if f.flag in FLAGS:
        qs = qs.filter(_has_flag(f.flag))
    elif f.flag:
        qs = qs.none()
    return qs.annotate(group_order=_group_order(cycle)).order_by("group_order", "-mean", "id")


def rater_stat_summary(cycle: Cycle) -> list[GroupSummary]:
    """Per group of the cycle's statistics: raters and how many carry each flag (one query)."""
    labels = dict(RaterGroup.choices)
    rows = (
        RaterStat.objects.filter(cycle=cycle)
        .values("group")
        .annotate(
            group_order=_group_order(cycle),
            raters=Count("id"),
            **{f"n_{flag}": Count("id", filter=_has_flag(flag)) for flag in FLAGS},
        )
        .order_by("group_order")
        .values_list("group", "raters", *[f"n_{flag}" for flag in FLAGS])
    )
    return [
        GroupSummary(
            group=group,
            label=str(labels.get(group, group)),
            raters=raters,
            flagged=dict(zip(FLAGS, counts, strict=True)),
        )
        for group, raters, *counts in rows
    ]


def counts_shown(stat: RaterStat) -> bool:
    """Ratings and ratees are shown for named raters only (see the module's docstring)."""
    return stat.rater_id is not None
