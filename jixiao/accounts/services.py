"""Writes for accounts: API tokens and passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.accounts.models import ApiToken, User
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError, validation_failed

TOKEN_PREFIX = "jx_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic(durable=True)
def api_token_create(*, actor: Actor, user: User, name: str) -> IssuedToken:
    name = name.strip()
    if not name:
        raise validation_failed([FieldError("name", "required", _("Give the token a name."))])
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=hash_token(secret)
    )
    audit.record(actor, "accounts.token.create", token, {"name": [None, token.name]})
    return IssuedToken(token=token, secret=secret)


@transaction.atomic(durable=True)
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit.record(actor, "accounts.token.revoke", token, {"revoked": [False, True]})


def user_for_token(secret: str) -> User | None:
    """The active user behind a token, or None. Marks the token used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic(durable=True)
def user_set_password(
    *, actor: Actor, user: User, old_password: str | None, new_password: str
) -> None:
    """Change a password; the old one is required unless an administrator resets it."""
    if old_password is not None and not user.check_password(old_password):
        raise validation_failed(
            [
                FieldError(
                    "old_password", "wrong_password", _("The current password is not correct.")
                )
            ]
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise validation_failed(
            [FieldError("new_password1", "weak_password", str(m)) for m in exc.messages]
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor, "accounts.user.set_password", user, {"password": ["***", "***"]})


def user_create(*, username: str, password: str | None, display_name: str = "") -> User:
    """Create a sign-in identity (used by org services and the demo); no transaction of its own."""
    if User.objects.filter(username=username).exists():
        raise DomainError("duplicate_username", _("This username is taken."), field="username")
    user = User(username=username, display_name=display_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user
