"""Who may see and change what in the organization. Every domain uses these helpers.

A user's scope is the union of the department subtrees of their role grants, plus
themselves and the people who report to them (directly or indirectly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q

from jixiao.org.models import Department, Person, Role, RoleGrant

READ_ROLES = {Role.PERFORMANCE_ADMIN, Role.UNIT_LEADER, Role.DEPARTMENT_HEAD, Role.AUDITOR}
MANAGE_ROLES = {Role.PERFORMANCE_ADMIN}
MAX_REPORTING_DEPTH = 12


@dataclass(frozen=True, slots=True)
class Scope:
    user_id: int | None
    is_system_admin: bool
    roles: frozenset[str]
    read_paths: tuple[str, ...]
    manage_paths: tuple[str, ...]
    person_id: int | None
    department_id: int | None
    outside_report_ids: frozenset[int]
    # Whether the person's own record already lies inside read_paths (then filters skip it).
    person_covered: bool = False
    # The subtrees of the user's auditor grants: the audit records they may read.
    audit_paths: tuple[str, ...] = ()

    @property
    def can_view_audit(self) -> bool:
        return self.is_system_admin or Role.AUDITOR in self.roles

    @property
    def audits_a_root(self) -> bool:
        """An auditor over a whole top-level unit, who also reads records of unknown scope."""
        return any(p.count("/") == 2 for p in self.audit_paths)

    @property
    def can_manage_any(self) -> bool:
        return self.is_system_admin or bool(self.manage_paths)

    @property
    def can_import(self) -> bool:
        return self.can_manage_any

    def covers_path(self, path: str, *, manage: bool = False) -> bool:
        if self.is_system_admin:
            return True
        paths = self.manage_paths if manage else self.read_paths
        return any(path.startswith(p) for p in paths)

    def department_q(self, prefix: str = "", *, manage: bool = False) -> Q:
        """A filter on departments (or on a relation to one through `prefix`)."""
        if self.is_system_admin:
            return Q()
        paths = self.manage_paths if manage else self.read_paths
        q = Q(pk__in=[])
        field = f"{prefix}path__startswith" if prefix else "path__startswith"
        for p in paths:
            q |= Q(**{field: p})
        return q


EMPTY_SCOPE = Scope(None, False, frozenset(), (), (), None, None, frozenset())


def _minimal_paths(paths: list[str]) -> tuple[str, ...]:
    """Drop paths inside another path, so filters stay short."""
    kept: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(kept)


def subordinate_ids_of(person_id: int, covered_paths: tuple[str, ...] = ()) -> frozenset[int]:
    """Direct and indirect reports outside the departments already covered, in one query.

    A head of a large department has thousands of reports, nearly all inside their own
    department; listing those again as ids would only make every scoped query slower.
    """
    person = connection.ops.quote_name(Person._meta.db_table)
    department = connection.ops.quote_name(Department._meta.db_table)
    outside = "".join(" AND d.path NOT LIKE %s" for _ in covered_paths)
    sql = f"""
        WITH RECURSIVE reports(id, department_id, level) AS (
            SELECT id, department_id, 1 FROM {person} WHERE superior_id = %s AND is_active
            UNION
            SELECT p.id, p.department_id, r.level + 1
            FROM {person} p JOIN reports r ON p.superior_id = r.id
            WHERE p.is_active AND r.level < %s
        )
        SELECT DISTINCT r.id FROM reports r
        JOIN {department} d ON d.id = r.department_id
        WHERE r.id <> %s{outside}
    """
    params: list[int | str] = [person_id, MAX_REPORTING_DEPTH, person_id]
    params += [f"{path}%" for path in covered_paths]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return frozenset(row[0] for row in cursor.fetchall())


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per request and cached on the user object."""
    if user is None or not user.is_authenticated:
        return EMPTY_SCOPE
    cached = getattr(user, "_jixiao_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    grants = list(
        RoleGrant.objects.filter(user_id=user.pk)
        .select_related("scope")
        .only("role", "scope__path", "scope__is_active")
    )
    roles = frozenset(g.role for g in grants)
    is_admin = bool(user.is_superuser) or Role.SYSTEM_ADMIN in roles
    read = [g.scope.path for g in grants if g.role in READ_ROLES and g.scope is not None]
    manage = [g.scope.path for g in grants if g.role in MANAGE_ROLES and g.scope is not None]
    audited = [g.scope.path for g in grants if g.role == Role.AUDITOR and g.scope is not None]
    person = (
        Person.objects.filter(user_id=user.pk)
        .select_related("department")
        .only("id", "department_id", "department__path")
        .first()
    )
    read_paths = _minimal_paths(read)
    scope = Scope(
        user_id=user.pk,
        is_system_admin=is_admin,
        roles=roles,
        read_paths=read_paths,
        manage_paths=_minimal_paths(manage),
        person_id=person.pk if person else None,
        department_id=person.department_id if person else None,
        outside_report_ids=(
            frozenset() if person is None or is_admin else subordinate_ids_of(person.pk, read_paths)
        ),
        person_covered=person is not None
        and any(person.department.path.startswith(p) for p in read_paths),
        audit_paths=_minimal_paths(audited),
    )
    user._jixiao_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, "_jixiao_scope"):
        del user._jixiao_scope


def department_ids_in_subtree(department: Department) -> list[int]:
    return list(
        Department.objects.filter(path__startswith=department.path).values_list("id", flat=True)
    )
