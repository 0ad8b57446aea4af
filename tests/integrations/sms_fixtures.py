"""Fixtures of the SMS integration tests (imported by test_sms_gateway.py and test_sms_reports.py):
the real adapters run against the sandbox server on 127.0.0.1."""

import pytest
from django.core.cache import cache

from templates_app import services
from templates_app.resilience import LOCAL_BUCKETS
from tests.sandbox.conftest import sandbox  # noqa: F401 (the fixture)
from tests.templates_app.conftest import DRIVER_BODY, DRIVER_VARS

CALLBACK_SECRET = "test-callback-secret"


@pytest.fixture
def lead(make_user):
    return make_user("team_lead")


@pytest.fixture
def sms_sandbox(sandbox, settings):  # noqa: F811
    """CEMS and MCRM accounts pointed at the sandbox; a short timeout, a small breaker."""
    settings.KMCS_SMS_GATEWAY_CEMS = "templates_app.nhn_sms.NhnCemsGateway"
    settings.KMCS_SMS_GATEWAY_MCRM = "templates_app.nhn_sms.NhnMcrmGateway"
    settings.KMCS_SMS_PROVIDERS = {
        system: {
            "url": sandbox.url,
            "app_key": f"app-{system}",
            "secret": f"secret-{system}",
            "send_no": "0200000000",
            "rate_per_second": 1000,
            "timeout": 0.5,
        }
        for system in ("cems", "mcrm")
    }
    settings.KMCS_SMS_BREAKER_FAILURES = 3
    settings.KMCS_SMS_BREAKER_COOLDOWN_SECONDS = 1
    settings.KMCS_SMS_CALLBACK_SECRET = CALLBACK_SECRET
    settings.CELERY_BROKER_URL = ""
    cache.clear()
    LOCAL_BUCKETS.clear()
    yield sandbox
    cache.clear()
    LOCAL_BUCKETS.clear()


@pytest.fixture
def queue_message(lead):
    """queue_message(key, system="cems") -> a queued message of a CEMS (or MCRM) template."""
    made = {}

    def _queue(key: str = "case-1:driver", system: str = "cems"):
        name = f"테스트_{system}_결제취소"
        if name not in made:
            template = services.template_create(
                name=name,
                audience="driver",
                service="driver",
                body=DRIVER_BODY,
                variables=DRIVER_VARS,
                actor=lead,
                sending_system=system,
            )
            services.template_version_approve(
                version=services.template_draft_version(template), actor=lead
            )
            made[name] = template
        from datetime import date

        return services.message_queue(
            template_name=name,
            recipient="010-0000-1234",
            context={"received_on": date(2024, 3, 5), "amount": 12300},
            idempotency_key=key,
            actor=None,
        )

    return _queue
