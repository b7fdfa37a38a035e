"""How API callers prove who they are.

Scripts send a personal token (`Authorization: Bearer jx_...`); the browser (and the API docs
page) reuses the Django session, with Django's CSRF check on unsafe methods.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jixiao.accounts.middleware import password_change_required
from jixiao.accounts.models import User
from jixiao.accounts.services import user_for_token
from jixiao.core.errors import DomainError


class ApiTokenAuth(HttpBearer):
    """A personal API token created on the profile page; revoked tokens are refused."""

    openapi_bearerFormat = "jx_…"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is None:
            return None
        if user.must_change_password:
            # A token does not bypass the one-time password an administrator issued.
            raise password_change_required()
        # Code that reads request.user sees the token's owner, as with a session.
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session. Unsafe methods need the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        # Check the session before CSRF, so that a caller with no credentials gets 401.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise DomainError(
                "csrf_failed",
                _("The CSRF check failed: send the csrftoken cookie value as X-CSRFToken."),
                status=403,
            )
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


def api_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by one of the classes above)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise DomainError("not_authenticated", _("Authentication is required."), status=401)
    return user
