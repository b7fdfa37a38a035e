"""The rating grid's read model: the items a rater group rates (with their BARS levels), one
row per ratee with the values typed or saved, and the parsing of a posted grid into the
inputs of rating.ratings_save or codes.code_submit.

The same grid serves a named rater (rows keyed by assignment), the self-assessment (one row)
and a one-time code (rows keyed by appraisal). Loading is a fixed number of queries whatever
the number of ratees: the group, its items and their levels, the assignments with their
ratees, and their ratings.

Rules stay in the services: which items a group rates comes from rating.items_for_groups,
whether a value is in range and whether a row is complete is decided by write_ratings; this
module only maps its field errors back onto cells.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    RaterGroup,
    Rating,
    SchemeGroup,
    SchemeItem,
)
from jixiao.appraisals.rating import (
    DEFAULT_PHASES,
    RATING_PHASES,
    AssignmentInput,
    RatingInput,
    items_for_groups,
)
from jixiao.core.errors import DomainError
from jixiao.goals.selectors import goals_visible_to
from jixiao.indicators.models import BarsLevel
from jixiao.org.access import scope_for

HIDDEN_STATUSES = (AssignmentStatus.CANCELLED, AssignmentStatus.PENDING)
"""Assignments that are not (or not yet) the rater's to fill in."""


@dataclass(frozen=True)
class Level:
    level: int
    title: str
    description: str
    points: float

    @property
    def key(self) -> str:
        return str(self.level)


@dataclass(frozen=True)
class GridItem:
    id: int
    code: str
    name: str
    section: str
    description: str
    max_score: float
    levels: tuple[Level, ...]
    """Best first (5 → 1); empty for an item scored with a number."""

    @property
    def is_bars(self) -> bool:
        return bool(self.levels)


@dataclass
class GridRow:
    key: int
    """The assignment id, or for a one-time code the appraisal id."""
    appraisal_id: int
    person_id: int
    name: str
    department: str
    post: str
    status: str = AssignmentStatus.OPEN
    version: int = 1
    values: dict[int, str] = field(default_factory=dict)
    comment: str = ""
    missing: set[int] = field(default_factory=set)
    cell_errors: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflict: bool = False
    has_summary: bool = False
    has_goals: bool = False

    @property
    def readonly(self) -> bool:
        return self.status == AssignmentStatus.SUBMITTED

    @property
    def touched(self) -> bool:
        return self.status == AssignmentStatus.DRAFT or bool(self.values) or bool(self.comment)


@dataclass
class Grid:
    cycle: Cycle
    group: str
    group_label: str
    anonymous: bool
    min_responses: int
    items: list[GridItem]
    rows: list[GridRow]
    open: bool
    """Whether the cycle's phase lets this group rate now."""

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.readonly)

    @property
    def editable_rows(self) -> list[GridRow]:
        return [r for r in self.rows if not r.readonly]

    def row(self, key: int) -> GridRow | None:
        return next((r for r in self.rows if r.key == key), None)

    @property
    def table(self) -> list[RowView]:
        """The rows with one cell per item, as the template walks them."""
        return [
            RowView(r, [Cell.of(r, i, self.open and not r.readonly) for i in self.items])
            for r in self.rows
        ]


