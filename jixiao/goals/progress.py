"""Keeping goal progress up to date: after a change (the goal and the chain above it) and
for everything at once (a background task after imports, or on demand).

Progress is derived data: the key results' values and the alignment tree decide it, so the
last computation wins and no compare-and-set is needed. The arithmetic is in
jixiao.engine.progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
from django.db import connections, transaction
from django.db.models import FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from jixiao.core.bulk import bulk_update_rows
from jixiao.engine import progress as engine
from jixiao.goals.models import Goal, KeyResult, ProgressMode
from jixiao.indicators.models import Direction

MODE_CODES: dict[str, int] = {
    ProgressMode.AUTO: engine.MODE_AUTO,
    ProgressMode.KEY_RESULTS: engine.MODE_KEY_RESULTS,
    ProgressMode.ALIGNED: engine.MODE_ALIGNED,
    ProgressMode.BOTH: engine.MODE_BOTH,
}
TOLERANCE = 1e-9

KrRow = tuple[int, int, object, object, object, str, object]


def _floats(values: Iterable[object]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]


def _kr_progress(rows: list[KrRow]) -> np.ndarray:
    """rows: (id, goal_id, current, baseline, target, direction, weight)."""
    if not rows:
        return np.zeros(0)
    return engine.key_result_progress(
        _floats(r[2] for r in rows),
        _floats(r[3] for r in rows),
        _floats(r[4] for r in rows),
        np.array([r[5] == Direction.LOWER for r in rows], dtype=bool),
    )


def _changed(old: float | None, new: float) -> bool:
    if np.isnan(new):
        return old is not None
    return old is None or abs(old - new) > TOLERANCE


def _none_if_nan(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


# Small enough that PostgreSQL looks the children of a chunk up in the parent index: at
# 5,000 ids it estimated (department goals have thousands of children) a scan of the table.
CHUNK = 1000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def recompute_goals(goal_ids: Iterable[int]) -> None:
    """Recompute these goals' own progress and the progress of every goal above them.

    A handful of queries per level of the tree (and per 5,000 goals), whatever the size of
    the organization.
    """
    ids = sorted({i for i in goal_ids if i is not None})
    if not ids:
        return
    now = timezone.now()
    own_of: dict[int, float] = {}
    for chunk in _chunks(ids):
        own_of.update(_own_progress(chunk))
    # Level by level upwards; a goal that is also an ancestor of another given goal is
    # recomputed again once its aligned goals have their new progress (at most once per
    # level of the tree, which also stops a corrupt cycle).
    level = ids
    first = True
    for _height in range(engine.MAX_TREE_HEIGHT + 1):
        if not level:
            break
        parents: set[int] = set()
        for chunk in _chunks(level):
            parents |= _recompute_level(chunk, own_of if first else None, now)
        level = sorted(parents)
        first = False


def _own_progress(ids: list[int]) -> dict[int, float]:
    """Recompute the key results of these goals (writing their progress); return each goal's
    own progress: its key results' weighted mean, NaN when none is measurable."""
    kr_rows = list(
        KeyResult.objects.filter(goal_id__in=ids)
        .order_by()
        .values_list(
            "id", "goal_id", "current", "baseline", "target", "direction", "weight", "progress"
        )
    )
    krs: list[KrRow] = [r[:7] for r in kr_rows]
    kr_progress = _kr_progress(krs)
    changed = [(r[0], p) for r, p in zip(kr_rows, kr_progress, strict=True) if _changed(r[7], p)]
    write_key_result_progress([c[0] for c in changed], [c[1] for c in changed])
    index = {goal_id: i for i, goal_id in enumerate(ids)}
    own = engine.weighted_group_mean(
        np.array([index[r[1]] for r in krs], dtype=np.int64),
        kr_progress,
        _floats(r[6] for r in krs),
        len(ids),
    )
    return dict(zip(ids, own.tolist(), strict=True))


