"""Recurring appraisal cycles (周期性考核计划): a series names a unit, a scheme, a population
and a kind of period (monthly, quarterly, half-yearly, annual), and each period's cycle is
created on schedule.

Scheduling: `create_due_cycles` runs daily (the task and `manage.py create_due_cycles`, from
cron). A period is due from its creation day, `lead_days` before it starts; every due period
of every active series that has no cycle yet gets one, so running again creates nothing
(a cycle names its series and period, unique together) and a day the scheduler missed is
caught up on its next run. Each cycle is created in its own transaction, with the checks and
the audit record of the office's "create cycle" (`cycles.cycle_insert`), and is populated in
the background like a large cycle created by the office (`jobs.populate_queue`). A series that
fails (its scheme deactivated, its departments closed) is reported and its error kept on it
for the office to see; the other series go on.

Cycle names: the series' name is a pattern. `{period}` becomes the period's name
(2027年3月, 2027年第1季度, 2027年上半年, 2027年度), `{year}` the year (2027) and `{n}` the
period's number in its year (month 1–12, quarter 1–4, half 1–2, 1 for a year). A name without
any placeholder gets the period in front: "绩效考核" makes "2027年第1季度绩效考核".

Deadlines are days after the last day of the period, per phase (a negative number: before the
end); each created cycle gets its dates. The scheme is the latest version of the series'
scheme when the cycle is created, so a revised scheme applies from the next cycle on. Edits
apply to the cycles created afterwards; once a cycle exists, the kind, the unit and the first
period are fixed. A deactivated series creates nothing; reactivated, it resumes with the
current period (the periods that passed while it was off get no cycle).

Permissions are those of creating cycles: the unit's performance administrators (and system
administrators) create and change a series; the scheduler acts as the system for every
active series, a person pressing "create due cycles now" for the series they manage.
"""

from __future__ import annotations

import datetime
import logging
import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jixiao.appraisals import cycles, jobs
from jixiao.appraisals.models import (
    DEADLINE_PHASES,
    RECURRING_KINDS,
    Cycle,
    CycleSeries,
    Scheme,
)
from jixiao.appraisals.permissions import can_create_cycles, can_manage_series
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    not_found,
    validation_failed,
)
from jixiao.engine import periods
from jixiao.org.access import scope_for

logger = logging.getLogger(__name__)

MAX_NAME = 80
MAX_LEAD_DAYS = 366
MAX_OFFSET = 366
PLACEHOLDER = re.compile(r"\{(\w*)\}")
PLACEHOLDERS = ("period", "year", "n")
FIXED_ONCE_USED = ("kind", "unit", "first_start")
SCHEDULER = Actor.system("scheduler")


@dataclass
class SeriesData:
    name: str
    kind: str
    unit_id: int
    scheme_id: int
    first_start: datetime.date
    population: cycles.Population
    deadline_offsets: dict[str, int] = field(default_factory=dict)
    lead_days: int = 0


# ---------------------------------------------------------------- names and dates


def period_label(period: periods.Period) -> str:
    """The period's Chinese name: 2027年3月, 2027年第1季度, 2027年上半年, 2027年度."""
    if period.kind == periods.MONTHLY:
        return f"{period.year}年{period.number}月"
    if period.kind == periods.QUARTERLY:
        return f"{period.year}年第{period.number}季度"
    if period.kind == periods.HALF_YEAR:
        return f"{period.year}年{'上' if period.number == 1 else '下'}半年"
    return f"{period.year}年度"


def cycle_name(pattern: str, period: periods.Period) -> str:
    """The name of the period's cycle (see the module's docstring)."""
    values = {"period": period_label(period), "year": str(period.year), "n": str(period.number)}
    if not PLACEHOLDER.search(pattern):
        return values["period"] + pattern
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), pattern)


def cycle_deadlines(offsets: dict[str, int], period: periods.Period) -> dict[str, str]:
    return {
        str(phase): (period.end + datetime.timedelta(days=int(days))).isoformat()
        for phase, days in offsets.items()
    }


