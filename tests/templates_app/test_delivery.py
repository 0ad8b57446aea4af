"""Delivery: at most one gateway call per message, retries with backoff, failed state, by hand."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from templates_app import services
from templates_app.errors import MessageError, MessageStateError
from templates_app.gateways import (
    ConsoleGateway,
    FileGateway,
    GatewayError,
    GatewayPermanentError,
    HttpGateway,
    SmsRequest,
)
from templates_app.models import OutboundMessage
from templates_app.tasks import message_send

pytestmark = pytest.mark.django_db

S = OutboundMessage.Status


@pytest.fixture
def message(make_template, gateway, agent, make_agent_case):
    """A message of a case ``agent`` works (an agent acts only on those)."""
    make_template()
    return services.message_queue(
        template_name="테스트_기사_결제취소(승인)",
        recipient="010-0000-1234",
        context={"received_on": date(2024, 3, 5), "amount": 12300},
        idempotency_key="case-7:driver",
        actor=None,
        subject=make_agent_case(agent),
    )


def test_task_run_twice_sends_once(message, gateway):
    message_send.apply(args=[message.pk])
    message_send.apply(args=[message.pk])
    assert len(gateway.calls) == 1
    message.refresh_from_db()
    assert message.status == S.SENT and message.attempts == 1
    assert message.provider_message_id == "test-1"


def test_a_second_run_while_the_first_is_sending_sends_nothing(message, gateway):
    inner = []
    gateway.on_send = lambda request: inner.append(
        services.message_deliver(message_id=request.message_id)
    )
    outcome = services.message_deliver(message_id=message.pk)
    assert outcome.sent
    assert inner[0].skipped.startswith("not queued") and not inner[0].sent
    assert len(gateway.calls) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_call_the_gateway_once(make_template, gateway):
    make_template()
    message = services.message_queue(
        template_name="테스트_기사_결제취소(승인)",
        recipient="010-0000-1234",
        context={"received_on": date(2024, 3, 5), "amount": 100},
        idempotency_key="race",
        actor=None,
    )
    # Undo the eager send so that the row is queued again for the race.
    OutboundMessage.objects.filter(pk=message.pk).update(status=S.QUEUED, attempts=0)
    gateway.reset()
    barrier = threading.Barrier(4)
    outcomes = []

    def run():
        from django.db import connection

        barrier.wait()
        try:
            outcomes.append(services.message_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(gateway.calls) == 1
    assert sum(o.sent for o in outcomes) == 1


def test_retries_with_backoff_then_dead_letter(message, gateway):
    """Transient failures only: after the last attempt the message waits for a lead (issue 16)."""
    gateway.failures = [GatewayError("provider timeout")] * 5
    outcomes = [services.message_deliver(message_id=message.pk) for _ in range(6)]
    assert [o.retry_in for o in outcomes[:4]] == [30, 60, 120, 240]
    assert outcomes[4].status == S.DEAD_LETTER and outcomes[4].retry_in is None
    assert outcomes[5].skipped  # dead letter: no sixth call until a lead retries it
    assert len(gateway.calls) == services.MAX_ATTEMPTS == 5
    message.refresh_from_db()
    assert message.status == S.DEAD_LETTER
    assert message.attempts == 5
    assert "provider timeout" in message.last_error
    reasons = list(message.history.values_list("history_change_reason", flat=True))
    assert reasons[0] == "재시도 소진 (5회 일시 오류): 팀장 재처리 대기"


def test_the_task_retries_until_dead_letter(message, gateway):
    """Eager Celery runs retries at once; the five-attempt limit lives on the row."""
    gateway.failures = [GatewayError("503")] * 10
    message_send.delay(message.pk)
    message.refresh_from_db()
    assert message.status == S.DEAD_LETTER
    assert len(gateway.calls) == 5


def test_a_transient_failure_then_success(message, gateway):
    gateway.failures = [GatewayError("timeout"), GatewayError("timeout")]
    message_send.delay(message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT
    assert message.attempts == 3
    assert message.last_error == ""
    assert len(gateway.calls) == 3


def test_a_permanent_error_fails_at_once(message, gateway):
    gateway.failures = [GatewayPermanentError("HTTP 400 invalid number")]
    message_send.delay(message.pk)
    message.refresh_from_db()
    assert message.status == S.FAILED
    assert message.attempts == 1
    assert "invalid number" in message.last_error


def test_the_retry_action_queues_a_failed_message_again(message, gateway, lead, agent):
    gateway.failures = [GatewayPermanentError("bad")]
    services.message_deliver(message_id=message.pk)
    with pytest.raises(PermissionDenied):
        services.message_retry(message=message, actor=agent)
    services.message_retry(message=message, actor=lead)
    message.refresh_from_db()
    assert message.status == S.QUEUED and message.attempts == 0
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT
    with pytest.raises(MessageStateError):
        services.message_retry(message=message, actor=lead)


def test_mark_sent_by_hand(message, gateway, agent, make_user):
    with pytest.raises(MessageError, match="사유"):
        services.message_mark_sent_by_hand(message=message, reason="  ", actor=agent)
    with pytest.raises(PermissionDenied):
        services.message_mark_sent_by_hand(message=message, reason="x", actor=make_user("auditor"))

    services.message_mark_sent_by_hand(message=message, reason="CEMS에서 직접 발송", actor=agent)
    message.refresh_from_db()
    assert message.status == S.SENT_BY_HAND
    assert message.hand_sent_by == agent and message.hand_reason == "CEMS에서 직접 발송"
    assert message.history.first().history_user == agent

    # A task that arrives afterwards sends nothing.
    outcome = services.message_deliver(message_id=message.pk)
    assert outcome.skipped and gateway.calls == []
    with pytest.raises(MessageStateError, match="이미 발송"):
        services.message_mark_sent_by_hand(message=message, reason="again", actor=agent)


def test_a_message_stuck_in_sending_is_left_to_a_person(message, gateway, lead, agent):
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.SENDING, attempts=1, last_attempt_at=timezone.now()
    )
    # A redelivered task does not resend what may have gone out.
    assert services.message_deliver(message_id=message.pk).skipped
    with pytest.raises(MessageStateError, match="발송 중"):
        services.message_mark_sent_by_hand(message=message, reason="x", actor=agent)
    with pytest.raises(MessageStateError):
        services.message_retry(message=message, actor=lead)

    OutboundMessage.objects.filter(pk=message.pk).update(
        last_attempt_at=timezone.now() - timedelta(hours=1)
    )
    services.message_retry(message=message, actor=lead)
    message.refresh_from_db()
    assert message.status == S.QUEUED
    assert gateway.calls == []


def test_a_persons_decision_during_sending_stands(message, gateway):
    def someone_marks_it(request):
        OutboundMessage.objects.filter(pk=request.message_id).update(
            status=S.SENT_BY_HAND, hand_reason="직접 발송"
        )

    gateway.on_send = someone_marks_it
    outcome = services.message_deliver(message_id=message.pk)
    assert outcome.skipped == "claim lost"
    message.refresh_from_db()
    assert message.status == S.SENT_BY_HAND


def test_stale_queued_messages_are_handed_to_celery_again(message, gateway):
    assert services.message_requeue_stale() == 0
    OutboundMessage.objects.filter(pk=message.pk).update(
        queued_at=timezone.now() - timedelta(hours=1)
    )
    assert services.message_requeue_stale() == 1
    message.refresh_from_db()
    assert message.status == S.SENT
    assert services.message_requeue_stale() == 0


def test_missing_message_is_skipped(gateway):
    assert services.message_deliver(message_id=123456).skipped == "missing"
    assert gateway.calls == []


# --- gateways -------------------------------------------------------------------------------

REQUEST = SmsRequest(
    recipient="01000005678",
    body="본문 테스트",
    idempotency_key="k-1",
    length_class="SMS",
    message_id=1,
)


def test_file_gateway_appends_json_lines_with_masked_recipient(tmp_path):
    gateway = FileGateway(tmp_path / "outbox.log")
    receipt = gateway.send(REQUEST)
    gateway.send(REQUEST)
    lines = gateway.read()
    assert len(lines) == 2
    assert lines[0]["provider_message_id"] == receipt.provider_message_id
    assert lines[0]["to"] == "010-****-5678"
    assert lines[0]["body"] == "본문 테스트"
    assert "01000005678" not in (tmp_path / "outbox.log").read_text()


def test_console_gateway_logs_masked(caplog):
    with caplog.at_level(logging.INFO, logger="templates_app.sms"):
        ConsoleGateway().send(REQUEST)
    assert "010-****-5678" in caplog.text
    assert "01000005678" not in caplog.text


class _Provider(BaseHTTPRequestHandler):
    status = 200
    seen: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).seen.append((dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"message_id": "prov-1"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    _Provider.seen = []
    _Provider.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", _Provider
    server.shutdown()
    server.server_close()


def test_http_gateway_posts_with_token_and_idempotency_key(provider):
    url, handler = provider
    receipt = HttpGateway(url=url, token="tok", timeout=5).send(REQUEST)
    assert receipt.provider_message_id == "prov-1"
    headers, payload = handler.seen[0]
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Idempotency-Key"] == "k-1"
    assert payload == {
        "to": "01000005678",
        "from": "",
        "text": "본문 테스트",
        "type": "SMS",
        "idempotency_key": "k-1",
    }


@pytest.mark.parametrize(
    ("status", "error"), [(500, GatewayError), (429, GatewayError), (400, GatewayPermanentError)]
)
def test_http_gateway_sorts_errors_into_retry_or_not(provider, status, error):
    url, handler = provider
    handler.status = status
    with pytest.raises(error) as info:
        HttpGateway(url=url, token="", timeout=5).send(REQUEST)
    assert (type(info.value) is GatewayPermanentError) == (status == 400)


def test_http_gateway_connection_failure_is_retryable():
    with pytest.raises(GatewayError) as info:
        HttpGateway(url="http://127.0.0.1:9/sms", token="", timeout=1).send(REQUEST)
    assert not isinstance(info.value, GatewayPermanentError)


def test_a_misconfigured_gateway_fails_the_message_visibly(message, settings):
    settings.KMCS_SMS_GATEWAY = "templates_app.gateways.HttpGateway"
    settings.KMCS_SMS_HTTP_URL = ""
    message_send.delay(message.pk)
    message.refresh_from_db()
    assert message.status == S.FAILED and message.attempts == 1
    assert "KMCS_SMS_HTTP_URL" in message.last_error
