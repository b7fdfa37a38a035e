"""Reads behind the result pages, the results API and the result files: one appraisal's result
with every input, weight and rule that produced it; a cycle's results for the office and for a
department head; the counts per suggested grade against the quota limits; and the reason for
each suggested grade in plain words.

Who sees what:
- the office (system administrators; performance administrators, unit leaders and auditors
  over the cycle's unit) sees every result at every phase, with each rater group's detail;
- the person sees their own result once the cycle shows results; a department head (or a
  superior of people outside their departments) sees their people's results from then on;
- to those two, a rater group below its minimum number of responses shows no detail, and its
  comments are not shown.

Anonymity: nothing here reads a rating's rater. Group lines come from Appraisal.breakdown,
which holds groups and counts only. Comments of named groups are read with their rater's name;
comments of anonymous groups and of one-time codes are read as text only (never with a rater,
a code, an id or a time), shown in an order keyed by a secret hash of their text, to anybody
(the office included) only once the group has its minimum number of responses and rating is
over (result_comments.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils.translation import gettext as _

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    Eligibility,
    KpiScore,
    RaterGroup,
    SchemeGroup,
    SchemeItem,
    SchemeSection,
    SectionKind,
)
from jixiao.appraisals.permissions import (
    can_manage_cycle,
    can_read_appraisal,
    can_see_cycle_office,
    shows_results,
)
from jixiao.appraisals.result_comments import CommentGroup, CommentLine, result_comments
from jixiao.appraisals.scoring import FEED_ITEM_CODE
from jixiao.core.errors import forbidden
from jixiao.engine.appraisal import head_count
from jixiao.org.access import scope_for
from jixiao.org.models import Department

Viewer = Literal["office", "reader", "self"]
TIE_DECIMALS = 6
SORTS = ("score", "rank", "department", "grade", "number")


# ---------------------------------------------------------------- the cycle's rules


@dataclass(frozen=True)
class GradeBand:
    code: str
    label: str
    min_score: float


@dataclass
class QuotaLine:
    """One quota rule applied to one population (the cycle, or one department)."""

    label: str
    grades: tuple[str, ...]
    op: str
    share: float
    enforced: bool
    population: int
    limit: int
    actual: int
    department_id: int | None = None
    department_name: str = ""

    @property
    def broken(self) -> bool:
        return self.actual > self.limit if self.op == "at_most" else self.actual < self.limit

    @property
    def percent(self) -> float:
        return round(self.share * 100, 2)


@dataclass
class TieInfo:
    tied: int
    """People tied at this boundary (this person included)."""
    places: int
    """How many of them may still take the contested grade."""
    grade: str
    """The contested grade's label."""


@dataclass
class CycleResults:
    """What a cycle's grades rest on: bands, quota rules with their limits and the counts
    against them, ties at the boundaries. One grouped query for any size of cycle, one more
    when some are tied, and one for department names when a rule counts per department."""

    cycle: Cycle
    bands: list[GradeBand]
    rules: list[dict[str, Any]]
    grade_counts: dict[str, int]
    """suggested grade code ("" for none) → people."""
    total: int
    scored: int
    quota: list[QuotaLine]
    ties: dict[tuple[float, int | None], TieInfo]
    """(score rounded as the engine compares it, department or None) → the tie there."""
    per_department: bool = False
    latest_computed: Any = None
    sections: list[SchemeSection] = field(default_factory=list)

    def tie_of(self, a: Appraisal) -> TieInfo | None:
        if not a.tie or a.total is None:
            return None
        key = (round(a.total, TIE_DECIMALS), a.department_id if self.per_department else None)
        return self.ties.get(key)

    @property
    def tied_people(self) -> int:
        return sum(t.tied for t in self.ties.values())

    def label(self, code: str) -> str:
        for band in self.bands:
            if band.code == code:
                return band.label
        return code

    def band(self, code: str) -> GradeBand | None:
        return next((b for b in self.bands if b.code == code), None)

    @property
    def grade_lines(self) -> list[tuple[str, str, int]]:
        """(code, label, people) for every grade, best first, then "no grade"."""
        lines = [(b.code, b.label, self.grade_counts.get(b.code, 0)) for b in self.bands]
        lines.append(("-", _("No grade"), self.grade_counts.get("", 0)))
        return lines

    @property
    def stale(self) -> bool:
        """Scores changed after the last full computation: ranks and grades are older."""
        computed = self.cycle.computed_at
        return bool(self.latest_computed and computed and self.latest_computed > computed)


