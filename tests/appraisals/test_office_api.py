"""The performance office's appraisal API: cycles, phases, assignments, recompute jobs, with
the same permissions as the pages."""

from __future__ import annotations

import json

import pytest

from jixiao.appraisals import jobs
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CycleJob,
    CyclePhase,
    JobKind,
    JobStatus,
)
from jixiao.core.models import AuditRecord

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
OFFICE_READERS = {"leader", "auditor", "perfadmin", "sysadmin"}
OFFICE_WRITERS = {"perfadmin", "sysadmin"}
SEES_CYCLE = OFFICE_READERS | {"head"}


def post(client, url: str, body: dict[str, object] | None = None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def expected(persona: str, ok: int, *, write: bool) -> int:
    allowed = OFFICE_WRITERS if write else OFFICE_READERS
    return ok if persona in allowed else 403 if persona in SEES_CYCLE else 404


def test_cycle_list_is_scoped(org, cycle, client_for):
    for persona in PERSONAS:
        body = client_for(persona).get("/api/appraisals/cycles").json()
        ids = [c["id"] for c in body["items"]]
        assert ids == ([cycle.pk] if persona in SEES_CYCLE else []), persona
    body = client_for("perfadmin").get("/api/appraisals/cycles?phase=rating").json()
    assert body["count"] == 1 and body["items"][0]["appraisal_count"] == 4
    assert client_for("perfadmin").get("/api/appraisals/cycles?phase=closed").json()["count"] == 0


def test_cycle_detail_permissions_and_content(org, cycle, client_for):
    for persona in PERSONAS:
        response = client_for(persona).get(f"/api/appraisals/cycles/{cycle.pk}")
        assert response.status_code == expected(persona, 200, write=False), persona
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
    body = client_for("auditor").get(f"/api/appraisals/cycles/{cycle.pk}").json()
    assert body["phase"] == "rating" and body["counts"]["appraisals"] == 4
    assert body["counts"]["by_group"]["superior"]["open"] >= 1
    assert body["scheme_code"] == "GWY" and body["last_recompute"] is None
    assert client_for("sysadmin").get("/api/appraisals/cycles/999999").status_code == 404


def test_create_a_cycle(org, scheme, client_for):
    body = {
        "name": "接口创建的考核",
        "kind": "annual",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "start": "2026-01-01",
        "end": "2026-12-31",
        "population": {"department_ids": [org.office.pk]},
        "deadlines": {"rating": "2026-12-20"},
    }
    for persona in ("outsider", "employee", "head", "leader", "auditor"):
        response = post(client_for(persona), "/api/appraisals/cycles", body)
        assert response.status_code == 403, persona
    response = post(client_for("perfadmin"), "/api/appraisals/cycles", body)
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["counts"]["appraisals"] == 3 and made["deadlines"] == {"rating": "2026-12-20"}
    bad = post(client_for("perfadmin"), "/api/appraisals/cycles", {**body, "end": "2025-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "end"


def test_a_large_population_is_populated_by_a_job(
    org, scheme, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "LARGE_POPULATION", 1)
    body = {
        "name": "大考核",
        "kind": "annual",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "start": "2026-01-01",
        "end": "2026-12-31",
        "population": {"department_ids": [org.unit.pk]},
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client_for("perfadmin"), "/api/appraisals/cycles", body)
    made = response.json()
    assert response.status_code == 201 and made["counts"]["appraisals"] == 0
    assert made["populate_job"]["status"] == "queued"
    for callback in callbacks:
        callback()
    job = client_for("perfadmin").get(f"/api/appraisals/jobs/{made['populate_job']['id']}").json()
    assert job["status"] == "succeeded" and job["summary"]["appraisals"] == 4
    assert Appraisal.objects.filter(cycle_id=made["id"]).count() == 4


def test_move_the_phase(org, cycle, client_for):
    url = f"/api/appraisals/cycles/{cycle.pk}/phase"
    for persona in PERSONAS[:-2]:
        response = post(client_for(persona), url, {"phase": "computing", "version": cycle.version})
        assert response.status_code == expected(persona, 200, write=True), persona
    response = post(client_for("perfadmin"), url, {"phase": "computing", "version": cycle.version})
    assert response.status_code == 200 and response.json()["phase"] == "computing"
    stale = post(client_for("perfadmin"), url, {"phase": "results", "version": cycle.version})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"


def test_recompute_returns_a_job_to_poll(
    org, cycle, client_for, django_capture_on_commit_callbacks
):
    url = f"/api/appraisals/cycles/{cycle.pk}/recompute"
    for persona in PERSONAS[:-2]:
        assert post(client_for(persona), url).status_code == expected(persona, 202, write=True)
    assert not CycleJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for("perfadmin"), url)
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    for persona in PERSONAS:
        got = client_for(persona).get(f"/api/appraisals/jobs/{job_id}").status_code
        assert got == expected(persona, 200, write=False), persona
    job = client_for("auditor").get(f"/api/appraisals/jobs/{job_id}").json()
    assert job["status"] == JobStatus.SUCCEEDED and job["kind"] == JobKind.RECOMPUTE
    assert job["percent"] == 100 and job["summary"]["appraisals"] == 4
    detail = client_for("perfadmin").get(f"/api/appraisals/cycles/{cycle.pk}").json()
    assert detail["last_recompute"]["id"] == job_id and detail["computed_at"] is not None
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.CLOSED)
    refused = post(client_for("perfadmin"), url)
    assert refused.status_code == 409 and refused.json()["code"] == "cycle_shows_results"


def test_assignments_list_add_and_cancel(org, cycle, client_for):
    url = f"/api/appraisals/cycles/{cycle.pk}/assignments"
    for persona in PERSONAS:
        assert client_for(persona).get(url).status_code == expected(persona, 200, write=False)
    body = client_for("perfadmin").get(f"{url}?rater_id={org.head.pk}&page_size=500").json()
    anonymous = set(cycle.scheme.groups.filter(anonymous=True).values_list("group", flat=True))
    named = Assignment.objects.filter(cycle=cycle, rater=org.head).exclude(group__in=anonymous)
    assert body["count"] == named.count()  # a rater's anonymous assignments are never listed
    assert {"status", "group", "rater_id", "version"} <= set(body["items"][0])
    assert "value" not in json.dumps(body) and "ratings" not in body["items"][0]
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    add = {"appraisal_id": employee.pk, "group": "peer", "rater_id": org.outsider.pk}
    for persona in PERSONAS[:-2]:
        got = post(client_for(persona), url, add).status_code
        assert got == expected(persona, 201, write=True), persona
    response = post(client_for("perfadmin"), url, add)
    assert response.status_code == 201
    made = response.json()
    # peers are anonymous: the API never says who they are, even to the office that added one
    assert made["rater_id"] is None and made["status"] == "open"
    assert Assignment.objects.get(pk=made["id"]).rater_id == org.outsider.pk
    added = AuditRecord.objects.get(action="appraisals.assignment.add")
    assert "rater" not in added.changes
    assert post(client_for("perfadmin"), url, add).status_code == 409
    cancel = f"{url}/{made['id']}/cancel"
    for persona in PERSONAS[:-2]:
        got = post(client_for(persona), cancel, {"reason": "x"}).status_code
        assert got == expected(persona, 200, write=True), persona
    response = post(client_for("perfadmin"), cancel, {"reason": "不熟悉"})
    assert response.status_code == 200 and response.json()["status"] == AssignmentStatus.CANCELLED
    assert AuditRecord.objects.filter(action="appraisals.assignment.cancel").exists()
    unknown = post(client_for("perfadmin"), url, {**add, "appraisal_id": 999999})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_appraisal"


@pytest.mark.parametrize(
    "path", ["/api/appraisals/cycles/{id}", "/api/appraisals/cycles/{id}/assignments"]
)
def test_code_assignments_are_never_listed(org, cycle, client_for, path):
    from jixiao.appraisals import codes, rating
    from tests.appraisals.conftest import actor

    made = codes.code_batch_create(
        actor=actor(org.users["perfadmin"]),
        user=org.users["perfadmin"],
        cycle_id=cycle.pk,
        department_id=org.secretariat.pk,
        size=1,
    )
    found = codes.code_open(code=made.codes[0])
    items = rating.items_for_groups(cycle.scheme_id)["peer"]
    codes.code_submit(
        code_id=found.pk,
        entries=[
            codes.CodeRating(a.pk, [rating.RatingInput(item_id=i, level=5) for i in items])
            for a in codes.code_ratees(found)
        ],
    )
    body = client_for("sysadmin").get(path.format(id=cycle.pk) + "?page_size=500").json()
    if "items" in body:
        anonymous = set(cycle.scheme.groups.filter(anonymous=True).values_list("group", flat=True))
        assert all(item["rater_id"] or item["group"] in anonymous for item in body["items"])
        assert not any(item["rater_id"] for item in body["items"] if item["group"] in anonymous)
        assert (
            len(body["items"])
            == Assignment.objects.filter(cycle=cycle, rater__isnull=False).count()
        )
    else:  # the detail counts them, by group only
        coded = Assignment.objects.filter(cycle=cycle, code__isnull=False).count()
        assert coded and body["counts"]["by_group"]["peer"]["submitted"] >= coded
