"""One place to read a case's story (issue 13.7): the auditor's case page and the agent's case
log show messages, step ticks, clocks, fact revisions and Agit posts in time order, with Korean
labels and names (never ``#14`` ids), for decided, overridden and closed cases of every
playbook; the query count of the page is flat."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import StepClock
from cases.timeline import case_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    from django.test import Client

    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client


_ids = itertools.count(770_001)

EV = {
    "case_type": "paid_not_charged",
    "station_name": "테스트 충전소",
    "station_kind": "non_direct",
    "charge_started_at": "2025-10-01T09:00:00+09:00",
    "charge_ended_at": "2025-10-01T09:40:00+09:00",
    "kwh": "12.500",
    "amount": 5000,
    "cpo_name": "테스트CPO",
}


@pytest.fixture
def people(staff, django_user_model):
    from cases.services import staff_profile_set_services

    staff_profile_set_services(
        user=staff.agent, services=["driver", "ev", "parking"], actor=staff.lead
    )
    django_user_model.objects.filter(pk=staff.agent.pk).update(first_name="상담", last_name="김")
    staff.agent.refresh_from_db()
    return staff


def ev_case(people):
    from cases.services import case_create

    return case_create(
        playbook="ev_charging",
        facts={**EV, "tid": f"TID-{next(_ids)}"},
        channel="chatbot_board",
        actor=people.agent,
        customer_phone="010-0000-1234",
        assignee=people.agent,
    ).case


def labels(timeline):
    return [e.label for e in timeline.events]


def test_timeline_tells_the_story_in_order_with_names_and_korean_labels(people):
    from cases.services import case_decide, case_step_complete, escalation_post_mark_posted
    from cases.services.revisions import case_revise_facts
    from templates_app.models import OutboundMessage
    from templates_app.services import message_mark_sent_by_hand

    case = ev_case(people)
    case_decide(case=case, actor=people.agent)
    first = case.steps.order_by("order").first()
    case_step_complete(case=case, step_code=first.code, actor=people.agent)
    case_revise_facts(
        case=case, actor=people.agent, facts={"team_answer": "cancelled"}, note="담당부서 답변"
    )
    # Read a month later: a running clock past its due time is overdue at read (no job ran).
    assert not StepClock.objects.filter(case=case, overdue_marked_at__isnull=False).exists()
    later = labels(case_timeline(case=case, now=timezone.now() + timedelta(days=30)))
    assert any(s.startswith("기한 초과:") for s in later)
    # The answer's SMS is drafted at its step; the agent reaches the step and sends it.
    from cases.services import case_step_send

    for step in case.steps.filter(status="pending").order_by("order"):
        if step.code == "notify_customer":
            break
        case_step_complete(case=case, step_code=step.code, actor=people.agent)
    case_step_send(case=case, step_code="notify_customer", actor=people.agent)
    message = case.outbound_messages.get()
    assert message.status == OutboundMessage.Status.QUEUED
    message_mark_sent_by_hand(message=message, reason="CEMS 직접 발송", actor=people.agent)
    post = case.escalation_posts.first()
    escalation_post_mark_posted(
        post=post, link_url="https://agit.example/posts/1", actor=people.agent
    )
    timeline = case_timeline(case=case)
    seen = labels(timeline)
    assert seen[0] == "케이스 접수"
    assert any(s.startswith("처리 결정: (A)") for s in seen)  # the outcome's Korean label
    assert any(s.startswith("처리 단계 작성") for s in seen)
    assert not any(s == "처리 단계 작성 (1개)" for s in seen)  # one event per decision
    assert f"단계 완료: {first.label}" in seen
    assert "사실관계 수정 1" in seen
    assert any(s.startswith("단계 대체:") for s in seen)
    assert any(s.startswith("기한 시작:") for s in seen)
    assert any(s.startswith("기한 종료:") for s in seen)
    assert any(s.startswith("문자 작성 (단계 대기)") for s in seen)
    assert any(s.startswith("문자 발송 대기") for s in seen)
    assert any(s in ("문자 발송 완료", "문자 수동 발송 (CEMS)") for s in seen)
    assert any(s.startswith("아지트 글 작성 대상:") for s in seen)
    assert any(s.startswith("아지트 게시 확인:") for s in seen)
    # time order
    assert [e.at for e in timeline.events] == sorted(e.at for e in timeline.events)
    revision = next(e for e in timeline.events if e.kind == "revision")
    assert revision.actor == "김 상담" or revision.actor == "상담 김"
    assert ("담당부서 답변", "—", "결제취소 완료") in revision.changes
    sms = next(e for e in timeline.events if e.label.startswith("문자 발송 대기"))
    assert "전기차충전_미충전_결제취소완료" in sms.detail and "010-****-1234" in sms.detail
    text = " ".join(f"{e.label} {e.detail} {e.actor}" for e in timeline.events)
    assert not re.search(r"#\d", text)  # names, never ids
    assert "forward_to_cpo" not in text and "cancelled" not in text
    assert "0000-1234" not in text.replace("****-1234", "")


def _work_the_plan_and_close(case, people):
    """Close a decided case the way an agent does (issue 13.5): every step in order, each SMS
    sent at its step (in-process delivery ticks it), the Agit posts linked, a consultation
    type, then 종결. A lead-only step is done by the lead."""
    from django.test import TestCase

    from cases.exceptions import CaseError
    from cases.models import ConsultationType
    from cases.services import (
        case_record_update,
        case_step_complete,
        case_step_send,
        case_transition,
        escalation_post_mark_posted,
    )

    for _ in range(30):
        step = case.steps.filter(status="pending").order_by("order").first()
        if step is None:
            break
        # Each commit hands the SMS it released (this step's, or an automatic step's that
        # follows) to the in-process gateway; the delivery ticks their step.
        with TestCase.captureOnCommitCallbacks(execute=True):
            if step.messages.filter(status="planned").exists():
                case_step_send(case=case, step_code=step.code, actor=people.agent)
            else:
                try:
                    case_step_complete(case=case, step_code=step.code, actor=people.agent)
                except CaseError:
                    case_step_complete(case=case, step_code=step.code, actor=people.lead)
        step.refresh_from_db()
        assert step.status != "pending", (case.playbook, step.code)
    for number, post in enumerate(case.escalation_posts.filter(link_url=""), start=1):
        escalation_post_mark_posted(
            post=post, link_url=f"https://agit.example/posts/{case.pk}{number}", actor=people.agent
        )
    case.refresh_from_db()
    if case.consultation_type_id is None:
        leaf = ConsultationType.objects.filter(is_leaf=True, is_active=True).order_by("pk")
        case_record_update(case=case, actor=people.agent, consultation_type=leaf.first())
    case_transition(case=case, transition="close", actor=people.agent)
    case.refresh_from_db()
    assert case.status == "closed", case.playbook


def _decided_cases(people):
    """A decided, an overridden and a closed case of each of the five playbooks (the demo
    data's first variant: a case an agent files and decides as proposed)."""
    from cases.exceptions import CaseError
    from cases.labels import override_choices
    from cases.playbooks import PLAYBOOKS
    from cases.services import case_create, case_decide
    from kmcs_site.demo_data import VARIANTS, phones

    serial = itertools.count(300)
    cases = []
    for playbook in sorted(PLAYBOOKS):
        variant = VARIANTS[playbook][0]
        for mode in ("decided", "overridden", "closed"):
            n = next(serial)
            customer, driver = phones(n)
            case = case_create(
                playbook=playbook,
                facts=variant.facts(timezone.localdate(), n),
                channel="chatbot_board",
                actor=people.agent,
                customer_phone=customer,
                driver_phone=driver,
                assignee=people.agent,
            ).case
            if mode == "overridden":
                proposal = case.proposal["outcome"]
                for other, _label in override_choices(playbook):
                    if other == proposal:
                        continue
                    try:  # an outcome whose texts need a fact this case lacks is refused
                        case_decide(
                            case=case,
                            actor=people.lead,
                            override_outcome=other,
                            override_reason="팀장 판단",
                        )
                        break
                    except CaseError:
                        continue
                case.refresh_from_db()
                assert case.is_override and case.status == "decided", playbook
            else:
                case_decide(case=case, actor=people.agent)
                case.refresh_from_db()
                assert case.status == "decided", (playbook, case.proposal)
            if mode == "closed":
                _work_the_plan_and_close(case, people)
            cases.append((playbook, mode, case))
    assert {p for p, _m, _c in cases} == set(PLAYBOOKS) and len(PLAYBOOKS) == 5
    return cases


def test_timeline_page_renders_for_decided_overridden_and_closed_cases(people, client_for):
    """Every playbook x decided / overridden / closed, on /audit/cases/<id>/ and on the
    workspace case page: the story with the outcome's Korean label (never its code), the
    override's reason, each SMS and step tick of a closed case, and no ``#14`` ids."""
    from html import unescape

    from cases.labels import outcome_label

    auditor = client_for(people.auditor)
    agent = client_for(people.agent)
    for playbook, mode, case in _decided_cases(people):
        where = (playbook, mode)
        timeline = case_timeline(case=case)
        seen = labels(timeline)
        decided = f"처리 결정: {outcome_label(playbook, case.outcome)}"
        assert seen[0] == "케이스 접수", where
        assert decided in seen, (where, seen)
        text = " ".join(f"{e.label} {e.detail} {e.actor}" for e in timeline.events)
        assert not re.search(r"#\d", text), where
        assert not re.search(rf"\b{re.escape(case.outcome)}\b", text), where
        if mode == "overridden":
            assert "팀장 판단" in text, where
        if mode == "closed":
            assert seen[-1] == "종결" or "종결" in seen, where
            assert any(s.startswith("단계 완료:") for s in seen), where
            if case.outbound_messages.exists():
                assert any(s in ("문자 발송 완료", "문자 수동 발송 (CEMS)") for s in seen), where
        for response in (
            auditor.get(reverse("audit:case_history", kwargs={"case_id": case.pk})),
            agent.get(reverse("workspace:case", kwargs={"case_id": case.pk})),
        ):
            assert response.status_code == 200, where
            html = unescape(response.content.decode())
            assert "케이스 기록" in html and "케이스 접수" in html, where
            assert decided in html, where
            if mode == "closed":
                assert "종결" in html, where


def test_timeline_page_query_count_is_flat(people, client_for, django_assert_max_num_queries):
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    small = ev_case(people)
    case_decide(case=small, actor=people.agent)
    big = ev_case(people)
    case_decide(case=big, actor=people.agent)
    for i in range(30):
        case_revise_facts(case=big, actor=people.agent, facts={"amount": 6000 + i})
    auditor = client_for(people.auditor)
    url = "audit:case_history"
    with django_assert_max_num_queries(40) as small_run:
        auditor.get(reverse(url, kwargs={"case_id": small.pk}))
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        auditor.get(reverse(url, kwargs={"case_id": big.pk}))


def test_agent_case_log_is_scoped(people, client_for):
    case = ev_case(people)
    assert (
        client_for(people.agent_b)
        .get(reverse("workspace:case", kwargs={"case_id": case.pk}))
        .status_code
        == 404
    )
