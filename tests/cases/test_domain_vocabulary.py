"""Every stable code the playbooks emit is spelled as DOMAIN.md's "Shared vocabulary" spells it
(issue 15 B audit). DOMAIN.md: "Codes cross the API and must not change once shipped."

The lists below quote DOMAIN.md. A code the code side has beyond them is listed in ``EXTRA``
with the seed line or issue that asks for it; any other difference fails.
"""

from __future__ import annotations

import pytest

from cases.playbooks import PLAYBOOKS
from cases.playbooks import parking_operations as ops
from cases.playbooks.site_rules import DEFAULT_PARTNERS, DEFAULT_SITE_KINDS
from fines import codes as fine_codes
from kmcs_site.permissions import Role
from partners.models import ChannelKind, Integration, RequestKind, SiteKind

# **Playbooks:** `parking_double_payment` (000), `parking_operations` (001), `driver_nonride_cancel`
# (002), `ev_charging` (003), `traffic_fine` (004).
DOMAIN_PLAYBOOKS = {
    "parking_double_payment",
    "parking_operations",
    "driver_nonride_cancel",
    "ev_charging",
    "traffic_fine",
}
# **Outcomes.** (parking_operations: "a route (channel kind, recipients, procedure, allowed
# roles)": DOMAIN.md names no outcome code for it.)
DOMAIN_OUTCOMES = {
    "parking_double_payment": {
        "cancel_pass_payment",
        "normal_overtime",
        "customer_fault_bought_after_entry",
        "customer_fault_info_mismatch",
        "request_evidence",
        "refer_control_center",
        "center_contacts_control_center",
        "escalate_agit",
    },
    "driver_nonride_cancel": {
        "approved",
        "rejected_ride_recorded",
        "rejected_already_processed",
        "rejected_other_inquiry",
        "rejected_duplicate",
        "needs_review",
    },
    "ev_charging": {
        "forward_to_cpo",
        "postbill_notice",
        "exclude_from_billing",
        "cancel_after_settlement",
    },
    "traffic_fine": {
        "payout",
        "transfer_to_manager",
        "rejected_duplicate",
        "rejected_evidence_mismatch",
        "request_documents",
    },
    "parking_operations": set(),
}
#: Codes beyond DOMAIN.md, each with what asks for it.
EXTRA = {
    # issue 15 B.000: "'본인이 아닌 경우 상담제한' is a proposal (script + record)"
    "parking_double_payment": {"consultation_restricted"},
    # DOMAIN.md names none for 001 (README "Seed 001 outcome codes")
    "parking_operations": {
        "follow_route",
        "explain_refund",
        "escalate_business_owner",
        "needs_review",
        "request_site_evidence",  # issue 15 B.001 table 7: 63빌딩 환불정책, evidence branch
        "cancel_site_payment",  # issue 15 B.001 table 7: 63빌딩 환불정책, evidence branch
    },
}
# **Roles (groups):** `agent`, `team_lead`, `deputy_lead`, `manager` (담당자/관리자), `auditor`.
DOMAIN_ROLES = {"agent", "team_lead", "deputy_lead", "manager", "auditor"}
# **Partners:** `kmpark` 케이엠파크, `kmpns` 케이엠파킹앤스페이스, `amano` 아마노코리아, `hiparking`
# 하이파킹, `nicepark` 한국전자금융(나이스파크), `skshieldus` SK쉴더스, `urbanport` 어반포트, `other` 그 외.
DOMAIN_PARTNERS = {
    "kmpark": "케이엠파크",
    "kmpns": "케이엠파킹앤스페이스",
    "amano": "아마노코리아",
    "hiparking": "하이파킹",
    "nicepark": "한국전자금융(나이스파크)",
    "skshieldus": "SK쉴더스",
    "urbanport": "어반포트",
    "other": "그 외",
}
# Site kinds: `manual_normal` 수동현장(일반), `manual_special` 수동현장(특수), `t_monthly` T월주차권(연동).
DOMAIN_SITE_KINDS = {"manual_normal", "manual_special", "t_monthly"}
# Lot integration: `linked` 연동, `unlinked` 비연동, `unaffiliated` 비제휴.
DOMAIN_INTEGRATIONS = {"linked", "unlinked", "unaffiliated"}
# Channel kinds: `slack`, `email`, `agit`, `partner_web`, `amano_share`, `google_sheet`,
# `app_direct`, `admin_direct`, `hotline`.
DOMAIN_CHANNELS = {
    "slack",
    "email",
    "agit",
    "partner_web",
    "amano_share",
    "google_sheet",
    "app_direct",
    "admin_direct",
    "hotline",
}
# Request kinds (001): `car_number_change`, `unregistered`, `midterm_cancel`,
# `onsite_payment_cancel`, `lot_info_change`, `stop_selling`.
DOMAIN_REQUEST_KINDS = {
    "car_number_change",
    "unregistered",
    "midterm_cancel",
    "onsite_payment_cancel",
    "lot_info_change",
    "stop_selling",
}
#: issue 15 B.001: "Tables 6-7 (주차권, 63빌딩 환불정책 ...) are reachable request kinds".
EXTRA_REQUEST_KINDS = {"parking_ticket", "parking_refund"}


def test_the_playbook_codes_are_domains():
    assert set(PLAYBOOKS) == DOMAIN_PLAYBOOKS


@pytest.mark.parametrize("playbook", sorted(DOMAIN_PLAYBOOKS))
def test_every_outcome_a_playbook_gives_is_domains_or_a_listed_extra(playbook):
    declared = set(PLAYBOOKS[playbook].OUTCOMES)
    assert DOMAIN_OUTCOMES[playbook] <= declared, "DOMAIN.md outcome missing or misspelled"
    assert declared - DOMAIN_OUTCOMES[playbook] == EXTRA.get(playbook, set())


def test_fine_codes_spell_the_domains_outcomes():
    assert {
        fine_codes.PAYOUT,
        fine_codes.TRANSFER_TO_MANAGER,
        fine_codes.REJECTED_DUPLICATE,
        fine_codes.REJECTED_EVIDENCE_MISMATCH,
        fine_codes.REQUEST_DOCUMENTS,
    } == DOMAIN_OUTCOMES["traffic_fine"]


def test_roles_site_kinds_integrations_channels_and_request_kinds_are_domains():
    assert {r.value for r in Role} >= DOMAIN_ROLES
    assert set(SiteKind.values) == set(DEFAULT_SITE_KINDS) == DOMAIN_SITE_KINDS
    assert set(Integration.values) == set(ops.INTEGRATIONS) == DOMAIN_INTEGRATIONS
    assert set(ChannelKind.values) == set(ops.CHANNEL_LABELS) == DOMAIN_CHANNELS
    assert set(RequestKind.values) == set(ops.REQUEST_KINDS)
    assert set(ops.REQUEST_KINDS) - DOMAIN_REQUEST_KINDS == EXTRA_REQUEST_KINDS
    assert set(ops.REQUEST_KINDS) >= DOMAIN_REQUEST_KINDS


@pytest.mark.django_db
def test_partner_codes_and_names_are_domains():
    from partners.models import Partner

    assert DEFAULT_PARTNERS == DOMAIN_PARTNERS
    rows = dict(Partner.objects.values_list("code", "name"))
    assert rows == DOMAIN_PARTNERS
