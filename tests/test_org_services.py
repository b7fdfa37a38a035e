"""Organization services: validation, scope enforcement, compare-and-set, audit."""

from __future__ import annotations

import datetime

import pytest

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.forms import apply_domain_error
from jixiao.core.models import AuditRecord
from jixiao.org import services as s
from jixiao.org.access import scope_for
from jixiao.org.forms import DepartmentForm
from jixiao.org.models import Department, Person, PersonStatusChange, Role, RoleGrant
from jixiao.org.selectors import (
    department_tree,
    people_visible_to,
    reporting_chain,
    scope_counts,
)
from tests import factories as f

ACTOR = Actor.system("test")


def codes(exc: pytest.ExceptionInfo[DomainError]) -> dict[str | None, str]:
    return {e.field: e.code for e in exc.value.all_errors()}


@pytest.fixture
def sub_admin(org):
    """A performance administrator of 办公室 only."""
    user = f.make_user("subadmin")
    f.grant(user, Role.PERFORMANCE_ADMIN, org.office)
    return user


def test_sub_admin_cannot_create_person_in_another_subtree(org, sub_admin):
    scope = scope_for(sub_admin)
    data = s.PersonData(employee_no="B0001", name="越权", department_id=org.service.pk)
    with pytest.raises(DomainError) as exc:
        s.person_create(actor=ACTOR, scope=scope, data=data)
    assert exc.value.status == 403
    assert not Person.objects.filter(employee_no="B0001").exists()
    ok = s.person_create(
        actor=ACTOR,
        scope=scope,
        data=s.PersonData(employee_no="B0002", name="本部门", department_id=org.secretariat.pk),
    )
    assert ok.department_id == org.secretariat.pk


def test_sub_admin_cannot_move_people_or_departments_out_of_scope(org, sub_admin):
    scope = scope_for(sub_admin)
    emp = org.employee
    data = s.PersonData(employee_no=emp.employee_no, name=emp.name, department_id=org.service.pk)
    with pytest.raises(DomainError) as exc:
        s.person_update(
            actor=ACTOR, scope=scope, person_id=emp.pk, expected_version=emp.version, data=data
        )
    assert exc.value.status == 403
    sec = org.secretariat
    with pytest.raises(DomainError) as exc:
        s.department_update(
            actor=ACTOR,
            scope=scope,
            department_id=sec.pk,
            expected_version=sec.version,
            data=s.DepartmentData(
                code=sec.code, name=sec.name, kind=sec.kind, parent_id=org.service.pk
            ),
        )
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        s.department_set_active(
            actor=ACTOR, scope=scope, department_id=org.service.pk, active=False
        )
    assert exc.value.status == 403


def test_readers_cannot_write(org):
    for persona in ("leader", "head", "auditor", "employee"):
        scope = scope_for(org.users[persona])
        with pytest.raises(DomainError) as exc:
            s.post_set_active(actor=ACTOR, scope=scope, post_id=org.clerk_post.pk, active=False)
        assert exc.value.status == 403


def test_only_system_admin_creates_roots(org):
    data = s.DepartmentData(code="R001", name="另一单位", kind="unit")
    with pytest.raises(DomainError) as exc:
        s.department_create(actor=ACTOR, scope=scope_for(org.users["perfadmin"]), data=data)
    assert exc.value.status == 403
    root = s.department_create(actor=ACTOR, scope=scope_for(org.users["sysadmin"]), data=data)
    assert root.path == f"/{root.pk}/" and root.depth == 0


def test_department_validation(org):
    scope = scope_for(org.users["perfadmin"])
    with pytest.raises(DomainError) as exc:
        s.department_create(
            actor=ACTOR,
            scope=scope,
            data=s.DepartmentData(code=" D001 ", name=" ", kind="team", parent_id=org.unit.pk),
        )
    assert codes(exc) == {"code": "duplicate_code", "name": "required", "kind": "invalid_choice"}
    Department.objects.filter(pk=org.service.pk).update(is_active=False)
    with pytest.raises(DomainError) as exc:
        s.department_create(
            actor=ACTOR,
            scope=scope,
            data=s.DepartmentData(code="X1", name="x", kind="section", parent_id=org.service.pk),
        )
    assert codes(exc) == {"parent": "inactive_parent"}


