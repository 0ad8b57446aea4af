"""Issue 15 B 002/004: a template's CEMS name is data, its key is not; each template names the
system that sends it (CEMS or MCRM) and the outbox routes to that system's gateway; a template
the seed does not prescribe is off until a lead turns it on."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from templates_app import services
from templates_app.catalogue import CATALOGUE_BY_NAME
from templates_app.models import OutboundMessage, SmsTemplate
from tests.templates_app.conftest import GATEWAY_PATH, RecordingGateway

pytestmark = pytest.mark.django_db

PHONE = "010-0000-1234"
# Seed 002, 2.: "| CEMS 문자 템플릿 명 | 대리\_챗봇게시판\_기사미운행건결제취소(반려)\_운행거리&시간O |"
# and its SMS heading "기사 SMS / 답변내용 - 대리기사\_챗봇게시판\_기사미운행건결제취소(반려)\_운행거리&시간O"
TABLE_NAME = "대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O"
HEADING_NAME = "대리기사_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O"
# Seed 004 ① 8.: "[기사] 포인트 차감 예정 SMS 전송 - 콜 ID 기재 MCRM에서 발송"
POINTS = "대리기사_챗봇게시판_과태료_포인트차감예정"


class McrmGateway(RecordingGateway):
    calls: list = []


def _change_data(template, **overrides):
    working = template.versions.order_by("-number").first()
    data = {
        "name": template.name,
        "sending_system": template.sending_system,
        "enabled": "on" if template.enabled else "",
        "audience": template.audience,
        "service": template.service,
        "description": template.description,
        "source": template.source,
        "body": working.body,
        "variables": __import__("json").dumps(working.variables, ensure_ascii=False),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": str(template.versions.count()),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_every_catalogue_template_is_keyed_by_its_original_name():
    for definition in CATALOGUE_BY_NAME.values():
        row = SmsTemplate.objects.get(code=definition.key)
        assert row.code == definition.name  # the key was filled from today's name


def test_the_description_names_both_spellings_of_the_seed():
    description = SmsTemplate.objects.get(code=TABLE_NAME).description
    assert TABLE_NAME in description and HEADING_NAME in description


def test_a_lead_corrects_the_cems_name_in_the_admin_and_playbooks_still_find_it(client, lead):
    template = SmsTemplate.objects.get(code=TABLE_NAME)
    client.force_login(lead)
    response = client.post(
        reverse("admin:templates_app_smstemplate_change", args=[template.pk]),
        _change_data(template, name=HEADING_NAME),
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    template.refresh_from_db()
    assert template.name == HEADING_NAME
    assert template.code == TABLE_NAME  # the key never moves
    newest = template.history.order_by("-history_id").first()
    assert newest.history_change_reason == (f"CEMS 템플릿 명 변경: {TABLE_NAME} → {HEADING_NAME}")
    assert newest.history_user == lead
    assert template.history.filter(name=TABLE_NAME).exists()  # the old name is in history

    # The driver_nonride_cancel playbook names the template by its key: it still renders.
    message = services.message_queue(
        template_name=TABLE_NAME,
        recipient=PHONE,
        context={"received_on": date(2024, 11, 20), "call_id": "123456"},
        idempotency_key="key-renamed",
        actor=lead,
        audience="driver",
    )
    assert message.template_id == template.pk
    assert message.template.name == HEADING_NAME


def test_a_name_another_template_uses_is_refused_in_korean(lead):
    template = SmsTemplate.objects.get(code=TABLE_NAME)
    other = SmsTemplate.objects.exclude(pk=template.pk).first()
    with pytest.raises(services.TemplateError, match="이미 다른 템플릿이 씁니다"):
        services.template_update(
            template=template,
            actor=lead,
            audience=template.audience,
            service=template.service,
            description=template.description,
            source=template.source,
            name=other.name,
        )
    template.refresh_from_db()
    assert template.name == TABLE_NAME


def test_the_points_sms_is_an_mcrm_template_and_the_others_cems():
    assert SmsTemplate.objects.get(code=POINTS).sending_system == "mcrm"
    assert set(
        SmsTemplate.objects.exclude(code=POINTS).values_list("sending_system", flat=True)
    ) == {"cems"}


def test_an_mcrm_template_goes_to_the_mcrm_gateway_and_a_cems_one_to_cems(settings, lead):
    settings.KMCS_SMS_GATEWAY = GATEWAY_PATH
    settings.KMCS_SMS_GATEWAY_MCRM = f"{__name__}.McrmGateway"
    RecordingGateway.reset()
    McrmGateway.calls = []
    points = services.message_queue(
        template_name=POINTS,
        recipient=PHONE,
        context={"call_id": "987654", "amount": 40000},
        idempotency_key="mcrm-1",
        actor=lead,
    )
    cems = services.message_queue(
        template_name=TABLE_NAME,
        recipient=PHONE,
        context={"received_on": date(2024, 11, 20), "call_id": "123456"},
        idempotency_key="cems-1",
        actor=lead,
    )
    assert services.message_deliver(message_id=points.pk).status == OutboundMessage.Status.SENT
    assert services.message_deliver(message_id=cems.pk).status == OutboundMessage.Status.SENT
    assert [c.idempotency_key for c in McrmGateway.calls] == ["mcrm-1"]
    assert [c.idempotency_key for c in RecordingGateway.calls] == ["cems-1"]


def test_both_systems_default_to_the_configured_gateway(settings):
    from templates_app.gateways import gateway_path

    settings.KMCS_SMS_GATEWAY = GATEWAY_PATH
    settings.KMCS_SMS_GATEWAY_CEMS = ""
    settings.KMCS_SMS_GATEWAY_MCRM = ""
    assert gateway_path("cems") == gateway_path("mcrm") == GATEWAY_PATH


def test_the_general_fine_done_sms_is_off_until_a_lead_turns_it_on():
    # Seed 004 prescribes "10. 처리 완료 시 [고객] 처리완료 SMS 발송" for special-issue fines
    # only; the general/consigned columns end at "9. 처리 결과 아지트 히스토리 작성".
    assert SmsTemplate.objects.get(code="대리_챗봇게시판_과태료_처리완료").enabled
    assert not SmsTemplate.objects.get(code="대리_챗봇게시판_과태료_처리완료_일반위탁콜").enabled
