"""One-to-one meetings (一对一沟通): permissions, selectors and services.

Privacy is the point of this module:

- a meeting is visible to its two participants only. Everybody else, system and performance
  administrators included, gets 404, in pages and in the API alike;
- either participant may share the meeting with the performance office; then the system
  administrators and the performance administrators over the report's department may read
  its agenda, shared notes and action items (never change them), until it is unshared;
- a private note is read by its author only: not the other participant, not an administrator,
  not through the API, shared or not. No query here loads another person's private note;
- audit records say that notes changed, never what they say (auditors read audit records).

Who meets whom: the manager schedules with their reports (direct or indirect); a report may
also ask their direct superior for one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.core.notifications import NotificationEntry, notify_many
from jixiao.goals.models import ActionItem, MeetingStatus, OneOnOne, PrivateNote
from jixiao.org.access import MAX_REPORTING_DEPTH, scope_for
from jixiao.org.models import Person

MAX_AGENDA = 5000
MAX_NOTES = 50_000
MAX_ACTION = 300
PRIVATE = "[private]"
CHANGED = "[changed]"

Role = Literal["manager", "report", "office"]


# ---------------------------------------------------------------- permissions


def person_id_of(user: Any) -> int | None:
    """The person of the signed-in user (None for an account without one)."""
    return scope_for(user).person_id


def is_in_line_below(manager_id: int, report_id: int) -> bool:
    """Whether `manager_id` is a direct or indirect superior of `report_id` (walks up the
    reporting line, at most MAX_REPORTING_DEPTH short queries)."""
    seen: set[int] = set()
    current: int | None = report_id
    for _level in range(MAX_REPORTING_DEPTH):
        if current is None or current in seen:
            return False
        seen.add(current)
        current = Person.objects.filter(pk=current).values_list("superior_id", flat=True).first()
        if current == manager_id:
            return True
    return False


def office_reads(user: Any, meeting: OneOnOne) -> bool:
    """Whether the performance office side of this user may read the (shared) meeting."""
    return meeting.shared_with_admins and scope_for(user).covers_path(
        meeting.report.department.path, manage=True
    )


def role_in(user: Any, meeting: OneOnOne) -> Role | None:
    person_id = person_id_of(user)
    if person_id is not None and meeting.manager_id == person_id:
        return "manager"
    if person_id is not None and meeting.report_id == person_id:
        return "report"
    if office_reads(user, meeting):
        return "office"
    return None


@dataclass(frozen=True)
class MeetingAccess:
    meeting: OneOnOne
    role: Role
    person_id: int | None

    @property
    def is_participant(self) -> bool:
        return self.role != "office"

    @property
    def other(self) -> Person:
        return self.meeting.report if self.role == "manager" else self.meeting.manager


def get_one_on_one_for_user(user: Any, pk: int, *, write: bool = False) -> MeetingAccess:
    """The meeting for a participant, or for the office when it is shared (else 404); with
    `write`, 403 to the office (it only reads)."""
    meeting = (
        OneOnOne.objects.select_related(
            "manager", "report", "report__department", "manager__department", "shared_by"
        )
        .filter(pk=pk)
        .first()
    )
    if meeting is None or user is None or not user.is_authenticated:
        raise Http404
    role = role_in(user, meeting)
    if role is None:
        raise Http404
    if write and role == "office":
        raise forbidden()
    return MeetingAccess(meeting, role, person_id_of(user))


# ---------------------------------------------------------------- selectors


def one_on_ones_of(user: Any) -> QuerySet[OneOnOne]:
    """The user's own meetings, as manager or as report."""
    person_id = person_id_of(user)
    if person_id is None:
        return OneOnOne.objects.none()
    return OneOnOne.objects.filter(Q(manager_id=person_id) | Q(report_id=person_id)).select_related(
        "manager", "report"
    )


def upcoming_and_past(
    user: Any, *, now: datetime.datetime | None = None
) -> tuple[QuerySet[OneOnOne], QuerySet[OneOnOne]]:
    """Scheduled meetings from now on (soonest first), and the rest (newest first)."""
    now = now or timezone.now()
    mine = one_on_ones_of(user)
    upcoming = Q(status=MeetingStatus.SCHEDULED, scheduled_for__gte=now)
    return (
        mine.filter(upcoming).order_by("scheduled_for", "id"),
        mine.exclude(upcoming).order_by("-scheduled_for", "-id"),
    )