def _share(rule: dict[str, Any], cycle: Cycle) -> float:
    """The rule's share for this cycle: raised with approval, moved by the unit's own grade."""
    share = float(rule.get("share", 0))
    if cycle.higher_quota_approved and rule.get("share_if_approved") is not None:
        share = float(rule["share_if_approved"])
    by_grade = rule.get("share_by_unit_grade") or {}
    if cycle.unit_grade and cycle.unit_grade in by_grade:
        share = float(by_grade[cycle.unit_grade])
    return share


def cycle_results(cycle: Cycle, *, with_sections: bool = False) -> CycleResults:
    """The cycle's bands, grade counts, quota lines and ties."""
    scheme = cycle.scheme
    bands = [
        GradeBand(str(g["code"]), str(g.get("label") or g["code"]), float(g["min_score"]))
        for g in scheme.grades
    ]
    rules = list(scheme.quota_rules or [])
    per_department = any(r.get("population") == "department" for r in rules)
    keys = ["suggested_grade", "eligibility", *(["department_id"] if per_department else [])]
    grade_counts: dict[str, int] = defaultdict(int)
    # population key → (graded people with a score, graded people with a score by grade)
    pop: dict[int | None, int] = defaultdict(int)
    pop_by_grade: dict[tuple[int | None, str], int] = defaultdict(int)
    total = scored = 0
    latest = None
    tie_count = 0
    for row in (
        Appraisal.objects.filter(cycle=cycle)
        .values_list(*keys)
        .annotate(
            n=Count("id"),
            scored=Count("total"),
            ties=Count("id", filter=Q(tie=True)),
            latest=Max("computed_at"),
        )
        .values_list(*keys, "n", "scored", "ties", "latest")
        .order_by()
    ):
        grade, eligibility = row[0], row[1]
        department_id = row[2] if per_department else None
        n, with_score, ties, last = row[-4], row[-3], row[-2], row[-1]
        tie_count += ties
        grade_counts[grade] += n
        total += n
        scored += with_score
        if last is not None and (latest is None or last > latest):
            latest = last
        if eligibility == Eligibility.GRADED:
            pop[department_id] += with_score
            pop_by_grade[(department_id, grade)] += with_score
            if per_department:
                pop[None] += with_score
                pop_by_grade[(None, grade)] += with_score
    quota: list[QuotaLine] = []
    names: dict[int, str] = {}
    if per_department:
        names = dict(
            Department.objects.filter(pk__in=[k for k in pop if k is not None]).values_list(
                "id", "name"
            )
        )
    for rule in rules:
        grades = tuple(str(g) for g in rule.get("grades", []))
        share = _share(rule, cycle)
        op = str(rule.get("op", "at_most"))
        populations = (
            [k for k in pop if k is not None] if rule.get("population") == "department" else [None]
        )
        for key in sorted(populations, key=lambda k: names.get(k, "") if k else ""):
            size = pop.get(key, 0)
            quota.append(
                QuotaLine(
                    label=str(rule.get("label") or ""),
                    grades=grades,
                    op=op,
                    share=share,
                    enforced=bool(rule.get("enforced", True)),
                    population=size,
                    limit=head_count(share, size, op, str(rule.get("rounding", ""))),
                    actual=sum(pop_by_grade.get((key, g), 0) for g in grades),
                    department_id=key,
                    department_name=names.get(key, "") if key else "",
                )
            )
    results = CycleResults(
        cycle=cycle,
        bands=bands,
        rules=rules,
        grade_counts=dict(grade_counts),
        total=total,
        scored=scored,
        quota=quota,
        ties={},
        per_department=per_department,
        latest_computed=latest,
    )
    if tie_count:
        results.ties = _ties(results, _tied_scores(cycle, per_department))
    if with_sections:
        results.sections = list(scheme.sections.order_by("position", "id"))
    return results


