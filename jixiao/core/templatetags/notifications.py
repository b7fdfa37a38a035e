"""The notifications badge of the shared layout: `{% load notifications %}{% notifications_menu %}`."""

from __future__ import annotations

from typing import Any

from django import template

from jixiao.core.notifications import unread_count, unread_for

register = template.Library()

MENU_ITEMS = 8


@register.inclusion_tag("core/_notifications_menu.html", takes_context=True)
def notifications_menu(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    items = unread_for(user, limit=MENU_ITEMS)
    count = len(items) if len(items) < MENU_ITEMS else unread_count(user)
    return {"show": True, "items": items, "count": count}
