"""Input parsing for the organization pages. Forms parse; services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jixiao.core.forms import DateInput, apply_domain_error
from jixiao.org.access import Scope
from jixiao.org.models import (
    Department,
    DepartmentKind,
    Gender,
    Person,
    PersonStatus,
    Post,
    PostCategory,
    PostClass,
    Role,
)
from jixiao.org.pickers import DepartmentChoiceField, PersonChoiceField, PostChoiceField
from jixiao.org.services import DepartmentData, PersonData, PostData

__all__ = [
    "DepartmentForm",
    "PeopleFilterForm",
    "PersonCreateForm",
    "PersonEditForm",
    "PersonStatusForm",
    "PostFilterForm",
    "PostForm",
    "ReasonForm",
    "RoleGrantForm",
    "SetActiveForm",
    "apply_domain_error",
    "optional_pk",
    "show_domain_error",
]

ACTIVE_CHOICES = [("1", _("Active only")), ("0", _("Inactive only")), ("", _("All"))]


class TablerForm(forms.Form):
    """Gives every widget the Tabler class it needs, and marks fields with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def optional_pk(obj: Any) -> int | None:
    return obj.pk if obj is not None else None


class ReasonForm(TablerForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
        widget=forms.TextInput(),
    )


# ---------------------------------------------------------------- departments