def _tied_scores(cycle: Cycle, per_department: bool) -> dict[tuple[float, int | None], list[Any]]:
    """(rounded score, department or None) → [people, band] of the tied (run only when the
    grade counts found some)."""
    tied: dict[tuple[float, int | None], list[Any]] = {}
    for total, band, department_id in Appraisal.objects.filter(
        cycle=cycle, tie=True, total__isnull=False
    ).values_list("total", "band_grade", "department_id"):
        if total is None:
            continue
        at = (round(total, TIE_DECIMALS), department_id if per_department else None)
        tied.setdefault(at, [0, band])[0] += 1
    return tied


def _ties(
    results: CycleResults, tied: dict[tuple[float, int | None], list[Any]]
) -> dict[tuple[float, int | None], TieInfo]:
    """How many share each tied score and for how many places of which grade."""
    out: dict[tuple[float, int | None], TieInfo] = {}
    for key, (count, band) in tied.items():
        line = _contested(results, band or "", key[1])
        places = max(0, line.limit - line.actual) if line is not None else 0
        if line is not None and line.op == "at_least":
            grade = "、".join(results.label(g) for g in line.grades)
        else:
            grade = results.label(band or "")
        out[key] = TieInfo(count, places, grade)
    return out


def _contested(results: CycleResults, band: str, department_id: int | None) -> QuotaLine | None:
    """The enforced rule a tie sits at: an "at most" rule on the grade the score earns, or an
    "at least" rule on grades the score does not reach."""
    for line in results.quota:
        if not line.enforced:
            continue
        if line.department_id is not None and line.department_id != department_id:
            continue
        if line.op == "at_most" and band in line.grades:
            return line
        if line.op == "at_least" and band not in line.grades:
            return line
    return None


# ---------------------------------------------------------------- why this grade


def _num(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2f}"


