"""Posts (岗位) with their written duties."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.org import services
from jixiao.org.access import scope_for
from jixiao.org.audit_selectors import audit_history_visible_to
from jixiao.org.forms import (
    PostFilterForm,
    PostForm,
    SetActiveForm,
    optional_pk,
    show_domain_error,
)
from jixiao.org.models import Department
from jixiao.org.selectors import (
    PostFilter,
    can_manage_department,
    departments_visible_to,
    get_post_for_user,
    manageable_departments,
    people_visible_to,
    posts_filtered,
)
from jixiao.org.views import form_status, paginate

POSTS_PER_PAGE = 50


@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    departments = departments_visible_to(request.user).order_by("path")
    form = PostFilterForm(request.GET or None, departments=departments)
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = PostFilter(
        q=cd.get("q", ""),
        department_id=optional_pk(cd.get("department")),
        category=cd.get("category", ""),
        post_class=cd.get("post_class", ""),
        active=cd.get("active", "1") if form.is_bound else "1",
    )
    return render(
        request,
        "org/post_list.html",
        {
            "form": form,
            "can_manage": scope_for(request.user).can_manage_any,
            **paginate(request, posts_filtered(request.user, f), POSTS_PER_PAGE),
        },
    )


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk)
    can_manage = can_manage_department(request.user, post.department)
    return render(
        request,
        "org/post_detail.html",
        {
            "post": post,
            "holders": people_visible_to(request.user)
            .filter(post=post, is_active=True)
            .order_by("employee_no"),
            "can_manage": can_manage,
            "history": audit_history_visible_to(request.user, post) if can_manage else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.can_manage_any:
        raise forbidden()
    departments = manageable_departments(request.user)
    error: DomainError | None = None
    if request.method == "POST":
        form = PostForm(request.POST, departments=departments)
        if form.is_valid():
            try:
                post = services.post_create(
                    actor=actor_from_request(request), scope=scope, data=form.to_data()
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Post “%(name)s” created.") % {"name": post})
                return redirect("org:post_detail", pk=post.pk)
    else:
        initial = {}
        dept_id = request.GET.get("department", "")
        if dept_id.isdigit() and departments.filter(pk=int(dept_id)).exists():
            initial["department"] = int(dept_id)
        form = PostForm(initial=initial, departments=departments)
    return render(
        request, "org/post_form.html", {"form": form, "post": None}, status=form_status(error)
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk, write=True)
    scope = scope_for(request.user)
    departments = manageable_departments(request.user) | Department.objects.filter(
        pk=post.department_id
    )
    error: DomainError | None = None
    if request.method == "POST":
        form = PostForm(request.POST, departments=departments, editing=True)
        if form.is_valid():
            try:
                services.post_update(
                    actor=actor_from_request(request),
                    scope=scope,
                    post_id=post.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Post saved."))
                return redirect("org:post_detail", pk=post.pk)
    else:
        form = PostForm(initial=PostForm.initial_for(post), departments=departments, editing=True)
    return render(
        request, "org/post_form.html", {"form": form, "post": post}, status=form_status(error)
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active post, or reactivate an inactive one (the form says which)."""
    post = get_post_for_user(request.user, pk, write=True)
    error: DomainError | None = None
    if request.method == "POST":
        form = SetActiveForm(request.POST)
        if form.is_valid():
            active = bool(form.cleaned_data["active"])
            try:
                services.post_set_active(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    post_id=post.pk,
                    active=active,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(
                    request, _("Post reactivated.") if active else _("Post deactivated.")
                )
                return redirect("org:post_detail", pk=post.pk)
    else:
        form = SetActiveForm(initial={"active": not post.is_active})
    return render(
        request,
        "org/post_confirm.html",
        {"form": form, "post": post},
        status=400 if error is not None else 200,
    )
