"""The indicator library pages: permissions, list, detail, forms with field errors, the live
preview, the weighting page, import/export of the library, and query counts."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.imports.models import ImportJob
from jixiao.indicators import services
from jixiao.indicators.models import Indicator, IndicatorUse, WeightSet

READERS = ("employee", "peer", "head", "leader", "auditor", "outsider")
MANAGERS = ("perfadmin", "sysadmin")
ACTOR = Actor.system("test", source="cli")


def latest(code: str) -> Indicator:
    return Indicator.objects.get(code=code, is_latest=True)


def form_data(**kw) -> dict[str, str]:
    values = {
        "code": "XL-09",
        "name": "会议通知按时发出率",
        "category": "efficiency",
        "unit": "%",
        "direction": "higher",
        "period": "quarterly",
        "default_weight": "10",
        "responsible": "办公室（综合科）",
        "source_kind": "records",
        "source_detail": "会议管理台账",
        "definition": "会议通知在规定时间前发出的比例。",
        "standard": "达到 98% 得 100 分。",
        "rule_kind": "piecewise",
        "rule_json": json.dumps({"kind": "piecewise", "threshold": 90, "target": 98}),
        "bars-TOTAL_FORMS": "5",
        "bars-INITIAL_FORMS": "0",
        "bars-MIN_NUM_FORMS": "0",
        "bars-MAX_NUM_FORMS": "10",
    }
    values.update(kw)
    return values


# ------------------------------------------------------------------ permissions


def test_reading_pages_are_open_to_everyone_signed_in(org, client_for):
    xl = latest("XL-01")
    pages = [
        reverse("indicators:list"),
        reverse("indicators:detail", args=[xl.pk]),
        reverse("indicators:weights"),
        reverse("indicators:weight_sets"),
    ]
    for persona in READERS + MANAGERS:
        client = client_for(persona)
        for url in pages:
            assert client.get(url).status_code == 200, (persona, url)


def test_writing_pages_refuse_readers_with_403(org, client_for):
    xl = latest("XL-01")
    get_pages = [
        reverse("indicators:create"),
        reverse("indicators:edit", args=[xl.pk]),
        reverse("indicators:set_active", args=[xl.pk]),
        reverse("imports:indicators"),
        reverse("imports:indicators_template"),
        reverse("imports:indicators_export"),
        reverse("imports:indicators_export_csv", args=["indicators"]),
    ]
    post_pages = [
        reverse("indicators:create"),
        reverse("indicators:edit", args=[xl.pk]),
        reverse("indicators:set_active", args=[xl.pk]),
        reverse("indicators:lock", args=[xl.pk]),
        reverse("indicators:weights_save"),
        reverse("imports:indicators"),
    ]
    for persona in READERS:
        client = client_for(persona)
        for url in get_pages:
            assert client.get(url).status_code == 403, (persona, url)
        for url in post_pages:
            assert client.post(url, {"reason": "x", "name": "x"}).status_code == 403, (persona, url)
    assert latest("XL-01").version == xl.version
    assert not IndicatorUse.objects.exists()
    for persona in MANAGERS:
        client = client_for(persona)
        for url in get_pages:
            assert client.get(url).status_code == 200, (persona, url)


def test_unknown_indicator_is_404(org, client_for):
    for name in ("indicators:detail", "indicators:edit"):
        assert client_for("perfadmin").get(reverse(name, args=[999999])).status_code == 404


def test_nav_and_buttons_follow_the_role(org, client_for):
    r = client_for("employee").get(reverse("indicators:list"))
    assert reverse("indicators:list") in r.text  # the nav item
    assert 'id="new-indicator"' not in r.text and 'id="library-import"' not in r.text
    r = client_for("perfadmin").get(reverse("indicators:list"))
    assert 'id="new-indicator"' in r.text and 'id="library-import"' in r.text
    detail = client_for("employee").get(reverse("indicators:detail", args=[latest("XL-01").pk]))
    assert 'id="indicator-actions"' not in detail.text and 'id="history"' not in detail.text
    detail = client_for("auditor").get(reverse("indicators:detail", args=[latest("XL-01").pk]))
    assert 'id="history"' in detail.text


# ------------------------------------------------------------------ list and detail


def test_list_search_filter_and_empty_state(org, client_for):
    c = client_for("employee")
    codes = lambda r: [i.code for i in r.context["page_obj"]]  # noqa: E731
    r = c.get(reverse("indicators:list"))
    assert {"XL-01", "DN-03", "RX-05"} <= set(codes(r))
    assert "公文办理平均时长" in r.text
    assert codes(c.get(reverse("indicators:list"), {"q": "公文"})) == ["XL-01", "XL-02"]
    assert codes(c.get(reverse("indicators:list"), {"q": "dn-0"})) == [
        f"DN-0{k}" for k in range(1, 6)
    ]
    assert set(codes(c.get(reverse("indicators:list"), {"category": "hotline_window"}))) == {
        f"RX-0{k}" for k in range(1, 6)
    }
    assert codes(c.get(reverse("indicators:list"), {"rule_kind": "deduction"})) == ["RX-05"]
    r = c.get(reverse("indicators:list"), {"q": "不存在的指标"})
    assert r.context["page_obj"].paginator.count == 0
    assert "No indicators match" in r.text or "没有符合条件的指标" in r.text


def test_list_is_paginated(org, client_for):
    for k in range(60):
        services.indicator_create(
            actor=ACTOR,
            scope=None,
            data=services.IndicatorData(
                code=f"Z-{k:02d}", name=f"批量{k}", category="other", rule={"kind": "binary"}
            ),
        )
    r = client_for("employee").get(reverse("indicators:list"))
    assert len(r.context["page_obj"].object_list) == 50
    r2 = client_for("employee").get(reverse("indicators:list"), {"page": 2})
    assert r2.context["page_obj"].number == 2
    assert not set(r.context["page_obj"].object_list) & set(r2.context["page_obj"].object_list)


def test_detail_shows_rule_levels_and_versions(org, client_for):
    qin = latest("DN-03")
    r = client_for("employee").get(reverse("indicators:detail", args=[qin.pk]))
    assert r.status_code == 200
    assert 'id="bars-levels"' in r.text and "连续三个月以上公文办理均在时限内完成" in r.text
    assert 'id="rule-description"' in r.text and "5 级 100 分" in r.text
    assert 'data-version="1"' in r.text
    assert "echarts.min.js" in r.text and "indicators.js" in r.text


@pytest.mark.parametrize("url_name", ["indicators:list", "indicators:weight_sets"])
def test_list_queries_do_not_grow(org, client_for, url_name):
    c = client_for("employee")
    url = reverse(url_name)
    services.weight_set_create(
        actor=ACTOR,
        scope=None,
        data=services.WeightSetData(
            name="起始",
            method="ahp",
            items=[
                services.WeightItemData(latest("XL-01").pk, 0.5),
                services.WeightItemData(latest("XL-02").pk, 0.5),
            ],
        ),
    )
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    for k in range(30):
        ind = services.indicator_create(
            actor=ACTOR,
            scope=None,
            data=services.IndicatorData(
                code=f"Q-{k:02d}",
                name=f"查询{k}",
                category="conduct",
                rule={"kind": "bars"},
                bars_levels=[
                    services.BarsLevelData(2, "二", "按时提交台账。", Decimal(100)),
                    services.BarsLevelData(1, "一", "逾期提交台账。", Decimal(50)),
                ],
            ),
        )
        if k % 10 == 0:
            services.weight_set_create(
                actor=ACTOR,
                scope=None,
                data=services.WeightSetData(
                    name=f"权重{k}",
                    method="ahp",
                    items=[
                        services.WeightItemData(ind.pk, 0.5),
                        services.WeightItemData(latest("XL-01").pk, 0.5),
                    ],
                ),
            )
    with CaptureQueriesContext(connection) as large:
        c.get(url)
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


@pytest.mark.parametrize("kind", ["xlsx", "indicators", "levels"])
def test_library_export_queries_do_not_grow(org, tmp_path, kind):
    from jixiao.imports.indicator_export import export_indicator_csv, export_indicator_workbook

    user = org.users["employee"]

    def export() -> tuple[int, int]:
        path = tmp_path / f"library.{'xlsx' if kind == 'xlsx' else 'csv'}"
        with CaptureQueriesContext(connection) as ctx:
            if kind == "xlsx":
                count = export_indicator_workbook(path, user=user)
            else:
                count = export_indicator_csv(path, kind, user=user)
        return count, len(ctx.captured_queries)

    small_count, small_queries = export()
    for k in range(20):
        services.indicator_create(
            actor=ACTOR,
            scope=None,
            data=services.IndicatorData(
                code=f"EX-{k:02d}",
                name=f"导出{k}",
                category="conduct",
                rule={"kind": "bars"},
                bars_levels=[
                    services.BarsLevelData(2, "二", "按时提交台账。", Decimal(100)),
                    services.BarsLevelData(1, "一", "逾期提交台账。", Decimal(50)),
                ],
            ),
        )
    large_count, large_queries = export()
    assert large_count > small_count
    assert large_queries == small_queries <= 3


def test_detail_queries_do_not_grow_with_versions(org, client_for):
    ind = latest("XL-02")
    c = client_for("perfadmin")
    # In use from the start, so that registered usage checks (which only run for versions
    # without a recorded use) are skipped alike before and after.
    IndicatorUse.objects.create(indicator=ind, used_by="tests", object_id="1")
    c.get(reverse("indicators:detail", args=[ind.pk]))
    with CaptureQueriesContext(connection) as before:
        c.get(reverse("indicators:detail", args=[ind.pk]))
    current = ind
    for k in range(4):
        current = services.indicator_update(
            actor=ACTOR,
            scope=None,
            indicator_id=current.pk,
            expected_version=current.version,
            data=_renamed(current, f"第{k}版"),
        ).indicator
        IndicatorUse.objects.create(indicator=current, used_by="tests", object_id=str(k + 2))
    with CaptureQueriesContext(connection) as after:
        c.get(reverse("indicators:detail", args=[current.pk]))
    assert len(after) == len(before)


def _renamed(indicator: Indicator, name: str) -> services.IndicatorData:
    data = services.IndicatorData.of(indicator)
    data.name = name
    return data


# ------------------------------------------------------------------ create and edit


def test_create_through_the_form(org, client_for):
    c = client_for("perfadmin")
    r = c.post(reverse("indicators:create"), form_data())
    assert r.status_code == 302, r.content.decode()[:2000]
    ind = latest("XL-09")
    assert r["Location"] == reverse("indicators:detail", args=[ind.pk])
    assert ind.rule["target"] == 98 and ind.rule["direction"] == "higher"
    record = AuditRecord.objects.get(action="indicators.indicator.create", object_id=str(ind.pk))
    assert record.source == "web" and record.actor_label == "perfadmin"


def test_rejected_form_keeps_what_was_typed_and_shows_errors_by_field(org, client_for):
    c = client_for("perfadmin")
    r = c.post(
        reverse("indicators:create"),
        form_data(
            name="",
            rule_kind="bands",
            rule_json=json.dumps(
                {
                    "kind": "bands",
                    "bands": [
                        {"min": 0, "max": 10, "points": 50},
                        {"min": 12, "max": 20, "points": 80},
                    ],
                }
            ),
        ),
    )
    assert r.status_code == 200
    assert r.context["form"].errors["name"]
    assert 'value="XL-09"' in r.text and "会议管理台账" in r.text
    assert any("bands[1].min" in e for e in r.context["form"].errors["rule_json"])
    assert r.context["rule_errors"] == {"bands[1].min": r.context["rule_errors"]["bands[1].min"]}
    r = c.post(reverse("indicators:create"), form_data(rule_json="{not json"))
    assert r.status_code == 200 and r.context["form"].errors["rule_json"][0].startswith(
        ("The rule is not valid JSON", "计分规则不是有效的 JSON")
    )
    r = c.post(reverse("indicators:create"), form_data(code="XL-01"))
    assert r.context["form"].errors["code"]
    assert not Indicator.objects.filter(code="XL-09").exists()


def test_bars_levels_through_the_form(org, client_for):
    c = client_for("perfadmin")
    rows = {}
    for i, (level, title, points) in enumerate(
        [(3, "三级", "100"), (2, "二级", "70"), (1, "一级", "40")]
    ):
        rows.update(
            {
                f"bars-{i}-level": str(level),
                f"bars-{i}-title": title,
                f"bars-{i}-description": f"每月按时提交台账 {level} 次以上。",
                f"bars-{i}-points": points,
            }
        )
    rows["bars-3-title"] = "缺描述"
    r = c.post(
        reverse("indicators:create"),
        form_data(code="DN-09", category="conduct", rule_kind="bars", rule_json="{}", **rows),
    )
    assert r.status_code == 200
    assert r.context["formset"].forms[3].errors
    rows.pop("bars-3-title")
    r = c.post(
        reverse("indicators:create"),
        form_data(code="DN-09", category="conduct", rule_kind="bars", rule_json="{}", **rows),
    )
    assert r.status_code == 302
    ind = latest("DN-09")
    assert [x["points"] for x in ind.rule["levels"]] == [100, 70, 40]
    assert ind.bars_levels.count() == 3


def test_edit_in_use_creates_a_version_and_stale_form_is_refused(org, client_for):
    c = client_for("perfadmin")
    ind = latest("XL-02")
    page = c.get(reverse("indicators:edit", args=[ind.pk]))
    assert page.status_code == 200 and 'name="version"' in page.text
    IndicatorUse.objects.create(indicator=ind, used_by="goals.goal", object_id="7")
    page = c.get(reverse("indicators:edit", args=[ind.pk]))
    assert 'id="in-use-warning"' in page.text
    initial = page.context["form"].initial
    posted = {
        **form_data(),
        **{k: str(v) for k, v in initial.items() if v is not None},
        "name": "公文按时办结率（2027 版）",
        "reason": "口径调整",
    }
    posted.pop("code")
    r = c.post(reverse("indicators:edit", args=[ind.pk]), posted)
    assert r.status_code == 302
    new = latest("XL-02")
    assert new.revision == 2 and new.name == "公文按时办结率（2027 版）"
    assert Indicator.objects.get(pk=ind.pk).name == "公文按时办结率"
    # The same stale form again: not the latest any more → 409 with a message.
    r = c.post(reverse("indicators:edit", args=[ind.pk]), posted)
    assert r.status_code in (302, 409)
    if r.status_code == 302:  # redirected to the latest version's edit page
        assert r["Location"] == reverse("indicators:edit", args=[new.pk])
    # Two editors of the latest: the second gets a concurrent-edit refusal.
    page = c.get(reverse("indicators:edit", args=[new.pk]))
    posted2 = {**posted, "version": str(new.version), "name": "甲"}
    assert c.post(reverse("indicators:edit", args=[new.pk]), posted2).status_code == 302
    posted2["name"] = "乙"
    r = c.post(reverse("indicators:edit", args=[new.pk]), posted2)
    assert r.status_code == 409
    assert latest("XL-02").name == "甲"


def test_lock_and_deactivate_through_pages(org, client_for):
    c = client_for("perfadmin")
    ind = latest("XL-03")
    r = c.post(reverse("indicators:lock", args=[ind.pk]), {"reason": "2027 年度方案定版"})
    assert r.status_code == 302
    assert IndicatorUse.objects.filter(indicator=ind, used_by="indicators.lock").exists()
    r = c.get(reverse("indicators:detail", args=[ind.pk]))
    assert 'id="locked-badge"' in r.text and 'id="lock-indicator"' not in r.text
    r = c.post(
        reverse("indicators:set_active", args=[ind.pk]), {"active": "", "reason": "不再使用"}
    )
    assert r.status_code == 302 and not latest("XL-03").is_active
    r = client_for("employee").get(reverse("indicators:list"), {"active": "0"})
    assert [i.code for i in r.context["page_obj"]] == ["XL-03"]


def test_earlier_version_page_points_to_the_latest(org, client_for):
    ind = latest("FW-01")
    IndicatorUse.objects.create(indicator=ind, used_by="tests", object_id="1")
    new = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=ind.pk,
        expected_version=1,
        data=_renamed(ind, "满意度"),
    ).indicator
    r = client_for("employee").get(reverse("indicators:detail", args=[ind.pk]))
    assert (
        'id="earlier-version"' in r.text and reverse("indicators:detail", args=[new.pk]) in r.text
    )
    r = client_for("perfadmin").get(reverse("indicators:edit", args=[ind.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("indicators:edit", args=[new.pk])


# ------------------------------------------------------------------ live preview


def test_preview_scores_the_sample_and_draws_the_curve(org, client_for):
    c = client_for("employee")
    r = c.post(
        reverse("indicators:preview"),
        {
            "rule_kind": "piecewise",
            "rule_json": json.dumps({"threshold": 80, "target": 95, "stretch": 100}),
            "direction": "higher",
            "sample_actual": "87.5",
            "preview_inputs": "actual",
        },
    )
    assert r.status_code == 200
    assert r.context["result"].score == 80.0
    chart = r.context["chart"]
    assert chart["axis"] == "actual" and len(chart["x"]) == 101 and len(chart["y"]) == 101
    assert 'id="preview-chart-data"' in r.text and 'id="preview-score"' in r.text
    assert 'hx-swap-oob="true"' not in r.text  # the sample boxes stay while typing
    # A rule with other inputs gets new sample boxes.
    r = c.post(
        reverse("indicators:preview"),
        {"rule_kind": "ratio", "rule_json": "{}", "sample_actual": "90", "sample_target": "100"},
    )
    assert r.context["result"].score == 90.0
    assert 'hx-swap-oob="true"' in r.text and 'name="sample_target"' in r.text


def test_preview_shows_rule_errors_with_their_path(org, client_for):
    r = client_for("employee").post(
        reverse("indicators:preview"),
        {"rule_kind": "ratio", "rule_json": json.dumps({"floor": 2, "cap": 1})},
    )
    assert r.status_code == 200 and 'id="preview-errors"' in r.text and "cap" in r.text
    r = client_for("employee").post(reverse("indicators:preview"), {"rule_json": "{oops"})
    assert r.context["json_error"]
    assert client_for("employee").get(reverse("indicators:preview")).status_code == 405


def test_preview_of_a_bars_rule_uses_the_typed_levels(org, client_for):
    r = client_for("perfadmin").post(
        reverse("indicators:preview"),
        {
            "rule_kind": "bars",
            "rule_json": "{}",
            "bars-TOTAL_FORMS": "2",
            "bars-0-level": "2",
            "bars-0-points": "90",
            "bars-0-title": "二",
            "bars-1-level": "1",
            "bars-1-points": "30",
            "sample_level": "1",
        },
    )
    assert r.context["result"].score == 30.0
    assert r.context["chart"]["x"] == [1.0, 2.0]


# ------------------------------------------------------------------ weighting page


def _ids(*codes: str) -> list[int]:
    return [latest(c).pk for c in codes]


def test_weighting_page_builds_the_matrix(org, client_for):
    ids = _ids("XL-01", "XL-02", "FW-01")
    r = client_for("employee").get(reverse("indicators:weights"), {"ids": ids})
    assert r.status_code == 200
    assert 'name="a_0_1"' in r.text and 'name="a_1_2"' in r.text and 'name="a_1_0"' not in r.text
    assert 'id="low-1-0"' in r.text
    assert 'id="save-weight-set"' not in r.text  # readers compute, managers save
    r = client_for("perfadmin").get(reverse("indicators:weights"), {"ids": ids})
    assert 'id="save-weight-set"' in r.text


def test_ahp_compute_gives_weights_cr_and_fills_the_lower_triangle(org, client_for):
    ids = _ids("XL-01", "XL-02", "FW-01")
    c = client_for("employee")
    r = c.post(
        reverse("indicators:weights_compute"),
        {"ids": ids, "a_0_1": "2", "a_0_2": "4", "a_1_2": "2"},
    )
    comp = r.context["computation"]
    assert comp.ahp.consistent and comp.ahp.cr == pytest.approx(0, abs=1e-9)
    assert [round(w, 4) for w in comp.ahp.weights] == [0.5714, 0.2857, 0.1429]
    assert '<span id="low-1-0" hx-swap-oob="true">1/2</span>' in r.text
    assert 'id="cr-ok"' in r.text
    r = c.post(
        reverse("indicators:weights_compute"),
        {"ids": ids, "a_0_1": "1/9", "a_0_2": "9", "a_1_2": "1/9"},
    )
    comp = r.context["computation"]
    assert not comp.ahp.consistent
    assert 'id="cr-flag"' in r.text and 'id="ahp-revise"' in r.text


def test_entropy_upload_and_combination(org, client_for):
    ids = _ids("XL-01", "XL-02", "FW-01")
    c = client_for("perfadmin")
    csv_text = "编号,XL-01,公文按时办结率,FW-01\nA,3,95,90\nB,5,99,85\nC,8,92,96\nD,4,97,88\n"
    upload = SimpleUploadedFile("data.csv", csv_text.encode("utf-8"), content_type="text/csv")
    r = c.post(reverse("indicators:weights_entropy"), {"ids": ids, "data_file": upload})
    assert r.status_code == 200 and r["HX-Trigger"] == "entropy-updated"
    assert not r.context["errors"]
    token = r.context["token"]
    assert token and 'id="entropy-token"' in r.text
    assert r.context["outcome"].cost_codes == ["XL-01"]  # handling time: lower is better
    r = c.post(
        reverse("indicators:weights_compute"),
        {
            "ids": ids,
            "a_0_1": "2",
            "a_0_2": "4",
            "a_1_2": "2",
            "entropy_token": token,
            "alpha": "0.6",
        },
    )
    comp = r.context["computation"]
    assert all(row.combined is not None for row in comp.rows)
    assert sum(row.combined for row in comp.rows) == pytest.approx(1)
    # A token for other indicators is ignored.
    r = c.post(reverse("indicators:weights_compute"), {"ids": ids[:2], "entropy_token": token})
    assert r.context["computation"].entropy is None
    # Bad data: every problem named.
    bad = SimpleUploadedFile(
        "bad.csv", "编号,XL-01,XX-99\nA,abc,1\nB,2,3\n".encode(), content_type="text/csv"
    )
    r = c.post(reverse("indicators:weights_entropy"), {"ids": ids, "data_file": bad})
    text = " ".join(r.context["errors"])
    assert "XX-99" in text and r.context["token"] == ""


def test_save_weight_set(org, client_for):
    ids = _ids("XL-01", "XL-02", "FW-01")
    c = client_for("perfadmin")
    payload = {
        "ids": ids,
        "a_0_1": "2",
        "a_0_2": "4",
        "a_1_2": "2",
        "method": "ahp",
        "name": "办公室 2027 年度权重",
        "description": "层次分析法",
    }
    assert (
        client_for("employee").post(reverse("indicators:weights_save"), payload).status_code == 403
    )
    r = c.post(reverse("indicators:weights_save"), payload)
    assert r.status_code == 302
    ws = WeightSet.objects.get(name="办公室 2027 年度权重")
    assert (
        ws.method == "ahp"
        and ws.ri_table_name == "saaty"
        and ws.consistency_ratio == pytest.approx(0, abs=1e-9)
    )
    assert [float(i.weight) for i in ws.items.order_by("position")] == [
        0.571429,
        0.285714,
        0.142857,
    ]
    assert AuditRecord.objects.filter(
        action="indicators.weight_set.create", object_id=str(ws.pk)
    ).exists()
    detail = client_for("employee").get(reverse("indicators:weight_set_detail", args=[ws.pk]))
    assert (
        detail.status_code == 200
        and "XL-01" in detail.text
        and 'id="weight-set-matrix"' in detail.text
    )
    # Inconsistent judgements are not saved; the page keeps the matrix.
    payload.update({"a_0_1": "1/9", "a_0_2": "9", "a_1_2": "1/9", "name": "不一致"})
    r = c.post(reverse("indicators:weights_save"), payload)
    assert r.status_code == 200 and not WeightSet.objects.filter(name="不一致").exists()
    assert r.context["save_form"].errors
    assert '<option value="1/9" selected>' in r.text
    # Entropy without data is refused too.
    payload.update({"a_0_1": "2", "a_0_2": "4", "a_1_2": "2", "method": "entropy"})
    r = c.post(reverse("indicators:weights_save"), payload)
    assert r.status_code == 200 and not WeightSet.objects.filter(name="不一致").exists()


MY_RI = {"省厅表": {"values": [0, 0, 0.25, 0.5], "source": "省考核办文件"}}


def test_weighting_page_offers_configured_ri_tables_and_saves_the_one_used(
    org, client_for, settings
):
    settings.JIXIAO_AHP_RI_TABLES = MY_RI
    ids = _ids("XL-01", "XL-02", "FW-01")
    c = client_for("perfadmin")
    r = c.get(reverse("indicators:weights"), {"ids": ids})
    assert '<option value="saaty"' in r.text and '<option value="extended_15"' in r.text
    assert '<option value="省厅表">省厅表 — 省考核办文件 (n ≤ 4)</option>' in r.text
    judgements = {"ids": ids, "a_0_1": "3", "a_0_2": "5", "a_1_2": "2"}
    saaty = c.post(reverse("indicators:weights_compute"), judgements).context["computation"]
    mine = c.post(
        reverse("indicators:weights_compute"), {**judgements, "ri_table": "省厅表"}
    ).context["computation"]
    assert (saaty.ahp.ri, mine.ahp.ri, mine.ahp.ri_table) == (0.58, 0.25, "省厅表")
    assert mine.ahp.cr == pytest.approx(saaty.ahp.ci / 0.25) and mine.ahp.cr > saaty.ahp.cr
    r = c.post(
        reverse("indicators:weights_save"),
        {**judgements, "ri_table": "省厅表", "method": "ahp", "name": "按省厅 RI 表"},
    )
    assert r.status_code == 302
    ws = WeightSet.objects.get(name="按省厅 RI 表")
    assert (ws.ri_table_name, ws.ri_table) == ("省厅表", [0.0, 0.0, 0.25, 0.5])
    assert ws.consistency_ratio == pytest.approx(mine.ahp.cr)
    detail = client_for("employee").get(reverse("indicators:weight_set_detail", args=[ws.pk]))
    assert "省厅表" in detail.text and "0.0, 0.0, 0.25, 0.5" in detail.text


def test_unknown_weight_set_page_is_404(org, client_for):
    for persona in ("employee", "perfadmin"):
        r = client_for(persona).get(reverse("indicators:weight_set_detail", args=[999999]))
        assert r.status_code == 404


def test_bad_ri_table_setting_is_reported_by_the_system_check(settings):
    from django.core.exceptions import ImproperlyConfigured

    from jixiao.indicators.checks import check_ri_tables
    from jixiao.indicators.weighting import ri_tables

    assert check_ri_tables() == []
    settings.JIXIAO_AHP_RI_TABLES = MY_RI
    assert list(ri_tables()) == ["saaty", "extended_15", "省厅表"]
    settings.JIXIAO_AHP_RI_TABLES = {"short": [0, 0]}
    (problem,) = check_ri_tables()
    assert problem.id == "indicators.E001" and "'short'" in problem.msg
    assert "at least 3" in problem.msg
    with pytest.raises(ImproperlyConfigured):
        ri_tables()
    settings.JIXIAO_AHP_RI_TABLES = {"saaty": [0, 0, 0.6]}
    assert "built-in" in check_ri_tables()[0].msg
    settings.JIXIAO_AHP_RI_TABLES = {"zero": {"values": [0, 0, 0]}}
    assert "greater than 0" in check_ri_tables()[0].msg
    settings.JIXIAO_AHP_RI_TABLES = [0, 0, 0.58]
    assert check_ri_tables()[0].id == "indicators.E001"


def test_entropy_template_lists_the_codes(org, client_for):
    r = client_for("employee").get(
        reverse("indicators:entropy_template"), {"ids": _ids("XL-01", "FW-02")}
    )
    assert r.status_code == 200 and "XL-01,FW-02" in r.content.decode("utf-8-sig")


# ------------------------------------------------------------------ import and export


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a file on the library import page and run the queued job (as the worker would)."""

    def run(c, name: str, content: bytes, dry_run: bool = False):
        data: dict[str, object] = {"file": SimpleUploadedFile(name, content)}
        if dry_run:
            data["dry_run"] = "on"
        with django_capture_on_commit_callbacks(execute=True):
            return c.post(reverse("imports:indicators"), data)

    return run


