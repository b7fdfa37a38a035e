"""The organization pages: permissions, maintenance through forms, errors, queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from jixiao.core.models import AuditRecord
from jixiao.org.models import Department, Person, PersonStatusChange, Post, Role, RoleGrant
from tests import factories as f

# ------------------------------------------------------------------ permissions


def _object_pages(org):
    """(url name, args) of every page about one object, and whether it is a write page."""
    head_grant = RoleGrant.objects.get(user=org.users["head"], role=Role.DEPARTMENT_HEAD)
    return [
        ("org:department_detail", [org.office.pk], False),
        ("org:department_edit", [org.office.pk], True),
        ("org:department_deactivate", [org.office.pk], True),
        ("org:department_delete", [org.office.pk], True),
        ("org:post_detail", [org.clerk_post.pk], False),
        ("org:post_edit", [org.clerk_post.pk], True),
        ("org:post_deactivate", [org.clerk_post.pk], True),
        ("org:person_detail", [org.employee.pk], False),
        ("org:person_edit", [org.employee.pk], True),
        ("org:person_status", [org.employee.pk], True),
    ], head_grant


def test_object_pages_outsider_404_reader_403_manager_200(org, client_for):
    pages, _ = _object_pages(org)
    outsider, leader, head, perfadmin = (
        client_for(p) for p in ("outsider", "leader", "head", "perfadmin")
    )
    for name, args, write in pages:
        url = reverse(name, args=args)
        assert outsider.get(url).status_code == 404, url
        assert leader.get(url).status_code == (403 if write else 200), url
        assert head.get(url).status_code == (403 if write else 200), url
        assert perfadmin.get(url).status_code == 200, url


def test_post_endpoints_outsider_404_reader_403(org, client_for):
    pages, head_grant = _object_pages(org)
    posts = [(n, a) for n, a, write in pages if write] + [
        ("org:role_grant_add", [org.head.pk]),
        ("org:role_grant_remove", [org.head.pk, head_grant.pk]),
    ]
    outsider, leader = client_for("outsider"), client_for("leader")
    for name, args in posts:
        url = reverse(name, args=args)
        assert outsider.post(url, {"reason": "x"}).status_code == 404, url
        assert leader.post(url, {"reason": "x"}).status_code == 403, url
    assert RoleGrant.objects.filter(pk=head_grant.pk).exists()
    assert Department.objects.filter(pk=org.office.pk, is_active=True).exists()


def test_create_pages_need_a_manager(org, client_for):
    for name in ("org:department_create", "org:post_create", "org:person_create"):
        url = reverse(name)
        for persona in ("outsider", "employee", "leader", "head", "auditor"):
            assert client_for(persona).get(url).status_code == 403, (url, persona)
            assert client_for(persona).post(url, {}).status_code == 403, (url, persona)
        assert client_for("perfadmin").get(url).status_code == 200
        assert client_for("sysadmin").get(url).status_code == 200


def test_list_pages_show_only_the_scope(org, client_for):
    names = lambda r: {p.name for p in r.context["page_obj"]}  # noqa: E731
    r = client_for("employee").get(reverse("org:people"))
    assert r.status_code == 200
    assert names(r) == {"李文"} and "陈晨" not in r.text
    r = client_for("head").get(reverse("org:people"))
    assert names(r) == {"王主任", "李文", "赵敏"}
    assert "陈晨" not in r.text
    r = client_for("outsider").get(reverse("org:posts"))
    assert "窗口受理岗" in r.text and "文秘岗" not in r.text
    r = client_for("outsider").get(reverse("org:tree"))
    assert "政务服务科" in r.text and "办公室" not in r.text
    assert 'id="new-department"' not in r.text


def test_anonymous_is_sent_to_sign_in(org, client):
    for name in ("home", "org:tree", "org:people", "org:posts"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


# ------------------------------------------------------------------ home


def test_home_shows_person_card_and_counts(org, client_for):
    f.make_person("新人", org.secretariat, hire_date=datetime.date.today(), status="maternity")
    r = client_for("head").get(reverse("home"))
    assert r.status_code == 200
    assert 'id="my-card"' in r.text and "王主任" in r.text and "办公室主任" in r.text
    counts = r.context["counts"]
    assert counts.people == 4 and counts.departments == 2
    assert counts.maternity == 1 and counts.recent_hires == 1
    r = client_for("employee").get(reverse("home"))
    assert "王主任" in r.text  # the superior on the card


def test_home_empty_state_without_person(org, client_for):
    r = client_for("perfadmin").get(reverse("home"))
    assert r.status_code == 200
    assert 'id="no-person"' in r.text
    assert r.context["counts"].people == 4


# ------------------------------------------------------------------ tree


def test_tree_shows_kinds_and_headcounts(org, client_for):
    r = client_for("perfadmin").get(reverse("org:tree"))
    assert r.status_code == 200
    assert 'id="org-tree"' in r.text
    assert 'data-kind="section"' in r.text and "科室" in r.text
    assert f'data-department-id="{org.unit.pk}"' in r.text
    assert 'data-headcount="1" data-total="3"' in r.text  # 办公室: the head + 2 in 文秘科
    assert 'id="new-department"' in r.text


def test_tree_hides_deactivated_unless_asked(org, client_for):
    dead = f.make_department("撤销科", org.office, kind="section")
    Department.objects.filter(pk=dead.pk).update(is_active=False)
    c = client_for("perfadmin")
    assert "撤销科" not in c.get(reverse("org:tree")).text
    assert "撤销科" in c.get(reverse("org:tree") + "?inactive=1").text


def _people(n, dept, post):
    boss = f.make_person("主管", dept, post=post)
    for i in range(n):
        f.make_person(f"员工{i}", dept, post=post, superior=boss)


@pytest.mark.parametrize("url_name", ["org:tree", "org:people", "org:posts", "home"])
def test_list_queries_do_not_grow_with_people(org, client_for, url_name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for("perfadmin")
    url = reverse(url_name)
    _people(5, org.service, org.window_post)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _people(45, org.secretariat, org.clerk_post)
    with CaptureQueriesContext(connection) as big:
        assert c.get(url).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)


def test_people_list_query_count(org, client_for, django_assert_max_num_queries):
    _people(50, org.service, org.window_post)
    c = client_for("perfadmin")
    with django_assert_max_num_queries(12):
        r = c.get(reverse("org:people"))
    assert r.status_code == 200
    with django_assert_max_num_queries(8):
        c.get(reverse("org:tree"))


# ------------------------------------------------------------------ people list


def test_people_list_columns_links_and_filters(org, client_for):
    f.make_person("孙借", org.service, status="seconded", rank="二级主任科员")
    c = client_for("perfadmin")
    r = c.get(reverse("org:people"))
    assert 'id="people-table"' in r.text
    assert r.text.count("data-person-link") == 5
    assert "A0002" in r.text and "文秘岗" in r.text and "2018-03-01" in r.text
    r = c.get(reverse("org:people"), {"q": "A0002"})
    assert r.context["page_obj"].paginator.count == 1
    r = c.get(reverse("org:people"), {"q": "窗口"})  # by post name
    assert {p.name for p in r.context["page_obj"]} == {"陈晨"}
    r = c.get(reverse("org:people"), {"status": "seconded"})
    assert [p.name for p in r.context["page_obj"]] == ["孙借"]
    r = c.get(reverse("org:people"), {"rank": "二级主任科员"})
    assert [p.name for p in r.context["page_obj"]] == ["孙借"]
    r = c.get(reverse("org:people"), {"department": org.office.pk, "subdepartments": "1"})
    assert r.context["page_obj"].paginator.count == 3
    r = c.get(reverse("org:people"), {"department": org.office.pk, "subdepartments": "0"})
    assert [p.name for p in r.context["page_obj"]] == ["王主任"]
    r = c.get(reverse("org:people"), {"post_class": "professional"})
    assert 'data-count="0"' in r.text  # empty state


def test_people_list_inactive_filter_and_htmx_partial(org, client_for):
    Person.objects.filter(pk=org.peer.pk).update(is_active=False, status="left")
    c = client_for("perfadmin")
    names = lambda r: {p.name for p in r.context["page_obj"]}  # noqa: E731
    assert "赵敏" not in names(c.get(reverse("org:people")))
    assert names(c.get(reverse("org:people"), {"active": "0"})) == {"赵敏"}
    assert "赵敏" in names(c.get(reverse("org:people"), {"active": ""}))
    r = c.get(reverse("org:people"), {"active": "0"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and 'id="people-results"' in r.text and "赵敏" in r.text


def test_people_list_paginates_by_50(org, client_for):
    _people(60, org.service, org.window_post)
    c = client_for("perfadmin")
    r = c.get(reverse("org:people"), {"q": "员工"})
    assert len(r.context["page_obj"].object_list) == 50
    r = c.get(reverse("org:people"), {"q": "员工", "page": 2})
    assert len(r.context["page_obj"].object_list) == 10
    assert "?q=%E5%91%98%E5%B7%A5&page=1" in r.text


# ------------------------------------------------------------------ departments


def _dept_post(dept, **over):
    data = {
        "code": dept.code,
        "name": dept.name,
        "kind": dept.kind,
        "parent": dept.parent_id or "",
        "sort_order": dept.sort_order,
        "description": dept.description,
        "version": dept.version,
        "reason": "",
    }
    data.update(over)
    return data


def test_department_create_edit_move_deactivate(org, client_for):
    c = client_for("perfadmin")
    r = c.post(
        reverse("org:department_create"),
        {
            "code": "D099",
            "name": "信息科",
            "kind": "section",
            "parent": org.office.pk,
            "sort_order": 3,
            "description": "负责信息化",
        },
    )
    assert r.status_code == 302
    dept = Department.objects.get(code="D099")
    assert dept.path == f"{org.office.path}{dept.pk}/" and dept.depth == 2
    assert r["Location"] == reverse("org:department_detail", args=[dept.pk])

    r = c.post(reverse("org:department_edit", args=[dept.pk]), _dept_post(dept, name="信息中心"))
    assert r.status_code == 302
    dept.refresh_from_db()
    assert dept.name == "信息中心" and dept.version == 2

    # move under 政务服务科: path and depth follow
    r = c.post(
        reverse("org:department_edit", args=[dept.pk]),
        _dept_post(dept, parent=org.service.pk, reason="机构调整"),
    )
    assert r.status_code == 302
    dept.refresh_from_db()
    assert dept.parent_id == org.service.pk and dept.path == f"{org.service.path}{dept.pk}/"

    page = c.get(reverse("org:department_detail", args=[dept.pk]))
    assert "政务服务科" in page.text and 'id="delete-department"' in page.text
    assert "机构调整" in page.text  # the history shows the reason

    r = c.post(
        reverse("org:department_deactivate", args=[dept.pk]), {"active": "0", "reason": "撤并"}
    )
    assert r.status_code == 302
    dept.refresh_from_db()
    assert not dept.is_active
    r = c.post(reverse("org:department_deactivate", args=[dept.pk]), {"active": "1"})
    dept.refresh_from_db()
    assert r.status_code == 302 and dept.is_active


def test_moving_a_subtree_moves_its_descendants(org, client_for):
    c = client_for("sysadmin")
    r = c.post(
        reverse("org:department_edit", args=[org.office.pk]),
        _dept_post(org.office, parent=org.service.pk),
    )
    assert r.status_code == 302
    org.secretariat.refresh_from_db()
    assert org.secretariat.path == f"{org.service.path}{org.office.pk}/{org.secretariat.pk}/"
    assert org.secretariat.depth == 3


def test_department_loop_refused_with_field_error(org, client_for):
    c = client_for("perfadmin")
    r = c.post(
        reverse("org:department_edit", args=[org.office.pk]),
        _dept_post(org.office, parent=org.secretariat.pk, name="办公室（改）"),
    )
    assert r.status_code == 200
    assert 'data-field-error="parent"' in r.text
    assert "办公室（改）" in r.text  # what was typed is kept
    org.office.refresh_from_db()
    assert org.office.parent_id == org.unit.pk and org.office.name == "办公室"


def test_department_duplicate_code_and_required_fields(org, client_for):
    c = client_for("perfadmin")
    r = c.post(
        reverse("org:department_create"),
        {"code": "D001", "name": "新部门", "kind": "department", "parent": org.unit.pk},
    )
    assert r.status_code == 200
    assert 'data-field-error="code"' in r.text and "新部门" in r.text
    r = c.post(reverse("org:department_create"), {"code": "", "name": "", "kind": "department"})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert {"code", "name", "parent"} <= set(errors)  # a perf admin cannot create a root


def test_department_edit_stale_version_refused_and_data_kept(org, client_for):
    c = client_for("perfadmin")
    stale = org.office.version
    Department.objects.filter(pk=org.office.pk).update(version=stale + 1)
    r = c.post(
        reverse("org:department_edit", args=[org.office.pk]),
        _dept_post(org.office, version=stale, name="综合办公室"),
    )
    assert r.status_code == 409
    assert "综合办公室" in r.text
    assert r.context["form"].non_field_errors()
    org.office.refresh_from_db()
    assert org.office.name == "办公室"


def test_department_edit_writes_one_audit_record(org, client_for):
    c = client_for("perfadmin")
    before = AuditRecord.objects.count()
    r = c.post(
        reverse("org:department_edit", args=[org.office.pk]),
        _dept_post(org.office, name="综合办公室", reason="更名"),
    )
    assert r.status_code == 302
    assert AuditRecord.objects.count() == before + 1
    rec = AuditRecord.objects.latest("id")
    assert rec.action == "org.department.update"
    assert rec.object_id == str(org.office.pk)
    assert rec.changes == {"name": ["办公室", "综合办公室"]}
    assert rec.reason == "更名" and rec.actor_label == "perfadmin" and rec.source == "web"


def test_department_with_people_cannot_be_deleted_but_deactivated_after_move(org, client_for):
    c = client_for("perfadmin")
    page = c.get(reverse("org:department_detail", args=[org.service.pk]))
    assert 'id="delete-department"' not in page.text
    r = c.post(reverse("org:department_delete", args=[org.service.pk]), {"reason": "撤销"})
    assert r.status_code == 400
    assert Department.objects.filter(pk=org.service.pk).exists()
    r = c.post(reverse("org:department_deactivate", args=[org.service.pk]), {"active": "0"})
    assert r.status_code == 400
    assert Department.objects.get(pk=org.service.pk).is_active

    # move the person out, then deactivation works
    outsider = Person.objects.get(pk=org.outsider.pk)
    r = c.post(
        reverse("org:person_edit", args=[outsider.pk]),
        _person_post(outsider, department=org.office.pk, post=""),
    )
    assert r.status_code == 302, r.context and r.context["form"].errors
    r = c.post(reverse("org:department_deactivate", args=[org.service.pk]), {"active": "0"})
    assert r.status_code == 302
    assert not Department.objects.get(pk=org.service.pk).is_active
    # still not deletable: it had people and posts
    r = c.post(reverse("org:department_delete", args=[org.service.pk]))
    assert r.status_code == 400


def test_empty_department_can_be_deleted(org, client_for):
    empty = f.make_department("临时组", org.office, kind="section")
    c = client_for("perfadmin")
    page = c.get(reverse("org:department_detail", args=[empty.pk]))
    assert 'id="delete-department"' in page.text
    r = c.post(reverse("org:department_delete", args=[empty.pk]), {"reason": "误建"})
    assert r.status_code == 302 and r["Location"] == reverse(
        "org:department_detail", args=[org.office.pk]
    )
    assert not Department.objects.filter(pk=empty.pk).exists()
    rec = AuditRecord.objects.latest("id")
    assert rec.action == "org.department.delete" and rec.reason == "误建"


def test_department_page_breadcrumb_children_people(org, client_for):
    r = client_for("head").get(reverse("org:department_detail", args=[org.secretariat.pk]))
    assert r.status_code == 200
    # the unit is above the head's scope: named but not linked
    assert "某市政务服务管理局" in r.text
    assert reverse("org:department_detail", args=[org.unit.pk]) not in r.text
    assert reverse("org:department_detail", args=[org.office.pk]) in r.text
    assert "李文" in r.text and "赵敏" in r.text
    assert 'id="department-actions"' not in r.text and 'id="history"' not in r.text
    r = client_for("perfadmin").get(reverse("org:department_detail", args=[org.office.pk]))
    assert "文秘科" in r.text and "办公室主任" in r.text and 'id="history"' in r.text


# ------------------------------------------------------------------ posts


def _post_post(post, **over):
    data = {
        "code": post.code,
        "name": post.name,
        "department": post.department_id,
        "category": post.category,
        "post_class": post.post_class,
        "headcount": post.headcount,
        "duties": post.duties,
        "version": post.version,
        "reason": "",
    }
    data.update(over)
    return data


def test_post_create_edit_deactivate(org, client_for):
    c = client_for("perfadmin")
    duties = "1. 负责公文收发；\n2. 负责会议组织。"
    r = c.post(
        reverse("org:post_create"),
        {
            "code": "P099",
            "name": "综合岗",
            "department": org.office.pk,
            "category": "non_leadership",
            "post_class": "management",
            "headcount": 2,
            "duties": duties,
        },
    )
    assert r.status_code == 302
    post = Post.objects.get(code="P099")
    page = c.get(reverse("org:post_detail", args=[post.pk]))
    assert duties in page.text
    r = c.post(reverse("org:post_edit", args=[post.pk]), _post_post(post, headcount=3))
    assert r.status_code == 302
    post.refresh_from_db()
    assert post.headcount == 3 and post.version == 2
    r = c.post(reverse("org:post_deactivate", args=[post.pk]), {"active": "0", "reason": "撤岗"})
    assert r.status_code == 302
    post.refresh_from_db()
    assert not post.is_active


def test_post_with_holders_cannot_be_deactivated(org, client_for):
    c = client_for("perfadmin")
    r = c.post(reverse("org:post_deactivate", args=[org.clerk_post.pk]), {"active": "0"})
    assert r.status_code == 400
    assert Post.objects.get(pk=org.clerk_post.pk).is_active


def test_post_duplicate_code_and_stale_version(org, client_for):
    c = client_for("perfadmin")
    r = c.post(
        reverse("org:post_edit", args=[org.clerk_post.pk]),
        _post_post(org.clerk_post, code="P001", name="文秘岗二"),
    )
    assert r.status_code == 200 and 'data-field-error="code"' in r.text and "文秘岗二" in r.text
    r = c.post(
        reverse("org:post_edit", args=[org.clerk_post.pk]),
        _post_post(org.clerk_post, version=99, name="文秘岗三"),
    )
    assert r.status_code == 409 and "文秘岗三" in r.text


def test_post_list_filters(org, client_for):
    c = client_for("perfadmin")
    r = c.get(reverse("org:posts"))
    assert r.context["page_obj"].paginator.count == 3
    holders = {p.code: p.holders for p in r.context["page_obj"]}
    assert holders == {"P001": 1, "P002": 2, "P003": 1}
    r = c.get(reverse("org:posts"), {"q": "窗口"})
    assert [p.code for p in r.context["page_obj"]] == ["P003"]
    r = c.get(reverse("org:posts"), {"category": "leadership"})
    assert [p.code for p in r.context["page_obj"]] == ["P001"]
    r = c.get(reverse("org:posts"), {"department": org.secretariat.pk})
    assert [p.code for p in r.context["page_obj"]] == ["P002"]
    r = c.get(reverse("org:posts"), {"post_class": "support"})
    assert r.context["page_obj"].paginator.count == 0 and "posts-table" in r.text


# ------------------------------------------------------------------ people


def _person_post(person, **over):
    data = {
        "employee_no": person.employee_no,
        "name": person.name,
        "gender": person.gender,
        "department": person.department_id,
        "post": person.post_id or "",
        "rank": person.rank,
        "superior": person.superior_id or "",
        "hire_date": person.hire_date.isoformat() if person.hire_date else "",
        "email": person.email,
        "phone": person.phone,
        "version": person.version,
        "reason": "",
    }
    data.update(over)
    return data


def test_person_create_and_duplicate_employee_no_keeps_typed_values(org, client_for):
    c = client_for("perfadmin")
    data = {
        "employee_no": "A0002",
        "name": "周新",
        "gender": "F",
        "department": org.secretariat.pk,
        "post": org.clerk_post.pk,
        "rank": "四级主任科员",
        "superior": org.head.pk,
        "hire_date": "2025-09-01",
        "status": "active",
        "email": "zhou@example.cn",
    }
    r = c.post(reverse("org:person_create"), data)
    assert r.status_code == 200
    assert 'data-field-error="employee_no"' in r.text
    assert "周新" in r.text and "四级主任科员" in r.text and "zhou@example.cn" in r.text
    assert not Person.objects.filter(name="周新").exists()
    r = c.post(reverse("org:person_create"), {**data, "employee_no": "A0100"})
    assert r.status_code == 302
    person = Person.objects.get(employee_no="A0100")
    assert person.status_since == datetime.date(2025, 9, 1)
    assert person.status_changes.count() == 1


def test_person_reporting_loop_refused(org, client_for):
    c = client_for("perfadmin")
    # A → B: the employee reports to the head. Making the head report to the employee is a loop.
    head = Person.objects.get(pk=org.head.pk)
    r = c.post(
        reverse("org:person_edit", args=[head.pk]), _person_post(head, superior=org.employee.pk)
    )
    assert r.status_code == 200
    assert 'data-field-error="superior"' in r.text
    head.refresh_from_db()
    assert head.superior_id is None


def test_person_edit_stale_version_and_audit(org, client_for):
    c = client_for("perfadmin")
    emp = Person.objects.get(pk=org.employee.pk)
    before = AuditRecord.objects.count()
    r = c.post(
        reverse("org:person_edit", args=[emp.pk]),
        _person_post(emp, rank="三级主任科员", reason="晋升"),
    )
    assert r.status_code == 302
    assert AuditRecord.objects.count() == before + 1
    rec = AuditRecord.objects.latest("id")
    assert rec.changes == {"rank": ["一级科员", "三级主任科员"]} and rec.reason == "晋升"
    r = c.post(reverse("org:person_edit", args=[emp.pk]), _person_post(emp, phone="12345"))
    assert r.status_code == 409 and "12345" in r.text  # emp.version is now stale
    assert AuditRecord.objects.count() == before + 1


def test_person_status_change_via_page(org, client_for):
    c = client_for("perfadmin")
    emp = Person.objects.get(pk=org.employee.pk)
    r = c.post(
        reverse("org:person_status", args=[emp.pk]),
        {
            "status": "seconded",
            "start_date": "2026-01-05",
            "note": "借调至市委办",
            "version": emp.version,
        },
    )
    assert r.status_code == 302
    emp.refresh_from_db()
    assert emp.status == "seconded" and emp.status_since == datetime.date(2026, 1, 5)
    page = c.get(reverse("org:person_detail", args=[emp.pk]))
    assert "借调至市委办" in page.text and "2026-01-05" in page.text
    # before the current status: refused on the field
    r = c.post(
        reverse("org:person_status", args=[emp.pk]),
        {"status": "active", "start_date": "2025-12-01", "version": emp.version},
    )
    assert r.status_code == 200 and 'data-field-error="start_date"' in r.text
    # left: deactivates
    r = c.post(
        reverse("org:person_status", args=[emp.pk]),
        {"status": "left", "start_date": "2026-03-01", "version": emp.version},
    )
    emp.refresh_from_db()
    assert r.status_code == 302 and not emp.is_active
    assert PersonStatusChange.objects.filter(person=emp).count() == 2


def test_person_page_shows_chain_reports_and_grants(org, client_for):
    chief = f.make_person("局长", org.unit)
    Person.objects.filter(pk=org.head.pk).update(superior=chief)
    r = client_for("perfadmin").get(reverse("org:person_detail", args=[org.employee.pk]))
    assert r.status_code == 200
    assert '<h1 class="page-title" id="person-name">李文</h1>' in r.text
    assert [p.name for p in r.context["chain"]] == ["王主任", "局长"]
    r = client_for("perfadmin").get(reverse("org:person_detail", args=[org.head.pk]))
    assert {p.name for p in r.context["reports"]} == {"李文", "赵敏"}
    assert 'id="role-grant-form"' in r.text and "部门负责人" in r.text
    # the employee sees their own page, without management forms
    r = client_for("employee").get(reverse("org:person_detail", args=[org.employee.pk]))
    assert r.status_code == 200
    assert 'id="person-actions"' not in r.text and 'id="role-grant-form"' not in r.text


def test_role_grant_add_and_remove(org, client_for):
    c = client_for("perfadmin")
    url = reverse("org:role_grant_add", args=[org.employee.pk])
    r = c.post(
        url, {"role": "department_head", "scope_department": org.secretariat.pk, "reason": "任命"}
    )
    assert r.status_code == 302
    grant = RoleGrant.objects.get(user=org.employee.user, role="department_head")
    assert grant.scope_id == org.secretariat.pk
    # a role without a scope: field error on the scope
    r = c.post(url, {"role": "auditor", "scope_department": ""})
    assert r.status_code == 400 and 'data-field-error="scope_department"' in r.text
    # a perf admin cannot grant system admin (not even offered)
    r = c.post(url, {"role": "system_admin"})
    assert r.status_code == 400
    assert not RoleGrant.objects.filter(user=org.employee.user, role="system_admin").exists()
    r = c.post(
        reverse("org:role_grant_remove", args=[org.employee.pk, grant.pk]), {"reason": "免职"}
    )
    assert r.status_code == 302 and not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditRecord.objects.latest("id").action == "org.role.revoke"
    # a grant of another person cannot be removed through this person's URL
    head_grant = RoleGrant.objects.get(user=org.users["head"])
    r = c.post(reverse("org:role_grant_remove", args=[org.employee.pk, head_grant.pk]))
    assert r.status_code == 404


def test_perf_admin_of_subtree_cannot_reach_other_subtree(org, client_for):
    sub_admin = f.make_user("subadmin")
    f.grant(sub_admin, Role.PERFORMANCE_ADMIN, org.office)
    from django.test import Client

    c = Client()
    c.force_login(sub_admin)
    assert c.get(reverse("org:person_edit", args=[org.employee.pk])).status_code == 200
    assert c.get(reverse("org:person_edit", args=[org.outsider.pk])).status_code == 404
    # the department select only offers what the admin manages; a forged id is refused
    r = c.post(
        reverse("org:person_create"),
        {"employee_no": "B0001", "name": "越权", "department": org.service.pk, "status": "active"},
    )
    assert r.status_code == 200 and 'data-field-error="department"' in r.text
    assert not Person.objects.filter(employee_no="B0001").exists()
