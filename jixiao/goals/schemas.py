"""API input and output for goals, key results, change requests and the alignment tree.

Inputs forbid unknown fields. Decimals travel as JSON numbers or strings and come back as
strings, so that 95.5 stays 95.5.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from jixiao.core.api_pagination import Page
from jixiao.goals.models import ChangeRequest, Goal, KeyResult
from jixiao.goals.services import GoalData, KeyResultData
from jixiao.org.schemas import InputSchema


class KeyResultIn(InputSchema):
    id: int | None = Field(None, description="Keep and update this key result; omit for a new one.")
    title: str = ""
    indicator_id: int | None = Field(None, description="An indicator version of the library.")
    unit: str = ""
    direction: str = Field("", description='"higher" or "lower"; empty takes the indicator\'s.')
    baseline: Decimal | None = None
    threshold: Decimal | None = None
    target: Decimal | None = None
    stretch: Decimal | None = None
    weight: Decimal = Decimal(100)
    source: str = "manual"

    def to_data(self) -> KeyResultData:
        return KeyResultData(
            id=self.id,
            title=self.title,
            indicator_id=self.indicator_id,
            unit=self.unit,
            direction=self.direction,
            baseline=self.baseline,
            threshold=self.threshold,
            target=self.target,
            stretch=self.stretch,
            weight=self.weight,
            source=self.source,
        )


class GoalContentIn(InputSchema):
    title: str
    description: str = ""
    weight: Decimal = Decimal(0)
    horizon: str = "output"
    due_date: datetime.date | None = None
    parent_id: int | None = None
    objective_id: int | None = None
    progress_mode: str = "auto"
    checkin_cadence: str = "monthly"
    key_results: list[KeyResultIn] = []
    supports: list[int] = []

    def to_data(self) -> GoalData:
        return GoalData(
            title=self.title,
            description=self.description,
            weight=self.weight,
            horizon=self.horizon,
            due_date=self.due_date,
            parent_id=self.parent_id,
            objective_id=self.objective_id,
            progress_mode=self.progress_mode,
            checkin_cadence=self.checkin_cadence,
            key_results=[kr.to_data() for kr in self.key_results],
            supports=list(self.supports),
        )


class GoalIn(GoalContentIn):
    level: str = Field(description='"unit", "department" or "person".')
    period: str = Field(description="2026, 2026-H1, 2026-Q3 or 2026-03.")
    department_id: int | None = Field(None, description="For unit and department goals.")
    person_id: int | None = Field(None, description="For personal goals.")


class GoalUpdateIn(GoalContentIn):
    version: int


class ChangeRequestIn(GoalContentIn):
    version: int = Field(description="The goal's version you read.")
    reason: str


class TransitionIn(InputSchema):
    version: int
    comment: str = ""


class CloseIn(InputSchema):
    version: int
    outcome: str = Field(description='"achieved", "partial" or "not_achieved".')
    note: str = ""


class DecisionIn(InputSchema):
    version: int = Field(description="The change request's version you read.")
    note: str = ""


class KeyResultOut(Schema):
    id: int
    title: str
    indicator_id: int | None
    indicator_code: str | None
    unit: str
    direction: str
    baseline: Decimal | None
    threshold: Decimal | None
    target: Decimal | None
    stretch: Decimal | None
    weight: Decimal
    source: str
    current: Decimal | None
    progress: float | None

    @classmethod
    def of(cls, kr: KeyResult) -> KeyResultOut:
        return cls(
            id=kr.pk,
            title=kr.title,
            indicator_id=kr.indicator_id,
            indicator_code=kr.indicator.code if kr.indicator_id and kr.indicator else None,
            unit=kr.unit,
            direction=kr.direction,
            baseline=kr.baseline,
            threshold=kr.threshold,
            target=kr.target,
            stretch=kr.stretch,
            weight=kr.weight,
            source=kr.source,
            current=kr.current,
            progress=kr.progress,
        )


class OwnerOut(Schema):
    department_id: int
    department: str
    person_id: int | None
    person: str | None


class GoalOut(Schema):
    id: int
    level: str
    owner: OwnerOut
    period: str
    period_start: datetime.date
    period_end: datetime.date
    title: str
    description: str
    weight: Decimal
    horizon: str
    due_date: datetime.date | None
    parent_id: int | None
    objective_id: int | None
    status: str
    status_label: str
    outcome: str
    progress: float | None
    own_progress: float | None
    version: int

    @classmethod
    def fields_of(cls, g: Goal) -> dict[str, Any]:
        return {
            "id": g.pk,
            "level": g.level,
            "owner": OwnerOut(
                department_id=g.department_id,
                department=g.department.name,
                person_id=g.person_id,
                person=g.person.name if g.person_id and g.person else None,
            ),
            "period": g.period,
            "period_start": g.period_start,
            "period_end": g.period_end,
            "title": g.title,
            "description": g.description,
            "weight": g.weight,
            "horizon": g.horizon,
            "due_date": g.due_date,
            "parent_id": g.parent_id,
            "objective_id": g.objective_id,
            "status": g.status,
            "status_label": str(g.get_status_display()),
            "outcome": g.outcome,
            "progress": g.progress,
            "own_progress": g.own_progress,
            "version": g.version,
        }

    @classmethod
    def of(cls, g: Goal) -> GoalOut:
        return cls(**cls.fields_of(g))


class GoalDetailOut(GoalOut):
    key_results: list[KeyResultOut]
    supports: list[int]

    @classmethod
    def of(cls, g: Goal) -> GoalDetailOut:  # type: ignore[override]
        return cls(
            **GoalOut.fields_of(g),
            key_results=[
                KeyResultOut.of(kr)
                for kr in g.key_results.select_related("indicator").order_by("position", "id")
            ],
            supports=sorted(g.support_links.values_list("supports_id", flat=True)),
        )


GoalPage = Page[GoalOut]


class GoalFilters(Schema):
    q: str = ""
    period: str = ""
    level: str = ""
    status: str = ""
    department_id: int | None = None
    person_id: int | None = None


class ChangeRequestOut(Schema):
    id: int
    goal_id: int
    status: str
    reason: str
    proposed: dict[str, Any]
    current: dict[str, Any]
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None
    decision_note: str
    version: int

    @classmethod
    def of(cls, cr: ChangeRequest) -> ChangeRequestOut:
        proposed = {k: v for k, v in cr.proposed.items() if k != "key_result_ids"}
        return cls(
            id=cr.pk,
            goal_id=cr.goal_id,
            status=cr.status,
            reason=cr.reason,
            proposed=proposed,
            current=cr.current,
            requested_at=cr.requested_at,
            decided_at=cr.decided_at,
            decision_note=cr.decision_note,
            version=cr.version,
        )


class TreeNodeOut(Schema):
    id: int
    title: str
    owner: str
    level: str
    status: str
    progress: float | None
    colour: str
    children: list[TreeNodeOut]


class AlignmentOut(Schema):
    department_id: int
    period: str
    nodes: int
    roots: list[TreeNodeOut]


class AssignIn(InputSchema):
    period: str
    post_id: int | None = None
    department_id: int | None = None
    include_subdepartments: bool = True
    parent_id: int | None = None


class AssignOut(Schema):
    created: int
    skipped: int


class ActualIn(InputSchema):
    indicator_code: str
    period: str
    value: Decimal
    department_code: str = Field("", description="For unit and department goals.")
    employee_no: str = Field("", description="For personal goals.")


class ActualsIn(InputSchema):
    rows: list[ActualIn]


class ActualsOut(Schema):
    rows: int
    key_results_updated: int
    unmatched: list[int] = Field(
        description="Indexes of rows that matched no automatic key result."
    )
