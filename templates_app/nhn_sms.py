"""SMS adapters for CEMS and MCRM speaking NHN Cloud Notification SMS API v3.0 (HTTP JSON).

Protocol (https://docs.nhncloud.com/ko/Notification/SMS/ko/api-guide/, v3.0):

- send: ``POST {url}/sms/v3.0/appKeys/{appKey}/sender/sms`` (SMS, 90 bytes) or ``.../sender/mms``
  (LMS, with ``title``), header ``X-Secret-Key``, body ``{"body", "sendNo", "recipientList":
  [{"recipientNo", "recipientGroupingKey"}], "senderGroupingKey"}``; answer ``{"header":
  {"isSuccessful", "resultCode", "resultMessage"}, "body": {"data": {"requestId",
  "statusCode", "sendResultList": [{"recipientNo", "resultCode", "resultMessage",
  "recipientSeq", "recipientGroupingKey"}]}}}``;
- one message (단일 검색): ``GET .../sender/sms/{requestId}?recipientSeq={recipientSeq}`` (v3.0
  names the query parameter ``recipientSeq``; ``mtPr`` is its pre-v2.4 name) -> ``body.data`` with
  ``msgStatus`` (0 실패, 1 요청, 2 처리 중, 3 성공, 4 예약 취소, 5 중복 실패), ``resultCode`` /
  ``resultCodeName`` (the carrier's 수신 결과 코드);
- search: ``GET .../sender/sms?recipientGroupingKey=..&startRequestDate=..&endRequestDate=..``.

One provider idempotency key per outbox row: the row's ``provider_key`` (a 45-character ASCII
hash of its ``idempotency_key``, :func:`templates_app.gateways.provider_key`) goes out as the
recipient's ``recipientGroupingKey`` (NHN stores it, at most 100 characters, and lets us search
by it) and as an ``X-Idempotency-Key`` header (honoured by the sandbox). The idempotency key
itself may be 200 characters naming a Korean template: sent as it is, NHN would refuse or cut
it and neither the search below nor the delivery report's match would find it. A repeated
attempt first *searches* by the provider key: a message the provider already accepted (the
answer was lost to a timeout, a 5xx after the request left, a worker that died) is taken as
sent and never sent again, whether or not the provider honours the header.

Failures: timeouts, connection errors, 5xx, 429 and an unreadable 2xx answer are transient
(:class:`GatewayError`, retried with backoff, counted by the circuit breaker); any other 4xx and
``isSuccessful: false`` are permanent (:class:`GatewayPermanentError`, never retried).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib import error as urlerror
from urllib import request as urlrequest
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils import timezone

from kmcs_site.privacy import mask_phone

from .gateways import (
    PROVIDER_KEY_MAX_LENGTH,
    GatewayError,
    GatewayPermanentError,
    SmsReceipt,
    SmsRequest,
    provider_key,
)
from .resilience import CircuitBreaker, RateLimiter

logger = logging.getLogger("templates_app.sms")

#: NHN ``msgStatus`` -> our report status ("" = not final yet).
MSG_STATUS = {"0": "failed", "1": "", "2": "", "3": "delivered", "4": "failed", "5": "failed"}
PROVIDER_PREFIX = "nhn"


@dataclass(frozen=True)
class ProviderRef:
    """Where a sent message is at the provider: encoded in ``provider_message_id``."""

    system: str
    kind: str  # sms | mms
    request_id: str
    recipient_seq: str

    def encode(self) -> str:
        return f"{PROVIDER_PREFIX}:{self.system}:{self.kind}:{self.request_id}:{self.recipient_seq}"

    @classmethod
    def decode(cls, value: str) -> ProviderRef | None:
        parts = (value or "").split(":")
        if len(parts) != 5 or parts[0] != PROVIDER_PREFIX or parts[2] not in ("sms", "mms"):
            return None
        return cls(*parts[1:])


@dataclass(frozen=True)
class DeliveryResult:
    """A carrier's answer for one message: ``status`` delivered / failed, or "" (pending)."""

    status: str
    code: str = ""
    message: str = ""


class _Transient(GatewayError):
    pass


def provider_config(system: str) -> dict[str, Any]:
    return dict(getattr(settings, "KMCS_SMS_PROVIDERS", {}).get(system) or {})


