"""Forms of the result pages: the results filter, the KPI override and the superior's comment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jixiao.appraisals.models import Cycle, Eligibility
from jixiao.appraisals.selectors_results import ResultFilter
from jixiao.org.forms import TablerForm
from jixiao.org.models import Department
from jixiao.org.pickers import DepartmentChoiceField
from jixiao.org.selectors import departments_visible_to

SORT_CHOICES = [
    ("score", _("Score, highest first")),
    ("rank", _("Rank in unit")),
    ("department", _("Department")),
    ("grade", _("Suggested grade")),
    ("number", _("Employee number")),
]


class ResultFilterForm(TablerForm):
    q = forms.CharField(label=_("Name or employee number"), required=False, max_length=50)
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    grade = forms.ChoiceField(label=_("Suggested grade"), required=False)
    eligibility = forms.ChoiceField(
        label=_("Eligibility"),
        required=False,
        choices=[("", _("All")), *Eligibility.choices],
    )
    ties = forms.BooleanField(label=_("Ties only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, cycle: Cycle, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, DepartmentChoiceField)
        department.queryset = departments_visible_to(user).filter(path__startswith=cycle.unit.path)
        grade = self.fields["grade"]
        assert isinstance(grade, forms.ChoiceField)
        grade.choices = [
            ("", _("All")),
            *[(str(g["code"]), str(g.get("label") or g["code"])) for g in cycle.scheme.grades],
            ("-", _("No grade")),
        ]

    def to_filter(self) -> ResultFilter:
        if not self.is_valid():
            return ResultFilter()
        data = self.cleaned_data
        department = data.get("department")
        return ResultFilter(
            department_id=department.pk if department is not None else None,
            grade=data.get("grade") or "",
            eligibility=data.get("eligibility") or "",
            ties=bool(data.get("ties")),
            q=data.get("q") or "",
            sort=data.get("sort") or "score",
        )


class KpiOverrideForm(TablerForm):
    score = forms.FloatField(
        label=_("Score set by hand"),
        required=False,
        min_value=0,
        help_text=_("In the item's points. Leave empty to remove the score set by hand."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail with the score before and after."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class KpiCommentForm(TablerForm):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
