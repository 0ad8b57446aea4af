# ruff: noqa: F811 (pytest fixtures imported from sms_fixtures)
"""The CEMS/MCRM adapters (NHN Cloud SMS v3.0) against the sandbox server on 127.0.0.1:
happy path, 4xx, 5xx, timeout, malformed answer, breaker, rate limit, idempotency, dead letter.
Nothing of our own code is mocked: the adapter speaks HTTP to a real server."""

from __future__ import annotations

import json
import time
from urllib import request as urlrequest

import pytest
from django.urls import reverse

from kmcs_site.sandbox.server import set_behaviour
from templates_app import services
from templates_app.models import OutboundMessage
from templates_app.nhn_sms import ProviderRef

from .sms_fixtures import lead, queue_message, sandbox, sms_sandbox  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

S = OutboundMessage.Status


def accepted(sandbox) -> list[dict]:
    """What the sandbox accepted (sent to the carrier), read over HTTP."""
    with urlrequest.urlopen(f"{sandbox.url}/_sandbox/sms/messages", timeout=5) as answer:
        return json.loads(answer.read())


def calls(sandbox, note: str = "") -> int:
    """Requests the sandbox's SMS provider received (``note``: only sends, searches...)."""
    with urlrequest.urlopen(f"{sandbox.url}/_sandbox/received", timeout=5) as answer:
        rows = json.loads(answer.read())
    return sum(
        1
        for r in rows
        if r["provider"] == "sms" and r["method"] != "CALLBACK" and r["note"].startswith(note)
    )


def deliver(message):
    outcome = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    return outcome


def test_happy_path_cems(sms_sandbox, queue_message):
    message = queue_message()
    outcome = deliver(message)
    assert outcome.sent and message.status == S.SENT and message.attempts == 1
    ref = ProviderRef.decode(message.provider_message_id)
    assert (ref.system, ref.kind) == ("cems", "mms")  # over 90 bytes: LMS (/sender/mms)
    [row] = accepted(sms_sandbox)
    assert row["requestId"] == ref.request_id
    assert row["appKey"] == "app-cems"
    assert row["recipientNo"] == "01000001234"
    assert row["recipientGroupingKey"] == message.provider_key  # short hash of the key
    assert row["sendNo"] == "0200000000"
    assert row["body"] == message.body
    assert message.length_class == "LMS"


def test_an_mcrm_template_goes_through_the_mcrm_account(sms_sandbox, queue_message):
    message = queue_message("case-2:driver", system="mcrm")
    deliver(message)
    assert message.status == S.SENT
    assert ProviderRef.decode(message.provider_message_id).system == "mcrm"
    assert [r["appKey"] for r in accepted(sms_sandbox)] == ["app-mcrm"]


def test_a_4xx_fails_at_once_and_is_never_retried(sms_sandbox, queue_message):
    set_behaviour(sms_sandbox.url, "sms", fail_next=1, status=400)
    message = queue_message()
    outcome = deliver(message)
    assert message.status == S.FAILED and outcome.retry_in is None
    assert "HTTP 400" in message.last_error
    assert services.message_deliver(message_id=message.pk).skipped  # final: no second call
    assert calls(sms_sandbox, "send") == 1 and accepted(sms_sandbox) == []


def test_a_wrong_secret_is_a_permanent_failure(sms_sandbox, queue_message, settings):
    set_behaviour(sms_sandbox.url, "sms", secret="the-real-one")
    message = queue_message()
    deliver(message)
    assert message.status == S.FAILED and "HTTP 401" in message.last_error


@pytest.mark.parametrize("status", [503, 500, 429])
def test_5xx_and_429_are_retried_with_backoff(sms_sandbox, queue_message, status):
    set_behaviour(sms_sandbox.url, "sms", fail_next=1, status=status)
    message = queue_message()
    first = deliver(message)
    assert message.status == S.QUEUED and first.retry_in == 30
    assert f"HTTP {status}" in message.last_error
    second = deliver(message)
    assert second.sent and message.status == S.SENT and message.attempts == 2
    assert len(accepted(sms_sandbox)) == 1


def test_timeout_then_retry_never_sends_twice(sms_sandbox, queue_message):
    """The provider accepted the message but answered after our timeout: the retry finds it
    by its key and sends nothing (one message at the sandbox)."""
    set_behaviour(sms_sandbox.url, "sms", uncertain_next=1, uncertain_delay_ms=1500)
    message = queue_message()
    first = deliver(message)
    assert message.status == S.QUEUED and first.retry_in == 30
    assert "timed out" in message.last_error or "연결 실패" in message.last_error
    deliver(message)
    assert message.status == S.SENT and message.attempts == 2
    rows = accepted(sms_sandbox)
    assert len(rows) == 1
    assert ProviderRef.decode(message.provider_message_id).request_id == rows[0]["requestId"]
    assert calls(sms_sandbox, "send") == 1  # the retry searched, it did not post again