class NhnSmsGateway:
    """One sending system's NHN Cloud SMS account (``settings.KMCS_SMS_PROVIDERS[system]``)."""

    system = ""
    idempotent = True  # a repeat is searched by its key first: never sent twice

    def __init__(self, system: str | None = None):
        self.system = system or self.system
        config = provider_config(self.system)
        self.url = str(config.get("url") or "").rstrip("/")
        self.app_key = str(config.get("app_key") or "")
        self.secret = str(config.get("secret") or "")
        self.send_no = "".join(ch for ch in str(config.get("send_no") or "") if ch.isdigit())
        self.timeout = float(config.get("timeout") or settings.KMCS_SMS_HTTP_TIMEOUT)
        self.limiter = RateLimiter(
            self.system,
            rate=float(config.get("rate_per_second", 10) or 0),
            burst=float(config.get("burst", 0) or config.get("rate_per_second", 10) or 1),
        )
        self.breaker = CircuitBreaker(
            self.system,
            failures=int(getattr(settings, "KMCS_SMS_BREAKER_FAILURES", 5)),
            cooldown=float(getattr(settings, "KMCS_SMS_BREAKER_COOLDOWN_SECONDS", 30)),
        )

    # --- configuration ------------------------------------------------------------------

    def _check_config(self) -> None:
        missing = [
            name
            for name, value in (
                ("URL", self.url),
                ("APP_KEY", self.app_key),
                ("SECRET", self.secret),
                ("SEND_NO", self.send_no),
            )
            if not value
        ]
        if missing:
            names = ", ".join(f"KMCS_SMS_{self.system.upper()}_{n}" for n in missing)
            raise GatewayPermanentError(f"{self.system.upper()} 발송 설정이 없습니다: {names}")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise GatewayPermanentError(
                f"KMCS_SMS_{self.system.upper()}_URL은 http(s) 주소여야 합니다."
            )

    def _base(self) -> str:
        return f"{self.url}/sms/v3.0/appKeys/{quote(self.app_key, safe='')}"

    # --- HTTP ---------------------------------------------------------------------------

    def _call(self, method: str, url: str, payload: dict | None = None, headers=None) -> dict:
        """One HTTP exchange; transient problems raise :class:`_Transient`."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload else None
        all_headers = {
            "Content-Type": "application/json;charset=UTF-8",
            "Accept": "application/json",
            "X-Secret-Key": self.secret,
            **(headers or {}),
        }
        req = urlrequest.Request(url, data=data, headers=all_headers, method=method)
        try:
            # The scheme is checked by _check_config (http/https only).
            with urlrequest.urlopen(req, timeout=self.timeout) as response:  # nosec B310
                raw = response.read()
        except urlerror.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            message = f"{self.system.upper()} 발송사 HTTP {exc.code}: {detail}"
            if exc.code >= 500 or exc.code == 429:
                raise _Transient(message) from exc
            raise GatewayPermanentError(message) from exc
        except (urlerror.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise _Transient(f"{self.system.upper()} 발송사 연결 실패: {exc}") from exc
        try:
            answer = json.loads(raw)
            header = answer["header"]
            if not isinstance(header, dict) or "isSuccessful" not in header:
                raise KeyError("header.isSuccessful")
        except (ValueError, KeyError, TypeError) as exc:
            raise _Transient(
                f"{self.system.upper()} 발송사 응답을 읽을 수 없습니다: {raw[:120]!r}"
            ) from exc
        if not header.get("isSuccessful"):
            raise GatewayPermanentError(
                f"{self.system.upper()} 발송사 거절 {header.get('resultCode')}: "
                f"{header.get('resultMessage', '')}"
            )
        return answer

    def _guarded(self, method: str, url: str, payload=None, headers=None) -> dict:
        """Breaker and rate limit around one call; only transient failures trip the breaker."""
        probe = self.breaker.before_call()
        self.limiter.take()
        try:
            answer = self._call(method, url, payload, headers)
        except _Transient:
            self.breaker.failure(probe=probe)
            raise
        except GatewayPermanentError:
            self.breaker.success()  # the provider is up and answering
            raise
        self.breaker.success()
        return answer

    # --- the gateway interface ----------------------------------------------------------

    def send(self, request: SmsRequest) -> SmsReceipt:
        self._check_config()
        kind = "mms" if request.length_class == "LMS" else "sms"
        key = key_for(request)
        if request.attempt > 1:
            earlier = self.find_by_key(key, kind)
            if earlier is not None:
                logger.info(
                    "SMS #%s: %s already has key %s (%s): not sent again",
                    request.message_id,
                    self.system,
                    key,
                    earlier.request_id,
                )
                return SmsReceipt(provider_message_id=earlier.encode())
        payload: dict[str, Any] = {
            "body": request.body,
            "sendNo": self.send_no,
            "senderGroupingKey": f"kmcs-{self.system}",
            "recipientList": [
                {
                    "recipientNo": request.recipient,
                    "recipientGroupingKey": key,
                }
            ],
        }
        if kind == "mms":
            payload["title"] = _lms_title(request.body)
        answer = self._guarded(
            "POST",
            f"{self._base()}/sender/{kind}",
            payload,
            {"X-Idempotency-Key": idempotency_header(key)},
        )
        try:
            data = answer["body"]["data"]
            result = data["sendResultList"][0]
            request_id = str(data["requestId"])
            code = int(result.get("resultCode", 0))
            seq = str(result.get("recipientSeq") or 1)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            # Accepted but unreadable: a retry searches by the key before sending again.
            self.breaker.failure(probe=False)
            raise GatewayError(f"{self.system.upper()} 발송사 응답 형식 오류: {exc!r}") from exc
        if code != 0:
            raise GatewayPermanentError(
                f"{self.system.upper()} 수신자 거절 {code}: {result.get('resultMessage', '')} "
                f"({mask_phone(request.recipient)})"
            )
        return SmsReceipt(
            provider_message_id=ProviderRef(self.system, kind, request_id, seq).encode()
        )

    def find_by_key(self, key: str, kind: str = "sms") -> ProviderRef | None:
        """The message the provider accepted with ``recipientGroupingKey = key`` (last 7 days)."""
        now = timezone.localtime()
        query = urlencode(
            {
                "recipientGroupingKey": key,
                "startRequestDate": (now - timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S"),
                "endRequestDate": (now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
                "pageSize": 1,
            }
        )
        answer = self._guarded("GET", f"{self._base()}/sender/{kind}?{query}")
        try:
            rows = answer["body"].get("data") or []
            if not rows:
                return None
            row = rows[0]
            return ProviderRef(self.system, kind, str(row["requestId"]), str(row["recipientSeq"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise GatewayError(f"{self.system.upper()} 조회 응답 형식 오류: {exc!r}") from exc

    def fetch_result(self, ref: ProviderRef) -> DeliveryResult:
        """The carrier's result for one sent message (the polling fallback of delivery reports)."""
        self._check_config()
        query = urlencode({"recipientSeq": ref.recipient_seq})
        answer = self._guarded(
            "GET", f"{self._base()}/sender/{ref.kind}/{quote(ref.request_id, safe='')}?{query}"
        )
        try:
            data = answer["body"]["data"]
            status = MSG_STATUS.get(str(data.get("msgStatus")), "")
            return DeliveryResult(
                status,
                str(data.get("resultCode") or ""),
                str(data.get("resultCodeName") or data.get("msgStatusName") or ""),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise GatewayError(f"{self.system.upper()} 조회 응답 형식 오류: {exc!r}") from exc


def key_for(request: SmsRequest) -> str:
    """The ``recipientGroupingKey`` of ``request``: the outbox row's stored provider key, else
    the one derived from its idempotency key (the same value). Never longer than NHN allows."""
    key = request.provider_key or provider_key(request.idempotency_key)
    if len(key) > PROVIDER_KEY_MAX_LENGTH:
        raise GatewayPermanentError(
            f"발송사 그룹키가 {PROVIDER_KEY_MAX_LENGTH}자를 넘습니다 ({len(key)}자)."
        )
    return key


def idempotency_header(key: str) -> str:
    """The key as an HTTP header value: header values are Latin-1, so the header carries the
    key percent-encoded (ASCII, one-to-one; a provider key is ASCII already and goes as is)."""
    return quote(key, safe="")


def _lms_title(body: str) -> str:
    """LMS needs a title (40 bytes at most): the first line, cut to 20 characters."""
    first = (body or "").strip().splitlines()[0] if (body or "").strip() else "안내"
    return first[:20]


class NhnCemsGateway(NhnSmsGateway):
    """CEMS templates' messages (``KMCS_SMS_GATEWAY_CEMS``)."""

    system = "cems"


class NhnMcrmGateway(NhnSmsGateway):
    """MCRM templates' messages (seed 004: 포인트 차감 예정 SMS; ``KMCS_SMS_GATEWAY_MCRM``)."""

    system = "mcrm"


GATEWAYS = {"cems": NhnCemsGateway, "mcrm": NhnMcrmGateway}


def gateway_for(system: str) -> NhnSmsGateway:
    return GATEWAYS.get(system, NhnSmsGateway)(system)
