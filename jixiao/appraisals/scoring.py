"""Scoring a cycle: KPI scores from goals and indicator actuals, then every appraisal's section
scores, total, ranks and suggested grade, with the explanation kept on the appraisal.

The whole cycle is read into arrays once, computed in jixiao.engine.appraisal and written back
in bulk (`recompute_cycle`). After a single submission only the ratee is rescored
(`recompute_appraisal`), with the raters' current statistics; ranks and grades follow at the
next full recompute (the office page says when they are older than the scores).

Anonymity: the explanation holds groups, never raters; ratings given through codes or by
anonymous groups are counted, not attributed.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import ExpressionWrapper, F, FloatField, Q, Sum
from django.utils import timezone

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CycleKind,
    CyclePhase,
    Eligibility,
    KpiScore,
    KpiSource,
    RaterGroup,
    RaterStat,
    Rating,
    Scheme,
    SchemeItem,
    SectionKind,
)
from jixiao.core.bulk import bulk_update_rows, insert_rows, update_rows
from jixiao.core.prepared import hot_cursor
from jixiao.engine import appraisal as engine
from jixiao.engine.appraisal.aggregate import aggregate_scores_many
from jixiao.engine.appraisal.grades import NO_GRADE
from jixiao.engine.appraisal.keys import group_keys

GRADED_KINDS = (Eligibility.GRADED, Eligibility.REFUSED)


# ---------------------------------------------------------------- the scheme as arrays


@dataclass(frozen=True)
class SchemeArrays:
    section_codes: list[str]
    section_names: list[str]
    section_kinds: list[str]
    section_weights: np.ndarray
    item_ids: np.ndarray
    item_codes: list[str]
    item_names: list[str]
    item_section: np.ndarray
    item_weight: np.ndarray
    item_max: np.ndarray
    item_source: list[str]
    item_indicator: list[int | None]
    group_codes: list[str]
    groups: list[engine.GroupSpec]
    group_standardize: np.ndarray
    group_anonymous: list[bool]
    grades: list[dict[str, Any]]
    quota_rules: list[dict[str, Any]]
    shrinkage: float

    def item_index(self) -> dict[int, int]:
        return {int(pk): i for i, pk in enumerate(self.item_ids)}

    def group_index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.group_codes)}


# A scheme version that a cycle uses never changes (editing it makes a new version), and an
# edit in place bumps `version`: what is derived from a scheme's rows is kept per process,
# keyed by its id, version and creation time (ids are reused after a rolled-back test).
_SCHEME_CACHE: dict[tuple[Any, ...], Any] = {}
SCHEME_CACHE_SIZE = 128


def scheme_cached(scheme: Scheme, what: str, build: Callable[[], Any]) -> Any:
    """`build()` once per scheme version and `what`, then from memory."""
    key = (what, scheme.pk, scheme.version, scheme.created_at)
    found = _SCHEME_CACHE.get(key)
    if found is None:
        found = build()
        if len(_SCHEME_CACHE) >= SCHEME_CACHE_SIZE:
            _SCHEME_CACHE.pop(next(iter(_SCHEME_CACHE)), None)
        _SCHEME_CACHE[key] = found
    return found


def scheme_arrays(cycle: Cycle) -> SchemeArrays:
    scheme = cycle.scheme
    built: SchemeArrays = scheme_cached(scheme, "arrays", lambda: _scheme_arrays(scheme))
    return built


def _scheme_arrays(scheme: Scheme) -> SchemeArrays:
    sections = list(scheme.sections.order_by("position", "id"))
    section_pos = {s.pk: i for i, s in enumerate(sections)}
    items = list(
        SchemeItem.objects.filter(section__scheme=scheme).order_by(
            "section__position", "position", "id"
        )
    )
    groups = list(scheme.groups.order_by("id"))
    # A section fed by the regular cycles is scored through one virtual item of its own
    # (negative id: no row has it), whose score is the mean of the person's regular results.
    feed_items = [
        (-s.pk, FEED_ITEM_CODE, s.name, section_pos[s.pk])
        for s in sections
        if s.kind == SectionKind.FEED
    ]
    return SchemeArrays(
        section_codes=[s.code for s in sections],
        section_names=[s.name for s in sections],
        section_kinds=[s.kind for s in sections],
        section_weights=np.array([float(s.weight) for s in sections]),
        item_ids=np.array([i.pk for i in items] + [f[0] for f in feed_items], dtype=np.int64),
        item_codes=[i.code for i in items] + [f[1] for f in feed_items],
        item_names=[i.name for i in items] + [f[2] for f in feed_items],
        item_section=np.array(
            [section_pos[i.section_id] for i in items] + [f[3] for f in feed_items],
            dtype=np.int64,
        ),
        item_weight=np.array([float(i.weight) for i in items] + [100.0] * len(feed_items)),
        item_max=np.array([float(i.max_score) for i in items] + [100.0] * len(feed_items)),
        item_source=[i.kpi_source for i in items] + [""] * len(feed_items),
        item_indicator=[i.indicator_id for i in items] + [None] * len(feed_items),
        group_codes=[g.group for g in groups],
        groups=[engine.GroupSpec(float(g.weight), int(g.min_responses)) for g in groups],
        group_standardize=np.array([bool(g.standardize) for g in groups]),
        group_anonymous=[bool(g.anonymous) for g in groups],
        grades=list(scheme.grades),
        quota_rules=list(scheme.quota_rules),
        shrinkage=float(scheme.shrinkage),
    )


FEED_ITEM_CODE = "regular-mean"
"""The code of a fed section's virtual item in breakdowns."""
REGULAR_KINDS = (CycleKind.MONTHLY, CycleKind.QUARTERLY, CycleKind.HALF_YEAR)
FINAL_PHASES = (CyclePhase.RESULTS, CyclePhase.CLOSED)


