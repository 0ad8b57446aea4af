"""Role x action matrix of the notification screens (issue 14.5), expectations written out here
(not read from kmcs_site.permissions), and the object scope: nobody reaches another person's
notification (404, as for an id that does not exist)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kmcs_site.permissions import ACTIONS
from notifications.models import Kind, Notification
from notifications.services import notification_create

pytestmark = pytest.mark.django_db

ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous")
MAY = {"agent", "team_lead", "deputy_lead", "manager"}


@pytest.fixture
def people(staff):
    return {
        "agent": staff.agent,
        "team_lead": staff.lead,
        "deputy_lead": staff.deputy,
        "manager": staff.manager,
        "auditor": staff.auditor,
        "integration": staff.integration,
        "anonymous": None,
    }


def _client(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _outcome(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return "login"
    if response.status_code in (200, 302):
        return "ok"
    return str(response.status_code)


def _expect(role: str) -> str:
    if role == "anonymous":
        return "login"
    return "ok" if role in MAY else "403"


def test_the_actions_exist_for_the_workers_only():
    for action in (
        "notifications.inbox.read",
        "notifications.inbox.mark_read",
        "notifications.preference.edit",
    ):
        assert {r.value for r in ACTIONS[action]} == MAY, action


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, people, role):
    user = people[role]
    own = None
    if user is not None:
        own = notification_create(recipient=user, kind=Kind.CASE_ASSIGNED, title="t", path="/")
    c = _client(client, user)
    requests = [
        ("get", reverse("notifications:list"), {}),
        ("get", reverse("notifications:preferences"), {}),
        ("post", reverse("notifications:preferences"), {"email_enabled": ""}),
        ("post", reverse("notifications:read_all"), {}),
        ("post", reverse("notifications:read", args=[own.pk if own else 1]), {}),
    ]
    for method, url, data in requests:
        got = _outcome(getattr(c, method)(url, data))
        assert got == _expect(role), (role, method, url, got)
    if role in MAY:
        assert c.delete(reverse("notifications:list")).status_code == 405


def test_someone_elses_notification_is_a_404_and_stays_unread(client, staff):
    theirs = notification_create(recipient=staff.agent_b, kind=Kind.CASE_ASSIGNED, title="t")
    client.force_login(staff.agent)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[999_999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # and their rows never show in my list
    page = client.get(reverse("notifications:list"))
    assert f"notification-{theirs.pk}" not in page.content.decode()


def test_mark_all_read_touches_only_my_rows(client, staff):
    mine = [
        notification_create(recipient=staff.agent, kind=Kind.CASE_ASSIGNED, title=f"m{i}")
        for i in range(3)
    ]
    theirs = notification_create(recipient=staff.agent_b, kind=Kind.CASE_ASSIGNED, title="t")
    client.force_login(staff.agent)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(pk__in=[m.pk for m in mine], read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
