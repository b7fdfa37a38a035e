"""The home page and the helpers every organization page shares.

Views are thin: access helper → form → one service → redirect with a message, or the form again
with the service's errors next to the fields. Departments, posts and people live in
views_departments, views_posts and views_people.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jixiao.core.errors import DomainError
from jixiao.org.access import scope_for
from jixiao.org.selectors import get_person_for_user, scope_counts


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int) -> dict[str, Any]:
    """A page of qs and the query string without `page`, for the pagination links."""
    page: Page[Any] = Paginator(qs, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page_obj": page, "query_without_page": params.urlencode()}


def form_status(error: DomainError | None) -> int:
    """The status of a page that shows a form again: 409 for a concurrent edit, else 200."""
    return 409 if error is not None and error.status == 409 else 200


def posted_form_status(request: HttpRequest, error: DomainError | None) -> int:
    """The status of a form page: 200 when shown, 409 for a stale post, 400 for a post sent
    back with errors."""
    if request.method != "POST":
        return 200
    return 409 if error is not None and error.status == 409 else 400


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") is None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    person = None
    if scope.person_id is not None:
        person = get_person_for_user(request.user, scope.person_id)
    return render(
        request,
        "org/home.html",
        {"person": person, "counts": scope_counts(request.user), "scope": scope},
    )
