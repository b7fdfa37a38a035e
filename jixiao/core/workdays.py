"""The working-day calendar: reads (the engine calendar, cached) and writes (audited).

The calendar is organization-wide reference data: a weekmask (Monday to Friday unless the
setting JIXIAO_WORKWEEK says otherwise, e.g. "1111110") plus the CalendarDay rows, which are
public holidays and adjusted working weekends (调休上班). Counting lives in
jixiao.engine.calendar; this module turns the rows into an engine calendar once and keeps it
in the cache until a write commits.

core knows no roles, so the services take the caller's decision as `can_manage` (the org
layer decides it in jixiao.org.calendar_access: system and performance administrators) and
refuse when it is False; that keeps the check in the one place every channel passes through.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.core.models import CalendarDay, CalendarDayKind
from jixiao.engine.calendar import (
    CalendarError,
    WorkCalendar,
    deadline,
    parse_weekmask,
    working_days_between,
    working_days_inclusive,
)

DEFAULT_WEEKMASK = "1111100"
CACHE_KEY = "jixiao:core:calendar"
CACHE_TTL_SECONDS = 300
DAY_FIELDS = ["date", "kind", "name"]
NAME_MAX = 50
MAX_IMPORT_ROWS = 366
MAX_IMPORT_BYTES = 1_000_000

CalendarData = tuple[str, tuple[str, ...], tuple[str, ...]]


# ---------------------------------------------------------------- reads


def weekmask() -> str:
    """The working week, seven 0/1 digits from Monday; Monday to Friday by default."""
    text = str(getattr(settings, "JIXIAO_WORKWEEK", DEFAULT_WEEKMASK))
    parse_weekmask(text)
    return text


def _load() -> CalendarData:
    rows = CalendarDay.objects.order_by("date").values_list("date", "kind")
    holidays: list[str] = []
    workdays: list[str] = []
    for day, kind in rows:
        (workdays if kind == CalendarDayKind.WORKDAY else holidays).append(day.isoformat())
    return weekmask(), tuple(holidays), tuple(workdays)


_built: tuple[CalendarData, WorkCalendar] | None = None


def work_calendar() -> WorkCalendar:
    """The engine calendar of the stored days: one query per cache period, not per call.

    The rows are cached (the Django cache is shared by the processes when it is shared at all);
    the numpy calendar built from them is kept per process while the rows stay the same.
    """
    global _built
    data = cache.get_or_set(CACHE_KEY, _load, CACHE_TTL_SECONDS) or _load()
    if _built is not None and _built[0] == data:
        return _built[1]
    cal = WorkCalendar.build(data[0], list(data[1]), list(data[2]))
    _built = (data, cal)
    return cal


def forget_calendar() -> None:
    """Called by every write. Dropped at once (later reads in the same transaction see the new
    days) and again on commit (a read by another request in between cached the old ones)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def calendar_days_in_year(year: int) -> QuerySet[CalendarDay]:
    return CalendarDay.objects.filter(date__year=year).order_by("date")


def calendar_years() -> list[int]:
    """The years that have stored days, ascending."""
    return [d.year for d in CalendarDay.objects.dates("date", "year")]


def get_calendar_day(pk: int) -> CalendarDay:
    """Calendar days are public to everyone signed in: unknown ids are the only 404."""
    day = CalendarDay.objects.filter(pk=pk).first()
    if day is None:
        raise Http404
    return day


@dataclass(frozen=True)
class SpanCount:
    start: dt.date
    end: dt.date
    calendar_days: int
    working_days: int
    """Both ends counted (a span from the 3rd to the 7th includes both)."""
    working_days_end_excluded: int
    """[start, end): the numpy.busday_count convention."""


def count_span(start: dt.date, end: dt.date) -> SpanCount:
    """Working days between two dates under the stored calendar."""
    cal = work_calendar()
    return SpanCount(
        start=start,
        end=end,
        calendar_days=(end - start).days + (1 if end >= start else -1),
        working_days=int(working_days_inclusive(cal, start, end)),
        working_days_end_excluded=int(working_days_between(cal, start, end)),
    )


