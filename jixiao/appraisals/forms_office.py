"""Input parsing for the performance office's appraisal pages. Forms parse; the services in
schemes.py, cycles.py and codes.py validate and write.

The scheme editor is one main form and row formsets: grades, quota rules, sections (each with
its own formset of items, prefix `items<section row>`) and rater groups. The services name a
problem by its place in the data (`sections[1].items[0].weight`); the editor keeps which form
row each data row came from, so the message lands next to the field that was typed.
"""

from __future__ import annotations

import datetime
import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jixiao.appraisals.codes import MAX_BATCH
from jixiao.appraisals.cycles import CycleData, Population
from jixiao.appraisals.models import (
    DEADLINE_PHASES,
    MAX_RATERS_PER_PERSON,
    PHASE_ORDER,
    RECURRING_KINDS,
    AssignmentStatus,
    Cycle,
    CycleKind,
    CyclePhase,
    CycleSeries,
    KpiSource,
    RaterGroup,
    Scheme,
    SchemePreset,
    SectionKind,
    UnitGrade,
)
from jixiao.appraisals.presets import DEFAULT_ELIGIBILITY
from jixiao.appraisals.schemes import GroupData, ItemData, SchemeData, SectionData
from jixiao.appraisals.series import SeriesData
from jixiao.core.errors import DomainError
from jixiao.core.forms import DateInput
from jixiao.engine.appraisal.grades import AT_LEAST, AT_MOST
from jixiao.goals.periods import PeriodKind, parse_period
from jixiao.indicators.models import Indicator
from jixiao.org.forms import TablerForm
from jixiao.org.models import Department, DepartmentKind, Person, PostCategory
from jixiao.org.pickers import DepartmentChoiceField, PersonChoiceField, department_label

ACTIVE_CHOICES = [("1", _("Active only")), ("0", _("Inactive only")), ("", _("All"))]
PRESET_CHOICES = [
    (SchemePreset.CIVIL_SERVANT, SchemePreset.CIVIL_SERVANT.label),
    (SchemePreset.INSTITUTION, SchemePreset.INSTITUTION.label),
    (SchemePreset.COMPANY, SchemePreset.COMPANY.label),
]
OP_CHOICES = [(AT_MOST, _("at most")), (AT_LEAST, _("at least"))]
ROUNDING_CHOICES = [
    ("", _("Default (up for “at most”, down for “at least”)")),
    ("up", _("Round up (进一法)")),
    ("down", _("Round down (去尾法)")),
    ("half_up", _("Round half up (四舍五入)")),
]
QUOTA_POPULATION_CHOICES = [
    ("cycle", _("Everyone appraised in the cycle")),
    ("department", _("Each department separately")),
]
PERIOD_KIND_TO_CYCLE = {
    PeriodKind.YEAR: CycleKind.ANNUAL,
    PeriodKind.HALF: CycleKind.HALF_YEAR,
    PeriodKind.QUARTER: CycleKind.QUARTERLY,
    PeriodKind.MONTH: CycleKind.MONTHLY,
}
_PATH = re.compile(r"^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?(?:\[(\d+)\])?(?:\.(\w+))?$")
SPLIT = re.compile(r"[\s,，、;；]+")


# Every select of a row form has an initial value equal to the option a browser posts for an
# untouched row, so the blank extra rows stay "unchanged" and are skipped, not validated.


def _percent_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control-sm"}),
    )


def _checkbox_list(field: forms.Field) -> None:
    field.widget.attrs["class"] = "form-check-input"


# ---------------------------------------------------------------- schemes


class SchemeFilterForm(TablerForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    preset = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *SchemePreset.choices]
    )
    active = forms.ChoiceField(
        label=_("Active"), required=False, choices=ACTIVE_CHOICES, initial="1"
    )


