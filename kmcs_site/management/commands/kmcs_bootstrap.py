"""Load the reference data every app needs (routes, templates, consultation types, campaigns).

Each app that has reference data provides ``<app>/bootstrap.py`` with an idempotent
``run(*, stdout) -> None`` (creates what is missing, never overwrites what people edited). The
data migrations load the same data on a fresh database; this command repairs or completes an
existing one, and ``./bin/dev`` runs it every time.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

APPS_WITH_REFERENCE_DATA = ("partners", "templates_app", "cases", "rules")


class Command(BaseCommand):
    help = "플레이북·제휴사 라우팅·문자 템플릿 등 기준 데이터를 적재합니다 (여러 번 실행해도 안전)."

    def handle(self, *args, **options):
        for app in APPS_WITH_REFERENCE_DATA:
            try:
                module = import_module(f"{app}.bootstrap")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.bootstrap":
                    raise
                continue
            with transaction.atomic():
                module.run(stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS(f"  {app}: 기준 데이터 확인 완료"))
