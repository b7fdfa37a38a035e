"""Recurring appraisal cycles (周期性考核计划): the period arithmetic, the services (create,
update, (de)activate, the scheduled creation of the due cycles), the office pages, the API and
the management command."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jixiao.appraisals import cycles, schemes, series
from jixiao.appraisals.models import Appraisal, Cycle, CycleJob, CycleSeries, JobKind, Scheme
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.engine import periods
from tests.appraisals.conftest import actor

D = datetime.date
PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
OFFICE = {"leader", "auditor", "perfadmin", "sysadmin"}
WRITERS = {"perfadmin", "sysadmin"}


def data(org, scheme, **overrides) -> series.SeriesData:
    values = {
        "name": "绩效考核",
        "kind": "quarterly",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "first_start": D(2027, 1, 1),
        "population": cycles.Population(department_ids=[org.unit.pk]),
        "deadline_offsets": {"self_assessment": 10, "rating": 20},
        "lead_days": 0,
    }
    values.update(overrides)
    return series.SeriesData(**values)


SAVED_ON = D(2026, 12, 1)


def make(org, scheme, today: datetime.date = SAVED_ON, **overrides) -> CycleSeries:
    admin = org.users["perfadmin"]
    return series.series_create(
        actor=actor(admin), user=admin, data=data(org, scheme, **overrides), today=today
    )


def run(today: datetime.date, **kwargs) -> series.DueReport:
    return series.create_due_cycles(today=today, **kwargs)


def post_json(client, url: str, body: dict[str, object] | None = None, method: str = "post"):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


# ---------------------------------------------------------------- period arithmetic


@pytest.mark.parametrize(
    ("kind", "start", "end", "following", "previous", "number"),
    [
        ("monthly", D(2026, 12, 1), D(2026, 12, 31), D(2027, 1, 1), D(2026, 11, 1), 12),
        ("monthly", D(2027, 1, 1), D(2027, 1, 31), D(2027, 2, 1), D(2026, 12, 1), 1),
        ("monthly", D(2028, 2, 1), D(2028, 2, 29), D(2028, 3, 1), D(2028, 1, 1), 2),
        ("monthly", D(2027, 2, 1), D(2027, 2, 28), D(2027, 3, 1), D(2027, 1, 1), 2),
        ("quarterly", D(2026, 10, 1), D(2026, 12, 31), D(2027, 1, 1), D(2026, 7, 1), 4),
        ("quarterly", D(2027, 1, 1), D(2027, 3, 31), D(2027, 4, 1), D(2026, 10, 1), 1),
        ("half_year", D(2026, 7, 1), D(2026, 12, 31), D(2027, 1, 1), D(2026, 1, 1), 2),
        ("half_year", D(2027, 1, 1), D(2027, 6, 30), D(2027, 7, 1), D(2026, 7, 1), 1),
        ("annual", D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1), D(2025, 1, 1), 1),
    ],
)
def test_period_arithmetic_for_each_kind(kind, start, end, following, previous, number):
    assert periods.is_period_start(kind, start)
    assert periods.period_end(kind, start) == end
    assert periods.next_period_start(kind, start) == following
    assert periods.previous_period_start(kind, start) == previous
    assert periods.period_start_of(kind, end) == start
    assert periods.period_of(kind, end - datetime.timedelta(days=3)).start == start
    assert periods.period_at(kind, start).number == number


@pytest.mark.parametrize(
    ("kind", "day"),
    [
        ("monthly", D(2027, 1, 2)),
        ("quarterly", D(2027, 2, 1)),
        ("half_year", D(2027, 4, 1)),
        ("annual", D(2027, 7, 1)),
    ],
)
def test_a_period_starts_on_its_first_day_only(kind, day):
    assert not periods.is_period_start(kind, day)
    with pytest.raises(periods.PeriodError):
        periods.next_period_start(kind, day)


def test_special_cycles_do_not_recur():
    with pytest.raises(periods.PeriodError):
        periods.period_start_of("special", D(2027, 1, 1))


@given(
    kind=st.sampled_from(periods.KINDS),
    day=st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)),
)
def test_periods_tile_the_calendar(kind, day):
    period = periods.period_of(kind, day)
    assert period.start <= day <= period.end
    after = periods.period_of(kind, period.end + datetime.timedelta(days=1))
    assert after.start == period.end + datetime.timedelta(days=1)
    assert periods.previous_period_start(kind, after.start) == period.start
    assert (period.end - period.start).days + 1 >= periods.SHORTEST_DAYS[kind]


def test_due_periods_with_lead_days_and_a_year_boundary():
    first = D(2027, 1, 1)
    assert periods.due_periods("quarterly", first, D(2026, 12, 21), 10) == []
    due = periods.due_periods("quarterly", first, D(2026, 12, 22), 10)
    assert [p.start for p in due] == [D(2027, 1, 1)]
    due = periods.due_periods("quarterly", first, D(2027, 3, 22), 10)
    assert [p.start for p in due] == [D(2027, 1, 1), D(2027, 4, 1)]
    # the missed days are caught up; periods before `not_before` are skipped
    due = periods.due_periods("monthly", first, D(2027, 6, 15), not_before=D(2027, 6, 1))
    assert [p.start for p in due] == [D(2027, 6, 1)]
    upcoming = periods.next_missing("monthly", first, {D(2027, 1, 1), D(2027, 2, 1)})
    assert upcoming is not None and upcoming.start == D(2027, 3, 1)
    assert upcoming.creation_day(3) == D(2027, 2, 26)


@pytest.mark.parametrize(
    ("kind", "start", "pattern", "name"),
    [
        ("quarterly", D(2027, 1, 1), "绩效考核", "2027年第1季度绩效考核"),
        ("monthly", D(2027, 3, 1), "{period}月度考核", "2027年3月月度考核"),
        ("half_year", D(2027, 7, 1), "机关{period}考核", "机关2027年下半年考核"),
        ("annual", D(2027, 1, 1), "{period}考核", "2027年度考核"),
        ("quarterly", D(2027, 10, 1), "{year}年Q{n}考核", "2027年Q4考核"),
    ],
)
def test_cycle_names_come_from_the_period(kind, start, pattern, name):
    assert series.cycle_name(pattern, periods.period_at(kind, start)) == name


# ---------------------------------------------------------------- creating the due cycles


def test_running_twice_creates_the_cycle_once(org, scheme, django_capture_on_commit_callbacks):
    made = make(org, scheme)
    assert run(D(2026, 12, 31)).created == []  # not due before the period starts
    with django_capture_on_commit_callbacks(execute=True):
        report = run(D(2027, 1, 1))
    assert [c.name for c in report.created] == ["2027年第1季度绩效考核"] and not report.failed
    cycle = Cycle.objects.get(series=made)
    assert (cycle.kind, cycle.start, cycle.end, cycle.period_start) == (
        "quarterly",
        D(2027, 1, 1),
        D(2027, 3, 31),
        D(2027, 1, 1),
    )
    assert cycle.deadlines == {"self_assessment": "2027-04-10", "rating": "2027-04-20"}
    assert cycle.created_by_id is None and cycle.scheme_id == scheme.pk
    # populated in the background, as the office's large cycles are
    job = CycleJob.objects.get(cycle=cycle, kind=JobKind.POPULATE)
    assert job.status == "succeeded" and Appraisal.objects.filter(cycle=cycle).count() == 4
    audit = AuditRecord.objects.filter(object_id=str(cycle.pk), object_type="appraisals.cycle")
    create = audit.get(action="appraisals.cycle.create")
    assert create.source == "system" and create.actor_id is None
    assert create.changes["series"] == [None, made.pk]
    assert audit.filter(action="appraisals.cycle.populate").exists()
    assert AuditRecord.objects.filter(action="appraisals.series.cycle").count() == 1
    # again, the same day and later in the quarter: nothing new
    assert run(D(2027, 1, 1)).created == []
    assert run(D(2027, 2, 15)).created == []
    assert Cycle.objects.filter(series=made).count() == 1


def test_a_concurrent_run_that_made_the_cycle_first_is_skipped(org, scheme):
    made = make(org, scheme, lead_days=0)
    series_row = CycleSeries.objects.get(pk=made.pk)
    period = periods.period_at("quarterly", D(2027, 1, 1))
    assert series._create_period_cycle(
        actor=series.SCHEDULER, user=None, series_id=series_row.pk, period=period
    )
    # a second attempt at the same period (as a run that read the cycles before) makes none
    assert (
        series._create_period_cycle(
            actor=series.SCHEDULER, user=None, series_id=series_row.pk, period=period
        )
        is None
    )
    assert Cycle.objects.filter(series=made).count() == 1


def test_lead_days_and_catching_up_missed_days(org, scheme):
    made = make(org, scheme, kind="monthly", lead_days=5, deadline_offsets={})
    assert run(D(2026, 12, 26)).created == []
    assert [c.period_start for c in run(D(2026, 12, 27)).created] == ["2027-01-01"]
    # the scheduler did not run for weeks: February and March are created together
    report = run(D(2027, 3, 10))
    assert [c.name for c in report.created] == ["2027年2月绩效考核", "2027年3月绩效考核"]
    from jixiao.appraisals.selectors import series_overview

    overview = series_overview([made])[made.pk]
    assert overview.next_period is not None and overview.next_period.start == D(2027, 4, 1)
    assert overview.next_creation_day == D(2027, 3, 27)
    assert [c.period_start for c in overview.cycles] == [
        D(2027, 3, 1),
        D(2027, 2, 1),
        D(2027, 1, 1),
    ]


def test_a_deactivated_series_creates_nothing_and_resumes_with_the_current_period(org, scheme):
    admin = org.users["perfadmin"]
    made = make(org, scheme, kind="monthly", deadline_offsets={})
    assert len(run(D(2027, 1, 1)).created) == 1
    series.series_set_active(
        actor=actor(admin), user=admin, series_id=made.pk, active=False, today=D(2027, 1, 5)
    )
    assert run(D(2027, 5, 20)).created == []
    again = series.series_set_active(
        actor=actor(admin), user=admin, series_id=made.pk, active=True, today=D(2027, 6, 15)
    )
    assert again.resume_from == D(2027, 6, 1) and again.is_active
    # February to May passed while it was off: no cycles for them
    assert [c.period_start for c in run(D(2027, 6, 15)).created] == ["2027-06-01"]
    actions = set(
        AuditRecord.objects.filter(action__startswith="appraisals.series.").values_list(
            "action", flat=True
        )
    )
    assert {"appraisals.series.create", "appraisals.series.deactivate"} <= actions
    assert "appraisals.series.activate" in actions


def test_a_failing_series_is_reported_and_does_not_stop_the_others(org, scheme, monkeypatch):
    broken = make(org, scheme, name="坏的考核")
    crashing = make(org, scheme, name="崩溃的考核")
    good = make(org, scheme, name="好的考核")
    CycleSeries.objects.filter(pk=broken.pk).update(population={"departments": [999999]})
    real = series._create_period_cycle

    def crash_one(**kwargs):
        if kwargs["series_id"] == crashing.pk:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(series, "_create_period_cycle", crash_one)
    report = run(D(2027, 1, 1))
    assert [c.series_id for c in report.created] == [good.pk]
    failed = {f.series_id: f.message for f in report.failed}
    assert set(failed) == {broken.pk, crashing.pk}
    assert "999999" in failed[broken.pk]  # the cycle's own check, in the site's language
    assert "内部错误" in failed[crashing.pk]
    stored = CycleSeries.objects.get(pk=broken.pk)
    assert "999999" in stored.last_error and stored.last_error_at is not None
    # fixed: the next run creates it and forgets the error
    CycleSeries.objects.filter(pk=broken.pk).update(population={"departments": [org.office.pk]})
    monkeypatch.setattr(series, "_create_period_cycle", real)
    report = run(D(2027, 1, 2))
    assert {c.series_id for c in report.created} == {broken.pk, crashing.pk}
    assert CycleSeries.objects.get(pk=broken.pk).last_error == ""


def test_a_revised_scheme_applies_from_the_next_cycle(org, scheme):
    admin = org.users["perfadmin"]
    made = make(org, scheme, kind="monthly", deadline_offsets={})
    run(D(2027, 1, 1))
    changed = schemes.SchemeData.of(scheme)
    changed.description = "2027年修订"
    revised = schemes.scheme_update(
        actor=actor(admin),
        user=admin,
        scheme_id=scheme.pk,
        expected_version=Scheme.objects.get(pk=scheme.pk).version,
        data=changed,
        reason="修订",
    )
    assert revised.pk != scheme.pk
    run(D(2027, 2, 1))
    assert list(
        Cycle.objects.filter(series=made)
        .order_by("period_start")
        .values_list("scheme_id", flat=True)
    ) == [scheme.pk, revised.pk]


def test_the_button_runs_only_the_series_the_person_manages(org, scheme):
    make(org, scheme)
    with pytest.raises(DomainError) as refused:
        run(D(2027, 1, 1), user=org.users["leader"], actor=actor(org.users["leader"]))
    assert refused.value.status == 403
    admin = org.users["perfadmin"]
    report = run(D(2027, 1, 1), user=admin, actor=actor(admin))
    assert len(report.created) == 1
    cycle = Cycle.objects.get(pk=report.created[0].cycle_id)
    assert cycle.created_by_id == admin.pk


# ---------------------------------------------------------------- validation and changes


def _fields(error: DomainError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.all_errors()}


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"first_start": D(2027, 2, 1)}, "first_start", "not_period_start"),
        ({"kind": "annual", "first_start": D(2027, 7, 1)}, "first_start", "not_period_start"),
        ({"first_start": D(2026, 4, 1)}, "first_start", "too_far_back"),
        ({"kind": "special"}, "kind", "invalid_choice"),
        ({"name": "{quarter}考核"}, "name", "unknown_placeholder"),
        ({"name": ""}, "name", "required"),
        ({"lead_days": 400}, "lead_days", "out_of_range"),
        (
            {"deadline_offsets": {"self_assessment": 20, "rating": 10}},
            "deadline_offsets.rating",
            "deadlines_ordered",
        ),
        ({"deadline_offsets": {"rating": -200}}, "deadline_offsets.rating", "out_of_range"),
        ({"deadline_offsets": {"draft": 3}}, "deadline_offsets", "unknown_phase"),
        ({"population": cycles.Population()}, "population", "required"),
    ],
)
def test_invalid_series_are_refused(org, scheme, overrides, field, code):
    with pytest.raises(DomainError) as refused:
        make(org, scheme, **overrides)
    assert _fields(refused.value).get(field) == code, refused.value.all_errors()
    assert not CycleSeries.objects.exists()


def test_the_previous_period_is_allowed_as_first(org, scheme):
    made = make(org, scheme, today=D(2027, 5, 10), first_start=D(2027, 1, 1))
    assert [c.period_start for c in run(D(2027, 5, 10)).created] == ["2027-01-01", "2027-04-01"]
    assert made.pk


def test_creating_and_changing_needs_the_unit(org, scheme):
    for persona in ("employee", "head", "leader", "auditor"):
        user = org.users[persona]
        with pytest.raises(DomainError) as refused:
            series.series_create(
                actor=actor(user), user=user, data=data(org, scheme), today=D(2026, 12, 1)
            )
        assert refused.value.status == 403, persona
    made = make(org, scheme)
    leader = org.users["leader"]
    with pytest.raises(DomainError) as refused:
        series.series_update(
            actor=actor(leader),
            user=leader,
            series_id=made.pk,
            expected_version=made.version,
            data=data(org, scheme, name="改名"),
        )
    assert refused.value.status == 403


def test_update_is_compare_and_set_and_fixes_the_schedule_once_used(org, scheme):
    admin = org.users["perfadmin"]
    made = make(org, scheme)
    changed = series.series_update(
        actor=actor(admin),
        user=admin,
        series_id=made.pk,
        expected_version=made.version,
        data=data(org, scheme, name="{period}考核", lead_days=7),
        today=D(2026, 12, 1),
    )
    assert changed.version == made.version + 1 and changed.lead_days == 7
    record = AuditRecord.objects.get(action="appraisals.series.update")
    assert record.changes["name"] == ["绩效考核", "{period}考核"]
    with pytest.raises(DomainError) as stale:
        series.series_update(
            actor=actor(admin),
            user=admin,
            series_id=made.pk,
            expected_version=made.version,
            data=data(org, scheme, name="又改"),
        )
    assert stale.value.code == "concurrent_edit"
    run(D(2027, 1, 1))
    with pytest.raises(DomainError) as fixed:
        series.series_update(
            actor=actor(admin),
            user=admin,
            series_id=made.pk,
            expected_version=changed.version,
            data=data(org, scheme, kind="monthly"),
        )
    assert _fields(fixed.value) == {"kind": "fixed_once_used"}


# ---------------------------------------------------------------- pages


def _page_urls(made: CycleSeries) -> dict[str, str]:
    return {
        "list": "/appraisals/series/",
        "new": "/appraisals/series/new/",
        "detail": f"/appraisals/series/{made.pk}/",
        "edit": f"/appraisals/series/{made.pk}/edit/",
    }


@pytest.mark.parametrize(
    ("page", "expect"),
    [
        ("list", {p: 200 if p in OFFICE else 403 for p in PERSONAS}),
        ("new", {p: 200 if p in WRITERS else 403 for p in PERSONAS}),
        ("detail", {p: 200 if p in OFFICE else 404 for p in PERSONAS}),
        ("edit", {p: 200 if p in WRITERS else 403 if p in OFFICE else 404 for p in PERSONAS}),
    ],
)
def test_page_permissions(org, scheme, client_for, page, expect):
    url = _page_urls(make(org, scheme))[page]
    assert {p: client_for(p).get(url).status_code for p in PERSONAS} == expect


def test_the_list_shows_the_next_period_and_links_the_cycles(org, scheme, client_for):
    made = make(org, scheme)
    run(D(2027, 1, 1))
    cycle = Cycle.objects.get(series=made)
    html = client_for("perfadmin").get("/appraisals/series/").content.decode()
    row = re.search(rf'<tr data-series="{made.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert f'href="/appraisals/cycles/{cycle.pk}/"' in row.group(1) and cycle.name in row.group(1)
    assert 'data-next="2027-04-01"' in row.group(1) and "2027年第2季度绩效考核" in row.group(1)
    assert 'id="series-run"' in html and 'id="new-series"' in html
    # read-only for the rest of the office
    leader = client_for("leader").get("/appraisals/series/").content.decode()
    assert f'data-series="{made.pk}"' in leader and 'id="series-run"' not in leader
    # the cycle list links here, for the office only
    assert 'id="series-link"' in client_for("auditor").get("/appraisals/cycles/").content.decode()
    assert 'id="series-link"' not in client_for("head").get("/appraisals/cycles/").content.decode()
    # the cycle names its series
    detail = client_for("perfadmin").get(f"/appraisals/cycles/{cycle.pk}/").content.decode()
    assert f'href="/appraisals/series/{made.pk}/"' in detail
    page = client_for("auditor").get(f"/appraisals/series/{made.pk}/").content.decode()
    assert f'data-cycle="{cycle.pk}"' in page and 'id="edit-series"' not in page


def test_the_list_costs_the_same_queries_for_more_series(org, scheme, client_for):
    client = client_for("perfadmin")
    make(org, scheme)
    run(D(2027, 1, 1))
    client.get("/appraisals/series/")
    with CaptureQueriesContext(connection) as one:
        client.get("/appraisals/series/")
    for name in ("第二个", "第三个"):
        make(org, scheme, name=name + "{period}")
    run(D(2027, 1, 1))
    with CaptureQueriesContext(connection) as three:
        client.get("/appraisals/series/")
    assert len(three.captured_queries) == len(one.captured_queries)


def _form_data(org, scheme, **overrides) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "机关{period}考核",
        "kind": "quarterly",
        "unit": org.unit.pk,
        "scheme": scheme.pk,
        "first_start": "2099-01-01",
        "lead_days": "5",
        "departments": [org.office.pk],
        "include_subdepartments": "on",
        "people": "A0004",
        "offset_self_assessment": "10",
        "offset_rating": "20",
    }
    values.update(overrides)
    return values


def test_a_rejected_form_keeps_what_was_typed(org, scheme, client_for):
    client = client_for("perfadmin")
    response = client.post(
        "/appraisals/series/new/", _form_data(org, scheme, first_start="2099-02-01")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not CycleSeries.objects.exists()
    assert 'value="机关{period}考核"' in html and 'value="2099-02-01"' in html
    assert "A0004" in html and 'value="20"' in html
    assert "季度" in html and "第一天" in html  # the error, in Chinese, by the field
    bad = client.post("/appraisals/series/new/", _form_data(org, scheme, offset_rating="5"))
    assert "早于" in bad.content.decode() and not CycleSeries.objects.exists()


def test_create_edit_and_deactivate_through_the_pages(org, scheme, client_for):
    client = client_for("perfadmin")
    response = client.post("/appraisals/series/new/", _form_data(org, scheme))
    made = CycleSeries.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/appraisals/series/{made.pk}/"
    assert made.population == {
        "departments": [org.office.pk],
        "include_subdepartments": True,
        "post_categories": [],
        "people": [org.outsider.pk],
    }
    assert made.deadline_offsets == {"self_assessment": 10, "rating": 20} and made.lead_days == 5
    edit = client.get(f"/appraisals/series/{made.pk}/edit/").content.decode()
    assert 'value="机关{period}考核"' in edit and "A0004" in edit
    changed = _form_data(org, scheme, name="新名称", version=made.version)
    assert client.post(f"/appraisals/series/{made.pk}/edit/", changed).status_code == 302
    made.refresh_from_db()
    assert made.name == "新名称"
    stale = client.post(f"/appraisals/series/{made.pk}/edit/", {**changed, "version": 1})
    assert stale.status_code == 409
    off = client.post(
        f"/appraisals/series/{made.pk}/active/", {"active": "0", "version": made.version}
    )
    assert off.status_code == 302 and not CycleSeries.objects.get(pk=made.pk).is_active
    for persona in ("leader", "auditor"):
        refused = client_for(persona).post(
            f"/appraisals/series/{made.pk}/active/", {"active": "1", "version": made.version + 1}
        )
        assert refused.status_code == 403
    assert client_for("outsider").post(f"/appraisals/series/{made.pk}/active/").status_code == 404


def test_create_due_cycles_now(org, scheme, client_for):
    today = timezone.localdate()
    make(org, scheme, today=today, kind="monthly", first_start=today.replace(day=1))
    for persona in ("employee", "leader", "auditor"):
        assert client_for(persona).post("/appraisals/series/run/").status_code == 403
    client = client_for("perfadmin")
    response = client.post("/appraisals/series/run/", follow=True)
    assert response.status_code == 200 and Cycle.objects.filter(series__isnull=False).count() == 1
    assert "绩效考核" in response.content.decode()
    again = client.post("/appraisals/series/run/", follow=True).content.decode()
    assert Cycle.objects.filter(series__isnull=False).count() == 1 and "没有" in again


# ---------------------------------------------------------------- API


def _body(org, scheme, **overrides) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "接口季度考核",
        "kind": "quarterly",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "first_start": "2099-01-01",
        "population": {"department_ids": [org.office.pk]},
        "deadline_offsets": {"rating": 15},
        "lead_days": 3,
    }
    body.update(overrides)
    return body


def test_api_create_list_get_update_and_deactivate(org, scheme, client_for):
    for persona in ("outsider", "employee", "head", "leader", "auditor"):
        refused = post_json(client_for(persona), "/api/appraisals/series", _body(org, scheme))
        assert refused.status_code == 403, persona
    admin = client_for("perfadmin")
    response = post_json(admin, "/api/appraisals/series", _body(org, scheme))
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["next_period"] == {
        "start": "2099-01-01",
        "end": "2099-03-31",
        "name": "2099年第1季度接口季度考核",
        "created_on": "2098-12-29",
    }
    assert made["deadline_offsets"] == {"rating": 15} and made["cycles"] == []
    bad = post_json(admin, "/api/appraisals/series", _body(org, scheme, first_start="2099-01-02"))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "first_start"
    for persona in PERSONAS:
        items = client_for(persona).get("/api/appraisals/series").json()["items"]
        assert [s["id"] for s in items] == ([made["id"]] if persona in OFFICE else []), persona
        got = client_for(persona).get(f"/api/appraisals/series/{made['id']}").status_code
        assert got == (200 if persona in OFFICE else 404), persona
    url = f"/api/appraisals/series/{made['id']}"
    for persona in ("leader", "auditor", "outsider"):
        status = post_json(client_for(persona), url, {"version": 1}, method="patch").status_code
        assert status == (403 if persona in OFFICE else 404)
    patched = post_json(admin, url, {"version": made["version"], "lead_days": 0}, method="patch")
    assert patched.status_code == 200 and patched.json()["lead_days"] == 0
    assert patched.json()["name"] == "接口季度考核"
    stale = post_json(admin, url, {"version": made["version"], "lead_days": 1}, method="patch")
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    off = post_json(admin, f"{url}/deactivate")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert off.json()["next_period"] is None
    on = post_json(admin, f"{url}/activate", {"version": off.json()["version"]})
    assert on.status_code == 200 and on.json()["is_active"] is True
    listed = admin.get("/api/appraisals/series?active=false").json()
    assert listed["count"] == 0


# ---------------------------------------------------------------- the command


def test_the_management_command(org, scheme, capsys):
    made = make(org, scheme)
    call_command("create_due_cycles", "--date", "2027-01-01")
    out = capsys.readouterr().out
    assert "2027年第1季度绩效考核" in out and "cycles created: 1" in out
    call_command("create_due_cycles", "--date", "2027-01-01")
    assert "cycles created: 0" in capsys.readouterr().out
    assert Cycle.objects.filter(series=made).count() == 1
    with pytest.raises(CommandError):
        call_command("create_due_cycles", "--date", "2027-13-01")
    make(org, scheme, name="坏的{period}")
    CycleSeries.objects.filter(name="坏的{period}").update(population={"departments": [999999]})
    with pytest.raises(CommandError):
        call_command("create_due_cycles", "--date", "2027-04-01")
    captured = capsys.readouterr()
    assert "2027年第2季度绩效考核" in captured.out and "坏的{period}" in captured.err


def test_the_edit_form_fixes_the_schedule_once_a_cycle_exists(org, scheme, client_for):
    made = make(org, scheme)
    run(D(2027, 1, 1))
    client = client_for("perfadmin")
    html = client.get(f"/appraisals/series/{made.pk}/edit/").content.decode()
    assert re.search(r'<select name="kind"[^>]*disabled', html)
    body = _form_data(org, scheme, kind="monthly", first_start="2099-01-01", version=made.version)
    body["name"] = "改名{period}"
    assert client.post(f"/appraisals/series/{made.pk}/edit/", body).status_code == 302
    made.refresh_from_db()
    assert (made.name, made.kind, made.first_start) == ("改名{period}", "quarterly", D(2027, 1, 1))
