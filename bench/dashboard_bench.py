"""Benchmark of the lead dashboard (``/dashboard/``): time and SQL queries per page, by size.

    .venv/bin/python bench/dashboard_bench.py                          # 1,000 and 100,000 cases, SQLite
    .venv/bin/python bench/dashboard_bench.py --sizes 1000,1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kmcs_dashbench \\
        .venv/bin/python bench/dashboard_bench.py --sizes 1000,1000000   # PostgreSQL

A fresh database (a SQLite file in a temporary directory, or the PostgreSQL database named in
``DATABASE_URL``, which must have "bench" in its name: it is dropped and created again) is
migrated, then grown to each size in turn with made-up rows written in bulk: cases over the
last two years across the five playbooks, channels and statuses (about 90 % decided, with a
decision time of half an hour to three days), a waiting step with a running or overdue step
clock on one case in ten, and a failed SMS on one case in fifty. For each size the page is
requested through Django's test client (the whole request path) for a 30-day, a one-year and
a two-year range, ``--requests`` times after one warm-up: median and max milliseconds and
the number of SQL queries are printed (from the day summaries; "sql ms" the time spent in SQL;
"direct ms" is the same page counting every case, "build s" the summaries' full rebuild;
"equal" whether every figure read from the summaries equals the direct read; "load" the
1-minute load average). The query count must not grow with the size (that is
what the test suite pins); the times are only reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH = 5_000
PLAYBOOKS = (
    ("driver_nonride_cancel", "driver", ("approved", "rejected_ride_recorded")),
    ("parking_double_payment", "parking", ("cancel_pass_payment", "normal_overtime")),
    ("ev_charging", "ev", ("forward_to_cpo", "postbill_notice")),
    ("traffic_fine", "driver", ("payout", "transfer_to_manager")),
    ("parking_operations", "parking", ("follow_route", "explain_refund")),
)
CHANNELS = ("chatbot_board", "chat", "phone", "app_board")
WAITS = (("team", "service_level:team", ""), ("partner", "service_level:partner", "하이파킹"))
WAITS += (("cpo", "service_level:cpo", "가CPO"),)


def fresh_database(workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'dashbench.sqlite3'}"
        return "sqlite"
    import psycopg

    base, _, name = url.rpartition("/")
    if "bench" not in name:
        sys.exit(f"DATABASE_URL must name a database with 'bench' in it (it is dropped): {name}")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql"


def grow(to_size: int, start_index: int, now: datetime, rng: random.Random) -> None:
    """Add cases ``start_index``..``to_size - 1`` (with their steps, clocks, failed SMS)."""
    from django.db import transaction

    from cases.models import Case, CaseStep, StepClock
    from templates_app.models import OutboundMessage, SmsTemplateVersion

    version = SmsTemplateVersion.objects.select_related("template").order_by("pk").first()
    two_years = 2 * 365 * 24 * 3600
    for first in range(start_index, to_size, BATCH):
        last = min(first + BATCH, to_size)
        cases = []
        for i in range(first, last):
            code, service, outcomes = PLAYBOOKS[i % len(PLAYBOOKS)]
            created = now - timedelta(seconds=rng.randrange(two_years))
            decided = rng.random() < 0.9
            cases.append(
                Case(
                    playbook=code,
                    service=service,
                    channel=CHANNELS[i % len(CHANNELS)],
                    facts={},
                    status=(
                        ("closed" if rng.random() < 0.8 else "decided")
                        if decided
                        else rng.choice(("new", "in_progress", "waiting"))
                    ),
                    outcome=rng.choice(outcomes) if decided else "",
                    created_at=created,
                    decided_at=created + timedelta(minutes=rng.randrange(30, 3 * 24 * 60))
                    if decided
                    else None,
                )
            )
        with transaction.atomic():
            cases = Case.objects.bulk_create(cases, batch_size=1000)
            waiting = [c for c in cases if c.decided_at and rng.random() < 0.1]
            steps = CaseStep.objects.bulk_create(
                [
                    CaseStep(
                        case=c,
                        order=1,
                        code="post_agit",
                        label="담당부서 확인 요청",
                        kind="post",
                        waits_on=WAITS[c.pk % 3][0],
                        created_at=c.decided_at,
                    )
                    for c in waiting
                ],
                batch_size=1000,
            )
            clocks = []
            for step in steps:
                case = step.case
                waits_on, rule, who = WAITS[case.pk % 3]
                due = case.decided_at + timedelta(days=3)
                overdue = due < now and rng.random() < 0.5
                clocks.append(
                    StepClock(
                        step=step,
                        case=case,
                        playbook=case.playbook,
                        step_code=step.code,
                        waits_on=waits_on,
                        rule=rule,
                        effective_rule="business_days:3",
                        pauses_on_customer=True,
                        counterparty=who,
                        started_at=case.decided_at,
                        due_at=due,
                        stopped_at=None if overdue or due >= now else due - timedelta(hours=1),
                        stop_reason="" if overdue or due >= now else "done",
                        overdue_marked_at=due + timedelta(minutes=5) if overdue else None,
                    )
                )
            StepClock.objects.bulk_create(clocks, batch_size=1000)
            if version is not None:
                OutboundMessage.objects.bulk_create(
                    [
                        OutboundMessage(
                            recipient="010-0000-1234",
                            audience="customer",
                            template=version.template,
                            template_version=version,
                            body="벤치 문자",
                            length_class="SMS",
                            idempotency_key=f"dashbench:{c.pk}",
                            status="failed",
                        )
                        for c in cases
                        if c.pk % 50 == 0
                    ],
                    batch_size=1000,
                )


def measure(client, params: dict, requests: int) -> tuple[float, float, int, float]:
    """(median ms, max ms, SQL statements, median ms spent in SQL) of ``requests`` pages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/dashboard/", params)  # warm-up
    times, sql, queries = [], [], 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get("/dashboard/", params)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"/dashboard/ answered {response.status_code} for {params}")
        queries = len(ctx.captured_queries)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return statistics.median(times), max(times), queries, statistics.median(sql)