@dataclass(frozen=True)
class Cell:
    item: GridItem
    name: str
    value: str
    missing: bool
    error: str
    editable: bool
    label: str

    @classmethod
    def of(cls, row: GridRow, item: GridItem, editable: bool) -> Cell:
        return cls(
            item,
            field_name(row.key, item.id),
            row.values.get(item.id, ""),
            item.id in row.missing,
            row.cell_errors.get(item.id, ""),
            editable,
            f"{row.name} · {item.name}",
        )

    @property
    def display(self) -> str:
        """The saved value of a read-only cell: "4 · 良好" for a level, else the number."""
        for lv in self.item.levels:
            if lv.key == self.value:
                return f"{lv.level} · {lv.title}"
        return self.value or "—"

    @property
    def html(self) -> SafeString:
        """The whole <td>. Built here rather than in the template: a grid of 30 people × 5
        items × 5 levels is 750 radio buttons, which Django's template engine renders ten
        times slower than this (and the grid must render in well under 200 ms)."""
        e = conditional_escape
        bad = self.missing or bool(self.error)
        parts = [
            f'<td class="rate-cell{" is-missing" if bad else ""}" data-cell '
            f'data-item="{self.item.id}"{' aria-invalid="true"' if bad else ""}>'
            f'<span class="rate-cell-label d-md-none">{e(self.item.name)}</span>'
        ]
        name = e(self.name)
        if not self.editable:
            parts.append(
                f'<span class="rate-value" data-value="{e(self.value)}">{e(self.display)}</span>'
            )
        elif self.item.is_bars:
            parts.append(
                f'<div class="btn-group btn-group-sm rate-levels" role="radiogroup" '
                f'aria-label="{e(self.label)}">'
            )
            for lv in self.item.levels:
                title = e(lv.title)
                on = " checked" if lv.key == self.value else ""
                parts.append(
                    f'<input type="radio" class="btn-check" name="{name}" id="{name}-{lv.level}" '
                    f'value="{lv.level}" data-level="{lv.level}"{on}>'
                    f'<label class="btn btn-outline-primary" for="{name}-{lv.level}" '
                    f'title="{title}" data-level="{lv.level}">{lv.level}'
                    f'<span class="rate-level-title">{title}</span></label>'
                )
            parts.append("</div>")
        else:
            parts.append(
                f'<input type="text" inputmode="decimal" class="form-control form-control-sm '
                f'rate-number" name="{name}" value="{e(self.value)}" autocomplete="off" '
                f'aria-label="{e(self.label)}" placeholder="0–{self.item.max_score:g}">'
            )
        if self.error:
            parts.append(
                f'<div class="invalid-feedback d-block" data-cell-error>{e(self.error)}</div>'
            )
        elif self.missing:
            parts.append(
                f'<div class="invalid-feedback d-block" data-missing>{e(_("Missing"))}</div>'
            )
        parts.append("</td>")
        return mark_safe("".join(parts))  # every value above is escaped


@dataclass(frozen=True)
class RowView:
    row: GridRow
    cells: list[Cell]


# ---------------------------------------------------------------- loading


def rating_is_open(cycle: Cycle, group: str) -> bool:
    return cycle.phase in RATING_PHASES.get(group, DEFAULT_PHASES)


def grid_items(scheme_id: int, group: str) -> list[GridItem]:
    """The items the group rates, in the scheme's order, with their levels (three queries
    after items_for_groups' three)."""
    rules = items_for_groups(scheme_id).get(group, {})
    items = list(
        SchemeItem.objects.filter(pk__in=list(rules))
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )
    levels: dict[int, list[Level]] = defaultdict(list)
    for lv in BarsLevel.objects.filter(
        indicator_id__in={i.indicator_id for i in items if i.indicator_id}
    ).order_by("indicator_id", "-level"):
        levels[lv.indicator_id].append(Level(lv.level, lv.title, lv.description, float(lv.points)))
    return [
        GridItem(
            id=i.pk,
            code=i.code,
            name=i.name,
            section=i.section.name,
            description=i.description,
            max_score=float(i.max_score),
            levels=tuple(levels.get(i.indicator_id, ())) if i.indicator_id else (),
        )
        for i in items
    ]


def _group_settings(scheme_id: int, group: str) -> SchemeGroup | None:
    return SchemeGroup.objects.filter(scheme_id=scheme_id, group=group).first()


def _display(value: float, level: int | None) -> str:
    if level is not None:
        return str(level)
    return f"{value:g}"


def _row_of(appraisal: Appraisal, key: int) -> GridRow:
    return GridRow(
        key=key,
        appraisal_id=appraisal.pk,
        person_id=appraisal.person_id,
        name=appraisal.person.name,
        department=appraisal.department.name,
        post=appraisal.post.name if appraisal.post else "",
        has_summary=appraisal.self_submitted_at is not None,
    )


