"""The cases rows of the ACTIONS table with their object rules; reference data seeding."""

from __future__ import annotations

import io
from datetime import date

import pytest

from cases.consultation_types import all_paths, path_label
from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.models import Campaign, ConsultationType
from cases.services import (
    campaign_extend,
    consultation_type_add,
    consultation_type_set_active,
    staff_profile_set_services,
)
from kmcs_site.permissions import ACTIONS, user_can

pytestmark = pytest.mark.django_db

AGENTS_AND_UP = {"agent", "team_lead", "deputy_lead", "manager"}
LEADS_AND_MANAGER = {"team_lead", "deputy_lead", "manager"}

#: The decisions this module documents (see kmcs_site/permissions.py, "cases" section).
EXPECTED = {
    "cases.case.view": AGENTS_AND_UP | {"auditor"},
    "cases.case.add": AGENTS_AND_UP,
    "cases.case.change": AGENTS_AND_UP,
    "cases.case.delete": set(),
    "cases.case.intake": AGENTS_AND_UP | {"integration"},
    "cases.case.take": AGENTS_AND_UP,
    "cases.case.assign": LEADS_AND_MANAGER,
    "cases.case.decide": AGENTS_AND_UP,
    "cases.case.override": LEADS_AND_MANAGER,
    "cases.case.close": AGENTS_AND_UP,
    "cases.case.reopen": LEADS_AND_MANAGER,
    "cases.case.unmask": LEADS_AND_MANAGER,
    "cases.consultationtype.change": LEADS_AND_MANAGER,
    "cases.campaign.change": LEADS_AND_MANAGER,
    "cases.campaign.delete": set(),
    "cases.casestep.change": AGENTS_AND_UP,
    "cases.escalationpost.add": AGENTS_AND_UP,
    "cases.contactattempt.add": AGENTS_AND_UP,
    "cases.contactattempt.change": set(),
    "cases.staffprofile.view": LEADS_AND_MANAGER | {"auditor"},
    "cases.staffprofile.change": LEADS_AND_MANAGER,
    "cases.unmasklog.view": LEADS_AND_MANAGER | {"auditor"},
    "cases.unmasklog.change": set(),
}


def test_the_table_says_what_this_app_decided():
    for action, roles in EXPECTED.items():
        assert set(ACTIONS[action]) == roles, action


@pytest.fixture
def cases_by_kind(make_case, staff):
    return {
        "mine": make_case("approve", assignee=staff.agent),
        "theirs": make_case("approve", assignee=staff.agent_b),
        "open_in_my_service": make_case("approve"),
    }


WORK_ACTIONS = (
    "cases.case.view",
    "cases.case.change",
    "cases.case.decide",
    "cases.case.close",
    "cases.casestep.change",
    "cases.escalationpost.add",
    "cases.contactattempt.add",
)


@pytest.mark.parametrize("action", WORK_ACTIONS)
def test_object_rules_for_agents(cases_by_kind, staff, action):
    assert user_can(staff.agent, action, cases_by_kind["mine"])
    assert user_can(staff.agent, action, cases_by_kind["open_in_my_service"])
    assert not user_can(staff.agent, action, cases_by_kind["theirs"])
    assert not user_can(staff.parking_agent, action, cases_by_kind["open_in_my_service"])
    for lead in (staff.lead, staff.deputy, staff.manager):
        assert user_can(lead, action, cases_by_kind["theirs"])


def test_object_rules_follow_the_row_to_its_case(cases_by_kind, staff):
    from cases.services import escalation_post_create

    post = escalation_post_create(
        case=cases_by_kind["theirs"], actor=staff.agent_b, board="b", body="x"
    )
    assert user_can(staff.agent_b, "cases.escalationpost.change", post)
    assert not user_can(staff.agent, "cases.escalationpost.change", post)


def test_take_rule(cases_by_kind, staff):
    assert user_can(staff.agent, "cases.case.take", cases_by_kind["open_in_my_service"])
    assert not user_can(staff.agent, "cases.case.take", cases_by_kind["mine"])  # already assigned
    assert not user_can(staff.parking_agent, "cases.case.take", cases_by_kind["open_in_my_service"])
    assert user_can(staff.lead, "cases.case.take", cases_by_kind["open_in_my_service"])
    assert not user_can(staff.lead, "cases.case.take", cases_by_kind["theirs"])


