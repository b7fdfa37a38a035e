"""Who gets what, for every page and every API operation, as one declarative table.

Each row names a URL pattern (as the resolver spells it) or an API operation ("PATCH
/api/org/people/{person_id}"), builds a concrete URL (and form data or a JSON body) from the
`org` fixture, and states the status each persona must get. The rules behind the table:

* an object outside the persona's scope answers 404 (its existence is not confirmed);
* an object the persona may read but not change answers 403 to a write;
* pages without an object (lists, create forms, tools) answer 403 to those without the right;
* the indicator library is readable by every signed-in user; only system and performance
  administrators change it;
* audit pages are for system administrators and auditors; a single audit record is 404 to
  everybody else, like any object outside scope;
* import jobs and API tokens belong to their owner alone.

Scopes in the fixture (tests/conftest.py): sysadmin sees everything; perfadmin, leader and
auditor read the whole unit, perfadmin also manages it; head reads 办公室 and its 文秘科;
employee and peer (文秘科) see their own department and posts and only themselves among
people; outsider (政务服务科) likewise for their own.

A URL pattern or API operation without a row fails test_every_route_has_a_row, naming it.
The builders are called once per persona, so a row whose write succeeds can build a fresh
object each time; personas run in PERSONAS order, writers last.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from jixiao.accounts.services import api_token_create
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord, CalendarDay, Notification
from jixiao.imports.models import ExportJob, ImportJob, ImportKind, ImportStatus
from jixiao.indicators import services as indicator_services
from jixiao.indicators.models import Indicator
from jixiao.indicators.usage import LOCK_USED_BY
from jixiao.org.models import Department, Person, Post, Role, RoleGrant
from tests import factories as f
from tests.conftest import Org

# Readers first, writers last: a successful write never changes what a later persona sees.
PERSONAS = ("outsider", "peer", "employee", "head", "leader", "auditor", "perfadmin", "sysadmin")

MANAGERS = frozenset({"sysadmin", "perfadmin"})  # manage the unit, the library and imports
AUDITORS = frozenset({"sysadmin", "auditor"})
UNIT_READERS = frozenset({"sysadmin", "perfadmin", "leader", "auditor"})
SEES_OFFICE = UNIT_READERS | {"head"}  # 办公室, its sections, posts and people (head's own)
SEES_SECRETARIAT = SEES_OFFICE | {"employee", "peer"}  # 文秘科 and its posts: their own
SEES_EMPLOYEE = SEES_OFFICE | {"employee"}  # the person 李文: readers, the superior, herself
SEES_SERVICE = UNIT_READERS | {"outsider"}  # 政务服务科 and what is in it

MISSING = 999999
SYSTEM = Actor.system("test", source="cli")
_seq = itertools.count(1)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def only(allowed: frozenset[str] | set[str], ok: int, refused: int = 403) -> dict[str, int]:
    return {p: ok if p in allowed else refused for p in PERSONAS}


def read(visible: frozenset[str], ok: int = 200) -> dict[str, int]:
    """A read of one object: 404 outside scope."""
    return only(visible, ok, 404)


def write(visible: frozenset[str], ok: int) -> dict[str, int]:
    """A write to one object: managers succeed, other readers 403, everybody else 404."""
    return {p: ok if p in MANAGERS else 403 if p in visible else 404 for p in PERSONAS}


Builder = Callable[[Org], Any]


@dataclass(frozen=True)
class Row:
    route: str  # a resolver pattern ("org/people/<int:pk>/") or an API operation
    method: str
    url: Builder
    expect: dict[str, int]
    data: Builder | None = None
    label: str = ""

    @property
    def is_api(self) -> bool:
        return " /api/" in self.route

    @property
    def id(self) -> str:
        name = self.route if self.is_api else f"{self.method} {self.route}"
        return f"{name} [{self.label}]" if self.label else name


def page(
    route: str,
    method: str,
    url: Builder | str,
    expect: dict[str, int],
    data: Builder | dict[str, Any] | None = None,
    label: str = "",
) -> Row:
    return Row(route, method, _builder(url), expect, _builder(data), label)


def op(
    operation: str,
    url: Builder | str,
    expect: dict[str, int],
    body: Builder | dict[str, Any] | None = None,
    label: str = "",
) -> Row:
    method = operation.split(" ", 1)[0]
    return Row(operation, method, _builder(url), expect, _builder(body), label)


def _builder(value: Any) -> Any:
    if value is None or callable(value):
        return value
    return lambda o: value


# ---------------------------------------------------------------- object builders


def n() -> int:
    return next(_seq)


def empty_department(o: Org, *, active: bool = True) -> Department:
    """A section of 办公室 with no people, posts or children: deletable, deactivatable."""
    dept = f.make_department(f"临时科{n()}", o.office, kind="section")
    if not active:
        Department.objects.filter(pk=dept.pk).update(is_active=False)
    return dept


def empty_post(o: Org, *, active: bool = True) -> Post:
    post = f.make_post(f"临时岗{n()}", o.office)
    if not active:
        Post.objects.filter(pk=post.pk).update(is_active=False)
    return post


def version_of(model: Any, pk: int) -> int:
    return int(model.objects.values_list("version", flat=True).get(pk=pk))


def indicator(code: str = "XL-01") -> Indicator:
    return Indicator.objects.get(code=code, is_latest=True)


def active_indicator() -> Indicator:
    found = Indicator.objects.filter(is_latest=True, is_active=True).order_by("code").first()
    assert found is not None
    return found


def inactive_indicator() -> Indicator:
    target = active_indicator()
    Indicator.objects.filter(pk=target.pk).update(is_active=False)
    return target


def unlocked_indicator() -> Indicator:
    found = (
        Indicator.objects.filter(is_latest=True, is_active=True)
        .exclude(uses__used_by=LOCK_USED_BY)
        .order_by("code")
        .first()
    )
    assert found is not None
    return found


def weight_set_url(o: Org) -> str:
    a, b = indicator("XL-01"), indicator("XL-02")
    ws = indicator_services.weight_set_create(
        actor=SYSTEM,
        scope=None,
        data=indicator_services.WeightSetData(
            name=f"矩阵权重{n()}",
            method="ahp",
            items=[
                indicator_services.WeightItemData(a.pk, 0.5),
                indicator_services.WeightItemData(b.pk, 0.5),
            ],
        ),
    )
    return f"/indicators/weight-sets/{ws.pk}/"


def audit_record_url(o: Org) -> str:
    audit.record(SYSTEM, "test.matrix", o.office, {"name": ["办公室", "办公室"]})
    record = AuditRecord.objects.order_by("-id").first()
    assert record is not None
    return f"/audit/{record.pk}/"


def job_of(o: Org, kind: str = ImportKind.ORG) -> ImportJob:
    return ImportJob.objects.create(
        owner=o.users["perfadmin"],
        kind=kind,
        file_name="x.xlsx",
        stored_path="/nonexistent",
        status=ImportStatus.RUNNING,
        total_rows=10,
        processed_rows=4,
    )


def export_of(o: Org, kind: str = ImportKind.ORG) -> ExportJob:
    """A finished export of perfadmin's, with its file on disk."""
    stored = Path(tempfile.gettempdir()) / "jixiao-permission-matrix-export.csv"
    stored.write_text("工号\n", encoding="utf-8")
    return ExportJob.objects.create(
        owner=o.users["perfadmin"],
        kind=kind,
        part="people" if kind == ImportKind.ORG else "levels",
        file_name="x.csv",
        stored_path=str(stored),
        status=ImportStatus.SUCCEEDED,
    )


def employee_token_revoke_url(o: Org) -> str:
    issued = api_token_create(actor=SYSTEM, user=o.users["employee"], name=f"脚本{n()}")
    return f"/accounts/tokens/{issued.token.pk}/revoke/"


def grant_remove_url(o: Org) -> str:
    """A fresh, removable grant on the head (a narrower copy of the one they hold)."""
    grant, _ = RoleGrant.objects.get_or_create(
        user=o.users["head"], role=Role.DEPARTMENT_HEAD, scope=o.secretariat
    )
    return f"/org/people/{o.head.pk}/roles/{grant.pk}/remove/"


def accountless_person(o: Org) -> Person:
    """A fresh person in 文秘科 without a sign-in account (employee and peer do not see them)."""
    return f.make_person(f"新人{n()}", o.secretariat, employee_no=f"N{n():05d}")


def calendar_date() -> datetime.date:
    """A date no calendar row uses yet (the seed covers 2025 and 2026)."""
    return datetime.date(2031, 1, 1) + datetime.timedelta(days=n())


def calendar_day(o: Org) -> CalendarDay:
    return CalendarDay.objects.create(date=calendar_date(), kind="holiday", name="矩阵")


def employee_notification(o: Org) -> Notification:
    note, _ = Notification.objects.get_or_create(
        user=o.users["employee"],
        key="matrix",
        defaults={"title": "请提交季度小结", "url": "/goals/"},
    )
    return note


def weights_post(o: Org) -> dict[str, Any]:
    return {
        "ids": [indicator("XL-01").pk, indicator("XL-02").pk],
        "a_0_1": "3",
        "method": "ahp",
        "name": f"权重{n()}",
    }


NEW_INDICATOR = {
    "name": "会议纪要按时印发率",
    "category": "efficiency",
    "unit": "%",
    "direction": "higher",
    "source_kind": "records",
    "rule": {"kind": "piecewise", "threshold": 90, "target": 98},
    "default_weight": 10,
    "period": "quarterly",
}


# ---------------------------------------------------------------- the table

