"""The KMCS benchmark: one command, one table, one JSON file.

    .venv/bin/python bench/run.py                         # 10k then 1M cases, PostgreSQL
    .venv/bin/python bench/run.py --sizes 10000,100000    # a quicker run

What one run measures, on one database, in one process (so every ratio compares numbers taken
minutes apart on the same machine):

1. For each size (default 10,000 then 1,000,000 cases; the database is created fresh, seeded
   to the first size with ``bench/seed_data.py``, measured, grown to the next size, measured):
   every page in :data:`PAGES` is requested through Django's test client (the whole request
   path: middleware, session, permissions, view, template) ``--requests`` times after a
   warm-up. Reported: median and p95 server time, the number of SQL queries, and the
   *raw-SQL floor*: the very statements the page ran (captured with
   ``CaptureQueriesContext``) executed alone on a raw cursor, the same number of times,
   interleaved with the page requests. ``page/floor`` is the page's median over the floor's
   median; ``p95/floor`` the page's p95 over the floor's p95. COUNT queries are classified:
   ``-`` none, ``capped`` (``COUNT`` over a ``LIMIT`` subquery), ``scoped`` (filtered to one
   object), ``FULL`` (a count of a whole table: the thing the product must never do).
2. Intake: ``--intake`` submissions to ``POST /api/v1/cases/`` (token auth, the chatbot
   integration), one in ten a second inquiry about an open case (the duplicate guard answers
   409), on ``--intake-workers`` processes at once: cases/s. Then the same number of fresh
   submissions through ``POST /api/v1/cases/batch/``, ``--intake-batch`` per request (the
   duplicate guard answers per item).
3. Rendering: ``--renders`` calls of ``render_sms`` over every approved catalogue template:
   messages/s.
4. History: one case given ``--versions`` history rows; its admin history page and the
   auditor's case history timed like the pages (``--history-requests`` times each).

Targets (issue 7) are checked at the end and printed as PASS/MISS; the run never fails on a
miss (the table is the result). Timed runs live here, never in the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kmcs_perf"
RESULTS = ROOT / "bench" / "results"

#: Targets of issue 7.
MAX_LIST_QUERIES = 10
MAX_P95_OVER_FLOOR = 3.0
MIN_INTAKE_PER_SECOND = 500
MIN_RENDERS_PER_SECOND = 20_000


@dataclass
class PageResult:
    name: str
    size: int
    url: str
    status: int
    median_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int = 0
    floor_median_ms: float = 0.0
    floor_p95_ms: float = 0.0
    counts: str = "-"
    is_list: bool = True
    sql: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_median_ms if self.floor_median_ms else math.inf

    @property
    def p95_ratio(self) -> float:
        return self.p95_ms / self.floor_p95_ms if self.floor_p95_ms else math.inf


@dataclass
class Results:
    started_at: str
    machine: dict
    git: dict
    database: dict
    settings: dict
    seeds: list[dict] = field(default_factory=list)
    pages: list[PageResult] = field(default_factory=list)
    intake: dict = field(default_factory=dict)
    intake_batch: dict = field(default_factory=dict)
    render: dict = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)


# --- environment --------------------------------------------------------------------------------


def git_info() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "revision": git("rev-parse", "HEAD"),
        "short": git("rev-parse", "--short", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def machine_info() -> dict:
    cpu = ""
    memory_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names (PostgreSQL), or delete the SQLite file."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate database {name!r}")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- timing -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


#: Transaction control statements: sent, but not queries (the page's count excludes them).
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def classify_counts(statements: list[str]) -> str:
    kinds = []
    for sql in statements:
        upper = sql.upper()
        if "COUNT(" not in upper:
            continue
        if " LIMIT " in upper:
            kinds.append("capped")
        elif " WHERE " in upper:
            kinds.append("scoped")
        else:
            kinds.append("FULL")
    if not kinds:
        return "-"
    return "FULL" if "FULL" in kinds else ",".join(sorted(set(kinds)))


def run_floor(statements: list[str]) -> float:
    """Seconds the page's statements take alone: executed and fetched one after the other on a
    raw cursor, in a transaction rolled back afterwards (a session UPDATE changes nothing)."""
    from django.db import connection, transaction

    spent = 0.0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the driver's cursor: no Django wrapper in the timing
        for sql in statements:
            t0 = time.perf_counter()
            raw.execute(sql)
            if raw.description is not None:
                raw.fetchall()
            spent += time.perf_counter() - t0
        transaction.set_rollback(True)
    return spent


@dataclass
class Page:
    name: str
    who: str  # bench username
    url: str
    is_list: bool = True


def measure_page(page: Page, client, size: int, requests: int) -> PageResult:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = PageResult(name=page.name, size=size, url=page.url, status=0, is_list=page.is_list)
    for _ in range(3):  # warm-up: caches, connection, first-time template compilation
        response = client.get(page.url)
    result.status = response.status_code
    if response.status_code != 200:
        return result
    with CaptureQueriesContext(connection) as captured:
        client.get(page.url)
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)
    ]
    result.queries = len(statements)  # BEGIN/COMMIT/SAVEPOINT are not queries
    result.counts = classify_counts(statements)
    result.sql = statements
    run_floor(statements)  # warm the floor's plans too
    page_times, floor_times = [], []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(page.url)
        page_times.append(time.perf_counter() - t0)
        floor_times.append(run_floor(statements))
    result.median_ms = statistics.median(page_times) * 1000
    result.p95_ms = percentile(page_times, 0.95) * 1000
    result.floor_median_ms = statistics.median(floor_times) * 1000
    result.floor_p95_ms = percentile(floor_times, 0.95) * 1000
    return result


def bench_users() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__startswith="bench_")
    return {u.username: u for u in users}


_CLIENTS: dict[str, Any] = {}


def client_for(username: str):
    from django.test import Client

    if username not in _CLIENTS:
        client = Client()
        client.force_login(bench_users()[username])
        _CLIENTS[username] = client
    return _CLIENTS[username]


def pages_to_measure() -> list[Page]:
    """The list pages of the product and the case page, with the users who open them."""
    from django.urls import reverse

    from cases.models import OPEN_STATUSES, Case

    agent = bench_users()["bench_driver_01"]
    mine = (
        Case.objects.filter(assignee=agent, status__in=OPEN_STATUSES).order_by("-id").first()
        or Case.objects.filter(assignee=agent).order_by("-id").first()
    )
    searched = (
        Case.objects.filter(playbook="traffic_fine", status="closed")
        .order_by("id")
        .values_list("call_id", flat=True)
        .first()
    )
    changelist = reverse("admin:cases_case_changelist")
    return [
        Page("admin: case changelist", "bench_lead", changelist),
        Page(
            "admin: changelist, 2 filters",
            "bench_lead",
            f"{changelist}?playbook__exact=traffic_fine&status__exact=closed",
        ),
        Page("admin: changelist, search", "bench_lead", f"{changelist}?q={searched}"),
        Page("agent queue", "bench_driver_01", reverse("workspace:queue")),
        Page("agent case list", "bench_driver_01", reverse("workspace:case_list")),
        Page("case page", "bench_driver_01", reverse("workspace:case", args=[mine.pk]), False),
        Page("audit: history list", "bench_auditor", reverse("audit:history")),
        Page(
            "admin: outbox changelist",
            "bench_lead",
            reverse("admin:templates_app_outboundmessage_changelist"),
        ),
        Page(
            "admin: payout changelist", "bench_lead", reverse("admin:fines_finepayout_changelist")
        ),
        Page(
            "admin: notice changelist", "bench_lead", reverse("admin:fines_finenotice_changelist")
        ),
    ]


def measure_pages(size: int, requests: int, stdout) -> list[PageResult]:
    results = []
    for page in pages_to_measure():
        result = measure_page(page, client_for(page.who), size, requests)
        results.append(result)
        stdout.write(
            f"    {page.name:<32} {result.status}  median {result.median_ms:7.1f} ms  "
            f"p95 {result.p95_ms:7.1f} ms  {result.queries:>2} queries  floor "
            f"{result.floor_median_ms:6.1f} ms\n"
        )
        stdout.flush()
    return results


# --- history of one object with many versions ---------------------------------------------------


def ensure_versions(versions: int):
    """A case with ``versions`` history rows (edits of its notes by a lead), made once."""
    from django.db import connection, transaction

    from cases.models import Case

    lead = bench_users()["bench_lead"]
    case = Case.objects.filter(status="closed").order_by("id").first()
    history = Case.history.model
    have = history.objects.filter(id=case.pk).count()
    if have >= versions:
        return case
    base = history.objects.filter(id=case.pk).order_by("-history_date", "-history_id").first()
    fields = [f.attname for f in history._meta.concrete_fields if f.attname != "history_id"]
    rows = []
    for i in range(versions - have):
        values = {name: getattr(base, name) for name in fields}
        values.update(
            history_date=base.history_date + timedelta(minutes=i + 1),
            history_type="~",
            history_change_reason="처리내용 보완",
            history_user_id=lead.pk,
            record_notes=f"{base.record_notes}\n[보완 {i + 1}] 고객 재문의 내용 확인, 안내 완료",
            operations_memo=f"운영메모 v{i + 1}",
        )
        rows.append(history(**values))
    with transaction.atomic():
        history.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":
        # Fresh statistics, as ANALYZE/autovacuum keeps them: one object now owns 10,000 rows.
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{history._meta.db_table}"')
    return case


def measure_history(versions: int, requests: int, size: int, stdout) -> list[PageResult]:
    from django.urls import reverse

    case = ensure_versions(versions)
    pages = [
        Page(
            f"admin: history, {versions:,} versions",
            "bench_lead",
            reverse("admin:cases_case_history", args=[case.pk]),
            False,
        ),
        Page(
            f"audit: case history, {versions:,} v.",
            "bench_auditor",
            reverse("audit:case_history", args=[case.pk]),
            False,
        ),
    ]
    results = []
    for page in pages:
        result = measure_page(page, client_for(page.who), size, requests)
        results.append(result)
        stdout.write(
            f"    {page.name:<32} {result.status}  median {result.median_ms:7.1f} ms  "
            f"p95 {result.p95_ms:7.1f} ms  {result.queries:>2} queries  floor "
            f"{result.floor_median_ms:6.1f} ms\n"
        )
    return results


# --- intake ---------------------------------------------------------------------------------------


def intake_payloads(count: int, start: int) -> list[dict]:
    """``count`` API submissions over three playbooks; every tenth repeats the business key of
    the one before (a second inquiry about an open case: the duplicate guard answers 409)."""
    payloads = []
    for i in range(count):
        n = start + (i - 1 if i % 10 == 9 else i)  # the repeat reuses the previous key
        kind = n % 3
        key = f"bench-intake-{start}-{i}"
        if kind == 0:
            call_id = str(900_000_000 + n)
            payloads.append(
                {
                    "playbook": "driver_nonride_cancel",
                    "channel": "chatbot_board",
                    "facts": {
                        "received_on": "2024-12-01",
                        "driver_id": f"drv-{n % 5000:05d}",
                        "call_id": call_id,
                        "meter_distance_km": "0.0",
                        "meter_minutes": 1,
                        "start_equals_last_point": True,
                        "fare_amount": 15000,
                        "called_on": "2024-11-30",
                        "origin": "서울 강남구 테헤란로",
                    },
                    "driver": {"id": f"drv-{n % 5000:05d}", "phone": "010-0000-5678"},
                    "customer": {"phone": "010-0000-1234"},
                    "references": {"call_id": call_id},
                    "idempotency_key": key,
                }
            )
        elif kind == 1:
            payloads.append(
                {
                    "playbook": "ev_charging",
                    "channel": "chat",
                    "facts": {
                        "case_type": "paid_not_charged",
                        "station_name": f"벤치 충전소 {n % 300}",
                        "charge_started_at": "2024-12-01T09:00:00+09:00",
                        "charge_ended_at": "2024-12-01T09:40:00+09:00",
                        "tid": f"TID-I{n:09d}",
                        "kwh": "12.500",
                        "amount": 5000,
                    },
                    "customer": {"phone": "010-0000-1234"},
                    "idempotency_key": key,
                }
            )
        else:
            payloads.append(
                {
                    "playbook": "parking_double_payment",
                    "channel": "chatbot_board",
                    "facts": {
                        "ownership_verified": True,
                        "lot_name": f"벤치 주차장 {n % 700}",
                        "lot_district": "서울 강남구",
                        "entry_at": "2024-12-01T10:00:00+09:00",
                        "exit_at": "2024-12-01T12:00:00+09:00",
                        "car_number": "12가3456",
                        "pass_amount": 6000,
                        "other_app": "tmap",
                        "usage_history_attached": True,
                        "ticket_hours": 3,
                        "onsite_check_needed": False,
                    },
                    "customer": {"phone": "010-0000-1234"},
                    "references": {"parking_payment_id": f"PP-I{n:09d}"},
                    "idempotency_key": key,
                }
            )
    return payloads


def _intake_worker(token: str, payloads: list[dict], url: str, batch: int, barrier, out) -> None:
    from django.db import connections
    from django.test import Client

    connections.close_all()  # never share the parent's connection
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.get("/api/v1/playbooks/")  # connect and warm up before the clock starts
    statuses: dict = {}
    times = []
    errors = []
    # Single: one request per submission. Batch: ``batch`` submissions per request, each item
    # answered with its own status (created / duplicate / ...), counted like the HTTP ones.
    bodies = (
        [{"cases": payloads[i : i + batch]} for i in range(0, len(payloads), batch)]
        if batch
        else payloads
    )
    barrier.wait()
    for body in bodies:
        t0 = time.perf_counter()
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        times.append(time.perf_counter() - t0)
        if batch and response.status_code == 200:
            for status, n in response.json()["counts"].items():
                statuses[status] = statuses.get(status, 0) + n
            continue
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code not in (200, 201, 409) and len(errors) < 3:
            errors.append(response.content.decode()[:300])
    out.put({"statuses": statuses, "times": times, "errors": errors})


def measure_intake(count: int, workers: int, stdout, batch: int = 0) -> dict:
    """``count`` submissions on ``workers`` processes: one per request (``batch`` 0) through
    ``POST /api/v1/cases/``, or ``batch`` per request through ``POST /api/v1/cases/batch/``."""
    from django.db import connections
    from django.urls import reverse
    from knox.models import AuthToken

    from cases.models import Case

    user = bench_users()["bench_chatbot"]
    # A short-lived token of the bench's own (knox keeps only its digest: no key to look up).
    _row, token = AuthToken.objects.create(user=user, expiry=timedelta(hours=2))
    url = reverse("api:case-batch" if batch else "api:case-list")
    before = Case.objects.count()
    start = before * 10 + (7 if batch else 0)  # fresh identifiers on every run
    payloads = intake_payloads(count, start)
    # A submission and its repeat go to the same worker, in order (the repeat meets the case).
    shares: list[list[dict]] = [[] for _ in range(workers)]
    for i in range(0, len(payloads), 10):
        shares[(i // 10) % workers].extend(payloads[i : i + 10])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    out = context.Queue()
    procs = [
        context.Process(target=_intake_worker, args=(token, share, url, batch, barrier, out))
        for share in shares
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    t0 = time.perf_counter()
    reports = [out.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    statuses: dict[str, int] = {}
    times: list[float] = []
    errors: list[str] = []
    for report in reports:
        for code, n in report["statuses"].items():
            statuses[str(code)] = statuses.get(str(code), 0) + n
        times.extend(report["times"])
        errors.extend(report["errors"])
    created = Case.objects.count() - before
    result = {
        "endpoint": url,
        "batch": batch,
        "requests": len(times),
        "submissions": count,
        "workers": workers,
        "seconds": round(elapsed, 3),
        "submissions_per_second": round(count / elapsed, 1),
        "created": created,
        "cases_per_second": round(created / elapsed, 1),
        "statuses": statuses,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "errors": errors,
    }
    stdout.write(
        f"    intake{f' (batches of {batch})' if batch else ''}: {count:,} submissions on "
        f"{workers} workers in {elapsed:.1f} s: "
        f"{result['submissions_per_second']:,.0f}/s, {created:,} created, statuses {statuses}\n"
    )
    return result


# --- rendering ------------------------------------------------------------------------------------


def _sample_value(kind: str, i: int):
    from zoneinfo import ZoneInfo

    return {
        "text": f"홍길동{i % 97}",
        "int": i % 1000,
        "amount": 10_000 + (i % 500) * 100,
        "date_md": date(2024, 12, 1) + timedelta(days=i % 28),
        "date_ymd": date(2024, 12, 1) + timedelta(days=i % 28),
        "datetime": datetime(2024, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Seoul"))
        + timedelta(minutes=i % 600),
        "phone": f"010{(i * 7919) % 100_000_000:08d}",
        "call_id": str(600_000_000 + i),
        "url": f"https://kmcs.example/r/{i}",
    }[kind]


def measure_render(count: int, stdout) -> dict:
    from templates_app.models import SmsTemplateVersion
    from templates_app.render import RenderError, render_sms

    versions = list(SmsTemplateVersion.objects.filter(status="approved").order_by("pk"))
    jobs = []
    for i in range(1000):
        version = versions[i % len(versions)]
        context = {name: _sample_value(kind, i) for name, kind in version.variables.items()}
        try:
            render_sms(body=version.body, variables=version.variables, context=context)
        except RenderError:
            continue
        jobs.append((version.body, version.variables, context))
    total_bytes = 0
    t0 = time.perf_counter()
    for i in range(count):
        body, variables, context = jobs[i % len(jobs)]
        total_bytes += render_sms(body=body, variables=variables, context=context).byte_length
    elapsed = time.perf_counter() - t0
    result = {
        "renders": count,
        "templates": len(versions),
        "seconds": round(elapsed, 3),
        "per_second": round(count / elapsed),
        "mean_bytes": round(total_bytes / count, 1),
    }
    stdout.write(
        f"    rendering: {count:,} messages over {len(versions)} templates in {elapsed:.2f} s: "
        f"{result['per_second']:,}/s\n"
    )
    return result


# --- the table ------------------------------------------------------------------------------------


def checks(results: Results, sizes: list[int]) -> list[dict]:
    out = []

    def check(name: str, ok: bool, detail: str) -> None:
        out.append({"check": name, "ok": bool(ok), "detail": detail})

    # The sizes the pages were measured at (a reused database may hold more than asked).
    largest = max((p.size for p in results.pages), default=max(sizes))
    lists = [p for p in results.pages if p.is_list and p.status == 200]
    worst = max(lists, key=lambda p: p.queries, default=None)
    check(
        f"every list page <= {MAX_LIST_QUERIES} SQL queries",
        worst is None or worst.queries <= MAX_LIST_QUERIES,
        f"most: {worst.name} {worst.queries}" if worst else "no pages",
    )
    full = [p.name for p in results.pages if p.counts == "FULL"]
    check("no full-table COUNT(*)", not full, ", ".join(sorted(set(full))) or "none")
    by_name: dict[str, dict[int, PageResult]] = {}
    for p in results.pages:
        by_name.setdefault(p.name, {})[p.size] = p
    compared = {
        name: per_size
        for name, per_size in by_name.items()
        if len(per_size) > 1 and next(iter(per_size.values())).is_list
    }
    differing = [
        name
        for name, per_size in compared.items()
        if len({p.queries for p in per_size.values()}) > 1
    ]
    if compared:  # a run at one size compares nothing: no line rather than a hollow PASS
        check(
            "same query count at every size (list pages)",
            not differing,
            ", ".join(differing) or f"{len(compared)} list pages compared",
        )
    at_largest = [p for p in results.pages if p.size == largest and p.status == 200]
    over = [f"{p.name} {p.p95_ratio:.1f}x" for p in at_largest if p.p95_ratio > MAX_P95_OVER_FLOOR]
    check(
        f"p95 <= {MAX_P95_OVER_FLOOR:g}x floor at {largest:,} cases",
        bool(at_largest) and not over,
        "; ".join(over) or (f"all {len(at_largest)} pages" if at_largest else "no page measured"),
    )
    for label, intake in (("single-case API", results.intake), ("batch API", results.intake_batch)):
        if intake:
            rate = intake["submissions_per_second"]
            check(
                f"intake >= {MIN_INTAKE_PER_SECOND} cases/s ({label})",
                rate >= MIN_INTAKE_PER_SECOND,
                f"{rate:,.0f} submissions/s, {intake['cases_per_second']:,.0f} created/s",
            )
    if results.render:
        rate = results.render["per_second"]
        check(
            f"rendering >= {MIN_RENDERS_PER_SECOND:,}/s",
            rate >= MIN_RENDERS_PER_SECOND,
            f"{rate:,.0f}/s",
        )
    return out


def table(results: Results) -> str:
    m, g, d = results.machine, results.git, results.database
    lines = [
        f"KMCS bench {results.started_at}  git {g['short']}{' (dirty)' if g['dirty'] else ''}  "
        f"{d['vendor']} {d['version']}  {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB",
        "",
        f"{'page':<34} {'cases':>9} {'median':>8} {'p95':>8} {'SQL':>4} {'floor':>7} "
        f"{'page/floor':>10} {'p95/floor':>9}  COUNT",
    ]
    for p in results.pages:
        if p.status != 200:
            lines.append(f"{p.name:<34} {p.size:>9,}  HTTP {p.status}")
            continue
        lines.append(
            f"{p.name:<34} {p.size:>9,} {p.median_ms:>6.1f}ms {p.p95_ms:>6.1f}ms {p.queries:>4} "
            f"{p.floor_median_ms:>5.1f}ms {p.ratio:>9.1f}x {p.p95_ratio:>8.1f}x  {p.counts}"
        )
    if results.intake or results.intake_batch:
        lines.append("")
    for i in (results.intake, results.intake_batch):
        if not i:
            continue
        how = f"batch API, {i['batch']} per request" if i.get("batch") else "single-case API"
        lines.append(
            f"intake ({how}): {i['submissions']:,} submissions ({i['workers']} workers, "
            f"duplicate guard on): {i['submissions_per_second']:,.0f}/s, {i['created']:,} "
            f"created ({i['cases_per_second']:,.0f} cases/s), per request median "
            f"{i['median_ms']} ms, p95 {i['p95_ms']} ms, statuses {i['statuses']}"
        )
    if results.render:
        r = results.render
        lines.append(
            f"rendering: {r['renders']:,} messages over {r['templates']} templates: "
            f"{r['per_second']:,}/s"
        )
    for s in results.seeds:
        lines.append(
            f"seed: +{s['cases']:,} cases ({s['rows']:,} rows, {s['history_rows']:,} history) "
            f"in {s['seconds']:.0f} s (load {s['load_seconds']:.0f} s, indexes and vacuum "
            f"{s['finish_seconds']:.0f} s)"
        )
    lines.append("")
    for c in results.checks:
        lines.append(f"{'PASS' if c['ok'] else 'MISS'}  {c['check']}: {c['detail']}")
    return "\n".join(lines)


def load_results(path: Path) -> Results:
    """A results file back into :class:`Results` (checks recomputed with today's rules)."""
    data = json.loads(path.read_text())
    names = {f for f in PageResult.__dataclass_fields__}
    pages = [PageResult(**{k: v for k, v in p.items() if k in names}) for p in data["pages"]]
    results = Results(**{**data, "pages": pages, "checks": []})
    sizes = sorted({p.size for p in pages if p.is_list}) or [0]
    results.checks = checks(results, sizes)
    return results


def write_json(results: Results) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results.started_at.replace(":", "").replace("-", "")
    path = RESULTS / f"run-{stamp}-{results.git['short'] or 'nogit'}.json"
    data = asdict(results)
    for page, raw in zip(results.pages, data["pages"], strict=True):
        raw["ratio"] = round(page.ratio, 2)
        raw["p95_ratio"] = round(page.p95_ratio, 2)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    (RESULTS / "latest.json").write_text(path.read_text())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"the bench database (default {DEFAULT_DATABASE_URL}; recreated unless --reuse)",
    )
    parser.add_argument("--sizes", default="10000,1000000", help="case counts, ascending")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--intake", type=int, default=5000, help="API submissions (0: skip)")
    parser.add_argument("--intake-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--intake-batch",
        type=int,
        default=500,
        help="submissions per request of the batch intake run (0: skip it)",
    )
    parser.add_argument("--renders", type=int, default=100_000, help="renders (0: skip)")
    parser.add_argument("--versions", type=int, default=10_000, help="history versions (0: skip)")
    parser.add_argument(
        "--history-requests", type=int, default=10, help="timed requests per history page"
    )
    parser.add_argument("--report", metavar="JSON", help="print the table of a results file")
    args = parser.parse_args(argv)
    if args.report:
        print(table(load_results(Path(args.report))))
        return 0
    from bench.sizes import SizeError, check_database, parse_sizes

    try:  # before anything is dropped or generated
        sizes = parse_sizes(args.sizes)
        check_database(sizes, args.database_url)
    except SizeError as exc:
        parser.error(str(exc))

    if not args.reuse:
        recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.seed_data import seed
    from cases.models import Case

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 1")
        version = cursor.fetchone()[0] if connection.vendor == "postgresql" else ""
    out = sys.stdout
    results = Results(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        git=git_info(),
        database={
            "vendor": connection.vendor,
            "version": str(version).split(" on ")[0] or connection.Database.sqlite_version,
            "name": str(connection.settings_dict["NAME"]),
        },
        settings={
            "module": settings.SETTINGS_MODULE,
            "debug": settings.DEBUG,
            "requests_per_page": args.requests,
            "requests_per_history_page": args.history_requests,
        },
    )
    for size in sizes:
        current = Case.objects.count()
        if size > current:
            out.write(f"seeding {size - current:,} cases (to {size:,})\n")
            report = seed(cases=size - current, stdout=out)
            results.seeds.append(
                {
                    "cases": report.cases,
                    "to": size,
                    "rows": report.total_rows,
                    "history_rows": report.history_rows,
                    "seconds": round(report.seconds, 1),
                    "load_seconds": round(report.load_seconds, 1),
                    "finish_seconds": round(report.finish_seconds, 1),
                    "rows_by_table": report.rows,
                    "notes": report.notes,
                }
            )
        elif size < current:
            out.write(f"note: the database already has {current:,} cases (asked {size:,})\n")
        measured = max(size, current)
        out.write(f"pages at {measured:,} cases ({args.requests} requests each)\n")
        results.pages += measure_pages(measured, args.requests, out)
    largest = Case.objects.count()
    if args.versions:
        out.write("history of one case\n")
        results.pages += measure_history(args.versions, args.history_requests, largest, out)
    if args.renders:
        results.render = measure_render(args.renders, out)
    if args.intake:
        results.intake = measure_intake(args.intake, args.intake_workers, out)
        if args.intake_batch:
            results.intake_batch = measure_intake(
                args.intake, args.intake_workers, out, batch=args.intake_batch
            )
    results.checks = checks(results, sizes)
    out.write("\n" + table(results) + "\n")
    path = write_json(results)
    out.write(f"\nresults: {path.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
