"""Appraisal scoring: standardization, aggregation, ranks, grades and quotas, rater statistics,
eligibility, and a simulation showing that the correction recovers the truth better."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.appraisal import (
    Band,
    GroupSpec,
    QuotaRule,
    SectionSpec,
    aggregate_scores,
    apply_grades,
    head_count,
    rank_within,
    rater_statistics,
    standardize_by_rater,
)
from jixiao.engine.appraisal.eligibility import (
    COMMENT_ONLY,
    DEFERRED,
    GRADED,
    HOST_UNIT,
    NO_GRADE,
    eligibility,
    months_before,
)

I = np.int64  # noqa: E741 - short for the index dtype in these tables


# ---------------------------------------------------------------- standardization


def test_a_lenient_rater_is_pulled_towards_the_others():
    # rater 0 gives everyone 95, 90, 85; rater 1 gives 75, 70, 65 to the same three people
    values = np.array([95, 90, 85, 75, 70, 65], dtype=float)
    rater = np.array([0, 0, 0, 1, 1, 1], dtype=I)
    out = standardize_by_rater(
        values, rater, np.zeros(6, dtype=I), enabled=np.ones(6, bool), shrinkage=0
    )
    np.testing.assert_allclose(out.values[:3], out.values[3:])  # the same order, the same scale
    assert out.values.mean() == pytest.approx(values.mean())


def test_shrinkage_keeps_raters_of_few_people_close_to_their_raw_scores():
    values = np.array([100.0, 60, 70, 80, 90])
    rater = np.array([0, 1, 1, 1, 1], dtype=I)
    strong = standardize_by_rater(
        values, rater, np.zeros(5, dtype=I), enabled=np.ones(5, bool), shrinkage=100
    )
    weak = standardize_by_rater(
        values, rater, np.zeros(5, dtype=I), enabled=np.ones(5, bool), shrinkage=0
    )
    assert abs(strong.values[0] - 100) < abs(weak.values[0] - 100)
    assert strong.rater_weight[0] == pytest.approx(1 / 101)


def test_a_rater_who_gives_everyone_the_same_score_says_nothing():
    values = np.array([90.0, 90, 90, 50, 100])
    rater = np.array([0, 0, 0, 1, 1], dtype=I)
    out = standardize_by_rater(
        values, rater, np.zeros(5, dtype=I), enabled=np.ones(5, bool), shrinkage=0
    )
    np.testing.assert_allclose(out.values[:3], values.mean())


def test_strata_are_standardized_separately_and_can_be_switched_off():
    values = np.array([90.0, 80, 60, 50])
    rater = np.array([0, 1, 2, 3], dtype=I)
    stratum = np.array([0, 0, 1, 1], dtype=I)
    out = standardize_by_rater(
        values, rater, stratum, enabled=np.array([False, False, True, True]), shrinkage=0
    )
    np.testing.assert_array_equal(out.values[:2], values[:2])
    np.testing.assert_allclose(out.values[2:], 55.0)  # one rating each: no spread to keep


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.floats(0, 100)), min_size=1, max_size=60),
    st.floats(0, 10),
)
def test_standardized_scores_stay_on_the_scale(rows, k):
    values = np.array([r[1] for r in rows])
    rater = np.array([r[0] for r in rows], dtype=I)
    out = standardize_by_rater(
        values, rater, np.zeros(len(rows), dtype=I), enabled=np.ones(len(rows), bool), shrinkage=k
    )
    assert np.all((out.values >= 0) & (out.values <= 100))


# ---------------------------------------------------------------- aggregation


def _two_groups(respondents_peer: int) -> dict[str, Any]:
    # one appraisal; section 0 rated by superior (weight 0.6, min 1) and peers (0.4, min 3);
    # section 1 scored directly (KPI); sections weighted 0.7 / 0.3
    peers = list(range(1, 1 + respondents_peer))
    return {
        "appraisals": 1,
        "groups": [GroupSpec(0.6, 1), GroupSpec(0.4, 3)],
        "sections": [SectionSpec(0.7), SectionSpec(0.3)],
        "item_section": np.array([0, 0, 1], dtype=I),
        "item_weight": np.array([1.0, 3.0, 1.0]),
        "r_appraisal": np.zeros(2 + 2 * len(peers), dtype=I),
        "r_group": np.array([0, 0] + [1] * 2 * len(peers), dtype=I),
        "r_item": np.array([0, 1] + [0, 1] * len(peers), dtype=I),
        "r_rater": np.array([0, 0] + [p for p in peers for _ in (0, 1)], dtype=I),
        "r_value": np.array([80.0, 100.0] + [60.0, 70.0] * len(peers)),
        "d_appraisal": np.array([0], dtype=I),
        "d_item": np.array([2], dtype=I),
        "d_value": np.array([50.0]),
    }


def test_groups_items_and_sections_are_weighted():
    b = aggregate_scores(**_two_groups(3))
    superior = (80 * 1 + 100 * 3) / 4
    peers = (60 * 1 + 70 * 3) / 4
    assert b.group_section[0, 0, 0] == pytest.approx(superior)
    assert b.respondents[0].tolist() == [1, 3]
    assert b.section[0, 0] == pytest.approx(0.6 * superior + 0.4 * peers)
    assert b.section[0, 1] == 50.0
    assert b.total[0] == pytest.approx(0.7 * b.section[0, 0] + 0.3 * 50)


def test_a_group_below_its_threshold_does_not_count_and_weights_renormalize():
    b = aggregate_scores(**_two_groups(2))
    assert b.group_used[0].tolist() == [True, False]
    assert b.section[0, 0] == pytest.approx((80 + 300) / 4)


def test_a_missing_section_is_reported_and_the_rest_renormalized():
    spec = _two_groups(3)
    spec.update(d_appraisal=np.zeros(0, dtype=I), d_item=np.zeros(0, dtype=I), d_value=np.zeros(0))
    b = aggregate_scores(**spec)
    assert np.isnan(b.section[0, 1]) and b.sections_missing[0] == 1
    assert b.total[0] == pytest.approx(b.section[0, 0])


# ---------------------------------------------------------------- ranks


def test_ranks_within_groups_share_ties():
    score = np.array([90, 80, 80, 70, 95, np.nan, 60])
    group = np.array([0, 0, 0, 0, 1, 1, 1], dtype=I)
    assert rank_within(score, group).tolist() == [1, 2, 2, 4, 1, 0, 2]


# ---------------------------------------------------------------- grades and quotas

ORDER = ["excellent", "competent", "basic", "incompetent"]
BANDS = [Band("excellent", 90), Band("competent", 70), Band("basic", 60), Band("incompetent", -1e9)]


def test_head_counts_by_rounding_rule():
    assert head_count(0.20, 19, "at_most") == 4  # 3.8 rounds up for an "at most" limit
    assert head_count(0.20, 19, "at_most", "down") == 3
    assert head_count(0.20, 19, "at_most", "half_up") == 4
    assert head_count(0.05, 19, "at_least") == 0  # 0.95 rounds down for an "at least" limit
    assert head_count(0.15, 20, "at_most", "half_up") == 3
    assert head_count(0.25, 8, "at_most", "half_up") == 2


def test_nineteen_people_with_excellent_at_most_20_percent():
    score = np.array([99, 98, 97, 96, 95, 94, 93] + [80] * 12, dtype=float)
    rule = QuotaRule(("excellent",), "at_most", 0.20)
    r = apply_grades(
        score, np.ones(19, bool), np.zeros(19, dtype=I), order=ORDER, bands=BANDS, rules=[rule]
    )
    suggested = [ORDER[i] for i in r.suggested]
    assert suggested[:4] == ["excellent"] * 4
    assert suggested[4:7] == ["competent"] * 3
    assert r.reason[4] == "quota_down" and r.reason[0] == "band"
    assert [lim for _r, _p, lim in r.limits] == [4]


def test_ties_at_the_quota_boundary_are_flagged_not_broken():
    score = np.array([99, 98, 97, 95, 95, 95] + [80] * 14, dtype=float)  # 20 people, 4 places
    rule = QuotaRule(("excellent",), "at_most", 0.20, rounding="down")
    r = apply_grades(
        score, np.ones(20, bool), np.zeros(20, dtype=I), order=ORDER, bands=BANDS, rules=[rule]
    )
    assert [ORDER[i] for i in r.suggested[:3]] == ["excellent"] * 3
    assert r.tie[3:6].all() and not r.tie[:3].any()
    assert r.places[3] == 1  # one place left for three people tied at 95
    assert all(r.reason[i] == "tie" for i in (3, 4, 5))
    assert (r.suggested[3:6] == ORDER.index("competent")).all()


def test_people_not_graded_are_not_counted_in_the_quota():
    score = np.array([99, 98, 97, 96, 95, 80, 80, 80, 80, 80], dtype=float)
    graded = np.array([True] * 8 + [False] * 2)
    rule = QuotaRule(("excellent",), "at_most", 0.25, rounding="down")
    r = apply_grades(score, graded, np.zeros(10, dtype=I), order=ORDER, bands=BANDS, rules=[rule])
    assert [lim for _r, _p, lim in r.limits] == [2]
    assert r.suggested[8] == -1 and r.reason[8] == "not_graded"


def test_at_least_rules_move_the_lowest_into_the_bottom_grades_and_advisory_rules_only_report():
    order = ["S", "A", "B", "C", "D"]
    bands = [Band("S", 95), Band("A", 85), Band("B", 70), Band("C", 60), Band("D", -1e9)]
    score = np.array([96, 90, 88, 80, 78, 76, 74, 72, 71, 70], dtype=float)
    rules = [
        QuotaRule(("C", "D"), "at_least", 0.10, enforced=True),
        QuotaRule(("S", "A"), "at_most", 0.20, rounding="down", enforced=False),
    ]
    r = apply_grades(
        score, np.ones(10, bool), np.zeros(10, dtype=I), order=order, bands=bands, rules=rules
    )
    assert order[r.suggested[9]] == "C" and r.reason[9] == "quota_down"
    assert [v.rule.label or v.rule.op for v in r.violations] == ["at_most"]
    assert r.violations[0].actual == 3 and r.violations[0].limit == 2


def test_quotas_apply_within_each_population():
    score = np.array([99, 98, 80, 99, 98, 97, 80, 80], dtype=float)
    population = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype=I)
    rule = QuotaRule(("excellent",), "at_most", 0.34, rounding="down")
    r = apply_grades(score, np.ones(8, bool), population, order=ORDER, bands=BANDS, rules=[rule])
    assert [ORDER[i] for i in r.suggested] == [
        "excellent",
        "competent",
        "competent",
        "excellent",
        "competent",
        "competent",
        "competent",
        "competent",
    ]


# ---------------------------------------------------------------- rater statistics


def test_rater_statistics_flag_halo_and_leniency():
    rng = np.random.default_rng(5)
    rows = []
    for rater in range(8):
        for ratee in range(10):
            base = rng.normal(75, 8)
            for item in range(4):
                if rater == 0:  # one impression, every item alike
                    v = 70.0 + ratee * 2
                elif rater == 1:  # lenient
                    v = 97 + rng.normal(0, 1)
                else:
                    v = base + rng.normal(0, 6)
                rows.append((rater, ratee, item, float(np.clip(v, 0, 100))))
    a = np.array(rows)
    stats = rater_statistics(
        a[:, 3],
        a[:, 0].astype(I),
        a[:, 1].astype(I),
        a[:, 2].astype(I),
        np.zeros(len(rows), dtype=I),
        top_score=95,
    )
    by = {int(r): i for i, r in enumerate(stats.rater)}
    assert stats.halo_flag[by[0]] and stats.halo[by[0]] == pytest.approx(1.0)
    assert not stats.halo_flag[by[2]]
    assert stats.lenient[by[1]] and stats.top_heavy[by[1]]
    assert stats.ratees[by[3]] == 10 and stats.ratings[by[3]] == 40


# ---------------------------------------------------------------- eligibility


def D(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def test_every_eligibility_case():
    nat = np.datetime64("NaT", "D")
    hire = np.array(
        [
            D("2015-01-01"),
            D("2026-09-01"),
            D("2010-01-01"),
            D("2012-01-01"),
            D("2011-01-01"),
            D("2016-01-01"),
            D("2020-01-01"),
        ]
    )
    spans = [
        (2, "sick_leave", D("2026-01-10"), D("2026-09-30")),  # 264 days: no grade
        (3, "maternity", D("2026-01-01"), D("2026-10-31")),  # maternity: graded
        (4, "suspended", D("2026-11-01"), nat),  # open at the end: deferred
        (5, "seconded", D("2026-02-01"), D("2026-12-31")),  # host unit
        (6, "sick_leave", D("2026-03-01"), D("2026-06-30")),  # 4 months: graded
    ]
    e = eligibility(
        people=7,
        hire_date=hire,
        span_person=np.array([s[0] for s in spans], dtype=I),
        span_status=np.array([s[1] for s in spans]),
        span_start=np.array([s[2] for s in spans]),
        span_end=np.array([s[3] for s in spans]),
        cycle_start=datetime.date(2026, 1, 1),
        cycle_end=datetime.date(2026, 12, 31),
    )
    assert e.kind.tolist() == [GRADED, COMMENT_ONLY, NO_GRADE, GRADED, DEFERRED, HOST_UNIT, GRADED]
    assert e.leave_days[2] == 264 and e.leave_days[6] == 122


def test_months_before_handles_short_months():
    assert months_before(datetime.date(2026, 8, 31), 6) == datetime.date(2026, 2, 28)
    assert months_before(datetime.date(2026, 3, 15), 6) == datetime.date(2025, 9, 15)


# ---------------------------------------------------------------- simulation


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = np.argsort(np.argsort(a))
    rb = np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def test_correction_recovers_the_true_ranking_better_than_raw_means():
    rng = np.random.default_rng(2026)
    people, raters, per_person = 120, 40, 5
    truth = rng.normal(75, 8, people)
    bias = rng.choice([-15.0, -8.0, 0.0, 8.0, 15.0], raters)  # strong leniency and severity
    rows = []
    for p in range(people):
        for r in rng.choice(raters, per_person, replace=False):
            rows.append((p, r, float(np.clip(truth[p] + bias[r] + rng.normal(0, 4), 0, 100))))
    a = np.array(rows)
    ratee, rater, value = a[:, 0].astype(I), a[:, 1].astype(I), a[:, 2]
    raw = np.bincount(ratee, weights=value) / np.bincount(ratee)
    corrected_values = standardize_by_rater(
        value, rater, np.zeros(len(rows), dtype=I), enabled=np.ones(len(rows), bool)
    ).values
    corrected = np.bincount(ratee, weights=corrected_values) / np.bincount(ratee)
    raw_rho, corrected_rho = _spearman(raw, truth), _spearman(corrected, truth)
    assert corrected_rho > raw_rho + 0.05, (raw_rho, corrected_rho)
