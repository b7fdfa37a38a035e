"""Check-ins on goals (绩效沟通): services and selectors.

A check-in reports the values of the goal's manual key results, an overall percent (the
goal's own progress when no key result is measurable), a confidence from 0 to 10 and three
short texts. It changes what the goal will be scored on, so it is one durable transaction
with an audit record of the values before and after, followed by the roll-up of the goal and
everything above it.

Two planners of a department goal may check in at once: the form carries the id of the
newest check-in its author saw, and the write is a compare-and-set on the goal's
`last_checkin_at`, so the second one is told instead of silently overwriting the values.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import bulk_update_rows
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.goals import progress
from jixiao.goals.models import (
    CheckIn,
    CheckInComment,
    CheckInValue,
    Goal,
    GoalStatus,
    KeyResult,
    KeyResultSource,
)
from jixiao.goals.permissions import can_check_in, can_comment_on_checkin, planning_scope_for
from jixiao.goals.selectors import get_goal_for_user
from jixiao.org.models import Person

MAX_TEXT = 5000
MAX_COMMENT = 2000
MAX_NUMBER = Decimal("1e14")
HISTORY_LIMIT = 100


# ---------------------------------------------------------------- input


@dataclass
class CheckInData:
    """What a check-in reports. `values` maps key-result ids to their new value (a value
    left out, or None, leaves the key result as it is)."""

    confidence: int | None
    values: Mapping[int, Decimal | None] = field(default_factory=dict)
    percent: int | None = None
    went_well: str = ""
    blocked: str = ""
    next_steps: str = ""
    # The newest check-in the author saw (0 when there was none); None skips the check.
    expected_last_checkin_id: int | None = None


def parse_decimal(raw: Any) -> Decimal | None:
    """A number typed or sent as text or a number; None when blank; raises ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(str(raw)) from exc
    if not value.is_finite():
        raise ValueError(str(raw))
    return value


def _validate(data: CheckInData, krs: Mapping[int, KeyResult]) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.confidence is None:
        errors.append(
            FieldError("confidence", "required", _("Say how confident you are, from 0 to 10."))
        )
    elif not 0 <= data.confidence <= 10:
        errors.append(
            FieldError(
                "confidence", "out_of_range", _("Confidence is a whole number from 0 to 10.")
            )
        )
    if data.percent is not None and not 0 <= data.percent <= 100:
        errors.append(
            FieldError("percent", "out_of_range", _("The percent complete is from 0 to 100."))
        )
    for name, text in (
        ("went_well", data.went_well),
        ("blocked", data.blocked),
        ("next_steps", data.next_steps),
    ):
        if len(text) > MAX_TEXT:
            errors.append(
                FieldError(
                    name,
                    "too_long",
                    _("At most %(n)d characters.") % {"n": MAX_TEXT},
                )
            )
    for kr_id, value in data.values.items():
        name = f"kr_{kr_id}"
        kr = krs.get(kr_id)
        if kr is None:
            errors.append(
                FieldError(name, "unknown_key_result", _("This key result is not on this goal."))
            )
            continue
        if value is None:
            continue
        if kr.source != KeyResultSource.MANUAL:
            errors.append(
                FieldError(
                    name,
                    "automatic_key_result",
                    _("This key result takes its values from indicator actuals."),
                )
            )
        elif abs(value) >= MAX_NUMBER:
            errors.append(FieldError(name, "too_large", _("This number is too large.")))
    return errors


def checkin_conflict() -> DomainError:
    return DomainError(
        "checkin_conflict",
        _(
            "Someone else checked in on this goal after you opened the form. Your entries "
            "are kept: look at their check-in, then send yours again."
        ),
        status=409,
    )


def _author_label(user: Any, actor: Actor) -> str:
    person_id = planning_scope_for(user).person_id
    if person_id is not None:
        name = Person.objects.filter(pk=person_id).values_list("name", flat=True).first()
        if name:
            return str(name)[:150]
    return actor.label[:150]


def _plain_number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# ---------------------------------------------------------------- services


@transaction.atomic(durable=True)
def checkin_create(*, actor: Actor, user: Any, goal_id: int, data: CheckInData) -> CheckIn:
    """Record a check-in, update the key results and the goal, and roll progress up."""
    goal = get_goal_for_user(user, goal_id)
    if not can_check_in(user, goal):
        if goal.status == GoalStatus.CLOSED:
            raise DomainError(
                "goal_closed", _("This goal is closed: it takes no more check-ins."), status=409
            )
        raise forbidden()
    krs = {kr.pk: kr for kr in goal.key_results.all()}
    errors = _validate(data, krs)
    if errors:
        raise validation_failed(errors)
    assert data.confidence is not None
    if data.expected_last_checkin_id is not None:
        latest = goal.checkins.order_by("-at", "-id").values_list("id", flat=True).first()
        if (latest or 0) != data.expected_last_checkin_id:
            raise checkin_conflict()

    now = timezone.now()
    before_reported = goal.reported_progress
    fields: dict[str, Any] = {"last_checkin_at": now}
    if data.percent is not None:
        fields["reported_progress"] = data.percent / 100
    guard = Goal.objects.filter(pk=goal.pk).exclude(status=GoalStatus.CLOSED)
    if goal.last_checkin_at is None:
        guard = guard.filter(last_checkin_at__isnull=True)
    else:
        guard = guard.filter(last_checkin_at=goal.last_checkin_at)
    if not guard.update(**fields):
        raise checkin_conflict()

    checkin = CheckIn.objects.create(
        goal=goal,
        author_id=actor.user_id,
        author_label=_author_label(user, actor),
        percent=data.percent,
        confidence=data.confidence,
        went_well=data.went_well.strip(),
        blocked=data.blocked.strip(),
        next_steps=data.next_steps.strip(),
    )
    given = {k: v for k, v in data.values.items() if v is not None}
    CheckInValue.objects.bulk_create(
        [CheckInValue(checkin=checkin, key_result_id=k, value=v) for k, v in sorted(given.items())]
    )
    changes: audit.Changes = {
        "checkin": [None, checkin.pk],
        "confidence": [None, data.confidence],
    }
    if data.percent is not None:
        changes["percent"] = [None, data.percent]
        if before_reported != fields["reported_progress"]:
            changes["reported_progress"] = [before_reported, fields["reported_progress"]]
    updates: list[KeyResult] = []
    for kr_id, value in sorted(given.items()):
        kr = krs[kr_id]
        if kr.current is None or kr.current != value:
            changes[f"key_result:{kr_id}"] = [_plain_number(kr.current), _plain_number(value)]
        updates.append(KeyResult(pk=kr_id, current=value, current_at=now))
    bulk_update_rows(KeyResult, updates, ["current", "current_at"])

    progress.recompute_goals([goal.pk])
    after = Goal.objects.filter(pk=goal.pk).values_list("progress", flat=True).first()
    if after != goal.progress:
        changes["progress"] = [goal.progress, after]
    audit.record(actor, "goals.checkin.create", goal, changes, scope_path=goal.department.path)
    return checkin


