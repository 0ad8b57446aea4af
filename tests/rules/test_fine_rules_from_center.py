"""Issue 15 A.3: traffic_fine reads the 입금지사 account, the dashcam wait and the dispute split
from the center settings in force (env), and fines' evidence thresholds come from them too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.playbooks import evaluate, traffic_fine
from cases.playbooks.base import StaticEnv
from cases.playbooks.center import CenterRules
from cases.playbooks.env import DatabaseEnv
from fines.evidence import Thresholds
from rules.models import CenterSettings

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)
BASE = {
    "call_id": "700001",
    "has_notice_image": True,
    "bank": "088",
    "account_number": "110-000-123456",
    "account_holder": "홍길동",
    "violation_at": "2024-06-15T22:20:00+09:00",
    "violation_place": "서울 강남구 테헤란로",
    "notice_issued_on": "2024-06-20",
    "amount": 40000,
    "evidence_result": "pass",
}
RULES = CenterRules(
    deposit_account="과태료(수도) 테스트은행 000-0000-0000 (demo)",
    dashcam_wait_days=10,
    dispute_driver_share_pct=30,
    dispute_company_share_pct=70,
)


def step(p, code):
    return next(s for s in p.steps if s.code == code)


def test_consigned_payout_names_the_stored_branch_account():
    p = evaluate(traffic_fine.CODE, {**BASE, "call_type": "consigned"}, AT, StaticEnv(center=RULES))
    assert "테스트은행 000-0000-0000" in step(p, "partner_deposit_request").script
    assert "placeholder" not in repr(p)


def test_dispute_uses_the_stored_dashcam_wait_and_split():
    facts = {**BASE, "violation_kind": "parking_enforcement", "driver_disputes": True}
    p = evaluate(traffic_fine.CODE, facts, AT, StaticEnv(center=RULES))
    assert step(p, "dispute_dashcam_request").due_rule == "days:10"
    assert p.figures["dashcam_due_on"] == "2024-06-27"
    assert (p.figures["cash_driver_share"], p.figures["cash_company_share"]) == (12000, 28000)


def test_override_to_transfer_gets_env_too():
    facts = {**BASE, "call_type": "consigned", "violation_kind": "parking_enforcement"}
    facts["driver_disputes"] = True
    from cases.playbooks import validate_facts

    validated = validate_facts(traffic_fine.CODE, facts)
    p = traffic_fine.propose_outcome(validated, "transfer_to_manager", AT, StaticEnv(center=RULES))
    assert step(p, "dispute_dashcam_request").due_rule == "days:10"
    assert "테스트은행" in step(p, "agit_cmnp").label


@pytest.mark.django_db
def test_evidence_thresholds_are_the_settings_in_force(client, make_user):
    assert Thresholds.from_settings() == Thresholds(300, timedelta(minutes=10), timedelta(hours=24))
    client.force_login(make_user("manager", username="mgr_ev"))
    row = CenterSettings.objects.get()
    from tests.rules.test_center_settings import form

    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]),
        form(row, evidence_max_distance_m=500, evidence_time_slack_minutes=15),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Thresholds.from_settings() == Thresholds(500, timedelta(minutes=15), timedelta(hours=24))
    p = evaluate(traffic_fine.CODE, {**BASE, "call_type": "consigned"}, AT, DatabaseEnv())
    assert row.deposit_account in step(p, "partner_deposit_request").script