def shown(params: dict) -> tuple:
    """Every figure the page shows for ``params`` (to compare summary and direct reads)."""
    from cases.dashboard.figures import Filters, dashboard_figures

    figures = dashboard_figures(
        filters=Filters(
            date.fromisoformat(params["date_from"]), date.fromisoformat(params["date_to"])
        )
    )
    return (
        figures.by_playbook.rows,
        figures.by_channel.rows,
        figures.by_outcome,
        figures.open_by_status,
        figures.overdue_by_step,
        figures.overdue_by_partner,
        figures.overdue_in_range,
        figures.median_decision,
        figures.messages_failed,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="case counts, ascending")
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    workdir = Path(tempfile.mkdtemp(prefix="kmcs-dashbench-"))
    vendor = fresh_database(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kmcs_site.settings.test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from kmcs_site.permissions import Role

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    lead = get_user_model().objects.create_user("dashbench_lead", "dashbench@kmcs.example")
    lead.groups.add(Group.objects.get(name=Role.TEAM_LEAD))
    client = Client()
    client.force_login(lead)

    now = timezone.now()
    today = timezone.localdate(now)
    ranges = {
        "30일": {
            "date_from": (today - timedelta(days=29)).isoformat(),
            "date_to": today.isoformat(),
        },
        "1년": {
            "date_from": (today - timedelta(days=364)).isoformat(),
            "date_to": today.isoformat(),
        },
        "2년": {
            "date_from": date(today.year - 2, today.month, min(today.day, 28)).isoformat(),
            "date_to": today.isoformat(),
        },
    }
    rng = random.Random(args.seed)
    print(f"KMCS dashboard bench · {vendor} · {datetime.now():%Y-%m-%d %H:%M}")
    print(
        f"{'cases':>10} {'range':>5} {'median ms':>10} {'max ms':>8} {'sql ms':>7} {'queries':>8}"
        f" {'grow s':>7} {'direct ms':>10} {'d sql ms':>9} {'build s':>8} {'equal':>6} {'load':>5}"
    )
    have, counts, unequal = 0, set(), 0
    for size in sizes:
        started = time.perf_counter()
        grow(size, have, now, rng)
        have = size
        grown = time.perf_counter() - started
        if vendor == "postgresql":
            from django.db import connection

            # What autovacuum does after a bulk load: statistics, and the visibility map the
            # index-only counts (open cases, overdue clocks) rely on.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        # Issue 17.4: each range read twice, counting every case ("direct"), then from the day
        # summaries the beat job keeps ("summary", after a full rebuild, timed as "build s").
        from cases.dashboard.summary import summary_refresh
        from cases.models import SummaryState

        SummaryState.objects.all().delete()
        direct = {name: measure(client, params, args.requests) for name, params in ranges.items()}
        direct_shown = {name: shown(params) for name, params in ranges.items()}
        built = time.perf_counter()
        summary_refresh(rebuild=True)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE cases_casedaysummary, cases_decisiondurationsummary")
        built = time.perf_counter() - built
        for name, params in ranges.items():
            median, worst, queries, sql = measure(client, params, args.requests)
            d_median, _d_worst, d_queries, d_sql = direct[name]
            counts.update({queries, d_queries})
            equal = shown(params) == direct_shown[name]
            unequal += not equal
            print(
                f"{size:>10,} {name:>5} {median:>10.1f} {worst:>8.1f} {sql:>7.1f} {queries:>8}"
                f" {grown:>7.1f} {d_median:>10.1f} {d_sql:>9.1f} {built:>8.1f}"
                f" {'yes' if equal else 'NO':>6} {os.getloadavg()[0]:>5.1f}",
                flush=True,
            )
            grown = built = 0.0
    print(
        "queries per page: "
        + ("the same at every size" if len(counts) == 1 else f"DIFFER {sorted(counts)}")
    )
    print(
        "figures from the summaries: "
        + ("equal to the direct reads" if not unequal else f"DIFFER in {unequal} range(s)")
    )
    return 0 if len(counts) == 1 and not unequal else 1


if __name__ == "__main__":
    raise SystemExit(main())
