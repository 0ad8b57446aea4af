"""Seed 003's "🔎 미충전 어드민 가이드 참고 - 미충전 유형 A/B/C ..." (issue 15 B.003): each guide
appears on the case at its step (the admin check) with its title as the seed writes it and a link
a lead sets in the center settings (rules.CenterSettings ev_guide_*_url, audited). The seed gives
no address, so until a lead sets one the step names the guide alone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.models import CaseStep
from cases.playbooks import ev_charging as pb
from cases.playbooks import evaluate
from cases.playbooks.base import StaticEnv
from cases.playbooks.center import CenterRules
from cases.playbooks.env import MemoEnv
from rules.models import GUIDE_FIELDS, CenterSettings
from tests.rules.test_center_settings import form

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 4, 10, 15, 0, tzinfo=SEOUL)
GUIDE_B = "https://wiki.partner.co.kr/ev/guide-b"

#: The seed's own lines, one per 📌 block (Q1, Q3, Q4).
SEED_A = "🔎 미충전 어드민 가이드 참고 - 미충전 유형 A 결제 건에 대한 미충전 주장"
SEED_B = "🔎 미충전 어드민 가이드 참고 - 미충전 유형 B 사후청구 결제 전 미충전 주장으로 취소 요청"
SEED_C = "🔎 미충전 어드민 가이드 참고 - 미충전 유형 C 사후청구 결제 후 미충전 주장으로 취소 요청"


def facts(case_type, **over):
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


def admin_step(proposal):
    return next(s for s in proposal.steps if s.code == "check_admin")


@pytest.mark.parametrize(
    ("case_type", "line", "field"),
    [
        ("paid_not_charged", SEED_A, "ev_guide_a_url"),
        ("postbill_before_payment", SEED_B, "ev_guide_b_url"),
        ("postbill_after_payment", SEED_C, "ev_guide_c_url"),
    ],
)
def test_each_case_types_admin_check_names_its_guide_with_the_centers_link(case_type, line, field):
    bare = admin_step(evaluate(pb.CODE, facts(case_type), AT, StaticEnv()))
    assert bare.script.endswith(line)  # no link set: the title alone, no invented address
    assert "미충전 어드민 가이드" in bare.label
    link = f"https://guide.example/{field}"
    env = StaticEnv(center=CenterRules(**{field: link}))
    step = admin_step(evaluate(pb.CODE, facts(case_type), AT, env))
    assert step.script.endswith(f"{line}\n{link}")
    # The other guides' links never leak into this case type's step.
    for other in set(GUIDE_FIELDS) - {field}:
        env = StaticEnv(center=CenterRules(**{other: "https://guide.example/other"}))
        assert (
            "guide.example/other"
            not in admin_step(evaluate(pb.CODE, facts(case_type), AT, env)).script
        )


def test_q2_charged_not_paid_names_no_guide():
    """Q2 (충전완료했는데 결제가 안되었어요) has no 📌 block and no guide line in the seed."""
    data = {
        "case_type": "charged_not_paid",
        "station_name": "광교",
        "charge_started_at": "2025-04-09T08:05:00+09:00",
    }
    p = evaluate(
        pb.CODE, data, AT, StaticEnv(center=CenterRules(ev_guide_a_url="https://x.example/a"))
    )
    assert all("어드민 가이드" not in s.script and "어드민 가이드" not in s.label for s in p.steps)


@pytest.mark.django_db
def test_a_lead_sets_the_guide_link_in_the_admin_and_the_next_case_shows_it_at_its_step(
    client, staff
):
    from cases.services import case_create, case_decide

    row = CenterSettings.objects.get()
    client.force_login(staff.lead)
    url = reverse("admin:rules_centersettings_change", args=[row.pk])
    assert "미충전 어드민 가이드 유형 B 링크" in client.get(url).content.decode()
    response = client.post(url, form(row, ev_guide_b_url=GUIDE_B, note="가이드 링크 등록"))
    assert response.status_code == 302, response.content.decode()[:2000]
    last = row.history.order_by("-history_id").first()
    assert last.history_user == staff.lead and last.ev_guide_b_url == GUIDE_B
    assert last.prev_record.ev_guide_b_url == ""

    # The next proposal follows without a restart.
    step = admin_step(evaluate(pb.CODE, facts("postbill_before_payment"), AT, MemoEnv()))
    assert step.script.endswith(f"{SEED_B}\n{GUIDE_B}")

    case = case_create(
        playbook=pb.CODE,
        facts=facts("postbill_before_payment"),
        channel="chatbot_board",
        actor=staff.lead,
        customer_phone="010-0000-1234",
        at=AT,
    ).case
    case_decide(case=case, actor=staff.lead, at=AT)
    stored = CaseStep.objects.get(case=case, code="check_admin")
    assert stored.script.endswith(f"{SEED_B}\n{GUIDE_B}")
    page = client.get(reverse("workspace:case", args=[case.pk])).content.decode()
    assert SEED_B in page and GUIDE_B in page
    # The agent opens the guide from the step: the address is a link, not text to copy.
    assert f'<a href="{GUIDE_B}"' in page


@pytest.mark.django_db
def test_a_guide_link_that_is_not_an_address_is_a_korean_error_and_nothing_saved(client, staff):
    row = CenterSettings.objects.get()
    before = row.history.count()
    client.force_login(staff.lead)
    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]),
        form(row, ev_guide_a_url="가이드 A 참고"),
    )
    assert response.status_code == 200
    assert "유효한 URL을 입력하세요." in response.content.decode()
    row.refresh_from_db()
    assert row.ev_guide_a_url == "" and row.history.count() == before
