"""Sandbox inbound mail: a CPO's or partner's reply, delivered the way Mailgun "routes" would
(issue 16 items 2, 5), so a developer sees a reply land on a case without a mail provider.

``GET /mail/`` is a small form (case number, the partner's address the case mailed, subject,
text, optional In-Reply-To); ``POST /mail/v1/replies`` (that form, or JSON with the same names)
builds Mailgun's routes fields (``sender``, ``recipient``, ``subject``, ``body-plain``,
``Message-Id``, ``In-Reply-To``, ``References``, ``timestamp``, ``token``, ``signature`` =
HMAC-SHA256(timestamp + token) with ``KMCS_MAILGUN_SIGNING_KEY``) and POSTs them, form-encoded,
to ``KMCS_SANDBOX_MAIL_WEBHOOK_URL`` (KMCS's ``/integrations/mail/mailgun/``). The answer shows
KMCS's status: 200 stored, 406 not ours (no case reference, unknown sender), 403 refused
(signature, replay). ``GET /mail/v1/replies`` lists what was delivered and how KMCS answered.

The subject carries the case reference ``[KMCS-<id>]`` (added when missing): that, or the
In-Reply-To of a mail KMCS sent, is how KMCS finds the case; the sender must be one of that
case's To/Cc, as for a real reply. The sandbox reads no KMCS data: it is a provider.

Behaviour switches (``POST /_sandbox/behaviour {"provider": "mail", ...}``): ``bad_signature_next``
(sign the next N with a wrong key: KMCS must refuse), ``replay_next`` (send the next N twice with
the same token: the second must be refused).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
import uuid
from urllib import error as urlerror
from urllib import parse as urlparse
from urllib import request as urlrequest

from kmcs_site.sandbox import core
from kmcs_site.sandbox.core import SandboxRequest, SandboxResponse

PROVIDER = "mail"
DOMAIN = "sandbox-mail.example"


def _settings() -> tuple[str, str]:
    from django.conf import settings

    return (
        getattr(settings, "KMCS_MAILGUN_SIGNING_KEY", "") or "",
        getattr(settings, "KMCS_SANDBOX_MAIL_WEBHOOK_URL", "") or "",
    )


def _take(switch: str) -> bool:
    with core.LOCK:
        switches = core.BEHAVIOUR.get(PROVIDER, {})
        left = int(switches.get(switch, 0) or 0)
        if left <= 0:
            return False
        switches[switch] = left - 1
        return True


def sign(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode("utf-8"), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun_fields(
    *,
    case_id: str,
    sender: str,
    subject: str = "",
    text: str = "",
    in_reply_to: str = "",
    recipient: str = "",
    key: str,
    now: float | None = None,
) -> dict[str, str]:
    """The routes POST of one reply, signed with ``key``."""
    tag = f"[KMCS-{case_id}]" if case_id else ""
    subject = (subject or "").strip() or "회신드립니다"
    if tag and tag not in subject:
        subject = f"Re: {tag} {subject}"
    timestamp = str(int(now if now is not None else time.time()))
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    fields = {
        "sender": sender,
        "from": sender,
        "recipient": recipient or "parking-cs@kmcs.example",
        "subject": subject,
        "body-plain": text or "확인했습니다.",
        "Message-Id": f"<{uuid.uuid4().hex}@{DOMAIN}>",
        "timestamp": timestamp,
        "token": token,
        "signature": sign(key, timestamp, token),
    }
    if in_reply_to:
        fields["In-Reply-To"] = in_reply_to
        fields["References"] = in_reply_to
    return fields


def _post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urlparse.urlencode(fields).encode("utf-8")
    req = urlrequest.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urlrequest.urlopen(req, timeout=10) as answer:  # nosec B310 (configured loopback URL)
            return answer.status, answer.read(2000).decode("utf-8", "replace")
    except urlerror.HTTPError as exc:
        return exc.code, exc.read(2000).decode("utf-8", "replace")
    except (urlerror.URLError, OSError) as exc:
        return 0, f"KMCS에 연결할 수 없습니다: {exc}"


def _input(request: SandboxRequest) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        data = request.json() or {}
        return {k: str(v) for k, v in data.items() if v is not None}
    parsed = urlparse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def deliver_reply(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, note="회신 메일 전달 요청")
    data = _input(request)
    case_id = data.get("case_id", "").strip().lstrip("#")
    sender = data.get("sender", "").strip()
    if not sender or not (case_id.isdigit() or data.get("in_reply_to")):
        return SandboxResponse(400, {"error": "sender and case_id (or in_reply_to) are required"})
    key, url = _settings()
    url = data.get("webhook_url") or url
    if not url:
        return SandboxResponse(400, {"error": "KMCS_SANDBOX_MAIL_WEBHOOK_URL is not set"})
    if _take("bad_signature_next"):
        key = f"wrong-{key}"
    fields = mailgun_fields(
        case_id=case_id if case_id.isdigit() else "",
        sender=sender,
        subject=data.get("subject", ""),
        text=data.get("text", ""),
        in_reply_to=data.get("in_reply_to", "").strip(),
        recipient=data.get("recipient", "").strip(),
        key=key,
    )
    answers = [_post(url, fields)]
    if _take("replay_next"):
        answers.append(_post(url, fields))
    status, body = answers[-1]
    entry = {
        "case_id": case_id,
        "sender": sender,
        "subject": fields["subject"],
        "message_id": fields["Message-Id"],
        "kmcs_status": status,
        "kmcs_statuses": [a[0] for a in answers],
        "kmcs_answer": body,
    }
    with core.LOCK:
        core.state(PROVIDER).setdefault("replies", []).append(entry)
    if "json" in request.headers.get("content-type", ""):
        return SandboxResponse(200, entry)
    return SandboxResponse(200, _page(entry), {"Content-Type": "text/html; charset=utf-8"})


def list_replies(request: SandboxRequest) -> SandboxResponse:
    with core.LOCK:
        return SandboxResponse(200, list(core.state(PROVIDER).get("replies", [])))


MEANING = {
    200: "KMCS가 회신을 케이스에 기록했습니다",
    406: "KMCS가 거절했습니다 (케이스 참조 없음 또는 모르는 발신자)",
    403: "KMCS가 거절했습니다 (서명 불일치·재전송·만료)",
    0: "KMCS에 연결하지 못했습니다",
}


def _page(result: dict | None = None) -> str:
    done = ""
    if result is not None:
        meaning = MEANING.get(result["kmcs_status"], "")
        done = (
            f"<p><strong>KMCS 응답 {result['kmcs_status']}</strong> {html.escape(meaning)}</p>"
            f"<pre>{html.escape(json.dumps(result, ensure_ascii=False, indent=1))}</pre>"
        )
    return (
        "<!doctype html><meta charset='utf-8'><title>샌드박스 회신 메일</title>"
        "<h1>회신 메일 보내기 (Mailgun 형식, 서명 포함)</h1>"
        "<p>KMCS가 보낸 메일의 받는 사람(또는 참조) 주소로 회신합니다. 발신자가 그 케이스의 "
        "수신·참조가 아니면 KMCS는 406으로 거절합니다.</p>"
        f"{done}"
        "<form method='post' action='/mail/v1/replies'>"
        "<p><label>케이스 번호 <input name='case_id' required size='8'></label></p>"
        "<p><label>보낸 사람 (운영사·CPO 주소) <input name='sender' type='email' required "
        "size='40'></label></p>"
        "<p><label>제목 <input name='subject' size='60' placeholder='회신드립니다'></label></p>"
        "<p><label>In-Reply-To (선택) <input name='in_reply_to' size='60'></label></p>"
        "<p><label>본문<br><textarea name='text' rows='6' cols='70'>확인했습니다.</textarea>"
        "</label></p><p><button type='submit'>KMCS로 전달</button></p></form>"
        "<p><a href='/'>샌드박스가 받은 요청</a> · <a href='/mail/v1/replies'>전달한 회신 (JSON)</a></p>"
    )


def form_page(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse(200, _page(), {"Content-Type": "text/html; charset=utf-8"})


ROUTES = [
    ("GET", r"^/mail/?$", form_page),
    ("POST", r"^/mail/v1/replies$", deliver_reply),
    ("GET", r"^/mail/v1/replies$", list_replies),
]