def test_a_malformed_answer_is_retried_without_a_second_send(sms_sandbox, queue_message):
    set_behaviour(sms_sandbox.url, "sms", malformed_next=1)
    message = queue_message()
    deliver(message)
    assert message.status == S.QUEUED and "읽을 수 없습니다" in message.last_error
    deliver(message)
    assert message.status == S.SENT
    assert len(accepted(sms_sandbox)) == 1


def test_the_sandbox_honours_the_idempotency_key(sms_sandbox):
    """Two posts with one X-Idempotency-Key: one message, the same requestId twice."""
    body = json.dumps(
        {"body": "x", "sendNo": "0200000000", "recipientList": [{"recipientNo": "01000001234"}]}
    ).encode()
    answers = []
    for _ in range(2):
        req = urlrequest.Request(
            f"{sms_sandbox.url}/sms/v3.0/appKeys/k/sender/sms",
            data=body,
            method="POST",
            headers={
                "X-Secret-Key": "s",
                "X-Idempotency-Key": "same",
                "Content-Type": "application/json",
            },
        )
        with urlrequest.urlopen(req, timeout=5) as answer:
            answers.append(json.loads(answer.read())["body"]["data"]["requestId"])
    assert answers[0] == answers[1]
    assert len(accepted(sms_sandbox)) == 1


def test_breaker_opens_after_n_failures_then_half_open_probe(sms_sandbox, queue_message):
    set_behaviour(sms_sandbox.url, "sms", fail_next=100, status=503)
    message = queue_message()
    for _ in range(3):  # KMCS_SMS_BREAKER_FAILURES = 3
        deliver(message)
    assert calls(sms_sandbox) == 3 and message.attempts == 3
    # Open: refused before the provider is asked, no attempt spent.
    held = deliver(message)
    assert calls(sms_sandbox) == 3
    assert message.status == S.QUEUED and message.attempts == 3 and held.retry_in == 1
    assert "차단" in message.last_error
    # Half-open after the cool-down: one probe; it fails -> open again.
    time.sleep(1.1)
    deliver(message)
    assert calls(sms_sandbox) == 4 and message.attempts == 4
    deliver(message)
    assert calls(sms_sandbox) == 4  # open again
    # The provider recovers: the next probe succeeds and closes the breaker.
    set_behaviour(sms_sandbox.url, "sms", fail_next=0)
    time.sleep(1.1)
    deliver(message)
    assert message.status == S.SENT
    other = queue_message("case-9:driver")
    deliver(other)
    assert other.status == S.SENT and len(accepted(sms_sandbox)) == 2


def test_rate_limit_defers_without_calling_the_provider(sms_sandbox, queue_message, settings):
    for account in settings.KMCS_SMS_PROVIDERS.values():
        account["rate_per_second"] = 1
    first, second = queue_message("k-1"), queue_message("k-2")
    deliver(first)
    outcome = deliver(second)
    assert first.status == S.SENT
    assert second.status == S.QUEUED and second.attempts == 0 and outcome.retry_in == 1
    assert "속도 제한" in second.last_error
    assert calls(sms_sandbox) == 1
    time.sleep(1.05)
    deliver(second)
    assert second.status == S.SENT and len(accepted(sms_sandbox)) == 2


def test_dead_letter_then_lead_retries_from_admin(
    sms_sandbox, queue_message, settings, lead, client, django_capture_on_commit_callbacks
):
    settings.KMCS_SMS_BREAKER_FAILURES = 100
    set_behaviour(sms_sandbox.url, "sms", fail_next=services.MAX_ATTEMPTS, status=502)
    message = queue_message()
    for _ in range(services.MAX_ATTEMPTS):
        deliver(message)
    assert message.status == S.DEAD_LETTER and accepted(sms_sandbox) == []
    assert services.message_deliver(message_id=message.pk).skipped  # waits for a person
    client.force_login(lead)
    url = reverse("admin:templates_app_outboundmessage_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            url, {"action": "retry_dead_letters", "_selected_action": [message.pk], "index": 0}
        )
    assert answer.status_code == 302
    message.refresh_from_db()
    assert message.status == S.SENT
    assert len(accepted(sms_sandbox)) == 1
    reasons = list(message.history.values_list("history_change_reason", flat=True))
    assert "재처리 대기 문자 재발송 (팀장)" in reasons
    assert any(r and r.startswith("재시도 소진") for r in reasons)


def test_an_agent_may_not_retry_a_dead_letter(sms_sandbox, queue_message, make_user):
    from django.core.exceptions import PermissionDenied

    message = queue_message()
    OutboundMessage.objects.filter(pk=message.pk).update(status=S.DEAD_LETTER)
    message.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.message_retry_dead_letter(message=message, actor=make_user("agent"))
