"""The bank adapter: KFTC open-banking (금융결제원 오픈뱅킹) for the fine payouts (seed 004).

One HTTP client, three doors KMCS uses:

- :class:`OpenBankingVerifier` (``KMCS_ACCOUNT_VERIFIER``): 계좌실명조회
  ``POST /v2.0/inquiry/real_name`` -> the account exists and its holder's name matches
  (seed 004: "계좌 유효성체크 -> 계좌인증 성공").
- :class:`OpenBankingTransferGateway` (``KMCS_BANK_TRANSFER_GATEWAY``): 입금이체
  ``POST /v2.0/transfer/deposit/acnt_num`` from our contract account (약정계좌) in the 14:00
  batch, 이체결과조회 ``POST /v2.0/transfer/result`` for an uncertain one, and the statement of
  the contract account (거래내역조회 by account number, ``GET
  /v2.0/account/transaction_list/acnt_num`` with ``bank_code_std`` + ``account_num``; the
  published spec shows the ``/fin_num`` form with the same query parameters) for the daily
  reconciliation report.
- the token: OAuth2 client credentials ``POST /oauth/2.0/token`` (scope ``oob``), cached until
  shortly before it expires, fetched again once on a 401.

The idempotency key the bank sees is ``bank_tran_id`` (AN(20): 이용기관코드 10 + "U" + 9),
derived from the payout's id (:func:`bank_tran_id_for`): stable, so the same payout always
carries the same id, and unique forever (the spec asks unique per day). Inquiries
(실명조회, 결과조회, 거래내역) take ids starting with "Q" after the "U", which no payout id has.

How answers are classified (the batch relies on it):

- success: HTTP 200, ``rsp_code`` ``A0000`` and the item's ``bank_rsp_code`` ``000``;
- definite refusal (:class:`fines.gateways.TransferResult` with ``ok=False`` and the code):
  HTTP 4xx with a JSON body, or HTTP 200 whose item carries another ``bank_rsp_code``;
- not sent (:class:`TransferNotSent`): the connection was refused, the request never left;
- uncertain (:class:`fines.gateways.TransferUncertain`): timeout, connection reset, 5xx, an
  answer that is not the JSON we expect. Never retried here: the payout goes to 확인 필요.

Configuration (environment): ``KMCS_OPENBANKING_URL``, ``KMCS_OPENBANKING_CLIENT_ID``,
``KMCS_OPENBANKING_CLIENT_SECRET``, ``KMCS_OPENBANKING_ORG_CODE``,
``KMCS_OPENBANKING_CNTR_ACCOUNT``, ``KMCS_OPENBANKING_CNTR_BANK_CODE``,
``KMCS_OPENBANKING_PASS_PHRASE``,
``KMCS_OPENBANKING_TIMEOUT``.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from fines.accounts import AccountFormatError, check_account_format
from fines.gateways import TransferResult, TransferUncertain
from fines.schedule import SEOUL
from fines.verifiers import FormatChecksumVerifier, Verification, VerifierUnavailable

log = logging.getLogger(__name__)

RSP_OK = "A0000"
BANK_RSP_OK = "000"
#: 이체결과조회: the item's ``rsp_code`` when the bank has no transfer with that bank_tran_id
#: ("원거래 없음"). The sandbox answers this code; confirm it with the contract's spec sheet.
RESULT_NOT_FOUND_CODES = frozenset({"A0333"})
#: What the customer's bank statement shows (입금계좌인자내역, AH(20)).
PRINT_CONTENT = "과태료환급"


class OpenBankingError(Exception):
    """Base of the adapter's own errors."""


class TransferNotSent(OpenBankingError):
    """The request never reached the bank (connection refused, not configured): nothing moved,
    the payout may simply wait for the next batch."""


class BankRefused(OpenBankingError):
    """A definite answer that is not a success: HTTP 4xx or a non-success code."""

    def __init__(self, code: str, message: str, status: int = 0):
        super().__init__(f"[{code}] {message}".strip())
        self.code = code
        self.message = message
        self.status = status


def bank_tran_id_for(payout_id: int, org_code: str | None = None) -> str:
    """The payout's ``bank_tran_id``: 이용기관코드 + "U" + the payout id in 9 digits."""
    org = org_code if org_code is not None else settings.KMCS_OPENBANKING_ORG_CODE
    if len(org) != 10 or not org.isalnum():
        raise ValueError("KMCS_OPENBANKING_ORG_CODE 는 이용기관코드 10자리여야 합니다.")
    if not 0 < int(payout_id) < 10**9:
        raise ValueError(f"payout id {payout_id} does not fit a bank_tran_id")
    return f"{org}U{int(payout_id):09d}"


def print_reference(payout_id: int) -> str:
    """출금계좌인자내역 (wd_print_content, our statement): how the statement names the payout."""
    return f"KMCS-P{int(payout_id)}"