def cycle_data(
    *,
    name: str,
    kind: str,
    unit_id: int,
    scheme_id: int,
    population: cycles.Population,
    deadline_offsets: dict[str, int],
    period: periods.Period,
) -> cycles.CycleData:
    """What the office would type to create the period's cycle by hand."""
    return cycles.CycleData(
        name=cycle_name(name, period),
        kind=kind,
        unit_id=unit_id,
        scheme_id=scheme_id,
        start=period.start,
        end=period.end,
        population=population,
        deadlines=cycle_deadlines(deadline_offsets, period),
    )


def _first_day_message(kind: str) -> str:
    if kind == periods.MONTHLY:
        return _("A monthly series starts on the first day of a month.")
    if kind == periods.QUARTERLY:
        return _(
            "A quarterly series starts on the first day of a quarter "
            "(1 January, 1 April, 1 July or 1 October)."
        )
    if kind == periods.HALF_YEAR:
        return _("A half-yearly series starts on 1 January or 1 July.")
    return _("An annual series starts on 1 January.")


# ---------------------------------------------------------------- validation


def _validate_name(name: str, errors: list[FieldError]) -> None:
    if not name or len(name) > MAX_NAME:
        errors.append(
            FieldError(
                "name",
                "required",
                _("Name the series (at most %(n)s characters).") % {"n": MAX_NAME},
            )
        )
        return
    unknown = [m[1] for m in PLACEHOLDER.finditer(name) if m[1] not in PLACEHOLDERS]
    if unknown:
        errors.append(
            FieldError(
                "name",
                "unknown_placeholder",
                _("Unknown placeholder {%(name)s}: use {period}, {year} or {n}.")
                % {"name": unknown[0]},
            )
        )


def _validate_first_start(
    data: SeriesData, today: datetime.date, check_past: bool, errors: list[FieldError]
) -> None:
    if not periods.is_period_start(data.kind, data.first_start):
        errors.append(FieldError("first_start", "not_period_start", _first_day_message(data.kind)))
        return
    if not 2000 <= data.first_start.year <= 2100:
        errors.append(
            FieldError(
                "first_start", "out_of_range", _("Choose a first period between 2000 and 2100.")
            )
        )
        return
    earliest = periods.previous_period_start(data.kind, periods.period_start_of(data.kind, today))
    if check_past and data.first_start < earliest:
        errors.append(
            FieldError(
                "first_start",
                "too_far_back",
                _(
                    "The first period may lie at most one period in the past (from "
                    "%(date)s); create older cycles by hand."
                )
                % {"date": earliest.isoformat()},
            )
        )


def _validate_offsets(data: SeriesData, errors: list[FieldError]) -> None:
    shortest = periods.SHORTEST_DAYS.get(data.kind, periods.SHORTEST_DAYS[periods.MONTHLY])
    lowest = -(shortest - 1)
    previous: tuple[str, int] | None = None
    for phase in data.deadline_offsets:
        if phase not in DEADLINE_PHASES:
            errors.append(
                FieldError(
                    "deadline_offsets",
                    "unknown_phase",
                    _("Unknown phase %(p)s.") % {"p": phase},
                )
            )
    for phase in DEADLINE_PHASES:
        if phase not in data.deadline_offsets:
            continue
        days = data.deadline_offsets[phase]
        name = f"deadline_offsets.{phase}"
        if isinstance(days, bool) or not isinstance(days, int):
            errors.append(FieldError(name, "invalid", _("Give a whole number of days.")))
            continue
        if not lowest <= days <= MAX_OFFSET:
            errors.append(
                FieldError(
                    name,
                    "out_of_range",
                    _("Give between %(low)s and %(high)s days after the end of the period.")
                    % {"low": lowest, "high": MAX_OFFSET},
                )
            )
            continue
        if previous is not None and days < previous[1]:
            errors.append(
                FieldError(
                    name,
                    "deadlines_ordered",
                    _("This deadline comes before the one of an earlier phase."),
                )
            )
        previous = (phase, days)


