"""The weighting page: pick indicators, compare them pairwise (AHP), derive entropy weights
from data, combine the two, and save the result as a named weight set.

The calculations write nothing, so every signed-in reader may use them; saving a weight set
is for the people who maintain the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.engine.weights import SAATY_RI
from jixiao.indicators import services
from jixiao.indicators.forms import EntropyUploadForm, WeightSetSaveForm
from jixiao.indicators.models import Category, Indicator, WeightMethod
from jixiao.indicators.permissions import can_manage_library
from jixiao.indicators.selectors import (
    get_weight_set_for_user,
    indicators_for_choice,
    indicators_visible_to,
    weight_sets_visible_to,
)
from jixiao.indicators.weighting import (
    MAX_CRITERIA,
    AhpOutcome,
    combine,
    entropy_template_csv,
    fraction_text,
    read_entropy_token,
    ri_table_choices,
    run_ahp,
    run_entropy,
    saaty_choices,
)
from jixiao.org.access import scope_for
from jixiao.org.views import paginate

WEIGHT_SETS_PER_PAGE = 50


def _chosen(user: Any, data: QueryDict) -> list[Indicator]:
    """The chosen indicators in the order given; unknown ids are dropped."""
    ids: list[int] = []
    for raw in data.getlist("ids"):
        if raw.isdigit() and int(raw) not in ids:
            ids.append(int(raw))
    found = indicators_visible_to(user, all_versions=True).in_bulk(ids[:MAX_CRITERIA])
    return [found[i] for i in ids[:MAX_CRITERIA] if i in found]


def _upper(data: QueryDict, n: int) -> dict[tuple[int, int], str]:
    return {(i, j): data.get(f"a_{i}_{j}", "1") for i in range(n) for j in range(i + 1, n)}


def _alpha(data: QueryDict) -> tuple[float, str]:
    text = (data.get("alpha") or "0.5").strip()
    try:
        value = float(text)
    except ValueError:
        return 0.5, _("α is a number between 0 and 1.")
    if not 0 <= value <= 1:
        return 0.5, _("α is a number between 0 and 1.")
    return value, ""


@dataclass
class Row:
    indicator: Indicator
    ahp: float | None = None
    entropy: float | None = None
    combined: float | None = None


@dataclass
class Computation:
    indicators: list[Indicator]
    ahp: AhpOutcome
    entropy: dict[str, Any] | None
    alpha: float
    alpha_error: str
    rows: list[Row] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [i.pk for i in self.indicators]

    def chart(self) -> dict[str, Any]:
        """The weights per method, for the bar chart behind the table."""
        series = []
        for name, key in (("AHP", "ahp"), (_("Entropy"), "entropy"), (_("Combined"), "combined")):
            values = [getattr(r, key) for r in self.rows]
            if any(v is not None for v in values):
                series.append({"name": str(name), "values": values})
        return {"names": [r.indicator.code for r in self.rows], "series": series}


def _compute(user: Any, data: QueryDict) -> Computation | None:
    indicators = _chosen(user, data)
    if len(indicators) < 2:
        return None
    n = len(indicators)
    result = run_ahp(
        _upper(data, n),
        [i.code for i in indicators],
        method=data.get("ahp_method", "eigenvector"),
        ri_table=data.get("ri_table", SAATY_RI.name),
    )
    entropy = read_entropy_token(data.get("entropy_token", ""), [i.pk for i in indicators])
    alpha, alpha_error = _alpha(data)
    comp = Computation(indicators, result, entropy, alpha, alpha_error)
    combined: list[float] = []
    if result.weights and entropy is not None and not alpha_error:
        combined = combine(result.weights, entropy["weights"], alpha)
    for k, ind in enumerate(indicators):
        comp.rows.append(
            Row(
                ind,
                ahp=result.weights[k] if result.weights else None,
                entropy=entropy["weights"][k] if entropy is not None else None,
                combined=combined[k] if combined else None,
            )
        )
    return comp


def _matrix_rows(indicators: list[Indicator], data: QueryDict) -> list[dict[str, Any]]:
    """The matrix as the template draws it: a select above the diagonal, reciprocals below."""
    n = len(indicators)
    upper = _upper(data, n)
    values = dict(saaty_choices())
    rows = []
    for i, ind in enumerate(indicators):
        cells = []
        for j in range(n):
            if j == i:
                cells.append({"kind": "diagonal"})
            elif j > i:
                chosen = upper[(i, j)] if upper[(i, j)] in values else "1"
                cells.append({"kind": "upper", "name": f"a_{i}_{j}", "value": chosen})
            else:
                cells.append(
                    {"kind": "lower", "id": f"low-{i}-{j}", "text": _reciprocal(upper[(j, i)])}
                )
        rows.append({"indicator": ind, "cells": cells})
    return rows


def _reciprocal(text: str) -> str:
    text = (text or "1").strip()
    if text.startswith("1/"):
        return text[2:]
    if text == "1":
        return "1"
    return f"1/{text}"


def _tool_context(request: HttpRequest, data: QueryDict) -> dict[str, Any]:
    indicators = _chosen(request.user, data)
    choices = list(indicators_for_choice(request.user))
    chosen_ids = {i.pk for i in indicators}
    groups: dict[str, list[Indicator]] = {}
    for ind in choices:
        groups.setdefault(str(Category(ind.category).label), []).append(ind)
    return {
        "indicators": indicators,
        "ids": [i.pk for i in indicators],
        "groups": list(groups.items()),
        "chosen_ids": chosen_ids,
        "matrix": _matrix_rows(indicators, data) if len(indicators) >= 2 else [],
        "saaty_choices": saaty_choices(),
        "ri_tables": ri_table_choices(),
        "ri_table": data.get("ri_table", SAATY_RI.name),
        "ahp_method": data.get("ahp_method", "eigenvector"),
        "alpha": data.get("alpha", "0.5"),
        "entropy_token": data.get("entropy_token", ""),
        "computation": _compute(request.user, data),
        "can_manage": can_manage_library(request.user),
        "save_form": WeightSetSaveForm(data if request.method == "POST" else None),
        "method": data.get("method", WeightMethod.AHP),
        "methods": [(m.value, m.label) for m in WeightMethod if m != WeightMethod.DIRECT],
        "entropy_form": EntropyUploadForm(),
        "max_criteria": MAX_CRITERIA,
    }


@login_required
@require_GET
def weights_tool(request: HttpRequest) -> HttpResponse:
    return render(request, "indicators/weights.html", _tool_context(request, request.GET))


@login_required
@require_POST
def weights_compute(request: HttpRequest) -> HttpResponse:
    """Weights, λmax, CI, CR and the comparison to revise, plus the reciprocal cells."""
    comp = _compute(request.user, request.POST)
    n = len(comp.indicators) if comp else 0
    upper = _upper(request.POST, n)
    lower = [
        {"id": f"low-{i}-{j}", "text": _reciprocal(upper[(j, i)])}
        for i in range(n)
        for j in range(i)
    ]
    return render(
        request,
        "indicators/_weights_result.html",
        {"computation": comp, "lower_cells": lower, "oob": True},
    )


@login_required
@require_POST
def weights_entropy(request: HttpRequest) -> HttpResponse:
    indicators = _chosen(request.user, request.POST)
    form = EntropyUploadForm(request.POST, request.FILES)
    errors: list[str] = []
    outcome = None
    token = ""
    if len(indicators) < 2:
        errors = [_("Choose at least two indicators first.")]
    elif not form.is_valid():
        errors = [str(e) for e in form.errors.get("data_file", [])] or [_("Choose a file.")]
    else:
        upload = form.cleaned_data["data_file"]
        outcome = run_entropy(upload.read(), upload.name or "", indicators)
        errors = outcome.errors
        if not errors:
            token = outcome.token([i.pk for i in indicators])
    response = render(
        request,
        "indicators/_entropy_result.html",
        {
            "errors": errors,
            "outcome": outcome if not errors else None,
            "rows": list(zip(indicators, outcome.weights, outcome.entropy, strict=True))
            if outcome is not None and not errors
            else [],
            "token": token,
        },
    )
    response["HX-Trigger"] = "entropy-updated"
    return response


@login_required
@require_GET
def entropy_template(request: HttpRequest) -> HttpResponse:
    indicators = _chosen(request.user, request.GET)
    response = HttpResponse(
        entropy_template_csv(indicators), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="entropy-data.csv"'
    return response


def _save_data(
    comp: Computation, data: QueryDict, form: WeightSetSaveForm
) -> services.WeightSetData:
    method = data.get("method", WeightMethod.AHP)
    errors: list[FieldError] = []
    if method not in (WeightMethod.AHP, WeightMethod.ENTROPY, WeightMethod.COMBINED):
        errors.append(FieldError("method", "invalid_choice", _("Choose a method.")))
    needs_ahp = method in (WeightMethod.AHP, WeightMethod.COMBINED)
    needs_entropy = method in (WeightMethod.ENTROPY, WeightMethod.COMBINED)
    if needs_ahp:
        if comp.ahp.errors or not comp.ahp.weights:
            errors.append(
                FieldError("matrix", "invalid_matrix", _("The comparison matrix is not valid."))
            )
        elif not comp.ahp.consistent:
            errors.append(
                FieldError(
                    "matrix",
                    "inconsistent",
                    _("CR is %(cr)s, not below 0.10: revise the comparisons before saving.")
                    % {"cr": f"{comp.ahp.cr:.3f}"},
                )
            )
    if needs_entropy and comp.entropy is None:
        errors.append(
            FieldError("entropy", "no_entropy", _("Upload the data for the entropy weights first."))
        )
    if method == WeightMethod.COMBINED and comp.alpha_error:
        errors.append(FieldError("alpha", "out_of_range", comp.alpha_error))
    if errors:
        raise validation_failed(errors)
    items = []
    for row in comp.rows:
        if method == WeightMethod.AHP:
            weight = row.ahp
        elif method == WeightMethod.ENTROPY:
            weight = row.entropy
        else:
            weight = row.combined
        assert weight is not None
        items.append(
            services.WeightItemData(
                indicator_id=row.indicator.pk,
                weight=weight,
                ahp_weight=row.ahp if needs_ahp else None,
                entropy_weight=row.entropy if needs_entropy else None,
            )
        )
    cd = form.cleaned_data
    return services.WeightSetData(
        name=cd["name"],
        description=cd.get("description", ""),
        method=method,
        items=items,
        ahp_method=comp.ahp.method if needs_ahp else "",
        matrix=comp.ahp.matrix if needs_ahp else [],
        lambda_max=comp.ahp.lambda_max if needs_ahp else None,
        consistency_index=comp.ahp.ci if needs_ahp else None,
        consistency_ratio=comp.ahp.cr if needs_ahp else None,
        ri_table_name=comp.ahp.ri_table if needs_ahp else "",
        ri_table=comp.ahp.ri_values if needs_ahp else [],
        alpha=comp.alpha if method == WeightMethod.COMBINED else None,
        entropy_source={k: comp.entropy[k] for k in ("rows", "file", "cost", "weights")}
        if needs_entropy and comp.entropy is not None
        else {},
    )


@login_required
@require_http_methods(["POST"])
def weights_save(request: HttpRequest) -> HttpResponse:
    if not can_manage_library(request.user):
        raise forbidden()
    comp = _compute(request.user, request.POST)
    form = WeightSetSaveForm(request.POST)
    error: DomainError | None = None
    if comp is None:
        error = validation_failed(
            [FieldError("ids", "too_few", _("A weight set needs at least two indicators."))]
        )
    elif form.is_valid():
        try:
            ws = services.weight_set_create(
                actor=actor_from_request(request),
                scope=scope_for(request.user),
                data=_save_data(comp, request.POST, form),
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _("Weight set “%(name)s” saved.") % {"name": ws.name})
            return redirect("indicators:weight_set_detail", pk=ws.pk)
    context = _tool_context(request, request.POST)
    context["save_form"] = form
    if error is not None:
        for fe in error.all_errors():
            if fe.field in form.fields:
                form.add_error(fe.field, str(fe.message))
            else:
                form.add_error(None, str(fe.message))
        form.mark_invalid()
    return render(request, "indicators/weights.html", context)


@login_required
@require_GET
def weight_set_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/weight_set_list.html",
        {
            "can_manage": can_manage_library(request.user),
            **paginate(request, weight_sets_visible_to(request.user), WEIGHT_SETS_PER_PAGE),
        },
    )


@login_required
@require_GET
def weight_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ws = get_weight_set_for_user(request.user, pk)
    items = list(ws.items.all())
    codes = [item.indicator.code for item in items]
    matrix = [[fraction_text(v) for v in row] for row in (ws.matrix or [])]
    return render(
        request,
        "indicators/weight_set_detail.html",
        {
            "ws": ws,
            "items": items,
            "matrix": list(zip(codes, matrix, strict=False)) if matrix else [],
            "codes": codes,
            "chart": {"names": codes, "weights": [float(i.weight) for i in items]},
        },
    )
