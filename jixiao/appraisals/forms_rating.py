"""Forms of the rater's and the appraisee's pages. The grid itself is parsed by
jixiao.appraisals.grid (its fields are named per ratee and item, not a Django form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jixiao.appraisals.self_assessment import MAX_SUMMARY
from jixiao.org.models import Person


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=_("Personal summary (述职)"),
        required=False,
        max_length=MAX_SUMMARY,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 14}),
        help_text=_(
            "What you achieved against your goals, how you worked, what you would improve. "
            "Your raters read it once you submit it."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PeopleChoice(forms.ModelMultipleChoiceField[Person]):
    def label_from_instance(self, obj: Any) -> str:
        post = f" · {obj.post.name}" if obj.post_id and obj.post else ""
        return f"{obj.name}（{obj.employee_no}）{post}"


class NominationForm(forms.Form):
    people = PeopleChoice(
        label=_("Colleagues to rate you"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Your direct superior approves or declines each nomination."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["people"]
        assert isinstance(field, PeopleChoice)
        field.queryset = candidates


class DecisionForm(forms.Form):
    version = forms.IntegerField()
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Rating code (考核码)"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg text-center font-monospace",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXXX-XXXXX",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()
