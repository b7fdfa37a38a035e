"""Appraisal: schemes (考核方案), cycles, appraisals, rater assignments, ratings, one-time codes,
KPI scores and rater statistics.

A scheme is versioned like an indicator: rows share a `code`, one is the latest, and a cycle
keeps the version it was created with. Grades, quota rules, eligibility limits and the
standardization setting are data on the scheme, never code.

Anonymity: a rating given through a one-time code (考核码) belongs to an assignment without a
rater; nothing links a code to a person. Ratings by named raters of an anonymous group are
stored with their rater (so a rater sees and edits only their own) but no page, export or
endpoint shows who gave them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jixiao.indicators.models import Indicator
from jixiao.org.models import Department, Person, Post

USER = settings.AUTH_USER_MODEL


class SchemePreset(models.TextChoices):
    CIVIL_SERVANT = "civil_servant", _("Civil servants, annual (公务员年度考核)")
    INSTITUTION = "institution", _("Public institution staff, annual (事业单位年度考核)")
    COMPANY = "company", _("Company (S/A/B/C/D)")
    CUSTOM = "custom", _("Custom")


class Scheme(models.Model):
    """One version of an appraisal scheme."""

    code = models.CharField(_("code"), max_length=32)
    revision = models.PositiveIntegerField(_("version number"), default=1, editable=False)
    is_latest = models.BooleanField(default=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    preset = models.CharField(
        _("kind"), max_length=16, choices=SchemePreset.choices, default=SchemePreset.CUSTOM
    )
    grades = models.JSONField(
        _("grades"),
        default=list,
        help_text=_('Best first: [{"code": "excellent", "label": "优秀", "min_score": 90}, …]'),
    )
    quota_rules = models.JSONField(_("quota rules"), default=list, blank=True)
    eligibility = models.JSONField(_("eligibility rules"), default=dict, blank=True)
    shrinkage = models.FloatField(_("standardization shrinkage k"), default=3.0)
    feeds = models.JSONField(_("regular cycles feeding this one"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.CharField(_("change note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("appraisal scheme")
        verbose_name_plural = _("appraisal schemes")
        ordering = ["code", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["code", "revision"], name="scheme_code_revision"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_latest=True), name="scheme_one_latest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.revision}"


class SectionKind(models.TextChoices):
    KPI = "kpi", _("Computed from goals and indicators (KPI)")
    RATING = "rating", _("Rated by rater groups")
    FEED = "feed", _("From regular cycles")


class SchemeSection(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=SectionKind.choices)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("scheme section")
        verbose_name_plural = _("scheme sections")
        ordering = ["scheme_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_section_code"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="scheme_section_weight"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class KpiSource(models.TextChoices):
    GOAL_PROGRESS = "goal_progress", _("Weighted progress of the person's goals")
    INDICATOR = "indicator", _("The indicator's actual against its target")
    MANUAL = "manual", _("Entered by the performance office")


class SchemeItem(models.Model):
    """An item of a section: a rated item (often a BARS indicator) or a KPI item."""

    section = models.ForeignKey(SchemeSection, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    max_score = models.DecimalField(_("full score"), max_digits=7, decimal_places=2, default=100)
    kpi_source = models.CharField(
        _("score from"), max_length=16, choices=KpiSource.choices, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("scheme item")
        verbose_name_plural = _("scheme items")
        ordering = ["section_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["section", "code"], name="scheme_item_code"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="scheme_item_weight"
            ),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="scheme_item_max_pos"),
        ]

    def __str__(self) -> str:
        return self.name


class RaterGroup(models.TextChoices):
    SELF = "self", _("Self (自评)")
    SUPERIOR = "superior", _("Direct superior (直接上级)")
    LEADER = "leader", _("Leader in charge (分管领导)")
    PEER = "peer", _("Peers (同事)")
    SUBORDINATE = "subordinate", _("Subordinates (下级)")
    RECIPIENT = "recipient", _("Service recipients (服务对象)")
    COMMITTEE = "committee", _("Appraisal committee (考核委员会)")


MAX_RATERS_PER_PERSON = 50
"""The most raters a scheme group chooses per person (its `count`): the scheme's validation
and the choice of peers when a cycle is populated share it."""


class SchemeGroup(models.Model):
    """A rater group of a scheme with its weight, anonymity threshold and standardization."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="groups")
    group = models.CharField(_("rater group"), max_length=16, choices=RaterGroup.choices)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    min_responses = models.PositiveSmallIntegerField(_("minimum responses"), default=1)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    standardize = models.BooleanField(_("correct for rater bias"), default=False)
    count = models.PositiveSmallIntegerField(
        _("raters per person"),
        default=0,
        help_text=_("For peers and service recipients: how many to choose; 0 = all."),
    )
    sections = models.JSONField(_("sections rated"), default=list)

    class Meta:
        verbose_name = _("rater group")
        verbose_name_plural = _("rater groups")
        ordering = ["scheme_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "group"], name="scheme_group_once"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="scheme_group_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.group}"


class CycleKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")
    ANNUAL = "annual", _("Annual")
    SPECIAL = "special", _("Special (专项)")
    TERM = "term", _("Contract term (聘期)")


class CyclePhase(models.TextChoices):
    DRAFT = "draft", _("Being set up")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    RATING = "rating", _("Rating")
    COMPUTING = "computing", pgettext_lazy("cycle phase", "Computing")
    RESULTS = "results", _("Results")
    CLOSED = "closed", pgettext_lazy("cycle phase", "Closed")


PHASE_ORDER = [p.value for p in CyclePhase]
DEADLINE_PHASES = (
    CyclePhase.SELF_ASSESSMENT,
    CyclePhase.RATING,
    CyclePhase.COMPUTING,
    CyclePhase.RESULTS,
)
"""The phases a cycle has a deadline for (the cycle form's and a series' deadlines)."""
RECURRING_KINDS = (CycleKind.MONTHLY, CycleKind.QUARTERLY, CycleKind.HALF_YEAR, CycleKind.ANNUAL)
"""The kinds of cycle a recurring series creates (jixiao.engine.periods names them alike)."""


class UnitGrade(models.TextChoices):
    NONE = "", _("Not set")
    EXCELLENT = "excellent", _("Unit graded 优秀 or awarded a collective honour")
    FAILED = "failed", _("Unit graded 不合格 or held accountable")


