"""Goal pages: my goals, the goal list, a goal, and creating, cascading and editing goals.

Thin, as everywhere: access helper → form → one service → redirect, or the form again with
the service's errors next to the fields. The workflow actions are in views_workflow.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.goals import checkins, checks, services, work_plans
from jixiao.goals.forms import (
    CascadeForm,
    GoalFilterForm,
    GoalForm,
    OwnerForm,
    key_result_formset,
    key_result_initial,
    key_results_from,
    show_goal_error,
)
from jixiao.goals.models import Evidence, Goal, GoalLevel, GoalStatus, StrategicObjective
from jixiao.goals.periods import PeriodKind, current_period_key, parse_period
from jixiao.goals.permissions import (
    can_approve_goal,
    can_cascade_goal,
    can_check_in,
    can_close_goal,
    can_comment_on_checkin,
    can_create_goal_for,
    can_decide_change,
    can_edit_goal,
    can_lock_goal,
    can_manage_templates,
    can_request_change,
    can_submit_goal,
    may_plan_for,
    planning_scope_for,
)
from jixiao.goals.reminders import DueCheckIn, checkins_due_for
from jixiao.goals.selectors import (
    GoalFilter,
    get_goal_for_user,
    goal_ancestors,
    goal_children,
    goal_history,
    goal_period,
    goals_filtered,
    goals_visible_to,
    owner_weight_total,
    pending_change_request,
    person_for_user,
)
from jixiao.goals.selectors import (
    my_goals as my_goals_of,
)
from jixiao.goals.workflow import suggested_outcome
from jixiao.org.models import Department, DepartmentKind
from jixiao.org.selectors import departments_visible_to, people_visible_to
from jixiao.org.views import form_status, paginate

GOALS_PER_PAGE = 50

ACTION_LABELS = {
    "goals.goal.create": _l("Created"),
    "goals.goal.update": _l("Edited"),
    "goals.goal.assign": _l("Assigned from a template"),
    "goals.goal.submit": _l("Submitted"),
    "goals.goal.approve": _l("Approved"),
    "goals.goal.return": _l("Returned with comments"),
    "goals.goal.lock": pgettext_lazy("goal status", "Locked"),
    "goals.goal.close": _l("Closed"),
    "goals.goal.change_request": _l("Change requested"),
    "goals.goal.change": _l("Changed (approved request)"),
    "goals.goal.change_rejected": _l("Change not approved"),
    "goals.goal.change_withdrawn": _l("Change request withdrawn"),
    "goals.goal.delete": _l("Deleted"),
    "goals.evidence.add": _l("Evidence added"),
    "goals.evidence.remove": _l("Evidence removed"),
    "goals.checkin.create": _l("Check-in"),
    "goals.conflict.acknowledge": _l("Conflict acknowledged"),
}
FIELD_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "weight": _l("Weight (%)"),
    "horizon": _l("Horizon"),
    "due_date": _l("Deadline"),
    "parent": _l("Aligned to"),
    "objective": _l("Strategic objective"),
    "progress_mode": _l("Progress from"),
    "checkin_cadence": _l("Check-ins"),
    "key_results": _l("Key results"),
    "supports": _l("Also supports"),
}


def change_lines(current: dict[str, Any], proposed: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, before, after) of what a change request would change, for people to read."""
    out: list[tuple[str, str, str]] = []
    for name, label in FIELD_LABELS.items():
        before, after = current.get(name), proposed.get(name)
        if before == after:
            continue
        if name == "key_results":
            before = "；".join(_kr_text(kr) for kr in before or [])
            after = "；".join(_kr_text(kr) for kr in after or [])
        out.append(
            (
                str(label),
                "—" if before in (None, "", []) else str(before),
                "—" if after in (None, "", []) else str(after),
            )
        )
    return out


def _kr_text(kr: dict[str, Any]) -> str:
    return f"{kr.get('title')}（{_('target')} {kr.get('target') if kr.get('target') is not None else '—'}，{kr.get('weight')}%）"


def today() -> datetime.date:
    return datetime.date.today()