def feed_score_arrays(
    cycle: Cycle, arrays: SchemeArrays, appraisal_ids: list[int] | None = None
) -> Direct:
    """(appraisal, virtual item, score) for every section fed by the regular cycles: the mean
    total of the person's appraisals in the unit's monthly, quarterly and half-yearly cycles
    that lie within this cycle's period and show their results. A person without any has no
    score there, and the section's weight goes to the others."""
    virtual = [
        int(pk)
        for pk, code in zip(arrays.item_ids.tolist(), arrays.item_codes, strict=True)
        if pk < 0 and code == FEED_ITEM_CODE
    ]
    empty = np.zeros(0, dtype=np.int64)
    if not virtual:
        return empty, empty, np.zeros(0)
    a, c = Appraisal._meta.db_table, Cycle._meta.db_table
    quote = connection.ops.quote_name
    kinds = ", ".join(["%s"] * len(REGULAR_KINDS))
    phases = ", ".join(["%s"] * len(FINAL_PHASES))
    sql = (
        f"SELECT ap.id, AVG(f.total) FROM {a} ap "
        f"JOIN {a} f ON f.person_id = ap.person_id "
        f"JOIN {c} c ON c.id = f.cycle_id "
        f"WHERE ap.cycle_id = %s AND c.id <> %s AND c.unit_id = %s "
        f"AND c.kind IN ({kinds}) AND c.phase IN ({phases}) "
        f"AND c.start >= %s AND c.{quote('end')} <= %s AND f.total IS NOT NULL"
    )
    params: list[Any] = [
        cycle.pk,
        cycle.pk,
        cycle.unit_id,
        *REGULAR_KINDS,
        *FINAL_PHASES,
        cycle.start,
        cycle.end,
    ]
    if appraisal_ids is not None:
        sql += f" AND ap.id IN ({', '.join(['%s'] * len(appraisal_ids))})"
        params += appraisal_ids
    with connection.cursor() as cursor:
        cursor.execute(sql + " GROUP BY ap.id", params)
        found = cursor.fetchall()
    ids = np.array([row[0] for row in found], dtype=np.int64)
    means = np.array([float(row[1]) for row in found], dtype=np.float64)
    return (
        np.tile(ids, len(virtual)),
        np.repeat(np.array(virtual, dtype=np.int64), ids.size),
        np.tile(means, len(virtual)),
    )


def _with_feeds(
    cycle: Cycle, arrays: SchemeArrays, direct: Direct, appraisal_ids: list[int] | None = None
) -> Direct:
    """The KPI scores and the fed sections' scores together."""
    fed = feed_score_arrays(cycle, arrays, appraisal_ids)
    if not fed[0].size:
        return direct
    return (
        np.concatenate([np.asarray(direct[0], dtype=np.int64), fed[0]]),
        np.concatenate([np.asarray(direct[1], dtype=np.int64), fed[1]]),
        np.concatenate([np.asarray(direct[2], dtype=np.float64), fed[2]]),
    )


def positions(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value: its index in `keys` (distinct, any order) and whether it is there."""
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    if keys.size == 0 or values.size == 0:
        return np.zeros(values.size, dtype=np.int64), np.zeros(values.size, dtype=bool)
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[order], values), keys.size - 1)
    found = keys[order][at] == values
    return order[at], found


# ---------------------------------------------------------------- reading ratings fast


def read_floats(sql: str, params: list[Any], columns: int) -> np.ndarray:
    """The rows of a query whose columns are all non-null numbers, as a float array.

    PostgreSQL sends them as binary COPY, parsed by numpy a few megabytes at a time (no
    Python object per value: reading five million ratings takes seconds, not a minute, and
    the memory of the array alone); elsewhere the rows are fetched in chunks."""
    if connection.vendor == "postgresql":
        return _copy_floats(sql, params, columns)
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(200_000)
            if not rows:
                break
            chunks.append(np.array(rows, dtype=np.float64).reshape(-1, columns))
    return np.concatenate(chunks) if chunks else np.zeros((0, columns))


COPY_HEADER = 19  # PGCOPY signature (11), flags (4), header extension length (4)
COPY_BLOCK = 32 * 1024 * 1024


def _copy_floats(sql: str, params: list[Any], columns: int) -> np.ndarray:
    layout = [("n", ">i2")]
    for k in range(columns):
        layout += [(f"l{k}", ">i4"), (f"v{k}", ">f8")]
    row = np.dtype(layout)
    cast = ", ".join(f"c{k}::float8" for k in range(columns))
    names = ", ".join(f"c{k}" for k in range(columns))
    copy_sql = f"COPY (SELECT {cast} FROM ({sql}) AS q({names})) TO STDOUT WITH (FORMAT binary)"
    chunks: list[np.ndarray] = []
    pending = bytearray()
    header_left = COPY_HEADER

    def parse(final: bool) -> None:
        nonlocal pending
        usable = len(pending) - (2 if final else 0)  # the trailer: a field count of -1
        n = max(0, usable) // row.itemsize
        if n:
            table = np.frombuffer(bytes(pending[: n * row.itemsize]), dtype=row)
            if (table["n"] != columns).any() or (table["l0"] != 8).any():
                raise ValueError("unexpected NULL or width in a COPY of numbers")
            chunks.append(
                np.column_stack([table[f"v{k}"].astype(np.float64) for k in range(columns)])
            )
            del pending[: n * row.itemsize]

    def take(data: bytes | memoryview) -> None:
        nonlocal header_left, pending
        if header_left:
            cut = min(header_left, len(data))
            data, header_left = data[cut:], header_left - cut
        pending += data
        if len(pending) >= COPY_BLOCK:
            parse(final=False)

    with connection.cursor() as cursor:
        raw = cursor.cursor
        if hasattr(raw, "mogrify"):
            _copy_out(raw, raw.mogrify(copy_sql, params), take)
        else:
            with raw.copy(copy_sql, params) as copy:
                for block in copy:
                    take(block)
    parse(final=True)
    return np.concatenate(chunks) if chunks else np.zeros((0, columns))


def _copy_out(raw: Any, sql: str, take: Callable[[memoryview], None]) -> None:
    """COPY … TO STDOUT straight through libpq: PostgreSQL sends one message per row, and
    psycopg's generator per message costs more than the server's work for millions of
    rows. The statement runs in the connection's current transaction like any other."""
    from psycopg import errors, pq

    pgconn = raw.connection.pgconn
    with raw.connection.lock:
        pgconn.send_query(sql.encode(raw.connection.info.encoding))
        result = pgconn.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            message = result.error_message.decode(errors="replace") if result else ""
            while pgconn.get_result() is not None:
                pass
            raise errors.DatabaseError(message or "COPY did not start")
        get = pgconn.get_copy_data
        while True:
            size, data = get(0)
            if size < 0:
                break
            take(data)
        failed = ""
        while (result := pgconn.get_result()) is not None:
            if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.COPY_OUT):
                failed = result.error_message.decode(errors="replace")
        if failed:
            raise errors.DatabaseError(failed)


