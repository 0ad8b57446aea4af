"""Today's values of the center's settings (seeds 000-004), as plain data.

Loaded once into the database by ``rules/migrations/0002_today.py``; after that a lead or the
manager changes them in the admin (``rules.CenterSettings``, audited, effective from a moment).
No code reads these numbers to decide anything: the playbooks and fines read the row in force
through ``rules.selectors.center_rules`` / the playbooks' ``env``.
"""

from __future__ import annotations

TODAY = {
    # seed 004: "어드민 생성 시간에 따라 당일 또는 익일 14시 지급"
    "payout_cutoff": "14:00",
    "payout_batch_time": "14:00",
    # seed 004: 블랙박스 없음 -> 현금 지급, 기사 50% / 당사 50%
    "dispute_driver_share_pct": 50,
    "dispute_company_share_pct": 50,
    # seed 004: 블랙박스 영상 요청 (2주 정도 소요)
    "dashcam_wait_days": 14,
    # evidence check (seed 004: 위반 시간·장소 vs 운행 GPS)
    "evidence_max_distance_m": 300,
    "evidence_time_slack_minutes": 10,
    "evidence_parking_window_hours": 24,
    # seed 000: coupon link of the T 주차권 campaign
    "coupon_link": "https://t.kakao.com/launch?page=coupon",
    # seed 004: 위탁콜 과태료 입금 계좌 (placeholder; the real one is entered by the manager)
    "deposit_account": "과태료(수도) 신한은행 000-000-000000 (placeholder)",
}

#: Values added by ``rules/migrations/0005_...`` (issue 15 A, round 4): a separate dict because
#: migration 0002 creates its row from ``TODAY`` with the model as it was then.
TODAY_SINCE_0005 = {
    # seed 003: "담당부서의 경우 순차적으로 확인 후 처리하다 보니 다소 시간이 소요": no number in
    # the seed; the center's level (was KMCS_SERVICE_LEVELS team/cpo: 3 business days)
    "ev_team_answer_rule": "business_days:3",
    "ev_cpo_answer_rule": "business_days:3",
    # seed 003: "담당부서로 확인 후 문자 안내": once the team answered, the customer's SMS by
    # the next business day (the center's level; the seed gives none)
    "ev_customer_sms_rule": "business_days:1",
    # seed 002: 아지트 작성 "[운영] 대리 CS 대응 > [챗보드_요금조정(광주KMCC)]"
    "agit_nonride_board": "[운영] 대리 CS 대응",
    "agit_nonride_template": "챗보드_요금조정(광주KMCC)",
    # seed 003: "아지트 [전기차충전cs] 전달", "아지트 [사후청구 결제취소] 전달"
    "agit_ev_cpo_board": "전기차충전cs",
    "agit_ev_postbill_board": "사후청구 결제취소",
    # seed 000: "인천공항 주차장 관련 모든 요청은 아지트로 확인 요청" (no board named)
    "agit_parking_board": "아지트",
    # seed 002: 빌링처리 메모 "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS" (반려: "-")
    "billing_memo_nonride_approved": "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS",
    # seed 000 prescribes no memo text; the center's format of the cancellation ({amount})
    "billing_memo_double_payment_cancel": "이중결제[타사주차권] 주차패스 결제취소 / {amount}",
}
