"""Every row of seed 001's tables 2-7, asked through ``route_for`` and checked against what the
seed says (written out here by hand from the seed, not read from ``partners.seed_data``)."""

from __future__ import annotations

import datetime as dt

import pytest

from partners.models import Route
from partners.selectors import route_for, route_info

pytestmark = pytest.mark.django_db

ALL = frozenset({"agent", "team_lead", "deputy_lead", "manager"})
LEADS = frozenset({"team_lead", "deputy_lead"})
# Every rule of the seed is in effect on this day (the newest starts 2025-03-01).
TODAY = dt.date(2025, 6, 1)
MARCH_PASS = dt.date(2025, 3, 1)  # a pass of March 2025 ("25.3월 정기권부터 적용")

NICE_CC = (
    "contact5@nicetcm.example",
    "contact6@nicetcm.example",
    "contact7@nicetcm.example",
    "contact8@nicetcm.example",
    "contact9@nicetcm.example",
    "contact10@nicetcm.example",
    "contact2@kakaomobility.example",
    "contact11@kakaomobility.example",
)
SK_TO = ("contact12@skshieldus.example",)
SK_CC = (
    "contact13@skshieldus.example",
    "contact11@kakaomobility.example",
    "contact14@kakaomobility.example",
)
URBAN_TO = ("contact15@urbanport.example",)
URBAN_CC = ("contact2@kakaomobility.example", "contact16@kakaomobility.example")
OWNERS = "@owner4 @owner5 @owner6 @owner7"  # seed 001 as updated: one spelling per person
REFUND_OWNERS = "@owner4 @owner5 @owner6 @owner7"


def row(table, question, kind, roles, *, to=(), cc=(), says="", mentions="", target=None):
    return pytest.param(
        question,
        {
            "kind": kind,
            "roles": roles,
            "to": to,
            "cc": cc,
            "says": says,
            "mentions": mentions,
            "target": target,
        },
        id=f"{table}-" + "-".join(str(v) for v in question.values()),
    )


def season_pass(partner, site_kind, kind, roles, *, pass_month=None, **expected):
    """Table 2 covers both 미등록 and 차량번호 변경: one expectation per request kind."""
    extra = {"pass_month": pass_month} if pass_month else {}
    return [
        row(
            "t2",
            {"request_kind": rk, "partner": partner, "site_kind": site_kind, **extra},
            kind,
            roles,
            **expected,
        )
        for rk in ("unregistered", "car_number_change")
    ]


