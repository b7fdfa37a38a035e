"""The appraisal form (年度考核登记表) as a printable A4 PDF: one person's, or every form of a
cycle in a ZIP file (written by a background task).

WeasyPrint lays the page out with the Debian fonts-noto-cjk fonts; the CJK font is set on
`html`, not `body`, so the page margin boxes (page numbers) use it too. The form holds the
person's details, the period, their summary (述职; a draft only on the person's own form), the
section scores and the suggested grade, and blank space for the supervisor's and the
committee's opinions and the person's own opinion (本人签署意见), each with a signature and a
date. It never holds anything per rater.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from jixiao.appraisals.models import Appraisal, Cycle, CycleKind, Eligibility, SchemeSection
from jixiao.appraisals.selectors_results import (
    CycleResults,
    cycle_results,
    grade_explanation,
    section_scores,
)

FORMS_PER_PROGRESS = 10
Progress = Callable[[int, int], None]


@dataclass
class FormSection:
    name: str
    weight: float
    score: float | None


def form_title(cycle: Cycle) -> str:
    if cycle.kind == CycleKind.ANNUAL:
        return _("Annual appraisal form")
    return _("Appraisal form")


def form_context(
    appraisal: Appraisal,
    results: CycleResults,
    sections: list[SchemeSection],
    *,
    with_scores: bool,
    summary: str | None = None,
) -> dict[str, Any]:
    """What the form shows; no queries (the caller loaded the appraisal with its person,
    department and post, and the cycle's results once). The personal summary is the
    submitted one unless the caller passes what its reader may see (their own draft)."""
    cycle = appraisal.cycle
    scores = section_scores(appraisal, sections)
    return {
        "a": appraisal,
        "cycle": cycle,
        "summary": submitted_summary(appraisal) if summary is None else summary,
        "title": form_title(cycle),
        "person": appraisal.person,
        "sections": [
            FormSection(s.name, float(s.weight), score if with_scores else None)
            for s, score in zip(sections, scores, strict=True)
        ],
        "with_scores": with_scores,
        "graded": appraisal.eligibility in (Eligibility.GRADED, Eligibility.REFUSED),
        "suggested": results.label(appraisal.suggested_grade)
        if with_scores and appraisal.suggested_grade
        else "",
        "explanation": grade_explanation(appraisal, results) if with_scores else [],
    }


def submitted_summary(appraisal: Appraisal) -> str:
    """The summary once submitted; a draft is the person's alone."""
    return appraisal.summary if appraisal.self_submitted_at is not None else ""


def _html(context: dict[str, Any]) -> str:
    return render_to_string("appraisals/form_pdf.html", context)


def _pdf(html: str, font_config: Any = None) -> bytes:
    from weasyprint import HTML  # imported here: loading pango takes a moment

    document = HTML(string=html, base_url=None)
    out: bytes = document.write_pdf(font_config=font_config)
    return out


def appraisal_form_pdf(
    appraisal: Appraisal, *, with_scores: bool, summary: str | None = None
) -> bytes:
    """One person's form. `with_scores` is False for the person before results show;
    `summary` is the summary its reader may see (self_assessment.can_read_summary), by default
    the submitted one only."""
    results = cycle_results(appraisal.cycle)
    sections = list(appraisal.cycle.scheme.sections.order_by("position", "id"))
    context = form_context(appraisal, results, sections, with_scores=with_scores, summary=summary)
    return _pdf(_html(context))


def form_file_name(appraisal: Appraisal) -> str:
    safe = "".join(ch for ch in appraisal.person.name if ch not in '\\/:*?"<>|').strip()
    return f"{appraisal.person.employee_no}-{safe or appraisal.person_id}.pdf"


def write_forms_zip(path: Path, cycle: Cycle, progress: Progress | None = None) -> int:
    """Every form of the cycle into one ZIP file, in the order of 工号; returns how many."""
    from weasyprint.text.fonts import FontConfiguration

    report = progress or (lambda _done, _total: None)
    results = cycle_results(cycle)
    sections = list(cycle.scheme.sections.order_by("position", "id"))
    qs = (
        Appraisal.objects.filter(cycle=cycle)
        .select_related("cycle", "cycle__unit", "cycle__scheme", "person", "department", "post")
        .order_by("person__employee_no")
    )
    total = qs.count()
    report(0, total)
    fonts = FontConfiguration()
    done = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for appraisal in qs.iterator(chunk_size=200):
            html = _html(form_context(appraisal, results, sections, with_scores=True))
            archive.writestr(form_file_name(appraisal), _pdf(html, fonts))
            done += 1
            if done % FORMS_PER_PROGRESS == 0 or done == total:
                report(done, total)
    return done
