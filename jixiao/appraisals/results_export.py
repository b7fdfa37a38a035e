"""Files of a cycle's results, written by a background task: the Excel workbook of every
person's result, and the ZIP of every appraisal form (pdf.py). The office of the cycle starts
one; only the person who started it downloads it, and only while they are still of the office.

The workbook holds one row per appraisal (工号, name, department, post, eligibility, section
scores, total, the total before the correction for rater bias, ranks, band and suggested grade
with the reason, tie) and a sheet of the quota rules against the counts. Never anything per
rater. It is written in xlsxwriter's constant_memory mode while the appraisals are read in
chunks, so memory stays flat for 100,000 people.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jixiao.appraisals.models import Appraisal, Cycle, JobStatus, ResultFile, ResultFileKind
from jixiao.appraisals.permissions import can_see_cycle_office
from jixiao.appraisals.selectors_results import (
    CycleResults,
    cycle_results,
    grade_explanation,
    section_scores,
    tie_text,
)
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import forbidden, not_found

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
CHUNK = 2000
PROGRESS_EVERY = 5000
KEEP = datetime.timedelta(hours=24)
"""How long a finished file stays on disk; the row stays after it."""


# ---------------------------------------------------------------- the workbook


def results_in_order(cycle: Cycle) -> Iterator[Appraisal]:
    """Every appraisal of the cycle, best score first, then those without a score, read in
    chunks (the scored rows in the order of the (cycle, −total) index)."""
    base = (
        Appraisal.objects.filter(cycle=cycle)
        .select_related("person", "department", "post")
        .only(
            "id",
            "cycle_id",
            "department_id",
            "eligibility",
            "eligibility_reason",
            "eligibility_set_at",
            "total",
            "raw_total",
            "rank_department",
            "rank_unit",
            "band_grade",
            "suggested_grade",
            "grade_reason",
            "tie",
            "breakdown",
            "person__employee_no",
            "person__name",
            "department__name",
            "post__name",
        )
    )
    yield from base.filter(total__isnull=False).order_by("-total", "id").iterator(chunk_size=CHUNK)
    yield from base.filter(total__isnull=True).order_by("id").iterator(chunk_size=CHUNK)


def result_header(results: CycleResults) -> list[str]:
    return [
        _("Employee number"),
        _("Full name"),
        _("Department"),
        _("Post"),
        _("Eligibility"),
        *[f"{s.name}（{float(s.weight):g}%）" for s in results.sections],
        _("Total score"),
        _("Score before correction"),
        _("Rank in department"),
        _("Rank in unit"),
        _("Band"),
        _("Suggested grade"),
        _("Why this grade"),
        _("Tie"),
    ]


def result_row(a: Appraisal, results: CycleResults) -> list[Any]:
    eligibility = a.get_eligibility_display()
    if a.eligibility_set_at is not None:
        eligibility = f"{eligibility}（{_('set by the office')}）"
    if a.eligibility_reason:
        eligibility = f"{eligibility}：{a.eligibility_reason}"
    return [
        a.person.employee_no,
        a.person.name,
        a.department.name,
        a.post.name if a.post is not None else "",
        eligibility,
        *[None if v is None else round(v, 2) for v in section_scores(a, results.sections)],
        None if a.total is None else round(a.total, 2),
        None if a.raw_total is None else round(a.raw_total, 2),
        a.rank_department,
        a.rank_unit,
        results.label(a.band_grade) if a.band_grade else "",
        results.label(a.suggested_grade) if a.suggested_grade else "",
        " ".join(grade_explanation(a, results)),
        tie_text(a, results),
    ]


def write_results_workbook(path: Path, cycle: Cycle, progress: Progress | None = None) -> int:
    """The workbook of the cycle's results; returns the number of appraisals written."""
    report = progress or (lambda _done, _total: None)
    results = cycle_results(cycle, with_sections=True)
    total = results.total
    report(0, total)
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False}
    )
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
        number = workbook.add_format({"num_format": "0.00"})
        sheet = workbook.add_worksheet(_("Results")[:31])
        header = result_header(results)
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 2)
        first_score = 5
        last_score = first_score + len(results.sections) + 1
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 10)
        sheet.set_column(2, 4, 18)
        sheet.set_column(first_score, last_score, 11, number)
        sheet.set_column(len(header) - 2, len(header) - 2, 60)
        written = 0
        for a in results_in_order(cycle):
            written += 1
            sheet.write_row(written, 0, result_row(a, results))
            if written % PROGRESS_EVERY == 0:
                report(written, total)
        quota = workbook.add_worksheet(_("Grades and quotas")[:31])
        quota.write_row(0, 0, [_("Grade"), _("People")], bold)
        row = 1
        for _code, label, count in results.grade_lines:
            quota.write_row(row, 0, [label, count])
            row += 1
        row += 1
        quota.write_row(
            row,
            0,
            [
                _("Rule"),
                _("Department"),
                _("Appraised with a score"),
                _("Limit"),
                _("Now"),
                _("Kept"),
            ],
            bold,
        )
        for line in results.quota:
            row += 1
            kept = (
                _("yes")
                if not line.broken
                else (_("no") if line.enforced else _("advisory, not met"))
            )
            quota.write_row(
                row,
                0,
                [line.label, line.department_name, line.population, line.limit, line.actual, kept],
            )
        quota.set_column(0, 0, 40)
    finally:
        workbook.close()
    report(written, total)
    return written