EXPECTED = [
    # ---- table 2 -------------------------------------------------------------------------
    *season_pass(
        "kmpark",
        "manual_normal",
        "slack",
        ALL,
        says="KMP 운영 서비스팀 요청",
        target="카카오t-정기권-문의",
    ),
    *season_pass(
        "kmpark",
        "manual_special",
        "email",
        LEADS,
        to=("contact1@km-park.example",),
        says="파르나스 호텔 담당자에게 E-mail 발송",
    ),
    # "| T월 주차권 | Parking Admin | **직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)** |":
    # the channel cell is Parking Admin and the rule is keyed on the pass's month (issue 15 B 001).
    *season_pass(
        "kmpark",
        "t_monthly",
        "admin_direct",
        ALL,
        says="직접 앱에서 차량번호 변경",
        pass_month=MARCH_PASS,
    ),
    *[
        p
        for sk in ("manual_normal", "manual_special")
        for p in season_pass(
            "kmpns",
            sk,
            "agit",
            ALL,
            says="아지트 글 작성 또는 핫라인(고객센터) 이용",
            mentions="@owner1 @owner2 @owner3",
        )
    ],
    *season_pass(
        "kmpns",
        "t_monthly",
        "admin_direct",
        ALL,
        says="직접 앱에서 차량번호 변경",
        pass_month=MARCH_PASS,
    ),
    *[
        p
        for sk in ("manual_normal", "manual_special")
        for p in (
            *season_pass(
                "amano",
                sk,
                "partner_web",
                LEADS,
                says="정기권 관리 탭에서 신규 등록 또는 번호변경",
            ),
            *season_pass(
                "hiparking",
                sk,
                "email",
                LEADS,
                cc=("contact2@kakaomobility.example", "contact3@hiparking.example"),
                says="아지트로 공유하는 각 현장소장님",
            ),
            *season_pass(
                "nicepark",
                sk,
                "email",
                LEADS,
                to=("contact4@nicetcm.example",),
                cc=NICE_CC,
                says="현장별 담당자에게 E-mail 발송",
            ),
            *season_pass("skshieldus", sk, "email", LEADS, to=SK_TO, cc=SK_CC),
            *season_pass("urbanport", sk, "email", LEADS, to=URBAN_TO, cc=URBAN_CC),
            *season_pass(
                "other",
                sk,
                "agit",
                ALL,
                says="아지트 정기권 변경요청 글 작성",
                mentions="@owner4 @owner5",
            ),
        )
    ],
    # ---- table 3 (공통: any partner) -------------------------------------------------------
    row(
        "t3",
        {
            "request_kind": "midterm_cancel",
            "partner": "kmpark",
            "site_kind": "t_monthly",
            "customer_agrees": False,
        },
        "agit",
        ALL,
        says="미수긍한 경우",
        mentions=REFUND_OWNERS,
    ),
    *[
        row(
            "t3",
            {
                "request_kind": "midterm_cancel",
                "partner": "urbanport",
                "site_kind": sk,
                "customer_agrees": False,
            },
            "agit",
            ALL,
            says="미수긍한 경우",
            mentions=REFUND_OWNERS,
        )
        for sk in ("manual_normal", "manual_special")
    ],
    # 수긍: "운영사별 채널로 등록 취소(해지) 요청" -> the partner's table-2 channel, leads only.
    *[
        row(
            "t3",
            {
                "request_kind": "midterm_cancel",
                "partner": "nicepark",
                "site_kind": sk,
                "customer_agrees": True,
            },
            "email",
            LEADS,
            to=("contact4@nicetcm.example",),
            cc=NICE_CC,
            says="운영사별 채널로 등록 취소(해지) 요청",
        )
        for sk in ("manual_normal", "manual_special")
    ],
    # ---- table 4 -------------------------------------------------------------------------
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "kmpark"},
        "google_sheet",
        LEADS,
        says="KMP 현장결제 취소 요청 리스트 작성",
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "kmpns"},
        "agit",
        ALL,
        says="핫라인(고객센터)",
        mentions="@owner1 @owner2 @owner3",
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "amano"},
        "amano_share",
        LEADS,
        says="아마노쉐어 게시판 작성",
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "hiparking"},
        "email",
        LEADS,
        to=("contact17@hiparking.example",),
        cc=("contact2@kakaomobility.example", "contact18@hiparking.example"),
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "nicepark"},
        "email",
        LEADS,
        to=("contact4@nicetcm.example",),
        cc=NICE_CC,
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "skshieldus"},
        "email",
        LEADS,
        to=SK_TO,
        cc=SK_CC,
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "urbanport"},
        "email",
        LEADS,
        to=URBAN_TO,
        cc=URBAN_CC,
    ),
    row(
        "t4",
        {"request_kind": "onsite_payment_cancel", "partner": "other"},
        "agit",
        ALL,
        says="아지트 글 작성",
        mentions=OWNERS,
    ),
    # ---- table 5 (공통, by integration) ----------------------------------------------------
    *[
        row(
            "t5",
            {"request_kind": "lot_info_change", "topic": "fee", "integration": integ},
            "admin_direct",
            LEADS,
            says="모두의주차장 정보 참고하여 현장 주차요금 확인 후 변경",
        )
        for integ in ("unlinked", "unaffiliated")
    ],
    row(
        "t5",
        {"request_kind": "lot_info_change", "topic": "fee", "integration": "linked"},
        "admin_direct",
        ALL,
        mentions=OWNERS,
    ),
    # "-" in the seed -> leads (see the route's notes)
    row(
        "t5",
        {"request_kind": "lot_info_change", "topic": "address", "integration": "unaffiliated"},
        "admin_direct",
        LEADS,
        mentions=OWNERS,
    ),
    *[
        row(
            "t5",
            {"request_kind": "lot_info_change", "topic": "address", "integration": integ},
            "admin_direct",
            ALL,
            mentions=OWNERS,
        )
        for integ in ("unlinked", "linked")
    ],
    *[
        row(
            "t5",
            {"request_kind": "lot_info_change", "topic": "contract", "integration": integ},
            "agit",
            ALL,
            mentions=OWNERS,
        )
        for integ in ("unlinked", "linked", "unaffiliated")
    ],
    row(
        "t5",
        {"request_kind": "stop_selling", "integration": "unaffiliated"},
        "admin_direct",
        LEADS,
        says="서비스 중지로 상태값 전환",
    ),
    *[
        row(
            "t5",
            {"request_kind": "stop_selling", "integration": integ},
            "agit",
            ALL,
            mentions=OWNERS,
        )
        for integ in ("unlinked", "linked")
    ],
    # ---- table 6 -------------------------------------------------------------------------
    row(
        "t6",
        {"request_kind": "parking_ticket", "partner": "hiparking"},
        "agit",
        ALL,
        says="아지트 기존 업무 유지",
        mentions=OWNERS,
    ),
    # ---- table 7 -------------------------------------------------------------------------
    row(
        "t7",
        {"request_kind": "parking_refund", "site": "63빌딩"},
        "admin_direct",
        ALL,
        says="한화생명 직원 할인 미적용",
    ),
]


