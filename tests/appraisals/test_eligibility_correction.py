"""The office corrects a person's eligibility (corrections.appraisal_set_eligibility, its page
and POST /api/appraisals/results/{id}/eligibility): any choice with a reason, e.g. 拒不参加考核
(the lowest grade) or "graded" over a computed "comment only". Compare-and-set, audited on the
appraisal, for those who run the cycle (404 to those who may not read the appraisal); shown as
set by the office wherever eligibility is shown; the grades follow at the next recompute."""

from __future__ import annotations

import datetime
import json

import pytest

from jixiao.appraisals import corrections, scoring
from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, Eligibility
from jixiao.appraisals.results_export import result_row
from jixiao.appraisals.selectors_results import cycle_results
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests import factories as f
from tests.appraisals.conftest import actor
from tests.appraisals.test_cycle_edit import institution_cycle

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
REFUSAL = "经两次书面通知，本人拒不参加年度考核"


def set_eligibility(
    org, appraisal: Appraisal, eligibility: str, reason: str, persona: str = "perfadmin"
) -> Appraisal:
    user = org.users[persona]
    appraisal.refresh_from_db()
    return corrections.appraisal_set_eligibility(
        actor=actor(user),
        user=user,
        appraisal_id=appraisal.pk,
        expected_version=appraisal.version,
        eligibility=eligibility,
        reason=reason,
    )


def post_json(client, url: str, body: dict[str, object]):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def top_scorer(cycle: Cycle) -> Appraisal:
    found = Appraisal.objects.filter(cycle=cycle).order_by("-total").first()
    assert found is not None
    return found


# ---------------------------------------------------------------- the service


def test_marking_a_refusal_is_audited_and_gives_the_lowest_grade_at_the_recompute(org):
    cycle = institution_cycle(org)
    best = top_scorer(cycle)
    assert best.suggested_grade == "excellent" and best.eligibility == Eligibility.GRADED
    version = best.version
    changed = set_eligibility(org, best, Eligibility.REFUSED, f"  {REFUSAL} ")
    assert changed.eligibility == Eligibility.REFUSED and changed.eligibility_reason == REFUSAL
    assert changed.eligibility_set_by_id == org.users["perfadmin"].pk
    assert changed.eligibility_set_at is not None and changed.version == version + 1
    record = AuditRecord.objects.get(action="appraisals.appraisal.eligibility")
    assert record.object_type == "appraisals.appraisal" and record.object_id == str(best.pk)
    assert record.scope_path == best.department.path == org.service.path
    assert record.reason == REFUSAL and record.actor_id == org.users["perfadmin"].pk
    assert record.changes == {
        "eligibility": ["graded", "refused"],
        "eligibility_reason": ["", REFUSAL],
        "set_by_office": [False, True],
    }
    cycle.refresh_from_db()
    assert cycle.grades_outdated_since is not None
    changed.refresh_from_db()
    assert changed.suggested_grade == "excellent"  # until the recompute
    scoring.recompute_cycle(cycle.pk)
    changed.refresh_from_db()
    cycle.refresh_from_db()
    assert changed.suggested_grade == "unqualified" and changed.grade_reason == "refused"
    assert changed.total == pytest.approx(100.0)  # scored as before
    assert cycle.grades_outdated_since is None
    # the refusal counts in no quota: 20% of the 19 others, half up
    assert Appraisal.objects.filter(cycle=cycle, suggested_grade="excellent").count() == 4
    assert cycle_results(cycle).quota[0].population == 19


def test_a_computed_comment_only_is_overridden_after_checking_the_hire_date(org):
    newcomer = f.make_person(
        "新同事", org.service, employee_no="S900", hire_date=datetime.date(2026, 10, 8)
    )
    cycle = institution_cycle(org, people=5)
    appraisal = Appraisal.objects.get(cycle=cycle, person=newcomer)
    assert appraisal.eligibility == Eligibility.COMMENT_ONLY and appraisal.suggested_grade == ""
    assert appraisal.eligibility_set_at is None
    set_eligibility(org, appraisal, Eligibility.GRADED, "人事档案核实：入职日期为2016年10月8日")
    scoring.recompute_cycle(cycle.pk)
    appraisal.refresh_from_db()
    assert appraisal.eligibility == Eligibility.GRADED and appraisal.suggested_grade != ""
    assert appraisal.eligibility_reason == "人事档案核实：入职日期为2016年10月8日"