@login_required
def my_goals(request: HttpRequest) -> HttpResponse:
    """The signed-in person's goals for a year, with their checks and what awaits them."""
    year_key = request.GET.get("period") or str(today().year)
    period = parse_period(year_key) or parse_period(str(today().year))
    assert period is not None
    person = person_for_user(request.user)
    goals = list(my_goals_of(request.user, period.key))
    findings = checks.smart_findings_many(goals)
    statuses = checks.weight_statuses(goals)
    rows = [GoalRow(g, findings.get(g.pk, []), period_expected(g)) for g in goals]
    return render(
        request,
        "goals/my_goals.html",
        {
            "person": person,
            "period": period,
            "years": [today().year - 1, today().year, today().year + 1],
            "rows": rows,
            "weight_statuses": statuses,
            "can_add": person is not None,
            "new_period": current_period_key(PeriodKind.YEAR, today())
            if period.kind == PeriodKind.YEAR
            else period.key,
            "checkins_due": _checkins_due(request.user),
        },
    )


def _checkins_due(user: Any) -> list[DueCheckIn]:
    return checkins_due_for(user, today())


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    findings: list[checks.Finding]
    expected: float


def period_expected(goal: Goal) -> float:
    """How far the goal should be by today if work were spread evenly over its period."""
    return goal_period(goal).elapsed_share(today())


@login_required
def goal_list(request: HttpRequest) -> HttpResponse:
    form = GoalFilterForm(request.GET or None, today=today())
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    department_id = request.GET.get("department")
    f = GoalFilter(
        q=cd.get("q", ""),
        period=cd.get("period", ""),
        level=cd.get("level", ""),
        status=cd.get("status", ""),
        department_id=int(department_id) if department_id and department_id.isdigit() else None,
    )
    context = paginate(request, goals_filtered(request.user, f), GOALS_PER_PAGE)
    return render(
        request,
        "goals/goal_list.html",
        {"form": form, "can_manage_templates": can_manage_templates(request.user), **context},
    )


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    user = request.user
    key_results = list(goal.key_results.select_related("indicator").order_by("position", "id"))
    ps = planning_scope_for(user)
    context: dict[str, Any] = {
        "goal": goal,
        "period": goal_period(goal),
        "expected": period_expected(goal),
        "key_results": key_results,
        "ancestors": list(reversed(goal_ancestors(goal))),
        "children": goal_children(user, goal),
        "supports": list(goals_visible_to(user).filter(supported_by_links__goal=goal)),
        "supported_by": list(goals_visible_to(user).filter(support_links__supports=goal)),
        "evidence": list(goal.evidence.all()),
        "history": [
            {"record": r, "label": ACTION_LABELS.get(r.action, r.action)}
            for r in goal_history(goal)[:50]
        ],
        "last_return": goal_history(goal).filter(action="goals.goal.return").first(),
        "pending": pending_change_request(goal),
        "findings": checks.smart_findings_for(goal),
        "weight_total": owner_weight_total(goal),
        "suggested_outcome": suggested_outcome(goal.progress),
        "can_edit": can_edit_goal(user, goal),
        "can_submit": can_submit_goal(user, goal),
        "can_approve": can_approve_goal(user, goal),
        "can_lock": can_lock_goal(user, goal),
        "can_close": can_close_goal(user, goal),
        "can_request_change": can_request_change(user, goal),
        "can_check_in": can_check_in(user, goal),
        "can_comment": can_comment_on_checkin(user, goal),
        "can_plan": may_plan_for(ps, goal),
        "can_cascade": can_cascade_goal(user, goal),
    }
    pending = context["pending"]
    context["pending_changes"] = change_lines(pending.current, pending.proposed) if pending else []
    context["can_add_evidence"] = can_check_in(user, goal) or context["can_edit"]
    context["can_decide"] = pending is not None and can_decide_change(
        user, goal, pending.requested_by_id
    )
    context["partials"] = _detail_partials(request, goal)
    context.update(context["partials"].pop("context", {}))
    return render(request, "goals/goal_detail.html", context)


def _detail_partials(request: HttpRequest, goal: Goal) -> dict[str, Any]:
    """The goal page's sections that other modules own: check-ins and the work plan."""
    return {
        "checkins": "goals/_checkins.html",
        "work_plan": "goals/_work_plan.html",
        "context": {
            "checkins": checkins.goal_checkins_for_display(goal),
            "work_items": work_plans.goal_work_items_for_display(goal),
            "can_edit_work": work_plans.can_edit_work_plan(request.user, goal),
        },
    }


# ---------------------------------------------------------------- create and edit


