"""Input parsing for the work plan pages. Forms parse; work_plans validates and writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jixiao.core.forms import DateInput
from jixiao.goals.models import Milestone, WorkItem, WorkItemKind, WorkItemStatus
from jixiao.goals.work_plans import MilestoneData, WorkItemData
from jixiao.org.forms import TablerForm
from jixiao.org.models import Person
from jixiao.org.pickers import PersonChoiceField


def _date_input() -> forms.DateInput:
    return DateInput()


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"), required=False, max_length=500, help_text=_("Kept in the audit trail.")
    )


def _money(label: Any, *, required: bool = False, places: int = 2) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        decimal_places=places,
        widget=forms.NumberInput(attrs={"step": "0.01" if places == 2 else "0.1", "min": "0"}),
    )


class WorkItemForm(TablerForm):
    """The whole item, for its planners."""

    kind = forms.ChoiceField(label=_("Kind"), choices=WorkItemKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = PersonChoiceField(label=_("Owner"), queryset=Person.objects.none(), required=False)
    planned_start = forms.DateField(label=_("Planned start"), widget=_date_input())
    planned_end = forms.DateField(label=_("Planned end"), widget=_date_input())
    planned_days = _money(_("Planned effort (working days)"), places=1)
    budget = _money(_("Budget (yuan)"))
    status = forms.ChoiceField(label=_("Status"), choices=WorkItemStatus.choices)
    percent_complete = forms.IntegerField(
        label=_("Percent complete"),
        initial=0,
        widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "1"}),
    )
    actual_start = forms.DateField(label=_("Actual start"), required=False, widget=_date_input())
    actual_end = forms.DateField(label=_("Actual end"), required=False, widget=_date_input())
    actual_cost = _money(_("Actual cost (yuan)"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason()

    def __init__(self, *args: Any, owners: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owners

    @classmethod
    def initial_for(cls, item: WorkItem) -> dict[str, Any]:
        return {
            "kind": item.kind,
            "title": item.title,
            "description": item.description,
            "owner": item.owner_id,
            "planned_start": item.planned_start,
            "planned_end": item.planned_end,
            "planned_days": item.planned_days,
            "budget": item.budget,
            "status": item.status,
            "percent_complete": item.percent_complete,
            "actual_start": item.actual_start,
            "actual_end": item.actual_end,
            "actual_cost": item.actual_cost,
            "version": item.version,
        }

    def to_data(self) -> WorkItemData:
        cd = self.cleaned_data
        owner = cd.get("owner")
        return WorkItemData(
            kind=cd["kind"],
            title=cd["title"],
            description=cd.get("description") or "",
            owner_id=owner.pk if owner is not None else None,
            planned_start=cd["planned_start"],
            planned_end=cd["planned_end"],
            planned_days=cd.get("planned_days"),
            budget=cd.get("budget"),
            status=cd["status"],
            percent_complete=cd["percent_complete"],
            actual_start=cd.get("actual_start"),
            actual_end=cd.get("actual_end"),
            actual_cost=cd.get("actual_cost"),
        )


class ProgressForm(TablerForm):
    """What an item's owner reports: percent, status, actual dates and cost."""

    percent_complete = forms.IntegerField(
        label=_("Percent complete"),
        widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "1"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in WorkItemStatus.choices if c[0] != WorkItemStatus.CANCELLED],
    )
    actual_start = forms.DateField(label=_("Actual start"), required=False, widget=_date_input())
    actual_end = forms.DateField(label=_("Actual end"), required=False, widget=_date_input())
    actual_cost = _money(_("Actual cost (yuan)"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason()

    @classmethod
    def initial_for(cls, item: WorkItem) -> dict[str, Any]:
        return {
            "percent_complete": item.percent_complete,
            "status": item.status,
            "actual_start": item.actual_start,
            "actual_end": item.actual_end,
            "actual_cost": item.actual_cost,
            "version": item.version,
        }

    def to_data(self, item: WorkItem) -> WorkItemData:
        """The item's plan as it is, with the reported progress."""
        cd = self.cleaned_data
        data = WorkItemData.of(item)
        data.percent_complete = cd["percent_complete"]
        data.status = cd["status"]
        data.actual_start = cd.get("actual_start")
        data.actual_end = cd.get("actual_end")
        data.actual_cost = cd.get("actual_cost")
        return data


class MilestoneForm(TablerForm):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = forms.DateField(label=_("Due"), widget=_date_input())
    share = forms.DecimalField(
        label=_("Share of the work (%)"),
        required=False,
        decimal_places=2,
        initial=Decimal(0),
        help_text=_("The plan counts this share as due on the milestone's date."),
        widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "0.01"}),
    )
    done_on = forms.DateField(label=_("Done on"), required=False, widget=_date_input())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason()

    @classmethod
    def initial_for(cls, milestone: Milestone, item_version: int) -> dict[str, Any]:
        return {
            "title": milestone.title,
            "due_date": milestone.due_date,
            "share": milestone.share,
            "done_on": milestone.done_on,
            "version": item_version,
        }

    def to_data(self) -> MilestoneData:
        cd = self.cleaned_data
        share = cd.get("share")
        return MilestoneData(
            title=cd["title"],
            due_date=cd["due_date"],
            share=share if share is not None else Decimal(0),
            done_on=cd.get("done_on"),
        )


class VersionForm(TablerForm):
    """A confirmation: the version read, and an optional reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason()


class MilestoneDoneForm(TablerForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    done = forms.BooleanField(required=False, widget=forms.HiddenInput)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=_date_input())


class BudgetForm(TablerForm):
    amount = _money(_("Budget (yuan)"), required=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = _reason()