def _job(r) -> ImportJob:
    assert r.status_code == 302, r.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))


def test_template_has_instructions_and_both_sheets(org, client_for):
    from openpyxl import load_workbook

    r = client_for("perfadmin").get(reverse("imports:indicators_template"))
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:3] == ["说明", "指标", "行为锚定等级"]
    headers = [c.value for c in next(wb["指标"].iter_rows(max_row=1))]
    assert headers[:3] == ["编码", "名称", "类别"] and "计分规则" in headers


def test_export_then_import_changes_nothing(
    org, client_for, upload, settings, tmp_path, django_capture_on_commit_callbacks
):
    from jixiao.imports.models import ExportJob

    settings.UPLOAD_DIR = tmp_path
    c = client_for("perfadmin")
    with django_capture_on_commit_callbacks(execute=True):  # the export runs as a task
        started = c.post(reverse("imports:indicators_export"))
    export = ExportJob.objects.get(pk=int(started["Location"].rstrip("/").split("/")[-1]))
    r = c.get(reverse("imports:export_download", args=[export.pk]))
    content = b"".join(r.streaming_content)
    before = Indicator.objects.count()
    job = _job(upload(c, "library.xlsx", content))
    assert job.kind == "indicators" and job.status == "succeeded", job.errors
    assert job.summary["created"]["indicators"] == 0
    assert job.summary["updated"]["indicators"] == 0
    assert job.summary["unchanged"]["indicators"] >= 21
    assert Indicator.objects.count() == before
    page = c.get(reverse("imports:job", args=[job.pk]))
    assert page.status_code == 200 and 'id="import-summary"' in page.text
    assert client_for("employee").get(reverse("imports:job", args=[job.pk])).status_code == 404


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


