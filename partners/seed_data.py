"""Seed 001 (정기권, 주차장정보) as plain data: partners, sites, channels, contacts and routes.

Plain dicts and strings only (no model imports) so the data migration can load it through
historical models (``apps.get_model``) and ``partners.bootstrap`` through the live ones; the
loader is ``partners.seed_loader.load``. Every row carries a ``seed_key`` that never changes:
bootstrap uses it to tell a missing row from one that people renamed or edited.

Wording: ``procedure`` and ``notes`` are the seed's 처리방법 / 비고 cells, with the markdown
(``**bold**``) and doubled spaces removed and nothing else changed. Addresses and @mentions are
the seed's own placeholders.

How the tables were read (see also the notes on each row):

- A seed row that covers several keys is loaded as one route per key, e.g. table 2 covers both
  ``unregistered`` and ``car_number_change``; "수동현장" without (일반)/(특수) covers both manual
  site kinds; "비연동/비제휴" covers both integrations. ``seed_key`` names the seed row and key.
- Merged cells in the markdown (a row with fewer cells) inherit the cell above: table 5's
  "연동" fee row and the "주소 및 기타" rows keep the channel "parking admin"; table 3's manual
  rows keep the channel "아지트"; table 4's 상세 applies to every row.
- Struck-through (``~~...~~``) text is a superseded rule. It is loaded *inactive*, with the date
  it started (table 1: 24.9.1) and an end date (the day before its replacement started), so
  the route table stays a clean "what applies now" while the old rule stays readable.
- 변경권한 "-" (table 5, 주소 및 기타 / 비제휴) is treated as 팀장·부팀장 (``leads``), and said
  so in the row's notes. Tables 6 and 7 have no 변경권한 column: see those rows' notes.
"""

from __future__ import annotations

from itertools import product

SEED = "001"

# --------------------------------------------------------------------------------------------
# Partners (stable codes: DOMAIN.md shared vocabulary)
# --------------------------------------------------------------------------------------------
PARTNERS = [
    {"seed_key": "partner.kmpark", "code": "kmpark", "name": "케이엠파크", "notes": "KMP"},
    {
        "seed_key": "partner.kmpns",
        "code": "kmpns",
        "name": "케이엠파킹앤스페이스",
        "notes": "KMPNS",
    },
    {"seed_key": "partner.amano", "code": "amano", "name": "아마노코리아", "notes": ""},
    {"seed_key": "partner.hiparking", "code": "hiparking", "name": "하이파킹", "notes": ""},
    {
        "seed_key": "partner.nicepark",
        "code": "nicepark",
        "name": "한국전자금융(나이스파크)",
        "notes": "시드 표 2는 '한국전자금융 (나이스파스)'로 적음: 표 4의 '나이스파크'와 같은 운영사로 봄.",
    },
    {"seed_key": "partner.skshieldus", "code": "skshieldus", "name": "SK쉴더스", "notes": ""},
    {"seed_key": "partner.urbanport", "code": "urbanport", "name": "어반포트", "notes": ""},
    {
        "seed_key": "partner.other",
        "code": "other",
        "name": "그 외",
        "notes": "표에 따로 없는 운영사 전부 (시드의 '그 외' 행).",
    },
]

# --------------------------------------------------------------------------------------------
# Contacts: every address and @mention the seed names (placeholders; partner None = 사내)
# --------------------------------------------------------------------------------------------


#: Table 1: "운영사별 담당자 | 25.5.1부터" (주차 운영 핫라인 공지 25.04.16). Operators' contacts are
#: in force from that day; before it the previous process applies (route notes say so).
PARTNER_CONTACTS_FROM = "2025-05-01"


def _contact(key, partner, label, *, email="", mention="", notes=""):
    return {
        "seed_key": f"contact.{key}",
        "partner": partner,
        "label": label,
        "name": "담당자",
        "email": email,
        "mention": mention,
        "notes": notes,
        "effective_from": PARTNER_CONTACTS_FROM if partner else None,
        "effective_to": None,
    }