PAGE_ROWS: list[Row] = [
    page("", "GET", "/", everyone(200)),
    # accounts: every signed-in user has a profile, a password and their own tokens
    page("accounts/login/", "GET", "/accounts/login/", everyone(302), label="signed in"),
    page("accounts/logout/", "POST", "/accounts/logout/", everyone(302)),
    page("accounts/password/", "GET", "/accounts/password/", everyone(200)),
    page("accounts/password/", "POST", "/accounts/password/", everyone(200), {}),
    page("accounts/profile/", "GET", "/accounts/profile/", everyone(200)),
    page("accounts/tokens/", "POST", "/accounts/tokens/", everyone(200), {"name": "脚本"}),
    page(
        "accounts/tokens/<int:pk>/revoke/",
        "POST",
        employee_token_revoke_url,
        only({"employee"}, 302, 404),
        label="employee's token",
    ),
    page("i18n/setlang/", "POST", "/i18n/setlang/", everyone(302), {"language": "en"}),
    # organization: departments
    page("org/", "GET", "/org/", everyone(200)),
    page("org/departments/new/", "GET", "/org/departments/new/", only(MANAGERS, 200)),
    page("org/departments/new/", "POST", "/org/departments/new/", only(MANAGERS, 200), {}),
    page(
        "org/departments/<int:pk>/",
        "GET",
        lambda o: f"/org/departments/{o.office.pk}/",
        read(SEES_OFFICE),
        label="办公室",
    ),
    page(
        "org/departments/<int:pk>/",
        "GET",
        lambda o: f"/org/departments/{o.secretariat.pk}/",
        read(SEES_SECRETARIAT),
        label="文秘科",
    ),
    page(
        "org/departments/<int:pk>/",
        "GET",
        f"/org/departments/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    page(
        "org/departments/<int:pk>/edit/",
        "GET",
        lambda o: f"/org/departments/{o.secretariat.pk}/edit/",
        write(SEES_SECRETARIAT, 200),
    ),
    page(
        "org/departments/<int:pk>/edit/",
        "POST",
        lambda o: f"/org/departments/{o.secretariat.pk}/edit/",
        write(SEES_SECRETARIAT, 200),
        {},
        label="invalid form",
    ),
    page(
        "org/departments/<int:pk>/active/",
        "GET",
        lambda o: f"/org/departments/{o.secretariat.pk}/active/",
        write(SEES_SECRETARIAT, 200),
    ),
    page(
        "org/departments/<int:pk>/active/",
        "POST",
        lambda o: f"/org/departments/{empty_department(o).pk}/active/",
        write(SEES_OFFICE, 302),
        {"active": "", "reason": "撤并"},
        label="deactivate",
    ),
    page(
        "org/departments/<int:pk>/delete/",
        "GET",
        lambda o: f"/org/departments/{o.secretariat.pk}/delete/",
        write(SEES_SECRETARIAT, 200),
    ),
    page(
        "org/departments/<int:pk>/delete/",
        "POST",
        lambda o: f"/org/departments/{empty_department(o).pk}/delete/",
        write(SEES_OFFICE, 302),
        {"reason": "建错了"},
    ),
    # the pickers' search: every signed-in user, each within their own scope
    page("org/options/<str:kind>/", "GET", "/org/options/departments/", everyone(200)),
    page("org/options/<str:kind>/", "GET", "/org/options/people/", everyone(200), label="people"),
    page("org/options/<str:kind>/", "GET", "/org/options/posts/", everyone(200), label="posts"),
    page(
        "org/options/<str:kind>/",
        "GET",
        "/org/options/departments/?set=manage",
        everyone(200),
        label="manage set",
    ),
    page("org/options/<str:kind>/", "GET", "/org/options/x/", everyone(404), label="unknown"),
    page(
        "org/options/<str:kind>/",
        "GET",
        "/org/options/departments/?set=x",
        everyone(404),
        label="unknown set",
    ),
    # organization: posts
    page("org/posts/", "GET", "/org/posts/", everyone(200)),
    page("org/posts/new/", "GET", "/org/posts/new/", only(MANAGERS, 200)),
    page("org/posts/new/", "POST", "/org/posts/new/", only(MANAGERS, 200), {}),
    page(
        "org/posts/<int:pk>/",
        "GET",
        lambda o: f"/org/posts/{o.clerk_post.pk}/",
        read(SEES_SECRETARIAT),
        label="文秘岗",
    ),
    page(
        "org/posts/<int:pk>/",
        "GET",
        lambda o: f"/org/posts/{o.window_post.pk}/",
        read(SEES_SERVICE),
        label="窗口受理岗",
    ),
    page("org/posts/<int:pk>/", "GET", f"/org/posts/{MISSING}/", everyone(404), label="unknown"),
    page(
        "org/posts/<int:pk>/edit/",
        "GET",
        lambda o: f"/org/posts/{o.clerk_post.pk}/edit/",
        write(SEES_SECRETARIAT, 200),
    ),
    page(
        "org/posts/<int:pk>/edit/",
        "POST",
        lambda o: f"/org/posts/{o.clerk_post.pk}/edit/",
        write(SEES_SECRETARIAT, 200),
        {},
        label="invalid form",
    ),
    page(
        "org/posts/<int:pk>/active/",
        "GET",
        lambda o: f"/org/posts/{o.clerk_post.pk}/active/",
        write(SEES_SECRETARIAT, 200),
    ),
    page(
        "org/posts/<int:pk>/active/",
        "POST",
        lambda o: f"/org/posts/{empty_post(o).pk}/active/",
        write(SEES_OFFICE, 302),
        {"active": "", "reason": ""},
        label="deactivate",
    ),
    # organization: people
    page("org/people/", "GET", "/org/people/", everyone(200)),
    page("org/people/new/", "GET", "/org/people/new/", only(MANAGERS, 200)),
    page("org/people/new/", "POST", "/org/people/new/", only(MANAGERS, 200), {}),
    page(
        "org/people/<int:pk>/",
        "GET",
        lambda o: f"/org/people/{o.employee.pk}/",
        read(SEES_EMPLOYEE),
        label="李文",
    ),
    page(
        "org/people/<int:pk>/",
        "GET",
        lambda o: f"/org/people/{o.outsider.pk}/",
        read(SEES_SERVICE),
        label="陈晨",
    ),
    page("org/people/<int:pk>/", "GET", f"/org/people/{MISSING}/", everyone(404), label="unknown"),
    page(
        "org/people/<int:pk>/edit/",
        "GET",
        lambda o: f"/org/people/{o.employee.pk}/edit/",
        write(SEES_EMPLOYEE, 200),
    ),
    page(
        "org/people/<int:pk>/edit/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/edit/",
        write(SEES_EMPLOYEE, 200),
        {},
        label="invalid form",
    ),
    page(
        "org/people/<int:pk>/status/",
        "GET",
        lambda o: f"/org/people/{o.employee.pk}/status/",
        write(SEES_EMPLOYEE, 200),
    ),
    page(
        "org/people/<int:pk>/status/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/status/",
        write(SEES_EMPLOYEE, 200),
        {},
        label="invalid form",
    ),
    page(
        "org/people/<int:pk>/roles/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/roles/",
        write(SEES_EMPLOYEE, 400),
        {},
        label="invalid form",
    ),
    page(
        "org/people/<int:pk>/roles/<int:grant_id>/remove/",
        "POST",
        grant_remove_url,
        write(SEES_OFFICE, 302),
        {"reason": "调岗"},
    ),
    # a person's sign-in account: for those who manage the person
    page(
        "org/people/<int:pk>/account/",
        "GET",
        lambda o: f"/org/people/{accountless_person(o).pk}/account/",
        write(SEES_OFFICE, 200),
    ),
    page(
        "org/people/<int:pk>/account/",
        "POST",
        lambda o: f"/org/people/{accountless_person(o).pk}/account/",
        write(SEES_OFFICE, 200),
        {},
        label="invalid form",
    ),
    page(
        "org/people/<int:pk>/account/reset-password/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/account/reset-password/",
        write(SEES_EMPLOYEE, 200),
        {"reason": "忘记密码"},
    ),
    page(
        "org/people/<int:pk>/account/disable/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/account/disable/",
        write(SEES_EMPLOYEE, 302),
    ),
    page(
        "org/people/<int:pk>/account/enable/",
        "POST",
        lambda o: f"/org/people/{o.employee.pk}/account/enable/",
        write(SEES_EMPLOYEE, 302),
    ),
    # audit trail
    page("audit/", "GET", "/audit/", only(AUDITORS, 200)),
    page("audit/export.csv", "GET", "/audit/export.csv", only(AUDITORS, 200)),
    page("audit/<int:pk>/", "GET", audit_record_url, read(AUDITORS)),
    page("audit/<int:pk>/", "GET", f"/audit/{MISSING}/", everyone(404), label="unknown"),
    # the indicator library: everyone reads, managers write
    page("indicators/", "GET", "/indicators/", everyone(200)),
    page("indicators/new/", "GET", "/indicators/new/", only(MANAGERS, 200)),
    page("indicators/new/", "POST", "/indicators/new/", only(MANAGERS, 200), {}),
    page(
        "indicators/preview/",
        "POST",
        "/indicators/preview/",
        everyone(200),
        {"rule_kind": "piecewise", "rule_json": '{"threshold": 90, "target": 98}'},
    ),
    page("indicators/<int:pk>/", "GET", lambda o: f"/indicators/{indicator().pk}/", everyone(200)),
    page("indicators/<int:pk>/", "GET", f"/indicators/{MISSING}/", everyone(404), label="unknown"),
    page(
        "indicators/<int:pk>/edit/",
        "GET",
        lambda o: f"/indicators/{indicator().pk}/edit/",
        only(MANAGERS, 200),
    ),
    page(
        "indicators/<int:pk>/edit/",
        "POST",
        lambda o: f"/indicators/{indicator().pk}/edit/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page(
        "indicators/<int:pk>/edit/",
        "GET",
        f"/indicators/{MISSING}/edit/",
        everyone(404),
        label="unknown",
    ),
    page(
        "indicators/<int:pk>/active/",
        "GET",
        lambda o: f"/indicators/{indicator().pk}/active/",
        only(MANAGERS, 200),
    ),
    page(
        "indicators/<int:pk>/active/",
        "POST",
        lambda o: f"/indicators/{active_indicator().pk}/active/",
        only(MANAGERS, 302),
        {"active": "", "reason": "停用"},
        label="deactivate",
    ),
    page(
        "indicators/<int:pk>/active/",
        "POST",
        f"/indicators/{MISSING}/active/",
        everyone(404),
        {"active": ""},
        label="unknown",
    ),
    page(
        "indicators/<int:pk>/lock/",
        "POST",
        lambda o: f"/indicators/{unlocked_indicator().pk}/lock/",
        only(MANAGERS, 302),
        {"reason": "定版"},
    ),
    page(
        "indicators/<int:pk>/lock/",
        "POST",
        f"/indicators/{MISSING}/lock/",
        everyone(404),
        {},
        label="unknown",
    ),
    page("indicators/weights/", "GET", "/indicators/weights/", everyone(200)),
    page(
        "indicators/weights/compute/",
        "POST",
        "/indicators/weights/compute/",
        everyone(200),
        weights_post,
    ),
    page(
        "indicators/weights/entropy/",
        "POST",
        "/indicators/weights/entropy/",
        everyone(200),
        weights_post,
    ),
    page(
        "indicators/weights/entropy-template.csv",
        "GET",
        lambda o: (
            f"/indicators/weights/entropy-template.csv?ids={indicator('XL-01').pk}"
            f"&ids={indicator('XL-02').pk}"
        ),
        everyone(200),
    ),
    page(
        "indicators/weights/save/",
        "POST",
        "/indicators/weights/save/",
        only(MANAGERS, 302),
        weights_post,
    ),
    page("indicators/weight-sets/", "GET", "/indicators/weight-sets/", everyone(200)),
    page("indicators/weight-sets/<int:pk>/", "GET", weight_set_url, everyone(200)),
    page(
        "indicators/weight-sets/<int:pk>/",
        "GET",
        f"/indicators/weight-sets/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    # imports and exports
    page("imports/", "GET", "/imports/", only(MANAGERS, 200)),
    page("imports/", "POST", "/imports/", only(MANAGERS, 400), {}, label="no file"),
    page("imports/template.xlsx", "GET", "/imports/template.xlsx", only(MANAGERS, 200)),
    page("imports/export.xlsx", "GET", "/imports/export.xlsx", only(MANAGERS, 200)),
    page("imports/export/<str:kind>.csv", "GET", "/imports/export/people.csv", only(MANAGERS, 200)),
    page(
        "imports/export/<str:kind>.csv",
        "GET",
        "/imports/export/x.csv",
        only(MANAGERS, 404),
        label="unknown kind",
    ),
    page(
        "imports/jobs/<int:pk>/",
        "GET",
        lambda o: f"/imports/jobs/{job_of(o).pk}/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's job",
    ),
    page(
        "imports/jobs/<int:pk>/",
        "GET",
        lambda o: f"/imports/jobs/{job_of(o, ImportKind.INDICATORS).pk}/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's indicator job",
    ),
    page(
        "imports/jobs/<int:pk>/progress/",
        "GET",
        lambda o: f"/imports/jobs/{job_of(o).pk}/progress/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's job",
    ),
    page("imports/export.xlsx", "POST", "/imports/export.xlsx", only(MANAGERS, 302)),
    page(
        "imports/export/<str:kind>.csv",
        "POST",
        "/imports/export/people.csv",
        only(MANAGERS, 302),
    ),
    page(
        "imports/exports/<int:pk>/",
        "GET",
        lambda o: f"/imports/exports/{export_of(o).pk}/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's export",
    ),
    page(
        "imports/exports/<int:pk>/",
        "GET",
        lambda o: f"/imports/exports/{export_of(o, ImportKind.INDICATORS).pk}/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's indicator export",
    ),
    page(
        "imports/exports/<int:pk>/progress/",
        "GET",
        lambda o: f"/imports/exports/{export_of(o).pk}/progress/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's export",
    ),
    page(
        "imports/exports/<int:pk>/download/",
        "GET",
        lambda o: f"/imports/exports/{export_of(o).pk}/download/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's export",
    ),
    page("imports/indicators/", "GET", "/imports/indicators/", only(MANAGERS, 200)),
    page(
        "imports/indicators/",
        "POST",
        "/imports/indicators/",
        only(MANAGERS, 400),
        {},
        label="no file",
    ),
    page(
        "imports/indicators/template.xlsx",
        "GET",
        "/imports/indicators/template.xlsx",
        only(MANAGERS, 200),
    ),
    page(
        "imports/indicators/export.xlsx",
        "GET",
        "/imports/indicators/export.xlsx",
        only(MANAGERS, 200),
    ),
    page(
        "imports/indicators/export.xlsx",
        "POST",
        "/imports/indicators/export.xlsx",
        only(MANAGERS, 302),
    ),
    page(
        "imports/indicators/export/<str:kind>.csv",
        "GET",
        "/imports/indicators/export/indicators.csv",
        only(MANAGERS, 200),
    ),
    page(
        "imports/indicators/export/<str:kind>.csv",
        "GET",
        "/imports/indicators/export/x.csv",
        only(MANAGERS, 404),
        label="unknown kind",
    ),
    # goals and work plans: people and planners import (each row checked against their
    # planning rights), readers over departments export what they see
    page("imports/goals/", "GET", "/imports/goals/", everyone(200)),
    page(
        "imports/goals/",
        "POST",
        "/imports/goals/",
        {p: 403 if p == "auditor" else 400 for p in PERSONAS},
        {},
        label="no file",
    ),
    page("imports/goals/template.xlsx", "GET", "/imports/goals/template.xlsx", everyone(200)),
    page("imports/goals/export.xlsx", "GET", "/imports/goals/export.xlsx", everyone(200)),
    page(
        "imports/goals/export.xlsx",
        "POST",
        "/imports/goals/export.xlsx",
        everyone(302),
        {"period": "2026"},
    ),
    page(
        "imports/jobs/<int:pk>/",
        "GET",
        lambda o: f"/imports/jobs/{job_of(o, ImportKind.GOALS).pk}/",
        only({"perfadmin"}, 200, 404),
        label="perfadmin's goals job",
    ),
    # the working-day calendar: everyone reads, system and performance administrators write
    page("calendar/", "GET", "/calendar/?year=2026", everyone(200)),
    page("calendar/", "GET", "/calendar/?year=x", everyone(404), label="bad year"),
    page(
        "calendar/count/",
        "GET",
        "/calendar/count/?c-start=2026-09-30&c-end=2026-10-10",
        everyone(200),
    ),
    page("calendar/export.csv", "GET", "/calendar/export.csv?year=2026", everyone(200)),
    page(
        "calendar/days/new/",
        "POST",
        "/calendar/days/new/",
        only(MANAGERS, 302),
        lambda o: {"date": calendar_date().isoformat(), "kind": "holiday"},
    ),
    page(
        "calendar/days/<int:pk>/edit/",
        "GET",
        lambda o: f"/calendar/days/{calendar_day(o).pk}/edit/",
        only(MANAGERS, 200),
    ),
    page(
        "calendar/days/<int:pk>/edit/",
        "POST",
        lambda o: f"/calendar/days/{calendar_day(o).pk}/edit/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page(
        "calendar/days/<int:pk>/edit/",
        "GET",
        f"/calendar/days/{MISSING}/edit/",
        everyone(404),
        label="unknown",
    ),
    page(
        "calendar/days/<int:pk>/delete/",
        "POST",
        lambda o: f"/calendar/days/{calendar_day(o).pk}/delete/",
        only(MANAGERS, 302),
        {},
    ),
    page(
        "calendar/days/<int:pk>/delete/",
        "POST",
        f"/calendar/days/{MISSING}/delete/",
        everyone(404),
        {},
        label="unknown",
    ),
    page("calendar/import/", "POST", "/calendar/import/", only(MANAGERS, 400), {}, label="no file"),
    # notifications: each user's own, nobody else's
    page("notifications/", "GET", "/notifications/", everyone(200)),
    page("notifications/read/", "POST", "/notifications/read/", everyone(302), {"all": "1"}),
    page(
        "notifications/read/",
        "POST",
        "/notifications/read/",
        everyone(302),  # for others a no-op: see test_notifications_stay_with_their_owner
        lambda o: {"id": employee_notification(o).pk, "follow": "1"},
        label="employee's notification",
    ),
    # the API's own pages
    page("api/docs", "GET", "/api/docs", everyone(200)),
    page("api/openapi.json", "GET", "/api/openapi.json", everyone(200)),
    page("api/", "GET", "/api/", everyone(404), label="API root"),
]

API_ROWS: list[Row] = [
    op("GET /api/me", "/api/me", everyone(200)),
    # departments
    op("GET /api/org/departments", "/api/org/departments", everyone(200)),
    op(
        "POST /api/org/departments",
        "/api/org/departments",
        only(MANAGERS, 201),
        lambda o: {
            "code": f"T{n()}",
            "name": "新科室",
            "kind": "section",
            "parent_id": o.office.pk,
        },
    ),
    op(
        "GET /api/org/departments/{department_id}",
        lambda o: f"/api/org/departments/{o.office.pk}",
        read(SEES_OFFICE),
        label="办公室",
    ),
    op(
        "GET /api/org/departments/{department_id}",
        f"/api/org/departments/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "PATCH /api/org/departments/{department_id}",
        lambda o: f"/api/org/departments/{o.secretariat.pk}",
        write(SEES_SECRETARIAT, 200),
        lambda o: {
            "version": version_of(Department, o.secretariat.pk),
            "description": "负责文稿",
        },
    ),
    op(
        "POST /api/org/departments/{department_id}/deactivate",
        lambda o: f"/api/org/departments/{empty_department(o).pk}/deactivate",
        write(SEES_OFFICE, 200),
        {"reason": "撤并"},
    ),
    op(
        "POST /api/org/departments/{department_id}/activate",
        lambda o: f"/api/org/departments/{empty_department(o, active=False).pk}/activate",
        write(SEES_OFFICE, 200),
        {"reason": "恢复"},
    ),
    # posts
    op("GET /api/org/posts", "/api/org/posts", everyone(200)),
    op(
        "POST /api/org/posts",
        "/api/org/posts",
        only(MANAGERS, 201),
        lambda o: {
            "code": f"T{n()}",
            "name": "新岗位",
            "department_id": o.secretariat.pk,
            "category": "non_leadership",
            "post_class": "management",
        },
    ),
    op(
        "GET /api/org/posts/{post_id}",
        lambda o: f"/api/org/posts/{o.clerk_post.pk}",
        read(SEES_SECRETARIAT),
        label="文秘岗",
    ),
    op("GET /api/org/posts/{post_id}", f"/api/org/posts/{MISSING}", everyone(404), label="unknown"),
    op(
        "PATCH /api/org/posts/{post_id}",
        lambda o: f"/api/org/posts/{o.clerk_post.pk}",
        write(SEES_SECRETARIAT, 200),
        lambda o: {"version": version_of(Post, o.clerk_post.pk), "duties": "起草文稿。"},
    ),
    op(
        "POST /api/org/posts/{post_id}/deactivate",
        lambda o: f"/api/org/posts/{empty_post(o).pk}/deactivate",
        write(SEES_OFFICE, 200),
    ),
    op(
        "POST /api/org/posts/{post_id}/activate",
        lambda o: f"/api/org/posts/{empty_post(o, active=False).pk}/activate",
        write(SEES_OFFICE, 200),
    ),
    # people
    op("GET /api/org/people", "/api/org/people", everyone(200)),
    op(
        "POST /api/org/people",
        "/api/org/people",
        only(MANAGERS, 201),
        lambda o: {
            "employee_no": f"T{n():05d}",
            "name": "新同事",
            "department_id": o.secretariat.pk,
        },
    ),
    op(
        "GET /api/org/people/{person_id}",
        lambda o: f"/api/org/people/{o.employee.pk}",
        read(SEES_EMPLOYEE),
        label="李文",
    ),
    op(
        "GET /api/org/people/{person_id}",
        f"/api/org/people/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "PATCH /api/org/people/{person_id}",
        lambda o: f"/api/org/people/{o.employee.pk}",
        write(SEES_EMPLOYEE, 200),
        lambda o: {"version": version_of(Person, o.employee.pk), "phone": f"139{n():08d}"},
    ),
    op(
        "POST /api/org/people/{person_id}/status",
        lambda o: f"/api/org/people/{o.employee.pk}/status",
        write(SEES_EMPLOYEE, 200),
        lambda o: {
            "version": version_of(Person, o.employee.pk),
            "status": "seconded",
            # Later for each persona (a status cannot start before the current one).
            "start_date": (datetime.date(2026, 1, 1) + datetime.timedelta(days=n())).isoformat(),
        },
    ),
    op(
        "GET /api/org/people/{person_id}/account",
        lambda o: f"/api/org/people/{o.employee.pk}/account",
        write(SEES_EMPLOYEE, 200),
    ),
    op(
        "POST /api/org/people/{person_id}/account",
        lambda o: f"/api/org/people/{accountless_person(o).pk}/account",
        write(SEES_OFFICE, 201),
        {},
    ),
    op(
        "POST /api/org/people/{person_id}/account/reset-password",
        lambda o: f"/api/org/people/{o.employee.pk}/account/reset-password",
        write(SEES_EMPLOYEE, 200),
    ),
    op(
        "POST /api/org/people/{person_id}/account/disable",
        lambda o: f"/api/org/people/{o.employee.pk}/account/disable",
        write(SEES_EMPLOYEE, 200),
    ),
    op(
        "POST /api/org/people/{person_id}/account/enable",
        lambda o: f"/api/org/people/{o.employee.pk}/account/enable",
        write(SEES_EMPLOYEE, 200),
        {"reason": "回岗"},
    ),
    op("GET /api/audit", "/api/audit", only(AUDITORS, 200)),
    # indicators
    op("GET /api/indicators", "/api/indicators", everyone(200)),
    op(
        "POST /api/indicators",
        "/api/indicators",
        only(MANAGERS, 201),
        lambda o: {**NEW_INDICATOR, "code": f"MX-{n()}"},
    ),
    op("GET /api/indicators/weight-sets", "/api/indicators/weight-sets", everyone(200)),
    op(
        "GET /api/indicators/weight-sets/{weight_set_id}",
        lambda o: "/api" + weight_set_url(o).removesuffix("/"),
        everyone(200),
    ),
    op(
        "GET /api/indicators/weight-sets/{weight_set_id}",
        f"/api/indicators/weight-sets/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "GET /api/indicators/{indicator_id}",
        lambda o: f"/api/indicators/{indicator().pk}",
        everyone(200),
    ),
    op(
        "GET /api/indicators/{indicator_id}",
        f"/api/indicators/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "PATCH /api/indicators/{indicator_id}",
        lambda o: f"/api/indicators/{indicator().pk}",
        only(MANAGERS, 200),
        lambda o: {"version": indicator().version, "responsible": f"考核办{n()}"},
    ),
    op(
        "PATCH /api/indicators/{indicator_id}",
        f"/api/indicators/{MISSING}",
        everyone(404),
        {"version": 1},
        label="unknown",
    ),
    op(
        "POST /api/indicators/{indicator_id}/deactivate",
        lambda o: f"/api/indicators/{active_indicator().pk}/deactivate",
        only(MANAGERS, 200),
    ),
    op(
        "POST /api/indicators/{indicator_id}/deactivate",
        f"/api/indicators/{MISSING}/deactivate",
        everyone(404),
        label="unknown",
    ),
    op(
        "POST /api/indicators/{indicator_id}/activate",
        lambda o: f"/api/indicators/{inactive_indicator().pk}/activate",
        only(MANAGERS, 200),
    ),
    op(
        "POST /api/indicators/{indicator_id}/activate",
        f"/api/indicators/{MISSING}/activate",
        everyone(404),
        label="unknown",
    ),
    op(
        "POST /api/indicators/evaluate",
        "/api/indicators/evaluate",
        everyone(200),
        {
            "rule": {"kind": "piecewise", "threshold": 90, "target": 98},
            "columns": {"actual": [95, 80]},
        },
    ),
    op(
        "POST /api/indicators/weights/ahp",
        "/api/indicators/weights/ahp",
        everyone(200),
        {"names": ["甲", "乙"], "matrix": [[1, 3], ["1/3", 1]]},
    ),
    op("GET /api/indicators/weights/ri-tables", "/api/indicators/weights/ri-tables", everyone(200)),
    # the working-day calendar
    op("GET /api/calendar/days", "/api/calendar/days?year=2026", everyone(200)),
    op(
        "POST /api/calendar/days",
        "/api/calendar/days",
        only(MANAGERS, 201),
        lambda o: {"date": calendar_date().isoformat(), "kind": "holiday"},
    ),
    op(
        "PATCH /api/calendar/days/{day_id}",
        lambda o: f"/api/calendar/days/{calendar_day(o).pk}",
        only(MANAGERS, 200),
        {"version": 1, "name": "改名"},
    ),
    op(
        "PATCH /api/calendar/days/{day_id}",
        f"/api/calendar/days/{MISSING}",
        everyone(404),
        {"version": 1},
        label="unknown",
    ),
    op(
        "DELETE /api/calendar/days/{day_id}",
        lambda o: f"/api/calendar/days/{calendar_day(o).pk}",
        only(MANAGERS, 204),
    ),
    op(
        "DELETE /api/calendar/days/{day_id}",
        f"/api/calendar/days/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "GET /api/calendar/working-days",
        "/api/calendar/working-days?start=2026-01-01&end=2026-12-31",
        everyone(200),
    ),
    op(
        "GET /api/calendar/due-date",
        "/api/calendar/due-date?received=2026-09-30&days=3",
        everyone(200),
    ),
    *[
        op(f"{method} /api/{{rest}}", "/api/no/such/thing", everyone(404), label="unknown path")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ],
]

# ---------------------------------------------------------------- check-ins and one-to-ones

# 李文's personal goal: readers see it; only she checks in; planners and her superior comment.
CHECKS_IN = frozenset({"employee"})
COMMENTS = frozenset({"employee", "head", "leader", "perfadmin", "sysadmin"})
PARTIES = frozenset({"employee", "head"})  # the one-to-one 王主任 ↔ 李文
OFFICE = frozenset({"perfadmin", "sysadmin"})  # read a meeting once it is shared
HAS_PERSON = frozenset({"employee", "peer", "head", "outsider"})


def personal_goal(o: Org) -> Any:
    from jixiao.goals.models import GoalStatus
    from tests.goals.factories import add_kr, make_goal

    goal = make_goal(f"矩阵目标{n()}", person=o.employee, status=GoalStatus.APPROVED)
    add_kr(goal, "办结率", baseline=0, target=100)
    return goal


def checkin_of(o: Org) -> Any:
    from jixiao.goals.checkins import CheckInData, checkin_create

    goal = personal_goal(o)
    user = o.users["employee"]
    return checkin_create(
        actor=Actor.for_user(user, source="web"),
        user=user,
        goal_id=goal.pk,
        data=CheckInData(confidence=6),
    )


def meeting_of(o: Org, *, shared: bool = False) -> Any:
    from jixiao.goals import one_on_ones

    head = o.users["head"]
    actor = Actor.for_user(head, source="web")
    meeting = one_on_ones.one_on_one_create(
        actor=actor,
        user=head,
        with_person_id=o.employee.pk,
        data=one_on_ones.MeetingData(
            scheduled_for=datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.UTC)
        ),
    )
    if shared:
        one_on_ones.one_on_one_set_shared(
            actor=actor, user=head, meeting_id=meeting.pk, shared=True
        )
    return meeting


