"""Every page and endpoint, found by walking the URL configuration, refuses anonymous users.

New routes are covered automatically: a page redirects to sign-in, an API endpoint answers 401.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "/accounts/login/",
    "/i18n/setlang/",
    "/api/docs",
    "/api/openapi.json",
    # One-time rating codes (考核码): the printed code is the credential, no account needed.
    "/appraisals/code/",
    "/appraisals/code/rate/",
    "/appraisals/code/thanks/",
}


# The API's catch-all answers an unknown path with a JSON 404 to everyone: it holds no data.
UNKNOWN_API_PATHS = {"/api/", "/api/x"}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + route)
        else:
            yield prefix + route


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<(?:int:)?[a-z_]+>", "999999", route)
    route = re.sub(r"<(?:str|slug|path):[a-z_]+>", "x", route)
    route = re.sub(r"\{[a-z_]+\}", "999999", route)
    return "/" + route.replace("\\", "")


def all_routes() -> list[str]:
    return sorted({_concrete(r) for r in _walk(get_resolver().url_patterns)})


def protected_routes() -> list[str]:
    """All routes but the few that are public by design: sign-in, language switch, API docs."""
    return [u for u in all_routes() if u not in PUBLIC and not u.startswith("/static/")]


@pytest.mark.parametrize("url", protected_routes())
def test_anonymous_is_refused(client, db, url: str) -> None:
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if url in UNKNOWN_API_PATHS:
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.json()["code"] == "not_found"
        elif url.startswith("/api/"):
            assert response.status_code in {401, 405}, (method, url, response.status_code)
        else:
            assert response.status_code in {302, 405}, (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), url


def test_route_walk_finds_the_main_pages() -> None:
    routes = all_routes()
    for expected in ["/org/", "/org/people/", "/audit/", "/imports/", "/api/me"]:
        assert expected in routes
