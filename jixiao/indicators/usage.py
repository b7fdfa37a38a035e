"""Whether an indicator version is in use, and so must not change in place.

A version is in use when something that scores with it refers to it: a goal, an appraisal
scheme, a cycle, a saved weight set, or a lock set by hand (定版). Two ways to plug in:

- record the reference as an `IndicatorUse` row (services `indicator_use_add` and
  `indicator_use_remove`), which this module already counts; or
- register a check that answers, for a list of indicator ids, the ones the app uses:
  `register_usage_check("goals", goals_using_indicators)` from the app's `AppConfig.ready()`.

Editing a version in use creates a new version; users of the old one keep it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jixiao.indicators.models import Indicator, IndicatorUse

UsageCheck = Callable[[list[int]], set[int]]
"""Given indicator ids, return the subset in use. One query per call, never per id."""

_CHECKS: dict[str, UsageCheck] = {}

LOCK_USED_BY = "indicators.lock"
WEIGHT_SET_USED_BY = "indicators.weight_set"
"""A saved weight set keeps the versions it weighs; `object_id` is the set's id."""


def register_usage_check(name: str, check: UsageCheck) -> None:
    """Add (or replace) a named check; idempotent, so `ready()` may run twice."""
    _CHECKS[name] = check


def unregister_usage_check(name: str) -> None:
    _CHECKS.pop(name, None)


def _recorded_uses(ids: list[int]) -> set[int]:
    return set(
        IndicatorUse.objects.filter(indicator_id__in=ids)
        .values_list("indicator_id", flat=True)
        .distinct()
    )


def indicator_ids_in_use(ids: Iterable[int]) -> set[int]:
    """The ids among `ids` that something uses: one query per registered check."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    found = _recorded_uses(wanted)
    for check in list(_CHECKS.values()):
        remaining = [i for i in wanted if i not in found]
        if not remaining:
            break
        found |= set(check(remaining)) & set(remaining)
    return found


def indicator_in_use(indicator: Indicator) -> bool:
    """Whether this version is referenced by anything that scores with it."""
    return bool(indicator_ids_in_use([indicator.pk]))