HEADERS = ["编码", "名称", "类别", "方向", "数据来源", "计分规则", "考核周期", "默认权重(%)"]


def test_import_csv_creates_updates_and_versions(org, client_for, upload):
    c = client_for("perfadmin")
    IndicatorUse.objects.create(indicator=latest("XL-02"), used_by="goals.goal", object_id="3")
    rule = json.dumps({"kind": "piecewise", "threshold": 90, "target": 99})
    content = _csv(
        [
            HEADERS,
            ["XL-10", "印章使用登记完整率", "效率", "越高越好", "业务记录", rule, "季度", "5"],
            ["XL-02", "公文按时办结率", "效率", "越高越好", "业务记录", rule, "季度", "10"],
            [
                "XL-01",
                "公文办理平均时长（收文至归档）",
                "效率",
                "越低越好",
                "业务记录",
                json.dumps(latest("XL-01").rule),
                "季度",
                "12",
            ],
        ]
    )
    job = _job(upload(c, "changes.csv", content))
    assert job.status == "succeeded", job.errors
    assert job.summary["created"]["indicators"] == 1
    assert job.summary["new_versions"]["indicators"] == 1
    assert job.summary["updated"]["indicators"] == 2
    assert latest("XL-10").default_weight == Decimal("5.00")
    assert latest("XL-02").revision == 2 and latest("XL-02").rule["target"] == 99
    assert latest("XL-01").revision == 1 and latest("XL-01").default_weight == Decimal("12.00")
    records = AuditRecord.objects.filter(source="import", action__startswith="indicators.indicator")
    assert {r.action for r in records} == {
        "indicators.indicator.create",
        "indicators.indicator.update",
        "indicators.indicator.new_version",
    }
    # The same file again: nothing changes.
    job = _job(upload(c, "changes.csv", content))
    assert job.status == "succeeded" and job.summary["unchanged"]["indicators"] == 3
    assert Indicator.objects.filter(code="XL-02").count() == 2


