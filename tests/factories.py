"""Factories that build organization objects directly (fast), keeping the tree paths right."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from jixiao.accounts.models import User
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Person,
    PersonStatus,
    Post,
    PostCategory,
    PostClass,
    Role,
    RoleGrant,
)

_seq = itertools.count(1)
PASSWORD = "Jixiao-test-2026"


def make_department(
    name: str, parent: Department | None = None, *, code: str | None = None, kind: str | None = None
) -> Department:
    kind = kind or (DepartmentKind.UNIT if parent is None else DepartmentKind.DEPARTMENT)
    dept = Department.objects.create(
        code=code or f"D{next(_seq):04d}",
        name=name,
        kind=kind,
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
    )
    dept.path = f"{parent.path if parent else '/'}{dept.pk}/"
    dept.save(update_fields=["path"])
    return dept


def make_post(name: str, department: Department, **kw: Any) -> Post:
    return Post.objects.create(
        code=kw.pop("code", f"P{next(_seq):04d}"),
        name=name,
        department=department,
        category=kw.pop("category", PostCategory.NON_LEADERSHIP),
        post_class=kw.pop("post_class", PostClass.MANAGEMENT),
        duties=kw.pop("duties", "负责本岗位日常工作。"),
        **kw,
    )


def make_user(username: str, *, password: str = PASSWORD) -> User:
    user = User(username=username, display_name=username)
    user.set_password(password)
    user.save()
    return user


def user_of(person: Person) -> User:
    assert person.user is not None, f"{person} has no account"
    return person.user


def make_person(
    name: str,
    department: Department,
    *,
    username: str | None = None,
    superior: Person | None = None,
    post: Post | None = None,
    **kw: Any,
) -> Person:
    user = make_user(username) if username else None
    return Person.objects.create(
        employee_no=kw.pop("employee_no", f"E{next(_seq):05d}"),
        name=name,
        department=department,
        superior=superior,
        post=post,
        user=user,
        rank=kw.pop("rank", "一级科员"),
        hire_date=kw.pop("hire_date", datetime.date(2018, 3, 1)),
        status=kw.pop("status", PersonStatus.ACTIVE),
        **kw,
    )


def grant(user: User, role: str, scope: Department | None) -> RoleGrant:
    return RoleGrant.objects.create(user=user, role=role, scope=scope)


__all__ = ["PASSWORD", "Role", "grant", "make_department", "make_person", "make_post", "make_user"]
