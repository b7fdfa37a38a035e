"""Reads for the organization. Each list is scoped by the user and owns its joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jixiao.core.errors import forbidden
from jixiao.org.access import MAX_REPORTING_DEPTH, scope_for
from jixiao.org.models import Department, Person, PersonStatus, Post


def departments_visible_to(user: Any) -> QuerySet[Department]:
    scope = scope_for(user)
    qs = Department.objects.all()
    if scope.is_system_admin:
        return qs
    q = scope.department_q()
    if scope.department_id is not None:
        q |= Q(pk=scope.department_id)
    return qs.filter(q)


def posts_visible_to(user: Any) -> QuerySet[Post]:
    scope = scope_for(user)
    qs = Post.objects.select_related("department")
    if scope.is_system_admin:
        return qs
    q = scope.department_q("department__")
    if scope.department_id is not None:
        q |= Q(department_id=scope.department_id)
    return qs.filter(q)


def people_visible_to(user: Any) -> QuerySet[Person]:
    scope = scope_for(user)
    qs = Person.objects.select_related("department", "post", "superior")
    if scope.is_system_admin:
        return qs
    q = scope.department_q("department__")
    if scope.person_id is not None and not scope.person_covered:
        q |= Q(pk=scope.person_id)
    if scope.outside_report_ids:
        q |= Q(pk__in=scope.outside_report_ids)
    return qs.filter(q)


def _check_write(user: Any, path: str) -> None:
    if not scope_for(user).covers_path(path, manage=True):
        raise forbidden()


def get_department_for_user(user: Any, pk: int, *, write: bool = False) -> Department:
    """The department if visible (else 404); with write, 403 unless the user may manage it."""
    dept = departments_visible_to(user).select_related("parent").filter(pk=pk).first()
    if dept is None:
        raise Http404
    if write:
        _check_write(user, dept.path)
    return dept


def get_post_for_user(user: Any, pk: int, *, write: bool = False) -> Post:
    post = posts_visible_to(user).filter(pk=pk).first()
    if post is None:
        raise Http404
    if write:
        _check_write(user, post.department.path)
    return post


def get_person_for_user(user: Any, pk: int, *, write: bool = False) -> Person:
    person = people_visible_to(user).select_related("user").filter(pk=pk).first()
    if person is None:
        raise Http404
    if write:
        _check_write(user, person.department.path)
    return person


def can_manage_department(user: Any, department: Department) -> bool:
    return scope_for(user).covers_path(department.path, manage=True)


@dataclass
class TreeNode:
    department: Department
    headcount: int
    children: list[TreeNode]

    @property
    def total_headcount(self) -> int:
        return self.headcount + sum(c.total_headcount for c in self.children)


def department_tree(user: Any, *, include_inactive: bool = False) -> list[TreeNode]:
    """The visible departments as a forest, with active headcounts; two queries in all."""
    qs = departments_visible_to(user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    departments = list(qs.order_by("depth", "sort_order", "code"))
    counts = dict(
        Person.objects.filter(department_id__in=[d.pk for d in departments], is_active=True)
        .values_list("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    nodes = {d.pk: TreeNode(d, counts.get(d.pk, 0), []) for d in departments}
    roots: list[TreeNode] = []
    for d in departments:
        node = nodes[d.pk]
        parent = nodes.get(d.parent_id) if d.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    department_id: int | None = None
    include_subdepartments: bool = True
    status: str = ""
    post_class: str = ""
    rank: str = ""
    active: str = "1"  # "1" active only, "0" inactive only, "" all


def people_filtered(user: Any, f: PeopleFilter) -> QuerySet[Person]:
    qs = people_visible_to(user)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(
            Q(name__icontains=term) | Q(employee_no__icontains=term) | Q(post__name__icontains=term)
        )
    if f.department_id:
        dept = Department.objects.filter(pk=f.department_id).only("path").first()
        if dept is None:
            return qs.none()
        if f.include_subdepartments:
            qs = qs.filter(department__path__startswith=dept.path)
        else:
            qs = qs.filter(department_id=dept.pk)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.post_class:
        qs = qs.filter(post__post_class=f.post_class)
    if f.rank:
        qs = qs.filter(rank=f.rank)
    if f.active == "1":
        qs = qs.filter(is_active=True)
    elif f.active == "0":
        qs = qs.filter(is_active=False)
    return qs.order_by("employee_no")


def manageable_departments(user: Any) -> QuerySet[Department]:
    """Active departments the user may manage: the choices of parent/department selects."""
    scope = scope_for(user)
    return Department.objects.filter(scope.department_q(manage=True), is_active=True).order_by(
        "path"
    )


@dataclass(frozen=True)
class ScopeCounts:
    departments: int
    people: int
    seconded: int
    sick_leave: int
    maternity: int
    suspended: int
    recent_hires: int


def scope_counts(user: Any, *, today: datetime.date | None = None) -> ScopeCounts:
    """Quick figures for the home page: two aggregate queries whatever the size of the scope."""
    today = today or datetime.date.today()
    six_months_ago = today - datetime.timedelta(days=182)
    departments = departments_visible_to(user).filter(is_active=True).count()
    figures = (
        people_visible_to(user)
        .filter(is_active=True)
        .aggregate(
            people=Count("id"),
            seconded=Count("id", filter=Q(status=PersonStatus.SECONDED)),
            sick_leave=Count("id", filter=Q(status=PersonStatus.LONG_SICK_LEAVE)),
            maternity=Count("id", filter=Q(status=PersonStatus.MATERNITY_LEAVE)),
            suspended=Count("id", filter=Q(status=PersonStatus.SUSPENDED)),
            recent_hires=Count("id", filter=Q(hire_date__gt=six_months_ago)),
        )
    )
    return ScopeCounts(departments=departments, **figures)


@dataclass(frozen=True)
class PostFilter:
    q: str = ""
    department_id: int | None = None
    category: str = ""
    post_class: str = ""
    active: str = "1"  # "1" active only, "0" inactive only, "" all


def posts_filtered(user: Any, f: PostFilter) -> QuerySet[Post]:
    """Visible posts matching the filter, each with `holders` (active people holding it)."""
    qs = posts_visible_to(user)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    if f.department_id:
        qs = qs.filter(department_id=f.department_id)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.post_class:
        qs = qs.filter(post_class=f.post_class)
    if f.active == "1":
        qs = qs.filter(is_active=True)
    elif f.active == "0":
        qs = qs.filter(is_active=False)
    return qs.annotate(holders=Count("people", filter=Q(people__is_active=True))).order_by(
        "department__path", "code"
    )


def reporting_chain(person: Person) -> list[Person]:
    """The person's superiors, nearest first; one query per level, stops at loops."""
    chain: list[Person] = []
    seen = {person.pk}
    current_id = person.superior_id
    while current_id is not None and current_id not in seen and len(chain) < MAX_REPORTING_DEPTH:
        superior = Person.objects.select_related("department", "post").filter(pk=current_id).first()
        if superior is None:
            break
        chain.append(superior)
        seen.add(superior.pk)
        current_id = superior.superior_id
    return chain


def department_ancestors(department: Department) -> list[Department]:
    """The chain of parents from the root down to (not including) the department: one query."""
    ids = department.ancestor_ids()
    by_id = Department.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def department_deletable(department: Department) -> bool:
    """Only a department without members (counting those who left), children or posts."""
    return not (
        Person.objects.filter(department=department).exists()
        or Department.objects.filter(parent=department).exists()
        or Post.objects.filter(department=department).exists()
    )
