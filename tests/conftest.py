"""Shared personas and a small organization every test can use.

Personas (all sign in with factories.PASSWORD):
  sysadmin     system administrator
  perfadmin    performance administrator over the whole unit
  leader       unit leader over the whole unit
  head         head of 办公室 (and the superior of `employee` and `peer`)
  employee     staff in 办公室/文秘科
  peer         staff in 办公室/文秘科, same superior as employee
  outsider     staff in 政务服务科, no roles
  auditor      auditor over the whole unit
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from jixiao.accounts.models import User
from jixiao.org.models import Department, Person, Post, Role
from tests import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI draws the same examples every run, so a submission never fails on a lucky draw; local
# runs keep exploring new examples (and remember failures in .hypothesis/).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Cached lists (ranks and the like) must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Org:
    unit: Department
    office: Department
    secretariat: Department
    service: Department
    head_post: Post
    clerk_post: Post
    window_post: Post
    head: Person
    employee: Person
    peer: Person
    outsider: Person
    users: dict[str, User]


@pytest.fixture
def org(db: None) -> Org:
    unit = f.make_department("某市政务服务管理局", code="U001")
    office = f.make_department("办公室", unit, code="D001")
    secretariat = f.make_department("文秘科", office, code="S001", kind="section")
    service = f.make_department("政务服务科", unit, code="D002")
    head_post = f.make_post("办公室主任", office, code="P001", category="leadership")
    clerk_post = f.make_post("文秘岗", secretariat, code="P002")
    window_post = f.make_post("窗口受理岗", service, code="P003")
    head = f.make_person("王主任", office, username="head", post=head_post, employee_no="A0001")
    employee = f.make_person(
        "李文",
        secretariat,
        username="employee",
        superior=head,
        post=clerk_post,
        employee_no="A0002",
    )
    peer = f.make_person(
        "赵敏", secretariat, username="peer", superior=head, post=clerk_post, employee_no="A0003"
    )
    outsider = f.make_person(
        "陈晨", service, username="outsider", post=window_post, employee_no="A0004"
    )
    users = {
        "head": f.user_of(head),
        "employee": f.user_of(employee),
        "peer": f.user_of(peer),
        "outsider": f.user_of(outsider),
        "sysadmin": f.make_user("sysadmin"),
        "perfadmin": f.make_user("perfadmin"),
        "leader": f.make_user("leader"),
        "auditor": f.make_user("auditor"),
    }
    f.grant(users["sysadmin"], Role.SYSTEM_ADMIN, None)
    f.grant(users["perfadmin"], Role.PERFORMANCE_ADMIN, unit)
    f.grant(users["leader"], Role.UNIT_LEADER, unit)
    f.grant(users["head"], Role.DEPARTMENT_HEAD, office)
    f.grant(users["auditor"], Role.AUDITOR, unit)
    return Org(
        unit,
        office,
        secretariat,
        service,
        head_post,
        clerk_post,
        window_post,
        head,
        employee,
        peer,
        outsider,
        {k: v for k, v in users.items() if v is not None},
    )


@pytest.fixture
def client_for(org: Org):
    """client_for("head") → a Client signed in as that persona."""

    def make(persona: str) -> Client:
        client = Client()
        client.force_login(org.users[persona])
        return client

    return make
