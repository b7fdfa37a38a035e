"""Goal templates and bulk assignment: one personal goal with its key results, applied to
everyone with a post or in a department in one action (hundreds or thousands of people).

Assignment is set-based (one read of the people, bulk inserts of goals, key results and audit
records) and idempotent: a person who already has the template's goal for the period is
skipped, so running it again after new people arrive adds only theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
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
    Goal,
    GoalLevel,
    GoalStatus,
    GoalTemplate,
    Horizon,
    KeyResult,
    TemplateKeyResult,
)
from jixiao.goals.periods import PeriodKind, parse_period
from jixiao.goals.permissions import can_manage_templates, planning_scope_for
from jixiao.goals.services import (
    LEVEL_ORDER,
    GoalData,
    KeyResultData,
    _validate_key_results,
)
from jixiao.org.models import Department, Person, Post


@dataclass
class TemplateData:
    name: str
    title: str
    description: str = ""
    horizon: str = Horizon.OUTPUT
    weight: Decimal = Decimal(0)
    period_kind: str = PeriodKind.YEAR
    checkin_cadence: str = CheckInCadence.MONTHLY
    key_results: list[KeyResultData] = field(default_factory=list)

    @classmethod
    def of(cls, template: GoalTemplate) -> TemplateData:
        return cls(
            name=template.name,
            title=template.title,
            description=template.description,
            horizon=template.horizon,
            weight=template.weight,
            period_kind=template.period_kind,
            checkin_cadence=template.checkin_cadence,
            key_results=[
                KeyResultData(
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
                )
                for kr in template.key_results.order_by("position", "id")
            ],
        )

    def content(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "horizon": self.horizon,
            "weight": audit.plain(Decimal(self.weight).quantize(Decimal("0.01"))),
            "period_kind": self.period_kind,
            "checkin_cadence": self.checkin_cadence,
            "key_results": [kr.content() for kr in self.key_results],
        }


def validate_template(data: TemplateData, *, existing: GoalTemplate | None) -> list[FieldError]:
    data.name = data.name.strip()
    goal = GoalData(
        title=data.title,
        description=data.description,
        weight=data.weight,
        horizon=data.horizon,
        checkin_cadence=data.checkin_cadence,
        key_results=data.key_results,
    )
    errors: list[FieldError] = []
    if not data.name:
        errors.append(FieldError("name", "required", _("Name the template.")))
    elif len(data.name) > 100:
        errors.append(FieldError("name", "too_long", _("At most 100 characters.")))
    elif (
        GoalTemplate.objects.filter(name=data.name)
        .exclude(pk=existing.pk if existing else 0)
        .exists()
    ):
        errors.append(FieldError("name", "duplicate_name", _("Another template has this name.")))
    goal.title = goal.title.strip()
    if not goal.title:
        errors.append(FieldError("title", "required", _("Enter a title.")))
    elif len(goal.title) > 200:
        errors.append(FieldError("title", "too_long", _("At most 200 characters.")))
    if data.period_kind not in PeriodKind.values:
        errors.append(FieldError("period_kind", "invalid_choice", _("Choose a period.")))
    if data.horizon not in Horizon.values:
        errors.append(FieldError("horizon", "invalid_choice", _("Choose a horizon.")))
    if data.checkin_cadence not in CheckInCadence.values:
        errors.append(FieldError("checkin_cadence", "invalid_choice", _("Choose a cadence.")))
    try:
        weight = Decimal(data.weight)
    except Exception:
        weight = Decimal("NaN")
    if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(100):
        errors.append(FieldError("weight", "out_of_range", _("Enter a percentage from 0 to 100.")))
    else:
        data.weight = weight.quantize(Decimal("0.01"))
    _validate_key_results(goal, errors)
    data.title = goal.title
    data.description = goal.description.strip()
    return errors


def _write_template_krs(template: GoalTemplate, krs: Sequence[KeyResultData]) -> None:
    TemplateKeyResult.objects.filter(template=template).delete()
    TemplateKeyResult.objects.bulk_create(
        [
            TemplateKeyResult(
                template=template,
                position=i,
                title=kr.title,
                indicator_id=kr.indicator_id,
                unit=kr.unit,
                direction=kr.direction,
                baseline=kr.baseline,
                threshold=kr.threshold,
                target=kr.target,
                stretch=kr.stretch,
                weight=kr.weight,
            )
            for i, kr in enumerate(krs)
        ]
    )


@transaction.atomic(durable=True)
def template_create(*, actor: Actor, user: Any, data: TemplateData) -> GoalTemplate:
    if not can_manage_templates(user):
        raise forbidden()
    errors = validate_template(data, existing=None)
    if errors:
        raise validation_failed(errors)
    try:
        with transaction.atomic():
            template = GoalTemplate.objects.create(
                name=data.name,
                title=data.title,
                description=data.description,
                horizon=data.horizon,
                weight=data.weight,
                period_kind=data.period_kind,
                checkin_cadence=data.checkin_cadence,
                created_by_id=actor.user_id,
            )
    except IntegrityError:
        raise validation_failed(
            [FieldError("name", "duplicate_name", _("Another template has this name."))]
        ) from None
    _write_template_krs(template, data.key_results)
    audit.record(actor, "goals.template.create", template, audit.diff({}, data.content()))
    return template


@transaction.atomic(durable=True)
def template_update(
    *, actor: Actor, user: Any, template_id: int, expected_version: int, data: TemplateData
) -> GoalTemplate:
    """Change a template. Goals already assigned keep what they were given."""
    if not can_manage_templates(user):
        raise forbidden()
    template = GoalTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise DomainError("not_found", _("Not found."), status=404)
    errors = validate_template(data, existing=template)
    if errors:
        raise validation_failed(errors)
    before = TemplateData.of(template).content()
    if not GoalTemplate.objects.filter(pk=template.pk, version=expected_version).update(
        name=data.name,
        title=data.title,
        description=data.description,
        horizon=data.horizon,
        weight=data.weight,
        period_kind=data.period_kind,
        checkin_cadence=data.checkin_cadence,
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    _write_template_krs(template, data.key_results)
    template.refresh_from_db()
    audit.record(actor, "goals.template.update", template, audit.diff(before, data.content()))
    return template


# ---------------------------------------------------------------- assignment


@dataclass(frozen=True)
class AssignmentTarget:
    post_id: int | None = None
    department_id: int | None = None
    include_subdepartments: bool = True


@dataclass(frozen=True)
class AssignmentResult:
    created: int
    skipped: int
    goal_ids: list[int]


def _target_people(
    user: Any, target: AssignmentTarget
) -> tuple[list[tuple[int, int, str]], Department | None]:
    """(person id, department id, department path) of active people in the target, all of
    them inside the user's planning scope; and the department the target names."""
    ps = planning_scope_for(user)
    q = Q(is_active=True)
    anchor: Department | None = None
    errors: list[FieldError] = []
    if target.post_id is None and target.department_id is None:
        errors.append(FieldError("post", "required", _("Choose a post or a department.")))
    if target.post_id is not None:
        post = Post.objects.select_related("department").filter(pk=target.post_id).first()
        if post is None:
            errors.append(FieldError("post", "unknown_post", _("No such post.")))
        else:
            q &= Q(post_id=post.pk)
            anchor = post.department
    if target.department_id is not None:
        dept = Department.objects.filter(pk=target.department_id).first()
        if dept is None:
            errors.append(FieldError("department", "unknown_department", _("No such department.")))
        else:
            q &= (
                Q(department__path__startswith=dept.path)
                if target.include_subdepartments
                else Q(department_id=dept.pk)
            )
            anchor = dept
    if errors:
        raise validation_failed(errors)
    assert anchor is not None
    if not ps.plans(anchor.path):
        raise forbidden()
    people = list(
        Person.objects.filter(q)
        .values_list("id", "department_id", "department__path")
        .order_by("id")
    )
    # A post's people may sit outside its department; keep only those the user plans for.
    people = [p for p in people if ps.plans(p[2])]
    return people, anchor


