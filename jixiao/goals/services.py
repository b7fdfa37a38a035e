"""Writes for goals and key results: create, edit, cascade, supports, evidence, delete.

Every top-level service is one durable transaction, checks the acting user's rights itself,
writes an audit record and uses compare-and-set on `version`. The workflow (submit, approve,
return, lock, change requests, close) lives in workflow.py; templates and bulk assignment in
templates.py; progress in progress.py.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
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
from jixiao.goals import progress
from jixiao.goals.models import (
    CheckInCadence,
    Evidence,
    Goal,
    GoalLevel,
    GoalStatus,
    GoalSupport,
    Horizon,
    KeyResult,
    KeyResultSource,
    ProgressMode,
    StrategicObjective,
)
from jixiao.goals.periods import Period, parse_period
from jixiao.goals.permissions import (
    can_create_goal_for,
    can_edit_goal,
    may_plan_for,
    planning_scope_for,
)
from jixiao.indicators.models import Direction, Indicator
from jixiao.org.models import Department, DepartmentKind, Person

LEVEL_ORDER: dict[str, int] = {GoalLevel.UNIT: 0, GoalLevel.DEPARTMENT: 1, GoalLevel.PERSON: 2}
MAX_KEY_RESULTS = 20
MAX_NUMBER = Decimal("1e14")
GOAL_FIELDS = [
    "title",
    "description",
    "weight",
    "horizon",
    "due_date",
    "parent",
    "objective",
    "progress_mode",
    "checkin_cadence",
]
KR_FIELDS = [
    "title",
    "indicator_id",
    "unit",
    "direction",
    "baseline",
    "threshold",
    "target",
    "stretch",
    "weight",
    "source",
]


# ---------------------------------------------------------------- input


@dataclass
class KeyResultData:
    title: str
    indicator_id: int | None = None
    unit: str = ""
    direction: str = ""
    baseline: Decimal | None = None
    threshold: Decimal | None = None
    target: Decimal | None = None
    stretch: Decimal | None = None
    weight: Decimal = Decimal(100)
    source: str = KeyResultSource.MANUAL
    id: int | None = None

    def content(self) -> dict[str, Any]:
        return {name: audit.plain(getattr(self, name)) for name in KR_FIELDS}

    @classmethod
    def of(cls, kr: KeyResult) -> KeyResultData:
        return cls(
            id=kr.pk,
            title=kr.title,
            indicator_id=kr.indicator_id,
            unit=kr.unit,
            direction=kr.direction,
            baseline=kr.baseline,
            threshold=kr.threshold,
            target=kr.target,
            stretch=kr.stretch,
            weight=kr.weight,
            source=kr.source,
        )


@dataclass
class GoalData:
    title: str
    description: str = ""
    weight: Decimal = Decimal(0)
    horizon: str = Horizon.OUTPUT
    due_date: datetime.date | None = None
    parent_id: int | None = None
    objective_id: int | None = None
    progress_mode: str = ProgressMode.AUTO
    checkin_cadence: str = CheckInCadence.MONTHLY
    key_results: list[KeyResultData] = field(default_factory=list)
    supports: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, goal: Goal) -> GoalData:
        return cls(
            title=goal.title,
            description=goal.description,
            weight=goal.weight,
            horizon=goal.horizon,
            due_date=goal.due_date,
            parent_id=goal.parent_id,
            objective_id=goal.objective_id,
            progress_mode=goal.progress_mode,
            checkin_cadence=goal.checkin_cadence,
            key_results=[
                KeyResultData.of(kr) for kr in goal.key_results.order_by("position", "id")
            ],
            supports=sorted(goal.support_links.values_list("supports_id", flat=True)),
        )

    def content(self) -> dict[str, Any]:
        """What the audit trail, change requests and the change check compare."""
        return {
            "title": self.title,
            "description": self.description,
            "weight": audit.plain(_percent(self.weight)),
            "horizon": self.horizon,
            "due_date": audit.plain(self.due_date),
            "parent": self.parent_id,
            "objective": self.objective_id,
            "progress_mode": self.progress_mode,
            "checkin_cadence": self.checkin_cadence,
            "key_results": [kr.content() for kr in self.key_results],
            "supports": sorted(self.supports),
        }

    @classmethod
    def from_content(
        cls, content: dict[str, Any], key_result_ids: Sequence[int | None]
    ) -> GoalData:
        """The inverse of `content` (for change requests, which store content as JSON)."""
        krs = []
        for i, kr in enumerate(content.get("key_results", [])):
            krs.append(
                KeyResultData(
                    id=key_result_ids[i] if i < len(key_result_ids) else None,
                    title=kr["title"],
                    indicator_id=kr.get("indicator_id"),
                    unit=kr.get("unit", ""),
                    direction=kr.get("direction", ""),
                    baseline=_decimal_or_none(kr.get("baseline")),
                    threshold=_decimal_or_none(kr.get("threshold")),
                    target=_decimal_or_none(kr.get("target")),
                    stretch=_decimal_or_none(kr.get("stretch")),
                    weight=Decimal(str(kr.get("weight", 100))),
                    source=kr.get("source", KeyResultSource.MANUAL),
                )
            )
        due = content.get("due_date")
        return cls(
            title=content["title"],
            description=content.get("description", ""),
            weight=Decimal(str(content.get("weight", 0))),
            horizon=content.get("horizon", Horizon.OUTPUT),
            due_date=datetime.date.fromisoformat(due) if due else None,
            parent_id=content.get("parent"),
            objective_id=content.get("objective"),
            progress_mode=content.get("progress_mode", ProgressMode.AUTO),
            checkin_cadence=content.get("checkin_cadence", CheckInCadence.MONTHLY),
            key_results=krs,
            supports=list(content.get("supports", [])),
        )


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _percent(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _number(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.0001"))


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class Owner:
    """Whose goal it is: a unit, a department or a person, for one period."""

    level: str
    department: Department
    person: Person | None
    period: Period


def _check_percent(errors: list[FieldError], name: str, value: Any) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        errors.append(FieldError(name, "out_of_range", _("Enter a percentage from 0 to 100.")))
        return None
    return _percent(number)


def _check_number(errors: list[FieldError], name: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        errors.append(FieldError(name, "invalid_number", _("Enter a number.")))
        return None
    return _number(number)


def _validate_key_results(
    data: GoalData, errors: list[FieldError], known: Mapping[int, Indicator] | None = None
) -> None:
    if len(data.key_results) > MAX_KEY_RESULTS:
        errors.append(
            FieldError(
                "key_results",
                "too_many",
                _("A goal has at most %(n)s key results.") % {"n": MAX_KEY_RESULTS},
            )
        )
    indicator_ids = {kr.indicator_id for kr in data.key_results if kr.indicator_id}
    if known is not None:  # preloaded by a bulk caller (the Excel import)
        indicators = {pk: known[pk] for pk in indicator_ids if pk in known}
    else:
        indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=indicator_ids)}
    for i, kr in enumerate(data.key_results):
        prefix = f"key_results[{i}]"
        kr.title = kr.title.strip()
        kr.unit = kr.unit.strip()
        indicator = indicators.get(kr.indicator_id) if kr.indicator_id else None
        if kr.indicator_id and indicator is None:
            errors.append(
                FieldError(f"{prefix}.indicator", "unknown_indicator", _("No such indicator."))
            )
        if indicator is not None:
            kr.title = kr.title or indicator.name
            kr.unit = kr.unit or indicator.unit
            kr.direction = kr.direction or indicator.direction
        kr.direction = kr.direction or Direction.HIGHER
        if not kr.title:
            errors.append(FieldError(f"{prefix}.title", "required", _("Name the key result.")))
        elif len(kr.title) > 200:
            errors.append(FieldError(f"{prefix}.title", "too_long", _("At most 200 characters.")))
        if len(kr.unit) > 32:
            errors.append(FieldError(f"{prefix}.unit", "too_long", _("At most 32 characters.")))
        if kr.direction not in Direction.values:
            errors.append(
                FieldError(f"{prefix}.direction", "invalid_choice", _("Choose a direction."))
            )
        if kr.source not in KeyResultSource.values:
            errors.append(
                FieldError(
                    f"{prefix}.source", "invalid_choice", _("Choose where values come from.")
                )
            )
        elif kr.source == KeyResultSource.INDICATOR and indicator is None:
            errors.append(
                FieldError(
                    f"{prefix}.source",
                    "indicator_required",
                    _("Automatic values need an indicator from the library."),
                )
            )
        kr.baseline = _check_number(errors, f"{prefix}.baseline", kr.baseline)
        kr.threshold = _check_number(errors, f"{prefix}.threshold", kr.threshold)
        kr.target = _check_number(errors, f"{prefix}.target", kr.target)
        kr.stretch = _check_number(errors, f"{prefix}.stretch", kr.stretch)
        weight = _check_percent(errors, f"{prefix}.weight", kr.weight)
        if weight is not None:
            kr.weight = weight
        _check_target_order(kr, prefix, errors)


def _check_target_order(kr: KeyResultData, prefix: str, errors: list[FieldError]) -> None:
    """Threshold, target and stretch must lie in the direction of improvement."""
    points = [("threshold", kr.threshold), ("target", kr.target), ("stretch", kr.stretch)]
    known = [(name, value) for name, value in points if value is not None]
    lower = kr.direction == Direction.LOWER
    for (a_name, a), (b_name, b) in itertools.pairwise(known):
        if (b < a) if not lower else (b > a):
            errors.append(
                FieldError(
                    f"{prefix}.{b_name}",
                    "targets_out_of_order",
                    _("When higher is better, the %(b)s must not be below the %(a)s.")
                    % {"a": _(a_name), "b": _(b_name)}
                    if not lower
                    else _("When lower is better, the %(b)s must not be above the %(a)s.")
                    % {"a": _(a_name), "b": _(b_name)},
                )
            )


def _ancestor_ids(goal_id: int) -> set[int]:
    out: set[int] = set()
    current: int | None = goal_id
    while current is not None and current not in out and len(out) < 64:
        out.add(current)
        current = Goal.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return out


def validate_goal(
    data: GoalData,
    *,
    owner: Owner,
    user: Any,
    existing: Goal | None,
    indicators: Mapping[int, Indicator] | None = None,
) -> list[FieldError]:
    """Every problem of the data, each on its field. Pages, API and imports share it.

    `indicators` (by id) lets a bulk caller preload the key results' indicators."""
    errors: list[FieldError] = []
    data.title = data.title.strip()
    data.description = data.description.strip()
    if not data.title:
        errors.append(FieldError("title", "required", _("Enter a title.")))
    elif len(data.title) > 200:
        errors.append(FieldError("title", "too_long", _("At most 200 characters.")))
    weight = _check_percent(errors, "weight", data.weight)
    if weight is not None:
        data.weight = weight
    if data.horizon not in Horizon.values:
        errors.append(FieldError("horizon", "invalid_choice", _("Choose a horizon.")))
    if data.progress_mode not in ProgressMode.values:
        errors.append(
            FieldError("progress_mode", "invalid_choice", _("Choose how progress is measured."))
        )
    if data.checkin_cadence not in CheckInCadence.values:
        errors.append(FieldError("checkin_cadence", "invalid_choice", _("Choose a cadence.")))
    if data.due_date is not None and data.due_date < owner.period.start:
        errors.append(
            FieldError(
                "due_date",
                "before_period",
                _("The deadline is before the period starts (%(start)s).")
                % {"start": owner.period.start.isoformat()},
            )
        )
    if data.parent_id is not None:
        _validate_parent(data, owner, user, existing, errors)
    if data.objective_id is not None:
        unit_id = _unit_id_of(owner.department)
        objective = StrategicObjective.objects.filter(pk=data.objective_id).first()
        if objective is None or objective.unit_id != unit_id:
            errors.append(
                FieldError("objective", "unknown_objective", _("Choose an objective of this unit."))
            )
        elif not objective.start_year <= owner.period.year <= objective.end_year:
            errors.append(
                FieldError(
                    "objective",
                    "objective_period",
                    _("The objective covers %(a)s–%(b)s, not this period.")
                    % {"a": objective.start_year, "b": objective.end_year},
                )
            )
    _validate_supports(data, existing, user, errors)
    _validate_key_results(data, errors, indicators)
    return errors