class DepartmentForm(TablerForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices)
    parent = DepartmentChoiceField(
        label=_("Parent department"),
        queryset=Department.objects.none(),
        required=False,
        choice_set="manage",
    )
    sort_order = forms.IntegerField(label=_("Order"), initial=0, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
    )

    def __init__(
        self,
        *args: Any,
        scope: Scope,
        parents: Any,
        editing: Department | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parent"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = parents
        # Only a system administrator may create or keep a root (a unit without a parent).
        field.required = not scope.is_system_admin
        if editing is not None and editing.parent_id is None and scope.is_system_admin:
            field.required = False
        if editing is None:
            del self.fields["version"]
            del self.fields["reason"]

    @classmethod
    def initial_for(cls, dept: Department) -> dict[str, Any]:
        return {
            "code": dept.code,
            "name": dept.name,
            "kind": dept.kind,
            "parent": dept.parent_id,
            "sort_order": dept.sort_order,
            "description": dept.description,
            "version": dept.version,
        }

    def to_data(self) -> DepartmentData:
        cd = self.cleaned_data
        return DepartmentData(
            code=cd["code"],
            name=cd["name"],
            kind=cd["kind"],
            parent_id=optional_pk(cd.get("parent")),
            sort_order=cd.get("sort_order") or 0,
            description=cd.get("description", ""),
        )


# ---------------------------------------------------------------- posts


class PostForm(TablerForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), choice_set="manage"
    )
    category = forms.ChoiceField(label=_("Category"), choices=PostCategory.choices)
    post_class = forms.ChoiceField(label=_("Class"), choices=PostClass.choices)
    headcount = forms.IntegerField(label=_("Establishment"), min_value=0, initial=1)
    duties = forms.CharField(
        label=_("Duties"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Shown exactly as written, line by line."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
    )

    def __init__(self, *args: Any, departments: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        if not editing:
            del self.fields["version"]
            del self.fields["reason"]

    @classmethod
    def initial_for(cls, post: Post) -> dict[str, Any]:
        return {
            "code": post.code,
            "name": post.name,
            "department": post.department_id,
            "category": post.category,
            "post_class": post.post_class,
            "headcount": post.headcount,
            "duties": post.duties,
            "version": post.version,
        }

    def to_data(self) -> PostData:
        cd = self.cleaned_data
        return PostData(
            code=cd["code"],
            name=cd["name"],
            department_id=cd["department"].pk,
            category=cd["category"],
            post_class=cd["post_class"],
            duties=cd.get("duties", ""),
            headcount=cd["headcount"],
        )


class PostFilterForm(TablerForm):
    q = forms.CharField(label=_("Search"), required=False)
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *PostCategory.choices]
    )
    post_class = forms.ChoiceField(
        label=_("Class"), required=False, choices=[("", _("All")), *PostClass.choices]
    )
    active = forms.ChoiceField(
        label=_("Active"), required=False, choices=ACTIVE_CHOICES, initial="1"
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments


# ---------------------------------------------------------------- people


class PersonEditForm(TablerForm):
    employee_no = forms.CharField(label=_("Employee number"), max_length=32)
    name = forms.CharField(label=_("Full name"), max_length=50)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices]
    )
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), choice_set="manage"
    )
    post = PostChoiceField(label=_("Post"), queryset=Post.objects.none(), required=False)
    rank = forms.CharField(label=_("Rank"), max_length=32, required=False)
    superior = PersonChoiceField(
        label=_("Direct superior"), queryset=Person.objects.none(), required=False
    )
    hire_date = forms.DateField(label=_("Hire date"), required=False, widget=DateInput())
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Kept in the audit trail."),
    )

    def __init__(
        self, *args: Any, departments: Any, posts: Any, superiors: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, qs in (("department", departments), ("post", posts), ("superior", superiors)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = qs

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "employee_no": person.employee_no,
            "name": person.name,
            "gender": person.gender,
            "department": person.department_id,
            "post": person.post_id,
            "rank": person.rank,
            "superior": person.superior_id,
            "hire_date": person.hire_date,
            "email": person.email,
            "phone": person.phone,
            "version": person.version,
        }

    def to_data(self) -> PersonData:
        cd = self.cleaned_data
        return PersonData(
            employee_no=cd["employee_no"],
            name=cd["name"],
            department_id=cd["department"].pk,
            post_id=optional_pk(cd.get("post")),
            rank=cd.get("rank", ""),
            superior_id=optional_pk(cd.get("superior")),
            hire_date=cd.get("hire_date"),
            gender=cd.get("gender", ""),
            email=cd.get("email", ""),
            phone=cd.get("phone", ""),
            status=cd.get("status") or PersonStatus.ACTIVE,
            status_since=cd.get("status_since"),
        )


class PersonCreateForm(PersonEditForm):
    status = forms.ChoiceField(
        label=_("Status"), choices=PersonStatus.choices, initial=PersonStatus.ACTIVE
    )
    status_since = forms.DateField(
        label=_("Status since"),
        required=False,
        widget=DateInput(),
        help_text=_("Defaults to the hire date."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        del self.fields["reason"]


class PersonStatusForm(TablerForm):
    status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=255)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PeopleFilterForm(TablerForm):
    q = forms.CharField(label=_("Search"), required=False)
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    subdepartments = forms.ChoiceField(
        label=_("Sub-departments"),
        required=False,
        choices=[("1", _("Include sub-departments")), ("0", _("This department only"))],
        initial="1",
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *PersonStatus.choices]
    )
    post_class = forms.ChoiceField(
        label=_("Class"), required=False, choices=[("", _("All")), *PostClass.choices]
    )
    rank = forms.ChoiceField(label=_("Rank"), required=False)
    active = forms.ChoiceField(
        label=_("Active"), required=False, choices=ACTIVE_CHOICES, initial="1"
    )

    def __init__(
        self, *args: Any, departments: QuerySet[Department], ranks: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        dept_field = self.fields["department"]
        rank_field = self.fields["rank"]
        assert isinstance(dept_field, forms.ModelChoiceField)
        assert isinstance(rank_field, forms.ChoiceField)
        dept_field.queryset = departments
        rank_field.choices = [("", _("All")), *((r, r) for r in ranks)]


class RoleGrantForm(TablerForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    scope_department = DepartmentChoiceField(
        label=_("Scope"),
        queryset=Department.objects.none(),
        choice_set="manage",
        required=False,
        help_text=_("The department (with its sub-departments) the role covers."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, scope: Scope, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        dept_field = self.fields["scope_department"]
        assert isinstance(role_field, forms.ChoiceField)
        assert isinstance(dept_field, forms.ModelChoiceField)
        if not scope.is_system_admin:
            role_field.choices = [c for c in Role.choices if c[0] != Role.SYSTEM_ADMIN]
        dept_field.queryset = departments


class SetActiveForm(ReasonForm):
    """Deactivate or reactivate: the target state travels with the form, so a double
    submission cannot flip the record back."""

    active = forms.BooleanField(required=False, widget=forms.HiddenInput)


def show_domain_error(
    form: TablerForm, error: Any, field_map: dict[str, str] | None = None
) -> None:
    """Put a service's refusal on the form and mark the fields it names."""
    apply_domain_error(form, error, field_map)
    form.mark_invalid()
