"""Sign-in accounts for people: create, reset the password, disable and enable.

The account (accounts.User) knows nothing of the organization; who may manage it is decided
here, by the person it belongs to: a system admin, or a performance admin whose manage scope
covers the person's department. An account that holds roles beyond the actor's own scope (or
system admin) is left to someone who covers them, since resetting its password would hand
the actor those roles.

Passwords are never written to the audit trail: records show "***" in their place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from jixiao.accounts import services as accounts
from jixiao.accounts.models import User
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, concurrent_edit, forbidden
from jixiao.org.access import Scope
from jixiao.org.models import Person, Role, RoleGrant

MASKED = "***"


@dataclass(frozen=True)
class IssuedAccount:
    user: User
    # The generated one-time password: shown once to the administrator, never stored in
    # clear. None when the administrator typed the password.
    password: str | None


def no_account() -> DomainError:
    return DomainError("no_account", _("This person has no sign-in account."), status=409)


def _person_inactive() -> DomainError:
    return DomainError(
        "person_inactive",
        _("This person has left: their sign-in account cannot be opened or re-enabled."),
        status=409,
    )


def account_refusal(scope: Scope | None, person: Person, user: User) -> DomainError | None:
    """Why the actor may not reset, disable or enable this account (None when they may).

    The caller has already checked that the actor manages the person's department."""
    if scope is None:
        return None
    if scope.user_id is not None and user.pk == scope.user_id:
        return DomainError(
            "own_account",
            _(
                "This is your own account: change your password on your profile page; "
                "another administrator can disable it."
            ),
            status=403,
        )
    if scope.is_system_admin:
        return None
    grants = RoleGrant.objects.filter(user_id=user.pk).select_related("scope")
    beyond = user.is_superuser or any(
        g.role == Role.SYSTEM_ADMIN
        or g.scope is None
        or not scope.covers_path(g.scope.path, manage=True)
        for g in grants
    )
    if beyond:
        return DomainError(
            "account_beyond_scope",
            _("This account holds roles beyond your scope; a system administrator must manage it."),
            status=403,
        )
    return None


def _person_for_account(scope: Scope | None, person_id: int) -> Person:
    person = Person.objects.select_related("department", "user").get(pk=person_id)
    if scope is not None and not scope.covers_path(person.department.path, manage=True):
        raise forbidden()
    return person


def _account_of(scope: Scope | None, person: Person) -> User:
    user = person.user
    if user is None:
        raise no_account()
    refusal = account_refusal(scope, person, user)
    if refusal is not None:
        raise refusal
    return user


@transaction.atomic(durable=True)
def user_create_for_person(
    *,
    actor: Actor,
    scope: Scope | None,
    person_id: int,
    username: str,
    password: str | None,
    reason: str = "",
) -> IssuedAccount:
    """Open a sign-in account for a person. With password None a one-time password is
    generated (and returned once); either way the person must change it at first sign-in."""
    person = _person_for_account(scope, person_id)
    if person.user_id is not None:
        raise DomainError(
            "account_exists", _("This person already has a sign-in account."), status=409
        )
    if not person.is_active:
        raise _person_inactive()
    user = accounts.user_create(
        username=username,
        password=password,
        display_name=person.name,
        email=person.email,
        must_change_password=True,
    )
    generated = None
    if password is None:
        generated = accounts.user_issue_password(user=user)
    # Compare-and-set: two administrators opening an account at once get one account.
    if not Person.objects.filter(pk=person.pk, user__isnull=True).update(user=user):
        raise concurrent_edit()
    audit.record(
        actor,
        "accounts.user.create",
        user,
        {
            "username": [None, user.username],
            "person": [None, person.pk],
            "is_active": [None, True],
            "must_change_password": [None, True],
            "password": [None, MASKED],
        },
        reason,
        scope_path=person.department.path,
    )
    return IssuedAccount(user=user, password=generated)


@transaction.atomic(durable=True)
def user_reset_password(
    *, actor: Actor, scope: Scope | None, person_id: int, reason: str = ""
) -> IssuedAccount:
    """Replace the password with a generated one-time password (returned once). The person's
    sessions end (the password hash changed), a sign-in lockout of the username is lifted,
    and the person must choose a new password at next sign-in."""
    person = _person_for_account(scope, person_id)
    user = _account_of(scope, person)
    if not person.is_active:
        raise _person_inactive()
    was_forced = user.must_change_password
    password = accounts.user_issue_password(user=user)
    changes: audit.Changes = {"password": [MASKED, MASKED]}
    if not was_forced:
        changes["must_change_password"] = [False, True]
    audit.record(
        actor,
        "accounts.user.reset_password",
        user,
        changes,
        reason,
        scope_path=person.department.path,
    )
    username = user.username
    transaction.on_commit(lambda: accounts.user_lift_lockout(username))
    return IssuedAccount(user=user, password=password)


def _set_active(
    *, actor: Actor, scope: Scope | None, person_id: int, active: bool, reason: str
) -> User:
    person = _person_for_account(scope, person_id)
    user = _account_of(scope, person)
    if active and not person.is_active:
        raise _person_inactive()
    # Compare-and-set on the flag: doing what is already done changes and records nothing.
    if User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active):
        audit.record(
            actor,
            "accounts.user.enable" if active else "accounts.user.disable",
            user,
            {"is_active": [not active, active]},
            reason,
            scope_path=person.department.path,
        )
    user.is_active = active
    return user


@transaction.atomic(durable=True)
def user_disable(*, actor: Actor, scope: Scope | None, person_id: int, reason: str = "") -> User:
    """Stop the account from signing in: its sessions and API tokens stop working at once.
    Its roles and history stay, so enabling it again restores everything."""
    return _set_active(actor=actor, scope=scope, person_id=person_id, active=False, reason=reason)


@transaction.atomic(durable=True)
def user_enable(*, actor: Actor, scope: Scope | None, person_id: int, reason: str = "") -> User:
    return _set_active(actor=actor, scope=scope, person_id=person_id, active=True, reason=reason)