class SchemeActiveForm(TablerForm):
    """Deactivate ("0") or reactivate ("1") a scheme; `version` is the latest version's."""

    active = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", empty_value=None
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class SchemeFromPresetForm(TablerForm):
    preset = forms.ChoiceField(
        label=_("Preset"), choices=PRESET_CHOICES, widget=forms.RadioSelect, initial="civil_servant"
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("Names the scheme across all its versions; cannot be changed later."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to take the preset's name."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].widget.attrs["class"] = "form-check-input"


class SchemeForm(TablerForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preset = forms.ChoiceField(label=_("Kind"), choices=SchemePreset.choices)
    shrinkage = forms.FloatField(
        label=_("Shrinkage k of the rater-bias correction"),
        min_value=0,
        max_value=1000,
        help_text=_(
            "n is the number of ratings a rater gave in the group (people × items); their "
            "corrected score is n/(n+k) of the standardized score plus k/(n+k) of their own "
            "score: the larger k, the less a rater with few ratings is corrected."
        ),
    )
    new_hire_months = forms.IntegerField(
        label=_("New hires: comment only when hired less than (months)"),
        min_value=0,
        max_value=60,
    )
    leave_months = forms.IntegerField(
        label=_("No grade after leave of more than (months)"), min_value=0, max_value=60
    )
    seconded_months = forms.IntegerField(
        label=_("Appraised by the host unit after secondment of more than (months)"),
        min_value=0,
        max_value=60,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail and the version history."),
    )


class GradeRowForm(TablerForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    label = forms.CharField(label=_("Grade"), max_length=32)
    min_score = forms.DecimalField(
        label=_("Lowest score"), min_value=Decimal(0), max_value=Decimal(1000), decimal_places=2
    )


class QuotaRowForm(TablerForm):
    grades = forms.CharField(
        label=_("Grades (codes)"),
        max_length=200,
        help_text=_("Adjacent grades at the top or the bottom, e.g. excellent, or C, D."),
    )
    op = forms.ChoiceField(label=_("Limit"), choices=OP_CHOICES, initial=AT_MOST)
    share = _percent_field(_("Share (%)"))
    share_if_approved = _percent_field(_("With approval (%)"), required=False)
    share_unit_excellent = _percent_field(_("Unit graded 优秀 (%)"), required=False)
    share_unit_failed = _percent_field(_("Unit graded 不合格 (%)"), required=False)
    rounding = forms.ChoiceField(label=_("Head count"), choices=ROUNDING_CHOICES, required=False)
    population = forms.ChoiceField(
        label=_("Counted over"), choices=QUOTA_POPULATION_CHOICES, initial="cycle"
    )
    enforced = forms.BooleanField(label=_("Enforced"), required=False, initial=True)
    label = forms.CharField(label=_("Description"), max_length=200, required=False)

    def grade_codes(self) -> list[str]:
        return [c for c in SPLIT.split(self.cleaned_data.get("grades", "")) if c]


class SectionRowForm(TablerForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=SectionKind.choices, initial=SectionKind.RATING
    )
    weight = _percent_field(_("Weight (%)"))


class ItemRowForm(TablerForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    indicator = forms.ChoiceField(label=_("Indicator"), required=False)
    kpi_source = forms.ChoiceField(
        label=_("Score from"),
        required=False,
        choices=[("", _("— (rated items)")), *KpiSource.choices],
    )
    weight = _percent_field(_("Weight (%)"))
    max_score = forms.DecimalField(
        label=_("Full score"),
        min_value=Decimal("0.01"),
        max_value=Decimal(100000),
        decimal_places=2,
        initial=Decimal(100),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=2000)

    def __init__(self, *args: Any, indicator_choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— none —")), *indicator_choices]


class GroupRowForm(TablerForm):
    group = forms.ChoiceField(
        label=_("Rater group"), choices=RaterGroup.choices, initial=RaterGroup.SELF
    )
    weight = _percent_field(_("Weight (%)"))
    min_responses = forms.IntegerField(
        label=_("Anonymity threshold"), min_value=1, max_value=100, initial=1
    )
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    standardize = forms.BooleanField(label=_("Correct for rater bias"), required=False)
    count = forms.IntegerField(
        label=_("Raters per person (0 = all)"),
        min_value=0,
        max_value=MAX_RATERS_PER_PERSON,
        initial=0,
    )
    sections = forms.MultipleChoiceField(
        label=_("Sections rated"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, section_choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["sections"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = section_choices
        _checkbox_list(field)


def _formset(form: type[forms.Form], extra: int, max_num: int) -> Any:
    return formset_factory(
        form, extra=extra, max_num=max_num, absolute_max=max_num + 10, can_delete=True
    )


GradeFormSet = _formset(GradeRowForm, 1, 12)
QuotaFormSet = _formset(QuotaRowForm, 1, 10)
SectionFormSet = _formset(SectionRowForm, 1, 20)
ItemFormSet = _formset(ItemRowForm, 1, 40)
GroupFormSet = _formset(GroupRowForm, 1, len(RaterGroup.values))


def indicator_choices(extra_codes: list[str]) -> list[tuple[str, str]]:
    """Latest active indicators of the library (and any code the scheme already uses)."""
    rows = (
        Indicator.objects.filter(is_latest=True)
        .filter(Q(is_active=True) | Q(code__in=extra_codes))
        .order_by("code")
        .values_list("code", "name")
    )
    return [(code, f"{code} {name}") for code, name in rows]


def _percent_of(share: Any) -> Decimal | None:
    if share is None or share == "":
        return None
    return (Decimal(str(share)) * 100).quantize(Decimal("0.01"))


def _share_of(percent: Decimal | None) -> float | None:
    return None if percent is None else float(Decimal(percent) / 100)


def _live_forms(formset: Any) -> list[tuple[int, forms.Form]]:
    """(row index, form) of the rows that carry data: not deleted, not blank extras."""
    out = []
    for i, form in enumerate(formset.forms):
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        out.append((i, form))
    return out


class SchemeEditor:
    """The scheme's main form and its row formsets, bound together."""

    def __init__(
        self, data: Any = None, *, scheme: Scheme | None = None, initial: SchemeData | None = None
    ) -> None:
        self.scheme = scheme
        self.bound = data is not None
        init = initial or SchemeData(code="", name="")
        used_codes = [i.indicator_code for s in init.sections for i in s.items if i.indicator_code]
        choices = indicator_choices(used_codes)
        self.indicator_names = dict(choices)
        self.form = SchemeForm(
            data,
            initial={
                "name": init.name,
                "description": init.description,
                "preset": init.preset,
                "shrinkage": init.shrinkage,
                **{k: init.eligibility.get(k, v) for k, v in DEFAULT_ELIGIBILITY.items()},
                "version": scheme.version if scheme else None,
            },
        )
        self.grades = GradeFormSet(
            data,
            prefix="grades",
            initial=None
            if self.bound
            else [
                {"code": g.get("code"), "label": g.get("label"), "min_score": g.get("min_score")}
                for g in init.grades
            ],
        )
        self.quotas = QuotaFormSet(
            data,
            prefix="quotas",
            initial=None if self.bound else [self._quota_initial(r) for r in init.quota_rules],
        )
        self.sections = SectionFormSet(
            data,
            prefix="sections",
            initial=None
            if self.bound
            else [
                {"code": s.code, "name": s.name, "kind": s.kind, "weight": s.weight}
                for s in init.sections
            ],
        )
        count = self.sections.total_form_count()
        self.items = [
            ItemFormSet(
                data,
                prefix=f"items{i}",
                form_kwargs={"indicator_choices": choices},
                initial=None
                if self.bound or i >= len(init.sections)
                else [
                    {
                        "code": it.code,
                        "name": it.name,
                        "indicator": it.indicator_code,
                        "kpi_source": it.kpi_source,
                        "weight": it.weight,
                        "max_score": it.max_score,
                        "description": it.description,
                    }
                    for it in init.sections[i].items
                ],
            )
            for i in range(count)
        ]
        self.groups = GroupFormSet(
            data,
            prefix="groups",
            form_kwargs={"section_choices": self._section_choices(data, init)},
            initial=None
            if self.bound
            else [
                {
                    "group": g.group,
                    "weight": g.weight,
                    "min_responses": g.min_responses,
                    "anonymous": g.anonymous,
                    "standardize": g.standardize,
                    "count": g.count,
                    "sections": list(g.sections),
                }
                for g in init.groups
            ],
        )
        self._maps: dict[str, list[int]] = {}
        self._item_maps: list[list[int]] = []

    @staticmethod
    def _quota_initial(rule: dict[str, Any]) -> dict[str, Any]:
        by_grade = dict(rule.get("share_by_unit_grade") or {})
        return {
            "grades": ", ".join(rule.get("grades", [])),
            "op": rule.get("op", AT_MOST),
            "share": _percent_of(rule.get("share")),
            "share_if_approved": _percent_of(rule.get("share_if_approved")),
            "share_unit_excellent": _percent_of(by_grade.get(UnitGrade.EXCELLENT)),
            "share_unit_failed": _percent_of(by_grade.get(UnitGrade.FAILED)),
            "rounding": rule.get("rounding", ""),
            "population": rule.get("population", "cycle"),
            "enforced": bool(rule.get("enforced", True)),
            "label": rule.get("label", ""),
        }

    @staticmethod
    def _section_choices(data: Any, init: SchemeData) -> list[tuple[str, str]]:
        """The sections a group may rate: the rating sections typed on the page."""
        if data is None:
            return [(s.code, f"{s.name}（{s.code}）") for s in init.sections if s.kind == "rating"]
        out = []
        try:
            total = int(data.get("sections-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            total = 0
        for i in range(min(total, 30)):
            code = str(data.get(f"sections-{i}-code", "")).strip()
            if (
                code
                and data.get(f"sections-{i}-kind") == SectionKind.RATING
                and not data.get(f"sections-{i}-DELETE")
            ):
                name = str(data.get(f"sections-{i}-name", "")).strip() or code
                out.append((code, f"{name}（{code}）"))
        return out

    def section_rows(self) -> list[tuple[forms.Form, Any]]:
        return list(zip(self.sections.forms, self.items, strict=True))

    def all_formsets(self) -> list[Any]:
        return [self.grades, self.quotas, self.sections, *self.items, self.groups]

    def is_valid(self) -> bool:
        ok = self.form.is_valid()
        for formset in self.all_formsets():
            ok = formset.is_valid() and ok
        return ok

    def to_data(self, code: str) -> SchemeData:
        cd = self.form.cleaned_data
        grades = _live_forms(self.grades)
        quotas = _live_forms(self.quotas)
        sections = _live_forms(self.sections)
        groups = _live_forms(self.groups)
        self._maps = {
            "grades": [i for i, _f in grades],
            "quota_rules": [i for i, _f in quotas],
            "sections": [i for i, _f in sections],
            "groups": [i for i, _f in groups],
        }
        section_data = []
        self._item_maps = []
        for i, f in sections:
            items = _live_forms(self.items[i])
            self._item_maps.append([j for j, _f in items])
            section_data.append(
                SectionData(
                    code=f.cleaned_data["code"].strip(),
                    name=f.cleaned_data["name"].strip(),
                    kind=f.cleaned_data["kind"],
                    weight=f.cleaned_data["weight"],
                    items=[
                        ItemData(
                            code=g.cleaned_data["code"].strip(),
                            name=g.cleaned_data["name"].strip(),
                            weight=g.cleaned_data["weight"],
                            indicator_code=g.cleaned_data.get("indicator") or "",
                            kpi_source=g.cleaned_data.get("kpi_source") or "",
                            max_score=g.cleaned_data["max_score"],
                            description=g.cleaned_data.get("description", ""),
                        )
                        for _j, g in items
                    ],
                )
            )
        quota_rules = []
        for _i, f in quotas:
            q = f.cleaned_data
            rule: dict[str, Any] = {
                "grades": f.grade_codes() if isinstance(f, QuotaRowForm) else [],
                "op": q["op"],
                "share": _share_of(q["share"]),
                "rounding": q.get("rounding", ""),
                "enforced": bool(q.get("enforced")),
                "population": q.get("population") or "cycle",
                "label": q.get("label", "").strip(),
            }
            if q.get("share_if_approved") is not None:
                rule["share_if_approved"] = _share_of(q["share_if_approved"])
            by_grade = {
                UnitGrade.EXCELLENT.value: _share_of(q.get("share_unit_excellent")),
                UnitGrade.FAILED.value: _share_of(q.get("share_unit_failed")),
            }
            if any(v is not None for v in by_grade.values()):
                rule["share_by_unit_grade"] = {k: v for k, v in by_grade.items() if v is not None}
            quota_rules.append(rule)
        return SchemeData(
            code=code,
            name=cd["name"],
            description=cd.get("description", ""),
            preset=cd["preset"],
            grades=[
                {
                    "code": f.cleaned_data["code"].strip(),
                    "label": f.cleaned_data["label"].strip(),
                    "min_score": float(f.cleaned_data["min_score"]),
                }
                for _i, f in grades
            ],
            quota_rules=quota_rules,
            eligibility={k: int(cd[k]) for k in DEFAULT_ELIGIBILITY},
            shrinkage=float(cd["shrinkage"]),
            sections=section_data,
            groups=[
                GroupData(
                    group=f.cleaned_data["group"],
                    weight=f.cleaned_data["weight"],
                    sections=list(f.cleaned_data.get("sections", [])),
                    min_responses=int(f.cleaned_data["min_responses"]),
                    anonymous=bool(f.cleaned_data.get("anonymous")),
                    standardize=bool(f.cleaned_data.get("standardize")),
                    count=int(f.cleaned_data["count"]),
                )
                for _i, f in groups
            ],
        )

    # ------------------------------------------------------------ errors

    def _row(self, formset: Any, mapping: list[int], index: int) -> forms.Form | None:
        if index < len(mapping) and mapping[index] < len(formset.forms):
            form: forms.Form = formset.forms[mapping[index]]
            return form
        return None

    @staticmethod
    def _add(form: forms.Form | None, field: str | None, message: str) -> bool:
        if form is None:
            return False
        form.add_error(field if field in form.fields else None, message)
        if isinstance(form, TablerForm):
            form.mark_invalid()
        return True

    @staticmethod
    def _add_to_set(formset: Any, message: str) -> bool:
        formset.non_form_errors().append(message)
        return True

    def show_error(self, error: DomainError) -> None:
        """Attach each of the service's errors next to its field (non-field when unknown)."""
        eligibility = {f"eligibility.{k}": k for k in DEFAULT_ELIGIBILITY}
        for fe in error.all_errors():
            message = str(fe.message)
            path = fe.field or ""
            if path in eligibility:
                self._add(self.form, eligibility[path], message)
                continue
            if path in ("", "name", "code", "preset", "shrinkage", "description"):
                self._add(self.form, path or None, message)
                continue
            m = _PATH.match(path)
            placed = False
            if m is not None:
                block, index, field, sub_index, sub_field = m.groups()
                placed = self._place(block, index, field, sub_index, sub_field, message)
            if not placed:
                self._add(self.form, None, message)

    def _place(
        self,
        block: str,
        index: str | None,
        field: str | None,
        sub_index: str | None,
        sub_field: str | None,
        message: str,
    ) -> bool:
        formsets = {
            "grades": self.grades,
            "quota_rules": self.quotas,
            "sections": self.sections,
            "groups": self.groups,
        }
        formset = formsets.get(block)
        if formset is None:
            return False
        if index is None:
            return self._add_to_set(formset, message)
        row_index = int(index)
        if block == "sections" and field == "items":
            if row_index >= len(self._item_maps):
                return False
            section_row = self._maps["sections"][row_index]
            items = self.items[section_row]
            if sub_index is None:
                return self._add_to_set(items, message)
            return self._add(
                self._row(items, self._item_maps[row_index], int(sub_index)), sub_field, message
            )
        return self._add(self._row(formset, self._maps.get(block, []), row_index), field, message)


# ---------------------------------------------------------------- cycles


class CycleFilterForm(TablerForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name of the cycle")}),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Department.objects.none(), required=False, empty_label=_("All")
    )
    phase = forms.ChoiceField(
        label=_("Phase"), required=False, choices=[("", _("All")), *CyclePhase.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *CycleKind.choices]
    )

    def __init__(self, *args: Any, units: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units


def period_choices(today: datetime.date) -> list[tuple[str, str]]:
    """Periods around today: last, this and next year, their halves and quarters, and the
    months of this year."""
    keys: list[str] = []
    for year in (today.year - 1, today.year, today.year + 1):
        keys += [str(year), f"{year}-H1", f"{year}-H2"]
        keys += [f"{year}-Q{q}" for q in range(1, 5)]
    keys += [f"{today.year}-{m:02d}" for m in range(1, 13)]
    out: list[tuple[str, str]] = [("", gettext("— choose, or give the dates —"))]
    for key in keys:
        period = parse_period(key)
        if period is not None:
            out.append((key, period.label))
    return out


def period_attrs(today: datetime.date) -> dict[str, dict[str, str]]:
    """For the page's script: each period's first and last day and the kind of cycle."""
    out = {}
    for key, _label in period_choices(today)[1:]:
        period = parse_period(key)
        if period is not None:
            out[key] = {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "kind": PERIOD_KIND_TO_CYCLE[PeriodKind(period.kind)],
            }
    return out


class DepartmentsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return department_label(obj)


class PopulationForm(TablerForm):
    """Who is appraised: the fields the cycle and the recurring series forms share."""

    departments = DepartmentsField(
        label=_("Departments appraised"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    include_subdepartments = forms.BooleanField(
        label=_("Include their sub-departments"), required=False, initial=True
    )
    post_categories = forms.MultipleChoiceField(
        label=_("Only these post categories"),
        required=False,
        choices=PostCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every post."),
    )
    people = forms.CharField(
        label=_("Named people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Employee numbers, separated by spaces or commas; added to the departments."),
    )

    def __init__(self, *args: Any, user: Any, people_qs: QuerySet[Person], **kwargs: Any):
        super().__init__(*args, **kwargs)
        from jixiao.org.selectors import manageable_departments

        self.people_qs = people_qs
        manageable = manageable_departments(user)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = manageable.filter(kind=DepartmentKind.UNIT)
        dept_field = self.fields["departments"]
        assert isinstance(dept_field, forms.ModelMultipleChoiceField)
        dept_field.queryset = manageable
        scheme_field = self.fields["scheme"]
        assert isinstance(scheme_field, forms.ModelChoiceField)
        scheme_field.queryset = Scheme.objects.filter(is_latest=True, is_active=True).order_by(
            "code"
        )
        _checkbox_list(self.fields["post_categories"])
        self.person_ids: list[int] = []

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        numbers = [n for n in SPLIT.split(cd.get("people") or "") if n]
        if numbers:
            found = dict(
                self.people_qs.filter(employee_no__in=numbers).values_list("employee_no", "id")
            )
            unknown = [n for n in numbers if n not in found]
            if unknown:
                self.add_error(
                    "people",
                    gettext("No such people: %(numbers)s.") % {"numbers": ", ".join(unknown)},
                )
            self.person_ids = list(dict.fromkeys(found[n] for n in numbers if n in found))
        return cd

    def population(self) -> Population:
        cd = self.cleaned_data
        return Population(
            department_ids=[d.pk for d in cd.get("departments") or []],
            include_subdepartments=bool(cd.get("include_subdepartments")),
            post_categories=list(cd.get("post_categories") or []),
            person_ids=self.person_ids,
        )


class CycleForm(PopulationForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        widget=forms.Select(attrs={"data-period-picker": ""}),
        help_text=_("Fills in the dates and the kind; or give the dates yourself."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CycleKind.choices)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Department.objects.none())
    scheme = forms.ModelChoiceField(label=_("Scheme"), queryset=Scheme.objects.none())
    deadline_self_assessment = forms.DateField(
        label=_("Self-assessment until"), required=False, widget=DateInput()
    )
    deadline_rating = forms.DateField(label=_("Rating until"), required=False, widget=DateInput())
    deadline_computing = forms.DateField(
        label=_("Computing and review until"), required=False, widget=DateInput()
    )
    deadline_results = forms.DateField(
        label=_("Results shown until"), required=False, widget=DateInput()
    )
    unit_grade = forms.ChoiceField(
        label=_("The unit's own grade"),
        choices=UnitGrade.choices,
        required=False,
        help_text=_("Moves the share of 优秀 in schemes whose quota depends on it."),
    )
    higher_quota_approved = forms.BooleanField(
        label=_("Higher share of the top grade approved"), required=False
    )
    seed = forms.IntegerField(
        label=_("Random seed for choosing peers"),
        min_value=0,
        max_value=2**31 - 1,
        initial=2026,
        help_text=_("The same seed chooses the same peers again."),
    )

    def __init__(self, *args: Any, user: Any, people_qs: QuerySet[Person], **kwargs: Any):
        super().__init__(*args, user=user, people_qs=people_qs, **kwargs)
        period_field = self.fields["period"]
        assert isinstance(period_field, forms.ChoiceField)
        period_field.choices = period_choices(timezone.localdate())

    def clean(self) -> dict[str, Any]:
        cd = super().clean()
        period = parse_period(cd.get("period") or "")
        if period is not None and cd.get("start") is None and cd.get("end") is None:
            cd["start"], cd["end"] = period.start, period.end
        for name in ("start", "end"):
            if cd.get(name) is None and name not in self.errors:
                self.add_error(name, gettext("Give the date, or choose a period."))
        return cd

    def to_data(self) -> CycleData:
        cd = self.cleaned_data
        deadlines = {
            str(phase): cd[f"deadline_{phase}"].isoformat()
            for phase in DEADLINE_PHASES
            if cd.get(f"deadline_{phase}")
        }
        return CycleData(
            name=cd["name"],
            kind=cd["kind"],
            unit_id=cd["unit"].pk,
            scheme_id=cd["scheme"].pk,
            start=cd["start"],
            end=cd["end"],
            population=self.population(),
            deadlines=deadlines,
            unit_grade=cd.get("unit_grade") or "",
            higher_quota_approved=bool(cd.get("higher_quota_approved")),
            seed=int(cd["seed"]),
        )


CYCLE_FIELD_MAP = {
    "population": "departments",
    "population.person_ids": "people",
    **{f"deadlines.{p}": f"deadline_{p}" for p in PHASE_ORDER},
}


# ---------------------------------------------------------------- recurring series


class SeriesForm(PopulationForm):
    """A recurring series (周期性考核计划); the service (series.py) validates the rest."""

    name = forms.CharField(
        label=_("Name of the cycles"),
        max_length=80,
        help_text=_(
            "{period} becomes the period (2027年第1季度), {year} the year, {n} the period's "
            "number in the year; without any of them the period goes in front: 绩效考核 "
            "makes 2027年第1季度绩效考核."
        ),
    )
    kind = forms.ChoiceField(
        label=_("Every"), choices=[(k.value, k.label) for k in RECURRING_KINDS]
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Department.objects.none())
    scheme = forms.ModelChoiceField(
        label=_("Scheme"),
        queryset=Scheme.objects.none(),
        help_text=_("Each cycle takes the scheme's latest version when it is created."),
    )
    first_start = forms.DateField(
        label=_("First period starts"),
        widget=DateInput(),
        help_text=_("The first day of a month, quarter, half-year or year."),
    )
    lead_days = forms.IntegerField(
        label=_("Create the cycle days before the period"),
        min_value=0,
        max_value=366,
        initial=0,
        help_text=_("0: on the first day of the period."),
    )
    offset_self_assessment = forms.IntegerField(
        label=_("Self-assessment until (days after the period)"), required=False
    )
    offset_rating = forms.IntegerField(
        label=_("Rating until (days after the period)"), required=False
    )
    offset_computing = forms.IntegerField(
        label=_("Computing and review until (days after the period)"), required=False
    )
    offset_results = forms.IntegerField(
        label=_("Results shown until (days after the period)"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def to_data(self) -> SeriesData:
        cd = self.cleaned_data
        return SeriesData(
            name=cd["name"],
            kind=cd["kind"],
            unit_id=cd["unit"].pk,
            scheme_id=cd["scheme"].pk,
            first_start=cd["first_start"],
            population=self.population(),
            deadline_offsets={
                str(phase): int(cd[f"offset_{phase}"])
                for phase in DEADLINE_PHASES
                if cd.get(f"offset_{phase}") is not None
            },
            lead_days=int(cd["lead_days"]),
        )

    @staticmethod
    def initial_of(series: CycleSeries, scheme: Scheme) -> dict[str, Any]:
        """The edit form's values: the series as saved, with its scheme's latest version."""
        pop = Population.of(series.population)
        numbers = Person.objects.filter(pk__in=pop.person_ids).values_list("employee_no", flat=True)
        offsets = series.deadline_offsets or {}
        return {
            "name": series.name,
            "kind": series.kind,
            "unit": series.unit_id,
            "scheme": scheme.pk,
            "first_start": series.first_start,
            "lead_days": series.lead_days,
            "departments": pop.department_ids,
            "include_subdepartments": pop.include_subdepartments,
            "post_categories": pop.post_categories,
            "people": " ".join(n for n in numbers if n),
            **{f"offset_{p}": offsets.get(p) for p in DEADLINE_PHASES},
            "version": series.version,
        }


SERIES_FIELD_MAP = {
    "population": "departments",
    "population.person_ids": "people",
    **{f"deadline_offsets.{p}": f"offset_{p}" for p in DEADLINE_PHASES},
}


class SeriesActiveForm(TablerForm):
    active = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", empty_value=None
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PhaseForm(TablerForm):
    phase = forms.ChoiceField(choices=CyclePhase.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


# ---------------------------------------------------------------- raters


class AssignmentFilterForm(TablerForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Ratee or rater: name or number")}),
    )
    group = forms.ChoiceField(
        label=_("Rater group"), required=False, choices=[("", _("All")), *RaterGroup.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *AssignmentStatus.choices]
    )
    rater = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    appraisal = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


def _group_choices(cycle: Cycle) -> list[tuple[str, str]]:
    labels = dict(RaterGroup.choices)
    return [
        (g, str(labels.get(g, g)))
        for g in cycle.scheme.groups.order_by("id").values_list("group", flat=True)
    ]


class AssignmentAddForm(TablerForm):
    group = forms.ChoiceField(label=_("Rater group"))
    rater = PersonChoiceField(label=_("Rater"), queryset=Person.objects.none())

    def __init__(self, *args: Any, cycle: Cycle, people: QuerySet[Person], **kwargs: Any):
        super().__init__(*args, **kwargs)
        group = self.fields["group"]
        assert isinstance(group, forms.ChoiceField)
        group.choices = _group_choices(cycle)
        rater = self.fields["rater"]
        assert isinstance(rater, forms.ModelChoiceField)
        rater.queryset = people.filter(is_active=True)


class CancelForm(TablerForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReassignForm(TablerForm):
    from_rater = PersonChoiceField(
        label=_("Rater leaving"),
        queryset=Person.objects.none(),
        help_text=_("Their unfinished ratings move; submitted ones stay theirs."),
    )
    to_rater = PersonChoiceField(label=_("New rater"), queryset=Person.objects.none())

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = self.fields["from_rater"]
        target = self.fields["to_rater"]
        assert isinstance(source, forms.ModelChoiceField)
        assert isinstance(target, forms.ModelChoiceField)
        source.queryset = people
        target.queryset = people.filter(is_active=True)


class CodeBatchForm(TablerForm):
    department = DepartmentChoiceField(
        label=_("Department rated"),
        queryset=Department.objects.none(),
        help_text=_("Each code rates everyone of this department (and its sections) once."),
    )
    size = forms.IntegerField(
        label=_("Number of codes"),
        min_value=1,
        max_value=MAX_BATCH,
        help_text=_("One for each person who will rate, usually the department's staff."),
    )
    group = forms.ChoiceField(label=_("Rater group"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, cycle: Cycle, departments: QuerySet[Department], **kwargs: Any):
        super().__init__(*args, **kwargs)
        dept = self.fields["department"]
        assert isinstance(dept, forms.ModelChoiceField)
        dept.queryset = departments.filter(path__startswith=cycle.unit.path, is_active=True)
        group = self.fields["group"]
        assert isinstance(group, forms.ChoiceField)
        group.choices = _group_choices(cycle)
        if not self.is_bound:
            self.initial.setdefault("token", secrets.token_urlsafe(24))
            self.initial.setdefault("group", RaterGroup.PEER)
