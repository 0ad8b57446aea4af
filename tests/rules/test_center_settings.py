"""Issue 15 A.3: center settings as audited rows leads edit in the admin, read at the moment."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.playbooks.base import StaticEnv
from cases.playbooks.center import CenterRules
from cases.playbooks.env import DatabaseEnv
from fines.schedule import PayoutPolicy, scheduled_payout_at
from rules.models import BOARD_FIELDS, MEMO_PLACEHOLDERS, SERVICE_LEVEL_FIELDS, CenterSettings
from rules.selectors import center_rules

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def kst(*args):
    return datetime(*args, tzinfo=SEOUL)


def form(row: CenterSettings, **over) -> dict:
    data = {
        "effective_from_0": row.effective_from.astimezone(SEOUL).strftime("%Y-%m-%d"),
        "effective_from_1": row.effective_from.astimezone(SEOUL).strftime("%H:%M:%S"),
        "payout_cutoff": row.payout_cutoff.strftime("%H:%M"),
        "payout_batch_time": row.payout_batch_time.strftime("%H:%M"),
        "dispute_driver_share_pct": row.dispute_driver_share_pct,
        "dispute_company_share_pct": row.dispute_company_share_pct,
        "dashcam_wait_days": row.dashcam_wait_days,
        "evidence_max_distance_m": row.evidence_max_distance_m,
        "evidence_time_slack_minutes": row.evidence_time_slack_minutes,
        "evidence_parking_window_hours": row.evidence_parking_window_hours,
        "coupon_link": row.coupon_link,
        "deposit_account": row.deposit_account,
        # every other field of the form as the row has it (service levels, boards, memos)
        **{
            name: getattr(row, name)
            for name in (*SERVICE_LEVEL_FIELDS, *BOARD_FIELDS, *MEMO_PLACEHOLDERS)
        },
        "note": "",
        "_save": "저장",
    }
    data.update(over)
    return data


@pytest.fixture
def row():
    return CenterSettings.objects.get()


def test_todays_values_are_loaded_with_history(row):
    """Seed 004: 당일 또는 익일 14시 지급; 기사 50% / 당사 50%; 블랙박스 2주 정도."""
    rules = center_rules(kst(2025, 6, 1, 9, 0))
    assert rules.payout_cutoff == time(14, 0) and rules.payout_batch_time == time(14, 0)
    assert (rules.dispute_driver_share_pct, rules.dispute_company_share_pct) == (50, 50)
    assert rules.dashcam_wait_days == 14
    assert rules.coupon_link == "https://t.kakao.com/launch?page=coupon"
    # 0002 loaded the row; 0006 added the service levels, boards and memos (issue 15 round 4)
    assert row.history.count() == 2
    assert DatabaseEnv().center_rules(kst(2025, 6, 1)) == rules
    assert StaticEnv().center_rules(kst(2025, 6, 1)) == CenterRules()


@pytest.mark.parametrize("role", ["team_lead", "manager"])
def test_lead_edits_cutoff_and_split_in_the_admin_and_the_next_payout_follows(
    client, make_user, row, role
):
    user = make_user(role, username=f"u_{role}")
    client.force_login(user)
    created = kst(2025, 6, 2, 13, 45)
    assert scheduled_payout_at(created, PayoutPolicy.from_settings(created)) == kst(2025, 6, 2, 14)
    url = reverse("admin:rules_centersettings_change", args=[row.pk])
    response = client.post(
        url,
        form(
            row,
            payout_cutoff="13:30",
            dispute_driver_share_pct=30,
            dispute_company_share_pct=70,
            dashcam_wait_days=10,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    # No restart: the very next read sees the change.
    assert scheduled_payout_at(created, PayoutPolicy.from_settings(created)) == kst(2025, 6, 3, 14)
    rules = center_rules(created)
    assert rules.split(10_001) == (3_000, 7_001)
    assert rules.dashcam_wait_days == 10
    last = row.history.order_by("-history_id").first()
    assert last.history_user == user and last.payout_cutoff == time(13, 30)
    assert last.prev_record.payout_cutoff == time(14, 0)


def test_a_change_for_later_is_a_new_row_in_force_from_its_moment(client, make_user, row):
    client.force_login(make_user("manager", username="mgr"))
    response = client.post(
        reverse("admin:rules_centersettings_add"),
        form(
            row, effective_from_0="2025-07-01", effective_from_1="00:00:00", payout_cutoff="15:00"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert center_rules(kst(2025, 6, 30, 23, 59)).payout_cutoff == time(14, 0)
    assert center_rules(kst(2025, 7, 1, 0, 0)).payout_cutoff == time(15, 0)


@pytest.mark.parametrize("bad", ["24:00", "25:10", "13:60", "-1:00", "오후 2시"])
def test_cutoff_out_of_range_is_a_korean_error_and_nothing_saved(client, make_user, row, bad):
    client.force_login(make_user("team_lead", username="lead"))
    versions = row.history.count()
    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]), form(row, payout_cutoff=bad)
    )
    assert response.status_code == 200
    assert "00:00~23:59" in response.content.decode()
    row.refresh_from_db()
    assert row.payout_cutoff == time(14, 0) and row.history.count() == versions


def test_split_not_adding_to_100_is_a_korean_error_and_nothing_saved(client, make_user, row):
    client.force_login(make_user("team_lead", username="lead"))
    versions = row.history.count()
    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]),
        form(row, dispute_driver_share_pct=60, dispute_company_share_pct=50, payout_cutoff="13:00"),
    )
    assert response.status_code == 200
    assert "합은 100%여야 합니다" in response.content.decode()
    row.refresh_from_db()
    assert (row.dispute_driver_share_pct, row.payout_cutoff) == (50, time(14, 0))
    assert row.history.count() == versions


def test_same_effective_moment_twice_is_refused(client, make_user, row):
    client.force_login(make_user("team_lead", username="lead"))
    before = CenterSettings.objects.count()
    response = client.post(reverse("admin:rules_centersettings_add"), form(row))
    assert response.status_code == 200
    assert "같은 적용 시작 시각의 설정이 이미 있습니다" in response.content.decode()
    assert CenterSettings.objects.count() == before


def test_agents_have_no_access_and_auditors_read_only(client, make_user, row):
    client.force_login(make_user("agent", username="ag"))
    change = reverse("admin:rules_centersettings_change", args=[row.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, form(row, payout_cutoff="10:00")).status_code == 403
    client.force_login(make_user("auditor", username="au"))
    assert client.get(change).status_code == 200
    assert client.post(change, form(row, payout_cutoff="10:00")).status_code == 403
    history = reverse("admin:rules_centersettings_history", args=[row.pk])
    assert client.get(history).status_code == 200
    row.refresh_from_db()
    assert row.payout_cutoff == time(14, 0)
