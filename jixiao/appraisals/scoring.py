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
import json
from collections import defaultdict
from collections.abc import Callable
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
    Eligibility,
    KpiScore,
    KpiSource,
    RaterGroup,
    RaterStat,
    Rating,
    SchemeItem,
    SectionKind,
)
from jixiao.core.bulk import bulk_update_rows, insert_rows
from jixiao.engine import appraisal as engine
from jixiao.engine.appraisal.grades import NO_GRADE

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


def scheme_arrays(cycle: Cycle) -> SchemeArrays:
    scheme = cycle.scheme
    sections = list(scheme.sections.order_by("position", "id"))
    section_pos = {s.pk: i for i, s in enumerate(sections)}
    items = list(
        SchemeItem.objects.filter(section__scheme=scheme).order_by(
            "section__position", "position", "id"
        )
    )
    groups = list(scheme.groups.order_by("id"))
    return SchemeArrays(
        section_codes=[s.code for s in sections],
        section_names=[s.name for s in sections],
        section_kinds=[s.kind for s in sections],
        section_weights=np.array([float(s.weight) for s in sections]),
        item_ids=np.array([i.pk for i in items], dtype=np.int64),
        item_codes=[i.code for i in items],
        item_names=[i.name for i in items],
        item_section=np.array([section_pos[i.section_id] for i in items], dtype=np.int64),
        item_weight=np.array([float(i.weight) for i in items]),
        item_max=np.array([float(i.max_score) for i in items]),
        item_source=[i.kpi_source for i in items],
        item_indicator=[i.indicator_id for i in items],
        group_codes=[g.group for g in groups],
        groups=[engine.GroupSpec(float(g.weight), int(g.min_responses)) for g in groups],
        group_standardize=np.array([bool(g.standardize) for g in groups]),
        group_anonymous=[bool(g.anonymous) for g in groups],
        grades=list(scheme.grades),
        quota_rules=list(scheme.quota_rules),
        shrinkage=float(scheme.shrinkage),
    )


# ---------------------------------------------------------------- reading ratings fast


def submitted_ratings(cycle: Cycle, appraisal_ids: list[int] | None = None) -> np.ndarray:
    """(appraisal, group index, rater key, item, value) of every submitted rating, as a float
    array; a rating given through a code has the negative code id as its rater key."""
    group_case = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(RaterGroup.values))
    where = "a.cycle_id = %s AND a.status = %s"
    params: list[Any] = [cycle.pk, AssignmentStatus.SUBMITTED]
    if appraisal_ids is not None:
        where += f" AND a.appraisal_id IN ({', '.join(['%s'] * len(appraisal_ids))})"
        params += appraisal_ids
    sql = (
        f"SELECT a.appraisal_id, CASE a.{connection.ops.quote_name('group')} {group_case} END, "
        f"COALESCE(a.rater_id, -a.code_id), r.item_id, r.value "
        f"FROM {Rating._meta.db_table} r JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id "
        f"WHERE {where}"
    )
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(200_000)
            if not rows:
                break
            chunks.append(np.array(rows, dtype=np.float64))
    return np.concatenate(chunks) if chunks else np.zeros((0, 5))


# ---------------------------------------------------------------- KPI scores


