"""An annual appraisal, as the people run it, in Chinese: the performance office makes a scheme
from the civil-servant preset and a cycle over the bureau, opens rating and prints one-time
codes; the head of 办公室 rates their people on the grid; a colleague without an account rates
through a code; the office recomputes and reads the suggested grades and one person's
breakdown."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Page, expect

from jixiao.appraisals.models import Appraisal, Assignment, Cycle
from tests.browser.test_goals_journey import sign_out
from tests.browser.test_org_journey import sign_in


def select_containing(page: Page, selector: str, text: str) -> None:
    """Choose the option whose label contains `text` (labels carry codes and indentation)."""
    value = page.locator(f"{selector} option", has_text=text).first.get_attribute("value")
    assert value is not None, (selector, text)
    page.select_option(selector, value)


def rate_every_cell(page: Page, level: str = "4") -> None:
    """Pick the level in every BARS cell and a number in every other cell of the grid."""
    cells = page.locator("#rate-form td[data-cell]")
    for i in range(cells.count()):
        cell = cells.nth(i)
        label = cell.locator(f'label[data-level="{level}"]')
        if label.count():
            label.click()
        else:
            cell.locator("input.rate-number").fill("80")


def test_office_runs_a_cycle_raters_rate_and_the_office_reads_the_grades(
    page: Page, live_server, org
) -> None:
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error" and "favicon" not in message.text:
            problems.append(message.text)

    page.on("console", watch)
    base = live_server.url

    # The office: a scheme from the preset, then a cycle over the whole bureau.
    sign_in(page, base, "perfadmin")
    page.click("#nav-appraisal")
    page.goto(f"{base}/appraisals/schemes/new/")
    page.check("input[name=preset][value=civil_servant]")
    page.fill("#id_code", "GWY-2026")
    page.click("#create-scheme")
    expect(page.locator("body")).to_contain_text("公务员年度考核")
    page.goto(f"{base}/appraisals/cycles/new/")
    page.fill("#id_name", "2026年度考核")
    page.select_option("#id_kind", "annual")
    page.fill("#id_start", "2026-01-01")
    page.fill("#id_end", "2026-12-31")
    select_containing(page, "#id_unit", "某市政务服务管理局")
    select_containing(page, "#id_scheme", "公务员年度考核")
    select_containing(page, "#id_departments", "某市政务服务管理局")
    page.click("#create-cycle")
    expect(page.locator("#phase-next")).to_be_visible()
    cycle = Cycle.objects.get(name="2026年度考核")
    assert Appraisal.objects.filter(cycle=cycle).count() == 4
    for _ in range(2):  # set-up → self-assessment → rating
        page.once("dialog", lambda d: d.accept())
        page.click("#phase-next")
        page.wait_for_load_state()
    cycle.refresh_from_db()
    assert cycle.phase == "rating"

    # One-time codes for 文秘科: shown once, on the sheet to print.
    page.goto(f"{base}/appraisals/cycles/{cycle.pk}/codes/")
    select_containing(page, "#code-batch-form select[name=department]", "文秘科")
    page.fill("#code-batch-form input[name=size]", "3")
    page.click("#make-codes")
    slips = page.locator("#code-slips .code")
    expect(slips).to_have_count(3)
    code = slips.first.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code), code
    sign_out(page)

    # The head rates their two people on the grid and submits both at once.
    sign_in(page, base, "head")
    page.click("#nav-my-ratings")
    page.locator('[data-group="superior"]').first.click()
    expect(page.locator("#rate-form")).to_contain_text("李文")
    rate_every_cell(page, "5")
    page.once("dialog", lambda d: d.accept())
    page.click("#submit-all")
    expect(page.locator('[data-status="submitted"]').first).to_be_visible()
    assert Assignment.objects.filter(cycle=cycle, group="superior", status="submitted").count() >= 2
    sign_out(page)

    # A colleague without an account rates 文秘科 through a code.
    page.goto(f"{base}/appraisals/code/")
    page.fill("#id_code", code)
    page.click("#code-open")
    expect(page.locator("#anonymous-note")).to_be_visible()
    rate_every_cell(page, "4")
    page.once("dialog", lambda d: d.accept())
    page.click("#submit-all")
    expect(page.locator("body")).to_contain_text(re.compile("感谢|谢谢"))
    assert (
        Assignment.objects.filter(cycle=cycle, code__isnull=False, rater__isnull=True).count() == 2
    )

    # The office recomputes and reads the suggested grades and a breakdown.
    sign_in(page, base, "perfadmin")
    page.goto(f"{base}/appraisals/cycles/{cycle.pk}/")
    page.click("#recompute-now")
    page.goto(f"{base}/appraisals/cycles/{cycle.pk}/")
    page.click("#cycle-results")
    results = page.locator("#result-list")
    expect(results).to_contain_text("李文")
    expect(page.locator("#grade-counts")).to_be_visible()
    results.get_by_role("link", name="李文").first.click()
    expect(page.locator("#result-total")).to_be_visible()
    sections = page.locator("#result-sections")
    expect(sections).to_contain_text("德、能、勤、廉")
    expect(sections).to_contain_text("直接上级")
    employee = Appraisal.objects.get(cycle=cycle, person=org.employee)
    assert employee.total is not None and employee.suggested_grade
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
