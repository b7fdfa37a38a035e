"""Selects that stay light in a large organization.

A select of 5,000 departments or 100,000 people costs the server hundreds of milliseconds to
render and the reader a long scroll. A picker renders every choice while there are few
(`PICKER_LIMIT`); beyond that it renders a shortlist (the top levels of the tree; for people
and posts nothing) plus the current value, and a search box that asks the server for matching
options (`org:picker_options`). Validation always runs against the field's full queryset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import Min, Model, Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.urls import reverse

from jixiao.org.models import Department, Person, Post

PICKER_LIMIT = 300
SEARCH_RESULTS = 50


def department_label(obj: Department) -> str:
    return f"{'　' * obj.depth}{obj.name}（{obj.code}）"


def person_label(obj: Person) -> str:
    return f"{obj.name}（{obj.employee_no}）"


def post_label(obj: Post) -> str:
    return f"{obj.name}（{obj.department.name}）"


class PickerSelect(forms.Select):
    """A select with an optional search box; the field decides whether it needs one."""

    template_name = "org/widgets/picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.search_url = ""
        self.searchable = False
        self.picker_field: PickerMixin | None = None

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None) -> Any:
        groups = super().optgroups(name, value, attrs)
        shown = {str(option["value"]) for _g, options, _i in groups for option in options}
        missing = [v for v in value if v not in ("", None) and str(v) not in shown]
        if missing and self.picker_field is not None:
            for obj in self.picker_field.objects_for(missing):
                option = self.create_option(
                    name, obj.pk, self.picker_field.label_from_instance(obj), True, len(groups)
                )
                groups.append((None, [option], len(groups)))
        return groups

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["searchable"] = self.searchable
        context["widget"]["search_url"] = self.search_url
        return context


class PickerIterator(ModelChoiceIterator):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        field = self.field
        assert isinstance(field, PickerMixin)
        if field.empty_label is not None:
            yield ("", field.empty_label)
        for obj in field.visible_choices():
            yield self.choice(obj)


class PickerMixin(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Shared by the department, post and person pickers."""

    kind = ""
    iterator = PickerIterator
    widget = PickerSelect

    def __init__(self, *args: Any, choice_set: str = "visible", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_set = choice_set
        widget = self.widget
        assert isinstance(widget, PickerSelect)
        widget.picker_field = self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = super().__deepcopy__(memo)
        assert isinstance(result.widget, PickerSelect)
        result.widget.picker_field = result
        return result

    def visible_choices(self) -> QuerySet[Any] | list[Any]:
        qs = self.queryset
        assert qs is not None
        widget = self.widget
        assert isinstance(widget, PickerSelect)
        many = qs.order_by()[: PICKER_LIMIT + 1].count() > PICKER_LIMIT
        widget.searchable = many
        widget.search_url = (
            f"{reverse('org:picker_options', args=[self.kind])}?set={self.choice_set}"
            f"&blank={'1' if self.empty_label is not None else '0'}"
        )
        return self.shortlist(qs) if many else qs

    def shortlist(self, qs: QuerySet[Any]) -> QuerySet[Any] | list[Any]:
        """What to show before the person searches, when the full list is too long."""
        return []

    def objects_for(self, values: list[Any]) -> QuerySet[Any]:
        qs = self.queryset
        assert qs is not None
        ids = [int(v) for v in values if str(v).isdigit()]
        return qs.filter(pk__in=ids)


class DepartmentChoiceField(PickerMixin):
    """Departments shown indented by depth, so the select reads like the tree."""

    kind = "departments"

    def label_from_instance(self, obj: Any) -> str:
        return department_label(obj)

    def shortlist(self, qs: QuerySet[Any]) -> QuerySet[Any] | list[Any]:
        top = qs.aggregate(top=Min("depth"))["top"] or 0
        return qs.filter(depth__lte=top + 1)[:PICKER_LIMIT]


class PersonChoiceField(PickerMixin):
    kind = "people"

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PostChoiceField(PickerMixin):
    """Posts named with their department: the same post name recurs across departments."""

    kind = "posts"

    def label_from_instance(self, obj: Any) -> str:
        return post_label(obj)


def search_options(kind: str, qs: QuerySet[Any], term: str) -> list[tuple[int, str]]:
    """Up to SEARCH_RESULTS (value, label) pairs matching the term by name or code."""
    term = term.strip()
    match: Q
    if kind == "departments":
        match = Q(name__icontains=term) | Q(code__icontains=term)
        label: Any = department_label
        qs = qs.order_by("path")
    elif kind == "people":
        match = Q(name__icontains=term) | Q(employee_no__icontains=term)
        label = person_label
        qs = qs.order_by("employee_no")
    else:
        match = Q(name__icontains=term) | Q(code__icontains=term)
        label = post_label
        qs = qs.select_related("department").order_by("code")
    if term:
        qs = qs.filter(match)
    found: list[Model] = list(qs[:SEARCH_RESULTS])
    return [(obj.pk, label(obj)) for obj in found]