def submitted_ratings(cycle: Cycle, appraisal_ids: list[int] | None = None) -> np.ndarray:
    """(appraisal, group index, rater key, item, value) of every submitted rating, as a float
    array; a rating given through a code has the negative code id as its rater key."""
    group_case = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(RaterGroup.values))
    where = "a.cycle_id = %s AND a.status = %s"
    params: list[Any] = [cycle.pk, AssignmentStatus.SUBMITTED]
    if appraisal_ids is not None:
        # The appraisals are the cycle's: filtering on the cycle too would let the planner
        # choose the (cycle, status) index from statistics taken before anyone submitted,
        # and scan every submission of the cycle instead of the few of these appraisals.
        where = f"a.appraisal_id IN ({', '.join(['%s'] * len(appraisal_ids))}) AND a.status = %s"
        params = [*appraisal_ids, AssignmentStatus.SUBMITTED]
    sql = (
        f"SELECT a.appraisal_id, CASE a.{connection.ops.quote_name('group')} {group_case} "
        f"ELSE -1 END, COALESCE(a.rater_id, -a.code_id, 0), r.item_id, r.value "
        f"FROM {Rating._meta.db_table} r JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id "
        f"WHERE {where}"
    )
    if appraisal_ids is not None and len(appraisal_ids) <= 1000:
        # A few ratees (after a submission): a plain fetch is quicker than a COPY.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return np.array(rows, dtype=np.float64).reshape(-1, 5) if rows else np.zeros((0, 5))
    return read_floats(sql, params, 5)


# ---------------------------------------------------------------- KPI scores


def compute_kpis(cycle: Cycle, arrays: SchemeArrays, appraisals: list[tuple[int, int]]) -> None:
    """Fill KpiScore.computed for every KPI item of every appraisal (set-based).

    goal_progress: the weighted progress of the person's agreed goals (approved, locked or
    closed) whose period lies in the cycle, as a share of the item's full score (100% progress
    or more is full marks).
    indicator: the indicator's rule applied to the person's key results on that indicator, of
    agreed goals only.
    manual: nothing is computed; the office enters the score.
    """
    from jixiao.goals.models import AGREED_STATUSES, Goal, GoalLevel, KeyResult

    kpi_items = [
        i
        for i in range(len(arrays.item_source))
        if arrays.section_kinds[arrays.item_section[i]] == SectionKind.KPI
    ]
    if not kpi_items or not appraisals:
        return
    person_ids = [p for _a, p in appraisals]
    period = Q(period_start__gte=cycle.start, period_end__lte=cycle.end)
    progress: dict[int, float] = {}
    for person_id, total_w, total_wp in (
        Goal.objects.filter(
            period,
            level=GoalLevel.PERSON,
            status__in=AGREED_STATUSES,
            person_id__in=person_ids,
            progress__isnull=False,
        )
        .values_list("person_id")
        .annotate(
            w=Sum("weight"),
            wp=Sum(ExpressionWrapper(F("weight") * F("progress"), output_field=FloatField())),
        )
        .values_list("person_id", "w", "wp")
    ):
        if total_w:
            progress[person_id] = float(total_wp) / float(total_w)
    # (person, indicator code) → (actual, target, progress) of the key result on it
    actuals: dict[tuple[int, str], tuple[float | None, float | None, float | None]] = {}
    code_of_item: dict[int, str] = {}
    indicator_items = [
        i
        for i in kpi_items
        if arrays.item_source[i] == KpiSource.INDICATOR and arrays.item_indicator[i]
    ]
    if indicator_items:
        from jixiao.indicators.models import Indicator

        codes = dict(
            Indicator.objects.filter(
                pk__in=[arrays.item_indicator[i] for i in indicator_items]
            ).values_list("id", "code")
        )
        for i in indicator_items:
            indicator_id = arrays.item_indicator[i]
            if indicator_id is not None and indicator_id in codes:
                code_of_item[i] = codes[indicator_id]
        for person_id, code, kr_current, kr_target, progress_value in KeyResult.objects.filter(
            goal__level=GoalLevel.PERSON,
            goal__status__in=AGREED_STATUSES,
            goal__person_id__in=person_ids,
            indicator__code__in=list(codes.values()),
            goal__period_start__gte=cycle.start,
            goal__period_end__lte=cycle.end,
        ).values_list("goal__person_id", "indicator__code", "current", "target", "progress"):
            actuals[(person_id, code)] = (
                None if kr_current is None else float(kr_current),
                None if kr_target is None else float(kr_target),
                progress_value,
            )
    # Manual items are the office's to enter: nothing is computed, their rows are only made
    # when missing (in one statement), and only the computed items' rows are read here.
    manual = [
        int(arrays.item_ids[i]) for i in kpi_items if arrays.item_source[i] == KpiSource.MANUAL
    ]
    if manual:
        _insert_missing_kpi_rows(cycle, manual)
    kpi_items = [i for i in kpi_items if arrays.item_source[i] != KpiSource.MANUAL]
    if not kpi_items:
        return
    existing = {
        (a, it): (pk, actual, target, computed, note)
        for pk, a, it, actual, target, computed, note in KpiScore.objects.filter(
            appraisal__cycle=cycle, item_id__in=[int(arrays.item_ids[i]) for i in kpi_items]
        ).values_list(
            "id", "appraisal_id", "item_id", "actual", "target", "computed", "source_note"
        )
    }
    inserts: list[tuple[Any, ...]] = []
    updates: list[KpiScore] = []
    for appraisal_id, person_id in appraisals:
        for i in kpi_items:
            item_id = int(arrays.item_ids[i])
            source = arrays.item_source[i]
            actual: float | None = None
            target: float | None = None
            computed: float | None = None
            note = ""
            if source == KpiSource.GOAL_PROGRESS:
                p = progress.get(person_id)
                if p is not None:
                    computed = min(max(p, 0.0), 1.0) * float(arrays.item_max[i])
                    actual, note = p, "goal progress"
            elif source == KpiSource.INDICATOR and i in code_of_item:
                found = actuals.get((person_id, code_of_item[i]))
                if found is not None and found[2] is not None:
                    actual, target = found[0], found[1]
                    computed = min(max(found[2], 0.0), 1.0) * float(arrays.item_max[i])
                    note = "key result progress"
            key = (appraisal_id, item_id)
            if key in existing:
                if existing[key][1:] != (actual, target, computed, note):
                    updates.append(
                        KpiScore(
                            pk=existing[key][0],
                            actual=actual,
                            target=target,
                            computed=computed,
                            source_note=note,
                        )
                    )
            else:
                inserts.append(
                    (appraisal_id, item_id, actual, target, computed, None, "", note, "", 1)
                )
    insert_rows(
        KpiScore,
        [
            "appraisal",
            "item",
            "actual",
            "target",
            "computed",
            "override",
            "override_reason",
            "source_note",
            "comment",
            "version",
        ],
        inserts,
    )
    bulk_update_rows(KpiScore, updates, ["actual", "target", "computed", "source_note"])