# ---------------------------------------------------------------- jobs


def _folder() -> Path:
    folder = Path(settings.UPLOAD_DIR) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_name_for(cycle: Cycle, kind: str) -> str:
    stamp = f"{timezone.localdate():%Y%m%d}"
    if kind == ResultFileKind.FORMS:
        return f"forms-{cycle.pk}-{stamp}.zip"
    return f"results-{cycle.pk}-{stamp}.xlsx"


def _purge_old() -> None:
    cutoff = timezone.now() - KEEP
    old = list(
        ResultFile.objects.filter(finished_at__lt=cutoff)
        .exclude(stored_path="")
        .values_list("pk", "stored_path")[:500]
    )
    for _pk, stored in old:
        Path(stored).unlink(missing_ok=True)
    if old:
        ResultFile.objects.filter(pk__in=[pk for pk, _stored in old]).update(stored_path="")


def result_file_create(
    *, actor: Actor, user: Any, cycle_id: int, kind: str, language: str = ""
) -> ResultFile:
    """Queue a file of the cycle's results for the office; the task starts once committed."""
    from jixiao.appraisals.tasks_results import run_result_file

    if kind not in ResultFileKind.values:
        raise not_found()
    _purge_old()
    with transaction.atomic(durable=True):
        cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
        if cycle is None:
            raise not_found()
        if not can_see_cycle_office(user, cycle):
            raise forbidden()
        job = ResultFile.objects.create(
            cycle=cycle,
            owner=user,
            kind=kind,
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
            file_name=file_name_for(cycle, kind),
        )
        audit.record(
            actor,
            "appraisals.results.export",
            cycle,
            {"file": [None, kind]},
            scope_path=cycle.unit.path,
        )
        job_id = job.pk
        transaction.on_commit(lambda: run_result_file.enqueue(job_id))
    return job


def result_file_run(*, file_id: int) -> None:
    """Write a queued file once (compare-and-set queued → running), then record it."""
    started = ResultFile.objects.filter(pk=file_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return
    job = ResultFile.objects.select_related("owner", "cycle", "cycle__unit", "cycle__scheme").get(
        pk=file_id
    )
    suffix = ".zip" if job.kind == ResultFileKind.FORMS else ".xlsx"
    path = _folder() / f"{uuid.uuid4().hex}{suffix}"

    def progress(done: int, total: int) -> None:
        ResultFile.objects.filter(pk=file_id, status=JobStatus.RUNNING).update(
            done=done, total=total
        )

    try:
        if not can_see_cycle_office(job.owner, job.cycle):
            raise PermissionError
        with translation.override(job.language or settings.LANGUAGE_CODE):
            if job.kind == ResultFileKind.FORMS:
                from jixiao.appraisals.pdf import write_forms_zip

                rows = write_forms_zip(path, job.cycle, progress)
            else:
                rows = write_results_workbook(path, job.cycle, progress)
    except PermissionError:
        path.unlink(missing_ok=True)
        ResultFile.objects.filter(pk=file_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=_("You no longer have permission to export these results."),
        )
        return
    except Exception:
        logger.exception("results file %s crashed", file_id)
        path.unlink(missing_ok=True)
        ResultFile.objects.filter(pk=file_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=_("The export stopped because of an internal error."),
        )
        return
    ResultFile.objects.filter(pk=file_id).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        stored_path=str(path),
        total=rows,
        done=rows,
    )
