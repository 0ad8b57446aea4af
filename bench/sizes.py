"""The bench's sizes, checked before anything is generated (issue 17: bad input gets a clear
message, and nothing is created or dropped)."""

from __future__ import annotations

import re

#: The sizes the bench knows, by name: 10k, 100k, 1m (or the number itself, e.g. 10000, 10_000).
NAMED = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
LARGEST = 1_000_000
#: From this many cases on the bench needs PostgreSQL (COPY loading, the plans it measures).
POSTGRES_FROM = 1_000_000


class SizeError(ValueError):
    """A size the bench cannot run; the message says why, in Korean."""


def parse_size(raw: str) -> int:
    text = raw.strip().lower().replace("_", "").replace(",", "")
    if text in NAMED:
        return NAMED[text]
    if not re.fullmatch(r"\d+", text):
        raise SizeError(
            f"알 수 없는 규모입니다: '{raw}'. 숫자(예: 10000) 또는 {', '.join(NAMED)} 중 하나를 주세요."
        )
    size = int(text)
    if size <= 0 or size > LARGEST:
        raise SizeError(f"규모는 1 이상 {LARGEST:,} 이하여야 합니다: {raw}")
    return size


def parse_sizes(raw: str) -> list[int]:
    parts = [p for p in raw.split(",") if p.strip()]
    if not parts:
        raise SizeError("규모가 비어 있습니다: 예) --sizes 10k,100k")
    return sorted({parse_size(p) for p in parts})


def check_database(sizes: list[int], database_url: str) -> None:
    """A size of a million cases or more runs only on PostgreSQL."""
    big = [s for s in sizes if s >= POSTGRES_FROM]
    if big and not database_url.startswith(("postgres://", "postgresql://")):
        raise SizeError(
            f"{big[0]:,}건 규모는 PostgreSQL에서만 실행합니다 (DATABASE_URL이 PostgreSQL이 아님: "
            f"{database_url.split('://')[0] or '없음'}). 예) --database-url postgres://postgres@127.0.0.1:5432/kmcs_perf"
        )
