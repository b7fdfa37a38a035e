"""The working-day calendar page: a year of month grids with holidays and adjusted working
days, a working-day calculator, and (for administrators) forms to add, edit, remove and
import days.

The model and its services live in jixiao.core.workdays; the pages live here because only
this layer knows who is an administrator. Views are thin: form → one service → redirect.
"""

from __future__ import annotations

import calendar as pycalendar
import csv
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core import workdays
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError
from jixiao.core.forms import DateInput
from jixiao.core.models import CalendarDay, CalendarDayKind
from jixiao.engine.calendar import CalendarError, is_working_day, working_days_between
from jixiao.engine.calendar.workdays import DAY
from jixiao.org.calendar_access import can_manage_calendar
from jixiao.org.forms import ReasonForm, TablerForm, show_domain_error
from jixiao.org.views import form_status, is_htmx

MIN_YEAR = 1950
MAX_YEAR = 2150
MAX_SPAN_DAYS = 366 * 20

WEEKDAY_HEADERS = [
    pgettext_lazy("calendar weekday", "Mon"),
    pgettext_lazy("calendar weekday", "Tue"),
    pgettext_lazy("calendar weekday", "Wed"),
    pgettext_lazy("calendar weekday", "Thu"),
    pgettext_lazy("calendar weekday", "Fri"),
    pgettext_lazy("calendar weekday", "Sat"),
    pgettext_lazy("calendar weekday", "Sun"),
]


def _date_input() -> forms.DateInput:
    return DateInput()


