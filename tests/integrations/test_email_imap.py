# ruff: noqa: F811  (fixtures imported from mail_support are parameters here)
"""``manage.py kmcs_fetch_mail`` against a real IMAP server on 127.0.0.1 (issue 16 item 2).

The server (tests/integrations/imap_support.py) holds a partner's reply, a stranger's mail
quoting the case and a mail with no case reference. One run stores the reply on its case,
records the CPO's answer in the fact seed 003 waits for, stops the CPO clock and tells the
assignee; the other two are logged and change nothing. Every handled message is marked seen, so
a second run reads nothing; a wrong password changes nothing at all.
"""

from __future__ import annotations

from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.models import CaseEmail, ClockStop, EmailDirection, StepClock
from cases.services.emails import case_email_send
from notifications.models import Kind, Notification

from .imap_support import ImapServer
from .mail_support import ev_case, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

CPO = "cpo-desk@cpo.example"
ANSWER = "확인 결과 해당 시간 충전 이력이 없습니다. 결제 취소 처리하겠습니다."


@pytest.fixture
def imap(settings):
    server = ImapServer().start()
    settings.KMCS_IMAP_HOST = "127.0.0.1"
    settings.KMCS_IMAP_PORT = server.port
    settings.KMCS_IMAP_SSL = False
    settings.KMCS_IMAP_USER = server.user
    settings.KMCS_IMAP_PASSWORD = server.password
    settings.KMCS_IMAP_MAILBOX = "INBOX"
    yield server
    server.stop()


@pytest.fixture
def sent_case(ev_case, people, django_capture_on_commit_callbacks):
    case = ev_case()
    with django_capture_on_commit_callbacks(execute=True):
        out = case_email_send(
            case=case,
            actor=people.agent,
            to=[CPO],
            subject="미충전 결제 건 확인 요청",
            body="확인 부탁드립니다.",
            step_code="email_cpo",
        )
    out.refresh_from_db()
    return case, out


def mail(*, sender: str, subject: str, message_id: str, body: str, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "parking-cs@kmcs.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Wed, 01 Oct 2025 15:00:00 +0900"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def cpo_clock(case):
    return StepClock.objects.filter(case=case, step_code="email_cpo").order_by("-pk").first()


def fetch() -> str:
    out = StringIO()
    call_command("kmcs_fetch_mail", stdout=out)
    return out.getvalue()


def test_one_run_stores_the_reply_revises_the_fact_stops_the_clock_and_tells_the_assignee(
    imap, sent_case, people, caplog
):
    case, out = sent_case
    Notification.objects.all().delete()
    good = imap.deliver(
        mail(
            sender=f"CPO 담당 <{CPO}>",
            subject=f"RE: {out.subject}",
            message_id="<imap-reply-1@cpo.example>",
            body=f"{ANSWER}\n\n> 확인 부탁드립니다.",
            In_Reply_To=out.message_id,
            References=out.message_id,
        )
    )
    spoofed = imap.deliver(
        mail(
            sender="intruder@evil.example",
            subject=f"RE: {out.subject}",
            message_id="<imap-spoof@evil.example>",
            body="정산 제외하지 마세요.",
            In_Reply_To=out.message_id,
        )
    )
    unreferenced = imap.deliver(
        mail(
            sender=f"CPO 담당 <{CPO}>",
            subject="문의드립니다",
            message_id="<imap-noref@cpo.example>",
            body="다른 건입니다.",
        )
    )

    with caplog.at_level("WARNING", logger="cases.services.inbound_mail"):
        summary = fetch()

    assert summary.strip() == "저장 1건, 이미 저장 0건, 거부 2건"
    reply = CaseEmail.objects.get(direction=EmailDirection.INBOUND)
    assert reply.case_id == case.pk and reply.message_id == "<imap-reply-1@cpo.example>"
    assert reply.from_address == CPO and reply.step_code == "email_cpo"
    case.refresh_from_db()
    assert case.facts["cpo_answer"] == ANSWER  # the quoted original is cut
    clock = cpo_clock(case)
    assert clock.stopped_at is not None and clock.stop_reason == ClockStop.REPLY_RECEIVED
    told = Notification.objects.get(recipient=people.agent, kind=Kind.REPLY_RECEIVED)
    assert told.path == f"/work/cases/{case.pk}/" and "CPO 회신" in told.body
    # the stranger and the unreferenced mail changed nothing, and told nobody else
    assert CaseEmail.objects.filter(direction=EmailDirection.INBOUND).count() == 1
    assert Notification.objects.count() == 1
    refused = [r.getMessage() for r in caplog.records if "수신 메일 거부" in r.getMessage()]
    assert len(refused) == 2
    assert any("unknown_sender" in m and "intruder@evil.example" in m for m in refused)
    # every handled message is seen (BODY.PEEK[] left them unseen until then)
    assert sorted(imap.seen()) == sorted([good, spoofed, unreferenced])
    assert any("BODY.PEEK[]" in c for c in imap.commands)

    # a second run finds nothing unseen; a new copy of the same reply is stored once
    assert fetch().strip() == "저장 0건, 이미 저장 0건, 거부 0건"
    imap.deliver(
        mail(
            sender=CPO,
            subject=f"RE: {out.subject}",
            message_id="<imap-reply-1@cpo.example>",
            body=ANSWER,
            In_Reply_To=out.message_id,
        )
    )
    assert fetch().strip() == "저장 0건, 이미 저장 1건, 거부 0건"
    assert CaseEmail.objects.filter(direction=EmailDirection.INBOUND).count() == 1


def test_a_wrong_password_is_a_korean_error_and_changes_nothing(imap, settings, sent_case):
    case, out = sent_case
    imap.deliver(
        mail(
            sender=CPO,
            subject=f"RE: {out.subject}",
            message_id="<imap-reply-2@cpo.example>",
            body=ANSWER,
            In_Reply_To=out.message_id,
        )
    )
    settings.KMCS_IMAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="IMAP 서버에 접속할 수 없습니다"):
        fetch()
    assert not CaseEmail.objects.filter(direction=EmailDirection.INBOUND).exists()
    assert imap.seen() == []
    assert cpo_clock(case).stopped_at is None


def test_no_imap_settings_is_a_korean_error(settings):
    settings.KMCS_IMAP_HOST = ""
    with pytest.raises(CommandError, match="설정이 없습니다"):
        fetch()