def one_on_ones_shared_with_office(user: Any) -> QuerySet[OneOnOne]:
    """Meetings shared with the performance office that this user reads as part of it."""
    scope = scope_for(user)
    if not scope.can_manage_any:
        return OneOnOne.objects.none()
    qs = OneOnOne.objects.filter(shared_with_admins=True).filter(
        scope.department_q("report__department__", manage=True)
    )
    if scope.person_id is not None:
        qs = qs.exclude(Q(manager_id=scope.person_id) | Q(report_id=scope.person_id))
    return qs.select_related("manager", "report", "report__department").order_by(
        "-scheduled_for", "-id"
    )


def my_private_note(access: MeetingAccess) -> PrivateNote | None:
    """The user's own private note on the meeting; None for anyone not a participant."""
    if not access.is_participant or access.person_id is None:
        return None
    return PrivateNote.objects.filter(meeting=access.meeting, author_id=access.person_id).first()


def meeting_action_items(meeting: OneOnOne) -> list[ActionItem]:
    return list(meeting.action_items.select_related("owner").order_by("done_at", "due_date", "id"))


def counterpart_choices(user: Any) -> QuerySet[Person]:
    """Whom the user may meet: their reports (direct and indirect) and their direct superior."""
    from jixiao.org.access import subordinate_ids_of

    person_id = person_id_of(user)
    if person_id is None:
        return Person.objects.none()
    superior_id = Person.objects.filter(pk=person_id).values_list("superior_id", flat=True).first()
    reports = subordinate_ids_of(person_id)
    q = Q(pk__in=sorted(reports))
    if superior_id is not None:
        q |= Q(pk=superior_id)
    return Person.objects.filter(q, is_active=True).select_related("department")


# ---------------------------------------------------------------- services


@dataclass
class MeetingData:
    scheduled_for: datetime.datetime | None
    agenda: str = ""
    status: str = MeetingStatus.SCHEDULED


def _check_meeting(data: MeetingData) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.scheduled_for is None:
        errors.append(FieldError("scheduled_for", "required", _("Say when you will meet.")))
    if len(data.agenda) > MAX_AGENDA:
        errors.append(
            FieldError("agenda", "too_long", _("At most %(n)d characters.") % {"n": MAX_AGENDA})
        )
    if data.status not in MeetingStatus.values:
        errors.append(FieldError("status", "invalid", _("Choose a status from the list.")))
    return errors


def _participant(user: Any, meeting_id: int) -> MeetingAccess:
    return get_one_on_one_for_user(user, meeting_id, write=True)


def _meeting_url(meeting: OneOnOne) -> str:
    return reverse("goals:one_on_one", args=[meeting.pk])


def _scope_path(meeting: OneOnOne) -> str:
    return meeting.report.department.path


@transaction.atomic(durable=True)
def one_on_one_create(
    *, actor: Actor, user: Any, with_person_id: int | None, data: MeetingData
) -> OneOnOne:
    """Schedule a meeting with a report, or ask the direct superior for one."""
    me = person_id_of(user)
    if me is None:
        raise forbidden()
    errors = _check_meeting(data)
    other = (
        Person.objects.select_related("department").filter(pk=with_person_id).first()
        if with_person_id
        else None
    )
    manager_id: int | None = None
    report_id: int | None = None
    if other is None:
        errors.append(FieldError("with_person", "required", _("Choose whom you will meet.")))
    elif other.pk == me:
        errors.append(FieldError("with_person", "self", _("A one-to-one takes two people.")))
    else:
        my_superior = Person.objects.filter(pk=me).values_list("superior_id", flat=True).first()
        if is_in_line_below(me, other.pk):
            manager_id, report_id = me, other.pk
        elif my_superior == other.pk:
            manager_id, report_id = other.pk, me
        else:
            errors.append(
                FieldError(
                    "with_person",
                    "not_in_line",
                    _(
                        "You can schedule a one-to-one with the people who report to you, "
                        "or ask your direct superior for one."
                    ),
                )
            )
    if errors:
        raise validation_failed(errors)
    assert manager_id is not None and report_id is not None and other is not None
    assert data.scheduled_for is not None
    meeting = OneOnOne.objects.create(
        manager_id=manager_id,
        report_id=report_id,
        scheduled_for=data.scheduled_for,
        agenda=data.agenda.strip(),
        status=MeetingStatus.SCHEDULED,
    )
    meeting = OneOnOne.objects.select_related("manager", "report", "report__department").get(
        pk=meeting.pk
    )
    audit.record(
        actor,
        "goals.one_on_one.create",
        meeting,
        {
            "manager": [None, manager_id],
            "report": [None, report_id],
            "scheduled_for": [None, audit.plain(meeting.scheduled_for)],
            **({"agenda": [None, CHANGED]} if meeting.agenda else {}),
        },
        scope_path=_scope_path(meeting),
    )
    if other.user_id is not None:
        me_name = meeting.manager.name if manager_id == me else meeting.report.name
        when = timezone.localtime(meeting.scheduled_for).strftime("%Y-%m-%d %H:%M")
        title = (
            _("%(name)s scheduled a one-to-one with you on %(when)s.")
            if manager_id == me
            else _("%(name)s asked you for a one-to-one on %(when)s.")
        ) % {"name": me_name, "when": when}
        notify_many(
            [
                NotificationEntry(
                    user_id=other.user_id,
                    key=f"goals.one_on_one:{meeting.pk}:created",
                    title=title,
                    url=_meeting_url(meeting),
                )
            ]
        )
    return meeting