CONTACTS = [
    _contact(
        "contact1",
        "kmpark",
        "현장담당자 (파르나스 호텔)",
        email="contact1@km-park.example",
    ),
    _contact("contact2", None, "담당자", email="contact2@kakaomobility.example"),
    _contact(
        "contact3",
        "hiparking",
        "하이파킹 공용메일",
        email="contact3@hiparking.example",
        notes='시드 표기: "하이파킹 공용메일"crm\\contact3@hiparking.example',
    ),
    *[
        _contact(f"contact{n}", "nicepark", "공통 담당자", email=f"contact{n}@nicetcm.example")
        for n in range(4, 11)
    ],
    _contact("contact11", None, "담당자", email="contact11@kakaomobility.example"),
    _contact("contact12", "skshieldus", "플랫폼 담당자", email="contact12@skshieldus.example"),
    _contact("contact13", "skshieldus", "플랫폼 담당자", email="contact13@skshieldus.example"),
    _contact("contact14", None, "담당자", email="contact14@kakaomobility.example"),
    _contact("contact15", "urbanport", "플랫폼 담당자", email="contact15@urbanport.example"),
    _contact("contact16", None, "담당자", email="contact16@kakaomobility.example"),
    _contact("contact17", "hiparking", "플랫폼 담당자", email="contact17@hiparking.example"),
    _contact("contact18", "hiparking", "플랫폼 담당자", email="contact18@hiparking.example"),
    *[_contact(f"owner{n}", "kmpns", "담당자 (아지트)", mention=f"@owner{n}") for n in (1, 2, 3)],
    # The updated seed spells each handle one way: 사업담당 = @owner4 @owner5 @owner6 @owner7 in
    # tables 3, 5 and 6 (the first copy misspelled @owner4/@owner7 as @owner8/@owner9 in some rows;
    # partners/migrations/0005 moves those rows' mentions to the right contacts).
    _contact("owner4", None, "사업담당 (정기권)", mention="@owner4"),
    _contact("owner5", None, "사업담당", mention="@owner5"),
    _contact("owner6", None, "사업담당", mention="@owner6"),
    _contact("owner7", None, "사업담당 (정기권)", mention="@owner7"),
]

#: Handles the first copy of seed 001 misspelled, and the one the updated seed uses instead.
MISSPELLED_HANDLES = {"@owner8": "@owner4", "@owner9": "@owner7"}

# --------------------------------------------------------------------------------------------
# Channels (recipients: one "이름 <주소>" a line, in the seed's order)
# --------------------------------------------------------------------------------------------
NICEPARK_CC = [
    *[f"담당자 <contact{n}@nicetcm.example>" for n in range(5, 11)],
    "담당자 <contact2@kakaomobility.example>",
    "담당자 <contact11@kakaomobility.example>",
]

