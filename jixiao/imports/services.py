"""Writes for import jobs: create one from an upload, run it, record its progress and result."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core.actor import Actor
from jixiao.imports.indicator_import import IndicatorImportOutcome, import_indicator_file
from jixiao.imports.models import ImportJob, ImportKind, ImportStatus
from jixiao.imports.org_import import ImportOutcome, import_org_file
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
    outcome: ImportOutcome | IndicatorImportOutcome
    try:
        scope = scope_for(job.owner)
        if job.kind == ImportKind.INDICATORS:
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
