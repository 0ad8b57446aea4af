"""Queue and provider chaos: PostgreSQL + Redis + a real Celery worker, killed with SIGKILL
mid-way, sending through the real provider adapters to the in-repo sandbox (issue 16).

The SMS go through the NHN Cloud SMS v3.0 adapters (``templates_app.nhn_sms``, CEMS and MCRM
accounts) and the payouts through the KFTC open-banking adapter (``fines.openbanking``:
계좌실명조회 at intake, 입금이체 in the batch, 이체결과조회 in the reconciliation) to the sandbox
providers (``kmcs_site.sandbox``), served in this process on a free loopback port; the worker
is given the same URLs in its environment. The sandbox SMS provider is told to ignore
``X-Idempotency-Key`` (as NHN itself has no such header), so only the adapter's search by
``recipientGroupingKey`` before a repeat keeps a message from being sent twice.

Each round:

1. takes in ``--payouts`` traffic fines through ``fine_intake`` (each a scheduled payout, its
   account checked at the sandbox bank, and its two SMS, 입금 예정 and 포인트 차감, drafted at
   their steps and sent once the agent has ticked the steps before them; paying it queues a
   third, 처리완료);
2. plans the round's provider failures at the sandbox: SMS answered 503, accepted but answered
   after the client's timeout (uncertain), accepted but answered with a body that is not JSON;
   transfers *applied* and then answered 500 / after the timeout / unreadably (uncertain ->
   확인 필요), transfers answered 503 without acting (also uncertain for KMCS: 확인 필요), and
   one transfer-result inquiry answered 503 (the reconciliation cannot tell yet);
3. queues the payout batch task, then ``--messages`` SMS through ``message_queue``; the worker
   starts on them at once, one process paying while the other sends;
4. kills the worker's whole process group with SIGKILL the moment the sandbox bank has executed
   half of the round's transfers: the batch is still paying, and the round's SMS are partly
   accepted by the provider, partly queued in Redis, partly not yet queued. ``killed_with``
   records what the providers had seen;
5. restarts Redis with nothing saved (``shutdown nosave``): every task in the broker is gone;
6. starts a new worker and plays Celery beat (the stale-message sweeper and the payout batch)
   until every message is sent and every payout is either paid or waiting for the
   reconciliation. The reconciliation is held back in this phase
   (``KMCS_BANK_RECONCILE_AFTER_SECONDS`` 3600), so the run *sees* the payouts in 확인 필요:
   each must be paid exactly once at the bank, or visibly in 확인 필요 (or, for a transfer the
   kill interrupted, with its transfer still ``pending``), never paid twice;
7. plays the reconciliation (``payout_transfers_reconcile``, what the beat task
   ``fines.tasks.payout_reconcile`` runs) and the batch until every payout is paid: the bank
   is asked (이체결과조회) before anything is sent again; a transfer the bank never received
   goes back to the batch with the same ``bank_tran_id``.

Then it counts at the *sandbox*, not only in KMCS's tables: "sent exactly once" = one accepted
message per provider key (``recipientGroupingKey``), "paid exactly once" = one executed
transfer per ``bank_tran_id``; "lost" = a message not sent or a payout not paid at the end.

Run it (PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432/kmcs_chaos, which it
drops and recreates; its own redis-server on a free port; the sandbox in this process)::

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
#: Every queue the tasks are routed to (settings.KMCS_CELERY_QUEUES, issue 17.6): the chaos
#: worker consumes them all, so SMS, e-mail, payouts and clocks go through their own queues.
QUEUE = "kmcs,sms,email,payouts,clocks"


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


#: The sandbox's credentials for the chaos run (any value: the sandbox is told to expect them).
SANDBOX_SECRET = "chaos-sandbox-secret"
SYSTEMS = ("cems", "mcrm")


def provider_settings(sandbox_url: str) -> dict[str, str]:
    """The environment both sides (this process and the worker) run with during chaos: the real
    adapters pointed at the sandbox, short timeouts and backoff (seconds, not minutes), a worker
    found dead after 2 s instead of production's 15 minutes, and the reconciliation held back
    (the run plays it itself, once it has seen the payouts waiting for it)."""
    env = {
        "KMCS_SMS_GATEWAY": "templates_app.nhn_sms.NhnCemsGateway",
        "KMCS_SMS_GATEWAY_CEMS": "templates_app.nhn_sms.NhnCemsGateway",
        "KMCS_SMS_GATEWAY_MCRM": "templates_app.nhn_sms.NhnMcrmGateway",
        "KMCS_SMS_HTTP_TIMEOUT": "1.0",
        "KMCS_SMS_RETRY_BASE_SECONDS": "1",
        "KMCS_SMS_BREAKER_FAILURES": "5",
        "KMCS_SMS_BREAKER_COOLDOWN_SECONDS": "1",
        "KMCS_SMS_STUCK_AFTER_SECONDS": "2",
        "KMCS_BANK_TRANSFER_GATEWAY": "fines.openbanking.OpenBankingTransferGateway",
        "KMCS_ACCOUNT_VERIFIER": "fines.openbanking.OpenBankingVerifier",
        "KMCS_OPENBANKING_URL": sandbox_url,
        "KMCS_OPENBANKING_CLIENT_ID": "kmcs-chaos",
        "KMCS_OPENBANKING_CLIENT_SECRET": SANDBOX_SECRET,
        "KMCS_OPENBANKING_ORG_CODE": "M202600001",
        "KMCS_OPENBANKING_CNTR_ACCOUNT": "1101230000678",
        "KMCS_OPENBANKING_TIMEOUT": "1.0",
        "KMCS_BANK_RECONCILE_AFTER_SECONDS": "3600",
    }
    for system in SYSTEMS:
        prefix = f"KMCS_SMS_{system.upper()}_"
        env.update(
            {
                f"{prefix}URL": sandbox_url,
                f"{prefix}APP_KEY": f"chaos-{system}",
                f"{prefix}SECRET": SANDBOX_SECRET,
                f"{prefix}SEND_NO": "0200000000",
                f"{prefix}RATE_PER_SECOND": "100",
            }
        )
    return env


def django_settings(env: dict[str, str]) -> dict[str, object]:
    """The Django settings ``env`` makes (kmcs_site/settings/base.py reads these variables), for
    a process whose settings are already loaded (the pytest process) and for the check that
    this process and the worker agree."""
    values: dict[str, object] = {}
    for name, raw in env.items():
        if name.startswith(tuple(f"KMCS_SMS_{s.upper()}_" for s in SYSTEMS)):
            continue
        values[name] = _NUMBERS[name](raw) if name in _NUMBERS else raw
    values["KMCS_SMS_PROVIDERS"] = {
        system: {
            "url": env[f"KMCS_SMS_{system.upper()}_URL"],
            "app_key": env[f"KMCS_SMS_{system.upper()}_APP_KEY"],
            "secret": env[f"KMCS_SMS_{system.upper()}_SECRET"],
            "send_no": env[f"KMCS_SMS_{system.upper()}_SEND_NO"],
            "rate_per_second": float(env[f"KMCS_SMS_{system.upper()}_RATE_PER_SECOND"]),
        }
        for system in SYSTEMS
    }
    return values


#: The variables base.py reads as numbers (env.int / env.float); every other one is a string.
_NUMBERS = {
    "KMCS_SMS_HTTP_TIMEOUT": float,
    "KMCS_SMS_RETRY_BASE_SECONDS": int,
    "KMCS_SMS_BREAKER_FAILURES": int,
    "KMCS_SMS_BREAKER_COOLDOWN_SECONDS": int,
    "KMCS_SMS_STUCK_AFTER_SECONDS": int,
    "KMCS_OPENBANKING_TIMEOUT": float,
    "KMCS_BANK_RECONCILE_AFTER_SECONDS": int,
}


def settings_differ(settings, wanted: dict[str, object]) -> list[str]:
    """The names whose value in ``settings`` is not ``wanted``'s (dicts: the wanted keys only)."""
    differ = []
    for name, value in wanted.items():
        have = getattr(settings, name, None)
        if isinstance(value, dict):
            for key, sub in value.items():
                if not isinstance(have, dict) or any(
                    (have.get(key) or {}).get(k) != v for k, v in sub.items()
                ):
                    differ.append(f"{name}[{key}]")
        elif have != value:
            differ.append(name)
    return differ


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


