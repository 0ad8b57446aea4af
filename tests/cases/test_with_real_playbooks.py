"""The cases core with the real playbooks, the seeded CEMS templates, the seeded campaign and
the partners' route table (DatabaseEnv): intake -> proposal -> decision -> SMS -> answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.exceptions import ActionNotAllowed, SmsNotSentYet, StepNotReached
from cases.models import Campaign, ConsultationType
from cases.playbooks import driver_nonride_cancel, parking_double_payment
from cases.playbooks.base import PlaybookError
from cases.playbooks.env import DatabaseEnv
from cases.services import (
    campaign_extend,
    case_answer_save,
    case_create,
    case_decide,
    case_propose,
    case_step_complete,
    case_step_send,
)
from templates_app.models import OutboundMessage

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 5, 10, 0, tzinfo=SEOUL)


def _driver_facts(**over):
    data = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "call_id": "31337",
        "already_cancelled": False,
        "has_open_duplicate": False,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "fare_amount": 15000,
        "called_on": "2024-12-03",
        "origin": "강남역",
        "ob_unreachable": False,
    }
    data.update(over)
    return data


def test_driver_nonride_cancel_approved_end_to_end(staff, django_capture_on_commit_callbacks):
    result = case_create(
        playbook="driver_nonride_cancel",
        facts=_driver_facts(),
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        at=AT,
    )
    case = result.case
    assert case.business_key == "31337" and case.driver_id == "drv-1001"

    proposal = case_propose(case=case, at=AT)
    assert proposal.outcome == "approved"
    with django_capture_on_commit_callbacks() as callbacks:
        case_decide(case=case, actor=staff.agent, at=AT)
    case.refresh_from_db()
    assert case.status == "decided" and case.result_type == "approved"
    assert case.playbook_version == driver_nonride_cancel.VERSION
    assert case.consultation_type == ConsultationType.objects.get(
        path_label="대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 콜타입"
    )
    assert case.billing_memo == "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"  # center setting
    assert case.record_title == "처리완료" and case.record_inquiry == "미운행건 결제취소 요청"
    assert case.escalation_posts.get().board == "[운영] 대리 CS 대응"  # center setting
    templates = set(OutboundMessage.objects.values_list("template__name", "audience"))
    assert templates == {
        (driver_nonride_cancel.TPL_DRIVER_APPROVED, "driver"),
        (driver_nonride_cancel.TPL_CUSTOMER_APPROVED, "customer"),
    }
    assert "15,000원" in OutboundMessage.objects.get(audience="customer").body

    # Deciding wrote the plan: both SMS are drafts of the "취소완료" step; the commit sent nothing.
    for callback in callbacks:
        callback()
    assert set(OutboundMessage.objects.values_list("status", "step__code")) == {
        ("planned", "send_sms")
    }
    # SMS first: the answer waits for the SMS, the SMS for "어드민 확인 후 결제취소".
    with pytest.raises(SmsNotSentYet):
        case_answer_save(case=case, text="처리 완료 안내", actor=staff.agent)
    case_step_complete(case=case, step_code="check_meter", actor=staff.agent)
    with pytest.raises(StepNotReached) as info:
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert "어드민 확인 후 결제취소" in info.value.message
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"planned"}
    case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert case.steps.get(code="send_sms").status == "done"  # delivery ticked the step
    case_answer_save(case=case, text="처리 완료 안내", actor=staff.agent)
    case.refresh_from_db()
    assert case.answer_text == "처리 완료 안내"
    assert case.steps.get(code="save_answer").status == "done"


def test_driver_needs_review_goes_to_a_lead(staff):
    case = case_create(
        playbook="driver_nonride_cancel",
        facts=_driver_facts(start_equals_last_point=None),
        channel="chatbot_board",
        actor=staff.agent,
        driver_phone="010-0000-5678",
        customer_phone="010-0000-1234",
        at=AT,
    ).case
    from cases.exceptions import NeedsReview

    with pytest.raises(NeedsReview):
        case_decide(case=case, actor=staff.agent, at=AT)
    case_decide(
        case=case,
        actor=staff.lead,
        override_outcome="rejected_ride_recorded",
        override_reason="미터기 지도 확인: 출발지와 마지막 지점 다름",
        at=AT,
    )
    case.refresh_from_db()
    assert case.is_override and case.overridden_by == staff.lead


def test_amano_car_number_change_is_for_leads_only(staff):
    from cases.services import staff_profile_set_services

    staff_profile_set_services(user=staff.agent, services=["parking", "driver"], actor=staff.lead)
    facts = {
        "request_kind": "car_number_change",
        "partner": "amano",
        "site_kind": "manual_normal",
        "lot_name": "테스트 빌딩 주차장",
        "car_number": "12가3456",
        "new_car_number": "34나5678",
    }
    case = case_create(
        playbook="parking_operations", facts=facts, channel="phone", actor=staff.agent, at=AT
    ).case
    assert case.business_key == "car_number_change:테스트 빌딩 주차장:12가3456"
    with pytest.raises(ActionNotAllowed) as info:
        case_decide(case=case, actor=staff.agent, at=AT)
    assert "팀장·부팀장" in info.value.message
    case.refresh_from_db()
    assert case.status == "new"
    case_decide(case=case, actor=staff.deputy, at=AT)
    case.refresh_from_db()
    assert case.status == "decided"
    # The route's "팀장, 부팀장" reached the checklist: those steps stay the leads'.
    assert ["deputy_lead", "team_lead"] in [step.roles for step in case.steps.all()]


def _parking_facts(**over):
    data = {
        "ownership_verified": True,
        "lot_name": "한빛타워 민영주차장",
        "lot_district": "서울 강남구",
        "lot_integration": "linked",
        "entry_at": "2024-12-03T14:05:00+09:00",
        "exit_at": "2024-12-03T15:50:00+09:00",
        "car_number": "12가3456",
        "pass_amount": 4000,
        "other_app": "modu",
        "reservation_history_attached": True,
        "payment_history_attached": True,
        "ticket_hours": 2,
        "ticket_car_number": "12가3456",
        "ticket_date": "2024-12-03",
        "ticket_lot_name": "한빛타워 민영주차장",
    }
    data.update(over)
    return data


def test_parking_case_takes_its_channel_and_the_campaign_from_the_database(staff):
    result = case_create(
        playbook="parking_double_payment",
        facts=_parking_facts(),
        channel="chat",
        actor=staff.parking_agent,
        references={"parking_payment_id": "PP-1"},
        at=AT,
    )
    case = result.case
    assert case.facts["channel"] == "chat" and case.business_key == "PP-1"
    during = case_propose(case=case, at=AT)
    assert during.outcome == "cancel_pass_payment" and during.figures["coupon_offered"] is True
    after = case_propose(case=case, at=datetime(2025, 1, 15, 9, 0, tzinfo=SEOUL))
    assert after.figures["coupon_offered"] is False
    campaign = Campaign.objects.get(code=parking_double_payment.CAMPAIGN_CODE)
    campaign_extend(campaign=campaign, ends_on=date(2025, 2, 28), actor=staff.lead)
    extended = case_propose(case=case, at=datetime(2025, 1, 15, 9, 0, tzinfo=SEOUL))
    assert extended.figures["coupon_offered"] is True
    # Seed 000: "- 사용기한 : ~~24.12.31까지~~" (struck): extending the campaign says no expiry;
    # a lead who sets one on the campaign (admin: campaign_save) makes the next proposal say it.
    assert "coupon_expires_on" not in extended.figures
    assert campaign.history.first().history_user == staff.lead
    from cases.services import campaign_save

    campaign.refresh_from_db()
    campaign.coupon_expires_on = date(2025, 3, 31)
    campaign_save(campaign=campaign, actor=staff.lead)
    with_expiry = case_propose(case=case, at=datetime(2025, 1, 15, 9, 0, tzinfo=SEOUL))
    assert with_expiry.figures["coupon_expires_on"] == date(2025, 3, 31)
    assert "- 사용기한 : 25.03.31까지" in " ".join(s.script for s in with_expiry.steps)
    latest = campaign.history.first()
    assert latest.history_user == staff.lead and "쿠폰 사용기한: 2025-03-31" in (
        latest.history_change_reason or ""
    )


def test_parking_facts_that_contradict_the_channel_are_refused(staff):
    from cases.exceptions import FactsInvalid

    with pytest.raises(FactsInvalid) as info:
        case_create(
            playbook="parking_double_payment",
            facts=_parking_facts(channel="phone"),
            channel="chat",
            actor=staff.parking_agent,
        )
    assert "channel" in info.value.errors
    with pytest.raises(FactsInvalid) as info:
        case_create(  # parking has no app board: the playbook's own choices refuse it
            playbook="parking_double_payment",
            facts=_parking_facts(),
            channel="app_board",
            actor=staff.parking_agent,
        )
    assert "channel" in info.value.errors


# --- DatabaseEnv -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("at", "active"),
    [
        (datetime(2024, 11, 26, 14, 59, tzinfo=UTC), False),  # 11-26 23:59 in Seoul
        (datetime(2024, 11, 26, 15, 30, tzinfo=UTC), True),  # 11-27 00:30 in Seoul
        (datetime(2024, 12, 31, 14, 59, tzinfo=UTC), True),  # 12-31 23:59 in Seoul
        (datetime(2024, 12, 31, 15, 30, tzinfo=UTC), False),  # 01-01 00:30 in Seoul
    ],
)
def test_database_env_campaign_days_are_seoul_days(at, active):
    campaign = DatabaseEnv().active_campaign("parking_ticket_coupon", at)
    assert (campaign is not None) is active
    if active:
        assert (campaign.starts_on, campaign.ends_on) == (date(2024, 11, 27), date(2024, 12, 31))


def test_database_env_unknown_campaign_is_none():
    assert DatabaseEnv().active_campaign("nope", AT) is None


def test_database_env_routes_and_route_errors():
    info = DatabaseEnv().route_for(
        request_kind="car_number_change", partner="amano", site_kind="manual_normal", at=AT
    )
    assert info.allowed_roles == frozenset({"team_lead", "deputy_lead"})
    with pytest.raises(PlaybookError) as error:
        DatabaseEnv().route_for(
            request_kind="midterm_cancel", partner="kmpns", site_kind="manual_normal"
        )
    assert "고객 수긍 여부" in str(error.value)
    with pytest.raises(PlaybookError):
        DatabaseEnv().route_for(request_kind="teleport", partner="amano")
