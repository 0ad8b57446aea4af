"""django-axes in the admin and behind a reverse proxy (issue 12).

- The leads' admin action "만료된 로그인 실패 기록 정리" answered 500: axes' action computes its
  threshold from ``request.axes_attempt_time``, which only a login request carries.
- Behind a proxy every login came from the proxy's address, so axes locked (username, proxy)
  pairs: one person's five typos locked that username for everyone behind the proxy, and an
  attacker's guesses were spread over nobody's address. With ``KMCS_TRUSTED_PROXY_COUNT`` the
  client address is read from ``X-Forwarded-For`` (only the entries our own proxies appended:
  a client cannot choose its address by sending the header itself).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-1234"  # tests/conftest.py make_user
PROXY = "10.0.0.1"


def _attempt(username: str, *, minutes_ago: int, ip: str = "10.1.2.3"):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="pytest",
        http_accept="*/*",
        path_info="/accounts/login/",
        failures_since_start=3,
    )
    # attempt_time is auto_now_add: age the row as the clock would have.
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return attempt


# --- the admin action --------------------------------------------------------------------------


def test_a_lead_cleans_expired_attempts_through_the_admin(make_user):
    from axes.models import AccessAttempt

    lead = make_user("team_lead", username="axes_lead")
    client = Client(raise_request_exception=False)
    # Logged in first: axes cleans expired attempts itself on every successful login.
    client.force_login(lead)
    old = _attempt("old_typist", minutes_ago=31)  # the 30-minute lock is over
    fresh = _attempt("fresh_typist", minutes_ago=5)  # still counts: must stay
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk, fresh.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]
    text = response.content.decode()
    assert "만료된 로그인 실패 기록 1건을 정리했습니다" in text


def test_the_cleanup_service_keeps_live_attempts_and_checks_the_permission(make_user):
    from axes.models import AccessAttempt
    from django.core.exceptions import PermissionDenied

    from kmcs_site.lockout import lockout_clean_expired

    lead = make_user("team_lead", username="axes_lead2")
    auditor = make_user("auditor", username="axes_auditor")
    _attempt("a", minutes_ago=45)
    _attempt("b", minutes_ago=29)
    with pytest.raises(PermissionDenied):
        lockout_clean_expired(actor=auditor)
    assert AccessAttempt.objects.count() == 2
    assert lockout_clean_expired(actor=lead) == 1
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["b"]


def test_auditors_cannot_run_the_cleanup_action(make_user):
    from axes.models import AccessAttempt

    auditor = make_user("auditor", username="axes_auditor2")
    client = Client(raise_request_exception=False)
    client.force_login(auditor)
    old = _attempt("old", minutes_ago=40)
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk]},
    )
    assert response.status_code in (200, 302, 403)
    assert AccessAttempt.objects.filter(pk=old.pk).exists()


# --- the client address behind a proxy ----------------------------------------------------------


def _login(client, username, password, *, forwarded_for: str | None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_without_a_proxy_the_socket_address_counts(settings):
    from kmcs_site.client_ip import client_ip

    settings.KMCS_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.1.1.1"  # a header nobody trusted is ignored


@pytest.mark.parametrize(
    ("count", "header", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # A client that sends its own X-Forwarded-For cannot pick its address: the proxy
        # appends the real one at the right and only that entry is trusted.
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, " 203.0.113.8 ", "203.0.113.8"),
        (1, "2001:db8::5", "2001:db8::5"),
        # Fewer entries than trusted proxies, an empty or a malformed header: the socket
        # address (the proxy's), never a guess.
        (2, "203.0.113.7", PROXY),
        (1, "", PROXY),
        (1, "not-an-ip", PROXY),
    ],
)
def test_the_trusted_proxies_entry_is_the_client(settings, count, header, expected):
    from kmcs_site.client_ip import client_ip

    settings.KMCS_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == expected


def test_axes_asks_our_client_ip_function():
    from django.conf import settings

    assert settings.AXES_CLIENT_IP_CALLABLE == "kmcs_site.client_ip.client_ip"


def test_two_clients_behind_one_proxy_are_locked_separately(settings, make_user):
    """Five failures of one user from desk A lock that user on desk A only: the same user from
    desk B (same proxy) still logs in; and desk A's lock holds whatever the header claims."""
    from axes.models import AccessAttempt

    settings.KMCS_TRUSTED_PROXY_COUNT = 1
    make_user("agent", username="proxy_kim")
    desk_a, desk_b = "192.168.10.11", "192.168.10.12"
    for attempt in range(1, 6):
        response = _login(Client(), "proxy_kim", "wrong", forwarded_for=desk_a)
        assert response.status_code == (429 if attempt == 5 else 200), attempt
    assert _login(Client(), "proxy_kim", PASSWORD, forwarded_for=desk_a).status_code == 429
    # Desk A cannot escape its lock by claiming another address in front of the proxy's entry.
    spoofed = f"{desk_b}, {desk_a}"
    assert _login(Client(), "proxy_kim", PASSWORD, forwarded_for=spoofed).status_code == 429
    # Desk B, behind the same proxy, is not locked.
    assert _login(Client(), "proxy_kim", PASSWORD, forwarded_for=desk_b).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {desk_a}


def test_without_the_setting_one_proxy_locks_everyone_behind_it(settings, make_user):
    """The default (no trusted proxy) is right for direct connections; behind a proxy it
    cannot tell desks apart. This pins what the setting changes."""
    settings.KMCS_TRUSTED_PROXY_COUNT = 0
    make_user("agent", username="proxy_lee")
    for _ in range(5):
        _login(Client(), "proxy_lee", "wrong", forwarded_for="192.168.10.21")
    assert _login(Client(), "proxy_lee", PASSWORD, forwarded_for="192.168.10.22").status_code == 429