def test_auditor_reads_every_case_and_changes_none(cases_by_kind, staff):
    for case in cases_by_kind.values():
        assert user_can(staff.auditor, "cases.case.view", case)
        assert not user_can(staff.auditor, "cases.case.change", case)


# --- reference data ----------------------------------------------------------------------
def test_the_tree_has_every_leaf_of_the_seeds():
    for path in all_paths():
        leaf = ConsultationType.objects.leaf_for_path(path)
        assert leaf.path == path and leaf.level == len(path) and leaf.is_leaf
        parent = leaf.parent
        while parent is not None:
            assert not parent.is_leaf
            parent = parent.parent
    roots = set(ConsultationType.objects.filter(parent=None).values_list("name", flat=True))
    assert roots == {path[0] for path in all_paths()}


def test_seeded_campaign():
    campaign = Campaign.objects.get(code="parking_ticket_coupon")
    assert (campaign.starts_on, campaign.ends_on) == (date(2024, 11, 27), date(2024, 12, 31))


def test_bootstrap_completes_and_never_overwrites(staff):
    from django.core.management import call_command

    campaign = Campaign.objects.get(code="parking_ticket_coupon")
    campaign_extend(campaign=campaign, ends_on=date(2025, 3, 31), actor=staff.lead)
    leaf = ConsultationType.objects.leaf_for_path(all_paths()[0])
    ConsultationType.objects.filter(pk=leaf.pk).delete()
    out = io.StringIO()
    call_command("kmcs_bootstrap", stdout=out)
    assert "상담유형 1건" in out.getvalue()
    assert ConsultationType.objects.filter(path_label=path_label(all_paths()[0])).exists()
    campaign.refresh_from_db()
    assert campaign.ends_on == date(2025, 3, 31)


def test_campaign_extension_rules(staff):
    campaign = Campaign.objects.get(code="parking_ticket_coupon")
    with pytest.raises(ActionNotAllowed):
        campaign_extend(campaign=campaign, ends_on=date(2025, 1, 31), actor=staff.agent)
    with pytest.raises(FactsInvalid) as info:
        campaign_extend(campaign=campaign, ends_on=date(2024, 1, 1), actor=staff.lead)
    assert "종료일은 시작일보다 빠를 수 없습니다" in info.value.message


def test_consultation_type_services(staff, make_case):
    from cases.services import case_record_update

    parent = ConsultationType.objects.get(path_label="대리_기사 ▶ 요금/포인트 ▶ 결제취소")
    with pytest.raises(ActionNotAllowed):
        consultation_type_add(parent=parent, name="앱결제", actor=staff.agent)
    with pytest.raises(FactsInvalid):
        consultation_type_add(parent=parent, name="a ▶ b", actor=staff.lead)
    child = consultation_type_add(parent=parent, name="앱결제", actor=staff.lead)
    case = make_case("approve")
    case_record_update(case=case, actor=staff.agent, consultation_type=child)
    consultation_type_set_active(node=child, is_active=False, actor=staff.manager)
    with pytest.raises(FactsInvalid):
        case_record_update(case=case, actor=staff.agent, consultation_type=child)
    with pytest.raises(FactsInvalid):
        case_record_update(case=case, actor=staff.agent, consultation_type=parent)  # not a leaf
    case.refresh_from_db()
    assert case.consultation_type == child  # kept for the case that already had it


def test_staff_profile_service(staff, make_user):
    newcomer = make_user("agent")
    with pytest.raises(ActionNotAllowed):
        staff_profile_set_services(user=newcomer, services=["driver"], actor=staff.agent)
    with pytest.raises(FactsInvalid):
        staff_profile_set_services(user=newcomer, services=["taxi"], actor=staff.lead)
    profile = staff_profile_set_services(
        user=newcomer, services=["ev", "driver", "ev"], actor=staff.lead
    )
    assert profile.services == ["driver", "ev"]
    assert profile.history.get().history_user == staff.lead
