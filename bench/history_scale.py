"""History at scale (issue 17.8): the audit list's plans, and the archive step timed.

    .venv/bin/python bench/history_scale.py --cases 2000           # quick (a minute or two)
    .venv/bin/python bench/history_scale.py --cases 100000 --reuse

1. Seeds a PostgreSQL database (``bench/seed_data.py``, cases spread over ``--days``, default
   three years, so part of the history is older than the two years kept live).
2. ``EXPLAIN (ANALYZE, FORMAT JSON)`` of the auditor's history list statement
   (``kmcs_site.history.history_page_query``) for each way the page is filtered: none, by user,
   by period, user and period, one case's history, the first page and a deep page. A Seq
   Scan of a historical table fails the run (exit 1). At bench sizes the planner would read
   small tables whole, so sequential scans are penalised (``enable_seqscan = off``): a branch
   no index serves still shows its Seq Scan, so the check proves an index serves every one.
3. Runs ``manage.py kmcs_history_archive --months 24`` (the retention plan's step) on that data
   and prints the rows moved and the seconds, then the same plans again (the live tables
   smaller, the plans the same).
4. Times the auditor's list page as the view builds it (keys and rows, ``history_fetcher``;
   the planner's defaults, median of 5) for each shape before the archive step, after it, and
   after it with "보관된 이력 포함" (the live and archive tables merged).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kmcs_history_scale"


def walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def explain(query) -> dict:
    from django.db import connection

    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else plan
    nodes = list(walk(plan["Plan"]))
    seq = sorted(
        {
            n.get("Relation Name", "")
            for n in nodes
            if n["Node Type"] == "Seq Scan" and "historical" in n.get("Relation Name", "")
        }
    )
    indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
    # Rows the scans of history tables produced (per loop times loops): bounded by the page
    # (offset + limit per table) when each branch is an ordered index scan that stops early.
    read = sum(
        n.get("Actual Rows", 0) * n.get("Actual Loops", 1)
        for n in nodes
        if "Scan" in n["Node Type"] and "historical" in n.get("Relation Name", "")
    )
    tables = {n["Relation Name"] for n in nodes if "historical" in n.get("Relation Name", "")}
    return {
        "ms": plan.get("Execution Time", 0.0),
        "seq": seq,
        "indexes": indexes,
        "read": read,
        "tables": len(tables),
    }


def shapes() -> list[tuple[str, object]]:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from cases.models import Case
    from kmcs_site.history import HistoryFilters

    busiest = (
        Case.history.exclude(history_user=None)
        .values("history_user_id")
        .annotate(n=Count("history_id"))
        .order_by("-n")
        .first()
    )
    user = get_user_model().objects.get(pk=busiest["history_user_id"])
    case = Case.objects.order_by("-pk").first()
    now = timezone.now()
    month = (now - timedelta(days=60), now - timedelta(days=30))
    return [
        ("all, page 1", HistoryFilters(), 0),
        ("all, page 50", HistoryFilters(), 49 * 50),
        ("by user", HistoryFilters(user_id=user.pk), 0),
        ("by period", HistoryFilters(since=month[0], until=month[1]), 0),
        ("user and period", HistoryFilters(user_id=user.pk, since=month[0], until=month[1]), 0),
        ("one case", HistoryFilters(model="cases.case", object_id=case.pk), 0),
    ]


def check_plans(label: str) -> bool:
    from kmcs_site.history import history_page_query

    ok = True
    print(f"\n{label}")
    print(
        f"  {'audit list':18} {'ms':>8} {'rows read':>10} {'bound':>8}  "
        "seq scans of history tables / indexes used"
    )
    for name, filters, offset in shapes():
        query = history_page_query(filters=filters, offset=offset, limit=51)
        result = explain(query)
        # Flat: no table read whole, and no more rows read than the page needs from each
        # table (offset + limit, plus the next row that tells the scan to stop).
        bound = max(1, result["tables"]) * (offset + 51 + 1)
        flat = not result["seq"] and result["read"] <= bound
        ok = ok and flat
        where = "SEQ SCAN " + ", ".join(result["seq"]) if result["seq"] else "none"
        used = [i for i in result["indexes"] if "hist" in i or "history" in i]
        print(
            f"  {name:18} {result['ms']:8.1f} {result['read']:10,} {bound:8,}  {where} / "
            f"{len(used)} history indexes ({', '.join(used[:2])}{', ...' if len(used) > 2 else ''})"
            + ("" if flat else "  NOT FLAT")
        )
    return ok


def page_timings(label: str, *, archived: bool = False) -> dict[str, float]:
    """Median ms of one full audit list page (keys + rows) per shape, planner defaults."""
    import statistics
    from dataclasses import replace

    from django.db import connection

    from kmcs_site.history import history_fetcher

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = on")
    timings = {}
    print(f"\n{label}: audit list page (keys and rows), median of 5, ms")
    for name, filters, offset in shapes():
        fetch = history_fetcher(replace(filters, archived=archived))
        samples, rows = [], 0
        for _ in range(5):
            t0 = time.perf_counter()
            rows = len(fetch(offset, 51))
            samples.append((time.perf_counter() - t0) * 1000)
        timings[name] = statistics.median(samples)
        print(f"  {name:18} {timings[name]:8.1f}  ({rows} rows)")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    return timings


def history_rows() -> int:
    from django.db import connection

    from kmcs_site.management.commands.kmcs_history_archive import history_tables

    total = 0
    with connection.cursor() as cursor:
        for table in history_tables():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            total += cursor.fetchone()[0]
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--days", type=int, default=1095, help="period the cases spread over")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/history_scale.py needs PostgreSQL (--database-url postgres://...)")
    if not args.reuse:
        recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.seed_data import seed
    from cases.models import Case

    call_command("migrate", verbosity=0)
    if Case.objects.count() < args.cases:
        seed(cases=args.cases - Case.objects.count(), days=args.days, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    before = history_rows()
    print(f"{Case.objects.count():,} cases, {before:,} history rows (enable_seqscan = off)")
    ok = check_plans("before the archive step")
    page_timings("before the archive step")
    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("kmcs_history_archive", months=24, stdout=out)
    seconds = time.perf_counter() - t0
    after = history_rows()
    moved = before - after
    print(
        f"\narchive step (kmcs_history_archive --months 24): {moved:,} of {before:,} rows moved "
        f"in {seconds:.2f} s ({moved / seconds if seconds else 0:,.0f} rows/s); "
        f"{after:,} live rows left"
    )
    print("  " + out.getvalue().strip().splitlines()[-1])
    ok = check_plans("after the archive step") and ok
    page_timings("after the archive step")
    page_timings("after the archive step, 보관된 이력 포함", archived=True)
    print(
        "\nPASS: every audit list shape is index-backed and reads at most its page per table"
        if ok
        else "\nFAIL: see NOT FLAT above"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
