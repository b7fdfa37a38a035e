"""The audit trail pages: a filtered list, one record in full, and a CSV export.

Only system administrators and auditors may read the trail, and an auditor only the records of
their own department subtrees (audit_selectors.audit_records_visible_to); a record outside them
answers 404. Nothing here (or anywhere in the product) edits or deletes an audit record.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, get_args

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jixiao.core.actor import Source
from jixiao.core.forms import DateInput
from jixiao.core.selectors import AuditFilter, audit_records_filtered
from jixiao.org.access import scope_for
from jixiao.org.audit_selectors import audit_records_visible_to

PER_PAGE = 50
SUMMARY_FIELDS = 6
EXPORT_CHUNK = 2000

SOURCE_LABELS: dict[str, Any] = {
    "web": gettext_lazy("Web page"),
    "api": gettext_lazy("API"),
    "import": gettext_lazy("Import"),
    "cli": gettext_lazy("Command line"),
    "task": gettext_lazy("Background task"),
    "system": gettext_lazy("System"),
}
assert set(SOURCE_LABELS) == set(get_args(Source))


def _text_input(placeholder: Any = "") -> forms.TextInput:
    attrs = {"class": "form-control", "autocomplete": "off"}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.TextInput(attrs=attrs)


def _date_input() -> forms.DateInput:
    return DateInput(attrs={"class": "form-control"})


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=gettext_lazy("Actor"),
        required=False,
        max_length=150,
        widget=_text_input(gettext_lazy("Username contains…")),
    )
    action = forms.CharField(
        label=gettext_lazy("Action starts with"),
        required=False,
        max_length=64,
        widget=_text_input("org.person"),
    )
    object_type = forms.CharField(
        label=gettext_lazy("Object type"),
        required=False,
        max_length=64,
        widget=_text_input("org.person"),
    )
    object_id = forms.CharField(
        label=gettext_lazy("Object ID"), required=False, max_length=64, widget=_text_input()
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("All channels")), *SOURCE_LABELS.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From date"), required=False, widget=_date_input()
    )
    date_to = forms.DateField(label=gettext_lazy("To date"), required=False, widget=_date_input())

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def to_filter(self) -> AuditFilter:
        """The filter from the valid fields; a field with an error is left out."""
        data = getattr(self, "cleaned_data", {})
        return AuditFilter(
            actor=data.get("actor", "") or "",
            action=data.get("action", "") or "",
            object_type=data.get("object_type", "") or "",
            object_id=data.get("object_id", "") or "",
            source=data.get("source", "") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _require_auditor(request: HttpRequest, *, missing: type[Exception]) -> None:
    if not scope_for(request.user).can_view_audit:
        raise missing


def _changed_fields(changes: Any) -> list[str]:
    if isinstance(changes, dict):
        return [str(k) for k in changes]
    return []


def _display(value: Any) -> str:
    """A before/after value as text: JSON for structures, empty for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change_rows(changes: Any) -> list[tuple[str, str, str]]:
    if not isinstance(changes, dict):
        return [("", "", _display(changes))] if changes else []
    rows = []
    for field, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((str(field), _display(pair[0]), _display(pair[1])))
        else:
            rows.append((str(field), "", _display(pair)))
    return rows


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request, missing=PermissionDenied)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    qs = audit_records_filtered(form.to_filter(), audit_records_visible_to(request.user))
    page_obj = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    records = [(record, _changed_fields(record.changes)) for record in page_obj.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "org/audit_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "records": [
                {
                    "record": record,
                    "source_label": SOURCE_LABELS.get(record.source, record.source),
                    "fields": fields[:SUMMARY_FIELDS],
                    "more_fields": max(0, len(fields) - SUMMARY_FIELDS),
                }
                for record, fields in records
            ],
            "query_without_page": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
@require_GET
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_auditor(request, missing=Http404)
    record = audit_records_visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    history_query = urlencode({"object_type": record.object_type, "object_id": record.object_id})
    return render(
        request,
        "org/audit_detail.html",
        {
            "record": record,
            "source_label": SOURCE_LABELS.get(record.source, record.source),
            "rows": _change_rows(record.changes),
            "history_url": f"{reverse('audit:list')}?{history_query}",
        },
    )


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Text for a spreadsheet cell; a leading formula character is neutralized for Excel."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _export_rows(qs: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM, so that Excel reads the file as UTF-8
    yield writer.writerow(
        [
            _("Time"),
            _("Actor"),
            _("Channel"),
            _("Client address"),
            _("Action"),
            _("Object type"),
            _("Object ID"),
            _("Object"),
            _("Changes"),
            _("Reason"),
        ]
    )
    for record in qs.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(
            [
                timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M:%S"),
                _cell(record.actor_label),
                _cell(SOURCE_LABELS.get(record.source, record.source)),
                _cell(record.ip),
                _cell(record.action),
                _cell(record.object_type),
                _cell(record.object_id),
                _cell(record.object_label),
                _cell(json.dumps(record.changes, ensure_ascii=False, sort_keys=True)),
                _cell(record.reason),
            ]
        )


@login_required
@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponseRedirect:
    _require_auditor(request, missing=PermissionDenied)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Show the errors on the list rather than export something other than what was asked.
        return redirect(f"{reverse('audit:list')}?{request.GET.urlencode()}")
    qs = audit_records_filtered(form.to_filter(), audit_records_visible_to(request.user))
    response = StreamingHttpResponse(_export_rows(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
