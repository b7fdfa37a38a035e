"""Input parsing for the indicator pages. Forms parse; services validate and write.

The scoring rule travels as JSON (written by the rule editor, or typed); its problems come
back from the engine with a path (`bands[1].max`) and are shown next to the rule editor.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jixiao.core.errors import DomainError
from jixiao.indicators import rules
from jixiao.indicators.models import Category, Direction, Indicator, Period, SourceKind
from jixiao.indicators.services import BarsLevelData, IndicatorData
from jixiao.org.forms import TablerForm

ACTIVE_CHOICES = [("1", _("Active only")), ("0", _("Inactive only")), ("", _("All"))]
MIN_LEVEL_ROWS = 5


class IndicatorFilterForm(TablerForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Category.choices]
    )
    source_kind = forms.ChoiceField(
        label=_("Data source"), required=False, choices=[("", _("All")), *SourceKind.choices]
    )
    rule_kind = forms.ChoiceField(label=_("Rule kind"), required=False)
    active = forms.ChoiceField(
        label=_("Active"), required=False, choices=ACTIVE_CHOICES, initial="1"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rule_kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All")), *rules.kind_choices()]


class IndicatorForm(TablerForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("Names the indicator across all its versions; cannot be changed later."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices, initial=Period.ANNUAL)
    default_weight = forms.DecimalField(
        label=_("Default weight (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(0),
    )
    responsible = forms.CharField(
        label=_("Responsible party"),
        max_length=100,
        required=False,
        help_text=_("Who answers for the result (责任主体), e.g. 办公室（文秘科）."),
    )
    source_kind = forms.ChoiceField(label=_("Data source"), choices=SourceKind.choices)
    source_detail = forms.CharField(
        label=_("Source details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Where the data comes from; for a formula source, the formula over other "
            "indicators' codes, e.g. [XL-01]/[XL-02]."
        ),
    )
    definition = forms.CharField(
        label=_("Definition"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    standard = forms.CharField(
        label=_("Scoring standard (考评标准)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rule_kind = forms.ChoiceField(label=_("Rule kind"))
    rule_json = forms.CharField(
        label=_("Rule parameters (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail and in the version history."),
    )

    def __init__(self, *args: Any, editing: Indicator | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["rule_kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = rules.kind_choices()
        self.fields["rule_json"].widget.attrs["data-rule-json"] = ""
        kind.widget.attrs["data-rule-kind"] = ""
        if editing is None:
            del self.fields["version"]
            del self.fields["reason"]
        else:
            # The code names the family: shown, never submitted.
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    @classmethod
    def initial_for(cls, indicator: Indicator) -> dict[str, Any]:
        spec = indicator.rule if isinstance(indicator.rule, dict) else {}
        return {
            "code": indicator.code,
            "name": indicator.name,
            "category": indicator.category,
            "unit": indicator.unit,
            "direction": indicator.direction,
            "period": indicator.period,
            "default_weight": indicator.default_weight,
            "responsible": indicator.responsible,
            "source_kind": indicator.source_kind,
            "source_detail": indicator.source_detail,
            "definition": indicator.definition,
            "standard": indicator.standard,
            "rule_kind": rules.rule_kind(spec),
            "rule_json": json.dumps(spec, ensure_ascii=False, indent=2),
            "version": indicator.version,
        }

    def clean_rule_json(self) -> Any:
        text = (self.cleaned_data.get("rule_json") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("The rule is not valid JSON (line %(line)s, column %(col)s): %(msg)s."),
                code="invalid_json",
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The rule must be a JSON object."), code="not_object")
        return value

    def rule_spec(self) -> dict[str, Any]:
        spec = dict(self.cleaned_data.get("rule_json") or {})
        kind = self.cleaned_data.get("rule_kind")
        if kind:
            spec["kind"] = kind
        return spec

    def to_data(self, levels: list[BarsLevelData], *, code: str | None = None) -> IndicatorData:
        cd = self.cleaned_data
        return IndicatorData(
            code=code if code is not None else cd.get("code", ""),
            name=cd["name"],
            category=cd["category"],
            definition=cd.get("definition", ""),
            standard=cd.get("standard", ""),
            unit=cd.get("unit", ""),
            direction=cd["direction"],
            source_kind=cd["source_kind"],
            source_detail=cd.get("source_detail", ""),
            rule=self.rule_spec(),
            default_weight=cd["default_weight"],
            period=cd["period"],
            responsible=cd.get("responsible", ""),
            bars_levels=levels,
        )


class BarsLevelForm(forms.Form):
    level = forms.IntegerField(
        label=_("Level"),
        required=False,
        min_value=1,
        max_value=99,
        widget=forms.NumberInput(attrs={"class": "form-control", "style": "width:5em"}),
    )
    title = forms.CharField(
        label=_("Level title"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    description = forms.CharField(
        label=_("Observable behaviour"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    points = forms.DecimalField(
        label=_("Points"),
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "style": "width:7em"}),
    )

    def is_blank(self) -> bool:
        cd = getattr(self, "cleaned_data", {})
        return not any(
            cd.get(k) not in (None, "") for k in ("level", "title", "description", "points")
        )

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        if self.is_blank():
            return cd
        for name, message in (
            ("level", gettext("Give the level a number.")),
            ("title", gettext("Name the level.")),
            ("description", gettext("Describe the behaviour a rater must have observed.")),
            ("points", gettext("Enter the points of this level.")),
        ):
            if cd.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        return cd


BarsLevelFormSetBase = formset_factory(BarsLevelForm, extra=0, max_num=10, absolute_max=20)


def bars_formset(data: Any = None, *, indicator: Indicator | None = None) -> Any:
    """The BARS levels of an indicator (or blank rows), at least five rows on screen."""
    initial: list[dict[str, Any]] = []
    if indicator is not None:
        initial = [
            {"level": b.level, "title": b.title, "description": b.description, "points": b.points}
            for b in indicator.bars_levels.all()
        ]
    extra = max(0, MIN_LEVEL_ROWS - len(initial))
    formset_class = formset_factory(BarsLevelForm, extra=extra, max_num=10, absolute_max=20)
    if data is not None:
        return formset_class(data, prefix="bars")
    return formset_class(initial=initial or None, prefix="bars")


def levels_from(formset: Any) -> list[BarsLevelData]:
    out: list[BarsLevelData] = []
    for form in formset.forms:
        if form.is_blank():
            continue
        cd = form.cleaned_data
        out.append(
            BarsLevelData(
                level=int(cd["level"]),
                title=cd["title"],
                description=cd["description"],
                points=Decimal(cd["points"]),
            )
        )
    return out


def show_indicator_error(form: IndicatorForm, formset: Any, error: DomainError) -> None:
    """Each service error next to its field: rule parameters on the rule editor (with their
    path), BARS level fields on their row, the rest on the form."""
    level_forms = [f for f in formset.forms if not f.is_blank()]
    for fe in error.all_errors():
        name = fe.field or ""
        if name == "rule" or name.startswith("rule."):
            path = name.removeprefix("rule").removeprefix(".")
            message = f"{path}：{fe.message}" if path else str(fe.message)
            form.add_error("rule_json", message)
        elif name.startswith("bars_levels["):
            index_text, _sep, rest = name.removeprefix("bars_levels[").partition("]")
            sub = rest.removeprefix(".")
            if index_text.isdigit() and int(index_text) < len(level_forms) and sub:
                level_forms[int(index_text)].add_error(sub, str(fe.message))
            else:
                form.add_error(None, str(fe.message))
        elif name == "bars_levels":
            form.add_error(None, str(fe.message))
        elif name and name in form.fields:
            form.add_error(name, str(fe.message))
        else:
            form.add_error(None, str(fe.message))
    form.mark_invalid()


def rule_error_paths(error: DomainError | None) -> dict[str, str]:
    """{path: message} of the rule's problems, for the rule editor to mark its inputs."""
    if error is None:
        return {}
    out: dict[str, str] = {}
    for fe in error.all_errors():
        if fe.field and fe.field.startswith("rule"):
            out[fe.field.removeprefix("rule").removeprefix(".")] = str(fe.message)
    return out


class ReasonForm(TablerForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
    )


class SetActiveForm(ReasonForm):
    active = forms.BooleanField(required=False, widget=forms.HiddenInput)


# ---------------------------------------------------------------- weights


class WeightSetSaveForm(TablerForm):
    name = forms.CharField(label=_("Name of the weight set"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EntropyUploadForm(forms.Form):
    data_file = forms.FileField(
        label=_("Data (.csv or .xlsx)"),
        help_text=_(
            "First column: the appraisee's id or name; then one column per indicator, headed "
            "with its code or name."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )
