"""A department head's journey through the organization pages, in Chinese."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#sign-in")


def test_department_head_walks_the_org(page: Page, live_server, org) -> None:
    base = live_server.url
    sign_in(page, base, "head")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#main-nav")).to_contain_text("组织机构")

    page.click("#main-nav >> text=组织机构")
    tree = page.locator("#org-tree")
    expect(tree).to_contain_text("办公室")
    expect(tree).to_contain_text("文秘科")
    expect(tree).not_to_contain_text("政务服务科")

    page.click("#main-nav >> text=人员")
    people = page.locator("#people-table")
    expect(people).to_contain_text("李文")
    page.locator("[data-person-link]", has_text="李文").click()
    expect(page.locator("#person-name")).to_contain_text("李文")
    expect(page.locator("body")).to_contain_text("王主任")

    response = page.goto(f"{base}/org/people/{org.outsider.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("#error-title")).to_have_text("未找到")

    page.click("#user-menu")
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
