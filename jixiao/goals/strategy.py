"""Writes for a unit's strategy (themes and objectives), its planning policy, and the
acknowledgement of planning conflicts. Unit leaders and performance administrators of the
unit maintain the strategy; anyone who plans where a conflict lies may acknowledge it."""

from __future__ import annotations

from dataclasses import dataclass
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
from jixiao.goals.models import (
    ConflictAcknowledgement,
    PlanningPolicy,
    StrategicObjective,
    StrategicTheme,
)
from jixiao.goals.permissions import can_manage_strategy, planning_scope_for
from jixiao.org.models import Department, DepartmentKind

DEFAULT_THEMES: list[tuple[str, str, bool]] = [
    ("履职成效", "法定职责和重点任务的完成情况与社会效益。", False),
    ("服务对象", "群众、企业和内部服务对象的满意度与获得感。", False),
    ("内部流程", "办文办会、审批服务、协同运转的效率与规范。", False),
    ("学习成长", "队伍能力、数字化转型和制度建设等长期能力。", True),
    ("资源保障", "预算、资产、物资和能源的节约与高效使用。", False),
]


def _require_unit(user: Any, unit: Department) -> None:
    if unit.kind != DepartmentKind.UNIT:
        raise DomainError("not_a_unit", _("Strategy belongs to a unit (单位)."), status=400)
    if not can_manage_strategy(user, unit):
        raise forbidden()


@dataclass
class ThemeData:
    name: str
    description: str = ""
    is_capacity_building: bool = False
    sort_order: int = 0

    def content(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "is_capacity_building": self.is_capacity_building,
            "sort_order": self.sort_order,
        }


def _validate_theme(data: ThemeData) -> list[FieldError]:
    data.name = data.name.strip()
    data.description = data.description.strip()
    errors = []
    if not data.name:
        errors.append(FieldError("name", "required", _("Name the theme.")))
    elif len(data.name) > 50:
        errors.append(FieldError("name", "too_long", _("At most 50 characters.")))
    return errors


@transaction.atomic(durable=True)
def theme_create(*, actor: Actor, user: Any, unit: Department, data: ThemeData) -> StrategicTheme:
    _require_unit(user, unit)
    errors = _validate_theme(data)
    if errors:
        raise validation_failed(errors)
    try:
        with transaction.atomic():
            theme = StrategicTheme.objects.create(unit=unit, **data.content())
    except IntegrityError:
        raise validation_failed(
            [FieldError("name", "duplicate_name", _("This unit already has a theme of that name."))]
        ) from None
    audit.record(actor, "goals.theme.create", theme, audit.diff({}, data.content()))
    return theme


@transaction.atomic(durable=True)
def theme_update(
    *,
    actor: Actor,
    user: Any,
    theme_id: int,
    expected_version: int,
    data: ThemeData,
    active: bool = True,
) -> StrategicTheme:
    theme = StrategicTheme.objects.select_related("unit").filter(pk=theme_id).first()
    if theme is None:
        raise DomainError("not_found", _("Not found."), status=404)
    _require_unit(user, theme.unit)
    errors = _validate_theme(data)
    if errors:
        raise validation_failed(errors)
    before = {
        **ThemeData(
            theme.name, theme.description, theme.is_capacity_building, theme.sort_order
        ).content(),
        "is_active": theme.is_active,
    }
    try:
        with transaction.atomic():
            updated = StrategicTheme.objects.filter(pk=theme.pk, version=expected_version).update(
                **data.content(), is_active=active, version=F("version") + 1
            )
    except IntegrityError:
        raise validation_failed(
            [FieldError("name", "duplicate_name", _("This unit already has a theme of that name."))]
        ) from None
    if not updated:
        raise concurrent_edit()
    theme.refresh_from_db()
    audit.record(
        actor,
        "goals.theme.update",
        theme,
        audit.diff(before, {**data.content(), "is_active": active}),
    )
    return theme


@transaction.atomic(durable=True)
def themes_create_defaults(*, actor: Actor, user: Any, unit: Department) -> int:
    """The public-sector balanced-scorecard perspectives, for a unit that has no themes."""
    _require_unit(user, unit)
    if StrategicTheme.objects.filter(unit=unit).exists():
        raise DomainError("themes_exist", _("This unit already has strategic themes."), status=409)
    themes = StrategicTheme.objects.bulk_create(
        [
            StrategicTheme(
                unit=unit, name=name, description=desc, is_capacity_building=cap, sort_order=i
            )
            for i, (name, desc, cap) in enumerate(DEFAULT_THEMES)
        ]
    )
    audit.record_many(
        actor,
        [audit.entry("goals.theme.create", t, {"name": [None, t.name]}) for t in themes],
        reason=_("Default themes"),
    )
    return len(themes)


@dataclass
class ObjectiveData:
    theme_id: int
    title: str
    start_year: int
    end_year: int
    code: str = ""
    description: str = ""
    parent_id: int | None = None

    def content(self) -> dict[str, Any]:
        return {
            "theme": self.theme_id,
            "title": self.title,
            "start_year": self.start_year,
            "end_year": self.end_year,
            "code": self.code,
            "description": self.description,
            "parent": self.parent_id,
        }


