"""Import of the organization (departments, posts, people) from .xlsx or .csv.

Everything is validated before anything is written: one query per kind loads what the
database holds, references are resolved against the file and the database together, and
any bad row stops the whole import. A good file is written in one durable transaction with
bulk inserts and updates; rows identical to the database are left alone.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import bulk_update_rows
from jixiao.imports.formats import DEPARTMENTS, PEOPLE, POSTS, Column, SheetSpec
from jixiao.imports.parsing import RowError, Table, read_org_file
from jixiao.org.access import Scope
from jixiao.org.caches import forget_ranks
from jixiao.org.models import Department, Person, PersonStatus, PersonStatusChange, Post
from jixiao.org.services import DEPARTMENT_FIELDS, PERSON_FIELDS, POST_FIELDS

__all__ = ["ImportOutcome", "RowError", "import_org_file"]

BATCH = 2000
KINDS = ("departments", "posts", "people")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


@dataclass
class ImportOutcome:
    ok: bool
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dry_run: bool = False
    rows: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "rows": self.rows,
        }


# ---------------------------------------------------------------- cleaning cells


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _excel_serial(value: float) -> datetime.date:
    if not 1 <= value < 2958466:
        raise _Bad("invalid_date", _("Not a date; write it as YYYY-MM-DD."))
    # Excel's day 60 is the fictitious 1900-02-29; serials after it are one day ahead.
    base = datetime.date(1899, 12, 30) if value >= 61 else datetime.date(1899, 12, 31)
    return base + datetime.timedelta(days=int(value))


def _clean(column: Column, value: Any) -> Any:
    """A cell's value in the form the model stores; None for an empty optional cell."""
    if column.is_date:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _excel_serial(float(value))
        m = _DATE_RE.match(str(value).strip())
        if m:
            try:
                return datetime.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
        raise _Bad(
            "invalid_date",
            _("“%(value)s” is not a date; write it as YYYY-MM-DD.") % {"value": _text(value)},
        )
    text = _text(value)
    if column.is_int:
        if not text:
            return None
        try:
            number = float(text) if "." in text else int(text)
        except ValueError:
            number = None
        if number is None or (isinstance(number, float) and not number.is_integer()):
            raise _Bad("invalid_number", _("“%(value)s” is not a whole number.") % {"value": text})
        return int(number)
    if column.choices:
        if not text:
            return None
        for label, stored in column.choices:
            if text in (label, stored):
                return stored
        allowed = "、".join(label for label, _stored in column.choices)
        raise _Bad(
            "invalid_choice",
            _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed},
        )
    if column.max_length is not None and len(text) > column.max_length:
        raise _Bad("too_long", _("Longer than %(n)s characters.") % {"n": column.max_length})
    return text


@dataclass
class _Row:
    line: int
    key: str
    values: dict[str, Any]
    ok: bool = True


def _clean_table(table: Table | None, errors: list[RowError]) -> dict[str, _Row]:
    """Clean every cell, check required fields and duplicates; rows by key (first wins)."""
    if table is None:
        return {}
    spec = table.spec
    by_key: dict[str, _Row] = {}
    lines_by_key: dict[str, list[int]] = defaultdict(list)
    for line, raw in table.rows:
        values: dict[str, Any] = {}
        ok = True
        for column, value in zip(spec.columns, raw, strict=True):
            if column.key not in table.present:
                continue
            try:
                cleaned = _clean(column, value)
            except _Bad as bad:
                errors.append(RowError(spec.sheet, line, column.header, bad.code, bad.message))
                ok = False
                continue
            if column.required and not cleaned:
                errors.append(
                    RowError(
                        spec.sheet,
                        line,
                        column.header,
                        "required",
                        _("%(column)s is required.") % {"column": column.header},
                    )
                )
                ok = False
            values[column.key] = cleaned
        key = values.get(spec.key_column) or ""
        if not key:
            continue
        lines_by_key[key].append(line)
        if key not in by_key:
            by_key[key] = _Row(line, key, values, ok)
        elif not ok:
            by_key[key].ok = False
    key_header = spec.column(spec.key_column).header
    for key, lines in lines_by_key.items():
        if len(lines) > 1:
            listed = "、".join(str(n) for n in lines)
            for line in lines:
                errors.append(
                    RowError(
                        spec.sheet,
                        line,
                        key_header,
                        "duplicate_in_file",
                        _("%(column)s “%(key)s” appears more than once (lines %(lines)s).")
                        % {"column": key_header, "key": key, "lines": listed},
                    )
                )
            by_key[key].ok = False
    return by_key