def grade_explanation(a: Appraisal, results: CycleResults | None) -> list[str]:
    """The suggested grade's reason in plain words: score, band, quota, tie, eligibility.

    `results` (the cycle's quota lines) is needed only for quota and tie reasons.
    """
    lines: list[str] = []
    labels = results.label if results is not None else (lambda code: code)
    if a.eligibility not in (Eligibility.GRADED, Eligibility.REFUSED):
        why = f"：{a.eligibility_reason}" if a.eligibility_reason else ""
        lines.append(
            _("Not graded in this cycle: %(eligibility)s%(why)s.")
            % {"eligibility": a.get_eligibility_display(), "why": why}
        )
        return lines
    if a.grade_reason == "refused" or a.eligibility == Eligibility.REFUSED:
        lines.append(
            _("Refused to take part in the appraisal, which yields the lowest grade, %(grade)s.")
            % {"grade": labels(a.suggested_grade)}
        )
        return lines
    if a.total is None:
        lines.append(_("No score yet, so no grade is suggested."))
        return lines
    text = _("Score %(score)s") % {"score": _num(a.total)}
    if a.raw_total is not None and abs(a.raw_total - a.total) >= 0.005:
        text += _(" (%(raw)s before the correction for rater bias)") % {"raw": _num(a.raw_total)}
    band = results.band(a.band_grade) if results is not None else None
    if a.band_grade:
        if band is not None:
            text += _(", in the band of %(grade)s (%(min)s and above).") % {
                "grade": band.label,
                "min": _num(band.min_score),
            }
        else:
            text += _(", in the band of %(grade)s.") % {"grade": labels(a.band_grade)}
    else:
        text += "."
    lines.append(text)
    reason = a.grade_reason
    if reason == "band":
        lines.append(
            _("The suggested grade is the band's grade, %(grade)s.")
            % {"grade": labels(a.suggested_grade)}
        )
    elif reason in ("quota_down", "quota_up"):
        line = _rule_for(results, a)
        if line is not None:
            lines.append(
                _(
                    "The rule “%(rule)s” allows %(limit)s of %(population)s people in %(grades)s "
                    "(%(actual)s now); by score this person falls outside that number, so the "
                    "suggested grade is %(grade)s."
                )
                % {
                    "rule": line.label or _rule_text(line, labels),
                    "limit": line.limit,
                    "population": line.population,
                    "grades": "、".join(labels(g) for g in line.grades),
                    "actual": line.actual,
                    "grade": labels(a.suggested_grade),
                }
                if line.op == "at_most"
                else _(
                    "The rule “%(rule)s” requires at least %(limit)s of %(population)s people in "
                    "%(grades)s; by score this person is among them, so the suggested grade is "
                    "%(grade)s."
                )
                % {
                    "rule": line.label or _rule_text(line, labels),
                    "limit": line.limit,
                    "population": line.population,
                    "grades": "、".join(labels(g) for g in line.grades),
                    "grade": labels(a.suggested_grade),
                }
            )
        else:
            lines.append(
                _("A quota rule moved the grade the score earns to %(grade)s.")
                % {"grade": labels(a.suggested_grade)}
            )
    elif reason == "tie":
        tie = results.tie_of(a) if results is not None else None
        if tie is not None:
            lines.append(
                _(
                    "Tied at the quota boundary: %(tied)s people share this score for "
                    "%(places)s remaining place(s) of %(grade)s. The system does not choose "
                    "among them; the appraisal committee decides. Until then the suggested "
                    "grade is %(suggested)s."
                )
                % {
                    "tied": tie.tied,
                    "places": tie.places,
                    "grade": tie.grade,
                    "suggested": labels(a.suggested_grade),
                }
            )
        else:
            lines.append(
                _(
                    "Tied at the quota boundary with others of the same score; the appraisal "
                    "committee decides. Until then the suggested grade is %(suggested)s."
                )
                % {"suggested": labels(a.suggested_grade)}
            )
    elif reason == "no_score":
        lines.append(_("No score yet, so no grade is suggested."))
    elif not a.suggested_grade:
        lines.append(_("No grade has been suggested yet: the cycle has not been computed."))
    return lines


def _rule_text(line: QuotaLine, labels: Any) -> str:
    grades = "+".join(labels(g) for g in line.grades)
    if line.op == "at_most":
        return _("%(grades)s at most %(share)s%%") % {"grades": grades, "share": line.percent}
    return _("%(grades)s at least %(share)s%%") % {"grades": grades, "share": line.percent}


def _rule_for(results: CycleResults | None, a: Appraisal) -> QuotaLine | None:
    """The enforced rule that moved this person's grade away from their band's."""
    if results is None:
        return None
    for line in results.quota:
        if not line.enforced:
            continue
        if line.department_id is not None and line.department_id != a.department_id:
            continue
        if line.op == "at_most" and a.band_grade in line.grades:
            return line
        if line.op == "at_least" and a.suggested_grade in line.grades:
            return line
    return None


def tie_text(a: Appraisal, results: CycleResults) -> str:
    tie = results.tie_of(a)
    if tie is None:
        return _("tied") if a.tie else ""
    return _("%(tied)s tied for %(places)s place(s)") % {"tied": tie.tied, "places": tie.places}


# ---------------------------------------------------------------- one appraisal


def get_appraisal_for_results(user: Any, pk: int) -> tuple[Appraisal, Viewer]:
    """The appraisal and how the user sees it; 404 when they may not read it."""
    appraisal = (
        Appraisal.objects.select_related(
            "cycle", "cycle__unit", "cycle__scheme", "person", "department", "post"
        )
        .filter(pk=pk)
        .first()
    )
    if appraisal is None or not can_read_appraisal(user, appraisal):
        raise Http404
    return appraisal, viewer_of(user, appraisal)