def _insert_missing_kpi_rows(cycle: Cycle, item_ids: list[int]) -> None:
    """An empty row for every (appraisal, item) of these items that has none."""
    k, a = KpiScore._meta.db_table, Appraisal._meta.db_table
    items = ", ".join(["%s"] * len(item_ids))
    with connection.cursor() as cursor:
        # Rows are unique per (appraisal, item): when there are as many as appraisals times
        # items, none is missing, and counting is cheaper than looking for a missing one.
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {a} WHERE cycle_id = %s) * %s, "
            f"(SELECT COUNT(*) FROM {k} ks JOIN {a} ap ON ap.id = ks.appraisal_id "
            f"WHERE ap.cycle_id = %s AND ks.item_id IN ({items}))",
            [cycle.pk, len(set(item_ids)), cycle.pk, *item_ids],
        )
        wanted, present = cursor.fetchone()
        if wanted == present:
            return
        cursor.execute(
            f"INSERT INTO {k} (appraisal_id, item_id, override_reason, source_note, comment, "
            f"version) SELECT ap.id, it.id, '', '', '', 1 FROM {a} ap, "
            f"{SchemeItem._meta.db_table} it WHERE ap.cycle_id = %s AND it.id IN ({items}) "
            f"AND NOT EXISTS (SELECT 1 FROM {k} ks WHERE ks.appraisal_id = ap.id "
            f"AND ks.item_id = it.id)",
            [cycle.pk, *item_ids],
        )


def kpi_score_arrays(
    cycle: Cycle, appraisal_ids: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(appraisal, item, score) of every KPI score that has a value (set by hand, else
    computed), as arrays."""
    k, a = KpiScore._meta.db_table, Appraisal._meta.db_table
    sql = (
        f"SELECT k.appraisal_id, k.item_id, COALESCE(k.override, k.computed) FROM {k} k "
        f"JOIN {a} ap ON ap.id = k.appraisal_id WHERE ap.cycle_id = %s "
        f"AND COALESCE(k.override, k.computed) IS NOT NULL"
    )
    params: list[Any] = [cycle.pk]
    if appraisal_ids is not None:
        # The cycle's own appraisals: no join needed.
        sql = (
            f"SELECT k.appraisal_id, k.item_id, COALESCE(k.override, k.computed) FROM {k} k "
            f"WHERE k.appraisal_id IN ({', '.join(['%s'] * len(appraisal_ids))}) "
            f"AND COALESCE(k.override, k.computed) IS NOT NULL"
        )
        params = list(appraisal_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        table = np.array(rows, dtype=np.float64).reshape(-1, 3) if rows else np.zeros((0, 3))
    else:
        table = read_floats(sql, params, 3)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2].copy()


def kpi_scores(
    cycle: Cycle, appraisal_ids: list[int] | None = None
) -> list[tuple[int, int, float]]:
    qs = KpiScore.objects.filter(appraisal__cycle=cycle)
    if appraisal_ids is not None:
        qs = qs.filter(appraisal_id__in=appraisal_ids)
    out: list[tuple[int, int, float]] = []
    for a, it, computed, override in qs.values_list(
        "appraisal_id", "item_id", "computed", "override"
    ):
        value = override if override is not None else computed
        if value is not None:
            out.append((a, it, float(value)))
    return out


# ---------------------------------------------------------------- the computation


Direct = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Scores given straight to items (KPI): appraisal ids, item ids, values in the item's points."""


@dataclass
class CycleScores:
    appraisal_ids: np.ndarray
    breakdown: engine.ScoreBreakdown
    raw: engine.ScoreBreakdown
    ratings: np.ndarray
    corrected: np.ndarray
    standardized: engine.Standardized
    # the kept ratings as indexes: appraisal, scheme group, item, rater (into `raters`)
    r_appraisal: np.ndarray
    r_group: np.ndarray
    r_item: np.ndarray
    r_rater: np.ndarray
    raters: np.ndarray
    r_value: np.ndarray
    """Each kept rating as a share of its item's full score (0–100), before correction."""
    d_appraisal: np.ndarray
    d_item: np.ndarray
    d_value: np.ndarray
    """The direct item scores as indexes and 0–100 values."""
    _d_order: np.ndarray | None = None

    def direct_order(self) -> np.ndarray:
        """The direct scores sorted by appraisal, then item."""
        if self._d_order is None:
            self._d_order = np.lexsort((self.d_item, self.d_appraisal))
        return self._d_order


def _compute(
    cycle: Cycle,
    arrays: SchemeArrays,
    appraisal_ids: np.ndarray,
    ratings: np.ndarray,
    direct: Direct,
    rater_stats_override: dict[tuple[int, int], tuple[int, float, float]] | None = None,
) -> CycleScores:
    """Scores of the given appraisals from their ratings (rows of submitted_ratings)."""
    ids = np.asarray(appraisal_ids, dtype=np.int64)
    table = ratings if ratings.size else np.zeros((0, 5))
    # ratings of groups the scheme has, of items it has, of these appraisals
    ra, a_ok = positions(ids, table[:, 0].astype(np.int64))
    ri, i_ok = positions(arrays.item_ids, table[:, 3].astype(np.int64))
    all_groups = list(RaterGroup.values)
    to_scheme = np.full(len(all_groups), -1, dtype=np.int64)
    for g, code in enumerate(arrays.group_codes):
        if code in all_groups:
            to_scheme[all_groups.index(code)] = g
    gcol = table[:, 1].astype(np.int64)
    known = (gcol >= 0) & (gcol < len(all_groups))
    rg = np.where(known, to_scheme[np.clip(gcol, 0, len(all_groups) - 1)], -1)
    keep = a_ok & i_ok & (rg >= 0)
    r = table[keep]
    ra, rg, ri = ra[keep], rg[keep], ri[keep]
    raters, rr = _distinct(r[:, 2].astype(np.int64))
    rv = r[:, 4] / arrays.item_max[ri] * 100.0 if r.size else np.zeros(0)
    if rater_stats_override is not None and rv.size:
        std = _standardize_with(rv, rr, raters, rg, arrays, rater_stats_override, cycle)
    else:
        std = engine.standardize_by_rater(
            rv,
            rr,
            rg,
            enabled=arrays.group_standardize[rg] if rg.size else np.zeros(0, bool),
            shrinkage=arrays.shrinkage,
        )
    d_ids, d_items, d_values = direct
    da, da_ok = positions(ids, d_ids)
    di, di_ok = positions(arrays.item_ids, d_items)
    d_keep = da_ok & di_ok
    da, di = da[d_keep], di[d_keep]
    dv = np.asarray(d_values, dtype=np.float64)[d_keep] / arrays.item_max[di] * 100.0
    common = {
        "appraisals": len(ids),
        "groups": arrays.groups,
        "sections": [engine.SectionSpec(float(w)) for w in arrays.section_weights],
        "item_section": arrays.item_section,
        "item_weight": arrays.item_weight,
        "r_appraisal": ra,
        "r_group": rg,
        "r_item": ri,
        "r_rater": rr,
        "d_appraisal": da,
        "d_item": di,
        "d_value": dv,
    }
    corrected, raw = aggregate_scores_many(**common, r_values=[std.values, rv])
    return CycleScores(
        ids, corrected, raw, r, std.values, std, ra, rg, ri, rr, raters, rv, da, di, dv
    )


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (e.g. rater keys: person ids, negative code ids) ascending, and each
    key's index among them, by counting over the keys' range when it is small."""
    if not keys.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    low = int(keys.min())
    distinct, index = group_keys(keys - low, int(keys.max()) - low + 1)
    return distinct + low, index


def _standardize_with(
    rv: np.ndarray,
    rr: np.ndarray,
    raters: np.ndarray,
    rg: np.ndarray,
    arrays: SchemeArrays,
    stats: dict[tuple[int, int], tuple[int, float, float]],
    cycle: Cycle,
) -> engine.Standardized:
    """Standardize some ratees' ratings with the raters' cycle-wide statistics, as the full
    recompute does: z within the rater, onto the group's mean and spread, shrunk by the
    rater's count. A rater without statistics counts as one rating of its own value."""
    mu_sigma = cycle.group_stats or {}
    out = rv.copy()
    weights = np.zeros(rv.size)
    group_mu = np.full(len(arrays.group_codes), np.nan)
    group_sigma = np.zeros(len(arrays.group_codes))
    for g, code in enumerate(arrays.group_codes):
        found = mu_sigma.get(code)
        if arrays.group_standardize[g] and found:
            group_mu[g], group_sigma[g] = float(found[0]), float(found[1])
    on = ~np.isnan(group_mu[rg]) if rv.size else np.zeros(0, dtype=bool)
    if not on.any():
        zeros = np.zeros(rv.size)
        return engine.Standardized(out, zeros, zeros, np.zeros(rv.size, dtype=np.int64), weights)
    keys = raters[rr]
    pairs, pair_of = np.unique(np.stack([rg, keys]), axis=1, return_inverse=True)
    pair_stats = np.array(
        [
            stats.get((int(g), int(k)), (np.nan, np.nan, np.nan))
            for g, k in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)
        ],
        dtype=np.float64,
    ).reshape(-1, 3)
    n, m, sd = (pair_stats[pair_of.ravel(), c] for c in range(3))
    missing = np.isnan(n)
    n = np.where(missing, 1.0, n)
    m = np.where(missing, rv, m)
    sd = np.where(missing, 0.0, sd)
    w = n / (n + arrays.shrinkage)
    z = np.divide(rv - m, sd, out=np.zeros(rv.size), where=sd > 0)
    corrected = np.clip(w * (group_mu[rg] + group_sigma[rg] * z) + (1 - w) * rv, 0.0, 100.0)
    out[on] = corrected[on]
    weights[on] = w[on]
    zeros = np.zeros(rv.size)
    return engine.Standardized(out, zeros, zeros, np.zeros(rv.size, dtype=np.int64), weights)