def _recompute_level(ids: list[int], own_of: dict[int, float] | None, now: datetime) -> set[int]:
    """Recompute these goals from their own progress (new values in `own_of`, else the stored
    ones) and their aligned goals; return their parents."""
    rows = list(
        Goal.objects.filter(pk__in=ids)
        .order_by()
        .values_list(
            "id", "parent_id", "progress_mode", "reported_progress", "own_progress", "progress"
        )
    )
    children = list(
        Goal.objects.filter(parent_id__in=ids)
        .order_by()
        .values_list("parent_id", "progress", "weight")
    )
    at = {r[0]: i for i, r in enumerate(rows)}
    aligned = engine.weighted_group_mean(
        np.array([at[c[0]] for c in children], dtype=np.int64),
        _floats(c[1] for c in children),
        _floats(c[2] for c in children),
        len(rows),
    )
    updates: list[tuple[int, float, float]] = []
    for i, (gid, _parent, mode, reported, stored_own, stored_progress) in enumerate(rows):
        if own_of is not None:
            own_value = own_of.get(gid, np.nan)
            if np.isnan(own_value) and reported is not None:
                own_value = reported
        else:
            own_value = np.nan if stored_own is None else stored_own
        value = _combine(MODE_CODES.get(mode, engine.MODE_AUTO), own_value, aligned[i])
        if _changed(stored_own, own_value) or _changed(stored_progress, value):
            updates.append((gid, own_value, value))
    write_goal_progress(
        [u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates], now
    )
    return {r[1] for r in rows if r[1] is not None}


def _combine(mode: int, own: float, aligned: float) -> float:
    return float(engine.combine_progress(np.array([mode]), np.array([own]), np.array([aligned]))[0])


@dataclass(frozen=True)
class RecomputeSummary:
    goals: int
    key_results: int
    goals_changed: int
    key_results_changed: int
    seconds: float


@dataclass(frozen=True)
class Computed:
    """Progress of every key result and goal given, in the order given."""

    key_results: np.ndarray
    own: np.ndarray
    progress: np.ndarray


def compute_all(
    *,
    goal_ids: np.ndarray,
    parent_ids: np.ndarray,
    weights: np.ndarray,
    modes: np.ndarray,
    reported: np.ndarray,
    kr_goal_ids: np.ndarray,
    kr_current: np.ndarray,
    kr_baseline: np.ndarray,
    kr_target: np.ndarray,
    kr_lower: np.ndarray,
    kr_weights: np.ndarray,
) -> Computed:
    """The arithmetic of recompute_all on arrays (goal ids ascending, parent ids −1 for none,
    NaN for missing numbers), also used by the demo to write goals with their progress."""
    n = len(goal_ids)
    parent = np.searchsorted(goal_ids, parent_ids)
    parent = (
        np.where(
            (parent_ids >= 0)
            & (parent < n)
            & (goal_ids[np.minimum(parent, max(n - 1, 0))] == parent_ids),
            parent,
            -1,
        )
        if n
        else parent_ids
    )
    kr_progress = (
        engine.key_result_progress(kr_current, kr_baseline, kr_target, kr_lower)
        if len(kr_goal_ids)
        else np.zeros(0)
    )
    kr_goal = np.searchsorted(goal_ids, kr_goal_ids)
    own = engine.weighted_group_mean(kr_goal, kr_progress, kr_weights, n)
    own = np.where(np.isfinite(own), own, reported)
    rolled = engine.roll_up(parent, own, weights, modes)
    return Computed(kr_progress, own, rolled.progress)


