"""The working-day calendar API: list a year's days, add, change and remove days (system and
performance administrators), and count working days between two dates.

Thin, like the page: schema → one service in jixiao.core.workdays → serialize. Everyone
signed in reads; writers must be able to manage the calendar (others get 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core import workdays
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.core.errors import FieldError, forbidden, validation_failed
from jixiao.core.models import CalendarDay, CalendarDayKind
from jixiao.engine.calendar import CalendarError
from jixiao.org.calendar_access import can_manage_calendar

router = Router(tags=["calendar"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}
MAX_SPAN_DAYS = 366 * 20


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CalendarDayOut(Schema):
    id: int
    date: dt.date
    weekday: int = Field(description="1 = Monday … 7 = Sunday.")
    kind: str
    kind_label: str
    name: str
    version: int

    @classmethod
    def of(cls, day: CalendarDay) -> CalendarDayOut:
        return cls(
            id=day.pk,
            date=day.date,
            weekday=day.date.isoweekday(),
            kind=day.kind,
            kind_label=str(day.get_kind_display()),
            name=day.name,
            version=day.version,
        )


CalendarDayPage = Page[CalendarDayOut]


class CalendarDayFilters(Schema):
    year: int | None = Field(None, ge=1950, le=2150, description="Only this year's days.")
    kind: CalendarDayKind | None = None


class CalendarDayIn(InputSchema):
    date: dt.date
    kind: CalendarDayKind
    name: str = Field("", max_length=workdays.NAME_MAX, description="e.g. 春节")
    reason: str = Field("", description="Why; kept in the audit trail.")


class CalendarDayPatch(InputSchema):
    version: int
    date: dt.date | None = None
    kind: CalendarDayKind | None = None
    name: str | None = Field(None, max_length=workdays.NAME_MAX)
    reason: str = Field("", description="Why; kept in the audit trail.")

    @field_validator("date", "kind", "name", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null_not_allowed", "This field cannot be null.")
        return value


class DeleteParams(Schema):
    version: int | None = Field(None, description="The version you read; 409 when stale.")
    reason: str = Field("", description="Why; kept in the audit trail.")


class SpanParams(Schema):
    start: dt.date
    end: dt.date


class SpanOut(Schema):
    start: dt.date
    end: dt.date
    calendar_days: int = Field(description="Both dates counted.")
    working_days: int = Field(description="Working days from start to end, both dates counted.")
    working_days_end_excluded: int = Field(
        description="Working days in [start, end): the start counted, the end not."
    )
    weekmask: str = Field(description="The working week, Monday first: 1111100 = Mon–Fri.")


class DueParams(Schema):
    received: dt.date
    days: int = Field(ge=0, le=1000, description="Working days allowed.")


class DueOut(Schema):
    received: dt.date
    days: int
    due: dt.date = Field(
        description="The days-th working day after the day of receipt (which does not count)."
    )


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _writer(request: HttpRequest) -> tuple[User, Actor]:
    user = api_user(request)
    if not can_manage_calendar(user):
        raise forbidden()
    return user, _actor(request, user)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


@router.get(
    "/calendar/days",
    response={200: CalendarDayPage, **ERROR_RESPONSES},
    summary="List holidays and adjusted working days",
)
def calendar_day_list(
    request: HttpRequest, filters: Query[CalendarDayFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Days that differ from the working week, by date: `holiday` (放假) or `workday`
    (调休上班, a weekend day worked)."""
    api_user(request)
    qs = CalendarDay.objects.all()
    if filters.year is not None:
        qs = workdays.calendar_days_in_year(filters.year)
    if filters.kind is not None:
        qs = qs.filter(kind=_plain(filters.kind))
    return paginate(qs.order_by("date", "pk"), paging, CalendarDayOut.of)


@router.post(
    "/calendar/days",
    response={201: CalendarDayOut, **WRITE_RESPONSES},
    summary="Add a holiday or an adjusted working day",
)
def calendar_day_create(request: HttpRequest, payload: CalendarDayIn) -> Status[CalendarDayOut]:
    _, actor = _writer(request)
    day = workdays.calendar_day_create(
        actor=actor,
        can_manage=True,
        data=workdays.CalendarDayData(
            date=payload.date, kind=_plain(payload.kind), name=payload.name
        ),
        reason=payload.reason,
    )
    return Status(201, CalendarDayOut.of(day))


@router.patch(
    "/calendar/days/{day_id}",
    response={200: CalendarDayOut, **WRITE_RESPONSES},
    summary="Change a day",
)
def calendar_day_update(
    request: HttpRequest, day_id: int, payload: CalendarDayPatch
) -> CalendarDayOut:
    """Fields not sent keep their values. `version` must be the one you read (else 409)."""
    day = workdays.get_calendar_day(day_id)
    _, actor = _writer(request)
    sent = payload.model_dump(exclude_unset=True)
    saved = workdays.calendar_day_update(
        actor=actor,
        can_manage=True,
        day_id=day.pk,
        expected_version=payload.version,
        data=workdays.CalendarDayData(
            date=sent.get("date", day.date),
            kind=_plain(sent.get("kind", day.kind)),
            name=sent.get("name", day.name),
        ),
        reason=payload.reason,
    )
    return CalendarDayOut.of(saved)


@router.delete(
    "/calendar/days/{day_id}",
    response={204: None, **WRITE_RESPONSES},
    summary="Remove a day",
)
def calendar_day_delete(
    request: HttpRequest, day_id: int, params: Query[DeleteParams]
) -> Status[None]:
    """The date becomes an ordinary day of the working week again."""
    day = workdays.get_calendar_day(day_id)
    _, actor = _writer(request)
    workdays.calendar_day_delete(
        actor=actor,
        can_manage=True,
        day_id=day.pk,
        expected_version=params.version,
        reason=params.reason,
    )
    return Status(204, None)


@router.get(
    "/calendar/working-days",
    response={200: SpanOut, **ERROR_RESPONSES},
    summary="Count working days between two dates",
)
def working_days(request: HttpRequest, params: Query[SpanParams]) -> SpanOut:
    """Holidays and adjusted working days (调休) included. When end is before start the counts
    are negative, as with numpy.busday_count."""
    api_user(request)
    if abs((params.end - params.start).days) > MAX_SPAN_DAYS:
        raise validation_failed(
            [FieldError("end", "span_too_long", _("Choose a span of at most 20 years."))]
        )
    try:
        span = workdays.count_span(params.start, params.end)
    except CalendarError as exc:
        raise workdays.engine_error(exc) from None
    return SpanOut(
        start=span.start,
        end=span.end,
        calendar_days=span.calendar_days,
        working_days=span.working_days,
        working_days_end_excluded=span.working_days_end_excluded,
        weekmask=workdays.weekmask(),
    )


@router.get(
    "/calendar/due-date",
    response={200: DueOut, **ERROR_RESPONSES},
    summary="The date a number of working days after receipt",
)
def due_date(request: HttpRequest, params: Query[DueParams]) -> DueOut:
    """E.g. a document received on 30 September 2026 with 3 working days is due on
    10 October 2026 (a Saturday worked in exchange for the National Day holiday)."""
    api_user(request)
    try:
        due = workdays.due_date(params.received, params.days)
    except CalendarError as exc:
        raise workdays.engine_error(exc) from None
    return DueOut(received=params.received, days=params.days, due=due)
