"""The rater's and the appraisee's pages: my ratings, the rating grid, a ratee's summary and
goals, the self-assessment, peer nominations, and the public one-time-code pages.

Thin like every view: the grid's loading and parsing live in jixiao.appraisals.grid, every
write is one of the services (rating.ratings_save, codes.code_submit,
self_assessment.appraisal_summary_save, nominations.*). A refused write shows the page again
with everything typed kept and the refused cells marked.

The code pages (code_enter, code_rate, code_thanks) are public by design: a printed code is
the only credential, the session holds nothing but the code's id, failed attempts are
throttled per client address, and the page shows the ratees' names, departments and posts
only.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.appraisals import codes, nominations
from jixiao.appraisals.cycles import deadline_of
from jixiao.appraisals.forms_rating import CodeForm, DecisionForm, NominationForm, SummaryForm
from jixiao.appraisals.grid import (
    HIDDEN_STATUSES,
    Grid,
    GridRow,
    apply_post,
    code_grid,
    complete_for_display,
    inputs_for,
    rater_grid,
    refresh_versions,
    show_errors,
)
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    RaterGroup,
    RatingCode,
    SchemeItem,
    SectionKind,
)
from jixiao.appraisals.permissions import can_read_appraisal
from jixiao.appraisals.rating import ratings_save
from jixiao.appraisals.selectors_results import is_superior_of
from jixiao.appraisals.self_assessment import (
    SELF_PHASES,
    appraisal_summary_save,
    can_read_summary,
    goals_of_cycle,
    is_rater_of,
    own_appraisal,
    summary_is_open,
)
from jixiao.core.actor import actor_from_request, client_ip
from jixiao.core.errors import DomainError, FieldError, validation_failed
from jixiao.core.forms import apply_domain_error
from jixiao.goals.selectors import goals_visible_to
from jixiao.org.access import scope_for

OPEN_PHASES = (CyclePhase.SELF_ASSESSMENT, CyclePhase.RATING)
CODE_SESSION_KEY = "appraisals.rating_code"
CODE_DONE_KEY = "appraisals.rating_code_done"
CODE_FAILURE_LIMIT = 10
CODE_FAILURE_WINDOW = 600  # seconds
MARKED = gettext_lazy("Some ratings are missing or not valid: see the marked cells.")


# ---------------------------------------------------------------- my ratings


@dataclass
class GroupProgress:
    group: str
    label: str
    total: int = 0
    submitted: int = 0
    drafts: int = 0
    deadline: Any = None
    url: str = ""

    @property
    def done(self) -> bool:
        return self.total > 0 and self.submitted == self.total


@dataclass
class CycleCard:
    cycle: Cycle
    groups: list[GroupProgress] = field(default_factory=list)
    appraisal: dict[str, Any] | None = None


@login_required
def my_ratings(request: HttpRequest) -> HttpResponse:
    """Every open cycle where the person rates or is appraised, with progress per group."""
    person_id = scope_for(request.user).person_id
    cards: dict[int, CycleCard] = {}
    if person_id is not None:
        counts = (
            Assignment.objects.filter(rater_id=person_id, cycle__phase__in=OPEN_PHASES)
            .exclude(status__in=HIDDEN_STATUSES)
            .values_list("cycle_id", "group", "status")
            .annotate(n=Count("id"))
        )
        own = dict(
            Appraisal.objects.filter(person_id=person_id, cycle__phase__in=OPEN_PHASES).values_list(
                "cycle_id", "self_submitted_at"
            )
        )
        by_cycle: dict[int, dict[str, GroupProgress]] = defaultdict(dict)
        for cycle_id, group, status, n in counts:
            g = by_cycle[cycle_id].setdefault(
                group, GroupProgress(group, str(RaterGroup(group).label))
            )
            g.total += n
            g.submitted += n if status == AssignmentStatus.SUBMITTED else 0
            g.drafts += n if status == AssignmentStatus.DRAFT else 0
        cycles = Cycle.objects.filter(pk__in=set(by_cycle) | set(own)).order_by("end", "id")
        order = {g: i for i, g in enumerate(RaterGroup.values)}
        for cycle in cycles:
            card = CycleCard(cycle)
            for g in sorted(by_cycle.get(cycle.pk, {}).values(), key=lambda x: order[x.group]):
                if g.group == RaterGroup.SELF:
                    g.url = reverse("appraisals:self", args=[cycle.pk])
                    g.deadline = deadline_of(cycle, CyclePhase.SELF_ASSESSMENT) or deadline_of(
                        cycle, CyclePhase.RATING
                    )
                else:
                    g.url = reverse("appraisals:rate_grid", args=[cycle.pk, g.group])
                    g.deadline = deadline_of(cycle, CyclePhase.RATING)
                card.groups.append(g)
            if cycle.pk in own:
                card.appraisal = {
                    "submitted_at": own[cycle.pk],
                    "url": reverse("appraisals:self", args=[cycle.pk]),
                }
            cards[cycle.pk] = card
    return render(
        request,
        "appraisals/rate_list.html",
        {
            "cards": list(cards.values()),
            "has_person": person_id is not None,
            "to_decide": nominations.nominations_to_decide(request.user).count(),
        },
    )


# ---------------------------------------------------------------- the grid


@dataclass
class Outcome:
    """What a posted grid came to: done (redirect), or the grid to show again."""

    done: bool = False
    submitted: int = 0
    drafted: int = 0
    errors: list[str] = field(default_factory=list)
    status: int = 200


def _refused(user: Any, grid: Grid, posted: Any, error: DomainError, outcome: Outcome) -> Outcome:
    if error.code == "concurrent_edit":
        with contextlib.suppress(Http404):
            refresh_versions(grid, rater_grid(user, grid.cycle.pk, grid.group))
        outcome.errors.append(str(error.message))
    elif error.code == "validation_failed":
        outcome.errors.extend(show_errors(grid, posted, error))
        if not outcome.errors:
            outcome.errors.append(str(MARKED))
    else:
        outcome.errors.append(str(error.message))
    outcome.status = error.status
    return outcome


def save_grid(request: HttpRequest, grid: Grid) -> Outcome:
    """Save drafts or submit rows of a named rater's grid from the posted form: "submit"
    sends every open row in one service call, "submit_row" one row (the other rows typed
    into are kept as drafts), anything else saves the rows typed into as drafts."""
    outcome = Outcome()
    apply_post(grid, request.POST)
    editable = grid.editable_rows
    row_key = str(request.POST.get("submit_row", ""))
    to_submit: list[GridRow]
    if row_key.isdigit():
        chosen = grid.row(int(row_key))
        to_submit = [chosen] if chosen is not None and not chosen.readonly else []
        to_draft = [r for r in editable if r.touched and r not in to_submit]
    elif request.POST.get("action") == "submit":
        to_submit, to_draft = editable, []
    else:
        to_submit, to_draft = [], [r for r in editable if r.touched]
    if not to_submit and not to_draft:
        if not grid.open:
            outcome.errors.append(_("Rating is not open in this cycle."))
            outcome.status = 409
            return outcome
        outcome.done = True
        return outcome
    actor = actor_from_request(request)
    for rows, submit in ((to_submit, True), (to_draft, False)):
        if not rows:
            continue
        posted = inputs_for(grid, rows)
        if posted.invalid:
            outcome.errors.append(str(MARKED))
            outcome.status = 400
            return outcome
        try:
            saved = ratings_save(
                actor=actor, user=request.user, entries=posted.entries, submit=submit
            )
        except DomainError as e:
            return _refused(request.user, grid, posted, e, outcome)
        versions = {a.pk: a.version for a in saved}
        for row in rows:
            row.version = versions.get(row.key, row.version)
            if submit:
                row.status = AssignmentStatus.SUBMITTED
        if submit:
            outcome.submitted += len(rows)
        else:
            outcome.drafted += len(rows)
    outcome.done = True
    return outcome


def _say_saved(request: HttpRequest, outcome: Outcome) -> None:
    if outcome.submitted:
        messages.success(
            request,
            ngettext(
                "Submitted your ratings of %(n)s person.",
                "Submitted your ratings of %(n)s people.",
                outcome.submitted,
            )
            % {"n": outcome.submitted},
        )
    if outcome.drafted:
        messages.info(request, _("Draft saved."))
    if not outcome.submitted and not outcome.drafted:
        messages.info(request, _("Nothing to save yet."))


def _grid_context(grid: Grid, **extra: Any) -> dict[str, Any]:
    return {
        "grid": grid,
        "deadline": deadline_of(
            grid.cycle,
            CyclePhase.SELF_ASSESSMENT if grid.group == RaterGroup.SELF else CyclePhase.RATING,
        ),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def rate_grid(request: HttpRequest, cycle_id: int, group: str) -> HttpResponse:
    """One page rating many people on the same items; submitting all is one service call."""
    if group == RaterGroup.SELF:
        own_appraisal(request.user, cycle_id)
        return redirect("appraisals:self", cycle_id=cycle_id)
    posted = request.method == "POST"
    grid = rater_grid(request.user, cycle_id, group, for_display=not posted)
    outcome = Outcome()
    if posted:
        outcome = save_grid(request, grid)
        if outcome.done:
            _say_saved(request, outcome)
            return redirect(request.path)
        complete_for_display(request.user, grid)
    return render(
        request,
        "appraisals/rate_grid.html",
        _grid_context(grid, errors=outcome.errors, per_row=True),
        status=outcome.status,
    )


@login_required
def rate_ratee(request: HttpRequest, cycle_id: int, appraisal_id: int) -> HttpResponse:
    """What a rater may read about a ratee: the submitted summary and the goals of the cycle
    that the goals' own rules let them see."""
    appraisal = (
        Appraisal.objects.select_related("cycle", "person", "department", "post")
        .filter(pk=appraisal_id, cycle_id=cycle_id)
        .first()
    )
    if appraisal is None or not (
        is_rater_of(request.user, appraisal) or can_read_appraisal(request.user, appraisal)
    ):
        raise Http404
    cycle = appraisal.cycle
    visible = goals_visible_to(request.user).values("pk")
    goals = goals_of_cycle(appraisal.person_id, cycle.start, cycle.end).filter(pk__in=visible)
    return render(
        request,
        "appraisals/rate_ratee.html",
        {
            "appraisal": appraisal,
            "cycle": cycle,
            "summary": appraisal.summary if can_read_summary(request.user, appraisal) else None,
            "goals": list(goals),
            "kpi_rows": (
                list(
                    SchemeItem.objects.filter(
                        section__scheme_id=cycle.scheme_id, section__kind=SectionKind.KPI
                    ).order_by("section__position", "position")
                )
                if is_superior_of(request.user, appraisal)
                else []
            ),
        },
    )


