"""Schemes from presets, cycles with their population and raters, rating, one-time codes and
scoring with quotas, as the services do them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from jixiao.appraisals import codes, cycles, phases, rating, schemes, scoring
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    Eligibility,
    KpiScore,
    RaterStat,
    Scheme,
    SchemeItem,
)
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.org.models import Person, PersonStatusChange
from tests.appraisals.conftest import actor


def conduct_ratings(cycle: Cycle, level: int = 4) -> list[rating.RatingInput]:
    items = SchemeItem.objects.filter(section__scheme=cycle.scheme, section__code="conduct")
    return [rating.RatingInput(item_id=i.pk, level=level) for i in items]


def all_ratings(cycle: Cycle, group: str, level: int) -> list[rating.RatingInput]:
    rules = rating.items_for_groups(cycle.scheme_id)[group]
    return [rating.RatingInput(item_id=i, level=level) for i in rules]


# ---------------------------------------------------------------- schemes


@pytest.mark.parametrize("preset", ["civil_servant", "institution", "company"])
def test_every_preset_makes_a_valid_scheme(org, preset):
    perfadmin = org.users["perfadmin"]
    scheme = schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset=preset, code=preset[:8]
    )
    assert scheme.sections.exists() and scheme.groups.exists()
    assert abs(sum(s.weight for s in scheme.sections.all()) - Decimal(100)) < Decimal("0.01")
    assert scheme.quota_rules


def test_only_administrators_make_schemes(org):
    with pytest.raises(DomainError) as err:
        schemes.scheme_from_preset(
            actor=actor(org.users["head"]), user=org.users["head"], preset="company", code="X"
        )
    assert err.value.status == 403


def test_scheme_validation_names_each_problem(org):
    data = schemes.SchemeData.from_preset("company", "BAD")
    data.sections[0].weight = Decimal(50)
    data.sections[1].items[0].indicator_code = "NOPE"
    data.quota_rules.append({"grades": ["B"], "op": "at_most", "share": 0.5})
    data.grades[2]["min_score"] = 99
    errors, _indicators = schemes.validate_scheme(data)
    codes_ = {(e.field, e.code) for e in errors}
    assert ("sections", "weights_not_100") in codes_
    assert ("sections[1].items[0].indicator", "unknown_indicator") in codes_
    assert any(c == "quota_grades_not_at_an_end" for _f, c in codes_)
    assert any(c == "grades_out_of_order" for _f, c in codes_)


def test_editing_a_scheme_used_by_a_cycle_makes_a_new_version(org, cycle):
    perfadmin = org.users["perfadmin"]
    data = schemes.SchemeData.of(cycle.scheme)
    data.grades[0]["min_score"] = 92
    newer = schemes.scheme_update(
        actor=actor(perfadmin),
        user=perfadmin,
        scheme_id=cycle.scheme_id,
        expected_version=cycle.scheme.version,
        data=data,
    )
    assert newer.pk != cycle.scheme_id and newer.revision == 2
    cycle.refresh_from_db()
    assert cycle.scheme.grades[0]["min_score"] == 90
    assert Scheme.objects.get(code="GWY", is_latest=True) == newer


# ---------------------------------------------------------------- cycles


def test_a_cycle_appraises_its_population_with_generated_raters(org, cycle):
    people = set(Appraisal.objects.filter(cycle=cycle).values_list("person__name", flat=True))
    assert people == {"王主任", "李文", "赵敏", "陈晨"}
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    groups = {(g, r) for g, r in employee.assignments.values_list("group", "rater__name")}
    assert ("self", "李文") in groups and ("superior", "王主任") in groups
    assert ("peer", "赵敏") in groups  # the only other person of 文秘科
    assert not any(g == "leader" for g, _r in groups)  # the head has no superior
    assert AuditRecord.objects.filter(action="appraisals.cycle.create").count() == 1


def test_peers_are_chosen_reproducibly_and_everyone_rates_as_many_as_rate_them():
    import numpy as np

    members = list(range(100, 130))
    a = cycles._peer_pairs(members, 5, np.random.default_rng([7, 1]))
    b = cycles._peer_pairs(members, 5, np.random.default_rng([7, 1]))
    assert a == b and len(a) == 150
    from collections import Counter

    assert set(Counter(r for _e, r in a).values()) == {5}
    assert all(e != r for e, r in a)


def test_eligibility_is_applied_with_its_reason(org, scheme):
    Person.objects.filter(pk=org.peer.pk).update(hire_date=datetime.date(2026, 10, 8))
    PersonStatusChange.objects.create(
        person=org.outsider, status="suspended", start_date=datetime.date(2026, 11, 1)
    )
    perfadmin = org.users["perfadmin"]
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="年度",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.unit.pk]),
        ),
    )
    by = {a.person_id: a for a in Appraisal.objects.filter(cycle=cycle)}
    assert (
        by[org.peer.pk].eligibility == Eligibility.COMMENT_ONLY
        and "2026-10-08" in by[org.peer.pk].eligibility_reason
    )
    assert by[org.outsider.pk].eligibility == Eligibility.DEFERRED
    assert by[org.employee.pk].eligibility == Eligibility.GRADED


def test_a_head_cannot_create_a_cycle(org, scheme):
    with pytest.raises(DomainError) as err:
        cycles.cycle_create(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            data=cycles.CycleData(
                name="x",
                kind="annual",
                unit_id=org.unit.pk,
                scheme_id=scheme.pk,
                start=datetime.date(2026, 1, 1),
                end=datetime.date(2026, 12, 31),
                population=cycles.Population(department_ids=[org.unit.pk]),
            ),
        )
    assert err.value.status == 403


def test_phases_move_forwards_or_back_one(org, cycle):
    perfadmin = org.users["perfadmin"]
    scoring.recompute_cycle(cycle.pk)
    moved = phases.cycle_set_phase(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        expected_version=cycle.version,
        phase="results",
    )
    assert moved.phase == "results"
    with pytest.raises(DomainError):
        phases.cycle_set_phase(
            actor=actor(perfadmin),
            user=perfadmin,
            cycle_id=cycle.pk,
            expected_version=moved.version,
            phase="self_assessment",
        )
    with pytest.raises(DomainError):
        phases.cycle_set_phase(
            actor=actor(perfadmin),
            user=perfadmin,
            cycle_id=cycle.pk,
            expected_version=cycle.version,
            phase="closed",
        )


# ---------------------------------------------------------------- rating


def _assignment(cycle, appraisee, group, rater) -> Assignment:
    return Assignment.objects.get(
        cycle=cycle, appraisal__person=appraisee, group=group, rater=rater
    )


def test_a_rater_rates_only_their_own_assignments_and_only_once(org, cycle):
    mine = _assignment(cycle, org.peer, "peer", org.employee)
    other = _assignment(cycle, org.employee, "peer", org.peer)
    employee = org.users["employee"]
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(employee),
            user=employee,
            entries=[
                rating.AssignmentInput(other.pk, other.version, all_ratings(cycle, "peer", 4))
            ],
            submit=False,
        )
    assert err.value.status == 404
    rating.ratings_save(
        actor=actor(employee),
        user=employee,
        entries=[rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "peer", 4)[:1])],
        submit=False,
    )
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.DRAFT
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(employee),
            user=employee,
            entries=[
                rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "peer", 4)[:1])
            ],
            submit=True,
        )
    assert err.value.all_errors()[0].code == "incomplete"
    rating.ratings_save(
        actor=actor(employee),
        user=employee,
        entries=[rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "peer", 4))],
        submit=True,
    )
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.SUBMITTED and mine.ratings.count() == 5
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(employee),
            user=employee,
            entries=[rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "peer", 5))],
            submit=True,
        )
    assert err.value.code == "already_submitted"


def test_nobody_rates_when_rating_is_closed(org, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RESULTS)
    mine = _assignment(cycle, org.employee, "superior", org.head)
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            entries=[
                rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "superior", 4))
            ],
            submit=True,
        )
    assert err.value.code == "rating_closed"


def test_a_stale_form_cannot_overwrite_a_newer_draft(org, cycle):
    mine = _assignment(cycle, org.employee, "superior", org.head)
    head = org.users["head"]
    rating.ratings_save(
        actor=actor(head),
        user=head,
        entries=[rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "superior", 3))],
        submit=False,
    )
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(head),
            user=head,
            entries=[
                rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "superior", 5))
            ],
            submit=False,
        )
    assert err.value.code == "concurrent_edit"


def test_anonymous_ratings_leave_no_trace_of_who_rated_whom(org, cycle):
    mine = _assignment(cycle, org.peer, "peer", org.employee)
    employee = org.users["employee"]
    rating.ratings_save(
        actor=actor(employee),
        user=employee,
        entries=[rating.AssignmentInput(mine.pk, mine.version, all_ratings(cycle, "peer", 5))],
        submit=True,
    )
    record = AuditRecord.objects.get(action="appraisals.rating.submit")
    assert record.object_type == "appraisals.cycle" and record.changes == {
        "anonymous_ratings": [0, 1]
    }
    superior = _assignment(cycle, org.peer, "superior", org.head)
    rating.ratings_save(
        actor=actor(org.users["head"]),
        user=org.users["head"],
        entries=[
            rating.AssignmentInput(superior.pk, superior.version, all_ratings(cycle, "superior", 4))
        ],
        submit=True,
    )
    named = AuditRecord.objects.filter(
        action="appraisals.rating.submit", object_type="appraisals.appraisal"
    ).get()
    assert named.changes["group"] == [None, "superior"]


# ---------------------------------------------------------------- codes


def test_one_time_codes_rate_once_without_an_account(org, cycle):
    perfadmin = org.users["perfadmin"]
    made = codes.code_batch_create(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        department_id=org.secretariat.pk,
        size=3,
    )
    assert len(made.codes) == 3 and len(set(made.codes)) == 3
    assert not any(
        c in str(AuditRecord.objects.values_list("changes", flat=True)) for c in made.codes
    )
    found = codes.code_open(code=made.codes[0].lower())
    ratees = codes.code_ratees(found)
    assert {a.person.name for a in ratees} == {"李文", "赵敏"}
    entries = [codes.CodeRating(a.pk, all_ratings(cycle, "peer", 4)) for a in ratees]
    assert codes.code_submit(code_id=found.pk, entries=entries) == 2
    used = Assignment.objects.filter(code=found)
    assert used.count() == 2 and not used.filter(rater__isnull=False).exists()
    with pytest.raises(DomainError):
        codes.code_open(code=made.codes[0])
    with pytest.raises(DomainError):
        codes.code_submit(code_id=found.pk, entries=entries)
    assert codes.batch_counts(made.batch) == {"size": 3, "opened": 1, "used": 1}
    with pytest.raises(DomainError):
        codes.code_open(code="AAAAA-AAAAA")


def test_only_the_cycle_office_makes_codes(org, cycle):
    with pytest.raises(DomainError) as err:
        codes.code_batch_create(
            actor=actor(org.users["head"]),
            user=org.users["head"],
            cycle_id=cycle.pk,
            department_id=org.secretariat.pk,
            size=3,
        )
    assert err.value.status == 403


# ---------------------------------------------------------------- scoring


def _rate(cycle, appraisee, group, rater_person, user, level):
    a = _assignment(cycle, appraisee, group, rater_person)
    rating.ratings_save(
        actor=actor(user),
        user=user,
        entries=[rating.AssignmentInput(a.pk, a.version, all_ratings(cycle, group, level))],
        submit=True,
    )


def test_scores_ranks_grades_and_the_explanation(org, cycle):
    _rate(cycle, org.employee, "superior", org.head, org.users["head"], 5)
    _rate(cycle, org.peer, "superior", org.head, org.users["head"], 3)
    _rate(cycle, org.employee, "peer", org.peer, org.users["peer"], 5)
    summary = scoring.recompute_cycle(cycle.pk)
    assert summary["appraisals"] == 4
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    peer = Appraisal.objects.get(cycle=cycle, person=org.peer)
    assert employee.total is not None and peer.total is not None and employee.total > peer.total
    assert employee.rank_unit == 1 and employee.rank_department == 1
    conduct = next(s for s in employee.breakdown["sections"] if s["code"] == "conduct")
    groups = {g["group"]: g for g in conduct["groups"]}
    assert groups["superior"]["used"] and groups["superior"]["score"] == 100.0
    assert not groups["peer"]["used"] and groups["peer"]["respondents"] == 1  # below 3
    assert "rater" not in str(employee.breakdown)
    # the achievement section has no goals: it is missing and the rest is renormalized
    assert employee.breakdown["missing_sections"] >= 1
    assert KpiScore.objects.filter(appraisal=employee).exists()
    stats = RaterStat.objects.filter(cycle=cycle)
    assert stats.filter(group="peer", rater__isnull=False).count() == 0
    assert stats.filter(group="superior", rater=org.head).exists()


def test_the_top_grade_is_capped(org, scheme):
    from tests import factories as f

    perfadmin = org.users["perfadmin"]
    people = [
        f.make_person(f"员工{i}", org.service, superior=org.outsider, employee_no=f"Q{i:03d}")
        for i in range(9)
    ]
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="服务科",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.service.pk]),
        ),
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RATING)
    cycle.refresh_from_db()
    outsider = org.users["outsider"]
    for p in people:
        _rate(cycle, p, "superior", org.outsider, outsider, 5)
    scoring.recompute_cycle(cycle.pk)
    graded = Appraisal.objects.filter(cycle=cycle, person__in=people)
    # 10 appraised (9 + the outsider, who has no score and no grade); 20% of 9 graded → 2
    excellent = graded.filter(suggested_grade="excellent").count()
    ties = graded.filter(tie=True).count()
    assert excellent == 0 and ties == 9  # nine equal scores for two places: the committee decides
    assert set(graded.values_list("grade_reason", flat=True)) == {"tie"}


def test_a_submission_rescores_the_ratee_at_once(org, cycle):
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    assert employee.total is None
    _rate(cycle, org.employee, "superior", org.head, org.users["head"], 4)
    employee.refresh_from_db()
    assert employee.total == pytest.approx(85.0)


def test_outsider_sees_no_assignment_of_others(org, cycle):
    a = _assignment(cycle, org.employee, "superior", org.head)
    with pytest.raises(DomainError) as err:
        rating.ratings_save(
            actor=actor(org.users["outsider"]),
            user=org.users["outsider"],
            entries=[rating.AssignmentInput(a.pk, a.version, [])],
            submit=False,
        )
    assert err.value.status == 404
