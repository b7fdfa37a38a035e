"""Planning in Chinese, as the people do it: the head of 办公室 cascades a unit goal to two of
their people; both submit; the head approves one and returns the other with a comment; a
check-in on the approved goal turns its node in the alignment tree from red to green."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import ConsoleMessage, Page, expect

from jixiao.goals.models import Goal, GoalLevel, GoalStatus
from tests.browser.test_org_journey import sign_in
from tests.goals.factories import add_kr, make_goal


def sign_out(page: Page) -> None:
    page.click("#user-menu")
    page.click("#sign-out")


def cascade_to(page: Page, base: str, unit_goal: Goal, person_label: str, title: str) -> None:
    page.goto(f"{base}/goals/{unit_goal.pk}/")
    page.click("#cascade-goal")
    page.select_option("#id_person", label=person_label)
    page.click("#cascade-next")
    expect(page.locator("#goal-form")).to_be_visible()
    expect(page.locator("#id_parent option:checked")).to_contain_text(unit_goal.title)
    page.fill("#id_title", title)
    page.fill("#id_weight", "100")
    page.fill("#id_kr-0-title", "公文按时办结率")
    page.fill("#id_kr-0-baseline", "0")
    page.fill("#id_kr-0-target", "100")
    page.click("#save-goal")
    expect(page.locator("#goal-title")).to_contain_text(title)
    expect(page.locator("#goal-title")).to_contain_text("草稿")


def submit_my_goal(page: Page, base: str, username: str, title: str) -> None:
    sign_in(page, base, username)
    page.click("#main-nav >> text=目标")
    page.locator("#my-goals").get_by_role("link", name=title).click()
    page.click("#submit-goal")
    expect(page.locator("#goal-title")).to_contain_text("已提交")
    sign_out(page)


def test_head_cascades_people_submit_head_decides_and_a_check_in_moves_the_tree(
    page: Page, live_server, org
) -> None:
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
    base = live_server.url
    unit_goal = make_goal(
        "政务服务满意度全省前列",
        department=org.unit,
        level=GoalLevel.UNIT,
        status=GoalStatus.LOCKED,
    )
    add_kr(unit_goal, "好差评满意率", target=99, weight=100)

    sign_in(page, base, "head")
    cascade_to(page, base, unit_goal, "李文（A0002）", "公文办理提速")
    cascade_to(page, base, unit_goal, "赵敏（A0003）", "会议服务零差错")
    sign_out(page)

    submit_my_goal(page, base, "employee", "公文办理提速")
    submit_my_goal(page, base, "peer", "会议服务零差错")

    sign_in(page, base, "head")
    page.goto(f"{base}/goals/approvals/")
    approvals = page.locator("#submitted-goals")
    expect(approvals).to_contain_text("公文办理提速")
    expect(approvals).to_contain_text("会议服务零差错")
    approvals.get_by_role("link", name="公文办理提速").click()
    page.click("#approve-goal")
    expect(page.locator("#goal-title")).to_contain_text("已批准")
    page.goto(f"{base}/goals/approvals/")
    page.locator("#submitted-goals").get_by_role("link", name="会议服务零差错").click()
    page.fill("#return-comment", "请补充会议服务的量化目标")
    page.click("#return-goal")
    expect(page.locator("#goal-title")).to_contain_text("已退回")
    expect(page.locator("#returned-comment")).to_contain_text("请补充会议服务的量化目标")

    approved = Goal.objects.get(title="公文办理提速")
    tree_url = f"{base}/goals/tree/?department={org.office.pk}&period=2026"
    page.goto(tree_url)
    expect(page.locator("#alignment-chart canvas")).to_have_count(1)
    drawn = page.evaluate(
        "() => { const c = echarts.getInstanceByDom(document.getElementById('alignment-chart'));"
        " return c.getOption().series[0].data[0].children.length; }"
    )
    assert drawn >= 1
    node = page.locator(f'#tree-table [data-node="{approved.pk}"]')
    expect(node).to_have_attribute("data-colour", "red")
    sign_out(page)

    sign_in(page, base, "employee")
    page.goto(f"{base}/goals/{approved.pk}/")
    page.click("#new-checkin")
    kr = approved.key_results.get()
    page.fill(f"#id_kr_{kr.pk}", "100")
    page.select_option("#id_confidence", "8")
    page.fill("#id_went_well", "收文当日登记，三日内办结")
    page.click("#save-checkin")
    expect(page.locator("#key-results [data-current]")).to_contain_text("100")
    sign_out(page)

    sign_in(page, base, "head")
    page.goto(tree_url)
    expect(page.locator(f'#tree-table [data-node="{approved.pk}"]')).to_have_attribute(
        "data-colour", "green"
    )
    approved.refresh_from_db()
    assert approved.progress == 1.0
    assert Goal.objects.get(title="会议服务零差错").status == GoalStatus.RETURNED
    assert Decimal(str(Goal.objects.get(pk=unit_goal.pk).weight)) == Decimal(100)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
