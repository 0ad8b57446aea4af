"""Agit posts and OB (outbound call) attempts, under seed 002's [아지트 작성 기준]:

1) 특이사항이 있거나 OB 부재 등 히스토리 공유가 필요한 경우 아지트 작성 필수
2) 그 외에는 운영메모에 처리내용 기재
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from cases.exceptions import FactsInvalid, InvalidTransition
from cases.models import (
    Audience,
    Case,
    ContactAttempt,
    ContactResult,
    EscalationPost,
    PostReason,
    Status,
)
from cases.services._common import audited_save, lock_case, mirror, moment, require

#: Where a post goes when the playbook named no board. 대리: seeds 002/004 ("[운영] 대리 CS 대응").
#: not in seed: the parking and EV seeds name no general board; the team's own choice.
DEFAULT_BOARDS = {
    "driver": "[운영] 대리 CS 대응",
    "parking": "[운영] 주차 CS 대응",
    "ev": "[운영] 전기차충전 CS 대응",
}


def default_board(case: Case) -> str:
    """The board of the case's own playbook post if it has one, else its service's board."""
    escalation = (case.proposal or {}).get("escalation") or {}
    return escalation.get("board") or DEFAULT_BOARDS.get(case.service, DEFAULT_BOARDS["driver"])


@transaction.atomic
def escalation_post_create(
    *,
    case: Case,
    actor,
    board: str,
    body: str,
    template: str = "",
    link_url: str = "",
    mentions: Sequence[str] = (),
    reason: str = PostReason.MANUAL,
    at=None,
    publish: bool = True,
) -> EscalationPost:
    """Record an Agit post for ``case`` (to be written on Agit; ``link_url`` once it is).

    With the Agit webhook configured and no link given, KMCS writes it on Agit after commit
    (``publish=False`` keeps it for writing by hand); a link given means it was posted by hand.
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor, "cases.escalationpost.add", locked, message="아지트 글을 작성할 권한이 없습니다."
    )
    if locked.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스에는 아지트 글을 추가할 수 없습니다.")
    if not (body or "").strip():
        raise FactsInvalid({"body": ["아지트 글 본문을 입력해 주세요."]})
    post = EscalationPost(
        case=locked,
        board=(board or "").strip() or default_board(locked),
        template=template,
        body=body.strip(),
        link_url=link_url,
        mentions=list(mentions),
        reason=reason,
        created_by=actor,
        created_at=at,
        posted_at=at if link_url else None,
    )
    audited_save(post, actor)
    if publish and not link_url:
        from cases.services.agit import agit_enabled, agit_queue

        if agit_enabled():
            agit_queue(post, actor=actor)
    return post


@transaction.atomic
def escalation_post_mark_posted(
    *, post: EscalationPost, link_url: str, actor, at=None
) -> EscalationPost:
    """The post is on Agit: keep its link (the record's "-아지트 링크 :" line)."""
    post = EscalationPost.objects.select_for_update().select_related("case").get(pk=post.pk)
    require(
        actor, "cases.escalationpost.change", post, message="아지트 글을 수정할 권한이 없습니다."
    )
    if not (link_url or "").strip():
        raise FactsInvalid({"link_url": ["아지트 링크를 입력해 주세요."]})
    at = moment(at)
    post.link_url = link_url.strip()
    post.posted_at = at
    audited_save(post, actor, reason="아지트 링크 입력")
    if post.reason == PostReason.PLAYBOOK:
        from cases.services.steps import step_complete_if_pending

        step_complete_if_pending(case=post.case, step_code="post_agit", actor=actor, at=at)
    return post


def _ob_post_body(case: Case, attempt: ContactAttempt) -> str:
    target = Audience(attempt.target).label
    phone = case.masked_driver_phone if attempt.target == "driver" else case.masked_customer_phone
    when = timezone.localtime(attempt.at).strftime("%Y-%m-%d %H:%M")
    head = "OB 부재" if attempt.result == ContactResult.NO_ANSWER else "특이사항"
    lines = [
        f"[{head}] 케이스 #{case.pk} ({case.get_playbook_display()})",
        f"- 대상: {target} {phone}".rstrip(),
        f"- 시각: {when}",
        f"- 결과: {attempt.get_result_display()}",
    ]
    if case.call_id:
        lines.append(f"- 콜 ID: {case.call_id}")
    if attempt.note:
        lines.append(f"- 내용: {attempt.note}")
    return "\n".join(lines)


@transaction.atomic
def contact_attempt_log(
    *,
    case: Case,
    actor,
    target: str,
    result: str,
    note: str = "",
    is_special: bool = False,
    board: str | None = None,
    at=None,
) -> ContactAttempt:
    """Log an OB call. No answer (or anything unusual) -> an Agit post is created for it and
    the case cannot close until that post is written (link entered); an ordinary answered call
    goes to the operations memo instead.

    Returns the attempt; ``attempt.escalation_post`` is the post to write, when one is needed.
    """
    at = moment(at)
    locked = lock_case(case)
    require(actor, "cases.contactattempt.add", locked, message="OB 기록을 남길 권한이 없습니다.")
    if locked.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스에는 OB 기록을 추가할 수 없습니다.")
    attempt = ContactAttempt(
        case=locked,
        target=target,
        result=result,
        note=(note or "").strip(),
        is_special=is_special,
        at=at,
        by=actor,
    )
    audited_save(attempt, actor)
    if attempt.needs_post:
        post = EscalationPost(
            case=locked,
            board=(board or "").strip() or default_board(locked),
            body=_ob_post_body(locked, attempt),
            reason=PostReason.OB_NO_ANSWER
            if result == ContactResult.NO_ANSWER
            else PostReason.SPECIAL,
            created_by=actor,
            created_at=at,
        )
        audited_save(post, actor)
        attempt.escalation_post = post
        audited_save(attempt, actor, reason="아지트 글 연결")
    else:
        when = timezone.localtime(at).strftime("%m-%d %H:%M")
        line = f"[OB {when}] {Audience(target).label} 통화" + (
            f": {attempt.note}" if attempt.note else ""
        )
        locked.operations_memo = (
            f"{locked.operations_memo}\n{line}" if locked.operations_memo else line
        )
        audited_save(locked, actor, reason="OB 통화 내용 운영메모 기재")
        mirror(case, locked)
    return attempt
