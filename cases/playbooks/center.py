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
