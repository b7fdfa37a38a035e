"""The audit trail pages: permissions, filters, detail, CSV export, query counts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.imports.org_import import import_org_file
from jixiao.org import services
from jixiao.org.models import Department, Person, Role, RoleGrant
from tests import factories as f
from tests.test_imports import DEPT_H, PEOPLE_H, POST_H, person_row, workbook

IMPORT_ACTOR = Actor.system(label="test", source="import")

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


# --- scope: an auditor reads only their own subtrees ----------------------------------------


@pytest.fixture
def office_auditor(org):
    """An auditor over 办公室 only (its sections included), with no other role."""
    user = f.make_user("office_auditor")
    f.grant(user, Role.AUDITOR, org.office)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scoped_records(org):
    """One record inside 办公室, one in 政务服务科, one organization-wide, one of unknown scope."""
    actor = Actor.for_user(org.users["perfadmin"], source="web")
    return {
        "inside": write(actor, "org.person.update", org.employee, {"rank": ["a", "b"]}),
        "office": write(actor, "org.department.update", org.office, {"name": ["x", "办公室"]}),
        "outside": write(actor, "org.person.update", org.outsider, {"rank": ["a", "b"]}),
        "dept_outside": write(actor, "org.department.update", org.service, {"sort_order": [1, 2]}),
        "org_wide": write(actor, "accounts.user.set_password", org.users["peer"], {}),
        "legacy": AuditRecord.objects.create(
            actor_label="old",
            source="web",
            action="org.person.update",
            object_type="org.person",
            object_id=str(org.outsider.pk),
            object_label=str(org.outsider),
            changes={},
            scope_path=None,
        ),
    }


def test_records_carry_the_department_path_written_with_them(org, scoped_records):
    r = scoped_records
    assert r["inside"].scope_path == org.secretariat.path
    assert r["office"].scope_path == org.office.path
    assert r["outside"].scope_path == org.service.path
    assert r["dept_outside"].scope_path == org.service.path
    assert r["org_wide"].scope_path == ""
    grant = f.grant(org.users["peer"], Role.AUDITOR, org.service)
    system_grant = f.grant(org.users["peer"], Role.SYSTEM_ADMIN, None)
    assert audit.entry("org.role.grant", grant, {}).scope_path == org.service.path
    assert audit.entry("org.role.grant", system_grant, {}).scope_path == ""
    assert audit.entry("org.post.update", org.window_post, {}).scope_path == org.service.path
    assert audit.entry("x", org.office, {}, scope_path="/9/").scope_path == "/9/"


def test_scoped_auditor_lists_only_records_inside_their_subtree(office_auditor, scoped_records):
    r = scoped_records
    html = office_auditor.get("/audit/").content.decode()
    assert ids_on(html) == {r["inside"].pk, r["office"].pk, r["org_wide"].pk}
    filtered = office_auditor.get("/audit/", {"object_type": "org.person"}).content.decode()
    assert ids_on(filtered) == {r["inside"].pk}


def test_scoped_auditor_detail_outside_scope_is_404(office_auditor, scoped_records):
    r = scoped_records
    for key in ("inside", "office", "org_wide"):
        assert office_auditor.get(f"/audit/{r[key].pk}/").status_code == 200, key
    for key in ("outside", "dept_outside", "legacy"):
        assert office_auditor.get(f"/audit/{r[key].pk}/").status_code == 404, key


def test_scoped_auditor_export_respects_scope(org, office_auditor, scoped_records):
    rows = read_csv(office_auditor.get("/audit/export.csv"))
    labels = {row[7] for row in rows[1:]}
    assert len(rows) == 4
    assert labels == {str(org.employee), str(org.office), str(org.users["peer"])}


def test_scoped_auditor_api_respects_scope(office_auditor, scoped_records):
    r = scoped_records
    body = office_auditor.get("/api/audit").json()
    assert body["count"] == 3
    assert {item["id"] for item in body["items"]} == {
        r["inside"].pk,
        r["office"].pk,
        r["org_wide"].pk,
    }


def test_system_admin_and_root_auditor_see_every_record(client_for, scoped_records):
    every = {record.pk for record in scoped_records.values()}
    for persona in ("sysadmin", "auditor"):  # the fixture's auditor holds the root unit
        client = client_for(persona)
        assert ids_on(client.get("/audit/").content.decode()) == every, persona
        assert client.get(f"/audit/{scoped_records['legacy'].pk}/").status_code == 200
        assert len(read_csv(client.get("/audit/export.csv"))) == len(every) + 1


def test_other_roles_do_not_make_a_user_an_auditor(org, scoped_records):
    user = f.make_user("office_head_and_auditor")
    f.grant(user, Role.PERFORMANCE_ADMIN, org.unit)
    f.grant(user, Role.AUDITOR, org.service)
    client = Client()
    client.force_login(user)
    html = client.get("/audit/").content.decode()
    r = scoped_records
    assert ids_on(html) == {r["outside"].pk, r["dept_outside"].pk, r["org_wide"].pk}


def test_scoped_list_query_count_does_not_grow(org, office_auditor, django_assert_max_num_queries):
    actor = Actor.for_user(org.users["perfadmin"], source="web")
    audit.record(actor, "org.person.update", org.employee, {"rank": ["a", "b"]})
    with django_assert_max_num_queries(15) as few:
        office_auditor.get("/audit/")
    audit.record_many(
        actor,
        [audit.entry("org.person.update", org.peer, {"rank": [str(i), "x"]}) for i in range(30)]
        + [
            audit.entry("org.person.update", org.outsider, {"rank": [str(i), "x"]})
            for i in range(30)
        ],
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = office_auditor.get("/audit/").content.decode()
    assert len(ids_on(html)) == 31


def test_history_panel_hides_records_from_before_the_object_entered_scope(org):
    """A person moved into 办公室 keeps their history; an 办公室 administrator sees only the
    part written while the person was inside 办公室."""
    admin = Actor.for_user(org.users["perfadmin"], source="web")
    outsider = org.outsider
    services.person_update(
        actor=admin,
        scope=None,
        person_id=outsider.pk,
        expected_version=outsider.version,
        data=services.PersonData(
            employee_no=outsider.employee_no,
            name=outsider.name,
            department_id=org.service.pk,
            rank="二级主任科员",
        ),
    )
    outsider.refresh_from_db()
    services.person_update(
        actor=admin,
        scope=None,
        person_id=outsider.pk,
        expected_version=outsider.version,
        data=services.PersonData(
            employee_no=outsider.employee_no,
            name=outsider.name,
            department_id=org.secretariat.pk,
            rank="二级主任科员",
        ),
    )
    paths = list(
        AuditRecord.objects.filter(object_type="org.person", object_id=str(outsider.pk))
        .order_by("id")
        .values_list("scope_path", flat=True)
    )
    assert paths == [org.service.path, org.secretariat.path]
    office_admin = f.make_user("office_admin")
    f.grant(office_admin, Role.PERFORMANCE_ADMIN, org.office)
    client = Client()
    client.force_login(office_admin)
    html = client.get(f"/org/people/{outsider.pk}/").content.decode()
    assert html.count('data-audit-action="org.person.update"') == 1
    assert "二级主任科员" not in html.split('id="history"')[1]  # the rank change was outside
    whole = client_of(org.users["perfadmin"]).get(f"/org/people/{outsider.pk}/").content.decode()
    assert whole.count('data-audit-action="org.person.update"') == 2


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- imports write scope paths from memory -------------------------------------------------


def import_sheets(people: int) -> dict[str, list[list[object]]]:
    return {
        "部门": [DEPT_H, ["D011", "法规处", "部门", "U001", 1, "", "启用"]],
        "岗位": [POST_H, ["P010", "法规专员", "D011", "非领导职务", "专业技术", 3, "", ""]],
        "人员": [
            PEOPLE_H,
            person_row("A0004", "陈晨", "D002", 职级="四级主任科员", 岗位编码="P003"),
            *[person_row(f"N{i:04d}", f"新人{i}", "D011", 岗位编码="P010") for i in range(people)],
        ],
    }


def test_import_writes_scope_paths_without_a_query_per_record(org, tmp_path):
    def run(people: int, name: str) -> int:
        path = workbook(tmp_path, import_sheets(people), name=name)
        with CaptureQueriesContext(connection) as ctx:
            outcome = import_org_file(path, actor=IMPORT_ACTOR, scope=None)
        assert outcome.ok, outcome
        return len(ctx.captured_queries)

    few = run(3, "few.xlsx")
    records = AuditRecord.objects.filter(source="import")
    dept = Department.objects.get(code="D011")
    assert dept.path == f"{org.unit.path}{dept.pk}/"
    by_object = {(r.object_type, r.object_label): r.scope_path for r in records}
    assert by_object[("org.department", "法规处")] == dept.path
    assert by_object[("org.post", "法规专员")] == dept.path
    assert by_object[("org.person", "新人0（N0000）")] == dept.path
    assert by_object[("org.person", str(org.outsider))] == org.service.path
    many = run(60, "many.xlsx")  # 57 more people created, the rest unchanged
    assert many <= few
    assert set(
        AuditRecord.objects.filter(object_type="org.person", object_label__startswith="新人")
        .values_list("scope_path", flat=True)
        .distinct()
    ) == {dept.path}


# --- deleting a department revokes its grants, on the record -------------------------------


def test_department_delete_records_each_revoked_grant(org):
    empty = f.make_department("临时专班", org.unit, code="T001")
    a = f.grant(org.users["peer"], Role.AUDITOR, empty)
    b = f.grant(org.users["leader"], Role.UNIT_LEADER, empty)
    other = f.grant(org.users["peer"], Role.AUDITOR, org.service)
    actor = Actor.for_user(org.users["sysadmin"], source="web")
    services.department_delete(actor=actor, scope=None, department_id=empty.pk, reason="撤销专班")
    revokes = AuditRecord.objects.filter(action="org.role.revoke").order_by("object_id")
    assert [(r.object_id, r.changes) for r in revokes] == [
        (str(a.pk), {"role": [Role.AUDITOR.value, None], "scope": [empty.pk, None]}),
        (str(b.pk), {"role": [Role.UNIT_LEADER.value, None], "scope": [empty.pk, None]}),
    ]
    assert {r.reason for r in revokes} == {"撤销专班"}
    assert {r.scope_path for r in revokes} == {empty.path}
    assert all(r.actor_id == org.users["sysadmin"].pk for r in revokes)
    assert AuditRecord.objects.filter(action="org.department.delete").count() == 1
    assert set(RoleGrant.objects.filter(pk__in=[a.pk, b.pk, other.pk])) == {other}


def test_department_delete_without_a_reason_explains_the_revocations(org):
    empty = f.make_department("临时专班", org.unit, code="T001")
    f.grant(org.users["peer"], Role.AUDITOR, empty)
    services.department_delete(actor=Actor.system("test"), scope=None, department_id=empty.pk)
    revoke = AuditRecord.objects.get(action="org.role.revoke")
    assert revoke.reason == "所属部门已删除。"
    assert AuditRecord.objects.get(action="org.department.delete").reason == ""


def test_department_with_members_refuses_deletion_with_a_matching_message(org):
    """Membership blocks deletion (people who left included); people who moved out do not."""
    left = f.make_department("已撤科室", org.unit, code="T002")
    person = f.make_person("钱离职", left, status="left", is_active=False)
    with pytest.raises(DomainError) as exc:
        services.department_delete(actor=Actor.system("test"), scope=None, department_id=left.pk)
    assert exc.value.code == "department_has_people"
    assert str(exc.value.message) == "该部门仍有人员（含已离职人员），不能删除，请改为停用。"
    moved = f.make_department("过渡科室", org.unit, code="T003")
    Person.objects.filter(pk=person.pk).update(department=moved)
    Person.objects.filter(pk=person.pk).update(department=org.service)
    services.department_delete(actor=Actor.system("test"), scope=None, department_id=moved.pk)
    assert not Department.objects.filter(pk=moved.pk).exists()
