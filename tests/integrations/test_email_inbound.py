# ruff: noqa: F811  (fixtures imported from mail_support are parameters here)
"""Inbound replies (issue 16 item 2): the Mailgun routes webhook (real HTTP POSTs through
Django's test client, signed as Mailgun signs) and the RFC 822 core that ``kmcs_fetch_mail``
feeds from IMAP. A good reply lands on its case, stops the CPO clock and tells the assignee;
a bad signature, a replay, an unknown sender or no case reference changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import time
from email.message import EmailMessage

import pytest
from django.core import mail as djmail
from django.urls import reverse

from cases.models import CaseEmail, ClockStop, EmailDirection, StepClock
from cases.services.emails import case_email_send
from cases.services.inbound_mail import inbound_mail_from_rfc822, inbound_mail_receive

from .mail_support import ev_case, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

KEY = "key-test-mailgun-signing"
CPO = "cpo-desk@cpo.example"


@pytest.fixture
def mailgun(settings):
    settings.KMCS_MAILGUN_SIGNING_KEY = KEY
    settings.KMCS_INBOUND_MAIL_MAX_AGE = 300
    return reverse("inbound_mail_mailgun")


@pytest.fixture
def sent_case(ev_case, people, django_capture_on_commit_callbacks):
    """A case whose CPO mail went out (locmem backend): (case, outbound mail)."""
    case = ev_case()
    with django_capture_on_commit_callbacks(execute=True):
        out = case_email_send(
            case=case,
            actor=people.agent,
            to=[CPO],
            cc=["contact2@kakaomobility.example"],
            subject="미충전 결제 건 확인 요청",
            body="확인 부탁드립니다.",
            step_code="email_cpo",
        )
    out.refresh_from_db()
    return case, out


def signed(fields: dict, *, key: str = KEY, timestamp: int | None = None, token: str = "tok-1"):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {**fields, "timestamp": str(timestamp), "token": token, "signature": signature}


def reply_fields(case, out, **over):
    fields = {
        "sender": f"CPO 담당 <{CPO}>",
        "recipient": "parking-cs@kmcs.example",
        "subject": f"Re: {out.subject}",
        "body-plain": "확인 결과 실제 충전 이력이 없습니다. 정산 제외하겠습니다.",
        "Message-Id": "<reply-1@cpo.example>",
        "In-Reply-To": out.message_id,
        "References": out.message_id,
    }
    fields.update(over)
    return fields


def cpo_clock(case):
    # The newest: recording the CPO's answer (fact cpo_answer) re-plans the pending steps.
    return StepClock.objects.filter(case=case, step_code="email_cpo").order_by("-pk").first()


def state(case):
    clock = cpo_clock(case)
    return (
        CaseEmail.objects.filter(case=case, direction=EmailDirection.INBOUND).count(),
        clock.stopped_at,
        clock.stop_reason,
    )


def test_good_signature_lands_on_the_case_stops_the_clock_and_tells_the_assignee(
    client, mailgun, sent_case, people, django_capture_on_commit_callbacks
):
    case, out = sent_case
    assert cpo_clock(case).stopped_at is None
    # The assignee chose e-mail copies of their notifications (issue 14.5).
    from notifications.services import preference_set

    preference_set(user=people.agent, email_enabled=True, actor=people.agent)
    djmail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(mailgun, signed(reply_fields(case, out)))
    assert answer.status_code == 200 and answer.json() == {"accepted": True}
    reply = CaseEmail.objects.get(case=case, direction=EmailDirection.INBOUND)
    assert reply.message_id == "<reply-1@cpo.example>"
    assert reply.in_reply_to == out.message_id
    assert reply.from_address == CPO
    assert "정산 제외" in reply.body
    assert reply.step_code == "email_cpo"
    clock = cpo_clock(case)
    assert clock.stopped_at is not None and clock.stop_reason == ClockStop.REPLY_RECEIVED
    # the CPO's answer is the fact seed 003 waits for (AWAITED_REPLIES, via case_revise_facts)
    case.refresh_from_db()
    assert case.facts["cpo_answer"] == reply_fields(case, out)["body-plain"]
    # the assignee hears of it in the app and, as they chose, by e-mail
    assert people.agent.notifications.get().kind == "reply_received"
    assert [m.to for m in djmail.outbox] == [[people.agent.email]]
    assert f"케이스 #{case.pk}" in djmail.outbox[0].subject
    # the same Message-ID again (new token): stored once
    again = client.post(mailgun, signed(reply_fields(case, out), token="tok-2"))
    assert again.status_code == 200
    assert CaseEmail.objects.filter(direction=EmailDirection.INBOUND).count() == 1


def test_subject_tag_alone_finds_the_case(client, mailgun, sent_case):
    case, out = sent_case
    fields = reply_fields(case, out, **{"In-Reply-To": "", "References": ""})
    answer = client.post(mailgun, signed(fields))
    assert answer.status_code == 200
    assert state(case)[0] == 1 and state(case)[2] == ClockStop.REPLY_RECEIVED


@pytest.mark.parametrize(
    "case_name, tamper",
    [
        ("bad signature", lambda f: {**f, "signature": "0" * 64}),
        ("wrong key", None),
        ("stale", "stale"),
        ("unknown sender", lambda f: {**f, "sender": "someone@elsewhere.example"}),
        (
            "no reference",
            lambda f: {**f, "In-Reply-To": "", "References": "", "subject": "문의드립니다"},
        ),
    ],
)
def test_refused_replies_change_nothing(client, mailgun, sent_case, case_name, tamper):
    case, out = sent_case
    before = state(case)
    fields = reply_fields(case, out)
    if case_name == "wrong key":
        body = signed(fields, key="not-the-key")
    elif tamper == "stale":
        body = signed(fields, timestamp=int(time.time()) - 3600)
    else:
        body = tamper(signed(fields)) if case_name == "bad signature" else signed(tamper(fields))
    answer = client.post(mailgun, body)
    assert answer.status_code in (403, 406)
    assert answer.json() == {"accepted": False}  # no detail
    assert state(case) == before
    assert before[0] == 0 and before[1] is None


def test_a_replayed_request_changes_nothing(client, mailgun, sent_case):
    case, out = sent_case
    body = signed(reply_fields(case, out, **{"Message-Id": "<first@cpo.example>"}))
    assert client.post(mailgun, body).status_code == 200
    replay = {**body, "Message-Id": "<second@cpo.example>"}  # same token + signature
    answer = client.post(mailgun, replay)
    assert answer.status_code == 403 and answer.json() == {"accepted": False}
    assert CaseEmail.objects.filter(direction=EmailDirection.INBOUND).count() == 1


def test_no_key_configured_refuses_everything(client, settings, sent_case):
    settings.KMCS_MAILGUN_SIGNING_KEY = ""
    case, out = sent_case
    answer = client.post(reverse("inbound_mail_mailgun"), signed(reply_fields(case, out)))
    assert answer.status_code == 403
    assert state(case)[0] == 0


def rfc822(case, out, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", f"CPO 담당 <{CPO}>")
    message["To"] = "parking-cs@kmcs.example"
    message["Subject"] = headers.pop("Subject", f"RE: {out.subject}")
    message["Message-ID"] = headers.pop("Message_ID", "<imap-1@cpo.example>")
    message["Date"] = "Wed, 01 Oct 2025 15:00:00 +0900"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("회신드립니다. 충전 이력 없음 확인했습니다.")
    return message.as_bytes()


def test_imap_message_core_stores_once_by_message_id(sent_case):
    """What kmcs_fetch_mail does per UNSEEN message (the command itself, against an IMAP
    server on 127.0.0.1: test_email_imap.py)."""
    case, out = sent_case
    raw = rfc822(case, out, In_Reply_To=out.message_id, References=out.message_id)
    parsed = inbound_mail_from_rfc822(raw)
    assert parsed.in_reply_to == out.message_id and parsed.message_id == "<imap-1@cpo.example>"
    first = inbound_mail_receive(parsed, source="imap")
    assert first.accepted and first.reason == "stored"
    second = inbound_mail_receive(inbound_mail_from_rfc822(raw), source="imap")
    assert second.accepted and second.reason == "duplicate"
    assert state(case)[0] == 1 and state(case)[2] == ClockStop.REPLY_RECEIVED


def test_imap_message_from_a_stranger_quoting_the_case_is_refused(sent_case):
    case, out = sent_case
    raw = rfc822(case, out, From="intruder@evil.example", In_Reply_To=out.message_id)
    result = inbound_mail_receive(inbound_mail_from_rfc822(raw), source="imap")
    assert not result.accepted and result.reason == "unknown_sender"
    assert state(case)[0] == 0 and state(case)[1] is None


def test_every_awaited_reply_is_a_free_text_fact_the_reply_fits_in():
    """AWAITED_REPLIES (issue 16): each step a reply answers names a declared, optional text fact
    of the same playbook, long enough for the reply text the inbound service records (seed 003
    ``email_cpo`` -> ``cpo_answer``, seed 001 ``follow_route`` -> ``partner_answer``)."""
    from rest_framework import serializers

    from cases.playbooks import PLAYBOOKS
    from cases.services.inbound_mail import FACT_TEXT_LIMIT
    from cases.services.intake import facts_serializer

    awaited = {
        code: dict(module.AWAITED_REPLIES)
        for code, module in PLAYBOOKS.items()
        if getattr(module, "AWAITED_REPLIES", None)
    }
    assert awaited == {
        "ev_charging": {"email_cpo": "cpo_answer"},
        "parking_operations": {"follow_route": "partner_answer"},
    }
    for code, replies in awaited.items():
        fields = facts_serializer(PLAYBOOKS[code]).fields
        for fact in replies.values():
            field = fields[fact]
            assert isinstance(field, serializers.CharField), (code, fact)
            assert not field.required and field.max_length >= FACT_TEXT_LIMIT, (code, fact)


@pytest.mark.parametrize(
    "body, answer",
    [
        ("충전 이력 없음.\r\n\r\n> 확인 부탁드립니다.", "충전 이력 없음."),
        ("확인했습니다.\n\nOn Wed, 1 Oct 2025 at 10:00, KMCS wrote:\n> 원문", "확인했습니다."),
        ("처리 완료\n-- \n홍길동 / CPO 고객센터", "처리 완료"),
        ("네\n----- Original Message -----\n원문", "네"),
        ("> 인용만 있는 회신", ""),
    ],
)
def test_the_recorded_answer_is_the_reply_without_the_quoted_mail(body, answer):
    from cases.services.inbound_mail import reply_text

    assert reply_text(body) == answer
