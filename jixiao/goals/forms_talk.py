"""Forms of the check-in and one-to-one pages. They parse; the services validate and write."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jixiao.core.forms import DateInput
from jixiao.goals.checkins import CheckInData
from jixiao.goals.models import KeyResult, MeetingStatus, OneOnOne
from jixiao.goals.one_on_ones import ActionItemData, MeetingData
from jixiao.org.forms import TablerForm
from jixiao.org.models import Person
from jixiao.org.pickers import PersonChoiceField

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class CheckInForm(TablerForm):
    """A value per manual key result (`kr_<id>`), the overall percent, confidence, texts."""

    percent = forms.IntegerField(
        label=_("Percent complete"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_(
            "Your estimate for the whole goal; it counts when no key result is measurable."
        ),
    )
    confidence = forms.TypedChoiceField(
        label=_("Confidence (0–10)"),
        coerce=int,
        choices=[("", "—")] + [(str(i), str(i)) for i in range(11)],
        help_text=_("How sure are you that the goal will be reached? 0 not at all, 10 certain."),
    )
    went_well = forms.CharField(
        label=_("What went well"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    blocked = forms.CharField(
        label=_("What is blocked"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    last_checkin = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, key_results: list[KeyResult], **kwargs: Any) -> None:
        self.key_results = key_results
        super().__init__(*args, **kwargs)
        for kr in key_results:
            label = f"{kr.title}（{kr.unit}）" if kr.unit else kr.title
            self.fields[f"kr_{kr.pk}"] = forms.DecimalField(
                label=label,
                required=False,
                max_digits=18,
                decimal_places=4,
                help_text=_target_hint(kr),
            )
            # TablerForm styles the fields declared on the class; these are added later.
            self.fields[f"kr_{kr.pk}"].widget.attrs["class"] = "form-control"

    @property
    def key_result_fields(self) -> list[forms.BoundField]:
        return [self[f"kr_{kr.pk}"] for kr in self.key_results]

    @classmethod
    def initial_for(cls, key_results: list[KeyResult], latest_id: int) -> dict[str, Any]:
        initial: dict[str, Any] = {"last_checkin": latest_id}
        for kr in key_results:
            if kr.current is not None:
                initial[f"kr_{kr.pk}"] = kr.current.normalize()
        return initial

    def to_data(self) -> CheckInData:
        cd = self.cleaned_data
        values: dict[int, Decimal | None] = {
            kr.pk: cd.get(f"kr_{kr.pk}") for kr in self.key_results
        }
        reported = {pk: v for pk, v in values.items() if v is not None}
        last = cd.get("last_checkin")
        return CheckInData(
            confidence=cd.get("confidence"),
            values=reported,
            percent=cd.get("percent"),
            went_well=cd.get("went_well", ""),
            blocked=cd.get("blocked", ""),
            next_steps=cd.get("next_steps", ""),
            expected_last_checkin_id=int(last) if last is not None else None,
        )


def _target_hint(kr: KeyResult) -> str:
    parts = []
    if kr.baseline is not None:
        parts.append(f"{_('baseline')} {kr.baseline.normalize():f}")
    if kr.target is not None:
        parts.append(f"{_('target')} {kr.target.normalize():f}")
    if kr.current is not None:
        parts.append(f"{_('now')} {kr.current.normalize():f}")
    return " · ".join(parts)


class CommentForm(TablerForm):
    text = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetingCreateForm(TablerForm):
    with_person = PersonChoiceField(
        label=_("With"),
        queryset=Person.objects.none(),
        help_text=_("One of the people who report to you, or your direct superior."),
    )
    scheduled_for = forms.DateTimeField(
        label=_("When"), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], widget=_datetime_input()
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["with_person"]
        assert isinstance(field, PersonChoiceField)
        field.queryset = people

    def to_data(self) -> tuple[int | None, MeetingData]:
        cd = self.cleaned_data
        person = cd.get("with_person")
        return (
            person.pk if person is not None else None,
            MeetingData(scheduled_for=cd.get("scheduled_for"), agenda=cd.get("agenda", "")),
        )


class MeetingEditForm(TablerForm):
    scheduled_for = forms.DateTimeField(
        label=_("When"), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"], widget=_datetime_input()
    )
    status = forms.ChoiceField(label=_("Status"), choices=MeetingStatus.choices)
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, meeting: OneOnOne) -> dict[str, Any]:
        return {
            "scheduled_for": timezone.localtime(meeting.scheduled_for),
            "status": meeting.status,
            "agenda": meeting.agenda,
            "version": meeting.version,
        }

    def to_data(self) -> MeetingData:
        cd = self.cleaned_data
        return MeetingData(
            scheduled_for=cd.get("scheduled_for"),
            agenda=cd.get("agenda", ""),
            status=cd.get("status", MeetingStatus.SCHEDULED),
        )


class SharedNotesForm(TablerForm):
    shared_notes = forms.CharField(
        label=_("Shared notes"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Both of you read and edit these notes."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PrivateNoteForm(TablerForm):
    text = forms.CharField(
        label=_("My private notes"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Only you ever read these notes, even when the meeting is shared."),
    )


class ActionItemForm(TablerForm):
    text = forms.CharField(label=_("What is to be done"), max_length=300)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, choices=[])
    due_date = forms.DateField(
        label=_("Due"),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args: Any, meeting: OneOnOne, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        owner.choices = [
            (meeting.manager_id, str(meeting.manager)),
            (meeting.report_id, str(meeting.report)),
        ]

    def to_data(self) -> ActionItemData:
        cd = self.cleaned_data
        due: datetime.date | None = cd.get("due_date")
        return ActionItemData(owner_id=cd.get("owner"), text=cd.get("text", ""), due_date=due)
