"""Seed 001 through the real route table and the decision (issue 15 B 001)."""

from __future__ import annotations

import pytest

from cases.exceptions import ActionNotAllowed
from cases.services import case_create, case_decide
from partners import services as partner_services
from partners.models import Route

pytestmark = pytest.mark.django_db


def file_case(people, facts):
    result = case_create(
        playbook="parking_operations",
        facts=facts,
        channel="chatbot_board",
        actor=people.parking_agent,
        customer_phone="010-0000-1234",
        assignee=people.parking_agent,
    )
    assert result.created, result.message
    return result.case


def test_a_mention_row_creates_the_agit_post_with_its_mentions_at_decision(staff):
    """Table 5: "| **주차요금** | ... | 연동 | **@owner4, @owner5, @owner6, @owner7 멘션** | |
    **All** |": the decision creates the Agit post mentioning the route's mention rows."""
    case = file_case(
        staff,
        {"request_kind": "lot_info_change", "topic": "fee", "integration": "linked"},
    )
    assert case.proposal["escalation"]["mentions"] == ["@owner4", "@owner5", "@owner6", "@owner7"]
    case_decide(case=case, actor=staff.parking_agent)
    post = case.escalation_posts.get()
    assert post.mentions == ["@owner4", "@owner5", "@owner6", "@owner7"]
    assert post.board == "아지트"


def test_63_building_refund_is_reached_through_the_site_row(staff):
    """Table 7: "| **63빌딩 환불정책** | ... 증빙 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후
    결제취소 |"."""
    case = file_case(
        staff,
        {
            "request_kind": "parking_refund",
            "special_site": "building_63",
            "discount_claim": "hanwha_employee",
            "evidence_provided": False,
        },
    )
    assert case.proposal["outcome"] == "cancel_site_payment"
    route = Route.objects.get(pk=case.proposal["route"]["route_id"])
    assert route.seed_key == "t7.63building.parking_refund"


def test_flipping_the_conflicting_route_to_leads_stops_an_agent(staff):
    """Table 1 "(팀장님, 부팀장님)" vs table 2 "**All**": one edit of the route decides who acts."""
    facts = {
        "request_kind": "car_number_change",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "new_car_number": "34나5678",
    }
    route = Route.objects.get(seed_key="t2.kmpark.car_number_change.manual_normal")
    partner_services.route_update(route=route, actor=staff.lead, allowed_roles="leads")
    case = file_case(staff, facts)
    with pytest.raises(ActionNotAllowed):
        case_decide(case=case, actor=staff.parking_agent)
    case_decide(case=case, actor=staff.lead)
    assert case.outcome == "follow_route"
