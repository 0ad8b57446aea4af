"""Where a rendered SMS leaves KMCS. One small interface, chosen by ``settings.KMCS_SMS_GATEWAY``.

- :class:`ConsoleGateway` (default): writes the message to the log (recipient masked). Nothing
  leaves the machine: the safe default for a laptop and for tests.
- :class:`FileGateway`: appends one JSON line per message to ``settings.KMCS_SMS_OUTBOX_PATH``
  (default ``var/outbox.log``); every process on the machine sees the same file, so the web
  server, a worker and a test can all check what was "sent".
- :class:`IdempotentFileGateway`: the same file, but a repeated idempotency key is absorbed
  (one line per message however often it is asked): a provider that honours the key.
- :class:`HttpGateway`: adapter for an HTTP SMS provider (``KMCS_SMS_HTTP_URL``, ``_TOKEN``,
  ``_TIMEOUT``), standard library only. It passes the idempotency key, so a provider that
  honours it never delivers one message twice even if KMCS asks twice.

A gateway raises :class:`GatewayError` for failures worth retrying (timeouts, 5xx, 429) and
:class:`GatewayPermanentError` for those that will never succeed (4xx: bad number, bad auth).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib import error as urlerror
from urllib import request as urlrequest
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from kmcs_site.privacy import mask_phone

try:
    import fcntl
except ImportError:  # not POSIX (a Windows laptop): one process writes at a time anyway
    fcntl = None

logger = logging.getLogger("templates_app.sms")


@dataclass(frozen=True)
class SmsRequest:
    recipient: str  # normalized digits; never log it unmasked
    body: str
    idempotency_key: str
    length_class: str  # SMS | LMS
    message_id: int | None = None
    sender: str = ""  # the caller ID registered with the carriers (발신번호), if configured
    #: Which attempt of the outbox row this is (1 = first): a provider adapter that cannot rely
    #: on the provider honouring the key searches for an earlier acceptance before a repeat.
    attempt: int = 1
    #: The key a provider with a short key field stores (:func:`provider_key`); "" = derive it.
    provider_key: str = ""


#: NHN Cloud SMS v3.0 documents its grouping keys (``recipientGroupingKey``) as ``String``,
#: max length 100; our idempotency keys run to 200 characters and name Korean templates.
PROVIDER_KEY_MAX_LENGTH = 100


def provider_key(idempotency_key: str) -> str:
    """The short, stable, ASCII form of an outbox row's idempotency key that a provider stores
    and searches by (45 characters: ``kmcs-`` + 40 hex of SHA-256 over the UTF-8 key). The
    same key always gives the same provider key, so a retry searches for exactly what the
    first attempt sent; ASCII, so characters and bytes count alike whatever the provider
    counts, and it fits an HTTP header as it is."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return f"kmcs-{digest[:40]}"


@dataclass(frozen=True)
class SmsReceipt:
    provider_message_id: str


class GatewayError(Exception):
    """Delivery failed but may succeed later: the task retries with backoff."""


class GatewayPermanentError(GatewayError):
    """Delivery can never succeed as asked: the message fails at once, no retry."""


class SmsGateway(Protocol):
    def send(self, request: SmsRequest) -> SmsReceipt: ...


#: Sending systems (SmsTemplate.sending_system) -> the setting naming that system's gateway.
SYSTEM_GATEWAY_SETTINGS = {
    "cems": "KMCS_SMS_GATEWAY_CEMS",
    "mcrm": "KMCS_SMS_GATEWAY_MCRM",
}


def gateway_path(system: str = "cems") -> str:
    """The dotted path of ``system``'s gateway: its own setting (``KMCS_SMS_GATEWAY_CEMS`` /
    ``KMCS_SMS_GATEWAY_MCRM``) when set, else ``KMCS_SMS_GATEWAY`` (both default to it). Seed
    004 sends the driver's 포인트 차감 SMS from MCRM, every other template from CEMS."""
    own = getattr(settings, SYSTEM_GATEWAY_SETTINGS.get(system, ""), "") if system else ""
    return own or settings.KMCS_SMS_GATEWAY


def get_gateway(system: str = "cems") -> SmsGateway:
    """The gateway of sending ``system`` (a fresh instance: settings may change between calls in
    tests)."""
    return import_string(gateway_path(system))()


class ConsoleGateway:
    def send(self, request: SmsRequest) -> SmsReceipt:
        receipt = SmsReceipt(provider_message_id=f"console-{uuid.uuid4().hex}")
        logger.info(
            "SMS %s to %s (%s, key=%s):\n%s",
            receipt.provider_message_id,
            mask_phone(request.recipient),
            request.length_class,
            request.idempotency_key,
            request.body,
        )
        return receipt


