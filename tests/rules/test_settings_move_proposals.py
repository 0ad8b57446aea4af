"""Issue 15 A.3: the EV service levels, the Agit boards and the 빌링처리 메모 per outcome are
center settings a lead edits in the admin; the next proposal follows without a restart and the
change is on the row's history. Bad input is a Korean error and nothing is saved."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.playbooks import driver_nonride_cancel as nonride
from cases.playbooks import ev_charging as ev
from cases.playbooks import evaluate
from cases.playbooks import parking_double_payment as pdp
from cases.playbooks.base import Campaign
from cases.playbooks.env import MemoEnv
from rules.models import CenterSettings
from rules.models import LotRule as LotRuleRow

from .test_center_settings import form
from .test_lot_and_site_rules import facts as parking_facts
from .test_lot_and_site_rules import lot_form

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 4, 10, 15, 0, tzinfo=SEOUL)


def step(p, code):
    return next(s for s in p.steps if s.code == code)


def ev_facts(case_type="paid_not_charged", **over):
    data = {
        "case_type": case_type,
        "station_name": "판교역 공영 충전소",
        "charge_started_at": "2025-04-09T14:30:00+09:00",
        "charge_ended_at": "2025-04-09T15:10:00+09:00",
        "tid": "TID-0042",
        "kwh": "0.000",
        "amount": 12800,
        "cpo_name": "에버온",
    }
    data.update(over)
    return data


def nonride_facts(**over):
    data = {
        "received_on": "2024-11-20",
        "driver_id": "D-100200",
        "call_id": "7001234567",
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 23000,
        "called_on": "2024-11-19",
        "origin": "강남역",
    }
    data.update(over)
    return data


def other_lot(**over):
    """A lot no lot rule names (강남구): the four decisions of seed 000 apply."""
    return parking_facts(lot_name="역삼 공영주차장", lot_district="서울 강남구", **over)


def edit(client, user, **over):
    row = CenterSettings.objects.get()
    client.force_login(user)
    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]), form(row, **over)
    )
    return row, response


def last_history(row):
    return row.history.order_by("-history_id").first()


@pytest.mark.parametrize("role", ["team_lead", "deputy_lead", "manager"])
def test_ev_service_levels_edited_in_the_admin_are_the_next_steps_due_rules(
    client, make_user, role
):
    """Seed 003: "담당부서의 경우 순차적으로 확인 후 처리하다 보니 다소 시간이 소요" (no number:
    the center's level, a setting)."""
    before = evaluate(ev.CODE, ev_facts(), AT, MemoEnv())
    assert step(before, "email_cpo").due_rule == "business_days:3"
    assert step(before, "post_agit").due_rule == "business_days:3"
    user = make_user(role, username=f"u_{role}")
    row, response = edit(
        client,
        user,
        ev_team_answer_rule="business_days:2",
        ev_cpo_answer_rule="hours:48",
        ev_customer_sms_rule="next_business_day",
        note="전기차충전 서비스 수준 조정",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    after = evaluate(ev.CODE, ev_facts(), AT, MemoEnv())
    assert step(after, "email_cpo").due_rule == "hours:48"
    assert step(after, "post_agit").due_rule == "business_days:2"
    assert step(after, "notify_customer").due_rule == "business_days:2"
    answered = evaluate(ev.CODE, ev_facts(team_answer="cancelled"), AT, MemoEnv())
    assert step(answered, "notify_customer").due_rule == "next_business_day"
    last = last_history(row)
    assert last.history_user == user and last.ev_cpo_answer_rule == "hours:48"
    assert last.prev_record.ev_cpo_answer_rule == "business_days:3"


def test_agit_boards_edited_in_the_admin_are_the_next_posts_boards(client, make_user):
    """Seed 003: "아지트 [전기차충전cs] 전달", "아지트 [사후청구 결제취소] 전달"; seed 002:
    "[운영] 대리 CS 대응 > [챗보드_요금조정(광주KMCC)]"; seed 000 인천공항: "아지트로 확인 요청"."""
    airport = parking_facts(lot_name="인천공항 제1여객터미널 단기주차장", lot_district="인천 중구")
    assert evaluate(ev.CODE, ev_facts(), AT, MemoEnv()).escalation.board == "전기차충전cs"
    assert evaluate(pdp.CODE, airport, AT, MemoEnv()).escalation.board == "아지트"
    user = make_user("team_lead", username="lead")
    row, response = edit(
        client,
        user,
        agit_ev_cpo_board="전기차충전cs_2025",
        agit_ev_postbill_board="사후청구 결제취소_2025",
        agit_nonride_board="[운영] 대리 CS 대응 2",
        agit_nonride_template="챗보드_요금조정(대구KMCC)",
        agit_parking_board="주차 CS",
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    cpo = evaluate(ev.CODE, ev_facts(), AT, MemoEnv())
    assert cpo.escalation.board == "전기차충전cs_2025"
    assert step(cpo, "post_agit").label.startswith("아지트 [전기차충전cs_2025] 전달")
    postbill = evaluate(ev.CODE, ev_facts("postbill_before_payment"), AT, MemoEnv())
    assert postbill.escalation.board == "사후청구 결제취소_2025"

    approved = evaluate(nonride.CODE, nonride_facts(), AT, MemoEnv())
    assert approved.outcome == "approved"
    assert approved.escalation.board == "[운영] 대리 CS 대응 2"
    assert approved.escalation.template == "챗보드_요금조정(대구KMCC)"
    assert step(approved, "post_agit").label == (
        "아지트 작성: [운영] 대리 CS 대응 2 > 챗보드_요금조정(대구KMCC)"
    )
    assert evaluate(pdp.CODE, airport, AT, MemoEnv()).escalation.board == "주차 CS"
    last = last_history(row)
    assert last.history_user == user and last.agit_parking_board == "주차 CS"
    assert last.prev_record.agit_parking_board == "아지트"


def test_billing_memos_per_outcome_edited_in_the_admin_are_the_next_memos(client, make_user):
    """Seed 002 빌링처리 메모: 승인 "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS", 반려 "-";
    seed 000: the 주차패스 결제취소 memo with the amount."""
    approved = evaluate(nonride.CODE, nonride_facts(), AT, MemoEnv())
    assert approved.billing_memo == "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"
    rejected = evaluate(nonride.CODE, nonride_facts(meter_distance_km="5.2"), AT, MemoEnv())
    assert rejected.outcome == "rejected_ride_recorded" and rejected.billing_memo == ""
    assert "billing_memo" not in [s.code for s in rejected.steps]
    cancel = evaluate(pdp.CODE, other_lot(), AT, MemoEnv())
    assert cancel.billing_memo == "이중결제[타사주차권] 주차패스 결제취소 / 4,000원"

    user = make_user("manager", username="mgr")
    row, response = edit(
        client,
        user,
        billing_memo_nonride_approved="챗보드 IN / 미운행 결제취소 / SMS 발송",
        billing_memo_nonride_rejected_ride_recorded="반려 / 운행기록 있음",
        billing_memo_double_payment_cancel="주차패스 이중결제 취소 {amount}",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    approved = evaluate(nonride.CODE, nonride_facts(), AT, MemoEnv())
    assert approved.billing_memo == "챗보드 IN / 미운행 결제취소 / SMS 발송"
    assert step(approved, "billing_memo").script == approved.billing_memo
    rejected = evaluate(nonride.CODE, nonride_facts(meter_distance_km="5.2"), AT, MemoEnv())
    assert rejected.billing_memo == "반려 / 운행기록 있음"
    assert step(rejected, "billing_memo").script == "반려 / 운행기록 있음"
    cancel = evaluate(pdp.CODE, other_lot(), AT, MemoEnv())
    assert cancel.billing_memo == "주차패스 이중결제 취소 4,000원"
    last = last_history(row)
    assert last.history_user == user
    assert last.billing_memo_double_payment_cancel == "주차패스 이중결제 취소 {amount}"


@pytest.mark.parametrize(
    "over, field, words",
    [
        ({"ev_team_answer_rule": "3일"}, "ev_team_answer_rule", "기한 형식이 올바르지 않습니다"),
        ({"ev_cpo_answer_rule": "hours:0"}, "ev_cpo_answer_rule", "기한 형식이 올바르지 않습니다"),
        ({"agit_ev_cpo_board": "  "}, "agit_ev_cpo_board", "비워 둘 수 없습니다"),
        (
            {"billing_memo_nonride_approved": "승인 {amount}"},
            "billing_memo_nonride_approved",
            "자리표시자({ })를 쓸 수 없습니다",
        ),
        (
            {"billing_memo_double_payment_cancel": "취소 {금액}"},
            "billing_memo_double_payment_cancel",
            "쓸 수 없는 자리표시자",
        ),
        (
            {"billing_memo_double_payment_cancel": "취소 {amount"},
            "billing_memo_double_payment_cancel",
            "중괄호 { } 짝이 맞지 않습니다",
        ),
    ],
)
def test_bad_levels_boards_or_memos_are_korean_errors_and_nothing_saved(
    client, make_user, over, field, words
):
    row = CenterSettings.objects.get()
    versions, value = row.history.count(), getattr(row, field)
    _row, response = edit(
        client, make_user("team_lead", username="lead"), payout_cutoff="13:00", **over
    )
    assert response.status_code == 200
    assert words in response.content.decode()
    row.refresh_from_db()
    assert getattr(row, field) == value and row.payout_cutoff.hour == 14
    assert row.history.count() == versions


def test_a_board_change_for_later_leaves_todays_proposal_alone(client, make_user):
    """Effective dates: a new row from a later moment; before it the old board applies."""
    row = CenterSettings.objects.get()
    client.force_login(make_user("team_lead", username="lead"))
    response = client.post(
        reverse("admin:rules_centersettings_add"),
        form(
            row,
            effective_from_0="2025-05-01",
            effective_from_1="00:00:00",
            agit_ev_cpo_board="전기차충전cs_신규",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert evaluate(ev.CODE, ev_facts(), AT, MemoEnv()).escalation.board == "전기차충전cs"
    may = datetime(2025, 5, 2, 10, 0, tzinfo=SEOUL)
    assert evaluate(ev.CODE, ev_facts(), may, MemoEnv()).escalation.board == "전기차충전cs_신규"


def _sms(proposal, template_code):
    """The text the customer would receive: the stored approved version rendered with the
    proposal's context (what the outbox queues)."""
    from templates_app.models import SmsTemplate
    from templates_app.render import render_sms
    from templates_app.services import template_approved_version

    spec = next(m for m in proposal.messages if m.template == template_code)
    version = template_approved_version(SmsTemplate.objects.get(code=template_code))
    return render_sms(body=version.body, variables=version.variables, context=spec.context).text


def test_the_coupon_link_and_control_center_phone_reach_the_sms_from_the_rows(client, make_user):
    """Seed 000: "성북구통합관제센터(02-6925-0023)로 문의해 주시면", "쿠폰 발급이 완료되면 아래의
    링크에서 확인하실 수 있어요. https://t.kakao.com/launch?page=coupon": template variables
    filled from the rows a lead edits, so a new number or link needs no template edit."""
    board = dict(channel="chatbot_board", lot_name="성신여대입구 공영주차장")
    seongbuk = evaluate(pdp.CODE, parking_facts(**board), AT, MemoEnv())
    code = pdp.TPL_BOARD["refer_control_center"]
    assert "성북구통합관제센터(02-6925-0023)로 문의해 주시면" in _sms(seongbuk, code)

    lead = make_user("team_lead", username="lead")
    client.force_login(lead)
    row = LotRuleRow.objects.get(code="seongbuk")
    response = client.post(
        reverse("admin:rules_lotrule_change", args=[row.pk]),
        lot_form(row, center_phone="02-0000-0023"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _row, response = edit(client, lead, coupon_link="https://t.kakao.com/launch?page=coupon2")
    assert response.status_code == 302, response.content.decode()[:2000]

    seongbuk = evaluate(pdp.CODE, parking_facts(**board), AT, MemoEnv())
    assert "성북구통합관제센터(02-0000-0023)로 문의해 주시면" in _sms(seongbuk, code)
    coupon = Campaign("parking_ticket_coupon", "T 주차권 쿠폰", AT.date(), AT.date())

    # the link is the center setting in force (the database), the coupon campaign is on
    class Env(MemoEnv):
        def active_campaign(self, code, at):
            return coupon if code == coupon.code else None

    cancel = evaluate(pdp.CODE, other_lot(channel="chatbot_board"), AT, Env())
    texts = [_sms(cancel, m.template) for m in cancel.messages]
    assert any("https://t.kakao.com/launch?page=coupon2" in t for t in texts), texts
    assert not any("page=coupon\n" in t for t in texts)
