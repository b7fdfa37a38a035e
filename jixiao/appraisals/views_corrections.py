"""The office's correction pages: a cycle's settings after creation (linked from the cycle
page) and one person's eligibility (linked from their result page).

Thin: access helper → form → one service (jixiao.appraisals.corrections) → redirect or render.
A cycle or appraisal outside the user's view answers 404, one they read without running the
cycle 403. A stale form comes back with 409, keeping what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jixiao.appraisals import corrections
from jixiao.appraisals.forms_corrections import (
    CYCLE_EDIT_FIELD_MAP,
    CycleEditForm,
    EligibilityForm,
)
from jixiao.appraisals.selectors import cycle_counts, get_cycle_for_user
from jixiao.appraisals.selectors_results import get_appraisal_for_kpi
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.core.forms import apply_domain_error
from jixiao.org.views import posted_form_status


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_cycle_for_user(request.user, pk, office=True, write=True)
    form = CycleEditForm(request.POST or None, initial=CycleEditForm.initial_of(cycle))
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            corrections.cycle_update(
                actor=actor_from_request(request),
                user=request.user,
                cycle_id=cycle.pk,
                expected_version=form.cleaned_data["version"],
                settings=form.to_settings(cycle),
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
            apply_domain_error(form, exc, CYCLE_EDIT_FIELD_MAP)
            form.mark_invalid()
        else:
            messages.success(request, _("The cycle's settings were saved."))
            return redirect("appraisals:cycle_detail", pk=cycle.pk)
    return render(
        request,
        "appraisals/cycle_edit.html",
        {"cycle": cycle, "form": form, "counts": cycle_counts(cycle)},
        status=posted_form_status(request, error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def appraisal_eligibility(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 to those who may not read the appraisal, 403 to readers who do not run the cycle
    appraisal = get_appraisal_for_kpi(request.user, pk, override=True)
    initial = {"version": appraisal.version, "eligibility": appraisal.eligibility}
    form = EligibilityForm(request.POST or None, initial=initial)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            corrections.appraisal_set_eligibility(
                actor=actor_from_request(request),
                user=request.user,
                appraisal_id=appraisal.pk,
                expected_version=form.cleaned_data["version"],
                eligibility=form.cleaned_data["eligibility"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
            apply_domain_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(
                request,
                _(
                    "The eligibility was saved. Suggested grades follow at the next full "
                    "recompute of the cycle."
                ),
            )
            return redirect("appraisals:results_detail", pk=appraisal.pk)
    return render(
        request,
        "appraisals/result_eligibility.html",
        {"a": appraisal, "cycle": appraisal.cycle, "form": form},
        status=posted_form_status(request, error),
    )