class FileGateway:
    """JSON lines, one per message, appended under an exclusive lock (several processes write)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.KMCS_SMS_OUTBOX_PATH)

    def send(self, request: SmsRequest) -> SmsReceipt:
        receipt = SmsReceipt(provider_message_id=f"file-{uuid.uuid4().hex}")
        line = json.dumps(
            {
                "provider_message_id": receipt.provider_message_id,
                "at": timezone.now().isoformat(),
                "pid": os.getpid(),  # which process sent it (web, worker, test)
                "message_id": request.message_id,
                "idempotency_key": request.idempotency_key,
                "to": mask_phone(request.recipient),
                "length_class": request.length_class,
                "body": request.body,
            },
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                if fcntl is not None:
                    fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    fh.write(line + "\n")
                    fh.flush()
                finally:
                    if fcntl is not None:
                        fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise GatewayError(f"발송 파일에 쓰지 못했습니다: {exc}") from exc
        return receipt

    def read(self) -> list[dict]:
        """Every line written so far (for tests and the dev console)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


class IdempotentFileGateway(FileGateway):
    """A :class:`FileGateway` that behaves like a provider honouring the idempotency key: the
    first request with a key is "delivered" (one line in the outbox file), a repeat returns the
    first receipt and delivers nothing (noted in ``<outbox>.duplicates``).

    ``idempotent = True`` lets :func:`templates_app.services.message_requeue_stale` hand a
    message stuck in "sending" (its worker died mid-send) to the gateway again: if the first
    request got through, the repeat is absorbed here, so nothing is sent twice or lost. Used by
    the chaos bench (bench/chaos.py) and in development.
    """

    idempotent = True

    def send(self, request: SmsRequest) -> SmsReceipt:
        from kmcs_site.journal import KeyedJournal

        def entry() -> dict:
            return {
                "provider_message_id": f"file-{uuid.uuid4().hex}",
                "at": timezone.now().isoformat(),
                "pid": os.getpid(),
                "message_id": request.message_id,
                "to": mask_phone(request.recipient),
                "length_class": request.length_class,
                "body": request.body,
            }

        try:
            first, _created = KeyedJournal(self.path).record(request.idempotency_key, entry)
        except OSError as exc:
            raise GatewayError(f"발송 파일에 쓰지 못했습니다: {exc}") from exc
        return SmsReceipt(provider_message_id=first["provider_message_id"])


class HttpGateway:
    """POST ``{"to", "text", "type", "idempotency_key", "from"}`` as JSON; expect ``{"message_id"}``.

    The shape is a generic adapter: a real provider's field names go here and nowhere else.
    """

    RETRYABLE_STATUS = frozenset({408, 425, 429})

    @property
    def idempotent(self) -> bool:
        """True once the provider is known to deliver one message per idempotency key
        (``KMCS_SMS_HTTP_IDEMPOTENT``): then a message stuck in "sending" is asked again."""
        return bool(getattr(settings, "KMCS_SMS_HTTP_IDEMPOTENT", False))

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout=None):
        self.url = url or settings.KMCS_SMS_HTTP_URL
        self.token = token if token is not None else settings.KMCS_SMS_HTTP_TOKEN
        self.timeout = timeout if timeout is not None else settings.KMCS_SMS_HTTP_TIMEOUT
        if not self.url:
            raise GatewayPermanentError("KMCS_SMS_HTTP_URL이 설정되지 않았습니다.")
        if urlsplit(self.url).scheme not in ("http", "https"):
            # urlopen would also read file:// and ftp:// URLs: refuse them up front.
            raise GatewayPermanentError("KMCS_SMS_HTTP_URL은 http(s) 주소여야 합니다.")

    def send(self, request: SmsRequest) -> SmsReceipt:
        payload = json.dumps(
            {
                "to": request.recipient,
                "from": request.sender,
                "text": request.body,
                "type": request.length_class,
                "idempotency_key": request.idempotency_key,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": request.idempotency_key,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        http_request = urlrequest.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            # The scheme is checked in __init__ (http/https only).
            with urlrequest.urlopen(http_request, timeout=self.timeout) as response:  # nosec B310
                raw = response.read()
        except urlerror.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            message = f"발송사 응답 오류 HTTP {exc.code}: {detail}"
            if exc.code >= 500 or exc.code in self.RETRYABLE_STATUS:
                raise GatewayError(message) from exc
            raise GatewayPermanentError(message) from exc
        except (urlerror.URLError, TimeoutError, ConnectionError) as exc:
            raise GatewayError(f"발송사 연결 실패: {exc}") from exc
        try:
            data = json.loads(raw or b"{}")
            provider_id = str(data.get("message_id") or data.get("id") or "")
        except (ValueError, AttributeError):
            # Accepted (2xx) but unreadable: do not retry, that could send twice.
            logger.warning("SMS provider answered 2xx with an unreadable body: %r", raw[:200])
            provider_id = ""
        return SmsReceipt(provider_message_id=provider_id or f"http-{request.idempotency_key}")