def test_bad_file_writes_nothing_and_lists_every_bad_row(org, client_for, upload):
    c = client_for("perfadmin")
    before = Indicator.objects.count()
    good_rule = json.dumps({"kind": "ratio"})
    content = _csv(
        [
            HEADERS,
            ["XL-11", "好的一行", "效率", "越高越好", "业务记录", good_rule, "季度", "5"],
            ["XL-12", "", "效率", "越高越好", "业务记录", good_rule, "季度", "5"],
            [
                "XL-13",
                "坏规则",
                "效率",
                "越高越好",
                "业务记录",
                json.dumps(
                    {
                        "kind": "bands",
                        "bands": [
                            {"min": 0, "max": 1, "points": 1},
                            {"min": 2, "max": 3, "points": 2},
                        ],
                    }
                ),
                "季度",
                "5",
            ],
            ["XL-14", "坏类别", "效能", "越高越好", "业务记录", good_rule, "季度", "5"],
            ["XL-15", "坏 JSON", "效率", "越高越好", "业务记录", "{kind:", "季度", "5"],
            ["XL-16", "坏权重", "效率", "越高越好", "业务记录", good_rule, "季度", "150"],
            ["XL-11", "重复", "效率", "越高越好", "业务记录", good_rule, "季度", "5"],
        ]
    )
    job = _job(upload(c, "bad.csv", content))
    assert job.status == "failed"
    found = {(e["line"], e["column"], e["code"]) for e in job.errors}
    assert (3, "名称", "required") in found
    assert (4, "计分规则", "gap") in found
    assert (5, "类别", "invalid_choice") in found
    assert (6, "计分规则", "invalid_json") in found
    assert (7, "默认权重(%)", "out_of_range") in found
    assert (2, "编码", "duplicate_in_file") in found and (8, "编码", "duplicate_in_file") in found
    assert Indicator.objects.count() == before
    page = c.get(reverse("imports:job", args=[job.pk]))
    assert 'id="import-errors"' in page.text and "bands[1].min" in page.text


