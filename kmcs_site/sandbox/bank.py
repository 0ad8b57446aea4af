"""Sandbox bank: the KFTC open-banking calls KMCS makes (fines/openbanking.py), on loopback.

Routes (same paths and field names as the open-banking API):

- ``POST /oauth/2.0/token`` client credentials (form) -> ``access_token`` (scope oob);
- ``POST /v2.0/inquiry/real_name`` 계좌실명조회 -> ``account_holder_name``;
- ``POST /v2.0/transfer/deposit/acnt_num`` 입금이체, **idempotent by bank_tran_id**: a repeat
  answers the first result and never transfers twice;
- ``POST /v2.0/transfer/result`` 이체결과조회 by ``org_bank_tran_id`` (``rsp_code`` A0333 in
  the item: no such transfer);
- ``GET /v2.0/account/transaction_list/acnt_num`` the contract account's withdrawals of a day
  (``bank_code_std`` + ``account_num`` required);
- ``GET /_sandbox/bank/transfers`` what was executed (tests count transfers here) and
  ``POST /_sandbox/bank/accounts`` registers an account's holder for 실명조회.

Behaviour switches (``POST /_sandbox/behaviour {"provider": "bank", ...}``):

- ``fail_next``/``status``: the next N API calls answer that status *without* doing anything;
- ``uncertain_next`` + ``uncertain_mode`` (``"500"``, ``"timeout"``, ``"malformed"``): the
  next N deposits are *applied* and then answered 500, answered after ``timeout_ms`` (past the
  client's timeout) or answered with a body that is not JSON;
- ``reject_next`` (+ ``reject_code``, ``reject_message``): the next N deposits are refused 400
  with that bank code (default ``400`` 계좌오류), nothing applied;
- ``result_fail_next``: the next N 이체결과조회 answer 503 (the bank cannot say);
- ``revoke_tokens``: every issued token is invalid from now on (the client must get another);
- ``delay_ms``: latency on every call.

Account rules for 실명조회 and 입금이체: a registered account answers its holder; an account
number ending in ``9999`` does not exist (400, 계좌오류); any other answers ``default_holder``
(switch, default 홍길동), so the demo data works with nothing registered.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from kmcs_site.sandbox import core
from kmcs_site.sandbox.core import SandboxRequest, SandboxResponse

PROVIDER = "bank"
SEOUL = ZoneInfo("Asia/Seoul")
NOT_FOUND = "A0333"


def _state() -> dict:
    with core.LOCK:
        st = core.state(PROVIDER)
        st.setdefault("tokens", set())
        st.setdefault("accounts", {})
        st.setdefault("transfers", {})  # bank_tran_id -> the first answer's item + facts
        st.setdefault("executed", [])  # one entry per money movement
        st.setdefault("repeats", 0)
        return st


def _take(switch: str) -> bool:
    """Consume one of the switch's planned events (a counter)."""
    with core.LOCK:
        switches = core.BEHAVIOUR.get(PROVIDER, {})
        left = int(switches.get(switch, 0) or 0)
        if left <= 0:
            return False
        switches[switch] = left - 1
        return True


def _now() -> datetime:
    return datetime.now(SEOUL)


def _envelope(**fields) -> dict:
    now = _now()
    return {
        "api_tran_id": secrets.token_hex(10),
        "api_tran_dtm": now.strftime("%Y%m%d%H%M%S%f")[:17],
        "rsp_code": "A0000",
        "rsp_message": "",
        **fields,
    }


def _error(status: int, rsp_code: str, message: str, **extra) -> SandboxResponse:
    return SandboxResponse(status, {"rsp_code": rsp_code, "rsp_message": message, **extra})


def _authorized(request: SandboxRequest) -> SandboxResponse | None:
    """None when the bearer token is valid; the 401 answer otherwise."""
    if core.behaviour(PROVIDER).get("revoke_tokens"):
        with core.LOCK:
            _state()["tokens"].clear()
            core.BEHAVIOUR.get(PROVIDER, {}).pop("revoke_tokens", None)
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    with core.LOCK:
        valid = token in _state()["tokens"]
    if not valid:
        return _error(401, "O0001", "인증 실패 (access_token)")
    return None


