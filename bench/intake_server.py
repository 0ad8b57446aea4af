"""Intake under gunicorn, this tree against an earlier revision, in one run (issue 17.5).

    .venv/bin/python bench/intake_server.py                          # before = the Baseline commit
    .venv/bin/python bench/intake_server.py --before bcaef15 --rounds 3 --single 1500 --batch 10000

``bench/run.py`` times intake through Django's test client inside one process; this one serves
the API the way production does: ``gunicorn`` with ``--workers`` sync workers (default 2, one
per core of the bench machine), ``DEBUG`` off (``bench/settings.py``), PostgreSQL, token auth,
keep-alive HTTP clients on ``--clients`` processes. The same payloads as ``bench/run.py``
(three playbooks, one in ten a second inquiry the duplicate guard answers 409).

"Before" is ``git archive <rev>`` unpacked in a temporary directory with its own database
(migrated by its own migrations); "after" is this working tree with its own database. Both
servers run side by side and the rounds alternate (before, after, before, after...), so both
see the same load on a shared machine: the figure to read is the after/before ratio, printed
per round and as the median. Absolute rates depend on what else the machine runs.

Needs gunicorn (``pip install -e .[bench]``) and PostgreSQL; a database that is not
PostgreSQL is refused before anything is created.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import intake_payloads, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kmcs_intake"

#: Run in a tree (cwd) with DATABASE_URL set: migrate, a few cases and the bench users, and
#: a token for the chatbot integration user, printed on the last line.
PREPARE = """
import os, sys
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
import django
django.setup()
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", verbosity=0)
from bench.seed_data import seed
if not get_user_model().objects.filter(username="bench_chatbot").exists():
    seed(cases=100, stdout=open(os.devnull, "w"))
from knox.models import AuthToken
user = get_user_model().objects.get(username="bench_chatbot")
print(AuthToken.objects.create(user=user, expiry=timedelta(hours=4))[1])
"""


def _database(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=parts.path + suffix).geturl()


def prepare(tree: Path, url: str) -> str:
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    out = subprocess.run(
        [sys.executable, "-c", PREPARE], cwd=tree, env=env, check=True, capture_output=True
    )
    return out.stdout.decode().strip().splitlines()[-1]


def start_server(tree: Path, url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(tree),
        # The bench's own clients: no throttle in the way of the measurement.
        "KMCS_API_RATE_USER": "",
        "KMCS_API_RATE_IP": "",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kmcs_site.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=tree,
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/playbooks/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn on port {port} did not answer")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _client(port: int, token: str, path: str, bodies: list[bytes], barrier, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    statuses: dict[str, int] = {}
    barrier.wait()
    for body in bodies:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if path.endswith("/batch/") and response.status == 200:
            for status, n in json.loads(data)["counts"].items():
                statuses[status] = statuses.get(status, 0) + n
        else:
            statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
    out.put(statuses)


def measure(port: int, token: str, count: int, clients: int, start: int, batch: int) -> dict:
    payloads = intake_payloads(count, start)
    shares: list[list[dict]] = [[] for _ in range(clients)]
    for i in range(0, len(payloads), 10):  # a submission and its repeat: same client, in order
        shares[(i // 10) % clients].extend(payloads[i : i + 10])
    if batch:
        bodies = [
            [json.dumps({"cases": s[i : i + batch]}).encode() for i in range(0, len(s), batch)]
            for s in shares
        ]
        path = "/api/v1/cases/batch/"
    else:
        bodies = [[json.dumps(p).encode() for p in s] for s in shares]
        path = "/api/v1/cases/"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    out = context.Queue()
    procs = [
        context.Process(target=_client, args=(port, token, path, b, barrier, out)) for b in bodies
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
    for report in reports:
        for code, n in report.items():
            statuses[code] = statuses.get(code, 0) + n
    return {"per_second": count / elapsed, "seconds": elapsed, "statuses": statuses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="", help="git revision (default: the Baseline commit)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--single", type=int, default=1000, help="single-case submissions")
    parser.add_argument("--batch", type=int, default=5000, help="cases through the batch API")
    parser.add_argument("--batch-size", type=int, default=500, help="cases per batch request")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/intake_server.py needs PostgreSQL (--database-url postgres://...)")
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        raise SystemExit("gunicorn is not installed: pip install -e '.[bench]'") from None
    before = (
        args.before
        or subprocess.run(
            ["git", "log", "--format=%h", "--grep=^Baseline:", "-1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    tmp = Path(tempfile.mkdtemp(prefix="kmcs-before-"))
    archive = subprocess.run(["git", "archive", before], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    trees = {"before": tmp, "after": ROOT}
    urls = {name: _database(args.database_url, f"_{name}") for name in trees}
    servers = {}
    try:
        tokens = {name: prepare(tree, urls[name]) for name, tree in trees.items()}
        ports = {"before": 18411, "after": 18412}
        for name, tree in trees.items():
            servers[name] = start_server(tree, urls[name], ports[name], args.workers)
        print(
            f"intake under gunicorn ({args.workers} sync workers each, {args.clients} clients), "
            f"before = {before}, after = this tree; load average {os.getloadavg()[0]:.1f}"
        )
        figures: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for kind, count, batch in (
                ("single", args.single, 0),
                ("batch", args.batch, args.batch_size),
            ):
                if not count:
                    continue
                for name in ("before", "after"):
                    start = 10_000_000 * (r + 1) + (5_000_000 if batch else 0)
                    res = measure(ports[name], tokens[name], count, args.clients, start, batch)
                    figures.setdefault((kind, name), []).append(res["per_second"])
                    print(
                        f"  round {r + 1} {kind:6} {name:6}: {res['per_second']:8,.0f} cases/s "
                        f"({count:,} in {res['seconds']:.1f} s) {res['statuses']}"
                    )
        print()
        for kind in ("single", "batch"):
            if (kind, "after") not in figures:
                continue
            b, a = figures[(kind, "before")], figures[(kind, "after")]
            ratios = [x / y for x, y in zip(a, b, strict=True)]
            print(
                f"{kind:6}: before median {statistics.median(b):,.0f}/s, after median "
                f"{statistics.median(a):,.0f}/s, after/before per round "
                f"{', '.join(f'{x:.2f}x' for x in ratios)} (median {statistics.median(ratios):.2f}x)"
            )
    finally:
        for proc in servers.values():
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
