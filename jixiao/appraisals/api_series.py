"""The recurring appraisals API (周期性考核计划): list, create, read, change, deactivate and
reactivate a series.

Same rules as the pages: the list holds the series of the units whose office the caller is of
(empty for everybody else); a series outside it answers 404; a change needs the right to run
the unit's cycles (403); invalid data answers 400 and a stale `version` 409. The cycles are
created by the scheduled job (`manage.py create_due_cycles`), not through this API.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.appraisals import cycles, series
from jixiao.appraisals.api_office import PopulationIn
from jixiao.appraisals.models import CycleSeries
from jixiao.appraisals.permissions import can_create_cycles
from jixiao.appraisals.selectors import (
    SeriesOverview,
    get_series_for_user,
    series_overview,
    series_visible_to,
)
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.core.errors import forbidden
from jixiao.org.schemas import InputSchema

router = Router(tags=["appraisal office"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


# ---------------------------------------------------------------- schemas


class SeriesCycleOut(Schema):
    id: int
    name: str
    period_start: datetime.date
    phase: str


class NextPeriodOut(Schema):
    start: datetime.date
    end: datetime.date
    name: str = Field(description="The name its cycle will have.")
    created_on: datetime.date = Field(description="The day its cycle is created.")


class SeriesOut(Schema):
    id: int
    name: str = Field(
        description="The pattern of the cycles' names: {period}, {year} and {n} are replaced; "
        "without any of them the period goes in front."
    )
    kind: str = Field(description="monthly, quarterly, half_year or annual.")
    unit_id: int
    unit_name: str
    scheme_id: int
    scheme_code: str
    population: dict[str, Any]
    first_start: datetime.date
    deadline_offsets: dict[str, int] = Field(
        description="Phase → days after the last day of the period."
    )
    lead_days: int = Field(description="The cycle is created this many days before the period.")
    is_active: bool
    last_error: str
    version: int
    created_at: datetime.datetime
    next_period: NextPeriodOut | None
    cycles: list[SeriesCycleOut] = Field(description="The cycles created, newest first.")

    @classmethod
    def of(cls, s: CycleSeries, overview: SeriesOverview) -> SeriesOut:
        upcoming = overview.next_period if s.is_active else None
        return cls(
            id=s.pk,
            name=s.name,
            kind=s.kind,
            unit_id=s.unit_id,
            unit_name=s.unit.name,
            scheme_id=s.scheme_id,
            scheme_code=s.scheme.code,
            population=dict(s.population),
            first_start=s.first_start,
            deadline_offsets={str(k): int(v) for k, v in (s.deadline_offsets or {}).items()},
            lead_days=s.lead_days,
            is_active=s.is_active,
            last_error=s.last_error,
            version=s.version,
            created_at=s.created_at,
            next_period=NextPeriodOut(
                start=upcoming.start,
                end=upcoming.end,
                name=series.cycle_name(s.name, upcoming),
                created_on=upcoming.creation_day(s.lead_days),
            )
            if upcoming is not None
            else None,
            cycles=[
                SeriesCycleOut(id=c.id, name=c.name, period_start=c.period_start, phase=c.phase)
                for c in overview.cycles
            ],
        )


class SeriesFilters(Schema):
    active: bool | None = None
    unit_id: int | None = None


class SeriesIn(InputSchema):
    name: str
    kind: str = Field(description="monthly, quarterly, half_year or annual.")
    unit_id: int
    scheme_id: int = Field(description="The latest version of an active scheme.")
    first_start: datetime.date = Field(description="The first day of the first period.")
    population: PopulationIn
    deadline_offsets: dict[str, int] = Field(
        {}, description='Phase → days after the period, e.g. {"rating": 15}.'
    )
    lead_days: int = 0

    def to_data(self) -> series.SeriesData:
        return series.SeriesData(
            name=self.name,
            kind=self.kind,
            unit_id=self.unit_id,
            scheme_id=self.scheme_id,
            first_start=self.first_start,
            population=_population(self.population),
            deadline_offsets=dict(self.deadline_offsets),
            lead_days=self.lead_days,
        )


class SeriesPatch(InputSchema):
    """Fields not sent keep their values; `version` is the series' current version."""

    version: int
    name: str | None = None
    kind: str | None = None
    unit_id: int | None = None
    scheme_id: int | None = None
    first_start: datetime.date | None = None
    population: PopulationIn | None = None
    deadline_offsets: dict[str, int] | None = None
    lead_days: int | None = None


class ActiveIn(InputSchema):
    version: int | None = None


def _population(p: PopulationIn) -> cycles.Population:
    return cycles.Population(
        department_ids=list(p.department_ids),
        include_subdepartments=p.include_subdepartments,
        post_categories=list(p.post_categories),
        person_ids=list(p.person_ids),
    )