def test_department_loop_and_move(org):
    scope = scope_for(org.users["perfadmin"])
    office = org.office
    for target in (office, org.secretariat):
        with pytest.raises(DomainError) as exc:
            s.department_update(
                actor=ACTOR,
                scope=scope,
                department_id=office.pk,
                expected_version=office.version,
                data=s.DepartmentData(
                    code=office.code, name=office.name, kind=office.kind, parent_id=target.pk
                ),
            )
        assert codes(exc) == {"parent": "tree_loop"}
    s.department_update(
        actor=ACTOR,
        scope=scope,
        department_id=office.pk,
        expected_version=office.version,
        data=s.DepartmentData(
            code=office.code, name=office.name, kind=office.kind, parent_id=org.service.pk
        ),
    )
    sec = Department.objects.get(pk=org.secretariat.pk)
    assert sec.path == f"{org.service.path}{office.pk}/{sec.pk}/" and sec.depth == 3
    tree = department_tree(org.users["perfadmin"])
    service_node = next(n for n in tree[0].children if n.department.pk == org.service.pk)
    assert service_node.total_headcount == 4


def test_department_update_compare_and_set(org):
    scope = scope_for(org.users["perfadmin"])
    office = org.office
    data = s.DepartmentData(
        code=office.code, name="综合办", kind=office.kind, parent_id=org.unit.pk
    )
    s.department_update(
        actor=ACTOR, scope=scope, department_id=office.pk, expected_version=1, data=data
    )
    with pytest.raises(DomainError) as exc:
        s.department_update(
            actor=ACTOR, scope=scope, department_id=office.pk, expected_version=1, data=data
        )
    assert exc.value.code == "concurrent_edit" and exc.value.status == 409


def test_department_deactivate_and_delete_rules(org):
    scope = scope_for(org.users["perfadmin"])
    with pytest.raises(DomainError) as exc:
        s.department_set_active(actor=ACTOR, scope=scope, department_id=org.office.pk, active=False)
    assert exc.value.code == "department_has_people"
    with pytest.raises(DomainError) as exc:
        s.department_delete(actor=ACTOR, scope=scope, department_id=org.service.pk)
    assert exc.value.code == "department_has_people"
    empty = f.make_department("空部门", org.unit)
    f.make_department("空科", empty, kind="section")
    with pytest.raises(DomainError) as exc:
        s.department_delete(actor=ACTOR, scope=scope, department_id=empty.pk)
    assert exc.value.code == "department_has_children"
    with pytest.raises(DomainError) as exc:
        s.department_set_active(actor=ACTOR, scope=scope, department_id=empty.pk, active=False)
    assert exc.value.code == "department_has_children"


def test_reporting_loop_refused(org):
    scope = scope_for(org.users["perfadmin"])
    head = org.head
    data = s.PersonData(
        employee_no=head.employee_no,
        name=head.name,
        department_id=head.department_id,
        superior_id=org.employee.pk,
    )
    with pytest.raises(DomainError) as exc:
        s.person_update(
            actor=ACTOR, scope=scope, person_id=head.pk, expected_version=head.version, data=data
        )
    assert codes(exc) == {"superior": "reporting_loop"}
    data.superior_id = head.pk
    with pytest.raises(DomainError) as exc:
        s.person_update(
            actor=ACTOR, scope=scope, person_id=head.pk, expected_version=head.version, data=data
        )
    assert codes(exc) == {"superior": "reporting_loop"}


def test_person_validation(org):
    scope = scope_for(org.users["perfadmin"])
    with pytest.raises(DomainError) as exc:
        s.person_create(
            actor=ACTOR,
            scope=scope,
            data=s.PersonData(
                employee_no="A0001", name="", department_id=999999, status="x", gender="X"
            ),
        )
    assert codes(exc) == {
        "employee_no": "duplicate_employee_no",
        "name": "required",
        "department": "unknown_department",
        "status": "invalid_choice",
        "gender": "invalid_choice",
    }


