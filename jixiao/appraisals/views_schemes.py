"""The performance office's scheme pages: list, detail (in plain words), new from a preset,
the structured editor and deactivation. Schemes are readable by every signed-in user; system
and performance administrators change them (schemes.scheme_update makes a new version when a
cycle uses the current one) and deactivate them (schemes.scheme_set_active: every version,
refused while an active recurring series uses the scheme).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.appraisals import schemes
from jixiao.appraisals.forms_office import (
    SchemeActiveForm,
    SchemeEditor,
    SchemeFilterForm,
    SchemeFromPresetForm,
)
from jixiao.appraisals.models import Cycle, RaterGroup, Scheme, UnitGrade
from jixiao.appraisals.permissions import can_manage_schemes
from jixiao.appraisals.selectors import (
    SchemeFilter,
    get_scheme,
    scheme_structure,
    scheme_version_counts,
    scheme_versions,
    schemes_filtered,
    series_visible_to,
)
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.core.forms import apply_domain_error
from jixiao.org.views import form_status, paginate

SCHEMES_PER_PAGE = 50


def _require_manage(request: HttpRequest) -> None:
    if not can_manage_schemes(request.user):
        raise forbidden()


def _pct(share: Any) -> str:
    return f"{float(share) * 100:g}%"


def describe_grades(grades: list[dict[str, Any]]) -> list[str]:
    """Each grade's band in words, best first."""
    out = []
    higher: float | None = None
    for g in grades:
        low = float(g.get("min_score", 0))
        label = str(g.get("label") or g.get("code"))
        if higher is None:
            out.append(_("%(grade)s: %(low)s points or more") % {"grade": label, "low": f"{low:g}"})
        elif low <= 0:
            out.append(
                _("%(grade)s: under %(high)s points") % {"grade": label, "high": f"{higher:g}"}
            )
        else:
            out.append(
                _("%(grade)s: from %(low)s to under %(high)s points")
                % {"grade": label, "low": f"{low:g}", "high": f"{higher:g}"}
            )
        higher = low
    return out


def describe_quota(rule: dict[str, Any], labels: dict[str, str]) -> str:
    """A quota rule in one sentence, e.g. 优秀 at most 20% of those appraised (rounded half
    up), 25% with approval; enforced."""
    grades = "+".join(labels.get(g, g) for g in rule.get("grades", []))
    values = {"grades": grades, "share": _pct(rule.get("share", 0))}
    if rule.get("op") == "at_least":
        text = _("%(grades)s: at least %(share)s of those appraised") % values
    else:
        text = _("%(grades)s: at most %(share)s of those appraised") % values
    if rule.get("population") == "department":
        text += _(", in each department")
    rounding = rule.get("rounding") or ("up" if rule.get("op") != "at_least" else "down")
    text += {
        "up": _(", head count rounded up (进一法)"),
        "down": _(", head count rounded down (去尾法)"),
        "half_up": _(", head count rounded half up (四舍五入)"),
    }.get(rounding, "")
    if rule.get("share_if_approved") is not None:
        text += _("; %(share)s with approval") % {"share": _pct(rule["share_if_approved"])}
    by_grade = rule.get("share_by_unit_grade") or {}
    if UnitGrade.EXCELLENT in by_grade:
        text += _("; %(share)s when the unit is graded 优秀 or won a collective honour") % {
            "share": _pct(by_grade[UnitGrade.EXCELLENT])
        }
    if UnitGrade.FAILED in by_grade:
        text += _("; %(share)s when the unit is graded 不合格 or was held accountable") % {
            "share": _pct(by_grade[UnitGrade.FAILED])
        }
    text += _("; enforced.") if rule.get("enforced", True) else _("; advisory only.")
    return text


def describe_eligibility(eligibility: dict[str, Any]) -> list[str]:
    months = {k: int(v) for k, v in eligibility.items() if str(v).lstrip("-").isdigit()}
    return [
        _("Hired less than %(n)s months before the end of the cycle: a comment, no grade.")
        % {"n": months.get("new_hire_months", 6)},
        _("On leave more than %(n)s months of the cycle: no grade (maternity leave is graded).")
        % {"n": months.get("leave_months", 6)},
        _("Under investigation at the end of the cycle: the grade waits until it closes."),
        _("Seconded more than %(n)s months of the cycle: appraised by the host unit.")
        % {"n": months.get("seconded_months", 6)},
        _("Refusing to take part: the lowest grade."),
    ]


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    form = SchemeFilterForm(request.GET or None)
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = SchemeFilter(
        q=cd.get("q", ""),
        preset=cd.get("preset", ""),
        active=cd.get("active", "1") if form.is_bound else "1",
    )
    context = paginate(request, schemes_filtered(f), SCHEMES_PER_PAGE)
    page = list(context["page_obj"].object_list)
    counts = scheme_version_counts([s.code for s in page])
    for scheme in page:
        scheme.version_count = counts.get(scheme.code, 1)
    return render(
        request,
        "appraisals/scheme_list.html",
        {"form": form, "schemes": page, "can_manage": can_manage_schemes(request.user), **context},
    )


