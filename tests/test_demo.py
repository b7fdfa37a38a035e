"""The demo organization: deterministic, a consistent tree, every special status, working accounts,
and a number of queries that does not grow with the number of people."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jixiao.accounts.models import User
from jixiao.core.models import AuditRecord
from jixiao.org import demo
from jixiao.org.access import scope_for
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Person,
    PersonStatus,
    PersonStatusChange,
    Post,
    Role,
    RoleGrant,
)
from jixiao.org.selectors import people_visible_to

TODAY = datetime.date(2026, 6, 30)


def fingerprint() -> list[tuple[object, ...]]:
    people = Person.objects.order_by("employee_no").values_list(
        "employee_no",
        "name",
        "gender",
        "department__code",
        "post__code",
        "rank",
        "superior__employee_no",
        "hire_date",
        "status",
        "status_since",
    )
    return list(people)


def test_plan_is_deterministic_for_a_seed():
    a = demo.plan_demo(seed=7, people=300, today=TODAY)
    b = demo.plan_demo(seed=7, people=300, today=TODAY)
    c = demo.plan_demo(seed=8, people=300, today=TODAY)
    assert [(p.name, p.dept, p.post, p.hire_date) for p in a.people] == [
        (p.name, p.dept, p.post, p.hire_date) for p in b.people
    ]
    assert [p.name for p in a.people] != [p.name for p in c.people]


@pytest.mark.parametrize("people", [demo.minimum_people(), 100, 260, 1234, 5000])
def test_plan_has_exactly_the_people_asked_for(people):
    plan = demo.plan_demo(seed=1, people=people, today=TODAY)
    assert len(plan.people) == people
    assert len({p.employee_no for p in plan.people}) == people
    assert len({d.code for d in plan.departments}) == len(plan.departments)
    assert len({p.code for p in plan.posts}) == len(plan.posts)


def test_plan_refuses_too_few_people():
    with pytest.raises(ValueError):
        demo.plan_demo(people=demo.minimum_people() - 1)
    with pytest.raises(CommandError):
        call_command("demo", "--people", "10", stdout=io.StringIO())


def test_large_plans_grow_departments_and_keep_sections_small():
    plan = demo.plan_demo(seed=1, people=20000, today=TODAY)
    departments = [d for d in plan.departments if d.depth == 1]
    assert 15 < len(departments) < 60
    sizes: dict[int, int] = {}
    for p in plan.people:
        sizes[p.dept] = sizes.get(p.dept, 0) + 1
    sections = [d for d in plan.departments if d.depth == 2]
    assert max(sizes[s.key] for s in sections) <= demo.PEOPLE_PER_SECTION + 1
    assert any("分中心" in d.name for d in departments)


@pytest.mark.django_db
def test_build_is_deterministic():
    demo.build_demo(seed=11, people=150, today=TODAY)
    first = fingerprint()
    demo.build_demo(seed=11, people=150, today=TODAY, reset=True)
    assert fingerprint() == first
    demo.build_demo(seed=12, people=150, today=TODAY, reset=True)
    assert fingerprint() != first


@pytest.mark.django_db
def test_structure_of_the_bureau():
    result = demo.build_demo(seed=3, people=260, today=TODAY)
    assert result.built and result.people == Person.objects.count() == 260
    root = Department.objects.get(parent=None)
    assert root.name == "某市政务服务管理局" and root.kind == DepartmentKind.UNIT
    top = set(Department.objects.filter(parent=root).values_list("name", flat=True))
    expected = {
        "局领导",
        "办公室",
        "政策法规科",
        "政务服务科",
        "12345热线中心",
        "审批管理科",
        "数据管理科",
        "督查考核科",
        "人事科",
        "财务科",
        "机关党委",
    }
    assert expected <= top
    assert 10 <= len(top) <= 15
    office_sections = set(
        Department.objects.filter(parent__name="办公室").values_list("name", flat=True)
    )
    assert {
        "文秘科",
        "会务科",
        "后勤保障科",
        "物资管理科",
        "车辆管理科",
        "信息化科",
    } <= office_sections
    assert Department.objects.filter(parent__name="政务服务科", name__contains="综合窗口").exists()
    assert Department.objects.filter(kind=DepartmentKind.SECTION).count() >= 10
    # Posts have written duties over several lines, categories and classes.
    post = Post.objects.filter(name="公文管理岗").first()
    assert post is not None and post.duties.count("\n") >= 2
    assert {"leadership", "non_leadership"} == set(Post.objects.values_list("category", flat=True))
    assert {"management", "professional", "support"} == set(
        Post.objects.values_list("post_class", flat=True)
    )
    ranks = set(Person.objects.values_list("rank", flat=True))
    assert {"正科", "一级科员", "四级主任科员"} <= ranks
    assert all(p.startswith("ZW") for p in Person.objects.values_list("employee_no", flat=True))
    # One audit record summarises the build.
    records = AuditRecord.objects.filter(action="org.demo.build")
    assert records.count() == 1 and records.get().source == "cli"


@pytest.mark.django_db
def test_tree_paths_and_depths_match_parents():
    demo.build_demo(seed=5, people=400, today=TODAY)
    by_id = {d.pk: d for d in Department.objects.all()}
    for d in by_id.values():
        if d.parent_id is None:
            assert d.path == f"/{d.pk}/" and d.depth == 0
        else:
            parent = by_id[d.parent_id]
            assert d.path == f"{parent.path}{d.pk}/"
            assert d.depth == parent.depth + 1


@pytest.mark.django_db
def test_every_special_status_and_new_hires_present():
    demo.build_demo(seed=5, people=260, today=TODAY)
    statuses = set(Person.objects.values_list("status", flat=True))
    assert set(PersonStatus.values) <= statuses
    recent = TODAY - datetime.timedelta(days=183)
    assert Person.objects.filter(hire_date__gt=recent, status=PersonStatus.ACTIVE).count() >= 3
    for person in Person.objects.exclude(status=PersonStatus.ACTIVE):
        assert person.status_since is not None and person.status_since <= TODAY
        history = list(person.status_changes.order_by("start_date"))
        assert [h.status for h in history] == [PersonStatus.ACTIVE, person.status]
        assert history[0].end_date == history[1].start_date == person.status_since
        assert history[1].end_date is None
    assert not Person.objects.filter(status=PersonStatus.LEFT, is_active=True).exists()
    assert not Person.objects.filter(status=PersonStatus.MATERNITY_LEAVE, gender="M").exists()
    # Every person has exactly one open status period.
    assert PersonStatusChange.objects.filter(end_date=None).count() == Person.objects.count()


@pytest.mark.django_db
def test_reporting_lines_have_no_loops_and_follow_the_structure():
    demo.build_demo(seed=9, people=400, today=TODAY)
    rows = list(
        Person.objects.values_list("id", "superior_id", "department__path", "post__category")
    )
    superior = {pk: sup for pk, sup, _, _ in rows}
    path = {pk: p for pk, _, p, _ in rows}
    tops = [pk for pk, sup in superior.items() if sup is None]
    assert len(tops) == 1  # the 局长
    for pk in superior:
        seen = {pk}
        node = superior[pk]
        while node is not None:
            assert node not in seen
            seen.add(node)
            node = superior[node]
        assert len(seen) <= 6
    # Each department head reports to a 局领导; everyone else reports inside their own subtree.
    for dept in Department.objects.filter(depth=1).exclude(name="局领导"):
        heads = Person.objects.filter(department=dept, superior__department__name="局领导")
        assert heads.count() == 1
        post = heads.get().post
        assert post is not None and post.category == "leadership"
    for _pk, sup, p, _ in rows:
        if sup is not None and path[sup].count("/") > 3:
            assert p.startswith(path[sup])


@pytest.mark.django_db
def test_demo_accounts_sign_in_and_hold_their_roles():
    demo.build_demo(seed=2, people=200, today=TODAY)
    for username in demo.demo_usernames():
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": username, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
    grants = {
        (g.user.username, g.role, g.scope.name if g.scope else None)
        for g in RoleGrant.objects.select_related("user", "scope")
    }
    root = "某市政务服务管理局"
    assert grants == {
        ("sysadmin", Role.SYSTEM_ADMIN, None),
        ("perfadmin", Role.PERFORMANCE_ADMIN, root),
        ("leader", Role.UNIT_LEADER, root),
        ("head", Role.DEPARTMENT_HEAD, "办公室"),
        ("auditor", Role.AUDITOR, root),
    }
    users = {u.username: u for u in User.objects.all()}
    head = Person.objects.get(user=users["head"])
    employee = Person.objects.get(user=users["employee"])
    leader = Person.objects.get(user=users["leader"])
    assert head.department.name == "办公室" and head.post is not None
    assert employee.superior_id == head.pk and employee.department_id == head.department_id
    assert leader.department.name == "局领导" and leader.superior_id is None
    assert head.superior_id is not None
    assert scope_for(users["sysadmin"]).is_system_admin
    assert not scope_for(users["employee"]).roles
    assert people_visible_to(users["head"]).filter(pk=employee.pk).exists()


@pytest.mark.django_db
def test_if_empty_leaves_an_existing_organization_alone():
    demo.build_demo(seed=1, people=120, today=TODAY)
    before = fingerprint()
    out = io.StringIO()
    call_command("demo", "--if-empty", "--people", "300", stdout=out)
    assert fingerprint() == before
    text = out.getvalue()
    assert "nothing changed" in text and "perfadmin" in text and demo.DEMO_PASSWORD in text
    with pytest.raises(CommandError):
        call_command("demo", "--people", "120", stdout=io.StringIO())
    assert AuditRecord.objects.filter(action="org.demo.build").count() == 1


@pytest.mark.django_db
def test_reset_rebuilds_keeping_audit_records_and_demo_users():
    demo.build_demo(seed=1, people=120, today=TODAY)
    perfadmin_id = User.objects.get(username="perfadmin").pk
    out = io.StringIO()
    call_command("demo", "--reset", "--people", "150", "--seed", "4", stdout=out)
    assert "150" in out.getvalue()
    assert Person.objects.count() == 150
    assert Department.objects.filter(parent=None).count() == 1
    assert RoleGrant.objects.count() == 5
    assert User.objects.get(username="perfadmin").pk == perfadmin_id
    assert AuditRecord.objects.filter(action="org.demo.build").count() == 2


@pytest.mark.django_db
def test_query_count_does_not_grow_with_people():
    demo.build_demo(seed=1, people=100, today=TODAY)
    with CaptureQueriesContext(connection) as small:
        demo.build_demo(seed=1, people=100, today=TODAY, reset=True)
    with CaptureQueriesContext(connection) as large:
        demo.build_demo(seed=1, people=400, today=TODAY, reset=True)
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
    assert len(large.captured_queries) < 62  # the org, and the demo extensions' clear()