def _validate_parent(
    data: GoalData, owner: Owner, user: Any, existing: Goal | None, errors: list[FieldError]
) -> None:
    from jixiao.goals.selectors import goals_visible_to

    assert data.parent_id is not None
    parent = goals_visible_to(user).filter(pk=data.parent_id).first()
    if parent is None:
        errors.append(FieldError("parent", "unknown_goal", _("Choose a goal you can see.")))
        return
    errors.extend(
        alignment_errors(
            parent_level=parent.level,
            parent_period=parent.period,
            parent_status=parent.status,
            parent_path=parent.department.path,
            owner=owner,
        )
    )
    if existing is not None and existing.pk in _ancestor_ids(parent.pk):
        errors.append(
            FieldError("parent", "alignment_loop", _("This would make the goal align to itself."))
        )


def alignment_errors(
    *, parent_level: str, parent_period: str, parent_status: str, parent_path: str, owner: Owner
) -> list[FieldError]:
    """The rules of aligning a goal of `owner` to a parent goal (not loops, not visibility),
    on plain values so that the Excel import can check parents that are still in the file."""
    errors: list[FieldError] = []
    if LEVEL_ORDER[parent_level] > LEVEL_ORDER[owner.level]:
        errors.append(
            FieldError(
                "parent",
                "parent_level",
                _("A goal aligns to a goal of its own level or above, not to a personal goal."),
            )
        )
    period = parse_period(parent_period)
    if period is None or not period.contains(owner.period):
        errors.append(
            FieldError(
                "parent",
                "parent_period",
                _("The goal's period must lie within the period of the goal it aligns to."),
            )
        )
    if parent_status == GoalStatus.CLOSED:
        errors.append(FieldError("parent", "parent_closed", _("That goal is already closed.")))
    if not owner.department.path.startswith(parent_path):
        errors.append(
            FieldError(
                "parent",
                "parent_outside",
                _("Align to a goal of your own department or of a unit or department above it."),
            )
        )
    return errors