def action_item_of(o: Org) -> tuple[int, int]:
    from jixiao.goals import one_on_ones

    meeting = meeting_of(o)
    head = o.users["head"]
    item = one_on_ones.action_item_add(
        actor=Actor.for_user(head, source="web"),
        user=head,
        meeting_id=meeting.pk,
        data=one_on_ones.ActionItemData(owner_id=o.employee.pk, text="整理清单"),
    )
    return meeting.pk, item.pk


def party(ok: int, *, office: int = 404) -> dict[str, int]:
    """A one-to-one: its two participants `ok`; the office `office` (when shared); else 404."""
    return {p: ok if p in PARTIES else office if p in OFFICE else 404 for p in PERSONAS}


def reporter(ok: int) -> dict[str, int]:
    """A check-in on 李文's goal: she succeeds, other readers 403, everybody else 404."""
    return {p: ok if p in CHECKS_IN else 403 if p in SEES_EMPLOYEE else 404 for p in PERSONAS}


def commenter(ok: int) -> dict[str, int]:
    return {p: ok if p in COMMENTS else 403 if p in SEES_EMPLOYEE else 404 for p in PERSONAS}


MEETING_WHEN = "2030-02-01T10:00"

PAGE_ROWS += [
    page(
        "goals/<int:goal_id>/checkins/",
        "GET",
        lambda o: f"/goals/{personal_goal(o).pk}/checkins/",
        read(SEES_EMPLOYEE),
    ),
    page(
        "goals/<int:goal_id>/checkins/new/",
        "GET",
        lambda o: f"/goals/{personal_goal(o).pk}/checkins/new/",
        reporter(200),
    ),
    page(
        "goals/<int:goal_id>/checkins/new/",
        "POST",
        lambda o: f"/goals/{personal_goal(o).pk}/checkins/new/",
        reporter(302),
        {"confidence": "6"},
    ),
    page(
        "goals/checkins/<int:checkin_id>/comments/",
        "POST",
        lambda o: f"/goals/checkins/{checkin_of(o).pk}/comments/",
        commenter(302),
        {"text": "继续保持"},
    ),
    page("goals/one-on-ones/", "GET", "/goals/one-on-ones/", everyone(200)),
    page("goals/one-on-ones/new/", "GET", "/goals/one-on-ones/new/", only(HAS_PERSON, 200)),
    page(
        "goals/one-on-ones/new/",
        "POST",
        "/goals/one-on-ones/new/",
        # With 王主任: his reports succeed; he himself and 陈晨 are told why not (200).
        {
            p: 302 if p in {"employee", "peer"} else 200 if p in HAS_PERSON else 403
            for p in PERSONAS
        },
        lambda o: {"with_person": o.head.pk, "scheduled_for": MEETING_WHEN},
    ),
    page(
        "goals/one-on-ones/<int:pk>/",
        "GET",
        lambda o: f"/goals/one-on-ones/{meeting_of(o).pk}/",
        party(200),
    ),
    page(
        "goals/one-on-ones/<int:pk>/",
        "GET",
        lambda o: f"/goals/one-on-ones/{meeting_of(o, shared=True).pk}/",
        party(200, office=200),
        label="shared",
    ),
    page(
        "goals/one-on-ones/<int:pk>/edit/",
        "GET",
        lambda o: f"/goals/one-on-ones/{meeting_of(o, shared=True).pk}/edit/",
        party(200, office=403),
        label="shared",
    ),
    page(
        "goals/one-on-ones/<int:pk>/edit/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o).pk}/edit/",
        party(302),
        {"scheduled_for": MEETING_WHEN, "status": "held", "agenda": "议程", "version": "1"},
    ),
    page(
        "goals/one-on-ones/<int:pk>/notes/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o).pk}/notes/",
        party(302),
        {"shared_notes": "纪要", "version": "1"},
    ),
    page(
        "goals/one-on-ones/<int:pk>/notes/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o, shared=True).pk}/notes/",
        party(302, office=403),
        {"shared_notes": "纪要", "version": "1"},
        label="shared",
    ),
    page(
        "goals/one-on-ones/<int:pk>/private-note/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o, shared=True).pk}/private-note/",
        party(302, office=403),
        {"text": "自己的记录"},
        label="shared",
    ),
    page(
        "goals/one-on-ones/<int:pk>/share/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o).pk}/share/",
        party(302),
        {"shared": "1"},
    ),
    page(
        "goals/one-on-ones/<int:pk>/actions/",
        "POST",
        lambda o: f"/goals/one-on-ones/{meeting_of(o).pk}/actions/",
        party(302),
        lambda o: {"text": "整理清单", "owner": o.employee.pk},
    ),
    page(
        "goals/one-on-ones/<int:pk>/actions/<int:item_id>/",
        "POST",
        lambda o: "/goals/one-on-ones/{}/actions/{}/".format(*action_item_of(o)),
        party(302),
        {"done": "1"},
    ),
]

