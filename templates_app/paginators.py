"""A paginator for big admin lists: counting stops at a cap instead of scanning the table."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


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
