"""Raters' comments on the result page and in the result API: named groups attributed,
anonymous groups and one-time codes never connected to their rater (no name, number, time or
score beside them; an order that follows neither assignment ids nor submission), and only once
the group has its minimum number of responses and rating is over."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from jixiao.appraisals import codes, cycles, scoring
from jixiao.appraisals.models import Appraisal, Assignment, Cycle, CyclePhase, SchemeGroup
from jixiao.appraisals.result_comments import comment_order_key
from tests import factories as f
from tests.appraisals.conftest import actor
from tests.appraisals.test_results import all_ratings, client, rate, set_phase

PHRASES = (
    "工作认真负责",
    "沟通协调能力强",
    "文稿质量高",
    "服务意识好",
    "需加强业务学习",
    "团队合作意识强",
    "执行力强",
    "创新意识不足",
)
RATERS = (("匿名甲", "R9101"), ("匿名乙", "R9102"), ("匿名丙", "R9103"))
SUPERIOR_COMMENT = "上级评语：任务完成及时"
OFFICE = ("perfadmin", "auditor", "sysadmin")


def add_peer(org, cycle: Cycle, appraisal: Appraisal, name: str, number: str):
    perfadmin = org.users["perfadmin"]
    person = f.make_person(name, org.secretariat, username=f"rater_{number}", employee_no=number)
    cycles.assignment_add(
        actor=actor(perfadmin),
        user=perfadmin,
        appraisal_id=appraisal.pk,
        group="peer",
        rater_id=person.pk,
    )
    return person


def submit_code(org, cycle: Cycle, comments: dict[int, str]) -> None:
    """One one-time code over 文秘科 (李文 and 赵敏), with a comment on the given appraisals."""
    perfadmin = org.users["perfadmin"]
    made = codes.code_batch_create(
        actor=actor(perfadmin),
        user=perfadmin,
        cycle_id=cycle.pk,
        department_id=org.secretariat.pk,
        size=1,
    )
    found = codes.code_open(code=made.codes[0])
    codes.code_submit(
        code_id=found.pk,
        entries=[
            codes.CodeRating(a.pk, all_ratings(cycle, "peer", 4), comments.get(a.pk, ""))
            for a in codes.code_ratees(found)
        ],
    )


def comments_card(body: str) -> str:
    """The comments card of a result page, without its (static) footer."""
    start = body.index('id="result-comments-card"')
    return body[start : body.index('class="card-footer', start)]


def shown_texts(body: str) -> list[str]:
    return [html_lib.unescape(t) for t in re.findall(r"<div data-comment-text>(.*?)</div>", body)]


@pytest.fixture
def commented(org, cycle):
    """李文 rated by her superior (with a comment) and by five anonymous peers: 赵敏, three
    raters outside the population and a code, each with a different comment, submitted in
    the order of their assignments' ids and given comments whose display order is the
    reverse of it. Computed, still in the rating phase."""
    li = Appraisal.objects.get(cycle=cycle, person=org.employee)
    raters = [org.peer, *(add_peer(org, cycle, li, name, no) for name, no in RATERS)]
    by_id = sorted(
        raters,
        key=lambda p: Assignment.objects.get(appraisal=li, group="peer", rater=p).pk,
    )
    # the code is submitted last and gets the last assignment id
    texts = sorted(PHRASES[:5], key=lambda t: comment_order_key(li, t), reverse=True)
    rate(cycle, org.employee, "superior", org.head, org.users["head"], 4, SUPERIOR_COMMENT)
    for person, text in zip(by_id, texts, strict=False):
        rate(cycle, org.employee, "peer", person, person.user, 4, text)
    submit_code(org, cycle, {li.pk: texts[-1]})
    scoring.recompute_cycle(cycle.pk)
    cycle.refresh_from_db()
    return cycle, li, texts


def test_anonymous_comments_follow_no_rater_id_or_time_and_carry_no_name(org, commented):
    cycle, li, written = commented
    # the construction: written (and submitted) in id order, displayed the other way round
    peers = Assignment.objects.filter(appraisal=li, group="peer", status="submitted")
    by_id = [a.comment for a in peers.order_by("id")]
    by_time = [a.comment for a in peers.order_by("submitted_at", "id")]
    assert by_id == written and by_time == written
    expected = sorted(written, key=lambda t: comment_order_key(li, t))
    assert expected == list(reversed(written)) and expected != by_id

    set_phase(cycle, CyclePhase.RESULTS)
    for persona in ("employee", "head", *OFFICE):
        c = client(org, persona)
        body = c.get(f"/appraisals/results/{li.pk}/").content.decode()
        card = comments_card(body)
        # the named superior with their name, then the peers in the hashed order
        assert shown_texts(card) == [SUPERIOR_COMMENT, *expected], persona
        assert "王主任" in card
        peer_block = card[card.index('data-comment-group="peer"') :]
        for name, number in (*RATERS, ("赵敏", "A0003")):
            assert name not in peer_block and number not in peer_block, persona
        assert "rater_" not in card and "data-assignment" not in card
        # no score, time, id or count next to an anonymous comment: nothing numeric at all
        assert not re.search(r"\d", re.sub(r"<[^>]*>", "", peer_block)), peer_block
        assert peer_block.count("data-comment-anonymous") == len(written)
        # stable across page loads
        again = c.get(f"/appraisals/results/{li.pk}/").content.decode()
        assert shown_texts(comments_card(again)) == shown_texts(card)
        # the API: the same comments, in the same order, without a rater
        data = c.get(f"/api/appraisals/results/{li.pk}").json()
        assert [x["text"] for x in data["comments"]] == [SUPERIOR_COMMENT, *expected]
        anonymous = [x for x in data["comments"] if x["anonymous"]]
        assert len(anonymous) == len(written)
        for x in anonymous:
            assert set(x) == {"group", "group_code", "anonymous", "rater", "text"}
            assert x["rater"] == "" and x["group_code"] == "peer"
        assert data["comments"][0]["rater"] == "王主任" and not data["comments"][0]["anonymous"]


def test_anonymous_comments_wait_until_rating_is_over(org, commented):
    cycle, li, written = commented
    office = client(org, "perfadmin")
    body = office.get(f"/appraisals/results/{li.pk}/").content.decode()
    assert 'id="result-comments-waiting"' in body
    assert shown_texts(comments_card(body)) == [SUPERIOR_COMMENT]
    data = office.get(f"/api/appraisals/results/{li.pk}").json()
    assert data["comments_waiting"] is True
    assert [x["text"] for x in data["comments"]] == [SUPERIOR_COMMENT]
    # the appraisee sees no comments at all before results
    mine = client(org, "employee").get(f"/appraisals/results/{li.pk}/").content.decode()
    assert "result-comments-card" not in mine and not any(t in mine for t in written)
    # once no rating can arrive, the office reads them
    set_phase(cycle, CyclePhase.COMPUTING)
    data = office.get(f"/api/appraisals/results/{li.pk}").json()
    assert data["comments_waiting"] is False
    assert sorted(x["text"] for x in data["comments"] if x["anonymous"]) == sorted(written)


def test_below_the_minimum_comments_are_hidden(org, cycle):
    """赵敏: two anonymous peers (李文 and a code) below the minimum of 3, and her superior
    below a minimum raised to 2."""
    zhao = Appraisal.objects.get(cycle=cycle, person=org.peer)
    SchemeGroup.objects.filter(scheme=cycle.scheme, group="superior").update(min_responses=2)
    rate(cycle, org.peer, "superior", org.head, org.users["head"], 4, SUPERIOR_COMMENT)
    rate(cycle, org.peer, "peer", org.employee, org.users["employee"], 4, PHRASES[0])
    submit_code(org, cycle, {zhao.pk: PHRASES[1]})
    scoring.recompute_cycle(cycle.pk)
    set_phase(cycle, CyclePhase.RESULTS)

    # the appraisee and her head: nothing of either group, and the empty state
    for persona in ("peer", "head"):
        c = client(org, persona)
        body = c.get(f"/appraisals/results/{zhao.pk}/").content.decode()
        assert 'id="result-comments-empty"' in body, persona
        for text in (SUPERIOR_COMMENT, *PHRASES[:2]):
            assert text not in body, (persona, text)
        assert c.get(f"/api/appraisals/results/{zhao.pk}").json()["comments"] == []
    # the office: the named superior's comment, never the anonymous ones below the minimum
    for persona in OFFICE:
        c = client(org, persona)
        body = c.get(f"/appraisals/results/{zhao.pk}/").content.decode()
        assert shown_texts(comments_card(body)) == [SUPERIOR_COMMENT], persona
        assert PHRASES[0] not in body and PHRASES[1] not in body
        data = c.get(f"/api/appraisals/results/{zhao.pk}").json()
        assert [x["text"] for x in data["comments"]] == [SUPERIOR_COMMENT]

    # a third peer reaches the minimum: now the appraisee reads the peers' comments
    set_phase(cycle, CyclePhase.RATING)
    third = add_peer(org, cycle, zhao, *RATERS[0])
    rate(cycle, org.peer, "peer", third, third.user, 4, PHRASES[2])
    scoring.recompute_cycle(cycle.pk)
    set_phase(cycle, CyclePhase.RESULTS)
    body = client(org, "peer").get(f"/appraisals/results/{zhao.pk}/").content.decode()
    expected = sorted(PHRASES[:3], key=lambda t: comment_order_key(zhao, t))
    assert shown_texts(comments_card(body)) == expected
    assert SUPERIOR_COMMENT not in body  # the superior is still below its minimum of 2
    assert "匿名甲" not in body and "李文" not in comments_card(body)
