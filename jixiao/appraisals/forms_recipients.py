"""The office's form for the departments a department serves (its service recipients)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jixiao.appraisals.forms_office import DepartmentsField
from jixiao.org.forms import TablerForm
from jixiao.org.models import Department
from jixiao.org.pickers import department_label


class DepartmentField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return department_label(obj)


class RecipientSourceForm(TablerForm):
    department = DepartmentField(
        label=_("Department appraised"),
        queryset=Department.objects.none(),
        help_text=_("Its sub-departments follow, unless they have a choice of their own."),
    )
    served = DepartmentsField(
        label=_("Departments it serves"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_(
            "Their active people rate the department's appraisees as service recipients. "
            "None chosen: the open recipient ratings are cancelled."
        ),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        appraised: QuerySet[Department],
        unit_departments: QuerySet[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        served = self.fields["served"]
        assert isinstance(department, forms.ModelChoiceField)
        assert isinstance(served, forms.ModelMultipleChoiceField)
        department.queryset = appraised
        served.queryset = unit_departments
