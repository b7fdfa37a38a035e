"""Notifications: short messages for one user, with a link, read or unread.

Writers name each notification with a `key`; the same (user, key) is created once, so a task
that runs again (a daily reminder) or two writers racing never send a duplicate. Knows no
domain: callers pass the text and the link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jixiao.core.models import Notification

BATCH = 2000


@dataclass(frozen=True, slots=True)
class NotificationEntry:
    user_id: int
    key: str
    title: str
    url: str = ""


def notify_many(entries: Iterable[NotificationEntry]) -> int:
    """Create the notifications whose (user, key) does not exist yet; return how many.

    One query to find the keys already sent and one bulk insert per batch, whatever the
    number of entries. A concurrent writer that wins a race is absorbed by the unique
    constraint (`ignore_conflicts`).
    """
    wanted: dict[tuple[int, str], NotificationEntry] = {}
    for e in entries:
        wanted.setdefault((e.user_id, e.key[:200]), e)
    if not wanted:
        return 0
    keys = sorted({k for _u, k in wanted})
    users = sorted({u for u, _k in wanted})
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(keys), BATCH):
        existing.update(
            Notification.objects.filter(
                key__in=keys[start : start + BATCH], user_id__in=users
            ).values_list("user_id", "key")
        )
    rows = [
        Notification(user_id=u, key=k, title=e.title[:255], url=e.url[:500])
        for (u, k), e in wanted.items()
        if (u, k) not in existing
    ]
    Notification.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def notifications_of(user: Any) -> QuerySet[Notification]:
    """All of a user's notifications, newest first (nobody else's, whoever asks)."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def unread_for(user: Any, limit: int = 10) -> list[Notification]:
    return list(notifications_of(user).filter(read_at__isnull=True)[:limit])


def unread_count(user: Any) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


@transaction.atomic(durable=True)
def mark_read(*, user: Any, ids: Sequence[int] | None = None) -> int:
    """Mark the user's own notifications read: these ids, or all when `ids` is None."""
    qs = notifications_of(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