def _planned_failure() -> SandboxResponse | None:
    status = core.take_failure(PROVIDER)
    if status is None:
        return None
    return _error(status, "A0001", "처리 중 오류 (샌드박스)")


def _holder(bank: str, account: str) -> str | None:
    if account.endswith("9999"):
        return None
    with core.LOCK:
        known = _state()["accounts"].get(f"{bank}:{account}")
    return known or str(core.behaviour(PROVIDER).get("default_holder", "홍길동"))


# --- routes ---------------------------------------------------------------------------------


def token(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "token")
    core.delay(PROVIDER)
    form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
    switches = core.behaviour(PROVIDER)
    if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
        return _error(400, "O0002", "grant_type 또는 client_id 오류")
    expected = switches.get("client_secret")
    if expected is not None and form.get("client_secret") != expected:
        return _error(401, "O0003", "client_secret 불일치")
    value = secrets.token_urlsafe(24)
    with core.LOCK:
        _state()["tokens"].add(value)
    return SandboxResponse(
        200,
        {
            "access_token": value,
            "token_type": "Bearer",
            "expires_in": 7776000,
            "scope": form.get("scope", "oob"),
            "client_use_code": "M202600001",
        },
    )


def real_name(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "실명조회")
    core.delay(PROVIDER)
    denied = _authorized(request) or _planned_failure()
    if denied:
        return denied
    data = request.json()
    bank, account = data["bank_code_std"], data["account_num"]
    holder = _holder(bank, account)
    if holder is None:
        return _error(
            400, "A0002", "참가기관 오류", bank_rsp_code="400", bank_rsp_message="계좌오류"
        )
    return SandboxResponse(
        200,
        _envelope(
            bank_tran_id=data["bank_tran_id"],
            bank_code_std=bank,
            bank_rsp_code="000",
            bank_rsp_message="",
            account_num=account,
            account_holder_name=holder,
        ),
    )


def deposit(request: SandboxRequest) -> SandboxResponse:
    core.delay(PROVIDER)
    denied = _authorized(request) or _planned_failure()
    if denied:
        core.record(PROVIDER, request, "입금이체: 처리 안 함")
        return denied
    data = request.json()
    items = data["req_list"]
    if len(items) != 1:
        return _error(400, "A0004", "req_cnt 는 1만 지원 (샌드박스)")
    item = items[0]
    tran_id = item["bank_tran_id"]
    st = _state()
    with core.LOCK:
        first = st["transfers"].get(tran_id)
        if first is not None:
            st["repeats"] += 1
    if first is not None:
        # Idempotent: the first answer again, no money moves.
        core.record(PROVIDER, request, f"입금이체 반복 {tran_id}: 첫 결과 응답")
        return SandboxResponse(200, _envelope(res_cnt="1", res_list=[first["item"]]))
    if _take("reject_next") or _holder(item["bank_code_std"], item["account_num"]) is None:
        switches = core.behaviour(PROVIDER)
        code = str(switches.get("reject_code", "400"))
        message = str(switches.get("reject_message", "계좌오류"))
        core.record(PROVIDER, request, f"입금이체 거절 {tran_id}: {code}")
        return _error(400, "A0002", "참가기관 오류", bank_rsp_code=code, bank_rsp_message=message)
    now = _now()
    answer = {
        "tran_no": item.get("tran_no", "1"),
        "bank_tran_id": tran_id,
        "bank_tran_date": now.strftime("%Y%m%d"),
        "bank_code_tran": item["bank_code_std"],
        "bank_rsp_code": "000",
        "bank_rsp_message": "",
        "bank_code_std": item["bank_code_std"],
        "account_num_masked": item["account_num"][:-4] + "****",
        "account_holder_name": item.get("account_holder_name", ""),
        "print_content": item.get("print_content", ""),
        "tran_amt": str(int(item["tran_amt"])),
    }
    with core.LOCK:
        st["transfers"][tran_id] = {"item": answer, "at": now.isoformat()}
        st["executed"].append(
            {
                "bank_tran_id": tran_id,
                "amount": int(item["tran_amt"]),
                "tran_date": now.strftime("%Y%m%d"),
                "tran_time": now.strftime("%H%M%S"),
                "print_content": str(data.get("wd_print_content", "")),
            }
        )
    if _take("uncertain_next"):
        switches = core.behaviour(PROVIDER)
        mode = str(switches.get("uncertain_mode", "500"))
        core.record(PROVIDER, request, f"입금이체 {tran_id}: 적용 후 불확실 응답 ({mode})")
        if mode == "timeout":
            time.sleep(int(switches.get("timeout_ms", 3000)) / 1000)
            return SandboxResponse(200, _envelope(res_cnt="1", res_list=[answer]))
        if mode == "malformed":
            return SandboxResponse(
                200, "<html>gateway</html>", {"Content-Type": "text/html; charset=utf-8"}
            )
        return _error(500, "A0001", "처리 중 오류 (샌드박스)")
    core.record(PROVIDER, request, f"입금이체 {tran_id}: {answer['tran_amt']}원")
    return SandboxResponse(200, _envelope(res_cnt="1", res_list=[answer]))


