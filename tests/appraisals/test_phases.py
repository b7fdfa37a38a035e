"""Moving a cycle into computing queues the full recompute; moving it into results needs a
finished recompute with nothing changed since (no newer score, no corrected eligibility, no
recompute still running), on the service, the cycle page and the API alike."""

from __future__ import annotations

import json

import pytest

from jixiao.appraisals import phases, scoring
from jixiao.appraisals.models import Appraisal, Cycle, CycleJob, CyclePhase, Eligibility, JobKind
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests.appraisals.conftest import actor
from tests.appraisals.test_eligibility_correction import set_eligibility
from tests.appraisals.test_results import rate


def move(org, cycle: Cycle, phase: str) -> Cycle:
    perfadmin = org.users["perfadmin"]
    return phases.cycle_set_phase(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        expected_version=Cycle.objects.get(pk=cycle.pk).version,
        phase=phase,
    )


def refusal(org, cycle: Cycle, phase: str = CyclePhase.RESULTS) -> str:
    with pytest.raises(DomainError) as err:
        move(org, cycle, phase)
    assert err.value.status == 409
    assert Cycle.objects.get(pk=cycle.pk).phase != phase
    return err.value.code


def test_entering_computing_queues_the_recompute_and_it_runs(
    org, cycle, django_capture_on_commit_callbacks
):
    rate(cycle, org.employee, "superior", org.head, org.users["head"], 5)
    with django_capture_on_commit_callbacks(execute=True):
        moved = move(org, cycle, CyclePhase.COMPUTING)
    assert moved.phase == CyclePhase.COMPUTING
    job = CycleJob.objects.get(cycle=cycle, kind=JobKind.RECOMPUTE)
    assert job.status == "succeeded" and job.created_by_id == org.users["perfadmin"].pk
    assert AuditRecord.objects.filter(action="appraisals.cycle.recompute").count() == 1
    cycle.refresh_from_db()
    assert cycle.computed_at is not None
    assert move(org, cycle, CyclePhase.RESULTS).phase == CyclePhase.RESULTS


def test_going_back_to_computing_queues_nothing(org, cycle):
    scoring.recompute_cycle(cycle.pk)
    move(org, cycle, CyclePhase.RESULTS)
    move(org, cycle, CyclePhase.COMPUTING)
    assert not CycleJob.objects.filter(cycle=cycle).exists()


def test_results_wait_for_a_first_recompute(org, cycle):
    assert refusal(org, cycle) == "not_computed"
    assert refusal(org, cycle, CyclePhase.CLOSED) == "not_computed"  # not past it either
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.RATING


def test_results_wait_for_the_running_recompute(org, cycle):
    with_job = move(org, cycle, CyclePhase.COMPUTING)  # queued; the worker has not run it
    assert CycleJob.objects.filter(cycle=with_job, status="queued").exists()
    assert refusal(org, cycle) == "recompute_running"


def test_results_wait_when_scores_changed_after_the_recompute(org, cycle):
    scoring.recompute_cycle(cycle.pk)
    rate(cycle, org.employee, "superior", org.head, org.users["head"], 5)  # rescored at once
    assert refusal(org, cycle) == "recompute_needed"
    scoring.recompute_cycle(cycle.pk)
    assert move(org, cycle, CyclePhase.RESULTS).phase == CyclePhase.RESULTS


def test_results_wait_when_an_eligibility_changed_after_the_recompute(org, cycle):
    scoring.recompute_cycle(cycle.pk)
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    set_eligibility(org, appraisal, Eligibility.REFUSED, "拒不参加考核")
    assert refusal(org, cycle) == "recompute_needed"
    scoring.recompute_cycle(cycle.pk)
    assert move(org, cycle, CyclePhase.RESULTS).phase == CyclePhase.RESULTS


def test_the_page_and_the_api_say_why(org, cycle, client_for):
    client = client_for("perfadmin")
    page = client.post(
        f"/appraisals/cycles/{cycle.pk}/phase/", {"phase": "results", "version": cycle.version}
    )
    assert page.status_code == 409
    assert 'data-error-code="not_computed"' in page.content.decode()
    api = client.post(
        f"/api/appraisals/cycles/{cycle.pk}/phase",
        data=json.dumps({"phase": "results", "version": cycle.version}),
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["code"] == "not_computed"
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.RATING


def test_the_cycle_page_says_what_the_results_wait_for(org, cycle, client_for):
    move(org, cycle, CyclePhase.COMPUTING)  # its recompute is queued, not run
    html = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="results-waiting" data-waiting="recompute_running"' in html
    assert 'id="phase-next" disabled' in html
    CycleJob.objects.filter(cycle=cycle).delete()
    scoring.recompute_cycle(cycle.pk)
    html = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="results-waiting"' not in html and 'id="phase-next" disabled' not in html
    assert 'id="phase-next"' in html
