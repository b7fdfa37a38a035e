"""Errors with machine-readable codes and translatable messages.

Services raise these; pages show them next to the field, the API returns them as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


@dataclass
class DomainError(Exception):
    """A refusal the user can understand and act on."""

    code: str
    message: Any
    field: str | None = None
    status: int = 400
    errors: list[FieldError] = dataclass_field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def all_errors(self) -> list[FieldError]:
        return self.errors or [FieldError(self.field, self.code, str(self.message))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "errors": [e.as_dict() for e in self.all_errors()],
        }


def validation_failed(errors: list[FieldError]) -> DomainError:
    first = errors[0]
    return DomainError(
        code="validation_failed",
        message=first.message if len(errors) == 1 else _("Some fields are not valid."),
        field=first.field,
        errors=errors,
    )


def concurrent_edit() -> DomainError:
    return DomainError(
        code="concurrent_edit",
        message=_(
            "Someone else changed this record after you opened it. "
            "Reload the page to see their changes, then apply yours again."
        ),
        status=409,
    )


def forbidden() -> DomainError:
    return DomainError(
        code="forbidden", message=_("You do not have permission to do this."), status=403
    )


def not_found() -> DomainError:
    return DomainError(code="not_found", message=_("Not found."), status=404)
