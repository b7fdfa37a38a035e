"""Changing a cycle after its creation (corrections.cycle_update, its page and
PATCH /api/appraisals/cycles/{id}): name, deadlines, the unit's own grade and the approval of
a higher top-grade share; never its scheme, unit, period or people. Compare-and-set, audited,
for those who run the cycle; a change the grades depend on marks them out of date until the
next full recompute, which then applies the new quota."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from jixiao.appraisals import corrections, cycles, schemes, scoring
from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, KpiScore, SchemeItem
from jixiao.appraisals.selectors_results import cycle_results
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests import factories as f
from tests.appraisals.conftest import actor

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
WRITERS = {"perfadmin", "sysadmin"}
SEES_CYCLE = {"leader", "auditor", "perfadmin", "sysadmin", "head"}


def expected(persona: str, ok: int) -> int:
    return ok if persona in WRITERS else 403 if persona in SEES_CYCLE else 404


def settings_of(cycle: Cycle, **changes: Any) -> corrections.CycleSettings:
    current = corrections.CycleSettings.of(cycle)
    for name, value in changes.items():
        setattr(current, name, value)
    return current


def update(org, cycle: Cycle, persona: str = "perfadmin", **changes: Any) -> Cycle:
    user = org.users[persona]
    cycle.refresh_from_db()
    return corrections.cycle_update(
        actor=actor(user),
        user=user,
        cycle_id=cycle.pk,
        expected_version=cycle.version,
        settings=settings_of(cycle, **changes),
    )


def patch(client, cycle: Cycle, body: dict[str, object]):
    return client.patch(
        f"/api/appraisals/cycles/{cycle.pk}", data=json.dumps(body), content_type="application/json"
    )


def institution_cycle(org, people: int = 20) -> Cycle:
    """A 事业单位 cycle over 政务服务科 (陈晨 and the people made here), computed, everyone's
    total being their achievement score set by hand: 100, 99, 98, … (11 of 20 reach 优秀)."""
    perfadmin = org.users["perfadmin"]
    scheme = schemes.scheme_from_preset(
        actor=actor(perfadmin), user=perfadmin, preset="institution", code="SYDW"
    )
    for i in range(people - 1):
        f.make_person(f"职员{i}", org.service, employee_no=f"S{i:03d}")
    made = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="2026年度事业单位考核",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.service.pk]),
        ),
    )
    goals = SchemeItem.objects.get(section__scheme=scheme, code="goals")
    for k, a in enumerate(Appraisal.objects.filter(cycle=made).order_by("id")):
        KpiScore.objects.create(appraisal=a, item=goals, override=100 - k, override_reason="核定")
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.COMPUTING)
    scoring.recompute_cycle(made.pk)
    made.refresh_from_db()
    return made


def excellent(cycle: Cycle) -> int:
    return Appraisal.objects.filter(cycle=cycle, suggested_grade="excellent").count()


# ---------------------------------------------------------------- the service


def test_the_office_changes_the_settings_with_an_audit_record(org, cycle):
    version = cycle.version
    changed = update(
        org,
        cycle,
        name=" 2026年度考核（修订） ",
        deadlines={"rating": "2026-12-20", "self_assessment": "2026-12-05"},
        unit_grade="excellent",
        higher_quota_approved=True,
    )
    assert changed.name == "2026年度考核（修订）" and changed.version == version + 1
    assert changed.deadlines == {"self_assessment": "2026-12-05", "rating": "2026-12-20"}
    assert changed.unit_grade == "excellent" and changed.higher_quota_approved
    # what the cycle appraises stays
    assert (changed.scheme_id, changed.unit_id, changed.start, changed.population) == (
        cycle.scheme_id,
        cycle.unit_id,
        cycle.start,
        cycle.population,
    )
    record = AuditRecord.objects.get(action="appraisals.cycle.update")
    assert record.object_id == str(cycle.pk) and record.actor_id == org.users["perfadmin"].pk
    assert record.scope_path == org.unit.path
    assert record.changes == {
        "name": ["2026年度考核", "2026年度考核（修订）"],
        "deadlines": [{}, {"self_assessment": "2026-12-05", "rating": "2026-12-20"}],
        "unit_grade": ["", "excellent"],
        "higher_quota_approved": [False, True],
    }
    # saving again without a change writes nothing
    again = update(org, changed)
    assert again.version == changed.version
    assert AuditRecord.objects.filter(action="appraisals.cycle.update").count() == 1


def test_the_settings_are_checked_as_at_creation(org, cycle):
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"name": "  "}, ("name", "required")),
        ({"name": "长" * 101}, ("name", "required")),
        ({"unit_grade": "good"}, ("unit_grade", "invalid_choice")),
        ({"deadlines": {"rating": "2026-13-01"}}, ("deadlines.rating", "invalid_date")),
        ({"deadlines": {"someday": "2026-12-01"}}, ("deadlines", "unknown_phase")),
    ]
    for changes, problem in cases:
        with pytest.raises(DomainError) as err:
            update(org, cycle, **changes)
        assert err.value.code == "validation_failed"
        assert problem in {(e.field, e.code) for e in err.value.all_errors()}, changes
    # the creation check is the same function
    data = cycles.CycleData(
        name="x",
        kind="annual",
        unit_id=org.unit.pk,
        scheme_id=cycle.scheme_id,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        population=cycles.Population(department_ids=[org.unit.pk]),
        deadlines={"rating": "2026-13-01"},
    )
    errors, _unit, _scheme = cycles.validate_cycle(org.users["perfadmin"], data)
    assert ("deadlines.rating", "invalid_date") in {(e.field, e.code) for e in errors}
    cycle.refresh_from_db()
    assert cycle.version == 1 and not AuditRecord.objects.filter(action="appraisals.cycle.update")


def test_a_stale_version_is_a_concurrent_edit(org, cycle):
    perfadmin = org.users["perfadmin"]
    stale = cycle.version
    update(org, cycle, name="第一次修改")
    for name in ("第二次修改", "第一次修改"):  # also without any change of its own
        with pytest.raises(DomainError) as err:
            corrections.cycle_update(
                actor=actor(perfadmin),
                user=perfadmin,
                cycle_id=cycle.pk,
                expected_version=stale,
                settings=settings_of(cycle, name=name),
            )
        assert err.value.code == "concurrent_edit" and err.value.status == 409
    cycle.refresh_from_db()
    assert cycle.name == "第一次修改"


def test_only_those_who_run_the_cycle_change_it_and_never_once_closed(org, cycle):
    for persona in ("leader", "auditor", "head", "employee", "outsider"):
        with pytest.raises(DomainError) as err:
            update(org, cycle, persona, name="越权修改")
        assert err.value.status == 403, persona
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.CLOSED)
    with pytest.raises(DomainError) as err:
        update(org, cycle, name="结束后修改")
    assert err.value.code == "cycle_closed" and err.value.status == 409


# ---------------------------------------------------------------- grades follow


def test_the_unit_grade_moves_the_cap_at_the_next_recompute(org, client_for):
    cycle = institution_cycle(org)
    assert excellent(cycle) == 4  # 20% of 20
    assert cycle.grades_outdated_since is None
    changed = update(org, cycle, unit_grade="failed")
    assert changed.grades_outdated_since is not None
    assert cycle_results(changed).quota[0].limit == 3  # the limit shown follows at once
    page = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="grades-outdated"' in page and 'id="cycle-unit-grade"' in page
    listing = client_for("perfadmin").get(f"/appraisals/results/cycle/{cycle.pk}/")
    assert 'id="grades-outdated"' in listing.content.decode()
    api = client_for("perfadmin").get(f"/api/appraisals/cycles/{cycle.pk}").json()
    assert api["grades_outdated_since"] is not None
    assert excellent(cycle) == 4  # the grades themselves wait for the recompute
    scoring.recompute_cycle(cycle.pk)
    cycle.refresh_from_db()
    assert excellent(cycle) == 3  # 15% of 20 when the unit failed
    assert cycle.grades_outdated_since is None
    page = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="grades-outdated"' not in page
    update(org, cycle, unit_grade="excellent")
    scoring.recompute_cycle(cycle.pk)
    assert excellent(cycle) == 5  # 25% when the unit is graded 优秀


def test_a_change_the_grades_do_not_depend_on_leaves_them_current(org):
    cycle = institution_cycle(org, people=5)
    changed = update(org, cycle, name="改名", deadlines={"results": "2027-01-15"})
    assert changed.grading_changed_at is None and changed.grades_outdated_since is None
    changed = update(org, changed, higher_quota_approved=True)
    assert changed.grades_outdated_since is not None


def test_before_the_first_recompute_nothing_is_out_of_date(org, cycle):
    changed = update(org, cycle, unit_grade="failed")
    assert changed.grading_changed_at is not None and changed.grades_outdated_since is None


# ---------------------------------------------------------------- the page


def test_the_edit_page_is_linked_for_writers_and_refused_to_others(org, cycle, client_for):
    url = f"/appraisals/cycles/{cycle.pk}/edit/"
    for persona in PERSONAS:
        assert client_for(persona).get(url).status_code == expected(persona, 200), persona
    assert (
        'id="cycle-edit"'
        in client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    )
    assert (
        'id="cycle-edit"'
        not in client_for("leader").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    )
    page = client_for("perfadmin").get(url).content.decode()
    assert 'id="cycle-fixed"' in page and cycle.scheme.name in page
    assert client_for("leader").post(url, {"name": "x", "version": 1}).status_code == 403
    assert client_for("outsider").post(url, {"name": "x", "version": 1}).status_code == 404


def test_the_page_saves_and_keeps_what_was_typed_on_a_stale_form(org, cycle, client_for):
    url = f"/appraisals/cycles/{cycle.pk}/edit/"
    c = client_for("perfadmin")
    response = c.post(
        url,
        {
            "version": cycle.version,
            "name": "2026年度考核（调整）",
            "deadline_rating": "2026-12-18",
            "unit_grade": "failed",
            "higher_quota_approved": "on",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"/appraisals/cycles/{cycle.pk}/"
    )
    cycle.refresh_from_db()
    assert cycle.name == "2026年度考核（调整）" and cycle.deadlines == {"rating": "2026-12-18"}
    assert cycle.unit_grade == "failed" and cycle.higher_quota_approved
    stale = c.post(url, {"version": 1, "name": "过期表单里的名称", "deadline_rating": "2026-12-19"})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "过期表单里的名称" in body and "2026-12-19" in body
    cycle.refresh_from_db()
    assert cycle.name == "2026年度考核（调整）"
    invalid = c.post(url, {"version": cycle.version, "name": ""})
    assert invalid.status_code == 400


# ---------------------------------------------------------------- the API


def test_the_api_patches_the_settings(org, cycle, client_for):
    c = client_for("perfadmin")
    response = patch(
        c,
        cycle,
        {"expected_version": cycle.version, "deadlines": {"rating": "2026-12-20"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deadlines"] == {"rating": "2026-12-20"} and body["version"] == cycle.version + 1
    assert body["name"] == cycle.name and body["grades_outdated_since"] is None
    body = patch(c, cycle, {"expected_version": body["version"], "unit_grade": "excellent"}).json()
    assert body["unit_grade"] == "excellent" and body["deadlines"] == {"rating": "2026-12-20"}
    # stale
    stale = patch(c, cycle, {"expected_version": 1, "name": "过期"})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    # checked as at creation
    bad = patch(c, cycle, {"expected_version": body["version"], "deadlines": {"x": "2026-12-01"}})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "unknown_phase"
    # what the cycle appraises is not for changing
    fixed_fields: list[dict[str, object]] = [
        {"scheme_id": cycle.scheme_id},
        {"start": "2026-02-01"},
        {"population": {}},
    ]
    for fixed in fixed_fields:
        refused = patch(c, cycle, {"expected_version": body["version"], **fixed})
        assert refused.status_code == 400, fixed
    cycle.refresh_from_db()
    assert cycle.version == body["version"]


def test_the_api_refuses_those_who_do_not_run_the_cycle(org, cycle, client_for):
    for persona in PERSONAS:
        cycle.refresh_from_db()
        response = patch(
            client_for(persona), cycle, {"expected_version": cycle.version, "name": f"{persona}改"}
        )
        assert response.status_code == expected(persona, 200), persona
