"""Fixtures of the templates_app tests: a recording gateway and templates made through services."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from templates_app import services
from templates_app.gateways import GatewayError, SmsReceipt, SmsRequest

GATEWAY_PATH = "tests.templates_app.conftest.RecordingGateway"


class RecordingGateway:
    """Counts calls (class-level: get_gateway() makes a new instance per send).

    ``failures`` is a list of exceptions raised by the next calls, in order; ``on_send`` runs
    inside send (to simulate a second task arriving while the first is sending).
    """

    calls: list[SmsRequest] = []
    failures: list[Exception] = []
    on_send: Callable[[SmsRequest], None] | None = None
    lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.calls = []
        cls.failures = []
        cls.on_send = None

    def send(self, request: SmsRequest) -> SmsReceipt:
        with self.lock:
            type(self).calls.append(request)
            failure = type(self).failures.pop(0) if type(self).failures else None
        hook = type(self).on_send
        if hook is not None:
            hook(request)
        if failure is not None:
            raise failure
        return SmsReceipt(provider_message_id=f"test-{len(type(self).calls)}")


@pytest.fixture
def gateway(settings):
    settings.KMCS_SMS_GATEWAY = GATEWAY_PATH
    settings.KMCS_SMS_RETRY_BASE_SECONDS = 30
    RecordingGateway.reset()
    yield RecordingGateway
    RecordingGateway.reset()


@pytest.fixture
def lead(make_user):
    return make_user("team_lead")


@pytest.fixture
def agent(make_user):
    return make_user("agent")


DRIVER_BODY = (
    "안녕하세요.\n{{ received_on }} 접수해 주신 미운행건 결제취소 문의에 대한 처리가 완료되어 "
    "안내해 드려요.\n■ 취소금액 : {{ amount }}\n카카오 T 파트너 운영센터 드림"
)
DRIVER_VARS = {"received_on": "date_md", "amount": "amount"}


@pytest.fixture
def make_template(lead):
    """make_template(name, body=..., variables=..., approve=True) through the services."""

    def _make(
        name: str = "테스트_기사_결제취소(승인)",
        *,
        body: str = DRIVER_BODY,
        variables: dict | None = None,
        audience: str = "driver",
        service: str = "driver",
        approve: bool = True,
    ):
        template = services.template_create(
            name=name,
            audience=audience,
            service=service,
            body=body,
            variables=DRIVER_VARS if variables is None else variables,
            actor=lead,
        )
        if approve:
            services.template_version_approve(
                version=services.template_draft_version(template), actor=lead
            )
        return template

    return _make


def raise_transient(message: str = "provider timeout") -> GatewayError:
    return GatewayError(message)
