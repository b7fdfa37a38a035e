"""The goal pages, as the people who use them: forms keep what was typed, errors show next to
their fields, scope decides who sees what, and lists do not grow in queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from jixiao.goals.models import (
    ChangeRequest,
    Goal,
    GoalLevel,
    GoalStatus,
    GoalTemplate,
    StrategicObjective,
    StrategicTheme,
)
from tests.goals.factories import add_kr, make_goal


def client_for(org, name: str) -> Client:
    c = Client()
    c.force_login(org.users[name])
    return c


def kr_post(rows: list[dict[str, str]], total: int = 3) -> dict[str, str]:
    data = {
        "kr-TOTAL_FORMS": str(total),
        "kr-INITIAL_FORMS": "0",
        "kr-MIN_NUM_FORMS": "0",
        "kr-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"kr-{i}-{k}"] = v
    return data


GOAL_FIELDS = {
    "title": "公文按时办结",
    "weight": "100",
    "horizon": "output",
    "due_date": "2026-12-31",
    "progress_mode": "auto",
    "checkin_cadence": "monthly",
    "period": "2026",
}


def test_my_goals_lists_my_goals_with_their_checks(org):
    make_goal("按时办结", person=org.employee, weight=60)
    make_goal("别人的目标", person=org.peer)
    page = client_for(org, "employee").get("/goals/?period=2026")
    html = page.content.decode()
    assert page.status_code == 200
    assert "按时办结" in html and "别人的目标" not in html
    assert "data-weight-warning" in html  # 60% only
    assert 'data-code="no_measure"' in html


def test_an_employee_creates_a_goal_and_a_bad_form_keeps_what_was_typed(org):
    c = client_for(org, "employee")
    page = c.get("/goals/new/?level=person&period=2026")
    assert page.status_code == 200 and "goal-form" in page.content.decode()
    bad = c.post(
        "/goals/new/?level=person&period=2026",
        {
            **GOAL_FIELDS,
            "weight": "100",
            **kr_post(
                [
                    {
                        "title": "办结率",
                        "target": "95",
                        "threshold": "99",
                        "direction": "higher",
                        "weight": "100",
                        "source": "manual",
                    }
                ]
            ),
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "公文按时办结" in html and 'value="99"' in html
    assert "不得低于" in html or "must not be below" in html
    assert not Goal.objects.exists()
    ok = c.post(
        "/goals/new/?level=person&period=2026",
        {
            **GOAL_FIELDS,
            **kr_post(
                [
                    {
                        "title": "办结率",
                        "target": "95",
                        "baseline": "80",
                        "direction": "higher",
                        "weight": "100",
                        "source": "manual",
                    }
                ]
            ),
        },
    )
    goal = Goal.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/goals/{goal.pk}/"
    assert goal.person == org.employee and goal.key_results.get().target == Decimal(95)
    detail = c.get(f"/goals/{goal.pk}/").content.decode()
    assert "公文按时办结" in detail and "submit-goal" in detail


def test_goal_pages_answer_404_outside_scope_and_403_without_rights(org):
    goal = make_goal("个人目标", person=org.employee)
    assert client_for(org, "outsider").get(f"/goals/{goal.pk}/").status_code == 404
    assert client_for(org, "peer").get(f"/goals/{goal.pk}/").status_code == 404
    assert client_for(org, "head").get(f"/goals/{goal.pk}/").status_code == 200
    assert client_for(org, "auditor").get(f"/goals/{goal.pk}/").status_code == 200
    assert client_for(org, "auditor").get(f"/goals/{goal.pk}/edit/").status_code == 403
    assert client_for(org, "employee").get(f"/goals/{goal.pk}/edit/").status_code == 200
    assert client_for(org, "outsider").post(f"/goals/{goal.pk}/submit/").status_code == 404


def test_the_head_approves_from_the_page_and_a_stale_page_gets_a_message(org):
    goal = make_goal("个人目标", person=org.employee, status=GoalStatus.SUBMITTED)
    add_kr(goal, target=95)
    head = client_for(org, "head")
    page = head.get(f"/goals/{goal.pk}/").content.decode()
    assert "approve-goal" in page
    done = head.post(
        f"/goals/{goal.pk}/approve/", {"version": goal.version, "comment": "同意"}, follow=True
    )
    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.APPROVED
    assert done.status_code == 200
    stale = client_for(org, "perfadmin").post(
        f"/goals/{goal.pk}/return/", {"version": goal.version, "comment": "请修改"}
    )
    assert stale.status_code == 400
    assert "已批准" in stale.content.decode() or "Approved" in stale.content.decode()


def test_returning_without_a_comment_keeps_the_form(org):
    goal = make_goal("个人目标", person=org.employee, status=GoalStatus.SUBMITTED)
    head = client_for(org, "head")
    page = head.post(f"/goals/{goal.pk}/return/", {"version": goal.version, "comment": ""})
    assert page.status_code == 400
    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.SUBMITTED


def test_change_request_page_and_decision(org):
    goal = make_goal("个人目标", person=org.employee, status=GoalStatus.LOCKED)
    kr = add_kr(goal, target=95)
    c = client_for(org, "employee")
    assert c.get(f"/goals/{goal.pk}/change/").status_code == 200
    post = {
        **{k: v for k, v in GOAL_FIELDS.items() if k != "period"},
        "title": "个人目标",
        "version": goal.version,
        "reason": "任务调整",
        **kr_post(
            [
                {
                    "id": str(kr.pk),
                    "title": "结果",
                    "target": "90",
                    "direction": "higher",
                    "weight": "100",
                    "source": "manual",
                }
            ]
        ),
    }
    assert c.post(f"/goals/{goal.pk}/change/", post).status_code == 302
    change = ChangeRequest.objects.get()
    page = client_for(org, "head").get(f"/goals/{goal.pk}/").content.decode()
    assert "approve-change" in page and "95" in page and "90" in page
    client_for(org, "head").post(
        f"/goals/changes/{change.pk}/approve/", {"version": change.version}
    )
    assert Goal.objects.get(pk=goal.pk).key_results.get().target == Decimal(90)


def test_cascade_from_a_department_goal_to_a_person(org):
    goal = make_goal("办公室目标", department=org.office, status=GoalStatus.APPROVED)
    head = client_for(org, "head")
    page = head.get(f"/goals/{goal.pk}/cascade/")
    assert page.status_code == 200
    go = head.get(f"/goals/{goal.pk}/cascade/", {"person": org.peer.pk})
    assert (
        go.status_code == 302
        and f"person={org.peer.pk}" in go["Location"]
        and f"parent={goal.pk}" in go["Location"]
    )
    form = head.get(go["Location"]).content.decode()
    assert f'<option value="{goal.pk}" selected' in form


def test_department_page_shows_goals_people_and_checks(org, django_assert_max_num_queries):
    make_goal("办公室目标", department=org.office, weight=80)
    for i in range(5):
        make_goal(f"个人{i}", person=org.employee if i % 2 else org.peer, weight=20)
    head = client_for(org, "head")
    page = head.get(f"/goals/department/{org.office.pk}/?period=2026")
    html = page.content.decode()
    assert page.status_code == 200
    assert "办公室目标" in html and "王主任" in html and "文秘科" in html
    assert 'data-weight="80.00"' in html
    assert client_for(org, "outsider").get(f"/goals/department/{org.office.pk}/").status_code == 404


def test_department_page_queries_do_not_grow_with_goals(org, django_assert_max_num_queries):
    head = client_for(org, "head")
    make_goal("办公室目标", department=org.office)
    head.get(f"/goals/department/{org.office.pk}/?period=2026")
    for i in range(20):
        make_goal(f"个人{i}", person=org.employee, weight=5)
        make_goal(f"部门{i}", department=org.office, weight=5)
    with django_assert_max_num_queries(40):
        assert head.get(f"/goals/department/{org.office.pk}/?period=2026").status_code == 200


def test_alignment_tree_page_and_json(org):
    unit = make_goal("全局目标", department=org.unit, level=GoalLevel.UNIT, progress=0.9)
    office = make_goal("办公室目标", department=org.office, parent=unit, progress=0.1)
    make_goal("个人目标", person=org.employee, parent=office)
    head = client_for(org, "head")
    page = head.get(f"/goals/tree/?department={org.office.pk}&period=2026")
    assert page.status_code == 200 and "alignment-chart" in page.content.decode()
    data = head.get(f"/goals/tree.json?department={org.office.pk}&period=2026").json()
    assert data["nodes"] == 3
    root = data["roots"][0]
    assert root["name"] == "全局目标" and root["children"][0]["children"][0]["name"] == "个人目标"
    assert (
        client_for(org, "outsider").get(f"/goals/tree.json?department={org.office.pk}").status_code
        == 404
    )


def test_tree_queries_do_not_grow_with_people(org, django_assert_max_num_queries):
    office = make_goal("办公室目标", department=org.office)
    head = client_for(org, "head")
    for i in range(30):
        make_goal(f"个人{i}", person=org.employee, parent=office, weight=3)
    with django_assert_max_num_queries(12):
        head.get(f"/goals/tree.json?department={org.office.pk}&period=2026")


def test_strategy_page_creates_default_themes_and_objectives(org):
    perfadmin = client_for(org, "perfadmin")
    page = perfadmin.get(f"/goals/strategy/?unit={org.unit.pk}")
    assert page.status_code == 200 and "default-themes" in page.content.decode()
    perfadmin.post("/goals/strategy/default-themes/", {"unit": org.unit.pk})
    assert StrategicTheme.objects.filter(unit=org.unit).count() == 5
    theme = StrategicTheme.objects.get(name="服务对象")
    bad = perfadmin.post(
        f"/goals/strategy/objectives/new/?unit={org.unit.pk}",
        {"theme": theme.pk, "title": "群众满意度提升", "start_year": "2026", "end_year": "2025"},
    )
    assert bad.status_code == 200 and "群众满意度提升" in bad.content.decode()
    perfadmin.post(
        f"/goals/strategy/objectives/new/?unit={org.unit.pk}",
        {"theme": theme.pk, "title": "群众满意度提升", "start_year": "2026", "end_year": "2030"},
    )
    assert StrategicObjective.objects.get().end_year == 2030
    employee = client_for(org, "employee")
    assert employee.get("/goals/strategy/").status_code == 200
    assert employee.get(f"/goals/strategy/objectives/new/?unit={org.unit.pk}").status_code == 403
    assert (
        employee.post("/goals/strategy/default-themes/", {"unit": org.unit.pk}).status_code == 403
    )


def test_templates_and_bulk_assignment_from_the_page(org):
    perfadmin = client_for(org, "perfadmin")
    perfadmin.post(
        "/goals/templates/new/",
        {
            "name": "文秘岗年度目标",
            "title": "公文零差错",
            "weight": "40",
            "horizon": "output",
            "period_kind": "year",
            "checkin_cadence": "monthly",
            **kr_post(
                [
                    {
                        "title": "差错件数",
                        "target": "0",
                        "direction": "lower",
                        "weight": "100",
                        "source": "manual",
                    }
                ]
            ),
        },
    )
    template = GoalTemplate.objects.get()
    page = perfadmin.post(
        f"/goals/templates/{template.pk}/assign/",
        {"period": "2026", "post": org.clerk_post.pk, "include_subdepartments": "on"},
    )
    assert page.status_code == 200 and "assign-result" in page.content.decode()
    assert set(Goal.objects.values_list("person__name", flat=True)) == {"李文", "赵敏"}
    perfadmin.post(
        f"/goals/templates/{template.pk}/assign/", {"period": "2026", "post": org.clerk_post.pk}
    )
    assert Goal.objects.count() == 2
    assert client_for(org, "employee").get("/goals/templates/").status_code == 403


def test_approvals_page_lists_what_awaits_me(org):
    waiting = make_goal("待批", person=org.employee, status=GoalStatus.SUBMITTED)
    ended = make_goal(
        "去年的", person=org.peer, status=GoalStatus.LOCKED, period="2025", progress=1.0
    )
    page = client_for(org, "head").get("/goals/approvals/").content.decode()
    assert "待批" in page and "去年的" in page
    assert "待批" not in client_for(org, "employee").get("/goals/approvals/").content.decode()
    client_for(org, "head").post(
        "/goals/approvals/close/", {"close": f"{ended.pk}:{ended.version}:achieved"}
    )
    assert Goal.objects.get(pk=ended.pk).status == GoalStatus.CLOSED
    assert waiting.status == GoalStatus.SUBMITTED


def test_evidence_upload_and_download_are_scoped(org, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    goal = make_goal("个人目标", person=org.employee, status=GoalStatus.APPROVED)
    c = client_for(org, "employee")
    c.post(
        f"/goals/{goal.pk}/evidence/",
        {"title": "会议纪要", "file": SimpleUploadedFile("纪要.txt", "内容".encode())},
    )
    evidence = goal.evidence.get()
    download = c.get(f"/goals/evidence/{evidence.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "内容".encode()  # type: ignore[attr-defined]
    assert (
        client_for(org, "outsider").get(f"/goals/evidence/{evidence.pk}/file/").status_code == 404
    )
    c.post(f"/goals/{goal.pk}/evidence/", {"title": "坏链接", "url": "ftp://x"})
    assert goal.evidence.count() == 1


@pytest.mark.parametrize(
    "path", ["/goals/", "/goals/all/", "/goals/approvals/", "/goals/tree/", "/goals/strategy/"]
)
def test_pages_open_for_every_persona(org, path):
    for name in ("sysadmin", "perfadmin", "leader", "head", "employee", "outsider", "auditor"):
        assert client_for(org, name).get(path).status_code == 200, (name, path)
