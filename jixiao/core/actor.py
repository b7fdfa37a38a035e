"""Who is acting, from where and through which channel: the context every audited write needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.http import HttpRequest

Source = Literal["web", "api", "import", "cli", "task", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a write, passed explicitly to every service."""

    user_id: int | None
    label: str
    source: Source
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "system", source: Source = "system") -> Actor:
        return cls(user_id=None, label=label, source=source)

    @classmethod
    def for_user(cls, user: Any, *, source: Source, ip: str | None = None) -> Actor:
        return cls(user_id=user.pk, label=user.get_username(), source=source, ip=ip)


def client_ip(request: HttpRequest) -> str | None:
    """The client address; REMOTE_ADDR only, since proxies are configured per deployment."""
    return request.META.get("REMOTE_ADDR") or None


def actor_from_request(request: HttpRequest, source: Source = "web") -> Actor:
    user = request.user
    if not user.is_authenticated:
        return Actor(user_id=None, label="anonymous", source=source, ip=client_ip(request))
    return Actor.for_user(user, source=source, ip=client_ip(request))