def _make_grid(cycle: Cycle, group: str, rows: list[GridRow]) -> Grid:
    settings = _group_settings(cycle.scheme_id, group)
    return Grid(
        cycle=cycle,
        group=group,
        group_label=str(RaterGroup(group).label) if group in RaterGroup.values else group,
        anonymous=bool(settings and settings.anonymous),
        min_responses=settings.min_responses if settings else 1,
        items=grid_items(cycle.scheme_id, group),
        rows=rows,
        open=rating_is_open(cycle, group),
    )


def own_assignments(
    user: Any, cycle_id: int | None = None, group: str | None = None
) -> QuerySet[Assignment]:
    """The user's own assignments that are theirs to fill in, with the ratees joined: of one
    cycle (and group) or of all."""
    person_id = scope_for(user).person_id
    if person_id is None:
        return Assignment.objects.none()
    qs = Assignment.objects.filter(rater_id=person_id).exclude(status__in=HIDDEN_STATUSES)
    if cycle_id is not None:
        qs = qs.filter(cycle_id=cycle_id)
    if group is not None:
        qs = qs.filter(group=group)
    return qs.select_related(
        "appraisal", "appraisal__person", "appraisal__department", "appraisal__post"
    ).order_by("appraisal__department__path", "appraisal__person__employee_no", "id")


def rater_grid(user: Any, cycle_id: int, group: str, *, for_display: bool = True) -> Grid:
    """The grid of the user's own assignments in one group of a cycle; 404 when they have
    none there (whether or not the cycle exists). Without `for_display` (a posted grid, which
    is redirected once saved) the stored values and the goals links are left out until
    `complete_for_display` adds them for a page shown again."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None or group not in RaterGroup.values:
        raise Http404
    assignments = list(own_assignments(user, cycle.pk, group))
    if not assignments:
        raise Http404
    rows: list[GridRow] = []
    for a in assignments:
        row = _row_of(a.appraisal, a.pk)
        row.status, row.version, row.comment = a.status, a.version, a.comment
        rows.append(row)
    grid = _make_grid(cycle, group, rows)
    if for_display:
        _add_stored_values(grid.rows)
        _mark_visible_goals(user, cycle, grid.rows)
    return grid


def complete_for_display(user: Any, grid: Grid) -> None:
    """What rater_grid(for_display=False) left out, for the page shown again after a posted
    grid was refused: the stored values of the rows the rater can no longer edit (the
    editable ones keep what was typed) and the goals links."""
    _add_stored_values([r for r in grid.rows if r.readonly])
    _mark_visible_goals(user, grid.cycle, grid.rows)


def _add_stored_values(rows: list[GridRow]) -> None:
    by_key = {r.key: r for r in rows}
    if not by_key:
        return
    for assignment_id, item_id, value, level in Rating.objects.filter(
        assignment_id__in=list(by_key)
    ).values_list("assignment_id", "item_id", "value", "level"):
        by_key[assignment_id].values[item_id] = _display(value, level)


def code_grid(cycle: Cycle, group: str, ratees: Sequence[Appraisal]) -> Grid:
    """The grid of a one-time code: the batch's ratees, nothing typed yet, no links."""
    return _make_grid(cycle, group, [_row_of(a, a.pk) for a in ratees])


def _mark_visible_goals(user: Any, cycle: Cycle, rows: list[GridRow]) -> None:
    """Flag the ratees whose goals of the cycle's period the rater may read (one query)."""
    people = {r.person_id for r in rows}
    visible = set(
        goals_visible_to(user)
        .filter(person_id__in=people, period_start__lte=cycle.end, period_end__gte=cycle.start)
        .order_by()
        .values_list("person_id", flat=True)
        .distinct()
    )
    for r in rows:
        r.has_goals = r.person_id in visible


