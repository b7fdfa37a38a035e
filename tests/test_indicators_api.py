"""The indicator library API: authentication, permissions, lists, writes with versioning and
compare-and-set, evaluation of rules and formulas, AHP and weight sets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.indicators import services
from jixiao.indicators.models import Indicator, IndicatorUse
from tests.test_api import call, fields, ok, refused

ACTOR = Actor.system("test", source="cli")
READERS = ("employee", "head", "leader", "auditor", "outsider")


def latest(code: str) -> Indicator:
    return Indicator.objects.get(code=code, is_latest=True)


NEW = {
    "code": "API-01",
    "name": "会议纪要按时印发率",
    "category": "efficiency",
    "unit": "%",
    "direction": "higher",
    "source_kind": "records",
    "rule": {"kind": "piecewise", "threshold": 90, "target": 98},
    "default_weight": 10,
    "period": "quarterly",
}


def endpoints() -> list[tuple[str, str]]:
    pk = latest("XL-01").pk
    return [
        ("GET", "/api/indicators"),
        ("GET", f"/api/indicators/{pk}"),
        ("POST", "/api/indicators"),
        ("PATCH", f"/api/indicators/{pk}"),
        ("POST", f"/api/indicators/{pk}/deactivate"),
        ("POST", f"/api/indicators/{pk}/activate"),
        ("POST", "/api/indicators/evaluate"),
        ("POST", "/api/indicators/weights/ahp"),
        ("GET", "/api/indicators/weights/ri-tables"),
        ("GET", "/api/indicators/weight-sets"),
        ("GET", "/api/indicators/weight-sets/1"),
    ]


def test_every_endpoint_needs_authentication(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for method, url in endpoints():
        refused(
            call(client, method, url, {} if method != "GET" else None), 401, "not_authenticated"
        )


def test_writes_refuse_readers_with_403(org, client_for):
    pk = latest("XL-01").pk
    for persona in READERS:
        c = client_for(persona)
        refused(call(c, "POST", "/api/indicators", NEW), 403, "forbidden")
        refused(
            call(c, "PATCH", f"/api/indicators/{pk}", {"version": 1, "name": "x"}), 403, "forbidden"
        )
        refused(call(c, "POST", f"/api/indicators/{pk}/deactivate", {}), 403, "forbidden")
        refused(call(c, "POST", f"/api/indicators/{pk}/activate", {}), 403, "forbidden")
    assert latest("XL-01").version == 1 and not Indicator.objects.filter(code="API-01").exists()
    refused(client_for("perfadmin").get("/api/indicators/999999"), 404, "not_found")
    refused(
        call(client_for("perfadmin"), "PATCH", "/api/indicators/999999", {"version": 1}),
        404,
        "not_found",
    )


def test_list_filters_and_pagination(org, client_for):
    def codes(q: str = "") -> list[str]:
        return [i["code"] for i in ok(client_for("employee").get(f"/api/indicators{q}"))["items"]]

    assert {"XL-01", "DN-05", "RX-05"} <= set(codes())
    assert codes("?q=公文") == ["XL-01", "XL-02"]
    assert codes("?category=conduct") == [f"DN-0{k}" for k in range(1, 6)]
    assert codes("?rule_kind=formula") == ["MB-04"]
    assert codes("?code=FW-02") == ["FW-02"]
    assert set(codes("?direction=lower")) >= {"XL-01", "FW-02", "RX-04"}
    page = ok(client_for("employee").get("/api/indicators?page=2&page_size=5"))
    assert page["page"] == 2 and len(page["items"]) == 5 and page["count"] >= 21
    item = ok(client_for("employee").get("/api/indicators?code=XL-01"))["items"][0]
    assert item["direction"] == "lower" and item["rule"]["kind"] == "piecewise"
    assert item["rule_description"] and item["version"] == 1 and item["revision"] == 1


def test_list_query_count_does_not_grow(org, client_for, django_assert_max_num_queries):
    c = client_for("employee")
    c.get("/api/indicators")
    for k in range(20):
        services.indicator_create(
            actor=ACTOR,
            scope=None,
            data=services.IndicatorData(
                code=f"N-{k}", name=f"n{k}", category="other", rule={"kind": "binary"}
            ),
        )
    with django_assert_max_num_queries(8):
        c.get("/api/indicators?page_size=100")


def test_detail_has_levels_and_versions(org, client_for):
    body = ok(client_for("outsider").get(f"/api/indicators/{latest('DN-04').pk}"))
    assert [b["level"] for b in body["bars_levels"]] == [5, 4, 3, 2, 1]
    assert body["versions"][0]["revision"] == 1 and body["in_use"] is False


def test_create_validates_like_the_pages(org, client_for):
    c = client_for("perfadmin")
    body = ok(call(c, "POST", "/api/indicators", NEW), 201)
    assert body["code"] == "API-01" and body["rule"]["direction"] == "higher"
    record = AuditRecord.objects.get(
        action="indicators.indicator.create", object_id=str(body["id"])
    )
    assert record.source == "api"
    dup = refused(call(c, "POST", "/api/indicators", NEW), 400, "validation_failed")
    assert fields(dup) == {"code": "duplicate_code"}
    bad = {
        **NEW,
        "code": "API-02",
        "rule": {
            "kind": "bands",
            "bands": [{"min": 0, "max": 10, "points": 1}, {"min": 5, "max": 20, "points": 2}],
        },
    }
    body = refused(call(c, "POST", "/api/indicators", bad), 400, "validation_failed")
    assert fields(body) == {"rule.bands[1].min": "overlap"}
    wrong_enum = refused(
        call(c, "POST", "/api/indicators", {**NEW, "code": "API-03", "category": "x"}),
        400,
        "validation_failed",
    )
    assert "category" in fields(wrong_enum)
    bars = {
        **NEW,
        "code": "API-04",
        "category": "conduct",
        "rule": {"kind": "bars"},
        "bars_levels": [
            {"level": 2, "title": "按时", "description": "当月公文全部按时办结。", "points": 100},
            {"level": 1, "title": "逾期", "description": "有公文超过时限。", "points": 50},
        ],
    }
    body = ok(call(c, "POST", "/api/indicators", bars), 201)
    assert body["rule"]["levels"][0] == {"level": 2, "points": 100.0, "label": "按时"}


def test_patch_in_place_then_new_version_and_409s(org, client_for):
    c = client_for("perfadmin")
    ind = latest("FW-03")
    url = f"/api/indicators/{ind.pk}"
    body = ok(call(c, "PATCH", url, {"version": 1, "unit": "天", "reason": "口径"}))
    assert body["id"] == ind.pk and body["version"] == 2 and body["new_version"] is False
    assert body["unit"] == "天" and body["name"] == ind.name
    refused(call(c, "PATCH", url, {"version": 1, "unit": "日"}), 409, "concurrent_edit")
    IndicatorUse.objects.create(indicator=ind, used_by="goals.goal", object_id="9")
    body = ok(call(c, "PATCH", url, {"version": 2, "default_weight": 15}))
    assert body["new_version"] is True and body["id"] != ind.pk and body["revision"] == 2
    assert body["default_weight"] == 15 and [v["revision"] for v in body["versions"]] == [2, 1]
    refused(call(c, "PATCH", url, {"version": 3, "unit": "x"}), 409, "not_latest_version")
    missing = refused(call(c, "PATCH", url, {"unit": "x"}), 400, "validation_failed")
    assert fields(missing) == {"version": "missing"}
    null = refused(
        call(c, "PATCH", f"/api/indicators/{body['id']}", {"version": 1, "name": None}),
        400,
        "validation_failed",
    )
    assert fields(null) == {"name": "null_not_allowed"}
    bad_rule = refused(
        call(
            c,
            "PATCH",
            f"/api/indicators/{body['id']}",
            {"version": 1, "rule": {"kind": "ratio", "floor": 2, "cap": 1}},
        ),
        400,
        "validation_failed",
    )
    assert fields(bad_rule) == {"rule.cap": "cap_below_floor"}


def test_deactivate_and_activate(org, client_for):
    c = client_for("sysadmin")
    url = f"/api/indicators/{latest('XL-04').pk}"
    assert ok(call(c, "POST", f"{url}/deactivate", {"reason": "停用"}))["is_active"] is False
    assert AuditRecord.objects.get(action="indicators.indicator.deactivate").reason == "停用"
    assert ok(call(c, "POST", f"{url}/activate", ""))["is_active"] is True


# ------------------------------------------------------------------ evaluation


def test_evaluate_a_rule_on_posted_values(org, client_for):
    body = ok(
        call(
            client_for("employee"),
            "POST",
            "/api/indicators/evaluate",
            {
                "rule": {"kind": "ratio", "direction": "higher", "cap": 1.2},
                "columns": {"actual": [90, 130, None, 0], "target": [100, 100, 100, 0]},
            },
        )
    )
    assert body["rows"] == 4
    assert body["scores"] == [90.0, 120.0, None, 100.0]
    assert [e["row"] for e in body["errors"]] == [2]
    assert body["inputs"] == ["actual", "target"] and body["description"]


def test_evaluate_a_stored_indicator_and_a_deduction_rule(org, client_for):
    c = client_for("employee")
    body = ok(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"indicator_id": latest("XL-01").pk, "columns": {"actual": [5, 8, 3, 2, 10]}},
        )
    )
    assert body["scores"] == [100.0, 60.0, 120.0, 120.0, 0.0]
    body = ok(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {
                "indicator_id": latest("RX-05").pk,
                "columns": {
                    "late_accept": [2, 0],
                    "late_close": [1, 40],
                    "dissatisfied": [0, 0],
                    "redo": [0, 20],
                    "praise": [5, 0],
                    "commendation": [0, 0],
                },
            },
        )
    )
    assert body["scores"] == [101.0, 40.0]


def test_evaluate_a_formula_with_row_errors(org, client_for):
    body = ok(
        call(
            client_for("employee"),
            "POST",
            "/api/indicators/evaluate",
            {
                "formula": "IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))",
                "columns": {"实际值": [95, 90, 100], "目标值": [95, 96, 90]},
            },
        )
    )
    assert body["scores"] == [100.0, 70.0, 100.0] and body["errors"] == []
    body = ok(
        call(
            client_for("employee"),
            "POST",
            "/api/indicators/evaluate",
            {"formula": "[a]/[b]", "columns": {"a": [1, 2], "b": [2, 0]}},
        )
    )
    assert body["scores"][0] == 0.5 and body["scores"][1] is None
    assert [e["row"] for e in body["errors"]] == [1]


def test_evaluate_refusals(org, client_for):
    c = client_for("employee")
    body = refused(
        call(c, "POST", "/api/indicators/evaluate", {"formula": "SUM(1,", "columns": {}}),
        400,
        "validation_failed",
    )
    assert list(fields(body)) == ["formula"]
    body = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"rule": {"kind": "bands"}, "columns": {"actual": [1]}},
        ),
        400,
        "validation_failed",
    )
    assert all(k.startswith("rule") for k in fields(body))
    body = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"rule": {"kind": "ratio"}, "columns": {"actual": [1]}},
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"columns": "missing_columns"}
    body = refused(
        call(c, "POST", "/api/indicators/evaluate", {"columns": {"actual": [1]}}),
        400,
        "validation_failed",
    )
    assert fields(body) == {None: "one_of"}
    ragged = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"rule": {"kind": "ratio"}, "columns": {"actual": [1, 2], "target": [1]}},
        ),
        400,
        "validation_failed",
    )
    assert fields(ragged) == {"columns": "ragged_columns"}


def test_evaluate_names_an_unknown_formula_variable_with_the_closest_posted_name(org, client_for):
    c = client_for("employee")
    body = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"formula": "[实际值]/[目标]*100", "columns": {"实际值": [95], "目标值": [100]}},
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"formula": "unknown_variable"}
    assert "[目标]" in body["errors"][0]["message"]
    assert "您是否想写 [目标值]" in body["errors"][0]["message"]
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"formula": "[actual]-[Target]", "columns": {"actual": [1], "target": [2]}},
        ),
        400,
        "validation_failed",
    )
    assert body["errors"][0]["message"].endswith("did you mean [target]?")
    # Nothing close: the posted names are listed.
    body = refused(
        call(
            c,
            "POST",
            "/api/indicators/evaluate",
            {"formula": "[xyz]+1", "columns": {"a": [1], "b": [2]}},
        ),
        400,
        "validation_failed",
    )
    assert "known variables: [a], [b]" in body["errors"][0]["message"]


def test_evaluate_a_formula_rule_refuses_a_misspelt_rule_input(org, client_for):
    body = refused(
        call(
            client_for("employee"),
            "POST",
            "/api/indicators/evaluate",
            {
                "rule": {"kind": "formula", "expression": "[实际值]/[targt]*100"},
                "columns": {"actual": [1], "targt": [2]},
            },
        ),
        400,
        "validation_failed",
    )
    assert fields(body) == {"rule.expression": "formula_unknown_variable"}
    assert "您是否想写 [target]" in body["errors"][0]["message"]


# ------------------------------------------------------------------ weights


def test_ahp_endpoint(org, client_for):
    c = client_for("employee")
    body = ok(
        call(
            c,
            "POST",
            "/api/indicators/weights/ahp",
            {"names": ["甲", "乙", "丙"], "matrix": [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]},
        )
    )
    assert [round(w["weight"], 4) for w in body["weights"]] == [0.5714, 0.2857, 0.1429]
    assert body["consistent"] is True and body["cr"] == pytest.approx(0, abs=1e-9)
    bad = refused(
        call(
            c,
            "POST",
            "/api/indicators/weights/ahp",
            {"names": ["a", "b"], "matrix": [[1, 2], [2, 1]]},
        ),
        400,
        "validation_failed",
    )
    assert fields(bad) == {"matrix[1][0]": "not_reciprocal"}


def test_a_reader_cannot_reactivate_an_indicator(org, client_for):
    indicator = latest("XL-01")
    services.indicator_set_active(
        actor=ACTOR, scope=None, indicator_id=indicator.pk, active=False, reason="停用"
    )
    for persona in READERS:
        refused(
            call(client_for(persona), "POST", f"/api/indicators/{indicator.pk}/activate", {}),
            403,
            "forbidden",
        )
    assert not latest("XL-01").is_active
    body = ok(call(client_for("perfadmin"), "POST", f"/api/indicators/{indicator.pk}/activate", {}))
    assert body["is_active"] is True


MATRIX_3 = {"names": ["甲", "乙", "丙"], "matrix": [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]}


def test_ahp_with_a_configured_or_posted_ri_table(org, client_for, settings):
    settings.JIXIAO_AHP_RI_TABLES = {"省厅表": {"values": [0, 0, 0.25, 0.5], "source": "文件"}}
    c = client_for("employee")
    tables = ok(c.get("/api/indicators/weights/ri-tables"))
    assert [t["name"] for t in tables] == ["saaty", "extended_15", "省厅表"]
    assert tables[2] == {"name": "省厅表", "source": "文件", "values": [0, 0, 0.25, 0.5]}
    saaty = ok(call(c, "POST", "/api/indicators/weights/ahp", MATRIX_3))
    assert (saaty["ri_table"], saaty["ri"]) == ("saaty", 0.58)
    assert saaty["ri_values"][:3] == [0, 0, 0.58] and len(saaty["ri_values"]) == 11
    mine = ok(call(c, "POST", "/api/indicators/weights/ahp", {**MATRIX_3, "ri_table": "省厅表"}))
    assert (mine["ri_table"], mine["ri"], mine["ri_values"]) == ("省厅表", 0.25, [0, 0, 0.25, 0.5])
    assert mine["cr"] == pytest.approx(saaty["ci"] / 0.25)
    posted = ok(
        call(c, "POST", "/api/indicators/weights/ahp", {**MATRIX_3, "ri_values": [0, 0, 0.5]})
    )
    assert (posted["ri_table"], posted["ri"]) == ("custom", 0.5)
    bad = refused(
        call(c, "POST", "/api/indicators/weights/ahp", {**MATRIX_3, "ri_table": "nope"}),
        400,
        "validation_failed",
    )
    assert fields(bad) == {"ri_table": "invalid_choice"}
    assert "省厅表" in bad["errors"][0]["message"]
    bad = refused(
        call(c, "POST", "/api/indicators/weights/ahp", {**MATRIX_3, "ri_values": [0, 0, 0, -1]}),
        400,
        "validation_failed",
    )
    assert fields(bad) == {"ri_values[2]": "not_positive", "ri_values[3]": "negative"}
    # A 3×3 matrix needs RI for n = 3: a table that stops at 2 is refused.
    short = refused(
        call(c, "POST", "/api/indicators/weights/ahp", {**MATRIX_3, "ri_values": [0, 0]}),
        400,
        "validation_failed",
    )
    assert fields(short) == {"ri_values": "too_short"}


def test_saving_a_weight_set_records_uses_of_its_versions(org, client_for):
    a, b = latest("XL-01"), latest("XL-02")
    ws = services.weight_set_create(
        actor=ACTOR,
        scope=None,
        data=services.WeightSetData(
            name="在用权重",
            method="ahp",
            items=[services.WeightItemData(a.pk, 0.6), services.WeightItemData(b.pk, 0.4)],
        ),
    )
    assert ok(client_for("employee").get(f"/api/indicators/{a.pk}"))["in_use"] is True
    body = ok(
        call(
            client_for("perfadmin"),
            "PATCH",
            f"/api/indicators/{a.pk}",
            {"version": a.version, "name": "公文办理平均时长（新）"},
        )
    )
    assert body["new_version"] is True and body["id"] != a.pk
    assert ws.items.get(position=0).indicator_id == a.pk
    assert IndicatorUse.objects.filter(
        indicator_id=b.pk, used_by="indicators.weight_set", object_id=str(ws.pk)
    ).exists()


def test_weight_sets(org, client_for):
    a, b = latest("XL-01"), latest("XL-02")
    ws = services.weight_set_create(
        actor=ACTOR,
        scope=None,
        data=services.WeightSetData(
            name="API 权重",
            method="ahp",
            items=[services.WeightItemData(a.pk, 0.75), services.WeightItemData(b.pk, 0.25)],
        ),
    )
    page = ok(client_for("outsider").get("/api/indicators/weight-sets"))
    assert [w["name"] for w in page["items"]] == ["API 权重"]
    body = ok(client_for("outsider").get(f"/api/indicators/weight-sets/{ws.pk}"))
    assert [(i["indicator"]["code"], i["weight"]) for i in body["items"]] == [
        ("XL-01", 0.75),
        ("XL-02", 0.25),
    ]
    refused(client_for("outsider").get("/api/indicators/weight-sets/999999"), 404, "not_found")
    assert Decimal(str(body["items"][0]["weight"])) == Decimal("0.75")


def test_openapi_lists_the_indicator_endpoints(org):
    doc = Client().get("/api/openapi.json").json()
    paths = {p: set(ops) for p, ops in doc["paths"].items() if p.startswith("/api/indicators")}
    assert paths == {
        "/api/indicators": {"get", "post"},
        "/api/indicators/{indicator_id}": {"get", "patch"},
        "/api/indicators/{indicator_id}/deactivate": {"post"},
        "/api/indicators/{indicator_id}/activate": {"post"},
        "/api/indicators/evaluate": {"post"},
        "/api/indicators/weights/ahp": {"post"},
        "/api/indicators/weights/ri-tables": {"get"},
        "/api/indicators/weight-sets": {"get"},
        "/api/indicators/weight-sets/{weight_set_id}": {"get"},
    }
