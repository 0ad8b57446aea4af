"""Pages without ``COUNT(*)``: fetch one row more than the page shows to know if there is a next.

Case tables and history tables grow without bound; an exact count costs a scan of the whole
(filtered) table on every page view and nobody needs the number. Previous / next links are
enough for a queue and for an audit trail read newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class PeekPage:
    object_list: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def page_number(raw: str | None) -> int:
    """The requested page, 1 for anything that is not a positive integer."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return number if number > 0 else 1


def peek_paginate(
    fetch: Callable[[int, int], Sequence[Any]] | Any,
    *,
    number: int,
    per_page: int = DEFAULT_PER_PAGE,
) -> PeekPage:
    """Page ``number`` of ``fetch`` (a queryset, or ``fetch(offset, limit)`` returning rows)."""
    offset = (number - 1) * per_page
    if callable(fetch):
        rows = list(fetch(offset, per_page + 1))
    else:
        rows = list(fetch[offset : offset + per_page + 1])
    return PeekPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
