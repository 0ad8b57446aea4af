"""Benchmark of ``manage.py import_cases``: throughput (rows/s) and peak memory (RSS).

    .venv/bin/python bench/import_bench.py --rows 1000000                    # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kmcs_bench \\
        .venv/bin/python bench/import_bench.py --rows 1000000                # PostgreSQL

Generates a chatbot-board export (JSON Lines by default, ``--format csv`` for CSV) with three
playbooks and one bad row in a thousand, creates a fresh database (SQLite file in a temporary
directory, or the PostgreSQL database named in DATABASE_URL, dropped and created again), runs
the command as a child process and reads its peak RSS from the kernel (``wait4``). Then runs it
a second time over the same file: every row is skipped as already imported (the resume path).

Targets (issue 6): >= 2,000 rows/s and < 300 MB RSS for 1,000,000 rows. The script exits 1
when a target is missed, so it can run in CI at a smaller size (``--rows 20000``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIN_ROWS_PER_SECOND = 2000
MAX_RSS_MB = 300


def request_for(i: int) -> dict:
    """Row ``i`` of the export: made-up data, unique keys, a bad row every 1000th."""
    kind = i % 3
    key = f"bench-{i:08d}"
    if kind == 0:
        call_id = str(500_000_000 + i)
        facts = {
            "received_on": "2024-12-01",
            "driver_id": f"drv-{i % 5000:05d}",
            "call_id": call_id if i % 1000 != 999 else f"{call_id}X",  # the bad row
            "meter_distance_km": "0.0",
            "meter_minutes": 1,
            "start_equals_last_point": True,
            "fare_amount": 15000 + i % 50 * 100,
            "called_on": "2024-11-30",
            "origin": "서울 강남구 테헤란로",
        }
        return {
            "playbook": "driver_nonride_cancel",
            "channel": "chatbot_board",
            "facts": facts,
            "driver": {"id": facts["driver_id"], "phone": "010-0000-5678"},
            "references": {"call_id": call_id},
            "idempotency_key": key,
            "received_at": "2024-12-01T10:00:00+09:00",
        }
    if kind == 1:
        return {
            "playbook": "ev_charging",
            "channel": "chat",
            "facts": {
                "case_type": "paid_not_charged",
                "station_name": f"벤치 충전소 {i % 300}",
                "charge_started_at": "2024-12-01T09:00:00+09:00",
                "charge_ended_at": "2024-12-01T09:40:00+09:00",
                "tid": f"TID-{i:09d}",
                "kwh": "12.500",
                "amount": 5000,
            },
            "customer": {"phone": "010-0000-1234"},
            "idempotency_key": key,
        }
    return {
        "playbook": "parking_double_payment",
        "channel": "chatbot_board",
        "facts": {
            "ownership_verified": True,
            "lot_name": f"벤치 주차장 {i % 700}",
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
        "references": {"parking_payment_id": f"PP-{i:09d}"},
        "idempotency_key": key,
    }


CSV_FIELDS = ("call_id", "charge_tid", "parking_payment_id")


def write_file(path: Path, rows: int, fmt: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        if fmt == "jsonl":
            for i in range(rows):
                out.write(json.dumps(request_for(i), ensure_ascii=False) + "\n")
            return
        import csv

        writer = csv.writer(out)
        header = [
            "playbook",
            "channel",
            "idempotency_key",
            "received_at",
            "customer_phone",
            "driver_id",
            "driver_phone",
            *CSV_FIELDS,
            "facts",
        ]
        writer.writerow(header)
        for i in range(rows):
            r = request_for(i)
            refs = r.get("references", {})
            writer.writerow(
                [
                    r["playbook"],
                    r["channel"],
                    r["idempotency_key"],
                    r.get("received_at", ""),
                    r.get("customer", {}).get("phone", ""),
                    r.get("driver", {}).get("id", ""),
                    r.get("driver", {}).get("phone", ""),
                    *(refs.get(name, "") for name in CSV_FIELDS),
                    json.dumps(r["facts"], ensure_ascii=False),
                ]
            )


def manage(env: dict, *args: str, quiet: bool = True) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def fresh_database(env: dict, workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        env["DATABASE_URL"] = url
        return "sqlite"
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url
    return "postgresql"


def run_import(env: dict, path: Path, rejects: Path) -> tuple[float, float, str, float]:
    """(seconds, peak RSS in MB, output, CPU seconds) of one import run.

    CPU seconds: user + system time of the command and its validation workers (``wait4``
    counts the children it reaped), not of the database server. On a shared machine the wall
    rate says how busy the machine was as much as how fast the importer is; rows per CPU
    second is the importer's own cost."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            PYTHON,
            "manage.py",
            "import_cases",
            str(path),
            "--as-user",
            "bench",
            "--rejects",
            str(rejects),
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = proc.stdout.read()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, output, cpu  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kmcs-bench-"))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="kmcs_site.settings.test", DEBUG="false")
    engine = fresh_database(env, workdir)
    data = workdir / f"export.{args.format}"
    print(f"DB {engine}, {args.rows:,} rows ({args.format}) in {workdir}")
    t = time.perf_counter()
    write_file(data, args.rows, args.format)
    print(f"  file written: {data.stat().st_size / 1e6:,.1f} MB in {time.perf_counter() - t:.1f}s")
    manage(env, "migrate", "--run-syncdb", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User;"
        "u, _ = User.objects.get_or_create(username='bench');"
        "u.groups.add(Group.objects.get(name='integration'))",
    )

    failed = False
    for label in ("import", "resume (all rows already imported)"):
        seconds, rss, output, cpu = run_import(env, data, workdir / f"rejects.{args.format}")
        rate = args.rows / seconds
        reported = re.search(r"초당 ([\d,]+)행", output)
        load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"  {label}: {seconds:,.1f}s wall, {rate:,.0f} rows/s (process), "
            f"peak RSS {rss:,.0f} MB (load average after: {load}, {os.cpu_count()} CPUs); "
            f"importer CPU {cpu:,.1f}s = {args.rows / cpu:,.0f} rows per CPU second"
        )
        print("    " + (output.strip().splitlines() or [""])[-2 if "거부" in output else -1])
        if reported is None:
            print(output)
            failed = True
        if rate < MIN_ROWS_PER_SECOND or rss > MAX_RSS_MB:
            failed = True
    expected_rejects = sum(1 for i in range(args.rows) if i % 3 == 0 and i % 1000 == 999)
    rejects = workdir / f"rejects.{args.format}"
    lines = rejects.read_text(encoding="utf-8-sig").count("\n") if rejects.exists() else 0
    header = 1 if args.format == "csv" else 0
    print(f"  rejects file: {lines - header} rows (expected {expected_rejects})")
    failed |= lines - header != expected_rejects
    print(
        f"targets: >= {MIN_ROWS_PER_SECOND:,} rows/s, < {MAX_RSS_MB} MB RSS -> "
        + ("MISSED" if failed else "met")
    )
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