class CalendarDayForm(ReasonForm):
    date = forms.DateField(label=gettext_lazy("Date"), widget=_date_input())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        required=False,
        max_length=workdays.NAME_MAX,
        help_text=gettext_lazy("The holiday it belongs to, e.g. 春节."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    field_order = ["date", "kind", "name", "reason", "version"]

    def to_data(self) -> workdays.CalendarDayData:
        cd = self.cleaned_data
        return workdays.CalendarDayData(date=cd["date"], kind=cd["kind"], name=cd["name"])

    @staticmethod
    def initial_for(day: CalendarDay) -> dict[str, Any]:
        return {"date": day.date, "kind": day.kind, "name": day.name, "version": day.version}


class DeleteDayForm(ReasonForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CountForm(TablerForm):
    start = forms.DateField(label=gettext_lazy("From"), widget=_date_input())
    end = forms.DateField(label=gettext_lazy("To"), widget=_date_input())

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        start, end = cd.get("start"), cd.get("end")
        if start and end and abs((end - start).days) > MAX_SPAN_DAYS:
            raise forms.ValidationError(_("Choose a span of at most 20 years."))
        return cd


class DueForm(TablerForm):
    received = forms.DateField(label=gettext_lazy("Received on"), widget=_date_input())
    days = forms.IntegerField(
        label=gettext_lazy("Working days allowed"), min_value=0, max_value=1000
    )


class ImportForm(ReasonForm):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    file = forms.FileField(
        label=gettext_lazy("File (.csv or .xlsx)"),
        help_text=gettext_lazy(
            "Columns: date, kind, name (日期, 类型, 名称). The year's days are replaced by the file's."
        ),
    )
    field_order = ["year", "file", "reason"]


# ---------------------------------------------------------------- the year grid


@dataclass(frozen=True)
class Cell:
    date: dt.date
    in_month: bool
    working: bool
    weekend: bool
    day: CalendarDay | None
    today: bool

    @property
    def css(self) -> str:
        if not self.in_month:
            return "text-secondary opacity-25"
        if self.day is not None and self.day.kind == CalendarDayKind.HOLIDAY:
            return "bg-red-lt"
        if self.day is not None and self.day.kind == CalendarDayKind.WORKDAY and self.working:
            return "bg-orange-lt"
        if not self.working:
            return "bg-secondary-lt text-secondary"
        return ""


@dataclass(frozen=True)
class Month:
    number: int
    name: str
    weeks: list[list[Cell]]
    working_days: int


def _year_of(request: HttpRequest) -> int:
    text = request.GET.get("year", "").strip()
    if not text:
        return timezone.localdate().year
    if not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise Http404
    return int(text)


def _months(year: int, days: list[CalendarDay]) -> tuple[list[Month], int]:
    """Twelve month grids and the year's working days, from one engine call each."""
    cal = workdays.work_calendar()
    by_date = {d.date: d for d in days}
    grid = pycalendar.Calendar(firstweekday=0)
    weeks_by_month = [grid.monthdatescalendar(year, m) for m in range(1, 13)]
    first, last = weeks_by_month[0][0][0], weeks_by_month[-1][-1][-1]
    shown = np.datetime64(first, "D") + np.arange((last - first).days + 1) * DAY
    working = dict(
        zip(shown.astype(dt.date).tolist(), is_working_day(cal, shown).tolist(), strict=True)
    )
    mask = cal.weekmask
    starts = np.array([dt.date(year, m, 1) for m in range(1, 13)], dtype="datetime64[D]")
    ends = np.array(
        [dt.date(year + (m == 12), m % 12 + 1, 1) for m in range(1, 13)], dtype="datetime64[D]"
    )
    per_month = working_days_between(cal, starts, ends).tolist()
    today = timezone.localdate()
    months = [
        Month(
            number=m,
            name=str(MONTHS[m]),
            weeks=[
                [
                    Cell(
                        date=d,
                        in_month=d.month == m,
                        working=working[d],
                        weekend=not mask[d.weekday()],
                        day=by_date.get(d) if d.month == m else None,
                        today=d == today,
                    )
                    for d in week
                ]
                for week in weeks
            ],
            working_days=per_month[m - 1],
        )
        for m, weeks in enumerate(weeks_by_month, start=1)
    ]
    return months, sum(per_month)


def _calculator(data: Any) -> dict[str, Any]:
    """The two calculators, bound when their fields were sent."""
    out: dict[str, Any] = {"count_form": CountForm(prefix="c"), "due_form": DueForm(prefix="d")}
    if any(k.startswith("c-") for k in data):
        form = CountForm(data, prefix="c")
        out["count_form"] = form
        if form.is_valid():
            out["count"] = workdays.count_span(form.cleaned_data["start"], form.cleaned_data["end"])
    if any(k.startswith("d-") for k in data):
        due = DueForm(data, prefix="d")
        out["due_form"] = due
        if due.is_valid():
            received, n = due.cleaned_data["received"], due.cleaned_data["days"]
            try:
                out["due"] = {
                    "received": received,
                    "days": n,
                    "date": workdays.due_date(received, n),
                }
            except CalendarError as exc:
                show_domain_error(due, workdays.engine_error(exc, "received"))
    return out


def _page(
    request: HttpRequest,
    year: int,
    *,
    day_form: CalendarDayForm | None = None,
    import_form: ImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = can_manage_calendar(request.user)
    days = list(workdays.calendar_days_in_year(year))
    months, total = _months(year, days)
    context: dict[str, Any] = {
        "year": year,
        "months": months,
        "working_days": total,
        "days": days,
        "holiday_count": sum(1 for d in days if d.kind == CalendarDayKind.HOLIDAY),
        "workday_count": sum(1 for d in days if d.kind == CalendarDayKind.WORKDAY),
        "weekday_headers": WEEKDAY_HEADERS,
        "years": sorted({*workdays.calendar_years(), year}),
        "can_manage": can_manage,
        "day_form": day_form or CalendarDayForm(initial={"kind": CalendarDayKind.HOLIDAY}),
        "import_form": import_form or ImportForm(initial={"year": year}),
        **_calculator(request.GET),
    }
    return render(request, "core/calendar.html", context, status=status)


@login_required
@require_GET
def calendar_year(request: HttpRequest) -> HttpResponse:
    return _page(request, _year_of(request))


@login_required
@require_GET
def calendar_count(request: HttpRequest) -> HttpResponse:
    """The calculators' result: a fragment for htmx, else the year page with the result."""
    if not is_htmx(request):
        return _page(request, _year_of(request))
    return render(request, "core/calendar.html#calculator_result", _calculator(request.GET))


def _back(year: int) -> HttpResponse:
    return redirect(f"{reverse('calendar:year')}?{urlencode({'year': year})}")


@login_required
@require_POST
def calendar_day_create(request: HttpRequest) -> HttpResponse:
    can_manage = can_manage_calendar(request.user)
    if not can_manage:
        raise PermissionDenied
    form = CalendarDayForm(request.POST)
    year = _year_of(request)
    error: DomainError | None = None
    if form.is_valid():
        try:
            day = workdays.calendar_day_create(
                actor=actor_from_request(request),
                can_manage=can_manage,
                data=form.to_data(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as e:
            error = e
            show_domain_error(form, e)
        else:
            messages.success(request, _("%(day)s added to the calendar.") % {"day": day})
            return _back(day.date.year)
    return _page(request, year, day_form=form, status=form_status(error))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_day_edit(request: HttpRequest, pk: int) -> HttpResponse:
    day = workdays.get_calendar_day(pk)
    can_manage = can_manage_calendar(request.user)
    if not can_manage:
        raise PermissionDenied
    error: DomainError | None = None
    if request.method == "POST":
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            try:
                saved = workdays.calendar_day_update(
                    actor=actor_from_request(request),
                    can_manage=can_manage,
                    day_id=day.pk,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.to_data(),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("%(day)s saved.") % {"day": saved})
                return _back(saved.date.year)
    else:
        form = CalendarDayForm(initial=CalendarDayForm.initial_for(day))
    return render(
        request,
        "core/calendar_day_form.html",
        {"day": day, "form": form, "delete_form": DeleteDayForm(initial={"version": day.version})},
        status=form_status(error),
    )


@login_required
@require_POST
def calendar_day_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = workdays.get_calendar_day(pk)
    can_manage = can_manage_calendar(request.user)
    if not can_manage:
        raise PermissionDenied
    form = DeleteDayForm(request.POST)
    error: DomainError | None = None
    if form.is_valid():
        try:
            workdays.calendar_day_delete(
                actor=actor_from_request(request),
                can_manage=can_manage,
                day_id=day.pk,
                expected_version=form.cleaned_data.get("version"),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as e:
            error = e
            show_domain_error(form, e)
        else:
            messages.success(request, _("%(day)s removed from the calendar.") % {"day": day})
            return _back(day.date.year)
    return render(
        request,
        "core/calendar_day_form.html",
        {
            "day": day,
            "form": CalendarDayForm(initial=CalendarDayForm.initial_for(day)),
            "delete_form": form,
        },
        status=form_status(error) if error is None or error.status == 409 else 400,
    )


@login_required
@require_POST
def calendar_import(request: HttpRequest) -> HttpResponse:
    can_manage = can_manage_calendar(request.user)
    if not can_manage:
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES)
    year = _year_of(request)
    if form.is_valid():
        year = form.cleaned_data["year"]
        upload = form.cleaned_data["file"]
        try:
            rows = workdays.parse_calendar_file(
                upload.name or "", upload.read(workdays.MAX_IMPORT_BYTES + 1)
            )
            result = workdays.calendar_year_import(
                actor=actor_from_request(request),
                can_manage=can_manage,
                year=year,
                rows=rows,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as e:
            show_domain_error(form, e, {"file": "file"})
        else:
            messages.success(
                request,
                _(
                    "%(year)s imported: %(created)s added, %(updated)s changed, "
                    "%(deleted)s removed, %(unchanged)s unchanged."
                )
                % {
                    "year": result.year,
                    "created": result.created,
                    "updated": result.updated,
                    "deleted": result.deleted,
                    "unchanged": result.unchanged,
                },
            )
            return _back(year)
    return _page(request, year, import_form=form, status=400)


@login_required
@require_GET
def calendar_export(request: HttpRequest) -> HttpResponse:
    """The year's days as CSV, in the import format (UTF-8 with BOM, so Excel reads it)."""
    year = _year_of(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="calendar-{year}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["date", "kind", "name"])
    for day in workdays.calendar_days_in_year(year):
        writer.writerow([day.date.isoformat(), day.kind, day.name])
    return response
