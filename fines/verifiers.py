"""Account validity check before a payout is created (seed 004: 계좌 유효성체크 -> 계좌인증 성공).

Pluggable: ``KMCS_ACCOUNT_VERIFIER`` names the class. The default checks the format offline
(digits, the bank's length range, not one repeated digit); :class:`HttpBankVerifier` asks the
bank's account-holder API and also compares the holder's name.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .accounts import AccountFormatError, check_account_format


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str = ""  # Korean, shown to the agent when not ok
    verifier: str = ""


class VerifierUnavailable(Exception):
    """The verifier could not answer (bank API down, timeout): try again later, not a 'no'."""


class AccountVerifier(Protocol):
    name: str

    def verify(self, *, bank: str, number: str, holder: str) -> Verification: ...


class FormatChecksumVerifier:
    """Offline: the account number could exist at that bank (no holder-name check)."""

    name = "format"

    def verify(self, *, bank: str, number: str, holder: str) -> Verification:
        try:
            check_account_format(bank=bank, number=number)
        except AccountFormatError as exc:
            return Verification(False, str(exc), self.name)
        if not holder.strip():
            return Verification(False, "예금주를 입력하세요.", self.name)
        return Verification(True, "", self.name)


class HttpBankVerifier:
    """The bank's account-holder inquiry (예금주 조회) over HTTPS.

    POSTs ``{"bank_code", "account_number", "holder_name"}`` as JSON to
    ``KMCS_BANK_VERIFY_URL`` with a bearer token and expects ``{"valid": bool,
    "holder_matches": bool, "message": str}``. Format errors are refused before any request.
    """

    name = "bank_api"

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout=None):
        self.url = url if url is not None else settings.KMCS_BANK_VERIFY_URL
        self.token = token if token is not None else settings.KMCS_BANK_API_TOKEN
        self.timeout = timeout if timeout is not None else settings.KMCS_BANK_API_TIMEOUT

    def verify(self, *, bank: str, number: str, holder: str) -> Verification:
        local = FormatChecksumVerifier().verify(bank=bank, number=number, holder=holder)
        if not local.ok:
            return Verification(False, local.reason, self.name)
        if not self.url:
            raise VerifierUnavailable("KMCS_BANK_VERIFY_URL 이 설정되지 않았습니다.")
        if not self.url.startswith(("http://", "https://")):
            # urlopen would also read file:// and ftp:// URLs: only the bank's http(s) API.
            raise VerifierUnavailable("KMCS_BANK_VERIFY_URL 은 http(s) 주소여야 합니다.")
        body = json.dumps(
            {
                "bank_code": bank,
                "account_number": check_account_format(bank=bank, number=number),
                "holder_name": holder.strip(),
            }
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            # The scheme is checked above (http/https only).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                payload = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                return Verification(False, "은행에서 계좌를 확인하지 못했습니다.", self.name)
            raise VerifierUnavailable(f"은행 API 오류 ({exc.code})") from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise VerifierUnavailable(f"은행 API 응답 없음: {exc}") from exc
        if not payload.get("valid"):
            return Verification(
                False, payload.get("message") or "존재하지 않는 계좌입니다.", self.name
            )
        if not payload.get("holder_matches"):
            return Verification(False, "예금주가 일치하지 않습니다.", self.name)
        return Verification(True, "", self.name)


def get_verifier() -> AccountVerifier:
    return import_string(settings.KMCS_ACCOUNT_VERIFIER)()
