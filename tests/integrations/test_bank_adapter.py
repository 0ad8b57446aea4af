# ruff: noqa: F811 (pytest fixtures imported from bank_fixtures are used as arguments)
"""The KFTC open-banking adapter (fines/openbanking.py) against the sandbox bank over HTTP:
happy path, 4xx with a bank code, 5xx, timeout, malformed answer, repeated bank_tran_id,
expired token, connection refused; the account-holder check (계좌실명조회)."""

from __future__ import annotations

import socket

import pytest

from fines.gateways import TransferUncertain
from fines.openbanking import (
    OpenBankingClient,
    OpenBankingTransferGateway,
    OpenBankingVerifier,
    TransferNotSent,
    bank_tran_id_for,
)
from fines.verifiers import VerifierUnavailable
from tests.integrations.bank_fixtures import bank, behave, executed, received, sandbox  # noqa: F401

ACCOUNT = "110000123456"  # fake Shinhan-length number
PAYOUT_ID = 4242


def _transfer(gateway=None, *, payout_id=PAYOUT_ID, account=ACCOUNT, amount=40000):
    gateway = gateway or OpenBankingTransferGateway()
    return gateway.transfer(
        idempotency_key=f"fine:{payout_id}:payout",
        bank="088",
        account_number=account,
        holder="홍길동",
        amount=amount,
        payout_id=payout_id,
    )


def test_bank_tran_id_is_the_org_code_u_and_the_payout_id():
    assert bank_tran_id_for(42, "M202600001") == "M202600001U000000042"
    assert len(bank_tran_id_for(999_999_999, "M202600001")) == 20
    with pytest.raises(ValueError):
        bank_tran_id_for(1, "short")


def test_happy_path_deposits_once_and_the_result_inquiry_agrees(bank):
    result = _transfer()
    assert result.ok and result.reference == "M202600001U000004242"
    moved = executed(bank)
    assert [(m["bank_tran_id"], m["amount"]) for m in moved] == [("M202600001U000004242", 40000)]
    # Our statement names the payout (출금 인자내역).
    assert moved[0]["print_content"] == "KMCS-P4242"
    from datetime import datetime

    status = OpenBankingTransferGateway().status(
        "k", payout_id=PAYOUT_ID, requested_at=datetime.now().astimezone(), amount=40000
    )
    assert status.ok
    # One token for both calls (cached), client credentials.
    assert len(received(bank, "/oauth/2.0/token")) == 1


def test_a_repeated_bank_tran_id_answers_the_first_result_and_moves_no_money(bank):
    first = _transfer()
    again = _transfer()
    assert first == again
    assert len(executed(bank)) == 1


def test_4xx_with_a_bank_code_is_a_definite_failure_with_the_code(bank):
    behave(bank, reject_next=1, reject_code="400", reject_message="계좌오류")
    result = _transfer()
    assert not result.ok and result.code == "400"
    assert "계좌오류" in result.error
    assert executed(bank) == []


def test_an_account_that_does_not_exist_is_refused_with_the_code(bank):
    result = _transfer(account="110000129999")
    assert not result.ok and result.code == "400" and executed(bank) == []


def test_5xx_is_uncertain(bank):
    behave(bank, fail_next=1, status=503)
    with pytest.raises(TransferUncertain):
        _transfer()


def test_a_timeout_is_uncertain_although_the_bank_moved_the_money(bank):
    behave(bank, uncertain_next=1, uncertain_mode="timeout", timeout_ms=1500)
    with pytest.raises(TransferUncertain):
        _transfer()
    assert len(executed(bank)) == 1


def test_a_malformed_answer_is_uncertain(bank):
    behave(bank, uncertain_next=1, uncertain_mode="malformed")
    with pytest.raises(TransferUncertain):
        _transfer()
    assert len(executed(bank)) == 1


def test_500_after_the_transfer_is_uncertain_and_the_inquiry_finds_it(bank):
    from datetime import datetime

    behave(bank, uncertain_next=1, uncertain_mode="500")
    with pytest.raises(TransferUncertain):
        _transfer()
    gateway = OpenBankingTransferGateway()
    found = gateway.status(
        "k", payout_id=PAYOUT_ID, requested_at=datetime.now().astimezone(), amount=1
    )
    assert found.ok
    missing = gateway.status("k", payout_id=7, requested_at=datetime.now().astimezone(), amount=1)
    assert missing is None


def test_an_expired_token_is_replaced_once(bank):
    assert _transfer(payout_id=1).ok
    behave(bank, revoke_tokens=True)
    assert _transfer(payout_id=2).ok
    assert len(received(bank, "/oauth/2.0/token")) == 2
    assert len(executed(bank)) == 2


def test_a_wrong_client_secret_never_reaches_the_transfer(bank, settings):
    settings.KMCS_OPENBANKING_CLIENT_SECRET = "wrong"
    OpenBankingClient._tokens.clear()
    with pytest.raises(TransferNotSent):
        _transfer()
    assert received(bank, "/v2.0/transfer/deposit/acnt_num") == []


def test_connection_refused_is_not_sent(settings):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    client = OpenBankingClient(
        url=f"http://127.0.0.1:{port}", client_id="x", client_secret="y", org_code="M202600001"
    )
    with pytest.raises(TransferNotSent):
        _transfer(OpenBankingTransferGateway(client))


# --- 계좌실명조회 -------------------------------------------------------------------------------


def test_account_holder_check(bank):
    verifier = OpenBankingVerifier()
    assert verifier.verify(bank="088", number=ACCOUNT, holder="홍 길동").ok
    wrong = verifier.verify(bank="088", number=ACCOUNT, holder="김철수")
    assert not wrong.ok and wrong.reason == "예금주가 일치하지 않습니다."
    missing = verifier.verify(bank="088", number="110000129999", holder="홍길동")
    assert not missing.ok and "계좌오류" in missing.reason
    assert len(received(bank, "/v2.0/inquiry/real_name")) == 3


def test_account_holder_check_5xx_means_try_later(bank):
    behave(bank, fail_next=1, status=502)
    with pytest.raises(VerifierUnavailable):
        OpenBankingVerifier().verify(bank="088", number=ACCOUNT, holder="홍길동")