CHANNELS = [
    {
        "seed_key": "channel.kmpark.slack_season",
        "partner": "kmpark",
        "kind": "slack",
        "name": "Slack 카카오t-정기권-문의 (KMP 운영 서비스팀)",
        "target": "카카오t-정기권-문의",
    },
    {
        "seed_key": "channel.kmpark.email_parnas",
        "partner": "kmpark",
        "kind": "email",
        "name": "E-mail 파르나스 호텔 현장담당자 (KMP)",
        "target": "Parking CS 공용 메일에서 발신",
        "recipients_to": "담당자 <contact1@km-park.example>",
    },
    {
        "seed_key": "channel.app.navi_monthly",
        "partner": None,
        "kind": "app_direct",
        "name": "내비앱 월주차 관리 (T월주차권)",
        "target": "내비앱 - 아래쪽 [더보기] - 월주차 관리 - 월주차 구매내역 - 월주차 선택 - 차량정보 변경",
        "notes": "시드 표 2의 채널 칸은 'Parking Admin', 처리방법은 '직접 앱에서 차량번호 변경'.",
    },
    {
        "seed_key": "channel.admin.parking",
        "partner": None,
        "kind": "admin_direct",
        "name": "Parking Admin (주차 어드민)",
        "target": "주차 어드민 (parking admin)",
    },
    {
        "seed_key": "channel.kmpns.agit",
        "partner": "kmpns",
        "kind": "agit",
        "name": "아지트 (케이엠파킹앤스페이스 담당자)",
        "target": "아지트",
    },
    {
        "seed_key": "channel.kmpns.hotline",
        "partner": "kmpns",
        "kind": "hotline",
        "name": "핫라인 (고객센터) - 케이엠파킹앤스페이스",
        "target": "주차 운영 핫라인 (고객센터)",
        "notes": "주차 운영 핫라인 공지 (25.04.16)",
    },
    {
        "seed_key": "channel.amano.web",
        "partner": "amano",
        "kind": "partner_web",
        "name": "아마노코리아 현장별 웹할인 Site",
        "target": "https://kakaomobility.agit.in/g/300017093/wall/403498787#comment_panel_403500945",
        "notes": "현장별 웹할인 사이트 목록 (시드의 '사이트링크'). 정기권 관리 탭 사용.",
    },
    {
        "seed_key": "channel.amano.share",
        "partner": "amano",
        "kind": "amano_share",
        "name": "아마노쉐어 게시판",
        "target": "아마노쉐어 게시판 (카카오T주차그룹)",
    },
    {
        "seed_key": "channel.hiparking.email_site",
        "partner": "hiparking",
        "kind": "email",
        "name": "E-mail 하이파킹 현장 담당자 (정기권)",
        "target": "",
        "recipients_to": "",
        "recipients_cc": "담당자 <contact2@kakaomobility.example>\n"
        "하이파킹 공용메일 <contact3@hiparking.example>",
        "notes": "수신: 아지트로 공유하는 각 현장소장님 (현장별 주소는 매월말 CS아지트로 공유). "
        '참조의 하이파킹 공용메일은 시드에 "하이파킹 공용메일"crm\\contact3@hiparking.example 로 적혀 있음.',
    },
    {
        "seed_key": "channel.nicepark.email",
        "partner": "nicepark",
        "kind": "email",
        "name": "E-mail 한국전자금융(나이스파크) 공통 담당자",
        "recipients_to": "담당자 <contact4@nicetcm.example>",
        "recipients_cc": "\n".join(NICEPARK_CC),
    },
    {
        "seed_key": "channel.skshieldus.email",
        "partner": "skshieldus",
        "kind": "email",
        "name": "E-mail SK쉴더스 플랫폼 담당자",
        "recipients_to": "담당자 <contact12@skshieldus.example>",
        "recipients_cc": "담당자 <contact13@skshieldus.example>\n"
        "담당자 <contact11@kakaomobility.example>\n"
        "담당자 <contact14@kakaomobility.example>",
    },
    {
        "seed_key": "channel.urbanport.email",
        "partner": "urbanport",
        "kind": "email",
        "name": "E-mail 어반포트 플랫폼 담당자",
        "recipients_to": "담당자 <contact15@urbanport.example>",
        "recipients_cc": "담당자 <contact2@kakaomobility.example>\n"
        "담당자 <contact16@kakaomobility.example>",
    },
    {
        "seed_key": "channel.other.agit_season",
        "partner": "other",
        "kind": "agit",
        "name": "아지트 정기권 변경요청",
        "target": "아지트 정기권 변경요청 글",
    },
    {
        "seed_key": "channel.common.agit",
        "partner": None,
        "kind": "agit",
        "name": "아지트 (주차 운영)",
        "target": "아지트",
    },
    {
        "seed_key": "channel.kmpark.sheet_onsite",
        "partner": "kmpark",
        "kind": "google_sheet",
        "name": "Google Sheet KMP 현장결제 취소 요청 리스트",
        "target": "KMP 현장결제 취소 요청 리스트",
    },
    {
        "seed_key": "channel.hiparking.email_platform",
        "partner": "hiparking",
        "kind": "email",
        "name": "E-mail 하이파킹 플랫폼 담당자 (현장결제 취소)",
        "recipients_to": "담당자 <contact17@hiparking.example>",
        "recipients_cc": "담당자 <contact2@kakaomobility.example>\n"
        "담당자 <contact18@hiparking.example>",
    },
]

