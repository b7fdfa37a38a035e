"""The office's page for service recipients: which departments each department serves, and
the recipients that gives its appraisees (jixiao.appraisals.recipients)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jixiao.appraisals import recipients
from jixiao.appraisals.forms_recipients import RecipientSourceForm
from jixiao.appraisals.models import Cycle, CyclePhase, RecipientSource
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.appraisals.selectors import get_cycle_for_user
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.core.forms import apply_domain_error
from jixiao.org.models import Department


def _initial(cycle: Cycle, department_id: str | None) -> dict[str, Any] | None:
    """The form filled with a department's current choice (?department=…)."""
    if not department_id or not department_id.isdigit():
        return None
    found = RecipientSource.objects.filter(cycle=cycle, department_id=int(department_id)).first()
    if found is None:
        return {"department": int(department_id)}
    return {"department": found.department_id, "served": found.served, "version": found.version}


@login_required
@require_http_methods(["GET", "POST"])
def cycle_recipients(request: HttpRequest, pk: int) -> HttpResponse:
    writing = request.method == "POST"
    cycle = get_cycle_for_user(request.user, pk, office=True, write=writing)
    overview = recipients.recipients_overview(cycle)
    can_change = (
        can_manage_cycle(request.user, cycle)
        and overview.group is not None
        and cycle.phase not in (CyclePhase.RESULTS, CyclePhase.CLOSED)
    )
    form = RecipientSourceForm(
        request.POST if writing else None,
        initial=_initial(cycle, request.GET.get("department")),
        appraised=Department.objects.filter(pk__in=[d.pk for d in overview.departments]),
        unit_departments=Department.objects.filter(path__startswith=cycle.unit.path),
    )
    status = 200
    if writing and form.is_valid():
        try:
            done = recipients.recipients_set(
                actor=actor_from_request(request),
                user=request.user,
                cycle_id=cycle.pk,
                department_id=form.cleaned_data["department"].pk,
                served_ids=[d.pk for d in form.cleaned_data["served"]],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as e:
            apply_domain_error(form, e)
            form.mark_invalid()
            status = 409 if e.status == 409 else 200
        else:
            messages.success(
                request,
                _(
                    "%(department)s: %(added)s recipient ratings assigned, %(cancelled)s open "
                    "ones cancelled, for %(people)s people."
                )
                % {
                    "department": form.cleaned_data["department"].name,
                    "added": done.added,
                    "cancelled": done.cancelled,
                    "people": done.appraisees,
                },
            )
            return redirect("appraisals:cycle_recipients", pk=cycle.pk)
    return render(
        request,
        "appraisals/cycle_recipients.html",
        {"cycle": cycle, "overview": overview, "form": form, "can_change": can_change},
        status=status,
    )
