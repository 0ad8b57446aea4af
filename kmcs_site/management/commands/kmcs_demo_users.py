"""Create (or refresh) the demo users, one per role, with a printed dev password.

Idempotent: a second run keeps every user and its data; only the password and the role
membership are set again. Refuses to run with DEBUG off unless --force, so a production
database never gets a known password.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kmcs_site.permissions import Role

DEMO_USERS = [
    # username, role, display name (fake), is_staff
    ("lead", Role.TEAM_LEAD, "데모 팀장", True),
    ("deputy", Role.DEPUTY_LEAD, "데모 부팀장", True),
    ("agent", Role.AGENT, "데모 상담사", True),
    ("agent2", Role.AGENT, "데모 상담사2", True),
    ("manager", Role.MANAGER, "데모 담당자", True),
    ("auditor", Role.AUDITOR, "데모 감사", True),
]


class Command(BaseCommand):
    help = "데모 사용자(lead, deputy, agent, agent2, manager, auditor)를 만들거나 갱신합니다."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="kmcs-demo-2024!", help="dev password")
        parser.add_argument("--force", action="store_true", help="DEBUG가 꺼져 있어도 실행")

    @transaction.atomic
    def handle(self, *args, password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG가 꺼진 환경에서는 데모 사용자를 만들지 않습니다 (--force로 강제)."
            )
        User = get_user_model()
        for username, role, name, is_staff in DEMO_USERS:
            group = Group.objects.filter(name=role.value).first()
            if group is None:
                raise CommandError(f"역할 그룹 '{role.value}'이 없습니다. 먼저 migrate 하세요.")
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@kmcs.example", "first_name": name},
            )
            user.is_staff = is_staff
            user.is_superuser = False
            user.set_password(password)
            user.save()
            user.groups.set([group])
            verb = "생성" if created else "갱신"
            self.stdout.write(f"  {username:<8} {role.value:<12} {verb}")
        self.stdout.write(self.style.SUCCESS(f"데모 사용자 비밀번호: {password}"))
