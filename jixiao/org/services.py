"""Writes for the organization: one durable transaction each, audited, compare-and-set on version.

`scope` is the acting user's scope; None means a trusted system context (CLI, demo builder).
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.org.access import Scope
from jixiao.org.caches import forget_ranks
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Person,
    PersonStatus,
    PersonStatusChange,
    Post,
    PostCategory,
    PostClass,
    Role,
    RoleGrant,
)

DEPARTMENT_FIELDS = ["code", "name", "kind", "parent", "sort_order", "description", "is_active"]
POST_FIELDS = [
    "code",
    "name",
    "department",
    "category",
    "post_class",
    "duties",
    "headcount",
    "is_active",
]
PERSON_FIELDS = [
    "employee_no",
    "name",
    "gender",
    "department",
    "post",
    "rank",
    "superior",
    "hire_date",
    "status",
    "status_since",
    "email",
    "phone",
    "is_active",
]


def _require_manage(scope: Scope | None, path: str) -> None:
    if scope is not None and not scope.covers_path(path, manage=True):
        raise forbidden()


def _require(condition: bool, errors: list[FieldError], fld: str, code: str, message: str) -> None:
    if not condition:
        errors.append(FieldError(fld, code, message))


def _others[M: Model](qs: QuerySet[M], pk: int | None) -> QuerySet[M]:
    """The rows of qs other than the one being edited (all of them on create)."""
    return qs if pk is None else qs.exclude(pk=pk)


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise validation_failed(errors)


# ---------------------------------------------------------------- departments


@dataclass
class DepartmentData:
    code: str
    name: str
    kind: str
    parent_id: int | None = None
    sort_order: int = 0
    description: str = ""


def _validate_department(data: DepartmentData, *, pk: int | None) -> list[FieldError]:
    errors: list[FieldError] = []
    data.code = data.code.strip()
    data.name = data.name.strip()
    _require(bool(data.code), errors, "code", "required", _("Enter a code."))
    _require(bool(data.name), errors, "name", "required", _("Enter a name."))
    _require(
        data.kind in DepartmentKind.values, errors, "kind", "invalid_choice", _("Choose a kind.")
    )
    if data.code and _others(Department.objects.filter(code=data.code), pk).exists():
        errors.append(
            FieldError("code", "duplicate_code", _("Another department already uses this code."))
        )
    return errors


def _department_path(parent: Department | None, pk: int) -> str:
    return f"{parent.path if parent else '/'}{pk}/"


@transaction.atomic(durable=True)
def department_create(*, actor: Actor, scope: Scope | None, data: DepartmentData) -> Department:
    errors = _validate_department(data, pk=None)
    parent = None
    if data.parent_id is not None:
        parent = Department.objects.filter(pk=data.parent_id).first()
        if parent is None:
            errors.append(
                FieldError("parent", "unknown_parent", _("The parent department does not exist."))
            )
        elif not parent.is_active:
            errors.append(
                FieldError("parent", "inactive_parent", _("The parent department is deactivated."))
            )
    elif scope is not None and not scope.is_system_admin:
        raise forbidden()
    _raise_if(errors)
    if parent is not None:
        _require_manage(scope, parent.path)
    dept = Department.objects.create(
        code=data.code,
        name=data.name,
        kind=data.kind,
        parent=parent,
        sort_order=data.sort_order,
        description=data.description,
        depth=(parent.depth + 1) if parent else 0,
    )
    dept.path = _department_path(parent, dept.pk)
    Department.objects.filter(pk=dept.pk).update(path=dept.path)
    audit.record(
        actor,
        "org.department.create",
        dept,
        audit.diff({}, audit.snapshot(dept, DEPARTMENT_FIELDS)),
    )
    return dept


def _move_subtree(dept: Department, new_parent: Department | None) -> None:
    old_path = dept.path
    new_path = _department_path(new_parent, dept.pk)
    delta = ((new_parent.depth + 1) if new_parent else 0) - dept.depth
    Department.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
    )


@transaction.atomic(durable=True)
def department_update(
    *,
    actor: Actor,
    scope: Scope | None,
    department_id: int,
    expected_version: int,
    data: DepartmentData,
    reason: str = "",
) -> Department:
    dept = Department.objects.select_related("parent").get(pk=department_id)
    _require_manage(scope, dept.path)
    errors = _validate_department(data, pk=dept.pk)
    new_parent = dept.parent
    if data.parent_id != dept.parent_id:
        if data.parent_id is None:
            new_parent = None
            if scope is not None and not scope.is_system_admin:
                raise forbidden()
        else:
            new_parent = Department.objects.filter(pk=data.parent_id).first()
            if new_parent is None:
                errors.append(
                    FieldError(
                        "parent", "unknown_parent", _("The parent department does not exist.")
                    )
                )
            elif new_parent.path.startswith(dept.path):
                errors.append(
                    FieldError(
                        "parent",
                        "tree_loop",
                        _(
                            "A department cannot be moved under itself "
                            "or one of its sub-departments."
                        ),
                    )
                )
            elif not new_parent.is_active:
                errors.append(
                    FieldError(
                        "parent", "inactive_parent", _("The parent department is deactivated.")
                    )
                )
            else:
                _require_manage(scope, new_parent.path)
    _raise_if(errors)
    before = audit.snapshot(dept, DEPARTMENT_FIELDS)
    updated = Department.objects.filter(pk=dept.pk, version=expected_version).update(
        code=data.code,
        name=data.name,
        kind=data.kind,
        sort_order=data.sort_order,
        description=data.description,
        parent=new_parent,
        version=F("version") + 1,
    )
    if not updated:
        raise concurrent_edit()
    if new_parent != dept.parent:
        _move_subtree(dept, new_parent)
    dept.refresh_from_db()
    audit.record(
        actor,
        "org.department.update",
        dept,
        audit.diff(before, audit.snapshot(dept, DEPARTMENT_FIELDS)),
        reason,
    )
    return dept


@transaction.atomic(durable=True)
def department_set_active(
    *, actor: Actor, scope: Scope | None, department_id: int, active: bool, reason: str = ""
) -> Department:
    dept = Department.objects.get(pk=department_id)
    _require_manage(scope, dept.path)
    if dept.is_active == active:
        return dept
    if not active:
        subtree = Department.objects.filter(path__startswith=dept.path)
        if Person.objects.filter(department__in=subtree, is_active=True).exists():
            raise DomainError(
                "department_has_people",
                _(
                    "Move or deactivate the people of this department "
                    "and its sub-departments first."
                ),
            )
        if subtree.exclude(pk=dept.pk).filter(is_active=True).exists():
            raise DomainError("department_has_children", _("Deactivate its sub-departments first."))
    elif (
        dept.parent_id and not Department.objects.filter(pk=dept.parent_id, is_active=True).exists()
    ):
        raise DomainError("parent_inactive", _("Reactivate the parent department first."))
    if not Department.objects.filter(pk=dept.pk, is_active=not active).update(
        is_active=active, version=F("version") + 1
    ):
        raise concurrent_edit()
    audit.record(
        actor,
        "org.department.activate" if active else "org.department.deactivate",
        dept,
        {"is_active": [not active, active]},
        reason,
    )
    dept.is_active = active
    return dept


@transaction.atomic(durable=True)
def department_delete(
    *, actor: Actor, scope: Scope | None, department_id: int, reason: str = ""
) -> None:
    dept = Department.objects.get(pk=department_id)
    _require_manage(scope, dept.path)
    # Membership is what blocks: people who have left stay members, people who moved out do
    # not. Their moves stay explainable from the audit trail, and the delete record below keeps
    # the department's code and name.
    if Person.objects.filter(department=dept).exists():
        raise DomainError(
            "department_has_people",
            _(
                "People belong to this department (including people who have left), "
                "so it cannot be deleted; deactivate it instead."
            ),
        )
    if Department.objects.filter(parent=dept).exists():
        raise DomainError("department_has_children", _("Delete or move its sub-departments first."))
    if Post.objects.filter(department=dept).exists():
        raise DomainError("department_has_posts", _("Delete or move its posts first."))
    grants = list(RoleGrant.objects.filter(scope=dept).order_by("pk"))
    # The grants over this department go with it: one revocation record each, written the way
    # role_grant_remove writes them.
    audit.record_many(
        actor,
        [
            audit.entry(
                "org.role.revoke",
                g,
                {"role": [g.role, None], "scope": [g.scope_id, None]},
                scope_path=dept.path,
            )
            for g in grants
        ],
        reason=reason or _("Its department was deleted."),
    )
    snap = audit.snapshot(dept, DEPARTMENT_FIELDS)
    audit.record(actor, "org.department.delete", dept, audit.diff(snap, {}), reason)
    RoleGrant.objects.filter(pk__in=[g.pk for g in grants]).delete()
    dept.delete()


# ---------------------------------------------------------------- posts


@dataclass
class PostData:
    code: str
    name: str
    department_id: int
    category: str
    post_class: str
    duties: str = ""
    headcount: int = 1


def _validate_post(data: PostData, *, pk: int | None) -> tuple[list[FieldError], Department | None]:
    errors: list[FieldError] = []
    data.code = data.code.strip()
    data.name = data.name.strip()
    _require(bool(data.code), errors, "code", "required", _("Enter a code."))
    _require(bool(data.name), errors, "name", "required", _("Enter a name."))
    _require(
        data.category in PostCategory.values,
        errors,
        "category",
        "invalid_choice",
        _("Choose a category."),
    )
    _require(
        data.post_class in PostClass.values,
        errors,
        "post_class",
        "invalid_choice",
        _("Choose a class."),
    )
    _require(
        data.headcount >= 0,
        errors,
        "headcount",
        "invalid",
        _("The establishment cannot be negative."),
    )
    if data.code and _others(Post.objects.filter(code=data.code), pk).exists():
        errors.append(
            FieldError("code", "duplicate_code", _("Another post already uses this code."))
        )
    dept = Department.objects.filter(pk=data.department_id).first()
    if dept is None:
        errors.append(
            FieldError("department", "unknown_department", _("The department does not exist."))
        )
    return errors, dept


@transaction.atomic(durable=True)
def post_create(*, actor: Actor, scope: Scope | None, data: PostData) -> Post:
    errors, dept = _validate_post(data, pk=None)
    _raise_if(errors)
    assert dept is not None
    _require_manage(scope, dept.path)
    post = Post.objects.create(
        code=data.code,
        name=data.name,
        department=dept,
        category=data.category,
        post_class=data.post_class,
        duties=data.duties,
        headcount=data.headcount,
    )
    audit.record(actor, "org.post.create", post, audit.diff({}, audit.snapshot(post, POST_FIELDS)))
    return post


@transaction.atomic(durable=True)
def post_update(
    *,
    actor: Actor,
    scope: Scope | None,
    post_id: int,
    expected_version: int,
    data: PostData,
    reason: str = "",
) -> Post:
    post = Post.objects.select_related("department").get(pk=post_id)
    _require_manage(scope, post.department.path)
    errors, dept = _validate_post(data, pk=post.pk)
    _raise_if(errors)
    assert dept is not None
    _require_manage(scope, dept.path)
    before = audit.snapshot(post, POST_FIELDS)
    if not Post.objects.filter(pk=post.pk, version=expected_version).update(
        code=data.code,
        name=data.name,
        department=dept,
        category=data.category,
        post_class=data.post_class,
        duties=data.duties,
        headcount=data.headcount,
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    post.refresh_from_db()
    audit.record(
        actor,
        "org.post.update",
        post,
        audit.diff(before, audit.snapshot(post, POST_FIELDS)),
        reason,
    )
    return post


@transaction.atomic(durable=True)
def post_set_active(
    *, actor: Actor, scope: Scope | None, post_id: int, active: bool, reason: str = ""
) -> Post:
    post = Post.objects.select_related("department").get(pk=post_id)
    _require_manage(scope, post.department.path)
    if post.is_active == active:
        return post
    if not active and Person.objects.filter(post=post, is_active=True).exists():
        raise DomainError(
            "post_has_people", _("People still hold this post; assign them another post first.")
        )
    if not Post.objects.filter(pk=post.pk, is_active=not active).update(
        is_active=active, version=F("version") + 1
    ):
        raise concurrent_edit()
    audit.record(
        actor,
        "org.post.activate" if active else "org.post.deactivate",
        post,
        {"is_active": [not active, active]},
        reason,
    )
    post.is_active = active
    return post


# ---------------------------------------------------------------- people


@dataclass
class PersonData:
    employee_no: str
    name: str
    department_id: int
    post_id: int | None = None
    rank: str = ""
    superior_id: int | None = None
    hire_date: datetime.date | None = None
    gender: str = ""
    email: str = ""
    phone: str = ""
    status: str = PersonStatus.ACTIVE
    status_since: datetime.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def superior_chain_has(start_id: int, target_id: int) -> bool:
    """Whether walking up the reporting line from start_id reaches target_id."""
    seen: set[int] = set()
    current: int | None = start_id
    while current is not None and current not in seen:
        if current == target_id:
            return True
        seen.add(current)
        current = Person.objects.filter(pk=current).values_list("superior_id", flat=True).first()
    return False


def _validate_person(
    data: PersonData, *, pk: int | None
) -> tuple[list[FieldError], Department | None, Post | None]:
    errors: list[FieldError] = []
    data.employee_no = data.employee_no.strip()
    data.name = data.name.strip()
    _require(
        bool(data.employee_no), errors, "employee_no", "required", _("Enter the employee number.")
    )
    _require(bool(data.name), errors, "name", "required", _("Enter a name."))
    _require(
        data.status in PersonStatus.values,
        errors,
        "status",
        "invalid_choice",
        _("Choose a status."),
    )
    _require(
        data.gender in ["", "M", "F"], errors, "gender", "invalid_choice", _("Choose a gender.")
    )
    if (
        data.employee_no
        and _others(Person.objects.filter(employee_no=data.employee_no), pk).exists()
    ):
        errors.append(
            FieldError(
                "employee_no",
                "duplicate_employee_no",
                _("Another person already has this employee number."),
            )
        )
    dept = Department.objects.filter(pk=data.department_id).first()
    if dept is None:
        errors.append(
            FieldError("department", "unknown_department", _("The department does not exist."))
        )
    elif not dept.is_active:
        errors.append(
            FieldError("department", "inactive_department", _("The department is deactivated."))
        )
    post = None
    if data.post_id is not None:
        post = Post.objects.filter(pk=data.post_id).first()
        if post is None:
            errors.append(FieldError("post", "unknown_post", _("The post does not exist.")))
    if data.superior_id is not None:
        if pk is not None and data.superior_id == pk:
            errors.append(
                FieldError("superior", "reporting_loop", _("A person cannot report to themselves."))
            )
        elif not Person.objects.filter(pk=data.superior_id).exists():
            errors.append(
                FieldError("superior", "unknown_superior", _("The direct superior does not exist."))
            )
        elif pk is not None and superior_chain_has(data.superior_id, pk):
            errors.append(
                FieldError(
                    "superior",
                    "reporting_loop",
                    _(
                        "This superior reports, directly or indirectly, to this person: "
                        "that would be a loop."
                    ),
                )
            )
    return errors, dept, post


@transaction.atomic(durable=True)
def person_create(*, actor: Actor, scope: Scope | None, data: PersonData) -> Person:
    errors, dept, post = _validate_person(data, pk=None)
    _raise_if(errors)
    assert dept is not None
    _require_manage(scope, dept.path)
    person = Person.objects.create(
        employee_no=data.employee_no,
        name=data.name,
        gender=data.gender,
        department=dept,
        post=post,
        rank=data.rank,
        superior_id=data.superior_id,
        hire_date=data.hire_date,
        status=data.status,
        status_since=data.status_since or data.hire_date,
        email=data.email,
        phone=data.phone,
    )
    PersonStatusChange.objects.create(
        person=person, status=person.status, start_date=person.status_since or datetime.date.today()
    )
    audit.record(
        actor, "org.person.create", person, audit.diff({}, audit.snapshot(person, PERSON_FIELDS))
    )
    forget_ranks()
    return person


@transaction.atomic(durable=True)
def person_update(
    *,
    actor: Actor,
    scope: Scope | None,
    person_id: int,
    expected_version: int,
    data: PersonData,
    reason: str = "",
) -> Person:
    """Update a person's record. Status goes through person_change_status, which keeps history."""
    person = Person.objects.select_related("department").get(pk=person_id)
    _require_manage(scope, person.department.path)
    data.status = person.status
    errors, dept, post = _validate_person(data, pk=person.pk)
    _raise_if(errors)
    assert dept is not None
    _require_manage(scope, dept.path)
    before = audit.snapshot(person, PERSON_FIELDS)
    if not Person.objects.filter(pk=person.pk, version=expected_version).update(
        employee_no=data.employee_no,
        name=data.name,
        gender=data.gender,
        department=dept,
        post=post,
        rank=data.rank,
        superior_id=data.superior_id,
        hire_date=data.hire_date,
        email=data.email,
        phone=data.phone,
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    person.refresh_from_db()
    audit.record(
        actor,
        "org.person.update",
        person,
        audit.diff(before, audit.snapshot(person, PERSON_FIELDS)),
        reason,
    )
    forget_ranks()
    return person


@transaction.atomic(durable=True)
def person_change_status(
    *,
    actor: Actor,
    scope: Scope | None,
    person_id: int,
    expected_version: int,
    status: str,
    start_date: datetime.date,
    note: str = "",
) -> Person:
    """Record a status change (借调, 产假...) with its start date; closes the previous period."""
    person = Person.objects.select_related("department").get(pk=person_id)
    _require_manage(scope, person.department.path)
    errors: list[FieldError] = []
    _require(
        status in PersonStatus.values, errors, "status", "invalid_choice", _("Choose a status.")
    )
    if person.status_since and start_date < person.status_since:
        errors.append(
            FieldError(
                "start_date",
                "before_current_status",
                _("The new status cannot start before the current one (%(date)s).")
                % {"date": person.status_since.isoformat()},
            )
        )
    _raise_if(errors)
    before = audit.snapshot(person, ["status", "status_since", "is_active"])
    still_active = status != PersonStatus.LEFT
    if not Person.objects.filter(pk=person.pk, version=expected_version).update(
        status=status, status_since=start_date, is_active=still_active, version=F("version") + 1
    ):
        raise concurrent_edit()
    PersonStatusChange.objects.filter(person=person, end_date__isnull=True).update(
        end_date=start_date
    )
    PersonStatusChange.objects.create(
        person=person, status=status, start_date=start_date, note=note[:255]
    )
    person.refresh_from_db()
    audit.record(
        actor,
        "org.person.change_status",
        person,
        audit.diff(before, audit.snapshot(person, ["status", "status_since", "is_active"])),
        note,
    )
    return person


# ---------------------------------------------------------------- roles


@transaction.atomic(durable=True)
def role_grant_add(
    *,
    actor: Actor,
    scope: Scope | None,
    user_id: int,
    role: str,
    scope_department_id: int | None,
    reason: str = "",
) -> RoleGrant:
    if role not in Role.values:
        raise validation_failed([FieldError("role", "invalid_choice", _("Choose a role."))])
    dept = None
    if role != Role.SYSTEM_ADMIN:
        if scope_department_id is not None:
            dept = Department.objects.filter(pk=scope_department_id).first()
        if dept is None:
            raise validation_failed(
                [FieldError("scope", "required", _("Choose the department this role covers."))]
            )
        _require_manage(scope, dept.path)
    elif scope is not None and not scope.is_system_admin:
        raise forbidden()
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise validation_failed(
            [FieldError("user", "unknown_user", _("This person has no sign-in account."))]
        )
    grant, created = RoleGrant.objects.get_or_create(user_id=user_id, role=role, scope=dept)
    if created:
        audit.record(
            actor,
            "org.role.grant",
            grant,
            {"role": [None, role], "scope": [None, dept.pk if dept else None]},
            reason,
        )
    return grant


@transaction.atomic(durable=True)
def role_grant_remove(
    *, actor: Actor, scope: Scope | None, grant_id: int, reason: str = ""
) -> None:
    grant = RoleGrant.objects.select_related("scope").get(pk=grant_id)
    if grant.scope is not None:
        _require_manage(scope, grant.scope.path)
    elif scope is not None and not scope.is_system_admin:
        raise forbidden()
    audit.record(
        actor,
        "org.role.revoke",
        grant,
        {"role": [grant.role, None], "scope": [grant.scope_id, None]},
        reason,
    )
    grant.delete()


def as_dict(data: Any) -> dict[str, Any]:
    return asdict(data)
