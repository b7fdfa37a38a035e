"""The work plan API: a goal's work items with earned value, their milestones, department
budgets.

Same rights as the pages (jixiao.goals.work_plans): a goal outside the caller's scope is 404;
its readers get 403 on writes; its planners plan; an item's owner reports its progress (a
change to its plan answers 403). A stale `version` answers 409.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams
from jixiao.core.errors import forbidden
from jixiao.goals import work_plans as wp
from jixiao.goals.models import Milestone, WorkItemKind, WorkItemStatus
from jixiao.goals.selectors import get_goal_for_user
from jixiao.org.schemas import InputSchema

router = Router(tags=["work plans"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}
VERSION_HELP = "The version you read; 409 when stale."
REASON_HELP = "Why; kept in the audit trail."


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------- schemas


class PersonRefOut(Schema):
    id: int
    name: str
    employee_no: str


class MilestoneOut(Schema):
    id: int
    title: str
    due_date: datetime.date
    share: float
    done_on: datetime.date | None

    @classmethod
    def of(cls, m: Milestone) -> MilestoneOut:
        return cls(
            id=m.pk, title=m.title, due_date=m.due_date, share=float(m.share), done_on=m.done_on
        )


class WorkItemOut(Schema):
    id: int
    goal_id: int
    kind: WorkItemKind
    title: str
    description: str
    owner: PersonRefOut | None
    planned_start: datetime.date
    planned_end: datetime.date
    planned_days: float | None
    budget: float | None
    actual_start: datetime.date | None
    actual_end: datetime.date | None
    percent_complete: int
    actual_cost: float | None
    status: WorkItemStatus
    version: int = Field(description="Send it back with PATCH and milestone changes.")
    planned_percent: float = Field(description="Planned percent complete today.")
    pv: float | None = Field(description="Planned value: budget × planned %.")
    ev: float | None = Field(description="Earned value: budget × actual %.")
    ac: float | None = Field(description="Actual cost.")
    sv: float | None
    cv: float | None
    spi: float | None = Field(description="EV / PV; null when undefined.")
    cpi: float | None = Field(description="EV / AC; null when undefined.")
    eac: float | None = Field(description="Estimate at completion: budget / CPI.")
    overdue: bool
    over_budget: bool
    milestones: list[MilestoneOut]

    @classmethod
    def of(cls, row: wp.ItemRow) -> WorkItemOut:
        i = row.item
        return cls(
            id=i.pk,
            goal_id=i.goal_id,
            kind=WorkItemKind(i.kind),
            title=i.title,
            description=i.description,
            owner=(
                PersonRefOut(id=i.owner.pk, name=i.owner.name, employee_no=i.owner.employee_no)
                if i.owner is not None
                else None
            ),
            planned_start=i.planned_start,
            planned_end=i.planned_end,
            planned_days=_money(i.planned_days),
            budget=_money(i.budget),
            actual_start=i.actual_start,
            actual_end=i.actual_end,
            percent_complete=i.percent_complete,
            actual_cost=_money(i.actual_cost),
            status=WorkItemStatus(i.status),
            version=i.version,
            planned_percent=row.planned_percent,
            pv=row.pv,
            ev=row.ev,
            ac=row.ac,
            sv=row.sv,
            cv=row.cv,
            spi=row.spi,
            cpi=row.cpi,
            eac=row.eac,
            overdue=row.overdue,
            over_budget=row.over_budget,
            milestones=[MilestoneOut.of(m) for m in row.milestones],
        )


class TotalsOut(Schema):
    items: int
    budget: float
    pv: float
    ev: float
    ac: float | None
    spi: float | None
    cpi: float | None
    planned_percent: float | None
    actual_percent: float | None
    overdue: int
    over_budget: int

    @classmethod
    def of(cls, t: wp.Totals) -> TotalsOut:
        return cls(
            items=t.items,
            budget=t.budget,
            pv=t.pv,
            ev=t.ev,
            ac=t.ac,
            spi=t.spi,
            cpi=t.cpi,
            planned_percent=t.planned_percent,
            actual_percent=t.actual_percent,
            overdue=t.overdue,
            over_budget=t.over_budget,
        )


class WorkPlanOut(Schema):
    goal_id: int
    date: datetime.date = Field(description="The status date of the earned value figures.")
    can_edit: bool
    items: list[WorkItemOut]
    totals: TotalsOut


class WorkItemIn(InputSchema):
    kind: WorkItemKind = WorkItemKind.TASK
    title: str = Field(max_length=200)
    description: str = ""
    owner_id: int | None = None
    planned_start: datetime.date
    planned_end: datetime.date
    planned_days: Decimal | None = None
    budget: Decimal | None = None
    actual_start: datetime.date | None = None
    actual_end: datetime.date | None = None
    percent_complete: int = 0
    actual_cost: Decimal | None = None
    status: WorkItemStatus = WorkItemStatus.NOT_STARTED
    reason: str = Field("", description=REASON_HELP)


class WorkItemPatch(InputSchema):
    """Fields not sent keep their values. An item's owner may send only progress fields
    (percent_complete, status, actual_start, actual_end, actual_cost)."""

    version: int = Field(description=VERSION_HELP)
    kind: WorkItemKind | None = None
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    owner_id: int | None = None
    planned_start: datetime.date | None = None
    planned_end: datetime.date | None = None
    planned_days: Decimal | None = None
    budget: Decimal | None = None
    actual_start: datetime.date | None = None
    actual_end: datetime.date | None = None
    percent_complete: int | None = None
    actual_cost: Decimal | None = None
    status: WorkItemStatus | None = None
    reason: str = Field("", description=REASON_HELP)


class MilestoneIn(InputSchema):
    version: int = Field(description="The item's version; 409 when stale.")
    title: str = Field(max_length=200)
    due_date: datetime.date
    share: Decimal = Field(Decimal(0), description="Share of the item's work, in percent.")
    done_on: datetime.date | None = None
    reason: str = Field("", description=REASON_HELP)


class MilestonePatch(InputSchema):
    version: int = Field(description="The item's version; 409 when stale.")
    title: str | None = Field(None, max_length=200)
    due_date: datetime.date | None = None
    share: Decimal | None = None
    done_on: datetime.date | None = None
    reason: str = Field("", description=REASON_HELP)


class MilestoneCompleteIn(InputSchema):
    version: int = Field(description="The item's version; 409 when stale.")
    done: bool = Field(True, description="false marks the milestone not done again.")
    done_on: datetime.date | None = Field(None, description="Today when left out.")
    reason: str = Field("", description=REASON_HELP)


class DeleteParams(Schema):
    version: int = Field(description=VERSION_HELP)
    reason: str = Field("", description=REASON_HELP)


class DepartmentRefOut(Schema):
    id: int
    code: str
    name: str


class BudgetOut(Schema):
    department: DepartmentRefOut
    year: int
    amount: float | None = Field(description="null when no budget is set.")
    note: str
    version: int = Field(description="0 when no budget is set yet; send it back with PUT.")
    planned: float = Field(description="Sum of the budgets of the year's work items.")
    actual: float = Field(description="Sum of their actual costs.")
    items: int
    over_budget: bool
    can_edit: bool

    @classmethod
    def of(cls, row: wp.BudgetRow, year: int) -> BudgetOut:
        d = row.department
        b = row.budget
        return cls(
            department=DepartmentRefOut(id=d.pk, code=d.code, name=d.name),
            year=year,
            amount=float(b.amount) if b is not None else None,
            note=b.note if b is not None else "",
            version=b.version if b is not None else 0,
            planned=float(row.planned),
            actual=float(row.actual),
            items=row.items,
            over_budget=row.over,
            can_edit=row.can_edit,
        )


class BudgetPage(Page[BudgetOut]):
    pass


class BudgetParams(Schema):
    year: int | None = Field(None, description="The budget year; this year when left out.")


class BudgetIn(InputSchema):
    amount: Decimal
    note: str = ""
    version: int = Field(0, description="The version you read, 0 when there was no budget.")
    reason: str = Field("", description=REASON_HELP)


# ---------------------------------------------------------------- helpers


def _item_out(user: User, item_id: int) -> WorkItemOut:
    item = wp.get_work_item_for_user(user, item_id)
    rows, _totals = wp.evaluate([item], timezone.localdate())
    return WorkItemOut.of(rows[0])


def _data_from(payload: WorkItemIn) -> wp.WorkItemData:
    return wp.WorkItemData(
        kind=payload.kind.value,
        title=payload.title,
        description=payload.description,
        owner_id=payload.owner_id,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        planned_days=payload.planned_days,
        budget=payload.budget,
        actual_start=payload.actual_start,
        actual_end=payload.actual_end,
        percent_complete=payload.percent_complete,
        actual_cost=payload.actual_cost,
        status=payload.status.value,
    )


# ---------------------------------------------------------------- work items


@router.get(
    "/goals/{int:goal_id}/work-items",
    response={200: WorkPlanOut, **ERROR_RESPONSES},
    summary="A goal's work plan with earned value",
)
def work_plan(request: HttpRequest, goal_id: int) -> WorkPlanOut:
    user = api_user(request)
    goal = get_goal_for_user(user, goal_id)
    plan = wp.goal_work_plan(goal)
    return WorkPlanOut(
        goal_id=goal.pk,
        date=plan.today,
        can_edit=wp.can_plan_work(user, goal),
        items=[WorkItemOut.of(r) for r in plan.rows],
        totals=TotalsOut.of(plan.total),
    )


@router.post(
    "/goals/{int:goal_id}/work-items",
    response={201: WorkItemOut, **WRITE_RESPONSES},
    summary="Add a work item to a goal",
)
def work_item_create(
    request: HttpRequest, goal_id: int, payload: WorkItemIn
) -> Status[WorkItemOut]:
    user = api_user(request)
    item = wp.work_item_create(
        actor=_actor(request, user),
        user=user,
        goal_id=goal_id,
        data=_data_from(payload),
        reason=payload.reason,
    )
    return Status(201, _item_out(user, item.pk))


@router.get(
    "/goals/work-items/{int:item_id}",
    response={200: WorkItemOut, **ERROR_RESPONSES},
    summary="One work item",
)
def work_item_detail(request: HttpRequest, item_id: int) -> WorkItemOut:
    return _item_out(api_user(request), item_id)


@router.patch(
    "/goals/work-items/{int:item_id}",
    response={200: WorkItemOut, **WRITE_RESPONSES},
    summary="Change a work item or report its progress",
)
def work_item_update(request: HttpRequest, item_id: int, payload: WorkItemPatch) -> WorkItemOut:
    user = api_user(request)
    item = wp.get_work_item_for_user(user, item_id, write=True)
    data = wp.WorkItemData.of(item)
    sent = payload.model_dump(exclude_unset=True)
    for name in (
        "title",
        "description",
        "owner_id",
        "planned_start",
        "planned_end",
        "planned_days",
        "budget",
        "actual_start",
        "actual_end",
        "percent_complete",
        "actual_cost",
    ):
        if name in sent:
            setattr(data, name, sent[name])
    if payload.kind is not None:
        data.kind = payload.kind.value
    if payload.status is not None:
        data.status = payload.status.value
    wp.work_item_update(
        actor=_actor(request, user),
        user=user,
        item_id=item.pk,
        expected_version=payload.version,
        data=data,
        reason=payload.reason,
    )
    return _item_out(user, item.pk)


@router.delete(
    "/goals/work-items/{int:item_id}",
    response={204: None, **WRITE_RESPONSES},
    summary="Delete a work item and its milestones",
)
def work_item_delete(
    request: HttpRequest, item_id: int, params: Query[DeleteParams]
) -> Status[None]:
    user = api_user(request)
    wp.get_work_item_for_user(user, item_id, write=True)
    wp.work_item_delete(
        actor=_actor(request, user),
        user=user,
        item_id=item_id,
        expected_version=params.version,
        reason=params.reason,
    )
    return Status(204, None)


# ---------------------------------------------------------------- milestones


@router.post(
    "/goals/work-items/{int:item_id}/milestones",
    response={201: WorkItemOut, **WRITE_RESPONSES},
    summary="Add a milestone; answers the item with its new version",
)
def milestone_add(request: HttpRequest, item_id: int, payload: MilestoneIn) -> Status[WorkItemOut]:
    user = api_user(request)
    wp.get_work_item_for_user(user, item_id, write=True)
    wp.milestone_add(
        actor=_actor(request, user),
        user=user,
        item_id=item_id,
        expected_version=payload.version,
        data=wp.MilestoneData(
            title=payload.title,
            due_date=payload.due_date,
            share=payload.share,
            done_on=payload.done_on,
        ),
        reason=payload.reason,
    )
    return Status(201, _item_out(user, item_id))


@router.patch(
    "/goals/milestones/{int:milestone_id}",
    response={200: WorkItemOut, **WRITE_RESPONSES},
    summary="Change a milestone; answers its item",
)
def milestone_update(
    request: HttpRequest, milestone_id: int, payload: MilestonePatch
) -> WorkItemOut:
    user = api_user(request)
    milestone = wp.get_milestone_for_user(user, milestone_id, write=True)
    data = wp.MilestoneData.of(milestone)
    sent = payload.model_dump(exclude_unset=True)
    for name in ("title", "due_date", "share", "done_on"):
        if name in sent:
            setattr(data, name, sent[name])
    wp.milestone_update(
        actor=_actor(request, user),
        user=user,
        milestone_id=milestone.pk,
        expected_version=payload.version,
        data=data,
        reason=payload.reason,
    )
    return _item_out(user, milestone.work_item_id)


@router.post(
    "/goals/milestones/{int:milestone_id}/complete",
    response={200: WorkItemOut, **WRITE_RESPONSES},
    summary="Mark a milestone done (or not done); answers its item",
)
def milestone_complete(
    request: HttpRequest, milestone_id: int, payload: MilestoneCompleteIn
) -> WorkItemOut:
    user = api_user(request)
    milestone = wp.get_milestone_for_user(user, milestone_id, write=True)
    wp.milestone_complete(
        actor=_actor(request, user),
        user=user,
        milestone_id=milestone.pk,
        expected_version=payload.version,
        done=payload.done,
        done_on=payload.done_on,
        reason=payload.reason,
    )
    return _item_out(user, milestone.work_item_id)


@router.delete(
    "/goals/milestones/{int:milestone_id}",
    response={200: WorkItemOut, **WRITE_RESPONSES},
    summary="Remove a milestone; answers its item with its new version",
)
def milestone_remove(
    request: HttpRequest, milestone_id: int, params: Query[DeleteParams]
) -> WorkItemOut:
    user = api_user(request)
    milestone = wp.get_milestone_for_user(user, milestone_id, write=True)
    wp.milestone_remove(
        actor=_actor(request, user),
        user=user,
        milestone_id=milestone.pk,
        expected_version=params.version,
        reason=params.reason,
    )
    return _item_out(user, milestone.work_item_id)


# ---------------------------------------------------------------- budgets


def _budget_out(user: User, department_id: int, year: int) -> BudgetOut:
    dept = wp.get_budget_department_for_user(user, department_id)
    return BudgetOut.of(wp.department_budget_rows(user, [dept], year)[0], year)


@router.get(
    "/goals/work/budgets",
    response={200: BudgetPage, **ERROR_RESPONSES},
    summary="Department budgets against planned and actual cost",
)
def budget_list(
    request: HttpRequest, params: Query[BudgetParams], paging: Query[PageParams]
) -> dict[str, Any]:
    user = api_user(request)
    if not wp.may_read_budgets(user):
        raise forbidden()
    year = params.year or timezone.localdate().year
    qs = wp.budget_departments(user)
    offset = (paging.page - 1) * paging.page_size
    departments = list(qs[offset : offset + paging.page_size])
    return {
        "items": [
            BudgetOut.of(r, year) for r in wp.department_budget_rows(user, departments, year)
        ],
        "count": qs.count(),
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.put(
    "/goals/work/budgets/{int:department_id}/{int:year}",
    response={200: BudgetOut, **WRITE_RESPONSES},
    summary="Set a department's budget for a year",
)
def budget_set(request: HttpRequest, department_id: int, year: int, payload: BudgetIn) -> BudgetOut:
    user = api_user(request)
    wp.department_budget_set(
        actor=_actor(request, user),
        user=user,
        department_id=department_id,
        year=year,
        amount=payload.amount,
        note=payload.note,
        expected_version=payload.version,
        reason=payload.reason,
    )
    return _budget_out(user, department_id, year)