def viewer_of(user: Any, appraisal: Appraisal) -> Viewer:
    if can_see_cycle_office(user, appraisal.cycle):
        return "office"
    if scope_for(user).person_id == appraisal.person_id:
        return "self"
    return "reader"


def is_superior_of(user: Any, appraisal: Appraisal) -> bool:
    """The person's direct superior, or their rater in the superior group of this cycle."""
    person_id = scope_for(user).person_id
    if person_id is None or person_id == appraisal.person_id:
        return False
    if appraisal.person.superior_id == person_id:
        return True
    return (
        Assignment.objects.filter(
            appraisal=appraisal, group=RaterGroup.SUPERIOR, rater_id=person_id
        )
        .exclude(status=AssignmentStatus.CANCELLED)
        .exists()
    )


def get_appraisal_for_kpi(user: Any, pk: int, *, override: bool) -> Appraisal:
    """For the KPI pages: overriding is for those who run the cycle; commenting for the
    person's superior (at any phase, since they comment while rating). 404 to those who may
    not read the appraisal, 403 to readers without the right."""
    appraisal = (
        Appraisal.objects.select_related(
            "cycle", "cycle__unit", "cycle__scheme", "person", "department", "post"
        )
        .filter(pk=pk)
        .first()
    )
    if appraisal is None:
        raise Http404
    superior = not override and is_superior_of(user, appraisal)
    if not superior and not can_read_appraisal(user, appraisal):
        raise Http404
    if override and not can_manage_cycle(user, appraisal.cycle):
        raise forbidden()
    if not override and not superior:
        raise forbidden()
    return appraisal


@dataclass
class GroupLine:
    code: str
    label: str
    weight: float
    respondents: int
    min_responses: int
    used: bool
    score: float | None
    raw: float | None
    corrected: bool
    anonymous: bool
    hidden: bool
    """Below the minimum number of responses, for a viewer other than the office."""

    @property
    def change(self) -> float | None:
        if self.score is None or self.raw is None or not self.corrected:
            return None
        return round(self.score - self.raw, 3)

    @property
    def below_minimum(self) -> bool:
        return self.respondents < self.min_responses


@dataclass
class KpiLine:
    item: SchemeItem
    row: KpiScore | None

    @property
    def version(self) -> int:
        return self.row.version if self.row is not None else 0

    @property
    def score(self) -> float | None:
        return self.row.score if self.row is not None else None

    @property
    def overridden(self) -> bool:
        return self.row is not None and self.row.override is not None


@dataclass
class SectionLine:
    code: str
    name: str
    kind: str
    weight: float
    score: float | None
    raw: float | None
    groups: list[GroupLine] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.score is None or self.raw is None:
            return None
        return round(self.score - self.raw, 3)


