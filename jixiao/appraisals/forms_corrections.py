"""Input parsing for the office's corrections (jixiao.appraisals.corrections validates and
writes): a cycle's changeable settings, and one person's eligibility."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jixiao.appraisals.corrections import MAX_REASON, CycleSettings
from jixiao.appraisals.models import DEADLINE_PHASES, Cycle, CyclePhase, Eligibility, UnitGrade
from jixiao.core.forms import DateInput
from jixiao.org.forms import TablerForm

DEADLINE_LABELS = {
    CyclePhase.SELF_ASSESSMENT: _("Self-assessment until"),
    CyclePhase.RATING: _("Rating until"),
    CyclePhase.COMPUTING: _("Computing and review until"),
    CyclePhase.RESULTS: _("Results shown until"),
}


class CycleEditForm(TablerForm):
    """The settings a cycle keeps changeable; its scheme, unit, period and people are fixed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=100)
    unit_grade = forms.ChoiceField(
        label=_("The unit's own grade"),
        choices=UnitGrade.choices,
        required=False,
        help_text=_(
            "Moves the share of 优秀 in schemes whose quota depends on it (事业单位: 25% when the "
            "unit is graded 优秀, 15% when it failed)."
        ),
    )
    higher_quota_approved = forms.BooleanField(
        label=_("Higher share of the top grade approved"),
        required=False,
        help_text=_("For schemes with a higher share on approval (公务员: 25%, not 20%)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for phase in DEADLINE_PHASES:
            self.fields[f"deadline_{phase}"] = forms.DateField(
                label=DEADLINE_LABELS[phase],
                required=False,
                widget=DateInput(attrs={"class": "form-control"}),
            )
        self.order_fields(
            ["name", *(f"deadline_{p}" for p in DEADLINE_PHASES), "unit_grade", "version"]
        )

    @staticmethod
    def initial_of(cycle: Cycle) -> dict[str, Any]:
        deadlines = cycle.deadlines or {}
        return {
            "version": cycle.version,
            "name": cycle.name,
            "unit_grade": cycle.unit_grade,
            "higher_quota_approved": cycle.higher_quota_approved,
            **{f"deadline_{p}": deadlines.get(p) or None for p in DEADLINE_PHASES},
        }

    def deadline_rows(self) -> list[forms.BoundField]:
        return [self[f"deadline_{p}"] for p in DEADLINE_PHASES]

    def to_settings(self, cycle: Cycle) -> CycleSettings:
        """The form's values; deadlines of phases the form has no field for are kept."""
        cd = self.cleaned_data
        deadlines = {
            str(k): str(v) for k, v in (cycle.deadlines or {}).items() if k not in DEADLINE_PHASES
        }
        for phase in DEADLINE_PHASES:
            if cd.get(f"deadline_{phase}"):
                deadlines[str(phase)] = cd[f"deadline_{phase}"].isoformat()
        return CycleSettings(
            name=cd["name"],
            deadlines=deadlines,
            unit_grade=cd.get("unit_grade") or "",
            higher_quota_approved=bool(cd.get("higher_quota_approved")),
        )


CYCLE_EDIT_FIELD_MAP = {f"deadlines.{p}": f"deadline_{p}" for p in DEADLINE_PHASES}


class EligibilityForm(TablerForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    eligibility = forms.ChoiceField(label=_("Eligibility"), choices=Eligibility.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required. Shown with the eligibility wherever it appears (the person sees it too) "
            "and kept in the audit trail."
        ),
    )
