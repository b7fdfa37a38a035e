"""The upload form."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jixiao.goals.periods import period_choices


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx workbook in the template's format, or one .csv file."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file, write nothing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError(_("Choose an .xlsx or .csv file."), code="unsupported_type")
        limit = int(settings.JIXIAO_IMPORT_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.") % {"limit": f"{limit / 1048576:.0f}"},
                code="file_too_large",
            )
        return upload


class GoalExportForm(forms.Form):
    """Which goals to export: those within a period (a year includes its halves, quarters
    and months), or every period."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        years = [today.year - 1, today.year, today.year + 1]
        field.choices = [("", _("All periods")), *period_choices(years)]
        self.initial.setdefault("period", str(today.year))
