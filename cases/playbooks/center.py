"""The center's settings as the playbooks see them: a plain value, no database.

``cases.playbooks.env.DatabaseEnv.center_rules(at)`` answers it from ``rules.CenterSettings``
(the row in force at ``at``, edited by leads in the admin); ``StaticEnv`` carries one for tests.
The defaults here are the seeds' values, used only by test envs and by envs that predate the
question (see :func:`center_rules`); stored data wins everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time


@dataclass(frozen=True)
class CenterRules:
    payout_cutoff: time = time(14, 0)
    payout_batch_time: time = time(14, 0)
    dispute_driver_share_pct: int = 50
    dispute_company_share_pct: int = 50
    dashcam_wait_days: int = 14
    evidence_max_distance_m: int = 300
    evidence_time_slack_minutes: int = 10
    evidence_parking_window_hours: int = 24
    coupon_link: str = "https://t.kakao.com/launch?page=coupon"
    deposit_account: str = "과태료(수도) 신한은행 000-000-000000 (placeholder)"
    # seed 003 service levels (due rules of kmcs_site.business_time), the center's own numbers
    ev_team_answer_rule: str = "business_days:3"
    ev_cpo_answer_rule: str = "business_days:3"
    ev_customer_sms_rule: str = "business_days:1"
    # Agit boards / templates the seeds name
    agit_nonride_board: str = "[운영] 대리 CS 대응"
    agit_nonride_template: str = "챗보드_요금조정(광주KMCC)"
    agit_ev_cpo_board: str = "전기차충전cs"
    agit_ev_postbill_board: str = "사후청구 결제취소"
    agit_parking_board: str = "아지트"
    # 빌링처리 메모 formats per outcome ("" = the seed's "-": no memo)
    billing_memo_nonride_approved: str = "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"
    billing_memo_nonride_rejected_ride_recorded: str = ""
    billing_memo_nonride_rejected_already_processed: str = ""
    billing_memo_nonride_rejected_other_inquiry: str = ""
    billing_memo_nonride_rejected_duplicate: str = ""
    billing_memo_double_payment_cancel: str = "이중결제[타사주차권] 주차패스 결제취소 / {amount}"
    # seed 003 "미충전 어드민 가이드 유형 A/B/C": each guide's link ("" = title only)
    ev_guide_a_url: str = ""
    ev_guide_b_url: str = ""
    ev_guide_c_url: str = ""

    def nonride_billing_memo(self, outcome: str) -> str:
        """Seed 002's 빌링처리 메모 for ``outcome`` ('' for none, e.g. needs_review)."""
        return getattr(self, f"billing_memo_nonride_{outcome}", "")

    def double_payment_billing_memo(self, amount: str) -> str:
        """Seed 000's cancellation memo with the amount as the playbook writes it."""
        return self.billing_memo_double_payment_cancel.replace("{amount}", amount)

    def split(self, amount: int) -> tuple[int, int]:
        """(driver share, company share) of a cash payment, integer KRW; the company pays the
        odd won, so the driver never carries more than their percentage."""
        if amount <= 0:
            raise ValueError("금액은 0보다 커야 합니다.")
        driver = amount * self.dispute_driver_share_pct // 100
        return driver, amount - driver


def center_rules(env, at: datetime) -> CenterRules:
    """``env.center_rules(at)``; an Env written before the question existed gets the seeds'
    values (a test double that only answers routes and campaigns)."""
    ask = getattr(env, "center_rules", None)
    return ask(at) if ask is not None else CenterRules()
