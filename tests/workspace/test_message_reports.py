"""Delivery reports on the case page (issue 16): each SMS in the message list and in the plan
says 수신 완료 / 수신 실패 (provider's code) once the carrier answered, the case log tells it
too, and the page costs no more queries than before the reports."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.services import case_decide, case_step_complete, case_step_send
from templates_app.delivery_reports import report_apply
from templates_app.models import OutboundMessage
from templates_app.nhn_sms import DeliveryResult
from tests.templates_app.conftest import RecordingGateway, gateway  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_case(staff, make_case, gateway, django_capture_on_commit_callbacks):  # noqa: F811
    """A decided driver case whose two SMS went out through the gateway (no report yet)."""
    case = make_case(assignee=staff.agent)
    case_decide(case=case, actor=staff.agent)
    for code in ("check_meter", "cancel_payment"):
        case_step_complete(case=case, step_code=code, actor=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    messages = OutboundMessage.objects.filter(object_id=case.pk).order_by("pk")
    assert [m.status for m in messages] == ["sent", "sent"]
    return case


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert found, section_id
    return found.group(0)


def test_the_case_page_shows_each_messages_report_with_a_flat_query_count(
    staff, sent_case, client_for, django_assert_max_num_queries
):
    client = client_for(staff.agent)
    url = reverse("workspace:case", kwargs={"case_id": sent_case.pk})
    with CaptureQueriesContext(connection) as before:
        html = client.get(url).content.decode()
    assert "수신 완료" not in html and "수신 실패" not in html

    customer, driver = OutboundMessage.objects.filter(object_id=sent_case.pk).order_by("audience")
    assert (customer.audience, driver.audience) == ("customer", "driver")
    assert report_apply(
        message=driver, result=DeliveryResult("delivered", "1000", "성공"), source="콜백"
    )
    assert report_apply(
        message=customer, result=DeliveryResult("failed", "3015", "수신 거부"), source="조회"
    )

    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    listed = _section(html, "messages-to-send")
    assert listed.count("수신 완료") == 1
    assert listed.count("수신 실패 (3015)") == 1
    # The plan's step shows them too, and the case log tells when the carrier answered.
    assert html.count("수신 실패 (3015)") >= 2
    assert "문자 수신 완료" in html
    assert "문자 수신 실패 (3015)" in html


def test_the_case_log_names_a_dead_letter(staff, sent_case, client_for):
    """A message whose transient failures used every attempt is on the log as waiting for a
    lead, with the last error."""
    message = OutboundMessage.objects.filter(object_id=sent_case.pk).first()
    message.status = OutboundMessage.Status.DEAD_LETTER
    message.last_error = "GatewayError: HTTP 503"
    message._change_reason = "재시도 소진 (5회 일시 오류): 팀장 재처리 대기"
    message.save()
    html = (
        client_for(staff.lead)
        .get(reverse("workspace:case", kwargs={"case_id": sent_case.pk}))
        .content.decode()
    )
    assert "문자 발송 보류 (재처리 대기)" in html
    assert "HTTP 503" in html
