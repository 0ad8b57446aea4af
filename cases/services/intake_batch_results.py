"""Batch intake: the per-item answers (statuses and results) a batch returns.

Split from ``cases/services/intake.py`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# --- batch intake -------------------------------------------------------------------------------

#: The history reason of a case filed by a batch (the acting user is on the row as always).
BATCH_REASON = "API 일괄 접수"


class BatchStatus:
    CREATED = "created"  # a new case
    EXISTING = "existing"  # the same idempotency key filed it before (a retry)
    KEY_REUSED = "idempotency_key_reused"  # the key filed another request: nothing filed
    DUPLICATE = "duplicate"  # an open case (or an earlier item) has the same business key
    INVALID = "invalid"  # field errors; nothing filed
    CONFLICT = "conflict"  # the idempotency key belongs to a case this caller cannot see


@dataclass(frozen=True)
class BatchItemResult:
    """What a batch did with one item (``index``: its position in the request)."""

    index: int
    status: str
    case_id: int | None = None
    idempotency_key: str | None = None
    outcome: str | None = None
    proposal_error: str | None = None
    errors: dict[str, list[str]] | None = None
    message: str = ""


def batch_item_invalid(index: int, errors: Mapping[str, list[str]], key=None) -> BatchItemResult:
    return BatchItemResult(
        index=index,
        status=BatchStatus.INVALID,
        idempotency_key=key,
        errors={name: list(messages) for name, messages in errors.items()},
        message="입력값을 확인해 주세요. 이 항목은 접수하지 않았습니다.",
    )


def _existing(index: int, case_id: int, key: str) -> BatchItemResult:
    return BatchItemResult(
        index=index,
        status=BatchStatus.EXISTING,
        case_id=case_id,
        idempotency_key=key,
        message=f"이미 접수된 요청입니다 (케이스 #{case_id}).",
    )


def _key_reused(index: int, case_id: int | None, key: str) -> BatchItemResult:
    """Single intake's 422 ``idempotency_key_reused``, for one item: the key filed a request
    with other values (case ``case_id``); this one is not filed, a new key files it."""
    message = (
        f"멱등 키 '{key}'는 다른 내용의 요청(케이스 #{case_id})에 이미 쓰였습니다. "
        "같은 요청을 다시 보낼 때만 같은 키를 쓰고, 새 접수는 새 키로 보내 주세요."
    )
    return BatchItemResult(
        index=index,
        status=BatchStatus.KEY_REUSED,
        case_id=case_id,
        idempotency_key=key,
        errors={"idempotency_key": [message]},
        message=message,
    )


def _duplicate(index: int, case_id: int, key: str | None, earlier: int | None = None):
    where = f"이 요청의 {earlier}번 항목" if earlier is not None else "처리 중인 케이스"
    return BatchItemResult(
        index=index,
        status=BatchStatus.DUPLICATE,
        case_id=case_id,
        idempotency_key=key,
        message=f"같은 건({where}, 케이스 #{case_id})이 있어 새로 접수하지 않았습니다 (중복 접수).",
    )
