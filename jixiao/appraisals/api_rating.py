"""API of the rater's and the appraisee's own work: my assignments, one assignment with its
items and my ratings, saving drafts and submitting (the same service as the grid page), and
my appraisal's personal summary (述职).

One-time codes (考核码) are deliberately NOT exposed here: they belong to the printed-sheet
flow of democratic appraisal, used through the public pages under /appraisals/code/, where
failed attempts are throttled per address and the session holds nothing but the code's id.
An API for codes would only widen the surface for guessing them.

Anonymity: a rater reads only their own assignments; nothing here lists who else rates whom.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.appraisals.grid import GridItem, grid_items, own_assignments, rating_is_open
from jixiao.appraisals.models import Assignment, CyclePhase, Rating, SchemeGroup
from jixiao.appraisals.rating import AssignmentInput, RatingInput, ratings_save
from jixiao.appraisals.self_assessment import (
    appraisal_summary_save,
    own_appraisal,
    summary_is_open,
)
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.core.errors import FieldError, validation_failed

router = Router(tags=["appraisal: my ratings"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}
OPEN_PHASES = (CyclePhase.SELF_ASSESSMENT, CyclePhase.RATING)
MAX_ENTRIES = 500


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


# ---------------------------------------------------------------- schemas


class RateeOut(Schema):
    appraisal_id: int
    name: str
    department: str
    post: str


class AssignmentOut(Schema):
    id: int
    cycle_id: int
    cycle: str
    phase: str
    group: str
    status: str
    version: int = Field(description="Send it back when saving (else 409 concurrent_edit).")
    submitted_at: datetime.datetime | None
    nominated: bool
    ratee: RateeOut

    @staticmethod
    def fields_of(a: Assignment) -> dict[str, Any]:
        ap = a.appraisal
        return {
            "id": a.pk,
            "cycle_id": a.cycle_id,
            "cycle": a.cycle.name,
            "phase": a.cycle.phase,
            "group": a.group,
            "status": a.status,
            "version": a.version,
            "submitted_at": a.submitted_at,
            "nominated": a.nominated,
            "ratee": RateeOut(
                appraisal_id=ap.pk,
                name=ap.person.name,
                department=ap.department.name,
                post=ap.post.name if ap.post else "",
            ),
        }

    @classmethod
    def of(cls, a: Assignment) -> AssignmentOut:
        return cls(**cls.fields_of(a))


class LevelOut(Schema):
    level: int
    title: str
    description: str = Field(description="The observable behaviour of the level.")
    points: float


class ItemOut(Schema):
    id: int
    code: str
    name: str
    section: str
    description: str
    max_score: float
    levels: list[LevelOut] = Field(
        description="BARS levels, best first; rate with `level`. Empty: rate with `value`."
    )

    @classmethod
    def of(cls, i: GridItem) -> ItemOut:
        return cls(
            id=i.id,
            code=i.code,
            name=i.name,
            section=i.section,
            description=i.description,
            max_score=i.max_score,
            levels=[
                LevelOut(
                    level=lv.level, title=lv.title, description=lv.description, points=lv.points
                )
                for lv in i.levels
            ],
        )


class RatingOut(Schema):
    item_id: int
    value: float = Field(description="The score in the item's points.")
    level: int | None


class AssignmentDetailOut(AssignmentOut):
    comment: str
    anonymous: bool = Field(
        description="Ratings of this group are shown to the ratee and the office only "
        "aggregated, never with their rater."
    )
    rating_open: bool = Field(description="Whether the cycle's phase lets this group rate now.")
    items: list[ItemOut]
    ratings: list[RatingOut]


class AssignmentFilters(Schema):
    cycle_id: int | None = Field(None, description="Only this cycle.")
    open_only: bool = Field(True, description="Only cycles in the self-assessment or rating phase.")


class RatingIn(InputSchema):
    item_id: int
    level: int | None = Field(None, description="For an item with BARS levels.")
    value: float | None = Field(None, description="For an item scored with a number.")


class EntryIn(InputSchema):
    assignment_id: int
    version: int
    ratings: list[RatingIn] = Field(default_factory=list)
    comment: str = ""


class RatingsIn(InputSchema):
    submit: bool = Field(
        False,
        description="false: save drafts; true: submit (every item of every entry rated; "
        "submitted ratings no longer change).",
    )
    entries: list[EntryIn] = Field(description="One per assignment; all of one cycle.")


class SavedOut(Schema):
    id: int
    status: str
    version: int


class MyAppraisalOut(Schema):
    id: int
    cycle_id: int
    cycle: str
    phase: str
    department: str
    post: str
    eligibility: str
    eligibility_reason: str
    summary: str
    summary_open: bool = Field(description="Whether the summary may still be changed.")
    self_submitted_at: datetime.datetime | None
    version: int = Field(description="Send it back when saving (else 409 concurrent_edit).")


class SummaryIn(InputSchema):
    version: int
    summary: str
    submit: bool = Field(False, description="true: submit; the summary then no longer changes.")


# ---------------------------------------------------------------- assignments


@router.get(
    "/appraisals/my/assignments",
    response={200: Page[AssignmentOut], **ERROR_RESPONSES},
    summary="My rater assignments",
)
def my_assignments(
    request: HttpRequest, filters: Query[AssignmentFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The people you rate, in the cycles that are open (or all with open_only=false).
    Nominations still awaiting approval are not listed."""
    qs = own_assignments(api_user(request)).select_related("cycle")
    if filters.cycle_id is not None:
        qs = qs.filter(cycle_id=filters.cycle_id)
    if filters.open_only:
        qs = qs.filter(cycle__phase__in=OPEN_PHASES)
    qs = qs.order_by("cycle_id", "group", "appraisal__person__employee_no", "id")
    return paginate(qs, paging, AssignmentOut.of)


