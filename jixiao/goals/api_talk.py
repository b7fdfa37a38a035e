"""API of performance communication: check-ins with comments, and one-to-ones.

The same access helpers and services as the pages, so the same permissions and the same
privacy: a one-to-one answers 404 to everybody but its two participants unless it is shared
with the performance office, and a private note is only ever returned to its author.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.core.errors import FieldError, validation_failed
from jixiao.goals import checkins as checkin_services
from jixiao.goals import one_on_ones as meetings
from jixiao.goals.models import (
    ActionItem,
    CheckIn,
    CheckInComment,
    CheckInValue,
    MeetingStatus,
    OneOnOne,
)
from jixiao.goals.selectors import get_goal_for_user

router = Router(tags=["communication"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


# ---------------------------------------------------------------- check-ins


class CheckInValueIn(InputSchema):
    key_result_id: int
    value: float | str = Field(description="A number (as a JSON number or a string).")


class CheckInIn(InputSchema):
    confidence: int = Field(description="0 to 10.")
    percent: int | None = Field(None, description="The overall percent complete, 0 to 100.")
    values: list[CheckInValueIn] = Field(
        default_factory=list, description="New values of the goal's manual key results."
    )
    went_well: str = ""
    blocked: str = ""
    next_steps: str = ""
    last_checkin_id: int | None = Field(
        None,
        description=(
            "The id of the newest check-in you saw (0 for none). When given, a newer check-in "
            "by someone else answers 409 checkin_conflict instead of overwriting its values."
        ),
    )


class CheckInValueOut(Schema):
    key_result_id: int
    value: str


class CommentOut(Schema):
    id: int
    author: str
    at: datetime.datetime
    text: str

    @classmethod
    def of(cls, c: CheckInComment) -> CommentOut:
        return cls(id=c.pk, author=c.author_label, at=c.at, text=c.text)


class CheckInOut(Schema):
    id: int
    goal_id: int
    author: str
    at: datetime.datetime
    percent: int | None
    confidence: int
    went_well: str
    blocked: str
    next_steps: str
    values: list[CheckInValueOut]
    comments: list[CommentOut]

    @classmethod
    def of(cls, c: CheckIn) -> CheckInOut:
        return cls(
            id=c.pk,
            goal_id=c.goal_id,
            author=c.author_label,
            at=c.at,
            percent=c.percent,
            confidence=c.confidence,
            went_well=c.went_well,
            blocked=c.blocked,
            next_steps=c.next_steps,
            values=[
                CheckInValueOut(
                    key_result_id=v.key_result_id, value=format(v.value.normalize(), "f")
                )
                for v in c.values.all()
            ],
            comments=[CommentOut.of(m) for m in c.comments.all()],
        )


class CommentIn(InputSchema):
    text: str


def _checkin_data(payload: CheckInIn) -> checkin_services.CheckInData:
    errors: list[FieldError] = []
    values: dict[int, Any] = {}
    for i, v in enumerate(payload.values):
        try:
            values[v.key_result_id] = checkin_services.parse_decimal(v.value)
        except ValueError:
            errors.append(FieldError(f"values[{i}].value", "invalid_number", _("Enter a number.")))
    if errors:
        raise validation_failed(errors)
    return checkin_services.CheckInData(
        confidence=payload.confidence,
        values=values,
        percent=payload.percent,
        went_well=payload.went_well,
        blocked=payload.blocked,
        next_steps=payload.next_steps,
        expected_last_checkin_id=payload.last_checkin_id,
    )


def _checkins_query(goal_id: int) -> Any:
    return (
        CheckIn.objects.filter(goal_id=goal_id)
        .prefetch_related(
            Prefetch("values", queryset=CheckInValue.objects.order_by("key_result_id")),
            Prefetch("comments", queryset=CheckInComment.objects.order_by("at", "id")),
        )
        .order_by("-at", "-id")
    )


@router.get(
    "/goals/{int:goal_id}/checkins",
    response={200: Page[CheckInOut], **ERROR_RESPONSES},
    summary="Check-ins of a goal, newest first",
)
def checkin_list(request: HttpRequest, goal_id: int, paging: Query[PageParams]) -> dict[str, Any]:
    goal = get_goal_for_user(api_user(request), goal_id)
    return paginate(_checkins_query(goal.pk), paging, CheckInOut.of)


@router.post(
    "/goals/{int:goal_id}/checkins",
    response={201: CheckInOut, **WRITE_RESPONSES},
    summary="Check in on a goal",
)
def checkin_create(request: HttpRequest, goal_id: int, payload: CheckInIn) -> Status[CheckInOut]:
    """Updates the goal's manual key results and reported progress, and rolls progress up the
    alignment tree. The person checks in on personal goals; planners on unit and department
    goals; a closed goal answers 409."""
    user = api_user(request)
    checkin = checkin_services.checkin_create(
        actor=_actor(request, user), user=user, goal_id=goal_id, data=_checkin_data(payload)
    )
    return Status(201, CheckInOut.of(_checkins_query(checkin.goal_id).get(pk=checkin.pk)))


@router.post(
    "/goals/checkins/{int:checkin_id}/comments",
    response={201: CommentOut, **WRITE_RESPONSES},
    summary="Comment on a check-in",
)
def checkin_comment(
    request: HttpRequest, checkin_id: int, payload: CommentIn
) -> Status[CommentOut]:
    user = api_user(request)
    comment = checkin_services.checkin_comment_add(
        actor=_actor(request, user), user=user, checkin_id=checkin_id, text=payload.text
    )
    return Status(201, CommentOut.of(comment))


# ---------------------------------------------------------------- one-to-ones


class PersonRef(Schema):
    id: int
    name: str
    employee_no: str


class MeetingOut(Schema):
    id: int
    manager: PersonRef
    report: PersonRef
    scheduled_for: datetime.datetime
    status: str
    shared_with_admins: bool

    @staticmethod
    def fields_of(m: OneOnOne) -> dict[str, Any]:
        return {
            "id": m.pk,
            "manager": PersonRef(
                id=m.manager.pk, name=m.manager.name, employee_no=m.manager.employee_no
            ),
            "report": PersonRef(
                id=m.report.pk, name=m.report.name, employee_no=m.report.employee_no
            ),
            "scheduled_for": m.scheduled_for,
            "status": m.status,
            "shared_with_admins": m.shared_with_admins,
        }

    @classmethod
    def of(cls, m: OneOnOne) -> MeetingOut:
        return cls(**cls.fields_of(m))


class ActionItemOut(Schema):
    id: int
    owner_id: int
    text: str
    due_date: datetime.date | None
    done_at: datetime.datetime | None

    @classmethod
    def of(cls, a: ActionItem) -> ActionItemOut:
        return cls(
            id=a.pk, owner_id=a.owner_id, text=a.text, due_date=a.due_date, done_at=a.done_at
        )


class MeetingDetailOut(MeetingOut):
    my_role: Literal["manager", "report", "office"]
    agenda: str
    shared_notes: str
    version: int = Field(description="Send it back when changing the meeting or its notes.")
    shared_at: datetime.datetime | None
    action_items: list[ActionItemOut]
    private_note: str | None = Field(
        description="Your own private note (participants only; null for the office)."
    )


class MeetingPage(Page[MeetingOut]):
    pass


class MeetingIn(InputSchema):
    with_person_id: int = Field(description="One of your reports, or your direct superior.")
    scheduled_for: datetime.datetime
    agenda: str = ""


class MeetingPatch(InputSchema):
    version: int
    scheduled_for: datetime.datetime | None = None
    status: MeetingStatus | None = None
    agenda: str | None = None


class SharedNotesIn(InputSchema):
    version: int = Field(description="The version you read (else 409 concurrent_edit).")
    text: str


class PrivateNoteIn(InputSchema):
    text: str


class PrivateNoteOut(Schema):
    text: str
    updated_at: datetime.datetime | None


class ShareIn(InputSchema):
    shared: bool


class ActionItemIn(InputSchema):
    owner_id: int
    text: str
    due_date: datetime.date | None = None


class ActionItemPatch(InputSchema):
    done: bool


class MeetingFilters(Schema):
    view: Literal["mine", "shared"] = Field(
        "mine",
        description="mine: your own meetings; shared: those shared with the performance office "
        "that you read as part of it.",
    )


def _detail(user: User, pk: int) -> MeetingDetailOut:
    access = meetings.get_one_on_one_for_user(user, pk)
    m = access.meeting
    note = meetings.my_private_note(access)
    return MeetingDetailOut(
        **MeetingOut.fields_of(m),
        my_role=access.role,
        agenda=m.agenda,
        shared_notes=m.shared_notes,
        version=m.version,
        shared_at=m.shared_at,
        action_items=[ActionItemOut.of(a) for a in meetings.meeting_action_items(m)],
        private_note=(note.text if note else "") if access.is_participant else None,
    )


@router.get(
    "/goals/one-on-ones",
    response={200: MeetingPage, **ERROR_RESPONSES},
    summary="My one-to-ones (or those shared with the performance office)",
)
def one_on_one_list(
    request: HttpRequest, filters: Query[MeetingFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = api_user(request)
    qs = (
        meetings.one_on_ones_shared_with_office(user)
        if filters.view == "shared"
        else meetings.one_on_ones_of(user).order_by("-scheduled_for", "-id")
    )
    return paginate(qs, paging, MeetingOut.of)


@router.post(
    "/goals/one-on-ones",
    response={201: MeetingDetailOut, **WRITE_RESPONSES},
    summary="Schedule a one-to-one",
)
def one_on_one_create(request: HttpRequest, payload: MeetingIn) -> Status[MeetingDetailOut]:
    """A manager schedules with a report (direct or indirect); a report may ask their direct
    superior for one."""
    user = api_user(request)
    meeting = meetings.one_on_one_create(
        actor=_actor(request, user),
        user=user,
        with_person_id=payload.with_person_id,
        data=meetings.MeetingData(scheduled_for=payload.scheduled_for, agenda=payload.agenda),
    )
    return Status(201, _detail(user, meeting.pk))


@router.get(
    "/goals/one-on-ones/{int:meeting_id}",
    response={200: MeetingDetailOut, **ERROR_RESPONSES},
    summary="One one-to-one",
)
def one_on_one_detail(request: HttpRequest, meeting_id: int) -> MeetingDetailOut:
    return _detail(api_user(request), meeting_id)


@router.patch(
    "/goals/one-on-ones/{int:meeting_id}",
    response={200: MeetingDetailOut, **WRITE_RESPONSES},
    summary="Move, hold or cancel a one-to-one, or change its agenda",
)
def one_on_one_update(
    request: HttpRequest, meeting_id: int, payload: MeetingPatch
) -> MeetingDetailOut:
    user = api_user(request)
    m = meetings.get_one_on_one_for_user(user, meeting_id, write=True).meeting
    meetings.one_on_one_update(
        actor=_actor(request, user),
        user=user,
        meeting_id=m.pk,
        expected_version=payload.version,
        data=meetings.MeetingData(
            scheduled_for=payload.scheduled_for or m.scheduled_for,
            agenda=m.agenda if payload.agenda is None else payload.agenda,
            status=m.status if payload.status is None else str(payload.status.value),
        ),
    )
    return _detail(user, m.pk)


@router.put(
    "/goals/one-on-ones/{int:meeting_id}/shared-notes",
    response={200: MeetingDetailOut, **WRITE_RESPONSES},
    summary="Save the shared notes",
)
def one_on_one_shared_notes(
    request: HttpRequest, meeting_id: int, payload: SharedNotesIn
) -> MeetingDetailOut:
    """Compare-and-set on `version`: if the other participant saved in between, 409
    concurrent_edit and nothing is written (keep your text, read theirs, send again)."""
    user = api_user(request)
    meetings.one_on_one_save_shared_notes(
        actor=_actor(request, user),
        user=user,
        meeting_id=meeting_id,
        expected_version=payload.version,
        text=payload.text,
    )
    return _detail(user, meeting_id)


def _participant_only(user: User, meeting_id: int) -> meetings.MeetingAccess:
    """Private notes exist only for participants: 404 to everybody else, shared or not."""
    access = meetings.get_one_on_one_for_user(user, meeting_id)
    if not access.is_participant:
        raise Http404
    return access


@router.get(
    "/goals/one-on-ones/{int:meeting_id}/private-note",
    response={200: PrivateNoteOut, **ERROR_RESPONSES},
    summary="My private note on a one-to-one",
)
def private_note_get(request: HttpRequest, meeting_id: int) -> PrivateNoteOut:
    access = _participant_only(api_user(request), meeting_id)
    note = meetings.my_private_note(access)
    return PrivateNoteOut(
        text=note.text if note else "", updated_at=note.updated_at if note else None
    )


@router.put(
    "/goals/one-on-ones/{int:meeting_id}/private-note",
    response={200: PrivateNoteOut, **WRITE_RESPONSES},
    summary="Write my private note on a one-to-one",
)
def private_note_put(
    request: HttpRequest, meeting_id: int, payload: PrivateNoteIn
) -> PrivateNoteOut:
    user = api_user(request)
    _participant_only(user, meeting_id)
    note = meetings.private_note_save(
        actor=_actor(request, user), user=user, meeting_id=meeting_id, text=payload.text
    )
    return PrivateNoteOut(text=note.text, updated_at=note.updated_at)


@router.post(
    "/goals/one-on-ones/{int:meeting_id}/share",
    response={200: MeetingDetailOut, **WRITE_RESPONSES},
    summary="Share a one-to-one with the performance office, or stop sharing it",
)
def one_on_one_share(request: HttpRequest, meeting_id: int, payload: ShareIn) -> MeetingDetailOut:
    """Sharing shows the agenda, shared notes and action items; never private notes."""
    user = api_user(request)
    meetings.one_on_one_set_shared(
        actor=_actor(request, user), user=user, meeting_id=meeting_id, shared=payload.shared
    )
    return _detail(user, meeting_id)


@router.post(
    "/goals/one-on-ones/{int:meeting_id}/action-items",
    response={201: ActionItemOut, **WRITE_RESPONSES},
    summary="Add an action item",
)
def action_item_add(
    request: HttpRequest, meeting_id: int, payload: ActionItemIn
) -> Status[ActionItemOut]:
    user = api_user(request)
    item = meetings.action_item_add(
        actor=_actor(request, user),
        user=user,
        meeting_id=meeting_id,
        data=meetings.ActionItemData(
            owner_id=payload.owner_id, text=payload.text, due_date=payload.due_date
        ),
    )
    return Status(201, ActionItemOut.of(item))


@router.patch(
    "/goals/one-on-ones/{int:meeting_id}/action-items/{int:item_id}",
    response={200: ActionItemOut, **WRITE_RESPONSES},
    summary="Mark an action item done, or open it again",
)
def action_item_update(
    request: HttpRequest, meeting_id: int, item_id: int, payload: ActionItemPatch
) -> ActionItemOut:
    user = api_user(request)
    item = meetings.action_item_set_done(
        actor=_actor(request, user),
        user=user,
        meeting_id=meeting_id,
        item_id=item_id,
        done=payload.done,
    )
    return ActionItemOut.of(item)


@router.delete(
    "/goals/one-on-ones/{int:meeting_id}/action-items/{int:item_id}",
    response={204: None, **WRITE_RESPONSES},
    summary="Remove an action item",
)
def action_item_delete(request: HttpRequest, meeting_id: int, item_id: int) -> Status[None]:
    user = api_user(request)
    meetings.action_item_remove(
        actor=_actor(request, user), user=user, meeting_id=meeting_id, item_id=item_id
    )
    return Status(204, None)
