"""Planning overviews: a department's page (its goals, people and checks), the alignment tree,
the unit's strategy with its coverage, goal templates and their bulk assignment, and the
acknowledgement of conflicts."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.core.forms import apply_domain_error
from jixiao.core.workdays import count_span
from jixiao.goals import checks, goal_templates, strategy
from jixiao.goals.forms import key_result_formset, key_results_from, show_goal_error
from jixiao.goals.forms_planning import (
    AcknowledgeForm,
    AssignForm,
    ObjectiveForm,
    PolicyForm,
    TemplateForm,
    ThemeForm,
)
from jixiao.goals.models import (
    GoalLevel,
    GoalStatus,
    GoalTemplate,
    StrategicObjective,
    StrategicTheme,
)
from jixiao.goals.overview import (
    alignment_tree,
    department_overview,
    period_or_year,
    tree_rows,
    tree_size,
)
from jixiao.goals.periods import PeriodKind, period_choices
from jixiao.goals.permissions import (
    can_manage_strategy,
    can_manage_templates,
    planning_scope_for,
)
from jixiao.goals.selectors import goals_visible_to
from jixiao.org.models import Department, DepartmentKind
from jixiao.org.selectors import departments_visible_to, get_department_for_user, posts_visible_to
from jixiao.org.views import form_status

MAX_TREE_NODES = 2000


def today() -> datetime.date:
    return datetime.date.today()


def _years() -> list[int]:
    return [today().year - 1, today().year, today().year + 1]


def available_working_days(start: datetime.date, end: datetime.date) -> float:
    """Working days in [start, end], both ends counted, by the configured calendar."""
    return float(count_span(start, end).working_days)


# ---------------------------------------------------------------- department


@login_required
def department_page(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_department_for_user(request.user, pk)
    period = period_or_year(request.GET.get("period"), today())
    overview = department_overview(
        request.user,
        department,
        period,
        available_days=available_working_days(period.start, period.end),
    )
    ps = planning_scope_for(request.user)
    return render(
        request,
        "goals/department.html",
        {
            "department": department,
            "period": period,
            "periods": period_choices(_years()),
            "o": overview,
            "can_plan": ps.plans(department.path),
            "can_lock": ps.plans_units(department.path),
            "goal_level": GoalLevel.UNIT
            if department.kind == DepartmentKind.UNIT
            else GoalLevel.DEPARTMENT,
            "ack_form": AcknowledgeForm(),
        },
    )


# ---------------------------------------------------------------- alignment tree


def _tree_department(request: HttpRequest) -> Any:
    dept_id = request.GET.get("department", "")
    if dept_id.isdigit():
        return get_department_for_user(request.user, int(dept_id))
    ps = planning_scope_for(request.user)
    if ps.scope.department_id is not None:
        return get_department_for_user(request.user, ps.scope.department_id)
    first = departments_visible_to(request.user).order_by("depth", "path").first()
    if first is None:
        raise Http404
    return first


@login_required
def tree_page(request: HttpRequest) -> HttpResponse:
    department = _tree_department(request)
    period = period_or_year(request.GET.get("period"), today())
    roots = alignment_tree(request.user, department, period, today=today())
    size = tree_size(roots)
    return render(
        request,
        "goals/tree.html",
        {
            "department": department,
            "period": period,
            "periods": [
                (k, label)
                for k, label in period_choices(_years())
                if "-" not in k or "-H" in k or "-Q" in k
            ],
            "roots": roots,
            "rows": tree_rows(roots, list_people=size <= MAX_TREE_NODES),
            "size": size,
            "too_big": size > MAX_TREE_NODES,
            "tree_data": (
                {"name": department.name, "value": "", "children": [r.as_echarts() for r in roots]}
                if size <= MAX_TREE_NODES
                else {}
            ),
        },
    )


@login_required
def tree_json(request: HttpRequest) -> JsonResponse:
    department = _tree_department(request)
    period = period_or_year(request.GET.get("period"), today())
    roots = alignment_tree(request.user, department, period, today=today())
    return JsonResponse(
        {
            "department": {"id": department.pk, "name": department.name},
            "period": period.key,
            "nodes": tree_size(roots),
            "roots": [r.as_echarts() for r in roots],
        },
        json_dumps_params={"ensure_ascii": False},
    )


# ---------------------------------------------------------------- strategy


def _unit_for(request: HttpRequest) -> Department:
    """The unit named by ?unit=, else the unit of the user's own department, else the first
    unit the user can see; 404 when the user may not read that unit's strategy."""
    ps = planning_scope_for(request.user)
    unit_id = request.GET.get("unit") or request.POST.get("unit") or ""
    unit: Department | None
    if unit_id.isdigit():
        unit = Department.objects.filter(pk=int(unit_id), kind=DepartmentKind.UNIT).first()
    else:
        own_unit = (
            Department.objects.filter(pk__in=ps.chain_department_ids, kind=DepartmentKind.UNIT)
            .order_by("depth")
            .first()
        )
        unit = (
            own_unit
            or departments_visible_to(request.user)
            .filter(kind=DepartmentKind.UNIT)
            .order_by("depth", "path")
            .first()
        )
    if unit is None or not _strategy_visible(request.user, unit):
        raise Http404
    return unit


