"""Pages without ``COUNT(*)``: fetch one row more than the page shows to know if there is a next.

Case tables and history tables grow without bound; an exact count costs a scan of the whole
(filtered) table on every page view and nobody needs the number. Previous / next links are
enough for a queue and for an audit trail read newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

DEFAULT_PER_PAGE = 50
#: The deepest page a list answers (5,000,000 rows at 50 a page). Without a count there is no
#: "last page" to fall back to; deeper than this nobody reads page by page (filters do that),
#: and a larger number would overflow the database's integer for the OFFSET (issue 12: a
#: ``?page=99999999999999999999999`` probe answered 500). Beyond it: a clean Korean 404.
MAX_PAGE = 100_000


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
    """The requested page: 1 for anything that is not a positive integer (``abc``, ``-1``,
    ``0``, ``1.5``); Http404 above :data:`MAX_PAGE`."""
    try:
        number = int(str(raw or 1).strip())
    except (TypeError, ValueError):
        return 1
    if number > MAX_PAGE:
        raise Http404(_("페이지 번호가 너무 큽니다 (최대 %(max)s).") % {"max": f"{MAX_PAGE:,}"})
    return number if number > 0 else 1


def peek_paginate(
    fetch: Callable[[int, int], Sequence[Any]] | Any,
    *,
    number: int,
    per_page: int = DEFAULT_PER_PAGE,
) -> PeekPage:
    """Page ``number`` of ``fetch`` (a queryset, or ``fetch(offset, limit)`` returning rows).

    ``number`` is clamped to 1..:data:`MAX_PAGE` so that no caller can send the database an
    OFFSET it cannot hold (views pass :func:`page_number`, which answers 404 beyond it)."""
    number = min(max(int(number), 1), MAX_PAGE)
    offset = (number - 1) * per_page
    if callable(fetch):
        rows = list(fetch(offset, per_page + 1))
    else:
        rows = list(fetch[offset : offset + per_page + 1])
    return PeekPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
