"""From ratings and direct scores to section scores and totals (DOMAIN.md §3, §5).

For each appraisal (one person in one cycle):

1. item mean per rater group: the mean of the (corrected) ratings of that item by the group;
2. section score per group: the weighted mean of the group's item means (item weights
   renormalized over the items the group rated);
3. a group counts when it has at least its minimum number of respondents (its anonymity
   threshold) and a positive weight; the section score is the weighted mean of the counting
   groups, weights renormalized over them;
4. sections scored directly (KPI items computed from indicator actuals, regular-cycle results)
   take the weighted mean of their items instead;
5. the total is the weighted sum of section scores, weights renormalized over the sections
   that have a score (a missing section is reported, not counted as zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jixiao.engine.appraisal.keys import group_keys

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    weight: float
    min_responses: int = 1


@dataclass(frozen=True, slots=True)
class SectionSpec:
    weight: float


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    group_section: Floats
    """(appraisals, groups, sections): a group's score of a section, NaN where it gave none."""
    respondents: Ints
    """(appraisals, groups): distinct raters who rated the appraisal in the group."""
    group_used: Bools
    """(appraisals, groups): whether the group counted (enough respondents, weight > 0)."""
    section: Floats
    """(appraisals, sections): the section scores, NaN where a section has no score."""
    total: Floats
    """(appraisals,): the weighted total, NaN when no section has a score."""
    sections_missing: Ints
    """(appraisals,): sections with a weight but no score."""


def _weighted_mean(key: Ints, value: Floats, weight: Floats, size: int) -> Floats:
    ok = np.isfinite(value)
    k, v, w = key[ok], value[ok], np.clip(weight[ok], 0.0, None)
    sw = np.bincount(k, weights=w, minlength=size)
    swv = np.bincount(k, weights=w * v, minlength=size)
    cnt = np.bincount(k, minlength=size)
    sv = np.bincount(k, weights=v, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sw > 0, swv / sw, np.where(cnt > 0, sv / np.maximum(cnt, 1), np.nan))


def aggregate_scores(
    *,
    appraisals: int,
    groups: Sequence[GroupSpec],
    sections: Sequence[SectionSpec],
    item_section: Ints,
    item_weight: Floats,
    r_appraisal: Ints,
    r_group: Ints,
    r_item: Ints,
    r_rater: Ints,
    r_value: Floats,
    d_appraisal: Ints,
    d_item: Ints,
    d_value: Floats,
) -> ScoreBreakdown:
    """Section scores and totals of every appraisal from its ratings (r_*) and its direct item
    scores (d_*). Indexes are small integers into the appraisals, groups, items and sections."""
    return aggregate_scores_many(
        appraisals=appraisals,
        groups=groups,
        sections=sections,
        item_section=item_section,
        item_weight=item_weight,
        r_appraisal=r_appraisal,
        r_group=r_group,
        r_item=r_item,
        r_rater=r_rater,
        r_values=[r_value],
        d_appraisal=d_appraisal,
        d_item=d_item,
        d_value=d_value,
    )[0]


def aggregate_scores_many(
    *,
    appraisals: int,
    groups: Sequence[GroupSpec],
    sections: Sequence[SectionSpec],
    item_section: Ints,
    item_weight: Floats,
    r_appraisal: Ints,
    r_group: Ints,
    r_item: Ints,
    r_rater: Ints,
    r_values: Sequence[Floats],
    d_appraisal: Ints,
    d_item: Ints,
    d_value: Floats,
) -> list[ScoreBreakdown]:
    """aggregate_scores for several value arrays of the same ratings (e.g. corrected and
    raw): the grouping, respondents and direct sections are worked out once."""
    a_n, g_n, s_n = appraisals, len(groups), len(sections)
    item_section = np.asarray(item_section, dtype=np.int64)
    item_weight = np.asarray(item_weight, dtype=np.float64)
    i_n = item_section.size
    ra = np.asarray(r_appraisal, dtype=np.int64)
    rg = np.asarray(r_group, dtype=np.int64)
    ri = np.asarray(r_item, dtype=np.int64)
    rr = np.asarray(r_rater, dtype=np.int64)

    # 1. the (appraisal, group, item) of each rating
    agi_key = (ra * g_n + rg) * i_n + ri
    keys, inverse = group_keys(agi_key, a_n * g_n * i_n)
    k_item = keys % i_n
    k_ag = keys // i_n
    ags_key = k_ag * s_n + item_section[k_item]
    # 3. respondents and which groups count
    triples = np.unique((ra * g_n + rg) * (int(rr.max()) + 1 if rr.size else 1) + rr)
    ag_of_triple = triples // (int(rr.max()) + 1 if rr.size else 1)
    respondents = np.bincount(ag_of_triple, minlength=a_n * g_n).reshape(a_n, g_n)
    g_weight = np.array([max(g.weight, 0.0) for g in groups], dtype=np.float64)
    g_min = np.array([max(g.min_responses, 1) for g in groups], dtype=np.int64)
    group_used = (respondents >= g_min[None, :]) & (g_weight[None, :] > 0)
    # 4. direct sections
    da = np.asarray(d_appraisal, dtype=np.int64)
    di = np.asarray(d_item, dtype=np.int64)
    dv = np.asarray(d_value, dtype=np.float64)
    direct = _weighted_mean(da * s_n + item_section[di], dv, item_weight[di], a_n * s_n).reshape(
        a_n, s_n
    )
    s_weight = np.array([max(s.weight, 0.0) for s in sections], dtype=np.float64)
    out: list[ScoreBreakdown] = []
    for r_value in r_values:
        rv = np.asarray(r_value, dtype=np.float64)
        # 1. item mean per (appraisal, group, item)
        item_mean = _weighted_mean(inverse, rv, np.ones_like(rv), keys.size)
        # 2. section score per (appraisal, group, section)
        group_section = _weighted_mean(ags_key, item_mean, item_weight[k_item], a_n * g_n * s_n)
        group_section = group_section.reshape(a_n, g_n, s_n)
        usable = group_used[:, :, None] & np.isfinite(group_section)
        w = np.where(usable, g_weight[None, :, None], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rated = np.where(
                w.sum(axis=1) > 0,
                np.nansum(np.where(usable, group_section, 0.0) * w, axis=1) / w.sum(axis=1),
                np.nan,
            )
        section = np.where(np.isfinite(direct), direct, rated)
        # 5. total over the sections with a score
        has = np.isfinite(section) & (s_weight[None, :] > 0)
        sw = np.where(has, s_weight[None, :], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.where(
                sw.sum(axis=1) > 0,
                (np.where(has, section, 0.0) * sw).sum(axis=1) / sw.sum(axis=1),
                np.nan,
            )
        missing = ((s_weight[None, :] > 0) & ~np.isfinite(section)).sum(axis=1).astype(np.int64)
        out.append(
            ScoreBreakdown(
                group_section=group_section,
                respondents=respondents.astype(np.int64),
                group_used=group_used,
                section=section,
                total=total,
                sections_missing=missing,
            )
        )
    return out