API_ROWS += [
    op(
        "GET /api/goals/{goal_id}/checkins",
        lambda o: f"/api/goals/{personal_goal(o).pk}/checkins",
        read(SEES_EMPLOYEE),
    ),
    op(
        "POST /api/goals/{goal_id}/checkins",
        lambda o: f"/api/goals/{personal_goal(o).pk}/checkins",
        reporter(201),
        {"confidence": 6},
    ),
    op(
        "POST /api/goals/checkins/{checkin_id}/comments",
        lambda o: f"/api/goals/checkins/{checkin_of(o).pk}/comments",
        commenter(201),
        {"text": "继续保持"},
    ),
    op("GET /api/goals/one-on-ones", "/api/goals/one-on-ones", everyone(200)),
    op(
        "POST /api/goals/one-on-ones",
        "/api/goals/one-on-ones",
        {
            p: 201 if p in {"employee", "peer"} else 400 if p in HAS_PERSON else 403
            for p in PERSONAS
        },
        lambda o: {"with_person_id": o.head.pk, "scheduled_for": "2030-02-01T10:00:00+08:00"},
    ),
    op(
        "GET /api/goals/one-on-ones/{meeting_id}",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o).pk}",
        party(200),
    ),
    op(
        "GET /api/goals/one-on-ones/{meeting_id}",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o, shared=True).pk}",
        party(200, office=200),
        label="shared",
    ),
    op(
        "PATCH /api/goals/one-on-ones/{meeting_id}",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o, shared=True).pk}",
        party(200, office=403),
        {"version": 1, "status": "held"},
        label="shared",
    ),
    op(
        "PUT /api/goals/one-on-ones/{meeting_id}/shared-notes",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o).pk}/shared-notes",
        party(200),
        {"version": 1, "text": "纪要"},
    ),
    op(
        "GET /api/goals/one-on-ones/{meeting_id}/private-note",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o, shared=True).pk}/private-note",
        party(200),  # never to the office, shared or not
        label="shared",
    ),
    op(
        "PUT /api/goals/one-on-ones/{meeting_id}/private-note",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o).pk}/private-note",
        party(200),
        {"text": "自己的记录"},
    ),
    op(
        "POST /api/goals/one-on-ones/{meeting_id}/share",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o).pk}/share",
        party(200),
        {"shared": True},
    ),
    op(
        "POST /api/goals/one-on-ones/{meeting_id}/action-items",
        lambda o: f"/api/goals/one-on-ones/{meeting_of(o).pk}/action-items",
        party(201),
        lambda o: {"owner_id": o.employee.pk, "text": "整理清单"},
    ),
    op(
        "PATCH /api/goals/one-on-ones/{meeting_id}/action-items/{item_id}",
        lambda o: "/api/goals/one-on-ones/{}/action-items/{}".format(*action_item_of(o)),
        party(200),
        {"done": True},
    ),
    op(
        "DELETE /api/goals/one-on-ones/{meeting_id}/action-items/{item_id}",
        lambda o: "/api/goals/one-on-ones/{}/action-items/{}".format(*action_item_of(o)),
        party(204),
    ),
]


# ---------------------------------------------------------------- work plans

# 办公室's department goal: everyone but the outsider reads it (staff below it see the goals
# of their departments); its planners are the head of 办公室 and the unit's planners. Each
# item is owned by 赵敏 (peer), who reports its progress but does not plan it.
PLANS_OFFICE = frozenset({"head", "leader", "perfadmin", "sysadmin"})
SEES_OFFICE_GOAL = frozenset(PERSONAS) - {"outsider"}
ITEM_OWNER = frozenset({"peer"})
BUDGET_READERS = frozenset({"sysadmin", "perfadmin", "leader", "auditor", "head"})
SETS_SECTION_BUDGET = frozenset({"sysadmin", "perfadmin", "leader", "head"})


def office_goal(o: Org) -> Any:
    from jixiao.goals.models import GoalLevel, GoalStatus
    from tests.goals.factories import make_goal

    return make_goal(
        f"矩阵部门目标{n()}",
        department=o.office,
        level=GoalLevel.DEPARTMENT,
        status=GoalStatus.APPROVED,
        period=str(datetime.date.today().year),
    )


def work_item_of(o: Org, *, milestone: bool = False) -> Any:
    from jixiao.goals.models import Milestone, WorkItem

    today = datetime.date.today()
    item = WorkItem.objects.create(
        goal=office_goal(o),
        title=f"矩阵事项{n()}",
        owner=o.peer,
        planned_start=today - datetime.timedelta(days=5),
        planned_end=today + datetime.timedelta(days=5),
        budget=1000,
    )
    if milestone:
        m = Milestone.objects.create(work_item=item, title="节点", due_date=today, share=50)
        WorkItem.objects.filter(pk=item.pk).update(version=2)
        return m
    return item


def planner(ok: int, *, owner: int | None = None) -> dict[str, int]:
    """A write to the office goal's work plan: planners `ok` (the item's owner `owner`),
    other readers 403, the outsider 404."""
    out = {}
    for p in PERSONAS:
        if p in PLANS_OFFICE:
            out[p] = ok
        elif owner is not None and p in ITEM_OWNER:
            out[p] = owner
        else:
            out[p] = 403 if p in SEES_OFFICE_GOAL else 404
    return out


def work_item_form(o: Org) -> dict[str, Any]:
    today = datetime.date.today()
    return {
        "kind": "task",
        "title": f"矩阵新事项{n()}",
        "planned_start": today.isoformat(),
        "planned_end": (today + datetime.timedelta(days=9)).isoformat(),
        "status": "not_started",
        "percent_complete": "0",
        "budget": "100",
        "version": "1",
    }


def budget_year() -> int:
    return 2030 + n() % 60


PAGE_ROWS += [
    page(
        "goals/<int:goal_id>/work/",
        "GET",
        lambda o: f"/goals/{office_goal(o).pk}/work/",
        read(SEES_OFFICE_GOAL),
    ),
    page(
        "goals/<int:goal_id>/work/new/",
        "GET",
        lambda o: f"/goals/{office_goal(o).pk}/work/new/",
        planner(200),
    ),
    page(
        "goals/<int:goal_id>/work/new/",
        "POST",
        lambda o: f"/goals/{office_goal(o).pk}/work/new/",
        planner(302),
        work_item_form,
    ),
    page(
        "goals/work/items/<int:pk>/",
        "GET",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/",
        read(SEES_OFFICE_GOAL),
    ),
    page(
        "goals/work/items/<int:pk>/edit/",
        "GET",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/edit/",
        planner(200, owner=403),
    ),
    page(
        "goals/work/items/<int:pk>/edit/",
        "POST",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/edit/",
        planner(302, owner=403),
        work_item_form,
    ),
    page(
        "goals/work/items/<int:pk>/progress/",
        "GET",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/progress/",
        planner(200, owner=200),
    ),
    page(
        "goals/work/items/<int:pk>/progress/",
        "POST",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/progress/",
        planner(302, owner=302),
        {"percent_complete": "10", "status": "in_progress", "version": "1"},
    ),
    page(
        "goals/work/items/<int:pk>/delete/",
        "GET",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/delete/",
        planner(200, owner=403),
    ),
    page(
        "goals/work/items/<int:pk>/delete/",
        "POST",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/delete/",
        planner(302, owner=403),
        {"version": "1"},
    ),
    page(
        "goals/work/items/<int:pk>/milestones/new/",
        "GET",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/milestones/new/",
        planner(200, owner=403),
    ),
    page(
        "goals/work/items/<int:pk>/milestones/new/",
        "POST",
        lambda o: f"/goals/work/items/{work_item_of(o).pk}/milestones/new/",
        planner(302, owner=403),
        {"title": "节点", "due_date": datetime.date.today().isoformat(), "version": "1"},
    ),
    page(
        "goals/work/milestones/<int:pk>/edit/",
        "GET",
        lambda o: f"/goals/work/milestones/{work_item_of(o, milestone=True).pk}/edit/",
        planner(200, owner=403),
    ),
    page(
        "goals/work/milestones/<int:pk>/edit/",
        "POST",
        lambda o: f"/goals/work/milestones/{work_item_of(o, milestone=True).pk}/edit/",
        planner(302, owner=403),
        {"title": "新节点", "due_date": datetime.date.today().isoformat(), "version": "2"},
    ),
    page(
        "goals/work/milestones/<int:pk>/done/",
        "POST",
        lambda o: f"/goals/work/milestones/{work_item_of(o, milestone=True).pk}/done/",
        planner(302, owner=302),
        {"done": "1", "version": "2"},
    ),
    page(
        "goals/work/milestones/<int:pk>/remove/",
        "GET",
        lambda o: f"/goals/work/milestones/{work_item_of(o, milestone=True).pk}/remove/",
        planner(200, owner=403),
    ),
    page(
        "goals/work/milestones/<int:pk>/remove/",
        "POST",
        lambda o: f"/goals/work/milestones/{work_item_of(o, milestone=True).pk}/remove/",
        planner(302, owner=403),
        {"version": "2"},
    ),
    page(
        "goals/work/department/<int:dept_id>/",
        "GET",
        lambda o: f"/goals/work/department/{o.office.pk}/",
        read(SEES_OFFICE),
    ),
    page("goals/work/budgets/", "GET", "/goals/work/budgets/", only(BUDGET_READERS, 200)),
    page(
        "goals/work/budgets/<int:department_id>/<int:year>/",
        "GET",
        lambda o: f"/goals/work/budgets/{o.secretariat.pk}/{budget_year()}/",
        {
            p: 200 if p in SETS_SECTION_BUDGET else 403 if p in BUDGET_READERS else 404
            for p in PERSONAS
        },
    ),
    page(
        "goals/work/budgets/<int:department_id>/<int:year>/",
        "POST",
        lambda o: f"/goals/work/budgets/{o.secretariat.pk}/{budget_year()}/",
        {
            p: 302 if p in SETS_SECTION_BUDGET else 403 if p in BUDGET_READERS else 404
            for p in PERSONAS
        },
        {"amount": "1000", "version": "0"},
    ),
]

API_ROWS += [
    op(
        "GET /api/goals/{goal_id}/work-items",
        lambda o: f"/api/goals/{office_goal(o).pk}/work-items",
        read(SEES_OFFICE_GOAL),
    ),
    op(
        "POST /api/goals/{goal_id}/work-items",
        lambda o: f"/api/goals/{office_goal(o).pk}/work-items",
        planner(201),
        lambda o: {
            "title": f"矩阵接口事项{n()}",
            "planned_start": datetime.date.today().isoformat(),
            "planned_end": datetime.date.today().isoformat(),
        },
    ),
    op(
        "GET /api/goals/work-items/{item_id}",
        lambda o: f"/api/goals/work-items/{work_item_of(o).pk}",
        read(SEES_OFFICE_GOAL),
    ),
    op(
        "PATCH /api/goals/work-items/{item_id}",
        lambda o: f"/api/goals/work-items/{work_item_of(o).pk}",
        planner(200, owner=200),
        {"version": 1, "percent_complete": 10},
    ),
    op(
        "DELETE /api/goals/work-items/{item_id}",
        lambda o: f"/api/goals/work-items/{work_item_of(o).pk}?version=1",
        planner(204, owner=403),
    ),
    op(
        "POST /api/goals/work-items/{item_id}/milestones",
        lambda o: f"/api/goals/work-items/{work_item_of(o).pk}/milestones",
        planner(201, owner=403),
        {"version": 1, "title": "节点", "due_date": datetime.date.today().isoformat()},
    ),
    op(
        "PATCH /api/goals/milestones/{milestone_id}",
        lambda o: f"/api/goals/milestones/{work_item_of(o, milestone=True).pk}",
        planner(200, owner=403),
        {"version": 2, "title": "新节点"},
    ),
    op(
        "POST /api/goals/milestones/{milestone_id}/complete",
        lambda o: f"/api/goals/milestones/{work_item_of(o, milestone=True).pk}/complete",
        planner(200, owner=200),
        {"version": 2},
    ),
    op(
        "DELETE /api/goals/milestones/{milestone_id}",
        lambda o: f"/api/goals/milestones/{work_item_of(o, milestone=True).pk}?version=2",
        planner(200, owner=403),
    ),
    op("GET /api/goals/work/budgets", "/api/goals/work/budgets", only(BUDGET_READERS, 200)),
    op(
        "PUT /api/goals/work/budgets/{department_id}/{year}",
        lambda o: f"/api/goals/work/budgets/{o.secretariat.pk}/{budget_year()}",
        {
            p: 200 if p in SETS_SECTION_BUDGET else 403 if p in BUDGET_READERS else 404
            for p in PERSONAS
        },
        {"amount": 1000, "version": 0},
    ),
]


# ---------------------------------------------------------------- goals: planning and approval
# 李文's personal goal is read by the unit readers, 王主任 (her superior and head of 办公室)
# and herself; it is planned by herself, her superior and the planners (head, leader,
# perfadmin); it is approved, locked and closed from above (never by its owner); auditors read.
# The 办公室 department goal is also read by everyone below it (employee, peer), planned by its
# head and the unit planners, approved only from above the office (leader, perfadmin).

SEES_MY_GOAL = SEES_EMPLOYEE
PLANS_MY_GOAL = frozenset({"employee", "head", "leader", "perfadmin", "sysadmin"})
DECIDES_MY_GOAL = frozenset({"head", "leader", "perfadmin", "sysadmin"})
SEES_OFFICE_GOALS = SEES_SECRETARIAT
PLANS_OFFICE = frozenset({"head", "leader", "perfadmin", "sysadmin"})
PLANS_UNIT = frozenset({"leader", "perfadmin", "sysadmin"})


def acts(allowed: frozenset[str], ok: int, visible: frozenset[str]) -> dict[str, int]:
    """A write on one goal: `allowed` succeed, other readers 403, everybody else 404."""
    return {p: ok if p in allowed else 403 if p in visible else 404 for p in PERSONAS}


def my_goal(o: Org, status: str = "draft") -> Any:
    """A fresh personal goal of 李文's with a key result, in a year of its own: submitting
    checks that the owner's weights for the period add up to 100%."""
    from tests.goals.factories import add_kr, make_goal

    extra: dict[str, Any] = {}
    if status != "draft":
        extra["submitted_by"] = o.users["employee"]
    goal = make_goal(
        f"矩阵个人目标{n()}",
        person=o.employee,
        status=status,
        period=str(2030 + n() % 70),
        **extra,
    )
    add_kr(goal, "办结率", baseline=0, target=100)
    return goal