# --------------------------------------------------------------------------------------------
# Sites the seed names
# --------------------------------------------------------------------------------------------
SITES = [
    {
        "seed_key": "site.kmpark.parnas",
        "partner": "kmpark",
        "name": "파르나스 호텔",
        "kind": "manual_special",
        "integration": "",
        "district": "",
        "routes_like": None,
        "special_policy": "",
        "notes": "시드 001 표 2: 케이엠파크 수동현장(특수), 현장담당자에게 E-mail.",
    },
    {
        "seed_key": "site.63building",
        "partner": "other",
        "name": "63빌딩",
        "kind": "",
        "integration": "",
        "district": "",
        "routes_like": None,
        "special_policy": "63빌딩 환불정책: 1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 "
        "주장 시 증빙 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후 결제취소",
        "notes": "시드 001 표 7. 운영사·현장 구분은 시드에 없어 '그 외' / 미지정으로 둠.",
    },
    {
        "seed_key": "site.ktwintower",
        "partner": "other",
        "name": "케이트윈타워",
        "kind": "manual_normal",
        "integration": "",
        "district": "",
        "routes_like": "amano",
        "special_policy": "아마노 타 현장과 동일하게 업무 적용 (아마노쉐어 통해 처리)",
        "notes": "시드 001 표 7. 처리 기준 운영사 = 아마노코리아 (이 현장의 모든 요청은 아마노 "
        "경로로). 시드는 운영사를 따로 적지 않아 '그 외'로 두고, 현장 구분은 아마노 행과 같은 "
        "수동현장(일반)으로 둠.",
    },
]

# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------
SEASON_PASS_KINDS = ("car_number_change", "unregistered")  # table 2: "미등록 & 차량번호 변경"
#: Seed 001's site kinds, the first rows of ``SiteKindOption`` (code, name, position): the data
#: migration (partners 0009) loads them on a fresh database, ``kmcs_bootstrap`` puts back any
#: that are missing (kinds are retired, never deleted, so a missing one was never there).
SITE_KINDS = (
    ("manual_normal", "수동현장(일반)", 10),
    ("manual_special", "수동현장(특수)", 20),
    ("t_monthly", "T월주차권(연동)", 30),
)
MANUAL = ("manual_normal", "manual_special")  # "수동현장" without (일반)/(특수)

BUSINESS_OWNERS = "@owner4, @owner5, @owner6, @owner7 멘션"
BUSINESS_OWNER_MENTIONS = "@owner4 @owner5 @owner6 @owner7"
REFUND_DISPUTE = (
    "경과일 수 x 일최대요금으로 안내했으나, 미수긍한 경우 @owner4 @owner5, @owner6, @owner7 멘션"
)
REFUND_DISPUTE_MENTIONS = "@owner4 @owner5 @owner6 @owner7"
KMPNS_PROCEDURE = "아지트 글 작성 또는 핫라인(고객센터) 이용, 담당자(@owner1 @owner2 @owner3)"
NICEPARK_PROCEDURE = (
    '현장별 담당자에게 E-mail 발송 수신 : "담당자"<contact4@nicetcm.example> 참조 : '
    '"담당자"<contact5@nicetcm.example> , "담당자"<contact6@nicetcm.example> , '
    '"담당자"<contact7@nicetcm.example> , "담당자"<contact8@nicetcm.example> , '
    '"담당자"<contact9@nicetcm.example> , "담당자"<contact10@nicetcm.example>, '
    '"담당자"<contact2@kakaomobility.example>, "담당자"<contact11@kakaomobility.example>'
)
SKSHIELDUS_PROCEDURE = (
    '담당자에게 E-mail 발송 수신 : "담당자"<contact12@skshieldus.example> 참조 : '
    '"담당자"<contact13@skshieldus.example>, "담당자"<contact11@kakaomobility.example>, '
    '"담당자"<contact14@kakaomobility.example>'
)
URBANPORT_PROCEDURE = (
    '담당자에게 E-mail 발송 수신 : "담당자"<contact15@urbanport.example> 참조 : '
    '"담당자"<contact2@kakaomobility.example>, "담당자"<contact16@kakaomobility.example>'
)
T_MONTHLY_PROCEDURE = "직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)"
T_MONTHLY_NOTES = (
    "내비앱 - 아래쪽 [더보기] - 월주차 관리 - 월주차 구매내역 - 월주차 선택 - 차량정보 변경"
)
#: Table 2's 채널 cell of both T월 주차권 rows: "| T월 주차권 | Parking Admin | **직접 앱에서
#: 차량번호 변경 (25.3월 정기권부터 적용)** |". The app menu path is the 비고 cell (notes).
T_MONTHLY_CHANNEL = "channel.admin.parking"
#: "25.3월 정기권부터 적용" is about the pass's month (``Route.pass_month_from``), not the request
#: date; the request-date start is table 1's notice "T월주차권(연동) 현장 대상 차량번호 직접 변경
#: (25.2.27)", so a March pass bought (and asked about) on 2.27/2.28 already follows it.
T_MONTHLY_PASS_MONTH = "2025-03-01"
T_MONTHLY_NOTICE_DAY = "2025-02-27"
T_MONTHLY_SUPERSEDED_UNTIL = "2025-02-26"
T_MONTHLY_OLD_PROCEDURE = (
    "월주차권 유저 상세 -> 차량번호 변경 (단, 유저가 앱에 차량번호가 등록되어 있어야 함)"
)
T_MONTHLY_OLD_NOTES = (
    "월주차권 유저 상세 > 차량번호 변경 > 드롭다운 메뉴에서 등록된 차량번호로 변경\n"
    "취소선(~~)으로 지워진 이전 규칙 (24.9.1부터, 모든 상담사가 주차 어드민에서 직접 변경): "
    "25.3월 정기권부터 앱 직접 변경으로 대체되어 사용 안 함."
)