def _validate(
    user: Any, data: SeriesData, *, today: datetime.date, check_past: bool
) -> list[FieldError]:
    """The problems of a series' data. The unit, scheme and population are checked as the
    office's "create cycle" checks them, on the cycle of the first period."""
    errors: list[FieldError] = []
    data.name = data.name.strip()
    _validate_name(data.name, errors)
    kind_ok = data.kind in RECURRING_KINDS
    if not kind_ok:
        errors.append(
            FieldError(
                "kind",
                "invalid_choice",
                _("Choose monthly, quarterly, half-yearly or annual."),
            )
        )
    else:
        _validate_first_start(data, today, check_past, errors)
    if not 0 <= data.lead_days <= MAX_LEAD_DAYS:
        errors.append(
            FieldError(
                "lead_days",
                "out_of_range",
                _("Give between 0 and %(n)s days.") % {"n": MAX_LEAD_DAYS},
            )
        )
    _validate_offsets(data, errors)
    kind = data.kind if kind_ok else periods.ANNUAL
    day = data.first_start if 2000 <= data.first_start.year <= 2100 else today
    sample = cycle_data(
        name=data.name or "-",
        kind=kind,
        unit_id=data.unit_id,
        scheme_id=data.scheme_id,
        population=data.population,
        deadline_offsets={},
        period=periods.period_of(kind, day),
    )
    named = any(e.field == "name" for e in errors)
    for e in cycles.validate_cycle(user, sample)[0]:
        if e.field == "name":
            if not named:
                errors.append(
                    FieldError(
                        "name",
                        "too_long",
                        _("The cycles' names would be longer than 100 characters."),
                    )
                )
            continue
        errors.append(e)
    return errors


# ---------------------------------------------------------------- writes


def _content(series: CycleSeries) -> dict[str, Any]:
    return {
        "name": series.name,
        "kind": series.kind,
        "unit": series.unit_id,
        "scheme": series.scheme_id,
        "population": series.population,
        "first_start": series.first_start.isoformat(),
        "deadline_offsets": series.deadline_offsets,
        "lead_days": series.lead_days,
    }


def _values(data: SeriesData) -> dict[str, Any]:
    return {
        "name": data.name,
        "kind": data.kind,
        "unit_id": data.unit_id,
        "scheme_id": data.scheme_id,
        "population": data.population.as_json(),
        "first_start": data.first_start,
        "deadline_offsets": {
            str(p): int(data.deadline_offsets[p])
            for p in DEADLINE_PHASES
            if p in data.deadline_offsets
        },
        "lead_days": data.lead_days,
    }


def _load(user: Any, series_id: int) -> CycleSeries:
    series = CycleSeries.objects.select_related("unit", "scheme").filter(pk=series_id).first()
    if series is None:
        raise not_found()
    if not can_manage_series(user, series):
        raise forbidden()
    return series


@transaction.atomic(durable=True)
def series_create(
    *, actor: Actor, user: Any, data: SeriesData, today: datetime.date | None = None
) -> CycleSeries:
    """A new active series; its first cycle is created when it is due."""
    if not can_create_cycles(user):
        raise forbidden()
    errors = _validate(user, data, today=today or timezone.localdate(), check_past=True)
    if errors:
        raise validation_failed(errors)
    series = CycleSeries.objects.create(**_values(data), created_by_id=actor.user_id)
    series = CycleSeries.objects.select_related("unit", "scheme").get(pk=series.pk)
    audit.record(
        actor,
        "appraisals.series.create",
        series,
        {k: [None, v] for k, v in _content(series).items()},
    )
    return series


