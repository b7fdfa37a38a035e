"""The API of a person's sign-in account: read it, open it, reset its password, disable, enable.

Same access as the person page's account card: an outsider gets 404, a reader 403, and a
performance admin only within their manage scope. A generated one-time password is returned in
the response that created it and never again.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.accounts.selectors import suggest_username
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.errors import DomainError
from jixiao.org import services_accounts
from jixiao.org.access import scope_for
from jixiao.org.models import Person
from jixiao.org.schemas import InputSchema, ReasonIn
from jixiao.org.selectors import get_person_for_user

router = Router(tags=["accounts"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


class AccountCreateIn(InputSchema):
    username: str | None = Field(
        None, max_length=150, description="Left out: the employee number, lowercased."
    )
    password: str | None = Field(
        None,
        description=(
            "An initial password (checked by the password rules). Left out: a one-time "
            "password is generated and returned once. Either way the person must change it "
            "at first sign-in."
        ),
    )
    reason: str = Field("", description="Why; kept in the audit trail.")


class AccountOut(Schema):
    person_id: int
    user_id: int
    username: str
    is_active: bool = Field(description="False: the account is disabled and cannot sign in.")
    must_change_password: bool
    last_login: datetime.datetime | None
    date_joined: datetime.datetime

    @classmethod
    def fields_of(cls, person: Person, user: User) -> dict[str, Any]:
        return {
            "person_id": person.pk,
            "user_id": user.pk,
            "username": user.get_username(),
            "is_active": user.is_active,
            "must_change_password": user.must_change_password,
            "last_login": user.last_login,
            "date_joined": user.date_joined,
        }

    @classmethod
    def of(cls, person: Person, user: User) -> AccountOut:
        return cls(**cls.fields_of(person, user))


class IssuedAccountOut(AccountOut):
    password: str | None = Field(
        description="The generated one-time password, in this response only; "
        "null when you sent the password."
    )


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _managed_person(user: User, person_id: int) -> Person:
    return get_person_for_user(user, person_id, write=True)


def _account_out(person_id: int) -> AccountOut:
    person = Person.objects.select_related("user").get(pk=person_id)
    assert person.user is not None
    return AccountOut.of(person, person.user)


@router.get(
    "/org/people/{person_id}/account",
    response={200: AccountOut, **ERROR_RESPONSES},
    summary="A person's sign-in account",
)
def account_detail(request: HttpRequest, person_id: int) -> AccountOut:
    """404 with code `no_account` when the person has none."""
    person = _managed_person(api_user(request), person_id)
    if person.user is None:
        raise DomainError("no_account", _("This person has no sign-in account."), status=404)
    return AccountOut.of(person, person.user)


@router.post(
    "/org/people/{person_id}/account",
    response={201: IssuedAccountOut, **WRITE_RESPONSES},
    summary="Open a sign-in account for a person",
)
def account_create(
    request: HttpRequest, person_id: int, payload: AccountCreateIn
) -> Status[IssuedAccountOut]:
    """Refused with 409 `account_exists` when the person has one, 400 `validation_failed`
    for a taken or malformed username or a weak password."""
    user = api_user(request)
    person = _managed_person(user, person_id)
    username = payload.username
    if username is None and person.user_id is None:
        username = suggest_username(person.employee_no)
    issued = services_accounts.user_create_for_person(
        actor=_actor(request, user),
        scope=scope_for(user),
        person_id=person.pk,
        username=username or "",
        password=payload.password,
        reason=payload.reason,
    )
    return Status(
        201,
        IssuedAccountOut(
            **AccountOut.fields_of(person, issued.user),
            password=issued.password,
        ),
    )


@router.post(
    "/org/people/{person_id}/account/reset-password",
    response={200: IssuedAccountOut, **WRITE_RESPONSES},
    summary="Reset a person's password to a new one-time password",
)
def account_reset_password(
    request: HttpRequest, person_id: int, payload: ReasonIn | None = None
) -> IssuedAccountOut:
    """The person's sessions end and they must change the password at next sign-in."""
    user = api_user(request)
    person = _managed_person(user, person_id)
    issued = services_accounts.user_reset_password(
        actor=_actor(request, user),
        scope=scope_for(user),
        person_id=person.pk,
        reason=payload.reason if payload else "",
    )
    return IssuedAccountOut(
        **AccountOut.fields_of(person, issued.user),
        password=issued.password,
    )


@router.post(
    "/org/people/{person_id}/account/disable",
    response={200: AccountOut, **WRITE_RESPONSES},
    summary="Disable a person's sign-in",
)
def account_disable(
    request: HttpRequest, person_id: int, payload: ReasonIn | None = None
) -> AccountOut:
    """Its sessions and API tokens stop working at once; roles and history stay."""
    user = api_user(request)
    person = _managed_person(user, person_id)
    services_accounts.user_disable(
        actor=_actor(request, user),
        scope=scope_for(user),
        person_id=person.pk,
        reason=payload.reason if payload else "",
    )
    return _account_out(person.pk)


@router.post(
    "/org/people/{person_id}/account/enable",
    response={200: AccountOut, **WRITE_RESPONSES},
    summary="Enable a person's sign-in again",
)
def account_enable(
    request: HttpRequest, person_id: int, payload: ReasonIn | None = None
) -> AccountOut:
    user = api_user(request)
    person = _managed_person(user, person_id)
    services_accounts.user_enable(
        actor=_actor(request, user),
        scope=scope_for(user),
        person_id=person.pk,
        reason=payload.reason if payload else "",
    )
    return _account_out(person.pk)
