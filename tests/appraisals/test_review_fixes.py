"""Defects found in review: named people outside the cycle's unit or the user's scope, draft
summaries shown to others, the rating grid's and the scheme pages' wording, and department
heads' links from the cycle list."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from jixiao import engine_cli
from jixiao.appraisals import cycles, series
from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, CycleSeries
from jixiao.appraisals.pdf import form_context
from jixiao.appraisals.selectors_results import cycle_results
from jixiao.engine import periods
from jixiao.org.models import Role
from tests import factories as f
from tests.appraisals.conftest import actor
from tests.appraisals.test_pdf import pdf_text
from tests.appraisals.test_results import client, rate_the_cycle, set_phase

DRAFT = "尚未提交的述职草稿：本年度完成公文一百篇。"


def post_json(c, url: str, body: dict[str, object]):
    return c.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def stranger(org):
    """A person of another unit, whom nobody of the fixture's unit manages."""
    other = f.make_department("另一局", code="U002")
    return f.make_person("外单位人员", other, employee_no="X0001")


def _cycle_body(org, scheme, person_ids: list[int]) -> dict[str, object]:
    return {
        "name": "点名考核",
        "kind": "annual",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "start": "2026-01-01",
        "end": "2026-12-31",
        "population": {"department_ids": [org.office.pk], "person_ids": person_ids},
    }


def _person_errors(response) -> dict[str, str]:
    body = response.json()
    return {
        e["code"]: e["message"] for e in body["errors"] if e["field"] == "population.person_ids"
    }


# ---------------------------------------------------------------- 1. named people


def test_the_api_refuses_named_people_outside_the_unit(org, scheme, stranger):
    for persona in ("perfadmin", "sysadmin"):
        response = post_json(
            client(org, persona), "/api/appraisals/cycles", _cycle_body(org, scheme, [stranger.pk])
        )
        assert response.status_code == 400, (persona, response.json())
        errors = _person_errors(response)
        assert set(errors) == {"outside_unit"}, persona
        assert "不在本周期所属单位内" in errors["outside_unit"]
    response = post_json(
        client(org, "perfadmin"), "/api/appraisals/cycles", _cycle_body(org, scheme, [999999])
    )
    assert response.status_code == 400 and set(_person_errors(response)) == {"unknown_person"}
    assert not Cycle.objects.exists()
    assert not Appraisal.objects.filter(person=stranger).exists()
    # a named person of the unit outside the departments chosen is still fine
    response = post_json(
        client(org, "perfadmin"),
        "/api/appraisals/cycles",
        _cycle_body(org, scheme, [org.outsider.pk]),
    )
    assert response.status_code == 201, response.json()
    assert Appraisal.objects.filter(person=org.outsider).exists()


def test_one_error_per_bad_person(org, scheme, stranger):
    perfadmin = org.users["perfadmin"]
    data = cycles.CycleData(
        name="点名考核",
        kind="annual",
        unit_id=org.unit.pk,
        scheme_id=scheme.pk,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        population=cycles.Population(
            person_ids=[stranger.pk, org.outsider.pk, 999999, stranger.pk]
        ),
    )
    errors, _unit, _scheme = cycles.validate_cycle(perfadmin, data)
    named = [(e.field, e.code) for e in errors]
    assert named == [
        ("population.person_ids", "outside_unit"),
        ("population.person_ids", "unknown_person"),
    ]


def test_named_people_outside_the_users_scope_are_refused(org):
    """Even inside the unit: a performance administrator of 办公室 only manages its people."""
    narrow = f.make_user("office_admin")
    f.grant(narrow, Role.PERFORMANCE_ADMIN, org.office)
    errors = cycles._named_people_errors(narrow, org.unit, [org.employee.pk, org.outsider.pk])
    assert [(e.field, e.code) for e in errors] == [("population.person_ids", "outside_scope")]
    assert "不在您的管理范围内" in str(errors[0].message)
    # the system (a recurring series' scheduled run) checks the unit only
    assert cycles._named_people_errors(None, org.unit, [org.outsider.pk]) == []


