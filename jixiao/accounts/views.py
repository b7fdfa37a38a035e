"""Sign-in, sign-out, password change, and the profile page with personal API tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.accounts import services
from jixiao.accounts.forms import ApiTokenCreateForm, PasswordChangeForm, SignInForm
from jixiao.accounts.middleware import must_change_password
from jixiao.accounts.models import User
from jixiao.accounts.selectors import api_tokens_of, get_api_token_for_user
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.core.forms import apply_domain_error

TOKENS_PER_PAGE = 20


def _user(request: HttpRequest) -> User:
    """The signed-in user (views using this are behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        """Straight to the change-password page while a one-time password is in use."""
        url = super().get_success_url()
        if must_change_password(self.request.user):
            return f"{reverse('accounts:password_change')}?{urlencode({'next': url})}"
        return url


def _safe_next(request: HttpRequest) -> str | None:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET); back to sign-in with a notice."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    forced = user.must_change_password
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=actor_from_request(request),
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            if forced:
                return redirect(_safe_next(request) or "home")
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})


def _profile_context(request: HttpRequest, token_form: ApiTokenCreateForm) -> dict[str, Any]:
    user = _user(request)
    person = getattr(user, "person", None)
    page_obj = Paginator(api_tokens_of(user), TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "profile_user": user,
        "person": person,
        "department_name": person.department.name if person is not None else "",
        "page_obj": page_obj,
        "tokens": page_obj.object_list,
        "query_without_page": query.urlencode(),
        "token_form": token_form,
    }


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request, ApiTokenCreateForm()))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if form.is_valid():
        try:
            issued = services.api_token_create(
                actor=actor_from_request(request),
                user=_user(request),
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # The secret exists only in this response: it is never stored, so it is shown once.
            response = render(
                request,
                "accounts/token_created.html",
                {"token": issued.token, "secret": issued.secret},
            )
            add_never_cache_headers(response)
            return response
    return render(request, "accounts/profile.html", _profile_context(request, form))


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    token = get_api_token_for_user(request.user, pk)
    if token.is_active:
        services.api_token_revoke(actor=actor_from_request(request), token=token)
        messages.success(
            request, _("The token “%(name)s” has been revoked.") % {"name": token.name}
        )
    else:
        messages.info(
            request, _("The token “%(name)s” was already revoked.") % {"name": token.name}
        )
    return redirect("accounts:profile")
