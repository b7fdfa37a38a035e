"""Appraisal data for the demo organization (某市政务服务管理局), of any size, from the seed.

Two annual cycles of the civil-servant preset (公务员年度考核), created through the services
(`scheme_from_preset`, `cycle_create`), so that appraisals, eligibility and raters come from
the organization as they would for real:

- this year's cycle in the rating phase: most assignments submitted, some drafts, some not
  started; the demo `employee` still has their own ratings to give (their peers and their
  self-assessment) and the demo `head` has their team to rate; one-time codes (考核码) for
  the 办公室, some used, the others printable; scores, ranks and suggested grades computed;
- last year's cycle in the results phase, every rating given, with grades.

Ratings follow a synthetic "true performance" per person: BARS levels mostly 3–5, a couple
of lenient and a couple of severe raters, one rater who gives the same level to every item
(halo), people on leave who did not rate. Ratings go in as plain rows (COPY on PostgreSQL);
like the goals demo, rows are written as the services would leave them, without audit
records, except where the demo goes through a service (scheme, cycles, codes, code ratings).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from jixiao.accounts.models import User
from jixiao.appraisals import codes, cycles, rating, schemes, scoring, series
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CycleKind,
    CyclePhase,
    RaterGroup,
    Rating,
    Scheme,
    SchemePreset,
)
from jixiao.core.actor import Actor
from jixiao.core.bulk import insert_rows
from jixiao.org import demo as org_demo
from jixiao.org.models import Department, Person, PersonStatus

SCHEME_CODE = "GWY-DEMO"
SUBCENTRE_SUFFIX = "政务服务分中心"
CODE_DEPARTMENT = "办公室"
OPEN_SHARE = 0.08  # assignments not started in this year's cycle
DRAFT_SHARE = 0.03
COMMENT_SHARE = 0.25  # superiors' submitted assignments with a comment
PEER_COMMENT_SHARE = 0.15  # peers' (anonymous) submitted assignments with a comment
CODE_STAFF_MAX = 40
CHUNK = 5000
RATING_CHUNK = 200_000
LENIENT, SEVERE = 3.0, -1.8  # in levels: the lenient give everyone the top level

SUMMARIES = (
    "本年度认真履行岗位职责，按时完成各项工作任务，积极参加理论学习和业务培训，"
    "遵守工作纪律和廉洁规定。不足是主动创新不够，明年将加强业务钻研。",
    "全年围绕部门重点工作，牵头完成多项专项任务，办理时效和群众满意度较上年提高；"
    "坚持学习，严守纪律。今后将在统筹协调和带教新同事方面继续努力。",
    "本人服从工作安排，认真办理经手事项，未发生差错和投诉；参加集中学习和值班。"
    "存在的问题是工作方法还需改进，下一步将向先进同事学习。",
    "年内承担窗口和后台双重任务，业务量居科室前列，多次受到服务对象表扬；"
    "严格执行廉洁自律各项规定。明年争取在数字化办理方面有新突破。",
)
COMMENTS = (
    "工作积极主动，能独立承担重点任务。",
    "业务熟练，办理时效好，建议加强统筹能力。",
    "服从安排，完成任务较好；主动性有待提高。",
    "责任心强，群众评价好，可承担更多带教工作。",
    "完成了基本任务，个别事项办理不够及时。",
)
PEER_COMMENTS = (
    "乐于帮助同事，配合工作很顺畅。",
    "业务上是科室的骨干，遇到难题愿意牵头。",
    "沟通及时，材料质量高。",
    "希望在会议和汇报中多表达自己的意见。",
    "有时工作节奏偏慢，临近期限才完成。",
)


@dataclass
class AppraisalsDemoResult:
    cycles: int
    appraisals: int
    assignments: int
    submitted: int
    ratings: int
    codes: int
    codes_used: int
    sample_codes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    recompute_seconds: float = 0.0

    def summary(self) -> str:
        line = (
            f"考核演示数据已生成 / appraisal demo built: {self.cycles} 个考核周期 cycles, "
            f"{self.appraisals} 份考核 appraisals, {self.assignments} 项评分任务 assignments "
            f"({self.submitted} 已提交 submitted), {self.ratings} 个评分 ratings, "
            f"{self.codes} 个考核码 codes ({self.codes_used} 已使用 used) "
            f"({self.seconds:.1f} s)"
        )
        if self.sample_codes:
            line += "\n  可试用的考核码 / one-time codes to try: " + ", ".join(self.sample_codes)
        return line


# ---------------------------------------------------------------- deleting


def appraisal_models() -> list[type[Model]]:
    """Every model of the app, each after the models that refer to it (children first)."""
    models = list(apps.get_app_config("appraisals").get_models())
    refers: dict[type[Model], set[type[Model]]] = {m: set() for m in models}
    for m in models:
        for f in m._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if target in refers and target is not m:
                refers[target].add(m)  # type: ignore[index]
    ordered: list[type[Model]] = []
    while refers:
        free = [m for m, children in refers.items() if not children - set(ordered)]
        if not free:  # a cycle of references: let the database complain
            free = list(refers)
        for m in sorted(free, key=lambda m: m._meta.label):
            ordered.append(m)
            del refers[m]
    return ordered


def delete_appraisals() -> None:
    """Delete all appraisal data, children first (TRUNCATE on PostgreSQL when nothing else
    refers to these tables). Audit records stay."""
    if not Scheme.objects.exists():
        return  # every appraisal row hangs off a scheme (a cycle needs one): nothing to do
    quote = connection.ops.quote_name
    models = appraisal_models()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            try:
                with transaction.atomic():
                    cursor.execute("TRUNCATE " + ", ".join(quote(m._meta.db_table) for m in models))
                return
            except DatabaseError:
                pass  # another app's table refers to these: delete table by table below
        for model in models:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")


def appraisals_exist() -> bool:
    return Scheme.objects.exists()  # a cycle needs a scheme


# ---------------------------------------------------------------- ratings from a true score


@dataclass
class CycleAssignments:
    """Every assignment of a cycle as arrays, in id order."""

    ids: np.ndarray
    appraisal: np.ndarray
    group: np.ndarray  # group codes
    rater: np.ndarray  # person id, 0 for none
    ratee: np.ndarray  # the appraised person

    @classmethod
    def read(cls, cycle_id: int) -> CycleAssignments:
        quote = connection.ops.quote_name
        sql = (
            f"SELECT a.id, a.appraisal_id, a.{quote('group')}, COALESCE(a.rater_id, 0), "
            f"p.person_id FROM {Assignment._meta.db_table} a "
            f"JOIN {Appraisal._meta.db_table} p ON p.id = a.appraisal_id "
            f"WHERE a.cycle_id = %s ORDER BY a.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [cycle_id])
            rows = cursor.fetchall()
        if not rows:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z, np.zeros(0, dtype="<U16"), z, z)
        ids, appraisal, group, rater, ratee = zip(*rows, strict=True)
        return cls(
            np.array(ids, dtype=np.int64),
            np.array(appraisal, dtype=np.int64),
            np.array(group, dtype="<U16"),
            np.array(rater, dtype=np.int64),
            np.array(ratee, dtype=np.int64),
        )


@dataclass
class Raters:
    """Per rater: their bias in levels, and whether they rate every item alike (halo)."""

    bias: dict[int, float]
    halo: set[int]
    absent: set[int]
    chosen: set[int] = field(default_factory=set)
    """The lenient, severe and halo raters: they submit all their ratings."""


def choose_raters(
    a: CycleAssignments, rng: np.random.Generator, exclude: set[int], absent: set[int]
) -> Raters:
    """A small random leniency for everyone; two lenient, two severe and one halo rater among
    the peers who rate at least three people (never a demo account)."""
    raters = np.unique(a.rater[a.rater > 0])
    bias = dict(zip(raters.tolist(), rng.normal(0.0, 0.2, raters.size).tolist(), strict=True))
    peer_raters, counts = np.unique(a.rater[a.group == RaterGroup.PEER], return_counts=True)
    candidates = [
        int(r)
        for r, n in zip(peer_raters.tolist(), counts.tolist(), strict=True)
        if n >= 3 and r not in exclude and r not in absent
    ]
    chosen = (
        [candidates[i] for i in rng.choice(len(candidates), 5, replace=False)]
        if len(candidates) >= 5
        else candidates
    )
    for r, shift in zip(chosen, (LENIENT, LENIENT, SEVERE, SEVERE), strict=False):
        bias[r] = shift
    return Raters(bias, set(chosen[4:5]), absent, set(chosen))


def statuses(
    a: CycleAssignments,
    rng: np.random.Generator,
    *,
    open_share: float,
    draft_share: float,
    keep_open: np.ndarray,
    absent: set[int],
    complete: set[int] | None = None,
) -> np.ndarray:
    """The status of every assignment: mostly submitted, some drafts and some not started;
    `keep_open` and the assignments of absent raters are not started, those of `complete`
    raters (the lenient, severe and halo ones) all submitted."""
    draw = rng.random(a.ids.size)
    out = np.full(a.ids.size, AssignmentStatus.SUBMITTED, dtype="<U16")
    out[draw < open_share + draft_share] = AssignmentStatus.DRAFT
    out[draw < open_share] = AssignmentStatus.OPEN
    if complete:
        out[np.isin(a.rater, np.array(sorted(complete), dtype=np.int64))] = (
            AssignmentStatus.SUBMITTED
        )
    out[keep_open] = AssignmentStatus.OPEN
    if absent:
        out[np.isin(a.rater, np.array(sorted(absent), dtype=np.int64))] = AssignmentStatus.OPEN
    return out


def rating_rows(
    a: CycleAssignments,
    status: np.ndarray,
    rules: dict[str, dict[int, rating.ItemRules]],
    raters: Raters,
    rng: np.random.Generator,
) -> list[tuple[int, int, float, int | None]]:
    """(assignment, item, value, level) of every assignment that is not "not started".

    level = round(3.7 + 0.6·performance + rater bias + noise), within 1–5; the self group
    is a little kinder to itself; a halo rater gives every item of a ratee the same level.
    """
    people = np.unique(a.ratee)
    truth = rng.normal(0.0, 1.0, people.size)[np.searchsorted(people, a.ratee)]
    bias = np.array([raters.bias.get(int(r), 0.0) for r in a.rater.tolist()])
    halo = (
        np.isin(a.rater, np.array(sorted(raters.halo), dtype=np.int64))
        if raters.halo
        else np.zeros(a.ids.size, bool)
    )
    impression = rng.normal(0.0, 0.3, a.ids.size)
    rows: list[tuple[int, int, float, int | None]] = []
    for group, items in rules.items():
        chosen = np.flatnonzero((a.group == group) & (status != AssignmentStatus.OPEN))
        if not chosen.size or not items:
            continue
        base = 3.7 + 0.6 * truth[chosen] + bias[chosen] + impression[chosen]
        if group == RaterGroup.SELF:
            base += 0.4
        # A halo rater gives each ratee one level for everything: 5, 3, 4, 5, … down the
        # ratees from the best (so the levels differ between ratees and correlate fully).
        halo_level = np.zeros(chosen.size)
        for r in raters.halo:
            mine = np.flatnonzero(a.rater[chosen] == r)
            ranked = mine[np.argsort(-truth[chosen][mine], kind="stable")]
            halo_level[ranked] = np.resize(np.array([5.0, 3.0, 4.0]), ranked.size)
        for item_id, item in sorted(items.items()):
            level = np.clip(np.rint(base + rng.normal(0.0, 0.55, chosen.size)), 1, 5)
            level = np.where(halo[chosen], halo_level, level).astype(np.int64)
            if item.levels:
                known = sorted(item.levels)
                level = np.clip(level, known[0], known[-1])
                points = np.array([item.levels.get(int(n), 0.0) for n in range(known[-1] + 1)])
                values = np.minimum(points[level], item.max_score)
                levels: list[int | None] = level.tolist()
            else:
                values = np.round(level / 5.0 * item.max_score, 1)
                levels = [None] * chosen.size
            rows.extend(
                zip(
                    a.ids[chosen].tolist(),
                    [item_id] * chosen.size,
                    values.tolist(),
                    levels,
                    strict=True,
                )
            )
    return rows


def write_statuses(
    cycle: Cycle, a: CycleAssignments, status: np.ndarray, at: datetime.datetime
) -> None:
    """Everything submitted in one statement, then the exceptions by id."""
    Assignment.objects.filter(cycle=cycle).update(
        status=AssignmentStatus.SUBMITTED, submitted_at=at, version=2
    )
    for value, version in ((AssignmentStatus.OPEN, 1), (AssignmentStatus.DRAFT, 2)):
        ids = a.ids[status == value].tolist()
        for start in range(0, len(ids), CHUNK):
            Assignment.objects.filter(pk__in=ids[start : start + CHUNK]).update(
                status=value, submitted_at=None, version=version
            )


def _update_in_chunks(model: type[Model], ids: Sequence[int], **values: Any) -> None:
    for start in range(0, len(ids), CHUNK):
        model._default_manager.filter(pk__in=ids[start : start + CHUNK]).update(**values)


def write_texts(
    a: CycleAssignments, status: np.ndarray, at: datetime.datetime, rng: np.random.Generator
) -> None:
    """Personal summaries of those who submitted their self-assessment, and comments on some
    of the superiors' and the peers' ratings."""
    done = status == AssignmentStatus.SUBMITTED
    selves = a.appraisal[done & (a.group == RaterGroup.SELF)]
    pick = rng.integers(0, len(SUMMARIES), selves.size)
    for k, text in enumerate(SUMMARIES):
        _update_in_chunks(Appraisal, selves[pick == k].tolist(), summary=text, self_submitted_at=at)
    _comment_some(a, done & (a.group == RaterGroup.SUPERIOR), COMMENT_SHARE, COMMENTS, rng)
    # Peers rate anonymously: their comments show without names once rating is over.
    _comment_some(a, done & (a.group == RaterGroup.PEER), PEER_COMMENT_SHARE, PEER_COMMENTS, rng)


def _comment_some(
    a: CycleAssignments,
    among: np.ndarray,
    share: float,
    texts: Sequence[str],
    rng: np.random.Generator,
) -> None:
    """A comment, one of `texts`, on about `share` of the assignments marked in `among`."""
    candidates = np.flatnonzero(among)
    commented = candidates[rng.random(candidates.size) < share]
    pick = rng.integers(0, len(texts), commented.size)
    for k, text in enumerate(texts):
        _update_in_chunks(Assignment, a.ids[commented[pick == k]].tolist(), comment=text)


def insert_ratings(rows: list[tuple[int, int, float, int | None]]) -> None:
    for start in range(0, len(rows), RATING_CHUNK):
        insert_rows(
            Rating, ["assignment", "item", "value", "level"], rows[start : start + RATING_CHUNK]
        )


# ---------------------------------------------------------------- the builder


def _person_of(username: str) -> int | None:
    return Person.objects.filter(user__username=username).values_list("id", flat=True).first()


def _cycle(
    actor: Actor,
    user: Any,
    scheme: Scheme,
    unit: Department,
    year: int,
    departments: list[int],
    deadlines: dict[str, str],
    seed: int,
) -> Cycle:
    return cycles.cycle_create(
        actor=actor,
        user=user,
        data=cycles.CycleData(
            name=f"{year}年度公务员考核",
            kind="annual",
            unit_id=unit.pk,
            scheme_id=scheme.pk,
            start=datetime.date(year, 1, 1),
            end=datetime.date(year, 12, 31),
            population=cycles.Population(department_ids=departments),
            deadlines=deadlines,
            seed=seed,
        ),
    )


def _code_department(cycle: Cycle, unit: Department) -> tuple[Department, int] | None:
    """The 办公室, or one of its sections when it is large: a democratic appraisal of a few
    dozen people at most, as one sheet of codes would cover."""
    office = Department.objects.filter(parent=unit, name=CODE_DEPARTMENT).first()
    if office is None:
        return None
    for d in [office, *Department.objects.filter(parent=office).order_by("code")]:
        staff = Appraisal.objects.filter(cycle=cycle, department__path__startswith=d.path).count()
        if 4 <= staff <= CODE_STAFF_MAX:
            return d, staff
    return None


def _rate(
    cycle: Cycle,
    rules: dict[str, dict[int, rating.ItemRules]],
    rng: np.random.Generator,
    *,
    open_share: float,
    draft_share: float,
    keep_open: set[tuple[str, int]],
    exclude: set[int],
    absent: set[int],
    at: datetime.datetime,
) -> None:
    """Statuses, ratings, summaries and comments of one cycle."""
    a = CycleAssignments.read(cycle.pk)
    forced = np.zeros(a.ids.size, dtype=bool)
    for group, rater in keep_open:
        forced |= (a.group == group) & (a.rater == rater)
    raters = choose_raters(a, rng, exclude, absent)
    status = statuses(
        a,
        rng,
        open_share=open_share,
        draft_share=draft_share,
        keep_open=forced,
        absent=absent,
        complete=raters.chosen,
    )
    rows = rating_rows(a, status, rules, raters, rng)
    write_statuses(cycle, a, status, at)
    insert_ratings(rows)
    write_texts(a, status, at, rng)


def _use_codes(
    cycle: Cycle,
    batch_codes: list[str],
    rules: dict[int, rating.ItemRules],
    rng: np.random.Generator,
) -> int:
    """Rate through some of the codes, as code holders would (the code service)."""
    used = 0
    for code in batch_codes:
        found = codes.code_open(code=code)
        ratees = codes.code_ratees(found)
        entries = []
        for appraisal in ratees:
            base = 4.0 + rng.normal(0.0, 0.5)
            ratings = []
            for item_id, item in sorted(rules.items()):
                level = int(np.clip(np.rint(base + rng.normal(0.0, 0.4)), 1, 5))
                if item.levels:
                    level = min(max(level, min(item.levels)), max(item.levels))
                    ratings.append(rating.RatingInput(item_id=item_id, level=level))
                else:
                    ratings.append(
                        rating.RatingInput(item_id=item_id, value=level / 5 * item.max_score)
                    )
            entries.append(codes.CodeRating(appraisal.pk, ratings))
        codes.code_submit(code_id=found.pk, entries=entries)
        used += 1
    return used


def _regular_series(
    actor: Actor, user: Any, scheme: Scheme, unit: Department, day: datetime.date
) -> None:
    """The quarterly regular appraisal (平时考核) as a recurring series from the next quarter:
    the office sees when its next cycle will be created, and nothing is created yet."""
    quarter = (day.month - 1) // 3
    first = (
        datetime.date(day.year + 1, 1, 1)
        if quarter == 3
        else datetime.date(day.year, quarter * 3 + 4, 1)
    )
    series.series_create(
        actor=actor,
        user=user,
        today=day,
        data=series.SeriesData(
            name="平时考核",
            kind=CycleKind.QUARTERLY,
            unit_id=unit.pk,
            scheme_id=scheme.pk,
            first_start=first,
            population=cycles.Population(department_ids=[unit.pk]),
            deadline_offsets={
                CyclePhase.SELF_ASSESSMENT: 5,
                CyclePhase.RATING: 12,
                CyclePhase.RESULTS: 20,
            },
            lead_days=7,
        ),
    )


def build_appraisals_demo(
    *,
    seed: int = org_demo.DEFAULT_SEED,
    today: datetime.date | None = None,
    reset: bool = False,
) -> AppraisalsDemoResult:
    """Build the demo appraisals for the organization in the database (see the module
    docstring). With `reset`, delete existing appraisal data first."""
    started = time.perf_counter()
    day = today or datetime.date.today()
    year, prev = day.year, day.year - 1
    if appraisals_exist():
        if not reset:
            raise AppraisalsExist()
        with transaction.atomic():
            delete_appraisals()
    perfadmin = User.objects.filter(username="perfadmin").first()
    unit = Department.objects.filter(parent__isnull=True).order_by("id").first()
    if perfadmin is None or unit is None:
        return AppraisalsDemoResult(0, 0, 0, 0, 0, 0, 0)
    actor = Actor.system(label="jixiao demo", source="cli")
    rng = np.random.default_rng([seed, 5])

    scheme = schemes.scheme_from_preset(
        actor=actor, user=perfadmin, preset=SchemePreset.CIVIL_SERVANT, code=SCHEME_CODE
    )
    top = list(Department.objects.filter(parent=unit).values_list("id", "name"))
    # Last year only the bureau's own departments took part (the sub-centres joined this year).
    own = [pk for pk, name in top if not name.endswith(SUBCENTRE_SUFFIX)]
    days = datetime.timedelta
    current = _cycle(
        actor,
        perfadmin,
        scheme,
        unit,
        year,
        [unit.pk],
        {
            CyclePhase.SELF_ASSESSMENT: (day - days(7)).isoformat(),
            CyclePhase.RATING: (day + days(14)).isoformat(),
            CyclePhase.RESULTS: (day + days(35)).isoformat(),
        },
        seed,
    )
    last = _cycle(
        actor,
        perfadmin,
        scheme,
        unit,
        prev,
        own or [unit.pk],
        {
            CyclePhase.SELF_ASSESSMENT: f"{prev}-12-10",
            CyclePhase.RATING: f"{prev}-12-24",
            CyclePhase.RESULTS: f"{year}-01-20",
        },
        seed,
    )
    _regular_series(actor, perfadmin, scheme, unit, day)
    batch: codes.NewBatch | None = None
    found = _code_department(current, unit)
    if found is not None:
        batch = codes.code_batch_create(
            actor=actor,
            user=perfadmin,
            cycle_id=current.pk,
            department_id=found[0].pk,
            size=found[1] + 2,
        )

    rules = rating.items_for_groups(scheme.pk)
    employee, head = _person_of("employee"), _person_of("head")
    demo_people = {p for p in (employee, head) if p is not None}
    absent = set(
        Person.objects.filter(is_active=True)
        .exclude(status=PersonStatus.ACTIVE)
        .values_list("id", flat=True)
    )
    keep_open: set[tuple[str, int]] = set()
    if employee is not None:
        keep_open |= {(RaterGroup.PEER, employee), (RaterGroup.SELF, employee)}
    if head is not None:
        keep_open.add((RaterGroup.SUPERIOR, head))
    now = timezone.now()
    with transaction.atomic(durable=True):
        Cycle.objects.filter(pk=last.pk).update(phase=CyclePhase.RESULTS, version=5)
        Cycle.objects.filter(pk=current.pk).update(phase=CyclePhase.RATING, version=3)
        _rate(
            last,
            rules,
            rng,
            open_share=0.0,
            draft_share=0.0,
            keep_open=set(),
            exclude=demo_people,
            absent=set(),
            at=datetime.datetime(prev, 12, 20, 10, tzinfo=datetime.UTC),
        )
        _rate(
            current,
            rules,
            rng,
            open_share=OPEN_SHARE,
            draft_share=DRAFT_SHARE,
            keep_open=keep_open,
            exclude=demo_people,
            absent=absent,
            at=now - days(1),
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Assignment, Rating, Appraisal):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    used = 0
    plain: list[str] = []
    if batch is not None:
        current.refresh_from_db()
        # Most codes were used; one was opened and left; the rest are still on the sheet.
        n_used = max(1, len(batch.codes) * 3 // 5)
        used = _use_codes(current, batch.codes[:n_used], rules.get(batch.batch.group, {}), rng)
        if n_used < len(batch.codes):
            codes.code_open(code=batch.codes[n_used])
        plain = batch.codes[n_used + 1 : n_used + 4]
    recompute_started = time.perf_counter()
    scoring.recompute_cycle(last.pk)
    scoring.recompute_cycle(current.pk)
    recompute_seconds = time.perf_counter() - recompute_started
    both = [last.pk, current.pk]
    return AppraisalsDemoResult(
        cycles=2,
        appraisals=Appraisal.objects.filter(cycle__in=both).count(),
        assignments=Assignment.objects.filter(cycle__in=both).count(),
        submitted=Assignment.objects.filter(
            cycle__in=both, status=AssignmentStatus.SUBMITTED
        ).count(),
        ratings=Rating.objects.filter(assignment__cycle__in=both).count(),
        codes=len(batch.codes) if batch else 0,
        codes_used=used,
        sample_codes=plain,
        seconds=time.perf_counter() - started,
        recompute_seconds=recompute_seconds,
    )


class AppraisalsExist(Exception):
    """The database already holds appraisal data and `reset` was not asked."""


def build_for_demo_command(seed: int, today: datetime.date) -> str:
    """The `manage.py demo` hook: appraisals for the organization (and goals) just built."""
    return build_appraisals_demo(seed=seed, today=today, reset=True).summary()


def register() -> None:
    org_demo.register_demo_extension(
        org_demo.DemoExtension(
            name="appraisals", build=build_for_demo_command, clear=delete_appraisals
        )
    )