@transaction.atomic(durable=True)
def series_update(
    *,
    actor: Actor,
    user: Any,
    series_id: int,
    expected_version: int,
    data: SeriesData,
    today: datetime.date | None = None,
) -> CycleSeries:
    """Change a series (compare-and-set on `version`); the cycles it already created stay as
    they are. Once a cycle exists, its kind, unit and first period are fixed."""
    series = _load(user, series_id)
    errors = _validate(
        user,
        data,
        today=today or timezone.localdate(),
        check_past=data.first_start != series.first_start,
    )
    values = _values(data)
    if series.cycles.exists():
        current = {"kind": series.kind, "unit": series.unit_id, "first_start": series.first_start}
        wanted = {"kind": data.kind, "unit": data.unit_id, "first_start": data.first_start}
        errors += [
            FieldError(
                name,
                "fixed_once_used",
                _("The series has created cycles: its kind, unit and first period stay."),
            )
            for name in FIXED_ONCE_USED
            if current[name] != wanted[name]
        ]
    if errors:
        raise validation_failed(errors)
    before = _content(series)
    if not CycleSeries.objects.filter(pk=series.pk, version=expected_version).update(
        **values, version=F("version") + 1
    ):
        raise concurrent_edit()
    series = CycleSeries.objects.select_related("unit", "scheme").get(pk=series.pk)
    after = _content(series)
    audit.record(
        actor,
        "appraisals.series.update",
        series,
        {k: [before[k], v] for k, v in after.items() if before[k] != v},
    )
    return series


@transaction.atomic(durable=True)
def series_set_active(
    *,
    actor: Actor,
    user: Any,
    series_id: int,
    active: bool,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> CycleSeries:
    """Deactivate a series (it creates nothing more) or reactivate it: it then resumes with
    the current period, and the periods that passed while it was off get no cycle."""
    series = _load(user, series_id)
    if series.is_active == active:
        return series
    if active and not latest_scheme(series).is_active:
        raise DomainError(
            "scheme_inactive",
            _("The series' scheme is deactivated: reactivate it, or choose another scheme, first."),
            field="scheme",
        )
    qs = CycleSeries.objects.filter(pk=series.pk, is_active=not active)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    changes: dict[str, Any] = {"is_active": [not active, active]}
    update: dict[str, Any] = {"is_active": active}
    if active:
        resume = periods.period_start_of(series.kind, today or timezone.localdate())
        if resume > series.first_start:
            update["resume_from"] = resume
            changes["resume_from"] = [
                series.resume_from.isoformat() if series.resume_from else None,
                resume.isoformat(),
            ]
    if not qs.update(**update, version=F("version") + 1):
        raise concurrent_edit()
    audit.record(
        actor,
        "appraisals.series.activate" if active else "appraisals.series.deactivate",
        series,
        changes,
    )
    series.refresh_from_db()
    return series


# ---------------------------------------------------------------- creating the due cycles


@dataclass(frozen=True)
class CreatedCycle:
    series_id: int
    cycle_id: int
    name: str
    period_start: str


@dataclass(frozen=True)
class SeriesFailure:
    series_id: int
    series_name: str
    period_start: str
    message: str


@dataclass
class DueReport:
    """What a run created, what failed (one entry per failed series) and how many due periods
    already had their cycle (a concurrent run made it first)."""

    created: list[CreatedCycle] = field(default_factory=list)
    failed: list[SeriesFailure] = field(default_factory=list)
    skipped: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "created": [asdict(c) for c in self.created],
            "failed": [asdict(f) for f in self.failed],
            "skipped": self.skipped,
        }


def latest_scheme(series: CycleSeries) -> Scheme:
    """The latest version of the series' scheme (the series' own row when none is latest)."""
    found = Scheme.objects.filter(code=series.scheme.code, is_latest=True).first()
    return found or series.scheme


@transaction.atomic(durable=True)
def _create_period_cycle(
    *, actor: Actor, user: Any | None, series_id: int, period: periods.Period
) -> Cycle | None:
    """The period's cycle, its population job and the audit records, in one transaction;
    None when the cycle exists already or the series was deactivated meanwhile."""
    series = CycleSeries.objects.select_related("unit", "scheme").get(pk=series_id)
    if not series.is_active:
        return None
    if user is not None and not can_manage_series(user, series):
        raise forbidden()
    if Cycle.objects.filter(series=series, period_start=period.start).exists():
        return None
    data = cycle_data(
        name=series.name,
        kind=series.kind,
        unit_id=series.unit_id,
        scheme_id=latest_scheme(series).pk,
        population=cycles.Population.of(series.population),
        deadline_offsets={str(k): int(v) for k, v in series.deadline_offsets.items()},
        period=period,
    )
    cycle = cycles.cycle_insert(
        actor=actor,
        user=user,
        data=data,
        populate_now=False,
        series_id=series.pk,
        period_start=period.start,
    )
    job = jobs.populate_queue(actor=actor, cycle=cycle)
    audit.record(
        actor,
        "appraisals.series.cycle",
        series,
        {
            "cycle": [None, cycle.pk],
            "period": [None, f"{period.start.isoformat()}–{period.end.isoformat()}"],
            "job": [None, job.pk],
        },
    )
    return cycle


