"""Form helpers that know no domain: showing a service's DomainError on a Django form."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from jixiao.core.errors import DomainError


def apply_domain_error(
    form: forms.BaseForm, error: DomainError, field_map: Mapping[str, str] | None = None
) -> None:
    """Attach each FieldError to its form field, or to the non-field errors.

    Services name fields by the model (e.g. "department"); `field_map` translates names that
    differ on the form. A field the form does not have becomes a non-field error, so no
    message is ever lost.
    """
    field_map = field_map or {}
    for fe in error.all_errors():
        name = field_map.get(fe.field, fe.field) if fe.field else None
        message = str(fe.message)
        if name and name in form.fields:
            form.add_error(name, message)
        else:
            form.add_error(None, message)


class DateInput(forms.DateInput):
    """A browser date picker. It takes ISO dates only, so the value is always written as
    2026-12-31 whatever the language (the Chinese input format 2026/12/31 would blank it)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
