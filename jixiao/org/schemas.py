"""API input and output for the organization, the caller's profile and the audit trail.

Inputs forbid unknown fields, so a typo is reported rather than silently ignored. PATCH inputs
leave every field optional except `version`; fields not sent keep their current values.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from jixiao.core.api_pagination import Page
from jixiao.core.models import AuditRecord
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Gender,
    Person,
    PersonStatus,
    PersonStatusChange,
    Post,
    PostCategory,
    PostClass,
)


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _not_null(value: Any) -> Any:
    """In a PATCH, null means "clear" only for nullable fields; others must be left out."""
    if value is None:
        raise PydanticCustomError("null_not_allowed", "This field cannot be null.")
    return value


def _check_email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid email address.")) from exc
    return value


# ---------------------------------------------------------------- references


class DepartmentRef(Schema):
    id: int
    code: str
    name: str

    @classmethod
    def of(cls, d: Department | None) -> DepartmentRef | None:
        return None if d is None else cls(id=d.pk, code=d.code, name=d.name)


class PostRef(Schema):
    id: int
    code: str
    name: str

    @classmethod
    def of(cls, p: Post | None) -> PostRef | None:
        return None if p is None else cls(id=p.pk, code=p.code, name=p.name)


class PersonRef(Schema):
    id: int
    employee_no: str
    name: str

    @classmethod
    def of(cls, p: Person | None) -> PersonRef | None:
        return None if p is None else cls(id=p.pk, employee_no=p.employee_no, name=p.name)


# ---------------------------------------------------------------- departments


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent: DepartmentRef | None
    path: str
    depth: int
    sort_order: int
    description: str
    is_active: bool
    version: int = Field(description="Send it back with PATCH: it detects concurrent edits.")

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        """Expects `parent` to be loaded with select_related."""
        return cls(
            id=d.pk,
            code=d.code,
            name=d.name,
            kind=d.kind,
            kind_label=str(d.get_kind_display()),
            parent=DepartmentRef.of(d.parent) if d.parent_id else None,
            path=d.path,
            depth=d.depth,
            sort_order=d.sort_order,
            description=d.description,
            is_active=d.is_active,
            version=d.version,
        )


class DepartmentPage(Page[DepartmentOut]):
    pass


class DepartmentFilters(Schema):
    q: str = Field("", description="Part of the name or code.")
    parent_id: int | None = Field(None, description="Direct sub-departments of this department.")
    kind: DepartmentKind | None = None
    active: bool | None = Field(None, description="true: active only; false: inactive only.")


class DepartmentIn(InputSchema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    kind: DepartmentKind
    parent_id: int | None = None
    sort_order: int = 0
    description: str = ""


class DepartmentPatch(InputSchema):
    version: int
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=100)
    kind: DepartmentKind | None = None
    parent_id: int | None = None
    sort_order: int | None = None
    description: str | None = None
    reason: str = Field("", description="Why; kept in the audit trail.")

    @field_validator("code", "name", "kind", "sort_order", "description", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        return _not_null(value)


class ReasonIn(InputSchema):
    reason: str = Field("", description="Why; kept in the audit trail.")


# ---------------------------------------------------------------- posts


class PostOut(Schema):
    id: int
    code: str
    name: str
    department: DepartmentRef
    category: str
    category_label: str
    post_class: str
    post_class_label: str
    duties: str
    headcount: int
    is_active: bool
    version: int

    @classmethod
    def of(cls, p: Post) -> PostOut:
        """Expects `department` to be loaded with select_related."""
        department = DepartmentRef.of(p.department)
        assert department is not None
        return cls(
            id=p.pk,
            code=p.code,
            name=p.name,
            department=department,
            category=p.category,
            category_label=str(p.get_category_display()),
            post_class=p.post_class,
            post_class_label=str(p.get_post_class_display()),
            duties=p.duties,
            headcount=p.headcount,
            is_active=p.is_active,
            version=p.version,
        )


class PostPage(Page[PostOut]):
    pass


class PostFilters(Schema):
    q: str = Field("", description="Part of the name or code.")
    department_id: int | None = Field(None, description="Posts of this department itself.")
    category: PostCategory | None = None
    post_class: PostClass | None = None
    active: bool | None = Field(None, description="true: active only; false: inactive only.")


class PostIn(InputSchema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    department_id: int
    category: PostCategory
    post_class: PostClass
    duties: str = ""
    headcount: int = Field(1, ge=0)


class PostPatch(InputSchema):
    version: int
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=100)
    department_id: int | None = None
    category: PostCategory | None = None
    post_class: PostClass | None = None
    duties: str | None = None
    headcount: int | None = Field(None, ge=0)
    reason: str = Field("", description="Why; kept in the audit trail.")

    @field_validator(
        "code",
        "name",
        "department_id",
        "category",
        "post_class",
        "duties",
        "headcount",
        mode="before",
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        return _not_null(value)


# ---------------------------------------------------------------- people


class PersonOut(Schema):
    id: int
    employee_no: str
    name: str
    gender: str
    department: DepartmentRef
    post: PostRef | None
    rank: str
    superior: PersonRef | None
    hire_date: datetime.date | None
    status: str
    status_label: str
    status_since: datetime.date | None
    email: str
    phone: str
    has_account: bool
    is_active: bool
    version: int

    @classmethod
    def fields_of(cls, p: Person) -> dict[str, Any]:
        """Expects department, post and superior loaded with select_related."""
        return {
            "id": p.pk,
            "employee_no": p.employee_no,
            "name": p.name,
            "gender": p.gender,
            "department": DepartmentRef.of(p.department),
            "post": PostRef.of(p.post) if p.post_id else None,
            "rank": p.rank,
            "superior": PersonRef.of(p.superior) if p.superior_id else None,
            "hire_date": p.hire_date,
            "status": p.status,
            "status_label": str(p.get_status_display()),
            "status_since": p.status_since,
            "email": p.email,
            "phone": p.phone,
            "has_account": p.user_id is not None,
            "is_active": p.is_active,
            "version": p.version,
        }

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(**cls.fields_of(p))


class PersonPage(Page[PersonOut]):
    pass


class StatusPeriodOut(Schema):
    status: str
    status_label: str
    start_date: datetime.date
    end_date: datetime.date | None
    note: str

    @classmethod
    def of(cls, c: PersonStatusChange) -> StatusPeriodOut:
        return cls(
            status=c.status,
            status_label=str(c.get_status_display()),
            start_date=c.start_date,
            end_date=c.end_date,
            note=c.note,
        )


class PersonDetailOut(PersonOut):
    username: str | None
    status_history: list[StatusPeriodOut] = Field(description="Newest first.")

    @classmethod
    def of_detail(cls, p: Person, history: list[PersonStatusChange]) -> PersonDetailOut:
        return cls(
            **cls.fields_of(p),
            username=p.user.get_username() if p.user_id and p.user else None,
            status_history=[StatusPeriodOut.of(c) for c in history],
        )


class PeopleFilters(Schema):
    q: str = Field("", description="Part of the name, employee number or post name.")
    department_id: int | None = None
    include_subdepartments: bool = True
    status: PersonStatus | None = None
    post_class: PostClass | None = None
    rank: str = ""
    active: bool | None = Field(None, description="true: active only; false: inactive only.")


class PersonIn(InputSchema):
    employee_no: str = Field(max_length=32)
    name: str = Field(max_length=50)
    department_id: int
    post_id: int | None = None
    rank: str = Field("", max_length=32)
    superior_id: int | None = None
    hire_date: datetime.date | None = None
    gender: Gender | None = None
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    status: PersonStatus = PersonStatus.ACTIVE
    status_since: datetime.date | None = None

    @field_validator("email")
    @classmethod
    def valid_email(cls, value: str) -> str:
        return _check_email(value)


class PersonPatch(InputSchema):
    """Status is changed through POST /people/{id}/status, which keeps its history."""

    version: int
    employee_no: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=50)
    department_id: int | None = None
    post_id: int | None = None
    rank: str | None = Field(None, max_length=32)
    superior_id: int | None = None
    hire_date: datetime.date | None = None
    gender: Gender | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    reason: str = Field("", description="Why; kept in the audit trail.")

    @field_validator("email")
    @classmethod
    def valid_email(cls, value: str | None) -> str | None:
        return None if value is None else _check_email(value)

    @field_validator(
        "employee_no", "name", "department_id", "rank", "email", "phone", mode="before"
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        return _not_null(value)


class StatusChangeIn(InputSchema):
    version: int
    status: PersonStatus
    start_date: datetime.date
    note: str = Field("", max_length=255)


# ---------------------------------------------------------------- me


class UserOut(Schema):
    id: int
    username: str
    display_name: str


class RoleOut(Schema):
    role: str
    role_label: str
    scope: DepartmentRef | None = Field(description="The department subtree; null: everything.")


class MeOut(Schema):
    user: UserOut
    person: PersonOut | None
    roles: list[RoleOut]
    is_system_admin: bool
    can_manage: bool = Field(description="Whether the user manages any part of the organization.")
    can_view_audit: bool


# ---------------------------------------------------------------- audit


class AuditFilters(Schema):
    actor: str = Field("", description="Part of the actor's username.")
    action: str = Field("", description="Action prefix, e.g. org.person.")
    object_type: str = Field("", description="e.g. org.person")
    object_id: str = ""
    source: str = Field("", description="web, api, import, cli, task or system")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class AuditRecordOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None
    actor_label: str
    source: str
    ip: str | None
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any] = Field(description="{field: [before, after]}")
    reason: str

    @classmethod
    def of(cls, r: AuditRecord) -> AuditRecordOut:
        return cls(
            id=r.pk,
            at=r.at,
            actor_id=r.actor_id,
            actor_label=r.actor_label,
            source=r.source,
            ip=r.ip,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            object_label=r.object_label,
            changes=r.changes,
            reason=r.reason,
        )


class AuditPage(Page[AuditRecordOut]):
    pass