def due_date(received: dt.date, days: int) -> dt.date:
    """The `days`-th working day after the day of receipt (which does not count)."""
    value = deadline(work_calendar(), received, days)
    result: dt.date = np.asarray(value, dtype="datetime64[D]").astype(dt.date).item()
    return result


# ---------------------------------------------------------------- writes


@dataclass
class CalendarDayData:
    date: dt.date
    kind: str
    name: str = ""


def _require(can_manage: bool) -> None:
    if not can_manage:
        raise forbidden()


def _kind_label(kind: str) -> str:
    return str(dict(CalendarDayKind.choices).get(kind, kind))


def _validate(
    data: CalendarDayData, *, mask: str, prefix: str = "", exclude_pk: int | None = None
) -> list[FieldError]:
    data.name = (data.name or "").strip()
    errors: list[FieldError] = []
    if data.kind not in CalendarDayKind.values:
        errors.append(
            FieldError(
                f"{prefix}kind",
                "invalid_choice",
                _("Choose holiday or adjusted working day."),
            )
        )
    if len(data.name) > NAME_MAX:
        errors.append(
            FieldError(
                f"{prefix}name",
                "too_long",
                _("Enter at most %(n)s characters.") % {"n": NAME_MAX},
            )
        )
    if data.kind == CalendarDayKind.WORKDAY and mask[data.date.weekday()] == "1":
        errors.append(
            FieldError(
                f"{prefix}date",
                "already_working_day",
                _(
                    "%(date)s is a working day anyway: only a day off can be an adjusted working day."
                )
                % {"date": data.date.isoformat()},
            )
        )
    if not prefix:
        taken = CalendarDay.objects.filter(date=data.date)
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            errors.append(
                FieldError(
                    "date",
                    "date_taken",
                    _("%(date)s is already in the calendar; edit that day instead.")
                    % {"date": data.date.isoformat()},
                )
            )
    return errors


def _date_taken(day: dt.date) -> DomainError:
    return validation_failed(
        [
            FieldError(
                "date",
                "date_taken",
                _("%(date)s is already in the calendar; edit that day instead.")
                % {"date": day.isoformat()},
            )
        ]
    )


@transaction.atomic(durable=True)
def calendar_day_create(
    *, actor: Actor, can_manage: bool, data: CalendarDayData, reason: str = ""
) -> CalendarDay:
    """Add a holiday or an adjusted working day."""
    _require(can_manage)
    errors = _validate(data, mask=weekmask())
    if errors:
        raise validation_failed(errors)
    try:
        with transaction.atomic():
            day = CalendarDay.objects.create(date=data.date, kind=data.kind, name=data.name)
    except IntegrityError:
        raise _date_taken(data.date) from None
    audit.record(
        actor,
        "core.calendar_day.create",
        day,
        audit.diff({}, audit.snapshot(day, DAY_FIELDS)),
        reason.strip(),
    )
    forget_calendar()
    return day


@transaction.atomic(durable=True)
def calendar_day_update(
    *,
    actor: Actor,
    can_manage: bool,
    day_id: int,
    expected_version: int,
    data: CalendarDayData,
    reason: str = "",
) -> CalendarDay:
    """Change a day's date, kind or name; a stale `expected_version` is a concurrent edit."""
    _require(can_manage)
    day = get_calendar_day(day_id)
    errors = _validate(data, mask=weekmask(), exclude_pk=day.pk)
    if errors:
        raise validation_failed(errors)
    before = audit.snapshot(day, DAY_FIELDS)
    try:
        with transaction.atomic():
            updated = CalendarDay.objects.filter(pk=day.pk, version=expected_version).update(
                date=data.date, kind=data.kind, name=data.name, version=F("version") + 1
            )
    except IntegrityError:
        raise _date_taken(data.date) from None
    if not updated:
        raise concurrent_edit()
    day.refresh_from_db()
    changes = audit.diff(before, audit.snapshot(day, DAY_FIELDS))
    if changes:
        audit.record(actor, "core.calendar_day.update", day, changes, reason.strip())
        forget_calendar()
    return day


