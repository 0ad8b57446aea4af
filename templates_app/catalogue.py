"""Every CEMS template the seeds contain (see definitions.py for the format).

Where a seed gives the wording it is kept word for word, with ``{{ var }}`` in place of the
seed's blanks (0월 0일 -> date_md, 0000년 00월 00일 -> date_ymd, 0,000원 -> amount, 콜 ID ->
call_id, OO/OOO -> text) and the seed's double spaces read as line breaks. Where a seed only
names a message (or describes it), the text is written in the same voice and ``source`` says so.
The playbooks name these templates in their MessageSpecs with exactly the declared variables.
"""

from .definitions import TemplateDef

# Closings the seeds use, kept identical everywhere they recur. Seed 002's SMS cells separate
# paragraphs with a double space (read as a blank line, "\n\n") and nothing else: where a
# cell has a single space (■ 취소금액 … ※ …, [채팅상담] ① … ② …) the SMS has a single space
# too, so the text and its LMS byte count are the seed's (tests/templates_app/test_seed_002_cells.py).
_DRIVER_CLOSING = (
    "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n\n카카오 T 파트너 운영센터 드림"
)
_DRIVER_CHAT = (
    "[채팅상담] "
    "① 카카오 T 채널(대리 기사용) : https://pf.kakao.com/_iILUxd "
    "② 카카오 T 대리 기사용 앱 - 오른쪽 위 [메뉴] - 서비스 문의 - 대화창에 '상담' 입력 후 "
    "[상담사 연결하기]"
)
_DRIVER_CUSTOMER_CLOSING = (
    "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n\n"
    "[채팅상담] "
    "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
    "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n\n"
    "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n\n"
    "카카오 T 고객센터 드림"
)
_PARKING_CLOSING = (
    "We move life!\n이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n감사합니다.\n\n"
    "카카오 T 고객센터 드림"
)
_CUSTOMER_CLOSING = "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n\n카카오 T 고객센터 드림"
#: Seed 000 ④: "- 사용기한 : ~~24.12.31까지~~" is struck in the seed, so the terms carry no
#: expiry; the ``_사용기한`` variants (below) add the line, used only when a lead sets a coupon
#: expiry on the campaign (cases.Campaign.coupon_expires_on).
_COUPON_EXPIRY_LINE = "- 사용기한 : {{ coupon_expires_on }}까지\n"


def _coupon_terms(expiry: bool) -> str:
    return (
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        + (_COUPON_EXPIRY_LINE if expiry else "")
        + "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "{{ coupon_link }}\n\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요."
    )


_COUPON_TERMS = _coupon_terms(expiry=False)
#: The coupon link is the center setting in force (rules.CenterSettings.coupon_link), filled by
#: the playbook: no template body carries it as a literal (issue 15 A.2).
_COUPON_LINK = {"coupon_link": "url"}
_COUPON_GIVE = "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요."
_DOUBLE_PAYMENT_HEAD = (
    "안녕하세요.\n\n{{ inquired_on }} 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n\n"
    "[확인내용 안내]\n\n"
)

#: Seed 000 A2 ③ "주차권 시간 초과이용한 경우(정상이용)": the ticket WAS applied, only the
#: excess was charged (never "주차권 적용이 되지 않았던 것 같아요").
_OVERTIME_FOUND = (
    "확인해 보니 고객님께서 이용하신 주차권은 {{ ticket_hours }}시간권입니다.\n"
    "주차장을 이용하신 시간은 총 {{ used_time }}으로 확인되고 있는데요.\n\n"
    "주차권 적용 후 남은 {{ excess_time }}에 대한 요금 {{ excess_fee }}이 결제된 것으로 "
    "확인되어 걱정하지 않으셔도 괜찮습니다."
)
_OVERTIME_ONSITE_VARIABLES = {
    "inquired_on": "date_md",
    "lot_label": "text",
    "ticket_hours": "int",
    "used_time": "text",
    "excess_time": "text",
    "excess_fee": "amount",
}