def _out(user: User, series_id: int) -> SeriesOut:
    found = get_series_for_user(user, series_id)
    return SeriesOut.of(found, series_overview([found])[found.pk])


# ---------------------------------------------------------------- endpoints


@router.get(
    "/appraisals/series",
    response={200: Page[SeriesOut], **ERROR_RESPONSES},
    summary="List recurring appraisals",
)
def series_list(
    request: HttpRequest, filters: Query[SeriesFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The series of the units whose office the caller is of, with their next period and the
    cycles they created."""
    user = api_user(request)
    qs = series_visible_to(user).order_by("unit__path", "name", "id")
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.unit_id is not None:
        qs = qs.filter(unit_id=filters.unit_id)
    body = paginate(qs, paging, lambda s: s)
    found: list[CycleSeries] = list(body["items"])
    overview = series_overview(found)
    body["items"] = [SeriesOut.of(s, overview[s.pk]) for s in found]
    return body


@router.post(
    "/appraisals/series",
    response={201: SeriesOut, **WRITE_RESPONSES},
    summary="Create a recurring appraisal",
)
def series_create(request: HttpRequest, payload: SeriesIn) -> Status[SeriesOut]:
    """An active series; each period's cycle is created on its creation day by the scheduled
    job."""
    user = api_user(request)
    if not can_create_cycles(user):
        raise forbidden()
    made = series.series_create(
        actor=_actor(request, user),
        user=user,
        data=payload.to_data(),
        today=timezone.localdate(),
    )
    return Status(201, _out(user, made.pk))


@router.get(
    "/appraisals/series/{int:series_id}",
    response={200: SeriesOut, **ERROR_RESPONSES},
    summary="A recurring appraisal",
)
def series_detail(request: HttpRequest, series_id: int) -> SeriesOut:
    return _out(api_user(request), series_id)


@router.patch(
    "/appraisals/series/{int:series_id}",
    response={200: SeriesOut, **WRITE_RESPONSES},
    summary="Change a recurring appraisal",
)
def series_update(request: HttpRequest, series_id: int, payload: SeriesPatch) -> SeriesOut:
    """Applies to the cycles created from now on. Once the series has created a cycle, its
    kind, unit and first period are fixed."""
    user = api_user(request)
    current = get_series_for_user(user, series_id, write=True)
    data = series.SeriesData(
        name=current.name if payload.name is None else payload.name,
        kind=current.kind if payload.kind is None else payload.kind,
        unit_id=current.unit_id if payload.unit_id is None else payload.unit_id,
        scheme_id=series.latest_scheme(current).pk
        if payload.scheme_id is None
        else payload.scheme_id,
        first_start=current.first_start if payload.first_start is None else payload.first_start,
        population=cycles.Population.of(current.population)
        if payload.population is None
        else _population(payload.population),
        deadline_offsets=dict(current.deadline_offsets or {})
        if payload.deadline_offsets is None
        else dict(payload.deadline_offsets),
        lead_days=current.lead_days if payload.lead_days is None else payload.lead_days,
    )
    series.series_update(
        actor=_actor(request, user),
        user=user,
        series_id=current.pk,
        expected_version=payload.version,
        data=data,
        today=timezone.localdate(),
    )
    return _out(user, current.pk)


def _set_active(
    request: HttpRequest, series_id: int, payload: ActiveIn | None, active: bool
) -> SeriesOut:
    user = api_user(request)
    current = get_series_for_user(user, series_id, write=True)
    series.series_set_active(
        actor=_actor(request, user),
        user=user,
        series_id=current.pk,
        active=active,
        expected_version=payload.version if payload else None,
        today=timezone.localdate(),
    )
    return _out(user, current.pk)


@router.post(
    "/appraisals/series/{int:series_id}/deactivate",
    response={200: SeriesOut, **WRITE_RESPONSES},
    summary="Deactivate a recurring appraisal",
)
def series_deactivate(
    request: HttpRequest, series_id: int, payload: ActiveIn | None = None
) -> SeriesOut:
    """It creates no more cycles; the cycles it created stay."""
    return _set_active(request, series_id, payload, active=False)


@router.post(
    "/appraisals/series/{int:series_id}/activate",
    response={200: SeriesOut, **WRITE_RESPONSES},
    summary="Reactivate a recurring appraisal",
)
def series_activate(
    request: HttpRequest, series_id: int, payload: ActiveIn | None = None
) -> SeriesOut:
    """It resumes with the current period; the periods that passed while it was off get no
    cycle."""
    return _set_active(request, series_id, payload, active=True)