def _own_assignment(user: User, assignment_id: int) -> Assignment:
    a = own_assignments(user).select_related("cycle").filter(pk=assignment_id).first()
    if a is None:
        raise Http404
    return a


@router.get(
    "/appraisals/my/assignments/{int:assignment_id}",
    response={200: AssignmentDetailOut, **ERROR_RESPONSES},
    summary="One of my assignments with its items and my ratings",
)
def my_assignment(request: HttpRequest, assignment_id: int) -> AssignmentDetailOut:
    """Someone else's assignment answers 404."""
    a = _own_assignment(api_user(request), assignment_id)
    anonymous = SchemeGroup.objects.filter(
        scheme_id=a.cycle.scheme_id, group=a.group, anonymous=True
    ).exists()
    return AssignmentDetailOut(
        **AssignmentOut.fields_of(a),
        comment=a.comment,
        anonymous=anonymous,
        rating_open=rating_is_open(a.cycle, a.group),
        items=[ItemOut.of(i) for i in grid_items(a.cycle.scheme_id, a.group)],
        ratings=[
            RatingOut(item_id=r.item_id, value=r.value, level=r.level)
            for r in Rating.objects.filter(assignment_id=a.pk).order_by("item_id")
        ],
    )


@router.post(
    "/appraisals/my/ratings",
    response={200: list[SavedOut], **WRITE_RESPONSES},
    summary="Save or submit my ratings (one or many assignments at once)",
)
def save_ratings(request: HttpRequest, payload: RatingsIn) -> list[SavedOut]:
    """The service the grid page uses: one transaction; a stale version answers 409
    concurrent_edit, a submitted assignment 409 already_submitted, a closed phase 409
    rating_closed, someone else's assignment 404."""
    user = api_user(request)
    if not payload.entries or len(payload.entries) > MAX_ENTRIES:
        raise validation_failed(
            [
                FieldError(
                    "entries",
                    "out_of_range",
                    _("Send from 1 to %(n)s entries.") % {"n": MAX_ENTRIES},
                )
            ]
        )
    saved = ratings_save(
        actor=_actor(request, user),
        user=user,
        entries=[
            AssignmentInput(
                assignment_id=e.assignment_id,
                expected_version=e.version,
                ratings=[
                    RatingInput(item_id=r.item_id, value=r.value, level=r.level) for r in e.ratings
                ],
                comment=e.comment,
            )
            for e in payload.entries
        ],
        submit=payload.submit,
    )
    if not saved:
        saved = list(Assignment.objects.filter(pk__in=[e.assignment_id for e in payload.entries]))
    return [SavedOut(id=a.pk, status=a.status, version=a.version) for a in saved]


# ---------------------------------------------------------------- my appraisal


def _appraisal_out(user: User, cycle_id: int) -> MyAppraisalOut:
    a = own_appraisal(user, cycle_id)
    return MyAppraisalOut(
        id=a.pk,
        cycle_id=a.cycle_id,
        cycle=a.cycle.name,
        phase=a.cycle.phase,
        department=a.department.name,
        post=a.post.name if a.post else "",
        eligibility=a.eligibility,
        eligibility_reason=a.eligibility_reason,
        summary=a.summary,
        summary_open=summary_is_open(a),
        self_submitted_at=a.self_submitted_at,
        version=a.version,
    )


@router.get(
    "/appraisals/my/appraisals/{int:cycle_id}",
    response={200: MyAppraisalOut, **ERROR_RESPONSES},
    summary="My appraisal in a cycle: the personal summary (述职)",
)
def my_appraisal(request: HttpRequest, cycle_id: int) -> MyAppraisalOut:
    return _appraisal_out(api_user(request), cycle_id)


@router.put(
    "/appraisals/my/appraisals/{int:cycle_id}",
    response={200: MyAppraisalOut, **WRITE_RESPONSES},
    summary="Save or submit my personal summary",
)
def my_appraisal_save(request: HttpRequest, cycle_id: int, payload: SummaryIn) -> MyAppraisalOut:
    """Compare-and-set on `version`; after submission, or outside self-assessment and rating,
    409."""
    user = api_user(request)
    appraisal = own_appraisal(user, cycle_id)
    appraisal_summary_save(
        actor=_actor(request, user),
        user=user,
        appraisal_id=appraisal.pk,
        expected_version=payload.version,
        summary=payload.summary,
        submit=payload.submit,
    )
    return _appraisal_out(user, cycle_id)
