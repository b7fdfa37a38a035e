"""The raters' comments on a person's result (the result page and the result API), grouped by
rater group in the scheme's order.

Named groups (not anonymous) show each comment with its rater's name, as the result page always
has; below the group's minimum number of responses they are hidden from the appraisee and their
heads (as the group's detail is), not from the office.

Anonymous groups, and one-time codes in any group, must never lead back to a rater:
- their comments are read as text only: the query selects the group and the comment, never the
  rater, the code, the assignment's id or its submission time, so nothing downstream can show
  them;
- they are shown in an order that follows none of those: by an HMAC of the text keyed with
  SECRET_KEY, the cycle's seed and the appraisal (stable across page loads, not guessable);
- they are shown, to everybody and the office included, only when the group has its minimum
  number of responses (the count the group's detail uses, and never more than its submitted
  assignments): one or two comments below the threshold tell too much;
- they are shown only once rating is over (computing, results, closed): while ratings come in,
  an office watching the workload counts could match a new comment to whoever just submitted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.crypto import salted_hmac

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    CyclePhase,
    SchemeGroup,
)

ORDER_SALT = "jixiao.appraisals.result_comments.order"
WAIT_PHASES = (CyclePhase.DRAFT, CyclePhase.SELF_ASSESSMENT, CyclePhase.RATING)
"""Phases in which ratings may still arrive: anonymous comments wait until the cycle leaves
them."""


@dataclass(frozen=True)
class CommentLine:
    group: str
    """The rater group's label."""
    rater: str
    """The named rater's name; always empty for an anonymous comment."""
    text: str
    group_code: str = ""
    anonymous: bool = False


@dataclass(frozen=True)
class CommentGroup:
    code: str
    label: str
    anonymous: bool
    comments: list[CommentLine] = field(default_factory=list)


@dataclass(frozen=True)
class ResultComments:
    groups: list[CommentGroup]
    """The groups with comments shown, in the scheme's order."""
    waiting: bool = False
    """Anonymous comments are held back until rating is over (the office, during rating)."""

    @property
    def lines(self) -> list[CommentLine]:
        """Every comment shown, group by group."""
        return [c for g in self.groups for c in g.comments]


def comment_order_key(appraisal: Appraisal, text: str) -> str:
    """Where an anonymous comment goes among the others of its group: a keyed hash of its
    text, unrelated to who wrote it or when."""
    value = f"{appraisal.cycle.seed}:{appraisal.pk}:{text}"
    return salted_hmac(ORDER_SALT, value, algorithm="sha256").hexdigest()


def respondents_by_group(breakdown: Mapping[str, Any] | None) -> dict[str, int]:
    """Each group's number of responses as the result page counts it: the largest over the
    sections it rates, from the stored breakdown."""
    out: dict[str, int] = defaultdict(int)
    for section in (breakdown or {}).get("sections", []):
        for g in section.get("groups", []):
            code = str(g.get("group"))
            out[code] = max(out[code], int(g.get("respondents", 0) or 0))
    return dict(out)


def result_comments(
    appraisal: Appraisal, groups: Sequence[SchemeGroup], *, hide_small: bool
) -> ResultComments:
    """The comments on this appraisal that the viewer may read: two queries at most.

    `hide_small`: the viewer is not the office (named groups below their minimum are hidden).
    """
    by_code = {g.group: g for g in groups}
    anonymous_groups = [g.group for g in groups if g.anonymous]
    respondents = respondents_by_group(appraisal.breakdown)
    submitted = Assignment.objects.filter(appraisal=appraisal, status=AssignmentStatus.SUBMITTED)
    counts: dict[str, int] = defaultdict(int)
    anonymous_texts: dict[str, list[str]] = defaultdict(list)
    named_with_comment: set[str] = set()
    # Text only: no rater, code, id or time is read for anonymous comments.
    rows = (
        submitted.annotate(
            by_code=ExpressionWrapper(Q(code__isnull=False), output_field=BooleanField())
        )
        .values_list("group", "by_code", "comment")
        .order_by()
    )
    any_code = False
    for group, from_code, comment in rows:
        counts[group] += 1
        any_code = any_code or bool(from_code)
        text = (comment or "").strip()
        if not text:
            continue
        if from_code or group in anonymous_groups:
            anonymous_texts[group].append(text)
        else:
            named_with_comment.add(group)

    def enough(g: SchemeGroup) -> bool:
        got = min(respondents.get(g.group, 0), counts.get(g.group, 0))
        return got >= max(g.min_responses, 1)

    rating_over = appraisal.cycle.phase not in WAIT_PHASES
    named_shown = [
        g.group
        for g in groups
        if g.group in named_with_comment
        and not (hide_small and respondents.get(g.group, 0) < g.min_responses)
    ]
    named: dict[str, list[CommentLine]] = defaultdict(list)
    if named_shown:
        for a in (
            submitted.filter(group__in=named_shown, rater__isnull=False, code__isnull=True)
            .exclude(comment="")
            .select_related("rater")
            .order_by("id")
        ):
            g = by_code[a.group]
            named[a.group].append(
                CommentLine(
                    g.get_group_display(),
                    a.rater.name if a.rater else "",
                    a.comment.strip(),
                    g.group,
                )
            )
    out: list[CommentGroup] = []
    for g in groups:
        lines = [c for c in named.get(g.group, []) if c.text]
        texts = anonymous_texts.get(g.group, [])
        if texts and rating_over and enough(g):
            label = g.get_group_display()
            lines += [
                CommentLine(label, "", text, g.group, anonymous=True)
                for text in sorted(texts, key=lambda t: (comment_order_key(appraisal, t), t))
            ]
        if lines:
            out.append(CommentGroup(g.group, g.get_group_display(), g.anonymous, lines))
    waiting = not rating_over and (bool(anonymous_groups) or any_code)
    return ResultComments(out, waiting)
