"""People: the filtered list, the person page, and the maintenance forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.accounts.models import User
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.org import services
from jixiao.org.access import Scope, scope_for
from jixiao.org.audit_selectors import audit_history_visible_to
from jixiao.org.caches import ranks_in_use
from jixiao.org.forms import (
    PeopleFilterForm,
    PersonCreateForm,
    PersonEditForm,
    PersonStatusForm,
    ReasonForm,
    RoleGrantForm,
    optional_pk,
    show_domain_error,
)
from jixiao.org.models import Person, PersonStatus, Post, RoleGrant
from jixiao.org.selectors import (
    PeopleFilter,
    can_manage_department,
    departments_visible_to,
    get_person_for_user,
    manageable_departments,
    people_filtered,
    people_visible_to,
    posts_visible_to,
    reporting_chain,
)
from jixiao.org.services_accounts import account_refusal
from jixiao.org.views import form_status, is_htmx, paginate

PEOPLE_PER_PAGE = 50
# Service field names that differ on the role grant form.
ROLE_FIELD_MAP = {"scope": "scope_department"}


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    departments = departments_visible_to(request.user).order_by("path")
    form = PeopleFilterForm(request.GET or None, departments=departments, ranks=ranks_in_use())
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = PeopleFilter(
        q=cd.get("q", ""),
        department_id=optional_pk(cd.get("department")),
        include_subdepartments=cd.get("subdepartments", "1") != "0",
        status=cd.get("status", ""),
        post_class=cd.get("post_class", ""),
        rank=cd.get("rank", ""),
        active=cd.get("active", "1") if form.is_bound else "1",
    )
    context: dict[str, Any] = {
        "form": form,
        "can_manage": scope_for(request.user).can_manage_any,
        **paginate(request, people_filtered(request.user, f), PEOPLE_PER_PAGE),
    }
    template = "org/people_list.html#results" if is_htmx(request) else "org/people_list.html"
    return render(request, template, context)


def _role_grants(person: Person) -> QuerySet[RoleGrant]:
    if person.user_id is None:
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(user_id=person.user_id).select_related("scope")


def _removable(scope: Scope, grant: RoleGrant) -> bool:
    if grant.scope is None:
        return scope.is_system_admin
    return scope.covers_path(grant.scope.path, manage=True)


def _account_context(
    request: HttpRequest, scope: Scope, person: Person, account: User | None
) -> dict[str, Any]:
    """The sign-in account card, for those who manage the person (None: no card details)."""
    if account is None:
        return {"account": None, "account_refusal": None, "account_history": None}
    return {
        "account": account,
        "account_refusal": account_refusal(scope, person, account),
        "account_history": audit_history_visible_to(request.user, account, 10),
    }


def _person_page(
    request: HttpRequest, person: Person, role_form: RoleGrantForm | None = None, status: int = 200
) -> HttpResponse:
    can_manage = can_manage_department(request.user, person.department)
    scope = scope_for(request.user)
    if can_manage and role_form is None and person.user_id is not None:
        role_form = RoleGrantForm(scope=scope, departments=manageable_departments(request.user))
    grants = list(_role_grants(person))
    account = person.user
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "chain": reporting_chain(person),
            "reports": people_visible_to(request.user)
            .filter(superior=person, is_active=True)
            .order_by("employee_no"),
            "status_history": person.status_changes.all(),
            "grants": [(g, _removable(scope, g)) for g in grants],
            "role_form": role_form if can_manage else None,
            "can_manage": can_manage,
            "history": audit_history_visible_to(request.user, person) if can_manage else None,
            **_account_context(request, scope, person, account if can_manage else None),
        },
        status=status,
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, get_person_for_user(request.user, pk))


def _person_choices(request: HttpRequest, person: Person | None) -> dict[str, Any]:
    """The querysets of the person form's selects, always keeping the current values."""
    departments = manageable_departments(request.user)
    posts = posts_visible_to(request.user).filter(is_active=True)
    superiors = people_visible_to(request.user).filter(is_active=True)
    if person is not None:
        if person.post_id is not None:
            posts = posts | Post.objects.filter(pk=person.post_id)
        if person.superior_id is not None:
            superiors = superiors | Person.objects.filter(pk=person.superior_id)
        superiors = superiors.exclude(pk=person.pk)
    return {
        "departments": departments,
        "posts": posts.select_related("department").order_by("department__path", "code"),
        "superiors": superiors.select_related(None).order_by("employee_no"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.can_manage_any:
        raise forbidden()
    choices = _person_choices(request, None)
    error: DomainError | None = None
    if request.method == "POST":
        form = PersonCreateForm(request.POST, **choices)
        if form.is_valid():
            try:
                person = services.person_create(
                    actor=actor_from_request(request), scope=scope, data=form.to_data()
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("%(name)s added.") % {"name": person})
                return redirect("org:person_detail", pk=person.pk)
    else:
        initial: dict[str, Any] = {"status": PersonStatus.ACTIVE}
        dept_id = request.GET.get("department", "")
        if dept_id.isdigit() and choices["departments"].filter(pk=int(dept_id)).exists():
            initial["department"] = int(dept_id)
        form = PersonCreateForm(initial=initial, **choices)
    return render(
        request,
        "org/person_form.html",
        {"form": form, "person": None},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    choices = _person_choices(request, person)
    error: DomainError | None = None
    if request.method == "POST":
        form = PersonEditForm(request.POST, **choices)
        if form.is_valid():
            try:
                services.person_update(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    person_id=person.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Personal record saved."))
                return redirect("org:person_detail", pk=person.pk)
    else:
        form = PersonEditForm(initial=PersonEditForm.initial_for(person), **choices)
    return render(
        request,
        "org/person_form.html",
        {"form": form, "person": person},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_status(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    error: DomainError | None = None
    if request.method == "POST":
        form = PersonStatusForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.person_change_status(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    person_id=person.pk,
                    expected_version=cd["version"],
                    status=cd["status"],
                    start_date=cd["start_date"],
                    note=cd["note"],
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Status recorded."))
                return redirect("org:person_detail", pk=person.pk)
    else:
        form = PersonStatusForm(initial={"status": person.status, "version": person.version})
    return render(
        request,
        "org/person_status.html",
        {"form": form, "person": person},
        status=form_status(error),
    )


@login_required
@require_POST
def role_grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    scope = scope_for(request.user)
    form = RoleGrantForm(
        request.POST, scope=scope, departments=manageable_departments(request.user)
    )
    if person.user_id is None:
        form.is_valid()
        form.add_error(None, _("This person has no sign-in account."))
        return _person_page(request, person, form, status=400)
    if form.is_valid():
        dept = form.cleaned_data.get("scope_department")
        try:
            services.role_grant_add(
                actor=actor_from_request(request),
                scope=scope,
                user_id=person.user_id,
                role=form.cleaned_data["role"],
                scope_department_id=dept.pk if dept is not None else None,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as e:
            if e.status == 403:
                raise
            show_domain_error(form, e, ROLE_FIELD_MAP)
        else:
            messages.success(request, _("Role granted."))
            return redirect("org:person_detail", pk=person.pk)
    return _person_page(request, person, form, status=400)


@login_required
@require_POST
def role_grant_remove(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    if person.user_id is None:
        raise forbidden()
    grant = get_object_or_404(RoleGrant, pk=grant_id, user_id=person.user_id)
    form = ReasonForm(request.POST)
    form.is_valid()
    services.role_grant_remove(
        actor=actor_from_request(request),
        scope=scope_for(request.user),
        grant_id=grant.pk,
        reason=form.cleaned_data.get("reason", ""),
    )
    messages.success(request, _("Role removed."))
    return redirect("org:person_detail", pk=person.pk)