_ROUTE_DEFAULTS = {
    "partner": None,
    "site": None,
    "site_kind": "",
    "integration": "",
    "topic": "",
    "customer_agrees": None,
    "detail": "",
    "alternative_channel": None,
    "channel_via": "",
    "mentions": "",
    "effective_from": None,
    "effective_until": None,
    "effective_note": "",
    "pass_month_from": None,
    "notes": "",
    "is_active": True,
}

#: Table 1 "| 정기권 미등록 및 차량번호 변경 (수동현장) | 각 운영사별 핫라인 이메일 또는 게시판으로
#: 접수 (팀장님, 부팀장님) |" says leads only; table 2 gives some 수동현장 rows "All" (케이엠파크
#: 수동현장(일반), 케이엠파킹앤스페이스 수동현장, 그 외 수동현장). The more specific row (table 2)
#: is followed and the conflict is written on the route so a lead flips it with one edit.
TABLE1_CONFLICT_MARK = "[표 1과 다름]"
TABLE1_CONFLICT_NOTE = (
    f"{TABLE1_CONFLICT_MARK} 표 1 '정기권 미등록 및 차량번호 변경 (수동현장): 각 운영사별 핫라인 "
    "이메일 또는 게시판으로 접수 (팀장님, 부팀장님)'은 팀장·부팀장만, 표 2의 이 행은 변경권한 "
    "'All'. 더 구체적인 표 2 행을 따라 All로 둠. 팀장·부팀장만 처리하게 하려면 이 경로의 "
    "변경권한을 '팀장, 부팀장'으로 바꾸세요."
)


def _routes(row: str, *, request_kinds, site_kinds=("",), integrations=("",), **fields):
    """One seed row -> one route per (request kind, site kind, integration) it covers."""
    out = []
    for request_kind, site_kind, integration in product(request_kinds, site_kinds, integrations):
        parts = [row, request_kind, site_kind or None, integration or None]
        out.append(
            {
                **_ROUTE_DEFAULTS,
                **fields,
                "seed_key": ".".join(p for p in parts if p),
                "request_kind": request_kind,
                "site_kind": site_kind,
                "integration": integration,
            }
        )
    return out