def _parent_choices(user: Any, owner: services.Owner) -> list[Goal]:
    """Goals a new goal of this owner may align to: open unit and department goals of its own
    department or above (and, for a person, their superior's personal goals), whose period
    contains the new goal's period."""
    ancestors = [int(x) for x in owner.department.path.strip("/").split("/") if x]
    levels = (
        [GoalLevel.UNIT]
        if owner.level == GoalLevel.UNIT
        else [GoalLevel.UNIT, GoalLevel.DEPARTMENT]
    )
    q = Q(department_id__in=ancestors, level__in=levels)
    if owner.person is not None and owner.person.superior_id is not None:
        q |= Q(level=GoalLevel.PERSON, person_id=owner.person.superior_id)
    return list(
        goals_visible_to(user)
        .filter(q, period_start__lte=owner.period.start, period_end__gte=owner.period.end)
        .exclude(status=GoalStatus.CLOSED)
        .order_by("level", "department__path", "id")[:300]
    )


def _objective_choices(department: Department, year: int) -> list[StrategicObjective]:
    ids = department.ancestor_ids()
    unit_id = ids[0] if ids else department.pk
    return list(
        StrategicObjective.objects.filter(
            unit_id=unit_id, is_active=True, start_year__lte=year, end_year__gte=year
        )
        .select_related("theme")
        .order_by("theme__sort_order", "start_year", "id")
    )


def _support_choices(
    user: Any, department: Department, period_key: str, exclude: int | None
) -> list[Goal]:
    period = parse_period(period_key)
    if period is None:
        return []
    ancestors = [int(x) for x in department.path.strip("/").split("/") if x]
    qs = (
        goals_visible_to(user)
        .filter(
            Q(department_id__in=ancestors) | Q(department__path__startswith=department.path),
            level__in=[GoalLevel.UNIT, GoalLevel.DEPARTMENT],
            period_start__lte=period.end,
            period_end__gte=period.start,
        )
        .exclude(status=GoalStatus.CLOSED)
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("level", "department__path", "id")[:300])


def _owner_from_request(request: HttpRequest) -> services.Owner:
    """The owner of a new goal from the query string (level, department or person, period)."""
    level = request.GET.get("level", GoalLevel.PERSON)
    period_key = request.POST.get("period") or request.GET.get("period") or str(today().year)
    department = None
    person = None
    if level == GoalLevel.PERSON:
        person_id = request.GET.get("person")
        if person_id and person_id.isdigit():
            person = people_visible_to(request.user).filter(pk=int(person_id)).first()
            if person is None:
                raise Http404
        else:
            person = person_for_user(request.user)
            if person is None:
                raise Http404
    else:
        dept_id = request.GET.get("department", "")
        department = (
            departments_visible_to(request.user).filter(pk=int(dept_id)).first()
            if dept_id.isdigit()
            else None
        )
        if department is None:
            raise Http404
    return services.owner_for(
        level=level, period_key=period_key, department=department, person=person
    )


def _goal_form(
    request: HttpRequest,
    owner: services.Owner,
    goal: Goal | None,
    *,
    ask_reason: bool = False,
    data: Any = None,
    initial: Any = None,
) -> GoalForm:
    return GoalForm(
        data,
        initial=initial,
        parents=[
            g for g in _parent_choices(request.user, owner) if goal is None or g.pk != goal.pk
        ],
        objectives=_objective_choices(owner.department, owner.period.year),
        supports=_support_choices(
            request.user, owner.department, owner.period.key, goal.pk if goal else None
        ),
        ask_reason=ask_reason,
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest) -> HttpResponse:
    try:
        owner = _owner_from_request(request)
    except DomainError as refused:
        messages.error(request, str(refused.message))
        return redirect("goals:mine")
    if not can_create_goal_for(
        request.user, level=owner.level, department=owner.department, person=owner.person
    ):
        raise DomainError("forbidden", _("You cannot set goals for this owner."), status=403)
    parent_id = request.GET.get("parent")
    initial: dict[str, Any] = {
        "due_date": owner.period.end,
        "weight": 0,
        "parent": int(parent_id) if parent_id and parent_id.isdigit() else None,
        "period": owner.period.key,
    }
    owner_form = OwnerForm(
        request.POST or None, initial={"period": owner.period.key}, today=today()
    )
    form = _goal_form(request, owner, None, data=request.POST or None, initial=initial)
    formset = key_result_formset(request.POST or None)
    error: DomainError | None = None
    if (
        request.method == "POST"
        and owner_form.is_valid()
        and form.is_valid()
        and formset.is_valid()
    ):
        try:
            goal = services.goal_create(
                actor=actor_from_request(request),
                user=request.user,
                owner=owner,
                data=form.to_data(key_results_from(formset)),
            )
        except DomainError as exc:
            error = exc
            show_goal_error(form, formset, exc)
        else:
            messages.success(request, _("The goal was saved as a draft."))
            return redirect("goals:detail", goal.pk)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "formset": formset, "owner": owner, "owner_form": owner_form, "goal": None},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk, write=True)
    owner = services._owner_of(goal)
    form = _goal_form(
        request, owner, goal, data=request.POST or None, initial=GoalForm.initial_for(goal)
    )
    formset = key_result_formset(request.POST or None, initial=key_result_initial(goal))
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.goal_update(
                actor=actor_from_request(request),
                user=request.user,
                goal_id=goal.pk,
                expected_version=form.cleaned_data.get("version") or goal.version,
                data=form.to_data(key_results_from(formset)),
            )
        except DomainError as exc:
            error = exc
            show_goal_error(form, formset, exc)
        else:
            messages.success(request, _("The goal was saved."))
            return redirect("goals:detail", goal.pk)
    return render(
        request,
        "goals/goal_form.html",
        {"form": form, "formset": formset, "owner": owner, "goal": goal},
        status=form_status(error),
    )


