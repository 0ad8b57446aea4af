"""Queue and provider chaos on the production shape: PostgreSQL + Redis + a real Celery worker,
killed with SIGKILL mid-way through every round, Redis restarted with nothing saved, a new
worker started; the SMS and payouts go through the real NHN SMS and open-banking adapters to the
provider sandbox (a real HTTP server on a free loopback port in this process; the worker gets
its URL in its environment), which answers 5xx, times out, answers unreadably and applies
transfers it then answers 500 / late, on demand. After the recovery every payout must be paid
exactly once at the bank or visibly waiting for the reconciliation (확인 필요); after the
reconciliation every message accepted exactly once and every payout executed exactly once at
the sandbox, none lost. The rounds are bench/chaos.py's.

CI's second pass runs 4 rounds of 200 SMS + 50 payouts (+ the payouts' own SMS) per round, each
with 10 SMS-provider and 4 bank failures and a worker killed mid-way: about 26 s a round
through the sandbox (8 rounds took 212 s of a 27-minute CI run, so CI keeps 4: every failure
kind still happens in every round, and CI stays well inside its 30 minutes). The bench runs 100
rounds: ``python bench/chaos.py --rounds 100`` (figures in the
README, "Reliability"). Sizes from the environment: KMCS_CHAOS_ROUNDS, KMCS_CHAOS_MESSAGES,
KMCS_CHAOS_PAYOUTS (a quick local run: KMCS_CHAOS_MESSAGES=40 KMCS_CHAOS_PAYOUTS=10).
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from bench.chaos import ChaosBench, ChaosConfig, Sandbox, provider_settings
from bench.chaos import django_settings as chaos_settings
from templates_app.models import OutboundMessage

pytestmark = [
    pytest.mark.broker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # The stall a CI check saw (round 1 never recovering) was this test's worker reading notice
    # images from another MEDIA_ROOT, which also stopped the whole batch: both fixed. The run
    # is bounded (TIME_LIMIT) so it can never hold CI; KMCS_SKIP_CHAOS=1 skips it.
    pytest.mark.skipif(os.environ.get("KMCS_SKIP_CHAOS") == "1", reason="KMCS_SKIP_CHAOS=1"),
    # Above the run's own TIME_LIMIT (pytest-timeout's default of 240 s is for ordinary tests).
    pytest.mark.timeout(int(float(os.environ.get("KMCS_CHAOS_TIME_LIMIT", "540"))) + 120),
]

ROUNDS = int(os.environ.get("KMCS_CHAOS_ROUNDS", "4"))
MESSAGES = int(os.environ.get("KMCS_CHAOS_MESSAGES", "200"))
PAYOUTS = int(os.environ.get("KMCS_CHAOS_PAYOUTS", "50"))
VERBOSE = bool(os.environ.get("KMCS_CHAOS_VERBOSE"))
#: The whole run's limit (seconds): 10 rounds through the sandbox took 5m05s on a loaded machine.
TIME_LIMIT = float(os.environ.get("KMCS_CHAOS_TIME_LIMIT", "540"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"


def test_nothing_is_lost_sent_twice_or_paid_twice_when_the_worker_dies(tmp_path, settings):
    # Transactional tests start from a flushed database: the reference data (SMS catalogue,
    # consultation types...) back first.
    call_command("kmcs_bootstrap", stdout=io.StringIO())
    sandbox = Sandbox().start()
    for name, value in chaos_settings(provider_settings(sandbox.url)).items():
        if isinstance(value, dict):  # KMCS_SMS_PROVIDERS: the accounts, other keys kept
            value = {k: {**getattr(settings, name, {}).get(k, {}), **v} for k, v in value.items()}
        setattr(settings, name, value)
    # MEDIA_ROOT stays the test profile's: the worker (worker_test) must read the notice
    # images this process stores, as web and workers share one media storage in production.
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kmcs_site.settings.worker_test",
        KMCS_TEST_DB_NAME=django_settings.DATABASES["default"]["NAME"],
        LOG_LEVEL="WARNING",
    )
    config = ChaosConfig(
        messages=MESSAGES,
        payouts=PAYOUTS,
        sweep_every=2.0,
        recovery_timeout=90.0,
        kill_timeout=30.0,
    )
    bench = ChaosBench(
        workdir=tmp_path,
        worker_env=env,
        sandbox=sandbox,
        config=config,
        log=lambda line, verbose=False: None if verbose and not VERBOSE else print(line),
    )
    started = time.monotonic()
    try:
        bench.start()
        for number in range(1, ROUNDS + 1):
            assert time.monotonic() - started < TIME_LIMIT, (
                f"chaos over its {TIME_LIMIT:.0f} s limit after {number - 1} rounds: "
                f"{bench.results[-3:]}"
            )
            bench.run_round(number)
        totals = bench.verify()
    finally:
        bench.close()
        sandbox.stop()
    report = bench.report(totals)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "chaos.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    assert totals.problems == [], totals.problems[:20]
    # Per round: the direct SMS, 입금 예정 and 포인트 차감 per payout, and 처리완료 per payout
    # unless a lead has switched that template off (the general fine's is off by default).
    done = OutboundMessage.objects.filter(
        template__code__startswith="대리_챗봇게시판_과태료_처리완료"
    ).count()
    assert done in (0, ROUNDS * PAYOUTS), done
    assert totals.messages == ROUNDS * (MESSAGES + 2 * PAYOUTS) + done
    assert totals.payouts == ROUNDS * PAYOUTS
    assert totals.messages_sent_once == totals.messages
    assert totals.payouts_paid_once == totals.payouts
    assert (totals.messages_lost, totals.payouts_lost) == (0, 0)
    assert (totals.messages_sent_twice, totals.payouts_paid_twice) == (0, 0)
    assert totals.receipts_mismatched == 0
    assert (totals.worker_kills, totals.redis_restarts) == (ROUNDS, ROUNDS)
    # The kill really came mid-way: the batch had not paid everything when the worker died,
    # and some of the round's SMS had not reached the provider yet.
    assert all(r.killed_with["bank"] < PAYOUTS for r in bench.results), bench.results
    assert all(r.killed_with["round_sms_delivered"] < MESSAGES for r in bench.results), (
        bench.results
    )

    # The providers really failed, as planned: every planned failure was produced.
    planned = {
        "sms.fail_next": config.sms_5xx,
        "sms.uncertain_next": config.sms_uncertain,
        "sms.malformed_next": config.sms_malformed,
        "bank.fail_next": config.bank_5xx,
        "bank.uncertain_next": config.bank_uncertain,
        "bank.result_fail_next": config.inquiry_5xx,
    }
    assert totals.provider_failures == {k: ROUNDS * n for k, n in planned.items()}
    # SMS the provider accepted but answered badly (late, unreadable) or whose worker died were
    # found by their key on a later attempt instead of being sent again (the sandbox ignores
    # X-Idempotency-Key, so without the search these would be duplicates above).
    assert totals.sms_repeats_absorbed > 0
    assert totals.bank_repeats_absorbed == 0  # never a second deposit with the same id
    # Before the reconciliation, every payout was paid exactly once or visibly waiting for it
    # (the problems above include any other state, and any payout executed twice); the
    # uncertain transfers were seen in 확인 필요 in every round, then settled by the bank's
    # answer (이체결과조회), the inquiry that failed included.
    assert all(r.before_reconciliation["needs_reconciliation"] >= 1 for r in bench.results), (
        bench.results
    )
    assert (
        totals.payouts_paid_before_reconciliation
        + totals.payouts_awaiting_reconciliation
        + totals.payouts_pending_at_kill
    ) == totals.payouts
    assert totals.transfers_reconciled >= totals.payouts_awaiting_reconciliation - ROUNDS * (
        config.bank_5xx
    )