def test_a_reason_and_a_known_choice_are_required(org, cycle):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    cases = [
        (Eligibility.REFUSED, "   ", ("reason", "reason_required")),
        (Eligibility.REFUSED, "长" * 256, ("reason", "too_long")),
        ("absent", REFUSAL, ("eligibility", "invalid_choice")),
    ]
    for eligibility, reason, problem in cases:
        with pytest.raises(DomainError) as err:
            set_eligibility(org, appraisal, eligibility, reason)
        assert err.value.code == "validation_failed"
        assert problem in {(e.field, e.code) for e in err.value.all_errors()}
    appraisal.refresh_from_db()
    assert appraisal.eligibility == Eligibility.GRADED and appraisal.version == 1
    assert not AuditRecord.objects.filter(action="appraisals.appraisal.eligibility").exists()


def test_a_stale_version_is_a_concurrent_edit(org, cycle):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    perfadmin = org.users["perfadmin"]
    set_eligibility(org, appraisal, Eligibility.DEFERRED, "正在接受调查")
    with pytest.raises(DomainError) as err:
        corrections.appraisal_set_eligibility(
            actor=actor(perfadmin),
            user=perfadmin,
            appraisal_id=appraisal.pk,
            expected_version=1,
            eligibility=Eligibility.REFUSED,
            reason=REFUSAL,
        )
    assert err.value.code == "concurrent_edit" and err.value.status == 409
    appraisal.refresh_from_db()
    assert appraisal.eligibility == Eligibility.DEFERRED


def test_only_those_who_run_the_cycle_and_never_once_closed(org, cycle):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    for persona in ("leader", "auditor", "head", "employee", "outsider"):
        with pytest.raises(DomainError) as err:
            set_eligibility(org, appraisal, Eligibility.REFUSED, REFUSAL, persona)
        assert err.value.status == 403, persona
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.CLOSED)
    with pytest.raises(DomainError) as err:
        set_eligibility(org, appraisal, Eligibility.REFUSED, REFUSAL)
    assert err.value.code == "cycle_closed"


# ---------------------------------------------------------------- pages


def test_the_page_for_the_office_only_404_to_those_who_may_not_read(org, cycle, client_for):
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RESULTS)
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    url = f"/appraisals/results/{appraisal.pk}/eligibility/"
    expected = {
        "outsider": 404,
        "peer": 404,
        "employee": 403,  # her own result: she reads it, the office corrects it
        "head": 403,  # her head reads her result once shown
        "leader": 403,
        "auditor": 403,
        "perfadmin": 200,
        "sysadmin": 200,
    }
    for persona in PERSONAS:
        assert client_for(persona).get(url).status_code == expected[persona], persona
        body = {"version": 1, "eligibility": "refused", "reason": REFUSAL}
        if persona not in ("perfadmin", "sysadmin"):
            assert client_for(persona).post(url, body).status_code == expected[persona], persona
    detail = f"/appraisals/results/{appraisal.pk}/"
    assert 'id="correct-eligibility"' in client_for("perfadmin").get(detail).content.decode()
    assert 'id="correct-eligibility"' not in client_for("leader").get(detail).content.decode()
    assert 'id="correct-eligibility"' not in client_for("employee").get(detail).content.decode()