ROUTES = [
    # ---- table 2: [정기권] 미등록 & 차량번호 변경 ----------------------------------------------
    *_routes(
        "t2.kmpark",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=("manual_normal",),
        partner="kmpark",
        detail="수동현장(일반)",
        channel="channel.kmpark.slack_season",
        procedure='"카카오t-정기권-문의"채널에서 KMP 운영 서비스팀 요청',
        allowed_roles="all",
        notes=TABLE1_CONFLICT_NOTE,
    ),
    *_routes(
        "t2.kmpark",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=("manual_special",),
        partner="kmpark",
        detail="수동현장(특수) / 현장담당자",
        channel="channel.kmpark.email_parnas",
        procedure="파르나스 호텔 담당자에게 E-mail 발송, 담당자 <contact1@km-park.example>",
        notes="Parking CS 공용 메일로 발신 필요",
        allowed_roles="leads",
    ),
    *[
        route
        for partner in ("kmpark", "kmpns")
        for route in (
            *_routes(
                f"t2.{partner}",
                request_kinds=SEASON_PASS_KINDS,
                site_kinds=("t_monthly",),
                partner=partner,
                detail="T월 주차권 / Parking Admin",
                channel=T_MONTHLY_CHANNEL,
                procedure=T_MONTHLY_PROCEDURE,
                notes=T_MONTHLY_NOTES,
                allowed_roles="all",
                effective_from=T_MONTHLY_NOTICE_DAY,
                pass_month_from=T_MONTHLY_PASS_MONTH,
                effective_note="25.3월 정기권부터 적용 (공지 25.2.27: T월주차권(연동) 현장 대상 "
                "차량번호 직접 변경)",
            ),
            *_routes(
                f"t2.{partner}.superseded",
                request_kinds=SEASON_PASS_KINDS,
                site_kinds=("t_monthly",),
                partner=partner,
                detail="T월 주차권 / Parking Admin",
                channel="channel.admin.parking",
                procedure=T_MONTHLY_OLD_PROCEDURE,
                notes=T_MONTHLY_OLD_NOTES,
                allowed_roles="all",
                effective_from="2024-09-01",
                effective_until=T_MONTHLY_SUPERSEDED_UNTIL,
                effective_note="24.9.1부터 (취소선): 25.3월 정기권부터 대체",
                is_active=False,
            ),
        )
    ],
    *_routes(
        "t2.kmpns",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="kmpns",
        detail="수동현장 / 아지트",
        channel="channel.kmpns.agit",
        alternative_channel="channel.kmpns.hotline",
        procedure=KMPNS_PROCEDURE,
        mentions="@owner1 @owner2 @owner3",
        allowed_roles="all",
        notes=TABLE1_CONFLICT_NOTE,
    ),
    *_routes(
        "t2.amano",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="amano",
        detail="수동현장 / 현장별 웹할인 Site",
        channel="channel.amano.web",
        alternative_channel="channel.amano.share",
        procedure="정기권 관리 탭에서 신규 등록 또는 번호변경",
        notes="등록 에러 발생 시 아마노 쉐어 게시판으로 그룹변경 요청 (카카오T주차그룹) "
        "(단, 사이트 접속 자체가 안될때 재키,리아 멘션) "
        "[사이트링크](https://kakaomobility.agit.in/g/300017093/wall/403498787#comment_panel_403500945)",
        allowed_roles="leads",
    ),
    *_routes(
        "t2.hiparking",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="hiparking",
        detail="수동현장 / 현장 담당자",
        channel="channel.hiparking.email_site",
        procedure="현장별 담당자에게 E-mail 발송/ 월초 담당자메일 공유 전에 문의 인입 시에는 "
        "고객분께 시간소요 양해>다음영업일 이메일확인 후 접수(24.10.2 변경) 수신 : 아지트로 "
        '공유하는 각 현장소장님 참조 : "담당자"<contact2@kakaomobility.example>, '
        '"하이파킹 공용메일"crm\\contact3@hiparking.example',
        notes="매월말 현장별 담당자 E-mail 주소를 CS아지트(CS 담당 멘션)로 공유 예정",
        allowed_roles="leads",
        effective_from="2024-10-02",
        effective_note="24.10.2 변경",
    ),
    *_routes(
        "t2.nicepark",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="nicepark",
        detail="수동현장 / 공통 담당자",
        channel="channel.nicepark.email",
        procedure=NICEPARK_PROCEDURE,
        allowed_roles="leads",
    ),
    *_routes(
        "t2.skshieldus",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="skshieldus",
        detail="수동현장 / 플랫폼 담당자",
        channel="channel.skshieldus.email",
        procedure=SKSHIELDUS_PROCEDURE,
        allowed_roles="leads",
    ),
    *_routes(
        "t2.urbanport",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="urbanport",
        detail="수동현장 / 플랫폼 담당자",
        channel="channel.urbanport.email",
        procedure=URBANPORT_PROCEDURE,
        allowed_roles="leads",
    ),
    *_routes(
        "t2.other",
        request_kinds=SEASON_PASS_KINDS,
        site_kinds=MANUAL,
        partner="other",
        detail="수동현장 / 아지트",
        channel="channel.other.agit_season",
        procedure="아지트 정기권 변경요청 글 작성 / @owner4 @owner5 멘션",
        mentions="@owner4 @owner5",
        allowed_roles="all",
        notes=TABLE1_CONFLICT_NOTE,
    ),
    # ---- table 3: [정기권] 중도해지, 환불 (공통) ----------------------------------------------
    *_routes(
        "t3.common.disagree",
        request_kinds=("midterm_cancel",),
        site_kinds=("t_monthly",),
        customer_agrees=False,
        detail="T월 주차권",
        channel="channel.common.agit",
        procedure=REFUND_DISPUTE,
        mentions=REFUND_DISPUTE_MENTIONS,
        allowed_roles="all",
        notes="시드 표 3에 T월 주차권의 '수긍한 경우' 행은 없음.",
    ),
    *_routes(
        "t3.common.agree",
        request_kinds=("midterm_cancel",),
        site_kinds=MANUAL,
        customer_agrees=True,
        detail="수동현장",
        channel="channel.common.agit",
        channel_via="car_number_change",
        procedure="경과일 수 x 일최대요금으로 안내 후 수긍한 경우 운영사별 채널로 등록 취소(해지) 요청",
        allowed_roles="leads",
        notes="'운영사별 채널' = 표 2에서 그 운영사·현장 구분이 쓰는 채널 (channel_via).",
    ),
    *_routes(
        "t3.common.disagree",
        request_kinds=("midterm_cancel",),
        site_kinds=MANUAL,
        customer_agrees=False,
        detail="수동현장",
        channel="channel.common.agit",
        procedure=REFUND_DISPUTE,
        mentions=REFUND_DISPUTE_MENTIONS,
        allowed_roles="all",
    ),
    # ---- table 4: [정기권] 현장결제 취소 ------------------------------------------------------
    *[
        route
        for partner, fields in (
            (
                "kmpark",
                {
                    "channel": "channel.kmpark.sheet_onsite",
                    "procedure": "KMP 현장결제 취소 요청 리스트 작성",
                    "allowed_roles": "leads",
                },
            ),
            (
                "kmpns",
                {
                    "channel": "channel.kmpns.agit",
                    "alternative_channel": "channel.kmpns.hotline",
                    "procedure": KMPNS_PROCEDURE,
                    "mentions": "@owner1 @owner2 @owner3",
                    "allowed_roles": "all",
                },
            ),
            (
                "amano",
                {
                    "channel": "channel.amano.share",
                    "procedure": "아마노쉐어 게시판 작성",
                    "allowed_roles": "leads",
                },
            ),
            (
                "hiparking",
                {
                    "channel": "channel.hiparking.email_platform",
                    "procedure": '담당자에게 E-mail 발송 수신 : "담당자"<contact17@hiparking.example> '
                    '참조 : "담당자"<contact2@kakaomobility.example>,'
                    '"담당자"<contact18@hiparking.example>',
                    "allowed_roles": "leads",
                },
            ),
            (
                "nicepark",
                {
                    "channel": "channel.nicepark.email",
                    "procedure": NICEPARK_PROCEDURE,
                    "allowed_roles": "leads",
                },
            ),
            (
                "skshieldus",
                {
                    "channel": "channel.skshieldus.email",
                    "procedure": SKSHIELDUS_PROCEDURE,
                    "allowed_roles": "leads",
                },
            ),
            (
                "urbanport",
                {
                    "channel": "channel.urbanport.email",
                    "procedure": URBANPORT_PROCEDURE,
                    "allowed_roles": "leads",
                },
            ),
            (
                "other",
                {
                    "channel": "channel.common.agit",
                    "procedure": f"아지트 글 작성 / {BUSINESS_OWNERS}",
                    "mentions": BUSINESS_OWNER_MENTIONS,
                    "allowed_roles": "all",
                },
            ),
        )
        for route in _routes(
            f"t4.{partner}",
            request_kinds=("onsite_payment_cancel",),
            partner=partner,
            detail="미등록, 미인식/ 오인식으로 인한 현장결제 발생",
            **fields,
        )
    ],
    # ---- table 5: [일반] 주차장 정보수정 (공통, 연동 구분별) ----------------------------------
    *_routes(
        "t5.fee",
        request_kinds=("lot_info_change",),
        integrations=("unlinked", "unaffiliated"),
        topic="fee",
        detail="비연동/비제휴",
        channel="channel.admin.parking",
        procedure="운영사 직접 요청 외 고객 인입 시 웹검색, 모두의주차장 정보 참고하여 현장 "
        "주차요금 확인 후 변경",
        notes="앱에 노출되는 요금임 (실 계산요금 X)",
        allowed_roles="leads",
    ),
    *_routes(
        "t5.fee",
        request_kinds=("lot_info_change",),
        integrations=("linked",),
        topic="fee",
        detail="연동",
        channel="channel.admin.parking",
        procedure=BUSINESS_OWNERS,
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="all",
        notes="채널 칸은 윗행(parking admin)과 병합된 셀로 읽음.",
    ),
    *_routes(
        "t5.address",
        request_kinds=("lot_info_change",),
        integrations=("unaffiliated",),
        topic="address",
        detail="비제휴",
        channel="channel.admin.parking",
        procedure=BUSINESS_OWNERS,
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="leads",
        notes="시드의 변경권한 칸이 '-': 상담사 직접 처리 대상이 아니므로 팀장, 부팀장으로 둠.",
    ),
    *_routes(
        "t5.address",
        request_kinds=("lot_info_change",),
        integrations=("unlinked", "linked"),
        topic="address",
        detail="비연동 / 연동",
        channel="channel.admin.parking",
        procedure=BUSINESS_OWNERS,
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="all",
        notes="채널 칸은 윗행(parking admin)과 병합된 셀로 읽음.",
    ),
    *_routes(
        "t5.contract",
        request_kinds=("lot_info_change",),
        topic="contract",
        detail="모든 내용",
        channel="channel.common.agit",
        procedure=BUSINESS_OWNERS,
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="all",
    ),
    *_routes(
        "t5.stop_selling",
        request_kinds=("stop_selling",),
        integrations=("unaffiliated",),
        detail="비제휴",
        channel="channel.admin.parking",
        procedure="서비스 중지로 상태값 전환",
        notes="앱에 미노출 작업",
        allowed_roles="leads",
    ),
    *_routes(
        "t5.stop_selling",
        request_kinds=("stop_selling",),
        integrations=("unlinked", "linked"),
        detail="비연동/연동",
        channel="channel.common.agit",
        procedure=BUSINESS_OWNERS,
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="all",
    ),
    # ---- table 6: 주차권 --------------------------------------------------------------------
    *_routes(
        "t6.common",
        request_kinds=("parking_ticket",),
        channel="channel.common.agit",
        procedure="· 아지트 기존 업무 유지하되, 운영사 확인 요청이 필요한 경우 위 담당자 참고해서 "
        "처리\n· 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션",
        mentions=BUSINESS_OWNER_MENTIONS,
        allowed_roles="all",
        notes="시드 표 6에는 변경권한 칸이 없음: '아지트 기존 업무'는 상담사 모두의 업무라 All로 둠. "
        "운영사 확인은 표 2·4의 운영사별 담당자 참고.",
    ),
    # ---- table 7: 기타 (63빌딩 환불정책; 케이트윈타워는 SITES의 routes_like) -------------------
    *_routes(
        "t7.63building",
        request_kinds=("parking_refund",),
        partner="other",
        site="site.63building",
        detail="63빌딩 환불정책",
        channel="channel.admin.parking",
        procedure="1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시 증빙 확인 요청, "
        "없을 경우 운영사 확인해보겠다고 안내 후 결제취소",
        allowed_roles="all",
        notes="시드 표 7에는 채널·변경권한 칸이 없음: 결제취소는 주차 어드민에서, 권한은 "
        "결제취소를 상담사가 하는 다른 플레이북(000)과 같이 All로 둠.",
    ),
]
