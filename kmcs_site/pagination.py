"""Pagination shared by every app's lists (workspace, audit, notifications, admin).

Two shapes, both without an exact ``COUNT(*)`` over a table that grows without bound:

- :func:`peek_paginate` (the workspace, the audit trail, notifications): fetch one row more
  than the page shows to know if there is a next. Case tables and history tables grow without
  bound; previous / next links are enough for a queue and for an audit trail read newest first.
- :class:`CappedCountPaginator` (the admin's big change lists): counting stops at a cap instead
  of scanning the table.

Here in ``kmcs_site`` because every app uses it (it lived in ``cases.views.pagination`` and
``templates_app.paginators``, which still re-export it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404
from django.utils.functional import cached_property
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


# --- the admin's paginator ---------------------------------------------------------------
class CappedCountPaginator(Paginator):
    """``COUNT(*)`` over at most ``cap + 1`` rows (``SELECT COUNT(*) FROM (... LIMIT n)``).

    The outbox grows with every SMS; an exact count of millions of rows on every list page is
    the slowest query of the page and nobody needs it. Past the cap the list says "10001" and
    the last pages are reached through filters and search instead.

    Two refinements for large tables, each still one query per page whatever the size:

    - the capped subquery drops the list's ``ORDER BY`` (a count does not depend on the
      order), so the database counts through whichever index is cheapest instead of sorting;
    - on PostgreSQL an *unfiltered* list of a table the planner knows to be larger than the cap
      takes the planner's estimate (``pg_class.reltuples``, kept by ANALYZE and autovacuum)
      instead: no rows are read, and the admin shows "about N" rows. The same statement counts
      a small or never-analysed table exactly (the capped count sits in the ``ELSE`` branch,
      which PostgreSQL only runs when it is taken).
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return len(object_list)
        capped = object_list.order_by()[: self.cap + 1]
        if self._unfiltered(object_list.query):
            connection = connections[object_list.db]
            if connection.vendor == "postgresql":
                return self._estimate_or_count(connection, object_list, capped)
        return capped.count()

    @staticmethod
    def _unfiltered(query) -> bool:
        return not (
            query.where
            or query.distinct
            or query.combinator
            or query.is_sliced
            or query.group_by is not None
            or query.extra
        )

    def _estimate_or_count(self, connection, object_list, capped) -> int:
        inner = capped.values("pk").query
        sql, params = inner.get_compiler(connection=connection).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN c.reltuples > %s THEN c.reltuples::bigint "
                f"ELSE (SELECT COUNT(*) FROM ({sql}) capped) END "
                "FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [self.cap, *params, connection.ops.quote_name(object_list.model._meta.db_table)],
            )
            row = cursor.fetchone()
        if row is None:  # the table is not where pg_class says (a view, another schema)
            return capped.count()
        return int(row[0])
