"""The organization workbook format: sheets, columns and the words used for enumerations.

One definition feeds the parser, the validator, the template and the exports, so that
what we write can always be read back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jixiao.org.models import DepartmentKind, Gender, PersonStatus, PostCategory, PostClass

KINDS = ("departments", "posts", "people")


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    key: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (label in the file, stored value)
    is_date: bool = False
    is_int: bool = False
    max_length: int | None = None
    width: int = 14
    example: str = ""
    help: Promise | str = ""

    def label_for(self, value: str) -> str:
        for label, stored in self.choices:
            if stored == value:
                return label
        return value


@dataclass(frozen=True, slots=True)
class SheetSpec:
    kind: str
    sheet: str
    key_column: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


ACTIVE_CHOICES = (("启用", "1"), ("停用", "0"))
DEPARTMENT_KIND_CHOICES = (
    ("单位", DepartmentKind.UNIT.value),
    ("部门", DepartmentKind.DEPARTMENT.value),
    ("科室", DepartmentKind.SECTION.value),
)
POST_CATEGORY_CHOICES = (
    ("领导职务", PostCategory.LEADERSHIP.value),
    ("非领导职务", PostCategory.NON_LEADERSHIP.value),
)
POST_CLASS_CHOICES = (
    ("管理", PostClass.MANAGEMENT.value),
    ("专业技术", PostClass.PROFESSIONAL.value),
    ("工勤", PostClass.SUPPORT.value),
)
GENDER_CHOICES = (("男", Gender.MALE.value), ("女", Gender.FEMALE.value))
PERSON_STATUS_CHOICES = (
    ("在岗", PersonStatus.ACTIVE.value),
    ("借调", PersonStatus.SECONDED.value),
    ("长期病假", PersonStatus.LONG_SICK_LEAVE.value),
    ("产假", PersonStatus.MATERNITY_LEAVE.value),
    ("停职调查", PersonStatus.SUSPENDED.value),
    ("离职", PersonStatus.LEFT.value),
)

DEPARTMENTS = SheetSpec(
    kind="departments",
    sheet="部门",
    key_column="code",
    columns=(
        Column(
            "编码",
            "code",
            required=True,
            max_length=32,
            example="D001",
            help=_("Unique code of the department."),
        ),
        Column("名称", "name", required=True, max_length=100, width=24, example="办公室"),
        Column("类型", "kind", required=True, choices=DEPARTMENT_KIND_CHOICES, example="部门"),
        Column(
            "上级编码",
            "parent",
            max_length=32,
            example="U001",
            help=_("Code of the parent department; empty for a top-level unit."),
        ),
        Column("排序", "sort_order", is_int=True, width=8, example="10"),
        Column("说明", "description", width=30, example=""),
        Column(
            "状态",
            "is_active",
            choices=ACTIVE_CHOICES,
            width=8,
            example="启用",
            help=_("Empty means active."),
        ),
    ),
)

POSTS = SheetSpec(
    kind="posts",
    sheet="岗位",
    key_column="code",
    columns=(
        Column("编码", "code", required=True, max_length=32, example="P001"),
        Column("名称", "name", required=True, max_length=100, width=24, example="办公室主任"),
        Column("所属部门编码", "department", required=True, max_length=32, example="D001"),
        Column(
            "岗位类别", "category", required=True, choices=POST_CATEGORY_CHOICES, example="领导职务"
        ),
        Column("岗位类型", "post_class", required=True, choices=POST_CLASS_CHOICES, example="管理"),
        Column("编制数", "headcount", is_int=True, width=8, example="1"),
        Column("岗位职责", "duties", width=40, example="主持办公室全面工作。"),
        Column(
            "状态",
            "is_active",
            choices=ACTIVE_CHOICES,
            width=8,
            example="启用",
            help=_("Empty means active."),
        ),
    ),
)

PEOPLE = SheetSpec(
    kind="people",
    sheet="人员",
    key_column="employee_no",
    columns=(
        Column("工号", "employee_no", required=True, max_length=32, example="A0001"),
        Column("姓名", "name", required=True, max_length=50, example="王主任"),
        Column("性别", "gender", choices=GENDER_CHOICES, width=8, example="男"),
        Column("部门编码", "department", required=True, max_length=32, example="D001"),
        Column("岗位编码", "post", max_length=32, example="P001"),
        Column("职级", "rank", max_length=32, example="一级主任科员"),
        Column("直接上级工号", "superior", max_length=32, example=""),
        Column(
            "入职日期",
            "hire_date",
            is_date=True,
            example="2018-03-01",
            help=_("YYYY-MM-DD or an Excel date."),
        ),
        Column(
            "状态",
            "status",
            choices=PERSON_STATUS_CHOICES,
            width=10,
            example="在岗",
            help=_("Empty means on duty."),
        ),
        Column("状态起始日期", "status_since", is_date=True, example="2018-03-01"),
        Column("邮箱", "email", max_length=254, width=24, example="wang@example.gov.cn"),
        Column("电话", "phone", max_length=32, example="010-12345678"),
    ),
)

SPECS: tuple[SheetSpec, ...] = (DEPARTMENTS, POSTS, PEOPLE)
SPEC_BY_KIND = {s.kind: s for s in SPECS}
SPEC_BY_SHEET = {s.sheet: s for s in SPECS}
