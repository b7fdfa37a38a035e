"""Production safety of the settings: checked in a fresh interpreter with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
    "from django.conf import settings; "
    "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.DEBUG, "
    "'script-src' in settings.SECURE_CSP, settings.DATABASES['default']['ENGINE'])"
)


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JIXIAO_", "DJANGO_"))}
    clean.pop("DEBUG", None)
    clean.pop("SECRET_KEY", None)
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_development_secret_key() -> None:
    result = run_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_uses_secure_cookies_csp_and_no_debug() -> None:
    result = run_settings({"SECRET_KEY": "a-real-secret-" + "x" * 40})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False", "True", "django.db.backends.sqlite3"]


def test_database_url_selects_postgresql() -> None:
    result = run_settings(
        {"SECRET_KEY": "s" * 50, "DATABASE_URL": "postgres://u@db.example:5432/jixiao"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "django.db.backends.postgresql"


def test_pages_carry_a_content_security_policy(client, db) -> None:
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy


def test_sqlite_runs_in_wal_mode(db) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    options = connection.settings_dict["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
