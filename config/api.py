"""The NinjaAPI root: /api/, OpenAPI 3.1 at /api/openapi.json, interactive docs at /api/docs.

The docs page is served from our own static files (ninja is in INSTALLED_APPS), so it works
on intranets without a CDN and under the site's Content-Security-Policy.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Swagger

from jixiao.accounts.api_auth import ApiTokenAuth, SessionAuth
from jixiao.appraisals.api_office import router as appraisals_office_router
from jixiao.appraisals.api_rating import router as appraisals_rating_router
from jixiao.appraisals.api_recipients import router as appraisals_recipients_router
from jixiao.appraisals.api_results import router as appraisals_results_router
from jixiao.appraisals.api_schemes import router as appraisals_schemes_router
from jixiao.appraisals.api_series import router as appraisals_series_router
from jixiao.core.api_errors import fallback_router, json_refusals, register_error_handlers
from jixiao.goals.api import router as goals_router
from jixiao.goals.api_talk import router as goals_talk_router
from jixiao.goals.api_work import router as work_router
from jixiao.indicators.api import router as indicators_router
from jixiao.org.api import router as org_router
from jixiao.org.api_accounts import router as org_accounts_router
from jixiao.org.api_calendar import router as calendar_router

DESCRIPTION = """
Jixiao (绩效) performance management API.

**Authentication.** Scripts send a personal API token, created on the profile page:
`Authorization: Bearer jx_...`. A signed-in browser may use its session instead; unsafe
methods then need the CSRF token in the `X-CSRFToken` header.

**Scope.** Every list and record is limited to what the caller may see on the pages.
A record outside that scope answers 404; a record the caller may see but not change answers
403 to writes.

**Errors.** Every error has the form
`{"code": "...", "message": "...", "errors": [{"field": ..., "code": ..., "message": ...}]}`,
with messages in the request's language (`Accept-Language: zh-Hans` or `en`).
Validation errors answer 400 with code `validation_failed`; a stale `version` answers 409
with code `concurrent_edit`.

**Lists** are paginated with `page` and `page_size` (default 50, at most 500) and answer
`{"items": [...], "count": N, "page": p, "page_size": s}`.
"""


class JixiaoAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """ninja's URLs, with its plain-text 405 and root 404 turned into JSON errors."""
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = json_refusals(url.callback)
        return urls


api = JixiaoAPI(
    title="Jixiao API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api",
    auth=[ApiTokenAuth(), SessionAuth()],
    docs=Swagger(settings={"persistAuthorization": False}),
)
register_error_handlers(api)
api.add_router("", org_router)
api.add_router("", org_accounts_router)
api.add_router("", indicators_router)
api.add_router("", calendar_router)
# Before goals_router, whose "/goals/{goal_id}" would otherwise match "/goals/one-on-ones".
api.add_router("", goals_talk_router)
api.add_router("", goals_router)
api.add_router("", work_router)
api.add_router("", appraisals_rating_router)
api.add_router("", appraisals_results_router)
api.add_router("", appraisals_office_router)
api.add_router("", appraisals_recipients_router)
api.add_router("", appraisals_series_router)
api.add_router("", appraisals_schemes_router)
# Last, so that it only answers paths no other route matched.
api.add_router("", fallback_router())
