"""Sign-in accounts opened by administrators on a person's page and through the API: create,
reset the password, disable and enable; the forced password change at first sign-in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jixiao.accounts.models import User
from jixiao.accounts.services import api_token_create, generate_password
from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.org.models import Person, PersonStatus, Role
from tests import factories as f

LOGIN = "/accounts/login/"
PASSWORD_URL = "/accounts/password/"
STRONG = "Qiang-mima-2026"


@pytest.fixture
def newcomer(org) -> Person:
    """A new department head in 办公室 without a sign-in account."""
    return f.make_person("孙新", org.office, employee_no="B0042", superior=org.head)


def create_url(person: Person) -> str:
    return reverse("org:person_account_create", args=[person.pk])


def action_url(person: Person, action: str) -> str:
    return reverse(f"org:person_account_{action}", args=[person.pk])


def api_url(person: Person, suffix: str = "") -> str:
    return f"/api/org/people/{person.pk}/account{suffix}"


def post_json(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def shown_password(html: str) -> str:
    match = re.search(r'id="account-password" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def account_records() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action__startswith="accounts.user.").order_by("id"))


def assert_no_password_in(records: list[AuditRecord], *passwords: str) -> None:
    for record in records:
        text = json.dumps(record.changes, ensure_ascii=False) + record.reason
        for password in passwords:
            assert password not in text, record.changes


def perfadmin_over(dept, username: str = "perf2") -> User:
    user = f.make_user(username)
    f.grant(user, Role.PERFORMANCE_ADMIN, dept)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- the person page


def test_person_without_account_shows_the_action_to_a_manager(client_for, newcomer):
    html = client_for("perfadmin").get(f"/org/people/{newcomer.pk}/").content.decode()
    assert 'id="no-account"' in html
    assert create_url(newcomer) in html
    assert "没有登录账号" in html


def test_readers_see_no_account_card(client_for, newcomer):
    response = client_for("head").get(f"/org/people/{newcomer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sign-in-account"' not in html
    assert create_url(newcomer) not in html


def test_person_with_account_shows_username_state_last_login_and_actions(client_for, org):
    html = client_for("perfadmin").get(f"/org/people/{org.employee.pk}/").content.decode()
    assert '<code id="account-username">employee</code>' in html
    assert 'data-active="1"' in html
    assert "从未登录" in html
    for action in ("reset_password", "disable"):
        assert action_url(org.employee, action) in html
    assert action_url(org.employee, "enable") not in html


def test_create_page_permissions(client_for, newcomer, org):
    url = create_url(newcomer)
    assert client_for("outsider").get(url).status_code == 404
    assert client_for("head").get(url).status_code == 403
    assert client_for("auditor").get(url).status_code == 403
    assert client_for("perfadmin").get(url).status_code == 200
    assert client_for("sysadmin").get(url).status_code == 200
    # A performance admin over another department does not even see the person.
    assert signed_in(perfadmin_over(org.service)).get(url).status_code == 404
    for action in ("reset_password", "disable", "enable"):
        assert client_for("outsider").post(action_url(org.employee, action)).status_code == 404
        assert client_for("head").post(action_url(org.employee, action)).status_code == 403
        assert (
            signed_in(perfadmin_over(org.service, f"p-{action}"))
            .post(action_url(org.employee, action))
            .status_code
            == 404
        )
    assert not account_records()
    assert not User.objects.filter(username="b0042").exists()


def test_create_page_suggests_the_employee_number(client_for, newcomer):
    html = client_for("perfadmin").get(create_url(newcomer)).content.decode()
    assert 'value="b0042"' in html
    f.make_user("b0042")
    html = client_for("perfadmin").get(create_url(newcomer)).content.decode()
    assert 'value="b0042-2"' in html


def test_create_with_generated_password_shows_it_once(client_for, newcomer, org):
    client = client_for("perfadmin")
    response = client.post(
        create_url(newcomer),
        {"username": "sunxin", "password_choice": "generate", "reason": "新任办公室副主任"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response.content.decode())
    newcomer.refresh_from_db()
    user = newcomer.user
    assert user is not None and user.username == "sunxin"
    assert user.check_password(password)
    assert user.must_change_password and user.is_active
    assert user.display_name == "孙新"
    # The page that follows never shows it again.
    html = client.get(f"/org/people/{newcomer.pk}/").content.decode()
    assert password not in html
    assert 'id="account-must-change"' in html
    records = account_records()
    assert [r.action for r in records] == ["accounts.user.create"]
    assert records[0].changes["username"] == [None, "sunxin"]
    assert records[0].changes["person"] == [None, newcomer.pk]
    assert records[0].reason == "新任办公室副主任"
    assert records[0].actor_id == org.users["perfadmin"].pk
    assert_no_password_in(records, password)


def test_create_with_typed_password(client_for, newcomer):
    response = client_for("sysadmin").post(
        create_url(newcomer),
        {
            "username": "sunxin",
            "password_choice": "type",
            "password1": STRONG,
            "password2": STRONG,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/org/people/{newcomer.pk}/"
    user = User.objects.get(username="sunxin")
    assert user.check_password(STRONG) and user.must_change_password
    assert_no_password_in(account_records(), STRONG)


def test_weak_typed_password_is_refused_keeping_the_typed_values(client_for, newcomer):
    response = client_for("perfadmin").post(
        create_url(newcomer),
        {
            "username": "sunxin",
            "password_choice": "type",
            "password1": "12345678",
            "password2": "12345678",
            "reason": "新任",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="password1"' in html
    assert "密码" in html and "数字" in html  # Django's validator message, in Chinese
    assert 'value="sunxin"' in html
    assert 'value="新任"' in html
    assert re.search(r'value="type" id="[^"]+" checked', html)
    assert not User.objects.filter(username="sunxin").exists()
    assert Person.objects.get(pk=newcomer.pk).user_id is None
    assert not account_records()


def test_mismatched_typed_passwords_are_refused(client_for, newcomer):
    response = client_for("perfadmin").post(
        create_url(newcomer),
        {"username": "sunxin", "password_choice": "type", "password1": STRONG, "password2": "x"},
    )
    assert 'data-field-error="password2"' in response.content.decode()
    assert not User.objects.filter(username="sunxin").exists()


@pytest.mark.parametrize(
    ("username", "fragment"),
    [("employee", "已被使用"), ("EMPLOYEE", "已被使用"), ("sun xin", "只能包含"), ("", "必填")],
)
def test_username_must_be_unique_and_well_formed(client_for, newcomer, username, fragment):
    response = client_for("perfadmin").post(
        create_url(newcomer), {"username": username, "password_choice": "generate"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="username"' in html
    assert fragment in html
    assert Person.objects.get(pk=newcomer.pk).user_id is None
    assert not account_records()


def test_create_for_a_person_with_an_account_goes_back_to_the_page(client_for, org):
    response = client_for("perfadmin").get(create_url(org.employee))
    assert response.status_code == 302
    assert response["Location"] == f"/org/people/{org.employee.pk}/"


def test_no_account_for_a_person_who_has_left(client_for, newcomer):
    Person.objects.filter(pk=newcomer.pk).update(status=PersonStatus.LEFT, is_active=False)
    client = client_for("perfadmin")
    assert create_url(newcomer) not in client.get(f"/org/people/{newcomer.pk}/").content.decode()
    response = client.post(
        create_url(newcomer), {"username": "sunxin", "password_choice": "generate"}
    )
    assert response.status_code == 409
    assert not User.objects.filter(username="sunxin").exists()


# ---------------------------------------------------------------- the forced password change


def test_first_sign_in_forces_a_password_change(client_for, newcomer):
    response = client_for("perfadmin").post(
        create_url(newcomer), {"username": "sunxin", "password_choice": "generate"}
    )
    one_time = shown_password(response.content.decode())

    person = Client()
    response = person.post(LOGIN, {"username": "sunxin", "password": one_time})
    assert response.status_code == 302
    assert response["Location"] == f"{PASSWORD_URL}?next=%2F"
    # Every other page, and the API with the session, sends them back to the change.
    for url in ("/", "/org/", f"/org/people/{newcomer.pk}/", "/accounts/profile/"):
        response = person.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(PASSWORD_URL + "?next="), url
    api = person.get("/api/me")
    assert api.status_code == 403
    assert api.json()["code"] == "password_change_required"
    page = person.get(f"{PASSWORD_URL}?next=%2F")
    assert page.status_code == 200
    assert 'id="password-change-required"' in page.content.decode()

    # Keeping the one-time password is not a change.
    response = person.post(
        f"{PASSWORD_URL}?next=%2F",
        {"old_password": one_time, "new_password1": one_time, "new_password2": one_time},
    )
    assert 'data-field-error="new_password1"' in response.content.decode()
    assert User.objects.get(username="sunxin").must_change_password

    response = person.post(
        f"{PASSWORD_URL}?next=%2F",
        {"old_password": one_time, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="sunxin")
    assert not user.must_change_password and user.check_password(STRONG)
    for url in ("/", "/org/", f"/org/people/{newcomer.pk}/", "/accounts/profile/", "/api/me"):
        assert person.get(url).status_code == 200, url
    change = AuditRecord.objects.get(action="accounts.user.set_password")
    assert change.changes["must_change_password"] == [True, False]
    assert_no_password_in(account_records(), one_time, STRONG)


def test_a_token_does_not_bypass_the_forced_change(org):
    user = org.users["employee"]
    issued = api_token_create(actor=Actor.system(), user=user, name="script")
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_sign_out_stays_possible_during_the_forced_change(org):
    User.objects.filter(pk=org.users["employee"].pk).update(must_change_password=True)
    client = Client()
    client.force_login(User.objects.get(pk=org.users["employee"].pk))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_new_department_head_can_be_granted_a_role_and_sign_in(client_for, newcomer, org):
    admin = client_for("perfadmin")
    admin.post(
        create_url(newcomer),
        {"username": "sunxin", "password_choice": "type", "password1": STRONG, "password2": STRONG},
    )
    response = admin.post(
        reverse("org:role_grant_add", args=[newcomer.pk]),
        {"role": Role.DEPARTMENT_HEAD, "scope_department": org.office.pk, "reason": "任命"},
    )
    assert response.status_code == 302
    person = Client()
    person.post(LOGIN, {"username": "sunxin", "password": STRONG})
    new = "Xin-de-mima-2027"
    person.post(
        f"{PASSWORD_URL}?next=%2F",
        {"old_password": STRONG, "new_password1": new, "new_password2": new},
    )
    # As head of 办公室 they now see its people.
    assert person.get(f"/org/people/{org.employee.pk}/").status_code == 200


# ---------------------------------------------------------------- reset, disable, enable


def test_reset_password_issues_a_new_one_time_password(client_for, org):
    employee = client_for("employee")
    assert employee.get("/").status_code == 200
    response = client_for("perfadmin").post(
        action_url(org.employee, "reset_password"), {"reason": "忘记密码"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response.content.decode())
    user = User.objects.get(pk=org.users["employee"].pk)
    assert user.check_password(password) and not user.check_password(f.PASSWORD)
    assert user.must_change_password
    # Their open session ended with the old password.
    assert employee.get("/")["Location"].startswith(LOGIN)
    records = account_records()
    assert [r.action for r in records] == ["accounts.user.reset_password"]
    assert records[0].changes == {
        "password": ["***", "***"],
        "must_change_password": [False, True],
    }
    assert records[0].reason == "忘记密码"
    assert records[0].scope_path == org.employee.department.path
    assert_no_password_in(records, password)


def test_reset_password_lifts_a_lockout(client_for, org, django_capture_on_commit_callbacks):
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"username": "employee", "password": "wrong"})
    assert client.post(LOGIN, {"username": "employee", "password": f.PASSWORD}).status_code == 429
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("perfadmin").post(action_url(org.employee, "reset_password"))
    password = shown_password(response.content.decode())
    response = client.post(LOGIN, {"username": "employee", "password": password})
    assert response.status_code == 302
    assert response["Location"].startswith(PASSWORD_URL)


def test_disable_and_enable(client_for, org):
    employee = client_for("employee")
    admin = client_for("perfadmin")
    response = admin.post(action_url(org.employee, "disable"), {"reason": "借调期间"})
    assert response.status_code == 302
    assert not User.objects.get(pk=org.users["employee"].pk).is_active
    assert employee.get("/")["Location"].startswith(LOGIN)
    refused = Client().post(LOGIN, {"username": "employee", "password": f.PASSWORD})
    assert refused.status_code == 200
    html = admin.get(f"/org/people/{org.employee.pk}/").content.decode()
    assert 'data-active="0"' in html
    assert action_url(org.employee, "enable") in html
    # Disabling again changes and records nothing.
    admin.post(action_url(org.employee, "disable"))
    admin.post(action_url(org.employee, "enable"))
    assert User.objects.get(pk=org.users["employee"].pk).is_active
    assert Client().post(LOGIN, {"username": "employee", "password": f.PASSWORD}).status_code == 302
    records = account_records()
    assert [(r.action, r.changes) for r in records] == [
        ("accounts.user.disable", {"is_active": [True, False]}),
        ("accounts.user.enable", {"is_active": [False, True]}),
    ]
    assert records[0].reason == "借调期间"


def test_actions_on_a_person_without_account_are_refused_with_a_notice(client_for, newcomer):
    response = client_for("perfadmin").post(action_url(newcomer, "disable"), follow=True)
    assert "没有登录账号" in response.content.decode()
    assert not account_records()


def test_an_account_with_roles_beyond_the_actors_scope_is_left_alone(client_for, org):
    # The system admin also has a person record inside the performance admin's scope.
    boss = f.make_person("刘局", org.office, employee_no="B0001")
    Person.objects.filter(pk=boss.pk).update(user=org.users["sysadmin"])
    admin = client_for("perfadmin")
    html = admin.get(f"/org/people/{boss.pk}/").content.decode()
    assert 'id="account-refusal"' in html
    assert action_url(boss, "reset_password") not in html
    for action in ("reset_password", "disable"):
        assert admin.post(action_url(boss, action)).status_code == 403
    assert User.objects.get(pk=org.users["sysadmin"].pk).check_password(f.PASSWORD)
    # A system admin may.
    assert client_for("sysadmin").post(action_url(org.head, "reset_password")).status_code == 200
    assert not account_records()[1:]


def test_nobody_resets_or_disables_their_own_account_here(client_for, org):
    me = f.make_person("周考核", org.office, employee_no="B0002")
    Person.objects.filter(pk=me.pk).update(user=org.users["perfadmin"])
    admin = client_for("perfadmin")
    assert admin.post(action_url(me, "disable")).status_code == 403
    assert admin.post(action_url(me, "reset_password")).status_code == 403
    assert User.objects.get(pk=org.users["perfadmin"].pk).is_active
    assert not account_records()


def test_generated_passwords_pass_the_validators():
    for _ in range(20):
        password = generate_password()
        assert len(password) == 14
        assert any(c.isdigit() for c in password) and any(c.isupper() for c in password)


# ---------------------------------------------------------------- the API


def test_api_permissions(client_for, newcomer, org):
    for suffix in ("", "/reset-password", "/disable", "/enable"):
        url = api_url(org.employee, suffix)
        body = post_json(client_for("outsider"), url)
        assert body.status_code == 404, url
        assert body.json()["code"] == "not_found"
        body = post_json(client_for("head"), url)
        assert body.status_code == 403, url
        assert body.json()["code"] == "forbidden"
        out_of_scope = signed_in(perfadmin_over(org.service, f"api{suffix.strip('/-')}"))
        assert post_json(out_of_scope, url).status_code == 404
    assert client_for("head").get(api_url(org.employee)).status_code == 403
    assert client_for("outsider").get(api_url(org.employee)).status_code == 404
    assert not account_records()


def test_api_create_with_generated_password(client_for, newcomer):
    client = client_for("perfadmin")
    response = post_json(client, api_url(newcomer), {"reason": "新任"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "b0042"
    assert body["must_change_password"] is True and body["is_active"] is True
    assert body["last_login"] is None
    user = User.objects.get(username="b0042")
    assert user.check_password(body["password"])
    assert Person.objects.get(pk=newcomer.pk).user_id == user.pk
    assert_no_password_in(account_records(), body["password"])
    detail = client.get(api_url(newcomer)).json()
    assert "password" not in detail and detail["username"] == "b0042"
    # A second account for the same person is refused.
    again = post_json(client, api_url(newcomer), {"username": "other"})
    assert again.status_code == 409
    assert again.json()["code"] == "account_exists"


def test_api_create_refusals(client_for, newcomer):
    client = client_for("perfadmin")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    weak = post_json(client, api_url(newcomer), {"username": "sunxin", "password": "12345678"})
    assert weak.status_code == 400
    body = weak.json()
    assert body["code"] == "validation_failed"
    assert {(e["field"], e["code"]) for e in body["errors"]} >= {("password", "weak_password")}
    taken = post_json(client, api_url(newcomer), {"username": "Employee", "password": STRONG})
    assert taken.status_code == 400
    assert taken.json()["errors"][0] == {
        "field": "username",
        "code": "duplicate_username",
        "message": "This username is taken.",
    }
    extra = post_json(client, api_url(newcomer), {"username": "sunxin", "pasword": STRONG})
    assert extra.status_code == 400
    assert not User.objects.filter(username="sunxin").exists()
    assert not account_records()
    missing = client.get(api_url(newcomer))
    assert missing.status_code == 404 and missing.json()["code"] == "no_account"
    no_account = post_json(client, api_url(newcomer, "/disable"))
    assert no_account.status_code == 409 and no_account.json()["code"] == "no_account"


def test_api_create_with_typed_password(client_for, newcomer):
    response = post_json(
        client_for("sysadmin"), api_url(newcomer), {"username": "sunxin", "password": STRONG}
    )
    assert response.status_code == 201
    assert response.json()["password"] is None
    assert User.objects.get(username="sunxin").check_password(STRONG)


def test_api_reset_disable_enable(client_for, org):
    client = client_for("perfadmin")
    reset = post_json(client, api_url(org.employee, "/reset-password"), {"reason": "忘记密码"})
    assert reset.status_code == 200, reset.content
    password = reset.json()["password"]
    user = User.objects.get(pk=org.users["employee"].pk)
    assert user.check_password(password) and user.must_change_password
    disabled = post_json(client, api_url(org.employee, "/disable"))
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    enabled = post_json(client, api_url(org.employee, "/enable"), {"reason": "回岗"})
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True
    records = account_records()
    assert [r.action for r in records] == [
        "accounts.user.reset_password",
        "accounts.user.disable",
        "accounts.user.enable",
    ]
    assert all(r.source == "api" for r in records)
    assert_no_password_in(records, password)


def test_api_refuses_accounts_beyond_scope_and_own_account(client_for, org):
    boss = f.make_person("刘局", org.office, employee_no="B0001")
    Person.objects.filter(pk=boss.pk).update(user=org.users["sysadmin"])
    me = f.make_person("周考核", org.office, employee_no="B0002")
    Person.objects.filter(pk=me.pk).update(user=org.users["perfadmin"])
    client = client_for("perfadmin")
    beyond = post_json(client, api_url(boss, "/reset-password"))
    assert beyond.status_code == 403 and beyond.json()["code"] == "account_beyond_scope"
    own = post_json(client, api_url(me, "/disable"))
    assert own.status_code == 403 and own.json()["code"] == "own_account"
    assert not account_records()