def compute_kpis(cycle: Cycle, arrays: SchemeArrays, appraisals: list[tuple[int, int]]) -> None:
    """Fill KpiScore.computed for every KPI item of every appraisal (set-based).

    goal_progress: the weighted progress of the person's goals whose period lies in the cycle,
    as a share of the item's full score (100% progress or more is full marks).
    indicator: the indicator's rule applied to the person's key results on that indicator.
    manual: nothing is computed; the office enters the score.
    """
    from jixiao.goals.models import Goal, GoalLevel, KeyResult

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
            period, level=GoalLevel.PERSON, person_id__in=person_ids, progress__isnull=False
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
    existing = {
        (a, it): (pk, override)
        for pk, a, it, override in KpiScore.objects.filter(appraisal__cycle=cycle).values_list(
            "id", "appraisal_id", "item_id", "override"
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


@dataclass
class CycleScores:
    appraisal_ids: np.ndarray
    breakdown: engine.ScoreBreakdown
    raw: engine.ScoreBreakdown
    ratings: np.ndarray
    corrected: np.ndarray
    standardized: engine.Standardized


def _compute(
    cycle: Cycle,
    arrays: SchemeArrays,
    appraisal_ids: np.ndarray,
    ratings: np.ndarray,
    direct: list[tuple[int, int, float]],
    rater_stats_override: dict[tuple[int, int], tuple[int, float, float]] | None = None,
) -> CycleScores:
    """Scores of the given appraisals from their ratings (rows of submitted_ratings)."""
    index = {int(a): i for i, a in enumerate(appraisal_ids)}
    items = arrays.item_index()
    all_groups = list(RaterGroup.values)
    scheme_group = {g: i for i, g in enumerate(arrays.group_codes)}
    # ratings of groups the scheme has, of items it has, of these appraisals
    keep = (
        np.array(
            [
                int(r[0]) in index and int(r[3]) in items and all_groups[int(r[1])] in scheme_group
                for r in ratings
            ],
            dtype=bool,
        )
        if ratings.size
        else np.zeros(0, dtype=bool)
    )
    r = ratings[keep] if ratings.size else np.zeros((0, 5))
    ra = np.array([index[int(x)] for x in r[:, 0]], dtype=np.int64)
    rg = np.array([scheme_group[all_groups[int(x)]] for x in r[:, 1]], dtype=np.int64)
    ri = np.array([items[int(x)] for x in r[:, 3]], dtype=np.int64)
    raters, rr = (
        np.unique(r[:, 2].astype(np.int64), return_inverse=True)
        if r.size
        else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )
    rv = r[:, 4] / arrays.item_max[ri] * 100.0 if r.size else np.zeros(0)
    std = engine.standardize_by_rater(
        rv,
        rr.astype(np.int64),
        rg,
        enabled=arrays.group_standardize[rg] if rg.size else np.zeros(0, bool),
        shrinkage=arrays.shrinkage,
    )
    if rater_stats_override is not None and rv.size:
        std = _standardize_with(rv, rr, raters, rg, arrays, rater_stats_override, cycle)
    d = [(index[a], items[it], v) for a, it, v in direct if a in index and it in items]
    da = np.array([x[0] for x in d], dtype=np.int64)
    di = np.array([x[1] for x in d], dtype=np.int64)
    dv = np.array([x[2] / arrays.item_max[x[1]] * 100.0 for x in d], dtype=np.float64)
    common = {
        "appraisals": len(appraisal_ids),
        "groups": arrays.groups,
        "sections": [engine.SectionSpec(float(w)) for w in arrays.section_weights],
        "item_section": arrays.item_section,
        "item_weight": arrays.item_weight,
        "r_appraisal": ra,
        "r_group": rg,
        "r_item": ri,
        "r_rater": rr.astype(np.int64),
        "d_appraisal": da,
        "d_item": di,
        "d_value": dv,
    }
    corrected = engine.aggregate_scores(**common, r_value=std.values)
    raw = engine.aggregate_scores(**common, r_value=rv)
    return CycleScores(appraisal_ids, corrected, raw, r, std.values, std)


def _standardize_with(
    rv: np.ndarray,
    rr: np.ndarray,
    raters: np.ndarray,
    rg: np.ndarray,
    arrays: SchemeArrays,
    stats: dict[tuple[int, int], tuple[int, float, float]],
    cycle: Cycle,
) -> engine.Standardized:
    """Standardize one ratee's ratings with the raters' cycle-wide statistics."""
    mu_sigma = cycle.group_stats or {}
    out = rv.copy()
    weights = np.zeros(rv.size)
    for k in range(rv.size):
        g = int(rg[k])
        if not arrays.group_standardize[g]:
            continue
        n, m, s = stats.get((g, int(raters[rr[k]])), (1, rv[k], 0.0))
        gstats = mu_sigma.get(arrays.group_codes[g])
        if not gstats:
            continue
        mu, sigma = float(gstats[0]), float(gstats[1])
        w = n / (n + arrays.shrinkage)
        z = (rv[k] - m) / s if s > 0 else 0.0
        out[k] = min(100.0, max(0.0, w * (mu + sigma * z) + (1 - w) * rv[k]))
        weights[k] = w
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


def _breakdown(
    arrays: SchemeArrays, s: CycleScores, i: int, direct: dict[tuple[int, int], float]
) -> dict[str, Any]:
    b, raw = s.breakdown, s.raw
    sections = []
    for k, code in enumerate(arrays.section_codes):
        groups = []
        for g, gcode in enumerate(arrays.group_codes):
            value = b.group_section[i, g, k]
            if not np.isfinite(value) and not b.respondents[i, g]:
                continue
            if not np.isfinite(value):
                continue
            groups.append(
                {
                    "group": gcode,
                    "weight": arrays.groups[g].weight,
                    "respondents": int(b.respondents[i, g]),
                    "min": arrays.groups[g].min_responses,
                    "used": bool(b.group_used[i, g]),
                    "score": round(float(value), 3),
                    "raw": round(float(raw.group_section[i, g, k]), 3),
                    "corrected": bool(arrays.group_standardize[g]),
                }
            )
        items = [
            {
                "code": arrays.item_codes[it],
                "name": arrays.item_names[it],
                "weight": float(arrays.item_weight[it]),
                "score": round(direct[(i, int(it))], 3),
            }
            for it in np.flatnonzero(arrays.item_section == k)
            if (i, int(it)) in direct
        ]
        sections.append(
            {
                "code": code,
                "name": arrays.section_names[k],
                "kind": arrays.section_kinds[k],
                "weight": float(arrays.section_weights[k]),
                "score": None
                if not np.isfinite(b.section[i, k])
                else round(float(b.section[i, k]), 3),
                "raw": None
                if not np.isfinite(raw.section[i, k])
                else round(float(raw.section[i, k]), 3),
                "groups": groups,
                "items": items,
            }
        )
    return {
        "sections": sections,
        "total": None if not np.isfinite(b.total[i]) else round(float(b.total[i]), 3),
        "raw_total": None if not np.isfinite(raw.total[i]) else round(float(raw.total[i]), 3),
        "missing_sections": int(b.sections_missing[i]),
    }


def _none(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


Progress = Callable[[str, float], None]


def recompute_cycle(cycle_id: int, *, progress: Progress | None = None) -> dict[str, Any]:
    """Score every appraisal of the cycle, rank, suggest grades and write it all back."""
    report = progress or (lambda _stage, _share: None)
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
    direct = kpi_scores(cycle)
    report("compute", 0.45)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    scores = _compute(cycle, arrays, ids, ratings, direct)
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
    index_direct = {}
    items = arrays.item_index()
    pos = {int(a): i for i, a in enumerate(ids)}
    for a, it, v in direct:
        if a in pos and it in items:
            index_direct[(pos[a], items[it])] = v / float(arrays.item_max[items[it]]) * 100.0
    now = timezone.now()
    updates = []
    for i, appraisal_id in enumerate(ids.tolist()):
        band = suggested = reason = ""
        tie = False
        if grading is not None:
            if refused[i]:
                band = suggested = order[-1]
                reason = "refused"
            elif grading.suggested[i] != NO_GRADE:
                band = order[grading.band[i]] if grading.band[i] != NO_GRADE else ""
                suggested = order[grading.suggested[i]]
                reason = grading.reason[i]
                tie = bool(grading.tie[i])
            else:
                reason = grading.reason[i]
        updates.append(
            Appraisal(
                pk=appraisal_id,
                total=_none(total[i]),
                raw_total=_none(scores.raw.total[i]),
                rank_department=int(rank_department[i]) or None,
                rank_unit=int(rank_unit[i]) or None,
                band_grade=band,
                suggested_grade=suggested,
                grade_reason=reason,
                tie=tie,
                breakdown=_breakdown(arrays, scores, i, index_direct),
                computed_at=now,
            )
        )
    with transaction.atomic():
        bulk_update_rows(
            Appraisal,
            updates,
            [
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
            ],
        )
        stats = _write_rater_stats(cycle, arrays, scores)
        Cycle.objects.filter(pk=cycle.pk).update(group_stats=stats, computed_at=now)
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
        "ties": int(sum(1 for u in updates if u.tie)),
        "violations": violations,
        "limits": []
        if grading is None
        else [{"label": r.label, "limit": n} for r, _p, n in grading.limits],
    }


def _write_rater_stats(
    cycle: Cycle, arrays: SchemeArrays, scores: CycleScores
) -> dict[str, list[float]]:
    """Replace the cycle's rater statistics; return each group's mean and spread (for the
    incremental rescoring of one ratee)."""
    r = scores.ratings
    RaterStat.objects.filter(cycle=cycle).delete()
    if not r.size:
        return {}
    index = {int(a): i for i, a in enumerate(scores.appraisal_ids)}
    all_groups = list(RaterGroup.values)
    scheme_group = {g: i for i, g in enumerate(arrays.group_codes)}
    rg = np.array([scheme_group[all_groups[int(x)]] for x in r[:, 1]], dtype=np.int64)
    raters, rr = np.unique(r[:, 2].astype(np.int64), return_inverse=True)
    items = arrays.item_index()
    ri = np.array([items[int(x)] for x in r[:, 3]], dtype=np.int64)
    values = r[:, 4] / arrays.item_max[ri] * 100.0
    ratee = np.array([index[int(x)] for x in r[:, 0]], dtype=np.int64)
    stats = engine.rater_statistics(values, rr.astype(np.int64), ratee, ri, rg, top_score=95.0)
    rows = []
    alias_counter: dict[int, int] = defaultdict(int)
    for k in range(stats.rater.size):
        g = int(stats.stratum[k])
        key = int(raters[stats.rater[k]])
        anonymous = arrays.group_anonymous[g] or key < 0
        alias_counter[g] += 1
        flags = [
            name
            for name, on in (
                ("lenient", stats.lenient[k]),
                ("severe", stats.severe[k]),
                ("central", stats.central[k]),
                ("halo", stats.halo_flag[k]),
                ("top_heavy", stats.top_heavy[k]),
            )
            if on
        ]
        rows.append(
            (
                cycle.pk,
                arrays.group_codes[g],
                None if anonymous else key,
                f"#{alias_counter[g]}" if anonymous else "",
                int(stats.ratings[k]),
                int(stats.ratees[k]),
                float(stats.mean[k]),
                float(stats.sd[k]),
                None if not np.isfinite(stats.halo[k]) else float(stats.halo[k]),
                float(stats.top_share[k]),
                flags,
            )
        )
    # anonymous rows are shuffled so their order says nothing about who they are
    rng = np.random.default_rng()
    named = [x for x in rows if x[2] is not None]
    anonymous_rows = [x for x in rows if x[2] is None]
    anonymous_rows = [anonymous_rows[j] for j in rng.permutation(len(anonymous_rows))]
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
        [(*x[:10], json.dumps(x[10])) for x in named + anonymous_rows],
    )
    groups_stats: dict[str, list[float]] = {}
    for g, code in enumerate(arrays.group_codes):
        v = values[rg == g]
        if v.size:
            groups_stats[code] = [float(v.mean()), float(v.std())]
    return groups_stats


def recompute_appraisals(appraisal_ids: list[int]) -> None:
    """Rescore some appraisals of one cycle after submissions, with their raters' current
    statistics: a fixed number of queries for any number of appraisals."""
    if not appraisal_ids:
        return
    cycle_id = (
        Appraisal.objects.filter(pk=appraisal_ids[0]).values_list("cycle_id", flat=True).get()
    )
    cycle = Cycle.objects.select_related("scheme").get(pk=cycle_id)
    arrays = scheme_arrays(cycle)
    ids = sorted(set(appraisal_ids))
    ratings = submitted_ratings(cycle, ids)
    direct = kpi_scores(cycle, ids)
    stats: dict[tuple[int, int], tuple[int, float, float]] = {}
    if ratings.size and arrays.group_standardize.any():
        stats = _rater_stats_for(cycle, arrays, ratings)
    scores = _compute(cycle, arrays, np.array(ids, dtype=np.int64), ratings, direct, stats)
    items = arrays.item_index()
    pos = {a: i for i, a in enumerate(ids)}
    index_direct = {
        (pos[a], items[it]): v / float(arrays.item_max[items[it]]) * 100.0
        for a, it, v in direct
        if it in items and a in pos
    }
    now = timezone.now()
    bulk_update_rows(
        Appraisal,
        [
            Appraisal(
                pk=a,
                total=_none(scores.breakdown.total[i]),
                raw_total=_none(scores.raw.total[i]),
                breakdown=_breakdown(arrays, scores, i, index_direct),
                computed_at=now,
            )
            for i, a in enumerate(ids)
        ],
        ["total", "raw_total", "breakdown", "computed_at"],
    )


def _rater_stats_for(
    cycle: Cycle, arrays: SchemeArrays, ratings: np.ndarray
) -> dict[tuple[int, int], tuple[int, float, float]]:
    """(scheme group index, rater key) → (count, mean, spread) over the cycle, one query."""
    from jixiao.appraisals.models import Rating

    keys = {int(k) for k in ratings[:, 2]}
    named = [k for k in keys if k > 0]
    coded = [-k for k in keys if k < 0]
    qs = Rating.objects.filter(
        assignment__cycle=cycle, assignment__status=AssignmentStatus.SUBMITTED
    ).filter(Q(assignment__rater_id__in=named) | Q(assignment__code_id__in=coded))
    per: dict[tuple[str, int], list[float]] = defaultdict(list)
    maxima = {int(pk): float(m) for pk, m in zip(arrays.item_ids, arrays.item_max, strict=True)}
    for group, rater_id, code_id, item_id, value in qs.values_list(
        "assignment__group", "assignment__rater_id", "assignment__code_id", "item_id", "value"
    ):
        key = rater_id if rater_id is not None else -code_id
        per[(group, key)].append(value / maxima.get(item_id, 100.0) * 100.0)
    scheme_group = {g: i for i, g in enumerate(arrays.group_codes)}
    out: dict[tuple[int, int], tuple[int, float, float]] = {}
    for (group, key), values in per.items():
        if group in scheme_group:
            v = np.array(values)
            out[(scheme_group[group], key)] = (v.size, float(v.mean()), float(v.std()))
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
