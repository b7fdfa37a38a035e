"""Result pages, lists, API, KPI override and comment, and the Excel export: who sees what,
anonymity of raters everywhere, the threshold hiding, and fixed query counts."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jixiao.appraisals import codes, cycles, kpi, rating, scoring
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    Cycle,
    CyclePhase,
    KpiScore,
    ResultFile,
    ResultFileKind,
    SchemeItem,
)
from jixiao.appraisals.results_export import result_file_create, write_results_workbook
from jixiao.appraisals.selectors_results import cycle_results, grade_explanation
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from tests import factories as f
from tests.appraisals.conftest import actor

PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")
ANONYMOUS_NAMES = ("匿名甲", "匿名乙", "匿名丙")
ANONYMOUS_NUMBERS = ("R9001", "R9002", "R9003")
SECRET_COMMENTS = ("甲的匿名评语", "考核码的匿名评语")
SUPERIOR_COMMENT = "上级评语：工作扎实，文稿质量高"


def all_ratings(cycle: Cycle, group: str, level: int) -> list[rating.RatingInput]:
    rules = rating.items_for_groups(cycle.scheme_id)[group]
    return [rating.RatingInput(item_id=i, level=level) for i in rules]


def rate(cycle, appraisee, group, rater_person, user, level, comment="") -> None:
    a = Assignment.objects.get(
        cycle=cycle, appraisal__person=appraisee, group=group, rater=rater_person
    )
    rating.ratings_save(
        actor=actor(user),
        user=user,
        entries=[
            rating.AssignmentInput(a.pk, a.version, all_ratings(cycle, group, level), comment)
        ],
        submit=True,
    )


def set_phase(cycle: Cycle, phase: str) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(phase=phase)
    cycle.refresh_from_db()


@pytest.fixture
def rated(org, cycle):
    return rate_the_cycle(org, cycle)


def rate_the_cycle(org, cycle):
    """The fixture cycle rated: 李文 by her superior (with a comment), by 赵敏 and three
    raters outside the population in the anonymous peer group, and by one one-time code;
    赵敏 by her superior and 李文 only (below the peer group's minimum of 3). Computed, still in
    the rating phase."""
    perfadmin = org.users["perfadmin"]
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    raters = []
    for name, number in zip(ANONYMOUS_NAMES, ANONYMOUS_NUMBERS, strict=True):
        person = f.make_person(
            name, org.secretariat, username=f"rater_{number}", employee_no=number
        )
        cycles.assignment_add(
            actor=actor(perfadmin),
            user=perfadmin,
            appraisal_id=employee.pk,
            group="peer",
            rater_id=person.pk,
        )
        raters.append(person)
    rate(cycle, org.employee, "superior", org.head, org.users["head"], 5, SUPERIOR_COMMENT)
    rate(cycle, org.peer, "superior", org.head, org.users["head"], 3)
    rate(cycle, org.employee, "peer", org.peer, org.users["peer"], 4)
    rate(cycle, org.peer, "peer", org.employee, org.users["employee"], 3)
    for k, person in enumerate(raters):
        rate(
            cycle,
            org.employee,
            "peer",
            person,
            person.user,
            3 + k % 3,
            SECRET_COMMENTS[0] if k == 0 else "",
        )
    made = codes.code_batch_create(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        department_id=org.secretariat.pk,
        size=1,
    )
    found = codes.code_open(code=made.codes[0])
    ratees = codes.code_ratees(found)
    codes.code_submit(
        code_id=found.pk,
        entries=[
            codes.CodeRating(a.pk, all_ratings(cycle, "peer", 5), SECRET_COMMENTS[1])
            for a in ratees
        ],
    )
    scoring.recompute_cycle(cycle.pk)
    cycle.refresh_from_db()
    return cycle


def appraisal_of(cycle, person) -> Appraisal:
    return Appraisal.objects.get(cycle=cycle, person=person)


def client(org, persona: str) -> Client:
    c = Client()
    c.force_login(org.users[persona])
    return c


def text_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return str(response.content.decode(errors="replace"))


def assert_no_rater(body: str, where: str, *, comments: bool = False) -> None:
    """No anonymous rater in the body; nor their comments, unless `comments` (a result of a
    group above its minimum once rating is over: see test_anonymity_comments.py)."""
    secrets = (*ANONYMOUS_NAMES, *ANONYMOUS_NUMBERS, "rater_R900")
    for secret in (*secrets, *(() if comments else SECRET_COMMENTS)):
        assert secret not in body, f"{secret!r} appears in {where}"
    assert '"rater_id"' not in body and "code_id" not in body, where


# ---------------------------------------------------------------- anonymity


def test_no_page_export_or_endpoint_names_an_anonymous_rater(
    org, rated, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.UPLOAD_DIR = tmp_path
    employee = appraisal_of(rated, org.employee)
    peer = appraisal_of(rated, org.peer)
    urls = [
        f"/appraisals/results/{employee.pk}/",
        f"/appraisals/results/{peer.pk}/",
        f"/appraisals/results/cycle/{rated.pk}/",
        f"/appraisals/results/cycle/{rated.pk}/?sort=department",
        f"/appraisals/results/cycle/{rated.pk}/team/",
        "/appraisals/results/",
        f"/api/appraisals/results/{employee.pk}",
        f"/api/appraisals/results/{peer.pk}",
        f"/api/appraisals/cycles/{rated.pk}/results",
        f"/api/appraisals/cycles/{rated.pk}/grades",
        "/api/appraisals/my/results",
    ]
    ok: set[tuple[str, str]] = set()
    for phase in (CyclePhase.RATING, CyclePhase.RESULTS):
        set_phase(rated, phase)
        for persona in PERSONAS:
            c = client(org, persona)
            for url in urls:
                response = c.get(url)
                assert response.status_code in (200, 403, 404), (persona, url, response.status_code)
                # 李文's anonymous peers (five) may be quoted once results show; 赵敏's (two,
                # below the minimum) never, and no list, export or rating-time page ever
                comments = phase == CyclePhase.RESULTS and url in (urls[0], urls[6])
                assert_no_rater(
                    text_of(response), f"{url} as {persona} ({phase})", comments=comments
                )
                if response.status_code == 200:
                    ok.add((persona, url))
    # not vacuous: the office read everything, the appraisee and the head their part
    assert {("sysadmin", url) for url in urls} <= ok and {("perfadmin", url) for url in urls} <= ok
    assert ("employee", urls[0]) in ok and ("head", urls[4]) in ok and ("peer", urls[1]) in ok
    # the office (the system administrator included) sees the group detail, not the raters
    body = text_of(client(org, "sysadmin").get(f"/api/appraisals/results/{employee.pk}"))
    data = json.loads(body)
    conduct = next(s for s in data["result_sections"] if s["code"] == "conduct")
    peers = next(g for g in conduct["groups"] if g["group"] == "peer")
    assert peers["respondents"] == 5 and peers["used"] and not peers["hidden"]
    # the exported workbook holds no rater either
    sysadmin = org.users["sysadmin"]
    with django_capture_on_commit_callbacks(execute=True):
        job = result_file_create(
            actor=actor(sysadmin), user=sysadmin, cycle_id=rated.pk, kind=ResultFileKind.XLSX
        )
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    download = client(org, "sysadmin").get(f"/appraisals/results/files/{job.pk}/download/")
    workbook = openpyxl.load_workbook(io.BytesIO(download.getvalue()), read_only=True)
    cells = " ".join(
        str(v)
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert "李文" in cells and "赵敏" in cells
    assert_no_rater(cells, "the exported workbook")


def test_the_breakdown_and_rater_statistics_carry_no_anonymous_rater(org, rated):
    for a in Appraisal.objects.filter(cycle=rated):
        assert_no_rater(json.dumps(a.breakdown, ensure_ascii=False), "breakdown")
        assert "rater" not in json.dumps(a.breakdown)


# ---------------------------------------------------------------- what the appraisee sees


def test_the_appraisee_sees_nothing_before_results_and_everything_after(org, rated):
    employee = appraisal_of(rated, org.employee)
    c = client(org, "employee")
    before = c.get(f"/appraisals/results/{employee.pk}/")
    assert before.status_code == 200
    html = before.content.decode()
    assert 'id="results-not-shown"' in html and 'id="result-total"' not in html
    assert SUPERIOR_COMMENT not in html
    api = c.get(f"/api/appraisals/results/{employee.pk}").json()
    assert api["shown"] is False and api["total"] is None and api["suggested_grade"] == ""
    mine = c.get("/api/appraisals/my/results").json()
    assert [m["shown"] for m in mine] == [False] and mine[0]["total"] is None
    # the head reads the team's results only once they show; the office always
    assert client(org, "head").get(f"/appraisals/results/{employee.pk}/").status_code == 404
    assert client(org, "head").get(f"/appraisals/results/cycle/{rated.pk}/team/").status_code == 403
    office = client(org, "perfadmin").get(f"/appraisals/results/{employee.pk}/")
    assert office.status_code == 200 and 'id="result-total"' in office.content.decode()

    set_phase(rated, CyclePhase.RESULTS)
    after = c.get(f"/appraisals/results/{employee.pk}/").content.decode()
    assert 'id="result-total"' in after and f"{employee.total:.2f}" in after
    assert SUPERIOR_COMMENT in after and "王主任" in after  # a named group, attributed
    api = c.get(f"/api/appraisals/results/{employee.pk}").json()
    assert api["shown"] and api["total"] == pytest.approx(employee.total)
    assert api["rank_unit"] == employee.rank_unit and api["reason"]
    head = client(org, "head")
    assert head.get(f"/appraisals/results/{employee.pk}/").status_code == 200
    team = head.get(f"/appraisals/results/cycle/{rated.pk}/team/")
    assert team.status_code == 200 and "李文" in team.content.decode()
    assert "陈晨" not in team.content.decode()  # 政务服务科 is outside the head's scope
    assert head.get(f"/appraisals/results/cycle/{rated.pk}/").status_code == 403
    assert client(org, "outsider").get(f"/appraisals/results/{employee.pk}/").status_code == 404
    assert client(org, "peer").get(f"/appraisals/results/{employee.pk}/").status_code == 404


def test_a_group_below_its_minimum_shows_no_detail_to_the_appraisee(org, rated):
    set_phase(rated, CyclePhase.RESULTS)
    peer = appraisal_of(rated, org.peer)  # two peer responses (李文 and a code), minimum 3
    mine = client(org, "peer").get(f"/api/appraisals/results/{peer.pk}").json()
    groups = {g["group"]: g for s in mine["result_sections"] for g in s["groups"]}
    assert groups["peer"]["hidden"] is True
    assert (
        groups["peer"]["respondents"] is None
        and groups["peer"]["score"] is None
        and groups["peer"]["raw"] is None
    )
    assert groups["superior"]["hidden"] is False and groups["superior"]["score"] == pytest.approx(
        70.0
    )
    html = client(org, "peer").get(f"/appraisals/results/{peer.pk}/").content.decode()
    assert "data-hidden" in html
    # the office sees the group's detail whatever its size
    office = client(org, "auditor").get(f"/api/appraisals/results/{peer.pk}").json()
    groups = {g["group"]: g for s in office["result_sections"] for g in s["groups"]}
    assert groups["peer"]["hidden"] is False and groups["peer"]["respondents"] == 2
    assert groups["peer"]["used"] is False
    # above the minimum the appraisee sees it, raw and corrected
    employee = appraisal_of(rated, org.employee)
    body = client(org, "employee").get(f"/api/appraisals/results/{employee.pk}").json()
    groups = {
        g["group"]: g
        for s in body["result_sections"]
        if s["code"] == "conduct"
        for g in s["groups"]
    }
    assert groups["peer"]["respondents"] == 5 and groups["peer"]["corrected"] is True
    assert groups["peer"]["raw"] is not None and groups["peer"]["score"] is not None


def test_the_result_page_explains_sections_groups_and_the_grade(org, rated):
    employee = appraisal_of(rated, org.employee)
    html = client(org, "perfadmin").get(f"/appraisals/results/{employee.pk}/").content.decode()
    for code in ("achievement", "conduct", "democratic"):
        assert f'data-section="{code}"' in html
    assert 'data-group="peer"' in html and 'data-group="superior"' in html
    assert 'data-item="goals"' in html
    results = cycle_results(rated)
    lines = grade_explanation(employee, results)
    assert lines and f"{employee.total:.2f}" in lines[0]


# ---------------------------------------------------------------- lists


def test_the_office_list_counts_grades_against_the_quota(org, rated):
    body = client(org, "leader").get(f"/api/appraisals/cycles/{rated.pk}/grades").json()
    assert body["appraised"] == 4
    assert sum(g["people"] for g in body["grades"]) == 4
    assert body["quota"][0]["op"] == "at_most" and body["quota"][0]["population"] == body["scored"]
    page = client(org, "leader").get(f"/api/appraisals/cycles/{rated.pk}/results").json()
    assert page["count"] == 4
    totals = [r["total"] for r in page["items"]]
    scored = [t for t in totals if t is not None]
    assert scored == sorted(scored, reverse=True) and totals[: len(scored)] == scored
    html = client(org, "leader").get(f"/appraisals/results/cycle/{rated.pk}/").content.decode()
    assert 'id="grade-counts"' in html and 'id="quota-lines"' in html
    filtered = (
        client(org, "leader")
        .get(f"/api/appraisals/cycles/{rated.pk}/results", {"department_id": org.secretariat.pk})
        .json()
    )
    assert {r["name"] for r in filtered["items"]} == {"李文", "赵敏"}
    by_number = (
        client(org, "leader")
        .get(
            f"/api/appraisals/cycles/{rated.pk}/results",
            {"sort": "number", "page_size": "2", "page": "2"},
        )
        .json()
    )
    assert [r["employee_no"] for r in by_number["items"]] == ["A0003", "A0004"]


def _tied_cycle(org, scheme) -> Cycle:
    perfadmin = org.users["perfadmin"]
    people = [
        f.make_person(f"员工{i}", org.service, superior=org.outsider, employee_no=f"Q{i:03d}")
        for i in range(9)
    ]
    cycle = cycles.cycle_create(
        actor=actor(perfadmin),
        user=perfadmin,
        data=cycles.CycleData(
            name="服务科",
            kind="annual",
            unit_id=org.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[org.service.pk]),
        ),
    )
    set_phase(cycle, CyclePhase.RATING)
    for p in people:
        rate(cycle, p, "superior", org.outsider, org.users["outsider"], 5)
    scoring.recompute_cycle(cycle.pk)
    cycle.refresh_from_db()
    return cycle


def test_ties_at_the_boundary_say_how_many_share_how_many_places(org, scheme):
    cycle = _tied_cycle(org, scheme)
    results = cycle_results(cycle)
    tied = Appraisal.objects.filter(cycle=cycle, tie=True)
    assert tied.count() == 9
    one = tied.first()
    assert one is not None
    info = results.tie_of(one)
    assert info is not None
    assert (info.tied, info.places) == (9, 2)  # 20% of 9, rounded half up
    reason = " ".join(grade_explanation(one, results))
    assert "9" in reason and "2" in reason
    page = (
        client(org, "perfadmin")
        .get(f"/api/appraisals/cycles/{cycle.pk}/results", {"ties": "true"})
        .json()
    )
    assert page["count"] == 9 and {(r["tied"], r["tie_places"]) for r in page["items"]} == {(9, 2)}
    html = (
        client(org, "perfadmin")
        .get(f"/appraisals/results/cycle/{cycle.pk}/?ties=on")
        .content.decode()
    )
    assert html.count("data-tie") == 9


def test_the_result_list_takes_a_fixed_number_of_queries(org, scheme):
    perfadmin = org.users["perfadmin"]
    c = client(org, "perfadmin")

    def cycle_with(n: int) -> Cycle:
        dept = f.make_department(f"测试科{n}", org.unit)
        boss = f.make_person(f"科长{n}", dept, employee_no=f"B{n:04d}", username=f"boss{n}")
        for i in range(n):
            f.make_person(f"人员{n}-{i}", dept, superior=boss, employee_no=f"T{n:03d}{i:03d}")
        made = cycles.cycle_create(
            actor=actor(perfadmin),
            user=perfadmin,
            data=cycles.CycleData(
                name=f"周期{n}",
                kind="annual",
                unit_id=org.unit.pk,
                scheme_id=scheme.pk,
                start=datetime.date(2026, 1, 1),
                end=datetime.date(2026, 12, 31),
                population=cycles.Population(department_ids=[dept.pk]),
            ),
        )
        set_phase(made, CyclePhase.RATING)
        for p in made.appraisals.exclude(person=boss).select_related("person"):
            rate(made, p.person, "superior", boss, boss.user, 5)
        scoring.recompute_cycle(made.pk)
        assert made.appraisals.filter(tie=True).exists()  # equal scores for fewer places
        return made

    counts = []
    for n in (3, 12):
        made = cycle_with(n)
        for url in (
            f"/appraisals/results/cycle/{made.pk}/",
            f"/appraisals/results/cycle/{made.pk}/?sort=grade&grade=-",
        ):
            c.get(url)  # warm the caches of the session and the scope
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            counts.append((url.split("?")[-1] if "?" in url else "", len(ctx.captured_queries)))
    assert counts[0][1] == counts[2][1] and counts[1][1] == counts[3][1], counts
    api = []
    for made in Cycle.objects.filter(name__startswith="周期").order_by("pk"):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(f"/api/appraisals/cycles/{made.pk}/results").status_code == 200
        api.append(len(ctx.captured_queries))
    assert api[0] == api[1], api


# ---------------------------------------------------------------- KPI override and comment


def goals_item(cycle) -> SchemeItem:
    return SchemeItem.objects.get(section__scheme=cycle.scheme, code="goals")


def test_an_override_needs_a_reason_is_audited_and_rescores(org, rated):
    employee = appraisal_of(rated, org.employee)
    item = goals_item(rated)
    row = KpiScore.objects.get(appraisal=employee, item=item)
    assert row.computed is None  # no goals: the achievement section is missing
    before = employee.total
    perfadmin = org.users["perfadmin"]
    with pytest.raises(DomainError) as err:
        kpi.kpi_score_override(
            actor=actor(perfadmin),
            user=perfadmin,
            appraisal_id=employee.pk,
            item_id=item.pk,
            expected_version=row.version,
            score=80,
            reason=" ",
        )
    assert err.value.all_errors()[0].code == "reason_required"
    with pytest.raises(DomainError) as err:
        kpi.kpi_score_override(
            actor=actor(perfadmin),
            user=perfadmin,
            appraisal_id=employee.pk,
            item_id=item.pk,
            expected_version=row.version,
            score=101,
            reason="核定",
        )
    assert err.value.all_errors()[0].code == "out_of_range"
    response = client(org, "perfadmin").post(
        f"/appraisals/results/{employee.pk}/kpi/{item.pk}/override/",
        {"score": "80", "reason": "目标完成情况经核定为80分", "version": row.version},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    employee.refresh_from_db()
    assert row.override == 80 and row.overridden_by_id == perfadmin.pk and row.version == 2
    assert employee.total != before
    achievement = next(s for s in employee.breakdown["sections"] if s["code"] == "achievement")
    assert achievement["score"] == pytest.approx(80.0)
    record = AuditRecord.objects.get(action="appraisals.kpi.override")
    assert record.reason == "目标完成情况经核定为80分" and record.actor_id == perfadmin.pk
    assert record.changes["score"] == [None, 80.0] and record.changes["total"] == [
        before,
        employee.total,
    ]
    # a stale form is refused; the page shows it again with 409
    stale = client(org, "perfadmin").post(
        f"/appraisals/results/{employee.pk}/kpi/{item.pk}/override/",
        {"score": "70", "reason": "再次核定", "version": 1},
    )
    assert stale.status_code == 409
    # removing the score set by hand, through the API
    api = client(org, "perfadmin").post(
        f"/api/appraisals/results/{employee.pk}/kpi/{item.pk}/override",
        data=json.dumps({"expected_version": 2, "score": None, "reason": "撤销手工核定"}),
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["kpi"]["override"] is None and api.json()["total"] == pytest.approx(before)
    assert AuditRecord.objects.filter(action="appraisals.kpi.override_removed").exists()
    html = client(org, "perfadmin").get(f"/appraisals/results/{employee.pk}/").content.decode()
    assert "data-override-reason" not in html


def test_only_the_office_overrides_and_the_superior_only_comments(org, rated):
    employee = appraisal_of(rated, org.employee)
    item = goals_item(rated)
    row = KpiScore.objects.get(appraisal=employee, item=item)
    for persona in ("head", "leader", "auditor"):
        user = org.users[persona]
        with pytest.raises(DomainError) as err:
            kpi.kpi_score_override(
                actor=actor(user),
                user=user,
                appraisal_id=employee.pk,
                item_id=item.pk,
                expected_version=row.version,
                score=90,
                reason="我认为",
            )
        assert err.value.status == 403, persona
    api = client(org, "leader").post(
        f"/api/appraisals/results/{employee.pk}/kpi/{item.pk}/override",
        data=json.dumps({"expected_version": row.version, "score": 90, "reason": "我认为"}),
        content_type="application/json",
    )
    assert api.status_code == 403 and api.json()["code"] == "forbidden"
    # the superior comments (during rating, before results) and cannot retype the score
    head = client(org, "head")
    page = head.get(f"/appraisals/results/{employee.pk}/kpi/{item.pk}/comment/")
    assert page.status_code == 200 and 'name="score"' not in page.content.decode()
    posted = head.post(
        f"/appraisals/results/{employee.pk}/kpi/{item.pk}/comment/",
        {
            "comment": "目标偏保守，明年提高",
            "version": row.version,
            "score": "100",
            "override": "100",
        },
    )
    assert posted.status_code == 302
    row.refresh_from_db()
    assert row.comment == "目标偏保守，明年提高" and row.override is None and row.computed is None
    assert AuditRecord.objects.filter(action="appraisals.kpi.comment").exists()
    # others may not comment
    assert (
        client(org, "peer")
        .get(f"/appraisals/results/{employee.pk}/kpi/{item.pk}/comment/")
        .status_code
        == 404
    )
    assert (
        client(org, "perfadmin")
        .get(f"/appraisals/results/{employee.pk}/kpi/{item.pk}/comment/")
        .status_code
        == 403
    )
    assert (
        client(org, "employee")
        .get(f"/appraisals/results/{employee.pk}/kpi/{item.pk}/comment/")
        .status_code
        == 403
    )
    # once the cycle is closed nothing changes
    set_phase(rated, CyclePhase.CLOSED)
    perfadmin = org.users["perfadmin"]
    with pytest.raises(DomainError) as err:
        kpi.kpi_score_override(
            actor=actor(perfadmin),
            user=perfadmin,
            appraisal_id=employee.pk,
            item_id=item.pk,
            expected_version=row.version,
            score=90,
            reason="补录",
        )
    assert err.value.code == "cycle_closed"


# ---------------------------------------------------------------- the Excel export


def test_the_export_is_a_task_for_the_office_and_its_file_for_the_starter(
    org, rated, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.UPLOAD_DIR = tmp_path
    c = client(org, "auditor")
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(f"/appraisals/results/cycle/{rated.pk}/export/")
    assert response.status_code == 302
    job = ResultFile.objects.get(owner=org.users["auditor"])
    assert job.status == "succeeded" and job.total == 4 and job.percent == 100
    page = c.get(f"/appraisals/results/files/{job.pk}/").content.decode()
    assert 'id="results-file-download"' in page
    download = c.get(f"/appraisals/results/files/{job.pk}/download/")
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.getvalue()))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:5] == ["工号", "姓名", "部门", "岗位", "考核资格"]
    assert any("德、能、勤、廉" in str(h) for h in header)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    employee = appraisal_of(rated, org.employee)
    first = next(r for r in rows if r[0] == "A0002")
    assert first[1] == "李文" and first[header.index("总分")] == pytest.approx(
        round(employee.total or 0, 2)
    )
    assert first[header.index("等次理由")]
    # only the starter downloads it; other office users get 404, others 404 too
    for persona in ("perfadmin", "sysadmin", "head", "employee"):
        assert (
            client(org, persona).get(f"/appraisals/results/files/{job.pk}/download/").status_code
            == 404
        )
    # heads and staff cannot start one
    assert (
        client(org, "head").post(f"/appraisals/results/cycle/{rated.pk}/export/").status_code == 403
    )
    assert (
        client(org, "outsider").post(f"/appraisals/results/cycle/{rated.pk}/export/").status_code
        == 403
    )  # appraised in it
    nobody = Client()
    nobody.force_login(f.make_user("nobody"))
    assert nobody.post(f"/appraisals/results/cycle/{rated.pk}/export/").status_code == 404
    assert AuditRecord.objects.filter(action="appraisals.results.export").count() == 1


def test_the_workbook_writer_reports_progress(org, rated, tmp_path):
    seen = []
    path = Path(tmp_path) / "r.xlsx"
    assert write_results_workbook(path, rated, lambda done, total: seen.append((done, total))) == 4
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    quota = openpyxl.load_workbook(path).worksheets[1]
    assert any("20%" in str(row[0]) for row in quota.iter_rows(values_only=True) if row[0])
