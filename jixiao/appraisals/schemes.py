"""Writes for appraisal schemes: create (from a preset or from data), change, deactivate.

A scheme is versioned like an indicator: changing a version that a cycle uses creates a new
version, and the cycle keeps the one it was built on. Schemes are organization-wide reference
data maintained by system and performance administrators.

Deactivation applies to the scheme, i.e. its code: every version is marked, and a new version
made while it is off is off too. A deactivated scheme is offered for no new cycle or recurring
series (cycles.validate_cycle refuses it); the cycles that use it keep it and run as before.
It is refused while an active recurring series uses the scheme, since the series would then
fail on its next period: the office deactivates the series, or moves it to another scheme,
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jixiao.appraisals.models import (
    MAX_RATERS_PER_PERSON,
    Cycle,
    CycleSeries,
    KpiSource,
    RaterGroup,
    Scheme,
    SchemeGroup,
    SchemeItem,
    SchemePreset,
    SchemeSection,
    SectionKind,
    UnitGrade,
)
from jixiao.appraisals.permissions import can_manage_schemes
from jixiao.appraisals.presets import DEFAULT_ELIGIBILITY, PRESETS
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.engine.appraisal.grades import AT_LEAST, AT_MOST, ROUNDINGS
from jixiao.indicators.models import Indicator

WEIGHT_TOLERANCE = Decimal("0.01")


@dataclass
class ItemData:
    code: str
    name: str
    weight: Decimal
    indicator_code: str = ""
    kpi_source: str = ""
    max_score: Decimal = Decimal(100)
    description: str = ""


@dataclass
class SectionData:
    code: str
    name: str
    kind: str
    weight: Decimal
    items: list[ItemData] = field(default_factory=list)


@dataclass
class GroupData:
    group: str
    weight: Decimal
    sections: list[str]
    min_responses: int = 1
    anonymous: bool = False
    standardize: bool = False
    count: int = 0


@dataclass
class SchemeData:
    code: str
    name: str
    description: str = ""
    preset: str = SchemePreset.CUSTOM
    grades: list[dict[str, Any]] = field(default_factory=list)
    quota_rules: list[dict[str, Any]] = field(default_factory=list)
    eligibility: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_ELIGIBILITY))
    shrinkage: float = 3.0
    sections: list[SectionData] = field(default_factory=list)
    groups: list[GroupData] = field(default_factory=list)

    @classmethod
    def from_preset(cls, preset: str, code: str) -> SchemeData:
        spec = PRESETS[preset]
        return cls(
            code=code,
            name=spec["name"],
            description=spec["description"],
            preset=preset,
            grades=[dict(g) for g in spec["grades"]],
            quota_rules=[dict(r) for r in spec["quota_rules"]],
            sections=[
                SectionData(
                    code=s["code"],
                    name=s["name"],
                    kind=s["kind"],
                    weight=Decimal(str(s["weight"])),
                    items=[
                        ItemData(
                            code=i["code"],
                            name=i["name"],
                            weight=Decimal(str(i["weight"])),
                            indicator_code=i.get("indicator", ""),
                            kpi_source=i.get("kpi_source", ""),
                            max_score=Decimal(str(i.get("max_score", 100))),
                        )
                        for i in s["items"]
                    ],
                )
                for s in spec["sections"]
            ],
            groups=[
                GroupData(
                    group=g["group"],
                    weight=Decimal(str(g["weight"])),
                    sections=list(g["sections"]),
                    min_responses=int(g.get("min_responses", 1)),
                    anonymous=bool(g.get("anonymous", False)),
                    standardize=bool(g.get("standardize", False)),
                    count=int(g.get("count", 0)),
                )
                for g in spec["groups"]
            ],
        )

    @classmethod
    def of(cls, scheme: Scheme) -> SchemeData:
        return cls(
            code=scheme.code,
            name=scheme.name,
            description=scheme.description,
            preset=scheme.preset,
            grades=list(scheme.grades),
            quota_rules=list(scheme.quota_rules),
            eligibility=dict(scheme.eligibility),
            shrinkage=scheme.shrinkage,
            sections=[
                SectionData(
                    code=s.code,
                    name=s.name,
                    kind=s.kind,
                    weight=s.weight,
                    items=[
                        ItemData(
                            code=i.code,
                            name=i.name,
                            weight=i.weight,
                            indicator_code=i.indicator.code if i.indicator else "",
                            kpi_source=i.kpi_source,
                            max_score=i.max_score,
                            description=i.description,
                        )
                        for i in s.items.select_related("indicator").order_by("position", "id")
                    ],
                )
                for s in scheme.sections.order_by("position", "id")
            ],
            groups=[
                GroupData(
                    group=g.group,
                    weight=g.weight,
                    sections=list(g.sections),
                    min_responses=g.min_responses,
                    anonymous=g.anonymous,
                    standardize=g.standardize,
                    count=g.count,
                )
                for g in scheme.groups.order_by("id")
            ],
        )

    def content(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "preset": self.preset,
            "grades": self.grades,
            "quota_rules": self.quota_rules,
            "eligibility": self.eligibility,
            "shrinkage": self.shrinkage,
            "sections": [
                {
                    "code": s.code,
                    "name": s.name,
                    "kind": s.kind,
                    "weight": str(Decimal(s.weight).quantize(Decimal("0.01"))),
                    "items": [
                        {
                            "code": i.code,
                            "name": i.name,
                            "weight": str(Decimal(i.weight).quantize(Decimal("0.01"))),
                            "indicator": i.indicator_code,
                            "kpi_source": i.kpi_source,
                            "max_score": str(Decimal(i.max_score).quantize(Decimal("0.01"))),
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
            "groups": [
                {
                    "group": g.group,
                    "weight": str(Decimal(g.weight).quantize(Decimal("0.01"))),
                    "sections": list(g.sections),
                    "min_responses": g.min_responses,
                    "anonymous": g.anonymous,
                    "standardize": g.standardize,
                    "count": g.count,
                }
                for g in self.groups
            ],
        }


# ---------------------------------------------------------------- validation


def _percent(errors: list[FieldError], name: str, value: Any) -> Decimal:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        errors.append(FieldError(name, "out_of_range", _("Enter a percentage from 0 to 100.")))
        return Decimal(0)
    return number.quantize(Decimal("0.01"))


def _sum_is_100(errors: list[FieldError], name: str, values: list[Decimal], what: str) -> None:
    total = sum(values, Decimal(0))
    if values and abs(total - Decimal(100)) > WEIGHT_TOLERANCE:
        errors.append(
            FieldError(
                name,
                "weights_not_100",
                _("The weights of %(what)s add up to %(total)s%%, not 100%%.")
                % {"what": what, "total": total},
            )
        )


def _validate_grades(data: SchemeData, errors: list[FieldError]) -> list[str]:
    codes: list[str] = []
    last: float | None = None
    if len(data.grades) < 2:
        errors.append(FieldError("grades", "too_few_grades", _("Give at least two grades.")))
    for i, g in enumerate(data.grades):
        code = str(g.get("code", "")).strip()
        label = str(g.get("label", "")).strip()
        try:
            low = float(g.get("min_score", 0))
        except (TypeError, ValueError):
            low = float("nan")
        if not code or not label:
            errors.append(
                FieldError(f"grades[{i}]", "required", _("Each grade needs a code and a name."))
            )
        if code in codes:
            errors.append(
                FieldError(f"grades[{i}].code", "duplicate", _("Grade codes must differ."))
            )
        if low != low or not 0 <= low <= 1000:
            errors.append(
                FieldError(
                    f"grades[{i}].min_score", "invalid", _("Give the lowest score of the grade.")
                )
            )
        elif last is not None and low >= last:
            errors.append(
                FieldError(
                    f"grades[{i}].min_score",
                    "grades_out_of_order",
                    _("List grades best first, each starting below the one before it."),
                )
            )
        else:
            last = low
        codes.append(code)
    return codes


def _validate_quotas(data: SchemeData, grades: list[str], errors: list[FieldError]) -> None:
    for i, rule in enumerate(data.quota_rules):
        prefix = f"quota_rules[{i}]"
        chosen = list(rule.get("grades", []))
        if not chosen or any(g not in grades for g in chosen):
            errors.append(
                FieldError(f"{prefix}.grades", "unknown_grade", _("Choose grades of this scheme."))
            )
            continue
        idx = sorted(grades.index(g) for g in chosen)
        if idx != list(range(idx[0], idx[-1] + 1)) or not (
            idx[0] == 0 or idx[-1] == len(grades) - 1
        ):
            errors.append(
                FieldError(
                    f"{prefix}.grades",
                    "quota_grades_not_at_an_end",
                    _(
                        "A quota covers adjacent grades at the top or at the bottom (e.g. 优秀, or C and D)."
                    ),
                )
            )
        if rule.get("op") not in (AT_MOST, AT_LEAST):
            errors.append(
                FieldError(f"{prefix}.op", "invalid_choice", _("Choose “at most” or “at least”."))
            )
        if rule.get("rounding", "") not in ("", *ROUNDINGS):
            errors.append(
                FieldError(
                    f"{prefix}.rounding",
                    "invalid_choice",
                    _("Choose how a share becomes a head count."),
                )
            )
        if rule.get("population", "cycle") not in ("cycle", "department"):
            errors.append(
                FieldError(
                    f"{prefix}.population",
                    "invalid_choice",
                    _("Apply the quota to the cycle or to each department."),
                )
            )
        by_unit_grade = rule.get("share_by_unit_grade") or {}
        if not isinstance(by_unit_grade, dict) or any(
            k not in (UnitGrade.EXCELLENT, UnitGrade.FAILED) for k in by_unit_grade
        ):
            errors.append(
                FieldError(
                    f"{prefix}.share_by_unit_grade",
                    "invalid_choice",
                    _("Give shares for the unit's grades “excellent” and “failed” only."),
                )
            )
            by_unit_grade = {}
        shares = [
            rule.get("share"),
            rule.get("share_if_approved"),
            *by_unit_grade.values(),
        ]
        for share in shares:
            if share is None:
                continue
            try:
                ok = 0 <= float(share) <= 1
            except (TypeError, ValueError):
                ok = False
            if not ok:
                errors.append(
                    FieldError(
                        f"{prefix}.share",
                        "invalid_share",
                        _("A share is between 0 and 1 (0.20 means 20%)."),
                    )
                )
                break


def validate_scheme(data: SchemeData) -> tuple[list[FieldError], dict[str, Indicator]]:
    """Every problem of the data, and the indicators its items refer to (latest versions)."""
    errors: list[FieldError] = []
    data.code = data.code.strip()
    data.name = data.name.strip()
    if not data.code or len(data.code) > 32:
        errors.append(
            FieldError("code", "invalid_code", _("Give a code of at most 32 characters."))
        )
    if not data.name:
        errors.append(FieldError("name", "required", _("Enter a name.")))
    if data.preset not in SchemePreset.values:
        errors.append(FieldError("preset", "invalid_choice", _("Choose a kind.")))
    grades = _validate_grades(data, errors)
    _validate_quotas(data, grades, errors)
    if not 0 <= float(data.shrinkage) <= 1000:
        errors.append(
            FieldError("shrinkage", "invalid", _("The shrinkage is a number from 0 upwards."))
        )
    for key in ("new_hire_months", "leave_months", "seconded_months"):
        try:
            value = int(data.eligibility.get(key, DEFAULT_ELIGIBILITY[key]))
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 60:
            errors.append(
                FieldError(f"eligibility.{key}", "invalid", _("Give a number of months."))
            )
        data.eligibility[key] = value
    if not data.sections:
        errors.append(FieldError("sections", "required", _("A scheme needs at least one section.")))
    codes = [i.indicator_code for s in data.sections for i in s.items if i.indicator_code]
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=codes, is_latest=True)}
    section_codes: dict[str, str] = {}
    for si, s in enumerate(data.sections):
        prefix = f"sections[{si}]"
        s.weight = _percent(errors, f"{prefix}.weight", s.weight)
        if not s.code or s.code in section_codes:
            errors.append(
                FieldError(f"{prefix}.code", "invalid_code", _("Each section needs its own code."))
            )
        section_codes[s.code] = s.kind
        if s.kind not in SectionKind.values:
            errors.append(
                FieldError(f"{prefix}.kind", "invalid_choice", _("Choose the kind of section."))
            )
        if not s.items and s.kind != SectionKind.FEED:
            errors.append(
                FieldError(f"{prefix}.items", "required", _("A section needs at least one item."))
            )
        item_codes: set[str] = set()
        for ii, item in enumerate(s.items):
            ip = f"{prefix}.items[{ii}]"
            item.weight = _percent(errors, f"{ip}.weight", item.weight)
            if not item.code or item.code in item_codes:
                errors.append(
                    FieldError(f"{ip}.code", "invalid_code", _("Each item needs its own code."))
                )
            item_codes.add(item.code)
            if not item.name.strip():
                errors.append(FieldError(f"{ip}.name", "required", _("Name the item.")))
            if item.indicator_code and item.indicator_code not in indicators:
                errors.append(
                    FieldError(f"{ip}.indicator", "unknown_indicator", _("No such indicator."))
                )
            if s.kind == SectionKind.KPI and item.kpi_source not in KpiSource.values:
                errors.append(
                    FieldError(
                        f"{ip}.kpi_source", "required", _("Say where the KPI score comes from.")
                    )
                )
            if (
                s.kind == SectionKind.KPI
                and item.kpi_source == KpiSource.INDICATOR
                and not item.indicator_code
            ):
                errors.append(
                    FieldError(
                        f"{ip}.indicator",
                        "required",
                        _("Choose the indicator whose actual is scored."),
                    )
                )
            try:
                ok = Decimal(item.max_score) > 0
            except (InvalidOperation, TypeError, ValueError):
                ok = False
            if not ok:
                errors.append(
                    FieldError(f"{ip}.max_score", "invalid", _("The full score is above 0."))
                )
        _sum_is_100(
            errors,
            f"{prefix}.items",
            [i.weight for i in s.items],
            _("the items of “%(s)s”") % {"s": s.name},
        )
    _sum_is_100(errors, "sections", [s.weight for s in data.sections], _("the sections"))
    seen: set[str] = set()
    rating_sections = {c for c, k in section_codes.items() if k == SectionKind.RATING}
    for gi, g in enumerate(data.groups):
        prefix = f"groups[{gi}]"
        g.weight = _percent(errors, f"{prefix}.weight", g.weight)
        if g.group not in RaterGroup.values or g.group in seen:
            errors.append(
                FieldError(f"{prefix}.group", "invalid_group", _("Each rater group appears once."))
            )
        seen.add(g.group)
        if not 1 <= g.min_responses <= 100:
            errors.append(
                FieldError(f"{prefix}.min_responses", "invalid", _("At least one response."))
            )
        if not 0 <= g.count <= MAX_RATERS_PER_PERSON:
            errors.append(
                FieldError(f"{prefix}.count", "invalid", _("At most 50 raters per person."))
            )
        unknown = [c for c in g.sections if c not in rating_sections]
        if unknown:
            errors.append(
                FieldError(
                    f"{prefix}.sections",
                    "unknown_section",
                    _("Rater groups rate rating sections only; unknown: %(c)s.")
                    % {"c": ", ".join(unknown)},
                )
            )
    weighted = [g.weight for g in data.groups if g.weight > 0]
    _sum_is_100(errors, "groups", weighted, _("the rater groups"))
    for code in rating_sections:
        if not any(code in g.sections and g.weight > 0 for g in data.groups):
            errors.append(
                FieldError(
                    "groups",
                    "section_unrated",
                    _("Nobody with a weight rates section “%(c)s”.") % {"c": code},
                )
            )
    return errors, indicators


# ---------------------------------------------------------------- writing


def _write_rows(scheme: Scheme, data: SchemeData, indicators: dict[str, Indicator]) -> None:
    for si, s in enumerate(data.sections):
        section = SchemeSection.objects.create(
            scheme=scheme, code=s.code, name=s.name, kind=s.kind, weight=s.weight, position=si
        )
        SchemeItem.objects.bulk_create(
            [
                SchemeItem(
                    section=section,
                    code=i.code,
                    name=i.name,
                    description=i.description,
                    indicator=indicators.get(i.indicator_code) if i.indicator_code else None,
                    weight=i.weight,
                    max_score=i.max_score,
                    kpi_source=i.kpi_source if s.kind == SectionKind.KPI else "",
                    position=ii,
                )
                for ii, i in enumerate(s.items)
            ]
        )
    SchemeGroup.objects.bulk_create(
        [
            SchemeGroup(
                scheme=scheme,
                group=g.group,
                weight=g.weight,
                min_responses=g.min_responses,
                anonymous=g.anonymous,
                standardize=g.standardize,
                count=g.count,
                sections=list(g.sections),
            )
            for g in data.groups
        ]
    )


def _new_version(
    actor: Actor,
    data: SchemeData,
    indicators: dict[str, Indicator],
    revision: int,
    note: str,
    *,
    is_active: bool = True,
) -> Scheme:
    scheme = Scheme.objects.create(
        is_active=is_active,
        code=data.code,
        revision=revision,
        name=data.name,
        description=data.description,
        preset=data.preset,
        grades=data.grades,
        quota_rules=data.quota_rules,
        eligibility=data.eligibility,
        shrinkage=float(data.shrinkage),
        created_by_id=actor.user_id,
        change_note=note[:500],
    )
    _write_rows(scheme, data, indicators)
    return scheme


@transaction.atomic(durable=True)
def scheme_create(*, actor: Actor, user: Any, data: SchemeData, reason: str = "") -> Scheme:
    if not can_manage_schemes(user):
        raise forbidden()
    errors, indicators = validate_scheme(data)
    if Scheme.objects.filter(code=data.code).exists():
        errors.append(
            FieldError("code", "duplicate_code", _("Another scheme already uses this code."))
        )
    if errors:
        raise validation_failed(errors)
    try:
        with transaction.atomic():
            scheme = _new_version(actor, data, indicators, 1, reason)
    except IntegrityError:
        raise validation_failed(
            [FieldError("code", "duplicate_code", _("Another scheme already uses this code."))]
        ) from None
    audit.record(actor, "appraisals.scheme.create", scheme, audit.diff({}, data.content()), reason)
    return scheme


def _latest_for_manager(user: Any, scheme_id: int, not_latest: str) -> Scheme:
    """The scheme to change: for those who manage schemes (else 403), the latest version of
    its code (else 409 with `not_latest`), 404 when there is none."""
    if not can_manage_schemes(user):
        raise forbidden()
    current = Scheme.objects.filter(pk=scheme_id).first()
    if current is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if not current.is_latest:
        raise DomainError("not_latest_version", not_latest, status=409)
    return current


@transaction.atomic(durable=True)
def scheme_update(
    *,
    actor: Actor,
    user: Any,
    scheme_id: int,
    expected_version: int,
    data: SchemeData,
    reason: str = "",
) -> Scheme:
    """Change the latest version; when a cycle uses it, a new version is made instead."""
    current = _latest_for_manager(
        user, scheme_id, _("Only the latest version of a scheme can be changed.")
    )
    if data.code != current.code:
        raise validation_failed(
            [FieldError("code", "code_immutable", _("The code cannot be changed."))]
        )
    errors, indicators = validate_scheme(data)
    if errors:
        raise validation_failed(errors)
    before = SchemeData.of(current).content()
    after = data.content()
    if before == after:
        if current.version != expected_version:
            raise concurrent_edit()
        return current
    if Cycle.objects.filter(scheme=current).exists():
        if not Scheme.objects.filter(
            pk=current.pk, version=expected_version, is_latest=True
        ).update(is_latest=False, version=F("version") + 1):
            raise concurrent_edit()
        scheme = _new_version(
            actor, data, indicators, current.revision + 1, reason, is_active=current.is_active
        )
        changes = audit.diff(before, after)
        changes["revision"] = [current.revision, scheme.revision]
        audit.record(actor, "appraisals.scheme.new_version", scheme, changes, reason)
        return scheme
    if not Scheme.objects.filter(pk=current.pk, version=expected_version).update(
        name=data.name,
        description=data.description,
        preset=data.preset,
        grades=data.grades,
        quota_rules=data.quota_rules,
        eligibility=data.eligibility,
        shrinkage=float(data.shrinkage),
        change_note=reason[:500],
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    current.sections.all().delete()
    current.groups.all().delete()
    _write_rows(current, data, indicators)
    current.refresh_from_db()
    audit.record(actor, "appraisals.scheme.update", current, audit.diff(before, after), reason)
    return current


@transaction.atomic(durable=True)
def scheme_from_preset(
    *, actor: Actor, user: Any, preset: str, code: str, name: str = ""
) -> Scheme:
    """A new scheme filled from one of the presets, ready to adjust."""
    if preset not in PRESETS:
        raise validation_failed([FieldError("preset", "invalid_choice", _("Choose a preset."))])
    data = SchemeData.from_preset(preset, code)
    if name.strip():
        data.name = name.strip()
    if not can_manage_schemes(user):
        raise forbidden()
    errors, indicators = validate_scheme(data)
    if Scheme.objects.filter(code=data.code).exists():
        errors.append(
            FieldError("code", "duplicate_code", _("Another scheme already uses this code."))
        )
    if errors:
        raise validation_failed(errors)
    scheme = _new_version(actor, data, indicators, 1, _("From the preset"))
    audit.record(
        actor,
        "appraisals.scheme.create",
        scheme,
        audit.diff({}, data.content()),
        _("From the preset"),
    )
    return scheme


def active_series_using(code: str) -> list[CycleSeries]:
    """The active recurring series whose scheme is (a version of) this code, with their
    unit: they would fail on their next period if the scheme were deactivated."""
    return list(
        CycleSeries.objects.filter(scheme__code=code, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name", "id")
    )


@transaction.atomic(durable=True)
def scheme_set_active(
    *,
    actor: Actor,
    user: Any,
    scheme_id: int,
    active: bool,
    expected_version: int,
    reason: str = "",
) -> Scheme:
    """Deactivate a scheme (every version of its code; no new cycle or series may use it,
    the cycles that use it go on) or reactivate it. Compare-and-set on the latest version's
    `version`; refused while an active recurring series uses the scheme."""
    current = _latest_for_manager(
        user,
        scheme_id,
        _("Only the latest version of a scheme can be deactivated or reactivated."),
    )
    if current.is_active == active:
        return current
    if not active and (using := active_series_using(current.code)):
        raise DomainError(
            "used_by_active_series",
            _(
                "Active recurring appraisals use this scheme: %(names)s. Deactivate them, or "
                "move them to another scheme, first."
            )
            % {"names": "、".join(s.name for s in using)},
            status=409,
        )
    if not Scheme.objects.filter(
        pk=current.pk, version=expected_version, is_latest=True, is_active=not active
    ).update(is_active=active, version=F("version") + 1):
        raise concurrent_edit()
    Scheme.objects.filter(code=current.code).exclude(pk=current.pk).update(is_active=active)
    audit.record(
        actor,
        "appraisals.scheme.activate" if active else "appraisals.scheme.deactivate",
        current,
        {"is_active": [not active, active]},
        reason,
    )
    current.refresh_from_db()
    return current
