"""Queue chaos: PostgreSQL + Redis + a real Celery worker, killed with SIGKILL mid-way.

Each round:

1. queues the round's work: ``--payouts`` traffic fines taken in through ``fine_intake`` (each
   a scheduled payout and its two SMS, 입금 예정 and 포인트 차감, drafted at their steps and sent
   once the agent has ticked the steps before them; paying it queues a third, 처리완료), then the payout batch task, then ``--messages`` SMS through ``message_queue``;
   the worker starts on them at once, one process paying while the other sends;
2. kills the worker's whole process group with SIGKILL mid-way through both, the moment the
   bank has executed half of the round's transfers: the batch is still paying, and the round's
   SMS are partly delivered, partly queued in Redis, partly not yet queued (the bench keeps
   queueing them, into a broker no worker reads, after the kill). ``killed_with`` in the
   figures records what the providers had seen;
3. restarts Redis with nothing saved (``shutdown nosave``): every task still in the broker is
   gone, as after a broker crash;
4. starts a new worker and plays Celery beat: the stale-message sweeper and the payout batch
   every couple of seconds, until the database says every message is sent and every payout paid
   (or ``--recovery-timeout`` passes: something was lost).

Then it counts at the *providers*, not only in KMCS's tables: the SMS provider and the bank are
journals every process appends to (``IdempotentFileGateway``, ``FileTransferGateway``:
providers that honour idempotency keys, as the real ones are asked to). "Sent exactly once" =
one delivery line per message key; "paid exactly once" = one executed transfer per payout key;
"lost" = a message not sent or a payout not paid after recovery. The repeats a crash caused
(a request asked again because its answer died with the worker) are counted too: they are the
double sends a provider *without* idempotency would have made.

Run it (PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/kmcs_chaos, which it
drops and recreates; its own redis-server on a free port)::

    python bench/chaos.py --rounds 100

``tests/reliability/test_queue_chaos.py`` runs the same rounds inside pytest (CI's second pass).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "kmcs"


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM if the process that started it dies (Linux), so a
    killed test or bench leaves no worker or Redis behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the finally blocks still clean up on a normal exit
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the processes we own -------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own (its own port and directory): restarting it disturbs nobody."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self._wait(lambda: self.ping(), "Redis did not start")

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        """``shutdown nosave``: whatever the broker held is gone."""
        if self.proc is None:
            return
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1

    @staticmethod
    def _wait(predicate, message: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise RuntimeError(message)


class Worker:
    """``celery worker`` (prefork, 2 processes, acks late) in its own process group."""

    def __init__(self, env: dict[str, str], app, log_path: Path):
        self.env = env
        self.app = app
        self.log_path = log_path  # every worker's errors, appended (kept with the journals)
        self.proc: subprocess.Popen | None = None
        self.kills = 0

    def _log_file(self):
        return self.log_path.open("ab")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kmcs_site",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--pool=prefork",
                "-Q",
                QUEUE,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"chaos-{os.getpid()}-{self.kills}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file(),
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.app.control.ping(timeout=0.5):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
        raise RuntimeError("worker did not answer a ping within 60 s")

    def kill(self) -> None:
        """SIGKILL to the whole group (main process and pool children), like a power cut."""
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def broker_config(app) -> dict:
    return {key: app.conf.get(key) for key in BROKER_KEYS}


def provider_settings(workdir: Path) -> dict[str, str]:
    """The settings both sides (this process and the worker) use during chaos: the journaling
    providers, and a worker found dead after 2 s instead of production's 15 minutes."""
    return {
        "KMCS_SMS_GATEWAY": "templates_app.gateways.IdempotentFileGateway",
        "KMCS_SMS_OUTBOX_PATH": str(workdir / "outbox.log"),
        "KMCS_BANK_TRANSFER_GATEWAY": "fines.gateways.FileTransferGateway",
        "KMCS_BANK_TRANSFER_LOG_PATH": str(workdir / "bank.log"),
        "KMCS_SMS_STUCK_AFTER_SECONDS": "2",
        "KMCS_BANK_RECONCILE_AFTER_SECONDS": "2",
    }


BROKER_KEYS = ("broker_url", "broker_read_url", "broker_write_url", "CELERY_BROKER_URL")


