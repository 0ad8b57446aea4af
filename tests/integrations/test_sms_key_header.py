"""The NHN adapter sends outbox rows whose idempotency key is not ASCII.

The case plan's message keys name the template (``case:20:대리_챗봇게시판_과태료_입금예정:customer``);
HTTP header values are Latin-1, so the key cannot go into ``X-Idempotency-Key`` as it is. The
chaos run (bench/chaos.py through the sandbox) found every such message dead-lettered after
five UnicodeEncodeErrors. Both the header and ``recipientGroupingKey`` now carry the provider
key, a short ASCII hash of the idempotency key (NHN keeps 100 characters at most), so the
search by key finds what the first attempt sent.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kmcs_site.sandbox import core
from templates_app.gateways import SmsRequest, provider_key
from templates_app.nhn_sms import NhnCemsGateway
from tests.sandbox.conftest import sandbox  # noqa: F401 (the fixture)

KEY = "case:20:대리_챗봇게시판_과태료_입금예정:customer"


@pytest.fixture
def cems(sandbox, settings):  # noqa: F811
    settings.KMCS_SMS_PROVIDERS = {
        "cems": {
            "url": sandbox.url,
            "app_key": "test-cems",
            "secret": "s3cret",
            "send_no": "0200000000",
            "rate_per_second": 0,
        }
    }
    settings.KMCS_SMS_HTTP_TIMEOUT = 2.0
    with core.LOCK:
        core.BEHAVIOUR["sms"] = {"secret": "s3cret", "report": "none"}
    return NhnCemsGateway()


def _request(attempt: int = 1) -> SmsRequest:
    return SmsRequest(
        recipient="01000001234",
        body="[카카오T] 과태료 입금 예정 안내",
        idempotency_key=KEY,
        length_class="SMS",
        message_id=1,
        attempt=attempt,
    )


def _accepted() -> list[dict]:
    with core.LOCK:
        return [dict(r) for r in core.STATE.get("sms", {}).get("accepted", [])]


@pytest.mark.django_db
def test_a_korean_idempotency_key_is_sent_and_kept(cems):
    receipt = cems.send(_request())

    rows = _accepted()
    assert [r["recipientGroupingKey"] for r in rows] == [provider_key(KEY)]
    assert receipt.provider_message_id.split(":")[3] == rows[0]["requestId"]
    sent = [r for r in core.RECEIVED if r["note"].startswith("send")]
    assert len(sent) == 1


@pytest.mark.django_db
def test_a_repeat_with_a_korean_key_is_found_not_sent_again(cems):
    with core.LOCK:
        core.BEHAVIOUR["sms"]["honour_idempotency_key"] = False  # like NHN: only the search
    first = cems.send(_request())
    again = cems.send(_request(attempt=2))

    assert again.provider_message_id == first.provider_message_id
    assert len(_accepted()) == 1


def test_the_header_form_of_a_key_is_ascii_and_one_to_one():
    from templates_app.nhn_sms import idempotency_header

    assert idempotency_header(KEY) == quote(KEY, safe="")
    assert idempotency_header(KEY).isascii()
    assert idempotency_header("chaos:1:2:3") != idempotency_header("chaos:1:2:4")
