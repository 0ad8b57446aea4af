"""``route_for`` beyond the seed rows: errors, precedence, dates, sites, delegation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases.playbooks.base import RouteInfo
from partners import services
from partners.exceptions import AmbiguousRoute, RouteError, RouteNotFound
from partners.models import Channel, Partner, Route, Site
from partners.selectors import route_for, route_info, route_info_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)
SEOUL = ZoneInfo("Asia/Seoul")


def common_agit():
    return Channel.objects.get(seed_key="channel.common.agit")


def test_errors_share_a_base_class():
    assert issubclass(RouteNotFound, RouteError)
    assert issubclass(AmbiguousRoute, RouteError)


def test_nothing_applies_is_route_not_found_with_a_korean_message():
    with pytest.raises(RouteNotFound) as exc:
        route_for(
            request_kind="midterm_cancel",
            partner="kmpark",
            site_kind="t_monthly",
            customer_agrees=True,
            at=TODAY,
        )
    message = str(exc.value)
    assert "정기권 중도해지·환불" in message
    assert "T월주차권(연동)" in message
    assert "경로가 없습니다" in message
    assert exc.value.query["request_kind"] == "midterm_cancel"


def test_partner_routes_without_a_partner_ask_for_one():
    with pytest.raises(RouteNotFound, match="운영사를 지정하세요"):
        route_for(request_kind="car_number_change", site_kind="manual_normal", at=TODAY)


def test_missing_site_kind_is_ambiguous_and_says_what_to_add():
    with pytest.raises(AmbiguousRoute) as exc:
        route_for(request_kind="car_number_change", partner="kmpark", at=TODAY)
    assert "현장 구분" in str(exc.value)
    assert {r.site_kind for r in exc.value.candidates} == {
        "manual_normal",
        "manual_special",
        "t_monthly",
    }


def test_missing_customer_agrees_is_ambiguous():
    with pytest.raises(AmbiguousRoute, match="고객 수긍 여부"):
        route_for(
            request_kind="midterm_cancel", partner="amano", site_kind="manual_normal", at=TODAY
        )


def test_two_equally_specific_routes_are_ambiguous(lead):
    amano = Partner.objects.get(code="amano")
    a = services.route_create(
        actor=lead,
        request_kind="stop_selling",
        partner=amano,
        integration="linked",
        channel=common_agit(),
        procedure="A",
        allowed_roles="all",
    )
    b = services.route_create(
        actor=lead,
        request_kind="stop_selling",
        partner=amano,
        site_kind="manual_normal",
        channel=common_agit(),
        procedure="B",
        allowed_roles="all",
    )
    with pytest.raises(AmbiguousRoute) as exc:
        route_for(
            request_kind="stop_selling",
            partner="amano",
            integration="linked",
            site_kind="manual_normal",
            at=TODAY,
        )
    assert set(exc.value.candidates) == {a, b}
    assert f"#{a.pk}" in str(exc.value) and f"#{b.pk}" in str(exc.value)


def test_unknown_request_kind_or_site_is_a_route_error():
    with pytest.raises(RouteError, match="알 수 없는 요청 유형"):
        route_for(request_kind="fly_to_the_moon", partner="kmpark")
    with pytest.raises(RouteError, match="없습니다"):
        route_for(request_kind="parking_refund", site="없는 현장")
    with pytest.raises(RouteError, match="현장 구분 값"):
        route_for(request_kind="car_number_change", partner="kmpark", site_kind="manual")


def test_effective_from_keeps_a_route_out_until_its_day():
    # Table 1: "T월주차권(연동) 현장 대상 차량번호 직접 변경 (25.2.27)" is the T월 rows' start day
    # (the request date); "25.3월 정기권부터 적용" is about the pass (test_seed_001_fidelity).
    question = {
        "request_kind": "car_number_change",
        "partner": "kmpns",
        "site_kind": "t_monthly",
        "pass_month": dt.date(2025, 3, 1),
    }
    with pytest.raises(RouteNotFound, match="2025-02-27부터 적용되는 경로가 있습니다"):
        route_for(**question, at=dt.date(2025, 2, 26))
    assert route_for(**question, at=dt.date(2025, 2, 27)).effective_from == dt.date(2025, 2, 27)
    # `at` is a moment in Asia/Seoul: 2025-02-26 15:30 UTC is already February 27th there.
    utc_moment = dt.datetime(2025, 2, 26, 15, 30, tzinfo=dt.UTC)
    assert route_for(**question, at=utc_moment).effective_from == dt.date(2025, 2, 27)
    with pytest.raises(RouteNotFound):
        route_for(**question, at=dt.datetime(2025, 2, 26, 23, 59, tzinfo=SEOUL))


def test_at_defaults_to_now():
    route = route_for(
        request_kind="car_number_change",
        partner="kmpark",
        site_kind="t_monthly",
        pass_month=dt.date(2025, 3, 1),
    )
    assert route.seed_key == "t2.kmpark.car_number_change.t_monthly"


def test_effective_until_ends_a_route(lead):
    route = route_for(request_kind="onsite_payment_cancel", partner="amano", at=TODAY)
    services.route_update(route=route, actor=lead, effective_until=dt.date(2025, 6, 30))
    assert route_for(request_kind="onsite_payment_cancel", partner="amano", at=dt.date(2025, 6, 30))
    with pytest.raises(RouteNotFound):
        route_for(request_kind="onsite_payment_cancel", partner="amano", at=dt.date(2025, 7, 1))


def test_partner_specific_route_wins_over_common(lead):
    common = route_for(
        request_kind="midterm_cancel",
        partner="kmpark",
        site_kind="manual_normal",
        customer_agrees=False,
        at=TODAY,
    )
    assert common.partner is None
    own = services.route_create(
        actor=lead,
        request_kind="midterm_cancel",
        partner=Partner.objects.get(code="kmpark"),
        site_kind="manual_normal",
        customer_agrees=False,
        channel=Channel.objects.get(seed_key="channel.kmpark.slack_season"),
        procedure="KMP 전용",
        allowed_roles="leads",
    )
    got = route_for(
        request_kind="midterm_cancel",
        partner="kmpark",
        site_kind="manual_normal",
        customer_agrees=False,
        at=TODAY,
    )
    assert got == own
    # Other partners still get the common route.
    assert (
        route_for(
            request_kind="midterm_cancel",
            partner="amano",
            site_kind="manual_normal",
            customer_agrees=False,
            at=TODAY,
        )
        == common
    )


def test_unknown_partner_code_falls_back_to_other():
    route = route_for(
        request_kind="car_number_change", partner="not-in-the-table", site_kind="manual_normal"
    )
    assert route.partner.code == "other"
    with pytest.raises(RouteNotFound) as exc:
        route_for(
            request_kind="car_number_change", partner="not-in-the-table", site_kind="t_monthly"
        )
    assert "그 외" in str(exc.value)


def test_a_partner_without_rows_in_a_table_is_other(lead):
    newcomer = services.partner_create(actor=lead, code="newpark", name="뉴파크")
    route = route_for(request_kind="onsite_payment_cancel", partner=newcomer, at=TODAY)
    assert route.partner.code == "other"
    assert route_info(route).channel_kind == "agit"


def test_partner_with_own_rows_does_not_fall_back_to_other():
    # 하이파킹 has table-2 rows (manual only); a T월 pass is not covered -> no 그 외 guess.
    with pytest.raises(RouteNotFound):
        route_for(
            request_kind="car_number_change", partner="hiparking", site_kind="t_monthly", at=TODAY
        )


@pytest.mark.parametrize(
    "request_kind", ["car_number_change", "unregistered", "onsite_payment_cancel"]
)
def test_k_twin_tower_is_routed_like_amano(request_kind):
    tower = Site.objects.get(name="케이트윈타워")
    assert tower.routes_like.code == "amano"
    assert "아마노쉐어" in tower.special_policy

    by_name = route_for(request_kind=request_kind, site="케이트윈타워", at=TODAY)
    by_object = route_for(request_kind=request_kind, site=tower, at=TODAY)
    like_amano = route_for(
        request_kind=request_kind, partner="amano", site_kind=tower.kind, at=TODAY
    )
    own_partner = route_for(
        request_kind=request_kind, partner=tower.partner, site_kind=tower.kind, at=TODAY
    )
    assert by_name == by_object == like_amano
    assert by_name != own_partner  # it is the routing rule, not the site's operator, that decides
    assert "케이트윈타워" in route_info(by_name).notes


def test_site_and_partner_must_agree():
    with pytest.raises(RouteError, match="운영사는"):
        route_for(request_kind="parking_refund", site="63빌딩", partner="kmpark")


def test_site_route_only_for_that_site():
    with pytest.raises(RouteNotFound):
        route_for(request_kind="parking_refund", partner="other", at=TODAY)
    info = route_info_for(request_kind="parking_refund", site="63빌딩", at=TODAY)
    assert "63빌딩" in info.notes


def test_operator_channel_of_a_midterm_cancellation_keeps_its_own_roles():
    """수긍 -> "운영사별 채널": KMP's Slack channel (where table 2 lets everyone act), but the
    cancellation row itself is 팀장, 부팀장 only."""
    info = route_info_for(
        request_kind="midterm_cancel",
        partner="kmpark",
        site_kind="manual_normal",
        customer_agrees=True,
        at=TODAY,
    )
    assert info.channel_kind == "slack"
    assert info.channel_target == "카카오t-정기권-문의"
    assert info.allowed_roles == frozenset({"team_lead", "deputy_lead"})
    assert "운영사별 채널" in info.notes


def test_operator_channel_unknown_without_partner_is_said_in_notes():
    info = route_info_for(
        request_kind="midterm_cancel", site_kind="manual_normal", customer_agrees=True, at=TODAY
    )
    assert info.channel_kind == "agit"
    assert "운영사별 채널을 정하지 못했습니다" in info.notes


def test_route_info_is_the_playbook_value_object():
    route = route_for(request_kind="onsite_payment_cancel", partner="kmpns", at=TODAY)
    info = route_info(route)
    assert isinstance(info, RouteInfo)
    assert info.route_id == route.pk
    assert info.procedure == route.procedure
    assert "핫라인" in info.notes  # the seed's "또는 핫라인(고객센터)"


def test_inactive_routes_never_answer_and_do_not_detour_to_other(lead):
    route = route_for(request_kind="onsite_payment_cancel", partner="amano", at=TODAY)
    services.route_update(route=route, actor=lead, is_active=False)
    # 아마노 is still listed in table 4 (its row is only switched off): no silent 그 외 answer.
    with pytest.raises(RouteNotFound):
        route_for(request_kind="onsite_payment_cancel", partner="amano", at=TODAY)


def test_route_for_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    # + 3 prefetches since issue 15: the channels' To/Cc rows and the routes' @mention rows.
    with django_assert_max_num_queries(6):
        route_info(route_for(request_kind="onsite_payment_cancel", partner="nicepark", at=TODAY))
    with django_assert_max_num_queries(12):
        route_info(
            route_for(
                request_kind="midterm_cancel",
                partner="nicepark",
                site_kind="manual_normal",
                customer_agrees=True,
                at=TODAY,
            )
        )


def test_allowed_role_codes():
    route = Route.objects.filter(allowed_roles="all").first()
    assert route.allowed_role_codes() == frozenset({"agent", "team_lead", "deputy_lead", "manager"})
    route = Route.objects.filter(allowed_roles="leads").first()
    assert route.allowed_role_codes() == frozenset({"team_lead", "deputy_lead"})