def point_app_at(app, broker_url, *, eager: bool = False) -> None:
    """Send this process's tasks to ``broker_url`` (its cached connection pools included).

    ``broker_url`` may be a dict of the keys saved by :func:`broker_config` (to restore them).
    Celery reads connections from ``broker_read_url``/``broker_write_url`` (filled from the
    configuration at start), so setting ``broker_url`` alone would change nothing.
    """
    app.conf.task_always_eager = eager
    if isinstance(broker_url, dict):
        for key, value in broker_url.items():
            app.conf[key] = value
    elif broker_url is not None:
        for key in BROKER_KEYS:
            app.conf[key] = broker_url
    # kombu keeps one pool per broker URL in process-wide registries: close and forget them all
    # (what Celery does after a fork); the next publish opens fresh connections.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


class _JournalTail:
    """The keys a provider journal gained since the last look (the journal only grows)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def new_keys(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        complete = data.rfind(b"\n") + 1  # a line being written is read next time
        self.offset += complete
        return [json.loads(line)["idempotency_key"] for line in data[:complete].splitlines()]


class _KillPoint:
    """SIGKILLs the worker the moment the bank has executed half of the round's transfers
    (checked between the bench's own steps, and then every 5 ms; ``kill_timeout`` at most),
    and records what the providers had seen by then."""

    def __init__(self, bench: ChaosBench, payouts: list[int], number: int):
        from fines.models import FinePayout

        self.bench = bench
        self.keys = set(
            FinePayout.objects.filter(pk__in=payouts).values_list("idempotency_key", flat=True)
        )
        self.prefix = bench._message_key(number, "")
        self.bank = _JournalTail(bench.bank.path)
        self.outbox = _JournalTail(bench.outbox.path)
        self.paid = self.delivered = self.queued = 0
        self.deadline = time.monotonic() + bench.config.kill_timeout
        self.killed_with: dict | None = None

    def _look(self) -> None:
        self.paid += sum(key in self.keys for key in self.bank.new_keys())
        self.delivered += sum(key.startswith(self.prefix) for key in self.outbox.new_keys())

    def check(self, queued: int) -> None:
        self.queued = queued
        if self.killed_with is not None:
            return
        self._look()
        if self.paid >= max(1, len(self.keys) // 2) or time.monotonic() >= self.deadline:
            self.bench.worker.kill()
            self._look()  # what reached the providers before the worker died
            self.killed_with = {
                "bank": self.paid,
                "round_sms_queued": self.queued,
                "round_sms_delivered": self.delivered,
            }

    def wait(self) -> dict:
        while self.killed_with is None:
            self.check(self.queued)
            time.sleep(0.005)
        return {**self.killed_with, **self.bench._statuses()}


# --- rounds ----------------------------------------------------------------------------------------


@dataclass
class RoundResult:
    round: int
    messages: int  # SMS queued by the round (direct + the payouts' own)
    payouts: int
    killed_with: dict  # what the providers had seen when the worker was killed
    recovery_seconds: float
    seconds: float


@dataclass
class Totals:
    rounds: int = 0
    messages: int = 0
    payouts: int = 0
    messages_sent_once: int = 0
    payouts_paid_once: int = 0
    messages_sent_twice: int = 0
    payouts_paid_twice: int = 0
    messages_lost: int = 0
    payouts_lost: int = 0
    sms_repeats_absorbed: int = 0
    bank_repeats_absorbed: int = 0
    messages_reclaimed: int = 0  # stuck in "sending" by a kill, asked again
    transfers_reconciled: int = 0  # left "pending" by a kill, settled from the bank's answer
    worker_kills: int = 0
    redis_restarts: int = 0
    receipts_mismatched: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ChaosConfig:
    messages: int = 200
    payouts: int = 50
    recovery_timeout: float = 180.0
    kill_timeout: float = 60.0
    sweep_every: float = 4.0


class ChaosBench:
    """Drives the rounds. Django must be set up (same database as the worker's ``env``)."""

    def __init__(
        self, *, workdir: Path, worker_env: dict[str, str], config: ChaosConfig, log=print
    ):
        from django.conf import settings

        from kmcs_site.celery import app
        from kmcs_site.journal import KeyedJournal

        self.workdir = workdir
        self.config = config
        self.log = log or (lambda line, verbose=False: None)
        self.app = app
        self.redis = RedisServer(free_port(), workdir)
        self.outbox = KeyedJournal(workdir / "outbox.log")
        self.bank = KeyedJournal(workdir / "bank.log")
        env = dict(worker_env)
        env.update(provider_settings(workdir))
        env["CELERY_BROKER_URL"] = self.redis.url
        self.worker = Worker(env, app, workdir / "worker.log")
        wanted = provider_settings(workdir)
        differ = [k for k, v in wanted.items() if str(getattr(settings, k, "")) != v]
        if differ:
            raise RuntimeError(f"this process must use the chaos providers too: {differ}")
        self.results: list[RoundResult] = []
        self._call_ids = iter(range(960_000_001, 969_999_999))
        self.agent = None

    # --- life cycle ---

    def start(self) -> None:
        self.log(f"journals and worker log in {self.workdir}", verbose=True)
        self.redis.start()
        self._saved_broker = (self.app.conf.task_always_eager, broker_config(self.app))
        point_app_at(self.app, self.redis.url)
        self._people()
        self.worker.start()

    def close(self) -> None:
        self.worker.stop()
        self.redis.stop()
        eager, url = getattr(self, "_saved_broker", (True, None))
        point_app_at(self.app, url, eager=eager)

    def _people(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from cases.services import staff_profile_set_services

        user_model = get_user_model()
        self.agent, _ = user_model.objects.get_or_create(
            username="chaos_agent", defaults={"is_staff": True}
        )
        lead, _ = user_model.objects.get_or_create(
            username="chaos_lead", defaults={"is_staff": True}
        )
        self.agent.groups.add(Group.objects.get(name="agent"))
        lead.groups.add(Group.objects.get(name="team_lead"))
        staff_profile_set_services(user=self.agent, services=["driver"], actor=lead)

    # --- one round ---

    def run_round(self, number: int) -> RoundResult:
        from fines.tasks import payout_batch_run

        started = time.monotonic()
        messages_before = self._message_count()
        payouts = self._take_in_fines(number)
        self.log(f"round {number}: {len(payouts)} fines taken in {self._t(started)}", verbose=True)
        # The batch goes in first: one worker process pays while the other sends the messages
        # queued next, so the kill finds both half done.
        payout_batch_run.delay()
        kill = _KillPoint(self, payouts, number)
        self._queue_messages(number, between=kill.check)
        self.log(f"round {number}: messages queued {self._t(started)}", verbose=True)
        killed_with = kill.wait()
        self.log(f"round {number}: killed {killed_with} {self._t(started)}", verbose=True)
        self.redis.restart()
        point_app_at(self.app, self.redis.url)  # this process's pooled connections died too
        self.worker.start()
        self.log(f"round {number}: Redis restarted, worker up {self._t(started)}", verbose=True)
        recovery = self._recover()
        result = RoundResult(
            round=number,
            messages=self._message_count() - messages_before,
            payouts=len(payouts),
            killed_with=killed_with,
            recovery_seconds=round(recovery, 1),
            seconds=round(time.monotonic() - started, 1),
        )
        self.results.append(result)
        self.log(
            f"round {number}: {result.messages} SMS, {result.payouts} payouts, killed at "
            f"{killed_with}, recovered in {result.recovery_seconds} s"
        )
        return result

    @staticmethod
    def _t(started: float) -> str:
        return f"(+{time.monotonic() - started:.1f} s)"

    def _take_in_fines(self, number: int) -> list[int]:
        from zoneinfo import ZoneInfo

        from django.core.files.uploadedfile import SimpleUploadedFile

        from fines.services import fine_intake

        # Taken in yesterday morning: due in yesterday's 14:00 batch, so any run pays them.
        seoul = ZoneInfo("Asia/Seoul")
        at = (datetime.now(seoul) - timedelta(days=1)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        ids = []
        for index in range(self.config.payouts):
            call_id = str(next(self._call_ids))
            result = fine_intake(
                facts={
                    "call_id": call_id,
                    "call_type": "own",
                    "notice_type": "fine",
                    "violation_kind": "general",
                    "bank": "088",
                    "account_number": f"110{number % 1000:03d}{index:06d}",
                    "account_holder": "홍길동",
                    "violation_at": (at - timedelta(days=2)).isoformat(),
                    "violation_place": "서울 강남구 테헤란로",
                    "notice_issued_on": (at - timedelta(days=1)).date().isoformat(),
                    "amount": 40000 + index,
                },
                actor=self.agent,
                notice_image=SimpleUploadedFile("n.png", _PNG, content_type="image/png"),
                customer_phone="010-0000-1234",
                driver_phone="010-0000-5678",
                at=at,
            )
            if result.payout is None:
                raise RuntimeError(f"fine {call_id} made no payout: {result.message}")
            self._work_the_plan(result.case)
            ids.append(result.payout.pk)
        return ids

    def _work_the_plan(self, case) -> None:
        """Issue 13.4: the decision only drafts the fine's SMS, at their steps. The agent ticks
        the steps before them; the automatic SMS steps then send the drafts (입금 예정 at once,
        포인트 차감 when the worker has delivered the first and its step is done)."""
        from cases.models import StepStatus
        from cases.services import case_step_complete

        for step in case.steps.filter(status=StepStatus.PENDING).order_by("order"):
            if step.auto:
                return
            case_step_complete(case=case, step_code=step.code, actor=self.agent)

    def _queue_messages(self, number: int, between=lambda queued: None) -> None:
        """Queue the round's SMS, five per transaction, calling ``between(queued so far)``
        after each commit (where the kill may come)."""
        from django.db import transaction

        from templates_app.services import message_queue

        for start in range(0, self.config.messages, 5):
            with transaction.atomic():
                for index in range(start, min(start + 5, self.config.messages)):
                    message_queue(
                        template_name="대리기사_챗봇게시판_기사미운행건결제취소(승인)",
                        recipient=f"010-{1000 + number % 9000:04d}-{index:04d}",
                        context={
                            "received_on": datetime(2024, 6, 17).date(),
                            "amount": 1000 + index,
                        },
                        idempotency_key=self._message_key(number, index),
                        actor=None,
                    )
            between(min(start + 5, self.config.messages))

    def _message_key(self, number: int, index: int | str) -> str:
        return f"chaos:{os.getpid()}:{number}:{index}"

    def _statuses(self) -> dict:
        from django.db.models import Count

        from templates_app.models import OutboundMessage

        rows = OutboundMessage.objects.values("status").annotate(n=Count("id"))
        return {f"sms_{row['status']}": row["n"] for row in rows if row["status"] != "sent"}

    def _payout_statuses(self) -> dict:
        from django.db.models import Count

        from fines.models import FinePayout

        rows = FinePayout.objects.values("status").annotate(n=Count("id"))
        return {f"payout_{row['status']}": row["n"] for row in rows if row["status"] != "paid"}

    def _recover(self) -> float:
        """Play Celery beat until everything is sent and paid (or time runs out)."""
        from fines.tasks import payout_batch_run
        from templates_app.tasks import message_requeue_stale

        started = time.monotonic()
        deadline = started + self.config.recovery_timeout
        last_sweep = 0.0
        while time.monotonic() < deadline:
            if self._all_done():
                return time.monotonic() - started
            if time.monotonic() - last_sweep >= self.config.sweep_every:
                message_requeue_stale.delay(older_than_seconds=int(self.config.sweep_every))
                payout_batch_run.delay()
                last_sweep = time.monotonic()
                self.log(f"  sweep: {self._statuses()} {self._payout_statuses()}", verbose=True)
            time.sleep(0.2)
        return time.monotonic() - started

    def _all_done(self) -> bool:
        from fines.models import FinePayout, PayoutStatus
        from templates_app.models import OutboundMessage

        return (
            not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()
            and not FinePayout.objects.exclude(status=PayoutStatus.PAID).exists()
        )

    def _message_count(self) -> int:
        from templates_app.models import OutboundMessage

        return OutboundMessage.objects.count()

    # --- the count -----------------------------------------------------------------------------

    def verify(self) -> Totals:
        """Every message delivered once and every payout executed once, counted at the
        providers, and matching what the database recorded."""
        from collections import Counter

        from fines.models import BankTransfer, FinePayout, PayoutStatus
        from fines.services.batch import RECONCILED
        from templates_app.models import OutboundMessage

        totals = Totals(rounds=len(self.results))
        delivered = Counter(e["idempotency_key"] for e in self.outbox.entries())
        first_receipt = {}
        for entry in self.outbox.entries():
            first_receipt.setdefault(entry["idempotency_key"], entry["provider_message_id"])
        executed = Counter(e["idempotency_key"] for e in self.bank.entries())
        bank_reference = {e["idempotency_key"]: e["reference"] for e in self.bank.entries()}

        messages = list(
            OutboundMessage.objects.values_list("idempotency_key", "status", "provider_message_id")
        )
        totals.messages = len(messages)
        for key, status, receipt in messages:
            count = delivered.get(key, 0)
            if status != OutboundMessage.Status.SENT or count == 0:
                totals.messages_lost += 1
                totals.problems.append(f"message {key}: {status}, delivered {count}x")
            elif count > 1:
                totals.messages_sent_twice += 1
                totals.problems.append(f"message {key}: delivered {count} times")
            else:
                totals.messages_sent_once += 1
                if receipt != first_receipt[key]:
                    totals.receipts_mismatched += 1
                    totals.problems.append(f"message {key}: receipt {receipt} is not the delivery")
        unknown = set(delivered) - {key for key, _s, _r in messages}
        for key in unknown:
            totals.problems.append(f"delivered without a message row: {key}")

        payouts = list(FinePayout.objects.values_list("pk", "idempotency_key", "status"))
        transfers = {
            t.payout_id: t
            for t in BankTransfer.objects.filter(payout_id__in=[p[0] for p in payouts])
        }
        totals.payouts = len(payouts)
        for pk, key, status in payouts:
            count = executed.get(key, 0)
            transfer = transfers.get(pk)
            if status != PayoutStatus.PAID or count == 0 or transfer is None:
                totals.payouts_lost += 1
                totals.problems.append(f"payout {pk}: {status}, executed {count}x")
            elif count > 1:
                totals.payouts_paid_twice += 1
                totals.problems.append(f"payout {pk}: executed {count} times")
            else:
                totals.payouts_paid_once += 1
                if transfer.bank_reference != bank_reference[key]:
                    totals.receipts_mismatched += 1
                    totals.problems.append(f"payout {pk}: reference is not the bank's")
        totals.messages_reclaimed = OutboundMessage.history.filter(
            history_change_reason="발송 중 멈춤: 멱등 발송사에 재요청"
        ).count()
        totals.transfers_reconciled = FinePayout.history.filter(
            history_change_reason__endswith=RECONCILED
        ).count()
        totals.sms_repeats_absorbed = len(self.outbox.duplicates())
        totals.bank_repeats_absorbed = len(self.bank.duplicates())
        totals.worker_kills = self.worker.kills
        totals.redis_restarts = self.redis.restarts
        return totals

    def report(self, totals: Totals) -> dict:
        return {
            "rounds": totals.rounds,
            "per_round": {"messages": self.config.messages, "payouts": self.config.payouts},
            "totals": {k: v for k, v in asdict(totals).items() if k != "problems"},
            "problems": totals.problems[:50],
            "rounds_detail": [asdict(r) for r in self.results],
        }


_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


# --- the command line -----------------------------------------------------------------------------


def _fresh_database(url: str) -> None:
    """Drop and recreate the chaos database, then migrate it (a clean count every run)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(config["NAME"])
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=os.environ,
        check=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200, help="SMS queued per round")
    parser.add_argument("--payouts", type=int, default=50, help="payouts per round")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("KMCS_CHAOS_DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/kmcs_chaos",
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--keep", action="store_true", help="keep the journals' directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kmcs_site.settings.base"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("CELERY_BROKER_URL", None)
    _fresh_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="kmcs-chaos-"))
    os.environ.update(provider_settings(workdir))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")

    import django

    django.setup()

    bench = ChaosBench(
        workdir=workdir,
        worker_env=dict(os.environ),
        config=ChaosConfig(messages=args.messages, payouts=args.payouts),
        log=lambda line, verbose=False: (not verbose or args.verbose) and print(line, flush=True),
    )
    started = time.monotonic()
    # A SIGTERM (timeout, CI) still stops the worker and Redis this run started; SIGUSR1
    # prints where a stuck run is (kill -USR1 <pid>).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    faulthandler.register(signal.SIGUSR1)
    try:
        bench.start()
        for number in range(1, args.rounds + 1):
            bench.run_round(number)
        totals = bench.verify()
    finally:
        bench.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report = bench.report(totals)
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report["totals"], indent=1))
    for problem in totals.problems[:20]:
        print("PROBLEM:", problem)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return 0 if totals.ok else 1


if __name__ == "__main__":
    sys.exit(main())