@login_required
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme(pk)
    sections, groups = scheme_structure(scheme)
    names = {s.section.code: s.section.name for s in sections}
    labels = {str(g.get("code")): str(g.get("label") or g.get("code")) for g in scheme.grades}
    versions = scheme_versions(scheme)
    can_manage = can_manage_schemes(request.user)
    # The managers see which active series keep the scheme from being deactivated (linked
    # when the series is theirs to read).
    active_series = schemes.active_series_using(scheme.code) if can_manage else []
    readable = set(
        series_visible_to(request.user)
        .filter(pk__in=[s.pk for s in active_series])
        .values_list("pk", flat=True)
        if active_series
        else []
    )
    return render(
        request,
        "appraisals/scheme_detail.html",
        {
            "scheme": scheme,
            "active_series": [(s, s.pk in readable) for s in active_series],
            "sections": sections,
            "groups": groups,
            "group_rows": [(g, [names.get(c, c) for c in g.sections]) for g in groups],
            "grade_lines": describe_grades(list(scheme.grades)),
            "quota_lines": [describe_quota(r, labels) for r in scheme.quota_rules],
            "eligibility_lines": describe_eligibility(dict(scheme.eligibility)),
            "versions": versions,
            "latest": next((v for v in versions if v.is_latest), scheme),
            "cycle_count": next(
                (getattr(v, "cycle_count", 0) for v in versions if v.pk == scheme.pk), 0
            ),
            "can_manage": can_manage,
            "anonymous_groups": [g for g in groups if g.anonymous],
            "self_group": RaterGroup.SELF,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = SchemeFromPresetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = schemes.scheme_from_preset(
                actor=actor_from_request(request),
                user=request.user,
                preset=form.cleaned_data["preset"],
                code=form.cleaned_data["code"],
                name=form.cleaned_data.get("name", ""),
            )
        except DomainError as e:
            apply_domain_error(form, e)
            form.mark_invalid()
        else:
            messages.success(
                request,
                _("Scheme “%(name)s” created from the preset; adjust it as you need.")
                % {"name": scheme.name},
            )
            return redirect("appraisals:scheme_detail", pk=scheme.pk)
    return render(request, "appraisals/scheme_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    scheme = get_scheme(pk)
    if not scheme.is_latest:
        latest = Scheme.objects.get(code=scheme.code, is_latest=True)
        messages.info(
            request,
            _("Version %(old)s is an earlier version; you are editing the latest, version %(new)s.")
            % {"old": scheme.revision, "new": latest.revision},
        )
        return redirect("appraisals:scheme_edit", pk=latest.pk)
    cycle_count = Cycle.objects.filter(scheme=scheme).count()
    error: DomainError | None = None
    if request.method == "POST":
        editor = SchemeEditor(request.POST, scheme=scheme)
        if editor.is_valid():
            data = editor.to_data(scheme.code)
            try:
                saved = schemes.scheme_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    scheme_id=scheme.pk,
                    expected_version=editor.form.cleaned_data.get("version") or 0,
                    data=data,
                    reason=editor.form.cleaned_data.get("reason", ""),
                )
            except DomainError as e:
                error = e
                editor.show_error(e)
            else:
                if saved.pk != scheme.pk:
                    messages.success(
                        request,
                        _("Version %(n)s created. Cycles that use version %(old)s keep it.")
                        % {"n": saved.revision, "old": scheme.revision},
                    )
                elif saved.version != scheme.version:
                    messages.success(request, _("Scheme saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("appraisals:scheme_detail", pk=saved.pk)
    else:
        editor = SchemeEditor(scheme=scheme, initial=schemes.SchemeData.of(scheme))
    return render(
        request,
        "appraisals/scheme_form.html",
        {"editor": editor, "scheme": scheme, "cycle_count": cycle_count, "error": error},
        status=form_status(error),
    )


@login_required
@require_POST
def scheme_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate or reactivate the scheme (all its versions), from its latest version's
    page."""
    _require_manage(request)
    scheme = get_scheme(pk)
    form = SchemeActiveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["active"] is None:
        messages.error(request, _("Reload the page and try again."))
        return redirect("appraisals:scheme_detail", pk=scheme.pk)
    active = bool(form.cleaned_data["active"])
    try:
        schemes.scheme_set_active(
            actor=actor_from_request(request),
            user=request.user,
            scheme_id=scheme.pk,
            active=active,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data.get("reason", ""),
        )
    except DomainError as e:
        messages.error(request, str(e.message))
    else:
        messages.success(
            request,
            _("The scheme is active again: it can be chosen for new cycles and series.")
            if active
            else _(
                "The scheme is deactivated: it is offered for no new cycle or series; the "
                "cycles that use it go on."
            ),
        )
    return redirect("appraisals:scheme_detail", pk=scheme.pk)
