"""message_queue: validation, idempotency, and "sent only after commit"."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from templates_app import services
from templates_app.errors import (
    AudienceMismatch,
    IdempotencyConflict,
    InvalidRecipient,
    MessageError,
    MessageRenderError,
    MessageTooLong,
    NoApprovedVersion,
    SmsNotSentYet,
    TemplateRetired,
    UnknownTemplate,
)
from templates_app.models import OutboundMessage

pytestmark = pytest.mark.django_db

CONTEXT = {"received_on": date(2024, 3, 5), "amount": 12300}
PHONE = "010-0000-1234"


def queue(**overrides):
    kwargs = {
        "template_name": "테스트_기사_결제취소(승인)",
        "recipient": PHONE,
        "context": CONTEXT,
        "idempotency_key": "case-1:driver:approved",
        "actor": None,
    }
    kwargs.update(overrides)
    return services.message_queue(**kwargs)


def test_queue_renders_stores_and_sends_after_commit(
    make_template, gateway, agent, django_capture_on_commit_callbacks
):
    template = make_template()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue(actor=agent)
        assert gateway.calls == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.recipient == "01000001234"
    assert message.template == template
    assert message.template_version == services.template_approved_version(template)
    assert message.queued_by == agent
    assert "3월 5일 접수해 주신" in message.body
    assert "■ 취소금액 : 12,300원" in message.body
    assert message.length_class == "LMS"
    assert message.sent_at is not None and message.attempts == 1
    assert [call.body for call in gateway.calls] == [message.body]
    assert gateway.calls[0].idempotency_key == "case-1:driver:approved"


def _assert_nothing_queued(callbacks, gateway):
    assert OutboundMessage.objects.count() == 0
    assert callbacks == []
    assert gateway.calls == []


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"template_name": "없는_템플릿"}, UnknownTemplate, "없는_템플릿"),
        ({"recipient": "02-123-4567"}, InvalidRecipient, "휴대전화"),
        ({"recipient": "010-123-4567"}, InvalidRecipient, "휴대전화"),
        ({"recipient": ""}, InvalidRecipient, "휴대전화"),
        ({"context": {"received_on": date(2024, 3, 5)}}, MessageRenderError, "amount"),
        ({"context": {**CONTEXT, "amount": "12300"}}, MessageRenderError, "amount"),
        ({"context": {**CONTEXT, "extra": 1}}, MessageRenderError, "extra"),
        ({"audience": "customer"}, AudienceMismatch, "기사"),
        ({"idempotency_key": "  "}, MessageError, "중복 방지 키"),
    ],
)
def test_invalid_requests_queue_nothing(
    make_template, gateway, django_capture_on_commit_callbacks, overrides, error, words
):
    make_template()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(error) as info,
    ):
        queue(**overrides)
    assert words in str(info.value)
    _assert_nothing_queued(callbacks, gateway)


def test_render_error_names_the_variable(make_template):
    make_template()
    with pytest.raises(MessageRenderError) as info:
        queue(context={"received_on": date(2024, 3, 5)})
    assert info.value.variable == "amount"


def test_retired_template_queues_nothing(
    make_template, lead, gateway, django_capture_on_commit_callbacks
):
    template = make_template()
    services.template_retire(template=template, actor=lead)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TemplateRetired, match="폐기"),
    ):
        queue()
    _assert_nothing_queued(callbacks, gateway)


def test_template_without_approved_version_queues_nothing(
    make_template, gateway, django_capture_on_commit_callbacks
):
    make_template(approve=False)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(NoApprovedVersion, match="승인"),
    ):
        queue()
    _assert_nothing_queued(callbacks, gateway)


def test_too_long_for_one_message_queues_nothing(make_template, gateway):
    make_template(
        "테스트_긴문자", body="{{ note }}", variables={"note": "text"}, audience="customer"
    )
    with pytest.raises(MessageTooLong, match="2,000"):
        queue(template_name="테스트_긴문자", context={"note": "가" * 1001})
    assert OutboundMessage.objects.count() == 0


def test_drafts_are_not_used_until_approved(make_template, lead, gateway):
    template = make_template()
    services.template_edit(
        template=template,
        body="초안 {{ amount }} {{ received_on }}",
        variables={"amount": "amount", "received_on": "date_md"},
        actor=lead,
    )
    message = queue()
    assert not message.body.startswith("초안")
    assert message.template_version.number == 1


def test_same_idempotency_key_returns_the_existing_message(
    make_template, gateway, django_capture_on_commit_callbacks
):
    make_template()
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = queue()
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = queue(recipient="+82 10 0000 1234")  # same number, other spelling
    assert second.pk == first.pk
    assert len(first_callbacks) == 1 and second_callbacks == []
    assert OutboundMessage.objects.count() == 1
    assert len(gateway.calls) == 1


@pytest.mark.parametrize(
    "overrides", [{"recipient": "010-0000-9999"}, {"template_name": "테스트_다른템플릿"}]
)
def test_reusing_a_key_for_another_message_is_an_error(make_template, gateway, overrides):
    make_template()
    make_template("테스트_다른템플릿")
    queue()
    with pytest.raises(IdempotencyConflict, match="case-1:driver:approved") as info:
        queue(**overrides)
    assert "010-0000-9999" not in str(info.value)  # masked even in errors
    assert OutboundMessage.objects.count() == 1


def test_rolled_back_transaction_queues_and_sends_nothing(
    make_template, gateway, django_capture_on_commit_callbacks
):
    make_template()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the decision failed after queuing")
    _assert_nothing_queued(callbacks, gateway)


@pytest.mark.django_db(transaction=True)
def test_real_commit_and_rollback(make_template, gateway):
    """Without test wrapping: on_commit really fires on commit, and never on rollback."""
    make_template()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(idempotency_key="rolled-back")
        raise RuntimeError
    assert OutboundMessage.objects.count() == 0
    assert gateway.calls == []

    with transaction.atomic():
        message = queue(idempotency_key="committed")
        assert gateway.calls == []
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert len(gateway.calls) == 1


def test_subject_is_a_generic_reference(make_template, gateway, agent):
    make_template()
    message = queue(subject=agent)
    assert message.content_type == ContentType.objects.get_for_model(agent)
    assert message.object_id == agent.pk
    assert OutboundMessage.objects.get(pk=message.pk).subject == agent
    assert OutboundMessage.objects.filter(
        content_type=message.content_type, object_id=agent.pk
    ).exists()


def test_sms_first_then_save_the_answer(make_template, gateway, lead, agent, make_agent_case):
    """Seed 002: "SMS 선발송 후 답변내용 저장"."""
    make_template()
    message = queue()  # in this test transaction: not committed, so not sent yet
    assert not services.message_is_delivered(message)
    with pytest.raises(SmsNotSentYet, match="SMS 선발송 후 답변내용") as info:
        services.ensure_messages_delivered([message])
    assert info.value.messages == [message.pk]
    assert "테스트_기사_결제취소(승인)" in str(info.value)

    services.message_deliver(message_id=message.pk)
    services.ensure_messages_delivered([message])  # reads fresh: the instance is stale
    message.refresh_from_db()
    assert services.message_is_delivered(message)

    other = queue(idempotency_key="case-1:customer", subject=make_agent_case(agent))
    services.message_mark_sent_by_hand(message=other, reason="CEMS에서 직접 발송", actor=agent)
    services.ensure_messages_delivered([message, other.pk])
    services.ensure_messages_delivered([])


def test_unknown_message_ids_are_not_delivered():
    with pytest.raises(SmsNotSentYet, match="없음"):
        services.ensure_messages_delivered([987654])
