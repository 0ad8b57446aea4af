# ruff: noqa: F811  (fixtures imported from mail_support are parameters here)
"""Case e-mail over real SMTP (aiosmtpd on 127.0.0.1): Message-ID and [KMCS-<id>] subject,
queued -> sent through the outbox task, transient refusals retried without a second copy, a
5xx failed at once, an uncertain hand-over never re-sent by itself."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest

from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.models import CaseEmail, EmailStatus
from cases.services.emails import case_email_retry, case_email_send

from .mail_support import (  # noqa: F401 (fixtures)
    RecordingHandler,
    ev_case,
    free_port,
    people,
    smtp_server,
    use_smtp,
)

pytestmark = pytest.mark.django_db


def send(case, actor, capture, **kw):
    args = {
        "to": ["cpo-desk@cpo.example"],
        "cc": ["contact2@kakaomobility.example"],
        "subject": "미충전 결제 건 확인 요청",
        "body": "-충전소명: 테스트 충전소\n-TID: TID-0001",
        "step_code": "email_cpo",
    }
    args.update(kw)
    with capture(execute=True):
        mail = case_email_send(case=case, actor=actor, **args)
    mail.refresh_from_db()
    return mail


def test_happy_path_sends_once_with_message_id_and_case_tag(
    smtp_server, ev_case, people, django_capture_on_commit_callbacks
):
    case = ev_case()
    mail = send(case, people.agent, django_capture_on_commit_callbacks)

    assert mail.status == EmailStatus.SENT and mail.attempts == 1 and mail.sent_at
    assert mail.subject == f"[KMCS-{case.pk}] 미충전 결제 건 확인 요청"
    assert mail.message_id.startswith("<") and mail.message_id.endswith("@kmcs.example>")
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert sorted(got.rcpt_tos) == ["contact2@kakaomobility.example", "cpo-desk@cpo.example"]
    parsed = email.message_from_bytes(got.raw, policy=email.policy.default)
    assert parsed["Message-ID"] == mail.message_id
    assert str(parsed["Subject"]).strip() == mail.subject
    assert parsed["Cc"] == "contact2@kakaomobility.example"
    assert "TID-0001" in parsed.get_body().get_content()
    # history: queued by the agent, then the worker's attempts
    reasons = [h.history_change_reason for h in mail.history.order_by("history_id")]
    assert reasons[0] == "메일 발송 요청" and reasons[-1] == "발송 완료"


def test_transient_451_is_retried_once_and_delivered_once(
    smtp_server, ev_case, people, django_capture_on_commit_callbacks
):
    smtp_server.data_answers = ["451 4.3.0 try again later"]
    mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks)
    assert mail.status == EmailStatus.SENT
    assert mail.attempts == 2
    assert smtp_server.data_calls == 2
    assert len(smtp_server.messages) == 1  # the refused DATA was never accepted


def test_refused_connection_fails_after_the_attempts_then_a_lead_retry_sends_once(
    settings, ev_case, people, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    port = free_port()  # nothing listens: connection refused
    use_smtp(settings, port)
    settings.KMCS_EMAIL_MAX_ATTEMPTS = 2
    mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks)
    assert mail.status == EmailStatus.FAILED
    assert mail.attempts == 2
    assert "연결 실패" in mail.error

    # An agent may not re-send; a lead may, once the server is back.
    with pytest.raises(ActionNotAllowed):
        case_email_retry(email=mail, actor=people.agent)
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case_email_retry(email=mail, actor=people.lead)
        with django_capture_on_commit_callbacks(execute=True):
            # a second click after it went out sends nothing
            pass
    finally:
        controller.stop()
    mail.refresh_from_db()
    assert mail.status == EmailStatus.SENT
    assert len(handler.messages) == 1


def test_timeout_before_the_greeting_is_transient(
    settings, ev_case, people, django_capture_on_commit_callbacks
):
    """A server that accepts the TCP connection and never speaks: timed out before anything
    was handed over, so it is retried, and fails after the attempts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    use_smtp(settings, listener.getsockname()[1], timeout=0.5)
    settings.KMCS_EMAIL_MAX_ATTEMPTS = 2
    try:
        mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks)
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()
    assert mail.status == EmailStatus.FAILED and mail.attempts == 2
    assert "연결 실패" in mail.error


def test_timeout_after_the_message_was_handed_over_is_never_resent_by_itself(
    smtp_server, settings, ev_case, people, django_capture_on_commit_callbacks
):
    settings.EMAIL_TIMEOUT = 0.5
    smtp_server.sleep = 1.5  # DATA taken, the final answer comes too late
    mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks)
    assert mail.status == EmailStatus.FAILED
    assert mail.attempts == 1
    assert "결과 불확실" in mail.error
    assert smtp_server.data_calls == 1


def test_a_5xx_refusal_fails_at_once(
    smtp_server, ev_case, people, django_capture_on_commit_callbacks
):
    smtp_server.rcpt_answers = ["550 5.1.1 no such user"]
    mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks, cc=[])
    assert mail.status == EmailStatus.FAILED and mail.attempts == 1
    assert "550" in mail.error
    assert smtp_server.messages == []


def test_the_task_twice_sends_once(
    smtp_server, ev_case, people, django_capture_on_commit_callbacks
):
    from cases.services.emails import case_email_deliver

    mail = send(ev_case(), people.agent, django_capture_on_commit_callbacks)
    assert case_email_deliver(email_id=mail.pk).status == EmailStatus.SENT
    assert len(smtp_server.messages) == 1


def test_bad_input_saves_nothing(ev_case, people):
    case = ev_case()
    with pytest.raises(FactsInvalid) as caught:
        case_email_send(case=case, actor=people.agent, to=["not-an-address"], subject="s", body="b")
    assert "to" in caught.value.errors
    with pytest.raises(FactsInvalid):
        case_email_send(case=case, actor=people.agent, to=[], subject="s", body="b")
    with pytest.raises(FactsInvalid):
        case_email_send(case=case, actor=people.agent, to=["a@cpo.example"], subject=" ", body="")
    with pytest.raises(ActionNotAllowed):
        case_email_send(
            case=case, actor=people.other_agent, to=["a@cpo.example"], subject="s", body="b"
        )
    assert CaseEmail.objects.count() == 0