def transfer_result(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "이체결과조회")
    core.delay(PROVIDER)
    denied = _authorized(request) or _planned_failure()
    if denied:
        return denied
    if _take("result_fail_next"):
        return _error(503, "A0001", "처리 중 오류 (샌드박스)")
    data = request.json()
    answers = []
    for index, wanted in enumerate(data["req_list"], start=1):
        tran_id = wanted["org_bank_tran_id"]
        with core.LOCK:
            found = _state()["transfers"].get(tran_id)
        if found is None:
            answers.append(
                {
                    "tran_no": str(index),
                    "rsp_code": NOT_FOUND,
                    "rsp_message": "원거래 없음",
                    "bank_tran_id": tran_id,
                }
            )
        else:
            answers.append({**found["item"], "tran_no": str(index), "rsp_code": "A0000"})
    return SandboxResponse(200, _envelope(res_cnt=str(len(answers)), res_list=answers))


def transaction_list(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request, "거래내역조회")
    core.delay(PROVIDER)
    denied = _authorized(request) or _planned_failure()
    if denied:
        return denied
    query = {k: v[0] for k, v in request.query.items()}
    missing = [
        k for k in ("bank_code_std", "account_num", "from_date", "to_date") if not query.get(k)
    ]
    if missing:
        return _error(400, "O0001", f"필수 항목 누락: {', '.join(missing)}")
    start, end = query["from_date"], query["to_date"]
    with core.LOCK:
        rows = [dict(e) for e in _state()["executed"] if start <= e["tran_date"] <= end]
    lines = [
        {
            "tran_date": row["tran_date"],
            "tran_time": row["tran_time"],
            "inout_type": "출금",
            "tran_type": "이체",
            "print_content": row["print_content"],
            "tran_amt": str(row["amount"]),
            "branch_name": "샌드박스",
            "bank_tran_id": row["bank_tran_id"],
        }
        for row in rows
    ]
    return SandboxResponse(200, _envelope(page_record_cnt=str(len(lines)), res_list=lines))


def sandbox_transfers(request: SandboxRequest) -> SandboxResponse:
    with core.LOCK:
        st = _state()
        return SandboxResponse(200, {"executed": list(st["executed"]), "repeats": st["repeats"]})


def sandbox_accounts(request: SandboxRequest) -> SandboxResponse:
    data = request.json()
    with core.LOCK:
        _state()["accounts"][f"{data['bank_code_std']}:{data['account_num']}"] = data["holder"]
    return SandboxResponse(200, {"ok": True})


ROUTES = [
    ("POST", r"^/oauth/2\.0/token$", token),
    ("POST", r"^/v2\.0/inquiry/real_name$", real_name),
    ("POST", r"^/v2\.0/transfer/deposit/acnt_num$", deposit),
    ("POST", r"^/v2\.0/transfer/result$", transfer_result),
    ("GET", r"^/v2\.0/account/transaction_list/acnt_num$", transaction_list),
    ("GET", r"^/_sandbox/bank/transfers$", sandbox_transfers),
    ("POST", r"^/_sandbox/bank/accounts$", sandbox_accounts),
]