_S000 = "seed 000 (이중결제 취소요청 [타사주차권])"
_S000_VOICE = (
    f"{_S000}: the seed gives this text as the chat script (section 4️⃣); no CEMS name or SMS "
    "exists in the seed, so the name and the greeting/closing (seed section 5's) are ours, "
    "written for the 챗봇 게시판 answer"
)
_S002 = "seed 002 ([챗봇-게시판] 기사_미운행건 결제취소)"
_S003_VOICE = (
    "seed 003 ([전기차충전] 미충전 및 미결제): the seed promises '담당부서로 확인 후 문자 안내' "
    "but gives no text or name: written in the seed's voice"
)
_S004_VOICE = (
    "seed 004 ([챗보드-T앱 게시판] 과태료 처리 프로세스): the seed names this SMS only; CEMS name "
    "and text written in the voice of seed 002's templates"
)


_COUPON_INTROS = (
    (
        "주차_T주차권구매권유_쿠폰지급_결제취소",
        "이번에 다른 업체의 주차권이 자동으로 적용되지 않아 많이 불편하셨을 것 같아요.\n\n"
        "카카오 T 주차권은 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 "
        "카카오 T 주차권 꼭 한 번 이용해 보세요.",
        {},
        "쿠폰 캠페인 기간: 주차패스 결제취소 건의 T 주차권 구매 권유 및 쿠폰 지급.",
        "A1 ④ verbatim",
    ),
    (
        "주차_T주차권구매권유_쿠폰지급_정상이용",
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 "
        "있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.",
        {},
        "쿠폰 캠페인 기간: 주차권 시간 초과이용(정상이용) 건의 구매 권유 및 쿠폰 지급.",
        "A2 ④ > 주차권 시간 초과이용한 경우, verbatim",
    ),
    (
        "주차_T주차권구매권유_쿠폰지급_고객귀책",
        "해당 건은 안타깝게도 {{ reason }} 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 "
        "걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 "
        "이용해 보세요.",
        {"reason": "text"},
        "쿠폰 캠페인 기간: 입차 후 구매/정보상이(고객귀책) 건의 구매 권유 및 쿠폰 지급.",
        "A2 ④ > 입차 후 구매/ 정보상이 (고객귀책), verbatim",
    ),
)


def _coupon_templates() -> list[TemplateDef]:
    """Seed 000 ④ per branch, without and with the 사용기한 line (struck in the seed:
    "- 사용기한 : ~~24.12.31까지~~"; the ``_사용기한`` variant only when a lead sets an expiry)."""
    out = []
    for name, intro, variables, description, where in _COUPON_INTROS:
        for expiry in (False, True):
            out.append(
                TemplateDef(
                    name=f"{name}_사용기한" if expiry else name,
                    audience="customer",
                    service="parking",
                    body=(
                        f"안녕하세요.\n\n{intro}\n\n{_COUPON_GIVE}\n\n"
                        f"{_coupon_terms(expiry)}\n\n카카오 T 고객센터 드림"
                    ),
                    variables=(
                        {**variables, **_COUPON_LINK, "coupon_expires_on": "date_ymd"}
                        if expiry
                        else {**variables, **_COUPON_LINK}
                    ),
                    description=description
                    + (
                        " 캠페인에 쿠폰 사용기한을 입력한 경우 (사용기한 줄 포함)."
                        if expiry
                        else " 사용기한 줄 없음 (시드가 취소선으로 지움)."
                    ),
                    source=(
                        f"{_S000_VOICE}; {where}, except '- 사용기한 : ~~24.12.31까지~~' "
                        + (
                            "kept with the lead-set expiry date (date_ymd)"
                            if expiry
                            else "left out (struck in the seed)"
                        )
                    ),
                )
            )
    return out