# ---------------------------------------------------------------- self-assessment


def _self_grid(user: Any, cycle_id: int) -> Grid | None:
    try:
        return rater_grid(user, cycle_id, RaterGroup.SELF)
    except Http404:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def self_page(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The personal summary, the self-ratings and peer nominations, next to the person's
    goals with their key results and evidence."""
    appraisal = own_appraisal(request.user, cycle_id)
    cycle = appraisal.cycle
    grid = _self_grid(request.user, cycle.pk)
    summary_form = SummaryForm(initial={"summary": appraisal.summary, "version": appraisal.version})
    candidates = nominations.nomination_candidates(appraisal)
    nomination_open = (
        cycle.phase in SELF_PHASES and cycle.scheme.groups.filter(group=RaterGroup.PEER).exists()
    )
    nomination_form = NominationForm(candidates=candidates)
    outcome = Outcome()
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "summary":
            summary_form = SummaryForm(request.POST)
            status = _post_summary(request, appraisal, summary_form)
            if status == 0:
                return redirect("appraisals:self", cycle_id=cycle.pk)
        elif which == "ratings" and grid is not None:
            outcome = save_grid(request, grid)
            if outcome.done:
                _say_saved(request, outcome)
                return redirect("appraisals:self", cycle_id=cycle.pk)
            status = outcome.status
        elif which == "nominate":
            nomination_form = NominationForm(request.POST, candidates=candidates)
            status = _post_nomination(request, appraisal, nomination_form)
            if status == 0:
                return redirect(reverse("appraisals:self", args=[cycle.pk]) + "#nominations")
        else:
            raise validation_failed([FieldError("form", "invalid_choice", _("Unknown form."))])
    return render(
        request,
        "appraisals/self_page.html",
        {
            "appraisal": appraisal,
            "cycle": cycle,
            "summary_form": summary_form,
            "summary_open": summary_is_open(appraisal),
            "grid": grid,
            "errors": outcome.errors,
            "per_row": False,
            "deadline": deadline_of(cycle, CyclePhase.SELF_ASSESSMENT)
            or deadline_of(cycle, CyclePhase.RATING),
            "goals": list(goals_of_cycle(appraisal.person_id, cycle.start, cycle.end)),
            "nomination_open": nomination_open,
            "nomination_form": nomination_form,
            "has_candidates": nomination_open and candidates.exists(),
            "nominations": nominations.nominations_of(appraisal),
        },
        status=status,
    )


def _post_summary(request: HttpRequest, appraisal: Appraisal, form: SummaryForm) -> int:
    """0 when saved; else the status of the page shown again."""
    if not form.is_valid():
        return 400
    submit = request.POST.get("action") == "submit"
    try:
        appraisal_summary_save(
            actor=actor_from_request(request),
            user=request.user,
            appraisal_id=appraisal.pk,
            expected_version=form.cleaned_data["version"],
            summary=form.cleaned_data["summary"],
            submit=submit,
        )
    except DomainError as e:
        apply_domain_error(form, e)
        return e.status
    messages.success(request, _("Summary submitted.") if submit else _("Summary saved."))
    return 0


def _post_nomination(request: HttpRequest, appraisal: Appraisal, form: NominationForm) -> int:
    if not form.is_valid():
        return 400
    try:
        made = nominations.nominations_create(
            actor=actor_from_request(request),
            user=request.user,
            appraisal_id=appraisal.pk,
            person_ids=[p.pk for p in form.cleaned_data["people"]],
        )
    except DomainError as e:
        apply_domain_error(form, e)
        return e.status
    messages.success(
        request,
        ngettext(
            "Nominated %(n)s colleague; your superior decides.",
            "Nominated %(n)s colleagues; your superior decides.",
            len(made),
        )
        % {"n": len(made)},
    )
    return 0


# ---------------------------------------------------------------- nominations to decide


@login_required
def nomination_list(request: HttpRequest) -> HttpResponse:
    """The pending nominations of the user's direct reports."""
    return render(
        request,
        "appraisals/rate_nominations.html",
        {"pending": list(nominations.nominations_to_decide(request.user)[:500])},
    )


@login_required
@require_POST
def nomination_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if not Assignment.objects.filter(pk=pk, nominated=True).exists():
            raise Http404
        raise validation_failed(
            [FieldError("decision", "invalid_choice", _("Approve or decline."))]
        )
    approve = form.cleaned_data["decision"] == "approve"
    decided = nominations.nomination_decide(
        actor=actor_from_request(request),
        user=request.user,
        assignment_id=pk,
        expected_version=form.cleaned_data["version"],
        approve=approve,
    )
    name = decided.rater.name if decided.rater else ""
    messages.success(
        request,
        (_("%(name)s will rate as a peer.") if approve else _("Nomination of %(name)s declined."))
        % {"name": name},
    )
    return redirect("appraisals:nomination_list")


# ---------------------------------------------------------------- one-time codes (public)


def _failure_key(request: HttpRequest) -> str:
    return f"appraisals:code-failures:{client_ip(request) or 'unknown'}"


def _throttled(request: HttpRequest) -> bool:
    return int(cache.get(_failure_key(request)) or 0) >= CODE_FAILURE_LIMIT


def _count_failure(request: HttpRequest) -> None:
    key = _failure_key(request)
    if not cache.add(key, 1, CODE_FAILURE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, CODE_FAILURE_WINDOW)


def _throttled_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "appraisals/code_throttled.html",
        {"minutes": CODE_FAILURE_WINDOW // 60},
        status=429,
    )


@require_http_methods(["GET", "POST"])
def code_enter(request: HttpRequest) -> HttpResponse:
    """Enter a one-time code (no sign-in). The session then holds the code's id only."""
    if _throttled(request):
        return _throttled_page(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                found = codes.code_open(code=form.cleaned_data["code"])
            except DomainError as e:
                if e.code == "code_invalid":
                    _count_failure(request)
                    if _throttled(request):
                        return _throttled_page(request)
                status = 400 if e.status == 404 else e.status
                form.add_error("code", str(e.message))
            else:
                request.session.cycle_key()
                request.session.pop(CODE_DONE_KEY, None)
                request.session[CODE_SESSION_KEY] = found.pk
                return redirect("appraisals:code_rate")
    return render(request, "appraisals/code_enter.html", {"form": form}, status=status)


def _code_of(request: HttpRequest) -> RatingCode | None:
    code_id = request.session.get(CODE_SESSION_KEY)
    if not isinstance(code_id, int):
        return None
    return (
        RatingCode.objects.select_related("batch", "batch__cycle", "batch__department")
        .filter(pk=code_id)
        .first()
    )


@require_http_methods(["GET", "POST"])
def code_rate(request: HttpRequest) -> HttpResponse:
    """The grid of the code's ratees; submitting it uses the code up."""
    found = _code_of(request)
    if found is None:
        request.session.pop(CODE_SESSION_KEY, None)
        return redirect("appraisals:code_enter")
    if found.used_at is not None:
        request.session.pop(CODE_SESSION_KEY, None)
        return render(request, "appraisals/code_used.html", {"closed": False}, status=409)
    cycle = found.batch.cycle
    if cycle.phase != CyclePhase.RATING:
        return render(request, "appraisals/code_used.html", {"closed": True}, status=409)
    grid = code_grid(cycle, found.batch.group, codes.code_ratees(found))
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        apply_post(grid, request.POST)
        posted = inputs_for(grid, grid.rows)
        if posted.invalid:
            errors.append(str(MARKED))
            status = 400
        else:
            try:
                n = codes.code_submit(
                    code_id=found.pk,
                    entries=[
                        codes.CodeRating(e.assignment_id, e.ratings, e.comment)
                        for e in posted.entries
                    ],
                )
            except DomainError as e:
                if e.code == "code_invalid":
                    request.session.pop(CODE_SESSION_KEY, None)
                    return render(
                        request, "appraisals/code_used.html", {"closed": False}, status=409
                    )
                if e.code == "validation_failed":
                    errors.extend(show_errors(grid, posted, e))
                    if not errors:
                        errors.append(str(MARKED))
                else:
                    errors.append(str(e.message))
                status = e.status
            else:
                request.session.pop(CODE_SESSION_KEY, None)
                request.session[CODE_DONE_KEY] = n
                return redirect("appraisals:code_thanks")
    return render(
        request,
        "appraisals/code_grid.html",
        {"grid": grid, "errors": errors, "code_mode": True, "per_row": False},
        status=status,
    )


def code_thanks(request: HttpRequest) -> HttpResponse:
    rated = request.session.pop(CODE_DONE_KEY, None)
    return render(
        request, "appraisals/code_thanks.html", {"rated": rated if isinstance(rated, int) else None}
    )
