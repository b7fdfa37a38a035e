"""The office's rater statistics, page and API: named raters by name and number, anonymous
ones by alias only (without the counts that would identify them), the filters, the empty
state before the first full recompute, and who may read them."""

from __future__ import annotations

import json

import pytest

from jixiao.appraisals.models import Assignment, Cycle, RaterStat
from tests.appraisals.test_results import (
    ANONYMOUS_NAMES,
    ANONYMOUS_NUMBERS,
    client,
    rate_the_cycle,
    text_of,
)


@pytest.fixture
def rated(org, cycle) -> Cycle:
    made: Cycle = rate_the_cycle(org, cycle)
    return made


def page_url(cycle: Cycle, query: str = "") -> str:
    return f"/appraisals/cycles/{cycle.pk}/rater-stats/{query}"


def api_url(cycle: Cycle, query: str = "") -> str:
    return f"/api/appraisals/cycles/{cycle.pk}/rater-stats{query}"


def anonymous_rater_ids(cycle: Cycle) -> set[int]:
    return set(
        Assignment.objects.filter(cycle=cycle, group="peer", rater__isnull=False).values_list(
            "rater_id", flat=True
        )
    )


def assert_no_anonymous_rater(body: str, where: str) -> None:
    # 李文 and 赵敏 rate only in the anonymous peer group: neither may show as a rater
    for secret in (*ANONYMOUS_NAMES, *ANONYMOUS_NUMBERS, "rater_R900", "李文", "赵敏", "A0002"):
        assert secret not in body, f"{secret!r} appears in {where}"


def test_the_page_names_named_raters_and_shows_anonymous_ones_by_alias(org, rated):
    stats = list(RaterStat.objects.filter(cycle=rated))
    superior = [s for s in stats if s.group == "superior"]
    peers = [s for s in stats if s.group == "peer"]
    assert [s.rater_id for s in superior] == [org.head.pk]
    assert peers and all(s.rater_id is None and s.alias.startswith("#") for s in peers)

    response = client(org, "perfadmin").get(page_url(rated))
    assert response.status_code == 200
    body = text_of(response)
    assert 'id="rater-stats-table"' in body and 'id="rater-stats-empty"' not in body
    assert "王主任" in body and "A0001" in body
    for s in peers:
        assert f"<span data-alias>{s.alias}</span>" in body
    assert_no_anonymous_rater(body, "the rater statistics page")
    # every flag is explained, and the cycle's page links here
    assert body.count('id="rater-flag-legend"') == 1
    for name in ("lenient", "severe", "central", "halo", "top_heavy"):
        assert f'<li data-flag="{name}">' in body
    detail = text_of(client(org, "perfadmin").get(f"/appraisals/cycles/{rated.pk}/"))
    assert page_url(rated) in detail


def test_the_api_gives_aliases_without_rater_or_counts(org, rated):
    response = client(org, "auditor").get(api_url(rated))
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"items", "count", "page", "page_size"}
    assert data["count"] == RaterStat.objects.filter(cycle=rated).count() == len(data["items"])
    assert data["page_size"] == 50
    groups = [item["group"] for item in data["items"]]
    assert groups == sorted(groups, key=lambda g: 0 if g == "superior" else 1)  # scheme order
    named = [i for i in data["items"] if i["rater_id"] is not None]
    assert [(i["rater_id"], i["rater_name"], i["employee_no"]) for i in named] == [
        (org.head.pk, "王主任", "A0001")
    ]
    assert named[0]["alias"] == "" and named[0]["ratees"] == 2
    peers = [i for i in data["items"] if i["group"] == "peer"]
    assert peers
    for item in peers:
        assert item["rater_id"] is None and item["rater_name"] is None
        assert item["employee_no"] is None and item["alias"].startswith("#")
        assert item["ratings"] is None and item["ratees"] is None
        assert set(item) >= {"mean", "sd", "halo", "top_share", "flags"}
    means = [i["mean"] for i in peers]
    assert means == sorted(means, reverse=True)
    assert not anonymous_rater_ids(rated) & {i["rater_id"] for i in data["items"]}
    assert_no_anonymous_rater(json.dumps(data, ensure_ascii=False), "the rater statistics API")
    # paginated like the other lists
    first = client(org, "auditor").get(api_url(rated, "?page_size=1&page=2")).json()
    assert first["count"] == data["count"] and len(first["items"]) == 1
    assert first["items"][0] == data["items"][1]


def test_the_filters_by_group_and_flag(org, rated):
    peer = RaterStat.objects.filter(cycle=rated, group="peer").order_by("id").first()
    assert peer is not None
    RaterStat.objects.filter(pk=peer.pk).update(flags=["halo", "top_heavy"])
    c = client(org, "perfadmin")

    by_group = c.get(api_url(rated, "?group=superior")).json()
    assert {i["group"] for i in by_group["items"]} == {"superior"} and by_group["count"] == 1
    by_flag = c.get(api_url(rated, "?flag=halo")).json()
    assert [i["alias"] for i in by_flag["items"]] == [peer.alias]
    assert c.get(api_url(rated, "?flag=halo&group=superior")).json()["count"] == 0
    assert c.get(api_url(rated, "?flag=nonsense")).json()["count"] == 0

    body = text_of(c.get(page_url(rated, "?flag=top_heavy")))
    assert f"<span data-alias>{peer.alias}</span>" in body and "王主任" not in body
    assert 'data-flag="top_heavy" title=' in body
    summary = body.split('id="rater-stats-summary"')[1].split("</table>")[0]
    assert '<tr data-group="peer">' in summary and 'href="?group=peer&flag=halo">1<' in summary
    body = text_of(c.get(page_url(rated, "?group=superior")))
    table = body.split('id="rater-stats-table"')[1]
    assert "王主任" in table and "data-alias" not in table


def test_the_page_paginates_by_fifty(org, cycle):
    RaterStat.objects.bulk_create(
        RaterStat(
            cycle=cycle,
            group="peer",
            alias=f"#{k + 1}",
            ratings=9,
            ratees=3,
            mean=60 + k / 2,
            sd=5.0,
            halo=None,
            top_share=0.0,
            flags=[],
        )
        for k in range(60)
    )
    c = client(org, "perfadmin")
    first = text_of(c.get(page_url(cycle)))
    second = text_of(c.get(page_url(cycle, "?page=2")))
    assert first.count("<span data-alias>") == 50 and second.count("<span data-alias>") == 10
    assert "<span data-alias>#60</span>" in first and "<span data-alias>#1</span>" in second


def test_the_empty_state_before_the_first_recompute(org, cycle):
    response = client(org, "perfadmin").get(page_url(cycle))
    assert response.status_code == 200
    body = text_of(response)
    assert 'id="rater-stats-empty"' in body and 'id="rater-stats-table"' not in body
    assert client(org, "perfadmin").get(api_url(cycle)).json()["count"] == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("employee", 404), ("head", 403), ("leader", 200), ("sysadmin", 200)],
)
def test_access_matches_the_workload_page(org, rated, persona, status):
    c = client(org, persona)
    workload = c.get(f"/appraisals/cycles/{rated.pk}/workload/").status_code
    assert workload == status
    assert c.get(page_url(rated)).status_code == status
    assert c.get(api_url(rated)).status_code == status
