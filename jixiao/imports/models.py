"""Import jobs: one uploaded file, its progress and its result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")
    SUCCEEDED = "succeeded", _("Succeeded")


class ImportKind(models.TextChoices):
    ORG = "org", _("Organization")
    INDICATORS = "indicators", _("Indicator library")
    GOALS = "goals", _("Goals and work plans")


class ImportJob(models.Model):
    """An import (organization, indicator library, or goals and work plans) started from a
    page and run as a background task."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ImportKind.choices, default=ImportKind.ORG
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    dry_run = models.BooleanField(_("check only"), default=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.FAILED, ImportStatus.SUCCEEDED}

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.processed_rows / self.total_rows))


class ExportJob(models.Model):
    """An export (organization, indicator library, or goals and work plans) started from a
    page and written by a background task to a file that only its owner may download."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ImportKind.choices, default=ImportKind.ORG
    )
    part = models.CharField(
        _("sheet"),
        max_length=16,
        blank=True,
        help_text=_("Empty for a workbook; the kind of rows for one CSV file."),
    )
    period = models.CharField(
        _("period"),
        max_length=10,
        blank=True,
        help_text=_("For goals: only goals within this period (e.g. 2026); empty for all."),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.FAILED, ImportStatus.SUCCEEDED}

    @property
    def is_downloadable(self) -> bool:
        return self.status == ImportStatus.SUCCEEDED and bool(self.stored_path)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.processed_rows / self.total_rows))