def _rules(arrays: SchemeArrays, cycle: Cycle) -> list[engine.QuotaRule]:
    rules = []
    for rule in arrays.quota_rules:
        share = float(rule.get("share", 0))
        if cycle.higher_quota_approved and rule.get("share_if_approved") is not None:
            share = float(rule["share_if_approved"])
        by_grade = rule.get("share_by_unit_grade") or {}
        if cycle.unit_grade and cycle.unit_grade in by_grade:
            share = float(by_grade[cycle.unit_grade])
        rules.append(
            engine.QuotaRule(
                grades=tuple(rule["grades"]),
                op=rule["op"],
                share=share,
                rounding=rule.get("rounding", ""),
                enforced=bool(rule.get("enforced", True)),
                label=str(rule.get("label", "")),
            )
        )
    return rules


def _finite(x: float) -> bool:
    return math.isfinite(x)


def _num(x: float) -> str:
    """A (rounded) float as JSON: null when it is not a number."""
    return repr(x) if math.isfinite(x) else "null"


def breakdown_json(
    arrays: SchemeArrays, s: CycleScores, start: int = 0, stop: int | None = None
) -> list[str]:
    """The explanation of the scores of appraisals start…stop (by index), as JSON text:
    sections, the groups behind each (never the raters) with their scores before and after
    correction, and the directly scored items.

    Written as text straight from lists (not dicts through json.dumps, not numpy scalars):
    100,000 explanations take a second instead of six. `breakdowns` parses them back."""
    b, raw = s.breakdown, s.raw
    stop = int(s.appraisal_ids.size) if stop is None else stop
    part = slice(start, stop)
    # Rounded by numpy in one pass and written with f-strings (a float's str is its repr):
    # rounding and formatting each of millions of numbers in Python took half the time.
    group_section = np.round(b.group_section[part], 3).tolist()
    raw_group_section = np.round(raw.group_section[part], 3).tolist()
    respondents = b.respondents[part].tolist()
    used = b.group_used[part].tolist()
    section = np.round(b.section[part], 3).tolist()
    raw_section = np.round(raw.section[part], 3).tolist()
    total = np.round(b.total[part], 3).tolist()
    raw_total = np.round(raw.total[part], 3).tolist()
    missing = b.sections_missing[part].tolist()
    text = functools.partial(json.dumps, ensure_ascii=False)
    # Codes and numbers only: names, kinds and weights are the scheme's, and the pages take
    # them from it (written for each of 100,000 appraisals they doubled what a full
    # recompute writes).
    group_head = [
        (
            '{"group": ' + text(code),
            ', "used": ',
            ', "corrected": ' + json.dumps(bool(arrays.group_standardize[g])) + "}",
        )
        for g, code in enumerate(arrays.group_codes)
    ]
    item_section = arrays.item_section.tolist()
    item_head = [
        '{"code": ' + text(arrays.item_codes[it]) + ', "score": ' for it in range(len(item_section))
    ]
    section_head = ['{"code": ' + text(code) + ', "score": ' for code in arrays.section_codes]
    # direct items per appraisal and section, in item order
    items_of: list[dict[int, list[str]]] = [{} for _ in range(stop - start)]
    d_order = s.direct_order()
    if d_order.size:
        lo, hi = np.searchsorted(s.d_appraisal[d_order], [start, stop])
        chosen = d_order[lo:hi]
        for i, it, v in zip(
            (s.d_appraisal[chosen] - start).tolist(),
            s.d_item[chosen].tolist(),
            np.round(s.d_value[chosen], 3).tolist(),
            strict=True,
        ):
            items_of[i].setdefault(item_section[it], []).append(f"{item_head[it]}{_num(v)}}}")
    sections_n = len(section_head)
    out: list[str] = []
    for i in range(stop - start):
        parts = []
        gs, rgs, resp, use = group_section[i], raw_group_section[i], respondents[i], used[i]
        for k in range(sections_n):
            groups = []
            for g, (head, mid, tail) in enumerate(group_head):
                value = gs[g][k]
                if not math.isfinite(value):
                    continue
                raw_value = rgs[g][k]
                groups.append(
                    f'{head}, "respondents": {resp[g]}{mid}{"true" if use[g] else "false"}, '
                    f'"score": {value}, '
                    f'"raw": {raw_value if math.isfinite(raw_value) else "null"}{tail}'
                )
            score, raw_score = section[i][k], raw_section[i][k]
            parts.append(
                f"{section_head[k]}{score if math.isfinite(score) else 'null'}, "
                f'"raw": {raw_score if math.isfinite(raw_score) else "null"}, '
                f'"groups": [{", ".join(groups)}], "items": [{", ".join(items_of[i].get(k, []))}]}}'
            )
        t, rt = total[i], raw_total[i]
        out.append(
            f'{{"sections": [{", ".join(parts)}], '
            f'"total": {t if math.isfinite(t) else "null"}, '
            f'"raw_total": {rt if math.isfinite(rt) else "null"}, '
            f'"missing_sections": {missing[i]}}}'
        )
    return out