CATALOGUE: tuple[TemplateDef, ...] = (
    # ------------------------------------------------------------------ seed 000 (parking)
    TemplateDef(
        name="주차_현장확인_T주차권구매권유_쿠폰지급",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n"
            "{{ inquired_on }} {{ lot_label }} 문의하셨던 건에 대하여 안내드립니다.\n\n"
            "[확인내용 안내]\n\n"
            "해당 건은 안타깝게도 {{ reason }} 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
            "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 "
            "걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 "
            "이용해 보세요.\n\n"
            f"{_COUPON_GIVE}\n\n"
            "[쿠폰 사용 안내]\n"
            "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매전용\n"
            "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n\n"
            "쿠폰은 아래의 링크에서 확인하실 수 있어요.\n"
            "▶ {{ coupon_link }}\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={
            "inquired_on": "date_md",
            "lot_label": "text",
            "reason": "text",
            **_COUPON_LINK,
        },
        description=(
            "주차현장 확인이 필요했던 정상결제(시간 초과·고객귀책) 건: 현장확인 내용 안내 + "
            "T 주차권 구매권유 + 쿠폰지급 (쿠폰 캠페인 기간에만). lot_label은 소유인증 전이면 "
            "'서울 성북구 소재 주차장'처럼 행정구역만."
        ),
        source=(
            f"{_S000} section 5️⃣ [고객 SMS 템플릿 - 현장확인 내용 및 T 주차권 구매권유 및 "
            "쿠폰지급 안내], verbatim; the seed gives no CEMS name, so the name is ours. "
            "'OOO사유로' is written '{{ reason }} 사유로' (a space before 사유)."
        ),
    ),
    TemplateDef(
        name="주차_현장확인_결과안내",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n"
            "{{ inquired_on }} {{ lot_label }} 문의하셨던 건에 대하여 안내드립니다.\n\n"
            "[확인내용 안내]\n\n"
            "해당 건은 안타깝게도 {{ reason }} 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
            "결제된 내역에 대해 도움을 드리긴 어려운 점 양해 부탁드립니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={"inquired_on": "date_md", "lot_label": "text", "reason": "text"},
        description="주차현장 확인 결과 안내, 쿠폰 캠페인 기간 밖 (쿠폰·구매권유 없음).",
        source=(
            f"{_S000} section 5️⃣ template without its coupon part: the seed's coupon is only "
            "for the campaign window, and it gives no text for outside it; name is ours"
        ),
    ),
    TemplateDef(
        name="주차_현장확인_정상이용_T주차권구매권유_쿠폰지급",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n"
            "{{ inquired_on }} {{ lot_label }} 문의하셨던 건에 대하여 안내드립니다.\n\n"
            "[확인내용 안내]\n\n"
            f"{_OVERTIME_FOUND}\n\n"
            "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
            "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 "
            "있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n\n"
            f"{_COUPON_GIVE}\n\n"
            "[쿠폰 사용 안내]\n"
            "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매전용\n"
            "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n\n"
            "쿠폰은 아래의 링크에서 확인하실 수 있어요.\n"
            "▶ {{ coupon_link }}\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={**_OVERTIME_ONSITE_VARIABLES, **_COUPON_LINK},
        description=(
            "주차현장 확인이 필요했던 주차권 시간 초과이용(정상이용) 건: 주차권은 적용되었고 "
            "초과 시간 요금만 결제되었음을 안내 + 구매권유 + 쿠폰지급 (쿠폰 캠페인 기간에만)."
        ),
        source=(
            f"{_S000} section 5️⃣ layout (greeting, [확인내용 안내], coupon part, closing) with "
            "A2 ③/④ '주차권 시간 초과이용한 경우(정상이용)' in place of '주차권 적용이 되지 "
            "않았던 것 같아요': in this branch the ticket was applied (issue 15); name is ours"
        ),
    ),
    TemplateDef(
        name="주차_현장확인_정상이용_결과안내",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n"
            "{{ inquired_on }} {{ lot_label }} 문의하셨던 건에 대하여 안내드립니다.\n\n"
            "[확인내용 안내]\n\n"
            f"{_OVERTIME_FOUND}\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables=_OVERTIME_ONSITE_VARIABLES,
        description=(
            "주차현장 확인 결과 주차권 시간 초과이용(정상이용), 쿠폰 캠페인 기간 밖: 주차권은 "
            "적용되었고 초과 시간 요금만 결제되었음을 안내."
        ),
        source=(
            f"{_S000} section 5️⃣ layout without its coupon part, with A2 ③ '주차권 시간 "
            "초과이용한 경우(정상이용)'; name is ours"
        ),
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_주차패스결제취소",
        audience="customer",
        service="parking",
        body=(
            _DOUBLE_PAYMENT_HEAD + "주차권이 정상적으로 적용되었다면 주차패스 내역은 생성되더라도 "
            "결제되지 않아요.\n"
            "다만, 주차권이 제대로 적용되지 않아 결제가 이루어진 상황으로 확인됩니다.\n\n"
            "첨부해 주신 내역으로 주차패스 결제 건({{ pass_amount }})은 바로 취소처리하겠습니다.\n"
            "카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 "
            "양해 부탁드립니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={"inquired_on": "date_md", "pass_amount": "amount"},
        description="챗봇 게시판: 타앱 주차권 O, 주차패스 결제취소 안내 (환불 영업일 기준 3~5일).",
        source=f"{_S000_VOICE}; A1 ③ 상황설명, the amount added",
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_정상결제_주차권시간초과",
        audience="customer",
        service="parking",
        body=(
            _DOUBLE_PAYMENT_HEAD
            + "확인해 보니 고객님께서 이용하신 주차권은 {{ ticket_hours }}시간권입니다.\n"
            "주차장을 이용하신 시간은 총 {{ used_time }}으로 확인되고 있는데요.\n\n"
            "주차권 적용 후 남은 {{ excess_time }}에 대한 요금 {{ excess_fee }}이 결제된 것으로 "
            "확인되어 걱정하지 않으셔도 괜찮습니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={
            "inquired_on": "date_md",
            "ticket_hours": "int",
            "used_time": "text",
            "excess_time": "text",
            "excess_fee": "amount",
        },
        description="챗봇 게시판: 주차권 시간 초과이용 (정상이용), 초과 요금 정상결제 안내.",
        source=f"{_S000_VOICE}; A2 ③ > 주차권 시간 초과이용한 경우",
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_고객귀책_입차후구매",
        audience="customer",
        service="parking",
        body=(
            _DOUBLE_PAYMENT_HEAD
            + "다만 {{ ticket_name }}을 입차 후 구매하신 내역으로 확인됩니다.\n"
            "입차 후 구매 시 주차권 적용이 어려울 수 있어요.\n\n"
            "번거로우시겠지만 주차권 관련하여 {{ seller }} 측으로 문의해 주시겠습니까?\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={"inquired_on": "date_md", "ticket_name": "text", "seller": "text"},
        description="챗봇 게시판: 입차 후 구매 (고객귀책), 구매처 문의 안내.",
        source=f"{_S000_VOICE}; A2 ③ > '입차 후 구매' 문구 확인 시",
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_고객귀책_정보상이",
        audience="customer",
        service="parking",
        body=(
            _DOUBLE_PAYMENT_HEAD
            + "확인해 보니 고객님께서 예약하신 주차권의 {{ mismatch_item }} 정보가 실제 이용하신 "
            "내역과 다르게 확인됩니다.\n"
            "- 예약하신 주차권: {{ reserved_value }}\n"
            "- 실제 이용하신 내역: {{ actual_value }}\n\n"
            "카카오 T로 결제된 요금은 정상 이용하신 내역으로 확인되어, 번거로우시겠지만 주차권 "
            "환불 관련하여 {{ seller }} 측으로 문의해 주시겠습니까?\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={
            "inquired_on": "date_md",
            "mismatch_item": "text",
            "reserved_value": "text",
            "actual_value": "text",
            "seller": "text",
        },
        description="챗봇 게시판: 차량번호/예약일/주차장 정보상이 (고객귀책), 구매처 환불 문의 안내.",
        source=(
            f"{_S000_VOICE}; A2 ③ > [차량번호/예약일/ 주차장] 정보가 상이한 경우. The values are "
            "listed rather than run into the sentence: a filled-in value cannot fix its own "
            "particle (은/는, 으로/로), and a customer must not read '차량번호은'"
        ),
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_타사주차권내역요청",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n{{ inquired_on }} 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n\n"
            "정확한 확인을 위해, 번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록 "
            "{{ evidence }}을 첨부하여 다시 접수해 주시겠습니까?\n"
            "첨부해 주시면 확인 후 빠르게 안내드리겠습니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={"inquired_on": "date_md", "evidence": "text"},
        description=(
            "챗봇 게시판: 타사 주차권 내역 요청 (evidence: '이용내역', 모두의주차장은 "
            "''예약내역'과 '결제내역'')."
        ),
        source=f"{_S000_VOICE}; A1 ② 타 앱 주차권 내역 확인",
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_성북구통합관제센터안내",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n{{ inquired_on }} 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n\n"
            "이용하신 주차장은 성북구 공영주차장으로, 해당 건은 관제센터에서 직접 확인이 가능해요.\n"
            "번거로우시겠지만 {{ center_name }}({{ center_phone }})로 문의해 주시면 정확하게 "
            "안내받으실 수 있습니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        # The control center's name and phone are the 성북구 lot rule's (rules.LotRule, a row a
        # lead edits), not literals: a new number changes the next SMS without a deploy.
        variables={"inquired_on": "date_md", "center_name": "text", "center_phone": "text"},
        description="챗봇 게시판: 성북구 공영주차장 → 고객이 직접 관제센터로 문의 안내.",
        source=(
            f"{_S000} 2️⃣ 정책: '성북구 공영주차장 → 고객이 직접 관제센터로 문의 안내 "
            "ㄴ 성북구통합관제센터 02-6925-0023'; text and name written in the seed's voice"
        ),
    ),
    TemplateDef(
        name="주차_챗봇게시판_이중결제_확인후안내",
        audience="customer",
        service="parking",
        body=(
            "안녕하세요.\n\n{{ inquired_on }} 문의하신 주차패스 이중결제 건은 담당부서 확인이 "
            "필요하여, 확인 후 다시 안내드리겠습니다.\n"
            "확인에 다소 시간이 소요되는 점 양해 부탁드립니다.\n\n"
            f"{_PARKING_CLOSING}"
        ),
        variables={"inquired_on": "date_md"},
        description="챗봇 게시판: 속초시 공영주차장(센터가 관제센터 연락) 등 확인 후 사후 안내 예정.",
        source=(
            f"{_S000} 2️⃣ 정책: '센터에서 관제센터로 연락하여 조치 후 고객 사후 안내'; text and "
            "name written in the seed's voice"
        ),
    ),
    *_coupon_templates(),
    # ------------------------------------------------------------------ seed 002 (driver)
    TemplateDef(
        name="대리기사_챗봇게시판_기사미운행건결제취소(승인)",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 미운행건 결제취소 문의에 대한 처리가 완료되어 안내해 드려요.\n\n"
            "■ 취소금액 : {{ amount }} "
            "※ 운행을 하지 않았음에도 운행 완료 처리 시, 기사 활동에 불이익을 받으실 수 있는 점 "
            "참고 부탁드립니다.\n\n"
            f"{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md", "amount": "amount"},
        description="미운행건 결제취소 승인: 기사 SMS / 챗봇 답변내용.",
        source=f"{_S002} 1. 처리가능(승인), 기사 SMS / 답변내용, verbatim",
    ),
    TemplateDef(
        name="대리_챗봇게시판_기사미운행건결제취소(승인)",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ called_on }} 출발지 {{ origin }}에서 대리를 호출하신 건에 대해 이용하지 않은 것으로 "
            "확인되어 결제가 취소되었어요. 요금 결제로 인해 불편을 드려 죄송합니다.\n\n"
            "■ 취소금액 : {{ amount }} "
            "※ 카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 "
            "양해 부탁드려요.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"called_on": "date_ymd", "origin": "text", "amount": "amount"},
        description="미운행건 결제취소 승인: 고객 SMS.",
        source=f"{_S002} 1. 처리가능(승인), 고객 SMS, verbatim",
    ),
    TemplateDef(
        name="대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수하신 미운행건 결제취소 문의에 대해 안내드려요.\n\n"
            "문의하신 {{ call_id }} 건은 운행거리와 운행시간이 확인되어 요금을 취소할 수 없어요.\n\n"
            "운행기록을 잘못 선택하신 경우라면 번거로우시겠지만, 다시 한번 운행기록 확인하셔서 "
            "재접수를 부탁드려요.\n\n"
            "다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의해 주세요. 친절하고 자세하게 "
            "안내해 드릴게요!\n\n"
            f"{_DRIVER_CHAT}\n\n{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md", "call_id": "call_id"},
        description=(
            "미운행건 결제취소 반려 (운행거리&시간 O): 기사 SMS / 챗봇 답변내용. 시드가 이 CEMS "
            "이름을 두 가지로 적음: 표의 'CEMS 문자 템플릿 명'은 "
            "'대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O', 기사 SMS 제목은 "
            "'대리기사_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O'. CEMS에 등록된 "
            "이름이 다르면 팀장이 관리자 화면에서 이름을 고칩니다 (이력 남음)."
        ),
        source=(
            f"{_S002} 2. 반려 (운행거리&시간 O), verbatim; the seed names it without the 대리기사 "
            "prefix although it goes to the driver: the name is kept exactly"
        ),
    ),
    TemplateDef(
        name="대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수하신 건은 이미 결제가 취소되었어요.\n\n"
            "■ 취소금액 : {{ amount }} "
            "■ 취소일자 : {{ cancelled_on }}\n\n"
            "※ 운행을 하지 않았음에도 운행 완료 처리 시, 기사 활동에 불이익을 받으실 수 있는 점 "
            "참고 부탁드립니다.\n\n"
            f"{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md", "amount": "amount", "cancelled_on": "date_ymd"},
        description="미운행건 결제취소 반려 (고객센터 기처리): 기사 SMS / 챗봇 답변내용.",
        source=f"{_S002} 3. 반려 (고객센터 기처리), verbatim",
    ),
    TemplateDef(
        name="대리기사_챗봇게시판_공용(반려)_접수유형외다른문의",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 남겨주신 내용만으로는 어떤 어려움을 겪고 계시는지 정확한 파악이 "
            "어려워요.\n\n"
            "다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의를 부탁드려요. 친절하고 자세히 "
            "안내해 드릴게요!\n\n"
            f"{_DRIVER_CHAT}\n\n{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md"},
        description="챗봇 게시판 공용 반려 (접수유형 외 다른 문의): 기사 SMS / 챗봇 답변내용.",
        source=f"{_S002} 4. 반려 (접수유형 외 다른 문의), verbatim",
    ),
    TemplateDef(
        name="대리기사_챗봇게시판_공용(반려)_중복접수",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수하신 미운행건 결제취소 문의에 대해 안내드려요.\n\n"
            "현재 {{ earlier_received_on }} 동일한 내용으로 접수된 건이 있어 처리 중이니 조금만 더 "
            "기다려주시면 감사하겠습니다.\n\n"
            "양해해 주시는 만큼, 최대한 신속히 도움드릴 수 있도록 노력할게요.\n\n"
            f"{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md", "earlier_received_on": "date_md"},
        description="챗봇 게시판 공용 반려 (중복 접수): 기사 SMS / 챗봇 답변내용.",
        source=f"{_S002} 5. 반려 (중복 접수), verbatim",
    ),
    TemplateDef(
        name="대리기사_챗봇게시판_기사미운행건결제취소(처리중)_취소예정",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 미운행건 결제취소 문의에 대해 안내드려요.\n\n"
            "확인 결과 결제취소 대상으로 확인되어 취소 처리 예정이에요. 취소가 완료되면 다시 "
            "안내해 드릴게요.\n\n"
            "양해해 주시는 만큼, 최대한 신속히 도움드릴 수 있도록 노력할게요.\n\n"
            f"{_DRIVER_CLOSING}"
        ),
        variables={"received_on": "date_md"},
        description=(
            "미운행건 결제취소 승인 건을 즉시 취소하지 못할 때 [기사] 처리예정 SMS: "
            "처리중 (사유: 취소예정). 취소 후에는 '취소완료' SMS가 나갑니다."
        ),
        source=(
            f"{_S002} 1. '※ 관련링크 바로가기 ㄴ처리예정 SMS 발송: ▶ 처리중 (사유: 취소예정)'; the "
            "seed names this message but gives no text: written in the voice of the seed's 002 "
            "cells (a double space is a paragraph break)"
        ),
    ),
    # ------------------------------------------------------------------ seed 003 (EV)
    TemplateDef(
        name="전기차충전_미충전_결제취소완료",
        audience="customer",
        service="ev",
        body=(
            "안녕하세요.\n\n"
            "{{ used_at }} {{ station }} 이용 건 문의에 대해 안내드려요.\n\n"
            "담당부서 확인 결과 실제로 충전되지 않은 것으로 확인되어 결제가 취소되었어요. "
            "이용에 불편을 드려 죄송합니다.\n\n"
            "■ 취소금액 : {{ amount }}\n"
            "※ 카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 "
            "양해 부탁드려요.\n\n"
            "확인까지 기다려 주셔서 감사합니다.\n"
            f"{_CUSTOMER_CLOSING}"
        ),
        variables={"used_at": "datetime", "station": "text", "amount": "amount"},
        description="전기차충전 미충전결제(A)·사후청구 결제 후(D): 담당부서 답변 = 결제취소 완료.",
        source=_S003_VOICE,
    ),
    TemplateDef(
        name="전기차충전_사후청구_결제제외완료",
        audience="customer",
        service="ev",
        body=(
            "안녕하세요.\n\n"
            "{{ used_at }} {{ station }} 이용 건 문의에 대해 안내드려요.\n\n"
            "담당부서 확인 결과 실제로 충전하지 않은 내역으로 확인되어, 해당 금액은 결제되지 않도록 "
            "결제 예정 내역에서 제외되었어요. 이용에 불편을 드려 죄송합니다.\n\n"
            "■ 제외금액 : {{ amount }}\n\n"
            "확인까지 기다려 주셔서 감사합니다.\n"
            f"{_CUSTOMER_CLOSING}"
        ),
        variables={"used_at": "datetime", "station": "text", "amount": "amount"},
        description="전기차충전 사후청구 결제 전(C): 담당부서 답변 = 결제 스케줄 제외 완료.",
        source=_S003_VOICE,
    ),
    TemplateDef(
        name="전기차충전_미충전주장_충전이용확인",
        audience="customer",
        service="ev",
        body=(
            "안녕하세요.\n\n"
            "{{ used_at }} {{ station }} 이용 건 문의에 대해 안내드려요.\n\n"
            "담당부서 확인 결과 해당 일시에 실제 충전 이용 내역이 확인되어, 요금 취소가 어려운 점 "
            "양해 부탁드려요.\n\n"
            "궁금하신 내용이 있다면 카카오 T 고객센터로 문의해 주세요. 친절하게 안내해 드릴게요!\n\n"
            f"{_CUSTOMER_CLOSING}"
        ),
        variables={"used_at": "datetime", "station": "text"},
        description="전기차충전 미충전 주장(A·C·D): 담당부서 답변 = 실제 충전 확인 (취소·제외 불가).",
        source=_S003_VOICE,
    ),
    # ------------------------------------------------------------------ seed 004 (fines)
    TemplateDef(
        name="대리_챗봇게시판_과태료_입금예정",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 과태료 건에 대해 안내드려요.\n\n"
            "확인 결과 과태료 금액을 남겨주신 계좌로 입금해 드릴 예정이에요.\n\n"
            "■ 입금금액 : {{ amount }}\n"
            "■ 입금예정일 : {{ payout_on }} 14시 이후\n\n"
            "이용에 불편을 드려 죄송합니다.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"received_on": "date_md", "amount": "amount", "payout_on": "date_md"},
        description="과태료 지급 건 생성 후 [고객] 입금 예정 SMS (당일 또는 익일 14시 지급).",
        source=_S004_VOICE + " ('[고객] 입금 예정 SMS 전송')",
    ),
    TemplateDef(
        name="대리_챗봇게시판_과태료_담당부서전달_시간소요양해",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 과태료(범칙금) 건은 담당부서의 확인이 필요하여 전달드렸어요.\n\n"
            "담당부서에서 순차적으로 확인 후 처리하다 보니 다소 시간이 소요되는 점 양해 부탁드려요.\n"
            "확인이 완료되면 다시 안내해 드릴게요.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"received_on": "date_md"},
        description="특이이슈 과태료·범칙금 담당자(관리자) 이관 시 [고객] 담당부서 전달 시간소요 양해 SMS.",
        source=_S004_VOICE + " ('[고객] 담당부서 전달 시간소요 양해 SMS 발송')",
    ),
    TemplateDef(
        name="대리_챗봇게시판_과태료_처리완료",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 과태료 건의 처리가 완료되어 안내해 드려요.\n\n"
            "■ 입금금액 : {{ amount }}\n\n"
            "남겨주신 계좌로 입금이 완료되었어요. 이용에 불편을 드려 죄송합니다.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"received_on": "date_md", "amount": "amount"},
        description=(
            "특이이슈 과태료 처리 완료 시 [고객] 처리완료(입금 완료) SMS (시드 ② 10. '처리 완료 "
            "시 [고객] 처리완료 SMS 발송')."
        ),
        source=_S004_VOICE + " ('처리 완료 시 [고객] 처리완료 SMS 발송')",
    ),
    TemplateDef(
        name="대리_챗봇게시판_과태료_처리완료_일반위탁콜",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 과태료 건의 처리가 완료되어 안내해 드려요.\n\n"
            "■ 입금금액 : {{ amount }}\n\n"
            "남겨주신 계좌로 입금이 완료되었어요. 이용에 불편을 드려 죄송합니다.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"received_on": "date_md", "amount": "amount"},
        description=(
            "일반·위탁콜 과태료 지급 완료 시 [고객] 처리완료 SMS. 시드 004의 일반·위탁콜 "
            "프로세스에는 없는 문자라 기본은 꺼져 있고, 팀장이 '사용'을 켜면 다음 결정부터 "
            "계획에 들어갑니다."
        ),
        source=_S004_VOICE + " (not prescribed for 일반/위탁콜: off until a lead turns it on)",
        enabled=False,
    ),
    TemplateDef(
        name="대리기사_챗봇게시판_과태료_포인트차감예정",
        audience="driver",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "콜 ID {{ call_id }} 운행 중 발생한 과태료가 접수되어 안내드려요.\n\n"
            "위반일시와 운행 경로(GPS)를 확인한 결과 해당 운행 중 발생한 과태료로 확인되어, "
            "과태료 금액을 고객님께 지급하고 기사님 포인트에서 차감할 예정이에요.\n\n"
            "■ 차감 예정금액 : {{ amount }}\n\n"
            "다음 운행부터는 주정차 등 교통법규 준수를 부탁드립니다.\n\n"
            f"{_DRIVER_CLOSING}"
        ),
        variables={"call_id": "call_id", "amount": "amount"},
        description="과태료 지급 건 생성 후 [기사] 포인트 차감 예정 SMS (콜 ID 기재, MCRM 발송).",
        source=_S004_VOICE + " ('[기사] 포인트 차감 예정 SMS 전송 - 콜 ID 기재 MCRM에서 발송')",
        # Seed 004 ① 8.: "[기사] 포인트 차감 예정 SMS 전송 - 콜 ID 기재 MCRM에서 발송".
        sending_system="mcrm",
    ),
    TemplateDef(
        name="대리_챗봇게시판_범칙금_처리완료",
        audience="customer",
        service="driver",
        body=(
            "안녕하세요.\n\n"
            "{{ received_on }} 접수해 주신 범칙금 건에 대해 안내드려요.\n\n"
            "기사님께 경찰서 내방 및 범칙금 처리를 안내하여 처리가 완료되었어요.\n"
            "동의해 주신 차량번호는 범칙금 처리를 위해서만 기사님께 전달되었어요.\n\n"
            "이용에 불편을 드려 죄송합니다.\n\n"
            f"{_DRIVER_CUSTOMER_CLOSING}"
        ),
        variables={"received_on": "date_md"},
        description="범칙금(담당자 처리) 완료 시 [고객] 처리완료 SMS.",
        source=_S004_VOICE + " (범칙금 '10. 처리완료 시 [고객] SMS 발송')",
    ),
)

CATALOGUE_BY_NAME: dict[str, TemplateDef] = {t.name: t for t in CATALOGUE}
