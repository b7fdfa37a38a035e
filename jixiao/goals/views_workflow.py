"""Workflow actions on goals (submit, approve, return, lock, close), change requests and the
approvals page. Each action is a POST that calls one service and redirects back with a
message; a refusal is shown as an error message, nothing the person typed is lost (comments
are kept in the form shown again). Only the lack of a right is not a message: it answers 403
(and a goal outside scope 404), as on every other page."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.goals import workflow
from jixiao.goals.forms import (
    CloseForm,
    CommentForm,
    DecisionForm,
    GoalForm,
    key_result_formset,
    key_result_initial,
    key_results_from,
    show_goal_error,
)
from jixiao.goals.models import ChangeRequest, GoalOutcome
from jixiao.goals.permissions import can_close_goal, can_request_change
from jixiao.goals.selectors import approval_queue, get_goal_for_user, pending_change_request
from jixiao.goals.services import _owner_of
from jixiao.goals.views import _goal_form
from jixiao.org.views import form_status


def _version(request: HttpRequest, fallback: int) -> int:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else fallback


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the action came from (a local path only), else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _act(
    request: HttpRequest, pk: int, action: Callable[..., Any], success: str, **kwargs: Any
) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    try:
        action(
            actor=actor_from_request(request),
            user=request.user,
            goal_id=goal.pk,
            expected_version=_version(request, goal.version),
            **kwargs,
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        for fe in exc.all_errors():
            messages.error(request, str(fe.message))
    else:
        messages.success(request, success)
    return _back(request, reverse("goals:detail", args=[goal.pk]))


@login_required
@require_POST
def goal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, workflow.goal_submit, _("The goal was submitted for approval."))


@login_required
@require_POST
def goal_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        workflow.goal_approve,
        _("The goal was approved."),
        comment=request.POST.get("comment", ""),
    )


@login_required
@require_POST
def goal_return(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            workflow.goal_return(
                actor=actor_from_request(request),
                user=request.user,
                goal_id=goal.pk,
                expected_version=form.cleaned_data["version"],
                comment=form.cleaned_data.get("comment", ""),
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            for fe in exc.all_errors():
                form.add_error("comment" if fe.field == "comment" else None, str(fe.message))
        else:
            messages.success(request, _("The goal was returned with your comments."))
            return redirect("goals:detail", goal.pk)
    return render(
        request,
        "goals/goal_return.html",
        {"goal": goal, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def goal_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, workflow.goal_lock, _("The goal is locked for its period."))


@login_required
@require_http_methods(["GET", "POST"])
def goal_close(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    if request.method == "GET" and not can_close_goal(request.user, goal):
        # The form is for those who may close; a POST gets the service's own refusal.
        raise DomainError("forbidden", _("You cannot close this goal."), status=403)
    suggestion = workflow.suggested_outcome(goal.progress)
    form = CloseForm(request.POST or None, initial={"outcome": suggestion, "version": goal.version})
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            workflow.goal_close(
                actor=actor_from_request(request),
                user=request.user,
                goal_id=goal.pk,
                expected_version=form.cleaned_data["version"],
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data.get("note", ""),
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
            for fe in exc.all_errors():
                form.add_error(fe.field if fe.field in form.fields else None, str(fe.message))
        else:
            messages.success(request, _("The goal is closed."))
            return redirect("goals:detail", goal.pk)
    return render(
        request,
        "goals/goal_close.html",
        {"goal": goal, "form": form, "suggestion": GoalOutcome(suggestion).label},
        status=form_status(error),
    )


# ---------------------------------------------------------------- change requests


@login_required
@require_http_methods(["GET", "POST"])
def change_request_new(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, pk)
    if not can_request_change(request.user, goal):
        raise DomainError("forbidden", _("You cannot ask for a change to this goal."), status=403)
    pending = pending_change_request(goal)
    owner = _owner_of(goal)
    form = _goal_form(
        request,
        owner,
        goal,
        ask_reason=True,
        data=request.POST or None,
        initial=GoalForm.initial_for(goal),
    )
    formset = key_result_formset(request.POST or None, initial=key_result_initial(goal))
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            workflow.change_request_create(
                actor=actor_from_request(request),
                user=request.user,
                goal_id=goal.pk,
                expected_version=form.cleaned_data.get("version") or goal.version,
                data=form.to_data(key_results_from(formset)),
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as exc:
            error = exc
            show_goal_error(form, formset, exc)
        else:
            messages.success(request, _("Your change request was sent for a decision."))
            return redirect("goals:detail", goal.pk)
    return render(
        request,
        "goals/change_request_form.html",
        {"goal": goal, "form": form, "formset": formset, "owner": owner, "pending": pending},
        status=form_status(error),
    )


def _decide(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    change = ChangeRequest.objects.filter(pk=pk).select_related("goal").first()
    if change is None:
        raise Http404
    goal = get_goal_for_user(request.user, change.goal_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if approve:
                workflow.change_request_approve(
                    actor=actor_from_request(request),
                    user=request.user,
                    request_id=change.pk,
                    expected_version=form.cleaned_data["version"],
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(request, _("The change was approved and applied."))
            else:
                workflow.change_request_reject(
                    actor=actor_from_request(request),
                    user=request.user,
                    request_id=change.pk,
                    expected_version=form.cleaned_data["version"],
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(request, _("The change was not approved."))
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            for fe in exc.all_errors():
                messages.error(request, str(fe.message))
    return redirect("goals:detail", goal.pk)


@login_required
@require_POST
def change_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def change_request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@login_required
@require_POST
def change_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    change = ChangeRequest.objects.filter(pk=pk).first()
    if change is None:
        raise Http404
    goal = get_goal_for_user(request.user, change.goal_id)
    try:
        workflow.change_request_withdraw(
            actor=actor_from_request(request),
            user=request.user,
            request_id=change.pk,
            expected_version=_version(request, change.version),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your change request was withdrawn."))
    return redirect("goals:detail", goal.pk)


# ---------------------------------------------------------------- approvals


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    queue = approval_queue(request.user, today=datetime.date.today())
    to_close = [(g, workflow.suggested_outcome(g.progress)) for g in queue.to_close]
    return render(
        request,
        "goals/approvals.html",
        {
            "queue": queue,
            "to_close": [(g, outcome, GoalOutcome(outcome).label) for g, outcome in to_close],
        },
    )


@login_required
@require_POST
def close_suggested(request: HttpRequest) -> HttpResponse:
    """Close the ticked goals with the outcome their progress suggests."""
    items = []
    for value in request.POST.getlist("close"):
        goal_id, _sep, rest = value.partition(":")
        version, _sep, outcome = rest.partition(":")
        if goal_id.isdigit() and version.isdigit():
            items.append(workflow.CloseItem(int(goal_id), int(version), outcome))
    if not items:
        messages.error(request, _("Tick the goals to close."))
        return redirect("goals:approvals")
    try:
        closed = workflow.goals_close_suggested(
            actor=actor_from_request(request), user=request.user, items=items
        )
    except DomainError as exc:
        for fe in exc.all_errors():
            messages.error(request, str(fe.message))
    else:
        messages.success(request, _("%(n)s goals were closed.") % {"n": closed})
    return redirect("goals:approvals")


@login_required
@require_POST
def lock_period(request: HttpRequest) -> HttpResponse:
    department = request.POST.get("department", "")
    period = request.POST.get("period", "")
    if not department.isdigit():
        messages.error(request, _("Choose a department."))
        return redirect("goals:approvals")
    try:
        n = workflow.goals_lock_period(
            actor=actor_from_request(request),
            user=request.user,
            period=period,
            department_id=int(department),
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)s approved goals were locked.") % {"n": n})
    return _back(request, reverse("goals:approvals"))