def _inquiry_tran_id(org: str) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return f"{org}UQ" + "".join(secrets.choice(alphabet) for _ in range(8))


def _tran_dtime(at: datetime | None = None) -> str:
    return (at or timezone.now()).astimezone(SEOUL).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class StatementLine:
    """One withdrawal of our contract account as the bank's statement shows it."""

    tran_date: date
    tran_time: str
    amount: int
    print_content: str
    bank_tran_id: str = ""


class OpenBankingClient:
    """The HTTP client: token, JSON POST/GET, classification of the answer."""

    _tokens: dict[tuple[str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        *,
        url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        org_code: str | None = None,
        timeout: float | None = None,
    ):
        self.url = (url if url is not None else settings.KMCS_OPENBANKING_URL).rstrip("/")
        self.client_id = client_id if client_id is not None else settings.KMCS_OPENBANKING_CLIENT_ID
        self.client_secret = (
            client_secret if client_secret is not None else settings.KMCS_OPENBANKING_CLIENT_SECRET
        )
        self.org_code = org_code if org_code is not None else settings.KMCS_OPENBANKING_ORG_CODE
        self.timeout = timeout if timeout is not None else settings.KMCS_OPENBANKING_TIMEOUT

    # --- transport -------------------------------------------------------------------------

    def _check_url(self) -> None:
        if not self.url:
            raise TransferNotSent("KMCS_OPENBANKING_URL 이 설정되지 않았습니다.")
        if not self.url.startswith(("http://", "https://")):
            # urlopen also reads file:// and ftp://: only the bank's http(s) API.
            raise TransferNotSent("KMCS_OPENBANKING_URL 은 http(s) 주소여야 합니다.")

    def _send(self, request: urllib.request.Request) -> dict:
        """Send and return the JSON body of a 200; raise the classified error otherwise."""
        try:
            # The scheme is checked by _check_url (http/https only).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            body = _json_or_none(exc.read())
            if 400 <= exc.code < 500 and isinstance(body, dict):
                raise BankRefused(
                    str(body.get("bank_rsp_code") or body.get("rsp_code") or exc.code),
                    str(body.get("bank_rsp_message") or body.get("rsp_message") or ""),
                    exc.code,
                ) from exc
            if 400 <= exc.code < 500:
                raise BankRefused(str(exc.code), "은행 API 요청 거절", exc.code) from exc
            raise TransferUncertain(f"은행 API 오류 (HTTP {exc.code})") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):
                raise TransferNotSent(f"은행 API 연결 거부: {exc.reason}") from exc
            raise TransferUncertain(f"은행 API 응답 없음: {exc.reason}") from exc
        except OSError as exc:  # timeouts, resets (TimeoutError, ConnectionError are OSError)
            raise TransferUncertain(f"은행 API 응답 없음: {exc}") from exc
        body = _json_or_none(raw)
        if not isinstance(body, dict):
            raise TransferUncertain("은행 API 응답을 해석할 수 없습니다.")
        return body

    def token(self, *, refresh: bool = False) -> str:
        """The access token (client credentials, scope oob), cached until 60 s before expiry."""
        self._check_url()
        key = (self.url, self.client_id)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and not refresh and cached[1] > time.monotonic():
                return cached[0]
        data = urllib.parse.urlencode(
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "oob",
                "grant_type": "client_credentials",
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/oauth/2.0/token",
            data=data,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        )
        try:
            body = self._send(request)
        except TransferUncertain as exc:
            # Asking for a token moves no money: "uncertain" here only means "not now".
            raise TransferNotSent(f"토큰 발급 실패: {exc}") from exc
        except BankRefused as exc:
            raise TransferNotSent(f"토큰 발급 거절: {exc}") from exc
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise TransferNotSent("토큰 발급 응답에 access_token 이 없습니다.")
        expires = float(body.get("expires_in") or 3600)
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(expires - 60, 1))
        return token

    def call(self, method: str, path: str, payload: dict) -> dict:
        """An authenticated API call; a 401 (expired token) is asked once more with a new one:
        the bank refused it before doing anything, so asking again moves nothing twice."""
        self._check_url()
        for attempt in (0, 1):
            token = self.token(refresh=attempt == 1)
            if method == "GET":
                query = urllib.parse.urlencode(payload)
                request = urllib.request.Request(
                    f"{self.url}{path}?{query}",
                    method="GET",
                    headers={"Authorization": f"Bearer {token}"},
                )
            else:
                request = urllib.request.Request(
                    f"{self.url}{path}",
                    data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                    method="POST",
                    headers={
                        "Content-Type": "application/json; charset=UTF-8",
                        "Authorization": f"Bearer {token}",
                    },
                )
            try:
                return self._send(request)
            except BankRefused as exc:
                if exc.status == 401 and attempt == 0:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the APIs ----------------------------------------------------------------------------

    def real_name(self, *, bank: str, account_number: str) -> dict:
        """계좌실명조회: ``{"account_holder_name": ..., ...}`` or BankRefused."""
        body = self.call(
            "POST",
            "/v2.0/inquiry/real_name",
            {
                "bank_tran_id": _inquiry_tran_id(self.org_code),
                "bank_code_std": bank,
                "account_num": account_number,
                # KMCS does not collect birth dates: the holder's name is compared instead.
                "account_holder_info_type": " ",
                "account_holder_info": "",
                "tran_dtime": _tran_dtime(),
            },
        )
        _require_ok(body)
        if not isinstance(body.get("account_holder_name"), str):
            raise TransferUncertain("실명조회 응답에 예금주명이 없습니다.")
        return body

    def deposit(
        self,
        *,
        bank_tran_id: str,
        bank: str,
        account_number: str,
        holder: str,
        amount: int,
        reference: str,
    ) -> dict:
        """입금이체 (계좌번호), one item; returns the item of ``res_list``."""
        body = self.call(
            "POST",
            "/v2.0/transfer/deposit/acnt_num",
            {
                "cntr_account_type": "N",
                "cntr_account_num": settings.KMCS_OPENBANKING_CNTR_ACCOUNT,
                "wd_pass_phrase": settings.KMCS_OPENBANKING_PASS_PHRASE,
                "wd_print_content": reference[:20],
                "name_check_option": "on",
                "tran_dtime": _tran_dtime(),
                "req_cnt": "1",
                "req_list": [
                    {
                        "tran_no": "1",
                        "bank_tran_id": bank_tran_id,
                        "bank_code_std": bank,
                        "account_num": account_number,
                        "account_holder_name": holder,
                        "print_content": PRINT_CONTENT,
                        "tran_amt": str(amount),
                        "req_client_name": settings.KMCS_OPENBANKING_CLIENT_NAME,
                        "req_client_num": "KMCS",
                        "transfer_purpose": "TR",
                    }
                ],
            },
        )
        return _single_item(body, bank_tran_id)

    def transfer_result(self, *, bank_tran_id: str, requested_on: date, amount: int) -> dict | None:
        """이체결과조회 (check_type 2 = 입금이체): the item, or None when the bank has none."""
        body = self.call(
            "POST",
            "/v2.0/transfer/result",
            {
                "check_type": "2",
                "tran_dtime": _tran_dtime(),
                "req_cnt": "1",
                "req_list": [
                    {
                        "tran_no": "1",
                        "org_bank_tran_id": bank_tran_id,
                        "org_bank_tran_date": requested_on.strftime("%Y%m%d"),
                        "org_tran_amt": str(amount),
                    }
                ],
            },
        )
        if body.get("rsp_code") != RSP_OK:
            raise TransferUncertain(f"결과조회 실패 [{body.get('rsp_code')}]")
        items = body.get("res_list")
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise TransferUncertain("결과조회 응답을 해석할 수 없습니다.")
        item = items[0]
        if item.get("rsp_code") in RESULT_NOT_FOUND_CODES:
            return None
        if item.get("bank_tran_id") != bank_tran_id or "bank_rsp_code" not in item:
            raise TransferUncertain("결과조회 응답이 요청한 거래와 맞지 않습니다.")
        return item

    def statement(self, *, day: date) -> list[StatementLine]:
        """Withdrawals (출금) of the contract account on ``day`` (거래내역조회)."""
        stamp = day.strftime("%Y%m%d")
        body = self.call(
            "GET",
            "/v2.0/account/transaction_list/acnt_num",
            {
                "bank_tran_id": _inquiry_tran_id(self.org_code),
                "bank_code_std": settings.KMCS_OPENBANKING_CNTR_BANK_CODE,
                "account_num": settings.KMCS_OPENBANKING_CNTR_ACCOUNT,
                "inquiry_type": "O",
                "inquiry_base": "D",
                "from_date": stamp,
                "to_date": stamp,
                "sort_order": "A",
                "tran_dtime": _tran_dtime(),
            },
        )
        _require_ok(body)
        rows = body.get("res_list")
        if not isinstance(rows, list):
            raise TransferUncertain("거래내역 응답을 해석할 수 없습니다.")
        lines = []
        for row in rows:
            try:
                lines.append(
                    StatementLine(
                        tran_date=datetime.strptime(row["tran_date"], "%Y%m%d").date(),
                        tran_time=str(row.get("tran_time", "")),
                        amount=int(row["tran_amt"]),
                        print_content=str(row.get("print_content", "")),
                        bank_tran_id=str(row.get("bank_tran_id", "")),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise TransferUncertain(f"거래내역 한 줄을 해석할 수 없습니다: {row!r}") from exc
        return lines


def _json_or_none(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _require_ok(body: dict) -> None:
    code = body.get("rsp_code")
    if code == RSP_OK and body.get("bank_rsp_code", BANK_RSP_OK) == BANK_RSP_OK:
        return
    if isinstance(code, str) and code:
        raise BankRefused(
            str(body.get("bank_rsp_code") or code),
            str(body.get("bank_rsp_message") or body.get("rsp_message") or ""),
        )
    raise TransferUncertain("은행 API 응답에 응답코드가 없습니다.")


def _single_item(body: dict, bank_tran_id: str) -> dict:
    items = body.get("res_list")
    if body.get("rsp_code") != RSP_OK and not items:
        code = body.get("rsp_code")
        if isinstance(code, str) and code:
            raise BankRefused(code, str(body.get("rsp_message") or ""))
        raise TransferUncertain("입금이체 응답에 응답코드가 없습니다.")
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise TransferUncertain("입금이체 응답을 해석할 수 없습니다.")
    item = items[0]
    if item.get("bank_tran_id") != bank_tran_id or not isinstance(item.get("bank_rsp_code"), str):
        raise TransferUncertain("입금이체 응답이 요청한 거래와 맞지 않습니다.")
    return item


def _result_of(item: dict) -> TransferResult:
    code = item["bank_rsp_code"]
    if code == BANK_RSP_OK:
        return TransferResult(ok=True, reference=str(item.get("bank_tran_id", "")))
    message = str(item.get("bank_rsp_message") or "")
    return TransferResult(
        ok=False,
        reference=str(item.get("bank_tran_id", "")),
        error=f"[{code}] {message}".strip(),
        code=code,
    )


class OpenBankingTransferGateway:
    """The 14:00 batch's bank. ``status`` is the 이체결과조회 the reconciliation asks first."""

    def __init__(self, client: OpenBankingClient | None = None):
        self.client = client or OpenBankingClient()

    def transfer(
        self, *, idempotency_key, bank, account_number, holder, amount, payout_id=None
    ) -> TransferResult:
        if payout_id is None:
            raise TransferNotSent("bank_tran_id 를 만들 지급 id 가 없습니다.")
        bank_tran_id = bank_tran_id_for(payout_id, self.client.org_code)
        try:
            item = self.client.deposit(
                bank_tran_id=bank_tran_id,
                bank=bank,
                account_number=account_number,
                holder=holder,
                amount=amount,
                reference=print_reference(payout_id),
            )
        except BankRefused as exc:
            return TransferResult(ok=False, reference=bank_tran_id, error=str(exc), code=exc.code)
        return _result_of(item)

    def status(
        self, idempotency_key, payout_id=None, *, requested_at=None, amount=None
    ) -> TransferResult | None:
        if payout_id is None or requested_at is None or amount is None:
            raise TransferUncertain("결과조회에 필요한 지급 id·요청일·금액이 없습니다.")
        bank_tran_id = bank_tran_id_for(payout_id, self.client.org_code)
        try:
            item = self.client.transfer_result(
                bank_tran_id=bank_tran_id,
                requested_on=requested_at.astimezone(SEOUL).date(),
                amount=amount,
            )
        except (BankRefused, TransferNotSent) as exc:
            # A refused inquiry says nothing about the transfer: still unknown.
            raise TransferUncertain(f"결과조회 실패: {exc}") from exc
        if item is None:
            return None
        return _result_of(item)

    def statement(self, day: date) -> list[StatementLine]:
        return self.client.statement(day=day)


class OpenBankingVerifier:
    """계좌실명조회 before a payout is created: the account exists and the holder matches."""

    name = "openbanking"

    def __init__(self, client: OpenBankingClient | None = None):
        self.client = client or OpenBankingClient()

    def verify(self, *, bank: str, number: str, holder: str) -> Verification:
        local = FormatChecksumVerifier().verify(bank=bank, number=number, holder=holder)
        if not local.ok:
            return Verification(False, local.reason, self.name)
        try:
            digits = check_account_format(bank=bank, number=number)
        except AccountFormatError as exc:  # pragma: no cover - checked just above
            return Verification(False, str(exc), self.name)
        try:
            body = self.client.real_name(bank=bank, account_number=digits)
        except BankRefused as exc:
            return Verification(False, f"은행에서 계좌를 확인하지 못했습니다 {exc}", self.name)
        except (TransferUncertain, TransferNotSent) as exc:
            raise VerifierUnavailable(str(exc)) from exc
        if _name(body["account_holder_name"]) != _name(holder):
            return Verification(False, "예금주가 일치하지 않습니다.", self.name)
        return Verification(True, "", self.name)


def _name(value: str) -> str:
    return "".join(value.split())