@transaction.atomic(durable=True)
def one_on_one_update(
    *, actor: Actor, user: Any, meeting_id: int, expected_version: int, data: MeetingData
) -> OneOnOne:
    """Move, hold or cancel a meeting and edit its agenda (either participant)."""
    access = _participant(user, meeting_id)
    meeting = access.meeting
    errors = _check_meeting(data)
    if errors:
        raise validation_failed(errors)
    agenda = data.agenda.strip()
    changes: audit.Changes = {}
    if data.scheduled_for != meeting.scheduled_for:
        changes["scheduled_for"] = [
            audit.plain(meeting.scheduled_for),
            audit.plain(data.scheduled_for),
        ]
    if data.status != meeting.status:
        changes["status"] = [meeting.status, data.status]
    if agenda != meeting.agenda:
        changes["agenda"] = [CHANGED, CHANGED]
    if not changes:
        if meeting.version != expected_version:
            raise notes_conflict()
        return meeting
    updated = OneOnOne.objects.filter(pk=meeting.pk, version=expected_version).update(
        scheduled_for=data.scheduled_for,
        status=data.status,
        agenda=agenda,
        version=F("version") + 1,
    )
    if not updated:
        raise notes_conflict()
    audit.record(
        actor, "goals.one_on_one.update", meeting, changes, scope_path=_scope_path(meeting)
    )
    meeting.refresh_from_db()
    return meeting


def notes_conflict() -> DomainError:
    return DomainError(
        "concurrent_edit",
        _(
            "The other participant saved changes to this meeting while you were editing. "
            "Nothing of yours was lost: your text is still in the form. Compare it with the "
            "saved version shown below, then save again."
        ),
        field="shared_notes",
        status=409,
    )


@transaction.atomic(durable=True)
def one_on_one_save_shared_notes(
    *, actor: Actor, user: Any, meeting_id: int, expected_version: int, text: str
) -> OneOnOne:
    """Save the notes both participants edit, as a compare-and-set on the meeting's version:
    a concurrent edit is refused (409), never silently overwritten."""
    access = _participant(user, meeting_id)
    meeting = access.meeting
    if len(text) > MAX_NOTES:
        raise validation_failed(
            [
                FieldError(
                    "shared_notes", "too_long", _("At most %(n)d characters.") % {"n": MAX_NOTES}
                )
            ]
        )
    if text == meeting.shared_notes:
        if meeting.version != expected_version:
            raise notes_conflict()
        return meeting
    updated = OneOnOne.objects.filter(pk=meeting.pk, version=expected_version).update(
        shared_notes=text, version=F("version") + 1
    )
    if not updated:
        raise notes_conflict()
    audit.record(
        actor,
        "goals.one_on_one.shared_notes",
        meeting,
        {"shared_notes": [CHANGED, CHANGED]},
        scope_path=_scope_path(meeting),
    )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic(durable=True)