def _validate_objective(
    unit: Department, data: ObjectiveData, existing: StrategicObjective | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    data.title = data.title.strip()
    data.code = data.code.strip()
    data.description = data.description.strip()
    if not data.title:
        errors.append(FieldError("title", "required", _("Enter a title.")))
    elif len(data.title) > 200:
        errors.append(FieldError("title", "too_long", _("At most 200 characters.")))
    if len(data.code) > 32:
        errors.append(FieldError("code", "too_long", _("At most 32 characters.")))
    if not StrategicTheme.objects.filter(pk=data.theme_id, unit=unit).exists():
        errors.append(FieldError("theme", "unknown_theme", _("Choose a theme of this unit.")))
    if not (2000 <= data.start_year <= 2100 and 2000 <= data.end_year <= 2100):
        errors.append(
            FieldError("start_year", "invalid_year", _("Give years between 2000 and 2100."))
        )
    elif data.end_year < data.start_year:
        errors.append(
            FieldError("end_year", "years_ordered", _("The last year is before the first."))
        )
    if data.parent_id is not None:
        parent = StrategicObjective.objects.filter(pk=data.parent_id, unit=unit).first()
        if parent is None:
            errors.append(
                FieldError("parent", "unknown_objective", _("Choose an objective of this unit."))
            )
        elif existing is not None and parent.pk == existing.pk:
            errors.append(
                FieldError("parent", "own_parent", _("An objective cannot be its own parent."))
            )
        elif parent.parent_id is not None:
            errors.append(
                FieldError(
                    "parent",
                    "parent_annual",
                    _("Annual objectives sit under a multi-year objective."),
                )
            )
        elif not (parent.start_year <= data.start_year and data.end_year <= parent.end_year):
            errors.append(
                FieldError(
                    "parent",
                    "parent_years",
                    _("The years must lie within %(a)s–%(b)s.")
                    % {"a": parent.start_year, "b": parent.end_year},
                )
            )
    return errors


@transaction.atomic(durable=True)
def objective_create(
    *, actor: Actor, user: Any, unit: Department, data: ObjectiveData
) -> StrategicObjective:
    _require_unit(user, unit)
    errors = _validate_objective(unit, data, None)
    if errors:
        raise validation_failed(errors)
    objective = StrategicObjective.objects.create(
        unit=unit,
        theme_id=data.theme_id,
        parent_id=data.parent_id,
        code=data.code,
        title=data.title,
        description=data.description,
        start_year=data.start_year,
        end_year=data.end_year,
    )
    audit.record(actor, "goals.objective.create", objective, audit.diff({}, data.content()))
    return objective


@transaction.atomic(durable=True)
def objective_update(
    *,
    actor: Actor,
    user: Any,
    objective_id: int,
    expected_version: int,
    data: ObjectiveData,
    active: bool = True,
) -> StrategicObjective:
    objective = StrategicObjective.objects.select_related("unit").filter(pk=objective_id).first()
    if objective is None:
        raise DomainError("not_found", _("Not found."), status=404)
    _require_unit(user, objective.unit)
    errors = _validate_objective(objective.unit, data, objective)
    if errors:
        raise validation_failed(errors)
    before = {
        **ObjectiveData(
            objective.theme_id,
            objective.title,
            objective.start_year,
            objective.end_year,
            objective.code,
            objective.description,
            objective.parent_id,
        ).content(),
        "is_active": objective.is_active,
    }
    if not StrategicObjective.objects.filter(pk=objective.pk, version=expected_version).update(
        theme_id=data.theme_id,
        parent_id=data.parent_id,
        code=data.code,
        title=data.title,
        description=data.description,
        start_year=data.start_year,
        end_year=data.end_year,
        is_active=active,
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    objective.refresh_from_db()
    audit.record(
        actor,
        "goals.objective.update",
        objective,
        audit.diff(before, {**data.content(), "is_active": active}),
    )
    return objective


@transaction.atomic(durable=True)
def planning_policy_set(
    *, actor: Actor, user: Any, unit: Department, min_capacity_share: Any
) -> PlanningPolicy:
    _require_unit(user, unit)
    try:
        share = Decimal(str(min_capacity_share))
    except (InvalidOperation, ValueError):
        share = Decimal("NaN")
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(100):
        raise validation_failed(
            [
                FieldError(
                    "min_capacity_share", "out_of_range", _("Enter a percentage from 0 to 100.")
                )
            ]
        )
    policy, _created = PlanningPolicy.objects.get_or_create(unit=unit)
    before = {"min_capacity_share": audit.plain(policy.min_capacity_share)}
    PlanningPolicy.objects.filter(pk=policy.pk).update(
        min_capacity_share=share.quantize(Decimal("0.01")), version=F("version") + 1
    )
    policy.refresh_from_db()
    audit.record(
        actor,
        "goals.policy.update",
        policy,
        audit.diff(before, {"min_capacity_share": audit.plain(policy.min_capacity_share)}),
    )
    return policy


@transaction.atomic(durable=True)
def conflict_acknowledge(
    *, actor: Actor, user: Any, key: str, kind: str, note: str, goal_ids: list[int]
) -> ConflictAcknowledgement:
    """Record that a planner has read a conflict and why it stands (or how it is handled)."""
    from jixiao.goals.permissions import may_plan_for
    from jixiao.goals.selectors import goals_visible_to

    ps = planning_scope_for(user)
    goals = list(goals_visible_to(user).filter(pk__in=goal_ids))
    if not goals or not any(may_plan_for(ps, g) for g in goals):
        raise forbidden()
    if not note.strip():
        raise validation_failed(
            [FieldError("note", "required", _("Explain how the conflict is handled."))]
        )
    if not key or len(key) > 255:
        raise validation_failed([FieldError("key", "invalid", _("Unknown conflict."))])
    ack, _created = ConflictAcknowledgement.objects.update_or_create(
        key=key,
        defaults={"kind": kind[:32], "note": note.strip(), "acknowledged_by_id": actor.user_id},
    )
    audit.record_many(
        actor,
        [audit.entry("goals.conflict.acknowledge", g, {"conflict": [None, key]}) for g in goals],
        reason=note.strip(),
    )
    return ack
