"""Logging in: django-axes locks a (username, IP) pair out after 5 failed logins for 30
minutes, on the back-office login and on the admin login alike; staff sessions end after 8
hours and with the browser; the production profile passes ``check --deploy`` with no warning.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.production_env import production_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-test-1234"  # tests/conftest.py make_user


def login(client, username, password, *, url=None, ip="10.1.2.3"):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and "/login/" not in response["Location"]


def fail_times(client, username, n, **kwargs):
    for attempt in range(1, n + 1):
        response = login(client, username, "wrong-password", **kwargs)
        # The form again with its error; the 5th failure answers with the lockout page.
        assert response.status_code == (429 if attempt >= 5 else 200), attempt


def test_settings_say_5_failures_30_minutes_per_user_and_ip():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_five_failures_lock_the_account_out_for_30_minutes(make_user):
    from axes.models import AccessAttempt

    make_user("agent", username="kim")
    client = Client()
    fail_times(client, "kim", 4)
    assert logged_in(login(Client(), "kim", PASSWORD))  # 4 failures: still fine (and reset)
    fail_times(client, "kim", 5)
    locked = login(client, "kim", PASSWORD)  # the right password, too late
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "로그인이 잠겼습니다" in page and "30분" in page
    assert "_auth_user_id" not in client.session
    # Half an hour later the pair may try again.
    AccessAttempt.objects.filter(username="kim").update(
        attempt_time=timezone.now() - timedelta(minutes=31)
    )
    assert logged_in(login(client, "kim", PASSWORD))


def test_still_locked_after_29_minutes(make_user):
    from axes.models import AccessAttempt

    make_user("agent", username="lee")
    client = Client()
    fail_times(client, "lee", 5)
    AccessAttempt.objects.filter(username="lee").update(
        attempt_time=timezone.now() - timedelta(minutes=29)
    )
    assert login(client, "lee", PASSWORD).status_code == 429


def test_the_lock_is_per_username_and_ip(make_user):
    make_user("agent", username="park")
    make_user("agent", username="choi")
    fail_times(Client(), "park", 5, ip="10.9.9.9")
    assert login(Client(), "park", PASSWORD, ip="10.9.9.9").status_code == 429
    # Same person from another desk, and a colleague from the same desk: not locked.
    assert logged_in(login(Client(), "park", PASSWORD, ip="10.9.9.10"))
    assert logged_in(login(Client(), "choi", PASSWORD, ip="10.9.9.9"))


def test_the_admin_login_counts_and_locks_too(make_user):
    make_user("team_lead", username="jung")
    url = reverse("admin:login")
    client = Client()
    for attempt in range(1, 6):
        assert login(client, "jung", "nope", url=url).status_code == (429 if attempt == 5 else 200)
    assert login(client, "jung", PASSWORD, url=url).status_code == 429
    # ... and the back-office login knows it: one lock per (user, IP), whatever the door.
    assert login(Client(), "jung", PASSWORD).status_code == 429


def test_a_lead_unlocks_a_colleague_by_deleting_the_attempt(make_user, client_for):
    from axes.models import AccessAttempt

    make_user("agent", username="han")
    lead = make_user("team_lead", username="lead_han")
    fail_times(Client(), "han", 5)
    attempt = AccessAttempt.objects.get(username="han")
    lead_client = Client()
    lead_client.force_login(lead)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert lead_client.post(url, {"post": "yes"}).status_code == 302
    assert logged_in(login(Client(), "han", PASSWORD))
    auditor = make_user("auditor", username="aud_han")
    fail_times(Client(), "han", 5)
    attempt = AccessAttempt.objects.get(username="han")
    auditor_client = Client()
    auditor_client.force_login(auditor)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert auditor_client.post(url, {"post": "yes"}).status_code == 403


def test_staff_sessions_end_after_8_hours_and_with_the_browser(make_user):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    make_user("agent", username="yoon")
    client = Client()
    response = login(client, "yoon", PASSWORD)
    assert logged_in(response)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    lifetime = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < lifetime <= timedelta(hours=8)
    assert client.get(reverse("workspace:queue")).status_code == 200
    # Eight hours later the session is gone: back to the login page.
    Session.objects.filter(session_key=cookie.value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("workspace:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


PRODUCTION_PROBE = """
import json, django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
print("SETTINGS=" + json.dumps({
    "axes_backend": settings.AUTHENTICATION_BACKENDS[0],
    "axes_middleware": settings.MIDDLEWARE[-1],
    "limit": settings.AXES_FAILURE_LIMIT,
    "cooloff": settings.AXES_COOLOFF_TIME.total_seconds(),
    "age": settings.SESSION_COOKIE_AGE,
    "browser_close": settings.SESSION_EXPIRE_AT_BROWSER_CLOSE,
    "save_every": settings.SESSION_SAVE_EVERY_REQUEST,
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "debug": settings.DEBUG,
}))
"""


def test_production_profile_passes_check_deploy_with_the_security_settings():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "WARNINGS" not in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("SETTINGS="))
    found = json.loads(line.removeprefix("SETTINGS="))
    assert found == {
        "axes_backend": "axes.backends.AxesStandaloneBackend",
        "axes_middleware": "axes.middleware.AxesMiddleware",
        "limit": 5,
        "cooloff": 1800.0,
        "age": 8 * 3600,
        "browser_close": True,
        "save_every": True,  # production: 8 idle hours
        "secure_cookies": [True, True],
        "debug": False,
    }
