"""Pages of performance communication: check-ins on a goal with comments, and one-to-ones.

Thin, as everywhere: access helper → form → one service → redirect, or the form again with
the service's errors next to the fields and the typed text kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.goals import checkins as checkin_services
from jixiao.goals import one_on_ones as meetings
from jixiao.goals.forms_talk import (
    ActionItemForm,
    CheckInForm,
    CommentForm,
    MeetingCreateForm,
    MeetingEditForm,
    PrivateNoteForm,
    SharedNotesForm,
)
from jixiao.goals.models import Goal, GoalStatus
from jixiao.goals.permissions import can_check_in, can_comment_on_checkin
from jixiao.goals.selectors import get_goal_for_user
from jixiao.org.forms import show_domain_error
from jixiao.org.views import form_status, is_htmx, paginate

PAST_PER_PAGE = 30


# ---------------------------------------------------------------- check-ins


def _checkins_context(user: Any, goal: Goal, **extra: Any) -> dict[str, Any]:
    return {
        "goal": goal,
        "checkins": checkin_services.goal_checkins_for_display(goal),
        "can_check_in": can_check_in(user, goal),
        "can_comment": can_comment_on_checkin(user, goal),
        **extra,
    }


@login_required
def checkin_list(request: HttpRequest, goal_id: int) -> HttpResponse:
    """A goal's check-in history; an htmx request gets the partial alone."""
    goal = get_goal_for_user(request.user, goal_id)
    context = _checkins_context(request.user, goal)
    if is_htmx(request):
        return render(request, "goals/_checkins.html", context)
    return render(request, "goals/checkin_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = get_goal_for_user(request.user, goal_id)
    if not can_check_in(request.user, goal):
        if goal.status == GoalStatus.CLOSED:
            raise DomainError(
                "goal_closed", _("This goal is closed: it takes no more check-ins."), status=409
            )
        raise forbidden()
    key_results = checkin_services.manual_key_results(goal)
    automatic = goal.key_results.exclude(pk__in=[kr.pk for kr in key_results]).order_by(
        "position", "id"
    )
    error: DomainError | None = None
    if request.method == "POST":
        form = CheckInForm(request.POST, key_results=key_results)
        if form.is_valid():
            try:
                checkin_services.checkin_create(
                    actor=actor_from_request(request),
                    user=request.user,
                    goal_id=goal.pk,
                    data=form.to_data(),
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("Check-in saved."))
                return redirect("goals:detail", pk=goal.pk)
    else:
        latest = checkin_services.latest_checkin_id(goal)
        initial = CheckInForm.initial_for(key_results, latest)
        if goal.reported_progress is not None:
            initial["percent"] = round(goal.reported_progress * 100)
        form = CheckInForm(initial=initial, key_results=key_results)
    return render(
        request,
        "goals/checkin_form.html",
        {
            "goal": goal,
            "form": form,
            "automatic": list(automatic),
            "checkins": checkin_services.goal_checkins_for_display(goal, limit=3),
            "error": error,
        },
        status=form_status(error),
    )


@login_required
@require_POST
def checkin_comment(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """Add a comment; htmx gets the goal's check-in partial back (with the error, if any)."""
    checkin = checkin_services.get_checkin_for_user(request.user, checkin_id)
    goal = checkin.goal
    if not can_comment_on_checkin(request.user, goal):
        raise forbidden()
    form = CommentForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            checkin_services.checkin_comment_add(
                actor=actor_from_request(request),
                user=request.user,
                checkin_id=checkin.pk,
                text=form.cleaned_data["text"],
            )
        except DomainError as e:
            show_domain_error(form, e)
        else:
            saved = True
    if is_htmx(request):
        extra: dict[str, Any] = {}
        if not saved:
            extra = {"comment_form": form, "comment_checkin_id": checkin.pk}
        return render(
            request,
            "goals/_checkins.html",
            _checkins_context(request.user, goal, **extra),
            status=200 if saved else 400,
        )
    if saved:
        messages.success(request, _("Comment added."))
    else:
        messages.error(request, " ".join(str(m) for m in form.errors.get("text", [])))
    return redirect(reverse("goals:detail", args=[goal.pk]) + f"#checkin-{checkin.pk}")


# ---------------------------------------------------------------- one-to-ones


@login_required
def one_on_one_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = meetings.upcoming_and_past(request.user)
    shared = meetings.one_on_ones_shared_with_office(request.user)
    return render(
        request,
        "goals/one_on_one_list.html",
        {
            "upcoming": list(upcoming[:50]),
            "shared": list(shared[:50]),
            "is_person": meetings.counterpart_choices(request.user).exists(),
            "me": meetings.person_id_of(request.user),
            **paginate(request, past, PAST_PER_PAGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def one_on_one_create(request: HttpRequest) -> HttpResponse:
    people = meetings.counterpart_choices(request.user)
    if meetings.person_id_of(request.user) is None:
        raise forbidden()
    error: DomainError | None = None
    if request.method == "POST":
        form = MeetingCreateForm(request.POST, people=people)
        if form.is_valid():
            with_person, data = form.to_data()
            try:
                meeting = meetings.one_on_one_create(
                    actor=actor_from_request(request),
                    user=request.user,
                    with_person_id=with_person,
                    data=data,
                )
            except DomainError as e:
                error = e
                show_domain_error(form, e)
            else:
                messages.success(request, _("One-to-one scheduled."))
                return redirect("goals:one_on_one", pk=meeting.pk)
    else:
        initial: dict[str, Any] = {}
        raw = request.GET.get("with", "")
        if raw.isdigit() and people.filter(pk=int(raw)).exists():
            initial["with_person"] = int(raw)
        form = MeetingCreateForm(initial=initial, people=people)
    return render(
        request,
        "goals/one_on_one_form.html",
        {"form": form, "meeting": None},
        status=form_status(error),
    )


def _detail_context(
    request: HttpRequest,
    access: meetings.MeetingAccess,
    *,
    notes_form: SharedNotesForm | None = None,
    private_form: PrivateNoteForm | None = None,
    action_form: ActionItemForm | None = None,
    notes_conflict: bool = False,
) -> dict[str, Any]:
    meeting = access.meeting
    context: dict[str, Any] = {
        "meeting": meeting,
        "access": access,
        "action_items": meetings.meeting_action_items(meeting),
        "notes_conflict": notes_conflict,
    }
    if access.is_participant:
        note = meetings.my_private_note(access)
        context["notes_form"] = notes_form or SharedNotesForm(
            initial={"shared_notes": meeting.shared_notes, "version": meeting.version}
        )
        context["private_form"] = private_form or PrivateNoteForm(
            initial={"text": note.text if note else ""}
        )
        context["private_note"] = note
        context["action_form"] = action_form or ActionItemForm(
            meeting=meeting, initial={"owner": access.person_id}
        )
    return context


@login_required
def one_on_one_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = meetings.get_one_on_one_for_user(request.user, pk)
    return render(request, "goals/one_on_one_detail.html", _detail_context(request, access))


@login_required
@require_http_methods(["GET", "POST"])
def one_on_one_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    meeting = access.meeting
    error: DomainError | None = None
    if request.method == "POST":
        form = MeetingEditForm(request.POST)
        if form.is_valid():
            try:
                meetings.one_on_one_update(
                    actor=actor_from_request(request),
                    user=request.user,
                    meeting_id=meeting.pk,
                    expected_version=form.cleaned_data["version"],
                    data=form.to_data(),
                )
            except DomainError as e:
                error = e
                if e.status == 409:
                    meeting.refresh_from_db()
                    form = _with_version(request, MeetingEditForm, meeting.version)
                show_domain_error(form, e)
            else:
                messages.success(request, _("Meeting saved."))
                return redirect("goals:one_on_one", pk=meeting.pk)
    else:
        form = MeetingEditForm(initial=MeetingEditForm.initial_for(meeting))
    return render(
        request,
        "goals/one_on_one_form.html",
        {"form": form, "meeting": meeting, "conflict": error is not None and error.status == 409},
        status=form_status(error),
    )


def _with_version[F: SharedNotesForm | MeetingEditForm](
    request: HttpRequest, form_class: type[F], version: int
) -> F:
    """The posted form again with the saved version, after a refused concurrent edit."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data)
    form.is_valid()
    return form


@login_required
@require_POST
def one_on_one_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the shared notes; a concurrent edit answers 409 with the typed text kept."""
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    form = SharedNotesForm(request.POST)
    if form.is_valid():
        try:
            meetings.one_on_one_save_shared_notes(
                actor=actor_from_request(request),
                user=request.user,
                meeting_id=access.meeting.pk,
                expected_version=form.cleaned_data["version"],
                text=form.cleaned_data["shared_notes"],
            )
        except DomainError as e:
            conflict = e.status == 409
            fresh = meetings.get_one_on_one_for_user(request.user, pk, write=True)
            if conflict:
                # Keep the typed text; the next save is made knowingly over the saved version.
                form = _with_version(request, SharedNotesForm, fresh.meeting.version)
            show_domain_error(form, e)
            return render(
                request,
                "goals/one_on_one_detail.html",
                _detail_context(request, fresh, notes_form=form, notes_conflict=conflict),
                status=409 if conflict else 400,
            )
        messages.success(request, _("Shared notes saved."))
    else:
        return render(
            request,
            "goals/one_on_one_detail.html",
            _detail_context(request, access, notes_form=form),
            status=400,
        )
    return redirect("goals:one_on_one", pk=pk)


@login_required
@require_POST
def one_on_one_private_note(request: HttpRequest, pk: int) -> HttpResponse:
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    form = PrivateNoteForm(request.POST)
    if form.is_valid():
        try:
            meetings.private_note_save(
                actor=actor_from_request(request),
                user=request.user,
                meeting_id=access.meeting.pk,
                text=form.cleaned_data["text"],
            )
        except DomainError as e:
            show_domain_error(form, e)
        else:
            messages.success(request, _("Private notes saved."))
            return redirect("goals:one_on_one", pk=pk)
    return render(
        request,
        "goals/one_on_one_detail.html",
        _detail_context(request, access, private_form=form),
        status=400,
    )


@login_required
@require_POST
def one_on_one_share(request: HttpRequest, pk: int) -> HttpResponse:
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    shared = request.POST.get("shared") == "1"
    meetings.one_on_one_set_shared(
        actor=actor_from_request(request),
        user=request.user,
        meeting_id=access.meeting.pk,
        shared=shared,
    )
    messages.success(
        request,
        _("Shared with the performance office (private notes stay private).")
        if shared
        else _("No longer shared with the performance office."),
    )
    return redirect("goals:one_on_one", pk=pk)


@login_required
@require_POST
def one_on_one_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    form = ActionItemForm(request.POST, meeting=access.meeting)
    if form.is_valid():
        try:
            meetings.action_item_add(
                actor=actor_from_request(request),
                user=request.user,
                meeting_id=access.meeting.pk,
                data=form.to_data(),
            )
        except DomainError as e:
            show_domain_error(form, e)
        else:
            return redirect(reverse("goals:one_on_one", args=[pk]) + "#action-items")
    return render(
        request,
        "goals/one_on_one_detail.html",
        _detail_context(request, access, action_form=form),
        status=400,
    )


@login_required
@require_POST
def one_on_one_action(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Mark an action item done (`done=1`), open again (`done=0`), or remove it (`remove=1`)."""
    access = meetings.get_one_on_one_for_user(request.user, pk, write=True)
    actor = actor_from_request(request)
    if request.POST.get("remove") == "1":
        meetings.action_item_remove(
            actor=actor, user=request.user, meeting_id=access.meeting.pk, item_id=item_id
        )
    elif request.POST.get("done") in ("0", "1"):
        meetings.action_item_set_done(
            actor=actor,
            user=request.user,
            meeting_id=access.meeting.pk,
            item_id=item_id,
            done=request.POST["done"] == "1",
        )
    else:
        raise Http404
    return redirect(reverse("goals:one_on_one", args=[pk]) + "#action-items")
