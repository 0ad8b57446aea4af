# ruff: noqa: F811  (fixtures imported from mail_support are parameters here)
"""Issue 16 (h24): the case page's mail form (To/Cc/body from the step's draft selector), the
mail list (masked for roles that do not send), retry/publish buttons, timeline events, the
CaseEmail admin (scoped, 재발송 for leads), the sweepers and the sandbox's reply simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.mail_selectors import case_email_draft, case_email_rows
from cases.models import AgitDelivery, CaseEmail, EmailStatus, EscalationPost
from cases.services.emails import case_email_send, email_requeue_stale
from cases.timeline import case_timeline
from kmcs_site.privacy import mask_email
from tests.sandbox.conftest import sandbox  # noqa: F401 (fixture)

from .mail_support import ev_case, people, smtp_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    from django.test import Client

    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client


@pytest.fixture
def cpo_contact():
    from partners.models import Contact

    return Contact.objects.create(label="테스트CPO", email="cpo-desk@testcpo.example")


def _send(case, actor, n=1, **kw):
    return [
        case_email_send(
            case=case,
            actor=actor,
            to=kw.get("to", ["cpo-desk@testcpo.example"]),
            subject=f"확인 요청 {i}",
            body="실제 이용내역 확인 부탁드립니다.",
            step_code="email_cpo",
        )
        for i in range(n)
    ]


def test_draft_of_the_cpo_step_is_the_cpos_contact_and_the_steps_mail(ev_case, cpo_contact):
    case = ev_case()
    draft = case_email_draft(case=case)
    assert draft.step_code == "email_cpo"
    assert draft.to == ("cpo-desk@testcpo.example",) and draft.cc == ()
    assert draft.subject == "[카카오 T 전기차충전] 미충전 결제 건 확인 요청 (테스트CPO)"
    assert "정산제외 예고" in draft.body and not draft.body.startswith("[")


def test_draft_without_a_contact_says_so_and_leaves_to_empty(ev_case):
    draft = case_email_draft(case=ev_case(cpo_name="없는CPO"))
    assert draft.to == () and "없는CPO" in draft.source


def test_case_page_form_prefilled_and_send_queues_the_mail(
    ev_case, cpo_contact, people, client_for
):
    case = ev_case()
    web = client_for(people.agent)
    page = web.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert 'value="cpo-desk@testcpo.example"' in page
    assert "미충전 결제 건 확인 요청 (테스트CPO)" in page
    answer = web.post(
        reverse("workspace:case_email", kwargs={"case_id": case.pk}),
        {
            "step_code": "email_cpo",
            "to": "cpo-desk@testcpo.example, other@testcpo.example",
            "cc": "",
            "subject": "확인 요청",
            "body": "본문",
        },
    )
    assert answer.status_code == 302
    email = CaseEmail.objects.get(case=case)
    assert email.to == ["cpo-desk@testcpo.example", "other@testcpo.example"]
    assert email.subject == f"[KMCS-{case.pk}] 확인 요청" and email.step_code == "email_cpo"


def test_a_bad_address_is_refused_in_korean_and_nothing_saved(ev_case, people, client_for):
    case = ev_case()
    web = client_for(people.agent)
    answer = web.post(
        reverse("workspace:case_email", kwargs={"case_id": case.pk}),
        {"to": "not-an-address", "subject": "s", "body": "b"},
        follow=True,
    )
    assert "올바른 이메일 주소가 아닙니다: not-an-address" in answer.content.decode()
    assert not CaseEmail.objects.exists()


def test_another_agent_cannot_send_on_my_case(ev_case, people, client_for):
    case = ev_case()
    web = client_for(people.other_agent)
    answer = web.post(
        reverse("workspace:case_email", kwargs={"case_id": case.pk}),
        {"to": "a@b.example", "subject": "s", "body": "b"},
    )
    assert answer.status_code == 404 and not CaseEmail.objects.exists()


def test_case_page_query_count_is_flat_with_0_or_10_mails(
    ev_case, cpo_contact, people, client_for, django_assert_max_num_queries
):
    web = client_for(people.agent)
    empty, full = ev_case(), ev_case()
    _send(full, people.agent, n=10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web.get(reverse("workspace:case", kwargs={"case_id": empty.pk}))  # warm caches
    with CaptureQueriesContext(connection) as base:
        web.get(reverse("workspace:case", kwargs={"case_id": empty.pk}))
    with django_assert_max_num_queries(len(base.captured_queries)):
        page = web.get(reverse("workspace:case", kwargs={"case_id": full.pk}))
    assert page.content.decode().count('class="email-row"') == 10


def test_rows_masked_for_a_role_that_does_not_send(ev_case, people, make_user):
    case = ev_case()
    _send(case, people.agent)
    auditor = make_user("auditor", username="ev_auditor")
    (mine,) = case_email_rows(case=case, user=people.agent)
    (theirs,) = case_email_rows(case=case, user=auditor)
    assert mine.to == "cpo-desk@testcpo.example"
    assert theirs.to == mask_email("cpo-desk@testcpo.example") == "cp******@testcpo.example"


def test_lead_retries_a_failed_mail_from_the_case_page(
    ev_case, people, client_for, smtp_server, django_capture_on_commit_callbacks
):
    case = ev_case()
    (email,) = _send(case, people.agent)
    CaseEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, error="SMTP 550")
    url = reverse("workspace:case_email_retry", kwargs={"case_id": case.pk})
    assert client_for(people.agent).post(url, {"email_id": email.pk}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client_for(people.lead).post(url, {"email_id": email.pk})
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(smtp_server.messages) == 1


def test_timeline_shows_sent_failed_and_received_mail(ev_case, people, smtp_server):
    from cases.services.emails import case_email_deliver
    from cases.services.inbound_mail import InboundMail, inbound_mail_receive

    case = ev_case()
    sent, failed = _send(case, people.agent, n=2)
    case_email_deliver(email_id=sent.pk)
    smtp_server.data_answers.append("554 refused")
    case_email_deliver(email_id=failed.pk)
    sent.refresh_from_db()
    result = inbound_mail_receive(
        InboundMail(
            sender="cpo-desk@testcpo.example",
            subject=f"Re: {sent.subject}",
            body="확인했습니다",
            message_id="<reply-1@testcpo.example>",
            in_reply_to=sent.message_id,
            references=[sent.message_id],
            recipient="parking-cs@kmcs.example",
            received_at=timezone.now(),
        ),
        source="test",
    )
    assert result.accepted
    events = [e for e in case_timeline(case=case).events if e.kind == "email"]
    labels = [e.label for e in events]
    assert labels.count("메일 발송 요청") == 2
    assert "메일 발송 완료" in labels and "메일 발송 실패" in labels
    received = next(e for e in events if e.label == "메일 회신 수신")
    assert "cp******@testcpo.example" in received.detail and "cpo-desk@" not in received.detail
    assert sent.subject in received.detail
    failed_event = next(e for e in events if e.label == "메일 발송 실패")
    assert "554" in failed_event.detail


@pytest.fixture
def agit(sandbox, settings):
    settings.KMCS_AGIT_WEBHOOK_URL = f"{sandbox.url}/agit/v1/posts"
    settings.KMCS_AGIT_TOKEN = "agit-test-token"
    settings.KMCS_AGIT_BOARDS = {"전기차충전cs": "300017093"}
    settings.KMCS_AGIT_TIMEOUT = 1.0
    settings.KMCS_AGIT_MAX_ATTEMPTS = 1
    return sandbox


def test_publish_and_retry_buttons_and_webhook_status_on_the_timeline(
    agit, ev_case, people, client_for, django_capture_on_commit_callbacks
):
    from kmcs_site.sandbox.server import set_behaviour

    case = ev_case()
    post = EscalationPost.objects.get(case=case)
    web = client_for(people.agent)
    page = web.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert "아지트에 게시" in page
    set_behaviour(agit.url, "agit", fail_next=1, status=400)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            reverse("workspace:case_post_publish", kwargs={"case_id": case.pk}),
            {"post_id": post.pk},
        )
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.FAILED
    retry = reverse("workspace:case_post_retry", kwargs={"case_id": case.pk})
    assert web.post(retry, {"post_id": post.pk}).status_code == 403  # agents: no retry
    with django_capture_on_commit_callbacks(execute=True):
        client_for(people.lead).post(retry, {"post_id": post.pk})
    post.refresh_from_db()
    assert post.delivery_status == AgitDelivery.POSTED and post.link_url
    labels = [e.label for e in case_timeline(case=case).events if e.kind == "post"]
    assert "아지트 자동 게시 요청: 전기차충전cs" in labels
    assert "아지트 게시 실패: 전기차충전cs" in labels
    assert "아지트 다시 게시 요청: 전기차충전cs" in labels
    assert "아지트 자동 게시: 전기차충전cs" in labels


def test_agit_sweeper_rehands_a_lost_post_once(agit, ev_case, people):
    import json
    from urllib import request

    from cases.services.agit import agit_queue, agit_requeue_stale

    case = ev_case()
    post = EscalationPost.objects.get(case=case)
    agit_queue(post, actor=people.agent)  # outside a transaction the hand-over is immediate...
    # ...so make a second post whose broker message was lost: queued, 20 minutes old.
    lost = EscalationPost.objects.create(
        case=case,
        board="전기차충전cs",
        body="분실된 글",
        created_by=people.agent,
        delivery_status=AgitDelivery.QUEUED,
        idempotency_key="lost-key-1",
    )
    lost.history.update(history_date=timezone.now() - timedelta(minutes=20))
    assert agit_requeue_stale() == 1
    assert agit_requeue_stale() == 0  # idempotent: posted, nothing left to hand
    lost.refresh_from_db()
    assert lost.delivery_status == AgitDelivery.POSTED
    with request.urlopen(f"{agit.url}/agit/v1/posts", timeout=5) as answer:  # nosec B310
        keys = [p["text"] for p in json.loads(answer.read())["posts"]]
    assert keys.count("분실된 글") == 1


def test_email_sweeper_hands_stale_mail_once_and_leaves_fresh_ones(ev_case, people, smtp_server):
    case = ev_case()
    stale, fresh = _send(case, people.agent, n=2)
    CaseEmail.history.filter(id=stale.pk).update(
        history_date=timezone.now() - timedelta(minutes=20)
    )
    assert email_requeue_stale() == 1
    assert email_requeue_stale() == 0
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == EmailStatus.SENT and fresh.status == EmailStatus.QUEUED
    assert len(smtp_server.messages) == 1


def test_beat_schedule_has_both_sweepers(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"cases.tasks.email_requeue_stale", "cases.tasks.agit_requeue_stale"} <= tasks


def test_admin_is_scoped_searchable_and_leads_retry(
    ev_case, people, client_for, make_user, smtp_server, django_capture_on_commit_callbacks
):
    case = ev_case()
    (mine,) = _send(case, people.agent)
    CaseEmail.objects.filter(pk=mine.pk).update(status=EmailStatus.FAILED)
    changelist = reverse("admin:cases_caseemail_changelist")
    other = client_for(people.other_agent)
    assert other.get(reverse("admin:cases_caseemail_change", args=[mine.pk])).status_code == 404
    assert f"caseemail/{mine.pk}/change/" not in other.get(changelist).content.decode()
    lead = client_for(people.lead)
    found = lead.get(changelist, {"q": f"KMCS-{case.pk}"}).content.decode()
    assert f"caseemail/{mine.pk}/change/" in found
    assert (
        f"caseemail/{mine.pk}/change/"
        not in lead.get(changelist, {"q": str(case.pk + 999)}).content.decode()
    )
    auditor = client_for(make_user("auditor", username="ev_aud"))
    listed = auditor.get(changelist).content.decode()
    assert "cp******@testcpo.example" in listed and "cpo-desk@testcpo.example" not in listed
    # An agent's POST of the action does not run it (not offered); a lead's does.
    client_for(people.agent).post(
        changelist, {"action": "retry_emails", "_selected_action": [mine.pk]}
    )
    mine.refresh_from_db()
    assert mine.status == EmailStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        lead.post(changelist, {"action": "retry_emails", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_sandbox_reply_simulator_lands_a_reply_on_the_case(
    live_server, sandbox, settings, ev_case, people, smtp_server
):
    import json
    from urllib import request

    settings.KMCS_MAILGUN_SIGNING_KEY = "sandbox-test-key"
    settings.KMCS_SANDBOX_MAIL_WEBHOOK_URL = f"{live_server.url}/integrations/mail/mailgun/"
    case = ev_case()
    _send(case, people.agent)

    def reply(sender, **switches):
        if switches:
            from kmcs_site.sandbox.server import set_behaviour

            set_behaviour(sandbox.url, "mail", **switches)
        data = json.dumps({"case_id": str(case.pk), "sender": sender, "text": "확인"}).encode()
        req = request.Request(
            f"{sandbox.url}/mail/v1/replies",
            data=data,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with request.urlopen(req, timeout=10) as answer:  # nosec B310
            return json.loads(answer.read())

    assert reply("stranger@nowhere.example")["kmcs_status"] == 406
    assert reply("cpo-desk@testcpo.example", bad_signature_next=1)["kmcs_status"] == 403
    answered = reply("cpo-desk@testcpo.example", replay_next=1)
    assert answered["kmcs_statuses"] == [200, 403]
    inbound = CaseEmail.objects.filter(case=case, direction="inbound")
    assert inbound.count() == 1 and inbound.get().status == EmailStatus.RECEIVED