@dataclass
class ResultView:
    appraisal: Appraisal
    viewer: Viewer
    shown: bool
    """Whether scores and grades are shown at all (the person sees them once results show)."""
    sections: list[SectionLine]
    explanation: list[str]
    comments: list[CommentLine]
    """The raters' comments shown to this viewer, group by group (result_comments.py)."""
    department_size: int
    unit_size: int
    band_label: str
    suggested_label: str
    tie: TieInfo | None
    stale: bool
    results: CycleResults | None = None
    """The cycle's grade counts and rules (with its sections), when shown."""
    summary: str = ""
    """The personal summary as this reader may see it (self_assessment.can_read_summary)."""
    comment_groups: list[CommentGroup] = field(default_factory=list)
    comments_waiting: bool = False
    """Anonymous comments are held back until rating is over (the office, during rating)."""

    @property
    def is_office(self) -> bool:
        return self.viewer == "office"

    @property
    def total_change(self) -> float | None:
        a = self.appraisal
        if a.total is None or a.raw_total is None:
            return None
        return round(a.total - a.raw_total, 3)


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def result_view(appraisal: Appraisal, viewer: Viewer, *, summary: str = "") -> ResultView:
    """Everything the result page shows; a fixed number of queries. `summary` is the
    personal summary the reader may see (their own draft, else only a submitted one: see
    self_assessment.can_read_summary), empty when none."""
    cycle = appraisal.cycle
    shown = viewer == "office" or shows_results(cycle)
    scheme_sections = list(cycle.scheme.sections.order_by("position", "id"))
    groups = list(SchemeGroup.objects.filter(scheme_id=cycle.scheme_id).order_by("id"))
    scheme_items = list(
        SchemeItem.objects.filter(section__scheme_id=cycle.scheme_id)
        .select_related("section")
        .order_by("section__position", "position", "id")
    )
    kpi_items = [it for it in scheme_items if it.section.kind == SectionKind.KPI]
    item_by_code = {(it.section_id, it.code): it for it in scheme_items}
    scores = {
        k.item_id: k
        for k in KpiScore.objects.filter(appraisal=appraisal).select_related("overridden_by")
    }
    stored = {s.get("code"): s for s in (appraisal.breakdown or {}).get("sections", [])}
    hide_small = viewer != "office"
    sections: list[SectionLine] = []
    for section in scheme_sections:
        data = stored.get(section.code, {})
        line = SectionLine(
            code=section.code,
            name=section.name,
            kind=section.kind,
            weight=float(section.weight),
            score=_f(data.get("score")) if shown else None,
            raw=_f(data.get("raw")) if shown else None,
        )
        if not shown:
            pass
        elif section.kind == SectionKind.RATING:
            found = {g.get("group"): g for g in data.get("groups", [])}
            for g in groups:
                if section.code not in (g.sections or []):
                    continue
                entry = found.get(g.group, {})
                respondents = int(entry.get("respondents", 0))
                # Below the minimum: no detail, except that a named group may say it has
                # no responses at all.
                hidden = (
                    hide_small
                    and respondents < g.min_responses
                    and (respondents > 0 or g.anonymous)
                )
                line.groups.append(
                    GroupLine(
                        code=g.group,
                        label=g.get_group_display(),
                        weight=float(g.weight),
                        respondents=0 if hidden else respondents,
                        min_responses=g.min_responses,
                        used=bool(entry.get("used", False)),
                        score=None if hidden else _f(entry.get("score")),
                        raw=None if hidden else _f(entry.get("raw")),
                        corrected=bool(entry.get("corrected", g.standardize)),
                        anonymous=g.anonymous,
                        hidden=hidden,
                    )
                )
        elif section.kind == SectionKind.KPI:
            line.kpis = [
                KpiLine(item, scores.get(item.pk))
                for item in kpi_items
                if item.section_id == section.pk
            ]
        else:
            line.items = _direct_items(section, data.get("items", []), item_by_code)
        sections.append(line)
    said = result_comments(appraisal, groups, hide_small=hide_small) if shown else None
    department_size = unit_size = 0
    results: CycleResults | None = None
    if shown:
        results = cycle_results(cycle, with_sections=True)
        unit_size = results.scored
        department_size = Appraisal.objects.filter(
            cycle=cycle, department_id=appraisal.department_id, total__isnull=False
        ).count()  # the (cycle, department) index
    return ResultView(
        appraisal=appraisal,
        viewer=viewer,
        shown=shown,
        sections=sections,
        explanation=grade_explanation(appraisal, results) if shown else [],
        comments=said.lines if said is not None else [],
        department_size=department_size,
        unit_size=unit_size,
        band_label=results.label(appraisal.band_grade) if results and appraisal.band_grade else "",
        suggested_label=results.label(appraisal.suggested_grade)
        if results and appraisal.suggested_grade
        else "",
        tie=results.tie_of(appraisal) if results is not None else None,
        stale=bool(results and results.stale),
        results=results,
        summary=summary,
        comment_groups=said.groups if said is not None else [],
        comments_waiting=bool(said and said.waiting),
    )


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class ResultFilter:
    department_id: int | None = None
    grade: str = ""
    """A grade code, or "-" for those without a suggested grade."""
    eligibility: str = ""
    ties: bool = False
    q: str = ""
    sort: str = "score"

    @property
    def is_empty(self) -> bool:
        return (
            self.department_id is None
            and not self.grade
            and not self.eligibility
            and not self.ties
            and not self.q.strip()
        )


