"""``manage.py kmcs_dashboard_summary [--rebuild]``: bring the dashboard summary up to date
(what the beat job does every minute), or re-count every day."""

from django.core.management.base import BaseCommand

from cases.dashboard.summary import summary_refresh


class Command(BaseCommand):
    help = "대시보드 일별 집계를 갱신합니다 (--rebuild: 전체 재집계)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="모든 날짜를 다시 집계")

    def handle(self, *args, rebuild=False, **options):
        result = summary_refresh(rebuild=rebuild)
        self.stdout.write(f"집계 갱신: {result['days']}일, {result['rows']}행")
