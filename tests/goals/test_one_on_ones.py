"""One-to-ones: who meets whom, the privacy of the notes (administrators included), sharing
with the performance office, compare-and-set on shared notes, action items, pages and API."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord, Notification
from jixiao.goals import one_on_ones as meetings
from jixiao.goals.models import ActionItem, MeetingStatus, OneOnOne, PrivateNote
from jixiao.org.models import Role
from tests import factories as f
from tests.conftest import Org

pytestmark = pytest.mark.django_db

SECRET = "他最近家里有事，考核时要考虑"
REPORT_SECRET = "我想申请调岗"
SHARED = "本季度重点：公文办结提速"
WHEN = timezone.make_aware(datetime.datetime(2030, 3, 2, 15, 0))


def actor_of(org: Org, persona: str) -> Actor:
    return Actor.for_user(org.users[persona], source="web")


def schedule(org: Org, *, by: str = "head", with_person=None, when=WHEN) -> OneOnOne:
    return meetings.one_on_one_create(
        actor=actor_of(org, by),
        user=org.users[by],
        with_person_id=(with_person or org.employee).pk,
        data=meetings.MeetingData(scheduled_for=when, agenda="谈谈上半年目标"),
    )


@pytest.fixture
def meeting(org: Org) -> OneOnOne:
    """王主任 ↔ 李文, with shared notes and each one's private note."""
    m = schedule(org)
    meetings.one_on_one_save_shared_notes(
        actor=actor_of(org, "head"),
        user=org.users["head"],
        meeting_id=m.pk,
        expected_version=m.version,
        text=SHARED,
    )
    meetings.private_note_save(
        actor=actor_of(org, "head"), user=org.users["head"], meeting_id=m.pk, text=SECRET
    )
    meetings.private_note_save(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        meeting_id=m.pk,
        text=REPORT_SECRET,
    )
    m.refresh_from_db()
    return m


def share(org: Org, m: OneOnOne, shared: bool = True, by: str = "employee") -> None:
    meetings.one_on_one_set_shared(
        actor=actor_of(org, by), user=org.users[by], meeting_id=m.pk, shared=shared
    )


# ---------------------------------------------------------------- who meets whom


def test_a_manager_schedules_with_a_report_and_a_report_asks_the_superior(org) -> None:
    m = schedule(org)
    assert (m.manager_id, m.report_id) == (org.head.pk, org.employee.pk)
    asked = schedule(org, by="employee", with_person=org.head)
    assert (asked.manager_id, asked.report_id) == (org.head.pk, org.employee.pk)
    # The other participant is told, with a link to the meeting.
    told = {
        (n.user.username, n.key, n.url): n.title
        for n in Notification.objects.select_related("user")
    }
    assert set(told) == {
        ("employee", f"goals.one_on_one:{m.pk}:created", f"/goals/one-on-ones/{m.pk}/"),
        ("head", f"goals.one_on_one:{asked.pk}:created", f"/goals/one-on-ones/{asked.pk}/"),
    }
    assert all("2030-03-02 15:00" in title for title in told.values())


def test_an_indirect_report_counts(org) -> None:
    intern = f.make_person(
        "小周", org.secretariat, username="intern", superior=org.employee, employee_no="A0100"
    )
    m = schedule(org, with_person=intern)
    assert (m.manager_id, m.report_id) == (org.head.pk, intern.pk)


@pytest.mark.parametrize(
    ("by", "with_name"),
    [
        ("employee", "peer"),
        ("outsider", "employee"),
        ("employee", "employee"),
        ("peer", "outsider"),
    ],
)
def test_nobody_else_can_be_met(org, by, with_name) -> None:
    with pytest.raises(DomainError) as caught:
        schedule(org, by=by, with_person=getattr(org, with_name))
    assert caught.value.code == "validation_failed"
    assert caught.value.all_errors()[0].field == "with_person"
    assert not OneOnOne.objects.exists()


def test_an_account_without_a_person_cannot_schedule(org) -> None:
    with pytest.raises(DomainError) as caught:
        schedule(org, by="perfadmin")
    assert caught.value.status == 403


