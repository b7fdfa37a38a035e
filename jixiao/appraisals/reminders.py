"""Rater reminders: telling raters who still have open assignments that rating closes soon.

Scheduled (the task and `manage.py send_rater_reminders`, daily from cron): for each cycle in
its rating phase whose rating deadline is at most REMIND_DAYS away, every rater with an open or
draft assignment gets one notification, keyed by the cycle and the deadline, so running again
the same day, or every day until the deadline, sends nothing new (a moved deadline reminds
again). The office may also send reminders now from the cycle page: keyed by the cycle and the
day, so pressing the button twice the same day sends nothing new.

Only named raters are reminded (one-time codes belong to nobody); nothing in the text says
whom they rate.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from jixiao.appraisals.models import Assignment, AssignmentStatus, Cycle, CyclePhase
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, forbidden, not_found
from jixiao.core.notifications import NotificationEntry, notify_many

REMIND_DAYS = 3
OPEN_STATUSES = (AssignmentStatus.OPEN, AssignmentStatus.DRAFT)
REMIND_PHASES = (CyclePhase.SELF_ASSESSMENT, CyclePhase.RATING)
RATER_PAGES = ("appraisals:rate_list",)


def rater_page_url() -> str:
    """The rater's own page (another part of the app); the app's root when it has none."""
    for name in RATER_PAGES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/appraisals/"


def rating_deadline(cycle: Cycle) -> datetime.date | None:
    value = (cycle.deadlines or {}).get(CyclePhase.RATING)
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def open_raters(cycle_ids: list[int]) -> list[tuple[int, int, int]]:
    """(cycle, user, open assignments) of every named rater with a sign-in account who still
    has something to rate: one grouped query for all the cycles."""
    return list(
        Assignment.objects.filter(
            cycle_id__in=cycle_ids,
            status__in=OPEN_STATUSES,
            rater__isnull=False,
            rater__user__isnull=False,
            rater__is_active=True,
        )
        .values_list("cycle_id", "rater__user_id")
        .annotate(n=Count("id"))
        .values_list("cycle_id", "rater__user_id", "n")
        .order_by()
    )


def reminder_title(cycle: Cycle, count: int, deadline: datetime.date | None) -> str:
    if deadline is None:
        return _("Please finish your ratings in “%(cycle)s”: %(n)s still open.") % {
            "cycle": cycle.name,
            "n": count,
        }
    return _("Please finish your ratings in “%(cycle)s” by %(date)s: %(n)s still open.") % {
        "cycle": cycle.name,
        "date": deadline.isoformat(),
        "n": count,
    }


def _entries(cycles: dict[int, Cycle], key_of: dict[int, str]) -> list[NotificationEntry]:
    url = rater_page_url()
    with translation.override(settings.LANGUAGE_CODE):
        return [
            NotificationEntry(
                user_id=user_id,
                key=key_of[cycle_id],
                title=reminder_title(cycles[cycle_id], n, rating_deadline(cycles[cycle_id])),
                url=url,
            )
            for cycle_id, user_id, n in open_raters(list(cycles))
        ]


def due_cycles(today: datetime.date) -> list[Cycle]:
    """Cycles in their rating phase whose rating deadline is today or within REMIND_DAYS."""
    out = []
    for cycle in Cycle.objects.filter(phase=CyclePhase.RATING).order_by("id"):
        deadline = rating_deadline(cycle)
        if deadline is not None and 0 <= (deadline - today).days <= REMIND_DAYS:
            out.append(cycle)
    return out


@transaction.atomic(durable=True)
def rater_reminders_send(*, today: datetime.date) -> int:
    """The scheduled reminders; returns how many notifications are new (idempotent)."""
    cycles = {c.pk: c for c in due_cycles(today)}
    if not cycles:
        return 0
    keys = {pk: f"appraisals.rating_due:{pk}:{rating_deadline(c)}" for pk, c in cycles.items()}
    return notify_many(_entries(cycles, keys))


@transaction.atomic(durable=True)
def rater_reminders_send_now(
    *, actor: Actor, user: Any, cycle_id: int, today: datetime.date
) -> int:
    """The office's "send reminders now": every rater of the cycle with open assignments,
    once a day at most. Returns how many notifications are new."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise not_found()
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    if cycle.phase not in REMIND_PHASES:
        raise DomainError(
            "not_rating", _("Reminders go out while the cycle is being rated."), status=409
        )
    sent = notify_many(
        _entries({cycle.pk: cycle}, {cycle.pk: f"appraisals.rating_now:{cycle.pk}:{today}"})
    )
    audit.record(actor, "appraisals.cycle.remind", cycle, {"reminders": [0, sent]})
    return sent
