"""Tell the indicator library which indicator versions goals use, so editing one of them
creates a new version instead of changing the targets people planned against."""

from __future__ import annotations

from jixiao.indicators.usage import register_usage_check


def goals_using_indicators(ids: list[int]) -> set[int]:
    from jixiao.goals.models import KeyResult, TemplateKeyResult

    used = set(
        KeyResult.objects.filter(indicator_id__in=ids)
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    rest = [i for i in ids if i not in used]
    if rest:
        used |= set(
            TemplateKeyResult.objects.filter(indicator_id__in=rest)
            .values_list("indicator_id", flat=True)
            .distinct()
        )
    return {i for i in used if i is not None}


def register() -> None:
    register_usage_check("goals", goals_using_indicators)
