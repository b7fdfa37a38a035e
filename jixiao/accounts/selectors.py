"""Reads for accounts: a user's own API tokens, and free usernames."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import F, QuerySet
from django.http import Http404

from jixiao.accounts.models import ApiToken, User


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens, active first, newest first. Nobody sees another user's tokens."""
    if user is None or not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-id"
    )


def get_api_token_for_user(user: Any, pk: int) -> ApiToken:
    """One of the user's own tokens; any other token is 404."""
    token = api_tokens_of(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


def suggest_username(base: str) -> str:
    """A free username from `base` (e.g. an employee number): lowercased, characters a
    username may not hold dropped, and a number added when it is taken."""
    stem = re.sub(r"[^\w.@+-]", "", base.strip().lower())[:140] or "user"
    taken = {
        u.lower()
        for u in User.objects.filter(username__istartswith=stem).values_list("username", flat=True)
    }
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"
