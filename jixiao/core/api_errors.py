"""JSON errors for the API: every refusal has the shape {"code", "message", "errors": [...]}.

Handlers are registered on the NinjaAPI root so that domain errors, 404s, permission refusals,
bad input and missing authentication all reach a client in the same form, in the language of
the request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from jixiao.core.errors import DomainError, FieldError

logger = logging.getLogger(__name__)

BAD_JSON_PREFIX = "Cannot parse request body"


class FieldErrorOut(Schema):
    field: str | None
    code: str
    message: str


class ErrorOut(Schema):
    """The body of every error response."""

    code: str
    message: str
    errors: list[FieldErrorOut]


ERROR_RESPONSES: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
}
"""Error responses shared by every operation, for the OpenAPI document."""


def error_response(
    status: int,
    code: str,
    message: str,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JsonResponse:
    items = list(errors) or [FieldError(None, code, message)]
    body = {"code": code, "message": message, "errors": [e.as_dict() for e in items]}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def not_authenticated_response() -> JsonResponse:
    return error_response(
        401,
        "not_authenticated",
        _("Sign in, or send a personal API token as 'Authorization: Bearer jx_…'."),
        headers={"WWW-Authenticate": 'Bearer realm="jixiao"'},
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """The field a pydantic location points at, without the source ("body", "query")."""
    parts = [str(p) for p in loc[1:]]
    # A body schema parameter is read as {"<param>": <body>}: drop the parameter name.
    if loc and loc[0] == "body" and parts:
        parts = parts[1:]
    return ".".join(parts) or None


def _pydantic_message(kind: str, ctx: Mapping[str, Any], fallback: str) -> str:
    """A translated message for the pydantic error types a client can cause."""
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind == "null_not_allowed":
        return _("This field cannot be null; leave it out to keep its value.")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter text.")
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"float_type", "float_parsing", "decimal_parsing", "decimal_type"}:
        return _("Enter a number.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
    }:
        return _("Enter a date as YYYY-MM-DD.")
    if kind in {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}:
        return _("Enter a date and time in ISO 8601 form.")
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "string_too_long":
        return _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length", "")}
    if kind in {"greater_than_equal", "greater_than"}:
        bound = ctx.get("ge", ctx.get("gt", ""))
        return _("Enter a number not below %(n)s.") % {"n": bound}
    if kind in {"less_than_equal", "less_than"}:
        bound = ctx.get("le", ctx.get("lt", ""))
        return _("Enter a number not above %(n)s.") % {"n": bound}
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Send a JSON object.")
    if kind == "list_type":
        return _("Send a list.")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return fallback


def field_errors_from_validation(exc: NinjaValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for item in exc.errors:
        kind = str(item.get("type", "invalid"))
        ctx = item.get("ctx") or {}
        message = _pydantic_message(kind, ctx, str(item.get("msg", "")))
        out.append(FieldError(_field_name(item.get("loc", ())), kind, message))
    return out


def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = field_errors_from_validation(exc)
    message = errors[0].message if len(errors) == 1 else _("Some fields are not valid.")
    return error_response(400, "validation_failed", message, errors)


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


def on_not_found(request: HttpRequest, exc: object) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


def on_permission_denied(request: HttpRequest, exc: object) -> HttpResponse:
    return error_response(403, "forbidden", _("You do not have permission to do this."))


def on_authentication_error(request: HttpRequest, exc: object) -> HttpResponse:
    return not_authenticated_response()


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if status == 400 and str(exc).startswith(BAD_JSON_PREFIX):
        message = _("The request body is not valid JSON.")
        return error_response(
            400, "validation_failed", message, [FieldError(None, "invalid_json", message)]
        )
    if status == 401:
        return not_authenticated_response()
    if status == 403:
        return error_response(403, "forbidden", _("You do not have permission to do this."))
    if status == 404:
        return error_response(404, "not_found", _("Not found."))
    if status == 429:
        return error_response(429, "throttled", _("Too many requests; try again shortly."))
    return error_response(status, "bad_request", str(exc))


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(
        500, "server_error", _("Something went wrong on the server; the error was logged.")
    )


def _register[E: Exception](
    api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja types handlers as taking "E | type[E]"; it always passes the instance.
    api.add_exception_handler(exc_class, cast(Any, handler))


def register_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers (which answer {"detail": ...}) with ours."""
    _register(api, Exception, on_unexpected)
    _register(api, DomainError, on_domain_error)
    _register(api, NinjaValidationError, on_validation_error)
    _register(api, AuthenticationError, on_authentication_error)
    _register(api, HttpError, on_http_error)
    _register(api, Http404, on_not_found)
    _register(api, ObjectDoesNotExist, on_not_found)
    _register(api, PermissionDenied, on_permission_denied)


def json_refusals(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an API view so the refusals ninja makes outside its exception handlers (405 for a
    wrong method, 404 at the API root) are JSON like every other error."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return on_not_found(request, None)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return error_response(
                405,
                "method_not_allowed",
                _("This method is not allowed here."),
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return wrapped


def fallback_router() -> Router:
    """Answers unknown paths under /api/ with a JSON 404. Mount it last."""
    router = Router(auth=None)

    @router.api_operation(
        ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
    )
    def unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
        raise Http404

    return router
