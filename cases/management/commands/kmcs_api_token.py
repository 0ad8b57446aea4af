"""``manage.py kmcs_api_token USERNAME [--ttl-days N]``: an API token for an integration user.

Prints the token once, alone on standard output (``TOKEN=$(manage.py kmcs_api_token bot)``);
what it is and until when goes to standard error. The database keeps only its digest
(django-rest-knox), so a lost token is replaced by a new one, never looked up. Replaces DRF's
``drf_create_token``, whose tokens were stored in plaintext and never expired.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kmcs_site.api_tokens import ApiTokenRefused, api_token_issue


class Command(BaseCommand):
    help = (
        "연동 시스템 계정에 API 토큰을 발급합니다. 토큰은 한 번만 출력되며 DB에는 해시만 "
        "저장됩니다. 만료일이 지나면 새로 발급하세요."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="연동 시스템(integration) 사용자 이름")
        parser.add_argument(
            "--ttl-days",
            type=int,
            default=None,
            help="유효 기간(일). 기본값: KMCS_API_TOKEN_TTL_DAYS (90)",
        )

    def handle(self, *args, username, ttl_days, **options):
        try:
            issued = api_token_issue(username=username, ttl_days=ttl_days)
        except ApiTokenRefused as exc:
            raise CommandError(exc.message) from exc
        expiry = timezone.localtime(issued.expiry).strftime("%Y-%m-%d %H:%M %Z")
        self.stderr.write(
            f"'{issued.username}'의 API 토큰을 발급했습니다 (만료: {expiry}). 다시 볼 수 없으니 "
            "지금 연동 시스템에 저장하세요. 요청 헤더: Authorization: Token <토큰>"
        )
        self.stdout.write(issued.token)
