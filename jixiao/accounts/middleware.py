"""Until a user replaces a password an administrator issued, they can only change it.

Pages redirect to the change-password page (keeping where the user wanted to go); API calls
with the session answer a JSON 403. Signing out and switching the language stay possible.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from jixiao.core.errors import DomainError


def password_change_required() -> DomainError:
    return DomainError(
        "password_change_required",
        _("Change the one-time password you were given before doing anything else."),
        status=403,
    )


def must_change_password(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "must_change_password", False)
    )


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _allowed(self, path: str) -> bool:
        allowed = (
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("accounts:login"),
            "/i18n/",
            settings.STATIC_URL or "/static/",
        )
        return any(path.startswith(p) for p in allowed)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not must_change_password(getattr(request, "user", None)) or self._allowed(request.path):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            error = password_change_required()
            return JsonResponse(
                error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
            )
        target = reverse("accounts:password_change")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