def my_change_request(o: Org) -> Any:
    """A pending change request of 李文's on her approved goal."""
    from jixiao.goals import workflow
    from jixiao.goals.services import GoalData

    goal = my_goal(o, "approved")
    data = GoalData.of(goal)
    data.title += "（调整）"
    user = o.users["employee"]
    return workflow.change_request_create(
        actor=Actor.for_user(user, source="web"),
        user=user,
        goal_id=goal.pk,
        expected_version=goal.version,
        data=data,
        reason="任务调整",
    )


def my_evidence(o: Org, *, with_file: bool = False) -> Any:
    from django.core.files.base import ContentFile

    from jixiao.goals.models import Evidence

    evidence = Evidence(goal=my_goal(o, "approved"), title="会议纪要")
    if with_file:
        evidence.file_name = "纪要.txt"
        evidence.file.save("纪要.txt", ContentFile("内容".encode()), save=True)
    else:
        evidence.url = "https://x.cn/1"
        evidence.save()
    return evidence


def theme_of(o: Org) -> Any:
    from jixiao.goals.models import StrategicTheme

    return StrategicTheme.objects.create(unit=o.unit, name=f"主题{n()}")


def objective_of(o: Org) -> Any:
    from jixiao.goals.models import StrategicObjective

    return StrategicObjective.objects.create(
        unit=o.unit, theme=theme_of(o), title=f"目标{n()}", start_year=2026, end_year=2030
    )


def template_of(o: Org) -> Any:
    from jixiao.goals.models import GoalTemplate

    return GoalTemplate.objects.create(name=f"模板{n()}", title="窗口办件零差错")


def goal_version(pk: int) -> int:
    from jixiao.goals.models import Goal

    return version_of(Goal, pk)


def close_form(goal: Any) -> dict[str, Any]:
    from jixiao.goals import workflow

    return {"version": goal.version, "outcome": workflow.suggested_outcome(goal.progress)}


def goal_content(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "weight": 100,
        "key_results": [{"title": "办结率", "baseline": 0, "target": 100}],
    }


@dataclass
class _Made:
    """A builder's object kept for the data builder of the same request."""

    obj: Any = None


def with_goal(make: Callable[[Org], Any], url: str) -> tuple[Builder, Builder]:
    """A URL builder and a data builder sharing one fresh object: `url` has {pk}; the data
    carries the object's version."""
    made = _Made()

    def build_url(o: Org) -> str:
        made.obj = make(o)
        return url.format(pk=made.obj.pk)

    def build_data(o: Org) -> dict[str, Any]:
        return {"version": made.obj.version}

    return build_url, build_data


_submit_url, _submit_data = with_goal(my_goal, "/goals/{pk}/submit/")
_approve_url, _approve_data = with_goal(lambda o: my_goal(o, "submitted"), "/goals/{pk}/approve/")
_return_url, _return_data = with_goal(lambda o: my_goal(o, "submitted"), "/goals/{pk}/return/")
_lock_url, _lock_data = with_goal(lambda o: my_goal(o, "approved"), "/goals/{pk}/lock/")
_cr_approve_url, _cr_approve_data = with_goal(my_change_request, "/goals/changes/{pk}/approve/")
_cr_reject_url, _cr_reject_data = with_goal(my_change_request, "/goals/changes/{pk}/reject/")
_cr_withdraw_url, _cr_withdraw_data = with_goal(my_change_request, "/goals/changes/{pk}/withdraw/")
_close_goal = _Made()


def _close_url(o: Org) -> str:
    _close_goal.obj = my_goal(o, "approved")
    return f"/goals/{_close_goal.obj.pk}/close/"


def _close_data(o: Org) -> dict[str, Any]:
    return close_form(_close_goal.obj)


_api_goal = _Made()


def _api_goal_url(status: str, suffix: str = "") -> Builder:
    def build(o: Org) -> str:
        _api_goal.obj = my_goal(o, status)
        return f"/api/goals/{_api_goal.obj.pk}{suffix}"

    return build


def _api_version(o: Org) -> dict[str, Any]:
    return {"version": _api_goal.obj.version}


_api_cr = _Made()


def _api_cr_url(action: str) -> Builder:
    def build(o: Org) -> str:
        _api_cr.obj = my_change_request(o)
        return f"/api/goals/change-requests/{_api_cr.obj.pk}/{action}"

    return build


PAGE_ROWS += [
    page("goals/", "GET", "/goals/", everyone(200)),
    page("goals/all/", "GET", "/goals/all/", everyone(200)),
    page(
        "goals/new/",
        "GET",
        "/goals/new/",
        only(HAS_PERSON, 200, 404),  # one's own personal goal: only for people
        label="own goal",
    ),
    page(
        "goals/new/",
        "GET",
        lambda o: f"/goals/new/?level=person&person={o.employee.pk}",
        acts(PLANS_MY_GOAL, 200, SEES_EMPLOYEE),
        label="for 李文",
    ),
    page(
        "goals/new/",
        "GET",
        lambda o: f"/goals/new/?level=department&department={o.office.pk}",
        acts(PLANS_OFFICE, 200, SEES_OFFICE),
        label="for 办公室",
    ),
    page("goals/<int:pk>/", "GET", lambda o: f"/goals/{my_goal(o).pk}/", read(SEES_MY_GOAL)),
    page(
        "goals/<int:pk>/",
        "GET",
        lambda o: f"/goals/{office_goal(o).pk}/",
        read(SEES_OFFICE_GOALS),
        label="办公室 goal",
    ),
    page("goals/<int:pk>/", "GET", f"/goals/{MISSING}/", everyone(404), label="unknown"),
    page(
        "goals/<int:pk>/edit/",
        "GET",
        lambda o: f"/goals/{my_goal(o).pk}/edit/",
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
    ),
    page(
        "goals/<int:pk>/edit/",
        "POST",
        lambda o: f"/goals/{my_goal(o).pk}/edit/",
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
        {},
        label="invalid form",
    ),
    page(
        "goals/<int:pk>/edit/",
        "GET",
        lambda o: f"/goals/{my_goal(o, 'approved').pk}/edit/",
        acts(frozenset(), 200, SEES_MY_GOAL),  # approved: changed only by a change request
        label="approved",
    ),
    page(
        "goals/<int:pk>/delete/",
        "POST",
        lambda o: f"/goals/{my_goal(o).pk}/delete/",
        acts(PLANS_MY_GOAL, 302, SEES_MY_GOAL),
    ),
    page(
        "goals/<int:pk>/cascade/",
        "GET",
        lambda o: f"/goals/{office_goal(o).pk}/cascade/",
        acts(PLANS_OFFICE, 200, SEES_OFFICE_GOALS),
    ),
    page(
        "goals/<int:pk>/evidence/",
        "POST",
        lambda o: f"/goals/{my_goal(o, 'approved').pk}/evidence/",
        acts(frozenset({"employee"}), 302, SEES_MY_GOAL),  # who reports on it: 李文
        {"title": "会议纪要", "url": "https://x.cn/1"},
    ),
    page(
        "goals/evidence/<int:pk>/remove/",
        "POST",
        lambda o: f"/goals/evidence/{my_evidence(o).pk}/remove/",
        acts(frozenset({"employee"}), 302, SEES_MY_GOAL),
    ),
    page(
        "goals/evidence/<int:pk>/file/",
        "GET",
        lambda o: f"/goals/evidence/{my_evidence(o, with_file=True).pk}/file/",
        read(SEES_MY_GOAL),
    ),
    page(
        "goals/evidence/<int:pk>/file/",
        "GET",
        f"/goals/evidence/{MISSING}/file/",
        everyone(404),
        label="unknown",
    ),
    # the workflow: a refusal for lack of rights is 403, not a message
    page(
        "goals/<int:pk>/submit/",
        "POST",
        _submit_url,
        acts(PLANS_MY_GOAL, 302, SEES_MY_GOAL),
        _submit_data,
    ),
    page(
        "goals/<int:pk>/approve/",
        "POST",
        _approve_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),  # 李文 herself: 403 (own goal)
        _approve_data,
    ),
    page(
        "goals/<int:pk>/return/",
        "POST",
        _return_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),
        lambda o: {**_return_data(o), "comment": "请补充衡量标准"},
    ),
    page(
        "goals/<int:pk>/lock/",
        "POST",
        _lock_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),
        _lock_data,
    ),
    page(
        "goals/<int:pk>/close/",
        "GET",
        lambda o: f"/goals/{my_goal(o, 'approved').pk}/close/",
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
    ),
    page(
        "goals/<int:pk>/close/",
        "POST",
        _close_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),
        _close_data,
    ),
    page(
        "goals/<int:pk>/change/",
        "GET",
        lambda o: f"/goals/{my_goal(o, 'approved').pk}/change/",
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
    ),
    page(
        "goals/<int:pk>/change/",
        "POST",
        lambda o: f"/goals/{my_goal(o, 'approved').pk}/change/",
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
        {},
        label="invalid form",
    ),
    page(
        "goals/changes/<int:pk>/approve/",
        "POST",
        _cr_approve_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),  # not the requester
        _cr_approve_data,
    ),
    page(
        "goals/changes/<int:pk>/reject/",
        "POST",
        _cr_reject_url,
        acts(DECIDES_MY_GOAL, 302, SEES_MY_GOAL),
        _cr_reject_data,
    ),
    page(
        "goals/changes/<int:pk>/withdraw/",
        "POST",
        _cr_withdraw_url,
        acts(frozenset({"employee"}), 302, SEES_MY_GOAL),  # the requester alone
        _cr_withdraw_data,
    ),
    page("goals/approvals/", "GET", "/goals/approvals/", everyone(200)),
    page(
        "goals/approvals/close/",
        "POST",
        "/goals/approvals/close/",
        everyone(302),
        {},
        label="nothing ticked",
    ),
    page(
        "goals/lock-period/",
        "POST",
        "/goals/lock-period/",
        only(PLANS_UNIT, 302),
        lambda o: {"department": o.office.pk, "period": "2026"},
    ),
    # planning pages
    page(
        "goals/department/<int:pk>/",
        "GET",
        lambda o: f"/goals/department/{o.office.pk}/",
        read(SEES_OFFICE),
    ),
    page("goals/tree/", "GET", "/goals/tree/", everyone(200), label="own department"),
    page(
        "goals/tree/",
        "GET",
        lambda o: f"/goals/tree/?department={o.office.pk}",
        read(SEES_OFFICE),
        label="办公室",
    ),
    page("goals/tree.json", "GET", "/goals/tree.json", everyone(200)),
    page(
        "goals/tree.json",
        "GET",
        lambda o: f"/goals/tree.json?department={o.office.pk}",
        read(SEES_OFFICE),
        label="办公室",
    ),
    page("goals/strategy/", "GET", "/goals/strategy/", everyone(200)),
    page(
        "goals/strategy/default-themes/",
        "POST",
        "/goals/strategy/default-themes/",
        only(PLANS_UNIT, 302),
        lambda o: {"unit": o.unit.pk},
    ),
    page(
        "goals/strategy/themes/new/",
        "GET",
        lambda o: f"/goals/strategy/themes/new/?unit={o.unit.pk}",
        only(PLANS_UNIT, 200),
    ),
    page(
        "goals/strategy/themes/<int:pk>/",
        "GET",
        lambda o: f"/goals/strategy/themes/{theme_of(o).pk}/",
        only(PLANS_UNIT, 200),
    ),
    page(
        "goals/strategy/themes/<int:pk>/",
        "GET",
        f"/goals/strategy/themes/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    page(
        "goals/strategy/objectives/new/",
        "GET",
        lambda o: f"/goals/strategy/objectives/new/?unit={o.unit.pk}",
        only(PLANS_UNIT, 200),
    ),
    page(
        "goals/strategy/objectives/<int:pk>/",
        "GET",
        lambda o: f"/goals/strategy/objectives/{objective_of(o).pk}/",
        only(PLANS_UNIT, 200),
    ),
    page(
        "goals/strategy/policy/",
        "POST",
        "/goals/strategy/policy/",
        only(PLANS_UNIT, 302),
        lambda o: {"unit": o.unit.pk, "min_capacity_share": "20"},
    ),
    page(
        "goals/conflicts/acknowledge/",
        "POST",
        "/goals/conflicts/acknowledge/",
        only(PLANS_OFFICE, 302),
        lambda o: {
            "key": f"matrix-{n()}",
            "kind": "target",
            "goals": str(office_goal(o).pk),
            "note": "已与相关科室协调",
        },
    ),
    page("goals/templates/", "GET", "/goals/templates/", only(PLANS_OFFICE, 200)),
    page("goals/templates/new/", "GET", "/goals/templates/new/", only(PLANS_OFFICE, 200)),
    page(
        "goals/templates/<int:pk>/",
        "GET",
        lambda o: f"/goals/templates/{template_of(o).pk}/",
        only(PLANS_OFFICE, 200),
    ),
    page(
        "goals/templates/<int:pk>/assign/",
        "GET",
        lambda o: f"/goals/templates/{template_of(o).pk}/assign/",
        only(PLANS_OFFICE, 200),
    ),
]