def test_the_new_page_offers_reports_and_the_superior(org, client_for) -> None:
    html = client_for("employee").get("/goals/one-on-ones/new/").content.decode()
    assert f'value="{org.head.pk}"' in html and f'value="{org.peer.pk}"' not in html
    html = client_for("head").get("/goals/one-on-ones/new/").content.decode()
    assert f'value="{org.employee.pk}"' in html and f'value="{org.peer.pk}"' in html
    assert f'value="{org.outsider.pk}"' not in html
    response = client_for("head").post(
        "/goals/one-on-ones/new/",
        {"with_person": org.peer.pk, "scheduled_for": "2030-04-01T09:30", "agenda": "年中回顾"},
    )
    assert response.status_code == 302
    m = OneOnOne.objects.get(report=org.peer)
    assert timezone.localtime(m.scheduled_for).strftime("%Y-%m-%d %H:%M") == "2030-04-01 09:30"
    refused = client_for("head").post(
        "/goals/one-on-ones/new/", {"with_person": org.outsider.pk, "scheduled_for": ""}
    )
    assert refused.status_code == 200
    assert 'data-field-error="with_person"' in refused.content.decode()
    assert client_for("perfadmin").get("/goals/one-on-ones/new/").status_code == 403


# ---------------------------------------------------------------- privacy


def test_the_other_participant_never_reads_my_private_note(org, meeting, client_for) -> None:
    head_page = client_for("head").get(f"/goals/one-on-ones/{meeting.pk}/").content.decode()
    assert SECRET in head_page and REPORT_SECRET not in head_page and SHARED in head_page
    employee_page = client_for("employee").get(f"/goals/one-on-ones/{meeting.pk}/").content.decode()
    assert REPORT_SECRET in employee_page and SECRET not in employee_page
    api = client_for("employee").get(f"/api/goals/one-on-ones/{meeting.pk}").json()
    assert api["private_note"] == REPORT_SECRET and api["shared_notes"] == SHARED
    own = client_for("head").get(f"/api/goals/one-on-ones/{meeting.pk}/private-note").json()
    assert own["text"] == SECRET


OUTSIDERS = ("sysadmin", "perfadmin", "leader", "auditor", "peer", "outsider")


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_everybody_else_gets_404_on_an_unshared_meeting(org, meeting, client_for, persona) -> None:
    client = client_for(persona)
    base = f"/goals/one-on-ones/{meeting.pk}"
    for path in (f"{base}/", f"{base}/edit/"):
        assert client.get(path).status_code == 404, path
    for path, body in (
        (f"{base}/notes/", {"shared_notes": "x", "version": meeting.version}),
        (f"{base}/private-note/", {"text": "x"}),
        (f"{base}/share/", {"shared": "1"}),
    ):
        assert client.post(path, body).status_code == 404, path
    api = f"/api/goals/one-on-ones/{meeting.pk}"
    assert client.get(api).status_code == 404
    assert client.get(f"{api}/private-note").status_code == 404
    put = client.put(
        f"{api}/shared-notes",
        {"version": meeting.version, "text": "x"},
        content_type="application/json",
    )
    assert put.status_code == 404
    listed = client.get("/api/goals/one-on-ones?view=shared").json()
    assert listed["count"] == 0
    assert meeting.pk not in [m["id"] for m in client.get("/api/goals/one-on-ones").json()["items"]]
    assert SHARED not in client.get("/goals/one-on-ones/").content.decode()


