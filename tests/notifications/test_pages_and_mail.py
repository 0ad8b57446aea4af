"""The bell, the list, the settings page and the e-mail copy: fixed query counts, links on the
request's own host and port in the app and on KMCS_SITE_URL (any port) in the mail, e-mail only
for people who chose it, sent by Celery after commit, once."""

from __future__ import annotations

import pytest
from django.core import mail as djmail
from django.urls import reverse

from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import (
    NotificationError,
    notification_create,
    notification_email_deliver,
    notification_email_requeue,
    preference_set,
)

pytestmark = pytest.mark.django_db


def make(user, n, **kw):
    return [
        notification_create(
            recipient=user,
            kind=kw.get("kind", Kind.CASE_ASSIGNED),
            title=f"알림 {i}",
            body="본문",
            path=f"/work/cases/{1000 + i}/",
        )
        for i in range(n)
    ]


def _queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_bell_shows_the_unread_count_in_the_header(client, staff):
    first, *_rest = make(staff.agent, 3)
    Notification.objects.filter(pk=first.pk).update(read_at="2024-01-01T00:00:00Z")
    client.force_login(staff.agent)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'id="notification-bell"' in page
    assert 'id="notification-count">2<' in page


def test_list_and_bell_cost_the_same_queries_for_3_and_60_rows(
    client, staff, django_assert_max_num_queries
):
    client.force_login(staff.agent)
    url = reverse("notifications:list")
    make(staff.agent, 3)
    few = _queries_for(client, url, django_assert_max_num_queries, 12)
    make(staff.agent, 57)
    many = _queries_for(client, url, django_assert_max_num_queries, 12)
    assert few == many
    # another page that carries the bell: the bell adds the same fixed cost
    queue = reverse("workspace:queue")
    before = _queries_for(client, queue, django_assert_max_num_queries, 40)
    make(staff.agent, 40)
    assert _queries_for(client, queue, django_assert_max_num_queries, 40) == before


def test_links_use_the_requests_host_and_port(client, staff, settings):
    settings.ALLOWED_HOSTS = ["*"]
    (row,) = make(staff.agent, 1)
    client.force_login(staff.agent)
    page = client.get(reverse("notifications:list"), HTTP_HOST="10.1.2.3:9443").content.decode()
    assert f'href="http://10.1.2.3:9443{row.path}"' in page
    # "열기" marks it read and goes to the path on this host
    response = client.post(
        reverse("notifications:read", args=[row.pk]), {"open": "1"}, HTTP_HOST="10.1.2.3:9443"
    )
    assert response.status_code == 302 and response["Location"] == row.path
    row.refresh_from_db()
    assert row.read_at is not None


def test_no_email_unless_the_person_chose_it(staff, django_capture_on_commit_callbacks):
    djmail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make(staff.agent, 1)
    assert djmail.outbox == []
    assert not Notification.objects.get(recipient=staff.agent).email_pending


def test_email_copy_goes_through_celery_after_commit_with_the_site_url(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.KMCS_SITE_URL = "http://kmcs.center.local:8765/"
    client.force_login(staff.agent)
    response = client.post(reverse("notifications:preferences"), {"email_enabled": "on"})
    assert response.status_code == 302
    djmail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (row,) = make(staff.agent, 1)
    assert djmail.outbox == []  # nothing before the commit
    assert row.email_pending
    for callback in callbacks:
        callback()
    assert len(djmail.outbox) == 1
    sent = djmail.outbox[0]
    assert sent.to == [staff.agent.email] and sent.subject == "[KMCS] 알림 0"
    assert "http://kmcs.center.local:8765/work/cases/1000/" in sent.body
    assert "http://kmcs.center.local:8765/notifications/settings/" in sent.body
    row.refresh_from_db()
    assert not row.email_pending and row.emailed_at is not None
    # a redelivered task finds nothing to claim: one mail
    assert notification_email_deliver(notification_id=row.pk) == "skipped"
    assert len(djmail.outbox) == 1


def test_a_refused_mail_is_sent_again_by_the_sweeper(staff, settings, monkeypatch):
    preference_set(user=staff.agent, email_enabled=True, actor=staff.agent)
    (row,) = make(staff.agent, 1)

    def refuse(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("notifications.services.send_mail", refuse)
    assert notification_email_deliver(notification_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.email_pending and row.emailed_at is None
    monkeypatch.undo()
    djmail.outbox.clear()
    assert notification_email_requeue(older_than=0) == 1  # eager Celery in tests: sends now
    assert len(djmail.outbox) == 1
    assert notification_email_requeue(older_than=0) == 0


def test_preference_is_the_persons_own_and_keeps_history(client, staff):
    with pytest.raises(NotificationError):
        preference_set(user=staff.agent, email_enabled=True, actor=staff.lead)
    client.force_login(staff.agent)
    client.post(reverse("notifications:preferences"), {"email_enabled": "on"})
    client.post(reverse("notifications:preferences"), {})
    pref = NotificationPreference.objects.get(user=staff.agent)
    assert pref.email_enabled is False
    history = list(pref.history.order_by("history_id"))
    assert [h.email_enabled for h in history] == [True, False]
    assert {h.history_user_id for h in history} == {staff.agent.pk}


def test_no_email_address_is_a_korean_error_and_nothing_saved(client, staff):
    staff.agent.email = ""
    staff.agent.save()
    client.force_login(staff.agent)
    page = client.post(reverse("notifications:preferences"), {"email_enabled": "on"})
    assert "메일 주소가 없어" in page.content.decode()
    assert not NotificationPreference.objects.filter(user=staff.agent).exists()


def test_dedupe_key_tells_once(staff):
    first = notification_create(
        recipient=staff.agent, kind=Kind.STEP_OVERDUE, title="x", dedupe_key="overdue:step:1"
    )
    again = notification_create(
        recipient=staff.agent, kind=Kind.STEP_OVERDUE, title="x", dedupe_key="overdue:step:1"
    )
    assert first is not None and again is None
    # an inactive person is told nothing
    staff.agent_b.is_active = False
    staff.agent_b.save()
    assert notification_create(recipient=staff.agent_b, kind=Kind.CASE_ASSIGNED, title="x") is None