def breakdowns(
    arrays: SchemeArrays, s: CycleScores, start: int = 0, stop: int | None = None
) -> list[dict[str, Any]]:
    """breakdown_json as dicts."""
    return [json.loads(t) for t in breakdown_json(arrays, s, start, stop)]


def _none(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


Progress = Callable[[str, float], None]


WRITE_CHUNK = 10_000
ANALYZE_AFTER = 10_000
APPRAISAL_SCORE_FIELDS = (
    "total",
    "raw_total",
    "rank_department",
    "rank_unit",
    "band_grade",
    "suggested_grade",
    "grade_reason",
    "tie",
    "breakdown",
    "computed_at",
)


def _db_time(now: datetime.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(now)


def recompute_cycle(cycle_id: int, *, progress: Progress | None = None) -> dict[str, Any]:
    """Score every appraisal of the cycle, rank, suggest grades and write it all back.

    The scores are those of the data as read at the start, and are dated then (the cycle's
    and each appraisal's `computed_at`). An appraisal rescored while the recompute runs (a
    submission, a KPI score set by hand) keeps its newer score, and the results show that
    ranks and grades are older than the scores; a change of eligibility meanwhile keeps the
    cycle's grades marked outdated."""
    report = progress or (lambda _stage, _share: None)
    read_at = timezone.now()
    cycle = Cycle.objects.select_related("scheme", "unit").get(pk=cycle_id)
    arrays = scheme_arrays(cycle)
    report("read", 0.05)
    rows = list(
        Appraisal.objects.filter(cycle=cycle)
        .order_by("id")
        .values_list("id", "person_id", "department_id", "eligibility")
    )
    with transaction.atomic():
        compute_kpis(cycle, arrays, [(a, p) for a, p, _d, _e in rows])
    report("read", 0.2)
    ratings = submitted_ratings(cycle)
    direct = _with_feeds(cycle, arrays, kpi_score_arrays(cycle))
    report("compute", 0.45)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    scores = _compute(cycle, arrays, ids, ratings, direct)
    del ratings
    total = scores.breakdown.total
    departments = np.array([r[2] for r in rows], dtype=np.int64)
    _dept_keys, dept_idx = (
        np.unique(departments, return_inverse=True)
        if departments.size
        else (departments, departments)
    )
    rank_department = engine.rank_within(total, dept_idx.astype(np.int64))
    rank_unit = engine.rank_within(total, np.zeros(ids.size, dtype=np.int64))
    order = [g["code"] for g in arrays.grades]
    bands = [engine.Band(g["code"], float(g["min_score"])) for g in arrays.grades]
    graded = np.array([r[3] in GRADED_KINDS for r in rows], dtype=bool)
    refused = np.array([r[3] == Eligibility.REFUSED for r in rows], dtype=bool)
    per_department = any(rule.get("population") == "department" for rule in arrays.quota_rules)
    population = dept_idx.astype(np.int64) if per_department else np.zeros(ids.size, dtype=np.int64)
    grading = (
        engine.apply_grades(
            np.where(refused, -np.inf, total),
            graded & ~refused,
            population,
            order=order,
            bands=bands,
            rules=_rules(arrays, cycle),
        )
        if order
        else None
    )
    report("write", 0.7)
    at = _db_time(read_at)
    totals = total.tolist()
    raw_totals = scores.raw.total.tolist()
    rank_d = rank_department.tolist()
    rank_u = rank_unit.tolist()
    band_of = grading.band.tolist() if grading is not None else []
    suggested_of = grading.suggested.tolist() if grading is not None else []
    tie_of = grading.tie.tolist() if grading is not None else []
    refused_of = refused.tolist()
    id_list = ids.tolist()

    def chunk_rows(start: int, stop: int) -> tuple[list[tuple[Any, ...]], int]:
        """The update rows of appraisals start…stop and how many of them are tied."""
        explained = breakdown_json(arrays, scores, start, stop)
        updates: list[tuple[Any, ...]] = []
        tied = 0
        for i in range(start, stop):
            band = suggested = reason = ""
            tie = False
            if grading is not None:
                if refused_of[i]:
                    band = suggested = order[-1]
                    reason = "refused"
                elif suggested_of[i] != NO_GRADE:
                    band = order[band_of[i]] if band_of[i] != NO_GRADE else ""
                    suggested = order[suggested_of[i]]
                    reason = grading.reason[i]
                    tie = tie_of[i]
                else:
                    reason = grading.reason[i]
            tied += tie
            updates.append(
                (
                    id_list[i],
                    totals[i] if _finite(totals[i]) else None,
                    raw_totals[i] if _finite(raw_totals[i]) else None,
                    rank_d[i] or None,
                    rank_u[i] or None,
                    band,
                    suggested,
                    reason,
                    tie,
                    explained[i - start],
                    at,
                )
            )
        return updates, tied

    ties = newer = 0
    chunks = [
        (start, min(start + WRITE_CHUNK, len(id_list)))
        for start in range(0, len(id_list), WRITE_CHUNK)
    ]
    # The next chunk's rows are built in a second thread while the database writes this
    # one (the thread only reads the arrays; the connection stays in this thread).
    with transaction.atomic(), ThreadPoolExecutor(max_workers=2) as builder:
        rater_stats = builder.submit(_rater_stat_rows, cycle, arrays, scores)
        pending = builder.submit(chunk_rows, *chunks[0]) if chunks else None
        for k, (_start, stop) in enumerate(chunks):
            assert pending is not None
            updates, tied = pending.result()
            pending = builder.submit(chunk_rows, *chunks[k + 1]) if k + 1 < len(chunks) else None
            ties += tied
            written = update_rows(
                Appraisal, APPRAISAL_SCORE_FIELDS, updates, keep_newer=("computed_at", at)
            )
            newer += len(updates) - written
            del updates
            report("write", 0.7 + 0.25 * stop / max(1, len(id_list)))
        stats = _write_rater_stats(cycle, rater_stats.result())
        Cycle.objects.filter(pk=cycle.pk).update(group_stats=stats, computed_at=read_at)
    if connection.vendor == "postgresql" and len(id_list) >= ANALYZE_AFTER:
        # Statistics for the freshly written scores, as after any bulk load: planned with
        # the old ones (no scores yet), the results list sorts the whole cycle for one page.
        with connection.cursor() as cursor:
            for model in (Appraisal, RaterStat):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    report("done", 1.0)
    violations = []
    if grading is not None:
        violations = [
            {
                "label": v.rule.label or v.rule.op,
                "limit": v.limit,
                "actual": v.actual,
                "population": v.population,
            }
            for v in grading.violations
        ]
    return {
        "appraisals": int(ids.size),
        "ratings": int(scores.ratings.shape[0]),
        "ties": ties,
        "rescored_meanwhile": newer,
        "violations": violations,
        "limits": []
        if grading is None
        else [{"label": r.label, "limit": n} for r, _p, n in grading.limits],
    }


@functools.cache
def _flag_json(flags: tuple[str, ...]) -> str:
    return json.dumps(list(flags))


def flag_json(flags: list[str]) -> str:
    return _flag_json(tuple(flags))


RaterStatRows = tuple[list[tuple[Any, ...]], dict[str, list[float]]]


def _write_rater_stats(cycle: Cycle, computed: RaterStatRows) -> dict[str, list[float]]:
    """Replace the cycle's rater statistics; return each group's mean and spread (for the
    incremental rescoring of one ratee)."""
    RaterStat.objects.filter(cycle=cycle).delete()
    rows, groups_stats = computed
    insert_rows(
        RaterStat,
        [
            "cycle",
            "group",
            "rater",
            "alias",
            "ratings",
            "ratees",
            "mean",
            "sd",
            "halo",
            "top_share",
            "flags",
        ],
        rows,
    )
    return groups_stats


def _rater_stat_rows(cycle: Cycle, arrays: SchemeArrays, scores: CycleScores) -> RaterStatRows:
    """The rows of the cycle's rater statistics and each group's mean and spread (no
    database work: it runs beside the writing of the scores)."""
    if not scores.ratings.size:
        return [], {}
    rg, values, raters = scores.r_group, scores.r_value, scores.raters
    stats = engine.rater_statistics(
        values, scores.r_rater, scores.r_appraisal, scores.r_item, rg, top_score=95.0
    )
    rows = []
    alias_counter: dict[str, int] = defaultdict(int)
    halo = stats.halo.tolist()
    flag_columns = [
        (name, flag.tolist())
        for name, flag in (
            ("lenient", stats.lenient),
            ("severe", stats.severe),
            ("central", stats.central),
            ("halo", stats.halo_flag),
            ("top_heavy", stats.top_heavy),
        )
    ]
    for k, (g, rater, n, ratees, mean, sd, top) in enumerate(
        zip(
            stats.stratum.tolist(),
            raters[stats.rater].tolist(),
            stats.ratings.tolist(),
            stats.ratees.tolist(),
            stats.mean.tolist(),
            stats.sd.tolist(),
            stats.top_share.tolist(),
            strict=True,
        )
    ):
        anonymous = arrays.group_anonymous[g] or rater < 0
        flags = [name for name, on in flag_columns if on[k]]
        rows.append(
            (
                cycle.pk,
                arrays.group_codes[g],
                None if anonymous else rater,
                "",
                n,
                ratees,
                mean,
                sd,
                halo[k] if _finite(halo[k]) else None,
                top,
                flags,
            )
        )
    # Anonymous rows are shuffled before they are numbered, so neither their order nor
    # their alias follows the raters' ids.
    rng = np.random.default_rng()
    named = [x for x in rows if x[2] is not None]
    anonymous_rows = [x for x in rows if x[2] is None]
    anonymous_rows = [anonymous_rows[j] for j in rng.permutation(len(anonymous_rows))]
    for j, x in enumerate(anonymous_rows):
        alias_counter[x[1]] += 1
        anonymous_rows[j] = (*x[:3], f"#{alias_counter[x[1]]}", *x[4:])
    groups_stats: dict[str, list[float]] = {}
    for g, code in enumerate(arrays.group_codes):
        v = values[rg == g]
        if v.size:
            groups_stats[code] = [float(v.mean()), float(v.std())]
    return [(*x[:10], flag_json(x[10])) for x in named + anonymous_rows], groups_stats


def recompute_appraisals(appraisal_ids: list[int], *, cycle: Cycle | None = None) -> None:
    """Rescore some appraisals of one cycle after submissions, with their raters' current
    statistics: a fixed number of queries for any number of appraisals (four when the
    caller passes the cycle with its scheme)."""
    if not appraisal_ids:
        return
    if cycle is None:
        cycle_id = (
            Appraisal.objects.filter(pk=appraisal_ids[0]).values_list("cycle_id", flat=True).get()
        )
        cycle = Cycle.objects.select_related("scheme").get(pk=cycle_id)
    arrays = scheme_arrays(cycle)
    ids = sorted(set(appraisal_ids))
    if len(ids) <= FEW_APPRAISALS:
        ratings, kpis = _ratings_and_kpis_of(ids)
    else:
        ratings, kpis = submitted_ratings(cycle, ids), kpi_score_arrays(cycle, ids)
    direct = _with_feeds(cycle, arrays, kpis, ids)
    stats: dict[tuple[int, int], tuple[int, float, float]] = {}
    if ratings.size and arrays.group_standardize.any():
        stats = _rater_stats_for(cycle, arrays, ratings)
    scores = _compute(cycle, arrays, np.array(ids, dtype=np.int64), ratings, direct, stats)
    at = _db_time(timezone.now())
    explained = breakdown_json(arrays, scores)
    totals = scores.breakdown.total.tolist()
    raw_totals = scores.raw.total.tolist()
    update_rows(
        Appraisal,
        ["total", "raw_total", "breakdown", "computed_at"],
        [
            (
                a,
                totals[i] if _finite(totals[i]) else None,
                raw_totals[i] if _finite(raw_totals[i]) else None,
                explained[i],
                at,
            )
            for i, a in enumerate(ids)
        ],
    )


FEW_APPRAISALS = 1000
"""Up to this many appraisals (a form, a grid) are rescored from one plain read."""


def _ratings_and_kpis_of(
    appraisal_ids: list[int],
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """submitted_ratings and kpi_score_arrays of a few appraisals, in one round trip."""
    group_case = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(RaterGroup.values))
    ids = ", ".join(["%s"] * len(appraisal_ids))
    score = "COALESCE(k.override, k.computed)"
    sql = (
        f"SELECT 0, a.appraisal_id, CASE a.{connection.ops.quote_name('group')} {group_case} "
        f"ELSE -1 END, COALESCE(a.rater_id, -a.code_id, 0), r.item_id, r.value "
        f"FROM {Rating._meta.db_table} r JOIN {Assignment._meta.db_table} a "
        f"ON a.id = r.assignment_id WHERE a.appraisal_id IN ({ids}) AND a.status = %s "
        f"UNION ALL SELECT 1, k.appraisal_id, 0, 0, k.item_id, {score} "
        f"FROM {KpiScore._meta.db_table} k WHERE k.appraisal_id IN ({ids}) "
        f"AND {score} IS NOT NULL"
    )
    with hot_cursor() as cursor:
        cursor.execute(sql, [*appraisal_ids, AssignmentStatus.SUBMITTED, *appraisal_ids])
        rows = cursor.fetchall()
    table = np.array(rows, dtype=np.float64).reshape(-1, 6) if rows else np.zeros((0, 6))
    kpi = table[table[:, 0] == 1]
    return table[table[:, 0] == 0][:, 1:].copy(), (
        kpi[:, 1].astype(np.int64),
        kpi[:, 4].astype(np.int64),
        kpi[:, 5].copy(),
    )


def _rater_stats_for(
    cycle: Cycle, arrays: SchemeArrays, ratings: np.ndarray
) -> dict[tuple[int, int], tuple[int, float, float]]:
    """(scheme group index, rater key) → (count, mean, spread) over the cycle of the raters
    of these ratings in the groups that are standardized (the others need none): one
    aggregate query, whatever the number of ratings the raters gave."""
    all_groups = list(RaterGroup.values)
    standardized = {
        code for code, on in zip(arrays.group_codes, arrays.group_standardize, strict=True) if on
    }
    keys = {
        int(k)
        for g, k in zip(ratings[:, 1].tolist(), ratings[:, 2].tolist(), strict=True)
        if 0 <= g < len(all_groups) and all_groups[int(g)] in standardized
    }
    named = sorted(k for k in keys if k > 0)
    coded = sorted(-k for k in keys if k < 0)
    who = []
    params: list[Any] = [cycle.pk, *sorted(standardized)]
    if named:
        who.append(f"a.rater_id IN ({', '.join(['%s'] * len(named))})")
        params += named
    if coded:
        who.append(f"a.code_id IN ({', '.join(['%s'] * len(coded))})")
        params += coded
    if not who:
        return {}
    group = f"a.{connection.ops.quote_name('group')}"
    share = "r.value * 100.0 / CAST(i.max_score AS DOUBLE PRECISION)"
    ratings_of = (
        f"FROM {Rating._meta.db_table} r JOIN {SchemeItem._meta.db_table} i ON i.id = r.item_id"
    )
    # The status is grouped on, not filtered: a filter on it would let the planner pick the
    # (cycle, status) index from statistics older than the submissions and scan all of them.
    where = (
        f"WHERE a.cycle_id = %s AND {group} IN ({', '.join(['%s'] * len(standardized))}) "
        f"AND ({' OR '.join(who)}) GROUP BY {group}, a.rater_id, a.code_id, a.status"
    )
    # With stale planner statistics (a new cycle's ratings) PostgreSQL would take the ratings
    # table for tiny and scan it whole; a form's first statement turns that off for the rest
    # of its transaction (core.prepared.KEYED_PLANS_ONLY), so this join walks the indexes.
    sql = (
        f"SELECT {group}, a.rater_id, a.code_id, a.status, COUNT(*), SUM({share}), "
        f"SUM(({share}) * ({share})) {ratings_of} "
        f"JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id {where}"
    )
    # (A grid's raters give tens of thousands of rows, for which PostgreSQL would plan
    # parallel workers that cost more to start than they save: KEYED_PLANS_ONLY turns them
    # off for the form's transaction too.)
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    scheme_group = {g: i for i, g in enumerate(arrays.group_codes)}
    out: dict[tuple[int, int], tuple[int, float, float]] = {}
    for code, rater_id, code_id, status, n, total, squares in found:
        if code not in scheme_group or not n or status != AssignmentStatus.SUBMITTED:
            continue
        key = rater_id if rater_id is not None else -code_id
        mean = float(total) / n
        spread = math.sqrt(max(0.0, float(squares) / n - mean * mean))
        out[(scheme_group[code], key)] = (int(n), mean, spread)
    return out


def stale_since(cycle: Cycle) -> datetime.datetime | None:
    """When scores changed after the last full recompute (ranks and grades are then older)."""
    latest = (
        Appraisal.objects.filter(cycle=cycle)
        .order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    if cycle.computed_at is None or latest is None:
        return latest
    return latest if latest > cycle.computed_at else None
