"""Writes for accounts: API tokens, passwords and the accounts administrators issue."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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
    """Change a password; the old one is required unless an administrator resets it.

    A user changing their own password also clears `must_change_password`, and may not keep
    the one-time password they were given."""
    if old_password is not None and not user.check_password(old_password):
        raise validation_failed(
            [
                FieldError(
                    "old_password", "wrong_password", _("The current password is not correct.")
                )
            ]
        )
    if old_password is not None and new_password == old_password:
        raise validation_failed(
            [
                FieldError(
                    "new_password1",
                    "same_password",
                    _("Choose a password different from the current one."),
                )
            ]
        )
    errors = password_errors(new_password, user, field="new_password1")
    if errors:
        raise validation_failed(errors)
    changes: audit.Changes = {"password": ["***", "***"]}
    fields = ["password"]
    if old_password is not None and user.must_change_password:
        user.must_change_password = False
        fields.append("must_change_password")
        changes["must_change_password"] = [True, False]
    user.set_password(new_password)
    user.save(update_fields=fields)
    audit.record(actor, "accounts.user.set_password", user, changes)


# ---------------------------------------------------------------- accounts issued by an admin

# No 0/O, 1/l/I: a one-time password is often read out or copied from a screen.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_PASSWORD_LENGTH = 14


def password_errors(password: str, user: User, *, field: str) -> list[FieldError]:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS) as field errors."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [FieldError(field, "weak_password", str(m)) for m in exc.messages]
    return []


def generate_password(user: User | None = None) -> str:
    """A random password that passes the validators: letters of both cases and digits."""
    while True:
        candidate = "".join(
            secrets.choice(_PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH)
        )
        if not (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            continue
        if user is None or not password_errors(candidate, user, field="password"):
            return candidate


def _username_errors(username: str, *, exclude_pk: int | None = None) -> list[FieldError]:
    if not username:
        return [FieldError("username", "required", _("Enter a username."))]
    max_length = User._meta.get_field("username").max_length or 150
    if len(username) > max_length:
        return [
            FieldError(
                "username",
                "invalid_username",
                _("A username has at most %(n)s characters.") % {"n": max_length},
            )
        ]
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return [
            FieldError(
                "username",
                "invalid_username",
                _("A username may contain only letters, digits and the characters @ . + - _."),
            )
        ]
    # Case-insensitive: "Zhang" and "zhang" would be two accounts nobody can tell apart.
    taken = User.objects.filter(username__iexact=username)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        return [FieldError("username", "duplicate_username", _("This username is taken."))]
    return []


def _duplicate_username() -> DomainError:
    return validation_failed(
        [FieldError("username", "duplicate_username", _("This username is taken."))]
    )


def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    must_change_password: bool = False,
) -> User:
    """Create a sign-in identity; no transaction of its own (org's account service calls it
    inside its own). A password of None leaves the account unusable until one is issued.
    Refuses a taken or malformed username and a password the validators reject, all at once."""
    username = username.strip()
    errors = _username_errors(username)
    user = User(
        username=username,
        display_name=display_name[:100],
        email=email,
        must_change_password=must_change_password,
    )
    if password:
        errors += password_errors(password, user, field="password")
    if errors:
        raise validation_failed(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        # A savepoint, so that losing a race for the username leaves the caller's
        # transaction usable and the refusal reads like the check above.
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise _duplicate_username() from exc
    return user


def user_issue_password(*, user: User) -> str:
    """Give the user a new generated one-time password, to be changed at next sign-in.
    No transaction or audit of its own: the caller's service records why it was issued."""
    password = generate_password(user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return password


def user_lift_lockout(username: str) -> None:
    """Forget failed sign-ins of this username (e.g. after an administrator's reset)."""
    from axes.utils import reset

    reset(username=username)
