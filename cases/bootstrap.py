"""``manage.py kmcs_bootstrap`` hook: complete the cases app's reference data (idempotent)."""

from cases.reference_data import seed_campaigns, seed_consultation_types


def run(*, stdout) -> None:
    from cases.models import Campaign, ConsultationType

    types = seed_consultation_types(ConsultationType)
    campaigns = seed_campaigns(Campaign)
    stdout.write(f"  cases: 상담유형 {types}건, 캠페인 {campaigns}건 추가")