def test_levels_sheet_replaces_levels(org, client_for, upload):
    from openpyxl import Workbook

    c = client_for("perfadmin")
    wb = Workbook()
    ws = wb.active
    ws.title = "行为锚定等级"
    ws.append(["指标编码", "等级", "等级名称", "行为描述", "分值"])
    ws.append(["DN-03", 2, "按时", "当月公文全部在时限内办结。", 100])
    ws.append(["DN-03", 1, "逾期", "当月有 1 件以上公文超过时限。", 40])
    ws.append(["DN-77", 1, "无此指标", "——", 10])
    buffer = io.BytesIO()
    wb.save(buffer)
    job = _job(upload(c, "levels.xlsx", buffer.getvalue()))
    assert job.status == "failed"
    assert [(e["sheet"], e["line"], e["code"]) for e in job.errors] == [
        ("行为锚定等级", 4, "unknown_indicator")
    ]
    ws.delete_rows(4)
    buffer = io.BytesIO()
    wb.save(buffer)
    job = _job(upload(c, "levels.xlsx", buffer.getvalue()))
    assert job.status == "succeeded", job.errors
    qin = latest("DN-03")
    assert [b.level for b in qin.bars_levels.order_by("-level")] == [2, 1]
    assert qin.rule["levels"] == [
        {"level": 2, "points": 100.0, "label": "按时"},
        {"level": 1, "points": 40.0, "label": "逾期"},
    ]


def test_dry_run_writes_nothing(org, client_for, upload):
    c = client_for("perfadmin")
    content = _csv(
        [
            HEADERS,
            ["XL-20", "新指标", "效率", "越高越好", "业务记录", '{"kind": "ratio"}', "季度", "5"],
        ]
    )
    job = _job(upload(c, "dry.csv", content, dry_run=True))
    assert job.status == "succeeded" and job.summary["created"]["indicators"] == 1
    assert not Indicator.objects.filter(code="XL-20").exists()
