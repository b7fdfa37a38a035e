"""Writes for import and export jobs: create one, run it as a task, record its progress and
result (and, for an export, the file its owner downloads)."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core.actor import Actor
from jixiao.goals.periods import parse_period
from jixiao.imports.formats import SPEC_BY_KIND
from jixiao.imports.goal_export import export_goal_workbook
from jixiao.imports.goal_import import GoalImportOutcome, import_goal_file
from jixiao.imports.indicator_export import export_indicator_csv, export_indicator_workbook
from jixiao.imports.indicator_formats import INDICATOR_SPEC_BY_KIND
from jixiao.imports.indicator_import import IndicatorImportOutcome, import_indicator_file
from jixiao.imports.models import ExportJob, ImportJob, ImportKind, ImportStatus
from jixiao.imports.org_export import export_org_csv, export_org_workbook
from jixiao.imports.org_import import ImportOutcome, import_org_file
from jixiao.imports.permissions import can_import_goals, can_transfer
from jixiao.indicators.permissions import can_manage_library
from jixiao.org.access import scope_for

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1000


def _upload_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def import_job_create(
    *,
    actor: Actor,
    owner: Any,
    upload: UploadedFile[bytes],
    dry_run: bool,
    kind: str = ImportKind.ORG,
) -> ImportJob:
    """Store the upload and queue its import; the task starts once the job row is committed."""
    from jixiao.imports.tasks import run_import_job

    name = Path(upload.name or "upload").name
    stored = _upload_dir() / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    with open(stored, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    with transaction.atomic(durable=True):
        job = ImportJob.objects.create(
            owner=owner,
            kind=kind,
            file_name=name[:255],
            stored_path=str(stored),
            dry_run=dry_run,
            ip=actor.ip,
        )
        job_id = job.pk
        transaction.on_commit(lambda: run_import_job.enqueue(job_id))
    return job


def _progress_writer(job_id: int) -> Any:
    last = [-PROGRESS_EVERY]

    def progress(done: int, total: int) -> None:
        if done - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = done
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
            processed_rows=done, total_rows=total
        )

    return progress


def import_job_run(*, job_id: int) -> None:
    """Run a queued job once (compare-and-set queued → running), then store its outcome."""
    started = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    path = Path(job.stored_path)
    actor = Actor(user_id=job.owner_id, label=job.owner.get_username(), source="import", ip=job.ip)
    outcome: ImportOutcome | IndicatorImportOutcome | GoalImportOutcome
    try:
        scope = scope_for(job.owner)
        if job.kind == ImportKind.GOALS:
            if not can_import_goals(job.owner):
                raise PermissionError
            outcome = import_goal_file(
                path,
                actor=actor,
                user=job.owner,
                progress=_progress_writer(job_id),
                dry_run=job.dry_run,
            )
        elif job.kind == ImportKind.INDICATORS:
            if not can_manage_library(job.owner):
                raise PermissionError
            outcome = import_indicator_file(
                path,
                actor=actor,
                scope=scope,
                progress=_progress_writer(job_id),
                dry_run=job.dry_run,
            )
        else:
            if not scope.can_import:
                raise PermissionError
            outcome = import_org_file(
                path,
                actor=actor,
                scope=scope,
                progress=_progress_writer(job_id),
                dry_run=job.dry_run,
            )
    except PermissionError:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("You no longer have permission to import."),
        )
        return
    except Exception:
        logger.exception("import job %s crashed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("The import stopped because of an internal error; nothing was written."),
        )
        return
    finally:
        path.unlink(missing_ok=True)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.SUCCEEDED if outcome.ok else ImportStatus.FAILED,
        finished_at=timezone.now(),
        total_rows=outcome.rows,
        processed_rows=outcome.rows,
        errors=[e.as_dict() for e in outcome.errors],
        summary=outcome.summary(),
    )


# ---------------------------------------------------------------- exports

EXPORT_KEEP = datetime.timedelta(hours=24)
"""How long a finished export's file stays on disk; the job row stays after it."""

