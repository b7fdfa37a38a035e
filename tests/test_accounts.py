"""Sign-in, sign-out, password change, language switch, profile and API tokens."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from jixiao.accounts.models import ApiToken
from jixiao.accounts.services import hash_token, user_for_token
from jixiao.core.models import AuditRecord
from tests import factories as f

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


# --- sign-in -------------------------------------------------------------------------------


def test_login_page_renders_standalone_form(db):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    for element_id in ('id="id_username"', 'id="id_password"', 'id="sign-in"'):
        assert element_id in html
    assert "绩效" in html and "Jixiao" in html
    assert 'id="user-menu"' not in html


def test_login_success_redirects_home(org):
    client = Client()
    response = sign_in(client, "employee", f.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(org.users["employee"].pk)


def test_login_failure_keeps_username_and_explains(org):
    client = Client()
    response = sign_in(client, "employee", "wrong-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html
    assert 'value="employee"' in html
    assert "wrong-password" not in html
    assert "_auth_user_id" not in client.session


def test_login_follows_next(org):
    client = Client()
    page = client.get(LOGIN, {"next": "/accounts/profile/"})
    assert 'name="next" value="/accounts/profile/"' in page.content.decode()
    response = sign_in(client, "employee", f.PASSWORD, next="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


def test_login_ignores_foreign_next(org):
    response = sign_in(Client(), "employee", f.PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("home")


def test_protected_page_sends_anonymous_to_sign_in(db):
    response = Client().get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


def test_lockout_after_five_failures_refuses_even_the_right_password(org):
    client = Client()
    for _ in range(5):
        sign_in(client, "employee", "wrong-password")
    response = sign_in(client, "employee", f.PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="locked-out"' in html
    assert "暂时锁定" in html
    assert 'data-cooloff-minutes="15"' in html
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected.
    assert sign_in(Client(), "peer", f.PASSWORD).status_code == 302


def test_failures_below_the_limit_do_not_lock(org):
    client = Client()
    for _ in range(4):
        sign_in(client, "employee", "wrong-password")
    assert sign_in(client, "employee", f.PASSWORD).status_code == 302


# --- sign-out ------------------------------------------------------------------------------


def test_logout_is_post_only_and_returns_to_sign_in(client_for):
    client = client_for("employee")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "您已退出登录" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_layout_has_sign_out_button(client_for):
    html = client_for("employee").get("/accounts/profile/").content.decode()
    assert 'id="sign-out"' in html


# --- password ------------------------------------------------------------------------------

PASSWORD_URL = "/accounts/password/"


def test_password_change_wrong_old_password(client_for, org):
    client = client_for("employee")
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": "nope",
            "new_password1": "Brand-new-2026",
            "new_password2": "Brand-new-2026",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="old_password"' in response.content.decode()
    assert not AuditRecord.objects.filter(action="accounts.user.set_password").exists()
    org.users["employee"].refresh_from_db()
    assert org.users["employee"].check_password(f.PASSWORD)


def test_password_change_weak_new_password(client_for):
    client = client_for("employee")
    response = client.post(
        PASSWORD_URL,
        {"old_password": f.PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="new_password1"' in html
    assert not AuditRecord.objects.exists()


def test_password_change_mismatch(client_for):
    response = client_for("employee").post(
        PASSWORD_URL,
        {
            "old_password": f.PASSWORD,
            "new_password1": "Brand-new-2026",
            "new_password2": "Other-2026x",
        },
    )
    assert 'data-field-error="new_password2"' in response.content.decode()


def test_password_change_success_keeps_session_and_audits_once(client_for, org):
    client = client_for("employee")
    assert client.get(PASSWORD_URL).status_code == 200
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": f.PASSWORD,
            "new_password1": "Brand-new-2026",
            "new_password2": "Brand-new-2026",
        },
    )
    assert response.status_code == 302
    user = org.users["employee"]
    user.refresh_from_db()
    assert user.check_password("Brand-new-2026")
    records = AuditRecord.objects.filter(action="accounts.user.set_password")
    assert records.count() == 1
    assert records.get().actor_id == user.pk
    assert AuditRecord.objects.count() == 1
    # Still signed in after the password hash changed.
    assert client.get("/accounts/profile/").status_code == 200


# --- language ------------------------------------------------------------------------------


def test_language_switch_to_english(client_for):
    client = client_for("employee")
    assert '<html lang="zh-hans">' in client.get("/accounts/profile/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/profile/"})
    assert response.status_code == 302
    html = client.get("/accounts/profile/").content.decode()
    assert '<html lang="en">' in html
    assert "API tokens" in html
    assert "Change password" in html


# --- profile -------------------------------------------------------------------------------


def test_profile_shows_person_details(client_for):
    html = client_for("employee").get("/accounts/profile/").content.decode()
    assert 'data-profile="employee-no">A0002<' in html
    assert 'data-profile="department">文秘科<' in html
    assert 'data-profile="username">employee<' in html
    assert 'id="tokens-empty"' in html


def test_profile_without_person(client_for):
    response = client_for("auditor").get("/accounts/profile/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-profile="username">auditor<' in html
    assert 'data-profile="employee-no"' not in html


# --- API tokens ----------------------------------------------------------------------------


def test_token_create_shows_secret_once_and_stores_only_a_hash(client_for, org):
    client = client_for("employee")
    response = client.post("/accounts/tokens/", {"name": "OA 同步"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    match = re.search(r'id="token-secret" value="([^"]+)"', html)
    assert match
    secret = match.group(1)
    token = ApiToken.objects.get()
    assert token.user == org.users["employee"]
    assert token.name == "OA 同步"
    assert token.key_hash == hash_token(secret)
    assert secret.startswith("jx_")
    # The secret is stored nowhere: not in the token table, not in the audit trail.
    for row in ApiToken.objects.values():
        assert secret not in str(row)
    for audit_row in AuditRecord.objects.values():
        assert secret not in str(audit_row)
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())
    assert user_for_token(secret) == org.users["employee"]
    # The list shows the token but never the secret again.
    page = client.get("/accounts/profile/").content.decode()
    assert f'data-token-id="{token.pk}"' in page
    assert token.prefix in page
    assert secret not in page
    assert 'data-status="active"' in page


def test_token_create_requires_a_name(client_for):
    response = client_for("employee").post("/accounts/tokens/", {"name": "   "})
    assert response.status_code == 200
    assert 'data-field-error="name"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_create_is_post_only(client_for):
    assert client_for("employee").get("/accounts/tokens/").status_code == 405


def test_token_revoke(client_for, org):
    client = client_for("employee")
    client.post("/accounts/tokens/", {"name": "脚本"})
    token = ApiToken.objects.get()
    page = client.get("/accounts/profile/").content.decode()
    assert f'data-revoke="{token.pk}"' in page
    assert "data-confirm=" in page
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditRecord.objects.filter(action="accounts.token.revoke").count() == 1
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-status="revoked"' in page
    assert f'data-revoke="{token.pk}"' not in page
    # Revoking twice is harmless and writes nothing more.
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert AuditRecord.objects.filter(action="accounts.token.revoke").count() == 1


def test_another_users_token_is_404(client_for, org):
    client_for("peer").post("/accounts/tokens/", {"name": "peer token"})
    token = ApiToken.objects.get()
    response = client_for("employee").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert f'data-token-id="{token.pk}"' not in (
        client_for("employee").get("/accounts/profile/").content.decode()
    )
    assert client_for("employee").post("/accounts/tokens/999999/revoke/").status_code == 404


def test_profile_query_count_does_not_grow_with_tokens(
    client_for, org, django_assert_max_num_queries
):
    from jixiao.accounts.services import api_token_create
    from jixiao.core.actor import Actor

    user = org.users["employee"]
    client = client_for("employee")
    actor = Actor.for_user(user, source="web")
    api_token_create(actor=actor, user=user, name="one")
    with django_assert_max_num_queries(12) as few:
        client.get("/accounts/profile/")
    for i in range(15):
        api_token_create(actor=actor, user=user, name=f"t{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/accounts/profile/")
    assert response.content.decode().count("data-token-id=") == 16


@pytest.mark.parametrize("persona", ["employee", "sysadmin", "outsider"])
def test_account_pages_open_for_every_signed_in_persona(client_for, persona):
    client = client_for(persona)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/accounts/password/").status_code == 200