# ---------------------------------------------------------------- a posted grid


def field_name(key: int, item_id: int | str) -> str:
    return f"r{key}-{item_id}"


@dataclass
class Posted:
    """What a posted grid holds for the rows it may write: the service inputs, and for each
    input its row, so that the service's field errors find their cells again."""

    entries: list[AssignmentInput] = field(default_factory=list)
    rows: list[GridRow] = field(default_factory=list)
    item_order: list[list[int]] = field(default_factory=list)
    invalid: bool = False


def apply_post(grid: Grid, data: Mapping[str, Any]) -> None:
    """Put the typed values (and versions) of the editable rows into the grid, so a page
    shown again keeps everything the rater typed."""
    for row in grid.editable_rows:
        row.values = {}
        for item in grid.items:
            raw = str(data.get(field_name(row.key, item.id), "") or "").strip()
            if raw:
                row.values[item.id] = raw[:32]
        row.comment = str(data.get(field_name(row.key, "comment"), "") or "").strip()[:2000]
        version = str(data.get(field_name(row.key, "version"), "") or "")
        if version.isdigit():
            row.version = int(version)  # the service compares it with the stored one


def inputs_for(grid: Grid, rows: Iterable[GridRow]) -> Posted:
    """The service inputs of these rows from their (typed) values. A value that is not a
    level or a number is marked on its cell here; everything else is the service's call."""
    posted = Posted()
    items = {i.id: i for i in grid.items}
    for row in rows:
        ratings: list[RatingInput] = []
        order: list[int] = []
        for item_id, raw in row.values.items():
            item = items[item_id]
            if item.is_bars:
                if not raw.isdigit():
                    row.cell_errors[item_id] = _("Choose one of the scale's levels.")
                    posted.invalid = True
                    continue
                ratings.append(RatingInput(item_id=item_id, level=int(raw)))
            else:
                number = _number(raw)
                if number is None:
                    row.cell_errors[item_id] = _("Enter a number.")
                    posted.invalid = True
                    continue
                ratings.append(RatingInput(item_id=item_id, value=number))
            order.append(item_id)
        posted.entries.append(AssignmentInput(row.key, row.version, ratings, row.comment))
        posted.rows.append(row)
        posted.item_order.append(order)
    return posted


def _number(raw: str) -> float | None:
    try:
        value = float(raw.replace("，", ".").replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


ENTRY = re.compile(r"^entries\[(\d+)\](?:\.ratings\[(\d+)\])?")


def show_errors(grid: Grid, posted: Posted, error: DomainError) -> list[str]:
    """Mark the cells and rows the service refused; return the messages that belong to no
    row. An incomplete row gets its empty cells marked as missing."""
    general: list[str] = []
    for fe in error.all_errors():
        match = ENTRY.match(fe.field or "")
        if match is None or int(match.group(1)) >= len(posted.rows):
            general.append(str(fe.message))
            continue
        row = posted.rows[int(match.group(1))]
        if match.group(2) is not None:
            order = posted.item_order[int(match.group(1))]
            k = int(match.group(2))
            if k < len(order):
                row.cell_errors[order[k]] = str(fe.message)
                continue
        if fe.code == "incomplete":
            row.missing = {i.id for i in grid.items if i.id not in row.values}
        row.errors.append(str(fe.message))
    return general


def mark_missing(grid: Grid, rows: Iterable[GridRow]) -> None:
    for row in rows:
        row.missing = {i.id for i in grid.items if i.id not in row.values}


def refresh_versions(grid: Grid, fresh: Grid) -> None:
    """After a concurrent edit: keep what was typed, take the stored versions and statuses,
    and flag the rows that changed elsewhere."""
    for row in grid.rows:
        new = fresh.row(row.key)
        if new is None:
            continue
        if new.version != row.version or new.status != row.status:
            row.conflict = True
        row.version = new.version
        if new.readonly:
            row.status, row.values, row.comment = new.status, new.values, new.comment