def test_the_page_saves_shows_the_override_and_keeps_a_stale_form(org, cycle, client_for):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    url = f"/appraisals/results/{appraisal.pk}/eligibility/"
    c = client_for("perfadmin")
    detail = c.get(f"/appraisals/results/{appraisal.pk}/").content.decode()
    assert "data-eligibility-computed" in detail and "data-eligibility-set-by-office" not in detail
    response = c.post(url, {"version": 1, "eligibility": "refused", "reason": REFUSAL})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/appraisals/results/{appraisal.pk}/")
    appraisal.refresh_from_db()
    assert appraisal.eligibility == Eligibility.REFUSED and appraisal.version == 2
    detail = c.get(f"/appraisals/results/{appraisal.pk}/").content.decode()
    assert "data-eligibility-set-by-office" in detail and REFUSAL in detail
    listing = c.get(f"/appraisals/results/cycle/{cycle.pk}/").content.decode()
    assert "data-eligibility-set-by-office" in listing
    raters = c.get(f"/appraisals/cycles/{cycle.pk}/appraisals/{appraisal.pk}/raters/")
    assert "data-eligibility-set-by-office" in raters.content.decode()
    own = client_for("employee").get(f"/appraisals/self/{cycle.pk}/").content.decode()
    assert "data-eligibility-set-by-office" in own and REFUSAL in own
    row = result_row(appraisal, cycle_results(cycle, with_sections=True))
    assert REFUSAL in row[4] and "考核办认定" in row[4]  # tests run in Chinese
    stale = c.post(url, {"version": 1, "eligibility": "deferred", "reason": "过期表单的原因"})
    assert stale.status_code == 409 and "过期表单的原因" in stale.content.decode()
    missing = c.post(url, {"version": 2, "eligibility": "deferred", "reason": ""})
    assert missing.status_code == 400
    appraisal.refresh_from_db()
    assert appraisal.eligibility == Eligibility.REFUSED


def test_the_result_page_says_the_grades_are_out_of_date_until_the_recompute(org, client_for):
    cycle = institution_cycle(org, people=5)
    best = top_scorer(cycle)
    c = client_for("perfadmin")
    assert 'id="grades-outdated"' not in c.get(f"/appraisals/results/{best.pk}/").content.decode()
    set_eligibility(org, best, Eligibility.REFUSED, REFUSAL)
    assert 'id="grades-outdated"' in c.get(f"/appraisals/results/{best.pk}/").content.decode()
    scoring.recompute_cycle(cycle.pk)
    assert 'id="grades-outdated"' not in c.get(f"/appraisals/results/{best.pk}/").content.decode()


# ---------------------------------------------------------------- the API


def test_the_api_sets_the_eligibility(org, cycle, client_for):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    url = f"/api/appraisals/results/{appraisal.pk}/eligibility"
    c = client_for("perfadmin")
    before = c.get(f"/api/appraisals/results/{appraisal.pk}").json()
    assert before["eligibility_set_at"] is None and before["version"] == 1
    response = post_json(
        c, url, {"expected_version": before["version"], "eligibility": "refused", "reason": REFUSAL}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["eligibility"] == "refused" and body["eligibility_reason"] == REFUSAL
    assert body["eligibility_set_at"] is not None and body["version"] == 2
    stale = post_json(c, url, {"expected_version": 1, "eligibility": "graded", "reason": "撤销"})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    missing = post_json(c, url, {"expected_version": 2, "eligibility": "graded", "reason": ""})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"
    unknown = post_json(c, url, {"expected_version": 2, "eligibility": "gone", "reason": "x"})
    assert unknown.status_code == 400
    assert AuditRecord.objects.filter(action="appraisals.appraisal.eligibility").count() == 1


def test_the_api_refuses_those_who_do_not_run_the_cycle(org, cycle, client_for):
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    url = f"/api/appraisals/results/{appraisal.pk}/eligibility"
    body = {"expected_version": 1, "eligibility": "refused", "reason": REFUSAL}
    expected = {
        "outsider": 404,
        "peer": 404,
        "head": 404,  # before results, her head does not read her appraisal
        "employee": 403,
        "leader": 403,
        "auditor": 403,
    }
    for persona, status in expected.items():
        assert post_json(client_for(persona), url, body).status_code == status, persona
    assert post_json(client_for("sysadmin"), url, body).status_code == 200