class Sandbox:
    """The in-repo provider sandbox (``kmcs_site.sandbox``) served by this process on a free
    loopback port: the worker reaches it over HTTP, this process reads its counts directly.

    ``plan(provider, switch, n)`` adds ``n`` failures to a "next N" switch; ``injected()`` says
    how many of the planned failures the providers have actually produced so far.
    """

    def __init__(self):
        from kmcs_site.sandbox import core
        from kmcs_site.sandbox.server import SandboxServer

        self.core = core
        core.reset()
        self.server = SandboxServer("127.0.0.1", 0)
        self.planned: dict[tuple[str, str], int] = {}

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Sandbox:
        self.server.start()
        # Credentials, no delivery-report callbacks (not under test here), and an SMS provider
        # that, like NHN, knows no idempotency header: only the adapter's search prevents twins.
        self.behave("sms", secret=SANDBOX_SECRET, report="none", honour_idempotency_key=False)
        self.behave("bank", client_secret=SANDBOX_SECRET)
        return self

    def stop(self) -> None:
        self.server.stop()
        self.core.reset()

    def behave(self, provider: str, **switches) -> None:
        with self.core.LOCK:
            self.core.BEHAVIOUR.setdefault(provider, {}).update(switches)

    def plan(self, provider: str, switch: str, n: int, **switches) -> None:
        if n <= 0:
            return
        with self.core.LOCK:
            current = self.core.BEHAVIOUR.setdefault(provider, {})
            current.update(switches)
            current[switch] = int(current.get(switch, 0) or 0) + n
            self.planned[(provider, switch)] = self.planned.get((provider, switch), 0) + n

    def injected(self) -> dict[str, int]:
        with self.core.LOCK:
            return {
                f"{provider}.{switch}": n
                - int(self.core.BEHAVIOUR.get(provider, {}).get(switch, 0) or 0)
                for (provider, switch), n in self.planned.items()
            }

    def sms_accepted(self, start: int = 0) -> list[dict]:
        """Every message the SMS provider accepted (sent), from index ``start`` (it only grows)."""
        with self.core.LOCK:
            return [dict(r) for r in self.core.STATE.get("sms", {}).get("accepted", [])[start:]]

    def bank_executed(self, start: int = 0) -> list[dict]:
        """Every transfer the bank executed (money moved), from index ``start``."""
        with self.core.LOCK:
            return [dict(e) for e in self.core.STATE.get("bank", {}).get("executed", [])[start:]]

    def counter(self, provider: str, name: str) -> int:
        with self.core.LOCK:
            return int(self.core.STATE.get(provider, {}).get(name, 0) or 0)


