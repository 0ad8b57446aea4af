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


# --------------------------------------------------------------------------- 현장 구분 rows

CHANGE = {"request_kind": "car_number_change", "partner": "kmpark", "new_car_number": "34나5678"}


def test_the_playbook_names_site_kinds_from_env_not_a_constant():
    from cases.playbooks.site_rules import DEFAULT_SITE_KINDS

    env = StaticEnv(site_kinds={**DEFAULT_SITE_KINDS, "manual_normal": "수동현장(일반형)"})
    p = evaluate(pops.CODE, {**CHANGE, "site_kind": "manual_normal"}, AT, env)
    assert "수동현장(일반형)" in p.operations_memo
    with pytest.raises(ValidationError) as err:
        evaluate(pops.CODE, {**CHANGE, "site_kind": "valet"}, AT, env)
    assert "'valet'은(는) 사용 중인 현장 구분이 아닙니다" in str(err.value.detail["site_kind"][0])


@pytest.mark.django_db
def test_a_site_kind_added_renamed_and_retired_in_the_admin(client, make_user):
    """Seed 001 표 2 현장 구분 (수동현장 일반/특수, T월주차권 연동) as rows a lead keeps."""
    from django.core.exceptions import ValidationError as ModelError

    from partners import services
    from partners.models import Channel, Route, SiteKindOption

    lead = make_user("team_lead", username="lead")
    client.force_login(lead)
    normal = SiteKindOption.objects.get(code="manual_normal")
    assert normal.history.count() == 1  # loaded by partners 0009 with its history row
    response = client.post(
        reverse("admin:partners_sitekindoption_change", args=[normal.pk]),
        {
            "name": "수동현장(일반형)",
            "position": 10,
            "is_active": "on",
            "notes": "",
            "_save": "저장",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    p = evaluate(pops.CODE, {**CHANGE, "site_kind": "manual_normal"}, AT, MemoEnv())
    assert "수동현장(일반형)" in p.operations_memo

    response = client.post(
        reverse("admin:partners_sitekindoption_add"),
        {"code": "valet", "name": "발렛현장", "position": 40, "is_active": "on", "_save": "저장"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    valet = SiteKindOption.objects.get(code="valet")
    assert valet.history.get().history_user == lead
    route_page = client.get(reverse("admin:partners_route_add")).content.decode()
    assert '<option value="valet">발렛현장</option>' in route_page
    form_page = client.get(reverse("workspace:case_create", args=[pops.CODE])).content.decode()
    assert '<option value="valet">발렛현장</option>' in form_page
    p = evaluate(pops.CODE, {**CHANGE, "site_kind": "valet"}, AT, MemoEnv())
    assert "발렛현장" in p.operations_memo  # no route for it yet: a lead reviews

    response = client.post(
        reverse("admin:partners_sitekindoption_change", args=[valet.pk]),
        {"name": "발렛현장", "position": 40, "notes": "운영 종료", "_save": "저장"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with pytest.raises(ValidationError) as err:
        evaluate(pops.CODE, {**CHANGE, "site_kind": "valet"}, AT, MemoEnv())
    assert "사용 중인 현장 구분이 아닙니다" in str(err.value.detail["site_kind"][0])
    before = Route.objects.count()
    with pytest.raises(ModelError) as refused:
        services.route_create(
            actor=lead,
            request_kind="car_number_change",
            site_kind="valet",
            channel=Channel.objects.get(seed_key="channel.common.agit"),
            procedure="발렛현장 차량번호 변경",
            allowed_roles="all",
        )
    assert "'valet'은(는) 사용 중인 현장 구분이 아닙니다" in " ".join(refused.value.messages)
    assert Route.objects.count() == before
    assert (
        client.get(reverse("admin:partners_sitekindoption_delete", args=[valet.pk])).status_code
        == 403
    )
