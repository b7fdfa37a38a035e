"""The goals API: the same permissions and rules as the pages, errors as JSON with codes."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from jixiao.goals.models import ChangeRequest, Goal, GoalStatus, GoalTemplate, TemplateKeyResult
from tests.goals.factories import add_kr, make_goal


def api(org, name: str) -> Client:
    c = Client()
    c.force_login(org.users[name])
    return c


def post(c: Client, path: str, body: dict[str, Any]) -> Any:
    return c.post(path, json.dumps(body), content_type="application/json")


def put(c: Client, path: str, body: dict[str, Any]) -> Any:
    return c.put(path, json.dumps(body), content_type="application/json")


GOAL = {
    "level": "person",
    "period": "2026",
    "title": "公文按时办结",
    "weight": 100,
    "due_date": "2026-12-31",
    "key_results": [{"title": "按时办结率", "target": "95", "baseline": 80}],
}


def test_create_read_update_and_list_goals(org):
    c = api(org, "employee")
    created = post(c, "/api/goals", {**GOAL, "person_id": org.employee.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"]["person"] == "李文" and body["status"] == "draft"
    assert body["key_results"][0]["target"] == "95.0000"
    goal_id, version, kr_id = body["id"], body["version"], body["key_results"][0]["id"]
    changed = put(
        c,
        f"/api/goals/{goal_id}",
        {
            **{k: v for k, v in GOAL.items() if k not in ("level", "period")},
            "version": version,
            "key_results": [{"id": kr_id, "title": "按时办结率", "target": 98}],
        },
    )
    assert changed.status_code == 200 and changed.json()["key_results"][0]["id"] == kr_id
    stale = put(c, f"/api/goals/{goal_id}", {"title": "旧版本", "weight": 100, "version": version})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    listed = c.get("/api/goals?period=2026").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == goal_id
    assert api(org, "outsider").get("/api/goals").json()["count"] == 0
    assert api(org, "outsider").get(f"/api/goals/{goal_id}").status_code == 404


def test_validation_errors_name_their_fields(org):
    c = api(org, "employee")
    bad = post(
        c,
        "/api/goals",
        {
            **GOAL,
            "person_id": org.employee.pk,
            "weight": 130,
            "key_results": [{"title": "", "target": 1, "threshold": 5}],
        },
    )
    assert bad.status_code == 400
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"weight", "key_results[0].title", "key_results[0].target"} <= fields
    assert post(c, "/api/goals", {**GOAL, "person_id": org.outsider.pk}).status_code == 400
    assert not Goal.objects.exists()
    extra = post(c, "/api/goals", {**GOAL, "person_id": org.employee.pk, "colour": "red"})
    assert extra.status_code in (400, 422)


def test_workflow_through_the_api(org):
    goal = make_goal("按时办结", person=org.employee)
    add_kr(goal, target=95)
    employee, head = api(org, "employee"), api(org, "head")
    submitted = post(employee, f"/api/goals/{goal.pk}/submit", {"version": goal.version})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    v = submitted.json()["version"]
    own = post(employee, f"/api/goals/{goal.pk}/approve", {"version": v})
    assert own.status_code == 403 and own.json()["code"] == "own_goal"
    assert (
        post(api(org, "outsider"), f"/api/goals/{goal.pk}/approve", {"version": v}).status_code
        == 404
    )
    approved = post(head, f"/api/goals/{goal.pk}/approve", {"version": v, "comment": "同意"})
    assert approved.json()["status"] == "approved"
    late = post(
        api(org, "perfadmin"), f"/api/goals/{goal.pk}/return", {"version": v, "comment": "改"}
    )
    assert late.status_code == 409 and late.json()["code"] == "status_changed"
    locked = post(head, f"/api/goals/{goal.pk}/lock", {"version": approved.json()["version"]})
    assert locked.json()["status"] == "locked"


def test_change_requests_through_the_api(org):
    goal = make_goal("按时办结", person=org.employee, status=GoalStatus.LOCKED)
    kr = add_kr(goal, target=95)
    employee, head = api(org, "employee"), api(org, "head")
    asked = post(
        employee,
        f"/api/goals/{goal.pk}/change-requests",
        {
            "title": "按时办结",
            "weight": 100,
            "due_date": "2026-12-31",
            "version": goal.version,
            "reason": "任务调整",
            "key_results": [{"id": kr.pk, "title": "结果", "target": 90}],
        },
    )
    assert asked.status_code == 201, asked.content
    cr = ChangeRequest.objects.get()
    assert employee.get(f"/api/goals/{goal.pk}/change-requests").json()[0]["id"] == cr.pk
    refused = post(employee, f"/api/goals/change-requests/{cr.pk}/approve", {"version": cr.version})
    assert refused.status_code == 403
    done = post(head, f"/api/goals/change-requests/{cr.pk}/approve", {"version": cr.version})
    assert done.status_code == 200 and done.json()["key_results"][0]["target"] == "90.0000"


def test_alignment_endpoint(org):
    unit = make_goal("全局目标", department=org.unit, level="unit")
    office = make_goal("办公室目标", department=org.office, parent=unit)
    make_goal("个人", person=org.employee, parent=office)
    tree = api(org, "head").get(f"/api/goals/alignment/{org.office.pk}?period=2026").json()
    assert tree["nodes"] == 3 and tree["roots"][0]["title"] == "全局目标"
    assert api(org, "outsider").get(f"/api/goals/alignment/{org.office.pk}").status_code == 404


def test_template_assignment_through_the_api(org):
    template = GoalTemplate.objects.create(name="文秘岗", title="公文零差错", weight=30)
    TemplateKeyResult.objects.create(template=template, title="差错", target=0, direction="lower")
    done = post(
        api(org, "perfadmin"),
        f"/api/goals/templates/{template.pk}/assign",
        {"period": "2026", "post_id": org.clerk_post.pk},
    )
    assert done.status_code == 200 and done.json() == {"created": 2, "skipped": 0}
    again = post(
        api(org, "perfadmin"),
        f"/api/goals/templates/{template.pk}/assign",
        {"period": "2026", "post_id": org.clerk_post.pk},
    )
    assert again.json() == {"created": 0, "skipped": 2}
    refused = post(
        api(org, "employee"),
        f"/api/goals/templates/{template.pk}/assign",
        {"period": "2026", "post_id": org.clerk_post.pk},
    )
    assert refused.status_code == 403
    head = post(
        api(org, "head"),
        f"/api/goals/templates/{template.pk}/assign",
        {"period": "2026", "department_id": org.service.pk},
    )
    assert head.status_code == 403


def test_indicator_actuals_fill_automatic_key_results_and_move_progress(org):
    from jixiao.indicators.models import Indicator

    indicator = Indicator.objects.filter(is_latest=True).order_by("code").first()
    assert indicator is not None
    office = make_goal("办公室目标", department=org.office)
    mine = make_goal("个人目标", person=org.employee, parent=office)
    add_kr(mine, indicator=indicator, source="indicator", target=100, baseline=0)
    manual = add_kr(mine, "手工", target=100, weight=0)
    rows = [
        {
            "indicator_code": indicator.code,
            "period": "2026",
            "employee_no": org.employee.employee_no,
            "value": 75,
        },
        {
            "indicator_code": indicator.code,
            "period": "2026",
            "department_code": org.service.code,
            "value": 1,
        },
    ]
    done = post(api(org, "perfadmin"), "/api/goals/indicator-actuals", {"rows": rows})
    assert done.status_code == 200, done.content
    assert done.json() == {"rows": 2, "key_results_updated": 1, "unmatched": [1]}
    mine.refresh_from_db()
    office.refresh_from_db()
    assert mine.progress == 0.75 and office.progress == 0.75
    manual.refresh_from_db()
    assert manual.current is None
    assert post(api(org, "head"), "/api/goals/indicator-actuals", {"rows": rows}).status_code == 403
    bad = post(
        api(org, "perfadmin"),
        "/api/goals/indicator-actuals",
        {"rows": [{**rows[0], "period": "2026年", "employee_no": "NOPE"}]},
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "rows[0].period"
