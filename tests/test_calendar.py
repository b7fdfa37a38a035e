"""The working-day calendar: seed data, the cached engine calendar, audited services, the
year page with its calculator, and the API — with permissions for every write."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jixiao.core import workdays
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord, CalendarDay
from jixiao.engine.calendar import working_days_between

ADMIN = Actor.system("test", source="cli")
D = dt.date


def day_of(iso: str) -> CalendarDay:
    return CalendarDay.objects.get(date=D.fromisoformat(iso))


def call(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if body is not None:
        extra["data"] = json.dumps(body)
        extra["content_type"] = "application/json"
    return getattr(client, method.lower())(url, **extra)


def audit_of(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


# ---------------------------------------------------------------- seed and selector


def test_the_seed_holds_2025_and_2026(db):
    assert workdays.calendar_days_in_year(2025).count() == 33
    assert workdays.calendar_days_in_year(2026).count() == 39
    assert workdays.calendar_years() == [2025, 2026]
    sunday = day_of("2025-01-26")
    assert (sunday.kind, sunday.name) == ("workday", "春节")
    assert day_of("2026-02-15").name == "春节"
    assert day_of("2026-10-10").kind == "workday"


def test_work_calendar_counts_the_seeded_years(db):
    cal = workdays.work_calendar()
    for year in (2025, 2026):
        assert working_days_between(cal, f"{year}-01-01", f"{year + 1}-01-01") == 248
    span = workdays.count_span(D(2026, 9, 30), D(2026, 10, 10))
    assert (span.calendar_days, span.working_days, span.working_days_end_excluded) == (11, 4, 3)
    assert workdays.due_date(D(2025, 1, 24), 3) == D(2025, 2, 5)


def test_work_calendar_is_cached_until_a_write(db, django_assert_num_queries):
    workdays.work_calendar()
    with django_assert_num_queries(0):
        cal = workdays.work_calendar()
        assert working_days_between(cal, "2026-03-02", "2026-03-09") == 5
    workdays.calendar_day_create(
        actor=ADMIN,
        can_manage=True,
        data=workdays.CalendarDayData(D(2026, 3, 3), "holiday", "单位假日"),
    )
    assert working_days_between(workdays.work_calendar(), "2026-03-02", "2026-03-09") == 4


def test_weekmask_setting(db, settings):
    settings.JIXIAO_WORKWEEK = "1111110"  # a six-day week
    workdays.forget_calendar()
    assert working_days_between(workdays.work_calendar(), "2026-03-02", "2026-03-09") == 6
    settings.JIXIAO_WORKWEEK = "11111"
    workdays.forget_calendar()
    with pytest.raises(ValueError):
        workdays.work_calendar()


# ---------------------------------------------------------------- services


def test_create_update_delete_are_audited(db):
    day = workdays.calendar_day_create(
        actor=ADMIN,
        can_manage=True,
        data=workdays.CalendarDayData(D(2027, 1, 1), "holiday", " 元旦 "),
        reason="2027 通知",
    )
    assert day.name == "元旦" and day.version == 1
    (created,) = audit_of("core.calendar_day.create")
    assert created.changes == {
        "date": [None, "2027-01-01"],
        "kind": [None, "holiday"],
        "name": [None, "元旦"],
    }
    assert created.reason == "2027 通知" and created.object_type == "core.calendarday"

    saved = workdays.calendar_day_update(
        actor=ADMIN,
        can_manage=True,
        day_id=day.pk,
        expected_version=1,
        data=workdays.CalendarDayData(D(2027, 1, 1), "holiday", "元旦节"),
    )
    assert saved.version == 2
    (updated,) = audit_of("core.calendar_day.update")
    assert updated.changes == {"name": ["元旦", "元旦节"]}

    with pytest.raises(DomainError) as stale:
        workdays.calendar_day_update(
            actor=ADMIN,
            can_manage=True,
            day_id=day.pk,
            expected_version=1,
            data=workdays.CalendarDayData(D(2027, 1, 1), "holiday", "x"),
        )
    assert stale.value.code == "concurrent_edit" and stale.value.status == 409

    workdays.calendar_day_delete(actor=ADMIN, can_manage=True, day_id=day.pk, reason="录错")
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    (deleted,) = audit_of("core.calendar_day.delete")
    assert deleted.changes["name"] == ["元旦节", None] and deleted.reason == "录错"


def test_services_refuse_without_the_right(db):
    data = workdays.CalendarDayData(D(2027, 1, 1), "holiday", "元旦")
    with pytest.raises(DomainError) as exc:
        workdays.calendar_day_create(actor=ADMIN, can_manage=False, data=data)
    assert exc.value.code == "forbidden"
    day = day_of("2025-01-01")
    for call_ in (
        lambda: workdays.calendar_day_update(
            actor=ADMIN, can_manage=False, day_id=day.pk, expected_version=1, data=data
        ),
        lambda: workdays.calendar_day_delete(actor=ADMIN, can_manage=False, day_id=day.pk),
        lambda: workdays.calendar_year_import(actor=ADMIN, can_manage=False, year=2027, rows=[]),
    ):
        with pytest.raises(DomainError) as exc:
            call_()
        assert exc.value.code == "forbidden"
    assert CalendarDay.objects.filter(pk=day.pk).exists()
    assert not AuditRecord.objects.exists()


def test_validation(db):
    def codes(data: workdays.CalendarDayData) -> set[str]:
        with pytest.raises(DomainError) as exc:
            workdays.calendar_day_create(actor=ADMIN, can_manage=True, data=data)
        return {e.code for e in exc.value.all_errors()}

    # A Monday is worked anyway; only a day off can become an adjusted working day.
    assert codes(workdays.CalendarDayData(D(2027, 1, 4), "workday", "")) == {"already_working_day"}
    assert codes(workdays.CalendarDayData(D(2025, 1, 26), "holiday", "")) == {"date_taken"}
    assert codes(workdays.CalendarDayData(D(2027, 1, 5), "vacation", "")) == {"invalid_choice"}
    assert codes(workdays.CalendarDayData(D(2027, 1, 5), "holiday", "x" * 51)) == {"too_long"}
    # A Saturday may be worked; a Saturday may also be named as part of a holiday period.
    workdays.calendar_day_create(
        actor=ADMIN, can_manage=True, data=workdays.CalendarDayData(D(2027, 1, 9), "workday", "")
    )
    workdays.calendar_day_create(
        actor=ADMIN, can_manage=True, data=workdays.CalendarDayData(D(2027, 1, 2), "holiday", "")
    )


def test_update_cannot_move_a_day_onto_another(db):
    day = day_of("2025-01-01")
    with pytest.raises(DomainError) as exc:
        workdays.calendar_day_update(
            actor=ADMIN,
            can_manage=True,
            day_id=day.pk,
            expected_version=day.version,
            data=workdays.CalendarDayData(D(2025, 1, 28), "holiday", "元旦"),
        )
    assert exc.value.all_errors()[0].code == "date_taken"


def test_year_import_is_all_or_nothing(db):
    before = list(workdays.calendar_days_in_year(2025).values_list("date", "kind", "name"))
    rows = [
        workdays.CalendarDayData(D(2025, 1, 1), "holiday", "元旦"),
        workdays.CalendarDayData(D(2025, 1, 6), "workday", ""),  # a Monday: refused
        workdays.CalendarDayData(D(2026, 1, 1), "holiday", "元旦"),  # another year: refused
        workdays.CalendarDayData(D(2025, 1, 1), "holiday", "元旦"),  # twice: refused
    ]
    with pytest.raises(DomainError) as exc:
        workdays.calendar_year_import(actor=ADMIN, can_manage=True, year=2025, rows=rows)
    assert {e.code for e in exc.value.all_errors()} == {
        "already_working_day",
        "wrong_year",
        "duplicate_date",
    }
    assert list(workdays.calendar_days_in_year(2025).values_list("date", "kind", "name")) == before
    assert not AuditRecord.objects.exists()


def test_year_import_replaces_the_year(db):
    workdays.work_calendar()
    rows = [
        workdays.CalendarDayData(D(2025, 1, 1), "holiday", "元旦"),  # unchanged
        workdays.CalendarDayData(D(2025, 1, 26), "workday", "春节调休"),  # renamed
        workdays.CalendarDayData(D(2025, 3, 3), "holiday", "单位假日"),  # new
    ]
    result = workdays.calendar_year_import(
        actor=ADMIN, can_manage=True, year=2025, rows=rows, reason="重新导入"
    )
    assert (result.created, result.updated, result.deleted, result.unchanged) == (1, 1, 31, 1)
    assert list(workdays.calendar_days_in_year(2025).values_list("date", "name")) == [
        (D(2025, 1, 1), "元旦"),
        (D(2025, 1, 26), "春节调休"),
        (D(2025, 3, 3), "单位假日"),
    ]
    assert workdays.calendar_days_in_year(2026).count() == 39  # other years untouched
    assert len(audit_of("core.calendar_day.create")) == 1
    assert len(audit_of("core.calendar_day.update")) == 1
    assert len(audit_of("core.calendar_day.delete")) == 31
    assert {r.reason for r in AuditRecord.objects.all()} == {"重新导入"}
    # The cached calendar follows: 28 January is a working day again, 3 March is not.
    cal = workdays.work_calendar()
    assert working_days_between(cal, "2025-01-28", "2025-01-29") == 1
    assert working_days_between(cal, "2025-03-03", "2025-03-04") == 0


def test_parse_csv_with_chinese_headers_and_gb18030(db):
    text = "日期,类型,名称\n2027-01-01,放假,元旦\n2027/1/9,上班,春节\n"
    rows = workdays.parse_calendar_file("2027.csv", text.encode("gb18030"))
    assert [(r.date, r.kind, r.name) for r in rows] == [
        (D(2027, 1, 1), "holiday", "元旦"),
        (D(2027, 1, 9), "workday", "春节"),
    ]


def test_parse_xlsx(db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "kind", "name"])
    sheet.append([dt.datetime(2027, 1, 1), "holiday", "元旦"])
    sheet.append(["2027-02-06", "workday", None])
    buf = io.BytesIO()
    book.save(buf)
    rows = workdays.parse_calendar_file("a.XLSX", buf.getvalue())
    assert [(r.date, r.kind, r.name) for r in rows] == [
        (D(2027, 1, 1), "holiday", "元旦"),
        (D(2027, 2, 6), "workday", ""),
    ]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.txt", b"date,kind\n", "bad_type"),
        ("a.csv", b"", "empty"),
        ("a.csv", b"when,what\n2027-01-01,holiday\n", "missing_columns"),
        ("a.csv", b"date,kind\n2027-13-01,holiday\n2027-01-02,party\n", "invalid_date"),
        ("a.xlsx", b"not a workbook", "bad_file"),
    ],
)
def test_parse_refusals(db, name, content, code):
    with pytest.raises(DomainError) as exc:
        workdays.parse_calendar_file(name, content)
    assert code in {e.code for e in exc.value.all_errors()}


def test_parse_names_the_rows(db):
    with pytest.raises(DomainError) as exc:
        workdays.parse_calendar_file("a.csv", b"date,kind\n2027-13-01,holiday\n2027-01-02,party\n")
    messages = [e.message for e in exc.value.all_errors()]
    assert len(messages) == 2 and "2" in messages[0] and "3" in messages[1]


# ---------------------------------------------------------------- pages


def test_anonymous_is_sent_to_sign_in(client, db):
    for url in ["/calendar/", "/calendar/?year=2026", "/calendar/count/", "/calendar/export.csv"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_employee_reads_the_year(client_for, django_assert_max_num_queries):
    client = client_for("employee")
    workdays.work_calendar()  # cached, as after the first page of the day
    with django_assert_max_num_queries(14) as full:
        response = client.get("/calendar/?year=2026", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # The same queries for a year with no days at all: nothing is read per day.
    with CaptureQueriesContext(connection) as empty:
        client.get("/calendar/?year=2030")
    assert len(full.captured_queries) == len(empty.captured_queries)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-date="2026-02-14" data-working="1" data-kind="workday"' in html
    assert 'data-date="2026-02-16" data-working="0" data-kind="holiday"' in html
    assert 'data-date="2026-03-07" data-working="0"' in html  # an ordinary Saturday
    assert 'id="year-working-days">248<' in html
    assert 'data-month="2" data-working-days="16"' in html
    assert "春节" in html and "工作日历" in html
    # Read only: no forms to change the calendar, no edit links.
    assert 'id="day-form"' not in html and 'id="import-form"' not in html
    assert "data-edit-day" not in html
    assert 'id="nav-calendar"' in html


def test_admins_see_the_forms(client_for):
    for persona in ("sysadmin", "perfadmin"):
        html = client_for(persona).get("/calendar/?year=2025").content.decode()
        assert 'id="day-form"' in html and 'id="import-form"' in html and "data-edit-day" in html


def test_year_bounds(client_for):
    client = client_for("employee")
    assert client.get("/calendar/?year=abc").status_code == 404
    assert client.get("/calendar/?year=3000").status_code == 404
    empty = client.get("/calendar/?year=2030")
    assert empty.status_code == 200 and 'id="calendar-days-empty"' in empty.content.decode()


def test_employee_cannot_write_through_pages(client_for):
    client = client_for("employee")
    day = day_of("2025-01-01")
    assert (
        client.post("/calendar/days/new/", {"date": "2027-01-01", "kind": "holiday"}).status_code
        == 403
    )
    assert client.get(f"/calendar/days/{day.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/calendar/days/{day.pk}/edit/",
            {"date": "2025-01-01", "kind": "holiday", "version": 1},
        ).status_code
        == 403
    )
    assert client.post(f"/calendar/days/{day.pk}/delete/", {"version": 1}).status_code == 403
    upload = io.BytesIO(b"date,kind\n2027-01-01,holiday\n")
    upload.name = "a.csv"
    assert client.post("/calendar/import/", {"year": 2027, "file": upload}).status_code == 403
    assert CalendarDay.objects.filter(pk=day.pk, version=1).exists()
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    assert not AuditRecord.objects.exists()


def test_admin_adds_edits_and_removes_a_day(client_for, org):
    client = client_for("perfadmin")
    response = client.post(
        "/calendar/days/new/?year=2027",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "reason": "通知"},
    )
    assert response.status_code == 302 and response["Location"] == "/calendar/?year=2027"
    day = day_of("2027-01-01")
    (record,) = audit_of("core.calendar_day.create")
    assert record.actor_id == org.users["perfadmin"].pk and record.source == "web"

    page = client.get(f"/calendar/days/{day.pk}/edit/")
    assert page.status_code == 200 and 'value="元旦"' in page.content.decode()
    response = client.post(
        f"/calendar/days/{day.pk}/edit/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦节", "version": 1},
    )
    assert response.status_code == 302
    assert day_of("2027-01-01").name == "元旦节"
    # A stale form is refused with 409 and shows why.
    stale = client.post(
        f"/calendar/days/{day.pk}/edit/",
        {"date": "2027-01-01", "kind": "holiday", "name": "x", "version": 1},
    )
    assert stale.status_code == 409

    response = client.post(f"/calendar/days/{day.pk}/delete/", {"version": 2, "reason": "重复"})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    assert [r.action for r in AuditRecord.objects.order_by("id")] == [
        "core.calendar_day.create",
        "core.calendar_day.update",
        "core.calendar_day.delete",
    ]


def test_add_form_shows_the_services_refusal(client_for):
    client = client_for("sysadmin")
    response = client.post(
        "/calendar/days/new/?year=2027",
        {"date": "2027-01-04", "kind": "workday", "name": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "working day anyway" in response.content.decode()
    assert not CalendarDay.objects.filter(date=D(2027, 1, 4)).exists()


def test_import_through_the_page(client_for):
    client = client_for("perfadmin")
    upload = io.BytesIO("date,kind,name\n2027-01-01,放假,元旦\n2027-02-06,班,春节\n".encode())
    upload.name = "2027.csv"
    response = client.post("/calendar/import/", {"year": 2027, "file": upload, "reason": "2027"})
    assert response.status_code == 302
    assert list(workdays.calendar_days_in_year(2027).values_list("kind", flat=True)) == [
        "holiday",
        "workday",
    ]
    bad = io.BytesIO(b"date,kind\n2027-01-04,workday\n")
    bad.name = "bad.csv"
    response = client.post("/calendar/import/", {"year": 2027, "file": bad})
    assert response.status_code == 400
    assert workdays.calendar_days_in_year(2027).count() == 2


def test_calculator_fragment_and_full_page(client_for):
    client = client_for("employee")
    params = {"c-start": "2026-09-30", "c-end": "2026-10-10", "year": "2026"}
    fragment = client.get("/calendar/count/", params, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.strip().startswith('<div id="calculator-result"')
    assert 'data-working-days="4"' in html
    page = client.get("/calendar/count/", params)
    assert page.status_code == 200 and 'id="calendar-grid"' in page.content.decode()
    due = client.get(
        "/calendar/count/", {"d-received": "2025-01-24", "d-days": "3"}, HTTP_HX_REQUEST="true"
    )
    assert 'data-due="2025-02-05"' in due.content.decode()
    invalid = client.get(
        "/calendar/count/", {"c-start": "x", "c-end": "2026-01-01"}, HTTP_HX_REQUEST="true"
    )
    assert invalid.status_code == 200 and "alert-danger" in invalid.content.decode()


def test_export_round_trips_through_import(client_for):
    client = client_for("employee")
    response = client.get("/calendar/export.csv?year=2026")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = workdays.parse_calendar_file("2026.csv", content)
    assert len(rows) == 39
    result = workdays.calendar_year_import(actor=ADMIN, can_manage=True, year=2026, rows=rows)
    assert (result.created, result.updated, result.deleted, result.unchanged) == (0, 0, 0, 39)


# ---------------------------------------------------------------- API


def test_api_anonymous_is_refused(client, db):
    assert client.get("/api/calendar/days?year=2026").status_code == 401
    assert (
        client.get("/api/calendar/working-days?start=2026-01-01&end=2026-01-31").status_code == 401
    )
    assert (
        call(
            client, "POST", "/api/calendar/days", {"date": "2027-01-01", "kind": "holiday"}
        ).status_code
        == 401
    )


def test_api_employee_reads(client_for):
    client = client_for("employee")
    body = client.get("/api/calendar/days?year=2025").json()
    assert body["count"] == 33
    first = body["items"][0]
    assert first["date"] == "2025-01-01" and first["kind"] == "holiday" and first["weekday"] == 3
    workdays_only = client.get("/api/calendar/days?year=2026&kind=workday").json()
    assert [d["date"] for d in workdays_only["items"]] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    span = client.get("/api/calendar/working-days?start=2026-01-01&end=2026-12-31").json()
    assert span == {
        "start": "2026-01-01",
        "end": "2026-12-31",
        "calendar_days": 365,
        "working_days": 248,
        "working_days_end_excluded": 247,  # 31 December, a Thursday, is not counted
        "weekmask": "1111100",
    }
    due = client.get("/api/calendar/due-date?received=2026-09-30&days=3").json()
    assert due["due"] == "2026-10-10"


def test_api_employee_cannot_write(client_for):
    client = client_for("employee")
    day = day_of("2025-01-01")
    assert (
        call(
            client, "POST", "/api/calendar/days", {"date": "2027-01-01", "kind": "holiday"}
        ).status_code
        == 403
    )
    assert (
        call(
            client, "PATCH", f"/api/calendar/days/{day.pk}", {"version": 1, "name": "x"}
        ).status_code
        == 403
    )
    assert client.delete(f"/api/calendar/days/{day.pk}").status_code == 403
    assert client.delete("/api/calendar/days/999999").status_code == 404
    assert not AuditRecord.objects.exists()


def test_api_admin_writes(client_for, org):
    client = client_for("sysadmin")
    created = call(
        client,
        "POST",
        "/api/calendar/days",
        {"date": "2027-02-06", "kind": "workday", "name": "春节", "reason": "2027 通知"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["weekday"] == 6 and body["version"] == 1
    patched = call(
        client, "PATCH", f"/api/calendar/days/{body['id']}", {"version": 1, "name": "春节调休"}
    )
    assert patched.status_code == 200 and patched.json()["name"] == "春节调休"
    stale = call(client, "PATCH", f"/api/calendar/days/{body['id']}", {"version": 1, "name": "x"})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    assert client.delete(f"/api/calendar/days/{body['id']}?version=1").status_code == 409
    assert client.delete(f"/api/calendar/days/{body['id']}?version=2&reason=错").status_code == 204
    records = list(AuditRecord.objects.order_by("id"))
    assert [r.action for r in records] == [
        "core.calendar_day.create",
        "core.calendar_day.update",
        "core.calendar_day.delete",
    ]
    assert {r.source for r in records} == {"api"}
    assert {r.actor_id for r in records} == {org.users["sysadmin"].pk}


def test_api_perfadmin_writes_and_validation(client_for):
    client = client_for("perfadmin")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = call(client, "POST", "/api/calendar/days", {"date": "2027-01-04", "kind": "workday"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "field": "date",
        "code": "already_working_day",
        "message": refused.json()["errors"][0]["message"],
    }
    bad_kind = call(client, "POST", "/api/calendar/days", {"date": "2027-01-04", "kind": "party"})
    assert bad_kind.status_code == 400 and bad_kind.json()["code"] == "validation_failed"
    null = call(
        client,
        "PATCH",
        f"/api/calendar/days/{day_of('2025-01-01').pk}",
        {"version": 1, "kind": None},
    )
    assert null.status_code == 400
    ok = call(client, "POST", "/api/calendar/days", {"date": "2027-01-01", "kind": "holiday"})
    assert ok.status_code == 201
    too_long = client.get("/api/calendar/working-days?start=2000-01-01&end=2030-01-01")
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["code"] == "span_too_long"
    backwards = client.get("/api/calendar/working-days?start=2025-02-10&end=2025-02-03").json()
    assert backwards["working_days"] == -5


def test_openapi_lists_the_calendar_operations(db):
    doc = Client().get("/api/openapi.json").json()
    assert {p: set(ops) for p, ops in doc["paths"].items() if p.startswith("/api/calendar")} == {
        "/api/calendar/days": {"get", "post"},
        "/api/calendar/days/{day_id}": {"patch", "delete"},
        "/api/calendar/working-days": {"get"},
        "/api/calendar/due-date": {"get"},
    }
