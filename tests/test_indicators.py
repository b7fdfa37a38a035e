"""The indicator library's services: the preloaded library, validation through the engine,
versioning of indicators in use, compare-and-set, audit, permissions and weight sets."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.engine.rules import rule_from_spec
from jixiao.indicators import rules, services
from jixiao.indicators.models import BarsLevel, Indicator, IndicatorUse, WeightSet
from jixiao.indicators.seed import SEED_CODES, SEED_INDICATORS
from jixiao.indicators.usage import (
    indicator_ids_in_use,
    indicator_in_use,
    register_usage_check,
    unregister_usage_check,
)
from jixiao.org.access import scope_for

ACTOR = Actor.system("test", source="cli")


def data(code: str = "T-01", **kw) -> services.IndicatorData:
    values: dict[str, Any] = {
        "code": code,
        "name": "测试指标",
        "category": "efficiency",
        "unit": "%",
        "direction": "higher",
        "rule": {"kind": "piecewise", "threshold": 80, "target": 95},
        "default_weight": Decimal("10"),
    }
    values.update(kw)
    return services.IndicatorData(**values)


def levels(n: int = 5) -> list[services.BarsLevelData]:
    return [
        services.BarsLevelData(
            k, f"第{k}级", f"第{k}级的可观察行为：每月按时提交 {k} 份台账。", Decimal(k * 20)
        )
        for k in range(n, 0, -1)
    ]


def create(code: str = "T-01", **kw) -> Indicator:
    return services.indicator_create(actor=ACTOR, scope=None, data=data(code, **kw))


def errors_of(exc: pytest.ExceptionInfo[DomainError]) -> dict[str, str]:
    return {e.field or "": e.code for e in exc.value.all_errors()}


# ------------------------------------------------------------------ the preloaded library


def test_preloaded_library_is_there_after_migrations(db):
    latest = {i.code: i for i in Indicator.objects.filter(is_latest=True)}
    assert set(SEED_CODES) <= set(latest)
    families = {
        "XL-01": "公文办理平均时长",
        "XL-02": "公文按时办结率",
        "XL-03": "办公用品单位工作量消耗",
        "FW-01": "内部客户满意度",
        "FW-02": "不满意评价占比",
        "FW-04": "投诉率",
        "MB-01": "战略目标分解覆盖率",
        "MB-02": "战略目标加权达成率",
        "MB-03": "SPI",
        "MB-04": "CPI",
        "RX-01": "按时受理率",
        "RX-02": "按时办结率",
        "RX-03": "满意率",
        "RX-04": "发回重办率",
        "RX-05": "百分制扣分",
    }
    for code, words in families.items():
        assert words in latest[code].name, code


@pytest.mark.parametrize("entry", SEED_INDICATORS, ids=lambda e: e["code"])
def test_every_seeded_rule_is_accepted_by_the_engine_unchanged(entry):
    rule = rule_from_spec(entry["rule"])
    assert rule.to_spec() == entry["rule"], "write seed rules in the engine's normalized form"
    assert rule.describe("zh")
    if entry["rule"].get("direction"):
        assert entry["rule"]["direction"] == entry["direction"]


@pytest.mark.parametrize("entry", SEED_INDICATORS, ids=lambda e: e["code"])
def test_every_seeded_indicator_passes_the_services_validation(db, entry):
    seed = next(d for d in services.seed_data() if d.code == entry["code"])
    existing = Indicator.objects.get(code=entry["code"], is_latest=True)
    assert services.validate_indicator(seed, existing=existing, known_codes=SEED_CODES) == []
    assert services.stored_content(existing) == seed.content()


GENERIC = re.compile(r"优秀|良好|较好|一般|较差|很好|不错")


def test_conduct_items_have_five_concrete_behavioural_levels(db):
    for code, dimension in (
        ("DN-01", "德"),
        ("DN-02", "能"),
        ("DN-03", "勤"),
        ("DN-04", "绩"),
        ("DN-05", "廉"),
    ):
        indicator = Indicator.objects.get(code=code, is_latest=True)
        assert indicator.name.startswith(dimension)
        assert indicator.rule["kind"] == "bars"
        found = list(BarsLevel.objects.filter(indicator=indicator).order_by("-level"))
        assert [b.level for b in found] == [5, 4, 3, 2, 1]
        assert [float(b.points) for b in found] == [x["points"] for x in indicator.rule["levels"]]
        for b in found:
            assert len(b.description) >= 40, (code, b.level)
            assert not GENERIC.search(b.description), (code, b.level, b.description)
        # Concrete: counts, time spans or named documents and acts, not adjectives.
        assert (
            sum(bool(re.search(r"\d|次|件|个月|规定|台账|值班", b.description)) for b in found) >= 4
        )


def test_jixiao_seed_indicators_runs_the_seed_command(db, capsys, monkeypatch):
    from jixiao import cli

    assert cli.plan(["seed", "indicators"]).manage == ["seed_indicators"]
    assert cli.plan(["seed", "indicators", "--update"]).manage == ["seed_indicators", "--update"]
    with pytest.raises(SystemExit):
        cli.plan(["seed", "people"])
    capsys.readouterr()
    # `jixiao seed indicators` hands the mapped command to Django's command line ...
    seen: list[list[str]] = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    assert cli.main(["seed", "indicators", "--update"]) == 0
    assert seen == [["jixiao", "seed_indicators", "--update"]]
    # ... and that command loads the library (run here without closing the test connection).
    Indicator.objects.filter(code="XL-01").delete()
    call_command(*cli.plan(["seed", "indicators"]).manage)
    assert "created 1" in capsys.readouterr().out
    assert Indicator.objects.get(code="XL-01").is_latest


def test_seed_command_is_idempotent(db, capsys):
    before = Indicator.objects.count()
    call_command("seed_indicators")
    assert "created 0" in capsys.readouterr().out
    assert Indicator.objects.count() == before
    call_command("seed_indicators", "--update")
    assert Indicator.objects.count() == before
    Indicator.objects.filter(code="XL-01").delete()
    call_command("seed_indicators")
    assert "created 1" in capsys.readouterr().out
    restored = Indicator.objects.get(code="XL-01")
    assert restored.is_latest and restored.revision == 1
    assert AuditRecord.objects.filter(
        action="indicators.indicator.seed", object_id=str(restored.pk)
    ).exists()


# ------------------------------------------------------------------ validation


def test_create_writes_one_audit_record(db):
    indicator = create()
    assert indicator.revision == 1 and indicator.is_latest and indicator.version == 1
    record = AuditRecord.objects.get(action="indicators.indicator.create")
    assert record.object_id == str(indicator.pk)
    assert record.changes["name"] == [None, "测试指标"]
    # The rule is stored in the engine's normalized form.
    assert indicator.rule == rules.normalized(
        {"kind": "piecewise", "threshold": 80, "target": 95, "direction": "higher"}
    )


def test_rule_problems_come_back_on_their_path(db):
    with pytest.raises(DomainError) as exc:
        create(
            rule={
                "kind": "bands",
                "bands": [{"min": 0, "max": 10, "points": 50}, {"min": 5, "max": 20, "points": 80}],
            }
        )
    assert errors_of(exc) == {"rule.bands[1].min": "overlap"}
    with pytest.raises(DomainError) as exc:
        create(rule={"kind": "ratio", "cap": "lots"})
    assert errors_of(exc) == {"rule.cap": "not_number"}
    with pytest.raises(DomainError) as exc:
        create(rule={})
    assert errors_of(exc) == {"rule": "required"}
    with pytest.raises(DomainError) as exc:
        create(rule={"kind": "nonsense"})
    assert "rule.kind" in errors_of(exc)


def test_every_field_is_checked_at_once(db):
    create("T-01")
    with pytest.raises(DomainError) as exc:
        services.indicator_create(
            actor=ACTOR,
            scope=None,
            data=data(
                "T-01",
                name=" ",
                category="x",
                direction="up",
                period="weekly",
                source_kind="?",
                default_weight=Decimal("120"),
            ),
        )
    assert errors_of(exc) == {
        "code": "duplicate_code",
        "name": "required",
        "category": "invalid_choice",
        "direction": "invalid_choice",
        "period": "invalid_choice",
        "source_kind": "invalid_choice",
        "default_weight": "out_of_range",
    }
    with pytest.raises(DomainError) as exc:
        create("bad code!")
    assert errors_of(exc) == {"code": "invalid_code"}


def test_rule_direction_follows_the_indicator_and_must_agree(db):
    lower = create("T-02", direction="lower", rule={"kind": "ratio"})
    assert lower.rule["direction"] == "lower"
    with pytest.raises(DomainError) as exc:
        create("T-03", direction="lower", rule={"kind": "ratio", "direction": "higher"})
    assert errors_of(exc) == {"rule.direction": "direction_mismatch"}


def test_bars_rule_takes_its_table_from_the_levels(db):
    with pytest.raises(DomainError) as exc:
        create("T-04", rule={"kind": "bars"})
    assert "bars_levels" in errors_of(exc) or "rule.levels" in errors_of(exc)
    indicator = create("T-04", rule={"kind": "bars"}, bars_levels=levels())
    assert [x["points"] for x in indicator.rule["levels"]] == [100, 80, 60, 40, 20]
    assert BarsLevel.objects.filter(indicator=indicator).count() == 5
    with pytest.raises(DomainError) as exc:
        bad = levels()
        bad[1].level = 5
        bad[2].description = ""
        create("T-05", rule={"kind": "bars"}, bars_levels=bad)
    assert errors_of(exc) == {
        "bars_levels[1].level": "duplicate_level",
        "bars_levels[2].description": "required",
    }


def test_formula_source_is_compiled_against_known_codes(db):
    create("T-06", source_kind="formula", source_detail="[XL-01]/[XL-02]")
    with pytest.raises(DomainError) as exc:
        create("T-07", source_kind="formula", source_detail="[XL-01]/[XX-99]")
    assert list(errors_of(exc)) == ["source_detail"]
    with pytest.raises(DomainError) as exc:
        create("T-08", source_kind="formula", source_detail="")
    assert errors_of(exc) == {"source_detail": "required"}


def test_a_formula_rule_with_a_misspelt_input_is_refused_on_its_field(db):
    indicator = create("T-09", rule={"kind": "formula", "expression": "[实际值]/[目标值]*100"})
    assert rule_from_spec(indicator.rule).inputs == ("actual", "target")
    with pytest.raises(DomainError) as exc:
        create("T-10", rule={"kind": "formula", "expression": "[实际值]/[目标直]*100"})
    assert errors_of(exc) == {"rule.expression": "formula_unknown_variable"}
    (problem,) = [e for e in exc.value.all_errors() if e.field == "rule.expression"]
    # 目标 and 目标值 both name the target column; either is the right hint.
    assert "未知变量 [目标直]，您是否想写 [目标" in str(problem.message)
    assert not Indicator.objects.filter(code="T-10").exists()


# ------------------------------------------------------------------ versioning


def test_editing_an_unused_indicator_changes_it_in_place(db):
    indicator = create()
    outcome = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=indicator.pk,
        expected_version=1,
        data=data(name="新名称"),
        reason="更名",
    )
    assert not outcome.new_version and outcome.changed
    assert outcome.indicator.pk == indicator.pk and outcome.indicator.version == 2
    assert outcome.indicator.revision == 1
    record = AuditRecord.objects.get(action="indicators.indicator.update")
    assert record.changes == {"name": ["测试指标", "新名称"]} and record.reason == "更名"
    # Saving the same content again changes nothing and writes no record.
    same = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=indicator.pk,
        expected_version=2,
        data=data(name="新名称"),
    )
    assert not same.changed and same.indicator.version == 2
    assert AuditRecord.objects.filter(action__startswith="indicators.indicator.up").count() == 1


def test_editing_an_indicator_in_use_creates_a_new_version(db):
    indicator = create()
    services.indicator_use_add(indicator_id=indicator.pk, used_by="goals.goal", object_id="17")
    assert indicator_in_use(indicator)
    outcome = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=indicator.pk,
        expected_version=1,
        data=data(rule={"kind": "piecewise", "threshold": 85, "target": 98}),
        reason="提高目标",
    )
    assert outcome.new_version
    new = outcome.indicator
    old = Indicator.objects.get(pk=indicator.pk)
    assert new.pk != old.pk and new.code == old.code
    assert (old.revision, old.is_latest, new.revision, new.is_latest) == (1, False, 2, True)
    assert old.rule["target"] == 95 and new.rule["target"] == 98  # the user of v1 keeps it
    assert new.change_note == "提高目标"
    record = AuditRecord.objects.get(action="indicators.indicator.new_version")
    assert record.object_id == str(new.pk)
    assert record.changes["revision"] == [1, 2]
    assert record.changes["rule"][0]["target"] == 95 and record.changes["rule"][1]["target"] == 98
    # The old version cannot be edited any more.
    with pytest.raises(DomainError) as exc:
        services.indicator_update(
            actor=ACTOR, scope=None, indicator_id=old.pk, expected_version=2, data=data(name="x")
        )
    assert exc.value.code == "not_latest_version" and exc.value.status == 409
    # The new version is not in use yet: the next edit is in place.
    again = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=new.pk,
        expected_version=1,
        data=data(name="y", rule=new.rule),
    )
    assert again.indicator.pk == new.pk and not again.new_version


def test_lock_makes_edits_create_versions(db):
    indicator = create()
    services.indicator_lock(actor=ACTOR, scope=None, indicator_id=indicator.pk, reason="定版")
    services.indicator_lock(actor=ACTOR, scope=None, indicator_id=indicator.pk)
    assert AuditRecord.objects.filter(action="indicators.indicator.lock").count() == 1
    outcome = services.indicator_update(
        actor=ACTOR, scope=None, indicator_id=indicator.pk, expected_version=1, data=data(unit="件")
    )
    assert outcome.new_version and outcome.indicator.revision == 2


def test_other_apps_plug_in_their_own_usage_check(db):
    a, b = create("T-10"), create("T-11")
    assert indicator_ids_in_use([a.pk, b.pk]) == set()
    register_usage_check("tests", lambda ids: {i for i in ids if i == b.pk})
    try:
        assert indicator_ids_in_use([a.pk, b.pk]) == {b.pk}
        assert indicator_in_use(b) and not indicator_in_use(a)
    finally:
        unregister_usage_check("tests")
    assert not indicator_in_use(b)


def test_two_editors_of_the_same_version_do_not_overwrite_each_other(db):
    indicator = create()
    services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=indicator.pk,
        expected_version=1,
        data=data(name="甲的修改"),
    )
    with pytest.raises(DomainError) as exc:
        services.indicator_update(
            actor=ACTOR,
            scope=None,
            indicator_id=indicator.pk,
            expected_version=1,
            data=data(name="乙的修改"),
        )
    assert exc.value.code == "concurrent_edit" and exc.value.status == 409
    assert Indicator.objects.get(pk=indicator.pk).name == "甲的修改"


def test_concurrent_edit_of_a_version_in_use(db):
    indicator = create()
    IndicatorUse.objects.create(indicator=indicator, used_by="goals.goal", object_id="1")
    services.indicator_update(
        actor=ACTOR, scope=None, indicator_id=indicator.pk, expected_version=1, data=data(name="v2")
    )
    with pytest.raises(DomainError) as exc:
        services.indicator_update(
            actor=ACTOR,
            scope=None,
            indicator_id=indicator.pk,
            expected_version=1,
            data=data(name="v2'"),
        )
    assert exc.value.status == 409
    assert Indicator.objects.filter(code="T-01").count() == 2


def test_code_cannot_change(db):
    indicator = create()
    with pytest.raises(DomainError) as exc:
        services.indicator_update(
            actor=ACTOR,
            scope=None,
            indicator_id=indicator.pk,
            expected_version=1,
            data=data("T-99"),
        )
    assert errors_of(exc) == {"code": "code_immutable"}


def test_deactivate_and_reactivate_are_audited(db):
    indicator = create()
    services.indicator_set_active(
        actor=ACTOR, scope=None, indicator_id=indicator.pk, active=False, reason="停用"
    )
    assert not Indicator.objects.get(pk=indicator.pk).is_active
    services.indicator_set_active(actor=ACTOR, scope=None, indicator_id=indicator.pk, active=True)
    actions = list(
        AuditRecord.objects.filter(object_id=str(indicator.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "indicators.indicator.create",
        "indicators.indicator.deactivate",
        "indicators.indicator.activate",
    ]


def test_only_library_maintainers_may_write(org):
    for persona in ("employee", "head", "leader", "auditor", "outsider"):
        scope = scope_for(org.users[persona])
        with pytest.raises(DomainError) as exc:
            services.indicator_create(actor=ACTOR, scope=scope, data=data(f"P-{persona}"))
        assert exc.value.status == 403
    for persona in ("perfadmin", "sysadmin"):
        services.indicator_create(
            actor=ACTOR, scope=scope_for(org.users[persona]), data=data(f"P-{persona}")
        )


# ------------------------------------------------------------------ weight sets


def test_weight_set_is_saved_with_its_method_and_audited(db):
    a, b, c = create("W-1"), create("W-2"), create("W-3")
    ws = services.weight_set_create(
        actor=ACTOR,
        scope=None,
        data=services.WeightSetData(
            name="办公室绩效权重",
            method="ahp",
            items=[
                services.WeightItemData(a.pk, 0.5396, ahp_weight=0.5396),
                services.WeightItemData(b.pk, 0.2970, ahp_weight=0.2970),
                services.WeightItemData(c.pk, 0.1634, ahp_weight=0.1634),
            ],
            matrix=[[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.5, 1]],
            consistency_ratio=0.0079,
            ri_table_name="saaty",
            ri_table=[0, 0, 0.58],
        ),
    )
    assert sum(i.weight for i in ws.items.all()) == Decimal(1)
    record = AuditRecord.objects.get(action="indicators.weight_set.create")
    assert record.changes["weights"][1] == {"W-1": "0.539600", "W-2": "0.297000", "W-3": "0.163400"}
    assert record.changes["ri_table"] == [None, "saaty"]
    with pytest.raises(DomainError) as exc:
        services.weight_set_create(
            actor=ACTOR,
            scope=None,
            data=services.WeightSetData(
                name="办公室绩效权重",
                method="ahp",
                items=[services.WeightItemData(a.pk, 0.7), services.WeightItemData(b.pk, 0.2)],
            ),
        )
    assert errors_of(exc) == {"name": "duplicate_name", "items": "weights_sum"}
    assert WeightSet.objects.count() == 1


def test_a_saved_weight_set_keeps_its_indicator_versions(db):
    a, b, c = create("W-4"), create("W-5"), create("W-6")
    unused = create("W-7")
    weights = services.WeightSetData(
        name="科室权重",
        method="ahp",
        items=[
            services.WeightItemData(a.pk, 0.5),
            services.WeightItemData(b.pk, 0.3),
            services.WeightItemData(c.pk, 0.2),
        ],
    )
    ws = services.weight_set_create(actor=ACTOR, scope=None, data=weights)
    uses = IndicatorUse.objects.filter(used_by="indicators.weight_set")
    assert sorted(uses.values_list("indicator_id", "object_id")) == sorted(
        (x.pk, str(ws.pk)) for x in (a, b, c)
    )
    assert indicator_ids_in_use([a.pk, b.pk, c.pk, unused.pk]) == {a.pk, b.pk, c.pk}
    # Editing an indicator of the saved set creates a new version; the set keeps the old one.
    outcome = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=a.pk,
        expected_version=1,
        data=data("W-4", name="新名称"),
    )
    assert outcome.new_version and outcome.indicator.pk != a.pk
    a.refresh_from_db()
    assert a.name == "测试指标" and not a.is_latest
    assert ws.items.get(position=0).indicator_id == a.pk
    # An indicator in no set still changes in place.
    again = services.indicator_update(
        actor=ACTOR,
        scope=None,
        indicator_id=unused.pk,
        expected_version=1,
        data=data("W-7", name="新名称"),
    )
    assert not again.new_version and again.indicator.pk == unused.pk


def test_weight_set_uses_are_written_in_one_query_whatever_the_size(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def save(name: str, count: int) -> int:
        items = [create(f"{name}-{k}") for k in range(count)]
        weights = [1 / count] * count
        with CaptureQueriesContext(connection) as ctx:
            services.weight_set_create(
                actor=ACTOR,
                scope=None,
                data=services.WeightSetData(
                    name=name,
                    method="ahp",
                    items=[
                        services.WeightItemData(i.pk, w)
                        for i, w in zip(items, weights, strict=True)
                    ],
                ),
            )
        return len(ctx.captured_queries)

    assert save("Q3", 3) == save("Q12", 12)