def _validate_supports(
    data: GoalData, existing: Goal | None, user: Any, errors: list[FieldError]
) -> None:
    from jixiao.goals.selectors import goals_visible_to

    data.supports = sorted(set(data.supports) - {data.parent_id or 0})
    if existing is not None and existing.pk in data.supports:
        errors.append(FieldError("supports", "supports_self", _("A goal cannot support itself.")))
        return
    if data.supports:
        found = set(
            goals_visible_to(user).filter(pk__in=data.supports).values_list("pk", flat=True)
        )
        if missing := [i for i in data.supports if i not in found]:
            errors.append(
                FieldError(
                    "supports",
                    "unknown_goal",
                    _("Unknown goals: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
                )
            )


def _unit_id_of(department: Department) -> int:
    ids = department.ancestor_ids()
    return ids[0] if ids else department.pk


def owner_for(
    *, level: str, period_key: str, department: Department | None, person: Person | None
) -> Owner:
    """The owner of a new goal, or a DomainError naming the field that is wrong."""
    errors: list[FieldError] = []
    period = parse_period(period_key or "")
    if period is None:
        errors.append(
            FieldError(
                "period",
                "invalid_period",
                _("Give the period as 2026, 2026-H1, 2026-Q3 or 2026-03."),
            )
        )
    if level not in GoalLevel.values:
        errors.append(FieldError("level", "invalid_choice", _("Choose a level.")))
    elif level == GoalLevel.PERSON:
        if person is None:
            errors.append(FieldError("person", "required", _("Choose the person.")))
        elif not person.is_active:
            errors.append(FieldError("person", "inactive", _("This person is no longer active.")))
        else:
            department = person.department
    elif department is None:
        errors.append(FieldError("department", "required", _("Choose the unit or department.")))
    elif not department.is_active:
        errors.append(
            FieldError("department", "inactive", _("This department is no longer active."))
        )
    elif level == GoalLevel.UNIT and department.kind != DepartmentKind.UNIT:
        errors.append(
            FieldError("department", "not_a_unit", _("A unit goal belongs to a unit (单位)."))
        )
    elif level == GoalLevel.DEPARTMENT and department.kind == DepartmentKind.UNIT:
        errors.append(
            FieldError(
                "department", "is_a_unit", _("Choose a department; for the unit use a unit goal.")
            )
        )
    if errors:
        raise validation_failed(errors)
    assert period is not None and department is not None
    return Owner(
        level=level,
        department=department,
        person=person if level == GoalLevel.PERSON else None,
        period=period,
    )


# ---------------------------------------------------------------- writing


def _write_key_results(goal: Goal, data: GoalData) -> None:
    """Make the goal's key results match the data: update by id, add new, remove missing."""
    existing = {kr.pk: kr for kr in goal.key_results.all()}
    keep: set[int] = set()
    to_create: list[KeyResult] = []
    to_update: list[KeyResult] = []
    for position, item in enumerate(data.key_results):
        kr = existing.get(item.id) if item.id is not None else None
        if kr is None:
            kr = KeyResult(goal=goal)
            to_create.append(kr)
        else:
            keep.add(kr.pk)
            to_update.append(kr)
        kr.position = position
        kr.title = item.title
        kr.indicator_id = item.indicator_id
        kr.unit = item.unit
        kr.direction = item.direction
        kr.baseline = item.baseline
        kr.threshold = item.threshold
        kr.target = item.target
        kr.stretch = item.stretch
        kr.weight = item.weight
        kr.source = item.source
    removed = [pk for pk in existing if pk not in keep]
    if removed:
        KeyResult.objects.filter(pk__in=removed).delete()
    if to_update:
        KeyResult.objects.bulk_update(
            to_update,
            [
                "position",
                "title",
                "indicator",
                "unit",
                "direction",
                "baseline",
                "threshold",
                "target",
                "stretch",
                "weight",
                "source",
            ],
        )
    if to_create:
        KeyResult.objects.bulk_create(to_create)


def _write_supports(goal: Goal, supports: list[int]) -> None:
    current = set(goal.support_links.values_list("supports_id", flat=True))
    wanted = set(supports)
    if current - wanted:
        GoalSupport.objects.filter(goal=goal, supports_id__in=current - wanted).delete()
    GoalSupport.objects.bulk_create(
        [GoalSupport(goal=goal, supports_id=i) for i in sorted(wanted - current)]
    )


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise validation_failed(errors)


def create_goal_row(
    *, actor: Actor, owner: Owner, data: GoalData, status: str = GoalStatus.DRAFT
) -> Goal:
    """Insert a validated goal with its key results and supports (inside a transaction)."""
    goal = Goal.objects.create(
        level=owner.level,
        department=owner.department,
        person=owner.person,
        period=owner.period.key,
        period_kind=owner.period.kind,
        period_start=owner.period.start,
        period_end=owner.period.end,
        title=data.title,
        description=data.description,
        weight=data.weight,
        horizon=data.horizon,
        due_date=data.due_date,
        parent_id=data.parent_id,
        objective_id=data.objective_id,
        progress_mode=data.progress_mode,
        checkin_cadence=data.checkin_cadence,
        status=status,
        created_by_id=actor.user_id,
    )
    _write_key_results(goal, data)
    _write_supports(goal, data.supports)
    return goal


@transaction.atomic(durable=True)
def goal_create(*, actor: Actor, user: Any, owner: Owner, data: GoalData, reason: str = "") -> Goal:
    """A new draft goal. Cascading is creating with `parent_id` set to the goal above."""
    if not can_create_goal_for(
        user, level=owner.level, department=owner.department, person=owner.person
    ):
        raise forbidden()
    _raise_if(validate_goal(data, owner=owner, user=user, existing=None))
    goal = create_goal_row(actor=actor, owner=owner, data=data)
    changes = audit.diff({}, {"level": owner.level, "period": owner.period.key, **data.content()})
    audit.record(actor, "goals.goal.create", goal, changes, reason)
    progress.recompute_goals([goal.pk])
    return goal


def apply_goal_content(
    *, actor: Actor, goal: Goal, expected_version: int, data: GoalData, action: str, reason: str
) -> bool:
    """Write validated content over the goal under compare-and-set; False when unchanged."""
    before = GoalData.of(goal).content()
    after = data.content()
    if before == after:
        if goal.version != expected_version:
            raise concurrent_edit()
        return False
    updated = Goal.objects.filter(pk=goal.pk, version=expected_version, status=goal.status).update(
        title=data.title,
        description=data.description,
        weight=data.weight,
        horizon=data.horizon,
        due_date=data.due_date,
        parent_id=data.parent_id,
        objective_id=data.objective_id,
        progress_mode=data.progress_mode,
        checkin_cadence=data.checkin_cadence,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise concurrent_edit()
    _write_key_results(goal, data)
    _write_supports(goal, data.supports)
    audit.record(actor, action, goal, audit.diff(before, after), reason)
    old_parent = goal.parent_id
    progress.recompute_goals([goal.pk, *([old_parent] if old_parent else [])])
    return True


def _owner_of(goal: Goal) -> Owner:
    period = parse_period(goal.period)
    assert period is not None
    return Owner(level=goal.level, department=goal.department, person=goal.person, period=period)


def _locked_goal(goal_id: int, user: Any) -> Goal:
    from jixiao.goals.selectors import get_goal_for_user

    return get_goal_for_user(user, goal_id)


@transaction.atomic(durable=True)
def goal_update(
    *,
    actor: Actor,
    user: Any,
    goal_id: int,
    expected_version: int,
    data: GoalData,
    reason: str = "",
) -> Goal:
    """Edit a draft or returned goal. A submitted, approved or locked goal is not edited here:
    it is returned first, or changed through a change request once locked."""
    goal = _locked_goal(goal_id, user)
    if not may_plan_for(planning_scope_for(user), goal):
        raise forbidden()
    if not can_edit_goal(user, goal):
        raise DomainError(
            "goal_not_editable",
            _(
                "This goal is %(status)s and can no longer be edited. "
                "Once it is locked, ask for a change instead."
            )
            % {"status": goal.get_status_display()},
            status=409,
        )
    _raise_if(validate_goal(data, owner=_owner_of(goal), user=user, existing=goal))
    apply_goal_content(
        actor=actor,
        goal=goal,
        expected_version=expected_version,
        data=data,
        action="goals.goal.update",
        reason=reason,
    )
    goal.refresh_from_db()
    return goal


@transaction.atomic(durable=True)
def goal_delete(
    *, actor: Actor, user: Any, goal_id: int, expected_version: int, reason: str = ""
) -> None:
    """Delete a draft or returned goal that nothing aligns to and nobody has checked in on."""
    goal = _locked_goal(goal_id, user)
    if not can_edit_goal(user, goal):
        raise forbidden()
    if goal.children.exists():
        raise DomainError(
            "goal_has_children",
            _("Other goals align to this goal; move or delete them first."),
            status=409,
        )
    if goal.checkins.exists():
        raise DomainError(
            "goal_has_checkins", _("This goal has check-ins and cannot be deleted."), status=409
        )
    before = {"level": goal.level, "period": goal.period, **GoalData.of(goal).content()}
    deleted = Goal.objects.filter(pk=goal.pk, version=expected_version).delete()[0]
    if not deleted:
        raise concurrent_edit()
    goal.pk = goal_id
    audit.record(actor, "goals.goal.delete", goal, audit.diff(before, {}), reason)
    if goal.parent_id:
        progress.recompute_goals([goal.parent_id])


# ---------------------------------------------------------------- evidence


MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


@transaction.atomic(durable=True)
def evidence_add(
    *, actor: Actor, user: Any, goal_id: int, title: str, url: str = "", upload: Any = None
) -> Evidence:
    """Attach a link or a file to a goal; whoever reports on the goal may add evidence."""
    from jixiao.goals.permissions import can_check_in

    goal = _locked_goal(goal_id, user)
    if not (can_check_in(user, goal) or can_edit_goal(user, goal)):
        raise forbidden()
    errors: list[FieldError] = []
    title = title.strip()
    url = url.strip()
    if not title:
        errors.append(FieldError("title", "required", _("Enter a title.")))
    if not url and upload is None:
        errors.append(FieldError("url", "required", _("Give a link or choose a file.")))
    if url and not (url.startswith("https://") or url.startswith("http://")):
        errors.append(
            FieldError("url", "invalid_url", _("A link starts with http:// or https://."))
        )
    if upload is not None and upload.size > MAX_EVIDENCE_BYTES:
        errors.append(FieldError("file", "too_large", _("A file may be at most 20 MB.")))
    _raise_if(errors)
    evidence = Evidence(goal=goal, title=title[:200], url=url, added_by_id=actor.user_id)
    if upload is not None:
        evidence.file_name = str(upload.name)[:255]
        evidence.size = int(upload.size)
        evidence.file.save(upload.name, upload, save=False)
    evidence.save()
    audit.record(
        actor,
        "goals.evidence.add",
        goal,
        {"evidence": [None, {"title": title, "url": url, "file": evidence.file_name}]},
    )
    return evidence


@transaction.atomic(durable=True)
def evidence_remove(*, actor: Actor, user: Any, evidence_id: int) -> None:
    from jixiao.goals.permissions import can_check_in

    evidence = Evidence.objects.select_related("goal").filter(pk=evidence_id).first()
    if evidence is None:
        raise DomainError("not_found", _("Not found."), status=404)
    goal = _locked_goal(evidence.goal_id, user)
    if not (can_check_in(user, goal) or can_edit_goal(user, goal)):
        raise forbidden()
    if goal.status == GoalStatus.CLOSED:
        raise DomainError("goal_closed", _("The goal is closed; its evidence stays."), status=409)
    audit.record(
        actor,
        "goals.evidence.remove",
        goal,
        {
            "evidence": [
                {"title": evidence.title, "url": evidence.url, "file": evidence.file_name},
                None,
            ]
        },
    )
    stored = evidence.file.name if evidence.file else ""
    evidence.delete()
    if stored:
        storage = Evidence._meta.get_field("file").storage  # type: ignore[attr-defined]
        transaction.on_commit(lambda: storage.delete(stored))
