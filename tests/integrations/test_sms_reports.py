# ruff: noqa: F811 (pytest fixtures imported from sms_fixtures)
"""Delivery reports: the sandbox's signed callback into our endpoint, bad callbacks (bad
signature, replayed, stale, unknown message) change nothing, and the polling fallback."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from kmcs_site.sandbox.server import set_behaviour
from templates_app import services
from templates_app.delivery_reports import reports_poll, sign
from templates_app.models import OutboundMessage
from templates_app.nhn_sms import ProviderRef
from tests.conftest import wait_until

from .sms_fixtures import CALLBACK_SECRET, lead, queue_message, sandbox, sms_sandbox  # noqa: F401

S = OutboundMessage.Status


def sent_message(queue_message, key="case-1:driver"):
    message = queue_message(key)
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT
    return message


def report_for(message, *, status="3", code="1000", report_id=None):
    ref = ProviderRef.decode(message.provider_message_id)
    return {
        "reportId": report_id or uuid.uuid4().hex,
        "results": [
            {
                "requestId": ref.request_id,
                "recipientSeq": int(ref.recipient_seq),
                "recipientGroupingKey": message.provider_key,
                "msgStatus": status,
                "resultCode": code,
                "resultCodeName": "성공" if status == "3" else "수신 실패",
            }
        ],
    }


def post(client, payload, *, secret=CALLBACK_SECRET, timestamp=None):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        reverse("sms_delivery_report"),
        data=body,
        content_type="application/json",
        HTTP_X_KMCS_TIMESTAMP=stamp,
        HTTP_X_KMCS_SIGNATURE=sign(body, stamp, secret),
    )


@pytest.mark.django_db
def test_a_signed_report_marks_delivered_with_the_code(sms_sandbox, queue_message, client):
    message = sent_message(queue_message)
    answer = post(client, report_for(message))
    assert answer.status_code == 204 and answer.content == b""
    message.refresh_from_db()
    assert message.report_status == "delivered" and message.report_code == "1000"
    assert message.reported_at is not None


@pytest.mark.django_db
def test_a_failed_report_keeps_the_providers_code(sms_sandbox, queue_message, client):
    message = sent_message(queue_message)
    post(client, report_for(message, status="0", code="3015"))
    message.refresh_from_db()
    assert (message.report_status, message.report_code) == ("failed", "3015")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "how",
    ["bad_signature", "stale", "future", "no_headers", "unreadable"],
)
def test_bad_callbacks_change_nothing_and_say_nothing(
    sms_sandbox, queue_message, client, how, caplog
):
    message = sent_message(queue_message)
    payload = report_for(message)
    if how == "bad_signature":
        answer = post(client, payload, secret="not-the-secret")
    elif how == "stale":
        answer = post(client, payload, timestamp=int(time.time()) - 301)
    elif how == "future":
        # Well past the window: the check runs later than this line (a busy machine takes
        # seconds), which brings a future stamp closer, never a stale one.
        answer = post(client, payload, timestamp=int(time.time()) + 360)
    elif how == "no_headers":
        answer = client.post(
            reverse("sms_delivery_report"), data=payload, content_type="application/json"
        )
    else:
        body = b"not json"
        stamp = str(int(time.time()))
        answer = client.post(
            reverse("sms_delivery_report"),
            data=body,
            content_type="application/json",
            HTTP_X_KMCS_TIMESTAMP=stamp,
            HTTP_X_KMCS_SIGNATURE=sign(body, stamp, CALLBACK_SECRET),
        )
    assert answer.status_code == 400 and answer.content == b""
    message.refresh_from_db()
    assert message.report_status == "" and message.reported_at is None
    assert "SMS report callback refused" in caplog.text


@pytest.mark.django_db
def test_a_replayed_report_is_applied_once(sms_sandbox, queue_message, client):
    message = sent_message(queue_message)
    payload = report_for(message, report_id="r-1")
    assert post(client, payload).status_code == 204
    OutboundMessage.objects.filter(pk=message.pk).update(report_status="", report_code="")
    assert post(client, payload).status_code == 204  # same answer, nothing said
    message.refresh_from_db()
    assert message.report_status == ""  # the replay changed nothing


@pytest.mark.django_db
def test_a_report_for_an_unknown_message_changes_nothing(sms_sandbox, queue_message, client):
    message = sent_message(queue_message)
    payload = report_for(message)
    payload["results"][0]["requestId"] = "someone-elses"
    assert post(client, payload).status_code == 204
    payload = report_for(message)
    payload["results"][0]["recipientGroupingKey"] = "no-such-key"
    assert post(client, payload).status_code == 204
    message.refresh_from_db()
    assert message.report_status == ""


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_posts_a_signed_report_to_our_server(sms_sandbox, queue_message, live_server):
    set_behaviour(
        sms_sandbox.url,
        "sms",
        callback_url=live_server.url + reverse("sms_delivery_report"),
        callback_secret=CALLBACK_SECRET,
        report="failed",
        report_code="3015",
    )
    message = sent_message(queue_message)
    wait_until(lambda: OutboundMessage.objects.get(pk=message.pk).report_status, timeout=10)
    message.refresh_from_db()
    assert (message.report_status, message.report_code) == ("failed", "3015")


@pytest.mark.django_db
@pytest.mark.parametrize("outcome,code", [("delivered", "1000"), ("failed", "3015")])
def test_polling_fallback_when_no_callback_comes(sms_sandbox, queue_message, outcome, code):
    """No callback arrives (none configured here): the beat job asks the provider."""
    set_behaviour(sms_sandbox.url, "sms", report=outcome, report_code=code)
    message = sent_message(queue_message)
    assert reports_poll() == 0  # not yet due (KMCS_SMS_REPORT_POLL_AFTER_MINUTES)
    time.sleep(0.4)  # the sandbox settles the message after report_delay_ms
    applied = reports_poll(older_than=timedelta(0))
    message.refresh_from_db()
    assert applied == 1
    assert (message.report_status, message.report_code) == (outcome, code)
    assert reports_poll(older_than=timedelta(0)) == 0  # once
