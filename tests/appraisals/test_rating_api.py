"""The rating API: my assignments, one with its items and my ratings, saving and submitting
through the grid's service, my personal summary; no one-time codes."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from config.api import api as ninja_api
from jixiao.appraisals import rating
from jixiao.appraisals.models import Appraisal, Assignment, AssignmentStatus, Cycle, CyclePhase


def client(org, name: str) -> Client:
    c = Client()
    c.force_login(org.users[name])
    return c


def send(c: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(c, method)(path, json.dumps(body), content_type="application/json")


def mine(cycle, appraisee, group, rater) -> Assignment:
    return Assignment.objects.get(
        cycle=cycle, appraisal__person=appraisee, group=group, rater=rater
    )


def levels(cycle, group: str, level: int) -> list[dict[str, int]]:
    return [
        {"item_id": i, "level": level}
        for i in sorted(rating.items_for_groups(cycle.scheme_id)[group])
    ]


def test_my_assignments_are_mine_only(org, cycle):
    body = client(org, "head").get("/api/appraisals/my/assignments").json()
    groups = {(a["group"], a["ratee"]["name"]) for a in body["items"]}
    assert ("superior", "李文") in groups and ("superior", "赵敏") in groups
    assert all(a["cycle_id"] == cycle.pk for a in body["items"])
    employee = client(org, "employee").get("/api/appraisals/my/assignments").json()
    assert {(a["group"], a["ratee"]["name"]) for a in employee["items"]} == {
        ("self", "李文"),
        ("peer", "赵敏"),
    }
    assert client(org, "perfadmin").get("/api/appraisals/my/assignments").json()["count"] == 0
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.CLOSED)
    assert client(org, "head").get("/api/appraisals/my/assignments").json()["count"] == 0
    assert (
        client(org, "head").get("/api/appraisals/my/assignments?open_only=false").json()["count"]
        == 3
    )  # 2 + self


def test_one_assignment_with_items_levels_and_ratings(org, cycle):
    a = mine(cycle, org.peer, "peer", org.employee)
    c = client(org, "employee")
    body = c.get(f"/api/appraisals/my/assignments/{a.pk}").json()
    assert body["anonymous"] is True and body["rating_open"] is True
    assert len(body["items"]) == 5 and body["ratings"] == []
    assert [lv["level"] for lv in body["items"][0]["levels"]] == [5, 4, 3, 2, 1]
    assert body["items"][0]["levels"][0]["description"]
    other = mine(cycle, org.employee, "peer", org.peer)
    refused = c.get(f"/api/appraisals/my/assignments/{other.pk}")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"


def test_save_a_draft_then_submit_then_nothing_more(org, cycle):
    a = mine(cycle, org.employee, "superior", org.head)
    c = client(org, "head")
    draft = send(
        c,
        "post",
        "/api/appraisals/my/ratings",
        {
            "entries": [
                {
                    "assignment_id": a.pk,
                    "version": a.version,
                    "ratings": levels(cycle, "superior", 3)[:2],
                    "comment": "草稿",
                }
            ]
        },
    )
    assert draft.status_code == 200, draft.content
    saved = draft.json()[0]
    assert saved["status"] == "draft" and saved["version"] == a.version + 1
    stale = send(
        c,
        "post",
        "/api/appraisals/my/ratings",
        {"entries": [{"assignment_id": a.pk, "version": a.version, "ratings": []}]},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    incomplete = send(
        c,
        "post",
        "/api/appraisals/my/ratings",
        {
            "submit": True,
            "entries": [
                {
                    "assignment_id": a.pk,
                    "version": saved["version"],
                    "ratings": levels(cycle, "superior", 3)[:2],
                }
            ],
        },
    )
    assert incomplete.status_code == 400 and incomplete.json()["errors"][0]["code"] == "incomplete"
    done = send(
        c,
        "post",
        "/api/appraisals/my/ratings",
        {
            "submit": True,
            "entries": [
                {
                    "assignment_id": a.pk,
                    "version": saved["version"],
                    "ratings": levels(cycle, "superior", 5),
                }
            ],
        },
    )
    assert done.status_code == 200 and done.json()[0]["status"] == "submitted"
    detail = c.get(f"/api/appraisals/my/assignments/{a.pk}").json()
    assert {r["level"] for r in detail["ratings"]} == {5}
    again = send(
        c,
        "post",
        "/api/appraisals/my/ratings",
        {
            "submit": True,
            "entries": [
                {
                    "assignment_id": a.pk,
                    "version": detail["version"],
                    "ratings": levels(cycle, "superior", 1),
                }
            ],
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "already_submitted"


def test_others_assignments_and_closed_cycles_are_refused(org, cycle):
    a = mine(cycle, org.employee, "superior", org.head)
    body = {
        "entries": [
            {"assignment_id": a.pk, "version": a.version, "ratings": levels(cycle, "superior", 4)}
        ],
        "submit": True,
    }
    refused = send(client(org, "peer"), "post", "/api/appraisals/my/ratings", body)
    assert refused.status_code == 404
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RESULTS)
    closed = send(client(org, "head"), "post", "/api/appraisals/my/ratings", body)
    assert closed.status_code == 409 and closed.json()["code"] == "rating_closed"
    a.refresh_from_db()
    assert a.status == AssignmentStatus.OPEN
    empty = send(client(org, "head"), "post", "/api/appraisals/my/ratings", {"entries": []})
    assert empty.status_code == 400


def test_my_summary_with_compare_and_set(org, cycle):
    c = client(org, "employee")
    url = f"/api/appraisals/my/appraisals/{cycle.pk}"
    body = c.get(url).json()
    assert body["summary"] == "" and body["summary_open"] is True
    saved = send(c, "put", url, {"version": body["version"], "summary": "全年工作小结"})
    assert saved.status_code == 200 and saved.json()["summary"] == "全年工作小结"
    stale = send(c, "put", url, {"version": body["version"], "summary": "旧"})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    done = send(
        c, "put", url, {"version": saved.json()["version"], "summary": "定稿", "submit": True}
    )
    assert (
        done.status_code == 200
        and done.json()["self_submitted_at"]
        and done.json()["summary_open"] is False
    )
    again = send(c, "put", url, {"version": done.json()["version"], "summary": "改"})
    assert again.status_code == 409 and again.json()["code"] == "already_submitted"
    assert Appraisal.objects.get(cycle=cycle, person=org.employee).summary == "定稿"
    assert client(org, "perfadmin").get(url).status_code == 404


def test_the_api_has_no_code_endpoints():
    paths = [p for _prefix, router in ninja_api._routers for p in router.path_operations]
    assert not [p for p in paths if "code" in p.lower() and "appraisal" in p.lower()]


def test_a_pending_nomination_is_nobodys_to_fill_in(org, cycle):
    from jixiao.appraisals import nominations
    from tests import factories as f
    from tests.appraisals.conftest import actor

    colleague = f.make_person("孙丽", org.secretariat, username="sunli", employee_no="A0009")
    user = org.users["employee"]
    target = Appraisal.objects.get(cycle=cycle, person=org.employee)
    (pending,) = nominations.nominations_create(
        actor=actor(user), user=user, appraisal_id=target.pk, person_ids=[colleague.pk]
    )
    c = Client()
    assert colleague.user is not None
    c.force_login(colleague.user)
    assert c.get(f"/api/appraisals/my/assignments/{pending.pk}").status_code == 404
    assert c.get("/api/appraisals/my/assignments").json()["count"] == 0
    body = {
        "entries": [
            {
                "assignment_id": pending.pk,
                "version": pending.version,
                "ratings": levels(cycle, "peer", 4),
            }
        ]
    }
    assert send(c, "post", "/api/appraisals/my/ratings", body).status_code == 404
