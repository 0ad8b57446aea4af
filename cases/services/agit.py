"""Agit posts through an HTTP webhook (issue 16 item 3).

With ``KMCS_AGIT_WEBHOOK_URL`` set, an escalation post is written on Agit by KMCS itself: the
post row gets ``delivery_status=queued`` and its own ``idempotency_key`` in the transaction that
creates it (or when an agent presses "아지트에 게시" on a post to be written), and a Celery task
POSTs it after commit:

``POST <url>`` ``Authorization: Bearer <KMCS_AGIT_TOKEN>``, ``Idempotency-Key: <key>``,
JSON ``{"idempotency_key", "board_id", "board", "text", "mentions": ["@owner4", ...],
"case_id"}``; the board id comes from ``KMCS_AGIT_BOARDS`` (board name -> id). A 2xx answer
``{"id": ..., "url": "https://..."}`` stores the link (the post is written; a playbook post ticks
its ``post_agit`` step as the manual link does).

Retries like the SMS outbox: a 5xx, a timeout, a refused connection or a 2xx without a link are
transient (the same key goes again, so a post the board created before its answer was lost is
answered with the same link, never posted twice), up to ``KMCS_AGIT_MAX_ATTEMPTS`` with
exponential backoff; a 4xx (bad token, unknown board, refused payload) fails at once. A failed
post is retried by a lead or written by hand (the link form stays).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib import error as urlerror
from urllib import request as urlrequest

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cases.exceptions import InvalidTransition
from cases.models import AgitDelivery, EscalationPost, PostReason, Status
from cases.services._common import audited_save, require

logger = logging.getLogger(__name__)


def agit_enabled() -> bool:
    return bool(settings.KMCS_AGIT_WEBHOOK_URL)


def agit_queue(post: EscalationPost, *, actor) -> None:
    """Mark ``post`` (saved, in the caller's transaction) for the webhook and send it after
    commit. One key per post, kept across retries."""
    post.delivery_status = AgitDelivery.QUEUED
    post.idempotency_key = post.idempotency_key or uuid.uuid4().hex
    post.last_error = ""
    audited_save(post, actor, reason="아지트 자동 게시 요청", clean=False)
    from kmcs_site.broker import call_after_commit

    call_after_commit(_enqueue, post.pk)


def _enqueue(post_id: int) -> bool:
    from cases.tasks import agit_post_publish
    from kmcs_site.broker import publish

    return publish(agit_post_publish, (post_id,), what=f"아지트 글 #{post_id}")


@transaction.atomic
def escalation_post_publish(*, post: EscalationPost, actor) -> EscalationPost:
    """An agent asks KMCS to write a post that is still to be written (a playbook's or an OB
    post) on Agit; a failed one is sent again by a lead (:func:`escalation_post_retry`)."""
    post = EscalationPost.objects.select_for_update().select_related("case").get(pk=post.pk)
    require(
        actor, "cases.escalationpost.publish", post, message="아지트 글을 게시할 권한이 없습니다."
    )
    if not agit_enabled():
        raise InvalidTransition(
            "아지트 자동 게시가 설정되어 있지 않습니다. 직접 작성 후 링크를 입력해 주세요."
        )
    if post.case.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스의 아지트 글은 게시할 수 없습니다.")
    if post.link_url:
        raise InvalidTransition("이미 게시된 글입니다.")
    if post.delivery_status in (AgitDelivery.QUEUED, AgitDelivery.POSTING):
        raise InvalidTransition("이미 게시 요청된 글입니다.")
    if post.delivery_status == AgitDelivery.FAILED:
        raise InvalidTransition(
            "게시에 실패한 글입니다. 팀장·관리자의 재시도나 직접 작성이 필요합니다."
        )
    agit_queue(post, actor=actor)
    return post


@transaction.atomic
def escalation_post_retry(*, post: EscalationPost, actor) -> EscalationPost:
    post = EscalationPost.objects.select_for_update().select_related("case").get(pk=post.pk)
    require(
        actor,
        "cases.escalationpost.retry",
        post,
        message="아지트 글을 다시 게시할 권한이 없습니다.",
    )
    if post.delivery_status != AgitDelivery.FAILED or post.link_url:
        raise InvalidTransition("게시에 실패한 글만 다시 게시할 수 있습니다.")
    post.attempts = 0
    agit_queue(post, actor=actor)
    return post


@dataclass(frozen=True)
class AgitOutcome:
    status: str
    retry_in: int | None = None


class _Transient(Exception):
    pass


class _Permanent(Exception):
    pass


def _retry_delay(attempts: int) -> int:
    return min(10 * 2 ** max(attempts - 1, 0), 1800)


def _payload(post: EscalationPost) -> dict:
    board_id = settings.KMCS_AGIT_BOARDS.get(post.board)
    if not board_id:
        raise _Permanent(f"게시판 매핑 없음: '{post.board}' (KMCS_AGIT_BOARDS)")
    mentions = []
    for handle in post.mentions or []:
        handle = str(handle).strip()
        if handle:
            mentions.append(handle if handle.startswith("@") else f"@{handle}")
    title = post.board + (f" > {post.template}" if post.template else "")
    return {
        "idempotency_key": post.idempotency_key,
        "board_id": str(board_id),
        "board": post.board,
        "title": f"[KMCS-{post.case_id}] {title}",
        "text": post.body,
        "mentions": mentions,
        "case_id": post.case_id,
    }


def _post(payload: dict, key: str) -> str:
    """POST once; the link on success, else _Transient/_Permanent."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urlrequest.Request(
        settings.KMCS_AGIT_WEBHOOK_URL,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {settings.KMCS_AGIT_TOKEN}",
            "Idempotency-Key": key,
        },
    )
    try:
        with urlrequest.urlopen(req, timeout=settings.KMCS_AGIT_TIMEOUT) as answer:  # nosec B310 (configured https URL)
            raw = answer.read(65536)
    except urlerror.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace")
        if exc.code >= 500 or exc.code in (408, 429):
            raise _Transient(f"HTTP {exc.code}: {detail}") from exc
        raise _Permanent(f"HTTP {exc.code}: {detail}") from exc
    except (urlerror.URLError, OSError) as exc:
        raise _Transient(f"연결 실패: {exc}") from exc
    try:
        link = str(json.loads(raw.decode("utf-8")).get("url") or "")
        URLValidator(schemes=["http", "https"])(link)
    except (ValueError, AttributeError, ValidationError) as exc:
        raise _Transient(f"응답에 글 링크가 없습니다: {raw[:200]!r}") from exc
    return link[:500]


