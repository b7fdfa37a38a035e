"""Writes for the indicator library: one durable transaction each, audited, compare-and-set.

`scope` is the acting user's scope; None means a trusted system context (command line, seed,
data migration). Editing a version that is in use (see usage.py) creates a new version and
leaves the old one untouched for whoever uses it; editing a version nobody uses changes it in
place. Either way the code stays the same: it names the family.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.indicators import rules
from jixiao.indicators.models import (
    BarsLevel,
    Category,
    Direction,
    Indicator,
    IndicatorUse,
    Period,
    SourceKind,
    WeightMethod,
    WeightSet,
    WeightSetItem,
)
from jixiao.indicators.usage import LOCK_USED_BY, WEIGHT_SET_USED_BY, indicator_ids_in_use
from jixiao.org.access import Scope
from jixiao.org.models import Role

INDICATOR_FIELDS = [
    "code",
    "name",
    "category",
    "definition",
    "standard",
    "unit",
    "direction",
    "source_kind",
    "source_detail",
    "rule",
    "default_weight",
    "period",
    "responsible",
]
"""The fields a user edits; with `bars_levels` they make up an indicator's content."""

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
MAX_BARS_LEVELS = 10
WEIGHT_TOLERANCE = 1e-6


def _require_manage(scope: Scope | None) -> None:
    """The library is maintained by system and performance administrators."""
    if scope is None:
        return
    if not (scope.is_system_admin or Role.PERFORMANCE_ADMIN in scope.roles):
        raise forbidden()


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise validation_failed(errors)


# ---------------------------------------------------------------- input


@dataclass
class BarsLevelData:
    level: int
    title: str
    description: str
    points: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "title": self.title,
            "description": self.description,
            "points": audit.plain(_quantize(self.points)),
        }


@dataclass
class IndicatorData:
    code: str
    name: str
    category: str
    definition: str = ""
    standard: str = ""
    unit: str = ""
    direction: str = Direction.HIGHER
    source_kind: str = SourceKind.MANUAL
    source_detail: str = ""
    rule: Any = field(default_factory=dict)
    default_weight: Decimal = Decimal(0)
    period: str = Period.ANNUAL
    responsible: str = ""
    bars_levels: list[BarsLevelData] = field(default_factory=list)

    @classmethod
    def of(cls, indicator: Indicator) -> IndicatorData:
        """The editable content of a stored version (its levels must be loaded or cheap)."""
        return cls(
            code=indicator.code,
            name=indicator.name,
            category=indicator.category,
            definition=indicator.definition,
            standard=indicator.standard,
            unit=indicator.unit,
            direction=indicator.direction,
            source_kind=indicator.source_kind,
            source_detail=indicator.source_detail,
            rule=indicator.rule,
            default_weight=indicator.default_weight,
            period=indicator.period,
            responsible=indicator.responsible,
            bars_levels=[
                BarsLevelData(b.level, b.title, b.description, b.points)
                for b in sorted(indicator.bars_levels.all(), key=lambda b: -b.level)
            ],
        )

    def content(self) -> dict[str, Any]:
        """What the audit trail and the change check compare."""
        out: dict[str, Any] = {
            name: audit.plain(getattr(self, name)) for name in INDICATOR_FIELDS if name != "rule"
        }
        out["default_weight"] = audit.plain(_quantize(self.default_weight))
        out["rule"] = self.rule
        out["bars_levels"] = [b.as_dict() for b in sorted(self.bars_levels, key=lambda b: -b.level)]
        return out