EXPORT_PARTS: dict[str, frozenset[str]] = {
    ImportKind.ORG: frozenset(SPEC_BY_KIND),
    ImportKind.INDICATORS: frozenset(INDICATOR_SPEC_BY_KIND),
    ImportKind.GOALS: frozenset(),  # one workbook; no CSV parts
}


def _export_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_file_name(kind: str, part: str, period: str = "") -> str:
    """The name the download gets: org-20260105.xlsx, people-20260105.csv,
    goals-2026-20260105.xlsx and so on."""
    if kind == ImportKind.GOALS:
        return f"goals-{period + '-' if period else ''}{timezone.localdate():%Y%m%d}.xlsx"
    stem = part or ("indicators" if kind == ImportKind.INDICATORS else "org")
    return f"{stem}-{timezone.localdate():%Y%m%d}.{'csv' if part else 'xlsx'}"


def _purge_old_exports() -> None:
    """Delete the files of exports that finished more than EXPORT_KEEP ago."""
    cutoff = timezone.now() - EXPORT_KEEP
    old = list(
        ExportJob.objects.filter(finished_at__lt=cutoff)
        .exclude(stored_path="")
        .values_list("pk", "stored_path")[:500]
    )
    for _pk, stored in old:
        Path(stored).unlink(missing_ok=True)
    if old:
        ExportJob.objects.filter(pk__in=[pk for pk, _stored in old]).update(stored_path="")


def export_job_create(*, owner: Any, kind: str, part: str = "", period: str = "") -> ExportJob:
    """Queue an export of everything `owner` may see of `kind` (the whole workbook, or one
    sheet as CSV when `part` names it; for goals, those within `period` when given); the task
    starts once the job row is committed."""
    from jixiao.imports.tasks import run_export_job

    if kind not in EXPORT_PARTS or (part and part not in EXPORT_PARTS[kind]):
        raise ValueError(f"cannot export {kind!r}/{part!r}")
    if period and (kind != ImportKind.GOALS or parse_period(period) is None):
        raise ValueError(f"cannot export {kind!r} for the period {period!r}")
    _purge_old_exports()
    with transaction.atomic(durable=True):
        job = ExportJob.objects.create(
            owner=owner,
            kind=kind,
            part=part,
            period=period,
            file_name=export_file_name(kind, part, period),
        )
        job_id = job.pk
        transaction.on_commit(lambda: run_export_job.enqueue(job_id))
    return job


def _export_progress(job_id: int) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
            processed_rows=done, total_rows=total
        )

    return progress


def _write_export(job: ExportJob, path: Path) -> int:
    """Write the file as the owner sees the data; returns the number of rows written."""
    if job.kind == ImportKind.INDICATORS:
        if job.part:
            return export_indicator_csv(path, job.part, user=job.owner)
        return export_indicator_workbook(path, user=job.owner)
    totals = [0]
    store = _export_progress(job.pk)
    if job.kind == ImportKind.GOALS:
        return export_goal_workbook(path, user=job.owner, period=job.period, progress=store)

    def progress(done: int, total: int) -> None:
        totals[0] = total
        store(done, total)

    if job.part:
        export_org_csv(path, job.part, user=job.owner, progress=progress)
    else:
        export_org_workbook(path, user=job.owner, progress=progress)
    return totals[0]


def export_job_run(*, job_id: int) -> None:
    """Run a queued export once (compare-and-set queued → running), then store its file."""
    started = ExportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    path = _export_dir() / f"{uuid.uuid4().hex}{'.csv' if job.part else '.xlsx'}"
    try:
        if not can_transfer(job.owner, job.kind):
            raise PermissionError
        rows = _write_export(job, path)
    except PermissionError:
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("You no longer have permission to export."),
        )
        return
    except Exception:
        logger.exception("export job %s crashed", job_id)
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("The export stopped because of an internal error."),
        )
        return
    ExportJob.objects.filter(pk=job_id).update(
        status=ImportStatus.SUCCEEDED,
        finished_at=timezone.now(),
        stored_path=str(path),
        total_rows=rows,
        processed_rows=rows,
    )
