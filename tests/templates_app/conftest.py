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


@pytest.fixture
def make_agent_case(lead):
    """make_agent_case(user) -> a case assigned to ``user``. An agent sees and acts on the
    messages of the cases they work only (the outbox follows case ownership, issue 12), so the
    messages agents act on in these tests belong to such a case."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cases.services import case_assign, case_create

    at = datetime(2024, 6, 17, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    calls = iter(range(880_001, 889_999))

    def _make(user):
        result = case_create(
            playbook="driver_nonride_cancel",
            facts={
                "received_on": "2024-06-17",
                "driver_id": "drv-0001",
                "call_id": str(next(calls)),
                "already_cancelled": False,
                "has_open_duplicate": False,
                "meter_distance_km": "0.0",
                "meter_minutes": 1,
                "start_equals_last_point": True,
                "cancel_reason_recorded": False,
                "fare_amount": 15000,
                "called_on": "2024-06-16",
                "origin": "강남역",
                "ob_unreachable": False,
            },
            channel="chatbot_board",
            actor=lead,
            customer_phone="010-0000-1234",
            driver_phone="010-0000-5678",
            driver_id="drv-0001",
            at=at,
        )
        assert result.created, result.message
        case_assign(case=result.case, assignee=user, actor=lead, at=at)
        return result.case

    return _make