class _Tail:
    """The entries a sandbox list gained since the last look (the lists only grow)."""

    def __init__(self, read):
        self.read = read
        self.offset = 0

    def new(self) -> list[dict]:
        entries = self.read(self.offset)
        self.offset += len(entries)
        return entries


class _KillPoint:
    """SIGKILLs the worker the moment the sandbox bank has executed half of the round's
    transfers (checked between the bench's own steps, and then every 5 ms; ``kill_timeout`` at
    most), and records what the providers had seen by then."""

    def __init__(self, bench: ChaosBench, payouts: list[int], number: int):
        from fines.openbanking import bank_tran_id_for

        self.bench = bench
        self.keys = {bank_tran_id_for(pk) for pk in payouts}
        from templates_app.gateways import provider_key

        # The sandbox sees each message's provider key (a hash of its idempotency key).
        self.message_keys = {
            provider_key(bench._message_key(number, i)) for i in range(bench.config.messages)
        }
        self.bank = _Tail(bench.sandbox.bank_executed)
        self.outbox = _Tail(bench.sandbox.sms_accepted)
        self.paid = self.delivered = self.queued = 0
        self.deadline = time.monotonic() + bench.config.kill_timeout
        self.killed_with: dict | None = None
        self.killed_at = None

    def _look(self) -> None:
        self.paid += sum(e["bank_tran_id"] in self.keys for e in self.bank.new())
        self.delivered += sum(
            r["recipientGroupingKey"] in self.message_keys for r in self.outbox.new()
        )

    def check(self, queued: int) -> None:
        from django.utils import timezone

        self.queued = queued
        if self.killed_with is not None:
            return
        self._look()
        if self.paid >= max(1, len(self.keys) // 2) or time.monotonic() >= self.deadline:
            self.bench.worker.kill()
            self.killed_at = timezone.now()
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
    #: After the recovery, before the reconciliation: paid once at the bank / 확인 필요 /
    #: transfer left "pending" by the kill (both wait for the reconciliation).
    before_reconciliation: dict
    recovery_seconds: float
    reconciliation_seconds: float
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
    sms_repeats_absorbed: int = 0  # a repeat found the accepted message by its key: not re-sent
    bank_repeats_absorbed: int = 0  # a deposit asked twice with one bank_tran_id (expected 0)
    messages_reclaimed: int = 0  # stuck in "sending" by a kill, asked again
    sms_held_back: int = 0  # breaker open or rate limit: re-queued without spending an attempt
    transfers_reconciled: int = 0  # settled from the bank's 이체결과조회
    payouts_paid_before_reconciliation: int = 0
    payouts_awaiting_reconciliation: int = 0  # seen in 확인 필요 after the recovery
    payouts_pending_at_kill: int = 0  # transfer "pending" since the kill (also reconciled)
    reconciliation_passes: int = 0
    provider_failures: dict = field(default_factory=dict)  # sandbox switch -> failures produced
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
    # Provider failures planned per round at the sandbox.
    sms_5xx: int = 6  # answered 503, nothing accepted
    sms_uncertain: int = 2  # accepted, answered after the client's timeout
    sms_malformed: int = 2  # accepted, answered with a body that is not JSON
    bank_uncertain: int = 2  # applied, then answered 500 / after the timeout / unreadably
    bank_5xx: int = 1  # answered 503 without acting (KMCS cannot know: 확인 필요 too)
    inquiry_5xx: int = 1  # one 이체결과조회 answered 503 (stays 확인 필요 until asked again)


class ChaosBench:
    """Drives the rounds. Django must be set up (same database as the worker's ``env``) with
    the settings :func:`provider_settings` makes for ``sandbox`` (already started)."""

    def __init__(
        self,
        *,
        workdir: Path,
        worker_env: dict[str, str],
        config: ChaosConfig,
        sandbox: Sandbox,
        log=print,
    ):
        from django.conf import settings

        from kmcs_site.celery import app

        self.workdir = workdir
        self.config = config
        self.sandbox = sandbox
        self.log = log or (lambda line, verbose=False: None)
        self.app = app
        self.redis = RedisServer(free_port(), workdir)
        env = dict(worker_env)
        env.update(provider_settings(sandbox.url))
        env["CELERY_BROKER_URL"] = self.redis.url
        self.worker = Worker(env, app, workdir / "worker.log")
        differ = settings_differ(settings, django_settings(provider_settings(sandbox.url)))
        if differ:
            raise RuntimeError(f"this process must use the chaos providers too: {differ}")
        self.results: list[RoundResult] = []
        self.problems: list[str] = []  # seen during the rounds (before the reconciliation)
        self.reconciliation_passes = 0
        self._call_ids = iter(range(960_000_001, 969_999_999))
        self.agent = None

    # --- life cycle ---

    def start(self) -> None:
        self.log(f"worker log in {self.workdir}, sandbox at {self.sandbox.url}", verbose=True)
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
        self._plan_failures(number)
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
        recovery = self._recover(lambda: self._recovered(kill.killed_at))
        before = self._before_reconciliation(number, payouts, kill.killed_at)
        self.log(f"round {number}: before the reconciliation {before}", verbose=True)
        reconciliation = self._reconcile()
        result = RoundResult(
            round=number,
            messages=self._message_count() - messages_before,
            payouts=len(payouts),
            killed_with=killed_with,
            before_reconciliation=before,
            recovery_seconds=round(recovery, 1),
            reconciliation_seconds=round(reconciliation, 1),
            seconds=round(time.monotonic() - started, 1),
        )
        self.results.append(result)
        self.log(
            f"round {number}: {result.messages} SMS, {result.payouts} payouts, killed at "
            f"{killed_with}, recovered in {result.recovery_seconds} s ({before}), reconciled "
            f"in {result.reconciliation_seconds} s"
        )
        return result

    def _plan_failures(self, number: int) -> None:
        """The round's provider failures, consumed by the next calls the providers get (after
        the intake's account checks: only the batch and the SMS meet them)."""
        c, sandbox = self.config, self.sandbox
        sandbox.plan("sms", "fail_next", c.sms_5xx, status=503)
        sandbox.plan("sms", "uncertain_next", c.sms_uncertain, uncertain_delay_ms=1500)
        sandbox.plan("sms", "malformed_next", c.sms_malformed)
        sandbox.plan("bank", "fail_next", c.bank_5xx, status=503)
        sandbox.plan(
            "bank",
            "uncertain_next",
            c.bank_uncertain,
            uncertain_mode=("500", "timeout", "malformed")[number % 3],
            timeout_ms=1500,
        )

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

    def _recover(self, done, *, reconcile: bool = False) -> float:
        """Play Celery beat until ``done()`` (or time runs out): the stale-message sweeper and
        the payout batch every ``sweep_every`` seconds, and with ``reconcile`` the payout
        reconciliation first (in this process: what the beat task ``payout_reconcile`` runs)."""
        from fines.services import payout_transfers_reconcile
        from fines.tasks import payout_batch_run
        from templates_app.tasks import message_requeue_stale

        started = time.monotonic()
        deadline = started + self.config.recovery_timeout
        last_sweep = 0.0
        while time.monotonic() < deadline:
            if done():
                return time.monotonic() - started
            if time.monotonic() - last_sweep >= self.config.sweep_every:
                if reconcile:
                    # Transfers asked about must be older than a sweep: one the batch is
                    # sending right now is not "unknown" yet.
                    payout_transfers_reconcile(older_than=int(self.config.sweep_every))
                    self.reconciliation_passes += 1
                message_requeue_stale.delay(older_than_seconds=int(self.config.sweep_every))
                payout_batch_run.delay()
                last_sweep = time.monotonic()
                self.log(f"  sweep: {self._statuses()} {self._payout_statuses()}", verbose=True)
            time.sleep(0.2)
        return time.monotonic() - started

    def _recovered(self, killed_at) -> bool:
        """Every message sent, and no payout left for the batch: each is paid, in 확인 필요, or
        has the transfer the kill interrupted still ``pending`` (both: the reconciliation's)."""
        from fines.models import BankTransfer, FinePayout, PayoutStatus
        from templates_app.models import OutboundMessage

        if OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists():
            return False
        interrupted = BankTransfer.objects.filter(
            state=BankTransfer.State.PENDING, requested_at__lte=killed_at
        ).values("payout_id")
        return (
            not FinePayout.objects.exclude(
                status__in=(PayoutStatus.PAID, PayoutStatus.NEEDS_RECONCILIATION)
            )
            .exclude(pk__in=interrupted)
            .exists()
        )

    def _before_reconciliation(self, number: int, payouts: list[int], killed_at) -> dict:
        """The round's payouts after the recovery, counted at the bank: each paid exactly once,
        or visibly waiting for the reconciliation (확인 필요, or the transfer the kill left
        ``pending``) and executed at most once. Anything else is a problem."""
        from collections import Counter

        from fines.models import BankTransfer, FinePayout, PayoutStatus
        from fines.openbanking import bank_tran_id_for

        executed = Counter(e["bank_tran_id"] for e in self.sandbox.bank_executed())
        transfers = {t.payout_id: t for t in BankTransfer.objects.filter(payout_id__in=payouts)}
        counts = {"paid_once": 0, "needs_reconciliation": 0, "pending_at_kill": 0, "applied": 0}
        for pk, status, reason in FinePayout.objects.filter(pk__in=payouts).values_list(
            "pk", "status", "failure_reason"
        ):
            times = executed.get(bank_tran_id_for(pk), 0)
            transfer = transfers.get(pk)
            where = f"round {number}, payout {pk} before the reconciliation"
            if times > 1:
                self.problems.append(f"{where}: executed {times} times at the bank")
            if status == PayoutStatus.PAID:
                if times != 1:
                    self.problems.append(f"{where}: paid, executed {times}x at the bank")
                counts["paid_once"] += 1
            elif status == PayoutStatus.NEEDS_RECONCILIATION:
                if not reason:
                    self.problems.append(f"{where}: 확인 필요 without a reason shown")
                counts["needs_reconciliation"] += 1
                counts["applied"] += times
            elif (
                transfer is not None
                and transfer.state == BankTransfer.State.PENDING
                and transfer.requested_at <= killed_at
            ):
                counts["pending_at_kill"] += 1
                counts["applied"] += times
            else:
                self.problems.append(
                    f"{where}: {status}, executed {times}x, neither paid nor awaiting "
                    "reconciliation"
                )
        return counts

    def _reconcile(self) -> float:
        """The reconciliation pass, then the batch, until every payout is paid and every SMS
        (the 처리완료 ones it queues too) is sent. The first inquiry is answered 503 (planned):
        that payout stays 확인 필요 and is settled by the next pass."""
        self.sandbox.plan("bank", "result_fail_next", self.config.inquiry_5xx)
        return self._recover(self._all_done, reconcile=True)

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
        """Every message accepted once and every payout executed once, counted at the sandbox
        providers, and matching what the database recorded."""
        from collections import Counter

        from fines.models import BankTransfer, FinePayout, PayoutStatus
        from fines.openbanking import bank_tran_id_for
        from fines.services.batch import RECONCILED
        from templates_app.models import OutboundMessage
        from templates_app.nhn_sms import ProviderRef

        totals = Totals(rounds=len(self.results), problems=list(self.problems))
        accepted = self.sandbox.sms_accepted()
        delivered = Counter(r["recipientGroupingKey"] for r in accepted)
        first_request = {}
        for row in accepted:
            first_request.setdefault(row["recipientGroupingKey"], row["requestId"])
        executed_rows = self.sandbox.bank_executed()
        executed = Counter(e["bank_tran_id"] for e in executed_rows)

        messages = list(
            OutboundMessage.objects.values_list("provider_key", "status", "provider_message_id")
        )
        totals.messages = len(messages)
        for key, status, receipt in messages:
            count = delivered.get(key, 0)
            if status != OutboundMessage.Status.SENT or count == 0:
                totals.messages_lost += 1
                totals.problems.append(f"message {key}: {status}, accepted {count}x")
            elif count > 1:
                totals.messages_sent_twice += 1
                totals.problems.append(f"message {key}: accepted {count} times")
            else:
                totals.messages_sent_once += 1
                ref = ProviderRef.decode(receipt)
                if ref is None or ref.request_id != first_request[key]:
                    totals.receipts_mismatched += 1
                    totals.problems.append(f"message {key}: receipt {receipt} is not the send")
        unknown = set(delivered) - {key for key, _s, _r in messages}
        for key in unknown:
            totals.problems.append(f"accepted without a message row: {key}")

        payouts = list(FinePayout.objects.values_list("pk", "status"))
        transfers = {
            t.payout_id: t
            for t in BankTransfer.objects.filter(payout_id__in=[p[0] for p in payouts])
        }
        totals.payouts = len(payouts)
        for pk, status in payouts:
            tran_id = bank_tran_id_for(pk)
            count = executed.get(tran_id, 0)
            transfer = transfers.get(pk)
            if status != PayoutStatus.PAID or count == 0 or transfer is None:
                totals.payouts_lost += 1
                totals.problems.append(f"payout {pk}: {status}, executed {count}x")
            elif count > 1:
                totals.payouts_paid_twice += 1
                totals.problems.append(f"payout {pk}: executed {count} times")
            else:
                totals.payouts_paid_once += 1
                if transfer.bank_reference != tran_id:
                    totals.receipts_mismatched += 1
                    totals.problems.append(f"payout {pk}: reference is not the bank's")
        ours = {bank_tran_id_for(pk) for pk, _s in payouts}
        for tran_id in set(executed) - ours:
            totals.problems.append(f"executed at the bank without a payout: {tran_id}")
        totals.messages_reclaimed = OutboundMessage.history.filter(
            history_change_reason="발송 중 멈춤: 멱등 발송사에 재요청"
        ).count()
        totals.sms_held_back = OutboundMessage.history.filter(
            history_change_reason__startswith="발송 보류 ("
        ).count()
        totals.transfers_reconciled = FinePayout.history.filter(
            history_change_reason__endswith=RECONCILED
        ).count()
        for result in self.results:
            before = result.before_reconciliation
            totals.payouts_paid_before_reconciliation += before["paid_once"]
            totals.payouts_awaiting_reconciliation += before["needs_reconciliation"]
            totals.payouts_pending_at_kill += before["pending_at_kill"]
        totals.reconciliation_passes = self.reconciliation_passes
        totals.provider_failures = self.sandbox.injected()
        totals.sms_repeats_absorbed = self.sandbox.counter("sms", "search_hits")
        totals.bank_repeats_absorbed = self.sandbox.counter("bank", "repeats")
        totals.worker_kills = self.worker.kills
        totals.redis_restarts = self.redis.restarts
        return totals

    def report(self, totals: Totals) -> dict:
        return {
            "rounds": totals.rounds,
            "per_round": {
                "messages": self.config.messages,
                "payouts": self.config.payouts,
                "failures": {
                    name: getattr(self.config, name)
                    for name in (
                        "sms_5xx",
                        "sms_uncertain",
                        "sms_malformed",
                        "bank_uncertain",
                        "bank_5xx",
                        "inquiry_5xx",
                    )
                },
            },
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
    parser.add_argument("--keep", action="store_true", help="keep the worker log's directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kmcs_site.settings.base"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("CELERY_BROKER_URL", None)
    _fresh_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="kmcs-chaos-"))
    # The sandbox first: its URL is in the settings both this process and the worker load.
    sandbox = Sandbox().start()
    os.environ.update(provider_settings(sandbox.url))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")

    import django

    django.setup()

    bench = ChaosBench(
        workdir=workdir,
        worker_env=dict(os.environ),
        config=ChaosConfig(messages=args.messages, payouts=args.payouts),
        sandbox=sandbox,
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
        sandbox.stop()
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
