"""Forms of the strategy, template and assignment pages."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jixiao.goals.forms import choice_field
from jixiao.goals.goal_templates import AssignmentTarget, TemplateData
from jixiao.goals.models import (
    CheckInCadence,
    GoalTemplate,
    Horizon,
    StrategicObjective,
    StrategicTheme,
)
from jixiao.goals.periods import PeriodKind, period_choices
from jixiao.goals.services import KeyResultData
from jixiao.goals.strategy import ObjectiveData, ThemeData
from jixiao.org.forms import TablerForm
from jixiao.org.models import Department, Post
from jixiao.org.pickers import DepartmentChoiceField, PostChoiceField


class ThemeForm(TablerForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_capacity_building = forms.BooleanField(
        label=_("Long-term capacity building"), required=False
    )
    sort_order = forms.IntegerField(label=_("Order"), initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, theme: StrategicTheme) -> dict[str, Any]:
        return {
            "name": theme.name,
            "description": theme.description,
            "is_capacity_building": theme.is_capacity_building,
            "sort_order": theme.sort_order,
            "is_active": theme.is_active,
            "version": theme.version,
        }

    def to_data(self) -> ThemeData:
        cd = self.cleaned_data
        return ThemeData(
            name=cd["name"],
            description=cd.get("description", ""),
            is_capacity_building=bool(cd.get("is_capacity_building")),
            sort_order=cd.get("sort_order") or 0,
        )


class ObjectiveForm(TablerForm):
    theme = forms.TypedChoiceField(label=_("Theme"), coerce=int)
    parent = forms.TypedChoiceField(
        label=_("Under the multi-year objective"), coerce=int, required=False, empty_value=None
    )
    code = forms.CharField(label=_("Code"), max_length=32, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    start_year = forms.IntegerField(label=_("From year"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("To year"), min_value=2000, max_value=2100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, unit: Department, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "theme").choices = [
            (t.pk, t.name)
            for t in StrategicTheme.objects.filter(unit=unit, is_active=True).order_by(
                "sort_order", "id"
            )
        ]
        choice_field(self, "parent").choices = [("", _("— none (a multi-year objective) —"))] + [
            (o.pk, f"{o.title}（{o.start_year}–{o.end_year}）")
            for o in StrategicObjective.objects.filter(
                unit=unit, parent__isnull=True, is_active=True
            ).order_by("start_year", "id")
        ]

    @classmethod
    def initial_for(cls, objective: StrategicObjective) -> dict[str, Any]:
        return {
            "theme": objective.theme_id,
            "parent": objective.parent_id,
            "code": objective.code,
            "title": objective.title,
            "description": objective.description,
            "start_year": objective.start_year,
            "end_year": objective.end_year,
            "is_active": objective.is_active,
            "version": objective.version,
        }

    def to_data(self) -> ObjectiveData:
        cd = self.cleaned_data
        return ObjectiveData(
            theme_id=cd["theme"],
            title=cd["title"],
            start_year=cd["start_year"],
            end_year=cd["end_year"],
            code=cd.get("code", ""),
            description=cd.get("description", ""),
            parent_id=cd.get("parent"),
        )


class PolicyForm(TablerForm):
    min_capacity_share = forms.DecimalField(
        label=_("Minimum share of long-term capacity building (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
    )


class TemplateForm(TablerForm):
    name = forms.CharField(label=_("Template name"), max_length=100)
    title = forms.CharField(label=_("Goal title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    weight = forms.DecimalField(
        label=_("Weight (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    checkin_cadence = forms.ChoiceField(label=_("Check-ins"), choices=CheckInCadence.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, template: GoalTemplate) -> dict[str, Any]:
        return {
            "name": template.name,
            "title": template.title,
            "description": template.description,
            "horizon": template.horizon,
            "weight": template.weight,
            "period_kind": template.period_kind,
            "checkin_cadence": template.checkin_cadence,
            "version": template.version,
        }

    def to_data(self, key_results: list[KeyResultData]) -> TemplateData:
        cd = self.cleaned_data
        return TemplateData(
            name=cd["name"],
            title=cd["title"],
            description=cd.get("description", ""),
            horizon=cd["horizon"],
            weight=Decimal(cd["weight"]),
            period_kind=cd["period_kind"],
            checkin_cadence=cd["checkin_cadence"],
            key_results=key_results,
        )


class AssignForm(TablerForm):
    period = forms.ChoiceField(label=_("Period"))
    post = PostChoiceField(
        label=_("Everyone with the post"), queryset=Post.objects.none(), required=False
    )
    department = DepartmentChoiceField(
        label=_("Everyone in the department"), queryset=Department.objects.none(), required=False
    )
    include_subdepartments = forms.BooleanField(
        label=_("Include sub-departments"), required=False, initial=True
    )
    parent = forms.TypedChoiceField(
        label=_("Aligned to"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        today: datetime.date,
        posts: Any,
        departments: Any,
        parents: list[Any],
        kind: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        years = [today.year - 1, today.year, today.year + 1]
        choice_field(self, "period").choices = [
            (k, label) for k, label in period_choices(years) if _kind_of(k) == kind
        ]
        self.fields["post"].queryset = posts  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        choice_field(self, "parent").choices = [("", _("— not aligned —"))] + [
            (g.pk, f"{g.get_level_display()} · {g.department.name} · {g.title}（{g.period}）")
            for g in parents
        ]

    def target(self) -> AssignmentTarget:
        cd = self.cleaned_data
        return AssignmentTarget(
            post_id=cd["post"].pk if cd.get("post") else None,
            department_id=cd["department"].pk if cd.get("department") else None,
            include_subdepartments=bool(cd.get("include_subdepartments")),
        )


def _kind_of(key: str) -> str:
    if "-H" in key:
        return PeriodKind.HALF
    if "-Q" in key:
        return PeriodKind.QUARTER
    if "-" in key:
        return PeriodKind.MONTH
    return PeriodKind.YEAR


class AcknowledgeForm(TablerForm):
    key = forms.CharField(widget=forms.HiddenInput, max_length=255)
    kind = forms.CharField(widget=forms.HiddenInput, max_length=32)
    goals = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    note = forms.CharField(
        label=_("How it is handled"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def goal_ids(self) -> list[int]:
        return [int(x) for x in self.cleaned_data["goals"].split(",") if x.strip().isdigit()]
