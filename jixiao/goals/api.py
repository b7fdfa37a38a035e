"""The goals API: goals with their key results, the workflow, change requests, the alignment
tree and template assignment. Same rules as the pages: the selectors decide what the caller
sees (404 outside it), the services decide what they may do (403) and what is valid (400)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import PageParams, paginate
from jixiao.core.errors import DomainError
from jixiao.goals import actuals, goal_templates, services, workflow
from jixiao.goals.models import ChangeRequest
from jixiao.goals.overview import TreeNode, alignment_tree, period_or_year, tree_size
from jixiao.goals.schemas import (
    ActualsIn,
    ActualsOut,
    AlignmentOut,
    AssignIn,
    AssignOut,
    ChangeRequestIn,
    ChangeRequestOut,
    CloseIn,
    DecisionIn,
    GoalDetailOut,
    GoalFilters,
    GoalIn,
    GoalOut,
    GoalPage,
    GoalUpdateIn,
    TransitionIn,
    TreeNodeOut,
)
from jixiao.goals.selectors import GoalFilter, get_goal_for_user, goals_filtered
from jixiao.org.selectors import departments_visible_to, get_department_for_user, people_visible_to

router = Router(tags=["goals"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _detail(user: User, goal_id: int) -> GoalDetailOut:
    return GoalDetailOut.of(get_goal_for_user(user, goal_id))


@router.get("/goals", response={200: GoalPage, **ERROR_RESPONSES}, summary="List goals")
def goal_list(
    request: HttpRequest, filters: Query[GoalFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The goals the caller may read, filtered; `department_id` includes its sub-departments."""
    user = api_user(request)
    f = GoalFilter(
        q=filters.q,
        period=filters.period,
        level=filters.level,
        status=filters.status,
        department_id=filters.department_id,
        person_id=filters.person_id,
    )
    return paginate(goals_filtered(user, f), paging, GoalOut.of)


@router.get(
    "/goals/{int:goal_id}", response={200: GoalDetailOut, **ERROR_RESPONSES}, summary="A goal"
)
def goal_detail(request: HttpRequest, goal_id: int) -> GoalDetailOut:
    return _detail(api_user(request), goal_id)


@router.post("/goals", response={201: GoalDetailOut, **WRITE_RESPONSES}, summary="Create a goal")
def goal_create(request: HttpRequest, payload: GoalIn) -> Status[GoalDetailOut]:
    """A draft goal for a unit, a department or a person. Cascade by giving `parent_id`."""
    user = api_user(request)
    department = None
    person = None
    if payload.department_id is not None:
        department = departments_visible_to(user).filter(pk=payload.department_id).first()
        if department is None:
            raise DomainError(
                "unknown_department", _("The department does not exist."), field="department_id"
            )
    if payload.person_id is not None:
        person = (
            people_visible_to(user)
            .select_related("department")
            .filter(pk=payload.person_id)
            .first()
        )
        if person is None:
            raise DomainError("unknown_person", _("The person does not exist."), field="person_id")
    owner = services.owner_for(
        level=payload.level, period_key=payload.period, department=department, person=person
    )
    goal = services.goal_create(
        actor=_actor(request, user), user=user, owner=owner, data=payload.to_data()
    )
    return Status(201, _detail(user, goal.pk))


@router.put(
    "/goals/{int:goal_id}",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Edit a draft goal",
)
def goal_update(request: HttpRequest, goal_id: int, payload: GoalUpdateIn) -> GoalDetailOut:
    """The whole content of a draft or returned goal; key results keep their `id`."""
    user = api_user(request)
    get_goal_for_user(user, goal_id, write=True)
    services.goal_update(
        actor=_actor(request, user),
        user=user,
        goal_id=goal_id,
        expected_version=payload.version,
        data=payload.to_data(),
    )
    return _detail(user, goal_id)


@router.delete(
    "/goals/{int:goal_id}", response={204: None, **WRITE_RESPONSES}, summary="Delete a draft goal"
)
def goal_delete(request: HttpRequest, goal_id: int, version: int) -> Status[None]:
    user = api_user(request)
    get_goal_for_user(user, goal_id, write=True)
    services.goal_delete(
        actor=_actor(request, user), user=user, goal_id=goal_id, expected_version=version
    )
    return Status(204, None)


def _transition(request: HttpRequest, goal_id: int, action: Any, **kwargs: Any) -> GoalDetailOut:
    user = api_user(request)
    get_goal_for_user(user, goal_id)
    action(actor=_actor(request, user), user=user, goal_id=goal_id, **kwargs)
    return _detail(user, goal_id)


@router.post(
    "/goals/{int:goal_id}/submit",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Submit for approval",
)
def goal_submit(request: HttpRequest, goal_id: int, payload: TransitionIn) -> GoalDetailOut:
    return _transition(request, goal_id, workflow.goal_submit, expected_version=payload.version)


@router.post(
    "/goals/{int:goal_id}/approve",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Approve",
)
def goal_approve(request: HttpRequest, goal_id: int, payload: TransitionIn) -> GoalDetailOut:
    return _transition(
        request,
        goal_id,
        workflow.goal_approve,
        expected_version=payload.version,
        comment=payload.comment,
    )


@router.post(
    "/goals/{int:goal_id}/return",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Return with comments",
)
def goal_return(request: HttpRequest, goal_id: int, payload: TransitionIn) -> GoalDetailOut:
    return _transition(
        request,
        goal_id,
        workflow.goal_return,
        expected_version=payload.version,
        comment=payload.comment,
    )


@router.post(
    "/goals/{int:goal_id}/lock",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Lock for the period",
)
def goal_lock(request: HttpRequest, goal_id: int, payload: TransitionIn) -> GoalDetailOut:
    return _transition(request, goal_id, workflow.goal_lock, expected_version=payload.version)