@login_required
@require_POST
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk, write=True)
    version = request.POST.get("version", "")
    try:
        services.goal_delete(
            actor=actor_from_request(request),
            user=request.user,
            goal_id=goal.pk,
            expected_version=int(version) if version.isdigit() else goal.version,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("goals:detail", goal.pk)
    messages.success(request, _("The goal was deleted."))
    return redirect("goals:mine")


@login_required
@require_http_methods(["GET"])
def goal_cascade(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose who carries a goal further down: a department (from a unit goal) or a person
    (from a department goal); then the new goal form opens aligned to it."""
    goal = get_goal_for_user(request.user, pk)
    if not can_cascade_goal(request.user, goal):
        raise DomainError("forbidden", _("You cannot cascade this goal."), status=403)
    ps = planning_scope_for(request.user)
    departments = (
        departments_visible_to(request.user)
        .filter(ps.planned_q(), path__startswith=goal.department.path, is_active=True)
        .exclude(kind=DepartmentKind.UNIT)
        .exclude(pk=goal.department_id if goal.level == GoalLevel.DEPARTMENT else 0)
        .order_by("path")
    )
    people = (
        people_visible_to(request.user)
        .filter(department__path__startswith=goal.department.path, is_active=True)
        .select_related(None)
        .order_by("employee_no")
    )
    form = CascadeForm(request.GET or None, departments=departments, people=people)
    if request.GET and form.is_valid():
        cd = form.cleaned_data
        params = f"period={goal.period}&parent={goal.pk}"
        if cd.get("department") is not None:
            return redirect(
                f"{_new_url()}?level=department&department={cd['department'].pk}&{params}"
            )
        if cd.get("person") is not None:
            return redirect(f"{_new_url()}?level=person&person={cd['person'].pk}&{params}")
        form.add_error(None, _("Choose a department or a person."))
    return render(request, "goals/goal_cascade.html", {"goal": goal, "form": form})


def _new_url() -> str:
    from django.urls import reverse

    return reverse("goals:create")


# ---------------------------------------------------------------- evidence


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    try:
        services.evidence_add(
            actor=actor_from_request(request),
            user=request.user,
            goal_id=goal.pk,
            title=request.POST.get("title", ""),
            url=request.POST.get("url", ""),
            upload=request.FILES.get("file"),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        for fe in exc.all_errors():
            messages.error(request, str(fe.message))
    else:
        messages.success(request, _("The evidence was added."))
    return redirect("goals:detail", goal.pk)


@login_required
@require_POST
def evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = Evidence.objects.filter(pk=pk).first()
    if evidence is None:
        raise Http404
    goal = get_goal_for_user(request.user, evidence.goal_id)
    try:
        services.evidence_remove(
            actor=actor_from_request(request), user=request.user, evidence_id=pk
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The evidence was removed."))
    return redirect("goals:detail", goal.pk)


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """The evidence file, for those who may read the goal (never served as a public file)."""
    evidence = Evidence.objects.filter(pk=pk).exclude(file="").first()
    if evidence is None:
        raise Http404
    get_goal_for_user(request.user, evidence.goal_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=evidence.file_name or "evidence")
