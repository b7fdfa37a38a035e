"""The performance office's recurring appraisals (周期性考核计划): the list with each series'
next period and the cycles it created, the series' page, the create and edit forms,
activation, and "create due cycles now".

Access: the list is for the office (performance administrators, unit leaders, auditors:
403 for everybody else); a series goes through selectors.get_series_for_user (404 outside
the user's office, 403 to a write by someone who may not run its unit's cycles). Creating a
series and the "create due cycles now" button need the right to create cycles.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.appraisals import series as services
from jixiao.appraisals.forms_office import SERIES_FIELD_MAP, SeriesActiveForm, SeriesForm
from jixiao.appraisals.models import DEADLINE_PHASES, CyclePhase, CycleSeries
from jixiao.appraisals.permissions import (
    can_create_cycles,
    can_manage_series,
    can_see_series_pages,
)
from jixiao.appraisals.selectors import (
    SeriesOverview,
    get_series_for_user,
    series_overview,
    series_visible_to,
)
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.core.forms import apply_domain_error
from jixiao.org.selectors import people_visible_to
from jixiao.org.views import paginate

SERIES_PER_PAGE = 50
CYCLES_ON_LIST = 3


def _form(request: HttpRequest, **kwargs: Any) -> SeriesForm:
    people = people_visible_to(request.user).select_related(None)
    return SeriesForm(request.POST or None, user=request.user, people_qs=people, **kwargs)


def _deadline_rows(series: CycleSeries) -> list[tuple[str, int]]:
    labels = dict(CyclePhase.choices)
    offsets = series.deadline_offsets or {}
    return [(str(labels[p]), int(offsets[p])) for p in DEADLINE_PHASES if p in offsets]


def _next_name(series: CycleSeries, overview: SeriesOverview) -> str:
    if overview.next_period is None:
        return ""
    return services.cycle_name(series.name, overview.next_period)


@login_required
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    if not can_see_series_pages(request.user):
        raise forbidden()
    qs = series_visible_to(request.user).order_by("-is_active", "unit__path", "name", "id")
    context = paginate(request, qs, SERIES_PER_PAGE)
    page = list(context["page_obj"].object_list)
    overview = series_overview(page)
    today = timezone.localdate()
    rows = [
        {
            "series": s,
            "overview": overview[s.pk],
            "recent": overview[s.pk].cycles[:CYCLES_ON_LIST],
            "more": max(0, len(overview[s.pk].cycles) - CYCLES_ON_LIST),
            "overdue": s.is_active and overview[s.pk].is_overdue(today),
            "next_name": _next_name(s, overview[s.pk]),
        }
        for s in page
    ]
    return render(
        request,
        "appraisals/series_list.html",
        {"rows": rows, "can_create": can_create_cycles(request.user), "today": today, **context},
    )


@login_required
@require_http_methods(["GET", "POST"])
def series_new(request: HttpRequest) -> HttpResponse:
    if not can_create_cycles(request.user):
        raise forbidden()
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.series_create(
                actor=actor_from_request(request),
                user=request.user,
                data=form.to_data(),
                today=timezone.localdate(),
            )
        except DomainError as e:
            apply_domain_error(form, e, SERIES_FIELD_MAP)
            form.mark_invalid()
        else:
            messages.success(
                request, _("Recurring appraisal “%(name)s” saved.") % {"name": made.name}
            )
            return redirect("appraisals:series_detail", pk=made.pk)
    return render(request, "appraisals/series_form.html", {"form": form, "series": None})


@login_required
@require_GET
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_series_for_user(request.user, pk)
    today = timezone.localdate()
    overview = series_overview([found])[found.pk]
    return render(
        request,
        "appraisals/series_detail.html",
        {
            "series": found,
            "overview": overview,
            "overdue": found.is_active and overview.is_overdue(today),
            "next_name": _next_name(found, overview),
            "deadlines": _deadline_rows(found),
            "scheme": services.latest_scheme(found),
            "can_manage": can_manage_series(request.user, found),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_series_for_user(request.user, pk, write=True)
    form = _form(request, initial=SeriesForm.initial_of(found, services.latest_scheme(found)))
    used = found.cycles.exists()
    if used:
        for name in services.FIXED_ONCE_USED:
            form.fields[name].disabled = True
            form.fields[name].help_text = _("Fixed: the series has created cycles.")
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.series_update(
                actor=actor_from_request(request),
                user=request.user,
                series_id=found.pk,
                expected_version=form.cleaned_data.get("version") or 0,
                data=form.to_data(),
                today=timezone.localdate(),
            )
        except DomainError as e:
            apply_domain_error(form, e, SERIES_FIELD_MAP)
            form.mark_invalid()
            status = 409 if e.status == 409 else 200
        else:
            messages.success(
                request, _("Recurring appraisal “%(name)s” saved.") % {"name": found.name}
            )
            return redirect("appraisals:series_detail", pk=found.pk)
    return render(
        request, "appraisals/series_form.html", {"form": form, "series": found}, status=status
    )


@login_required
@require_POST
def series_active(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_series_for_user(request.user, pk, write=True)
    form = SeriesActiveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["active"] is None:
        messages.error(request, _("Reload the page and try again."))
        return redirect("appraisals:series_detail", pk=found.pk)
    active = bool(form.cleaned_data["active"])
    try:
        services.series_set_active(
            actor=actor_from_request(request),
            user=request.user,
            series_id=found.pk,
            active=active,
            expected_version=form.cleaned_data["version"],
            today=timezone.localdate(),
        )
    except DomainError as e:
        messages.error(request, str(e.message))
    else:
        messages.success(
            request,
            _("The series is active again: it creates its cycles from the current period on.")
            if active
            else _("The series is deactivated: it creates no more cycles."),
        )
    return redirect("appraisals:series_detail", pk=found.pk)


@login_required
@require_POST
def series_run(request: HttpRequest) -> HttpResponse:
    """The office's "create due cycles now": the due cycles of the series the user manages."""
    if not can_create_cycles(request.user):
        raise forbidden()
    report = services.create_due_cycles(
        today=timezone.localdate(), actor=actor_from_request(request), user=request.user
    )
    if report.created:
        messages.success(
            request,
            _("%(n)s cycles created: %(names)s.")
            % {"n": len(report.created), "names": "、".join(c.name for c in report.created)},
        )
    for failure in report.failed:
        messages.error(
            request,
            _("“%(series)s”: %(message)s")
            % {"series": failure.series_name, "message": failure.message},
        )
    if not report.created and not report.failed:
        messages.info(request, _("No cycle is due: every due period has its cycle."))
    return redirect("appraisals:series_list")
