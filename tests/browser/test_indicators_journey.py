"""A performance administrator's journey through the indicator library, in Chinese: build a
rule with the per-kind editor and watch the live preview, save, then weigh indicators (AHP)."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import ConsoleMessage, Page, expect

from jixiao.core.actor import Actor
from jixiao.indicators import services
from tests.browser.test_org_journey import sign_in


def _library() -> None:
    """Live-server tests flush the database, so the preloaded library may be gone: add a few."""
    for code, name in (
        ("B-01", "公文按时办结率"),
        ("B-02", "会议保障满意度"),
        ("B-03", "设备报修响应时长"),
    ):
        services.indicator_create(
            actor=Actor.system("test", source="cli"),
            scope=None,
            data=services.IndicatorData(
                code=code,
                name=name,
                category="efficiency",
                rule={"kind": "ratio"},
                default_weight=Decimal(10),
            ),
        )


def test_perfadmin_builds_an_indicator_and_weighs_the_library(page: Page, live_server, org) -> None:
    _library()
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    base = live_server.url
    sign_in(page, base, "perfadmin")
    page.click("#main-nav >> text=指标库")
    expect(page.locator("#indicators-table")).to_contain_text("公文按时办结率")

    page.click("#new-indicator")
    page.fill("#id_code", "B-09")
    page.fill("#id_name", "会议通知按时发出率")
    page.fill("#id_unit", "%")
    # The per-kind editor: choose 门槛/目标/挑战值 and fill its fields, no JSON typing.
    page.select_option("#id_rule_kind", "piecewise")
    fields = page.locator("#rule-fields")
    expect(fields).to_contain_text("门槛值")
    threshold = fields.locator('[data-path="threshold"]')
    threshold.select_option("fixed")
    fields.locator('input[type="number"]').first.fill("90")
    target = fields.locator('[data-path="target"]')
    target.select_option("fixed")
    fields.locator('input[type="number"]').nth(1).fill("98")
    stretch = fields.locator('[data-path="stretch"]')
    expect(stretch).to_be_visible()
    stretch.select_option("none")
    # The live preview scores a sample and draws the curve.
    page.fill("#sample-actual", "94")
    expect(page.locator("#preview-score")).to_have_text("80", timeout=5000)
    expect(page.locator("#preview-description")).to_contain_text("门槛")
    expect(page.locator("#preview-chart canvas")).to_have_count(1)
    page.screenshot(path="/tmp/ixtr/form.png", full_page=True)

    page.click("#save-indicator")
    expect(page.locator("#indicator-name")).to_contain_text("会议通知按时发出率")
    expect(page.locator("#rule-description")).to_contain_text("门槛值（90）")
    page.wait_for_timeout(800)
    page.screenshot(path="/tmp/ixtr/detail.png", full_page=True)

    page.goto(f"{base}/indicators/weights/")
    for code in ("B-01", "B-02", "B-03"):
        page.get_by_role("checkbox", name=re.compile(f"^{code} ")).check()
    page.click("#pick-submit")
    expect(page.locator("#ahp-matrix")).to_be_visible()
    page.select_option('select[name="a_0_1"]', "3")
    expect(page.locator("#low-1-0")).to_have_text("1/3", timeout=5000)
    expect(page.locator("#ahp-cr")).to_be_visible()
    page.select_option('select[name="a_0_2"]', "1/9")
    page.select_option('select[name="a_1_2"]', "9")
    expect(page.locator("#cr-flag")).to_be_visible(timeout=5000)
    expect(page.locator("#ahp-revise")).to_contain_text("请修改")
    page.screenshot(path="/tmp/ixtr/weights.png", full_page=True)
    page.select_option('select[name="a_0_2"]', "5")
    page.select_option('select[name="a_1_2"]', "2")
    expect(page.locator("#cr-ok")).to_be_visible(timeout=5000)
    page.fill("#id_name", "综合科权重")
    page.click("#save-weights")
    expect(page).to_have_url(re.compile(r"/indicators/weight-sets/\d+/"))
    expect(page.locator("#weight-set-items")).to_contain_text("B-01")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not seen, seen