@transaction.atomic(durable=True)
def template_assign(
    *,
    actor: Actor,
    user: Any,
    template_id: int,
    period_key: str,
    target: AssignmentTarget,
    parent_id: int | None = None,
) -> AssignmentResult:
    """Give everyone in the target the template's goal for the period, as drafts."""
    from jixiao.goals.selectors import goals_visible_to

    if not can_manage_templates(user):
        raise forbidden()
    template = GoalTemplate.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise DomainError("not_found", _("Not found."), status=404)
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
    elif period.kind != template.period_kind:
        errors.append(
            FieldError(
                "period",
                "period_kind",
                _("This template is for %(kind)s periods.")
                % {"kind": PeriodKind(template.period_kind).label},
            )
        )
    parent: Goal | None = None
    if parent_id is not None:
        parent = goals_visible_to(user).filter(pk=parent_id).first()
        if parent is None:
            errors.append(FieldError("parent", "unknown_goal", _("Choose a goal you can see.")))
        elif LEVEL_ORDER[parent.level] > LEVEL_ORDER[GoalLevel.DEPARTMENT]:
            errors.append(
                FieldError("parent", "parent_level", _("Align to a unit or department goal."))
            )
        elif parent.status == GoalStatus.CLOSED:
            errors.append(FieldError("parent", "parent_closed", _("That goal is already closed.")))
        elif period is not None:
            parent_period = parse_period(parent.period)
            if parent_period is None or not parent_period.contains(period):
                errors.append(
                    FieldError(
                        "parent",
                        "parent_period",
                        _("The goal's period must lie within the period of the goal it aligns to."),
                    )
                )
    if errors:
        raise validation_failed(errors)
    assert period is not None
    people, _anchor = _target_people(user, target)
    if parent is not None:
        outside = [p for p in people if not p[2].startswith(parent.department.path)]
        if outside:
            raise validation_failed(
                [
                    FieldError(
                        "parent",
                        "parent_outside",
                        _(
                            "%(n)s of these people are outside the department of the goal to align to."
                        )
                        % {"n": len(outside)},
                    )
                ]
            )
    have = set(
        Goal.objects.filter(template=template, period=period.key).values_list(
            "person_id", flat=True
        )
    )
    todo = [p for p in people if p[0] not in have]
    path_of = {person_id: path for person_id, _dept, path in todo}
    tkrs = list(template.key_results.order_by("position", "id"))
    goals = [
        Goal(
            level=GoalLevel.PERSON,
            department_id=dept_id,
            person_id=person_id,
            period=period.key,
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            title=template.title,
            description=template.description,
            weight=template.weight,
            horizon=template.horizon,
            due_date=period.end,
            parent=parent,
            checkin_cadence=template.checkin_cadence,
            template=template,
            status=GoalStatus.DRAFT,
            created_by_id=actor.user_id,
        )
        for person_id, dept_id, _path in todo
    ]
    Goal.objects.bulk_create(goals, batch_size=2000)
    KeyResult.objects.bulk_create(
        [
            KeyResult(
                goal_id=g.pk,
                position=i,
                title=t.title,
                indicator_id=t.indicator_id,
                unit=t.unit,
                direction=t.direction,
                baseline=t.baseline,
                threshold=t.threshold,
                target=t.target,
                stretch=t.stretch,
                weight=t.weight,
            )
            for g in goals
            for i, t in enumerate(tkrs)
        ],
        batch_size=5000,
    )
    audit.record_many(
        actor,
        [
            audit.AuditEntry(
                action="goals.goal.assign",
                object_type="goals.goal",
                object_id=str(g.pk),
                object_label=g.title[:255],
                changes={"template": [None, template.pk], "person": [None, g.person_id]},
                scope_path=path_of[g.person_id or 0],
            )
            for g in goals
        ],
    )
    audit.record(
        actor,
        "goals.template.assign",
        template,
        {
            "period": [None, period.key],
            "created": [0, len(goals)],
            "skipped": [0, len(people) - len(todo)],
        },
    )
    ids = [g.pk for g in goals]
    progress.recompute_goals(ids)
    return AssignmentResult(created=len(goals), skipped=len(people) - len(todo), goal_ids=ids)