def _strategy_visible(user: Any, unit: Department) -> bool:
    """Everyone in a unit reads its strategy; so do those whose grants cover it."""
    ps = planning_scope_for(user)
    return (
        ps.is_system_admin or unit.pk in ps.chain_department_ids or ps.scope.covers_path(unit.path)
    )


@login_required
def strategy_page(request: HttpRequest) -> HttpResponse:
    unit = _unit_for(request)
    year = request.GET.get("year", "")
    year_value = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today().year
    themes = list(StrategicTheme.objects.filter(unit=unit).order_by("sort_order", "id"))
    objectives = list(
        StrategicObjective.objects.filter(unit=unit)
        .select_related("theme", "parent")
        .order_by("theme__sort_order", "parent_id", "start_year", "id")
    )
    coverage = checks.strategy_coverage(unit, year_value)
    can_manage = can_manage_strategy(request.user, unit)
    return render(
        request,
        "goals/strategy.html",
        {
            "unit": unit,
            "year": year_value,
            "years": _years(),
            "themes": themes,
            "objectives": objectives,
            "coverage": coverage,
            "uncarried": [r for r in coverage.rows if not r.carried],
            "can_manage": can_manage,
            "policy_form": PolicyForm(
                initial={"min_capacity_share": checks.minimum_capacity_share(unit.pk)}
            ),
        },
    )


@login_required
@require_POST
def themes_defaults(request: HttpRequest) -> HttpResponse:
    unit = _unit_for(request)
    try:
        n = strategy.themes_create_defaults(
            actor=actor_from_request(request), user=request.user, unit=unit
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)s strategic themes were created.") % {"n": n})
    return redirect(f"{reverse('goals:strategy')}?unit={unit.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def theme_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    theme = StrategicTheme.objects.select_related("unit").filter(pk=pk).first() if pk else None
    if pk and theme is None:
        raise Http404
    unit = theme.unit if theme else _unit_for(request)
    if not _strategy_visible(request.user, unit):
        raise Http404
    if not can_manage_strategy(request.user, unit):
        raise forbidden()
    form = ThemeForm(request.POST or None, initial=ThemeForm.initial_for(theme) if theme else None)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            if theme is None:
                strategy.theme_create(
                    actor=actor_from_request(request),
                    user=request.user,
                    unit=unit,
                    data=form.to_data(),
                )
            else:
                strategy.theme_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    theme_id=theme.pk,
                    expected_version=form.cleaned_data.get("version") or theme.version,
                    data=form.to_data(),
                    active=bool(form.cleaned_data.get("is_active")),
                )
        except DomainError as exc:
            error = exc
            apply_domain_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("The theme was saved."))
            return redirect(f"{reverse('goals:strategy')}?unit={unit.pk}")
    return render(
        request,
        "goals/theme_form.html",
        {"form": form, "unit": unit, "theme": theme},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def objective_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    objective = (
        StrategicObjective.objects.select_related("unit").filter(pk=pk).first() if pk else None
    )
    if pk and objective is None:
        raise Http404
    unit = objective.unit if objective else _unit_for(request)
    if not _strategy_visible(request.user, unit):
        raise Http404
    if not can_manage_strategy(request.user, unit):
        raise forbidden()
    initial = (
        ObjectiveForm.initial_for(objective)
        if objective
        else {"start_year": today().year, "end_year": today().year}
    )
    form = ObjectiveForm(request.POST or None, initial=initial, unit=unit)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            if objective is None:
                strategy.objective_create(
                    actor=actor_from_request(request),
                    user=request.user,
                    unit=unit,
                    data=form.to_data(),
                )
            else:
                strategy.objective_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    objective_id=objective.pk,
                    expected_version=form.cleaned_data.get("version") or objective.version,
                    data=form.to_data(),
                    active=bool(form.cleaned_data.get("is_active")),
                )
        except DomainError as exc:
            error = exc
            apply_domain_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(request, _("The objective was saved."))
            return redirect(f"{reverse('goals:strategy')}?unit={unit.pk}")
    return render(
        request,
        "goals/objective_form.html",
        {"form": form, "unit": unit, "objective": objective},
        status=form_status(error),
    )