def test_the_cycle_page_shows_the_error_on_the_people_field(org, scheme, stranger):
    response = client(org, "sysadmin").post(
        "/appraisals/cycles/new/",
        {
            "name": "点名考核",
            "period": "2026-Q2",
            "kind": "quarterly",
            "unit": org.unit.pk,
            "scheme": scheme.pk,
            "departments": [org.office.pk],
            "include_subdepartments": "on",
            "people": "X0001",
            "unit_grade": "",
            "seed": "7",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Cycle.objects.exists()
    assert 'data-field-error="people"' in html and "不在本周期所属单位内" in html


def test_series_refuse_named_people_outside_the_unit(org, scheme, stranger):
    body = {
        "name": "季度考核",
        "kind": "quarterly",
        "unit_id": org.unit.pk,
        "scheme_id": scheme.pk,
        "first_start": "2099-01-01",
        "population": {"department_ids": [org.office.pk], "person_ids": [stranger.pk]},
        "deadline_offsets": {"rating": 15},
        "lead_days": 3,
    }
    response = post_json(client(org, "perfadmin"), "/api/appraisals/series", body)
    assert response.status_code == 400, response.json()
    assert set(_person_errors(response)) == {"outside_unit"}
    assert not CycleSeries.objects.exists()
    # a series saved before someone moved out of the unit stops with the reason
    body["population"] = {"department_ids": [org.office.pk], "person_ids": [org.outsider.pk]}
    body["first_start"] = periods.period_start_of("quarterly", timezone.localdate()).isoformat()
    made = post_json(client(org, "perfadmin"), "/api/appraisals/series", body)
    assert made.status_code == 201, made.json()
    type(org.outsider).objects.filter(pk=org.outsider.pk).update(department=stranger.department)
    report = series.create_due_cycles(today=timezone.localdate())
    assert not report.created and report.failed
    assert "不在本周期所属单位内" in CycleSeries.objects.get().last_error


# ---------------------------------------------------------------- 2. draft summaries


@pytest.fixture
def results_shown(org, cycle):
    rated = rate_the_cycle(org, cycle)
    set_phase(rated, CyclePhase.RESULTS)
    Appraisal.objects.filter(cycle=rated, person=org.employee).update(
        summary=DRAFT, self_submitted_at=None
    )
    return rated


def test_a_draft_summary_is_shown_to_its_author_only(org, results_shown):
    a = Appraisal.objects.get(cycle=results_shown, person=org.employee)
    url = f"/appraisals/results/{a.pk}/"
    assert DRAFT in client(org, "employee").get(url).content.decode()
    for persona in ("head", "perfadmin", "leader", "sysadmin"):
        response = client(org, persona).get(url)
        assert response.status_code == 200, persona
        assert DRAFT not in response.content.decode(), persona
    Appraisal.objects.filter(pk=a.pk).update(self_submitted_at=timezone.now())
    for persona in ("head", "perfadmin"):
        assert DRAFT in client(org, persona).get(url).content.decode(), persona


def test_a_draft_summary_is_not_on_others_forms(org, results_shown):
    a = Appraisal.objects.get(cycle=results_shown, person=org.employee)
    url = f"/appraisals/results/{a.pk}/form.pdf"
    draft = DRAFT[:12]

    def text(persona: str) -> str:
        response = client(org, persona).get(url)
        assert response.status_code == 200, persona
        return pdf_text(response.content).replace(" ", "").replace("\n", "")

    assert draft in text("employee")
    assert draft not in text("head")
    # the office's ZIP of every form renders each form like this
    loaded = Appraisal.objects.select_related("cycle", "person", "department", "post").get(pk=a.pk)
    sections = list(results_shown.scheme.sections.order_by("position", "id"))
    results = cycle_results(results_shown)
    assert form_context(loaded, results, sections, with_scores=True)["summary"] == ""
    Appraisal.objects.filter(pk=a.pk).update(self_submitted_at=timezone.now())
    loaded.refresh_from_db()
    assert form_context(loaded, results, sections, with_scores=True)["summary"] == DRAFT
    assert draft in text("head")


# ---------------------------------------------------------------- 3 and 4. wording


def test_the_anonymity_notice_says_what_the_office_sees(org, cycle):
    html = client(org, "employee").get(f"/appraisals/rate/{cycle.pk}/peer/").content.decode()
    assert 'id="anonymous-note"' in html
    assert "包括考核办和系统管理员" in html and "考核办不受人数限制" in html
    assert "被考核人和考核办只能看到汇总结果，且至少" not in html


def test_the_shrinkage_is_explained_by_ratings_given(org, scheme):
    perfadmin = client(org, "perfadmin")
    form = perfadmin.get(f"/appraisals/schemes/{scheme.pk}/edit/").content.decode()
    assert "评分条数（人数 × 项目数）" in form and "评价了 n 人" not in form
    page = perfadmin.get(f"/appraisals/schemes/{scheme.pk}/").content.decode()
    assert "与该评价人的原始分按权重 n/(n + k) 加权" in page
    assert "向总体均值收缩" not in page


def test_calibrate_says_how_the_weight_is_counted(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("ratee,rater,item,score\n张三,甲,德,90\n李四,甲,德,70\n张三,乙,德,80\n")
    assert engine_cli.main(["calibrate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "评过 n 人" not in out
    assert "给出的评分条数" in out and "number of ratings the rater gave" in out


# ---------------------------------------------------------------- 5. department heads


def test_the_cycle_list_links_heads_to_their_team_results(org, cycle):
    team = f'href="/appraisals/results/cycle/{cycle.pk}/team/"'
    office = f'href="/appraisals/cycles/{cycle.pk}/"'
    html = client(org, "head").get("/appraisals/cycles/").content.decode()
    assert office not in html and team not in html  # rating phase: nothing to open yet
    assert "data-results-later" in html
    set_phase(cycle, CyclePhase.RESULTS)
    html = client(org, "head").get("/appraisals/cycles/").content.decode()
    assert team in html and office not in html
    assert client(org, "head").get(f"/appraisals/results/cycle/{cycle.pk}/team/").status_code == 200
    for persona in ("perfadmin", "leader", "auditor", "sysadmin"):
        html = client(org, persona).get("/appraisals/cycles/").content.decode()
        assert office in html and team not in html, persona


def test_a_head_without_people_in_the_cycle_gets_no_link(org, scheme):
    perfadmin = org.users["perfadmin"]
    made = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="政务服务科考核",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.service.pk]),
        ),
    )
    set_phase(made, CyclePhase.RESULTS)
    html = client(org, "head").get("/appraisals/cycles/").content.decode()
    assert "政务服务科考核" in html
    assert f"/appraisals/results/cycle/{made.pk}/team/" not in html
    assert f'href="/appraisals/cycles/{made.pk}/"' not in html