def team_q(user: Any) -> Q | None:
    """The appraisals a department head (or a superior of people outside their departments)
    reads: None for everything."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return None
    q = Q(pk__in=[])
    for path in scope.read_paths:
        q |= Q(department__path__startswith=path)
    if scope.outside_report_ids:
        q |= Q(person_id__in=sorted(scope.outside_report_ids))
    return q


def get_cycle_for_results(user: Any, pk: int, *, team: bool = False) -> Cycle:
    """The cycle for its results list. The office list needs the office (403 to a head or an
    appraisee of the cycle, 404 to anybody else); the team list needs a read scope over some
    of its people once results show (the office always)."""
    cycle = Cycle.objects.select_related("unit", "scheme").filter(pk=pk).first()
    if cycle is None:
        raise Http404
    if can_see_cycle_office(user, cycle):
        return cycle
    scope = scope_for(user)
    involved = scope.person_id is not None and (
        Appraisal.objects.filter(cycle=cycle, person_id=scope.person_id).exists()
    )
    q = team_q(user)
    has_team = q is not None and Appraisal.objects.filter(Q(cycle=cycle) & q).exists()
    if not involved and not has_team:
        raise Http404
    if not team or not has_team or not shows_results(cycle):
        raise forbidden()
    return cycle


def team_cycles(user: Any, cycles: Iterable[Cycle]) -> set[int]:
    """Of these cycles, those with some of their people in the user's read scope: their team
    results page opens for the user once results show (`get_cycle_for_results(team=True)`).
    One query, whatever the number of cycles."""
    ids = [c.pk for c in cycles]
    if not ids:
        return set()
    team = Appraisal.objects.filter(cycle_id=OuterRef("pk"))
    q = team_q(user)
    if q is not None:
        team = team.filter(q)
    return set(Cycle.objects.filter(pk__in=ids).filter(Exists(team)).values_list("pk", flat=True))


def results_filtered(
    cycle: Cycle, f: ResultFilter, scope_q: Q | None = None
) -> QuerySet[Appraisal]:
    """The cycle's appraisals matching the filter (unordered), with person, department and
    post joined."""
    qs = Appraisal.objects.filter(cycle=cycle)
    if scope_q is not None:
        qs = qs.filter(scope_q)
    if f.department_id is not None:
        path = Department.objects.filter(pk=f.department_id).values_list("path", flat=True).first()
        qs = qs.filter(department__path__startswith=path or "-")
    if f.grade == "-":
        qs = qs.filter(suggested_grade="")
    elif f.grade:
        qs = qs.filter(suggested_grade=f.grade)
    if f.eligibility:
        qs = qs.filter(eligibility=f.eligibility)
    if f.ties:
        qs = qs.filter(tie=True)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(person__name__icontains=term) | Q(person__employee_no__icontains=term))
    return qs.select_related("person", "department", "post")


class SortedResults:
    """A sliceable, countable list of results for Paginator and the API.

    Sorted by score, it reads the scored rows in the order of the (cycle, −total) index and
    then those without a score, so the database never sorts the whole cycle; the count comes
    from `known_count` when the caller already has it (the grade counts of an unfiltered
    list), else from one aggregate.
    """

    def __init__(
        self,
        qs: QuerySet[Appraisal],
        sort: str,
        *,
        grade_order: Sequence[str] = (),
        known_count: tuple[int, int] | None = None,
    ) -> None:
        self.qs = qs
        self.sort = sort if sort in SORTS else "score"
        self.grade_order = list(grade_order)
        self._counts = known_count

    def counts(self) -> tuple[int, int]:
        """(all rows, rows with a score)."""
        if self._counts is None:
            got = self.qs.order_by().aggregate(n=Count("id"), scored=Count("total"))
            self._counts = (int(got["n"]), int(got["scored"]))
        return self._counts

    def count(self) -> int:
        return self.counts()[0]

    def __len__(self) -> int:
        return self.count()

    def ordered(self) -> QuerySet[Appraisal]:
        """The whole list in one ordering (for sorts other than score, and for exports)."""
        qs = self.qs
        last = F("total").desc(nulls_last=True)
        if self.sort == "rank":
            return qs.order_by(F("rank_unit").asc(nulls_last=True), last, "id")
        if self.sort == "department":
            return qs.order_by("department__path", last, "id")
        if self.sort == "number":
            return qs.order_by("person__employee_no")
        if self.sort == "grade":
            position = Case(
                *[
                    When(suggested_grade=code, then=Value(i))
                    for i, code in enumerate(self.grade_order)
                ],
                default=Value(len(self.grade_order)),
                output_field=IntegerField(),
            )
            return qs.order_by(position, last, "id")
        return qs.order_by(last, "id")

    def __getitem__(self, key: slice) -> list[Appraisal]:
        if not isinstance(key, slice):
            raise TypeError("SortedResults takes slices only")
        start = key.start or 0
        stop = key.stop if key.stop is not None else self.count()
        if stop <= start:
            return []
        if self.sort != "score":
            return list(self.ordered()[start:stop])
        _n, scored = self.counts()
        rows: list[Appraisal] = []
        if start < scored:
            rows = list(
                self.qs.filter(total__isnull=False).order_by("-total", "id")[
                    start : min(stop, scored)
                ]
            )
        if stop > scored:
            rest_start = max(0, start - scored)
            rows += list(
                self.qs.filter(total__isnull=True).order_by("id")[rest_start : stop - scored]
            )
        return rows


def _direct_items(
    section: SchemeSection,
    stored: list[dict[str, Any]],
    item_by_code: dict[tuple[int, str], SchemeItem],
) -> list[dict[str, Any]]:
    """A section's directly scored items: the score from the breakdown, the name and weight
    from the scheme (a breakdown written before it held only codes keeps its own)."""
    out = []
    for entry in stored:
        if entry.get("code") == FEED_ITEM_CODE and section.kind == SectionKind.FEED:
            out.append(
                {
                    "code": FEED_ITEM_CODE,
                    "name": _("Mean of the regular cycles' results"),
                    "weight": 100.0,
                    "score": _f(entry.get("score")),
                }
            )
            continue
        item = item_by_code.get((section.pk, str(entry.get("code"))))
        out.append(
            {
                "code": entry.get("code"),
                "name": item.name if item is not None else entry.get("name", entry.get("code")),
                "weight": float(item.weight) if item is not None else entry.get("weight"),
                "score": _f(entry.get("score")),
            }
        )
    return out


def section_scores(a: Appraisal, sections: Iterable[SchemeSection]) -> list[float | None]:
    """The appraisal's score of each section (in the given order), from its breakdown."""
    stored = {s.get("code"): s.get("score") for s in (a.breakdown or {}).get("sections", [])}
    return [_f(stored.get(s.code)) for s in sections]


def my_appraisals(user: Any) -> QuerySet[Appraisal]:
    """The user's own appraisals, newest cycle first."""
    person_id = scope_for(user).person_id
    if person_id is None:
        return Appraisal.objects.none()
    return (
        Appraisal.objects.filter(person_id=person_id)
        .select_related("cycle", "cycle__scheme", "department", "post", "person")
        .order_by("-cycle__start", "-cycle_id")
    )
