"""A person's sign-in account: open it, reset its password, disable and enable it.

Same access as editing the person (outsider 404, reader 403); the services decide the rest.
A generated password appears in exactly one response, which is never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.accounts.forms import AccountCreateForm
from jixiao.accounts.selectors import suggest_username
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.core.forms import apply_domain_error
from jixiao.org import services_accounts
from jixiao.org.access import scope_for
from jixiao.org.forms import ReasonForm
from jixiao.org.models import Person
from jixiao.org.selectors import get_person_for_user
from jixiao.org.services_accounts import IssuedAccount
from jixiao.org.views import form_status


def _one_time_password_page(
    request: HttpRequest, person: Person, issued: IssuedAccount, *, created: bool
) -> HttpResponse:
    response = render(
        request,
        "org/person_account_password.html",
        {"person": person, "account": issued.user, "password": issued.password, "created": created},
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def person_account_create(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    if person.user_id is not None:
        messages.info(request, _("This person already has a sign-in account."))
        return redirect("org:person_detail", pk=person.pk)
    error: DomainError | None = None
    if request.method == "POST":
        form = AccountCreateForm(request.POST)
        if form.is_valid():
            try:
                issued = services_accounts.user_create_for_person(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    person_id=person.pk,
                    username=form.cleaned_data["username"],
                    password=form.typed_password(),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                if e.status == 403:
                    raise
                error = e
                apply_domain_error(form, e, {"password": "password1"})
            else:
                if issued.password is not None:
                    return _one_time_password_page(request, person, issued, created=True)
                messages.success(
                    request,
                    _(
                        "Sign-in account “%(username)s” opened. Give the password to %(name)s "
                        "in private: they must change it at first sign-in."
                    )
                    % {"username": issued.user.username, "name": person.name},
                )
                return redirect("org:person_detail", pk=person.pk)
    else:
        form = AccountCreateForm(initial={"username": suggest_username(person.employee_no)})
    return render(
        request,
        "org/person_account_form.html",
        {"form": form, "person": person},
        status=form_status(error),
    )


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return str(form.cleaned_data.get("reason", "")) if form.is_valid() else ""


def _refused(request: HttpRequest, person: Person, error: DomainError) -> HttpResponse:
    """A 403 is a 403 page; anything else (no account, person left) is a notice on the page."""
    if error.status == 403:
        raise error
    messages.error(request, str(error.message))
    return redirect("org:person_detail", pk=person.pk)


@login_required
@require_POST
def person_account_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    try:
        issued = services_accounts.user_reset_password(
            actor=actor_from_request(request),
            scope=scope_for(request.user),
            person_id=person.pk,
            reason=_reason(request),
        )
    except DomainError as e:
        return _refused(request, person, e)
    return _one_time_password_page(request, person, issued, created=False)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    person = get_person_for_user(request.user, pk, write=True)
    service = services_accounts.user_enable if active else services_accounts.user_disable
    try:
        user = service(
            actor=actor_from_request(request),
            scope=scope_for(request.user),
            person_id=person.pk,
            reason=_reason(request),
        )
    except DomainError as e:
        return _refused(request, person, e)
    if active:
        message = _("Sign-in account “%(username)s” enabled.")
    else:
        message = _("Sign-in account “%(username)s” disabled: it can no longer sign in.")
    messages.success(request, message % {"username": user.username})
    return redirect("org:person_detail", pk=person.pk)


@login_required
@require_POST
def person_account_disable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@login_required
@require_POST
def person_account_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)
