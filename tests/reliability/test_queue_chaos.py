"""Queue chaos on the production shape: PostgreSQL + Redis + a real Celery worker, killed with
SIGKILL mid-way through every round, Redis restarted with nothing saved, a new worker started;
then every message must have been delivered exactly once and every payout executed exactly once
at the providers (their journals), none lost. The rounds are bench/chaos.py's.

CI's second pass runs the issue's size: 10 rounds of 200 SMS + 50 payouts (+ the payouts' own
150 SMS) per round, 3m40s measured on a loaded 2-core machine (pass 2 has a 16-minute ceiling in
.ci/run). The bench runs 100 rounds: ``python bench/chaos.py --rounds 100`` (figures in the
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

from bench.chaos import ChaosBench, ChaosConfig, provider_settings

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

ROUNDS = int(os.environ.get("KMCS_CHAOS_ROUNDS", "10"))
MESSAGES = int(os.environ.get("KMCS_CHAOS_MESSAGES", "200"))
PAYOUTS = int(os.environ.get("KMCS_CHAOS_PAYOUTS", "50"))
VERBOSE = bool(os.environ.get("KMCS_CHAOS_VERBOSE"))
#: The whole run's limit (seconds): CI's 10 rounds took 3m40s on a loaded machine.
TIME_LIMIT = float(os.environ.get("KMCS_CHAOS_TIME_LIMIT", "540"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"


def test_nothing_is_lost_sent_twice_or_paid_twice_when_the_worker_dies(tmp_path, settings):
    # Transactional tests start from a flushed database: the reference data (SMS catalogue,
    # consultation types...) back first.
    call_command("kmcs_bootstrap", stdout=io.StringIO())
    for name, value in provider_settings(tmp_path).items():
        setattr(settings, name, int(value) if value.isdigit() else value)
    # MEDIA_ROOT stays the test profile's: the worker (worker_test) must read the notice
    # images this process stores, as web and workers share one media storage in production.
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kmcs_site.settings.worker_test",
        KMCS_TEST_DB_NAME=django_settings.DATABASES["default"]["NAME"],
        LOG_LEVEL="WARNING",
    )
    bench = ChaosBench(
        workdir=tmp_path,
        worker_env=env,
        config=ChaosConfig(
            messages=MESSAGES,
            payouts=PAYOUTS,
            sweep_every=2.0,
            recovery_timeout=90.0,
            kill_timeout=30.0,
        ),
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
    report = bench.report(totals)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "chaos.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    assert totals.problems == [], totals.problems[:20]
    per_round = MESSAGES + 3 * PAYOUTS  # direct + 입금 예정, 포인트 차감, 처리완료 per payout
    assert totals.messages == ROUNDS * per_round
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