class Cycle(models.Model):
    """One appraisal cycle of a unit: who is appraised, by which scheme version, when."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CycleKind.choices)
    unit = models.ForeignKey(
        Department, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="cycles"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    phase = models.CharField(
        _("phase"), max_length=16, choices=CyclePhase.choices, default=CyclePhase.DRAFT
    )
    deadlines = models.JSONField(_("phase deadlines"), default=dict, blank=True)
    population = models.JSONField(_("population"), default=dict)
    unit_grade = models.CharField(
        _("the unit's own grade"), max_length=16, choices=UnitGrade.choices, blank=True
    )
    higher_quota_approved = models.BooleanField(
        _("higher share of the top grade approved"), default=False
    )
    seed = models.PositiveIntegerField(_("random seed for choosing raters"), default=2026)
    group_stats = models.JSONField(default=dict, blank=True, editable=False)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    # When something the grades depend on changed (the unit's grade, the approval of a higher
    # share, a person's eligibility: jixiao.appraisals.corrections). Grades computed before it
    # are out of date until the next full recompute.
    grading_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The recurring series that created the cycle and the period it appraises: at most one
    # cycle per series and period, which is what makes the scheduled creation idempotent.
    series = models.ForeignKey(
        "CycleSeries",
        verbose_name=_("recurring series"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cycles",
        editable=False,
    )
    period_start = models.DateField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="cycle_dates"),
            models.UniqueConstraint(
                fields=["series", "period_start"],
                condition=Q(series__isnull=False),
                name="cycle_once_per_series_period",
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True) | Q(period_start__isnull=False),
                name="cycle_series_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path

    @property
    def grades_outdated_since(self) -> datetime.datetime | None:
        """When something the grades depend on changed after the last full recompute (the
        suggested grades are older than it until the next one); None when nothing did, and
        before the first recompute, which grades the cycle anyway."""
        changed, computed = self.grading_changed_at, self.computed_at
        if changed is None or computed is None or changed <= computed:
            return None
        return changed


class CycleSeries(models.Model):
    """A recurring appraisal (周期性考核计划): the same scheme and population every month,
    quarter, half-year or year, each period's cycle created on schedule
    (jixiao.appraisals.series).

    `name` is the pattern of the cycles' names; `deadline_offsets` gives each phase's deadline
    in days after the end of the period (phase → days); a period's cycle is created
    `lead_days` before the period starts. Periods before `resume_from` are skipped: it is set
    when the series is reactivated, so the periods that passed while it was off get no cycle.
    """

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=[(k.value, k.label) for k in RECURRING_KINDS],
    )
    unit = models.ForeignKey(
        Department, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="series"
    )
    population = models.JSONField(_("population"), default=dict)
    first_start = models.DateField(_("first period starts"))
    deadline_offsets = models.JSONField(_("deadlines (days after the period)"), default=dict)
    lead_days = models.PositiveSmallIntegerField(_("created days before the period"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    resume_from = models.DateField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("recurring appraisal")
        verbose_name_plural = _("recurring appraisals")
        ordering = ["unit_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in RECURRING_KINDS]),
                name="cycle_series_kind",
            ),
            models.CheckConstraint(condition=Q(lead_days__lte=366), name="cycle_series_lead"),
        ]
        indexes = [models.Index(fields=["is_active", "id"])]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class Eligibility(models.TextChoices):
    GRADED = "graded", _("Graded")
    COMMENT_ONLY = "comment_only", _("Comment only (hired under six months)")
    NO_GRADE = "no_grade", _("No grade (leave over six months)")
    DEFERRED = "deferred", _("Grade deferred (under investigation)")
    HOST_UNIT = "host_unit", _("Appraised by the host unit (seconded)")
    REFUSED = "refused", _("Refused to take part (lowest grade)")


class Appraisal(models.Model):
    """One person in one cycle: their self-assessment, scores and suggested grade."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="appraisals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appraisals")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    eligibility = models.CharField(
        _("eligibility"), max_length=16, choices=Eligibility.choices, default=Eligibility.GRADED
    )
    eligibility_reason = models.CharField(_("why"), max_length=255, blank=True)
    # Set when the office corrected the eligibility by hand (the reason is then theirs);
    # empty when it was computed from the person's status history at cycle creation.
    eligibility_set_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    eligibility_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    summary = models.TextField(_("personal summary (述职)"), blank=True)
    self_submitted_at = models.DateTimeField(null=True, blank=True)
    total = models.FloatField(_("score"), null=True, blank=True)
    raw_total = models.FloatField(_("score before correction"), null=True, blank=True)
    rank_department = models.PositiveIntegerField(null=True, blank=True)
    rank_unit = models.PositiveIntegerField(null=True, blank=True)
    band_grade = models.CharField(max_length=32, blank=True)
    suggested_grade = models.CharField(_("suggested grade"), max_length=32, blank=True)
    grade_reason = models.CharField(max_length=32, blank=True)
    tie = models.BooleanField(default=False)
    breakdown = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["cycle_id", "department_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="appraisal_once_per_cycle"),
        ]
        indexes = [
            models.Index(fields=["cycle", "-total"]),
            models.Index(fields=["cycle", "department"]),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id} {self.person_id}"

    def audit_scope_path(self) -> str:
        return self.department.path


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    DRAFT = "draft", _("Draft saved")
    SUBMITTED = "submitted", _("Submitted")
    CANCELLED = "cancelled", _("Cancelled")
    PENDING = "pending", _("Nominated, awaiting approval")


