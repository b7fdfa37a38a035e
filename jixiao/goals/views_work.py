"""Work plan pages: a goal's plan, its items and milestones, a department's timeline, and
department budgets.

Thin, as everywhere: access helper → form → one service → redirect, or the form again with
the service's errors next to the fields (409 for a concurrent edit).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.goals import work_plans as wp
from jixiao.goals.forms_work import (
    BudgetForm,
    MilestoneDoneForm,
    MilestoneForm,
    ProgressForm,
    VersionForm,
    WorkItemForm,
)
from jixiao.goals.models import DepartmentBudget, WorkItem
from jixiao.goals.selectors import get_goal_for_user
from jixiao.org.forms import show_domain_error
from jixiao.org.selectors import get_department_for_user
from jixiao.org.views import form_status, paginate

BUDGETS_PER_PAGE = 100


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and wp.MIN_DATE.year <= int(raw) <= wp.MAX_DATE.year:
        return int(raw)
    return timezone.localdate().year


def _item_urls(items: list[WorkItem]) -> dict[int, str]:
    return {i.pk: reverse("goals:work_item", args=[i.pk]) for i in items}


def _chart(rows: list[wp.ItemRow], today: datetime.date) -> dict[str, Any]:
    data = wp.chart_data(rows, today, _item_urls([r.item for r in rows]))
    data["labels"] = {
        "planned": _("Planned"),
        "actual": _("Done"),
        "overdue": _("Overdue"),
        "over_budget": _("Over budget"),
        "today": _("Today"),
        "milestone": _("Milestone"),
        "owner": _("Owner"),
        "percent": _("Percent complete"),
    }
    return data


def _one_row(item: WorkItem) -> wp.ItemRow:
    rows, _totals = wp.evaluate([item], timezone.localdate())
    return rows[0]


def _fresh_item(user: Any, pk: int) -> WorkItem:
    """The item as it is now, for showing the page again after a refusal."""
    return wp.get_work_item_for_user(user, pk)


# ---------------------------------------------------------------- a goal's plan


@login_required
def work_plan(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_id)
    plan = wp.goal_work_plan(goal)
    return render(
        request,
        "goals/work_plan.html",
        {
            "goal": goal,
            "plan": plan,
            "can_edit_work": wp.can_plan_work(request.user, goal),
            "chart": _chart(plan.rows, plan.today),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_item_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_id)
    if not wp.can_plan_work(request.user, goal):
        raise forbidden()
    owners = wp.owner_candidates(goal)
    error: DomainError | None = None
    if request.method == "POST":
        form = WorkItemForm(request.POST, owners=owners)
        if form.is_valid():
            try:
                item = wp.work_item_create(
                    actor=actor_from_request(request),
                    user=request.user,
                    goal_id=goal.pk,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Work item added."))
                return redirect("goals:work_item", item.pk)
    else:
        initial: dict[str, Any] = {
            "planned_start": goal.period_start,
            "planned_end": goal.period_end,
        }
        if goal.person_id is not None:
            initial["owner"] = goal.person_id
        form = WorkItemForm(initial=initial, owners=owners)
    return render(
        request,
        "goals/work_item_form.html",
        {"form": form, "goal": goal, "item": None},
        status=form_status(error),
    )


# ---------------------------------------------------------------- an item


@login_required
def work_item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = wp.get_work_item_for_user(request.user, pk)
    return _detail(request, item)


def _detail(
    request: HttpRequest,
    item: WorkItem,
    *,
    progress_form: ProgressForm | None = None,
    milestone_form: MilestoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_plan = wp.can_plan_work(user, item.goal)
    can_report = wp.can_update_progress(user, item)
    row = _one_row(item)
    if progress_form is None and can_report:
        progress_form = ProgressForm(initial=ProgressForm.initial_for(item))
    if milestone_form is None and can_plan:
        milestone_form = MilestoneForm(
            initial={"version": item.version, "due_date": item.planned_end}
        )
    return render(
        request,
        "goals/work_item_detail.html",
        {
            "item": item,
            "goal": item.goal,
            "row": row,
            "can_plan": can_plan,
            "can_report": can_report,
            "progress_form": progress_form if can_report else None,
            "milestone_form": milestone_form if can_plan else None,
            "chart": _chart([row], timezone.localdate()),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = wp.get_work_item_for_user(request.user, pk, write=True)
    if not wp.can_plan_work(request.user, item.goal):
        raise forbidden()
    owners = wp.owner_candidates(item.goal, keep=item.owner_id)
    error: DomainError | None = None
    if request.method == "POST":
        form = WorkItemForm(request.POST, owners=owners)
        if form.is_valid():
            try:
                wp.work_item_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    item_id=item.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Work item saved."))
                return redirect("goals:work_item", item.pk)
    else:
        form = WorkItemForm(initial=WorkItemForm.initial_for(item), owners=owners)
    return render(
        request,
        "goals/work_item_form.html",
        {"form": form, "goal": item.goal, "item": item},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_item_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Report progress: the owner of the item, or its planners."""
    item = wp.get_work_item_for_user(request.user, pk, write=True)
    if request.method == "GET":
        return _detail(request, item)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            wp.work_item_update(
                actor=actor_from_request(request),
                user=request.user,
                item_id=item.pk,
                expected_version=form.cleaned_data.get("version") or 0,
                data=form.to_data(item),
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as e:
            show_domain_error(form, e)
            return _detail(
                request, _fresh_item(request.user, pk), progress_form=form, status=form_status(e)
            )
        messages.success(request, _("Progress saved."))
        return redirect("goals:work_item", item.pk)
    return _detail(request, item, progress_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def work_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = wp.get_work_item_for_user(request.user, pk, write=True)
    if not wp.can_plan_work(request.user, item.goal):
        raise forbidden()
    error: DomainError | None = None
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                wp.work_item_delete(
                    actor=actor_from_request(request),
                    user=request.user,
                    item_id=item.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Work item deleted."))
                return redirect("goals:work_plan", item.goal_id)
    else:
        form = VersionForm(initial={"version": item.version})
    return render(
        request,
        "goals/work_confirm.html",
        {
            "form": form,
            "goal": item.goal,
            "item": item,
            "title": _("Delete the work item “%(title)s”?") % {"title": item.title},
            "body": _("Its milestones go with it. The audit trail keeps a record."),
            "button": _("Delete"),
            "cancel_url": reverse("goals:work_item", args=[item.pk]),
        },
        status=form_status(error),
    )


# ---------------------------------------------------------------- milestones


@login_required
@require_http_methods(["GET", "POST"])
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = wp.get_work_item_for_user(request.user, pk, write=True)
    if not wp.can_plan_work(request.user, item.goal):
        raise forbidden()
    if request.method == "GET":
        return _detail(request, item)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            wp.milestone_add(
                actor=actor_from_request(request),
                user=request.user,
                item_id=item.pk,
                expected_version=form.cleaned_data.get("version") or 0,
                data=form.to_data(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as e:
            show_domain_error(form, e)
            return _detail(
                request, _fresh_item(request.user, pk), milestone_form=form, status=form_status(e)
            )
        messages.success(request, _("Milestone added."))
        return redirect("goals:work_item", item.pk)
    return _detail(request, item, milestone_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = wp.get_milestone_for_user(request.user, pk, write=True)
    item = milestone.work_item
    if not wp.can_plan_work(request.user, item.goal):
        raise forbidden()
    error: DomainError | None = None
    if request.method == "POST":
        form = MilestoneForm(request.POST)
        if form.is_valid():
            try:
                wp.milestone_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    milestone_id=milestone.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Milestone saved."))
                return redirect("goals:work_item", item.pk)
    else:
        form = MilestoneForm(initial=MilestoneForm.initial_for(milestone, item.version))
    return render(
        request,
        "goals/work_milestone_form.html",
        {"form": form, "goal": item.goal, "item": item, "milestone": milestone},
        status=form_status(error),
    )


@login_required
@require_POST
def milestone_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a milestone done or not done: its item's owner or planners."""
    milestone = wp.get_milestone_for_user(request.user, pk, write=True)
    form = MilestoneDoneForm(request.POST)
    if not form.is_valid():
        return redirect("goals:work_item", milestone.work_item_id)
    done = bool(form.cleaned_data.get("done"))
    try:
        wp.milestone_complete(
            actor=actor_from_request(request),
            user=request.user,
            milestone_id=milestone.pk,
            expected_version=form.cleaned_data.get("version") or 0,
            done=done,
            done_on=form.cleaned_data.get("done_on"),
        )
    except DomainError as e:
        if e.status in (403, 404):
            raise
        messages.error(request, str(e.message))
        return _detail(
            request,
            _fresh_item(request.user, milestone.work_item_id),
            status=form_status(e) if e.status == 409 else 400,
        )
    messages.success(request, _("Milestone done.") if done else _("Milestone reopened."))
    return redirect("goals:work_item", milestone.work_item_id)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_remove(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = wp.get_milestone_for_user(request.user, pk, write=True)
    item = milestone.work_item
    if not wp.can_plan_work(request.user, item.goal):
        raise forbidden()
    error: DomainError | None = None
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                wp.milestone_remove(
                    actor=actor_from_request(request),
                    user=request.user,
                    milestone_id=milestone.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Milestone removed."))
                return redirect("goals:work_item", item.pk)
    else:
        form = VersionForm(initial={"version": item.version})
    return render(
        request,
        "goals/work_confirm.html",
        {
            "form": form,
            "goal": item.goal,
            "item": item,
            "title": _("Remove the milestone “%(title)s”?") % {"title": milestone.title},
            "body": "",
            "button": _("Remove"),
            "cancel_url": reverse("goals:work_item", args=[item.pk]),
        },
        status=form_status(error),
    )


# ---------------------------------------------------------------- department timeline


@login_required
def department_timeline(request: HttpRequest, dept_id: int) -> HttpResponse:
    department = get_department_for_user(request.user, dept_id)
    year = _year(request)
    include_sub = request.GET.get("sub") == "1"
    timeline = wp.department_timeline(request.user, department, year, include_sub=include_sub)
    this_year = timezone.localdate().year
    return render(
        request,
        "goals/work_department.html",
        {
            "department": department,
            "timeline": timeline,
            "year": year,
            "years": list(range(this_year + 1, this_year - 5, -1)),
            "chart": _chart(timeline.rows, timeline.today),
            "can_read_budgets": wp.may_read_budgets(request.user),
        },
    )


# ---------------------------------------------------------------- budgets


@login_required
def budgets(request: HttpRequest) -> HttpResponse:
    if not wp.may_read_budgets(request.user):
        raise forbidden()
    year = _year(request)
    pagination = paginate(request, wp.budget_departments(request.user), BUDGETS_PER_PAGE)
    departments = list(pagination["page_obj"].object_list)
    this_year = timezone.localdate().year
    return render(
        request,
        "goals/work_budgets.html",
        {
            "year": year,
            "years": list(range(this_year + 1, this_year - 5, -1)),
            "rows": wp.department_budget_rows(request.user, departments, year),
            **pagination,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, department_id: int, year: int) -> HttpResponse:
    department = wp.get_budget_department_for_user(request.user, department_id, write=True)
    budget = DepartmentBudget.objects.filter(department=department, year=year).first()
    error: DomainError | None = None
    if request.method == "POST":
        form = BudgetForm(request.POST)
        if form.is_valid():
            try:
                wp.department_budget_set(
                    actor=actor_from_request(request),
                    user=request.user,
                    department_id=department.pk,
                    year=year,
                    amount=form.cleaned_data["amount"],
                    note=form.cleaned_data.get("note", ""),
                    expected_version=form.cleaned_data.get("version"),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Budget saved."))
                return redirect(f"{reverse('goals:work_budgets')}?year={year}")
    else:
        initial: dict[str, Any] = {"version": budget.version if budget else 0}
        if budget is not None:
            initial.update(amount=budget.amount, note=budget.note)
        form = BudgetForm(initial=initial)
    return render(
        request,
        "goals/work_budget_form.html",
        {"form": form, "department": department, "year": year, "budget": budget},
        status=form_status(error),
    )
