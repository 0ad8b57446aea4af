"""Issue 15 A.2: "partner ... lists: rows, not constants". The 운영사 a parking-operations case may
name are the ``partners.Partner`` rows in use: a partner a lead adds in the admin is offered on
the intake form and accepted by the next proposal, a retired one is refused in Korean, and the
names the playbook writes are the rows' names. No restart in between."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from cases.playbooks import evaluate
from cases.playbooks import parking_operations as pops
from cases.playbooks.base import StaticEnv
from cases.playbooks.env import MemoEnv
from cases.playbooks.site_rules import DEFAULT_PARTNERS

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 6, 2, 10, 0, tzinfo=SEOUL)
STOP = {"request_kind": "stop_selling", "integration": "linked"}


def test_the_playbook_names_partners_from_env_not_a_constant():
    env = StaticEnv(partners={**DEFAULT_PARTNERS, "kmpark": "케이엠파크(주)"})
    p = evaluate(pops.CODE, {**STOP, "partner": "kmpark"}, AT, env)
    assert "케이엠파크(주)" in p.operations_memo and "케이엠파크(주)" in p.record.notes


def test_a_partner_env_does_not_know_is_a_korean_fact_error():
    env = StaticEnv(partners={"kmpark": "케이엠파크"})
    with pytest.raises(ValidationError) as err:
        evaluate(pops.CODE, {**STOP, "partner": "amano"}, AT, env)
    assert "사용 중인 운영사가 아닙니다" in str(err.value.detail["partner"][0])
    with pytest.raises(ValidationError) as err:
        evaluate(pops.CODE, {**STOP, "partner": "아마노 코리아!"}, AT, env)
    assert "운영사: 선택할 수 없는 값입니다" in str(err.value.detail["partner"][0])


@pytest.mark.django_db
def test_seeded_rows_are_todays_list():
    """Seed 001 표 2: 케이엠파크, 케이엠파킹앤스페이스, 아마노코리아, 하이파킹, 한국전자금융,
    SK쉴더스, 어반포트, 그 외."""
    assert MemoEnv().partner_names(AT) == DEFAULT_PARTNERS


@pytest.mark.django_db
def test_a_partner_added_and_retired_in_the_admin_moves_the_form_and_the_next_proposal(
    client, make_user
):
    from partners.models import Partner

    lead = make_user("manager", username="mgr")
    client.force_login(lead)
    response = client.post(
        reverse("admin:partners_partner_add"),
        {"code": "newpark", "name": "뉴파크", "notes": "", "is_active": "on", "_save": "저장"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(code="newpark")
    assert partner.history.get().history_user == lead

    client.force_login(make_user("agent", username="ag"))
    page = client.get(reverse("workspace:case_create", args=[pops.CODE])).content.decode()
    assert '<option value="newpark">뉴파크</option>' in page

    p = evaluate(pops.CODE, {**STOP, "partner": "newpark"}, AT, MemoEnv())
    assert "뉴파크" in p.operations_memo  # no route yet: a lead reviews, naming the row

    client.force_login(lead)
    response = client.post(
        reverse("admin:partners_partner_change", args=[partner.pk]),
        {"name": "뉴파크", "notes": "계약 종료", "_save": "저장"},  # 사용 unchecked
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with pytest.raises(ValidationError) as err:
        evaluate(pops.CODE, {**STOP, "partner": "newpark"}, AT, MemoEnv())
    assert "'newpark'은(는) 사용 중인 운영사가 아닙니다" in str(err.value.detail["partner"][0])
    client.force_login(make_user("agent", username="ag2"))
    page = client.get(reverse("workspace:case_create", args=[pops.CODE])).content.decode()
    assert 'value="newpark"' not in page
    last = partner.history.order_by("-history_id").first()
    assert last.history_user == lead and last.is_active is False
