"""The organization API: the caller, departments, posts, people and the audit trail.

Thin, like the pages: access helper → schema → one service → serialize. Reads go through the
selectors (so the API sees exactly what the pages show); writes go through the services with
the caller's scope and an "api" actor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import PageParams, paginate
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.core.selectors import AuditFilter, audit_records_filtered
from jixiao.org import services
from jixiao.org.access import scope_for
from jixiao.org.audit_selectors import audit_records_visible_to
from jixiao.org.models import Department, PersonStatusChange, Post, RoleGrant
from jixiao.org.schemas import (
    AuditFilters,
    AuditPage,
    AuditRecordOut,
    DepartmentFilters,
    DepartmentIn,
    DepartmentOut,
    DepartmentPage,
    DepartmentPatch,
    DepartmentRef,
    MeOut,
    PeopleFilters,
    PersonDetailOut,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    PostFilters,
    PostIn,
    PostOut,
    PostPage,
    PostPatch,
    ReasonIn,
    RoleOut,
    StatusChangeIn,
    UserOut,
)
from jixiao.org.selectors import (
    PeopleFilter,
    PostFilter,
    departments_visible_to,
    get_department_for_user,
    get_person_for_user,
    get_post_for_user,
    people_filtered,
    people_visible_to,
    posts_filtered,
    posts_visible_to,
)

router = Router()

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}

# Services name reference fields after the relation; the API names them after the id it takes.
API_FIELD_NAMES = {
    "parent": "parent_id",
    "department": "department_id",
    "post": "post_id",
    "superior": "superior_id",
}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _plain(value: Any) -> Any:
    """Enum members from the schemas as the plain values the services store."""
    return value.value if isinstance(value, Enum) else value


def _active_flag(active: bool | None) -> str:
    return "" if active is None else ("1" if active else "0")


@contextmanager
def _api_field_names() -> Iterator[None]:
    """Rename service field names (department) to the API's (department_id) in refusals."""
    try:
        yield
    except DomainError as exc:
        if exc.field is not None:
            exc.field = API_FIELD_NAMES.get(exc.field, exc.field)
        exc.errors = [
            FieldError(API_FIELD_NAMES.get(e.field or "", e.field), e.code, e.message)
            for e in exc.errors
        ]
        raise


def _require_manager(user: User) -> None:
    """Creating needs a management role somewhere, as on the pages: anyone else gets 403
    before the payload is checked, so that validation (duplicate codes, unknown references)
    never answers a caller who may not create anything."""
    if not scope_for(user).can_manage_any:
        raise forbidden()


def _check_references(user: User, refs: list[tuple[str, QuerySet[Any], int | None, str]]) -> None:
    """A referenced record outside the caller's scope is reported as unknown, like a missing
    one, so that the API never confirms what the caller may not see."""
    errors: list[FieldError] = []
    for fld, qs, pk, message in refs:
        if pk is not None and not qs.filter(pk=pk).exists():
            errors.append(FieldError(fld, f"unknown_{fld.removesuffix('_id')}", message))
    if errors:
        raise validation_failed(errors)


def _unknown_department() -> str:
    return _("The department does not exist.")


# ---------------------------------------------------------------- me


def _roles_of(user: User) -> list[RoleOut]:
    grants = (
        RoleGrant.objects.filter(user_id=user.pk)
        .select_related("scope")
        .order_by("role", "scope__path", "pk")
    )
    return [
        RoleOut(role=g.role, role_label=str(g.get_role_display()), scope=DepartmentRef.of(g.scope))
        for g in grants
    ]


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, tags=["me"], summary="The caller")
def me(request: HttpRequest) -> MeOut:
    """The signed-in user, their person record (if any) and their roles with scopes."""
    user = api_user(request)
    scope = scope_for(user)
    person = people_visible_to(user).filter(user_id=user.pk).first()
    return MeOut(
        user=UserOut(id=user.pk, username=user.get_username(), display_name=user.display_name),
        person=PersonOut.of(person) if person else None,
        roles=_roles_of(user),
        is_system_admin=scope.is_system_admin,
        can_manage=scope.can_manage_any,
        can_view_audit=scope.can_view_audit,
    )