def private_note_save(*, actor: Actor, user: Any, meeting_id: int, text: str) -> PrivateNote:
    """Write the user's own private note on a meeting (only they ever read it)."""
    access = _participant(user, meeting_id)
    if access.person_id is None:
        raise forbidden()
    if len(text) > MAX_NOTES:
        raise validation_failed(
            [FieldError("text", "too_long", _("At most %(n)d characters.") % {"n": MAX_NOTES})]
        )
    note, created = PrivateNote.objects.get_or_create(
        meeting=access.meeting, author_id=access.person_id, defaults={"text": text}
    )
    if not created and note.text != text:
        PrivateNote.objects.filter(pk=note.pk).update(text=text, updated_at=timezone.now())
        note.text = text
    elif not created:
        return note
    # Record that it changed, never what it says.
    audit.record(
        actor,
        "goals.one_on_one.private_note",
        access.meeting,
        {"private_note": [PRIVATE, CHANGED]},
        scope_path=_scope_path(access.meeting),
    )
    return note


@transaction.atomic(durable=True)
def one_on_one_set_shared(*, actor: Actor, user: Any, meeting_id: int, shared: bool) -> OneOnOne:
    """Share the meeting (agenda, shared notes, action items; never private notes) with the
    performance office, or take it back. Either participant decides."""
    access = _participant(user, meeting_id)
    meeting = access.meeting
    if meeting.shared_with_admins == shared:
        return meeting
    fields: dict[str, Any] = {"shared_with_admins": shared}
    if shared:
        fields |= {"shared_by_id": access.person_id, "shared_at": timezone.now()}
    else:
        fields |= {"shared_by_id": None, "shared_at": None}
    OneOnOne.objects.filter(pk=meeting.pk, shared_with_admins=not shared).update(**fields)
    audit.record(
        actor,
        "goals.one_on_one.share" if shared else "goals.one_on_one.unshare",
        meeting,
        {"shared_with_admins": [not shared, shared]},
        scope_path=_scope_path(meeting),
    )
    meeting.refresh_from_db()
    return meeting


@dataclass
class ActionItemData:
    owner_id: int | None
    text: str
    due_date: datetime.date | None = None


@transaction.atomic(durable=True)
def action_item_add(
    *, actor: Actor, user: Any, meeting_id: int, data: ActionItemData
) -> ActionItem:
    access = _participant(user, meeting_id)
    meeting = access.meeting
    errors: list[FieldError] = []
    text = data.text.strip()
    if not text:
        errors.append(FieldError("text", "required", _("Say what is to be done.")))
    elif len(text) > MAX_ACTION:
        errors.append(
            FieldError("text", "too_long", _("At most %(n)d characters.") % {"n": MAX_ACTION})
        )
    if data.owner_id not in (meeting.manager_id, meeting.report_id):
        errors.append(
            FieldError("owner", "not_participant", _("The owner is one of the two participants."))
        )
    if errors:
        raise validation_failed(errors)
    assert data.owner_id is not None
    item = ActionItem.objects.create(
        meeting=meeting, owner_id=data.owner_id, text=text, due_date=data.due_date
    )
    audit.record(
        actor,
        "goals.one_on_one.action_add",
        meeting,
        {
            "action_item": [None, item.pk],
            "owner": [None, data.owner_id],
            "due_date": [None, audit.plain(data.due_date)],
        },
        scope_path=_scope_path(meeting),
    )
    return item


def _item_of(user: Any, meeting_id: int, item_id: int) -> tuple[MeetingAccess, ActionItem]:
    access = _participant(user, meeting_id)
    item = ActionItem.objects.filter(pk=item_id, meeting=access.meeting).first()
    if item is None:
        raise Http404
    return access, item


@transaction.atomic(durable=True)
def action_item_set_done(
    *, actor: Actor, user: Any, meeting_id: int, item_id: int, done: bool
) -> ActionItem:
    access, item = _item_of(user, meeting_id, item_id)
    if (item.done_at is not None) == done:
        return item
    item.done_at = timezone.now() if done else None
    ActionItem.objects.filter(pk=item.pk).update(done_at=item.done_at)
    audit.record(
        actor,
        "goals.one_on_one.action_done" if done else "goals.one_on_one.action_reopen",
        access.meeting,
        {"action_item": [item.pk, item.pk], "done": [not done, done]},
        scope_path=_scope_path(access.meeting),
    )
    return item


@transaction.atomic(durable=True)
def action_item_remove(*, actor: Actor, user: Any, meeting_id: int, item_id: int) -> None:
    access, item = _item_of(user, meeting_id, item_id)
    item_pk = item.pk
    item.delete()
    audit.record(
        actor,
        "goals.one_on_one.action_remove",
        access.meeting,
        {"action_item": [item_pk, None]},
        scope_path=_scope_path(access.meeting),
    )
