"""Sandbox Agit: the webhook KMCS posts escalations to (issue 16 item 3).

``POST /agit/v1/posts`` with ``Authorization: Bearer <token>`` and the JSON of
:mod:`cases.services.agit` answers ``201 {"id": n, "url": ".../g/<board_id>/wall/<n>"}``. The
``idempotency_key`` (body or ``Idempotency-Key`` header) makes it idempotent: the same key
answers ``200`` with the post it already made, so ``created`` counts real posts only.

Behaviour switches (``POST /_sandbox/behaviour {"provider": "agit", ...}``):
``fail_next`` + ``status`` (answer that status before doing anything), ``lose_next`` (create the
post, then answer 503 as if the answer were lost: the retry must get the same link back),
``delay_ms`` (latency, e.g. past the client's timeout). ``GET /agit/v1/posts`` lists the posts.
"""

from __future__ import annotations

from kmcs_site.sandbox import core
from kmcs_site.sandbox.core import SandboxRequest, SandboxResponse

PROVIDER = "agit"


def _posts() -> dict:
    state = core.state(PROVIDER)
    state.setdefault("posts", {})
    state.setdefault("created", 0)
    return state


def create_post(request: SandboxRequest) -> SandboxResponse:
    core.record(PROVIDER, request)
    core.delay(PROVIDER)
    if (
        not request.headers.get("authorization", "").startswith("Bearer ")
        or not request.headers["authorization"][7:].strip()
    ):
        return SandboxResponse(401, {"error": "unauthorized"})
    failure = core.take_failure(PROVIDER)
    if failure is not None:
        return SandboxResponse(failure, {"error": "sandbox failure on demand"})
    data = request.json() or {}
    key = str(data.get("idempotency_key") or request.headers.get("idempotency-key") or "")
    board_id = str(data.get("board_id") or "")
    text = str(data.get("text") or "")
    if not key or not board_id or not text:
        return SandboxResponse(400, {"error": "idempotency_key, board_id and text are required"})
    host = request.headers.get("host", "127.0.0.1")
    with core.LOCK:
        state = _posts()
        existing = state["posts"].get(key)
        if existing is None:
            state["created"] += 1
            number = state["created"]
            existing = {
                "id": number,
                "url": f"http://{host}/agit/g/{board_id}/wall/{number}",
                "board_id": board_id,
                "text": text,
                "mentions": list(data.get("mentions") or []),
            }
            state["posts"][key] = existing
            status = 201
            switches = core.BEHAVIOUR.get(PROVIDER, {})
            if int(switches.get("lose_next", 0) or 0) > 0:
                switches["lose_next"] -= 1
                return SandboxResponse(503, {"error": "answer lost (post created)"})
        else:
            status = 200
    return SandboxResponse(status, {"id": existing["id"], "url": existing["url"]})


def list_posts(request: SandboxRequest) -> SandboxResponse:
    with core.LOCK:
        state = _posts()
        return SandboxResponse(
            200, {"created": state["created"], "posts": list(state["posts"].values())}
        )


def show_post(request: SandboxRequest) -> SandboxResponse:
    with core.LOCK:
        for post in _posts()["posts"].values():
            if str(post["id"]) == request.match["number"]:
                return SandboxResponse(200, post)
    return SandboxResponse(404, {"error": "no such post"})


ROUTES = [
    ("POST", r"^/agit/v1/posts$", create_post),
    ("GET", r"^/agit/v1/posts$", list_posts),
    ("GET", r"^/agit/g/(?P<board>[^/]+)/wall/(?P<number>\d+)$", show_post),
]