def _claim(post_id: int) -> EscalationPost | None:
    with transaction.atomic():
        post = EscalationPost.objects.select_for_update().filter(pk=post_id).first()
        if post is None or post.delivery_status != AgitDelivery.QUEUED or post.link_url:
            return None
        post.delivery_status = AgitDelivery.POSTING
        post.attempts += 1
        audited_save(post, None, reason=f"아지트 게시 시도 {post.attempts}", clean=False)
        return post


def _settle(post: EscalationPost, status: str, error: str, reason: str) -> None:
    with transaction.atomic():
        locked = EscalationPost.objects.select_for_update().get(pk=post.pk)
        locked.delivery_status = status
        locked.last_error = error[:2000]
        audited_save(locked, None, reason=reason, clean=False)


def agit_post_deliver(*, post_id: int) -> AgitOutcome:
    """Write one queued post on Agit (the Celery task calls this); safe to call twice."""
    post = _claim(post_id)
    if post is None:
        return AgitOutcome("skipped")
    try:
        link = _post(_payload(post), post.idempotency_key)
    except _Transient as exc:
        if post.attempts < settings.KMCS_AGIT_MAX_ATTEMPTS:
            _settle(post, AgitDelivery.QUEUED, str(exc), "아지트 일시 오류: 재시도 대기")
            logger.warning("아지트 글 #%s 일시 오류, 재시도: %s", post.pk, exc)
            return AgitOutcome(AgitDelivery.QUEUED, retry_in=_retry_delay(post.attempts))
        _settle(post, AgitDelivery.FAILED, str(exc), "아지트 게시 실패 (재시도 한도)")
        return AgitOutcome(AgitDelivery.FAILED)
    except _Permanent as exc:
        _settle(post, AgitDelivery.FAILED, str(exc), "아지트 게시 실패")
        logger.warning("아지트 글 #%s 게시 실패: %s", post.pk, exc)
        return AgitOutcome(AgitDelivery.FAILED)
    with transaction.atomic():
        locked = (
            EscalationPost.objects.select_for_update().select_related("case", "created_by")
        ).get(pk=post.pk)
        now = timezone.now()
        locked.link_url = link
        locked.posted_at = now
        locked.delivery_status = AgitDelivery.POSTED
        locked.last_error = ""
        audited_save(locked, None, reason="아지트 자동 게시 (링크 저장)", clean=False)
        if locked.reason == PostReason.PLAYBOOK:
            from cases.services.steps import step_complete_if_pending

            # On behalf of the person who asked for the post, as the manual link does.
            step_complete_if_pending(
                case=locked.case, step_code="post_agit", actor=locked.created_by, at=now
            )
    return AgitOutcome(AgitDelivery.POSTED)


def agit_requeue_stale(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """The sweeper (beat ``cases-agit-requeue-stale``): hand Celery again the posts that stay
    ``queued`` with no change for ``older_than`` (their broker message was lost: a dead broker
    at commit, a purged queue). Idempotent: the task claims the row (``queued`` -> ``posting``,
    one worker wins) and the webhook gets the post's one idempotency key, so a post handed
    twice is posted once. A post waiting for its backoff retry changed when it was put back,
    so it is left to its own retry until ``older_than`` (and handing it early would only send
    the same key sooner)."""
    before = timezone.now() - older_than
    last_change = (
        EscalationPost.history.filter(id=OuterRef("pk"))
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    ids = list(
        EscalationPost.objects.filter(delivery_status=AgitDelivery.QUEUED, link_url="")
        .annotate(last_change=Subquery(last_change))
        .filter(last_change__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    handed = 0
    for post_id in ids:
        if not _enqueue(post_id):
            break  # the broker is still down: the next run tries again
        handed += 1
    return handed
