"""Sandbox SMS provider: NHN Cloud Notification SMS API v3.0, as :mod:`templates_app.nhn_sms`
speaks it (send SMS/LMS, one message's result, search by recipientGroupingKey), plus delivery
reports POSTed to our callback, signed like a provider would (see
:mod:`templates_app.delivery_reports`).

Behaviour switches (``POST /_sandbox/behaviour {"provider": "sms", ...}``):

- ``fail_next`` N + ``status``: the next N calls answer that HTTP status, nothing accepted;
- ``delay_ms``: every call answers that late (latency; past the client's timeout = a timeout);
- ``uncertain_next`` N + ``uncertain_delay_ms`` (default 3000): the next N sends are *accepted*
  and then answered late (the client times out: an uncertain outcome);
- ``malformed_next`` N: the next N sends are accepted and answered with a body that is not JSON;
- ``report``: ``delivered`` (default), ``failed`` or ``none`` (no callback: polling finds it);
  ``report_code`` (default 1000 / 3015), ``report_delay_ms`` (default 200);
- ``callback_url`` / ``callback_secret``: where reports go and how they are signed (default:
  Django's ``KMCS_SANDBOX_SMS_CALLBACK_URL`` / ``KMCS_SMS_CALLBACK_SECRET`` when run by
  ``manage.py kmcs_sandbox``).

A repeated ``X-Idempotency-Key`` gets the first answer and sends nothing, unless
``honour_idempotency_key`` is false: then the sandbox behaves like NHN itself (no such header),
and only the adapter's search by ``recipientGroupingKey`` keeps a repeat from sending twice (the
chaos run counts duplicates that way).
``GET /_sandbox/sms/messages`` lists what was accepted (tests count sends there).

Grouping keys (``recipientGroupingKey``, ``senderGroupingKey``) longer than NHN's documented
100 (``String``, max length 100) are refused with a 400, on sending and on searching, so a test
catches an adapter that sends a long key. The sandbox counts characters *and* UTF-8 bytes (a
Korean key passes neither past 100): stricter than NHN, never looser.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from urllib import request as urlrequest

from . import core
from .core import SandboxRequest, SandboxResponse

PROVIDER = "sms"
#: NHN Cloud SMS v3.0: recipientGroupingKey / senderGroupingKey, String, max length 100.
GROUPING_KEY_MAX = 100
BASE = r"^/sms/v3\.0/appKeys/(?P<app_key>[^/]+)/sender/(?P<kind>sms|mms)"


def _answer(data=None, *, ok=True, code=0, message="SUCCESS", status=200) -> SandboxResponse:
    return SandboxResponse(
        status,
        {
            "header": {"isSuccessful": ok, "resultCode": code, "resultMessage": message},
            "body": data,
        },
    )


def _take(switch: str) -> bool:
    with core.LOCK:
        switches = core.BEHAVIOUR.get(PROVIDER, {})
        left = int(switches.get(switch, 0) or 0)
        if left <= 0:
            return False
        switches[switch] = left - 1
        return True


def _state() -> dict:
    state = core.state(PROVIDER)
    with core.LOCK:
        state.setdefault("requests", {})  # requestId -> {"kind", "recipients": [...]}
        state.setdefault("by_key", {})  # X-Idempotency-Key -> first answer
        state.setdefault("accepted", [])  # every message accepted (sent once)
        state.setdefault("search_hits", 0)  # searches by key that found a message
    return state


def _django_setting(name: str) -> str:
    try:
        from django.conf import settings

        return str(getattr(settings, name, "") or "")
    except Exception:  # not run under Django
        return ""


def _too_long(key: str) -> bool:
    return len(key) > GROUPING_KEY_MAX or len(key.encode("utf-8")) > GROUPING_KEY_MAX


def _long_key_answer(name: str, key: str) -> SandboxResponse:
    return _answer(
        ok=False,
        code=-1000,
        message=f"{name} is longer than {GROUPING_KEY_MAX} ({len(key)} characters)",
        status=400,
    )


def _authorised(request: SandboxRequest) -> bool:
    want = core.behaviour(PROVIDER).get("secret")
    got = request.headers.get("x-secret-key", "")
    return bool(got) and (not want or hmac.compare_digest(str(want), got))


def send(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "send")
    status = core.take_failure(PROVIDER)
    if status is not None:
        core.delay(PROVIDER)
        return _answer(ok=False, code=-9999, message="sandbox failure", status=status)
    if not _authorised(request):
        return _answer(ok=False, code=-1001, message="Invalid secret key", status=401)
    data = request.json() or {}
    recipients = data.get("recipientList") or []
    if not data.get("body") or not data.get("sendNo") or not recipients:
        return _answer(ok=False, code=-1000, message="body, sendNo and recipientList required")
    if request.match["kind"] == "mms" and not data.get("title"):
        return _answer(ok=False, code=-1000, message="title required for mms")
    if _too_long(str(data.get("senderGroupingKey") or "")):
        return _long_key_answer("senderGroupingKey", str(data["senderGroupingKey"]))
    for item in recipients:
        grouping = str((item or {}).get("recipientGroupingKey") or "")
        if _too_long(grouping):
            return _long_key_answer("recipientGroupingKey", grouping)
    key = request.headers.get("x-idempotency-key", "")
    if not core.behaviour(PROVIDER).get("honour_idempotency_key", True):
        key = ""
    state = _state()
    with core.LOCK:
        if key and key in state["by_key"]:
            first = state["by_key"][key]
            core.RECEIVED[-1]["note"] = "send (repeat of an idempotency key: not sent again)"
            repeat = True
        else:
            repeat = False
            request_id = f"{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().hex[:10]}"
            rows = []
            for seq, item in enumerate(recipients, start=1):
                row = {
                    "requestId": request_id,
                    "recipientSeq": seq,
                    "recipientNo": str(item.get("recipientNo", "")),
                    "recipientGroupingKey": str(item.get("recipientGroupingKey", "")),
                    "senderGroupingKey": str(data.get("senderGroupingKey", "")),
                    "sendNo": str(data["sendNo"]),
                    "body": data["body"],
                    "kind": request.match["kind"],
                    "appKey": request.match["app_key"],
                    "requestDate": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "msgStatus": "2",
                    "msgStatusName": "처리 중",
                    "resultCode": "",
                    "resultCodeName": "",
                }
                rows.append(row)
                state["accepted"].append(row)
            state["requests"][request_id] = rows
            first = {
                "requestId": request_id,
                "statusCode": "2",
                "senderGroupingKey": data.get("senderGroupingKey"),
                "sendResultList": [
                    {
                        "recipientNo": r["recipientNo"],
                        "resultCode": 0,
                        "resultMessage": "SUCCESS",
                        "recipientSeq": r["recipientSeq"],
                        "recipientGroupingKey": r["recipientGroupingKey"],
                    }
                    for r in rows
                ],
            }
            if key:
                state["by_key"][key] = first
    if not repeat:
        _schedule_report(first["requestId"])
    if _take("uncertain_next"):
        ms = int(core.behaviour(PROVIDER).get("uncertain_delay_ms", 3000) or 3000)
        time.sleep(ms / 1000)
    if _take("malformed_next"):
        return SandboxResponse(200, "<html>gateway hiccup</html>")
    core.delay(PROVIDER)
    return _answer({"data": first})


def _find(request_id: str, seq: str) -> dict | None:
    rows = _state()["requests"].get(request_id) or []
    return next((r for r in rows if str(r["recipientSeq"]) == str(seq)), None)


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("kind", "appKey")}


def one(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "result")
    status = core.take_failure(PROVIDER)
    if status is not None:
        return _answer(ok=False, code=-9999, message="sandbox failure", status=status)
    if not _authorised(request):
        return _answer(ok=False, code=-1001, message="Invalid secret key", status=401)
    # v3.0 (단일 검색) names it recipientSeq ("mtPr" before v2.4): required, as at NHN.
    seq = (request.query.get("recipientSeq") or [""])[0]
    if not seq:
        return _answer(ok=False, code=-1000, message="recipientSeq is required", status=400)
    with core.LOCK:
        row = _find(request.match["request_id"], seq)
        row = dict(row) if row else None
    if row is None:
        return _answer(ok=False, code=-1004, message="No such message", status=404)
    core.delay(PROVIDER)
    return _answer({"data": _public(row)})


def search(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "search")
    status = core.take_failure(PROVIDER)
    if status is not None:
        return _answer(ok=False, code=-9999, message="sandbox failure", status=status)
    if not _authorised(request):
        return _answer(ok=False, code=-1001, message="Invalid secret key", status=401)
    key = (request.query.get("recipientGroupingKey") or [""])[0]
    if _too_long(key):
        return _long_key_answer("recipientGroupingKey", key)
    request_id = (request.query.get("requestId") or [""])[0]
    with core.LOCK:
        rows = [
            _public(r)
            for r in _state()["accepted"]
            if r["kind"] == request.match["kind"]
            and (not key or r["recipientGroupingKey"] == key)
            and (not request_id or r["requestId"] == request_id)
        ]
        if key and rows:
            _state()["search_hits"] += 1
    core.delay(PROVIDER)
    return _answer({"pageNum": 1, "pageSize": len(rows), "totalCount": len(rows), "data": rows})


def messages(request: SandboxRequest) -> SandboxResponse:
    with core.LOCK:
        return SandboxResponse(200, [dict(r) for r in _state()["accepted"]])


# --- delivery reports -----------------------------------------------------------------------


def _schedule_report(request_id: str) -> None:
    switches = core.behaviour(PROVIDER)
    outcome = str(switches.get("report", "delivered"))
    delay_ms = int(switches.get("report_delay_ms", 200) or 0)
    timer = threading.Timer(delay_ms / 1000, _report, args=(request_id, outcome, switches))
    timer.daemon = True
    timer.start()


def _report(request_id: str, outcome: str, switches: dict) -> None:
    """Settle the request's messages, then POST a signed report unless ``report`` is none."""
    failed = outcome == "failed"
    code = str(switches.get("report_code") or ("3015" if failed else "1000"))
    with core.LOCK:
        rows = _state()["requests"].get(request_id) or []
        for row in rows:
            row.update(
                msgStatus="0" if failed else "3",
                msgStatusName="실패" if failed else "성공",
                resultCode=code,
                resultCodeName="수신 실패" if failed else "성공",
                resultDate=time.strftime("%Y-%m-%d %H:%M:%S"),
            )
        results = [_public(dict(r)) for r in rows]
    if outcome == "none" or not results:
        return
    url = switches.get("callback_url") or _django_setting("KMCS_SANDBOX_SMS_CALLBACK_URL")
    secret = switches.get("callback_secret") or _django_setting("KMCS_SMS_CALLBACK_SECRET")
    if not url or not secret:
        return
    deliver_report(url, secret, {"reportId": uuid.uuid4().hex, "results": results})


def deliver_report(url: str, secret: str, payload: dict, *, timestamp: int | None = None) -> int:
    """POST one signed report; returns the HTTP status (0 when unreachable). Tests use it too."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    req = urlrequest.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-KMCS-Timestamp": stamp,
            "X-KMCS-Signature": f"sha256={mac}",
        },
    )
    try:
        with urlrequest.urlopen(req, timeout=5) as answer:  # nosec B310 (configured callback URL)
            status = answer.status
    except urlrequest.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    with core.LOCK:
        core.RECEIVED.append(
            {
                "at": time.time(),
                "provider": PROVIDER,
                "method": "CALLBACK",
                "path": url,
                "note": f"delivery report -> HTTP {status}",
                "body": body[:2000].decode("utf-8", "replace"),
            }
        )
    return status


ROUTES = [
    ("POST", BASE + r"$", send),
    ("GET", BASE + r"/(?P<request_id>[^/]+)$", one),
    ("GET", BASE + r"$", search),
    ("GET", r"^/_sandbox/sms/messages$", messages),
]