def _quantize(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def stored_content(indicator: Indicator) -> dict[str, Any]:
    return IndicatorData.of(indicator).content()


# ---------------------------------------------------------------- validation


def _check_choice(
    errors: list[FieldError], name: str, value: str, choices: Sequence[str], message: str
) -> None:
    if value not in choices:
        errors.append(FieldError(name, "invalid_choice", message))


def _normalize(data: IndicatorData) -> None:
    data.code = data.code.strip()
    data.name = data.name.strip()
    data.unit = data.unit.strip()
    data.responsible = data.responsible.strip()
    data.definition = data.definition.strip()
    data.standard = data.standard.strip()
    data.source_detail = data.source_detail.strip()
    for b in data.bars_levels:
        b.title = b.title.strip()
        b.description = b.description.strip()


def _validate_bars(data: IndicatorData, errors: list[FieldError]) -> None:
    seen: set[int] = set()
    if len(data.bars_levels) > MAX_BARS_LEVELS:
        errors.append(
            FieldError(
                "bars_levels",
                "too_many_levels",
                _("A scale has at most %(n)s levels.") % {"n": MAX_BARS_LEVELS},
            )
        )
    for i, b in enumerate(data.bars_levels):
        prefix = f"bars_levels[{i}]"
        if b.level < 1:
            errors.append(
                FieldError(f"{prefix}.level", "invalid", _("A level is a whole number from 1."))
            )
        elif b.level in seen:
            errors.append(
                FieldError(
                    f"{prefix}.level",
                    "duplicate_level",
                    _("Level %(n)s appears more than once.") % {"n": b.level},
                )
            )
        seen.add(b.level)
        if not b.title:
            errors.append(FieldError(f"{prefix}.title", "required", _("Name the level.")))
        elif len(b.title) > 50:
            errors.append(FieldError(f"{prefix}.title", "too_long", _("At most 50 characters.")))
        if not b.description:
            errors.append(
                FieldError(
                    f"{prefix}.description",
                    "required",
                    _("Describe the behaviour a rater must have observed for this level."),
                )
            )
        try:
            points = Decimal(b.points)
        except (InvalidOperation, TypeError, ValueError):
            points = Decimal("NaN")
        if not points.is_finite() or abs(points) >= Decimal(100000):
            errors.append(FieldError(f"{prefix}.points", "invalid", _("Enter a number of points.")))
    if data.bars_levels and len(data.bars_levels) < 2:
        errors.append(
            FieldError("bars_levels", "too_few_levels", _("A scale needs at least two levels."))
        )


def validate_indicator(
    data: IndicatorData, *, existing: Indicator | None, known_codes: Iterable[str] | None = None
) -> list[FieldError]:
    """Every problem of the data, each on its field (`rule.bands[1].max` for rule parameters).

    The same checks serve the pages, the API and the import, so that all three say the same.
    When the rule scores BARS levels, the rule's level table is taken from the levels.
    """
    errors: list[FieldError] = []
    _normalize(data)
    if not data.code:
        errors.append(FieldError("code", "required", _("Enter a code.")))
    elif len(data.code) > 32 or not CODE_RE.match(data.code):
        errors.append(
            FieldError(
                "code",
                "invalid_code",
                _(
                    "Use at most 32 letters, digits, dots, hyphens or underscores, "
                    "starting with a letter or digit."
                ),
            )
        )
    elif existing is None and Indicator.objects.filter(code=data.code).exists():
        errors.append(
            FieldError("code", "duplicate_code", _("Another indicator already uses this code."))
        )
    elif existing is not None and data.code != existing.code:
        errors.append(
            FieldError(
                "code",
                "code_immutable",
                _("The code names the indicator across its versions and cannot be changed."),
            )
        )
    if not data.name:
        errors.append(FieldError("name", "required", _("Enter a name.")))
    elif len(data.name) > 100:
        errors.append(FieldError("name", "too_long", _("At most 100 characters.")))
    if len(data.unit) > 32:
        errors.append(FieldError("unit", "too_long", _("At most 32 characters.")))
    if len(data.responsible) > 100:
        errors.append(FieldError("responsible", "too_long", _("At most 100 characters.")))
    _check_choice(errors, "category", data.category, Category.values, _("Choose a category."))
    _check_choice(errors, "direction", data.direction, Direction.values, _("Choose a direction."))
    _check_choice(
        errors, "source_kind", data.source_kind, SourceKind.values, _("Choose a data source.")
    )
    _check_choice(errors, "period", data.period, Period.values, _("Choose a period."))
    try:
        weight = Decimal(data.default_weight)
    except (InvalidOperation, TypeError, ValueError):
        weight = Decimal("NaN")
    if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(100):
        errors.append(
            FieldError(
                "default_weight", "out_of_range", _("The weight is a percentage from 0 to 100.")
            )
        )
    else:
        data.default_weight = _quantize(weight)
    _validate_bars(data, errors)
    if data.source_kind == SourceKind.FORMULA:
        if not data.source_detail:
            errors.append(
                FieldError(
                    "source_detail",
                    "required",
                    _("Write the formula over other indicators, e.g. [DOC-01]/[DOC-02]."),
                )
            )
        else:
            errors += rules.formula_errors(
                data.source_detail, field="source_detail", variables=known_codes
            )
    level_problems = any(e.field and e.field.startswith("bars_levels") for e in errors)
    spec = rules.with_bars_levels(data.rule, data.bars_levels)
    direction_problems: list[FieldError] = []
    if data.direction in Direction.values:
        spec, direction_problems = rules.with_direction(spec, data.direction)
    rule_problems = rules.rule_errors(spec) + direction_problems
    bars_broken = level_problems and rules.rule_kind(spec) == rules.BARS_KIND
    if bars_broken:
        # The levels are the rule's table: their problems are already reported on the levels.
        rule_problems = [e for e in rule_problems if not (e.field or "").startswith("rule.levels")]
    errors += rule_problems
    if not rule_problems and not bars_broken:
        data.rule = rules.normalized(spec)
        if rules.rule_kind(data.rule) == rules.BARS_KIND and not data.bars_levels:
            errors.append(
                FieldError(
                    "bars_levels",
                    "required",
                    _("A behaviourally anchored rule needs its levels."),
                )
            )
    return errors


def _known_codes() -> list[str]:
    return list(Indicator.objects.filter(is_latest=True).values_list("code", flat=True))


# ---------------------------------------------------------------- writing


def _levels(indicator: Indicator, data: IndicatorData) -> list[BarsLevel]:
    return [
        BarsLevel(
            indicator=indicator,
            level=b.level,
            title=b.title,
            description=b.description,
            points=_quantize(b.points),
        )
        for b in data.bars_levels
    ]


def _new_row(
    data: IndicatorData, *, actor: Actor, revision: int, note: str, is_active: bool = True
) -> Indicator:
    indicator = Indicator.objects.create(
        code=data.code,
        revision=revision,
        is_latest=True,
        is_active=is_active,
        name=data.name,
        category=data.category,
        definition=data.definition,
        standard=data.standard,
        unit=data.unit,
        direction=data.direction,
        source_kind=data.source_kind,
        source_detail=data.source_detail,
        rule=data.rule,
        default_weight=data.default_weight,
        period=data.period,
        responsible=data.responsible,
        created_by_id=actor.user_id,
        change_note=note[:500],
    )
    BarsLevel.objects.bulk_create(_levels(indicator, data))
    return indicator


def _create(actor: Actor, data: IndicatorData, *, action: str, reason: str = "") -> Indicator:
    try:
        with transaction.atomic():
            indicator = _new_row(data, actor=actor, revision=1, note=reason)
    except IntegrityError:
        raise validation_failed(
            [FieldError("code", "duplicate_code", _("Another indicator already uses this code."))]
        ) from None
    audit.record(actor, action, indicator, audit.diff({}, data.content()), reason)
    return indicator


@transaction.atomic(durable=True)
def indicator_create(
    *, actor: Actor, scope: Scope | None, data: IndicatorData, reason: str = ""
) -> Indicator:
    _require_manage(scope)
    _raise_if(validate_indicator(data, existing=None, known_codes=_known_codes()))
    return _create(actor, data, action="indicators.indicator.create", reason=reason)


@dataclass(frozen=True)
class UpdateOutcome:
    indicator: Indicator
    new_version: bool
    changed: bool


def _update(
    actor: Actor,
    current: Indicator,
    expected_version: int,
    data: IndicatorData,
    *,
    reason: str,
    in_use: bool,
) -> UpdateOutcome:
    """Write validated data over the latest version `current` (levels loaded)."""
    before = stored_content(current)
    after = data.content()
    if before == after:
        if current.version != expected_version:
            raise concurrent_edit()
        return UpdateOutcome(current, new_version=False, changed=False)
    if in_use:
        if not Indicator.objects.filter(
            pk=current.pk, version=expected_version, is_latest=True
        ).update(is_latest=False, version=F("version") + 1):
            raise concurrent_edit()
        try:
            with transaction.atomic():
                indicator = _new_row(
                    data,
                    actor=actor,
                    revision=current.revision + 1,
                    note=reason,
                    is_active=current.is_active,
                )
        except IntegrityError:
            raise concurrent_edit() from None
        changes = audit.diff(before, after)
        changes["revision"] = [current.revision, indicator.revision]
        changes["previous_version_id"] = [None, current.pk]
        audit.record(actor, "indicators.indicator.new_version", indicator, changes, reason)
        return UpdateOutcome(indicator, new_version=True, changed=True)
    if not Indicator.objects.filter(pk=current.pk, version=expected_version, is_latest=True).update(
        name=data.name,
        category=data.category,
        definition=data.definition,
        standard=data.standard,
        unit=data.unit,
        direction=data.direction,
        source_kind=data.source_kind,
        source_detail=data.source_detail,
        rule=data.rule,
        default_weight=data.default_weight,
        period=data.period,
        responsible=data.responsible,
        change_note=reason[:500],
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    if before["bars_levels"] != after["bars_levels"]:
        BarsLevel.objects.filter(indicator=current).delete()
        BarsLevel.objects.bulk_create(_levels(current, data))
    current.refresh_from_db()
    audit.record(actor, "indicators.indicator.update", current, audit.diff(before, after), reason)
    return UpdateOutcome(current, new_version=False, changed=True)


def _load_latest(indicator_id: int) -> Indicator:
    current = Indicator.objects.prefetch_related("bars_levels").get(pk=indicator_id)
    if not current.is_latest:
        raise DomainError(
            "not_latest_version",
            _(
                "This is an earlier version; only the latest version of an indicator "
                "can be changed. Open the latest version and edit that."
            ),
            status=409,
        )
    return current


@transaction.atomic(durable=True)
def indicator_update(
    *,
    actor: Actor,
    scope: Scope | None,
    indicator_id: int,
    expected_version: int,
    data: IndicatorData,
    reason: str = "",
) -> UpdateOutcome:
    """Change the latest version, or add a new version when the latest is in use.

    A second editor working from the same version gets a concurrent-edit error (409) rather
    than silently overwriting the first; so does one editing a version that has since been
    replaced by a new version.
    """
    _require_manage(scope)
    current = _load_latest(indicator_id)
    _raise_if(validate_indicator(data, existing=current, known_codes=_known_codes()))
    return _update(
        actor,
        current,
        expected_version,
        data,
        reason=reason,
        in_use=bool(indicator_ids_in_use([current.pk])),
    )


@transaction.atomic(durable=True)
def indicator_set_active(
    *,
    actor: Actor,
    scope: Scope | None,
    indicator_id: int,
    active: bool,
    expected_version: int | None = None,
    reason: str = "",
) -> Indicator:
    """Deactivate (or reactivate) an indicator: it stays readable and keeps its users, but is
    no longer offered for new goals and schemes."""
    _require_manage(scope)
    current = _load_latest(indicator_id)
    if current.is_active == active:
        return current
    qs = Indicator.objects.filter(pk=current.pk, is_active=not active, is_latest=True)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    if not qs.update(is_active=active, version=F("version") + 1):
        raise concurrent_edit()
    audit.record(
        actor,
        "indicators.indicator.activate" if active else "indicators.indicator.deactivate",
        current,
        {"is_active": [not active, active]},
        reason,
    )
    current.refresh_from_db()
    return current


@transaction.atomic(durable=True)
def indicator_lock(
    *, actor: Actor, scope: Scope | None, indicator_id: int, reason: str = ""
) -> Indicator:
    """Lock (定版) the latest version by hand: from now on, edits create a new version."""
    _require_manage(scope)
    current = _load_latest(indicator_id)
    _use, created = IndicatorUse.objects.get_or_create(
        indicator=current,
        used_by=LOCK_USED_BY,
        object_id="",
        defaults={"note": reason[:255]},
    )
    if created:
        audit.record(actor, "indicators.indicator.lock", current, {"locked": [False, True]}, reason)
    return current


def indicator_use_add(
    *, indicator_id: int, used_by: str, object_id: str = "", note: str = ""
) -> IndicatorUse:
    """Record that `used_by`/`object_id` scores with this version.

    Meant to run inside the calling app's own service transaction (so not durable here); the
    caller audits its own write.
    """
    with transaction.atomic():
        use, _created = IndicatorUse.objects.get_or_create(
            indicator_id=indicator_id,
            used_by=used_by,
            object_id=str(object_id),
            defaults={"note": note[:255]},
        )
    return use


def indicator_use_remove(*, indicator_id: int, used_by: str, object_id: str = "") -> int:
    """Forget a reference (e.g. a goal deleted before its cycle started)."""
    with transaction.atomic():
        deleted, _counts = IndicatorUse.objects.filter(
            indicator_id=indicator_id, used_by=used_by, object_id=str(object_id)
        ).delete()
    return deleted


# ---------------------------------------------------------------- bulk (import, seed)


@dataclass
class ImportItem:
    """One indicator of an import: new (indicator_id None) or over an existing latest version.
    `active` None leaves the active flag as it is (new indicators are active)."""

    data: IndicatorData
    indicator_id: int | None = None
    expected_version: int | None = None
    active: bool | None = None


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    new_versions: int = 0
    unchanged: int = 0


def indicators_write_many(
    *, actor: Actor, items: Sequence[ImportItem], reason: str, create_action: str
) -> ImportCounts:
    """Write already-validated items inside the caller's transaction (import, seed).

    Raises concurrent_edit() when a row changed since it was validated, so the caller's
    transaction rolls back as a whole.
    """
    counts = ImportCounts()
    existing_ids = [i.indicator_id for i in items if i.indicator_id is not None]
    in_use = indicator_ids_in_use(existing_ids)
    current_by_id = Indicator.objects.prefetch_related("bars_levels").in_bulk(existing_ids)
    for item in items:
        if item.indicator_id is None:
            created = _create(actor, item.data, action=create_action, reason=reason)
            counts.created += 1
            if item.active is False:
                _set_active_in_place(actor, created, False, reason)
            continue
        current = current_by_id.get(item.indicator_id)
        if current is None or not current.is_latest:
            raise concurrent_edit()
        outcome = _update(
            actor,
            current,
            item.expected_version if item.expected_version is not None else current.version,
            item.data,
            reason=reason,
            in_use=current.pk in in_use,
        )
        flipped = item.active is not None and outcome.indicator.is_active != item.active
        if flipped:
            assert item.active is not None
            _set_active_in_place(actor, outcome.indicator, item.active, reason)
        if not outcome.changed and not flipped:
            counts.unchanged += 1
        elif outcome.new_version:
            counts.new_versions += 1
        else:
            counts.updated += 1
    return counts


def _set_active_in_place(actor: Actor, indicator: Indicator, active: bool, reason: str) -> None:
    if not Indicator.objects.filter(pk=indicator.pk, is_active=not active, is_latest=True).update(
        is_active=active, version=F("version") + 1
    ):
        raise concurrent_edit()
    audit.record(
        actor,
        "indicators.indicator.activate" if active else "indicators.indicator.deactivate",
        indicator,
        {"is_active": [not active, active]},
        reason,
    )
    indicator.is_active = active


@transaction.atomic(durable=True)
def indicators_import(
    *, actor: Actor, scope: Scope | None, items: Sequence[ImportItem], reason: str
) -> ImportCounts:
    """All items in one transaction, or none of them."""
    _require_manage(scope)
    return indicators_write_many(
        actor=actor, items=items, reason=reason, create_action="indicators.indicator.create"
    )


# ---------------------------------------------------------------- weight sets


@dataclass
class WeightItemData:
    indicator_id: int
    weight: float
    ahp_weight: float | None = None
    entropy_weight: float | None = None


@dataclass
class WeightSetData:
    name: str
    method: str
    items: list[WeightItemData]
    description: str = ""
    ahp_method: str = ""
    matrix: list[list[float]] = field(default_factory=list)
    lambda_max: float | None = None
    consistency_index: float | None = None
    consistency_ratio: float | None = None
    ri_table_name: str = ""
    ri_table: list[float] = field(default_factory=list)
    alpha: float | None = None
    entropy_source: Mapping[str, Any] = field(default_factory=dict)


def _weight(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.000001"))


def _validate_weight_set(data: WeightSetData) -> list[FieldError]:
    errors: list[FieldError] = []
    data.name = data.name.strip()
    if not data.name:
        errors.append(FieldError("name", "required", _("Name the weight set.")))
    elif len(data.name) > 100:
        errors.append(FieldError("name", "too_long", _("At most 100 characters.")))
    elif WeightSet.objects.filter(name=data.name).exists():
        errors.append(
            FieldError("name", "duplicate_name", _("Another weight set already has this name."))
        )
    _check_choice(errors, "method", data.method, WeightMethod.values, _("Choose a method."))
    if len(data.items) < 2:
        errors.append(
            FieldError("items", "too_few", _("A weight set needs at least two indicators."))
        )
        return errors
    ids = [i.indicator_id for i in data.items]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("items", "duplicate", _("An indicator appears twice.")))
    found = set(Indicator.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - found:
        errors.append(FieldError("items", "unknown_indicator", _("An indicator does not exist.")))
    weights = [i.weight for i in data.items]
    if any(not math.isfinite(w) or w < 0 or w > 1 for w in weights):
        errors.append(FieldError("items", "out_of_range", _("Each weight lies between 0 and 1.")))
    elif abs(sum(weights) - 1.0) > 1e-4:
        errors.append(
            FieldError(
                "items",
                "weights_sum",
                _("The weights add up to %(sum)s; they must add up to 100%%.")
                % {"sum": f"{sum(weights) * 100:.2f}%"},
            )
        )
    if data.alpha is not None and not 0 <= data.alpha <= 1:
        errors.append(FieldError("alpha", "out_of_range", _("α lies between 0 and 1.")))
    return errors


@transaction.atomic(durable=True)
def weight_set_create(*, actor: Actor, scope: Scope | None, data: WeightSetData) -> WeightSet:
    """Save a named weight set; the method, matrix, CR and RI table used are kept with it."""
    _require_manage(scope)
    _raise_if(_validate_weight_set(data))
    # Rounded weights must still add up to exactly 1: the largest absorbs the rounding.
    rounded = [_weight(i.weight) for i in data.items]
    largest = max(range(len(rounded)), key=lambda k: rounded[k])
    rounded[largest] += Decimal(1) - sum(rounded)
    try:
        with transaction.atomic():
            ws = WeightSet.objects.create(
                name=data.name,
                description=data.description.strip(),
                method=data.method,
                ahp_method=data.ahp_method,
                matrix=data.matrix,
                lambda_max=data.lambda_max,
                consistency_index=data.consistency_index,
                consistency_ratio=data.consistency_ratio,
                ri_table_name=data.ri_table_name,
                ri_table=data.ri_table,
                alpha=None if data.alpha is None else Decimal(str(round(data.alpha, 3))),
                entropy_source=dict(data.entropy_source),
                created_by_id=actor.user_id,
            )
    except IntegrityError:
        raise validation_failed(
            [FieldError("name", "duplicate_name", _("Another weight set already has this name."))]
        ) from None
    WeightSetItem.objects.bulk_create(
        [
            WeightSetItem(
                weight_set=ws,
                indicator_id=item.indicator_id,
                position=pos,
                weight=rounded[pos],
                ahp_weight=None if item.ahp_weight is None else _weight(item.ahp_weight),
                entropy_weight=None
                if item.entropy_weight is None
                else _weight(item.entropy_weight),
            )
            for pos, item in enumerate(data.items)
        ]
    )
    # The set weighs these versions: editing one of them from now on creates a new version.
    IndicatorUse.objects.bulk_create(
        [
            IndicatorUse(
                indicator_id=item.indicator_id,
                used_by=WEIGHT_SET_USED_BY,
                object_id=str(ws.pk),
                note=ws.name[:255],
            )
            for item in data.items
        ]
    )
    codes = dict(
        Indicator.objects.filter(pk__in=[i.indicator_id for i in data.items]).values_list(
            "pk", "code"
        )
    )
    audit.record(
        actor,
        "indicators.weight_set.create",
        ws,
        {
            "name": [None, ws.name],
            "method": [None, ws.method],
            "weights": [
                None,
                {
                    codes[item.indicator_id]: str(rounded[pos])
                    for pos, item in enumerate(data.items)
                },
            ],
            "consistency_ratio": [None, ws.consistency_ratio],
            "ri_table": [None, ws.ri_table_name],
            "alpha": [None, audit.plain(ws.alpha)],
        },
    )
    return ws


# ---------------------------------------------------------------- the preloaded library


def seed_data() -> list[IndicatorData]:
    """The preloaded library (seed.py) as service input."""
    from jixiao.indicators.seed import SEED_INDICATORS

    out = []
    for entry in SEED_INDICATORS:
        fields = {k: v for k, v in entry.items() if k != "bars_levels"}
        fields["default_weight"] = Decimal(str(fields.get("default_weight", "0")))
        levels = [
            BarsLevelData(
                level=int(b["level"]),
                title=str(b["title"]),
                description=str(b["description"]),
                points=Decimal(str(b["points"])),
            )
            for b in entry.get("bars_levels") or []
        ]
        out.append(IndicatorData(**fields, bars_levels=levels))
    return out


@transaction.atomic(durable=True)
def indicators_seed(*, actor: Actor, update: bool = False) -> ImportCounts:
    """Load the preloaded library: missing codes are created; with `update`, existing ones are
    brought back to the preloaded content (a new version when in use). Idempotent."""
    known = set(_known_codes())
    latest = {i.code: i for i in Indicator.objects.filter(is_latest=True)}
    items: list[ImportItem] = []
    skipped = 0
    for data in seed_data():
        existing = latest.get(data.code)
        if existing is not None and not update:
            skipped += 1
            continue
        errors = validate_indicator(data, existing=existing, known_codes=known)
        if errors:
            raise validation_failed(errors)
        items.append(
            ImportItem(
                data=data,
                indicator_id=existing.pk if existing else None,
                expected_version=existing.version if existing else None,
            )
        )
    counts = indicators_write_many(
        actor=actor,
        items=items,
        reason="预置指标库 / preloaded library",
        create_action="indicators.indicator.seed",
    )
    counts.unchanged += skipped
    return counts
