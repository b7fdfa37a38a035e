"""Export of the organization as an .xlsx workbook (the import format) or one CSV per kind.

Only what the user may see is exported (the org selectors); user None means everything,
for the command line. Workbooks are written with xlsxwriter's constant_memory mode so that
100,000 people take little memory.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import QuerySet

from jixiao.imports.formats import DEPARTMENTS, PEOPLE, POSTS, SPEC_BY_KIND, SheetSpec
from jixiao.org.models import Department, Person, Post
from jixiao.org.selectors import departments_visible_to, people_visible_to, posts_visible_to

Progress = Callable[[int, int], None]
CHUNK = 2000


def _departments(user: Any | None) -> QuerySet[Department]:
    qs = Department.objects.all() if user is None else departments_visible_to(user)
    return qs.order_by("path")


def _posts(user: Any | None) -> QuerySet[Post]:
    qs = Post.objects.all() if user is None else posts_visible_to(user)
    return qs.order_by("department__path", "code")


def _people(user: Any | None) -> QuerySet[Person]:
    qs = Person.objects.all() if user is None else people_visible_to(user)
    return qs.order_by("employee_no")


def _active(value: bool) -> str:
    return "启用" if value else "停用"


def _rows(kind: str, user: Any | None) -> tuple[int, Iterator[list[Any]]]:
    """The rows of one kind in column order, with the query count kept at one."""
    spec = SPEC_BY_KIND[kind]
    if kind == "departments":
        dq = _departments(user).values_list(
            "code", "name", "kind", "parent__code", "sort_order", "description", "is_active"
        )
        kinds = spec.column("kind")
        return dq.count(), (
            [c, n, kinds.label_for(k), p or "", s, d, _active(a)]
            for c, n, k, p, s, d, a in dq.iterator(chunk_size=CHUNK)
        )
    if kind == "posts":
        pq = _posts(user).values_list(
            "code",
            "name",
            "department__code",
            "category",
            "post_class",
            "headcount",
            "duties",
            "is_active",
        )
        cat, cls = spec.column("category"), spec.column("post_class")
        return pq.count(), (
            [c, n, d, cat.label_for(ca), cls.label_for(cl), h, du, _active(a)]
            for c, n, d, ca, cl, h, du, a in pq.iterator(chunk_size=CHUNK)
        )
    mq = _people(user).values_list(
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
        "email",
        "phone",
    )
    gender, status = spec.column("gender"), spec.column("status")
    return mq.count(), (
        [
            e,
            n,
            gender.label_for(g) if g else "",
            d,
            p or "",
            r,
            s or "",
            h,
            status.label_for(st),
            ss,
            em,
            ph,
        ]
        for e, n, g, d, p, r, s, h, st, ss, em, ph in mq.iterator(chunk_size=CHUNK)
    )


def export_org_workbook(path: Path, *, user: Any | None, progress: Progress | None = None) -> None:
    """Departments, posts and people in one workbook that the importer reads back unchanged."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        header = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        counts = {kind: _rows(kind, user) for kind in ("departments", "posts", "people")}
        total = sum(n for n, _it in counts.values())
        done = 0
        for spec in (DEPARTMENTS, POSTS, PEOPLE):
            ws = wb.add_worksheet(spec.sheet)
            for i, column in enumerate(spec.columns):
                ws.set_column(i, i, column.width)
            ws.write_row(0, 0, spec.headers, header)
            ws.freeze_panes(1, 0)
            _n, rows = counts[spec.kind]
            for r, values in enumerate(rows, start=1):
                for c, value in enumerate(values):
                    if isinstance(value, datetime.date):
                        ws.write_datetime(
                            r, c, datetime.datetime.combine(value, datetime.time()), date
                        )
                    elif isinstance(value, str):
                        if value:
                            ws.write_string(r, c, value)
                    elif value is not None:
                        ws.write_number(r, c, value)
                done += 1
                if progress is not None and done % CHUNK == 0:
                    progress(done, total)
        if progress is not None:
            progress(total, total)
    finally:
        wb.close()


def export_org_csv(
    path: Path, kind: str, *, user: Any | None, progress: Progress | None = None
) -> None:
    """One kind as UTF-8 CSV with a byte-order mark, so that Excel opens it correctly."""
    if kind not in SPEC_BY_KIND:
        raise ValueError(f"unknown kind {kind!r}")
    spec: SheetSpec = SPEC_BY_KIND[kind]
    total, rows = _rows(kind, user)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(spec.headers)
        for done, values in enumerate(rows, start=1):
            writer.writerow(
                [
                    v.isoformat() if isinstance(v, datetime.date) else ("" if v is None else v)
                    for v in values
                ]
            )
            if progress is not None and done % CHUNK == 0:
                progress(done, total)
    if progress is not None:
        progress(total, total)