@router.post(
    "/goals/{int:goal_id}/close",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Close with outcome",
)
def goal_close(request: HttpRequest, goal_id: int, payload: CloseIn) -> GoalDetailOut:
    return _transition(
        request,
        goal_id,
        workflow.goal_close,
        expected_version=payload.version,
        outcome=payload.outcome,
        note=payload.note,
    )


@router.post(
    "/goals/{int:goal_id}/change-requests",
    response={201: ChangeRequestOut, **WRITE_RESPONSES},
    summary="Ask to change a locked goal",
)
def change_request_create(
    request: HttpRequest, goal_id: int, payload: ChangeRequestIn
) -> Status[ChangeRequestOut]:
    user = api_user(request)
    get_goal_for_user(user, goal_id)
    cr = workflow.change_request_create(
        actor=_actor(request, user),
        user=user,
        goal_id=goal_id,
        expected_version=payload.version,
        data=payload.to_data(),
        reason=payload.reason,
    )
    return Status(201, ChangeRequestOut.of(cr))


@router.get(
    "/goals/{int:goal_id}/change-requests",
    response={200: list[ChangeRequestOut], **ERROR_RESPONSES},
    summary="Change requests of a goal",
)
def change_request_list(request: HttpRequest, goal_id: int) -> list[ChangeRequestOut]:
    goal = get_goal_for_user(api_user(request), goal_id)
    return [ChangeRequestOut.of(cr) for cr in goal.change_requests.order_by("-requested_at", "-id")]


def _change(user: User, request_id: int) -> ChangeRequest:
    cr = ChangeRequest.objects.filter(pk=request_id).first()
    if cr is None:
        raise DomainError("not_found", _("Not found."), status=404)
    get_goal_for_user(user, cr.goal_id)
    return cr


@router.post(
    "/goals/change-requests/{int:request_id}/approve",
    response={200: GoalDetailOut, **WRITE_RESPONSES},
    summary="Approve a change request",
)
def change_request_approve(
    request: HttpRequest, request_id: int, payload: DecisionIn
) -> GoalDetailOut:
    user = api_user(request)
    cr = _change(user, request_id)
    workflow.change_request_approve(
        actor=_actor(request, user),
        user=user,
        request_id=cr.pk,
        expected_version=payload.version,
        note=payload.note,
    )
    return _detail(user, cr.goal_id)


@router.post(
    "/goals/change-requests/{int:request_id}/reject",
    response={200: ChangeRequestOut, **WRITE_RESPONSES},
    summary="Refuse a change request",
)
def change_request_reject(
    request: HttpRequest, request_id: int, payload: DecisionIn
) -> ChangeRequestOut:
    user = api_user(request)
    cr = _change(user, request_id)
    return ChangeRequestOut.of(
        workflow.change_request_reject(
            actor=_actor(request, user),
            user=user,
            request_id=cr.pk,
            expected_version=payload.version,
            note=payload.note,
        )
    )


def _tree_out(node: TreeNode) -> TreeNodeOut:
    return TreeNodeOut(
        id=node.id,
        title=node.title,
        owner=node.owner,
        level=node.level,
        status=node.status,
        progress=node.progress,
        colour=node.colour,
        children=[_tree_out(c) for c in node.children],
    )


@router.get(
    "/goals/alignment/{int:department_id}",
    response={200: AlignmentOut, **ERROR_RESPONSES},
    summary="Alignment tree of a department",
)
def alignment(request: HttpRequest, department_id: int, period: str = "") -> AlignmentOut:
    """The department's goals for the period (and its sub-periods) under the goals above them
    that they align to, each with its progress and a colour against the elapsed period."""
    user = api_user(request)
    department = get_department_for_user(user, department_id)
    p = period_or_year(period, datetime.date.today())
    roots = alignment_tree(user, department, p, today=datetime.date.today())
    return AlignmentOut(
        department_id=department.pk,
        period=p.key,
        nodes=tree_size(roots),
        roots=[_tree_out(r) for r in roots],
    )


@router.post(
    "/goals/templates/{int:template_id}/assign",
    response={200: AssignOut, **WRITE_RESPONSES},
    summary="Assign a goal template in bulk",
)
def template_assign(request: HttpRequest, template_id: int, payload: AssignIn) -> AssignOut:
    """Everyone with the post or in the department gets the template's goal as a draft;
    people who already have it for the period are skipped."""
    user = api_user(request)
    result = goal_templates.template_assign(
        actor=_actor(request, user),
        user=user,
        template_id=template_id,
        period_key=payload.period,
        target=goal_templates.AssignmentTarget(
            post_id=payload.post_id,
            department_id=payload.department_id,
            include_subdepartments=payload.include_subdepartments,
        ),
        parent_id=payload.parent_id,
    )
    return AssignOut(created=result.created, skipped=result.skipped)


@router.post(
    "/goals/indicator-actuals",
    response={200: ActualsOut, **WRITE_RESPONSES},
    summary="Report indicator actuals",
)
def indicator_actuals(request: HttpRequest, payload: ActualsIn) -> ActualsOut:
    """Actual values of library indicators for owners and periods, from operational systems.
    Every automatic key result on that indicator of that owner's goals for the period takes
    the value, and progress is recomputed. For performance administrators."""
    user = api_user(request)
    result = actuals.actuals_apply(
        actor=_actor(request, user),
        user=user,
        rows=[
            actuals.Actual(
                indicator_code=r.indicator_code,
                period=r.period,
                value=r.value,
                department_code=r.department_code,
                employee_no=r.employee_no,
            )
            for r in payload.rows
        ],
    )
    return ActualsOut(
        rows=result.rows, key_results_updated=result.key_results_updated, unmatched=result.unmatched
    )