API_ROWS += [
    op("GET /api/goals", "/api/goals", everyone(200)),
    op(
        "POST /api/goals",
        "/api/goals",
        # A person outside scope is an unknown reference in the body (400), as in the org API.
        {**acts(PLANS_MY_GOAL, 201, SEES_EMPLOYEE), "peer": 400, "outsider": 400},
        lambda o: {
            **goal_content(f"矩阵接口目标{n()}"),
            "level": "person",
            "period": str(2030 + n() % 70),
            "person_id": o.employee.pk,
        },
    ),
    op(
        "GET /api/goals/{goal_id}",
        lambda o: f"/api/goals/{my_goal(o).pk}",
        read(SEES_MY_GOAL),
    ),
    op("GET /api/goals/{goal_id}", f"/api/goals/{MISSING}", everyone(404), label="unknown"),
    op(
        "PUT /api/goals/{goal_id}",
        _api_goal_url("draft"),
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
        lambda o: {**goal_content("改过的目标"), **_api_version(o)},
    ),
    op(
        "DELETE /api/goals/{goal_id}",
        lambda o: f"/api/goals/{my_goal(o).pk}?version=1",
        acts(PLANS_MY_GOAL, 204, SEES_MY_GOAL),
    ),
    op(
        "POST /api/goals/{goal_id}/submit",
        _api_goal_url("draft", "/submit"),
        acts(PLANS_MY_GOAL, 200, SEES_MY_GOAL),
        _api_version,
    ),
    op(
        "POST /api/goals/{goal_id}/approve",
        _api_goal_url("submitted", "/approve"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        _api_version,
    ),
    op(
        "POST /api/goals/{goal_id}/return",
        _api_goal_url("submitted", "/return"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        lambda o: {**_api_version(o), "comment": "请补充衡量标准"},
    ),
    op(
        "POST /api/goals/{goal_id}/lock",
        _api_goal_url("approved", "/lock"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        _api_version,
    ),
    op(
        "POST /api/goals/{goal_id}/close",
        _api_goal_url("approved", "/close"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        lambda o: close_form(_api_goal.obj),
    ),
    op(
        "POST /api/goals/{goal_id}/change-requests",
        _api_goal_url("approved", "/change-requests"),
        acts(PLANS_MY_GOAL, 201, SEES_MY_GOAL),
        lambda o: {**goal_content("调整后的目标"), **_api_version(o), "reason": "任务调整"},
    ),
    op(
        "GET /api/goals/{goal_id}/change-requests",
        lambda o: f"/api/goals/{my_change_request(o).goal_id}/change-requests",
        read(SEES_MY_GOAL),
    ),
    op(
        "POST /api/goals/change-requests/{request_id}/approve",
        _api_cr_url("approve"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        lambda o: {"version": _api_cr.obj.version},
    ),
    op(
        "POST /api/goals/change-requests/{request_id}/reject",
        _api_cr_url("reject"),
        acts(DECIDES_MY_GOAL, 200, SEES_MY_GOAL),
        lambda o: {"version": _api_cr.obj.version, "note": "维持原目标"},
    ),
    op(
        "GET /api/goals/alignment/{department_id}",
        lambda o: f"/api/goals/alignment/{o.office.pk}",
        read(SEES_OFFICE),
    ),
    op(
        "POST /api/goals/templates/{template_id}/assign",
        lambda o: f"/api/goals/templates/{template_of(o).pk}/assign",
        only(PLANS_OFFICE, 200),
        lambda o: {"period": str(2030 + n() % 70), "department_id": o.secretariat.pk},
    ),
    op(
        "POST /api/goals/indicator-actuals",
        "/api/goals/indicator-actuals",
        only(PLANS_UNIT, 200),  # performance administrators and unit leaders
        {"rows": []},
    ),
]

# ---------------------------------------------------------------- appraisals: my ratings

# A civil-servant cycle over the whole unit, in the rating phase: 王主任 rates 李文 and 赵敏 as
# their superior; 李文 and 赵敏 rate each other as (anonymous) peers; the four people with a
# person record each have an appraisal and rate themselves. The one-time-code pages are
# public: every persona (and an anonymous visitor, see tests/appraisals) gets the same answer.
APPRAISED = frozenset({"outsider", "peer", "employee", "head"})
CYCLE_OFFICE = frozenset({"leader", "auditor", "perfadmin", "sysadmin"})


def rating_cycle(o: Org) -> Any:
    from jixiao.appraisals import cycles, schemes
    from jixiao.appraisals.models import Cycle, CyclePhase, Scheme

    found = Cycle.objects.filter(name="矩阵考核").first()
    if found is not None:
        return found
    admin = o.users["perfadmin"]
    actor = Actor.for_user(admin, source="web")
    scheme = Scheme.objects.filter(code="MXGWY", is_latest=True).first() or (
        schemes.scheme_from_preset(actor=actor, user=admin, preset="civil_servant", code="MXGWY")
    )
    made = cycles.cycle_create(
        actor=actor,
        user=admin,
        data=cycles.CycleData(
            name="矩阵考核",
            kind="annual",
            unit_id=o.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[o.unit.pk]),
        ),
    )
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.RATING)
    return made


def superior_assignment(o: Org) -> Any:
    from jixiao.appraisals.models import Assignment

    return Assignment.objects.get(
        cycle=rating_cycle(o), appraisal__person=o.employee, group="superior", rater=o.head
    )


def employee_appraisal(o: Org) -> Any:
    from jixiao.appraisals.models import Appraisal

    return Appraisal.objects.get(cycle=rating_cycle(o), person=o.employee)


def nomination_url(o: Org) -> str:
    """A fresh pending nomination by 李文 of a new colleague, for 王主任 to decide."""
    from jixiao.appraisals import nominations

    appraisal = employee_appraisal(o)  # before the colleague, who must not be in the cycle
    colleague = f.make_person(f"同事{n()}", o.secretariat, employee_no=f"M{n():05d}")
    user = o.users["employee"]
    made = nominations.nominations_create(
        actor=Actor.for_user(user, source="web"),
        user=user,
        appraisal_id=appraisal.pk,
        person_ids=[colleague.pk],
    )
    return f"/appraisals/nominations/{made[0].pk}/decide/"


PAGE_ROWS += [
    page("appraisals/rate/", "GET", "/appraisals/rate/", everyone(200)),
    page(
        "appraisals/rate/<int:cycle_id>/<str:group>/",
        "GET",
        lambda o: f"/appraisals/rate/{rating_cycle(o).pk}/superior/",
        only({"head"}, 200, 404),
        label="superior",
    ),
    page(
        "appraisals/rate/<int:cycle_id>/<str:group>/",
        "GET",
        lambda o: f"/appraisals/rate/{rating_cycle(o).pk}/peer/",
        only({"employee", "peer"}, 200, 404),
        label="peer",
    ),
    page(
        "appraisals/rate/<int:cycle_id>/<str:group>/",
        "POST",
        lambda o: f"/appraisals/rate/{rating_cycle(o).pk}/superior/",
        only({"head"}, 302, 404),
        {"action": "draft"},
        label="nothing typed",
    ),
    page(
        "appraisals/rate/<int:cycle_id>/people/<int:appraisal_id>/",
        "GET",
        lambda o: f"/appraisals/rate/{rating_cycle(o).pk}/people/{employee_appraisal(o).pk}/",
        only({"employee", "peer", "head"} | CYCLE_OFFICE, 200, 404),
        label="李文, read by her raters and the office",
    ),
    page(
        "appraisals/self/<int:cycle_id>/",
        "GET",
        lambda o: f"/appraisals/self/{rating_cycle(o).pk}/",
        only(APPRAISED, 200, 404),
    ),
    page(
        "appraisals/self/<int:cycle_id>/",
        "POST",
        lambda o: f"/appraisals/self/{rating_cycle(o).pk}/",
        only(APPRAISED, 400, 404),
        {"form": "summary", "summary": "小结"},
        label="no version",
    ),
    page("appraisals/nominations/", "GET", "/appraisals/nominations/", everyone(200)),
    page(
        "appraisals/nominations/<int:pk>/decide/",
        "POST",
        nomination_url,
        {**only({"head"}, 302, 404), "employee": 403},
        {"version": 1, "decision": "approve"},
    ),
    page("appraisals/code/", "GET", "/appraisals/code/", everyone(200)),
    page(
        "appraisals/code/",
        "POST",
        "/appraisals/code/",
        everyone(400),
        {"code": "AAAAA-AAAAA"},
        label="unknown code",
    ),
    page("appraisals/code/rate/", "GET", "/appraisals/code/rate/", everyone(302), label="no code"),
    page("appraisals/code/thanks/", "GET", "/appraisals/code/thanks/", everyone(200)),
]

API_ROWS += [
    op("GET /api/appraisals/my/assignments", "/api/appraisals/my/assignments", everyone(200)),
    op(
        "GET /api/appraisals/my/assignments/{assignment_id}",
        lambda o: f"/api/appraisals/my/assignments/{superior_assignment(o).pk}",
        only({"head"}, 200, 404),
    ),
    op(
        "POST /api/appraisals/my/ratings",
        "/api/appraisals/my/ratings",
        only({"head"}, 200, 404),
        lambda o: {
            "entries": [
                {
                    "assignment_id": superior_assignment(o).pk,
                    "version": superior_assignment(o).version,
                    "ratings": [],
                }
            ]
        },
    ),
    op(
        "GET /api/appraisals/my/appraisals/{cycle_id}",
        lambda o: f"/api/appraisals/my/appraisals/{rating_cycle(o).pk}",
        only(APPRAISED, 200, 404),
    ),
    op(
        "PUT /api/appraisals/my/appraisals/{cycle_id}",
        lambda o: f"/api/appraisals/my/appraisals/{rating_cycle(o).pk}",
        only(APPRAISED, 409, 404),
        {"version": 0, "summary": "小结"},
        label="stale version",
    ),
]


# ---------------------------------------------------------------- appraisals: results

# A second civil-servant cycle over the whole unit, computed and showing its results (the
# rating cycle above is the one before results). Its office is CYCLE_OFFICE; 王主任 heads
# 办公室 and is the superior of 李文 and 赵敏; each persona with a person record is appraised.
SEES_EMPLOYEE_RESULT = SEES_EMPLOYEE  # the office, 王主任 (once shown) and 李文 herself


def results_cycle(o: Org) -> Any:
    from jixiao.appraisals import cycles, schemes, scoring
    from jixiao.appraisals.models import Cycle, CyclePhase, Scheme

    found = Cycle.objects.filter(name="矩阵结果").first()
    if found is not None:
        return found
    admin = o.users["perfadmin"]
    actor = Actor.for_user(admin, source="web")
    scheme = Scheme.objects.filter(code="MXGWY", is_latest=True).first() or (
        schemes.scheme_from_preset(actor=actor, user=admin, preset="civil_servant", code="MXGWY")
    )
    made = cycles.cycle_create(
        actor=actor,
        user=admin,
        data=cycles.CycleData(
            name="矩阵结果",
            kind="annual",
            unit_id=o.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2025, 1, 1),
            end=datetime.date(2025, 12, 31),
            population=cycles.Population(department_ids=[o.unit.pk]),
        ),
    )
    scoring.recompute_cycle(made.pk)
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.RESULTS)
    return Cycle.objects.get(pk=made.pk)


def employee_result(o: Org) -> Any:
    from jixiao.appraisals.models import Appraisal

    return Appraisal.objects.get(cycle=results_cycle(o), person=o.employee)


def employee_kpi(o: Org) -> Any:
    from jixiao.appraisals.models import KpiScore

    return KpiScore.objects.get(appraisal=employee_result(o), item__code="goals")


def kpi_url(o: Org, what: str, api: bool = False) -> str:
    row = employee_kpi(o)
    if api:
        return f"/api/appraisals/results/{row.appraisal_id}/kpi/{row.item_id}/{what}"
    return f"/appraisals/results/{row.appraisal_id}/kpi/{row.item_id}/{what}/"


def results_file_of(o: Org) -> Any:
    """A finished results workbook of perfadmin's, with its file on disk."""
    from jixiao.appraisals.models import ResultFile, ResultFileKind

    stored = Path(tempfile.gettempdir()) / "jixiao-permission-matrix-results.xlsx"
    stored.write_bytes(b"PK")
    return ResultFile.objects.create(
        cycle=results_cycle(o),
        owner=o.users["perfadmin"],
        kind=ResultFileKind.XLSX,
        file_name="results.xlsx",
        stored_path=str(stored),
        status="succeeded",
        total=4,
        done=4,
    )


SUPERIOR_ONLY = {
    p: 200 if p == "head" else 404 if p in ("outsider", "peer") else 403 for p in PERSONAS
}

PAGE_ROWS += [
    page("appraisals/results/", "GET", "/appraisals/results/", everyone(200)),
    page(
        "appraisals/results/<int:pk>/",
        "GET",
        lambda o: f"/appraisals/results/{employee_result(o).pk}/",
        read(SEES_EMPLOYEE_RESULT),
        label="李文, results shown",
    ),
    page(
        "appraisals/results/<int:pk>/",
        "GET",
        lambda o: f"/appraisals/results/{employee_appraisal(o).pk}/",
        read(CYCLE_OFFICE | {"employee"}),
        label="李文, before results",
    ),
    page(
        "appraisals/results/<int:pk>/form.pdf",
        "GET",
        lambda o: f"/appraisals/results/{employee_result(o).pk}/form.pdf",
        read(SEES_EMPLOYEE_RESULT),
    ),
    page(
        "appraisals/results/<int:pk>/kpi/<int:item_id>/override/",
        "GET",
        lambda o: kpi_url(o, "override"),
        write(SEES_EMPLOYEE_RESULT, 200),
    ),
    page(
        "appraisals/results/<int:pk>/kpi/<int:item_id>/override/",
        "POST",
        lambda o: kpi_url(o, "override"),
        write(SEES_EMPLOYEE_RESULT, 400),
        {"score": "80", "reason": "", "version": "1"},
        label="no reason",
    ),
    page(
        "appraisals/results/<int:pk>/eligibility/",
        "GET",
        lambda o: f"/appraisals/results/{employee_result(o).pk}/eligibility/",
        write(SEES_EMPLOYEE_RESULT, 200),
    ),
    page(
        "appraisals/results/<int:pk>/eligibility/",
        "POST",
        lambda o: f"/appraisals/results/{employee_result(o).pk}/eligibility/",
        write(SEES_EMPLOYEE_RESULT, 400),
        {"eligibility": "refused", "reason": "", "version": "1"},
        label="no reason",
    ),
    page(
        "appraisals/results/<int:pk>/kpi/<int:item_id>/comment/",
        "GET",
        lambda o: kpi_url(o, "comment"),
        SUPERIOR_ONLY,
    ),
    page(
        "appraisals/results/<int:pk>/kpi/<int:item_id>/comment/",
        "POST",
        lambda o: kpi_url(o, "comment"),
        {**SUPERIOR_ONLY, "head": 302},
        lambda o: {"comment": "请补充佐证材料", "version": employee_kpi(o).version},
    ),
    page(
        "appraisals/results/cycle/<int:pk>/",
        "GET",
        lambda o: f"/appraisals/results/cycle/{results_cycle(o).pk}/",
        only(CYCLE_OFFICE, 200),
    ),
    page(
        "appraisals/results/cycle/<int:pk>/team/",
        "GET",
        lambda o: f"/appraisals/results/cycle/{results_cycle(o).pk}/team/",
        only(CYCLE_OFFICE | {"head"}, 200),
    ),
    page(
        "appraisals/results/cycle/<int:pk>/team/",
        "GET",
        lambda o: f"/appraisals/results/cycle/{rating_cycle(o).pk}/team/",
        only(CYCLE_OFFICE, 200),
        label="before results",
    ),
    page(
        "appraisals/results/cycle/<int:pk>/export/",
        "POST",
        lambda o: f"/appraisals/results/cycle/{results_cycle(o).pk}/export/",
        only(CYCLE_OFFICE, 302),
    ),
    page(
        "appraisals/results/cycle/<int:pk>/forms/",
        "POST",
        lambda o: f"/appraisals/results/cycle/{results_cycle(o).pk}/forms/",
        only(CYCLE_OFFICE, 302),
    ),
    page(
        "appraisals/results/files/<int:pk>/",
        "GET",
        lambda o: f"/appraisals/results/files/{results_file_of(o).pk}/",
        only({"perfadmin"}, 200, 404),
    ),
    page(
        "appraisals/results/files/<int:pk>/progress/",
        "GET",
        lambda o: f"/appraisals/results/files/{results_file_of(o).pk}/progress/",
        only({"perfadmin"}, 200, 404),
    ),
    page(
        "appraisals/results/files/<int:pk>/download/",
        "GET",
        lambda o: f"/appraisals/results/files/{results_file_of(o).pk}/download/",
        only({"perfadmin"}, 200, 404),
    ),
]

API_ROWS += [
    op(
        "GET /api/appraisals/cycles/{cycle_id}/results",
        lambda o: f"/api/appraisals/cycles/{results_cycle(o).pk}/results",
        only(CYCLE_OFFICE, 200),
    ),
    op(
        "GET /api/appraisals/cycles/{cycle_id}/grades",
        lambda o: f"/api/appraisals/cycles/{results_cycle(o).pk}/grades",
        only(CYCLE_OFFICE, 200),
    ),
    op(
        "GET /api/appraisals/results/{appraisal_id}",
        lambda o: f"/api/appraisals/results/{employee_result(o).pk}",
        read(SEES_EMPLOYEE_RESULT),
    ),
    op("GET /api/appraisals/my/results", "/api/appraisals/my/results", everyone(200)),
    op(
        "POST /api/appraisals/results/{appraisal_id}/kpi/{item_id}/override",
        lambda o: kpi_url(o, "override", api=True),
        write(SEES_EMPLOYEE_RESULT, 400),
        {"expected_version": 1, "score": 80, "reason": ""},
        label="no reason",
    ),
    op(
        "POST /api/appraisals/results/{appraisal_id}/eligibility",
        lambda o: f"/api/appraisals/results/{employee_result(o).pk}/eligibility",
        write(SEES_EMPLOYEE_RESULT, 400),
        {"expected_version": 1, "eligibility": "refused", "reason": ""},
        label="no reason",
    ),
    op(
        "PUT /api/appraisals/results/{appraisal_id}/kpi/{item_id}/comment",
        lambda o: kpi_url(o, "comment", api=True),
        SUPERIOR_ONLY,
        lambda o: {"expected_version": employee_kpi(o).version, "comment": "请补充佐证材料"},
    ),
]


# ---------------------------------------------------------------- appraisals: the office

# The performance office's pages of a civil-servant cycle over the whole unit, in the rating
# phase. The office (performance administrators, unit leaders, auditors) reads them; the unit's
# performance administrators (and system administrators) change things; a department head sees
# the cycle (for its results) but gets 403 on these pages; everybody else gets 404. Schemes are
# readable by every signed-in user and changed by system and performance administrators.
OFFICE_WRITERS = frozenset({"perfadmin", "sysadmin"})


def office_reads(ok: int = 200) -> dict[str, int]:
    return {p: ok if p in CYCLE_OFFICE else 403 if p == "head" else 404 for p in PERSONAS}


def office_writes(ok: int) -> dict[str, int]:
    seen = CYCLE_OFFICE | {"head"}
    return {p: ok if p in OFFICE_WRITERS else 403 if p in seen else 404 for p in PERSONAS}


def office_cycle(o: Org) -> Any:
    from jixiao.appraisals import cycles, schemes
    from jixiao.appraisals.models import Cycle, CyclePhase, Scheme

    found = Cycle.objects.filter(name="矩阵考核办").first()
    if found is not None:
        return found
    admin = o.users["perfadmin"]
    actor = Actor.for_user(admin, source="web")
    scheme = Scheme.objects.filter(code="MXOFFICE", is_latest=True).first() or (
        schemes.scheme_from_preset(actor=actor, user=admin, preset="civil_servant", code="MXOFFICE")
    )
    made = cycles.cycle_create(
        actor=actor,
        user=admin,
        data=cycles.CycleData(
            name="矩阵考核办",
            kind="annual",
            unit_id=o.unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
            population=cycles.Population(department_ids=[o.unit.pk]),
            deadlines={"rating": "2026-12-20"},
        ),
    )
    Cycle.objects.filter(pk=made.pk).update(phase=CyclePhase.RATING)
    made.refresh_from_db()
    return made


def office_appraisal(o: Org) -> Any:
    return office_cycle(o).appraisals.get(person=o.employee)


def office_phase_body(o: Org) -> dict[str, Any]:
    """Stay in the rating phase: a write that succeeds for each writer in turn."""
    from jixiao.appraisals.models import Cycle

    return {"phase": "rating", "version": Cycle.objects.get(pk=office_cycle(o).pk).version}


def office_patch_body(o: Org) -> dict[str, Any]:
    """The cycle's own name and deadlines again: a write that succeeds for each writer and
    changes nothing the other rows rely on."""
    from jixiao.appraisals.models import Cycle

    found = Cycle.objects.get(pk=office_cycle(o).pk)
    return {"expected_version": found.version, "name": found.name, "deadlines": found.deadlines}


def office_open_assignment(o: Org) -> Any:
    """李文 rated by 陈晨 as a peer, open again each time it is built."""
    from jixiao.appraisals.models import Assignment

    made, _ = Assignment.objects.update_or_create(
        appraisal=office_appraisal(o),
        group="peer",
        rater=o.outsider,
        defaults={"cycle": office_cycle(o), "status": "open"},
    )
    return made


def office_new_assignment_body(o: Org) -> dict[str, Any]:
    from jixiao.appraisals.models import Assignment

    Assignment.objects.filter(
        appraisal=office_appraisal(o), group="peer", rater=o.outsider
    ).delete()
    return {"appraisal_id": office_appraisal(o).pk, "group": "peer", "rater_id": o.outsider.pk}


def office_job(o: Org) -> Any:
    from jixiao.appraisals.models import CycleJob

    return CycleJob.objects.create(cycle=office_cycle(o), kind="recompute", status="failed")


def office_batch(o: Org) -> Any:
    from jixiao.appraisals.models import CodeBatch

    return CodeBatch.objects.create(cycle=office_cycle(o), department=o.office, size=3)


def office_scheme(o: Org) -> Any:
    return office_cycle(o).scheme


def office_cycle_body(o: Org) -> dict[str, Any]:
    return {
        "name": f"矩阵接口考核{n()}",
        "kind": "annual",
        "unit_id": o.unit.pk,
        "scheme_id": office_scheme(o).pk,
        "start": "2026-01-01",
        "end": "2026-12-31",
        "population": {"department_ids": [o.office.pk]},
    }


def _oc(o: Org, tail: str = "") -> str:
    return f"/appraisals/cycles/{office_cycle(o).pk}/{tail}"


PAGE_ROWS += [
    page("appraisals/schemes/", "GET", "/appraisals/schemes/", everyone(200)),
    page("appraisals/schemes/new/", "GET", "/appraisals/schemes/new/", only(MANAGERS, 200)),
    page(
        "appraisals/schemes/new/",
        "POST",
        "/appraisals/schemes/new/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/schemes/<int:pk>/",
        "GET",
        lambda o: f"/appraisals/schemes/{office_scheme(o).pk}/",
        everyone(200),
    ),
    page(
        "appraisals/schemes/<int:pk>/",
        "GET",
        f"/appraisals/schemes/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    page(
        "appraisals/schemes/<int:pk>/edit/",
        "GET",
        lambda o: f"/appraisals/schemes/{office_scheme(o).pk}/edit/",
        only(MANAGERS, 200),
    ),
    page(
        "appraisals/schemes/<int:pk>/edit/",
        "POST",
        lambda o: f"/appraisals/schemes/{office_scheme(o).pk}/edit/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page("appraisals/cycles/", "GET", "/appraisals/cycles/", everyone(200)),
    page("appraisals/cycles/new/", "GET", "/appraisals/cycles/new/", only(MANAGERS, 200)),
    page(
        "appraisals/cycles/new/",
        "POST",
        "/appraisals/cycles/new/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page("appraisals/cycles/<int:pk>/", "GET", lambda o: _oc(o), office_reads()),
    page(
        "appraisals/cycles/<int:pk>/",
        "GET",
        f"/appraisals/cycles/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    page(
        "appraisals/cycles/<int:pk>/edit/",
        "GET",
        lambda o: _oc(o, "edit/"),
        office_writes(200),
    ),
    page(
        "appraisals/cycles/<int:pk>/edit/",
        "POST",
        lambda o: _oc(o, "edit/"),
        office_writes(400),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/cycles/<int:pk>/phase/",
        "POST",
        lambda o: _oc(o, "phase/"),
        office_writes(302),
        office_phase_body,
    ),
    page(
        "appraisals/cycles/<int:pk>/recompute/",
        "POST",
        lambda o: _oc(o, "recompute/"),
        office_writes(302),
    ),
    page(
        "appraisals/cycles/<int:pk>/populate/",
        "POST",
        lambda o: _oc(o, "populate/"),
        office_writes(409),
        label="already populated",
    ),
    page(
        "appraisals/cycles/<int:pk>/jobs/<int:job_id>/",
        "GET",
        lambda o: _oc(o, f"jobs/{office_job(o).pk}/"),
        office_reads(),
    ),
    page(
        "appraisals/cycles/<int:pk>/remind/",
        "POST",
        lambda o: _oc(o, "remind/"),
        office_writes(302),
    ),
    page(
        "appraisals/cycles/<int:pk>/assignments/",
        "GET",
        lambda o: _oc(o, "assignments/"),
        office_reads(),
    ),
    page(
        "appraisals/cycles/<int:pk>/assignments/<int:assignment_id>/cancel/",
        "POST",
        lambda o: _oc(o, f"assignments/{office_open_assignment(o).pk}/cancel/"),
        office_writes(302),
        {"reason": "矩阵"},
    ),
    page(
        "appraisals/cycles/<int:pk>/appraisals/<int:appraisal_id>/raters/",
        "GET",
        lambda o: _oc(o, f"appraisals/{office_appraisal(o).pk}/raters/"),
        office_reads(),
    ),
    page(
        "appraisals/cycles/<int:pk>/appraisals/<int:appraisal_id>/raters/",
        "POST",
        lambda o: _oc(o, f"appraisals/{office_appraisal(o).pk}/raters/"),
        office_writes(200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/cycles/<int:pk>/reassign/",
        "GET",
        lambda o: _oc(o, "reassign/"),
        office_writes(200),
    ),
    page(
        "appraisals/cycles/<int:pk>/reassign/",
        "POST",
        lambda o: _oc(o, "reassign/"),
        office_writes(200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/cycles/<int:pk>/workload/",
        "GET",
        lambda o: _oc(o, "workload/"),
        office_reads(),
    ),
    page(
        "appraisals/cycles/<int:pk>/recipients/",
        "GET",
        lambda o: _oc(o, "recipients/"),
        office_reads(),
    ),
    page(
        "appraisals/cycles/<int:pk>/recipients/",
        "POST",
        lambda o: _oc(o, "recipients/"),
        office_writes(200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/cycles/<int:pk>/rater-stats/",
        "GET",
        lambda o: _oc(o, "rater-stats/"),
        office_reads(),
    ),
    page("appraisals/cycles/<int:pk>/codes/", "GET", lambda o: _oc(o, "codes/"), office_reads()),
    page(
        "appraisals/cycles/<int:pk>/codes/",
        "POST",
        lambda o: _oc(o, "codes/"),
        office_writes(200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/cycles/<int:pk>/codes/<int:batch_id>/",
        "GET",
        lambda o: _oc(o, f"codes/{office_batch(o).pk}/"),
        office_reads(),
    ),
]

API_ROWS += [
    op("GET /api/appraisals/cycles", "/api/appraisals/cycles", everyone(200)),
    op(
        "POST /api/appraisals/cycles",
        "/api/appraisals/cycles",
        only(MANAGERS, 201),
        office_cycle_body,
    ),
    op(
        "GET /api/appraisals/cycles/{cycle_id}",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}",
        office_reads(),
    ),
    op(
        "PATCH /api/appraisals/cycles/{cycle_id}",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}",
        office_writes(200),
        office_patch_body,
    ),
    op(
        "POST /api/appraisals/cycles/{cycle_id}/phase",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/phase",
        office_writes(200),
        office_phase_body,
    ),
    op(
        "POST /api/appraisals/cycles/{cycle_id}/recompute",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/recompute",
        office_writes(202),
    ),
    op(
        "GET /api/appraisals/jobs/{job_id}",
        lambda o: f"/api/appraisals/jobs/{office_job(o).pk}",
        office_reads(),
    ),
    op(
        "GET /api/appraisals/cycles/{cycle_id}/assignments",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/assignments",
        office_reads(),
    ),
    op(
        "GET /api/appraisals/cycles/{cycle_id}/recipients",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/recipients",
        office_reads(),
    ),
    op(
        "PUT /api/appraisals/cycles/{cycle_id}/recipients/{department_id}",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/recipients/{o.service.pk}",
        office_writes(409),
        {"served_ids": []},
        label="the scheme has no recipient group",
    ),
    op(
        "GET /api/appraisals/cycles/{cycle_id}/rater-stats",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/rater-stats",
        office_reads(),
    ),
    op(
        "POST /api/appraisals/cycles/{cycle_id}/assignments",
        lambda o: f"/api/appraisals/cycles/{office_cycle(o).pk}/assignments",
        office_writes(201),
        office_new_assignment_body,
    ),
    op(
        "POST /api/appraisals/cycles/{cycle_id}/assignments/{assignment_id}/cancel",
        lambda o: (
            f"/api/appraisals/cycles/{office_cycle(o).pk}/assignments/"
            f"{office_open_assignment(o).pk}/cancel"
        ),
        office_writes(200),
        {"reason": "矩阵"},
    ),
]


# ---------------------------------------------------------------- appraisals: recurring series

# A quarterly series of the unit whose first period lies far ahead (so "create due cycles
# now" creates nothing for the other rows). The office reads it (unit leaders and auditors
# read only); the unit's performance administrators and system administrators change it;
# everybody else gets 404 for the series and 403 for the pages without one.


def office_series(o: Org) -> Any:
    from jixiao.appraisals import cycles, series
    from jixiao.appraisals.models import CycleSeries

    found = CycleSeries.objects.filter(name="矩阵周期计划").first()
    if found is not None:
        return found
    admin = o.users["perfadmin"]
    return series.series_create(
        actor=Actor.for_user(admin, source="web"),
        user=admin,
        data=series.SeriesData(
            name="矩阵周期计划",
            kind="quarterly",
            unit_id=o.unit.pk,
            scheme_id=office_scheme(o).pk,
            first_start=datetime.date(2099, 1, 1),
            population=cycles.Population(department_ids=[o.office.pk]),
            deadline_offsets={"rating": 15},
        ),
    )


def office_series_version(o: Org) -> int:
    from jixiao.appraisals.models import CycleSeries

    return int(CycleSeries.objects.get(pk=office_series(o).pk).version)


def office_series_body(o: Org) -> dict[str, Any]:
    return {
        "name": f"矩阵接口计划{n()}",
        "kind": "quarterly",
        "unit_id": o.unit.pk,
        "scheme_id": office_scheme(o).pk,
        "first_start": "2099-01-01",
        "population": {"department_ids": [o.office.pk]},
    }


def _os(o: Org, tail: str = "") -> str:
    return f"/appraisals/series/{office_series(o).pk}/{tail}"


PAGE_ROWS += [
    page("appraisals/series/", "GET", "/appraisals/series/", only(CYCLE_OFFICE, 200)),
    page("appraisals/series/new/", "GET", "/appraisals/series/new/", only(MANAGERS, 200)),
    page(
        "appraisals/series/new/",
        "POST",
        "/appraisals/series/new/",
        only(MANAGERS, 200),
        {},
        label="invalid form",
    ),
    page("appraisals/series/run/", "POST", "/appraisals/series/run/", only(MANAGERS, 302)),
    page("appraisals/series/<int:pk>/", "GET", lambda o: _os(o), read(CYCLE_OFFICE)),
    page(
        "appraisals/series/<int:pk>/",
        "GET",
        f"/appraisals/series/{MISSING}/",
        everyone(404),
        label="unknown",
    ),
    page(
        "appraisals/series/<int:pk>/edit/",
        "GET",
        lambda o: _os(o, "edit/"),
        write(CYCLE_OFFICE, 200),
    ),
    page(
        "appraisals/series/<int:pk>/edit/",
        "POST",
        lambda o: _os(o, "edit/"),
        write(CYCLE_OFFICE, 200),
        {},
        label="invalid form",
    ),
    page(
        "appraisals/series/<int:pk>/active/",
        "POST",
        lambda o: _os(o, "active/"),
        write(CYCLE_OFFICE, 302),
        lambda o: {"active": "1", "version": office_series_version(o)},
    ),
]

API_ROWS += [
    op("GET /api/appraisals/series", "/api/appraisals/series", everyone(200)),
    op(
        "POST /api/appraisals/series",
        "/api/appraisals/series",
        only(MANAGERS, 201),
        office_series_body,
    ),
    op(
        "GET /api/appraisals/series/{series_id}",
        lambda o: f"/api/appraisals/series/{office_series(o).pk}",
        read(CYCLE_OFFICE),
    ),
    op(
        "PATCH /api/appraisals/series/{series_id}",
        lambda o: f"/api/appraisals/series/{office_series(o).pk}",
        write(CYCLE_OFFICE, 200),
        lambda o: {"version": office_series_version(o), "lead_days": 2},
    ),
    op(
        "POST /api/appraisals/series/{series_id}/deactivate",
        lambda o: f"/api/appraisals/series/{office_series(o).pk}/deactivate",
        write(CYCLE_OFFICE, 200),
    ),
    op(
        "POST /api/appraisals/series/{series_id}/activate",
        lambda o: f"/api/appraisals/series/{office_series(o).pk}/activate",
        write(CYCLE_OFFICE, 200),
    ),
]


# ---------------------------------------------------------------- appraisals: schemes API

# Schemes are organization-wide and readable by every signed-in user (an unknown id is 404 to
# everybody); system and performance administrators create, change and (de)activate them,
# everybody else gets 403. The rows write to a scheme of their own, which no series uses.


def matrix_scheme(o: Org) -> Any:
    from jixiao.appraisals import schemes
    from jixiao.appraisals.models import Scheme

    found = Scheme.objects.filter(code="MXSCHEME", is_latest=True).first()
    if found is not None:
        return found
    admin = o.users["perfadmin"]
    return schemes.scheme_from_preset(
        actor=Actor.for_user(admin, source="web"), user=admin, preset="company", code="MXSCHEME"
    )


def matrix_scheme_content(o: Org) -> dict[str, Any]:
    """The matrix scheme's content as the API takes it, with its current version."""
    from jixiao.appraisals import schemes

    scheme = matrix_scheme(o)
    data = schemes.SchemeData.of(scheme)
    return {
        "name": data.name,
        "preset": data.preset,
        "grades": data.grades,
        "quota_rules": data.quota_rules,
        "sections": [
            {
                "code": s.code,
                "name": s.name,
                "kind": s.kind,
                "weight": float(s.weight),
                "items": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "weight": float(i.weight),
                        "indicator": i.indicator_code,
                        "kpi_source": i.kpi_source,
                    }
                    for i in s.items
                ],
            }
            for s in data.sections
        ],
        "groups": [
            {
                "group": g.group,
                "weight": float(g.weight),
                "sections": g.sections,
                "min_responses": g.min_responses,
                "anonymous": g.anonymous,
                "standardize": g.standardize,
                "count": g.count,
            }
            for g in data.groups
        ],
        "version": scheme.version,
    }


def matrix_scheme_version(o: Org) -> dict[str, Any]:
    from jixiao.appraisals.models import Scheme

    return {"version": Scheme.objects.get(pk=matrix_scheme(o).pk).version}


def _ms(o: Org, tail: str = "") -> str:
    return f"/api/appraisals/schemes/{matrix_scheme(o).pk}{tail}"


PAGE_ROWS += [
    page(
        "appraisals/schemes/<int:pk>/active/",
        "POST",
        lambda o: f"/appraisals/schemes/{matrix_scheme(o).pk}/active/",
        only(MANAGERS, 302),
        lambda o: {"active": "1", **matrix_scheme_version(o)},
    ),
    page(
        "appraisals/schemes/<int:pk>/active/",
        "POST",
        f"/appraisals/schemes/{MISSING}/active/",
        only(MANAGERS, 404),
        {"active": "0", "version": 1},
        label="unknown",
    ),
]

API_ROWS += [
    op("GET /api/appraisals/schemes", "/api/appraisals/schemes", everyone(200)),
    op(
        "POST /api/appraisals/schemes",
        "/api/appraisals/schemes",
        only(MANAGERS, 201),
        lambda o: {
            **{k: v for k, v in matrix_scheme_content(o).items() if k != "version"},
            "code": f"MXDATA{n()}",
        },
    ),
    op(
        "POST /api/appraisals/schemes/from-preset",
        "/api/appraisals/schemes/from-preset",
        only(MANAGERS, 201),
        lambda o: {"preset": "institution", "code": f"MXPRESET{n()}"},
    ),
    op("GET /api/appraisals/schemes/{scheme_id}", lambda o: _ms(o), everyone(200)),
    op(
        "GET /api/appraisals/schemes/{scheme_id}",
        f"/api/appraisals/schemes/{MISSING}",
        everyone(404),
        label="unknown",
    ),
    op(
        "PUT /api/appraisals/schemes/{scheme_id}",
        lambda o: _ms(o),
        only(MANAGERS, 200),
        matrix_scheme_content,
    ),
    op(
        "POST /api/appraisals/schemes/{scheme_id}/deactivate",
        lambda o: _ms(o, "/deactivate"),
        only(MANAGERS, 200),
        matrix_scheme_version,
    ),
    op(
        "POST /api/appraisals/schemes/{scheme_id}/activate",
        lambda o: _ms(o, "/activate"),
        only(MANAGERS, 200),
        matrix_scheme_version,
    ),
]


ROWS = PAGE_ROWS + API_ROWS


# ---------------------------------------------------------------- running a row


def send(client: Client, row: Row, org: Org) -> Any:
    url = row.url(org)
    data = row.data(org) if row.data is not None else None
    method = row.method.lower()
    if row.is_api:
        if data is None:  # no body at all, as `curl -X POST` sends
            return client.generic(row.method, url)
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data or {})


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    """Files the builders store (goal evidence) go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_permission_matrix(org, row: Row) -> None:
    got: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for persona in PERSONAS:
        client = Client()
        client.force_login(org.users[persona])
        response = send(client, row, org)
        got[persona] = response.status_code
        if row.is_api and response.status_code in (403, 404):
            # API refusals are JSON with a code, like every other API error ("forbidden", or a
            # more precise one such as "own_goal"); 404 never says more than "not_found".
            body = response.json()
            assert body["code"] and body["message"], (row.id, persona, body)
            if response.status_code == 404:
                assert body["code"] == "not_found", (row.id, persona, body)
        if response.status_code != row.expect[persona]:
            bodies[persona] = response.content.decode(errors="replace")[:300]
    wrong = [p for p in PERSONAS if got[p] != row.expect[p]]
    assert not wrong, f"{row.id}\n" + "\n".join(
        f"  {p:10} expected {row.expect[p]}, got {got[p]}: {bodies.get(p, '')!r}" for p in wrong
    )


# ---------------------------------------------------------------- completeness


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _api_operations() -> list[tuple[str, str]]:
    """Every (method, path) the NinjaAPI serves, hidden operations included (the OpenAPI
    document leaves those out), with path converters dropped: "/indicators/{indicator_id}"."""
    found: list[tuple[str, str]] = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/" + "/".join(s.strip("/") for s in (prefix, path) if s.strip("/"))
            plain = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", full)
            for operation in path_view.operations:
                found.extend((method, plain) for method in operation.methods)
    return found


def _django_form(api_path: str) -> str:
    """/org/people/{person_id} or /indicators/{int:id} as the resolver writes it, under api/."""
    return "api" + re.sub(r"\{([^}]+)\}", r"<\1>", api_path)


def missing_rows() -> list[str]:
    page_routes = {r.route for r in PAGE_ROWS}
    api_ops = {r.route for r in API_ROWS}
    operations = _api_operations()
    served_by_ninja = set()
    for prefix, router in api._routers:
        for path in router.path_operations:
            full = "/" + "/".join(s.strip("/") for s in (prefix, path) if s.strip("/"))
            served_by_ninja.add(_django_form(full))
    missing = []
    for route in sorted(set(_walk(get_resolver().url_patterns))):
        if route.startswith("^static/") or route in served_by_ninja:
            continue
        if route not in page_routes:
            missing.append(f"page {route!r}")
    for method, path in sorted(set(operations)):
        if f"{method} /api{path}" not in api_ops:
            missing.append(f"API {method} /api{path}")
    return missing


def test_every_route_has_a_row() -> None:
    missing = missing_rows()
    assert not missing, (
        "These routes have no row in tests/test_permission_matrix.py; add one saying what each "
        "persona gets:\n  " + "\n  ".join(missing)
    )


def test_no_row_names_a_route_that_does_not_exist() -> None:
    routes = set(_walk(get_resolver().url_patterns))
    operations = {f"{m} /api{p}" for m, p in _api_operations()}
    stale = [r.id for r in PAGE_ROWS if r.route not in routes]
    stale += [r.id for r in API_ROWS if r.route not in operations]
    assert not stale, stale


def test_every_row_names_every_persona() -> None:
    for row in ROWS:
        assert set(row.expect) == set(PERSONAS), row.id


# ---------------------------------------------------------------- what the pickers offer


def _options(client: Client, kind: str, query: str = "") -> list[str]:
    html = client.get(f"/org/options/{kind}/{query}").content.decode()
    return re.findall(r'<option value="(\d+)"', html)


def test_picker_options_stay_within_scope(org, client_for) -> None:
    """The search behind the large-organization pickers offers only what the user may see
    (or, with set=manage, manage): it must not become a way round the scope."""
    depts = {d.pk: d.name for d in Department.objects.all()}
    people = {p.pk: p.name for p in Person.objects.all()}

    def names(persona: str, kind: str, query: str = "") -> set[str]:
        table = depts if kind == "departments" else people
        return {table[int(pk)] for pk in _options(client_for(persona), kind, query)}

    assert names("outsider", "departments") == {"政务服务科"}
    assert names("outsider", "people") == {"陈晨"}
    assert names("employee", "people") == {"李文"}
    assert names("head", "departments") == {"办公室", "文秘科"}
    assert names("head", "people") == {"王主任", "李文", "赵敏"}
    assert names("leader", "departments") == set(depts.values())
    # Only departments the user manages may be chosen for writing.
    assert names("head", "departments", "?set=manage") == set()
    assert names("perfadmin", "departments", "?set=manage") == set(depts.values())
    # The search term narrows within the scope, by name or code.
    assert names("head", "people", "?picker_q=李") == {"李文"}
    assert names("head", "people", "?picker_q=A0004") == set()
    assert names("perfadmin", "people", "?picker_q=A0004") == {"陈晨"}
    posts = _options(client_for("outsider"), "posts")
    assert posts == [str(org.window_post.pk)]


def test_inactive_people_and_posts_are_not_offered(org, client_for) -> None:
    Post.objects.filter(pk=org.window_post.pk).update(is_active=False)
    Person.objects.filter(pk=org.peer.pk).update(is_active=False)
    client = client_for("perfadmin")
    assert str(org.window_post.pk) not in _options(client, "posts")
    assert str(org.peer.pk) not in _options(client, "people")
    assert str(org.employee.pk) in _options(client, "people")


def test_a_blank_choice_is_offered_when_asked(org, client_for) -> None:
    html = client_for("head").get("/org/options/departments/?blank=1").content.decode()
    assert '<option value=""' in html
    html = client_for("head").get("/org/options/departments/").content.decode()
    assert '<option value=""' not in html


def test_removed_grant_really_is_gone(org, client_for) -> None:
    """A 302 in the table means the write happened (not that the page bounced the user)."""
    grant = f.grant(org.users["head"], Role.DEPARTMENT_HEAD, org.secretariat)
    response = client_for("perfadmin").post(
        f"/org/people/{org.head.pk}/roles/{grant.pk}/remove/", {"reason": "调岗"}
    )
    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    refused = client_for("head").post(f"/org/people/{org.head.pk}/roles/{grant.pk}/remove/")
    assert refused.status_code == 403


def test_notifications_stay_with_their_owner(org, client_for) -> None:
    """The read form takes any id: another user's notification is neither marked read nor
    followed to its link."""
    note = employee_notification(org)
    response = client_for("head").post("/notifications/read/", {"id": note.pk, "follow": "1"})
    assert response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is None
    assert "请提交季度小结" not in client_for("head").get("/notifications/").content.decode()
    response = client_for("employee").post("/notifications/read/", {"id": note.pk, "follow": "1"})
    assert response["Location"] == "/goals/"
    note.refresh_from_db()
    assert note.read_at is not None