@login_required
@require_POST
def policy_update(request: HttpRequest) -> HttpResponse:
    unit = _unit_for(request)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            strategy.planning_policy_set(
                actor=actor_from_request(request),
                user=request.user,
                unit=unit,
                min_capacity_share=form.cleaned_data["min_capacity_share"],
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The planning policy was saved."))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    return redirect(f"{reverse('goals:strategy')}?unit={unit.pk}")


# ---------------------------------------------------------------- conflicts


@login_required
@require_POST
def conflict_acknowledge(request: HttpRequest) -> HttpResponse:
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next", "")
    if form.is_valid():
        try:
            strategy.conflict_acknowledge(
                actor=actor_from_request(request),
                user=request.user,
                key=form.cleaned_data["key"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                goal_ids=form.goal_ids(),
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The conflict was acknowledged."))
    else:
        messages.error(request, _("Explain how the conflict is handled."))
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("goals:mine")


# ---------------------------------------------------------------- templates


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    if not can_manage_templates(request.user):
        raise forbidden()
    templates = GoalTemplate.objects.prefetch_related("key_results").order_by("name")
    return render(request, "goals/template_list.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not can_manage_templates(request.user):
        raise forbidden()
    template = GoalTemplate.objects.filter(pk=pk).first() if pk else None
    if pk and template is None:
        raise Http404
    form = TemplateForm(
        request.POST or None,
        initial=TemplateForm.initial_for(template) if template else {"weight": 0},
    )
    initial = (
        [
            {
                "id": kr.pk,
                "title": kr.title,
                "indicator": kr.indicator_id,
                "unit": kr.unit,
                "direction": kr.direction,
                "baseline": kr.baseline,
                "threshold": kr.threshold,
                "target": kr.target,
                "stretch": kr.stretch,
                "weight": kr.weight,
            }
            for kr in template.key_results.order_by("position", "id")
        ]
        if template
        else []
    )
    formset = key_result_formset(request.POST or None, initial=initial)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.to_data(key_results_from(formset))
        try:
            if template is None:
                template = goal_templates.template_create(
                    actor=actor_from_request(request), user=request.user, data=data
                )
            else:
                goal_templates.template_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    template_id=template.pk,
                    expected_version=form.cleaned_data.get("version") or template.version,
                    data=data,
                )
        except DomainError as exc:
            error = exc
            show_goal_error(form, formset, exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("The template was saved."))
            return redirect("goals:template_assign", template.pk)
    return render(
        request,
        "goals/template_form.html",
        {"form": form, "formset": formset, "template": template},
        status=form_status(error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_assign(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_manage_templates(request.user):
        raise forbidden()
    template = GoalTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    ps = planning_scope_for(request.user)
    departments = departments_visible_to(request.user).filter(is_active=True).order_by("path")
    departments = departments.filter(ps.planned_q())
    posts = posts_visible_to(request.user).filter(is_active=True)
    parents = list(
        goals_visible_to(request.user)
        .filter(level__in=[GoalLevel.UNIT, GoalLevel.DEPARTMENT], period_start__year__in=_years())
        .exclude(status=GoalStatus.CLOSED)
        .order_by("department__path", "period_start", "id")[:300]
    )
    form = AssignForm(
        request.POST or None,
        initial={
            "period": str(today().year) if template.period_kind == PeriodKind.YEAR else "",
            "include_subdepartments": True,
        },
        today=today(),
        posts=posts,
        departments=departments,
        parents=parents,
        kind=template.period_kind,
    )
    result = None
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            result = goal_templates.template_assign(
                actor=actor_from_request(request),
                user=request.user,
                template_id=template.pk,
                period_key=form.cleaned_data["period"],
                target=form.target(),
                parent_id=form.cleaned_data.get("parent"),
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            error = exc
            apply_domain_error(form, exc)
            form.mark_invalid()
        else:
            messages.success(
                request,
                _(
                    "%(created)s goals were created as drafts; %(skipped)s people already had this goal."
                )
                % {"created": result.created, "skipped": result.skipped},
            )
    return render(
        request,
        "goals/template_assign.html",
        {"form": form, "template": template, "result": result},
        status=form_status(error),
    )
