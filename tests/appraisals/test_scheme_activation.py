"""Deactivating and reactivating a scheme (考核方案): the service (every version, compare-and-set,
audit, refused while an active recurring series uses it), the scheme pages, and a deactivated
scheme refused for new cycles and series on the pages and through the API while the cycles
that use it go on."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from jixiao.appraisals import cycles, phases, schemes, scoring, series
from jixiao.appraisals.models import Cycle, CyclePhase, CycleSeries, Scheme
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests.appraisals.conftest import actor

D = datetime.date


def set_active(org, scheme: Scheme, active: bool, persona: str = "perfadmin", **kw) -> Scheme:
    user = org.users[persona]
    return schemes.scheme_set_active(
        actor=actor(user),
        user=user,
        scheme_id=scheme.pk,
        active=active,
        expected_version=kw.pop("version", Scheme.objects.get(pk=scheme.pk).version),
        **kw,
    )


def new_version(org, scheme: Scheme, description: str) -> Scheme:
    admin = org.users["perfadmin"]
    data = schemes.SchemeData.of(scheme)
    data.description = description
    return schemes.scheme_update(
        actor=actor(admin),
        user=admin,
        scheme_id=scheme.pk,
        expected_version=Scheme.objects.get(pk=scheme.pk).version,
        data=data,
    )


def make_series(org, scheme: Scheme, name: str = "季度平时考核") -> CycleSeries:
    admin = org.users["perfadmin"]
    return series.series_create(
        actor=actor(admin),
        user=admin,
        data=series.SeriesData(
            name=name,
            kind="quarterly",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            first_start=D(2099, 1, 1),
            population=cycles.Population(department_ids=[org.office.pk]),
        ),
        today=D(2098, 12, 1),
    )


def post_json(client, url: str, body: dict[str, object]):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def field_codes(error: DomainError) -> dict[str | None, str]:
    return {e.field: e.code for e in error.all_errors()}


# ---------------------------------------------------------------- the service


def test_deactivation_marks_every_version_and_is_audited(org, cycle):
    first = cycle.scheme
    second = new_version(org, first, "第二版")
    assert second.pk != first.pk
    off = set_active(org, second, False, reason="改用新方案")
    assert off.pk == second.pk and not off.is_active and off.version == second.version + 1
    assert not Scheme.objects.filter(code=first.code, is_active=True).exists()
    record = AuditRecord.objects.get(action="appraisals.scheme.deactivate")
    assert record.object_id == str(second.pk) and record.reason == "改用新方案"
    assert record.changes == {"is_active": [True, False]} and record.actor_label
    on = set_active(org, second, True)
    assert on.is_active and Scheme.objects.filter(code=first.code, is_active=True).count() == 2
    assert AuditRecord.objects.filter(action="appraisals.scheme.activate").count() == 1


def test_deactivation_is_compare_and_set_on_the_latest_version(org, cycle):
    first = cycle.scheme
    second = new_version(org, first, "第二版")
    with pytest.raises(DomainError) as old:
        set_active(org, first, False)
    assert old.value.code == "not_latest_version" and old.value.status == 409
    with pytest.raises(DomainError) as stale:
        set_active(org, second, False, version=second.version - 1)
    assert stale.value.code == "concurrent_edit" and stale.value.status == 409
    assert Scheme.objects.get(pk=second.pk).is_active
    # already in the state asked for: nothing to do, nothing recorded
    assert set_active(org, second, True).version == second.version
    assert not AuditRecord.objects.filter(action__startswith="appraisals.scheme.activ").exists()


@pytest.mark.parametrize("persona", ["leader", "auditor", "head", "employee", "outsider"])
def test_only_scheme_managers_deactivate(org, scheme, persona):
    with pytest.raises(DomainError) as refused:
        set_active(org, scheme, False, persona=persona)
    assert refused.value.status == 403
    assert set_active(org, scheme, False, persona="sysadmin").is_active is False


def test_a_new_version_of_a_deactivated_scheme_stays_deactivated(org, cycle):
    scheme = set_active(org, cycle.scheme, False)
    newer = new_version(org, scheme, "停用期间的修订")
    assert newer.pk != scheme.pk and not newer.is_active


def test_refused_while_an_active_series_uses_it(org, scheme):
    made = make_series(org, scheme)
    make_series(org, scheme, name="月度考核")
    with pytest.raises(DomainError) as refused:
        set_active(org, scheme, False)
    assert refused.value.code == "used_by_active_series" and refused.value.status == 409
    assert "季度平时考核" in str(refused.value.message) and "月度考核" in str(refused.value.message)
    admin = org.users["perfadmin"]
    for s in CycleSeries.objects.all():
        series.series_set_active(actor=actor(admin), user=admin, series_id=s.pk, active=False)
    set_active(org, scheme, False)
    # a series of a deactivated scheme cannot be switched back on: it would fail at once
    with pytest.raises(DomainError) as back:
        series.series_set_active(actor=actor(admin), user=admin, series_id=made.pk, active=True)
    assert back.value.code == "scheme_inactive" and back.value.field == "scheme"
    assert not CycleSeries.objects.get(pk=made.pk).is_active


# ---------------------------------------------------------------- cycles and series refuse it


def _cycle_data(org, scheme: Scheme) -> cycles.CycleData:
    return cycles.CycleData(
        name="新周期",
        kind="annual",
        unit_id=org.unit.pk,
        scheme_id=scheme.pk,
        start=D(2027, 1, 1),
        end=D(2027, 12, 31),
        population=cycles.Population(department_ids=[org.office.pk]),
    )


def test_a_deactivated_scheme_is_refused_for_new_cycles_and_series(org, scheme):
    set_active(org, scheme, False)
    admin = org.users["perfadmin"]
    with pytest.raises(DomainError) as cycle:
        cycles.cycle_create(actor=actor(admin), user=admin, data=_cycle_data(org, scheme))
    assert field_codes(cycle.value)["scheme"] == "scheme_inactive"
    with pytest.raises(DomainError) as recurring:
        make_series(org, scheme)
    assert field_codes(recurring.value)["scheme"] == "scheme_inactive"
    assert not Cycle.objects.exists() and not CycleSeries.objects.exists()


def test_the_cycle_and_series_forms_do_not_offer_it(org, scheme, client_for):
    other = schemes.scheme_from_preset(
        actor=actor(org.users["perfadmin"]),
        user=org.users["perfadmin"],
        preset="company",
        code="QY",
    )
    set_active(org, scheme, False)
    client = client_for("perfadmin")
    for url in ("/appraisals/cycles/new/", "/appraisals/series/new/"):
        html = client.get(url).content.decode()
        select = re.search(r'<select name="scheme".*?</select>', html, re.S)
        assert select is not None, url
        offered = re.findall(r'<option value="(\d+)"', select.group(0))
        assert offered == [str(other.pk)], url
    cycle_form = {
        "name": "2027年度考核",
        "period": "",
        "kind": "annual",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "unit": org.unit.pk,
        "scheme": scheme.pk,
        "departments": [org.office.pk],
        "unit_grade": "",
        "seed": "1",
    }
    page = client.post("/appraisals/cycles/new/", cycle_form)
    assert page.status_code == 200 and 'data-field-error="scheme"' in page.content.decode()
    series_form = {
        "name": "{period}考核",
        "kind": "quarterly",
        "unit": org.unit.pk,
        "scheme": scheme.pk,
        "first_start": "2099-01-01",
        "lead_days": "0",
        "departments": [org.office.pk],
    }
    page = client.post("/appraisals/series/new/", series_form)
    assert page.status_code == 200 and 'data-field-error="scheme"' in page.content.decode()
    assert not Cycle.objects.exists() and not CycleSeries.objects.exists()


def test_the_api_refuses_it_with_a_field_error(org, scheme, client_for):
    set_active(org, scheme, False)
    client = client_for("perfadmin")
    made = post_json(
        client,
        "/api/appraisals/cycles",
        {
            "name": "接口周期",
            "kind": "annual",
            "unit_id": org.unit.pk,
            "scheme_id": scheme.pk,
            "start": "2027-01-01",
            "end": "2027-12-31",
            "population": {"department_ids": [org.office.pk]},
        },
    )
    assert made.status_code == 400
    assert {(e["field"], e["code"]) for e in made.json()["errors"]} == {
        ("scheme", "scheme_inactive")
    }
    made = post_json(
        client,
        "/api/appraisals/series",
        {
            "name": "接口计划",
            "kind": "quarterly",
            "unit_id": org.unit.pk,
            "scheme_id": scheme.pk,
            "first_start": "2099-01-01",
            "population": {"department_ids": [org.office.pk]},
        },
    )
    assert made.status_code == 400
    assert ("scheme", "scheme_inactive") in {(e["field"], e["code"]) for e in made.json()["errors"]}


def test_the_cycles_that_use_it_go_on(org, cycle, client_for):
    set_active(org, cycle.scheme, False)
    client = client_for("perfadmin")
    assert client.get(f"/appraisals/cycles/{cycle.pk}/").status_code == 200
    assert client.get(f"/api/appraisals/cycles/{cycle.pk}").status_code == 200
    rater = client_for("head").get(f"/appraisals/rate/{cycle.pk}/superior/")
    assert rater.status_code == 200
    summary = scoring.recompute_cycle(cycle.pk)
    assert summary["appraisals"] == cycle.appraisals.count()
    admin = org.users["perfadmin"]
    moved = phases.cycle_set_phase(
        actor=actor(admin),
        user=admin,
        cycle_id=cycle.pk,
        expected_version=Cycle.objects.get(pk=cycle.pk).version,
        phase=CyclePhase.COMPUTING,
    )
    assert moved.phase == CyclePhase.COMPUTING


# ---------------------------------------------------------------- pages


def test_the_list_shows_it_under_the_inactive_filter(org, scheme, client_for):
    set_active(org, scheme, False)
    client = client_for("employee")
    default = client.get("/appraisals/schemes/").content.decode()
    assert 'data-code="GWY"' not in default
    inactive = client.get("/appraisals/schemes/?active=0").content.decode()
    assert 'data-code="GWY"' in inactive and "已停用" in inactive
    assert 'data-code="GWY"' in client.get("/appraisals/schemes/?active=").content.decode()


def test_deactivate_and_reactivate_on_the_scheme_page(org, scheme, client_for):
    client = client_for("perfadmin")
    url = f"/appraisals/schemes/{scheme.pk}/"
    html = client.get(url).content.decode()
    assert 'id="scheme-deactivate"' in html and 'id="scheme-inactive"' not in html
    assert 'id="scheme-deactivate" disabled' not in html
    off = client.post(f"{url}active/", {"active": "0", "version": 1, "reason": "不再使用"})
    assert off.status_code == 302 and off["Location"] == url
    assert not Scheme.objects.get(pk=scheme.pk).is_active
    assert AuditRecord.objects.get(action="appraisals.scheme.deactivate").reason == "不再使用"
    html = client.get(url).content.decode()
    assert 'id="scheme-inactive"' in html and 'id="scheme-activate"' in html
    assert 'id="scheme-state"' in html and "已停用" in html
    stale = client.post(f"{url}active/", {"active": "1", "version": 1}, follow=True)
    assert "其他人" in stale.content.decode() or "别人" in stale.content.decode()
    assert not Scheme.objects.get(pk=scheme.pk).is_active
    on = client.post(f"{url}active/", {"active": "1", "version": 2})
    assert on.status_code == 302 and Scheme.objects.get(pk=scheme.pk).is_active
    bad = client.post(f"{url}active/", {"active": "maybe", "version": 3})
    assert bad.status_code == 302 and Scheme.objects.get(pk=scheme.pk).version == 3
    staff = client_for("employee").get(url).content.decode()
    assert 'id="scheme-deactivate"' not in staff  # staff read it, do not change it


@pytest.mark.parametrize("persona", ["outsider", "employee", "head", "leader", "auditor"])
def test_the_page_refuses_others(org, scheme, client_for, persona):
    response = client_for(persona).post(
        f"/appraisals/schemes/{scheme.pk}/active/", {"active": "0", "version": 1}
    )
    assert response.status_code == 403 and Scheme.objects.get(pk=scheme.pk).is_active


def test_the_page_lists_the_active_series_and_keeps_the_scheme_on(org, scheme, client_for):
    made = make_series(org, scheme)
    client = client_for("perfadmin")
    url = f"/appraisals/schemes/{scheme.pk}/"
    html = client.get(url).content.decode()
    assert 'id="scheme-series"' in html and f'data-series="{made.pk}"' in html
    assert f'href="/appraisals/series/{made.pk}/"' in html and "季度平时考核" in html
    assert 'id="scheme-deactivate" disabled' in html
    assert 'id="scheme-series"' not in client_for("employee").get(url).content.decode()
    refused = client.post(f"{url}active/", {"active": "0", "version": 1}, follow=True)
    assert "季度平时考核" in refused.content.decode()
    assert Scheme.objects.get(pk=scheme.pk).is_active
    # the series cannot be switched back on once the scheme is off (the page says why)
    admin = org.users["perfadmin"]
    series.series_set_active(actor=actor(admin), user=admin, series_id=made.pk, active=False)
    assert client.post(f"{url}active/", {"active": "0", "version": 1}).status_code == 302
    back = client.post(
        f"/appraisals/series/{made.pk}/active/",
        {"active": "1", "version": CycleSeries.objects.get(pk=made.pk).version},
        follow=True,
    )
    assert "方案已停用" in back.content.decode()
    assert not CycleSeries.objects.get(pk=made.pk).is_active
