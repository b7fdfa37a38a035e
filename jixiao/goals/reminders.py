"""Check-in reminders: which goals are due for a check-in, and telling the people who owe it.

A check-in is due when the goal is approved or locked, its period has begun, its cadence is
not "none", and its last check-in (or, when it has none, its approval or lock) is at least one
cadence old (models.CADENCE_DAYS). The due date is that check-in's date plus the cadence, so a
reminder sent for it has one key per goal and due date: running the task again the same day,
or every day until someone checks in, sends nothing new.

Who owes it: the person for a personal goal; for a unit or department goal, the users holding
a department-head or unit-leader grant on that very department.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jixiao.core.notifications import NotificationEntry, notify_many
from jixiao.goals.models import CADENCE_DAYS, Goal, GoalLevel, GoalStatus
from jixiao.goals.permissions import planning_scope_for
from jixiao.org.models import Role, RoleGrant

DUE_STATUSES = (GoalStatus.APPROVED, GoalStatus.LOCKED)
OWNER_ROLES = (Role.DEPARTMENT_HEAD, Role.UNIT_LEADER)


@dataclass(frozen=True, slots=True)
class DueCheckIn:
    goal_id: int
    title: str
    level: str
    period: str
    department_id: int
    person_id: int | None
    person_user_id: int | None
    cadence: str
    last_at: datetime.datetime | None
    due_on: datetime.date

    @property
    def is_first(self) -> bool:
        return self.last_at is None

    @property
    def url(self) -> str:
        return reverse("goals:checkin_new", args=[self.goal_id])

    def days_overdue(self, today: datetime.date) -> int:
        return (today - self.due_on).days

    @property
    def key(self) -> str:
        return f"goals.checkin_due:{self.goal_id}:{self.due_on.isoformat()}"


def _cutoff(today: datetime.date, days: int) -> datetime.datetime:
    """A reference moment before this one is at least `days` days old on `today` (local)."""
    day = today - datetime.timedelta(days=days - 1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _due_queryset(today: datetime.date) -> QuerySet[Goal]:
    overdue = Q(pk__in=[])
    for cadence, days in CADENCE_DAYS.items():
        overdue |= Q(checkin_cadence=cadence, reference_at__lt=_cutoff(today, days))
    return (
        Goal.objects.filter(status__in=DUE_STATUSES, period_start__lte=today)
        .annotate(
            reference_at=Coalesce(
                F("last_checkin_at"), F("approved_at"), F("locked_at"), F("created_at")
            )
        )
        .filter(overdue)
    )


def _rows(qs: QuerySet[Goal]) -> list[DueCheckIn]:
    out: list[DueCheckIn] = []
    # `reference_at` is annotated by _due_queryset, which the type checker cannot see.
    for row in qs.order_by("id").values_list(  # type: ignore[misc]
        "id",
        "title",
        "level",
        "period",
        "department_id",
        "person_id",
        "person__user_id",
        "checkin_cadence",
        "last_checkin_at",
        "reference_at",
    ):
        gid, title, level, period, dept, person, user, cadence, last, ref = row
        days = CADENCE_DAYS[cadence]
        due_on = timezone.localdate(ref) + datetime.timedelta(days=days)
        out.append(DueCheckIn(gid, title, level, period, dept, person, user, cadence, last, due_on))
    return out


def checkins_due(today: datetime.date) -> list[DueCheckIn]:
    """Every goal due for a check-in on `today`, in one query."""
    return _rows(_due_queryset(today))


def checkins_due_for(user: Any, today: datetime.date) -> list[DueCheckIn]:
    """The check-ins this user owes on `today` (their personal goals, and the goals of the
    departments they head or lead), oldest due first. Two queries."""
    if user is None or not user.is_authenticated:
        return []
    person_id = planning_scope_for(user).person_id
    departments = list(
        RoleGrant.objects.filter(
            user_id=user.pk, role__in=OWNER_ROLES, scope__isnull=False
        ).values_list("scope_id", flat=True)
    )
    q = Q(pk__in=[])
    if person_id is not None:
        q |= Q(level=GoalLevel.PERSON, person_id=person_id)
    if departments:
        q |= Q(level__in=[GoalLevel.UNIT, GoalLevel.DEPARTMENT], department_id__in=departments)
    rows = _rows(_due_queryset(today).filter(q))
    return sorted(rows, key=lambda r: (r.due_on, r.goal_id))


def _recipients(due: list[DueCheckIn]) -> dict[int, list[int]]:
    """goal id → user ids to remind (one query for all the department goals)."""
    out: dict[int, list[int]] = {}
    by_department: dict[int, list[int]] = defaultdict(list)
    for d in due:
        if d.level == GoalLevel.PERSON:
            out[d.goal_id] = [d.person_user_id] if d.person_user_id is not None else []
        else:
            by_department[d.department_id].append(d.goal_id)
    if by_department:
        heads: dict[int, set[int]] = defaultdict(set)
        for dept, user_id in RoleGrant.objects.filter(
            role__in=OWNER_ROLES, scope_id__in=list(by_department)
        ).values_list("scope_id", "user_id"):
            heads[dept].add(user_id)
        for dept, goal_ids in by_department.items():
            for gid in goal_ids:
                out[gid] = sorted(heads.get(dept, set()))
    return out


def reminder_title(d: DueCheckIn) -> str:
    if d.is_first:
        return _("A first check-in is due on “%(title)s” (%(period)s).") % {
            "title": d.title,
            "period": d.period,
        }
    return _("A check-in is due on “%(title)s” (%(period)s) since %(date)s.") % {
        "title": d.title,
        "period": d.period,
        "date": d.due_on.isoformat(),
    }


@transaction.atomic(durable=True)
def checkin_reminders_send(*, today: datetime.date) -> int:
    """Notify everyone who owes a check-in today; return how many notifications are new.

    Idempotent: a reminder's key is its goal and due date.
    """
    due = checkins_due(today)
    recipients = _recipients(due)
    with translation.override(settings.LANGUAGE_CODE):
        entries = [
            NotificationEntry(user_id=u, key=d.key, title=reminder_title(d), url=d.url)
            for d in due
            for u in recipients.get(d.goal_id, [])
        ]
    return notify_many(entries)