@pytest.mark.parametrize(("question", "expected"), EXPECTED)
def test_route_for_every_seed_row(question, expected):
    info = route_info(route_for(**question, at=TODAY))

    assert info.channel_kind == expected["kind"]
    assert info.allowed_roles == expected["roles"]
    assert info.recipients_to == expected["to"]
    assert info.recipients_cc == expected["cc"]
    assert expected["says"] in info.procedure
    assert info.mentions == tuple(expected["mentions"].split())
    if expected["mentions"]:
        assert f"멘션: {expected['mentions']}" in info.notes
    if expected["target"]:
        assert info.channel_target == expected["target"]


def test_the_expectations_cover_every_active_seed_route():
    """The table above reaches every active seeded route: no seed row is left untested."""
    reached = {route_for(**p.values[0], at=TODAY).pk for p in EXPECTED}
    seeded = set(
        Route.objects.filter(is_active=True).exclude(seed_key="").values_list("pk", flat=True)
    )
    assert seeded - reached == set()


def test_struck_through_rules_are_kept_inactive_with_their_dates():
    old = Route.objects.filter(seed_key__contains="superseded")
    assert old.count() == 4  # kmpark, kmpns x (미등록, 차량번호 변경)
    for route in old:
        assert route.is_active is False
        assert route.effective_from == dt.date(2024, 9, 1)
        # The day before table 1's notice "T월주차권(연동) 현장 대상 차량번호 직접 변경 (25.2.27)".
        assert route.effective_until == dt.date(2025, 2, 26)
        assert route.channel.kind == "admin_direct"
        assert "월주차권 유저 상세" in route.procedure
    # ... and never answer, not even for a day inside their old window.
    route = route_for(
        request_kind="car_number_change",
        partner="kmpark",
        site_kind="t_monthly",
        pass_month=MARCH_PASS,
        at=TODAY,
    )
    assert route.procedure == "직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)"
    assert route.channel.seed_key == "channel.admin.parking"  # the seed's "Parking Admin"