@transaction.atomic(durable=True)
def calendar_day_delete(
    *,
    actor: Actor,
    can_manage: bool,
    day_id: int,
    expected_version: int | None = None,
    reason: str = "",
) -> None:
    """Remove a day: it becomes an ordinary day of the weekmask again."""
    _require(can_manage)
    day = get_calendar_day(day_id)
    qs = CalendarDay.objects.filter(pk=day.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    snap = audit.snapshot(day, DAY_FIELDS)
    entry = audit.entry("core.calendar_day.delete", day, audit.diff(snap, {}))
    if not qs.delete()[0]:
        raise concurrent_edit()
    audit.record_many(actor, [entry], reason=reason.strip())
    forget_calendar()


@dataclass(frozen=True)
class YearImportResult:
    year: int
    created: int
    updated: int
    deleted: int
    unchanged: int


@transaction.atomic(durable=True)
def calendar_year_import(
    *,
    actor: Actor,
    can_manage: bool,
    year: int,
    rows: Sequence[CalendarDayData],
    reason: str = "",
) -> YearImportResult:
    """Replace one year's days with `rows`, all or nothing: after it the year holds exactly
    these days. Any invalid row refuses the whole import, with every problem listed."""
    _require(can_manage)
    mask = weekmask()
    errors: list[FieldError] = []
    seen: set[dt.date] = set()
    if len(rows) > MAX_IMPORT_ROWS:
        raise validation_failed(
            [FieldError(None, "too_many_rows", _("A year has at most 366 days."))]
        )
    for i, row in enumerate(rows):
        prefix = f"rows[{i}]."
        errors += [
            FieldError(e.field, e.code, f"{row.date.isoformat()}: {e.message}")
            if e.code != "already_working_day"
            else e
            for e in _validate(row, mask=mask, prefix=prefix)
        ]
        if row.date.year != year:
            errors.append(
                FieldError(
                    f"{prefix}date",
                    "wrong_year",
                    _("%(date)s is not in %(year)s.")
                    % {"date": row.date.isoformat(), "year": year},
                )
            )
        if row.date in seen:
            errors.append(
                FieldError(
                    f"{prefix}date",
                    "duplicate_date",
                    _("%(date)s appears more than once.") % {"date": row.date.isoformat()},
                )
            )
        seen.add(row.date)
    if errors:
        raise validation_failed(errors)
    existing = {d.date: d for d in calendar_days_in_year(year).select_for_update()}
    wanted = {row.date: row for row in rows}
    entries: list[audit.AuditEntry] = []
    doomed = [d for day, d in existing.items() if day not in wanted]
    for d in doomed:
        entries.append(
            audit.entry(
                "core.calendar_day.delete", d, audit.diff(audit.snapshot(d, DAY_FIELDS), {})
            )
        )
    CalendarDay.objects.filter(pk__in=[d.pk for d in doomed]).delete()
    created: list[CalendarDay] = []
    updated = unchanged = 0
    for day, row in sorted(wanted.items()):
        old = existing.get(day)
        if old is None:
            created.append(CalendarDay(date=day, kind=row.kind, name=row.name))
            continue
        if (old.kind, old.name) == (row.kind, row.name):
            unchanged += 1
            continue
        before = audit.snapshot(old, DAY_FIELDS)
        CalendarDay.objects.filter(pk=old.pk).update(
            kind=row.kind, name=row.name, version=F("version") + 1
        )
        old.kind, old.name = row.kind, row.name
        entries.append(
            audit.entry(
                "core.calendar_day.update",
                old,
                audit.diff(before, audit.snapshot(old, DAY_FIELDS)),
            )
        )
        updated += 1
    for d in CalendarDay.objects.bulk_create(created):
        if d.pk is None:  # backends that do not return ids from bulk inserts
            d = CalendarDay.objects.get(date=d.date)
        entries.append(
            audit.entry(
                "core.calendar_day.create", d, audit.diff({}, audit.snapshot(d, DAY_FIELDS))
            )
        )
    if entries:
        audit.record_many(actor, entries, reason=reason.strip())
        forget_calendar()
    return YearImportResult(year, len(created), updated, len(doomed), unchanged)


# ---------------------------------------------------------------- files

HEADERS = {
    "date": "date",
    "日期": "date",
    "kind": "kind",
    "type": "kind",
    "类型": "kind",
    "name": "name",
    "名称": "name",
    "节日": "name",
}
KIND_WORDS = {
    "holiday": CalendarDayKind.HOLIDAY,
    "放假": CalendarDayKind.HOLIDAY,
    "休": CalendarDayKind.HOLIDAY,
    "假日": CalendarDayKind.HOLIDAY,
    "节假日": CalendarDayKind.HOLIDAY,
    "workday": CalendarDayKind.WORKDAY,
    "上班": CalendarDayKind.WORKDAY,
    "班": CalendarDayKind.WORKDAY,
    "调休上班": CalendarDayKind.WORKDAY,
    "补班": CalendarDayKind.WORKDAY,
}


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cell_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    return None


def _rows_of_csv(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [row for row in csv.reader(io.StringIO(text))]
    raise validation_failed(
        [FieldError("file", "bad_encoding", _("Save the CSV as UTF-8 (or GB18030)."))]
    )


def _rows_of_xlsx(content: bytes) -> list[list[Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise validation_failed(
            [FieldError("file", "bad_file", _("The file is not an Excel workbook (.xlsx)."))]
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            list(row)
            for _, row in zip(
                range(MAX_IMPORT_ROWS + 2), sheet.iter_rows(values_only=True), strict=False
            )
        ]
    finally:
        book.close()


def parse_calendar_file(filename: str, content: bytes) -> list[CalendarDayData]:
    """Rows of (date, kind, name) from a CSV or .xlsx file with a header row.

    Headers may be English (date, kind, name) or Chinese (日期, 类型, 名称); kinds may be
    holiday/workday or 放假/休 and 上班/班/调休上班. Every problem is reported with its row.
    """
    if len(content) > MAX_IMPORT_BYTES:
        raise validation_failed(
            [FieldError("file", "too_large", _("The file is larger than 1 MB."))]
        )
    lower = filename.lower()
    if lower.endswith(".csv"):
        table = _rows_of_csv(content)
    elif lower.endswith(".xlsx"):
        table = _rows_of_xlsx(content)
    else:
        raise validation_failed([FieldError("file", "bad_type", _("Upload a .csv or .xlsx file."))])
    table = [row for row in table if any(_cell_text(c) for c in row)]
    if not table:
        raise validation_failed([FieldError("file", "empty", _("The file has no rows."))])
    header = [HEADERS.get(_cell_text(c).lower(), "") for c in table[0]]
    if "date" not in header or "kind" not in header:
        raise validation_failed(
            [
                FieldError(
                    "file",
                    "missing_columns",
                    _("The first row must name the columns: date, kind, name (日期, 类型, 名称)."),
                )
            ]
        )
    col: dict[str, int] = {
        name: header.index(name) for name in ("date", "kind", "name") if name in header
    }
    out: list[CalendarDayData] = []
    errors: list[FieldError] = []
    for n, row in enumerate(table[1:], start=2):

        def cell(name: str, row: list[Any] = row) -> Any:
            i = col.get(name)
            return row[i] if i is not None and i < len(row) else None

        day = _cell_date(cell("date"))
        kind = KIND_WORDS.get(_cell_text(cell("kind")).lower())
        if day is None:
            errors.append(
                FieldError(
                    f"row {n}",
                    "invalid_date",
                    _("Row %(n)s: enter the date as YYYY-MM-DD.") % {"n": n},
                )
            )
        if kind is None:
            errors.append(
                FieldError(
                    f"row {n}",
                    "invalid_kind",
                    _("Row %(n)s: the kind is holiday (放假) or workday (上班).") % {"n": n},
                )
            )
        if day is not None and kind is not None:
            out.append(CalendarDayData(date=day, kind=kind, name=_cell_text(cell("name"))))
    if len(out) > MAX_IMPORT_ROWS:
        errors.append(FieldError("file", "too_many_rows", _("A year has at most 366 days.")))
    if errors:
        raise validation_failed(errors)
    return out


def engine_error(exc: CalendarError, field: str | None = None) -> DomainError:
    """An engine refusal as a DomainError in the request's language, for pages and the API."""
    zh = (translation.get_language() or "").lower().startswith("zh")
    message = exc.message_zh if zh else exc.message_en
    return validation_failed([FieldError(field, "calendar_invalid", message)])
