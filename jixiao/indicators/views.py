"""The indicator library pages: list, detail with version history, create, edit, lock,
deactivate, and the live rule preview.

Views are thin: access helper → form → one service → redirect, or the form again with the
service's errors next to the fields (and the rule's errors next to the rule editor).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden, validation_failed
from jixiao.indicators import rules, services
from jixiao.indicators.forms import (
    IndicatorFilterForm,
    IndicatorForm,
    ReasonForm,
    SetActiveForm,
    bars_formset,
    levels_from,
    rule_error_paths,
    show_indicator_error,
)
from jixiao.indicators.models import Indicator
from jixiao.indicators.permissions import can_manage_library
from jixiao.indicators.selectors import (
    IndicatorFilter,
    get_indicator_for_user,
    indicator_history,
    indicator_versions,
    indicators_filtered,
    latest_version_of,
)
from jixiao.indicators.usage import LOCK_USED_BY, indicator_ids_in_use
from jixiao.org.access import scope_for
from jixiao.org.views import form_status, paginate

INDICATORS_PER_PAGE = 50
PREVIEW_DEFAULTS = {
    "actual": "",
    "target": "",
    "level": "",
    "rank": "1",
    "done": "1",
    "grade": "0.7",
}


def _require_manage(request: HttpRequest) -> None:
    if not can_manage_library(request.user):
        raise forbidden()


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    form = IndicatorFilterForm(request.GET or None)
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = IndicatorFilter(
        q=cd.get("q", ""),
        category=cd.get("category", ""),
        source_kind=cd.get("source_kind", ""),
        rule_kind=cd.get("rule_kind", ""),
        active=cd.get("active", "1") if form.is_bound else "1",
    )
    context = paginate(request, indicators_filtered(request.user, f), INDICATORS_PER_PAGE)
    kind_labels = dict(rules.kind_choices())
    for indicator in context["page_obj"].object_list:
        indicator.rule_label = kind_labels.get(rules.rule_kind(indicator.rule), "")
    return render(
        request,
        "indicators/indicator_list.html",
        {"form": form, "can_manage": can_manage_library(request.user), **context},
    )


@login_required
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_indicator_for_user(request.user, pk)
    versions = list(indicator_versions(indicator))
    scope = scope_for(request.user)
    can_manage = can_manage_library(request.user)
    in_use = bool(indicator_ids_in_use([indicator.pk]))
    locked = indicator.uses.filter(used_by=LOCK_USED_BY).exists()
    return render(
        request,
        "indicators/indicator_detail.html",
        {
            "indicator": indicator,
            "levels": list(indicator.bars_levels.all()),
            "versions": versions,
            "latest": next((v for v in versions if v.is_latest), indicator),
            "description": rules.describe(indicator.rule),
            "rule_json": json.dumps(indicator.rule, ensure_ascii=False, indent=2),
            "rule_inputs": _sample_fields(indicator.rule, {}),
            "can_manage": can_manage,
            "in_use": in_use,
            "locked": locked,
            "use_count": indicator.uses.count(),
            "history": indicator_history(indicator)
            if (can_manage or scope.can_view_audit)
            else None,
        },
    )


def _rule_feedback(form: IndicatorForm, formset: Any) -> DomainError | None:
    """When the form is refused before reaching the service, still check the rule, so that
    every problem shows at once (the rule's next to the rule editor)."""
    if "rule_json" in form.errors or not form.data.get("rule_kind"):
        return None
    try:
        spec = json.loads(form.data.get("rule_json") or "{}")
    except json.JSONDecodeError:
        return None
    if not isinstance(spec, dict):
        return None
    spec["kind"] = form.data["rule_kind"]
    if formset.is_valid():
        spec = rules.with_bars_levels(spec, levels_from(formset))
    direction = form.data.get("direction", "")
    if direction:
        spec, problems = rules.with_direction(spec, direction)
    else:
        problems = []
    problems = rules.rule_errors(spec) + problems
    if rules.rule_kind(spec) == rules.BARS_KIND:
        problems = [p for p in problems if not (p.field or "").startswith("rule.levels")]
    if not problems:
        return None
    error = validation_failed(problems)
    show_indicator_error(form, formset, error)
    return error


def _form_context(
    form: IndicatorForm,
    formset: Any,
    indicator: Indicator | None,
    error: DomainError | None,
    in_use: bool = False,
) -> dict[str, Any]:
    spec: Any = {}
    if form.is_bound:
        text = form.data.get("rule_json", "") or ""
        try:
            spec = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            spec = {}
        if isinstance(spec, dict) and form.data.get("rule_kind"):
            spec["kind"] = form.data.get("rule_kind")
    elif indicator is not None:
        spec = indicator.rule
    return {
        "form": form,
        "formset": formset,
        "indicator": indicator,
        "in_use": in_use,
        "rule_kinds": rules.kinds(),
        "rule_errors": rule_error_paths(error),
        "rule_inputs": _sample_fields(spec, {}),
    }


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = IndicatorForm(request.POST)
        formset = bars_formset(request.POST)
        if form.is_valid() & formset.is_valid():
            try:
                indicator = services.indicator_create(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    data=form.to_data(levels_from(formset)),
                )
            except DomainError as e:
                error = e
                show_indicator_error(form, formset, e)
            else:
                messages.success(
                    request, _("Indicator “%(name)s” created.") % {"name": indicator.name}
                )
                return redirect("indicators:detail", pk=indicator.pk)
        else:
            error = _rule_feedback(form, formset)
    else:
        initial: dict[str, Any] = {"rule_kind": "ratio"}
        initial["rule_json"] = json.dumps(rules.example("ratio"), ensure_ascii=False, indent=2)
        form = IndicatorForm(initial=initial)
        formset = bars_formset()
    return render(
        request,
        "indicators/indicator_form.html",
        _form_context(form, formset, None, error),
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_indicator_for_user(request.user, pk, write=True)
    if not indicator.is_latest:
        latest = latest_version_of(indicator)
        messages.info(
            request,
            _("Version %(old)s is an earlier version; you are editing the latest, version %(new)s.")
            % {"old": indicator.revision, "new": latest.revision},
        )
        return redirect("indicators:edit", pk=latest.pk)
    in_use = bool(indicator_ids_in_use([indicator.pk]))
    error: DomainError | None = None
    if request.method == "POST":
        form = IndicatorForm(request.POST, editing=indicator)
        formset = bars_formset(request.POST)
        if form.is_valid() & formset.is_valid():
            try:
                outcome = services.indicator_update(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    indicator_id=indicator.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(levels_from(formset), code=indicator.code),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                show_indicator_error(form, formset, e)
            else:
                if outcome.new_version:
                    messages.success(
                        request,
                        _(
                            "Version %(n)s created. Goals and schemes that use version %(old)s "
                            "keep it."
                        )
                        % {"n": outcome.indicator.revision, "old": indicator.revision},
                    )
                elif outcome.changed:
                    messages.success(request, _("Indicator saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("indicators:detail", pk=outcome.indicator.pk)
        else:
            error = _rule_feedback(form, formset)
    else:
        form = IndicatorForm(initial=IndicatorForm.initial_for(indicator), editing=indicator)
        formset = bars_formset(indicator=indicator)
    return render(
        request,
        "indicators/indicator_form.html",
        _form_context(form, formset, indicator, error, in_use),
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_indicator_for_user(request.user, pk, write=True)
    indicator = latest_version_of(indicator)
    error: DomainError | None = None
    if request.method == "POST":
        form = SetActiveForm(request.POST)
        if form.is_valid():
            active = bool(form.cleaned_data["active"])
            try:
                services.indicator_set_active(
                    actor=actor_from_request(request),
                    scope=scope_for(request.user),
                    indicator_id=indicator.pk,
                    active=active,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                error = e
                form.add_error(None, str(e.message))
            else:
                messages.success(
                    request,
                    _("Indicator reactivated.") if active else _("Indicator deactivated."),
                )
                return redirect("indicators:detail", pk=indicator.pk)
    else:
        form = SetActiveForm(initial={"active": not indicator.is_active})
    return render(
        request,
        "indicators/indicator_confirm.html",
        {"form": form, "indicator": indicator},
        status=400 if error is not None else 200,
    )


@login_required
@require_POST
def indicator_lock(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_indicator_for_user(request.user, pk, write=True)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.indicator_lock(
        actor=actor_from_request(request),
        scope=scope_for(request.user),
        indicator_id=latest_version_of(indicator).pk,
        reason=reason,
    )
    messages.success(request, _("This version is locked: changes will now create a new version."))
    return redirect("indicators:detail", pk=latest_version_of(indicator).pk)


# ---------------------------------------------------------------- preview


def _input_labels(spec: Any) -> dict[str, str]:
    """Readable names of a rule's input columns (item labels for deductions and milestones)."""
    labels = {
        "actual": _("Actual value"),
        "target": _("Target value"),
        "threshold": _("Threshold"),
        "stretch": _("Stretch value"),
        "level": _("Level chosen"),
        "rank": _("Rank"),
        "done": _("Done (1) or not (0)"),
        "grade": _("Grade (0–1)"),
    }
    if isinstance(spec, dict):
        for group in ("deductions", "bonuses", "milestones", "key_results"):
            for item in spec.get(group) or []:
                if isinstance(item, dict) and item.get("code"):
                    labels[str(item["code"])] = str(item.get("label") or item["code"])
    return labels


def _sample_fields(spec: Any, posted: dict[str, str]) -> list[dict[str, str]]:
    labels = _input_labels(spec)
    out = []
    fixed_target = spec.get("target") if isinstance(spec, dict) else None
    target = (
        f"{fixed_target:g}"
        if isinstance(fixed_target, int | float) and not isinstance(fixed_target, bool)
        else "100"
    )
    for name in rules.inputs(spec):
        default = PREVIEW_DEFAULTS.get(name, "0")
        if name in ("actual", "target"):
            default = target
        if name == "level" and isinstance(spec, dict):
            levels = [x.get("level") for x in spec.get("levels") or [] if isinstance(x, dict)]
            numbers = [int(v) for v in levels if isinstance(v, int | float)]
            default = str(max(numbers)) if numbers else "3"
        out.append(
            {"name": name, "label": labels.get(name, name), "value": posted.get(name, default)}
        )
    return out


@login_required
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The rule in words, the score of the sample, and the curve: an htmx fragment.

    Runs the engine on the posted rule (the form being edited, or a stored indicator's) and
    writes nothing, so every signed-in reader may use it.
    """
    spec: Any
    text = request.POST.get("rule_json", "")
    try:
        spec = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        spec = None
        json_error = _("The rule is not valid JSON (line %(line)s, column %(col)s): %(msg)s.") % {
            "line": exc.lineno,
            "col": exc.colno,
            "msg": exc.msg,
        }
    else:
        json_error = ""
    if isinstance(spec, dict) and request.POST.get("rule_kind"):
        spec["kind"] = request.POST["rule_kind"]
    if isinstance(spec, dict) and rules.rule_kind(spec) == rules.BARS_KIND:
        spec = rules.with_bars_levels(spec, _posted_levels(request))
    if isinstance(spec, dict) and request.POST.get("direction"):
        spec, _direction_errors = rules.with_direction(spec, request.POST["direction"])
    posted = {
        k.removeprefix("sample_"): str(v)
        for k, v in request.POST.items()
        if k.startswith("sample_")
    }
    result = rules.preview(spec, posted) if spec is not None else None
    fields = _sample_fields(spec, posted)
    shown = request.POST.get("preview_inputs", "")
    now = ",".join(f["name"] for f in fields)
    return render(
        request,
        "indicators/_preview.html",
        {
            "result": result,
            "json_error": json_error,
            "sample_fields": fields,
            "preview_inputs": now,
            "refresh_fields": shown != now,
            "chart": result.chart() if result is not None else {"x": [], "y": []},
            "axis_label": _input_labels(spec).get(result.axis, result.axis) if result else "",
            "table_rows": _table_rows(result),
        },
    )


def _table_rows(result: rules.Preview | None) -> list[tuple[float, float | None]]:
    """Every tenth point of the curve, as a table behind the chart."""
    if result is None or not result.xs:
        return []
    step = max(1, len(result.xs) // 10)
    return [(x, y) for x, y in list(zip(result.xs, result.ys, strict=True))[::step]]


def _posted_levels(request: HttpRequest) -> list[Any]:
    """BARS levels as typed in the form (for the preview of an unsaved BARS rule)."""

    class _Level:
        def __init__(self, level: int, title: str, points: float) -> None:
            self.level, self.title, self.points = level, title, points

    out: list[Any] = []
    try:
        total = int(request.POST.get("bars-TOTAL_FORMS", "0"))
    except ValueError:
        return out
    for i in range(min(total, 20)):
        level = request.POST.get(f"bars-{i}-level", "").strip()
        points = request.POST.get(f"bars-{i}-points", "").strip()
        title = request.POST.get(f"bars-{i}-title", "").strip()
        try:
            number, value = int(level), float(points)
        except ValueError:
            continue
        if number >= 1 and math.isfinite(value):
            out.append(_Level(number, title, value))
    return out
