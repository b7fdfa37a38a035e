"""The performance office's appraisal pages: schemes, cycles, raters, workload, reminders,
recompute with progress and one-time code sheets, as a browser would use them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jixiao.appraisals import codes, cycles, jobs, rating, reminders
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    CodeBatch,
    Cycle,
    CycleJob,
    CyclePhase,
    JobKind,
    JobStatus,
    Rating,
    RatingCode,
    Scheme,
)
from jixiao.core.models import AuditRecord, Notification
from jixiao.org.models import Person
from tests import factories as f
from tests.appraisals.conftest import actor

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
OFFICE_READERS = {"leader", "auditor", "perfadmin", "sysadmin"}
OFFICE_WRITERS = {"perfadmin", "sysadmin"}
SEES_CYCLE = OFFICE_READERS | {"head"}


def office_read(ok: int = 200) -> dict[str, int]:
    """An office page of the unit's cycle: the office reads it, the head sees the cycle but
    not its office pages (403), everybody else does not see the cycle (404)."""
    return {p: ok if p in OFFICE_READERS else 403 if p in SEES_CYCLE else 404 for p in PERSONAS}


def office_write(ok: int) -> dict[str, int]:
    return {p: ok if p in OFFICE_WRITERS else 403 if p in SEES_CYCLE else 404 for p in PERSONAS}


def assignment(cycle: Cycle, appraisee: Person, group: str, rater: Person) -> Assignment:
    return Assignment.objects.get(
        cycle=cycle, appraisal__person=appraisee, group=group, rater=rater
    )


def submit(cycle: Cycle, appraisee: Person, group: str, rater: Person, user, level: int) -> None:
    a = assignment(cycle, appraisee, group, rater)
    items = rating.items_for_groups(cycle.scheme_id)[group]
    rating.ratings_save(
        actor=actor(user),
        user=user,
        entries=[
            rating.AssignmentInput(
                a.pk, a.version, [rating.RatingInput(item_id=i, level=level) for i in items]
            )
        ],
        submit=True,
    )


def make_cycle(org, scheme, name: str = "第二个考核", **population) -> Cycle:
    perfadmin = org.users["perfadmin"]
    made = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name=name,
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(**(population or {"department_ids": [org.unit.pk]})),
        ),
    )
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.RATING)
    made.refresh_from_db()
    return made


# ---------------------------------------------------------------- permissions


def _urls(cycle: Cycle, org) -> dict[str, str]:
    appraisal = Appraisal.objects.get(cycle=cycle, person=org.employee)
    batch = CodeBatch.objects.create(cycle=cycle, department=org.office, size=3)
    job = CycleJob.objects.create(cycle=cycle, kind=JobKind.RECOMPUTE, status=JobStatus.FAILED)
    return {
        "detail": f"/appraisals/cycles/{cycle.pk}/",
        "assignments": f"/appraisals/cycles/{cycle.pk}/assignments/",
        "raters": f"/appraisals/cycles/{cycle.pk}/appraisals/{appraisal.pk}/raters/",
        "workload": f"/appraisals/cycles/{cycle.pk}/workload/",
        "codes": f"/appraisals/cycles/{cycle.pk}/codes/",
        "batch": f"/appraisals/cycles/{cycle.pk}/codes/{batch.pk}/",
        "job": f"/appraisals/cycles/{cycle.pk}/jobs/{job.pk}/",
        "reassign": f"/appraisals/cycles/{cycle.pk}/reassign/",
    }


@pytest.mark.parametrize(
    ("page", "expect"),
    [
        ("detail", office_read()),
        ("assignments", office_read()),
        ("raters", office_read()),
        ("workload", office_read()),
        ("codes", office_read()),
        ("batch", office_read()),
        ("job", office_read()),
        ("reassign", office_write(200)),
    ],
)
def test_office_pages_of_a_cycle(org, cycle, client_for, page, expect):
    url = _urls(cycle, org)[page]
    got = {p: client_for(p).get(url).status_code for p in PERSONAS}
    assert got == expect


def test_office_writes_are_for_the_unit_performance_administrators(org, cycle, client_for):
    head_assignment = assignment(cycle, org.employee, "superior", org.head)
    version = cycle.version
    posts = [
        (f"/appraisals/cycles/{cycle.pk}/phase/", {"phase": "rating", "version": version}),
        (f"/appraisals/cycles/{cycle.pk}/recompute/", {}),
        (f"/appraisals/cycles/{cycle.pk}/remind/", {}),
        (f"/appraisals/cycles/{cycle.pk}/populate/", {}),
        (f"/appraisals/cycles/{cycle.pk}/assignments/{head_assignment.pk}/cancel/", {}),
        (f"/appraisals/cycles/{cycle.pk}/reassign/", {}),
        (f"/appraisals/cycles/{cycle.pk}/codes/", {}),
    ]
    for url, data in posts:
        for persona in ("outsider", "employee", "head", "leader", "auditor"):
            status = client_for(persona).post(url, data).status_code
            expected = 403 if persona in SEES_CYCLE else 404
            assert status == expected, (url, persona, status)
    assert Assignment.objects.get(pk=head_assignment.pk).status == AssignmentStatus.OPEN
    assert not CycleJob.objects.filter(cycle=cycle).exists()


def test_an_unknown_cycle_is_not_found(org, client_for):
    for persona in ("perfadmin", "sysadmin"):
        assert client_for(persona).get("/appraisals/cycles/999999/").status_code == 404


def test_lists_and_schemes_are_open_to_every_signed_in_user(org, cycle, client_for):
    for persona in PERSONAS:
        client = client_for(persona)
        listing = client.get("/appraisals/cycles/")
        assert listing.status_code == 200
        shown = cycle.name in listing.content.decode()
        assert shown == (persona in SEES_CYCLE), persona
        assert client.get("/appraisals/schemes/").status_code == 200
        assert client.get(f"/appraisals/schemes/{cycle.scheme_id}/").status_code == 200
        manages = persona in OFFICE_WRITERS
        assert client.get("/appraisals/schemes/new/").status_code == (200 if manages else 403)
        edit = client.get(f"/appraisals/schemes/{cycle.scheme_id}/edit/")
        assert edit.status_code == (200 if manages else 403)
        assert client.get("/appraisals/cycles/new/").status_code == (200 if manages else 403)


def test_the_nav_links_to_the_cycles(org, client_for):
    html = client_for("employee").get("/").content.decode()
    assert 'id="nav-appraisal"' in html and 'href="/appraisals/cycles/"' in html


# ---------------------------------------------------------------- schemes


def test_scheme_list_and_detail_in_plain_words(org, scheme, client_for):
    client = client_for("employee")
    listing = client.get("/appraisals/schemes/?q=GWY").content.decode()
    assert "公务员年度考核" in listing and 'data-preset="civil_servant"' in listing
    html = client.get(f"/appraisals/schemes/{scheme.pk}/").content.decode()
    # sections, items with their indicator and BARS levels at hand
    assert "德、能、勤、廉" in html and "DN-01" in html and "bars-levels" in html
    # groups with weights, thresholds and anonymity
    assert 'data-group="peer"' in html
    # quota in words
    assert "20%" in html and "25%" in html
    # eligibility and version history
    assert 'id="scheme-eligibility"' in html and "v1" in html
    assert 'id="edit-scheme"' not in html  # staff read it, do not edit it


def test_new_scheme_from_a_preset(org, client_for):
    client = client_for("perfadmin")
    response = client.post(
        "/appraisals/schemes/new/",
        {"preset": "institution", "code": "SYDW", "name": "本局事业单位"},
    )
    scheme = Scheme.objects.get(code="SYDW")
    assert (
        response.status_code == 302 and response["Location"] == f"/appraisals/schemes/{scheme.pk}/"
    )
    assert scheme.name == "本局事业单位" and scheme.preset == "institution"
    again = client.post(
        "/appraisals/schemes/new/", {"preset": "company", "code": "SYDW", "name": "重复的方案"}
    )
    html = again.content.decode()
    assert again.status_code == 200 and 'data-field-error="code"' in html
    assert 'value="重复的方案"' in html  # what was typed stays


def _scheme_post(client, scheme: Scheme) -> dict[str, str]:
    """The edit form as the page renders it, ready to submit (every field with its value)."""
    html = client.get(f"/appraisals/schemes/{scheme.pk}/edit/").content.decode()
    data: dict[str, str | list[str]] = {}
    for m in re.finditer(r"<input([^>]*)>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        name = attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        kind = attrs.get("type", "text")
        if kind == "checkbox":
            if "checked" in m.group(1):
                value = attrs.get("value", "on")
                if name.endswith("-sections"):
                    data.setdefault(name, [])
                    assert isinstance(data[name], list)
                    data[name].append(value)  # type: ignore[union-attr]
                else:
                    data[name] = value
            continue
        data[name] = attrs.get("value", "")
    for m in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', m.group(2))
        first = re.search(r'<option value="([^"]*)"', m.group(2))  # what a browser posts
        data[m.group(1)] = selected.group(1) if selected else first.group(1) if first else ""
    for m in re.finditer(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[m.group(1)] = m.group(2).strip()
    return data  # type: ignore[return-value]


def test_edit_scheme_saves_through_the_structured_form(org, scheme, client_for):
    client = client_for("perfadmin")
    data = _scheme_post(client, scheme)
    assert data["sections-0-code"] == "achievement" and data["grades-0-label"] == "优秀"
    data["name"] = "公务员年度考核（本局）"
    data["quotas-0-share"] = "15"
    data["reason"] = "按本局规定"
    response = client.post(f"/appraisals/schemes/{scheme.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    scheme.refresh_from_db()
    assert scheme.name == "公务员年度考核（本局）" and scheme.revision == 1  # unused: in place
    assert scheme.quota_rules[0]["share"] == pytest.approx(0.15)
    assert scheme.sections.count() == 3 and scheme.groups.count() == 4
    assert AuditRecord.objects.filter(action="appraisals.scheme.update").exists()


def test_edit_scheme_errors_sit_next_to_their_fields_and_keep_the_input(org, scheme, client_for):
    client = client_for("perfadmin")
    data = _scheme_post(client, scheme)
    data["items1-0-weight"] = "30"  # 德 weight: the items of 德能勤廉 now add up to 105
    data["name"] = "改名字"
    data["groups-1-min_responses"] = "0"  # below 1: a form error in the group row
    response = client.post(f"/appraisals/schemes/{scheme.pk}/edit/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="groups-1-min_responses"' in html
    assert 'value="改名字"' in html and 'name="items1-0-weight"' in html
    data["groups-1-min_responses"] = "1"
    response = client.post(f"/appraisals/schemes/{scheme.pk}/edit/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-block-error="items"' in html and "105" in html  # next to the section's items
    scheme.refresh_from_db()
    assert scheme.name == "公务员年度考核"


def test_edit_scheme_in_use_warns_versions_and_refuses_a_stale_form(org, cycle, client_for):
    client = client_for("perfadmin")
    scheme = cycle.scheme
    page = client.get(f"/appraisals/schemes/{scheme.pk}/edit/").content.decode()
    assert 'id="in-use-warning"' in page
    data = _scheme_post(client, scheme)
    data["name"] = "新版本"
    response = client.post(f"/appraisals/schemes/{scheme.pk}/edit/", data)
    new = Scheme.objects.get(code=scheme.code, is_latest=True)
    assert response.status_code == 302 and new.revision == 2 and new.name == "新版本"
    cycle.refresh_from_db()
    assert cycle.scheme_id == scheme.pk  # the cycle keeps its version
    # a form opened before someone else saved answers 409 and keeps what was typed
    stale = _scheme_post(client, new)
    Scheme.objects.filter(pk=new.pk).update(version=new.version + 1)
    stale["name"] = "晚了一步"
    response = client.post(f"/appraisals/schemes/{new.pk}/edit/", stale)
    assert response.status_code == 409 and 'value="晚了一步"' in response.content.decode()


# ---------------------------------------------------------------- cycles


def _cycle_form(org, scheme, **extra) -> dict[str, object]:
    return {
        "name": "2026年第二季度考核",
        "period": "2026-Q2",
        "kind": "quarterly",
        "start": "",
        "end": "",
        "unit": org.unit.pk,
        "scheme": scheme.pk,
        "departments": [org.office.pk],
        "include_subdepartments": "on",
        "people": "A0004",
        "deadline_rating": "2026-07-10",
        "unit_grade": "",
        "seed": "7",
        **extra,
    }


def test_create_a_cycle_from_the_page(org, scheme, client_for):
    client = client_for("perfadmin")
    assert "data-period-picker" in client.get("/appraisals/cycles/new/").content.decode()
    response = client.post("/appraisals/cycles/new/", _cycle_form(org, scheme))
    cycle = Cycle.objects.get(name="2026年第二季度考核")
    assert response.status_code == 302 and response["Location"] == f"/appraisals/cycles/{cycle.pk}/"
    assert (cycle.start, cycle.end) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    assert cycle.deadlines == {"rating": "2026-07-10"} and cycle.seed == 7
    people = set(cycle.appraisals.values_list("person__employee_no", flat=True))
    assert people == {"A0001", "A0002", "A0003", "A0004"}  # 办公室 and its section + A0004
    assert cycle.assignments.exists()


def test_a_rejected_cycle_form_keeps_what_was_typed(org, scheme, client_for):
    client = client_for("perfadmin")
    response = client.post(
        "/appraisals/cycles/new/",
        _cycle_form(org, scheme, period="", people="A0004 NOBODY", name="留着的名字"),
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Cycle.objects.exists()
    assert 'data-field-error="start"' in html and 'data-field-error="people"' in html
    assert "NOBODY" in html and 'value="留着的名字"' in html
    # a service error (the dates out of order) also lands next to its field
    response = client.post(
        "/appraisals/cycles/new/",
        _cycle_form(org, scheme, period="", start="2026-06-30", end="2026-04-01"),
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-field-error="end"' in html
    assert 'value="2026-06-30"' in html and not Cycle.objects.exists()
    other_unit = f.make_department("另一单位", code="U999")
    response = client.post(
        "/appraisals/cycles/new/", _cycle_form(org, scheme, departments=[other_unit.pk], people="")
    )
    # perfadmin does not manage the other unit: it is not even a choice
    assert (
        response.status_code == 200
        and 'data-field-error="departments"' in response.content.decode()
    )


def test_a_large_population_is_generated_by_a_task(
    org, scheme, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "LARGE_POPULATION", 2)
    client = client_for("perfadmin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/appraisals/cycles/new/", _cycle_form(org, scheme, people=""))
    cycle = Cycle.objects.get(name="2026年第二季度考核")
    job = CycleJob.objects.get(cycle=cycle, kind=JobKind.POPULATE)
    assert response["Location"] == f"/appraisals/cycles/{cycle.pk}/jobs/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED and job.summary["appraisals"] == 3
    assert cycle.appraisals.count() == 3 and cycle.assignments.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in page and "every 1s" not in page
    assert AuditRecord.objects.filter(action="appraisals.cycle.populate").exists()


def test_cycle_detail_shows_phases_counts_and_moves_the_phase(org, cycle, client_for):
    client = client_for("perfadmin")
    Cycle.objects.filter(pk=cycle.pk).update(deadlines={"rating": "2026-12-20"})
    html = client.get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'data-step="rating"' in html and "2026-12-20" in html
    assert 'id="appraisal-counts"' in html and 'data-group="peer"' in html
    assert 'id="phase-next"' in html and 'id="recompute-now"' in html
    response = client.post(
        f"/appraisals/cycles/{cycle.pk}/phase/", {"phase": "computing", "version": cycle.version}
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.COMPUTING
    stale = client.post(
        f"/appraisals/cycles/{cycle.pk}/phase/", {"phase": "results", "version": cycle.version - 1}
    )
    assert (
        stale.status_code == 409 and 'data-error-code="concurrent_edit"' in stale.content.decode()
    )
    auditor = client_for("auditor").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="phase-next"' not in auditor and 'id="recompute-now"' not in auditor


def test_recompute_runs_as_a_task_and_updates_scores(
    org, cycle, client_for, django_capture_on_commit_callbacks
):
    submit(cycle, org.employee, "superior", org.head, org.users["head"], 5)
    submit(cycle, org.peer, "superior", org.head, org.users["head"], 3)
    Appraisal.objects.filter(cycle=cycle).update(total=None, rank_unit=None)
    client = client_for("perfadmin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/appraisals/cycles/{cycle.pk}/recompute/")
    assert response.status_code == 302
    job = CycleJob.objects.get(cycle=cycle, kind=JobKind.RECOMPUTE)
    assert job.status == JobStatus.SUCCEEDED and job.percent == 100 and job.stage == "done"
    assert job.summary["appraisals"] == 4 and "limits" in job.summary
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    assert employee.total is not None and employee.rank_unit == 1
    cycle.refresh_from_db()
    assert cycle.computed_at is not None
    html = client.get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="quota-summary"' in html and 'id="stale-warning"' not in html
    assert AuditRecord.objects.filter(action="appraisals.cycle.recompute").exists()
    # a later single submission rescored one person: the page says ranks are older
    Appraisal.objects.filter(pk=employee.pk).update(
        computed_at=cycle.computed_at + datetime.timedelta(minutes=5)
    )
    html = client.get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert 'id="stale-warning"' in html


def test_recompute_progress_is_polled_and_not_started_twice(org, cycle, client_for):
    client = client_for("perfadmin")
    # without running the queued task: the job stays queued and the page polls it
    first = jobs.recompute_start(
        actor=actor(org.users["perfadmin"]), user=org.users["perfadmin"], cycle_id=cycle.pk
    )
    second = jobs.recompute_start(
        actor=actor(org.users["perfadmin"]), user=org.users["perfadmin"], cycle_id=cycle.pk
    )
    assert first.pk == second.pk and first.status == JobStatus.QUEUED
    html = client.get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert "every 1s" in html and f"/jobs/{first.pk}/" in html
    partial = client.get(f"/appraisals/cycles/{cycle.pk}/jobs/{first.pk}/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    assert "HX-Refresh" not in partial
    jobs.cycle_job_run(job_id=first.pk)
    done = client.get(f"/appraisals/cycles/{cycle.pk}/jobs/{first.pk}/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and b"succeeded" in done.content
    jobs.cycle_job_run(job_id=first.pk)  # idempotent: a finished job is left alone
    assert CycleJob.objects.filter(cycle=cycle).count() == 1


def test_recompute_is_refused_once_results_show(org, cycle, client_for):
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RESULTS)
    response = client_for("perfadmin").post(f"/appraisals/cycles/{cycle.pk}/recompute/")
    assert response.status_code == 409
    assert 'data-error-code="cycle_shows_results"' in response.content.decode()
    assert not CycleJob.objects.exists()


def test_a_failing_recompute_is_reported(org, cycle, monkeypatch):
    from jixiao.appraisals import scoring

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scoring, "recompute_cycle", boom)
    job = jobs.recompute_start(
        actor=actor(org.users["perfadmin"]), user=org.users["perfadmin"], cycle_id=cycle.pk
    )
    jobs.cycle_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message and "disk" not in job.message


# ---------------------------------------------------------------- raters


def test_assignment_lists_per_appraisal_and_per_rater(org, cycle, client_for):
    client = client_for("perfadmin")
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    html = client.get(
        f"/appraisals/cycles/{cycle.pk}/assignments/?rater={org.head.pk}"
    ).content.decode()
    assert html.count("data-assignment=") == cycle.assignments.filter(rater=org.head).count()
    html = client.get(
        f"/appraisals/cycles/{cycle.pk}/assignments/?appraisal={employee.pk}&group=peer"
    ).content.decode()
    expected = cycle.assignments.filter(appraisal=employee, group="peer").count()
    assert html.count("data-assignment=") == expected >= 1
    assert "data-anonymous" in html  # peers are an anonymous group


def test_anonymous_groups_show_whether_done_not_when(org, cycle, client_for):
    submit(cycle, org.employee, "peer", org.peer, org.users["peer"], 4)
    submit(cycle, org.employee, "superior", org.head, org.users["head"], 4)
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    html = (
        client_for("sysadmin")
        .get(f"/appraisals/cycles/{cycle.pk}/appraisals/{employee.pk}/raters/")
        .content.decode()
    )

    def row(a: Assignment) -> str:
        found = re.search(rf'<tr data-assignment="{a.pk}"[^>]*>(.*?)</tr>', html, re.S)
        assert found is not None
        return found.group(1)

    peer = assignment(cycle, org.employee, "peer", org.peer)
    superior = assignment(cycle, org.employee, "superior", org.head)
    assert peer.submitted_at is not None and superior.submitted_at is not None
    stamp = "%Y-%m-%d %H:%M"
    assert timezone.localtime(superior.submitted_at).strftime(stamp) in row(superior)
    assert timezone.localtime(peer.submitted_at).strftime(stamp) not in row(peer)
    assert "data-anonymous" in row(peer) and "data-anonymous" not in row(superior)


def test_add_and_cancel_a_rater(org, cycle, client_for):
    client = client_for("perfadmin")
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    url = f"/appraisals/cycles/{cycle.pk}/appraisals/{employee.pk}/raters/"
    response = client.post(url, {"group": "peer", "rater": org.outsider.pk})
    assert response.status_code == 302
    added = assignment(cycle, org.employee, "peer", org.outsider)
    assert added.status == AssignmentStatus.OPEN
    again = client.post(url, {"group": "peer", "rater": org.outsider.pk})
    assert again.status_code == 409 and 'class="alert alert-danger"' in again.content.decode()
    self_rating = client.post(url, {"group": "peer", "rater": org.employee.pk})
    assert (
        self_rating.status_code == 200
        and 'data-field-error="rater"' in self_rating.content.decode()
    )
    cancel = client.post(
        f"/appraisals/cycles/{cycle.pk}/assignments/{added.pk}/cancel/",
        {"reason": "不熟悉", "next": url},
    )
    assert cancel.status_code == 302 and cancel["Location"] == url
    added.refresh_from_db()
    assert added.status == AssignmentStatus.CANCELLED


def test_reassign_a_leaving_raters_unfinished_work(org, cycle, client_for):
    client = client_for("perfadmin")
    open_before = (
        cycle.assignments.filter(rater=org.peer, status=AssignmentStatus.OPEN)
        .exclude(group="self")
        .count()
    )
    assert open_before
    response = client.post(
        f"/appraisals/cycles/{cycle.pk}/reassign/",
        {"from_rater": org.peer.pk, "to_rater": org.outsider.pk},
    )
    assert response.status_code == 302
    assert cycle.assignments.filter(
        rater=org.outsider, appraisal__person=org.employee, group="peer"
    ).exists()
    assert (
        not cycle.assignments.filter(rater=org.peer, status=AssignmentStatus.OPEN)
        .exclude(group="self")
        .exists()
    )


def test_a_handed_over_draft_starts_empty_for_the_new_rater(org, cycle, client_for):
    draft = assignment(cycle, org.employee, "peer", org.peer)
    items = rating.items_for_groups(cycle.scheme_id)["peer"]
    peer_user = org.peer.user
    rating.ratings_save(
        actor=actor(peer_user),
        user=peer_user,
        entries=[
            rating.AssignmentInput(
                draft.pk,
                draft.version,
                [rating.RatingInput(item_id=next(iter(items)), level=2)],
                "草稿意见",
            )
        ],
        submit=False,
    )
    assert Rating.objects.filter(assignment=draft).exists()
    response = client_for("perfadmin").post(
        f"/appraisals/cycles/{cycle.pk}/reassign/",
        {"from_rater": org.peer.pk, "to_rater": org.outsider.pk},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.rater_id == org.outsider.pk and draft.status == AssignmentStatus.OPEN
    assert not Rating.objects.filter(assignment=draft).exists() and draft.comment == ""
    # the new rater submits without tripping over the old draft
    submit(cycle, org.employee, "peer", org.outsider, org.users["outsider"], 4)
    draft.refresh_from_db()
    assert draft.status == AssignmentStatus.SUBMITTED
    assert Rating.objects.filter(assignment=draft).count() == len(items)


def test_workload_counts_per_rater_and_group(org, cycle, client_for):
    submit(cycle, org.employee, "superior", org.head, org.users["head"], 4)
    html = client_for("auditor").get(f"/appraisals/cycles/{cycle.pk}/workload/").content.decode()
    row = re.search(rf'<tr data-rater="{org.head.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assigned = cycle.assignments.filter(rater=org.head).exclude(status="cancelled").count()
    cells = re.findall(r'<td class="text-end">(?:<strong>)?(\d+)', row.group(1))
    assert cells[:3] == [str(assigned), "1", str(assigned - 1)]
    only_open = (
        client_for("auditor")
        .get(f"/appraisals/cycles/{cycle.pk}/workload/?open=1")
        .content.decode()
    )
    assert f'data-rater="{org.head.pk}"' in only_open


# ---------------------------------------------------------------- reminders


def test_reminders_go_to_raters_with_open_ratings_once(org, cycle, client_for):
    Cycle.objects.filter(pk=cycle.pk).update(deadlines={"rating": "2026-12-20"})
    submit(cycle, org.employee, "superior", org.head, org.users["head"], 4)
    submit(cycle, org.peer, "superior", org.head, org.users["head"], 4)
    # too early: nothing; three days before: everyone with open ratings, once
    assert reminders.rater_reminders_send(today=datetime.date(2026, 12, 1)) == 0
    sent = reminders.rater_reminders_send(today=datetime.date(2026, 12, 17))
    open_users = set(
        cycle.assignments.filter(
            status__in=["open", "draft"], rater__user__isnull=False
        ).values_list("rater__user_id", flat=True)
    )
    assert sent == len(open_users) and open_users
    assert reminders.rater_reminders_send(today=datetime.date(2026, 12, 18)) == 0
    note = Notification.objects.filter(key__startswith="appraisals.rating_due").first()
    assert (
        note is not None
        and "2026-12-20" in note.title
        and note.url == reverse("appraisals:rate_list")
    )
    # the button sends once a day
    client = client_for("perfadmin")
    assert client.post(f"/appraisals/cycles/{cycle.pk}/remind/").status_code == 302
    now_keys = Notification.objects.filter(key__startswith="appraisals.rating_now").count()
    assert now_keys == len(open_users)
    client.post(f"/appraisals/cycles/{cycle.pk}/remind/")
    assert Notification.objects.filter(key__startswith="appraisals.rating_now").count() == now_keys
    # the command runs the same service
    call_command("send_rater_reminders", "--date", "2026-12-19")
    assert Notification.objects.filter(key__startswith="appraisals.rating_due").count() == len(
        open_users
    )


# ---------------------------------------------------------------- one-time codes


def test_the_code_sheet_appears_once(org, cycle, client_for):
    client = client_for("perfadmin")
    page = client.get(f"/appraisals/cycles/{cycle.pk}/codes/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    form = {"department": org.office.pk, "size": 5, "group": "peer", "token": token.group(1)}
    sheet = client.post(f"/appraisals/cycles/{cycle.pk}/codes/", form)
    html = sheet.content.decode()
    shown = re.findall(r"<div class=\"code\" data-code>([A-Z0-9-]+)</div>", html)
    assert (
        sheet.status_code == 200
        and len(shown) == 5
        and sheet["Cache-Control"].startswith("no-store")
    )
    assert "/appraisals/code/" in html and cycle.name in html and "@page" in html
    batch = CodeBatch.objects.get(cycle=cycle)
    # only keyed hashes are kept, and the sheet resolves to valid codes
    assert RatingCode.objects.filter(batch=batch).count() == 5
    assert all(
        codes.code_hash(c) in set(batch.codes.values_list("code_hash", flat=True)) for c in shown
    )
    assert not any(
        c in str(list(RatingCode.objects.values_list("code_hash", flat=True))) for c in shown
    )
    # reloading (the browser resubmits the same form) shows no code and makes no batch
    again = client.post(f"/appraisals/cycles/{cycle.pk}/codes/", form)
    text = again.content.decode()
    assert again.status_code == 409 and 'id="codes-shown-once"' in text
    assert not any(c in text for c in shown) and CodeBatch.objects.count() == 1
    # the batch page and the list show counts only
    for url in (
        f"/appraisals/cycles/{cycle.pk}/codes/{batch.pk}/",
        f"/appraisals/cycles/{cycle.pk}/codes/",
    ):
        text = client.get(url).content.decode()
        assert not any(c in text for c in shown)
    listing = client.get(f"/appraisals/cycles/{cycle.pk}/codes/").content.decode()
    assert f'data-batch="{batch.pk}"' in listing
    codes.code_submit(
        code_id=codes.code_open(code=shown[0]).pk,
        entries=[
            codes.CodeRating(
                appraisal_id=a.pk,
                ratings=[
                    rating.RatingInput(item_id=i, level=4)
                    for i in rating.items_for_groups(cycle.scheme_id)["peer"]
                ],
            )
            for a in codes.code_ratees(codes.code_lookup(shown[1]))
        ],
    )
    counts = codes.batch_counts(batch)
    assert counts == {"size": 5, "opened": 1, "used": 1}


def test_code_form_errors_keep_input(org, cycle, client_for):
    client = client_for("perfadmin")
    response = client.post(
        f"/appraisals/cycles/{cycle.pk}/codes/",
        {"department": org.office.pk, "size": 99999, "group": "peer", "token": "abc"},
    )
    html = response.content.decode()
    assert (
        response.status_code == 200
        and 'data-field-error="size"' in html
        and 'value="99999"' in html
    )
    assert not CodeBatch.objects.exists()


# ---------------------------------------------------------------- query counts


def _grow(org, cycle: Cycle, n: int) -> None:
    people = [
        f.make_person(
            f"加人{n}-{i}", org.secretariat, superior=org.head, employee_no=f"G{n}{i:03d}"
        )
        for i in range(n)
    ]
    appraisals = Appraisal.objects.bulk_create(
        [Appraisal(cycle=cycle, person=p, department=org.secretariat) for p in people]
    )
    Assignment.objects.bulk_create(
        [Assignment(cycle=cycle, appraisal=a, group="superior", rater=org.head) for a in appraisals]
        + [
            Assignment(cycle=cycle, appraisal=a, group="peer", rater=p)
            for a, p in zip(appraisals, people[1:] + people[:1], strict=True)
        ]
    )


@pytest.mark.parametrize("page", ["list", "detail", "workload", "assignments"])
def test_query_counts_do_not_grow_with_the_appraisals(org, cycle, client_for, page):
    client = client_for("perfadmin")
    urls = {
        "list": "/appraisals/cycles/",
        "detail": f"/appraisals/cycles/{cycle.pk}/",
        "workload": f"/appraisals/cycles/{cycle.pk}/workload/",
        "assignments": f"/appraisals/cycles/{cycle.pk}/assignments/",
    }
    make_cycle(org, cycle.scheme)  # a second cycle in the list

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(urls[page]).status_code == 200
        return len(ctx.captured_queries)

    client.get(urls[page])
    small = count()
    _grow(org, cycle, 30)
    assert count() == small