@transaction.atomic(durable=True)
def checkin_comment_add(*, actor: Actor, user: Any, checkin_id: int, text: str) -> CheckInComment:
    """The superior's (or a planner's) comment on a check-in."""
    checkin = get_checkin_for_user(user, checkin_id)
    goal = checkin.goal
    if not can_comment_on_checkin(user, goal):
        raise forbidden()
    text = text.strip()
    if not text:
        raise validation_failed([FieldError("text", "required", _("Write a comment."))])
    if len(text) > MAX_COMMENT:
        raise validation_failed(
            [FieldError("text", "too_long", _("At most %(n)d characters.") % {"n": MAX_COMMENT})]
        )
    comment = CheckInComment.objects.create(
        checkin=checkin,
        author_id=actor.user_id,
        author_label=_author_label(user, actor),
        text=text,
    )
    audit.record(
        actor,
        "goals.checkin.comment",
        goal,
        {"checkin": [None, checkin.pk], "comment": [None, text]},
        scope_path=goal.department.path,
    )
    return comment


# ---------------------------------------------------------------- selectors


def get_checkin_for_user(user: Any, checkin_id: int) -> CheckIn:
    """The check-in if its goal is visible to the user (else 404)."""
    goal_id = CheckIn.objects.filter(pk=checkin_id).values_list("goal_id", flat=True).first()
    if goal_id is None:
        raise Http404
    goal = get_goal_for_user(user, goal_id)
    checkin = CheckIn.objects.get(pk=checkin_id)
    checkin.goal = goal
    return checkin


def latest_checkin_id(goal: Goal) -> int:
    found = goal.checkins.order_by("-at", "-id").values_list("id", flat=True).first()
    return int(found or 0)


@dataclass(frozen=True)
class ValueRow:
    key_result_id: int
    title: str
    unit: str
    value: Decimal

    @property
    def text(self) -> str:
        return _plain_number(self.value) or ""


@dataclass(frozen=True)
class CheckInRow:
    checkin: CheckIn
    values: list[ValueRow]
    comments: list[CheckInComment]


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    confidence: int
    at: datetime.datetime


@dataclass
class CheckInHistory:
    """A goal's check-ins, newest first, with what the history shows around them."""

    rows: list[CheckInRow]
    # Oldest first, for the confidence sparkline (width 200, height 40).
    trend: list[TrendPoint]
    latest_id: int

    def __iter__(self) -> Iterator[CheckInRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def trend_points(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.trend)


TREND_WIDTH = 200.0
TREND_HEIGHT = 40.0


def _trend(rows: list[CheckInRow]) -> list[TrendPoint]:
    ordered = list(reversed(rows))
    n = len(ordered)
    step = TREND_WIDTH / (n - 1) if n > 1 else 0.0
    return [
        TrendPoint(
            x=i * step if n > 1 else TREND_WIDTH / 2,
            y=TREND_HEIGHT - 2 - (TREND_HEIGHT - 4) * r.checkin.confidence / 10,
            confidence=r.checkin.confidence,
            at=r.checkin.at,
        )
        for i, r in enumerate(ordered)
    ]


def goal_checkins_for_display(goal: Goal, limit: int = HISTORY_LIMIT) -> CheckInHistory:
    """The newest check-ins of a goal with their values (named by key result) and comments.

    Three queries whatever the number of check-ins, values and comments.
    """
    checkins = list(
        goal.checkins.prefetch_related(
            Prefetch(
                "values",
                queryset=CheckInValue.objects.select_related("key_result").order_by(
                    "key_result__position", "key_result_id"
                ),
            ),
            Prefetch("comments", queryset=CheckInComment.objects.order_by("at", "id")),
        ).order_by("-at", "-id")[:limit]
    )
    rows = [
        CheckInRow(
            checkin=c,
            values=[
                ValueRow(v.key_result_id, v.key_result.title, v.key_result.unit, v.value)
                for v in c.values.all()
            ],
            comments=list(c.comments.all()),
        )
        for c in checkins
    ]
    return CheckInHistory(rows=rows, trend=_trend(rows), latest_id=checkins[0].pk if rows else 0)


def manual_key_results(goal: Goal) -> list[KeyResult]:
    """The key results a check-in reports on (the others come from indicator actuals)."""
    return list(goal.key_results.filter(source=KeyResultSource.MANUAL).order_by("position", "id"))
