"""Forms of the goal pages. They parse input; the services decide what is allowed and valid."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from jixiao.core.errors import DomainError
from jixiao.core.forms import DateInput
from jixiao.goals.models import (
    CheckInCadence,
    Goal,
    GoalLevel,
    GoalOutcome,
    GoalStatus,
    Horizon,
    KeyResultSource,
    ProgressMode,
    StrategicObjective,
)
from jixiao.goals.periods import period_choices
from jixiao.goals.services import GoalData, KeyResultData
from jixiao.indicators.models import Direction, Indicator
from jixiao.org.forms import TablerForm
from jixiao.org.models import Department, Person
from jixiao.org.pickers import DepartmentChoiceField, PersonChoiceField


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def year_choices(today: datetime.date) -> list[int]:
    return [today.year - 1, today.year, today.year + 1]


class GoalFilterForm(TablerForm):
    q = forms.CharField(label=_("Search"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False)
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *GoalLevel.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *GoalStatus.choices]
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "period").choices = [
            ("", _("All periods")),
            *period_choices(year_choices(today)),
        ]


class GoalForm(TablerForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    weight = forms.DecimalField(
        label=_("Weight (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        help_text=_("Within this owner's goals for the period; they add up to 100%."),
    )
    horizon = forms.ChoiceField(label=_("Horizon"), choices=Horizon.choices)
    due_date = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    parent = forms.TypedChoiceField(
        label=_("Aligned to"), required=False, coerce=int, empty_value=None
    )
    objective = forms.TypedChoiceField(
        label=_("Strategic objective"), required=False, coerce=int, empty_value=None
    )
    supports = forms.TypedMultipleChoiceField(
        label=_("Also supports"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    progress_mode = forms.ChoiceField(label=_("Progress from"), choices=ProgressMode.choices)
    checkin_cadence = forms.ChoiceField(label=_("Check-ins"), choices=CheckInCadence.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        parents: list[Goal],
        objectives: list[StrategicObjective],
        supports: list[Goal],
        ask_reason: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "parent").choices = [("", _("— not aligned —"))] + [
            (g.pk, goal_choice_label(g)) for g in parents
        ]
        choice_field(self, "objective").choices = [("", _("— none —"))] + [
            (o.pk, f"{o.theme.name} · {o.title}（{o.start_year}–{o.end_year}）") for o in objectives
        ]
        choice_field(self, "supports").choices = [(g.pk, goal_choice_label(g)) for g in supports]
        if not ask_reason:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _(
                "Kept with the change request and in the audit trail."
            )

    @classmethod
    def initial_for(cls, goal: Goal) -> dict[str, Any]:
        return {
            "title": goal.title,
            "description": goal.description,
            "weight": goal.weight,
            "horizon": goal.horizon,
            "due_date": goal.due_date,
            "parent": goal.parent_id,
            "objective": goal.objective_id,
            "supports": list(goal.support_links.values_list("supports_id", flat=True)),
            "progress_mode": goal.progress_mode,
            "checkin_cadence": goal.checkin_cadence,
            "version": goal.version,
        }

    def to_data(self, key_results: list[KeyResultData]) -> GoalData:
        cd = self.cleaned_data
        return GoalData(
            title=cd["title"],
            description=cd.get("description", ""),
            weight=Decimal(cd["weight"]),
            horizon=cd["horizon"],
            due_date=cd.get("due_date"),
            parent_id=cd.get("parent"),
            objective_id=cd.get("objective"),
            progress_mode=cd["progress_mode"],
            checkin_cadence=cd["checkin_cadence"],
            key_results=key_results,
            supports=list(cd.get("supports") or []),
        )


def goal_choice_label(goal: Goal) -> str:
    owner = goal.person.name if goal.person_id and goal.person else goal.department.name
    return f"{goal.get_level_display()} · {owner} · {goal.title}（{goal.period}）"


class KeyResultForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(
        label=_("Key result"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    indicator = forms.TypedChoiceField(
        label=_("Indicator"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    unit = forms.CharField(
        label=_("Unit"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"class": "form-control", "style": "width:6em"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("From the indicator")), *Direction.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    baseline = forms.DecimalField(
        label=_("Baseline"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "any", "style": "width:7em"}
        ),
    )
    threshold = forms.DecimalField(
        label=_("Threshold"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "any", "style": "width:7em"}
        ),
    )
    target = forms.DecimalField(
        label=_("Target"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "any", "style": "width:7em"}
        ),
    )
    stretch = forms.DecimalField(
        label=_("Stretch"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "any", "style": "width:7em"}
        ),
    )
    weight = forms.DecimalField(
        label=_("Weight (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "step": "any", "style": "width:6em"}
        ),
    )
    source = forms.ChoiceField(
        label=_("Values from"),
        choices=KeyResultSource.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(
        self, *args: Any, indicators: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "indicator").choices = [("", _("— none —")), *(indicators or [])]

    def is_blank(self) -> bool:
        cd = getattr(self, "cleaned_data", {})
        return not any(
            cd.get(k) not in (None, "")
            for k in ("title", "indicator", "baseline", "threshold", "target", "stretch")
        )

    def to_data(self) -> KeyResultData:
        cd = self.cleaned_data
        return KeyResultData(
            id=cd.get("id"),
            title=cd.get("title") or "",
            indicator_id=cd.get("indicator"),
            unit=cd.get("unit") or "",
            direction=cd.get("direction") or "",
            baseline=cd.get("baseline"),
            threshold=cd.get("threshold"),
            target=cd.get("target"),
            stretch=cd.get("stretch"),
            weight=Decimal(cd["weight"]) if cd.get("weight") is not None else Decimal(100),
            source=cd.get("source") or KeyResultSource.MANUAL,
        )


MIN_KR_ROWS = 3


def indicator_choices() -> list[tuple[int, str]]:
    return [
        (pk, f"{code} {name}")
        for pk, code, name in Indicator.objects.filter(is_latest=True, is_active=True)
        .order_by("category", "code")
        .values_list("pk", "code", "name")
    ]


def key_result_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    initial = initial or []
    extra = max(1, MIN_KR_ROWS - len(initial))
    formset_class = formset_factory(KeyResultForm, extra=extra, max_num=20, absolute_max=25)
    form_kwargs = {"indicators": indicator_choices()}
    if data is not None:
        return formset_class(data, prefix="kr", form_kwargs=form_kwargs)
    return formset_class(initial=initial or None, prefix="kr", form_kwargs=form_kwargs)


def key_result_initial(goal: Goal) -> list[dict[str, Any]]:
    return [
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
            "source": kr.source,
        }
        for kr in goal.key_results.order_by("position", "id")
    ]


def key_results_from(formset: Any) -> list[KeyResultData]:
    return [f.to_data() for f in formset.forms if not f.is_blank()]


def show_goal_error(form: GoalForm, formset: Any, error: DomainError) -> None:
    """Each service error next to its field: key-result fields on their row."""
    rows = [f for f in formset.forms if not f.is_blank()]
    for fe in error.all_errors():
        name = fe.field or ""
        if name.startswith("key_results["):
            index_text, _sep, rest = name.removeprefix("key_results[").partition("]")
            sub = rest.removeprefix(".")
            if (
                index_text.isdigit()
                and int(index_text) < len(rows)
                and sub in rows[int(index_text)].fields
            ):
                rows[int(index_text)].add_error(sub, str(fe.message))
                continue
        if name in form.fields:
            form.add_error(name, str(fe.message))
        else:
            form.add_error(None, str(fe.message))
    form.mark_invalid()


class OwnerForm(TablerForm):
    """The owner and period of a new goal, when they are not given by the link."""

    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "period").choices = period_choices(year_choices(today))


class CascadeForm(TablerForm):
    """From a goal, the department or person to give an aligned goal to."""

    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    person = PersonChoiceField(label=_("Person"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, departments: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]


class CommentForm(TablerForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(TablerForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=GoalOutcome.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class DecisionForm(TablerForm):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
