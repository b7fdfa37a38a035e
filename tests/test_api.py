"""The JSON API under /api/: authentication, scope, permissions, errors, pagination, docs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from jixiao.accounts.models import ApiToken
from jixiao.accounts.services import api_token_create, api_token_revoke
from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.org.models import Department, Person, PersonStatusChange, Post
from tests import factories as f

CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a well-formed 32-character CSRF secret


def call(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    kwargs: dict[str, Any] = dict(extra)
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(url, **kwargs)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert body["errors"] and all({"field", "code", "message"} <= set(e) for e in body["errors"])
    return body


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in body["errors"]}


@pytest.fixture
def en(client_for):
    """A signed-in client that asks for English messages."""

    def make(persona: str) -> Client:
        client: Client = client_for(persona)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def office_admin() -> Client:
    """A performance administrator over 办公室 only: manages something, but not the rest."""
    user = f.make_user("office_admin")
    f.grant(user, f.Role.PERFORMANCE_ADMIN, Department.objects.get(code="D001"))
    client = Client()
    client.force_login(user)
    return client


def all_endpoints(org) -> list[tuple[str, str]]:
    d, p, e = org.office.pk, org.head_post.pk, org.employee.pk
    return [
        ("GET", "/api/me"),
        ("GET", "/api/org/departments"),
        ("GET", f"/api/org/departments/{d}"),
        ("POST", "/api/org/departments"),
        ("PATCH", f"/api/org/departments/{d}"),
        ("POST", f"/api/org/departments/{d}/deactivate"),
        ("POST", f"/api/org/departments/{d}/activate"),
        ("GET", "/api/org/posts"),
        ("GET", f"/api/org/posts/{p}"),
        ("POST", "/api/org/posts"),
        ("PATCH", f"/api/org/posts/{p}"),
        ("POST", f"/api/org/posts/{p}/deactivate"),
        ("POST", f"/api/org/posts/{p}/activate"),
        ("GET", "/api/org/people"),
        ("GET", f"/api/org/people/{e}"),
        ("POST", "/api/org/people"),
        ("PATCH", f"/api/org/people/{e}"),
        ("POST", f"/api/org/people/{e}/status"),
        ("GET", "/api/audit"),
    ]


# ---------------------------------------------------------------- authentication


def test_every_endpoint_needs_authentication(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for method, url in all_endpoints(org):
        response = call(client, method, url, {} if method != "GET" else None)
        body = refused(response, 401, "not_authenticated")
        assert "Bearer" in response["WWW-Authenticate"], url
        assert "token" in body["message"]
    assert Person.objects.get(pk=org.employee.pk).version == 1


def test_token_auth_and_revocation(org):
    issued = api_token_create(actor=Actor.system(), user=org.users["perfadmin"], name="script")
    client = Client(enforce_csrf_checks=True)
    bearer = f"Bearer {issued.secret}"
    body = ok(client.get("/api/me", HTTP_AUTHORIZATION=bearer))
    assert body["user"]["username"] == "perfadmin"
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None
    # A token needs no CSRF token, even for writes.
    person = ok(
        call(
            client,
            "PATCH",
            f"/api/org/people/{org.employee.pk}",
            {"version": 1, "rank": "二级主任科员"},
            HTTP_AUTHORIZATION=bearer,
        )
    )
    assert person["rank"] == "二级主任科员"
    assert (
        AuditRecord.objects.filter(action="org.person.update", actor_label="perfadmin").count() == 1
    )

    api_token_revoke(actor=Actor.system(), token=issued.token)
    refused(client.get("/api/me", HTTP_AUTHORIZATION=bearer), 401, "not_authenticated")
    refused(
        client.get("/api/me", HTTP_AUTHORIZATION="Bearer jx_not_a_token"), 401, "not_authenticated"
    )
    refused(client.get("/api/me", HTTP_AUTHORIZATION="Basic abc"), 401, "not_authenticated")


def test_token_of_inactive_user_is_refused(org):
    issued = api_token_create(actor=Actor.system(), user=org.users["employee"], name="x")
    org.users["employee"].is_active = False
    org.users["employee"].save()
    refused(
        Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}"),
        401,
        "not_authenticated",
    )


def test_session_auth_requires_csrf_for_writes(org):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.users["perfadmin"])
    ok(client.get("/api/me"))  # safe methods need no CSRF token
    url = f"/api/org/people/{org.employee.pk}"
    refused(call(client, "PATCH", url, {"version": 1, "rank": "x"}), 403, "csrf_failed")
    assert Person.objects.get(pk=org.employee.pk).version == 1
    client.cookies["csrftoken"] = CSRF
    ok(call(client, "PATCH", url, {"version": 1, "rank": "x"}, HTTP_X_CSRFTOKEN=CSRF))


# ---------------------------------------------------------------- errors


def test_errors_are_json_in_the_request_language(org, client_for):
    client = client_for("employee")
    url = f"/api/org/departments/{org.service.pk}"
    assert (
        refused(client.get(url, HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")["message"]
        == "Not found."
    )
    assert (
        refused(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"), 404, "not_found")["message"]
        == "未找到。"
    )
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "令牌" in refused(anonymous.get("/api/me"), 401, "not_authenticated")["message"]
    forbidden = call(
        client_for("head"),
        "PATCH",
        url.replace(str(org.service.pk), str(org.office.pk)),
        {"version": 1},
    )
    assert refused(forbidden, 403, "forbidden")["message"] == "您无权执行此操作。"


def test_unknown_api_paths_answer_json_404(org, client_for):
    refused(client_for("employee").get("/api/nothing/here"), 404, "not_found")
    refused(Client().post("/api/nothing"), 404, "not_found")
    refused(client_for("employee").get("/api/"), 404, "not_found")
    refused(client_for("employee").get("/api/org/departments/"), 404, "not_found")


def test_wrong_method_answers_json_405(org, client_for):
    response = client_for("perfadmin").delete(f"/api/org/people/{org.employee.pk}")
    refused(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    assert Person.objects.filter(pk=org.employee.pk).exists()


def test_validation_errors_list_each_field(org, en):
    client = en("perfadmin")
    body = refused(
        call(
            client, "POST", "/api/org/departments", {"name": 5, "kind": "planet", "colour": "red"}
        ),
        400,
        "validation_failed",
    )
    errs = fields(body)
    assert errs == {
        "code": "missing",
        "name": "string_type",
        "kind": "enum",
        "colour": "extra_forbidden",
    }
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["code"] == "This field is required."
    assert "unit" in messages["kind"]
    assert body["message"] == "Some fields are not valid."

    zh = refused(
        call(
            client,
            "POST",
            "/api/org/departments",
            {"name": "x", "kind": "unit"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ),
        400,
        "validation_failed",
    )
    assert zh["errors"][0]["message"] == "这个字段是必填项。"

    bad_json = refused(
        call(client, "POST", "/api/org/departments", "{nope"), 400, "validation_failed"
    )
    assert bad_json["errors"][0]["code"] == "invalid_json"

    bad_query = refused(
        client.get("/api/org/people?page=0&page_size=501&active=maybe"), 400, "validation_failed"
    )
    assert set(fields(bad_query)) == {"page", "page_size", "active"}

    bad_path = refused(client.get("/api/org/people/abc"), 400, "validation_failed")
    assert fields(bad_path) == {"person_id": "int_parsing"}


def test_service_validation_errors_use_api_field_names(org, en):
    client = en("perfadmin")
    body = refused(
        call(
            client,
            "POST",
            "/api/org/people",
            {
                "employee_no": "A0002",
                "name": " ",
                "department_id": org.office.pk,
                "email": "not-an-email",
            },
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"email": "value_error"}
    body = refused(
        call(
            client,
            "POST",
            "/api/org/people",
            {"employee_no": "A0002", "name": " ", "department_id": org.office.pk},
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"employee_no": "duplicate_employee_no", "name": "required"}
    body = refused(
        call(
            client,
            "PATCH",
            f"/api/org/people/{org.head.pk}",
            {"version": 1, "superior_id": org.employee.pk},
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"superior_id": "reporting_loop"}


# ---------------------------------------------------------------- me


def test_me(org, client_for):
    body = ok(client_for("head").get("/api/me"))
    assert body["user"]["username"] == "head"
    assert body["person"]["employee_no"] == "A0001"
    assert body["person"]["department"]["code"] == "D001"
    assert [(r["role"], r["scope"]["code"]) for r in body["roles"]] == [("department_head", "D001")]
    assert body["can_manage"] is False and body["can_view_audit"] is False

    admin = ok(client_for("sysadmin").get("/api/me"))
    assert admin["person"] is None
    assert admin["roles"][0]["scope"] is None
    assert admin["is_system_admin"] and admin["can_manage"] and admin["can_view_audit"]


# ---------------------------------------------------------------- departments


def test_department_list_is_scoped_and_filtered(org, client_for):
    def codes(c: str, q: str = "") -> list[str]:
        return [d["code"] for d in ok(client_for(c).get(f"/api/org/departments{q}"))["items"]]

    assert codes("head") == ["D001", "S001"]
    assert codes("outsider") == ["D002"]
    assert codes("perfadmin") == ["U001", "D001", "S001", "D002"]
    assert codes("perfadmin", f"?parent_id={org.unit.pk}") == ["D001", "D002"]
    assert codes("perfadmin", "?kind=section") == ["S001"]
    assert codes("perfadmin", "?q=办公") == ["D001"]
    assert codes("perfadmin", "?active=false") == []
    page = ok(client_for("perfadmin").get("/api/org/departments?page=2&page_size=3"))
    assert page["count"] == 4 and page["page"] == 2 and page["page_size"] == 3
    assert [d["code"] for d in page["items"]] == ["D002"]
    beyond = ok(client_for("perfadmin").get("/api/org/departments?page=9"))
    assert beyond["items"] == [] and beyond["count"] == 4
    item = page["items"][0]
    assert item["parent"] == {"id": org.unit.pk, "code": "U001", "name": "某市政务服务管理局"}
    assert item["version"] == 1 and item["kind"] == "department"


def test_department_detail_permissions(org, client_for):
    url = f"/api/org/departments/{org.office.pk}"
    refused(client_for("outsider").get(url), 404, "not_found")
    assert ok(client_for("head").get(url))["name"] == "办公室"
    assert (
        ok(client_for("employee").get(f"/api/org/departments/{org.secretariat.pk}"))["code"]
        == "S001"
    )
    refused(client_for("perfadmin").get("/api/org/departments/999999"), 404, "not_found")


def test_department_create(org, client_for):
    new = {"code": "D009", "name": "督查科", "kind": "department", "parent_id": org.unit.pk}
    under_office = {**new, "parent_id": org.office.pk}
    refused(
        call(client_for("head"), "POST", "/api/org/departments", under_office), 403, "forbidden"
    )
    refused(call(client_for("leader"), "POST", "/api/org/departments", new), 403, "forbidden")
    # Without any management role, 403 before the payload is looked at.
    refused(call(client_for("outsider"), "POST", "/api/org/departments", new), 403, "forbidden")
    # A parent outside the manager's scope is reported as unknown, not confirmed.
    body = refused(
        call(office_admin(), "POST", "/api/org/departments", new), 400, "validation_failed"
    )
    assert fields(body) == {"parent_id": "unknown_parent"}
    # Only a system administrator creates a top-level department.
    top = {"code": "U009", "name": "另一单位", "kind": "unit"}
    refused(call(client_for("perfadmin"), "POST", "/api/org/departments", top), 403, "forbidden")
    assert (
        ok(call(client_for("sysadmin"), "POST", "/api/org/departments", top), 201)["parent"] is None
    )

    created = ok(call(client_for("perfadmin"), "POST", "/api/org/departments", new), 201)
    assert created["parent"]["id"] == org.unit.pk and created["path"].startswith(org.unit.path)
    assert created["depth"] == 1
    record = AuditRecord.objects.get(action="org.department.create", object_id=str(created["id"]))
    assert record.source == "api" and record.actor_label == "perfadmin"
    dup = refused(
        call(client_for("perfadmin"), "POST", "/api/org/departments", new), 400, "validation_failed"
    )
    assert fields(dup) == {"code": "duplicate_code"}


def test_department_patch(org, client_for):
    url = f"/api/org/departments/{org.secretariat.pk}"
    for persona in ("head", "leader", "employee", "auditor"):
        refused(
            call(client_for(persona), "PATCH", url, {"version": 1, "name": "x"}), 403, "forbidden"
        )
    refused(
        call(client_for("outsider"), "PATCH", url, {"version": 1, "name": "x"}), 404, "not_found"
    )
    body = ok(
        call(
            client_for("perfadmin"),
            "PATCH",
            url,
            {"version": 1, "name": "综合科", "reason": "更名"},
        )
    )
    assert body["name"] == "综合科" and body["code"] == "S001" and body["kind"] == "section"
    assert body["version"] == 2 and body["parent"]["id"] == org.office.pk
    record = AuditRecord.objects.get(action="org.department.update")
    assert record.changes == {"name": ["文秘科", "综合科"]}
    assert record.reason == "更名" and record.source == "api"
    refused(
        call(client_for("perfadmin"), "PATCH", url, {"version": 1, "name": "y"}),
        409,
        "concurrent_edit",
    )
    # Moving it under another department moves the subtree.
    moved = ok(
        call(client_for("perfadmin"), "PATCH", url, {"version": 2, "parent_id": org.service.pk})
    )
    assert moved["parent"]["code"] == "D002" and moved["path"].startswith(org.service.path)
    loop = refused(
        call(
            client_for("perfadmin"),
            "PATCH",
            f"/api/org/departments/{org.unit.pk}",
            {"version": 1, "parent_id": org.office.pk},
        ),
        400,
        "validation_failed",
    )
    assert fields(loop) == {"parent_id": "tree_loop"}
    missing_version = refused(
        call(client_for("perfadmin"), "PATCH", url, {"name": "z"}), 400, "validation_failed"
    )
    assert fields(missing_version) == {"version": "missing"}
    null_name = refused(
        call(client_for("perfadmin"), "PATCH", url, {"version": 3, "name": None}),
        400,
        "validation_failed",
    )
    assert fields(null_name) == {"name": "null_not_allowed"}


def test_department_deactivate_and_activate(org, client_for):
    empty = f.make_department("临时专班", org.unit, code="T001")
    url = f"/api/org/departments/{empty.pk}"
    refused(call(client_for("head"), "POST", f"{url}/deactivate", ""), 404, "not_found")
    refused(call(client_for("leader"), "POST", f"{url}/deactivate", ""), 403, "forbidden")
    body = ok(call(client_for("perfadmin"), "POST", f"{url}/deactivate", {"reason": "任务结束"}))
    assert body["is_active"] is False and body["version"] == 2
    record = AuditRecord.objects.get(action="org.department.deactivate")
    assert record.reason == "任务结束" and record.source == "api"
    assert ok(call(client_for("perfadmin"), "POST", f"{url}/activate", ""))["is_active"] is True
    busy = refused(
        call(
            client_for("perfadmin"), "POST", f"/api/org/departments/{org.office.pk}/deactivate", ""
        ),
        400,
        "department_has_people",
    )
    assert busy["errors"][0]["field"] is None
    assert Department.objects.get(pk=org.office.pk).is_active


# ---------------------------------------------------------------- posts


def test_post_list_and_detail(org, client_for):
    def codes(c: str, q: str = "") -> list[str]:
        return [p["code"] for p in ok(client_for(c).get(f"/api/org/posts{q}"))["items"]]

    assert codes("perfadmin") == ["P001", "P002", "P003"]
    assert codes("head") == ["P001", "P002"]
    assert codes("outsider") == ["P003"]
    assert codes("perfadmin", f"?department_id={org.office.pk}") == ["P001"]
    assert codes("perfadmin", "?category=leadership") == ["P001"]
    assert codes("perfadmin", "?post_class=professional") == []
    assert codes("perfadmin", "?q=窗口") == ["P003"]
    assert codes("perfadmin", "?active=true") == ["P001", "P002", "P003"]
    url = f"/api/org/posts/{org.window_post.pk}"
    refused(client_for("head").get(url), 404, "not_found")
    body = ok(client_for("outsider").get(url))
    assert body["department"]["code"] == "D002" and body["category"] == "non_leadership"


def test_post_create_patch_deactivate(org, client_for):
    new = {
        "code": "P010",
        "name": "督查岗",
        "department_id": org.office.pk,
        "category": "non_leadership",
        "post_class": "management",
    }
    refused(call(client_for("head"), "POST", "/api/org/posts", new), 403, "forbidden")
    refused(call(client_for("outsider"), "POST", "/api/org/posts", new), 403, "forbidden")
    elsewhere = {**new, "department_id": org.service.pk}
    body = refused(
        call(office_admin(), "POST", "/api/org/posts", elsewhere), 400, "validation_failed"
    )
    assert fields(body) == {"department_id": "unknown_department"}
    created = ok(call(client_for("perfadmin"), "POST", "/api/org/posts", new), 201)
    assert created["headcount"] == 1 and created["department"]["id"] == org.office.pk
    url = f"/api/org/posts/{created['id']}"

    refused(
        call(client_for("head"), "PATCH", url, {"version": 1, "headcount": 2}), 403, "forbidden"
    )
    refused(
        call(client_for("outsider"), "PATCH", url, {"version": 1, "headcount": 2}), 404, "not_found"
    )
    patched = ok(
        call(
            client_for("perfadmin"), "PATCH", url, {"version": 1, "headcount": 3, "duties": "督办"}
        )
    )
    assert patched["headcount"] == 3 and patched["name"] == "督查岗" and patched["version"] == 2
    assert AuditRecord.objects.get(action="org.post.update").changes == {
        "duties": ["", "督办"],
        "headcount": [1, 3],
    }
    refused(
        call(client_for("perfadmin"), "PATCH", url, {"version": 1, "headcount": 4}),
        409,
        "concurrent_edit",
    )
    negative = refused(
        call(client_for("perfadmin"), "PATCH", url, {"version": 2, "headcount": -1}),
        400,
        "validation_failed",
    )
    assert fields(negative) == {"headcount": "greater_than_equal"}

    refused(call(client_for("head"), "POST", f"{url}/deactivate", ""), 403, "forbidden")
    assert ok(call(client_for("perfadmin"), "POST", f"{url}/deactivate", ""))["is_active"] is False
    assert ok(call(client_for("perfadmin"), "POST", f"{url}/activate", {}))["is_active"] is True
    refused(
        call(client_for("perfadmin"), "POST", f"/api/org/posts/{org.clerk_post.pk}/deactivate", ""),
        400,
        "post_has_people",
    )
    refused(
        call(client_for("outsider"), "POST", f"/api/org/posts/{org.clerk_post.pk}/activate", ""),
        404,
        "not_found",
    )


# ---------------------------------------------------------------- people


def test_people_list_is_scoped_and_filtered(org, client_for):
    def nos(c: str, q: str = "") -> list[str]:
        return [p["employee_no"] for p in ok(client_for(c).get(f"/api/org/people{q}"))["items"]]

    assert nos("employee") == ["A0002"]
    assert nos("head") == ["A0001", "A0002", "A0003"]
    assert nos("outsider") == ["A0004"]
    assert nos("leader") == ["A0001", "A0002", "A0003", "A0004"]
    assert nos("perfadmin", f"?department_id={org.office.pk}") == ["A0001", "A0002", "A0003"]
    assert nos("perfadmin", f"?department_id={org.office.pk}&include_subdepartments=false") == [
        "A0001"
    ]
    assert nos("perfadmin", "?q=李") == ["A0002"]
    assert nos("perfadmin", "?q=窗口受理") == ["A0004"]
    assert nos("perfadmin", "?status=seconded") == []
    assert nos("perfadmin", "?post_class=management&rank=一级科员") == [
        "A0001",
        "A0002",
        "A0003",
        "A0004",
    ]
    assert nos("perfadmin", "?active=false") == []
    item = ok(client_for("head").get("/api/org/people?q=A0002"))["items"][0]
    assert item["superior"] == {"id": org.head.pk, "employee_no": "A0001", "name": "王主任"}
    assert item["post"]["code"] == "P002" and item["has_account"] is True


def test_person_detail(org, client_for):
    url = f"/api/org/people/{org.employee.pk}"
    refused(client_for("outsider").get(url), 404, "not_found")
    refused(client_for("peer").get(url), 404, "not_found")
    assert ok(client_for("employee").get(url))["name"] == "李文"
    body = ok(client_for("head").get(url))
    assert body["superior"]["name"] == "王主任"
    assert body["username"] == "employee" and body["status_history"] == []


def test_person_create(org, client_for):
    new = {
        "employee_no": "A0100",
        "name": "孙立",
        "department_id": org.secretariat.pk,
        "post_id": org.clerk_post.pk,
        "superior_id": org.head.pk,
        "hire_date": "2024-09-01",
        "gender": "M",
    }
    refused(call(client_for("head"), "POST", "/api/org/people", new), 403, "forbidden")
    refused(call(client_for("outsider"), "POST", "/api/org/people", new), 403, "forbidden")
    elsewhere = {
        **new,
        "department_id": org.service.pk,
        "post_id": org.window_post.pk,
        "superior_id": org.outsider.pk,
    }
    body = refused(
        call(office_admin(), "POST", "/api/org/people", elsewhere), 400, "validation_failed"
    )
    assert fields(body) == {
        "department_id": "unknown_department",
        "post_id": "unknown_post",
        "superior_id": "unknown_superior",
    }
    created = ok(call(client_for("perfadmin"), "POST", "/api/org/people", new), 201)
    assert created["status"] == "active" and created["status_since"] == "2024-09-01"
    assert created["gender"] == "M" and created["has_account"] is False
    assert [h["start_date"] for h in created["status_history"]] == ["2024-09-01"]
    assert AuditRecord.objects.get(action="org.person.create").source == "api"


def test_person_patch_writes_one_audit_record(org, client_for):
    url = f"/api/org/people/{org.employee.pk}"
    for persona in ("leader", "head", "employee", "auditor"):
        refused(
            call(client_for(persona), "PATCH", url, {"version": 1, "rank": "x"}), 403, "forbidden"
        )
    refused(
        call(client_for("outsider"), "PATCH", url, {"version": 1, "rank": "x"}), 404, "not_found"
    )
    assert not AuditRecord.objects.exists()

    client = client_for("perfadmin")
    body = ok(
        call(
            client,
            "PATCH",
            url,
            {"version": 1, "rank": "四级主任科员", "phone": "0571-1234", "reason": "晋升"},
        )
    )
    assert body["rank"] == "四级主任科员" and body["phone"] == "0571-1234"
    assert body["name"] == "李文" and body["superior"]["id"] == org.head.pk  # not sent: kept
    assert body["post"]["id"] == org.clerk_post.pk and body["hire_date"] == "2018-03-01"
    assert body["version"] == 2
    records = list(AuditRecord.objects.all())
    assert len(records) == 1
    record = records[0]
    assert record.action == "org.person.update" and record.object_id == str(org.employee.pk)
    assert record.changes == {"rank": ["一级科员", "四级主任科员"], "phone": ["", "0571-1234"]}
    assert record.source == "api" and record.actor_label == "perfadmin" and record.reason == "晋升"
    assert record.ip == "127.0.0.1"

    stale = refused(call(client, "PATCH", url, {"version": 1, "rank": "y"}), 409, "concurrent_edit")
    assert stale["errors"][0]["code"] == "concurrent_edit"
    assert Person.objects.get(pk=org.employee.pk).rank == "四级主任科员"
    assert AuditRecord.objects.count() == 1

    cleared = ok(call(client, "PATCH", url, {"version": 2, "superior_id": None, "post_id": None}))
    assert cleared["superior"] is None and cleared["post"] is None
    status = refused(
        call(client, "PATCH", url, {"version": 3, "status": "left"}), 400, "validation_failed"
    )
    assert fields(status) == {"status": "extra_forbidden"}


def test_person_status_change(org, client_for):
    url = f"/api/org/people/{org.employee.pk}/status"
    change = {
        "version": 1,
        "status": "seconded",
        "start_date": "2025-03-01",
        "note": "借调市发改委",
    }
    for persona in ("leader", "head", "employee"):
        refused(call(client_for(persona), "POST", url, change), 403, "forbidden")
    refused(call(client_for("outsider"), "POST", url, change), 404, "not_found")
    body = ok(call(client_for("perfadmin"), "POST", url, change))
    assert (
        body["status"] == "seconded"
        and body["status_since"] == "2025-03-01"
        and body["version"] == 2
    )
    assert body["status_history"][0]["note"] == "借调市发改委"
    refused(call(client_for("perfadmin"), "POST", url, change), 409, "concurrent_edit")
    early = refused(
        call(
            client_for("perfadmin"),
            "POST",
            url,
            {**change, "version": 2, "start_date": "2025-01-01"},
        ),
        400,
        "validation_failed",
    )
    assert fields(early) == {"start_date": "before_current_status"}
    bad = refused(
        call(client_for("perfadmin"), "POST", url, {"version": 2, "status": "retired"}),
        400,
        "validation_failed",
    )
    assert fields(bad) == {"status": "enum", "start_date": "missing"}
    assert PersonStatusChange.objects.filter(person=org.employee).count() == 1


def test_people_list_query_count_does_not_grow(org, client_for, django_assert_max_num_queries):
    def add_people(n: int) -> None:
        for i in range(n):
            f.make_person(f"员工{i}", org.service, post=org.window_post, superior=org.outsider)

    client = client_for("perfadmin")
    add_people(1)  # 5 people
    with django_assert_max_num_queries(12) as few:
        assert ok(client.get("/api/org/people?page_size=500"))["count"] == 5
    add_people(45)  # 50 people
    with django_assert_max_num_queries(12) as many:
        assert len(ok(client.get("/api/org/people?page_size=500"))["items"]) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_other_lists_query_count_does_not_grow(org, client_for, django_assert_max_num_queries):
    client = client_for("sysadmin")
    urls = ["/api/org/departments", "/api/org/posts", "/api/audit"]
    before = {}
    for url in urls:
        with django_assert_max_num_queries(12) as q:
            ok(client.get(url))
        before[url] = len(q.captured_queries)
    for i in range(20):
        dept = f.make_department(f"科室{i}", org.service)
        f.make_post(f"岗位{i}", dept)
    for i in range(20):
        ok(
            call(
                client,
                "PATCH",
                f"/api/org/departments/{org.service.pk}",
                {"version": i + 1, "sort_order": i},
            )
        )
    for url in urls:
        with django_assert_max_num_queries(12) as q:
            assert ok(client.get(url))["count"] >= 20
        assert len(q.captured_queries) == before[url], url


# ---------------------------------------------------------------- audit


def test_audit_list(org, client_for):
    ok(
        call(
            client_for("perfadmin"),
            "PATCH",
            f"/api/org/people/{org.peer.pk}",
            {"version": 1, "rank": "x"},
        )
    )
    for persona in ("perfadmin", "leader", "head", "employee", "outsider"):
        refused(client_for(persona).get("/api/audit"), 403, "forbidden")
    for persona in ("auditor", "sysadmin"):
        body = ok(client_for(persona).get("/api/audit?source=api&object_type=org.person"))
        assert body["count"] == 1
        item = body["items"][0]
        assert item["action"] == "org.person.update" and item["actor_label"] == "perfadmin"
        assert item["changes"] == {"rank": ["一级科员", "x"]}
    assert ok(client_for("auditor").get("/api/audit?source=web"))["count"] == 0
    assert ok(client_for("auditor").get("/api/audit?actor=perf&action=org.person."))["count"] == 1
    assert (
        ok(client_for("auditor").get("/api/audit?date_from=2000-01-01&date_to=2000-12-31"))["count"]
        == 0
    )
    bad = refused(
        client_for("auditor").get("/api/audit?date_from=yesterday"), 400, "validation_failed"
    )
    assert fields(bad) == {"date_from": "date_from_datetime_parsing"}


# ---------------------------------------------------------------- docs


def test_docs_page_is_local(org):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "//" not in "".join(urls)
    assert not re.search(r"https?://", html)
    # No inline script that the CSP (script-src 'self' + nonce) would block; JSON data only.
    for attrs, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def test_openapi_document(org):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] == "Jixiao API"
    expected = {
        "/api/me": {"get"},
        "/api/org/departments": {"get", "post"},
        "/api/org/departments/{department_id}": {"get", "patch"},
        "/api/org/departments/{department_id}/deactivate": {"post"},
        "/api/org/departments/{department_id}/activate": {"post"},
        "/api/org/posts": {"get", "post"},
        "/api/org/posts/{post_id}": {"get", "patch"},
        "/api/org/posts/{post_id}/deactivate": {"post"},
        "/api/org/posts/{post_id}/activate": {"post"},
        "/api/org/people": {"get", "post"},
        "/api/org/people/{person_id}": {"get", "patch"},
        "/api/org/people/{person_id}/status": {"post"},
        "/api/org/people/{person_id}/account": {"get", "post"},
        "/api/org/people/{person_id}/account/reset-password": {"post"},
        "/api/org/people/{person_id}/account/disable": {"post"},
        "/api/org/people/{person_id}/account/enable": {"post"},
        "/api/audit": {"get"},
    }
    # Other apps' routers are checked by their own tests (test_indicators_api.py,
    # test_calendar.py).
    assert {
        p: set(ops)
        for p, ops in doc["paths"].items()
        if not p.startswith(("/api/indicators", "/api/calendar", "/api/goals", "/api/appraisals"))
    } == expected
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["security"], (path, method)
            assert "401" in op["responses"] and "404" in op["responses"]
            assert op["operationId"]

    # Every $ref resolves.
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    names = set(doc["components"]["schemas"])
    for ref in refs(doc["paths"]) + refs(doc["components"]):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in names, ref
    assert {"DepartmentPage", "PersonPage", "ErrorOut", "PersonPatch"} <= names


def test_unauthenticated_docs_do_not_leak_data(org):
    assert "李文" not in Client().get("/api/openapi.json").content.decode()
    assert Post.objects.count() == 3
