"""Units, departments, posts, people, reporting lines and role grants."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    UNIT = "unit", _("Unit (单位)")
    DEPARTMENT = "department", _("Department (部门)")
    SECTION = "section", _("Section (科室)")


class Department(models.Model):
    """A node of the organization tree. `path` is the materialized chain of ids, e.g. "/1/5/12/",
    so that a subtree is one indexed prefix query."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.IntegerField(_("order"), default=0)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="department_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x][:-1]

    def audit_scope_path(self) -> str:
        """Audit records of a department belong to its own subtree (jixiao.core.audit)."""
        return self.path


class PostCategory(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership post (领导职务)")
    NON_LEADERSHIP = "non_leadership", _("Non-leadership post (非领导职务)")


class PostClass(models.TextChoices):
    MANAGEMENT = "management", _("Management (管理)")
    PROFESSIONAL = "professional", _("Professional and technical (专业技术)")
    SUPPORT = "support", _("Skilled support (工勤)")


class Post(models.Model):
    """A post (岗位) with its written duties (岗位职责)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="posts"
    )
    category = models.CharField(_("category"), max_length=16, choices=PostCategory.choices)
    post_class = models.CharField(_("class"), max_length=16, choices=PostClass.choices)
    duties = models.TextField(_("duties"), blank=True)
    headcount = models.PositiveIntegerField(_("establishment"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["department__path", "code"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        """Its department's path; reads the department unless it is loaded (bulk writers pass
        the path to audit.entry instead)."""
        return self.department.path


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("On duty (在岗)")
    SECONDED = "seconded", _("Seconded (借调)")
    LONG_SICK_LEAVE = "sick_leave", _("Long sick leave (长期病假)")
    MATERNITY_LEAVE = "maternity", _("Maternity leave (产假)")
    SUSPENDED = "suspended", _("Under investigation (停职调查)")
    LEFT = "left", _("Left (离职)")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A member of staff. Appraisal rules depend on status and its dates, so both are kept."""

    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="people"
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    rank = models.CharField(_("rank"), max_length=32, blank=True)
    superior = models.ForeignKey(
        "self",
        verbose_name=_("direct superior"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["employee_no"]
        indexes = [
            models.Index(fields=["department", "employee_no"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(superior=models.F("id")), name="person_not_own_superior"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.employee_no}）"

    def audit_scope_path(self) -> str:
        """Its department's path; reads the department unless it is loaded (bulk writers pass
        the path to audit.entry instead)."""
        return self.department.path


class PersonStatusChange(models.Model):
    """The history of a person's status with its dates."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=PersonStatus.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["person_id", "-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} {self.start_date}"


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    PERFORMANCE_ADMIN = "performance_admin", _("Performance administrator (考核办)")
    UNIT_LEADER = "unit_leader", _("Unit leader / committee member")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    AUDITOR = "auditor", _("Auditor")


class RoleGrant(models.Model):
    """A role held by a user over a department subtree (the scope). System admins need none."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope = models.ForeignKey(
        Department,
        verbose_name=_("scope"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope"], name="unique_role_grant"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} {self.scope_id}"

    def audit_scope_path(self) -> str:
        """The path of the subtree granted; "" for an organization-wide (system admin) grant."""
        return self.scope.path if self.scope is not None else ""
