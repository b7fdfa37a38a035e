"""The indicator library: versioned indicator definitions, BARS levels, uses and weight sets.

An indicator is a family of versions sharing one code. Each row is one version (`revision`);
exactly one row per code is the latest (`is_latest`). Goals and appraisals point at a row,
so that when an indicator in use is edited they keep the version they were built on.
`version` is the compare-and-set counter of a row, as everywhere else in Jixiao.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    EFFICIENCY = "efficiency", _("Efficiency (效率)")
    SERVICE_QUALITY = "service_quality", _("Service quality (服务质量)")
    GOAL_ACHIEVEMENT = "goal_achievement", _("Goal achievement (目标达成)")
    CONDUCT = "conduct", _("Conduct and competence (德能勤绩廉)")
    HOTLINE_WINDOW = "hotline_window", _("Hotline and service window (热线与窗口)")
    OTHER = "other", _("Other (其他)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class SourceKind(models.TextChoices):
    MANUAL = "manual", _("Manual entry")
    RECORDS = "records", _("Operational records")
    SURVEY = "survey", _("Survey")
    GOAL_PROGRESS = "goal_progress", _("Goal progress")
    FORMULA = "formula", _("Formula over other indicators")


class Period(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")
    ANNUAL = "annual", _("Annual")
    SPECIAL = "special", _("Special (专项)")
    TERM = "term", _("Contract term (聘期)")


class Indicator(models.Model):
    """One version of an indicator (指标)."""

    code = models.CharField(_("code"), max_length=32)
    revision = models.PositiveIntegerField(_("version number"), default=1, editable=False)
    is_latest = models.BooleanField(_("latest version"), default=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    definition = models.TextField(_("definition"), blank=True)
    standard = models.TextField(_("scoring standard"), blank=True)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    source_kind = models.CharField(
        _("data source"), max_length=16, choices=SourceKind.choices, default=SourceKind.MANUAL
    )
    source_detail = models.TextField(_("source details"), blank=True)
    rule = models.JSONField(_("scoring rule"), default=dict)
    default_weight = models.DecimalField(
        _("default weight (%)"), max_digits=5, decimal_places=2, default=0
    )
    period = models.CharField(
        _("period"), max_length=16, choices=Period.choices, default=Period.ANNUAL
    )
    responsible = models.CharField(_("responsible party"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    change_note = models.CharField(_("change note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["code", "revision"], name="indicator_code_revision"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_latest=True), name="indicator_one_latest"
            ),
            models.CheckConstraint(
                condition=Q(default_weight__gte=0) & Q(default_weight__lte=100),
                name="indicator_weight_percent",
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="indicator_revision_pos"),
        ]
        indexes = [
            models.Index(fields=["is_latest", "category", "code"]),
            models.Index(fields=["name"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BarsLevel(models.Model):
    """One level of a behaviourally anchored rating scale: what a rater must have seen."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="bars_levels")
    level = models.PositiveSmallIntegerField(_("level"))
    title = models.CharField(_("level title"), max_length=50)
    description = models.TextField(_("observable behaviour"))
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("BARS level")
        verbose_name_plural = _("BARS levels")
        ordering = ["indicator_id", "-level"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "level"], name="bars_level_unique"),
            models.CheckConstraint(condition=Q(level__gte=1), name="bars_level_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} L{self.level} {self.title}"


class IndicatorUse(models.Model):
    """A reference to one indicator version by something that must keep it unchanged.

    Later apps (goals, appraisal schemes) record their references here, or register their own
    check in `jixiao.indicators.usage`. `used_by` names the kind of user ("goals.goal",
    "indicators.lock" for a version locked by hand), `object_id` the user.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="uses")
    used_by = models.CharField(_("used by"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator use")
        verbose_name_plural = _("indicator uses")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "used_by", "object_id"], name="indicator_use_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} ← {self.used_by}:{self.object_id}"


class WeightMethod(models.TextChoices):
    DIRECT = "direct", _("Direct weights")
    AHP = "ahp", _("AHP (层次分析法)")
    ENTROPY = "entropy", _("Entropy weights (熵权法)")
    COMBINED = "combined", _("AHP + entropy")


class WeightSet(models.Model):
    """A named, saved set of weights over indicator versions, with how it was obtained."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    method = models.CharField(_("method"), max_length=16, choices=WeightMethod.choices)
    ahp_method = models.CharField(_("AHP method"), max_length=16, blank=True)
    matrix = models.JSONField(_("comparison matrix"), default=list, blank=True)
    lambda_max = models.FloatField(_("λmax"), null=True, blank=True)
    consistency_index = models.FloatField(_("CI"), null=True, blank=True)
    consistency_ratio = models.FloatField(_("CR"), null=True, blank=True)
    ri_table_name = models.CharField(_("RI table"), max_length=32, blank=True)
    ri_table = models.JSONField(_("RI values"), default=list, blank=True)
    alpha = models.DecimalField(
        _("AHP share α"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    entropy_source = models.JSONField(_("entropy data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("weight set")
        verbose_name_plural = _("weight sets")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class WeightSetItem(models.Model):
    weight_set = models.ForeignKey(WeightSet, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(_("weight"), max_digits=9, decimal_places=6)
    ahp_weight = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    entropy_weight = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("weight")
        verbose_name_plural = _("weights")
        ordering = ["weight_set_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["weight_set", "indicator"], name="weight_set_item_unique"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="weight_set_item_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_set_id}:{self.indicator_id}={self.weight}"