@pytest.mark.parametrize("persona", ["sysadmin", "perfadmin"])
def test_after_sharing_the_office_reads_shared_notes_never_private_ones(
    org, meeting, client_for, persona
) -> None:
    meetings.action_item_add(
        actor=actor_of(org, "head"),
        user=org.users["head"],
        meeting_id=meeting.pk,
        data=meetings.ActionItemData(owner_id=org.employee.pk, text="整理积压公文清单"),
    )
    share(org, meeting)
    client = client_for(persona)
    page = client.get(f"/goals/one-on-ones/{meeting.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert SHARED in html and "整理积压公文清单" in html and 'id="office-view"' in html
    assert SECRET not in html and REPORT_SECRET not in html
    assert 'id="private-notes"' not in html
    api = client.get(f"/api/goals/one-on-ones/{meeting.pk}").json()
    assert api["shared_notes"] == SHARED and api["private_note"] is None
    assert api["my_role"] == "office"
    assert SECRET not in str(api) and REPORT_SECRET not in str(api)
    assert client.get(f"/api/goals/one-on-ones/{meeting.pk}/private-note").status_code == 404
    # The office reads; it never writes.
    assert client.get(f"/goals/one-on-ones/{meeting.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/goals/one-on-ones/{meeting.pk}/notes/",
            {"shared_notes": "改", "version": meeting.version},
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/goals/one-on-ones/{meeting.pk}/private-note",
            {"text": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    listed = client.get("/api/goals/one-on-ones?view=shared").json()
    assert [m["id"] for m in listed["items"]] == [meeting.pk]
    assert "shared-with-office" in client.get("/goals/one-on-ones/").content.decode()
    # Unsharing closes it again.
    share(org, meeting, shared=False, by="head")
    assert client.get(f"/goals/one-on-ones/{meeting.pk}/").status_code == 404
    assert client.get(f"/api/goals/one-on-ones/{meeting.pk}").status_code == 404


@pytest.mark.parametrize("persona", ["leader", "auditor", "peer", "outsider"])
def test_sharing_opens_it_to_the_performance_office_only(org, meeting, client_for, persona) -> None:
    share(org, meeting)
    assert client_for(persona).get(f"/goals/one-on-ones/{meeting.pk}/").status_code == 404
    assert client_for(persona).get(f"/api/goals/one-on-ones/{meeting.pk}").status_code == 404


def test_a_performance_admin_of_another_department_does_not_read_it(org, meeting, client) -> None:
    other = f.make_user("perf_service")
    f.grant(other, Role.PERFORMANCE_ADMIN, org.service)
    share(org, meeting)
    client.force_login(other)
    assert client.get(f"/goals/one-on-ones/{meeting.pk}/").status_code == 404


def test_audit_records_never_hold_note_text(org, meeting) -> None:
    share(org, meeting)
    text = " ".join(str(r.changes) + r.object_label + r.reason for r in AuditRecord.objects.all())
    assert "goals.one_on_one.private_note" in set(
        AuditRecord.objects.values_list("action", flat=True)
    )
    for secret in (SECRET, REPORT_SECRET, SHARED, "谈谈上半年目标"):
        assert secret not in text
    assert AuditRecord.objects.filter(action="goals.one_on_one.share").count() == 1


def test_private_notes_are_one_per_author(org, meeting) -> None:
    meetings.private_note_save(
        actor=actor_of(org, "head"), user=org.users["head"], meeting_id=meeting.pk, text="改过"
    )
    assert PrivateNote.objects.filter(meeting=meeting).count() == 2
    assert PrivateNote.objects.get(meeting=meeting, author=org.head).text == "改过"


# ---------------------------------------------------------------- shared notes: compare-and-set


def test_a_concurrent_edit_of_shared_notes_is_409_and_keeps_the_text(
    org, meeting, client_for
) -> None:
    opened = meeting.version
    head = client_for("head")
    employee = client_for("employee")
    first = head.post(
        f"/goals/one-on-ones/{meeting.pk}/notes/",
        {"shared_notes": "主任补充：下月起周报", "version": opened},
    )
    assert first.status_code == 302
    second = employee.post(
        f"/goals/one-on-ones/{meeting.pk}/notes/",
        {"shared_notes": "李文补充：需要培训", "version": opened},
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "李文补充：需要培训" in html  # the typed text is kept in the form
    assert 'id="saved-notes"' in html and "主任补充：下月起周报" in html
    assert 'id="notes-conflict"' in html
    meeting.refresh_from_db()
    assert meeting.shared_notes == "主任补充：下月起周报"
    # The form now carries the saved version: saving again is a deliberate choice.
    assert f'name="version" value="{meeting.version}"' in html
    again = employee.post(
        f"/goals/one-on-ones/{meeting.pk}/notes/",
        {"shared_notes": "主任补充：下月起周报\n李文补充：需要培训", "version": meeting.version},
    )
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert "李文补充" in meeting.shared_notes and "主任补充" in meeting.shared_notes


def test_the_api_refuses_a_stale_version_too(org, meeting, client_for) -> None:
    url = f"/api/goals/one-on-ones/{meeting.pk}/shared-notes"
    ok = client_for("head").put(
        url, {"version": meeting.version, "text": "A"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["version"] == meeting.version + 1
    stale = client_for("employee").put(
        url, {"version": meeting.version, "text": "B"}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    meeting.refresh_from_db()
    assert meeting.shared_notes == "A"


def test_editing_the_meeting_uses_the_same_version(org, meeting, client_for) -> None:
    head = client_for("head")
    response = head.post(
        f"/goals/one-on-ones/{meeting.pk}/edit/",
        {
            "scheduled_for": "2030-03-03T10:00",
            "status": MeetingStatus.HELD,
            "agenda": "改期后议程",
            "version": meeting.version,
        },
    )
    assert response.status_code == 302
    stale = client_for("employee").post(
        f"/goals/one-on-ones/{meeting.pk}/edit/",
        {
            "scheduled_for": "2030-03-04T10:00",
            "status": MeetingStatus.CANCELLED,
            "agenda": "我的议程",
            "version": meeting.version,
        },
    )
    assert stale.status_code == 409
    assert "我的议程" in stale.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.agenda == "改期后议程"
    record = AuditRecord.objects.filter(action="goals.one_on_one.update").get()
    assert record.changes["status"] == ["scheduled", "held"]
    assert "改期后议程" not in str(record.changes)


# ---------------------------------------------------------------- action items and lists


def test_action_items(org, meeting, client_for) -> None:
    employee = client_for("employee")
    added = employee.post(
        f"/goals/one-on-ones/{meeting.pk}/actions/",
        {"text": "报名公文写作培训", "owner": org.employee.pk, "due_date": "2030-04-30"},
    )
    assert added.status_code == 302
    item = ActionItem.objects.get(meeting=meeting)
    assert item.due_date == datetime.date(2030, 4, 30)
    assert (
        employee.post(
            f"/goals/one-on-ones/{meeting.pk}/actions/{item.pk}/", {"done": "1"}
        ).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.done_at is not None
    refused = employee.post(
        f"/goals/one-on-ones/{meeting.pk}/actions/", {"text": "别人做", "owner": org.peer.pk}
    )
    assert refused.status_code == 400
    with pytest.raises(DomainError):
        meetings.action_item_add(
            actor=actor_of(org, "head"),
            user=org.users["head"],
            meeting_id=meeting.pk,
            data=meetings.ActionItemData(owner_id=org.peer.pk, text="别人做"),
        )
    api = client_for("head")
    patched = api.patch(
        f"/api/goals/one-on-ones/{meeting.pk}/action-items/{item.pk}",
        {"done": False},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["done_at"] is None
    assert (
        client_for("perfadmin")
        .delete(f"/api/goals/one-on-ones/{meeting.pk}/action-items/{item.pk}")
        .status_code
        == 404
    )
    assert (
        api.delete(f"/api/goals/one-on-ones/{meeting.pk}/action-items/{item.pk}").status_code == 204
    )
    assert not ActionItem.objects.exists()


def test_the_list_shows_upcoming_and_past(org, client_for) -> None:
    soon = schedule(org, when=timezone.now() + datetime.timedelta(days=2))
    past = schedule(org, with_person=org.peer, when=timezone.now() - datetime.timedelta(days=20))
    html = client_for("head").get("/goals/one-on-ones/").content.decode()
    upcoming_part, past_part = html.split('id="past"')
    assert f'data-meeting="{soon.pk}"' in upcoming_part
    assert f'data-meeting="{past.pk}"' in past_part
    employee = client_for("employee").get("/goals/one-on-ones/").content.decode()
    assert f'data-meeting="{soon.pk}"' in employee and f'data-meeting="{past.pk}"' not in employee


def test_api_create_and_list_mine(org, client_for) -> None:
    response = client_for("employee").post(
        "/api/goals/one-on-ones",
        {"with_person_id": org.head.pk, "scheduled_for": "2030-05-06T14:00:00+08:00"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["my_role"] == "report" and body["manager"]["id"] == org.head.pk
    assert body["private_note"] == ""
    listed = client_for("head").get("/api/goals/one-on-ones").json()
    assert [m["id"] for m in listed["items"]] == [body["id"]]
    refused = client_for("employee").post(
        "/api/goals/one-on-ones",
        {"with_person_id": org.peer.pk, "scheduled_for": "2030-05-06T14:00:00+08:00"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "with_person"
    patched = client_for("head").patch(
        f"/api/goals/one-on-ones/{body['id']}",
        {"version": body["version"], "status": "cancelled"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["status"] == "cancelled"
    shared = client_for("head").post(
        f"/api/goals/one-on-ones/{body['id']}/share",
        {"shared": True},
        content_type="application/json",
    )
    assert shared.status_code == 200 and shared.json()["shared_with_admins"] is True
    assert client_for("perfadmin").get(f"/api/goals/one-on-ones/{body['id']}").status_code == 200


def test_the_openapi_document_lists_the_communication_routes(db) -> None:
    from django.test import Client

    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {
        p: set(ops)
        for p, ops in paths.items()
        if p.startswith(("/api/goals/one-on-ones", "/api/goals/checkins"))
        or p.endswith("/checkins")
    } == {
        "/api/goals/{goal_id}/checkins": {"get", "post"},
        "/api/goals/checkins/{checkin_id}/comments": {"post"},
        "/api/goals/one-on-ones": {"get", "post"},
        "/api/goals/one-on-ones/{meeting_id}": {"get", "patch"},
        "/api/goals/one-on-ones/{meeting_id}/shared-notes": {"put"},
        "/api/goals/one-on-ones/{meeting_id}/private-note": {"get", "put"},
        "/api/goals/one-on-ones/{meeting_id}/share": {"post"},
        "/api/goals/one-on-ones/{meeting_id}/action-items": {"post"},
        "/api/goals/one-on-ones/{meeting_id}/action-items/{item_id}": {"patch", "delete"},
    }
