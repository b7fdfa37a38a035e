"""Tell the indicator library which versions appraisal schemes use (they must not change)."""

from __future__ import annotations

from jixiao.indicators.usage import register_usage_check


def schemes_using_indicators(ids: list[int]) -> set[int]:
    from jixiao.appraisals.models import SchemeItem

    return {
        i
        for i in SchemeItem.objects.filter(indicator_id__in=ids)
        .values_list("indicator_id", flat=True)
        .distinct()
        if i is not None
    }


def register() -> None:
    register_usage_check("appraisals", schemes_using_indicators)
