"""The production shape: PostgreSQL + Redis + a real Celery worker sends a queued message."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from django.db import transaction

from templates_app import services
from templates_app.models import OutboundMessage
from tests.conftest import wait_until


@pytest.fixture
def shared_outbox(tmp_path, monkeypatch, settings):
    """A file gateway both processes see. Set in the environment *before* the worker starts."""
    path = tmp_path / "outbox.log"
    monkeypatch.setenv("KMCS_SMS_GATEWAY", "templates_app.gateways.FileGateway")
    monkeypatch.setenv("KMCS_SMS_OUTBOX_PATH", str(path))
    settings.KMCS_SMS_GATEWAY = "templates_app.gateways.FileGateway"
    settings.KMCS_SMS_OUTBOX_PATH = str(path)
    return path


@pytest.fixture
def live_worker(shared_outbox, celery_live_worker):
    return celery_live_worker


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_queued_message_is_sent_by_the_real_worker(make_template, live_worker, shared_outbox):
    make_template()
    with transaction.atomic():
        message = services.message_queue(
            template_name="테스트_기사_결제취소(승인)",
            recipient="010-0000-1234",
            context={"received_on": date(2024, 3, 5), "amount": 12300},
            idempotency_key="broker-test-1",
            actor=None,
        )
        # Nothing may reach the worker before the commit.
        assert not shared_outbox.exists()

    sent = wait_until(
        lambda: OutboundMessage.objects.filter(
            pk=message.pk, status=OutboundMessage.Status.SENT
        ).first(),
        timeout=60,
    )
    lines = [json.loads(line) for line in shared_outbox.read_text().splitlines()]
    assert [line["idempotency_key"] for line in lines] == ["broker-test-1"]
    assert lines[0]["to"] == "010-****-1234"
    assert lines[0]["pid"] != os.getpid()  # the worker sent it, not this process
    assert lines[0]["provider_message_id"] == sent.provider_message_id
    assert "■ 취소금액 : 12,300원" in lines[0]["body"]
    assert sent.attempts == 1