class CodeBatch(models.Model):
    """One-time codes (考核码) for the democratic appraisal of a group of ratees (a
    department's staff): printed, handed out, used once each, never linked to a person."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="code_batches")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=16, choices=RaterGroup.choices, default=RaterGroup.PEER)
    size = models.PositiveIntegerField(_("codes"))
    printed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The one-time token of the form that created the batch: a resubmitted (reloaded) form
    # finds its batch and is told the codes were shown once, instead of making a second batch.
    form_token = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("code batch")
        verbose_name_plural = _("code batches")
        ordering = ["cycle_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["form_token"], condition=~Q(form_token=""), name="code_batch_form_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id} {self.department_id} ×{self.size}"


class RatingCode(models.Model):
    """A one-time code, stored hashed. It opens one rating session and submits once."""

    batch = models.ForeignKey(CodeBatch, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rating code")
        verbose_name_plural = _("rating codes")

    def __str__(self) -> str:
        return f"code {self.pk}"


class Assignment(models.Model):
    """Who rates whom in which group. `rater` is empty for a rating given through a code."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="assignments")
    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="assignments")
    group = models.CharField(_("rater group"), max_length=16, choices=RaterGroup.choices)
    rater = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="rating_assignments"
    )
    code = models.ForeignKey(
        RatingCode, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    nominated = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("rater assignment")
        verbose_name_plural = _("rater assignments")
        ordering = ["cycle_id", "appraisal_id", "group", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "group", "rater"],
                condition=Q(rater__isnull=False),
                name="assignment_once_per_rater",
            ),
            models.UniqueConstraint(
                fields=["appraisal", "code"],
                condition=Q(code__isnull=False),
                name="assignment_once_per_code",
            ),
            models.CheckConstraint(
                condition=Q(rater__isnull=True) | Q(code__isnull=True),
                name="assignment_rater_or_code",
            ),
        ]
        indexes = [
            models.Index(fields=["rater", "cycle", "status"]),
            models.Index(fields=["cycle", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id} ← {self.group}"


class RecipientSource(models.Model):
    """Whose people rate a department's appraisees as service recipients (服务对象) in one
    cycle: the departments it serves, chosen by the office until operational records say who
    was served (jixiao.appraisals.recipients). It covers the department's sub-departments,
    except those with a source of their own."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="recipient_sources")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    served = models.JSONField(_("departments served"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service recipients' departments")
        verbose_name_plural = _("service recipients' departments")
        ordering = ["cycle_id", "department__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "department"], name="recipient_source_once_per_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}:{self.department_id}"


class Rating(models.Model):
    """One rater's score of one item for one ratee, in the item's points."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("score"))
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "item"], name="rating_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.item_id}={self.value}"


class KpiScore(models.Model):
    """A KPI item scored from goals or indicator actuals, or overridden with a reason."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="kpi_scores")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    actual = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    computed = models.FloatField(_("computed score"), null=True, blank=True)
    override = models.FloatField(_("score set by hand"), null=True, blank=True)
    override_reason = models.TextField(_("reason"), blank=True)
    overridden_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_note = models.CharField(max_length=255, blank=True)
    comment = models.TextField(_("superior's comment"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("KPI score")
        verbose_name_plural = _("KPI scores")
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "item"], name="kpi_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}:{self.item_id}"

    @property
    def score(self) -> float | None:
        return self.override if self.override is not None else self.computed


class RaterStat(models.Model):
    """A rater's statistics in one group of one cycle. In an anonymous group the rater is not
    recorded: the row carries only an alias ("#7") that nothing links to a person."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="rater_stats")
    group = models.CharField(max_length=16, choices=RaterGroup.choices)
    rater = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alias = models.CharField(max_length=32, blank=True)
    ratings = models.PositiveIntegerField()
    ratees = models.PositiveIntegerField()
    mean = models.FloatField()
    sd = models.FloatField()
    halo = models.FloatField(null=True, blank=True)
    top_share = models.FloatField()
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["cycle_id", "group", "-mean"]
        indexes = [models.Index(fields=["cycle", "group"])]

    def __str__(self) -> str:
        return f"{self.cycle_id} {self.group} {self.rater_id}"


class JobKind(models.TextChoices):
    POPULATE = "populate", _("Generating the population and raters")
    RECOMPUTE = "recompute", _("Recomputing scores")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")
    SUCCEEDED = "succeeded", _("Succeeded")


class CycleJob(models.Model):
    """Long work on a cycle run as a background task (populating a large cycle, a full
    recompute), with its progress for the page to poll and the summary it returned: the quota
    limits, violations and ties of the recompute are kept here."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(_("kind"), max_length=16, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    stage = models.CharField(max_length=32, blank=True)
    progress = models.FloatField(default=0.0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("cycle job")
        verbose_name_plural = _("cycle jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind"],
                condition=Q(status__in=["queued", "running"]),
                name="cycle_job_one_unfinished",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="cycle_job_progress"
            ),
        ]
        indexes = [models.Index(fields=["cycle", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.cycle_id} {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.FAILED, JobStatus.SUCCEEDED}

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(99, int(100 * self.progress))


class ResultFileKind(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook of the results")
    FORMS = "forms", _("Appraisal forms (PDF) in a ZIP file")


class ResultFile(models.Model):
    """A file of a cycle's results written by a background task (the Excel export, the ZIP of
    every person's appraisal form): its progress, and the file that only its owner downloads.
    Nothing in it is per rater."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="result_files")
    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ResultFileKind.choices)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True, editable=False)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("results file")
        verbose_name_plural = _("results files")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "cycle", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.FAILED, JobStatus.SUCCEEDED}

    @property
    def is_downloadable(self) -> bool:
        return self.status == JobStatus.SUCCEEDED and bool(self.stored_path)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total:
            return 0
        return min(99, int(100 * self.done / self.total))
