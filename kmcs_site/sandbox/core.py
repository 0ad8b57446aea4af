"""The small request/response vocabulary every sandbox provider module uses.

A provider module (``kmcs_site/sandbox/<name>.py``) exports ``ROUTES``: a list of
``(method, path_regex, handler)``; a handler takes a :class:`SandboxRequest` and returns a
:class:`SandboxResponse`. Handlers keep their state in :data:`STATE` (one lock, one process),
record what they received with :func:`record` (shown on the sandbox's index page and readable
as JSON at ``/_sandbox/received``) and read behaviour switches ("fail the next N", "delay",
"answer uncertain") from :func:`behaviour`, which tests and the page set through
``POST /_sandbox/behaviour``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

LOCK = threading.RLock()
#: Per-provider state (dicts the provider modules own), e.g. STATE["sms"]["messages"].
STATE: dict[str, dict[str, Any]] = {}
#: Behaviour switches per provider: {"sms": {"fail_next": 2, "status": 503, "delay_ms": 0}}.
BEHAVIOUR: dict[str, dict[str, Any]] = {}
#: The last requests received (newest last), for the index page and tests.
RECEIVED: deque[dict[str, Any]] = deque(maxlen=500)


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    match: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class SandboxResponse:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return body, headers


def state(provider: str) -> dict[str, Any]:
    with LOCK:
        return STATE.setdefault(provider, {})


def behaviour(provider: str) -> dict[str, Any]:
    """The provider's current switches (a copy); empty = behave like a healthy provider."""
    with LOCK:
        return dict(BEHAVIOUR.get(provider, {}))


def take_failure(provider: str) -> int | None:
    """Consume one planned failure: the HTTP status to answer with, or None to succeed.

    ``{"fail_next": N, "status": 503}`` fails the next N calls with that status.
    """
    with LOCK:
        switches = BEHAVIOUR.get(provider, {})
        left = int(switches.get("fail_next", 0) or 0)
        if left <= 0:
            return None
        switches["fail_next"] = left - 1
        return int(switches.get("status", 503))


def delay(provider: str) -> None:
    """Sleep for the provider's ``delay_ms`` switch (latency on demand, e.g. past a timeout)."""
    ms = int(behaviour(provider).get("delay_ms", 0) or 0)
    if ms > 0:
        time.sleep(ms / 1000)


def record(provider: str, request: SandboxRequest, note: str = "") -> None:
    with LOCK:
        RECEIVED.append(
            {
                "at": time.time(),
                "provider": provider,
                "method": request.method,
                "path": request.path,
                "note": note,
                "body": request.body[:2000].decode("utf-8", "replace"),
            }
        )


def reset() -> None:
    with LOCK:
        STATE.clear()
        BEHAVIOUR.clear()
        RECEIVED.clear()