def _fetch(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query straight from the cursor: the database gives floats
    for the casts, and Django's per-value converters took longer than the query itself."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _column(rows: list[tuple[Any, ...]], i: int) -> np.ndarray:
    """One column of fetched rows as floats, None as NaN (a C loop in numpy)."""
    return np.array([r[i] for r in rows], dtype=np.float64)


class _GoalProgress:
    """What bulk_update_rows reads of a goal (its pk and the written attributes): building
    Goal instances would cost more than the rest of a recompute of 500,000 goals."""

    __slots__ = ("own_progress", "pk", "progress", "progress_at")

    def __init__(
        self, pk: int, own_progress: float | None, progress: float | None, at: datetime
    ) -> None:
        self.pk, self.own_progress, self.progress, self.progress_at = (
            pk,
            own_progress,
            progress,
            at,
        )


class _KeyResultProgress:
    __slots__ = ("pk", "progress")

    def __init__(self, pk: int, progress: float | None) -> None:
        self.pk, self.progress = pk, progress


def write_goal_progress(
    ids: Iterable[int], own: Iterable[float], progress: Iterable[float], at: datetime
) -> int:
    rows = [
        _GoalProgress(int(i), _none_if_nan(o), _none_if_nan(p), at)
        for i, o, p in zip(ids, own, progress, strict=True)
    ]
    return bulk_update_rows(Goal, cast(Any, rows), ["own_progress", "progress", "progress_at"])


def write_key_result_progress(ids: Iterable[int], progress: Iterable[float]) -> int:
    rows = [_KeyResultProgress(int(i), _none_if_nan(p)) for i, p in zip(ids, progress, strict=True)]
    return bulk_update_rows(KeyResult, cast(Any, rows), ["progress"])


def recompute_all(
    *, progress_callback: Callable[[str, float], None] | None = None
) -> RecomputeSummary:
    """Recompute every key result and goal in one pass of arrays, writing only what changed."""
    import time

    started = time.perf_counter()
    report = progress_callback or (lambda _stage, _share: None)
    report("read", 0.0)
    # Decimals read as floats: the arithmetic is in floats anyway, and making 1.5 million
    # Decimal objects was most of the time of reading.
    goal_rows = _fetch(
        Goal.objects.order_by("id").values_list(
            "id",
            "parent_id",
            Cast("weight", FloatField()),
            "progress_mode",
            "reported_progress",
            "own_progress",
            "progress",
        )
    )
    report("read", 0.3)
    kr_rows = _fetch(
        KeyResult.objects.order_by("id").values_list(
            "id",
            "goal_id",
            Cast("current", FloatField()),
            Cast("baseline", FloatField()),
            Cast("target", FloatField()),
            "direction",
            Cast("weight", FloatField()),
            "progress",
        )
    )
    report("compute", 0.5)
    n = len(goal_rows)
    goal_ids = np.array([r[0] for r in goal_rows], dtype=np.int64)
    computed = compute_all(
        goal_ids=goal_ids,
        parent_ids=np.array([-1 if r[1] is None else r[1] for r in goal_rows], dtype=np.int64),
        weights=_column(goal_rows, 2),
        modes=np.array([MODE_CODES.get(r[3], engine.MODE_AUTO) for r in goal_rows], dtype=np.int64),
        reported=_column(goal_rows, 4),
        kr_goal_ids=np.array([r[1] for r in kr_rows], dtype=np.int64),
        kr_current=_column(kr_rows, 2),
        kr_baseline=_column(kr_rows, 3),
        kr_target=_column(kr_rows, 4),
        kr_lower=np.array([r[5] == Direction.LOWER for r in kr_rows], dtype=bool),
        kr_weights=_column(kr_rows, 6),
    )
    report("write", 0.7)
    now = timezone.now()
    goal_changed = np.flatnonzero(
        _differs(_column(goal_rows, 5), computed.own)
        | _differs(_column(goal_rows, 6), computed.progress)
    )
    kr_changed = np.flatnonzero(_differs(_column(kr_rows, 7), computed.key_results))
    kr_ids = np.array([r[0] for r in kr_rows], dtype=np.int64)
    with transaction.atomic():
        write_key_result_progress(kr_ids[kr_changed], computed.key_results[kr_changed])
        write_goal_progress(
            goal_ids[goal_changed], computed.own[goal_changed], computed.progress[goal_changed], now
        )
    report("done", 1.0)
    return RecomputeSummary(
        goals=n,
        key_results=len(kr_rows),
        goals_changed=len(goal_changed),
        key_results_changed=len(kr_changed),
        seconds=time.perf_counter() - started,
    )


def _differs(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    both_nan = np.isnan(old) & np.isnan(new)
    with np.errstate(invalid="ignore"):
        close = np.abs(old - new) <= TOLERANCE
    differs: np.ndarray = ~(both_nan | close)
    return differs