def test_person_status_history(org):
    scope = scope_for(org.users["perfadmin"])
    emp = org.employee
    p = s.person_change_status(
        actor=ACTOR,
        scope=scope,
        person_id=emp.pk,
        expected_version=emp.version,
        status="maternity",
        start_date=datetime.date(2026, 2, 1),
        note="产假",
    )
    p = s.person_change_status(
        actor=ACTOR,
        scope=scope,
        person_id=emp.pk,
        expected_version=p.version,
        status="active",
        start_date=datetime.date(2026, 7, 1),
    )
    rows = list(PersonStatusChange.objects.filter(person=emp).order_by("start_date"))
    assert [(r.status, r.end_date) for r in rows] == [
        ("maternity", datetime.date(2026, 7, 1)),
        ("active", None),
    ]
    with pytest.raises(DomainError) as exc:
        s.person_change_status(
            actor=ACTOR,
            scope=scope,
            person_id=emp.pk,
            expected_version=p.version - 1,
            status="seconded",
            start_date=datetime.date(2026, 8, 1),
        )
    assert exc.value.code == "concurrent_edit"


def test_role_grants(org, sub_admin):
    scope = scope_for(sub_admin)
    grant = s.role_grant_add(
        actor=ACTOR,
        scope=scope,
        user_id=org.employee.user_id,
        role=Role.AUDITOR,
        scope_department_id=org.secretariat.pk,
    )
    assert AuditRecord.objects.filter(action="org.role.grant", object_id=str(grant.pk)).exists()
    for role, dept in ((Role.AUDITOR, org.service.pk), (Role.SYSTEM_ADMIN, None)):
        with pytest.raises(DomainError) as exc:
            s.role_grant_add(
                actor=ACTOR,
                scope=scope,
                user_id=org.employee.user_id,
                role=role,
                scope_department_id=dept,
            )
        assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        s.role_grant_add(
            actor=ACTOR,
            scope=scope,
            user_id=999999,
            role=Role.AUDITOR,
            scope_department_id=org.office.pk,
        )
    assert codes(exc) == {"user": "unknown_user"}
    leader_grant = RoleGrant.objects.get(user=org.users["leader"])
    with pytest.raises(DomainError):
        s.role_grant_remove(actor=ACTOR, scope=scope, grant_id=leader_grant.pk)
    s.role_grant_remove(actor=ACTOR, scope=scope, grant_id=grant.pk)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()


def test_apply_domain_error_maps_fields(org):
    form = DepartmentForm(
        {"code": "x", "name": "y", "kind": "unit", "parent": org.unit.pk},
        scope=scope_for(org.users["perfadmin"]),
        parents=Department.objects.all(),
    )
    assert form.is_valid()
    from jixiao.core.errors import FieldError, validation_failed

    err = validation_failed(
        [
            FieldError("code", "a", "bad code"),
            FieldError("nowhere", "b", "other"),
            FieldError(None, "c", "general"),
        ]
    )
    apply_domain_error(form, err)
    assert form.errors["code"] == ["bad code"]
    assert form.non_field_errors() == ["other", "general"]


def test_selectors_counts_and_chain(org):
    chief = f.make_person("局长", org.unit)
    Person.objects.filter(pk=org.head.pk).update(superior=chief)
    emp = Person.objects.get(pk=org.employee.pk)
    assert [p.name for p in reporting_chain(emp)] == ["王主任", "局长"]
    counts = scope_counts(org.users["head"])
    assert counts.people == 3 and counts.departments == 2


def test_reports_outside_the_department_are_visible_through_the_reporting_line(org):
    """A head sees their department by path; a report elsewhere is added by id, and only it."""
    remote = f.make_person("远程", org.service, superior=org.head)
    indirect = f.make_person("间接", org.service, superior=remote)
    scope = scope_for(f.user_of(org.head))
    assert scope.outside_report_ids == {remote.pk, indirect.pk}
    visible = set(people_visible_to(f.user_of(org.head)).values_list("pk", flat=True))
    assert {remote.pk, indirect.pk, org.employee.pk, org.peer.pk} <= visible
    assert org.outsider.pk not in visible
