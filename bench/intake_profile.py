"""Intake cost per request, in one process: CPU ms and SQL statements (issue 17.5).

    .venv/bin/python bench/intake_profile.py                      # this tree, kmcs_intakeprof
    .venv/bin/python bench/intake_profile.py --tree /tmp/base     # another checkout, same figures
    .venv/bin/python bench/intake_profile.py --profile single     # pyinstrument of the single API

Throughput under gunicorn (``bench/intake_server.py``) depends on what else the machine runs;
these figures do not: the CPU time this process spends per ``POST /api/v1/cases/`` and per
item of ``POST /api/v1/cases/batch/`` (Django's test client, token auth, PostgreSQL, throttles
on at a rate nobody reaches, ``bench/settings.py``), and the statements each one sends. The
CPU time includes the test client's own share (building the request, reading the answer), a
small constant. ``--tree`` runs the same measurement in an earlier checkout (its own database,
migrated by its own code), so before and after are compared on equal terms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kmcs_intakeprof"


def _measure(args) -> dict:
    """Runs inside the tree measured (cwd), with its code first on sys.path."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from knox.models import AuthToken

    from bench.run import intake_payloads
    from bench.seed_data import seed

    call_command("migrate", verbosity=0)
    if not get_user_model().objects.filter(username="bench_chatbot").exists():
        with open(os.devnull, "w") as devnull:
            seed(cases=100, stdout=devnull)
    user = get_user_model().objects.get(username="bench_chatbot")
    token = AuthToken.objects.create(user=user, expiry=timedelta(hours=4))[1]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    start = int(time.time() * 1000) % 1_000_000_000 * 100  # fresh keys on a reused database

    def post(path, body):
        return client.post(path, data=json.dumps(body), content_type="application/json")

    # Warm up (imports, serializers, connection) on submissions not measured.
    for p in intake_payloads(30, start):
        post("/api/v1/cases/", p)
    start += 1_000_000

    out: dict = {"tree": os.getcwd()}
    if args.profile:
        # pyinstrument shows wall time (waits on PostgreSQL included); --cpu: cProfile with
        # the process's CPU clock, what the 2 cores are short of.
        path, bodies = _bodies(args.profile, intake_payloads, args, start)
        if args.cpu:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for body in bodies:
                post(path, body)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
            return out
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for body in bodies:
            post(path, body)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return out

    # Single: CPU per request without query capture, then statements with it.
    payloads = intake_payloads(args.single, start)
    statuses: dict = {}
    cpu = []
    for p in payloads:
        c0 = time.process_time()
        response = post("/api/v1/cases/", p)
        cpu.append(time.process_time() - c0)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    start += 1_000_000
    counted = intake_payloads(50, start)
    with CaptureQueriesContext(connection) as ctx:
        for p in counted:
            post("/api/v1/cases/", p)
    start += 1_000_000
    out["single"] = {
        "requests": len(payloads),
        "statuses": statuses,
        "cpu_ms_median": statistics.median(cpu) * 1000,
        "cpu_ms_mean": statistics.fmean(cpu) * 1000,
        "statements_per_request": len(ctx.captured_queries) / len(counted),
    }
    if args.show_sql:
        for q in ctx.captured_queries[-12:]:
            print(q["sql"][:200])

    # Batch: CPU per item, statements per batch.
    size = args.batch_size
    batches = [intake_payloads(size, start + i * size) for i in range(args.batches)]
    start += 1_000_000
    cpu = []
    items: dict = {}
    for batch in batches:
        c0 = time.process_time()
        response = post("/api/v1/cases/batch/", {"cases": batch})
        cpu.append(time.process_time() - c0)
        for status, n in response.json()["counts"].items():
            items[status] = items.get(status, 0) + n
    with CaptureQueriesContext(connection) as ctx:
        post("/api/v1/cases/batch/", {"cases": intake_payloads(size, start)})
    out["batch"] = {
        "batches": len(batches),
        "batch_size": size,
        "items": items,
        "cpu_ms_per_item": statistics.median(cpu) * 1000 / size,
        "statements_per_batch": len(ctx.captured_queries),
    }
    return out


def _bodies(kind, intake_payloads, args, start):
    if kind == "batch":
        size = args.batch_size
        return "/api/v1/cases/batch/", [
            {"cases": intake_payloads(size, start + i * size)} for i in range(args.batches)
        ]
    return "/api/v1/cases/", intake_payloads(args.single, start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", default=str(ROOT), help="checkout to measure (default: this)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--single", type=int, default=300, help="single-case requests")
    parser.add_argument("--batches", type=int, default=4, help="batch requests")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--profile", choices=("single", "batch"), help="pyinstrument instead")
    parser.add_argument("--cpu", action="store_true", help="--profile with cProfile, CPU time")
    parser.add_argument("--show-sql", action="store_true", help="print one request's SQL")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        out = _measure(args)
        print("RESULT " + json.dumps(out))
        return 0
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/intake_profile.py needs PostgreSQL (--database-url postgres://...)")
    tree = Path(args.tree).resolve()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # Throttles on (their cost is part of a request) at a rate the run never reaches.
        "KMCS_API_RATE_USER": "100000000/minute",
        "KMCS_API_RATE_IP": "100000000/minute",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }
    _create_database(args.database_url)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--inside", *(argv or sys.argv[1:])]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-4000:])
        return proc.returncode
    for line in proc.stdout.splitlines():
        if not line.startswith("RESULT "):
            print(line)
    result = json.loads(proc.stdout.rsplit("RESULT ", 1)[1])
    if "single" in result:
        s, b = result["single"], result["batch"]
        print(
            f"{tree} (load average {load:.1f})\n"
            f"  single: {s['cpu_ms_median']:.2f} ms CPU per request (median; mean "
            f"{s['cpu_ms_mean']:.2f}), {s['statements_per_request']:.1f} statements per "
            f"request, {s['requests']} requests {s['statuses']}\n"
            f"  batch : {b['cpu_ms_per_item']:.3f} ms CPU per item ({b['batches']} x "
            f"{b['batch_size']}), {b['statements_per_batch']} statements per batch "
            f"{b['items']}"
        )
    return 0


def _create_database(url: str) -> None:
    """Create the database if missing (kept between runs: the keys are fresh every run)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
