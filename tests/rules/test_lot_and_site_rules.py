"""Issue 15 A.2: seed 000's lot rules and seed 001's special sites are rows a lead edits in the
admin (history, effective dates), read by the playbooks through ``env`` without a restart."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.playbooks import evaluate
from cases.playbooks import parking_double_payment as pdp
from cases.playbooks import parking_operations as pops
from cases.playbooks.base import Campaign, StaticEnv
from cases.playbooks.center import CenterRules
from cases.playbooks.env import DatabaseEnv, MemoEnv
from cases.playbooks.site_rules import DEFAULT_LOT_RULES, DEFAULT_SITES, LotRule
from rules.models import LotRule as LotRuleRow

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 5, 10, 0, tzinfo=SEOUL)
CAMPAIGN = Campaign(
    "parking_ticket_coupon", "T 주차권 쿠폰", date(2024, 11, 27), date(2024, 12, 31)
)


def facts(**over):
    data = {
        "channel": "chat",
        "ownership_verified": True,
        "lot_name": "성신여대입구 공영주차장",
        "lot_district": "서울 성북구",
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
    }
    data.update(over)
    data.setdefault("ticket_lot_name", data["lot_name"])
    return data


def step(p, code):
    return next(s for s in p.steps if s.code == code)


# --------------------------------------------------------------------------- pure (StaticEnv)


def test_static_env_defaults_are_todays_seed_values():
    """Seed 000: 성북구통합관제센터 02-6925-0023; 속초시 관제센터 033-636-4240/ 033-637-6242."""
    by_code = {r.code: r for r in StaticEnv().lot_rules(AT)}
    assert by_code["seongbuk"].center_phone == "02-6925-0023"
    assert by_code["sokcho"].center_phone == "033-636-4240/ 033-637-6242"
    assert by_code["incheon_airport"].action == "escalate_agit"
    assert StaticEnv().site_rule("k_twin_tower", AT).routing_partner == "amano"


def test_the_playbook_reads_the_lot_rules_from_env_not_constants():
    moved = tuple(
        dataclasses.replace(r, center_phone="02-0000-1234") if r.code == "seongbuk" else r
        for r in DEFAULT_LOT_RULES
    )
    p = evaluate(pdp.CODE, facts(), AT, StaticEnv(campaigns=(CAMPAIGN,), lots=moved))
    assert p.outcome == "refer_control_center"
    assert (
        "성북구통합관제센터(02-0000-1234)로 문의해 주시면" in step(p, "refer_control_center").script
    )
    assert "02-6925-0023" not in repr(p)


def test_a_new_lot_rule_from_env_applies_and_a_removed_one_no_longer_does():
    gangnam = LotRule(
        code="gangnam",
        label="강남구 공영주차장",
        action="refer_control_center",
        district_keywords=("강남구",),
        public_only=True,
        center_name="강남구 관제센터",
        center_phone="02-0000-5678",
    )
    env = StaticEnv(campaigns=(CAMPAIGN,), lots=(*DEFAULT_LOT_RULES, gangnam))
    p = evaluate(pdp.CODE, facts(lot_name="역삼 공영주차장", lot_district="서울 강남구"), AT, env)
    assert p.outcome == "refer_control_center"
    assert p.record.title == "강남구 공영주차장 - 강남구 관제센터 문의 안내"
    assert "강남구 관제센터(02-0000-5678)" in step(p, "refer_control_center").script
    without = StaticEnv(campaigns=(CAMPAIGN,), lots=())
    assert evaluate(pdp.CODE, facts(), AT, without).outcome == "cancel_pass_payment"


def test_coupon_link_is_the_stored_one():
    env = StaticEnv(
        campaigns=(CAMPAIGN,), center=CenterRules(coupon_link="https://coupon.example/t")
    )
    p = evaluate(
        pdp.CODE, facts(lot_name="한빛타워 민영주차장", lot_district="서울 강남구"), AT, env
    )
    assert "https://coupon.example/t" in step(p, "offer_coupon").script
    assert "t.kakao.com" not in step(p, "offer_coupon").script


def test_k_twin_tower_follows_the_sites_routes_like_from_env():
    routes = {
        (("partner", "amano"), ("request_kind", "onsite_payment_cancel")): "amano",
        (("partner", "hiparking"), ("request_kind", "onsite_payment_cancel")): "hiparking",
    }
    from tests.cases.playbooks.test_parking_operations import AMANO_SHARE, EMAIL_HIPARKING

    env_routes = {k: (AMANO_SHARE if v == "amano" else EMAIL_HIPARKING) for k, v in routes.items()}
    data = {"request_kind": "onsite_payment_cancel", "special_site": "k_twin_tower"}
    p = evaluate(pops.CODE, data, AT, StaticEnv(routes=env_routes))
    assert p.route == AMANO_SHARE
    moved = {
        **DEFAULT_SITES,
        "k_twin_tower": dataclasses.replace(DEFAULT_SITES["k_twin_tower"], routes_like="hiparking"),
    }
    p = evaluate(pops.CODE, data, AT, StaticEnv(routes=env_routes, sites=moved))
    assert p.route == EMAIL_HIPARKING


def test_building_63_policy_is_the_sites_row():
    from tests.cases.playbooks.test_parking_operations import AMANO_SHARE

    routes = {(("partner", "amano"), ("request_kind", "onsite_payment_cancel")): AMANO_SHARE}
    sites = {
        **DEFAULT_SITES,
        "building_63": dataclasses.replace(
            DEFAULT_SITES["building_63"], special_policy="63빌딩 환불정책: 새 정책 문구"
        ),
    }
    data = {
        "request_kind": "onsite_payment_cancel",
        "partner": "amano",
        "special_site": "building_63",
    }
    p = evaluate(pops.CODE, data, AT, StaticEnv(routes=routes, sites=sites))
    assert step(p, "site_policy").script == "63빌딩 환불정책: 새 정책 문구"


# --------------------------------------------------------------------------- database + admin


def lot_form(row: LotRuleRow, **over) -> dict:
    data = {
        "code": row.code,
        "label": row.label,
        "action": row.action,
        "name_keywords": row.name_keywords,
        "district_keywords": row.district_keywords,
        "public_only": "on" if row.public_only else "",
        "center_name": row.center_name,
        "center_phone": row.center_phone,
        "priority": row.priority,
        "effective_from": row.effective_from.isoformat(),
        "effective_to": row.effective_to.isoformat() if row.effective_to else "",
        "note": "",
        "_save": "저장",
    }
    data.update(over)
    if not data["public_only"]:
        data.pop("public_only")
    return data


@pytest.mark.django_db
def test_data_migration_loads_todays_lot_rules_with_history():
    rules = DatabaseEnv().lot_rules(AT)
    assert [r.code for r in rules] == ["incheon_airport", "seongbuk", "sokcho"]
    assert rules == DEFAULT_LOT_RULES
    assert all(row.history.count() == 1 for row in LotRuleRow.objects.all())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["team_lead", "deputy_lead", "manager"])
def test_lead_edits_a_phone_in_the_admin_and_the_next_proposal_says_it(client, make_user, role):
    user = make_user(role, username=f"u_{role}")
    client.force_login(user)
    row = LotRuleRow.objects.get(code="seongbuk")
    env = MemoEnv()  # a fresh env per proposal, as intake makes
    before = evaluate(pdp.CODE, facts(), AT, env)
    assert "02-6925-0023" in step(before, "refer_control_center").script
    response = client.post(
        reverse("admin:rules_lotrule_change", args=[row.pk]),
        lot_form(row, center_phone="02-0000-0023", note="관제센터 번호 변경"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = evaluate(pdp.CODE, facts(), AT, MemoEnv())
    assert "성북구통합관제센터(02-0000-0023)" in step(after, "refer_control_center").script
    last = row.history.order_by("-history_id").first()
    assert last.history_user == user and last.center_phone == "02-0000-0023"
    assert last.prev_record.center_phone == "02-6925-0023"


@pytest.mark.django_db
def test_a_new_period_for_later_applies_from_its_day(client, make_user):
    client.force_login(make_user("team_lead", username="lead"))
    row = LotRuleRow.objects.get(code="sokcho")
    response = client.post(
        reverse("admin:rules_lotrule_change", args=[row.pk]),
        lot_form(row, effective_to="2025-02-28"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("admin:rules_lotrule_add"),
        lot_form(row, center_phone="033-000-0001", effective_from="2025-03-01", effective_to=""),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sokcho = facts(lot_name="속초해수욕장 공영주차장", lot_district="강원 속초시")
    feb = datetime(2025, 2, 28, 23, 0, tzinfo=SEOUL)
    mar = datetime(2025, 3, 1, 0, 30, tzinfo=SEOUL)
    assert "033-636-4240" in evaluate(pdp.CODE, sokcho, feb, DatabaseEnv()).reason
    assert "033-000-0001" in evaluate(pdp.CODE, sokcho, mar, DatabaseEnv()).reason


@pytest.mark.django_db
def test_overlapping_periods_of_one_rule_are_refused_in_korean_nothing_saved(client, make_user):
    client.force_login(make_user("team_lead", username="lead"))
    row = LotRuleRow.objects.get(code="seongbuk")
    before = LotRuleRow.objects.count()
    response = client.post(
        reverse("admin:rules_lotrule_add"),
        lot_form(row, center_phone="02-0000-0001", effective_from="2025-01-01"),
    )
    assert response.status_code == 200
    assert "적용 기간이 겹칩니다" in response.content.decode()
    assert LotRuleRow.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "over, words",
    [
        ({"center_phone": "관제센터로 전화"}, "연락처 형식이 올바르지 않습니다"),
        ({"center_phone": ""}, "관제센터 연락처가 필요합니다"),
        ({"district_keywords": "", "name_keywords": ""}, "키워드 중 하나는 입력해야 합니다"),
        ({"effective_to": "2000-01-01", "effective_from": "2020-01-01"}, "적용 종료일은"),
    ],
)
def test_bad_lot_rule_input_is_a_korean_error_and_nothing_saved(client, make_user, over, words):
    client.force_login(make_user("manager", username="mgr"))
    row = LotRuleRow.objects.get(code="seongbuk")
    versions = row.history.count()
    response = client.post(
        reverse("admin:rules_lotrule_change", args=[row.pk]), lot_form(row, **over)
    )
    assert response.status_code == 200
    assert words in response.content.decode()
    row.refresh_from_db()
    assert row.center_phone == "02-6925-0023" and row.history.count() == versions


@pytest.mark.django_db
def test_agents_read_but_do_not_edit_auditors_read(client, make_user):
    row = LotRuleRow.objects.get(code="seongbuk")
    change = reverse("admin:rules_lotrule_change", args=[row.pk])
    for role in ("agent", "auditor"):
        client.force_login(make_user(role, username=f"x_{role}"))
        assert client.get(change).status_code == 200
        assert client.post(change, lot_form(row, center_phone="02-0000-0000")).status_code == 403
    row.refresh_from_db()
    assert row.center_phone == "02-6925-0023"


def site_form(site) -> dict:
    from django.forms.models import model_to_dict

    data = {k: ("" if v is None else v) for k, v in model_to_dict(site).items()}
    data.pop("id", None)
    data["is_active"] = "on" if site.is_active else ""
    if not data["is_active"]:
        data.pop("is_active")
    data["_save"] = "저장"
    return data


@pytest.mark.django_db
def test_site_rows_edited_in_the_admin_move_the_next_proposal(client, make_user):
    """Seed 001 표 7: '케이트윈타워 | 아마노 타 현장과 동일하게 업무 적용 (아마노쉐어 통해 처리)';
    the playbook follows the row's routes_like, and 63빌딩's policy is the row's text."""
    from partners.models import Partner, Site

    user = make_user("team_lead", username="lead")
    client.force_login(user)
    tower = Site.objects.get(seed_key="site.ktwintower")
    data = {"request_kind": "onsite_payment_cancel", "special_site": "k_twin_tower"}
    at = datetime(2025, 6, 2, 10, 0, tzinfo=SEOUL)
    assert evaluate(pops.CODE, data, at, MemoEnv()).route.channel_kind == "amano_share"
    form = site_form(tower)
    form["routes_like"] = Partner.objects.get(code="skshieldus").pk
    response = client.post(reverse("admin:partners_site_change", args=[tower.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    after = evaluate(pops.CODE, data, at, MemoEnv())
    assert after.route.channel_kind == "email"
    assert after.route.recipients_to == ("contact12@skshieldus.example",)
    last = tower.history.order_by("-history_id").first()
    assert last.history_user == user and last.routes_like.code == "skshieldus"

    building = Site.objects.get(seed_key="site.63building")
    form = site_form(building)
    form["special_policy"] = "63빌딩 환불정책: 2025 변경 문구"
    response = client.post(reverse("admin:partners_site_change", args=[building.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    p = evaluate(
        pops.CODE,
        {
            "request_kind": "onsite_payment_cancel",
            "partner": "amano",
            "special_site": "building_63",
        },
        at,
        MemoEnv(),
    )
    assert step(p, "site_policy").script == "63빌딩 환불정책: 2025 변경 문구"
