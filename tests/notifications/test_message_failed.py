"""'발송 실패': an SMS that failed for good, went to the dead letter, or was reported
undelivered by the provider tells who queued it and the assignee of its case."""

from __future__ import annotations

from datetime import date

import pytest

from notifications.models import Kind, Notification
from templates_app import services
from templates_app.gateways import GatewayError, GatewayPermanentError
from templates_app.models import OutboundMessage
from tests.integrations.mail_support import ev_case, people, smtp_server  # noqa: F401
from tests.templates_app.conftest import (  # noqa: F401
    agent,
    gateway,
    lead,
    make_agent_case,
    make_template,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(make_template, gateway, agent, make_agent_case, lead):  # noqa: F811
    make_template()
    case = make_agent_case(agent)
    Notification.objects.all().delete()
    return services.message_queue(
        template_name="테스트_기사_결제취소(승인)",
        recipient="010-0000-1234",
        context={"received_on": date(2024, 3, 5), "amount": 12300},
        idempotency_key="notify-failed:driver",
        actor=lead,
        subject=case,
    )


def test_a_permanent_failure_tells_the_sender_and_the_assignee(message, gateway, agent, lead):  # noqa: F811
    gateway.failures = [GatewayPermanentError("HTTP 400 invalid number")]
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    rows = Notification.objects.filter(kind=Kind.MESSAGE_FAILED).order_by("recipient_id")
    assert {r.recipient_id for r in rows} == {agent.pk, lead.pk}
    row = rows.get(recipient=agent)
    assert "invalid number" in row.body and row.path == f"/work/cases/{message.object_id}/"
    # the same result recorded again (a second delivery finds nothing to claim): no new row
    services.message_deliver(message_id=message.pk)
    assert Notification.objects.filter(kind=Kind.MESSAGE_FAILED).count() == 2


def test_transient_failures_notify_only_at_the_dead_letter(message, gateway, agent, settings):  # noqa: F811
    from templates_app.services import MAX_ATTEMPTS

    for attempt in range(1, MAX_ATTEMPTS + 1):
        gateway.failures = [GatewayError("timeout")]
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.QUEUED)
        services.message_deliver(message_id=message.pk)
        message.refresh_from_db()
        failed = Notification.objects.filter(recipient=agent, kind=Kind.MESSAGE_FAILED)
        if attempt < MAX_ATTEMPTS:
            assert message.status == OutboundMessage.Status.QUEUED
            assert not failed.exists()
    assert message.status == OutboundMessage.Status.DEAD_LETTER
    assert failed.count() == 1 and "재처리 대기" in failed.get().body


def test_a_refused_case_email_tells_its_writer_and_the_assignee_once(
    smtp_server,  # noqa: F811
    ev_case,  # noqa: F811
    people,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """A CPO mail the SMTP server on 127.0.0.1 refuses (550) is a message that failed: the
    lead who wrote it and the agent whose case it is hear of it, with a link to the case."""
    from cases.models import CaseEmail, EmailStatus
    from cases.services.emails import case_email_deliver, case_email_send

    case = ev_case()
    Notification.objects.all().delete()
    smtp_server.rcpt_answers = ["550 5.1.1 no such user"]
    with django_capture_on_commit_callbacks(execute=True):
        mail = case_email_send(
            case=case,
            actor=people.lead,
            to=["cpo-desk@cpo.example"],
            subject="미충전 결제 건 확인 요청",
            body="확인 부탁드립니다.",
            step_code="email_cpo",
        )
    mail.refresh_from_db()
    assert mail.status == EmailStatus.FAILED
    rows = Notification.objects.filter(kind=Kind.MESSAGE_FAILED)
    assert {r.recipient_id for r in rows} == {people.lead.pk, people.agent.pk}
    row = rows.get(recipient=people.agent)
    assert "메일 발송 실패" in row.title and "550" in row.body
    assert row.path == f"/work/cases/{case.pk}/"
    # the task delivered again finds nothing to claim: nobody is told twice
    case_email_deliver(email_id=mail.pk)
    assert rows.count() == 2 and CaseEmail.objects.filter(pk=mail.pk, attempts=1).exists()