def _message(error: DomainError) -> str:
    return "；".join(dict.fromkeys(str(e.message) for e in error.all_errors()))


def _create_for_series(
    series: CycleSeries,
    existing: set[datetime.date],
    *,
    today: datetime.date,
    actor: Actor,
    user: Any | None,
    report: DueReport,
) -> None:
    """Every due period of one series; stops at the series' first failure (the periods after
    it would fail alike) and keeps it on the series."""
    failure: SeriesFailure | None = None
    due = periods.due_periods(
        series.kind, series.first_start, today, series.lead_days, not_before=series.resume_from
    )
    for period in due:
        if period.start in existing:
            continue
        message = ""
        try:
            cycle = _create_period_cycle(actor=actor, user=user, series_id=series.pk, period=period)
        except DomainError as e:
            message = _message(e)
        except IntegrityError:
            # A run at the same moment created the period's cycle first.
            if not Cycle.objects.filter(series=series, period_start=period.start).exists():
                logger.exception("series %s: creating %s failed", series.pk, period.start)
                message = _("An internal error stopped the creation of this cycle.")
            cycle = None
        except Exception:
            logger.exception("series %s: creating %s failed", series.pk, period.start)
            message = _("An internal error stopped the creation of this cycle.")
        if message:
            failure = SeriesFailure(series.pk, series.name, period.start.isoformat(), message)
            break
        if cycle is None:
            report.skipped += 1
        else:
            report.created.append(
                CreatedCycle(series.pk, cycle.pk, cycle.name, period.start.isoformat())
            )
    if failure is not None:
        logger.warning(
            "series %s (%s): no cycle for the period from %s: %s",
            series.pk,
            series.name,
            failure.period_start,
            failure.message,
        )
        report.failed.append(failure)
        text = _("Period from %(date)s: %(message)s") % {
            "date": failure.period_start,
            "message": failure.message,
        }
        CycleSeries.objects.filter(pk=series.pk).update(
            last_error=text[:2000], last_error_at=timezone.now()
        )
    elif series.last_error:
        CycleSeries.objects.filter(pk=series.pk).update(last_error="", last_error_at=None)


def create_due_cycles(
    *, today: datetime.date, actor: Actor | None = None, user: Any | None = None
) -> DueReport:
    """Create every due cycle of the active series that does not exist yet (idempotent).

    The scheduler calls it without a user and acts as the system for every series, in the
    site's language; the office's "create due cycles now" passes the person, whose series
    (those they manage) are the only ones run and whose rights each creation checks."""
    if user is not None and not can_create_cycles(user):
        raise forbidden()
    qs = CycleSeries.objects.filter(is_active=True).select_related("unit", "scheme")
    if user is not None:
        qs = qs.filter(scope_for(user).department_q("unit__", manage=True))
    all_series = list(qs.order_by("id"))
    existing: dict[int, set[datetime.date]] = {s.pk: set() for s in all_series}
    for series_id, start in Cycle.objects.filter(series__in=all_series).values_list(
        "series_id", "period_start"
    ):
        if series_id is not None and start is not None:
            existing[series_id].add(start)
    report = DueReport()
    who = actor or SCHEDULER
    language: AbstractContextManager[Any] = (
        translation.override(settings.LANGUAGE_CODE) if user is None else nullcontext()
    )
    with language:
        for series in all_series:
            try:
                _create_for_series(
                    series, existing[series.pk], today=today, actor=who, user=user, report=report
                )
            except Exception:  # a broken series (bad stored data) never stops the others
                logger.exception("series %s: the due cycles were not created", series.pk)
                report.failed.append(
                    SeriesFailure(
                        series.pk,
                        series.name,
                        "",
                        _("An internal error stopped the creation of this cycle."),
                    )
                )
    return report
