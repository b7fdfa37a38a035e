"""Strategy, cascaded goals, key results, work plans and performance communication.

The planning chain is: strategic theme (战略主题) → strategic objective (multi-year, with annual
objectives under it) → unit goal → department goal → personal goal (层层分解). A goal aligns
to one parent goal and may support others. Key results carry the numbers: baseline,
threshold, target and stretch, often from an indicator of the library (pinned to a version).

`version` is the compare-and-set counter of a row, as everywhere in Jixiao.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jixiao.goals.periods import PeriodKind
from jixiao.indicators.models import Direction, Indicator
from jixiao.org.models import Department, Person

USER = settings.AUTH_USER_MODEL


class StrategicTheme(models.Model):
    """A perspective of a unit's strategy, e.g. 履职成效, 服务对象, 内部流程, 学习成长."""

    unit = models.ForeignKey(
        Department, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    description = models.TextField(_("description"), blank=True)
    is_capacity_building = models.BooleanField(
        _("long-term capacity building"),
        default=False,
        help_text=_("Goals under this theme count as long-term capacity building by default."),
    )
    sort_order = models.IntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("strategic theme")
        verbose_name_plural = _("strategic themes")
        ordering = ["unit_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="strategic_theme_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class StrategicObjective(models.Model):
    """A strategic objective of a unit: multi-year (e.g. 2026–2030) or annual under one."""

    unit = models.ForeignKey(
        Department, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    theme = models.ForeignKey(
        StrategicTheme,
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        related_name="objectives",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("multi-year objective"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="annual_objectives",
    )
    code = models.CharField(_("code"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start_year = models.PositiveSmallIntegerField(_("from year"))
    end_year = models.PositiveSmallIntegerField(_("to year"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["unit_id", "theme__sort_order", "start_year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="objective_years_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.unit.path

    @property
    def is_multi_year(self) -> bool:
        return self.end_year > self.start_year


class GoalLevel(models.TextChoices):
    UNIT = "unit", _("Unit goal")
    DEPARTMENT = "department", _("Department goal")
    PERSON = "person", _("Personal goal")


class GoalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    LOCKED = "locked", pgettext_lazy("goal status", "Locked")
    CLOSED = "closed", _("Closed")


EDITABLE_STATUSES = (GoalStatus.DRAFT, GoalStatus.RETURNED)
# Goals whose targets were agreed (approved, then perhaps locked and closed): the only ones an
# appraisal scores. A draft, submitted or returned goal is still the owner's proposal.
AGREED_STATUSES = (GoalStatus.APPROVED, GoalStatus.LOCKED, GoalStatus.CLOSED)


class GoalOutcome(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved (达成)")
    PARTIAL = "partial", _("Partly achieved (部分达成)")
    NOT_ACHIEVED = "not_achieved", _("Not achieved (未达成)")


class Horizon(models.TextChoices):
    OUTPUT = "output", _("Short-term output")
    CAPACITY = "capacity", _("Long-term capacity building")


class ProgressMode(models.TextChoices):
    AUTO = "auto", _("Key results, else aligned goals")
    KEY_RESULTS = "key_results", _("Key results only")
    ALIGNED = "aligned", _("Aligned goals only")
    BOTH = "both", _("Key results and aligned goals, half each")


class CheckInCadence(models.TextChoices):
    NONE = "none", _("No regular check-in")
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


CADENCE_DAYS = {
    CheckInCadence.WEEKLY: 7,
    CheckInCadence.BIWEEKLY: 14,
    CheckInCadence.MONTHLY: 31,
    CheckInCadence.QUARTERLY: 92,
}


class GoalTemplate(models.Model):
    """A reusable personal goal (e.g. for every 窗口受理岗), assigned in bulk by post or
    department."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("goal title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    horizon = models.CharField(
        _("horizon"), max_length=16, choices=Horizon.choices, default=Horizon.OUTPUT
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2, default=0)
    period_kind = models.CharField(
        _("period"), max_length=16, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    checkin_cadence = models.CharField(
        _("check-in cadence"),
        max_length=16,
        choices=CheckInCadence.choices,
        default=CheckInCadence.MONTHLY,
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("goal template")
        verbose_name_plural = _("goal templates")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="goal_template_weight"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    """A goal of a unit, a department or a person for one period."""

    # The key of Excel imports and exports (目标编码); empty for goals made on the pages.
    code = models.CharField(_("code"), max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=GoalLevel.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="goals",
        help_text=_("The owning unit or department; for a personal goal, the person's department."),
        db_index=False,  # (department, period) serves every lookup
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
        db_index=False,  # (person, period) serves every lookup
    )
    period = models.CharField(_("period"), max_length=10)
    period_kind = models.CharField(_("period kind"), max_length=16, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    objective = models.ForeignKey(
        StrategicObjective,
        verbose_name=_("strategic objective"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("aligned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2, default=0)
    horizon = models.CharField(
        _("horizon"), max_length=16, choices=Horizon.choices, default=Horizon.OUTPUT
    )
    due_date = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.DRAFT
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=GoalOutcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    progress_mode = models.CharField(
        _("progress from"), max_length=16, choices=ProgressMode.choices, default=ProgressMode.AUTO
    )
    own_progress = models.FloatField(_("progress of its key results"), null=True, blank=True)
    # The percent of the latest check-in: the goal's own progress when no key result is
    # measurable (work described by milestones or a rubric).
    reported_progress = models.FloatField(_("reported progress"), null=True, blank=True)
    progress = models.FloatField(_("progress"), null=True, blank=True)
    progress_at = models.DateTimeField(_("progress computed"), null=True, blank=True)
    checkin_cadence = models.CharField(
        _("check-in cadence"),
        max_length=16,
        choices=CheckInCadence.choices,
        default=CheckInCadence.MONTHLY,
    )
    last_checkin_at = models.DateTimeField(_("last check-in"), null=True, blank=True)
    template = models.ForeignKey(
        GoalTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="goals",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["period_start", "level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="goal_weight_percent"
            ),
            models.CheckConstraint(
                condition=(Q(level="person") & Q(person__isnull=False))
                | (~Q(level="person") & Q(person__isnull=True)),
                name="goal_person_iff_personal",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="goal_not_own_parent"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="goal_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", outcome__in=["achieved", "partial", "not_achieved"])
                | (~Q(status="closed") & Q(outcome="")),
                name="goal_outcome_iff_closed",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="goal_code_unique"
            ),
            # Bulk assignment is idempotent: one goal per template, person and period.
            models.UniqueConstraint(
                fields=["template", "person", "period"],
                condition=Q(template__isnull=False),
                name="goal_template_once_per_person_period",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "period"]),
            models.Index(fields=["person", "period"]),
            models.Index(fields=["status", "period"]),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        """Its department's path, so auditors of that subtree read its records."""
        return self.department.path

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class KeyResultSource(models.TextChoices):
    MANUAL = "manual", _("Check-ins")
    INDICATOR = "indicator", _("Indicator actuals (automatic)")


class KeyResult(models.Model):
    """A measurable result of a goal (关键结果 / 指标) with its baseline and targets."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("key result"), max_length=200)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    stretch = models.DecimalField(
        _("stretch"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2, default=100)
    source = models.CharField(
        _("values from"),
        max_length=16,
        choices=KeyResultSource.choices,
        default=KeyResultSource.MANUAL,
    )
    current = models.DecimalField(
        _("current value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    current_at = models.DateTimeField(_("value recorded"), null=True, blank=True)
    progress = models.FloatField(_("progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["goal_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="key_result_weight_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TemplateKeyResult(models.Model):
    template = models.ForeignKey(GoalTemplate, on_delete=models.CASCADE, related_name="key_results")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("key result"), max_length=200)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    threshold = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    stretch = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=100)

    class Meta:
        ordering = ["template_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class GoalSupport(models.Model):
    """An optional "supports" link from one goal to another, besides its single alignment."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="support_links")
    supports = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="supported_by_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["goal", "supports"], name="goal_support_unique"),
            models.CheckConstraint(
                condition=~Q(goal=models.F("supports")), name="goal_support_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} → {self.supports_id}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"goals/evidence/{instance.goal_id}/{filename}"


class Evidence(models.Model):
    """A file or link that backs a goal's claim of progress (佐证材料)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="evidence")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["goal_id", "-added_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(file=""), name="evidence_has_link_or_file"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(models.Model):
    """A request to change a locked goal (调整申请): the proposed content, a reason, a decision."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="change_requests")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
    )
    reason = models.TextField(_("reason"))
    proposed = models.JSONField(_("proposed content"))
    current = models.JSONField(_("content when requested"))
    goal_version = models.PositiveIntegerField()
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal"],
                condition=Q(status="pending"),
                name="change_request_one_pending_per_goal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.status}"


class WorkItemKind(models.TextChoices):
    TASK = "task", _("Task")
    PROJECT = "project", _("Project")


class WorkItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkItem(models.Model):
    """A task or project of a goal's work plan, with its plan, budget and actuals."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="work_items")
    # The key of Excel imports and exports (事项编码); empty for items made on the pages.
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=WorkItemKind.choices, default=WorkItemKind.TASK
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        Person,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    planned_days = models.DecimalField(
        _("planned effort (working days)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    actual_cost = models.DecimalField(
        _("actual cost (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WorkItemStatus.choices,
        default=WorkItemStatus.NOT_STARTED,
    )
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["goal_id", "planned_start", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="work_item_plan_ordered",
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__lte=100), name="work_item_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="work_item_budget_pos"
            ),
            models.CheckConstraint(
                condition=Q(actual_cost__isnull=True) | Q(actual_cost__gte=0),
                name="work_item_cost_pos",
            ),
            models.CheckConstraint(
                condition=Q(planned_days__isnull=True) | Q(planned_days__gte=0),
                name="work_item_days_pos",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="work_item_code_unique"
            ),
        ]
        indexes = [models.Index(fields=["owner", "planned_start"])]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due"))
    share = models.DecimalField(
        _("share of the work (%)"), max_digits=5, decimal_places=2, default=0
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["work_item_id", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gte=0) & Q(share__lte=100), name="milestone_share_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DepartmentBudget(models.Model):
    """A department's budget for a year, against which its work plans are checked."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("department budget")
        verbose_name_plural = _("department budgets")
        ordering = ["-year", "department_id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="department_budget_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="department_budget_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.year} {self.amount}"


class PlanningPolicy(models.Model):
    """Per-unit planning settings: the minimum share of long-term capacity building."""

    unit = models.OneToOneField(
        Department, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    min_capacity_share = models.DecimalField(
        _("minimum share of capacity building (%)"), max_digits=5, decimal_places=2, default=10
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("planning policy")
        verbose_name_plural = _("planning policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_capacity_share__gte=0) & Q(min_capacity_share__lte=100),
                name="planning_policy_share_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} ≥{self.min_capacity_share}%"

    def audit_scope_path(self) -> str:
        return self.unit.path


class CheckIn(models.Model):
    """A progress check-in on a goal (绩效沟通): values, confidence, what went well, blockers."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    percent = models.PositiveSmallIntegerField(_("percent complete"), null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(_("confidence (0–10)"))
    went_well = models.TextField(_("what went well"), blank=True)
    blocked = models.TextField(_("what is blocked"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["goal_id", "-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(confidence__lte=10), name="checkin_confidence"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100), name="checkin_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.at:%Y-%m-%d}"


class CheckInValue(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="values")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "key_result"], name="checkin_value_once"),
        ]

    def __str__(self) -> str:
        return f"{self.key_result_id}={self.value}"


class CheckInComment(models.Model):
    """The superior's (or anyone allowed's) comment on a check-in."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(_("comment"))

    class Meta:
        ordering = ["checkin_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.checkin_id} {self.author_label}"


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class OneOnOne(models.Model):
    """A one-to-one meeting between a manager and a report. Its notes belong to the two of
    them: nobody else reads them, administrators included, unless one of them shares them."""

    manager = models.ForeignKey(
        Person, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="+"
    )
    report = models.ForeignKey(
        Person, verbose_name=_("report"), on_delete=models.PROTECT, related_name="+"
    )
    scheduled_for = models.DateTimeField(_("when"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MeetingStatus.choices,
        default=MeetingStatus.SCHEDULED,
    )
    agenda = models.TextField(_("agenda"), blank=True)
    shared_notes = models.TextField(_("shared notes"), blank=True)
    shared_with_admins = models.BooleanField(_("shared with the performance office"), default=False)
    shared_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("one-to-one")
        verbose_name_plural = _("one-to-ones")
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(manager=models.F("report")), name="one_on_one_two_people"
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "scheduled_for"]),
            models.Index(fields=["report", "scheduled_for"]),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id}↔{self.report_id} {self.scheduled_for:%Y-%m-%d}"


class PrivateNote(models.Model):
    """One participant's own notes on a one-to-one: only its author ever reads them."""

    meeting = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("private notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "author"], name="private_note_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.author_id}"


class ActionItem(models.Model):
    meeting = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="action_items")
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("action"), max_length=300)
    due_date = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.text


class ConflictAcknowledgement(models.Model):
    """A planning conflict someone has read and explained; `key` names the conflict."""

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=32)
    note = models.TextField(_("note"))
    acknowledged_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("acknowledged conflict")
        verbose_name_plural = _("acknowledged conflicts")

    def __str__(self) -> str:
        return self.key
