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
