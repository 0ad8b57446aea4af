# ruff: noqa: F811 (pytest fixtures imported from sms_fixtures)
"""NHN Cloud SMS keeps a ``recipientGroupingKey`` of 100 characters at most; an outbox row's
idempotency key (``case:<id>:<Korean template name>:<audience>``) may be 200. The adapter sends
the row's ``provider_key`` (45 ASCII characters) instead, and the sandbox refuses a longer key
as NHN would, so these tests fail if the long key ever goes out again. Real HTTP to the
sandbox on 127.0.0.1; nothing of ours is mocked."""

from __future__ import annotations

import json
from datetime import date
from urllib import error as urlerror
from urllib import request as urlrequest

import pytest

from kmcs_site.sandbox.server import set_behaviour
from templates_app import services
from templates_app.gateways import provider_key
from templates_app.models import OutboundMessage
from templates_app.nhn_sms import ProviderRef
from tests.templates_app.conftest import DRIVER_BODY, DRIVER_VARS

from .sms_fixtures import lead, sandbox, sms_sandbox  # noqa: F401 (fixtures)
from .test_sms_gateway import accepted, calls
from .test_sms_reports import post

pytestmark = pytest.mark.django_db

S = OutboundMessage.Status
#: A CEMS-style name long enough that the case plan's key passes 100 characters (and bytes).
LONG_NAME = "대리기사_챗봇게시판_기사미운행건결제취소_승인_과태료_입금예정_안내_" * 3


@pytest.fixture
def long_message(sms_sandbox, lead):
    template = services.template_create(
        name=LONG_NAME,
        audience="driver",
        service="driver",
        body=DRIVER_BODY,
        variables=DRIVER_VARS,
        actor=lead,
    )
    services.template_version_approve(version=services.template_draft_version(template), actor=lead)
    key = f"case:1234567:{LONG_NAME}:driver"
    assert 100 < len(key) <= 200
    return services.message_queue(
        template_name=LONG_NAME,
        recipient="010-0000-1234",
        context={"received_on": date(2024, 3, 5), "amount": 12300},
        idempotency_key=key,
        actor=None,
    )


def deliver(message):
    outcome = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    return outcome


def test_the_row_stores_a_short_stable_provider_key(long_message):
    key = long_message.provider_key
    assert key == provider_key(long_message.idempotency_key)
    assert key.startswith("kmcs-") and len(key) == 45 and key.isascii()
    assert OutboundMessage.objects.get(provider_key=key) == long_message


def test_a_long_korean_key_is_accepted_under_its_provider_key(sms_sandbox, long_message):
    outcome = deliver(long_message)
    assert outcome.sent and long_message.status == S.SENT
    [row] = accepted(sms_sandbox)
    assert row["recipientGroupingKey"] == long_message.provider_key


def test_a_retry_after_a_timeout_finds_it_and_sends_nothing(sms_sandbox, long_message):
    """Like NHN, the sandbox ignores X-Idempotency-Key here: only the search by the provider
    key keeps the retry from sending a second message."""
    set_behaviour(
        sms_sandbox.url,
        "sms",
        honour_idempotency_key=False,
        uncertain_next=1,
        uncertain_delay_ms=1500,
    )
    first = deliver(long_message)
    assert long_message.status == S.QUEUED and first.retry_in == 30
    deliver(long_message)
    assert long_message.status == S.SENT and long_message.attempts == 2
    rows = accepted(sms_sandbox)
    assert len(rows) == 1 and calls(sms_sandbox, "send") == 1
    assert ProviderRef.decode(long_message.provider_message_id).request_id == rows[0]["requestId"]


def test_its_delivery_report_is_matched_by_the_provider_key(sms_sandbox, long_message, client):
    deliver(long_message)
    [row] = accepted(sms_sandbox)
    payload = {
        "reportId": "long-key-1",
        "results": [
            {
                "requestId": row["requestId"],
                "recipientSeq": row["recipientSeq"],
                "recipientGroupingKey": row["recipientGroupingKey"],
                "msgStatus": "3",
                "resultCode": "1000",
                "resultCodeName": "성공",
            }
        ],
    }
    assert post(client, payload).status_code == 204
    long_message.refresh_from_db()
    assert (long_message.report_status, long_message.report_code) == ("delivered", "1000")


def test_a_report_naming_the_long_idempotency_key_matches_nothing(
    sms_sandbox, long_message, client
):
    deliver(long_message)
    ref = ProviderRef.decode(long_message.provider_message_id)
    payload = {
        "reportId": "long-key-2",
        "results": [
            {
                "requestId": ref.request_id,
                "recipientSeq": int(ref.recipient_seq),
                "recipientGroupingKey": long_message.idempotency_key,
                "msgStatus": "3",
                "resultCode": "1000",
            }
        ],
    }
    assert post(client, payload).status_code == 204
    long_message.refresh_from_db()
    assert long_message.report_status == ""


@pytest.mark.parametrize("key", ["k" * 101, "가" * 40])  # 101 characters; 40 characters = 120 bytes
def test_the_sandbox_refuses_a_grouping_key_over_100(sms_sandbox, key):
    body = json.dumps(
        {
            "body": "x",
            "sendNo": "0200000000",
            "recipientList": [{"recipientNo": "01000001234", "recipientGroupingKey": key}],
        }
    ).encode()
    req = urlrequest.Request(
        f"{sms_sandbox.url}/sms/v3.0/appKeys/k/sender/sms",
        data=body,
        method="POST",
        headers={"X-Secret-Key": "s", "Content-Type": "application/json"},
    )
    with pytest.raises(urlerror.HTTPError) as caught:
        urlrequest.urlopen(req, timeout=5)
    assert caught.value.code == 400
    assert "recipientGroupingKey" in caught.value.read().decode()
    assert accepted(sms_sandbox) == []
