"""Turns a DomainError that escaped a view into the right page: 403, 404, or a plain refusal."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jixiao.core.errors import DomainError
from jixiao.core.views import page_not_found, permission_denied


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(exception.as_dict(), status=exception.status)
        if exception.status == 403:
            return permission_denied(request)
        if exception.status == 404:
            return page_not_found(request)
        return render(request, "core/refused.html", {"error": exception}, status=exception.status)
