"""The schemes API (考核方案): list (pagination, search, filters, versions), detail, create from
a preset or from data, save (in place or as a new version), deactivate and reactivate, with
the page's validation, compare-and-set, permissions and audit records."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jixiao.appraisals import schemes, series
from jixiao.appraisals.models import Cycle, Scheme
from jixiao.core.models import AuditRecord
from tests.appraisals.conftest import actor
from tests.appraisals.test_office_pages import _scheme_post

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
MANAGERS = {"perfadmin", "sysadmin"}
URL = "/api/appraisals/schemes"


def send(client: Client, url: str, body: Any = None, method: str = "post") -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def preset(org, code: str, kind: str = "civil_servant", name: str = "") -> Scheme:
    admin = org.users["perfadmin"]
    return schemes.scheme_from_preset(
        actor=actor(admin), user=admin, preset=kind, code=code, name=name
    )


def content_of(detail: dict[str, Any]) -> dict[str, Any]:
    """The body of a PUT or POST from a detail answer: what was read, ready to send back."""
    return {
        "name": detail["name"],
        "description": detail["description"],
        "preset": detail["preset"],
        "grades": detail["grades"],
        "quota_rules": detail["quota_rules"],
        "eligibility": detail["eligibility"],
        "shrinkage": detail["shrinkage"],
        "sections": [
            {
                "code": s["code"],
                "name": s["name"],
                "kind": s["kind"],
                "weight": s["weight"],
                "items": [
                    {
                        k: i[k]
                        for k in (
                            "code",
                            "name",
                            "weight",
                            "indicator",
                            "kpi_source",
                            "max_score",
                            "description",
                        )
                    }
                    for i in s["items"]
                ],
            }
            for s in detail["sections"]
        ],
        "groups": detail["groups"],
    }


def use_in_a_cycle(org, scheme: Scheme) -> Cycle:
    """A cycle that uses the version, so that a change makes a new version."""
    import datetime

    from jixiao.appraisals import cycles

    admin = org.users["perfadmin"]
    return cycles.cycle_create(
        actor=actor(admin),
        user=admin,
        data=cycles.CycleData(
            name=f"用{scheme.code}的周期",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.office.pk]),
        ),
    )


# ---------------------------------------------------------------- list


def test_the_list_pages_searches_and_filters(org, client_for):
    for code, kind in (("A1", "civil_servant"), ("B2", "institution"), ("C3", "company")):
        preset(org, code, kind)
    Scheme.objects.filter(code="B2").update(is_active=False)
    client = client_for("employee")  # every signed-in person reads the schemes
    first = client.get(f"{URL}?page_size=2").json()
    assert first["count"] == 3 and first["page"] == 1 and first["page_size"] == 2
    assert [s["code"] for s in first["items"]] == ["A1", "B2"]
    second = client.get(f"{URL}?page_size=2&page=2").json()
    assert [s["code"] for s in second["items"]] == ["C3"]
    assert client.get(f"{URL}?page=0").status_code == 400
    assert [s["code"] for s in client.get(f"{URL}?q=c3").json()["items"]] == ["C3"]
    by_name = client.get(f"{URL}?q=事业单位").json()["items"]
    assert [s["code"] for s in by_name] == ["B2"]
    assert [s["code"] for s in client.get(f"{URL}?active=false").json()["items"]] == ["B2"]
    assert [s["code"] for s in client.get(f"{URL}?active=true").json()["items"]] == ["A1", "C3"]
    assert [s["code"] for s in client.get(f"{URL}?preset=company").json()["items"]] == ["C3"]
    row = first["items"][0]
    assert row["revision"] == 1 and row["is_latest"] and row["is_active"]
    assert row["version_count"] == 1 and row["cycle_count"] == 0
    assert row["created_by"] == "perfadmin"


def test_the_list_shows_latest_versions_unless_asked_for_all(org, client_for):
    scheme = preset(org, "V1")
    use_in_a_cycle(org, scheme)
    data = schemes.SchemeData.of(scheme)
    data.description = "第二版"
    admin = org.users["perfadmin"]
    second = schemes.scheme_update(
        actor=actor(admin), user=admin, scheme_id=scheme.pk, expected_version=1, data=data
    )
    client = client_for("peer")
    latest = client.get(URL).json()["items"]
    assert [(s["id"], s["version_count"]) for s in latest] == [(second.pk, 2)]
    every = client.get(f"{URL}?all_versions=true").json()
    assert every["count"] == 2
    assert [(s["revision"], s["is_latest"], s["cycle_count"]) for s in every["items"]] == [
        (2, True, 0),
        (1, False, 1),
    ]


def test_the_list_costs_the_same_queries_for_more_schemes(org, client_for):
    preset(org, "Q1")
    client = client_for("perfadmin")
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for code in ("Q2", "Q3", "Q4"):
        preset(org, code, "company")
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(URL).json()["items"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_anonymous_callers_are_refused(org):
    assert Client().get(URL).status_code == 401


# ---------------------------------------------------------------- detail


def test_the_detail_has_every_part_of_the_scheme(org, scheme, client_for):
    body = client_for("employee").get(f"{URL}/{scheme.pk}").json()
    assert (body["code"], body["revision"], body["preset"]) == ("GWY", 1, "civil_servant")
    assert [g["code"] for g in body["grades"]] == ["excellent", "competent", "basic", "incompetent"]
    assert body["grades"][0] == {"code": "excellent", "label": "优秀", "min_score": 90.0}
    rule = body["quota_rules"][0]
    assert rule["grades"] == ["excellent"] and rule["op"] == "at_most"
    assert (rule["share"], rule["share_if_approved"], rule["rounding"]) == (0.2, 0.25, "half_up")
    assert body["eligibility"] == {"new_hire_months": 6, "leave_months": 6, "seconded_months": 6}
    assert body["shrinkage"] == 3.0 and body["feeds"] == []
    sections = {s["code"]: s for s in body["sections"]}
    assert [s["code"] for s in body["sections"]] == ["achievement", "conduct", "democratic"]
    assert sections["achievement"]["kind"] == "kpi" and sections["achievement"]["weight"] == 50
    assert sections["achievement"]["items"][0]["kpi_source"] == "goal_progress"
    conduct = sections["conduct"]
    assert [i["indicator"] for i in conduct["items"]] == ["DN-01", "DN-02", "DN-03", "DN-05"]
    assert conduct["items"][0]["indicator_id"] and conduct["items"][0]["indicator_name"]
    assert set(conduct["rated_by"]) == {"self", "superior", "leader", "peer"}
    peer = next(g for g in body["groups"] if g["group"] == "peer")
    assert peer == {
        "group": "peer",
        "weight": 30.0,
        "sections": ["conduct", "democratic"],
        "min_responses": 3,
        "anonymous": True,
        "standardize": True,
        "count": 5,
    }
    assert [v["revision"] for v in body["versions"]] == [1]
    assert body["active_series"] == [] and body["is_active"] is True


def test_an_unknown_scheme_is_404(org, client_for):
    response = client_for("perfadmin").get(f"{URL}/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_detail_costs_the_same_queries_for_a_bigger_scheme(org, client_for):
    small = preset(org, "S1", "company")
    big = preset(org, "S2", "institution")
    client = client_for("perfadmin")
    with CaptureQueriesContext(connection) as one:
        client.get(f"{URL}/{small.pk}")
    with CaptureQueriesContext(connection) as two:
        client.get(f"{URL}/{big.pk}")
    assert len(two.captured_queries) == len(one.captured_queries)


# ---------------------------------------------------------------- create


def test_create_from_a_preset(org, client_for):
    for persona in set(PERSONAS) - MANAGERS:
        refused = send(
            client_for(persona), f"{URL}/from-preset", {"preset": "company", "code": "X"}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", persona
    admin = client_for("perfadmin")
    made = send(admin, f"{URL}/from-preset", {"preset": "company", "code": "QY", "name": "本公司"})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["code"], body["name"], body["preset"]) == ("QY", "本公司", "company")
    assert [g["code"] for g in body["grades"]] == ["S", "A", "B", "C", "D"]
    again = send(admin, f"{URL}/from-preset", {"preset": "company", "code": "QY"})
    assert again.status_code == 400
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [("code", "duplicate_code")]
    bad = send(admin, f"{URL}/from-preset", {"preset": "custom", "code": "QY2"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "preset"
    extra = send(admin, f"{URL}/from-preset", {"preset": "company", "code": "QY3", "x": 1})
    assert extra.status_code == 400
    record = AuditRecord.objects.get(action="appraisals.scheme.create", object_id=str(body["id"]))
    assert record.source == "api"


def test_create_from_data_takes_what_was_read(org, scheme, client_for):
    admin = client_for("sysadmin")
    body = content_of(admin.get(f"{URL}/{scheme.pk}").json())
    made = send(admin, URL, {**body, "code": "GWY-COPY", "reason": "复制"})
    assert made.status_code == 201, made.json()
    copy = Scheme.objects.get(code="GWY-COPY")
    original = schemes.SchemeData.of(scheme).content()
    assert schemes.SchemeData.of(copy).content() == original
    assert send(client_for("leader"), URL, {**body, "code": "NO"}).status_code == 403
    duplicate = send(admin, URL, {**body, "code": "GWY"})
    assert duplicate.status_code == 400
    assert {e["code"] for e in duplicate.json()["errors"]} == {"duplicate_code"}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda b: b["sections"][0].update(weight=40), "sections", "weights_not_100"),
        (lambda b: b["sections"][1]["items"][0].update(weight=30), "sections[1].items", "weights_not_100"),
        (lambda b: b["sections"][0]["items"][0].update(kpi_source=""), "sections[0].items[0].kpi_source", "required"),
        (lambda b: b["sections"][1]["items"][0].update(indicator="NOPE"), "sections[1].items[0].indicator", "unknown_indicator"),
        (lambda b: b.update(grades=b["grades"][:1]), "grades", "too_few_grades"),
        (lambda b: b["grades"][1].update(min_score=95), "grades[1].min_score", "grades_out_of_order"),
        (lambda b: b["quota_rules"][0].update(grades=["competent"]), "quota_rules[0].grades", "quota_grades_not_at_an_end"),
        (lambda b: b["quota_rules"][0].update(share=1.5), "quota_rules[0].share", "invalid_share"),
        (lambda b: b["quota_rules"][0].update(share_by_unit_grade={"good": 0.3}), "quota_rules[0].share_by_unit_grade", "invalid_choice"),
        (lambda b: b["groups"][3].update(min_responses=0), "groups[3].min_responses", "invalid"),
        (lambda b: b["groups"][3].update(sections=["achievement"]), "groups[3].sections", "unknown_section"),
        (lambda b: b.update(eligibility={"new_hire_months": 61}), "eligibility.new_hire_months", "invalid"),
        (lambda b: b.update(shrinkage=-1), "shrinkage", "invalid"),
        (lambda b: b.update(name=" "), "name", "required"),
    ],
)  # fmt: skip
def test_invalid_content_is_refused_field_by_field(org, scheme, client_for, change, field, code):
    admin = client_for("perfadmin")
    body = content_of(admin.get(f"{URL}/{scheme.pk}").json())
    change(body)
    for made in (
        send(admin, URL, {**body, "code": "NEW"}),
        send(admin, f"{URL}/{scheme.pk}", {**body, "version": 1}, method="put"),
    ):
        assert made.status_code == 400, made.json()
        assert made.json()["code"] == "validation_failed"
        assert (field, code) in {(e["field"], e["code"]) for e in made.json()["errors"]}
    assert not Scheme.objects.filter(code="NEW").exists()
    assert Scheme.objects.get(pk=scheme.pk).version == 1


def test_the_api_and_the_editor_page_give_the_same_error(org, scheme, client_for):
    client = client_for("perfadmin")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    data = _scheme_post(client, scheme)
    data["items1-0-weight"] = "30"  # the items of 德能勤廉 add up to 105
    page = client.post(f"/appraisals/schemes/{scheme.pk}/edit/", data).content.decode()
    body = content_of(client.get(f"{URL}/{scheme.pk}").json())
    body["sections"][1]["items"][0]["weight"] = 30
    api = send(client, f"{URL}/{scheme.pk}", {**body, "version": 1}, method="put").json()
    [error] = api["errors"]
    assert (error["field"], error["code"]) == ("sections[1].items", "weights_not_100")
    assert "105" in error["message"] and error["message"] in page


# ---------------------------------------------------------------- save


def test_save_in_place_then_as_a_new_version(org, scheme, client_for):
    admin = client_for("perfadmin")
    url = f"{URL}/{scheme.pk}"
    body = content_of(admin.get(url).json())
    unchanged = send(admin, url, {**body, "version": 1}, method="put").json()
    assert unchanged["id"] == scheme.pk and unchanged["version"] == 1
    assert unchanged["new_version"] is False
    body["name"] = "公务员年度考核（本局）"
    saved = send(admin, url, {**body, "version": 1, "reason": "本局"}, method="put").json()
    assert saved["id"] == scheme.pk and saved["revision"] == 1 and saved["version"] == 2
    assert saved["name"] == "公务员年度考核（本局）" and saved["new_version"] is False
    stale = send(admin, url, {**body, "name": "晚了", "version": 1}, method="put")
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    cycle = use_in_a_cycle(org, scheme)
    body["sections"][0]["weight"], body["sections"][1]["weight"] = 40, 45
    newer = send(admin, url, {**body, "version": 2, "reason": "调权重"}, method="put").json()
    assert newer["new_version"] is True and newer["id"] != scheme.pk
    assert newer["revision"] == 2 and [v["revision"] for v in newer["versions"]] == [2, 1]
    cycle.refresh_from_db()
    assert cycle.scheme_id == scheme.pk  # the cycle keeps its version
    old = send(admin, url, {**body, "version": 3}, method="put")
    assert old.status_code == 409 and old.json()["code"] == "not_latest_version"
    actions = list(
        AuditRecord.objects.filter(action__startswith="appraisals.scheme.")
        .order_by("id")
        .values_list("action", "source", "reason")
    )
    assert actions[-2:] == [
        ("appraisals.scheme.update", "api", "本局"),
        ("appraisals.scheme.new_version", "api", "调权重"),
    ]


def test_only_managers_save(org, scheme, client_for):
    body = {**content_of(client_for("perfadmin").get(f"{URL}/{scheme.pk}").json()), "version": 1}
    for persona in set(PERSONAS) - MANAGERS:
        response = send(client_for(persona), f"{URL}/{scheme.pk}", body, method="put")
        assert response.status_code == 403, persona
    missing = send(client_for("perfadmin"), f"{URL}/999999", body, method="put")
    assert missing.status_code == 404


# ---------------------------------------------------------------- deactivate


def test_deactivate_and_reactivate(org, scheme, client_for):
    admin = client_for("perfadmin")
    url = f"{URL}/{scheme.pk}"
    for persona in set(PERSONAS) - MANAGERS:
        refused = send(client_for(persona), f"{url}/deactivate", {"version": 1})
        assert refused.status_code == 403, persona
    assert send(admin, f"{URL}/999999/deactivate", {"version": 1}).status_code == 404
    missing = send(admin, f"{url}/deactivate", {})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "version"
    off = send(admin, f"{url}/deactivate", {"version": 1, "reason": "停用旧方案"})
    assert off.status_code == 200, off.json()
    assert off.json()["is_active"] is False and off.json()["version"] == 2
    again = send(admin, f"{url}/deactivate", {"version": 2})  # already off: nothing to do
    assert again.status_code == 200 and again.json()["version"] == 2
    stale = send(admin, f"{url}/activate", {"version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    listed = client_for("employee").get(f"{URL}?active=false").json()["items"]
    assert [s["id"] for s in listed] == [scheme.pk]
    on = send(admin, f"{url}/activate", {"version": 2})
    assert on.status_code == 200 and on.json()["is_active"] is True and on.json()["version"] == 3
    records = list(
        AuditRecord.objects.filter(action__in=["appraisals.scheme.deactivate", "appraisals.scheme.activate"])
        .order_by("id")
        .values_list("action", "changes", "reason", "source", "object_id")
    )  # fmt: skip
    assert records == [
        ("appraisals.scheme.deactivate", {"is_active": [True, False]}, "停用旧方案", "api", str(scheme.pk)),
        ("appraisals.scheme.activate", {"is_active": [False, True]}, "", "api", str(scheme.pk)),
    ]  # fmt: skip


def test_deactivation_goes_through_the_latest_version_and_marks_them_all(org, scheme, client_for):
    admin = client_for("perfadmin")
    use_in_a_cycle(org, scheme)
    body = content_of(admin.get(f"{URL}/{scheme.pk}").json())
    newer = send(
        admin, f"{URL}/{scheme.pk}", {**body, "description": "新", "version": 1}, method="put"
    )
    latest = newer.json()
    old = send(admin, f"{URL}/{scheme.pk}/deactivate", {"version": 2})
    assert old.status_code == 409 and old.json()["code"] == "not_latest_version"
    off = send(admin, f"{URL}/{latest['id']}/deactivate", {"version": latest["version"]})
    assert off.status_code == 200
    assert [v["is_active"] for v in off.json()["versions"]] == [False, False]
    assert client_for("peer").get(f"{URL}/{scheme.pk}").json()["is_active"] is False


def test_deactivation_is_refused_while_an_active_series_uses_the_scheme(org, scheme, client_for):
    import datetime

    from jixiao.appraisals import cycles

    admin_user = org.users["perfadmin"]
    made = series.series_create(
        actor=actor(admin_user),
        user=admin_user,
        data=series.SeriesData(
            name="季度平时考核",
            kind="quarterly",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            first_start=datetime.date(2099, 1, 1),
            population=cycles.Population(department_ids=[org.office.pk]),
        ),
    )
    admin = client_for("perfadmin")
    detail = admin.get(f"{URL}/{scheme.pk}").json()
    assert detail["active_series"] == [
        {"id": made.pk, "name": "季度平时考核", "unit_id": org.unit.pk, "unit_name": org.unit.name}
    ]
    assert client_for("employee").get(f"{URL}/{scheme.pk}").json()["active_series"] == []
    refused = send(admin, f"{URL}/{scheme.pk}/deactivate", {"version": 1})
    assert refused.status_code == 409 and refused.json()["code"] == "used_by_active_series"
    assert "季度平时考核" in refused.json()["message"]
    assert Scheme.objects.get(pk=scheme.pk).is_active
    series.series_set_active(
        actor=actor(admin_user), user=admin_user, series_id=made.pk, active=False
    )
    assert send(admin, f"{URL}/{scheme.pk}/deactivate", {"version": 1}).status_code == 200


def test_the_routes_carry_the_schemes_tag(org):
    doc = Client().get("/api/openapi.json").json()
    paths = {p: ops for p, ops in doc["paths"].items() if p.startswith("/api/appraisals/schemes")}
    assert {p: set(ops) for p, ops in paths.items()} == {
        "/api/appraisals/schemes": {"get", "post"},
        "/api/appraisals/schemes/from-preset": {"post"},
        "/api/appraisals/schemes/{scheme_id}": {"get", "put"},
        "/api/appraisals/schemes/{scheme_id}/deactivate": {"post"},
        "/api/appraisals/schemes/{scheme_id}/activate": {"post"},
    }
    for ops in paths.values():
        for operation in ops.values():
            assert operation["tags"] == ["appraisal: schemes"]
