"""The audit trail pages: permissions, filters, detail, CSV export, query counts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord

ALL_PERSONAS = [
    "sysadmin",
    "perfadmin",
    "leader",
    "head",
    "employee",
    "peer",
    "outsider",
    "auditor",
]
READERS = {"sysadmin", "auditor"}


def write(actor: Actor, action: str, obj, changes, reason: str = "") -> AuditRecord:
    audit.record(actor, action, obj, changes, reason=reason)
    return AuditRecord.objects.order_by("-id")[0]


@pytest.fixture
def records(org):
    admin = Actor.for_user(org.users["perfadmin"], source="web", ip="10.0.0.7")
    importer = Actor.for_user(org.users["sysadmin"], source="import", ip="10.0.0.8")
    a = write(
        admin,
        "org.person.update",
        org.employee,
        {"rank": ["一级科员", "四级主任科员"], "phone": [None, "=1+2"]},
        reason="职级晋升（2026年第3号文）",
    )
    b = write(importer, "org.department.create", org.service, {"name": [None, "政务服务科"]})
    c = write(admin, "org.person.update", org.peer, {"is_active": [True, False]})
    return {"a": a, "b": b, "c": c}


def ids_on(html: str) -> set[int]:
    import re

    return {int(x) for x in re.findall(r'data-audit-id="(\d+)"', html)}


# --- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_permission_matrix(client_for, records, persona):
    client = client_for(persona)
    record = records["a"]
    list_status = client.get("/audit/").status_code
    detail_status = client.get(f"/audit/{record.pk}/").status_code
    export_status = client.get("/audit/export.csv").status_code
    if persona in READERS:
        assert (list_status, detail_status, export_status) == (200, 200, 200)
    else:
        assert (list_status, detail_status, export_status) == (403, 404, 403)


def test_anonymous_is_sent_to_sign_in(records):
    client = Client()
    for url in ("/audit/", f"/audit/{records['a'].pk}/", "/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_no_write_methods(client_for, records):
    client = client_for("sysadmin")
    assert client.post("/audit/").status_code == 405
    assert client.post(f"/audit/{records['a'].pk}/").status_code == 405
    assert client.delete(f"/audit/{records['a'].pk}/").status_code == 405
    assert AuditRecord.objects.count() == 3


def test_navigation_link_only_for_readers(client_for, records):
    assert 'href="/audit/"' in client_for("auditor").get("/accounts/profile/").content.decode()
    assert (
        'href="/audit/"' not in client_for("perfadmin").get("/accounts/profile/").content.decode()
    )


# --- list and filters ----------------------------------------------------------------------


def test_list_shows_records_newest_first(client_for, records):
    response = client_for("auditor").get("/audit/")
    html = response.content.decode()
    order = [records[k].pk for k in ("c", "b", "a")]
    positions = [html.index(f'data-audit-id="{pk}"') for pk in order]
    assert positions == sorted(positions)
    assert "perfadmin" in html and "10.0.0.7" in html
    assert "org.person.update" in html
    assert "rank" in html and "phone" in html  # changed-field summary
    assert "网页" in html and "导入" in html  # channel labels


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "sysad"}, {"b"}),
        ({"action": "org.person"}, {"a", "c"}),
        ({"action": "org.department.create"}, {"b"}),
        ({"object_type": "org.department"}, {"b"}),
        ({"object_type": "org.person", "object_id": "__employee__"}, {"a"}),
        ({"source": "import"}, {"b"}),
        ({"source": "web"}, {"a", "c"}),
    ],
)
def test_filters(client_for, org, records, query, expected):
    if query.get("object_id") == "__employee__":
        query = {**query, "object_id": str(org.employee.pk)}
    html = client_for("sysadmin").get("/audit/", query).content.decode()
    assert ids_on(html) == {records[k].pk for k in expected}


def test_date_filters(client_for, records):
    today = timezone.localdate()
    client = client_for("auditor")
    html = client.get("/audit/", {"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert ids_on(html.content.decode()) == {r.pk for r in records.values()}
    tomorrow = today + datetime.timedelta(days=1)
    response = client.get("/audit/", {"date_from": tomorrow.isoformat()})
    html = response.content.decode()
    assert ids_on(html) == set()
    assert 'id="audit-empty"' in html
    assert "没有符合筛选条件的审计记录" in html


def test_invalid_filters_keep_input_and_explain(client_for, records):
    today = timezone.localdate()
    response = client_for("auditor").get(
        "/audit/",
        {
            "actor": "perf",
            "date_from": today.isoformat(),
            "date_to": (today - datetime.timedelta(days=3)).isoformat(),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="date_to"' in html
    assert 'value="perf"' in html
    bad_date = client_for("auditor").get("/audit/", {"date_from": "2026-13-45"})
    assert 'data-field-error="date_from"' in bad_date.content.decode()
    assert 'value="2026-13-45"' in bad_date.content.decode()


def test_empty_trail(client_for, org):
    html = client_for("auditor").get("/audit/").content.decode()
    assert 'id="audit-empty"' in html
    assert "暂无审计记录" in html


def test_pagination_50_per_page_keeps_filters(client_for, org):
    actor = Actor.for_user(org.users["perfadmin"], source="web")
    audit.record_many(
        actor,
        [
            audit.entry("org.person.update", org.employee, {"rank": [str(i), str(i + 1)]})
            for i in range(60)
        ],
    )
    client = client_for("auditor")
    first = client.get("/audit/", {"action": "org.person"}).content.decode()
    assert len(ids_on(first)) == 50
    assert "?action=org.person&page=2" in first
    second = client.get("/audit/", {"action": "org.person", "page": "2"}).content.decode()
    assert len(ids_on(second)) == 10
    assert ids_on(first).isdisjoint(ids_on(second))


def test_list_query_count_does_not_grow(client_for, org, django_assert_max_num_queries):
    actor = Actor.for_user(org.users["perfadmin"], source="web")
    client = client_for("auditor")
    audit.record(actor, "org.person.update", org.employee, {"rank": ["a", "b"]})
    with django_assert_max_num_queries(15) as few:
        client.get("/audit/")
    audit.record_many(
        actor,
        [audit.entry("org.person.update", org.peer, {"rank": [str(i), "x"]}) for i in range(45)],
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/audit/").content.decode()
    assert len(ids_on(html)) == 46


# --- detail --------------------------------------------------------------------------------


def test_detail_shows_before_after_and_reason(client_for, records):
    record = records["a"]
    response = client_for("sysadmin").get(f"/audit/{record.pk}/")
    html = response.content.decode()
    assert 'data-change-field="rank"' in html
    assert "一级科员" in html and "四级主任科员" in html
    assert "职级晋升（2026年第3号文）" in html
    assert f"object_id={record.object_id}" in html
    booleans = client_for("sysadmin").get(f"/audit/{records['c'].pk}/").content.decode()
    assert 'data-change-field="is_active"' in booleans
    assert "未填写原因" in booleans


def test_detail_unknown_id_is_404(client_for, records):
    assert client_for("auditor").get("/audit/999999/").status_code == 404


# --- export --------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_streams_filtered_csv_with_bom(client_for, records):
    response = client_for("auditor").get("/audit/export.csv", {"action": "org.person"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "时间"
    assert len(rows) == 3  # header + the two person records
    by_label = {row[7]: row for row in rows[1:]}
    employee_row = by_label[records["a"].object_label]
    assert employee_row[1] == "perfadmin"
    assert employee_row[2] == "网页"
    assert employee_row[3] == "10.0.0.7"
    assert "四级主任科员" in employee_row[8]
    assert employee_row[9] == "职级晋升（2026年第3号文）"


def test_export_neutralizes_formulas(client_for, org):
    actor = Actor(user_id=None, label="=HYPERLINK(1)", source="system")
    audit.record(actor, "x.y", org.employee, {})
    rows = read_csv(client_for("auditor").get("/audit/export.csv"))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_export_with_invalid_filters_goes_back_to_the_list(client_for, records):
    response = client_for("auditor").get("/audit/export.csv", {"date_from": "not-a-date"})
    assert response.status_code == 302
    assert response["Location"].startswith("/audit/?")


def test_export_query_count_does_not_grow(client_for, org, django_assert_max_num_queries):
    actor = Actor.for_user(org.users["perfadmin"], source="web")
    audit.record_many(
        actor,
        [audit.entry("org.person.update", org.peer, {"rank": [str(i), "x"]}) for i in range(120)],
    )
    client = client_for("auditor")
    with django_assert_max_num_queries(12):
        rows = read_csv(client.get("/audit/export.csv"))
    assert len(rows) == 121