# ---------------------------------------------------------------- departments


def _department_out(user: User, obj: Department) -> DepartmentOut:
    fresh = departments_visible_to(user).select_related("parent").filter(pk=obj.pk).first()
    return DepartmentOut.of(fresh or obj)


@router.get(
    "/org/departments",
    response={200: DepartmentPage, **ERROR_RESPONSES},
    tags=["departments"],
    summary="List departments",
)
def department_list(
    request: HttpRequest, filters: Query[DepartmentFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The departments in the caller's scope, in tree order."""
    user = api_user(request)
    qs = departments_visible_to(user).select_related("parent")
    if filters.q.strip():
        term = filters.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    if filters.parent_id is not None:
        qs = qs.filter(parent_id=filters.parent_id)
    if filters.kind is not None:
        qs = qs.filter(kind=_plain(filters.kind))
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return paginate(qs.order_by("path", "pk"), paging, DepartmentOut.of)


@router.get(
    "/org/departments/{department_id}",
    response={200: DepartmentOut, **ERROR_RESPONSES},
    tags=["departments"],
    summary="One department",
)
def department_detail(request: HttpRequest, department_id: int) -> DepartmentOut:
    return DepartmentOut.of(get_department_for_user(api_user(request), department_id))


@router.post(
    "/org/departments",
    response={201: DepartmentOut, **WRITE_RESPONSES},
    tags=["departments"],
    summary="Create a department",
)
def department_create(request: HttpRequest, payload: DepartmentIn) -> Status[DepartmentOut]:
    """A top-level department needs a system administrator; otherwise the caller must manage
    the parent department."""
    user = api_user(request)
    _require_manager(user)
    _check_references(
        user,
        [
            (
                "parent_id",
                departments_visible_to(user),
                payload.parent_id,
                _("The parent department does not exist."),
            )
        ],
    )
    data = services.DepartmentData(
        code=payload.code,
        name=payload.name,
        kind=_plain(payload.kind),
        parent_id=payload.parent_id,
        sort_order=payload.sort_order,
        description=payload.description,
    )
    with _api_field_names():
        dept = services.department_create(
            actor=_actor(request, user), scope=scope_for(user), data=data
        )
    return Status(201, _department_out(user, dept))


@router.patch(
    "/org/departments/{department_id}",
    response={200: DepartmentOut, **WRITE_RESPONSES},
    tags=["departments"],
    summary="Change a department",
)
def department_update(
    request: HttpRequest, department_id: int, payload: DepartmentPatch
) -> DepartmentOut:
    """Fields not sent keep their values. `version` must be the one you read (else 409)."""
    user = api_user(request)
    dept = get_department_for_user(user, department_id, write=True)
    sent = payload.model_dump(exclude_unset=True)
    parent_id = sent.get("parent_id", dept.parent_id)
    if parent_id != dept.parent_id:
        _check_references(
            user,
            [
                (
                    "parent_id",
                    departments_visible_to(user),
                    parent_id,
                    _("The parent department does not exist."),
                )
            ],
        )
    data = services.DepartmentData(
        code=sent.get("code", dept.code),
        name=sent.get("name", dept.name),
        kind=_plain(sent.get("kind", dept.kind)),
        parent_id=parent_id,
        sort_order=sent.get("sort_order", dept.sort_order),
        description=sent.get("description", dept.description),
    )
    with _api_field_names():
        updated = services.department_update(
            actor=_actor(request, user),
            scope=scope_for(user),
            department_id=dept.pk,
            expected_version=payload.version,
            data=data,
            reason=payload.reason,
        )
    return _department_out(user, updated)


def _department_set_active(
    request: HttpRequest, department_id: int, payload: ReasonIn | None, active: bool
) -> DepartmentOut:
    user = api_user(request)
    dept = get_department_for_user(user, department_id, write=True)
    updated = services.department_set_active(
        actor=_actor(request, user),
        scope=scope_for(user),
        department_id=dept.pk,
        active=active,
        reason=payload.reason if payload else "",
    )
    return _department_out(user, updated)


@router.post(
    "/org/departments/{department_id}/deactivate",
    response={200: DepartmentOut, **WRITE_RESPONSES},
    tags=["departments"],
    summary="Deactivate a department",
)
def department_deactivate(
    request: HttpRequest, department_id: int, payload: ReasonIn | None = None
) -> DepartmentOut:
    """Refused while it or its sub-departments still have active people or sub-departments."""
    return _department_set_active(request, department_id, payload, active=False)


@router.post(
    "/org/departments/{department_id}/activate",
    response={200: DepartmentOut, **WRITE_RESPONSES},
    tags=["departments"],
    summary="Reactivate a department",
)
def department_activate(
    request: HttpRequest, department_id: int, payload: ReasonIn | None = None
) -> DepartmentOut:
    return _department_set_active(request, department_id, payload, active=True)


# ---------------------------------------------------------------- posts


def _post_out(user: User, obj: Post) -> PostOut:
    return PostOut.of(posts_visible_to(user).filter(pk=obj.pk).first() or obj)


@router.get(
    "/org/posts",
    response={200: PostPage, **ERROR_RESPONSES},
    tags=["posts"],
    summary="List posts",
)
def post_list(
    request: HttpRequest, filters: Query[PostFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The posts in the caller's scope, filtered as on the posts page."""
    f = PostFilter(
        q=filters.q,
        department_id=filters.department_id,
        category=_plain(filters.category) or "",
        post_class=_plain(filters.post_class) or "",
        active=_active_flag(filters.active),
    )
    qs = posts_filtered(api_user(request), f)
    return paginate(qs.order_by("department__path", "code", "pk"), paging, PostOut.of)


@router.get(
    "/org/posts/{post_id}",
    response={200: PostOut, **ERROR_RESPONSES},
    tags=["posts"],
    summary="One post",
)
def post_detail(request: HttpRequest, post_id: int) -> PostOut:
    return PostOut.of(get_post_for_user(api_user(request), post_id))


@router.post(
    "/org/posts",
    response={201: PostOut, **WRITE_RESPONSES},
    tags=["posts"],
    summary="Create a post",
)
def post_create(request: HttpRequest, payload: PostIn) -> Status[PostOut]:
    user = api_user(request)
    _require_manager(user)
    _check_references(
        user,
        [
            (
                "department_id",
                departments_visible_to(user),
                payload.department_id,
                _unknown_department(),
            )
        ],
    )
    data = services.PostData(
        code=payload.code,
        name=payload.name,
        department_id=payload.department_id,
        category=_plain(payload.category),
        post_class=_plain(payload.post_class),
        duties=payload.duties,
        headcount=payload.headcount,
    )
    with _api_field_names():
        post = services.post_create(actor=_actor(request, user), scope=scope_for(user), data=data)
    return Status(201, _post_out(user, post))


@router.patch(
    "/org/posts/{post_id}",
    response={200: PostOut, **WRITE_RESPONSES},
    tags=["posts"],
    summary="Change a post",
)
def post_update(request: HttpRequest, post_id: int, payload: PostPatch) -> PostOut:
    """Fields not sent keep their values. `version` must be the one you read (else 409)."""
    user = api_user(request)
    post = get_post_for_user(user, post_id, write=True)
    sent = payload.model_dump(exclude_unset=True)
    department_id = sent.get("department_id", post.department_id)
    if department_id != post.department_id:
        _check_references(
            user,
            [("department_id", departments_visible_to(user), department_id, _unknown_department())],
        )
    data = services.PostData(
        code=sent.get("code", post.code),
        name=sent.get("name", post.name),
        department_id=department_id,
        category=_plain(sent.get("category", post.category)),
        post_class=_plain(sent.get("post_class", post.post_class)),
        duties=sent.get("duties", post.duties),
        headcount=sent.get("headcount", post.headcount),
    )
    with _api_field_names():
        updated = services.post_update(
            actor=_actor(request, user),
            scope=scope_for(user),
            post_id=post.pk,
            expected_version=payload.version,
            data=data,
            reason=payload.reason,
        )
    return _post_out(user, updated)


def _post_set_active(
    request: HttpRequest, post_id: int, payload: ReasonIn | None, active: bool
) -> PostOut:
    user = api_user(request)
    post = get_post_for_user(user, post_id, write=True)
    updated = services.post_set_active(
        actor=_actor(request, user),
        scope=scope_for(user),
        post_id=post.pk,
        active=active,
        reason=payload.reason if payload else "",
    )
    return _post_out(user, updated)


@router.post(
    "/org/posts/{post_id}/deactivate",
    response={200: PostOut, **WRITE_RESPONSES},
    tags=["posts"],
    summary="Deactivate a post",
)
def post_deactivate(request: HttpRequest, post_id: int, payload: ReasonIn | None = None) -> PostOut:
    """Refused while active people hold the post."""
    return _post_set_active(request, post_id, payload, active=False)


@router.post(
    "/org/posts/{post_id}/activate",
    response={200: PostOut, **WRITE_RESPONSES},
    tags=["posts"],
    summary="Reactivate a post",
)
def post_activate(request: HttpRequest, post_id: int, payload: ReasonIn | None = None) -> PostOut:
    return _post_set_active(request, post_id, payload, active=True)


# ---------------------------------------------------------------- people


def _person_detail(user: User, person_id: int) -> PersonDetailOut:
    person = get_person_for_user(user, person_id)
    history = list(
        PersonStatusChange.objects.filter(person_id=person.pk).order_by("-start_date", "-id")
    )
    return PersonDetailOut.of_detail(person, history)


@router.get(
    "/org/people",
    response={200: PersonPage, **ERROR_RESPONSES},
    tags=["people"],
    summary="List people",
)
def person_list(
    request: HttpRequest, filters: Query[PeopleFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The people in the caller's scope, filtered as on the people page."""
    f = PeopleFilter(
        q=filters.q,
        department_id=filters.department_id,
        include_subdepartments=filters.include_subdepartments,
        status=_plain(filters.status) or "",
        post_class=_plain(filters.post_class) or "",
        rank=filters.rank.strip(),
        active=_active_flag(filters.active),
    )
    qs = people_filtered(api_user(request), f)
    return paginate(qs.order_by("department__path", "employee_no", "pk"), paging, PersonOut.of)


@router.get(
    "/org/people/{person_id}",
    response={200: PersonDetailOut, **ERROR_RESPONSES},
    tags=["people"],
    summary="One person, with status history",
)
def person_detail(request: HttpRequest, person_id: int) -> PersonDetailOut:
    return _person_detail(api_user(request), person_id)


def _person_references(
    user: User, *, department_id: int | None, post_id: int | None, superior_id: int | None
) -> None:
    _check_references(
        user,
        [
            ("department_id", departments_visible_to(user), department_id, _unknown_department()),
            ("post_id", posts_visible_to(user), post_id, _("The post does not exist.")),
            (
                "superior_id",
                people_visible_to(user),
                superior_id,
                _("The direct superior does not exist."),
            ),
        ],
    )


@router.post(
    "/org/people",
    response={201: PersonDetailOut, **WRITE_RESPONSES},
    tags=["people"],
    summary="Add a person",
)
def person_create(request: HttpRequest, payload: PersonIn) -> Status[PersonDetailOut]:
    user = api_user(request)
    _require_manager(user)
    _person_references(
        user,
        department_id=payload.department_id,
        post_id=payload.post_id,
        superior_id=payload.superior_id,
    )
    data = services.PersonData(
        employee_no=payload.employee_no,
        name=payload.name,
        department_id=payload.department_id,
        post_id=payload.post_id,
        rank=payload.rank,
        superior_id=payload.superior_id,
        hire_date=payload.hire_date,
        gender=_plain(payload.gender) or "",
        email=payload.email,
        phone=payload.phone,
        status=_plain(payload.status),
        status_since=payload.status_since,
    )
    with _api_field_names():
        person = services.person_create(
            actor=_actor(request, user), scope=scope_for(user), data=data
        )
    return Status(201, _person_detail(user, person.pk))


@router.patch(
    "/org/people/{person_id}",
    response={200: PersonDetailOut, **WRITE_RESPONSES},
    tags=["people"],
    summary="Change a person's record",
)
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> PersonDetailOut:
    """Fields not sent keep their values. `version` must be the one you read (else 409).
    The status is changed with POST /org/people/{id}/status."""
    user = api_user(request)
    person = get_person_for_user(user, person_id, write=True)
    sent = payload.model_dump(exclude_unset=True)
    department_id = sent.get("department_id", person.department_id)
    post_id = sent.get("post_id", person.post_id)
    superior_id = sent.get("superior_id", person.superior_id)
    _person_references(
        user,
        department_id=department_id if department_id != person.department_id else None,
        post_id=post_id if post_id != person.post_id else None,
        superior_id=superior_id if superior_id != person.superior_id else None,
    )
    data = services.PersonData(
        employee_no=sent.get("employee_no", person.employee_no),
        name=sent.get("name", person.name),
        department_id=department_id,
        post_id=post_id,
        rank=sent.get("rank", person.rank),
        superior_id=superior_id,
        hire_date=sent.get("hire_date", person.hire_date),
        gender=_plain(sent.get("gender", person.gender)) or "",
        email=sent.get("email", person.email),
        phone=sent.get("phone", person.phone),
        status=person.status,
        status_since=person.status_since,
    )
    with _api_field_names():
        services.person_update(
            actor=_actor(request, user),
            scope=scope_for(user),
            person_id=person.pk,
            expected_version=payload.version,
            data=data,
            reason=payload.reason,
        )
    return _person_detail(user, person.pk)


@router.post(
    "/org/people/{person_id}/status",
    response={200: PersonDetailOut, **WRITE_RESPONSES},
    tags=["people"],
    summary="Record a status change",
)
def person_change_status(
    request: HttpRequest, person_id: int, payload: StatusChangeIn
) -> PersonDetailOut:
    """Seconded, sick or maternity leave, left...: closes the current period and opens one."""
    user = api_user(request)
    person = get_person_for_user(user, person_id, write=True)
    services.person_change_status(
        actor=_actor(request, user),
        scope=scope_for(user),
        person_id=person.pk,
        expected_version=payload.version,
        status=_plain(payload.status),
        start_date=payload.start_date,
        note=payload.note,
    )
    return _person_detail(user, person.pk)


# ---------------------------------------------------------------- audit


@router.get(
    "/audit",
    response={200: AuditPage, **ERROR_RESPONSES},
    tags=["audit"],
    summary="The audit trail",
)
def audit_list(
    request: HttpRequest, filters: Query[AuditFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """System administrators and auditors only; newest first."""
    user = api_user(request)
    if not scope_for(user).can_view_audit:
        raise forbidden()
    qs = audit_records_filtered(
        AuditFilter(
            actor=filters.actor,
            action=filters.action,
            object_type=filters.object_type,
            object_id=filters.object_id,
            source=filters.source,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
        audit_records_visible_to(user),
    )
    return paginate(qs, paging, AuditRecordOut.of)
