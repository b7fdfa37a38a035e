"""The organization tree and the department pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.org import services
from jixiao.org.access import scope_for
from jixiao.org.audit_selectors import audit_history_visible_to
from jixiao.org.forms import DepartmentForm, ReasonForm, SetActiveForm, show_domain_error
from jixiao.org.models import Department
from jixiao.org.pickers import search_options
from jixiao.org.selectors import (
    can_manage_department,
    department_ancestors,
    department_deletable,
    department_tree,
    departments_visible_to,
    get_department_for_user,
    manageable_departments,
    people_visible_to,
    posts_visible_to,
)
from jixiao.org.views import form_status, paginate


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    show_inactive = request.GET.get("inactive") == "1"
    return render(
        request,
        "org/tree.html",
        {
            "roots": department_tree(request.user, include_inactive=show_inactive),
            "show_inactive": show_inactive,
            "can_manage": scope_for(request.user).can_manage_any,
        },
    )


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dept = get_department_for_user(request.user, pk)
    can_manage = can_manage_department(request.user, dept)
    ancestors = department_ancestors(dept)
    visible_ids = set(
        departments_visible_to(request.user)
        .filter(pk__in=[a.pk for a in ancestors])
        .values_list("pk", flat=True)
    )
    people = (
        people_visible_to(request.user)
        .filter(department=dept, is_active=True)
        .order_by("employee_no")
    )
    return render(
        request,
        "org/department_detail.html",
        {
            "department": dept,
            "breadcrumb": [(a, a.pk in visible_ids) for a in ancestors],
            "children": departments_visible_to(request.user)
            .filter(parent=dept)
            .order_by("sort_order", "code"),
            "posts": posts_visible_to(request.user).filter(department=dept).order_by("code"),
            "can_manage": can_manage,
            "deletable": can_manage and department_deletable(dept),
            "history": audit_history_visible_to(request.user, dept) if can_manage else None,
            **paginate(request, people, 50),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.can_manage_any:
        raise forbidden()
    parents = manageable_departments(request.user)
    error: DomainError | None = None
    if request.method == "POST":
        form = DepartmentForm(request.POST, scope=scope, parents=parents)
        if form.is_valid():
            try:
                dept = services.department_create(
                    actor=actor_from_request(request), scope=scope, data=form.to_data()
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Department “%(name)s” created.") % {"name": dept})
                return redirect("org:department_detail", pk=dept.pk)
    else:
        initial = {}
        parent_id = request.GET.get("parent", "")
        if parent_id.isdigit() and parents.filter(pk=int(parent_id)).exists():
            initial["parent"] = int(parent_id)
        form = DepartmentForm(initial=initial, scope=scope, parents=parents)
    return render(
        request,
        "org/department_form.html",
        {"form": form, "department": None},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dept = get_department_for_user(request.user, pk, write=True)
    scope = scope_for(request.user)
    parents = manageable_departments(request.user)
    if dept.parent_id is not None:
        # The current parent stays a valid choice even outside the user's managed subtree.
        parents = parents | Department.objects.filter(pk=dept.parent_id)
    error: DomainError | None = None
    if request.method == "POST":
        form = DepartmentForm(request.POST, scope=scope, parents=parents, editing=dept)
        if form.is_valid():
            try:
                services.department_update(
                    actor=actor_from_request(request),
                    scope=scope,
                    department_id=dept.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Department saved."))
                return redirect("org:department_detail", pk=dept.pk)
    else:
        form = DepartmentForm(
            initial=DepartmentForm.initial_for(dept), scope=scope, parents=parents, editing=dept
        )
    return render(
        request,
        "org/department_form.html",
        {"form": form, "department": dept},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active department, or reactivate an inactive one (the form says which)."""
    dept = get_department_for_user(request.user, pk, write=True)
    error: DomainError | None = None
    if request.method == "POST":
        form = SetActiveForm(request.POST)
        if form.is_valid():
            active = bool(form.cleaned_data["active"])
            try:
                services.department_set_active(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    department_id=dept.pk,
                    active=active,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(
                    request,
                    _("Department reactivated.") if active else _("Department deactivated."),
                )
                return redirect("org:department_detail", pk=dept.pk)
    else:
        form = SetActiveForm(initial={"active": not dept.is_active})
    return render(
        request,
        "org/department_confirm.html",
        {"form": form, "department": dept, "action": "reactivate" if not dept.is_active else ""},
        status=400 if error is not None else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dept = get_department_for_user(request.user, pk, write=True)
    error: DomainError | None = None
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if form.is_valid():
            parent_id = dept.parent_id
            try:
                services.department_delete(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    department_id=dept.pk,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Department deleted."))
                if parent_id is not None:
                    return redirect("org:department_detail", pk=parent_id)
                return redirect("org:tree")
    else:
        form = ReasonForm()
    return render(
        request,
        "org/department_confirm.html",
        {"form": form, "department": dept, "action": "delete"},
        status=400 if error is not None else 200,
    )


PICKER_SETS = {"visible", "manage"}


@login_required
def picker_options(request: HttpRequest, kind: str) -> HttpResponse:
    """Options matching a search, for the pickers of large organizations (htmx)."""
    choice_set = request.GET.get("set", "visible")
    if choice_set not in PICKER_SETS:
        raise Http404
    qs: QuerySet[Any]
    if kind == "departments":
        qs = (
            manageable_departments(request.user)
            if choice_set == "manage"
            else departments_visible_to(request.user)
        )
    elif kind == "posts":
        qs = posts_visible_to(request.user).filter(is_active=True)
    elif kind == "people":
        qs = people_visible_to(request.user).select_related(None).filter(is_active=True)
    else:
        raise Http404
    return render(
        request,
        "org/widgets/picker_options.html",
        {
            "options": search_options(kind, qs, request.GET.get("picker_q", "")),
            "blank": request.GET.get("blank") == "1",
        },
    )