def _find_loops(parent_of: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a child → parent mapping (each cycle once)."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    loops: list[list[str]] = []
    for start in parent_of:
        if state.get(start):
            continue
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and not state.get(node):
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            loops.append(walk[walk.index(node) :])
        for n in walk:
            state[n] = 2
    return loops


# ---------------------------------------------------------------- the plan


@dataclass
class _Plan:
    scope: Scope | None
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    # database state: one query per kind
    dept_db: dict[str, Department] = field(default_factory=dict)
    post_db: dict[str, Post] = field(default_factory=dict)
    person_db: dict[str, Person] = field(default_factory=dict)
    dept_code_by_id: dict[int, str] = field(default_factory=dict)
    post_code_by_id: dict[int, str] = field(default_factory=dict)
    emp_by_id: dict[int, str] = field(default_factory=dict)
    # file rows
    dept_rows: dict[str, _Row] = field(default_factory=dict)
    post_rows: dict[str, _Row] = field(default_factory=dict)
    person_rows: dict[str, _Row] = field(default_factory=dict)
    # final references, by code
    dept_parent: dict[str, str | None] = field(default_factory=dict)
    vpath: dict[str, str] = field(default_factory=dict)
    # what to write: key → changed field names (empty set = new)
    dept_new: list[str] = field(default_factory=list)
    dept_changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    post_new: list[str] = field(default_factory=list)
    post_changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    person_new: list[str] = field(default_factory=list)
    person_changed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def error(self, spec: SheetSpec, row: _Row, key: str, code: str, message: str) -> None:
        self.errors.append(RowError(spec.sheet, row.line, spec.column(key).header, code, message))
        row.ok = False

    def in_scope(self, *paths: str) -> bool:
        return self.scope is None or all(self.scope.covers_path(p, manage=True) for p in paths)


def _load(plan: _Plan) -> None:
    """The database side of every reference: one query per kind, never one per row."""
    for d in Department.objects.all().only(
        "id",
        "code",
        "name",
        "kind",
        "parent_id",
        "path",
        "depth",
        "sort_order",
        "description",
        "is_active",
        "version",
    ):
        plan.dept_db[d.code] = d
        plan.dept_code_by_id[d.pk] = d.code
    for p in Post.objects.all().only(
        "id",
        "code",
        "name",
        "department_id",
        "category",
        "post_class",
        "duties",
        "headcount",
        "is_active",
        "version",
    ):
        plan.post_db[p.code] = p
        plan.post_code_by_id[p.pk] = p.code
    deactivating = any(
        r.values.get("is_active") == "0"
        for r in [*plan.dept_rows.values(), *plan.post_rows.values()]
    )
    if plan.person_rows or deactivating:
        for person in Person.objects.all().only("id", "version", *_PERSON_ATTRS):
            plan.person_db[person.employee_no] = person
            plan.emp_by_id[person.pk] = person.employee_no


_PERSON_ATTRS = [
    "employee_no",
    "name",
    "gender",
    "department_id",
    "post_id",
    "rank",
    "superior_id",
    "hire_date",
    "status",
    "status_since",
    "email",
    "phone",
    "is_active",
]


def _plan_departments(plan: _Plan) -> None:
    spec = DEPARTMENTS
    db = plan.dept_db
    plan.dept_parent = {
        code: (plan.dept_code_by_id[d.parent_id] if d.parent_id else None) for code, d in db.items()
    }
    for code, row in plan.dept_rows.items():
        if "parent" in row.values:
            parent = row.values["parent"] or None
            if parent is not None and parent not in plan.dept_rows and parent not in db:
                plan.error(
                    spec,
                    row,
                    "parent",
                    "unknown_department",
                    _("No department has the code “%(code)s”.") % {"code": parent},
                )
                parent = None
            plan.dept_parent[code] = parent
        elif code not in db:
            plan.dept_parent[code] = None
    on_loop: set[str] = set()
    for loop in _find_loops(plan.dept_parent):
        on_loop.update(loop)
        chain = " → ".join([*loop, loop[0]])
        for code in loop:
            if code in plan.dept_rows:
                plan.error(
                    spec,
                    plan.dept_rows[code],
                    "parent",
                    "tree_loop",
                    _("The department tree would have a loop: %(chain)s.") % {"chain": chain},
                )

    tokens: dict[str, str] = {}
    for code, row in plan.dept_rows.items():
        tokens[code] = f"{db[code].pk}" if code in db else f"new{row.line}"

    def vpath(code: str) -> str:
        """The path a file department will have; "" when it hangs below a loop."""
        if code in plan.vpath:
            return plan.vpath[code]
        if code not in plan.dept_rows:
            return db[code].path
        if code in on_loop:
            return ""
        parent = plan.dept_parent.get(code)
        base = "/" if parent is None else vpath(parent)
        plan.vpath[code] = f"{base}{tokens[code]}/" if base else ""
        return plan.vpath[code]

    for code, row in plan.dept_rows.items():
        if code in on_loop or not row.ok:
            continue
        path = vpath(code)
        if not path:
            continue
        existing = db.get(code)
        if existing is None:
            changes = _new_values(spec, row, {"parent": plan.dept_parent[code]})
            if not plan.in_scope(path):
                plan.error(
                    spec,
                    row,
                    "parent" if "parent" in row.values else "code",
                    "out_of_scope",
                    _("You may not create departments here."),
                )
                continue
            plan.dept_new.append(code)
            row.values = changes
            continue
        current = {
            "name": existing.name,
            "kind": existing.kind,
            "sort_order": existing.sort_order,
            "description": existing.description,
            "is_active": "1" if existing.is_active else "0",
            "parent": plan.dept_code_by_id[existing.parent_id] if existing.parent_id else None,
        }
        wanted = _wanted(spec, row, defaults={"sort_order": 0, "is_active": "1"})
        if "parent" in row.values:
            wanted["parent"] = plan.dept_parent[code]
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:
            if not plan.in_scope(existing.path, path):
                plan.error(
                    spec,
                    row,
                    "parent" if "parent" in changed else "code",
                    "out_of_scope",
                    _("You may not change this department."),
                )
                continue
            plan.dept_changed[code] = changed


def _wanted(spec: SheetSpec, row: _Row, defaults: dict[str, Any]) -> dict[str, Any]:
    """The values a row asks for, empty optional cells replaced by the field default."""
    out: dict[str, Any] = {}
    for column in spec.columns:
        key = column.key
        if key == spec.key_column or key not in row.values:
            continue
        value = row.values[key]
        if value is None:
            value = defaults.get(key, None if column.is_date else "")
        out[key] = value
    return out


def _new_values(spec: SheetSpec, row: _Row, extra: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        "sort_order": 0,
        "headcount": 1,
        "is_active": "1",
        "status": PersonStatus.ACTIVE.value,
    }
    values = _wanted(spec, row, defaults)
    for column in spec.columns:
        if column.key not in values and column.key != spec.key_column:
            values[column.key] = defaults.get(column.key, None if column.is_date else "")
    values.update(extra)
    return values


def _dept_final_path(plan: _Plan, code: str | None) -> str | None:
    if code is None:
        return None
    if code in plan.vpath:
        return plan.vpath[code]
    existing = plan.dept_db.get(code)
    return existing.path if existing else None


def _plan_posts(plan: _Plan) -> None:
    spec = POSTS
    for code, row in plan.post_rows.items():
        if not row.ok:
            continue
        dept_code = row.values.get("department") or ""
        if dept_code not in plan.dept_rows and dept_code not in plan.dept_db:
            plan.error(
                spec,
                row,
                "department",
                "unknown_department",
                _("No department has the code “%(code)s”.") % {"code": dept_code},
            )
            continue
        path = _dept_final_path(plan, dept_code) or ""
        if (row.values.get("headcount") or 0) < 0:
            plan.error(
                spec, row, "headcount", "invalid_number", _("The establishment cannot be negative.")
            )
            continue
        existing = plan.post_db.get(code)
        if existing is None:
            if not plan.in_scope(path):
                plan.error(
                    spec,
                    row,
                    "department",
                    "out_of_scope",
                    _("You may not create posts in this department."),
                )
                continue
            row.values = _new_values(spec, row, {})
            plan.post_new.append(code)
            continue
        current = {
            "name": existing.name,
            "department": plan.dept_code_by_id[existing.department_id],
            "category": existing.category,
            "post_class": existing.post_class,
            "duties": existing.duties,
            "headcount": existing.headcount,
            "is_active": "1" if existing.is_active else "0",
        }
        wanted = _wanted(spec, row, defaults={"headcount": 1, "is_active": "1"})
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:
            old_path = plan.dept_db[str(current["department"])].path
            if not plan.in_scope(old_path, path):
                plan.error(
                    spec, row, "department", "out_of_scope", _("You may not change this post.")
                )
                continue
            plan.post_changed[code] = changed


def _plan_people(plan: _Plan) -> None:
    spec = PEOPLE
    db = plan.person_db
    superior_of: dict[str, str | None] = {
        emp: (plan.emp_by_id[p.superior_id] if p.superior_id else None) for emp, p in db.items()
    }
    today = timezone.localdate()
    for emp, row in plan.person_rows.items():
        v = row.values
        dept_code = v.get("department") or ""
        if dept_code and dept_code not in plan.dept_rows and dept_code not in plan.dept_db:
            plan.error(
                spec,
                row,
                "department",
                "unknown_department",
                _("No department has the code “%(code)s”.") % {"code": dept_code},
            )
        post_code = v.get("post") or ""
        if post_code and post_code not in plan.post_rows and post_code not in plan.post_db:
            plan.error(
                spec,
                row,
                "post",
                "unknown_post",
                _("No post has the code “%(code)s”.") % {"code": post_code},
            )
        if "superior" in v:
            sup = v.get("superior") or None
            if sup is not None and sup not in plan.person_rows and sup not in db:
                plan.error(
                    spec,
                    row,
                    "superior",
                    "unknown_person",
                    _("No person has the employee number “%(no)s”.") % {"no": sup},
                )
                sup = None
            superior_of[emp] = sup
        elif emp not in db:
            superior_of[emp] = None
        email = v.get("email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                plan.error(
                    spec,
                    row,
                    "email",
                    "invalid_email",
                    _("“%(value)s” is not an email address.") % {"value": email},
                )
    for loop in _find_loops(superior_of):
        chain = " → ".join([*loop, loop[0]])
        for emp in loop:
            if emp in plan.person_rows:
                plan.error(
                    spec,
                    plan.person_rows[emp],
                    "superior",
                    "reporting_loop",
                    _("The reporting line would have a loop: %(chain)s.") % {"chain": chain},
                )
    for emp, row in plan.person_rows.items():
        if not row.ok:
            continue
        path = _dept_final_path(plan, row.values["department"]) or ""
        existing = db.get(emp)
        if existing is None:
            if not plan.in_scope(path):
                plan.error(
                    spec,
                    row,
                    "department",
                    "out_of_scope",
                    _("You may not add people to this department."),
                )
                continue
            values = _new_values(spec, row, {"superior": superior_of.get(emp)})
            values["status_since"] = values["status_since"] or values["hire_date"] or today
            row.values = values
            plan.person_new.append(emp)
            continue
        current = {
            "name": existing.name,
            "gender": existing.gender,
            "department": plan.dept_code_by_id[existing.department_id],
            "post": plan.post_code_by_id.get(existing.post_id) if existing.post_id else "",
            "rank": existing.rank,
            "superior": plan.emp_by_id.get(existing.superior_id) if existing.superior_id else None,
            "hire_date": existing.hire_date,
            "status": existing.status,
            "status_since": existing.status_since,
            "email": existing.email,
            "phone": existing.phone,
        }
        wanted = _wanted(spec, row, defaults={"status": PersonStatus.ACTIVE.value})
        if "superior" in wanted:
            wanted["superior"] = wanted["superior"] or None
        if "status" in wanted and wanted["status"] != existing.status:
            since = row.values.get("status_since")
            if since is None:
                wanted["status_since"] = today
            elif existing.status_since and since < existing.status_since:
                plan.error(
                    spec,
                    row,
                    "status_since",
                    "before_current_status",
                    _("The new status cannot start before the current one (%(date)s).")
                    % {"date": existing.status_since.isoformat()},
                )
                continue
        elif "status_since" in wanted and wanted["status_since"] is None:
            wanted["status_since"] = existing.status_since  # an empty date keeps the current one
        changed = {k: val for k, val in wanted.items() if current.get(k) != val}
        if changed:
            old_path = plan.dept_db[str(current["department"])].path
            if not plan.in_scope(old_path, path):
                plan.error(
                    spec, row, "department", "out_of_scope", _("You may not change this person.")
                )
                continue
            plan.person_changed[emp] = changed


def _plan_activity(plan: _Plan) -> None:
    """Deactivated departments and posts may not keep active people or sub-departments."""
    # Membership tests below run once per row: on the lists they would be quadratic.
    new_depts = set(plan.dept_new)
    new_posts = set(plan.post_new)
    new_people = set(plan.person_new)
    dept_active: dict[str, bool] = {c: d.is_active for c, d in plan.dept_db.items()}
    for code in plan.dept_new:
        dept_active[code] = plan.dept_rows[code].values["is_active"] == "1"
    for code, changed in plan.dept_changed.items():
        if "is_active" in changed:
            dept_active[code] = changed["is_active"] == "1"
    post_active: dict[str, bool] = {c: p.is_active for c, p in plan.post_db.items()}
    for code in plan.post_new:
        post_active[code] = plan.post_rows[code].values["is_active"] == "1"
    for code, changed in plan.post_changed.items():
        if "is_active" in changed:
            post_active[code] = changed["is_active"] == "1"

    people_in_dept: dict[str, int] = defaultdict(int)
    people_in_post: dict[str, int] = defaultdict(int)
    for emp, person in plan.person_db.items():
        if emp in plan.person_rows or not person.is_active:
            continue
        people_in_dept[plan.dept_code_by_id[person.department_id]] += 1
        if person.post_id:
            people_in_post[plan.post_code_by_id[person.post_id]] += 1
    for emp, row in plan.person_rows.items():
        existing = plan.person_db.get(emp)
        changed = plan.person_changed.get(emp, {})
        if emp in new_people:
            status, dept, post = row.values["status"], row.values["department"], row.values["post"]
        elif existing is not None:
            status = changed.get("status", existing.status)
            dept = changed.get("department", plan.dept_code_by_id[existing.department_id])
            post = changed.get("post", plan.post_code_by_id.get(existing.post_id or 0, ""))
        else:
            continue
        if status == PersonStatus.LEFT:
            continue
        people_in_dept[dept] += 1
        if post:
            people_in_post[post] += 1
        if not row.ok:
            continue
        touched = emp in new_people or changed
        if touched and not dept_active.get(dept, True):
            plan.error(
                PEOPLE,
                row,
                "department",
                "inactive_department",
                _("The department “%(code)s” is deactivated.") % {"code": dept},
            )
    for code, row in plan.dept_rows.items():
        if dept_active.get(code, True) or not row.ok:
            continue
        if code not in new_depts and "is_active" not in plan.dept_changed.get(code, {}):
            continue
        if people_in_dept.get(code):
            plan.error(
                DEPARTMENTS,
                row,
                "is_active",
                "department_has_people",
                _("Move or deactivate the people of this department first."),
            )
        elif any(dept_active.get(c, True) and p == code for c, p in plan.dept_parent.items()):
            plan.error(
                DEPARTMENTS,
                row,
                "is_active",
                "department_has_children",
                _("Deactivate its sub-departments first."),
            )
    for code, row in plan.post_rows.items():
        if post_active.get(code, True) or not row.ok:
            continue
        if code not in new_posts and "is_active" not in plan.post_changed.get(code, {}):
            continue
        if people_in_post.get(code):
            plan.error(
                POSTS,
                row,
                "is_active",
                "post_has_people",
                _("People still hold this post; assign them another post first."),
            )


def _sort_key(e: RowError) -> tuple[int, int, str]:
    order = {DEPARTMENTS.sheet: 0, POSTS.sheet: 1, PEOPLE.sheet: 2}
    return (order.get(e.sheet, -1), e.line, e.column)


# ---------------------------------------------------------------- writing


_DEPT_ATTRS = {
    "name": "name",
    "kind": "kind",
    "sort_order": "sort_order",
    "description": "description",
    "is_active": "is_active",
    "parent": "parent_id",
}
_POST_ATTRS = {
    "name": "name",
    "department": "department_id",
    "category": "category",
    "post_class": "post_class",
    "duties": "duties",
    "headcount": "headcount",
    "is_active": "is_active",
}
_PERSON_FIELD_ATTRS = {
    "name": "name",
    "gender": "gender",
    "department": "department_id",
    "post": "post_id",
    "rank": "rank",
    "superior": "superior_id",
    "hire_date": "hire_date",
    "status": "status",
    "status_since": "status_since",
    "email": "email",
    "phone": "phone",
}


def _attnames(model: type[models.Model], names: Iterable[str]) -> list[tuple[str, str]]:
    return [(n, getattr(model._meta.get_field(n), "attname", n)) for n in names]


def _snap(obj: models.Model, attrs: list[tuple[str, str]]) -> dict[str, Any]:
    return {name: audit.plain(getattr(obj, att)) for name, att in attrs}


class _Stale(Exception):
    pass


def _check_versions(model: type[models.Model], objs: list[Any]) -> None:
    if not objs:
        return
    ids = {o.pk: o.version for o in objs}
    current = dict(model._default_manager.values_list("id", "version"))
    if any(current.get(pk) != v for pk, v in ids.items()):
        raise _Stale


def _write(plan: _Plan, actor: Actor) -> None:
    entries: list[audit.AuditEntry] = []
    dept_attrs = _attnames(Department, DEPARTMENT_FIELDS)
    post_attrs = _attnames(Post, POST_FIELDS)
    person_attrs = _attnames(Person, PERSON_FIELDS)

    # departments
    dept_ids = {code: d.pk for code, d in plan.dept_db.items()}
    changed_depts = [plan.dept_db[c] for c in plan.dept_changed]
    _check_versions(Department, changed_depts)
    new_depts = []
    for code in plan.dept_new:
        v = plan.dept_rows[code].values
        new_depts.append(
            Department(
                code=code,
                name=v["name"],
                kind=v["kind"],
                sort_order=v["sort_order"],
                description=v["description"],
                is_active=v["is_active"] == "1",
                path="",
                depth=0,
            )
        )
    Department.objects.bulk_create(new_depts, batch_size=BATCH)
    for d in new_depts:
        dept_ids[d.code] = d.pk
    befores = {c: _snap(plan.dept_db[c], dept_attrs) for c in plan.dept_changed}
    for code, changed in plan.dept_changed.items():
        d = plan.dept_db[code]
        for key, value in changed.items():
            if key == "parent":
                d.parent_id = dept_ids[value] if value else None
            elif key == "is_active":
                d.is_active = value == "1"
            else:
                setattr(d, _DEPT_ATTRS[key], value)
        d.version += 1
    for d in new_depts:
        parent = plan.dept_parent.get(d.code)
        d.parent_id = dept_ids[parent] if parent else None
    # materialized paths of the whole final tree; only rows whose path moved are written
    parent_id: dict[int, int | None] = {d.pk: d.parent_id for d in plan.dept_db.values()}
    parent_id.update({d.pk: d.parent_id for d in new_depts})
    paths: dict[int, tuple[str, int]] = {}

    def path_of(pk: int) -> tuple[str, int]:
        if pk not in paths:
            up = parent_id[pk]
            if up is None:
                paths[pk] = (f"/{pk}/", 0)
            else:
                base, depth = path_of(up)
                paths[pk] = (f"{base}{pk}/", depth + 1)
        return paths[pk]

    moved: list[Department] = []
    changed_codes = set(plan.dept_changed)
    for d in [*plan.dept_db.values(), *new_depts]:
        path, depth = path_of(d.pk)
        if (d.path, d.depth) != (path, depth):
            d.path, d.depth = path, depth
            if d.code not in changed_codes:
                moved.append(d)
    bulk_update_rows(
        Department,
        changed_depts,
        [
            "name",
            "kind",
            "parent",
            "sort_order",
            "description",
            "is_active",
            "path",
            "depth",
            "version",
        ],
    )
    bulk_update_rows(Department, moved, ["parent", "path", "depth"])
    # Audit scope paths come from this in-memory tree: reading each record's department would
    # cost a query per row (Department.audit_scope_path reads its own path, already here).
    dept_path = {pk: path for pk, (path, _depth) in paths.items()}
    entries += [
        audit.entry("org.department.create", d, audit.diff({}, _snap(d, dept_attrs)))
        for d in new_depts
    ]
    entries += [
        audit.entry(
            "org.department.update",
            plan.dept_db[c],
            audit.diff(befores[c], _snap(plan.dept_db[c], dept_attrs)),
        )
        for c in plan.dept_changed
    ]

    # posts
    post_ids = {code: p.pk for code, p in plan.post_db.items()}
    changed_posts = [plan.post_db[c] for c in plan.post_changed]
    _check_versions(Post, changed_posts)
    new_posts = []
    for code in plan.post_new:
        v = plan.post_rows[code].values
        new_posts.append(
            Post(
                code=code,
                name=v["name"],
                department_id=dept_ids[v["department"]],
                category=v["category"],
                post_class=v["post_class"],
                duties=v["duties"],
                headcount=v["headcount"],
                is_active=v["is_active"] == "1",
            )
        )
    Post.objects.bulk_create(new_posts, batch_size=BATCH)
    for p in new_posts:
        post_ids[p.code] = p.pk
    befores = {c: _snap(plan.post_db[c], post_attrs) for c in plan.post_changed}
    for code, changed in plan.post_changed.items():
        p = plan.post_db[code]
        for key, value in changed.items():
            if key == "department":
                p.department_id = dept_ids[value]
            elif key == "is_active":
                p.is_active = value == "1"
            else:
                setattr(p, _POST_ATTRS[key], value)
        p.version += 1
    bulk_update_rows(
        Post,
        changed_posts,
        [
            "name",
            "department",
            "category",
            "post_class",
            "duties",
            "headcount",
            "is_active",
            "version",
        ],
    )
    entries += [
        audit.entry(
            "org.post.create",
            p,
            audit.diff({}, _snap(p, post_attrs)),
            scope_path=dept_path[p.department_id],
        )
        for p in new_posts
    ]
    entries += [
        audit.entry(
            "org.post.update",
            plan.post_db[c],
            audit.diff(befores[c], _snap(plan.post_db[c], post_attrs)),
            scope_path=dept_path[plan.post_db[c].department_id],
        )
        for c in plan.post_changed
    ]

    # people: create without superiors, then set every reporting line once all exist
    emp_ids = {emp: p.pk for emp, p in plan.person_db.items()}
    changed_people = [plan.person_db[e] for e in plan.person_changed]
    _check_versions(Person, changed_people)
    new_people = []
    for emp in plan.person_new:
        v = plan.person_rows[emp].values
        new_people.append(
            Person(
                employee_no=emp,
                name=v["name"],
                gender=v["gender"] or "",
                department_id=dept_ids[v["department"]],
                post_id=post_ids[v["post"]] if v["post"] else None,
                rank=v["rank"],
                hire_date=v["hire_date"],
                status=v["status"],
                status_since=v["status_since"],
                email=v["email"],
                phone=v["phone"],
                is_active=v["status"] != PersonStatus.LEFT,
            )
        )
    Person.objects.bulk_create(new_people, batch_size=BATCH)
    for person in new_people:
        emp_ids[person.employee_no] = person.pk
    befores = {e: _snap(plan.person_db[e], person_attrs) for e in plan.person_changed}
    today = timezone.localdate()
    history: list[PersonStatusChange] = [
        PersonStatusChange(person_id=n.pk, status=n.status, start_date=n.status_since or today)
        for n in new_people
    ]
    closing: dict[datetime.date, list[int]] = defaultdict(list)
    for emp, changed in plan.person_changed.items():
        pe = plan.person_db[emp]
        for key, value in changed.items():
            if key == "department":
                pe.department_id = dept_ids[value]
            elif key == "post":
                pe.post_id = post_ids[value] if value else None
            elif key == "superior":
                pe.superior_id = emp_ids[value] if value else None
            else:
                setattr(pe, _PERSON_FIELD_ATTRS[key], value)
        if "status" in changed:
            since = pe.status_since or today
            pe.is_active = pe.status != PersonStatus.LEFT
            closing[since].append(pe.pk)
            history.append(
                PersonStatusChange(
                    person_id=pe.pk, status=pe.status, start_date=since, note=_("Imported")
                )
            )
        pe.version += 1
    with_superior = []
    for person in new_people:
        sup = plan.person_rows[person.employee_no].values.get("superior")
        if sup:
            person.superior_id = emp_ids[sup]
            with_superior.append(person)
    bulk_update_rows(
        Person,
        changed_people,
        [
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
            "version",
        ],
    )
    bulk_update_rows(Person, with_superior, ["superior"])
    for start, ids in closing.items():
        for i in range(0, len(ids), BATCH):
            PersonStatusChange.objects.filter(
                person_id__in=ids[i : i + BATCH], end_date__isnull=True
            ).update(end_date=start)
    PersonStatusChange.objects.bulk_create(history, batch_size=BATCH)
    entries += [
        audit.entry(
            "org.person.create",
            p,
            audit.diff({}, _snap(p, person_attrs)),
            scope_path=dept_path[p.department_id],
        )
        for p in new_people
    ]
    entries += [
        audit.entry(
            "org.person.update",
            plan.person_db[e],
            audit.diff(befores[e], _snap(plan.person_db[e], person_attrs)),
            scope_path=dept_path[plan.person_db[e].department_id],
        )
        for e in plan.person_changed
    ]
    audit.record_many(actor, entries, reason=_("Organization import"))
    forget_ranks()


# ---------------------------------------------------------------- entry point


def import_org_file(
    path: Path,
    *,
    actor: Actor,
    scope: Scope | None,
    progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> ImportOutcome:
    """Validate the whole file, then write it in one transaction, or write nothing.

    `scope` None means a trusted context (command line); otherwise every created or changed
    row must be inside the scope's managed departments. Rows identical to the database are
    counted as unchanged and need no permission, so that an export can be imported back.
    """
    parsed = read_org_file(Path(path), progress=progress)
    outcome = ImportOutcome(ok=False, dry_run=dry_run, rows=parsed.row_count)
    if parsed.errors:
        outcome.errors = parsed.errors
        return outcome
    if parsed.row_count == 0:
        outcome.errors = [RowError("", 0, "", "empty_file", _("The file has no data rows."))]
        return outcome
    plan = _Plan(scope=scope, rows=parsed.row_count)
    plan.dept_rows = _clean_table(parsed.tables.get("departments"), plan.errors)
    plan.post_rows = _clean_table(parsed.tables.get("posts"), plan.errors)
    plan.person_rows = _clean_table(parsed.tables.get("people"), plan.errors)
    _load(plan)
    _plan_departments(plan)
    _plan_posts(plan)
    _plan_people(plan)
    _plan_activity(plan)
    if plan.errors:
        outcome.errors = sorted(set(plan.errors), key=_sort_key)
        return outcome
    for kind, rows, new, changed in (
        ("departments", plan.dept_rows, plan.dept_new, plan.dept_changed),
        ("posts", plan.post_rows, plan.post_new, plan.post_changed),
        ("people", plan.person_rows, plan.person_new, plan.person_changed),
    ):
        outcome.created[kind] = len(new)
        outcome.updated[kind] = len(changed)
        outcome.unchanged[kind] = len(rows) - len(new) - len(changed)
    if progress is not None:
        progress(parsed.row_count, parsed.row_count)
    if not dry_run and (
        plan.dept_new
        or plan.dept_changed
        or plan.post_new
        or plan.post_changed
        or plan.person_new
        or plan.person_changed
    ):
        try:
            with transaction.atomic(durable=True):
                _write(plan, actor)
        except (_Stale, IntegrityError):
            outcome.errors = [
                RowError(
                    "",
                    0,
                    "",
                    "concurrent_edit",
                    _(
                        "Someone changed the organization while the file was being checked. "
                        "Import the file again."
                    ),
                )
            ]
            return outcome
    outcome.ok = True
    return outcome
