"""Account numbers: format rules, masking, the verifiers (format default, bank HTTP adapter)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from fines.accounts import AccountFormatError, check_account_format, mask_account
from fines.verifiers import (
    FormatChecksumVerifier,
    HttpBankVerifier,
    VerifierUnavailable,
    get_verifier,
)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110-abc-123456", "숫자"),
        ("1100001234567890", "11~12자리"),  # Shinhan: 11-12 digits
        ("1100012", "11~12자리"),
        ("111111111111", "같은 숫자"),
        ("", "입력"),
        ("１１０００００１２３４５６", "숫자"),  # full-width digits are not ASCII digits
    ],
)
def test_bad_account_numbers_are_refused_in_korean(number, message):
    with pytest.raises(AccountFormatError, match=message):
        check_account_format(bank="088", number=number)


def test_valid_account_is_normalised():
    assert check_account_format(bank="088", number="110-000 123456") == "110000123456"


def test_unknown_bank_is_refused():
    with pytest.raises(AccountFormatError, match="은행"):
        check_account_format(bank="999", number="110000123456")


def test_mask_shows_only_the_last_four_digits():
    masked = mask_account(bank="088", last4="3456", length=12)
    assert masked == "신한은행 ********3456"
    assert "110000" not in masked


def test_format_verifier():
    verifier = FormatChecksumVerifier()
    assert verifier.verify(bank="088", number="110000123456", holder="홍길동").ok
    bad = verifier.verify(bank="088", number="12", holder="홍길동")
    assert not bad.ok and "자리" in bad.reason
    assert not verifier.verify(bank="088", number="110000123456", holder=" ").ok


def test_default_verifier_comes_from_settings(settings):
    assert isinstance(get_verifier(), FormatChecksumVerifier)
    settings.KMCS_ACCOUNT_VERIFIER = "fines.verifiers.HttpBankVerifier"
    assert isinstance(get_verifier(), HttpBankVerifier)


class _Bank(BaseHTTPRequestHandler):
    answers: dict = {}
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Bank.seen.append((body, self.headers["Authorization"]))
        status, payload = _Bank.answers.get(body["account_number"], (200, {"valid": False}))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(payload).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def bank_server():
    server = HTTPServer(("127.0.0.1", 0), _Bank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Bank.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/verify"
    server.shutdown()


def test_http_verifier_asks_the_bank(bank_server):
    _Bank.answers = {
        "110000123456": (200, {"valid": True, "holder_matches": True}),
        "110000654321": (200, {"valid": True, "holder_matches": False}),
        "110000999999": (200, {"valid": False, "message": "해지된 계좌입니다."}),
        "110000500500": (503, {}),
    }
    verifier = HttpBankVerifier(url=bank_server, token="t0ken", timeout=2)
    assert verifier.verify(bank="088", number="110-000-123456", holder="홍길동").ok
    body, auth = _Bank.seen[-1]
    assert body == {"bank_code": "088", "account_number": "110000123456", "holder_name": "홍길동"}
    assert auth == "Bearer t0ken"
    mismatch = verifier.verify(bank="088", number="110000654321", holder="홍길동")
    assert not mismatch.ok and "예금주" in mismatch.reason
    closed = verifier.verify(bank="088", number="110000999999", holder="홍길동")
    assert not closed.ok and closed.reason == "해지된 계좌입니다."
    with pytest.raises(VerifierUnavailable):
        verifier.verify(bank="088", number="110000500500", holder="홍길동")


def test_http_verifier_refuses_bad_format_without_a_request(bank_server):
    verifier = HttpBankVerifier(url=bank_server, token="t", timeout=2)
    assert not verifier.verify(bank="088", number="12ab", holder="홍길동").ok
    assert _Bank.seen == []


def test_http_verifier_unreachable_is_unavailable_not_a_no():
    verifier = HttpBankVerifier(url="http://127.0.0.1:9/verify", token="t", timeout=1)
    with pytest.raises(VerifierUnavailable):
        verifier.verify(bank="088", number="110000123456", holder="홍길동")
